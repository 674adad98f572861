"""The model protocol and its output.

A model is a frozen dataclass of options only: no data, no fitted state. It
fits a batch of problems given as arrays ``t, y, mask`` of shape
``(n_problems, n_points)`` and returns a :class:`Fitted`; it predicts a mean
path and intervals from such a batch. ``fit``, ``fit_many``, the bootstrap
and ``backtest`` all go through these methods, so a model written once
works everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar, Mapping

import numpy as np

from .._frozen import FrozenMap
from .. import errors
from ..errors import DataError

if TYPE_CHECKING:  # pragma: no cover
    from ..results import FitResult

__all__ = ["MAX_CEILING_RATIO", "Model", "Fitted", "Bootstrap", "Calibration", "last_observed", "pack", "require_residual_dof"]


#: A ceiling more than this many times the largest observation is not one the data identify: they do not
#: yet show where the curve bends (a curve reports it as implausible; ``saturating`` does not pool it).
MAX_CEILING_RATIO = 20.0


def last_observed(t: np.ndarray, y: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Index, time and value of each problem's last observed point (NaN without one)."""
    n = t.shape[1]
    last = n - 1 - np.argmax(mask[:, ::-1], axis=1)
    rows = np.arange(len(t))
    has = mask.any(axis=1)
    return last, np.where(has, t[rows, last], np.nan), np.where(has, y[rows, last], np.nan)


def launched(y: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``mask`` without the zeros before each row's first positive value.

    For a model on ``log y`` (or ``logit``), zeros counted before a service
    or product existed are not part of its adoption curve: the model starts
    at the launch. A zero after it stays, and the model reports it.
    """
    mask = np.asarray(mask, dtype=bool)
    with np.errstate(invalid="ignore"):
        return mask & ((np.cumsum(mask & (y > 0), axis=1) > 0) | ~(y == 0))


#: The reason beside too few points when :func:`launched` left zeros out.
TOO_FEW_AFTER_LAUNCH = ("failed: fewer than 3 points from the first positive value on (zeros before it, counted "
                        "before a launch, are left out)")


def too_few_after_launch(n: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """Rows left with fewer than 3 points (``n``) only because :func:`launched` took zeros out of ``observed``."""
    return (n < 3) & (n < np.count_nonzero(observed, axis=1))


def pack(t: np.ndarray, y: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Observed points moved to the left of each row (NaN after them), and the count per row."""
    order = np.argsort(~mask, axis=1, kind="stable")
    n = mask.sum(axis=1)
    tt = np.take_along_axis(np.where(mask, t, np.nan), order, axis=1)
    yy = np.take_along_axis(np.where(mask, y, np.nan), order, axis=1)
    return tt, yy, n


def require_residual_dof(fitted: "Fitted") -> "Fitted":
    """Fits with no residual degree of freedom (as many points as free parameters) as failures.

    Such a fit passes through every point: its parameters exist but no
    interval does (the noise variance has no estimate), so it is reported as
    a failure with the reason instead of a success with NaN intervals.
    """
    exact = (fitted.status >= 0) & (fitted.n_params > 0) & (fitted.n_obs <= fitted.n_params)
    if not exact.any():
        return fitted
    message = np.array([""] * len(fitted), dtype=object) if fitted.message is None else fitted.message.copy()
    message[exact] = (f"{errors.STATUS_MESSAGES[errors.FAILED_TOO_FEW_POINTS]}: as many points as free parameters "
                      "leave no residual to estimate the noise, so there is no interval; add points or fix a parameter")
    bad = exact[:, None]
    return fitted.replace(
        status=np.where(exact, errors.FAILED_TOO_FEW_POINTS, fitted.status), message=message,
        params=np.where(bad, np.nan, fitted.params), cov=np.where(bad[..., None], np.nan, fitted.cov),
    )


def _take(value: Any, idx) -> Any:
    if isinstance(value, np.ndarray):
        return value[idx]
    if isinstance(value, (Fitted, Bootstrap, Calibration)):
        return value.take(idx)
    if isinstance(value, tuple) and value and all(isinstance(v, Fitted) for v in value):
        return tuple(v.take(idx) for v in value)
    if is_dataclass(value) and not isinstance(value, type):  # a kernel's fit (ETSFit, ARIMAFit): arrays per problem
        return type(value)(**{f.name: _take(getattr(value, f.name), idx) for f in fields(value)})
    return value


def _freeze(obj: Any) -> None:
    for value in vars(obj).values():  # the dataclass's fields (dataclasses.fields costs more than the rest)
        if isinstance(value, np.ndarray):
            value.setflags(write=False)


@dataclass(frozen=True, eq=False)
class Bootstrap:
    """Residual-bootstrap draws of B problems (see :func:`growthcast.uncertainty.bootstrap`)."""

    params: np.ndarray  # (B, R, P) refitted parameters, NaN where a refit failed
    resid: np.ndarray  # (B, N) centred, inflated link-scale residuals, packed to the left
    n: np.ndarray  # (B,) residuals per problem
    seed: int

    def __post_init__(self) -> None:
        _freeze(self)

    def take(self, idx) -> "Bootstrap":
        return Bootstrap(self.params[idx], self.resid[idx], self.n[idx], self.seed)


@dataclass(frozen=True, eq=False)
class Calibration:
    """Past out-of-sample errors by horizon, for intervals calibrated on them."""

    errors: np.ndarray  # (B, H, E) actual - forecast at horizons 1..H, NaN-padded
    step: np.ndarray  # (B,) time between observations, in years: the unit of the horizon

    def __post_init__(self) -> None:
        _freeze(self)

    def take(self, idx) -> "Calibration":
        return Calibration(self.errors[idx], self.step[idx])


@dataclass(frozen=True, eq=False)
class Fitted:
    """The fitted arrays of B problems; every array has the batch on axis 0.

    ``cov`` is NaN where a quantity is not estimated (a model without a
    parameter covariance, or a failure) and has zero rows and columns for
    fixed parameters. ``state`` holds what one model needs to predict (a
    reference time, statsmodels results, member fits), batched on axis 0.

    Attributes
    ----------
    params : ndarray of shape (B, P)
        The parameters, fixed ones included; NaN for a failed fit.
    cov : ndarray of shape (B, P, P)
        Their covariance.
    sigma2, sse : ndarray of shape (B,)
        Residual variance and sum of squares.
    n_obs, n_params, n_iter, status : ndarray of int, shape (B,)
        Observations, estimated parameters, solver iterations and the status code
        (:data:`growthcast.errors.STATUS_MESSAGES`).
    t_last, y_last : ndarray of shape (B,)
        Time and value of each problem's last observation.
    percent : ndarray of bool, shape (B,)
        Which problems are percentages, kept in [0, 100].
    message : ndarray of object, shape (B,), optional
        A reason beside a status, "" where the status code's message applies.
    loglike : ndarray of shape (B,), optional
        The log-likelihood, for models that have their own.
    state : mapping of str to batched values
        What the model needs to predict.
    bootstrap : Bootstrap, optional
        Residual-bootstrap draws, for ``interval="bootstrap"``.
    calibration : Calibration, optional
        Past out-of-sample errors, for ``interval="backtest"``.
    """

    params: np.ndarray  # (B, P)
    cov: np.ndarray  # (B, P, P)
    sigma2: np.ndarray  # (B,)
    sse: np.ndarray  # (B,)
    n_obs: np.ndarray  # (B,)
    n_params: np.ndarray  # (B,) estimated parameters
    n_iter: np.ndarray  # (B,)
    status: np.ndarray  # (B,)
    t_last: np.ndarray  # (B,)
    y_last: np.ndarray  # (B,)
    percent: np.ndarray  # (B,) bool: a percentage, kept in [0, 100]
    message: np.ndarray | None = None  # (B,) object; "" where the status code's message applies
    loglike: np.ndarray | None = None  # (B,) where the model has its own likelihood
    state: Mapping[str, Any] = field(default_factory=dict)
    bootstrap: Bootstrap | None = None
    calibration: Calibration | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "state", FrozenMap(self.state))
        object.__setattr__(self, "percent", np.asarray(self.percent, dtype=bool))
        _freeze(self)

    def __len__(self) -> int:
        return len(self.status)

    def take(self, idx) -> "Fitted":
        """The problems ``idx`` (an index array or slice) as a new Fitted.

        Parameters
        ----------
        idx : array_like of int or slice
            Which problems, on axis 0.

        Returns
        -------
        Fitted
        """
        values = {f.name: _take(getattr(self, f.name), idx) for f in fields(self) if f.name != "state"}
        return Fitted(**values, state={k: _take(v, idx) for k, v in self.state.items()})

    def replace(self, **changes: Any) -> "Fitted":
        """A copy with some fields changed (:func:`dataclasses.replace`).

        Parameters
        ----------
        **changes
            Field names and their new values.

        Returns
        -------
        Fitted
        """
        return replace(self, **changes)


@dataclass(frozen=True, kw_only=True)
class Model:
    """Base of every model specification: the protocol ``fit``, ``backtest`` and the bootstrap use.

    Subclasses set ``name``, ``description`` and ``param_names`` and
    implement :meth:`fit_arrays` and :meth:`predict_arrays`; a model with
    in-sample fitted values sets ``has_residuals`` and implements
    :meth:`mean_arrays` (and :meth:`link`/:meth:`unlink` if it works on a
    transformed scale) so that the residual bootstrap works. Register it
    with :func:`growthcast.models.register` to make it reachable by name.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    param_names: ClassVar[tuple[str, ...]] = ()
    #: in-sample fitted values exist, so a residual bootstrap does
    has_residuals: ClassVar[bool] = False
    #: fitted on the log scale: intervals of these parameters are log-scale Wald intervals
    positive_params: ClassVar[tuple[str, ...]] = ()
    #: what the model's own intervals are, in words (interval="delta", the default)
    default_intervals: ClassVar[str] = "delta"

    @property
    def batch_independent(self) -> bool:
        """Whether each series' fit is the same in any batch (False for models that pool across the batch)."""
        return True

    # ------------------------------------------------------------ the protocol
    def fit_arrays(
        self, t: np.ndarray, y: np.ndarray, mask: np.ndarray, percent: np.ndarray, *,
        start: np.ndarray | None = None, weights: np.ndarray | None = None,
    ) -> Fitted:
        """Fit B problems: arrays (B, N) with ``mask`` marking the observed points.

        Parameters
        ----------
        t, y : ndarray of shape (n_problems, n_points)
            Times in decimal years and observations; values where ``mask`` is False are ignored.
        mask : ndarray of bool, shape (n_problems, n_points)
            True at the observed points.
        percent : ndarray of bool, shape (n_problems,)
            Which problems are percentages, whose forecasts and bounds stay in [0, 100].
        start : ndarray of shape (n_problems, n_params), optional
            Starting parameters (a bootstrap refit starts from the original fit).
        weights : ndarray of shape (n_problems, n_points), optional
            Observation weights, for the models that take them.

        Returns
        -------
        Fitted
            The fitted arrays, batched on axis 0; a problem that fails has a negative status and a reason.
        """
        raise NotImplementedError

    def predict_arrays(
        self, fitted: Fitted, t_new: np.ndarray, level: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Mean, lower and upper bound at ``t_new`` (B, M) with the model's own intervals.

        Parameters
        ----------
        fitted : Fitted
            The fit of B problems, from :meth:`fit_arrays`.
        t_new : ndarray of shape (n_problems, n_times)
            Times to predict, in decimal years.
        level : float
            Coverage probability of the interval, in (0, 1).

        Returns
        -------
        mean, lower, upper : ndarray of shape (n_problems, n_times)
            The point forecast and the interval bounds; NaN for a failed fit.
        """
        raise NotImplementedError

    def mean_arrays(self, fitted: Fitted, t_new: np.ndarray) -> np.ndarray:
        """The point forecast at ``t_new`` (B, M).

        Parameters
        ----------
        fitted : Fitted
            The fit of B problems, from :meth:`fit_arrays`.
        t_new : ndarray of shape (n_problems, n_times)
            Times to predict, in decimal years.

        Returns
        -------
        ndarray of shape (n_problems, n_times)
            The mean path; NaN for a failed fit.
        """
        return self.predict_arrays(fitted, t_new, 0.5)[0]

    def link(self, y: np.ndarray, percent: np.ndarray) -> np.ndarray:
        """The scale on which residuals are resampled: identity unless the model says otherwise.

        Parameters
        ----------
        y : ndarray of shape (n_problems, n_points)
            Values on the data's scale.
        percent : ndarray of bool, shape (n_problems,)
            Which problems are percentages.

        Returns
        -------
        ndarray of shape (n_problems, n_points)
            The values on the model's scale; :meth:`unlink` is its inverse.
        """
        return y

    def unlink(self, z: np.ndarray, percent: np.ndarray) -> np.ndarray:
        """The inverse of :meth:`link`: values on the model's scale back on the data's.

        Parameters
        ----------
        z : ndarray of shape (n_problems, n_points)
            Values on the model's scale.
        percent : ndarray of bool, shape (n_problems,)
            Which problems are percentages.

        Returns
        -------
        ndarray of shape (n_problems, n_points)
            The values on the data's scale.
        """
        return z

    # ------------------------------------------------------------ what the model has
    @property
    def fixed_params(self) -> Mapping[str, float]:
        """Parameters held at given values (none unless the model takes ``fixed=``)."""
        return {}

    @property
    def saturation_param(self) -> str | None:
        """The parameter that is the upper asymptote, or None."""
        return None

    @property
    def has_inflection(self) -> bool:
        """Whether the model's mean path has an inflection point (the S-shaped curves)."""
        return False

    def inflection_point(self, params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Time and value of the inflection point for parameters (..., P).

        Parameters
        ----------
        params : ndarray of shape (..., n_params)
            Parameters in the order of ``param_names``.

        Returns
        -------
        t, value : ndarray of shape (...)
            The time (decimal years) and the value of the curve at its inflection point.

        Raises
        ------
        NotImplementedError
            For a model without an inflection point (see :attr:`has_inflection`).
        """
        raise NotImplementedError(f"the {self.name!r} model has no inflection point")

    def with_fixed(self, fixed: Mapping[str, float]) -> "Model":
        """The same model with ``fixed`` parameters added.

        Parameters
        ----------
        fixed : mapping of str to float
            Parameter names and the values they are held at.

        Returns
        -------
        Model
            A new specification; this one is unchanged.

        Raises
        ------
        DataError
            For a model that takes no ``fixed=`` (only the saturation curves do), or an unknown parameter.
        """
        raise DataError(f"fixed= applies to the saturation curves, not to {self.name!r}")

    def notes(self, result: "FitResult") -> str:
        """Lines for ``summary()`` about how the model forecasts.

        Parameters
        ----------
        result : FitResult
            The fit being summarised.

        Returns
        -------
        str
            Text for the summary's notes, or "" for none.
        """
        return ""

    def ceiling_warning(self, result: "FitResult") -> str:
        """Why the fitted ceiling cannot be read as one, or "" if it can (or there is none).

        Parameters
        ----------
        result : FitResult
            The fit whose ceiling is judged.

        Returns
        -------
        str
            The warning for the summary, or "".
        """
        return ""
