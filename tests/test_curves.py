"""Curve values and analytic Jacobians (growthcast.curves)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from growthcast.curves import CURVES

SETTINGS = settings(max_examples=40, deadline=None)


def _floats(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def _log_floats(lo, hi):
    """Floats spread evenly on the log scale between lo and hi > 0."""
    return _floats(np.log(lo), np.log(hi)).map(np.exp)


# Wide but valid parameter ranges, per curve.
PARAMS = {
    "logistic": st.tuples(_log_floats(1e-3, 1e6), _log_floats(1e-3, 10.0), _floats(-100.0, 100.0)),
    "gompertz": st.tuples(_log_floats(1e-3, 1e6), _log_floats(1e-3, 10.0), _floats(-100.0, 100.0)),
    "richards": st.tuples(
        _log_floats(1e-3, 1e6), _log_floats(1e-3, 10.0), _floats(-100.0, 100.0), _log_floats(0.05, 20.0)
    ),
    "bass": st.tuples(_log_floats(1e-3, 1e6), _log_floats(1e-4, 0.5), _log_floats(1e-3, 3.0), _floats(-100.0, 100.0)),
    # shape k >= 1.2: below 1 the derivative in ts is unbounded at the start
    "weibull": st.tuples(_log_floats(1e-3, 1e6), _log_floats(1e-3, 10.0), _floats(-100.0, 100.0), _log_floats(1.2, 8.0)),
}
# the start of the curves that have one: no derivative there
_START = {"bass": 3, "weibull": 2}
T_GRID = np.linspace(-150.0, 150.0, 61)


def _central_differences(curve, t, theta):
    """d value / d theta by central differences: relative steps for positive
    parameters, 1e-5 years for the times t0 and ts."""
    P = theta.size
    J = np.empty(t.shape + (P,))
    for j in range(P):
        h = 1e-5 if curve.params[j] in curve.time else 1e-6 * abs(theta[j])
        up, down = theta.copy(), theta.copy()
        up[j] += h
        down[j] -= h
        J[:, j] = (curve.value(t, up) - curve.value(t, down)) / (up[j] - down[j])
    return J


@pytest.mark.parametrize("name", sorted(CURVES))
def test_jacobian_matches_central_differences(name):
    curve = CURVES[name]

    @SETTINGS
    @given(theta=PARAMS[name], shift=_floats(-3.0, 3.0))
    def check(theta, shift):
        theta = np.array(theta, dtype=float)
        centre = theta[_START.get(name, 2)]
        # a fixed wide grid and a dense one near the centre of the curve
        t = np.concatenate([T_GRID, centre + shift + np.linspace(-10.0, 10.0, 41)])
        if name in _START:  # the curve has a kink at ts: no derivative there
            ts = theta[_START[name]]
            t = t[np.abs(t - ts) > 1e-3 * max(abs(ts), 1.0)]
        f, J = curve.evaluate(t, theta)
        assert J.shape == t.shape + (theta.size,)
        assert np.isfinite(f).all() and np.isfinite(J).all()
        np.testing.assert_array_equal(f, curve.value(t, theta))
        fd = _central_differences(curve, t, theta)
        scale = np.abs(fd).max(axis=0) + np.abs(J).max(axis=0) + 1e-300
        # differences cannot see a change below the rounding of f: eps |f| over the step
        steps = np.array([1e-5 if p in curve.time else 1e-6 * abs(v) for p, v in zip(curve.params, theta)])
        rounding = 4 * np.finfo(float).eps * np.abs(f).max() / steps
        ok = np.abs(J - fd) <= 1e-5 * np.abs(fd) + 1e-6 * scale + rounding
        assert ok.all(), np.abs(J - fd).max(axis=0) / scale

    check()


@pytest.mark.parametrize("name", sorted(CURVES))
def test_batched_jacobian_matches_single_problems(name):
    rng = np.random.default_rng(3)
    curve = CURVES[name]
    B, N = 7, 25
    t = np.sort(rng.uniform(-20.0, 20.0, (B, N)), axis=1)
    theta = {
        "logistic": lambda: [rng.uniform(0.5, 2), rng.uniform(0.1, 1), rng.uniform(-5, 5)],
        "gompertz": lambda: [rng.uniform(0.5, 2), rng.uniform(0.1, 1), rng.uniform(-5, 5)],
        "richards": lambda: [rng.uniform(0.5, 2), rng.uniform(0.1, 1), rng.uniform(-5, 5), rng.uniform(0.3, 3)],
        "bass": lambda: [rng.uniform(0.5, 2), rng.uniform(0.005, 0.05), rng.uniform(0.1, 0.8), -25.0],
        "weibull": lambda: [rng.uniform(0.5, 2), rng.uniform(0.02, 0.1), -25.0, rng.uniform(1.5, 4)],
    }[name]
    theta = np.array([theta() for _ in range(B)])
    f, J = curve.evaluate(t, theta)
    assert f.shape == (B, N) and J.shape == (B, N, theta.shape[1])
    for b in range(B):
        fb, Jb = curve.evaluate(t[b], theta[b])
        np.testing.assert_array_equal(fb, f[b])
        np.testing.assert_array_equal(Jb, J[b])
    # one time axis shared by every problem broadcasts the same way
    f2, J2 = curve.evaluate(t[0], theta)
    np.testing.assert_array_equal(f2[0], f[0])
    np.testing.assert_array_equal(J2[0], J[0])


EXTREME = {
    "logistic": [50.0, 50.0, 0.0],
    "gompertz": [50.0, 50.0, 0.0],
    "richards": [50.0, 50.0, 0.0, 0.1],
    "bass": [50.0, 0.5, 50.0, 0.0],
    "weibull": [50.0, 50.0, 0.0, 2.0],
}


@pytest.mark.parametrize("name", sorted(CURVES))
def test_extreme_arguments_do_not_overflow(name):
    curve = CURVES[name]
    t = np.array([-1000.0, -100.0, -1.0, 0.0, 1.0, 100.0, 1000.0])
    theta = np.array(EXTREME[name])
    with np.errstate(all="raise", under="ignore"):
        f, J = curve.evaluate(t, theta)
        v = curve.value(t, theta)
    assert np.isfinite(f).all() and np.isfinite(J).all() and np.isfinite(v).all()
    assert f[-1] == pytest.approx(50.0) and 0.0 <= f[0] <= 1e-10
    assert (np.diff(f) >= 0).all()


@pytest.mark.parametrize("name", sorted(CURVES))
def test_monotone_and_bounded_by_saturation(name):
    curve = CURVES[name]
    level = curve.params.index(curve.saturation)

    @SETTINGS
    @given(theta=PARAMS[name], t=st.lists(_floats(-500.0, 500.0), min_size=2, max_size=40))
    def check(theta, t):
        t = np.sort(np.array(t))
        f = curve.value(t, np.array(theta))
        assert np.isfinite(f).all()
        assert (np.diff(f) >= 0).all()
        assert (f >= 0).all() and (f <= theta[level]).all()

    check()


def test_closed_form_values():
    K, r, t0 = 80.0, 0.4, 2010.0
    logistic, gompertz = CURVES["logistic"].value, CURVES["gompertz"].value
    assert logistic(np.array([t0]), [K, r, t0])[0] == pytest.approx(K / 2, rel=1e-15)
    assert logistic(np.array([t0 + np.log(3.0) / r]), [K, r, t0])[0] == pytest.approx(0.75 * K, rel=1e-14)
    assert gompertz(np.array([t0]), [K, r, t0])[0] == pytest.approx(K / np.e, rel=1e-15)
    # y = K exp(-exp(-1)) one time constant after t0
    assert gompertz(np.array([t0 + 1.0 / r]), [K, r, t0])[0] == pytest.approx(K * np.exp(-np.exp(-1.0)), rel=1e-14)
    # Richards: nu = 1 is the logistic; at t0 it is K (1 + nu)^(-1/nu)
    t = np.linspace(1990.0, 2030.0, 9)
    np.testing.assert_allclose(CURVES["richards"].value(t, [K, r, t0, 1.0]), logistic(t, [K, r, t0]), rtol=1e-14)
    nu = 2.5
    assert CURVES["richards"].value(np.array([t0]), [K, r, t0, nu])[0] == pytest.approx(K * 3.5 ** (-1 / nu), rel=1e-14)
    # Bass: zero until ts; with q = 0 it is m (1 - exp(-p tau)); with p = q, m (1 - E) / (1 + E)
    m, p, q, ts = 60.0, 0.03, 0.0, 2000.0
    bass = CURVES["bass"].value
    assert bass(np.array([1990.0, ts]), [m, p, 0.4, ts]).tolist() == [0.0, 0.0]
    assert bass(np.array([ts + 10.0]), [m, p, q, ts])[0] == pytest.approx(m * (1 - np.exp(-0.3)), rel=1e-14)
    E = np.exp(-0.6 * 5.0)
    assert bass(np.array([ts + 5.0]), [m, 0.3, 0.3, ts])[0] == pytest.approx(m * (1 - E) / (1 + E), rel=1e-14)


@pytest.mark.parametrize("name", sorted(CURVES))
def test_inflection_is_where_the_curvature_changes_sign(name):
    curve = CURVES[name]
    theta = np.array({
        "logistic": [[80.0, 0.4, 2010.0]],
        "gompertz": [[80.0, 0.4, 2010.0]],
        "richards": [[80.0, 0.4, 2010.0, 2.0]],
        "bass": [[80.0, 0.02, 0.4, 1995.0]],
        "weibull": [[80.0, 0.1, 1995.0, 3.0]],
    }[name])
    t_star, y_star = curve.inflection(theta)
    assert curve.value(t_star[:, None], theta)[0, 0] == pytest.approx(y_star[0], rel=1e-12)
    h = 0.05  # second differences a little before and after: convex, then concave
    fb = curve.value(np.array([[t_star[0] - 0.3 - h, t_star[0] - 0.3, t_star[0] - 0.3 + h]]), theta)[0]
    fa = curve.value(np.array([[t_star[0] + 0.3 - h, t_star[0] + 0.3, t_star[0] + 0.3 + h]]), theta)[0]
    assert fb[0] - 2 * fb[1] + fb[2] > 0 > fa[0] - 2 * fa[1] + fa[2]


def test_weibull_closed_form_values():
    K, r, ts, k = 80.0, 0.1, 1995.0, 3.0
    weibull = CURVES["weibull"].value
    # at t - ts = 1 / r the exponent is 1: y = K (1 - 1/e); before the start, 0
    assert weibull(np.array([ts + 10.0]), [K, r, ts, k])[0] == pytest.approx(K * (1 - np.exp(-1.0)), rel=1e-14)
    assert weibull(np.array([ts - 1.0]), [K, r, ts, k])[0] == 0.0
    # the median: (r (t - ts))^k = log 2
    assert weibull(np.array([ts + np.log(2.0) ** (1 / k) / r]), [K, r, ts, k])[0] == pytest.approx(K / 2, rel=1e-13)
