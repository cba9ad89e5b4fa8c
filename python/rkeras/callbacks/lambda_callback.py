"""``keras.callbacks.LambdaCallback``."""

from __future__ import annotations

from typing import Any, Callable, Optional

from rkeras.callbacks.callback import Callback


class LambdaCallback(Callback):
    """A callback built from functions, called with positional arguments:
    ``on_epoch_begin(epoch, logs)``, ``on_epoch_end(epoch, logs)``,
    ``on_batch_begin(batch, logs)``, ``on_batch_end(batch, logs)``,
    ``on_train_begin(logs)``, ``on_train_end(logs)``. Other hooks (e.g. Keras 3's
    ``on_train_batch_end``) may be given as keyword arguments too.

    >>> cb = LambdaCallback(on_epoch_end=lambda epoch, logs: print(epoch, logs))
    >>> cb.on_epoch_end(1, {"loss": 0.5})
    1 {'loss': 0.5}
    >>> cb.on_batch_end(0, {})  # not given: does nothing
    """

    def __init__(self, on_epoch_begin: Optional[Callable] = None,
                 on_epoch_end: Optional[Callable] = None,
                 on_batch_begin: Optional[Callable] = None,
                 on_batch_end: Optional[Callable] = None,
                 on_train_begin: Optional[Callable] = None,
                 on_train_end: Optional[Callable] = None, **kwargs: Any) -> None:
        super().__init__()
        self.__dict__.update(kwargs)
        self.on_epoch_begin = on_epoch_begin or (lambda epoch, logs: None)
        self.on_epoch_end = on_epoch_end or (lambda epoch, logs: None)
        self.on_batch_begin = on_batch_begin or (lambda batch, logs: None)
        self.on_batch_end = on_batch_end or (lambda batch, logs: None)
        self.on_train_begin = on_train_begin or (lambda logs: None)
        self.on_train_end = on_train_end or (lambda logs: None)
