"""Keras 2's progress bar (``keras.utils.Progbar``), reproducing Keras 2.3.1's
``keras/utils/generic_utils.py`` output byte for byte."""

from __future__ import annotations

import collections
import sys
import time
from typing import Any, Iterable, Optional, Sequence

import numpy as np


class Progbar:
    """Displays a progress bar.

    Arguments:
        target: total number of steps expected, ``None`` if unknown.
        width: progress bar width on screen.
        verbose: verbosity mode, 0 (silent), 1 (verbose), 2 (semi-verbose: one line at the
            end).
        stateful_metrics: names of metrics shown as-is instead of averaged over time.
        interval: minimum visual progress update interval (in seconds).

    With ``verbose=1`` the bar is redrawn in place (``\\b``/``\\r``) when stdout is a
    terminal or a notebook kernel is loaded, else each update goes on a new line.

    >>> bar = Progbar(target=3, verbose=2)
    >>> bar.update(1, [("loss", 0.5)])
    >>> bar.update(3, [("loss", 0.3)])  # doctest: +ELLIPSIS
     - ...s - loss: 0.3667
    """

    def __init__(self, target: Optional[int], width: int = 30, verbose: int = 1,
                 interval: float = 0.05, stateful_metrics: Optional[Iterable[str]] = None
                 ) -> None:
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.stateful_metrics = set(stateful_metrics) if stateful_metrics else set()
        self._dynamic_display = (
            (hasattr(sys.stdout, "isatty") and sys.stdout.isatty())
            or "ipykernel" in sys.modules
        )
        self._total_width = 0
        self._seen_so_far = 0
        self._values: collections.OrderedDict = collections.OrderedDict()
        self._start = time.time()
        self._last_update = 0.0

    def update(self, current: int, values: Optional[Sequence[tuple]] = None) -> None:
        """Updates the progress bar.

        Arguments:
            current: index of the current step (samples or batches seen so far).
            values: list of ``(name, value_for_last_step)``; values of names not in
                `stateful_metrics` are shown as their average over the steps seen.
        """
        values = values or []
        for k, v in values:
            if k not in self.stateful_metrics:
                if k not in self._values:
                    self._values[k] = [v * (current - self._seen_so_far),
                                       current - self._seen_so_far]
                else:
                    self._values[k][0] += v * (current - self._seen_so_far)
                    self._values[k][1] += current - self._seen_so_far
            else:
                # Shown as-is, keeping the numeric formatting ("average of one value").
                self._values[k] = [v, 1]
        self._seen_so_far = current

        now = time.time()
        info = " - %.0fs" % (now - self._start)
        out = sys.stdout
        if self.verbose == 1:
            if (now - self._last_update < self.interval and self.target is not None
                    and current < self.target):
                return

            prev_total_width = self._total_width
            if self._dynamic_display:
                out.write("\b" * prev_total_width)
                out.write("\r")
            else:
                out.write("\n")

            if self.target is not None:
                numdigits = int(np.floor(np.log10(self.target))) + 1 if self.target > 0 else 1
                barstr = "%%%dd/%d [" % (numdigits, self.target)
                bar = barstr % current
                prog = float(current) / self.target if self.target > 0 else 1.0
                prog_width = int(self.width * prog)
                if prog_width > 0:
                    bar += "=" * (prog_width - 1)
                    if current < self.target:
                        bar += ">"
                    else:
                        bar += "="
                bar += "." * (self.width - prog_width)
                bar += "]"
            else:
                bar = "%7d/Unknown" % current

            self._total_width = len(bar)
            out.write(bar)

            if current:
                time_per_unit = (now - self._start) / current
            else:
                time_per_unit = 0
            if self.target is not None and current < self.target:
                eta = time_per_unit * (self.target - current)
                if eta > 3600:
                    eta_format = "%d:%02d:%02d" % (eta // 3600, (eta % 3600) // 60, eta % 60)
                elif eta > 60:
                    eta_format = "%d:%02d" % (eta // 60, eta % 60)
                else:
                    eta_format = "%ds" % eta
                info = " - ETA: %s" % eta_format
            else:
                if time_per_unit >= 1:
                    info += " %.0fs/step" % time_per_unit
                elif time_per_unit >= 1e-3:
                    info += " %.0fms/step" % (time_per_unit * 1e3)
                else:
                    info += " %.0fus/step" % (time_per_unit * 1e6)

            for k in self._values:
                info += " - %s:" % k
                if isinstance(self._values[k], list):
                    avg = np.mean(self._values[k][0] / max(1, self._values[k][1]))
                    if abs(avg) > 1e-3:
                        info += " %.4f" % avg
                    else:
                        info += " %.4e" % avg
                else:
                    info += " %s" % self._values[k]

            self._total_width += len(info)
            if prev_total_width > self._total_width:
                info += " " * (prev_total_width - self._total_width)

            if self.target is not None and current >= self.target:
                info += "\n"

            out.write(info)
            out.flush()

        elif self.verbose == 2:
            if self.target is None or current >= self.target:
                for k in self._values:
                    info += " - %s:" % k
                    avg = np.mean(self._values[k][0] / max(1, self._values[k][1]))
                    if avg > 1e-3:
                        info += " %.4f" % avg
                    else:
                        info += " %.4e" % avg
                info += "\n"
                out.write(info)
                out.flush()

        self._last_update = now

    def add(self, n: int, values: Optional[Sequence[Any]] = None) -> None:
        """Advances the bar by `n` steps."""
        self.update(self._seen_so_far + n, values)
