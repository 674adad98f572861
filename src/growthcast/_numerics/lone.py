"""One curve fit on 1-D arrays: the batch core's arithmetic without the batch.

:func:`~growthcast._numerics.curvefit.fit_curve` on one problem spends
nearly all its time in numpy's overhead per call on arrays of one row (about
1.5 ms for a logistic on 56 points). Here the work on the points (the curve,
its Jacobian and the dot products) stays in numpy on 1-D arrays, and the
small algebra on the parameters (the damped Cholesky solve, the stopping
rules, the covariance) runs on Python floats.

Every operation is the one the batch core performs for that problem, in the
same order and on the same values (IEEE arithmetic gives the same bits in
numpy and in Python), so the iterates, the stopping decisions and the result
are the batch's: the scaling and centring of ``curvefit.Scaling``, the
starts of ``curvefit.self_start``, the Levenberg-Marquardt rules of
``lm.solve`` and the covariance of ``curvefit.fit_curve``. Keep the two in step when either changes;
``tests/test_lone_fit.py`` compares them on real and synthetic series.

Only fits that succeed are finished here: :func:`fit_one` returns None for
a problem the batch would fail (too few points, non-finite values, a
singular covariance), and the caller then runs the batch core, whose
statuses and messages are the reference.
"""

from __future__ import annotations

import math

import numpy as np

from .. import errors
from ..curves import Curve
from .curvefit import CurveFit

__all__ = ["fit_one"]

# The batch core's settings: lm.solve's tolerances and damping, fit_curve's iteration limit and
# self_start's candidate ceilings (tests/test_lone_fit.py fails if they drift apart)
XTOL, FTOL, GTOL = 1e-10, 1e-12, 1e-10
RHO_MIN, LAM_MAX, TINY, LAM0 = 1e-4, 1e16, 1e-300, 1e-3
_MAX_ITER = 200
_CEILINGS = np.array([1.1, 1.6, 3.0])
_vecdot = getattr(np, "vecdot", None)


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Dot products over the last axis, by the batch core's own routine (``linalg.rowdot``)."""
    if _vecdot is not None:
        return _vecdot(a, b)
    return np.einsum("...n,...n->...", a, b)


def _pdot(a: list, b: list) -> float:
    out = a[0] * b[0]
    for p in range(1, len(a)):
        out += a[p] * b[p]
    return out


def _start(curve: Curve, tc: np.ndarray, ys: np.ndarray, fixed: np.ndarray, ymax: float) -> np.ndarray:
    """:func:`~growthcast._numerics.curvefit.self_start` for one fully observed problem, natural-scaled (P,).

    The sums over the points run in numpy (the batch's dot product), the line of each candidate ceiling
    on Python floats.
    """
    N = len(tc)
    ymax = max(ymax, 0.0)
    K_fixed = fixed[curve.params.index(curve.saturation)]
    any_fixed = not math.isnan(K_fixed)
    cand = _CEILINGS * ymax if not any_fixed else np.full(len(_CEILINGS), K_fixed)  # (C,)
    n = N
    ones = np.ones(N)
    xb = float(_dot(tc, ones)) / n
    sxx = float(_dot(tc, tc)) - n * xb * xb
    floor = 1e-6 * (ymax if ymax > 0 else 1.0)
    log_y = np.log(np.maximum(ys, floor))
    log_y_sum = float(_dot(log_y, ones))
    log_y_t = float(_dot(tc, log_y))
    K = cand[:, None]
    loglog = curve.linearisation == "loglog"
    if loglog:  # z = -log(log K - log y)
        z = np.subtract(np.log(K), log_y)
        if any_fixed:
            np.maximum(z, 1e-6, out=z)
    else:  # z = log y - log(K - y)
        z = np.subtract(K, ys)
        if any_fixed:
            np.maximum(z, 1e-6 * K, out=z)
    np.log(z, out=z)
    rates, midpoints = [], []
    for sxz, zsum in zip(_dot(tc, z).tolist(), _dot(z, ones).tolist()):
        if loglog:
            sxz, zsum = -sxz, -zsum
        else:
            sxz, zsum = log_y_t - sxz, log_y_sum - zsum
        zbar = zsum / n
        sxz = sxz - n * xb * zbar
        slope = sxz / sxx if sxx > 0 else 0.0
        midpoint = xb - (zbar / slope if slope != 0 else 0.0)
        rates.append(min(max(abs(slope), 0.05), 50.0))
        midpoints.append(min(max(midpoint, -200.0), 200.0))
    theta = curve.guess(cand[None, :], np.array([rates]), np.array([midpoints]), fixed[None, :], tc[None, :],
                        np.ones((1, N), dtype=bool))[0]
    resid = curve.value(tc, theta, out=np.empty((len(cand), N)))
    resid -= ys
    sse = _dot(resid, resid)
    sse = np.where(np.isfinite(sse), sse, np.inf)
    return theta[int(np.argmin(sse))]


class _Problem:
    """The scaled problem and its model: cost, J'J and J'r at the solver's coordinates u."""

    def __init__(self, curve: Curve, tc: np.ndarray, ys: np.ndarray, free: list[bool]) -> None:
        self.curve, self.tc, self.ys = curve, tc, ys
        P = len(curve.params)
        self.P = P
        self.positive = np.array([name in curve.positive for name in curve.params])
        # rows 0..P-1 the Jacobian's columns, row P the values and then the residuals: one call of the
        # batch's dot product gives J'J, J'r and r'r together, each entry by the same routine
        self.memory = np.empty((P + 1, len(tc)))
        self.J, self.f = self.memory[:P].T, self.memory[P]
        self.pairs = (self.memory[:, None, :], self.memory[None, :, :])
        self.d = np.ones(P + 1)  # d(natural)/du of each parameter, and 1 for the residuals' row
        self.d_params, self.out = self.d[:P], (self.f, self.J)
        self.fixed = [p for p in range(P) if not free[p]]

    def evaluate(self, u: list[float]) -> tuple[float, list[list[float]], list[float]]:
        P = self.P
        v = np.array(u)
        np.copyto(v, np.exp(v), where=self.positive)
        self.curve.evaluate(self.tc, v, out=self.out)
        self.f -= self.ys
        products = _dot(*self.pairs)
        d = self.d
        np.copyto(self.d_params, v, where=self.positive)
        products *= np.multiply.outer(d, d)  # the chain rule for the log-parameters; r'r is multiplied by 1
        H = products.tolist()
        g = H.pop()
        cost = 0.5 * g.pop()
        for row in H:
            del row[P]
        for p in self.fixed:
            for q in range(P):
                H[p][q] = H[q][p] = 0.0
            H[p][p], g[p] = 1.0, 0.0
        return cost, H, g


def _finite(x: list[float]) -> bool:
    return all(map(math.isfinite, x))


def _factor_lines(P: int) -> list[str]:
    """Python lines factoring ``A + shift I`` into locals ``L{i}_{j}`` and ``i{j} = 1 / L{j}_{j}``, as
    ``linalg.cholesky_solve`` does, returning None when it is not positive definite."""
    lines = []
    for j in range(P):
        lines.append(f"    d = A[{j}][{j}] + shift")
        lines += [f"    d = d - L{j}_{k} * L{j}_{k}" for k in range(j)]
        lines += ["    if not d > 0.0:", "        return None", f"    i{j} = 1.0 / sqrt(d)"]
        for i in range(j + 1, P):
            lines.append(f"    v = A[{i}][{j}]")
            lines += [f"    v = v - L{i}_{k} * L{j}_{k}" for k in range(j)]
            lines.append(f"    L{i}_{j} = v * i{j}")
    return lines


def _substitution_lines(P: int, rhs: str, indent: str) -> list[str]:
    """Python lines solving ``L L' x = rhs`` into locals ``x{i}``, in ``linalg.cholesky_solve``'s order."""
    lines = []
    for i in range(P):
        lines.append(f"{indent}v = {rhs.format(i=i)}")
        lines += [f"{indent}v = v - L{i}_{k} * z{k}" for k in range(i)]
        lines.append(f"{indent}z{i} = v * i{i}")
    for i in reversed(range(P)):
        lines.append(f"{indent}v = z{i}")
        lines += [f"{indent}v = v - L{k}_{i} * x{k}" for k in range(i + 1, P)]
        lines.append(f"{indent}x{i} = v * i{i}")
    return lines


def _compiled(P: int) -> tuple:
    """Straight-line code of size P (a loop with list indexing costs several times as much), made once.

    ``solve(A, rhs, shift)``: the solutions of ``(A + shift I) x = b`` for each ``b`` in ``rhs``.
    ``step(A, g, u, shift)``: the damped step ``x = -(A + shift I)^-1 g`` as ``(u + x, x'x, g'x)``,
    the sums in :func:`~growthcast._numerics.linalg.pdot`'s order. Both None where the matrix is not
    numerically positive definite.
    """
    xs = ", ".join(f"x{i}" for i in range(P))
    solve = ["def solve(A, rhs, shift):", *_factor_lines(P), "    out = []", "    for b in rhs:",
             *_substitution_lines(P, "b[{i}]", "        "), f"        out.append([{xs}])", "    return out"]
    step = ["def step(A, g, u, shift):", *_factor_lines(P), *_substitution_lines(P, "-g[{i}]", "    "),
            f"    return ([{', '.join(f'u[{i}] + x{i}' for i in range(P))}], "
            f"{' + '.join(f'x{i} * x{i}' for i in range(P))}, {' + '.join(f'g[{i}] * x{i}' for i in range(P))})"]
    namespace = {"sqrt": math.sqrt}
    exec("\n".join(solve + step), namespace)  # noqa: S102 -- source made above from integers only
    return namespace["solve"], namespace["step"]


_COMPILED: dict[int, tuple] = {}


def _code(P: int) -> tuple:
    if P not in _COMPILED:
        _COMPILED[P] = _compiled(P)
    return _COMPILED[P]


def _cholesky_solve(A: list[list[float]], rhs: list[list[float]], shift: float) -> list[list[float]] | None:
    """:func:`~growthcast._numerics.linalg.cholesky_solve` of ``(A + shift I) x = b`` for each ``b`` in
    ``rhs``; None if ``A + shift I`` is not numerically positive definite."""
    return _code(len(A))[0](A, rhs, shift)


def _solve(problem: _Problem, u: list[float], free: list[bool]):
    """:func:`~growthcast._numerics.lm.solve` for one problem: (u, sse, J'J, n_iter, status), or None on a
    failure."""
    P = len(u)
    isfinite, sqrt = math.isfinite, math.sqrt
    damped_step = _code(P)[1]
    free_p = [p for p in range(P) if free[p]]
    cost, H, g = problem.evaluate(u)
    diag = [H[p][p] for p in range(P)]
    if not (isfinite(cost) and _finite(u + g + diag)):
        return None
    Dscale = max(max([diag[p] for p in free_p], default=0.0), TINY)  # fixed entries count as 0
    lam, nu, trusted = LAM0, 2.0, False
    for it in range(_MAX_ITER):
        bound = GTOL * sqrt(2.0 * cost)
        if cost == 0.0 or all([abs(gp) <= sqrt(dp) * bound for gp, dp in zip(g, diag)]):
            return u, 2.0 * cost, H, it, errors.CONVERGED_GRADIENT
        largest = max([diag[p] for p in free_p]) if len(free_p) == P else max([diag[p] for p in free_p] + [0.0])
        Dscale = max(Dscale, largest)
        lamD = lam * Dscale
        solved = damped_step(H, g, u, lamD)
        if solved is not None:
            u_new, step2, g_step = solved
            predicted = 0.5 * (lamD * step2 - g_step)
            if trusted and predicted <= FTOL * cost:
                return u, 2.0 * cost, H, it, errors.CONVERGED_COST
            cost_new, H_new, g_new = problem.evaluate(u_new)
            diag_new = [H_new[p][p] for p in range(P)]
            actual = cost - cost_new
            finite = isfinite(cost_new) and _finite(u_new + g_new + diag_new)
            rho = actual / predicted if predicted > 0 else -1.0
            accept = finite and actual > 0 and rho > RHO_MIN
            small_step = sqrt(step2) <= XTOL * (sqrt(_pdot(u, u)) + XTOL)
            tiny = FTOL * cost
            small_cost = abs(actual) <= tiny and predicted <= tiny and rho <= 2.0 and finite
        else:  # the batch's step is then not finite: nothing is accepted and the damping grows
            accept = small_step = small_cost = False
        if accept:
            shrink = 2.0 * rho - 1.0
            lam = lam * max(1.0 / 3.0, 1.0 - shrink * shrink * shrink)
            nu = 2.0
            u, g, H, cost, diag = u_new, g_new, H_new, cost_new, diag_new
            trusted = abs(rho - 1.0) <= 0.25
        else:
            lam, nu, trusted = lam * nu, nu * 2.0, False
        stuck = not accept and (small_step or lam > LAM_MAX)
        at_step = (accept and small_step) or stuck
        if at_step or small_cost:
            return u, 2.0 * cost, H, it + 1, errors.CONVERGED_STEP if at_step else errors.CONVERGED_COST
    return u, 2.0 * cost, H, _MAX_ITER, errors.MAX_ITERATIONS


def _inverse_normal(H: list[list[float]], free: list[bool]) -> list[list[float]] | None:
    """``curvefit._inverse_normal`` for one problem; None where J'J is singular."""
    P = len(H)
    d = [math.sqrt(H[p][p]) if H[p][p] >= 0 else math.nan for p in range(P)]
    d = [v if free[p] and v > 0 and math.isfinite(v) else 1.0 for p, v in enumerate(d)]
    A = [[0.0] * P for _ in range(P)]
    for p in range(P):
        for q in range(P):
            v = H[p][q] / d[p] / d[q] if free[p] and free[q] else 0.0
            if p == q and not free[p]:
                v = v + 1.0
            A[p][q] = v if math.isfinite(v) else 0.0
    inv = _cholesky_solve(A, [[1.0 if i == k else 0.0 for i in range(P)] for k in range(P)], 0.0)
    if inv is None:
        return None
    trace = inv[0][0]
    for p in range(1, P):
        trace += inv[p][p]
    if not trace < 1e13:
        return None
    # inv[k] solves A x = e_k: column k of the inverse
    return [[inv[q][p] / d[p] / d[q] if free[p] and free[q] else 0.0 for q in range(P)] for p in range(P)]


def fit_one(curve: Curve, t: np.ndarray, y: np.ndarray, fixed: np.ndarray) -> CurveFit | None:
    """Fit ``curve`` to one fully observed series, as ``fit_curve`` would in a batch.

    Parameters
    ----------
    t, y : ndarray, shape (N,)
        Finite times and values.
    fixed : ndarray, shape (P,)
        Fixed natural values, NaN where the parameter is fitted.

    Returns
    -------
    CurveFit or None
        The fit with a batch axis of one; None where ``fit_curve`` would
        report a failure (the caller then asks it for the status and message).
    """
    P = len(curve.params)
    N = len(t)
    free = [bool(math.isnan(v)) for v in fixed.tolist()]
    n_free = sum(free)
    if N <= n_free:
        return None
    centre = float(t.sum()) / N
    top = float(y.max())
    scale = max(top, -float(y.min()))
    scale = scale if scale > 0 else 1.0
    tc = t - centre
    ys = y / scale
    level = [name in curve.level for name in curve.params]
    time = [name in curve.time for name in curve.params]
    positive = [name in curve.positive for name in curve.params]
    fixed_scaled = np.array([
        (((v / scale) if level[p] else v) - centre) if time[p] else ((v / scale) if level[p] else v)
        for p, v in enumerate(fixed.tolist())])
    with np.errstate(all="ignore"):
        theta0 = _start(curve, tc, ys, fixed_scaled, top / scale)
        u0 = np.where(positive, np.log(np.maximum(theta0, 1e-300)), theta0).tolist()
        solved = _solve(_Problem(curve, tc, ys, free), u0, free)
        if solved is None:
            return None
        u, sse_s, H, n_iter, status = solved
        exp_u = np.exp(np.array(u)).tolist()
    # to natural units, as curvefit.to_natural
    v = [e if positive[p] else u[p] for p, e in enumerate(exp_u)]
    deriv = [(x if positive[p] else 1.0) * scale if level[p] else (x if positive[p] else 1.0) for p, x in enumerate(v)]
    theta = [x * scale if level[p] else x for p, x in enumerate(v)]
    params = [(x + centre if time[p] else x) if free[p] else f for p, (x, f) in enumerate(zip(theta, fixed.tolist()))]
    sigma2_s = sse_s / max(N - n_free, 1)
    inv = _inverse_normal(H, free)
    if inv is None:
        return None
    cov = [[inv[p][q] * sigma2_s * deriv[p] * deriv[q] for q in range(P)] for p in range(P)]
    if not all(math.isfinite(cov[p][q]) for p in range(P) for q in range(P) if free[p] and free[q]):
        return None
    return CurveFit(
        params=np.array([params]), cov=np.array([cov]), sigma2=np.array([sigma2_s * (scale * scale)]),
        sse=np.array([sse_s * (scale * scale)]), n_obs=np.array([N]), n_free=np.array([n_free]),
        n_iter=np.array([n_iter]), status=np.array([status]),
    )
