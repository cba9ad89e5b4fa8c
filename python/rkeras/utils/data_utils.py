"""``keras.utils.Sequence``: a dataset indexed by batch, for ``fit`` with generators."""

from __future__ import annotations

from typing import Any


class Sequence:
    """Base class for a dataset that yields one batch per index.

    Subclasses implement ``__getitem__(index)`` (returning a batch) and ``__len__()`` (the number
    of batches); ``on_epoch_end`` runs after each epoch.

    >>> import numpy as np
    >>> class Batches(Sequence):
    ...     def __len__(self):
    ...         return 2
    ...     def __getitem__(self, i):
    ...         return np.full((4, 3), i), np.zeros(4)
    >>> [int(x[0, 0]) for x, _ in Batches()]
    [0, 1]
    """

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError

    def on_epoch_end(self) -> None:
        """Called at the end of every epoch (shuffle here if needed)."""

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]
