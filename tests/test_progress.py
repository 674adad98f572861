"""The progress bar of long batch work (issue 14 item 7): when it shows, where it writes, and that it changes nothing."""

from __future__ import annotations

import io
import sys
import threading

import numpy as np
import pandas as pd
import pytest

import growthcast as gc
import growthcast.progress as pg
from growthcast.cli import main


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _panel(n_series: int = 30) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    years = np.arange(2000, 2020)
    return pd.DataFrame([(f"s{i}", y, 60.0 / (1 + np.exp(-0.4 * (y - 2010))) + rng.normal(0, 0.4))
                         for i in range(n_series) for y in years], columns=["series_id", "date", "value"])


@pytest.fixture
def no_delay(monkeypatch):
    monkeypatch.setattr(pg, "DELAY", 0.0)


def test_the_bar_appears_only_after_the_delay_and_counts(monkeypatch):
    clock = iter([0.0, 1.9, 2.1, 2.1, 2.5, 2.5])  # creation; per advance one reading, and one more to draw
    monkeypatch.setattr(pg.time, "perf_counter", lambda: next(clock))
    out = io.StringIO()
    bar = pg.Progress(4, "work", "blocks", enabled=True, stream=out)
    bar.advance()
    assert out.getvalue() == ""  # 1.9 s: not yet
    bar.advance()
    assert out.getvalue() == "work [############............] 2/4 blocks  2.1 s\n"
    bar.advance(2)
    bar.close()
    assert out.getvalue().splitlines()[-1] == "work [########################] 4/4 blocks  2.5 s"


def test_on_a_terminal_the_bar_is_redrawn_in_place_and_erased(no_delay):
    term = _Terminal()
    with pg.Progress(2, "work", enabled=None, stream=term) as bar:
        bar.advance()
        bar.advance()
    text = term.getvalue()
    assert text.startswith("\rwork [") and "\n" not in text
    width = len("work [########################] 2/2")  # at least the last drawing is blanked out
    assert text.endswith("\r") and text.rstrip("\r").endswith(" " * width)


def test_on_a_terminal_the_elapsed_time_is_redrawn_while_a_block_runs(no_delay):
    term = _Terminal()
    bar = pg.Progress(1, "work", "blocks", stream=term)
    for _ in range(500):  # the timer thread draws without any advance (waits at most 5 s)
        if term.getvalue():
            break
        threading.Event().wait(0.01)
    bar.close()
    text = term.getvalue()
    assert text.startswith("\rwork [........................] 0/1 blocks") and text.endswith("\r")


def test_by_default_nothing_is_written_to_a_stream_that_is_not_a_terminal(no_delay):
    out = io.StringIO()
    bar = pg.Progress(3, "work", stream=out)
    bar.advance(3)
    bar.close()
    assert out.getvalue() == ""


def test_progress_argument_is_checked():
    with pytest.raises(gc.DataError, match="progress must be True, False or None"):
        gc.backtest(_panel(2), models=["drift"], progress="yes")


def test_forced_progress_writes_and_progress_false_writes_nothing_with_the_same_results(no_delay, monkeypatch):
    df = _panel()
    forced = io.StringIO()
    monkeypatch.setattr(sys, "stderr", forced)
    bt_on = gc.backtest(df, models=["drift", "logistic"], horizons=range(1, 4), progress=True)
    many_on = gc.fit_many("logistic", df, progress=True)
    lines = forced.getvalue().splitlines()
    assert any(ln.startswith("backtest [########################] 2/2 models") for ln in lines)
    assert lines[-1].startswith("fit_many [########################] 30/30 series")

    silent = _Terminal()  # even on a terminal
    monkeypatch.setattr(sys, "stderr", silent)
    bt_off = gc.backtest(df, models=["drift", "logistic"], horizons=range(1, 4), progress=False)
    many_off = gc.fit_many("logistic", df, progress=False)
    assert silent.getvalue() == ""
    pd.testing.assert_frame_equal(bt_on.forecasts, bt_off.forecasts)
    pd.testing.assert_frame_equal(bt_on.saturation(), bt_off.saturation())
    # fitted a block of series at a time while the bar may show, all at once without it: the same bits
    pd.testing.assert_frame_equal(many_on.params, many_off.params)
    pd.testing.assert_frame_equal(many_on.forecast(steps=3), many_off.forecast(steps=3))


def test_a_batch_fit_counts_its_blocks_of_series(no_delay, monkeypatch):
    import growthcast.fitting as fitting

    monkeypatch.setattr(fitting, "FIT_CHUNK_ELEMENTS", 100)  # 5 series of 20 points per block
    out = io.StringIO()
    monkeypatch.setattr(sys, "stderr", out)
    df = _panel(12)
    on = gc.fit_many("gompertz", df, progress=True)
    assert [ln.split("] ")[1].split("  ")[0] for ln in out.getvalue().splitlines()] == [
        "5/12 series", "10/12 series", "12/12 series"]
    pd.testing.assert_frame_equal(on.params, gc.fit_many("gompertz", df, progress=False).params)


def test_cli_quiet_turns_the_bar_off(no_delay, monkeypatch, capsys, tmp_path):
    path = tmp_path / "panel.csv"
    _panel(3).to_csv(path, index=False)
    monkeypatch.setattr(pg, "_is_tty", lambda stream: True)  # as if stderr were a terminal
    args = ["backtest", "--csv", str(path), "--models", "drift", "--horizons", "1-2"]
    assert main(args) == 0
    assert "backtest [" in capsys.readouterr().err
    assert main(args + ["--quiet"]) == 0
    assert capsys.readouterr().err == ""
