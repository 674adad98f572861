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

from .. import errors
from .linalg import chunks, cholesky_solve, pdot, rowdot

__all__ = ["solve"]

Residuals = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray | None]]

_RHO_MIN = 1e-4  # smallest ratio of actual to predicted reduction that accepts a step
_LAM_MAX = 1e16  # damping beyond which a problem is stuck
_TINY = 1e-300
_LAM0 = 1e-3  # initial damping, relative to the largest diagonal entry of J'J

# Inside the loop the per-problem state is stored problem-last, every number of
# every problem in one (rows, b) float array: each scalar of the active problems
# is one contiguous (b,) vector, the small linear algebra runs as a few vector
# operations, and accepting steps or dropping finished problems is one array
# operation for the whole state instead of one per quantity.
class _Layout:
    """Rows of the state array for P parameters.

    ``x`` (P), ``g = J'r`` (P), ``J'J`` (P * P, row-major), the half sum of
    squares, then the damping's ``Dscale``, ``lam``, ``nu`` and whether the
    last step's quadratic model proved exact (0 or 1). The first
    :attr:`point` rows are what an accepted step replaces.
    """

    def __init__(self, P: int) -> None:
        self.P = P
        self.x = slice(0, P)
        self.g = slice(P, 2 * P)
        self.H = slice(2 * P, 2 * P + P * P)
        self.diag = slice(2 * P, 2 * P + P * P, P + 1)
        self.cost = 2 * P + P * P
        self.point = self.cost + 1
        self.dscale, self.lam, self.nu, self.trusted = range(self.point, self.point + 4)
        self.rows = self.point + 4

    def jtj(self, state: np.ndarray) -> np.ndarray:
        """J'J as (P, P, b): a view of the state."""
        return state[self.H].reshape(self.P, self.P, -1)


def _evaluate(
    model: Residuals,
    point: np.ndarray,
    lay: _Layout,
    rows: np.ndarray,
    y: np.ndarray,
    sw: np.ndarray | None,
) -> None:
    """Fill the half sum of squares, J'J and J'r of ``point`` (the first
    :attr:`_Layout.point` rows of a state) at its ``x`` rows, in place.

    The model runs block by block of rows: the (rows, N, P) Jacobian of a
    large batch would not fit in the CPU cache, and forming it whole costs
    more in memory traffic than the arithmetic does. Each entry is a dot
    product over one problem's own points, so a problem's numbers never
    depend on the rest of the batch.
    """
    P = lay.P
    cost, g, H = point[lay.cost], point[lay.g], lay.jtj(point)
    xt = point[lay.x].T
    for c in chunks(point.shape[1], y.shape[1]):
        f, J, col_scale = model(xt[c], rows[c])
        r = np.subtract(f, y[c], out=f)  # the model's values are not needed again
        cols = [J[..., p] for p in range(P)]
        if sw is not None:
            r *= sw[c]
            cols = [col * sw[c] for col in cols]
        rowdot(r, r, cost[c])
        for p in range(P):
            rowdot(cols[p], r, g[p, c])
            for q in range(p, P):
                rowdot(cols[p], cols[q], H[p, q, c])
        if col_scale is not None:  # J diag(d): scale J'r and J'J, not the (rows, N) columns
            d = col_scale.T
            g[:, c] *= d
            H[:, :, c] *= d[:, None, :] * d[None, :, :]
    cost *= 0.5
    for p in range(P):
        for q in range(p):
            H[p, q] = H[q, p]


def _fix(point: np.ndarray, lay: _Layout, fixed: np.ndarray | None) -> None:
    """Zero the rows and columns of fixed parameters in J'J, with a unit
    diagonal, and their entries of J'r (in place).

    Their step is then exactly zero and they never count in a convergence test.
    """
    if fixed is None:
        return
    H, g = lay.jtj(point), point[lay.g]
    for p in range(lay.P):
        H[p][fixed] = 0.0
        H[:, p][fixed] = 0.0
        H[p, p][fixed[p]] = 1.0
        g[p][fixed[p]] = 0.0


def _largest_free(diagH: np.ndarray, fixed: np.ndarray | None) -> np.ndarray:
    """The largest diagonal entry of J'J over the free parameters, shape (b,)."""
    return (diagH if fixed is None else np.where(fixed, 0.0, diagH)).max(axis=0)


def solve(
    model: Residuals,
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
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Fit B problems by Levenberg-Marquardt.

    Parameters
    ----------
    model : callable
        ``model(x, rows)`` returns the model values ``f``, shape
        ``(len(rows), N)``, derivatives ``J``, ``(len(rows), N, P)``, and
        ``d``, ``(len(rows), P)`` or None, for parameters ``x`` of shape
        ``(len(rows), P)`` of the problems ``rows``: the Jacobian with respect
        to ``x`` is ``J`` with column ``p`` times ``d[:, p]`` (a chain rule,
        such as ``d = exp(x)`` for a parameter fitted by its logarithm, costs
        nothing then on the ``(len(rows), N)`` arrays). It is called on
        blocks of rows, and must treat each row on its own. Derivatives laid
        out in memory as ``(len(rows), P, N)`` (as :mod:`growthcast.curves`
        returns them) are read fastest. The solver may overwrite the
        arrays it gets back, so a model may hand back the same buffers at
        every call.
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
    jtj : ndarray, shape (B, P, P)
        ``J'J`` of the weighted residuals at ``x``, with the rows and columns
        of fixed parameters zero but for a unit diagonal: the covariance
        needs it, and the solver has it already.
    n_iter : ndarray of int, shape (B,)
    status : ndarray of int, shape (B,)
        Codes from :mod:`growthcast.errors` (> 0 converged, 0 iteration limit,
        < 0 failed).

    Notes
    -----
    Each iteration solves ``(J'J + lam d I) step = -J'r``, where ``d`` is the
    running maximum of the largest diagonal entry of ``J'J`` over the free
    parameters, and updates ``lam`` by Nielsen's rule (Nielsen 1999; Madsen,
    Nielsen and Tingleff 2004). The damping is isotropic, as in MINPACK with
    unit scaling (scipy's ``least_squares(method="lm")`` default), rather
    than Marquardt's ``diag(J'J)``: the callers hand over problems already
    on a unit scale, and a diagonal damping lets poorly determined
    parameters (a Richards ``nu``, a Bass ``p``) take huge first steps from
    a distant start into regions where the curve is flat. The cost test is
    MINPACK's: both the actual and the predicted relative reduction below
    ``ftol``, whether or not round-off left the step acceptable; and where
    the last step's actual reduction was within 25% of its prediction, a
    predicted reduction below ``ftol`` alone stops the problem without
    evaluating a step that could only confirm it (the point is then within
    about ``ftol`` of the optimum in relative sum of squares).

    The Python loop runs over iterations; each works on the still-active
    problems as one array, compacted whenever problems stop, so converged
    problems cost nothing more. Every operation acts on one problem's own
    numbers, so a problem's result does not depend on the rest of the batch.
    """
    x0 = np.asarray(x0, dtype=float)
    B, P = x0.shape
    y = np.asarray(y, dtype=float)
    mask = np.asarray(mask, dtype=bool)
    free = np.ones((B, P), dtype=bool) if free is None else np.asarray(free, dtype=bool)
    if weights is None:
        sw, counted = None, mask  # the square roots of the weights are made only if needed
    else:
        with np.errstate(invalid="ignore"):
            w = np.asarray(weights, dtype=float)
            sw = np.sqrt(np.where(mask & (w > 0), w, 0.0))  # NaN or negative weights: the point is left out
        counted = sw > 0
    y0 = y if mask.all() else np.where(mask, y, 0.0)  # only read

    x = x0.copy()
    sse = np.full(B, np.nan)
    jtj = np.full((B, P, P), np.nan)
    n_iter = np.zeros(B, dtype=int)
    status = np.full(B, errors.MAX_ITERATIONS, dtype=int)

    n_obs = counted.sum(axis=1)
    too_few = n_obs < free.sum(axis=1)
    status[too_few] = errors.FAILED_TOO_FEW_POINTS
    rows = np.flatnonzero(~too_few)
    # Unit weights on every point need no multiplication, all-free no masking.
    unit = bool(mask[rows].all()) if weights is None else bool(np.all(sw[rows] == 1.0))
    all_free = bool(np.all(free[rows]))

    lay = _Layout(P)
    with np.errstate(all="ignore"):
        ya = y0 if rows.size == B else y0[rows]  # (b, N)
        swa = None if unit else (mask[rows].astype(float) if sw is None else sw[rows])
        fixa = None if all_free else np.ascontiguousarray(~free[rows].T)
        state = np.empty((lay.rows, rows.size))
        state[lay.x] = x[rows].T
        _evaluate(model, state, lay, rows, ya, swa)
        _fix(state, lay, fixa)
        # a start whose value or derivatives are not finite cannot be fitted; J'J's off-diagonal
        # entries are finite where its diagonal is (Cauchy-Schwarz), so the whole point is checked
        bad = ~np.isfinite(state[: lay.point]).all(axis=0)
        status[rows[bad]] = errors.FAILED_NONFINITE
        state[lay.dscale] = np.maximum(_largest_free(state[lay.diag], fixa), _TINY)
        state[lay.lam] = _LAM0
        state[lay.nu] = 2.0
        state[lay.trusted] = 0.0
        data = [ya, swa, fixa]
        if bad.any():
            rows, state, data = _compact(~bad, rows, state, data)

        for it in range(max_iter):
            if rows.size == 0:
                break
            ya, swa, fixa = data
            # convergence at the current point: zero cost or a tiny gradient,
            # |J_p'r| <= gtol |J_p| |r| for every column p
            cost = state[lay.cost]
            done_g = np.all(np.abs(state[lay.g]) <= np.sqrt(state[lay.diag]) * (gtol * np.sqrt(2.0 * cost)), axis=0)
            done_g |= cost == 0.0
            if done_g.any():
                _store(done_g, rows, state, lay, x, sse, jtj)
                status[rows[done_g]] = errors.CONVERGED_GRADIENT
                n_iter[rows[done_g]] = it
                rows, state, data = _compact(~done_g, rows, state, data)
                if rows.size == 0:
                    break
                ya, swa, fixa = data

            cost, lam, Dscale = state[lay.cost], state[lay.lam], state[lay.dscale]
            np.maximum(Dscale, _largest_free(state[lay.diag], fixa), out=Dscale)
            lamD = lam * Dscale
            g = state[lay.g]
            step, pd = cholesky_solve(lay.jtj(state), -g, shift=lamD)
            # (H + lam d I) step = -g, so the model's reduction -(g.step + step.H.step / 2) is
            step2 = pdot(step, step)
            predicted = 0.5 * (lamD * step2 - pdot(g, step))

            # Where the quadratic model has just proved exact (the last step's
            # actual reduction within 25% of its prediction) and it now
            # predicts less than ftol, the point is converged: stop without
            # evaluating a step that could only confirm it.
            early = (state[lay.trusted] > 0.0) & pd & (predicted <= ftol * cost)
            if early.any():
                _store(early, rows, state, lay, x, sse, jtj)
                status[rows[early]] = errors.CONVERGED_COST
                n_iter[rows[early]] = it
                keep = ~early
                rows, state, data = _compact(keep, rows, state, data)
                if rows.size == 0:
                    break
                ya, swa, fixa = data
                step2, step, predicted, pd = step2[keep], step[:, keep], predicted[keep], pd[keep]
                cost, lam = state[lay.cost], state[lay.lam]

            trial = np.empty((lay.point, rows.size))
            xa = state[lay.x]
            np.add(xa, step, out=trial[lay.x])
            _evaluate(model, trial, lay, rows, ya, swa)
            _fix(trial, lay, fixa)
            actual = cost - trial[lay.cost]
            # a point whose value or derivatives are not finite cannot be moved to
            finite = pd & np.isfinite(trial).all(axis=0)
            positive = predicted > 0
            rho = np.where(positive, actual / np.where(positive, predicted, 1.0), -1.0)
            accept = finite & (actual > 0) & (rho > _RHO_MIN)

            step_norm = np.sqrt(step2)
            x_norm = np.sqrt(pdot(xa, xa))
            small_step = step_norm <= xtol * (x_norm + xtol)
            # MINPACK's test: both reductions at the tolerance, whether or not
            # round-off left the actual one positive (then the step is not taken)
            tiny = ftol * cost
            small_cost = (np.abs(actual) <= tiny) & (predicted <= tiny) & (rho <= 2.0) & finite

            # accepted steps move; the damping follows Nielsen's rule
            shrink = 2.0 * rho - 1.0
            shrink = np.maximum(1.0 / 3.0, 1.0 - shrink * shrink * shrink)
            nu = state[lay.nu]
            state[lay.lam] = np.where(accept, lam * shrink, lam * nu)
            state[lay.nu] = np.where(accept, 2.0, nu * 2.0)
            np.copyto(state[: lay.point], trial, where=accept)
            state[lay.trusted] = accept & (np.abs(rho - 1.0) <= 0.25)

            stuck = ~accept & (small_step | (state[lay.lam] > _LAM_MAX))
            at_step = (accept & small_step) | stuck
            finished = at_step | small_cost
            if finished.any():
                _store(finished, rows, state, lay, x, sse, jtj)
                done = rows[finished]
                status[done] = np.where(at_step[finished], errors.CONVERGED_STEP, errors.CONVERGED_COST)
                n_iter[done] = it + 1
                rows, state, data = _compact(~finished, rows, state, data)

        # problems that hit max_iter keep their best point
        if rows.size:
            _store(np.ones(rows.size, dtype=bool), rows, state, lay, x, sse, jtj)
            n_iter[rows] = max_iter

    failed = status < 0
    x[failed] = np.nan
    sse[failed] = np.nan
    jtj[failed] = np.nan
    return x, sse, jtj, n_iter, status


def _store(sel, rows, state, lay, x, sse, jtj):
    """Copy the point, sum of squares and J'J of the active problems ``sel`` out."""
    done = state[:, sel]
    x[rows[sel]] = done[lay.x].T
    sse[rows[sel]] = 2.0 * done[lay.cost]
    jtj[rows[sel]] = done[lay.H].T.reshape(-1, lay.P, lay.P)


def _compact(keep, rows, state, data):
    """Keep the active problems ``keep``: the last axis of the state, the
    first of the (b, N) data, the last of the fixed flags (P, b)."""
    ya, swa, fixa = data
    return rows[keep], state[:, keep], [ya[keep], None if swa is None else swa[keep],
                                        None if fixa is None else fixa[:, keep]]
