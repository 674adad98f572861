"""``fit`` and ``fit_many``: pandas in, immutable results out.

Both go through one path: the series become padded arrays of shape
``(n_series, n_points)`` with a mask, and the model fits them all in one call.
``fit`` is ``fit_many`` with one series.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd

from . import errors
from .data import as_long, series_from_arrays
from .errors import DataError
from .models import Model, get_model
from .results import BatchFitResult, FitResult
from .uncertainty import INTERVALS, bootstrap

__all__ = ["fit", "fit_many", "to_arrays"]


def to_arrays(long: pd.DataFrame) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """A validated long frame as padded ``(n_series, n_points)`` arrays and a mask."""
    codes, ids = pd.factorize(long["series_id"], sort=False)
    counts = np.bincount(codes, minlength=len(ids))
    N = int(counts.max())
    order = np.lexsort((long["t"].to_numpy(), codes))
    codes_sorted = codes[order]
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    pos = np.arange(len(order)) - starts[codes_sorted]
    t = np.zeros((len(ids), N))
    y = np.zeros((len(ids), N))
    mask = np.zeros((len(ids), N), dtype=bool)
    t[codes_sorted, pos] = long["t"].to_numpy()[order]
    y[codes_sorted, pos] = long["value"].to_numpy()[order]
    mask[codes_sorted, pos] = True
    return [str(i) for i in ids], t, y, mask


def _resolve(model: str | Model, fixed: Mapping[str, float] | None) -> Model:
    spec = get_model(model)
    if fixed:
        if not hasattr(spec, "fixed"):
            raise DataError(f"fixed= applies to the saturation curves, not to {spec.name!r}")
        spec = get_model(spec, fixed={**spec.fixed, **fixed})
    return spec


def _check_interval(interval: str) -> str:
    if interval not in INTERVALS:
        raise DataError(f"interval must be one of {list(INTERVALS)}, got {interval!r}")
    return interval


def _fit_batch(spec: Model, long: pd.DataFrame, interval: str, n_boot: int, random_state: Any) -> BatchFitResult:
    ids, t, y, mask = to_arrays(long)
    # a series whose every value is missing has no rows left, but it keeps its place in the
    # batch (no usable point, so a failure status) instead of vanishing from the result
    empty = [str(s) for s in long.attrs.get("n_missing", {}) if str(s) not in ids]
    if empty:
        pad = np.zeros((len(empty), t.shape[1]))
        ids, t, y = ids + empty, np.vstack([t, pad]), np.vstack([y, pad])
        mask = np.vstack([mask, np.zeros(pad.shape, dtype=bool)])
    flags = long.attrs.get("percent", {})
    percent = np.array([bool(flags.get(i, False)) for i in ids])
    fitted = spec._fit(t, y, mask, percent)
    if interval == "bootstrap":
        fitted = bootstrap(spec, fitted, t, y, mask, percent, n_boot, random_state)
    has_dates = bool(long["date"].notna().all())
    return BatchFitResult(
        spec=spec, series_ids=tuple(ids), t=t, y=y, mask=mask, has_dates=has_dates, fitted=fitted,
        interval=interval, percent=percent, n_missing=dict(long.attrs.get("n_missing", {})),
    )


def fit(
    model: str | Model,
    t: Any,
    y: Any,
    *,
    fixed: Mapping[str, float] | None = None,
    interval: str = "delta",
    n_boot: int = 1000,
    random_state: int | np.random.Generator | None = None,
    percent: bool | None = None,
    name: str | None = None,
) -> FitResult:
    """Fit a model to one adoption series.

    Parameters
    ----------
    model : str or Model
        A name from :func:`growthcast.models` (``"logistic"``, ``"holt"``, ...)
        or a spec such as ``gc.Logistic(fixed={"K": 100})``.
    t : sequence of dates or decimal years
    y : sequence of float
        The values; missing ones (NaN) are dropped and counted.
    fixed : mapping, optional
        Parameters held fixed, e.g. ``{"K": 100}``; merged into the spec's.
    interval : {"delta", "bootstrap", "backtest"}
        How prediction intervals are made (see :mod:`growthcast.uncertainty`).
        ``"backtest"`` calibrates them on the model's own out-of-sample
        errors in a backtest of this series.
    n_boot : int
        Bootstrap replicates, with ``interval="bootstrap"``.
    random_state : int or Generator, optional
        Seed for the bootstrap; the same seed gives the same intervals.
    percent : bool, optional
        Whether ``y`` is a percentage in (0, 100] (forecasts are then kept in
        [0, 100]). By default, whether the name of ``y`` ends in ``_pct``.
    name : str, optional
        The series' name; by default ``y.name``.

    Returns
    -------
    FitResult

    Raises
    ------
    DataError
        Invalid input: the message names the problem. A model that cannot be
        fitted to valid data returns a result whose ``status`` and
        ``message`` say why; asking it for a forecast raises
        :class:`~growthcast.FitError` with that message.

    Examples
    --------
    >>> import growthcast as gc
    >>> df = gc.load_cnnic()
    >>> res = gc.fit("logistic", df["as_of"], df["penetration_pct"], fixed={"K": 100})
    >>> res.converged
    True
    """
    interval = _check_interval(interval)
    spec = _resolve(model, fixed)
    if name is not None:
        y = pd.Series(np.asarray(y), name=name)
    long = series_from_arrays(t, y, percent=percent)
    if interval == "backtest":
        from .backtest import calibrated_fit

        return calibrated_fit(spec, long)
    batch = _fit_batch(spec, long, interval, n_boot, random_state)
    return batch[batch.series_ids[0]]


def fit_many(
    model: str | Model,
    data: pd.DataFrame,
    *,
    date: str = "date",
    value: str = "value",
    series_id: str = "series_id",
    fixed: Mapping[str, float] | None = None,
    interval: str = "delta",
    n_boot: int = 1000,
    random_state: int | np.random.Generator | None = None,
    percent: bool | None = None,
) -> BatchFitResult:
    """Fit one model to many series in one call of the batch core.

    Parameters
    ----------
    model : str or Model
    data : pandas.DataFrame
        Long format: ``series_id, date, value`` (column names configurable),
        or the output of :func:`growthcast.from_frame`.
    date, value, series_id : str
        Column names.
    fixed, interval, n_boot, random_state, percent
        As in :func:`fit`.

    Returns
    -------
    BatchFitResult
        ``many.params`` and ``many.status`` have one row per series;
        ``many["online_video"]`` is that series' :class:`FitResult`. A series
        that cannot be fitted gets a failure status and never changes the
        others' results.
    """
    interval = _check_interval(interval)
    if interval == "backtest":
        raise DataError("interval='backtest' is available in fit(); calibrate each series with gc.backtest")
    spec = _resolve(model, fixed)
    long = as_long(data, date=date, value=value, series_id=series_id, percent=percent)
    return _fit_batch(spec, long, interval, n_boot, random_state)
