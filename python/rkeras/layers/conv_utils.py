"""Argument normalization and shape arithmetic shared by the convolutional, pooling and
reshaping layers (Keras's ``keras.utils.conv_utils``).

>>> from rkeras.layers.conv_utils import conv_output_length, normalize_tuple
>>> normalize_tuple(3, 2, "kernel_size")
(3, 3)
>>> conv_output_length(28, 3, "valid", 1), conv_output_length(28, 3, "same", 2)
(26, 14)
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

from rkeras.backend import config as _config
from rkeras.backend import functions as K
from rkeras.backend.tensors import SymbolicTensor


def normalize_tuple(value: Any, n: int, name: str, allow_zero: bool = False) -> tuple:
    """`value` (an int, or an iterable of `n` ints) as a tuple of `n` ints; Keras's message
    when it is not one, or when an entry is negative (or zero unless `allow_zero`).

    >>> normalize_tuple((1, 2), 2, "strides")
    (1, 2)
    """
    error = (f"The `{name}` argument must be a tuple of {n} integers. Received {name}={value}")
    if isinstance(value, bool):
        raise ValueError(error)
    if isinstance(value, int) or hasattr(value, "__index__") and not hasattr(value, "__len__"):
        out = (int(value),) * n
    else:
        try:
            items = tuple(value)
        except TypeError:
            raise ValueError(error) from None
        if len(items) != n:
            raise ValueError(error)
        out = []
        for item in items:
            if isinstance(item, bool):
                raise ValueError(error)
            try:
                out.append(int(item) if int(item) == item else None)
            except (TypeError, ValueError):
                raise ValueError(f"{error} including element {item} of type "
                                 f"{type(item)}") from None
            if out[-1] is None:
                raise ValueError(f"{error} including element {item} of type {type(item)}")
        out = tuple(out)
    bad = [v for v in out if v < 0 or (v == 0 and not allow_zero)]
    if bad:
        req = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{error}, including values {set(bad)} that do not satisfy the "
                         f"requirement `{req}`.")
    return out


def normalize_padding(value: Any, allowed: Sequence[str] = ("valid", "same")) -> str:
    """The padding name in lower case, checked against `allowed`.

    >>> normalize_padding("SAME")
    'same'
    """
    padding = str(value).lower()
    if padding not in allowed:
        choices = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"The `padding` argument must be one of {choices}. Received: "
                         f"padding={value!r}")
    return padding


def normalize_data_format(value: Optional[str]) -> str:
    """``'channels_last'`` or ``'channels_first'`` (``None``: ``K.image_data_format()``).

    >>> normalize_data_format(None)
    'channels_last'
    """
    if value is None:
        value = _config.image_data_format()
    data_format = str(value).lower()
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError('The `data_format` argument must be one of "channels_first", '
                         f'"channels_last". Received: {value}')
    return data_format


def conv_output_length(input_length: Optional[int], filter_size: int, padding: str,
                       stride: int, dilation: int = 1) -> Optional[int]:
    """The length of a convolution's (or pooling's) output along one axis; ``None`` stays
    ``None``. May be zero or negative when a 'valid' window does not fit."""
    if input_length is None:
        return None
    dilated = filter_size + (filter_size - 1) * (dilation - 1)
    if padding in ("same", "causal"):
        length = input_length
    elif padding == "full":
        length = input_length + dilated - 1
    else:
        length = input_length - dilated + 1
    return (length + stride - 1) // stride


def to_channels_last(x: Any, rank: int) -> Any:
    """``(N, C, *spatial)`` -> ``(N, *spatial, C)`` for `rank` spatial axes."""
    return K.permute_dimensions(x, (0,) + tuple(range(2, rank + 2)) + (1,))


def to_channels_first(x: Any, rank: int) -> Any:
    """``(N, *spatial, C)`` -> ``(N, C, *spatial)`` for `rank` spatial axes."""
    return K.permute_dimensions(x, (0, rank + 1) + tuple(range(1, rank + 1)))


def spatial_axes(data_format: str, rank: int) -> tuple:
    """The indices of the spatial axes in a rank-`rank` image of `data_format`."""
    if data_format == "channels_first":
        return tuple(range(2, rank + 2))
    return tuple(range(1, rank + 1))


def read_in_graph(var: Any, like: Any) -> Any:
    """`var` read as a tensor of `like`'s graph when `like` is symbolic, else `var` itself
    (so that an expression in `var` alone is recorded in the graph, not computed now)."""
    if isinstance(like, SymbolicTensor):
        from rkeras.backend.functions import _in_graph

        return _in_graph(like.graph, var)
    return var
