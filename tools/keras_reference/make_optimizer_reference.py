"""Writes the Keras 3 reference trajectories that rkeras's optimizer parity tests compare
against (``tests/data/keras_reference_optimizers.json``).

Run it in a SEPARATE virtual environment with real Keras on the JAX backend (rkeras itself never
imports keras, jax or tensorflow)::

    python3 -m venv /tmp/kref
    /tmp/kref/bin/pip install keras jax jaxlib
    KERAS_BACKEND=jax /tmp/kref/bin/python tools/keras_reference/make_optimizer_reference.py

Every case starts two variables (shapes ``(3, 4)`` and ``(5,)``) from the same fixed values and
applies ``STEPS`` steps of fixed gradients with ``optimizer.apply_gradients``; the variables'
values after each step are recorded. Initial values and gradients come from a fixed NumPy seed
and are stored in the JSON next to the outputs, so the tests never regenerate them.

Each case records

- ``class_name`` / ``config``: the optimizer, built identically by Keras 3
  (``keras.optimizers.<class_name>(**config)``) and rkeras
  (``rkeras.optimizers.get({"class_name": ..., "config": ...})``);
- ``rkeras_extra``: arguments only rkeras takes (Keras-2 ``decay``, or ``clipnorm`` together
  with ``clipvalue``), whose effect this script reproduces on the Keras side with NumPy:

  * ``decay``: Keras 2's inverse time decay ``lr_t = lr / (1 + decay * iterations)``
    (``iterations`` = steps already applied) computed in float32 and assigned to the Keras 3
    optimizer's ``learning_rate`` before each step;
  * ``clipnorm`` + ``clipvalue`` (Keras 3 allows only one clip argument; Keras 2 applied the
    norm clip, then the value clip): the gradients are clipped in float32 NumPy the way Keras
    does (``g * clipnorm / max(||g||, clipnorm)``, then ``clip(g, -clipvalue, clipvalue)``)
    and fed to an unclipped Keras optimizer;
- ``set_lr``: ``{step index: learning rate}`` assigned to the optimizer's learning-rate
  variable before that step (``K.set_value(optimizer.lr, x)`` on the rkeras side);
- ``set_iterations``: ``{step index: count}`` assigned to ``optimizer.iterations`` before
  that step (``K.set_value(optimizer.iterations, n)`` on the rkeras side), e.g. to restart
  Keras-2 decay or Adam's bias correction;
- ``expected``: per step, ``[p1, p2]`` after the step; ``iterations``: Keras's final count.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402

OUT = Path(__file__).resolve().parents[2] / "tests" / "data" / "keras_reference_optimizers.json"

rng = np.random.default_rng(20240611)
STEPS = 5
SHAPES = [(3, 4), (5,)]


def f32(x):
    return np.asarray(x, dtype=np.float32)


INITIAL = [f32(rng.normal(size=s)) for s in SHAPES]
# Per-step gradient scales so that the clipping cases clip on some steps and not on others.
SCALES = [1.0, 0.3, 2.0, 0.5, 1.5]
GRADIENTS = []
for scale in SCALES:
    g1, g2 = (f32(rng.normal(size=s) * scale) for s in SHAPES)
    g1[0, 0] = 0.0  # an element whose gradient is always zero (0 / (0 + eps) paths)
    g2[1] = -g2[1] * 3.0  # one large element (clipvalue, Adamax's infinity norm)
    GRADIENTS.append([g1, g2])

# (id, keras class name, common config, rkeras-only extras, {step: learning rate}
#  [, {step: iterations}])
CASES = [
    ("sgd", "SGD", {"learning_rate": 0.1}, {}, {}),
    ("sgd_momentum", "SGD", {"learning_rate": 0.1, "momentum": 0.9}, {}, {}),
    ("sgd_nesterov", "SGD", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}, {}, {}),
    ("rmsprop", "RMSprop", {"learning_rate": 0.01}, {}, {}),
    ("rmsprop_rho", "RMSprop", {"learning_rate": 0.01, "rho": 0.8, "epsilon": 1e-3}, {}, {}),
    ("rmsprop_momentum", "RMSprop", {"learning_rate": 0.01, "momentum": 0.9}, {}, {}),
    ("rmsprop_centered", "RMSprop", {"learning_rate": 0.01, "centered": True}, {}, {}),
    ("rmsprop_centered_momentum", "RMSprop",
     {"learning_rate": 0.01, "momentum": 0.5, "centered": True}, {}, {}),
    ("adagrad", "Adagrad", {"learning_rate": 0.1}, {}, {}),
    ("adagrad_zero_accumulator", "Adagrad",
     {"learning_rate": 0.1, "initial_accumulator_value": 0.0}, {}, {}),
    ("adadelta", "Adadelta", {"learning_rate": 1.0}, {}, {}),
    ("adadelta_rho", "Adadelta", {"learning_rate": 1.0, "rho": 0.9, "epsilon": 1e-4}, {}, {}),
    ("adam", "Adam", {"learning_rate": 0.05}, {}, {}),
    ("adam_betas", "Adam", {"learning_rate": 0.05, "beta_1": 0.8, "beta_2": 0.9,
                            "epsilon": 1e-3}, {}, {}),
    # beta_2 = 0.9 so that the velocity falls after the large step 3 and the running maximum
    # matters (with 0.999 AMSGrad differs from Adam by ~1e-5 only).
    ("adam_amsgrad", "Adam", {"learning_rate": 0.05, "beta_2": 0.9, "amsgrad": True}, {}, {}),
    ("adam_beta2_0.9", "Adam", {"learning_rate": 0.05, "beta_2": 0.9}, {}, {}),
    ("adamax", "Adamax", {"learning_rate": 0.05}, {}, {}),
    ("nadam", "Nadam", {"learning_rate": 0.05}, {}, {}),
    ("nadam_betas", "Nadam", {"learning_rate": 0.05, "beta_1": 0.8, "beta_2": 0.9}, {}, {}),
    # Clipping (Keras 3 takes one clip argument at a time).
    ("sgd_clipnorm", "SGD", {"learning_rate": 0.1, "clipnorm": 1.5}, {}, {}),
    ("sgd_clipvalue", "SGD", {"learning_rate": 0.1, "clipvalue": 0.8}, {}, {}),
    ("sgd_global_clipnorm", "SGD", {"learning_rate": 0.1, "global_clipnorm": 3.0}, {}, {}),
    ("sgd_momentum_clipnorm", "SGD", {"learning_rate": 0.1, "momentum": 0.9, "clipnorm": 1.5},
     {}, {}),
    ("adam_clipnorm", "Adam", {"learning_rate": 0.05, "clipnorm": 1.5}, {}, {}),
    ("adam_clipvalue", "Adam", {"learning_rate": 0.05, "clipvalue": 0.8}, {}, {}),
    ("adam_global_clipnorm", "Adam", {"learning_rate": 0.05, "global_clipnorm": 3.0}, {}, {}),
    # Keras 2's clipnorm + clipvalue together (norm first, then values).
    ("sgd_clipnorm_clipvalue_keras2", "SGD", {"learning_rate": 0.1},
     {"clipnorm": 1.5, "clipvalue": 0.5}, {}),
    ("adam_clipnorm_clipvalue_keras2", "Adam", {"learning_rate": 0.05},
     {"clipnorm": 1.5, "clipvalue": 0.5}, {}),
    # Keras-2 `decay` (inverse time decay), reproduced with a per-step learning rate.
    ("sgd_decay", "SGD", {"learning_rate": 0.1}, {"decay": 0.5}, {}),
    ("sgd_momentum_decay", "SGD", {"learning_rate": 0.1, "momentum": 0.9}, {"decay": 0.3}, {}),
    ("rmsprop_decay", "RMSprop", {"learning_rate": 0.01}, {"decay": 0.3}, {}),
    ("adam_decay", "Adam", {"learning_rate": 0.05}, {"decay": 0.3}, {}),
    ("nadam_decay", "Nadam", {"learning_rate": 0.05}, {"decay": 0.3}, {}),
    # The learning rate changed between steps (K.set_value(optimizer.lr, x)).
    ("sgd_momentum_set_lr", "SGD", {"learning_rate": 0.1, "momentum": 0.9}, {},
     {2: 0.02, 4: 0.3}),
    ("adam_set_lr", "Adam", {"learning_rate": 0.05}, {}, {2: 0.005, 3: 0.1}),
    ("sgd_decay_set_lr", "SGD", {"learning_rate": 0.1}, {"decay": 0.5}, {3: 0.4}),
    # The step count reset between steps (K.set_value(optimizer.iterations, 0)).
    ("sgd_decay_reset_iterations", "SGD", {"learning_rate": 0.1}, {"decay": 0.5}, {}, {3: 0}),
    ("adam_reset_iterations", "Adam", {"learning_rate": 0.05}, {}, {}, {3: 0}),
]


def keras2_clip(grads, clipnorm, clipvalue):
    out = []
    for g in grads:
        if clipnorm is not None:
            norm = np.float32(np.sqrt(np.sum(np.square(g))))
            g = f32(g * np.float32(clipnorm) / np.maximum(norm, np.float32(clipnorm)))
        if clipvalue is not None:
            g = f32(np.clip(g, -clipvalue, clipvalue))
        out.append(g)
    return out


def run_case(class_name, config, extra, set_lr, set_iterations):
    opt = getattr(keras.optimizers, class_name)(**config)
    variables = [keras.Variable(x.copy(), dtype="float32", name=f"p{i + 1}")
                 for i, x in enumerate(INITIAL)]
    base_lr = np.float32(config["learning_rate"])
    decay = np.float32(extra.get("decay", 0.0))
    trajectory = []
    iterations = 0
    for step, grads in enumerate(GRADIENTS):
        if step in set_lr:
            base_lr = np.float32(set_lr[step])
        if step in set_iterations:
            iterations = set_iterations[step]
            if not opt.built:
                opt.build(variables)
            opt.iterations.assign(iterations)
        if step in set_lr or decay:
            # Keras 2: lr * 1 / (1 + decay * iterations), iterations = steps already applied.
            opt.learning_rate = float(base_lr / (np.float32(1) + decay * np.float32(iterations)))
        if "clipnorm" in extra or "clipvalue" in extra:
            grads = keras2_clip(grads, extra.get("clipnorm"), extra.get("clipvalue"))
        opt.apply_gradients([(keras.ops.convert_to_tensor(g), v)
                             for g, v in zip(grads, variables)])
        iterations += 1
        trajectory.append([np.asarray(v.numpy(), dtype=np.float32).tolist()
                           for v in variables])
    keras_iterations = int(np.asarray(opt.iterations.numpy()))
    assert keras_iterations == iterations, (keras_iterations, iterations)
    return trajectory, keras_iterations


def main():
    cases = []
    for case_id, class_name, config, extra, set_lr, *rest in CASES:
        set_iterations = rest[0] if rest else {}
        expected, iterations = run_case(class_name, config, extra, set_lr, set_iterations)
        cases.append({
            "id": case_id,
            "class_name": class_name,
            "config": config,
            "rkeras_extra": extra,
            "set_lr": {str(k): v for k, v in set_lr.items()},
            "set_iterations": {str(k): v for k, v in set_iterations.items()},
            "expected": expected,
            "iterations": iterations,
        })
    data = {
        "generator": "tools/keras_reference/make_optimizer_reference.py",
        "keras_version": keras.__version__,
        "backend": keras.backend.backend(),
        "steps": STEPS,
        "initial": [x.tolist() for x in INITIAL],
        "gradients": [[g.tolist() for g in step] for step in GRADIENTS],
        "cases": cases,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {len(cases)} optimizer cases to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
