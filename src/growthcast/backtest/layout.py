"""Where a backtest forecasts from and to: origins, targets, horizons, and the past of each origin."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..panel import Panel

__all__ = ["Layout", "layout", "by_horizon", "from_horizon", "origin_history", "later_max", "first_pass"]


@dataclass(frozen=True)
class Layout:
    """Which (series, origin) rows are fitted and which targets each one has."""

    rs: np.ndarray  # (R,) series of each row
    rk: np.ndarray  # (R,) origin index within the series
    train: np.ndarray  # (R, N) training mask
    tj: np.ndarray  # (R, M) target index (clipped into the series)
    valid: np.ndarray  # (R, M) whether that target is scored
    horizon: np.ndarray  # (R, M) editions ahead
    t_new: np.ndarray  # (R, M) target times
    actual: np.ndarray  # (R, M)
    origin_t: np.ndarray  # (R,)
    scale: np.ndarray  # (R,) MASE scale: mean |one-step naive error| in the training window


def layout(p: Panel, min_train: int, horizons: tuple[int, ...], window: str, window_size: int) -> Layout:
    S, N = p.t.shape
    n = p.n
    j = np.arange(N)
    cand = (j[None, :] >= min_train - 1) & (j[None, :] <= n[:, None] - 2)
    rs, rk = np.nonzero(cand)  # series-major, origins in time order
    M = max(horizons)
    tj = rk[:, None] + 1 + np.arange(M)[None, :]
    inside = tj < n[rs][:, None]
    tj = np.minimum(tj, n[rs][:, None] - 1)
    h = p.edition[rs[:, None], tj] - p.edition[rs, rk][:, None]
    valid = inside & np.isin(h, horizons)
    keep = valid.any(axis=1)
    rs, rk, tj, valid, h = rs[keep], rk[keep], tj[keep], valid[keep], h[keep]
    width = int(rk.max()) + 1 if rk.size else 1
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
    """The first edition after each origin whose actual exceeds ``upper`` (NaN if none)."""
    N = p.t.shape[1]
    after = (np.arange(N)[None, :] > lay.rk[:, None]) & p.mask[lay.rs]
    above = after & (p.y[lay.rs] > upper[:, None])
    j = np.argmax(above, axis=1)
    ed = p.edition[lay.rs, j].astype(float)
    return np.where(above.any(axis=1), ed, np.nan)

