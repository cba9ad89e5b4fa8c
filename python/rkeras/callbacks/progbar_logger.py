"""``keras.callbacks.ProgbarLogger``: Keras 2's ``Epoch 1/10`` line and progress bar."""

from __future__ import annotations

from typing import Iterable, Optional

from rkeras.callbacks.callback import Callback
from rkeras.utils.progbar import Progbar

_NOT_METRICS = frozenset({"batch", "size"})


class ProgbarLogger(Callback):
    """Prints ``Epoch i/n`` and a progress bar of the metrics to stdout (Keras 2.3 output).

    Arguments:
        count_mode: ``'samples'`` (the bar counts samples; batch logs carry the batch size
            under ``'size'``) or ``'steps'`` (it counts batches).
        stateful_metrics: metric names shown as-is instead of averaged over the epoch.

    Reads ``params``: ``verbose``, ``epochs``, ``samples`` or ``steps`` (the bar's target;
    with ``'samples'`` but no ``samples`` it counts steps), and ``metrics`` (the log keys to
    show, in order; default: the keys of the logs, less ``batch`` and ``size``). The trainer
    must call ``on_batch_begin`` (or ``on_train_batch_begin``) before each batch's end hook.

    >>> import time
    >>> cb = ProgbarLogger(count_mode="steps")
    >>> cb.set_params({"verbose": 2, "epochs": 1, "steps": 2, "metrics": ["loss"]})
    >>> cb.on_train_begin()
    >>> cb.on_epoch_begin(0)
    Epoch 1/1
    >>> for i in range(2):
    ...     cb.on_batch_begin(i, {"batch": i, "size": 32})
    ...     cb.on_batch_end(i, {"batch": i, "size": 32, "loss": 0.5})
    >>> cb.on_epoch_end(0, {"loss": 0.5})  # doctest: +ELLIPSIS
     - ...s - loss: 0.5000
    """

    def __init__(self, count_mode: str = "samples",
                 stateful_metrics: Optional[Iterable[str]] = None) -> None:
        super().__init__()
        if count_mode == "samples":
            self.use_steps = False
        elif count_mode == "steps":
            self.use_steps = True
        else:
            raise ValueError("Unknown `count_mode`: " + str(count_mode))
        self.stateful_metrics = set(stateful_metrics) if stateful_metrics else set()
        self.verbose = 1
        self.epochs = 1
        self.target: Optional[int] = None
        self.seen = 0
        self.log_values: list = []
        self.progbar: Optional[Progbar] = None

    def _metric_names(self, logs: dict) -> list:
        names = self.params.get("metrics")
        if names is None:
            return [k for k in logs if k not in _NOT_METRICS]
        return list(names)

    def _counts_steps(self) -> bool:
        return self.use_steps or self.params.get("samples") is None

    def on_train_begin(self, logs: Optional[dict] = None) -> None:
        self.verbose = self.params.get("verbose", 1)
        self.epochs = self.params.get("epochs", 1)

    def on_epoch_begin(self, epoch: int, logs: Optional[dict] = None) -> None:
        self.target = self.params.get("steps") if self._counts_steps() \
            else self.params.get("samples")
        if self.verbose:
            print("Epoch %d/%d" % (epoch + 1, self.epochs))
            self.progbar = Progbar(target=self.target, verbose=self.verbose,
                                   stateful_metrics=self.stateful_metrics)
        self.seen = 0
        self.log_values = []

    def on_batch_begin(self, batch: int, logs: Optional[dict] = None) -> None:
        if self.target is None or self.seen < self.target:
            self.log_values = []

    def on_batch_end(self, batch: int, logs: Optional[dict] = None) -> None:
        logs = logs or {}
        batch_size = logs.get("size", 0)
        if self._counts_steps():
            self.seen += 1
        else:
            self.seen += batch_size

        for k in self._metric_names(logs):
            if k in logs:
                self.log_values.append((k, logs[k]))

        # Skip the progbar update for the last batch; on_epoch_end does it.
        if self.verbose and (self.target is None or self.seen < self.target):
            self.progbar.update(self.seen, self.log_values)

    def on_epoch_end(self, epoch: int, logs: Optional[dict] = None) -> None:
        logs = logs or {}
        for k in self._metric_names(logs):
            if k in logs:
                self.log_values.append((k, logs[k]))
        if self.verbose:
            if self.target is None:
                # Unknown length: finish the line the way a known target would.
                self.progbar.target = self.seen
            self.progbar.update(self.seen, self.log_values)
