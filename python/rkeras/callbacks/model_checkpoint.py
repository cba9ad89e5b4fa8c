"""``keras.callbacks.ModelCheckpoint``."""

from __future__ import annotations

import warnings
from typing import Any, Optional, Union

import numpy as np

from rkeras.callbacks.callback import Callback, monitor_is_max


class ModelCheckpoint(Callback):
    """Saves the model (or its weights) after every epoch, or every `save_freq` batches.

    `filepath` may contain named formatting options filled with ``epoch`` (1-based) and the
    log values: ``'weights.{epoch:02d}-{val_loss:.2f}.hdf5'``.

    Arguments:
        filepath: path to save to.
        monitor: quantity to monitor for `save_best_only`.
        verbose: 0 or 1.
        save_best_only: only save when the monitored quantity improved.
        save_weights_only: save with ``model.save_weights(filepath)`` instead of
            ``model.save(filepath)``.
        mode: ``'auto'``, ``'min'`` or ``'max'``.
        period: (Keras 2) epochs between checkpoints.
        save_freq: ``'epoch'`` or an integer number of batches between checkpoints.
        initial_value_threshold: (Keras 3) the initial "best" value.

    >>> class Model:
    ...     def save_weights(self, filepath, overwrite=True):
    ...         print("saving", filepath)
    >>> cb = ModelCheckpoint("w.{epoch:02d}-{val_loss:.2f}.h5", save_weights_only=True)
    >>> cb.set_model(Model())
    >>> cb.on_epoch_end(2, {"val_loss": 0.12345})
    saving w.03-0.12.h5
    """

    def __init__(self, filepath: str, monitor: str = "val_loss", verbose: int = 0,
                 save_best_only: bool = False, save_weights_only: bool = False,
                 mode: str = "auto", period: int = 1, save_freq: Union[str, int] = "epoch",
                 initial_value_threshold: Optional[float] = None, **kwargs: Any) -> None:
        super().__init__()
        kwargs.pop("options", None)
        if kwargs:
            raise TypeError("Unrecognized arguments passed to ModelCheckpoint: "
                            + ", ".join(sorted(kwargs)))
        self.monitor = monitor
        self.verbose = verbose
        self.filepath = str(filepath)
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.period = period
        if save_freq != "epoch" and not (isinstance(save_freq, int) and save_freq > 0):
            raise ValueError(f"Unrecognized save_freq: {save_freq}. Expected save_freq are "
                             "'epoch' or integer values")
        self.save_freq = save_freq
        self.epochs_since_last_save = 0
        self._batches_seen_since_last_saving = 0
        self._current_epoch = 0

        if mode not in ["auto", "min", "max"]:
            warnings.warn("ModelCheckpoint mode %s is unknown, fallback to auto mode." % (mode),
                          RuntimeWarning, stacklevel=2)
            mode = "auto"
        if mode == "min" or (mode == "auto" and not (
                monitor_is_max(self.monitor) or self.monitor.startswith("fmeasure"))):
            self.monitor_op = np.less
            self.best = np.inf
        else:
            self.monitor_op = np.greater
            self.best = -np.inf
        if initial_value_threshold is not None:
            self.best = initial_value_threshold

    def _save(self, filepath: str) -> None:
        method = "save_weights" if self.save_weights_only else "save"
        save = getattr(self.model, method, None)
        if save is None:
            raise NotImplementedError(
                f"ModelCheckpoint(save_weights_only={self.save_weights_only}) needs "
                f"`model.{method}(filepath)`, which {type(self.model).__name__} does not "
                "provide in this version of rkeras"
            )
        save(filepath, overwrite=True)

    def on_epoch_begin(self, epoch: int, logs: Optional[dict] = None) -> None:
        self._current_epoch = epoch

    def on_train_batch_end(self, batch: int, logs: Optional[dict] = None) -> None:
        super().on_train_batch_end(batch, logs)
        if self.save_freq == "epoch":
            return
        self._batches_seen_since_last_saving += 1
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            self._save_model(self._current_epoch, dict(logs or {}, batch=batch))

    def on_epoch_end(self, epoch: int, logs: Optional[dict] = None) -> None:
        if self.save_freq != "epoch":
            return
        self.epochs_since_last_save += 1
        if self.epochs_since_last_save >= self.period:
            self.epochs_since_last_save = 0
            self._save_model(epoch, logs or {})

    def _save_model(self, epoch: int, logs: dict) -> None:
        filepath = self.filepath.format(epoch=epoch + 1, **logs)
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                warnings.warn("Can save best model only with %s available, skipping."
                              % (self.monitor), RuntimeWarning, stacklevel=2)
            elif self.monitor_op(current, self.best):
                if self.verbose > 0:
                    print("\nEpoch %05d: %s improved from %0.5f to %0.5f, saving model to %s"
                          % (epoch + 1, self.monitor, self.best, current, filepath))
                self.best = current
                self._save(filepath)
            elif self.verbose > 0:
                print("\nEpoch %05d: %s did not improve from %0.5f"
                      % (epoch + 1, self.monitor, self.best))
        else:
            if self.verbose > 0:
                print("\nEpoch %05d: saving model to %s" % (epoch + 1, filepath))
            self._save(filepath)
