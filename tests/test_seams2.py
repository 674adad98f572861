"""Where today's fast paths meet: regressions found in review, one test each."""

import numpy as np
import pytest

import growthcast as gc


def _curves(B: int = 3, N: int = 12) -> tuple[np.ndarray, np.ndarray]:
    t = np.arange(2000.0, 2000.0 + N)
    scale = np.linspace(0.9, 1.1, B)[:, None]
    return t, scale * 80.0 / (1.0 + np.exp(-0.6 * (t - 2005.0)))


@pytest.mark.parametrize("model", ["logistic", "linear", "naive"])
@pytest.mark.parametrize("shared_axis", [True, False])
def test_fit_arrays_leaves_the_callers_arrays_writable_and_owns_its_own(model, shared_axis):
    # the regular-layout fast path kept the caller's arrays, and the result made them read-only
    t, y = _curves()
    t = t if shared_axis else np.tile(t, (len(y), 1))
    mask = np.ones(y.shape, dtype=bool)
    kept = y.copy()
    res = gc.fit_arrays(model, t, y, mask)
    assert t.flags.writeable and y.flags.writeable and mask.flags.writeable
    y[:] = 1.0  # the caller reuses its buffer
    mask[:, -1] = False
    np.testing.assert_array_equal(res.y, kept)
    assert res.mask.all()


def test_saturating_series_of_zeros_only_fails_with_its_reason_not_as_too_short():
    # zeros before launch are left out; a series that never launches had every point left out, and its
    # failure read "fewer usable points than free parameters" (saturating estimates none)
    t, y = _curves(B=2, N=15)
    y[1] = 0.0
    many = gc.fit_arrays("saturating", t, y)
    assert many.fitted.status[0] > 0
    assert many.fitted.status[1] == gc.errors.FAILED_INVALID_DATA
    assert "positive values" in many.fitted.message[1]
    one = gc.fit("saturating", t, np.r_[np.zeros(5), np.full(10, np.nan)])
    assert one.status == gc.errors.FAILED_INVALID_DATA and "positive values" in one.message


def test_the_cli_backtest_json_lists_the_series_it_left_out(tmp_path, capsys):
    # the table and csv formats name them on stderr; a JSON reader of stdout had no trace of them
    import json

    import pandas as pd

    from growthcast.cli import main

    rows = [pd.DataFrame({"series_id": sid, "date": np.arange(2000.0, 2000.0 + n), "value": np.linspace(1.0, 9.0, n)})
            for sid, n in (("a", 24), ("b", 6))]
    path = tmp_path / "mine.csv"
    pd.concat(rows).to_csv(path, index=False)
    argv = ["backtest", "--csv", str(path), "--models", "linear,naive", "--horizons", "1-2", "--quiet"]
    assert main([*argv, "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [(row["series_id"], row["points"]) for row in doc["skipped"]] == [("b", 6)]
    assert {row["series_id"] for row in doc["leaderboard"]} == {"a"}
