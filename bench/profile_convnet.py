"""Per-kernel profile of the convnet benchmark's training step (rkeras only).

Trains the `bench/models.py --model convnet` network on random data for a number of steps with
`RKERAS_PROFILE=1` and prints each kernel's time per step, slowest first.

Run: python bench/profile_convnet.py [steps]
"""

import os
import sys
import time

os.environ["RKERAS_PROFILE"] = "1"

import numpy as np  # noqa: E402

import rkeras as keras  # noqa: E402

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 50
batch = 128
L = keras.layers
model = keras.models.Sequential([
    L.Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)),
    L.MaxPooling2D((2, 2)),
    L.Conv2D(64, (3, 3), activation="relu"),
    L.MaxPooling2D((2, 2)),
    L.Flatten(),
    L.Dropout(0.5),
    L.Dense(10, activation="softmax"),
])
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["acc"])
rng = np.random.default_rng(0)
x = rng.random((steps * batch, 28, 28, 1), dtype=np.float32)
y = keras.utils.to_categorical(rng.integers(0, 10, steps * batch), 10)
model.fit(x[:batch], y[:batch], batch_size=batch, epochs=1, verbose=0)  # plan once
start = time.perf_counter()
model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=False)
wall = time.perf_counter() - start
program = model._train_program([(None, 10)])
report = program.profile()
total = sum(secs for _, _, secs in report)
per_step = total / (steps + 1) * 1e3
print(f"{steps} steps: wall {wall / steps * 1e3:.2f} ms/step, kernels {per_step:.2f} ms/step")
for name, calls, secs in report[:int(os.environ.get("TOP", "25"))]:
    print(f"{secs / (steps + 1) * 1e3:8.3f} ms  {calls:6d}  {name}")
