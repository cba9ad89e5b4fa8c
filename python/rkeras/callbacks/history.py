"""``keras.callbacks.History``."""

from __future__ import annotations

from typing import Optional

from rkeras.callbacks.callback import Callback


class History(Callback):
    """Records the epoch logs: ``history.epoch`` (epoch indices) and ``history.history``
    (``{metric name: [value per epoch]}``). ``fit`` returns it; it is also ``model.history``.

    >>> h = History()
    >>> h.on_train_begin()
    >>> h.on_epoch_end(0, {"loss": 0.5, "acc": 0.8})
    >>> h.on_epoch_end(1, {"loss": 0.25, "acc": 0.9})
    >>> h.epoch, h.history
    ([0, 1], {'loss': [0.5, 0.25], 'acc': [0.8, 0.9]})
    """

    def __init__(self) -> None:
        super().__init__()
        self.epoch: list = []
        self.history: dict = {}

    def on_train_begin(self, logs: Optional[dict] = None) -> None:
        self.epoch = []
        self.history = {}
        if self.model is not None:
            try:
                self.model.history = self
            except AttributeError:
                pass

    def on_epoch_end(self, epoch: int, logs: Optional[dict] = None) -> None:
        logs = logs or {}
        self.epoch.append(epoch)
        for k, v in logs.items():
            self.history.setdefault(k, []).append(v)
