"""statsmodels' state-space models, fitted per series on the regular grid of each series."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from .. import errors
from ..intervals import normal_quantile
from .base import Fitted, Model, last_observed
from .registry import register

__all__ = ["Holt", "ETS", "ARIMA", "regular_grid"]


def regular_grid(
    t: np.ndarray, y: np.ndarray, mask: np.ndarray, *, tolerance: float = 0.25
) -> tuple[np.ndarray, np.ndarray, float]:
    """One series on its regular grid: grid times, values and the step.

    The step is the median spacing of the observed times and the grid runs
    back from the last observation to the first. A grid point takes the
    value of the observation within ``tolerance`` steps of it; a grid point
    with none (the December 2019 slot of the CNNIC data, which the March
    2020 edition replaced, or an edition that did not report the figure) is
    interpolated linearly in time between its neighbouring observations.
    Off-grid observations (March 2020, October 1997) serve only for that
    interpolation.
    """
    obs = np.flatnonzero(mask)
    times, values = t[obs], y[obs]
    if obs.size < 2:
        return times, values, 0.5
    step = float(np.median(np.diff(times)))
    if not step > 0:
        return times[-1:], values[-1:], 0.5
    k = int(np.floor((times[-1] - times[0]) / step + tolerance))
    grid = times[-1] - step * np.arange(k, -1, -1)
    nearest = np.abs(times[None, :] - grid[:, None]).argmin(axis=1)
    on_grid = np.abs(times[nearest] - grid) <= tolerance * step
    grid = np.where(on_grid, times[nearest], grid)
    return grid, np.where(on_grid, values[nearest], np.interp(grid, times, values)), step


@dataclass(frozen=True, kw_only=True)
class _StatsmodelsModel(Model):
    """A statsmodels state-space model fitted per series on its regular grid.

    statsmodels' models assume equal steps. Each series is laid on its
    regular (half-yearly) grid, see :func:`regular_grid`: for the CNNIC data
    the March 2020 edition is left out and the December 2019 slot it
    replaced is interpolated between June 2019 and March 2020 (likewise any
    edition that did not report the figure). Forecasts at a time between grid steps
    are interpolated linearly between the step forecasts (step 0 being the
    last observation).
    """

    default_intervals: ClassVar[str] = "statsmodels"

    min_points: ClassVar[int] = 6

    def _fit_one(self, y: np.ndarray):
        raise NotImplementedError

    def fit_arrays(self, t, y, mask, percent, *, start=None, weights=None) -> Fitted:
        B = len(t)
        P = len(self.param_names)
        params = np.full((B, P), np.nan)
        cov = np.full((B, P, P), np.nan)
        sigma2 = np.full(B, np.nan)
        sse = np.full(B, np.nan)
        n_obs = np.zeros(B, int)
        status = np.full(B, errors.CONVERGED_GRADIENT)
        loglike = np.full(B, np.nan)
        results = np.empty(B, dtype=object)
        message = np.empty(B, dtype=object)
        message[:] = ""
        steps = np.full(B, 0.5)
        _, t_last, y_last = last_observed(t, y, mask)
        for b in range(B):  # statsmodels fits one series at a time
            _, grid_y, step = regular_grid(t[b], y[b], mask[b])
            steps[b] = step
            n_obs[b] = grid_y.size
            if grid_y.size < self.min_points:
                status[b] = errors.FAILED_TOO_FEW_POINTS
                continue
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    res, par, par_cov = self._fit_one(grid_y)
            except (ValueError, np.linalg.LinAlgError, IndexError) as err:
                status[b] = errors.FAILED_MODEL
                message[b] = f"failed: statsmodels raised {type(err).__name__}: {err}"
                continue
            if any("converge" in str(w.message).lower() for w in caught):
                status[b] = errors.MAX_ITERATIONS
                message[b] = "statsmodels' optimiser reported a convergence problem; estimates may be inaccurate"
            results[b] = res
            params[b] = par
            cov[b] = par_cov
            resid = np.asarray(res.resid)
            sse[b] = float(np.sum(resid**2))
            sigma2[b] = sse[b] / max(grid_y.size - P, 1)
            loglike[b] = float(res.llf)
        return Fitted(
            params=params, cov=cov, sigma2=sigma2, sse=sse, n_obs=n_obs, n_params=np.full(B, P), n_iter=np.zeros(B, int),
            status=status, t_last=t_last, y_last=y_last, percent=percent, message=message, loglike=loglike,
            state={"sm_results": results, "step": steps},
        )

    def predict_arrays(self, fitted, t_new, level):
        B, M = t_new.shape
        mean = np.full((B, M), np.nan)
        lower = np.full((B, M), np.nan)
        upper = np.full((B, M), np.nan)
        for b in range(B):  # statsmodels predicts one series at a time
            res = fitted.state["sm_results"][b]
            if res is None:
                continue
            h = (t_new[b] - fitted.t_last[b]) / fitted.state["step"][b]
            H = int(np.ceil(np.max(h, initial=0.0)))
            nobs = int(res.nobs)
            if H > 0:
                frame = res.get_prediction(start=nobs, end=nobs + H - 1).summary_frame(alpha=1 - level)
                cols = [c for c in frame.columns if c.endswith("lower")], [c for c in frame.columns if c.endswith("upper")]
                fm = frame["mean"].to_numpy()
                flo = frame[cols[0][-1]].to_numpy()
                fhi = frame[cols[1][-1]].to_numpy()
            else:
                fm = flo = fhi = np.zeros(0)
            fitted_vals = np.asarray(res.fittedvalues)
            q = normal_quantile(level) * np.sqrt(fitted.sigma2[b])
            # steps -nobs+1 .. 0 are in-sample (one-step predictions), 1..H forecasts
            grid = np.arange(-nobs + 1, H + 1)
            last = float(fitted.y_last[b])
            m_path = np.concatenate([fitted_vals[:-1], [last], fm])
            lo_path = np.concatenate([fitted_vals[:-1] - q, [last], flo])
            hi_path = np.concatenate([fitted_vals[:-1] + q, [last], fhi])
            mean[b] = np.interp(h, grid, m_path)
            lower[b] = np.interp(h, grid, lo_path)
            upper[b] = np.interp(h, grid, hi_path)
        return mean, lower, upper

    def notes(self, result) -> str:
        if result.status < 0:
            return ""
        grid, _, step = regular_grid(result.t, result.y, np.ones(len(result.t), bool))
        on_grid = np.isin(grid, result.t)
        lines = [
            f"Fitted by statsmodels to the {len(grid)} values of the regular {step:g}-year grid "
            f"({int((~on_grid).sum())} interpolated, {len(result.t) - int(on_grid.sum())} off-grid observation(s) "
            "left out): SSE, sigma and the information criteria are of that grid, not of the observations.",
        ]
        if not np.isfinite(result.fitted.cov[0]).any():
            lines.append("Parameters: maximum likelihood; statsmodels gives them no standard errors here.")
        if result.interval == "delta":
            lines.append("Intervals: statsmodels' analytic prediction intervals at each grid step, interpolated "
                         "between steps.")
        return "\n".join(lines)


def _ets_fit(y: np.ndarray, damped: bool):
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    res = ETSModel(pd.Series(y), error="add", trend="add", damped_trend=damped).fit(disp=False)
    names = ["smoothing_level", "smoothing_trend"] + (["damping_trend"] if damped else [])
    values = np.asarray(res.params, dtype=float)
    par = np.asarray([values[res.param_names.index(n)] for n in names] + [np.nan] * (3 - len(names)))
    return res, par


@dataclass(frozen=True, kw_only=True)
class Holt(_StatsmodelsModel):
    """Holt's additive-trend exponential smoothing, statsmodels' ``ETSModel(error="add", trend="add")``.

    Parameters
    ----------
    damped : bool, default False
        Damp the trend (Gardner and McKenzie, 1985).
    """

    name: ClassVar[str] = "holt"
    damped: bool = False

    @property
    def description(self) -> str:  # type: ignore[override]
        if self.damped:
            return "Holt's damped additive trend (ETS A,Ad,N), statsmodels"
        return "Holt's linear trend (ETS A,A,N), statsmodels"
    param_names: ClassVar[tuple[str, ...]] = ("alpha", "beta", "phi")  # type: ignore[assignment]

    def _fit_one(self, y):
        res, par = _ets_fit(y, self.damped)
        return res, par, np.full((3, 3), np.nan)


@dataclass(frozen=True, kw_only=True)
class ETS(_StatsmodelsModel):
    """Exponential smoothing with an additive or damped additive trend, chosen by AICc.

    Both ``ETSModel(error="add", trend="add")`` and the damped version are
    fitted; the one with the lower AICc is kept (``phi`` is NaN when the
    undamped trend wins).
    """

    name: ClassVar[str] = "ets"
    description: ClassVar[str] = "ETS, additive or damped additive trend chosen by AICc, statsmodels"
    param_names: ClassVar[tuple[str, ...]] = ("alpha", "beta", "phi")  # type: ignore[assignment]

    def notes(self, result) -> str:
        text = super().notes(result)
        if result.status < 0:
            return text
        damped = np.isfinite(result.params["phi"])
        return (f"{text}\nTrend: {'damped' if damped else 'undamped'}, the lower AICc of the undamped and the damped "
                "additive trend.")

    def _fit_one(self, y):
        fits = [_ets_fit(y, damped) for damped in (False, True)]
        res, par = min(fits, key=lambda f: f[0].aicc if np.isfinite(f[0].aicc) else np.inf)
        return res, par, np.full((3, 3), np.nan)


@dataclass(frozen=True, kw_only=True)
class ARIMA(_StatsmodelsModel):
    """ARIMA(p, 1, q) with drift, the order chosen by AICc over p, q in ``orders``.

    statsmodels' ``ARIMA(y, order=(p, 1, q), trend="t")``; with one
    difference the linear trend term is the drift.
    """

    name: ClassVar[str] = "arima"
    description: ClassVar[str] = "ARIMA(p,1,q) with drift, order by AICc over p, q <= 2, statsmodels"
    max_p: int = 2
    max_q: int = 2
    param_names: ClassVar[tuple[str, ...]] = ("drift", "sigma2", "p", "q")  # type: ignore[assignment]

    def notes(self, result) -> str:
        text = super().notes(result)
        if result.status < 0:
            return text
        p, q = int(result.params["p"]), int(result.params["q"])
        return (f"{text}\nOrder: ARIMA({p}, 1, {q}) with drift, the lowest AICc over p <= {self.max_p}, q <= "
                f"{self.max_q}; p and q are chosen, not estimated, so they have no standard error.")

    def _fit_one(self, y):
        from statsmodels.tsa.arima.model import ARIMA as _SMARIMA

        candidates = []
        for p in range(self.max_p + 1):  # the order grid: at most nine small models
            for q in range(self.max_q + 1):
                if p + q + 3 > len(y) - 2:
                    continue
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    try:
                        res = _SMARIMA(pd.Series(y), order=(p, 1, q), trend="t").fit()
                    except (ValueError, np.linalg.LinAlgError):
                        continue
                if np.isfinite(res.aicc):
                    converged = bool(res.mle_retvals.get("converged", True)) if res.mle_retvals else True
                    candidates.append((not converged, res.aicc, p, q, res, caught))
        if not candidates:
            raise ValueError("no ARIMA order could be fitted")
        # the lowest AICc among the orders whose likelihood was maximised; another order's
        # failure to converge says nothing about the chosen one
        _, _, p, q, res, caught = min(candidates, key=lambda c: c[:2])
        for w in caught:  # the chosen order's own warnings, for the caller to judge
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        names = list(res.model.param_names)
        values = np.asarray(res.params, dtype=float)
        par = np.array([values[names.index("x1")], values[names.index("sigma2")], p, q], dtype=float)
        cov = np.full((4, 4), np.nan)  # the orders p and q are chosen, not estimated
        pc = np.asarray(res.cov_params())
        i, j = names.index("x1"), names.index("sigma2")
        cov[np.ix_([0, 1], [0, 1])] = pc[np.ix_([i, j], [i, j])]
        return res, par, cov



register(Holt())
register(Holt(damped=True), "holt_damped")
register(ETS())
register(ARIMA())
