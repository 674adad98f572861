"""The projection of one series, as text, JSON-able data and an HTML report.

:func:`project` fits a model to every edition of a series and gathers what
a reader wants from it: the half-yearly projection with intervals, the
saturation level, and the half-year in which milestones are reached.
:func:`choose_model` picks a model by a backtest. :func:`write_report`
writes a self-contained HTML page (figures embedded, and also saved beside
it as PNG files). The command line (:mod:`growthcast.cli`) is a thin layer
over these functions.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from .data import is_percent_series
from ._files import write_file
from .errors import DataError
from .fitting import fit
from .models import model_names
from .results import FitResult

__all__ = [
    "DEFAULT_MODEL",
    "CANDIDATE_MODELS",
    "SERIES_LABELS",
    "Projection",
    "Selection",
    "default_model",
    "candidate_models",
    "default_milestones",
    "half_year",
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

SERIES_LABELS = {
    "penetration_pct": "Internet penetration (% of population)",
    "netizens_million": "Netizens (million)",
    "mobile_netizens_million": "Mobile netizens (million)",
    "rural_netizens_million": "Rural netizens (million)",
    "urban_penetration_pct": "Urban Internet penetration (%)",
    "rural_penetration_pct": "Rural Internet penetration (%)",
}


def default_model() -> str:
    """The model of ``growthcast forecast`` without ``--model``: :data:`DEFAULT_MODEL`."""
    return DEFAULT_MODEL


def candidate_models() -> tuple[str, ...]:
    """:data:`CANDIDATE_MODELS`: the models the report compares."""
    return tuple(CANDIDATE_MODELS)


def series_label(series: str) -> str:
    return SERIES_LABELS.get(series, series)


def format_value(value: float, series: str, unit: bool = True) -> str:
    """``80.0%`` for a percentage, ``1,150 million`` for a count in millions."""
    if value is None or not np.isfinite(value):
        return "-"
    text = f"{value:,.1f}"
    if not is_percent_series(series) and float(value).is_integer():
        text = text.removesuffix(".0")
    if not unit:
        return text
    if is_percent_series(series):
        return f"{text}%"
    return f"{text} million" if series.endswith("_million") else text


def format_interval(value: float, lower: float, upper: float, series: str) -> str:
    """``80.9% [77.4%, 84.6%]`` or ``1,372.0 [1,299.5, 1,448.4] million``."""
    if is_percent_series(series):
        return f"{format_value(value, series)} [{format_value(lower, series)}, {format_value(upper, series)}]"
    f = lambda v: "-" if not np.isfinite(v) else f"{v:,.1f}"  # noqa: E731
    tail = " million" if series.endswith("_million") else ""
    return f"{f(value)} [{f(lower)}, {f(upper)}]{tail}"


def _nice_step(value: float) -> float:
    """A round step (1, 2 or 5 times a power of ten) near 4.5% of ``value``."""
    raw = 0.045 * abs(value)
    if raw <= 0 or not np.isfinite(raw):
        return 1.0
    power = 10.0 ** math.floor(math.log10(raw))
    return min((m * power for m in (1, 2, 5, 10)), key=lambda s: abs(math.log(s / raw)))


def default_milestones(series: str, y: np.ndarray) -> list[float]:
    """80, 85 and 90% for a percentage; else the next three round levels above the last value."""
    if is_percent_series(series):
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


# ---------------------------------------------------------------- computations
def milestones(result: FitResult, values: Sequence[float], level: float, *, dates: pd.Series | None = None,
               editions: pd.Series | None = None) -> pd.DataFrame:
    """When ``result`` reaches each value: the half-year and an interval of half-years.

    The half-year is the one in which the mean path crosses the value; the
    interval runs from where the upper prediction bound crosses it (the
    earliest) to where the lower bound does (the latest); ``never`` when a
    path stays below it for :data:`NEVER_WITHIN` years. A value the data
    have already reached is reported with the first edition at or above it.

    Returns
    -------
    pandas.DataFrame
        ``value, status, date, earliest, latest`` (dates) and
        ``half_year, earliest_half_year, latest_half_year`` (labels);
        ``status`` is ``observed``, ``projected`` or ``not reached``.
    """
    rows = []
    obs_dates = pd.DatetimeIndex(dates) if dates is not None else None
    next_date = None
    if result.has_dates:
        from .data import from_decimal_year, half_year_grid

        grid = half_year_grid(float(result.t[-1]), float(result.t[-1]) + 1.0)
        next_date = from_decimal_year(grid[:1]).round("D")[0] if grid.size else None
    for value in values:
        value = float(value)
        reached = np.flatnonzero(result.y >= value)
        if reached.size and obs_dates is not None:
            i = int(reached[0])
            when = obs_dates[i]
            row = {"value": value, "status": "observed", "date": when, "earliest": when, "latest": when}
            if editions is not None:
                row["edition"] = int(editions.iloc[i])
            rows.append(row)
            continue
        cross = result.time_to_reach(value, level, horizon=NEVER_WITHIN)
        # not observed by the last edition: no path can reach it before the next half-year
        row = {"value": value, "date": cross.get("date", pd.NaT), "earliest": cross.get("lower", pd.NaT),
               "latest": cross.get("upper", pd.NaT)}
        for key in ("date", "earliest", "latest"):
            if pd.notna(row[key]) and next_date is not None and row[key] < next_date:
                row[key] = next_date
        row["status"] = "projected" if pd.notna(row["date"]) else "not reached"
        rows.append(row)
    out = pd.DataFrame(rows)
    for col in ("date", "earliest", "latest"):
        out[col] = pd.to_datetime(out[col])
    out["half_year"] = [half_year(d) for d in out["date"]]
    out["earliest_half_year"] = [half_year(d) for d in out["earliest"]]
    out["latest_half_year"] = [half_year(d) for d in out["latest"]]
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
    series: str,
    candidates: Sequence[str] | None = None,
    *,
    metric: str = "MASE",
    min_train: int = 10,
    horizons: Sequence[int] = range(1, 7),
    level: float = 0.8,
    backtest: Any = None,
) -> Selection:
    """The candidate with the lowest backtest ``metric`` (MASE by default).

    Parameters
    ----------
    df : DataFrame
        The editions (``gc.load_cnnic()``).
    series : str
    candidates : sequence of str, optional
        :func:`candidate_models` by default.
    metric : str
    min_train, horizons, level
        Passed to :func:`growthcast.backtest`.
    backtest : Backtest, optional
        A backtest already run on these candidates, to reuse.
    """
    candidates = list(candidate_models() if candidates is None else candidates)
    if backtest is None:
        from .backtest import backtest as run_backtest

        backtest = run_backtest(df, series=series, models=list(candidates), min_train=min_train,
                                horizons=horizons, level=level)
    board = backtest.leaderboard(metric=metric)
    fittable = set(model_names())  # not ensemble_weighted, which exists in backtests only
    scored = board[np.isfinite(pd.to_numeric(board[metric], errors="coerce")) & board["model"].isin(fittable)]
    if scored.empty:
        raise DataError(f"no candidate model could be scored by {metric} on {series!r}: {list(candidates)}")
    scored = scored.sort_values(metric, kind="stable")
    best = scored.iloc[0]
    hs = list(horizons)
    span = f"{min(hs)}-{max(hs)}" if hs == list(range(min(hs), max(hs) + 1)) else ",".join(map(str, hs))
    reason = (f"lowest {metric} ({best[metric]:.3f}) over horizons {span} in a backtest of "
              f"{len(board)} model(s) with origins from the {min_train}th observed edition on")
    if len(scored) > 1:
        second = scored.iloc[1]
        reason += f"; runner-up {second['model']} ({second[metric]:.3f})"
    return Selection(model=str(best["model"]), metric=metric, leaderboard=board, reason=reason, backtest=backtest)


@dataclass(frozen=True)
class Projection:
    """A fitted series projected forward, with its saturation level and milestones."""

    series: str
    model: str
    result: FitResult
    level: float
    forecast: pd.DataFrame
    saturation: pd.Series
    milestones: pd.DataFrame
    data: pd.DataFrame  # edition, as_of and the series, observed rows only
    selection: Selection | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON-able builtins: everything the text output shows."""

        def num(v):
            v = float(v)
            return v if np.isfinite(v) else None

        def day(v):
            return None if pd.isna(v) else pd.Timestamp(v).strftime("%Y-%m-%d")

        sel = None
        if self.selection is not None:
            sel = {"model": self.selection.model, "metric": self.selection.metric, "reason": self.selection.reason,
                   "leaderboard": records(self.selection.leaderboard)}
        return {
            "series": self.series,
            "model": self.model,
            "level": self.level,
            "selection": sel,
            "data": {"editions": int(len(self.data)), "first": day(self.data["as_of"].iloc[0]),
                     "last": day(self.data["as_of"].iloc[-1]), "last_value": num(self.data[self.series].iloc[-1])},
            "fit": self.result.to_dict(),
            "saturation": {k: num(self.saturation[k]) for k in ("value", "lower", "upper")},
            "forecast": [{"date": day(r.date), "t": num(r.t), "mean": num(r.mean), "lower": num(r.lower),
                          "upper": num(r.upper)} for r in self.forecast.itertuples()],
            "milestones": [{"value": num(r.value), "status": r.status, "half_year": r.half_year,
                            "earliest_half_year": r.earliest_half_year, "latest_half_year": r.latest_half_year,
                            "date": day(r.date), "earliest": day(r.earliest), "latest": day(r.latest)}
                           for r in self.milestones.itertuples()],
            "notes": list(self.notes),
        }


def shown_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Without the bookkeeping columns that hold one value only (one series, one interval kind)."""
    drop = [c for c in ("series_id", "interval") if c in frame.columns and frame[c].nunique(dropna=False) <= 1]
    return frame.drop(columns=drop)


def records(frame: pd.DataFrame) -> list[dict]:
    """A frame as JSON-able records (NaN as None, dates as ISO strings)."""
    return json.loads(frame.to_json(orient="records", date_format="iso"))


def project(
    df: pd.DataFrame,
    series: str = "penetration_pct",
    model: str | None = None,
    *,
    until: Any = "2030-12-31",
    level: float = 0.95,
    milestone_values: Sequence[float] | None = None,
    selection: Selection | None = None,
) -> Projection:
    """Fit ``model`` to every edition of ``series`` and project it to ``until``.

    Parameters
    ----------
    df : DataFrame
        The editions: ``edition``, ``as_of`` and the series' column.
    series : str
    model : str, optional
        A registered model name; :func:`default_model` by default.
    until : date
        The last half-year of the projection.
    level : float
        Coverage of the intervals.
    milestone_values : sequence of float, optional
        Levels to date; :func:`default_milestones` by default.
    selection : Selection, optional
        How the model was chosen, carried into the output.
    """
    if series not in df.columns:
        raise DataError(f"no series {series!r}; the data have {[c for c in df.columns if c.endswith(('_pct', '_million'))]}")
    absent = [c for c in ("edition", "as_of") if c not in df.columns]
    if absent:
        raise DataError(f"missing column(s) {absent}: project() takes CNNIC-style editions "
                        f"(edition, as_of and the series); the frame has {list(df.columns)[:8]}")
    model = model or default_model()
    data = df.loc[df[series].notna(), ["edition", "as_of", series]].sort_values("as_of", ignore_index=True)
    result = fit(model, df["as_of"], df[series], name=series)
    notes = []
    if result.status < 0:
        raise DataError(f"the {model} model could not be fitted to {series}: {result.message}")
    if result.status == 0:
        notes.append(f"warning: {result.message}")
    forecast = result.forecast(until=until, level=level)
    saturation = result.saturation(level)
    ceiling_warning = result.spec.ceiling_warning(result)
    if ceiling_warning:
        notes.append(ceiling_warning)
    values = list(milestone_values) if milestone_values else default_milestones(series, result.y)
    table = milestones(result, values, level, dates=data["as_of"], editions=data["edition"])
    return Projection(series=series, model=model, result=result, level=level, forecast=forecast,
                      saturation=saturation, milestones=table, data=data, selection=selection, notes=notes)


# ---------------------------------------------------------------- text
def format_projection(p: Projection) -> str:
    """The projection as the plain-text report ``growthcast forecast`` prints."""
    pct = f"{p.level:.0%}"
    s = p.series
    first, last = p.data["as_of"].iloc[0], p.data["as_of"].iloc[-1]
    lines = [
        f"{series_label(s)}: {p.model} model, {pct} prediction intervals",
        f"Fitted on {len(p.data)} CNNIC editions, {first:%Y-%m-%d} .. {last:%Y-%m-%d} "
        f"(last: {format_value(p.data[s].iloc[-1], s)}, edition {int(p.data['edition'].iloc[-1])}).",
    ]
    if p.selection is not None:
        lines.append(f"Model chosen by backtest: {p.selection.model}, {p.selection.reason}.")
    lines += [f"Note: {n}" for n in p.notes]
    lines += ["", "Projection", f"  {'date':<12}{'half-year':<11}{'mean':>10}{'lower':>10}{'upper':>10}"]
    for row in p.forecast.itertuples():
        lines.append(f"  {row.date:%Y-%m-%d}  {half_year(row.date):<11}{row.mean:>10,.1f}{row.lower:>10,.1f}{row.upper:>10,.1f}")
    lines.append("")
    sat = p.saturation
    if np.isfinite(sat["value"]):
        lines.append(f"Saturation level: {format_interval(sat['value'], sat['lower'], sat['upper'], s)} "
                     f"({pct} interval)")
    else:
        lines.append(f"Saturation level: none; the {p.model} model has no ceiling.")
    lines += ["", "Milestones (half-year in which the projection reaches the level; "
              f"interval from the {pct} bounds)"]
    width = max(len(format_value(v, s)) for v in p.milestones["value"]) + 2
    for row in p.milestones.itertuples():
        label = format_value(row.value, s)
        if row.status == "observed":
            edition = (f" (edition {int(row.edition)})" if "edition" in p.milestones.columns and pd.notna(row.edition)
                       else "")
            lines.append(f"  {label:<{width}}reached {row.half_year}, observed{edition}")
        else:
            lines.append(f"  {label:<{width}}{row.half_year:<8}[{row.earliest_half_year} .. {row.latest_half_year}]")
    if (p.milestones["status"] != "observed").any() and (p.milestones[["half_year", "earliest_half_year",
                                                                     "latest_half_year"]] == "never").any().any():
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


def _fit_table(fits: dict, level: float, series: str) -> tuple[pd.DataFrame, list[str], str]:
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
                flag = "ceiling above 100%" if is_percent_series(series) else "implausible ceiling"
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
                   "or an interpolated half-year grid) and are compared by the backtest below instead.")
    else:
        caption = "No two models are fitted to the same values, so none are compared by AICc; see the backtest."
    return pd.DataFrame(rows), notes, caption


def _population(df: pd.DataFrame, series: str) -> tuple[float | None, str | None]:
    """The population bounding a count of people, derived from the editions' own counts and penetration.

    For ``netizens_million`` and ``mobile_netizens_million`` it is
    ``netizens_million / penetration_pct * 100`` at the latest edition
    that prints both; ``(None, None)`` for other series.
    """
    if series not in ("netizens_million", "mobile_netizens_million"):
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


def _unit(series: str) -> str | None:
    if is_percent_series(series):
        return "percentage points"
    return "million" if series.endswith("_million") else None


def write_report(
    out: str | Path,
    df: pd.DataFrame,
    series: str = "penetration_pct",
    model: str | None = None,
    *,
    models: Sequence[str] | None = None,
    until: Any = "2030-12-31",
    level: float = 0.95,
    milestone_values: Sequence[float] | None = None,
    min_train: int = 10,
    horizons: Sequence[int] = range(1, 7),
    metric: str = "MASE",
) -> Path:
    """Write ``report.html`` (and its figures as PNG files) into the directory ``out``.

    The page holds the milestones, the saturation level, the fan chart, the
    fitted curves of every model in ``models``, the backtest leaderboard
    with the error by horizon, the forecasts from each origin, the
    saturation drift, the projection and the data table. Figures are
    embedded as data URIs, so the HTML file alone can be sent on.

    Parameters
    ----------
    out : str or Path
        The directory; created if needed. ``report.html`` and the PNG files
        are written last, each atomically (:func:`growthcast._files.write_file`); a symbolic
        link in their place is replaced, never followed.
    model : str, optional
        The model projected; ``"best"`` takes the backtest winner, and by
        default :func:`default_model`.
    models : sequence of str, optional
        The models fitted, drawn and backtested; :func:`candidate_models` by default.

    Returns
    -------
    Path
        The HTML file.
    """
    from . import __version__
    from . import plot as gcplot
    from .backtest import backtest as run_backtest

    gcplot._matplotlib()  # fail early, before any fitting, if matplotlib is missing
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files: dict[Path, bytes] = {}  # written at the end, each atomically
    models = list(dict.fromkeys(candidate_models() if models is None else models))
    bt = run_backtest(df, series=series, models=models, min_train=min_train, horizons=horizons, level=0.8)
    selection = None
    if model == "best":
        selection = choose_model(df, series, models, metric=metric, min_train=min_train, horizons=horizons,
                                 backtest=bt)
        model = selection.model
    proj = project(df, series, model, until=until, level=level, milestone_values=milestone_values,
                   selection=selection)
    board = selection.leaderboard if selection is not None else bt.leaderboard(metric=metric)
    scores = bt.scores(by="horizon")

    fittable = set(model_names())  # ensemble_weighted exists in backtests only
    fits = {name: fit(name, df["as_of"], df[series], name=series) for name in models if name in fittable}
    label = series_label(series)
    unit = _unit(series)
    bound, bound_label = _population(df, series)
    figs = {}
    figs["fan_chart"] = _figure_html(
        gcplot.fan_chart(proj.result, until=until, ylabel=label, title=f"{label}: {proj.model} forecast",
                         bound=bound, bound_label=bound_label),
        out / "fan_chart.png",
        f"Fan chart: the observed {label} and the {proj.model} model's forecast to "
        f"{half_year(proj.forecast['date'].iloc[-1]) if len(proj.forecast) else until} "
        f"with its 80% and 95% prediction bands and the saturation level", files)
    figs["fitted_curves"] = _figure_html(
        gcplot.fitted_curves(fits, until=until, ylabel=label, title=f"{label}: fitted curves",
                             bound=bound, bound_label=bound_label),
        out / "fitted_curves.png",
        f"Line chart: the observed {label} and the fitted and projected path of each of {len(fits)} models", files)
    err_metric = "MAE" if "MAE" in scores.columns else metric
    figs["backtest_errors"] = _figure_html(
        gcplot.backtest_errors(scores, metric=err_metric, unit=unit, title=f"{label}: backtest {err_metric} by horizon"),
        out / "backtest_errors.png",
        f"Line chart: each model's backtest {err_metric} against the forecast horizon in report editions", files)
    figs["origin_forecasts"] = _figure_html(
        gcplot.origin_forecasts(bt, ylabel=label, bound=bound, bound_label=bound_label),
        out / "origin_forecasts.png",
        "Small multiples, one panel per model: the forecasts made from each origin edition, "
        "coloured by origin, against the observed editions", files)
    figs["saturation_drift"] = _figure_html(
        gcplot.saturation_drift(bt, ylabel=label, bound=bound, bound_label=bound_label,
                                title=f"{label}: saturation drift, the ceiling estimated at each origin"),
        out / "saturation_drift.png",
        "Line chart: each curve's estimated ceiling with its 80% interval against the origin edition, "
        "with the highest value observed after each origin", files)

    fit_table, fit_notes, fit_caption = _fit_table(fits, level, series)
    pct = f"{level:.0%}"
    ms = proj.milestones
    ms_table = pd.DataFrame({
        "level": [format_value(v, series) for v in ms["value"]],
        "half-year": ms["half_year"],
        f"earliest ({pct})": ms["earliest_half_year"],
        f"latest ({pct})": ms["latest_half_year"],
        "status": ms["status"],
    })
    sat = proj.saturation
    sat_text = (f"{format_interval(sat['value'], sat['lower'], sat['upper'], series)} ({pct} interval)"
                if np.isfinite(sat["value"]) else f"none: the {proj.model} model has no ceiling")
    # the figures the reports printed: not the notes, nor the population columns added beside them
    data_cols = [c for c in df.columns if c not in ("note", "implied_population_million", "official_population_million")]
    chosen = (f"<p>Model chosen by backtest: <b>{html.escape(selection.model)}</b>, "
              f"{html.escape(selection.reason)}.</p>" if selection is not None else "")
    first, last = proj.data["as_of"].iloc[0], proj.data["as_of"].iloc[-1]
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>growthcast report: {html.escape(label)}</title>
<style>{_CSS}</style></head><body>
<h1>{html.escape(label)}: projection</h1>
<p class="muted">growthcast {html.escape(__version__)}; {len(proj.data)} CNNIC editions, {first:%Y-%m-%d} .. {last:%Y-%m-%d};
model <b>{html.escape(proj.model)}</b>; {pct} prediction intervals; generated {pd.Timestamp.now(tz="UTC"):%Y-%m-%d %H:%M} UTC.</p>
{chosen}
<h2>Milestones</h2>
<p>The half-year in which the projection reaches each level; the interval runs from where the upper
{pct} bound reaches it (earliest) to where the lower bound does (latest); <i>never</i>: not within {NEVER_WITHIN:.0f} years.</p>
{_table_html(ms_table)}
<h2>Saturation level</h2>
<p>{html.escape(sat_text)}</p>
<h2>Fan chart</h2>
{_figure(figs["fan_chart"], f"The {proj.model} model's forecast with its 80% and 95% prediction bands. "
         "Where two bands have the same bounds the legend says so: their outlines then lie on each other.")}
<h2>Fitted curves</h2>
{_figure(figs["fitted_curves"], "Each model fitted to every edition; a dashed line lies on a curve drawn "
         "before it (the legend names which).")}
<p>{html.escape(fit_caption)}</p>
{_table_html(fit_table)}
{"".join(f"<p class='muted'>{html.escape(n)}</p>" for n in fit_notes)}
<h2>Backtest leaderboard</h2>
<p>Every model refitted at each origin from the {min_train}th observed edition on, forecasting {len(list(horizons))}
edition(s) ahead; ranked by {html.escape(metric)} (lower is better). Errors are in the series' unit
({html.escape(unit or "its own")}); MASE divides them by the in-sample error of the naive forecast. Coverage is the share
of actual values inside the 80% interval, the Winkler score the interval's width plus a penalty for each miss (lower is
better), <i>ceiling_held</i> the share of origins whose ceiling's upper bound was not passed by a later edition,
<i>n</i> the number of forecasts scored and <i>failed</i> the number the model could not make.</p>
{_table_html(shown_columns(board))}
{_figure(figs["backtest_errors"], f"Backtest {err_metric} by horizon, one line per model.")}
<details><summary>Scores by horizon</summary>{_table_html(shown_columns(scores))}</details>
<h2>Forecasts from each origin</h2>
{_figure(figs["origin_forecasts"], "Each thin line starts at the edition it was made from; the black points to its "
         "right are the editions it did not see.")}
<h2>Saturation drift</h2>
{_figure(figs["saturation_drift"], "The ceiling each curve estimates from the editions available at each origin, "
         "with its 80% interval; open markers: a later edition passed the interval's upper bound.")}
<h2>Projection ({html.escape(proj.model)})</h2>
{_table_html(proj.forecast.assign(half_year=[half_year(d) for d in proj.forecast["date"]])[["date", "half_year", "mean", "lower", "upper"]], 2)}
<h2>Data</h2>
<p>The editions as printed in the CNNIC reports, every digit as recorded (nothing rounded); blank: not printed.</p>
{_table_html(df[data_cols], None)}
<details><summary>Fit summary</summary><pre>{html.escape(proj.result.summary(level))}</pre></details>
</body></html>
"""
    path = out / "report.html"
    files[path] = page.encode("utf-8")
    for target, data in files.items():
        write_file(target, data)
    return path
