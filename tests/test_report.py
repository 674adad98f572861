"""The projection and the HTML report on a user's own data: no CNNIC editions, half-years or percentages assumed."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pandas as pd
import pytest

import growthcast as gc
from growthcast import report
from growthcast.cli import main

pytest.importorskip("matplotlib")

COUNTRIES = ["Chile", "France", "Kenya"]
FAST = ["--models", "linear,drift", "--horizons", "1-2", "--min-train", "12"]


@pytest.fixture(scope="module")
def broadband() -> pd.DataFrame:
    """Three countries' yearly fixed-broadband subscriptions per 100 people (numeric years)."""
    panel = gc.load_panel("fixed_broadband")
    return panel[panel["series_id"].isin(COUNTRIES)].reset_index(drop=True)


@pytest.fixture(scope="module")
def long3_csv(broadband, tmp_path_factory):
    """The three series as a user's long CSV with their own column names."""
    path = tmp_path_factory.mktemp("data") / "long3.csv"
    broadband.rename(columns={"series_id": "country"})[["country", "year", "value"]].to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def france_csv(broadband, tmp_path_factory):
    """One yearly series in a two-column file: ``year,broadband_per_100``."""
    path = tmp_path_factory.mktemp("data") / "france.csv"
    france = broadband[broadband["series_id"] == "France"]
    france[["year", "value"]].rename(columns={"value": "broadband_per_100"}).to_csv(path, index=False)
    return path


def run(capsys, *argv):
    code = main(list(map(str, argv)))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _text(page: str) -> str:
    """The words of an HTML page, without its style sheet, images and tags."""
    page = re.sub(r"<style>.*?</style>", " ", page, flags=re.S)
    page = re.sub(r"<img[^>]*>", " ", page)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


# ---------------------------------------------------------------- period labels
@pytest.mark.parametrize(("when", "months", "label"), [
    (pd.Timestamp("2027-08-15"), 12, "2027"),
    (pd.Timestamp("2027-08-15"), 6, "2027H2"),
    (pd.Timestamp("2027-08-15"), 3, "2027Q3"),
    (pd.Timestamp("2027-08-15"), 1, "2027-08"),
    (pd.Timestamp("2027-08-15"), 0, "2027-08-15"),
    (2026.4, 12, "2027"),  # numeric years: reached by the observation of 2027
    (2019.0, 12, "2019"),
    (2026.25, 0, "2026.25"),
    (float("nan"), 12, "never"),
    (pd.NaT, 6, "never"),
])
def test_period_label(when, months, label):
    assert report.period_label(when, months) == label


# ---------------------------------------------------------------- project() on a long frame
def test_project_a_yearly_numeric_year_series(broadband):
    france = broadband[broadband["series_id"] == "France"]
    proj = report.project(france, model="linear", steps=5, level=0.9, milestone_values=[60.0, 70.0, 50.0],
                          date="year")
    assert proj.series == "France" and proj.result.frequency == "yearly" and not proj.percent
    # numeric years stay years: no date column, no NaT, one step a year
    assert "date" not in proj.forecast.columns
    np.testing.assert_allclose(proj.forecast["t"], [2020.0, 2021.0, 2022.0, 2023.0, 2024.0])
    # the milestone year from the least-squares line, computed here with numpy
    slope, intercept = np.polyfit(france["year"].to_numpy(float), france["value"].to_numpy(float), 1)
    for value, row in zip((60.0, 70.0), proj.milestones.itertuples()):
        crossing = (value - intercept) / slope
        assert crossing > 2020.0 and row.status == "projected"
        assert row.t == pytest.approx(crossing, abs=1e-6)
        assert row.period == str(math.ceil(crossing))
        assert int(row.earliest_period) <= int(row.period) <= int(row.latest_period)
    # the line passes 50 before the last observation (45.7 in 2019), which has not: dated at the next step
    assert (50.0 - intercept) / slope < 2019.0
    last = proj.milestones.iloc[2]
    assert last["status"] == "projected" and last["t"] == 2020.0 and last["period"] == "2020"
    assert "half_year" not in proj.milestones.columns and "date" not in proj.milestones.columns


def test_the_text_speaks_of_the_datas_own_steps_and_units(broadband):
    france = broadband[broadband["series_id"] == "France"]
    text = report.format_projection(report.project(france, model="linear", steps=3, date="year"))
    assert "Fitted on 22 yearly observations, 1998 .. 2019 (last: 45.7)." in text
    assert "  t           year" in text and "\n  2020        2020 " in text
    assert "Milestones (year in which" in text
    for word in ("CNNIC", "edition", "half-year", "%"):
        assert word not in text.replace("95% prediction", "").replace("95% bounds", "")


def test_a_percentage_is_one_by_its_flag_not_by_cnnic(broadband):
    france = broadband[broadband["series_id"] == "France"][["year", "value"]].rename(columns={"value": "share_pct"})
    proj = report.project(france, model="linear", steps=2, date="year", value="share_pct")
    assert proj.series == "share_pct" and proj.percent
    text = report.format_projection(proj)
    assert "(last: 45.7%)" in text and "Milestones" in text
    assert [m for m in proj.milestones["value"]] == [80.0, 85.0, 90.0]


def test_project_needs_one_series_named_in_a_frame_of_several(broadband):
    with pytest.raises(gc.DataError, match=r"3 series .*series="):
        report.project(broadband, model="linear", date="year")
    with pytest.raises(gc.DataError, match=r"no series \['Atlantis'\]"):
        report.project(broadband, "Atlantis", model="linear", date="year")


def test_project_json_of_numeric_years(broadband):
    proj = report.project(broadband, "Kenya", model="linear", steps=2, date="year")
    doc = proj.to_dict()
    json.dumps(doc, allow_nan=False)
    assert doc["data"]["frequency"] == "yearly" and doc["data"]["first"] == "2005" and "editions" not in doc["data"]
    assert [f["date"] for f in doc["forecast"]] == [None, None]
    assert [f["period"] for f in doc["forecast"]] == ["2020", "2021"]


def test_the_cnnic_projection_keeps_its_editions_and_half_years():
    proj = report.project(gc.load_cnnic(), "penetration_pct", "linear", until="2027-12-31")
    assert proj.source == "CNNIC editions"
    assert {"half_year", "earliest_half_year", "latest_half_year", "edition"} <= set(proj.milestones.columns)
    assert set(proj.forecast["date"].dt.strftime("%m-%d")) <= {"06-30", "12-31"}
    assert "\n  2027-12-31  2027H2" in report.format_projection(proj)


# ---------------------------------------------------------------- the report
def test_report_of_one_yearly_series_from_a_csv(capsys, tmp_path, france_csv):
    out = tmp_path / "rep"
    code, stdout, err = run(capsys, "report", "--out", out, "--csv", france_csv, "--date", "year",
                            "--value", "broadband_per_100", "--model", "linear", *FAST)
    assert code == 0, err
    assert str(out / "report.html") in stdout
    page = (out / "report.html").read_text(encoding="utf-8")
    words = _text(page)
    assert "broadband_per_100: projection" in words and "22 yearly observations, 1998 .. 2019" in words
    for heading in ("Milestones", "Saturation level", "Fan chart", "Fitted curves", "Backtest leaderboard",
                    "Forecasts from each origin", "Saturation drift", "Data"):
        assert f"<h2>{heading}" in page
    assert "The year in which the projection reaches each level" in words
    for word in ("CNNIC", "edition", "half-year", "H1", "H2"):
        assert word not in words, word
    # the projection counts in years from the last one, and the data are shown exactly
    assert "<td>2020</td><td>2020</td>" in page and "NaT" not in words
    last_value = france_csv.read_text().splitlines()[-1].split(",")[1]  # as written in the file
    assert f'<td class="n">{last_value}</td>' in page
    assert page.count('src="data:image/png;base64,') == 5
    for name in ("fan_chart", "fitted_curves", "backtest_errors", "origin_forecasts", "saturation_drift"):
        assert (out / f"{name}.png").stat().st_size > 1000


def test_report_of_three_series_from_a_long_csv(capsys, tmp_path, long3_csv):
    out = tmp_path / "rep3"
    code, _, err = run(capsys, "report", "--out", out, "--csv", long3_csv, "--date", "year", "--id", "country",
                       "--model", "linear", *FAST)
    assert code == 0, err
    page = (out / "report.html").read_text(encoding="utf-8")
    words = _text(page)
    assert "Projections of 3 series" in words
    assert [h for h in re.findall(r"<h2>([^<]+)</h2>", page) if h in COUNTRIES] == COUNTRIES
    for word in ("CNNIC", "edition", "half-year"):
        assert word not in words, word
    leaderboard = page.split("Backtest leaderboard")[1].split("<h2>Chile")[0]
    for country in COUNTRIES:
        assert f"<td>{country}</td>" in leaderboard  # scored series by series
    # one backtest figure for all (one panel per series), four figures per series
    assert page.count('src="data:image/png;base64,') == 1 + 4 * 3
    for k, country in enumerate(COUNTRIES, start=1):
        for name in ("fan_chart", "fitted_curves", "origin_forecasts", "saturation_drift"):
            assert (out / f"{k:02d}_{country}_{name}.png").exists()
    assert (out / "backtest_errors.png").exists()


def test_report_of_one_series_of_a_long_csv(capsys, tmp_path, long3_csv):
    out = tmp_path / "kenya"
    code, _, err = run(capsys, "report", "--out", out, "--csv", long3_csv, "--date", "year", "--id", "country",
                       "--series", "Kenya", "--model", "drift", "--models", "drift,linear", "--horizons", "1",
                       "--min-train", "8")
    assert code == 0, err
    words = _text((out / "report.html").read_text(encoding="utf-8"))
    assert "Kenya: projection" in words and "15 yearly observations, 2005 .. 2019" in words
    assert (out / "fan_chart.png").exists()


def test_report_best_model_per_series(tmp_path, broadband):
    path = report.write_report(tmp_path, broadband, ["France", "Chile"], "best", models=["linear", "drift"],
                               steps=3, horizons=[1, 2], min_train=12, date="year")
    page = path.read_text(encoding="utf-8")
    board = gc.backtest(broadband, series=["France", "Chile"], models=["linear", "drift"], horizons=[1, 2],
                        min_train=12, date="year").leaderboard()
    for country in ("France", "Chile"):
        best = board[board["series_id"] == country].sort_values("MASE").iloc[0]["model"]
        assert f"{country}: Model chosen by backtest: <b>{best}</b>," in page


def test_report_of_series_too_short_to_backtest_still_shows_the_rest(tmp_path, broadband):
    kenya = broadband[broadband["series_id"] == "Kenya"]
    path = report.write_report(tmp_path, kenya, model="linear", models=["linear"], steps=2, min_train=30,
                               date="year")
    page = path.read_text(encoding="utf-8")
    assert "No backtest:" in page and "min_train=30" in page
    assert page.count('src="data:image/png;base64,') == 2  # the fan chart and the fitted curves
    with pytest.raises(gc.DataError, match="min_train"):
        report.write_report(tmp_path / "best", kenya, model="best", models=["linear", "drift"], min_train=30,
                            date="year")


def test_report_caps_the_number_of_series(tmp_path):
    panel = gc.load_panel("mobile_cellular")
    with pytest.raises(gc.DataError, match=r"at most 12 series.*choose some with series="):
        report.write_report(tmp_path, panel, model="linear", date="year")
    assert not (tmp_path / "report.html").exists()


def test_report_without_matplotlib_names_the_extra(tmp_path, broadband, monkeypatch):
    import sys

    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r'pip install "growthcast\[plot\]"'):
        report.write_report(tmp_path, broadband, "France", "linear", date="year")


def test_project_a_quarterly_dated_series_counts_in_quarters():
    dates = pd.date_range("2015-03-31", periods=24, freq="QE")
    k = np.arange(24)
    frame = pd.DataFrame({"date": dates, "value": 10.0 + 1.5 * k + 0.2 * np.sin(k)})
    proj = report.project(frame, model="linear", steps=4, milestone_values=[60.0])
    assert proj.result.frequency == "quarterly" and proj.source == "quarterly observations"
    assert list(proj.forecast["date"].dt.strftime("%Y-%m-%d")) == ["2021-03-31", "2021-06-30", "2021-09-30",
                                                                   "2021-12-31"]
    slope, intercept = np.polyfit(proj.result.t, proj.result.y, 1)
    crossing = gc.data.from_decimal_year([(60.0 - intercept) / slope])[0]
    row = proj.milestones.iloc[0]
    assert row["period"] == f"{crossing.year}Q{(crossing.month - 1) // 3 + 1}"
    text = report.format_projection(proj)
    assert "Fitted on 24 quarterly observations, 2015-03-31 .. 2020-12-31" in text
    assert "\n  2021-03-31  2021Q1" in text and "Milestones (quarter in which" in text


def test_a_users_value_column_labels_the_value_axis_and_the_series_names_the_figure(tmp_path, broadband, monkeypatch):
    from growthcast import plot

    seen = []
    real = plot.fan_chart

    def spy(*args, **kwargs):
        seen.append((kwargs["ylabel"], kwargs["title"]))
        return real(*args, **kwargs)

    monkeypatch.setattr(plot, "fan_chart", spy)
    frame = broadband.rename(columns={"value": "subscriptions_per_100"})
    report.write_report(tmp_path, frame, ["France", "Chile"], "linear", models=["linear"], steps=2, horizons=[1],
                        min_train=12, date="year", value="subscriptions_per_100")
    assert seen == [("subscriptions_per_100", "France: linear forecast"), ("subscriptions_per_100",
                                                                          "Chile: linear forecast")]
