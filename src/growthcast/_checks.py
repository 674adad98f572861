"""Argument checks shared by fit, backtest and the results: each raises a DataError naming the argument."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .errors import DataError

__all__ = ["check_level", "check_levels", "check_int", "check_horizons", "as_list"]


def check_level(level: Any) -> float:
    """A coverage probability in (0, 1)."""
    if isinstance(level, (bool, np.bool_)) or not isinstance(level, (int, float, np.integer, np.floating)) \
            or not 0.0 < float(level) < 1.0:
        raise DataError(f"level must be a probability in (0, 1), got {level!r}")
    return float(level)


def check_levels(level: Any) -> tuple[list[float], bool]:
    """One coverage probability or several (``[0.8, 0.95]``): the sorted distinct levels, and whether several."""
    if isinstance(level, (str, bytes)) or not np.iterable(level):
        return [check_level(level)], False
    levels = sorted({check_level(v) for v in level})
    if not levels:
        raise DataError("level: expected a probability in (0, 1) or a non-empty list of them, got an empty list")
    return levels, True


def check_int(value: Any, name: str, minimum: int) -> int:
    """An integer (not a bool) of at least ``minimum``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise DataError(f"`{name}` must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_horizons(horizons: Any) -> tuple[int, ...]:
    """Sorted distinct positive integers, from a non-empty iterable."""
    if isinstance(horizons, (str, bytes)) or not isinstance(horizons, Iterable):
        raise DataError(f"`horizons` must be a sequence of positive integers such as range(1, 7), got {horizons!r}")
    hs = list(horizons)
    if not hs:
        raise DataError("`horizons` must be a non-empty sequence of positive integers, got an empty one")
    for h in hs:
        if isinstance(h, (bool, np.bool_)) or not isinstance(h, (int, np.integer)) or h < 1:
            raise DataError(f"`horizons` must be positive integers, got {h!r}")
    return tuple(sorted({int(h) for h in hs}))


def as_list(value: Any) -> list:
    """A string (or any other single value, such as an integer id) as a one-element list; an iterable as a list."""
    if isinstance(value, str) or not np.iterable(value):
        return [value]
    return list(value)
