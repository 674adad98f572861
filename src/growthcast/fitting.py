"""``fit``, ``fit_many`` and ``fit_arrays``: pandas (or arrays) in, immutable results out.

All go through one path: the series become padded arrays of shape
``(n_series, n_points)`` with a mask, and the model fits them all in one call.
``fit`` is ``fit_many`` with one series, except that a curve fitted to plain
arrays takes a shorter route to the same numbers (:func:`_fit_lone`).
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from typing import Any, Mapping

import numpy as np
import pandas as pd

from ._numerics.lone import fit_one
from .data import plain_series, series_from_arrays, validated
from .errors import DataError, short_list
from .frequency import increasing_steps, resolve_freq
from .intervals import MIN_CALIBRATION_ERRORS
from .models import Calibration, CurveModel, Fitted, Model, get_model, require_residual_dof
from .panel import PARTITION_WIDTHS, Panel, panel_of, panel_of_arrays
from .progress import progress_bar
from .results import BatchFitResult, FitResult
from .uncertainty import INTERVALS, bootstrap

__all__ = ["fit", "fit_many", "fit_arrays"]

#: Steps ahead calibrated by interval="backtest"; beyond the last, its errors are used.
CALIBRATION_HORIZONS = 6
#: Training points of the first origin of the calibrating backtest (fewer for a short series).
CALIBRATION_MIN_TRAIN = 10


def _resolve(model: str | Model, fixed: Mapping[str, float] | None) -> Model:
    spec = get_model(model)
    return spec.with_fixed(fixed) if fixed else spec


def _check_interval(interval: str) -> str:
    if interval not in INTERVALS:
        raise DataError(f"interval must be one of {list(INTERVALS)}, got {interval!r}")
    return interval


#: Elements (series x points of the padded arrays) per block of series that ``fit_many`` hands to a model at
#: once: a model's working memory (``auto`` needs about 5 kB per element, under 1 GB a block) stays bounded
#: whatever the batch, at no measurable cost to the curves (the solver's own blocks are smaller).
FIT_CHUNK_ELEMENTS = 2**17


def _concat(parts: list) -> Any:
    """Blocks of a batch (arrays with the batch on axis 0, Fitted, tuples of Fitted) joined back together."""
    first = parts[0]
    if isinstance(first, np.ndarray):
        width = [max(part.shape[k] for part in parts) for k in range(1, first.ndim)]
        if any(part.shape[1:] != tuple(width) for part in parts):  # e.g. regular grids of other lengths: pad
            fill = np.nan if first.dtype.kind in "fc" else 0
            parts = [np.pad(part, [(0, 0)] + [(0, w - s) for w, s in zip(width, part.shape[1:])],
                            constant_values=fill) for part in parts]
        return np.concatenate(parts, axis=0)
    if is_dataclass(first) and not isinstance(first, type) and not isinstance(first, Fitted):
        return type(first)(**{f.name: _concat([getattr(part, f.name) for part in parts]) for f in fields(first)})
    if isinstance(first, Fitted):
        return _concat_fitted(parts)
    if isinstance(first, tuple) and first and all(isinstance(v, Fitted) for v in first):
        return tuple(_concat_fitted([part[k] for part in parts]) for k in range(len(first)))
    if first is None and all(part is None for part in parts):
        return None
    raise TypeError(f"cannot join blocks of a batch holding {type(first).__name__}")


def _concat_fitted(parts: list[Fitted]) -> Fitted:
    if len(parts) == 1:
        return parts[0]
    values = {f.name: _concat([getattr(part, f.name) for part in parts]) for f in fields(Fitted) if f.name != "state"}
    state = {k: _concat([part.state[k] for part in parts]) for k in parts[0].state}
    return Fitted(**values, state=state)


def _fit_blocks(spec: Model, p: Panel, progress: bool | None = None) -> Fitted:
    """``spec`` fitted to the panel a block of series at a time (:data:`FIT_CHUNK_ELEMENTS`), then joined.

    Every model treats each series on its own (the batch core gives each
    problem the same bits whatever the batch around it), so the blocks change
    no result; the padded width stays that of the whole panel. A progress
    bar (:mod:`growthcast.progress`) counts the blocks; it never changes them.
    """
    B, N = p.t.shape
    size = max(1, FIT_CHUNK_ELEMENTS // max(N, 1))
    if B <= size or not spec.batch_independent:
        with progress_bar(progress, B, "fit_many", "series") as bar:
            fitted = spec.fit_arrays(p.t, p.y, p.mask, p.percent)
            bar.advance(B)
        return fitted
    parts, leaves, rebuild, done = [], None, None, 0
    with progress_bar(progress, B, "fit_many", "series") as bar:
        for c in (slice(i, min(i + size, B)) for i in range(0, B, size)):
            part_leaves, part_rebuild = _flatten(spec.fit_arrays(p.t[c], p.y[c], p.mask[c], p.percent[c]))
            if c.start == 0 and not parts:  # room for every series, so that no block is kept beside the whole
                leaves = [np.empty((B,) + x.shape[1:], dtype=x.dtype) for x in part_leaves]
                rebuild = part_rebuild
            if leaves is not None and len(part_leaves) == len(leaves) and all(
                    x.shape[1:] == w.shape[1:] and x.dtype == w.dtype for x, w in zip(part_leaves, leaves)):
                for w, x in zip(leaves, part_leaves):
                    w[c] = x
                done = c.stop
            else:  # a block of another shape (e.g. regular grids of other lengths): joined at the end, padded
                if leaves is not None:
                    parts, leaves = [rebuild([w[:done] for w in leaves])], None
                parts.append(part_rebuild(part_leaves))
            bar.advance(c.stop - c.start)
    return rebuild(leaves) if leaves is not None else _concat_fitted(parts)


def _flatten(fitted: Any) -> tuple[list[np.ndarray], Any]:
    """A block's fit (:func:`_concat`'s kinds) as its arrays, and the function that builds it again from such."""
    if isinstance(fitted, np.ndarray):
        return [fitted], lambda leaves: leaves[0]
    if fitted is None:
        return [], lambda leaves: None
    if isinstance(fitted, Fitted):
        names = [f.name for f in fields(Fitted) if f.name != "state"]
        keys = list(fitted.state)
        children = [getattr(fitted, n) for n in names] + [fitted.state[k] for k in keys]

        def build(values: list) -> Any:
            return Fitted(**dict(zip(names, values[:len(names)])), state=dict(zip(keys, values[len(names):])))
    elif is_dataclass(fitted) and not isinstance(fitted, type):
        names = [f.name for f in fields(fitted)]
        children, kind = [getattr(fitted, n) for n in names], type(fitted)

        def build(values: list) -> Any:
            return kind(**dict(zip(names, values)))
    elif isinstance(fitted, tuple) and all(isinstance(v, Fitted) for v in fitted):
        children, build = list(fitted), tuple
    else:
        raise TypeError(f"cannot join blocks of a batch holding {type(fitted).__name__}")
    flat = [_flatten(child) for child in children]
    bounds = np.cumsum([0] + [len(child_leaves) for child_leaves, _ in flat])

    def rebuild(leaves: list) -> Any:
        return build([make(leaves[i:j]) for (_, make), i, j in zip(flat, bounds[:-1], bounds[1:])])

    return [x for child_leaves, _ in flat for x in child_leaves], rebuild


def _fit_batch(
    spec: Model, p: Panel, interval: str, n_boot: int, random_state: Any, freq: Any = None,
    progress: bool | None = False,
) -> BatchFitResult:
    steps = resolve_freq(freq, len(p.ids))
    fitted = require_residual_dof(_fit_blocks(spec, p, progress))
    if interval == "bootstrap":
        fitted = bootstrap(spec, fitted, p.t, p.y, p.mask, p.percent, n_boot, random_state)
    elif interval == "backtest":
        fitted = fitted.replace(calibration=_calibration(spec, _long_frame(p), p.ids))
    return BatchFitResult(
        spec=spec, series_ids=p.ids, t=p.t, y=p.y, mask=p.mask, has_dates=p.has_dates, fitted=fitted,
        interval=interval, percent=p.percent, n_missing=p.n_missing,
        step=None if steps is None else steps[0], months=None if steps is None else steps[1],
    )


def _long_frame(p: Panel) -> pd.DataFrame:
    """The panel as a validated long frame (``series_id, date, t, value``), for the calibrating backtest."""
    rows, cols = np.nonzero(p.mask)
    t = p.t[rows, cols]  # no dates: the times as they were fitted, to the last bit
    long = pd.DataFrame({"series_id": p.ids.take(rows), "date": pd.DatetimeIndex(np.full(len(t), np.datetime64("NaT", "us"))),
                         "t": t, "value": p.y[rows, cols]})
    long.attrs["percent"] = dict(zip(p.ids.tolist(), p.percent.tolist()))
    return long


def _calibration(spec: Model, long: pd.DataFrame, ids: pd.Index) -> Calibration:
    """The out-of-sample errors of ``spec`` by horizon, from a backtest of every series at once.

    Expanding windows from ``CALIBRATION_MIN_TRAIN`` points (fewer, down to
    the parameters plus one, for short series) forecast ``1 ..
    CALIBRATION_HORIZONS`` steps ahead. Horizons are kept from the first
    while every series has :data:`~growthcast.intervals.MIN_CALIBRATION_ERRORS`
    errors there; the intervals then use :func:`growthcast.intervals.conformal_quantiles`.
    """
    from .backtest import backtest  # imported here: a plain fit does not load the backtest machinery

    counts = long.groupby("series_id", sort=False)["t"].size()
    n = int(counts.reindex(ids).fillna(0).min())
    floor = max(3, len(spec.param_names) + 1)
    min_train = max(min(CALIBRATION_MIN_TRAIN, n - CALIBRATION_HORIZONS), floor)
    H = min(CALIBRATION_HORIZONS, n - min_train)
    need = floor + MIN_CALIBRATION_ERRORS
    if H < 1 or n - min_train < MIN_CALIBRATION_ERRORS:
        raise DataError(f"too short for interval='backtest': {n} points; calibrating {spec.name!r} needs at least "
                        f"{need} (a first training window of {floor} and {MIN_CALIBRATION_ERRORS} errors one step ahead)")
    bt = backtest(long, models=[spec], min_train=min_train, horizons=range(1, H + 1), level=0.5)
    fc = bt.forecasts
    fc = fc[fc["error"].notna()]
    E = max(int(fc.groupby(["series_id", "horizon"]).size().max()), 1) if len(fc) else 1
    table = np.full((len(ids), H, E), np.nan)
    row = pd.Index(ids).get_indexer(fc["series_id"].to_numpy())
    h = fc["horizon"].to_numpy().astype(int) - 1
    slot = fc.groupby(["series_id", "horizon"], sort=False).cumcount().to_numpy()
    table[row, h, slot] = fc["error"].to_numpy()
    # keep the leading horizons where every series has enough errors for the rule
    enough = (np.isfinite(table).sum(axis=2) >= MIN_CALIBRATION_ERRORS).all(axis=0)
    usable = int(np.argmin(enough)) if not enough.all() else H
    if usable == 0:
        raise DataError(f"too short for interval='backtest': {spec.name!r} has fewer than {MIN_CALIBRATION_ERRORS} "
                        "out-of-sample errors one step ahead in at least one series")
    t = long.sort_values(["series_id", "t"])
    step = t.groupby("series_id", sort=False)["t"].apply(lambda s: float(np.median(np.diff(s))) if len(s) > 1 else 0.5)
    return Calibration(errors=table[:, :usable], step=step.reindex(ids).to_numpy(dtype=float))


def fit(
    model: str | Model,
    t: Any,
    y: Any = None,
    *,
    date: str = "date",
    value: str = "value",
    series_id: str = "series_id",
    fixed: Mapping[str, float] | None = None,
    interval: str = "delta",
    n_boot: int = 1000,
    random_state: int | np.random.Generator | None = None,
    percent: Any = None,
    name: Any = None,
    freq: str | float | None = None,
) -> FitResult:
    """Fit a model to one adoption series.

    Parameters
    ----------
    model : str or Model
        A name from :func:`growthcast.available_models` (``"logistic"``, ``"holt"``, ...)
        or a spec such as ``gc.Logistic(fixed={"K": 100})``.
    t : sequence of dates or decimal years, or pandas.DataFrame
        The times; or a frame holding the series, as for :func:`fit_many`
        (with ``y`` left out).
    y : sequence of float
        The values; missing ones (NaN) are dropped and counted. A column of
        a validated frame (:func:`growthcast.from_frame`) of one series
        brings that series' name and percentage flag.
    date, value, series_id : str
        Column names, when ``t`` is a frame (see :func:`fit_many`).
    fixed : mapping, optional
        Parameters held fixed, e.g. ``{"K": 100}``; merged into the spec's.
    interval : {"delta", "bootstrap", "backtest"}
        How prediction intervals are made (see :mod:`growthcast.uncertainty`).
        ``"backtest"`` calibrates them on the model's own out-of-sample
        errors in a backtest of the series (expanding windows from 10 points,
        1 to 6 steps ahead; the split-conformal rule of
        :func:`growthcast.intervals.conformal_quantiles`, which needs 5 errors
        at a horizon).
    n_boot : int
        Bootstrap replicates, with ``interval="bootstrap"``.
    random_state : int or Generator, optional
        Seed for the bootstrap; the same seed gives the same intervals.
    percent : bool, optional
        Whether ``y`` is a percentage in [0, 100] (forecasts are then kept in
        [0, 100]). By default, whether the name of ``y`` (or of the frame's
        value column, or the series id) ends in ``_pct``. With a frame, any
        form :func:`fit_many` takes (a list of ids, a column name).
    name : str, optional
        The series' name; by default ``y.name``. With a frame of several
        series, the id of the one to fit.
    freq : str or float, optional
        The step of forecasts, the unit of ``forecast(steps=...)``:
        ``"yearly"``, ``"half-yearly"``, ``"quarterly"``, ``"monthly"`` (or
        ``"Y"``, ``"6M"``, ``"Q"``, ``"M"``), or a number of years. By default
        inferred from the median spacing of the observations.

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

    A frame works as in :func:`fit_many`:

    >>> res = gc.fit("logistic", df, date="as_of", value="penetration_pct")
    >>> res.series_id, res.percent
    ('penetration_pct', True)
    """
    interval = _check_interval(interval)
    spec = _resolve(model, fixed)
    if isinstance(t, pd.DataFrame):
        if y is not None:
            raise DataError("fit takes either a frame or t and y; got a frame and y")
        p = panel_of(validated(t, date=date, value=value, series_id=series_id, percent=percent))
        if len(p.ids) > 1:
            if name is None:
                raise DataError(f"the frame holds {len(p.ids)} series ({short_list(p.ids[:9].tolist())}); fit "
                                "one with name=<its id>, or all of them with gc.fit_many")
            b = p.ids.get_indexer([name])[0] if not isinstance(p.ids, pd.MultiIndex) else -1
            if b < 0:
                raise DataError(f"name: no series {name!r} in the frame; it has {short_list(p.ids[:9].tolist())}")
            p = p.row(b)
    else:
        if y is None:
            raise DataError("fit needs the values y beside the times t (or a frame in place of both)")
        # name= is passed on, not set on a copy of y: a copy would lose y's index and a validated column's flag
        lone = _fit_lone(spec, t, y, percent, freq, name) if interval == "delta" else None
        if lone is not None:
            return lone
        p = panel_of(series_from_arrays(t, y, name=name, percent=percent))
    batch = _fit_batch(spec, p, interval, n_boot, random_state, freq)
    return batch[batch.series_ids[0]]


def _fit_lone(spec: Model, t: Any, y: Any, percent: bool | None, freq: Any, name: Any = None) -> FitResult | None:
    """``fit`` of a curve to plain arrays that it fits, without the batch machinery; None otherwise.

    The batch core on one series spends nearly all its time in per-call
    overhead (frames, padding, arrays of one row). This route validates the
    common case on arrays (:func:`growthcast.data.plain_series`) and runs
    :func:`growthcast._numerics.lone.fit_one`, the batch core's arithmetic
    on 1-D arrays, which gives the batch's numbers to the last bit. Whatever
    it does not cover (other models and intervals, input that needs the full
    checks, a fit that fails or that ``CurveModel.fit_arrays`` would flag as
    implausible) returns None, and ``fit`` takes the batch path, whose
    results, statuses and messages are the reference.
    """
    if not isinstance(spec, CurveModel) or type(spec).fit_arrays is not CurveModel.fit_arrays:
        return None
    if spec.fixed and any(k in spec.fixed for k in spec.curve.time):  # a fixed time may be far away: the batch's check
        return None
    data = plain_series(t, y, percent=percent, name=name)
    if data is None:
        return None
    steps = resolve_freq(freq, 1)
    step, months = increasing_steps(data.t) if steps is None else (float(steps[0][0]), int(steps[1][0]))
    t, y = data.t, data.y
    if spec._fixed_one_matches():  # _fixed_array on Python floats
        fixed = spec._fixed_one(float(t[0]))
    else:
        fixed = spec._fixed_array(t[None, :], np.ones((1, len(t)), dtype=bool))[0].tolist()
    fit = fit_one(spec.curve, t, y, fixed)
    if fit is None or spec._implausible_one(fit.params, fit.status, fit.top):  # the batch flags it
        return None
    P = len(fit.params)
    floats = np.array(fit.params + [x for row in fit.cov for x in row] + [fit.sigma2, fit.sse, t[-1], y[-1]])
    n_obs, n_params, n_iter, status = np.array([[fit.n_obs], [fit.n_free], [fit.n_iter], [fit.status]])
    fitted = Fitted(
        params=floats[:P].reshape(1, P), cov=floats[P:P + P * P].reshape(1, P, P),
        sigma2=floats[-4:-3], sse=floats[-3:-2], n_obs=n_obs, n_params=n_params, n_iter=n_iter, status=status,
        t_last=floats[-2:-1], y_last=floats[-1:], percent=np.array([data.percent]),
        message=np.array([""], dtype=object),
    )
    return FitResult(
        spec=spec, series_id=data.name, t=t, y=y, has_dates=data.has_dates, fitted=fitted,
        interval="delta", percent=data.percent, n_missing=data.n_missing,
        step=step, months=months,
    )


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
    percent: Any = None,
    freq: str | float | None = None,
    progress: bool | None = None,
) -> BatchFitResult:
    """Fit one model to many series in one call of the batch core.

    Parameters
    ----------
    model : str or Model
    data : pandas.DataFrame or dask.dataframe.DataFrame
        Long format: ``series_id, date, value`` (column names configurable),
        or the output of :func:`growthcast.from_frame`. A Dask DataFrame is
        fitted a partition of series at a time (:mod:`growthcast.distributed`).
    date, value, series_id : str
        Column names. Without a ``series_id`` (or ``unique_id``) column the
        frame is one series; another ``series_id`` must name a column.
    percent : bool, list of ids, str or mapping, optional
        Which series are percentages: ``True``/``False`` for all, a list of
        series ids, or the name of a boolean column (see
        :func:`growthcast.from_frame`). By default a series is one when the
        value column's name or its id ends in ``_pct``.
    fixed, interval, n_boot, random_state, freq
        As in :func:`fit` (the frequency is inferred per series).
    progress : bool, optional
        A progress bar on stderr once the fit has run for two seconds: by
        default only when stderr is a terminal; ``True`` forces it,
        ``False`` turns it off. It never changes the results.

    Returns
    -------
    BatchFitResult
        ``many.params`` and ``many.status`` have one row per series;
        ``many["online_video"]`` is that series' :class:`FitResult`. A series
        that cannot be fitted gets a failure status and never changes the
        others' results. Series come in the order of their first row in
        ``data``, and ids keep their type (``many[101]`` for integer ids).

    See Also
    --------
    fit_arrays : the same for series already held as (series, points) arrays.
    """
    if type(data).__module__.split(".")[0] == "dask":  # a Dask DataFrame: one batch per partition of series
        from . import distributed  # loaded only for one (a faster start for everything else)

        return distributed.fit_many(fit_many, model, data, date=date, value=value, series_id=series_id, fixed=fixed,
                                    interval=interval, n_boot=n_boot, random_state=random_state, percent=percent,
                                    freq=freq, progress=False)
    interval = _check_interval(interval)
    spec = _resolve(model, fixed)
    widths = PARTITION_WIDTHS.get()  # a partition of a Dask frame pads to the whole frame's width (same bits)
    p = panel_of(validated(data, date=date, value=value, series_id=series_id, percent=percent),
                 1 if widths is None else widths[0])
    return _fit_batch(spec, p, interval, n_boot, random_state, freq, progress=progress)


def fit_arrays(
    model: str | Model,
    t: Any,
    y: Any,
    mask: Any = None,
    *,
    ids: Any = None,
    percent: Any = False,
    fixed: Mapping[str, float] | None = None,
    interval: str = "delta",
    n_boot: int = 1000,
    random_state: int | np.random.Generator | None = None,
    freq: str | float | None = None,
    progress: bool | None = None,
) -> BatchFitResult:
    """Fit one model to series already held as ``(series, points)`` arrays.

    The entry point for callers that have arrays rather than a long frame:
    no frame is built and nothing is done per row or per series in Python.
    The result is the :class:`~growthcast.BatchFitResult` that
    :func:`fit_many` gives for the same series.

    Parameters
    ----------
    model : str or Model
    t : array_like, shape (B, N) or (N,)
        Times as numbers (decimal years, or any unit of your own); one row
        ``(N,)`` is shared by every series.
    y : array_like, shape (B, N)
        Values, non-negative; a 1-D ``y`` is one series.
    mask : array_like of bool, shape (B, N), optional
        Which points are observed; by default those where ``y`` is not NaN.
        The observed points need not be sorted or packed to the left.
    ids : sequence, optional
        One id per series (default ``0 .. B-1``), of any hashable type.
    percent : bool or array_like of bool, optional
        Whether the series are percentages in [0, 100], for all or one flag
        per series.
    fixed, interval, n_boot, random_state, freq
        As in :func:`fit`.
    progress : bool, optional
        As in :func:`fit_many`.

    Returns
    -------
    BatchFitResult

    Raises
    ------
    DataError
        Arrays of other shapes, non-finite times, negative, infinite or too
        large values, percentages outside [0, 100], or a time repeated within
        a series, where the mask says a point is observed.

    Examples
    --------
    >>> import numpy as np
    >>> import growthcast as gc
    >>> t = 2000 + 0.5 * np.arange(20)
    >>> y = np.vstack([80 / (1 + np.exp(-0.6 * (t - 2005))), 50 / (1 + np.exp(-0.9 * (t - 2004)))])
    >>> many = gc.fit_arrays("logistic", t, y, ids=["a", "b"])
    >>> many["b"].params.round(3).tolist()
    [50.0, 0.9, 2004.0]
    """
    interval = _check_interval(interval)
    spec = _resolve(model, fixed)
    return _fit_batch(spec, panel_of_arrays(t, y, mask, ids=ids, percent=percent), interval, n_boot, random_state, freq,
                      progress=progress)
