"""Closed-form trends: least squares of ``link(y)`` on powers of centred time, all problems at once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy.special import expit, logit

from .. import errors
from ..errors import DataError
from ..intervals import student_quantile
from .base import Fitted, Model, last_observed, launched
from .registry import register

__all__ = ["Linear", "Quadratic", "Exponential", "LogitLinear"]


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
    #: whether the fit starts at each series' first positive value (a model on ``log y`` or a logit)
    from_launch: ClassVar[bool] = False

    def _design(self, t: np.ndarray, t_ref: np.ndarray) -> np.ndarray:
        dt = t - t_ref[:, None]
        return np.stack([dt**k for k in range(self.degree + 1)], axis=-1)

    def fit_arrays(self, t, y, mask, percent, *, start=None, weights=None) -> Fitted:
        B = len(t)
        P = self.degree + 1
        observed = mask
        if self.from_launch:  # zeros before the first positive value were counted before a launch
            mask = launched(y, mask)
        with np.errstate(all="ignore"):
            z = self.link(y, percent[:, None])
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
        message = np.where(invalid, self._invalid_message(), "").astype(object)
        # a line needs a residual too (require_residual_dof): with P points it is a failure, said here
        short = (n <= P) & ~invalid & (np.count_nonzero(mask, axis=1) < np.count_nonzero(observed, axis=1))
        status[short] = errors.FAILED_TOO_FEW_POINTS
        message[short] = (
            f"failed: fewer than {P + 1} points from the first positive value on (zeros before it, counted before a "
            "launch, are left out)")
        bad = status < 0
        beta[bad] = np.nan
        cov = Ainv * sigma2[:, None, None]
        cov[bad] = np.nan
        _, t_last, y_last = last_observed(t, y, observed)  # a series that never launched has them too
        with np.errstate(all="ignore"):  # sse = 0 (an exact fit, or no usable point) gives log(0)
            loglike = np.where(n > 0, -0.5 * n * (np.log(2 * np.pi * sse / np.maximum(n, 1)) + 1.0), np.nan)
        if self._jacobian_adjustment:
            # likelihood of y, not of link(y): add log |d link / dy| so AIC compares across models
            with np.errstate(all="ignore"):
                loglike = loglike + np.where(usable, np.log(np.abs(self._dlink(y, percent[:, None]))), 0.0).sum(axis=1)
        return Fitted(
            params=beta, cov=cov, sigma2=sigma2, sse=sse, n_obs=n, n_params=np.full(B, P),
            n_iter=np.zeros(B, int), status=status, t_last=t_last, y_last=y_last, percent=percent,
            message=message, loglike=loglike, state={"t_ref": t_ref},
        )

    _jacobian_adjustment: ClassVar[bool] = False

    def _invalid_message(self) -> str:
        return "failed: the series has values outside the model's domain"

    def predict_arrays(self, fitted, t_new, level):
        X = self._design(t_new, fitted.state["t_ref"])
        with np.errstate(all="ignore"):
            zhat = np.einsum("bmp,bp->bm", X, fitted.params)
            var = np.einsum("bmp,bpq,bmq->bm", X, fitted.cov, X) + fitted.sigma2[:, None]
            half = student_quantile(level, fitted.n_obs - fitted.n_params)[:, None] * np.sqrt(np.clip(var, 0, None))
            pct = fitted.percent[:, None]
            return self.unlink(zhat, pct), self.unlink(zhat - half, pct), self.unlink(zhat + half, pct)

    def notes(self, result, scale: str = "") -> str:
        """The time origin; for a fit on a transformed ``scale``, what the statistics are on; the intervals.

        Parameters
        ----------
        result : FitResult
            The fit being summarised.
        scale : str, default ""
            The transformed scale the line is fitted on, in words (``"log y"``), or "" for the data's scale.

        Returns
        -------
        str
            Text for the summary's notes.
        """
        lines = [f"Time origin t_ref = {float(result.fitted.state['t_ref'][0]):.4f} (mean observed time)."
                 ] if result.nobs > 0 else []  # no point fitted (a series that never launched): no origin
        if scale and result.status >= 0:  # fitted on the link scale
            z = self.link(result.y, np.asarray(result.fitted.percent[0]))
            zhat = self.link(self.mean_arrays(result.fitted, result.t[None, :])[0], np.asarray(result.fitted.percent[0]))
            used = np.isfinite(z)  # without the zeros before a launch, which the fit left out
            z, zhat = z[used], zhat[used]
            sst = float(np.sum((z - z.mean()) ** 2))
            r2 = f"{1.0 - float(np.sum((z - zhat) ** 2)) / sst:.4f}" if sst > 0 else "not defined"
            lines.append(
                f"Least squares on the {scale} scale: SSE and sigma are on "
                f"that scale (R-squared there {r2}); AIC, AICc and BIC are of y (with the Jacobian of the transform)."
            )
        if result.interval == "delta" and result.status >= 0:
            lines.append("Intervals: regression prediction intervals on the fitted scale (Student-t, "
                         f"{result.df_resid} degrees of freedom), mapped back.")
        return "\n".join(lines)


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
    log-scale prediction interval mapped back. Zeros before a series' first
    positive value (counted before a launch) are left out; a zero after it
    fails the fit.
    """

    name: ClassVar[str] = "exponential"
    description: ClassVar[str] = "exponential growth, a straight line on log y"
    param_names: ClassVar[tuple[str, ...]] = ("log_level", "growth")  # type: ignore[assignment]
    _jacobian_adjustment: ClassVar[bool] = True
    from_launch: ClassVar[bool] = True

    def link(self, y, percent):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(y > 0, np.log(np.where(y > 0, y, 1.0)), np.nan)

    def _dlink(self, y, percent):
        return 1.0 / y

    def unlink(self, z, percent):
        with np.errstate(over="ignore"):
            return np.exp(z)

    def _invalid_message(self) -> str:
        return "failed: exponential needs positive values"

    def notes(self, result, scale: str = "log y") -> str:
        """As the base's notes, on the ``log y`` scale."""
        return super().notes(result, scale)


@dataclass(frozen=True, kw_only=True)
class LogitLinear(_Regression):
    """A straight line on ``logit(y / cap)``: a logistic with a known ceiling.

    Parameters
    ----------
    cap : float, optional
        The ceiling; by default 100 for a percentage series. A series that
        is not a percentage needs an explicit cap (e.g. a population).

    Notes
    -----
    Zeros before a series' first positive value (counted before a launch)
    are left out; a zero after it, or a value at or above the cap, fails
    the fit.
    """

    name: ClassVar[str] = "logit_linear"
    description: ClassVar[str] = "straight line on logit(y / cap); cap 100 for percentages"
    param_names: ClassVar[tuple[str, ...]] = ("logit_level", "slope")  # type: ignore[assignment]
    cap: float | None = None
    _jacobian_adjustment: ClassVar[bool] = True
    from_launch: ClassVar[bool] = True

    def __post_init__(self) -> None:
        if self.cap is not None and not (np.isfinite(self.cap) and self.cap > 0):
            raise DataError(f"cap must be a positive number, got {self.cap!r}")

    def _cap(self, percent):
        if self.cap is not None:
            return self.cap
        return np.where(percent, 100.0, np.nan)

    def link(self, y, percent):
        cap = self._cap(percent)
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = y / cap
            return np.where((frac > 0) & (frac < 1), logit(np.clip(frac, 1e-300, 1 - 1e-16)), np.nan)

    def _dlink(self, y, percent):
        cap = self._cap(percent)
        return 1.0 / y + 1.0 / (cap - y)

    def unlink(self, z, percent):
        return self._cap(percent) * expit(z)

    def _invalid_message(self) -> str:
        return "failed: logit_linear needs 0 < y < cap (give cap= for a series that is not a percentage)"

    def notes(self, result, scale: str = "logit(y / cap)") -> str:
        """As the base's notes, on the ``logit(y / cap)`` scale."""
        return super().notes(result, scale)

    #: below this share of the cap, logit(p) = log(p) + p + ... is log(p) to within 1%: such points
    #: measure early exponential growth only and say nothing about the bend towards the cap
    _TINY: ClassVar[float] = 0.01

    def fit_arrays(self, t, y, mask, percent, *, start=None, weights=None) -> Fitted:
        """The least-squares line, failing with ``FAILED_IMPLAUSIBLE`` where tiny values dominate it.

        A line on ``logit(y / cap)`` is dominated by tiny values when the points below 1% of the cap
        carry more than half of the logit scale's spread (sum of squared deviations from the mean
        logit): the logit stretches them without bound (0.003% is -10.4, 50% is 0), so the slope
        is that of their exponential growth, and extrapolated through the cap's bend it forecasts
        nonsense with a success status (Brazil's broadband: 87% a year ahead of an observed 5%).
        Fits that are not dominated are unchanged.
        """
        fitted = super().fit_arrays(t, y, mask, percent, start=start, weights=weights)
        with np.errstate(all="ignore"):
            z = self.link(y, percent[:, None])
            frac = y / self._cap(percent[:, None]) if self.cap is None else y / self.cap
            usable = mask & np.isfinite(z)
            n = usable.sum(axis=1)
            zbar = np.where(usable, z, 0.0).sum(axis=1) / np.maximum(n, 1)
            dev2 = np.where(usable, (z - zbar[:, None]) ** 2, 0.0)
            tiny = usable & (frac < self._TINY)
            total = dev2.sum(axis=1)
            share = np.where(total > 0, np.where(tiny, dev2, 0.0).sum(axis=1) / np.where(total > 0, total, 1.0), 0.0)
        flag = (fitted.status > 0) & (share > 0.5)
        if not flag.any():
            return fitted
        status = np.where(flag, errors.FAILED_IMPLAUSIBLE, fitted.status)
        message = np.array(fitted.message, dtype=object)
        for b in np.flatnonzero(flag):  # messages only for the flagged problems
            message[b] = (
                f"{errors.STATUS_MESSAGES[errors.FAILED_IMPLAUSIBLE]}: points below 1% of the cap carry "
                f"{share[b]:.0%} of the logit scale's spread, so the line is their early exponential growth, "
                f"not the approach to the cap; use auto or saturating, or fit only the recent points"
            )
        params = np.where(flag[:, None], np.nan, fitted.params)
        cov = np.where(flag[:, None, None], np.nan, fitted.cov)
        return fitted.replace(status=status, message=message, params=params, cov=cov)



for _spec in (Linear(), Quadratic(), Exponential(), LogitLinear()):
    register(_spec)
