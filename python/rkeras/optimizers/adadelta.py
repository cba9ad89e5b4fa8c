"""Adadelta (``keras.optimizers.Adadelta``)."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from rkeras import backend as K
from rkeras.optimizers.optimizer import DEFAULT_LR_0_001, Optimizer


class Adadelta(Optimizer):
    """Adagrad's extension with running windows of squared gradients and updates.

    The default ``learning_rate`` is Keras 3's 0.001; Keras 2 used ``lr=1.0`` (pass it
    explicitly to reproduce Keras-2 results).

    Arguments:
        learning_rate: float, default 0.001 (Keras-2 alias ``lr``).
        rho: decay of both running averages, default 0.95.
        epsilon: default 1e-7 (``None``: ``K.epsilon()``).
        decay, clipnorm, clipvalue, global_clipnorm, name: see :class:`Optimizer`.

    >>> from rkeras import optimizers
    >>> opt = optimizers.Adadelta(lr=1.0)
    >>> opt.get_config()
    {'name': 'adadelta', 'learning_rate': 1.0, 'decay': 0.0, 'rho': 0.95, 'epsilon': 1e-07}
    >>> opt.slot_names()
    ['accumulated_grad', 'accumulated_delta_var']
    """

    kind = "adadelta"
    _hyper = ("rho", "epsilon")
    _default_lr = 0.001

    def __init__(self, learning_rate: Any = DEFAULT_LR_0_001, rho: float = 0.95,
                 epsilon: Optional[float] = 1e-7, name: Optional[str] = None,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate, name=name, **kwargs)
        self.rho = float(rho)
        self.epsilon = float(K.epsilon() if epsilon is None else epsilon)

    def slot_names(self) -> list:
        """``['accumulated_grad', 'accumulated_delta_var']``."""
        return ["accumulated_grad", "accumulated_delta_var"]

    def _update_numpy(self, p: np.ndarray, g: np.ndarray, slots: list, lr: np.float32,
                      step: int) -> np.ndarray:
        rho, one_minus_rho = np.float32(self.rho), np.float32(1.0 - self.rho)
        eps = np.float32(self.epsilon)
        ag, ad = slots
        ag[...] = rho * ag + one_minus_rho * (g * g)
        delta = -((np.sqrt(ad + eps) * g) / np.sqrt(ag + eps))
        ad[...] = rho * ad + one_minus_rho * (delta * delta)
        return p + lr * delta
