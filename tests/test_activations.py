"""Activations: parity with real Keras 3, eager == symbolic, gradients of the composite ones, and
get/serialize/deserialize."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

from rkeras import activations
from rkeras import backend as K
from rkeras.utils.generic_utils import custom_object_scope

DATA = json.loads((pathlib.Path(__file__).parent / "data"
                   / "keras_reference_losses_metrics_activations.json").read_text())
X = np.asarray(DATA["activation_input"], np.float32)
CASES = DATA["activations"]
TOL = dict(rtol=1e-5, atol=1e-6)


def _id(case):
    return case["name"] + "-" + ",".join(f"{k}={v}" for k, v in case["kwargs"].items())


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_activation_matches_keras(case):
    got = activations.get(case["name"])(X, **case["kwargs"])
    want = np.asarray(case["output"], np.float32)
    if case["name"] == "hard_sigmoid":
        # Deliberate difference: rkeras keeps Keras 2's hard_sigmoid clip(0.2x + 0.5, 0, 1)
        # (K.hard_sigmoid, recurrent layers); Keras 3 uses clip(x / 6 + 0.5, 0, 1).
        np.testing.assert_allclose(want, np.clip(X / 6.0 + 0.5, 0.0, 1.0), **TOL)
        want = np.clip(0.2 * X + 0.5, 0.0, 1.0)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, **TOL)


@pytest.mark.usefixtures("fresh_graph")
@pytest.mark.parametrize("case", CASES, ids=_id)
def test_activation_symbolic_equals_eager(case):
    fn = activations.get(case["name"])
    x = K.placeholder(shape=(None, X.shape[1]))
    out = fn(x, **case["kwargs"])
    f = K.function([x], [out])
    for n in (len(X), 3):
        np.testing.assert_allclose(f([X[:n]])[0], fn(X[:n], **case["kwargs"]),
                                   rtol=1e-6, atol=1e-7)


def _numpy_erf(x):
    from math import erf

    return np.vectorize(erf)(x)


COMPOSITE = {
    "silu": lambda x: x / (1 + np.exp(-x)),
    "gelu": lambda x: 0.5 * x * (1 + _numpy_erf(x / np.sqrt(2))),
    "mish": lambda x: x * np.tanh(np.logaddexp(0, x)),
    "log_sigmoid": lambda x: -np.logaddexp(0, -x),
    "hard_silu": lambda x: x * np.clip(x + 3, 0, 6) / 6,
}


@pytest.mark.usefixtures("fresh_graph")
@pytest.mark.parametrize("name", sorted(COMPOSITE))
def test_composite_activation_gradients(name):
    x_val = np.array([[-4.1, -2.5, -0.7, 0.3, 1.1, 3.9]], np.float32)
    x = K.placeholder(shape=(None, 6))
    grad = K.function([x], K.gradients(K.sum(activations.get(name)(x)), [x]))([x_val])[0]
    x64 = x_val.astype(np.float64)
    h = 1e-6
    numeric = (COMPOSITE[name](x64 + h) - COMPOSITE[name](x64 - h)) / (2 * h)
    np.testing.assert_allclose(grad, numeric, rtol=1e-4, atol=1e-5)


def test_every_keras2_name_resolves_and_serializes():
    for name in ["softmax", "elu", "selu", "softplus", "softsign", "relu", "tanh", "sigmoid",
                 "hard_sigmoid", "exponential", "linear", "swish", "gelu", "leaky_relu",
                 "relu6", "silu", "mish", "log_softmax"]:
        fn = activations.get(name)
        assert fn is getattr(activations, name)
        assert activations.deserialize(activations.serialize(fn)) is fn
    assert activations.serialize(activations.swish) == "silu"  # Keras 3's name for swish
    assert activations.get(None) is activations.linear
    # Keras 3's saved format
    cfg = {"module": "keras.activations", "class_name": "function", "config": "relu",
           "registered_name": "relu"}
    assert activations.get(cfg) is activations.relu


def test_keras2_relu_arguments():
    x = np.array([-2.0, -0.5, 0.5, 2.0, 8.0], np.float32)
    np.testing.assert_allclose(activations.relu(x, alpha=0.1, max_value=4.0, threshold=1.0),
                               [-0.3, -0.15, -0.05, 2.0, 4.0], rtol=1e-6)
    np.testing.assert_allclose(activations.relu(x, negative_slope=0.5), [-1, -0.25, 0.5, 2, 8])


def test_softmax_axis():
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_allclose(activations.softmax(x, axis=0).sum(0), np.ones(3), rtol=1e-6)


def test_get_unknown_name_lists_valid_names():
    with pytest.raises(ValueError) as info:
        activations.get("rellu")
    message = str(info.value)
    assert message.startswith("Unknown activation function: 'rellu'.")
    assert "Valid names are: [" in message and "'relu'" in message and "'softmax'" in message
    with pytest.raises(ValueError, match="Could not interpret activation function identifier"):
        activations.get(3)


def test_custom_activation_by_name():
    def twice(x):
        return K.multiply(x, 2.0)

    with custom_object_scope({"twice": twice}):
        assert activations.get("twice") is twice
    assert activations.get(twice) is twice
