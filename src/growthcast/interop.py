"""Frames in statsforecast's conventions, to and from growthcast's tidy frames.

statsforecast (and the Nixtla libraries around it) name a series
``unique_id``, a time ``ds`` and a value ``y``, and lay a forecast out wide:
one column per model, ``<model>``, and per level ``<model>-lo-80``,
``<model>-hi-80`` (levels in percent). growthcast reads ``unique_id, ds,
y`` directly (:func:`growthcast.from_frame`, :func:`growthcast.fit_many`,
:func:`growthcast.backtest`); this module writes them, and reads a
statsforecast forecast or cross-validation frame back in growthcast's
long form, so both libraries' forecasts can be scored and drawn side by side.

* :func:`to_statsforecast`: a fit (``fit`` / ``fit_many``), a forecast
  frame or a validated data frame, in statsforecast's layout;
* :func:`from_statsforecast`: statsforecast's wide output as one row per
  (series, model, time), with ``mean`` and ``lower_80, upper_80, ...``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._checks import check_levels
from .errors import DataError, short_list

__all__ = ["to_statsforecast", "from_statsforecast"]

_BOUND = re.compile(r"^(lower|upper)_(\d+(?:\.\d+)?)$")
_KEYS = ("unique_id", "ds", "cutoff", "y", "index")


def _levels(level: Any) -> list[float]:
    """Probabilities (0.8) or percentages as statsforecast writes them (80)."""
    values = list(level) if np.iterable(level) and not isinstance(level, (str, bytes)) else [level]
    scaled = [v / 100.0 if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
              and 1.0 <= v < 100.0 else v for v in values]
    return check_levels(scaled)[0]


def _percent(level: float) -> str:
    return f"{100 * level:g}"


def _ds(frame: pd.DataFrame) -> pd.Series:
    """The time column statsforecast expects: the dates, else the decimal years (whole years as integers)."""
    if "date" in frame.columns and len(frame) and frame["date"].notna().all():
        return frame["date"]
    t = frame["t"].to_numpy(dtype=float)
    whole = np.isfinite(t).all() and np.array_equal(t, np.round(t))
    return pd.Series(t.astype(np.int64) if whole else t, index=frame.index)


def to_statsforecast(
    obj: Any,
    *,
    level: float | Sequence[float] | None = None,
    steps: int | None = None,
    until: Any = None,
    model: str | None = None,
) -> pd.DataFrame:
    """Forecasts (or data) in statsforecast's layout.

    Parameters
    ----------
    obj : FitResult, BatchFitResult or pandas.DataFrame
        A fit (its forecast is made here, with ``level``, ``steps`` and
        ``until``); a forecast frame of growthcast (``series_id`` if
        several, ``date, t, mean`` and ``lower, upper`` or ``lower_80,
        upper_80, ...``; a ``model`` column for several models); or a
        validated data frame (:func:`growthcast.from_frame`: ``series_id,
        date, t, value``), which becomes ``unique_id, ds, y``.
    level : float or sequence of float, optional
        Levels of the bounds, as probabilities (0.8) or, as statsforecast
        writes them, percentages (80). For a fit: ``[0.8, 0.95]`` by
        default. For a frame whose bounds are plain ``lower, upper``: their
        level, required.
    steps, until
        The forecast of a fit, as in ``forecast``.
    model : str, optional
        The model's column name; the fit's model name (``spec.name``) by
        default, or ``"growthcast"`` for a frame without a ``model`` column.

    Returns
    -------
    pandas.DataFrame
        ``unique_id, ds, <model>, <model>-lo-95, <model>-lo-80,
        <model>-hi-80, <model>-hi-95`` (lower bounds from the widest level,
        upper bounds from the narrowest, as statsforecast's models write
        them); ``ds`` holds the dates, or the decimal years (integers when
        whole) for data given as numbers. Several models side by side share
        ``unique_id, ds``. For data: ``unique_id, ds, y``.

    Raises
    ------
    DataError
        A frame this function does not recognise, or plain bounds without ``level``.

    Examples
    --------
    >>> import growthcast as gc
    >>> df = gc.load_cnnic()
    >>> res = gc.fit("logistic", df["as_of"], df["penetration_pct"])
    >>> list(to_statsforecast(res, level=[80, 95], steps=2).columns)  # doctest: +NORMALIZE_WHITESPACE
    ['unique_id', 'ds', 'logistic', 'logistic-lo-95', 'logistic-lo-80', 'logistic-hi-80', 'logistic-hi-95']
    """
    if hasattr(obj, "forecast") and hasattr(obj, "spec"):
        levels = _levels([0.8, 0.95] if level is None else level)
        frame = obj.forecast(until=until, level=levels, steps=steps)
        if "series_id" not in frame.columns:  # one series (FitResult)
            sid = getattr(obj, "series_id", None)
            frame.insert(0, "series_id", "y" if sid is None else sid)
        if len(levels) == 1:  # name the plain bounds by their level
            frame = frame.rename(columns={"lower": f"lower_{_percent(levels[0])}",
                                          "upper": f"upper_{_percent(levels[0])}"})
        return _wide(frame.assign(model=model or obj.spec.name))
    if not isinstance(obj, pd.DataFrame):
        raise DataError(f"to_statsforecast: expected a fit result or a DataFrame, got {type(obj).__name__}")
    frame = pd.DataFrame(obj)
    if "mean" not in frame.columns:
        absent = [c for c in ("series_id", "t", "value") if c not in frame.columns]
        if absent:
            raise DataError(f"to_statsforecast: expected a forecast frame (with 'mean') or validated data "
                            f"('series_id, date, t, value'); missing {absent} in {short_list(frame.columns)}")
        return pd.DataFrame({"unique_id": frame["series_id"].to_numpy(), "ds": _ds(frame).to_numpy(),
                             "y": frame["value"].to_numpy()})
    if "t" not in frame.columns and "date" not in frame.columns:
        raise DataError(f"to_statsforecast: a forecast frame needs a 'date' or 't' column; it has "
                        f"{short_list(frame.columns)}")
    if "lower" in frame.columns or "upper" in frame.columns:
        if level is None:
            raise DataError("to_statsforecast: the frame's bounds 'lower, upper' do not say their level; "
                            "pass level=, e.g. level=0.95")
        levels = _levels(level)
        if len(levels) != 1:
            raise DataError(f"to_statsforecast: one pair of bounds 'lower, upper' has one level, got {levels}")
        frame = frame.rename(columns={"lower": f"lower_{_percent(levels[0])}",
                                      "upper": f"upper_{_percent(levels[0])}"})
    if "series_id" not in frame.columns:
        frame.insert(0, "series_id", "y")
    if "model" not in frame.columns:
        frame["model"] = model or "growthcast"
    return _wide(frame)


def _wide(frame: pd.DataFrame) -> pd.DataFrame:
    """A long forecast frame (``series_id, model, date/t, mean, lower_80, ...``) in statsforecast's layout."""
    bounds = sorted({float(m.group(2)) for c in frame.columns if (m := _BOUND.match(c))})
    frame = frame.assign(ds=_ds(frame))
    out = None
    for name, part in frame.groupby("model", sort=False):
        cols = {"unique_id": part["series_id"].to_numpy(), "ds": part["ds"].to_numpy(),
                str(name): part["mean"].to_numpy(dtype=float)}
        for pct in bounds[::-1]:
            cols[f"{name}-lo-{pct:g}"] = part[f"lower_{pct:g}"].to_numpy(dtype=float)
        for pct in bounds:
            cols[f"{name}-hi-{pct:g}"] = part[f"upper_{pct:g}"].to_numpy(dtype=float)
        block = pd.DataFrame(cols)
        out = block if out is None else out.merge(block, on=["unique_id", "ds"], how="outer", sort=False)
    return out.reset_index(drop=True)


def from_statsforecast(frame: pd.DataFrame, *, models: Sequence[str] | None = None) -> pd.DataFrame:
    """statsforecast's wide forecast (or cross-validation) frame as growthcast's long form.

    Parameters
    ----------
    frame : pandas.DataFrame
        The output of ``StatsForecast.forecast`` / ``predict`` (``unique_id,
        ds, <model>, <model>-lo-80, ...``) or ``cross_validation`` (with
        ``cutoff`` and ``y`` too), or of :func:`to_statsforecast`.
    models : sequence of str, optional
        The model columns to read; all by default (every column other than
        ``unique_id, ds, cutoff, y`` and the bounds).

    Returns
    -------
    pandas.DataFrame
        One row per (series, model, time): ``series_id, model``, ``date``
        (``ds`` as dates; or ``t`` when ``ds`` holds numbers, read as
        decimal years), ``origin_date`` / ``origin_t`` and ``actual`` when
        the frame has ``cutoff`` and ``y``, ``mean`` and ``lower_80, upper_80,
        ...`` (a pair per level, as growthcast's own forecasts with several
        levels).

    Raises
    ------
    DataError
        Missing ``unique_id`` or ``ds``, an unknown model, or a bound without its model.

    Examples
    --------
    >>> import pandas as pd
    >>> sf = pd.DataFrame({"unique_id": ["a", "a"], "ds": [2021, 2022], "Naive": [5.0, 5.0],
    ...                    "Naive-lo-80": [4.0, 3.5], "Naive-hi-80": [6.0, 6.5]})
    >>> from_statsforecast(sf)
      series_id  model       t  mean  lower_80  upper_80
    0         a  Naive  2021.0   5.0       4.0       6.0
    1         a  Naive  2022.0   5.0       3.5       6.5
    """
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"from_statsforecast: expected a DataFrame, got {type(frame).__name__}")
    if "unique_id" not in frame.columns and frame.index.name == "unique_id":
        frame = frame.reset_index()  # statsforecast < 1.7 kept the ids in the index
    absent = [c for c in ("unique_id", "ds") if c not in frame.columns]
    if absent:
        raise DataError(f"from_statsforecast: missing column(s) {absent}; the frame has {short_list(frame.columns)}")
    pattern = re.compile(r"^(.*)-(lo|hi)-(\d+(?:\.\d+)?)$")
    bounds: dict[str, dict[str, dict[float, str]]] = {}
    plain = []
    for c in frame.columns:
        if c in _KEYS:
            continue
        m = pattern.match(str(c))
        if m:
            bounds.setdefault(m.group(1), {"lo": {}, "hi": {}})[m.group(2)][float(m.group(3))] = c
        else:
            plain.append(str(c))
    orphans = [b for b in bounds if b not in plain]
    if orphans:
        raise DataError(f"from_statsforecast: bounds without their model column: {short_list(orphans)}")
    names = plain if models is None else [str(m) for m in models]
    unknown = [m for m in names if m not in plain]
    if unknown:
        raise DataError(f"from_statsforecast: no model {short_list(unknown)}; the frame has {short_list(plain)}")

    def when(values: pd.Series, prefix: str) -> dict[str, Any]:
        if pd.api.types.is_numeric_dtype(values):
            return {f"{prefix}t": values.to_numpy(dtype=float)}
        return {f"{prefix}date": pd.to_datetime(values).to_numpy()}

    parts = []
    for name in names:
        cols: dict[str, Any] = {"series_id": frame["unique_id"].to_numpy(), "model": name}
        if "cutoff" in frame.columns:
            cols.update(when(frame["cutoff"], "origin_"))
        cols.update(when(frame["ds"], "target_" if "cutoff" in frame.columns else ""))
        if "y" in frame.columns:
            cols["actual"] = frame["y"].to_numpy(dtype=float)
        cols["mean"] = frame[name].to_numpy(dtype=float)
        own = bounds.get(name, {"lo": {}, "hi": {}})
        for level in sorted(set(own["lo"]) | set(own["hi"])):
            for side, key in (("lower", "lo"), ("upper", "hi")):
                col = own[key].get(level)
                cols[f"{side}_{level:g}"] = (frame[col].to_numpy(dtype=float) if col is not None
                                             else np.full(len(frame), np.nan))
        parts.append(pd.DataFrame(cols))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["series_id", "model", "mean"])
    return out

