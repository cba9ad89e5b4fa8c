"""``Sequential``: a linear stack of layers.

When the first layer knows its input shape (``input_shape``, ``input_dim``,
``batch_input_shape``, or an ``Input``/``InputLayer`` added first) the model builds as layers are
added, so ``summary()`` works at once; otherwise it builds on ``model.build(input_shape)`` (which
``fit`` calls from the first batch of data).

>>> from rkeras.layers import Dense, Dropout
>>> from rkeras.models import Sequential
>>> model = Sequential()
>>> model.add(Dense(16, activation="relu", input_shape=(8,)))
>>> model.add(Dropout(0.5))
>>> model.add(Dense(2, activation="softmax"))
>>> model.output_shape, model.count_params()
((None, 2), 178)
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np

from rkeras.backend import config as _config
from rkeras.backend.tensors import SymbolicTensor
from rkeras.engine.base_layer import Layer, to_list
from rkeras.engine.functional import Model
from rkeras.engine.input_layer import Input, InputLayer

_SINGLE_OUTPUT = ("All layers in a Sequential model should have a single output tensor. "
                  "For multi-output layers, use the functional API.")


def _first_layer_of(layer: Layer) -> Layer:
    first = layer
    while isinstance(first, Model):
        if isinstance(first, Sequential):
            if first._explicit_input is not None:
                return first._explicit_input
            if not first._seq_layers:
                raise ValueError("Cannot add an empty model to a `Sequential` model.")
            first = first._seq_layers[0]
        else:
            first = first.layers[0]
    return first


class Sequential(Model):
    """A linear stack of layers: ``Sequential(layers=None, name=None)``, ``add``, ``pop``.

    >>> from rkeras import backend as K
    >>> from rkeras.layers import Dense
    >>> from rkeras.models import Sequential
    >>> K.clear_session()
    >>> model = Sequential([Dense(4, input_dim=3), Dense(1)])
    >>> [layer.name for layer in model.layers], model.input_shape
    (['dense_1', 'dense_2'], (None, 3))
    """

    def __init__(self, layers: Optional[Sequence[Layer]] = None, name: Optional[str] = None,
                 **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self._seq_layers: list = []
        self._explicit_input: Optional[InputLayer] = None
        self._chain: list = []  # output tensor after each layer of _seq_layers
        self._build_input_shape: Any = None
        self.built = False
        for layer in layers or []:
            self.add(layer)

    def _require_graph(self) -> None:
        if not self.built:
            raise AttributeError(
                f'Sequential model "{self.name}" has not yet been built: it has no input shape '
                "yet. Specify input_shape (or input_dim, batch_input_shape) on the first layer, "
                "or call build(input_shape) or fit() first."
            )

    def _raise_unbuilt(self) -> None:
        raise ValueError(
            "This model has not yet been built. Build the model first by calling build() "
            "or calling fit() with some data. Or specify input_shape or batch_input_shape "
            "in the first layer for automatic build. "
        )

    @property
    def layers(self) -> list:
        """The added layers (the input layer is not listed, as in Keras 2)."""
        return list(self._seq_layers)

    def add(self, layer: Any) -> None:
        """Appends `layer` (a Layer, or an ``Input`` tensor / ``InputLayer`` as first entry)."""
        if isinstance(layer, SymbolicTensor) and hasattr(layer, "_keras_history"):
            origin = layer._keras_history[0]
            if isinstance(origin, InputLayer):
                layer = origin
        if not isinstance(layer, Layer):
            raise TypeError(f"The added layer must be an instance of class Layer. "
                            f"Found: {layer}")
        if isinstance(layer, InputLayer):
            if self._seq_layers or self._explicit_input is not None:
                raise ValueError("An `InputLayer` can only be the first layer of a "
                                 "`Sequential` model.")
            self._explicit_input = layer
            self.inputs = list(layer._inbound_nodes[-1].output_tensors)
            self._chain = []
            self.outputs = list(self.inputs)
            return
        for existing in self._seq_layers:
            if existing.name == layer.name:
                raise ValueError(
                    "All layers added to a Sequential model should have unique names. Name "
                    f'"{layer.name}" is already the name of a layer in this model. Update the '
                    "`name` argument to pass a unique name."
                )
        if not self.inputs:
            if not self._seq_layers:
                first = _first_layer_of(layer)
                if hasattr(first, "batch_input_shape"):
                    x = Input(batch_shape=first.batch_input_shape,
                              dtype=getattr(first, "dtype", None) or _config.floatx(),
                              name=f"{layer.name}_input")
                    y = self._call_single(layer, x)
                    self.inputs = [x]
                    self._chain = [y]
                    self._seq_layers.append(layer)
                    self._rebuild()
                    return
            self._seq_layers.append(layer)
            self.built = False
            return
        current = self._chain[-1] if self._chain else self.inputs[0]
        y = self._call_single(layer, current)
        self._seq_layers.append(layer)
        self._chain.append(y)
        self._rebuild()

    @staticmethod
    def _call_single(layer: Layer, x: SymbolicTensor) -> SymbolicTensor:
        y = layer(x)
        if isinstance(y, (list, tuple)):
            raise TypeError(_SINGLE_OUTPUT)
        return y

    def _rebuild(self) -> None:
        self.outputs = [self._chain[-1]] if self._chain else list(self.inputs)
        self._init_graph_network(self.inputs, self.outputs)

    def pop(self) -> None:
        """Removes the last layer."""
        if not self._seq_layers:
            raise TypeError("There are no layers in the model.")
        self._seq_layers.pop()
        if self._chain:
            last = self._chain.pop()
            producer = last._keras_history[0]
            node = producer._inbound_nodes[last._keras_history[1]]
            for inbound in node.inbound_layers:
                if node in inbound._outbound_nodes:
                    inbound._outbound_nodes.remove(node)
        if not self._seq_layers and self._explicit_input is None:
            self.inputs, self.outputs = [], []
            self._chain = []
            self._is_graph_network = False
            self.built = False
        elif self._chain or self._explicit_input is not None:
            self._rebuild()

    def build(self, input_shape: Any = None) -> None:
        """Builds the model for inputs of `input_shape` (batch dimension included, e.g.
        ``(None, 784)``); a no-op when the model already knows its input."""
        if input_shape is not None and not self.inputs:
            batch_shape = tuple(input_shape)
            x = Input(batch_shape=batch_shape, dtype=_config.floatx(),
                      name=f"{self.name}_input")
            self.inputs = [x]
            self._chain = []
            for layer in self._seq_layers:
                x = self._call_single(layer, x)
                self._chain.append(x)
            self._build_input_shape = input_shape
        if self.inputs:
            self._rebuild()
        elif input_shape is None:
            raise ValueError("You must provide an `input_shape` argument.")

    def _maybe_build(self, inputs: Any) -> None:
        if not self.built:
            first = to_list(inputs)[0]
            shape = tuple(np.shape(first)) if not hasattr(first, "shape") else tuple(first.shape)
            self.build((None,) + shape[1:])

    def call(self, inputs: Any, training: Any = None, mask: Any = None) -> Any:
        """Runs the layers in order on `inputs` (see :meth:`Model.call`)."""
        self._maybe_build(inputs)
        return super().call(inputs, training=training, mask=mask)

    def get_config(self) -> dict:
        """Keras 2.3's config: ``{"name": ..., "layers": [{"class_name", "config"}, ...]}``."""
        from rkeras.layers import serialize

        layers = [serialize(layer) for layer in self._seq_layers]
        if self._explicit_input is not None:
            layers.insert(0, serialize(self._explicit_input))
        config: dict = {"name": self.name, "layers": layers}
        if self._build_input_shape is not None:
            config["build_input_shape"] = tuple(self._build_input_shape)
        return config

    @classmethod
    def from_config(cls, config: Any, custom_objects: Optional[dict] = None) -> "Sequential":
        """Rebuilds the model from :meth:`get_config`'s output (a bare Keras 2.2 layer list
        works too)."""
        from rkeras.layers import deserialize

        if isinstance(config, dict):
            name, layer_configs = config.get("name"), config["layers"]
        else:
            name, layer_configs = None, config
        model = cls(name=name)
        for conf in layer_configs:
            model.add(deserialize(conf, custom_objects=custom_objects))
        build_shape = config.get("build_input_shape") if isinstance(config, dict) else None
        if not model.built and build_shape is not None and model._seq_layers:
            model.build(tuple(build_shape))
        if isinstance(config, dict) and config.get("trainable") is False:
            model.trainable = False
        return model
