"""Seams between today's merges: typed series ids, percent flags and the single-fit route across modules."""

import numpy as np
import pandas as pd

import growthcast as gc
from growthcast import report
from growthcast.interop import to_statsforecast

T = np.arange(2000, 2016, dtype=float)
Y = 80 / (1 + np.exp(-0.5 * (T - 2008))) + 0.1 * np.sin(T)


def _int_panel() -> pd.DataFrame:
    return pd.DataFrame({"series_id": np.repeat([0, 1, 2], len(T)), "date": np.tile(T, 3),
                         "value": np.tile(Y, 3)})


def test_fit_name_zero_is_the_series_id_on_both_routes():
    # 0 is a valid id (integer ids are kept): it must not be replaced by the default name "y"
    assert gc.fit("logistic", T, Y, name=0).series_id == 0  # the lone route
    assert gc.fit("holt", T, Y, name=0).series_id == 0  # the batch route
    assert gc.fit("logistic", T, pd.Series(Y, name=0)).series_id == 0


def test_to_statsforecast_keeps_a_fit_whose_id_is_zero():
    res = gc.fit("logistic", _int_panel(), name=0)
    assert res.series_id == 0
    assert to_statsforecast(res, steps=2)["unique_id"].tolist() == [0, 0]


def test_project_int_id_zero_keeps_its_id():
    p = report.project(_int_panel(), series=0, model="logistic")
    assert p.series == 0 and p.result.series_id == 0


def test_backtest_series_takes_one_integer_id():
    bt = gc.backtest(_int_panel(), series=0, models=["naive"], horizons=[1])
    assert bt.forecasts["series_id"].unique().tolist() == [0]


def _tuple_panel() -> pd.DataFrame:
    df = _int_panel()
    df["series_id"] = [("a", i) for i in df["series_id"]]
    return df


def test_report_and_project_take_tuple_ids(tmp_path):
    # fit_many and backtest keep tuple ids whole; project/write_report took a tuple id for a list of ids
    p = report.project(_tuple_panel(), series=("a", 1), model="logistic")
    assert p.series == ("a", 1) and p.result.series_id == ("a", 1)
    path = report.write_report(tmp_path, _tuple_panel(), models=["logistic", "naive"], horizons=[1, 2])
    assert path.exists()


def test_fit_name_keeps_a_validated_columns_flag_and_index():
    y = 99 / (1 + np.exp(-0.5 * (T - 2008))) + 0.5
    frame = gc.from_frame(pd.DataFrame({"date": T, "share": y}), value="share", percent=True)
    res = gc.fit("logistic", frame["t"], frame["value"], name="z")
    assert res.series_id == "z" and res.percent  # the frame's flag, under the name given
    part = frame.iloc[3:]  # t and y share an index that does not start at 0
    res = gc.fit("logistic", part["t"], part["value"].to_numpy(), name="z")
    assert res.series_id == "z" and len(res.y) == len(T) - 3
    res = gc.fit("holt", part["t"], part["value"].to_numpy(), name="z")
    assert res.series_id == "z" and len(res.y) == len(T) - 3


def test_plots_take_one_tuple_id(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    frame = _tuple_panel()
    batch = gc.fit_many("logistic", frame)
    fig = batch.plot(ids=("a", 1))
    assert [a.get_title() for a in fig.axes if a.get_visible()] == [str(("a", 1))]
    plt.close(fig)
    bt = gc.backtest(frame, models=["naive", "logistic"], horizons=[1, 2])
    fig = bt.plot(series=("a", 1))
    assert len([a for a in fig.axes if a.get_visible()]) == 1
    plt.close(fig)


def test_fit_arrays_percent_of_the_wrong_length_is_a_data_error():
    import pytest

    with pytest.raises(gc.DataError, match="percent"):
        gc.fit_arrays("logistic", T, np.vstack([Y, Y, Y]), percent=[True, False])
    assert gc.fit_arrays("logistic", T, np.vstack([Y, Y]), percent=[True, False]).percent.tolist() == [True, False]


def test_cli_validate_lists_a_series_whose_every_value_is_missing(capsys, tmp_path):
    import json

    from growthcast.cli import main

    path = tmp_path / "miss.csv"
    pd.DataFrame({"series_id": np.repeat(["a", "b"], len(T)), "date": np.tile(T, 2),
                  "value": np.r_[Y, np.full(len(T), np.nan)]}).to_csv(path, index=False)
    assert main(["data", "--validate", str(path), "--series-id", "series_id", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    # fit_many and forecast --csv see two series (b fails for want of points): the check must list both
    assert [(s["series_id"], s["points"], s["missing_dropped"]) for s in doc["series"]] == [("a", 16, 0), ("b", 0, 16)]
    assert list(gc.fit_many("naive", gc.read_csv(path, series_id="series_id")).series_ids) == ["a", "b"]


def _validated_with_gaps() -> pd.DataFrame:
    """a: complete; b: one value missing; c: every value missing; d: complete."""
    b = Y.copy()
    b[2] = np.nan
    values = np.r_[Y, b, np.full(len(T), np.nan), Y]
    return gc.from_frame(pd.DataFrame({"series_id": np.repeat(["a", "b", "c", "d"], len(T)),
                                       "date": np.tile(T, 4), "value": values}))


def test_a_validated_frame_with_a_missing_value_keeps_each_series_once():
    frame = _validated_with_gaps()
    batch = gc.fit_many("naive", frame)
    assert sorted(batch.series_ids.tolist()) == ["a", "b", "c", "d"]  # each once; c (no rows) failed
    assert batch.n_missing == {"b": 1, "c": len(T)}
    assert len(batch["b"].y) == len(T) - 1 and batch["c"].status < 0


def test_backtest_of_some_series_of_a_validated_frame_ignores_the_others():
    frame = _validated_with_gaps()
    assert gc.backtest(frame, series=["a", "b"], models=["naive"], horizons=[1]).series == ("a", "b")
    assert gc.backtest(frame, series=["d"], models=["naive"], horizons=[1]).series == ("d",)


def test_integer_ids_of_a_validated_frame_with_gaps_keep_their_type():
    frame = _int_panel()
    frame.loc[3, "value"] = np.nan
    batch = gc.fit_many("naive", gc.from_frame(frame))
    assert batch.series_ids.tolist() == [0, 1, 2] and batch.series_ids.dtype == np.int64
