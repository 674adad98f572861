"""Regression tests for the loader, CLI and file-writing defects of the second reliability pass.

Each test names its defect in ``../shared/audits/reliability.md`` (issue 13).
Expected values come from pandas or numpy called directly, or from hand
computation, never from the code under test.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import growthcast as gc
from growthcast import data as gcdata
from growthcast.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str, *fragments: str) -> str:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def decimal_year(day: str) -> float:
    """Decimal year by hand: whole days elapsed since 1 January over the days in the year."""
    ts = pd.Timestamp(day)
    days_in_year = 366 if (ts.year % 4 == 0 and (ts.year % 100 != 0 or ts.year % 400 == 0)) else 365
    return ts.year + (ts.day_of_year - 1) / days_in_year


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- 2: ambiguous date strings
def test_2_a_day_first_column_is_read_day_first_throughout():
    dates = ["01/06/2020", "30/06/2020", "01/12/2020", "31/12/2020"]
    res = gc.fit("linear", dates, [1.0, 2.0, 3.0, 4.0])
    expected = [decimal_year(d) for d in pd.to_datetime(dates, format="%d/%m/%Y")]
    np.testing.assert_allclose(res.t, expected, rtol=0, atol=1e-12)
    assert list(res.y) == [1.0, 2.0, 3.0, 4.0]  # values stay with their dates


def test_2_a_month_first_column_is_read_month_first_throughout():
    dates = ["06/01/2020", "06/30/2020", "12/01/2020"]
    t = gc.from_frame(pd.DataFrame({"date": dates, "value": [1.0, 2.0, 3.0]}))["t"]
    expected = [decimal_year(d) for d in pd.to_datetime(dates, format="%m/%d/%Y")]
    np.testing.assert_allclose(t, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    ("dates", "pattern"),
    [
        (["01/06/2020", "02/06/2020", "03/06/2020"], r"day-first or month-first \(rows \[0, 1, 2\]\)"),
        (["30/06/2020", "06/30/2021", "01/01/2022"], r"mix day-first .*rows \[0\].*month-first.*rows \[1\]"),
        (["20-06-30", "20-12-31", "21-06-30"], r"two-digit years are ambiguous at rows \[0, 1, 2\]"),
        (["2020-06-30", "30/06/20"], r"two-digit years .*rows \[1\]"),
    ],
)
def test_2_ambiguous_date_columns_are_a_data_error_naming_rows(dates, pattern):
    frame = pd.DataFrame({"date": dates, "value": np.arange(1.0, len(dates) + 1)})
    with pytest.raises(gc.DataError, match=pattern):
        gc.from_frame(frame)


def test_2_iso_and_worded_dates_still_mix_freely():
    dates = ["2020-06-30", "2020/12/31", "30 June 2021"]
    t = gc.from_frame(pd.DataFrame({"date": dates, "value": [1.0, 2.0, 3.0]}))["t"]
    expected = [decimal_year("2020-06-30"), decimal_year("2020-12-31"), decimal_year("2021-06-30")]
    np.testing.assert_allclose(t, expected, rtol=0, atol=1e-12)


def test_2_data_validate_reports_an_ambiguous_file(capsys, tmp_path):
    path = write(tmp_path, "d.csv", "date,value\n01/06/2020,10\n02/06/2020,20\n03/06/2020,30\n")
    code, out, err = run(capsys, "data", "--validate", str(path))
    assert code == 1 and out == ""
    one_line(err, "growthcast data: error:", "day-first or month-first")


# ---------------------------------------------------------------- 4: validation through attrs
def _validated(values, t=None):
    t = 2000 + 0.5 * np.arange(len(values)) if t is None else t
    return gc.from_frame(pd.DataFrame({"date": t, "value": np.asarray(values, dtype=float)}))


def test_4_two_validated_frames_concatenated_are_checked_for_duplicate_dates():
    a, b = _validated(np.arange(1.0, 11)), _validated(np.arange(100.0, 110))
    with pytest.raises(gc.DataError, match="duplicate dates within a series"):
        gc.fit_many("linear", pd.concat([a, b]))


@pytest.mark.parametrize(("bad", "message"), [(np.inf, "infinite values in rows \\[9\\]"),
                                              (-1.0, "negative values in rows \\[9\\]")])
def test_4_a_validated_frame_edited_afterwards_is_checked_again(bad, message):
    a = _validated(np.arange(1.0, 11))
    edited = a.assign(value=np.r_[a["value"].to_numpy()[:-1], bad])
    with pytest.raises(gc.DataError, match=message):
        gc.fit_many("linear", edited)
    with pytest.raises(gc.DataError, match=message):
        gc.backtest(edited, models=["naive"], min_train=5, horizons=[1])


def test_4_a_nan_put_in_later_is_dropped_and_counted_not_forecast():
    a = _validated(np.arange(1.0, 11))
    edited = a.assign(value=np.r_[a["value"].to_numpy()[:-1], np.nan])
    many = gc.fit_many("naive", edited)
    fc = many.forecast(steps=2)
    assert fc["mean"].tolist() == [9.0, 9.0]  # the last observed value, by hand
    assert many["value"].n_missing == 1


def test_4_a_percentage_edited_above_100_is_caught():
    a = gc.from_frame(pd.DataFrame({"date": 2000 + 0.5 * np.arange(5), "value": [10.0, 20, 30, 40, 50]}),
                      percent=True)
    edited = a.assign(value=[10.0, 20, 30, 40, 150])
    with pytest.raises(gc.DataError, match=r"percentages must lie in \[0, 100\]"):
        gc.fit_many("linear", edited)


def test_4_dates_and_times_that_disagree_are_caught():
    a = gc.from_frame(pd.DataFrame({"date": ["2020-06-30", "2020-12-31", "2021-06-30"], "value": [1.0, 2, 3]}))
    with pytest.raises(gc.DataError, match=r"'date' and 't' disagree in rows \[2\]"):
        gc.fit_many("linear", a.assign(t=[a["t"][0], a["t"][1], 1990.0]))


def test_4_an_unchanged_validated_frame_fits_as_before():
    frame = pd.DataFrame({"series_id": ["a"] * 4 + ["b"] * 4, "date": np.tile(2000.0 + np.arange(4), 2),
                          "value": [1.0, 3, 5, 7, 2, 2, 2, 2]})
    direct = gc.fit_many("linear", frame)
    revalidated = gc.fit_many("linear", gc.from_frame(frame, series_id="series_id"))
    pd.testing.assert_frame_equal(direct.params, revalidated.params)
    # y = 1 + 2 (t - 2000): slope 2, and 4 at the mean time 2001.5 (the intercept is centred)
    np.testing.assert_allclose(direct.params.loc["a"].to_numpy(), [4.0, 2.0], rtol=1e-12)


# ---------------------------------------------------------------- 7 and 8: series ids
@pytest.mark.parametrize("blank", [np.nan, None, pd.NA, "", "  "])
def test_7_missing_or_blank_series_ids_are_a_data_error_naming_rows(blank):
    frame = pd.DataFrame({"series_id": pd.Series(["a"] * 3 + [blank] * 3, dtype=object),
                          "date": np.tile(2000.0 + np.arange(3), 2), "value": np.arange(1.0, 7)})
    with pytest.raises(gc.DataError, match=r"column 'series_id': missing or blank series ids at rows \[3, 4, 5\]"):
        gc.fit_many("linear", frame)


def test_7_data_validate_rejects_a_file_with_a_blank_id(capsys, tmp_path):
    path = write(tmp_path, "ids.csv", "series_id,date,value\na,2020,1\na,2021,2\n,2020,3\n,2021,4\n")
    code, out, err = run(capsys, "data", "--validate", str(path), "--series-id", "series_id")
    assert code == 1 and out == ""
    one_line(err, "missing or blank series ids at rows [2, 3]")


def test_8_ids_that_print_alike_but_differ_are_a_data_error():
    frame = pd.DataFrame({"series_id": [1, 1, 1, "1", "1", "1"], "date": 2000 + 0.5 * np.arange(6),
                          "value": [1.0, 2, 3, 10, 20, 30]})
    with pytest.raises(gc.DataError, match=r"distinct series ids \[1, '1'\] read the same as text"):
        gc.fit_many("linear", frame)


def test_8_read_csv_keeps_ids_as_written(tmp_path):
    path = write(tmp_path, "ids.csv",
                 "id,date,value\n01,2020,1\n01,2021,2\n1,2020,3\n1,2021,4\n1.0,2020,5\n1.0,2021,6\n")
    long = gc.read_csv(path, series_id="id")
    assert sorted(pd.unique(long["series_id"])) == ["01", "1", "1.0"]
    assert long.groupby("series_id")["value"].sum().to_dict() == {"01": 3.0, "1": 7.0, "1.0": 11.0}


# ---------------------------------------------------------------- 10: dates outside 1678-2261
def test_10_decimal_years_after_2261_and_before_1678_have_dates():
    got = gcdata.from_decimal_year([2300.0, 1650.5, 9999.0])
    assert got[0] == pd.Timestamp("2300-01-01")
    assert got[1] == pd.Timestamp("1650-01-01") + pd.Timedelta(seconds=round(0.5 * 365 * 86400)).as_unit("s")
    assert got[2] == pd.Timestamp("9999-01-01")


def test_10_a_series_after_2261_forecasts_dated_rows():
    dates = [f"{y}-12-31" for y in range(2270, 2275)]
    res = gc.fit("linear", dates, [1.0, 2, 3, 4, 5])
    fc = res.forecast(steps=2)
    assert fc["date"].dt.strftime("%Y-%m-%d").tolist() == ["2275-12-31", "2276-12-31"]  # yearly data: yearly steps
    assert "NaT" not in res.summary()


def test_10_the_half_year_grid_is_exact_and_bounded():
    grid = gcdata.half_year_grid(decimal_year("2399-12-31"), decimal_year("2400-12-31") + 1e-9)
    np.testing.assert_allclose(grid, [2400 + 181 / 366, 2400 + 365 / 366], rtol=0, atol=1e-12)
    with pytest.raises(gc.DataError, match="up to 9999-12-31"):
        gcdata.half_year_grid(2025.5, 12000.0)


def test_10_cli_forecast_until_2300_prints_every_date(capsys):
    code, out, err = run(capsys, "forecast", "--model", "linear", "--until", "2300", "--format", "csv")
    assert code == 0, err
    last = out.strip().splitlines()[-1].split(",")
    assert last[2] == "2300-12-31"
    code, out, err = run(capsys, "forecast", "--model", "linear", "--until", "2300")
    assert code == 0 and "Traceback" not in err and "NaT" not in out


# ---------------------------------------------------------------- 11: warnings from the loaders
def test_11_complex_values_are_a_data_error_and_real_complex_numbers_work():
    with pytest.raises(gc.DataError, match=r"complex values in rows \[1\]"):
        gc.fit("linear", [2000.0, 2001, 2002], np.array([1 + 0j, 2 + 1j, 3 + 0j]))
    res = gc.fit("linear", [2000.0, 2001, 2002], np.array([1 + 0j, 3 + 0j, 5 + 0j]))
    np.testing.assert_allclose(res.params.to_numpy(), [3.0, 2.0], rtol=1e-12)  # centred intercept, slope


def test_11_quarter_labels_are_a_data_error_not_a_pandas_warning():
    with pytest.raises(gc.DataError, match="quarter labels such as '2020Q2'"):
        gc.from_frame(pd.DataFrame({"date": ["2020Q2", "2020Q4"], "value": [1.0, 2.0]}))


# ---------------------------------------------------------------- 12: time zones
def test_12_mixed_offsets_keep_each_local_time(tmp_path):
    path = write(tmp_path, "tz.csv", "date,value\n2020-06-30T00:00:00+08:00,10\n2020-12-31T00:00:00Z,20\n"
                                     "2021-06-30T00:00:00-05:00,35\n2021-12-31,40\n")
    long = gc.read_csv(path)
    assert long["date"].dt.strftime("%Y-%m-%d %H:%M").tolist() == [
        "2020-06-30 00:00", "2020-12-31 00:00", "2021-06-30 00:00", "2021-12-31 00:00"]


def test_12_timestamps_in_two_zones_are_accepted():
    dates = [pd.Timestamp("2020-06-30", tz="Asia/Shanghai"), pd.Timestamp("2020-12-31", tz="UTC"),
             pd.Timestamp("2021-06-30", tz="Asia/Shanghai")]
    res = gc.fit("linear", dates, [1.0, 2, 3])
    np.testing.assert_allclose(res.t, [decimal_year("2020-06-30"), decimal_year("2020-12-31"),
                                       decimal_year("2021-06-30")], rtol=0, atol=1e-12)


def test_12_cli_validate_with_mixed_offsets_has_no_traceback(capsys, tmp_path):
    path = write(tmp_path, "tz.csv", "date,value\n2020-06-30T00:00:00+08:00,10\n2020-12-31T00:00:00Z,20\n")
    code, out, err = run(capsys, "data", "--validate", str(path))
    assert code == 0 and "valid, 1 series, 2 points" in out, err


# ---------------------------------------------------------------- 13: --plot PATH
@pytest.mark.parametrize("bad", ["fan.xyz", "chart", "", "DIR"])
def test_13_a_bad_plot_path_is_a_usage_error_before_any_work(capsys, tmp_path, bad, monkeypatch):
    if bad == "DIR":
        bad = str(tmp_path)
    import growthcast.report as report

    monkeypatch.setattr(report, "project", lambda *a, **k: pytest.fail("fitted before checking --plot"))
    code, out, err = run(capsys, "forecast", "--plot", bad)
    assert code == 2 and out == ""
    one_line(err, "argument --plot")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_13_plot_writes_the_named_file_in_the_named_format(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "fan.svg"
    code, _, err = run(capsys, "forecast", "--model", "linear", "--plot", str(path))
    assert code == 0, err
    assert "<svg" in path.read_text(encoding="utf-8")[:500]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fan.svg"]


# ---------------------------------------------------------------- 14 and issue item 5: files
def test_14_the_report_replaces_symlinks_instead_of_writing_through_them(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    out, victim = tmp_path / "out", tmp_path / "victim.txt"
    out.mkdir()
    victim.write_text("keep me")
    for name in ("report.html", "fan_chart.png"):
        (out / name).symlink_to(victim)
    code, _, err = run(capsys, "report", "--out", str(out), "--model", "linear", "--models", "naive,linear",
                       "--horizons", "1-2", "--min-train", "30")
    assert code == 0, err
    assert victim.read_text() == "keep me"
    for name in ("report.html", "fan_chart.png"):
        assert not (out / name).is_symlink() and (out / name).stat().st_size > 1000
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_item5_write_file_is_atomic_and_respects_the_umask(tmp_path, monkeypatch):
    from growthcast._files import write_file

    target = tmp_path / "a.txt"
    target.write_bytes(b"old")
    monkeypatch.setattr(os, "replace", lambda *a: (_ for _ in ()).throw(OSError(28, "No space left on device")))
    with pytest.raises(OSError):
        write_file(target, b"new")
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["a.txt"]
    monkeypatch.undo()
    write_file(target, b"new")
    assert target.read_bytes() == b"new"
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


def test_item5_plot_save_replaces_a_symlink(tmp_path):
    pytest.importorskip("matplotlib")
    from growthcast import plot

    victim = tmp_path / "victim.png"
    victim.write_bytes(b"keep")
    link = tmp_path / "fig.png"
    link.symlink_to(victim)
    res = gc.fit("linear", [2000.0, 2001, 2002, 2003], [1.0, 2, 3, 5])
    plot.fan_chart(res, path=link)
    assert victim.read_bytes() == b"keep" and not link.is_symlink()
    assert link.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# ---------------------------------------------------------------- 16: times in tiny units
def test_16_epoch_seconds_and_yyyymmdd_numbers_are_a_data_error():
    dates = pd.to_datetime(["2020-06-30", "2020-12-31", "2021-06-30"])
    seconds = (dates - pd.Timestamp("1970-01-01")) // pd.Timedelta(seconds=1)
    with pytest.raises(gc.DataError, match=r"rows \[0, 1, 2\] look like timestamps.*unit='s'"):
        gc.fit("logistic", np.asarray(seconds, dtype=float), [10.0, 20, 30])
    with pytest.raises(gc.DataError, match="look like yyyymmdd dates"):
        gc.fit("linear", [20200630, 20201231, 20210630], [10.0, 20, 30])


def test_16_days_and_years_as_numbers_still_work():
    res = gc.fit("linear", [0.0, 182.0, 365.0], [1.0, 2.0, 3.0])
    assert res.status >= 0 and list(res.t) == [0.0, 182.0, 365.0]


# ---------------------------------------------------------------- 17 and 21: fit's t and y
def test_17_a_value_series_named_date_is_not_its_own_time_axis():
    res = gc.fit("linear", [2000.0, 2001, 2002, 2003], [5.0, 7.0, 9.0, 11.0], name="date")
    assert res.series_id == "date"
    assert res.params["slope"] == pytest.approx(2.0, rel=1e-12)  # (11 - 5) / 3 by hand
    res = gc.fit("linear", [2000.0, 2001, 2002, 2003], pd.Series([5.0, 7.0, 9.0, 11.0], name="date"))
    assert res.params["slope"] == pytest.approx(2.0, rel=1e-12)


def test_21_series_with_different_indexes_are_a_data_error():
    t = pd.Series([2000.0, 2001, 2002, 2003])
    y = pd.Series([11.0, 9, 7, 5], index=[3, 2, 1, 0])
    with pytest.raises(gc.DataError, match="different indexes"):
        gc.fit("linear", t, y)
    res = gc.fit("linear", t, y.reindex(t.index))
    assert res.params["slope"] == pytest.approx(2.0, rel=1e-12)  # by label: 5, 7, 9, 11


# ---------------------------------------------------------------- 24: argument checks in the loaders
def test_24_read_csv_of_a_directory_is_a_data_error(tmp_path):
    with pytest.raises(gc.DataError, match="is a directory"):
        gc.read_csv(tmp_path)


def test_24_repeated_column_labels_are_a_data_error():
    frame = pd.DataFrame([[2000.0, 1.0, 2.0], [2001.0, 2.0, 3.0]], columns=["date", "value", "value"])
    with pytest.raises(gc.DataError, match=r"\['value'\] appear more than once"):
        gc.from_frame(frame)


@pytest.mark.parametrize("bad", ["no", 1, "True"])
def test_24_percent_must_be_a_bool_or_none(bad):
    # a string names a column of flags (see tests/test_ids_flags.py); any other value is an error
    with pytest.raises(gc.DataError, match=r"percent must be True, False, None|percent: no column"):
        gc.from_frame(pd.DataFrame({"date": [2000.0, 2001.0], "value": [1.0, 2.0]}), percent=bad)


def test_24_dates_as_values_are_a_data_error():
    frame = pd.DataFrame({"date": [2000.0, 2001.0], "value": pd.to_datetime(["2020-01-01", "2021-01-01"])})
    with pytest.raises(gc.DataError, match="holds dates or durations"):
        gc.from_frame(frame)


def test_24_tuple_ids_keep_their_values():
    frame = pd.DataFrame({"series_id": [("a", 1)] * 3 + [("b", 2)] * 3, "date": np.tile(2000.0 + np.arange(3), 2),
                          "value": [1.0, 2, 3, 2, 4, 6]})
    many = gc.fit_many("linear", frame)
    assert list(many.status.index) == [("a", 1), ("b", 2)]
    assert many[("b", 2)].series_id == ("b", 2)


# ---------------------------------------------------------------- 25: --until between the data and the grid
def test_25_cli_until_before_the_first_projected_date_says_so(capsys):
    code, out, err = run(capsys, "forecast", "--until", "2026-03")
    assert code == 1 and out == ""
    one_line(err, "after the last observation (2025-12-31) but before the first projected date, 2026-06-30")


# ---------------------------------------------------------------- 28: a stdout that cannot encode the output
def test_28_an_ascii_stdout_gets_escapes_not_a_traceback(capsys, tmp_path, monkeypatch):
    path = write(tmp_path, "cn.csv", "日期,网民规模\n2020-06-30,10\n2020-12-31,20\n")
    raw = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(raw, encoding="ascii"))
    code = main(["data", "--validate", str(path), "--date", "日期", "--value", "网民规模", "--format", "json"])
    sys.stdout.flush()
    assert code == 0
    import json

    assert json.loads(raw.getvalue().decode("ascii"))["series"][0]["series_id"] == "网民规模"
    raw.seek(0)
    raw.truncate()
    assert main(["data", "--validate", str(path), "--date", "日期", "--value", "网民规模"]) == 0
    sys.stdout.flush()
    assert "\\u7f51\\u6c11" in raw.getvalue().decode("ascii")


# ---------------------------------------------------------------- 29: $ in a series name
def test_29_a_dollar_pair_in_a_name_is_drawn_as_text():
    pytest.importorskip("matplotlib")
    from growthcast import plot

    res = gc.fit("linear", [2000.0, 2001, 2002, 2003], [1.0, 2, 3, 5], name="cost $x^$ million")
    fig = plot.fan_chart(res)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")  # mathtext would raise a ValueError here
    assert buf.getvalue()[:4] == b"\x89PNG"
    assert any("$x^$" in t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text")))


# ---------------------------------------------------------------- 27 (loader side): values whose squares overflow
def test_27_values_above_1e150_are_a_data_error_and_tiny_ones_fit():
    with pytest.raises(gc.DataError, match=r"values \[1e\+200\] in rows \[2\] are above 1e\+150"):
        gc.fit("linear", [2000.0, 2001, 2002], [1e149, 2e149, 1e200])
    res = gc.fit("linear", [2000.0, 2001, 2002], [1e-200, 0.0, 1.0])
    assert res.status >= 0


def test_24_project_without_edition_columns_is_a_data_error():
    from growthcast import report

    frame = pd.DataFrame({"as_of": pd.to_datetime(["2020-06-30", "2020-12-31", "2021-06-30"]),
                          "x_pct": [10.0, 20.0, 30.0]})
    with pytest.raises(gc.DataError, match=r"missing column\(s\) \['edition'\]"):
        report.project(frame, "x_pct", "linear")


def test_4_a_validated_frame_keeps_its_index_for_the_edition_lookup():
    cnnic = gc.load_cnnic()
    long = gc.from_frame(cnnic, date="as_of", value="netizens_million")
    shuffled = long.sample(frac=1.0, random_state=0)
    shuffled.attrs = dict(long.attrs)
    again = gcdata.as_long(shuffled)
    assert again.index.tolist() == long.index.tolist()  # sorted back by time, original labels kept
    pd.testing.assert_frame_equal(again.reset_index(drop=True), long, check_dtype=False)


def test_10_cli_until_accepts_a_decimal_year(capsys):
    code, out, err = run(capsys, "forecast", "--model", "linear", "--until", "2030.5", "--format", "csv")
    assert code == 0, err
    assert out.strip().splitlines()[-1].split(",")[2] == "2030-06-30"  # 2030.5 is 2 July: the half-year before


def test_item5_a_failed_write_names_the_users_path_not_a_temporary_one(capsys, tmp_path):
    target = tmp_path / "missing" / "fan.png"
    code, out, err = run(capsys, "forecast", "--model", "linear", "--plot", str(target))
    assert code == 1
    line = one_line(err, "growthcast forecast: error:", str(target))
    assert ".tmp" not in line
    (tmp_path / "dir.png").mkdir()
    from growthcast._files import write_file

    with pytest.raises(OSError) as info:
        write_file(tmp_path / "dir.png", b"x")
    assert info.value.filename == str(tmp_path / "dir.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir.png"]  # no temporary file left behind


# ---------------------------------------------------------------- issue item 3: no process-wide state in the CLI
def test_item3_the_cli_leaves_the_warning_filters_alone(capsys, monkeypatch):
    import traceback
    import warnings

    calls = []
    original = warnings.simplefilter

    def recording(*args, **kwargs):
        caller = sys._getframe(1).f_code.co_filename
        if "growthcast" in Path(caller).parts:  # pandas' own, restored at once, are not ours to judge
            calls.append("".join(traceback.format_stack(limit=4)))
        return original(*args, **kwargs)

    monkeypatch.setattr(warnings, "simplefilter", recording)
    code = main(["forecast", "--model", "linear", "--format", "csv"])
    monkeypatch.undo()
    out, err = capsys.readouterr()
    assert code == 0 and err == ""
    assert calls == [], calls[0]


def test_8_ids_equal_in_python_but_written_apart_are_a_data_error():
    # ids keep their values, and 1 == 1.0 == True in Python: merging them silently would join three series
    frame = pd.DataFrame({"series_id": pd.Series([1] * 3 + [1.0] * 3 + [True] * 3, dtype=object),
                          "date": np.tile(2000.0 + np.arange(3), 3), "value": np.arange(1.0, 10)})
    with pytest.raises(gc.DataError, match=r"distinct series ids .*equal as numbers"):
        gc.fit_many("linear", frame)


def test_10_backtest_dates_after_2262_are_kept():
    frame = pd.DataFrame({"date": [f"{y}-12-31" for y in range(2270, 2290)], "value": np.linspace(1.0, 50.0, 20)})
    bt = gc.backtest(gc.from_frame(frame), models=["naive"], min_train=10, horizons=[1])
    assert bt.forecasts["origin_date"].iloc[0] == pd.Timestamp("2279-12-31")


def test_7_a_frame_whose_every_id_is_missing_is_a_data_error():
    frame = pd.DataFrame({"series_id": [None, None], "date": [2000.0, 2001.0], "value": [1.0, 2.0]})
    with pytest.raises(gc.DataError, match=r"missing or blank series ids at rows \[0, 1\]"):
        gc.fit_many("linear", frame)


def test_4_an_all_missing_series_keeps_its_place_after_revalidation():
    frame = pd.DataFrame({"series_id": ["a", "a", "a", "b", "b"], "date": [2000.0, 2001, 2002, 2000, 2001],
                          "value": [1.0, 2.0, 3.0, np.nan, np.nan]})
    direct = gc.fit_many("linear", frame)
    via_long = gc.fit_many("linear", gc.from_frame(frame, series_id="series_id"))
    assert sorted(direct.status.index) == sorted(via_long.status.index) == ["a", "b"]
    assert via_long.status.loc["b", "status"] == gc.errors.FAILED_TOO_FEW_POINTS


# ---------------------------------------------------------------- item 3: threads and process-wide state
@pytest.mark.parametrize("name", ["holt", "ets", "arima", "auto", "logistic", "ensemble_median"])
def test_every_model_gives_the_same_result_from_eight_threads_as_alone(name):
    from concurrent.futures import ThreadPoolExecutor
    import warnings

    df = gc.load_cnnic()
    series = ["penetration_pct", "netizens_million"] * 4
    alone = {s: gc.fit(name, df["as_of"], df[s]) for s in set(series)}
    filters = list(warnings.filters)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda s: gc.fit(name, df["as_of"], df[s]), series))
    assert list(warnings.filters) == filters  # nothing process-wide changed
    for s, res in zip(series, results):
        assert res.status == alone[s].status and res.message == alone[s].message
        np.testing.assert_array_equal(res.params.to_numpy(), alone[s].params.to_numpy())
        if res.status >= 0:
            pd.testing.assert_frame_equal(res.forecast(steps=3), alone[s].forecast(steps=3))


# ---------------------------------------------------------------- the model and result layers
def test_1_steps_count_steps_when_the_last_date_is_30_june():
    dates = ["2023-12-31", "2024-06-30", "2024-12-31", "2025-06-30"]
    res = gc.fit("linear", dates, [1.0, 2.0, 3.0, 4.0])
    assert res.forecast(steps=1)["date"].dt.strftime("%Y-%m-%d").tolist() == ["2025-12-31"]
    assert len(res.forecast(steps=3)) == 3
    frame = pd.DataFrame({"series_id": ["a"] * 4 + ["b"] * 4, "date": dates + ["2023-06-30"] + dates[:3],
                          "value": [1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0, 4.0]})
    fc = gc.fit_many("linear", frame).forecast(steps=2)
    assert fc.groupby("series_id").size().tolist() == [2, 2]  # every series its own two steps


def test_3_as_many_points_as_parameters_is_a_failure_with_the_reason():
    res = gc.fit("linear", [2000.0, 2001.0], [1.0, 3.0])
    assert res.status == gc.errors.FAILED_TOO_FEW_POINTS and "no residual" in res.message
    with pytest.raises(gc.FitError, match="no residual"):
        res.forecast(steps=1)
    assert gc.fit("linear", [2000.0, 2001.0, 2002.0], [1.0, 3.0, 4.0]).converged


def test_15_horizons_beyond_the_series_fail_at_once():
    frame = pd.DataFrame({"date": np.arange(2000.0, 2020.0), "value": np.linspace(1, 20, 20)})
    with pytest.raises(gc.DataError, match="at most 19 steps ahead"):
        gc.backtest(frame, series="value", models=["naive"], horizons=[10**9])
    res = gc.fit("naive", frame["date"], frame["value"])
    with pytest.raises(gc.DataError, match="at most"):
        res.forecast(steps=10**9)
    with pytest.raises(gc.DataError, match="at most"):
        res.forecast(until=1e7)


def test_22_batch_results_are_read_only():
    frame = pd.DataFrame({"series_id": ["a"] * 5, "date": np.arange(2000.0, 2005.0), "value": [1.0, 2, 3, 4, 5]})
    many = gc.fit_many("linear", frame)
    for name in ("t", "y", "mask", "percent"):
        with pytest.raises(ValueError, match="read-only"):
            getattr(many, name)[0] = 1


@pytest.mark.parametrize("call, match", [
    (lambda r: r.time_to_reach("80"), "value must be a finite number"),
    (lambda r: r.time_to_reach(None), "value must be a finite number"),
    (lambda r: r.time_to_reach(80.0, horizon=0), "horizon"),
    (lambda r: r.time_to_reach(80.0, horizon=np.inf), "horizon"),
    (lambda r: r.forecast(steps="3"), "steps must be a positive integer"),
    (lambda r: r.forecast(until=[]), "until must be one date"),
    (lambda r: r.predict(np.zeros((2, 2))), "when must be one date or a sequence"),
    (lambda r: gc.fit(gc.Logistic(fixed={"K": "100"}), r.t, r.y), "fixed: K must be a finite positive number"),
])
def test_24_bad_arguments_are_data_errors_naming_the_argument(call, match):
    t = np.arange(2000.0, 2020.0)
    res = gc.fit("logistic", t, 80 / (1 + np.exp(-0.5 * (t - 2010))))
    with pytest.raises(gc.DataError, match=match):
        call(res)


def test_26_until_means_the_end_of_the_named_year_or_month_as_in_the_cli():
    dates = ["2023-12-31", "2024-06-30", "2024-12-31", "2025-06-30"]
    res = gc.fit("linear", dates, [1.0, 2.0, 3.0, 4.0])
    assert res.forecast(until="2030")["date"].iloc[-1] == pd.Timestamp("2030-12-31")
    assert res.forecast(until="2030-12")["date"].iloc[-1] == pd.Timestamp("2030-12-31")
    assert res.forecast(until="2030-06-30")["date"].iloc[-1] == pd.Timestamp("2030-06-30")


def test_23_a_fixed_ceiling_below_the_data_is_a_failure_that_says_so():
    t = np.arange(2000.0, 2020.0)
    y = 76.0 / (1 + np.exp(-0.5 * (t - 2008)))
    res = gc.fit(gc.Logistic(fixed={"K": 40}), t, y)
    assert res.status == gc.errors.FAILED_IMPLAUSIBLE and "below the largest observation" in res.message
    assert gc.fit(gc.Logistic(fixed={"K": 100}), t, y).converged


def test_18_bootstrap_bounds_of_a_target_do_not_depend_on_what_else_is_asked():
    t = np.arange(2000.0, 2020.0)
    y = 80 / (1 + np.exp(-0.4 * (t - 2010))) + np.random.default_rng(3).normal(0, 0.5, t.size)
    res = gc.fit("logistic", t, y, interval="bootstrap", n_boot=200, random_state=1)
    alone = res.predict([2022.0], level=0.9)
    among = res.predict([2020.5, 2021.0, 2022.0, 2025.0], level=0.9)
    np.testing.assert_array_equal(alone[["lower", "upper"]].to_numpy()[0], among[["lower", "upper"]].to_numpy()[2])


@pytest.mark.parametrize("name", list(gc.available_models()["name"]))
def test_11_no_warning_from_any_model_on_the_bundled_tables(name):
    """pytest turns every warning into an error: short application series and panel countries raise none."""
    apps = gc.load_cnnic_applications()
    many = gc.fit_many(name, apps, date="as_of", value="users_million", series_id="application")
    many.forecast(steps=3)
    many.summary()
    panel = gc.load_panel("fixed_broadband")
    some = panel[panel["series_id"].isin(pd.unique(panel["series_id"])[:30])]
    gc.fit_many(name, some, date="year").forecast(steps=2)


def test_23_a_fixed_time_centuries_from_the_data_is_a_failure():
    t = np.arange(2000.0, 2020.0)
    y = 76.0 / (1 + np.exp(-0.5 * (t - 2008)))
    res = gc.fit(gc.Logistic(fixed={"t0": 1e300}), t, y)
    assert res.status < 0 and res.message  # a failure with its reason (singular, or the fixed time), never success
    res = gc.fit(gc.Logistic(fixed={"t0": 3500.0}), t, y)
    assert res.status < 0 and res.message


def test_27_positive_values_below_1e_150_are_a_data_error_naming_them():
    with pytest.raises(gc.DataError, match="every value of series .* is below 1e-150"):
        gc.fit("linear", [2000.0, 2001.0, 2002.0], [1e-301, 2e-301, 3e-301])
    assert gc.fit("linear", [2000.0, 2001.0, 2002.0], [0.0, 1e-9, 3e-9]).converged  # zeros and small values are fine


def test_a_curve_whose_ceiling_is_far_beyond_the_data_says_so():
    t = np.arange(2000.0, 2012.0)
    y = 0.5 * np.exp(0.3 * (t - 2000)) * (1 + 0.01 * np.sin(t))  # early growth: no bend in sight
    res = gc.fit("gompertz", t, y)
    assert res.status == gc.errors.FAILED_IMPLAUSIBLE and "times the largest observation" in res.message
    bent = 80 / (1 + np.exp(-0.6 * (t - 2006)))
    assert gc.fit("gompertz", t, bent).converged
