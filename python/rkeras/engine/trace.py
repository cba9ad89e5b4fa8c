"""The trace context: while a model is lowered into a graph, layers report losses (activity
regularization, ``add_loss``) and state updates (moving statistics) here."""

from __future__ import annotations

import contextlib
from typing import Any, Iterator, Optional


class Trace:
    """What one lowering of a model collects: the graph, the phase, losses and updates."""

    def __init__(self, graph: Any, training: bool) -> None:
        self.graph = graph
        self.training = training
        self.losses: list = []
        self.updates: list = []
        # (name, tensor) pairs from ``add_metric``: reported as means, like compiled metrics.
        self.metrics: list = []


_stack: list = []


def current() -> Optional[Trace]:
    """The innermost active trace, or ``None`` outside lowering."""
    return _stack[-1] if _stack else None


@contextlib.contextmanager
def tracing(graph: Any, training: bool) -> Iterator[Trace]:
    """Activates a trace for the duration of a ``with`` block."""
    t = Trace(graph, training)
    _stack.append(t)
    try:
        yield t
    finally:
        _stack.pop()


def add_loss(value: Any) -> None:
    """Adds a scalar loss to the active trace (ignored outside lowering)."""
    t = current()
    if t is not None:
        t.losses.append(value)


def add_metric(name: str, value: Any) -> None:
    """Adds a named metric tensor to the active trace (ignored outside lowering); a second
    value under the same name in one trace replaces nothing: the first one is kept."""
    t = current()
    if t is not None and not any(n == name for n, _ in t.metrics):
        t.metrics.append((name, value))


def add_update(variable: Any, value: Any) -> None:
    """Schedules ``variable <- value`` after each training step of the active trace."""
    t = current()
    if t is not None and t.training:
        t.updates.append((variable, value))


def learning_phase() -> int:
    """1 while lowering the training program, else 0 (``K.learning_phase()``)."""
    t = current()
    return 1 if t is not None and t.training else 0
