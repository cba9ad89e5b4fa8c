"""Training benchmarks: rkeras vs Keras 3 + JAX and tf.keras, one script, one run.

Models (`--model`):
  mlp      the seed tutorial (Flatten, Dense 784 relu, Dense 100 relu, Dense 10 softmax; mse,
           sgd, batch 32, validation_split 0.2) on Fashion-MNIST;
  convnet  Keras's simple MNIST convnet (Conv2D 32 3x3, MaxPooling 2, Conv2D 64 3x3,
           MaxPooling 2, Flatten, Dropout 0.5, Dense 10 softmax; categorical_crossentropy, adam,
           batch 128, validation_split 0.1) on Fashion-MNIST.
Each framework runs in its own interpreter (peers need their own venvs: the package never
imports them) with the same data and prints per-epoch wall times; the first epoch (JAX's and
TF's compilation, our planning) is reported separately, the steady state is the median of the
others. `--samples N` trains on the first N training images (the epoch figure is then scaled
to the full 60,000-image split, and says so).

Run:
  python bench/models.py --model mlp --epochs 5 --peer keras-jax=/tmp/kref/bin/python
  python bench/models.py --model convnet --epochs 2 --samples 12800 \
      --peer keras-jax=/tmp/kref/bin/python --peer tf-keras=/tmp/tfref/bin/python
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
framework, model_name = sys.argv[1], sys.argv[3]
epochs, samples, seed = int(sys.argv[2]), int(sys.argv[4]), int(sys.argv[5])
if framework == "rkeras":
    import rkeras as keras
elif framework == "tf-keras":
    from tensorflow import keras
else:
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import keras
import numpy as np
from rkeras_bench_data import load
(x_train, y_train), (x_test, y_test) = load()
x_train, y_train = x_train[:samples], y_train[:samples]
if hasattr(keras.utils, "set_random_seed"):
    keras.utils.set_random_seed(seed)
L = keras.layers
model = keras.models.Sequential()
if model_name == "mlp":
    model.add(L.Flatten(input_shape=(28, 28)))
    model.add(L.Dense(784, activation="relu"))
    model.add(L.Dense(100, activation="relu"))
    model.add(L.Dense(10, activation="softmax"))
    model.compile(loss="mse", optimizer="sgd", metrics=["acc"])
    batch_size, split = 32, 0.2
else:
    x_train, x_test = x_train[..., None], x_test[..., None]
    model.add(L.Conv2D(32, kernel_size=(3, 3), activation="relu", input_shape=(28, 28, 1)))
    model.add(L.MaxPooling2D(pool_size=(2, 2)))
    model.add(L.Conv2D(64, kernel_size=(3, 3), activation="relu"))
    model.add(L.MaxPooling2D(pool_size=(2, 2)))
    model.add(L.Flatten())
    model.add(L.Dropout(0.5))
    model.add(L.Dense(10, activation="softmax"))
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["acc"])
    batch_size, split = 128, 0.1
times = []
class Timer(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.t = time.perf_counter()
    def on_epoch_end(self, epoch, logs=None):
        times.append(time.perf_counter() - self.t)
h = model.fit(x_train, y_train, validation_split=split, epochs=epochs, batch_size=batch_size,
              verbose=0, callbacks=[Timer()])
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


def run(python: str, framework: str, args: argparse.Namespace, workdir: str) -> dict:
    env = dict(os.environ, PYTHONPATH=workdir, TF_CPP_MIN_LOG_LEVEL="2")
    cmd = [python, os.path.join(workdir, "driver.py"), framework, str(args.epochs), args.model,
           str(args.samples), str(args.seed)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{framework} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=("mlp", "convnet"), default="mlp")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--samples", type=int, default=60000)
    parser.add_argument("--peer", action="append", default=[],
                        help="NAME=PYTHON: a peer framework's interpreter (keras-jax=...)")
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--seed", type=int, default=1,
                        help="keras.utils.set_random_seed for every framework")
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
        runs.append((name, python, name if name == "tf-keras" else "keras"))
    results = {}
    for name, python, framework in runs:
        results[name] = r = run(python, framework, args, workdir)
        steady = statistics.median(r["times"][1:]) if len(r["times"]) > 1 else r["times"][0]
        scale = min(args.samples, 60000) and 60000 / min(args.samples, 60000)
        r["steady"] = steady * scale
        note = f" (x{scale:.2f}: scaled from {args.samples} samples)" if scale != 1 else ""
        print(f"{name:10s} first epoch {r['times'][0]:6.2f} s | steady {r['steady']:6.2f} "
              f"s/epoch{note} | val_acc {r['val_acc']:.4f} | test_acc {r['test_acc']:.4f}",
              flush=True)
    base = results["rkeras"]["steady"]
    for name, r in results.items():
        if name != "rkeras":
            print(f"rkeras / {name} epoch time: {base / r['steady']:.2f}x")


if __name__ == "__main__":
    main()
