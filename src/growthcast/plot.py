"""Figures of fits, forecasts and backtests (needs the optional ``plot`` extra).

Every function takes results or tidy frames, draws on a new
:class:`matplotlib.figure.Figure` (or on ``ax`` when given) and returns the
figure; with ``path`` it is also saved there. Figures are rendered with the
Agg backend and never registered with pyplot, so no window opens and no
global matplotlib state changes. matplotlib is imported inside the
functions: ``import growthcast`` works without it.

Functions
---------
fan_chart           history, forecast with 80% and 95% bands, saturation level
fitted_curves       several models' fitted and projected paths over the history
backtest_errors     a backtest's error by horizon, one line per model
origin_forecasts    the forecasts made at each origin against the actual editions
saturation_drift    each model's ceiling, with its interval, by origin edition
"""

from __future__ import annotations

import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from .errors import DataError

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from .results import FitResult

__all__ = ["fan_chart", "fitted_curves", "backtest_errors", "origin_forecasts", "saturation_drift", "save"]

_INSTALL_HINT = 'plotting needs matplotlib, which is not installed: pip install "growthcast[plot]"'
_OWN_FIGURES: "weakref.WeakSet[Figure]" = weakref.WeakSet()  # figures drawn here, not on a user's ax
_COLOURS = ("#1f5f9e", "#d1495b", "#2e933c", "#edae49", "#6a4c93", "#00798c", "#8d6a41", "#555555")


def _matplotlib():
    """The Figure and Agg canvas classes, or an ImportError naming the extra."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as err:
        raise ImportError(_INSTALL_HINT) from err
    return Figure, FigureCanvasAgg


def _new_axes(ax: "Axes | None", figsize: tuple[float, float], nrows: int = 1, ncols: int = 1):
    """A fresh Agg figure with a grid of axes, or the figure of the given ``ax``."""
    Figure, FigureCanvasAgg = _matplotlib()
    if ax is not None:
        if nrows * ncols != 1:
            raise DataError("ax= can only be given for a single-panel figure")
        return ax.figure, np.array([ax])
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    _OWN_FIGURES.add(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, axes.ravel()


def save(fig: "Figure", path: str | Path, *, dpi: int = 120) -> Path:
    """Write ``fig`` to ``path`` (format from the suffix, e.g. ``.png``, ``.svg``).

    The file is written atomically and a symbolic link at ``path`` is
    replaced, not followed (:func:`growthcast.report.write_file`).
    """
    import io

    from .report import write_file

    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if not fmt:
        raise DataError(f"path: give a file name with a format suffix such as .png, got {str(path)!r}")
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=dpi)
    return write_file(path, buf.getvalue())


def _finish(fig: "Figure", path: str | Path | None) -> "Figure":
    if fig in _OWN_FIGURES:  # names such as "cost $x^$" are text, not mathtext (on a user's own ax: theirs)
        from matplotlib.text import Text

        for text in fig.findobj(Text):
            if "$" in text.get_text():
                text.set_parse_math(False)
    if path is not None:
        save(fig, path)
    return fig


def _x(result: "FitResult", t: np.ndarray, dates: Any = None):
    """Dates for a dated series, decimal years otherwise."""
    if result.has_dates:
        from .data import from_decimal_year

        return pd.DatetimeIndex(dates) if dates is not None else from_decimal_year(t)
    return np.asarray(t, dtype=float)


def _in_sample(result: "FitResult") -> bool:
    """Whether the model has a fitted path over the history (curves and regressions do;
    random walks, smoothing and combinations only forecast)."""
    spec = result.spec
    return getattr(spec, "curve", None) is not None or hasattr(spec, "_design")


def _fmt(value: float) -> str:
    return f"{value:,.1f}" if abs(value) < 1e5 else f"{value:,.0f}"


# ---------------------------------------------------------------- single fits
def fan_chart(
    result: "FitResult",
    *,
    until: Any = "2030-12-31",
    levels: Sequence[float] = (0.8, 0.95),
    saturation_level: float = 0.95,
    title: str | None = None,
    ylabel: str | None = None,
    ax: "Axes | None" = None,
    path: str | Path | None = None,
) -> "Figure":
    """History and forecast with nested prediction bands and the saturation level.

    Parameters
    ----------
    result : FitResult
        A fitted series (``gc.fit(...)``).
    until : date or decimal year
        The end of the forecast (on the half-yearly report grid).
    levels : sequence of float
        Coverage of the bands, widest drawn palest; 80% and 95% by default.
    saturation_level : float
        Coverage of the interval drawn around the saturation level; the
        level is left out for models without one.
    title, ylabel : str, optional
    ax : matplotlib Axes, optional
        Draw here instead of on a new figure.
    path : str or Path, optional
        Also save the figure there.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, (axis,) = _new_axes(ax, (8.0, 4.8))
    levels = sorted(float(v) for v in levels)
    x_hist = _x(result, result.t)
    if _in_sample(result):
        fitted = result.predict(result.t, level=levels[0])
        axis.plot(x_hist, fitted["mean"], color=_COLOURS[0], lw=1.0, alpha=0.6, label=f"fitted ({result.spec.name})")
    axis.plot(x_hist, result.y, "o", ms=3.5, color="black", label="observed")

    frames = {lev: result.forecast(until=until, level=lev) for lev in levels}
    first = next(iter(frames.values()))
    # start the fan at the last observation so that it joins the history
    t_path = np.concatenate([[result.t[-1]], first["t"].to_numpy()])
    x_path = _x(result, t_path)
    for i, lev in enumerate(reversed(levels)):
        fc = frames[lev]
        lower = np.concatenate([[result.y[-1]], fc["lower"].to_numpy()])
        upper = np.concatenate([[result.y[-1]], fc["upper"].to_numpy()])
        alpha = 0.18 + 0.17 * i
        axis.fill_between(x_path, lower, upper, color=_COLOURS[0], alpha=alpha, lw=0, label=f"{lev:.0%} interval")
    mean = np.concatenate([[result.y[-1]], first["mean"].to_numpy()])
    axis.plot(x_path, mean, color=_COLOURS[0], lw=2.0, label="forecast")

    sat = result.saturation(level=saturation_level)
    if np.isfinite(sat["value"]):
        axis.axhline(sat["value"], color=_COLOURS[1], ls="--", lw=1.2,
                     label=f"saturation {_fmt(sat['value'])} [{_fmt(sat['lower'])}, {_fmt(sat['upper'])}] "
                     f"({saturation_level:.0%})")
    axis.set_title(title or f"{result.series_id}: {result.spec.name} forecast")
    axis.set_ylabel(ylabel or str(result.series_id))
    axis.grid(alpha=0.3)
    axis.legend(loc="lower right", fontsize=8, frameon=False)
    return _finish(fig, path)


def fitted_curves(
    results: Mapping[str, "FitResult"] | Iterable["FitResult"],
    *,
    until: Any = "2030-12-31",
    title: str | None = None,
    ylabel: str | None = None,
    ax: "Axes | None" = None,
    path: str | Path | None = None,
) -> "Figure":
    """The observations and each model's fitted and projected mean path.

    Parameters
    ----------
    results : mapping of label to FitResult, or FitResults
        Fits of the same series (their labels default to the model names).
        Failed fits are listed in the legend as failed and not drawn. Models
        without a fitted path (random walks, smoothing, combinations) are
        drawn from the last observation on.
    until : date or decimal year
    title, ylabel, ax, path
        As in :func:`fan_chart`.
    """
    items = list(results.items()) if isinstance(results, Mapping) else [(r.spec.name, r) for r in results]
    if not items:
        raise DataError("fitted_curves needs at least one fit")
    fig, (axis,) = _new_axes(ax, (8.0, 4.8))
    ref = items[0][1]
    axis.plot(_x(ref, ref.t), ref.y, "o", ms=3.5, color="black", label="observed", zorder=3)
    for i, (label, res) in enumerate(items):
        colour = _COLOURS[i % len(_COLOURS)]
        if res.status < 0:
            axis.plot([], [], color=colour, label=f"{label} (failed)")
            continue
        fc = res.forecast(until=until, level=0.8)
        if _in_sample(res):
            t_all = np.concatenate([res.t, fc["t"].to_numpy()])
            mean = np.concatenate([res.predict(res.t, level=0.8)["mean"].to_numpy(), fc["mean"].to_numpy()])
        else:  # a model without a fitted path: its forecast from the last observation
            t_all = np.concatenate([res.t[-1:], fc["t"].to_numpy()])
            mean = np.concatenate([res.y[-1:], fc["mean"].to_numpy()])
        axis.plot(_x(res, t_all), mean, color=colour, lw=1.6, label=label)
    axis.axvline(_x(ref, ref.t[-1:])[0], color="grey", lw=0.8, ls=":")
    axis.set_title(title or f"{ref.series_id}: fitted curves")
    axis.set_ylabel(ylabel or str(ref.series_id))
    axis.grid(alpha=0.3)
    axis.legend(loc="lower right", fontsize=8, frameon=False)
    return _finish(fig, path)


# ---------------------------------------------------------------- backtests
def _frame(obj: Any, attr: str, **kwargs: Any) -> pd.DataFrame:
    """A Backtest's frame (attribute or method) or a frame given as is."""
    if isinstance(obj, pd.DataFrame):
        return obj
    value = getattr(obj, attr, None)
    if value is None:
        raise DataError(f"expected a Backtest or a DataFrame, got {type(obj).__name__}")
    return value(**kwargs) if callable(value) else value


def _need(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise DataError(f"{what}: missing column(s) {absent}; the frame has {list(frame.columns)}")


def _column(frame: pd.DataFrame, candidates: Sequence[str], what: str) -> str:
    for c in candidates:
        if c in frame.columns:
            return c
    raise DataError(f"{what}: expected one of the columns {list(candidates)}; the frame has {list(frame.columns)}")


def backtest_errors(
    backtest: Any,
    *,
    metric: str = "MAE",
    models: Sequence[str] | None = None,
    title: str | None = None,
    ax: "Axes | None" = None,
    path: str | Path | None = None,
) -> "Figure":
    """A backtest's error by horizon, one line per model.

    Parameters
    ----------
    backtest : Backtest or DataFrame
        A :func:`growthcast.backtest` result, or its ``scores(by="horizon")``
        frame (columns ``model``, ``horizon`` and the metric).
    metric : str
        The score to draw, e.g. ``"MAE"``, ``"RMSE"``, ``"MASE"``, ``"coverage"``.
    models : sequence of str, optional
        The models to draw; all by default.
    """
    scores = _frame(backtest, "scores", by="horizon")
    _need(scores, ["model", "horizon", metric], "backtest scores")
    if models is not None:
        scores = scores[scores["model"].isin(list(models))]
    fig, (axis,) = _new_axes(ax, (7.0, 4.2))
    for i, (name, grp) in enumerate(scores.groupby("model", sort=False)):
        grp = grp.sort_values("horizon")
        axis.plot(grp["horizon"], grp[metric], "o-", color=_COLOURS[i % len(_COLOURS)], lw=1.6, ms=4, label=str(name))
    axis.set_xlabel("horizon (report editions ahead)")
    axis.set_ylabel(metric)
    axis.set_title(title or f"Backtest {metric} by horizon")
    axis.xaxis.get_major_locator().set_params(integer=True)
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8, frameon=False)
    return _finish(fig, path)


def origin_forecasts(
    backtest: Any,
    *,
    models: Sequence[str] | None = None,
    history: pd.DataFrame | None = None,
    title: str | None = None,
    path: str | Path | None = None,
) -> "Figure":
    """The forecasts made at each origin, drawn against the actual editions.

    One panel per model: the actual values as points and, from each origin,
    a thin line through its forecasts, coloured from early origins (pale) to
    late ones (dark).

    Parameters
    ----------
    backtest : Backtest or DataFrame
        A :func:`growthcast.backtest` result or its tidy ``forecasts`` frame
        (``model, origin_edition, origin_date, target_date, actual, mean``).
    models : sequence of str, optional
    history : DataFrame, optional
        Columns ``as_of`` and the series, to draw the editions before the
        first target as well.
    """
    fc = _frame(backtest, "forecasts")
    _need(fc, ["model", "origin_edition", "origin_date", "target_date", "actual", "mean"], "backtest forecasts")
    names = list(pd.unique(fc["model"])) if models is None else list(models)
    if not names:
        raise DataError("origin_forecasts: the backtest has no forecasts")
    ncols = min(len(names), 2)
    nrows = int(np.ceil(len(names) / ncols))
    fig, axes = _new_axes(None, (6.0 * ncols, 3.6 * nrows), nrows, ncols)
    from matplotlib import colormaps

    cmap = colormaps["viridis_r"]
    actual = fc.drop_duplicates("target_date").sort_values("target_date")
    for axis, name in zip(axes, names):
        sub = fc[fc["model"] == name]
        origins = sorted(pd.unique(sub["origin_edition"]))
        span = max(len(origins) - 1, 1)
        for k, origin in enumerate(origins):
            path_k = sub[sub["origin_edition"] == origin].sort_values("target_date")
            start = path_k.iloc[0]
            at_origin = actual.loc[actual["target_date"] == start["origin_date"], "actual"]
            xs = [start["origin_date"], *path_k["target_date"]]
            ys = [at_origin.iloc[0] if len(at_origin) else np.nan, *path_k["mean"]]
            if not np.isfinite(ys[0]):
                xs, ys = xs[1:], ys[1:]
            axis.plot(xs, ys, color=cmap(0.15 + 0.85 * k / span), lw=0.9, alpha=0.85)
        if history is not None:
            series = [c for c in history.columns if c not in ("edition", "as_of")]
            axis.plot(history["as_of"], history[series[0]], "o", ms=2.5, color="black", label="actual")
        else:
            axis.plot(actual["target_date"], actual["actual"], "o", ms=2.5, color="black", label="actual")
        axis.set_title(str(name), fontsize=10)
        axis.grid(alpha=0.3)
        axis.legend(loc="upper left", fontsize=8, frameon=False)
    for axis in axes[len(names):]:
        axis.set_visible(False)
    fig.suptitle(title or "Forecasts from each origin against the actual editions")
    return _finish(fig, path)


def saturation_drift(
    backtest: Any,
    *,
    models: Sequence[str] | None = None,
    title: str | None = None,
    ylabel: str | None = None,
    ax: "Axes | None" = None,
    path: str | Path | None = None,
) -> "Figure":
    """Each model's estimated ceiling, with its interval, against the origin edition.

    A ceiling that climbs edition after edition is a warning that the
    curve is extrapolating a slowdown the data have not shown yet.

    Parameters
    ----------
    backtest : Backtest or DataFrame
        A :func:`growthcast.backtest` result or its ``saturation()`` frame
        (``model, origin_edition`` and the ceiling with ``lower, upper``).
        Models without a ceiling (all NaN) are left out.
    """
    sat = _frame(backtest, "saturation")
    _need(sat, ["model", "origin_edition"], "saturation frame")
    value = _column(sat, ("value", "saturation", "ceiling", "K", "estimate", "mean"), "saturation frame")
    sat = sat[np.isfinite(pd.to_numeric(sat[value], errors="coerce"))]
    if models is not None:
        sat = sat[sat["model"].isin(list(models))]
    fig, (axis,) = _new_axes(ax, (7.5, 4.2))
    names = list(pd.unique(sat["model"]))
    for i, name in enumerate(names):
        grp = sat[sat["model"] == name].sort_values("origin_edition")
        offset = (i - (len(names) - 1) / 2) * 0.12  # keep the error bars apart
        x = grp["origin_edition"].to_numpy(dtype=float) + offset
        colour = _COLOURS[i % len(_COLOURS)]
        if {"lower", "upper"} <= set(grp.columns):
            lower = grp["lower"].to_numpy(dtype=float)
            upper = grp["upper"].to_numpy(dtype=float)
            axis.fill_between(x, lower, upper, color=colour, alpha=0.15, lw=0)
        axis.plot(x, grp[value].to_numpy(dtype=float), "o-", color=colour, ms=3, lw=1.2, label=str(name))
    if names:
        # early origins can have enormous intervals: keep the axis on the estimates
        values = sat[value].to_numpy(dtype=float)
        lows = sat["lower"].to_numpy(dtype=float) if "lower" in sat.columns else values
        highs = sat["upper"].to_numpy(dtype=float) if "upper" in sat.columns else values
        cap = 2.0 * np.nanpercentile(values, 90)
        top = min(np.nanmax(np.where(np.isfinite(highs), highs, values)), cap) if cap > 0 else np.nanmax(values)
        bottom = np.nanmin(np.where(np.isfinite(lows), lows, values))
        if np.nanmin(values) > 0:
            bottom = max(bottom, 0.0)
        if np.isfinite(bottom) and np.isfinite(top) and top > bottom:
            pad = 0.04 * (top - bottom)
            axis.set_ylim(bottom - pad, top + pad)
    else:
        axis.text(0.5, 0.5, "no model with a saturation level", ha="center", va="center", transform=axis.transAxes)
    axis.set_xlabel("origin (report edition)")
    axis.set_ylabel(ylabel or "estimated saturation level")
    axis.set_title(title or "Saturation drift: the ceiling estimated at each origin")
    axis.grid(alpha=0.3)
    if names:
        axis.legend(fontsize=8, frameon=False)
    return _finish(fig, path)
