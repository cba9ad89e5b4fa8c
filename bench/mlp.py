"""Seed MLP benchmark: rkeras vs Keras 3 + JAX (and tf.keras when given), one script, one run.

The model is the tutorial's (Flatten, Dense 784 relu, Dense 100 relu, Dense 10 softmax; mse,
sgd, batch 32, validation_split 0.2) on Fashion-MNIST. Each framework runs in its own
interpreter (Keras needs its own venv: the package never imports it) with the same data and
prints per-epoch wall times; the first epoch (JAX's jit compilation, our program planning) is
reported separately, the steady state is the median of the others.

Run:
  python bench/mlp.py --epochs 4 --peer keras-jax=/tmp/kref/bin/python
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

DRIVER = r"""
import json, os, sys, time
framework = sys.argv[1]
epochs = int(sys.argv[2])
if framework == "rkeras":
    import rkeras as keras
else:
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import keras
import numpy as np
from rkeras_bench_data import load
(x_train, y_train), (x_test, y_test) = load()
keras.utils.set_random_seed(1)
Dense, Flatten = keras.layers.Dense, keras.layers.Flatten
model = keras.models.Sequential()
model.add(Flatten(input_shape=(28, 28)))
model.add(Dense(784, activation="relu"))
model.add(Dense(100, activation="relu"))
model.add(Dense(10, activation="softmax"))
model.compile(loss="mse", optimizer="sgd", metrics=["acc"])
times = []
class Timer(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.t = time.perf_counter()
    def on_epoch_end(self, epoch, logs=None):
        times.append(time.perf_counter() - self.t)
h = model.fit(x_train, y_train, validation_split=0.2, epochs=epochs, batch_size=32, verbose=0,
              callbacks=[Timer()])
loss, acc = model.evaluate(x_test, y_test, verbose=0)
print(json.dumps({"times": times, "val_acc": h.history["val_acc"][-1], "test_acc": acc}))
"""

DATA = r"""
import gzip, os
import numpy as np
def _idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)
def load():
    d = os.environ["RKERAS_BENCH_FASHION"]
    get = lambda n: _idx(os.path.join(d, n))
    xtr, ytr = get("train-images-idx3-ubyte.gz"), get("train-labels-idx1-ubyte.gz")
    xte, yte = get("t10k-images-idx3-ubyte.gz"), get("t10k-labels-idx1-ubyte.gz")
    eye = np.eye(10, dtype="float32")
    return ((xtr.astype("float32") / 255, eye[ytr]), (xte.astype("float32") / 255, eye[yte]))
"""


def run(python: str, framework: str, epochs: int, workdir: str) -> dict:
    env = dict(os.environ, PYTHONPATH=workdir)
    out = subprocess.run([python, os.path.join(workdir, "driver.py"), framework, str(epochs)],
                         capture_output=True, text=True, env=env, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{framework} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--peer", action="append", default=[],
                        help="NAME=PYTHON: a peer framework's interpreter (keras-jax=...)")
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    args = parser.parse_args()
    workdir = os.path.join(os.path.dirname(os.path.abspath(__file__)), ".work")
    os.makedirs(workdir, exist_ok=True)
    for name, text in (("driver.py", DRIVER), ("rkeras_bench_data.py", DATA)):
        with open(os.path.join(workdir, name), "w", encoding="utf-8") as f:
            f.write(text)
    os.environ["RKERAS_BENCH_FASHION"] = args.data
    runs = [("rkeras", sys.executable, "rkeras")]
    for spec in args.peer:
        name, python = spec.split("=", 1)
        runs.append((name, python, "keras"))
    results = {}
    for name, python, framework in runs:
        results[name] = r = run(python, framework, args.epochs, workdir)
        steady = statistics.median(r["times"][1:]) if len(r["times"]) > 1 else r["times"][0]
        r["steady"] = steady
        print(f"{name:10s} first epoch {r['times'][0]:6.2f} s | steady {steady:6.2f} s/epoch | "
              f"val_acc {r['val_acc']:.4f} | test_acc {r['test_acc']:.4f}", flush=True)
    base = results["rkeras"]["steady"]
    for name, r in results.items():
        if name != "rkeras":
            print(f"rkeras / {name} epoch time: {base / r['steady']:.2f}x")


if __name__ == "__main__":
    main()
