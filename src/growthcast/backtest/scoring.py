"""The result of a backtest and its scores: accuracy by horizon, leaderboards, Diebold-Mariano tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from .._checks import as_list
from .._frozen import FrozenMap
from ..errors import DataError
from ..metrics import METRICS

__all__ = ["Backtest", "diebold_mariano", "NO_SIGNIFICANT_DIFFERENCE"]

#: What :meth:`Backtest.compare` says in ``better`` when the test does not reject equal accuracy.
NO_SIGNIFICANT_DIFFERENCE = "no significant difference"

_BY = {"horizon": ["horizon"], "model": [], "series": []}


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
        Steps ahead, in ``unit``.
    levels : tuple of float
        Coverage probabilities of the scored intervals (``forecasts["level"]``).
    window : {"expanding", "rolling"}
    window_size : int or None
        Training points of a rolling window.
    intervals : tuple of str
        Interval kinds scored side by side (``forecasts["interval"]``).
    members : tuple of str
        The members of ``ensemble_weighted`` (empty without it).
    unit : str
        What a step is: ``"yearly steps"``, ``"quarterly steps"``, ...,
        ``"editions"`` (an edition column), ``"observations"`` (a series
        without a regular frequency); several joined by commas.
    vintage : mapping
        The data used: the last observation over all series (``last_date``,
        or ``last_t`` for data given as decimal years), ``last_edition``
        where the data have editions, and ``by_series`` (series id -> its
        last date or time).
    percent : mapping
        Series id -> whether the series is a percentage (its values capped
        at 100); plots label their axes by it.

    Notes
    -----
    The frames name origins and targets by ``origin_date`` and
    ``target_date``, or ``origin_t`` and ``target_t`` (decimal years) for
    data given as numbers, plus ``origin_edition`` and ``target_edition``
    where the data have an edition column.
    """

    models: tuple[str, ...]
    series: tuple[str, ...]
    min_train: int
    horizons: tuple[int, ...]
    levels: tuple[float, ...]
    window: str
    window_size: int | None
    intervals: tuple[str, ...]
    members: tuple[str, ...]
    unit: str
    vintage: Mapping[str, Any]
    _forecasts: pd.DataFrame = field(repr=False)
    _params: pd.DataFrame = field(repr=False)
    _saturation: pd.DataFrame = field(repr=False)
    _weights: pd.DataFrame = field(repr=False)
    percent: Mapping[Any, bool] = field(default_factory=FrozenMap)
    _skipped: pd.DataFrame = field(repr=False, default_factory=lambda: pd.DataFrame(
        {"series_id": pd.Series(dtype=object), "points": pd.Series(dtype=int), "reason": pd.Series(dtype=object)}))
    _failures: pd.DataFrame = field(repr=False, default_factory=lambda: pd.DataFrame(
        {"series_id": pd.Series(dtype=object), "model": pd.Series(dtype=object), "status": pd.Series(dtype=int),
         "message": pd.Series(dtype=object)}))

    @property
    def level(self) -> float:
        """The first (lowest) of ``levels``: the one :meth:`leaderboard` scores by default."""
        return self.levels[0]

    @property
    def origin_column(self) -> str:
        """``"origin_date"``, or ``"origin_t"`` for data given as decimal years."""
        return "origin_date" if "origin_date" in self._forecasts.columns else "origin_t"

    # ------------------------------------------------------------ frames
    @property  # a fresh object each time: editing it cannot alter the frozen result
    def forecasts(self) -> pd.DataFrame:
        """One row per (series, model, interval kind, level, origin, target).

        Columns ``series_id, model, interval, level``, the origin
        (``origin_date``, or ``origin_t`` for decimal years; and
        ``origin_edition`` with editions), the target (likewise),
        ``horizon`` (steps ahead, in ``unit``), ``years_ahead`` (the
        elapsed time), ``actual, mean, lower, upper, error`` (``actual -
        mean``), ``status`` (the fit's code, see
        :data:`growthcast.errors.STATUS_MESSAGES`; ``mean`` is NaN beside a
        failure) and ``scale`` (the MASE scale of the origin's training window).
        """
        return self._forecasts.copy()

    @property  # a fresh object each time
    def params(self) -> pd.DataFrame:
        """Every fit's parameters: ``series_id, model``, the origin, ``parameter, value, stderr, status``."""
        return self._params.copy()

    @property  # a fresh object each time
    def skipped(self) -> pd.DataFrame:
        """The series left out because they are too short: ``series_id, points, reason``.

        A series with fewer than ``min_train + 1`` observed points has no
        origin; the others are backtested as if it had not been given. Empty
        when every series took part.
        """
        return self._skipped.copy()

    @property  # a fresh object each time
    def failures(self) -> pd.DataFrame:
        """Every fit that failed, and why: ``series_id, model``, the origin, ``status, message``.

        One row per (series, model, origin) whose fit failed; its forecasts
        are NaN in :attr:`forecasts` and count in the ``failed`` column of
        :meth:`leaderboard`. ``message`` is the model's own reason (e.g.
        which data it cannot fit), or the status code's
        (:data:`growthcast.errors.STATUS_MESSAGES`). Empty when every fit
        succeeded.
        """
        return self._failures.copy()

    @property  # a fresh object each time
    def weights(self) -> pd.DataFrame:
        """The weights of ``ensemble_weighted``: ``series_id``, the origin, ``horizon, member, weight``."""
        return self._weights.copy()

    def saturation(self) -> pd.DataFrame:
        """Each curve model's ceiling at each origin, and whether it held the later data.

        Returns
        -------
        pandas.DataFrame
            ``series_id, model``, the origin (as in :attr:`forecasts`),
            ``parameter`` (K or m), ``value, lower, upper`` (the ``level``
            interval; a row per level), ``level, status``, ``later_max`` (the
            largest actual after the origin), ``held`` (True when every later
            actual stayed at or below ``upper``; a ceiling whose upper bound
            the series passed is a miss; NaN when there is no later actual or
            no bound) and ``passed_date`` (or ``passed_t``; and
            ``passed_edition`` with editions): the first observation above
            ``upper``. Models without a ceiling have no rows.
        """
        return self._saturation.copy()

    # ------------------------------------------------------------ scores
    def scores(self, by: str | Sequence[str] = "horizon", *, pool_series: bool = False,
               common: bool = False) -> pd.DataFrame:
        """Accuracy of the point forecasts and intervals, per model and group.

        Parameters
        ----------
        by : {"horizon", "origin", "model"} or list of forecast columns
            The grouping beside ``series_id, model, interval, level``: per
            horizon (default), per origin, or over everything.
        pool_series : bool
            Score all series together instead of one by one.
        common : bool
            Score only the targets every model forecast (from the same
            origin): models that fail at some origins, such as a curve on a
            short early window, are then compared with the others on the
            same forecasts. By default each model is scored on all its own.

        Returns
        -------
        pandas.DataFrame
            ``MAE, RMSE, MAPE, sMAPE, MASE`` of the point forecasts (MASE scaled
            per origin by the in-sample one-step naive error of its training
            window), ``coverage`` and ``winkler`` (interval score) of the
            intervals at each ``level``, ``n`` (forecasts scored) and ``failed``
            (forecasts missing because the fit failed). Pairs without a
            forecast or a bound are left out of the respective metrics.
        """
        keys = self._keys(by, pool_series)
        fc = self._forecasts
        cols = {"actual": fc["actual"].to_numpy(), "mean": fc["mean"].to_numpy(), "lower": fc["lower"].to_numpy(),
                "upper": fc["upper"].to_numpy(), "scale": fc["scale"].to_numpy(), "level": fc["level"].to_numpy()}
        terms = pd.DataFrame({k: fc[k] for k in keys})
        made = fc["mean"].notna()
        if common:  # the targets, from each origin, that every model forecast
            made = made.groupby([fc["series_id"], fc[self.origin_column], fc["horizon"]], sort=False,
                                observed=True).transform("all")
            for name in ("mean", "lower", "upper"):
                cols[name] = np.where(made, cols[name], np.nan)
        with np.errstate(all="ignore"):
            for name, metric in METRICS.items():
                terms[name] = metric.point(*(cols[a] for a in metric.inputs))
        terms["n"] = made.astype(int)
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
        first = [k for k in keys if k not in ("model", "interval", "level")]
        out = out.sort_values(first + ["model", "interval", "level"], kind="stable",
                              key=lambda col: col.map(order[col.name]) if col.name in order else col)
        return out.reset_index(drop=True)

    def _keys(self, by: str | Sequence[str], pool_series: bool) -> list[str]:
        extra: list[str] = []
        own = ("series_id", "model", "interval", "level")
        for b in as_list(by):
            if b == "origin":
                extra.append(self.origin_column)
            elif b in _BY:
                extra += _BY[b]
            elif b in self._forecasts.columns and b not in own:
                extra.append(b)
            elif b not in own:
                raise DataError(f"by: expected 'horizon', 'origin', 'model' or forecast columns, got {b!r}")
        base = ([] if pool_series else ["series_id"]) + ["model", "interval", "level"]
        return base + [k for k in dict.fromkeys(extra) if k not in base]

    def leaderboard(self, metric: str = "MASE", *, interval: str | None = None,
                    level: float | None = None, common: bool = False) -> pd.DataFrame:
        """Models ranked by a metric averaged over horizons, per series.

        Parameters
        ----------
        metric : str
            A name in :data:`growthcast.metrics.METRICS` (``MAE, RMSE, MAPE,
            sMAPE, MASE, bias, coverage, winkler``); a metric with a target
            value ranks by the distance to it (coverage: to ``level``; bias: to 0).
        interval : str, optional
            The interval kind scored by coverage and winkler; the first of
            :attr:`intervals` by default.
        level : float, optional
            The level of the intervals scored; the first of ``levels``
            by default.
        common : bool
            Rank on the targets every model forecast (see :meth:`scores`);
            by default each model on all its own forecasts (``n`` and
            ``failed`` tell how many).

        Returns
        -------
        pandas.DataFrame
            ``series_id, rank, model, interval, level``, every metric (the mean of
            its values per horizon), ``n``, ``failed`` and ``ceiling_held``
            (share of origins whose ceiling interval held the later data; NaN
            for models without a ceiling), sorted by series and rank.
        """
        if metric not in METRICS:
            raise DataError(f"metric must be one of {list(METRICS)}, got {metric!r}")
        interval = self.intervals[0] if interval is None else interval
        if interval not in self.intervals:
            raise DataError(f"interval: this backtest scored {list(self.intervals)}, got {interval!r}")
        level = self.level if level is None else level
        if level not in self.levels:
            raise DataError(f"level: this backtest scored {list(self.levels)}, got {level!r}")
        per_h = self.scores("horizon", common=common)
        per_h = per_h[(per_h["interval"] == interval) & (per_h["level"] == level)]
        board = per_h.groupby(["series_id", "model", "interval"], sort=False)[list(METRICS)].mean()
        counts = per_h.groupby(["series_id", "model", "interval"], sort=False)[["n", "failed"]].sum()
        board = board.join(counts).reset_index()
        sat = self._saturation
        sat = sat[sat["level"] == level] if len(sat) else sat
        if len(sat):
            held = sat.assign(h=sat["held"].astype(float)).groupby(["series_id", "model"])["h"].mean()
            board = board.merge(held.rename("ceiling_held").reset_index(), on=["series_id", "model"], how="left")
        else:
            board["ceiling_held"] = np.nan
        key = pd.Series(METRICS[metric].distance_from_best(board[metric].to_numpy(), level), index=board.index)
        board = board.assign(_key=key.fillna(np.inf), level=level).sort_values(["series_id", "_key"], kind="stable")
        board["rank"] = board.groupby("series_id").cumcount() + 1
        cols = ["series_id", "rank", "model", "interval", "level", *METRICS, "n", "failed", "ceiling_held"]
        return board[cols].reset_index(drop=True)

    def compare(self, a: str, b: str, *, loss: str = "squared", alpha: float = 0.05) -> pd.DataFrame:
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
            Model labels in ``models``.
        loss : {"squared", "absolute"}
        alpha : float
            Significance level of the two-sided test, in (0, 1).

        Returns
        -------
        pandas.DataFrame
            ``series_id, horizon, n, mean_diff`` (mean of ``d``; negative when
            ``a`` is more accurate), ``statistic, p_value`` (two-sided),
            ``better`` and ``note``. ``better`` names the model with the
            lower mean loss only when ``p_value < alpha``; otherwise it says
            ``"no significant difference"`` (also when the test is not
            defined: fewer than two pairs, or a constant differential).
            With few origins the test has little power: no significant
            difference is not evidence of equal accuracy.

        Examples
        --------
        >>> import growthcast as gc
        >>> bt = gc.backtest(gc.load_cnnic(), series="penetration_pct", models=["drift", "naive"], horizons=[1])
        >>> out = bt.compare("drift", "naive", alpha=0.05)
        >>> out.loc[0, "better"] == ("drift" if out.loc[0, "p_value"] < 0.05 and out.loc[0, "mean_diff"] < 0
        ...                          else "naive" if out.loc[0, "p_value"] < 0.05 else "no significant difference")
        True
        """
        if isinstance(alpha, (bool, np.bool_)) or not isinstance(alpha, (int, float, np.integer, np.floating)) \
                or not 0.0 < alpha < 1.0:
            raise DataError(f"alpha must be a number in (0, 1), got {alpha!r}")
        for m in (a, b):
            if m not in self.models:
                raise DataError(f"compare: no model {m!r} in this backtest; it has {list(self.models)}")
        if loss not in ("squared", "absolute"):
            raise DataError(f"loss must be 'squared' or 'absolute', got {loss!r}")
        fc = self._forecasts[(self._forecasts["interval"] == self.intervals[0])
                             & (self._forecasts["level"] == self.level)]
        keys = ["series_id", "horizon", self.origin_column, self.origin_column.replace("origin_", "target_")]
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
            better = (a if mean_diff < 0 else b) if p < alpha else NO_SIGNIFICANT_DIFFERENCE  # NaN p: never
            rows.append({"series_id": sid, "horizon": int(h), "n": len(grp), "mean_diff": mean_diff,
                         "statistic": stat, "p_value": p, "better": better, "note": note})
        return pd.DataFrame(rows, columns=["series_id", "horizon", "n", "mean_diff", "statistic", "p_value",
                                           "better", "note"])

    def plot(self, kind: str = "errors", **kwargs: Any):
        """A figure of the backtest (needs ``pip install "growthcast[plot]"``).

        Parameters
        ----------
        kind : {"errors", "origins", "saturation"}
            ``"errors"`` (default): the error by horizon, one line per model
            and one panel per series (:func:`growthcast.plot.backtest_errors`);
            ``"origins"``: the forecasts from each origin
            (:func:`growthcast.plot.origin_forecasts`); ``"saturation"``: the
            ceiling estimated at each origin
            (:func:`growthcast.plot.saturation_drift`). The last two draw one
            series (``series=``).
        **kwargs
            Passed on to the plotting function.

        Returns
        -------
        matplotlib.figure.Figure
        """
        from .. import plot

        kinds = {"errors": plot.backtest_errors, "origins": plot.origin_forecasts,
                 "saturation": plot.saturation_drift}
        if kind not in kinds:
            raise DataError(f"kind must be one of {list(kinds)}, got {kind!r}")
        return kinds[kind](self, **kwargs)

    def __repr__(self) -> str:
        hs = self.horizons
        span = f"{hs[0]}-{hs[-1]}" if hs == tuple(range(hs[0], hs[-1] + 1)) else ",".join(map(str, hs))
        n_origins = self._forecasts.groupby(["series_id"])[self.origin_column].nunique().sum() if len(
            self._forecasts) else 0
        last = self.vintage.get("last_date", self.vintage.get("last_t"))
        when = (f"{pd.Timestamp(last).date()}" if "last_date" in self.vintage else f"{last:g}")
        if "last_edition" in self.vintage:
            when = f"edition {self.vintage['last_edition']} ({when})"
        levels = ", ".join(f"{lv:g}" for lv in self.levels)
        left_out = f", {len(self._skipped)} too short and left out (.skipped)" if len(self._skipped) else ""
        return (f"<Backtest: {len(self.models)} model(s) x {len(self.series)} series{left_out}, {n_origins} origins, "
                f"horizons {span} {self.unit} ahead, level {levels}, {self.window} window; data to {when}>")


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
    p = float(2.0 * special.stdtr(n - 1, -abs(stat)))  # = 2 * scipy.stats.t.sf(|stat|, n - 1), bit for bit
    return stat, p, note

