"""The data's own frequency: the step of the forecast grid and the unit of ``steps``.

A series observed every year is forecast a year at a time, one observed
every half-year (the CNNIC editions) a half-year at a time, and so on. The
frequency is inferred from the median spacing of each series' observed
times, or given by the user (``freq=``). With dates, the grid keeps the
data's calendar anchor: month ends stay month ends (30 June, 31 December),
any other day of the month stays that day (clipped to the month's length).
With plain numbers (decimal years) the grid is the last time plus whole steps.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .data import from_decimal_year, to_decimal_year
from .errors import DataError

__all__ = ["FREQUENCIES", "MAX_STEPS", "infer_steps", "increasing_steps", "resolve_freq", "forecast_grid", "frequency_name"]

#: Calendar frequencies and their months per step.
FREQUENCIES: dict[str, int] = {"yearly": 12, "half-yearly": 6, "quarterly": 3, "monthly": 1}
_ALIASES = {
    "y": "yearly", "a": "yearly", "ye": "yearly", "ys": "yearly", "year": "yearly", "annual": "yearly",
    "h": "half-yearly", "6m": "half-yearly", "6me": "half-yearly", "semiannual": "half-yearly",
    "q": "quarterly", "qe": "quarterly", "qs": "quarterly", "quarter": "quarterly",
    "m": "monthly", "me": "monthly", "ms": "monthly", "month": "monthly",
}
#: The most forecast steps one call makes: more would be minutes of work and gigabytes of output.
MAX_STEPS = 10_000
_TOLERANCE = 0.1  # relative: a month is 28 to 31 days


def frequency_name(step: float, months: int) -> str:
    """``"yearly"``, ..., or ``"irregular (0.37 years)"`` for a step without calendar months."""
    for name, m in FREQUENCIES.items():
        if m == months:
            return name
    return f"irregular ({step:.4g} years)"


#: Series per block in :func:`infer_steps`.
_BLOCK = 1 << 15


def infer_steps(t: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each series' step in years and in calendar months (0 when irregular), arrays (B,).

    The step is the median spacing of the observed times; it is a calendar
    frequency when within 10% of a year, half a year, a quarter or a month.
    A series with fewer than two points gets a step of one year.
    """
    t = np.asarray(t, dtype=float)
    mask = np.asarray(mask, dtype=bool)
    if len(t) > _BLOCK:  # a block of series at a time: bounded temporaries for a million series
        parts = [infer_steps(t[i:i + _BLOCK], mask[i:i + _BLOCK]) for i in range(0, len(t), _BLOCK)]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    if len(t) > 1 and _one_grid(t, mask):  # every series observed at the same times: one series' step for all
        first = t[0][mask[0]]
        if (first[1:] > first[:-1]).all():
            step, months = increasing_steps(first)
        else:
            step, months = (v[0] for v in infer_steps(t[:1], mask[:1]))
        return np.full(len(t), step, dtype=float), np.full(len(t), months, dtype=int)
    # the observed times of each row packed to the left, NaN after them
    if mask.all():
        tt = t
    elif not (mask[:, 1:] & ~mask[:, :-1]).any():  # packed already (a panel's layout): no gather, the slow part
        tt = np.where(mask, t, np.nan)
    else:
        order = np.argsort(~mask, axis=1, kind="stable")
        tt = np.take_along_axis(np.where(mask, t, np.nan), order, axis=1)
    spacing = np.diff(tt, axis=1)
    spacing = np.sort(np.where(spacing > 0, spacing, np.nan), axis=1)  # NaN last
    # the median of each row's k spacings, as np.nanmedian (the mean of the middle two when k is even),
    # without its masked arrays (most of a single fit's time)
    k = (spacing > 0).sum(axis=1)
    step = np.ones(len(t))  # a series of one point has no spacing
    if spacing.shape[1]:
        lo = np.take_along_axis(spacing, (np.maximum(k, 1)[:, None] - 1) // 2, axis=1)[:, 0]
        hi = np.take_along_axis(spacing, k[:, None] // 2, axis=1)[:, 0]
        with np.errstate(invalid="ignore"):
            step = np.where(k > 0, (lo + hi) / 2.0, 1.0)
    months = np.zeros(len(step), dtype=int)
    for m in FREQUENCIES.values():
        months = np.where((months == 0) & (np.abs(step - m / 12.0) <= _TOLERANCE * m / 12.0), m, months)
    step = np.where(months > 0, months / 12.0, step)
    return step, months


def _one_grid(t: np.ndarray, mask: np.ndarray) -> bool:
    """Whether every row of ``t`` has the same observed times as the first, at the same places (a regular panel).

    A comparison or two of the whole arrays, cheaper than the sort of every row's spacings they spare.
    """
    if mask.all():
        return t.strides[0] == 0 or bool((t == t[:1]).all())  # a stride of 0: one time axis shared by all rows
    if not (mask == mask[:1]).all():
        return False
    return bool((t[:, mask[0]] == t[:1, mask[0]]).all())


def increasing_steps(t: np.ndarray) -> tuple[float, int]:
    """:func:`infer_steps` of one series of strictly increasing times, as Python numbers (a single fit)."""
    if len(t) < 2:
        step = 1.0
    else:
        spacing = t[1:] - t[:-1]  # np.sort(np.diff(t)), without their overhead
        spacing.sort()
        spacing = spacing.tolist()
        k = len(spacing)
        step = (spacing[(k - 1) // 2] + spacing[k // 2]) / 2.0
    for m in FREQUENCIES.values():
        if abs(step - m / 12.0) <= _TOLERANCE * m / 12.0:
            return m / 12.0, m
    return step, 0


def resolve_freq(freq: Any, n: int) -> tuple[np.ndarray, np.ndarray] | None:
    """A user's ``freq`` as (step in years, months) arrays of length ``n``; None for "infer".

    ``freq`` is a name (``"yearly"``, ``"half-yearly"``, ``"quarterly"``,
    ``"monthly"``, or pandas-like ``"Y"``, ``"6M"``, ``"Q"``, ``"M"``) or a
    positive number of years per step (an irregular step).
    """
    if freq is None:
        return None
    if isinstance(freq, str):
        name = _ALIASES.get(freq.strip().lower(), freq.strip().lower())
        if name not in FREQUENCIES:
            raise DataError(f"freq: expected one of {list(FREQUENCIES)} (or Y, 6M, Q, M) or a number of years per "
                            f"step, got {freq!r}")
        months = FREQUENCIES[name]
        return np.full(n, months / 12.0), np.full(n, months)
    if isinstance(freq, (bool, np.bool_)) or not isinstance(freq, (int, float, np.integer, np.floating)) \
            or not np.isfinite(freq) or not freq > 0:
        raise DataError(f"freq: expected a frequency name or a positive number of years per step, got {freq!r}")
    return np.full(n, float(freq)), np.zeros(n, dtype=int)


def _check_steps(steps: Any) -> int:
    if isinstance(steps, (bool, np.bool_)) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise DataError(f"steps must be a positive integer, got {steps!r}")
    if steps > MAX_STEPS:
        raise DataError(f"steps must be at most {MAX_STEPS}, got {steps}")
    return int(steps)


def _calendar_steps(t_last: np.ndarray, months: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Decimal years ``k`` calendar steps after each ``t_last``, keeping its anchor; (B, K)."""
    last = np.asarray(from_decimal_year(t_last).values, dtype="datetime64[s]")
    day = last.astype("datetime64[D]")
    month = day.astype("datetime64[M]")
    time_of_day = last - day.astype("datetime64[s]")
    month_end = (day + 1).astype("datetime64[M]") != month
    target = month[:, None] + (months[:, None] * k[None, :]).astype("timedelta64[M]")
    days_in_target = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(int)
    day_of_month = (day - month.astype("datetime64[D]")).astype(int)  # 0-based
    offset = np.where(month_end[:, None], days_in_target - 1, np.minimum(day_of_month[:, None], days_in_target - 1))
    dates = target.astype("datetime64[D]") + offset.astype("timedelta64[D]")
    stamps = dates.astype("datetime64[s]") + time_of_day[:, None]
    return to_decimal_year(stamps.ravel()).reshape(stamps.shape)


def forecast_grid(
    t_last: np.ndarray, step: np.ndarray, months: np.ndarray, has_dates: bool, *,
    steps: int | None = None, until: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The forecast times after each series' last observation, and which of them to keep.

    Parameters
    ----------
    t_last, step, months : ndarray, shape (B,)
        Last observed time, step in years and calendar months per step (0: irregular).
    has_dates : bool
        Whether calendar steps keep the dates' anchor (else whole steps of ``step`` years).
    steps : int, optional
        Steps ahead (default 10 when ``until`` is not given).
    until : float, optional
        The last time to forecast, in decimal years.

    Returns
    -------
    t_new : ndarray, shape (B, K)
    keep : ndarray of bool, shape (B, K)
        False past ``until``, or for a series without an observation.
    """
    t_last = np.asarray(t_last, dtype=float)
    finite = np.isfinite(t_last)
    if until is None:
        K = _check_steps(10 if steps is None else steps)
    else:
        if not np.isfinite(until):
            raise DataError(f"until must be a finite date or decimal year, got {until!r}")
        ahead = (until - np.where(finite, t_last, until)) / step
        K = int(np.ceil(np.max(ahead, initial=0.0) + 1e-9)) + 1
        if K > MAX_STEPS + 1:
            raise DataError(f"until is {int(np.max(ahead))} steps after the last observation; at most {MAX_STEPS} "
                            "steps are forecast in one call")
    k = np.arange(1, K + 1)
    safe_last = np.where(finite, t_last, 2000.0)
    t_new = safe_last[:, None] + step[:, None] * k[None, :]
    calendar = months > 0
    if has_dates and calendar.any():
        t_new[calendar] = _calendar_steps(safe_last[calendar], months[calendar], k)
    keep = finite[:, None] & (t_new > safe_last[:, None] + 1e-9)
    if until is not None:
        keep &= t_new <= until + 1e-9
    return t_new, keep
