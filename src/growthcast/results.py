"""Immutable fit results: one series (:class:`FitResult`) or many (:class:`BatchFitResult`).

A result holds the spec that produced it, the data it saw and the fitted
arrays; it never refits and never changes. Prediction delegates to the spec,
so every model (curve, trend, baseline, ensemble) answers the same calls.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from . import errors
from ._checks import check_level, check_levels
from .data import from_decimal_year, to_decimal_year
from .frequency import forecast_grid, frequency_name, infer_steps
from .models import Fitted, Model
from .summary import Summary, Table
from .uncertainty import inflection_interval, param_intervals, predict_interval, saturation_interval, stderr

__all__ = ["FitResult", "BatchFitResult"]


def _bound_name(side: str, level: float, several: bool) -> str:
    """``lower``/``upper``, or ``lower_80``/``upper_95``... when several levels are asked for."""
    return f"{side}_{100 * level:g}" if several else side


def _until(until: Any) -> float:
    """``until`` as a decimal year: ``"2030"`` is the end of 2030 and ``"2030-12"`` the end of December, as in
    the command line; other dates and decimal years as they are."""
    if np.ndim(until) != 0:
        raise errors.DataError(f"until must be one date or decimal year, got {until!r}")
    if isinstance(until, str):
        text = until.strip()
        if re.fullmatch(r"\d{4}", text):
            until = f"{text}-12-31"
        elif re.fullmatch(r"\d{4}-\d{1,2}", text):
            until = str(pd.Period(text, freq="M").end_time.date())
    return float(_times([until], "until")[0][-1])


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
    series_id : hashable
        The series' id as in the input (an int stays an int).
    t, y : ndarray
        The observations used (decimal years, values), sorted by time.
    has_dates : bool
        Whether time was given as dates (frames then carry a ``date`` column).
    interval : str
        How prediction intervals are made: ``"delta"``, ``"bootstrap"`` or
        ``"backtest"``.
    percent : bool
        Whether the series is a percentage: forecasts and bounds stay in [0, 100].
    fitted : growthcast.models.Fitted
        The model's fitted arrays for this one series (a batch of one).
    n_missing : int
        Missing values dropped from the series before the fit.
    step : float
        Years per step of the forecast grid (:attr:`frequency`), inferred from ``t``.
    months : int
        Calendar months per step; 0 when the spacing is irregular.
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
    step: float | None = None  # years per step of the forecast grid; inferred from t when None
    months: int | None = None  # calendar months per step, 0 when irregular

    def __post_init__(self) -> None:
        for name in ("t", "y"):
            getattr(self, name).setflags(write=False)
        if self.step is None:
            step, months = infer_steps(self.t[None, :], np.ones((1, len(self.t)), bool))
            object.__setattr__(self, "step", float(step[0]))
            object.__setattr__(self, "months", int(months[0]))

    @property
    def frequency(self) -> str:
        """The data's frequency, the unit of ``forecast(steps=...)``: ``"yearly"``, ``"half-yearly"``, ..."""
        return frequency_name(self.step, self.months)

    # ------------------------------------------------------------ state
    @property
    def param_names(self) -> tuple[str, ...]:
        """The model's parameter names, as in :attr:`params`."""
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
        """The fit's status code: positive converged, 0 stopped at the iteration limit, negative failed.

        The codes are :data:`growthcast.errors.STATUS_MESSAGES`; :attr:`message` says which.
        """
        return int(self.fitted.status[0])

    @property
    def message(self) -> str:
        """How the fit ended, in words: the reason of a failure, or the status code's message."""
        own = self.fitted.message[0] if self.fitted.message is not None else ""
        return own or errors.STATUS_MESSAGES.get(
            self.status, "unknown status"
        )

    @property
    def converged(self) -> bool:
        """Whether the fit converged (``status > 0``)."""
        return self.status > 0

    @property
    def n_iter(self) -> int:
        """Iterations of the solver (0 for a closed-form fit)."""
        return int(self.fitted.n_iter[0])

    def raise_for_status(self) -> "FitResult":
        """Raise :class:`~growthcast.FitError` with the reason if the fit failed; else return self.

        Returns
        -------
        FitResult
            This result, unchanged, so that calls chain: ``gc.fit(...).raise_for_status().forecast()``.

        Raises
        ------
        FitError
            If ``status < 0``.

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
        """Number of observations used in the fit."""
        return int(self.fitted.n_obs[0])

    @property
    def sse(self) -> float:
        """Sum of squared residuals on the scale the model is fitted on."""
        return float(self.fitted.sse[0])

    @property
    def sigma(self) -> float:
        """Residual standard deviation, ``sqrt(sse / (n - k))``."""
        return float(np.sqrt(self.fitted.sigma2[0]))

    @property
    def df_resid(self) -> int:
        """Residual degrees of freedom: observations minus estimated parameters."""
        return int(self.fitted.n_obs[0] - self.fitted.n_params[0])

    @cached_property
    def loglike(self) -> float:
        """Gaussian log-likelihood at the maximum (sigma^2 = sse / n)."""
        if self.fitted.loglike is not None:
            return float(self.fitted.loglike[0])
        n = self.nobs
        if n <= 0:
            return float("nan")
        with np.errstate(divide="ignore"):  # sse = 0, an exact fit (a constant series): +inf
            return float(-0.5 * n * (np.log(2 * np.pi * self.sse / n) + 1.0))

    @property
    def _k(self) -> int:
        return int(self.fitted.n_params[0]) + 1  # the parameters and the noise variance

    @cached_property
    def aic(self) -> float:
        """Akaike's information criterion, ``-2 loglike + 2 k``, with ``k`` counting the noise variance."""
        return float(-2.0 * self.loglike + 2.0 * self._k)

    @cached_property
    def aicc(self) -> float:
        """AIC with the small-sample correction ``2 k (k + 1) / (n - k - 1)``; NaN when ``n <= k + 1``."""
        n, k = self.nobs, self._k
        return float(self.aic + 2.0 * k * (k + 1) / (n - k - 1)) if n - k - 1 > 0 else float("nan")

    @cached_property
    def bic(self) -> float:
        """Schwarz's Bayesian information criterion, ``-2 loglike + log(n) k``."""
        return float(-2.0 * self.loglike + np.log(self.nobs) * self._k) if self.nobs > 0 else float("nan")

    # ------------------------------------------------------------ prediction
    def _frame(self, t_new: np.ndarray, levels: list[float], several: bool) -> pd.DataFrame:
        lo, hi = (0.0, 100.0) if self.percent else (0.0, np.inf)
        out = {"date": from_decimal_year(t_new)} if self.has_dates else {}
        out["t"] = t_new
        for level in levels:
            mean, lower, upper = self._predict_arrays(t_new, level)
            out["mean"] = np.clip(mean, lo, hi)
            out[_bound_name("lower", level, several)] = np.clip(lower, lo, hi)
            out[_bound_name("upper", level, several)] = np.clip(upper, lo, hi)
        return pd.DataFrame(out)[[*(["date"] if self.has_dates else []), "t", "mean",
                                  *[c for lv in levels for c in (_bound_name("lower", lv, several),
                                                                 _bound_name("upper", lv, several))]]]

    def _predict_arrays(self, t_new: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        self.raise_for_status()
        mean, lower, upper = predict_interval(self.spec, self.fitted, t_new[None, :], level, self.interval)
        return mean[0], lower[0], upper[0]

    def predict(self, when: Any = None, level: float | Sequence[float] = 0.95) -> pd.DataFrame:
        """Point forecasts and prediction intervals at given dates or times.

        Parameters
        ----------
        when : dates or decimal years, optional
            Where to predict; the observed times by default.
        level : float or sequence of float
            Coverage probability of the interval, in (0, 1); several, e.g.
            ``[0.8, 0.95]``, give one pair of bounds per level.

        Returns
        -------
        pandas.DataFrame
            Columns ``date`` (when the data had dates), ``t``, ``mean``,
            ``lower``, ``upper``; with several levels ``lower_80, upper_80,
            lower_95, upper_95``, ...

        Raises
        ------
        FitError
            If the fit failed (``status < 0``): there is nothing to predict
            from, and the message says why. :meth:`forecast`,
            :meth:`time_to_reach`, :meth:`saturation` and :meth:`inflection`
            raise it too.
        """
        levels, several = check_levels(level)
        self.raise_for_status()
        if when is not None and np.ndim(when) > 1:
            raise errors.DataError(f"when must be one date or a sequence of dates or decimal years, got an array of "
                                   f"shape {np.shape(when)}")
        t_new = self.t.copy() if when is None else _times(when, "when")[0]
        return self._frame(t_new, levels, several)

    def forecast(
        self, until: Any = None, level: float | Sequence[float] = 0.95, *, steps: int | None = None
    ) -> pd.DataFrame:
        """Forecasts on the data's own grid after the last observation.

        The grid steps by the data's frequency (:attr:`frequency`: yearly
        data are forecast a year at a time, the CNNIC editions a half-year at
        a time, on 30 June and 31 December) and keeps the dates' calendar anchor.

        Parameters
        ----------
        until : date or decimal year, optional
            The last date to forecast; by default ``steps`` steps.
        level : float or sequence of float
            As in :meth:`predict`.
        steps : int, optional
            Steps ahead when ``until`` is not given (default 10, at most
            :data:`growthcast.frequency.MAX_STEPS`).

        Returns
        -------
        pandas.DataFrame
            As :meth:`predict`: ``date`` (when the data had dates), ``t``, ``mean``, ``lower``, ``upper``.

        Raises
        ------
        FitError
            If the fit failed.
        DataError
            If ``until`` is not after the last observation.
        """
        levels, several = check_levels(level)
        self.raise_for_status()
        t_last = float(self.t[-1])
        until_t = None if until is None else _until(until)
        t_new, keep = forecast_grid(np.array([t_last]), np.array([self.step]), np.array([self.months]),
                                    self.has_dates, steps=steps, until=until_t)
        grid = t_new[0][keep[0]]
        if grid.size == 0:
            raise errors.DataError(f"until must be after the last observation ({self._when(t_last)}); got "
                                   f"{self._when(until_t)}")
        return self._frame(grid, levels, several)

    def _when(self, t: float) -> str:
        if self.has_dates and np.isfinite(t):
            return str(from_decimal_year([t])[0].date())
        return f"{t:.3f}"

    def fitted_values(self) -> pd.Series:
        """The model's values at the observed times.

        Returns
        -------
        pandas.Series
            Named ``fitted``, indexed by the observed times ``t``.
        """
        return pd.Series(self.predict(self.t)["mean"].to_numpy(), index=self.t, name="fitted")

    def residuals(self) -> pd.Series:
        """Observations minus :meth:`fitted_values`.

        Returns
        -------
        pandas.Series
            Named ``residual``, indexed by the observed times ``t``.
        """
        return pd.Series(self.y - self.fitted_values().to_numpy(), index=self.t, name="residual")

    # ------------------------------------------------------------ derived quantities
    def saturation(self, level: float = 0.95) -> pd.Series:
        """The upper asymptote (K or m) with an interval; NaN for models without one.

        Parameters
        ----------
        level : float, default 0.95
            Coverage probability of the interval, in (0, 1).

        Returns
        -------
        pandas.Series
            ``value, lower, upper``; the bounds are at least 0, and at most 100 for a percentage whose
            ceiling is not above 100.
        """
        level = check_level(level)
        self.raise_for_status()
        value, lower, upper = saturation_interval(self.spec, self.fitted, level)
        lower = np.maximum(lower, 0.0)  # a ceiling is never negative; above 100% a share is flagged, not clipped
        if self.percent and value[0] <= 100.0:
            upper = np.minimum(upper, 100.0)
        return pd.Series({"value": value[0], "lower": lower[0], "upper": upper[0]}, name="saturation")

    def time_to_reach(self, value: float, level: float = 0.95, *, horizon: float = 100.0) -> pd.Series:
        """When the forecast reaches ``value``, with an interval.

        The point is where the mean path crosses ``value``; the interval runs
        from where the upper prediction bound crosses it to where the lower
        bound does (inverting the prediction band). While the last
        observation is below ``value``, nothing is dated before it. A bound
        that never gets there within ``horizon`` years gives NaT/NaN.

        Parameters
        ----------
        value : float
            The level to reach, on the series' scale.
        level : float, default 0.95
            Coverage probability of the prediction band that gives the interval.
        horizon : float, default 100.0
            How many years after the last observation to look, in (0, 1000].

        Returns
        -------
        pandas.Series
            ``t, lower_t, upper_t`` and, with dates, ``date, lower, upper``.
        """
        level = check_level(level)
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)) \
                or not np.isfinite(value):
            raise errors.DataError(f"value must be a finite number, got {value!r}")
        if isinstance(horizon, (bool, np.bool_)) or not isinstance(horizon, (int, float, np.integer, np.floating)) \
                or not 0 < horizon <= 1000:
            raise errors.DataError(f"horizon must be a number of years in (0, 1000], got {horizon!r}")
        t_mid, t_lo, t_hi = _crossing_times(self, float(value), level, horizon)
        out = {"value": float(value), "t": t_mid, "lower_t": t_lo, "upper_t": t_hi}
        if self.has_dates:
            dates = from_decimal_year([t_mid, t_lo, t_hi]).round("D")
            out.update(date=dates[0], lower=dates[1], upper=dates[2])
        return pd.Series(out, name="time_to_reach")

    def inflection(self, level: float = 0.95) -> pd.Series:
        """Time and value of the curve's inflection point, with intervals.

        Parameters
        ----------
        level : float, default 0.95
            Coverage probability of the interval, in (0, 1).

        Returns
        -------
        pandas.Series
            ``t, lower_t, upper_t, value, lower, upper`` and, with dates, ``date``; NaN for a model
            without an inflection point.
        """
        level = check_level(level)
        self.raise_for_status()
        (t, t_lo, t_hi), (v, v_lo, v_hi) = inflection_interval(self.spec, self.fitted, level)
        top = 100.0 if self.percent else np.inf  # the value at the inflection is a value of the series
        v_lo, v_hi = np.clip(v_lo, 0.0, top), np.clip(v_hi, 0.0, top)
        out = {"t": t[0], "lower_t": t_lo[0], "upper_t": t_hi[0], "value": v[0], "lower": v_lo[0], "upper": v_hi[0]}
        if self.has_dates:
            out["date"] = from_decimal_year([t[0]]).round("D")[0]
        return pd.Series(out, name="inflection")

    # ------------------------------------------------------------ tables
    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Confidence intervals of the parameters (log scale for positive ones).

        Parameters
        ----------
        level : float, default 0.95
            Coverage probability of the interval, in (0, 1).

        Returns
        -------
        pandas.DataFrame
            Columns ``lower, upper``, one row per parameter.
        """
        level = check_level(level)
        lower, upper = param_intervals(self.spec, self.fitted, level)
        return pd.DataFrame({"lower": lower[0], "upper": upper[0]}, index=list(self.param_names))

    def to_frame(self, level: float = 0.95) -> pd.DataFrame:
        """One row per parameter: estimate, stderr, lower, upper, fixed.

        Parameters
        ----------
        level : float, default 0.95
            Coverage probability of the interval, in (0, 1).

        Returns
        -------
        pandas.DataFrame
            Indexed by ``parameter``: ``estimate, stderr, lower, upper`` and ``fixed`` (bool).
        """
        ci = self.conf_int(level)
        fixed = np.isin(list(self.param_names), list(self.spec.fixed_params))
        return pd.DataFrame(
            {"estimate": self.params, "stderr": self.stderr, "lower": ci["lower"], "upper": ci["upper"], "fixed": fixed}
        ).rename_axis("parameter")

    def to_dict(self) -> dict:
        """JSON-able builtins: model, parameters, statistics and status.

        Returns
        -------
        dict
            ``model, spec, series_id, status, message, converged, nobs, params, stderr, sse, sigma,
            aic, aicc, bic, rsquared, interval``; a value that is not finite is None.
        """

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
            "rsquared": num(self.rsquared),
            "interval": self.interval,
        }

    def summary(self, level: float = 0.95, *, min_correl: float = 0.1) -> Summary:
        """The fit in the manner of statsmodels' ``summary()`` and lmfit's ``fit_report``.

        Parameters
        ----------
        level : float
            Coverage probability of the parameters' intervals.
        min_correl : float
            Correlations of the estimates smaller than this in absolute
            value are not listed (all of them are in :attr:`corr`).

        Returns
        -------
        growthcast.summary.Summary
            A ``str`` (the text table) with ``as_text()``, ``as_html()``,
            ``as_latex()`` and, for notebooks, ``_repr_html_()``. It shows
            the sample, the status, the goodness of fit (SSE, sigma, R-squared
            or a pseudo R-squared, AIC, AICc, BIC) where the model defines it,
            the estimates with standard errors and intervals, the
            correlations of the estimates, and the model's notes (what the
            forecast is made of, its calibration data, its intervals).
        """
        level = check_level(level)
        if isinstance(min_correl, bool) or not isinstance(min_correl, (int, float, np.integer, np.floating)) \
                or not 0.0 <= min_correl <= 1.0:
            raise errors.DataError(f"min_correl must be a number in [0, 1], got {min_correl!r}")
        return Summary("growthcast fit results", self._summary_tables(level, min_correl), self._summary_notes())

    def _summary_tables(self, level: float, min_correl: float) -> list[Table]:
        first = self._when(self.t[0]) if len(self.t) else "-"
        last = self._when(self.t[-1]) if len(self.t) else "-"
        spec = repr(self.spec)
        series = str(self.series_id)
        state = "converged" if self.converged else "failed" if self.status < 0 else "NOT converged"
        left = [
            ("Model:", spec if len(spec) <= 36 else f"{self.spec.name} (in full below)"),
            ("Series:", series if len(series) <= 36 else series[:35] + "…"),
            ("Sample:", f"{first} .. {last}"),
            ("Observations:", str(self.nobs) + (f" ({self.n_missing} missing dropped)" if self.n_missing else "")),
            ("Status:", f"{self.status} ({state})"),
        ]
        if self.n_iter > 0:
            left.append(("Iterations:", str(self.n_iter)))
        right = []
        if np.isfinite(self.sse):
            right += [("SSE:", f"{self.sse:.6g}"), ("sigma:", f"{self.sigma:.6g}")]
            if np.isfinite(self.rsquared):
                right.append((self._rsquared_label + ":", f"{self.rsquared:.4f}"))
            right += [(f"{k}:", f"{v:.4f}") for k, v in (("AIC", self.aic), ("AICc", self.aicc), ("BIC", self.bic))]
        right = [(k, v) for k, v in right if v != "nan"]
        right.append(("Intervals:", self.spec.default_intervals if self.interval == "delta" else self.interval))
        rows = [(a + b) for a, b in zip(left + [("", "")] * (len(right) - len(left)),
                                         right + [("", "")] * (len(left) - len(right)))]
        footer = []
        if len(spec) > 36:
            footer += textwrap.wrap(spec, 78, initial_indent="Model: ", subsequent_indent="       ")
        footer.append(f"Message: {self.message}")
        if self.status < 0:
            footer.append("No estimates: the fit failed.")
        elif not np.isfinite(self.sse):
            footer.append("SSE, sigma, R-squared, AIC, AICc and BIC: not defined for this model.")
        tables = [Table(rows, widths=(14, 38, 11, 15), align="lllr", labels=True, footer=footer)]
        if self.param_names:
            tables += self._param_tables(level, min_correl)
        return tables

    def _param_tables(self, level: float, min_correl: float) -> list[Table]:
        table = self.to_frame(level)
        known = np.isfinite(table["estimate"].to_numpy())
        if not known.any():
            return []  # a failed fit: the message says why
        se_known = np.isfinite(table["stderr"].to_numpy()) & known
        names = list(table.index)
        footer = []
        if not known.all():
            footer.append(f"Not in this fit: {', '.join(n for n, k in zip(names, known) if not k)}.")
        shown = table[known]
        if se_known.any():
            header = ("", "estimate", "std err", f"[{(1 - level) / 2:.3f}", f"{(1 + level) / 2:.3f}]", "")
            rows = [
                (name, f"{r['estimate']:.6g}", *(_num(r[c], g) for c, g in (("stderr", ".4g"), ("lower", ".6g"), ("upper", ".6g"))),
                 "(fixed)" if r["fixed"] else "")
                for name, r in shown.iterrows()
            ]
            missing = [n for n, k, s in zip(names, known, se_known) if k and not s]
            if missing:
                footer.append(f"Not estimated with a standard error: {', '.join(missing)}.")
            tables = [Table(rows, widths=(10, 14, 14, 14, 14, 8), align="lrrrrr", header=header, footer=footer)]
        else:
            rows = [(name, f"{r['estimate']:.6g}") for name, r in shown.iterrows()]
            footer.append("Standard errors and intervals: not estimated for this model.")
            tables = [Table(rows, widths=(10, 14), align="lr", header=("", "estimate"), footer=footer)]
        corr = self.corr.to_numpy()
        pairs = [(abs(corr[i, j]), names[i], names[j], corr[i, j])
                 for i in range(len(names)) for j in range(i + 1, len(names)) if np.isfinite(corr[i, j])]
        big = sorted((p for p in pairs if p[0] >= min_correl), key=lambda p: -p[0])
        if big:
            rows = [(f"{a}, {b}", f"{r:.4f}") for _, a, b, r in big]
            note = [f"Correlations below {min_correl:g} in absolute value are not shown."] if len(big) < len(pairs) else []
            tables.append(Table(rows, widths=(24, 14), align="lr", header=("parameters", "correlation"), footer=note))
        elif pairs:
            tables[-1] = _with_footer(tables[-1], f"No correlation of the estimates is {min_correl:g} or more in absolute value.")
        return tables

    def _summary_notes(self) -> list[str]:
        notes = []
        if self.status >= 0 and self._rsquared_label != "R-squared" and np.isfinite(self.rsquared):
            notes.append(f"{self._rsquared_label}: 1 - SSE/SST of the observations around the back-transformed fit "
                         "(the model is fitted on a transformed scale).")
        if self.interval == "bootstrap" and self.fitted.bootstrap is not None:
            draws = self.fitted.bootstrap.params[0]
            ok = int(np.isfinite(draws).all(axis=1).sum())
            notes.append(f"Intervals: residual bootstrap, {ok} of {len(draws)} refits usable "
                         f"(seed {self.fitted.bootstrap.seed}); parameter intervals are their percentiles.")
        elif self.interval == "backtest" and self.fitted.calibration is not None:
            counts = np.isfinite(self.fitted.calibration.errors[0]).sum(axis=1)
            notes.append(f"Intervals: split-conformal on the model's own out-of-sample errors in an expanding-window "
                         f"backtest of this series, {', '.join(map(str, counts))} errors at horizons 1-{len(counts)}.")
        own = self.spec.notes(self)
        return ([own] if own else []) + notes

    # ------------------------------------------------------------ goodness of fit
    @cached_property
    def rsquared(self) -> float:
        """``1 - SSE/SST`` of the observations around the in-sample fit; NaN without one.

        Defined for models with in-sample fitted values (the curves and the
        regression trends). For a model fitted on a transformed scale
        (``exponential``, ``logit_linear``) it is a pseudo R-squared: the
        residuals are those of ``y`` around the back-transformed fit, and it
        need not lie in [0, 1]. Trends and baselines that extrapolate from
        the last observations have no in-sample fit and no R-squared.
        """
        if not self.spec.has_residuals or self.status < 0 or len(self.y) < 2:
            return float("nan")
        with np.errstate(all="ignore"):
            fitted = self.spec.mean_arrays(self.fitted, self.t[None, :])[0]
            # the points fitted: not the zeros before a launch, which a model on log y or a logit leaves out
            used = np.isfinite(self.spec.link(self.y, np.asarray(self.percent)))
        y, fitted = self.y[used], fitted[used]
        sst = float(np.sum((y - y.mean()) ** 2))
        return 1.0 - float(np.sum((y - fitted) ** 2)) / sst if sst > 0 else float("nan")

    @property
    def _rsquared_label(self) -> str:
        return "R-squared" if type(self.spec).link is Model.link else "Pseudo R-sq."

    @property  # a fresh object each time: editing it cannot alter the frozen result
    def corr(self) -> pd.DataFrame:
        """Correlations of the estimates, ``cov / (se se')``; NaN where not estimated or fixed."""
        names = list(self.param_names)
        cov = self.fitted.cov[0]
        se = np.sqrt(np.diag(cov))
        with np.errstate(all="ignore"):
            corr = cov / np.outer(se, se)
        corr[~(np.outer(se, se) > 0)] = np.nan
        np.fill_diagonal(corr, np.where(se > 0, 1.0, np.nan))
        return pd.DataFrame(np.clip(corr, -1.0, 1.0), index=names, columns=names)

    def plot(self, **kwargs: Any):
        """The data, the fitted path and the forecast with nested bands: see :func:`growthcast.plot.fan_chart`.

        Needs the ``plot`` extra (``pip install "growthcast[plot]"``).

        Parameters
        ----------
        **kwargs
            Passed on to :func:`growthcast.plot.fan_chart`: ``until``,
            ``steps``, ``levels=(0.8, 0.95)``, ``ax``, ``path``, ...

        Returns
        -------
        matplotlib.figure.Figure
        """
        from .plot import fan_chart

        return fan_chart(self, **kwargs)

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v:.4g}" for k, v in self.params.items())
        return f"<FitResult {self.spec.name} on {self.series_id!r}: {params}; status {self.status}>"


@dataclass(frozen=True, eq=False)
class BatchFitResult:
    """Many series fitted by one model in one call.

    ``many["online_video"]`` is that series' :class:`FitResult`; ``params``
    and ``status`` are tidy frames with one row per series.

    Attributes
    ----------
    spec : Model
        The frozen model specification that produced this result.
    series_ids : tuple
        The series, in batch order, as given (their dtype is kept).
    t, y : ndarray of shape (n_series, n_points)
        Times (decimal years) and values, padded where ``mask`` is False.
    mask : ndarray of bool, shape (n_series, n_points)
        True at the observed points.
    has_dates : bool
        Whether time was given as dates.
    fitted : growthcast.models.Fitted
        The model's fitted arrays, batched on axis 0.
    interval : str
        How prediction intervals are made, as in :class:`FitResult`.
    percent : ndarray of bool, shape (n_series,)
        Which series are percentages.
    n_missing : mapping of series id to int
        Missing values dropped from each series.
    step, months : ndarray of shape (n_series,)
        Years and calendar months per step of each series' forecast grid (months 0 when irregular).
    """

    spec: Model
    series_ids: pd.Index  # in the order of the input, with the input's dtype
    t: np.ndarray  # (B, N), padded
    y: np.ndarray
    mask: np.ndarray
    has_dates: bool
    fitted: Fitted
    interval: str = "delta"
    percent: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    n_missing: Mapping[str, int] = field(default_factory=dict)
    step: np.ndarray | None = None  # (B,) years per step of the forecast grid; inferred when None
    months: np.ndarray | None = None  # (B,) calendar months per step, 0 when irregular

    def __post_init__(self) -> None:
        if not isinstance(self.series_ids, pd.Index):
            object.__setattr__(self, "series_ids", pd.Index(list(self.series_ids), tupleize_cols=False))
        if self.step is None:
            step, months = infer_steps(self.t, self.mask)
            object.__setattr__(self, "step", step)
            object.__setattr__(self, "months", months)
        for name in ("t", "y", "mask", "percent", "step", "months"):
            value = getattr(self, name)
            if isinstance(value, np.ndarray):
                value.setflags(write=False)

    def __len__(self) -> int:
        return len(self.series_ids)

    def __iter__(self):
        return iter(self.series_ids)

    def _row(self, key: object) -> int | None:
        """Row of a series id (a hash look-up in the index, constant time), or None."""
        try:
            b = self.series_ids.get_loc(key)
        except (KeyError, TypeError, ValueError, pd.errors.InvalidIndexError):  # absent, or unhashable
            return None
        return b if isinstance(b, (int, np.integer)) else None

    def __contains__(self, key: object) -> bool:
        return self._row(key) is not None

    def __getitem__(self, key: Any) -> FitResult:
        b = self._row(key)
        if b is None:
            raise KeyError(f"no series {key!r}; the batch has {errors.short_list(self.series_ids[:9].tolist())}")
        m = self.mask[b]
        sid = self.series_ids[b:b + 1].tolist()[0]  # a plain Python value (101, not np.int64(101))
        return FitResult(
            spec=self.spec, series_id=sid, t=self.t[b][m].copy(), y=self.y[b][m].copy(),
            has_dates=self.has_dates, fitted=self.fitted.take(slice(b, b + 1)), interval=self.interval,
            percent=bool(self.percent[b]) if len(self.percent) else False, n_missing=int(self.n_missing.get(sid, 0)),
            step=float(self.step[b]), months=int(self.months[b]),
        )

    def results(self) -> dict[str, FitResult]:
        """Every series' result.

        Returns
        -------
        dict
            Series id to :class:`FitResult`, in batch order.
        """
        return {sid: self[sid] for sid in self.series_ids}

    @property  # a fresh object each time: editing it cannot alter the frozen result
    def params(self) -> pd.DataFrame:
        """One row per series, one column per parameter."""
        return pd.DataFrame(self.fitted.params, index=self.series_ids.rename("series_id"),
                            columns=list(self.spec.param_names))

    @property  # a fresh object each time: editing it cannot alter the frozen result
    def stderr(self) -> pd.DataFrame:
        """Standard errors, one row per series; NaN where not estimated."""
        return pd.DataFrame(stderr(self.fitted), index=self.series_ids.rename("series_id"),
                            columns=list(self.spec.param_names))

    @property  # a fresh object each time: editing it cannot alter the frozen result
    def status(self) -> pd.DataFrame:
        """One row per series: status code, message, converged, nobs, n_iter, sse."""
        codes, which = np.unique(self.fitted.status, return_inverse=True)  # the standard text per distinct status
        msg = np.array([errors.STATUS_MESSAGES.get(int(s), "unknown") for s in codes], dtype=object)[which.ravel()]
        if self.fitted.message is not None:  # a fit's own message, where it has one
            own = np.asarray(self.fitted.message, dtype=object)
            msg = np.where(own.astype(bool), own, msg)
        return pd.DataFrame(
            {
                "status": self.fitted.status,
                "message": msg,
                "converged": self.fitted.status > 0,
                "nobs": self.fitted.n_obs,
                "n_iter": self.fitted.n_iter,
                "sse": self.fitted.sse,
            },
            index=self.series_ids.rename("series_id"),
        )

    def summary(self, level: float = 0.95) -> pd.DataFrame:
        """One row per series: how the fit went, its goodness of fit and its ceiling.

        Parameters
        ----------
        level : float
            Coverage probability of the ceiling's interval.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``series_id``: ``status, message, converged, nobs,
            sse, aicc, rsquared`` (see :attr:`FitResult.rsquared`; a pseudo
            R-squared for models fitted on a transformed scale) and
            ``saturation, saturation_lower, saturation_upper`` (the ceiling,
            K or m, with its ``level`` interval). NaN where the model does
            not define a quantity or the fit failed; ``many[series_id].summary()``
            gives one series in full.
        """
        level = check_level(level)
        frame = self.status[["status", "message", "converged", "nobs", "sse"]]
        fits = [self[sid] for sid in self.series_ids]
        frame["aicc"] = [r.aicc if r.status >= 0 else np.nan for r in fits]
        frame["rsquared"] = [r.rsquared for r in fits]
        value, lower, upper = saturation_interval(self.spec, self.fitted, level)
        failed = self.fitted.status < 0
        for name, v in (("saturation", value), ("saturation_lower", lower), ("saturation_upper", upper)):
            frame[name] = np.where(failed, np.nan, v)
        return frame

    def to_frame(self, level: float = 0.95) -> pd.DataFrame:
        """Tidy parameters of every series: series_id, parameter, estimate, stderr, lower, upper, fixed.

        Parameters
        ----------
        level : float, default 0.95
            Coverage probability of the interval, in (0, 1).

        Returns
        -------
        pandas.DataFrame
            One row per series and parameter.
        """
        lower, upper = param_intervals(self.spec, self.fitted, check_level(level))
        names = list(self.spec.param_names)
        B, P = len(self.series_ids), len(names)
        fixed = np.isin(names, list(self.spec.fixed_params))
        return pd.DataFrame(
            {
                "series_id": self.series_ids.repeat(P),
                "parameter": np.tile(names, B),
                "estimate": self.fitted.params.ravel(),
                "stderr": stderr(self.fitted).ravel(),
                "lower": lower.ravel(),
                "upper": upper.ravel(),
                "fixed": np.tile(fixed, B),
            }
        )

    def forecast(
        self, until: Any = None, level: float | Sequence[float] = 0.95, *, steps: int | None = None
    ) -> pd.DataFrame:
        """Forecasts of every series on its own grid after its last observation.

        One prediction call for the whole batch; see :meth:`FitResult.forecast`.

        Parameters
        ----------
        until : date or decimal year, optional
            The last date to forecast; by default ``steps`` steps.
        level : float or sequence of float
            Coverage probability of the interval, in (0, 1); several give one pair of bounds per level.
        steps : int, optional
            Steps ahead of each series' last observation when ``until`` is not given (default 10).

        Returns
        -------
        pandas.DataFrame
            ``series_id, date`` (when the data had dates), ``t, mean, lower,
            upper, status`` (several levels: ``lower_80, upper_80, ...``); NaN
            only beside a failure status (see :attr:`status` for the reason).
        """
        levels, several = check_levels(level)
        t_last = self.fitted.t_last
        finite = np.isfinite(t_last)
        if not finite.any():
            raise errors.DataError("no series has an observation to forecast from")
        t_new, keep = forecast_grid(t_last, self.step, self.months, self.has_dates, steps=steps,
                                    until=None if until is None else _until(until))
        if not keep.any():
            raise errors.DataError("until must be after the last observation of the series")
        failed = (self.fitted.status < 0)[:, None]
        hi = np.where(self.percent, 100.0, np.inf)[:, None] if len(self.percent) else np.inf
        rows, cols = np.nonzero(keep)
        t_out = t_new[rows, cols]
        out = {"series_id": self.series_ids.take(rows)}
        if self.has_dates:
            out["date"] = from_decimal_year(t_out)
        out["t"] = t_out
        for lv in levels:
            mean, lower, upper = predict_interval(self.spec, self.fitted, t_new, lv, self.interval)
            bounded = [np.where(failed, np.nan, np.clip(a, 0.0, hi)) for a in (mean, lower, upper)]
            out["mean"] = bounded[0][rows, cols]
            out[_bound_name("lower", lv, several)] = bounded[1][rows, cols]
            out[_bound_name("upper", lv, several)] = bounded[2][rows, cols]
        out["status"] = self.fitted.status[rows]
        order = [*(["series_id", "date"] if self.has_dates else ["series_id"]), "t", "mean",
                 *[c for lv in levels for c in (_bound_name("lower", lv, several), _bound_name("upper", lv, several))],
                 "status"]
        return pd.DataFrame(out)[order]

    def plot(self, ids: Any = None, **kwargs: Any):
        """Small multiples, one fan chart per series: see :func:`growthcast.plot.fan_charts`.

        Needs the ``plot`` extra (``pip install "growthcast[plot]"``).

        Parameters
        ----------
        ids : list, optional
            The series to draw: all by default, at most ``max_panels=24``.
        **kwargs
            Passed on to :func:`growthcast.plot.fan_charts`: ``until``,
            ``steps``, ``levels``, ``ncols``, ``path``, ...

        Returns
        -------
        matplotlib.figure.Figure
        """
        from .plot import fan_charts

        return fan_charts(self, ids, **kwargs)

    def __repr__(self) -> str:
        ok = int((self.fitted.status > 0).sum())
        return f"<BatchFitResult {self.spec.name}: {len(self)} series, {ok} converged>"


def _num(value: float, fmt: str) -> str:
    """``value`` formatted, or "" where it is not estimated."""
    return format(value, fmt) if np.isfinite(value) else ""


def _with_footer(table: Table, line: str) -> Table:
    return Table(table.rows, widths=table.widths, align=table.align, header=table.header, labels=table.labels,
                 footer=(*table.footer, line))


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
