"""Local damped trends and ``auto``, the default model for projecting adoption.

:class:`LocalTrend` is Holt's linear method written in continuous time with
fixed smoothing constants: a level and a trend that decays with time constant
``damping`` (years), on the identity, log or logit scale. Its recursion runs
over the points of all problems at once and yields the state after every
prefix of every series, which is what makes :class:`Auto` cheap.

:class:`Auto` averages the random walk with drift and the median of a grid of
local trends, and calibrates its intervals on an inner backtest of the
training data only (every prefix is an inner origin), so a backtest of
``auto`` has no look-ahead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy.special import expit, logit

from .. import errors
from ..errors import DataError
from ..intervals import conformal_quantiles, normal_quantile, row_nanmedian
from .base import TOO_FEW_AFTER_LAUNCH, Fitted, Model, last_observed, launched, pack, too_few_after_launch
from .random_walk import drift_variance
from .registry import register

__all__ = ["LocalTrend", "Auto"]

_LINKS = ("identity", "log", "logit")
#: Points (series x padded length) per block of ``Auto``'s inner backtest: about 150 MB of working memory
_BLOCK_POINTS = 2**15


def _link_fns(link: str, percent: np.ndarray):
    """Forward and inverse link for each row; logit only for percentages (else log)."""
    pct = np.asarray(percent, bool)
    if link == "identity":
        return (lambda v: v), (lambda z: z)
    if link == "log":
        return (lambda v: np.log(v)), (lambda z: np.exp(z))

    def fwd(v):
        p = pct.reshape(pct.shape + (1,) * (np.ndim(v) - 1))
        return np.where(p, logit(np.clip(v / 100.0, 1e-9, 1 - 1e-9)), np.log(np.maximum(v, 1e-300)))

    def inv(z):
        p = pct.reshape(pct.shape + (1,) * (np.ndim(z) - 1))
        return np.where(p, 100.0 * expit(z), np.exp(np.minimum(z, 700.0)))

    return fwd, inv


def _damped(d: np.ndarray, damping: float | None) -> np.ndarray:
    """Effective time of a trend that decays with time constant ``damping``."""
    if damping is None:
        return d
    return damping * -np.expm1(-d / damping)


def _holt_states(tt, zz, n, alpha, beta, damping):
    """Level and trend after each prefix of each row, shape (B, N).

    ``beta`` smooths the trend once per observation; with ``alpha = beta =
    1`` the level is the last point and the trend the last growth rate.
    """
    B, N = zz.shape
    level = np.full((B, N), np.nan)
    trend = np.full((B, N), np.nan)
    level[:, 0] = zz[:, 0]
    with np.errstate(all="ignore"):
        first_rate = (zz[:, 1] - zz[:, 0]) / (tt[:, 1] - tt[:, 0]) if N > 1 else np.zeros(B)
    trend[:, 0] = np.where(np.isfinite(first_rate), first_rate, 0.0)
    for i in range(1, N):  # over time steps, all rows at once
        active = i < n
        d = tt[:, i] - tt[:, i - 1]
        eff = _damped(d, damping)
        with np.errstate(all="ignore"):
            predicted = level[:, i - 1] + trend[:, i - 1] * eff
            new_level = alpha * zz[:, i] + (1 - alpha) * predicted
            new_trend = beta * (new_level - level[:, i - 1]) / d + (1 - beta) * trend[:, i - 1] * eff / d
        level[:, i] = np.where(active, new_level, level[:, i - 1])
        trend[:, i] = np.where(active, new_trend, trend[:, i - 1])
    return level, trend


@dataclass(frozen=True, kw_only=True)
class LocalTrend(Model):
    """Damped local trend: Holt's linear method in continuous time, fixed smoothing.

    ``level_i = alpha z_i + (1 - alpha)(level_{i-1} + trend_{i-1} e(d_i))`` and
    ``trend_i = beta (level_i - level_{i-1}) / d_i + (1 - beta) trend_{i-1} e(d_i) / d_i``
    with ``z = link(y)``, ``d_i`` the time between points and
    ``e(d) = damping (1 - exp(-d / damping))`` the damped effective time. The
    forecast ``d`` years ahead is ``link^-1(level + trend e(d))``.

    Parameters
    ----------
    alpha, beta : float in (0, 1]
        Smoothing of the level and of the trend.
    damping : float or None
        Time constant of the trend's decay, in years; None for no damping.
    link : {"identity", "log", "logit"}
        Scale of the trend; ``logit`` is for percentages (log otherwise).

    Notes
    -----
    Intervals are approximate: normal, with the one-step errors' variance
    per unit time growing linearly with the horizon, as for a random walk.
    :class:`Auto` replaces them by empirical ones.
    """

    default_intervals: ClassVar[str] = "random walk"
    name: ClassVar[str] = "local_trend"
    description: ClassVar[str] = "damped local trend (Holt's method, fixed smoothing, continuous time)"
    param_names: ClassVar[tuple[str, ...]] = ("level", "trend")  # type: ignore[assignment]
    alpha: float = 1.0
    beta: float = 0.5
    damping: float | None = 4.0
    link: str = "identity"

    def __post_init__(self) -> None:
        for name in ("alpha", "beta"):
            v = getattr(self, name)
            if not 0.0 < v <= 1.0:
                raise DataError(f"{name} must lie in (0, 1], got {v!r}")
        if self.damping is not None and not self.damping > 0:
            raise DataError(f"damping must be a positive number of years or None, got {self.damping!r}")
        if self.link not in _LINKS:
            raise DataError(f"link must be one of {list(_LINKS)}, got {self.link!r}")

    def fit_arrays(self, t, y, mask, percent, *, start=None, weights=None) -> Fitted:
        B = len(t)
        tt, yy, n = pack(t, y, mask)
        fwd, _ = _link_fns(self.link, percent)
        with np.errstate(all="ignore"):
            zz = fwd(yy)
        level, trend = _holt_states(tt, zz, n, self.alpha, self.beta, self.damping)
        rows = np.arange(B)
        last = np.maximum(n - 1, 0)
        # one-step errors per unit time give the noise level of the intervals
        with np.errstate(all="ignore"):
            d = np.diff(tt, axis=1)
            pred = level[:, :-1] + trend[:, :-1] * _damped(d, self.damping)
            e2 = (zz[:, 1:] - pred) ** 2 / d
        valid = np.isfinite(e2) & (np.arange(1, tt.shape[1])[None, :] < n[:, None])
        k = valid.sum(axis=1)
        sigma2 = np.where(k > 1, np.where(valid, e2, 0.0).sum(axis=1) / np.maximum(k - 1, 1), np.nan)
        status = np.where((n >= 3) & np.isfinite(zz[rows, last]), errors.CONVERGED_EXACT, errors.FAILED_TOO_FEW_POINTS)
        bad_link = (np.isnan(zz) & (np.arange(tt.shape[1])[None, :] < n[:, None])).any(axis=1)
        status = np.where(bad_link, errors.FAILED_INVALID_DATA, status)
        params = np.stack([level[rows, last], trend[rows, last]], axis=1)
        params[status < 0] = np.nan
        _, t_last, y_last = last_observed(t, y, mask)
        return Fitted(
            params=params, cov=np.full((B, 2, 2), np.nan), sigma2=sigma2, sse=np.where(valid, e2, 0.0).sum(axis=1),
            n_obs=n, n_params=np.full(B, 2), n_iter=np.zeros(B, int), status=status, t_last=t_last,
            y_last=y_last, percent=percent, state={"span": tt[rows, last] - tt[:, 0]},
        )

    def mean_arrays(self, fitted, t_new):
        _, inv = _link_fns(self.link, fitted.percent)
        d = np.clip(t_new - fitted.t_last[:, None], 0.0, None)
        with np.errstate(all="ignore"):
            return inv(fitted.params[:, :1] + fitted.params[:, 1:] * _damped(d, self.damping))

    def predict_arrays(self, fitted, t_new, level):
        _, inv = _link_fns(self.link, fitted.percent)
        d = np.clip(t_new - fitted.t_last[:, None], 0.0, None)
        z = fitted.params[:, :1] + fitted.params[:, 1:] * _damped(d, self.damping)
        half = normal_quantile(level) * np.sqrt(drift_variance(fitted.sigma2[:, None], d, fitted.state["span"][:, None]))
        with np.errstate(all="ignore"):
            return inv(z), inv(z - half), inv(z + half)

    def notes(self, result) -> str:
        if result.status < 0:
            return ""
        scale = {"identity": "the data's", "log": "the log", "logit": "the logit" if result.percent else "the log"}[self.link]
        damping = "no damping" if self.damping is None else f"damping time {self.damping:g} years"
        lines = [
            f"Point forecast: level + trend e(d) on {scale} scale from the state after the last observation, "
            f"e(d) = damping (1 - exp(-d / damping)); smoothing fixed (alpha = {self.alpha:g}, beta = {self.beta:g}, "
            f"{damping}): level and trend are filtered, not estimated.",
            f"SSE, sigma and the information criteria: of the one-step-ahead errors per unit time on {scale} "
            "scale.",
        ]
        if result.interval == "delta":
            lines.append("Intervals: normal on that scale, the variance growing with the horizon as a random walk "
                         "with drift's, mapped back.")
        return "\n".join(lines)


def _member_grid() -> tuple[LocalTrend, ...]:
    grid = []
    for link in ("identity", "logit"):  # logit means log for a series that is not a percentage
        for alpha in (1.0, 0.6):
            for beta in (0.25, 0.5, 1.0):
                for damping in (2.0, 4.0, 8.0, None):
                    grid.append(LocalTrend(alpha=alpha, beta=beta, damping=damping, link=link))
    return tuple(grid)


@dataclass(frozen=True, kw_only=True)
class Auto(Model):
    """The mean of a global and a local trend forecast, with empirical intervals.

    The point forecast is the average of two forecasts: the random walk with
    drift (the trend of the whole history) and the median of a grid of
    :class:`LocalTrend` forecasts (the recent trend, damped). Early in an
    adoption curve the local trend leads; as growth slows the drift
    overshoots and the damped local trends undershoot, and their mean is
    better than either (the "forecast combination puzzle": fixed equal
    weights beat weights estimated from past errors, which we measured).

    Intervals come from an inner backtest on the training data only: every
    prefix of at least ``min_inner`` points forecasts the points after it,
    and the combination's relative errors at each horizon from the last
    ``window`` inner origins give the interval as the forecast times one
    plus their split-conformal quantiles
    (:func:`growthcast.intervals.conformal_quantiles`). With too few errors
    for the rank a level needs (fewer than 39 for 95%, 199 for 99%), the
    band is widened by a normal tail fitted to the errors (each side's
    distance from the median error scaled from the widest level the errors
    support), so the 80%, 95% and 99% bands differ at every horizon; before,
    they all stopped at the largest error seen. The window keeps the
    early years of fast growth, whose relative errors are large, from
    widening the intervals of a maturing series. With too few errors at a
    horizon, the nearest shorter horizon's widened in proportion; with none,
    the drift's normal interval.

    Parameters
    ----------
    horizons : int
        Editions ahead scored in the inner backtest; beyond, intervals widen
        in proportion to the horizon.
    min_inner : int
        Points an inner origin needs.
    window : int
        Inner origins (the most recent) whose errors calibrate the intervals.

    Notes
    -----
    The local-trend grid: alpha in {1, 0.6}, beta in {0.25, 0.5, 1}, damping
    in {2, 4, 8 years, none}, on the identity scale and on the logit scale
    for percentages (log scale otherwise). Zeros before a series' first
    positive value (counted before a launch) are left out: on the log scale
    they would stand for growth without bound.
    """

    default_intervals: ClassVar[str] = "conformal"
    name: ClassVar[str] = "auto"
    description: ClassVar[str] = "mean of drift and damped local trends, intervals from its own past errors"
    param_names: ClassVar[tuple[str, ...]] = ()  # type: ignore[assignment]
    horizons: int = 6
    min_inner: int = 5
    window: int = 20

    def __post_init__(self) -> None:
        if int(self.horizons) < 1 or int(self.min_inner) < 3 or int(self.window) < 3:
            raise DataError("horizons must be >= 1, min_inner >= 3 and window >= 3")

    def _states(self, tt, yy, percent):
        """Level and trend of every local trend, and the drift's, after every prefix: (M + 1, B, N)."""
        n = np.isfinite(yy).sum(axis=1)
        levels, trends = [], []
        for member in _MEMBERS:  # over the member grid, every problem at once
            fwd, _ = _link_fns(member.link, percent)
            with np.errstate(all="ignore"):
                zz = fwd(yy)
            lv, tr = _holt_states(tt, zz, n, member.alpha, member.beta, member.damping)
            levels.append(lv)
            trends.append(tr)
        with np.errstate(all="ignore"):  # the drift: slope from the first point to each prefix's last
            drift = (yy - yy[:, :1]) / (tt - tt[:, :1])
        levels.append(yy)
        trends.append(np.where(np.isfinite(drift), drift, 0.0))
        return np.stack(levels), np.stack(trends)

    @staticmethod
    def _parts(levels, trends, d, percent):
        """The drift's and the local trends' median forecasts ``d`` years after the states."""
        local = np.empty((len(_MEMBERS),) + np.broadcast_shapes(levels.shape[1:], d.shape))
        for m, member in enumerate(_MEMBERS):  # over the member grid
            _, inv = _link_fns(member.link, percent)
            with np.errstate(all="ignore"):
                local[m] = inv(levels[m] + trends[m] * _damped(d, member.damping))
        drift = levels[-1] + trends[-1] * d
        with np.errstate(all="ignore"):
            return drift, np.median(local, axis=0)

    def _inner(self, tt, yy, n, percent):
        """The members' last states and the inner backtest's relative errors of a block of rows.

        Returns the levels and trends after each row's last point, (B, M + 1), and the errors of the
        last ``window`` origins, (B, H, W), NaN-padded.
        """
        B, N = tt.shape
        H = int(self.horizons)
        levels, trends = self._states(tt, yy, percent)  # (M + 1, B, N)
        # inner backtest: origin o (a prefix), target o + h
        o = np.arange(N)[:, None]
        target = o + np.arange(1, H + 1)[None, :]  # (N, H)
        valid = (o >= self.min_inner - 1) & (target[None] <= (n - 1)[:, None, None])  # (B, N, H)
        tgt = np.minimum(target, N - 1)
        y_tgt = yy[:, tgt]  # (B, N, H)
        d = tt[:, tgt] - tt[:, :, None]
        fc = 0.5 * np.add(*self._parts(levels[..., None], trends[..., None], d, percent))
        with np.errstate(all="ignore"):
            recent = np.arange(N)[None, :] >= (n - 1 - int(self.window))[:, None]  # (B, N)
            errs = np.where(valid & recent[..., None], y_tgt / fc - 1.0, np.nan)  # (B, N, H) relative errors
        # only the last ``window`` origins can hold an error: keep those (the quantiles sort the
        # errors, so where they sit does not matter), not the (B, N, H) array
        W = min(int(self.window), N)
        cols = np.maximum(n - 1 - int(self.window), 0)[:, None] + np.arange(W)[None, :]  # (B, W)
        errs = np.take_along_axis(errs, np.minimum(cols, N - 1)[:, :, None], axis=1)  # (B, W, H)
        errs[cols >= N] = np.nan
        rows, last = np.arange(B), np.maximum(n - 1, 0)
        return levels[:, rows, last].T, trends[:, rows, last].T, np.transpose(errs, (0, 2, 1))

    def fit_arrays(self, t, y, mask, percent, *, start=None, weights=None) -> Fitted:
        B, N = t.shape
        percent = np.asarray(percent, bool)
        observed, mask = mask, launched(y, mask)  # zeros before the first positive value: before a launch
        tt, yy, n = pack(t, y, mask)
        # a block of rows at a time: the members' states and forecasts take some 5 kB per point
        M1, H, W = len(_MEMBERS) + 1, int(self.horizons), min(int(self.window), N)
        states, trends_last, inner = np.empty((B, M1)), np.empty((B, M1)), np.empty((B, H, W))
        step = max(1, _BLOCK_POINTS // max(N, 1))
        for i in range(0, B, step):
            b = slice(i, i + step)
            states[b], trends_last[b], inner[b] = self._inner(tt[b], yy[b], n[b], percent[b])
        rows = np.arange(B)
        last = np.maximum(n - 1, 0)
        with np.errstate(all="ignore"):  # the drift's noise, for the fallback interval
            dt = np.diff(tt, axis=1)
            dev = (np.diff(yy, axis=1) - trends_last[:, -1:] * dt) ** 2 / dt
        dev_ok = np.isfinite(dev)
        sigma2 = np.where(dev_ok, dev, 0.0).sum(axis=1) / np.maximum(dev_ok.sum(axis=1) - 1, 1)
        status = np.where(n >= 3, errors.CONVERGED_EXACT, errors.FAILED_TOO_FEW_POINTS)
        message = np.where(too_few_after_launch(n, observed), TOO_FEW_AFTER_LAUNCH, "").astype(object)
        invalid = percent & (np.nanmax(np.where(mask, y, np.nan), axis=1, initial=0) > 100)
        status = np.where(invalid, errors.FAILED_INVALID_DATA, status)
        message[invalid] = ""
        _, t_last, y_last = last_observed(t, y, observed)  # a series that never launched has them too
        with np.errstate(all="ignore"):
            spacing = row_nanmedian(np.where(dev_ok | np.isfinite(dt), dt, np.nan)) if N > 1 else np.full(B, 0.5)
        return Fitted(
            params=np.zeros((B, 0)), cov=np.zeros((B, 0, 0)), sigma2=sigma2, sse=np.full(B, np.nan), n_obs=n,
            n_params=np.zeros(B, int), n_iter=np.zeros(B, int), status=status, t_last=t_last, y_last=y_last,
            percent=percent, message=message,
            state={
                "states": states,  # (B, M + 1) level of each member and the drift
                "trends": trends_last,
                "span": tt[rows, last] - tt[:, 0],
                "inner_errors": inner,  # (B, H, W) relative errors of the last W inner origins
                "step": np.where(np.isfinite(spacing) & (spacing > 0), spacing, 0.5),
            },
        )

    def notes(self, result) -> str:
        if result.status < 0:
            return ""
        fitted = result.fitted
        n_errors = np.isfinite(fitted.state["inner_errors"][0]).sum(axis=1)
        lines = [
            f"Point forecast: mean of the drift ({fitted.state['trends'][0, -1]:.4g} per year) and the median of "
            f"{len(_MEMBERS)} damped local trends (alpha, beta, damping and scale on a fixed grid; nothing is "
            "estimated, so there is no parameter table).",
        ]
        if result.interval == "delta":
            lines += [
                "Intervals: the forecast times one plus split-conformal quantiles of the relative errors of its own "
                "inner backtest.",
                f"Calibration: {', '.join(map(str, n_errors))} errors at horizons 1-{len(n_errors)}, from the "
                f"last {int(self.window)} inner origins (prefixes of this series of at least {int(self.min_inner)} "
                "points); no later data is used. Where a horizon has too few errors, the shorter one's, widened; "
                "with none, the drift's normal interval. Where that is too few for the rank a level needs, a "
                "normal tail fitted to the errors widens the band, so every level has its own band.",
            ]
        return "\n".join(lines)

    def mean_arrays(self, fitted, t_new):
        d = np.clip(t_new - fitted.t_last[:, None], 0.0, None)
        return 0.5 * np.add(*self._parts(fitted.state["states"].T[..., None], fitted.state["trends"].T[..., None], d,
                                         fitted.percent))

    def predict_arrays(self, fitted, t_new, level):
        mean = self.mean_arrays(fitted, t_new)
        lo_q, hi_q = conformal_quantiles(fitted.state["inner_errors"], level)
        H = lo_q.shape[1]
        for j in range(1, H):  # a horizon without enough errors borrows the shorter one's, widened
            gap = np.isnan(hi_q[:, j]) & np.isfinite(hi_q[:, j - 1])
            hi_q[gap, j] = hi_q[gap, j - 1] * (j + 1) / j
            lo_q[gap, j] = lo_q[gap, j - 1] * (j + 1) / j
        d = np.clip(t_new - fitted.t_last[:, None], 0.0, None)
        steps = d / fitted.state["step"][:, None]
        idx = np.clip(np.rint(np.where(np.isfinite(steps), steps, 1.0)).astype(int), 1, H) - 1  # NaN: a failed series
        widen = np.maximum(steps / H, 1.0)  # beyond the scored horizons: in proportion to the horizon
        lo = np.take_along_axis(lo_q, idx, axis=1) * widen
        hi = np.take_along_axis(hi_q, idx, axis=1) * widen
        # relative bounds: below a negative mean (a falling drift half) the factors swap sides
        lower, upper = mean * (1.0 + np.minimum(lo, 0.0)), mean * (1.0 + np.maximum(hi, 0.0))
        lower, upper = np.minimum(lower, upper), np.maximum(lower, upper)
        half = normal_quantile(level) * np.sqrt(drift_variance(fitted.sigma2[:, None], d, fitted.state["span"][:, None]))
        fallback = np.isnan(lower) | np.isnan(upper)
        return mean, np.where(fallback, mean - half, lower), np.where(fallback, mean + half, upper)


_MEMBERS = _member_grid()

#: the recursion and the damped effective time, for the models built on local trends (``saturating``)
holt_states = _holt_states
damped_time = _damped

register(LocalTrend())
register(Auto())
