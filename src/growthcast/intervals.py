"""Interval arithmetic shared by every model: Student-t quantiles and split-conformal bounds.

Pure functions on arrays; nothing here knows about models or results.
"""

from __future__ import annotations

import numpy as np
from scipy import special

__all__ = ["MIN_CALIBRATION_ERRORS", "row_nanmedian", "conformal_quantiles", "normal_quantile", "student_quantile", "nanquantiles"]

#: Past errors a horizon needs before an interval is calibrated on them, in ``fit`` and ``backtest`` alike.
MIN_CALIBRATION_ERRORS = 5


def normal_quantile(level: float) -> float:
    """Two-sided standard normal quantile for coverage ``level``: 1.96 for 0.95.

    Parameters
    ----------
    level : float
        Coverage probability, in (0, 1).

    Returns
    -------
    float
        ``z`` with ``P(|Z| <= z) = level`` for a standard normal ``Z``.
    """
    return float(special.ndtri(0.5 + level / 2.0))


def student_quantile(level: float, df) -> np.ndarray:
    """Two-sided Student-t quantile for ``level`` with ``df`` degrees of freedom; NaN where ``df <= 0``.

    Parameters
    ----------
    level : float
        Coverage probability, in (0, 1).
    df : array_like
        Degrees of freedom.

    Returns
    -------
    ndarray
        The quantiles, shaped as ``df``.
    """
    df = np.asarray(df, dtype=float)
    return special.stdtrit(np.where(df > 0, df, np.nan), 0.5 + level / 2.0)


def nanquantiles(draws: np.ndarray, level: float, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """Central ``level`` interval of the finite draws along ``axis``; NaN where there are none.

    numpy's default (linear) quantile of the finite values, computed without
    ``np.nanquantile`` so that an all-NaN slice is an answer, not a warning.

    Parameters
    ----------
    draws : ndarray
        Draws, NaN where a draw is missing.
    level : float
        Coverage probability of the central interval, in (0, 1).
    axis : int
        The axis of the draws.

    Returns
    -------
    lower, upper : ndarray
        The ``(1 - level) / 2`` and ``(1 + level) / 2`` quantiles, shaped as ``draws`` without ``axis``.
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


def conformal_quantiles(
    errs: np.ndarray, level: float, *, min_errors: int = 1, tail: str = "normal"
) -> tuple[np.ndarray, np.ndarray]:
    """Split-conformal lower and upper error quantiles along the last axis.

    ``errs`` is NaN-padded on its last axis. With ``E`` errors the bounds are
    the ``ceil((E + 1)(1 + level) / 2)``-th smallest and largest errors, which
    cover at least ``level`` for exchangeable errors (Vovk et al., 2005;
    Lei et al., 2018). Where fewer than ``min_errors`` errors exist the
    bounds are NaN.

    With too few errors for that rank (``E < 2 / (1 - level) - 1``: 9 for
    80%, 39 for 95%, 199 for 99%) the errors cannot say where the bound is.
    ``tail="normal"`` (the default) then widens honestly instead of stopping
    at the largest error: each side's distance from the median error is
    scaled as a normal tail would be, from the widest level the errors do
    support, ``(E - 1) / (E + 1)`` (whose bound is the extreme error):
    ``median + (extreme - median) z(level) / z((E - 1) / (E + 1))`` with
    ``z(p)`` the two-sided normal quantile. The bounds then grow with
    ``level`` at every count, so the 80%, 95% and 99% bands differ. That
    needs two errors at least (NaN with one). ``tail="extreme"`` keeps the
    old rule (the extreme errors; the same band for every level beyond the
    count's reach).

    This is the one rule for intervals calibrated on past errors:
    ``fit(interval="backtest")``, ``backtest(intervals=["backtest"])``,
    ``auto`` and ``saturating`` all use it.

    Parameters
    ----------
    errs : ndarray of shape (..., n_errors)
        Past errors (actual minus forecast), NaN-padded on the last axis.
    level : float
        Coverage probability, in (0, 1).
    min_errors : int, default 1
        Fewest errors a bound is computed from.
    tail : {"normal", "extreme"}, default "normal"
        What to do beyond the rank the errors support (see above).

    Returns
    -------
    lower, upper : ndarray of shape (...)
        Error quantiles to add to the point forecast; NaN where there are too few errors.

    Raises
    ------
    ValueError
        For an unknown ``tail``.
    """
    if tail not in ("normal", "extreme"):
        raise ValueError(f"tail must be 'normal' or 'extreme', got {tail!r}")
    count = np.isfinite(errs).sum(axis=-1)
    ascending = np.sort(errs, axis=-1)  # NaN last
    k = np.ceil((count + 1) * (1 + level) / 2).astype(int)  # the 1-based conformal rank
    rank = np.clip(k, 1, np.maximum(count, 1)) - 1
    hi = np.take_along_axis(ascending, rank[..., None], axis=-1)[..., 0]
    lo = np.take_along_axis(ascending, np.clip(count - 1 - rank, 0, None)[..., None], axis=-1)[..., 0]
    enough = count >= max(int(min_errors), 1)
    if tail == "normal":
        beyond = k > count
        with np.errstate(all="ignore"):
            middle = np.maximum(count - 1, 0) // 2, count // 2  # the median of the sorted finite errors
            med = 0.5 * (np.take_along_axis(ascending, middle[0][..., None], axis=-1)[..., 0]
                         + np.take_along_axis(ascending, np.minimum(middle[1], max(errs.shape[-1] - 1, 0))[..., None],
                                              axis=-1)[..., 0])
            ref = (count - 1) / (count + 1)  # the level whose conformal bound is the extreme error
            factor = normal_quantile(level) / special.ndtri(0.5 + ref / 2.0)
            hi = np.where(beyond, med + (hi - med) * factor, hi)
            lo = np.where(beyond, med + (lo - med) * factor, lo)
        enough &= ~(beyond & (count < 2))
    return np.where(enough, lo, np.nan), np.where(enough, hi, np.nan)


def row_nanmedian(values: np.ndarray) -> np.ndarray:
    """The median of each row's finite values, NaN for a row without any (``np.nanmedian`` without its warning).

    Parameters
    ----------
    values : ndarray of shape (n_rows, n_values)
        Values, NaN where missing.

    Returns
    -------
    ndarray of shape (n_rows,)
    """
    ordered = np.sort(values, axis=1)  # NaN last
    k = np.isfinite(ordered).sum(axis=1)
    lo = np.take_along_axis(ordered, np.maximum((k - 1) // 2, 0)[:, None], axis=1)[:, 0]
    hi = np.take_along_axis(ordered, np.minimum(k // 2, max(values.shape[1] - 1, 0))[:, None], axis=1)[:, 0]
    with np.errstate(invalid="ignore"):
        return np.where(k > 0, np.where(k % 2 == 1, lo, (lo + hi) / 2.0), np.nan)
