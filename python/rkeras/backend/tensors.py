"""Tensors of the backend: symbolic graph tensors, variables, and the eager/symbolic dispatch.

Every backend function goes through :func:`apply`: with any symbolic input it records a core op
in that tensor's graph; otherwise it runs the op at once on NumPy arrays through the Rust
kernels and returns a NumPy array.
"""

from __future__ import annotations

import itertools
import weakref
from typing import Any, Optional, Sequence

import numpy as np

from rkeras import _rkeras
from rkeras.backend import config

_BOOL_OPS = frozenset(
    {"equal", "not_equal", "greater", "greater_equal", "less", "less_equal",
     "logical_and", "logical_or", "logical_not"}
)
_INT_OPS = frozenset({"argmax", "argmin"})

_uid = itertools.count(1)


class FuncGraph:
    """A graph that symbolic tensors are recorded into (one per trace or ``K`` scope)."""

    def __init__(self, name: str = "graph") -> None:
        self.name = name
        self.raw = _rkeras.Graph()
        # Variables read by this graph, kept alive as long as the graph (their store slots
        # must not be freed and reused while a compiled function may still read them).
        self._variables: dict[int, tuple] = {}

    def variable_node(self, var: "Variable") -> int:
        """The node reading `var` in this graph (added once)."""
        entry = self._variables.get(var.handle)
        if entry is None:
            entry = (var, self.raw.variable(var.handle))
            self._variables[var.handle] = entry
        return entry[1]

    def placeholder(self, shape: Sequence[Optional[int]], dtype: str,
                    name: str) -> "SymbolicTensor":
        """Adds a placeholder fed at run time."""
        node = self.raw.input(list(shape))
        return SymbolicTensor(self, node, dtype, name=name, placeholder=True)

    def constant(self, value: Any) -> int:
        """Adds a constant node from anything array-like."""
        return self.raw.constant(to_array(value, "constant"))


_default_graph: Optional[FuncGraph] = None


def default_graph() -> FuncGraph:
    """The graph that ``K.placeholder`` records into."""
    global _default_graph
    if _default_graph is None:
        _default_graph = FuncGraph("default")
    return _default_graph


def reset_default_graph() -> None:
    """Starts a fresh default graph (``K.clear_session``)."""
    global _default_graph
    _default_graph = None


def to_array(x: Any, op: str) -> np.ndarray:
    """A float32 C-contiguous NumPy array from array-like `x`, cast as Keras casts inputs."""
    if isinstance(x, Variable):
        return x.numpy()
    if isinstance(x, SymbolicTensor):
        raise TypeError(f"{op}: a symbolic tensor has no value here; use K.function to run it")
    arr = np.asarray(x)
    if arr.dtype == np.float32 and arr.flags.c_contiguous:
        return arr
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{op}: expected numeric data, got an array of dtype {arr.dtype} "
            f"(values such as {arr.ravel()[:3].tolist()!r})"
        )
    return np.asarray(arr, dtype=np.float32, order="C")


def result_dtype(name: str, inputs: Sequence[Any], attrs: dict) -> str:
    """The Keras dtype of an op's result (values are computed in float32 either way)."""
    if name in _BOOL_OPS:
        return "bool"
    if name in _INT_OPS:
        return "int64"
    if name == "cast":
        return str(attrs["dtype"])
    return config.floatx()


def _as_dtype(arr: np.ndarray, dtype: str) -> np.ndarray:
    return arr if dtype == "float32" else arr.astype(dtype)


def apply(name: str, inputs: Sequence[Any], **attrs: Any) -> Any:
    """Runs op `name` eagerly, or records it when an input is symbolic."""
    if any(isinstance(x, SymbolicDim) for x in inputs):
        inputs = [x.tensor() if isinstance(x, SymbolicDim) else x for x in inputs]
    dtype = result_dtype(name, inputs, attrs)
    graph = None
    for x in inputs:
        if isinstance(x, SymbolicTensor):
            if graph is None:
                graph = x.graph
            elif x.graph is not graph:
                raise ValueError(
                    f"{name}: inputs come from different graphs ({graph.name!r} and "
                    f"{x.graph.name!r}); tensors of one model or function cannot be mixed "
                    "with another's"
                )
    if graph is None and any(isinstance(x, Variable) for x in inputs):
        # While a model is lowered, ops on variables alone (a penalty on a layer's kernel
        # added in ``call``) belong to the program being traced, so gradients reach them.
        from rkeras.engine import trace

        active = trace.current()
        if active is not None and isinstance(active.graph, FuncGraph):
            graph = active.graph
    if graph is None:
        arrays = [to_array(x, name) for x in inputs]
        return _as_dtype(_rkeras.eager(name, arrays, attrs), dtype)
    nodes = [node_of(graph, x) for x in inputs]
    out = SymbolicTensor(graph, graph.raw.op(name, nodes, attrs), dtype)
    # How the tensor was made, so that an expression built on a model's ``Input`` tensors (a
    # loss given to ``Model.add_loss``) can be replayed in the trainer's graph.
    out._op = (name, tuple(inputs), attrs)
    return out


def replay(x: Any, tensor_map: dict, memo: Optional[dict] = None) -> Any:
    """Rebuilds the expression `x` on other tensors: ``tensor_map`` maps ``id`` of the
    tensors it starts from to their replacements (or ``(replacement, mask)`` pairs); the ops in
    between are recorded again (in the replacements' graph, or run eagerly on arrays)."""
    memo = {} if memo is None else memo
    if isinstance(x, (list, tuple)):
        return type(x)(replay(v, tensor_map, memo) for v in x)
    if isinstance(x, SymbolicDim):
        return SymbolicDim(replay(x.reference, tensor_map, memo), x.axis)
    if not isinstance(x, SymbolicTensor):
        return x
    key = id(x)
    if key in tensor_map:
        found = tensor_map[key]
        return found[0] if isinstance(found, tuple) else found
    if key in memo:
        return memo[key]
    op = getattr(x, "_op", None)
    if op is None:
        raise ValueError(
            f"The tensor {x!r} cannot be computed from the model's inputs: an expression "
            "given to the model (add_loss / add_metric) must be built from the model's Input "
            "tensors and layer outputs with backend (K) ops"
        )
    name, inputs, attrs = op
    y = apply(name, [replay(i, tensor_map, memo) for i in inputs], **attrs)
    memo[key] = y
    return y


def node_of(graph: FuncGraph, x: Any) -> int:
    """The node of `x` in `graph`: itself, a variable read, or a new constant."""
    if isinstance(x, SymbolicTensor):
        if x.graph is not graph:
            raise ValueError("a tensor from another graph cannot be used here")
        return x.node
    if isinstance(x, Variable):
        return graph.variable_node(x)
    return graph.constant(x)


class TensorOperators:
    """Python operators (``+ - * / ** @``, comparisons, indexing) for tensors and variables."""

    __array_priority__ = 100

    def __add__(self, o: Any) -> Any:
        return apply("add", [self, o])

    def __radd__(self, o: Any) -> Any:
        return apply("add", [o, self])

    def __sub__(self, o: Any) -> Any:
        return apply("subtract", [self, o])

    def __rsub__(self, o: Any) -> Any:
        return apply("subtract", [o, self])

    def __mul__(self, o: Any) -> Any:
        return apply("multiply", [self, o])

    def __rmul__(self, o: Any) -> Any:
        return apply("multiply", [o, self])

    def __truediv__(self, o: Any) -> Any:
        return apply("divide", [self, o])

    def __rtruediv__(self, o: Any) -> Any:
        return apply("divide", [o, self])

    def __pow__(self, o: Any) -> Any:
        return apply("pow", [self, o])

    def __rpow__(self, o: Any) -> Any:
        return apply("pow", [o, self])

    def __matmul__(self, o: Any) -> Any:
        return apply("matmul", [self, o])

    def __rmatmul__(self, o: Any) -> Any:
        return apply("matmul", [o, self])

    def __neg__(self) -> Any:
        return apply("neg", [self])

    def __pos__(self) -> Any:
        return self

    def __abs__(self) -> Any:
        return apply("abs", [self])

    def __lt__(self, o: Any) -> Any:
        return apply("less", [self, o])

    def __le__(self, o: Any) -> Any:
        return apply("less_equal", [self, o])

    def __gt__(self, o: Any) -> Any:
        return apply("greater", [self, o])

    def __ge__(self, o: Any) -> Any:
        return apply("greater_equal", [self, o])

    def __getitem__(self, key: Any) -> Any:
        from rkeras.backend.indexing import getitem

        return getitem(self, key)


class SymbolicTensor(TensorOperators):
    """A tensor in a graph: a node id, its symbolic shape (``None`` = known at run time), dtype.

    >>> from rkeras import backend as K
    >>> x = K.placeholder(shape=(None, 3))
    >>> K.int_shape(x * 2.0)
    (None, 3)
    """

    __hash__ = object.__hash__

    def __init__(self, graph: FuncGraph, node: int, dtype: str, name: Optional[str] = None,
                 placeholder: bool = False) -> None:
        self.graph = graph
        self.node = node
        self.dtype = dtype
        self.name = name or f"tensor_{node}"
        self.is_placeholder = placeholder

    @property
    def shape(self) -> tuple:
        """The symbolic shape."""
        return tuple(self.graph.raw.shape(self.node))

    @property
    def ndim(self) -> int:
        """The rank."""
        return len(self.shape)

    def __repr__(self) -> str:
        return f"<SymbolicTensor shape={self.shape} dtype={self.dtype} name={self.name}>"

    def __bool__(self) -> bool:
        raise TypeError(
            "a symbolic tensor has no truth value; use K.switch / K.greater for conditions"
        )


def _release(handle: int) -> None:
    try:
        _rkeras.variable_delete(handle)
    except Exception:  # noqa: BLE001 - interpreter shutdown may have torn the module down
        pass


class Variable(TensorOperators):
    """A variable: a value that lives in the Rust parameter store and persists across calls.

    >>> import numpy as np
    >>> from rkeras import backend as K
    >>> v = K.variable(np.ones((2, 2)))
    >>> K.get_value(v * 3.0).tolist()
    [[3.0, 3.0], [3.0, 3.0]]
    """

    __hash__ = object.__hash__

    def __init__(self, value: Any, dtype: Optional[str] = None, name: Optional[str] = None,
                 trainable: bool = True) -> None:
        arr = to_array(value, "variable")
        self.handle = _rkeras.variable_create(arr)
        self.dtype = dtype or config.floatx()
        self.name = name or f"variable_{next(_uid)}"
        self.trainable = trainable
        self._shape = tuple(arr.shape)
        self._finalizer = weakref.finalize(self, _release, self.handle)

    @property
    def shape(self) -> tuple:
        """The (fixed) shape."""
        return self._shape

    @property
    def ndim(self) -> int:
        """The rank."""
        return len(self._shape)

    def numpy(self) -> np.ndarray:
        """The current value as a NumPy array."""
        return _rkeras.variable_get(self.handle)

    def assign(self, value: Any) -> "Variable":
        """Sets the value (same shape)."""
        arr = to_array(value, "assign")
        if arr.shape != self._shape:
            arr = np.ascontiguousarray(np.broadcast_to(arr, self._shape), dtype=np.float32) \
                if arr.size == 1 else arr
        _rkeras.variable_set(self.handle, arr)
        return self

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        value = self.numpy()
        return value if dtype is None else value.astype(dtype)

    def __repr__(self) -> str:
        return f"<Variable '{self.name}' shape={self._shape} dtype={self.dtype}>"


class SymbolicDim(TensorOperators):
    """One entry of ``K.shape(x)`` that is only known at run time (the batch size): axis
    `axis` of `reference`. Random ops and ``K.reshape`` take it in a ``shape``; elsewhere it
    acts as a scalar tensor holding the dimension.

    >>> from rkeras import backend as K
    >>> x = K.placeholder(shape=(None, 3), name="x")
    >>> K.shape(x)
    (<dim 0 of tensor x>, 3)
    """

    __hash__ = object.__hash__

    def __init__(self, reference: Any, axis: int) -> None:
        self.reference = reference
        self.axis = int(axis)
        self.name = getattr(reference, "name", "tensor")

    def vector(self) -> Any:
        """A rank-1 tensor of zeros whose length is this dimension (no gradient flows)."""
        ref = apply("stop_gradient", [self.reference])
        rank = len(ref.shape)
        others = [a for a in range(rank) if a != self.axis]
        z = apply("zeros_like", [ref])
        if others:
            z = apply("sum", [z], axis=others, keepdims=False)
        return z

    def tensor(self) -> Any:
        """The dimension as a scalar tensor."""
        return apply("sum", [apply("ones_like", [self.vector()])], axis=[], keepdims=False)

    def __repr__(self) -> str:
        return f"<dim {self.axis} of tensor {self.name}>"

    def __index__(self) -> int:
        raise TypeError(f"{self!r} is only known when the graph runs; it cannot be used as a "
                        "Python int (use it in K ops, a random op's or K.reshape's shape)")


def is_symbolic(x: Any) -> bool:
    """True for graph tensors."""
    return isinstance(x, SymbolicTensor)
