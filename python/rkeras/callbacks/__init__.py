"""Callbacks (``keras.callbacks``): hooks into ``fit``, ``evaluate`` and ``predict``."""

from rkeras.callbacks.callback import Callback
from rkeras.callbacks.callback_list import CallbackList
from rkeras.callbacks.csv_logger import CSVLogger
from rkeras.callbacks.early_stopping import EarlyStopping
from rkeras.callbacks.history import History
from rkeras.callbacks.lambda_callback import LambdaCallback
from rkeras.callbacks.learning_rate_scheduler import LearningRateScheduler
from rkeras.callbacks.model_checkpoint import ModelCheckpoint
from rkeras.callbacks.progbar_logger import ProgbarLogger
from rkeras.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
from rkeras.callbacks.terminate_on_nan import TerminateOnNaN

__all__ = [
    "Callback", "CallbackList", "CSVLogger", "EarlyStopping", "History", "LambdaCallback",
    "LearningRateScheduler", "ModelCheckpoint", "ProgbarLogger", "ReduceLROnPlateau",
    "TerminateOnNaN",
]
