"""Conv2D outputs and gradients against Keras 3 (``tests/data/keras_reference_conv.json``, made by
``tools/keras_reference/make_conv_reference.py``) at the shapes rkeras runs with its Winograd
kernels (3x3, stride 1, 16+ channels; F(4x4, 3x3) and F(2x2, 3x3) tilings) and for a first layer
followed by max pooling (its fused conv + relu + pool kernels)."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

from rkeras import backend as K
from rkeras.layers import Conv2D, Input, MaxPooling2D
from rkeras.models import Sequential

pytestmark = pytest.mark.usefixtures("fresh_graph")

KERAS_CONV = json.loads(
    (pathlib.Path(__file__).parent / "data" / "keras_reference_conv.json").read_text())


def _model(case) -> Sequential:
    x = np.asarray(case["x"], np.float32)
    layers = [Input(shape=x.shape[1:]), Conv2D(**case["config"])]
    if case["pooled"]:
        layers.append(MaxPooling2D(2))
    model = Sequential(layers)
    model.layers[0].set_weights([np.asarray(case["kernel"], np.float32),
                                 np.asarray(case["bias"], np.float32)])
    return model


@pytest.mark.parametrize("case", KERAS_CONV["cases"], ids=lambda c: c["name"])
def test_conv_output_matches_keras(case):
    model = _model(case)
    x = np.asarray(case["x"], np.float32)
    np.testing.assert_allclose(model.predict(x, verbose=0), np.asarray(case["y"]),
                               rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("wrt_input", [True, False], ids=["with-dx", "weights-only"])
@pytest.mark.parametrize("case", KERAS_CONV["cases"], ids=lambda c: c["name"])
def test_conv_gradients_match_keras(case, wrt_input):
    # Without the input's gradient a first layer's kernel gradient runs through the pooling
    # gradient in one fused kernel.
    model = _model(case)
    loss = K.sum(model.output * K.constant(np.asarray(case["w"], np.float32)))
    names = ["dkernel", "dbias"]
    wrt = list(model.trainable_weights)
    if wrt_input:
        names.insert(0, "dx")
        wrt.insert(0, model.input)
    grads = K.function([model.input], K.gradients(loss, wrt))(
        [np.asarray(case["x"], np.float32)])
    for got, name in zip(grads, names):
        want = np.asarray(case[name])
        assert got.shape == want.shape, name
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=2e-4, err_msg=name)
