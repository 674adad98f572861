"""The saturating model, intervals that honour their level, and logit lines that say when they are nonsense."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import growthcast as gc
from growthcast import errors
from growthcast.intervals import conformal_quantiles
from growthcast.models import LogitLinear, Saturating


def _logistic(t, K, r, t0):
    return K / (1.0 + np.exp(-r * (t - t0)))


def _panel(n_series=8, n=20, seed=0, end=2019.0, K=130.0):
    """Yearly S-curves of different speeds ending at ``end``, multiplicative noise."""
    rng = np.random.default_rng(seed)
    t = end - np.arange(n)[::-1]
    frames = []
    for k in range(n_series):
        y = _logistic(t, K * (0.8 + 0.4 * rng.random()), 0.3 + 0.3 * rng.random(), end - 6 + 8 * rng.random())
        y = y * np.exp(rng.normal(0, 0.03, n))
        frames.append(pd.DataFrame({"series_id": f"s{k}", "date": t, "value": y}))
    return pd.concat(frames, ignore_index=True)


# ---------------------------------------------------------------- conformal quantiles with too few errors
def test_conformal_quantiles_widen_with_a_normal_tail_beyond_the_count():
    errs = np.array([[-2.0, -1.0, 0.0, 1.0, 2.0]])
    lo, hi = conformal_quantiles(errs, 0.95)
    # rank ceil(6 * 0.975) = 6 > 5 errors: the extreme error (2) is the bound of level (5 - 1) / (5 + 1) = 2/3,
    # scaled by the ratio of the normal quantiles of 95% and 2/3 (scipy's, not growthcast's)
    factor = stats.norm.ppf(0.975) / stats.norm.ppf(0.5 + (2 / 3) / 2)
    assert hi[0] == pytest.approx(2.0 * factor, rel=1e-12)
    assert lo[0] == pytest.approx(-2.0 * factor, rel=1e-12)
    # where the count reaches the rank, the split-conformal order statistic is unchanged
    lo, hi = conformal_quantiles(errs, 0.5)
    assert (lo[0], hi[0]) == (-2.0, 2.0)  # rank ceil(6 * 0.75) = 5
    # the old rule is still there
    lo, hi = conformal_quantiles(errs, 0.99, tail="extreme")
    assert (lo[0], hi[0]) == (-2.0, 2.0)


def test_conformal_quantiles_need_two_errors_to_extrapolate():
    lo, hi = conformal_quantiles(np.array([[0.3, np.nan]]), 0.9)
    assert np.isnan(lo[0]) and np.isnan(hi[0])


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(12, 40), percent=st.booleans(),
       model=st.sampled_from(["auto", "saturating"]))
def test_bands_nest_by_level_at_every_horizon(seed, n, percent, model):
    """For any noisy series: 99% contains 95% contains 80%, strictly wider where not clipped at 0 or 100."""
    rng = np.random.default_rng(seed)
    t = 2000.0 + 0.5 * np.arange(n)
    growth = rng.uniform(0.02, 0.3)
    y = 5.0 * np.exp(growth * np.arange(n) / 2) * np.exp(rng.normal(0, 0.05, n))
    if percent:
        y = np.clip(y / y.max() * rng.uniform(30, 95), 0.5, 99.0)
    res = gc.fit(model, t, y, percent=percent)
    bands = [res.forecast(steps=20, level=lev)[["lower", "upper"]].to_numpy() for lev in (0.8, 0.95, 0.99)]
    mean = res.forecast(steps=20)["mean"].to_numpy()
    assert not np.array_equal(bands[0], bands[2])  # never the same band for 80% and 99%
    for inner, outer in zip(bands, bands[1:]):
        assert (outer[:, 0] <= inner[:, 0]).all() and (outer[:, 1] >= inner[:, 1]).all()
        # clipped: at 0 or 100, or at the point forecast (a band always contains it)
        clipped_lo = (outer[:, 0] <= 0.0) | (outer[:, 0] == mean)
        clipped_hi = (percent & (outer[:, 1] >= 100.0)) | (outer[:, 1] == mean)
        assert ((outer[:, 0] < inner[:, 0]) | clipped_lo).all()
        assert ((outer[:, 1] > inner[:, 1]) | clipped_hi).all()


def test_auto_bands_on_cnnic_netizens_depend_on_the_level_at_every_horizon():
    df = gc.load_cnnic()
    res = gc.fit("auto", df["as_of"], df["netizens_million"])
    widths = [np.diff(res.forecast(steps=12, level=lev)[["lower", "upper"]].to_numpy(), axis=1)[:, 0]
              for lev in (0.8, 0.95, 0.99)]
    assert (widths[0] < widths[1]).all() and (widths[1] < widths[2]).all()
    assert "normal tail" in res.summary()


# ---------------------------------------------------------------- the saturating model
def test_a_percentage_approaches_100_and_never_passes_it():
    t = 2000.0 + np.arange(20.0)
    y = _logistic(t, 100.0, 0.5, 2012.0)
    res = gc.fit("saturating", t, y, percent=True)
    path = res.forecast(steps=80, level=0.99)
    assert path[["mean", "lower", "upper"]].le(100.0).all().all()
    assert (np.diff(path["mean"]) > 0).all()  # still rising, towards the ceiling
    assert path["mean"].iloc[-1] < 100.0
    assert float(res.params["K"]) == 100.0


def test_a_given_ceiling_bounds_the_forecast_and_its_upper_bound():
    df = gc.load_cnnic()
    population = 1412.6  # China's peak population, million (NBS, 2021)
    res = gc.fit(gc.models.get_model("saturating", ceiling=population), df["as_of"], df["netizens_million"])
    path = res.forecast(steps=60, level=0.95)
    assert path["mean"].lt(population).all() and path["upper"].le(population).all()
    assert float(res.params["K"]) == population
    assert "given" in res.summary()


def test_a_value_above_the_given_ceiling_fails_with_a_reason():
    t = 2000.0 + np.arange(12.0)
    res = gc.fit(Saturating(ceiling=10.0), t, np.linspace(1.0, 12.0, 12))
    assert res.status == errors.FAILED_INVALID_DATA and "ceiling" in res.message


def test_without_pooling_a_series_gets_the_same_forecast_alone_and_in_a_batch():
    panel = _panel()
    spec = Saturating(pool=False)
    batch = gc.fit_many(spec, panel).forecast(steps=8, level=0.8).set_index(["series_id", "t"])
    one = panel[panel["series_id"] == "s3"]
    alone = gc.fit(spec, one["date"], one["value"]).forecast(steps=8, level=0.8)
    got = batch.loc["s3"][["mean", "lower", "upper"]].to_numpy()
    np.testing.assert_allclose(got, alone[["mean", "lower", "upper"]].to_numpy(), rtol=1e-10)


def test_pooling_uses_the_batch_and_only_series_that_end_at_the_same_date():
    panel = _panel()
    one = panel[panel["series_id"] == "s3"]
    alone = gc.fit("saturating", one["date"], one["value"]).forecast(steps=8, level=0.8)
    pooled = gc.fit_many("saturating", panel).forecast(steps=8, level=0.8).set_index("series_id").loc["s3"]
    # with the panel, the ceiling is shrunk and the intervals are the panel's: a different forecast
    assert not np.allclose(pooled[["lower", "upper"]].to_numpy(), alone[["lower", "upper"]].to_numpy())
    # series that end earlier (another origin) are not pooled with it: no look-ahead across origins
    others = _panel(seed=5, end=2015.0).assign(series_id=lambda d: "e" + d["series_id"])
    mixed = gc.fit_many("saturating", pd.concat([one, others])).forecast(steps=8, level=0.8)
    mixed = mixed.set_index("series_id").loc["s3"]
    np.testing.assert_allclose(mixed[["mean", "lower", "upper"]].to_numpy(),
                               alone[["mean", "lower", "upper"]].to_numpy(), rtol=1e-10)


def test_pooled_bands_widen_as_the_square_root_of_the_horizon():
    panel = _panel(n_series=12)
    f = gc.fit_many("saturating", panel).forecast(steps=12, level=0.8)
    f = f[f["series_id"] == "s2"]
    h = f["t"].to_numpy() - 2019.0
    whole = np.isclose(h, np.round(h))
    up = np.log(f["upper"] / f["mean"]).to_numpy()[whole]
    down = np.log(f["lower"] / f["mean"]).to_numpy()[whole]
    steps = h[whole]
    # the one-step quantiles of the pooled errors, times sqrt(h): a random walk's growth
    np.testing.assert_allclose(up / up[0], np.sqrt(steps), rtol=1e-9)
    np.testing.assert_allclose(down / down[0], np.sqrt(steps), rtol=1e-9)
    per_h = gc.fit_many(Saturating(horizon_scaling="errors"), panel).forecast(steps=12, level=0.8)
    per_h = per_h[per_h["series_id"] == "s2"]
    assert not np.allclose(per_h["upper"].to_numpy(), f["upper"].to_numpy())
    assert "square root of the horizon" in gc.fit_many("saturating", panel)["s2"].summary()


def test_with_a_curve_the_other_half_is_the_series_own_fitted_curve():
    from scipy.optimize import curve_fit

    t = 2000.0 + np.arange(20.0)
    rng = np.random.default_rng(7)
    y = _logistic(t, 80.0, 0.4, 2012.0) * np.exp(rng.normal(0, 0.01, 20))
    res = gc.fit(Saturating(curve="logistic"), t, y)
    path = res.forecast(steps=12)
    auto = gc.fit("auto", t, y).forecast(steps=12)
    popt, _ = curve_fit(_logistic, t, y, p0=(90.0, 0.3, 2011.0), maxfev=20000)  # scipy's fit, not growthcast's
    expected = 0.5 * auto["mean"].to_numpy() + 0.5 * _logistic(path["t"].to_numpy(), *popt)
    np.testing.assert_allclose(path["mean"].to_numpy(), expected, rtol=1e-5)


def test_a_curve_that_is_not_identified_falls_back_to_the_logit_trends():
    t = 2000.0 + np.arange(12.0)
    y = 0.01 * np.exp(0.35 * np.arange(12.0))  # early exponential growth: no ceiling in sight
    with_curve = gc.fit(Saturating(curve="logistic"), t, y)
    assert np.isnan(with_curve.fitted.state["curve_params"]).all()
    np.testing.assert_allclose(with_curve.forecast(steps=6, level=0.8)[["mean", "lower", "upper"]].to_numpy(),
                               gc.fit("saturating", t, y).forecast(steps=6, level=0.8)[["mean", "lower", "upper"]]
                               .to_numpy(), rtol=1e-12)


def test_saturating_in_a_backtest_never_sees_later_editions():
    df = gc.load_cnnic()
    origin = 40
    base = gc.backtest(df, series="penetration_pct", models=["saturating"], horizons=[1, 2, 3])
    changed = df.copy()
    later = changed["edition"] > origin
    changed.loc[later, "penetration_pct"] = changed.loc[later, "penetration_pct"] * 0.8
    moved = gc.backtest(changed, series="penetration_pct", models=["saturating"], horizons=[1, 2, 3])
    cols = ["origin_edition", "target_edition", "mean", "lower", "upper"]
    a = base.forecasts.loc[base.forecasts["origin_edition"] <= origin, cols].reset_index(drop=True)
    b = moved.forecasts.loc[moved.forecasts["origin_edition"] <= origin, cols].reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


def test_pooled_saturating_in_a_yearly_panel_backtest_never_sees_later_years():
    # one batch holds every (series, origin) row; the ceilings and interval errors pooled across the
    # series must come only from rows ending at the same year, never from later origins' data
    panel = _panel(n_series=6, n=20, end=2019.0)  # 2000-2019: the 10th point, 2009, is the first origin
    origin = 2012.0
    kwargs = dict(models=["saturating"], origins=("2008", "2017"), horizons=[1, 2, 3], level=[0.8, 0.95])
    base = gc.backtest(panel, **kwargs)
    changed = panel.assign(value=np.where(panel["date"] > origin, panel["value"] * 0.8, panel["value"]))
    moved = gc.backtest(changed, **kwargs)
    fc = base.forecasts
    assert fc["origin_t"].min() == 2009.0 and fc["origin_t"].max() == 2017.0
    assert "origin_edition" not in fc.columns
    cols = ["series_id", "origin_t", "target_t", "level", "mean", "lower", "upper"]
    a = fc.loc[fc["origin_t"] <= origin, cols].reset_index(drop=True)
    b = moved.forecasts.loc[moved.forecasts["origin_t"] <= origin, cols].reset_index(drop=True)
    assert len(a) == 6 * 4 * 3 * 2  # six series, origins 2009-2012, three horizons, two levels
    pd.testing.assert_frame_equal(a, b)
    later = fc["origin_t"] > origin
    assert not np.allclose(fc.loc[later, "mean"], moved.forecasts.loc[later, "mean"])


def test_saturating_summary_says_where_the_ceiling_and_intervals_come_from():
    panel = _panel()
    text = gc.fit_many("saturating", panel)["s0"].summary()
    assert "empirical Bayes" in text and "batch" in text and "pool=False" in text


def test_saturating_rejects_bad_options():
    with pytest.raises(gc.DataError, match="ceiling"):
        Saturating(ceiling=-1.0)
    with pytest.raises(gc.DataError, match="horizons"):
        Saturating(horizons=0)
    with pytest.raises(gc.DataError, match="curve"):
        Saturating(curve="richards")
    with pytest.raises(gc.DataError, match="horizon_scaling"):
        Saturating(horizon_scaling="linear")


# ---------------------------------------------------------------- no confident nonsense
def test_a_logit_line_through_tiny_values_says_it_is_implausible():
    # Brazil's fixed broadband subscriptions per 100 people, 1998-2008 (World Bank WDI via Our World in Data)
    y = np.array([0.000589, 0.004062, 0.057211, 0.186799, 0.407157, 0.531465, 1.715954, 1.737415, 2.533387,
                  4.002227, 5.216318])
    res = gc.fit(LogitLinear(cap=100.0), 1998.0 + np.arange(11), y)
    assert res.status == errors.FAILED_IMPLAUSIBLE
    assert "below 1% of the cap" in res.message
    with pytest.raises(gc.FitError, match="implausible"):
        res.raise_for_status()


def test_a_logit_line_through_values_away_from_zero_is_unchanged():
    t = 2000.0 + np.arange(12.0)
    rng = np.random.default_rng(4)
    y = _logistic(t, 100.0, 0.4, 2006.0) * np.exp(rng.normal(0, 0.02, 12))
    res = gc.fit("logit_linear", t, y, percent=True)
    assert res.status == errors.CONVERGED_EXACT
    from scipy.special import logit

    slope = np.polyfit(t - t.mean(), logit(y / 100.0), 1)[0]
    assert float(res.params["slope"]) == pytest.approx(slope, rel=1e-9)
