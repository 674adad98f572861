"""Where a backtest forecasts from and to: origins, targets, steps ahead, and the past of each origin.

Steps count in the data's own unit of time (:func:`positions`): the
``edition`` column where the data have one (CNNIC report editions), else the
frequency of each series (inferred as in :mod:`growthcast.frequency`, or
given by ``freq``), else, for a series without a regular frequency, its
observations in time order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import DataError, short_list
from ..frequency import frequency_name, infer_steps, resolve_freq
from ..panel import Panel

__all__ = ["Layout", "layout", "positions", "by_horizon", "from_horizon", "origin_history", "later_max",
           "first_pass"]


def positions(p: Panel, freq: Any = None) -> tuple[np.ndarray, list[str]]:
    """Each observed point's step number within its series (S, N), -1 on padding, and each series' unit.

    With an edition column, the editions. Otherwise ``round((t - t_first) /
    step)`` with the series' step (``freq``, or inferred from the median
    spacing); a series whose inferred frequency is irregular, or whose
    points do not fall on distinct steps of it (two observations within one
    step), counts its observations (row numbers in time order; a row with a
    missing value keeps its number). With a ``freq`` given, points that share
    a step are an error.
    """
    S, N = p.t.shape
    if p.has_editions:
        return np.where(p.mask, p.edition, -1), ["editions"] * S
    given = resolve_freq(freq, S)
    step, months = infer_steps(p.t, p.mask) if given is None else given
    with np.errstate(invalid="ignore"):
        k = np.rint((p.t - p.t[:, :1]) / step[:, None])
    k = np.where(p.mask, k, -1).astype(np.int64)
    pair = p.mask[:, 1:] & p.mask[:, :-1]
    clash = (pair & (np.diff(k, axis=1) <= 0)).any(axis=1)
    if given is not None and clash.any():
        bad = [p.ids[i] for i in np.flatnonzero(clash)]
        raise DataError(f"freq: {short_list(bad)} have two observations within one step of {freq!r}; choose a "
                        "finer freq, or number the observations in an edition column")
    regular = ((months > 0) | (given is not None)) & ~clash
    out = np.where(regular[:, None], k, np.where(p.mask, p.edition, -1))
    units = [frequency_name(float(s), int(m)) + " steps" if r else "observations"
             for s, m, r in zip(step, months, regular)]
    return out, units


@dataclass(frozen=True)
class Layout:
    """Which (series, origin) rows are fitted and which targets each one has."""

    rs: np.ndarray  # (R,) series of each row
    rk: np.ndarray  # (R,) origin index within the series
    train: np.ndarray  # (R, N) training mask
    tj: np.ndarray  # (R, M) target index (clipped into the series)
    valid: np.ndarray  # (R, M) whether that target is scored
    horizon: np.ndarray  # (R, M) steps ahead
    t_new: np.ndarray  # (R, M) target times
    actual: np.ndarray  # (R, M)
    origin_t: np.ndarray  # (R,)
    scale: np.ndarray  # (R,) MASE scale: mean |one-step naive error| in the training window


def layout(
    p: Panel, pos: np.ndarray, min_train: int, horizons: tuple[int, ...], window: str, window_size: int,
    origins: tuple[float, float] = (-np.inf, np.inf), width: int = 1,
) -> Layout:
    """The (series, origin) rows and their targets; ``pos`` from :func:`positions`, ``origins`` a time range.

    The training windows span the latest origin's points, or ``width`` if more (at most the panel's width).
    """
    S, N = p.t.shape
    n = p.n
    j = np.arange(N)
    cand = (j[None, :] >= min_train - 1) & (j[None, :] <= n[:, None] - 2)
    cand &= p.mask & (p.t >= origins[0]) & (p.t <= origins[1])
    rs, rk = np.nonzero(cand)  # series-major, origins in time order
    M = max(horizons)
    tj = rk[:, None] + 1 + np.arange(M)[None, :]
    inside = tj < n[rs][:, None]
    tj = np.minimum(tj, n[rs][:, None] - 1)
    h = pos[rs[:, None], tj] - pos[rs, rk][:, None]
    valid = inside & np.isin(h, horizons)
    keep = valid.any(axis=1)
    rs, rk, tj, valid, h = rs[keep], rk[keep], tj[keep], valid[keep], h[keep]
    width = max(int(rk.max()) + 1 if rk.size else 1, width)
    jj = np.arange(width)[None, :]
    first = rk - window_size + 1 if window == "rolling" else np.zeros_like(rk)
    train = (jj >= first[:, None]) & (jj <= rk[:, None])
    y = p.y[rs, :width]
    pair = train[:, 1:] & train[:, :-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(pair, np.abs(np.diff(y, axis=1)), 0.0).sum(axis=1) / pair.sum(axis=1)
    return Layout(
        rs=rs, rk=rk, train=train, tj=tj, valid=valid, horizon=np.where(valid, h, 0),
        t_new=p.t[rs[:, None], tj], actual=np.where(valid, p.y[rs[:, None], tj], np.nan),
        origin_t=p.t[rs, rk], scale=scale,
    )



def by_horizon(values: np.ndarray, lay: Layout, horizons: tuple[int, ...]) -> np.ndarray:
    """Slot values (R, M) rearranged by horizon (R, H); NaN where a row has no such target."""
    out = np.full((len(values), len(horizons)), np.nan)
    r, m = np.nonzero(lay.valid)
    out[r, np.searchsorted(horizons, lay.horizon[r, m])] = values[r, m]
    return out


def from_horizon(values: np.ndarray, lay: Layout, horizons: tuple[int, ...]) -> np.ndarray:
    """Inverse of :func:`by_horizon`: values (R, H, ...) to the slots (R, M, ...)."""
    hidx = np.searchsorted(horizons, np.where(lay.valid, lay.horizon, horizons[0]))
    out = np.take_along_axis(values, hidx.reshape(hidx.shape + (1,) * (values.ndim - 2)), axis=1)
    return np.where(lay.valid.reshape(lay.valid.shape + (1,) * (values.ndim - 2)), out, np.nan)


def origin_history(values_h: np.ndarray, lay: Layout, horizons: tuple[int, ...], chunk: int = 2**22):
    """For each row, the same series' values at each horizon whose target is at or before its origin.

    Yields ``(rows, past)`` with ``past`` of shape (rows, O, H, ...), NaN where a
    forecast is not in the past of that row's origin (no look-ahead).
    """
    R = len(lay.rs)
    tt_h = by_horizon(lay.t_new, lay, horizons)
    S = int(lay.rs.max()) + 1 if R else 0
    counts = np.bincount(lay.rs, minlength=S)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    O = int(counts.max()) if R else 0
    pos = np.arange(R) - first[lay.rs]
    tail = values_h.shape[2:]
    panel_v = np.full((S, O) + values_h.shape[1:], np.nan)
    panel_t = np.full((S, O, len(horizons)), np.inf)
    panel_v[lay.rs, pos] = values_h
    panel_t[lay.rs, pos] = np.where(np.isnan(tt_h), np.inf, tt_h)
    step = max(1, chunk // max(1, O * values_h[0].size))
    for start in range(0, R, step):  # blocks of rows, to bound the memory of (rows, O, H) arrays
        rows = slice(start, min(start + step, R))
        past = panel_t[lay.rs[rows]] <= lay.origin_t[rows, None, None]
        past = past.reshape(past.shape + (1,) * len(tail))
        yield rows, np.where(past, panel_v[lay.rs[rows]], np.nan)



def later_max(p: Panel, lay: Layout) -> np.ndarray:
    """The largest observed value after each row's origin (NaN if none)."""
    N = p.t.shape[1]
    after = (np.arange(N)[None, :] > lay.rk[:, None]) & p.mask[lay.rs]
    vals = np.where(after, p.y[lay.rs], -np.inf).max(axis=1)
    return np.where(after.any(axis=1), vals, np.nan)


def first_pass(p: Panel, lay: Layout, upper: np.ndarray) -> np.ndarray:
    """The index of the first point after each origin whose actual exceeds ``upper`` (-1 if none)."""
    N = p.t.shape[1]
    after = (np.arange(N)[None, :] > lay.rk[:, None]) & p.mask[lay.rs]
    above = after & (p.y[lay.rs] > upper[:, None])
    return np.where(above.any(axis=1), np.argmax(above, axis=1), -1)

