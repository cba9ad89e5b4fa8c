"""``keras.callbacks.CSVLogger``."""

from __future__ import annotations

import collections
import csv
import os
from collections.abc import Iterable
from typing import Any, Optional

import numpy as np

from rkeras.callbacks.callback import Callback


class CSVLogger(Callback):
    """Streams epoch results to a CSV file: a header ``epoch,<sorted log keys>`` and one row
    per epoch, flushed as it is written.

    Arguments:
        filename: path of the CSV file.
        separator: string separating the fields.
        append: append to an existing file (its header is kept) instead of overwriting.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "log.csv")
    >>> class Model:
    ...     stop_training = False
    >>> cb = CSVLogger(path)
    >>> cb.set_model(Model())
    >>> cb.on_train_begin()
    >>> cb.on_epoch_end(0, {"loss": 0.5, "acc": 0.75})
    >>> cb.on_train_end()
    >>> print(open(path).read(), end="")
    epoch,acc,loss
    0,0.75,0.5
    """

    def __init__(self, filename: Any, separator: str = ",", append: bool = False) -> None:
        super().__init__()
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.writer: Any = None
        self.keys: Optional[list] = None
        self.append_header = True
        self.csv_file: Any = None

    def on_train_begin(self, logs: Optional[dict] = None) -> None:
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename) as f:
                    self.append_header = not bool(len(f.readline()))
            mode = "a"
        else:
            mode = "w"
        self.csv_file = open(self.filename, mode, newline="\n")

    def on_epoch_end(self, epoch: int, logs: Optional[dict] = None) -> None:
        logs = logs or {}

        def handle_value(k: Any) -> Any:
            is_zero_dim_ndarray = isinstance(k, np.ndarray) and k.ndim == 0
            if isinstance(k, str):
                return k
            elif isinstance(k, Iterable) and not is_zero_dim_ndarray:
                return '"[%s]"' % (", ".join(map(str, k)))
            else:
                return k

        if self.keys is None:
            self.keys = sorted(logs.keys())

        if getattr(self.model, "stop_training", False):
            # NA so that csv parsers do not fail for this last epoch.
            logs = dict([(k, logs[k] if k in logs else "NA") for k in self.keys])

        if not self.writer:
            class CustomDialect(csv.excel):
                delimiter = self.sep

            fieldnames = ["epoch"] + self.keys
            self.writer = csv.DictWriter(self.csv_file, fieldnames=fieldnames,
                                         dialect=CustomDialect)
            if self.append_header:
                self.writer.writeheader()

        row_dict = collections.OrderedDict({"epoch": epoch})
        row_dict.update((key, handle_value(logs[key])) for key in self.keys)
        self.writer.writerow(row_dict)
        self.csv_file.flush()

    def on_train_end(self, logs: Optional[dict] = None) -> None:
        if self.csv_file is not None:
            self.csv_file.close()
        self.writer = None

    def __del__(self) -> None:
        f = getattr(self, "csv_file", None)
        if f is not None and not f.closed:
            f.close()
