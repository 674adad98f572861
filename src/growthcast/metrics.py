"""Forecast accuracy metrics: pure functions on arrays, and their registry.

Every metric takes plain arrays (``actual``, the point forecast ``forecast``
and, where it applies, the interval bounds, the MASE scale or the level) and
returns a float. Pairs with a missing forecast (NaN: a failed fit) are left
out, so a metric summarises the forecasts that were made; the backtest
reports how many there were beside it.

==========  ==============================================================
MAE         ``mean |a - f|``
RMSE        ``sqrt(mean (a - f)^2)``
MAPE        ``100 mean |a - f| / |a|``
sMAPE       ``100 mean 2 |a - f| / (|a| + |f|)`` (Makridakis, 1993)
bias        ``mean (a - f)``: positive when forecasts fall short; best at 0
MASE        ``mean |a - f| / s``, ``s`` the in-sample mean absolute one-step
            naive error of each forecast's training window (Hyndman and
            Koehler, 2006)
coverage    share of actuals with ``lower <= a <= upper``
winkler     interval score ``(u - l) + (2 / alpha) (l - a) [a < l]
            + (2 / alpha) (a - u) [a > u]`` with ``alpha = 1 - level``
            (Winkler, 1972; Gneiting and Raftery, 2007)
==========  ==============================================================

:data:`METRICS` maps each name to a :class:`Metric`: the per-point term whose
mean (then ``finish``) is the metric, so that a backtest scores many groups at
once with one ``groupby().mean()``, the inputs it needs and its best value.
A new metric is one :func:`register_metric` call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = [
    "Metric",
    "METRICS",
    "register_metric",
    "bias",
    "mae",
    "rmse",
    "mape",
    "smape",
    "mase",
    "coverage",
    "winkler",
    "naive_scale",
]


def _arr(x) -> np.ndarray:
    return np.asarray(x, dtype=float)


def _mean(values: np.ndarray) -> float:
    """Mean over the finite-input entries (NaN marks a pair left out); NaN if none."""
    values = np.asarray(values, dtype=float).ravel()
    kept = values[~np.isnan(values)]
    return float(kept.mean()) if kept.size else float("nan")


# ------------------------------------------------------------------ per-point terms
def _abs_error(actual, forecast):
    return np.abs(_arr(actual) - _arr(forecast))


def _error(actual, forecast):
    return _arr(actual) - _arr(forecast)


def _sq_error(actual, forecast):
    return (_arr(actual) - _arr(forecast)) ** 2


def _ape(actual, forecast):
    a = _arr(actual)
    with np.errstate(divide="ignore", invalid="ignore"):
        return 100.0 * np.abs(a - _arr(forecast)) / np.abs(a)


def _sape(actual, forecast):
    a, f = _arr(actual), _arr(forecast)
    with np.errstate(divide="ignore", invalid="ignore"):
        return 100.0 * 2.0 * np.abs(a - f) / (np.abs(a) + np.abs(f))


def _scaled_error(actual, forecast, scale):
    scale = _arr(scale)
    with np.errstate(divide="ignore", invalid="ignore"):
        # a constant training window (scale 0) has no naive error to scale by: undefined, left out
        return np.abs(_arr(actual) - _arr(forecast)) / np.where(scale > 0, scale, np.nan)


def _covered(actual, lower, upper):
    a, lo, hi = _arr(actual), _arr(lower), _arr(upper)
    inside = ((lo <= a) & (a <= hi)).astype(float)
    return np.where(np.isnan(a) | np.isnan(lo) | np.isnan(hi), np.nan, inside)


def _winkler(actual, lower, upper, level):
    a, lo, hi = _arr(actual), _arr(lower), _arr(upper)
    alpha = 1.0 - np.asarray(level, dtype=float)  # one level, or one per forecast
    below = np.where(a < lo, lo - a, 0.0)
    above = np.where(a > hi, a - hi, 0.0)
    return (hi - lo) + (2.0 / alpha) * (below + above)


# ------------------------------------------------------------------ metrics
def mae(actual, forecast) -> float:
    """Mean absolute error ``mean |a - f|``.

    Parameters
    ----------
    actual, forecast : array_like
        Observed values and point forecasts, broadcast together; pairs with a NaN are left out.

    Returns
    -------
    float
        The metric, in the units of the data; NaN if no pair is left.
    """
    return _mean(_abs_error(actual, forecast))


def bias(actual, forecast) -> float:
    """Mean error ``mean (a - f)``: positive when the forecasts fall short of the actuals.

    Parameters
    ----------
    actual, forecast : array_like
        Observed values and point forecasts, broadcast together; pairs with a NaN are left out.

    Returns
    -------
    float
        The metric, in the units of the data; NaN if no pair is left.
    """
    return _mean(_error(actual, forecast))


def rmse(actual, forecast) -> float:
    """Root mean squared error ``sqrt(mean (a - f)^2)``.

    Parameters
    ----------
    actual, forecast : array_like
        Observed values and point forecasts, broadcast together; pairs with a NaN are left out.

    Returns
    -------
    float
        The metric, in the units of the data; NaN if no pair is left.
    """
    return float(np.sqrt(_mean(_sq_error(actual, forecast))))


def mape(actual, forecast) -> float:
    """Mean absolute percentage error ``100 mean |a - f| / |a|`` (inf if an actual is 0).

    Parameters
    ----------
    actual, forecast : array_like
        Observed values and point forecasts, broadcast together; pairs with a NaN are left out.

    Returns
    -------
    float
        The metric, in percent; NaN if no pair is left.
    """
    return _mean(_ape(actual, forecast))


def smape(actual, forecast) -> float:
    """Symmetric MAPE ``100 mean 2 |a - f| / (|a| + |f|)``, in [0, 200].

    Parameters
    ----------
    actual, forecast : array_like
        Observed values and point forecasts, broadcast together; pairs with a NaN are left out.

    Returns
    -------
    float
        The metric, in percent; NaN if no pair is left.
    """
    return _mean(_sape(actual, forecast))


def mase(actual, forecast, scale) -> float:
    """Mean absolute scaled error ``mean |a - f| / scale``.

    Parameters
    ----------
    actual, forecast : array_like
        Observed values and point forecasts; pairs with a NaN are left out.
    scale : array_like or float
        The in-sample mean absolute one-step naive error of each forecast's
        training window (see :func:`naive_scale`); broadcast against ``actual``.
        A forecast whose scale is 0 (a constant training window, such as
        zeros before a launch) has no scaled error and is left out.

    Returns
    -------
    float
        The metric, without units (1 is the naive forecast's in-sample error); NaN if no pair is left.
    """
    return _mean(_scaled_error(actual, forecast, scale))


def coverage(actual, lower, upper) -> float:
    """Share of actuals inside their interval, bounds included.

    Parameters
    ----------
    actual, lower, upper : array_like
        Observed values and the interval bounds, broadcast together; triples with a NaN are left out.

    Returns
    -------
    float
        The share, in [0, 1]; NaN if no triple is left.
    """
    return _mean(_covered(actual, lower, upper))


def winkler(actual, lower, upper, level: float) -> float:
    """Mean Winkler (interval) score of ``level`` intervals; lower is better.

    The width plus ``2 / (1 - level)`` times the distance by which the actual
    falls outside the interval.

    Parameters
    ----------
    actual, lower, upper : array_like
        Observed values and the interval bounds, broadcast together; triples with a NaN are left out.
    level : float
        The intervals' nominal coverage, in (0, 1).

    Returns
    -------
    float
        The score, in the units of the data; NaN if no triple is left.
    """
    return _mean(_winkler(actual, lower, upper, level))


def naive_scale(y) -> float:
    """The in-sample mean absolute one-step error of the naive forecast, ``mean |y_i - y_(i-1)|``.

    Parameters
    ----------
    y : array_like, shape (n,)
        A training window in time order (missing values already dropped).

    Returns
    -------
    float
        The scale; NaN for fewer than two values.
    """
    y = _arr(y)
    return float(np.mean(np.abs(np.diff(y)))) if y.size > 1 else float("nan")


# ------------------------------------------------------------------ registry
def _identity(value: float) -> float:
    return value


@dataclass(frozen=True)
class Metric:
    """A registered metric.

    Parameters
    ----------
    name : str
        The name scores and the CLI use, e.g. ``"MASE"``.
    point : callable
        Its per-point term: the metric is ``finish(mean(point(...)))`` over
        the points with a forecast.
    inputs : tuple of str
        The columns ``point`` takes, in order, from ``actual, mean, lower,
        upper, scale, level`` (the backtest's forecasts and its level).
    finish : callable
        Applied to the mean of the per-point terms (``sqrt`` for RMSE).
    best : "min" or float or "level"
        What a perfect forecast scores: the lowest value (``"min"``), or a
        target that the distance is measured from: a number (0 for a bias)
        or ``"level"``, the nominal coverage. Rankings use it.
    """

    name: str
    point: Callable[..., np.ndarray]
    inputs: tuple[str, ...]
    finish: Callable[[float], float] = _identity
    best: str | float = "min"

    def distance_from_best(self, values: np.ndarray, level: float) -> np.ndarray:
        """How far ``values`` are from the best score: the values themselves for "min".

        Parameters
        ----------
        values : array_like
            Scores of this metric.
        level : float
            The intervals' nominal coverage, the target when ``best`` is ``"level"``.

        Returns
        -------
        ndarray
            Non-negative distances for a target, the values for ``"min"``: lower is better either way.
        """
        if self.best == "min":
            return np.asarray(values, dtype=float)
        target = level if self.best == "level" else float(self.best)
        return np.abs(np.asarray(values, dtype=float) - target)


METRICS: dict[str, Metric] = {}


def register_metric(metric: Metric) -> Metric:
    """Make ``metric`` available to ``Backtest.scores``, ``leaderboard`` and the CLI's ``--metric``.

    Parameters
    ----------
    metric : Metric
        The metric; one registered under the same name is replaced.

    Returns
    -------
    Metric
        ``metric`` itself.
    """
    METRICS[metric.name] = metric
    return metric


for _metric in (
    Metric("MAE", _abs_error, ("actual", "mean")),
    Metric("RMSE", _sq_error, ("actual", "mean"), finish=np.sqrt),
    Metric("MAPE", _ape, ("actual", "mean")),
    Metric("sMAPE", _sape, ("actual", "mean")),
    Metric("MASE", _scaled_error, ("actual", "mean", "scale")),
    Metric("bias", _error, ("actual", "mean"), best=0.0),
    Metric("coverage", _covered, ("actual", "lower", "upper"), best="level"),
    Metric("winkler", _winkler, ("actual", "lower", "upper", "level")),
):
    register_metric(_metric)
