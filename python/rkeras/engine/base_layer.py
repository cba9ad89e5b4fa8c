"""``Layer``: the base class of every layer and model (Keras 2 semantics).

A layer holds its weights (:class:`rkeras.backend.Variable`, living in the Rust parameter store),
builds them from the first input shape it sees, and computes with ``rkeras.backend`` functions in
``call``. Called on symbolic tensors (from ``Input``) it records a :class:`Node` so that models
can be assembled from the calls; called on NumPy arrays it computes at once (eagerly).

>>> import numpy as np
>>> from rkeras import backend as K
>>> from rkeras.engine.base_layer import Layer
>>> class Double(Layer):
...     def call(self, inputs):
...         return inputs * 2.0
>>> Double()(np.ones((1, 2), "float32")).tolist()
[[2.0, 2.0]]
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
from typing import Any, Callable, Iterator, Optional, Sequence

import numpy as np

from rkeras.backend import config as _config
from rkeras.backend.tensors import SymbolicTensor, Variable
from rkeras.engine import naming
from rkeras.engine.input_spec import assert_input_compatibility
from rkeras.engine.node import Node


class KerasStateError(ValueError, RuntimeError):
    """A misuse Keras 2 reports as RuntimeError and Keras 3 as ValueError: catch either.

    >>> issubclass(KerasStateError, ValueError) and issubclass(KerasStateError, RuntimeError)
    True
    """


# ----------------------------------------------------------------------------- small helpers


def to_list(x: Any) -> list:
    """`x` as a list (tuples become lists; a single object a one-element list)."""
    if isinstance(x, list):
        return x
    if isinstance(x, tuple):
        return list(x)
    return [x]


def unpack_singleton(x: Any) -> Any:
    """The only element of a one-element list, else `x` unchanged."""
    if isinstance(x, list) and len(x) == 1:
        return x[0]
    return x


def has_arg(fn: Callable, name: str, accept_all: bool = False) -> bool:
    """True when `fn` takes an argument called `name` (or ``**kwargs`` with `accept_all`)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    if name in params and params[name].kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                                inspect.Parameter.KEYWORD_ONLY):
        return True
    if accept_all:
        return any(p.kind == inspect.Parameter.VAR_KEYWORD for p in params.values())
    return False


def _int_shape(x: Any) -> tuple:
    if isinstance(x, (SymbolicTensor, Variable)):
        return tuple(x.shape)
    return tuple(np.shape(x))


def _shapes_compatible(a: Sequence, b: Sequence) -> bool:
    if len(a) != len(b):
        return False
    return all(x is None or y is None or x == y for x, y in zip(a, b))


# ----------------------------------------------------------------------------- resolution of
# initializers / activations / regularizers / constraints (other packages, imported lazily)


def _module_get(module: str) -> Optional[Callable]:
    try:
        mod = importlib.import_module(f"rkeras.{module}")
    except ImportError:
        return None
    return getattr(mod, "get", None)


def _glorot_uniform(shape: Sequence[int], dtype: Optional[str] = None) -> np.ndarray:
    from rkeras.backend import functions as K

    shape = tuple(int(d) for d in shape)
    if len(shape) == 0:
        fan_in = fan_out = 1
    elif len(shape) == 1:
        fan_in = fan_out = shape[0]
    elif len(shape) == 2:
        fan_in, fan_out = shape
    else:
        field = int(np.prod(shape[:-2]))
        fan_in, fan_out = shape[-2] * field, shape[-1] * field
    limit = float(np.sqrt(6.0 / max(1.0, (fan_in + fan_out))))
    return np.asarray(K.random_uniform(shape, -limit, limit), dtype=np.float32)


_FALLBACK_INITIALIZERS = {
    "zeros": lambda shape, dtype=None: np.zeros(tuple(shape), np.float32),
    "zero": lambda shape, dtype=None: np.zeros(tuple(shape), np.float32),
    "ones": lambda shape, dtype=None: np.ones(tuple(shape), np.float32),
    "one": lambda shape, dtype=None: np.ones(tuple(shape), np.float32),
    "glorot_uniform": _glorot_uniform,
}


def get_initializer(identifier: Any) -> Any:
    """``rkeras.initializers.get(identifier)`` (a few built-ins while that package is absent)."""
    get = _module_get("initializers")
    if get is not None:
        return get(identifier)
    if identifier is None or callable(identifier):
        return identifier
    if isinstance(identifier, str) and identifier in _FALLBACK_INITIALIZERS:
        return _FALLBACK_INITIALIZERS[identifier]
    raise ValueError(f"Unknown initializer: {identifier!r}")


def _fallback_activation(identifier: Any) -> Callable:
    from rkeras.backend import functions as K

    if identifier is None or identifier == "linear":
        return linear
    if callable(identifier):
        return identifier
    fn = getattr(K, str(identifier), None) if isinstance(identifier, str) else None
    if fn is None or identifier not in (
        "relu", "softmax", "sigmoid", "tanh", "elu", "selu", "softplus", "softsign",
        "hard_sigmoid", "exponential",
    ):
        raise ValueError(f"Unknown activation function: {identifier!r}")
    return fn


def linear(x: Any) -> Any:
    """The identity activation."""
    return x


def get_activation(identifier: Any) -> Callable:
    """``rkeras.activations.get(identifier)`` (K functions while that package is absent)."""
    get = _module_get("activations")
    if get is not None:
        fn = get(identifier)
        return linear if fn is None else fn
    return _fallback_activation(identifier)


def get_regularizer(identifier: Any) -> Any:
    """``rkeras.regularizers.get(identifier)``; ``None`` stays ``None``."""
    if identifier is None:
        return None
    get = _module_get("regularizers")
    if get is not None:
        return get(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Unknown regularizer: {identifier!r} (rkeras.regularizers is unavailable)")


def get_constraint(identifier: Any) -> Any:
    """``rkeras.constraints.get(identifier)``; ``None`` stays ``None``."""
    if identifier is None:
        return None
    get = _module_get("constraints")
    if get is not None:
        return get(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Unknown constraint: {identifier!r} (rkeras.constraints is unavailable)")


def serialize_object(module: str, obj: Any) -> Any:
    """``rkeras.<module>.serialize(obj)``, or a plain name when that package is absent."""
    if obj is None:
        return None
    try:
        mod = importlib.import_module(f"rkeras.{module}")
        serialize = mod.serialize
    except (ImportError, AttributeError):
        if isinstance(obj, str):
            return obj
        return getattr(obj, "__name__", type(obj).__name__)
    return serialize(obj)


# ----------------------------------------------------------------------------- loss collection

_loss_collectors: list = []


@contextlib.contextmanager
def collect_losses() -> Iterator[list]:
    """Collects the losses layers add while a model is called or replayed (activity
    regularization and ``layer.add_loss``): each is a scalar tensor of the graph traced.

    >>> import numpy as np
    >>> from rkeras.layers import ActivityRegularization
    >>> with collect_losses() as losses:
    ...     _ = ActivityRegularization(l1=0.5)(np.array([[1.0, -3.0]], "float32"))
    >>> [float(v) for v in losses]
    [2.0]
    """
    bucket: list = []
    _loss_collectors.append(bucket)
    try:
        yield bucket
    finally:
        _loss_collectors.remove(bucket)


def _active_trace() -> Any:
    """The trainer's active trace (``rkeras.engine.trace``), if a model is being lowered."""
    try:
        from rkeras.engine import trace
    except ImportError:
        return None
    current = getattr(trace, "current", None)
    return current() if current is not None else None


def _collecting() -> bool:
    return bool(_loss_collectors) or _active_trace() is not None


def _report_loss(loss: Any) -> bool:
    """Hands `loss` to the active collectors: :func:`collect_losses` blocks and the trainer's
    trace. False when nothing collects."""
    reported = False
    if _loss_collectors:
        _loss_collectors[-1].append(loss)
        reported = True
    active = _active_trace()
    if active is not None:
        from rkeras.engine import trace

        trace.add_loss(loss)
        reported = True
    return reported


def _mean_value(value: Any) -> Any:
    """A scalar metric value: the mean of `value` when it has axes."""
    if isinstance(value, SymbolicTensor) and value.ndim > 0:
        from rkeras.backend import functions as K

        return K.mean(value)
    return value


# ----------------------------------------------------------------------------- Layer

_ALLOWED_KWARGS = frozenset({"input_dtype", "autocast"})


class Layer:
    """Base class of layers: weights, ``build``, ``call``, symbolic history and config.

    Subclass it and implement ``build(input_shape)`` (create weights with :meth:`add_weight`),
    ``call(inputs)`` (compute with ``rkeras.backend`` functions) and, when the output shape
    differs from the input's, ``compute_output_shape(input_shape)``.

    >>> import numpy as np
    >>> from rkeras import backend as K
    >>> from rkeras.engine.base_layer import Layer
    >>> class Scale(Layer):
    ...     def build(self, input_shape):
    ...         self.w = self.add_weight(name="w", shape=(input_shape[-1],),
    ...                                  initializer="ones")
    ...         super().build(input_shape)
    ...     def call(self, inputs):
    ...         return inputs * self.w
    >>> layer = Scale()
    >>> layer(np.array([[1.0, 2.0]], "float32")).tolist()
    [[1.0, 2.0]]
    >>> layer.name, [w.shape for w in layer.weights]
    ('scale_1', [(2,)])
    """

    def __init__(self, trainable: bool = True, name: Optional[str] = None,
                 dtype: Optional[str] = None, input_shape: Optional[Sequence] = None,
                 batch_input_shape: Optional[Sequence] = None, input_dim: Optional[int] = None,
                 batch_size: Optional[int] = None, weights: Optional[list] = None,
                 activity_regularizer: Any = None, **kwargs: Any) -> None:
        for kwarg in kwargs:
            if kwarg not in _ALLOWED_KWARGS:
                raise TypeError("Keyword argument not understood:", kwarg)
        self._inbound_nodes: list = []
        self._outbound_nodes: list = []
        self._trainable_weights: list = []
        self._non_trainable_weights: list = []
        self._weight_regularizers: list = []
        self._constraints: dict = {}
        self._losses: list = []
        self._sublayers: list = []
        self.supports_masking = getattr(self, "supports_masking", False)
        self.stateful = False
        self.built = False
        self.input_spec = getattr(self, "input_spec", None)
        self.trainable = trainable
        if not name:
            name = self._default_name()
        self.name = name
        if input_shape is None and input_dim is not None:
            input_shape = (input_dim,)
        if batch_input_shape is not None:
            self.batch_input_shape = tuple(batch_input_shape)
        elif input_shape is not None:
            self.batch_input_shape = (batch_size,) + tuple(input_shape)
        if dtype is None:
            dtype = kwargs.get("input_dtype")
        self.dtype = dtype if dtype is not None else _config.floatx()
        self._initial_weights = weights
        self.activity_regularizer = get_regularizer(activity_regularizer)

    def _default_name(self) -> str:
        return naming.unique_name(naming.to_snake_case(type(self).__name__))

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, Layer) and value is not self and not name.startswith("_"):
            subs = self.__dict__.setdefault("_sublayers", [])
            if not any(s is value for s in subs):
                subs.append(value)
        object.__setattr__(self, name, value)

    # ------------------------------------------------------------------ weights

    _K2_WEIGHT_ARGS = ("name", "shape", "dtype", "initializer", "regularizer", "trainable",
                       "constraint")
    _K3_WEIGHT_ARGS = ("shape", "initializer", "dtype", "trainable", "regularizer",
                       "constraint", "name")

    def add_weight(self, *args: Any, **kwargs: Any) -> Variable:
        """Creates a weight of this layer and returns it (a :class:`rkeras.backend.Variable`).

        Keras 2's ``add_weight(name, shape, dtype=None, initializer=None, regularizer=None,
        trainable=True, constraint=None)``; Keras 3's positional order ``(shape, initializer,
        dtype, trainable, regularizer, constraint, name)`` is recognised when the first
        positional argument is a shape. `initializer` is a name, an ``rkeras.initializers``
        object or a callable ``(shape, dtype=None) -> array`` (default ``'glorot_uniform'``).
        A `regularizer` and a `constraint` are kept with the weight (the trainer applies them).
        """
        order = self._K2_WEIGHT_ARGS
        if args and (isinstance(args[0], (tuple, list)) or
                     (isinstance(args[0], int) and not isinstance(args[0], bool))):
            order = self._K3_WEIGHT_ARGS
        if len(args) > len(order):
            raise TypeError(f"add_weight() takes at most {len(order)} positional arguments")
        for key, value in zip(order, args):
            if key in kwargs:
                raise TypeError(f"add_weight() got multiple values for argument '{key}'")
            kwargs[key] = value
        for ignored in ("use_resource", "synchronization", "aggregation", "autocast",
                        "partitioner", "caching_device", "experimental_autocast"):
            kwargs.pop(ignored, None)
        unknown = set(kwargs) - set(self._K2_WEIGHT_ARGS)
        if unknown:
            raise TypeError(f"add_weight() got an unexpected keyword argument "
                            f"'{sorted(unknown)[0]}'")
        name = kwargs.get("name")
        shape = kwargs.get("shape")
        dtype = kwargs.get("dtype")
        initializer = kwargs.get("initializer")
        regularizer = kwargs.get("regularizer")
        trainable = kwargs.get("trainable", True)
        constraint = kwargs.get("constraint")
        if shape is None:
            shape = ()
        shape = (int(shape),) if isinstance(shape, int) else tuple(int(d) for d in shape)
        name = name or "variable"
        dtype = dtype or self.dtype
        init = get_initializer("glorot_uniform" if initializer is None else initializer)
        value = init(shape, dtype=dtype) if has_arg(init, "dtype", True) else init(shape)
        value = np.asarray(value, dtype=np.float32)
        if value.shape != shape:
            value = np.ascontiguousarray(np.broadcast_to(value, shape), dtype=np.float32)
        var = Variable(value, dtype=dtype, name=f"{self.name}/{name}:0", trainable=trainable)
        reg = get_regularizer(regularizer)
        if reg is not None:
            self._weight_regularizers.append((reg, var))
        cons = get_constraint(constraint)
        var.constraint = cons
        if cons is not None:
            self._constraints[var.handle] = cons
        if trainable:
            self._trainable_weights.append(var)
        else:
            self._non_trainable_weights.append(var)
        return var

    @staticmethod
    def _unique(weights: list) -> list:
        seen: set = set()
        out = []
        for w in weights:
            if id(w) not in seen:
                seen.add(id(w))
                out.append(w)
        return out

    @property
    def trainable_weights(self) -> list:
        """The weights updated by training (empty when ``trainable`` is False)."""
        if not self.trainable:
            return []
        weights = list(self._trainable_weights)
        for sub in self._sublayers:
            weights += sub.trainable_weights
        return self._unique(weights)

    @property
    def non_trainable_weights(self) -> list:
        """The weights training leaves alone."""
        if self.trainable:
            weights = list(self._non_trainable_weights)
            for sub in self._sublayers:
                weights += sub.non_trainable_weights
        else:
            weights = self._trainable_weights + self._non_trainable_weights
            for sub in self._sublayers:
                weights += sub.weights
        return self._unique(weights)

    @property
    def weights(self) -> list:
        """All weights: the trainable ones, then the others."""
        return self._unique(self.trainable_weights + self.non_trainable_weights)

    # Keras 1/2 aliases
    @property
    def trainable_variables(self) -> list:
        """Alias of :attr:`trainable_weights`."""
        return self.trainable_weights

    @property
    def non_trainable_variables(self) -> list:
        """Alias of :attr:`non_trainable_weights`."""
        return self.non_trainable_weights

    @property
    def variables(self) -> list:
        """Alias of :attr:`weights`."""
        return self.weights

    def get_weights(self) -> list:
        """The weight values as NumPy arrays, in :attr:`weights` order."""
        return [w.numpy() for w in self.weights]

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Sets the weights from NumPy arrays (same number and shapes as :meth:`get_weights`)."""
        self._assign_weights(self.weights, weights)

    def _assign_weights(self, params: Sequence[Any], weights: Sequence[Any]) -> None:
        """Checks every array against its variable (Keras's messages), then assigns them all,
        so a bad list changes nothing."""
        weights = list(weights)
        if len(params) != len(weights):
            raise ValueError(
                f'You called `set_weights(weights)` on layer "{self.name}" with a  weight list '
                f"of length {len(weights)}, but the layer was expecting {len(params)} weights. "
                f"Provided weights: {str(weights)[:50]}..."
            )
        pairs = []
        for p, w in zip(params, weights):
            arr = np.asarray(w)
            if tuple(p.shape) != tuple(arr.shape):
                raise ValueError(f"Layer weight shape {tuple(p.shape)} not compatible with "
                                 f"provided weight shape {tuple(arr.shape)}")
            pairs.append((p, arr))
        for p, arr in pairs:
            p.assign(arr)

    def count_params(self) -> int:
        """The number of scalars in the weights (the layer must be built)."""
        if not self.built:
            raise KerasStateError(
                f"You tried to call `count_params` on {self.name}, but the layer isn't built. "
                f"You can build it manually via: `{self.name}.build(batch_input_shape)`."
            )
        return int(sum(int(np.prod(w.shape)) for w in self.weights))

    # ------------------------------------------------------------------ losses

    def add_loss(self, losses: Any, inputs: Any = None) -> None:
        """Adds loss tensor(s) computed in ``call``; the trainer adds them to the loss.

        While a model is lowered by the trainer (``rkeras.engine.trace``) or inside
        :func:`collect_losses`, the losses go there; otherwise they are kept in
        ``layer._losses`` (see :attr:`losses`).
        """
        for loss in to_list(losses):
            if loss is None:
                continue
            if not _report_loss(loss):
                self._losses.append(loss)

    def add_metric(self, value: Any, aggregation: Optional[str] = None,
                   name: Optional[str] = None) -> None:
        """Reports a metric tensor computed in ``call`` under `name` (averaged over the
        samples of each batch, then over the epoch, like a compiled metric; Keras 2.3's
        ``add_metric(value, aggregation='mean', name=...)``)."""
        if aggregation not in (None, "mean"):
            raise ValueError(f"We currently support only `mean` sample-wise metric "
                             f"aggregation. You provided aggregation=`{aggregation}`")
        if name is None:
            raise ValueError("Please provide a name for your metric like "
                             "`self.add_metric(tf.reduce_sum(inputs), name='mean_activation', "
                             "aggregation='mean')`")
        from rkeras.engine import trace

        if trace.current() is not None:
            trace.add_metric(str(name), _mean_value(value))

    def add_update(self, updates: Any, inputs: Any = None) -> None:
        """Schedules state updates (``K.update(variable, value)`` or ``(variable, value)``)
        to run after each training step of the program being traced; ignored otherwise (e.g.
        while a model is being built on ``Input`` tensors)."""
        try:
            from rkeras.engine import trace
        except ImportError:
            return
        for update in to_list(updates):
            if update is None:
                continue
            if isinstance(update, (tuple, list)) and len(update) == 2:
                variable, value = update
            else:
                variable, value = update.variable, update.value
            trace.add_update(variable, value)

    @property
    def losses(self) -> list:
        """Losses added outside a training trace (the tensors ``add_loss`` got while the layer
        was called on ``Input`` tensors, eager values), then the current penalties of the
        weight regularizers (values), sublayers' included."""
        out = list(self._losses)
        for reg, var in self._weight_regularizers:
            out.append(reg(var))
        for sub in self._sublayers:
            out += sub.losses
        return out

    # ------------------------------------------------------------------ building and calling

    def build(self, input_shape: Any) -> None:
        """Creates the weights for inputs of `input_shape` (overridden by layers)."""
        self.built = True

    def call(self, inputs: Any, **kwargs: Any) -> Any:
        """The layer's computation (the identity here)."""
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The output shape for inputs of `input_shape` (the input shape here)."""
        return input_shape

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The output mask: ``None`` unless the layer supports masking (then the input mask)."""
        if not self.supports_masking:
            if mask is not None:
                if isinstance(mask, list):
                    if any(m is not None for m in mask):
                        raise TypeError(f"Layer {self.name} does not support masking, but was "
                                        f"passed an input_mask: {mask}")
                else:
                    raise TypeError(f"Layer {self.name} does not support masking, but was "
                                    f"passed an input_mask: {mask}")
            return None
        return mask

    def _maybe_build(self, inputs: Any) -> None:
        if self.built:
            return
        assert_input_compatibility(self.input_spec, inputs, self.name)
        shapes = [_int_shape(x) for x in to_list(inputs)]
        self.build(unpack_singleton(shapes))
        self.built = True
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def _run_call(self, inputs: Any, kwargs: dict) -> Any:
        """``call`` plus activity regularization (reported to an active loss collector)."""
        output = self.call(inputs, **kwargs)
        if self.activity_regularizer is not None and _collecting():
            for x in to_list(output):
                _report_loss(self.activity_regularizer(x))
        return output

    def __call__(self, inputs: Any, **kwargs: Any) -> Any:
        """Calls the layer: builds it if needed, checks the input spec, runs ``call``; on
        symbolic tensors from ``Input`` it also records a :class:`Node`."""
        if isinstance(inputs, tuple):
            inputs = list(inputs)
        try:
            return self._call_impl(inputs, kwargs)
        except ValueError as err:
            if type(err) is not ValueError or self.name in str(err) or \
                    getattr(self, "_is_graph_network", False):
                raise
            shapes = unpack_singleton([_int_shape(x) for x in to_list(inputs)])
            raise ValueError(f'{err}\n\nException encountered when calling layer "{self.name}" '
                             f"(type {type(self).__name__}) on inputs of shape {shapes}.") \
                from err

    def _call_impl(self, inputs: Any, kwargs: dict) -> Any:
        flat = to_list(inputs)
        self._maybe_build(inputs)
        assert_input_compatibility(self.input_spec, inputs, self.name)
        if not any(isinstance(x, SymbolicTensor) for x in flat):
            return self._run_call(inputs, kwargs)

        masks = [getattr(x, "_keras_mask", None) for x in flat]
        previous_mask = unpack_singleton(masks)
        user_kwargs = dict(kwargs)
        if any(m is not None for m in masks) and has_arg(self.call, "mask") \
                and "mask" not in kwargs:
            kwargs["mask"] = previous_mask
        output = self._run_call(inputs, kwargs)
        output_mask = self.compute_mask(inputs, previous_mask)

        in_ids = {id(x) for x in flat}
        outputs = []
        for x in to_list(output):
            if isinstance(x, SymbolicTensor) and (id(x) in in_ids or
                                                  hasattr(x, "_keras_history")):
                x = SymbolicTensor(x.graph, x.node, x.dtype, name=x.name)
            outputs.append(x)
        output = outputs if isinstance(output, (list, tuple)) else outputs[0]
        self._check_output_shape(inputs, outputs)

        out_masks = output_mask if isinstance(output_mask, (list, tuple)) else \
            [output_mask] * len(outputs)
        if all(isinstance(x, SymbolicTensor) and hasattr(x, "_keras_history") for x in flat) \
                and all(isinstance(x, SymbolicTensor) for x in outputs):
            self._add_inbound_node(flat, outputs, masks, list(out_masks), user_kwargs)
        return output

    def _check_output_shape(self, inputs: Any, outputs: list) -> None:
        if type(self).compute_output_shape is Layer.compute_output_shape:
            return
        in_shapes = [_int_shape(x) for x in to_list(inputs)]
        try:
            expected = self.compute_output_shape(unpack_singleton(in_shapes))
        except NotImplementedError:
            return
        if expected is None:
            return
        expected_list = expected if isinstance(expected, list) else [expected]
        actual = [_int_shape(x) for x in outputs]
        if len(expected_list) != len(actual) or not all(
                _shapes_compatible(tuple(e), a) for e, a in zip(expected_list, actual)):
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) produced outputs of shape '
                f"{unpack_singleton(actual)}, but its compute_output_shape returns "
                f"{unpack_singleton([tuple(e) for e in expected_list])} for input shape "
                f"{unpack_singleton(in_shapes)}"
            )

    def _add_inbound_node(self, input_tensors: list, output_tensors: list, input_masks: list,
                          output_masks: list, arguments: dict) -> Node:
        inbound_layers, node_indices, tensor_indices = [], [], []
        for x in input_tensors:
            layer, node_index, tensor_index = x._keras_history
            inbound_layers.append(layer)
            node_indices.append(node_index)
            tensor_indices.append(tensor_index)
        node = Node(self, inbound_layers, node_indices, tensor_indices, input_tensors,
                    output_tensors, input_masks, output_masks,
                    [_int_shape(x) for x in input_tensors],
                    [_int_shape(x) for x in output_tensors], arguments)
        node_index = len(self._inbound_nodes) - 1
        for i, (x, m) in enumerate(zip(output_tensors, output_masks)):
            x._keras_history = (self, node_index, i)
            x._keras_mask = m
        return node

    # ------------------------------------------------------------------ symbolic history

    @property
    def inbound_nodes(self) -> list:
        """The nodes of this layer's calls (Keras 2.0 public name)."""
        return self._inbound_nodes

    @property
    def outbound_nodes(self) -> list:
        """The nodes of calls that consumed this layer's outputs."""
        return self._outbound_nodes

    def _node_attr(self, node_index: int, attr: str, what: str) -> Any:
        if not self._inbound_nodes:
            raise RuntimeError(f"The layer has never been called and thus has no defined "
                               f"{what}.")
        if not -len(self._inbound_nodes) <= node_index < len(self._inbound_nodes):
            raise ValueError(f"Asked to get {what} at node {node_index}, but the layer has only "
                             f"{len(self._inbound_nodes)} inbound nodes.")
        return unpack_singleton(list(getattr(self._inbound_nodes[node_index], attr)))

    def get_input_at(self, node_index: int) -> Any:
        """The input tensor(s) of the call `node_index`."""
        return self._node_attr(node_index, "input_tensors", "input")

    def get_output_at(self, node_index: int) -> Any:
        """The output tensor(s) of the call `node_index`."""
        return self._node_attr(node_index, "output_tensors", "output")

    def get_input_shape_at(self, node_index: int) -> Any:
        """The input shape(s) of the call `node_index`."""
        return self._node_attr(node_index, "input_shapes", "input shape")

    def get_output_shape_at(self, node_index: int) -> Any:
        """The output shape(s) of the call `node_index`."""
        return self._node_attr(node_index, "output_shapes", "output shape")

    def get_input_mask_at(self, node_index: int) -> Any:
        """The input mask(s) of the call `node_index`."""
        return self._node_attr(node_index, "input_masks", "input mask")

    def get_output_mask_at(self, node_index: int) -> Any:
        """The output mask(s) of the call `node_index`."""
        return self._node_attr(node_index, "output_masks", "output mask")

    def _single_node(self, what: str, attr: str) -> Any:
        if not self._inbound_nodes:
            raise AttributeError(f"Layer {self.name} is not connected, no {what} to return.")
        if len(self._inbound_nodes) > 1:
            raise AttributeError(
                f"Layer {self.name} has multiple inbound nodes, hence the notion of "
                f'"layer {what}" is ill-defined. Use `get_{attr}_at(node_index)` instead.'
            )
        return unpack_singleton(list(getattr(self._inbound_nodes[0], attr + "_tensors")))

    @property
    def input(self) -> Any:
        """The input tensor(s) (the layer must have been called once)."""
        return self._single_node("input", "input")

    @property
    def output(self) -> Any:
        """The output tensor(s) (the layer must have been called once)."""
        return self._single_node("output", "output")

    @property
    def input_mask(self) -> Any:
        """The input mask(s) of the layer's single call."""
        self._single_node("input mask", "input")
        return unpack_singleton(list(self._inbound_nodes[0].input_masks))

    @property
    def output_mask(self) -> Any:
        """The output mask(s) of the layer's single call."""
        self._single_node("output mask", "output")
        return unpack_singleton(list(self._inbound_nodes[0].output_masks))

    def _shape_over_nodes(self, attr: str, what: str, getter: str) -> Any:
        if not self._inbound_nodes:
            raise AttributeError(f"The layer has never been called and thus has no defined "
                                 f"{what}.")
        shapes = {str(getattr(node, attr)) for node in self._inbound_nodes}
        if len(shapes) == 1:
            return unpack_singleton(list(getattr(self._inbound_nodes[0], attr)))
        raise AttributeError(
            f'The layer "{self.name} has multiple inbound nodes, with different {what}s. '
            f'Hence the notion of "{what}" is ill-defined for the layer. '
            f"Use `{getter}(node_index)` instead."
        )

    @property
    def input_shape(self) -> Any:
        """The input shape (tuple, or list of tuples), same on every call of the layer."""
        return self._shape_over_nodes("input_shapes", "input shape", "get_input_shape_at")

    @property
    def output_shape(self) -> Any:
        """The output shape (tuple, or list of tuples), same on every call of the layer."""
        return self._shape_over_nodes("output_shapes", "output shape", "get_output_shape_at")

    # ------------------------------------------------------------------ config

    def get_config(self) -> dict:
        """The layer's constructor arguments (Keras's keys)."""
        config: dict = {"name": self.name, "trainable": self.trainable}
        if hasattr(self, "batch_input_shape"):
            config["batch_input_shape"] = self.batch_input_shape
        config["dtype"] = self.dtype
        return config

    @classmethod
    def from_config(cls, config: dict) -> "Layer":
        """A layer built from :meth:`get_config`'s output."""
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__module__}.{type(self).__name__} name={self.name}>"
