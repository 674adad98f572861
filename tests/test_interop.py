"""statsforecast's conventions in and out (issue 14 item 8).

The layout statsforecast writes is hard-coded here from its documentation and
from its output (statsforecast 2.1: ``StatsForecast(models=[AutoETS()]).forecast(
df, h, level=[80, 95])`` gives ``unique_id, ds, AutoETS, AutoETS-lo-95,
AutoETS-lo-80, AutoETS-hi-80, AutoETS-hi-95``; ``cross_validation`` adds
``cutoff`` and ``y`` after ``ds``). A last test runs statsforecast itself when
it is installed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import growthcast as gc

SF_COLUMNS = ["unique_id", "ds", "AutoETS", "AutoETS-lo-95", "AutoETS-lo-80", "AutoETS-hi-80", "AutoETS-hi-95"]


def _long() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    years = np.arange(2000, 2020)
    return pd.DataFrame([(sid, y, k / (1 + np.exp(-0.4 * (y - 2010))) + rng.normal(0, 0.3))
                         for sid, k in (("a", 80.0), ("b", 50.0)) for y in years],
                        columns=["series_id", "date", "value"])


def test_a_batch_forecast_in_statsforecast_layout():
    many = gc.fit_many("logistic", _long())
    wide = gc.to_statsforecast(many, level=[80, 95], steps=3, model="AutoETS")
    assert list(wide.columns) == SF_COLUMNS
    mine = many.forecast(steps=3, level=[0.8, 0.95])
    assert wide["unique_id"].tolist() == mine["series_id"].tolist()
    assert wide["ds"].tolist() == [2020, 2021, 2022] * 2 and wide["ds"].dtype == np.int64  # whole years
    for sf_col, col in (("AutoETS", "mean"), ("AutoETS-lo-95", "lower_95"), ("AutoETS-lo-80", "lower_80"),
                        ("AutoETS-hi-80", "upper_80"), ("AutoETS-hi-95", "upper_95")):
        np.testing.assert_array_equal(wide[sf_col].to_numpy(), mine[col].to_numpy())


def test_probabilities_and_percentages_name_the_same_levels_and_one_fit_has_its_id():
    df = gc.load_cnnic()
    res = gc.fit("gompertz", df["as_of"], df["penetration_pct"])
    a = gc.to_statsforecast(res, level=0.9, steps=2)
    b = gc.to_statsforecast(res, level=[90], steps=2)
    pd.testing.assert_frame_equal(a, b)
    assert list(a.columns) == ["unique_id", "ds", "gompertz", "gompertz-lo-90", "gompertz-hi-90"]
    assert set(a["unique_id"]) == {"penetration_pct"}
    assert a["ds"].tolist() == [pd.Timestamp("2026-06-30"), pd.Timestamp("2026-12-31")]


def test_a_forecast_frame_with_plain_bounds_needs_its_level():
    fc = gc.fit_many("linear", _long()).forecast(steps=2, level=0.95)
    with pytest.raises(gc.DataError, match="pass level="):
        gc.to_statsforecast(fc)
    wide = gc.to_statsforecast(fc, level=0.95, model="linear")
    assert list(wide.columns) == ["unique_id", "ds", "linear", "linear-lo-95", "linear-hi-95"]
    np.testing.assert_array_equal(wide["linear-hi-95"], fc["upper"])


def test_validated_data_become_unique_id_ds_y_and_come_back_the_same():
    long = gc.from_frame(_long(), series_id="series_id")
    sf = gc.to_statsforecast(long)
    assert list(sf.columns) == ["unique_id", "ds", "y"]
    assert sf["ds"].dtype == np.int64 and sf["y"].tolist() == long["value"].tolist()
    # statsforecast's names are read as the column defaults
    a = gc.fit_many("logistic", sf)
    b = gc.fit_many("logistic", _long())
    pd.testing.assert_frame_equal(a.params, b.params)
    again = gc.from_frame(sf)
    pd.testing.assert_frame_equal(again.reset_index(drop=True), long.reset_index(drop=True), check_dtype=False)


def test_a_statsforecast_forecast_frame_read_back_as_long_form():
    sf = pd.DataFrame({
        "unique_id": [1, 1, 2], "ds": pd.to_datetime(["2021-12-31", "2022-12-31", "2021-12-31"]),
        "Naive": [5.0, 5.0, 7.0], "Naive-lo-80": [4.0, 3.5, 6.0], "Naive-lo-95": [3.0, 2.5, 5.0],
        "Naive-hi-80": [6.0, 6.5, 8.0], "Naive-hi-95": [7.0, 7.5, 9.0], "AutoETS": [5.5, 6.0, 7.5],
        "AutoETS-lo-95": [4.5, 4.0, 6.5], "AutoETS-lo-80": [5.0, 5.0, 7.0], "AutoETS-hi-80": [6.0, 7.0, 8.0],
        "AutoETS-hi-95": [6.5, 8.0, 8.5],
    })
    long = gc.from_statsforecast(sf)
    assert list(long.columns) == ["series_id", "model", "date", "mean", "lower_80", "upper_80", "lower_95",
                                  "upper_95"]
    assert long["model"].tolist() == ["Naive"] * 3 + ["AutoETS"] * 3
    assert long["series_id"].tolist() == [1, 1, 2, 1, 1, 2]
    ets = long[long["model"] == "AutoETS"]
    assert ets["lower_95"].tolist() == [4.5, 4.0, 6.5] and ets["upper_80"].tolist() == [6.0, 7.0, 8.0]
    only = gc.from_statsforecast(sf, models=["Naive"])
    assert set(only["model"]) == {"Naive"}
    with pytest.raises(gc.DataError, match="no model"):
        gc.from_statsforecast(sf, models=["Theta"])
    with pytest.raises(gc.DataError, match="bounds without their model"):
        gc.from_statsforecast(sf.drop(columns="Naive"))
    with pytest.raises(gc.DataError, match="missing column"):
        gc.from_statsforecast(sf.drop(columns="ds"))


def test_round_trip_through_statsforecast_layout():
    many = gc.fit_many("gompertz", _long())
    mine = many.forecast(steps=4, level=[0.8, 0.95])
    back = gc.from_statsforecast(gc.to_statsforecast(many, level=[0.8, 0.95], steps=4))
    assert back["model"].unique().tolist() == ["gompertz"]
    np.testing.assert_array_equal(back["t"], mine["t"])
    for col in ("mean", "lower_80", "upper_80", "lower_95", "upper_95"):
        np.testing.assert_array_equal(back[col], mine[col])


def test_a_cross_validation_frame_gives_origins_targets_and_actuals():
    cv = pd.DataFrame({"unique_id": ["a", "a"], "ds": [2018, 2019], "cutoff": [2017, 2017], "y": [10.0, 11.0],
                       "Naive": [9.0, 9.0], "Naive-lo-80": [8.0, 7.5], "Naive-hi-80": [10.0, 10.5]})
    long = gc.from_statsforecast(cv)
    assert list(long.columns) == ["series_id", "model", "origin_t", "target_t", "actual", "mean", "lower_80",
                                  "upper_80"]
    assert long["origin_t"].tolist() == [2017.0, 2017.0] and long["actual"].tolist() == [10.0, 11.0]


def test_real_statsforecast_output_round_trips():
    sf_mod = pytest.importorskip("statsforecast")
    from statsforecast.models import Naive

    sf = gc.to_statsforecast(gc.from_frame(_long(), series_id="series_id"))
    out = sf_mod.StatsForecast(models=[Naive()], freq=1).forecast(df=sf, h=3, level=[80, 95])
    assert {"unique_id", "ds", "Naive", "Naive-lo-80", "Naive-lo-95", "Naive-hi-80", "Naive-hi-95"} == set(out.columns)
    long = gc.from_statsforecast(out)
    last = _long().groupby("series_id")["value"].last()
    np.testing.assert_allclose(long["mean"], np.repeat(last.to_numpy(), 3))
    assert (long["lower_95"] < long["lower_80"]).all() and (long["upper_80"] < long["upper_95"]).all()
    assert long["t"].tolist() == [2020.0, 2021.0, 2022.0] * 2
    # and back to statsforecast's layout, column for column
    again = gc.to_statsforecast(long.assign(series_id=long["series_id"]), model="Naive")
    pd.testing.assert_frame_equal(again[out.columns.tolist()].reset_index(drop=True), out.reset_index(drop=True),
                                  check_dtype=False)
