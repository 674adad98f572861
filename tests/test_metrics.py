"""The metric functions against values worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from growthcast import metrics
from growthcast.metrics import METRICS


def test_point_metrics_by_hand():
    actual = np.array([10.0, 20.0, 40.0])
    forecast = np.array([12.0, 15.0, 40.0])
    # errors -2, 5, 0
    assert metrics.mae(actual, forecast) == pytest.approx(7.0 / 3)
    assert metrics.rmse(actual, forecast) == pytest.approx(np.sqrt((4 + 25 + 0) / 3))
    assert metrics.mape(actual, forecast) == pytest.approx(100 * (2 / 10 + 5 / 20 + 0) / 3)
    assert metrics.smape(actual, forecast) == pytest.approx(100 * (2 * 2 / 22 + 2 * 5 / 35 + 0) / 3)
    assert metrics.mase(actual, forecast, np.array([1.0, 2.0, 4.0])) == pytest.approx((2 / 1 + 5 / 2 + 0) / 3)


def test_naive_scale_is_the_mean_absolute_one_step_change():
    assert metrics.naive_scale([1.0, 2.0, 4.0, 7.0]) == pytest.approx((1 + 2 + 3) / 3)
    assert np.isnan(metrics.naive_scale([5.0]))


def test_missing_forecasts_are_left_out():
    actual = np.array([1.0, 2.0, 3.0])
    forecast = np.array([1.5, np.nan, 2.0])
    assert metrics.mae(actual, forecast) == pytest.approx((0.5 + 1.0) / 2)
    assert np.isnan(metrics.mae(actual, np.full(3, np.nan)))


def test_coverage_counts_bounds_as_inside():
    actual = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    lower = np.array([0.0, 2.5, 3.0, 5.0, np.nan])
    upper = np.array([1.0, 3.0, 3.0, 6.0, np.nan])
    # inside (on the upper bound), below, inside (both bounds), below, left out
    assert metrics.coverage(actual, lower, upper) == pytest.approx(2 / 4)


def test_winkler_score_by_hand():
    actual = np.array([5.0, 0.0, 12.0])
    lower = np.array([4.0, 1.0, 8.0])
    upper = np.array([6.0, 3.0, 10.0])
    alpha = 0.2
    expected = [2.0, 2.0 + 2 / alpha * 1.0, 2.0 + 2 / alpha * 2.0]
    assert metrics.winkler(actual, lower, upper, level=0.8) == pytest.approx(np.mean(expected))


@pytest.mark.parametrize("name", list(METRICS))
def test_registry_point_terms_reproduce_the_functions(name):
    rng = np.random.default_rng(3)
    cols = {"actual": rng.uniform(1, 10, 20), "mean": rng.uniform(1, 10, 20), "lower": rng.uniform(0, 5, 20),
            "upper": rng.uniform(5, 11, 20), "scale": rng.uniform(0.5, 2, 20), "level": 0.9}
    m = METRICS[name]
    args = [cols[a] for a in m.inputs]
    function = getattr(metrics, name.lower())  # the public function of the same name
    assert m.finish(np.nanmean(m.point(*args))) == pytest.approx(function(*args))


def test_bias_by_hand_and_its_best_value_is_zero():
    actual = np.array([10.0, 20.0, 40.0])
    forecast = np.array([12.0, 15.0, 40.0])
    assert metrics.bias(actual, forecast) == pytest.approx((-2 + 5 + 0) / 3)
    bias = METRICS["bias"]
    np.testing.assert_allclose(bias.distance_from_best(np.array([-2.0, 0.5, 1.0]), 0.9), [2.0, 0.5, 1.0])
    np.testing.assert_allclose(METRICS["coverage"].distance_from_best(np.array([0.7, 0.95]), 0.9), [0.2, 0.05])
    np.testing.assert_allclose(METRICS["MAE"].distance_from_best(np.array([3.0, 1.0]), 0.9), [3.0, 1.0])


def test_mase_leaves_out_forecasts_whose_training_window_was_constant():
    actual, forecast = np.array([3.0, 5.0, 7.0]), np.array([1.0, 0.0, 7.5])
    # the first forecast's window was constant (scale 0): |3 - 1| / 0 has no meaning, so only the others count
    assert metrics.mase(actual, forecast, np.array([0.0, 2.0, 0.5])) == pytest.approx((5 / 2 + 0.5 / 0.5) / 2)
    assert np.isnan(metrics.mase(actual, forecast, 0.0))
