"""Local damped trends and the auto model: forecasts computed by hand, no look-ahead."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import growthcast as gc
from growthcast.intervals import conformal_quantiles

T = np.array([2000.0, 2000.5, 2001.0, 2001.75, 2002.0, 2002.5])  # irregular step at 2001.75
Y = np.array([10.0, 13.0, 15.0, 18.0, 19.0, 21.0])


def test_local_trend_without_smoothing_or_damping_continues_the_last_growth_rate():
    res = gc.fit(gc.LocalTrend(alpha=1.0, beta=1.0, damping=None), T, Y)
    rate = (21.0 - 19.0) / 0.5
    got = res.predict([2003.0, 2004.0])["mean"].to_numpy()
    np.testing.assert_allclose(got, [21.0 + rate * 0.5, 21.0 + rate * 1.5], rtol=1e-12)


def test_local_trend_damping_decays_the_trend_exponentially():
    tau = 2.0
    res = gc.fit(gc.LocalTrend(alpha=1.0, beta=1.0, damping=tau), T, Y)
    rate = 4.0
    d = np.array([0.5, 3.0, 50.0])
    expected = 21.0 + rate * tau * (1.0 - np.exp(-d / tau))
    np.testing.assert_allclose(res.predict(2002.5 + d)["mean"], expected, rtol=1e-12)
    # the forecast levels off at y_T + rate * tau
    assert res.predict([2200.0])["mean"].iloc[0] == pytest.approx(21.0 + rate * tau)


def test_local_trend_recursion_against_a_loop_written_here():
    alpha, beta, tau = 0.6, 0.5, 4.0
    eff = lambda d: tau * (1.0 - np.exp(-d / tau))  # noqa: E731
    level, trend = Y[0], (Y[1] - Y[0]) / (T[1] - T[0])
    for i in range(1, len(Y)):
        d = T[i] - T[i - 1]
        new_level = alpha * Y[i] + (1 - alpha) * (level + trend * eff(d))
        trend = beta * (new_level - level) / d + (1 - beta) * trend * eff(d) / d
        level = new_level
    res = gc.fit(gc.LocalTrend(alpha=alpha, beta=beta, damping=tau), T, Y)
    np.testing.assert_allclose(res.params[["level", "trend"]], [level, trend], rtol=1e-12)
    np.testing.assert_allclose(res.predict([2004.0])["mean"], level + trend * eff(1.5), rtol=1e-12)


def test_local_trend_on_the_logit_scale_stays_below_100_percent():
    t = 2000.0 + 0.5 * np.arange(12)
    y = np.linspace(60.0, 97.0, 12)
    res = gc.fit(gc.LocalTrend(link="logit", damping=None), t, y, percent=True)
    path = res.forecast(steps=40)
    assert (path["upper"] <= 100.0).all() and (np.diff(path["mean"]) > 0).all()
    assert path["mean"].iloc[-1] < 100.0


def test_local_trend_rejects_bad_options():
    with pytest.raises(gc.DataError, match="alpha"):
        gc.LocalTrend(alpha=0.0)
    with pytest.raises(gc.DataError, match="link"):
        gc.LocalTrend(link="sqrt")


def test_auto_point_forecast_is_the_mean_of_drift_and_the_median_local_trend():
    t = 2000.0 + 0.5 * np.arange(16)
    y = 100.0 / (1.0 + np.exp(-0.4 * (t - 2006.0))) + np.linspace(0.0, 1.0, 16)
    when = [2008.5, 2010.0]
    drift = y[-1] + (y[-1] - y[0]) / (t[-1] - t[0]) * (np.array(when) - t[-1])
    grid = [
        gc.LocalTrend(alpha=a, beta=b, damping=d, link=link)
        for link in ("identity", "logit")
        for a in (1.0, 0.6)
        for b in (0.25, 0.5, 1.0)
        for d in (2.0, 4.0, 8.0, None)
    ]
    local = np.median([gc.fit(spec, t, y).predict(when)["mean"].to_numpy() for spec in grid], axis=0)
    got = gc.fit("auto", t, y).predict(when)["mean"].to_numpy()
    np.testing.assert_allclose(got, 0.5 * drift + 0.5 * local, rtol=1e-12)


def test_conformal_quantiles_by_hand():
    errs = np.arange(1.0, 11.0)[None, None, :]  # ten errors 1..10 at one horizon
    lo, hi = conformal_quantiles(errs, 0.8)
    # rank ceil((10 + 1) * 0.9) = 10: the largest and the smallest
    assert (lo[0, 0], hi[0, 0]) == (1.0, 10.0)
    errs = np.concatenate([np.arange(1.0, 40.0), [np.nan]])[None, None, :]
    lo, hi = conformal_quantiles(errs, 0.5)
    # 39 errors: rank ceil(40 * 0.75) = 30 -> 30 and the 30th largest, 10
    assert (lo[0, 0], hi[0, 0]) == (10.0, 30.0)


def test_auto_forecasts_in_a_backtest_never_see_later_editions():
    df = gc.load_cnnic()
    origin = 40
    base = gc.backtest(df, series="netizens_million", models=["auto"], horizons=[1, 2, 3])
    changed = df.copy()
    later = changed["edition"] > origin
    changed.loc[later, "netizens_million"] = changed.loc[later, "netizens_million"] * 1.5
    moved = gc.backtest(changed, series="netizens_million", models=["auto"], horizons=[1, 2, 3])
    cols = ["origin_edition", "target_edition", "mean", "lower", "upper"]
    a = base.forecasts.loc[base.forecasts["origin_edition"] <= origin, cols].reset_index(drop=True)
    b = moved.forecasts.loc[moved.forecasts["origin_edition"] <= origin, cols].reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


def test_auto_intervals_reach_their_coverage_on_a_random_walk_with_drift():
    rng = np.random.default_rng(11)
    frames = []
    for k in range(6):
        y = 50.0 + np.cumsum(1.0 + rng.normal(0.0, 1.0, 60))
        frames.append(pd.DataFrame({"series_id": f"s{k}", "date": 2000.0 + 0.5 * np.arange(60), "value": y}))
    bt = gc.backtest(pd.concat(frames), models=["auto"], min_train=30, horizons=[1, 2, 3], level=0.8)
    coverage = bt.scores(by="horizon", pool_series=True)["coverage"]
    assert ((coverage > 0.7) & (coverage < 0.95)).all()


def test_auto_is_a_registered_batched_model_with_bounded_percentages():
    df = gc.load_cnnic()
    res = gc.fit("auto", df["as_of"], df["penetration_pct"])
    path = res.forecast(until="2040-12-31", level=0.95)
    assert path[["mean", "lower", "upper"]].le(100.0).all().all()
    assert (path["lower"] <= path["mean"]).all() and (path["mean"] <= path["upper"]).all()
    assert "auto" in set(gc.available_models()["name"])


def test_auto_summary_says_how_its_intervals_were_made():
    t = 2000.0 + 0.5 * np.arange(56)
    y = 100.0 + 3.0 * np.arange(56)
    text = gc.fit("auto", t, y).summary()
    # the last 20 inner origins (prefixes ending at points 35..54) score h = 1; one fewer at each longer horizon
    assert "20, 19, 18, 17, 16, 15 errors at horizons 1-6" in text
    assert "drift (6 per year)" in text  # (100 + 3 * 55 - 100) / 27.5 years
