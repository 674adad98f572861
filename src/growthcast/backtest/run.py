"""Backtests against held-out observations, and intervals calibrated by them.

"Had I used model X at origin k, how wrong would its forecasts of the next
h steps have been?" :func:`backtest` answers it for every origin at once.

Origins and targets
-------------------
An *origin* is an observed point of a series with at least ``min_train``
observed points up to and including it (missing values are skipped, never
interpolated), optionally within a date range (``origins=``). Its
*targets* are the points actually observed after it; the ``horizon`` of a
target is the number of steps ahead in the data's own unit of time
(:func:`.layout.positions`: the edition column where the data have one, as
the CNNIC frame does; else each series' frequency, so yearly data are
scored years ahead; else the count of observations), and ``years_ahead``
the elapsed time, so the irregular March 2020 CNNIC edition needs no
special case.

One batch per model
-------------------
For each model the training windows of all (series, origin) pairs are rows
of one ``(n_rows, n_points)`` array, masked to the window, fitted by ONE
call of the model's ``_fit`` and predicted at the targets by ONE call of its
``_predict``: no Python loop over origins or series for the curves, the
closed-form trends and the baselines (statsmodels models loop inside their
own ``_fit``).

Scoring
-------
The tidy :attr:`Backtest.forecasts` frame is the single source every score
is computed from (:mod:`growthcast.metrics`): ``scores``, ``leaderboard``,
``compare`` (Diebold-Mariano), ``saturation`` (ceiling drift). Calibrated
(``"backtest"``) intervals and ``ensemble_weighted`` weights at an origin use
only forecasts whose target date is at or before that origin: no look-ahead.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from .. import distributed, errors
from .._frozen import FrozenMap
from .._checks import as_list, check_horizons, check_int, check_levels
from ..data import to_decimal_year
from ..errors import DataError, short_list
from ..intervals import MIN_CALIBRATION_ERRORS, conformal_quantiles
from ..models import Ensemble, Model, get_model, model_names, require_residual_dof
from ..panel import PARTITION_WIDTHS, Panel, backtest_panel
from ..progress import progress_bar
from ..uncertainty import bootstrap, check_n_boot, predict_interval, saturation_interval, stderr
from .layout import Layout, by_horizon, first_pass, from_horizon, layout, later_max, origin_history, positions
from .scoring import Backtest

__all__ = ["backtest", "DEFAULT_MODELS", "DEFAULT_MEMBERS", "WEIGHTED"]

#: The models of the default backtest: every curve, closed-form trend and baseline.
DEFAULT_MODELS: tuple[str, ...] = (
    "logistic", "gompertz", "richards", "bass", "linear", "quadratic", "exponential", "logit_linear",
    "naive", "drift",
)
#: The name of the combination weighted by past out-of-sample errors (backtest only).
WEIGHTED = "ensemble_weighted"
#: The members of ensemble_weighted by default: those of the median ensemble.
DEFAULT_MEMBERS: tuple[str, ...] = Ensemble().members
_BACKTEST_INTERVALS = ("delta", "bootstrap", "backtest")


def _check_models(models: Any, members: Any) -> tuple[list[tuple[str, Model | None]], tuple[str, ...]]:
    if isinstance(models, (str, Model)):
        models = [models]
    models = list(models)
    if not models:
        raise DataError("`models` must name at least one model")
    known = sorted(model_names()) + [WEIGHTED]
    unknown = [m for m in models if not isinstance(m, Model) and m not in known]
    if unknown:
        raise DataError(f"unknown model(s) {short_list(unknown)}; choose from {known}")
    out: list[tuple[str, Model | None]] = []
    for m in models:
        spec = None if m == WEIGHTED else get_model(m)
        label = m if isinstance(m, str) else spec.name
        if any(label == lab for lab, _ in out):
            if isinstance(m, str):
                continue  # a name given twice
            label = repr(spec)
        out.append((label, spec))
    members = tuple(as_list(members))
    if any(s is None for _, s in out):
        if len(members) < 2:
            raise DataError(f"{WEIGHTED} needs at least two members, got {list(members)}")
        bad = [m for m in members if m not in model_names() or m.startswith("ensemble")]
        if bad:
            raise DataError(f"{WEIGHTED}: members must be named single models, got {short_list(bad)}")
    return out, members


@dataclass(frozen=True)
class _Output:
    """One model's forecasts over the layout: arrays (R, M), plus per-row fit results."""

    mean: np.ndarray
    bounds: dict  # (interval kind, level) -> (lower, upper)
    status: np.ndarray  # (R,)
    message: np.ndarray | None = None  # (R,) object: the fit's reason, "" where the status code's message applies
    params: np.ndarray | None = None  # (R, P)
    stderr: np.ndarray | None = None
    param_names: tuple[str, ...] = ()
    saturation: dict | None = None  # level -> (name, value, lower, upper), each (R,)


def _clip(values: np.ndarray, percent: np.ndarray) -> np.ndarray:
    hi = np.where(percent, 100.0, np.inf)[:, None]
    return np.clip(values, 0.0, hi)


def _run_model(
    spec: Model, p: Panel, lay: Layout, levels: Sequence[float], kinds: Sequence[str], n_boot: int,
    random_state: Any,
) -> _Output:
    """ONE ``_fit`` of every (series, origin) row, then ONE prediction at the targets per level."""
    width = lay.train.shape[1]
    t = p.t[lay.rs, :width]
    y = p.y[lay.rs, :width]
    pct = p.percent[lay.rs]
    bounds, sat = {}, {}
    with np.errstate(all="ignore"):  # failures come back as statuses
        fitted = require_residual_dof(spec.fit_arrays(t, y, lay.train, pct))
        boot = bootstrap(spec, fitted, t, y, lay.train, pct, n_boot, random_state) if "bootstrap" in kinds else None
        for level in levels:
            mean, lower, upper = predict_interval(spec, fitted, lay.t_new, level, "delta")
            bounds["delta", level] = (lower, upper)
            if boot is not None:
                _, blo, bhi = predict_interval(spec, boot, lay.t_new, level, "bootstrap")
                bounds["bootstrap", level] = (blo, bhi)
            if spec.saturation_param is not None:
                sat[level] = (spec.saturation_param, *saturation_interval(spec, fitted, level))
    failed = (fitted.status < 0)[:, None]
    mean = _clip(np.where(failed, np.nan, mean), pct)
    bounds = {k: (_clip(np.where(failed, np.nan, lo), pct), _clip(np.where(failed, np.nan, hi), pct))
              for k, (lo, hi) in bounds.items()}
    return _Output(mean=mean, bounds=bounds, status=np.asarray(fitted.status), message=fitted.message,
                   params=np.asarray(fitted.params), stderr=stderr(fitted), param_names=tuple(spec.param_names),
                   saturation=sat or None)


def _calibrated_bounds(mean: np.ndarray, lay: Layout, horizons: tuple[int, ...], level: float):
    """Split-conformal bounds at each origin from the model's own past errors (target <= origin).

    The rule of :func:`growthcast.intervals.conformal_quantiles`, as in ``fit(interval="backtest")``:
    at an origin, the bounds are those a fit to the data up to the origin gets.
    """
    err_h = by_horizon(lay.actual - mean, lay, horizons)
    R, H = err_h.shape
    lo_h = np.full((R, H), np.nan)
    hi_h = np.full((R, H), np.nan)
    for rows, past in origin_history(err_h, lay, horizons):
        lo_h[rows], hi_h[rows] = conformal_quantiles(np.moveaxis(past, 1, -1), level,
                                                     min_errors=MIN_CALIBRATION_ERRORS)
    return mean + from_horizon(lo_h, lay, horizons), mean + from_horizon(hi_h, lay, horizons)


def _weighted(
    outs: Sequence[_Output], lay: Layout, horizons: tuple[int, ...]
) -> tuple[_Output, np.ndarray]:
    """Members combined with weights 1 / (past out-of-sample MSE at the same horizon).

    At each origin only the member forecasts whose target date is at or
    before the origin count. Members without a forecast are left out; when a
    taking part member has no past error at that horizon yet, the weights
    are equal. Returns the combination and the weights (R, M, members).
    """
    means = np.stack([o.mean for o in outs], axis=-1)  # (R, M, K)
    sq_h = np.stack([by_horizon((lay.actual - o.mean) ** 2, lay, horizons) for o in outs], axis=-1)  # (R, H, K)
    R, H, K = sq_h.shape
    mse_h = np.full((R, H, K), np.nan)
    for rows, past in origin_history(sq_h, lay, horizons):
        n = (~np.isnan(past)).sum(axis=1)
        total = np.where(np.isnan(past), 0.0, past).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            mse_h[rows] = np.where(n > 0, total / np.maximum(n, 1), np.nan)
    mse = from_horizon(mse_h, lay, horizons)  # (R, M, K)
    present = np.isfinite(means)
    history = np.all(np.isfinite(mse) | ~present, axis=-1, keepdims=True)
    zero = present & (mse == 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        inverse = np.where(zero.any(axis=-1, keepdims=True), zero.astype(float), 1.0 / mse)
    raw = np.where(present, np.where(history, inverse, 1.0), 0.0)
    total = raw.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(total > 0, raw / total, np.nan)
    w = np.where(lay.valid[..., None], w, np.nan)

    def combine(parts: np.ndarray) -> np.ndarray:
        ok = np.isfinite(parts) & (w > 0)
        wsum = np.where(ok, w, 0.0).sum(axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(wsum > 0, np.where(ok, parts * w, 0.0).sum(axis=-1) / wsum, np.nan)

    mean = combine(means)
    bounds = {}
    for key in outs[0].bounds:  # (kind, level); "backtest" bounds are calibrated afterwards
        lo = combine(np.stack([o.bounds[key][0] for o in outs], axis=-1))
        hi = combine(np.stack([o.bounds[key][1] for o in outs], axis=-1))
        bounds[key] = (lo, hi)
    ok = np.stack([o.status >= 0 for o in outs]).any(axis=0)
    status = np.where(ok, errors.CONVERGED_EXACT, errors.FAILED_MODEL)
    message = np.where(ok, "", "failed: every member failed").astype(object)
    return _Output(mean=mean, bounds=bounds, status=status, message=message), w



# ====================================================================== backtest()
def _origin_bound(value: Any, end: bool) -> float:
    """One end of ``origins`` as a decimal year; a partial date string covers its whole period."""
    if value is None:
        return np.inf if end else -np.inf
    if isinstance(value, str):
        try:
            period = pd.Period(value.strip())
        except (ValueError, TypeError):
            raise DataError(f"origins: expected dates such as '2008' or '2017-12-31', or decimal years, "
                            f"got {value!r}") from None
        if end:  # up to the end of the period: just before the next one starts
            return float(to_decimal_year([(period + 1).start_time], what="origins")[0]) - 1e-9
        value = period.start_time
    if isinstance(value, (bool, np.bool_)):
        raise DataError(f"origins: expected dates or decimal years, got {value!r}")
    if isinstance(value, (int, float, np.integer, np.floating)):
        if not np.isfinite(value):
            raise DataError(f"origins: expected finite dates or decimal years, got {value!r}")
        return float(value)
    return float(to_decimal_year([value], what="origins")[0])


def _origin_range(origins: Any) -> tuple[float, float]:
    if origins is None:
        return -np.inf, np.inf
    if isinstance(origins, (str, bytes)) or not np.iterable(origins) or len(origins) != 2:
        raise DataError(f"origins: expected a (first, last) pair such as ('2008', '2017'), got {origins!r}")
    lo, hi = _origin_bound(origins[0], end=False), _origin_bound(origins[1], end=True)
    if lo > hi:
        raise DataError(f"origins: the first origin {origins[0]!r} is after the last {origins[1]!r}")
    return lo, hi


def backtest(
    data: pd.DataFrame,
    series: str | Sequence[str] | None = None,
    models: Sequence[str | Model] | str | Model = DEFAULT_MODELS,
    min_train: int = 10,
    horizons: Iterable[int] = range(1, 7),
    window: str = "expanding",
    window_size: int | None = None,
    level: float | Sequence[float] = 0.8,
    date: str | None = None,
    *,
    origins: tuple[Any, Any] | None = None,
    freq: str | float | None = None,
    value: str = "value",
    series_id: str = "series_id",
    edition: str | None = "edition",
    percent: bool | None = None,
    intervals: str | Sequence[str] = ("delta",),
    members: Sequence[str] = DEFAULT_MEMBERS,
    n_boot: int = 200,
    random_state: int | np.random.Generator | None = None,
    progress: bool | None = None,
) -> Backtest:
    """Refit each model at every origin and score its forecasts of the later observations.

    An *origin* is an observed point with at least ``min_train`` observed
    points up to and including it (optionally within the ``origins`` date
    range); its *targets* are the points observed ``h`` steps later, for
    ``h`` in ``horizons``. Steps count in the data's own unit of time: the
    ``edition`` column where the data have one (the CNNIC report editions),
    else each series' frequency (inferred from the median spacing, or
    ``freq``): yearly data are scored 1, 2, ... years ahead, quarterly data
    quarters ahead. A series without a regular frequency (or with two
    observations within one step of it) counts observations instead.

    Parameters
    ----------
    data : pandas.DataFrame or dask.dataframe.DataFrame
        A long frame ``series_id, date, value`` (statsforecast's ``unique_id,
        ds, y`` too), the output of :func:`growthcast.from_frame`, or a wide
        frame with ``series`` naming its value column(s) (``gc.load_cnnic()``:
        one row per report edition, dates in ``as_of``). A long Dask DataFrame
        is backtested a partition of series at a time
        (:mod:`growthcast.distributed`).
    series : str or list of str, optional
        Columns of a wide frame (required there), or the series ids of a
        long frame to keep (all by default).
    models : list of str or Model
        Model names (see :func:`growthcast.available_models`), specs, and
        ``"ensemble_weighted"``: the members' forecasts weighted by the
        inverse of their past out-of-sample mean squared error at the same
        horizon. By default every curve, closed-form trend and baseline.
    min_train : int
        Observed points up to and including an origin, at least. A series
        with fewer than ``min_train + 1`` points has no origin: it is left
        out and listed in :attr:`Backtest.skipped`, and the others are
        backtested as without it; a DataError if every series is that short.
    horizons : iterable of int
        Steps ahead to forecast and score.
    window : {"expanding", "rolling"}
        Train on every point up to the origin, or on the last ``window_size``.
    window_size : int, optional
        Points of a rolling window; ``min_train`` by default.
    level : float or sequence of float
        Coverage probability of the intervals, in (0, 1); several levels
        (``[0.8, 0.95]``) give a row per level (column ``level``).
    date : str, optional
        The date column: ``as_of`` (else ``date``) for a wide frame,
        ``date`` for a long one. Numbers are taken as decimal years.
    origins : (first, last), optional
        Only origins whose time lies in this range (inclusive): dates,
        decimal years, or partial date strings covering their whole period
        as in pandas (``("2008", "2017")`` is 1 January 2008 to 31 December
        2017). Either end may be None. ``min_train`` still applies.
    freq : str or float, optional
        The step of every series: ``"yearly"``, ``"half-yearly"``,
        ``"quarterly"``, ``"monthly"`` (or ``"Y"``, ``"6M"``, ``"Q"``,
        ``"M"``) or a number of years; by default inferred per series.
        Ignored where the data have an ``edition`` column.
    value, series_id, edition : str
        Column names of a long frame (``edition`` is optional: report
        editions, whole numbers increasing with the date).
    percent : bool, optional
        Whether the series are percentages (forecasts kept in [0, 100]); by
        default those whose name ends in ``_pct``.
    intervals : str or sequence of {"delta", "bootstrap", "backtest"}
        The interval kinds scored side by side (a row per kind, column
        ``interval``): the models' own (delta-method) intervals, residual
        bootstrap (curves and closed-form trends only; ``n_boot`` replicates
        per fit), and split-conformal intervals calibrated at each origin on
        the model's own errors at the same horizon whose targets are at or
        before the origin (NaN until :data:`~growthcast.intervals.MIN_CALIBRATION_ERRORS` such errors exist).
    members : sequence of str
        The members of ``ensemble_weighted``.
    n_boot : int
    random_state : int or Generator, optional
        Seed of the bootstrap.
    progress : bool, optional
        A progress bar on stderr, per model, once the backtest has run for
        two seconds: by default only when stderr is a terminal; ``True``
        forces it, ``False`` turns it off. It never changes the results.

    Returns
    -------
    Backtest
        Its frames name each origin and target by ``origin_date`` and
        ``target_date`` (``origin_t`` and ``target_t``, decimal years, for
        data given as numbers), plus ``origin_edition`` and
        ``target_edition`` where the data have an edition column.

    Raises
    ------
    DataError
        Bad arguments (horizons, min_train, window, level, intervals,
        origins, freq), an unknown model, a missing column, or a series too
        short for ``min_train``. A fit that fails at an origin is not an
        error: its rows have NaN forecasts beside the failure ``status``.

    Examples
    --------
    >>> import growthcast as gc
    >>> from growthcast.backtest import backtest
    >>> bt = backtest(gc.load_cnnic(), series="penetration_pct", models=["logistic", "drift"])
    >>> sorted(bt.leaderboard()["model"])
    ['drift', 'logistic']
    >>> bt.vintage["last_edition"]
    57

    Yearly data, origins 2008 to 2017, one to six years ahead:

    >>> years = pd.DataFrame({"date": range(1995, 2024), "value": [1.5 * k for k in range(1, 30)]})
    >>> bt = backtest(years, models=["drift"], origins=(2008, 2017), horizons=range(1, 7))
    >>> bt.unit, bt.forecasts["origin_t"].agg(["min", "max"]).tolist(), sorted(bt.forecasts["horizon"].unique().tolist())
    ('yearly steps', [2008.0, 2017.0], [1, 2, 3, 4, 5, 6])
    """
    horizons = check_horizons(horizons)
    min_train = check_int(min_train, "min_train", 2)
    if window not in ("expanding", "rolling"):
        raise DataError(f"window must be 'expanding' or 'rolling', got {window!r}")
    if window == "expanding":
        if window_size is not None:
            raise DataError("window_size applies to window='rolling' only")
        size = 0
    else:
        size = min_train if window_size is None else check_int(window_size, "window_size", 2)
    levels, _ = check_levels(level)
    span = _origin_range(origins)
    kinds = tuple(dict.fromkeys(as_list(intervals)))
    bad = [k for k in kinds if k not in _BACKTEST_INTERVALS]
    if not kinds or bad:
        raise DataError(f"intervals must be among {list(_BACKTEST_INTERVALS)}, got {list(as_list(intervals))}")
    specs, members = _check_models(models, members)
    if "bootstrap" in kinds:
        check_n_boot(get_model("linear"), n_boot)
        unbatched = [label for label, s in specs if s is not None and not s.has_residuals]
        unbatched += [m for m in members if not get_model(m).has_residuals] if any(s is None for _, s in specs) else []
        if unbatched:
            raise DataError(f"interval 'bootstrap' is not available for {short_list(unbatched)}; "
                            "use 'delta' or 'backtest' for those models")

    if distributed.is_dask(data):  # a Dask DataFrame: one batch per partition of series, where Dask runs it
        # partitions are long frames, already narrowed to ``series``: their widths are those of all their series
        widths = partial(_padded_widths, series=None, date=date, value=value, series_id=series_id, edition=edition,
                         percent=percent, freq=freq, min_train=min_train, horizons=horizons, window=window,
                         size=size, span=span, origins=origins)
        check = partial(_check_whole, min_train=min_train, horizons=horizons, origins=origins)
        return distributed.backtest(
            backtest, widths, check, data, series=series, models=models, min_train=min_train, horizons=horizons,
            window=window, window_size=window_size, level=level, date=date, origins=origins, freq=freq, value=value,
            series_id=series_id, edition=edition, percent=percent, intervals=intervals, members=members,
            n_boot=n_boot, random_state=random_state, progress=False)
    p, lay, unit, extent = _panel_layout(data, series, date, value, series_id, edition, percent, freq, min_train,
                                         horizons, window, size, span, origins, PARTITION_WIDTHS.get())
    if lay is None or not len(lay.rs):  # a partition of a Dask frame with no origin (the whole frame has some)
        if extent.reach < 0:  # every series too short: none takes part
            return distributed.Bare((), FrozenMap({"by_series": FrozenMap()}), FrozenMap(), extent.skipped)
        return distributed.Bare(tuple(p.ids), _vintage(p), _percent(p), extent.skipped)

    outputs: dict[str, _Output] = {}
    cache: dict[str, _Output] = {}
    weighted = any(s is None for _, s in specs)
    needed = {repr(s) for _, s in specs if s is not None} | ({repr(get_model(m)) for m in members} if weighted
                                                            else set())
    bar = progress_bar(progress, len(needed), "backtest", "models")

    def run(spec: Model) -> _Output:
        key = repr(spec)
        if key not in cache:
            cache[key] = _run_model(spec, p, lay, levels, kinds, n_boot, random_state)
            bar.advance()
        return cache[key]

    weights = None
    with bar:
        for label, spec in specs:
            if spec is None:
                outputs[label], weights = _weighted([run(get_model(m)) for m in members], lay, horizons)
            else:
                outputs[label] = run(spec)
    for label, out in outputs.items():
        if "backtest" in kinds:
            for level in levels:
                lo, hi = _calibrated_bounds(out.mean, lay, horizons, level)
                out.bounds["backtest", level] = (_clip(lo, p.percent[lay.rs]), _clip(hi, p.percent[lay.rs]))

    return replace(_assemble(p, lay, specs, outputs, weights, members, kinds, levels, min_train, horizons, window,
                             size if window == "rolling" else None, unit), _skipped=extent.skipped)


def _panel_layout(
    data: pd.DataFrame, series: Any, date: str | None, value: str, series_id: str, edition: str | None,
    percent: bool | None, freq: Any, min_train: int, horizons: tuple[int, ...], window: str, size: int,
    span: tuple[float, float], origins: Any, widths: tuple[int, int] | None = None,
) -> tuple[Panel, Layout | None, str, _Extent]:
    """The validated panel, its layout, the unit of its steps and its :class:`_Extent`.

    ``widths`` (a partition of a Dask frame) pads the panel and the training
    windows to at least those widths: the partitions are padded to the
    widths of the whole frame (the largest of theirs), so that the solvers'
    sums give the in-memory call's bits. The checks of the whole frame
    (:func:`_check_whole`) are then left to the caller, and the layout is
    None when every series of the partition is too short or none reaches
    the shortest horizon.
    """
    whole = widths is None
    widths = (1, 1) if whole else widths
    p = backtest_panel(data, series, date, value, series_id, edition, percent, width=widths[0])
    short = p.n < min_train + 1
    skipped = _skipped(p, short, min_train)
    if short.all():
        extent = _Extent(skipped, -1, 0, "")
        if whole:
            _check_whole([extent], min_train, horizons, origins)
        return p, None, "", extent
    if short.any():  # the others are backtested as if the short ones were not there
        p = _without(p, ~short, widths[0])
    pos, units = positions(p, freq)
    unit = ", ".join(dict.fromkeys(units))
    last = p.n - 1
    reach = int((pos[np.arange(len(p.ids)), last] - pos[:, 0]).max())
    if whole and max(horizons) > reach:  # before the layout, whose arrays are max(horizons) wide
        _check_whole([_Extent(skipped, reach, 0, unit)], min_train, horizons, origins)
    # a partition's series reach no further: its layout without the horizons beyond (the same rows; the whole
    # frame's check fails if no series reaches them)
    reached = tuple(h for h in horizons if h <= reach)
    lay = layout(p, pos, min_train, reached, window, size, span, width=widths[1]) if reached else None
    extent = _Extent(skipped, reach, len(lay.rs) if lay is not None else 0, unit)
    if whole:
        _check_whole([extent], min_train, horizons, origins)
    return p, lay, unit, extent


class _Extent(NamedTuple):
    """What a panel (a partition of a Dask frame) tells the checks of the whole frame."""

    skipped: pd.DataFrame  # its series too short for min_train
    reach: int  # the most steps from a kept series' first point to its last; -1 when every series is too short
    rows: int  # its (series, origin) rows
    unit: str


def _check_whole(extents: Sequence[_Extent], min_train: int, horizons: tuple[int, ...], origins: Any) -> None:
    """The checks of a backtest's whole frame, from its panels' (its partitions') extents."""
    kept = [e for e in extents if e.reach >= 0]
    if not kept:
        skipped = pd.concat([e.skipped for e in extents], ignore_index=True) if len(extents) > 1 \
            else extents[0].skipped
        counts = ", ".join(str(int(c)) for c in skipped["points"][:8]) + (", ..." if len(skipped) > 8 else "")
        raise DataError(f"too short for min_train={min_train}: {short_list(skipped['series_id'].tolist())} "
                        f"({counts} points); a backtest needs min_train + 1 observed points")
    reach = max(e.reach for e in kept)
    unit = ", ".join(dict.fromkeys(e.unit for e in kept))
    if max(horizons) > reach:
        raise DataError(f"horizons: at most {reach} steps ahead ({unit}) for these series, got {max(horizons)}")
    if not sum(e.rows for e in kept):
        within = "" if origins is None else f" within origins={tuple(origins)!r}"
        raise DataError(f"no origin{within} has a target at horizons {list(horizons)} ({unit}): no series has "
                        f"an observation that many steps after an origin with min_train={min_train} points")


def _padded_widths(data: pd.DataFrame, **options: Any) -> tuple[int, int, _Extent]:
    """The padded widths of the panel and of the training windows of :func:`_panel_layout`, and its extent
    (a partition of a Dask frame; the series of a partition whose every series is too short take no width)."""
    p, lay, _, extent = _panel_layout(data, **options, widths=(1, 1))
    return (p.t.shape[1] if extent.reach >= 0 else 1, lay.train.shape[1] if lay is not None else 1, extent)


def _when(p: Panel, s: np.ndarray, j: np.ndarray) -> dict[str, np.ndarray]:
    """The time columns of points ``(s, j)``, by suffix: ``date`` (data with dates) or ``t``, and ``edition``."""
    out = {"date": p.date[s, j]} if p.has_dates else {"t": p.t[s, j]}
    if p.has_editions:
        out["edition"] = p.edition[s, j]
    return out


def _assemble(p, lay, specs, outputs, weights, members, kinds, levels, min_train, horizons, window, size,
              unit) -> Backtest:
    """The tidy frames, built from the arrays with one concatenation per column."""
    r, m = np.nonzero(lay.valid)
    s = lay.rs[r]
    tgt = lay.tj[r, m]
    origin = {f"origin_{k}": v for k, v in _when(p, s, lay.rk[r]).items()}
    target = {f"target_{k}": v for k, v in _when(p, s, tgt).items()}
    base = {
        **origin, **target,
        "horizon": lay.horizon[r, m],
        "years_ahead": lay.t_new[r, m] - lay.origin_t[r],
        "actual": lay.actual[r, m],
    }
    labels = [label for label, _ in specs]
    blocks: dict[str, list] = {k: [] for k in ("model", "interval", "level", "mean", "lower", "upper", "status")}
    for label in labels:
        out = outputs[label]
        for kind in kinds:
            for level in levels:
                lo, hi = out.bounds[kind, level]
                blocks["model"].append(np.full(len(r), label, dtype=object))
                blocks["interval"].append(np.full(len(r), kind, dtype=object))
                blocks["level"].append(np.full(len(r), level))
                blocks["mean"].append(out.mean[r, m])
                blocks["lower"].append(lo[r, m])
                blocks["upper"].append(hi[r, m])
                blocks["status"].append(out.status[r])
    reps = len(labels) * len(kinds) * len(levels)
    fc = pd.DataFrame({
        "series_id": p.ids.take(np.tile(s, reps)).array,  # the ids' own dtype (int, str, categorical)
        "model": np.concatenate(blocks["model"]),
        "interval": np.concatenate(blocks["interval"]),
        "level": np.concatenate(blocks["level"]),
        **{k: np.tile(v, reps) for k, v in base.items()},
        "mean": np.concatenate(blocks["mean"]),
        "lower": np.concatenate(blocks["lower"]),
        "upper": np.concatenate(blocks["upper"]),
    })
    fc["error"] = fc["actual"] - fc["mean"]
    fc["status"] = np.concatenate(blocks["status"]).astype(int)
    fc["scale"] = np.tile(lay.scale[r], reps)

    # parameters and ceilings: one row per fitted origin
    ids = p.ids.take(lay.rs).array
    o_cols = {f"origin_{k}": v for k, v in _when(p, lay.rs, lay.rk).items()}
    param_frames, sat_frames = [], []
    later = later_max(p, lay)
    for label in labels:
        out = outputs[label]
        P = len(out.param_names)
        if out.params is not None and P:
            param_frames.append(pd.DataFrame({
                "series_id": p.ids.take(np.repeat(lay.rs, P)).array, "model": label, **{k: np.repeat(v, P) for k, v in o_cols.items()},
                "parameter": np.tile(np.asarray(out.param_names, dtype=object), len(ids)),
                "value": out.params.ravel(), "stderr": out.stderr.ravel(), "status": np.repeat(out.status, P),
            }))
        for level, (name, val, lo, hi) in (out.saturation or {}).items():
            upper = np.asarray(hi, dtype=float)
            judged = np.isfinite(upper) & np.isfinite(later)
            j = first_pass(p, lay, upper)
            passed = _when(p, lay.rs, np.maximum(j, 0))
            none = j < 0
            passed_cols = {f"passed_{k}": (pd.array([pd.NA if no else int(e) for e, no in zip(v, none)],
                                                    dtype="Int64") if k == "edition"
                                           else np.where(none, np.datetime64("NaT", "us"), v) if k == "date"
                                           else np.where(none, np.nan, v))
                           for k, v in passed.items()}
            sat_frames.append(pd.DataFrame({
                "series_id": ids, "model": label, **o_cols, "parameter": name,
                "value": val, "lower": lo, "upper": upper, "level": level, "status": out.status,
                "later_max": later,
                "held": pd.array([bool(v) if ok else pd.NA for v, ok in zip(later <= upper, judged)],
                                 dtype="boolean"),
                **passed_cols,
            }))
    o_names = list(o_cols)
    params = (pd.concat(param_frames, ignore_index=True) if param_frames else
              pd.DataFrame(columns=["series_id", "model", *o_names, "parameter", "value", "stderr", "status"]))
    failures = _failures(p, lay, labels, outputs, o_cols)
    passed_names = [n.replace("origin_", "passed_") for n in o_names]
    sat_cols = ["series_id", "model", *o_names, "parameter", "value", "lower", "upper",
                "level", "status", "later_max", "held", *passed_names]
    saturation = pd.concat(sat_frames, ignore_index=True) if sat_frames else pd.DataFrame(columns=sat_cols)

    if weights is not None:
        wr, wm, wk = np.nonzero(lay.valid[..., None] & np.ones(len(members), bool))
        wframe = pd.DataFrame({
            "series_id": p.ids.take(lay.rs[wr]).array,
            **{f"origin_{k}": v for k, v in _when(p, lay.rs[wr], lay.rk[wr]).items()},
            "horizon": lay.horizon[wr, wm], "member": np.asarray(members, dtype=object)[wk],
            "weight": weights[wr, wm, wk],
        })
    else:
        wframe = pd.DataFrame(columns=["series_id", *o_names, "horizon", "member", "weight"])

    return Backtest(
        models=tuple(labels), series=tuple(p.ids), min_train=min_train, horizons=horizons, levels=tuple(levels),
        window=window, window_size=size, intervals=kinds, members=members if weights is not None else (),
        unit=unit, vintage=_vintage(p), _forecasts=fc, _params=params, _saturation=saturation,
        _weights=wframe, percent=_percent(p), _failures=failures,
    )


def _failures(p: Panel, lay: Layout, labels: list[str], outputs: dict, o_cols: dict) -> pd.DataFrame:
    """One row per failed fit: ``series_id, model``, the origin, ``status, message`` (the model's own reason, or
    the status code's where it gave none)."""
    frames = []
    for label in labels:
        out = outputs[label]
        bad = np.flatnonzero(out.status < 0)
        codes = out.status[bad].astype(int)
        given = np.full(len(bad), "", dtype=object) if out.message is None else np.asarray(out.message, object)[bad]
        generic = pd.Series(codes).map(errors.STATUS_MESSAGES).fillna("failed").to_numpy(dtype=object)
        frames.append(pd.DataFrame({
            "series_id": p.ids.take(lay.rs[bad]).array, "model": np.full(len(bad), label, dtype=object),
            **{k: v[bad] for k, v in o_cols.items()},
            "status": codes, "message": np.where(given.astype(bool), given, generic).astype(object),
        }))
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def _percent(p: Panel) -> FrozenMap:
    """Series id -> whether it is a percentage."""
    return FrozenMap({sid: bool(flag) for sid, flag in zip(p.ids, p.percent)})


def _vintage(p: Panel) -> FrozenMap:
    """The last date (or time) of the data and of each series, and the last edition where there are editions."""
    last = p.n - 1
    rows = np.arange(len(p.ids))
    key = "last_date" if p.has_dates else "last_t"
    stamp = (lambda i: pd.Timestamp(p.date[i, last[i]])) if p.has_dates else (lambda i: float(p.t[i, last[i]]))
    i_last = int(np.argmax(p.t[rows, last]))
    vintage = {key: stamp(i_last), "by_series": FrozenMap({sid: stamp(i) for i, sid in enumerate(p.ids)})}
    if p.has_editions:
        vintage["last_edition"] = int(p.edition[rows, last].max())
    return FrozenMap(vintage)


def _skipped(p: Panel, short: np.ndarray, min_train: int) -> pd.DataFrame:
    """The series too short to backtest, with their number of points and the reason."""
    rows = np.flatnonzero(short)
    return pd.DataFrame({
        "series_id": pd.Series(p.ids[rows], dtype=p.ids.dtype if len(rows) else object),
        "points": p.n[rows].astype(int),
        "reason": [f"{int(n)} observed points; a backtest needs min_train + 1 = {min_train + 1}" for n in p.n[rows]],
    })


def _without(p: Panel, keep: np.ndarray, width: int = 1) -> Panel:
    """The panel of the series ``keep``, padded to their own longest (or ``width``), as if the others were
    never given."""
    width = max(int(p.n[keep].max()), width, 1)
    cut = (lambda a: None if a is None else a[keep, :width])
    kept = set(p.ids[keep])
    return replace(p, ids=p.ids[keep], t=cut(p.t), y=cut(p.y), mask=cut(p.mask), percent=p.percent[keep],
                   n_missing={k: v for k, v in p.n_missing.items() if k in kept},
                   edition=cut(p.edition), date=cut(p.date))
