"""Batch ARIMA(p, 1, q) with drift by exact Gaussian likelihood, p, q <= 2.

Arrays in, arrays out, on B series at once, left-aligned as in
:mod:`growthcast._numerics.smoothing`: series ``b`` is ``y[b, :n[b]]`` on a
regular grid. The model is statsmodels'
``ARIMA(y, order=(p, 1, q), trend="t")``: the differences
``w_t = y_t - y_{t-1}`` minus the drift ``mu`` follow a stationary and
invertible ARMA(p, q),

    (1 - phi_1 L - phi_2 L^2)(w_t - mu) = (1 + theta_1 L + theta_2 L^2) e_t,

and the likelihood is the exact one of the ``n - 1`` differences (what
statsmodels computes with its diffuse first observation), from a Kalman
filter started at the stationary covariance. The variance is concentrated
out, so maximising the likelihood is a least-squares problem in the
standardised innovations ``v_t / F_t**0.5`` times the geometric mean of
``F_t**0.5``; it is solved by :func:`growthcast._numerics.lm.solve` with central
finite-difference derivatives, in a parametrisation that keeps the AR part
stationary and the MA part invertible (partial autocorrelations
``r = u / (1 + u**2)**0.5``, as statsmodels' default
``enforce_stationarity`` and ``enforce_invertibility``).

The Python loops run over iterations, time steps and the (at most nine)
orders; every operation acts on vectors of problems.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import errors
from . import lm as _lm

__all__ = ["ARIMAFit", "fit_arima", "select_arima", "forecast_arima"]

_FD_STEP = 1e-5  # central differences: error ~ step**2 relative


@dataclass(frozen=True)
class ARIMAFit:
    """Fitted ARIMA(p, 1, q) models with drift, one per problem, shape (B,) unless said otherwise.

    Attributes
    ----------
    p, q : ndarray of int
        Orders.
    drift : ndarray
        ``mu``, the mean of the differences (statsmodels' ``x1``).
    ar, ma : ndarray, shape (B, 2)
        ``phi_1, phi_2`` and ``theta_1, theta_2``; zero beyond the order.
    sigma2 : ndarray
        Innovation variance (maximum likelihood, statsmodels' ``sigma2``).
    loglike, aic, aicc, bic : ndarray
        statsmodels' definitions: ``n_params`` counts drift, ARMA
        coefficients and variance; the sample size is ``n_obs - 1``.
    n_obs, n_params, n_iter, status : ndarray of int
    message : ndarray of object
    last : ndarray
        The last observation, from which level forecasts start.
    state, state_cov : ndarray, shapes (B, 3) and (B, 3, 3)
        The filtered prediction of the ARMA state for the first step ahead
        and its covariance over ``sigma2`` (zero-padded to 3).
    fitted : ndarray, shape (B, N)
        One-step predictions of the levels (statsmodels' ``fittedvalues``),
        NaN at the first observation (statsmodels' diffuse start gives no
        prediction there) and beyond ``n_obs``.
    """

    p: np.ndarray
    q: np.ndarray
    drift: np.ndarray
    ar: np.ndarray
    ma: np.ndarray
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
    last: np.ndarray
    state: np.ndarray
    state_cov: np.ndarray
    fitted: np.ndarray


def _coefficients(u, k, sign):
    """Stationary (sign -1: AR) or invertible (sign +1: MA) coefficients of order k <= 2 from free u (k, b)."""
    b = u.shape[1]
    c = np.zeros((2, b))
    if k == 0:
        return c
    r = u / np.sqrt(1.0 + u * u)
    if k == 1:
        c[0] = r[0]
    else:  # Monahan (1984): (r1 (1 - r2), r2) for AR, (r1 (1 + r2), r2) for MA
        c[0] = r[0] * (1.0 + sign * r[1])
        c[1] = r[1]
    return c


def _system(ar, ma, p, q):
    """Transition T (r, r, b), selection R (r, b) and stationary covariance P (r, r, b)."""
    r = max(p, q + 1)
    b = ar.shape[1]
    T = np.zeros((r, r, b))
    for i in range(min(p, r)):
        T[i, 0] = ar[i]
    for i in range(r - 1):
        T[i, i + 1] = 1.0
    R = np.zeros((r, b))
    R[0] = 1.0
    for i in range(1, r):
        R[i] = ma[i - 1] if i - 1 < q else 0.0
    # (I - T kron T) vec P = vec(R R'), one small system per problem
    K = np.eye(r * r)[None] - np.einsum("ijb,klb->bikjl", T, T).reshape(b, r * r, r * r)
    rhs = np.einsum("ib,jb->bij", R, R).reshape(b, r * r, 1)
    P = np.linalg.solve(K, rhs).reshape(b, r, r).transpose(1, 2, 0)
    return T, R, 0.5 * (P + P.transpose(1, 0, 2))


def _filter(W, M, mu, ar, ma, p, q, final=None):
    """Innovations v (b, m), their variances F (b, m) over sigma2; with ``final``, the state after it."""
    T, R, P = _system(ar, ma, p, q)
    r = T.shape[0]
    b, m = W.shape
    a = np.zeros((r, b))
    RR = R[:, None, :] * R[None, :, :]
    V = np.zeros((b, m))
    F = np.ones((b, m))
    a_end = np.zeros((r, b))
    P_end = np.zeros((r, r, b))
    for t in range(m):
        f = P[0, 0].copy()
        v = (W[:, t] - mu - a[0]) * M[:, t]
        V[:, t] = v
        F[:, t] = np.where(M[:, t] > 0, f, 1.0)
        # a' = T a + K v, P' = T P T' + RR' - K f K', K = T P[:, 0] / f
        TP0 = np.einsum("ijb,jb->ib", T, P[:, 0])
        K = TP0 / f
        a = np.einsum("ijb,jb->ib", T, a) + K * v
        TPT = np.einsum("ijb,jkb,lkb->ilb", T, P, T)
        Pn = TPT + RR - (K[:, None, :] * TP0[None, :, :]) * M[:, t]
        # an unobserved step (beyond the series) keeps the prediction update only
        P = 0.5 * (Pn + Pn.transpose(1, 0, 2))
        if final is not None:
            here = final == t
            a_end = np.where(here, a, a_end)
            P_end = np.where(here, P, P_end)
    return V, F, a_end, P_end


def _unpack(x, p, q):
    mu = x[:, 0]
    ar = _coefficients(x[:, 1 : 1 + p].T, p, -1.0)
    ma = _coefficients(x[:, 1 + p : 1 + p + q].T, q, 1.0)
    return mu, ar, ma


def _residuals(W, M, x, p, q):
    """Least-squares residuals (b, m) whose sum of squares is the profile -2 log-likelihood, up to monotone maps."""
    mu, ar, ma = _unpack(x, p, q)
    V, F, _, _ = _filter(W, M, mu, ar, ma, p, q)
    cnt = M.sum(axis=1)
    logg = (np.log(F) * M).sum(axis=1) / np.maximum(cnt, 1.0)
    return V * np.sqrt(np.exp(logg)[:, None] / F)


def fit_arima(
    y: np.ndarray,
    n: np.ndarray,
    p: int,
    q: int,
    *,
    min_points: int = 6,
    max_iter: int = 100,
) -> ARIMAFit:
    """Fit ARIMA(p, 1, q) with drift to every series of a batch.

    Parameters
    ----------
    y : ndarray, shape (B, N)
        Series ``b`` is ``y[b, :n[b]]``, regular steps, no gaps.
    n : ndarray of int, shape (B,)
    p, q : int
        Orders, 0..2 each.
    min_points : int, default 6
        Fewer observations, or fewer than ``p + q + 5`` (statsmodels'
        AICc needs ``n - 1 > p + q + 3``), fail with
        :data:`growthcast.errors.FAILED_TOO_FEW_POINTS`.
    max_iter : int, default 100

    Returns
    -------
    ARIMAFit
    """
    if not (0 <= p <= 2 and 0 <= q <= 2):
        raise ValueError("p and q must lie in 0..2")
    y = np.asarray(y, dtype=float)
    if y.ndim != 2:
        raise ValueError(f"y must be 2-D (problems, points), got shape {y.shape}")
    B, N = y.shape
    n = np.asarray(n)
    if n.shape != (B,) or not np.issubdtype(n.dtype, np.integer) or np.any((n < 0) | (n > N)):
        raise ValueError(f"n must be an integer array of shape ({B},) with entries in [0, {N}]")
    k = p + q + 2
    inside = np.arange(N)[None, :] < n[:, None]
    status = np.full(B, errors.MAX_ITERATIONS, dtype=int)
    message = np.full(B, "", dtype=object)
    short = (n < min_points) | (n < p + q + 5)
    status[short] = errors.FAILED_TOO_FEW_POINTS
    message[short] = f"failed: too few observations for ARIMA({p},1,{q}) with drift"
    bad = (inside & ~np.isfinite(y)).any(axis=1) & ~short
    status[bad] = errors.FAILED_INVALID_DATA
    message[bad] = "failed: a value inside the series is NaN or infinite (a regular grid has no gaps)"
    yz = np.where(inside & np.isfinite(y), y, 0.0)
    W = np.diff(yz, axis=1)
    Mw = (inside[:, 1:]).astype(float)
    W *= Mw
    m = np.maximum(n - 1, 0)
    dev = np.abs(W).max(axis=1, initial=0.0)
    with np.errstate(divide="ignore"):
        scale = np.where(dev > 0, np.exp2(np.round(np.log2(np.where(dev > 0, dev, 1.0)))), 1.0)
    cnt = Mw.sum(axis=1)
    mean = W.sum(axis=1) / np.maximum(cnt, 1.0)
    flat = (np.abs(W - mean[:, None]) * Mw).max(axis=1, initial=0.0) == 0.0
    const = flat & (status == errors.MAX_ITERATIONS)
    status[const] = errors.FAILED_INVALID_DATA
    message[const] = "failed: the differences are constant, so the innovation variance is zero"
    rows = np.flatnonzero(status == errors.MAX_ITERATIONS)
    Wn = W[rows] / scale[rows, None]
    Mn = Mw[rows]
    P = 1 + p + q
    # starts: white noise, and with an order, a leaning AR and a leaning MA part
    # (partial autocorrelation 0.6); the likelihood has several maxima
    starts = [np.zeros(P)]
    if p:
        starts.append(np.r_[0.0, np.full(p, 0.75), np.zeros(q)])
    if q:
        starts.append(np.r_[0.0, np.zeros(p), np.full(q, 0.75)])
    S = len(starts)
    x0 = np.concatenate([np.tile(st, (rows.size, 1)) for st in starts])
    x0[:, 0] = np.tile(mean[rows] / scale[rows], S)
    Wn, Mn = np.tile(Wn, (S, 1)), np.tile(Mn, (S, 1))

    def model(x, sub):
        Ws, Ms = Wn[sub], Mn[sub]
        b = x.shape[0]
        # the point and 2P perturbed points, evaluated as one batch of columns
        h = _FD_STEP * np.maximum(1.0, np.abs(x))
        X = np.repeat(x[None], 2 * P + 1, axis=0)
        for j in range(P):
            X[1 + 2 * j, :, j] += h[:, j]
            X[2 + 2 * j, :, j] -= h[:, j]
        Rr = _residuals(np.tile(Ws, (2 * P + 1, 1)), np.tile(Ms, (2 * P + 1, 1)), X.reshape(-1, P), p, q)
        Rr = Rr.reshape(2 * P + 1, b, -1)
        J = np.empty((b, Ws.shape[1], P))
        for j in range(P):
            J[:, :, j] = (Rr[1 + 2 * j] - Rr[2 + 2 * j]) / (2.0 * h[:, j])[:, None]
        return Rr[0], J, None

    with np.errstate(all="ignore"):
        x, sse_r, _, n_iter_r, status_r = _lm.solve(
            model, x0, np.zeros_like(Wn), Mn > 0, max_iter=max_iter, xtol=1e-10, ftol=1e-12, gtol=1e-7
        )
    # per problem, the start with the lowest sum of squares among the usable ones
    b0 = rows.size
    sse = np.where(status_r >= 0, sse_r, np.inf).reshape(S, b0)
    pick = np.argmin(sse, axis=0)
    idx = pick * b0 + np.arange(b0)
    x, status_r, Wn, Mn = x[idx], status_r[idx], Wn[idx], Mn[idx]
    n_iter_r = n_iter_r.reshape(S, b0).sum(axis=0)
    status[rows] = status_r
    failed_r = status_r < 0
    message[rows[failed_r]] = "failed: the likelihood could not be maximised"
    ok = rows[~failed_r]
    xo = x[~failed_r]
    s = scale[ok]
    mu, ar, ma = _unpack(xo, p, q)
    Wo, Mo = Wn[~failed_r], Mn[~failed_r]
    with np.errstate(all="ignore"):
        V, F, a_end, P_end = _filter(Wo, Mo, mu, ar, ma, p, q, final=m[ok] - 1)
    mo = m[ok].astype(float)
    ss = (V * V / F * Mo).sum(axis=1)
    sig2 = ss / mo
    ll = -0.5 * mo * (np.log(2.0 * np.pi * sig2) + 1.0) - 0.5 * (np.log(F) * Mo).sum(axis=1)
    # one step further: the prediction for the first step ahead (filter ended on the last observation)
    T, R, _ = _system(ar, ma, p, q)
    r = T.shape[0]

    nan = np.full(B, np.nan)
    drift, sigma2, loglike = nan.copy(), nan.copy(), nan.copy()
    AR = np.full((B, 2), np.nan)
    MA = np.full((B, 2), np.nan)
    state = np.full((B, 3), np.nan)
    state_cov = np.full((B, 3, 3), np.nan)
    drift[ok] = mu * s
    AR[ok] = ar.T
    MA[ok] = ma.T
    sigma2[ok] = sig2 * s * s
    loglike[ok] = ll - mo * np.log(s)
    st3 = np.zeros((ok.size, 3))
    st3[:, :r] = a_end.T * s[:, None]
    cov3 = np.zeros((ok.size, 3, 3))
    cov3[:, :r, :r] = P_end.transpose(2, 0, 1)
    state[ok] = st3
    state_cov[ok] = cov3
    nobs = np.maximum(n - 1, 0).astype(float)
    with np.errstate(all="ignore"):
        aic = -2.0 * loglike + 2.0 * k
        bic = -2.0 * loglike + np.log(nobs) * k
        denom = nobs - k - 1.0
        aicc = np.where(denom > 0, aic + 2.0 * k * (k + 1) / np.where(denom > 0, denom, 1.0), np.inf)
    failed = status < 0
    aicc = np.where(failed, np.nan, aicc)
    for code, text in errors.STATUS_MESSAGES.items():
        message[(status == code) & (message == "")] = text
    last = np.where(failed, np.nan, yz[np.arange(B), np.maximum(n - 1, 0)])
    fitted = np.full((B, N), np.nan)
    if ok.size:
        pred_w = (Wo - V) * s[:, None]  # one-step predictions of the differences
        fitted[ok, 1:] = np.where(Mo > 0, yz[ok, :-1] + pred_w, np.nan)
    fitted[failed] = np.nan
    n_iter = np.zeros(B, dtype=int)
    n_iter[rows] = n_iter_r
    return ARIMAFit(
        p=np.full(B, p), q=np.full(B, q), drift=drift, ar=AR, ma=MA, sigma2=sigma2, loglike=loglike, aic=aic,
        aicc=aicc, bic=bic, n_obs=n.astype(int), n_params=np.full(B, k), n_iter=n_iter, status=status,
        message=message, last=last, state=state, state_cov=state_cov, fitted=fitted,
    )


def select_arima(y: np.ndarray, n: np.ndarray, *, max_p: int = 2, max_q: int = 2, **kwargs) -> ARIMAFit:
    """growthcast's ``arima``: every order p <= max_p, q <= max_q, the lowest AICc among the converged.

    Orders that need more points than a series has fail for that series
    only (statsmodels' condition ``p + q + 3 <= n - 2``). Where no order
    converged, the lowest AICc among those at the iteration limit; a problem
    fails only if every order does.
    """
    fits = [fit_arima(y, n, p, q, **kwargs) for p in range(max_p + 1) for q in range(max_q + 1)]
    crit = np.stack([np.where(np.isnan(f.aicc), np.inf, f.aicc) for f in fits])
    status = np.stack([f.status for f in fits])
    rank = np.where(status > 0, 0, np.where(status == 0, 1, 2))
    best_rank = rank.min(axis=0)
    key = np.where(rank == best_rank[None, :], crit, np.inf)
    choice = np.where(best_rank == 2, 0, np.argmin(key, axis=0))
    r = np.arange(choice.size)
    return ARIMAFit(**{name: np.stack([getattr(f, name) for f in fits])[choice, r]
                       for name in ARIMAFit.__dataclass_fields__})


def forecast_arima(fit: ARIMAFit, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Level forecasts and their variances for steps 1..horizon, shape (B, H).

    ``y_{n+h} = y_n + h mu + G_h a`` with ``G_h = sum_{j<h} Z T^j`` and ``a``
    the filtered state prediction; the variance is
    ``sigma2 (G_h P G_h' + sum_{k<h-1} (psi_0 + ... + psi_k)**2)`` with ``P``
    its covariance and ``psi_l = Z T^l R`` the ARMA's psi-weights (the
    differences' forecast errors cumulated, as statsmodels' state-space
    forecast of the integrated model).
    """
    H = int(horizon)
    B = fit.drift.size
    mean = np.empty((B, H))
    var = np.empty((B, H))
    ar, ma = fit.ar.T, fit.ma.T
    # companion form of order 3 covers every (p, q) <= 2 (zero-padded)
    T = np.zeros((3, 3, B))
    T[0, 0], T[1, 0] = ar[0], ar[1]
    T[0, 1] = T[1, 2] = 1.0
    R = np.stack([np.ones(B), ma[0], ma[1]])
    a = fit.state.T
    P = fit.state_cov.transpose(1, 2, 0)
    zt = np.zeros((3, B))
    zt[0] = 1.0
    G = np.zeros((3, B))
    cum_psi = np.zeros(B)
    shocks = np.zeros(B)
    for h in range(H):
        G = G + zt
        GPG = np.einsum("ib,ijb,jb->b", G, P, G)
        mean[:, h] = fit.last + (h + 1) * fit.drift + np.einsum("ib,ib->b", G, a)
        var[:, h] = fit.sigma2 * (GPG + shocks)
        cum_psi = cum_psi + np.einsum("ib,ib->b", zt, R)
        shocks = shocks + cum_psi * cum_psi
        zt = np.einsum("ib,ijb->jb", zt, T)
    return mean, var
