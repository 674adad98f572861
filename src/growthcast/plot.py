"""Figures of fits, forecasts and backtests (needs the optional ``plot`` extra).

Every function takes results or tidy frames, draws on a new
:class:`matplotlib.figure.Figure` (or on ``ax`` when given) and returns the
figure; with ``path`` it is also saved there. Figures are rendered with the
Agg backend and never registered with pyplot, so no window opens and no
global matplotlib state changes. matplotlib is imported inside the
functions: ``import growthcast`` works without it, and without it a figure
raises an ImportError that names ``pip install "growthcast[plot]"``.

The results draw themselves through these functions: ``res.plot()`` is
:func:`fan_chart`, ``many.plot()`` is :func:`fan_charts` and ``bt.plot()``
is :func:`backtest_errors`. This module sits below the results in the
package's layers: it reads them by their attributes (duck typing) and never
imports them.

Functions
---------
fan_chart           history, forecast with nested 80% and 95% bands, saturation level
fan_charts          small multiples: one fan chart per series of a batch fit
fitted_curves       several models' fitted and projected paths over the history
backtest_errors     a backtest's error by horizon, one line per model, one panel per series
origin_forecasts    the forecasts made at each origin against the actual values
saturation_drift    each model's ceiling, with its interval, by origin

Every figure can be read on its own: it has a title, axis labels (the
caller's ``ylabel`` should carry the unit, e.g. ``"Netizens (million)"``),
a legend or colour key for everything drawn, and the physical bound of the
series as a dotted line: 100% for a percentage (a result's ``percent``
flag, or a series name ending in ``_pct``), or the ``bound`` given, e.g. the
population for a count of people. Lines or bands that coincide are drawn
dashed over each other and say so in the legend, so that nothing hides
another without the reader being told.
"""

from __future__ import annotations

import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from ._checks import check_levels
from ._files import write_file
from .errors import DataError, short_list

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from .results import FitResult

__all__ = ["fan_chart", "fan_charts", "fitted_curves", "backtest_errors", "origin_forecasts", "saturation_drift", "save"]

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


def _new_axes(ax: "Axes | None", figsize: tuple[float, float], nrows: int = 1, ncols: int = 1, *,
              sharey: bool = False):
    """A fresh Agg figure with a grid of axes, or the figure of the given ``ax``."""
    Figure, FigureCanvasAgg = _matplotlib()
    if ax is not None:
        if nrows * ncols != 1:
            raise DataError("ax= can only be given for a single-panel figure")
        return ax.figure, np.array([ax])
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    _OWN_FIGURES.add(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False, sharey=sharey)
    return fig, axes.ravel()


def save(fig: "Figure", path: str | Path, *, dpi: int = 120) -> Path:
    """Write ``fig`` to ``path`` (format from the suffix, e.g. ``.png``, ``.svg``).

    The file is written atomically and a symbolic link at ``path`` is
    replaced, not followed.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure, e.g. from :func:`fan_chart`.
    path : str or Path
        Where to write; the suffix names the format.
    dpi : int, default 120
        Resolution of raster formats.

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    DataError
        If ``path`` has no format suffix.
    """
    import io


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
    return result.spec.has_residuals


def _fmt(value: float) -> str:
    return f"{value:,.1f}" if abs(value) < 1e5 else f"{value:,.0f}"


# ---------------------------------------------------------------- shared pieces


def _resolve_bound(bound: Any, percent: bool) -> float | None:
    """The physical bound to draw: 100 for a percentage by default, none for ``False``."""
    if bound is None:
        return 100.0 if percent else None
    if bound is False:
        return None
    if bound is True:
        return 100.0
    value = float(bound)
    if not np.isfinite(value):
        raise DataError(f"bound must be a finite number, got {bound!r}")
    return value


def _draw_bound(axis: "Axes", bound: float | None, label: str | None, percent: bool) -> None:
    """A dotted horizontal line at the physical bound, named in the legend."""
    if bound is None:
        return
    text = label or ("100% (the whole population)" if percent and bound == 100.0 else f"bound {_fmt(bound)}")
    axis.axhline(bound, color="#444444", ls=":", lw=1.3, label=text, zorder=1)
    low, high = axis.get_ylim()
    if bound > high - 0.03 * (high - low):  # keep the line off the frame, where it would not be seen
        axis.set_ylim(low, bound + 0.05 * (high - low))


def _title(target: Any, text: str, **kwargs: Any) -> None:
    """Set an axes' title (or a figure's suptitle), wrapped to the figure's width so it is never cut."""
    import textwrap

    fig = target.get_figure() if hasattr(target, "set_title") else target
    width = fig.get_figwidth()  # inches
    spec = target.get_subplotspec() if hasattr(target, "get_subplotspec") else None
    if spec is not None:  # the axes' share of the figure's width
        width *= (spec.colspan.stop - spec.colspan.start) / spec.get_gridspec().ncols
    chars = max(20, int(width * 8.5))  # about 8.5 characters of a 12 pt title per inch, with the margins
    wrapped = "\n".join(textwrap.wrap(text, chars)) or text
    (target.set_title if hasattr(target, "set_title") else target.suptitle)(wrapped, **kwargs)


def _xlabel(result: "FitResult") -> str:
    return "date" if result.has_dates else "time (decimal year)"


def _same(a: np.ndarray, b: np.ndarray, scale: float) -> np.ndarray:
    """Elementwise: the two paths are equal to plotting precision (1e-6 of the axis range)."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    tol = 1e-6 * (scale if np.isfinite(scale) and scale > 0 else 1.0)
    return (np.abs(a - b) <= tol) | (np.isnan(a) & np.isnan(b))


def _when_label(result: "FitResult", t: float) -> str:
    x = _x(result, np.array([t]))[0]
    return f"{pd.Timestamp(x):%Y-%m-%d}" if result.has_dates else f"{float(x):g}"


def _percent_frame(frame: pd.DataFrame, backtest: Any = None) -> bool:
    """Whether a backtest frame is of percentage series: by the backtest's ``percent`` flags where it
    has them, else by name (a ``series_id`` ending in ``_pct``)."""
    from .data import is_percent_series

    if "series_id" not in frame.columns or frame.empty:
        return False
    flags = getattr(backtest, "percent", None)
    flags = flags if isinstance(flags, Mapping) else {}  # a frame's column named "percent" is not it
    return all(flags[s] if s in flags else is_percent_series(s) for s in pd.unique(frame["series_id"]))


def _one_series(frame: pd.DataFrame, series: Any, what: str, backtest: Any = None) -> pd.DataFrame:
    """The rows of one series: the one given, or the only one there is."""
    if "series_id" not in frame.columns or frame.empty:  # empty: e.g. no model with a ceiling
        return frame
    ids = list(pd.unique(frame["series_id"]))
    if series is not None:
        skipped = getattr(backtest, "skipped", None)
        if isinstance(skipped, pd.DataFrame) and series not in ids and series in set(skipped["series_id"]):
            reason = skipped.loc[skipped["series_id"] == series, "reason"].iloc[0]
            raise DataError(f"{what}: series {series!r} was left out of the backtest as too short ({reason})")
        if series not in ids:
            raise DataError(f"{what}: no series {series!r}; the backtest has {ids}")
        return frame[frame["series_id"] == series]
    if len(ids) > 1:
        raise DataError(f"{what}: the backtest has {len(ids)} series {ids}; choose one with series=")
    return frame


# ---------------------------------------------------------------- single fits
def _draw_fan(
    axis: "Axes",
    result: "FitResult",
    *,
    until: Any,
    steps: int | None,
    levels: list[float],
    saturation_level: float,
    bound: float | None,
    bound_label: str | None,
    compact: bool = False,
) -> None:
    """Observations, fitted path, nested bands, mean forecast and saturation level on one axes.

    ``compact`` (a panel of a small multiple) shortens the legend entries.
    """
    percent = bool(getattr(result, "percent", False))
    x_hist = _x(result, result.t)
    ms = 2.5 if compact else 3.5
    if result.status < 0:  # nothing to forecast from: the data, and why
        axis.plot(x_hist, result.y, "o", ms=ms, color="black", label="observed", zorder=3)
        import textwrap

        reason = str(result.message).removeprefix("failed: ")
        note = axis.text(0.5, 0.5, "\n".join(textwrap.wrap(f"fit failed: {reason}", 34 if compact else 70)),
                         ha="center", va="center", fontsize=7 if compact else 9, color=_COLOURS[1],
                         transform=axis.transAxes, clip_on=True)
        note.set_in_layout(False)  # a long reason must not squeeze the panels
        return
    if _in_sample(result):
        fitted = result.predict(result.t, level=levels[0])
        axis.plot(x_hist, fitted["mean"], color=_COLOURS[0], lw=1.0, alpha=0.6,
                  label="fitted" if compact else f"fitted ({result.spec.name})")
    axis.plot(x_hist, result.y, "o", ms=ms, color="black", label="observed", zorder=3)

    frames = {lev: result.forecast(until=until, level=lev, steps=steps) for lev in levels}
    first = frames[levels[0]]
    # start the fan at the last observation so that it joins the history
    t_fc = first["t"].to_numpy()
    t_path = np.concatenate([[result.t[-1]], t_fc])
    x_path = _x(result, t_path)
    scale = float(np.nanmax(result.y) - np.nanmin(result.y)) if result.y.size else 1.0
    shades = np.linspace(0.16, 0.42, len(levels))  # widest (drawn first) palest
    for i, lev in enumerate(reversed(levels)):
        fc = frames[lev]
        lower = np.concatenate([[result.y[-1]], fc["lower"].to_numpy()])
        upper = np.concatenate([[result.y[-1]], fc["upper"].to_numpy()])
        label = f"{lev:.0%} interval"
        narrower = [v for v in levels if v < lev]
        if narrower:  # does this band coincide with the next narrower one?
            inner = frames[narrower[-1]]
            equal = (_same(fc["lower"], inner["lower"], scale) & _same(fc["upper"], inner["upper"], scale))
            if equal.all():
                label += f" (identical to the {narrower[-1]:.0%} interval)"
            elif equal[-1]:
                start = len(equal) - int(np.argmin(equal[::-1]))  # the run of equal steps at the end
                label += f" (identical to the {narrower[-1]:.0%} from {_when_label(result, t_fc[start])})"
            elif equal.any():
                label += f" (identical to the {narrower[-1]:.0%} at {int(equal.sum())} of {equal.size} steps)"
        axis.fill_between(x_path, lower, upper, color=_COLOURS[0], alpha=shades[i], lw=0, label=label)
        dashes = (0, (4, 3)) if i == 0 else (2, (4, 3))  # offset so that coinciding outlines both show
        for edge in (lower, upper):
            axis.plot(x_path, edge, color=_COLOURS[0], lw=0.9, ls=dashes, alpha=min(1.0, 0.5 + shades[i]))
    mean = np.concatenate([[result.y[-1]], first["mean"].to_numpy()])
    axis.plot(x_path, mean, color=_COLOURS[0], lw=2.0, label="forecast (mean)")

    sat = result.saturation(level=saturation_level)
    if np.isfinite(sat["value"]):
        text = (f"saturation {_fmt(sat['value'])}" if compact else
                f"saturation {_fmt(sat['value'])} [{_fmt(sat['lower'])}, {_fmt(sat['upper'])}] "
                f"({saturation_level:.0%})")
        axis.axhline(sat["value"], color=_COLOURS[1], ls="--", lw=1.2, label=text)
    _draw_bound(axis, bound, bound_label, percent)


def fan_chart(
    result: "FitResult",
    *,
    until: Any = None,
    steps: int | None = None,
    levels: float | Sequence[float] = (0.8, 0.95),
    saturation_level: float = 0.95,
    title: str | None = None,
    ylabel: str | None = None,
    bound: float | bool | None = None,
    bound_label: str | None = None,
    ax: "Axes | None" = None,
    path: str | Path | None = None,
) -> "Figure":
    """History and forecast with nested prediction bands and the saturation level.

    This is what :meth:`growthcast.FitResult.plot` draws. Each band has its
    own shade and a dashed outline in the legend's colour. Where a wider
    band has the same bounds as a narrower one (a model whose interval does
    not depend on the level), the outlines lie on each other and the legend
    says from when the two are equal.

    Parameters
    ----------
    result : FitResult
        A fitted series (``gc.fit(...)``).
    until : date or decimal year, optional
        The end of the forecast, on the data's own grid (see
        :meth:`growthcast.FitResult.forecast`); by default ``steps`` steps.
    steps : int, optional
        Steps of the data's frequency ahead when ``until`` is not given
        (default 10).
    levels : float or sequence of float
        Coverage of the bands, widest drawn palest; 80% and 95% by default.
    saturation_level : float
        Coverage of the interval drawn around the saturation level; the
        level is left out for models without one.
    title, ylabel : str, optional
        The y-label should name the unit; the series name by default.
    bound : float or bool, optional
        The physical bound drawn as a dotted line: by default 100 for a
        percentage (``result.percent``) and none otherwise; ``False`` for
        none; a number such as the population for a count of people.
    bound_label : str, optional
        The legend entry of the bound.
    ax : matplotlib Axes, optional
        Draw here instead of on a new figure.
    path : str or Path, optional
        Also save the figure there.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    FitError
        If the fit failed: there is no forecast to draw.
    """
    levels = check_levels(levels)[0]
    result.raise_for_status()
    fig, (axis,) = _new_axes(ax, (8.0, 4.8))
    percent = bool(getattr(result, "percent", False))
    _draw_fan(axis, result, until=until, steps=steps, levels=levels, saturation_level=saturation_level,
              bound=_resolve_bound(bound, percent), bound_label=bound_label)
    _title(axis, title or f"{result.series_id}: {result.spec.name} forecast")
    axis.set_xlabel(_xlabel(result))
    axis.set_ylabel(ylabel or str(result.series_id))
    axis.grid(alpha=0.3)
    axis.legend(loc="upper left", fontsize=8, frameon=True, framealpha=0.9)
    return _finish(fig, path)


def _grid_shape(n: int, ncols: int | None) -> tuple[int, int]:
    ncols = min(n, 4 if n > 6 else 3 if n > 4 else 2 if n > 1 else 1) if ncols is None else int(ncols)
    if ncols < 1:
        raise DataError(f"ncols must be a positive integer, got {ncols!r}")
    ncols = min(ncols, n)
    return int(np.ceil(n / ncols)), ncols


def _panel_ids(available: Sequence[Any], ids: Any, max_panels: int, what: str, choose: str) -> list:
    """The series to draw, one panel each: ``ids`` (checked), or all of them up to ``max_panels``."""
    if isinstance(max_panels, (bool, np.bool_)) or not isinstance(max_panels, (int, np.integer)) or max_panels < 1:
        raise DataError(f"max_panels must be a positive integer, got {max_panels!r}")
    if ids is None:
        chosen = list(available)
    else:
        known = set(available)
        one = isinstance(ids, str) or not np.iterable(ids) or (isinstance(ids, tuple) and ids in known)
        chosen = [ids] if one else list(ids)  # a tuple that is an id is one series, not several
        unknown = [i for i in chosen if i not in known]
        if unknown:
            raise DataError(f"{what}: no series {short_list(unknown)}; the {choose} has {short_list(list(available))}")
        chosen = list(dict.fromkeys(chosen))
    if not chosen:
        raise DataError(f"{what}: no series to draw")
    if len(chosen) > max_panels:
        raise DataError(f"{what}: {len(chosen)} series are too many panels for one figure (at most "
                        f"max_panels={max_panels}); choose some with ids=, e.g. ids={short_list(chosen[:4])}, "
                        f"or raise max_panels")
    return chosen


def fan_charts(
    batch: Any,
    ids: Any = None,
    *,
    until: Any = None,
    steps: int | None = None,
    levels: float | Sequence[float] = (0.8, 0.95),
    saturation_level: float = 0.95,
    max_panels: int = 24,
    ncols: int | None = None,
    sharey: bool = False,
    title: str | None = None,
    ylabel: str | None = None,
    bound: float | bool | None = None,
    path: str | Path | None = None,
) -> "Figure":
    """Small multiples: one fan chart per series of a batch fit.

    This is what :meth:`growthcast.BatchFitResult.plot` draws. Each panel,
    titled by its series id, holds that series' observations, fitted path,
    nested prediction bands, mean forecast and saturation level, as
    :func:`fan_chart` draws them; a failed fit shows its data and the
    reason. The key is the first panel's legend.

    Parameters
    ----------
    batch : BatchFitResult
        ``gc.fit_many(...)`` (anything with ``series_ids`` whose items,
        ``batch[id]``, are fits).
    ids : series id or sequence of them, optional
        The series to draw, in this order; all of them by default.
    until, steps, levels, saturation_level
        As in :func:`fan_chart`.
    max_panels : int
        The most panels one figure holds (24): more series raise a
        :class:`growthcast.DataError` that says to choose some with ``ids``.
    ncols : int, optional
        Panels per row (up to 4 by default).
    sharey : bool
        One y-axis for all panels (the same unit and scale).
    title, ylabel : str, optional
        The figure's title and the y-label of the left column (the unit).
    bound : float or bool, optional
        As in :func:`fan_chart`, for every panel: 100 for a percentage by default.
    path : str or Path, optional
        Also save the figure there.

    Returns
    -------
    matplotlib.figure.Figure
    """
    levels = check_levels(levels)[0]
    chosen = _panel_ids(list(batch.series_ids), ids, max_panels, "fan_charts", "batch")
    nrows, ncols = _grid_shape(len(chosen), ncols)
    fig, axes = _new_axes(None, (3.6 * ncols + 0.6, 2.8 * nrows + 0.9), nrows, ncols, sharey=bool(sharey))
    fits = [batch[sid] for sid in chosen]
    for k, (axis, sid, res) in enumerate(zip(axes, chosen, fits)):
        percent = bool(getattr(res, "percent", False))
        _draw_fan(axis, res, until=until, steps=steps, levels=levels, saturation_level=saturation_level,
                  bound=_resolve_bound(bound, percent), bound_label=None, compact=True)
        axis.set_title(str(sid), fontsize=10)
        axis.grid(alpha=0.3)
        axis.tick_params(labelsize=8)
        if k % ncols == 0:
            axis.set_ylabel(ylabel or "value", fontsize=9)
        if k >= len(chosen) - ncols:
            axis.set_xlabel(_xlabel(res), fontsize=9)
    for axis in axes[len(chosen):]:
        axis.set_visible(False)
    keyed = next((axis for axis, res in zip(axes, fits) if res.status >= 0), axes[0])
    keyed.legend(loc="upper left", fontsize=7, frameon=True, framealpha=0.9)
    model = fits[0].spec.name if fits else ""
    _title(fig, title or f"{model} forecasts of {len(chosen)} series")
    return _finish(fig, path)


def fitted_curves(
    results: Mapping[str, "FitResult"] | Iterable["FitResult"],
    *,
    until: Any = None,
    steps: int | None = None,
    title: str | None = None,
    ylabel: str | None = None,
    bound: float | bool | None = None,
    bound_label: str | None = None,
    ax: "Axes | None" = None,
    path: str | Path | None = None,
) -> "Figure":
    """The observations and each model's fitted and projected mean path.

    A path that coincides with one drawn before it (two models that found
    the same curve) is drawn dashed on top, and its legend entry names the
    model it coincides with.

    Parameters
    ----------
    results : mapping of label to FitResult, or FitResults
        Fits of the same series (their labels default to the model names).
        Failed fits are listed in the legend as failed and not drawn. Models
        without a fitted path (random walks, smoothing, combinations) are
        drawn from the last observation on.
    until, steps
        The end of the projection, as in :func:`fan_chart`.
    title, ylabel, bound, bound_label, ax, path
        As in :func:`fan_chart`; the bound's default follows the first fit.

    Returns
    -------
    matplotlib.figure.Figure
    """
    items = list(results.items()) if isinstance(results, Mapping) else [(r.spec.name, r) for r in results]
    if not items:
        raise DataError("fitted_curves needs at least one fit")
    fig, (axis,) = _new_axes(ax, (8.0, 5.6))
    ref = items[0][1]
    percent = bool(getattr(ref, "percent", False))
    axis.plot(_x(ref, ref.t), ref.y, "o", ms=3.5, color="black", label="observed", zorder=3)
    scale = float(np.nanmax(ref.y) - np.nanmin(ref.y)) if ref.y.size else 1.0
    drawn: list[tuple[str, np.ndarray, np.ndarray]] = []
    for i, (label, res) in enumerate(items):
        colour = _COLOURS[i % len(_COLOURS)]
        if res.status < 0:
            axis.plot([], [], color=colour, label=f"{label} (failed)")
            continue
        fc = res.forecast(until=until, level=0.8, steps=steps)
        if _in_sample(res):
            t_all = np.concatenate([res.t, fc["t"].to_numpy()])
            mean = np.concatenate([res.predict(res.t, level=0.8)["mean"].to_numpy(), fc["mean"].to_numpy()])
        else:  # a model without a fitted path: its forecast from the last observation
            t_all = np.concatenate([res.t[-1:], fc["t"].to_numpy()])
            mean = np.concatenate([res.y[-1:], fc["mean"].to_numpy()])
        twin = next((name for name, t_o, m_o in drawn
                     if t_o.shape == t_all.shape and np.allclose(t_o, t_all)
                     and bool(np.all(np.abs(m_o - mean) <= 2e-3 * scale))), None)
        if twin is None:
            axis.plot(_x(res, t_all), mean, color=colour, lw=1.6, label=label)
        else:
            axis.plot(_x(res, t_all), mean, color=colour, lw=1.6, ls=(0, (5, 4)), zorder=2.5,
                      label=f"{label} (same path as {twin})")
        drawn.append((label, t_all, mean))
    axis.axvline(_x(ref, ref.t[-1:])[0], color="grey", lw=0.8, ls="--", label="last observation")
    _draw_bound(axis, _resolve_bound(bound, percent), bound_label, percent)
    _title(axis, title or f"{ref.series_id}: fitted curves")
    axis.set_xlabel(_xlabel(ref))
    axis.set_ylabel(ylabel or str(ref.series_id))
    axis.grid(alpha=0.3)
    # below the axes: with many models a legend inside would hide the paths it names
    axis.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), fontsize=8, frameon=False, ncols=3)
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


def _metric_label(metric: str, unit: str | None) -> str:
    if metric in ("MAE", "RMSE", "winkler"):
        return f"{metric} ({unit})" if unit else metric
    return {
        "MAPE": "MAPE (%)",
        "sMAPE": "sMAPE (%)",
        "MASE": "MASE (scaled by the in-sample naive error; no unit)",
        "coverage": "coverage (share of actuals inside the interval)",
    }.get(metric, metric)


def _error_lines(scores: pd.DataFrame, metric: str) -> tuple[pd.DataFrame, list[str]]:
    """The rows to draw and the columns naming a line: the model, and the interval kind where it matters.

    A backtest scores each interval kind (``delta``, ``bootstrap``, ...)
    apart. Point scores are the same for every kind, so one kind's rows are
    kept; a score that differs by kind gets one line per (model, kind).
    """
    keys = ["model"]
    for kind in ("interval", "level"):  # several interval kinds, several levels
        if kind in scores.columns and scores[kind].nunique() > 1:
            cell = [c for c in ("series_id", "model", "horizon", *keys[1:]) if c in scores.columns]
            values = pd.to_numeric(scores[metric], errors="coerce").round(12)
            if (values.groupby([scores[c] for c in cell]).nunique() > 1).any():
                keys.append(kind)
            else:
                scores = scores[scores[kind] == scores[kind].iloc[0]]
    per_panel = [c for c in ("series_id",) if c in scores.columns] + keys + ["horizon"]
    doubled = scores.duplicated(per_panel)
    if doubled.any():
        raise DataError(f"backtest scores: {int(doubled.sum())} row(s) repeat a ({', '.join(per_panel)}) cell, so "
                        f"a line per model would jump between them; pass scores(by='horizon') or a Backtest")
    return scores, keys


def backtest_errors(
    backtest: Any,
    *,
    metric: str = "MAE",
    models: Sequence[str] | None = None,
    series: Any = None,
    unit: str | None = None,
    max_panels: int = 24,
    ncols: int | None = None,
    title: str | None = None,
    ax: "Axes | None" = None,
    path: str | Path | None = None,
) -> "Figure":
    """A backtest's error by horizon: one line per model, one panel per series.

    This is what :meth:`growthcast.Backtest.plot` draws. Errors of different
    series are not on one scale, so each series has its own panel (and
    y-axis); a model keeps its colour in every panel. The lines run over
    the horizons of one series only, in order.

    Parameters
    ----------
    backtest : Backtest or DataFrame
        A :func:`growthcast.backtest` result, or its ``scores(by="horizon")``
        frame (columns ``model``, ``horizon``, the metric and, for several
        series, ``series_id``).
    metric : str
        The score to draw, e.g. ``"MAE"``, ``"RMSE"``, ``"MASE"``, ``"coverage"``.
        A score of the intervals with several interval kinds scored gets one
        line per model and kind.
    models : sequence of str, optional
        The models to draw; all by default.
    series : series id or sequence of them, optional
        The series to draw: one id gives a single panel; by default every
        series, one panel each.
    unit : str, optional
        The series' unit, shown on the y-axis of the scale-dependent scores
        (MAE, RMSE, Winkler); by default ``"percentage points"`` for a
        percentage series and none otherwise.
    max_panels : int
        The most panels one figure holds (24); more series raise a
        :class:`growthcast.DataError` that says to choose some with ``series``.
    ncols : int, optional
        Panels per row (up to 4 by default).
    title, ax, path
        As in :func:`fan_chart`; ``ax`` only for one series.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    DataError
        If the frame lacks the metric or a series asked for, has several
        rows per model, series and horizon, or ``ax`` is given for several series.
    """
    scores = _frame(backtest, "scores", by="horizon")
    _need(scores, ["model", "horizon", metric], "backtest scores")
    if models is not None:
        scores = scores[scores["model"].isin(list(models))]
    scores, keys = _error_lines(scores, metric)
    single = "series_id" not in scores.columns or (series is not None and (
        isinstance(series, str) or not np.iterable(series)
        or (isinstance(series, tuple) and series in set(pd.unique(scores["series_id"])))))  # a tuple id is one
    if single:
        chosen = [None]
        if "series_id" in scores.columns:
            scores = _one_series(scores, series, "backtest_errors", backtest)
    else:
        chosen = _panel_ids(list(pd.unique(scores["series_id"])), series, max_panels, "backtest_errors",
                            "backtest")
        if ax is not None and len(chosen) > 1:
            raise DataError(f"backtest_errors: ax= holds one panel, and the backtest has {len(chosen)} series; "
                            "choose one with series=, or leave ax out for one panel per series")
        if len(chosen) == 1:
            single, series = True, chosen[0]
            scores = scores[scores["series_id"] == series]
    nrows, ncols = _grid_shape(len(chosen), ncols)
    size = (7.0, 4.2) if len(chosen) == 1 else (3.8 * ncols + 0.8, 2.9 * nrows + 1.0)
    fig, axes = _new_axes(ax, size, nrows, ncols)
    line_ids = list(dict.fromkeys(scores[keys].itertuples(index=False, name=None)))
    colours = {k: _COLOURS[i % len(_COLOURS)] for i, k in enumerate(line_ids)}
    styles = {k: "-" if i < len(_COLOURS) else "--" for i, k in enumerate(line_ids)}
    subs = [scores if sid is None else scores[scores["series_id"] == sid] for sid in chosen]
    ylabels = [_metric_label(metric, unit if unit is not None else (
        "percentage points" if _percent_frame(sub, backtest) else None)) for sub in subs]
    for p, (axis, sid, sub, ylabel) in enumerate(zip(axes, chosen, subs, ylabels)):
        for key, grp in sub.groupby(keys, sort=False):
            key = key if isinstance(key, tuple) else (key,)
            grp = grp.sort_values("horizon")
            axis.plot(grp["horizon"].to_numpy(), grp[metric].to_numpy(dtype=float), marker="o", ls=styles[key],
                      color=colours[key], lw=1.6, ms=4, label=" ".join(map(str, key)))
        axis.xaxis.get_major_locator().set_params(integer=True)
        if metric != "coverage":
            axis.set_ylim(bottom=0)
        axis.grid(alpha=0.3)
        if len(chosen) == 1:
            axis.set_xlabel("horizon (steps ahead)")
            axis.set_ylabel(ylabel)
            name = f"{series}: " if series is not None else ""
            _title(axis, title or f"{name}backtest {metric} by forecast horizon")
            axis.legend(fontsize=8, frameon=False, title=" / ".join(keys), title_fontsize=8)
        else:
            axis.set_title(str(sid), fontsize=10)
            axis.tick_params(labelsize=8)
            if p % ncols == 0 or len(set(ylabels)) > 1:  # every panel names its unit when they differ
                axis.set_ylabel(ylabel, fontsize=9)
            if p >= len(chosen) - ncols:
                axis.set_xlabel("horizon (steps ahead)", fontsize=9)
    if len(chosen) > 1:
        for axis in axes[len(chosen):]:
            axis.set_visible(False)
        axes[0].legend(fontsize=7, frameon=True, framealpha=0.9, title=" / ".join(keys), title_fontsize=7)
        _title(fig, title or f"Backtest {metric} by forecast horizon, {len(chosen)} series")
    return _finish(fig, path)


def origin_forecasts(
    backtest: Any,
    *,
    models: Sequence[str] | None = None,
    history: pd.DataFrame | None = None,
    series: str | None = None,
    title: str | None = None,
    ylabel: str | None = None,
    bound: float | bool | None = None,
    bound_label: str | None = None,
    path: str | Path | None = None,
) -> "Figure":
    """The forecasts made at each origin, drawn against the actual editions.

    One panel per model, on a shared y-axis: the observed editions as
    black points and, from each origin, a thin line through its forecasts,
    coloured by the origin edition (pale early, dark late; the colour bar
    is the key). Each line starts at the observation of its origin, so the
    points to its right are the editions it did not see.

    Parameters
    ----------
    backtest : Backtest or DataFrame
        A :func:`growthcast.backtest` result or its tidy ``forecasts`` frame
        (``model``, the origin and target: ``origin_date, target_date`` or
        ``origin_t, target_t``, and ``actual, mean``).
    models : sequence of str, optional
    history : DataFrame, optional
        Columns ``as_of`` and the series (named by ``series``, or the only
        column besides ``edition`` and ``as_of``), to draw the editions
        before the first target as well.
    series : str, optional
        The series to draw, for a backtest of several.
    title, ylabel, bound, bound_label, path
        As in :func:`fan_chart`; the bound's default is 100 for a
        percentage series (the backtest's ``percent`` flags, or a
        ``series_id`` ending in ``_pct`` for a plain frame).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    DataError
        If the frame lacks a needed column, or holds several series and
        ``series`` is not given.
    """
    fc = _frame(backtest, "forecasts")
    when = "date" if "origin_date" in fc.columns and fc["origin_date"].notna().any() else "t"
    _need(fc, ["model", f"origin_{when}", f"target_{when}", "actual", "mean"], "backtest forecasts")
    fc = _one_series(fc, series, "origin_forecasts", backtest)
    if "level" in fc.columns and len(fc):  # the point forecasts are the same at every level
        fc = fc[fc["level"] == fc["level"].iloc[0]]
    if "interval" in fc.columns and len(fc):
        fc = fc[fc["interval"] == fc["interval"].iloc[0]]
    xlabel = "target date" if when == "date" else "target time"
    fc = fc.assign(_origin=_origin_x(fc), origin_date=fc[f"origin_{when}"], target_date=fc[f"target_{when}"])
    percent = _percent_frame(fc, backtest)
    names = list(pd.unique(fc["model"])) if models is None else list(models)
    if not names:
        raise DataError("origin_forecasts: the backtest has no forecasts")
    ncols = min(len(names), 2)
    nrows = int(np.ceil(len(names) / ncols))
    fig, axes = _new_axes(None, (6.0 * ncols + 1.0, 3.4 * nrows + 0.6), nrows, ncols, sharey=True)
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    cmap = colormaps["viridis_r"]
    all_origins = sorted(pd.unique(fc["_origin"]))
    norm = Normalize(vmin=float(all_origins[0]), vmax=float(max(all_origins[-1], all_origins[0] + 1)))
    actual = fc.drop_duplicates("target_date").sort_values("target_date")
    if history is not None:
        column = series if series is not None else next(
            (c for c in history.columns if c not in ("edition", "as_of", "released", "note")), None)
        if column is None or column not in history.columns or "as_of" not in history.columns:
            raise DataError(f"origin_forecasts: history needs the columns 'as_of' and {column!r}; "
                            f"it has {list(history.columns)}")
        obs_x, obs_y = history["as_of"], history[column]
    else:
        obs_x, obs_y = actual["target_date"], actual["actual"]
    bound_value = _resolve_bound(bound, percent)
    label = ylabel or (str(fc["series_id"].iloc[0]) if "series_id" in fc.columns else "value")
    for k, (axis, name) in enumerate(zip(axes, names)):
        sub = fc[fc["model"] == name]
        for origin in sorted(pd.unique(sub["_origin"])):
            path_k = sub[sub["_origin"] == origin].sort_values("target_date")
            start = path_k.iloc[0]
            at_origin = actual.loc[actual["target_date"] == start["origin_date"], "actual"]
            xs = [start["origin_date"], *path_k["target_date"]]
            ys = [at_origin.iloc[0] if len(at_origin) else np.nan, *path_k["mean"]]
            if not np.isfinite(ys[0]):
                xs, ys = xs[1:], ys[1:]
            axis.plot(xs, ys, color=cmap(norm(float(origin))), lw=0.9, alpha=0.9)
        axis.plot(obs_x, obs_y, "o", ms=2.5, color="black", label="observed", zorder=3)
        _draw_bound(axis, bound_value, bound_label, percent)
        axis.plot([], [], color=cmap(0.6), lw=0.9, label="forecast from one origin")
        axis.set_title(str(name), fontsize=10)
        if k % ncols == 0:
            axis.set_ylabel(label, fontsize=9)
        if k >= len(names) - ncols:
            axis.set_xlabel(xlabel, fontsize=9)
        axis.grid(alpha=0.3)
        if k == 0:  # the same key holds for every panel
            axis.legend(loc="upper left", fontsize=7, frameon=True, framealpha=0.9)
    for axis in axes[len(names):]:
        axis.set_visible(False)
    bar = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=list(axes[: len(names)]), shrink=0.6, aspect=30)
    bar.set_label(f"origin ({_origin_name(fc)} the forecast was made from)")
    _title(fig, title or f"{label}: forecasts from each origin against the actual values")
    return _finish(fig, path)


def _origin_x(frame: pd.DataFrame) -> np.ndarray:
    """A backtest frame's origins as numbers: the edition where there is one, else the decimal year."""
    if "origin_edition" in frame.columns:
        return frame["origin_edition"].to_numpy(dtype=float)
    if "origin_t" in frame.columns:
        return frame["origin_t"].to_numpy(dtype=float)
    from .data import to_decimal_year

    return to_decimal_year(pd.DatetimeIndex(frame["origin_date"])) if len(frame) else np.zeros(0)


def _origin_name(frame: pd.DataFrame) -> str:
    return "report edition" if "origin_edition" in frame.columns else "time"


def saturation_drift(
    backtest: Any,
    *,
    models: Sequence[str] | None = None,
    series: str | None = None,
    title: str | None = None,
    ylabel: str | None = None,
    bound: float | bool | None = None,
    bound_label: str | None = None,
    ax: "Axes | None" = None,
    path: str | Path | None = None,
) -> "Figure":
    """Each model's estimated ceiling, with its interval, against the origin edition.

    A ceiling that climbs edition after edition is a warning that the
    curve is extrapolating a slowdown the data have not shown yet. The
    highest value observed after each origin is drawn in black, and a
    ceiling whose upper bound a later edition passed (``held`` is false) is
    drawn as an open marker: that estimate was wrong. Estimates beyond the axis (early origins can be wild) are drawn
    as triangles at its edge.

    Parameters
    ----------
    backtest : Backtest or DataFrame
        A :func:`growthcast.backtest` result or its ``saturation()`` frame
        (``model``, the origin, and the ceiling with ``lower, upper``;
        ``later_max`` and ``held`` when present are drawn too).
        Models without a ceiling (all NaN) are left out.
    models : sequence of str, optional
    series : str, optional
        The series to draw, for a backtest of several.
    title, ylabel, bound, bound_label, ax, path
        As in :func:`fan_chart`; the bound's default is 100 for a
        percentage series (the backtest's ``percent`` flags, or a
        ``series_id`` ending in ``_pct`` for a plain frame).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    DataError
        If the frame lacks a needed column, or holds several series and
        ``series`` is not given.
    """
    sat = _frame(backtest, "saturation")
    if not {"origin_edition", "origin_date", "origin_t"} & set(sat.columns):
        _need(sat, ["model", "origin_date"], "saturation frame")
    _need(sat, ["model"], "saturation frame")
    sat = _one_series(sat, series, "saturation_drift", backtest)
    if "level" in sat.columns and len(sat):
        sat = sat[sat["level"] == sat["level"].iloc[0]]
    sat = sat.assign(_origin=_origin_x(sat))
    xs = np.unique(sat["_origin"].to_numpy(dtype=float))
    spacing = float(np.median(np.diff(xs))) if xs.size > 1 else 1.0
    percent = _percent_frame(sat, backtest)
    value = _column(sat, ("value", "saturation", "ceiling", "K", "estimate", "mean"), "saturation frame")
    later = None
    if "later_max" in sat.columns:
        later = sat[["_origin", "later_max"]].dropna().drop_duplicates("_origin").sort_values("_origin")
    sat = sat[np.isfinite(pd.to_numeric(sat[value], errors="coerce"))]
    if models is not None:
        sat = sat[sat["model"].isin(list(models))]
    bound_value = _resolve_bound(bound, percent)
    fig, (axis,) = _new_axes(ax, (7.5, 5.2))
    names = list(pd.unique(sat["model"]))
    top = bottom = np.nan
    if names:
        # early origins can have enormous intervals: keep the axis on the estimates
        values = sat[value].to_numpy(dtype=float)
        lows = sat["lower"].to_numpy(dtype=float) if "lower" in sat.columns else values
        highs = sat["upper"].to_numpy(dtype=float) if "upper" in sat.columns else values
        cap = 2.0 * np.nanpercentile(values, 90)
        if bound_value is not None:
            cap = min(cap, 1.2 * bound_value) if cap > 0 else 1.2 * bound_value
        top = min(np.nanmax(np.where(np.isfinite(highs), highs, values)), cap) if cap > 0 else np.nanmax(values)
        if bound_value is not None:
            top = max(top, 1.03 * bound_value)
        bottom = np.nanmin(np.where(np.isfinite(lows), lows, values))
        if np.nanmin(values) > 0:
            bottom = max(bottom, 0.0)
    off_scale = False
    exceeded = False
    drawn: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for i, name in enumerate(names):
        grp = sat[sat["model"] == name].sort_values("_origin")
        offset = (i - (len(names) - 1) / 2) * 0.12 * spacing  # keep the error bars apart
        x = grp["_origin"].to_numpy(dtype=float) + offset
        y = grp[value].to_numpy(dtype=float)
        colour = _COLOURS[i % len(_COLOURS)]
        if {"lower", "upper"} <= set(grp.columns):
            lower = grp["lower"].to_numpy(dtype=float)
            upper = grp["upper"].to_numpy(dtype=float)
            axis.fill_between(x, lower, upper, color=colour, alpha=0.13, lw=0)
        held = np.ones(len(grp), dtype=bool)
        if "held" in grp.columns:
            held = (grp["held"].astype("boolean").fillna(True)).to_numpy(dtype=bool)
            exceeded = exceeded or not held.all()
        origins = grp["_origin"].to_numpy(dtype=float)
        twin = next((other for other, (o_x, o_y) in drawn.items() if o_x.shape == origins.shape
                     and np.array_equal(o_x, origins) and bool(np.all(np.abs(o_y - y) <= 1e-3 * np.abs(o_y)))), None)
        drawn[str(name)] = (origins, y)
        style = "-" if twin is None else (0, (5, 4))  # dashed over the model it coincides with
        axis.plot(x, y, ls=style, color=colour, lw=1.2)
        axis.plot(x[held], y[held], "o", color=colour, ms=4)
        axis.plot(x[~held], y[~held], "o", ms=4, mfc="white", mec=colour, mew=1.0)
        axis.plot([], [], marker="o", ls=style, color=colour, ms=4, lw=1.2,
                  label=str(name) if twin is None else f"{name} (same ceilings as {twin})")
        if np.isfinite(top):
            above = y > top
            if above.any():
                off_scale = True
                axis.plot(x[above], np.full(above.sum(), top), "^", color=colour, ms=6, clip_on=False, zorder=4)
    if later is not None and not later.empty:
        axis.step(later["_origin"].to_numpy(dtype=float), later["later_max"].to_numpy(dtype=float),
                  where="mid", color="black", lw=1.4, label="highest value observed after the origin", zorder=3)
    if exceeded:
        axis.plot([], [], "o", ms=4, mfc="white", mec="black", label="open: a later value passed the upper bound")
    if off_scale:
        axis.plot([], [], "^", ms=6, color="grey", label="estimate above the axis")
    _draw_bound(axis, bound_value, bound_label, percent)
    if names:
        if np.isfinite(bottom) and np.isfinite(top) and top > bottom:
            pad = 0.04 * (top - bottom)
            axis.set_ylim(bottom - pad, top + pad)
    else:
        axis.text(0.5, 0.5, "no model with a saturation level", ha="center", va="center", transform=axis.transAxes)
    axis.set_xlabel(f"origin ({_origin_name(sat)} the ceiling was estimated from)")
    axis.set_ylabel(ylabel or "estimated saturation level")
    _title(axis, title or "Saturation drift: the ceiling estimated at each origin")
    axis.grid(alpha=0.3)
    labelled = [h for h in axis.get_lines() + list(axis.collections) if not h.get_label().startswith("_")]
    if labelled:  # below the axes: the estimates fill the plot area
        axis.legend(fontsize=7.5, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=3)
    return _finish(fig, path)
