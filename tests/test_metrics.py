"""Metrics: parity with real Keras 3, eager == symbolic, Keras 2's accuracy resolution rule,
top-k ties, and metrics.get."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

from rkeras import backend as K
from rkeras import losses, metrics

DATA = json.loads((pathlib.Path(__file__).parent / "data"
                   / "keras_reference_losses_metrics_activations.json").read_text())
INPUTS = {k: (np.asarray(v["y_true"], np.float32), np.asarray(v["y_pred"], np.float32))
          for k, v in DATA["inputs"].items()}


def _keras_per_sample(case):
    want = np.asarray(case["output"], np.float32)
    if case["name"] == "binary_accuracy":
        # Keras 3 returns elementwise matches; Keras 2 (and rkeras) average the last axis.
        return want.mean(-1)
    # Keras 3 keeps a (batch, 1) target's shape for sparse top-k; rkeras gives (batch,).
    return want.reshape(-1)


@pytest.mark.parametrize("case", DATA["metrics"],
                         ids=lambda c: f"{c['name']}-{c['inputs']}-{c['kwargs']}")
def test_metric_matches_keras(case):
    y_true, y_pred = INPUTS[case["inputs"]]
    got = metrics.get(case["name"])(y_true, y_pred, **case["kwargs"])
    want = _keras_per_sample(case)
    assert got.shape == want.shape
    np.testing.assert_array_equal(got, want)  # 0/1 values (or their exact means)


@pytest.mark.usefixtures("fresh_graph")
@pytest.mark.parametrize("case", DATA["metrics"],
                         ids=lambda c: f"{c['name']}-{c['inputs']}-{c['kwargs']}")
def test_metric_symbolic_equals_eager(case):
    y_true, y_pred = INPUTS[case["inputs"]]
    fn = metrics.get(case["name"])
    t = K.placeholder(shape=(None,) + y_true.shape[1:])
    p = K.placeholder(shape=(None,) + y_pred.shape[1:])
    f = K.function([t, p], [fn(t, p, **case["kwargs"])])
    for n in (len(y_true), 1):
        np.testing.assert_array_equal(f([y_true[:n], y_pred[:n]])[0],
                                      fn(y_true[:n], y_pred[:n], **case["kwargs"]))


@pytest.mark.usefixtures("fresh_graph")
@pytest.mark.parametrize("name", sorted(losses.LOSS_FUNCTIONS))
def test_every_loss_is_a_metric_by_name(name):
    assert metrics.get(name) is losses.get(name)


def test_accuracy_resolution_follows_keras2():
    r = metrics.resolve_accuracy
    # last dimension 1 -> binary, whatever the loss
    assert r("acc", "mse", (None, 1)) is metrics.binary_accuracy
    assert r("accuracy", losses.categorical_crossentropy, (None, 1)) is metrics.binary_accuracy
    # binary_crossentropy -> binary, whatever the shape (function, name or object)
    assert r("acc", losses.binary_crossentropy, (None, 7)) is metrics.binary_accuracy
    assert r("acc", "binary_crossentropy", (None, 7)) is metrics.binary_accuracy
    assert r("acc", losses.BinaryCrossentropy(), (None, 7)) is metrics.binary_accuracy
    # sparse categorical crossentropy -> sparse categorical accuracy
    assert r("acc", "sparse_categorical_crossentropy", (None, 10)) is \
        metrics.sparse_categorical_accuracy
    assert r("accuracy", losses.SparseCategoricalCrossentropy(from_logits=True),
             (None, 10)) is metrics.sparse_categorical_accuracy
    # anything else -> categorical
    assert r("acc", "categorical_crossentropy", (None, 10)) is metrics.categorical_accuracy
    assert r("acc", "mse", (None, 3)) is metrics.categorical_accuracy
    # and the same for crossentropy / ce
    assert r("ce", "mse", (None, 1)) is losses.binary_crossentropy
    assert r("crossentropy", "sparse_categorical_crossentropy", (None, 4)) is \
        losses.sparse_categorical_crossentropy
    assert r("ce", "categorical_crossentropy", (None, 4)) is losses.categorical_crossentropy
    with pytest.raises(ValueError, match="resolve_accuracy"):
        r("precision", "mse", (None, 1))


def test_get_accuracy_needs_context():
    with pytest.raises(ValueError, match="depends on the model's loss and output shape"):
        metrics.get("acc")
    assert metrics.get("accuracy", loss="mse", output_shape=(None, 1)) is metrics.binary_accuracy


def test_top_k_ties_count_as_in_top_k():
    # All five scores tie: nothing beats the target strictly, so it is "in the top 1".
    y_pred = np.full((1, 5), 0.2, np.float32)
    assert metrics.top_k_categorical_accuracy(np.eye(5)[[3]], y_pred, k=1).tolist() == [1.0]
    assert metrics.sparse_top_k_categorical_accuracy([3], y_pred, k=1).tolist() == [1.0]
    # Two scores beat the target: in the top 3, not the top 2.
    y_pred = np.array([[0.5, 0.4, 0.1, 0.1]], np.float32)
    assert metrics.sparse_top_k_categorical_accuracy([2], y_pred, k=2).tolist() == [0.0]
    assert metrics.sparse_top_k_categorical_accuracy([3], y_pred, k=3).tolist() == [1.0]
    assert metrics.top_k_categorical_accuracy(np.eye(4)[[2]], y_pred).tolist() == [1.0]


def test_binary_accuracy_threshold_is_strict():
    assert metrics.binary_accuracy([[1.0, 0.0]], [[0.5, 0.5]]).tolist() == [0.5]
    assert metrics.binary_accuracy([[1.0]], [[0.5]], threshold=0.4).tolist() == [1.0]


def test_get_unknown_name_lists_valid_names():
    with pytest.raises(ValueError) as info:
        metrics.get("acuracy")
    message = str(info.value)
    assert message.startswith("Unknown metric function: 'acuracy'.")
    assert "'binary_accuracy'" in message and "'mse'" in message
    assert metrics.serialize(metrics.categorical_accuracy) == "categorical_accuracy"
    assert metrics.deserialize("top_k_categorical_accuracy") is \
        metrics.top_k_categorical_accuracy
