"""Training: ``compile``, ``fit``, ``evaluate``, ``predict`` and their batch variants, lowered
into compiled Rust programs."""

from __future__ import annotations


class Trainer:
    """Mixin of :class:`rkeras.models.Model` providing compile/fit/evaluate/predict.

    >>> Trainer  # doctest: +ELLIPSIS
    <class '...Trainer'>
    """
