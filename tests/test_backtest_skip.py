"""A series too short to backtest is left out and listed; the others' results are as without it."""

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

import growthcast as gc
from conftest import logistic_panel


_frame = logistic_panel


ARGS = dict(models=["logistic", "linear", "naive"], horizons=range(1, 4), min_train=10, progress=False)


@pytest.mark.parametrize("short_at", [0, 1, 2])
def test_a_short_series_is_listed_and_does_not_change_the_others(short_at):
    lengths = {"a": 24, "b": 20, "c": 24}
    short_id = list(lengths)[short_at]
    lengths[short_id] = 6
    frame = _frame(lengths)
    bt = gc.backtest(frame, **ARGS)
    alone = gc.backtest(frame[frame["series_id"] != short_id], **ARGS)

    assert bt.series == alone.series == tuple(s for s in lengths if s != short_id)
    pdt.assert_frame_equal(bt.forecasts, alone.forecasts)
    pdt.assert_frame_equal(bt.params, alone.params)
    skipped = bt.skipped
    assert skipped["series_id"].tolist() == [short_id]
    assert skipped["points"].tolist() == [6]
    assert "min_train + 1 = 11" in skipped["reason"].iloc[0]
    assert "1 too short and left out" in repr(bt)
    assert alone.skipped.empty and "left out" not in repr(alone)


def test_skipped_keeps_integer_ids():
    frame = _frame({"x": 24, "y": 5, "z": 7})
    frame["series_id"] = frame["series_id"].map({"x": 101, "y": 102, "z": 103})
    skipped = gc.backtest(frame, **ARGS).skipped
    assert skipped["series_id"].tolist() == [102, 103]
    assert skipped["series_id"].dtype == frame["series_id"].dtype
    assert skipped["points"].tolist() == [5, 7]


def test_every_series_too_short_is_an_error_naming_them():
    with pytest.raises(gc.DataError, match=r"too short for min_train=10: \['a', 'b'\] \(6, 8 points\)"):
        gc.backtest(_frame({"a": 6, "b": 8}), **ARGS)


def test_the_report_names_the_series_left_out_of_its_backtest(tmp_path):
    pytest.importorskip("matplotlib")
    from growthcast.report import write_report

    frame = _frame({"a": 24, "b": 20, "c": 6})
    page = write_report(tmp_path, frame, model="logistic", models=["logistic", "naive"], min_train=10,
                        horizons=[1, 2])
    text = page.read_text(encoding="utf-8")
    assert "Left out of the backtest as too short: c (6 observed points; a backtest needs min_train + 1 = 11)" in text


def test_choosing_a_model_for_a_series_left_out_says_why(tmp_path):
    from growthcast.report import choose_model

    frame = _frame({"a": 24, "c": 6})
    bt = gc.backtest(frame, models=["linear", "naive"], horizons=[1, 2], min_train=10, progress=False)
    with pytest.raises(gc.DataError, match=r"'c' is too short to choose a model by backtest: 6 observed points"):
        choose_model(frame, "c", ["linear", "naive"], min_train=10, horizons=[1, 2], backtest=bt)
    assert choose_model(frame, "a", ["linear", "naive"], min_train=10, horizons=[1, 2], backtest=bt).model in (
        "linear", "naive")


def test_backtest_frames_keep_the_ids_dtype():
    frame = _frame({"x": 24, "y": 22})
    frame["series_id"] = frame["series_id"].map({"x": 101, "y": 102})
    bt = gc.backtest(frame, models=["logistic", "naive", "ensemble_weighted"], members=["logistic", "naive"],
                     horizons=[1, 2], min_train=10, progress=False)
    for table in (bt.forecasts, bt.params, bt.saturation(), bt.weights, bt.leaderboard(), bt.scores()):
        assert table["series_id"].dtype == np.int64
        assert set(table["series_id"]) == {101, 102}
    frame["series_id"] = frame["series_id"].astype("category")
    assert isinstance(gc.backtest(frame, **ARGS).forecasts["series_id"].dtype, pd.CategoricalDtype)


def test_a_backtest_keeps_each_series_percent_flag_and_its_plots_use_it():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    from growthcast import plot

    frame = _frame({"share": 24, "count": 24})  # no _pct in the names: the flag comes from percent=
    bt = gc.backtest(frame, percent=["share"], **ARGS)
    assert dict(bt.percent) == {"share": True, "count": False}
    for sid, bounded in (("share", True), ("count", False)):
        fig = plot.origin_forecasts(bt, series=sid)
        lines = [ln for ln in fig.axes[0].get_lines()
                 if len(ln.get_ydata()) == 2 and np.allclose(np.asarray(ln.get_ydata(), float), 100.0)]
        assert len(lines) == (1 if bounded else 0)
        plt.close(fig)


def test_the_cli_backtest_says_which_series_it_left_out(tmp_path, capsys):
    from growthcast.cli import main

    path = tmp_path / "mine.csv"
    _frame({"a": 24, "b": 20, "c": 6}).to_csv(path, index=False)
    assert main(["backtest", "--csv", str(path), "--models", "linear,naive", "--horizons", "1-2", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert "left out of the backtest as too short: c (6 observed points; a backtest needs min_train + 1 = 11)" in (
        captured.err)
    assert "c" not in {line.split()[0] for line in captured.out.splitlines() if line.strip()}


def test_common_scores_compare_every_model_on_the_same_forecasts():
    # zeros, then a launch: a log-scale model has nothing to forecast from at the first origins, drift has
    frame = logistic_panel({"a": 26})
    frame.loc[frame["date"] < 2004, "value"] = 0.0
    bt = gc.backtest(frame, models=["auto", "drift"], horizons=[1, 2], min_train=4, progress=False)
    fc = bt.forecasts
    assert fc.loc[fc["model"] == "auto", "mean"].isna().any() and fc.loc[fc["model"] == "drift", "mean"].notna().all()

    both = fc.pivot_table(index=["origin_t", "horizon"], columns="model", values="mean").dropna().index
    expected = {}
    for model in ("auto", "drift"):
        rows = fc[fc["model"] == model].set_index(["origin_t", "horizon"]).loc[both]
        per_h = rows["error"].abs().groupby(level="horizon").mean()  # MAE per horizon, then their mean
        expected[model] = (per_h.mean(), len(rows))
    board = bt.leaderboard("MAE", common=True).set_index("model")
    for model, (mae, n) in expected.items():
        assert board.loc[model, "MAE"] == pytest.approx(mae, rel=1e-12)
        assert board.loc[model, "n"] == n
    assert board.loc["auto", "failed"] == fc.loc[fc["model"] == "auto", "mean"].isna().sum()
    own = bt.leaderboard("MAE").set_index("model")
    assert own.loc["drift", "n"] > board.loc["drift", "n"] and own.loc["auto", "n"] == board.loc["auto", "n"]


def test_the_cli_backtest_scores_on_common_forecasts_when_asked(tmp_path, capsys):
    import json

    from growthcast.cli import main

    frame = logistic_panel({"a": 26})
    frame.loc[frame["date"] < 2004, "value"] = 0.0
    path = tmp_path / "mine.csv"
    frame.to_csv(path, index=False)
    counts = {}
    for flag in ([], ["--common"]):
        args = ["backtest", "--csv", str(path), "--models", "auto,drift", "--horizons", "1-2", "--min-train", "4",
                "--format", "json", "--quiet", *flag]
        assert main(args) == 0
        board = json.loads(capsys.readouterr().out)["leaderboard"]
        counts[bool(flag)] = {row["model"]: row["n"] for row in board}
    assert counts[True]["auto"] == counts[True]["drift"] == counts[False]["auto"] < counts[False]["drift"]


def test_a_plot_of_a_series_left_out_says_why():
    pytest.importorskip("matplotlib")
    from growthcast import plot

    bt = gc.backtest(_frame({"a": 24, "c": 6}), **ARGS)
    for draw in (plot.origin_forecasts, plot.saturation_drift):
        with pytest.raises(gc.DataError, match=r"series 'c' was left out of the backtest as too short \(6 observed"):
            draw(bt, series="c")


def test_choosing_with_a_backtest_of_other_series_does_not_use_their_scores():
    from growthcast.report import choose_model

    frame = _frame({"a": 24, "b": 22})
    only_b = gc.backtest(frame[frame["series_id"] == "b"], models=["linear", "naive"], horizons=[1, 2],
                         min_train=10, progress=False)
    with pytest.raises(gc.DataError, match="no candidate model could be scored by MASE on 'a'"):
        choose_model(frame, "a", ["linear", "naive"], min_train=10, horizons=[1, 2], backtest=only_b)
