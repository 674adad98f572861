"""Backtests (issue 5): origins, targets, scores, Diebold-Mariano, calibration, combinations.

Every reference is computed here, independently of the code under test: by
hand on tiny series, by a loop of ``gc.fit`` per origin, or from a truth
known in closed form.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import growthcast as gc
from conftest import logistic
from growthcast.backtest import MIN_CALIBRATION_ERRORS, Backtest, backtest, diebold_mariano
from growthcast.data import to_decimal_year

# ---------------------------------------------------------------------- data


def cnnic_dates() -> pd.DatetimeIndex:
    """The 56 CNNIC editions' dates: Oct 1997, half-yearly to Jun 2019, Mar 2020, half-yearly to Jun 2025."""
    half = [f"{y}-{md}" for y in range(1998, 2026) for md in ("06-30", "12-31")]
    dates = ["1997-10-31"] + half[: half.index("2019-06-30") + 1] + ["2020-03-31"]
    dates += half[half.index("2020-06-30"): half.index("2025-06-30") + 1]
    return pd.to_datetime(dates)


def cnnic_like(seed: int = 0) -> pd.DataFrame:
    """A frame shaped like gc.load_cnnic(): editions 1..56, ``as_of``, a count and a percentage."""
    dates = cnnic_dates()
    t = to_decimal_year(dates)
    rng = np.random.default_rng(seed)
    pct = logistic(t, 85.0, 0.35, 2011.0) + rng.normal(0, 0.3, t.size)
    pct[:8] = np.nan  # not reported by the early editions
    net = logistic(t, 1150.0, 0.33, 2011.5) * (1 + rng.normal(0, 0.01, t.size))
    return pd.DataFrame({"edition": np.arange(1, 57), "as_of": dates, "netizens_million": net,
                         "penetration_pct": np.clip(pct, 0.1, 100)})


def tiny() -> pd.DataFrame:
    """Six points at t = 0..5: 1, 2, 4, 7, 11, 16 (a long frame with decimal-year times)."""
    return pd.DataFrame({"series_id": "s", "date": np.arange(6.0), "value": [1.0, 2.0, 4.0, 7.0, 11.0, 16.0]})


def _quiet_fit(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return gc.fit(*args, **kwargs)


# ---------------------------------------------------------------------- origins, targets, metrics by hand
def test_tiny_series_forecasts_and_scores_by_hand():
    bt = backtest(tiny(), models=["naive", "drift"], min_train=3, horizons=range(1, 3))
    assert isinstance(bt, Backtest)
    fc = bt.forecasts
    naive = fc[fc["model"] == "naive"].sort_values(["origin_t", "horizon"])
    # origins are the 3rd, 4th and 5th points (t = 2, 3, 4; yearly steps); the 6th has nothing after it
    assert bt.unit == "yearly steps" and "origin_edition" not in fc.columns and "origin_date" not in fc.columns
    assert naive[["origin_t", "target_t", "horizon"]].to_numpy().tolist() == [
        [2, 3, 1], [2, 4, 2], [3, 4, 1], [3, 5, 2], [4, 5, 1]]
    np.testing.assert_allclose(naive["mean"], [4, 4, 7, 7, 11])
    np.testing.assert_allclose(naive["error"], [3, 7, 4, 9, 5])
    np.testing.assert_allclose(naive["years_ahead"], [1, 2, 1, 2, 1])
    drift = fc[fc["model"] == "drift"].sort_values(["origin_t", "horizon"])
    np.testing.assert_allclose(drift["mean"], [5.5, 7.0, 9.0, 11.0, 13.5])

    sc = bt.scores(by="horizon").set_index(["model", "horizon"])
    # naive: errors 3, 4, 5 at h=1 and 7, 9 at h=2; MASE scales 1.5, 2, 2.5 (mean |one-step change|)
    assert sc.loc[("naive", 1), "MAE"] == pytest.approx(4.0)
    assert sc.loc[("naive", 2), "MAE"] == pytest.approx(8.0)
    assert sc.loc[("naive", 1), "RMSE"] == pytest.approx(np.sqrt((9 + 16 + 25) / 3))
    assert sc.loc[("naive", 1), "MAPE"] == pytest.approx(100 * (3 / 7 + 4 / 11 + 5 / 16) / 3)
    assert sc.loc[("naive", 2), "sMAPE"] == pytest.approx(100 * (2 * 7 / 15 + 2 * 9 / 23) / 2)
    assert sc.loc[("naive", 1), "MASE"] == pytest.approx((3 / 1.5 + 4 / 2 + 5 / 2.5) / 3)
    assert sc.loc[("naive", 2), "MASE"] == pytest.approx((7 / 1.5 + 9 / 2) / 2)
    # drift: errors 1.5, 2, 2.5 at h=1
    assert sc.loc[("drift", 1), "MAE"] == pytest.approx(2.0)
    assert sc.loc[("drift", 1), "MASE"] == pytest.approx(1.0)
    assert sc.loc[("drift", 2), "MAE"] == pytest.approx((4 + 5) / 2)
    assert sc.loc[("naive", 1), "n"] == 3 and sc.loc[("naive", 2), "n"] == 2


def test_coverage_and_winkler_are_counted_from_the_forecasts():
    bt = backtest(cnnic_like(), series="penetration_pct", models=["linear", "drift"], level=0.8)
    fc = bt.forecasts
    sc = bt.scores(by="horizon").set_index(["model", "horizon"])
    for (model, h), grp in fc.groupby(["model", "horizon"]):
        inside = (grp["lower"] <= grp["actual"]) & (grp["actual"] <= grp["upper"])
        assert sc.loc[(model, h), "coverage"] == pytest.approx(inside.mean())
        width = grp["upper"] - grp["lower"]
        penalty = 2 / 0.2 * ((grp["lower"] - grp["actual"]).clip(lower=0) + (grp["actual"] - grp["upper"]).clip(lower=0))
        assert sc.loc[(model, h), "winkler"] == pytest.approx((width + penalty).mean())


def test_mase_is_scaled_per_origin_by_its_own_training_window():
    df = cnnic_like()
    bt = backtest(df, series="netizens_million", models=["naive"], min_train=12, horizons=[2])
    y = df["netizens_million"].to_numpy()
    fc = bt.forecasts
    for _, row in fc.sample(8, random_state=0).iterrows():
        k = int(row["origin_edition"])  # editions 1..56 are rows 0..55
        scale = np.mean(np.abs(np.diff(y[:k])))
        assert row["scale"] == pytest.approx(scale)
        assert row["actual"] == y[k - 1 + 2] and row["mean"] == y[k - 1]
    expected = np.mean(np.abs(fc["error"]) / fc["scale"])
    assert bt.scores().loc[0, "MASE"] == pytest.approx(expected)


def test_missing_values_are_skipped_and_horizon_counts_steps():
    df = tiny().assign(value=[1.0, 2.0, 4.0, np.nan, 11.0, 16.0])
    bt = backtest(df, models=["naive"], min_train=3, horizons=range(1, 4))
    fc = bt.forecasts.sort_values(["origin_t", "horizon"])
    # origin t=2 (value 4): t=3 is missing, so its targets are t=4 and t=5 at h = 2, 3
    assert fc[["origin_t", "target_t", "horizon"]].to_numpy().tolist() == [
        [2, 4, 2], [2, 5, 3], [4, 5, 1]]
    # the same when the missing row is absent altogether: steps are years, not rows
    gone = backtest(df.dropna(), models=["naive"], min_train=3, horizons=range(1, 4)).forecasts
    assert gone.sort_values(["origin_t", "horizon"])[["origin_t", "target_t", "horizon"]].to_numpy().tolist() == [
        [2, 4, 2], [2, 5, 3], [4, 5, 1]]
    # MASE scale of origin 5: one-step changes between consecutive observed points 1, 2, 4, 11
    assert fc["scale"].iloc[-1] == pytest.approx((1 + 2 + 7) / 3)


def test_the_irregular_2020_edition_gives_the_elapsed_years():
    df = cnnic_like()
    bt = backtest(df, series="netizens_million", models=["drift"], min_train=40, horizons=range(1, 3))
    fc = bt.forecasts.set_index(["origin_edition", "target_edition"])
    t = dict(zip(df["edition"], to_decimal_year(df["as_of"])))
    assert fc.loc[(44, 45), "years_ahead"] == pytest.approx(t[45] - t[44])
    assert fc.loc[(44, 45), "years_ahead"] == pytest.approx(0.7527, abs=1e-3)  # June 2019 -> March 2020
    assert fc.loc[(45, 46), "years_ahead"] == pytest.approx(0.2486, abs=1e-3)  # March -> June 2020
    assert fc.loc[(44, 46), "horizon"] == 2
    assert fc.loc[(44, 46), "years_ahead"] == pytest.approx(t[46] - t[44])
    assert fc.loc[(44, 45), "origin_date"] == pd.Timestamp("2019-06-30")
    assert fc.loc[(44, 45), "target_date"] == pd.Timestamp("2020-03-31")
    # the drift forecast uses the elapsed time, not the edition count
    y = dict(zip(df["edition"], df["netizens_million"]))
    slope = (y[44] - y[1]) / (t[44] - t[1])
    assert fc.loc[(44, 45), "mean"] == pytest.approx(y[44] + slope * (t[45] - t[44]))


# ---------------------------------------------------------------------- oracles
def test_linear_model_on_an_exactly_linear_series_has_zero_error():
    dates = cnnic_dates()
    t = to_decimal_year(dates)
    df = pd.DataFrame({"edition": np.arange(1, 57), "as_of": dates, "users": 3.0 + 20.0 * (t - 1997)})
    bt = backtest(df, series="users", models=["linear", "drift"], min_train=5, horizons=range(1, 7))
    fc = bt.forecasts
    assert len(fc) == 2 * sum(min(6, 56 - k) for k in range(5, 56))
    assert np.max(np.abs(fc["error"])) < 1e-9
    sc = bt.scores()
    assert np.all(sc["MAE"] < 1e-9) and np.all(sc["MASE"] < 1e-9)


def test_naive_forecast_is_the_origin_value_so_no_target_leaks_into_training():
    df = cnnic_like()
    bt = backtest(df, series="netizens_million", models=["naive"], min_train=10)
    y = dict(zip(df["edition"], df["netizens_million"]))
    fc = bt.forecasts
    np.testing.assert_array_equal(fc["mean"], fc["origin_edition"].map(y))
    np.testing.assert_array_equal(fc["actual"], fc["target_edition"].map(y))
    assert (fc["horizon"] == fc["target_edition"] - fc["origin_edition"]).all()
    assert fc["origin_edition"].min() == 10 and fc["origin_edition"].max() == 55


# ---------------------------------------------------------------------- batch equals a loop
@pytest.mark.parametrize("window", ["expanding", "rolling"])
def test_batch_and_a_loop_of_per_origin_fits_agree(window):
    df = cnnic_like(seed=4)
    series = "penetration_pct"
    models = ["logistic", "gompertz", "bass", "linear", "quadratic", "exponential", "logit_linear", "naive", "drift"]
    kwargs = dict(min_train=30, horizons=range(1, 4), level=0.8, window=window)
    if window == "rolling":
        kwargs["window_size"] = 20
    bt = backtest(df, series=series, models=models, **kwargs)
    obs = df[["edition", "as_of", series]].dropna()
    t, y, ed = to_decimal_year(obs["as_of"]), obs[series].to_numpy(), obs["edition"].to_numpy()
    rows = []
    for model in models:
        for k in range(29, len(y) - 1):
            first = 0 if window == "expanding" else k - 19
            res = _quiet_fit(model, t[first: k + 1], y[first: k + 1], name=series)
            j = np.arange(k + 1, min(k + 4, len(y)))
            pred = res.predict(t[j], level=0.8)
            rows += [(model, ed[k], ed[jj], m, lo, hi) for jj, m, lo, hi in
                     zip(j, pred["mean"], pred["lower"], pred["upper"])]
    ref = pd.DataFrame(rows, columns=["model", "origin_edition", "target_edition", "mean_ref", "lower_ref",
                                      "upper_ref"])
    both = bt.forecasts.merge(ref, on=["model", "origin_edition", "target_edition"], how="outer", indicator=True)
    assert (both["_merge"] == "both").all()
    np.testing.assert_allclose(both["mean"], both["mean_ref"], rtol=1e-8)
    np.testing.assert_allclose(both["lower"], both["lower_ref"], rtol=1e-6)
    np.testing.assert_allclose(both["upper"], both["upper_ref"], rtol=1e-6)


def test_a_statsmodels_model_matches_its_per_origin_fits():
    df = cnnic_like(seed=5)
    bt = backtest(df, series="netizens_million", models=["holt"], min_train=52, horizons=range(1, 3))
    obs = df[["as_of", "netizens_million"]]
    t, y = to_decimal_year(obs["as_of"]), obs["netizens_million"].to_numpy()
    fc = bt.forecasts
    for k in (51, 53):
        res = _quiet_fit("holt", t[: k + 1], y[: k + 1], name="netizens_million")
        pred = res.predict(t[k + 1: k + 3], level=0.8)
        got = fc[fc["origin_edition"] == k + 1].sort_values("horizon")
        np.testing.assert_allclose(got["mean"], pred["mean"], rtol=1e-8)


def test_many_series_in_one_call_equal_each_series_alone(long_frame):
    frame, truths = long_frame
    bt = backtest(frame, models=["logistic", "drift"], min_train=12, horizons=range(1, 4))
    assert set(bt.series) == set(truths)
    for sid in truths:
        alone = backtest(frame[frame["series_id"] == sid], models=["logistic", "drift"], min_train=12,
                         horizons=range(1, 4)).forecasts
        mine = bt.forecasts[bt.forecasts["series_id"] == sid].reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, alone, check_exact=False, rtol=1e-8)


# ---------------------------------------------------------------------- failures are data
def test_a_failed_fit_gives_nan_rows_beside_its_status_and_leaves_the_rest_alone():
    df = cnnic_like()
    bt = backtest(df, series="netizens_million", models=["logit_linear", "linear"], min_train=40)
    fc = bt.forecasts
    failed = fc[fc["model"] == "logit_linear"]  # a count has no cap: the logit cannot be taken
    assert failed["mean"].isna().all() and (failed["status"] == gc.errors.FAILED_INVALID_DATA).all()
    alone = backtest(df, series="netizens_million", models=["linear"], min_train=40).forecasts
    np.testing.assert_array_equal(fc[fc["model"] == "linear"]["mean"].to_numpy(), alone["mean"].to_numpy())
    sc = bt.scores().set_index(["model", "horizon"])
    assert (sc.loc["logit_linear", "n"] == 0).all() and (sc.loc["logit_linear", "failed"] > 0).all()
    board = bt.leaderboard()
    assert board.iloc[0]["model"] == "linear" and board.iloc[-1]["model"] == "logit_linear"


# ---------------------------------------------------------------------- Diebold-Mariano
def test_diebold_mariano_with_the_hln_correction_by_hand():
    d = np.array([0.5, -1.2, 2.0, 0.3, 1.1, -0.4, 0.9, 1.5, -0.2, 0.7])
    n, h = d.size, 3
    dbar = d.mean()
    g = [np.sum((d[k:] - dbar) * (d[: n - k] - dbar)) / n for k in range(h)]
    var = (g[0] + 2 * (g[1] + g[2])) / n
    dm = dbar / np.sqrt(var)
    hln = dm * np.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
    p = 2 * stats.t.sf(abs(hln), n - 1)
    stat, pval, note = diebold_mariano(d, h)
    assert stat == pytest.approx(hln, rel=1e-12) and pval == pytest.approx(p, rel=1e-10) and note == ""


def test_compare_uses_the_loss_differential_of_matched_forecasts():
    bt = backtest(cnnic_like(), series="penetration_pct", models=["logistic", "drift"], min_train=20)
    out = bt.compare("logistic", "drift").set_index("horizon")
    fc = bt.forecasts
    h = 2
    a = fc[(fc["model"] == "logistic") & (fc["horizon"] == h)].set_index("origin_edition")["error"]
    b = fc[(fc["model"] == "drift") & (fc["horizon"] == h)].set_index("origin_edition")["error"]
    d = (a**2 - b**2).dropna().sort_index().to_numpy()
    n = d.size
    dbar = d.mean()
    g0 = np.sum((d - dbar) ** 2) / n
    g1 = np.sum((d[1:] - dbar) * (d[:-1] - dbar)) / n
    dm = dbar / np.sqrt((g0 + 2 * g1) / n)
    expected = dm * np.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
    assert out.loc[h, "n"] == n
    assert out.loc[h, "statistic"] == pytest.approx(expected, rel=1e-10)
    significant = out.loc[h, "p_value"] < 0.05
    assert out.loc[h, "better"] == (("logistic" if dbar < 0 else "drift") if significant else "no significant difference")


# ---------------------------------------------------------------------- calibrated intervals
def _linear_noise(seed: int, n: int = 60, sigma: float = 1.0):
    t = 2000.0 + 0.5 * np.arange(n)
    truth = 5.0 + 2.0 * (t - 2000.0)
    return t, truth + np.random.default_rng(seed).normal(0, sigma, n), truth


def test_calibrated_fit_reaches_nominal_coverage_where_the_truth_is_known():
    level, sigma = 0.8, 1.0
    covered = []
    for seed in range(25):
        t, y, _ = _linear_noise(seed, sigma=sigma)
        res = gc.fit("linear", t, y, interval="backtest")
        assert res.interval == "backtest"
        assert res.fitted.calibration.errors.shape[:2] == (1, 6)
        fc = res.forecast(steps=6, level=level)
        mu = 5.0 + 2.0 * (fc["t"].to_numpy() - 2000.0)  # the true mean of each future edition
        p = stats.norm.cdf((fc["upper"] - mu) / sigma) - stats.norm.cdf((fc["lower"] - mu) / sigma)
        covered.append(p)
    assert np.mean(covered) == pytest.approx(level, abs=0.1)


def test_calibrated_fit_of_a_short_series_uses_fewer_points_and_horizons():
    t, y, _ = _linear_noise(1, n=9)
    res = gc.fit("linear", t, y, interval="backtest")
    errs = res.fitted.calibration.errors
    # 9 points: first window of 3, so 6 errors one step ahead, 5 two steps, 4 three steps
    assert errs.shape[:2] == (1, 2)
    assert (np.isfinite(errs[0]).sum(axis=1) >= MIN_CALIBRATION_ERRORS).all()
    assert res.fitted.calibration.step[0] == pytest.approx(0.5)
    with pytest.raises(gc.DataError, match="too short for interval='backtest'"):
        gc.fit("linear", t[:3], y[:3], interval="backtest")


def test_backtest_scores_delta_and_calibrated_intervals_side_by_side():
    t, y, _ = _linear_noise(11, n=140)
    df = pd.DataFrame({"series_id": "s", "date": t, "value": y})
    bt = backtest(df, models=["linear"], min_train=10, intervals=("delta", "backtest"), level=0.8)
    assert bt.intervals == ("delta", "backtest")
    sc = bt.scores(by="model").set_index("interval")
    assert sc.loc["delta", "coverage"] == pytest.approx(0.8, abs=0.1)
    assert sc.loc["backtest", "coverage"] == pytest.approx(0.8, abs=0.1)
    assert sc.loc["delta", "MAE"] == sc.loc["backtest", "MAE"]  # the same point forecasts


def test_calibrated_bounds_at_an_origin_use_no_later_data():
    df = cnnic_like(seed=2)
    k = 40
    later = df["edition"] > k
    changed = df.assign(netizens_million=np.where(later, df["netizens_million"] * 1.5, df["netizens_million"]))
    kw = dict(series="netizens_million", models=["gompertz", "drift"], min_train=10, intervals=("delta", "backtest"))
    a, b = backtest(df, **kw).forecasts, backtest(changed, **kw).forecasts
    early = a["origin_edition"] <= k
    assert a.loc[early & (a["interval"] == "backtest"), "lower"].notna().any()
    # equal up to rounding: a row's place in the batch moves the last bits, which the delta-method
    # covariance of a curve amplifies; a leak of the 50% jump would move them by far more
    for col, rtol in (("mean", 1e-9), ("lower", 1e-6), ("upper", 1e-6)):
        np.testing.assert_allclose(a.loc[early, col].to_numpy(), b.loc[early, col].to_numpy(), rtol=rtol)
    assert not np.allclose(a.loc[~early & (a["interval"] == "backtest"), "upper"],
                           b.loc[~early & (b["interval"] == "backtest"), "upper"], equal_nan=True)


# ---------------------------------------------------------------------- ensemble_weighted
def test_ensemble_weighted_uses_no_future_information():
    df = cnnic_like(seed=3)
    k = 35
    changed = df.assign(netizens_million=np.where(df["edition"] > k, df["netizens_million"] + 300.0,
                                                  df["netizens_million"]))
    kw = dict(series="netizens_million", models=["ensemble_weighted"], members=("linear", "quadratic", "drift"),
              min_train=10)
    a, b = backtest(df, **kw), backtest(changed, **kw)
    wa, wb = a.weights, b.weights
    early = wa["origin_edition"] <= k
    pd.testing.assert_frame_equal(wa[early], wb[early], check_exact=False, rtol=1e-9)
    assert not np.allclose(wa.loc[~early, "weight"], wb.loc[~early, "weight"])
    fa, fb = a.forecasts, b.forecasts
    np.testing.assert_allclose(fa.loc[fa["origin_edition"] <= k, "mean"], fb.loc[fb["origin_edition"] <= k, "mean"],
                               rtol=1e-9)


def test_ensemble_weighted_weights_are_inverse_past_mse_at_the_same_horizon():
    df = cnnic_like(seed=3)
    members = ("linear", "quadratic", "drift")
    bt = backtest(df, series="netizens_million", models=[*members, "ensemble_weighted"], members=members,
                  min_train=10)
    fc, w = bt.forecasts, bt.weights
    assert np.allclose(w.groupby(["origin_edition", "horizon"])["weight"].sum(), 1.0)
    origin, h = 30, 2
    date = fc.loc[fc["origin_edition"] == origin, "origin_date"].iloc[0]
    inv = {}
    for m in members:
        past = fc[(fc["model"] == m) & (fc["horizon"] == h) & (fc["target_date"] <= date)]
        inv[m] = 1.0 / np.mean(past["error"] ** 2)
    got = w[(w["origin_edition"] == origin) & (w["horizon"] == h)].set_index("member")["weight"]
    for m in members:
        assert got[m] == pytest.approx(inv[m] / sum(inv.values()))
    row = fc[(fc["origin_edition"] == origin) & (fc["horizon"] == h)].set_index("model")["mean"]
    assert row["ensemble_weighted"] == pytest.approx(sum(got[m] * row[m] for m in members))
    # the first origins have no past errors yet: equal weights
    first = w[w["origin_edition"] == w["origin_edition"].min()]
    assert np.allclose(first["weight"], 1 / 3)


# ---------------------------------------------------------------------- saturation and the record
def test_saturation_ceilings_and_whether_they_held():
    df = cnnic_like()
    bt = backtest(df, series="penetration_pct", models=["logistic", "drift"], min_train=15, level=0.8)
    sat = bt.saturation()
    assert set(sat["model"]) == {"logistic"} and set(sat["parameter"]) == {"K"}
    params = bt.params
    k = params[(params["model"] == "logistic") & (params["parameter"] == "K")].set_index("origin_edition")["value"]
    s = sat.set_index("origin_edition")
    np.testing.assert_allclose(s["value"], k.loc[s.index])
    y = dict(zip(df["edition"], df["penetration_pct"]))
    for origin, row in s.iterrows():
        later = [v for e, v in y.items() if e > origin and np.isfinite(v)]
        if not later:
            continue
        assert row["later_max"] == max(later)
        if np.isfinite(row["upper"]):
            assert bool(row["held"]) == (max(later) <= row["upper"])
    board = bt.leaderboard().set_index("model")
    assert board.loc["logistic", "ceiling_held"] == pytest.approx(s["held"].astype(float).mean())
    assert np.isnan(board.loc["drift", "ceiling_held"])


def test_the_result_records_what_produced_it_and_is_not_altered_by_its_frames():
    df = cnnic_like()
    bt = backtest(df, series=["netizens_million", "penetration_pct"], models=["drift", "linear"], min_train=12,
                  horizons=[1, 3], level=0.9, window="rolling", window_size=15)
    assert bt.models == ("drift", "linear") and bt.min_train == 12 and bt.horizons == (1, 3)
    assert bt.level == 0.9 and bt.window == "rolling" and bt.window_size == 15
    assert bt.vintage["last_edition"] == 56 and bt.vintage["last_date"] == pd.Timestamp("2025-06-30")
    assert set(bt.series) == {"netizens_million", "penetration_pct"}
    assert set(bt.forecasts["horizon"]) == {1, 3}
    fc = bt.forecasts
    fc.loc[:, "mean"] = 0.0
    assert (bt.forecasts["mean"] != 0).any()
    assert "data to edition 56" in repr(bt)
    board = bt.leaderboard("MAPE")
    assert list(board.groupby("series_id")["rank"].apply(list)) == [[1, 2], [1, 2]]


# ---------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(horizons=[0, 1]), r"`horizons` must be positive integers, got 0"),
        (dict(horizons=[1.5]), r"`horizons` must be positive integers, got 1.5"),
        (dict(horizons=[]), r"`horizons` must be a non-empty"),
        (dict(horizons=6), r"`horizons` must be a sequence of positive integers"),
        (dict(models=["logistic", "nope"]), r"unknown model\(s\) \['nope'\]"),
        (dict(min_train=60), r"too short for min_train=60: \['penetration_pct'\] \(48 points\)"),
        (dict(min_train=1), r"`min_train` must be an integer >= 2, got 1"),
        (dict(series="no_such_column"), r"missing column\(s\) \['no_such_column'\]"),
        (dict(date="when"), r"missing column\(s\) \['when'\]"),
        (dict(window="sliding"), r"window must be 'expanding' or 'rolling', got 'sliding'"),
        (dict(window_size=5), r"window_size applies to window='rolling' only"),
        (dict(level=80), r"level must be a probability in \(0, 1\), got 80"),
        (dict(intervals=("delta", "conformal")), r"intervals must be among"),
        (dict(models=["holt"], intervals=("bootstrap",)), r"'bootstrap' is not available for \['holt'\]"),
        (dict(models=["ensemble_weighted"], members=("linear",)), r"ensemble_weighted needs at least two members"),
    ],
)
def test_bad_arguments_raise_data_errors_naming_the_problem(kwargs, match):
    args = dict(series="penetration_pct")
    args.update(kwargs)
    with pytest.raises(gc.DataError, match=match):
        backtest(cnnic_like(), **args)


def test_a_wide_frame_needs_its_series_named():
    with pytest.raises(gc.DataError, match="series: name the column"):
        backtest(cnnic_like())
    with pytest.raises(gc.DataError, match=r"no series \['zeta'\]"):
        backtest(tiny(), series="zeta")


def test_unknown_models_in_compare_and_leaderboard():
    bt = backtest(tiny(), models=["naive", "drift"], min_train=3, horizons=[1])
    with pytest.raises(gc.DataError, match="no model 'holt'"):
        bt.compare("naive", "holt")
    with pytest.raises(gc.DataError, match="metric must be one of"):
        bt.leaderboard("R2")


def test_backtest_calibrated_bounds_are_the_bounds_fit_gives_on_the_same_prefix():
    """One calibration rule: at an origin, backtest(intervals=["backtest"]) scores what fit(interval="backtest") makes."""
    t, y, _ = _linear_noise(3, n=30)
    frame = pd.DataFrame({"date": t, "value": y})
    bt = backtest(frame, series="value", models=["linear"], min_train=10, horizons=range(1, 7), intervals=["backtest"],
                  level=0.8)
    fc = bt.forecasts
    k = 24  # origin: the 25th point, so 15 origins before it give errors
    rows = fc[(fc["origin_t"] == t[k]) & fc["lower"].notna()].sort_values("horizon")
    assert len(rows) >= 3
    res = gc.fit("linear", t[: k + 1], y[: k + 1], interval="backtest")
    pred = res.predict(rows["years_ahead"].to_numpy() + t[k], level=0.8)
    np.testing.assert_allclose(rows["mean"].to_numpy(), pred["mean"].to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(rows["lower"].to_numpy(), pred["lower"].to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(rows["upper"].to_numpy(), pred["upper"].to_numpy(), rtol=1e-12)


# ---------------------------------------------------------------------- the data's own steps and origins by date
def _yearly_panel() -> pd.DataFrame:
    """Three yearly series with gaps; one starts late, so its early origins lack 10 points."""
    rng = np.random.default_rng(3)
    rows = []
    for sid, first, gaps in (("aa", 1995, {2001, 2012}), ("bb", 1990, {2009, 2010, 2016}), ("cc", 2003, set())):
        for year in range(first, 2024):
            if year not in gaps:
                rows.append((sid, year, 2.0 + 70.0 / (1 + np.exp(-0.35 * (year - 2008))) + rng.normal(0, 0.5)))
    return pd.DataFrame(rows, columns=["series_id", "date", "value"])


def test_issue_15_protocol_origins_by_date_range_and_yearly_steps():
    """Origins every observed year 2008-2017 with 10 points at or before it, targets observed 1-6 years later."""
    df = _yearly_panel()
    bt = backtest(df, models=["naive", "drift"], origins=("2008", "2017"), min_train=10, horizons=range(1, 7))
    assert bt.unit == "yearly steps"
    expected = []
    for sid, grp in df.groupby("series_id"):
        years, values = grp["date"].to_numpy(), grp["value"].to_numpy()
        for k, o in enumerate(years):
            if 2008 <= o <= 2017 and k + 1 >= 10:
                slope = (values[k] - values[0]) / (o - years[0])
                for j in np.flatnonzero((years - o >= 1) & (years - o <= 6)):
                    expected.append((sid, float(o), float(years[j]), int(years[j] - o), values[k],
                                     values[k] + slope * (years[j] - o)))
    ref = pd.DataFrame(expected, columns=["series_id", "origin_t", "target_t", "horizon", "naive", "drift"])
    fc = bt.forecasts
    keys = ["series_id", "origin_t", "target_t", "horizon"]
    for model in ("naive", "drift"):
        got = fc[fc["model"] == model].sort_values(keys).reset_index(drop=True)
        assert got[keys].to_numpy().tolist() == ref.sort_values(keys)[keys].to_numpy().tolist()
        np.testing.assert_allclose(got["mean"], ref.sort_values(keys)[model], rtol=1e-10)
    assert fc.loc[fc["series_id"] == "cc", "origin_t"].min() == 2012.0  # cc has its 10th point in 2012
    assert 2009.0 not in set(fc.loc[fc["series_id"] == "bb", "origin_t"])  # not observed: no origin
    # the same protocol with dates at year ends: the same rows, named by dates
    dated = backtest(df.assign(date=pd.to_datetime(df["date"].astype(str) + "-12-31")), models=["naive"],
                     origins=("2008", "2017"), min_train=10, horizons=range(1, 7)).forecasts
    assert len(dated) == len(ref) and dated["origin_date"].dt.year.between(2008, 2017).all()
    assert dated["horizon"].tolist() == (dated["target_date"].dt.year - dated["origin_date"].dt.year).tolist()


def test_origins_bounds_accept_dates_decimal_years_and_open_ends():
    df = _yearly_panel()
    run = lambda origins: set(backtest(df, models=["naive"], origins=origins, horizons=[1]).forecasts["origin_t"])
    assert run((2010, 2012)) == {2010.0, 2011.0, 2012.0}
    assert run(("2010-06-30", None)) == set(np.arange(2011.0, 2023.0))
    # bb's 10th point is 1999; the year 2006 given as a number is 1 January 2006
    assert run((None, pd.Timestamp("2006-01-01"))) == set(np.arange(1999.0, 2007.0))
    assert run((None, "2005")) == set(np.arange(1999.0, 2006.0))  # a year as text: the whole year
    with pytest.raises(gc.DataError, match="origins: the first origin"):
        run(("2017", "2008"))
    with pytest.raises(gc.DataError, match="origins: expected a"):
        run("2008")
    with pytest.raises(gc.DataError, match="no origin within origins"):
        run(("2030", "2031"))


def test_quarterly_data_are_scored_quarters_ahead_and_editions_only_where_the_data_have_them():
    dates = pd.date_range("2015-03-31", periods=24, freq="QE")
    df = pd.DataFrame({"date": dates, "value": np.linspace(5.0, 50.0, 24)}).drop(index=[15])  # a missing quarter
    bt = backtest(df, models=["naive"], min_train=8, horizons=[1, 2, 4])
    fc = bt.forecasts
    assert bt.unit == "quarterly steps" and not any("edition" in c for c in fc.columns)
    months = (fc["target_date"].dt.year - fc["origin_date"].dt.year) * 12 + (fc["target_date"].dt.month
                                                                              - fc["origin_date"].dt.month)
    assert (months == 3 * fc["horizon"]).all()
    assert "last_edition" not in bt.vintage and bt.vintage["last_date"] == dates[-1]
    # freq= overrides: the same data counted in half-years (two quarters within one step are an error)
    with pytest.raises(gc.DataError, match="two observations within one step"):
        backtest(df, models=["naive"], min_train=8, horizons=[1], freq="yearly")
    # an edition column: editions are the steps, and named in the frames
    ed = backtest(df.assign(edition=np.arange(1, len(df) + 1)), models=["naive"], min_train=8, horizons=[1])
    assert ed.unit == "editions" and {"origin_edition", "target_edition"} <= set(ed.forecasts.columns)
    assert (ed.forecasts["target_edition"] - ed.forecasts["origin_edition"] == 1).all()


def test_a_series_off_its_frequency_counts_observations():
    """The CNNIC dates without the edition column: March 2020 sits between two half-years."""
    df = cnnic_like()
    long = pd.DataFrame({"date": df["as_of"], "value": df["netizens_million"]})
    bt = backtest(long, models=["naive"], min_train=40, horizons=[1])
    assert bt.unit == "observations"
    with_editions = backtest(df, series="netizens_million", models=["naive"], min_train=40, horizons=[1])
    a = bt.forecasts[["origin_date", "target_date", "mean"]].reset_index(drop=True)
    b = with_editions.forecasts[["origin_date", "target_date", "mean"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


def test_several_levels_give_a_row_per_level_and_their_own_coverage():
    bt = backtest(tiny(), models=["drift"], min_train=3, horizons=[1, 2], level=[0.95, 0.5])
    assert bt.levels == (0.5, 0.95) and bt.level == 0.5
    fc = bt.forecasts
    lo, hi = (fc[fc["level"] == lv].reset_index(drop=True) for lv in (0.5, 0.95))
    np.testing.assert_array_equal(lo["mean"], hi["mean"])
    assert (hi["upper"] - hi["lower"] > lo["upper"] - lo["lower"]).all()
    single = backtest(tiny(), models=["drift"], min_train=3, horizons=[1, 2], level=0.95).forecasts
    pd.testing.assert_frame_equal(hi.drop(columns="level"), single.drop(columns="level"))
    sc = bt.scores(by="horizon").set_index(["level", "horizon"])
    for lv, part in fc.groupby("level"):
        for h, grp in part.groupby("horizon"):
            inside = ((grp["lower"] <= grp["actual"]) & (grp["actual"] <= grp["upper"])).mean()
            assert sc.loc[(lv, h), "coverage"] == pytest.approx(inside)
    boards = [bt.leaderboard(level=lv) for lv in bt.levels]
    assert [b["level"].iloc[0] for b in boards] == [0.5, 0.95]
    with pytest.raises(gc.DataError, match="level: this backtest scored"):
        bt.leaderboard(level=0.8)


def test_statsforecast_column_names_are_read_by_backtest():
    df = _yearly_panel().rename(columns={"series_id": "unique_id", "date": "ds", "value": "y"})
    bt = backtest(df, models=["naive"], horizons=[1])
    assert set(bt.series) == {"aa", "bb", "cc"} and bt.unit == "yearly steps"
