"""Writes the Keras 3 reference values that rkeras's loss, metric and activation tests compare
against (``tests/data/keras_reference_losses_metrics_activations.json``).

Run it in a SEPARATE virtual environment with real Keras on the JAX backend (rkeras itself never
imports keras, jax or tensorflow)::

    python3 -m venv /tmp/kref
    /tmp/kref/bin/pip install keras jax jaxlib
    KERAS_BACKEND=jax /tmp/kref/bin/python tools/keras_reference/make_reference.py

Inputs come from a fixed NumPy seed inside this script and are stored in the JSON next to the
outputs, so the tests never regenerate them. Each case records the Keras callable (``fn``, a
dotted name under ``keras``), its keyword arguments, the inputs and Keras's output.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402

OUT = (Path(__file__).resolve().parents[2] / "tests" / "data"
       / "keras_reference_losses_metrics_activations.json")

rng = np.random.default_rng(20240607)
B, C = 4, 5


def f32(x):
    return np.asarray(x, dtype=np.float32)


def softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def onehot(idx, c=C):
    return np.eye(c, dtype=np.float32)[idx]


labels = rng.integers(0, C, size=B)
INPUTS = {
    "real": (f32(rng.normal(size=(B, C))), f32(rng.normal(size=(B, C)))),
    "real_rank3": (f32(rng.normal(size=(2, 3, C))), f32(rng.normal(size=(2, 3, C)))),
    "real_col": (f32(rng.normal(size=(B,))), f32(rng.normal(size=(B, 1)))),
    "positive": (f32(rng.uniform(0.2, 2.0, size=(B, C))), f32(rng.uniform(0.1, 2.0, size=(B, C)))),
    "positive_with_zeros": (f32(np.where(rng.uniform(size=(B, C)) < 0.3, 0.0,
                                         rng.uniform(0.2, 2.0, size=(B, C)))),
                            f32(np.where(rng.uniform(size=(B, C)) < 0.3, 0.0,
                                         rng.uniform(0.1, 2.0, size=(B, C))))),
    "onehot_probs": (onehot(labels), f32(softmax(rng.normal(size=(B, C)) * 2))),
    "onehot_probs_extreme": (onehot(labels), f32(np.where(onehot(labels) > 0, 0.0,
                                                          softmax(rng.normal(size=(B, C)))))),
    "onehot_unnormalized": (onehot(labels), f32(rng.uniform(0.05, 3.0, size=(B, C)))),
    "onehot_logits": (onehot(labels), f32(rng.normal(size=(B, C)) * 3)),
    "soft_probs": (f32(softmax(rng.normal(size=(B, C)))), f32(softmax(rng.normal(size=(B, C))))),
    "soft_probs_rank3": (f32(softmax(rng.normal(size=(2, 3, C)))),
                         f32(softmax(rng.normal(size=(2, 3, C))))),
    "sparse_probs": (f32(labels), f32(softmax(rng.normal(size=(B, C)) * 2))),
    "sparse_col_probs": (f32(labels[:, None]), f32(softmax(rng.normal(size=(B, C)) * 2))),
    "sparse_logits": (f32(labels), f32(rng.normal(size=(B, C)) * 3)),
    "binary_probs": (f32(rng.integers(0, 2, size=(B, C))), f32(rng.uniform(0.01, 0.99, (B, C)))),
    "binary_probs_extreme": (f32(rng.integers(0, 2, size=(B, C))),
                             f32(rng.choice([0.0, 1.0, 0.5, 1e-9, 1 - 1e-9], size=(B, C)))),
    "binary_logits": (f32(rng.integers(0, 2, size=(B, C))), f32(rng.normal(size=(B, C)) * 4)),
    "binary_col": (f32(rng.integers(0, 2, size=(B, 1))), f32(rng.uniform(0.01, 0.99, (B, 1)))),
    "binary_threshold": (f32([[1, 0, 1], [0, 1, 1]]), f32([[0.5, 0.5, 0.51], [0.49, 0.7, 0.2]])),
    "pm1": (f32(rng.choice([-1.0, 1.0], size=(B, C))), f32(rng.normal(size=(B, C)))),
    "zero_one": (f32(rng.integers(0, 2, size=(B, C))), f32(rng.normal(size=(B, C)))),
    "hinge_real_labels": (f32(rng.normal(size=(B, C))), f32(rng.normal(size=(B, C)))),
    "cosine_with_zero": (f32(np.concatenate([rng.normal(size=(B - 1, C)), np.zeros((1, C))])),
                         f32(rng.normal(size=(B, C)))),
    "topk_ties": (onehot(np.array([0, 2, 4, 1])),
                  f32([[0.2, 0.2, 0.2, 0.2, 0.2], [0.1, 0.3, 0.3, 0.2, 0.1],
                       [0.4, 0.1, 0.1, 0.1, 0.3], [0.1, 0.5, 0.1, 0.2, 0.1]])),
    "sparse_topk_ties": (f32([0, 2, 4, 1]),
                         f32([[0.2, 0.2, 0.2, 0.2, 0.2], [0.1, 0.3, 0.3, 0.2, 0.1],
                              [0.4, 0.1, 0.1, 0.1, 0.3], [0.1, 0.5, 0.1, 0.2, 0.1]])),
}

# (rkeras name, keras callable, kwargs, input key)
LOSS_CASES = [
    ("mean_squared_error", "losses.mean_squared_error", {}, "real"),
    ("mean_squared_error", "losses.mean_squared_error", {}, "real_rank3"),
    ("mean_squared_error", "losses.mean_squared_error", {}, "real_col"),
    ("mean_absolute_error", "losses.mean_absolute_error", {}, "real"),
    ("mean_absolute_error", "losses.mean_absolute_error", {}, "real_col"),
    ("mean_absolute_percentage_error", "losses.mean_absolute_percentage_error", {}, "real"),
    ("mean_absolute_percentage_error", "losses.mean_absolute_percentage_error", {},
     "positive_with_zeros"),
    ("mean_squared_logarithmic_error", "losses.mean_squared_logarithmic_error", {}, "positive"),
    ("mean_squared_logarithmic_error", "losses.mean_squared_logarithmic_error", {},
     "positive_with_zeros"),
    ("squared_hinge", "losses.squared_hinge", {}, "pm1"),
    ("squared_hinge", "losses.squared_hinge", {}, "zero_one"),
    ("hinge", "losses.hinge", {}, "pm1"),
    ("hinge", "losses.hinge", {}, "zero_one"),
    ("hinge", "losses.hinge", {}, "hinge_real_labels"),
    ("categorical_hinge", "losses.categorical_hinge", {}, "onehot_probs"),
    ("categorical_hinge", "losses.categorical_hinge", {}, "real"),
    ("logcosh", "losses.log_cosh", {}, "real"),
    ("huber", "losses.huber", {}, "real"),
    ("huber", "losses.huber", {"delta": 0.5}, "real"),
    ("categorical_crossentropy", "losses.categorical_crossentropy", {}, "onehot_probs"),
    ("categorical_crossentropy", "losses.categorical_crossentropy", {}, "onehot_probs_extreme"),
    ("categorical_crossentropy", "losses.categorical_crossentropy", {}, "onehot_unnormalized"),
    ("categorical_crossentropy", "losses.categorical_crossentropy", {}, "soft_probs_rank3"),
    ("categorical_crossentropy", "losses.categorical_crossentropy", {"from_logits": True},
     "onehot_logits"),
    ("categorical_crossentropy", "losses.categorical_crossentropy", {"label_smoothing": 0.1},
     "onehot_probs"),
    ("categorical_crossentropy", "losses.categorical_crossentropy",
     {"from_logits": True, "label_smoothing": 0.2}, "onehot_logits"),
    ("sparse_categorical_crossentropy", "losses.sparse_categorical_crossentropy", {},
     "sparse_probs"),
    ("sparse_categorical_crossentropy", "losses.sparse_categorical_crossentropy", {},
     "sparse_col_probs"),
    ("sparse_categorical_crossentropy", "losses.sparse_categorical_crossentropy",
     {"from_logits": True}, "sparse_logits"),
    ("binary_crossentropy", "losses.binary_crossentropy", {}, "binary_probs"),
    ("binary_crossentropy", "losses.binary_crossentropy", {}, "binary_probs_extreme"),
    ("binary_crossentropy", "losses.binary_crossentropy", {}, "binary_col"),
    ("binary_crossentropy", "losses.binary_crossentropy", {"from_logits": True},
     "binary_logits"),
    ("binary_crossentropy", "losses.binary_crossentropy", {"label_smoothing": 0.2},
     "binary_probs"),
    ("binary_crossentropy", "losses.binary_crossentropy",
     {"from_logits": True, "label_smoothing": 0.1}, "binary_logits"),
    ("kullback_leibler_divergence", "losses.kl_divergence", {}, "soft_probs"),
    ("kullback_leibler_divergence", "losses.kl_divergence", {}, "onehot_probs_extreme"),
    ("poisson", "losses.poisson", {}, "positive"),
    ("poisson", "losses.poisson", {}, "positive_with_zeros"),
    ("cosine_similarity", "losses.cosine_similarity", {}, "real"),
    ("cosine_similarity", "losses.cosine_similarity", {}, "cosine_with_zero"),
]

# Loss objects: (rkeras class, keras class, constructor kwargs, input key, sample weight)
SW = f32(rng.uniform(0.0, 2.0, size=(B,)))
CLASS_CASES = [
    ("MeanSquaredError", {}, "real", None),
    ("MeanSquaredError", {}, "real", SW),
    ("MeanSquaredError", {"reduction": "sum"}, "real", SW),
    ("MeanSquaredError", {"reduction": "none"}, "real", SW),
    ("MeanAbsoluteError", {}, "real", SW[:, None]),
    ("MeanAbsolutePercentageError", {}, "positive", None),
    ("MeanSquaredLogarithmicError", {}, "positive", None),
    ("Hinge", {}, "zero_one", None),
    ("SquaredHinge", {}, "pm1", SW),
    ("CategoricalHinge", {}, "onehot_probs", None),
    ("LogCosh", {}, "real", None),
    ("Huber", {"delta": 0.7}, "real", SW),
    ("CategoricalCrossentropy", {}, "onehot_probs", None),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.1},
     "onehot_logits", SW),
    ("SparseCategoricalCrossentropy", {}, "sparse_probs", None),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_logits", SW),
    ("BinaryCrossentropy", {}, "binary_probs", None),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "binary_logits",
     None),
    ("BinaryCrossentropy", {"reduction": "sum"}, "binary_probs", SW),
    ("KLDivergence", {}, "soft_probs", None),
    ("Poisson", {}, "positive", None),
    ("CosineSimilarity", {}, "real", None),
]

METRIC_CASES = [
    ("binary_accuracy", "metrics.binary_accuracy", {}, "binary_probs"),
    ("binary_accuracy", "metrics.binary_accuracy", {}, "binary_threshold"),
    ("binary_accuracy", "metrics.binary_accuracy", {"threshold": 0.3}, "binary_probs"),
    ("binary_accuracy", "metrics.binary_accuracy", {}, "binary_col"),
    ("categorical_accuracy", "metrics.categorical_accuracy", {}, "onehot_probs"),
    ("categorical_accuracy", "metrics.categorical_accuracy", {}, "onehot_logits"),
    ("sparse_categorical_accuracy", "metrics.sparse_categorical_accuracy", {}, "sparse_probs"),
    ("sparse_categorical_accuracy", "metrics.sparse_categorical_accuracy", {},
     "sparse_col_probs"),
    ("top_k_categorical_accuracy", "metrics.top_k_categorical_accuracy", {}, "onehot_probs"),
    ("top_k_categorical_accuracy", "metrics.top_k_categorical_accuracy", {"k": 1},
     "onehot_probs"),
    ("top_k_categorical_accuracy", "metrics.top_k_categorical_accuracy", {"k": 2},
     "onehot_logits"),
    ("top_k_categorical_accuracy", "metrics.top_k_categorical_accuracy", {"k": 1}, "topk_ties"),
    ("top_k_categorical_accuracy", "metrics.top_k_categorical_accuracy", {"k": 2}, "topk_ties"),
    ("sparse_top_k_categorical_accuracy", "metrics.sparse_top_k_categorical_accuracy",
     {"k": 2}, "sparse_probs"),
    ("sparse_top_k_categorical_accuracy", "metrics.sparse_top_k_categorical_accuracy",
     {"k": 3}, "sparse_col_probs"),
    ("sparse_top_k_categorical_accuracy", "metrics.sparse_top_k_categorical_accuracy",
     {"k": 1}, "sparse_topk_ties"),
    ("sparse_top_k_categorical_accuracy", "metrics.sparse_top_k_categorical_accuracy",
     {"k": 2}, "sparse_topk_ties"),
]

# Activation inputs avoid values exactly at a relu threshold (Keras and rkeras agree off it).
X_ACT = f32(np.concatenate([np.linspace(-6.0, 6.0, 13) + 0.0625,
                            rng.normal(size=8) * 3, [0.0, 30.0, -30.0]]).reshape(4, 6))
ACTIVATION_CASES = [
    ("relu", "activations.relu", {}),
    ("relu", "activations.relu", {"negative_slope": 0.1}),
    ("relu", "activations.relu", {"negative_slope": 0.1, "max_value": 3.0, "threshold": 0.5}),
    ("relu", "activations.relu", {"max_value": 6.0}),
    ("relu", "activations.relu", {"threshold": 1.0}),
    ("leaky_relu", "activations.leaky_relu", {}),
    ("relu6", "activations.relu6", {}),
    ("elu", "activations.elu", {}),
    ("elu", "activations.elu", {"alpha": 0.5}),
    ("selu", "activations.selu", {}),
    ("softplus", "activations.softplus", {}),
    ("softsign", "activations.softsign", {}),
    ("tanh", "activations.tanh", {}),
    ("sigmoid", "activations.sigmoid", {}),
    ("hard_sigmoid", "activations.hard_sigmoid", {}),
    ("exponential", "activations.exponential", {}),
    ("linear", "activations.linear", {}),
    ("softmax", "activations.softmax", {}),
    ("softmax", "activations.softmax", {"axis": 0}),
    ("log_softmax", "activations.log_softmax", {}),
    ("silu", "activations.silu", {}),
    ("swish", "activations.swish", {}),
    ("gelu", "activations.gelu", {}),
    ("gelu", "activations.gelu", {"approximate": True}),
    ("mish", "activations.mish", {}),
    ("hard_silu", "activations.hard_silu", {}),
    ("log_sigmoid", "activations.log_sigmoid", {}),
]


def resolve(path):
    obj = keras
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def tolist(x):
    """Nested lists of the shortest decimals that read back to the same float32 values."""
    arr = np.asarray(x, dtype=np.float32)
    flat = [float(np.format_float_positional(v, unique=True, trim="0")) if np.isfinite(v)
            else float(v) for v in arr.ravel()]
    return np.asarray(flat, dtype=np.float64).reshape(arr.shape).tolist()


def main():
    out = {
        "generator": "tools/keras_reference/make_reference.py",
        "keras_version": keras.__version__,
        "backend": keras.backend.backend(),
        "epsilon": keras.backend.epsilon(),
        "inputs": {k: {"y_true": tolist(a), "y_pred": tolist(b)} for k, (a, b) in INPUTS.items()},
        "losses": [],
        "loss_classes": [],
        "metrics": [],
        "activation_input": tolist(X_ACT),
        "activations": [],
    }
    for name, fn, kwargs, key in LOSS_CASES:
        y_true, y_pred = INPUTS[key]
        value = resolve(fn)(y_true, y_pred, **kwargs)
        out["losses"].append({"name": name, "keras": fn, "kwargs": kwargs, "inputs": key,
                              "output": tolist(value)})
    for cls, kwargs, key, sw in CLASS_CASES:
        y_true, y_pred = INPUTS[key]
        value = getattr(keras.losses, cls)(**kwargs)(y_true, y_pred, sample_weight=sw)
        out["loss_classes"].append({"class_name": cls, "kwargs": kwargs, "inputs": key,
                                    "sample_weight": None if sw is None else tolist(sw),
                                    "output": tolist(value)})
    for name, fn, kwargs, key in METRIC_CASES:
        y_true, y_pred = INPUTS[key]
        value = resolve(fn)(y_true, y_pred, **kwargs)
        out["metrics"].append({"name": name, "keras": fn, "kwargs": kwargs, "inputs": key,
                               "output": tolist(value)})
    for name, fn, kwargs in ACTIVATION_CASES:
        value = resolve(fn)(X_ACT, **kwargs)
        out["activations"].append({"name": name, "keras": fn, "kwargs": kwargs,
                                   "output": tolist(value)})
    OUT.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(out, indent=None, separators=(",", ":"))
    # One case per line keeps the file small yet diffable.
    text = text.replace(',{"name"', ',\n{"name"').replace(',{"class_name"', ',\n{"class_name"')
    OUT.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
