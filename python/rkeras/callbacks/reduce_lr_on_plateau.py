"""``keras.callbacks.ReduceLROnPlateau``."""

from __future__ import annotations

import warnings
from typing import Any, Optional

import numpy as np

from rkeras import backend as K
from rkeras.callbacks.callback import Callback, get_lr, monitor_is_max, optimizer_lr


class ReduceLROnPlateau(Callback):
    """Reduces the learning rate when a metric has stopped improving.

    After `patience` epochs without improvement the learning rate variable
    (``model.optimizer.lr``) is set to ``max(lr * factor, min_lr)`` with ``K.set_value``.
    Adds the current learning rate to the epoch logs under ``'lr'`` (as Keras 2).

    Arguments:
        monitor: quantity to be monitored.
        factor: new_lr = lr * factor (must be < 1).
        patience: epochs with no improvement before the rate is reduced.
        verbose: 0 quiet, 1 update messages.
        mode: ``'auto'``, ``'min'`` or ``'max'``.
        min_delta: threshold for measuring a new optimum (Keras-2 alias ``epsilon``).
        cooldown: epochs to wait after a reduction before resuming normal operation.
        min_lr: lower bound on the learning rate.

    >>> from rkeras import optimizers
    >>> class Model:
    ...     stop_training = False
    ...     optimizer = optimizers.SGD(lr=0.1)
    >>> cb = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1)
    >>> cb.set_model(Model())
    >>> cb.on_train_begin()
    >>> for epoch in range(3):
    ...     cb.on_epoch_end(epoch, {"loss": 1.0})
    >>> round(float(K.get_value(cb.model.optimizer.lr)), 6)
    0.025
    """

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10,
                 verbose: int = 0, mode: str = "auto", min_delta: float = 1e-4,
                 cooldown: int = 0, min_lr: float = 0, **kwargs: Any) -> None:
        super().__init__()
        self.monitor = monitor
        if factor >= 1.0:
            raise ValueError("ReduceLROnPlateau does not support a factor >= 1.0.")
        if "epsilon" in kwargs:
            min_delta = kwargs.pop("epsilon")
            warnings.warn("`epsilon` argument is deprecated and will be removed, use "
                          "`min_delta` instead.", stacklevel=2)
        if kwargs:
            warnings.warn(f"ReduceLROnPlateau: ignoring unknown argument(s) "
                          f"{', '.join(sorted(kwargs))}", stacklevel=2)
        self.factor = factor
        self.min_lr = min_lr
        self.min_delta = min_delta
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.cooldown_counter = 0
        self.wait = 0
        self.best = 0.0
        self.mode = mode
        self.monitor_op: Any = None
        self._reset()

    def _reset(self) -> None:
        """Resets the wait and cooldown counters."""
        if self.mode not in ["auto", "min", "max"]:
            warnings.warn("Learning Rate Plateau Reducing mode %s is unknown, fallback to "
                          "auto mode." % (self.mode), RuntimeWarning, stacklevel=2)
            self.mode = "auto"
        if self.mode == "min" or (self.mode == "auto" and not monitor_is_max(self.monitor)):
            self.monitor_op = lambda a, b: np.less(a, b - self.min_delta)
            self.best = np.inf
        else:
            self.monitor_op = lambda a, b: np.greater(a, b + self.min_delta)
            self.best = -np.inf
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs: Optional[dict] = None) -> None:
        self._reset()

    def on_epoch_end(self, epoch: int, logs: Optional[dict] = None) -> None:
        logs = logs if logs is not None else {}
        logs["lr"] = get_lr(self.model)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                "Reduce LR on plateau conditioned on metric `%s` which is not available. "
                "Available metrics are: %s" % (self.monitor, ",".join(list(logs.keys()))),
                RuntimeWarning, stacklevel=2,
            )
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0

        if self.monitor_op(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                old_lr = float(K.get_value(optimizer_lr(self.model)))
                if old_lr > self.min_lr:
                    new_lr = old_lr * self.factor
                    new_lr = max(new_lr, self.min_lr)
                    K.set_value(optimizer_lr(self.model), new_lr)
                    if self.verbose > 0:
                        print("\nEpoch %05d: ReduceLROnPlateau reducing learning rate to %s."
                              % (epoch + 1, new_lr))
                    self.cooldown_counter = self.cooldown
                    self.wait = 0

    def in_cooldown(self) -> bool:
        """Whether a reduction's cooldown is running."""
        return self.cooldown_counter > 0
