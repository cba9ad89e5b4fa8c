"""NumPy-style indexing of tensors (``x[:, 1:3]``, ``x[..., 0]``, ``x[None]``) as slice ops."""

from __future__ import annotations

from typing import Any

NO_INDEX = -(2**63)


def getitem(x: Any, key: Any) -> Any:
    """`x[key]` for ints, slices, Ellipsis and None, through slice/squeeze/expand_dims ops."""
    from rkeras.backend.tensors import apply

    if not isinstance(key, tuple):
        key = (key,)
    rank = len(x.shape)
    n_real = sum(1 for k in key if k is not None and k is not Ellipsis)
    if sum(1 for k in key if k is Ellipsis) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if n_real > rank:
        raise IndexError(f"too many indices for a tensor of rank {rank}: {key!r}")
    expanded: list = []
    for k in key:
        if k is Ellipsis:
            expanded.extend([slice(None)] * (rank - n_real))
        else:
            expanded.append(k)
    expanded.extend([slice(None)] * (rank - sum(1 for k in expanded if k is not None)))
    start, stop, step, squeeze, new_axes = [], [], [], [], []
    axis = 0
    out_pos = 0
    for k in expanded:
        if k is None:
            new_axes.append(out_pos)
            out_pos += 1
            continue
        if isinstance(k, slice):
            start.append(NO_INDEX if k.start is None else int(k.start))
            stop.append(NO_INDEX if k.stop is None else int(k.stop))
            step.append(1 if k.step is None else int(k.step))
            out_pos += 1
        elif isinstance(k, (int,)) or hasattr(k, "__index__"):
            i = int(k)
            dim = x.shape[axis]
            if dim is not None and not -dim <= i < dim:
                raise IndexError(f"index {i} is out of bounds for axis {axis} with size {dim}")
            start.append(i)
            stop.append(NO_INDEX if i == -1 else i + 1)
            step.append(1)
            squeeze.append(axis)
        else:
            raise TypeError(f"unsupported index {k!r}: use ints, slices, '...' or None")
        axis += 1
    y = x
    if any(s != NO_INDEX for s in start + stop) or any(s != 1 for s in step):
        y = apply("slice", [y], start=start, stop=stop, step=step)
    for a in reversed(squeeze):
        y = apply("squeeze", [y], axis=a)
    for a in new_axes:
        y = apply("expand_dims", [y], axis=a)
    return y
