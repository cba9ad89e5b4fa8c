"""``keras.callbacks.TerminateOnNaN``."""

from __future__ import annotations

from typing import Optional

import numpy as np

from rkeras.callbacks.callback import Callback


class TerminateOnNaN(Callback):
    """Stops training when a batch loss is NaN or infinite.

    >>> class Model:
    ...     stop_training = False
    >>> cb = TerminateOnNaN()
    >>> cb.set_model(Model())
    >>> cb.on_batch_end(3, {"loss": float("nan")})
    Batch 3: Invalid loss, terminating training
    >>> cb.model.stop_training
    True
    """

    def on_batch_end(self, batch: int, logs: Optional[dict] = None) -> None:
        logs = logs or {}
        loss = logs.get("loss")
        if loss is not None:
            if np.isnan(loss) or np.isinf(loss):
                print("Batch %d: Invalid loss, terminating training" % (batch))
                self.model.stop_training = True
