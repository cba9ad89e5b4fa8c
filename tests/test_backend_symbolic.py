"""``K`` functions on placeholders, compiled by ``K.function``; gradients and updates."""

from __future__ import annotations

import numpy as np
import pytest

from rkeras import backend as K

pytestmark = pytest.mark.usefixtures("fresh_graph")

TOL = dict(rtol=1e-4, atol=1e-5)


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _l2n(x, axis):
    return x / np.sqrt(np.maximum(np.sum(x * x, axis=axis, keepdims=True), 1e-12))


W34 = np.linspace(-1.0, 1.0, 12, dtype=np.float32).reshape(3, 4)
W534 = np.linspace(-1.0, 1.0, 60, dtype=np.float32).reshape(5, 3, 4)

# (id, feature shape, K expression of x, NumPy reference, expected K.int_shape)
CASES = [
    ("abs", (3,), K.abs, np.abs, (None, 3)),
    ("square", (3,), K.square, np.square, (None, 3)),
    ("exp", (3,), K.exp, np.exp, (None, 3)),
    ("log_abs", (3,), lambda x: K.log(K.abs(x) + 1.0), lambda x: np.log(np.abs(x) + 1.0),
     (None, 3)),
    ("sqrt_abs", (3,), lambda x: K.sqrt(K.abs(x)), lambda x: np.sqrt(np.abs(x)), (None, 3)),
    ("sigmoid", (3,), K.sigmoid, lambda x: 1 / (1 + np.exp(-x)), (None, 3)),
    ("hard_sigmoid", (3,), K.hard_sigmoid, lambda x: np.clip(0.2 * x + 0.5, 0, 1), (None, 3)),
    ("tanh", (3,), K.tanh, np.tanh, (None, 3)),
    ("softplus", (3,), K.softplus, lambda x: np.logaddexp(0, x), (None, 3)),
    ("softsign", (3,), K.softsign, lambda x: x / (1 + np.abs(x)), (None, 3)),
    ("elu", (3,), lambda x: K.elu(x, 0.7), lambda x: np.where(x > 0, x, 0.7 * np.expm1(x)),
     (None, 3)),
    ("relu_opts", (3,), lambda x: K.relu(x, alpha=0.1, max_value=1.0, threshold=0.2),
     lambda x: np.minimum(np.where(x >= 0.2, x, 0.1 * (x - 0.2)), 1.0), (None, 3)),
    ("clip", (3,), lambda x: K.clip(x, -0.5, 0.5), lambda x: np.clip(x, -0.5, 0.5), (None, 3)),
    ("pow", (3,), lambda x: K.pow(K.abs(x) + 0.5, 1.5), lambda x: (np.abs(x) + 0.5) ** 1.5,
     (None, 3)),
    ("maximum", (3,), lambda x: K.maximum(x, 0.25), lambda x: np.maximum(x, 0.25), (None, 3)),
    ("arith", (3,), lambda x: (x * 2.0 - 1.0) / (K.abs(x) + 1.0) + x ** 2.0,
     lambda x: (x * 2 - 1) / (np.abs(x) + 1) + x**2, (None, 3)),
    ("switch", (3,), lambda x: K.switch(K.greater(x, 0.0), x, -3.0 * x),
     lambda x: np.where(x > 0, x, -3 * x), (None, 3)),
    ("greater", (3,), lambda x: K.greater(x, 0.1), lambda x: x > 0.1, (None, 3)),
    ("sum_1", (3, 4), lambda x: K.sum(x, axis=1), lambda x: x.sum(1), (None, 4)),
    ("mean_0", (3, 4), lambda x: K.mean(x, axis=0), lambda x: x.mean(0), (3, 4)),
    ("max_neg", (3, 4), lambda x: K.max(x, axis=-1, keepdims=True),
     lambda x: x.max(-1, keepdims=True), (None, 3, 1)),
    ("min_tuple", (3, 4), lambda x: K.min(x, axis=(1, 2)), lambda x: x.min((1, 2)), (None,)),
    ("prod", (3,), lambda x: K.prod(x, axis=1), lambda x: x.prod(1), (None,)),
    ("var", (3, 4), lambda x: K.var(x, axis=1), lambda x: x.var(1), (None, 4)),
    ("std_all", (3,), K.std, np.std, ()),
    ("sum_all", (3,), K.sum, np.sum, ()),
    ("argmax", (4,), K.argmax, lambda x: np.argmax(x, -1), (None,)),
    ("argmin_0", (4,), lambda x: K.argmin(x, axis=0), lambda x: np.argmin(x, 0), (4,)),
    ("softmax", (4,), K.softmax, _softmax, (None, 4)),
    ("softmax_1", (3, 4), lambda x: K.softmax(x, axis=1), lambda x: _softmax(x, 1),
     (None, 3, 4)),
    ("log_softmax", (4,), K.log_softmax, lambda x: np.log(_softmax(x)), (None, 4)),
    ("logsumexp", (4,), lambda x: K.logsumexp(x, axis=1),
     lambda x: np.log(np.exp(x).sum(1)), (None,)),
    ("l2_normalize", (4,), lambda x: K.l2_normalize(x, axis=1), lambda x: _l2n(x, 1),
     (None, 4)),
    ("dot_2x2", (3,), lambda x: K.dot(x, W34), lambda x: x @ W34, (None, 4)),
    ("dot_3x2", (2, 3), lambda x: K.dot(x, W34), lambda x: np.dot(x, W34), (None, 2, 4)),
    ("dot_2x3", (3,), lambda x: K.dot(x, W534), lambda x: np.dot(x, W534), (None, 5, 4)),
    ("dot_var", (3,), lambda x: K.dot(x, K.variable(W34)), lambda x: x @ W34, (None, 4)),
    ("batch_dot_22", (3,), lambda x: K.batch_dot(x, x * 2.0),
     lambda x: np.sum(x * x * 2, 1, keepdims=True), (None, 1)),
    ("batch_dot_33", (2, 3), lambda x: K.batch_dot(x, K.permute_dimensions(x, (0, 2, 1))),
     lambda x: np.einsum("bij,bkj->bik", x, x), (None, 2, 2)),
    ("transpose", (3,), K.transpose, lambda x: x.T, (3, None)),
    ("permute", (2, 3), lambda x: K.permute_dimensions(x, (0, 2, 1)),
     lambda x: x.transpose(0, 2, 1), (None, 3, 2)),
    ("reshape", (2, 3), lambda x: K.reshape(x, (-1, 3, 2)), lambda x: x.reshape(-1, 3, 2),
     (None, 3, 2)),
    ("expand_dims", (3,), lambda x: K.expand_dims(x, 1), lambda x: x[:, None], (None, 1, 3)),
    ("squeeze", (1, 3), lambda x: K.squeeze(x, 1), lambda x: x[:, 0], (None, 3)),
    ("flatten", (2, 3), K.flatten, np.ravel, (None,)),
    ("batch_flatten", (2, 3), K.batch_flatten, lambda x: x.reshape(len(x), -1), (None, 6)),
    ("concatenate_1", (3,), lambda x: K.concatenate([x, x * 2.0], axis=1),
     lambda x: np.concatenate([x, 2 * x], 1), (None, 6)),
    ("concatenate_0", (3,), lambda x: K.concatenate([x, x], axis=0),
     lambda x: np.concatenate([x, x], 0), (None, 3)),
    ("stack", (3,), lambda x: K.stack([x, -x], axis=1), lambda x: np.stack([x, -x], 1),
     (None, 2, 3)),
    ("tile", (3,), lambda x: K.tile(x, [2, 3]), lambda x: np.tile(x, [2, 3]), (None, 9)),
    ("repeat_elements", (3,), lambda x: K.repeat_elements(x, 2, axis=1),
     lambda x: np.repeat(x, 2, 1), (None, 6)),
    ("repeat", (3,), lambda x: K.repeat(x, 4), lambda x: np.repeat(x[:, None], 4, 1),
     (None, 4, 3)),
    ("gather", (3,), lambda x: K.gather(x, np.array([1, 0, 1])), lambda x: x[[1, 0, 1]],
     (3, 3)),
    ("one_hot", (), lambda x: K.one_hot(K.cast(K.abs(x) * 2.0, "int32"), 5),
     lambda x: np.eye(5)[(np.abs(x) * 2).astype(int)], (None, 5)),
    ("reverse", (3,), lambda x: K.reverse(x, 1), lambda x: x[:, ::-1], (None, 3)),
    ("slice", (4,), lambda x: K.slice(x, [0, 1], [-1, 2]), lambda x: x[:, 1:3], (None, 2)),
    ("getitem", (4, 3), lambda x: x[:, 1:3, ::-1], lambda x: x[:, 1:3, ::-1], (None, 2, 3)),
    ("getitem_int", (4, 3), lambda x: x[..., 0], lambda x: x[..., 0], (None, 4)),
    ("getitem_none", (4,), lambda x: x[:, None, 2], lambda x: x[:, None, 2], (None, 1)),
    ("cast_int", (3,), lambda x: K.cast(x * 3.0, "int32"), lambda x: np.trunc(x * 3),
     (None, 3)),
    ("any", (3,), lambda x: K.any(K.greater(x, 1.0), axis=1), lambda x: (x > 1).any(1),
     (None,)),
    ("zeros_like", (3,), K.zeros_like, np.zeros_like, (None, 3)),
    ("ones_like", (3,), K.ones_like, np.ones_like, (None, 3)),
]


def _case(c):
    if hasattr(c, "marks"):  # already a pytest.param
        return pytest.param(*c.values[1:], id=c.values[0], marks=c.marks)
    return pytest.param(*c[1:], id=c[0])


@pytest.mark.parametrize("fshape,build,ref,int_shape", [_case(c) for c in CASES])
def test_symbolic_matches_numpy_for_two_batch_sizes(rng, fshape, build, ref, int_shape):
    x = K.placeholder(shape=(None,) + fshape)
    y = build(x)
    assert K.is_keras_tensor(y)
    assert K.int_shape(y) == int_shape
    f = K.function([x], [y])
    for batch in (2, 5):
        xv = rng.uniform(-1.5, 1.5, size=(batch,) + fshape).astype(np.float32)
        (out,) = f([xv])
        want = ref(xv.astype(np.float64))
        assert out.shape == np.shape(want)
        np.testing.assert_allclose(out, want, **TOL)
        # the eager result agrees with the compiled one
        np.testing.assert_allclose(build(xv), out, **TOL)


def test_result_dtypes_follow_keras():
    x = K.placeholder(shape=(None, 3))
    assert K.dtype(K.greater(x, 0.0)) == "bool"
    assert K.dtype(K.argmax(x)) == "int64"
    assert K.dtype(K.cast(x, "int32")) == "int32"
    assert K.dtype(x * 2.0) == "float32"
    f = K.function([x], [K.greater(x, 0.0), K.argmax(x), K.cast(x, "int32"), x * 2.0])
    outs = f([np.array([[-1.0, 2.5, 0.5]], np.float32)])
    assert [o.dtype for o in outs] == [np.bool_, np.int64, np.int32, np.float32]
    np.testing.assert_array_equal(outs[0], [[False, True, True]])
    np.testing.assert_array_equal(outs[1], [1])
    np.testing.assert_array_equal(outs[2], [[-1, 2, 0]])


def test_placeholder_by_ndim_and_known_shapes():
    x = K.placeholder(ndim=3)
    assert K.int_shape(x) == (None, None, None)
    assert K.ndim(x) == 3
    assert K.is_placeholder(x) and not K.is_placeholder(x * 1.0)
    f = K.function([x], [K.sum(x, axis=(1, 2))])
    np.testing.assert_allclose(f([np.ones((2, 3, 4))])[0], [12.0, 12.0])
    np.testing.assert_allclose(f([np.ones((1, 5, 1))])[0], [5.0])
    with pytest.raises(ValueError):
        K.placeholder()


def test_two_inputs_and_multiple_outputs(rng):
    a = K.placeholder(shape=(None, 3))
    b = K.placeholder(shape=(None, 3))
    f = K.function([a, b], [a + b, a * b, K.sum(a - b, axis=1)])
    av, bv = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    s, p, d = f([av, bv])
    np.testing.assert_allclose(s, av + bv, **TOL)
    np.testing.assert_allclose(p, av * bv, **TOL)
    np.testing.assert_allclose(d, (av - bv).sum(1), **TOL)


def test_single_output_returns_array():
    x = K.placeholder(shape=(None, 2))
    f = K.function([x], K.sum(x, axis=1))
    out = f([np.ones((3, 2))])
    assert isinstance(out, np.ndarray)
    np.testing.assert_allclose(out, [2.0, 2.0, 2.0])
    g = K.function([x], [K.sum(x, axis=1)])
    assert isinstance(g([np.ones((3, 2))]), list)


def test_dict_feeds():
    a = K.placeholder(shape=(None, 2))
    b = K.placeholder(shape=(None, 2))
    f = K.function([a, b], [a - b])
    av, bv = np.full((2, 2), 5.0), np.full((2, 2), 3.0)
    np.testing.assert_allclose(f({b: bv, a: av})[0], np.full((2, 2), 2.0))
    np.testing.assert_allclose(f([av, bv])[0], np.full((2, 2), 2.0))


def test_single_non_list_input():
    x = K.placeholder(shape=(None, 2))
    f = K.function([x], x * 3.0)
    np.testing.assert_allclose(f(np.ones((1, 2))), [[3.0, 3.0]])


def test_function_reads_current_variable_values():
    x = K.placeholder(shape=(None, 2))
    w = K.variable(np.ones((2, 1)))
    f = K.function([x], K.dot(x, w))
    np.testing.assert_allclose(f([np.ones((1, 2))]), [[2.0]])
    K.set_value(w, np.full((2, 1), 3.0))
    np.testing.assert_allclose(f([np.ones((1, 2))]), [[6.0]])


def test_graph_keeps_its_variables_alive():
    import gc

    x = K.placeholder(shape=(None, 2))
    y = K.sum(x * K.variable(np.array([1.0, 1.0])), axis=1)
    gc.collect()
    other = K.variable(np.array([100.0, 100.0]))  # may reuse the freed handle
    f = K.function([x], y)
    np.testing.assert_allclose(f([np.ones((1, 2))]), [2.0])
    assert K.get_value(other)[0] == 100.0


def test_function_inputs_must_be_placeholders():
    x = K.placeholder(shape=(None, 2))
    with pytest.raises(TypeError):
        K.function([x * 2.0], [x])


def test_mixing_two_graphs_raises_value_error():
    a = K.placeholder(shape=(None, 2))
    K.clear_session()
    b = K.placeholder(shape=(None, 2))
    assert a.graph is not b.graph
    with pytest.raises(ValueError, match="different graphs"):
        a + b
    with pytest.raises(ValueError, match="different graphs"):
        K.concatenate([a, b])
    with pytest.raises(ValueError):
        K.function([a], [b])


def test_symbolic_tensor_in_if_raises_type_error():
    x = K.placeholder(shape=(None, 2))
    with pytest.raises(TypeError, match="truth value"):
        if x:
            pass
    with pytest.raises(TypeError):
        bool(K.greater(x, 0.0))


def test_get_value_of_symbolic_tensor_raises():
    x = K.placeholder(shape=(None, 2))
    with pytest.raises(TypeError):
        K.get_value(x)
    with pytest.raises(TypeError):
        K.eval(x * 2.0)


# ----------------------------------------------------------------------------- gradients


def numeric_grad(f, x, eps=1e-5):
    """Central finite differences of scalar `f` at `x`, in float64."""
    x = np.array(x, dtype=np.float64)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        hi = f(x)
        x[i] = old - eps
        lo = f(x)
        x[i] = old
        g[i] = (hi - lo) / (2 * eps)
    return g


GRAD_TOL = dict(rtol=2e-3, atol=2e-4)
C4 = np.arange(1.0, 5.0)
C64, C38, C32 = (np.arange(24.0).reshape(6, 4), np.arange(24.0).reshape(3, 8),
                 np.arange(6.0).reshape(3, 2))
C34, C26, C324 = (np.arange(12.0).reshape(3, 4), np.arange(12.0).reshape(2, 6),
                  np.arange(24.0).reshape(3, 2, 4))


@pytest.mark.parametrize(
    "build,ref",
    [
        (lambda x: K.mean(K.l2_normalize(x, axis=1)), lambda x: np.mean(_l2n(x, 1))),
        (lambda x: K.sum(K.relu(x) * x), lambda x: np.sum(np.maximum(x, 0) * x)),
        (lambda x: K.sum(K.max(x, axis=1)), lambda x: np.sum(np.max(x, axis=1))),
        (lambda x: K.sum(K.tanh(x) * K.sigmoid(x * 2.0)),
         lambda x: np.sum(np.tanh(x) / (1 + np.exp(-2 * x)))),
        (lambda x: K.mean(K.square(x - K.mean(x, axis=1, keepdims=True))),
         lambda x: np.mean((x - x.mean(1, keepdims=True)) ** 2)),
        (lambda x: K.sum(K.log_softmax(x) * np.arange(4.0)),
         lambda x: np.sum(np.log(_softmax(x)) * np.arange(4.0))),
        (lambda x: K.sum(K.logsumexp(x, axis=1)), lambda x: np.sum(np.log(np.exp(x).sum(1)))),
        (lambda x: K.sum(K.concatenate([x, K.square(x)], axis=1)[:, 1:6]),
         lambda x: np.sum(np.concatenate([x, x**2], 1)[:, 1:6])),
        (lambda x: K.sum(K.softplus(K.dot(x, W34.T[:4, :3]))),
         lambda x: np.sum(np.logaddexp(0, x @ W34.T[:4, :3]))),
        (lambda x: K.sum(K.std(x, axis=1)), lambda x: np.sum(np.std(x, axis=1))),
        (lambda x: K.sum(K.var(x, axis=0) * C4), lambda x: np.sum(np.var(x, axis=0) * C4)),
        (lambda x: K.sum(K.prod(x, axis=1)), lambda x: np.sum(np.prod(x, axis=1))),
        (lambda x: K.sum(K.min(x, axis=0) * C4), lambda x: np.sum(np.min(x, axis=0) * C4)),
        (lambda x: K.sum(K.tile(x, [2, 1]) * C64), lambda x: np.sum(np.tile(x, [2, 1]) * C64)),
        (lambda x: K.sum(K.repeat_elements(x, 2, 1) * C38),
         lambda x: np.sum(np.repeat(x, 2, 1) * C38)),
        (lambda x: K.sum(x[::-1, ::-2] * C32), lambda x: np.sum(x[::-1, ::-2] * C32)),
        (lambda x: K.sum(K.gather(x, np.array([2, 0, 2])) * C34),
         lambda x: np.sum(x[[2, 0, 2]] * C34)),
        (lambda x: K.sum(K.switch(x > 0, K.square(x), x * 3.0)),
         lambda x: np.sum(np.where(x > 0, x**2, 3 * x))),
        (lambda x: K.sum(2.0 ** x), lambda x: np.sum(2.0**x)),
        (lambda x: K.sum(1.0 / (K.abs(x) + 1.0)), lambda x: np.sum(1 / (np.abs(x) + 1))),
        (lambda x: K.sum(K.clip(x, -0.5, 0.5) * C4),
         lambda x: np.sum(np.clip(x, -0.5, 0.5) * C4)),
        (lambda x: K.sum(K.batch_dot(x, x)), lambda x: np.sum(x * x)),
        (lambda x: K.sum(K.reshape(K.transpose(x), (2, 6)) * C26),
         lambda x: np.sum(x.T.reshape(2, 6) * C26)),
        (lambda x: K.sum(K.stack([x, x * 2.0], axis=1) * C324),
         lambda x: np.sum(np.stack([x, 2 * x], 1) * C324)),
        (lambda x: K.sum(K.sqrt(K.exp(x)) + K.log(K.square(x) + 1.0)),
         lambda x: np.sum(np.sqrt(np.exp(x)) + np.log(x**2 + 1))),
        (lambda x: K.logsumexp(x), lambda x: np.log(np.sum(np.exp(x)))),
    ],
    ids=["mean_l2_normalize", "sum_relu_times_x", "sum_max", "tanh_sigmoid", "centered_sq",
         "log_softmax", "logsumexp", "concat_slice", "softplus_dot", "std", "var", "prod", "min",
         "tile", "repeat_elements", "reversed_slice", "gather", "switch", "rpow", "reciprocal",
         "clip", "batch_dot", "transpose_reshape", "stack", "sqrt_log_exp", "logsumexp_all"],
)
def test_gradients_match_finite_differences(rng, build, ref):
    x = K.placeholder(shape=(None, 4))
    loss = build(x)
    grad = K.gradients(loss, [x])
    assert isinstance(grad, list) and len(grad) == 1
    assert K.int_shape(grad[0]) == (None, 4)
    f = K.function([x], [loss, grad[0]])
    # keep away from kinks of relu/max
    xv = rng.uniform(0.1, 1.0, size=(3, 4)) * rng.choice([-1.0, 1.0], size=(3, 4))
    lv, gv = f([xv.astype(np.float32)])
    np.testing.assert_allclose(lv, ref(xv), **GRAD_TOL)
    np.testing.assert_allclose(gv, numeric_grad(ref, xv), **GRAD_TOL)


def test_gradient_of_softmax_dot_wrt_variable(rng):
    wv = rng.normal(size=(3, 4))
    w = K.variable(wv)
    x = K.placeholder(shape=(None, 3))
    t = rng.normal(size=(5, 4))
    loss = K.sum(K.softmax(K.dot(x, w)) * t)
    gw, gx = K.gradients(loss, [w, x])
    assert K.int_shape(gw) == (3, 4)
    f = K.function([x], [gw, gx])
    xv = rng.normal(size=(5, 3))
    got_w, got_x = f([xv])
    np.testing.assert_allclose(
        got_w, numeric_grad(lambda w_: np.sum(_softmax(xv @ w_) * t), wv), **GRAD_TOL)
    np.testing.assert_allclose(
        got_x, numeric_grad(lambda x_: np.sum(_softmax(x_ @ wv) * t), xv), **GRAD_TOL)


def test_gradients_single_variable_not_in_list(rng):
    w = K.variable(rng.normal(size=(2,)))
    x = K.placeholder(shape=(None, 2))
    g = K.gradients(K.sum(x * w), w)
    assert K.is_keras_tensor(g)
    out = K.function([x], g)([np.array([[1.0, 2.0], [3.0, 4.0]])])
    np.testing.assert_allclose(out, [4.0, 6.0], **TOL)


def test_gradients_require_symbolic_loss():
    with pytest.raises(TypeError):
        K.gradients(np.float32(1.0), [K.variable(np.ones(2))])


def test_stop_gradient_blocks_gradient():
    x = K.placeholder(shape=(None, 2))
    loss = K.sum(x * K.stop_gradient(x))
    g = K.function([x], K.gradients(loss, x))([np.array([[1.0, -2.0]])])
    np.testing.assert_allclose(g, [[1.0, -2.0]])


# ----------------------------------------------------------------------------- updates


def test_update_add_with_symbolic_increment_runs_each_call():
    x = K.placeholder(shape=(None, 2))
    acc = K.variable(np.zeros((2,)))
    f = K.function([x], [K.sum(x)], updates=[K.update_add(acc, K.sum(x, axis=0))])
    assert np.all(K.get_value(acc) == 0.0)  # nothing happens before the first call
    for k in range(1, 4):
        f([np.array([[1.0, 2.0], [3.0, 4.0]])])
        np.testing.assert_allclose(K.get_value(acc), [4.0 * k, 6.0 * k])


def test_update_and_update_sub_with_symbolic_values():
    x = K.placeholder(shape=(None, 1))
    v = K.variable(np.array([10.0]))
    last = K.variable(np.array([0.0]))
    f = K.function([x], [], updates=[K.update_sub(v, K.sum(x, axis=0)),
                                     K.update(last, K.max(x, axis=0))])
    f([np.array([[1.0], [2.0]])])
    f([np.array([[0.5]])])
    np.testing.assert_allclose(K.get_value(v), [6.5])
    np.testing.assert_allclose(K.get_value(last), [0.5])


def test_updates_as_tuples():
    x = K.placeholder(shape=(None, 2))
    v = K.variable(np.zeros((2,)))
    f = K.function([x], [x], updates=[(v, K.mean(x, axis=0))])
    f([np.array([[1.0, 3.0], [3.0, 5.0]])])
    np.testing.assert_allclose(K.get_value(v), [2.0, 4.0])


def test_update_add_with_constant_increment_counts_calls():
    x = K.placeholder(shape=(None, 2))
    iterations = K.variable(0.0)
    f = K.function([x], [K.sum(x)], updates=[K.update_add(iterations, 1.0)])
    assert float(np.asarray(K.get_value(iterations)).ravel()[0]) == 0.0
    for _ in range(3):
        f([np.ones((1, 2))])
    assert float(np.asarray(K.get_value(iterations)).ravel()[0]) == 3.0


def test_sgd_on_linear_regression_lowers_the_loss(rng):
    true_w = np.array([[1.5], [-2.0], [0.5]])
    xv = rng.normal(size=(32, 3)).astype(np.float32)
    yv = (xv @ true_w + 0.3).astype(np.float32)
    x = K.placeholder(shape=(None, 3))
    y = K.placeholder(shape=(None, 1))
    w = K.variable(np.zeros((3, 1)))
    b = K.variable(np.zeros((1,)))
    loss = K.mean(K.square(K.dot(x, w) + b - y))
    gw, gb = K.gradients(loss, [w, b])
    lr = 0.1
    step = K.function([x, y], [loss], updates=[K.update_sub(w, lr * gw),
                                               K.update_sub(b, gb * lr)])
    losses = [float(step([xv, yv])[0]) for _ in range(50)]
    assert losses[-1] < 0.05 * losses[0]
    assert all(b_ <= a_ + 1e-6 for a_, b_ in zip(losses, losses[1:]))
    np.testing.assert_allclose(K.get_value(w), true_w, atol=0.1)
    np.testing.assert_allclose(K.get_value(b), [0.3], atol=0.1)


def test_batch_dot_mixed_ranks(rng):
    a = K.placeholder(shape=(None, 3))
    b = K.placeholder(shape=(None, 3, 4))
    c = K.placeholder(shape=(None, 4))
    ab, bc = K.batch_dot(a, b), K.batch_dot(b, c)
    assert K.int_shape(ab) == (None, 4) and K.int_shape(bc) == (None, 3)
    f = K.function([a, b, c], [ab, bc])
    for batch in (2, 5):
        av, bv, cv = (rng.normal(size=(batch,) + s) for s in ((3,), (3, 4), (4,)))
        got_ab, got_bc = f([av, bv, cv])
        np.testing.assert_allclose(got_ab, np.einsum("bi,bij->bj", av, bv), **TOL)
        np.testing.assert_allclose(got_bc, np.einsum("bij,bj->bi", bv, cv), **TOL)


def test_dot_rank3_by_rank3_with_unknown_batch(rng):
    x = K.placeholder(shape=(None, 2, 3))
    y = rng.normal(size=(5, 3, 4)).astype(np.float32)
    d = K.dot(x, y)
    assert K.int_shape(d) == (None, 2, 5, 4)
    xv = rng.normal(size=(3, 2, 3)).astype(np.float32)
    np.testing.assert_allclose(K.function([x], d)([xv]), np.dot(xv, y), **TOL)
