"""Writes Keras 3's outputs and gradients for 3x3 convolutions at the shapes rkeras runs with
its Winograd kernels (16+ channels) and for a first layer followed by max pooling (rkeras's
fused conv + relu + pool kernels) (``tests/data/keras_reference_conv.json``), which rkeras's
tests compare against.

Run it in a SEPARATE virtual environment with real Keras on the JAX backend (rkeras itself never
imports keras, jax or tensorflow)::

    python3 -m venv /tmp/kref
    /tmp/kref/bin/pip install keras jax jaxlib
    KERAS_BACKEND=jax /tmp/kref/bin/python tools/keras_reference/make_conv_reference.py

Each case builds a Sequential model from the listed layers on a fixed-seed input, sets the
convolution's kernel and bias to fixed-seed values, and records the input, the weights, the
output and the gradients of ``sum(output * w)`` (fixed-seed ``w``) for the input, kernel and
bias (all float32, as lists).
"""

import json
import os
import pathlib

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parents[2] / "tests" / "data" / \
    "keras_reference_conv.json"

# (name, input shape without the batch, Conv2D config, max pooling after it)
CASES = [
    ("valid-relu-f4", (11, 13, 16), dict(filters=24, kernel_size=3, activation="relu"), False),
    ("same-linear-f4", (9, 10, 17), dict(filters=20, kernel_size=3, padding="same"), False),
    ("valid-f2", (7, 7, 16), dict(filters=16, kernel_size=3), False),
    ("first-layer-pooled", (12, 14, 1), dict(filters=32, kernel_size=3, activation="relu"),
     True),
]


def main() -> None:
    rng = np.random.default_rng(0)
    cases = []
    for name, shape, config, pooled in CASES:
        layers = [keras.Input(shape=shape), keras.layers.Conv2D(**config)]
        if pooled:
            layers.append(keras.layers.MaxPooling2D(2))
        model = keras.Sequential(layers)
        conv = model.layers[0]
        x = rng.standard_normal((2, *shape)).astype("float32")
        kernel = (rng.standard_normal(conv.kernel.shape) * 0.3).astype("float32")
        bias = (rng.standard_normal(conv.bias.shape) * 0.3).astype("float32")
        conv.set_weights([kernel, bias])
        y = np.asarray(model(x))
        w = rng.standard_normal(y.shape).astype("float32")

        def loss(trainable, inputs, model=model, w=w):
            out, _ = model.stateless_call(trainable, [], inputs)
            return jnp.sum(out * w)

        trainable = [v.value for v in model.trainable_variables]
        (dkernel, dbias), dx = jax.grad(loss, argnums=(0, 1))(trainable, jnp.asarray(x))
        cases.append({
            "name": name, "config": config, "pooled": pooled, "x": x.tolist(),
            "kernel": kernel.tolist(), "bias": bias.tolist(), "y": y.tolist(), "w": w.tolist(),
            "dx": np.asarray(dx).tolist(), "dkernel": np.asarray(dkernel).tolist(),
            "dbias": np.asarray(dbias).tolist(),
        })
        print(name, x.shape, "->", y.shape)
    OUT.write_text(json.dumps({"keras_version": keras.__version__, "cases": cases}))


if __name__ == "__main__":
    main()
