"""The Keras-2 backend functions (``keras.backend`` as ``K``), eager on NumPy arrays and
symbolic on graph tensors."""

from __future__ import annotations

import builtins
from typing import Any, Optional, Sequence, Union

import numpy as np

from rkeras import _rkeras
from rkeras.backend import config
from rkeras.backend.tensors import (
    FuncGraph,
    SymbolicDim,
    SymbolicTensor,
    Variable,
    apply,
    default_graph,
    node_of,
    reset_default_graph,
    to_array,
)

Axis = Optional[Union[int, Sequence[int]]]


def _axes(axis: Axis) -> list:
    if axis is None:
        return []
    if isinstance(axis, (list, tuple)):
        return [int(a) for a in axis]
    return [int(axis)]


# ----------------------------------------------------------------------------- variables


def variable(value: Any, dtype: Optional[str] = None, name: Optional[str] = None,
             constraint: Any = None) -> Variable:
    """Instantiates a variable holding `value`."""
    return Variable(value, dtype=dtype, name=name)


def constant(value: Any, dtype: Optional[str] = None, shape: Optional[Sequence[int]] = None,
             name: Optional[str] = None) -> np.ndarray:
    """A constant tensor (a NumPy array), broadcast to `shape` if given."""
    arr = np.asarray(value, dtype=dtype or config.floatx())
    if shape is not None:
        arr = np.broadcast_to(arr, tuple(shape)).copy()
    return arr


def placeholder(shape: Optional[Sequence[Optional[int]]] = None, ndim: Optional[int] = None,
                dtype: Optional[str] = None, sparse: bool = False,
                name: Optional[str] = None) -> SymbolicTensor:
    """A placeholder in the default graph, fed when a ``K.function`` runs."""
    if shape is None:
        if ndim is None:
            raise ValueError("placeholder: give `shape` or `ndim`")
        shape = (None,) * int(ndim)
    return default_graph().placeholder(
        [None if d is None else int(d) for d in shape], dtype or config.floatx(),
        name or "placeholder",
    )


def is_placeholder(x: Any) -> bool:
    """True for tensors made by :func:`placeholder`."""
    return isinstance(x, SymbolicTensor) and x.is_placeholder


def is_tensor(x: Any) -> bool:
    """True for backend tensors (symbolic tensors and variables)."""
    return isinstance(x, (SymbolicTensor, Variable))


def is_keras_tensor(x: Any) -> bool:
    """True for symbolic tensors."""
    return isinstance(x, SymbolicTensor)


def get_value(x: Any) -> np.ndarray:
    """The value of a variable (or an eager result) as a NumPy array."""
    if isinstance(x, SymbolicTensor):
        raise TypeError("get_value: a symbolic tensor has no value; use K.function to run it")
    if isinstance(x, _Update):
        return x.run().numpy()
    if isinstance(x, Variable):
        return x.numpy()
    return np.asarray(x)


eval = get_value  # noqa: A001 - Keras's name


def batch_get_value(xs: Sequence[Any]) -> list:
    """Values of several variables."""
    return [get_value(x) for x in xs]


def set_value(x: Variable, value: Any) -> None:
    """Sets a variable's value."""
    if not isinstance(x, Variable):
        raise TypeError(f"set_value: expected a variable, got {type(x).__name__}")
    x.assign(value)


def batch_set_value(tuples: Sequence[tuple]) -> None:
    """Sets several variables: ``[(variable, value), ...]``."""
    for x, value in tuples:
        set_value(x, value)


def int_shape(x: Any) -> tuple:
    """The shape as a tuple of ints and ``None``."""
    if isinstance(x, (SymbolicTensor, Variable)):
        return tuple(x.shape)
    return tuple(np.shape(x))


class SymbolicShape(tuple):
    """``K.shape`` of a symbolic tensor: a tuple of ints and, where a dimension is only known
    at run time, :class:`SymbolicDim` entries (random ops and ``K.reshape`` accept it)."""

    reference: Any = None


def shape(x: Any) -> Any:
    """The shape of `x` as a tensor: an int32 array for arrays and variables; for a symbolic
    tensor, a tuple whose unknown entries (the batch size) are :class:`SymbolicDim` objects,
    usable in ``K.random_normal(shape=...)``, ``K.reshape`` and as scalar tensors.

    >>> from rkeras import backend as K
    >>> x = K.placeholder(shape=(None, 3), name="x")
    >>> K.shape(x)
    (<dim 0 of tensor x>, 3)
    >>> K.shape(K.zeros((2, 5))).tolist()
    [2, 5]
    """
    if isinstance(x, SymbolicTensor):
        out = SymbolicShape(SymbolicDim(x, i) if d is None else int(d)
                            for i, d in enumerate(x.shape))
        out.reference = x
        return out
    return np.asarray(int_shape(x), dtype="int32")


def _shape_reference(shape_: Any) -> Any:
    """A tensor shaped `shape_` (entries ints or :class:`SymbolicDim`) for the ``like``-input
    form of the random ops, or ``None`` when every entry is an int."""
    entries = list(shape_)
    symbolic = [i for i, d in enumerate(entries) if isinstance(d, (SymbolicDim, SymbolicTensor))]
    if not symbolic:
        return None
    ref = getattr(shape_, "reference", None)
    if ref is not None and builtins.all(
        not isinstance(d, SymbolicDim) or (d.reference is ref and d.axis == i)
        for i, d in enumerate(entries)
    ) and len(entries) == len(ref.shape):
        return ref
    rank = len(entries)
    out: Any = np.zeros([1 if i in symbolic else int(d) for i, d in enumerate(entries)],
                        dtype=np.float32)
    for i in symbolic:
        d = entries[i]
        if isinstance(d, SymbolicTensor):
            raise TypeError("a shape entry must be an int or an entry of K.shape(x), got a "
                            f"tensor {d!r}")
        v = d.vector()
        out = apply("add", [out, reshape(v, [1] * i + [-1] + [1] * (rank - i - 1))])
    return out


def ndim(x: Any) -> int:
    """The rank."""
    return len(int_shape(x))


def dtype(x: Any) -> str:
    """The dtype name."""
    if isinstance(x, (SymbolicTensor, Variable)):
        return x.dtype
    return str(np.asarray(x).dtype)


def count_params(x: Any) -> int:
    """Number of scalars in a variable or array."""
    return int(np.prod(int_shape(x)))


def zeros(shape: Sequence[int], dtype: Optional[str] = None,
          name: Optional[str] = None) -> Variable:
    """A variable of zeros."""
    return Variable(np.zeros(tuple(shape), dtype=np.float32), dtype=dtype, name=name)


def ones(shape: Sequence[int], dtype: Optional[str] = None, name: Optional[str] = None) -> Variable:
    """A variable of ones."""
    return Variable(np.ones(tuple(shape), dtype=np.float32), dtype=dtype, name=name)


def eye(size: int, dtype: Optional[str] = None, name: Optional[str] = None) -> Variable:
    """An identity-matrix variable."""
    return Variable(np.eye(size, dtype=np.float32), dtype=dtype, name=name)


def zeros_like(x: Any, dtype: Optional[str] = None, name: Optional[str] = None) -> Any:
    """Zeros shaped like `x`."""
    return apply("zeros_like", [x])


def ones_like(x: Any, dtype: Optional[str] = None, name: Optional[str] = None) -> Any:
    """Ones shaped like `x`."""
    return apply("ones_like", [x])


def cast(x: Any, dtype: str) -> Any:
    """Casts to `dtype` (values stay float32 inside graphs; eager results take the dtype)."""
    return apply("cast", [x], dtype=str(np.dtype(dtype)) if dtype != "bool" else "bool")


def cast_to_floatx(x: Any) -> np.ndarray:
    """A NumPy array of floatx."""
    return np.asarray(x, dtype=config.floatx())


_clear_session_hooks: list = []


def register_clear_session_hook(hook: Any) -> None:
    """Registers a callable run by :func:`clear_session` (e.g. to reset layer-name counters)."""
    _clear_session_hooks.append(hook)


def clear_session() -> None:
    """Resets the default graph and everything registered to reset with it (layer names)."""
    reset_default_graph()
    for hook in _clear_session_hooks:
        hook()


# ----------------------------------------------------------------------------- elementwise


def _unary(name: str):
    def f(x: Any) -> Any:
        return apply(name, [x])

    f.__name__ = name
    f.__doc__ = f"Elementwise ``{name}``."
    return f


abs = _unary("abs")  # noqa: A001
sqrt = _unary("sqrt")
square = _unary("square")
exp = _unary("exp")
log = _unary("log")
sign = _unary("sign")
round = _unary("round")  # noqa: A001
floor = _unary("floor")
sigmoid = _unary("sigmoid")
hard_sigmoid = _unary("hard_sigmoid")
tanh = _unary("tanh")
softplus = _unary("softplus")
softsign = _unary("softsign")
selu = _unary("selu")
exponential = _unary("exp")
negative = _unary("neg")
stop_gradient = _unary("stop_gradient")
logical_not = _unary("logical_not")


def _binary(name: str):
    def f(x: Any, y: Any) -> Any:
        return apply(name, [x, y])

    f.__name__ = name
    f.__doc__ = f"Elementwise ``{name}`` with broadcasting."
    return f


add = _binary("add")
subtract = _binary("subtract")
multiply = _binary("multiply")
divide = _binary("divide")
maximum = _binary("maximum")
minimum = _binary("minimum")
equal = _binary("equal")
not_equal = _binary("not_equal")
greater = _binary("greater")
greater_equal = _binary("greater_equal")
less = _binary("less")
less_equal = _binary("less_equal")
logical_and = _binary("logical_and")
logical_or = _binary("logical_or")


def pow(x: Any, a: Any) -> Any:  # noqa: A001
    """``x ** a``."""
    return apply("pow", [x, a])


def clip(x: Any, min_value: Optional[float], max_value: Optional[float]) -> Any:
    """Clips values to ``[min_value, max_value]`` (``None`` = unbounded)."""
    lo = -np.inf if min_value is None else float(min_value)
    hi = np.inf if max_value is None else builtins.max(float(max_value), lo)
    return apply("clip", [x], min_value=lo, max_value=hi)


def relu(x: Any, alpha: float = 0.0, max_value: Optional[float] = None,
         threshold: float = 0.0) -> Any:
    """Rectified linear unit with Keras's `alpha`, `max_value` and `threshold`."""
    return apply("relu", [x], alpha=float(alpha),
                 max_value=None if max_value is None else float(max_value),
                 threshold=float(threshold))


def elu(x: Any, alpha: float = 1.0) -> Any:
    """Exponential linear unit."""
    return apply("elu", [x], alpha=float(alpha))


def softmax(x: Any, axis: int = -1) -> Any:
    """Softmax along `axis`."""
    return apply("softmax", [x], axis=int(axis))


def log_softmax(x: Any, axis: int = -1) -> Any:
    """Log-softmax along `axis`."""
    return apply("log_softmax", [x], axis=int(axis))


def switch(condition: Any, then_expression: Any, else_expression: Any) -> Any:
    """Elementwise choice: ``then`` where `condition` holds, ``else`` elsewhere."""
    return apply("where", [condition, then_expression, else_expression])


where = switch


# ----------------------------------------------------------------------------- reductions


def _reduction(name: str):
    def f(x: Any, axis: Axis = None, keepdims: bool = False) -> Any:
        return apply(name, [x], axis=_axes(axis), keepdims=bool(keepdims))

    f.__name__ = name
    f.__doc__ = f"``{name}`` over `axis` (all axes when ``None``)."
    return f


sum = _reduction("sum")  # noqa: A001
mean = _reduction("mean")
max = _reduction("max")  # noqa: A001
min = _reduction("min")  # noqa: A001
prod = _reduction("prod")
var = _reduction("var")
std = _reduction("std")


def any(x: Any, axis: Axis = None, keepdims: bool = False) -> Any:  # noqa: A001
    """Logical or over `axis`."""
    return cast(greater(max(cast(not_equal(x, 0.0), "float32"), axis, keepdims), 0.0), "bool")


def all(x: Any, axis: Axis = None, keepdims: bool = False) -> Any:  # noqa: A001
    """Logical and over `axis`."""
    return cast(greater(min(cast(not_equal(x, 0.0), "float32"), axis, keepdims), 0.0), "bool")


def argmax(x: Any, axis: int = -1) -> Any:
    """Index of the maximum along `axis`."""
    return apply("argmax", [x], axis=int(axis))


def argmin(x: Any, axis: int = -1) -> Any:
    """Index of the minimum along `axis`."""
    return apply("argmin", [x], axis=int(axis))


def logsumexp(x: Any, axis: Axis = None, keepdims: bool = False) -> Any:
    """``log(sum(exp(x)))``, computed stably."""
    m = stop_gradient(max(x, axis, keepdims=True))
    s = log(sum(exp(x - m), axis, keepdims=True)) + m
    if keepdims:
        return s
    return squeeze_axes(s, _axes(axis), ndim(x))


def squeeze_axes(x: Any, axes: list, rank: int) -> Any:
    """Removes the given (length-1) axes; all axes when `axes` is empty."""
    norm = sorted({a % rank for a in axes} if axes else set(range(rank)))
    for a in reversed(norm):
        x = squeeze(x, a)
    return x


def l2_normalize(x: Any, axis: Axis = None) -> Any:
    """``x / sqrt(max(sum(x**2, axis), 1e-12))``."""
    sq = sum(square(x), axis=axis, keepdims=True)
    return x / sqrt(maximum(sq, 1e-12))


def normalize_batch_in_training(x: Any, gamma: Any, beta: Any, reduction_axes: Sequence[int],
                                epsilon: float = 1e-3) -> tuple:
    """Batch-normalizes `x` over `reduction_axes`; returns ``(normed, mean, variance)``."""
    m = mean(x, reduction_axes, keepdims=True)
    v = var(x, reduction_axes, keepdims=True)
    normed = (x - m) / sqrt(v + epsilon)
    if gamma is not None:
        normed = normed * gamma
    if beta is not None:
        normed = normed + beta
    return normed, squeeze_axes(m, list(reduction_axes), ndim(x)), \
        squeeze_axes(v, list(reduction_axes), ndim(x))


# ----------------------------------------------------------------------------- linear algebra


def dot(x: Any, y: Any) -> Any:
    """Keras's ``dot``: ``(..., k) . (k, n)``; for rank > 2 on the right, contracts the last
    axis of `x` with the second-to-last of `y`."""
    rx, ry = ndim(x), ndim(y)
    if rx < 2 and ry < 2:
        return sum(x * y)
    if ry == 1:
        return squeeze(dot(x, expand_dims(y, -1)), -1)
    if rx == 1:
        return squeeze(dot(expand_dims(x, 0), y), 0)
    if ry == 2:
        return apply("matmul", [x, y])
    ys = int_shape(y)
    if not all_known(ys):
        raise ValueError(f"dot: the right operand needs a known shape, got {ys}")
    perm = [ry - 2] + [i for i in range(ry) if i != ry - 2]
    yt = reshape(permute_dimensions(y, perm), (ys[-2], -1))
    rest = [ys[i] for i in range(ry) if i != ry - 2]
    # (..., k) @ (k, prod(rest)) keeps x's leading axes; then split the last one.
    return reshape(apply("matmul", [x, yt]), [None] * (rx - 1) + rest)


def all_known(dims: Sequence[Optional[int]]) -> bool:
    """True when every dimension is known."""
    return not [d for d in dims if d is None]


def batch_dot(x: Any, y: Any, axes: Optional[Union[int, Sequence[int]]] = None) -> Any:
    """Batched dot product over the batch axis 0 (Keras 2 semantics for ranks 2 and 3)."""
    rx, ry = ndim(x), ndim(y)
    if axes is None:
        axes = [rx - 1, ry - 2] if ry > 2 else [rx - 1, ry - 1]
    elif isinstance(axes, int):
        axes = [axes, axes]
    ax, ay = (int(a) % r for a, r in zip(axes, (rx, ry)))
    if rx == 2 and ry == 2:
        return sum(x * y, axis=1, keepdims=True)
    if rx == 3 and ry == 3:
        return apply("matmul", [x, y], transpose_a=(ax == 1), transpose_b=(ay == 2))
    if rx == 3 and ry == 2:
        yy = expand_dims(y, 2 if ay == 1 else 1)
        return squeeze(apply("matmul", [x, yy], transpose_a=(ax == 1)), -1)
    if rx == 2 and ry == 3:
        xx = expand_dims(x, 1)
        return squeeze(apply("matmul", [xx, y], transpose_b=(ay == 2)), 1)
    raise ValueError(f"batch_dot: ranks {rx} and {ry} are not supported (2 or 3 each)")


def transpose(x: Any) -> Any:
    """Reverses the axes."""
    return apply("transpose", [x])


# ----------------------------------------------------------------------------- shapes


def reshape(x: Any, shape: Sequence[Optional[int]]) -> Any:
    """Reshapes; ``-1`` is inferred. ``None`` copies the input's dimension at that position;
    so does an entry of ``K.shape(...)`` known only at run time (the batch size) there."""
    entries = list(shape)
    dims = []
    n_symbolic = builtins.sum(1 for d in entries if isinstance(d, SymbolicDim))
    for i, d in enumerate(entries):
        if d is None:
            dims.append(0)
        elif isinstance(d, SymbolicDim):
            if d.axis == i and (d.reference is x or i == 0):
                dims.append(0)
            elif n_symbolic == 1 and -1 not in entries:
                dims.append(-1)
            else:
                raise ValueError(f"reshape: cannot use {d!r} at position {i} of the target "
                                 f"shape {tuple(entries)}")
        else:
            dims.append(int(d))
    return apply("reshape", [x], shape=dims)


def permute_dimensions(x: Any, pattern: Sequence[int]) -> Any:
    """Permutes axes."""
    return apply("transpose", [x], perm=[int(p) for p in pattern])


def expand_dims(x: Any, axis: int = -1) -> Any:
    """Inserts an axis of length 1."""
    return apply("expand_dims", [x], axis=int(axis))


def squeeze(x: Any, axis: int) -> Any:
    """Removes an axis of length 1."""
    return apply("squeeze", [x], axis=int(axis))


def flatten(x: Any) -> Any:
    """Flattens to 1-D."""
    return reshape(x, (-1,))


def batch_flatten(x: Any) -> Any:
    """Flattens all axes but the first."""
    return apply("reshape", [x], shape=[0, -1])


def concatenate(tensors: Sequence[Any], axis: int = -1) -> Any:
    """Joins tensors along `axis`."""
    return apply("concatenate", list(tensors), axis=int(axis))


def stack(x: Sequence[Any], axis: int = 0) -> Any:
    """Stacks tensors along a new `axis`."""
    rank = ndim(x[0]) + 1
    a = int(axis) % rank
    return concatenate([expand_dims(t, a) for t in x], axis=a)


def tile(x: Any, n: Union[int, Sequence[int]]) -> Any:
    """Tiles `x` ``n`` times per axis."""
    reps = [int(n)] if isinstance(n, int) else [int(v) for v in n]
    r = ndim(x)
    if len(reps) < r:
        reps = [1] * (r - len(reps)) + reps
    while ndim(x) < len(reps):
        x = expand_dims(x, 0)
    return apply("tile", [x], reps=reps)


def repeat_elements(x: Any, rep: int, axis: int) -> Any:
    """Repeats each element `rep` times along `axis`."""
    return apply("repeat", [x], repeats=int(rep), axis=int(axis))


def repeat(x: Any, n: int) -> Any:
    """``(batch, dim) -> (batch, n, dim)``."""
    return repeat_elements(expand_dims(x, 1), n, 1)


def gather(reference: Any, indices: Any) -> Any:
    """Rows of `reference` at integer `indices`."""
    return apply("gather", [reference, indices], axis=0)


def one_hot(indices: Any, num_classes: int) -> Any:
    """One-hot encoding along a new last axis."""
    return apply("one_hot", [indices], num_classes=int(num_classes))


def reverse(x: Any, axes: Union[int, Sequence[int]]) -> Any:
    """Reverses along `axes`."""
    from rkeras.backend.indexing import NO_INDEX

    r = ndim(x)
    rev = {a % r for a in _axes(axes)}
    return apply("slice", [x], start=[NO_INDEX] * r, stop=[NO_INDEX] * r,
                 step=[-1 if i in rev else 1 for i in range(r)])


def slice(x: Any, start: Sequence[int], size: Sequence[int]) -> Any:  # noqa: A001
    """``x[start : start + size]`` per axis (``size`` -1 = to the end)."""
    from rkeras.backend.indexing import NO_INDEX

    stop = [NO_INDEX if s == -1 else int(b) + int(s) for b, s in zip(start, size)]
    return apply("slice", [x], start=[int(b) for b in start], stop=stop, step=[1] * len(start))


# ----------------------------------------------------------------------------- randomness


def _random(name: str, shape: Sequence[int], **attrs: Any) -> Any:
    """A random tensor of `shape`: drawn now for int shapes, or recorded in the graph (drawn
    afresh on every run) when the shape has run-time entries (``K.shape`` of a symbolic
    tensor)."""
    if isinstance(shape, SymbolicTensor):
        raise TypeError(f"{name}: `shape` must be a tuple of ints or K.shape(x), got a tensor")
    if isinstance(shape, SymbolicDim):
        shape = (shape,)
    ref = _shape_reference(shape)
    if ref is not None:
        return apply(name, [ref], **attrs)
    return _rkeras.eager(name, [], dict(attrs, shape=[int(d) for d in shape]))


def random_uniform(shape: Sequence[int], minval: float = 0.0, maxval: float = 1.0,
                   dtype: Optional[str] = None, seed: Optional[int] = None) -> np.ndarray:
    """Uniform random values from the seeded generator."""
    return _random("random_uniform", shape, minval=float(minval), maxval=float(maxval))


def random_normal(shape: Sequence[int], mean: float = 0.0, stddev: float = 1.0,
                  dtype: Optional[str] = None, seed: Optional[int] = None) -> np.ndarray:
    """Normal random values from the seeded generator."""
    return _random("random_normal", shape, mean=float(mean), stddev=float(stddev))


def truncated_normal(shape: Sequence[int], mean: float = 0.0, stddev: float = 1.0,
                     dtype: Optional[str] = None, seed: Optional[int] = None) -> np.ndarray:
    """Normal values redrawn beyond two standard deviations."""
    return _random("truncated_normal", shape, mean=float(mean), stddev=float(stddev))


def random_binomial(shape: Sequence[int], p: float = 0.0, dtype: Optional[str] = None,
                    seed: Optional[int] = None) -> np.ndarray:
    """0/1 values, 1 with probability `p`."""
    return _random("random_binomial", shape, p=float(p))


def set_random_seed(seed: int) -> None:
    """Seeds the one generator (also ``keras.utils.set_random_seed``)."""
    _rkeras.set_seed(int(seed))


# ----------------------------------------------------------------------------- phases

_learning_phase_override: Optional[int] = None


def learning_phase() -> int:
    """1 while the training program is being traced, else 0 (or the value given to
    :func:`set_learning_phase`). Layers are traced once per program, so the phase is a
    Python int at tracing time.

    >>> from rkeras import backend as K
    >>> K.learning_phase()
    0
    """
    if _learning_phase_override is not None:
        return _learning_phase_override
    from rkeras.engine import trace

    return trace.learning_phase()


def set_learning_phase(value: int) -> None:
    """Fixes the learning phase (0 = test, 1 = train) for everything traced afterwards."""
    global _learning_phase_override
    if value not in (0, 1):
        raise ValueError("Expected learning phase to be 0 or 1.")
    _learning_phase_override = int(value)


def clear_learning_phase() -> None:
    """Undoes :func:`set_learning_phase` (the trace decides again)."""
    global _learning_phase_override
    _learning_phase_override = None


def in_train_phase(x: Any, alt: Any, training: Any = None) -> Any:
    """`x` in the training phase, `alt` otherwise (either may be a callable). With
    ``training=None`` the phase of the program being traced decides (eagerly: `alt`).

    >>> from rkeras import backend as K
    >>> K.in_train_phase(1.0, 2.0), K.in_train_phase(1.0, 2.0, training=True)
    (2.0, 1.0)
    """
    if training is None:
        training = learning_phase()
    if isinstance(training, SymbolicTensor):
        raise TypeError("in_train_phase: `training` must be a Python bool or 0/1 here (the "
                        "phase is fixed when a model is traced)")
    chosen = x if training else alt
    return chosen() if callable(chosen) else chosen


def in_test_phase(x: Any, alt: Any, training: Any = None) -> Any:
    """`x` in the test phase, `alt` in the training phase."""
    return in_train_phase(alt, x, training=training)


# ----------------------------------------------------------------------------- graphs


class _Update:
    """A pending assignment ``variable <- value``, as a Keras-2 update op: it runs each time a
    ``K.function`` that lists it in ``updates`` runs, or once when passed to ``K.get_value``."""

    def __init__(self, variable: Variable, value: Any) -> None:
        if not isinstance(variable, Variable):
            raise TypeError(f"update: the target must be a variable, got {type(variable).__name__}")
        self.variable = variable
        self.value = value

    def run(self) -> Variable:
        """Applies the assignment now (eagerly) and returns the variable."""
        value = self.value
        if callable(value):
            value = value()
        if isinstance(value, SymbolicTensor):
            raise TypeError("update: a symbolic update runs only inside K.function")
        self.variable.assign(value)
        return self.variable

    def tensor(self, graph: FuncGraph) -> int:
        """The node computing the new value in `graph`."""
        value = self.value
        if callable(value):
            with_graph = _in_graph(graph, self.variable)
            value = value(with_graph)
        return node_of(graph, value)


def _in_graph(graph: FuncGraph, var: Variable) -> SymbolicTensor:
    return SymbolicTensor(graph, graph.variable_node(var), var.dtype, name=var.name)


def update(x: Variable, new_x: Any) -> _Update:
    """The update ``x <- new_x`` (applied when a ``K.function`` runs it)."""
    return _Update(x, new_x)


def update_add(x: Variable, increment: Any) -> _Update:
    """The update ``x <- x + increment``."""
    if isinstance(increment, SymbolicTensor):
        return _Update(x, x + increment)
    return _Update(x, lambda v=None: (x if v is None else v) + increment)


def update_sub(x: Variable, decrement: Any) -> _Update:
    """The update ``x <- x - decrement``."""
    if isinstance(decrement, SymbolicTensor):
        return _Update(x, x - decrement)
    return _Update(x, lambda v=None: (x if v is None else v) - decrement)


def gradients(loss: Any, variables: Sequence[Any]) -> list:
    """Symbolic gradients of `loss` (summed) with respect to each of `variables`."""
    if not isinstance(loss, SymbolicTensor):
        raise TypeError("gradients: `loss` must be a symbolic tensor")
    graph = loss.graph
    single = not isinstance(variables, (list, tuple))
    wrt = [variables] if single else list(variables)
    nodes = [node_of(graph, v) for v in wrt]
    grads = [SymbolicTensor(graph, n, config.floatx())
             for n in graph.raw.gradients(loss.node, nodes)]
    return grads[0] if single else grads


class Function:
    """A compiled function from placeholders to outputs (``K.function``).

    >>> import numpy as np
    >>> from rkeras import backend as K
    >>> x = K.placeholder(shape=(None, 2))
    >>> f = K.function([x], [K.sum(x * 2.0, axis=1)])
    >>> f([np.ones((3, 2))])[0].tolist()
    [4.0, 4.0, 4.0]
    """

    def __init__(self, inputs: Sequence[SymbolicTensor], outputs: Any,
                 updates: Optional[Sequence[Any]] = None, name: Optional[str] = None) -> None:
        self._single = not isinstance(outputs, (list, tuple))
        outs = [outputs] if self._single else list(outputs)
        inputs = list(inputs)
        graphs = {id(t.graph): t.graph for t in inputs + outs if isinstance(t, SymbolicTensor)}
        if len(graphs) > 1:
            raise ValueError("function: inputs and outputs come from different graphs")
        graph: FuncGraph = next(iter(graphs.values())) if graphs else default_graph()
        for t in inputs:
            if not is_placeholder(t):
                raise TypeError(f"function: inputs must be placeholders, got {t!r}")
        pairs = []
        for u in updates or []:
            if not isinstance(u, _Update):
                if not (isinstance(u, (tuple, list)) and len(u) == 2):
                    raise TypeError(f"function: an update is K.update(...) or (variable, value), "
                                    f"got {u!r}")
                u = _Update(*u)
            pairs.append((u.variable.handle, u.tensor(graph)))
        self.inputs = inputs
        self.outputs = outs
        self._dtypes = [getattr(o, "dtype", config.floatx()) for o in outs]
        self._fn = _rkeras.Function(
            graph.raw, [t.node for t in inputs], [node_of(graph, o) for o in outs], pairs
        )
        self.name = name

    def __call__(self, inputs: Sequence[Any]) -> Any:
        if isinstance(inputs, dict):
            inputs = [inputs[t] for t in self.inputs]
        if not isinstance(inputs, (list, tuple)):
            inputs = [inputs]
        arrays = [to_array(v, "function") for v in inputs]
        outs = self._fn(arrays)
        outs = [o if d in ("float32",) else o.astype(d) for o, d in zip(outs, self._dtypes)]
        return outs[0] if self._single else outs


def function(inputs: Sequence[SymbolicTensor], outputs: Any, updates: Optional[Sequence] = None,
             name: Optional[str] = None, **kwargs: Any) -> Function:
    """Compiles `outputs` as a function of placeholder `inputs` ("compile, then run")."""
    return Function(inputs, outputs, updates=updates, name=name)
