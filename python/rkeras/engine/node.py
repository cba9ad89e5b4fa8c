"""``Node``: one call of a layer on symbolic tensors, the unit of a model's layer graph.

A node connects the tensors a layer was called on (``input_tensors``, each produced by
``inbound_layers[i]`` at its node ``node_indices[i]``, output ``tensor_indices[i]``) to the
tensors the call produced (``output_tensors``). It is appended to the called layer's
``_inbound_nodes`` and to each inbound layer's ``_outbound_nodes``.

>>> from rkeras import backend as K
>>> from rkeras.layers import Dense, Input
>>> x = Input(shape=(3,))
>>> y = Dense(2)(x)
>>> node = y._keras_history[0]._inbound_nodes[0]
>>> [layer.__class__.__name__ for layer in node.inbound_layers], node.output_shapes
(['InputLayer'], [(None, 2)])
"""

from __future__ import annotations

from typing import Any, Optional


class Node:
    """A call of `outbound_layer` on `input_tensors` producing `output_tensors`.

    >>> Node  # doctest: +ELLIPSIS
    <class '...Node'>
    """

    def __init__(self, outbound_layer: Any, inbound_layers: list, node_indices: list,
                 tensor_indices: list, input_tensors: list, output_tensors: list,
                 input_masks: Optional[list] = None, output_masks: Optional[list] = None,
                 input_shapes: Optional[list] = None, output_shapes: Optional[list] = None,
                 arguments: Optional[dict] = None) -> None:
        self.outbound_layer = outbound_layer
        self.inbound_layers = list(inbound_layers)
        self.node_indices = list(node_indices)
        self.tensor_indices = list(tensor_indices)
        self.input_tensors = list(input_tensors)
        self.output_tensors = list(output_tensors)
        self.input_masks = list(input_masks) if input_masks is not None else \
            [None] * len(self.input_tensors)
        self.output_masks = list(output_masks) if output_masks is not None else \
            [None] * len(self.output_tensors)
        self.input_shapes = list(input_shapes) if input_shapes is not None else []
        self.output_shapes = list(output_shapes) if output_shapes is not None else []
        self.arguments = dict(arguments or {})
        for layer in self.inbound_layers:
            if layer is not None:
                layer._outbound_nodes.append(self)
        outbound_layer._inbound_nodes.append(self)

    def get_config(self) -> dict:
        """Names and indices of the inbound layers (for serialization)."""
        return {
            "outbound_layer": self.outbound_layer.name,
            "inbound_layers": [getattr(layer, "name", None) for layer in self.inbound_layers],
            "node_indices": self.node_indices,
            "tensor_indices": self.tensor_indices,
        }

    def __repr__(self) -> str:
        inbound = [getattr(layer, "name", None) for layer in self.inbound_layers]
        return f"<Node {self.outbound_layer.name} <- {inbound}>"
