"""RMSprop (``keras.optimizers.RMSprop``)."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from rkeras import backend as K
from rkeras.optimizers.optimizer import DEFAULT_LR_0_001, Optimizer


class RMSprop(Optimizer):
    """Divides the gradient by a running root mean square of recent gradients.

    Arguments:
        learning_rate: float, default 0.001 (Keras-2 alias ``lr``).
        rho: discount of the squared-gradient average, default 0.9.
        momentum: default 0 (a ``momentum`` slot exists when > 0).
        epsilon: default 1e-7 (``None``: ``K.epsilon()``, as Keras 2).
        centered: normalise by the estimated variance, default False.
        decay, clipnorm, clipvalue, global_clipnorm, name: see :class:`Optimizer`.

    >>> from rkeras import optimizers
    >>> opt = optimizers.RMSprop(lr=0.001, rho=0.9, epsilon=None, decay=0.0)
    >>> opt.rust_config()["kind"], opt.rust_config()["epsilon"], opt.slot_names()
    ('rmsprop', 1e-07, ['velocity'])
    """

    kind = "rmsprop"
    _hyper = ("rho", "momentum", "epsilon", "centered")
    _default_lr = 0.001

    def __init__(self, learning_rate: Any = DEFAULT_LR_0_001, rho: float = 0.9,
                 momentum: float = 0.0, epsilon: Optional[float] = 1e-7,
                 centered: bool = False, name: Optional[str] = None,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate, name=name, **kwargs)
        self.rho = float(rho)
        self.momentum = float(momentum)
        self.epsilon = float(K.epsilon() if epsilon is None else epsilon)
        self.centered = bool(centered)

    def slot_names(self) -> list:
        """``velocity`` (+ ``momentum`` if momentum > 0, + ``average_gradient`` if centered)."""
        names = ["velocity"]
        if self.momentum > 0:
            names.append("momentum")
        if self.centered:
            names.append("average_gradient")
        return names

    def _update_numpy(self, p: np.ndarray, g: np.ndarray, slots: list, lr: np.float32,
                      step: int) -> np.ndarray:
        rho, one_minus_rho = np.float32(self.rho), np.float32(1.0 - self.rho)
        eps = np.float32(self.epsilon)
        v = slots[0]
        v[...] = rho * v + one_minus_rho * (g * g)
        if self.centered:
            a = slots[-1]
            a[...] = rho * a + one_minus_rho * g
            denominator = v - a * a + eps
        else:
            denominator = v + eps
        increment = (lr * g) / np.sqrt(denominator)
        if self.momentum > 0:
            mo = slots[1]
            mo[...] = np.float32(self.momentum) * mo + increment
            return p - mo
        return p - increment
