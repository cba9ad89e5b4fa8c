"""``keras.callbacks.CallbackList``: dispatches hooks to a list of callbacks."""

from __future__ import annotations

from typing import Any, Iterator, Optional, Sequence

from rkeras.callbacks.callback import Callback

_TRAIN = "train"
_TEST = "test"
_PREDICT = "predict"


class CallbackList:
    """Container abstracting a list of callbacks.

    Keras-3 arguments are accepted too: ``add_history`` / ``add_progbar`` append a
    :class:`History` / :class:`ProgbarLogger` if none is present, ``model`` and ``**params``
    are passed to :meth:`set_model` / :meth:`set_params`.

    >>> from rkeras import callbacks
    >>> seen = []
    >>> cbs = callbacks.CallbackList([callbacks.LambdaCallback(
    ...     on_epoch_end=lambda epoch, logs: seen.append((epoch, logs["loss"])))])
    >>> cbs.on_epoch_end(0, {"loss": 1.5})
    >>> seen
    [(0, 1.5)]
    """

    def __init__(self, callbacks: Optional[Sequence[Callback]] = None, queue_length: int = 10,
                 add_history: bool = False, add_progbar: bool = False, model: Any = None,
                 **params: Any) -> None:
        from rkeras.callbacks.history import History
        from rkeras.callbacks.progbar_logger import ProgbarLogger

        self.callbacks = list(callbacks or [])
        self.queue_length = queue_length
        if add_history and not any(isinstance(c, History) for c in self.callbacks):
            self.callbacks.append(History())
        if add_progbar and not any(isinstance(c, ProgbarLogger) for c in self.callbacks):
            self.callbacks.append(ProgbarLogger(count_mode="steps"))
        self.params: dict = {}
        self.model = None
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)

    def append(self, callback: Callback) -> None:
        """Adds a callback."""
        self.callbacks.append(callback)

    def set_params(self, params: dict) -> None:
        """Passes the training parameters to every callback."""
        self.params = params
        for callback in self.callbacks:
            callback.set_params(params)

    def set_model(self, model: Any) -> None:
        """Passes the model to every callback."""
        self.model = model
        for callback in self.callbacks:
            callback.set_model(model)

    def _call_batch_hook(self, mode: str, hook: str, batch: int,
                         logs: Optional[dict] = None) -> None:
        """Calls ``on_{mode}_batch_{hook}`` of every callback."""
        logs = logs or {}
        hook_name = f"on_{mode}_batch_{hook}"
        for callback in self.callbacks:
            getattr(callback, hook_name)(batch, logs)

    def _call_begin_hook(self, mode: str) -> None:
        """Calls ``on_{train|test|predict}_begin``."""
        {_TRAIN: self.on_train_begin, _TEST: self.on_test_begin}.get(
            mode, self.on_predict_begin)()

    def _call_end_hook(self, mode: str) -> None:
        """Calls ``on_{train|test|predict}_end``."""
        {_TRAIN: self.on_train_end, _TEST: self.on_test_end}.get(mode, self.on_predict_end)()

    def on_batch_begin(self, batch: int, logs: Optional[dict] = None) -> None:
        """Keras-2 alias of :meth:`on_train_batch_begin`."""
        self._call_batch_hook(_TRAIN, "begin", batch, logs)

    def on_batch_end(self, batch: int, logs: Optional[dict] = None) -> None:
        """Keras-2 alias of :meth:`on_train_batch_end`."""
        self._call_batch_hook(_TRAIN, "end", batch, logs)

    def on_epoch_begin(self, epoch: int, logs: Optional[dict] = None) -> None:
        """Calls every callback's ``on_epoch_begin``."""
        logs = logs or {}
        for callback in self.callbacks:
            callback.on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch: int, logs: Optional[dict] = None) -> None:
        """Calls every callback's ``on_epoch_end`` (callbacks may add keys to `logs`)."""
        logs = logs if logs is not None else {}
        for callback in self.callbacks:
            callback.on_epoch_end(epoch, logs)

    def on_train_batch_begin(self, batch: int, logs: Optional[dict] = None) -> None:
        """Calls every callback's ``on_train_batch_begin``."""
        self._call_batch_hook(_TRAIN, "begin", batch, logs)

    def on_train_batch_end(self, batch: int, logs: Optional[dict] = None) -> None:
        """Calls every callback's ``on_train_batch_end``."""
        self._call_batch_hook(_TRAIN, "end", batch, logs)

    def on_test_batch_begin(self, batch: int, logs: Optional[dict] = None) -> None:
        """Calls every callback's ``on_test_batch_begin``."""
        self._call_batch_hook(_TEST, "begin", batch, logs)

    def on_test_batch_end(self, batch: int, logs: Optional[dict] = None) -> None:
        """Calls every callback's ``on_test_batch_end``."""
        self._call_batch_hook(_TEST, "end", batch, logs)

    def on_predict_batch_begin(self, batch: int, logs: Optional[dict] = None) -> None:
        """Calls every callback's ``on_predict_batch_begin``."""
        self._call_batch_hook(_PREDICT, "begin", batch, logs)

    def on_predict_batch_end(self, batch: int, logs: Optional[dict] = None) -> None:
        """Calls every callback's ``on_predict_batch_end``."""
        self._call_batch_hook(_PREDICT, "end", batch, logs)

    def on_train_begin(self, logs: Optional[dict] = None) -> None:
        """Calls every callback's ``on_train_begin``."""
        for callback in self.callbacks:
            callback.on_train_begin(logs)

    def on_train_end(self, logs: Optional[dict] = None) -> None:
        """Calls every callback's ``on_train_end``."""
        for callback in self.callbacks:
            callback.on_train_end(logs)

    def on_test_begin(self, logs: Optional[dict] = None) -> None:
        """Calls every callback's ``on_test_begin``."""
        for callback in self.callbacks:
            callback.on_test_begin(logs)

    def on_test_end(self, logs: Optional[dict] = None) -> None:
        """Calls every callback's ``on_test_end``."""
        for callback in self.callbacks:
            callback.on_test_end(logs)

    def on_predict_begin(self, logs: Optional[dict] = None) -> None:
        """Calls every callback's ``on_predict_begin``."""
        for callback in self.callbacks:
            callback.on_predict_begin(logs)

    def on_predict_end(self, logs: Optional[dict] = None) -> None:
        """Calls every callback's ``on_predict_end``."""
        for callback in self.callbacks:
            callback.on_predict_end(logs)

    def __iter__(self) -> Iterator[Callback]:
        return iter(self.callbacks)

    def __len__(self) -> int:
        return len(self.callbacks)
