"""The projection of one series or several, as text, JSON-able data and an HTML report.

:func:`project` fits a model to every observation of a series and gathers
what a reader wants from it: the projection on the data's own grid (a step
of their frequency: yearly, half-yearly, ...) with intervals, the saturation
level, and the period in which milestones are reached. :func:`choose_model`
picks a model by a backtest. :func:`write_report` writes a self-contained
HTML page (figures embedded, and also saved beside it as PNG files). The
command line (:mod:`growthcast.cli`) is a thin layer over these functions.

Data
----
Either the bundled CNNIC table (``gc.load_cnnic()``: columns ``edition``,
``as_of`` and one column per series), whose observations are report
editions, or a long frame of one's own series (``series_id, date, value``,
as :func:`growthcast.read_csv` and :func:`growthcast.from_frame` read it;
dates or plain numbers such as years). Nothing about the CNNIC editions is
assumed of a long frame: its periods follow its frequency, its values are
percentages only where flagged (a ``_pct`` name or ``percent=True``).
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ._checks import check_levels
from .data import from_decimal_year, from_frame, is_percent_series
from ._files import write_file
from .errors import DataError, short_list
from .fitting import fit
from .models import model_names
from .results import FitResult

__all__ = [
    "DEFAULT_MODEL",
    "CANDIDATE_MODELS",
    "SERIES_LABELS",
    "MAX_REPORT_SERIES",
    "Projection",
    "Selection",
    "default_model",
    "candidate_models",
    "default_milestones",
    "half_year",
    "period_label",
    "milestones",
    "choose_model",
    "project",
    "format_projection",
    "write_report",
]

#: The model used when none is named.
DEFAULT_MODEL = "auto"
#: The models compared by ``--model best`` and in the report's backtest.
CANDIDATE_MODELS = ("logistic", "gompertz", "richards", "bass", "logit_linear", "holt_damped", "drift", "auto", "saturating")
PERCENT_MILESTONES = (80.0, 85.0, 90.0)
NEVER_WITHIN = 100.0  # years searched for a milestone
#: The most series one report holds (each has its own section of figures and tables).
MAX_REPORT_SERIES = 12

SERIES_LABELS = {
    "penetration_pct": "Internet penetration (% of population)",
    "netizens_million": "Netizens (million)",
    "mobile_netizens_million": "Mobile netizens (million)",
    "rural_netizens_million": "Rural netizens (million)",
    "urban_penetration_pct": "Urban Internet penetration (%)",
    "rural_penetration_pct": "Rural Internet penetration (%)",
}

#: The name of one step of each calendar frequency (months per step), for the milestone and projection tables.
_PERIOD_WORDS = {12: "year", 6: "half-year", 3: "quarter", 1: "month"}


def default_model() -> str:
    """The model of ``growthcast forecast`` without ``--model``: :data:`DEFAULT_MODEL`."""
    return DEFAULT_MODEL


def candidate_models() -> tuple[str, ...]:
    """:data:`CANDIDATE_MODELS`: the models the report compares."""
    return tuple(CANDIDATE_MODELS)


def series_label(series: Any, percent: bool | None = None) -> str:
    """A CNNIC series' long name; another series' id, with ``(%)`` for a percentage."""
    if series in SERIES_LABELS:
        return SERIES_LABELS[series]
    pct = is_percent_series(series) if percent is None else bool(percent)
    return f"{series} (%)" if pct else str(series)


def _is_pct(series: Any, percent: bool | None) -> bool:
    return is_percent_series(series) if percent is None else bool(percent)


def _tail(series: Any) -> str:
    return " million" if str(series).endswith("_million") else ""


def format_value(value: float, series: Any, unit: bool = True, *, percent: bool | None = None) -> str:
    """``80.0%`` for a percentage, ``1,150 million`` for a count in millions, ``12.5`` otherwise.

    ``percent`` overrides the rule that a series whose name ends in ``_pct`` is a percentage.
    """
    if value is None or not np.isfinite(value):
        return "-"
    pct = _is_pct(series, percent)
    text = f"{value:,.1f}"
    if not pct and float(value).is_integer():
        text = text.removesuffix(".0")
    if not unit:
        return text
    return f"{text}%" if pct else f"{text}{_tail(series)}"


def format_interval(value: float, lower: float, upper: float, series: Any, *, percent: bool | None = None) -> str:
    """``80.9% [77.4%, 84.6%]`` or ``1,372.0 [1,299.5, 1,448.4] million``."""
    if _is_pct(series, percent):
        return (f"{format_value(value, series, percent=True)} [{format_value(lower, series, percent=True)}, "
                f"{format_value(upper, series, percent=True)}]")
    f = lambda v: "-" if not np.isfinite(v) else f"{v:,.1f}"  # noqa: E731
    return f"{f(value)} [{f(lower)}, {f(upper)}]{_tail(series)}"


def _nice_step(value: float) -> float:
    """A round step (1, 2 or 5 times a power of ten) near 4.5% of ``value``."""
    raw = 0.045 * abs(value)
    if raw <= 0 or not np.isfinite(raw):
        return 1.0
    power = 10.0 ** math.floor(math.log10(raw))
    return min((m * power for m in (1, 2, 5, 10)), key=lambda s: abs(math.log(s / raw)))


def default_milestones(series: Any, y: np.ndarray, *, percent: bool | None = None) -> list[float]:
    """80, 85 and 90% for a percentage; else the next three round levels above the last value."""
    if _is_pct(series, percent):
        return list(PERCENT_MILESTONES)
    last = float(y[-1])
    step = _nice_step(last)
    first = (math.floor(last / step) + 1) * step
    return [first + k * step for k in range(3)]


def half_year(when: Any) -> str:
    """The half-year a date falls in, e.g. ``2027H1``; ``never`` for NaT."""
    if when is None or pd.isna(when):
        return "never"
    when = pd.Timestamp(when)
    return f"{when.year}H{1 if when.month <= 6 else 2}"


def period_label(when: Any, months: int) -> str:
    """The period of the data's frequency in which ``when`` falls; ``never`` for NaT or NaN.

    Parameters
    ----------
    when : Timestamp or float
        A date, or a time in decimal years for data given as plain numbers.
    months : int
        Calendar months per step of the data (12, 6, 3, 1), or 0 when irregular.

    Returns
    -------
    str
        With dates: ``2027`` (yearly), ``2027H1`` (half-yearly), ``2027Q3``
        (quarterly), ``2027-03`` (monthly), else the day. Without dates a
        yearly time is labelled by the year that ends the period in which
        it falls (2026.4 is reached by the observation of 2027), and other
        times by the decimal year.
    """
    if when is None or pd.isna(when):
        return "never"
    if isinstance(when, (pd.Timestamp, np.datetime64)) or hasattr(when, "year"):
        ts = pd.Timestamp(when)
        if months == 12:
            return f"{ts.year}"
        if months == 6:
            return half_year(ts)
        if months == 3:
            return f"{ts.year}Q{(ts.month - 1) // 3 + 1}"
        if months == 1:
            return f"{ts:%Y-%m}"
        return f"{ts:%Y-%m-%d}"
    t = float(when)
    if months == 12:
        return str(int(math.ceil(t - 1e-9)))
    return f"{t:.2f}"


def _period_word(months: int) -> str:
    return _PERIOD_WORDS.get(months, "period")


# ---------------------------------------------------------------- computations
def milestones(result: FitResult, values: Sequence[float], level: float, *, dates: pd.Series | None = None,
               editions: pd.Series | None = None) -> pd.DataFrame:
    """When ``result`` reaches each value: the period of the data's frequency, and an interval of periods.

    The period is the one in which the mean path crosses the value; the
    interval runs from where the upper prediction bound crosses it (the
    earliest) to where the lower bound does (the latest); ``never`` when a
    path stays below it for :data:`NEVER_WITHIN` years. No path is dated
    before the next step of the data's grid. A value the data have already
    reached is reported with the first observation at or above it.

    Parameters
    ----------
    result : FitResult
    values : sequence of float
    level : float
        Coverage of the prediction band.
    dates : Series, optional
        The observations' dates, for those already reached (by default
        from the fit's times).
    editions : Series, optional
        The CNNIC edition of each observation.

    Returns
    -------
    pandas.DataFrame
        ``value, status, t, earliest_t, latest_t`` (decimal years),
        ``period, earliest_period, latest_period`` (labels, see
        :func:`period_label`); with dates also ``date, earliest, latest``;
        for half-yearly dates also ``half_year, earliest_half_year,
        latest_half_year`` (the same labels). ``status`` is ``observed``,
        ``projected`` or ``not reached``; ``edition`` when ``editions`` is given.
    """
    months = int(getattr(result, "months", 0) or 0)
    t_next = float(result.forecast(steps=1, level=level)["t"].iloc[0])
    obs_dates = None
    if result.has_dates:
        obs_dates = pd.DatetimeIndex(dates) if dates is not None else from_decimal_year(result.t).round("D")
    rows = []
    for value in values:
        value = float(value)
        reached = np.flatnonzero(result.y >= value)
        if reached.size:
            i = int(reached[0])
            ts = [float(result.t[i])] * 3
            row = {"value": value, "status": "observed"}
            if editions is not None:
                row["edition"] = int(editions.iloc[i])
            when = [obs_dates[i]] * 3 if obs_dates is not None else None
        else:
            cross = result.time_to_reach(value, level, horizon=NEVER_WITHIN)
            # not observed by the last point: no path can reach it before the next step of the grid
            ts = [max(float(cross[k]), t_next) if np.isfinite(cross[k]) else np.nan
                  for k in ("t", "lower_t", "upper_t")]
            row = {"value": value, "status": "projected" if np.isfinite(ts[0]) else "not reached"}
            when = list(from_decimal_year(ts).round("D")) if result.has_dates else None
        row.update(t=ts[0], earliest_t=ts[1], latest_t=ts[2])
        if when is not None:
            row.update(date=when[0], earliest=when[1], latest=when[2])
        labels = when if when is not None else ts
        row.update(period=period_label(labels[0], months), earliest_period=period_label(labels[1], months),
                   latest_period=period_label(labels[2], months))
        rows.append(row)
    out = pd.DataFrame(rows)
    if result.has_dates:
        for col in ("date", "earliest", "latest"):
            out[col] = pd.to_datetime(out[col])
        if months == 6:
            out["half_year"] = out["period"]
            out["earliest_half_year"] = out["earliest_period"]
            out["latest_half_year"] = out["latest_period"]
    return out


@dataclass(frozen=True)
class Selection:
    """How ``--model best`` chose: the winner, the leaderboard and why."""

    model: str
    metric: str
    leaderboard: pd.DataFrame
    reason: str
    backtest: Any = None


def choose_model(
    df: pd.DataFrame,
    series: Any,
    candidates: Sequence[str] | None = None,
    *,
    metric: str = "MASE",
    min_train: int = 10,
    horizons: Sequence[int] = range(1, 7),
    level: float = 0.8,
    backtest: Any = None,
) -> Selection:
    """The candidate with the lowest backtest ``metric`` (MASE by default) on ``series``.

    Parameters
    ----------
    df : DataFrame
        The CNNIC editions (``gc.load_cnnic()``) or a long frame
        (``series_id, date, value``; see :func:`project`).
    series : str
        The series (a CNNIC column, or a series id of the long frame).
    candidates : sequence of str, optional
        :func:`candidate_models` by default.
    metric : str
    min_train, horizons, level
        Passed to :func:`growthcast.backtest`.
    backtest : Backtest, optional
        A backtest already run on these candidates (and this series), to reuse.
    """
    candidates = list(candidate_models() if candidates is None else candidates)
    if backtest is None:
        from .backtest import backtest as run_backtest

        backtest = run_backtest(df, series=series, models=list(candidates), min_train=min_train,
                                horizons=horizons, level=level)
    skipped = backtest.skipped
    if series in set(skipped["series_id"]):
        reason = skipped.loc[skipped["series_id"] == series, "reason"].iloc[0]
        raise DataError(f"{series!r} is too short to choose a model by backtest: {reason}")
    board = backtest.leaderboard(metric=metric)
    if "series_id" in board.columns:  # the backtest given may hold other series too
        board = board[board["series_id"] == series].reset_index(drop=True)
    fittable = set(model_names())  # not ensemble_weighted, which exists in backtests only
    scored = board[np.isfinite(pd.to_numeric(board[metric], errors="coerce")) & board["model"].isin(fittable)]
    if scored.empty:
        raise DataError(f"no candidate model could be scored by {metric} on {series!r}: {list(candidates)}")
    scored = scored.sort_values(metric, kind="stable")
    best = scored.iloc[0]
    hs = list(horizons)
    span = f"{min(hs)}-{max(hs)}" if hs == list(range(min(hs), max(hs) + 1)) else ",".join(map(str, hs))
    reason = (f"lowest {metric} ({best[metric]:.3f}) over horizons {span} in a backtest of "
              f"{len(board)} model(s) with origins from the {min_train}th observation on")
    if len(scored) > 1:
        second = scored.iloc[1]
        reason += f"; runner-up {second['model']} ({second[metric]:.3f})"
    return Selection(model=str(best["model"]), metric=metric, leaderboard=board, reason=reason, backtest=backtest)


@dataclass(frozen=True)
class Projection:
    """A fitted series projected forward, with its saturation level and milestones.

    ``data`` holds the observations used: ``date`` (NaT for plain-number
    times), ``t`` (decimal years), ``value`` and, for the CNNIC editions,
    ``edition``. ``percent`` says whether the values are percentages.
    """

    series: Any
    model: str
    result: FitResult
    level: float  # the widest asked for: that of the saturation level and the milestones
    forecast: pd.DataFrame
    saturation: pd.Series
    milestones: pd.DataFrame
    data: pd.DataFrame
    selection: Selection | None = None
    notes: list[str] = field(default_factory=list)
    levels: tuple[float, ...] = ()  # every level of the forecast's bounds, when several

    def bounds(self) -> list[tuple[str, str, float]]:
        """The forecast's (lower column, upper column, level): ``lower, upper`` or ``lower_80, upper_80, ...``."""
        if "lower" in self.forecast.columns:
            return [("lower", "upper", self.level)]
        return [(f"lower_{100 * lv:g}", f"upper_{100 * lv:g}", lv) for lv in self.levels]

    @property
    def percent(self) -> bool:
        return bool(self.result.percent)

    @property
    def source(self) -> str:
        """What the observations are: ``CNNIC editions`` or ``yearly observations``, ``half-yearly ...``."""
        if "edition" in self.data.columns:
            return "CNNIC editions"
        freq = self.result.frequency
        return f"{freq} observations" if not freq.startswith("irregular") else "observations"

    def to_dict(self) -> dict:
        """JSON-able builtins: everything the text output shows."""

        def num(v):
            v = float(v)
            return v if np.isfinite(v) else None

        def day(v):
            return None if v is None or pd.isna(v) else pd.Timestamp(v).strftime("%Y-%m-%d")

        sel = None
        if self.selection is not None:
            sel = {"model": self.selection.model, "metric": self.selection.metric, "reason": self.selection.reason,
                   "leaderboard": records(self.selection.leaderboard)}
        months = int(self.result.months)
        data = {"points": int(len(self.data)), "frequency": self.result.frequency,
                "first": _when_text(self.data.iloc[0]), "last": _when_text(self.data.iloc[-1]),
                "last_value": num(self.data["value"].iloc[-1]), "percent": self.percent}
        if "edition" in self.data.columns:
            data["editions"] = int(len(self.data))
        forecast = [{"date": day(r.get("date")), "t": num(r["t"]),
                     "period": period_label(r["date"] if self.result.has_dates else r["t"], months),
                     "mean": num(r["mean"]), **{c: num(r[c]) for lo, hi, _ in self.bounds() for c in (lo, hi)}}
                    for r in self.forecast.to_dict("records")]
        ms = []
        for r in self.milestones.to_dict("records"):
            item = {"value": num(r["value"]), "status": r["status"], "period": r["period"],
                    "earliest_period": r["earliest_period"], "latest_period": r["latest_period"],
                    "t": num(r["t"]), "earliest_t": num(r["earliest_t"]), "latest_t": num(r["latest_t"]),
                    "date": day(r.get("date")), "earliest": day(r.get("earliest")), "latest": day(r.get("latest"))}
            if "half_year" in r:
                item.update(half_year=r["half_year"], earliest_half_year=r["earliest_half_year"],
                            latest_half_year=r["latest_half_year"])
            ms.append(item)
        return {
            "series": self.series if isinstance(self.series, (str, int, float)) else str(self.series),
            "model": self.model,
            "level": self.level,
            **({"levels": list(self.levels)} if len(self.levels) > 1 else {}),
            "selection": sel,
            "data": data,
            "fit": self.result.to_dict(),
            "saturation": {k: num(self.saturation[k]) for k in ("value", "lower", "upper")},
            "forecast": forecast,
            "milestones": ms,
            "notes": list(self.notes),
        }


def _when_text(row: pd.Series) -> str:
    """An observation's date, or its time for plain-number times (``2019``, ``2019.5``)."""
    if "date" in row.index and pd.notna(row["date"]):
        return f"{pd.Timestamp(row['date']):%Y-%m-%d}"
    return f"{float(row['t']):g}"


def shown_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Without the bookkeeping columns that hold one value only (one series, one interval kind, one level)."""
    drop = [c for c in ("series_id", "interval", "level") if c in frame.columns
            and frame[c].nunique(dropna=False) <= 1]
    return frame.drop(columns=drop)


def records(frame: pd.DataFrame) -> list[dict]:
    """A frame as JSON-able records (NaN as None, dates as ISO strings)."""
    return json.loads(frame.to_json(orient="records", date_format="iso"))


# ---------------------------------------------------------------- the data of one series
def _is_cnnic(df: pd.DataFrame) -> bool:
    """The CNNIC table (``edition``/``as_of`` and a column per series), as opposed to a long frame."""
    return "as_of" in df.columns


def _long_frame(df: pd.DataFrame, date: str | None, value: str, series_id: str | None) -> pd.DataFrame:
    """``df`` as a validated long frame ``series_id, date, t, value`` (it may be one already)."""
    if {"series_id", "date", "t", "value"} <= set(df.columns) and date is None and value == "value" \
            and series_id in (None, "series_id"):
        return df  # validated already (read_csv, from_frame); every fit checks it again
    return from_frame(df, date=date or "date", value=value, series_id=series_id)


def _series_ids(long: pd.DataFrame, series: Any) -> list:
    """The series asked for (one id, several, or all), each checked against the frame."""
    ids = list(pd.unique(long["series_id"]))
    if series is None:
        return ids
    one = isinstance(series, str) or not np.iterable(series) or (isinstance(series, tuple) and series in set(ids))
    wanted = [series] if one else list(series)  # a tuple that is an id is one series, not several
    unknown = [s for s in wanted if s not in set(ids)]
    if unknown:
        raise DataError(f"no series {short_list(unknown)}; the data have {short_list(ids)}")
    return list(dict.fromkeys(wanted))


def _series_data(df: pd.DataFrame, series: Any) -> tuple[pd.DataFrame, bool]:
    """One series' observations (``[edition,] date, t, value``) and whether they are percentages."""
    if _is_cnnic(df):
        if series not in df.columns:
            raise DataError(f"no series {series!r}; the data have "
                            f"{[c for c in df.columns if str(c).endswith(('_pct', '_million'))]}")
        absent = [c for c in ("edition", "as_of") if c not in df.columns]
        if absent:
            raise DataError(f"missing column(s) {absent}: project() takes CNNIC-style editions "
                            f"(edition, as_of and the series) or a long frame (series_id, date, value); "
                            f"the frame has {list(df.columns)[:8]}")
        rows = df.loc[df[series].notna(), ["edition", "as_of", series]].sort_values("as_of", ignore_index=True)
        from .data import to_decimal_year

        data = pd.DataFrame({"edition": rows["edition"].to_numpy(), "date": pd.DatetimeIndex(rows["as_of"]),
                             "t": to_decimal_year(rows["as_of"]), "value": rows[series].to_numpy(dtype=float)})
        return data, is_percent_series(series)
    rows = df[df["series_id"] == series]
    percent = bool(df.attrs.get("percent", {}).get(series, is_percent_series(series)))
    data = pd.DataFrame({"date": pd.DatetimeIndex(rows["date"]), "t": rows["t"].to_numpy(dtype=float),
                         "value": rows["value"].to_numpy(dtype=float)}).sort_values("t", ignore_index=True)
    return data, percent


def _fit_series(model: str, data: pd.DataFrame, series: Any, percent: bool) -> FitResult:
    """Fit ``model`` to the observations: on their dates when they have them, else on their times."""
    dated = bool(data["date"].notna().all())
    x = data["date"].to_numpy() if dated else data["t"].to_numpy()
    return fit(model, x, data["value"].to_numpy(), name=series, percent=percent)


def project(
    df: pd.DataFrame,
    series: Any = None,
    model: str | None = None,
    *,
    until: Any = None,
    steps: int | None = None,
    level: float | Sequence[float] = 0.95,
    milestone_values: Sequence[float] | None = None,
    selection: Selection | None = None,
    date: str | None = None,
    value: str = "value",
    series_id: str | None = None,
) -> Projection:
    """Fit ``model`` to every observation of ``series`` and project it.

    Parameters
    ----------
    df : DataFrame
        The CNNIC editions (``edition``, ``as_of`` and the series' column;
        ``gc.load_cnnic()``), or a long frame of one or several series
        (``series_id, date, value``, with dates or plain numbers such as
        years; column names as in :func:`growthcast.from_frame`).
    series : str, optional
        The CNNIC column (default ``penetration_pct``), or the series id in
        a long frame (may be left out when it holds one series).
    model : str, optional
        A registered model name; :func:`default_model` by default.
    until : date or decimal year, optional
        The end of the projection, on the data's own grid; by default
        ``steps`` steps of the data's frequency.
    steps : int, optional
        Steps ahead when ``until`` is not given (default 10).
    level : float or sequence of float
        Coverage of the intervals; several levels give a pair of bounds per
        level, and the saturation level and milestones use the widest.
    milestone_values : sequence of float, optional
        Levels to date; :func:`default_milestones` by default.
    selection : Selection, optional
        How the model was chosen, carried into the output.
    date, value, series_id : str, optional
        Column names of a long frame, as in :func:`growthcast.from_frame`.
    """
    if _is_cnnic(df):
        series = "penetration_pct" if series is None else series
    else:
        df = _long_frame(df, date, value, series_id)
        ids = _series_ids(df, series)
        if series is None and len(ids) > 1:
            raise DataError(f"the frame has {len(ids)} series {short_list(ids)}; name one with series=")
        series = ids[0]
    model = model or default_model()
    data, percent = _series_data(df, series)
    result = _fit_series(model, data, series, percent)
    notes = []
    if result.status < 0:
        raise DataError(f"the {model} model could not be fitted to {series}: {result.message}")
    if result.status == 0:
        notes.append(f"warning: {result.message}")
    levels, several = check_levels(level)
    forecast = result.forecast(until=until, level=level, steps=steps)
    level = levels[-1]
    saturation = result.saturation(level)
    ceiling_warning = result.spec.ceiling_warning(result)
    if ceiling_warning:
        notes.append(ceiling_warning)
    values = list(milestone_values) if milestone_values else default_milestones(series, result.y, percent=percent)
    table = milestones(result, values, level, dates=data["date"] if result.has_dates else None,
                       editions=data["edition"] if "edition" in data.columns else None)
    return Projection(series=series, model=model, result=result, level=level, forecast=forecast,
                      saturation=saturation, milestones=table, data=data, selection=selection, notes=notes,
                      levels=tuple(levels) if several else ())


# ---------------------------------------------------------------- text
def format_projection(p: Projection) -> str:
    """The projection as the plain-text report ``growthcast forecast`` prints."""
    pct = f"{p.level:.0%}"
    s = p.series
    fmt = lambda v: format_value(v, s, percent=p.percent)  # noqa: E731
    months = int(p.result.months)
    word = _period_word(months)
    last_row = p.data.iloc[-1]
    edition = f", edition {int(last_row['edition'])}" if "edition" in p.data.columns else ""
    bounds = p.bounds()
    lines = [
        f"{series_label(s, p.percent)}: {p.model} model, {' and '.join(f'{lv:.0%}' for _, _, lv in bounds)} "
        "prediction intervals",
        f"Fitted on {len(p.data)} {p.source}, {_when_text(p.data.iloc[0])} .. {_when_text(last_row)} "
        f"(last: {fmt(last_row['value'])}{edition}).",
    ]
    if p.selection is not None:
        lines.append(f"Model chosen by backtest: {p.selection.model}, {p.selection.reason}.")
    lines += [f"Note: {n}" for n in p.notes]
    width = max(11, len(word) + 2)
    dated = p.result.has_dates
    cell = 11 if len(bounds) > 1 else 10
    heads = "".join(f"{lo:>{cell}}{hi:>{cell}}" for lo, hi, _ in bounds)
    lines += ["", "Projection", f"  {'date' if dated else 't':<12}{word:<{width}}{'mean':>10}{heads}"]
    for row in p.forecast.to_dict("records"):
        when = f"{row['date']:%Y-%m-%d}" if dated else f"{row['t']:g}"
        label = period_label(row["date"] if dated else row["t"], months)
        cells = "".join(f"{row[lo]:>{cell},.1f}{row[hi]:>{cell},.1f}" for lo, hi, _ in bounds)
        lines.append(f"  {when:<10}  {label:<{width}}{row['mean']:>10,.1f}{cells}")
    lines.append("")
    sat = p.saturation
    if np.isfinite(sat["value"]):
        lines.append(f"Saturation level: {format_interval(sat['value'], sat['lower'], sat['upper'], s, percent=p.percent)} "
                     f"({pct} interval)")
    else:
        lines.append(f"Saturation level: none; the {p.model} model has no ceiling.")
    lines += ["", f"Milestones ({word} in which the projection reaches the level; "
              f"interval from the {pct} bounds)"]
    width = max(len(fmt(v)) for v in p.milestones["value"]) + 2
    pwidth = max(8, max(len(v) for v in p.milestones["period"]) + 2)
    for row in p.milestones.to_dict("records"):
        label = fmt(row["value"])
        if row["status"] == "observed":
            ed = f" (edition {int(row['edition'])})" if pd.notna(row.get("edition", np.nan)) else ""
            lines.append(f"  {label:<{width}}reached {row['period']}, observed{ed}")
        else:
            lines.append(f"  {label:<{width}}{row['period']:<{pwidth}}[{row['earliest_period']} .. "
                         f"{row['latest_period']}]")
    if (p.milestones["status"] != "observed").any() and (p.milestones[["period", "earliest_period",
                                                                     "latest_period"]] == "never").any().any():
        lines.append(f"  never: that path stays below the level for {NEVER_WITHIN:.0f} years")
    return "\n".join(lines)


# ---------------------------------------------------------------- HTML
_CSS = """
*, *::before, *::after { box-sizing: border-box; }
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 88em;
       color: #222; line-height: 1.45; padding: 0 1em; overflow-wrap: break-word; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ddd; }
.table { max-width: 100%; overflow-x: auto; margin: 0.6em 0; }
table { border-collapse: collapse; font-size: 0.88em; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; white-space: nowrap; }
th { background: #f3f5f8; } .n { text-align: right; }
p, figcaption, details { max-width: 52em; }
figure { margin: 1em 0; } figcaption { color: #555; font-size: 0.9em; }
img { max-width: 100%; height: auto; display: block; } .muted { color: #666; font-size: 0.9em; }
details { margin: 0.8em 0; } pre { background: #f6f6f6; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
@media (max-width: 40em) { body { margin: 1em auto; padding: 0 0.6em; } table { font-size: 0.8em; }
  /* a phone shows the figures at a readable size, scrolled sideways inside their box */
  figure { overflow-x: auto; } figure img { max-width: none; width: 40em; } }
"""


def _figure_html(fig, path: Path, alt: str, files: dict[Path, bytes]) -> str:
    """Render the figure as a PNG to be saved beside the report, and embed it as a data URI."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    data = buf.getvalue()
    files[path] = data
    encoded = base64.b64encode(data).decode("ascii")
    return f'<img src="data:image/png;base64,{encoded}" alt="{html.escape(alt)}">'


def _exact(value: float) -> str:
    """A number as stored, to its last significant digit: 0.62, 1,099.67, 338 (never rounded)."""
    text = np.format_float_positional(float(value), trim="-")
    whole, dot, frac = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    return f"{sign}{int(whole.lstrip('-') or 0):,}{dot}{frac}"


def _table_html(frame: pd.DataFrame, digits: int | None = 3, caption: str | None = None) -> str:
    """An escaped HTML table in a box that scrolls sideways on a narrow screen.

    Float columns holding whole numbers only are shown as integers; the
    others with ``digits`` decimals, or, with ``digits=None``, exactly as
    stored (every digit of 0.62 and 1,099.67, nothing added or rounded),
    which is how source data are shown.
    """

    def column_format(values: pd.Series):
        numeric = pd.api.types.is_float_dtype(values)
        whole = numeric and bool(np.all([not np.isfinite(v) or float(v).is_integer() for v in values]))

        def fmt(v):
            if isinstance(v, (float, np.floating)):
                if not np.isfinite(v):
                    return ""
                if digits is None:
                    return _exact(v)
                return f"{v:,.{0 if whole else digits}f}"
            if isinstance(v, pd.Timestamp):
                return "" if pd.isna(v) else f"{v:%Y-%m-%d}"
            return "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)

        return fmt

    formats = [column_format(frame[c]) for c in frame.columns]
    # numbers are right-aligned (class "n"); text and dates read from the left
    right = [pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
             for c in frame.columns]
    cls = [' class="n"' if r else "" for r in right]
    head = "".join(f"<th{k}>{html.escape(str(c))}</th>" for k, c in zip(cls, frame.columns))
    body = "".join(
        "<tr>" + "".join(f"<td{k}>{html.escape(f(v))}</td>" for k, f, v in zip(cls, formats, row)) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f'<div class="table"><table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _figure(img: str, caption: str) -> str:
    """An embedded figure with its caption."""
    return f"<figure>{img}<figcaption>{html.escape(caption)}</figcaption></figure>"


#: Short status words for the fitted-models table (the full messages go below it).
_STATUS_WORDS = {1: "converged", 2: "converged", 3: "converged", 4: "exact (closed form)", 0: "iteration limit"}


def _status_word(res: FitResult) -> str:
    return _STATUS_WORDS.get(res.status, "failed" if res.status < 0 else f"status {res.status}")


def _fits_observations(res: FitResult) -> bool:
    """Whether the fit's likelihood is that of the observations themselves.

    True when the fit used every observed value, as observed: ``nobs`` is
    the number of observations and the sum of squares is that of
    ``y - fitted`` on them. Fits to a transform (logits), to differences
    or to an interpolated grid fail this, and their information criteria
    cannot be set beside those of the others.
    """
    if res.status < 0 or not np.isfinite(res.aicc) or res.nobs != len(res.y):
        return False
    try:
        fitted = np.asarray(res.fitted_values(), dtype=float)
    except (AttributeError, NotImplementedError, TypeError, ValueError):  # a model without a fitted path
        return False
    if fitted.shape != np.shape(res.y) or not np.all(np.isfinite(fitted)):
        return False
    sse = float(np.sum((np.asarray(res.y, dtype=float) - fitted) ** 2))
    return bool(np.isclose(sse, float(res.sse), rtol=1e-6, atol=1e-12))


def _fit_table(fits: dict, level: float, series: Any, percent: bool | None = None
               ) -> tuple[pd.DataFrame, list[str], str]:
    """The fitted-models table, the notes below it, and which fits share information criteria."""
    rows, notes = [], []
    ref = next(iter(fits.values()), None)
    n_obs = len(ref.y) if ref is not None else 0
    # the same observations: each fit's own (nobs, y - fitted) and the same (t, y) as the first fit
    same = [name for name, res in fits.items() if _fits_observations(res) and np.array_equal(res.t, ref.t)
            and np.array_equal(res.y, ref.y)]
    best = min((fits[name].aicc for name in same), default=np.nan)
    for name, res in fits.items():
        sat = res.saturation(level) if res.status >= 0 else {"value": np.nan, "lower": np.nan, "upper": np.nan}
        comparable = name in same
        flag = ""
        if res.status >= 0:
            warning = res.spec.ceiling_warning(res)
            if warning:
                flag = "ceiling above 100%" if _is_pct(series, percent) else "implausible ceiling"
                notes.append(f"{name}: {warning}.")
        if res.status <= 0:
            notes.append(f"{name}: {res.message}.")
        rows.append({
            "model": name,
            "status": _status_word(res),
            "saturation": sat["value"],
            f"lower ({level:.0%})": sat["lower"],
            f"upper ({level:.0%})": sat["upper"],
            "flag": flag,
            "fitted to": (f"the {n_obs} observations" if comparable
                          else (f"{res.nobs} other values" if res.status >= 0 else "")),
            "AICc": res.aicc if comparable else np.nan,
            "ΔAICc": res.aicc - best if comparable else np.nan,
        })
    if same:
        caption = (f"AICc and ΔAICc compare only the models fitted to the same {n_obs} observations "
                   f"({', '.join(same)}); the others are fitted to other values (a transform, differences "
                   "or an interpolated grid) and are compared by the backtest instead.")
    else:
        caption = "No two models are fitted to the same values, so none are compared by AICc; see the backtest."
    return pd.DataFrame(rows), notes, caption


def _population(df: pd.DataFrame, series: Any) -> tuple[float | None, str | None]:
    """The population bounding a count of people, derived from the editions' own counts and penetration.

    For ``netizens_million`` and ``mobile_netizens_million`` of the CNNIC
    table it is ``netizens_million / penetration_pct * 100`` at the latest
    edition that prints both; ``(None, None)`` for other series.
    """
    if series not in ("netizens_million", "mobile_netizens_million") or "as_of" not in df.columns:
        return None, None
    if not {"netizens_million", "penetration_pct"} <= set(df.columns):
        return None, None
    both = df.dropna(subset=["netizens_million", "penetration_pct"])
    both = both[both["penetration_pct"] > 0]
    if both.empty:
        return None, None
    last = both.sort_values("as_of").iloc[-1]
    value = float(last["netizens_million"]) / float(last["penetration_pct"]) * 100.0
    edition = f", edition {int(last['edition'])}" if "edition" in both.columns else ""
    return value, f"population ≈ {value:,.0f} million (netizens ÷ penetration{edition})"


def _unit(series: Any, percent: bool | None = None) -> str | None:
    if _is_pct(series, percent):
        return "percentage points"
    return "million" if str(series).endswith("_million") else None


def failure_summary(backtest: Any) -> pd.DataFrame:
    """The failed fits of a backtest by series, model and status: ``fits`` (how many) and the ``message`` of the
    latest one (:attr:`growthcast.Backtest.failures` has every one)."""
    failures = backtest.failures
    keys = ["series_id", "model", "status"]
    if failures.empty:
        return failures.reindex(columns=[*keys, "fits", "message"])
    grouped = failures.groupby(keys, sort=False, observed=True)
    return grouped.size().rename("fits").to_frame().join(grouped["message"].last()).reset_index()


def _failures_html(backtest: Any) -> str:
    """A collapsed list of the models' failed fits and why, or nothing."""
    summary = failure_summary(backtest)
    if summary.empty:
        return ""
    items = "".join(f"<li>{html.escape(str(sid))}, {html.escape(model)}: {n} fit(s) failed; the latest: "
                    f"{html.escape(message)}</li>"
                    for sid, model, n, message in zip(summary["series_id"], summary["model"], summary["fits"],
                                                      summary["message"]))
    return f"<details><summary>Failed fits ({int(summary['fits'].sum())})</summary><ul>{items}</ul></details>\n"


def _skipped_html(skipped: pd.DataFrame) -> str:
    """A paragraph naming the series too short for the backtest, or nothing."""
    if skipped.empty:
        return ""
    items = "; ".join(f"{html.escape(str(sid))} ({html.escape(reason)})"
                      for sid, reason in zip(skipped["series_id"], skipped["reason"]))
    return f"<p>Left out of the backtest as too short: {items}.</p>\n"


def _file_stem(series: Any, k: int, several: bool) -> str:
    """The prefix of a series' PNG files: none for a one-series report, else its number and a safe name."""
    if not several:
        return ""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(series)).strip("._")[:40] or "series"
    return f"{k + 1:02d}_{safe}_"


def write_report(
    out: str | Path,
    df: pd.DataFrame,
    series: Any = None,
    model: str | None = None,
    *,
    models: Sequence[str] | None = None,
    until: Any = None,
    steps: int | None = None,
    level: float = 0.95,
    milestone_values: Sequence[float] | None = None,
    min_train: int = 10,
    horizons: Sequence[int] = range(1, 7),
    metric: str = "MASE",
    date: str | None = None,
    value: str = "value",
    series_id: str | None = None,
) -> Path:
    """Write ``report.html`` (and its figures as PNG files) into the directory ``out``.

    For each series the page holds the milestones, the saturation level,
    the fan chart, the fitted curves of every model in ``models`` with
    their table, the forecasts from each origin, the saturation drift, the
    projection and the data; the backtest leaderboard and the error by
    horizon (one panel per series) are shared. Figures are embedded as data
    URIs, so the HTML file alone can be sent on.

    Parameters
    ----------
    out : str or Path
        The directory; created if needed. ``report.html`` and the PNG files
        are written last, each atomically (:func:`growthcast._files.write_file`); a symbolic
        link in their place is replaced, never followed. The figures are
        ``fan_chart.png``, ``fitted_curves.png``, ``backtest_errors.png``,
        ``origin_forecasts.png`` and ``saturation_drift.png``; with several
        series each series' files start with its number and name.
    df : DataFrame
        The CNNIC editions (``gc.load_cnnic()``), or a long frame of one or
        several series (``series_id, date, value``; dates or plain numbers
        such as years), e.g. from :func:`growthcast.read_csv`.
    series : str or sequence of str, optional
        The CNNIC column (default ``penetration_pct``), or the series of a
        long frame (default all of them, at most :data:`MAX_REPORT_SERIES`).
    model : str, optional
        The model projected; ``"best"`` takes each series' backtest winner,
        and by default :func:`default_model`.
    models : sequence of str, optional
        The models fitted, drawn and backtested; :func:`candidate_models` by default.
    until, steps
        The end of the projection, on the data's own grid (see :func:`project`);
        by default 10 steps of the data's frequency.
    level : float
        Coverage of the projection's intervals.
    milestone_values : sequence of float, optional
        Levels to date (the same for every series); :func:`default_milestones` by default.
    min_train, horizons, metric
        The backtest's first training window, its horizons (in steps of
        the data's frequency) and the leaderboard's ranking metric. A
        series too short for the backtest is left out of it and named
        above the leaderboard; when every series is, the page says so and
        shows the rest (unless ``model="best"``, which needs a backtest of
        every series).
    date, value, series_id : str, optional
        Column names of a long frame, as in :func:`growthcast.from_frame`.

    Returns
    -------
    Path
        The HTML file.
    """
    from . import __version__
    from . import plot as gcplot
    from .backtest import backtest as run_backtest

    gcplot._matplotlib()  # fail early, before any fitting, if matplotlib is missing
    cnnic = _is_cnnic(df)
    if cnnic:
        ids = [series or "penetration_pct"] if isinstance(series, str) or series is None else list(series)
        for sid in ids:
            _series_data(df, sid)  # an unknown column is an error now, not after the backtest
        data_frame = df
    else:
        data_frame = _long_frame(df, date, value, series_id)
        ids = _series_ids(data_frame, series)
    if len(ids) > MAX_REPORT_SERIES:
        raise DataError(f"the report shows at most {MAX_REPORT_SERIES} series, and the data have {len(ids)} "
                        f"{short_list(ids)}; choose some with series= (--series on the command line)")
    several = len(ids) > 1
    vocab = ({"point": "edition", "points": "editions", "step": "edition", "nth": "observed edition"} if cnnic
             else {"point": "observation", "points": "observations", "step": "step", "nth": "observation"})
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files: dict[Path, bytes] = {}  # written at the end, each atomically
    models = list(dict.fromkeys(candidate_models() if models is None else models))
    bt, bt_error = None, None
    try:
        bt = run_backtest(data_frame, series=ids if several else ids[0], models=models, min_train=min_train,
                          horizons=horizons, level=0.8)
    except DataError as err:
        if model == "best":
            raise
        bt_error = str(err)
    fittable = set(model_names())  # ensemble_weighted exists in backtests only
    h2 = "h3" if several else "h2"  # with several series, each series is an h2 and its parts h3

    sections, projections = [], []
    for k, sid in enumerate(ids):
        selection = None
        chosen_model = model
        if model == "best":
            selection = choose_model(data_frame, sid, models, metric=metric, min_train=min_train,
                                     horizons=horizons, backtest=bt)
            chosen_model = selection.model
        proj = project(data_frame, sid, chosen_model, until=until, steps=steps, level=level,
                       milestone_values=milestone_values, selection=selection)
        projections.append(proj)
        sections.append(_series_section(proj, data_frame, bt, models, fittable, out, _file_stem(sid, k, several),
                                        files, h2, vocab, cnnic, several,
                                        quantity=None if cnnic or value == "value" else value))

    board_html = ""
    if bt is not None:
        board = bt.leaderboard(metric=metric)
        scores = bt.scores(by="horizon")
        units = {_unit(p.series, p.percent) for p in projections}
        unit = units.pop() if len(units) == 1 else None
        err_metric = "MAE" if "MAE" in scores.columns else metric
        label = series_label(ids[0], projections[0].percent) if not several else f"{len(ids)} series"
        errors_img = _figure_html(
            gcplot.backtest_errors(scores, metric=err_metric, unit=unit,
                                   title=f"{label}: backtest {err_metric} by horizon"),
            out / "backtest_errors.png",
            f"Line chart{', one panel per series' if several else ''}: each model's backtest {err_metric} "
            f"against the forecast horizon in {vocab['step']}s ahead", files)
        hs = list(horizons)
        board_html = f"""<h2>Backtest leaderboard</h2>
<p>Every model refitted at each origin from the {min_train}th {vocab['nth']} on, forecasting {len(hs)}
{vocab['step']}(s) ahead; ranked by {html.escape(metric)} (lower is better){', series by series' if several else ''}.
Errors are in the series' unit ({html.escape(unit or "its own")}); MASE divides them by the in-sample error of the
naive forecast. Coverage is the share of actual values inside the 80% interval, the Winkler score the interval's width
plus a penalty for each miss (lower is better), <i>ceiling_held</i> the share of origins whose ceiling's upper bound
was not passed by a later {vocab['point']}, <i>n</i> the number of forecasts scored and <i>failed</i> the number the
model could not make.</p>
{_skipped_html(bt.skipped)}{_table_html(shown_columns(board))}
{_failures_html(bt)}{_figure(errors_img, f"Backtest {err_metric} by horizon, one line per model"
         f"{' and one panel per series (each on its own scale)' if several else ''}.")}
<details><summary>Scores by horizon</summary>{_table_html(shown_columns(scores))}</details>"""
    else:
        board_html = (f"<h2>Backtest leaderboard</h2>\n<p>No backtest: {html.escape(bt_error or '')}. "
                      f"Lower min_train (--min-train) or the horizons to backtest shorter series.</p>")

    pct = f"{level:.0%}"
    first = projections[0]
    if several:
        title = f"Projections of {len(ids)} series"
        what = f"{len(ids)} series ({html.escape(', '.join(map(str, ids)))})"
    else:
        title = f"{series_label(first.series, first.percent)}: projection"
        what = (f"{len(first.data)} {first.source}, {_when_text(first.data.iloc[0])} .. "
                f"{_when_text(first.data.iloc[-1])}")
    models_used = sorted({p.model for p in projections})
    chosen = "".join(f"<p>{html.escape(str(p.series)) + ': ' if several else ''}Model chosen by backtest: "
                     f"<b>{html.escape(p.selection.model)}</b>, {html.escape(p.selection.reason)}.</p>"
                     for p in projections if p.selection is not None)
    data_html = ""
    if cnnic:
        # the figures the reports printed: not the notes, nor the population columns added beside them
        data_cols = [c for c in df.columns
                     if c not in ("note", "implied_population_million", "official_population_million")]
        data_html = (f"<h2>Data</h2>\n<p>The editions as printed in the CNNIC reports, every digit as recorded "
                     f"(nothing rounded); blank: not printed.</p>\n{_table_html(df[data_cols], None)}")
    body = "\n".join(sections)
    if not several:  # one series: its sections, then the backtest, as one page
        head_part, _, tail_part = body.partition("<!-- backtest -->")
        body = head_part + board_html + tail_part
    else:
        body = board_html + "\n" + body.replace("<!-- backtest -->", "")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>growthcast report: {html.escape(title)}</title>
<style>{_CSS}</style></head><body>
<h1>{html.escape(title)}</h1>
<p class="muted">growthcast {html.escape(__version__)}; {what};
model <b>{html.escape(', '.join(models_used))}</b>; {pct} prediction intervals; generated {pd.Timestamp.now(tz="UTC"):%Y-%m-%d %H:%M} UTC.</p>
{chosen}
{body}
{data_html}
</body></html>
"""
    path = out / "report.html"
    files[path] = page.encode("utf-8")
    for target, data in files.items():
        write_file(target, data)
    return path


def _series_section(proj: Projection, df: pd.DataFrame, bt: Any, models: list[str], fittable: set, out: Path,
                    stem: str, files: dict[Path, bytes], h2: str, vocab: dict, cnnic: bool,
                    several: bool, quantity: str | None = None) -> str:
    """One series' part of the page: milestones, saturation, figures, tables and its data.

    ``quantity`` (a user file's value column) labels the value axis; the series' id names the figures.
    """
    from . import plot as gcplot

    sid, level, res = proj.series, proj.level, proj.result
    pct = f"{level:.0%}"
    label = series_label(sid, proj.percent)
    axis = label if quantity is None else series_label(quantity, proj.percent)
    months = int(res.months)
    word = _period_word(months)
    bound, bound_label = _population(df, sid) if cnnic else (None, None)
    until = proj.forecast["t"].iloc[-1]  # the projection's own end, in decimal years
    fits = {name: _fit_series(name, proj.data, sid, proj.percent) for name in models if name in fittable}
    end = period_label(proj.forecast["date"].iloc[-1] if res.has_dates else until, months)
    figs = {"fan_chart": _figure_html(
        gcplot.fan_chart(res, until=until, ylabel=axis, title=f"{label}: {proj.model} forecast",
                         bound=bound, bound_label=bound_label),
        out / f"{stem}fan_chart.png",
        f"Fan chart: the observed {label} and the {proj.model} model's forecast to {end} "
        f"with its 80% and 95% prediction bands and the saturation level", files)}
    figs["fitted_curves"] = _figure_html(
        gcplot.fitted_curves(fits, until=until, ylabel=axis, title=f"{label}: fitted curves",
                             bound=bound, bound_label=bound_label),
        out / f"{stem}fitted_curves.png",
        f"Line chart: the observed {label} and the fitted and projected path of each of {len(fits)} models", files)
    origin_html = ""
    if bt is not None and sid in bt.series:
        figs["origin_forecasts"] = _figure_html(
            gcplot.origin_forecasts(bt, series=sid, ylabel=axis, bound=bound, bound_label=bound_label),
            out / f"{stem}origin_forecasts.png",
            f"Small multiples, one panel per model: the forecasts made from each origin {vocab['point']}, "
            f"coloured by origin, against the observed {vocab['points']}", files)
        figs["saturation_drift"] = _figure_html(
            gcplot.saturation_drift(bt, series=sid, ylabel=axis, bound=bound, bound_label=bound_label,
                                    title=f"{label}: saturation drift, the ceiling estimated at each origin"),
            out / f"{stem}saturation_drift.png",
            "Line chart: each curve's estimated ceiling with its 80% interval against the origin, "
            "with the highest value observed after each origin", files)
        origin_html = f"""<{h2}>Forecasts from each origin</{h2}>
{_figure(figs["origin_forecasts"], f"Each thin line starts at the {vocab['point']} it was made from; the black points "
         f"to its right are the {vocab['points']} it did not see.")}
<{h2}>Saturation drift</{h2}>
{_figure(figs["saturation_drift"], f"The ceiling each curve estimates from the {vocab['points']} available at each "
         f"origin, with its 80% interval; open markers: a later {vocab['point']} passed the interval's upper bound.")}"""

    fit_table, fit_notes, fit_caption = _fit_table(fits, level, sid, proj.percent)
    fmt = lambda v: format_value(v, sid, percent=proj.percent)  # noqa: E731
    ms = proj.milestones
    ms_table = pd.DataFrame({
        "level": [fmt(v) for v in ms["value"]],
        word: ms["period"],
        f"earliest ({pct})": ms["earliest_period"],
        f"latest ({pct})": ms["latest_period"],
        "status": ms["status"],
    })
    sat = proj.saturation
    sat_text = (f"{format_interval(sat['value'], sat['lower'], sat['upper'], sid, percent=proj.percent)} "
                f"({pct} interval)" if np.isfinite(sat["value"]) else f"none: the {proj.model} model has no ceiling")
    fc = proj.forecast
    when_col = "date" if res.has_dates else "t"
    projection = pd.DataFrame({when_col: fc[when_col] if res.has_dates else [f"{v:g}" for v in fc["t"]],
                               word: [period_label(v, months) for v in fc[when_col]],
                               "mean": fc["mean"], "lower": fc["lower"], "upper": fc["upper"]})
    data_html = ""
    if not cnnic:  # a long frame: this series' observations, exactly as given
        shown = (proj.data[["date", "value"]] if res.has_dates
                 else pd.DataFrame({"t": [f"{v:g}" for v in proj.data["t"]], "value": proj.data["value"]}))
        data_html = (f"<{h2}>Data</{h2}>\n<p>The {len(proj.data)} observations as given, every digit as recorded "
                     f"(nothing rounded).</p>\n{_table_html(shown, None)}")
    heading = f"<h2>{html.escape(label)}</h2>\n" if several else ""
    notes = "".join(f"<p class='muted'>{html.escape(n)}</p>" for n in proj.notes) if several else ""
    return f"""{heading}{notes}<{h2}>Milestones</{h2}>
<p>The {word} in which the projection reaches each level; the interval runs from where the upper
{pct} bound reaches it (earliest) to where the lower bound does (latest); <i>never</i>: not within {NEVER_WITHIN:.0f} years.</p>
{_table_html(ms_table)}
<{h2}>Saturation level</{h2}>
<p>{html.escape(sat_text)}</p>
<{h2}>Fan chart</{h2}>
{_figure(figs["fan_chart"], f"The {proj.model} model's forecast with its 80% and 95% prediction bands. "
         "Where two bands have the same bounds the legend says so: their outlines then lie on each other.")}
<{h2}>Fitted curves</{h2}>
{_figure(figs["fitted_curves"], f"Each model fitted to every {vocab['point']}; a dashed line lies on a curve drawn "
         "before it (the legend names which).")}
<p>{html.escape(fit_caption)}</p>
{_table_html(fit_table)}
{"".join(f"<p class='muted'>{html.escape(n)}</p>" for n in fit_notes)}
<!-- backtest -->
{origin_html}
<{h2}>Projection ({html.escape(proj.model)})</{h2}>
{_table_html(projection, 2)}
{data_html}
<details><summary>Fit summary{f' ({html.escape(str(sid))})' if several else ''}</summary><pre>{html.escape(str(res.summary(level)))}</pre></details>
"""
