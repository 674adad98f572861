"""A backtest says which fits failed and why: ``Backtest.failures``, the CLI's table and JSON, the report."""

import json

import numpy as np
import pandas as pd
import pytest

import growthcast as gc
from growthcast import errors
from growthcast.cli import main

T = np.arange(1995.0, 2021.0)


def _frame() -> pd.DataFrame:
    """Two yearly penetrations: 'early' spends a decade below 1% (logit_linear cannot read its bend), 'late' not."""
    early = 60.0 / (1.0 + np.exp(-0.45 * (T - 2014.0)))
    late = 70.0 / (1.0 + np.exp(-0.35 * (T - 2003.0)))
    return pd.concat([pd.DataFrame({"series_id": sid, "date": T, "value": y})
                      for sid, y in (("early_pct", early), ("late_pct", late))], ignore_index=True)


ARGS = dict(models=["logit_linear", "drift"], horizons=range(1, 4), min_train=8, progress=False)


def test_failures_lists_each_failed_fit_with_the_models_own_reason():
    frame = _frame()
    bt = gc.backtest(frame, **ARGS)
    failures = bt.failures
    assert list(failures.columns) == ["series_id", "model", "origin_t", "status", "message"]
    # the same fits as the forecasts' failure statuses say, and no other
    fc = bt.forecasts
    failed = fc.loc[fc["status"] < 0, ["series_id", "model", "origin_t", "status"]].drop_duplicates()
    pd.testing.assert_frame_equal(failures.drop(columns="message").reset_index(drop=True),
                                  failed.reset_index(drop=True), check_dtype=False)
    assert set(failures["series_id"]) == {"early_pct"} and set(failures["model"]) == {"logit_linear"}
    assert (failures["status"] == errors.FAILED_IMPLAUSIBLE).all()
    # the reason is the one a fit of that training window gives on its own
    origin = failures["origin_t"].iloc[-1]
    window = frame[(frame["series_id"] == "early_pct") & (frame["date"] <= origin)]
    alone = gc.fit("logit_linear", window["date"], window["value"], percent=True)
    assert alone.status == errors.FAILED_IMPLAUSIBLE
    assert failures["message"].iloc[-1] == alone.message
    assert "points below 1% of the cap" in alone.message


def test_no_failure_gives_an_empty_frame_and_a_status_code_stands_in_for_a_missing_reason():
    bt = gc.backtest(_frame(), models=["drift"], horizons=range(1, 3), min_train=8, progress=False)
    assert bt.failures.empty and {"series_id", "model", "status", "message"} <= set(bt.failures.columns)
    few = gc.backtest(_frame(), models=["quadratic"], horizons=range(1, 3), min_train=2, progress=False)
    # quadratic at the first two origins of each series: 2 points (fewer than its 3 parameters), then 3 (no residual)
    assert (few.failures["status"] == errors.FAILED_TOO_FEW_POINTS).all() and len(few.failures) == 4
    assert few.failures["message"].str.startswith(errors.STATUS_MESSAGES[errors.FAILED_TOO_FEW_POINTS]).all()


def test_the_cli_names_the_failed_fits_and_why(capsys, tmp_path):
    path = tmp_path / "shares.csv"
    _frame().to_csv(path, index=False)
    argv = ["backtest", "--csv", str(path), "--models", "logit_linear,drift", "--horizons", "1-3", "--min-train", "8",
            "-q"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    n_failed = len(gc.backtest(_frame(), **ARGS).failures)
    assert f"early_pct logit_linear: {n_failed} fit(s) failed; the latest: failed: the fit is implausible" in out
    assert "late_pct logit_linear: " not in out
    assert main(argv + ["--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [(f["series_id"], f["model"], f["status"], f["fits"]) for f in doc["failures"]] == [
        ("early_pct", "logit_linear", errors.FAILED_IMPLAUSIBLE, n_failed)]


def test_the_report_lists_the_failed_fits(tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "shares.csv"
    _frame().to_csv(path, index=False)
    assert main(["report", "--out", str(tmp_path / "out"), "--csv", str(path), "--series", "early_pct",
                 "--models", "logit_linear,drift", "--horizons", "1-3", "--min-train", "8", "--quiet"]) == 0
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "<summary>Failed fits (" in page and "early_pct, logit_linear:" in page
