"""Stochastic gradient descent (``keras.optimizers.SGD``)."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from rkeras.optimizers.optimizer import DEFAULT_LR_0_01, Optimizer


class SGD(Optimizer):
    """Gradient descent, optionally with (Nesterov) momentum.

    Without momentum ``w -= lr * g``; with it ``v = momentum * v - lr * g`` and ``w += v``
    (Nesterov: ``w += momentum * v - lr * g``).

    Arguments:
        learning_rate: float, default 0.01 (Keras-2 alias ``lr``).
        momentum: float in [0, 1], default 0.
        nesterov: bool, default False.
        decay: Keras-2 inverse time decay, ``lr / (1 + decay * iterations)``.
        clipnorm, clipvalue, global_clipnorm, name: see :class:`Optimizer`.

    >>> from rkeras import optimizers
    >>> opt = optimizers.SGD(lr=0.01, momentum=0.9, nesterov=True, decay=1e-6)
    >>> opt.rust_config()
    {'kind': 'sgd', 'momentum': 0.9, 'nesterov': True, 'decay': 1e-06, 'clipnorm': None, \
'clipvalue': None, 'global_clipnorm': None}
    >>> opt.slot_names()
    ['momentum']
    """

    kind = "sgd"
    _hyper = ("momentum", "nesterov")
    _default_lr = 0.01

    def __init__(self, learning_rate: Any = DEFAULT_LR_0_01, momentum: float = 0.0,
                 nesterov: bool = False, decay: Any = 0.0, name: Optional[str] = None,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate, name=name, decay=decay, **kwargs)
        momentum = float(momentum)
        if not 0.0 <= momentum <= 1.0:
            raise ValueError("`momentum` must be a float between [0, 1].")
        self.momentum = momentum
        self.nesterov = bool(nesterov)

    def slot_names(self) -> list:
        """``['momentum']`` when momentum is non-zero, else ``[]``."""
        return ["momentum"] if self.momentum != 0.0 else []

    def _update_numpy(self, p: np.ndarray, g: np.ndarray, slots: list, lr: np.float32,
                      step: int) -> np.ndarray:
        if not slots:
            return p - g * lr
        m = slots[0]
        mom = np.float32(self.momentum)
        m[...] = m * mom - g * lr
        return p + (m * mom - g * lr if self.nesterov else m)
