"""``auto`` and ``saturating`` (log-scale models) on raw adoption series: zeros before launch are left out."""

import numpy as np
import pandas as pd
import pytest

import growthcast as gc


def _panel(seed: int = 5) -> pd.DataFrame:
    """Six yearly logistic series to 2022; the first two start with zeros (before their launch)."""
    rng = np.random.default_rng(seed)
    parts = []
    for k in range(6):
        t = np.arange(1995.0, 2023.0)
        y = (60.0 + 8 * k) / (1.0 + np.exp(-0.35 * (t - 2006.0 - k))) * np.exp(rng.normal(0.0, 0.03, t.size))
        if k < 2:
            y[: 3 + k] = 0.0
        parts.append(pd.DataFrame({"series_id": f"s{k}", "date": t, "value": y}))
    return pd.concat(parts, ignore_index=True)


@pytest.mark.parametrize("model", ["auto", "saturating"])
def test_leading_zeros_are_left_out_as_if_the_rows_were_not_there(model):
    raw = _panel()
    launched = raw[raw.groupby("series_id")["value"].transform(lambda v: (v > 0).cumsum() > 0)]
    assert len(launched) == len(raw) - 3 - 4
    with_zeros = gc.fit_many(model, raw, progress=False)
    without = gc.fit_many(model, launched, progress=False)
    assert (with_zeros.fitted.status > 0).all()
    a = with_zeros.forecast(steps=5, level=0.8)
    b = without.forecast(steps=5, level=0.8)
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9)


def test_a_zero_after_launch_still_fails_that_series_only():
    raw = _panel()
    raw.loc[(raw["series_id"] == "s3") & (raw["date"] == 2015.0), "value"] = 0.0
    many = gc.fit_many("saturating", raw, progress=False)
    status = dict(zip(many.series_ids, many.fitted.status))
    assert status["s3"] < 0
    assert all(v > 0 for sid, v in status.items() if sid != "s3")
    assert "positive values" in many.summary().loc["s3", "message"]


@pytest.mark.parametrize("model", ["auto", "saturating"])
def test_a_series_not_yet_launched_fails_with_that_reason(model):
    raw = _panel()
    raw.loc[raw["series_id"] == "s5", "value"] = 0.0  # all zeros
    raw.loc[(raw["series_id"] == "s4") & (raw["date"] < 2021), "value"] = 0.0  # two positive values
    many = gc.fit_many(model, raw, progress=False)
    summary = many.summary()
    for sid in ("s4", "s5"):
        assert summary.loc[sid, "status"] < 0
        assert "from the first positive value on" in summary.loc[sid, "message"]
    assert (summary.drop(index=["s4", "s5"])["status"] > 0).all()


def test_auto_bounds_stay_finite_and_sane_after_years_of_zeros():
    # before launch zeros were log(1e-300) to the log-scale trends: the inner errors, and so the bounds, exploded
    raw = _panel()
    raw.loc[(raw["series_id"] == "s0") & (raw["date"] < 2004), "value"] = 0.0
    fc = gc.fit_many("auto", raw, progress=False).forecast(steps=3, level=0.95)
    s0 = fc[fc["series_id"] == "s0"]
    assert np.isfinite(s0[["lower", "upper"]].to_numpy()).all()
    assert (s0["upper"] < 10 * s0["mean"]).all()


def test_auto_bounds_of_a_series_falling_to_zero_are_ordered():
    # a collapsing series (the raw broadband panel's Chad): the drift half of auto's mean goes below zero, and
    # bounds of the form mean * (1 + q) then came out with the lower above the upper
    t = np.arange(2009.0, 2020.0)
    y = np.array([0.0026, 0.0028, 0.128, 0.152, 0.111, 0.074, 0.080, 0.035, 0.0022, 0.0022, 0.00043])
    for level in (0.8, 0.95):
        fc = gc.fit("auto", t, y).forecast(steps=5, level=level)
        assert (fc["lower"] <= fc["mean"]).all() and (fc["mean"] <= fc["upper"]).all(), fc
