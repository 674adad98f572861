"""A plain-text progress bar on stderr for long batch work (backtests, large batch fits).

It appears only once the work has run for :data:`DELAY` seconds, so quick
calls stay silent; it is drawn on a terminal (or when forced with
``progress=True``), never into a pipe or a log by default. On a terminal
the bar is redrawn in place and erased when the work ends; when forced to a
stream that is not a terminal each update is one line. No dependency.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from .errors import DataError

__all__ = ["Progress", "progress_bar", "silenced", "DELAY"]

#: Seconds of work before the bar appears.
DELAY = 2.0
_WIDTH = 24
_MIN_INTERVAL = 0.1  # seconds between redraws on a terminal
_silenced = [False]  # set by silenced(): the command line's --quiet reaches every bar below it


def _is_tty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


class Progress:
    """Counts ``total`` units of work and draws ``label [#####.....] k/total unit  elapsed``.

    Parameters
    ----------
    total : int
        Units of work (model batches, blocks of series).
    label : str
        What is being done, e.g. ``"backtest"``.
    unit : str
        The name of a unit, e.g. ``"models"``.
    enabled : bool, optional
        ``None``: draw on a terminal only; ``True``: draw to ``stream``
        whatever it is; ``False``: never draw.
    stream : file-like, optional
        ``sys.stderr`` (looked up at creation) by default.
    """

    def __init__(self, total: int, label: str, unit: str = "", *, enabled: bool | None = None,
                 stream: TextIO | None = None) -> None:
        self.total = max(int(total), 1)
        self.label = label
        self.unit = unit
        self.stream = sys.stderr if stream is None else stream
        self.tty = _is_tty(self.stream)
        self.active = enabled is not False and self.stream is not None and (enabled is True or self.tty)
        self.done = 0
        self.start = time.perf_counter()
        self.shown = False
        self._last_draw = -float("inf")
        self._width = 0

    def advance(self, n: int = 1) -> None:
        """Count ``n`` more units done, and redraw if the bar is due."""
        self.done = min(self.done + n, self.total)
        if not self.active:
            return
        now = time.perf_counter()
        if now - self.start < DELAY:
            return
        if self.tty and now - self._last_draw < _MIN_INTERVAL and self.done < self.total:
            return
        self._last_draw = now
        self._draw(now)

    def _text(self, now: float) -> str:
        filled = int(_WIDTH * self.done / self.total)
        unit = f" {self.unit}" if self.unit else ""
        return (f"{self.label} [{'#' * filled}{'.' * (_WIDTH - filled)}] {self.done}/{self.total}{unit}"
                f"  {now - self.start:.1f} s")

    def _draw(self, now: float) -> None:
        text = self._text(now)
        try:
            if self.tty:
                self.stream.write("\r" + text.ljust(self._width))
            else:
                self.stream.write(text + "\n")
            self.stream.flush()
        except (OSError, ValueError):  # a closed or broken stream never stops the work
            self.active = False
            return
        self._width = max(self._width, len(text))
        self.shown = True

    def close(self) -> None:
        """End the bar: erase it on a terminal; nothing is left half-drawn."""
        if self.active and self.shown and self.tty:
            try:
                self.stream.write("\r" + " " * self._width + "\r")
                self.stream.flush()
            except (OSError, ValueError):
                pass
        self.active = False

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def progress_bar(progress: Any, total: int, label: str, unit: str = "") -> Progress:
    """The bar of a public ``progress`` argument: ``None`` (on a terminal), ``True`` (forced) or ``False``."""
    if progress is not None and not isinstance(progress, bool):
        raise DataError(f"progress must be True, False or None, got {progress!r}")
    return Progress(total, label, unit, enabled=False if _silenced[0] else progress)


@contextmanager
def silenced(quiet: bool = True) -> Iterator[None]:
    """No bar is drawn inside this block when ``quiet`` (the command line's ``--quiet``), even a forced one."""
    before = _silenced[0]
    _silenced[0] = bool(quiet) or before
    try:
        yield
    finally:
        _silenced[0] = before
