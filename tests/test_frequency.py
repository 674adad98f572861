"""The data's own frequency: forecasts step by it, and several levels come out at once."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import growthcast as gc


def _linear(dates):
    return gc.fit("linear", dates, np.arange(1.0, len(dates) + 1) + 0.01 * np.sin(np.arange(len(dates))))


@pytest.mark.parametrize("dates, expected, name", [
    (["2019-12-31", "2020-12-31", "2021-12-31", "2022-12-31"], ["2023-12-31", "2024-12-31"], "yearly"),
    (["2021-06-30", "2021-12-31", "2022-06-30", "2022-12-31"], ["2023-06-30", "2023-12-31"], "half-yearly"),
    (["2022-03-31", "2022-06-30", "2022-09-30", "2022-12-31"], ["2023-03-31", "2023-06-30"], "quarterly"),
    (["2023-01-31", "2023-02-28", "2023-03-31", "2023-04-30"], ["2023-05-31", "2023-06-30"], "monthly"),
    (["2019-07-01", "2020-07-01", "2021-07-01", "2022-07-01"], ["2023-07-01", "2024-07-01"], "yearly"),
    (["2023-01-15", "2023-02-15", "2023-03-15", "2023-04-15"], ["2023-05-15", "2023-06-15"], "monthly"),
])
def test_forecasts_step_by_the_datas_frequency_and_keep_its_calendar_anchor(dates, expected, name):
    res = _linear(dates)
    assert res.frequency == name
    assert res.forecast(steps=2)["date"].dt.strftime("%Y-%m-%d").tolist() == expected


def test_numeric_years_stay_years_without_a_date_column():
    res = gc.fit("linear", [2001, 2002, 2003, 2004, 2005], [1.0, 2.5, 2.9, 4.2, 5.1])
    fc = res.forecast(steps=3)
    assert "date" not in fc.columns
    np.testing.assert_array_equal(fc["t"], [2006.0, 2007.0, 2008.0])


def test_freq_overrides_the_inferred_step():
    dates = ["2019-12-31", "2020-12-31", "2021-12-31", "2022-12-31"]
    res = gc.fit("linear", dates, [1.0, 2.0, 3.1, 3.9], freq="Q")
    assert res.frequency == "quarterly"
    assert res.forecast(steps=2)["date"].dt.strftime("%Y-%m-%d").tolist() == ["2023-03-31", "2023-06-30"]
    numeric = gc.fit("linear", [0.0, 1.0, 2.0, 3.0], [1.0, 2.0, 3.1, 3.9], freq=0.25)
    np.testing.assert_allclose(numeric.forecast(steps=2)["t"], [3.25, 3.5])
    with pytest.raises(gc.DataError, match="freq"):
        gc.fit("linear", dates, [1.0, 2.0, 3.1, 3.9], freq="fortnightly")


def test_each_series_of_a_batch_steps_by_its_own_frequency():
    frame = pd.DataFrame({
        "series_id": ["yearly"] * 4 + ["monthly"] * 4,
        "date": ["2019-12-31", "2020-12-31", "2021-12-31", "2022-12-31",
                 "2023-01-31", "2023-02-28", "2023-03-31", "2023-04-30"],
        "value": [1.0, 2.0, 3.1, 3.9] * 2,
    })
    fc = gc.fit_many("linear", frame).forecast(steps=1)
    got = dict(zip(fc["series_id"], fc["date"].dt.strftime("%Y-%m-%d")))
    assert got == {"yearly": "2023-12-31", "monthly": "2023-05-31"}


def test_several_levels_give_one_pair_of_bounds_each_and_equal_the_single_level_calls():
    t = np.arange(2000.0, 2015.0)
    rng = np.random.default_rng(1)
    res = gc.fit("linear", t, 2.0 * (t - 2000) + rng.normal(0, 1, t.size))
    both = res.forecast(steps=3, level=[0.95, 0.8])
    assert list(both.columns) == ["t", "mean", "lower_80", "upper_80", "lower_95", "upper_95"]
    for level in (0.8, 0.95):
        one = res.forecast(steps=3, level=level)
        np.testing.assert_array_equal(both[f"lower_{100 * level:g}"], one["lower"])
        np.testing.assert_array_equal(both[f"upper_{100 * level:g}"], one["upper"])
    assert (both["lower_95"] < both["lower_80"]).all() and (both["upper_80"] < both["upper_95"]).all()
    many = gc.fit_many("linear", pd.DataFrame({"series_id": "a", "date": t, "value": 2.0 * (t - 2000)
                                               + rng.normal(0, 1, t.size)})).forecast(steps=2, level=[0.8, 0.95])
    assert {"lower_80", "upper_80", "lower_95", "upper_95", "status"} <= set(many.columns)
    with pytest.raises(gc.DataError, match="level"):
        res.forecast(level=[])


def test_statsforecast_column_names_and_the_series_column_are_found_without_naming_them():
    sf = pd.DataFrame({"unique_id": ["a"] * 4 + ["b"] * 4, "ds": list(range(2001, 2005)) * 2,
                       "y": [1.0, 2.1, 2.9, 4.2, 2.0, 3.9, 6.1, 8.0]})
    long = gc.from_frame(sf)
    assert sorted(pd.unique(long["series_id"])) == ["a", "b"] and len(long) == 8
    many = gc.fit_many("linear", sf)
    assert list(many.series_ids) == ["a", "b"]
    ours = gc.fit_many("linear", sf.rename(columns={"unique_id": "series_id", "ds": "date", "y": "value"}))
    pd.testing.assert_frame_equal(many.params, ours.params)
    one = pd.DataFrame({"date": [2001, 2001, 2002], "value": [1.0, 2.0, 3.0]})
    with pytest.raises(gc.DataError, match="series_id="):  # duplicate dates: say how to name several series
        gc.from_frame(one)
