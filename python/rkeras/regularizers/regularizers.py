"""Weight regularizers: callables ``reg(weight) -> scalar penalty`` built from ``K`` ops (an
eager NumPy scalar for arrays and variables, a graph scalar for symbolic tensors)."""

from __future__ import annotations

from typing import Any, Optional

from rkeras import backend as K


class Regularizer:
    """Base class of regularizers: ``__call__(x)`` returns the penalty for tensor `x`.

    >>> from rkeras.regularizers import Regularizer
    >>> class Sum(Regularizer):
    ...     def __call__(self, x):
    ...         return K.sum(x)
    >>> float(Sum()([1.0, 2.0]))
    3.0
    """

    def __call__(self, x: Any) -> Any:
        return K.sum(K.zeros_like(x))

    def get_config(self) -> dict:
        """The constructor arguments."""
        return {}

    @classmethod
    def from_config(cls, config: dict) -> "Regularizer":
        """Builds a regularizer from :meth:`get_config`'s output."""
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class L1L2(Regularizer):
    """``l1 * sum(|x|) + l2 * sum(x**2)`` (Keras 2's class defaults: both 0).

    >>> from rkeras import regularizers
    >>> round(float(regularizers.L1L2(l1=0.1, l2=0.5)([1.0, -2.0])), 6)
    2.8
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1 = float(l1)
        self.l2 = float(l2)

    def __call__(self, x: Any) -> Any:
        penalty: Any = None
        if self.l1:
            penalty = K.sum(self.l1 * K.abs(x))
        if self.l2:
            term = K.sum(self.l2 * K.square(x))
            penalty = term if penalty is None else penalty + term
        if penalty is None:
            penalty = K.sum(K.zeros_like(x))
        return penalty

    def get_config(self) -> dict:
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    """``l1 * sum(|x|)``; default 0.01 (``l`` is accepted as Keras 2's spelling).

    >>> from rkeras import regularizers
    >>> float(regularizers.L1(0.5)([1.0, -2.0]))
    1.5
    """

    def __init__(self, l1: float = 0.01, l: Optional[float] = None) -> None:  # noqa: E741
        super().__init__(l1=l if l is not None else l1)

    def get_config(self) -> dict:
        return {"l1": self.l1}


class L2(L1L2):
    """``l2 * sum(x**2)``; default 0.01 (``l`` is accepted as Keras 2's spelling).

    >>> from rkeras import regularizers
    >>> float(regularizers.L2(0.5)([1.0, -2.0]))
    2.5
    """

    def __init__(self, l2: float = 0.01, l: Optional[float] = None) -> None:  # noqa: E741
        super().__init__(l2=l if l is not None else l2)

    def get_config(self) -> dict:
        return {"l2": self.l2}


def l1(l: float = 0.01) -> L1L2:  # noqa: E741 - Keras's argument name
    """Keras 2's ``l1(l=0.01)``: an :class:`L1L2` with only the L1 term."""
    return L1L2(l1=l)


def l2(l: float = 0.01) -> L1L2:  # noqa: E741 - Keras's argument name
    """Keras 2's ``l2(l=0.01)``: an :class:`L1L2` with only the L2 term."""
    return L1L2(l2=l)


def l1_l2(l1: float = 0.01, l2: float = 0.01) -> L1L2:
    """Keras 2's ``l1_l2(l1=0.01, l2=0.01)``."""
    return L1L2(l1=l1, l2=l2)
