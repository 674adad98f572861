"""Batch Levenberg-Marquardt: many independent least-squares problems at once.

Arrays in, arrays out. Problem ``b`` minimises
``sum_n w[b, n] * mask[b, n] * (f(x[b])[n] - y[b, n])**2`` over the entries of
``x[b]`` where ``free[b]`` is True. The Python loop runs over iterations only;
every iteration works on the still-active problems as one array, and a problem
leaves the active set as soon as it meets a stopping rule. A problem that
cannot be fitted gets a failure status and never changes the others.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from . import errors

__all__ = ["solve"]

Model = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def _normal_equations(J: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """J'J of shape (b, P, P) and J'r of shape (b, P)."""
    H = np.matmul(J.transpose(0, 2, 1), J)
    g = np.matmul(J.transpose(0, 2, 1), r[..., None])[..., 0]
    return H, g


def solve(
    model: Model,
    x0: np.ndarray,
    y: np.ndarray,
    mask: np.ndarray,
    *,
    free: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    max_iter: int = 200,
    xtol: float = 1e-10,
    ftol: float = 1e-12,
    gtol: float = 1e-10,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Fit B problems by Levenberg-Marquardt with Marquardt's diagonal scaling.

    Parameters
    ----------
    model : callable
        ``model(x, rows)`` returns the model values, shape ``(len(rows), N)``,
        and their derivatives, ``(len(rows), N, P)``, for parameters ``x`` of
        shape ``(len(rows), P)`` of the problems ``rows``.
    x0 : ndarray, shape (B, P)
        Starting values; fixed entries stay at their starting value.
    y, mask : ndarray, shape (B, N)
        Observations and which of them count (ragged lengths, missing points).
    free : ndarray of bool, shape (B, P), optional
        Which parameters are fitted, per problem. All by default.
    weights : ndarray, shape (B, N), optional
        Non-negative weights of the squared residuals.
    max_iter : int
        Iterations (trial steps) per problem before giving up.
    xtol, ftol, gtol : float
        Stop when the step is below ``xtol * (|x| + xtol)``, the relative
        reduction of the cost is below ``ftol`` (actual and predicted), or the
        largest cosine between a Jacobian column and the residuals is below
        ``gtol``.

    Returns
    -------
    x : ndarray, shape (B, P)
        Solutions; NaN for failed problems.
    sse : ndarray, shape (B,)
        Weighted sum of squared residuals at ``x``.
    n_iter : ndarray of int, shape (B,)
    status : ndarray of int, shape (B,)
        Codes from :mod:`growthcast.errors` (> 0 converged, 0 iteration limit,
        < 0 failed).
    """
    x0 = np.asarray(x0, dtype=float)
    B, P = x0.shape
    y = np.asarray(y, dtype=float)
    mask = np.asarray(mask, dtype=bool)
    free = np.ones((B, P), dtype=bool) if free is None else np.asarray(free, dtype=bool)
    w = np.ones_like(y) if weights is None else np.asarray(weights, dtype=float)
    sw = np.where(mask, np.sqrt(np.where(mask, w, 0.0)), 0.0)
    y0 = np.where(mask, y, 0.0)

    x = x0.copy()
    sse = np.full(B, np.nan)
    n_iter = np.zeros(B, dtype=int)
    status = np.full(B, errors.MAX_ITERATIONS, dtype=int)

    n_obs = (sw > 0).sum(axis=1)
    too_few = n_obs < free.sum(axis=1)
    status[too_few] = errors.FAILED_TOO_FEW_POINTS

    rows = np.flatnonzero(~too_few)
    with np.errstate(all="ignore"):
        f, J = model(x[rows], rows)
        r = (f - y0[rows]) * sw[rows]
        cost = 0.5 * np.einsum("bn,bn->b", r, r)
        bad = ~np.isfinite(cost) | ~np.all(np.isfinite(x[rows]), axis=1)
        status[rows[bad]] = errors.FAILED_NONFINITE
        keep = ~bad
        rows, r, cost, J = rows[keep], r[keep], cost[keep], J[keep]
        fr = free[rows]
        J = J * sw[rows][..., None] * fr[:, None, :]
        H, g = _normal_equations(J, r)
        Dscale = np.maximum(np.einsum("bpp->bp", H), 1e-300)
        lam = np.full(len(rows), 1e-3)
        nu = np.full(len(rows), 2.0)
        eye = np.eye(P)

        for _ in range(max_iter):
            if rows.size == 0:
                break
            # convergence at the current point: zero cost or a tiny gradient
            diagH = np.einsum("bpp->bp", H)
            col_norm = np.sqrt(np.maximum(diagH, 0.0))
            res_norm = np.sqrt(2.0 * cost)
            with np.errstate(divide="ignore", invalid="ignore"):
                cosine = np.where(col_norm > 0, np.abs(g) / (col_norm * res_norm[:, None]), 0.0)
            done_g = (cost == 0.0) | (np.nanmax(cosine, axis=1) <= gtol)

            Dscale = np.maximum(Dscale, diagH)
            D = np.where(fr, Dscale, 1.0)
            A = np.where(fr[:, :, None] & fr[:, None, :], H, 0.0) + eye * (
                (lam[:, None] * D) + (~fr)
            )[:, None, :]
            step = -np.linalg.solve(A, np.where(fr, g, 0.0)[..., None])[..., 0]
            step = np.where(fr, step, 0.0)
            x_rows = x[rows]
            x_new = x_rows + step
            f_new, J_new = model(x_new, rows)
            r_new = (f_new - y0[rows]) * sw[rows]
            cost_new = 0.5 * np.einsum("bn,bn->b", r_new, r_new)
            predicted = -(np.einsum("bp,bp->b", g, step) + 0.5 * np.einsum("bp,bpq,bq->b", step, H, step))
            actual = cost - cost_new
            finite = np.isfinite(cost_new) & np.all(np.isfinite(x_new), axis=1)
            rho = np.where(predicted > 0, actual / np.where(predicted > 0, predicted, 1.0), -1.0)
            accept = finite & (actual > 0) & (rho > 1e-4) & ~done_g

            step_norm = np.sqrt(np.einsum("bp,bp->b", step, step))
            x_norm = np.sqrt(np.einsum("bp,bp->b", x_rows, x_rows))
            small_step = step_norm <= xtol * (x_norm + xtol)
            small_cost = accept & (actual <= ftol * cost) & (predicted <= ftol * cost)

            n_iter[rows] += ~done_g
            # accepted steps move; the damping follows Nielsen's rule
            lam = np.where(accept, lam * np.maximum(1.0 / 3.0, 1.0 - (2.0 * rho - 1.0) ** 3), lam * nu)
            nu = np.where(accept, 2.0, nu * 2.0)
            if accept.any():
                a = np.flatnonzero(accept)
                x[rows[a]] = x_new[a]
                cost[a] = cost_new[a]
                r[a] = r_new[a]
                J_a = J_new[a] * sw[rows[a]][..., None] * fr[a][:, None, :]
                H[a], g[a] = _normal_equations(J_a, r_new[a])

            stuck = ~accept & (small_step | (lam > 1e16))
            finished = done_g | (accept & small_step) | small_cost | stuck
            status[rows[done_g]] = errors.CONVERGED_GRADIENT
            status[rows[~done_g & ((accept & small_step) | stuck)]] = errors.CONVERGED_STEP
            status[rows[~done_g & ~(accept & small_step) & ~stuck & small_cost]] = errors.CONVERGED_COST
            sse[rows[finished]] = 2.0 * cost[finished]
            keep = ~finished
            if not keep.all():
                rows, r, cost, H, g = rows[keep], r[keep], cost[keep], H[keep], g[keep]
                lam, nu, Dscale, fr = lam[keep], nu[keep], Dscale[keep], fr[keep]

        sse[rows] = 2.0 * cost  # problems that hit max_iter keep their best point

    failed = status < 0
    x[failed] = np.nan
    sse[failed] = np.nan
    return x, sse, n_iter, status
