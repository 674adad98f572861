"""Trend models and baselines of issue 4, each against an independent reference.

Closed forms against numpy.polyfit and statsmodels OLS; the random walks by
hand from the formulas in their docstrings; Holt, ETS and ARIMA against
statsmodels called directly on the same regular-grid data.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from scipy.special import expit, logit
from statsmodels.tsa.arima.model import ARIMA as SMARIMA
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

import growthcast as gc
from growthcast.models import regular_grid
from conftest import logistic

T_GRID = 2000.0 + 0.5 * np.arange(30)  # a regular half-yearly grid, exact in binary
T_NEW = np.array([2015.5, 2016.25, 2019.0, 2022.0])


def _series(seed=11):
    rng = np.random.default_rng(seed)
    return logistic(T_GRID, 90.0, 0.45, 2008.0) * np.exp(rng.normal(0, 0.04, T_GRID.size))


def _ols_reference(X, z, X_new, level):
    res = sm.OLS(z, X).fit()
    frame = res.get_prediction(X_new).summary_frame(alpha=1 - level)
    return res, frame["mean"].to_numpy(), frame["obs_ci_lower"].to_numpy(), frame["obs_ci_upper"].to_numpy()


# ----------------------------------------------------------------- closed-form trends
@pytest.mark.parametrize("name, degree", [("linear", 1), ("quadratic", 2)])
def test_polynomial_trends_against_polyfit_and_ols(name, degree):
    y = _series()
    res = gc.fit(name, T_GRID, y)
    t_ref = T_GRID.mean()
    coef = np.polyfit(T_GRID - t_ref, y, degree)[::-1]  # intercept first
    np.testing.assert_allclose(res.params.to_numpy(), coef, rtol=1e-9, atol=1e-9)
    X = np.vander(T_GRID - t_ref, degree + 1, increasing=True)
    X_new = np.vander(T_NEW - t_ref, degree + 1, increasing=True)
    ols, mean, lo, hi = _ols_reference(X, y, X_new, 0.9)
    frame = res.predict(T_NEW, level=0.9)
    np.testing.assert_allclose(frame["mean"], mean, rtol=1e-9)
    np.testing.assert_allclose(frame["lower"], lo, rtol=1e-9)
    np.testing.assert_allclose(frame["upper"], hi, rtol=1e-9)
    np.testing.assert_allclose(res.stderr.to_numpy(), ols.bse, rtol=1e-8)
    assert res.sse == pytest.approx(ols.ssr, rel=1e-9)
    assert res.aic == pytest.approx(ols.aic + 2, rel=1e-9)  # statsmodels does not count the variance


def test_exponential_against_polyfit_of_log():
    y = _series()
    res = gc.fit("exponential", T_GRID, y)
    t_ref = T_GRID.mean()
    slope, intercept = np.polyfit(T_GRID - t_ref, np.log(y), 1)
    np.testing.assert_allclose(res.params.to_numpy(), [intercept, slope], rtol=1e-9)
    X = np.column_stack([np.ones_like(T_GRID), T_GRID - t_ref])
    X_new = np.column_stack([np.ones_like(T_NEW), T_NEW - t_ref])
    _, mean, lo, hi = _ols_reference(X, np.log(y), X_new, 0.95)
    frame = res.predict(T_NEW)
    np.testing.assert_allclose(frame["mean"], np.exp(mean), rtol=1e-9)
    np.testing.assert_allclose(frame["lower"], np.exp(lo), rtol=1e-9)
    np.testing.assert_allclose(frame["upper"], np.exp(hi), rtol=1e-9)
    # the likelihood is that of y: log-scale likelihood plus the log-Jacobian -sum(log y)
    n = y.size
    sse = np.sum((np.log(y) - (intercept + slope * (T_GRID - t_ref))) ** 2)
    loglike = -n / 2 * (np.log(2 * np.pi * sse / n) + 1) - np.sum(np.log(y))
    assert res.aic == pytest.approx(-2 * loglike + 2 * 3, rel=1e-9)


def test_logit_linear_against_polyfit_of_logit():
    y = _series()  # below 100: a penetration in percent
    res = gc.fit("logit_linear", T_GRID, y, percent=True)
    t_ref = T_GRID.mean()
    z = logit(y / 100)
    slope, intercept = np.polyfit(T_GRID - t_ref, z, 1)
    np.testing.assert_allclose(res.params.to_numpy(), [intercept, slope], rtol=1e-9)
    X = np.column_stack([np.ones_like(T_GRID), T_GRID - t_ref])
    X_new = np.column_stack([np.ones_like(T_NEW), T_NEW - t_ref])
    _, mean, lo, hi = _ols_reference(X, z, X_new, 0.8)
    frame = res.predict(T_NEW, level=0.8)
    np.testing.assert_allclose(frame["mean"], 100 * expit(mean), rtol=1e-9)
    np.testing.assert_allclose(frame["lower"], 100 * expit(lo), rtol=1e-9)
    np.testing.assert_allclose(frame["upper"], 100 * expit(hi), rtol=1e-9)
    # an explicit cap for a count
    capped = gc.fit(gc.LogitLinear(cap=1400.0), T_GRID, y * 10)
    np.testing.assert_allclose(capped.params["slope"], np.polyfit(T_GRID - t_ref, logit(y * 10 / 1400), 1)[0], rtol=1e-9)
    # without a cap a count cannot be fitted: a failure with its reason
    bare = gc.fit("logit_linear", T_GRID, y * 10)
    assert bare.status < 0 and "cap" in bare.message


def test_exponential_fails_on_a_zero_with_a_reason():
    y = _series()
    y[4] = 0.0
    res = gc.fit("exponential", T_GRID, y)
    assert res.status < 0 and "positive" in res.message
    with pytest.raises(gc.FitError, match="positive"):
        res.forecast(steps=2)


# ----------------------------------------------------------------- random walks
def test_naive_by_hand_on_irregular_times():
    t = np.array([2000.0, 2000.5, 2001.0, 2001.75, 2002.0])  # one irregular step
    y = np.array([1.0, 3.0, 4.0, 7.0, 8.0])
    res = gc.fit("naive", t, y)
    dt, dy = np.diff(t), np.diff(y)
    sigma2 = np.sum(dy**2 / dt) / (len(y) - 1)  # n - 1 increments, nothing estimated
    frame = res.predict([2002.5, 2004.0], level=0.9)
    d = np.array([0.5, 2.0])
    z = stats.norm.ppf(0.95)
    np.testing.assert_allclose(frame["mean"], [8.0, 8.0])
    np.testing.assert_allclose(frame["upper"] - frame["mean"], z * np.sqrt(sigma2 * d), rtol=1e-12)
    np.testing.assert_allclose(frame["mean"] - frame["lower"], z * np.sqrt(sigma2 * d), rtol=1e-12)
    assert res.params["level"] == 8.0


def test_drift_by_hand_on_irregular_times():
    t = np.array([2000.0, 2000.5, 2001.0, 2001.75, 2002.0])
    y = np.array([1.0, 3.0, 4.0, 7.0, 8.0])
    res = gc.fit("drift", t, y)
    span = 2.0
    c = (8.0 - 1.0) / span
    dt, dy = np.diff(t), np.diff(y)
    sigma2 = np.sum((dy - c * dt) ** 2 / dt) / (len(y) - 2)
    d = np.array([0.5, 3.0])
    frame = res.predict(2002.0 + d, level=0.8)
    half = stats.norm.ppf(0.9) * np.sqrt(sigma2 * d * (1 + d / span))
    np.testing.assert_allclose(frame["mean"], 8.0 + c * d, rtol=1e-12)
    np.testing.assert_allclose(frame["upper"] - frame["mean"], half, rtol=1e-12)
    np.testing.assert_allclose(frame["mean"] - frame["lower"], half, rtol=1e-12)
    assert res.params["drift"] == pytest.approx(c)
    assert res.stderr["drift"] == pytest.approx(np.sqrt(sigma2 / span))


# ----------------------------------------------------------------- statsmodels models
def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels' own convergence chatter, in the reference only
        return fn(*args, **kwargs)


def _ets_reference(y, damped):
    return _quiet(ETSModel(pd.Series(y), error="add", trend="add", damped_trend=damped).fit, disp=False)


def _compare_to_statsmodels(res, sm_res, n, level=0.9, H=6):
    ref = sm_res.get_prediction(start=n, end=n + H - 1).summary_frame(alpha=1 - level)
    lo_col = [c for c in ref.columns if c.endswith("lower")][-1]
    hi_col = [c for c in ref.columns if c.endswith("upper")][-1]
    frame = res.predict(res.t[-1] + 0.5 * np.arange(1, H + 1), level=level)
    np.testing.assert_allclose(frame["mean"], ref["mean"], rtol=1e-6)
    np.testing.assert_allclose(frame["lower"], ref[lo_col], rtol=1e-6)
    np.testing.assert_allclose(frame["upper"], ref[hi_col], rtol=1e-6)


@pytest.mark.parametrize("name, damped", [("holt", False), ("holt_damped", True)])
def test_holt_equals_statsmodels(name, damped):
    y = _series()
    res = gc.fit(name, T_GRID, y)
    ref = _ets_reference(y, damped)
    _compare_to_statsmodels(res, ref, y.size)
    # two optimisers of one likelihood: statsmodels' L-BFGS-B stops within about 1e-9 of the maximum, which
    # leaves the parameters known to about 1e-4; the batch fit never stops at a lower likelihood
    alpha = np.asarray(ref.params)[list(ref.param_names).index("smoothing_level")]
    assert res.params["alpha"] == pytest.approx(alpha, rel=1e-4)
    assert res.loglike == pytest.approx(ref.llf, rel=1e-8)
    assert res.loglike >= ref.llf - 1e-9 * abs(ref.llf)


def test_ets_chooses_by_aicc_and_equals_statsmodels():
    y = _series()
    res = gc.fit("ets", T_GRID, y)
    fits = [_ets_reference(y, damped) for damped in (False, True)]
    best = min(fits, key=lambda f: f.aicc)
    _compare_to_statsmodels(res, best, y.size)
    assert np.isnan(res.params["phi"]) == (best is fits[0])


def _arima_reference(y):
    """The order with the lowest AICc among those whose likelihood statsmodels maximised."""
    fits = [(_quiet(SMARIMA(pd.Series(y), order=(p, 1, q), trend="t").fit), p, q) for p in range(3) for q in range(3)]
    converged = [f for f in fits if f[0].mle_retvals["converged"]]
    return min(converged or fits, key=lambda f: f[0].aicc)


def test_arima_chooses_by_aicc_and_equals_statsmodels():
    y = _series()
    best = _arima_reference(y)
    res = gc.fit("arima", T_GRID, y)
    assert (res.params["p"], res.params["q"]) == (best[1], best[2])
    _compare_to_statsmodels(res, best[0], y.size)


def test_arima_is_not_blamed_for_an_order_it_did_not_choose():
    # On the CNNIC penetration grid the ARIMA(2,1,1) fit does not converge, but the chosen
    # order does: the fit once reported statsmodels' convergence problem all the same.
    df = gc.load_cnnic().dropna(subset=["penetration_pct"])
    res = gc.fit("arima", df["as_of"], df["penetration_pct"])
    _, grid_y, _ = regular_grid(res.t, df["penetration_pct"].to_numpy(float), np.ones(len(df), bool))
    best = _arima_reference(grid_y)
    assert best[0].mle_retvals["converged"]
    assert res.converged, res.message
    assert (res.params["p"], res.params["q"]) == (best[1], best[2])


def test_statsmodels_models_leave_the_off_grid_edition_out():
    # the half-yearly grid with one extra, irregular observation (like March 2020)
    y = _series()
    t_irr = np.insert(T_GRID, 25, T_GRID[24] + 0.25)
    y_irr = np.insert(y, 25, y[24] + 0.3)
    grid_t, grid_y, step = regular_grid(t_irr, y_irr, np.ones(t_irr.size, bool))
    assert step == 0.5
    np.testing.assert_array_equal(grid_t, T_GRID)
    np.testing.assert_array_equal(grid_y, y)
    for name, damped in (("holt", False), ("holt_damped", True)):
        res = gc.fit(name, t_irr, y_irr)
        assert res.nobs == T_GRID.size
        _compare_to_statsmodels(res, _ets_reference(y, damped), y.size)
    # the curves and closed-form trends use every point, at its real date
    assert gc.fit("linear", t_irr, y_irr).nobs == t_irr.size


def test_regular_grid_interpolates_a_missing_slot_from_its_real_neighbours():
    # the CNNIC case: no December 2019 edition, an irregular one in March 2020
    t = np.array([2019.0, 2019.5, 2020.25, 2020.5, 2021.0])
    y = np.array([10.0, 12.0, 15.0, 16.0, 18.0])
    grid_t, grid_y, step = regular_grid(t, y, np.ones(t.size, bool))
    assert step == 0.5
    np.testing.assert_allclose(grid_t, [2019.0, 2019.5, 2020.0, 2020.5, 2021.0])
    # 2020.0 lies two thirds of the way from 2019.5 (12) to 2020.25 (15)
    np.testing.assert_allclose(grid_y, [10.0, 12.0, 14.0, 16.0, 18.0])


def test_statsmodels_models_need_enough_points():
    res = gc.fit("holt", T_GRID[:4], _series()[:4])
    assert res.status < 0 and res.message.startswith("failed")
    with pytest.raises(gc.FitError, match="failed"):
        res.forecast(steps=2)


# ----------------------------------------------------------------- one result type
ALL_MODELS = list(gc.available_models()["name"])


def test_registry_lists_every_model_with_a_description():
    table = gc.available_models()
    expected = {"logistic", "gompertz", "richards", "bass", "linear", "quadratic", "exponential", "logit_linear",
                "naive", "drift", "holt", "holt_damped", "ets", "arima", "ensemble_median", "ensemble_mean"}
    assert expected <= set(table["name"])
    assert table["description"].str.len().gt(10).all()
    with pytest.raises(gc.DataError, match="unknown model"):
        gc.fit("logistc", T_GRID, _series())


@pytest.mark.parametrize("name", ALL_MODELS)
def test_every_model_returns_the_same_frames(name):
    y = _series()
    res = gc.fit(name, T_GRID, y, percent=True)
    assert res.converged or res.status == 0, res.message
    frame = res.forecast(steps=6, level=0.9)
    assert list(frame.columns) == ["t", "mean", "lower", "upper"]  # decimal years in: no date column out
    assert frame.shape == (6, 4)
    np.testing.assert_allclose(frame["t"], T_GRID[-1] + 0.5 * np.arange(1, 7))
    assert np.isfinite(frame[["mean", "lower", "upper"]].to_numpy()).all()
    assert ((frame["lower"] <= frame["mean"]) & (frame["mean"] <= frame["upper"])).all()
    assert list(res.params.index) == list(res.spec.param_names)
    assert res.predict(T_NEW).shape == (len(T_NEW), 4)
    assert isinstance(res.summary(), str)


@pytest.mark.parametrize("name", ALL_MODELS)
def test_penetration_forecasts_and_bounds_stay_in_0_100(name):
    rng = np.random.default_rng(2)
    y = np.clip(logistic(T_GRID, 99.0, 0.9, 2004.0) + rng.normal(0, 0.6, T_GRID.size), 1.0, 100.0)
    res = gc.fit(name, T_GRID, pd.Series(y, name="penetration_pct"))
    assert res.percent
    if res.status < 0:  # logit_linear: a value at 100 has no logit
        assert name == "logit_linear" and "cap" in res.message
        return
    values = res.forecast(steps=30, level=0.99)[["mean", "lower", "upper"]].to_numpy()
    assert np.isfinite(values).all()
    assert ((values >= 0.0) & (values <= 100.0)).all()


# ----------------------------------------------------------------- ensembles
def test_ensemble_rule_on_a_hand_made_example():
    # y = 1 + 2 (t - 2000) exactly: linear and drift both continue the line with no
    # spread; the naive forecast stays at 9 with sigma^2 = 4 (increments 2 over 1 year)
    t = 2000.0 + np.arange(5.0)
    y = 1 + 2 * (t - 2000)
    members = ("linear", "naive", "drift")
    z = stats.norm.ppf(0.95)
    naive_half = z * np.sqrt(4.0 * 2.0)  # horizon of two years
    med = gc.fit(gc.Ensemble(members=members, combine="median"), t, y).predict([2006.0], level=0.9)
    assert med["mean"].iloc[0] == pytest.approx(13.0)
    assert med["lower"].iloc[0] == pytest.approx(13.0)
    assert med["upper"].iloc[0] == pytest.approx(13.0)
    mean = gc.fit(gc.Ensemble(members=members, combine="mean"), t, y).predict([2006.0], level=0.9)
    assert mean["mean"].iloc[0] == pytest.approx((13 + 13 + 9) / 3)
    assert mean["lower"].iloc[0] == pytest.approx((13 + 13 + 9 - naive_half) / 3)
    assert mean["upper"].iloc[0] == pytest.approx((13 + 13 + 9 + naive_half) / 3)


def test_ensemble_leaves_failed_members_out():
    t = 2000.0 + np.arange(5.0)
    y = np.array([0.0, 2.0, 0.0, 6.0, 8.0])  # a zero after the first positive value: the exponential fails
    res = gc.fit(gc.Ensemble(members=("exponential", "naive", "drift"), combine="mean"), t, y)
    frame = res.predict([2006.0], level=0.9)
    assert frame["mean"].iloc[0] == pytest.approx((8.0 + 12.0) / 2)
    with pytest.raises(gc.DataError):
        gc.Ensemble(members=("linear",))
    with pytest.raises(gc.DataError):
        gc.Ensemble(combine="mode")


@pytest.mark.parametrize("name, label", [("logistic", "delta"), ("linear", "regression"), ("drift", "random walk"),
                                         ("holt", "state space"), ("auto", "conformal"),
                                         ("ensemble_median", "of members")])
def test_summary_names_the_intervals_each_model_makes(name, label):
    res = gc.fit(name, T_GRID, _series())
    assert re.search(rf"Intervals:\s+{label}\n", res.summary()), res.summary()
