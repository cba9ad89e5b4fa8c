"""``keras.callbacks.LearningRateScheduler``."""

from __future__ import annotations

from typing import Callable, Optional

import numpy as np

from rkeras import backend as K
from rkeras.callbacks.callback import Callback, get_lr, optimizer_lr


class LearningRateScheduler(Callback):
    """Sets the learning rate at the start of every epoch from ``schedule(epoch, lr)`` (or
    the older ``schedule(epoch)``); the epoch index starts at 0. Adds ``'lr'`` to the epoch
    logs.

    Arguments:
        schedule: function of the epoch index (and the current learning rate) returning the
            new learning rate as a float.
        verbose: 0 quiet, 1 update messages.

    >>> from rkeras import optimizers
    >>> class Model:
    ...     optimizer = optimizers.SGD(lr=0.1)
    >>> cb = LearningRateScheduler(lambda epoch: 0.1 / (epoch + 1), verbose=1)
    >>> cb.set_model(Model())
    >>> cb.on_epoch_begin(1)
    <BLANKLINE>
    Epoch 00002: LearningRateScheduler setting learning rate to 0.05.
    """

    def __init__(self, schedule: Callable, verbose: int = 0) -> None:
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch: int, logs: Optional[dict] = None) -> None:
        lr_var = optimizer_lr(self.model)
        lr = float(K.get_value(lr_var))
        try:  # new API
            lr = self.schedule(epoch, lr)
        except TypeError:  # old API for backward compatibility
            lr = self.schedule(epoch)
        if not isinstance(lr, (float, np.float32, np.float64)):
            raise ValueError('The output of the "schedule" function should be float.')
        K.set_value(lr_var, lr)
        if self.verbose > 0:
            print("\nEpoch %05d: LearningRateScheduler setting learning rate to %s."
                  % (epoch + 1, lr))

    def on_epoch_end(self, epoch: int, logs: Optional[dict] = None) -> None:
        if logs is not None:
            logs["lr"] = get_lr(self.model)
