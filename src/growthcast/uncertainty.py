"""Standard errors and intervals: delta method, residual bootstrap, backtest calibration.

Every function here works on a batch (:class:`~growthcast.models.Fitted`)
and returns arrays with the batch on axis 0.

* ``delta`` (default): the model's own analytic intervals. For the curves,
  the parameter covariance is ``s^2 (J'J)^-1`` at the optimum and the
  prediction variance ``g' cov g + s^2`` with ``g`` the gradient of the curve
  in its parameters; quantiles are Student-t with ``n - k`` degrees of freedom.
* ``bootstrap``: a residual bootstrap. Residuals (on the model's link scale,
  centred and inflated by ``sqrt(n / (n - k))``) are resampled onto the fitted
  values and all ``n_boot`` refits of every series run through the batch core
  in one call. Prediction intervals add a resampled residual to each draw.
* ``backtest``: the point forecast plus split-conformal quantiles of the
  model's own out-of-sample errors at the same horizon
  (:func:`growthcast.intervals.conformal_quantiles`, the same rule the
  backtest scores); the errors come from :func:`growthcast.backtest`.
"""

from __future__ import annotations

import numpy as np

from . import errors
from .intervals import MIN_CALIBRATION_ERRORS, conformal_quantiles, nanquantiles, student_quantile
from .models import Bootstrap, Fitted, Model

__all__ = [
    "INTERVALS",
    "bootstrap",
    "predict_interval",
    "param_intervals",
    "saturation_interval",
    "inflection_interval",
    "check_n_boot",
    "stderr",
]

INTERVALS = ("delta", "bootstrap", "backtest")


def check_n_boot(spec: Model, n_boot: object) -> int:
    """``n_boot`` as an int, or a DataError; and whether ``spec`` can be bootstrapped."""
    if not spec.has_residuals:
        raise errors.DataError(
            f"interval='bootstrap' resamples residuals of fitted values, which {spec.name!r} does not have; "
            "use 'delta' or 'backtest'"
        )
    if isinstance(n_boot, (bool, np.bool_)) or not isinstance(n_boot, (int, np.integer)) or n_boot < 20:
        raise errors.DataError(f"n_boot must be an integer >= 20, got {n_boot!r}")
    return int(n_boot)


# ----------------------------------------------------------------- bootstrap
#: Elements (replicates x points) per block of series refitted or evaluated together: the bootstrap's
#: working memory is a few arrays of this many floats (16 MB each), whatever the number of series.
BOOT_CHUNK_ELEMENTS = 2**21


def _series_blocks(B: int, per_series: int) -> list[slice]:
    """Blocks of consecutive series with at most :data:`BOOT_CHUNK_ELEMENTS` elements each (one series at least)."""
    size = max(1, BOOT_CHUNK_ELEMENTS // max(per_series, 1))
    return [slice(i, min(i + size, B)) for i in range(0, B, size)]


def bootstrap(
    spec: Model,
    fitted: Fitted,
    t: np.ndarray,
    y: np.ndarray,
    mask: np.ndarray,
    percent: np.ndarray,
    n_boot: int,
    random_state: int | np.random.Generator | None,
) -> Fitted:
    """Residual-bootstrap refits of B problems, through the batch core a block of series at a time.

    Returns ``fitted`` with its :class:`~growthcast.models.Bootstrap` draws.
    The blocks bound the memory (:data:`BOOT_CHUNK_ELEMENTS`) and change no
    result: the resampling draws come from one generator in series order, and
    the batch core gives each problem the same bits whatever the batch around it.
    """
    R = check_n_boot(spec, n_boot)
    rng = np.random.default_rng(random_state)
    seed = int(rng.integers(2**63 - 1))
    B, N = y.shape
    with np.errstate(all="ignore"):
        z = spec.link(y, percent[:, None])
        zhat = spec.link(spec.mean_arrays(fitted, t), percent[:, None])
    # the points the fit used: a model on log y or a logit leaves out the zeros before a launch, whose link is
    # not finite (in a successful fit every other point's is)
    mask = mask & np.isfinite(z)
    e = np.where(mask, z - zhat, np.nan)
    n = mask.sum(axis=1)
    dof = np.maximum(n - fitted.n_params, 1)
    with np.errstate(all="ignore"):  # a row without a residual stays NaN, without numpy's warning
        centre = np.where(mask, e, 0.0).sum(axis=1, keepdims=True) / n[:, None]
    e = (e - centre) * np.sqrt(n / dof)[:, None]
    order = np.argsort(~mask, axis=1, kind="stable")  # observed entries first
    packed = np.take_along_axis(np.where(mask, e, 0.0), order, axis=1)
    draws = np.empty((B, R, fitted.params.shape[1]))
    rep = lambda a: np.repeat(a, R, axis=0)  # noqa: E731
    for c in _series_blocks(B, R * N):
        # consecutive blocks of the generator's stream: the same numbers as one (B, R, N) draw
        b = c.stop - c.start
        pick = (rng.random((b, R, N)) * n[c, None, None]).astype(int)
        e_star = np.take_along_axis(np.broadcast_to(packed[c, None, :], (b, R, N)), pick, axis=2)
        del pick
        y_star = spec.unlink(zhat[c, None, :] + e_star, percent[c, None, None])
        del e_star
        y_star = np.where(mask[c, None, :], y_star, 0.0).reshape(b * R, N)
        boot = spec.fit_arrays(rep(t[c]), y_star, rep(mask[c]), rep(percent[c]), start=rep(fitted.params[c]))
        draws[c] = np.where((boot.status >= 0)[:, None], boot.params, np.nan).reshape(b, R, -1)
        del boot, y_star
    return fitted.replace(bootstrap=Bootstrap(params=draws, resid=packed, n=n, seed=seed))


def _uniforms(seed: int, rows: np.ndarray, R: int, t_new: np.ndarray) -> np.ndarray:
    """Uniform draws in [0, 1), shape (B, R, M), keyed on (seed, series, replicate, target time).

    A counter-based generator (the splitmix64 finaliser of the key): the draw
    for one target never depends on which other targets are asked for, nor on
    the blocks the batch is evaluated in.
    """
    key = np.full((len(rows), R, t_new.shape[1]), np.uint64(seed % 2**64), dtype=np.uint64)
    key ^= (rows.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15))[:, None, None]
    key ^= (np.arange(R, dtype=np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F))[None, :, None]
    when = np.round(np.where(np.isfinite(t_new), t_new, 0.0) * 1e6).astype(np.int64).view(np.uint64)
    key ^= (when * np.uint64(0x165667B19E3779F9))[:, None, :]
    key ^= key >> np.uint64(30)
    key *= np.uint64(0xBF58476D1CE4E5B9)
    key ^= key >> np.uint64(27)
    key *= np.uint64(0x94D049BB133111EB)
    key ^= key >> np.uint64(31)
    return (key >> np.uint64(11)).astype(np.float64) * 2.0**-53


def _bootstrap_paths(
    spec: Model, fitted: Fitted, t_new: np.ndarray, rows: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Draws of the mean path and of a new observation, shape (B, R, M).

    ``rows`` are the series' positions in the whole batch (the keys of their
    resampling draws) when the batch is evaluated a block of series at a time.
    """
    boot = fitted.bootstrap
    B, R, P = boot.params.shape
    M = t_new.shape[1]
    rep = fitted.replace(bootstrap=None, calibration=None).take(np.repeat(np.arange(B), R))
    rep = rep.replace(params=boot.params.reshape(B * R, P))
    with np.errstate(all="ignore"):
        mean = spec.mean_arrays(rep, np.repeat(t_new, R, axis=0)).reshape(B, R, M)
    del rep
    rows = np.arange(B) if rows is None else rows
    pick = (_uniforms(boot.seed, rows, R, t_new) * boot.n[:, None, None]).astype(int)
    width = boot.resid.shape[1]
    e = np.take_along_axis(np.broadcast_to(boot.resid[:, None, :], (B, R, width)), np.minimum(pick, width - 1), axis=2)
    del pick
    pct = fitted.percent.reshape(-1, 1, 1)
    with np.errstate(all="ignore"):
        obs = spec.unlink(spec.link(mean, pct) + e, pct)
    return mean, obs


def _bootstrap_bounds(spec: Model, fitted: Fitted, t_new: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Prediction bounds (B, M) from the bootstrap draws, a block of series at a time (memory linear in R x M
    per block, not in the batch); the same bits as one evaluation of the whole batch."""
    B, R, _ = fitted.bootstrap.params.shape
    M = t_new.shape[1]
    lower, upper = np.empty((B, M)), np.empty((B, M))
    for c in _series_blocks(B, R * M):
        _, obs = _bootstrap_paths(spec, fitted.take(c), t_new[c], np.arange(B)[c])
        lower[c], upper[c] = nanquantiles(obs, level, axis=1)
    return lower, upper


# ----------------------------------------------------------------- predictions
def predict_interval(
    spec: Model, fitted: Fitted, t_new: np.ndarray, level: float, interval: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and interval bounds at ``t_new`` (B, M) for B fitted problems."""
    if interval == "bootstrap":
        mean = spec.mean_arrays(fitted, t_new)
        return (mean, *_bootstrap_bounds(spec, fitted, t_new, level))
    if interval == "backtest":
        mean = spec.mean_arrays(fitted, t_new)
        return (mean, *_calibrated(fitted, t_new, mean, level))
    return spec.predict_arrays(fitted, t_new, level)


def _calibrated(fitted: Fitted, t_new: np.ndarray, mean: np.ndarray, level: float):
    """Split-conformal bounds: the mean plus quantiles of past errors at that horizon."""
    errs = fitted.calibration.errors  # (B, H, E): actual - forecast at horizon h = 1..H
    step = fitted.calibration.step  # (B,) years per step
    H = errs.shape[1]
    h = np.clip(np.rint((t_new - fitted.t_last[:, None]) / step[:, None]).astype(int), 1, H) - 1
    lo_h, hi_h = conformal_quantiles(errs, level, min_errors=MIN_CALIBRATION_ERRORS)
    lower = mean + np.take_along_axis(lo_h, h, axis=1)
    upper = mean + np.take_along_axis(hi_h, h, axis=1)
    return lower, upper


# ----------------------------------------------------------------- parameters
def param_intervals(spec: Model, fitted: Fitted, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Parameter intervals (B, P): log scale for positive parameters, else Wald; NaN where not estimated."""
    if fitted.bootstrap is not None:
        return nanquantiles(fitted.bootstrap.params, level, axis=1)
    est = fitted.params
    se = stderr(fitted)
    q = student_quantile(level, fitted.n_obs - fitted.n_params)[:, None]
    positive = np.isin(spec.param_names, spec.positive_params)
    with np.errstate(all="ignore"):
        rel = se / est
        log_lo, log_hi = est * np.exp(-q * rel), est * np.exp(q * rel)
    use_log = positive & (est > 0)
    return np.where(use_log, log_lo, est - q * se), np.where(use_log, log_hi, est + q * se)


def stderr(fitted: Fitted) -> np.ndarray:
    """Standard errors (B, P): ``sqrt(diag(cov))``, 0 for fixed parameters, NaN where not estimated."""
    return np.sqrt(np.clip(np.einsum("bpp->bp", fitted.cov), 0.0, None))


def saturation_interval(spec: Model, fitted: Fitted, level: float):
    """The saturation parameter (K or m) and its interval; NaN without one."""
    B = len(fitted)
    if spec.saturation_param is None:
        nan = np.full(B, np.nan)
        return nan, nan, nan
    j = spec.param_names.index(spec.saturation_param)
    lo, hi = param_intervals(spec, fitted, level)
    return fitted.params[:, j], lo[:, j], hi[:, j]


def inflection_interval(spec: Model, fitted: Fitted, level: float):
    """Time and value of the inflection point with delta-method or bootstrap intervals."""
    if not spec.has_inflection:
        raise errors.DataError(f"the {spec.name!r} model has no inflection point")
    theta = fitted.params
    t_star, y_star = spec.inflection_point(theta)
    if fitted.bootstrap is not None:
        draws = fitted.bootstrap.params
        B, R, P = draws.shape
        with np.errstate(all="ignore"):
            td, yd = spec.inflection_point(draws.reshape(B * R, P))
        t_lo, t_hi = nanquantiles(td.reshape(B, R), level, axis=1)
        y_lo, y_hi = nanquantiles(yd.reshape(B, R), level, axis=1)
        return (t_star, t_lo, t_hi), (y_star, y_lo, y_hi)
    # gradient by central differences of the closed form, then the delta method
    P = theta.shape[1]
    h = 1e-6 * np.maximum(np.abs(theta), 1e-3)
    grads_t, grads_y = np.empty_like(theta), np.empty_like(theta)
    for j in range(P):  # over parameters (at most 4), not over problems
        step = np.zeros_like(theta)
        step[:, j] = h[:, j]
        tp, yp = spec.inflection_point(theta + step)
        tm, ym = spec.inflection_point(theta - step)
        grads_t[:, j] = (tp - tm) / (2 * h[:, j])
        grads_y[:, j] = (yp - ym) / (2 * h[:, j])
    q = student_quantile(level, fitted.n_obs - fitted.n_params)
    out = []
    for est, g in ((t_star, grads_t), (y_star, grads_y)):
        g = np.where(np.isfinite(g), g, 0.0)
        se = np.sqrt(np.clip(np.einsum("bp,bpq,bq->b", g, fitted.cov, g), 0.0, None))
        out.append((est, est - q * se, est + q * se))
    return tuple(out)
