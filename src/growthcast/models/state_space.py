"""Exponential smoothing and ARIMA: state-space models on the regular grid of each series, all series at once.

These models assume equal steps. Each series is laid on its regular grid
(:func:`regular_grids`): for the CNNIC data the March 2020 edition is left
out and the December 2019 slot it replaced is interpolated between June 2019
and March 2020 (likewise any edition that did not report the figure). The
likelihood is then maximised for every series in one batch
(:mod:`growthcast._numerics.smoothing`, :mod:`growthcast._numerics.arima`),
to the same maxima as statsmodels' ``ETSModel`` and ``ARIMA`` (the tests
compare them). Forecasts at a time between grid steps are interpolated
linearly between the step forecasts (step 0 being the last observation).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .._numerics.arima import forecast_arima, select_arima
from .._numerics.smoothing import fit_ets, forecast_ets, select_ets
from ..intervals import normal_quantile
from .base import Fitted, Model, last_observed, pack
from .registry import register

__all__ = ["Holt", "ETS", "ARIMA", "regular_grid", "regular_grids"]

_CHUNK = 2**22  # grid x observation comparisons per block of series


def regular_grids(
    t: np.ndarray, y: np.ndarray, mask: np.ndarray, *, tolerance: float = 0.25
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every series on its regular grid, left-aligned: grid times and values (B, K), points (B,), step (B,).

    The step is the median spacing of a series' observed times and its grid
    runs back from the last observation to the first. A grid point takes
    the value of the observation within ``tolerance`` steps of it; a grid
    point with none is interpolated linearly in time between its neighbouring
    observations. A series with fewer than two points keeps its last point
    and a step of half a year.
    """
    tt, yy, n = pack(t, y, mask)
    B, N = tt.shape
    rows = np.arange(B)
    last = np.maximum(n - 1, 0)
    t_last, t_first = tt[rows, last], tt[:, 0]
    spacing = np.diff(tt, axis=1)
    step = np.full(B, 0.5)
    has = np.isfinite(spacing).any(axis=1)
    if has.any():
        step[has] = np.nanmedian(spacing[has], axis=1)
    usable = has & (step > 0)
    step = np.where(usable, step, 0.5)
    with np.errstate(invalid="ignore"):
        k = np.where(usable, np.floor((t_last - t_first) / step + tolerance), 0).astype(int)
    K = int(k.max()) + 1 if B else 1
    j = np.arange(K)
    grid = t_last[:, None] - step[:, None] * (k[:, None] - j[None, :])
    inside = j[None, :] <= k[:, None]
    gy = np.full((B, K), np.nan)
    gt = np.full((B, K), np.nan)
    size = max(1, _CHUNK // max(K * N, 1))
    for s in range(0, B, size):  # blocks of series: the (series, K, N) distances stay small
        c = slice(s, s + size)
        times = np.where(np.isfinite(tt[c]), tt[c], np.inf)
        dist = np.abs(times[:, None, :] - grid[c][:, :, None])
        nearest = dist.argmin(axis=2)
        t_near = np.take_along_axis(tt[c], nearest, axis=1)
        y_near = np.take_along_axis(yy[c], nearest, axis=1)
        on_grid = np.abs(t_near - grid[c]) <= tolerance * step[c, None]
        # np.interp's formula between the observations that bracket the grid point
        above = np.clip((times[:, None, :] <= grid[c][:, :, None]).sum(axis=2), min(1, N - 1),
                        np.clip(n[c] - 1, min(1, N - 1), N - 1)[:, None])
        x0 = np.take_along_axis(tt[c], above - 1, axis=1)
        x1 = np.take_along_axis(tt[c], above, axis=1)
        f0 = np.take_along_axis(yy[c], above - 1, axis=1)
        f1 = np.take_along_axis(yy[c], above, axis=1)
        with np.errstate(all="ignore"):
            between = (f1 - f0) / (x1 - x0) * (grid[c] - x0) + f0
        gy[c] = np.where(inside[c], np.where(on_grid, y_near, between), np.nan)
        gt[c] = np.where(inside[c], np.where(on_grid, t_near, grid[c]), np.nan)
    few = ~usable
    gy[few, 0], gt[few, 0] = yy[few, last[few]], t_last[few]
    return gt, gy, np.where(usable, k + 1, np.minimum(n, 1)), step


def regular_grid(
    t: np.ndarray, y: np.ndarray, mask: np.ndarray, *, tolerance: float = 0.25
) -> tuple[np.ndarray, np.ndarray, float]:
    """One series on its regular grid: grid times, values and the step (see :func:`regular_grids`)."""
    gt, gy, n, step = regular_grids(np.asarray(t, float)[None], np.asarray(y, float)[None],
                                    np.asarray(mask, bool)[None], tolerance=tolerance)
    return gt[0, : n[0]], gy[0, : n[0]], float(step[0])


@dataclass(frozen=True, kw_only=True)
class _StateSpaceModel(Model):
    """A state-space model fitted by maximum likelihood on each series' regular grid, in one batch."""

    default_intervals: ClassVar[str] = "state space"
    min_points: ClassVar[int] = 6

    def _fit_grid(self, gy: np.ndarray, n: np.ndarray):
        """The kernel's fit, the parameters (B, P) and their covariance (B, P, P)."""
        raise NotImplementedError

    def _forecast(self, fit, horizon: int) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def fit_arrays(self, t, y, mask, percent, *, start=None, weights=None) -> Fitted:
        B = len(t)
        P = len(self.param_names)
        _, gy, n, step = regular_grids(t, y, mask)
        fit, params, cov = self._fit_grid(gy, n)
        ok = fit.status >= 0
        resid = np.where(np.arange(gy.shape[1])[None, :] < n[:, None], gy - fit.fitted, np.nan)
        sse = np.where(ok, np.nansum(np.where(np.isfinite(resid), resid, 0.0) ** 2, axis=1), np.nan)
        _, t_last, y_last = last_observed(t, y, mask)
        return Fitted(
            params=np.where(ok[:, None], params, np.nan), cov=cov, sigma2=np.where(ok, sse / np.maximum(n - P, 1), np.nan),
            sse=sse, n_obs=n, n_params=np.full(B, P), n_iter=np.asarray(fit.n_iter), status=np.asarray(fit.status),
            t_last=t_last, y_last=y_last, percent=percent, message=np.asarray(fit.message, dtype=object),
            loglike=np.where(ok, fit.loglike, np.nan), state={"kernel": fit, "step": step},
        )

    def predict_arrays(self, fitted, t_new, level):
        fit, step = fitted.state["kernel"], fitted.state["step"]
        n = fitted.n_obs
        h = (t_new - fitted.t_last[:, None]) / step[:, None]
        H = int(np.ceil(np.nanmax(np.where(np.isfinite(h), h, 0.0), initial=0.0)))
        f_mean, f_var = self._forecast(fit, max(H, 1))
        z = normal_quantile(level)
        with np.errstate(invalid="ignore"):
            half_f = z * np.sqrt(f_var)
            q = z * np.sqrt(fitted.sigma2)
        # step s <= 0: in sample (the one-step predictions, the last observation at 0); s >= 1: forecasts
        s = np.clip(np.where(np.isfinite(h), h, 0.0), -(np.maximum(n, 1) - 1)[:, None], H)
        lo = np.floor(s).astype(int)
        hi = np.minimum(lo + 1, H)
        frac = s - lo

        def path(values_in, values_out, at):
            inside = at <= 0
            i = np.clip(at + n[:, None] - 1, 0, values_in.shape[1] - 1)
            v_in = np.take_along_axis(values_in, i, axis=1)
            v_in = np.where(at == 0, fitted.y_last[:, None], v_in)
            v_out = np.take_along_axis(values_out, np.clip(at - 1, 0, values_out.shape[1] - 1), axis=1)
            return np.where(inside, v_in, v_out)

        one_step = fit.fitted
        out = []
        for values_in, values_out in ((one_step, f_mean), (one_step - q[:, None], f_mean - half_f),
                                      (one_step + q[:, None], f_mean + half_f)):
            a, b = path(values_in, values_out, lo), path(values_in, values_out, hi)
            with np.errstate(invalid="ignore"):
                out.append(np.where(frac == 0, a, (b - a) * frac + a))
        failed = (fitted.status < 0)[:, None]
        return tuple(np.where(failed, np.nan, v) for v in out)

    def notes(self, result) -> str:
        if result.status < 0:
            return ""
        grid, _, step = regular_grid(result.t, result.y, np.ones(len(result.t), bool))
        on_grid = np.isin(grid, result.t)
        lines = [
            f"Fitted by maximum likelihood to the {len(grid)} values of the regular {step:g}-year grid "
            f"({int((~on_grid).sum())} interpolated, {len(result.t) - int(on_grid.sum())} off-grid observation(s) "
            "left out): SSE, sigma and the information criteria are of that grid, not of the observations.",
        ]
        if not np.isfinite(result.fitted.cov[0]).any():
            lines.append("Parameters: maximum likelihood, all series in one batch; no standard errors are computed.")
        if result.interval == "delta":
            lines.append("Intervals: the state-space model's analytic prediction variances at each grid step "
                         "(normal quantiles), interpolated between steps.")
        return "\n".join(lines)


def _ets_params(fit) -> tuple[np.ndarray, np.ndarray]:
    params = np.stack([fit.alpha, fit.beta, np.where(fit.damped, fit.phi, np.nan)], axis=1)
    return params, np.full((len(params), 3, 3), np.nan)


@dataclass(frozen=True, kw_only=True)
class Holt(_StateSpaceModel):
    """Holt's additive-trend exponential smoothing, ETS(A,A,N) (damped: ETS(A,Ad,N)).

    Maximum likelihood as statsmodels' ``ETSModel(error="add", trend="add")``.

    Parameters
    ----------
    damped : bool, default False
        Damp the trend (Gardner and McKenzie, 1985).
    """

    name: ClassVar[str] = "holt"
    damped: bool = False
    param_names: ClassVar[tuple[str, ...]] = ("alpha", "beta", "phi")  # type: ignore[assignment]

    @property
    def description(self) -> str:  # type: ignore[override]
        """The model in words: damped or not."""
        if self.damped:
            return "Holt's damped additive trend (ETS A,Ad,N), batch maximum likelihood"
        return "Holt's linear trend (ETS A,A,N), batch maximum likelihood"

    def _fit_grid(self, gy, n):
        fit = fit_ets(gy, n, trend=True, damped=self.damped, min_points=self.min_points)
        return (fit, *_ets_params(fit))

    def _forecast(self, fit, horizon):
        return forecast_ets(fit, horizon)


@dataclass(frozen=True, kw_only=True)
class ETS(_StateSpaceModel):
    """Exponential smoothing with an additive or damped additive trend, chosen by AICc.

    Both ETS(A,A,N) and ETS(A,Ad,N) are fitted; the one with the lower AICc
    is kept (``phi`` is NaN when the undamped trend wins).
    """

    name: ClassVar[str] = "ets"
    description: ClassVar[str] = "ETS, additive or damped additive trend chosen by AICc, batch maximum likelihood"
    param_names: ClassVar[tuple[str, ...]] = ("alpha", "beta", "phi")  # type: ignore[assignment]

    def notes(self, result) -> str:
        text = super().notes(result)
        if result.status < 0:
            return text
        damped = np.isfinite(result.params["phi"])
        return (f"{text}\nTrend: {'damped' if damped else 'undamped'}, the lower AICc of the undamped and the damped "
                "additive trend.")

    def _fit_grid(self, gy, n):
        fit, _ = select_ets(gy, n, min_points=self.min_points)
        return (fit, *_ets_params(fit))

    def _forecast(self, fit, horizon):
        return forecast_ets(fit, horizon)


@dataclass(frozen=True, kw_only=True)
class ARIMA(_StateSpaceModel):
    """ARIMA(p, 1, q) with drift, the order chosen by AICc over p <= ``max_p``, q <= ``max_q``.

    Exact Gaussian likelihood, as statsmodels' ``ARIMA(y, order=(p, 1, q), trend="t")``;
    with one difference the linear trend term is the drift.

    Parameters
    ----------
    max_p, max_q : int, default 2
        The largest autoregressive and moving-average orders tried.
    """

    name: ClassVar[str] = "arima"
    description: ClassVar[str] = "ARIMA(p,1,q) with drift, order by AICc over p, q <= 2, batch maximum likelihood"
    max_p: int = 2
    max_q: int = 2
    param_names: ClassVar[tuple[str, ...]] = ("drift", "sigma2", "p", "q")  # type: ignore[assignment]

    def notes(self, result) -> str:
        text = super().notes(result)
        if result.status < 0:
            return text
        p, q = int(result.params["p"]), int(result.params["q"])
        return (f"{text}\nOrder: ARIMA({p}, 1, {q}) with drift, the lowest AICc over p <= {self.max_p}, q <= "
                f"{self.max_q}; p and q are chosen, not estimated, so they have no standard error.")

    def _fit_grid(self, gy, n):
        fit = select_arima(gy, n, max_p=self.max_p, max_q=self.max_q, min_points=self.min_points)
        params = np.stack([fit.drift, fit.sigma2, fit.p, fit.q], axis=1).astype(float)
        return fit, params, np.full((len(params), 4, 4), np.nan)

    def _forecast(self, fit, horizon):
        return forecast_arima(fit, horizon)


register(Holt())
register(Holt(damped=True), "holt_damped")
register(ETS())
register(ARIMA())
