"""The callback base class (``keras.callbacks.Callback``)."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from rkeras import backend as K


class Callback:
    """Base class of callbacks: hooks called by ``fit``/``evaluate``/``predict``.

    Attributes:
        params: dict of training parameters (``verbose``, ``epochs``, ``steps``, ``samples``,
            ``batch_size``, ``do_validation``, ``metrics``), set by :meth:`set_params`.
        model: the model being trained, set by :meth:`set_model`.

    ``on_batch_begin`` / ``on_batch_end`` are the Keras-2 names: the default
    ``on_train_batch_begin`` / ``on_train_batch_end`` call them, so overriding either spelling
    works. Batch logs hold ``batch`` and ``size`` (the batch size) and, at the end, the batch
    metrics (``loss``, ``acc``...); epoch logs hold the epoch metrics and ``val_*``.

    >>> class PrintEpochs(Callback):
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         print(epoch, logs["loss"])
    >>> cb = PrintEpochs()
    >>> cb.on_epoch_end(0, {"loss": 0.25})
    0 0.25
    """

    model: Any = None
    validation_data: Any = None

    def __init__(self) -> None:
        self.validation_data = None
        self.model = None
        self.params: dict = {}

    def set_params(self, params: dict) -> None:
        """Stores the training parameters."""
        self.params = params

    def set_model(self, model: Any) -> None:
        """Stores the model."""
        self.model = model

    def on_batch_begin(self, batch: int, logs: Optional[dict] = None) -> None:
        """A backwards compatibility alias for `on_train_batch_begin`."""

    def on_batch_end(self, batch: int, logs: Optional[dict] = None) -> None:
        """A backwards compatibility alias for `on_train_batch_end`."""

    def on_epoch_begin(self, epoch: int, logs: Optional[dict] = None) -> None:
        """Called at the start of an epoch (training only)."""

    def on_epoch_end(self, epoch: int, logs: Optional[dict] = None) -> None:
        """Called at the end of an epoch with the epoch's metrics (``val_*`` included)."""

    def on_train_batch_begin(self, batch: int, logs: Optional[dict] = None) -> None:
        """Called at the beginning of a training batch; calls :meth:`on_batch_begin`."""
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch: int, logs: Optional[dict] = None) -> None:
        """Called at the end of a training batch; calls :meth:`on_batch_end`."""
        self.on_batch_end(batch, logs)

    def on_test_batch_begin(self, batch: int, logs: Optional[dict] = None) -> None:
        """Called at the beginning of a batch in ``evaluate`` (and validation)."""

    def on_test_batch_end(self, batch: int, logs: Optional[dict] = None) -> None:
        """Called at the end of a batch in ``evaluate`` (and validation)."""

    def on_predict_batch_begin(self, batch: int, logs: Optional[dict] = None) -> None:
        """Called at the beginning of a batch in ``predict``."""

    def on_predict_batch_end(self, batch: int, logs: Optional[dict] = None) -> None:
        """Called at the end of a batch in ``predict``."""

    def on_train_begin(self, logs: Optional[dict] = None) -> None:
        """Called at the beginning of training."""

    def on_train_end(self, logs: Optional[dict] = None) -> None:
        """Called at the end of training."""

    def on_test_begin(self, logs: Optional[dict] = None) -> None:
        """Called at the beginning of evaluation or validation."""

    def on_test_end(self, logs: Optional[dict] = None) -> None:
        """Called at the end of evaluation or validation."""

    def on_predict_begin(self, logs: Optional[dict] = None) -> None:
        """Called at the beginning of prediction."""

    def on_predict_end(self, logs: Optional[dict] = None) -> None:
        """Called at the end of prediction."""


def optimizer_lr(model: Any) -> Any:
    """``model.optimizer.lr`` (the learning-rate variable), with Keras's error if absent."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not hasattr(optimizer, "lr"):
        raise ValueError('Optimizer must have a "lr" attribute.')
    return optimizer.lr


def get_lr(model: Any) -> np.float32:
    """The model's current learning rate as a NumPy float32 scalar (as Keras 2 logs it)."""
    return np.float32(np.asarray(K.get_value(optimizer_lr(model)), dtype=np.float32))


def monitor_is_max(monitor: str) -> bool:
    """Keras's ``mode='auto'`` rule: maximise quantities whose name contains ``acc``."""
    return "acc" in monitor
