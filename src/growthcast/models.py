"""Model specifications and the name registry.

A spec is a frozen dataclass with options only: no data, no fitted state.
Each one fits a batch of problems given as arrays ``t, y, mask`` of shape
``(n_problems, n_points)`` and returns a :class:`~growthcast.results.Fitted`;
each one predicts a mean path and intervals from such a batch. ``gc.fit``,
``gc.fit_many`` and ``gc.backtest`` all go through these two methods, so every
model is reachable by name everywhere.

Families
--------
* saturation curves (:class:`Logistic`, :class:`Gompertz`, :class:`Richards`,
  :class:`Bass`): nonlinear least squares on the batch core;
* closed-form trends (:class:`Linear`, :class:`Quadratic`,
  :class:`Exponential`, :class:`LogitLinear`): batched least squares on a
  transformed scale;
* baselines (:class:`Naive`, :class:`Drift`): random walks in continuous time;
* statsmodels models (:class:`Holt`, :class:`ETS`, :class:`ARIMA`): fitted per
  series on the regular half-yearly grid (see :func:`regular_grid`);
* combinations (:class:`Ensemble`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, ClassVar, Mapping

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit, logit

from . import errors
from ._curvefit import fit_curve
from .curves import CURVES, Curve
from .errors import DataError
from .results import Fitted, _quantile

__all__ = [
    "Model",
    "Logistic",
    "Gompertz",
    "Richards",
    "Bass",
    "Linear",
    "Quadratic",
    "Exponential",
    "LogitLinear",
    "Naive",
    "Drift",
    "Holt",
    "ETS",
    "ARIMA",
    "Ensemble",
    "LocalTrend",
    "Auto",
    "get_model",
    "models",
    "regular_grid",
]


def _last_observed(t: np.ndarray, y: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Index, time and value of each problem's last observed point."""
    n = t.shape[1]
    last = n - 1 - np.argmax(mask[:, ::-1], axis=1)
    rows = np.arange(len(t))
    has = mask.any(axis=1)
    return last, np.where(has, t[rows, last], np.nan), np.where(has, y[rows, last], np.nan)


@dataclass(frozen=True, kw_only=True)
class Model:
    """Base of every model specification."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    batched: ClassVar[bool] = True  # fitted by array operations on the whole batch
    has_residuals: ClassVar[bool] = False  # in-sample fitted values exist, so a residual bootstrap does
    positive_params: ClassVar[tuple[str, ...]] = ()
    # what interval="delta", the default, gives for this model (the name is the curves')
    default_intervals: ClassVar[str] = "delta"

    @property
    def param_names(self) -> tuple[str, ...]:
        raise NotImplementedError

    def _fit(self, t: np.ndarray, y: np.ndarray, mask: np.ndarray, percent: np.ndarray, **kwargs: Any) -> Fitted:
        raise NotImplementedError

    def _mean(self, fitted: Fitted, t_new: np.ndarray) -> np.ndarray:
        return self._predict(fitted, t_new, 0.5)[0]

    def _predict(self, fitted: Fitted, t_new: np.ndarray, level: float):
        raise NotImplementedError

    # link scale for residual resampling: identity unless the model says otherwise
    def _link(self, y, percent):
        return y

    def _unlink(self, z, percent):
        return z


# ====================================================================== curves
@dataclass(frozen=True, kw_only=True)
class CurveModel(Model):
    """A saturation curve fitted by nonlinear least squares.

    Parameters
    ----------
    fixed : mapping of str to float, optional
        Parameters held at given values, e.g. ``{"K": 100}`` for a
        penetration in percent or a population projection.
    """

    fixed: Mapping[str, float] = field(default_factory=dict)
    curve: ClassVar[Curve]
    has_residuals: ClassVar[bool] = True

    def __post_init__(self) -> None:
        unknown = set(self.fixed) - set(self.param_names)
        if unknown:
            raise DataError(
                f"fixed: unknown parameter(s) {sorted(unknown)} for {self.name}; "
                f"its parameters are {list(self.param_names)}"
            )
        for k, v in self.fixed.items():
            if not np.isfinite(v) or (k in self.positive_params and v <= 0):
                raise DataError(f"fixed: {k} must be a finite{' positive' if k in self.positive_params else ''} number, got {v!r}")
        object.__setattr__(self, "fixed", MappingProxyType(dict(self.fixed)))

    def __repr__(self) -> str:
        args = [f"fixed={dict(self.fixed)!r}"] if self.fixed else []
        args += [f"{k}={getattr(self, k)!r}" for k in self._options() if getattr(self, k) != type(self).__dataclass_fields__[k].default]
        return f"{type(self).__name__}({', '.join(args)})"

    def _options(self) -> tuple[str, ...]:
        return ()

    @property
    def param_names(self) -> tuple[str, ...]:
        return self.curve.params

    @property
    def positive_params(self) -> tuple[str, ...]:  # type: ignore[override]
        return self.curve.positive

    def _fixed_array(self, t: np.ndarray, mask: np.ndarray) -> np.ndarray:
        fixed = np.full((len(t), len(self.param_names)), np.nan)
        for j, name in enumerate(self.param_names):
            if name in self.fixed:
                fixed[:, j] = self.fixed[name]
        return fixed

    def _fit(self, t, y, mask, percent, *, start=None, weights=None, **kwargs) -> Fitted:
        fixed = self._fixed_array(t, mask)
        fit = fit_curve(self.curve, t, y, mask, fixed, weights=weights, start=start)
        _, t_last, y_last = _last_observed(t, y, mask)
        message = np.where(fit.status == errors.FAILED_SINGULAR, self._singular_message(), "").astype(object)
        return Fitted(
            params=fit.params, cov=fit.cov, sigma2=fit.sigma2, sse=fit.sse, n_obs=fit.n_obs, n_params=fit.n_free,
            n_iter=fit.n_iter, status=fit.status, t_last=t_last, y_last=y_last,
            extra={"percent": percent, "message": message},
        )

    def _singular_message(self) -> str:
        ceiling = self.curve.saturation
        advice = "use a trend model" if ceiling in self.fixed else f"fix the ceiling (fixed={{'{ceiling}': ...}}) or use a trend model"
        return (
            f"{errors.STATUS_MESSAGES[errors.FAILED_SINGULAR]}: the data do not pin down the curve, often because "
            f"they do not yet show where it bends; {advice}"
        )

    def _mean(self, fitted, t_new):
        with np.errstate(all="ignore"):
            return self.curve.value(t_new, fitted.params)

    def _predict(self, fitted, t_new, level):
        with np.errstate(all="ignore"):
            mean, J = self.curve.evaluate(t_new, fitted.params)
            J = np.where(np.isfinite(J), J, 0.0)
            var = np.einsum("bmp,bpq,bmq->bm", J, fitted.cov, J) + fitted.sigma2[:, None]
            half = _quantile(level, fitted.n_obs - fitted.n_params)[:, None] * np.sqrt(np.clip(var, 0.0, None))
        return mean, mean - half, mean + half

    def _link(self, y, percent):
        return y

    def notes(self, result) -> str:
        text = f"Curve: {self.curve.value.__doc__.splitlines()[0]}"
        warning = self.ceiling_warning(result)
        return f"{text}\n{warning[0].upper()}{warning[1:]}." if warning else text

    def ceiling_warning(self, result) -> str:
        """Why the fitted ceiling of a percentage cannot be read as one, or "" if it can."""
        ceiling = self.curve.saturation
        if result.status < 0 or not result.fitted.extra.get("percent", np.zeros(1, bool))[0] or ceiling in self.fixed:
            return ""
        value = float(result.params[ceiling])
        if not value > 100.0:
            return ""
        spec = f"gc.{type(self).__name__}(fixed={{'{ceiling}': 100}})"
        return (
            f"the fitted ceiling, {value:.1f}%, is above the 100% a share can reach: the data do not pin the "
            f"{self.name} curve's ceiling down (fix it, e.g. {spec}, or read it as not determined)"
        )


@dataclass(frozen=True, kw_only=True, repr=False)
class Logistic(CurveModel):
    """Logistic curve ``y = K / (1 + exp(-r (t - t0)))``.

    ``K`` is the saturation level, ``r`` the growth rate per year and ``t0``
    the inflection time (where ``y = K / 2``), in decimal years. Verhulst
    (1838); for diffusion, Griliches (1957).
    """

    name: ClassVar[str] = "logistic"
    description: ClassVar[str] = "logistic curve K / (1 + exp(-r (t - t0))), symmetric about t0"
    curve: ClassVar[Curve] = CURVES["logistic"]


@dataclass(frozen=True, kw_only=True, repr=False)
class Gompertz(CurveModel):
    """Gompertz curve ``y = K exp(-exp(-r (t - t0)))``.

    Inflection at ``t0`` where ``y = K / e``: fast early growth and a long
    approach to saturation. Gompertz (1825).
    """

    name: ClassVar[str] = "gompertz"
    description: ClassVar[str] = "Gompertz curve K exp(-exp(-r (t - t0))), slow approach to K"
    curve: ClassVar[Curve] = CURVES["gompertz"]


@dataclass(frozen=True, kw_only=True, repr=False)
class Richards(CurveModel):
    """Richards (generalised logistic) curve ``y = K / (1 + nu exp(-r (t - t0)))^(1/nu)``.

    ``nu = 1`` is the logistic; ``nu -> 0`` tends to the Gompertz. The
    inflection is at ``t0 + log(nu) / r``. Richards (1959).
    """

    name: ClassVar[str] = "richards"
    description: ClassVar[str] = "Richards generalised logistic with shape nu (nu=1: logistic)"
    curve: ClassVar[Curve] = CURVES["richards"]


@dataclass(frozen=True, kw_only=True, repr=False)
class Bass(CurveModel):
    """Bass diffusion model for cumulative adopters.

    ``y = m (1 - exp(-(p+q)(t - ts))) / (1 + (q/p) exp(-(p+q)(t - ts)))`` for
    ``t >= ts``: ``m`` is the market potential, ``p`` the coefficient of
    innovation and ``q`` of imitation (per year). Bass (1969).

    Parameters
    ----------
    fixed : mapping, optional
    fit_start : bool, default False
        By default the start ``ts`` is fixed at each series' first observed
        date: the model then counts adopters from the first report on, which
        is how the Bass model is usually fitted to diffusion data, and it
        avoids the near-unidentifiability of ``ts`` against ``p`` that makes
        a free start wander. With ``fit_start=True`` it is estimated.
    """

    name: ClassVar[str] = "bass"
    description: ClassVar[str] = "Bass diffusion m, p (innovation), q (imitation); start at the first date"
    curve: ClassVar[Curve] = CURVES["bass"]
    fit_start: bool = False

    def _options(self) -> tuple[str, ...]:
        return ("fit_start",)

    def _fixed_array(self, t, mask):
        fixed = super()._fixed_array(t, mask)
        if not self.fit_start and "ts" not in self.fixed:
            fixed[:, 3] = np.min(np.where(mask, t, np.inf), axis=1)
            fixed[~np.isfinite(fixed[:, 3]), 3] = 0.0
        return fixed


# ====================================================================== closed-form trends
@dataclass(frozen=True, kw_only=True)
class _Regression(Model):
    """Least squares of ``link(y)`` on powers of centred time, all problems at once.

    Intervals are the exact regression prediction intervals on the link
    scale (Student-t, ``n - k`` degrees of freedom), mapped back through the
    inverse link. ``t_ref``, the mean observed time, is the origin of the
    polynomial; the summary reports it.
    """

    default_intervals: ClassVar[str] = "regression"

    degree: ClassVar[int] = 1
    has_residuals: ClassVar[bool] = True

    def _design(self, t: np.ndarray, t_ref: np.ndarray) -> np.ndarray:
        dt = t - t_ref[:, None]
        return np.stack([dt**k for k in range(self.degree + 1)], axis=-1)

    def _fit(self, t, y, mask, percent, **kwargs) -> Fitted:
        B = len(t)
        P = self.degree + 1
        with np.errstate(all="ignore"):
            z = self._link(y, percent[:, None])
        usable = mask & np.isfinite(z)
        invalid = (mask & ~np.isfinite(z)).any(axis=1)
        n = usable.sum(axis=1)
        t_ref = np.where(usable, t, 0.0).sum(axis=1) / np.maximum(n, 1)
        X = self._design(t, t_ref) * usable[..., None]
        z0 = np.where(usable, z, 0.0)
        XtX = np.matmul(X.transpose(0, 2, 1), X)
        Xtz = np.einsum("bnp,bn->bp", X, z0)
        scale = np.sqrt(np.einsum("bpp->bp", XtX))
        scale = np.where(scale > 0, scale, 1.0)
        A = XtX / scale[:, :, None] / scale[:, None, :]
        eig = np.linalg.eigvalsh(A)
        singular = ~(eig[:, 0] > 1e-12 * np.maximum(eig[:, -1], 1e-300))
        Ainv = np.linalg.pinv(A, hermitian=True) / scale[:, :, None] / scale[:, None, :]
        beta = np.einsum("bpq,bq->bp", Ainv, Xtz)
        resid = (z0 - np.einsum("bnp,bp->bn", X, beta)) * usable
        sse = np.einsum("bn,bn->b", resid, resid)
        dof = n - P
        with np.errstate(all="ignore"):
            sigma2 = np.where(dof > 0, sse / np.maximum(dof, 1), np.nan)
        status = np.full(B, errors.CONVERGED_EXACT)
        status[singular] = errors.FAILED_SINGULAR
        status[n < P] = errors.FAILED_TOO_FEW_POINTS
        status[invalid] = errors.FAILED_INVALID_DATA
        message = np.array([self._invalid_message() if bad else "" for bad in invalid], dtype=object)
        bad = status < 0
        beta[bad] = np.nan
        cov = Ainv * sigma2[:, None, None]
        cov[bad] = np.nan
        _, t_last, y_last = _last_observed(t, y, mask)
        with np.errstate(all="ignore"):  # sse = 0 (an exact fit, or no usable point) gives log(0)
            loglike = np.where(n > 0, -0.5 * n * (np.log(2 * np.pi * sse / np.maximum(n, 1)) + 1.0), np.nan)
        if self._jacobian_adjustment:
            # likelihood of y, not of link(y): add log |d link / dy| so AIC compares across models
            with np.errstate(all="ignore"):
                loglike = loglike + np.where(usable, np.log(np.abs(self._dlink(y, percent[:, None]))), 0.0).sum(axis=1)
        return Fitted(
            params=beta, cov=cov, sigma2=sigma2, sse=sse, n_obs=n, n_params=np.full(B, P),
            n_iter=np.zeros(B, int), status=status, t_last=t_last, y_last=y_last,
            extra={"t_ref": t_ref, "percent": percent, "message": message, "loglike": loglike},
        )

    _jacobian_adjustment: ClassVar[bool] = False

    def _invalid_message(self) -> str:
        return "failed: the series has values outside the model's domain"

    def _predict(self, fitted, t_new, level):
        X = self._design(t_new, fitted.extra["t_ref"])
        with np.errstate(all="ignore"):
            zhat = np.einsum("bmp,bp->bm", X, fitted.params)
            var = np.einsum("bmp,bpq,bmq->bm", X, fitted.cov, X) + fitted.sigma2[:, None]
            half = _quantile(level, fitted.n_obs - fitted.n_params)[:, None] * np.sqrt(np.clip(var, 0, None))
            pct = fitted.extra["percent"][:, None]
            return self._unlink(zhat, pct), self._unlink(zhat - half, pct), self._unlink(zhat + half, pct)

    def notes(self, result) -> str:
        return f"Time origin t_ref = {float(result.fitted.extra['t_ref'][0]):.4f} (mean observed time)."


@dataclass(frozen=True, kw_only=True)
class Linear(_Regression):
    """Straight line ``y = intercept + slope (t - t_ref)`` by least squares."""

    name: ClassVar[str] = "linear"
    description: ClassVar[str] = "straight line by least squares"
    param_names: ClassVar[tuple[str, ...]] = ("intercept", "slope")  # type: ignore[assignment]


@dataclass(frozen=True, kw_only=True)
class Quadratic(_Regression):
    """Parabola ``y = intercept + slope (t - t_ref) + curvature (t - t_ref)^2``."""

    name: ClassVar[str] = "quadratic"
    description: ClassVar[str] = "quadratic trend by least squares"
    degree: ClassVar[int] = 2
    param_names: ClassVar[tuple[str, ...]] = ("intercept", "slope", "curvature")  # type: ignore[assignment]


@dataclass(frozen=True, kw_only=True)
class Exponential(_Regression):
    """Log-linear trend ``log y = log_level + growth (t - t_ref)``.

    Fitted by least squares on ``log y``; the point forecast is the median
    ``exp(log_level + growth (t - t_ref))`` and the interval is the
    log-scale prediction interval mapped back.
    """

    name: ClassVar[str] = "exponential"
    description: ClassVar[str] = "exponential growth, a straight line on log y"
    param_names: ClassVar[tuple[str, ...]] = ("log_level", "growth")  # type: ignore[assignment]
    _jacobian_adjustment: ClassVar[bool] = True

    def _link(self, y, percent):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(y > 0, np.log(np.where(y > 0, y, 1.0)), np.nan)

    def _dlink(self, y, percent):
        return 1.0 / y

    def _unlink(self, z, percent):
        with np.errstate(over="ignore"):
            return np.exp(z)

    def _invalid_message(self) -> str:
        return "failed: exponential needs positive values"


@dataclass(frozen=True, kw_only=True)
class LogitLinear(_Regression):
    """A straight line on ``logit(y / cap)``: a logistic with a known ceiling.

    Parameters
    ----------
    cap : float, optional
        The ceiling; by default 100 for a percentage series. A series that
        is not a percentage needs an explicit cap (e.g. a population).
    """

    name: ClassVar[str] = "logit_linear"
    description: ClassVar[str] = "straight line on logit(y / cap); cap 100 for percentages"
    param_names: ClassVar[tuple[str, ...]] = ("logit_level", "slope")  # type: ignore[assignment]
    cap: float | None = None
    _jacobian_adjustment: ClassVar[bool] = True

    def __post_init__(self) -> None:
        if self.cap is not None and not (np.isfinite(self.cap) and self.cap > 0):
            raise DataError(f"cap must be a positive number, got {self.cap!r}")

    def _cap(self, percent):
        if self.cap is not None:
            return self.cap
        return np.where(percent, 100.0, np.nan)

    def _link(self, y, percent):
        cap = self._cap(percent)
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = y / cap
            return np.where((frac > 0) & (frac < 1), logit(np.clip(frac, 1e-300, 1 - 1e-16)), np.nan)

    def _dlink(self, y, percent):
        cap = self._cap(percent)
        return 1.0 / y + 1.0 / (cap - y)

    def _unlink(self, z, percent):
        return self._cap(percent) * expit(z)

    def _invalid_message(self) -> str:
        return "failed: logit_linear needs 0 < y < cap (give cap= for a series that is not a percentage)"


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

    def _fit(self, t, y, mask, percent, **kwargs) -> Fitted:
        B, N = t.shape
        n = mask.sum(axis=1)
        order = np.argsort(~mask, axis=1, kind="stable")
        tt = np.take_along_axis(np.where(mask, t, np.nan), order, axis=1)
        yy = np.take_along_axis(np.where(mask, y, np.nan), order, axis=1)
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
            cov = np.zeros((B, 2, 2))
            cov[:, 1, 1] = sigma2 / span
        else:
            params = y_last[:, None]
            cov = np.zeros((B, 1, 1))
        bad = status < 0
        params = np.where(bad[:, None], np.nan, params)
        cov[bad] = np.nan
        return Fitted(
            params=params, cov=cov, sigma2=sigma2, sse=dev.sum(axis=1), n_obs=np.maximum(n - 1, 0),
            n_params=np.full(B, int(self.with_drift)), n_iter=np.zeros(B, int), status=status,
            t_last=t_last, y_last=y_last, extra={"span": span, "percent": percent},
        )

    def _predict(self, fitted, t_new, level):
        d = np.clip(t_new - fitted.t_last[:, None], 0.0, None)
        slope = fitted.params[:, 1:2] if self.with_drift else 0.0
        mean = fitted.params[:, :1] + slope * d
        var = fitted.sigma2[:, None] * d
        if self.with_drift:
            var = var * (1.0 + d / fitted.extra["span"][:, None])
        half = stats.norm.ppf(0.5 + level / 2) * np.sqrt(var)
        return mean, mean - half, mean + half


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


# ====================================================================== statsmodels
def regular_grid(
    t: np.ndarray, y: np.ndarray, mask: np.ndarray, *, tolerance: float = 0.25
) -> tuple[np.ndarray, np.ndarray, float]:
    """One series on its regular grid: grid times, values and the step.

    The step is the median spacing of the observed times and the grid runs
    back from the last observation to the first. A grid point takes the
    value of the observation within ``tolerance`` steps of it; a grid point
    with none (the December 2019 slot of the CNNIC data, which the March
    2020 edition replaced, or an edition that did not report the figure) is
    interpolated linearly in time between its neighbouring observations.
    Off-grid observations (March 2020, October 1997) serve only for that
    interpolation.
    """
    obs = np.flatnonzero(mask)
    times, values = t[obs], y[obs]
    if obs.size < 2:
        return times, values, 0.5
    step = float(np.median(np.diff(times)))
    if not step > 0:
        return times[-1:], values[-1:], 0.5
    k = int(np.floor((times[-1] - times[0]) / step + tolerance))
    grid = times[-1] - step * np.arange(k, -1, -1)
    nearest = np.abs(times[None, :] - grid[:, None]).argmin(axis=1)
    on_grid = np.abs(times[nearest] - grid) <= tolerance * step
    grid = np.where(on_grid, times[nearest], grid)
    return grid, np.where(on_grid, values[nearest], np.interp(grid, times, values)), step


@dataclass(frozen=True, kw_only=True)
class _StatsmodelsModel(Model):
    """A statsmodels state-space model fitted per series on its regular grid.

    statsmodels' models assume equal steps. Each series is laid on its
    regular (half-yearly) grid, see :func:`regular_grid`: for the CNNIC data
    the March 2020 edition is left out and the December 2019 slot it
    replaced is interpolated between June 2019 and March 2020 (likewise any
    edition that did not report the figure). Forecasts at a time between grid steps
    are interpolated linearly between the step forecasts (step 0 being the
    last observation).
    """

    default_intervals: ClassVar[str] = "statsmodels"

    batched: ClassVar[bool] = False
    min_points: ClassVar[int] = 6

    def _fit_one(self, y: np.ndarray):
        raise NotImplementedError

    def _fit(self, t, y, mask, percent, **kwargs) -> Fitted:
        B = len(t)
        P = len(self.param_names)
        params = np.full((B, P), np.nan)
        cov = np.full((B, P, P), np.nan)
        sigma2 = np.full(B, np.nan)
        sse = np.full(B, np.nan)
        n_obs = np.zeros(B, int)
        status = np.full(B, errors.CONVERGED_GRADIENT)
        loglike = np.full(B, np.nan)
        results = np.empty(B, dtype=object)
        message = np.empty(B, dtype=object)
        message[:] = ""
        steps = np.full(B, 0.5)
        _, t_last, y_last = _last_observed(t, y, mask)
        for b in range(B):  # statsmodels fits one series at a time
            _, grid_y, step = regular_grid(t[b], y[b], mask[b])
            steps[b] = step
            n_obs[b] = grid_y.size
            if grid_y.size < self.min_points:
                status[b] = errors.FAILED_TOO_FEW_POINTS
                continue
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    res, par, par_cov = self._fit_one(grid_y)
            except (ValueError, np.linalg.LinAlgError, IndexError) as err:
                status[b] = errors.FAILED_MODEL
                message[b] = f"failed: statsmodels raised {type(err).__name__}: {err}"
                continue
            if any("converge" in str(w.message).lower() for w in caught):
                status[b] = errors.MAX_ITERATIONS
                message[b] = "statsmodels' optimiser reported a convergence problem; estimates may be inaccurate"
            results[b] = res
            params[b] = par
            cov[b] = par_cov
            resid = np.asarray(res.resid)
            sse[b] = float(np.sum(resid**2))
            sigma2[b] = sse[b] / max(grid_y.size - P, 1)
            loglike[b] = float(res.llf)
        return Fitted(
            params=params, cov=cov, sigma2=sigma2, sse=sse, n_obs=n_obs, n_params=np.full(B, P), n_iter=np.zeros(B, int),
            status=status, t_last=t_last, y_last=y_last,
            extra={"sm_results": results, "step": steps, "message": message, "loglike": loglike, "percent": percent},
        )

    def _predict(self, fitted, t_new, level):
        B, M = t_new.shape
        mean = np.full((B, M), np.nan)
        lower = np.full((B, M), np.nan)
        upper = np.full((B, M), np.nan)
        for b in range(B):  # statsmodels predicts one series at a time
            res = fitted.extra["sm_results"][b]
            if res is None:
                continue
            h = (t_new[b] - fitted.t_last[b]) / fitted.extra["step"][b]
            H = int(np.ceil(np.max(h, initial=0.0)))
            nobs = int(res.nobs)
            if H > 0:
                frame = res.get_prediction(start=nobs, end=nobs + H - 1).summary_frame(alpha=1 - level)
                cols = [c for c in frame.columns if c.endswith("lower")], [c for c in frame.columns if c.endswith("upper")]
                fm = frame["mean"].to_numpy()
                flo = frame[cols[0][-1]].to_numpy()
                fhi = frame[cols[1][-1]].to_numpy()
            else:
                fm = flo = fhi = np.zeros(0)
            fitted_vals = np.asarray(res.fittedvalues)
            q = stats.norm.ppf(0.5 + level / 2) * np.sqrt(fitted.sigma2[b])
            # steps -nobs+1 .. 0 are in-sample (one-step predictions), 1..H forecasts
            grid = np.arange(-nobs + 1, H + 1)
            last = float(fitted.y_last[b])
            m_path = np.concatenate([fitted_vals[:-1], [last], fm])
            lo_path = np.concatenate([fitted_vals[:-1] - q, [last], flo])
            hi_path = np.concatenate([fitted_vals[:-1] + q, [last], fhi])
            mean[b] = np.interp(h, grid, m_path)
            lower[b] = np.interp(h, grid, lo_path)
            upper[b] = np.interp(h, grid, hi_path)
        return mean, lower, upper


def _ets_fit(y: np.ndarray, damped: bool):
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    res = ETSModel(pd.Series(y), error="add", trend="add", damped_trend=damped).fit(disp=False)
    names = ["smoothing_level", "smoothing_trend"] + (["damping_trend"] if damped else [])
    values = np.asarray(res.params, dtype=float)
    par = np.asarray([values[res.param_names.index(n)] for n in names] + [np.nan] * (3 - len(names)))
    return res, par


@dataclass(frozen=True, kw_only=True)
class Holt(_StatsmodelsModel):
    """Holt's additive-trend exponential smoothing, statsmodels' ``ETSModel(error="add", trend="add")``.

    Parameters
    ----------
    damped : bool, default False
        Damp the trend (Gardner and McKenzie, 1985).
    """

    name: ClassVar[str] = "holt"
    damped: bool = False

    @property
    def description(self) -> str:  # type: ignore[override]
        if self.damped:
            return "Holt's damped additive trend (ETS A,Ad,N), statsmodels"
        return "Holt's linear trend (ETS A,A,N), statsmodels"
    param_names: ClassVar[tuple[str, ...]] = ("alpha", "beta", "phi")  # type: ignore[assignment]

    def _fit_one(self, y):
        res, par = _ets_fit(y, self.damped)
        return res, par, np.zeros((3, 3))


@dataclass(frozen=True, kw_only=True)
class ETS(_StatsmodelsModel):
    """Exponential smoothing with an additive or damped additive trend, chosen by AICc.

    Both ``ETSModel(error="add", trend="add")`` and the damped version are
    fitted; the one with the lower AICc is kept (``phi`` is NaN when the
    undamped trend wins).
    """

    name: ClassVar[str] = "ets"
    description: ClassVar[str] = "ETS, additive or damped additive trend chosen by AICc, statsmodels"
    param_names: ClassVar[tuple[str, ...]] = ("alpha", "beta", "phi")  # type: ignore[assignment]

    def _fit_one(self, y):
        fits = [_ets_fit(y, damped) for damped in (False, True)]
        res, par = min(fits, key=lambda f: f[0].aicc if np.isfinite(f[0].aicc) else np.inf)
        return res, par, np.zeros((3, 3))


@dataclass(frozen=True, kw_only=True)
class ARIMA(_StatsmodelsModel):
    """ARIMA(p, 1, q) with drift, the order chosen by AICc over p, q in ``orders``.

    statsmodels' ``ARIMA(y, order=(p, 1, q), trend="t")``; with one
    difference the linear trend term is the drift.
    """

    name: ClassVar[str] = "arima"
    description: ClassVar[str] = "ARIMA(p,1,q) with drift, order by AICc over p, q <= 2, statsmodels"
    max_p: int = 2
    max_q: int = 2
    param_names: ClassVar[tuple[str, ...]] = ("drift", "sigma2", "p", "q")  # type: ignore[assignment]

    def _fit_one(self, y):
        from statsmodels.tsa.arima.model import ARIMA as _SMARIMA

        candidates = []
        for p in range(self.max_p + 1):  # the order grid: at most nine small models
            for q in range(self.max_q + 1):
                if p + q + 3 > len(y) - 2:
                    continue
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    try:
                        res = _SMARIMA(pd.Series(y), order=(p, 1, q), trend="t").fit()
                    except (ValueError, np.linalg.LinAlgError):
                        continue
                if np.isfinite(res.aicc):
                    converged = bool(res.mle_retvals.get("converged", True)) if res.mle_retvals else True
                    candidates.append((not converged, res.aicc, p, q, res, caught))
        if not candidates:
            raise ValueError("no ARIMA order could be fitted")
        # the lowest AICc among the orders whose likelihood was maximised; another order's
        # failure to converge says nothing about the chosen one
        _, _, p, q, res, caught = min(candidates, key=lambda c: c[:2])
        for w in caught:  # the chosen order's own warnings, for the caller to judge
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        names = list(res.model.param_names)
        values = np.asarray(res.params, dtype=float)
        par = np.array([values[names.index("x1")], values[names.index("sigma2")], p, q], dtype=float)
        cov = np.zeros((4, 4))
        pc = np.asarray(res.cov_params())
        i, j = names.index("x1"), names.index("sigma2")
        cov[np.ix_([0, 1], [0, 1])] = pc[np.ix_([i, j], [i, j])]
        return res, par, cov


# ====================================================================== combinations
@dataclass(frozen=True, kw_only=True)
class Ensemble(Model):
    """The median or mean of several models' forecasts.

    The point forecast is the median (or mean) of the members' point
    forecasts; each interval bound is the median (or mean) of the members'
    bounds at the same level. Members that failed are left out; the
    combination fails only if every member does.
    """

    default_intervals: ClassVar[str] = "of members"

    members: tuple[str, ...] = ("logistic", "gompertz", "drift", "holt")
    combine: str = "median"

    def __post_init__(self) -> None:
        if self.combine not in ("median", "mean"):
            raise DataError(f"combine must be 'median' or 'mean', got {self.combine!r}")
        if len(self.members) < 2:
            raise DataError("an ensemble needs at least two members")
        object.__setattr__(self, "members", tuple(self.members))
        unknown = [m for m in self.members if m not in _REGISTRY or m.startswith("ensemble")]
        if unknown:
            raise DataError(f"ensemble members must be named models, got {unknown}")

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"ensemble_{self.combine}"

    @property
    def description(self) -> str:  # type: ignore[override]
        return f"{self.combine} of {', '.join(self.members)}"

    @property
    def batched(self) -> bool:  # type: ignore[override]
        return False

    param_names: ClassVar[tuple[str, ...]] = ()  # type: ignore[assignment]

    def _specs(self) -> list[Model]:
        return [get_model(m) for m in self.members]

    def _fit(self, t, y, mask, percent, **kwargs) -> Fitted:
        fits = tuple(spec._fit(t, y, mask, percent) for spec in self._specs())
        ok = np.stack([f.status >= 0 for f in fits])
        B = len(t)
        status = np.where(ok.any(axis=0), errors.CONVERGED_EXACT, errors.FAILED_MODEL)
        _, t_last, y_last = _last_observed(t, y, mask)
        return Fitted(
            params=np.zeros((B, 0)), cov=np.zeros((B, 0, 0)), sigma2=np.full(B, np.nan), sse=np.full(B, np.nan),
            n_obs=mask.sum(axis=1), n_params=np.zeros(B, int), n_iter=np.zeros(B, int), status=status,
            t_last=t_last, y_last=y_last, extra={"members": fits, "percent": percent},
        )

    def _predict(self, fitted, t_new, level):
        outs = []
        for spec, fit in zip(self._specs(), fitted.extra["members"]):
            m, lo, hi = spec._predict(fit, t_new, level)
            failed = (fit.status < 0)[:, None]
            outs.append(np.where(failed, np.nan, np.stack([m, lo, hi])))
        stack = np.stack(outs)  # (members, 3, B, M)
        reducer = np.nanmedian if self.combine == "median" else np.nanmean
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: every member failed
            mean, lower, upper = reducer(stack, axis=0)
        return mean, lower, upper


# ====================================================================== registry
# The local trends and ``auto`` build on the specs above, so their module
# imports this one; importing it here, after those specs exist, is safe.
from .auto import Auto, LocalTrend  # noqa: E402

_REGISTRY: dict[str, Model] = {
    spec.name: spec
    for spec in (
        Logistic(), Gompertz(), Richards(), Bass(), Linear(), Quadratic(), Exponential(), LogitLinear(),
        Naive(), Drift(), LocalTrend(), Holt(), ETS(), ARIMA(), Auto(),
    )
}
_REGISTRY["holt_damped"] = Holt(damped=True)
_REGISTRY["ensemble_median"] = Ensemble(combine="median")
_REGISTRY["ensemble_mean"] = Ensemble(combine="mean")


def get_model(model: str | Model, **options: Any) -> Model:
    """The spec for a name (with ``options`` applied), or the spec itself.

    Raises
    ------
    DataError
        For an unknown name, listing the known ones.
    """
    if isinstance(model, Model):
        return replace(model, **options) if options else model
    if not isinstance(model, str) or model not in _REGISTRY:
        raise DataError(f"unknown model {model!r}; choose one of {sorted(_REGISTRY)}")
    spec = _REGISTRY[model]
    return replace(spec, **options) if options else spec


def models() -> pd.DataFrame:
    """Every model reachable by name, with a one-line description.

    Examples
    --------
    >>> "logistic" in set(models()["name"])
    True
    """
    return pd.DataFrame(
        [{"name": name, "spec": repr(spec), "description": spec.description} for name, spec in _REGISTRY.items()]
    )
