"""Immutable fit results: one series (:class:`FitResult`) or many (:class:`BatchFitResult`).

A result holds the spec that produced it, the data it saw and the fitted
arrays; it never refits and never changes. Prediction delegates to the spec,
so every model (curve, trend, baseline, ensemble) answers the same calls.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Mapping

import numpy as np
import pandas as pd

from . import errors
from ._checks import check_level
from .data import from_decimal_year, half_year_grid, to_decimal_year
from .models import Fitted, Model
from .uncertainty import inflection_interval, param_intervals, predict_interval, saturation_interval, stderr

__all__ = ["FitResult", "BatchFitResult"]


def _times(values: Any, what: str) -> tuple[np.ndarray, bool]:
    """Decimal years of ``values`` and whether they were given as dates."""
    arr = values.to_numpy() if isinstance(values, (pd.Series, pd.Index)) else values
    numeric = np.asarray(arr).dtype.kind in "iuf"
    return to_decimal_year(arr, what=what), not numeric


@dataclass(frozen=True, eq=False)
class FitResult:
    """One fitted series.

    Attributes
    ----------
    spec : Model
        The frozen model specification that produced this result.
    series_id : str
    t, y : ndarray
        The observations used (decimal years, values), sorted by time.
    has_dates : bool
        Whether time was given as dates (frames then carry a ``date`` column).
    interval : str
        How prediction intervals are made: ``"delta"``, ``"bootstrap"`` or
        ``"backtest"``.
    percent : bool
        Whether the series is a percentage: forecasts and bounds stay in [0, 100].
    """

    spec: Model
    series_id: Any
    t: np.ndarray
    y: np.ndarray
    has_dates: bool
    fitted: Fitted
    interval: str = "delta"
    percent: bool = False
    n_missing: int = 0

    def __post_init__(self) -> None:
        for name in ("t", "y"):
            getattr(self, name).setflags(write=False)

    # ------------------------------------------------------------ state
    @property
    def param_names(self) -> tuple[str, ...]:
        return self.spec.param_names

    @property  # a fresh object each time: editing it cannot alter the frozen result
    def params(self) -> pd.Series:
        """Estimated (and fixed) parameters, named as in the curve's formula."""
        return pd.Series(self.fitted.params[0], index=list(self.param_names), name="estimate")

    @property  # a fresh object each time: editing it cannot alter the frozen result
    def cov(self) -> pd.DataFrame:
        """Covariance of the estimates; zero for fixed parameters, NaN where not estimated."""
        names = list(self.param_names)
        return pd.DataFrame(self.fitted.cov[0], index=names, columns=names)

    @property  # a fresh object each time: editing it cannot alter the frozen result
    def stderr(self) -> pd.Series:
        """Standard errors, ``sqrt(diag(cov))``; 0 for fixed parameters, NaN where not estimated."""
        return pd.Series(stderr(self.fitted)[0], index=list(self.param_names), name="stderr")

    @property
    def status(self) -> int:
        return int(self.fitted.status[0])

    @property
    def message(self) -> str:
        own = self.fitted.message[0] if self.fitted.message is not None else ""
        return own or errors.STATUS_MESSAGES.get(
            self.status, "unknown status"
        )

    @property
    def converged(self) -> bool:
        return self.status > 0

    @property
    def n_iter(self) -> int:
        return int(self.fitted.n_iter[0])

    def raise_for_status(self) -> "FitResult":
        """Raise :class:`~growthcast.FitError` with the reason if the fit failed; else return self.

        Examples
        --------
        >>> import growthcast as gc
        >>> gc.fit("logistic", [2000.0, 2001.0], [1.0, 2.0]).raise_for_status()
        Traceback (most recent call last):
        ...
        growthcast.errors.FitError: logistic on 'y': failed: fewer usable points than free parameters
        """
        if self.status < 0:
            raise errors.FitError(f"{self.spec.name} on {self.series_id!r}: {self.message}")
        return self

    @property
    def nobs(self) -> int:
        return int(self.fitted.n_obs[0])

    @property
    def sse(self) -> float:
        return float(self.fitted.sse[0])

    @property
    def sigma(self) -> float:
        """Residual standard deviation, ``sqrt(sse / (n - k))``."""
        return float(np.sqrt(self.fitted.sigma2[0]))

    @property
    def df_resid(self) -> int:
        return int(self.fitted.n_obs[0] - self.fitted.n_params[0])

    @cached_property
    def loglike(self) -> float:
        """Gaussian log-likelihood at the maximum (sigma^2 = sse / n)."""
        if self.fitted.loglike is not None:
            return float(self.fitted.loglike[0])
        n = self.nobs
        return float(-0.5 * n * (np.log(2 * np.pi * self.sse / n) + 1.0))

    @property
    def _k(self) -> int:
        return int(self.fitted.n_params[0]) + 1  # the parameters and the noise variance

    @cached_property
    def aic(self) -> float:
        return float(-2.0 * self.loglike + 2.0 * self._k)

    @cached_property
    def aicc(self) -> float:
        n, k = self.nobs, self._k
        return float(self.aic + 2.0 * k * (k + 1) / (n - k - 1)) if n - k - 1 > 0 else float("nan")

    @cached_property
    def bic(self) -> float:
        return float(-2.0 * self.loglike + np.log(self.nobs) * self._k)

    # ------------------------------------------------------------ prediction
    def _frame(self, t_new: np.ndarray, mean, lower, upper) -> pd.DataFrame:
        lo, hi = (0.0, 100.0) if self.percent else (0.0, np.inf)
        out = pd.DataFrame(
            {
                "date": from_decimal_year(t_new) if self.has_dates else pd.NaT,
                "t": t_new,
                "mean": np.clip(mean, lo, hi),
                "lower": np.clip(lower, lo, hi),
                "upper": np.clip(upper, lo, hi),
            }
        )
        return out

    def _predict_arrays(self, t_new: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        self.raise_for_status()
        mean, lower, upper = predict_interval(self.spec, self.fitted, t_new[None, :], level, self.interval)
        return mean[0], lower[0], upper[0]

    def predict(self, when: Any = None, level: float = 0.95) -> pd.DataFrame:
        """Point forecasts and prediction intervals at given dates or times.

        Parameters
        ----------
        when : dates or decimal years, optional
            Where to predict; the observed times by default.
        level : float
            Coverage probability of the interval, in (0, 1).

        Returns
        -------
        pandas.DataFrame
            Columns ``date, t, mean, lower, upper``.

        Raises
        ------
        FitError
            If the fit failed (``status < 0``): there is nothing to predict
            from, and the message says why. :meth:`forecast`,
            :meth:`time_to_reach`, :meth:`saturation` and :meth:`inflection`
            raise it too.
        """
        level = check_level(level)
        t_new = self.t.copy() if when is None else _times(when, "when")[0]
        return self._frame(t_new, *self._predict_arrays(t_new, level))

    def forecast(self, until: Any = None, level: float = 0.95, *, steps: int | None = None) -> pd.DataFrame:
        """Forecasts on the half-yearly report grid after the last observation.

        Parameters
        ----------
        until : date or decimal year, optional
            The last date to forecast; by default ``steps`` half-years.
        level : float
        steps : int, optional
            Number of half-years when ``until`` is not given (default 10).
        """
        t_last = float(self.t[-1])
        if until is None:
            if steps is None:
                steps = 10
            if steps < 1:
                raise errors.DataError(f"steps must be a positive integer, got {steps}")
            until_t = t_last + 0.5 * steps + 1e-6
        else:
            until_t = float(_times([until] if np.ndim(until) == 0 else until, "until")[0][-1])
        if self.has_dates:
            grid = half_year_grid(t_last, until_t)
        else:
            grid = t_last + np.arange(1, int(np.floor((until_t - t_last) / 0.5 + 1e-9)) + 1) * 0.5
        if grid.size == 0:
            raise errors.DataError(f"until must be after the last observation ({self._when(t_last)})")
        return self.predict(grid, level=level)

    def _when(self, t: float) -> str:
        if self.has_dates and np.isfinite(t):
            return str(from_decimal_year([t])[0].date())
        return f"{t:.3f}"

    def fitted_values(self) -> pd.Series:
        """The model's values at the observed times."""
        return pd.Series(self.predict(self.t)["mean"].to_numpy(), index=self.t, name="fitted")

    def residuals(self) -> pd.Series:
        return pd.Series(self.y - self.fitted_values().to_numpy(), index=self.t, name="residual")

    # ------------------------------------------------------------ derived quantities
    def saturation(self, level: float = 0.95) -> pd.Series:
        """The upper asymptote (K or m) with an interval; NaN for models without one."""
        level = check_level(level)
        self.raise_for_status()
        value, lower, upper = saturation_interval(self.spec, self.fitted, level)
        return pd.Series({"value": value[0], "lower": lower[0], "upper": upper[0]}, name="saturation")

    def time_to_reach(self, value: float, level: float = 0.95, *, horizon: float = 100.0) -> pd.Series:
        """When the forecast reaches ``value``, with an interval.

        The point is where the mean path crosses ``value``; the interval runs
        from where the upper prediction bound crosses it to where the lower
        bound does (inverting the prediction band). While the last
        observation is below ``value``, nothing is dated before it. A bound
        that never gets there within ``horizon`` years gives NaT/NaN.

        Returns
        -------
        pandas.Series
            ``t, lower_t, upper_t`` and, with dates, ``date, lower, upper``.
        """
        level = check_level(level)
        if not np.isfinite(value):
            raise errors.DataError(f"value must be finite, got {value!r}")
        t_mid, t_lo, t_hi = _crossing_times(self, float(value), level, horizon)
        out = {"value": float(value), "t": t_mid, "lower_t": t_lo, "upper_t": t_hi}
        if self.has_dates:
            dates = from_decimal_year([t_mid, t_lo, t_hi]).round("D")
            out.update(date=dates[0], lower=dates[1], upper=dates[2])
        return pd.Series(out, name="time_to_reach")

    def inflection(self, level: float = 0.95) -> pd.Series:
        """Time and value of the curve's inflection point, with intervals."""
        level = check_level(level)
        self.raise_for_status()
        (t, t_lo, t_hi), (v, v_lo, v_hi) = inflection_interval(self.spec, self.fitted, level)
        out = {"t": t[0], "lower_t": t_lo[0], "upper_t": t_hi[0], "value": v[0], "lower": v_lo[0], "upper": v_hi[0]}
        if self.has_dates:
            out["date"] = from_decimal_year([t[0]]).round("D")[0]
        return pd.Series(out, name="inflection")

    # ------------------------------------------------------------ tables
    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Confidence intervals of the parameters (log scale for positive ones)."""
        level = check_level(level)
        lower, upper = param_intervals(self.spec, self.fitted, level)
        return pd.DataFrame({"lower": lower[0], "upper": upper[0]}, index=list(self.param_names))

    def to_frame(self, level: float = 0.95) -> pd.DataFrame:
        """One row per parameter: estimate, stderr, lower, upper, fixed."""
        ci = self.conf_int(level)
        fixed = np.isin(list(self.param_names), list(self.spec.fixed_params))
        return pd.DataFrame(
            {"estimate": self.params, "stderr": self.stderr, "lower": ci["lower"], "upper": ci["upper"], "fixed": fixed}
        ).rename_axis("parameter")

    def to_dict(self) -> dict:
        """JSON-able builtins: model, parameters, statistics and status."""

        def num(v):
            v = float(v)
            return v if np.isfinite(v) else None

        return {
            "model": self.spec.name,
            "spec": repr(self.spec),
            "series_id": self.series_id,
            "status": self.status,
            "message": self.message,
            "converged": self.converged,
            "nobs": self.nobs,
            "params": {k: num(v) for k, v in self.params.items()},
            "stderr": {k: num(v) for k, v in self.stderr.items()},
            "sse": num(self.sse),
            "sigma": num(self.sigma),
            "aic": num(self.aic),
            "aicc": num(self.aicc),
            "bic": num(self.bic),
            "interval": self.interval,
        }

    def summary(self, level: float = 0.95) -> str:
        """A text table of the fit, in the manner of statsmodels' summary."""
        width = 78
        first = self._when(self.t[0]) if len(self.t) else "-"
        last = self._when(self.t[-1]) if len(self.t) else "-"
        spec = repr(self.spec)
        series = str(self.series_id)
        left = [
            ("Model:", spec if len(spec) <= 36 else f"{self.spec.name} (in full below)"),
            ("Series:", series if len(series) <= 36 else series[:35] + "…"),
            ("Sample:", f"{first} .. {last}"),
            ("Observations:", str(self.nobs) + (f" ({self.n_missing} missing dropped)" if self.n_missing else "")),
            ("Status:", str(self.status) + (" (converged)" if self.converged else " (NOT converged)")),
            ("Iterations:", str(self.n_iter)),
        ]
        right = [
            ("SSE:", f"{self.sse:.6g}"),
            ("sigma:", f"{self.sigma:.6g}"),
            ("AIC:", f"{self.aic:.4f}"),
            ("AICc:", f"{self.aicc:.4f}"),
            ("BIC:", f"{self.bic:.4f}"),
            ("Intervals:", self.spec.default_intervals if self.interval == "delta" else self.interval),
        ]
        lines = ["=" * width, f"{'growthcast fit results':^{width}}", "=" * width]
        for (a, b), (c, d) in zip(left, right):
            lines.append(f"{a:<14}{b:<38}{c:<11}{d:>15}")
        if len(spec) > 36:
            lines += textwrap.wrap(spec, width, initial_indent="Model: ", subsequent_indent="       ")
        lines.append(f"Message: {self.message}")
        lines.append("-" * width)
        table = self.to_frame(level)
        pct = f"[{(1 - level) / 2:.3f}"
        lines.append(f"{'':<10}{'estimate':>14}{'std err':>14}{pct:>14}{f'{(1 + level) / 2:.3f}]':>14}{'':>6}")
        lines.append("-" * width)
        for name, row in table.iterrows():
            mark = "(fixed)" if row["fixed"] else ""
            lines.append(
                f"{name:<10}{row['estimate']:>14.6g}{row['stderr']:>14.4g}{row['lower']:>14.6g}{row['upper']:>14.6g} {mark}"
            )
        lines.append("=" * width)
        notes = self.spec.notes(self)
        if notes:
            lines.append(notes)
        return "\n".join(lines)

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v:.4g}" for k, v in self.params.items())
        return f"<FitResult {self.spec.name} on {self.series_id!r}: {params}; status {self.status}>"


@dataclass(frozen=True, eq=False)
class BatchFitResult:
    """Many series fitted by one model in one call.

    ``many["online_video"]`` is that series' :class:`FitResult`; ``params``
    and ``status`` are tidy frames with one row per series.
    """

    spec: Model
    series_ids: tuple
    t: np.ndarray  # (B, N), padded
    y: np.ndarray
    mask: np.ndarray
    has_dates: bool
    fitted: Fitted
    interval: str = "delta"
    percent: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    n_missing: Mapping[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.series_ids)

    def __iter__(self):
        return iter(self.series_ids)

    @cached_property
    def _position(self) -> dict:
        """Row of each series id, built once: ``many[id]`` is a constant-time look-up."""
        return {sid: b for b, sid in enumerate(self.series_ids)}

    def __contains__(self, key: object) -> bool:
        try:
            return key in self._position
        except TypeError:  # an unhashable key is not a series id
            return False

    def __getitem__(self, key: str) -> FitResult:
        try:
            b = self._position[key]
        except (KeyError, TypeError):
            raise KeyError(f"no series {key!r}; the batch has {errors.short_list(self.series_ids)}") from None
        m = self.mask[b]
        return FitResult(
            spec=self.spec, series_id=key, t=self.t[b][m].copy(), y=self.y[b][m].copy(),
            has_dates=self.has_dates, fitted=self.fitted.take(slice(b, b + 1)), interval=self.interval,
            percent=bool(self.percent[b]) if len(self.percent) else False, n_missing=int(self.n_missing.get(key, 0)),
        )

    def results(self) -> dict[str, FitResult]:
        return {sid: self[sid] for sid in self.series_ids}

    @property  # a fresh object each time: editing it cannot alter the frozen result
    def params(self) -> pd.DataFrame:
        """One row per series, one column per parameter."""
        return pd.DataFrame(self.fitted.params, index=pd.Index(self.series_ids, name="series_id"),
                            columns=list(self.spec.param_names))

    @property  # a fresh object each time: editing it cannot alter the frozen result
    def stderr(self) -> pd.DataFrame:
        """Standard errors, one row per series; NaN where not estimated."""
        return pd.DataFrame(stderr(self.fitted), index=pd.Index(self.series_ids, name="series_id"), columns=list(self.spec.param_names))

    @property  # a fresh object each time: editing it cannot alter the frozen result
    def status(self) -> pd.DataFrame:
        """One row per series: status code, message, converged, nobs, n_iter, sse."""
        messages = self.fitted.message
        msg = [
            (messages[b] if messages is not None and messages[b] else errors.STATUS_MESSAGES.get(int(s), "unknown"))
            for b, s in enumerate(self.fitted.status)
        ]
        return pd.DataFrame(
            {
                "status": self.fitted.status,
                "message": msg,
                "converged": self.fitted.status > 0,
                "nobs": self.fitted.n_obs,
                "n_iter": self.fitted.n_iter,
                "sse": self.fitted.sse,
            },
            index=pd.Index(self.series_ids, name="series_id"),
        )

    def to_frame(self, level: float = 0.95) -> pd.DataFrame:
        """Tidy parameters of every series: series_id, parameter, estimate, stderr, lower, upper, fixed."""
        lower, upper = param_intervals(self.spec, self.fitted, check_level(level))
        names = list(self.spec.param_names)
        B, P = len(self.series_ids), len(names)
        fixed = np.isin(names, list(self.spec.fixed_params))
        return pd.DataFrame(
            {
                "series_id": np.repeat(self.series_ids, P),
                "parameter": np.tile(names, B),
                "estimate": self.fitted.params.ravel(),
                "stderr": stderr(self.fitted).ravel(),
                "lower": lower.ravel(),
                "upper": upper.ravel(),
                "fixed": np.tile(fixed, B),
            }
        )

    def forecast(self, until: Any = None, level: float = 0.95, *, steps: int | None = None) -> pd.DataFrame:
        """Forecasts of every series on the half-yearly grid after its last observation.

        One prediction call for the whole batch; see :meth:`FitResult.forecast`.

        Returns
        -------
        pandas.DataFrame
            ``series_id, date, t, mean, lower, upper, status``; NaN only
            beside a failure status (see :attr:`status` for the reason).
        """
        level = check_level(level)
        t_last = self.fitted.t_last
        if until is None:
            steps = 10 if steps is None else steps
            if steps < 1:
                raise errors.DataError(f"steps must be a positive integer, got {steps}")
            until_t = t_last + 0.5 * steps + 1e-6
        else:
            until_t = np.full(len(t_last), float(_times([until] if np.ndim(until) == 0 else until, "until")[0][-1]))
        finite = np.isfinite(t_last)
        if not finite.any():
            raise errors.DataError("no series has an observation to forecast from")
        if self.has_dates:
            grid = half_year_grid(np.nanmin(t_last), np.nanmax(until_t))
            t_new = np.broadcast_to(grid, (len(t_last), grid.size))
        else:
            k = int(np.floor(np.nanmax(until_t - t_last) / 0.5 + 1e-9))
            t_new = t_last[:, None] + 0.5 * np.arange(1, k + 1)
        keep = (t_new > t_last[:, None] + 1e-9) & (t_new <= until_t[:, None] + 1e-9) & finite[:, None]
        if not keep.any():
            raise errors.DataError("until must be after the last observation of the series")
        safe_t = np.where(finite[:, None], t_new, 0.0)
        mean, lower, upper = predict_interval(self.spec, self.fitted, safe_t, level, self.interval)
        failed = (self.fitted.status < 0)[:, None]
        hi = np.where(self.percent, 100.0, np.inf)[:, None] if len(self.percent) else np.inf
        bounded = [np.where(failed, np.nan, np.clip(a, 0.0, hi)) for a in (mean, lower, upper)]
        rows, cols = np.nonzero(keep)
        t_out = t_new[rows, cols]
        return pd.DataFrame(
            {
                "series_id": np.asarray(self.series_ids, dtype=object)[rows],
                "date": from_decimal_year(t_out) if self.has_dates else pd.NaT,
                "t": t_out,
                "mean": bounded[0][rows, cols],
                "lower": bounded[1][rows, cols],
                "upper": bounded[2][rows, cols],
                "status": self.fitted.status[rows],
            }
        )

    def __repr__(self) -> str:
        ok = int((self.fitted.status > 0).sum())
        return f"<BatchFitResult {self.spec.name}: {len(self)} series, {ok} converged>"


def _crossing_times(result: "FitResult", value: float, level: float, horizon: float):
    """Where the mean, upper and lower paths of ``result`` first reach ``value``.

    A grid from the first observation (from the last one, when the series is
    still below ``value`` there) to ``horizon`` years after the last, refined
    twice inside the bracketing cell, then linear interpolation.
    Returns (t_mean, t_from_upper_bound, t_from_lower_bound).
    """
    # a series still below the value at its last observation has not reached it before then
    t0 = float(result.t[-1]) if result.y[-1] < value else float(result.t[0])
    t1 = float(result.t[-1]) + horizon
    n = 2401
    grid = np.linspace(t0, t1, n)
    bands = np.broadcast_to(grid, (3, n))
    answers = np.full(3, np.nan)
    lo_edge = np.full(3, np.nan)
    hi_edge = np.full(3, np.nan)
    for _ in range(3):
        paths = _paths(result, bands, level)  # (3, n): mean, upper, lower
        reached = paths >= value
        first = np.argmax(reached, axis=1)
        found = reached.any(axis=1)
        for k in range(3):  # the three paths
            if not found[k]:
                answers[k] = np.nan
                continue
            i = first[k]
            if i == 0:
                answers[k] = bands[k, 0]
                lo_edge[k] = hi_edge[k] = bands[k, 0]
                continue
            a, b = bands[k, i - 1], bands[k, i]
            ya, yb = paths[k, i - 1], paths[k, i]
            answers[k] = a + (value - ya) * (b - a) / (yb - ya) if yb != ya else b
            lo_edge[k], hi_edge[k] = a, b
        ok = np.isfinite(lo_edge)
        if not ok.any():
            break
        bands = np.array([np.linspace(lo_edge[k], hi_edge[k], 65) if ok[k] else np.full(65, t0) for k in range(3)])
    return float(answers[0]), float(answers[1]), float(answers[2])


def _paths(result: "FitResult", bands: np.ndarray, level: float) -> np.ndarray:
    """Mean, upper and lower paths evaluated on the three rows of ``bands``."""
    flat = bands.reshape(-1)
    frame = result.predict(flat, level=level)
    m = len(bands[0])
    mean = frame["mean"].to_numpy().reshape(3, m)
    upper = frame["upper"].to_numpy().reshape(3, m)
    lower = frame["lower"].to_numpy().reshape(3, m)
    return np.stack([mean[0], upper[1], lower[2]])
