"""Adamax (``keras.optimizers.Adamax``)."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from rkeras import backend as K
from rkeras.optimizers.optimizer import DEFAULT_LR_0_001, Optimizer


class Adamax(Optimizer):
    """Adam with the infinity norm instead of the second moment.

    Arguments:
        learning_rate: float, default 0.001 (Keras 2 used 0.002; Keras-2 alias ``lr``).
        beta_1: decay of the first-moment estimate, default 0.9.
        beta_2: decay of the infinity norm, default 0.999.
        epsilon: default 1e-7 (``None``: ``K.epsilon()``).
        decay, clipnorm, clipvalue, global_clipnorm, name: see :class:`Optimizer`.

    >>> from rkeras import optimizers
    >>> optimizers.Adamax(0.002).slot_names()
    ['momentum', 'norm']
    """

    kind = "adamax"
    _hyper = ("beta_1", "beta_2", "epsilon")
    _default_lr = 0.001

    def __init__(self, learning_rate: Any = DEFAULT_LR_0_001, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: Optional[float] = 1e-7,
                 name: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(learning_rate, name=name, **kwargs)
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = float(K.epsilon() if epsilon is None else epsilon)

    def slot_names(self) -> list:
        """``['momentum', 'norm']``."""
        return ["momentum", "norm"]

    def _update_numpy(self, p: np.ndarray, g: np.ndarray, slots: list, lr: np.float32,
                      step: int) -> np.ndarray:
        m, u = slots
        m += (g - m) * np.float32(1.0 - self.beta_1)
        u[...] = np.maximum(np.float32(self.beta_2) * u, np.abs(g))
        one_minus_b1_t = np.float32(1) - np.float32(self.beta_1) ** np.float32(step)
        return p - (lr * m) / (one_minus_b1_t * (u + np.float32(self.epsilon)))
