"""Random walks in continuous time: the naive forecast and the drift."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .. import errors
from ..intervals import normal_quantile
from .base import Fitted, Model, pack
from .registry import register

__all__ = ["Naive", "Drift", "drift_variance"]


def drift_variance(sigma2: np.ndarray, d: np.ndarray, span: np.ndarray) -> np.ndarray:
    """Forecast variance of a random walk with drift ``d`` years ahead: ``sigma^2 d (1 + d / T)``.

    ``sigma2`` is the variance per year of the increments and ``T`` the span
    of the data the drift was estimated on (Hyndman and Athanasopoulos,
    *Forecasting: principles and practice*, section 5.5).
    """
    with np.errstate(divide="ignore", invalid="ignore"):  # a one-point series has no span: NaN beside its failure
        return sigma2 * d * (1.0 + d / span)


# ====================================================================== baselines
@dataclass(frozen=True, kw_only=True)
class _RandomWalk(Model):
    """Random walk in continuous time: ``y(t + d) - y(t) ~ N(c d, sigma^2 d)``.

    Increments are scaled by the time between observations, so irregular
    spacing (the March 2020 edition) needs no special case. Intervals are
    normal, with variance ``sigma^2 d`` for the naive forecast and
    ``sigma^2 d (1 + d / T)`` for the drift (``T`` the span of the data), as
    in Hyndman and Athanasopoulos, *Forecasting: principles and practice*.
    """

    default_intervals: ClassVar[str] = "random walk"

    with_drift: ClassVar[bool] = False

    def fit_arrays(self, t, y, mask, percent, *, start=None, weights=None) -> Fitted:
        B, N = t.shape
        n = mask.sum(axis=1)
        tt, yy, _ = pack(t, y, mask)
        rows = np.arange(B)
        last = np.maximum(n - 1, 0)
        t_last, y_last = tt[rows, last], yy[rows, last]
        span = t_last - tt[:, 0]
        dt = np.diff(tt, axis=1)
        dy = np.diff(yy, axis=1)
        ok = np.isfinite(dt) & (dt > 0)
        with np.errstate(all="ignore"):
            slope = (y_last - yy[:, 0]) / span if self.with_drift else np.zeros(B)
            dev = np.where(ok, (dy - slope[:, None] * dt) ** 2 / np.where(ok, dt, 1.0), 0.0)
            k = 1 + int(self.with_drift)
            dof = n - k
            sigma2 = np.where(dof > 0, dev.sum(axis=1) / np.maximum(dof, 1), np.nan)
        needed = 2 + int(self.with_drift)
        status = np.where(n >= needed, errors.CONVERGED_EXACT, errors.FAILED_TOO_FEW_POINTS)
        if self.with_drift:
            params = np.stack([y_last, slope], axis=1)
            cov = np.full((B, 2, 2), np.nan)  # only the drift's variance is estimated
            with np.errstate(all="ignore"):  # a one-point series has no span: it fails below
                cov[:, 1, 1] = sigma2 / span
        else:
            params = y_last[:, None]
            cov = np.full((B, 1, 1), np.nan)  # the last value: not an estimate with a variance
        bad = status < 0
        params = np.where(bad[:, None], np.nan, params)
        cov[bad] = np.nan
        return Fitted(
            params=params, cov=cov, sigma2=sigma2, sse=dev.sum(axis=1), n_obs=np.maximum(n - 1, 0),
            n_params=np.full(B, int(self.with_drift)), n_iter=np.zeros(B, int), status=status,
            t_last=t_last, y_last=y_last, percent=percent, state={"span": span},
        )

    def predict_arrays(self, fitted, t_new, level):
        d = np.clip(t_new - fitted.t_last[:, None], 0.0, None)
        slope = fitted.params[:, 1:2] if self.with_drift else 0.0
        mean = fitted.params[:, :1] + slope * d
        with np.errstate(all="ignore"):  # a failed one-point series has no span: NaN, beside its status
            if self.with_drift:
                var = drift_variance(fitted.sigma2[:, None], d, fitted.state["span"][:, None])
            else:
                var = fitted.sigma2[:, None] * d
            half = normal_quantile(level) * np.sqrt(var)
        return mean, mean - half, mean + half

    def notes(self, result) -> str:
        if result.status < 0:
            return ""
        fitted = result.fitted
        last, span = float(fitted.params[0, 0]), float(fitted.state["span"][0])
        if self.with_drift:
            lines = [f"Point forecast: the last observation, {last:.6g}, plus the drift, {fitted.params[0, 1]:.6g} per year: "
                     f"the slope of the line from the first observation to the last ({span:.4g} years)."]
            variance = f"sigma^2 d (1 + d / T) at d years ahead, T = {span:.4g} years"
        else:
            lines = [f"Point forecast: the last observation, {last:.6g}, at every horizon."]
            variance = "sigma^2 d at d years ahead"
        lines.append(f"SSE, sigma and the information criteria are those of the {result.nobs} increments (per unit "
                     "time), not of the levels: compare them only with other random walks.")
        if result.interval == "delta":
            lines.append(f"Intervals: normal, variance {variance}, sigma^2 the increments' variance per year.")
        return "\n".join(lines)


@dataclass(frozen=True, kw_only=True)
class Naive(_RandomWalk):
    """Naive forecast: the last observed value (a random walk)."""

    name: ClassVar[str] = "naive"
    description: ClassVar[str] = "last observed value (random walk)"
    param_names: ClassVar[tuple[str, ...]] = ("level",)  # type: ignore[assignment]


@dataclass(frozen=True, kw_only=True)
class Drift(_RandomWalk):
    """Random walk with drift: the line from the first to the last observation, continued."""

    name: ClassVar[str] = "drift"
    description: ClassVar[str] = "random walk with drift (slope from first to last point)"
    param_names: ClassVar[tuple[str, ...]] = ("level", "drift")  # type: ignore[assignment]
    with_drift: ClassVar[bool] = True



for _spec in (Naive(), Drift()):
    register(_spec)
