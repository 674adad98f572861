"""One curve fit on 1-D arrays: the batch core's arithmetic without the batch.

:func:`~growthcast._numerics.curvefit.fit_curve` on one problem spends
nearly all its time in numpy's overhead per call on arrays of one row (about
1.5 ms for a logistic on 56 points). Here the work on the points (the curve,
its Jacobian and the dot products) stays in numpy on 1-D arrays, with as few
calls as the arithmetic allows, and everything on the parameters (the chain
rule of the log-parameters, the damped Cholesky solve, the stopping rules,
the starts' straight lines, the covariance) runs on Python floats.

Every operation is the one the batch core performs for that problem, in the
same order and on the same values (IEEE arithmetic gives the same bits in
numpy and in Python; transcendental functions stay numpy's), so the iterates,
the stopping decisions and the result are the batch's: the scaling and
centring of ``curvefit.Scaling``, the starts of ``curvefit.self_start``, the
Levenberg-Marquardt rules of ``lm.solve``, the covariance of
``curvefit.fit_curve`` and, for the logistic and the Gompertz curve, the
kernels of :mod:`growthcast.curves` (the others are evaluated by the curve's
own ``evaluate``). Keep the two in step when either changes;
``tests/test_lone_fit.py`` compares them on real and synthetic series.

Only fits that succeed are finished here: :func:`fit_one` returns None for
a problem the batch would fail (too few points, non-finite values, a
singular covariance), and the caller then runs the batch core, whose
statuses and messages are the reference.
"""

from __future__ import annotations

import math
import threading
from typing import Callable, NamedTuple

import numpy as np
from scipy.special import expit

from .. import errors
from ..curves import CURVES, Curve

__all__ = ["LoneFit", "fit_one"]

# The batch core's settings: lm.solve's tolerances and damping, fit_curve's iteration limit and
# self_start's candidate ceilings (tests/test_lone_fit.py fails if they drift apart)
XTOL, FTOL, GTOL = 1e-10, 1e-12, 1e-10
RHO_MIN, LAM_MAX, TINY, LAM0 = 1e-4, 1e16, 1e-300, 1e-3
_MAX_ITER = 200
_CEILINGS = np.array([1.1, 1.6, 3.0])
_CEILING_LIST = _CEILINGS.tolist()
# the exponent caps of curves' logistic and Gompertz kernels (exp(-z) at most exp(700), exp(40))
_LOGISTIC_CAP, _GOMPERTZ_CAP = 700.0, 40.0
_WEIBULL_CAP = 700.0  # and of the Weibull's k log(r (t - ts))
_vecdot = getattr(np, "vecdot", None)
_INF = math.inf


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Dot products over the last axis, by the batch core's own routine (``linalg.rowdot``)."""
    if _vecdot is not None:
        return _vecdot(a, b)
    return np.einsum("...n,...n->...", a, b)


class LoneFit(NamedTuple):
    """One curve fit in natural units, as Python numbers (``curvefit.CurveFit`` of one problem)."""

    params: list[float]
    cov: list[list[float]]  # zero rows and columns for fixed parameters
    sigma2: float
    sse: float
    n_obs: int
    n_free: int
    n_iter: int
    status: int
    top: float  # the largest observation (the plausibility checks compare the ceiling with it)


# ---------------------------------------------------------------- the kernels on one row
# The value and Jacobian of curves' kernels on one row, writing the value into f and column p of
# the Jacobian into J[p]. The parameters K, r, t0 and -r are 0-d arrays (numpy takes them at less
# than half the cost of a Python float); ``cap`` says whether the exponent may reach its cap, which
# curves._cap would then apply (np.minimum leaves every value at or below the cap, and NaN, as it is).
_ONE = np.array(1.0)


def _logistic_kernel(t, K, r, t0, neg_r, cap, f, J):
    s, dt, e = J
    np.subtract(t, t0, dt)
    np.multiply(dt, neg_r, e)
    if cap:
        np.minimum(e, _LOGISTIC_CAP, out=e)
    np.exp(e, e)  # exp(-z)
    np.add(e, _ONE, s)
    np.divide(_ONE, s, s)  # s = 1 / (1 + exp(-z))
    np.multiply(s, K, f)
    np.multiply(e, s, e)  # 1 - s
    np.multiply(e, f, e)  # dy/dz = K s (1 - s)
    np.multiply(dt, e, dt)
    np.multiply(e, neg_r, e)


def _gompertz_kernel(t, K, r, t0, neg_r, cap, f, J):
    g, dt, e = J
    np.subtract(t, t0, dt)
    np.multiply(dt, neg_r, e)
    if cap:
        np.minimum(e, _GOMPERTZ_CAP, out=e)
    np.exp(e, e)  # exp(-z)
    np.negative(e, g)
    np.exp(g, g)
    np.multiply(g, K, f)
    np.multiply(e, f, e)  # dy/dz = K g exp(-z)
    np.multiply(dt, e, dt)
    np.multiply(e, neg_r, e)


def _logistic_values(t, K, neg_r, t0, cap, f):
    """curves' logistic kernel without the Jacobian, for parameters that are (C, 1) columns."""
    np.subtract(t, t0, f)
    np.multiply(f, neg_r, f)
    if cap:
        np.minimum(f, _LOGISTIC_CAP, out=f)
    np.exp(f, f)  # exp(-z)
    np.add(f, _ONE, f)
    np.divide(_ONE, f, f)
    np.multiply(f, K, f)


def _gompertz_values(t, K, neg_r, t0, cap, f):
    """curves' Gompertz kernel without the Jacobian, for parameters that are (C, 1) columns."""
    np.subtract(t, t0, f)
    e = np.multiply(f, neg_r)
    if cap:
        np.minimum(e, _GOMPERTZ_CAP, out=e)
    np.exp(e, e)  # exp(-z)
    np.negative(e, f)
    np.exp(f, f)
    np.multiply(f, K, f)


# The other curves' kernels: parameters as 0-d views ``x`` (numpy's transcendental functions
# take them) and as Python floats ``d`` (the arithmetic among parameters, the same IEEE operations
# as the batch's on (B, 1) columns), the temporaries in the rows of ``w.rows``, the scalars the
# ufuncs take in the 0-d arrays ``w.scalars`` (a Python float costs a ufunc twice as much).
def _richards_kernel(t, x, d, f, J, w):
    K, r, t0, nu = x
    _, rf, _, nuf = d
    neg_r, log_nu, neg_nu, nu2 = w.scalars[:4]
    neg_r[()], neg_nu[()], nu2[()] = -rf, -nuf, nuf * nuf
    np.log(nu, log_nu)
    dt, a, L = w.rows[:3]
    np.subtract(t, t0, dt)
    np.multiply(dt, neg_r, a)
    np.add(a, log_nu, a)  # log(nu exp(-z))
    np.logaddexp(0.0, a, L)  # log(1 + nu exp(-z))
    np.divide(L, neg_nu, f)
    np.exp(f, f)
    np.multiply(f, K, f)
    np.divide(f, K, J[0])
    expit(a, out=a)  # w = nu e^-z / (1 + nu e^-z)
    np.subtract(L, a, L)
    np.multiply(L, f, L)
    np.divide(L, nu2, J[3])  # y (L - w) / nu^2
    np.multiply(a, f, a)
    np.divide(a, nu, a)  # dy/dz = y w / nu
    np.multiply(a, dt, J[1])
    np.multiply(a, neg_r, J[2])


def _bass_kernel(t, x, d, f, J, w):
    m, p, q, ts = x
    mf, pf, qf, _ = d
    b = pf + qf
    a = qf / pf
    mp = mf / pf
    s_a, neg_b, dE, dp, mb = w.scalars[:5]
    s_a[()], neg_b[()], dE[()], dp[()], mb[()] = a, -b, -(1.0 + a), -qf * mp / pf, mf * b
    tau, E, D, dF_da = w.rows[:4]
    started = w.started
    np.subtract(t, ts, tau)
    np.greater(tau, 0.0, started)
    np.maximum(tau, 0.0, out=tau)
    np.multiply(tau, neg_b, E)
    np.exp(E, E)
    np.multiply(s_a, E, D)
    np.add(D, 1.0, D)
    F = np.subtract(1.0, E, J[0])
    np.divide(F, D, F)  # F = (1 - E) / (1 + a E)
    np.multiply(F, m, f)
    np.multiply(D, D, D)
    np.divide(1.0, D, D)  # 1 / D^2
    dF_dE = np.multiply(D, dE, J[3])
    np.subtract(E, 1.0, dF_da)
    np.multiply(dF_da, E, dF_da)
    np.multiply(dF_da, D, dF_da)  # -(1 - E) E / D^2
    dF_db = tau  # dF/dE dE/db, with dE/db = -tau E
    np.multiply(dF_db, E, dF_db)
    np.multiply(dF_db, dF_dE, dF_db)
    np.negative(dF_db, dF_db)
    np.multiply(dF_db, m, dF_db)
    np.multiply(dF_da, dp, J[1])  # da/dp = -q / p^2
    np.add(J[1], dF_db, J[1])
    np.multiply(dF_da, mp, J[2])  # da/dq = 1 / p
    np.add(J[2], dF_db, J[2])
    np.multiply(dF_dE, E, dF_dE)
    np.multiply(dF_dE, mb, dF_dE)
    np.multiply(dF_dE, started, dF_dE)  # dE/dts = b E after the start, 0 before


def _weibull_kernel(t, x, d, f, J, w):
    K, r, ts, k = x
    _, rf, _, kf = d
    k_r, neg_kr = w.scalars[:2]
    k_r[()], neg_kr[()] = kf / rf, -kf * rf
    tau, xs, log_x, u, E, F, g = w.rows[:7]
    started = w.started
    np.subtract(t, ts, tau)
    np.greater(tau, 0.0, started)
    np.multiply(tau, r, xs)
    np.maximum(xs, 1e-300, out=xs)  # r (t - ts); before the start the curve is 0
    np.log(xs, log_x)
    np.multiply(k, log_x, u)
    np.minimum(u, _WEIBULL_CAP, out=u)
    np.exp(u, u)  # x^k, capped so that it never overflows
    np.negative(u, E)
    np.expm1(E, F)
    np.negative(F, F)  # 1 - exp(-x^k)
    np.exp(E, E)
    np.multiply(K, started, g)
    np.multiply(F, g, f)
    np.multiply(K, E, g)
    np.multiply(g, u, g)
    np.multiply(g, started, g)  # d f / d (x^k) times x^k
    np.multiply(F, started, J[0])
    np.multiply(g, k_r, J[1])
    np.divide(neg_kr, xs, tau)
    np.multiply(g, tau, J[2])
    np.multiply(g, log_x, J[3])


_KERNELS: dict[Callable, tuple[Callable, float]] = {
    CURVES["logistic"].evaluate: (_logistic_kernel, _logistic_values, _LOGISTIC_CAP),
    CURVES["gompertz"].evaluate: (_gompertz_kernel, _gompertz_values, _GOMPERTZ_CAP),
}
_OTHER_KERNELS: dict[Callable, Callable] = {CURVES["richards"].evaluate: _richards_kernel,
                                            CURVES["bass"].evaluate: _bass_kernel,
                                            CURVES["weibull"].evaluate: _weibull_kernel}
_SIGMOID_GUESS = CURVES["logistic"].guess  # (K, r, t0[, nu]) straight from the line, nu = 1 unless fixed
_LOG2 = np.log(2.0)  # curves' Weibull guess's log 2, a numpy float64 as there


def _bass_guess(cand, rates, midpoints, fixed, first):
    """curves' ``_bass_guess`` for one problem on Python floats (numpy's exp): m, p, q, ts."""
    ts = fixed[3] if fixed[3] == fixed[3] else first
    ts = ts if math.isfinite(ts) else 0.0
    ratio = np.exp([min(max(r * (m - ts), -50.0), 50.0) for r, m in zip(rates, midpoints)]).tolist()
    theta = []
    for c, r, a in zip(cand, rates, ratio):
        p = r / (1.0 + min(max(a, 1.5), 1e4))  # a = q / p
        theta.append([v if f != f else f for v, f in zip((c, p, r - p, ts), fixed)])
    return theta


def _weibull_guess(cand, rates, midpoints, fixed):
    """curves' ``_weibull_guess`` for one problem on Python floats (numpy's power): K, r, ts, k."""
    k = fixed[3] if fixed[3] == fixed[3] else 3.0
    shape_r, shape_ts = np.power(_LOG2, np.array([(k - 1.0) / k, 1.0 / k])).tolist()
    theta = []
    for c, rate, m in zip(cand, rates, midpoints):
        r = fixed[1] if fixed[1] == fixed[1] else rate / (2.0 * k * shape_r)
        ts = fixed[2] if fixed[2] == fixed[2] else m - shape_ts / r
        theta.append([c, r, ts, k])
    return theta


# ---------------------------------------------------------------- straight-line code of size P
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


def _assemble_lines(P: int, fixed: tuple[bool, ...]) -> list[str]:
    """``assemble(m, d)``: what the solver needs at a point, from ``m``, the (P+1, P+1) dot products of
    the Jacobian's columns and the residuals (row and column P), and the chain rule ``d``.

    As ``lm._evaluate`` and ``lm._fix``: half the sum of squares ``cost``, ``H = J'J`` with entries
    ``J_p'J_q d_p d_q`` from the upper triangle (p <= q) mirrored, ``g = J'r`` with ``J_p'r d_p``, the
    rows and columns of the ``fixed`` parameters zero but for a unit diagonal. Returned with them: the
    largest diagonal entry of H over the free parameters (``lm._largest_free``), whether cost, g
    and the diagonal are finite, and (where they are) ``lm.solve``'s gradient test at the point.
    """
    free = [p for p in range(P) if not fixed[p]]
    lines = ["def assemble(m, d):", f"    {', '.join(f'm{p}' for p in range(P + 1))}, = m",
             f"    {', '.join(f'd{p}' for p in range(P))}, = d", f"    cost = 0.5 * m{P}[{P}]"]
    for p in range(P):
        for q in range(p, P):
            if p == q and fixed[p]:
                lines.append(f"    h{p}_{q} = 1.0")
            elif fixed[p] or fixed[q]:
                lines.append(f"    h{p}_{q} = 0.0")
            else:
                lines.append(f"    h{p}_{q} = m{p}[{q}] * (d{p} * d{q})")
        lines.append(f"    g{p} = 0.0" if fixed[p] else f"    g{p} = m{p}[{P}] * d{p}")
    rows = ", ".join("[" + ", ".join(f"h{min(p, q)}_{max(p, q)}" for q in range(P)) + "]" for p in range(P))
    tail = [f"h{p}_{p}" for p in free] + (["0.0"] if len(free) < P else [])
    lines.append(f"    largest = {tail[0] if len(tail) == 1 else f'max({chr(44).join(tail)})'}")
    # all finite: 0 x is 0 for a finite x and NaN otherwise, and a sum of zeros is zero (no overflow)
    terms = ["cost * 0.0"] + [f"g{p} * 0.0 + h{p}_{p} * 0.0" for p in free]
    lines.append(f"    ok = {' + '.join(terms)} == 0.0")
    tests = " and ".join(f"abs(g{p}) <= sqrt(h{p}_{p}) * bound" for p in range(P))
    lines += ["    if ok:", f"        bound = {GTOL!r} * sqrt(2.0 * cost)", f"        small = cost == 0.0 or ({tests})",
              "    else:", "        small = False",
              f"    return cost, [{rows}], [{', '.join(f'g{p}' for p in range(P))}], largest, ok, small"]
    return lines


def _covariance_lines(P: int, fixed: tuple[bool, ...]) -> list[str]:
    """``covariance(H, s2, deriv)``: ``curvefit._inverse_normal`` and the covariance of ``fit_curve`` for
    one problem, or None where J'J is singular or the covariance not finite.

    J'J scaled to a unit diagonal (its free block; the fixed parameters' rows and columns those of the
    identity), inverted by Cholesky with the unit vectors as right-hand sides, singular where the trace
    of the inverse reaches 1e13; then ``inv_pq / d_p / d_q * s2 * deriv_p * deriv_q``.
    """
    free = [p for p in range(P) if not fixed[p]]
    lines = ["def covariance(H, s2, deriv):"]
    for p in range(P):
        if fixed[p]:
            lines.append(f"    e{p} = 1.0")
        else:
            lines += [f"    h = H[{p}][{p}]", f"    e{p} = sqrt(h) if h >= 0 else nan",
                      f"    if not (e{p} > 0 and isfinite(e{p})):", f"        e{p} = 1.0"]
    rows = []
    for p in range(P):
        row = []
        for q in range(P):
            if p in free and q in free:  # where(both, Hn, 0) + 0 (the identity's off-free part), finite or 0
                lines += [f"    v = H[{p}][{q}] / e{p} / e{q} + 0.0", f"    a{p}_{q} = v if isfinite(v) else 0.0"]
                row.append(f"a{p}_{q}")
            else:
                row.append("1.0" if p == q else "0.0")
        rows.append("[" + ", ".join(row) + "]")
    lines.append(f"    inv = solve([{', '.join(rows)}], {[[1.0 if i == k else 0.0 for i in range(P)] for k in range(P)]!r}, 0.0)")
    lines += ["    if inv is None:", "        return None", f"    if not {' + '.join(f'inv[{p}][{p}]' for p in range(P))} < 1e13:",
              "        return None"]
    cov = []
    for p in range(P):  # inv[k] solves A x = e_k: column k of the inverse
        row = []
        for q in range(P):
            if p in free and q in free:
                lines.append(f"    c{p}_{q} = inv[{q}][{p}] / e{p} / e{q} * s2 * deriv[{p}] * deriv[{q}]")
                row.append(f"c{p}_{q}")
            else:
                row.append(f"0.0 / e{p} / e{q} * s2 * deriv[{p}] * deriv[{q}]")
        cov.append("[" + ", ".join(row) + "]")
    checks = " and ".join(f"isfinite(c{p}_{q})" for p in free for q in free) or "True"
    lines += [f"    if not ({checks}):", "        return None", f"    return [{', '.join(cov)}]"]
    return lines


def _compiled(P: int, fixed: tuple[bool, ...]) -> tuple:
    """Straight-line code of size P (a loop with list indexing costs several times as much), made once.

    ``solve(A, rhs, shift)``: the solutions of ``(A + shift I) x = b`` for each ``b`` in ``rhs``.
    ``step(A, g, u, shift)``: the damped step ``x = -(A + shift I)^-1 g`` as ``(u + x, x'x, g'x, u'u,
    whether u + x is finite)``, the sums in :func:`~growthcast._numerics.linalg.pdot`'s order. Both None
    where the matrix is not numerically positive definite. ``assemble(m, d)``: see :func:`_assemble_lines`.
    """
    xs = ", ".join(f"x{i}" for i in range(P))
    solve = ["def solve(A, rhs, shift):", *_factor_lines(P), "    out = []", "    for b in rhs:",
             *_substitution_lines(P, "b[{i}]", "        "), f"        out.append([{xs}])", "    return out"]
    step = ["def step(A, g, u, shift):", *_factor_lines(P), *_substitution_lines(P, "-g[{i}]", "    "),
            *[f"    n{i} = u[{i}] + x{i}" for i in range(P)],
            f"    return ([{', '.join(f'n{i}' for i in range(P))}], "
            f"{' + '.join(f'x{i} * x{i}' for i in range(P))}, {' + '.join(f'g[{i}] * x{i}' for i in range(P))}, "
            f"{' + '.join(f'u[{i}] * u[{i}]' for i in range(P))}, "
            f"{' + '.join(f'n{i} * 0.0' for i in range(P))} == 0.0)"]  # all finite
    namespace = {"sqrt": math.sqrt, "isfinite": math.isfinite, "nan": math.nan}
    source = solve + step + _assemble_lines(P, fixed) + _covariance_lines(P, fixed)
    exec("\n".join(source), namespace)  # noqa: S102 -- made from integers only
    return namespace["solve"], namespace["step"], namespace["assemble"], namespace["covariance"]


_COMPILED: dict[tuple, tuple] = {}


def _code(P: int, fixed: tuple[bool, ...]) -> tuple:
    key = (P, fixed)
    if key not in _COMPILED:
        _COMPILED[key] = _compiled(P, fixed)
    return _COMPILED[key]


class _Shape:
    """What a fit of ``curve`` needs that does not depend on the data, made once per curve."""

    def __init__(self, curve: Curve) -> None:
        names = curve.params
        self.curve = curve
        self.P = len(names)
        self.level = [n in curve.level for n in names]
        self.time = [n in curve.time for n in names]
        self.positive = [n in curve.positive for n in names]
        self.k_sat = names.index(curve.saturation)
        self.loglog = curve.linearisation == "loglog"
        self.kernel, self.values, self.cap = _KERNELS.get(curve.evaluate, (None, None, None))
        if self.positive != [True, True, False]:  # the kernels' (K, r, t0), K and r as logarithms
            self.kernel = self.values = self.cap = None
        self.other_kernel = _OTHER_KERNELS.get(curve.evaluate)
        self.sigmoid_guess = curve.guess is _SIGMOID_GUESS
        self.bass_guess = curve.guess is CURVES["bass"].guess
        self.weibull_guess = curve.guess is CURVES["weibull"].guess


_SHAPES: dict[int, _Shape] = {}


def _shape(curve: Curve) -> _Shape:
    shape = _SHAPES.get(id(curve))
    if shape is None or shape.curve is not curve:
        if len(_SHAPES) >= 64:  # curves made on the fly: keep the cache small
            _SHAPES.clear()
        shape = _SHAPES[id(curve)] = _Shape(curve)
    return shape


# ---------------------------------------------------------------- the start
def _start(sh: _Shape, work: "_Work", fixed: list[float], ymax: float) -> list[float]:
    """:func:`~growthcast._numerics.curvefit.self_start` for one fully observed problem, natural-scaled.

    The sums over the points are the batch's dot products, all in one call; the line of each
    candidate ceiling and (for the sigmoid curves) its parameters are worked out on Python floats.
    """
    curve = sh.curve
    rows, tc, ys = work.rows, work.tc, work.ys
    N = len(tc)
    ymax = max(ymax, 0.0)
    K_fixed = fixed[sh.k_sat]
    any_fixed = not math.isnan(K_fixed)
    cand = [K_fixed] * 3 if any_fixed else [ymax * c for c in _CEILING_LIST]
    n = N
    floor = 1e-6 * (ymax if ymax > 0 else 1.0)
    # rows: 1, the times, log y, z of each candidate
    log_y = np.maximum(ys, floor, out=rows[2])
    np.log(log_y, out=log_y)
    z = rows[3:6]
    K = np.array(cand)[:, None]
    if sh.loglog:  # z = -log(log K - log y)
        np.subtract(np.log(K), log_y, out=z)
        if any_fixed:
            np.maximum(z, 1e-6, out=z)
    else:  # z = log y - log(K - y)
        np.subtract(K, ys, out=z)
        if any_fixed:
            np.maximum(z, 1e-6 * K, out=z)
    np.log(z, out=z)
    # the dot products of the times, log y and the z's with 1 and the times
    (t_sum, sxx), (log_y_sum, log_y_t), *lines = _dot(*work.start_pairs).tolist()
    xb = t_sum / n
    sxx = sxx - n * xb * xb
    rates, midpoints = [], []
    for zsum, sxz in lines:
        if sh.loglog:
            sxz, zsum = -sxz, -zsum
        else:
            sxz, zsum = log_y_t - sxz, log_y_sum - zsum
        zbar = zsum / n
        sxz = sxz - n * xb * zbar
        slope = sxz / sxx if sxx > 0 else 0.0
        midpoint = xb - (zbar / slope if slope != 0 else 0.0)
        rates.append(min(max(abs(slope), 0.05), 50.0))
        midpoints.append(min(max(midpoint, -200.0), 200.0))
    if sh.sigmoid_guess:  # curves' _sigmoid_guess: fixed values win
        theta = [[c, fixed[1] if fixed[1] == fixed[1] else r, fixed[2] if fixed[2] == fixed[2] else m]
                 + ([] if sh.P == 3 else [fixed[3] if fixed[3] == fixed[3] else 1.0])
                 for c, r, m in zip(cand, rates, midpoints)]
    elif sh.bass_guess:
        theta = _bass_guess(cand, rates, midpoints, fixed, float(tc[0]))  # the smallest time: tc increases
    elif sh.weibull_guess:
        theta = _weibull_guess(cand, rates, midpoints, fixed)
    else:
        theta = curve.guess(np.array([cand]), np.array([rates]), np.array([midpoints]), np.array([fixed]),
                            tc[None, :], np.ones((1, N), dtype=bool))[0].tolist()
    resid = rows[6:]
    if sh.values is not None:  # the kernel's (K, r, t0) of each candidate as columns; K is the candidate
        cap = sh.cap
        first, last = work.problem.ends
        sh.values(tc, K, np.array([[-r] for _, r, _ in theta]), np.array([[t0] for _, _, t0 in theta]),
                  not all((first - t0) * -r <= cap and (last - t0) * -r <= cap for _, r, t0 in theta), resid)
    else:
        curve.value(tc, np.array(theta), out=resid)
    np.subtract(resid, ys, resid)
    sse = _dot(resid, resid).tolist()
    sse = [s if math.isfinite(s) else _INF for s in sse]
    return theta[sse.index(min(sse))]  # np.argmin: the first of the smallest


# ---------------------------------------------------------------- the solver
class _Problem:
    """The scaled problem and its model: cost, J'J and J'r at the solver's coordinates u."""

    def __init__(self, sh: _Shape, tc: np.ndarray, ys: np.ndarray, free: list[bool]) -> None:
        P = sh.P
        self.tc, self.ys, self.P = tc, ys, P
        self.kernel, self.cap, self.curve = sh.kernel, sh.cap, sh.curve
        self.assemble = _code(P, tuple(not f for f in free))[2]
        self.kept = [p for p in range(P) if not sh.positive[p]]  # fitted as they are, not as logarithms
        # rows 0..P-1 the Jacobian's columns, row P the values and then the residuals: one call of the
        # batch's dot product gives J'J, J'r and r'r together, each entry by the same routine
        self.memory = memory = np.empty((P + 1, len(tc)))
        self.cols, self.f = list(memory[:P]), memory[P]
        self.out = (self.f, memory[:P].T)
        self.pairs = (memory[:, None, :], memory[None, :, :])
        self.v = np.empty(P)  # the natural-scaled parameters, and 0-d views of them for the kernel
        self.views = [self.v[p, ...] for p in range(P)]
        self.neg_r = np.empty(())
        self.ends = [0.0, 0.0]  # the first and last of tc, set for each fit (in place)
        self.other_kernel = sh.other_kernel
        # the other kernels' temporaries, each its own array: numpy 2.0 gives other bits for exp, expm1 and
        # log written from one row of an array into another row of the same array
        self.rows = [np.empty(len(tc)) for _ in range(7)]
        self.started = np.empty(len(tc), dtype=bool)
        self.scalars = [np.empty(()) for _ in range(5)]
        self.evaluate = (self._kernel_evaluate() if self.kernel is not None else
                         self._other_evaluate() if self.other_kernel is not None else self._curve_evaluate())

    def _kernel_evaluate(self) -> Callable:
        """``evaluate(u)``, the point's cost, J'J, J'r and the rest of ``assemble``'s tuple, for a curve
        (K, r, t0) with its own kernel here: K and r fitted as logarithms."""
        v, (K, r, t0), neg_r, ends = self.v, self.views, self.neg_r, self.ends
        kernel, cap, assemble, tc, ys, f, cols, pairs = (self.kernel, self.cap, self.assemble, self.tc, self.ys,
                                                         self.f, self.cols, self.pairs)
        exp, subtract, dot = np.exp, np.subtract, _vecdot or _dot

        def evaluate(u: list[float]) -> tuple:
            u0, u1, u2 = u
            v[0], v[1], v[2] = u0, u1, u2
            exp(v, v)  # curvefit's natural_scaled: exp of every entry, t0 kept
            v[2] = u2
            d = v.tolist()
            rf = d[1]
            neg_r[()] = -rf
            first, last = ends  # the times are increasing, so the exponent is largest at an end
            kernel(tc, K, r, t0, neg_r, not ((first - u2) * -rf <= cap and (last - u2) * -rf <= cap), f, cols)
            subtract(f, ys, f)
            d[2] = 1.0  # d v / d u: the chain rule, exp(u) for a logarithm
            return assemble(dot(*pairs).tolist(), d)

        return evaluate

    def _other_evaluate(self) -> Callable:
        """``evaluate(u)`` by one of the other kernels here."""
        v, views, kept, kernel, assemble, tc, ys, f, cols, pairs = (
            self.v, self.views, self.kept, self.other_kernel, self.assemble, self.tc, self.ys, self.f, self.cols,
            self.pairs)
        exp, subtract, dot = np.exp, np.subtract, _vecdot or _dot

        def evaluate(u: list[float]) -> tuple:
            v[:] = u
            exp(v, v)  # curvefit's natural_scaled: exp of every entry, the logarithms' kept
            for p in kept:
                v[p] = u[p]
            d = v.tolist()
            kernel(tc, views, d, f, cols, self)
            subtract(f, ys, f)
            for p in kept:  # d v / d u: the chain rule, exp(u) for a logarithm
                d[p] = 1.0
            return assemble(dot(*pairs).tolist(), d)

        return evaluate

    def _curve_evaluate(self) -> Callable:
        """``evaluate(u)`` by the curve's own ``evaluate``."""
        v, kept, curve, assemble, tc, ys, f, out, pairs = (self.v, self.kept, self.curve, self.assemble, self.tc,
                                                           self.ys, self.f, self.out, self.pairs)

        def evaluate(u: list[float]) -> tuple:
            v[:] = u
            np.exp(v, v)  # curvefit's natural_scaled: exp of every entry, the logarithms' kept
            for p in kept:
                v[p] = u[p]
            d = v.tolist()
            curve.evaluate(tc, v, out=out)
            np.subtract(f, ys, f)
            for p in kept:  # d v / d u: the chain rule, exp(u) for a logarithm
                d[p] = 1.0
            return assemble(_dot(*pairs).tolist(), d)

        return evaluate


class _Work:
    """The arrays of a fit and the problem built on them, kept from fit to fit of the same size."""

    def __init__(self, sh: _Shape, N: int, free: list[bool]) -> None:
        self.key = (sh, N, free)
        # the start's rows: 1, the times, log y, z of each candidate, the candidates' curves
        self.rows = np.empty((9, N))
        self.rows[0] = 1.0
        self.tc, self.ys = self.rows[1], np.empty(N)
        self.start_pairs = (self.rows[1:6, None, :], self.rows[None, :2, :])  # dot products with 1 and t
        self.problem = _Problem(sh, self.tc, self.ys, free)


_local = threading.local()  # one workspace per thread


def _work(sh: _Shape, N: int, free: list[bool]) -> _Work:
    work = getattr(_local, "work", None)
    if work is None or work.key != (sh, N, free):
        work = _local.work = _Work(sh, N, free)
    return work


def _solve(sh: _Shape, problem: _Problem, u: list[float], free: list[bool]):
    """:func:`~growthcast._numerics.lm.solve` for one problem: (u, sse, J'J, n_iter, status), or None on a
    failure."""
    sqrt = math.sqrt
    damped_step = _code(sh.P, tuple(not f for f in free))[1]
    evaluate = problem.evaluate
    cost, H, g, largest, ok, small_g = evaluate(u)
    if not (ok and all(map(math.isfinite, u))):
        return None
    Dscale = max(largest, TINY)
    lam, nu, trusted = LAM0, 2.0, False
    for it in range(_MAX_ITER):
        if small_g:  # zero cost or a tiny gradient at the current point
            return u, 2.0 * cost, H, it, errors.CONVERGED_GRADIENT
        if largest > Dscale:  # np.maximum: both are finite
            Dscale = largest
        lamD = lam * Dscale
        solved = damped_step(H, g, u, lamD)
        if solved is not None:
            u_new, step2, g_step, u2, finite = solved
            predicted = 0.5 * (lamD * step2 - g_step)
            if trusted and predicted <= FTOL * cost:
                return u, 2.0 * cost, H, it, errors.CONVERGED_COST
            cost_new, H_new, g_new, largest_new, ok, small_new = evaluate(u_new)
            actual = cost - cost_new
            finite = finite and ok
            rho = actual / predicted if predicted > 0 else -1.0
            accept = finite and actual > 0 and rho > RHO_MIN
            small_step = sqrt(step2) <= XTOL * (sqrt(u2) + XTOL)
            tiny = FTOL * cost
            small_cost = finite and abs(actual) <= tiny and predicted <= tiny and rho <= 2.0
        else:  # the batch's step is then not finite: nothing is accepted and the damping grows
            accept = small_step = small_cost = False
        if accept:
            shrink = 2.0 * rho - 1.0
            lam = lam * max(1.0 / 3.0, 1.0 - shrink * shrink * shrink)
            nu = 2.0
            u, g, H, cost, largest, small_g = u_new, g_new, H_new, cost_new, largest_new, small_new
            trusted = abs(rho - 1.0) <= 0.25
        else:
            lam, nu, trusted = lam * nu, nu * 2.0, False
        stuck = not accept and (small_step or lam > LAM_MAX)
        at_step = (accept and small_step) or stuck
        if at_step or small_cost:
            return u, 2.0 * cost, H, it + 1, errors.CONVERGED_STEP if at_step else errors.CONVERGED_COST
    return u, 2.0 * cost, H, _MAX_ITER, errors.MAX_ITERATIONS


def fit_one(curve: Curve, t: np.ndarray, y: np.ndarray, fixed: list[float]) -> LoneFit | None:
    """Fit ``curve`` to one fully observed series, as ``fit_curve`` would in a batch.

    Parameters
    ----------
    t, y : ndarray, shape (N,)
        Finite times, increasing, and values.
    fixed : list of float, length P
        Fixed natural values, NaN where the parameter is fitted.

    Returns
    -------
    LoneFit or None
        The fit; None where ``fit_curve`` would report a failure (the
        caller then asks it for the status and message).
    """
    sh = _shape(curve)
    P = sh.P
    N = len(t)
    free = [v != v for v in fixed]
    n_free = sum(free)
    if N <= n_free:
        return None
    level, time, positive = sh.level, sh.time, sh.positive
    centre = float(t.sum()) / N
    top = float(y.max())
    scale = max(top, -float(y.min()))
    scale = scale if scale > 0 else 1.0
    work = _work(sh, N, free)
    tc = np.subtract(t, centre, out=work.tc)
    np.divide(y, scale, out=work.ys)
    problem = work.problem
    problem.ends[:] = float(tc[0]), float(tc[-1])
    fixed_scaled = [(((v / scale) if level[p] else v) - centre) if time[p] else ((v / scale) if level[p] else v)
                    for p, v in enumerate(fixed)]
    with np.errstate(all="ignore"):
        theta0 = _start(sh, work, fixed_scaled, top / scale)
        log0 = np.log(np.maximum(theta0, 1e-300)).tolist()
        u0 = [lg if pos else x for lg, x, pos in zip(log0, theta0, positive)]
        solved = _solve(sh, problem, u0, free)
        if solved is None:
            return None
        u, sse_s, H, n_iter, status = solved
        exp_u = np.exp(u).tolist()
    # to natural units, as curvefit.to_natural
    v = [e if positive[p] else u[p] for p, e in enumerate(exp_u)]
    deriv = [(x if positive[p] else 1.0) * scale if level[p] else (x if positive[p] else 1.0) for p, x in enumerate(v)]
    theta = [x * scale if level[p] else x for p, x in enumerate(v)]
    params = [(x + centre if time[p] else x) if free[p] else f for p, (x, f) in enumerate(zip(theta, fixed))]
    sigma2_s = sse_s / max(N - n_free, 1)
    cov = _code(P, tuple(not f for f in free))[3](H, sigma2_s, deriv)
    if cov is None:
        return None
    return LoneFit(params, cov, sigma2_s * (scale * scale), sse_s * (scale * scale), N, n_free, n_iter, status, top)
