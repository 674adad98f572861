"""Interval arithmetic shared by every model: Student-t quantiles and split-conformal bounds.

Pure functions on arrays; nothing here knows about models or results.
"""

from __future__ import annotations

import numpy as np
from scipy import special

__all__ = ["MIN_CALIBRATION_ERRORS", "conformal_quantiles", "normal_quantile", "student_quantile", "nanquantiles"]

#: Past errors a horizon needs before an interval is calibrated on them, in ``fit`` and ``backtest`` alike.
MIN_CALIBRATION_ERRORS = 5


def normal_quantile(level: float) -> float:
    """Two-sided standard normal quantile for coverage ``level``: 1.96 for 0.95."""
    return float(special.ndtri(0.5 + level / 2.0))


def student_quantile(level: float, df) -> np.ndarray:
    """Two-sided Student-t quantile for ``level`` with ``df`` degrees of freedom; NaN where ``df <= 0``."""
    df = np.asarray(df, dtype=float)
    return special.stdtrit(np.where(df > 0, df, np.nan), 0.5 + level / 2.0)


def nanquantiles(draws: np.ndarray, level: float, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """Central ``level`` interval of the finite draws along ``axis``; NaN where there are none.

    numpy's default (linear) quantile of the finite values, computed without
    ``np.nanquantile`` so that an all-NaN slice is an answer, not a warning.
    """
    ordered = np.sort(np.moveaxis(draws, axis, -1), axis=-1)  # NaN last
    n = np.isfinite(ordered).sum(axis=-1)
    out = []
    for q in (0.5 - level / 2, 0.5 + level / 2):
        pos = q * np.maximum(n - 1, 0)
        below = np.floor(pos).astype(int)
        above = np.minimum(below + 1, np.maximum(n - 1, 0))
        lo = np.take_along_axis(ordered, below[..., None], axis=-1)[..., 0]
        hi = np.take_along_axis(ordered, above[..., None], axis=-1)[..., 0]
        frac = pos - below
        diff = hi - lo
        with np.errstate(invalid="ignore"):  # numpy's own interpolation, to the last bit
            value = np.where(frac >= 0.5, hi - diff * (1 - frac), lo + diff * frac)
        value = np.where(lo == hi, lo, value)
        out.append(np.where(n > 0, value, np.nan))
    return out[0], out[1]


def conformal_quantiles(errs: np.ndarray, level: float, *, min_errors: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Split-conformal lower and upper error quantiles along the last axis.

    ``errs`` is NaN-padded on its last axis. With ``E`` errors the bounds are
    the ``ceil((E + 1)(1 + level) / 2)``-th smallest and largest errors, which
    cover at least ``level`` for exchangeable errors (Vovk et al., 2005;
    Lei et al., 2018); with too few errors for that rank, the extreme ones.
    Where fewer than ``min_errors`` errors exist the bounds are NaN.

    This is the one rule for intervals calibrated on past errors:
    ``fit(interval="backtest")``, ``backtest(intervals=["backtest"])`` and
    ``auto`` all use it.
    """
    count = np.isfinite(errs).sum(axis=-1)
    ascending = np.sort(errs, axis=-1)  # NaN last
    rank = np.clip(np.ceil((count + 1) * (1 + level) / 2).astype(int), 1, np.maximum(count, 1)) - 1
    hi = np.take_along_axis(ascending, rank[..., None], axis=-1)[..., 0]
    lo = np.take_along_axis(ascending, np.clip(count - 1 - rank, 0, None)[..., None], axis=-1)[..., 0]
    enough = count >= max(int(min_errors), 1)
    return np.where(enough, lo, np.nan), np.where(enough, hi, np.nan)
