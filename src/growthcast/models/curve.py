"""Saturation curves fitted by nonlinear least squares on the batch core.

Each class names a curve of :mod:`growthcast.curves` (its formula, Jacobian
and starting values live there) and registers itself; adding a curve is a
:class:`~growthcast.curves.Curve` entry plus a class here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import ClassVar, Mapping

import numpy as np

from .. import errors
from .._frozen import FrozenMap
from .._numerics.curvefit import fit_curve
from ..curves import CURVES, Curve
from ..errors import DataError
from ..intervals import student_quantile
from .base import MAX_CEILING_RATIO, Fitted, Model, last_observed
from .registry import register

__all__ = ["CurveModel", "Logistic", "Gompertz", "Richards", "Bass", "Weibull"]


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
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)) \
                    or not np.isfinite(v) or (k in self.positive_params and v <= 0):
                raise DataError(f"fixed: {k} must be a finite{' positive' if k in self.positive_params else ''} number, got {v!r}")
        object.__setattr__(self, "fixed", FrozenMap(self.fixed))

    def __repr__(self) -> str:
        args = [f"fixed={dict(self.fixed)!r}"] if self.fixed else []
        args += [f"{k}={getattr(self, k)!r}" for k in self._options() if getattr(self, k) != type(self).__dataclass_fields__[k].default]
        return f"{type(self).__name__}({', '.join(args)})"

    def _options(self) -> tuple[str, ...]:
        return ()

    @property
    def param_names(self) -> tuple[str, ...]:  # type: ignore[override]
        """The curve's parameter names, in the order of the fitted arrays."""
        return self.curve.params

    @property
    def positive_params(self) -> tuple[str, ...]:  # type: ignore[override]
        """The parameters fitted on the log scale, whose intervals are log-scale Wald intervals."""
        return self.curve.positive

    @property
    def fixed_params(self) -> Mapping[str, float]:
        return self.fixed

    @property
    def saturation_param(self) -> str | None:
        return self.curve.saturation

    @property
    def has_inflection(self) -> bool:
        return self.curve.inflection is not None

    def inflection_point(self, params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.curve.inflection(params)

    def with_fixed(self, fixed: Mapping[str, float]) -> "CurveModel":
        return replace(self, fixed={**self.fixed, **fixed})

    def _fixed_array(self, t: np.ndarray, mask: np.ndarray) -> np.ndarray:
        fixed = np.full((len(t), len(self.param_names)), np.nan)
        for j, name in enumerate(self.param_names):
            if name in self.fixed:
                fixed[:, j] = self.fixed[name]
        return fixed

    def _fixed_one(self, first: float) -> list[float]:
        """:meth:`_fixed_array` of one series whose smallest time is ``first``, as Python floats (a single fit)."""
        fixed = dict(self.fixed) if self.fixed else {}
        return [float(fixed[k]) if k in fixed else np.nan for k in self.param_names]

    def _fixed_one_matches(self) -> bool:
        """Whether :meth:`_fixed_one` is known to be :meth:`_fixed_array`'s twin (a subclass may change one only)."""
        kind = type(self)
        return _FIXED_TWINS.get(kind._fixed_array) is kind._fixed_one

    def fit_arrays(self, t, y, mask, percent, *, start=None, weights=None) -> Fitted:
        fixed = self._fixed_array(t, mask)
        fit = fit_curve(self.curve, t, y, mask, fixed, weights=weights, start=start)
        if mask.all():  # every point observed: the last ones are the last column, and the largest value of each
            # row is found by an argmax, several times faster than a max along short rows
            t_last, y_last = t[:, -1].astype(float), y[:, -1].astype(float)
            top = np.take_along_axis(y, np.argmax(y, axis=1)[:, None], axis=1)[:, 0]
        else:
            _, t_last, y_last = last_observed(t, y, mask)
            top = np.max(y, axis=1, where=mask, initial=-np.inf)
        message = np.full(len(fit.status), "", dtype=object)
        singular = fit.status == errors.FAILED_SINGULAR
        if singular.any():
            message[singular] = self._singular_message()
        status, params, cov = fit.status, fit.params, fit.cov
        centre = None
        if any(k in self.fixed for k in self.curve.time):
            centre = np.where(mask, t, 0.0).sum(axis=1) / np.maximum(mask.sum(axis=1), 1)
        flagged, why = self._implausible(params, status, top, centre)
        if flagged.any():
            status = np.where(flagged, errors.FAILED_IMPLAUSIBLE, status)
            message = np.where(flagged, why, message).astype(object)
            params = np.where(flagged[:, None], np.nan, params)
            cov = np.where(flagged[:, None, None], np.nan, cov)
        return Fitted(
            params=params, cov=cov, sigma2=fit.sigma2, sse=fit.sse, n_obs=fit.n_obs, n_params=fit.n_free,
            n_iter=fit.n_iter, status=status, t_last=t_last, y_last=y_last, percent=percent, message=message,
        )

    def _implausible(self, params: np.ndarray, status: np.ndarray, top: np.ndarray,
                     centre: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Which fits to flag as implausible, and why: the checks of :meth:`fit_arrays`.

        A fixed time more than 1,000 years from the data (``centre``, the mean observed time, is
        needed only when a time parameter is fixed), a fitted ceiling more than
        ``MAX_CEILING_RATIO`` times the largest observation ``top``, or a fixed ceiling below it.
        Only fits with ``status >= 0`` are flagged; the first check that applies gives the message.

        Returns
        -------
        flagged : ndarray of bool, shape (B,)
        message : ndarray of object, shape (B,), or None
            The reason where flagged, "" elsewhere; None when no fit is flagged.
        """
        ceiling = self.curve.saturation
        ok = status >= 0
        far = [k for k in self.curve.time if k in self.fixed]  # a fixed time centuries away from the data
        away = ok & np.any([np.abs(self.fixed[k] - centre) > 1000.0 for k in far], axis=0) if far else None
        if ceiling not in self.fixed:  # a ceiling far beyond the data: they do not show where the curve bends
            ratio = params[:, self.curve.params.index(ceiling)] / np.where(top > 0, top, np.nan)  # no warning
            beyond, below = ok & (ratio > MAX_CEILING_RATIO), None
        else:  # a fixed ceiling below the data: the curve cannot pass through them
            beyond, below = None, ok & (top > self.fixed[ceiling] * (1 + 1e-9))
        flagged = (beyond if below is None else below) if away is None else away | (beyond if below is None else below)
        if not flagged.any():
            return flagged, None
        message = np.full(len(status), "", dtype=object)
        head = errors.STATUS_MESSAGES[errors.FAILED_IMPLAUSIBLE]
        if below is not None:
            message[below] = (
                f"{head}: the fixed ceiling {ceiling} = {self.fixed[ceiling]:g} is below the largest observation, "
                "which the curve can never reach; fix a ceiling above the data or let it be estimated")
        for i in np.flatnonzero(beyond) if beyond is not None else ():  # the ratio of each flagged series
            message[i] = (
                f"{head}: the fitted ceiling {ceiling} is {ratio[i]:.0f} times the largest observation, so the data "
                f"do not yet show where the curve bends; fix the ceiling (fixed={{'{ceiling}': ...}}, e.g. a "
                "population) or use a trend model")
        if away is not None:  # the first check wins
            message[away] = (f"{head}: the fixed {', '.join(far)} lies more than 1,000 years from the data, where the "
                             "curve is flat to the last digit")
        return flagged, message

    def _implausible_one(self, params: list[float], status: int, top: float) -> bool:
        """:meth:`_implausible` of one fit on Python numbers, with no time parameter fixed: whether it is flagged."""
        if status < 0:
            return False
        ceiling = self.curve.saturation
        if not self.fixed or ceiling not in self.fixed:
            return top > 0 and params[self.curve.params.index(ceiling)] / top > MAX_CEILING_RATIO
        return top > self.fixed[ceiling] * (1 + 1e-9)

    def _singular_message(self) -> str:
        ceiling = self.curve.saturation
        advice = "use a trend model" if ceiling in self.fixed else f"fix the ceiling (fixed={{'{ceiling}': ...}}) or use a trend model"
        return (
            f"{errors.STATUS_MESSAGES[errors.FAILED_SINGULAR]}: the data do not pin down the curve, often because "
            f"they do not yet show where it bends; {advice}"
        )

    def mean_arrays(self, fitted, t_new):
        with np.errstate(all="ignore"):
            return self.curve.value(t_new, fitted.params)

    def predict_arrays(self, fitted, t_new, level):
        with np.errstate(all="ignore"):
            mean, J = self.curve.evaluate(t_new, fitted.params)
            J = np.where(np.isfinite(J), J, 0.0)
            var = np.einsum("bmp,bpq,bmq->bm", J, fitted.cov, J) + fitted.sigma2[:, None]
            half = student_quantile(level, fitted.n_obs - fitted.n_params)[:, None] * np.sqrt(np.clip(var, 0.0, None))
        return mean, mean - half, mean + half

    def notes(self, result) -> str:
        lines = [f"Curve: {self.curve.value.__doc__.splitlines()[0]}"]
        if result.status >= 0:
            lines.append(
                f"Fitted by nonlinear least squares to the {result.nobs} observations; standard errors from "
                f"s^2 (J'J)^-1 at the optimum, with {result.df_resid} residual degrees of freedom."
            )
            if result.interval == "delta":
                lines.append("Intervals: delta method, the curve's gradient through the covariance plus the residual "
                             "variance, Student-t quantiles.")
        warning = self.ceiling_warning(result)
        if warning:
            lines.append(f"{warning[0].upper()}{warning[1:]}.")
        return "\n".join(lines)

    def ceiling_warning(self, result) -> str:
        """Why the fitted ceiling of a percentage cannot be read as one, or "" if it can."""
        ceiling = self.curve.saturation
        if result.status < 0 or not result.fitted.percent[0] or ceiling in self.fixed:
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

    Parameters
    ----------
    fixed : mapping of str to float, optional
        Parameters held at given values, e.g. ``{"K": 100}`` for a penetration in percent.
    """

    name: ClassVar[str] = "logistic"
    description: ClassVar[str] = "logistic curve K / (1 + exp(-r (t - t0))), symmetric about t0"
    curve: ClassVar[Curve] = CURVES["logistic"]


@dataclass(frozen=True, kw_only=True, repr=False)
class Gompertz(CurveModel):
    """Gompertz curve ``y = K exp(-exp(-r (t - t0)))``.

    Inflection at ``t0`` where ``y = K / e``: fast early growth and a long
    approach to saturation. Gompertz (1825).

    Parameters
    ----------
    fixed : mapping of str to float, optional
        Parameters held at given values, e.g. ``{"K": 100}``.
    """

    name: ClassVar[str] = "gompertz"
    description: ClassVar[str] = "Gompertz curve K exp(-exp(-r (t - t0))), slow approach to K"
    curve: ClassVar[Curve] = CURVES["gompertz"]


@dataclass(frozen=True, kw_only=True, repr=False)
class Richards(CurveModel):
    """Richards (generalised logistic) curve ``y = K / (1 + nu exp(-r (t - t0)))^(1/nu)``.

    ``nu = 1`` is the logistic; ``nu -> 0`` tends to the Gompertz. The
    inflection is at ``t0 + log(nu) / r``. Richards (1959).

    Parameters
    ----------
    fixed : mapping of str to float, optional
        Parameters held at given values, e.g. ``{"nu": 0.5}``.
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

    def _fixed_one(self, first: float) -> list[float]:
        fixed = super()._fixed_one(first)
        if not self.fit_start and "ts" not in self.fixed:
            fixed[3] = first if np.isfinite(first) else 0.0
        return fixed


@dataclass(frozen=True, kw_only=True, repr=False)
class Weibull(CurveModel):
    """Weibull growth curve ``y = K (1 - exp(-(r (t - ts))^k))`` for ``t > ts``.

    ``K`` is the saturation level, ``r`` the rate per year, ``ts`` the start
    and ``k`` the shape: ``k > 1`` gives an S-curve with its inflection at
    ``ts + ((k - 1) / k)^(1/k) / r``, ``k = 1`` the concave modified
    exponential. Weibull (1951); as a growth curve, Ratkowsky (1983).

    Parameters
    ----------
    fixed : mapping of str to float, optional
        Parameters held at given values, e.g. ``{"K": 100, "k": 2}``.
    """

    name: ClassVar[str] = "weibull"
    description: ClassVar[str] = "Weibull growth curve K (1 - exp(-(r (t - ts))^k)), start ts, shape k"
    curve: ClassVar[Curve] = CURVES["weibull"]


for _spec in (Logistic(), Gompertz(), Richards(), Bass(), Weibull()):
    register(_spec)


#: Each ``_fixed_array`` here and its single-fit twin ``_fixed_one``.
_FIXED_TWINS = {CurveModel._fixed_array: CurveModel._fixed_one, Bass._fixed_array: Bass._fixed_one}
