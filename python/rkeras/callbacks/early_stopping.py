"""``keras.callbacks.EarlyStopping``."""

from __future__ import annotations

import warnings
from typing import Any, Optional

import numpy as np

from rkeras.callbacks.callback import Callback, monitor_is_max


class EarlyStopping(Callback):
    """Stops training when a monitored quantity has stopped improving.

    Arguments:
        monitor: quantity to be monitored (a log key, e.g. ``'val_loss'``, ``'val_acc'``).
        min_delta: minimum change that counts as an improvement.
        patience: number of epochs with no improvement after which training is stopped.
        verbose: verbosity mode.
        mode: ``'auto'`` (maximise names containing ``acc``, else minimise), ``'min'`` or
            ``'max'``.
        baseline: value the quantity must improve on.
        restore_best_weights: when stopping, restore the weights of the best epoch
            (``model.get_weights()`` / ``model.set_weights()``).
        start_from_epoch: (Keras 3) number of epochs before monitoring starts.

    Sets ``model.stop_training = True`` to stop.

    >>> class Model:
    ...     stop_training = False
    >>> es = EarlyStopping(monitor="loss", patience=1)
    >>> es.set_model(Model())
    >>> es.on_train_begin()
    >>> for epoch, loss in enumerate([1.0, 0.5, 0.6]):
    ...     es.on_epoch_end(epoch, {"loss": loss})
    >>> es.model.stop_training, es.stopped_epoch
    (True, 2)
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0, patience: int = 0,
                 verbose: int = 0, mode: str = "auto", baseline: Optional[float] = None,
                 restore_best_weights: bool = False, start_from_epoch: int = 0) -> None:
        super().__init__()
        self.monitor = monitor
        self.baseline = baseline
        self.patience = patience
        self.verbose = verbose
        self.min_delta = min_delta
        self.wait = 0
        self.stopped_epoch = 0
        self.restore_best_weights = restore_best_weights
        self.best_weights: Any = None
        self.start_from_epoch = start_from_epoch

        if mode not in ["auto", "min", "max"]:
            warnings.warn("EarlyStopping mode %s is unknown, fallback to auto mode." % mode,
                          RuntimeWarning, stacklevel=2)
            mode = "auto"

        if mode == "min":
            self.monitor_op = np.less
        elif mode == "max":
            self.monitor_op = np.greater
        else:
            self.monitor_op = np.greater if monitor_is_max(self.monitor) else np.less

        if self.monitor_op == np.greater:
            self.min_delta *= 1
        else:
            self.min_delta *= -1
        self.best = np.inf if self.monitor_op == np.less else -np.inf

    def on_train_begin(self, logs: Optional[dict] = None) -> None:
        # Allow instances to be re-used.
        self.wait = 0
        self.stopped_epoch = 0
        if self.baseline is not None:
            self.best = self.baseline
        else:
            self.best = np.inf if self.monitor_op == np.less else -np.inf
        self.best_weights = None

    def on_epoch_end(self, epoch: int, logs: Optional[dict] = None) -> None:
        current = self.get_monitor_value(logs or {})
        if current is None or epoch < self.start_from_epoch:
            return

        if self.monitor_op(current - self.min_delta, self.best):
            self.best = current
            self.wait = 0
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.stopped_epoch = epoch
                self.model.stop_training = True
                if self.restore_best_weights and self.best_weights is not None:
                    if self.verbose > 0:
                        print("Restoring model weights from the end of the best epoch")
                    self.model.set_weights(self.best_weights)

    def on_train_end(self, logs: Optional[dict] = None) -> None:
        if self.stopped_epoch > 0 and self.verbose > 0:
            print("Epoch %05d: early stopping" % (self.stopped_epoch + 1))

    def get_monitor_value(self, logs: dict) -> Any:
        """The monitored value from `logs` (``None``, with a warning, when missing)."""
        monitor_value = logs.get(self.monitor)
        if monitor_value is None:
            warnings.warn(
                "Early stopping conditioned on metric `%s` which is not available. "
                "Available metrics are: %s" % (self.monitor, ",".join(list(logs.keys()))),
                RuntimeWarning, stacklevel=2,
            )
        return monitor_value
