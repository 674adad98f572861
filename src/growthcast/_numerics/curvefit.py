"""From a curve to the batch solver: scaling, centring, log-parameters, starts.

The solver sees each problem on its own scale: time centred on the mean of
its observed times, values divided by their largest observation, and positive
parameters as logarithms. That keeps every problem equally well conditioned,
whether ``t`` is years near 2025 or 0, 1, 2, and whether ``y`` is in persons
or millions. Results come back in the user's units.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from .. import errors
from ..curves import Curve
from .linalg import block_rows, chunks, cholesky_solve, rowdot
from .lm import solve

__all__ = ["Scaling", "fit_curve", "self_start", "to_internal", "to_natural"]

# Multiples of the largest observation tried as starting ceilings.
_CEILINGS = np.array([1.1, 1.6, 3.0])


@dataclass(frozen=True)
class Scaling:
    """Per-problem centre of time, scale of values and largest value, arrays of shape (B, 1)."""

    centre: np.ndarray
    scale: np.ndarray
    top: np.ndarray

    @classmethod
    def of(cls, t: np.ndarray, y: np.ndarray, mask: np.ndarray) -> "Scaling":
        """The scaling of problems whose ``t`` and ``y`` are 0 where ``mask`` is False."""
        n = np.maximum(mask.sum(axis=1, keepdims=True), 1)
        centre = t.sum(axis=1, keepdims=True) / n
        if y.shape[1]:  # numpy's max along short rows is several times slower than argmax and a gather
            top = np.take_along_axis(y, y.argmax(axis=1)[:, None], axis=1)
            low = np.take_along_axis(y, y.argmin(axis=1)[:, None], axis=1)
        else:
            top = low = np.zeros((len(y), 1))
        scale = np.maximum(top, -low)  # the largest |y|
        return cls(centre, np.where(scale > 0, scale, 1.0), top)


def _roles(curve: Curve) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    names = curve.params
    level = np.array([n in curve.level for n in names])
    time = np.array([n in curve.time for n in names])
    positive = np.array([n in curve.positive for n in names])
    return level, time, positive


def to_internal(curve: Curve, theta: np.ndarray, sc: Scaling) -> np.ndarray:
    """Natural parameters (B, P) to the solver's coordinates."""
    level, time, positive = _roles(curve)
    u = np.where(level, theta / sc.scale, theta)
    u = np.where(time, u - sc.centre, u)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(positive, np.log(u), u)


def to_natural(curve: Curve, u: np.ndarray, sc: Scaling) -> tuple[np.ndarray, np.ndarray]:
    """The solver's coordinates to natural parameters, and d(natural)/d(u)."""
    level, time, positive = _roles(curve)
    with np.errstate(over="ignore"):
        v = np.where(positive, np.exp(u), u)
    deriv = np.where(positive, v, 1.0)
    theta = np.where(level, v * sc.scale, v)
    deriv = np.where(level, deriv * sc.scale, deriv)
    theta = np.where(time, theta + sc.centre, theta)
    return theta, deriv


def self_start(
    curve: Curve, tc: np.ndarray, ys: np.ndarray, mask: np.ndarray, fixed: np.ndarray, ymax: np.ndarray | None = None
) -> np.ndarray:
    """Starting values on the scaled, centred problem, shape (B, P) natural-scaled.

    A straight line through the linearised curve (logit or log-log of y/K)
    for each of a few candidate ceilings K, keeping the candidate whose curve
    has the smallest sum of squares. ``tc`` are times centred on their mean
    over the observed points and ``ys`` values that are 0 where ``mask`` is
    False. ``fixed`` holds fixed values (scaled) and NaN where a parameter
    is free. ``ymax``, shape (B,), is the largest of ``ys`` if known.
    """
    B, N = tc.shape
    if ymax is None:
        ymax = ys.max(axis=1)
    ymax = np.maximum(ymax, 0.0)  # masked values are 0
    theta = np.empty((B, len(curve.params)))
    n_rows = block_rows(B, N)  # a block of rows at a time: the (rows, N) buffers stay in the CPU cache
    scratch = _scratch_memory(3 * n_rows * N).reshape(3, n_rows, N)
    for c in chunks(B, N):
        rows = c.stop - c.start
        theta[c] = _start_block(curve, tc[c], ys[c], mask[c], fixed[c], ymax[c], *scratch[:, :rows])
    return theta


def _start_block(curve, tc, ys, mask, fixed, ymax, tm, log_y, z):
    """:func:`self_start` on a block of rows, with (rows, N) scratch buffers."""
    B, N = tc.shape
    K_fixed = fixed[:, curve.params.index(curve.saturation)]
    any_fixed = not np.isnan(K_fixed).all()
    cand = np.where(np.isnan(K_fixed)[:, None], ymax[:, None] * _CEILINGS, K_fixed[:, None])  # (B, C)
    C = cand.shape[1]
    # The linearised value is a difference of logarithms: logit(y/K) = log y - log(K - y), and
    # -log(-log(y/K)) = -log(log K - log y); log y is shared by all candidates. The fractions
    # y/K are kept inside about [1e-6, 1 - 1e-6]. Sums run over all points: a masked point
    # (y = 0) adds a known constant, which is taken off again.
    all_observed = bool(mask.all())
    n = np.full(B, N) if all_observed else mask.sum(axis=1)
    n_masked = N - n
    n = np.maximum(n, 1)
    ones = np.ones(N)
    row_sum = np.empty(B)  # sums along rows as dot products with ones: np.sum is slower on short rows

    tm = tc if all_observed else np.multiply(tc, mask, out=tm)  # times, 0 at masked points
    rowdot(tm, ones, row_sum)
    xb = row_sum / n  # the centred times have mean 0, up to rounding
    sxx = np.empty(B)
    rowdot(tm, tm, sxx)
    sxx -= n * xb * xb
    floor = 1e-6 * np.where(ymax > 0, ymax, 1.0)[:, None]
    log_y = np.log(np.maximum(ys, floor, out=log_y), out=log_y)
    rowdot(log_y, ones, row_sum)
    log_y_sum = row_sum - n_masked * np.log(floor[:, 0])
    log_y_t = np.empty(B)
    rowdot(tm, log_y, log_y_t)
    sxz, zsum = np.empty((C, B)), np.empty((C, B))
    loglog = curve.linearisation == "loglog"
    with np.errstate(divide="ignore", invalid="ignore"):  # ymax = 0: no usable point, or all zeros
        for c in range(C):  # over the candidate ceilings, one (B, N) buffer reused
            K = cand[:, c : c + 1]
            # a candidate above the data needs no clipping, a fixed K may be below it
            if loglog:  # z = -log(log K - log y), with log K - log y >= 1e-6
                np.subtract(np.log(K), log_y, out=z)
                if any_fixed:
                    np.maximum(z, 1e-6, out=z)
                at_masked = np.log(np.maximum(np.log(K[:, 0]) - np.log(floor[:, 0]), 1e-6))
            else:  # z = log y - log(K - y), with K - y >= 1e-6 K
                np.subtract(K, ys, out=z)
                if any_fixed:
                    np.maximum(z, 1e-6 * K, out=z)
                at_masked = np.log(np.maximum(K[:, 0], 1e-6 * K[:, 0]))
            np.log(z, out=z)
            rowdot(tm, z, sxz[c])
            rowdot(z, ones, zsum[c])
            zsum[c] -= n_masked * at_masked
            if loglog:
                np.negative(sxz[c], out=sxz[c])
                np.negative(zsum[c], out=zsum[c])
            else:
                sxz[c] = log_y_t - sxz[c]
                zsum[c] = log_y_sum - zsum[c]
        zbar = zsum / n
        sxz -= n * xb * zbar
        slope = np.where(sxx > 0, sxz / np.where(sxx > 0, sxx, 1.0), 0.0).T  # (B, C)
        zbar = zbar.T
        midpoint = xb[:, None] - np.where(slope != 0, zbar / np.where(slope != 0, slope, 1.0), 0.0)
    rate = np.clip(np.abs(slope), 0.05, 50.0)
    midpoint = np.clip(midpoint, -200.0, 200.0)
    theta = curve.guess(cand, rate, midpoint, fixed, tc, mask)  # (B, C, P)

    sse = np.empty((C, B))
    with np.errstate(all="ignore"):
        for c in range(C):  # over the candidate ceilings, the buffer z again
            resid = curve.value(tc, theta[:, c], out=z)
            resid -= ys
            if not all_observed:
                resid *= mask
            rowdot(resid, resid, sse[c])
    sse = np.where(np.isfinite(sse), sse, np.inf)
    best = np.argmin(sse, axis=0)
    return theta[np.arange(B), best]


@dataclass(frozen=True)
class CurveFit:
    """The arrays of a batch of curve fits, in natural units."""

    params: np.ndarray  # (B, P)
    cov: np.ndarray  # (B, P, P); zero rows and columns for fixed parameters
    sigma2: np.ndarray  # (B,) residual variance
    sse: np.ndarray
    n_obs: np.ndarray
    n_free: np.ndarray
    n_iter: np.ndarray
    status: np.ndarray


def fit_curve(
    curve: Curve,
    t: np.ndarray,
    y: np.ndarray,
    mask: np.ndarray,
    fixed: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    start: np.ndarray | None = None,
    max_iter: int = 200,
) -> CurveFit:
    """Fit ``curve`` to B problems in one solver call.

    Parameters
    ----------
    t, y, mask : ndarray, shape (B, N)
    fixed : ndarray, shape (B, P)
        Fixed natural values, NaN where the parameter is fitted.
    weights : ndarray, shape (B, N), optional
    start : ndarray, shape (B, P), optional
        Natural starting values; by default :func:`self_start`.
    """
    t = np.asarray(t, dtype=float)
    y = np.asarray(y, dtype=float)
    finite = np.isfinite(y)
    finite &= np.isfinite(t)
    mask = np.logical_and(mask, finite, out=finite)
    if mask.all():  # no zeros to write: copies, which are then scaled in place
        tc, ys = t.copy(), y.copy()
    else:
        tc, ys = np.where(mask, t, 0.0), np.where(mask, y, 0.0)
    sc = Scaling.of(tc, ys, mask)
    tc -= sc.centre  # in place: large temporaries are costly (see curves._run)
    ys /= sc.scale
    free = np.isnan(fixed)
    fixed_scaled = to_internal_values(curve, fixed, sc)
    if start is None:
        theta0 = self_start(curve, tc, ys, mask, fixed_scaled, ymax=sc.top[:, 0] / sc.scale[:, 0])
        u0 = _scaled_to_u(curve, theta0)
    else:
        u0 = to_internal(curve, np.where(free, start, fixed), sc)

    positive = _roles(curve)[2]

    def natural_scaled(u):
        with np.errstate(over="ignore"):
            return np.where(positive, np.exp(u), u)

    # the solver evaluates the model on blocks of at most this many rows
    work = _Workspace(block_rows(*tc.shape), tc.shape[1], len(curve.params))

    def model(u, rows):
        v = natural_scaled(u)
        t_rows, out = work.take(tc, rows)  # the same buffers at every iteration
        f, J = curve.evaluate(t_rows, v, out=out)
        return f, J, np.where(positive, v, 1.0)  # d v / d u: the chain rule for the log-parameters

    u, sse_s, jtj, n_iter, status = solve(model, u0, ys, mask, free=free, weights=weights, max_iter=max_iter)
    theta, deriv = to_natural(curve, u, sc)

    n_obs = mask.sum(axis=1)
    n_free = free.sum(axis=1)
    dof = n_obs - n_free
    with np.errstate(all="ignore"):
        sigma2_s = np.where(dof > 0, sse_s / np.maximum(dof, 1), np.nan)
        cov_u, singular = _inverse_normal(jtj, free)
        cov = cov_u * sigma2_s[:, None, None] * deriv[:, :, None] * deriv[:, None, :]
    # a covariance that overflows in natural units (a step-like curve, r in the thousands) is no better
    singular |= ~np.isfinite(np.where(free[:, :, None] & free[:, None, :], cov, 0.0)).all(axis=(1, 2)) & (dof > 0)
    ok = status >= 0
    status = np.where(ok & singular & (n_free > 0), errors.FAILED_SINGULAR, status)
    failed = status < 0
    theta = np.where(free, theta, fixed)
    theta[failed] = np.nan
    cov[failed] = np.nan
    sigma2 = sigma2_s * sc.scale[:, 0] ** 2
    sigma2[failed] = np.nan
    return CurveFit(theta, cov, sigma2, sse_s * sc.scale[:, 0] ** 2, n_obs, n_free, n_iter, status)


_scratch = threading.local()
_SCRATCH_KEPT = 2**20  # floats (8 MB): more is allocated afresh and not kept


def _scratch_memory(n: int) -> np.ndarray:
    """``n`` floats of scratch memory, the same memory at every call from a thread.

    A fresh large array comes from the operating system a page at a time
    (a page fault for each 4 KiB written first); the self-start and the
    solver's row blocks reuse this memory from fit to fit instead. Row
    blocks hold some 2**15 points, so this is about 1.5 MB; only series of
    tens of thousands of points need more, which is not kept. The users of
    the memory run one after the other and keep nothing in it.
    """
    if n > _SCRATCH_KEPT:
        return np.empty(n)
    memory = getattr(_scratch, "memory", None)
    if memory is None or memory.size < n:
        memory = _scratch.memory = np.empty(n)
    return memory[:n]


class _Workspace:
    """The times, values and Jacobian of the solver's row blocks, in scratch memory."""

    def __init__(self, n_rows: int, n_points: int, n_params: int) -> None:
        memory = _scratch_memory((2 + n_params) * n_rows * n_points).reshape(2 + n_params, n_rows, n_points)
        self.t, self.f = memory[0], memory[1]
        self.J = np.moveaxis(memory[2:], 0, -1)  # each column J[..., j] contiguous, as curves lay it out

    def take(self, tc: np.ndarray, rows: np.ndarray):
        n = len(rows)
        t = np.take(tc, rows, axis=0, out=self.t[:n], mode="clip")  # "clip": no buffering; rows are valid
        return t, (self.f[:n], self.J[:n])


def to_internal_values(curve: Curve, theta: np.ndarray, sc: Scaling) -> np.ndarray:
    """Natural values to the scaled (not log) coordinates the start works in."""
    level, time, _ = _roles(curve)
    v = np.where(level, theta / sc.scale, theta)
    return np.where(time, v - sc.centre, v)


def _scaled_to_u(curve: Curve, theta_scaled: np.ndarray) -> np.ndarray:
    positive = _roles(curve)[2]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(positive, np.log(np.maximum(theta_scaled, 1e-300)), theta_scaled)


def _inverse_normal(H: np.ndarray, free: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(J'J)^-1 on the free block, zero elsewhere, and whether J'J is singular.

    ``H`` is J'J, shape (B, P, P); the rows and columns of fixed parameters
    are ignored.
    """
    d = np.sqrt(np.einsum("bpp->bp", H))
    d = np.where(free & (d > 0) & np.isfinite(d), d, 1.0)
    Hn = H / d[:, :, None] / d[:, None, :]
    both = free[:, :, None] & free[:, None, :]
    Hn = np.where(both, Hn, 0.0) + np.eye(H.shape[-1]) * (~free)[:, None, :]
    Hn = np.where(np.isfinite(Hn), Hn, 0.0)
    # The inverse by the solver's vectorised Cholesky (numpy's batched linalg costs about a
    # microsecond per tiny matrix). With a unit diagonal the largest eigenvalue lies in [1, P],
    # so the trace of the inverse is the condition number to within a factor P: singular
    # beyond 1e13, or where the factorisation fails.
    P = H.shape[-1]
    A = np.ascontiguousarray(np.moveaxis(Hn, 0, -1))  # (P, P, B)
    identity = np.broadcast_to(np.eye(P)[:, :, None], A.shape).copy()
    inv, ok = cholesky_solve(A, identity)
    inv = np.moveaxis(inv, -1, 0)
    singular = ~(ok & (np.einsum("bpp->b", inv) < 1e13))
    inv[singular] = np.nan
    inv = np.where(both, inv, 0.0) / d[:, :, None] / d[:, None, :]
    return inv, singular
