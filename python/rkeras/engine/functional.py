"""``Model``: a graph of layers from input tensors to output tensors (the functional API).

A model keeps the layer calls (:class:`Node`) that lead from its ``inputs`` to its ``outputs``,
ordered by depth. ``Model.call(inputs, training=None, mask=None)`` replays those calls on any new
tensors (NumPy arrays, or symbolic tensors of any graph, e.g. the trainer's), so one model can be
traced into the training, evaluation and prediction programs.

>>> from rkeras import backend as K
>>> from rkeras.layers import Dense, Input
>>> from rkeras.models import Model
>>> K.clear_session()
>>> x = Input(shape=(4,))
>>> h = Dense(8, activation="relu")(x)
>>> y = Dense(3, activation="softmax")(h)
>>> model = Model(x, y)
>>> model.output_shape, [layer.name for layer in model.layers]
((None, 3), ['input_1', 'dense_1', 'dense_2'])
"""

from __future__ import annotations

import copy
import json
import warnings
from typing import Any, Optional

import numpy as np

from rkeras.backend.tensors import SymbolicTensor
from rkeras.engine import naming
from rkeras.engine.base_layer import (
    KerasStateError,
    Layer,
    has_arg,
    to_list,
    unpack_singleton,
)
from rkeras.engine.input_layer import InputLayer
from rkeras.engine.node import Node
from rkeras.engine.training import Trainer

_SUBCLASS_MESSAGE = (
    "Subclassed models (a `Model` built without `inputs` and `outputs`, whose layers run in a "
    "user-written `call`) are not supported by rkeras yet. Build the model with the functional "
    "API, `Model(inputs, outputs)`, or with `Sequential`."
)


def node_key(layer: Layer, node_index: int) -> str:
    """Keras's key of a layer's node: ``"dense_1_ib-0"``."""
    return f"{layer.name}_ib-{node_index}"


def map_graph_network(inputs: list, outputs: list) -> tuple:
    """Keras 2's ``_map_graph_network``: the nodes and layers from `inputs` to `outputs`.

    Returns ``(network_nodes, nodes_by_depth, layers, layers_by_depth)``; layers are ordered by
    decreasing depth, then by traversal order. Raises when an output cannot be computed from the
    inputs (``Graph disconnected``) or when two layers share a name.
    """
    network_nodes: set = set()
    nodes_depths: dict = {}
    layers_depths: dict = {}
    layer_indices: dict = {}
    nodes_in_decreasing_depth: list = []
    input_ids = {id(x) for x in inputs}

    def build_map(tensor: Any, finished: set, in_progress: set, layer: Layer,
                  node_index: int) -> None:
        node = layer._inbound_nodes[node_index]
        if node in in_progress:
            raise ValueError(f'The tensor {tensor} at layer "{layer.name}" is part of a cycle.')
        if node in finished:
            return
        network_nodes.add(node_key(layer, node_index))
        if layer not in layer_indices:
            layer_indices[layer] = len(layer_indices)
        in_progress.add(node)
        if not (id(tensor) in input_ids and not isinstance(layer, InputLayer)):
            for x, inbound, index in zip(node.input_tensors, node.inbound_layers,
                                         node.node_indices):
                build_map(x, finished, in_progress, inbound, index)
        finished.add(node)
        in_progress.remove(node)
        nodes_in_decreasing_depth.append(node)

    finished: set = set()
    in_progress: set = set()
    for x in outputs:
        layer, node_index, _ = x._keras_history
        build_map(x, finished, in_progress, layer, node_index)

    for node in reversed(nodes_in_decreasing_depth):
        depth = nodes_depths.setdefault(node, 0)
        previous = layers_depths.get(node.outbound_layer, 0)
        depth = max(depth, previous)
        layers_depths[node.outbound_layer] = depth
        nodes_depths[node] = depth
        if any(id(x) in input_ids for x in node.output_tensors) and \
                not isinstance(node.outbound_layer, InputLayer):
            continue
        for inbound, index in zip(node.inbound_layers, node.node_indices):
            inbound_node = inbound._inbound_nodes[index]
            nodes_depths[inbound_node] = max(depth + 1, nodes_depths.get(inbound_node, 0))

    nodes_by_depth: dict = {}
    for node, depth in nodes_depths.items():
        nodes_by_depth.setdefault(depth, []).append(node)
    layers_by_depth: dict = {}
    for layer, depth in layers_depths.items():
        layers_by_depth.setdefault(depth, []).append(layer)

    layers = []
    for depth in sorted(layers_by_depth, reverse=True):
        group = sorted(layers_by_depth[depth], key=lambda lay: layer_indices[lay])
        layers.extend(group)

    computable = set(input_ids)
    complete: list = []
    for depth in sorted(nodes_by_depth, reverse=True):
        for node in nodes_by_depth[depth]:
            layer = node.outbound_layer
            if any(id(x) in input_ids for x in node.output_tensors) and \
                    not isinstance(layer, InputLayer):
                computable.update(id(x) for x in node.output_tensors)
                continue
            for x in node.input_tensors:
                if id(x) not in computable:
                    raise KerasStateError(
                        f'Graph disconnected: cannot obtain value for tensor {x} at layer '
                        f'"{layer.name}". The following previous layers were accessed without '
                        f"issue: {complete}"
                    )
            computable.update(id(x) for x in node.output_tensors)
            complete.append(layer.name)

    names = [layer.name for layer in layers]
    for name in names:
        if names.count(name) != 1:
            raise KerasStateError(f'The name "{name}" is used {names.count(name)} times in the '
                                  "model. All layer names should be unique.")
    return network_nodes, nodes_by_depth, layers, layers_by_depth


class Model(Layer, Trainer):
    """A model: layers connected from ``inputs`` to ``outputs``, with compile/fit/evaluate/
    predict (Keras 2 ``Model``). ``Model(inputs, outputs, name=None)``; the Keras-2
    spellings ``Model(input=..., output=...)`` work too.

    >>> import numpy as np
    >>> from rkeras.layers import Dense, Input, concatenate
    >>> from rkeras.models import Model
    >>> a, b = Input(shape=(2,), name="a"), Input(shape=(3,), name="b")
    >>> out = Dense(1, name="out")(concatenate([a, b]))
    >>> model = Model(inputs=[a, b], outputs=out)
    >>> model.input_names, model.output_names, model.count_params()
    (['a', 'b'], ['out'], 6)
    >>> model([np.ones((4, 2)), np.ones((4, 3))]).shape
    (4, 1)
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        inputs = kwargs.pop("inputs", None)
        outputs = kwargs.pop("outputs", None)
        if inputs is None:
            inputs = kwargs.pop("input", None)
        if outputs is None:
            outputs = kwargs.pop("output", None)
        args = list(args)
        if args and inputs is None:
            inputs = args.pop(0)
        if args and outputs is None:
            outputs = args.pop(0)
        if args and "name" not in kwargs:
            kwargs["name"] = args.pop(0)
        if args:
            raise TypeError(f"Model() takes inputs, outputs and name, got {len(args)} more "
                            "positional argument(s)")
        name = kwargs.pop("name", None)
        trainable = kwargs.pop("trainable", True)
        if kwargs:
            raise TypeError("Keyword argument not understood:", next(iter(kwargs)))
        super().__init__(name=name, trainable=trainable)
        if "__init__" in vars(Trainer):
            Trainer.__init__(self)
        self.inputs: list = []
        self.outputs: list = []
        self._layers: list = []
        self._nodes_by_depth: dict = {}
        self._layers_by_depth: dict = {}
        self._network_nodes: set = set()
        self._input_layers: list = []
        self._output_layers: list = []
        self._input_coordinates: list = []
        self._output_coordinates: list = []
        self.input_names: list = []
        self.output_names: list = []
        self._last_output_masks: list = []
        self._is_graph_network = False
        self._model_losses: list = []
        self._model_metrics: list = []
        if inputs is not None or outputs is not None:
            if inputs is None or outputs is None:
                raise TypeError("Model: give both `inputs` and `outputs` (functional API)")
            self._init_graph_network(inputs, outputs)

    def _default_name(self) -> str:
        prefix = type(self).__name__.lower()
        return naming.unique_name(prefix)

    # ------------------------------------------------------------------ graph

    def _init_graph_network(self, inputs: Any, outputs: Any) -> None:
        self._nested_inputs = inputs
        self._nested_outputs = outputs
        if isinstance(inputs, dict):
            inputs = list(inputs.values())
        if isinstance(outputs, dict):
            outputs = list(outputs.values())
        inputs, outputs = list(to_list(inputs)), list(to_list(outputs))
        if len({id(x) for x in inputs}) != len(inputs):
            raise ValueError("The list of inputs passed to the model is redundant. All inputs "
                             f"should only appear once. Found: {inputs}")
        cls_name = type(self).__name__
        for x in inputs:
            if not isinstance(x, SymbolicTensor) or not hasattr(x, "_keras_history"):
                raise TypeError(f"Input tensors to a {cls_name} must be Keras tensors. "
                                f"Found: {x} (missing Keras metadata).")
            layer = x._keras_history[0]
            if not isinstance(layer, InputLayer):
                warnings.warn(
                    f"{cls_name} inputs must come from `keras.layers.Input` (thus holding past "
                    "layer metadata), they cannot be the output of a previous non-Input layer. "
                    f'Here, a tensor specified as input to "{self.name}" was not an Input '
                    f"tensor, it was generated by layer {layer.name}.", stacklevel=3)
        for x in outputs:
            if not isinstance(x, SymbolicTensor) or not hasattr(x, "_keras_history"):
                raise TypeError(f"Output tensors to a {cls_name} must be the output of a Keras "
                                f"`Layer` (thus holding past layer metadata). Found: {x}")
        graphs = {id(x.graph) for x in inputs + outputs}
        if len(graphs) > 1:
            raise ValueError(f"{cls_name}: inputs and outputs come from different graphs "
                             "(was K.clear_session() called in between?)")
        network_nodes, nodes_by_depth, layers, layers_by_depth = \
            map_graph_network(inputs, outputs)
        self.inputs, self.outputs = inputs, outputs
        self._network_nodes = network_nodes
        self._nodes_by_depth = nodes_by_depth
        self._layers = layers
        self._layers_by_depth = layers_by_depth
        self._input_coordinates = [x._keras_history for x in inputs]
        self._output_coordinates = [x._keras_history for x in outputs]
        self._input_layers = [c[0] for c in self._input_coordinates]
        self._output_layers = [c[0] for c in self._output_coordinates]
        self.input_names = [layer.name for layer in self._input_layers]
        self.output_names = [layer.name for layer in self._output_layers]
        self._last_output_masks = [getattr(x, "_keras_mask", None) for x in outputs]
        self._is_graph_network = True
        self.built = True
        self._set_internal_node()

    def _set_internal_node(self) -> None:
        """Node 0 of a model links its inputs to its outputs (as in Keras 2, so calls of the
        model inside another one are its nodes 1, 2, ...)."""
        existing = self._inbound_nodes[0] if self._inbound_nodes else None
        if existing is not None and not getattr(existing, "_is_internal", False):
            return
        node = Node(self, inbound_layers=[], node_indices=[], tensor_indices=[],
                    input_tensors=self.inputs, output_tensors=self.outputs,
                    input_masks=[None] * len(self.inputs),
                    output_masks=list(self._last_output_masks),
                    input_shapes=[tuple(x.shape) for x in self.inputs],
                    output_shapes=[tuple(x.shape) for x in self.outputs])
        node._is_internal = True
        self._inbound_nodes.pop()
        if existing is not None:
            self._inbound_nodes[0] = node
        else:
            self._inbound_nodes.insert(0, node)

    def _require_graph(self) -> None:
        if not self._is_graph_network:
            raise NotImplementedError(_SUBCLASS_MESSAGE)

    def _raise_unbuilt(self) -> None:
        raise NotImplementedError(_SUBCLASS_MESSAGE)

    @property
    def layers(self) -> list:
        """The model's layers, input layers included, in topological (Keras 2) order."""
        self._require_graph()
        return list(self._layers)

    @property
    def input(self) -> Any:
        """The input tensor (a list for several inputs)."""
        self._require_graph()
        return unpack_singleton(list(self.inputs))

    @property
    def output(self) -> Any:
        """The output tensor (a list for several outputs)."""
        self._require_graph()
        return unpack_singleton(list(self.outputs))

    @property
    def input_shape(self) -> Any:
        """The input shape: a tuple, or a list of tuples for several inputs."""
        self._require_graph()
        return unpack_singleton([tuple(x.shape) for x in self.inputs])

    @property
    def output_shape(self) -> Any:
        """The output shape: a tuple, or a list of tuples for several outputs."""
        self._require_graph()
        return unpack_singleton([tuple(x.shape) for x in self.outputs])

    @property
    def input_spec(self) -> Any:
        """Input specs come from the model's first layers (checked when those run)."""
        return None

    @input_spec.setter
    def input_spec(self, value: Any) -> None:
        pass

    def get_layer(self, name: Optional[str] = None, index: Optional[int] = None) -> Layer:
        """A layer by `name`, or by `index` in :attr:`layers`."""
        layers = self.layers
        if index is not None:
            if len(layers) <= index:
                raise ValueError(f"Was asked to retrieve layer at index {index} but model only "
                                 f"has {len(layers)} layers.")
            return layers[index]
        if not name:
            raise ValueError("Provide either a layer name or layer index.")
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name}. Existing layers are: "
                         f"{[layer.name for layer in layers]}.")

    # ------------------------------------------------------------------ replay

    def call(self, inputs: Any, training: Any = None, mask: Any = None) -> Any:
        """Runs the model's layer graph on `inputs` (NumPy arrays or symbolic tensors of any
        graph); `training` is passed to every layer whose ``call`` takes it."""
        self._require_graph()
        return self._run_internal_graph(inputs, training=training, mask=mask)

    def _run_internal_graph(self, inputs: Any, training: Any = None, mask: Any = None) -> Any:
        if isinstance(inputs, dict):
            missing = [n for n in self.input_names if n not in inputs]
            if missing:
                raise ValueError(f'Model "{self.name}": missing input(s) {missing}; expected '
                                 f"the inputs {self.input_names}")
            inputs = [inputs[n] for n in self.input_names]
        inputs = to_list(inputs)
        if len(inputs) != len(self.inputs):
            raise ValueError(f'Layer "{self.name}" expects {len(self.inputs)} input(s), but it '
                             f"received {len(inputs)} input tensors. Inputs received: {inputs}")
        masks = to_list(mask) if mask is not None else [None] * len(inputs)
        tensor_map: dict = {}
        for ref, x, m in zip(self.inputs, inputs, masks):
            tensor_map[id(ref)] = (x, m)
        for depth in sorted(self._nodes_by_depth, reverse=True):
            for node in self._nodes_by_depth[depth]:
                if all(id(x) in tensor_map for x in node.output_tensors):
                    continue
                refs = node.input_tensors
                if not all(id(x) in tensor_map for x in refs):
                    continue
                layer = node.outbound_layer
                computed = [tensor_map[id(x)][0] for x in refs]
                computed_masks = [tensor_map[id(x)][1] for x in refs]
                kwargs = dict(node.arguments)
                if kwargs.get("training") is None and has_arg(layer.call, "training"):
                    kwargs["training"] = training
                if "mask" not in kwargs and has_arg(layer.call, "mask") and \
                        any(m is not None for m in computed_masks):
                    kwargs["mask"] = unpack_singleton(computed_masks)
                x_in = unpack_singleton(computed)
                output = layer._run_call(x_in, kwargs)
                outs = to_list(output)
                if all(m is None for m in node.output_masks):
                    out_masks = [None] * len(outs)
                else:
                    out_masks = layer.compute_mask(x_in, unpack_singleton(computed_masks))
                    if not isinstance(out_masks, (list, tuple)):
                        out_masks = [out_masks] * len(outs)
                for ref, y, m in zip(node.output_tensors, outs, out_masks):
                    tensor_map[id(ref)] = (y, m)
        results, result_masks = [], []
        for ref in self.outputs:
            if id(ref) not in tensor_map:
                raise KerasStateError(f'Model "{self.name}": could not compute output {ref}')
            y, m = tensor_map[id(ref)]
            results.append(y)
            result_masks.append(m)
        self._last_output_masks = result_masks
        if self.__dict__.get("_model_losses") or self.__dict__.get("_model_metrics"):
            self._replay_added(tensor_map)
        return unpack_singleton(results)

    # ------------------------------------------------------------------ add_loss / add_metric

    def _check_model_tensor(self, value: Any, what: str) -> None:
        if isinstance(value, SymbolicTensor) and self.inputs and \
                value.graph is not self.inputs[0].graph:
            raise ValueError(f'Model "{self.name}": the tensor given to {what} comes from '
                             "another graph than the model's inputs (was K.clear_session() "
                             "called in between?)")

    def add_loss(self, losses: Any, inputs: Any = None) -> None:
        """Adds loss tensor(s) to the model (Keras 2 ``Model.add_loss``).

        A tensor built with backend ops from the model's ``Input`` tensors and layer outputs
        is recorded and replayed on the trainer's tensors each time the model is traced, so
        it is computed inside the compiled program (a model may be compiled with no ``loss``
        at all). A zero-argument callable is called while the model is traced. Called inside
        a layer's ``call`` (a nested model's), it behaves as :meth:`Layer.add_loss`.
        """
        from rkeras.engine.base_layer import _collecting

        if not self._is_graph_network or _collecting():
            return super().add_loss(losses, inputs)
        for loss in to_list(losses):
            if loss is None:
                continue
            if not (isinstance(loss, SymbolicTensor) or callable(loss)):
                super().add_loss(loss, inputs)
                continue
            self._check_model_tensor(loss, "add_loss")
            self._model_losses.append(loss)

    def add_metric(self, value: Any, aggregation: Optional[str] = None,
                   name: Optional[str] = None) -> None:
        """Adds a metric tensor built from the model's tensors (Keras 2.3
        ``Model.add_metric``): replayed in the compiled programs and reported as `name`."""
        from rkeras.engine.base_layer import _collecting

        if not self._is_graph_network or _collecting() or not isinstance(value, SymbolicTensor):
            return super().add_metric(value, aggregation=aggregation, name=name)
        if aggregation not in (None, "mean"):
            raise ValueError(f"We currently support only `mean` sample-wise metric "
                             f"aggregation. You provided aggregation=`{aggregation}`")
        if name is None:
            raise ValueError("Please provide a name for your metric like "
                             "`self.add_metric(tf.reduce_sum(inputs), name='mean_activation', "
                             "aggregation='mean')`")
        self._check_model_tensor(value, "add_metric")
        self._model_metrics = [(n, v) for n, v in self._model_metrics if n != name]
        self._model_metrics.append((str(name), value))
        programs = self.__dict__.get("_programs")
        if programs is not None:  # the compiled programs lack the new metric
            self._programs = type(programs)()

    def _replay_added(self, tensor_map: dict) -> None:
        """Reports the losses and metrics given to :meth:`add_loss` / :meth:`add_metric`,
        recomputed from this replay's tensors (only while something collects them)."""
        from rkeras.backend.tensors import replay
        from rkeras.engine import trace
        from rkeras.engine.base_layer import _collecting, _mean_value, _report_loss

        if not _collecting():
            return
        memo: dict = {}
        for loss in self._model_losses:
            if isinstance(loss, SymbolicTensor):
                value = replay(loss, tensor_map, memo)
            else:
                value = loss()
                if not isinstance(value, SymbolicTensor) and trace.current() is not None:
                    raise TypeError(f'Model "{self.name}": a callable given to add_loss must '
                                    "return a tensor of the traced model; it returned "
                                    f"{type(value).__name__}")
            if isinstance(value, SymbolicTensor) and value.ndim > 0:
                from rkeras.backend import functions as K

                value = K.mean(value)
            _report_loss(value)
        if trace.current() is not None:
            for name, value in self._model_metrics:
                trace.add_metric(name, _mean_value(replay(value, tensor_map, memo)))

    @property
    def losses(self) -> list:
        """Losses given to :meth:`add_loss` (tensors of the model's graph), those layers added
        while called on ``Input`` tensors, and the weight-regularization penalties (values)."""
        out = list(self._losses) + list(self.__dict__.get("_model_losses", []))
        for reg, var in self._weight_regularizers:
            out.append(reg(var))
        if not self._is_graph_network:
            return out
        for layer in self._flatten_layers():
            if layer is self:
                continue
            out += list(layer._losses) + list(layer.__dict__.get("_model_losses", []))
            out += [reg(var) for reg, var in layer._weight_regularizers]
        return out

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The output mask(s) of the last call."""
        if not self._last_output_masks or all(m is None for m in self._last_output_masks):
            return None
        return unpack_singleton(list(self._last_output_masks))

    def build(self, input_shape: Any = None) -> None:
        """A functional model is built when it is created."""
        self._require_graph()

    # ------------------------------------------------------------------ weights

    def _flatten_layers(self) -> list:
        """Every layer inside the model, nested models' layers included (each once)."""
        out: list = []
        seen: set = set()

        def visit(layer: Layer) -> None:
            if id(layer) in seen:
                return
            seen.add(id(layer))
            out.append(layer)
            children = layer._layers if isinstance(layer, Model) else []
            for child in list(children) + list(layer._sublayers):
                visit(child)

        for layer in self._layers:
            visit(layer)
        return out

    def weight_regularizers(self) -> list:
        """``[(regularizer, variable)]`` of every layer (the trainer adds the penalties)."""
        out = []
        for layer in self._flatten_layers():
            out.extend(layer._weight_regularizers)
        return out

    def weight_constraints(self) -> dict:
        """``{variable handle: constraint}`` of every layer (applied after each update)."""
        out: dict = {}
        for layer in self._flatten_layers():
            out.update(layer._constraints)
        return out

    def activity_regularized_layers(self) -> list:
        """Layers with an ``activity_regularizer`` (their penalty is collected when the model
        is replayed inside :func:`rkeras.engine.base_layer.collect_losses`)."""
        return [la for la in self._flatten_layers() if la.activity_regularizer is not None]

    @property
    def trainable_weights(self) -> list:
        """Trainable weights of all layers (none when the model is frozen)."""
        if not self.trainable:
            return []
        weights = list(self._trainable_weights)
        for layer in self._layers:
            weights += layer.trainable_weights
        return self._unique(weights)

    @property
    def non_trainable_weights(self) -> list:
        """Non-trainable weights of all layers (all of them when the model is frozen)."""
        if not self.trainable:
            weights = list(self._trainable_weights + self._non_trainable_weights)
            for layer in self._layers:
                weights += layer.weights
            return self._unique(weights)
        weights = list(self._non_trainable_weights)
        for layer in self._layers:
            weights += layer.non_trainable_weights
        return self._unique(weights)

    def _ordered_weights(self) -> list:
        weights = list(self._trainable_weights + self._non_trainable_weights)
        for layer in self._layers:
            weights += layer.weights
        return self._unique(weights)

    def get_weights(self) -> list:
        """All weight values, layer by layer (Keras 2 order)."""
        return [w.numpy() for w in self._ordered_weights()]

    def set_weights(self, weights: Any) -> None:
        """Sets all weights from :meth:`get_weights`-ordered NumPy arrays."""
        self._assign_weights(self._ordered_weights(), weights)

    def count_params(self) -> int:
        """The number of scalars in all weights."""
        if not self.built:
            raise KerasStateError(
                f"You tried to call `count_params` on {self.name}, but the layer isn't built. "
                f"You can build it manually via: `{self.name}.build(batch_input_shape)`."
            )
        return int(sum(int(np.prod(w.shape)) for w in self._ordered_weights()))

    def reset_states(self) -> None:
        """Resets the states of stateful layers (none among the layers rkeras has so far)."""
        for layer in self.layers:
            if hasattr(layer, "reset_states") and getattr(layer, "stateful", False):
                layer.reset_states()

    @property
    def state_updates(self) -> list:
        """Keras 2 attribute: updates of stateful layers (none so far)."""
        return []

    # ------------------------------------------------------------------ summary and config

    def summary(self, line_length: Optional[int] = None, positions: Optional[list] = None,
                print_fn: Any = None, **kwargs: Any) -> None:
        """Prints Keras 2's table of layers, output shapes and parameter counts."""
        from rkeras.engine.summary import print_summary

        if not self.built:
            self._raise_unbuilt()
        self._require_graph()
        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn)

    def get_config(self) -> dict:
        """The Keras 2 functional config: ``name``, ``layers`` (with ``inbound_nodes``),
        ``input_layers``, ``output_layers``."""
        self._require_graph()
        conversion: dict = {}
        for layer in self._layers:
            kept = 1 if isinstance(layer, Model) else 0
            for index in range(len(layer._inbound_nodes)):
                key = node_key(layer, index)
                if key in self._network_nodes:
                    conversion[key] = kept
                    kept += 1
        layer_configs = []
        for layer in self._layers:
            inbound = []
            for index, node in enumerate(layer._inbound_nodes):
                if node_key(layer, index) not in self._network_nodes or not node.inbound_layers:
                    continue
                kwargs = node.arguments or {}
                if kwargs:
                    try:
                        json.dumps(kwargs)
                    except TypeError:
                        warnings.warn(f"Layer {layer.name} was passed non-serializable keyword "
                                      f"arguments: {kwargs}. They will not be included in the "
                                      "serialized model.", stacklevel=2)
                        kwargs = {}
                inbound.append([
                    [inl.name, conversion.get(node_key(inl, ni), 0), ti, kwargs]
                    for inl, ni, ti in zip(node.inbound_layers, node.node_indices,
                                           node.tensor_indices)
                ])
            from rkeras.utils.generic_utils import get_registered_name

            layer_configs.append({"name": layer.name,
                                  "class_name": get_registered_name(type(layer)),
                                  "config": layer.get_config(), "inbound_nodes": inbound})

        def coords(coordinates: list) -> list:
            return [[layer.name, conversion.get(node_key(layer, ni), 0), ti]
                    for layer, ni, ti in coordinates]

        return copy.deepcopy({"name": self.name, "layers": layer_configs,
                              "input_layers": coords(self._input_coordinates),
                              "output_layers": coords(self._output_coordinates)})

    # ------------------------------------------------------------------ saving

    def to_json(self, **kwargs: Any) -> str:
        """The model's architecture as Keras 2 JSON (``model_from_json`` rebuilds it)."""
        from rkeras.saving.model_config import to_json

        return to_json(self, **kwargs)

    def to_yaml(self, **kwargs: Any) -> str:
        """Removed in Keras 2.6 (YAML could run arbitrary code); use :meth:`to_json`."""
        raise RuntimeError("Method `model.to_yaml()` has been removed due to security risk of "
                           "arbitrary code execution. Please use `model.to_json()` instead.")

    def save(self, filepath: Any, overwrite: bool = True, include_optimizer: bool = True,
             save_format: Optional[str] = None, **kwargs: Any) -> None:
        """Saves the model: ``.keras`` (Keras 3 archive) or ``.h5`` (Keras 2 layout).
        Writes atomically (a temporary file then ``os.replace``)."""
        from rkeras.saving.api import save_model

        save_model(self, filepath, overwrite=overwrite, include_optimizer=include_optimizer,
                   save_format=save_format, **kwargs)

    def save_weights(self, filepath: Any, overwrite: bool = True, **kwargs: Any) -> None:
        """Saves the weights: ``.weights.h5`` (Keras 3 layout) or ``.h5`` (Keras 2)."""
        from rkeras.saving.api import save_weights

        save_weights(self, filepath, overwrite=overwrite, **kwargs)

    def load_weights(self, filepath: Any, by_name: bool = False, skip_mismatch: bool = False,
                     **kwargs: Any) -> None:
        """Loads weights saved by :meth:`save_weights` (or a ``.keras`` file's weights)."""
        from rkeras.saving.api import load_weights

        if not self.built:
            self._raise_unbuilt()
        load_weights(self, filepath, by_name=by_name, skip_mismatch=skip_mismatch, **kwargs)

    @classmethod
    def from_config(cls, config: dict, custom_objects: Optional[dict] = None) -> "Model":
        """Rebuilds a functional model from :meth:`get_config`'s output (Keras 2's or Keras
        3's ``inbound_nodes`` format)."""
        from rkeras.saving.functional_config import rebuild_functional

        return rebuild_functional(config, custom_objects=custom_objects, cls=cls)
