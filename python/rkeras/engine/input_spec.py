"""``InputSpec``: the rank, dtype and shape a layer accepts, checked on every call.

>>> from rkeras.engine.input_spec import InputSpec
>>> InputSpec(min_ndim=2, axes={-1: 784})
InputSpec(min_ndim=2, axes={-1: 784})
"""

from __future__ import annotations

from typing import Any, Optional, Sequence


class InputSpec:
    """Specifies the rank, dtype and shape of every input to a layer (Keras's ``InputSpec``).

    >>> spec = InputSpec(ndim=3)
    >>> spec.ndim
    3
    """

    def __init__(self, dtype: Optional[str] = None, shape: Optional[Sequence] = None,
                 ndim: Optional[int] = None, max_ndim: Optional[int] = None,
                 min_ndim: Optional[int] = None, axes: Optional[dict] = None,
                 allow_last_axis_squeeze: bool = False, name: Optional[str] = None) -> None:
        self.dtype = dtype
        self.shape = None if shape is None else tuple(shape)
        self.ndim = len(self.shape) if shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.name = name
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        self.axes = {int(k): v for k, v in (axes or {}).items()}
        if self.axes and (self.ndim is not None or self.max_ndim is not None):
            max_dim = (self.ndim if self.ndim is not None else self.max_ndim) - 1
            max_axis = max(self.axes)
            if max_axis > max_dim:
                raise ValueError(f"Axis {max_axis} is greater than the maximum allowed value: "
                                 f"{max_dim}")

    def __repr__(self) -> str:
        parts = [f"dtype={self.dtype}" if self.dtype else "",
                 f"shape={self.shape}" if self.shape else "",
                 f"ndim={self.ndim}" if self.ndim is not None else "",
                 f"max_ndim={self.max_ndim}" if self.max_ndim is not None else "",
                 f"min_ndim={self.min_ndim}" if self.min_ndim is not None else "",
                 f"axes={self.axes}" if self.axes else ""]
        return f"InputSpec({', '.join(p for p in parts if p)})"

    def get_config(self) -> dict:
        """The constructor arguments."""
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim,
                "max_ndim": self.max_ndim, "min_ndim": self.min_ndim, "axes": self.axes}

    @classmethod
    def from_config(cls, config: dict) -> "InputSpec":
        """The inverse of :meth:`get_config`."""
        return cls(**config)


def display_shape(shape: Sequence) -> str:
    """A shape as Keras prints it: ``(None, 100)``."""
    return str(tuple(shape))


def _shape_of(x: Any) -> Optional[tuple]:
    from rkeras.backend import functions as K

    try:
        return tuple(K.int_shape(x))
    except Exception:  # noqa: BLE001 - objects without a shape are not checked
        return None


def assert_input_compatibility(input_spec: Any, inputs: Any, layer_name: str) -> None:
    """Raises ValueError (Keras's messages) when `inputs` do not match `input_spec`."""
    if not input_spec:
        return
    specs = list(input_spec) if isinstance(input_spec, (list, tuple)) else [input_spec]
    inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    if len(inputs) != len(specs):
        raise ValueError(f'Layer "{layer_name}" expects {len(specs)} input(s), but it received '
                         f"{len(inputs)} input tensors. Inputs received: {inputs}")
    for index, (x, spec) in enumerate(zip(inputs, specs)):
        if spec is None:
            continue
        shape = _shape_of(x)
        if shape is None:
            continue
        ndim = len(shape)
        head = f'Input {index} of layer "{layer_name}" is incompatible with the layer: '
        if spec.ndim is not None and not spec.allow_last_axis_squeeze and ndim != spec.ndim:
            raise ValueError(f"{head}expected ndim={spec.ndim}, found ndim={ndim}. "
                             f"Full shape received: {display_shape(shape)}")
        if spec.max_ndim is not None and ndim > spec.max_ndim:
            raise ValueError(f"{head}expected max_ndim={spec.max_ndim}, found ndim={ndim}")
        if spec.min_ndim is not None and ndim < spec.min_ndim:
            raise ValueError(f"{head}expected min_ndim={spec.min_ndim}, found ndim={ndim}. "
                             f"Full shape received: {display_shape(shape)}")
        if spec.dtype is not None:
            dtype = getattr(x, "dtype", None)
            if dtype is not None and str(dtype) != spec.dtype:
                raise ValueError(f"{head}expected dtype={spec.dtype}, found dtype={dtype}")
        for axis, value in spec.axes.items():
            if value is None or not -ndim <= axis < ndim:
                continue
            if shape[axis] not in (value, None):
                raise ValueError(f"{head}expected axis {axis} of input shape to have value "
                                 f"{value}, but received input with shape {display_shape(shape)}")
        if spec.shape is not None:
            got, want = list(shape), list(spec.shape)
            if spec.allow_last_axis_squeeze:
                if got and got[-1] == 1:
                    got = got[:-1]
                if want and want[-1] == 1:
                    want = want[:-1]
            for spec_dim, dim in zip(want, got):
                if spec_dim is not None and dim is not None and spec_dim != dim:
                    raise ValueError(f"{head}expected shape={spec.shape}, "
                                     f"found shape={display_shape(shape)}")
