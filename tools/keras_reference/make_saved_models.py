"""Writes small models saved by real Keras 3 into tests/data/keras_files/ (interop fixtures).

Run with a Python that has Keras 3 (any backend) and h5py::

    KERAS_BACKEND=jax /tmp/kref/bin/python tools/keras_reference/make_saved_models.py

For each model NAME it writes ``NAME.keras`` (Keras 3 archive), ``NAME.h5`` (legacy Keras 2
layout), ``NAME.weights.h5`` (Keras 3 weights file) and ``NAME.npz`` (fixed inputs ``x0``,
``x1``, ... and the model's predictions ``y``). Models are trained for a few steps first so
that the files carry optimizer state (and BatchNormalization its moving statistics).
"""

from __future__ import annotations

import os
import sys

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "data", "keras_files")


def mlp() -> tuple:
    model = keras.Sequential([
        keras.Input(shape=(8,)),
        keras.layers.Dense(16, activation="relu", name="hidden"),
        keras.layers.Dropout(0.25, name="drop"),
        keras.layers.Dense(3, activation="softmax", name="probs"),
    ], name="mlp")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 8)).astype("float32")
    y = keras.utils.to_categorical(rng.integers(0, 3, size=64), 3)
    model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    return model, [rng.normal(size=(5, 8)).astype("float32")]


def multi_input() -> tuple:
    a = keras.Input(shape=(4,), name="a")
    b = keras.Input(shape=(3,), name="b")
    ha = keras.layers.Dense(5, activation="tanh", name="dense_a")(a)
    hb = keras.layers.Dense(5, activation="sigmoid", use_bias=False, name="dense_b")(b)
    merged = keras.layers.concatenate([ha, hb], name="merge")
    added = keras.layers.add([ha, hb], name="sum")
    out = keras.layers.Dense(2, name="out")(keras.layers.concatenate([merged, added],
                                                                      name="both"))
    model = keras.Model(inputs=[a, b], outputs=out, name="two_inputs")
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05, momentum=0.9),
                  loss="mse", metrics=["mae"])
    rng = np.random.default_rng(1)
    xa = rng.normal(size=(32, 4)).astype("float32")
    xb = rng.normal(size=(32, 3)).astype("float32")
    model.fit([xa, xb], rng.normal(size=(32, 2)).astype("float32"), batch_size=8, epochs=1,
              verbose=0)
    return model, [rng.normal(size=(6, 4)).astype("float32"),
                   rng.normal(size=(6, 3)).astype("float32")]


def convnet() -> tuple:
    model = keras.Sequential([
        keras.Input(shape=(8, 8, 1)),
        keras.layers.Conv2D(4, 3, activation="relu", name="conv"),
        keras.layers.BatchNormalization(name="bn"),
        keras.layers.MaxPooling2D(name="pool"),
        keras.layers.Flatten(name="flat"),
        keras.layers.Dense(3, activation="softmax", name="out"),
    ], name="convnet")
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(2)
    x = rng.normal(size=(32, 8, 8, 1)).astype("float32")
    model.fit(x, keras.utils.to_categorical(rng.integers(0, 3, 32), 3), batch_size=8,
              epochs=2, verbose=0)
    return model, [rng.normal(size=(4, 8, 8, 1)).astype("float32")]


def main() -> int:
    os.makedirs(OUT, exist_ok=True)
    for name, build in (("mlp", mlp), ("multi_input", multi_input),
                        ("convnet", convnet)):
        keras.utils.set_random_seed(0)
        model, inputs = build()
        base = os.path.join(OUT, name)
        model.save(base + ".keras")
        model.save(base + ".h5")
        model.save_weights(base + ".weights.h5")
        y = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
        np.savez(base + ".npz", y=y, **{f"x{i}": x for i, x in enumerate(inputs)})
        print(f"wrote {base}.{{keras,h5,weights.h5,npz}} (keras {keras.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
