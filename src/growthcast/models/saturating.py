"""``saturating``: auto's forecast combined with damped local trends that bend towards a ceiling.

The point forecast is ``w * auto + (1 - w) * S`` with ``w = 1/2`` (no weight
estimated: the forecast-combination puzzle, see :class:`~.local_trend.Auto`)
and ``S`` the median of a grid of damped local trends run on
``logit(y / K)``: a trend on that scale can only approach the ceiling ``K``,
never cross it. ``K`` is

* ``ceiling=`` when given (a population for counts of people, e.g.
  ``gc.data.china_population()``);
* 100 for a percentage (a share of a population cannot pass 100%);
* otherwise (a rate that may pass 100, e.g. subscriptions per 100 people)
  estimated: a Gompertz curve fitted to every series of the batch in one
  solver call gives ``log(K / max y)`` and its standard error; with
  ``pool=True`` these are shrunk towards the median of the series of the
  batch that end at the same date (normal-normal empirical Bayes, weights
  their precisions and the spread between series). A series whose fit
  fails or whose ceiling is not identified takes that median; alone, it
  has no ceiling and ``S`` runs on ``log y``.

With a known ceiling (100% or ``ceiling=``) auto's half is capped at it, so
the mean approaches the ceiling without reaching it; an estimated ceiling
bends only the trend half, so the mean may pass it slowly (capping it there
was measured and lost, see ``_combine``).

Intervals are calibrated on the model's own past log errors: every prefix
of at least ``min_inner`` points of every series forecasts the points after
it (inner backtest on the training data only, the ceiling refitted on each
prefix). With ``pool=True``, the errors of all series of the batch that end
at the same date, at targets in their last ``recent`` years, are pooled
(the quantiles are the panel's). By default (``horizon_scaling="sqrt"``),
in a group of at least five series, only the one-step errors set the band, widened in proportion to the square
root of the horizon, as a random walk's: an h-step error before the origin
needs an inner origin h steps earlier still, so the long-horizon errors of a
panel come from an older regime (for subscriptions, the take-off years) and
were measured 2-4 times wider than the errors the model then made
(``benchmarks/panel_accuracy_results.md``); ``horizon_scaling="errors"``
takes each horizon's quantiles from its own pooled errors. Alone, a series
uses the errors of its own last ``window`` inner origins by horizon, as
``auto`` does. Quantiles are
split-conformal, widened with a normal tail where the count of errors does
not reach the rank a level needs (:func:`growthcast.intervals.conformal_quantiles`);
a horizon with fewer than five errors extends the shorter horizons' widths
along a line in log h (slope at least 1/2, the random walk's).

With ``curve="logistic"`` or ``"gompertz"`` the second half is instead that
curve fitted to the series alone (its ceiling held at a known one), a
saturation curve combined with a local trend; where the curve is not
identified (the fit fails, or its ceiling is below the largest value or
more than ``MAX_CEILING_RATIO`` times it) the logit trends stand in, and
``summary()`` says so.

Pooling makes a series' forecast depend on the batch it was fitted with
(``fit_many``, ``backtest``): the same series fitted alone, or with
other series, gets a different ceiling and other intervals. ``pool=False``
fits every series on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy.special import expit, logit

from .. import errors
from .._numerics.curvefit import fit_curve
from ..curves import CURVES
from ..errors import DataError
from ..intervals import MIN_CALIBRATION_ERRORS, conformal_quantiles, normal_quantile, row_nanmedian
from .base import (MAX_CEILING_RATIO, TOO_FEW_AFTER_LAUNCH, Fitted, Model, last_observed, launched, pack,
                   too_few_after_launch)
from .local_trend import Auto, damped_time, holt_states
from .random_walk import drift_variance
from .registry import register

__all__ = ["Saturating"]

#: the damped local trends on logit(y / K): auto's grid of smoothing constants and dampings
_GRID = tuple((a, b, d) for a in (1.0, 0.6) for b in (0.25, 0.5, 1.0) for d in (2.0, 4.0, 8.0, None))
#: levels at which the calibrated quantiles are stored; others interpolate on the normal-score scale
_LEVELS = np.array([0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.975, 0.99, 0.995, 0.999])
_MAX_RATIO = MAX_CEILING_RATIO
#: series a group needs before its ceilings are pooled
_MIN_POOL = 5


def _group_ids(t_last: np.ndarray) -> np.ndarray:
    """Integer group of each problem: problems that end at the same date (to a millionth of a year)."""
    key = np.where(np.isfinite(t_last), np.round(t_last * 1e6), np.nan)
    _, inv = np.unique(np.nan_to_num(key, nan=-1e300), return_inverse=True)
    return inv.reshape(-1)


def _group_median(r: np.ndarray, ok: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Median of ``r`` over the ``ok`` members of each group (vectorised by sorting) and the counts."""
    G = int(g.max()) + 1 if len(g) else 0
    cnt = np.bincount(g, weights=ok.astype(float), minlength=G).astype(int)
    key = np.where(ok, r, np.inf)
    order = np.lexsort((key, g))  # by group, then value; the non-ok (inf) last within a group
    start = np.concatenate([[0], np.cumsum(np.bincount(g, minlength=G))[:-1]])
    srt = key[order]
    lo_i = start + np.maximum(cnt - 1, 0) // 2
    hi_i = start + np.maximum(cnt, 1) // 2 - (cnt == 0)
    med = np.where(cnt > 0, 0.5 * (srt[np.clip(lo_i, 0, len(srt) - 1)] + srt[np.clip(hi_i, 0, len(srt) - 1)]), np.nan)
    return med, cnt


@dataclass(frozen=True, kw_only=True)
class Saturating(Model):
    """Half ``auto``, half damped local trends on ``logit(y / K)``: forecasts that approach a ceiling.

    Parameters
    ----------
    ceiling : float, optional
        A known ceiling ``K`` (the population for a count of people). By
        default 100 for a percentage, else estimated (see the module).
    pool : bool, default True
        Pool across the series of one batch that end at the same date: the
        estimated ceilings (empirical Bayes) and the past errors the
        intervals are calibrated on. A series' forecast then depends on the
        batch it was fitted with; ``False`` fits each series on its own.
    horizons : int
        Steps ahead scored in the inner backtest; beyond, intervals widen
        along the fitted log-h line.
    min_inner : int
        Points an inner origin needs.
    window : int
        Inner origins of a lone series (``pool=False`` or a batch of one)
        whose errors calibrate its intervals.
    recent : float
        Pooled calibration: only errors at targets in the last ``recent``
        years before the series' last date (the current regime of the panel).
    curve : {None, "logistic", "gompertz"}
        The second half: damped trends on ``logit(y / K)`` (None), or the
        series' own fitted curve, the trends where it is not identified.
    horizon_scaling : {"sqrt", "errors"}, default "sqrt"
        Pooled calibration: ``"sqrt"`` widens the pooled one-step quantiles
        by the square root of the horizon (groups of five series or more;
        smaller groups as ``"errors"``); ``"errors"`` uses each horizon's
        pooled errors (see the module).

    Notes
    -----
    The model works on ``log y`` and ``logit(y / K)``, so it needs values
    above zero. Zeros before a series' first positive value (subscriptions
    counted before a service launched) are left out, and the series is
    fitted from its launch; a zero or negative value after it fails the
    series with that reason.
    """

    default_intervals: ClassVar[str] = "conformal"
    name: ClassVar[str] = "saturating"
    description: ClassVar[str] = "half auto, half damped trends on logit(y / ceiling); pooled ceilings and intervals"
    param_names: ClassVar[tuple[str, ...]] = ("K",)  # type: ignore[assignment]
    ceiling: float | None = None
    pool: bool = True

    @property
    def batch_independent(self) -> bool:
        """Pooled ceilings and intervals depend on the other series of the batch."""
        return not self.pool
    horizons: int = 6
    min_inner: int = 7
    window: int = 20
    recent: float = 5.0
    horizon_scaling: str = "sqrt"
    curve: str | None = None

    def __post_init__(self) -> None:
        if self.ceiling is not None and not (np.isfinite(self.ceiling) and self.ceiling > 0):
            raise DataError(f"ceiling must be a positive number, got {self.ceiling!r}")
        if int(self.horizons) < 1 or int(self.min_inner) < 3 or int(self.window) < 3 or not self.recent > 0:
            raise DataError("horizons must be >= 1, min_inner >= 3, window >= 3 and recent > 0")
        if self.curve not in (None, "gompertz", "logistic"):
            raise DataError(f"curve must be None, 'gompertz' or 'logistic', got {self.curve!r}")
        if self.horizon_scaling not in ("sqrt", "errors"):
            raise DataError(f"horizon_scaling must be 'sqrt' or 'errors', got {self.horizon_scaling!r}")

    @property
    def saturation_param(self) -> str | None:
        return None  # K is a device of the forecast, not a fitted curve's asymptote with a standard error

    # ------------------------------------------------------------------ the ceiling
    def _ceiling(self, t, y, mask, percent, ymax, t_last):
        """K per problem, where it came from, and the parameters of ``curve`` fitted to each problem.

        Sources: 0 given or 100, 1 own Gompertz fit, 2 pooled, 3 none. The curve is the series' own
        fit, its ceiling held at a known one (NaN where the fit failed or its ceiling is below the
        largest value or more than ``MAX_CEILING_RATIO`` times it: not identified).
        """
        B = len(t)
        known = np.full(B, self.ceiling is not None) | percent
        K = np.where(known, float(self.ceiling) if self.ceiling is not None else 100.0, np.nan)
        source = np.where(known, 0, 3)
        enough = mask.sum(axis=1) >= 4
        gp = np.full((B, 3), np.nan)
        if self.curve is not None and enough.any():
            cv = CURVES[self.curve]
            kc = cv.params.index(cv.saturation)
            fixed = np.full((enough.sum(), len(cv.params)), np.nan)
            fixed[:, kc] = np.where(known[enough], K[enough], np.nan)
            cfit = fit_curve(cv, t[enough], y[enough], mask[enough], fixed)
            with np.errstate(all="ignore"):
                ratio = cfit.params[:, kc] / ymax[enough]
            good = (cfit.status > 0) & np.isfinite(cfit.params).all(axis=1) & (ratio >= 1) & (ratio <= _MAX_RATIO)
            gp[enough] = np.where(good[:, None], cfit.params, np.nan)
        curve = CURVES["gompertz"]
        k = curve.params.index(curve.saturation)
        est = ~known & enough
        if not est.any():
            return np.where(known, K, np.inf), source, gp
        fit = fit_curve(curve, t[est], y[est], mask[est], np.full((est.sum(), len(curve.params)), np.nan))
        Kf = fit.params[:, k]
        with np.errstate(all="ignore"):
            se = np.sqrt(fit.cov[:, k, k])
            r = np.log(Kf / ymax[est])
            v = (se / Kf) ** 2
        ok = (fit.status > 0) & np.isfinite(r) & (r > 0) & (r < np.log(_MAX_RATIO)) & np.isfinite(v) & (v > 0)
        post = np.where(ok, r, np.nan)
        src = np.where(ok, 1, 3)
        if self.pool:
            g = _group_ids(t_last[est])
            mu, cnt = _group_median(r, ok, g)
            G = len(mu)
            w_ok = ok.astype(float)
            rr = np.where(ok, r, 0.0)
            mean = np.bincount(g, weights=w_ok * rr, minlength=G) / np.maximum(cnt, 1)
            var = np.bincount(g, weights=w_ok * (rr - mean[g]) ** 2, minlength=G) / np.maximum(cnt, 1)
            vmed, _ = _group_median(v, ok, g)
            tau2 = np.maximum(var - vmed, 1e-3)  # between-series spread net of the typical sampling variance
            pooled = cnt[g] >= _MIN_POOL
            vv = np.maximum(np.where(ok, v, 1.0), 1e-4)
            shrunk = (rr / vv + mu[g] / tau2[g]) / (1 / vv + 1 / tau2[g])
            post = np.where(pooled, np.where(ok, shrunk, mu[g]), post)
            src = np.where(pooled, 2, src)
        Ke = np.where(np.isfinite(post), ymax[est] * np.exp(post), np.inf)
        K[est] = np.maximum(Ke, 1.05 * ymax[est])
        source[est] = src
        K = np.where(np.isnan(K), np.inf, K)
        return K, source, gp

    # ------------------------------------------------------------------ states and forecasts
    @staticmethod
    def _link(yy, K):
        finite = np.isfinite(K)[:, None]
        Kc = np.where(np.isfinite(K), K, 1.0)[:, None]
        with np.errstate(all="ignore"):
            return np.where(finite, logit(np.clip(yy / Kc, 1e-9, 1 - 1e-4)), np.log(yy))  # a value at K: 99.99%

    @staticmethod
    def _unlink(z, K):
        Kb = K.reshape(K.shape + (1,) * (z.ndim - 1))
        with np.errstate(all="ignore"):
            finite = np.isfinite(Kb)
            return np.where(finite, np.where(finite, Kb, 1.0) * expit(z), np.exp(np.minimum(z, 700.0)))

    def _sat_states(self, tt, yy, n, K):
        """Level and trend of every member of the grid after each problem's ``n`` points: (M, B)."""
        zz = self._link(yy, K)
        rows = np.arange(len(tt))
        at = np.maximum(n - 1, 0)
        levels, trends = [], []
        for a, b, damping in _GRID:  # over the grid, every problem at once
            lv, tr = holt_states(tt, zz, n, a, b, damping)
            levels.append(lv[rows, at])
            trends.append(tr[rows, at])
        return np.stack(levels), np.stack(trends)

    def _sat_median(self, levels, trends, d, K):
        out = np.empty((len(_GRID),) + np.broadcast_shapes(levels.shape[1:], d.shape))
        for m, (_, _, damping) in enumerate(_GRID):
            out[m] = self._unlink(levels[m] + trends[m] * damped_time(d, damping), K)
        return np.median(out, axis=0)

    def _other_half(self, levels, trends, d, K, gp, t_abs):
        """The logit-trend median, or the fitted ``curve`` where its fit exists (the trends elsewhere)."""
        sat = self._sat_median(levels, trends, d, K)
        if self.curve is None:
            return sat
        with np.errstate(all="ignore"):
            g = CURVES[self.curve].value(t_abs, np.nan_to_num(gp, nan=1.0))
        return np.where(np.isfinite(gp).all(axis=1).reshape((-1,) + (1,) * (t_abs.ndim - 1)) & np.isfinite(g), g, sat)

    def _combine(self, auto_mean, sat_mean, K, known):
        """The mean: half each, auto's half capped at a known ceiling (100% or ``ceiling=``).

        The trend half stays below ``K``, so the mean approaches a known ceiling without reaching it. An
        estimated ceiling bends the trend half only: capping at it cost 13% of MASE at h = 6 on the
        broadband panel (estimated ceilings are too low about as often as too high).
        """
        Kb = np.where(known, K, np.inf).reshape(K.shape + (1,) * (auto_mean.ndim - 1))
        with np.errstate(all="ignore"):
            return 0.5 * np.minimum(auto_mean, Kb) + 0.5 * sat_mean

    def _inner_errors(self, tt, yy, n, percent, a_lv, a_tr):
        """Log errors of the model refitted at each of the last ``window`` prefixes of every series.

        Every prefix (inner origin) is a problem of its own, all in one batch: its ceiling is estimated
        from the prefix only (and pooled with the prefixes of the batch that end at the same date),
        so the errors are those the model would have made then: no look-ahead, even within the
        training data. Returns the errors and their target times, (B, window, H), NaN-padded.
        """
        B, N = tt.shape
        H, W = int(self.horizons), int(self.window)
        o_idx = (n - 2)[:, None] - np.arange(W)[None, :]  # (B, W): the last W origins with a target
        use = o_idx >= self.min_inner - 1
        rb, rj = np.nonzero(use)
        errs = np.full((B, W, H), np.nan)
        t_target = np.full((B, W, H), np.nan)
        if len(rb) == 0:
            return errs, t_target
        oi = o_idx[rb, rj]
        P = len(rb)
        prow = np.arange(P)
        pm = (np.arange(N)[None, :] <= oi[:, None]) & np.isfinite(yy[rb])
        pt, py = tt[rb], np.where(pm, yy[rb], np.nan)
        p_pct = percent[rb]
        p_ymax = np.nanmax(np.where(pm, py, -np.inf), axis=1)
        Kp, src, gpp = self._ceiling(np.where(pm, pt, 0.0), np.where(pm, py, 0.0), pm, p_pct, p_ymax,
                                     pt[prow, oi])
        s_lv, s_tr = self._sat_states(pt, py, oi + 1, Kp)  # (M, P): the states after each prefix
        target = oi[:, None] + np.arange(1, H + 1)[None, :]  # (P, H)
        ok = target <= (n[rb] - 1)[:, None]
        tg = np.minimum(target, N - 1)
        d = pt[prow[:, None], tg] - pt[prow, oi][:, None]
        auto = 0.5 * np.add(*_AUTO._parts(a_lv[:, rb, oi][..., None], a_tr[:, rb, oi][..., None], d, p_pct))
        sat = self._other_half(s_lv[..., None], s_tr[..., None], d, Kp, gpp, pt[prow[:, None], tg])
        fc = self._combine(auto, sat, Kp, src == 0)
        with np.errstate(all="ignore"):
            e = np.log(yy[rb[:, None], tg] / fc)
        errs[rb, rj] = np.where(ok & np.isfinite(e), e, np.nan)
        t_target[rb, rj] = np.where(ok, tt[rb[:, None], tg], np.nan)
        return errs, t_target

    # ------------------------------------------------------------------ the protocol
    def fit_arrays(self, t, y, mask, percent, *, start=None, weights=None) -> Fitted:
        B, N = t.shape
        H = int(self.horizons)
        percent = np.asarray(percent, bool)
        observed, mask = mask, launched(y, mask)  # zeros before the first positive value: before a launch
        tt, yy, n = pack(t, y, mask)
        rows = np.arange(B)
        last = np.maximum(n - 1, 0)
        _, t_last, y_last = last_observed(t, y, mask)
        ymax = np.nanmax(np.where(mask, y, np.nan), axis=1, initial=-np.inf) if N else np.full(B, np.nan)
        K, source, gp = self._ceiling(t, y, mask, percent, np.where(np.isfinite(ymax), ymax, np.nan), t_last)
        status = np.where(n >= 3, errors.CONVERGED_EXACT, errors.FAILED_TOO_FEW_POINTS)
        bad = (mask & ~(np.isfinite(y) & (y > 0))).any(axis=1) | (np.isfinite(ymax) & (ymax > K))
        status = np.where(bad, errors.FAILED_INVALID_DATA, status)
        message = np.where(
            bad,
            "failed: saturating needs positive values not above the ceiling (100 for a percentage, or ceiling=)",
            "",
        ).astype(object)
        message[too_few_after_launch(n, observed) & ~bad] = TOO_FEW_AFTER_LAUNCH

        # every prefix's states: auto's members and drift, and the logit(y / K) grid
        a_lv, a_tr = _AUTO._states(tt, yy, percent)
        s_lv, s_tr = self._sat_states(tt, yy, n, K)

        errs, t_target = self._inner_errors(tt, yy, n, percent, a_lv, a_tr)  # (B, W, H)

        # calibration: the group's pooled recent errors, or the series' own last `window` origins
        g = _group_ids(t_last)
        size = np.bincount(g)[g]
        pooled = self.pool & (size > 1)
        own = errs  # the last `window` inner origins
        lo_q = np.full((B, H, len(_LEVELS)), np.nan)
        hi_q = np.full((B, H, len(_LEVELS)), np.nan)
        for j, lev in enumerate(_LEVELS):
            lo_q[..., j], hi_q[..., j] = conformal_quantiles(np.transpose(own, (0, 2, 1)), lev)
        n_err = np.isfinite(own).sum(axis=1)  # (B, H)
        if pooled.any():
            with np.errstate(all="ignore"):
                recent = t_target > (t_last - self.recent - 1e-9)[:, None, None]
            rec = np.where(recent, errs, np.nan)
            for grp in np.unique(g[pooled]):  # over groups of series that end at the same date
                members = np.flatnonzero(g == grp)
                e = np.transpose(rec[members], (2, 0, 1)).reshape(H, -1)  # (H, members * window)
                if self.horizon_scaling == "sqrt" and len(members) >= _MIN_POOL:  # a panel's one-step errors
                    e, scale = e[:1], np.sqrt(np.arange(1, H + 1))
                else:
                    scale = np.ones(H)
                for j, lev in enumerate(_LEVELS):
                    lo, hi = conformal_quantiles(e, lev)
                    lo_q[members, :, j], hi_q[members, :, j] = lo * scale, hi * scale
                n_err[members] = np.isfinite(e).sum(axis=1)
        lo_q, hi_q, slope = _fill_horizons(lo_q, hi_q, n_err)

        with np.errstate(all="ignore"):  # the drift's noise, for the fallback interval
            dt = np.diff(tt, axis=1)
            dev = (np.diff(yy, axis=1) - a_tr[-1, rows, last][:, None] * dt) ** 2 / dt
            dev_ok = np.isfinite(dev)
            sigma2 = np.where(dev_ok, dev, 0.0).sum(axis=1) / np.maximum(dev_ok.sum(axis=1) - 1, 1)
            spacing = row_nanmedian(np.where(np.isfinite(dt), dt, np.nan)) if N > 1 else np.full(B, np.nan)
        params = np.where(status[:, None] < 0, np.nan, K[:, None])
        if not mask.any(axis=1).all():  # a series that never launched: its last observation all the same
            _, t_seen, y_seen = last_observed(t, y, observed)
            t_last, y_last = np.where(np.isfinite(t_last), t_last, t_seen), np.where(np.isfinite(t_last), y_last, y_seen)
        return Fitted(
            params=params, cov=np.full((B, 1, 1), np.nan), sigma2=sigma2, sse=np.full(B, np.nan), n_obs=n,
            n_params=np.zeros(B, int), n_iter=np.zeros(B, int), status=status, t_last=t_last, y_last=y_last,
            percent=percent, message=message,
            state={
                "K": K, "source": source, "curve_params": gp, "pooled": pooled, "group_size": size, "n_errors": n_err, "slope": slope,
                "auto_levels": a_lv[:, rows, last].T.copy(), "auto_trends": a_tr[:, rows, last].T.copy(),
                "sat_levels": s_lv.T.copy(), "sat_trends": s_tr.T.copy(),
                "lo_q": lo_q, "hi_q": hi_q, "span": tt[rows, last] - tt[:, 0],
                "step": np.where(np.isfinite(spacing) & (spacing > 0), spacing, 0.5),
            },
        )

    def mean_arrays(self, fitted, t_new):
        d = np.clip(t_new - fitted.t_last[:, None], 0.0, None)
        s = fitted.state
        auto = 0.5 * np.add(*_AUTO._parts(s["auto_levels"].T[..., None], s["auto_trends"].T[..., None], d,
                                          fitted.percent))
        sat = self._other_half(s["sat_levels"].T[..., None], s["sat_trends"].T[..., None], d, s["K"],
                               s["curve_params"], fitted.t_last[:, None] + d)
        return np.where(fitted.status[:, None] < 0, np.nan, self._combine(auto, sat, s["K"], s["source"] == 0))

    def predict_arrays(self, fitted, t_new, level):
        mean = self.mean_arrays(fitted, t_new)
        s = fitted.state
        lo_q, hi_q = _at_level(s["lo_q"], level), _at_level(s["hi_q"], level)  # (B, H)
        H = lo_q.shape[1]
        d = np.clip(t_new - fitted.t_last[:, None], 0.0, None)
        steps = d / s["step"][:, None]
        idx = np.clip(np.rint(np.where(np.isfinite(steps), steps, 1.0)).astype(int), 1, H) - 1  # NaN: a failed series
        widen = np.maximum(steps / H, 1.0) ** s["slope"][:, None]  # beyond the scored horizons: the log-h line
        lo = np.take_along_axis(lo_q, idx, axis=1) * widen
        hi = np.take_along_axis(hi_q, idx, axis=1) * widen
        with np.errstate(all="ignore"):
            lower = mean * np.exp(np.minimum(lo, 0.0))
            upper = mean * np.exp(np.maximum(hi, 0.0))
            Kb = s["K"][:, None]
            known = (s["source"] == 0)[:, None]
            upper = np.where(known, np.minimum(upper, Kb), upper)  # a known ceiling bounds the outcome too
            half = normal_quantile(level) * np.sqrt(drift_variance(fitted.sigma2[:, None], d, s["span"][:, None]))
        fallback = ~(np.isfinite(lower) & np.isfinite(upper))
        return mean, np.where(fallback, mean - half, lower), np.where(fallback, mean + half, upper)

    def notes(self, result) -> str:
        s = result.fitted.state
        K = float(s["K"][0])
        src = {0: "given" if self.ceiling is not None else "100 for a percentage",
               1: "from this series' Gompertz fit", 2: "Gompertz fit shrunk towards the batch's series that end "
               "at the same date (empirical Bayes)", 3: "none identified (trends on log y)"}[int(s["source"][0])]
        n_err = ", ".join(str(int(v)) for v in s["n_errors"][0])
        pooled = bool(s["pooled"][0])
        if pooled and self.horizon_scaling == "sqrt" and int(s["group_size"][0]) >= _MIN_POOL:
            errs = (f"{int(s['n_errors'][0][0])} one-step errors of the last {self.recent:g} years, widened by "
                    f"the square root of the horizon")
        else:
            errs = f"{n_err} errors at horizons 1-{len(s['n_errors'][0])}"
        trends = f"the median of {len(_GRID)} damped local trends on logit(y / K)"
        if self.curve is None:
            half = trends
        elif np.isfinite(s["curve_params"][0]).all():
            half = f"this series' {self.curve} curve (ceiling {float(s['curve_params'][0][0]):.4g})"
        else:
            half = f"{trends} (its {self.curve} curve is not identified: ceiling below its largest value or " \
                   f"beyond {_MAX_RATIO:g} times it, or the fit failed)"
        return (
            f"Point forecast: half auto, half {half}; "
            f"ceiling K = {K:.4g} ({src}).\n"
            f"Intervals: split-conformal on {'the batch' if pooled else 'its own'} past log errors "
            f"({errs}); where too few errors exist for a level's "
            f"rank, a normal tail fitted to them widens the band, and horizons with fewer than "
            f"{MIN_CALIBRATION_ERRORS} errors extend the others along a line in log h "
            f"(slope {float(s['slope'][0]):.2f})."
            + ("\nPooled: the ceiling and intervals depend on the series fitted in the same batch (pool=False "
               "fits this series alone)." if pooled or int(s["source"][0]) == 2 else "")
        )


def _at_level(q: np.ndarray, level: float) -> np.ndarray:
    """Quantiles stored at ``_LEVELS`` (last axis), interpolated on the normal-score scale at ``level``.

    Below the first stored level the distance from the median error shrinks to zero at level 0; above
    the last it grows in proportion to the normal score.
    """
    z = normal_quantile(float(np.clip(level, 1e-9, 1 - 1e-12)))
    zs = np.array([normal_quantile(v) for v in _LEVELS])
    if z <= zs[0]:
        return q[..., 0] * z / zs[0]
    if z >= zs[-1]:
        return q[..., -1] * z / zs[-1]
    j = int(np.searchsorted(zs, z)) - 1
    f = (z - zs[j]) / (zs[j + 1] - zs[j])
    return (1 - f) * q[..., j] + f * q[..., j + 1]


def _fill_horizons(lo_q, hi_q, n_err):
    """Horizons with too few errors: the shorter horizons' quantiles along a line in log h (slope >= 1/2)."""
    B, H, L = lo_q.shape
    ok = (n_err >= MIN_CALIBRATION_ERRORS) & np.isfinite(hi_q).all(axis=2) & np.isfinite(lo_q).all(axis=2)
    lo_q = np.where(ok[..., None], lo_q, np.nan)
    hi_q = np.where(ok[..., None], hi_q, np.nan)
    logh = np.log(np.arange(1, H + 1))[None, :]
    with np.errstate(all="ignore"):
        width = np.log(hi_q[..., 3] - lo_q[..., 3])  # the 80% band's log width by horizon
        w_ok = ok & np.isfinite(width)
        k = w_ok.sum(axis=1)
        mx = np.where(w_ok, logh, 0).sum(axis=1) / np.maximum(k, 1)
        my = np.where(w_ok, width, 0).sum(axis=1) / np.maximum(k, 1)
        sxy = np.where(w_ok, (logh - mx[:, None]) * (width - my[:, None]), 0).sum(axis=1)
        sxx = np.where(w_ok, (logh - mx[:, None]) ** 2, 0).sum(axis=1)
        slope = np.where((k >= 2) & (sxx > 0), sxy / sxx, 1.0)
    slope = np.maximum(np.where(np.isfinite(slope), slope, 1.0), 0.5)
    for j in range(1, H):  # over horizons: the nearest shorter horizon's, widened along the line
        gap = ~ok[:, j] & np.isfinite(hi_q[:, j - 1, 0])
        f = ((j + 1) / j) ** slope[gap]
        lo_q[gap, j] = lo_q[gap, j - 1] * f[:, None]
        hi_q[gap, j] = hi_q[gap, j - 1] * f[:, None]
    return lo_q, hi_q, slope


_AUTO = Auto()

register(Saturating())
