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

import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from . import errors
from .data import as_long, from_frame, to_decimal_year
from .errors import DataError, short_list
from .fitting import to_arrays
from .metrics import INTERVAL_METRICS, METRICS, POINT_METRICS
from .models import Model, _REGISTRY, get_model
from .results import FitResult, check_level
from .uncertainty import _nanquantiles, bootstrap, predict_interval, saturation_interval

__all__ = [
    "backtest",
    "Backtest",
    "calibrated_fit",
    "diebold_mariano",
    "DEFAULT_MODELS",
    "DEFAULT_MEMBERS",
    "MIN_CALIBRATION_ERRORS",
    "WEIGHTED",
]

#: The models of the default backtest: every curve, closed-form trend and baseline.
DEFAULT_MODELS: tuple[str, ...] = (
    "logistic", "gompertz", "richards", "bass", "linear", "quadratic", "exponential", "logit_linear",
    "naive", "drift",
)
#: The name of the combination weighted by past out-of-sample errors (backtest only).
WEIGHTED = "ensemble_weighted"
DEFAULT_MEMBERS: tuple[str, ...] = ("logistic", "gompertz", "drift", "holt")
#: Past errors needed at a horizon before a calibrated interval is scored there.
MIN_CALIBRATION_ERRORS = 5
_BACKTEST_INTERVALS = ("delta", "bootstrap", "backtest")
_BY = {"horizon": ["horizon"], "origin": ["origin_edition"], "model": [], "series": []}


# ====================================================================== the panel
@dataclass(frozen=True)
class _Panel:
    """Series as padded arrays (S, N), observed points packed to the left."""

    ids: list[str]
    t: np.ndarray
    y: np.ndarray
    mask: np.ndarray
    edition: np.ndarray  # int, -1 on padding
    date: np.ndarray  # datetime64[ns], NaT on padding or without dates
    percent: np.ndarray
    has_dates: bool

    @property
    def n(self) -> np.ndarray:
        return self.mask.sum(axis=1)


def _as_list(value: Any) -> list:
    if isinstance(value, str):
        return [value]
    return list(value)


def _panel(
    data: pd.DataFrame, series: str | Sequence[str] | None, date: str | None, value: str, series_id: str,
    edition: str | None, percent: bool | None,
) -> _Panel:
    """Validate the input frame (CNNIC wide frame or long frame) into a panel."""
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame, got {type(data).__name__}")
    validated = {"series_id", "t", "value"} <= set(data.columns) and "percent" in data.attrs
    long_in = validated or series_id in data.columns
    date = date or ("date" if long_in or "as_of" not in data.columns else "as_of")
    edition_col = edition if edition is not None and edition in data.columns else None

    if validated:  # the output of from_frame: already checked, times in ``t``
        long = as_long(data)
        flags, missing = dict(long.attrs.get("percent", {})), dict(long.attrs.get("n_missing", {}))
        if series is not None:
            long = long[long["series_id"].isin(_wanted(long["series_id"], series))]
            long.attrs = {"percent": flags, "n_missing": missing}
        raw = pd.DataFrame({"series_id": long["series_id"].to_numpy(), "t": long["t"].to_numpy(),
                            "value": long["value"].to_numpy()})
        raw["edition"] = (data.loc[long.index, edition_col].to_numpy() if edition_col else np.nan)
    elif long_in:
        absent = [c for c in (date, value) if c not in data.columns]
        if absent:
            raise DataError(f"missing column(s) {absent}; the frame has {short_list(data.columns)}")
        frame = data
        if series is not None:
            frame = data[data[series_id].astype(str).isin(_wanted(data[series_id].astype(str), series))]
        long = from_frame(frame, date, value, series_id, percent=percent)
        raw = pd.DataFrame({"series_id": frame[series_id].astype(str).to_numpy(),
                            "t": to_decimal_year(frame[date], what=f"column {date!r}"),
                            "value": pd.to_numeric(frame[value], errors="coerce").to_numpy()})
        raw["edition"] = frame[edition_col].to_numpy() if edition_col else np.nan
    else:
        if series is None:
            numeric = [c for c in data.columns if c not in (date, edition_col, "released")
                       and pd.api.types.is_numeric_dtype(data[c])]
            raise DataError(
                f"series: name the column(s) to backtest, e.g. series={numeric[0]!r}; the frame's numeric "
                f"columns are {short_list(numeric)}" if numeric else
                f"series: name the column(s) to backtest; the frame has {short_list(data.columns)}"
            )
        cols = list(dict.fromkeys(_as_list(series)))
        if not cols:
            raise DataError("series: expected at least one column name, got an empty list")
        absent = [c for c in dict.fromkeys([date, *cols]) if c not in data.columns]
        if absent:
            raise DataError(f"missing column(s) {absent}; the frame has {short_list(data.columns)}")
        parts = [from_frame(data, date, c, percent=percent) for c in cols]  # messages name each column
        long = pd.concat(parts, ignore_index=True)
        long.attrs = {"percent": {k: v for part in parts for k, v in part.attrs["percent"].items()},
                      "n_missing": {k: v for part in parts for k, v in part.attrs["n_missing"].items()}}
        t = to_decimal_year(data[date], what=f"column {date!r}")
        ed = data[edition_col].to_numpy() if edition_col else np.nan
        raw = pd.concat([pd.DataFrame({"series_id": str(c), "t": t, "value": pd.to_numeric(data[c], errors="coerce")
                                       .to_numpy(), "edition": ed}) for c in cols], ignore_index=True)

    # editions: the given column, or the 1-based row number within the series in time order
    if edition_col is None:
        raw["edition"] = raw.groupby("series_id", sort=False)["t"].rank(method="first").to_numpy()
    observed = raw[raw["value"].notna()]
    ed = pd.to_numeric(pd.Series(observed["edition"].to_numpy()), errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(ed) | (ed != np.round(ed))
    if bad.any():
        raise DataError(f"column {edition_col!r}: editions must be whole numbers, got "
                        f"{short_list(observed['edition'].to_numpy()[bad])} where values are observed")
    key = observed[["series_id", "t"]].assign(edition=ed.astype(np.int64))
    attrs = dict(long.attrs)
    long = long.merge(key, on=["series_id", "t"], how="left", validate="one_to_one")
    long.attrs = attrs
    ids, t, y, mask = to_arrays(long)
    pos = to_arrays(long.assign(value=np.arange(len(long), dtype=float)))[2].astype(np.int64)
    edition_arr = np.where(mask, long["edition"].to_numpy()[pos], -1)
    steps = np.where(mask[:, 1:], np.diff(edition_arr, axis=1), 1)
    if (steps <= 0).any():
        rows = np.flatnonzero((steps <= 0).any(axis=1))
        raise DataError(f"column {edition_col!r}: editions must increase with the date within a series; "
                        f"they do not in {short_list([ids[i] for i in rows])}")
    dates = pd.DatetimeIndex(long["date"]).to_numpy().astype("datetime64[ns]")
    date_arr = np.where(mask, dates[pos], np.datetime64("NaT", "ns"))
    flags = attrs.get("percent", {})
    return _Panel(
        ids=ids, t=t, y=y, mask=mask, edition=edition_arr, date=date_arr,
        percent=np.array([bool(flags.get(i, False)) for i in ids]), has_dates=bool(long["date"].notna().all()),
    )


def _wanted(ids: pd.Series, series: str | Sequence[str]) -> list[str]:
    wanted = [str(s) for s in _as_list(series)]
    known = set(ids.astype(str))
    absent = [s for s in wanted if s not in known]
    if absent:
        raise DataError(f"series: no series {short_list(absent)} in the frame; it has {short_list(sorted(known))}")
    return wanted


# ====================================================================== arguments
def _check_horizons(horizons: Any) -> tuple[int, ...]:
    if isinstance(horizons, (str, bytes)) or not isinstance(horizons, Iterable):
        raise DataError(f"`horizons` must be a sequence of positive integers such as range(1, 7), got {horizons!r}")
    hs = list(horizons)
    if not hs:
        raise DataError("`horizons` must be a non-empty sequence of positive integers, got an empty one")
    for h in hs:
        if isinstance(h, (bool, np.bool_)) or not isinstance(h, (int, np.integer)) or h < 1:
            raise DataError(f"`horizons` must be positive integers, got {h!r}")
    return tuple(sorted({int(h) for h in hs}))


def _check_int(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise DataError(f"`{name}` must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_models(models: Any, members: Any) -> tuple[list[tuple[str, Model | None]], tuple[str, ...]]:
    if isinstance(models, (str, Model)):
        models = [models]
    models = list(models)
    if not models:
        raise DataError("`models` must name at least one model")
    known = sorted(_REGISTRY) + [WEIGHTED]
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
    members = tuple(_as_list(members))
    if any(s is None for _, s in out):
        if len(members) < 2:
            raise DataError(f"{WEIGHTED} needs at least two members, got {list(members)}")
        bad = [m for m in members if m not in _REGISTRY or m.startswith("ensemble")]
        if bad:
            raise DataError(f"{WEIGHTED}: members must be named single models, got {short_list(bad)}")
    return out, members


# ====================================================================== the core
@dataclass(frozen=True)
class _Layout:
    """Which (series, origin) rows are fitted and which targets each one has."""

    rs: np.ndarray  # (R,) series of each row
    rk: np.ndarray  # (R,) origin index within the series
    train: np.ndarray  # (R, N) training mask
    tj: np.ndarray  # (R, M) target index (clipped into the series)
    valid: np.ndarray  # (R, M) whether that target is scored
    horizon: np.ndarray  # (R, M) editions ahead
    t_new: np.ndarray  # (R, M) target times
    actual: np.ndarray  # (R, M)
    origin_t: np.ndarray  # (R,)
    scale: np.ndarray  # (R,) MASE scale: mean |one-step naive error| in the training window


def _layout(p: _Panel, min_train: int, horizons: tuple[int, ...], window: str, window_size: int) -> _Layout:
    S, N = p.t.shape
    n = p.n
    j = np.arange(N)
    cand = (j[None, :] >= min_train - 1) & (j[None, :] <= n[:, None] - 2)
    rs, rk = np.nonzero(cand)  # series-major, origins in time order
    M = max(horizons)
    tj = rk[:, None] + 1 + np.arange(M)[None, :]
    inside = tj < n[rs][:, None]
    tj = np.minimum(tj, n[rs][:, None] - 1)
    h = p.edition[rs[:, None], tj] - p.edition[rs, rk][:, None]
    valid = inside & np.isin(h, horizons)
    keep = valid.any(axis=1)
    rs, rk, tj, valid, h = rs[keep], rk[keep], tj[keep], valid[keep], h[keep]
    width = int(rk.max()) + 1 if rk.size else 1
    jj = np.arange(width)[None, :]
    first = rk - window_size + 1 if window == "rolling" else np.zeros_like(rk)
    train = (jj >= first[:, None]) & (jj <= rk[:, None])
    y = p.y[rs, :width]
    pair = train[:, 1:] & train[:, :-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(pair, np.abs(np.diff(y, axis=1)), 0.0).sum(axis=1) / pair.sum(axis=1)
    return _Layout(
        rs=rs, rk=rk, train=train, tj=tj, valid=valid, horizon=np.where(valid, h, 0),
        t_new=p.t[rs[:, None], tj], actual=np.where(valid, p.y[rs[:, None], tj], np.nan),
        origin_t=p.t[rs, rk], scale=scale,
    )


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
    spec: Model, p: _Panel, lay: _Layout, level: float, kinds: Sequence[str], n_boot: int, random_state: Any
) -> _Output:
    """ONE ``_fit`` of every (series, origin) row, then ONE prediction at the targets."""
    width = lay.train.shape[1]
    t = p.t[lay.rs, :width]
    y = p.y[lay.rs, :width]
    pct = p.percent[lay.rs]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # statsmodels' and numpy's noise; failures come back as statuses
        fitted = spec._fit(t, y, lay.train, pct)
        mean, lower, upper = predict_interval(spec, fitted, lay.t_new, level, "delta")
        bounds = {"delta": (lower, upper)}
        if "bootstrap" in kinds:
            boot = bootstrap(spec, fitted, t, y, lay.train, pct, n_boot, random_state)
            _, blo, bhi = predict_interval(spec, boot, lay.t_new, level, "bootstrap")
            bounds["bootstrap"] = (blo, bhi)
        sat = None
        curve = getattr(spec, "curve", None)
        if curve is not None and curve.saturation is not None:
            sat = (curve.saturation, *saturation_interval(spec, fitted, level, "delta"))
    failed = (fitted.status < 0)[:, None]
    mean = _clip(np.where(failed, np.nan, mean), pct)
    bounds = {k: (_clip(np.where(failed, np.nan, lo), pct), _clip(np.where(failed, np.nan, hi), pct))
              for k, (lo, hi) in bounds.items()}
    stderr = np.sqrt(np.clip(np.einsum("bpp->bp", fitted.cov), 0.0, None))
    return _Output(mean=mean, bounds=bounds, status=np.asarray(fitted.status), params=np.asarray(fitted.params),
                   stderr=stderr, param_names=tuple(spec.param_names), saturation=sat)


# ---------------------------------------------------------------------- look-back without look-ahead
def _by_horizon(values: np.ndarray, lay: _Layout, horizons: tuple[int, ...]) -> np.ndarray:
    """Slot values (R, M) rearranged by horizon (R, H); NaN where a row has no such target."""
    out = np.full((len(values), len(horizons)), np.nan)
    r, m = np.nonzero(lay.valid)
    out[r, np.searchsorted(horizons, lay.horizon[r, m])] = values[r, m]
    return out


def _from_horizon(values: np.ndarray, lay: _Layout, horizons: tuple[int, ...]) -> np.ndarray:
    """Inverse of :func:`_by_horizon`: values (R, H, ...) to the slots (R, M, ...)."""
    hidx = np.searchsorted(horizons, np.where(lay.valid, lay.horizon, horizons[0]))
    out = np.take_along_axis(values, hidx.reshape(hidx.shape + (1,) * (values.ndim - 2)), axis=1)
    return np.where(lay.valid.reshape(lay.valid.shape + (1,) * (values.ndim - 2)), out, np.nan)


def _history(values_h: np.ndarray, lay: _Layout, horizons: tuple[int, ...], chunk: int = 2**22):
    """For each row, the same series' values at each horizon whose target is at or before its origin.

    Yields ``(rows, past)`` with ``past`` of shape (rows, O, H, ...), NaN where a
    forecast is not in the past of that row's origin (no look-ahead).
    """
    R = len(lay.rs)
    tt_h = _by_horizon(lay.t_new, lay, horizons)
    S = int(lay.rs.max()) + 1 if R else 0
    counts = np.bincount(lay.rs, minlength=S)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    O = int(counts.max()) if R else 0
    pos = np.arange(R) - first[lay.rs]
    tail = values_h.shape[2:]
    panel_v = np.full((S, O) + values_h.shape[1:], np.nan)
    panel_t = np.full((S, O, len(horizons)), np.inf)
    panel_v[lay.rs, pos] = values_h
    panel_t[lay.rs, pos] = np.where(np.isnan(tt_h), np.inf, tt_h)
    step = max(1, chunk // max(1, O * values_h[0].size))
    for start in range(0, R, step):  # blocks of rows, to bound the memory of (rows, O, H) arrays
        rows = slice(start, min(start + step, R))
        past = panel_t[lay.rs[rows]] <= lay.origin_t[rows, None, None]
        past = past.reshape(past.shape + (1,) * len(tail))
        yield rows, np.where(past, panel_v[lay.rs[rows]], np.nan)


def _calibrated_bounds(mean: np.ndarray, lay: _Layout, horizons: tuple[int, ...], level: float):
    """Split-conformal bounds at each origin from the model's own past errors (target <= origin)."""
    err_h = _by_horizon(lay.actual - mean, lay, horizons)
    R, H = err_h.shape
    lo_h = np.full((R, H), np.nan)
    hi_h = np.full((R, H), np.nan)
    for rows, past in _history(err_h, lay, horizons):
        enough = (~np.isnan(past)).sum(axis=1) >= MIN_CALIBRATION_ERRORS
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices: too few past errors
            lo, hi = _nanquantiles(past, level, axis=1)
        lo_h[rows] = np.where(enough, lo, np.nan)
        hi_h[rows] = np.where(enough, hi, np.nan)
    return mean + _from_horizon(lo_h, lay, horizons), mean + _from_horizon(hi_h, lay, horizons)


def _weighted(
    outs: Sequence[_Output], lay: _Layout, horizons: tuple[int, ...], kinds: Sequence[str]
) -> tuple[_Output, np.ndarray]:
    """Members combined with weights 1 / (past out-of-sample MSE at the same horizon).

    At each origin only the member forecasts whose target date is at or
    before the origin count. Members without a forecast are left out; when a
    taking part member has no past error at that horizon yet, the weights
    are equal. Returns the combination and the weights (R, M, members).
    """
    means = np.stack([o.mean for o in outs], axis=-1)  # (R, M, K)
    sq_h = np.stack([_by_horizon((lay.actual - o.mean) ** 2, lay, horizons) for o in outs], axis=-1)  # (R, H, K)
    R, H, K = sq_h.shape
    mse_h = np.full((R, H, K), np.nan)
    for rows, past in _history(sq_h, lay, horizons):
        n = (~np.isnan(past)).sum(axis=1)
        total = np.where(np.isnan(past), 0.0, past).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            mse_h[rows] = np.where(n > 0, total / np.maximum(n, 1), np.nan)
    mse = _from_horizon(mse_h, lay, horizons)  # (R, M, K)
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


# ====================================================================== the result
@dataclass(frozen=True, eq=False)
class Backtest:
    """The forecasts of every model from every origin, and their scores.

    Attributes
    ----------
    models : tuple of str
        The models, by label (their name, or their repr for a spec given twice).
    series : tuple of str
    min_train : int
    horizons : tuple of int
        Editions ahead.
    level : float
        Coverage probability of the scored intervals.
    window : {"expanding", "rolling"}
    window_size : int or None
        Training points of a rolling window.
    intervals : tuple of str
        Interval kinds scored side by side (``forecasts["interval"]``).
    members : tuple of str
        The members of ``ensemble_weighted`` (empty without it).
    vintage : mapping
        The data used: ``last_edition`` and ``last_date`` over all series,
        and ``by_series`` (series id -> ``(last_edition, last_date)``).
    """

    models: tuple[str, ...]
    series: tuple[str, ...]
    min_train: int
    horizons: tuple[int, ...]
    level: float
    window: str
    window_size: int | None
    intervals: tuple[str, ...]
    members: tuple[str, ...]
    vintage: Mapping[str, Any]
    _forecasts: pd.DataFrame = field(repr=False)
    _params: pd.DataFrame = field(repr=False)
    _saturation: pd.DataFrame = field(repr=False)
    _weights: pd.DataFrame = field(repr=False)

    # ------------------------------------------------------------ frames
    @property  # a fresh object each time: editing it cannot alter the frozen result
    def forecasts(self) -> pd.DataFrame:
        """One row per (series, model, interval kind, origin, target).

        Columns ``series_id, model, interval, origin_edition, origin_date,
        target_edition, target_date, horizon, years_ahead, actual, mean,
        lower, upper, error`` (``actual - mean``), ``status`` (the fit's code,
        see :data:`growthcast.errors.STATUS_MESSAGES`; ``mean`` is NaN beside
        a failure) and ``scale`` (the MASE scale of the origin's training window).
        """
        return self._forecasts.copy()

    @property  # a fresh object each time
    def params(self) -> pd.DataFrame:
        """Every fit's parameters: ``series_id, model, origin_edition, parameter, value, stderr, status``."""
        return self._params.copy()

    @property  # a fresh object each time
    def weights(self) -> pd.DataFrame:
        """The weights of ``ensemble_weighted``: ``series_id, origin_edition, horizon, member, weight``."""
        return self._weights.copy()

    def saturation(self) -> pd.DataFrame:
        """Each curve model's ceiling at each origin, and whether it held the later data.

        Returns
        -------
        pandas.DataFrame
            ``series_id, model, origin_edition, origin_date, parameter`` (K or
            m), ``value, lower, upper`` (the ``level`` interval), ``status``,
            ``later_max`` (the largest actual after the origin), ``held``
            (True when every later actual stayed at or below ``upper``; a
            ceiling whose upper bound the series passed is a miss; NaN when
            there is no later actual or no bound) and ``passed_edition`` (the
            first edition above ``upper``). Models without a ceiling have no rows.
        """
        return self._saturation.copy()

    # ------------------------------------------------------------ scores
    def scores(self, by: str | Sequence[str] = "horizon", *, pool_series: bool = False) -> pd.DataFrame:
        """Accuracy of the point forecasts and intervals, per model and group.

        Parameters
        ----------
        by : {"horizon", "origin", "model"} or list of forecast columns
            The grouping beside ``series_id, model, interval``: per horizon
            (default), per origin edition, or over everything.
        pool_series : bool
            Score all series together instead of one by one.

        Returns
        -------
        pandas.DataFrame
            ``MAE, RMSE, MAPE, sMAPE, MASE`` of the point forecasts (MASE scaled
            per origin by the in-sample one-step naive error of its training
            window), ``coverage`` and ``winkler`` (interval score) of the
            ``level`` intervals, ``n`` (forecasts scored) and ``failed``
            (forecasts missing because the fit failed). Pairs without a
            forecast or a bound are left out of the respective metrics.
        """
        keys = self._keys(by, pool_series)
        fc = self._forecasts
        cols = {"actual": fc["actual"].to_numpy(), "mean": fc["mean"].to_numpy(), "lower": fc["lower"].to_numpy(),
                "upper": fc["upper"].to_numpy(), "scale": fc["scale"].to_numpy(), "level": self.level}
        terms = pd.DataFrame({k: fc[k] for k in keys})
        with np.errstate(all="ignore"):
            for name, metric in METRICS.items():
                terms[name] = metric.point(*(cols[a] for a in metric.inputs))
        terms["n"] = fc["mean"].notna().astype(int)
        terms["failed"] = fc["mean"].isna().astype(int)
        grouped = terms.groupby(keys, sort=False)
        out = grouped[list(METRICS)].mean()
        for name, metric in METRICS.items():
            out[name] = metric.finish(out[name].to_numpy())
        out["n"] = grouped["n"].sum()
        out["failed"] = grouped["failed"].sum()
        out = out.reset_index()
        order = {"model": {m: i for i, m in enumerate(self.models)},
                 "interval": {k: i for i, k in enumerate(self.intervals)}}
        first = [k for k in keys if k not in ("model", "interval")]
        out = out.sort_values(first + ["model", "interval"], kind="stable",
                              key=lambda col: col.map(order[col.name]) if col.name in order else col)
        return out.reset_index(drop=True)

    def _keys(self, by: str | Sequence[str], pool_series: bool) -> list[str]:
        extra: list[str] = []
        for b in _as_list(by):
            if b in _BY:
                extra += _BY[b]
            elif b in self._forecasts.columns and b not in ("series_id", "model", "interval"):
                extra.append(b)
            elif b not in ("series_id", "model", "interval"):
                raise DataError(f"by: expected 'horizon', 'origin', 'model' or forecast columns, got {b!r}")
        base = ([] if pool_series else ["series_id"]) + ["model", "interval"]
        return base + [k for k in dict.fromkeys(extra) if k not in base]

    def leaderboard(self, metric: str = "MASE", *, interval: str | None = None) -> pd.DataFrame:
        """Models ranked by a metric averaged over horizons, per series.

        Parameters
        ----------
        metric : str
            One of ``MAE, RMSE, MAPE, sMAPE, MASE, coverage, winkler``; coverage
            ranks by the distance to ``level``.
        interval : str, optional
            The interval kind scored by coverage and winkler; the first of
            :attr:`intervals` by default.

        Returns
        -------
        pandas.DataFrame
            ``series_id, rank, model, interval``, every metric (the mean of
            its values per horizon), ``n``, ``failed`` and ``ceiling_held``
            (share of origins whose ceiling interval held the later data; NaN
            for models without a ceiling), sorted by series and rank.
        """
        if metric not in METRICS:
            raise DataError(f"metric must be one of {list(METRICS)}, got {metric!r}")
        interval = self.intervals[0] if interval is None else interval
        if interval not in self.intervals:
            raise DataError(f"interval: this backtest scored {list(self.intervals)}, got {interval!r}")
        per_h = self.scores("horizon")
        per_h = per_h[per_h["interval"] == interval]
        board = per_h.groupby(["series_id", "model", "interval"], sort=False)[list(METRICS)].mean()
        counts = per_h.groupby(["series_id", "model", "interval"], sort=False)[["n", "failed"]].sum()
        board = board.join(counts).reset_index()
        sat = self._saturation
        if len(sat):
            held = sat.assign(h=sat["held"].astype(float)).groupby(["series_id", "model"])["h"].mean()
            board = board.merge(held.rename("ceiling_held").reset_index(), on=["series_id", "model"], how="left")
        else:
            board["ceiling_held"] = np.nan
        key = (board[metric] - self.level).abs() if metric == "coverage" else board[metric]
        board = board.assign(_key=key.fillna(np.inf)).sort_values(["series_id", "_key"], kind="stable")
        board["rank"] = board.groupby("series_id").cumcount() + 1
        cols = ["series_id", "rank", "model", "interval", *METRICS, "n", "failed", "ceiling_held"]
        return board[cols].reset_index(drop=True)

    def compare(self, a: str, b: str, *, loss: str = "squared") -> pd.DataFrame:
        """Diebold-Mariano test of equal accuracy of models ``a`` and ``b``, per series and horizon.

        The loss differential ``d = L(e_a) - L(e_b)`` over the origins where
        both models forecast the same target, in origin order; its long-run
        variance uses the autocovariances up to lag ``h - 1``. The statistic
        carries the Harvey, Leybourne and Newbold (1997) correction
        ``sqrt((n + 1 - 2h + h (h - 1) / n) / n)`` and is referred to Student's
        t with ``n - 1`` degrees of freedom. When the variance estimate is not
        positive the lag-0 variance alone is used (``note`` says so), as
        R's ``forecast::dm.test`` does.

        Parameters
        ----------
        a, b : str
            Model labels in :attr:`models`.
        loss : {"squared", "absolute"}

        Returns
        -------
        pandas.DataFrame
            ``series_id, horizon, n, mean_diff`` (mean of ``d``; negative when
            ``a`` is more accurate), ``statistic, p_value`` (two-sided),
            ``better`` (the model with the lower mean loss) and ``note``.
        """
        for m in (a, b):
            if m not in self.models:
                raise DataError(f"compare: no model {m!r} in this backtest; it has {list(self.models)}")
        if loss not in ("squared", "absolute"):
            raise DataError(f"loss must be 'squared' or 'absolute', got {loss!r}")
        fc = self._forecasts[self._forecasts["interval"] == self.intervals[0]]
        keys = ["series_id", "horizon", "origin_edition", "target_edition"]
        both = fc[fc["model"] == a][keys + ["error"]].merge(
            fc[fc["model"] == b][keys + ["error"]], on=keys, suffixes=("_a", "_b"))
        both = both.sort_values(keys, kind="stable")
        f = np.square if loss == "squared" else np.abs
        both["d"] = f(both["error_a"]) - f(both["error_b"])
        both = both[np.isfinite(both["d"])]
        rows = []
        for (sid, h), grp in both.groupby(["series_id", "horizon"], sort=True):  # a few groups: the tests
            stat, p, note = diebold_mariano(grp["d"].to_numpy(), int(h))
            mean_diff = float(grp["d"].mean())
            better = a if mean_diff < 0 else b if mean_diff > 0 else ""
            rows.append({"series_id": sid, "horizon": int(h), "n": len(grp), "mean_diff": mean_diff,
                         "statistic": stat, "p_value": p, "better": better, "note": note})
        return pd.DataFrame(rows, columns=["series_id", "horizon", "n", "mean_diff", "statistic", "p_value",
                                           "better", "note"])

    def __repr__(self) -> str:
        hs = self.horizons
        span = f"{hs[0]}-{hs[-1]}" if hs == tuple(range(hs[0], hs[-1] + 1)) else ",".join(map(str, hs))
        n_origins = self._forecasts.groupby(["series_id"])["origin_edition"].nunique().sum() if len(
            self._forecasts) else 0
        last = self.vintage.get("last_date")
        when = f" ({pd.Timestamp(last).date()})" if last is not None and not pd.isna(last) else ""
        return (f"<Backtest: {len(self.models)} model(s) x {len(self.series)} series, {n_origins} origins, "
                f"horizons {span}, level {self.level:g}, {self.window} window; "
                f"data to edition {self.vintage.get('last_edition')}{when}>")


def diebold_mariano(d: np.ndarray, h: int) -> tuple[float, float, str]:
    """The Diebold-Mariano statistic of a loss differential with the HLN correction.

    Parameters
    ----------
    d : ndarray, shape (n,)
        Loss differentials in time order.
    h : int
        The forecast horizon: autocovariances up to lag ``h - 1`` enter the variance.

    Returns
    -------
    statistic, p_value, note
        ``DM* = sqrt((n + 1 - 2h + h (h - 1) / n) / n) * mean(d) / sqrt(V / n)`` with
        ``V = gamma_0 + 2 sum_{k=1}^{h-1} gamma_k`` and
        ``gamma_k = sum_{t > k} (d_t - dbar)(d_{t-k} - dbar) / n``; two-sided
        p-value from Student's t with ``n - 1`` degrees of freedom. NaN when
        ``n < 2`` or the differential is constant.
    """
    d = np.asarray(d, dtype=float)
    n = d.size
    if n < 2:
        return float("nan"), float("nan"), "fewer than two pairs"
    dbar = d.mean()
    dc = d - dbar
    gamma = [float(np.dot(dc[k:], dc[: n - k]) / n) for k in range(min(h, n))]  # lags 0..h-1
    var = gamma[0] + 2.0 * sum(gamma[1:])
    note = ""
    if not var > 0 and h > 1:
        var, note = gamma[0], "long-run variance not positive: lag-0 variance used"
    if not var > 0:
        return float("nan"), float("nan"), "loss differential is constant"
    dm = dbar / np.sqrt(var / n)
    correction = np.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
    stat = float(dm * correction)
    p = float(2.0 * stats.t.sf(abs(stat), df=n - 1))
    return stat, p, note


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
        Model names (see :func:`growthcast.models`), specs, and
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
        before the origin (NaN until :data:`MIN_CALIBRATION_ERRORS` such errors exist).
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
    horizons = _check_horizons(horizons)
    min_train = _check_int(min_train, "min_train", 2)
    if window not in ("expanding", "rolling"):
        raise DataError(f"window must be 'expanding' or 'rolling', got {window!r}")
    if window == "expanding":
        if window_size is not None:
            raise DataError("window_size applies to window='rolling' only")
        size = 0
    else:
        size = min_train if window_size is None else _check_int(window_size, "window_size", 2)
    level = check_level(level)
    kinds = tuple(dict.fromkeys(_as_list(intervals)))
    bad = [k for k in kinds if k not in _BACKTEST_INTERVALS]
    if not kinds or bad:
        raise DataError(f"intervals must be among {list(_BACKTEST_INTERVALS)}, got {list(_as_list(intervals))}")
    specs, members = _check_models(models, members)
    if "bootstrap" in kinds:
        if isinstance(n_boot, (bool, np.bool_)) or not isinstance(n_boot, (int, np.integer)) or n_boot < 20:
            raise DataError(f"n_boot must be an integer >= 20, got {n_boot!r}")
        unbatched = [label for label, s in specs if s is not None and not s.has_residuals]
        unbatched += [m for m in members if not get_model(m).has_residuals] if any(s is None for _, s in specs) else []
        if unbatched:
            raise DataError(f"interval 'bootstrap' is not available for {short_list(unbatched)}; "
                            "use 'delta' or 'backtest' for those models")

    p = _panel(data, series, date, value, series_id, edition, percent)
    short = p.n < min_train + 1
    if short.any():
        ids = [p.ids[i] for i in np.flatnonzero(short)]
        counts = ", ".join(str(int(c)) for c in p.n[short][:8]) + (", ..." if short.sum() > 8 else "")
        raise DataError(f"too short for min_train={min_train}: {short_list(ids)} ({counts} points); "
                        "a backtest needs min_train + 1 observed points")
    lay = _layout(p, min_train, horizons, window, size)
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
    later_max = _later(p, lay)
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
            judged = np.isfinite(upper) & np.isfinite(later_max)
            first_pass = _first_pass(p, lay, upper)
            sat_frames.append(pd.DataFrame({
                "series_id": ids, "model": label, "origin_edition": o_ed, "origin_date": o_date, "parameter": name,
                "value": val, "lower": lo, "upper": upper, "level": level, "status": out.status,
                "later_max": later_max,
                "held": pd.array([bool(v) if ok else pd.NA for v, ok in zip(later_max <= upper, judged)],
                                 dtype="boolean"),
                "passed_edition": pd.array([int(v) if np.isfinite(v) else pd.NA for v in first_pass], dtype="Int64"),
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
    vintage = MappingProxyType({
        "last_edition": int(max(e for e, _ in by_series.values())),
        "last_date": by_series[p.ids[i_last]][1],
        "by_series": MappingProxyType(by_series),
    })
    return Backtest(
        models=tuple(labels), series=tuple(p.ids), min_train=min_train, horizons=horizons, level=level,
        window=window, window_size=size, intervals=kinds, members=members if weights is not None else (),
        vintage=vintage, _forecasts=fc, _params=params, _saturation=saturation, _weights=wframe,
    )


def _later(p: _Panel, lay: _Layout) -> np.ndarray:
    """The largest observed value after each row's origin (NaN if none)."""
    N = p.t.shape[1]
    after = (np.arange(N)[None, :] > lay.rk[:, None]) & p.mask[lay.rs]
    vals = np.where(after, p.y[lay.rs], -np.inf).max(axis=1)
    return np.where(after.any(axis=1), vals, np.nan)


def _first_pass(p: _Panel, lay: _Layout, upper: np.ndarray) -> np.ndarray:
    """The first edition after each origin whose actual exceeds ``upper`` (NaN if none)."""
    N = p.t.shape[1]
    after = (np.arange(N)[None, :] > lay.rk[:, None]) & p.mask[lay.rs]
    above = after & (p.y[lay.rs] > upper[:, None])
    j = np.argmax(above, axis=1)
    ed = p.edition[lay.rs, j].astype(float)
    return np.where(above.any(axis=1), ed, np.nan)


# ====================================================================== calibrated intervals
def calibrated_fit(spec: Model, long: pd.DataFrame, *, horizons: int = 6, min_train: int = 10) -> FitResult:
    """Fit ``spec`` to one series with intervals calibrated by its own backtest.

    The backtest (expanding window, ``min_train`` points or fewer for a
    short series, horizons ``1 .. horizons``) gives the signed out-of-sample
    errors ``actual - mean`` per horizon; the fit on all data then carries
    them, and :func:`growthcast.uncertainty.predict_interval` adds their
    empirical quantiles to the point forecast (a split-conformal rule). This
    is what ``gc.fit(..., interval="backtest")`` calls.

    Parameters
    ----------
    spec : Model
    long : pandas.DataFrame
        One validated series (:func:`growthcast.from_frame`).
    horizons : int
        Editions ahead calibrated; beyond the last, its errors are used.
    min_train : int
        Training points of the first origin, lowered to ``n - horizons``
        (but no lower than the model's parameters plus one, and 3) for a
        short series; then fewer horizons are calibrated.

    Returns
    -------
    FitResult
        With ``interval="backtest"``; ``fitted.extra["backtest_errors"]`` has
        shape (1, H, E) (NaN-padded) and ``extra["backtest_step"]`` the median
        spacing of the series, in years per edition.

    Raises
    ------
    DataError
        A series too short to leave one point to forecast.
    """
    from .fitting import _fit_batch

    n = len(long)
    floor = max(3, len(spec.param_names) + 1)
    min_train = max(min(min_train, n - horizons), floor)
    H = min(horizons, n - min_train)
    if H < 1:
        raise DataError(f"too short for interval='backtest': {n} points; calibrating {spec.name!r} needs at "
                        f"least {floor + 1} (a first training window of {floor} and one point to forecast)")
    bt = backtest(long, models=[spec], min_train=min_train, horizons=range(1, H + 1), level=0.5)
    fc = bt._forecasts
    errs = [fc.loc[(fc["horizon"] == h) & fc["error"].notna(), "error"].to_numpy() for h in range(1, H + 1)]
    # keep the leading horizons that have errors: the quantiles need at least one per horizon
    usable = 0
    while usable < H and errs[usable].size:
        usable += 1
    errs = errs[: max(usable, 1)]
    E = max(max((e.size for e in errs), default=0), 1)
    table = np.full((1, len(errs), E), np.nan)
    for i, e in enumerate(errs):
        table[0, i, : e.size] = e
    batch = _fit_batch(spec, long, "delta", 0, None)
    res = batch[batch.series_ids[0]]
    step = float(np.median(np.diff(res.t))) if len(res.t) > 1 else 0.5
    fitted = res.fitted.with_extra(backtest_errors=table, backtest_step=np.array([step]))
    return replace(res, fitted=fitted, interval="backtest")
