"""Percentages may be 0: a penetration counted before a launch is a real published figure.

Validation takes [0, 100]; the models on ``log y`` or a logit (``exponential``,
``logit_linear``, ``auto``, ``saturating``) start at the first positive value,
and the others fit every point.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.special import logit

import growthcast as gc
from growthcast import errors
from growthcast.models.registry import model_names

T = np.arange(1990.0, 2016.0)
LEAD = 3  # zeros before the launch


def _share(seed: int = 11) -> np.ndarray:
    """A noisy logistic penetration (percent) with LEAD zeros before its launch."""
    rng = np.random.default_rng(seed)
    y = 80.0 / (1.0 + np.exp(-0.4 * (T - 2008.0))) * np.exp(rng.normal(0.0, 0.02, T.size))
    y[:LEAD] = 0.0
    return y


def _frame(y: np.ndarray, sid: str = "web_pct") -> pd.DataFrame:
    return pd.DataFrame({"series_id": sid, "date": T, "value": y})


def test_zero_is_a_percentage_and_below_zero_or_above_100_is_not():
    frame = gc.from_frame(_frame(_share()))
    assert frame.attrs["percent"] == {"web_pct": True}
    assert (frame["value"].iloc[:LEAD] == 0.0).all()
    y = _share()
    y[20] = 100.5
    with pytest.raises(gc.DataError, match=r"percentages must lie in \[0, 100\], got \[100.5\] in rows \[20\]"):
        gc.from_frame(_frame(y))
    with pytest.raises(gc.DataError, match=r"percentages must lie in \[0, 100\]"):
        gc.fit_arrays("linear", T, y, percent=True)
    y[20] = -0.5
    with pytest.raises(gc.DataError, match=r"negative values in rows \[20\]"):
        gc.from_frame(_frame(y))


@pytest.mark.parametrize("model", model_names())
def test_every_model_fits_a_percentage_with_zeros_before_launch_or_says_why_not(model):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = gc.fit_many(model, _frame(_share()), progress=False)["web_pct"]
        assert result.status > 0, result.message  # each model has at least LEAD + 3 positive points
        fc = result.forecast(steps=4, level=0.9)
    bounds = fc[["mean", "lower", "upper"]].to_numpy()
    assert np.isfinite(bounds).all()
    assert (bounds >= 0.0).all() and (bounds <= 100.0).all()


def test_exponential_starts_at_the_launch_like_a_line_through_log_y():
    y = _share()
    res = gc.fit("exponential", T, y, percent=True)
    kept = slice(LEAD, None)
    slope, intercept = np.polyfit(T[kept] - T[kept].mean(), np.log(y[kept]), 1)  # by hand, the zeros left out
    np.testing.assert_allclose(res.params[["growth", "log_level"]], [slope, intercept], rtol=1e-10)
    assert res.nobs == T.size - LEAD


def test_logit_linear_starts_at_the_launch_like_a_line_through_the_logit():
    y = _share()
    res = gc.fit("logit_linear", T, y, percent=True)
    kept = slice(LEAD, None)
    slope, intercept = np.polyfit(T[kept] - T[kept].mean(), logit(y[kept] / 100.0), 1)
    np.testing.assert_allclose(res.params[["slope", "logit_level"]], [slope, intercept], rtol=1e-10)


@pytest.mark.parametrize("model", ["exponential", "logit_linear"])
def test_too_few_points_after_the_launch_fail_and_say_so(model):
    y = np.zeros(T.size)
    y[-1] = 3.0  # one positive value: no line through it
    result = gc.fit_many(model, _frame(y), progress=False)["web_pct"]
    assert result.status == errors.FAILED_TOO_FEW_POINTS
    assert "fewer than 3 points from the first positive value on" in result.message


@pytest.mark.parametrize("model", ["exponential", "logit_linear"])
def test_a_zero_after_the_launch_still_fails_with_the_models_reason(model):
    y = _share()
    y[15] = 0.0
    result = gc.fit_many(model, _frame(y), progress=False)["web_pct"]
    assert result.status == errors.FAILED_INVALID_DATA
    assert "needs" in result.message and "first positive value" not in result.message


def test_logit_linear_without_a_cap_still_asks_for_one():
    result = gc.fit_many("logit_linear", _frame(_share() + 0.0, sid="users"), progress=False)["users"]
    assert result.status == errors.FAILED_INVALID_DATA and "give cap=" in result.message


@pytest.mark.parametrize("model", ["logistic", "gompertz", "exponential", "auto"])  # saturating pools its series
def test_a_percentage_with_zeros_leaves_the_other_series_unchanged(model):
    rng = np.random.default_rng(2)
    clean = [_frame(70.0 / (1.0 + np.exp(-0.3 * (T - 2005.0 - k))) * np.exp(rng.normal(0, 0.02, T.size)), f"c{k}_pct")
             for k in range(3)]
    alone = gc.fit_many(model, pd.concat(clean, ignore_index=True), progress=False)
    mixed = gc.fit_many(model, pd.concat(clean + [_frame(_share())], ignore_index=True), progress=False)
    a = alone.forecast(steps=3, level=0.8)
    b = mixed.forecast(steps=3, level=0.8)
    pd.testing.assert_frame_equal(a, b[b["series_id"] != "web_pct"].reset_index(drop=True), check_exact=True)


def test_a_single_curve_fit_with_zeros_matches_the_batch_to_the_bit():
    y = _share()
    one = gc.fit("logistic", T, y, percent=True)
    batch = gc.fit_many("logistic", _frame(y), progress=False)["web_pct"]
    assert one.params.to_numpy().tolist() == batch.params.to_numpy().tolist()
    assert one.cov.to_numpy().tolist() == batch.cov.to_numpy().tolist()
