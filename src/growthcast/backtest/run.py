"""Backtests against held-out report editions, and intervals calibrated by them.

"Had I used model X at edition k, how wrong would its forecasts of editions
k+1 ... k+h have been?" :func:`backtest` answers it for every origin at once.

Origins and targets
-------------------
An *origin* is an observed point of a series with at least ``min_train``
observed points up to and including it (missing values are skipped, never
interpolated). Its *targets* are the editions actually observed after it;
the horizon ``h`` of a target is the number of editions ahead
(``target_edition - origin_edition``) and ``years_ahead`` the elapsed time,
so the irregular March 2020 edition needs no special case. In the CNNIC
frame the editions are the ``edition`` column; in a long frame they are the
1-based row numbers within each series in time order (rows with a missing
value keep their number).

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
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import errors
from .._frozen import FrozenMap
from .._checks import as_list, check_horizons, check_int, check_level
from ..errors import DataError, short_list
from ..intervals import MIN_CALIBRATION_ERRORS, conformal_quantiles
from ..models import Ensemble, Model, get_model, model_names, require_residual_dof
from ..panel import Panel, backtest_panel
from ..uncertainty import bootstrap, check_n_boot, predict_interval, saturation_interval, stderr
from .layout import Layout, by_horizon, first_pass, from_horizon, layout, later_max, origin_history
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
    bounds: dict  # interval kind -> (lower, upper)
    status: np.ndarray  # (R,)
    params: np.ndarray | None = None  # (R, P)
    stderr: np.ndarray | None = None
    param_names: tuple[str, ...] = ()
    saturation: tuple | None = None  # (name, value, lower, upper), each (R,)


def _clip(values: np.ndarray, percent: np.ndarray) -> np.ndarray:
    hi = np.where(percent, 100.0, np.inf)[:, None]
    return np.clip(values, 0.0, hi)


def _run_model(
    spec: Model, p: Panel, lay: Layout, level: float, kinds: Sequence[str], n_boot: int, random_state: Any
) -> _Output:
    """ONE ``_fit`` of every (series, origin) row, then ONE prediction at the targets."""
    width = lay.train.shape[1]
    t = p.t[lay.rs, :width]
    y = p.y[lay.rs, :width]
    pct = p.percent[lay.rs]
    with np.errstate(all="ignore"):  # failures come back as statuses
        fitted = require_residual_dof(spec.fit_arrays(t, y, lay.train, pct))
        mean, lower, upper = predict_interval(spec, fitted, lay.t_new, level, "delta")
        bounds = {"delta": (lower, upper)}
        if "bootstrap" in kinds:
            boot = bootstrap(spec, fitted, t, y, lay.train, pct, n_boot, random_state)
            _, blo, bhi = predict_interval(spec, boot, lay.t_new, level, "bootstrap")
            bounds["bootstrap"] = (blo, bhi)
        sat = None
        if spec.saturation_param is not None:
            sat = (spec.saturation_param, *saturation_interval(spec, fitted, level))
    failed = (fitted.status < 0)[:, None]
    mean = _clip(np.where(failed, np.nan, mean), pct)
    bounds = {k: (_clip(np.where(failed, np.nan, lo), pct), _clip(np.where(failed, np.nan, hi), pct))
              for k, (lo, hi) in bounds.items()}
    return _Output(mean=mean, bounds=bounds, status=np.asarray(fitted.status), params=np.asarray(fitted.params),
                   stderr=stderr(fitted), param_names=tuple(spec.param_names), saturation=sat)




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
    outs: Sequence[_Output], lay: Layout, horizons: tuple[int, ...], kinds: Sequence[str]
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
    for kind in kinds:
        if kind == "backtest":
            continue
        lo = combine(np.stack([o.bounds[kind][0] for o in outs], axis=-1))
        hi = combine(np.stack([o.bounds[kind][1] for o in outs], axis=-1))
        bounds[kind] = (lo, hi)
    ok = np.stack([o.status >= 0 for o in outs]).any(axis=0)
    status = np.where(ok, errors.CONVERGED_EXACT, errors.FAILED_MODEL)
    return _Output(mean=mean, bounds=bounds, status=status), w



# ====================================================================== backtest()
def backtest(
    data: pd.DataFrame,
    series: str | Sequence[str] | None = None,
    models: Sequence[str | Model] | str | Model = DEFAULT_MODELS,
    min_train: int = 10,
    horizons: Iterable[int] = range(1, 7),
    window: str = "expanding",
    window_size: int | None = None,
    level: float = 0.8,
    date: str | None = None,
    *,
    value: str = "value",
    series_id: str = "series_id",
    edition: str | None = "edition",
    percent: bool | None = None,
    intervals: str | Sequence[str] = ("delta",),
    members: Sequence[str] = DEFAULT_MEMBERS,
    n_boot: int = 200,
    random_state: int | np.random.Generator | None = None,
) -> Backtest:
    """Refit each model at every origin edition and score its forecasts of the following editions.

    Parameters
    ----------
    data : pandas.DataFrame
        The CNNIC editions (``gc.load_cnnic()``: one row per edition, the
        dates in ``as_of``, the editions in ``edition``) with ``series``
        naming the column(s) to backtest; or a long frame ``series_id, date,
        value`` (editions are then the 1-based row numbers within each
        series, unless it has an ``edition`` column) or the output of
        :func:`growthcast.from_frame`.
    series : str or list of str, optional
        Columns of a wide frame (required there), or the series ids of a
        long frame to keep (all by default).
    models : list of str or Model
        Model names (see :func:`growthcast.available_models`), specs, and
        ``"ensemble_weighted"``: the members' forecasts weighted by the
        inverse of their past out-of-sample mean squared error at the same
        horizon. By default every curve, closed-form trend and baseline.
    min_train : int
        Observed points up to and including the first origin.
    horizons : iterable of int
        Editions ahead to forecast and score.
    window : {"expanding", "rolling"}
        Train on every point up to the origin, or on the last ``window_size``.
    window_size : int, optional
        Points of a rolling window; ``min_train`` by default.
    level : float
        Coverage probability of the intervals, in (0, 1).
    date : str, optional
        The date column: ``as_of`` (else ``date``) for a wide frame,
        ``date`` for a long one. Numbers are taken as decimal years.
    value, series_id, edition : str
        Column names of a long frame (``edition`` is optional).
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

    Returns
    -------
    Backtest

    Raises
    ------
    DataError
        Bad arguments (horizons, min_train, window, level, intervals), an
        unknown model, a missing column, or a series too short for
        ``min_train``. A fit that fails at an origin is not an error: its
        rows have NaN forecasts beside the failure ``status``.

    Examples
    --------
    >>> import growthcast as gc
    >>> from growthcast.backtest import backtest
    >>> bt = backtest(gc.load_cnnic(), series="penetration_pct", models=["logistic", "drift"])
    >>> sorted(bt.leaderboard()["model"])
    ['drift', 'logistic']
    >>> bt.vintage["last_edition"]
    57
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
    level = check_level(level)
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

    p = backtest_panel(data, series, date, value, series_id, edition, percent)
    short = p.n < min_train + 1
    if short.any():
        ids = [p.ids[i] for i in np.flatnonzero(short)]
        counts = ", ".join(str(int(c)) for c in p.n[short][:8]) + (", ..." if short.sum() > 8 else "")
        raise DataError(f"too short for min_train={min_train}: {short_list(ids)} ({counts} points); "
                        "a backtest needs min_train + 1 observed points")
    longest = int(p.n.max())
    if max(horizons) >= longest:
        raise DataError(f"horizons: at most {longest - 1} steps ahead for series of at most {longest} points, "
                        f"got {max(horizons)}")
    lay = layout(p, min_train, horizons, window, size)
    if not len(lay.rs):
        raise DataError(f"no origin has a target at horizons {list(horizons)}: the series have no observed "
                        f"edition that many editions after an origin with min_train={min_train} points")

    outputs: dict[str, _Output] = {}
    cache: dict[str, _Output] = {}

    def run(spec: Model) -> _Output:
        key = repr(spec)
        if key not in cache:
            cache[key] = _run_model(spec, p, lay, level, kinds, n_boot, random_state)
        return cache[key]

    weights = None
    for label, spec in specs:
        if spec is None:
            outputs[label], weights = _weighted([run(get_model(m)) for m in members], lay, horizons, kinds)
        else:
            outputs[label] = run(spec)
    for label, out in outputs.items():
        if "backtest" in kinds:
            lo, hi = _calibrated_bounds(out.mean, lay, horizons, level)
            out.bounds["backtest"] = (_clip(lo, p.percent[lay.rs]), _clip(hi, p.percent[lay.rs]))

    return _assemble(p, lay, specs, outputs, weights, members, kinds, min_train, horizons, level, window,
                     size if window == "rolling" else None)


def _assemble(p, lay, specs, outputs, weights, members, kinds, min_train, horizons, level, window, size) -> Backtest:
    """The tidy frames, built from the arrays with one concatenation per column."""
    r, m = np.nonzero(lay.valid)
    s = lay.rs[r]
    tgt = lay.tj[r, m]
    base = {
        "series_id": np.asarray(p.ids, dtype=object)[s],
        "origin_edition": p.edition[s, lay.rk[r]],
        "origin_date": p.date[s, lay.rk[r]],
        "target_edition": p.edition[s, tgt],
        "target_date": p.date[s, tgt],
        "horizon": lay.horizon[r, m],
        "years_ahead": lay.t_new[r, m] - lay.origin_t[r],
        "actual": lay.actual[r, m],
    }
    labels = [label for label, _ in specs]
    blocks: dict[str, list] = {k: [] for k in ("model", "interval", "mean", "lower", "upper", "status")}
    for label in labels:
        out = outputs[label]
        for kind in kinds:
            lo, hi = out.bounds[kind]
            blocks["model"].append(np.full(len(r), label, dtype=object))
            blocks["interval"].append(np.full(len(r), kind, dtype=object))
            blocks["mean"].append(out.mean[r, m])
            blocks["lower"].append(lo[r, m])
            blocks["upper"].append(hi[r, m])
            blocks["status"].append(out.status[r])
    reps = len(labels) * len(kinds)
    fc = pd.DataFrame({
        "series_id": np.tile(base["series_id"], reps),
        "model": np.concatenate(blocks["model"]),
        "interval": np.concatenate(blocks["interval"]),
        **{k: np.tile(base[k], reps) for k in ("origin_edition", "origin_date", "target_edition", "target_date",
                                               "horizon", "years_ahead", "actual")},
        "mean": np.concatenate(blocks["mean"]),
        "lower": np.concatenate(blocks["lower"]),
        "upper": np.concatenate(blocks["upper"]),
    })
    fc["error"] = fc["actual"] - fc["mean"]
    fc["status"] = np.concatenate(blocks["status"]).astype(int)
    fc["scale"] = np.tile(lay.scale[r], reps)

    # parameters and ceilings: one row per fitted origin
    ids = np.asarray(p.ids, dtype=object)[lay.rs]
    o_ed = p.edition[lay.rs, lay.rk]
    o_date = p.date[lay.rs, lay.rk]
    param_frames, sat_frames = [], []
    later = later_max(p, lay)
    for label in labels:
        out = outputs[label]
        P = len(out.param_names)
        if out.params is not None and P:
            param_frames.append(pd.DataFrame({
                "series_id": np.repeat(ids, P), "model": label, "origin_edition": np.repeat(o_ed, P),
                "parameter": np.tile(np.asarray(out.param_names, dtype=object), len(ids)),
                "value": out.params.ravel(), "stderr": out.stderr.ravel(), "status": np.repeat(out.status, P),
            }))
        if out.saturation is not None:
            name, val, lo, hi = out.saturation
            upper = np.asarray(hi, dtype=float)
            judged = np.isfinite(upper) & np.isfinite(later)
            passed = first_pass(p, lay, upper)
            sat_frames.append(pd.DataFrame({
                "series_id": ids, "model": label, "origin_edition": o_ed, "origin_date": o_date, "parameter": name,
                "value": val, "lower": lo, "upper": upper, "level": level, "status": out.status,
                "later_max": later,
                "held": pd.array([bool(v) if ok else pd.NA for v, ok in zip(later <= upper, judged)],
                                 dtype="boolean"),
                "passed_edition": pd.array([int(v) if np.isfinite(v) else pd.NA for v in passed], dtype="Int64"),
            }))
    params = (pd.concat(param_frames, ignore_index=True) if param_frames else
              pd.DataFrame(columns=["series_id", "model", "origin_edition", "parameter", "value", "stderr", "status"]))
    sat_cols = ["series_id", "model", "origin_edition", "origin_date", "parameter", "value", "lower", "upper",
                "level", "status", "later_max", "held", "passed_edition"]
    saturation = pd.concat(sat_frames, ignore_index=True) if sat_frames else pd.DataFrame(columns=sat_cols)

    if weights is not None:
        wr, wm, wk = np.nonzero(lay.valid[..., None] & np.ones(len(members), bool))
        wframe = pd.DataFrame({
            "series_id": np.asarray(p.ids, dtype=object)[lay.rs[wr]], "origin_edition": p.edition[lay.rs[wr], lay.rk[wr]],
            "horizon": lay.horizon[wr, wm], "member": np.asarray(members, dtype=object)[wk],
            "weight": weights[wr, wm, wk],
        })
    else:
        wframe = pd.DataFrame(columns=["series_id", "origin_edition", "horizon", "member", "weight"])

    last = p.n - 1
    rows = np.arange(len(p.ids))
    by_series = {sid: (int(p.edition[i, last[i]]), pd.Timestamp(p.date[i, last[i]]) if p.has_dates else None)
                 for i, sid in enumerate(p.ids)}
    i_last = int(np.argmax(p.t[rows, last]))
    vintage = FrozenMap({
        "last_edition": int(max(e for e, _ in by_series.values())),
        "last_date": by_series[p.ids[i_last]][1],
        "by_series": FrozenMap(by_series),
    })
    return Backtest(
        models=tuple(labels), series=tuple(p.ids), min_train=min_train, horizons=horizons, level=level,
        window=window, window_size=size, intervals=kinds, members=members if weights is not None else (),
        vintage=vintage, _forecasts=fc, _params=params, _saturation=saturation, _weights=wframe,
    )

