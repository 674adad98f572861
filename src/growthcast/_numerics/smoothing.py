"""Batch exponential smoothing by state-space likelihood: ETS(A,N,N), ETS(A,A,N), ETS(A,Ad,N).

Arrays in, arrays out, on B series at once. Series ``b`` is observed at
``y[b, :n[b]]`` on a regular grid (left-aligned; what lies beyond ``n[b]`` is
never read). The Python loops run over iterations and time steps only; every
operation acts on a vector of the still-active problems, so a problem gets
the same bits in a batch as alone, and a problem that cannot be fitted gets
a failure status without changing the others.

The model is statsmodels' ``ETSModel(error="add", trend=..., damped_trend=...)``
with its default estimation: the parameters ``alpha``, ``beta``, ``phi`` and
the initial states ``l0``, ``b0`` (the states before the first observation)
maximise the Gaussian likelihood concentrated in the variance,
``-n/2 (log(2 pi SSE/n) + 1)``, that is, minimise the sum of squared one-step
errors, under statsmodels' default bounds (Hyndman et al. 2008's
"traditional" region)::

    1e-4 <= alpha <= 1 - 1e-4
    1e-4 <= beta / alpha <= 1 - 1e-4      (so beta < alpha)
    0.8  <= phi <= 0.98
    l0, b0 free

As in statsmodels, ``beta* = beta / alpha`` is the parameter that is fitted,
so the bounds are a box. The information criteria count the variance as a
parameter (statsmodels' ``df_model``).

Estimation is a bounded, damped Newton method (Levenberg-Marquardt with the
exact Hessian where it is positive definite, Gauss-Newton's ``J'J``
otherwise) on the sum of squared one-step errors, with first and second
derivatives carried through the recursion (forward sensitivities),
started up to four times per problem: from the three best local minima of a
small grid of smoothing parameters and from statsmodels' default start,
with the initial states solved for exactly at each (the one-step errors are
linear in them); the lowest sum of squares wins.

References
----------
Hyndman, R. J., Koehler, A. B., Ord, J. K. and Snyder, R. D. (2008).
*Forecasting with Exponential Smoothing: The State Space Approach*. Springer.
Chapter 6 (class 1 forecast variances).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import errors
from .linalg import cholesky_solve as _cholesky_solve
from .linalg import pdot as _pdot

__all__ = ["ETSFit", "fit_ets", "select_ets", "forecast_ets", "CANDIDATES"]

#: The models that :func:`select_ets` compares by default, as (trend, damped):
#: growthcast's ``ets``, ETS(A,A,N) and ETS(A,Ad,N).
CANDIDATES: tuple[tuple[bool, bool], ...] = ((True, False), (True, True))

_ALPHA, _BSTAR, _PHI, _L0, _B0 = range(5)
_LOWER = np.array([1e-4, 1e-4, 0.8, -np.inf, -np.inf])
_UPPER = np.array([1 - 1e-4, 1 - 1e-4, 0.98, np.inf, np.inf])
_LAM0 = 1e-3
_LAM_MAX = 1e16
_RHO_MIN = 1e-4

# starting grid of (alpha, beta*, phi); the initial states are solved for at each point
_GRID_ALPHA = (0.05, 0.2, 0.4, 0.6, 0.8, 0.9999)
_GRID_BSTAR = (1e-4, 0.05, 0.2, 0.5, 0.9999)
_GRID_PHI = (0.8, 0.9, 0.98)
_N_LOCAL = 3  # grid local minima used as starts
_SM_START = (0.101, 0.011 / 0.101, 0.98)


@dataclass(frozen=True)
class ETSFit:
    """Fitted additive-error exponential smoothing models, one per problem.

    Every array has the batch as its first axis, shape ``(B,)`` unless said
    otherwise. Parameters of a failed problem are NaN, beside a negative
    ``status`` and a ``message`` that says why.

    Attributes
    ----------
    trend, damped : ndarray of bool
        The model of each problem: ETS(A,N,N) (no trend), ETS(A,A,N)
        (trend) or ETS(A,Ad,N) (trend, damped).
    alpha, beta, phi : ndarray
        Smoothing parameters of the level and the trend, and the damping.
        ``beta`` is NaN without a trend, ``phi`` NaN without damping.
    l0, b0 : ndarray
        Initial states (before the first observation), statsmodels'
        ``initial_level`` and ``initial_trend``; ``b0`` NaN without a trend.
    level, slope : ndarray
        States after the last observation, from which forecasts start
        (``slope`` is 0 without a trend).
    fitted : ndarray, shape (B, N)
        One-step predictions, NaN beyond ``n_obs`` (statsmodels'
        ``fittedvalues``).
    sse : ndarray
        Sum of squared one-step errors.
    sigma2 : ndarray
        ``sse / n_obs``, the maximum likelihood variance (statsmodels'
        ``mse``), which scales the forecast variances.
    loglike, aic, aicc, bic : ndarray
        Gaussian log-likelihood and information criteria. ``aicc`` is
        ``inf`` where ``n_obs <= n_params + 1`` (undefined).
    n_obs : ndarray of int
        Observations used.
    n_params : ndarray of int
        Parameters estimated, the variance included (statsmodels'
        ``df_model``): 3 for ETS(A,N,N), 5 for ETS(A,A,N), 6 for ETS(A,Ad,N).
    n_iter : ndarray of int
        Newton iterations, summed over the starts.
    status : ndarray of int
        Codes of :mod:`growthcast.errors`: > 0 converged, 0 iteration
        limit (estimates usable but not certified), < 0 failed.
    message : ndarray of object
        A sentence per problem on how it ended.
    """

    trend: np.ndarray
    damped: np.ndarray
    alpha: np.ndarray
    beta: np.ndarray
    phi: np.ndarray
    l0: np.ndarray
    b0: np.ndarray
    level: np.ndarray
    slope: np.ndarray
    fitted: np.ndarray
    sse: np.ndarray
    sigma2: np.ndarray
    loglike: np.ndarray
    aic: np.ndarray
    aicc: np.ndarray
    bic: np.ndarray
    n_obs: np.ndarray
    n_params: np.ndarray
    n_iter: np.ndarray
    status: np.ndarray
    message: np.ndarray

    @property
    def ok(self) -> np.ndarray:
        """Problems with usable estimates (converged or at the iteration limit)."""
        return self.status >= 0


# ---------------------------------------------------------------- recursions
def _free_index(trend: bool, damped: bool) -> list[int]:
    """Positions in (alpha, beta*, phi, l0, b0) that the model estimates."""
    if not trend:
        return [_ALPHA, _L0]
    return [_ALPHA, _BSTAR, _PHI, _L0, _B0] if damped else [_ALPHA, _BSTAR, _L0, _B0]


def _recursion(yT, mT, x, free, jacobian):
    """Half the SSE, and with ``jacobian`` J'r (P, b), J'J and sum e d2e (P, P, b), at ``x`` (5, b).

    ``yT`` and ``mT`` are (N, b), time first: observations (zero where
    unobserved) and 1.0/0.0 weights. Unobserved steps have zero error, so the
    states run on as forecasts and nothing is counted. The derivatives of the
    one-step errors with respect to the free parameters are carried forward
    with the states (forward sensitivities); each is accumulated into the
    normal equations step by step, so every problem's sums are its own.
    """
    alpha, bstar, phi = x[_ALPHA], x[_BSTAR], x[_PHI]
    beta = alpha * bstar
    level = x[_L0].copy()
    slope = x[_B0].copy()
    b = yT.shape[1]
    sse = np.zeros(b)
    if not jacobian:
        for t in range(yT.shape[0]):
            pred = level + phi * slope
            e = (yT[t] - pred) * mT[t]
            sse += e * e
            level = pred + alpha * e
            slope = phi * slope + beta * e
        return 0.5 * sse, None, None, None
    P = len(free)
    N = yT.shape[0]
    k = {p: i for i, p in enumerate(free)}
    dl = np.zeros((P, b))
    db = np.zeros((P, b))
    if _L0 in k:
        dl[k[_L0]] = 1.0
    if _B0 in k:
        db[k[_B0]] = 1.0
    ka, kb, kf = k.get(_ALPHA), k.get(_BSTAR), k.get(_PHI)
    # the normal equations are accumulated step by step, in time order for every
    # problem (a reduction over time afterwards would sum a lone problem pairwise)
    sse = np.zeros(b)
    g = np.zeros((P, b))
    H = np.zeros((P, P, b))
    e = np.empty(b)
    e2 = np.empty(b)
    de = np.empty((P, b))
    ge = np.empty((P, b))
    hh = np.empty((P, P, b))
    nmT = -mT
    # second derivatives of the states, (P, P, b), and sum_t e d2e (the part of the
    # Hessian that Gauss-Newton leaves out; with it, Newton converges fast where
    # large residuals make Gauss-Newton crawl)
    d2l = np.zeros((P, P, b))
    d2b = np.zeros((P, P, b))
    S = np.zeros((P, P, b))
    d2e = np.empty((P, P, b))
    dbeta = np.zeros((P, b))
    if ka is not None:
        dbeta[ka] = bstar
    if kb is not None:
        dbeta[kb] = alpha
    for t in range(N):
        pslope = phi * slope
        pred = level + pslope
        np.subtract(yT[t], pred, out=e)
        e *= mT[t]
        sse += np.multiply(e, e, out=e2)
        dpred = phi * db
        dpred += dl
        if kf is not None:
            dpred[kf] += slope
        np.multiply(dpred, nmT[t], out=de)
        g += np.multiply(de, e, out=ge)
        H += np.multiply(de[:, None, :], de[None, :, :], out=hh)
        # second order, from the states before this step's update
        d2pred = phi * d2b
        d2pred += d2l
        if kf is not None:
            d2pred[kf] += db
            d2pred[:, kf] += db
        np.multiply(d2pred, nmT[t], out=d2e)
        S += np.multiply(d2e, e, out=hh)
        d2l = alpha * d2e
        d2l += d2pred
        if ka is not None:
            d2l[ka] += de
            d2l[:, ka] += de
        d2b *= phi
        d2b += beta * d2e
        if kf is not None:
            d2b[kf] += db
            d2b[:, kf] += db
        cross = np.multiply(dbeta[:, None, :], de[None, :, :], out=hh)
        d2b += cross
        d2b += cross.transpose(1, 0, 2)
        if ka is not None and kb is not None:
            d2b[ka, kb] += e
            d2b[kb, ka] += e
        dl = alpha * de
        dl += dpred
        db *= phi
        db += beta * de
        if ka is not None:
            dl[ka] += e
            if kb is not None:
                db[ka] += bstar * e
        if kb is not None:
            db[kb] += alpha * e
        if kf is not None:
            db[kf] += slope
        level = alpha * e
        level += pred
        slope = beta * e
        slope += pslope
    return 0.5 * sse, g, H, S


def _smooth(yT, mT, x, last):
    """One-step predictions (N, b) and the states after observation ``last`` (b,)."""
    alpha, phi = x[_ALPHA], x[_PHI]
    beta = alpha * x[_BSTAR]
    level = x[_L0].copy()
    slope = x[_B0].copy()
    N, b = yT.shape
    pred_all = np.empty((N, b))
    lev_end = np.zeros(b)
    slo_end = np.zeros(b)
    for t in range(N):
        pslope = phi * slope
        pred = level + pslope
        pred_all[t] = pred
        e = (yT[t] - pred) * mT[t]
        level = pred + alpha * e
        slope = pslope + beta * e
        here = last == t
        lev_end = np.where(here, level, lev_end)
        slo_end = np.where(here, slope, slo_end)
    return pred_all, lev_end, slo_end


def _grid_start(yT, mT, trend, damped):
    """Starting points (alpha, beta*, phi, l0, b0), each (5, b), and which problems use each.

    The grid's best local minima in order, then statsmodels' default start.

    At each grid point the one-step errors are ``u + l0 v1 + b0 v2``, with
    ``u`` the errors from zero initial states and ``v1``, ``v2`` those of a
    zero series from unit states, so the best initial states solve a 2 x 2
    least-squares problem; the three recursions run on (b, K) arrays, K the
    grid points.
    """
    N, b = yT.shape
    alphas = np.array(_GRID_ALPHA)
    if trend:
        phis = np.array(_GRID_PHI) if damped else np.array([1.0])
        A, S, F = np.meshgrid(alphas, np.array(_GRID_BSTAR), phis, indexing="ij")
        A, S, F = A.ravel(), S.ravel(), F.ravel()
    else:
        A = alphas
        S = np.zeros_like(A)
        F = np.ones_like(A)
    # statsmodels' own start, last: alpha 0.1, beta 0.01, phi 0.98, each + 1e-3 and clipped
    A = np.append(A, _SM_START[0])
    S = np.append(S, _SM_START[1] if trend else 0.0)
    F = np.append(F, _SM_START[2] if damped else 1.0)
    Bt = A * S
    K = A.size
    # states of the three recursions, (3, b, K): data from zero, zeros from unit level, unit slope
    lev = np.zeros((3, b, K))
    slo = np.zeros((3, b, K))
    lev[1] = 1.0
    slo[2] = 1.0
    sums = np.zeros((6, b, K))  # u'u, v1'u, v2'u, v1'v1, v1'v2, v2'v2
    for t in range(N):
        m = mT[t][:, None]
        pslope = F * slo
        pred = lev + pslope
        e = -pred
        e[0] += yT[t][:, None]
        e *= m
        u, v1, v2 = e
        sums[0] += u * u
        sums[1] += v1 * u
        sums[2] += v2 * u
        sums[3] += v1 * v1
        sums[4] += v1 * v2
        sums[5] += v2 * v2
        lev = pred + A * e
        slo = pslope + Bt * e
    uu, c1, c2, a11, a12, a22 = sums
    with np.errstate(divide="ignore", invalid="ignore"):
        if trend:
            det = a11 * a22 - a12 * a12
            good = det > 1e-12 * a11 * a22
            l0 = np.where(good, (-c1 * a22 + c2 * a12) / det, 0.0)
            b0 = np.where(good, (-c2 * a11 + c1 * a12) / det, 0.0)
        else:
            good = a11 > 0
            l0 = np.where(good, -c1 / a11, 0.0)
            b0 = np.zeros_like(l0)
        sse = uu + 2.0 * (c1 * l0 + c2 * b0) + a11 * l0 * l0 + 2.0 * a12 * l0 * b0 + a22 * b0 * b0
    sse = np.where(good & np.isfinite(sse), sse, np.inf)
    # the grid's local minima (no lower neighbour along any axis) head distinct basins
    shape = (len(_GRID_ALPHA), len(_GRID_BSTAR) if trend else 1, len(_GRID_PHI) if damped else 1)
    G = sse[:, :-1].reshape((b,) + shape)
    local = np.isfinite(G)
    for axis in (1, 2, 3):
        pad = [(0, 0)] * 4
        pad[axis] = (1, 1)
        P = np.pad(G, pad, constant_values=np.inf)
        lower = np.take(P, np.arange(0, shape[axis - 1]), axis=axis)
        upper = np.take(P, np.arange(2, shape[axis - 1] + 2), axis=axis)
        local &= (G <= lower) & (G <= upper)
    key = np.where(local.reshape(b, K - 1), sse[:, :-1], np.inf)
    order = np.argsort(key, axis=1, kind="stable")[:, :_N_LOCAL]
    r = np.arange(b)
    starts = []
    for j in range(order.shape[1]):
        i = order[:, j]
        use = np.isfinite(key[r, i]) | (j == 0)
        starts.append((np.stack([A[i], S[i], F[i], l0[r, i], b0[r, i]]), use))
    sm = np.stack([np.full(b, A[-1]), np.full(b, S[-1]), np.full(b, F[-1]), l0[:, -1], b0[:, -1]])
    starts.append((sm, np.ones(b, dtype=bool)))
    return starts


def _lm(yT, mT, x, free, max_iter, ftol, xtol, gtol):
    """Bounded, damped Newton over the free entries of x (5, b).

    Each iteration solves ``(M + lam d I) step = -g`` with ``M`` the exact
    Hessian where that is positive definite, else ``J'J`` (Gauss-Newton
    converges only linearly on the large residuals of exponential smoothing),
    ``d`` the running largest diagonal entry of ``J'J``, and ``lam`` updated
    by Nielsen's rule as in :mod:`growthcast._numerics.lm`. A free parameter at a bound
    whose gradient points out of the box is held for the iteration (active
    set); trial points are clipped into the box. Stopping rules as in
    :func:`growthcast._numerics.lm.solve`. Returns x, half SSE, iterations and status
    codes, each per problem; a problem's numbers never depend on the others.
    """
    b = x.shape[1]
    P = len(free)
    fi = np.array(free)
    lo = _LOWER[fi][:, None]
    hi = _UPPER[fi][:, None]
    out_x = x.copy()
    out_cost = np.full(b, np.nan)
    n_iter = np.zeros(b, dtype=int)
    status = np.full(b, errors.MAX_ITERATIONS, dtype=int)
    rows = np.arange(b)
    with np.errstate(all="ignore"):
        cost, g, H, S = _recursion(yT, mT, x, free, True)
        bad = ~(np.isfinite(cost) & np.isfinite(g).all(axis=0) & np.isfinite(H + S).all(axis=(0, 1)))
        status[bad] = errors.FAILED_NONFINITE
        keep = ~bad
        rows, x, cost, g, H, S = rows[keep], x[:, keep], cost[keep], g[:, keep], H[:, :, keep], S[:, :, keep]
        yT, mT = yT[:, keep], mT[:, keep]
        lam = np.full(rows.size, _LAM0)
        nu = np.full(rows.size, 2.0)
        dscale = np.zeros(rows.size)
        eye = np.eye(P)[:, :, None]
        for it in range(max_iter):
            if rows.size == 0:
                break
            xf = x[fi]
            held = ((xf <= lo) & (g > 0)) | ((xf >= hi) & (g < 0))
            diag = np.einsum("ppb->pb", H)
            gp = np.where(held, 0.0, g)
            done = np.all(np.abs(gp) <= gtol * np.sqrt(diag * (2.0 * cost)), axis=0) | (cost == 0.0)
            finished = done
            codes = np.full(rows.size, errors.CONVERGED_GRADIENT)
            if not done.all():
                # Newton's model (exact Hessian) where it is positive definite with the
                # damping, else Gauss-Newton's for this iteration
                dscale = np.maximum(dscale, np.where(held, 0.0, diag).max(axis=0))
                shift = (lam * np.maximum(dscale, 1e-300)) * eye
                off = held[:, None, :] | held[None, :, :]
                unit = held[:, None, :] & eye.astype(bool)
                Hx = H + S
                step_n, pd_n = _cholesky_solve(np.where(unit, 1.0, np.where(off, 0.0, Hx)) + shift, -gp)
                step_g, pd = _cholesky_solve(np.where(unit, 1.0, np.where(off, 0.0, H)) + shift, -gp)
                step = np.where(pd_n, step_n, step_g)
                model = np.where(pd_n, Hx, H)
                pd = pd | pd_n
                xnew_f = np.clip(xf + step, lo, hi)
                s = np.where(held, 0.0, xnew_f - xf)
                Hs = _matvec(model, s)
                predicted = -(_pdot(g, s) + 0.5 * _pdot(s, Hs))
                xnew = x.copy()
                xnew[fi] = xf + s
                cost_n, g_n, H_n, S_n = _recursion(yT, mT, xnew, free, True)
                finite = pd & np.isfinite(cost_n) & np.isfinite(g_n).all(axis=0)
                finite &= np.isfinite(H_n + S_n).all(axis=(0, 1))
                actual = cost - cost_n
                positive = predicted > 0
                rho = np.where(positive, actual / np.where(positive, predicted, 1.0), -1.0)
                # a problem already converged at x does not move (as when it is alone)
                accept = finite & (actual > 0) & (rho > _RHO_MIN) & ~done
                snorm = np.sqrt(_pdot(s, s))
                xnorm = np.sqrt(_pdot(xf, xf))
                small_step = snorm <= xtol * (xnorm + xtol)
                tiny = ftol * cost
                small_cost = finite & (np.abs(actual) <= tiny) & (predicted <= tiny) & (rho <= 2.0) & ~done
                shrink = 2.0 * rho - 1.0
                shrink = np.maximum(1.0 / 3.0, 1.0 - shrink * shrink * shrink)
                lam = np.where(accept, lam * shrink, lam * nu)
                nu = np.where(accept, 2.0, nu * 2.0)
                x = np.where(accept, xnew, x)
                cost = np.where(accept, cost_n, cost)
                g = np.where(accept, g_n, g)
                H = np.where(accept, H_n, H)
                S = np.where(accept, S_n, S)
                stuck = ~accept & (small_step | (lam > _LAM_MAX))
                at_step = (accept & small_step) | stuck
                finished = done | at_step | small_cost
                codes = np.where(
                    done, errors.CONVERGED_GRADIENT, np.where(at_step, errors.CONVERGED_STEP, errors.CONVERGED_COST)
                )
            if finished.any():
                sel = rows[finished]
                out_x[:, sel] = x[:, finished]
                out_cost[sel] = cost[finished]
                status[sel] = codes[finished]
                n_iter[sel] = np.where(done, it, it + 1)[finished]
                k = ~finished
                rows, x, cost, g, H, S = rows[k], x[:, k], cost[k], g[:, k], H[:, :, k], S[:, :, k]
                yT, mT, lam, nu, dscale = yT[:, k], mT[:, k], lam[k], nu[k], dscale[k]
        if rows.size:
            out_x[:, rows] = x
            out_cost[rows] = cost
            n_iter[rows] = max_iter
    return out_x, out_cost, n_iter, status


def _matvec(H, s):
    """``H[:, :, i] @ s[:, i]`` per problem, in a fixed order."""
    return np.stack([_pdot(H[p], s) for p in range(H.shape[0])])


# ---------------------------------------------------------------- public API
def _validate(y, n, min_points):
    """Float array, lengths, and which problems cannot be fitted and why."""
    if min_points < 2:
        raise ValueError("min_points must be at least 2")
    y = np.asarray(y, dtype=float)
    if y.ndim != 2:
        raise ValueError(f"y must be 2-D (problems, points), got shape {y.shape}")
    B, N = y.shape
    n = np.asarray(n)
    if n.shape != (B,) or not np.issubdtype(n.dtype, np.integer):
        raise ValueError(f"n must be an integer array of shape ({B},)")
    if np.any((n < 0) | (n > N)):
        raise ValueError(f"every n must lie in [0, {N}]")
    inside = np.arange(N)[None, :] < n[:, None]
    status = np.full(B, errors.MAX_ITERATIONS, dtype=int)
    message = np.full(B, "", dtype=object)
    short = n < min_points
    status[short] = errors.FAILED_TOO_FEW_POINTS
    message[short] = f"failed: fewer than {min_points} observations"
    nonfinite = (inside & ~np.isfinite(y)).any(axis=1) & ~short
    status[nonfinite] = errors.FAILED_INVALID_DATA
    message[nonfinite] = "failed: a value inside the series is NaN or infinite (a regular grid has no gaps)"
    yz = np.where(inside & np.isfinite(y), y, 0.0)
    first = yz[:, 0]
    dev = np.where(inside, np.abs(yz - first[:, None]), 0.0).max(axis=1)
    constant = (dev == 0.0) & (status == errors.MAX_ITERATIONS)
    status[constant] = errors.FAILED_INVALID_DATA
    message[constant] = "failed: the series is constant, so the residual variance is zero and the likelihood unbounded"
    return y, n, inside, yz, first, dev, status, message


def fit_ets(
    y: np.ndarray,
    n: np.ndarray,
    *,
    trend: bool = True,
    damped: bool = False,
    min_points: int = 6,
    max_iter: int = 200,
    ftol: float = 1e-10,
    xtol: float = 1e-10,
    gtol: float = 1e-8,
) -> ETSFit:
    """Fit one additive-error ETS model to every series of a batch.

    Parameters
    ----------
    y : ndarray, shape (B, N)
        Series ``b`` is ``y[b, :n[b]]``, on a regular grid, without gaps.
        Values beyond ``n[b]`` are ignored (they may be NaN).
    n : ndarray of int, shape (B,)
        Number of observations of each series.
    trend : bool, default True
        An additive trend (ETS(A,A,N)); without it, simple exponential
        smoothing (ETS(A,N,N)).
    damped : bool, default False
        Damp the trend (ETS(A,Ad,N)); ignored without a trend.
    min_points : int, default 6
        Series with fewer observations fail with
        :data:`growthcast.errors.FAILED_TOO_FEW_POINTS`.
    max_iter : int, default 200
        Newton iterations per problem and start.
    ftol, xtol, gtol : float
        Stop when the relative reduction of the sum of squares (actual and
        predicted) is below ``ftol``, the step below ``xtol`` relative to the
        parameters, or the largest cosine between a free derivative and the
        errors below ``gtol``.

    Returns
    -------
    ETSFit

    Notes
    -----
    Each series is shifted by its first value and divided by a power of
    two near its range before fitting (exact), so the numbers are on a unit
    scale; everything reported is on the scale of ``y``. A series with a
    value that is not finite among its first ``n`` entries, a constant
    series, and a series fitted exactly (zero residual variance) fail with
    a reason.
    """
    damped = bool(damped and trend)
    y, n, inside, yz, first, dev, status, message = _validate(y, n, min_points)
    B, N = y.shape
    free = _free_index(trend, damped)
    k_params = len(free) + 1
    rows = np.flatnonzero(status == errors.MAX_ITERATIONS)
    with np.errstate(divide="ignore"):
        scale = np.where(dev > 0, np.exp2(np.round(np.log2(np.where(dev > 0, dev, 1.0)))), 1.0)
    yT = np.ascontiguousarray(((yz[rows] - first[rows, None]) / scale[rows, None]).T)
    mT = np.ascontiguousarray(inside[rows].T.astype(float))
    yT *= mT
    # up to four starts per problem, run side by side as one batch: the three best
    # local minima of the grid and statsmodels' default start; the lowest sum of
    # squares wins (the likelihood has several local maxima, often on the bounds)
    starts = _grid_start(yT, mT, trend, damped)
    b = rows.size
    cols = [np.flatnonzero(use) for _, use in starts]
    offsets = np.cumsum([0] + [c.size for c in cols])
    x3, cost3, it3, st3 = _lm(
        np.concatenate([yT[:, c] for c in cols], axis=1),
        np.concatenate([mT[:, c] for c in cols], axis=1),
        np.concatenate([x0[:, c] for (x0, _), c in zip(starts, cols)], axis=1),
        free, max_iter, ftol, xtol, gtol,
    )
    x = np.empty((5, b))
    best = np.full(b, np.inf)
    status_r = np.full(b, errors.FAILED_NONFINITE)
    n_iter_r = np.zeros(b, dtype=int)
    for j, c in enumerate(cols):
        sl = slice(offsets[j], offsets[j + 1])
        cj = np.where(st3[sl] >= 0, cost3[sl], np.inf)
        n_iter_r[c] += it3[sl]
        better = (cj < best[c]) | ((j == 0) & ~np.isfinite(best[c]))
        w = c[better]
        best[w] = cj[better]
        x[:, w] = x3[:, sl][:, better]
        status_r[w] = st3[sl][better]
    last = n[rows] - 1
    pred, lev, slo = _smooth(yT, mT, x, last)
    with np.errstate(all="ignore"):
        e = (yT - pred) * mT
        sse_r = np.zeros(rows.size)
        for t in range(N):  # in time order, per problem
            sse_r += e[t] * e[t]
    status[rows] = status_r
    nr = n[rows].astype(float)
    # an exact fit (relative to the rounding of the data) has no likelihood maximum
    exact = (status_r >= 0) & (sse_r <= nr * (64 * np.finfo(float).eps) ** 2)
    status[rows[exact]] = errors.FAILED_SINGULAR
    message[rows[exact]] = "failed: the model fits the series exactly (zero residual variance, likelihood unbounded)"

    nan = np.full(B, np.nan)
    alpha, beta, phi, l0, b0 = nan.copy(), nan.copy(), nan.copy(), nan.copy(), nan.copy()
    level, slope, sse = nan.copy(), nan.copy(), nan.copy()
    fitted = np.full((B, N), np.nan)
    s, f = scale[rows], first[rows]
    alpha[rows] = x[_ALPHA]
    l0[rows] = x[_L0] * s + f
    level[rows] = lev * s + f
    slope[rows] = slo * s
    if trend:
        beta[rows] = x[_ALPHA] * x[_BSTAR]
        b0[rows] = x[_B0] * s
    if damped:
        phi[rows] = x[_PHI]
    sse[rows] = sse_r * (s * s)
    fitted[rows] = np.where(inside[rows], pred.T * s[:, None] + f[:, None], np.nan)
    n_iter = np.zeros(B, dtype=int)
    n_iter[rows] = n_iter_r

    failed = status < 0
    for arr in (alpha, beta, phi, l0, b0, level, slope, sse):
        arr[failed] = np.nan
    fitted[failed] = np.nan
    nf = n.astype(float)
    with np.errstate(all="ignore"):
        sigma2 = sse / nf
        loglike = -0.5 * nf * (np.log(2.0 * np.pi * sigma2) + 1.0)
        aic = -2.0 * loglike + 2.0 * k_params
        bic = -2.0 * loglike + np.log(nf) * k_params
        denom = nf - k_params - 1.0
        aicc = np.where(denom > 0, aic + 2.0 * k_params * (k_params + 1) / np.where(denom > 0, denom, 1.0), np.inf)
    aicc = np.where(failed, np.nan, aicc)
    for code, text in errors.STATUS_MESSAGES.items():
        message[(status == code) & (message == "")] = text
    return ETSFit(
        trend=np.full(B, bool(trend)),
        damped=np.full(B, damped),
        alpha=alpha,
        beta=beta,
        phi=phi,
        l0=l0,
        b0=b0,
        level=level,
        slope=np.where(failed, np.nan, slope if trend else 0.0),
        fitted=fitted,
        sse=sse,
        sigma2=sigma2,
        loglike=loglike,
        aic=aic,
        aicc=aicc,
        bic=bic,
        n_obs=n.astype(int),
        n_params=np.full(B, k_params),
        n_iter=n_iter,
        status=status,
        message=message,
    )


def select_ets(
    y: np.ndarray,
    n: np.ndarray,
    *,
    candidates: tuple[tuple[bool, bool], ...] = CANDIDATES,
    criterion: str = "aicc",
    **kwargs,
) -> tuple[ETSFit, np.ndarray]:
    """Fit every candidate model to the whole batch and keep the best per problem.

    As growthcast's ``ets``: the candidate with the lowest criterion wins
    among those that converged; where none converged, among those that
    stopped at the iteration limit; a problem fails only if every
    candidate fails (with the first candidate's reason).

    Parameters
    ----------
    y, n
        As for :func:`fit_ets`.
    candidates : tuple of (trend, damped)
        The models to compare; by default ETS(A,A,N) and ETS(A,Ad,N).
    criterion : {"aicc", "aic", "bic"}
    **kwargs
        Passed to :func:`fit_ets`.

    Returns
    -------
    fit : ETSFit
        The chosen model's fit for each problem.
    choice : ndarray of int, shape (B,)
        Index into ``candidates`` of the chosen model.
    """
    if criterion not in ("aicc", "aic", "bic"):
        raise ValueError(f"criterion must be 'aicc', 'aic' or 'bic', got {criterion!r}")
    fits = [fit_ets(y, n, trend=tr, damped=dp, **kwargs) for tr, dp in candidates]
    crit = np.stack([getattr(f, criterion) for f in fits])  # (C, B)
    status = np.stack([f.status for f in fits])
    rank = np.where(status > 0, 0, np.where(status == 0, 1, 2))
    # lexicographic: convergence class first, then the criterion (NaN last)
    key = np.where(np.isnan(crit), np.inf, crit)
    best_rank = rank.min(axis=0)
    key = np.where(rank == best_rank[None, :], key, np.inf)
    choice = np.argmin(key, axis=0)
    choice = np.where(best_rank == 2, 0, choice)
    B = choice.size
    r = np.arange(B)
    picked = {}
    for name in ETSFit.__dataclass_fields__:
        stack = np.stack([getattr(f, name) for f in fits])
        picked[name] = stack[choice, r]
    return ETSFit(**picked), choice


def forecast_ets(fit: ETSFit, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Point forecasts and forecast-error variances for steps 1..horizon.

    Parameters
    ----------
    fit : ETSFit
    horizon : int
        Number of steps ahead, H >= 0.

    Returns
    -------
    mean, var : ndarray, shape (B, H)
        ``mean[:, h-1] = level + (phi + ... + phi**h) slope`` and
        ``var[:, h-1] = sigma2 (1 + sum_{j<h} c_j**2)`` with
        ``c_j = alpha + beta (phi + ... + phi**j)`` (Hyndman et al. 2008,
        class 1; ``phi = 1`` undamped, ``beta = 0`` without a trend),
        the formulas behind statsmodels' ``get_prediction``. NaN for failed
        problems. A ``level``-coverage interval is ``mean +- z var**0.5``.
    """
    H = int(horizon)
    if H < 0:
        raise ValueError("horizon must be >= 0")
    B = fit.alpha.size
    mean = np.empty((B, H))
    var = np.empty((B, H))
    phi = np.where(fit.damped, fit.phi, 1.0)
    beta = np.where(fit.trend, fit.beta, 0.0)
    slope = np.where(fit.trend, fit.slope, 0.0)
    cum = np.zeros(B)  # phi + ... + phi**h
    power = np.ones(B)
    acc = np.ones(B)  # 1 + sum c_j**2
    for h in range(H):
        power = power * phi
        cum = cum + power
        mean[:, h] = fit.level + cum * slope
        var[:, h] = fit.sigma2 * acc
        c = fit.alpha + beta * cum
        acc = acc + c * c
    return mean, var
