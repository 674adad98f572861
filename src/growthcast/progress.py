"""A plain-text progress bar on stderr for long batch work (backtests, large batch fits).

It appears only once the work has run for ``DELAY`` seconds, so quick
calls stay silent; it is drawn on a terminal (or when forced with
``progress=True``), never into a pipe or a log by default. The count moves
when a block of work ends (a model of a backtest, a block of series of a
batch fit); on a terminal a timer thread also redraws the elapsed time
while a long block runs, and the bar is erased when the work ends. When
forced to a stream that is not a terminal, each count is one line. The bar
only reports: the work and its results are the same with or without it.
No dependency.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from .errors import DataError

__all__ = ["Progress", "progress_bar", "silenced", "DELAY"]

#: Seconds of work before the bar appears.
DELAY = 2.0
_WIDTH = 24
_TICK = 0.5  # seconds between redraws of the elapsed time on a terminal
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
        Units of work (models, series).
    label : str
        What is being done, e.g. ``"backtest"``.
    unit : str
        The name of a unit, e.g. ``"models"``.
    enabled : bool, optional
        ``None``: draw on a terminal only; ``True``: draw to ``stream``
        whatever it is; ``False``: never draw.
    stream : file-like, optional
        ``sys.stderr`` (looked up at creation) by default.

    Use it as a context manager, or call :meth:`close` at the end.
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
        self._width = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        if self.active and self.tty:
            self._ticker = threading.Thread(target=self._tick, name="growthcast-progress", daemon=True)
            self._ticker.start()

    def _tick(self) -> None:
        """On a terminal: redraw the elapsed time while a long block of work runs."""
        if self._stop.wait(max(DELAY - (time.perf_counter() - self.start), 0.0)):
            return
        while not self._stop.is_set():
            self._draw()
            self._stop.wait(_TICK)

    def advance(self, n: int = 1) -> None:
        """Count ``n`` more units done, and redraw once the bar is due."""
        with self._lock:
            self.done = min(self.done + n, self.total)
        if self.active and time.perf_counter() - self.start >= DELAY:
            self._draw()

    def _draw(self) -> None:
        with self._lock:
            if not self.active:
                return
            now = time.perf_counter()
            filled = int(_WIDTH * self.done / self.total)
            unit = f" {self.unit}" if self.unit else ""
            text = (f"{self.label} [{'#' * filled}{'.' * (_WIDTH - filled)}] {self.done}/{self.total}{unit}"
                    f"  {now - self.start:.1f} s")
            try:
                self.stream.write("\r" + text.ljust(self._width) if self.tty else text + "\n")
                self.stream.flush()
            except (OSError, ValueError):  # a closed or broken stream never stops the work
                self.active = False
                return
            self._width = max(self._width, len(text))
            self.shown = True

    def close(self) -> None:
        """End the bar: stop its timer and erase it on a terminal; nothing is left half-drawn."""
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        with self._lock:
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
