"""Nadam (``keras.optimizers.Nadam``)."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from rkeras import backend as K
from rkeras.optimizers.optimizer import DEFAULT_LR_0_001, Optimizer


def _momentum_cache(beta_1: np.float32, t: int) -> np.float32:
    return beta_1 * (np.float32(1) - np.float32(0.5) * np.float32(0.96) ** np.float32(t))


class Nadam(Optimizer):
    """Adam with Nesterov momentum (Keras 3's formulation, momentum schedule base 0.96).

    Arguments:
        learning_rate: float, default 0.001 (Keras 2 used 0.002; Keras-2 alias ``lr``).
        beta_1: default 0.9.
        beta_2: default 0.999.
        epsilon: default 1e-7 (``None``: ``K.epsilon()``).
        schedule_decay: Keras-2 argument, accepted and stored but not used (the momentum
            schedule is Keras 3's ``beta_1 * (1 - 0.5 * 0.96^t)``).
        decay, clipnorm, clipvalue, global_clipnorm, name: see :class:`Optimizer`.

    >>> from rkeras import optimizers
    >>> opt = optimizers.Nadam(lr=0.002, schedule_decay=0.004)
    >>> opt.rust_config()["kind"], opt.slot_names()
    ('nadam', ['momentum', 'velocity'])
    """

    kind = "nadam"
    _hyper = ("beta_1", "beta_2", "epsilon")
    _default_lr = 0.001

    def __init__(self, learning_rate: Any = DEFAULT_LR_0_001, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: Optional[float] = 1e-7,
                 name: Optional[str] = None, schedule_decay: Optional[float] = None,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate, name=name, **kwargs)
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = float(K.epsilon() if epsilon is None else epsilon)
        self.schedule_decay = schedule_decay
        self._u_product = np.float32(1.0)
        self._u_product_step = 0

    def slot_names(self) -> list:
        """``['momentum', 'velocity']``."""
        return ["momentum", "velocity"]

    def _begin_step_numpy(self, step: int) -> None:
        if step > self._u_product_step:
            self._u_product = self._u_product * _momentum_cache(np.float32(self.beta_1), step)
            self._u_product_step = step

    def _update_numpy(self, p: np.ndarray, g: np.ndarray, slots: list, lr: np.float32,
                      step: int) -> np.ndarray:
        b1, b2 = np.float32(self.beta_1), np.float32(self.beta_2)
        one = np.float32(1)
        u_t = _momentum_cache(b1, step)
        u_t_1 = _momentum_cache(b1, step + 1)
        u_product_t_1 = self._u_product * u_t_1
        m, v = slots
        m += (g - m) * (one - b1)
        v += (g * g - v) * (one - b2)
        m_hat = (u_t_1 * m) / (one - u_product_t_1) + ((one - u_t) * g) / (one - self._u_product)
        v_hat = v / (one - b2 ** np.float32(step))
        return p - (m_hat * lr) / (np.sqrt(v_hat) + np.float32(self.epsilon))
