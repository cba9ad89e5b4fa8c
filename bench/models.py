"""Training benchmarks: rkeras vs Keras 3 + JAX, tf.keras and PyTorch, one script, one run.

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
to the full 60,000-image split, and says so). PyTorch (`--peer torch=...`) runs the same
models as an eager training loop written the way Keras's `fit` works (Glorot-uniform
weights, zero biases, per-epoch shuffling, the last `validation_split` of the data held out
and evaluated after each epoch, Adam with Keras's epsilon). `--rounds R` runs every framework
R times, alternating, and reports the median of each one's steady epoch times: on a machine
shared with other jobs single runs vary by 10-20%.

Run:
  python bench/models.py --model mlp --epochs 5 --peer keras-jax=/tmp/kref/bin/python
  python bench/models.py --model convnet --epochs 2 --samples 12800 \
      --peer keras-jax=/tmp/kref/bin/python --peer tf-keras=/tmp/tfref/bin/python
  python bench/models.py --model convnet --epochs 4 --samples 12800 --rounds 3 \
      --peer tf-keras=/tmp/tfref/bin/python --peer torch=/tmp/torchref/bin/python
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
split_arg = float(sys.argv[6]) if len(sys.argv) > 6 else None
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
split = split if split_arg is None else split_arg
times = []
class Timer(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.t = time.perf_counter()
    def on_epoch_end(self, epoch, logs=None):
        times.append(time.perf_counter() - self.t)
h = model.fit(x_train, y_train, validation_split=split, epochs=epochs, batch_size=batch_size,
              verbose=0, callbacks=[Timer()])
loss, acc = model.evaluate(x_test, y_test, verbose=0)
val_acc = h.history["val_acc"][-1] if "val_acc" in h.history else None
print(json.dumps({"times": times, "val_acc": val_acc, "test_acc": acc}))
"""

TORCH_DRIVER = r"""
import json, sys, time
import numpy as np
import torch
from torch import nn
from rkeras_bench_data import load
model_name = sys.argv[3]
epochs, samples, seed = int(sys.argv[2]), int(sys.argv[4]), int(sys.argv[5])
split_arg = float(sys.argv[6]) if len(sys.argv) > 6 else None
torch.manual_seed(seed)
rng = np.random.default_rng(seed)
(x_train, y_train), (x_test, y_test) = load()
x_train, y_train = x_train[:samples], y_train[:samples]
if model_name == "mlp":
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 784), nn.ReLU(), nn.Linear(784, 100),
                        nn.ReLU(), nn.Linear(100, 10), nn.Softmax(dim=1))
    batch_size, split = 32, 0.2
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01)
    def loss_fn(out, y):
        return ((out - y) ** 2).mean()
else:
    x_train, x_test = x_train[:, None], x_test[:, None]
    net = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3),
                        nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.5),
                        nn.Linear(1600, 10))
    batch_size, split = 128, 0.1
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7)
    def loss_fn(out, y):
        return -(torch.log_softmax(out, dim=1) * y).sum(dim=1).mean()
split = split if split_arg is None else split_arg
for m in net.modules():
    if isinstance(m, (nn.Linear, nn.Conv2d)):
        nn.init.xavier_uniform_(m.weight)
        nn.init.zeros_(m.bias)
def predict(x):
    net.eval()
    with torch.no_grad():
        out = torch.cat([net(torch.from_numpy(x[i:i + 1024])) for i in range(0, len(x), 1024)])
    net.train()
    return out.numpy()
def accuracy(x, y):
    return float((predict(x).argmax(1) == y.argmax(1)).mean())
n_val = int(len(x_train) * split)
x_fit, y_fit = x_train[:len(x_train) - n_val], y_train[:len(x_train) - n_val]
x_val, y_val = x_train[len(x_train) - n_val:], y_train[len(x_train) - n_val:]
times = []
for epoch in range(epochs):
    start = time.perf_counter()
    order = rng.permutation(len(x_fit))
    for i in range(0, len(order), batch_size):
        idx = order[i:i + batch_size]
        xb, yb = torch.from_numpy(x_fit[idx]), torch.from_numpy(y_fit[idx])
        optimizer.zero_grad()
        loss = loss_fn(net(xb), yb)
        loss.backward()
        optimizer.step()
    val_acc = accuracy(x_val, y_val) if n_val else None
    times.append(time.perf_counter() - start)
print(json.dumps({"times": times, "val_acc": val_acc, "test_acc": accuracy(x_test, y_test)}))
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
    driver = "torch_driver.py" if framework == "torch" else "driver.py"
    cmd = [python, os.path.join(workdir, driver), framework, str(args.epochs), args.model,
           str(args.samples), str(args.seed)]
    if args.validation_split is not None:
        cmd.append(str(args.validation_split))
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{framework} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def fmt_acc(acc: float | None) -> str:
    """An accuracy to four places, or a dash when there was none (no validation split)."""
    return "-" if acc is None else f"{acc:.4f}"


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
    parser.add_argument("--validation-split", type=float, default=None,
                        help="fraction held out for validation (default: the model's own)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="runs of every framework, alternating; medians are compared")
    args = parser.parse_args()
    workdir = os.path.join(os.path.dirname(os.path.abspath(__file__)), ".work")
    os.makedirs(workdir, exist_ok=True)
    for name, text in (("driver.py", DRIVER), ("torch_driver.py", TORCH_DRIVER),
                       ("rkeras_bench_data.py", DATA)):
        with open(os.path.join(workdir, name), "w", encoding="utf-8") as f:
            f.write(text)
    os.environ["RKERAS_BENCH_FASHION"] = args.data
    runs = [("rkeras", sys.executable, "rkeras")]
    for spec in args.peer:
        name, python = spec.split("=", 1)
        runs.append((name, python, name if name in ("tf-keras", "torch") else "keras"))
    steady: dict[str, list[float]] = {name: [] for name, _, _ in runs}
    for _ in range(args.rounds):
        for name, python, framework in runs:
            r = run(python, framework, args, workdir)
            epoch = statistics.median(r["times"][1:]) if len(r["times"]) > 1 else r["times"][0]
            scale = min(args.samples, 60000) and 60000 / min(args.samples, 60000)
            steady[name].append(epoch * scale)
            note = f" (x{scale:.2f}: scaled from {args.samples} samples)" if scale != 1 else ""
            print(f"{name:10s} first epoch {r['times'][0]:6.2f} s | steady {epoch * scale:6.2f} "
                  f"s/epoch{note} | val_acc {fmt_acc(r['val_acc'])} | test_acc {r['test_acc']:.4f}",
                  flush=True)
    base = statistics.median(steady["rkeras"])
    for name, times in steady.items():
        if name != "rkeras":
            peer = statistics.median(times)
            print(f"rkeras / {name} epoch time: {base / peer:.2f}x "
                  f"(medians of {len(times)}: {base:.2f} s vs {peer:.2f} s)")

if __name__ == "__main__":
    main()
