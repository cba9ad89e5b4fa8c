"""Checking and arranging user data for the compiled programs: one float32 C-contiguous array
per model input / target, sample weights, class weights, validation splits, Keras's messages."""

from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np


def to_list(x: Any) -> list:
    """`x` as a list (a single array becomes a list of one)."""
    if x is None:
        return []
    if isinstance(x, (list, tuple)):
        return list(x)
    return [x]


def as_float_array(x: Any, what: str) -> np.ndarray:
    """A float32 C-contiguous array, or a TypeError naming `what` for non-numeric data."""
    try:
        arr = np.asarray(x)
    except Exception as e:  # noqa: BLE001 - numpy raises many types for ragged input
        raise TypeError(f"{what}: could not convert the data to an array ({e})") from e
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{what}: expected numeric data, got an array of dtype {arr.dtype}"
            + (f" (values such as {arr.ravel()[:3].tolist()!r})" if arr.size else "")
        )
    return np.asarray(arr, dtype=np.float32, order="C")


def standardize(data: Any, names: Sequence[str], shapes: Sequence[tuple], what: str,
                check_shapes: bool = True) -> list:
    """Arranges `data` (array, list or dict by name) as one array per entry of `names`."""
    if isinstance(data, dict):
        missing = [n for n in names if n not in data]
        if missing:
            raise ValueError(f"No data provided for {missing[0]!r}. Need data for each key in: "
                             f"{list(names)}")
        arrays = [data[n] for n in names]
    else:
        arrays = to_list(data)
        if len(names) == 1 and len(arrays) > 1 and not isinstance(data, (list, tuple)):
            arrays = [data]
    if len(arrays) != len(names):
        raise ValueError(
            f"Error when checking model {what}: the list of Numpy arrays that you are passing to "
            f"your model is not the size the model expected. Expected to see {len(names)} "
            f"array(s), but instead got {len(arrays)} array(s)."
        )
    out = []
    for name, shape, arr in zip(names, shapes, arrays):
        a = as_float_array(arr, f"{what} {name!r}")
        if a.ndim == 0:
            raise ValueError(f"Error when checking model {what}: {name!r} is a scalar; "
                             "expected an array with a batch dimension")
        if check_shapes and shape is not None:
            expected = tuple(shape)
            if a.ndim == len(expected) - 1 and expected[-1] == 1:
                a = a.reshape(a.shape + (1,))
            if a.ndim != len(expected):
                raise ValueError(
                    f"Error when checking {what}: expected {name} to have {len(expected)} "
                    f"dimensions, but got array with shape {a.shape}"
                )
            if any(
                e is not None and e != g for e, g in zip(expected[1:], a.shape[1:])
            ):
                raise ValueError(
                    f"Error when checking {what}: expected {name} to have shape "
                    f"{expected[1:]} but got array with shape {a.shape[1:]}"
                )
        out.append(a)
    return out


def check_lengths(inputs: list, targets: list, weights: list) -> int:
    """The common sample count; Keras's errors when arrays disagree or are empty."""
    n_in = {len(a) for a in inputs}
    n_t = {len(a) for a in targets}
    if len(n_in) > 1:
        raise ValueError(f"All input arrays (x) should have the same number of samples. Got "
                         f"array shapes: {[a.shape for a in inputs]}")
    if len(n_t) > 1:
        raise ValueError(f"All target arrays (y) should have the same number of samples. Got "
                         f"array shapes: {[a.shape for a in targets]}")
    if inputs and targets and n_in != n_t:
        raise ValueError(
            f"Input arrays should have the same number of samples as target arrays. Found "
            f"{next(iter(n_in))} input samples and {next(iter(n_t))} target samples."
        )
    n = next(iter(n_in)) if inputs else (next(iter(n_t)) if targets else 0)
    for w in weights:
        if len(w) != n:
            raise ValueError(f"Found a sample_weight array with shape {w.shape} for an input "
                             f"with shape ({n},). sample_weight cannot be broadcast.")
    if n == 0:
        raise ValueError("The data is empty: there are no samples to train or evaluate on.")
    return n


def sample_weights(sample_weight: Any, class_weight: Any, targets: list,
                   output_names: Sequence[str]) -> list:
    """One weight vector per output: ``sample_weight`` times the ``class_weight`` of each
    sample's class (its argmax for one-hot targets)."""
    n_out = len(targets)
    if isinstance(sample_weight, dict):
        sws = [sample_weight.get(name) for name in output_names]
    elif isinstance(sample_weight, (list, tuple)) and n_out > 1:
        sws = list(sample_weight)
    else:
        sws = [sample_weight] * n_out
    if isinstance(class_weight, dict) and class_weight and all(
        isinstance(k, str) for k in class_weight
    ):
        cws = [class_weight.get(name) for name in output_names]
    else:
        cws = [class_weight] * n_out
    out = []
    for y, sw, cw in zip(targets, sws, cws):
        w = np.ones(len(y), np.float32) if sw is None else as_float_array(sw, "sample_weight")
        if w.ndim != 1:
            w = w.reshape(len(w), -1)[:, 0] if w.ndim == 2 and w.shape[1] == 1 else w
        if w.ndim != 1:
            raise ValueError(f"sample_weight must be 1-D (one weight per sample), got shape "
                             f"{w.shape}")
        if cw:
            classes = y.argmax(axis=-1) if y.ndim > 1 and y.shape[-1] > 1 else y.reshape(len(y))
            factors = np.array([float(cw.get(int(c), 1.0)) for c in classes], np.float32)
            w = w * factors
        out.append(np.ascontiguousarray(w, dtype=np.float32))
    return out


def split_validation(arrays: list, split: float) -> tuple:
    """Keras's ``validation_split``: the last `split` fraction, taken before shuffling."""
    if not 0.0 <= split < 1.0:
        raise ValueError(f"`validation_split` must be in [0, 1). Received: {split}")
    n = len(arrays[0])
    at = int(n * (1.0 - split))
    if at == 0 or at == n:
        raise ValueError(f"validation_split={split} leaves no samples for training or "
                         f"validation ({n} samples)")
    return [a[:at] for a in arrays], [np.ascontiguousarray(a[at:]) for a in arrays]


def unpack_validation(data: Any) -> tuple:
    """``validation_data`` as ``(x, y, sample_weight or None)``."""
    if isinstance(data, (list, tuple)) and len(data) in (2, 3):
        x, y = data[0], data[1]
        sw: Optional[Any] = data[2] if len(data) == 3 else None
        return x, y, sw
    raise ValueError("When passing validation_data, it must contain 2 (x_val, y_val) or 3 "
                     f"(x_val, y_val, val_sample_weights) items, got {type(data).__name__}")
