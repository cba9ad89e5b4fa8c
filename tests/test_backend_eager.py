"""Every ``K`` function run eagerly on NumPy arrays, checked against a NumPy reference."""

from __future__ import annotations

import numpy as np
import pytest

from rkeras import backend as K

RTOL, ATOL = 1e-5, 1e-6
LOOSE = dict(rtol=1e-4, atol=1e-5)


def close(got, want, **tol):
    """`got` is a NumPy array equal to `want` (same shape) within tolerance."""
    assert isinstance(got, np.ndarray), type(got)
    want = np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_allclose(got, want, **({"rtol": RTOL, "atol": ATOL} | tol))


def rand(rng, *shape, lo=-2.0, hi=2.0):
    return rng.uniform(lo, hi, size=shape).astype(np.float32)


# ----------------------------------------------------------------------------- elementwise

SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805


def _softplus(x):
    return np.logaddexp(0.0, x)


UNARY = [
    ("abs", K.abs, np.abs, None, {}),
    ("sqrt", K.sqrt, np.sqrt, (0.01, 4.0), {}),
    ("square", K.square, np.square, None, {}),
    ("exp", K.exp, np.exp, None, LOOSE),
    ("exponential", K.exponential, np.exp, None, LOOSE),
    ("log", K.log, np.log, (0.01, 4.0), LOOSE),
    ("sign", K.sign, np.sign, None, {}),
    ("floor", K.floor, np.floor, None, {}),
    ("negative", K.negative, np.negative, None, {}),
    ("sigmoid", K.sigmoid, lambda x: 1.0 / (1.0 + np.exp(-x)), (-30.0, 30.0), {}),
    ("hard_sigmoid", K.hard_sigmoid, lambda x: np.clip(0.2 * x + 0.5, 0.0, 1.0), (-4.0, 4.0),
     {}),
    ("tanh", K.tanh, np.tanh, None, {}),
    ("softplus", K.softplus, _softplus, (-30.0, 30.0), {}),
    ("softsign", K.softsign, lambda x: x / (1.0 + np.abs(x)), None, {}),
    ("selu", K.selu,
     lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(x)), None, {}),
    ("elu", K.elu, lambda x: np.where(x > 0, x, np.expm1(x)), None, {}),
    ("relu", K.relu, lambda x: np.maximum(x, 0.0), None, {}),
    ("stop_gradient", K.stop_gradient, lambda x: x, None, {}),
]


@pytest.mark.parametrize("name,fn,ref,domain,tol", UNARY, ids=[u[0] for u in UNARY])
def test_unary_matches_numpy(rng, name, fn, ref, domain, tol):
    lo, hi = domain or (-3.0, 3.0)
    x = rand(rng, 3, 4, 5, lo=lo, hi=hi)
    got = fn(x)
    assert got.dtype == np.float32
    close(got, ref(x.astype(np.float64)), **tol)


def test_round_is_half_to_even():
    x = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.4, -0.6, 3.7], np.float32)
    close(K.round(x), np.round(x))


def test_hard_sigmoid_is_keras2_definition():
    x = np.array([-3.0, -2.5, -1.0, 0.0, 1.0, 2.5, 3.0], np.float32)
    close(K.hard_sigmoid(x), [0.0, 0.0, 0.3, 0.5, 0.7, 1.0, 1.0])


def test_sign_of_zero_is_zero():
    close(K.sign(np.array([0.0, -0.0, 2.0, -3.0], np.float32)), [0.0, 0.0, 1.0, -1.0])


@pytest.mark.parametrize("alpha", [0.5, 2.0])
def test_elu_alpha(rng, alpha):
    x = rand(rng, 4, 6, lo=-3, hi=3)
    close(K.elu(x, alpha), np.where(x > 0, x, alpha * np.expm1(x.astype(np.float64))))


def _relu_ref(x, alpha=0.0, max_value=None, threshold=0.0):
    y = np.where(x >= threshold, x, alpha * (x - threshold))
    if max_value is not None:
        y = np.minimum(y, max_value)
    return y


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"alpha": 0.1},
        {"max_value": 1.0},
        {"threshold": 0.5},
        {"alpha": 0.2, "max_value": 1.5, "threshold": 0.3},
        {"max_value": 6.0},
    ],
    ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()) or "plain",
)
def test_relu_options(rng, kwargs):
    x = rand(rng, 5, 7, lo=-3, hi=3)
    close(K.relu(x, **kwargs), _relu_ref(x.astype(np.float64), **kwargs))


def test_relu_threshold_and_max_value_exact_points():
    x = np.array([-1.0, 0.0, 0.5, 1.0, 2.0, 10.0], np.float32)
    # Keras 3: x where x > threshold (strictly), alpha * (x - threshold) elsewhere.
    close(K.relu(x, max_value=2.0, threshold=0.5), [0.0, 0.0, 0.0, 1.0, 2.0, 2.0])
    close(K.relu(x, alpha=0.5, threshold=1.0), [-1.0, -0.5, -0.25, 0.0, 2.0, 10.0])


@pytest.mark.parametrize(
    "lo,hi",
    [(-0.5, 0.5), (-0.2, None), (0.0, 1.0), (1e-7, 1.0 - 1e-7),
     (None, 0.3), (1.0, 3.0),
     (2.0, 5.0), (-3.0, 1.0),
     (None, None)],
)
def test_clip(rng, lo, hi):
    x = rand(rng, 4, 5, lo=-6, hi=6)
    want = np.clip(x, -np.inf if lo is None else lo, np.inf if hi is None else hi)
    close(K.clip(x, lo, hi), want)


def test_clip_max_below_min_gives_min():
    x = np.array([-1.0, 0.0, 2.0], np.float32)
    close(K.clip(x, 0.5, 0.1), [0.5, 0.5, 0.5])


def test_pow(rng):
    x = rand(rng, 3, 4, lo=0.1, hi=3.0)
    close(K.pow(x, 2.0), x.astype(np.float64) ** 2, **LOOSE)
    close(K.pow(x, 0.5), np.sqrt(x.astype(np.float64)), **LOOSE)
    close(K.pow(x, -1.5), x.astype(np.float64) ** -1.5, **LOOSE)
    e = rand(rng, 4, lo=-2, hi=2)
    close(K.pow(x, e), x.astype(np.float64) ** e, **LOOSE)


@pytest.mark.parametrize(
    "fn,ref",
    [(K.add, np.add), (K.subtract, np.subtract), (K.multiply, np.multiply),
     (K.divide, np.divide), (K.maximum, np.maximum), (K.minimum, np.minimum)],
    ids=["add", "subtract", "multiply", "divide", "maximum", "minimum"],
)
def test_binary_with_broadcasting(rng, fn, ref):
    a = rand(rng, 2, 3, 4)
    b = rand(rng, 3, 1, lo=0.5, hi=2.0)
    close(fn(a, b), ref(a, b))
    close(fn(b, a), ref(b, a))
    close(fn(a, 0.75), ref(a, np.float32(0.75)))


@pytest.mark.parametrize(
    "fn,ref",
    [(K.equal, np.equal), (K.not_equal, np.not_equal), (K.greater, np.greater),
     (K.greater_equal, np.greater_equal), (K.less, np.less), (K.less_equal, np.less_equal)],
    ids=["equal", "not_equal", "greater", "greater_equal", "less", "less_equal"],
)
def test_comparisons_return_bool(rng, fn, ref):
    a = np.round(rand(rng, 4, 5))
    b = np.round(rand(rng, 5))
    got = fn(a, b)
    assert got.dtype == np.bool_
    np.testing.assert_array_equal(got, ref(a, b))


def test_logical_ops():
    a = np.array([True, True, False, False])
    b = np.array([True, False, True, False])
    for fn, ref in [(K.logical_and, np.logical_and), (K.logical_or, np.logical_or)]:
        got = fn(a, b)
        assert got.dtype == np.bool_
        np.testing.assert_array_equal(got, ref(a, b))
    np.testing.assert_array_equal(K.logical_not(a), ~a)


def test_switch(rng):
    x = rand(rng, 4, 6)
    cond = x > 0
    close(K.switch(cond, x, -2.0 * x), np.where(cond, x, -2.0 * x))
    close(K.switch(K.greater(x, 0.5), x, np.zeros_like(x)), np.where(x > 0.5, x, 0.0))
    close(K.where(cond, 1.0, 0.0), cond.astype(np.float32))


def test_operators_on_variables(rng):
    a, b = rand(rng, 3, 4), rand(rng, 3, 4, lo=0.5, hi=2.0)
    va = K.variable(a)
    close(va + b, a + b)
    close(b - va, b - a)
    close(va * 2.0, a * 2.0)
    close(1.0 / K.variable(b), 1.0 / b)
    close(-va, -a)
    close(abs(va), np.abs(a))
    close(K.variable(b) ** 2.0, b.astype(np.float64) ** 2, **LOOSE)
    close(va @ b.T, a @ b.T, **LOOSE)
    np.testing.assert_array_equal(va > 0.0, a > 0)
    np.testing.assert_array_equal(va <= b, a <= b)


# ----------------------------------------------------------------------------- reductions

REDUCTIONS = [
    ("sum", K.sum, np.sum, {}),
    ("mean", K.mean, np.mean, {}),
    ("max", K.max, np.max, {}),
    ("min", K.min, np.min, {}),
    ("prod", K.prod, np.prod, LOOSE),
    ("var", K.var, np.var, LOOSE),
    ("std", K.std, np.std, LOOSE),
]
AXES = [None, 0, 1, 2, -1, -2, (0, 2), (-1, 0), [1, 2], (0, 1, 2)]


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", AXES, ids=repr)
@pytest.mark.parametrize("name,fn,ref,tol", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
def test_reductions(rng, name, fn, ref, tol, axis, keepdims):
    x = rand(rng, 3, 4, 5, lo=0.5, hi=1.5) if name == "prod" else rand(rng, 3, 4, 5)
    np_axis = tuple(axis) if isinstance(axis, list) else axis
    want = ref(x.astype(np.float64), axis=np_axis, keepdims=keepdims)
    close(fn(x, axis=axis, keepdims=keepdims), want, **tol)


@pytest.mark.parametrize("axis", [0, 1, -1, 2])
def test_argmax_argmin(rng, axis):
    x = rand(rng, 3, 4, 5)
    for fn, ref in [(K.argmax, np.argmax), (K.argmin, np.argmin)]:
        got = fn(x, axis=axis)
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got, ref(x, axis=axis))


def test_argmax_default_axis_is_last(rng):
    x = rand(rng, 4, 7)
    np.testing.assert_array_equal(K.argmax(x), np.argmax(x, axis=-1))
    np.testing.assert_array_equal(K.argmin(x), np.argmin(x, axis=-1))


@pytest.mark.parametrize(
    "axis,keepdims",
    [(0, False), (1, False), (-1, False), (0, True), (1, True), (None, True), ((0, 1), True),
     (None, False), ((0, 1), False)],
)
def test_any_all(axis, keepdims):
    x = np.array([[0.0, 1.0, 0.0], [0.0, 2.0, -1.0]], np.float32)
    for fn, ref in [(K.any, np.any), (K.all, np.all)]:
        got = fn(x, axis=axis, keepdims=keepdims)
        assert got.dtype == np.bool_
        want = ref(x != 0, axis=axis, keepdims=keepdims)
        assert got.shape == np.shape(want)
        np.testing.assert_array_equal(got, want)


def _logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    s = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return s if keepdims else np.squeeze(s, axis=axis)


@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 2)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_logsumexp(rng, axis, keepdims):
    x = rand(rng, 3, 4, 5, lo=-5, hi=5)
    close(K.logsumexp(x, axis=axis, keepdims=keepdims),
          _logsumexp(x.astype(np.float64), axis, keepdims), **LOOSE)


def test_logsumexp_is_stable_for_large_values():
    x = np.array([[1000.0, 1000.0], [-1000.0, -1000.0]], np.float32)
    close(K.logsumexp(x, axis=1), [1000.0 + np.log(2.0), -1000.0 + np.log(2.0)], **LOOSE)


# ----------------------------------------------------------------------------- softmax


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("axis", [-1, 1, 0])
def test_softmax_and_log_softmax(rng, axis):
    x = rand(rng, 3, 4, 5, lo=-5, hi=5).astype(np.float64)
    close(K.softmax(x, axis=axis), _softmax(x, axis))
    close(K.log_softmax(x, axis=axis), np.log(_softmax(x, axis)), **LOOSE)


def test_softmax_is_stable_for_large_logits():
    x = np.array([[1000.0, 0.0, -1000.0]], np.float32)
    close(K.softmax(x), [[1.0, 0.0, 0.0]])
    close(K.log_softmax(x), [[0.0, -1000.0, -2000.0]], **LOOSE)


# ----------------------------------------------------------------------------- linear algebra


@pytest.mark.parametrize(
    "xs,ys",
    [((3, 4), (4, 5)), ((2, 3, 4), (4, 5)), ((3, 4), (2, 4, 5)), ((2, 3, 4), (5, 4, 6)),
     ((6, 2, 3, 4), (4, 2))],
    ids=["2x2", "3x2", "2x3", "3x3", "4x2"],
)
def test_dot_keras_semantics(rng, xs, ys):
    x, y = rand(rng, *xs), rand(rng, *ys)
    got = K.dot(x, y)
    assert got.shape == xs[:-1] + ys[:-2] + ys[-1:]
    close(got, np.dot(x.astype(np.float64), y), **LOOSE)


def test_dot_with_vector(rng):
    x, v = rand(rng, 3, 4), rand(rng, 4)
    close(K.dot(x, v), x.astype(np.float64) @ v, **LOOSE)


def test_batch_dot_rank2(rng):
    x, y = rand(rng, 6, 5), rand(rng, 6, 5)
    got = K.batch_dot(x, y)
    assert got.shape == (6, 1)
    close(got, np.sum(x.astype(np.float64) * y, axis=1, keepdims=True), **LOOSE)
    close(K.batch_dot(x, y, axes=1), np.sum(x.astype(np.float64) * y, axis=1, keepdims=True),
          **LOOSE)


def test_batch_dot_rank3(rng):
    x, y = rand(rng, 4, 2, 3), rand(rng, 4, 3, 5)
    close(K.batch_dot(x, y), np.einsum("bij,bjk->bik", x, y), **LOOSE)
    close(K.batch_dot(x, y, axes=(2, 1)), np.einsum("bij,bjk->bik", x, y), **LOOSE)
    # Keras docs example: (32, 20, 1) . (32, 30, 20) with axes (1, 2) -> (32, 1, 30)
    a, b = rand(rng, 32, 20, 1), rand(rng, 32, 30, 20)
    got = K.batch_dot(a, b, axes=(1, 2))
    assert got.shape == (32, 1, 30)
    close(got, np.einsum("bji,bkj->bik", a, b), **LOOSE)
    c, d = rand(rng, 4, 2, 3), rand(rng, 4, 5, 3)
    close(K.batch_dot(c, d, axes=2), np.einsum("bim,bkm->bik", c, d), **LOOSE)


def test_batch_dot_mixed_ranks(rng):
    a, b, c = rand(rng, 4, 3), rand(rng, 4, 3, 5), rand(rng, 4, 5)
    close(K.batch_dot(a, b), np.einsum("bi,bij->bj", a, b), **LOOSE)
    close(K.batch_dot(b, c), np.einsum("bij,bj->bi", b, c), **LOOSE)


def test_transpose_and_permute_dimensions(rng):
    x = rand(rng, 2, 3, 4)
    close(K.transpose(x), x.T)
    close(K.transpose(x[0]), x[0].T)
    for pattern in [(0, 2, 1), (2, 0, 1), (1, 0, 2)]:
        close(K.permute_dimensions(x, pattern), np.transpose(x, pattern))


# ----------------------------------------------------------------------------- shapes


def test_reshape(rng):
    x = rand(rng, 2, 3, 4)
    close(K.reshape(x, (6, 4)), x.reshape(6, 4))
    close(K.reshape(x, (-1, 2)), x.reshape(-1, 2))
    close(K.reshape(x, (4, -1, 3)), x.reshape(4, -1, 3))
    close(K.reshape(x, (24,)), x.reshape(24))


@pytest.mark.parametrize("axis", [0, 1, 2, -1, -3])
def test_expand_dims(rng, axis):
    x = rand(rng, 2, 3)
    close(K.expand_dims(x, axis), np.expand_dims(x, axis))


def test_squeeze(rng):
    x = rand(rng, 2, 1, 3, 1)
    close(K.squeeze(x, 1), np.squeeze(x, 1))
    close(K.squeeze(x, -1), np.squeeze(x, -1))


def test_flatten_and_batch_flatten(rng):
    x = rand(rng, 2, 3, 4)
    close(K.flatten(x), x.ravel())
    close(K.batch_flatten(x), x.reshape(2, -1))


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concatenate(rng, axis):
    a, b, c = rand(rng, 2, 3), rand(rng, 2, 3), rand(rng, 2, 3)
    close(K.concatenate([a, b, c], axis=axis), np.concatenate([a, b, c], axis=axis))


def test_concatenate_unequal_lengths(rng):
    a, b = rand(rng, 2, 3), rand(rng, 2, 5)
    close(K.concatenate([a, b]), np.concatenate([a, b], axis=-1))


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_stack(rng, axis):
    xs = [rand(rng, 2, 3) for _ in range(4)]
    close(K.stack(xs, axis=axis), np.stack(xs, axis=axis))


@pytest.mark.parametrize("n", [2, [2, 3], (1, 2), [2, 1, 3]], ids=repr)
def test_tile(rng, n):
    x = rand(rng, 2, 3)
    close(K.tile(x, n), np.tile(x, n))


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_repeat_elements(rng, axis):
    x = rand(rng, 2, 3, 2)
    close(K.repeat_elements(x, 3, axis), np.repeat(x, 3, axis=axis))


def test_repeat(rng):
    x = rand(rng, 4, 3)
    got = K.repeat(x, 5)
    assert got.shape == (4, 5, 3)
    close(got, np.repeat(x[:, None, :], 5, axis=1))


def test_gather(rng):
    ref = rand(rng, 6, 3)
    idx = np.array([4, 0, 0, 5])
    close(K.gather(ref, idx), ref[idx])
    close(K.gather(ref, np.array([[1, 2], [3, 4]])), ref[[[1, 2], [3, 4]]])
    close(K.gather(ref, idx.astype(np.int32)), ref[idx])


def test_one_hot():
    idx = np.array([[0, 2], [1, 3]])
    got = K.one_hot(idx, 4)
    assert got.shape == (2, 2, 4)
    close(got, np.eye(4, dtype=np.float32)[idx])


@pytest.mark.parametrize("axes", [0, 1, -1, [0, 2], (1, 2)], ids=repr)
def test_reverse(rng, axes):
    x = rand(rng, 2, 3, 4)
    close(K.reverse(x, axes), np.flip(x, axes if isinstance(axes, int) else tuple(axes)))


def test_slice(rng):
    x = rand(rng, 4, 5, 6)
    close(K.slice(x, [1, 0, 2], [2, 5, 3]), x[1:3, 0:5, 2:5])
    close(K.slice(x, (0, 2, 1), (-1, 2, -1)), x[:, 2:4, 1:])


@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 1)], ids=repr)
def test_l2_normalize(rng, axis):
    x = rand(rng, 3, 4).astype(np.float64)
    want = x / np.sqrt(np.maximum(np.sum(x * x, axis=axis, keepdims=True), 1e-12))
    close(K.l2_normalize(x, axis=axis), want)


def test_l2_normalize_of_zeros_is_zero():
    close(K.l2_normalize(np.zeros((2, 3), np.float32), axis=1), np.zeros((2, 3)))


# ----------------------------------------------------------------------------- casts, dtypes


def test_cast_to_int_truncates_toward_zero():
    x = np.array([-2.7, -1.5, -0.2, 0.0, 0.2, 1.5, 2.7], np.float32)
    for dtype in ("int32", "int64"):
        got = K.cast(x, dtype)
        assert got.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(got, x.astype(dtype))
        np.testing.assert_array_equal(got, np.trunc(x))


def test_cast_to_bool_and_float():
    x = np.array([-1.0, 0.0, 0.5, 2.0], np.float32)
    got = K.cast(x, "bool")
    assert got.dtype == np.bool_
    np.testing.assert_array_equal(got, x != 0)
    f = K.cast(np.array([1, 2, 3], np.int32), "float32")
    assert f.dtype == np.float32
    close(f, [1.0, 2.0, 3.0])
    assert K.cast(x, "float64").dtype == np.float64
    assert K.cast_to_floatx([1, 2]).dtype == np.float32


@pytest.mark.parametrize(
    "value",
    [np.arange(6, dtype=np.float64).reshape(2, 3), np.arange(6, dtype=np.int32).reshape(2, 3),
     np.arange(6, dtype=np.int64).reshape(2, 3), np.arange(6, dtype=np.uint8).reshape(2, 3),
     np.array([[True, False, True], [False, False, True]]), [[0, 1, 2], [3, 4, 5]]],
    ids=["float64", "int32", "int64", "uint8", "bool", "list"],
)
def test_inputs_of_any_numeric_dtype_are_accepted(value):
    want = np.asarray(value, dtype=np.float64)
    close(K.sum(value, axis=1), want.sum(axis=1))
    close(K.square(value), want**2)
    close(K.dot(value, np.ones((3, 2))), want @ np.ones((3, 2)))


def test_non_contiguous_inputs(rng):
    x = rand(rng, 4, 6)
    close(K.exp(x.T), np.exp(x.T.astype(np.float64)), **LOOSE)
    close(K.sum(x[:, ::2], axis=0), x[:, ::2].sum(axis=0))
    close(K.add(np.asfortranarray(x), x[::-1]), x + x[::-1])


def test_float32_scalar_inputs_stay_scalar():
    assert K.exp(np.float32(1.0)).shape == ()
    assert K.int_shape(K.variable(np.float32(2.0))) == ()
    assert K.sum(np.ones((2, 3))).shape == ()


@pytest.mark.parametrize("value", [3.0, 2, np.float64(1.5), np.array(4.0)], ids=repr)
def test_scalar_inputs_stay_scalar(value):
    """A 0-d input gives a 0-d result, as in NumPy and Keras."""
    assert K.exp(value).shape == ()
    assert K.int_shape(K.variable(value)) == ()


# ----------------------------------------------------------------------------- constructors


def test_zeros_ones_eye():
    for v, want in [(K.zeros((2, 3)), np.zeros((2, 3))), (K.ones((3,)), np.ones(3)),
                    (K.eye(3), np.eye(3))]:
        assert isinstance(v, K.Variable)
        close(K.eval(v), want)
        assert K.dtype(v) == "float32"


def test_zeros_like_ones_like(rng):
    x = rand(rng, 2, 5)
    close(K.zeros_like(x), np.zeros_like(x))
    close(K.ones_like(x), np.ones_like(x))
    close(K.ones_like(K.variable(x)), np.ones_like(x))


def test_constant():
    c = K.constant(2.0, shape=(2, 3))
    assert c.shape == (2, 3) and c.dtype == np.float32
    close(c, np.full((2, 3), 2.0))


# ----------------------------------------------------------------------------- variables


def test_variable_roundtrip(rng):
    x = rand(rng, 3, 4)
    v = K.variable(x, name="w")
    assert v.name == "w"
    assert K.int_shape(v) == (3, 4)
    assert K.ndim(v) == 2
    assert K.dtype(v) == "float32"
    assert K.count_params(v) == 12
    assert K.is_tensor(v) and not K.is_keras_tensor(v)
    close(K.get_value(v), x)
    close(K.eval(v), x)
    new = rand(rng, 3, 4)
    K.set_value(v, new)
    close(K.get_value(v), new)
    K.set_value(v, 1.5)  # a scalar broadcasts to the variable's shape
    close(K.get_value(v), np.full((3, 4), 1.5))


def test_variable_value_is_a_copy(rng):
    x = rand(rng, 2, 2)
    v = K.variable(x)
    x[0, 0] = 100.0
    assert K.get_value(v)[0, 0] != 100.0
    got = K.get_value(v)
    got[1, 1] = -100.0
    assert K.get_value(v)[1, 1] != -100.0


def test_batch_get_and_set_value(rng):
    a, b = K.variable(np.zeros((2,))), K.variable(np.zeros((3, 1)))
    va, vb = rand(rng, 2), rand(rng, 3, 1)
    K.batch_set_value([(a, va), (b, vb)])
    got = K.batch_get_value([a, b])
    assert len(got) == 2
    close(got[0], va)
    close(got[1], vb)


def test_int_shape_ndim_dtype_of_arrays():
    x = np.zeros((2, 3, 4), np.float32)
    assert K.int_shape(x) == (2, 3, 4)
    assert K.ndim(x) == 3
    assert K.dtype(x) == "float32"
    assert K.count_params(x) == 24


def test_set_value_rejects_non_variables():
    with pytest.raises(TypeError):
        K.set_value(np.zeros(3), np.ones(3))


# ----------------------------------------------------------------------------- indexing

INDEXES = [
    (slice(1, 3), slice(None, None, 2)),
    (Ellipsis, 0),
    (None, 1),
    slice(None, None, -1),
    (slice(None), slice(None, None, -2)),
    (slice(3, 0, -1), slice(-2, None)),
    -1,
    (1, 2),
    (slice(None), None, 1),
    (Ellipsis, slice(1, -1)),
    (slice(-1, -5, -2), Ellipsis, None),
    (slice(10, None),),
    (2, slice(None, None, -3), 0),
]


@pytest.mark.parametrize("key", INDEXES, ids=repr)
def test_variable_indexing_matches_numpy(rng, key):
    x = rand(rng, 4, 5, 3)
    v = K.variable(x)
    close(v[key], x[key])


def test_indexing_errors(rng):
    v = K.variable(rand(rng, 2, 3))
    with pytest.raises(IndexError):
        v[5]
    with pytest.raises(IndexError):
        v[0, 0, 0]
    with pytest.raises(IndexError):
        v[..., ...]


# ----------------------------------------------------------------------------- randomness


def test_random_shapes_and_statistics():
    K.set_random_seed(7)
    u = K.random_uniform((200, 100), minval=-1.0, maxval=3.0)
    assert u.shape == (200, 100) and u.dtype == np.float32
    assert u.min() >= -1.0 and u.max() < 3.0
    assert abs(u.mean() - 1.0) < 0.05
    assert abs(u.std() - 4.0 / np.sqrt(12.0)) < 0.05
    n = K.random_normal((200, 100), mean=2.0, stddev=0.5)
    assert n.shape == (200, 100)
    assert abs(n.mean() - 2.0) < 0.02
    assert abs(n.std() - 0.5) < 0.02
    t = K.truncated_normal((20000,), mean=1.0, stddev=2.0)
    assert t.shape == (20000,)
    assert t.min() >= 1.0 - 4.0 and t.max() <= 1.0 + 4.0
    assert abs(t.mean() - 1.0) < 0.05
    # a normal truncated at 2 sigma has std ~0.88 sigma
    assert abs(t.std() - 0.88 * 2.0) < 0.05
    b = K.random_binomial((20000,), p=0.3)
    assert set(np.unique(b).tolist()) <= {0.0, 1.0}
    assert abs(b.mean() - 0.3) < 0.02


def test_random_draws_are_independent():
    a = K.random_uniform((1000,))
    b = K.random_uniform((1000,))
    assert not np.array_equal(a, b)
    assert abs(np.corrcoef(a, b)[0, 1]) < 0.1


def test_set_random_seed_repeats_draws():
    def draw():
        return [K.random_uniform((5, 3)), K.random_normal((4,)), K.truncated_normal((7,)),
                K.random_binomial((6,), p=0.5)]

    K.set_random_seed(42)
    first = draw()
    K.set_random_seed(42)
    second = draw()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    K.set_random_seed(43)
    third = draw()
    assert not np.array_equal(first[0], third[0])


def test_random_with_empty_shape():
    assert K.random_uniform((0, 3)).shape == (0, 3)
    assert K.random_normal(()).shape == ()
