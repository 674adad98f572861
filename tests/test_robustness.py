"""Issue 7: bad input, numerical edge cases, and laws that always hold.

Every case of the catalogue in docs/robustness.md is here: it either works
(and the test checks the answer), raises DataError naming the problem, or
gives a failure status with its reason. Never a silent NaN forecast. The
suite runs with warnings as errors, so no numpy/scipy/statsmodels warning
reaches a user either.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import growthcast as gc
from conftest import gompertz, logistic

T = 2000.0 + 0.5 * np.arange(30)
Y = logistic(T, 80.0, 0.6, 2008.0)
CURVES = ["logistic", "gompertz", "richards", "bass"]
FAST_MODELS = CURVES + ["linear", "quadratic", "exponential", "naive", "drift"]


def _assert_usable_or_failed(res):
    """A forecast is finite, or there is none: a failure status that says why, and FitError on asking."""
    if res.status < 0:
        assert res.message.startswith("failed"), res.message
        with pytest.raises(gc.FitError, match=re.escape(res.message)):
            res.forecast(steps=3)
    else:
        values = res.forecast(steps=3)[["mean", "lower", "upper"]].to_numpy()
        assert np.isfinite(values).all(), (res.spec.name, res.status, res.message)


# ----------------------------------------------------------------- invalid input: DataError naming it
@pytest.mark.parametrize(
    "t, y, kwargs, match",
    [
        ([], [], {}, "empty"),
        ([2000.0, 2001.0], [np.nan, np.nan], {}, "every value is missing"),
        ([2000.0, 2001.0, 2002.0], [1.0, np.inf, 3.0], {}, r"infinite values in rows \[1\]"),
        ([2000.0, 2001.0, 2002.0], [1.0, -np.inf, 3.0], {}, "infinite"),
        ([2000.0, 2001.0, 2002.0], [1.0, -2.0, 3.0], {}, r"negative values in rows \[1\]"),
        ([2000.0, 2001.0, 2001.0], [1.0, 2.0, 3.0], {}, "duplicate dates"),
        (["2020-06-30", "2020-06-30"], [1.0, 2.0], {}, r"duplicate dates.*2020-06-30"),
        (["2020-06-30", "not a date"], [1.0, 2.0], {}, r"could not parse.*not a date"),
        (["2020-06-30", None], [1.0, 2.0], {}, "missing dates"),
        ([2000.0, np.nan], [1.0, 2.0], {}, "non-finite times"),
        ([2000.0, 2001.0], [50.0, 100.5], {"percent": True}, r"\[0, 100\].*100.5"),
        ([2000.0, 2001.0], [1.0], {}, "same length"),
        ([2000.0, 2001.0], ["a", "2"], {}, "non-numeric"),
    ],
)
@pytest.mark.parametrize("model", ["logistic", "linear", "naive", "holt"])
def test_invalid_input_raises_data_error(model, t, y, kwargs, match):
    with pytest.raises(gc.DataError, match=match):
        gc.fit(model, t, y, **kwargs)


def test_penetration_above_100_by_series_name():
    with pytest.raises(gc.DataError, match=r"\[0, 100\]"):
        gc.fit("logistic", [2000.0, 2001.0, 2002.0], pd.Series([50.0, 70.0, 101.0], name="penetration_pct"))
    with pytest.raises(gc.DataError, match=r"\[0, 100\]"):
        gc.from_frame(pd.DataFrame({"date": [2000.0], "penetration_pct": [120.0]}), value="penetration_pct")


def test_invalid_input_to_fit_many_names_the_series():
    frame = pd.DataFrame({"series_id": ["a", "a", "b", "b"], "date": [1.0, 2.0, 1.0, 1.0], "value": [1.0, 2.0, 3.0, 4.0]})
    with pytest.raises(gc.DataError, match=r"duplicate dates.*'b'"):
        gc.fit_many("logistic", frame)
    with pytest.raises(gc.DataError, match="missing column"):
        gc.fit_many("logistic", frame.drop(columns="value"))
    with pytest.raises(gc.DataError, match="empty"):
        gc.fit_many("logistic", frame.iloc[:0])
    with pytest.raises(gc.DataError, match="DataFrame"):
        gc.fit_many("logistic", [1, 2, 3])
    with pytest.raises(gc.DataError, match="negative"):
        gc.fit_many("logistic", frame.assign(value=[1.0, -2.0, 3.0, 4.0], date=[1.0, 2.0, 1.0, 2.0]))


def test_bad_options_raise_data_error():
    with pytest.raises(gc.DataError, match="level"):
        gc.fit("logistic", T, Y).predict([2030.0], level=95)
    with pytest.raises(gc.DataError, match="fixed"):
        gc.fit("logistic", T, Y, fixed={"k": 100})
    with pytest.raises(gc.DataError, match="K must be"):
        gc.Logistic(fixed={"K": -1.0})
    with pytest.raises(gc.DataError, match="fixed"):
        gc.fit("holt", T, Y, fixed={"K": 100})
    with pytest.raises(gc.DataError, match="steps"):
        gc.fit("logistic", T, Y).forecast(steps=0)


# ----------------------------------------------------------------- too little data: failure status
@pytest.mark.parametrize("model", FAST_MODELS + ["holt", "arima", "ensemble_median"])
def test_one_point_gives_a_failure_status(model):
    res = gc.fit(model, [2020.5], [10.0])
    _assert_usable_or_failed(res)
    assert res.status < 0


@pytest.mark.parametrize("model, n", [("logistic", 2), ("gompertz", 2), ("richards", 3), ("quadratic", 2), ("drift", 2)])
def test_fewer_points_than_parameters(model, n):
    res = gc.fit(model, T[:n], Y[:n])
    assert res.status == gc.errors.FAILED_TOO_FEW_POINTS
    assert "fewer usable points" in res.message
    _assert_usable_or_failed(res)


# ----------------------------------------------------------------- awkward but valid input: works
def test_missing_values_are_dropped_and_counted():
    y = Y.copy()
    y[[3, 7]] = np.nan
    res = gc.fit("logistic", T, y)
    full = gc.fit("logistic", np.delete(T, [3, 7]), np.delete(Y, [3, 7]))
    assert res.n_missing == 2 and res.nobs == T.size - 2
    np.testing.assert_allclose(res.params, full.params, rtol=1e-12)
    assert "2 missing dropped" in res.summary()


def test_unsorted_dates_are_sorted():
    order = np.random.default_rng(0).permutation(T.size)
    res = gc.fit("logistic", T[order], Y[order])
    ref = gc.fit("logistic", T, Y)
    np.testing.assert_allclose(res.params, ref.params, rtol=1e-12)
    assert np.all(np.diff(res.t) > 0)


def test_dates_as_strings_in_mixed_formats():
    dates = ["2020-06-30", "2020/12/31", "30 June 2021", "2021-12-31T00:00:00", "Jun 30 2022"]
    iso = ["2020-06-30", "2020-12-31", "2021-06-30", "2021-12-31", "2022-06-30"]
    y = [1.0, 2.0, 3.5, 4.0, 5.5]
    a = gc.fit("linear", dates, y)
    b = gc.fit("linear", pd.to_datetime(iso), y)
    np.testing.assert_array_equal(a.t, b.t)
    np.testing.assert_allclose(a.params, b.params, rtol=1e-12)


@pytest.mark.parametrize("model", FAST_MODELS)
def test_constant_series(model):
    res = gc.fit(model, T, np.full(T.size, 5.0))
    _assert_usable_or_failed(res)
    if res.status >= 0:  # a constant fits: the forecast is the constant
        np.testing.assert_allclose(res.forecast(steps=3)["mean"], 5.0, rtol=1e-6)


@pytest.mark.parametrize("model", FAST_MODELS + ["holt"])
def test_decreasing_series(model):
    res = gc.fit(model, T, Y[::-1])
    _assert_usable_or_failed(res)
    if res.status >= 0:
        frame = res.forecast(steps=3)
        assert (np.diff(frame["mean"]) <= 1e-9).all()  # no rise out of a falling series
        assert (frame[["mean", "lower", "upper"]] >= 0).all(axis=None)  # counts stay non-negative


@pytest.mark.parametrize("model", CURVES)
def test_series_already_at_saturation(model):
    t = T
    y = 80.0 - 1e-3 * np.cos(t)  # flat at 80 with a tiny wiggle
    res = gc.fit(model, t, y)
    _assert_usable_or_failed(res)
    if res.status >= 0:
        np.testing.assert_allclose(res.forecast(steps=4)["mean"], 80.0, atol=0.01)


def test_a_curve_that_has_not_bent_yet_fails_with_advice():
    t = 2000.0 + 0.5 * np.arange(12)
    y = 0.5 * np.exp(0.4 * (t - 2000.0))  # pure exponential growth: no ceiling in sight
    res = gc.fit("logistic", t, y)
    assert res.status == gc.errors.FAILED_SINGULAR
    assert "fix the ceiling (fixed={'K': ...}) or use a trend model" in res.message
    assert "fix the ceiling" in gc.fit_many("bass", pd.DataFrame({"series_id": "a", "date": t, "value": y})).status.loc["a", "message"]
    fixed = gc.fit("logistic", t, y, fixed={"K": 100.0})  # the advice works
    assert fixed.converged, fixed.message


def test_a_converged_fit_never_has_infinite_standard_errors():
    # Pure noise around 0: a Gompertz curve can fit it as a step (r ~ 1e3 per year),
    # whose covariance overflows in natural units. That once came back "converged"
    # with infinite standard errors; it is a failure with its reason.
    from growthcast import errors
    from growthcast._numerics import curvefit as _curvefit
    from growthcast.curves import CURVES

    y = np.array([[0.054941587582152514, -0.10074839164754572, 0.4464859179939707, -0.21483106338407268,
                   -0.08151598283121562, 0.28530459336914643, -0.026408621477277884, -0.20910770917129412,
                   0.4793132198493281, 1.184285639479751, 0.8272599121738357, -0.5602134444143814,
                   2.0818642287068245, -1.3500165808330948, -0.3077783493508726, 0.6184595448965672,
                   1.390007869875103, 0.3988531780244826]])
    t = 1997.8 + 0.5 * np.arange(y.shape[1])[None, :]
    fit = _curvefit.fit_curve(CURVES["gompertz"], t, y, np.ones(y.shape, bool), np.full((1, 3), np.nan))
    if fit.status[0] >= 0:
        assert np.isfinite(fit.cov).all() and np.isfinite(fit.params).all()
    else:
        assert fit.status[0] == errors.FAILED_SINGULAR and np.isnan(fit.params).all()


@pytest.mark.parametrize("scale", [1e12 / 80, 1e-6 / 80])
@pytest.mark.parametrize("model", CURVES + ["linear", "exponential", "naive", "drift", "holt"])
def test_values_near_1e12_and_1e_6(model, scale):
    res = gc.fit(model, T, Y * scale)
    ref = gc.fit(model, T, Y)
    assert res.status >= 0, res.message
    _assert_usable_or_failed(res)
    if model == "holt":  # statsmodels' optimiser is not scale-free; only sanity here
        return
    np.testing.assert_allclose(res.predict([2016.0, 2020.0])["mean"] / scale, ref.predict([2016.0, 2020.0])["mean"], rtol=1e-6)


@pytest.mark.parametrize("model", CURVES + ["linear", "quadratic", "exponential", "drift"])
def test_time_as_years_near_2025_or_from_zero(model):
    near = gc.fit(model, T + 25.0, Y)  # 2025 .. 2039.5
    zero = gc.fit(model, T - 2000.0, Y)  # 0 .. 14.5
    for res in (near, zero):
        assert res.converged, res.message
    np.testing.assert_allclose(near.predict(T[-1] + 25.0 + np.array([1.0, 3.0]))["mean"],
                               zero.predict(T[-1] - 2000.0 + np.array([1.0, 3.0]))["mean"], rtol=1e-7)


def test_few_points_near_2025_on_the_real_grid():
    dates = pd.to_datetime(["2022-06-30", "2022-12-31", "2023-06-30", "2023-12-31", "2024-06-30", "2024-12-31"])
    y = [74.4, 75.6, 76.4, 77.5, 78.0, 78.6]
    res = gc.fit("logistic", dates, pd.Series(y, name="penetration_pct"), fixed={"K": 100})
    assert res.converged
    frame = res.forecast(until="2026-12-31")
    assert list(frame["date"].dt.strftime("%m-%d")) == ["06-30", "12-31", "06-30", "12-31"]
    assert (np.diff(frame["mean"]) > 0).all() and (frame["upper"] <= 100).all()


# ----------------------------------------------------------------- laws (hypothesis)
log_K = st.floats(-3.0, 9.0)
rates = st.floats(0.3, 1.5)
t0s = st.floats(2004.0, 2011.0)


@given(log_K, rates, t0s)
def test_logistic_parameters_are_recovered(logK, r, t0):
    K = 10.0**logK
    res = gc.fit("logistic", T, logistic(T, K, r, t0))
    assert res.converged, res.message
    np.testing.assert_allclose(res.params[["K", "r", "t0"]], [K, r, t0], rtol=1e-6)


@given(log_K, st.floats(0.3, 1.0), st.floats(2003.0, 2009.0))
def test_gompertz_parameters_are_recovered(logK, r, t0):
    K = 10.0**logK
    res = gc.fit("gompertz", T, gompertz(T, K, r, t0))
    assert res.converged, res.message
    np.testing.assert_allclose(res.params[["K", "r", "t0"]], [K, r, t0], rtol=1e-6)


@given(rates, t0s, st.integers(0, 2**32 - 1))
def test_forecasts_from_monotone_curves_are_monotone(r, t0, seed):
    rng = np.random.default_rng(seed)
    y = np.maximum(logistic(T, 50.0, r, t0) + rng.normal(0, 0.3, T.size), 0.01)
    for model in ("logistic", "gompertz"):
        res = gc.fit(model, T, y)
        if res.status < 0:
            continue
        mean = res.forecast(steps=20)["mean"].to_numpy()
        assert np.all(np.diff(mean) >= -1e-12 * np.abs(mean[1:]))


@given(st.sampled_from(["logistic", "gompertz", "linear", "exponential", "naive", "drift"]),
       st.integers(0, 2**32 - 1), st.floats(0.5, 0.99))
def test_intervals_contain_the_point_forecast(model, seed, level):
    rng = np.random.default_rng(seed)
    y = logistic(T, 50.0, 0.5, 2008.0) * np.exp(rng.normal(0, 0.03, T.size))
    frame = gc.fit(model, T, y).forecast(steps=12, level=level)
    assert ((frame["lower"] <= frame["mean"]) & (frame["mean"] <= frame["upper"])).all()


@settings(max_examples=40, deadline=None)
@given(st.sampled_from([m for m in gc.available_models()["name"] if m not in ("arima", "richards", "bass",
                                                                             "weibull")]),
       st.integers(0, 2**32 - 1), st.floats(-0.6, 0.6), st.sampled_from([0.8, 0.95]))
def test_intervals_of_any_model_contain_the_forecast_on_rising_or_falling_series(model, seed, drift, level):
    # a random walk on the log scale, rising or falling towards zero (a series that collapses, as some countries'
    # broadband counts did): every interval must hold its point forecast, whatever the model's construction
    rng = np.random.default_rng(seed)
    y = 20.0 * np.exp(np.cumsum(drift * 0.5 + rng.normal(0.0, 0.15, T.size)))
    res = gc.fit(model, T, y)
    if res.status < 0:
        return
    frame = res.forecast(steps=10, level=level)
    ok = (frame["lower"] <= frame["mean"]) & (frame["mean"] <= frame["upper"])
    assert ok.all(), frame[~ok]


@given(st.sampled_from(["linear", "exponential", "naive", "drift", "logistic"]), st.integers(0, 2**32 - 1))
def test_intervals_widen_with_the_horizon(model, seed):
    # models whose uncertainty grows after the data; a saturation curve is here only
    # for data still in its growth phase (near saturation its band settles to K's)
    rng = np.random.default_rng(seed)
    y = logistic(T, 50.0, 0.3, 2016.0) * np.exp(rng.normal(0, 0.03, T.size))
    frame = gc.fit(model, T, y).forecast(steps=12)
    width = (frame["upper"] - frame["lower"]).to_numpy()
    assert np.all(np.diff(width) > 0)


@given(st.floats(-4.0, 4.0), st.integers(0, 2**32 - 1), st.sampled_from(["logistic", "gompertz", "richards"]))
def test_fits_scale_with_the_unit_of_the_values(log_unit, seed, model):
    unit = 10.0**log_unit
    rng = np.random.default_rng(seed)
    y = np.abs(logistic(T, 80.0, 0.6, 2008.0) + rng.normal(0, 0.5, T.size)) + 1.0
    a = gc.fit(model, T, y)
    b = gc.fit(model, T, y * unit)
    assert a.converged and b.converged
    np.testing.assert_allclose(b.params["K"], a.params["K"] * unit, rtol=1e-6)
    np.testing.assert_allclose(b.params[["r", "t0"]], a.params[["r", "t0"]], rtol=1e-6)
    np.testing.assert_allclose(b.stderr["K"], a.stderr["K"] * unit, rtol=1e-4)
    np.testing.assert_allclose(b.predict([2025.0])["upper"], a.predict([2025.0])["upper"] * unit, rtol=1e-6)


@given(st.floats(-2000.0, 100.0), st.integers(0, 2**32 - 1), st.sampled_from(["logistic", "gompertz"]))
def test_fits_shift_with_the_time_origin(shift, seed, model):
    rng = np.random.default_rng(seed)
    y = np.abs(logistic(T, 80.0, 0.6, 2008.0) + rng.normal(0, 0.5, T.size)) + 1.0
    a = gc.fit(model, T, y)
    b = gc.fit(model, T + shift, y)
    assert a.converged and b.converged
    np.testing.assert_allclose(b.params["t0"], a.params["t0"] + shift, rtol=0, atol=1e-6)
    np.testing.assert_allclose(b.params[["K", "r"]], a.params[["K", "r"]], rtol=1e-6)


@given(st.floats(5.0, 75.0), st.integers(0, 2**32 - 1))
def test_time_to_reach_inverts_predict(value, seed):
    rng = np.random.default_rng(seed)
    y = np.abs(logistic(T, 80.0, 0.6, 2008.0) + rng.normal(0, 0.5, T.size)) + 1.0
    res = gc.fit("logistic", T, y)
    when = res.time_to_reach(value)
    if np.isfinite(when["t"]) and when["t"] > T[0]:
        assert res.predict([when["t"]])["mean"].iloc[0] == pytest.approx(value, rel=1e-6)
