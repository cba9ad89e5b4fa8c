"""Writes Keras 3's outputs for transposed convolutions with ``output_padding`` or
``dilation_rate``
(``tests/data/keras_reference_conv_transpose.json``), which rkeras's tests compare against.

Run it in a SEPARATE virtual environment with real Keras on the JAX backend (rkeras itself never
imports keras, jax or tensorflow)::

    python3 -m venv /tmp/kref
    /tmp/kref/bin/pip install keras jax jaxlib
    KERAS_BACKEND=jax /tmp/kref/bin/python tools/keras_reference/make_conv_transpose_reference.py

Each case builds ``Conv{rank}DTranspose(**config)`` on a fixed-seed input, sets its kernel and
bias to fixed-seed values, and records input, weights and output (all float32, as lists).
"""

import json
import os
import pathlib

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parents[2] / "tests" / "data" / \
    "keras_reference_conv_transpose.json"

# (rank, input spatial shape, in channels, layer config)
CASES = [
    (2, (4, 5), 2, dict(filters=3, kernel_size=3, strides=2, padding="same", output_padding=1)),
    (2, (4, 5), 2, dict(filters=3, kernel_size=3, strides=2, padding="same", output_padding=0)),
    (2, (3, 4), 2, dict(filters=2, kernel_size=(3, 2), strides=(2, 3), padding="valid",
                        output_padding=(1, 2))),
    (2, (3, 3), 1, dict(filters=2, kernel_size=4, strides=3, padding="same", output_padding=2)),
    (1, (5,), 3, dict(filters=2, kernel_size=3, strides=2, padding="valid", output_padding=1)),
    (3, (2, 3, 2), 2, dict(filters=2, kernel_size=3, strides=2, padding="same",
                           output_padding=(1, 0, 1))),
    (2, (5, 4), 2, dict(filters=3, kernel_size=3, padding="valid", dilation_rate=2)),
    (2, (5, 4), 2, dict(filters=3, kernel_size=(3, 2), padding="same", dilation_rate=(2, 3))),
    (1, (6,), 2, dict(filters=2, kernel_size=2, padding="valid", dilation_rate=3,
                      output_padding=0)),
]


def main() -> None:
    rng = np.random.default_rng(0)
    cases = []
    for rank, spatial, cin, config in CASES:
        layer = getattr(keras.layers, f"Conv{rank}DTranspose")(**config)
        x = rng.standard_normal((2, *spatial, cin)).astype("float32")
        layer.build(x.shape)
        kernel = rng.standard_normal(layer.kernel.shape).astype("float32")
        bias = rng.standard_normal(layer.bias.shape).astype("float32")
        layer.set_weights([kernel, bias])
        y = np.asarray(layer(x))
        cases.append({"rank": rank, "config": config, "x": x.tolist(), "kernel": kernel.tolist(),
                      "bias": bias.tolist(), "y": y.tolist()})
        print(rank, config, x.shape, "->", y.shape)
    OUT.write_text(json.dumps({"keras_version": keras.__version__, "cases": cases}))


if __name__ == "__main__":
    main()
