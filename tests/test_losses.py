"""Losses: parity with real Keras 3 (values recorded by tools/keras_reference/make_reference.py),
eager == symbolic (two batch sizes), gradients against float64 central differences, the class
forms, and get/serialize/deserialize."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

from rkeras import backend as K
from rkeras import losses
from rkeras.utils.generic_utils import custom_object_scope

DATA = json.loads((pathlib.Path(__file__).parent / "data"
                   / "keras_reference_losses_metrics_activations.json").read_text())
INPUTS = {k: (np.asarray(v["y_true"], np.float32), np.asarray(v["y_pred"], np.float32))
          for k, v in DATA["inputs"].items()}
# The project's parity tolerance. Every case meets it; float32 sums of a handful of terms stay
# well inside rtol 1e-5 (and MAPE's 1e7-sized values from zero targets are relative anyway).
TOL = dict(rtol=1e-5, atol=1e-6)


def _case_id(case):
    return f"{case['name']}-{case['inputs']}-" + ",".join(f"{k}={v}" for k, v in
                                                          case["kwargs"].items())


@pytest.mark.parametrize("case", DATA["losses"], ids=_case_id)
def test_loss_matches_keras(case):
    y_true, y_pred = INPUTS[case["inputs"]]
    got = losses.get(case["name"])(y_true, y_pred, **case["kwargs"])
    want = np.asarray(case["output"], np.float32)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, **TOL)


@pytest.mark.parametrize("case", DATA["loss_classes"],
                         ids=lambda c: f"{c['class_name']}-{c['inputs']}-{c['kwargs']}")
def test_loss_class_matches_keras(case):
    y_true, y_pred = INPUTS[case["inputs"]]
    sw = None if case["sample_weight"] is None else np.asarray(case["sample_weight"], np.float32)
    obj = getattr(losses, case["class_name"])(**case["kwargs"])
    got = np.asarray(obj(y_true, y_pred, sample_weight=sw))
    want = np.asarray(case["output"], np.float32)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, **TOL)


@pytest.mark.usefixtures("fresh_graph")
@pytest.mark.parametrize("case", DATA["losses"], ids=_case_id)
def test_loss_symbolic_equals_eager(case):
    y_true, y_pred = INPUTS[case["inputs"]]
    fn = losses.get(case["name"])
    t = K.placeholder(shape=(None,) + y_true.shape[1:])
    p = K.placeholder(shape=(None,) + y_pred.shape[1:])
    out = fn(t, p, **case["kwargs"])
    assert K.is_keras_tensor(out)
    f = K.function([t, p], [out])
    for n in (len(y_true), 2):  # two batch sizes through one compiled function
        got = f([y_true[:n], y_pred[:n]])[0]
        want = fn(y_true[:n], y_pred[:n], **case["kwargs"])
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


@pytest.mark.usefixtures("fresh_graph")
def test_loss_class_symbolic_with_sample_weight():
    y_true, y_pred = INPUTS["onehot_logits"]
    sw = np.linspace(0.0, 2.0, len(y_true)).astype(np.float32)
    loss = losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)
    t, p, w = K.placeholder(shape=(None, 5)), K.placeholder(shape=(None, 5)), \
        K.placeholder(shape=(None,))
    f = K.function([t, p, w], [loss(t, p, sample_weight=w)])
    np.testing.assert_allclose(f([y_true, y_pred, sw])[0], loss(y_true, y_pred, sw), rtol=1e-6)


# ----------------------------------------------------------------------------- NumPy references

EPS = 1e-7


def _softplus(x):
    return np.logaddexp(0.0, x)


def _hinge_labels(t):
    return 2 * t - 1 if np.all((t == 0) | (t == 1)) else t


def _log_softmax(x):
    m = x.max(-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))


def _cce(t, p, from_logits=False, label_smoothing=0.0):
    if label_smoothing:
        t = t * (1 - label_smoothing) + label_smoothing / t.shape[-1]
    if from_logits:
        return -(t * _log_softmax(p)).sum(-1)
    q = np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS)
    return -(t * np.log(q)).sum(-1)


def _bce(t, p, from_logits=False, label_smoothing=0.0):
    if label_smoothing:
        t = t * (1 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        return (t * _softplus(-p) + (1 - t) * _softplus(p)).mean(-1)
    q = np.clip(p, EPS, 1 - EPS)
    return -(t * np.log(q) + (1 - t) * np.log(1 - q)).mean(-1)


def _normalize(x):
    return x / np.maximum(np.sqrt((x * x).sum(-1, keepdims=True)), EPS)


NUMPY_REF = {
    "mean_squared_error": lambda t, p: ((t - p) ** 2).mean(-1),
    "mean_absolute_error": lambda t, p: np.abs(t - p).mean(-1),
    "mean_absolute_percentage_error":
        lambda t, p: 100 * np.abs((t - p) / np.maximum(np.abs(t), EPS)).mean(-1),
    "mean_squared_logarithmic_error":
        lambda t, p: ((np.log(np.maximum(p, EPS) + 1) - np.log(np.maximum(t, EPS) + 1)) ** 2)
        .mean(-1),
    "hinge": lambda t, p: np.maximum(1 - _hinge_labels(t) * p, 0).mean(-1),
    "squared_hinge": lambda t, p: (np.maximum(1 - _hinge_labels(t) * p, 0) ** 2).mean(-1),
    "categorical_hinge":
        lambda t, p: np.maximum(((1 - t) * p).max(-1) - (t * p).sum(-1) + 1, 0),
    "logcosh": lambda t, p: np.log(np.cosh(p - t)).mean(-1),
    "huber": lambda t, p, delta=1.0: np.where(np.abs(p - t) <= delta, 0.5 * (p - t) ** 2,
                                              delta * np.abs(p - t) - 0.5 * delta**2).mean(-1),
    "categorical_crossentropy": _cce,
    "sparse_categorical_crossentropy":
        lambda t, p, from_logits=False: _cce(np.eye(p.shape[-1])[t.reshape(-1).astype(int)], p,
                                             from_logits),
    "binary_crossentropy": _bce,
    "kullback_leibler_divergence":
        lambda t, p: (np.clip(t, EPS, 1) * np.log(np.clip(t, EPS, 1) / np.clip(p, EPS, 1)))
        .sum(-1),
    "poisson": lambda t, p: (p - t * np.log(p + EPS)).mean(-1),
    "cosine_similarity": lambda t, p: -(_normalize(t) * _normalize(p)).sum(-1),
}

# (loss, kwargs, inputs): points away from kinks and clipping bounds.
GRAD_CASES = [
    ("mean_squared_error", {}, "real"),
    ("mean_squared_error", {}, "real_rank3"),
    ("mean_absolute_error", {}, "real"),
    ("mean_absolute_percentage_error", {}, "positive"),
    ("mean_squared_logarithmic_error", {}, "positive"),
    ("hinge", {}, "pm1"),
    ("hinge", {}, "zero_one"),
    ("squared_hinge", {}, "pm1"),
    ("categorical_hinge", {}, "real"),
    ("logcosh", {}, "real"),
    ("huber", {}, "real"),
    ("huber", {"delta": 0.5}, "real"),
    ("categorical_crossentropy", {}, "onehot_probs"),
    ("categorical_crossentropy", {}, "soft_probs"),
    ("categorical_crossentropy", {"from_logits": True, "label_smoothing": 0.2}, "onehot_logits"),
    ("sparse_categorical_crossentropy", {}, "sparse_probs"),
    ("sparse_categorical_crossentropy", {"from_logits": True}, "sparse_logits"),
    ("binary_crossentropy", {}, "binary_probs"),
    ("binary_crossentropy", {"from_logits": True, "label_smoothing": 0.1}, "binary_logits"),
    ("kullback_leibler_divergence", {}, "soft_probs"),
    ("poisson", {}, "positive"),
    ("cosine_similarity", {}, "real"),
]


@pytest.mark.parametrize("name,kwargs,key", GRAD_CASES,
                         ids=[f"{n}-{k}-{kw}" for n, kw, k in GRAD_CASES])
def test_numpy_reference_agrees_with_keras(name, kwargs, key):
    # The float64 references used for the gradient checks are themselves Keras's formulas.
    case = next((c for c in DATA["losses"] if c["name"] == name and c["inputs"] == key
                 and c["kwargs"] == kwargs), None)
    if case is None:
        pytest.skip("no Keras reference for these inputs (the gradient test still runs)")
    y_true, y_pred = INPUTS[key]
    ref = NUMPY_REF[name](y_true.astype(np.float64), y_pred.astype(np.float64), **kwargs)
    want = np.asarray(case["output"])
    np.testing.assert_allclose(ref, want, rtol=1e-5, atol=1e-6)


@pytest.mark.usefixtures("fresh_graph")
@pytest.mark.parametrize("name,kwargs,key", GRAD_CASES,
                         ids=[f"{n}-{k}-{kw}" for n, kw, k in GRAD_CASES])
def test_loss_gradient_matches_central_differences(name, kwargs, key):
    y_true, y_pred = INPUTS[key]
    t = K.placeholder(shape=(None,) + y_true.shape[1:])
    p = K.placeholder(shape=(None,) + y_pred.shape[1:])
    total = K.sum(losses.get(name)(t, p, **kwargs))
    grad = K.function([t, p], K.gradients(total, [p]))([y_true, y_pred])[0]

    ref = NUMPY_REF[name]
    t64, p64 = y_true.astype(np.float64), y_pred.astype(np.float64)
    numeric = np.zeros_like(p64)
    h = 1e-6
    for idx in np.ndindex(*p64.shape):
        hi, lo = p64.copy(), p64.copy()
        hi[idx] += h
        lo[idx] -= h
        numeric[idx] = (ref(t64, hi, **kwargs).sum() - ref(t64, lo, **kwargs).sum()) / (2 * h)
    # rkeras differentiates in float32: agree to float32 accuracy of the analytic gradient.
    np.testing.assert_allclose(grad, numeric, rtol=2e-4, atol=2e-5)


# ----------------------------------------------------------------------------- behaviour


def test_every_keras2_name_and_alias_resolves():
    names = ["mean_squared_error", "mse", "MSE", "mean_absolute_error", "mae", "MAE",
             "mean_absolute_percentage_error", "mape", "MAPE", "mean_squared_logarithmic_error",
             "msle", "MSLE", "squared_hinge", "hinge", "categorical_hinge", "logcosh",
             "log_cosh", "huber", "categorical_crossentropy", "sparse_categorical_crossentropy",
             "binary_crossentropy", "kullback_leibler_divergence", "kld", "KLD",
             "kl_divergence", "poisson", "cosine_proximity", "cosine", "cosine_similarity"]
    for name in names:
        fn = losses.get(name)
        assert callable(fn) and getattr(losses, name) is fn
    assert losses.mse is losses.MSE is losses.mean_squared_error
    assert losses.get("kld") is losses.get("KLD") is losses.kullback_leibler_divergence


def test_sparse_targets_any_shape_and_dtype():
    _, y_pred = INPUTS["sparse_probs"]
    labels = np.array([0, 3, 1, 4])
    a = losses.sparse_categorical_crossentropy(labels, y_pred)
    b = losses.sparse_categorical_crossentropy(labels[:, None].astype(np.float32), y_pred)
    c = losses.categorical_crossentropy(np.eye(5, dtype=np.float32)[labels], y_pred)
    assert a.shape == (4,)
    np.testing.assert_allclose(a, b)
    np.testing.assert_allclose(a, c, rtol=1e-6)


def test_crossentropy_clips_with_epsilon():
    # 1 - eps rounds to float32 (as in Keras), so log(1 - p) bottoms out at log(1.19e-7).
    hi = np.float32(1.0) - np.float32(K.epsilon())
    out = losses.binary_crossentropy([[1.0, 0.0]], [[0.0, 1.0]])
    np.testing.assert_allclose(out, [-(np.log(K.epsilon()) + np.log(1.0 - hi)) / 2], rtol=1e-4)
    out = losses.categorical_crossentropy([[1.0, 0.0]], [[0.0, 1.0]])
    np.testing.assert_allclose(out, [-np.log(K.epsilon())], rtol=1e-4)
    assert np.all(np.isfinite(losses.binary_crossentropy([[1.0]], [[1e30]], from_logits=True)))


def test_cosine_proximity_is_keras2_negative_cosine():
    y_true, y_pred = INPUTS["real"]
    np.testing.assert_allclose(losses.cosine_proximity(y_true, y_pred),
                               losses.cosine_similarity(y_true, y_pred), rtol=1e-6)
    assert losses.cosine_similarity([[1.0, 1.0]], [[2.0, 2.0]])[0] == pytest.approx(-1.0)


def test_loss_class_reductions_and_config():
    y_true, y_pred = INPUTS["real"]
    per_sample = losses.mean_squared_error(y_true, y_pred)
    assert float(losses.MeanSquaredError()(y_true, y_pred)) == pytest.approx(per_sample.mean())
    assert float(losses.MeanSquaredError(reduction="sum")(y_true, y_pred)) == \
        pytest.approx(per_sample.sum(), rel=1e-6)
    assert float(losses.MeanSquaredError(reduction="auto")(y_true, y_pred)) == \
        pytest.approx(per_sample.mean())
    np.testing.assert_allclose(losses.MeanSquaredError(reduction="none")(y_true, y_pred),
                               per_sample)
    sw = np.array([1.0, 0.0, 2.0, 0.0], np.float32)
    got = losses.MeanSquaredError(reduction="mean_with_sample_weight")(y_true, y_pred, sw)
    assert float(got) == pytest.approx((per_sample * sw).sum() / sw.sum(), rel=1e-6)
    with pytest.raises(ValueError, match="Invalid value for argument `reduction`"):
        losses.MeanSquaredError(reduction="average")
    cce = losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)
    assert cce.get_config() == {"name": "categorical_crossentropy",
                                "reduction": "sum_over_batch_size", "from_logits": True,
                                "label_smoothing": 0.1, "axis": -1}
    assert losses.Huber().name == "huber_loss" and losses.Huber(delta=2.0).get_config()[
        "delta"] == 2.0


def test_serialize_deserialize_round_trip():
    for obj in [losses.MeanSquaredError(), losses.Huber(delta=0.3),
                losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.2),
                losses.SparseCategoricalCrossentropy(from_logits=True),
                losses.CosineSimilarity(axis=-1, reduction="sum")]:
        config = losses.serialize(obj)
        assert config["class_name"] == type(obj).__name__
        back = losses.deserialize(config)
        assert type(back) is type(obj) and back.get_config() == obj.get_config()
    for fn in [losses.mse, losses.categorical_crossentropy, losses.logcosh, losses.kld]:
        assert losses.deserialize(losses.serialize(fn)) is fn
    # Keras 3's saved format.
    k3 = {"module": "keras.losses", "class_name": "BinaryCrossentropy",
          "config": {"name": "bce", "reduction": "sum_over_batch_size", "from_logits": True,
                     "label_smoothing": 0.0, "axis": -1}, "registered_name": None}
    assert losses.get(k3).from_logits is True
    k3_fn = {"module": "keras.losses", "class_name": "function",
             "config": "mean_squared_error", "registered_name": "mean_squared_error"}
    assert losses.get(k3_fn) is losses.mean_squared_error
    assert isinstance(losses.get(losses.Poisson), losses.Poisson)
    assert losses.get(None) is None


def test_get_unknown_name_lists_valid_names():
    with pytest.raises(ValueError) as info:
        losses.get("mean_sqared_error")
    message = str(info.value)
    assert message.startswith("Unknown loss function: 'mean_sqared_error'.")
    assert "custom_object_scope" in message and "'mean_squared_error'" in message
    assert "'CategoricalCrossentropy'" in message
    with pytest.raises(ValueError, match="Unknown loss function: 'Nope'"):
        losses.deserialize({"class_name": "Nope", "config": {}})
    with pytest.raises(ValueError, match="Could not interpret loss function identifier"):
        losses.get(42)


def test_custom_loss_by_name():
    def my_loss(y_true, y_pred):
        return K.mean(K.abs(K.subtract(y_true, y_pred)), axis=-1)

    with custom_object_scope({"my_loss": my_loss}):
        assert losses.get("my_loss") is my_loss
    with pytest.raises(ValueError, match="Unknown loss function"):
        losses.get("my_loss")
