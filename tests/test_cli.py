"""The command line: outputs, exit codes, one-line errors, plots and the report."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import growthcast as gc
from growthcast import report
from growthcast.cli import main

SRC = Path(__file__).resolve().parents[1] / "src"
FAST = ["--models", "logistic,drift", "--horizons", "1-2", "--min-train", "30"]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(err: str, *fragments: str) -> None:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def _png_ok(path) -> None:
    mpimg = pytest.importorskip("matplotlib.image")
    pixels = mpimg.imread(path)
    assert pixels.ndim == 3 and float(pixels[..., :3].std()) > 0


@pytest.fixture(scope="module")
def cnnic() -> pd.DataFrame:
    return gc.load_cnnic()


# ---------------------------------------------------------------- forecast
def test_forecast_default_prints_projection_saturation_and_milestones(capsys, cnnic):
    code, out, err = run(capsys, "forecast")
    assert code == 0 and err == ""
    assert f"{report.default_model()} model, 95% prediction intervals" in out
    assert f"Fitted on {cnnic['penetration_pct'].notna().sum()} CNNIC editions" in out
    assert "\nSaturation level: " in out
    for milestone in ("80.0%", "85.0%", "90.0%"):
        assert f"\n  {milestone}" in out
    # every half-year through the end of 2030, and no further
    assert "2030-12-31  2030H2" in out and "2031-06-30" not in out
    last = cnnic["as_of"].iloc[-1]
    assert f"{last:%Y-%m-%d}  " not in out.split("Projection")[1].split("Saturation")[0]


def test_forecast_curve_gives_the_saturation_level_with_its_interval(capsys):
    code, out, _ = run(capsys, "forecast", "--model", "logistic", "--level", "0.9")
    assert code == 0 and "logistic model, 90% prediction intervals" in out
    line = next(ln for ln in out.splitlines() if ln.startswith("Saturation level:"))
    value, lower, upper = (float(v) for v in line.split(":")[1].split("(")[0].replace("[", " ").replace("]", " ")
                           .replace(",", " ").replace("%", " ").split())
    assert lower < value < upper and line.endswith("(90% interval)")


def test_forecast_says_when_a_curve_wants_a_ceiling_above_100_percent(capsys, cnnic):
    bass = gc.fit("bass", cnnic["as_of"], cnnic["penetration_pct"])
    assert bass.params["m"] > 100.0  # the Bass fit to every edition: the ceiling is not bounded below 100%
    _, out, _ = run(capsys, "forecast", "--model", "bass")
    assert f"Note: the fitted ceiling, {bass.params['m']:.1f}%, is above the 100% a share can reach" in out
    assert "above the 100% a share can reach" in bass.summary()
    logistic = gc.fit("logistic", cnnic["as_of"], cnnic["penetration_pct"])
    assert logistic.params["K"] < 100.0 and "above the 100%" not in logistic.summary()
    fixed = gc.fit(gc.Bass(fixed={"m": 100}), cnnic["as_of"], cnnic["penetration_pct"])
    assert "above the 100%" not in fixed.summary()
    _, out, _ = run(capsys, "forecast", "--model", "logistic")
    assert "Note: the fitted ceiling" not in out


def test_forecast_csv_until_is_the_end_of_that_month(capsys, cnnic):
    code, out, err = run(capsys, "forecast", "--until", "2027-06", "--level", "0.8", "--format", "csv")
    assert code == 0 and err == ""
    frame = pd.read_csv(io.StringIO(out), parse_dates=["date"])
    assert list(frame.columns) == ["series", "model", "date", "t", "mean", "lower", "upper", "level"]
    assert frame["date"].iloc[-1] == pd.Timestamp("2027-06-30")
    assert frame["date"].iloc[0] > cnnic["as_of"].iloc[-1]
    assert set(frame["date"].dt.strftime("%m-%d")) <= {"06-30", "12-31"}
    assert (frame["lower"] <= frame["mean"]).all() and (frame["mean"] <= frame["upper"]).all()
    assert (frame["level"] == 0.8).all()


def test_forecast_json_carries_everything(capsys):
    code, out, _ = run(capsys, "forecast", "--model", "gompertz", "--until", "2029-12", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["model"] == "gompertz" and doc["series"] == "penetration_pct" and doc["level"] == 0.95
    assert doc["forecast"][-1]["date"] == "2029-12-31"
    sat = doc["saturation"]
    assert sat["lower"] < sat["value"] < sat["upper"]
    assert [m["value"] for m in doc["milestones"]] == [80.0, 85.0, 90.0]
    assert {"half_year", "earliest_half_year", "latest_half_year", "status"} <= set(doc["milestones"][0])
    assert doc["fit"]["converged"] is True


def test_forecast_counts_get_round_milestones_above_the_last_value(capsys, cnnic):
    code, out, _ = run(capsys, "forecast", "--series", "netizens_million", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    values = [m["value"] for m in doc["milestones"]]
    last = cnnic["netizens_million"].dropna().iloc[-1]
    assert len(values) == 3 and values[0] > last and np.allclose(np.diff(values), values[1] - values[0])
    code, out, _ = run(capsys, "forecast", "--series", "netizens_million", "--milestones", "1200,1300")
    assert code == 0 and "1,200 million" in out and "1,300 million" in out and "million" in out


def test_forecast_milestone_already_observed(capsys):
    code, out, _ = run(capsys, "forecast", "--milestones", "50,95")
    assert code == 0
    assert "reached " in out and "observed (edition" in out


def test_forecast_model_without_a_ceiling_says_so(capsys):
    code, out, _ = run(capsys, "forecast", "--model", "drift")
    assert code == 0
    assert "Saturation level: none; the drift model has no ceiling." in out


def test_forecast_best_says_which_model_and_why(capsys):
    pytest.importorskip("growthcast.backtest")
    code, out, err = run(capsys, "forecast", "--model", "best", *FAST)
    assert code == 0, err
    line = next(ln for ln in out.splitlines() if ln.startswith("Model chosen by backtest:"))
    winner = line.split(":", 1)[1].split(",")[0].strip()
    assert winner in ("logistic", "drift") and "lowest MASE" in line
    assert out.splitlines()[0].endswith(f"{winner} model, 95% prediction intervals")


def test_forecast_plot_writes_a_fan_chart(capsys, tmp_path):
    out_png = tmp_path / "fan.png"
    code, out, err = run(capsys, "forecast", "--until", "2027-12", "--plot", str(out_png))
    assert code == 0 and "Projection" in out and str(out_png) in err
    _png_ok(out_png)


def test_default_model_is_auto_and_registered():
    assert report.default_model() == "auto"
    assert "auto" in set(gc.available_models()["name"])


@pytest.mark.parametrize(
    "argv, fragments",
    [
        (["forecast", "--model", "nope"], ["--model", "'nope'", "logistic"]),
        (["forecast", "--series", "gdp"], ["--series", "'gdp'", "penetration_pct"]),
        (["forecast", "--level", "95"], ["--level", "(0, 1)"]),
        (["forecast", "--until", "soon"], ["--until", "2030-12"]),
        (["forecast", "--format", "xml"], ["--format", "xml"]),
        (["forecast", "--bogus"], ["unrecognized arguments: --bogus"]),
        (["backtest", "--horizons", "0-3"], ["--horizons", "positive"]),
        (["backtest", "--models", "logistic,nope"], ["--models", "'nope'"]),
        (["backtest", "--min-train", "x"], ["--min-train"]),
        (["report"], ["--out"]),
        ([], ["COMMAND"]),
        (["frobnicate"], ["frobnicate"]),
    ],
)
def test_usage_errors_exit_2_with_one_line(capsys, argv, fragments):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert_one_line_error(err, "error", *fragments)


def test_until_before_the_data_is_a_data_error(capsys):
    code, out, err = run(capsys, "forecast", "--until", "2010-12")
    assert code == 1 and out == ""
    assert_one_line_error(err, "growthcast forecast: error:", "until must be after the last observation")


def test_help_and_version_exit_0(capsys):
    code, out, _ = run(capsys, "forecast", "--help")
    assert code == 0 and "--milestones" in out and "best" in out
    code, out, _ = run(capsys, "--version")
    assert code == 0 and gc.__version__ in out


def test_models_lists_every_name(capsys):
    code, out, _ = run(capsys, "models")
    assert code == 0
    assert all(name in out for name in gc.available_models()["name"])


# ---------------------------------------------------------------- data
def test_data_prints_the_bundled_editions(capsys, cnnic):
    code, out, _ = run(capsys, "data")
    assert code == 0 and f"CNNIC report editions ({len(cnnic)})" in out
    assert "penetration_pct" in out and f"{cnnic['as_of'].iloc[-1]:%Y-%m-%d}" in out
    code, out, _ = run(capsys, "data", "--format", "csv")
    back = pd.read_csv(io.StringIO(out))
    assert len(back) == len(cnnic) and list(back.columns) == list(cnnic.columns)
    code, out, _ = run(capsys, "data", "--format", "json")
    assert len(json.loads(out)) == len(cnnic)


def test_data_validate_accepts_a_good_file(capsys, tmp_path):
    path = tmp_path / "mine.csv"
    pd.DataFrame({"month": ["2020-06-30", "2020-12-31", "2021-06-30", "2021-12-31"],
                  "users": [10.0, 12.5, None, 16.0]}).to_csv(path, index=False)
    code, out, err = run(capsys, "data", "--validate", str(path), "--date", "month", "--value", "users")
    assert code == 0 and err == ""
    assert "valid, 1 series, 3 points" in out and "2021-12-31" in out


def test_data_validate_long_file(capsys, tmp_path):
    path = tmp_path / "long.csv"
    pd.DataFrame({"id": ["a", "a", "b", "b"], "date": ["2020-06-30", "2020-12-31"] * 2,
                  "value": [1.0, 2.0, 3.0, 4.0]}).to_csv(path, index=False)
    code, out, _ = run(capsys, "data", "--validate", str(path), "--series-id", "id", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["valid"] is True and [s["series_id"] for s in doc["series"]] == ["a", "b"]


@pytest.mark.parametrize(
    "frame, args, fragments",
    [
        (pd.DataFrame({"date": ["2020-06-30", "2020-12-31"], "value": [1.0, -2.0]}), [], ["negative", "value"]),
        (pd.DataFrame({"date": ["2020-06-30", "not a date"], "value": [1.0, 2.0]}), [], ["could not parse", "date"]),
        (pd.DataFrame({"when": ["2020-06-30"], "value": [1.0]}), [], ["missing column", "date"]),
        (pd.DataFrame({"date": ["2020-06-30", "2020-06-30"], "value": [1.0, 2.0]}), [], ["duplicate"]),
    ],
)
def test_data_validate_rejects_a_bad_file_with_exit_1(capsys, tmp_path, frame, args, fragments):
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    code, out, err = run(capsys, "data", "--validate", str(path), *args)
    assert code == 1 and out == ""
    assert_one_line_error(err, "growthcast data: error:", *fragments)


def test_data_validate_missing_file(capsys, tmp_path):
    code, _, err = run(capsys, "data", "--validate", str(tmp_path / "absent.csv"))
    assert code == 1
    assert_one_line_error(err, "no such file", "absent.csv")


# ---------------------------------------------------------------- backtest
@pytest.fixture()
def needs_backtest():
    pytest.importorskip("growthcast.backtest")


def test_backtest_prints_leaderboard_and_horizon_table(capsys, needs_backtest):
    code, out, err = run(capsys, "backtest", *FAST)
    assert code == 0 and err == ""
    board, horizons = out.split("Leaderboard")[1].split("Scores by horizon")
    assert "logistic" in board and "drift" in board and "MASE" in board
    assert "logistic" in horizons and "drift" in horizons


def test_backtest_csv_and_json(capsys, needs_backtest):
    code, out, _ = run(capsys, "backtest", *FAST, "--format", "csv")
    assert code == 0
    scores = pd.read_csv(io.StringIO(out))
    assert {"model", "horizon", "MASE"} <= set(scores.columns)
    assert set(scores["model"]) == {"logistic", "drift"} and set(scores["horizon"]) == {1, 2}
    code, out, _ = run(capsys, "backtest", *FAST, "--format", "json")
    doc = json.loads(out)
    assert {row["model"] for row in doc["leaderboard"]} == {"logistic", "drift"}
    assert doc["horizons"] == [1, 2]


@pytest.mark.parametrize("kind", ["errors", "origins", "saturation"])
def test_backtest_plot(capsys, tmp_path, needs_backtest, kind):
    out_png = tmp_path / f"{kind}.png"
    code, _, err = run(capsys, "backtest", *FAST, "--plot", str(out_png), "--plot-kind", kind)
    assert code == 0, err
    _png_ok(out_png)


# ---------------------------------------------------------------- report
def test_report_writes_html_with_every_model_and_figures(capsys, tmp_path, needs_backtest, cnnic):
    out_dir = tmp_path / "rep"
    code, out, err = run(capsys, "report", "--out", str(out_dir), *FAST)
    assert code == 0, err
    page = (out_dir / "report.html").read_text(encoding="utf-8")
    assert str(out_dir / "report.html") in out
    leaderboard = page.split("Backtest leaderboard")[1].split("<h2>")[0]
    for model in ("logistic", "drift"):
        assert f"<td>{model}</td>" in leaderboard
    for heading in ("Milestones", "Saturation level", "Fan chart", "Fitted curves", "Data"):
        assert f"<h2>{heading}" in page
    assert page.count('src="data:image/png;base64,') == 5
    assert f"<td>{cnnic['as_of'].iloc[-1]:%Y-%m-%d}</td>" in page  # the data table
    for name in ("fan_chart", "fitted_curves", "backtest_errors", "origin_forecasts", "saturation_drift"):
        _png_ok(out_dir / f"{name}.png")


def test_report_into_a_file_path_is_a_clean_error(capsys, tmp_path, needs_backtest):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = run(capsys, "report", "--out", str(blocker / "sub"), *FAST)
    assert code == 1
    assert_one_line_error(err, "growthcast report: error:")


def test_missing_matplotlib_is_one_line_naming_the_extra(capsys, tmp_path, monkeypatch):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    code, _, err = run(capsys, "forecast", "--plot", str(tmp_path / "fan.png"))
    assert code == 1
    assert_one_line_error(err, 'pip install "growthcast[plot]"')


# ---------------------------------------------------------------- python -m growthcast
def _subprocess(*argv):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
           "PYTHONWARNINGS": "error"}
    return subprocess.run([sys.executable, "-m", "growthcast", *argv], capture_output=True, text=True, env=env,
                          timeout=120)


def test_python_dash_m_runs_the_forecast():
    proc = _subprocess("forecast", "--format", "json", "--until", "2026-12")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert json.loads(proc.stdout)["forecast"][-1]["date"] == "2026-12-31"


def test_python_dash_m_usage_error_has_no_traceback():
    proc = _subprocess("forecast", "--model", "nope")
    assert proc.returncode == 2 and proc.stdout == ""
    assert_one_line_error(proc.stderr, "growthcast forecast: error:", "'nope'")


# ---------------------------------------------------------------- a user's own file
def _user_csv(tmp_path):
    t = np.arange(2000, 2020)
    rows = [{"series_id": sid, "date": int(y), "value": float(v)}
            for sid, K in (("Alpha", 40.0), ("Beta", 90.0))
            for y, v in zip(t, K / (1 + np.exp(-0.4 * (t - 2010))))]
    path = tmp_path / "mine.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_forecast_and_backtest_take_a_users_file(capsys, tmp_path):
    path = _user_csv(tmp_path)
    assert main(["forecast", "--csv", str(path), "--model", "linear", "--format", "csv"]) == 0
    out = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert set(out["series_id"]) == {"Alpha", "Beta"}
    assert "date" not in out.columns  # numeric years: yearly steps, a t column
    np.testing.assert_array_equal(out.loc[out["series_id"] == "Alpha", "t"].to_numpy()[:3], [2020.0, 2021.0, 2022.0])
    assert main(["forecast", "--csv", str(path), "--series", "Beta", "--model", "linear", "--until", "2022"]) == 0
    text = capsys.readouterr().out
    assert "1 series" in text and "2022" in text and "2023" not in text
    assert main(["backtest", "--csv", str(path), "--models", "drift,linear", "--horizons", "1-2"]) == 0
    text = capsys.readouterr().out
    assert "steps ahead" in text and "Alpha" in text and "Beta" in text


def test_series_of_a_users_file_are_chosen_by_a_comma_list_or_an_id_that_holds_a_comma(capsys, tmp_path):
    path = _user_csv(tmp_path)
    frame = pd.read_csv(path)
    frame.loc[frame["series_id"] == "Beta", "series_id"] = "Korea, Rep."
    pd.concat([frame, frame[frame["series_id"] == "Alpha"].assign(series_id="Gamma")]).to_csv(path, index=False)
    assert main(["forecast", "--csv", str(path), "--series", "Alpha,Korea, Rep.", "--format", "csv"]) == 2
    assert "'Korea'" in capsys.readouterr().err  # split on commas when the whole is not an id
    assert main(["forecast", "--csv", str(path), "--series", "Korea, Rep.", "--model", "linear", "--format",
                 "csv"]) == 0
    assert set(pd.read_csv(io.StringIO(capsys.readouterr().out))["series_id"]) == {"Korea, Rep."}
    assert main(["forecast", "--csv", str(path), "--series", "Alpha, Gamma", "--model", "linear", "--format",
                 "csv"]) == 0
    assert set(pd.read_csv(io.StringIO(capsys.readouterr().out))["series_id"]) == {"Alpha", "Gamma"}


def test_a_users_file_with_an_unknown_series_or_best_is_a_usage_error(capsys, tmp_path):
    path = _user_csv(tmp_path)
    assert main(["forecast", "--csv", str(path), "--series", "Gamma"]) == 2
    assert "no series 'Gamma'" in capsys.readouterr().err
    assert main(["forecast", "--csv", str(path), "--model", "best"]) == 2
    assert "--model best" in capsys.readouterr().err


def test_a_series_that_cannot_be_fitted_is_listed_with_its_reason_not_as_blank_rows(capsys, tmp_path):
    path = _user_csv(tmp_path)
    frame = pd.read_csv(path)
    frame.loc[(frame["series_id"] == "Alpha") & (frame["date"] == 2005), "value"] = 0.0  # a zero after launch
    frame.to_csv(path, index=False)
    assert main(["forecast", "--csv", str(path), "--model", "saturating", "--until", "2022"]) == 0
    text = capsys.readouterr().out
    table, reasons = text.split("Not forecast:")
    rows = [line for line in table.splitlines() if line[:4] in ("2020", "2021", "2022")]
    assert len(rows) == 3 and "Alpha" not in table and "nan" not in table.lower()  # Beta's rows only
    assert "Alpha: failed: saturating needs positive values" in reasons
    assert main(["forecast", "--csv", str(path), "--series", "Alpha", "--model", "saturating"]) == 1
    assert "no series could be forecast" in capsys.readouterr().out


# ---------------------------------------------------------------- several levels, origins by date, steps in the data's unit
def test_forecast_takes_several_levels_as_a_list_or_repeated(capsys, cnnic):
    code, out, _ = run(capsys, "forecast", "--until", "2027-06", "--level", "0.8,0.95")
    assert code == 0 and "80% and 95% prediction intervals" in out
    assert "lower_80   upper_80   lower_95   upper_95" in out
    code, csv_out, _ = run(capsys, "forecast", "--until", "2027-06", "--level", "0.95", "--level", "0.8",
                           "--format", "csv")
    frame = pd.read_csv(io.StringIO(csv_out), parse_dates=["date"])
    assert list(frame.columns) == ["series", "model", "date", "t", "mean", "lower_80", "upper_80", "lower_95",
                                   "upper_95"]
    res = gc.fit("auto", cnnic["as_of"], cnnic["penetration_pct"])
    ref = res.predict(frame["date"], level=[0.8, 0.95])  # the API's own bounds, level by level
    for col in ("lower_80", "upper_80", "lower_95", "upper_95"):
        np.testing.assert_allclose(frame[col], np.clip(ref[col], 0, 100), rtol=1e-9)
    assert (frame["lower_95"] <= frame["lower_80"]).all() and (frame["upper_80"] <= frame["upper_95"]).all()
    code, js, _ = run(capsys, "forecast", "--until", "2027-06", "--level", "0.8,0.95", "--format", "json")
    doc = json.loads(js)
    assert doc["levels"] == [0.8, 0.95] and {"lower_80", "upper_95"} <= set(doc["forecast"][0])


def test_forecast_of_a_users_file_with_several_levels(capsys, tmp_path):
    path = _user_csv(tmp_path)
    assert main(["forecast", "--csv", str(path), "--model", "linear", "--level", "0.5,0.9", "--format", "csv"]) == 0
    out = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert {"lower_50", "upper_50", "lower_90", "upper_90"} <= set(out.columns)
    assert (out["upper_90"] - out["lower_90"] > out["upper_50"] - out["lower_50"]).all()


def test_backtest_with_several_levels_and_origins_by_year(capsys, tmp_path):
    path = _user_csv(tmp_path)
    args = ["backtest", "--csv", str(path), "--models", "drift", "--horizons", "1-3", "--origins", "2011:2014"]
    code, out, err = run(capsys, *args, "--level", "0.8,0.95", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["unit"] == "yearly steps" and doc["origins"] == ["2011", "2014"]
    assert sorted({row["level"] for row in doc["scores"]}) == [0.8, 0.95]
    assert sorted({row["level"] for row in doc["leaderboard"]}) == [0.8, 0.95]
    ref = gc.backtest(pd.read_csv(path), models=["drift"], horizons=range(1, 4), origins=("2011", "2014"),
                      level=[0.8, 0.95])
    assert set(ref.forecasts["origin_t"]) == {2011.0, 2012.0, 2013.0, 2014.0}
    got = pd.DataFrame(doc["scores"]).sort_values(["series_id", "level", "horizon"])
    want = ref.scores().sort_values(["series_id", "level", "horizon"])
    np.testing.assert_allclose(got["coverage"], want["coverage"])
    code, text, _ = run(capsys, *args)
    assert "horizons 1-3 yearly steps ahead" in text and "up to 2014" in text and "editions" not in text


@pytest.mark.parametrize("value", ["2017", "2008-2017", "a:b"])
def test_origins_option_is_checked(capsys, value):
    code, _, err = run(capsys, "backtest", "--origins", value)
    assert code == 2
    assert_one_line_error(err, "--origins")


# ---------------------------------------------------------------- --percent
@pytest.fixture()
def shares_csv(tmp_path):
    """Three yearly shares in percent (one with zeros before its launch, one with an integer id), no _pct name."""
    t = np.arange(1995, 2016)
    rows = []
    for sid, rate, lead in (("fr", 0.4, 2), ("de", 0.35, 0), (101, 0.5, 1)):
        y = np.round(90.0 / (1.0 + np.exp(-rate * (t - 2005))), 2)
        y[:lead] = 0.0
        rows += [{"country": sid, "year": int(a), "share": float(b)} for a, b in zip(t, y)]
    path = tmp_path / "shares.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def _flags(capsys, path, *extra):
    code, out, err = run(capsys, "data", "--validate", str(path), "--date", "year", "--value", "share",
                         "--series-id", "country", "--format", "json", *extra)
    assert code == 0 and err == ""
    return {s["series_id"]: s["percent"] for s in json.loads(out)["series"]}


def test_percent_marks_all_or_the_named_series_of_a_file(capsys, shares_csv):
    assert _flags(capsys, shares_csv) == {"fr": False, "de": False, "101": False}
    assert _flags(capsys, shares_csv, "--percent") == {"fr": True, "de": True, "101": True}
    assert _flags(capsys, shares_csv, "--percent", "fr,101") == {"fr": True, "de": False, "101": True}


def test_forecast_of_a_file_marked_percent_stays_within_100(capsys, shares_csv):
    base = ["forecast", "--csv", str(shares_csv), "--date", "year", "--value", "share", "--id", "country",
            "--model", "drift", "--until", "2030", "--format", "csv", "-q"]
    code, out, _ = run(capsys, *base)
    plain = pd.read_csv(io.StringIO(out))
    assert code == 0 and plain["mean"].max() > 100  # a drift of about 1 a year from 90 passes 100 by 2030
    code, out, _ = run(capsys, *base, "--percent")
    pct = pd.read_csv(io.StringIO(out))
    assert code == 0 and pct["mean"].max() <= 100 and pct["upper"].max() <= 100


def test_percent_errors_are_one_line(capsys, shares_csv, tmp_path):
    code, _, err = run(capsys, "forecast", "--csv", str(shares_csv), "--date", "year", "--value", "share",
                       "--id", "country", "--percent", "uk")
    assert code == 2
    assert_one_line_error(err, "--percent: no series 'uk'", "fr, de, 101")
    code, _, err = run(capsys, "forecast", "--percent")
    assert code == 2
    assert_one_line_error(err, "--percent applies to your own file")
    above = tmp_path / "above.csv"
    pd.DataFrame({"date": [2000, 2001, 2002], "value": [50.0, 101.0, 99.0]}).to_csv(above, index=False)
    code, out, err = run(capsys, "data", "--validate", str(above), "--percent")
    assert code == 1 and out == ""
    assert_one_line_error(err, "percentages must lie in [0, 100]", "101.0", "rows [1]")
