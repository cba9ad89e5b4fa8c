"""Adam and AMSGrad (``keras.optimizers.Adam``)."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from rkeras import backend as K
from rkeras.optimizers.optimizer import DEFAULT_LR_0_001, Optimizer


class Adam(Optimizer):
    """Adaptive moment estimation, optionally the AMSGrad variant.

    Arguments:
        learning_rate: float, default 0.001 (Keras-2 alias ``lr``).
        beta_1: decay of the first-moment estimate, default 0.9.
        beta_2: decay of the second-moment estimate, default 0.999.
        epsilon: default 1e-7 (``None``: ``K.epsilon()``, as Keras 2).
        amsgrad: use the running maximum of the second moment, default False.
        decay, clipnorm, clipvalue, global_clipnorm, name: see :class:`Optimizer`.

    >>> from rkeras import optimizers
    >>> opt = optimizers.Adam(lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=None, decay=0.0,
    ...                       amsgrad=True, clipnorm=1.0)
    >>> opt.rust_config()
    {'kind': 'adam', 'beta_1': 0.9, 'beta_2': 0.999, 'epsilon': 1e-07, 'amsgrad': True, \
'decay': 0.0, 'clipnorm': 1.0, 'clipvalue': None, 'global_clipnorm': None}
    >>> opt.slot_names()
    ['momentum', 'velocity', 'velocity_hat']
    """

    kind = "adam"
    _hyper = ("beta_1", "beta_2", "epsilon", "amsgrad")
    _default_lr = 0.001

    def __init__(self, learning_rate: Any = DEFAULT_LR_0_001, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: Optional[float] = 1e-7, amsgrad: bool = False,
                 name: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(learning_rate, name=name, **kwargs)
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = float(K.epsilon() if epsilon is None else epsilon)
        self.amsgrad = bool(amsgrad)

    def slot_names(self) -> list:
        """``momentum``, ``velocity`` (+ ``velocity_hat`` with AMSGrad)."""
        names = ["momentum", "velocity"]
        return names + ["velocity_hat"] if self.amsgrad else names

    def _update_numpy(self, p: np.ndarray, g: np.ndarray, slots: list, lr: np.float32,
                      step: int) -> np.ndarray:
        t = np.float32(step)
        b1, b2 = np.float32(self.beta_1), np.float32(self.beta_2)
        alpha = lr * np.sqrt(np.float32(1) - b2 ** t) / (np.float32(1) - b1 ** t)
        m, v = slots[0], slots[1]
        m += (g - m) * np.float32(1.0 - self.beta_1)
        v += (g * g - v) * np.float32(1.0 - self.beta_2)
        used = v
        if self.amsgrad:
            vh = slots[2]
            vh[...] = np.maximum(vh, v)
            used = vh
        return p - (m * alpha) / (np.sqrt(used) + np.float32(self.epsilon))
