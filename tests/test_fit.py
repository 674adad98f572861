"""The public fitting API of issue 3: ``fit``, ``fit_many`` and the results.

References are independent of the code under test: scipy.optimize.least_squares
for the optimum and its Jacobian, closed forms for the curve, its inverse and
its inflection, and likelihood formulas typed out here.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

import growthcast as gc
from conftest import gompertz, logistic


def _logistic_jac(t, K, r, t0):
    s = 1.0 / (1.0 + np.exp(-r * (t - t0)))
    return np.column_stack([s, K * s * (1 - s) * (t - t0), -K * s * (1 - s) * r])


def _scipy_logistic(t, y, x0, fixed_K=None):
    """The least-squares optimum, its residuals and Jacobian, from scipy."""
    if fixed_K is None:
        fun = lambda p: logistic(t, *p) - y  # noqa: E731
        jac = lambda p: _logistic_jac(t, *p)  # noqa: E731
    else:
        fun = lambda p: logistic(t, fixed_K, *p) - y  # noqa: E731
        jac = lambda p: _logistic_jac(t, fixed_K, *p)[:, 1:]  # noqa: E731
    sol = optimize.least_squares(fun, x0, jac=jac, method="lm", xtol=1e-15, ftol=1e-15, gtol=1e-15)
    return sol


def _half_year_dates(first_year, last_year):
    return pd.to_datetime([f"{y}-{md}" for y in range(first_year, last_year + 1) for md in ("06-30", "12-31")])


# ----------------------------------------------------------------- the optimum and its statistics
def test_logistic_matches_scipy_least_squares(noisy_logistic):
    t, y, truth = noisy_logistic
    res = gc.fit("logistic", t, y)
    sol = _scipy_logistic(t, y, [truth["K"], truth["r"], truth["t0"]])
    assert res.converged
    np.testing.assert_allclose(res.params[["K", "r", "t0"]].to_numpy(), sol.x, rtol=1e-7)
    sse = float(np.sum(sol.fun**2))
    assert res.sse == pytest.approx(sse, rel=1e-8)
    n, p = t.size, 3
    assert res.sigma == pytest.approx(np.sqrt(sse / (n - p)), rel=1e-8)
    assert res.nobs == n and res.df_resid == n - p
    # delta-method covariance s^2 (J'J)^-1 from scipy's Jacobian at scipy's optimum
    J = sol.jac
    cov = sse / (n - p) * np.linalg.inv(J.T @ J)
    np.testing.assert_allclose(res.cov.to_numpy(), cov, rtol=1e-5)
    np.testing.assert_allclose(res.stderr.to_numpy(), np.sqrt(np.diag(cov)), rtol=1e-5)
    assert list(res.params.index) == ["K", "r", "t0"]


def test_gompertz_matches_scipy_least_squares(half_years):
    t = half_years
    rng = np.random.default_rng(3)
    y = gompertz(t, 90.0, 0.35, 2007.0) * (1 + rng.normal(0, 0.02, t.size)) + 0.3 * rng.random(t.size)
    res = gc.fit("gompertz", t, y)
    sol = optimize.least_squares(lambda p: gompertz(t, *p) - y, [90.0, 0.35, 2007.0], method="lm",
                                 xtol=1e-15, ftol=1e-15, gtol=1e-15)
    np.testing.assert_allclose(res.params.to_numpy(), sol.x, rtol=1e-6)
    assert res.sse == pytest.approx(float(np.sum(sol.fun**2)), rel=1e-8)


def test_information_criteria_by_hand(noisy_logistic):
    t, y, _ = noisy_logistic
    res = gc.fit("logistic", t, y)
    n, k = t.size, 3 + 1  # three curve parameters and the noise variance
    loglike = -n / 2 * (np.log(2 * np.pi * res.sse / n) + 1)
    aic = -2 * loglike + 2 * k
    assert res.aic == pytest.approx(aic, rel=1e-12)
    assert res.aicc == pytest.approx(aic + 2 * k * (k + 1) / (n - k - 1), rel=1e-12)
    assert res.bic == pytest.approx(-2 * loglike + np.log(n) * k, rel=1e-12)
    # one parameter fewer when K is fixed
    fixed = gc.fit("logistic", t, y, fixed={"K": 100})
    ll = -n / 2 * (np.log(2 * np.pi * fixed.sse / n) + 1)
    assert fixed.aic == pytest.approx(-2 * ll + 2 * 3, rel=1e-12)


def test_fixed_K_matches_scipy_and_has_zero_variance(noisy_logistic):
    t, y, _ = noisy_logistic
    res = gc.fit("logistic", t, y, fixed={"K": 100})
    sol = _scipy_logistic(t, y, [0.4, 2009.0], fixed_K=100.0)
    assert res.params["K"] == 100.0
    # a poor fit (the data level off near 80): a flat optimum, agreement as issue 3 asks
    np.testing.assert_allclose(res.params[["r", "t0"]].to_numpy(), sol.x, rtol=1e-6)
    assert res.sse <= float(np.sum(sol.fun**2)) * (1 + 1e-10)
    assert res.stderr["K"] == 0.0
    assert np.all(res.cov.loc["K"].to_numpy() == 0.0)
    J = sol.jac
    cov = float(np.sum(sol.fun**2)) / (t.size - 2) * np.linalg.inv(J.T @ J)
    got = res.cov.loc[["r", "t0"], ["r", "t0"]].to_numpy()
    scale = np.sqrt(np.outer(np.diag(cov), np.diag(cov)))  # compare on the correlation scale
    np.testing.assert_allclose(got / scale, cov / scale, rtol=0, atol=1e-5)
    np.testing.assert_allclose(np.diag(got), np.diag(cov), rtol=1e-5)


def test_name_spec_and_fixed_keyword_are_the_same_fit(noisy_logistic):
    t, y, _ = noisy_logistic
    spec = gc.Logistic(fixed={"K": 100})
    a = gc.fit(spec, t, y)
    b = gc.fit("logistic", t, y, fixed={"K": 100})
    assert np.array_equal(a.params.to_numpy(), b.params.to_numpy())
    assert np.array_equal(gc.fit("logistic", t, y).params.to_numpy(), gc.fit(gc.Logistic(), t, y).params.to_numpy())
    assert dict(spec.fixed) == {"K": 100}  # fit did not change the spec
    assert a.spec is spec


def test_dates_and_decimal_years_give_the_same_fit(noisy_logistic):
    _, y, _ = noisy_logistic
    dates = _half_year_dates(2000, 2019)
    t = gc.data.to_decimal_year(dates)
    by_date = gc.fit("logistic", dates, y)
    by_float = gc.fit("logistic", t, y)
    by_series = gc.fit("logistic", pd.Series(dates), pd.Series(y, name="y"))
    by_string = gc.fit("logistic", [d.strftime("%Y-%m-%d") for d in dates], y)
    by_ns = gc.fit("logistic", dates.as_unit("ns"), y)
    for other in (by_float, by_series, by_string, by_ns):
        np.testing.assert_allclose(other.params.to_numpy(), by_date.params.to_numpy(), rtol=1e-12)
    assert by_date.has_dates and not by_float.has_dates
    assert by_ns.params["t0"] > 2000  # nanosecond timestamps are dates, not numbers


def test_fit_does_not_mutate_inputs(noisy_logistic):
    t, y, _ = noisy_logistic
    t_in, y_in = t.copy(), y.copy()
    y_in[3] = np.nan
    y_before = y_in.copy()
    s = pd.Series(y_in, name="v")
    gc.fit("logistic", t_in, s)
    assert np.array_equal(t_in, t)
    assert np.array_equal(y_in, y_before, equal_nan=True)
    assert np.array_equal(s.to_numpy(), y_before, equal_nan=True)


# ----------------------------------------------------------------- predictions
def test_predict_at_observed_times_equals_fitted_values(noisy_logistic):
    t, y, _ = noisy_logistic
    res = gc.fit("logistic", t, y)
    K, r, t0 = res.params[["K", "r", "t0"]]
    frame = res.predict(res.t)
    assert list(frame.columns) == ["t", "mean", "lower", "upper"]  # decimal years: no date column
    np.testing.assert_allclose(frame["mean"].to_numpy(), logistic(t, K, r, t0), rtol=1e-12)
    np.testing.assert_allclose(res.fitted_values().to_numpy(), logistic(t, K, r, t0), rtol=1e-12)
    np.testing.assert_allclose(res.residuals().to_numpy(), y - logistic(t, K, r, t0), atol=1e-9)


def test_delta_prediction_interval_by_hand(noisy_logistic):
    t, y, _ = noisy_logistic
    res = gc.fit("logistic", t, y)
    K, r, t0 = res.params[["K", "r", "t0"]]
    t_new = np.array([2015.3, 2021.0, 2025.0])
    g = _logistic_jac(t_new, K, r, t0)
    var = np.einsum("mp,pq,mq->m", g, res.cov.to_numpy(), g) + res.sigma**2
    q = stats.t.ppf(0.95, t.size - 3)
    frame = res.predict(t_new, level=0.9)
    mean = logistic(t_new, K, r, t0)
    np.testing.assert_allclose(frame["mean"], mean, rtol=1e-12)
    np.testing.assert_allclose(frame["lower"], mean - q * np.sqrt(var), rtol=1e-9)
    np.testing.assert_allclose(frame["upper"], mean + q * np.sqrt(var), rtol=1e-9)


def test_forecast_lies_on_the_half_yearly_grid(noisy_logistic):
    _, y, _ = noisy_logistic
    dates = _half_year_dates(2000, 2019)
    res = gc.fit("logistic", dates, y)
    frame = res.forecast(until="2022-12-31", level=0.8)
    assert list(frame.columns) == ["date", "t", "mean", "lower", "upper"]
    expected = _half_year_dates(2020, 2022)
    assert list(frame["date"]) == list(expected)
    np.testing.assert_allclose(frame["t"], gc.data.to_decimal_year(expected), rtol=0, atol=1e-9)
    assert np.all((frame["lower"] < frame["mean"]) & (frame["mean"] < frame["upper"]))
    assert len(res.forecast(steps=4)) == 4
    # with decimal-year floats: steps of half a year after the last observation, no dates
    t = gc.data.to_decimal_year(dates)
    plain = gc.fit("logistic", t - 2000.0, y).forecast(steps=3)
    np.testing.assert_allclose(plain["t"], t[-1] - 2000.0 + np.array([0.5, 1.0, 1.5]), rtol=1e-12)
    assert "date" not in plain.columns
    with pytest.raises(gc.DataError, match="until"):
        res.forecast(until="2010-01-01")


def test_predict_accepts_dates_strings_and_floats(noisy_logistic):
    _, y, _ = noisy_logistic
    res = gc.fit("logistic", _half_year_dates(2000, 2019), y)
    a = res.predict(["2027-12-31", "2030-12-31"])
    b = res.predict(pd.to_datetime(["2027-12-31", "2030-12-31"]))
    c = res.predict(gc.data.to_decimal_year(["2027-12-31", "2030-12-31"]))
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(a, c)
    assert list(a["date"].dt.strftime("%Y-%m-%d")) == ["2027-12-31", "2030-12-31"]


def test_time_to_reach_inverts_predict(noisy_logistic):
    t, y, _ = noisy_logistic
    res = gc.fit("logistic", t, y)
    K, r, t0 = res.params[["K", "r", "t0"]]
    for value in (20.0, 60.0, 75.0):
        out = res.time_to_reach(value, level=0.9)
        assert out["t"] == pytest.approx(t0 + np.log(value / (K - value)) / r, abs=1e-6)
        assert res.predict([out["t"]])["mean"].iloc[0] == pytest.approx(value, rel=1e-6)
        assert out["lower_t"] < out["t"] < out["upper_t"]
        # the band is inverted: the upper bound reaches the value at lower_t
        band = res.predict([out["lower_t"], out["upper_t"]], level=0.9)
        assert band["upper"].iloc[0] == pytest.approx(value, rel=1e-5)
        assert band["lower"].iloc[1] == pytest.approx(value, rel=1e-5)
    never = res.time_to_reach(K + 50.0)  # above the ceiling: never reached
    assert np.isnan(never["t"])


def test_inflection_of_the_logistic(noisy_logistic):
    t, y, _ = noisy_logistic
    res = gc.fit("logistic", t, y)
    inf = res.inflection()
    assert inf["t"] == pytest.approx(res.params["t0"], rel=1e-14)
    assert inf["value"] == pytest.approx(res.params["K"] / 2, rel=1e-14)
    assert inf["lower_t"] < inf["t"] < inf["upper_t"]
    # delta method by hand: se(t*) = se(t0), se(K/2) = se(K) / 2
    q = stats.t.ppf(0.975, t.size - 3)
    assert inf["upper_t"] - inf["t"] == pytest.approx(q * res.stderr["t0"], rel=1e-4)
    assert inf["upper"] - inf["value"] == pytest.approx(q * res.stderr["K"] / 2, rel=1e-4)
    with pytest.raises(gc.DataError):
        gc.fit("linear", t, y).inflection()


# ----------------------------------------------------------------- bootstrap
def test_delta_and_bootstrap_intervals_roughly_agree(noisy_logistic):
    t, y, _ = noisy_logistic
    when = [2020.0, 2022.0, 2025.0]
    delta = gc.fit("logistic", t, y).predict(when, level=0.9)
    boot = gc.fit("logistic", t, y, interval="bootstrap", n_boot=400, random_state=1).predict(when, level=0.9)
    np.testing.assert_allclose(boot["mean"], delta["mean"], rtol=1e-12)
    ratio = (boot["upper"] - boot["lower"]) / (delta["upper"] - delta["lower"])
    assert np.all((ratio > 0.7) & (ratio < 1.4)), ratio.tolist()
    assert np.all((boot["lower"] < boot["mean"]) & (boot["mean"] < boot["upper"]))


def test_bootstrap_is_reproducible_with_a_seed(noisy_logistic):
    t, y, _ = noisy_logistic
    kw = dict(interval="bootstrap", n_boot=100)
    a = gc.fit("logistic", t, y, random_state=5, **kw)
    b = gc.fit("logistic", t, y, random_state=5, **kw)
    c = gc.fit("logistic", t, y, random_state=6, **kw)
    when = [2021.0, 2024.0]
    pd.testing.assert_frame_equal(a.predict(when), b.predict(when))
    pd.testing.assert_frame_equal(a.conf_int(), b.conf_int())
    assert not np.allclose(a.predict(when)["lower"], c.predict(when)["lower"], rtol=1e-9, atol=0)
    with pytest.raises(gc.DataError, match="n_boot"):
        gc.fit("logistic", t, y, interval="bootstrap", n_boot=5)
    with pytest.raises(gc.DataError, match="interval"):
        gc.fit("logistic", t, y, interval="jackknife")


# ----------------------------------------------------------------- many series
def test_fit_many_equals_fitting_each_series_alone(long_frame):
    frame, truths = long_frame
    many = gc.fit_many("logistic", frame)
    assert list(many.params.columns) == ["K", "r", "t0"]
    assert set(many.series_ids) == set(truths)
    for sid in truths:
        part = frame[frame.series_id == sid]
        alone = gc.fit("logistic", part["date"], part["value"])
        assert np.array_equal(many[sid].params.to_numpy(), alone.params.to_numpy())
        assert np.array_equal(many[sid].cov.to_numpy(), alone.cov.to_numpy())
        assert np.array_equal(many.params.loc[sid].to_numpy(), alone.params.to_numpy())
        assert many[sid].sse == alone.sse
    assert (many.status["status"] > 0).all()
    with pytest.raises(KeyError, match="delta"):
        many["delta"]


def test_bad_series_fail_with_a_reason_and_leave_the_others_alone(long_frame):
    frame, truths = long_frame
    t = frame.loc[frame.series_id == "alpha", "date"].to_numpy()
    bad = pd.concat(
        [
            pd.DataFrame({"series_id": "all_nan", "date": t, "value": np.nan}),
            pd.DataFrame({"series_id": "two_points", "date": t[:2], "value": [1.0, 2.0]}),
            pd.DataFrame({"series_id": "constant", "date": t, "value": 5.0}),
            pd.DataFrame({"series_id": "zeros", "date": t, "value": 0.0}),
        ]
    )
    clean = gc.fit_many("logistic", frame)
    mixed = gc.fit_many("logistic", pd.concat([bad, frame], ignore_index=True))
    for sid in truths:
        assert np.array_equal(mixed[sid].params.to_numpy(), clean[sid].params.to_numpy())
        assert mixed[sid].status == clean[sid].status
    status = mixed.status
    assert set(status.index) == set(truths) | {"all_nan", "two_points", "constant", "zeros"}
    for sid in ("all_nan", "two_points", "zeros"):
        assert status.loc[sid, "status"] < 0, sid
        assert status.loc[sid, "message"].startswith("failed"), sid
        assert mixed.params.loc[sid].isna().all()
        with pytest.raises(gc.FitError, match="failed"):
            mixed[sid].predict([2030.0])
    assert mixed["all_nan"].n_missing == len(t)
    # a constant series: either a failure with its reason, or a flat forecast at the constant
    const = mixed["constant"]
    if const.status < 0:
        assert const.message.startswith("failed")
    else:
        np.testing.assert_allclose(const.predict([2030.0])["mean"], 5.0, rtol=1e-9)


def test_fit_many_with_ragged_lengths_agrees_with_single_fits(long_frame):
    frame, truths = long_frame
    short = frame[(frame.series_id == "alpha") & (frame.date < 2010)].assign(series_id="alpha_short")
    many = gc.fit_many("logistic", pd.concat([frame, short], ignore_index=True))
    alone = gc.fit("logistic", short["date"], short["value"])
    # padding to the longest series may move the last bits of the sums, nothing more
    np.testing.assert_allclose(many["alpha_short"].params.to_numpy(), alone.params.to_numpy(), rtol=1e-9)


def test_fit_many_column_names_and_validated_frames(long_frame):
    frame, _ = long_frame
    renamed = frame.rename(columns={"series_id": "unique_id", "date": "ds", "value": "y"})
    a = gc.fit_many("gompertz", renamed, date="ds", value="y", series_id="unique_id")
    b = gc.fit_many("gompertz", gc.from_frame(frame, series_id="series_id"))
    pd.testing.assert_frame_equal(a.params, b.params)
    tidy = a.to_frame()
    assert set(tidy.columns) >= {"series_id", "parameter", "estimate", "stderr", "lower", "upper"}
    assert len(tidy) == 3 * 3
    stacked = a.forecast(steps=2)
    assert list(stacked.columns) == ["series_id", "t", "mean", "lower", "upper", "status"]  # decimal years: no date
    assert len(stacked) == 6
    # one prediction call for the batch gives each series' own forecast
    for sid in a.series_ids:
        own = a[sid].forecast(steps=2)
        part = stacked[stacked["series_id"] == sid].reset_index(drop=True)
        np.testing.assert_allclose(part[["t", "mean", "lower", "upper"]], own[["t", "mean", "lower", "upper"]], rtol=1e-12)


# ----------------------------------------------------------------- results as values
def test_results_are_immutable(noisy_logistic, long_frame):
    t, y, _ = noisy_logistic
    res = gc.fit("logistic", t, y)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.spec = gc.Gompertz()
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.t = t
    for arr in (res.t, res.y, res.fitted.params, res.fitted.cov, res.fitted.status):
        with pytest.raises(ValueError):
            arr[0] = 0
    before = res.params.copy()
    edited = res.params
    try:  # editing a returned frame must not change the result (pandas may refuse outright)
        edited["K"] = -1.0
    except (ValueError, pd.errors.ChainedAssignmentError):
        pass
    pd.testing.assert_series_equal(res.params, before)
    many = gc.fit_many("logistic", long_frame[0])
    p = many.params
    try:
        p.iloc[0, 0] = -1.0
    except ValueError:
        pass
    assert many.params.iloc[0, 0] != -1.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        many.spec = gc.Gompertz()


def test_summary_shows_a_long_specification_in_full(noisy_logistic):
    t, y, _ = noisy_logistic
    spec = gc.Richards(fixed={"K": 95.0, "nu": 1.5})  # its repr is longer than the summary's column
    assert len(repr(spec)) > 36
    text = gc.fit(spec, t, y).summary()
    assert "richards (in full below)" in text
    assert repr(spec) in " ".join(line.strip() for line in text.splitlines())  # wrapped, never cut
    assert max(len(line) for line in text.splitlines()) <= 78


def test_summary_and_to_dict(noisy_logistic):
    t, y, _ = noisy_logistic
    res = gc.fit("logistic", t, y, fixed={"K": 100})
    text = res.summary()
    for name in ("K", "r", "t0", "AIC", "(fixed)"):
        assert name in text
    d = res.to_dict()
    back = json.loads(json.dumps(d))
    assert back["params"]["K"] == 100.0
    assert back["params"]["r"] == pytest.approx(res.params["r"])
    assert back["model"] == "logistic" and back["converged"] is True
    table = res.to_frame()
    assert list(table.index) == ["K", "r", "t0"] and bool(table.loc["K", "fixed"])
    failed = gc.fit("logistic", [2000.0, 2001.0], [1.0, 2.0])
    fd = json.loads(json.dumps(failed.to_dict(), allow_nan=False))
    assert fd["params"]["K"] is None and fd["status"] < 0 and fd["message"].startswith("failed")


def test_time_to_reach_dates_nothing_before_the_last_observation_below_the_value():
    df = gc.load_cnnic()
    last = df.dropna(subset=["penetration_pct"]).iloc[-1]
    assert last["penetration_pct"] < 85.0  # 79.7% in June 2025
    when = gc.fit(gc.Logistic(fixed={"K": 100}), df["as_of"], df["penetration_pct"]).time_to_reach(85.0)
    assert when["lower"] >= last["as_of"] and when["date"] >= when["lower"]


def test_predict_takes_dates_and_decimal_years_mixed_in_one_list(noisy_logistic):
    t, y, _ = noisy_logistic
    res = gc.fit("logistic", t, y)
    out = res.predict(["2027-12-31", 2030.5, pd.Timestamp("2021-01-01")])
    # 2027-12-31 is day 364 of a 365-day year; the float is a decimal year as it stands
    np.testing.assert_allclose(out["t"], [2027 + 364 / 365, 2030.5, 2021.0], rtol=0, atol=1e-9)
    K, r, t0 = res.params[["K", "r", "t0"]]
    np.testing.assert_allclose(out["mean"], K / (1 + np.exp(-r * (out["t"] - t0))), rtol=1e-12)


@pytest.mark.parametrize("model", ["holt", "ets", "arima"])
def test_one_series_of_a_state_space_batch_forecasts_as_that_series_fitted_alone(model):
    # many[id] once kept the kernel's fit of the whole batch, so every series forecast as the batch's first one
    panel = gc.load_panel("mobile_cellular")
    panel = panel[panel["series_id"].isin(["Norway", "Kenya", "Chile"])]
    many = gc.fit_many(model, panel, date="year")
    for sid in ("Kenya", "Chile"):
        rows = panel[panel["series_id"] == sid]
        alone = gc.fit(model, rows["year"], rows["value"]).forecast(steps=4)
        np.testing.assert_allclose(many[sid].forecast(steps=4)["mean"], alone["mean"], rtol=1e-9)
