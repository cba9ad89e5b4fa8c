"""Adagrad (``keras.optimizers.Adagrad``)."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from rkeras import backend as K
from rkeras.optimizers.optimizer import DEFAULT_LR_0_001, Optimizer


class Adagrad(Optimizer):
    """Per-parameter learning rates scaled by the accumulated squared gradients.

    Defaults are Keras 3's: ``learning_rate=0.001`` and ``initial_accumulator_value=0.1``.
    Keras 2 used ``lr=0.01`` and accumulators starting at 0: pass
    ``Adagrad(lr=0.01, initial_accumulator_value=0.0)`` to reproduce it.

    Arguments:
        learning_rate: float, default 0.001 (Keras-2 alias ``lr``).
        initial_accumulator_value: starting value of the accumulators, default 0.1.
        epsilon: default 1e-7 (``None``: ``K.epsilon()``).
        decay, clipnorm, clipvalue, global_clipnorm, name: see :class:`Optimizer`.

    >>> from rkeras import optimizers
    >>> opt = optimizers.Adagrad()
    >>> opt.rust_config()
    {'kind': 'adagrad', 'initial_accumulator_value': 0.1, 'epsilon': 1e-07, 'decay': 0.0, \
'clipnorm': None, 'clipvalue': None, 'global_clipnorm': None}
    """

    kind = "adagrad"
    _hyper = ("initial_accumulator_value", "epsilon")
    _default_lr = 0.001

    def __init__(self, learning_rate: Any = DEFAULT_LR_0_001,
                 initial_accumulator_value: float = 0.1, epsilon: Optional[float] = 1e-7,
                 name: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(learning_rate, name=name, **kwargs)
        self.initial_accumulator_value = float(initial_accumulator_value)
        self.epsilon = float(K.epsilon() if epsilon is None else epsilon)

    def slot_names(self) -> list:
        """``['accumulator']``."""
        return ["accumulator"]

    def _slot_initial_value(self, index: int) -> float:
        return self.initial_accumulator_value

    def _update_numpy(self, p: np.ndarray, g: np.ndarray, slots: list, lr: np.float32,
                      step: int) -> np.ndarray:
        acc = slots[0]
        acc += g * g
        return p - (lr * g) / np.sqrt(acc + np.float32(self.epsilon))
