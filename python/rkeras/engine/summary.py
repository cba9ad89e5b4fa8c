"""``model.summary()``: Keras 2's table of layers, output shapes and parameter counts.

>>> from rkeras.layers import Dense
>>> from rkeras.models import Sequential
>>> model = Sequential([Dense(2, input_shape=(3,), name="d")], name="tiny")
>>> model.summary(line_length=40)
Model: "tiny"
________________________________________
Layer (type)      Output Shape    Param
========================================
d (Dense)         (None, 2)       8
========================================
Total params: 8
Trainable params: 8
Non-trainable params: 0
________________________________________
"""

from __future__ import annotations

from typing import Any, Callable, Optional

import numpy as np


def _count(weights: list) -> int:
    seen: set = set()
    total = 0
    for w in weights:
        if id(w) not in seen:
            seen.add(id(w))
            total += int(np.prod(w.shape))
    return total


def _is_sequential_like(model: Any) -> bool:
    if type(model).__name__ == "Sequential":
        return True
    nodes = []
    for v in model._nodes_by_depth.values():
        if len(v) > 1 or (len(v) == 1 and len(v[0].inbound_layers) > 1):
            return False
        nodes += v
    for layer in model.layers:
        flag = False
        for node in layer._inbound_nodes:
            if node in nodes:
                if flag:
                    return False
                flag = True
    return True


def print_summary(model: Any, line_length: Optional[int] = None,
                  positions: Optional[list] = None,
                  print_fn: Optional[Callable[[str], Any]] = None) -> None:
    """Prints the summary of `model` (Keras 2's ``print_summary``)."""
    if print_fn is None:
        print_fn = print
    sequential_like = _is_sequential_like(model)
    relevant_nodes: list = []
    if sequential_like:
        line_length = line_length or 65
        positions = positions or [0.45, 0.85, 1.0]
        to_display = ["Layer (type)", "Output Shape", "Param #"]
    else:
        line_length = line_length or 98
        positions = positions or [0.33, 0.55, 0.67, 1.0]
        to_display = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        for v in model._nodes_by_depth.values():
            relevant_nodes += v
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]

    def print_row(fields: list) -> None:
        line = ""
        for i, field in enumerate(fields):
            if i > 0:
                line = line[:-1] + " "
            line += str(field)
            line = line[: positions[i]]
            line += " " * (positions[i] - len(line))
        print_fn(line)

    def output_shape(layer: Any) -> Any:
        try:
            return layer.output_shape
        except (AttributeError, RuntimeError):
            return "multiple"

    print_fn(f'Model: "{model.name}"')
    print_fn("_" * line_length)
    print_row(to_display)
    print_fn("=" * line_length)

    layers = model.layers
    for i, layer in enumerate(layers):
        label = f"{layer.name} ({type(layer).__name__})"
        params = layer.count_params() if layer.built else 0
        if sequential_like:
            print_row([label, output_shape(layer), params])
        else:
            connections = []
            for node in layer._inbound_nodes:
                if relevant_nodes and node not in relevant_nodes:
                    continue
                for inbound, node_index, tensor_index in zip(
                        node.inbound_layers, node.node_indices, node.tensor_indices):
                    connections.append(f"{inbound.name}[{node_index}][{tensor_index}]")
            print_row([label, output_shape(layer), params, connections[0] if connections else ""])
            for extra in connections[1:]:
                print_row(["", "", "", extra])
        print_fn("=" * line_length if i == len(layers) - 1 else "_" * line_length)

    trainable = _count(model.trainable_weights)
    non_trainable = _count(model.non_trainable_weights)
    print_fn(f"Total params: {trainable + non_trainable:,}")
    print_fn(f"Trainable params: {trainable:,}")
    print_fn(f"Non-trainable params: {non_trainable:,}")
    print_fn("_" * line_length)
