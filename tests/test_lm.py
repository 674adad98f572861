"""The batch Levenberg-Marquardt core against scipy.optimize.least_squares.

Every expected value comes from scipy, called here one problem at a time.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import least_squares

from growthcast import errors
from growthcast._numerics import lm as _lm
from growthcast.curves import CURVES

N = 56
T = np.arange(N) * 0.5 - 13.75  # a centred half-yearly axis, as the solver sees it
SCIPY_TOL = 1e-14


def _positive(curve):
    return np.array([p in curve.positive for p in curve.params])


def make_model(curve, t, calls=None):
    """The solver's model: log coordinates for positive parameters."""
    pos = _positive(curve)

    def model(u, rows):
        if calls is not None:
            calls.append(np.array(rows))
        v = np.where(pos, np.exp(u), u)
        f, J = curve.evaluate(t[rows], v)
        return f, J, np.where(pos, v, 1.0)  # the solver applies the chain rule

    return model


def scipy_fit(curve, t, y, mask, u0, free, weights):
    """One problem by least_squares(method='lm') on the free coordinates; (u, sse)."""
    pos = _positive(curve)
    sw = np.sqrt(weights[mask])
    tm, ym = t[mask], y[mask]

    def full(p):
        u = u0.copy()
        u[free] = p
        return u

    def fun(p):
        v = np.where(pos, np.exp(full(p)), full(p))
        return (curve.value(tm, v) - ym) * sw

    def jac(p):
        u = full(p)
        v = np.where(pos, np.exp(u), u)
        J = curve.evaluate(tm, v)[1] * np.where(pos, v, 1.0)
        return J[:, free] * sw[:, None]

    with np.errstate(all="ignore"):
        res = least_squares(fun, u0[free], jac=jac, method="lm", xtol=SCIPY_TOL, ftol=SCIPY_TOL, gtol=SCIPY_TOL)
    return full(res.x), 2.0 * res.cost


TRUTH = {
    "logistic": lambda rng: [rng.uniform(0.7, 1.5), rng.uniform(0.25, 0.8), rng.uniform(-6, 6)],
    "gompertz": lambda rng: [rng.uniform(0.7, 1.5), rng.uniform(0.2, 0.6), rng.uniform(-6, 4)],
    "richards": lambda rng: [rng.uniform(0.7, 1.5), rng.uniform(0.25, 0.8), rng.uniform(-5, 5), rng.uniform(0.4, 2.5)],
    "bass": lambda rng: [rng.uniform(0.7, 1.5), rng.uniform(0.005, 0.03), rng.uniform(0.25, 0.6), -16.0],
}


def make_problems(name, B, seed):
    """Noisy problems of one curve with good and hard starts, ragged masks and weights."""
    rng = np.random.default_rng(seed)
    curve = CURVES[name]
    pos = _positive(curve)
    theta = np.array([TRUTH[name](rng) for _ in range(B)])
    t = np.broadcast_to(T, (B, N)).copy()
    y = curve.value(t, theta) + rng.normal(0.0, 0.01, (B, N))
    mask = np.ones((B, N), dtype=bool)
    ragged = rng.random(B) < 0.5
    for b in np.flatnonzero(ragged):  # series of different lengths, with gaps
        mask[b, N - rng.integers(1, 20) :] = False
        mask[b, rng.choice(N, 4, replace=False)] = False
    y[~mask] = np.nan  # masked points must never be read
    weights = np.where(rng.random(B)[:, None] < 0.4, rng.uniform(0.3, 3.0, (B, N)), 1.0)
    u_true = np.where(pos, np.log(np.abs(theta)), theta)
    hard = rng.random(B) < 0.4
    jitter = np.where(pos, rng.normal(0.0, 0.1, theta.shape), rng.normal(0.0, 0.5, theta.shape))
    far = np.where(pos, rng.choice([-1.0, 1.0], theta.shape) * rng.uniform(0.7, 1.1, theta.shape),
                   rng.choice([-1.0, 1.0], theta.shape) * rng.uniform(3.0, 5.0, theta.shape))
    u0 = u_true + np.where(hard[:, None], far, jitter)
    free = np.ones(theta.shape, dtype=bool)
    if name == "bass":
        free[:, 3] = False  # the start of diffusion is known
        u0[:, 3] = theta[:, 3]
    return curve, t, y, mask, weights, u0, free


def _check_against_scipy(curve, t, y, mask, weights, u0, free, x, sse, status):
    worse = []
    for b in range(len(u0)):
        u_sp, sse_sp = scipy_fit(curve, t[b], y[b], mask[b], u0[b], free[b], weights[b])
        assert status[b] > 0, (b, status[b])
        pos = _positive(curve)
        nat, nat_sp = np.where(pos, np.exp(x[b]), x[b]), np.where(pos, np.exp(u_sp), u_sp)
        same = np.allclose(nat, nat_sp, rtol=1e-6, atol=1e-9)
        no_worse = sse[b] <= sse_sp * (1.0 + 1e-9)
        if not (same or no_worse):
            worse.append((b, nat, nat_sp, sse[b], sse_sp))
    assert not worse, worse


@pytest.mark.parametrize("name", ["logistic", "gompertz", "richards", "bass"])
def test_same_optimum_as_scipy(name):
    curve, t, y, mask, weights, u0, free = make_problems(name, 60, seed=len(name))
    model = make_model(curve, t)
    with np.errstate(all="raise", under="ignore"):  # the solver keeps its own floating point state
        x, sse, _, n_iter, status = _lm.solve(model, u0, y, mask, free=free, weights=weights)
    _check_against_scipy(curve, t, y, mask, weights, u0, free, x, sse, status)
    assert (x[~free] == u0[~free]).all()


def test_fixed_parameters_stay_fixed():
    curve, t, y, mask, weights, u0, free = make_problems("richards", 30, seed=11)
    rng = np.random.default_rng(12)
    free = rng.random(free.shape) < 0.7
    free[np.arange(30), rng.integers(0, 4, 30)] = True  # at least one free parameter each
    x, sse, _, n_iter, status = _lm.solve(make_model(curve, t), u0, y, mask, free=free, weights=weights)
    assert (x[~free] == u0[~free]).all()
    _check_against_scipy(curve, t, y, mask, weights, u0, free, x, sse, status)


def test_bad_problems_fail_alone():
    curve, t, y, mask, weights, u0, free = make_problems("logistic", 12, seed=5)
    model = make_model(curve, t)
    # among the good problems: an all-NaN series, one with two points for three
    # parameters and one with a NaN start
    where = [4, 9, 14]
    y_nan = np.full(N, np.nan)
    m_two = np.zeros(N, dtype=bool)
    m_two[[3, 9]] = True
    u_nan = np.array([np.nan, 0.0, 0.0])
    bad = {4: (y_nan, mask[0], u0[0]), 9: (y[0], m_two, u0[0]), 14: (y[0], mask[0], u_nan)}
    ok = np.array([b for b in range(15) if b not in where])
    Y, M, U, W, Tt = (np.empty((15,) + a.shape[1:], a.dtype) for a in (y, mask, u0, weights, t))
    Y[ok], M[ok], U[ok], W[ok], Tt[ok] = y, mask, u0, weights, t
    for b, (yb, mb, ub) in bad.items():
        Y[b], M[b], U[b], W[b], Tt[b] = yb, mb, ub, weights[0], t[0]
    x, sse, _, n_iter, status = _lm.solve(make_model(curve, Tt), U, Y, M, weights=W)
    assert status[4] == errors.FAILED_NONFINITE
    assert status[9] == errors.FAILED_TOO_FEW_POINTS
    assert status[14] == errors.FAILED_NONFINITE
    assert np.isnan(x[where]).all() and np.isnan(sse[where]).all()
    # the others: bit for bit what they give as a batch of their own ...
    x0, sse0, _, n0, s0 = _lm.solve(model, u0, y, mask, weights=weights)
    np.testing.assert_array_equal(x[ok], x0)
    np.testing.assert_array_equal(sse[ok], sse0)
    np.testing.assert_array_equal(n_iter[ok], n0)
    np.testing.assert_array_equal(status[ok], s0)
    # ... and one at a time
    for b in range(12):
        sl = slice(b, b + 1)
        x1, sse1, _, n1, s1 = _lm.solve(make_model(curve, t[sl]), u0[sl], y[sl], mask[sl], weights=weights[sl])
        np.testing.assert_array_equal(x1[0], x0[b])
        assert sse1[0] == sse0[b] and n1[0] == n0[b] and s1[0] == s0[b]
    _check_against_scipy(curve, t, y, mask, weights, u0, free, x0, sse0, s0)


@pytest.mark.parametrize("name", ["gompertz", "richards", "bass"])
def test_each_problem_gets_the_same_bits_in_a_batch_as_alone(name):
    # The small reductions over parameters (the predicted reduction, the norms)
    # once went through np.einsum, whose order of summation depends on the
    # batch's shape: 1 to 5 of these 40 problems per curve came out differently.
    curve, t, y, mask, weights, u0, free = make_problems(name, 40, seed=0)
    x, sse, jtj, n_iter, status = _lm.solve(make_model(curve, t), u0, y, mask, free=free, weights=weights)
    for b in range(len(x)):
        sl = slice(b, b + 1)
        x1, sse1, jtj1, n1, s1 = _lm.solve(
            make_model(curve, t[sl]), u0[sl], y[sl], mask[sl], free=free[sl], weights=weights[sl]
        )
        np.testing.assert_array_equal(x1[0], x[b])
        np.testing.assert_array_equal(jtj1[0], jtj[b])
        np.testing.assert_array_equal(sse1[0], sse[b])  # NaN matches NaN
        assert (n1[0], s1[0]) == (n_iter[b], status[b])


def test_per_problem_stopping():
    curve, t, y, mask, weights, u0, free = make_problems("gompertz", 8, seed=7)
    x_opt = _lm.solve(make_model(curve, t), u0, y, mask, weights=weights)[0]
    u_start = u0.copy()
    u_start[:4] = x_opt[:4]  # four problems start at their optimum
    calls = []
    x, sse, _, n_iter, status = _lm.solve(make_model(curve, t, calls), u_start, y, mask, weights=weights)
    assert (n_iter[:4] <= 2).all() and (n_iter[4:] > n_iter[:4].max()).all()
    sizes = [len(c) for c in calls]
    assert sizes[0] == 8 and sizes == sorted(sizes, reverse=True) and sizes[-1] < 8
    stopped = np.zeros(8, bool)
    for i, rows in enumerate(calls[1:], start=1):  # a problem leaves the active set when its n_iter is reached
        active = np.zeros(8, bool)
        active[rows] = True
        assert not (active & stopped).any()
        stopped |= n_iter <= i
    for b in range(8):
        sl = slice(b, b + 1)
        x1, _, _, n1, s1 = _lm.solve(make_model(curve, t[sl]), u_start[sl], y[sl], mask[sl], weights=weights[sl])
        np.testing.assert_array_equal(x1[0], x[b])
        assert n1[0] == n_iter[b] and s1[0] == status[b]


def test_iteration_limit_and_exact_fit():
    curve = CURVES["logistic"]
    t = np.broadcast_to(T, (3, N)).copy()
    u_true = np.array([[0.0, np.log(0.5), 1.0]] * 3)
    y = curve.value(t, np.where(_positive(curve), np.exp(u_true), u_true))
    u0 = u_true + [[0.5, 0.5, 4.0], [0.0, 0.0, 0.0], [0.3, -0.2, 2.0]]
    x, sse, _, n_iter, status = _lm.solve(make_model(curve, t), u0, y, np.ones((3, N), bool), max_iter=2)
    assert status[0] == errors.MAX_ITERATIONS and n_iter[0] == 2 and np.isfinite(x[0]).all()
    assert status[1] > 0 and n_iter[1] <= 1 and sse[1] < 1e-25
    x, sse, _, n_iter, status = _lm.solve(make_model(curve, t), u0, y, np.ones((3, N), bool))
    assert (status > 0).all() and (sse < 1e-20).all()
    np.testing.assert_allclose(x, u_true, rtol=1e-7, atol=1e-8)


def test_jtj_is_the_weighted_gram_matrix_of_the_jacobian_at_the_solution():
    curve, t, y, mask, weights, u0, free = make_problems("richards", 20, seed=3)
    free[::4, 3] = False  # nu fixed in every fourth problem
    x, _, jtj, _, status = _lm.solve(make_model(curve, t), u0, y, mask, free=free, weights=weights)
    ok = status > 0
    _, J, d = make_model(curve, t)(x, np.arange(len(x)))
    J = J * d[:, None, :] * (np.sqrt(weights) * mask)[..., None]
    J = J * free[:, None, :]
    expected = np.einsum("bnp,bnq->bpq", J, J) + np.eye(4) * (~free)[:, None, :]  # fixed: a unit diagonal
    np.testing.assert_allclose(jtj[ok], expected[ok], rtol=1e-10, atol=1e-12 * np.abs(expected[ok]).max())
    assert np.isnan(jtj[status < 0]).all()


def test_covariance_inverse_against_numpy_and_singular_detection():
    from growthcast._numerics.curvefit import _inverse_normal

    rng = np.random.default_rng(4)
    J = rng.normal(size=(50, 30, 4)) * np.array([1e-3, 1.0, 1e3, 10.0])  # badly scaled columns
    H = np.einsum("bnp,bnq->bpq", J, J)
    free = rng.random((50, 4)) < 0.8
    free[:, 0] = True
    H[7, :, 2] = H[7, :, 1] * 3.0  # problem 7: two proportional columns, exactly singular
    H[7, 2, :] = H[7, 1, :] * 3.0
    H[7, 2, 2] = 9.0 * H[7, 1, 1]
    free[7] = True
    inv, singular = _inverse_normal(H, free)
    assert singular.tolist() == [b == 7 for b in range(50)]
    assert np.isnan(inv[7]).all()
    for b in range(50):
        if b == 7:
            continue
        f = np.flatnonzero(free[b])
        expected = np.zeros((4, 4))
        expected[np.ix_(f, f)] = np.linalg.inv(H[b][np.ix_(f, f)])
        np.testing.assert_allclose(inv[b], expected, rtol=1e-9, atol=1e-12 * np.abs(expected).max())
