"""Where today's fast paths meet: regressions found in review, one test each."""

import numpy as np
import pandas as pd
import pytest

import growthcast as gc
from conftest import logistic_panel


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


@pytest.mark.parametrize("model", ["saturating", "auto"])
def test_a_series_of_zeros_only_fails_with_its_reason_not_as_too_short(model):
    # zeros before launch are left out; a series that never launches had every point left out, and its
    # failure read "fewer usable points than free parameters" (these models estimate none)
    t, y = _curves(B=2, N=15)
    y[1] = 0.0
    many = gc.fit_arrays(model, t, y)
    assert many.fitted.status[0] > 0
    assert many.fitted.status[1] == gc.errors.FAILED_TOO_FEW_POINTS
    assert "from the first positive value on" in many.fitted.message[1]
    one = gc.fit(model, t, np.r_[np.zeros(5), np.full(10, np.nan)])
    assert one.status == gc.errors.FAILED_TOO_FEW_POINTS and "from the first positive value on" in one.message


def test_the_cli_backtest_json_lists_the_series_it_left_out(tmp_path, capsys):
    # the table and csv formats name them on stderr; a JSON reader of stdout had no trace of them
    import json

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


_lengths_frame = logistic_panel


def _by_partition(frame, groups):
    dd = pytest.importorskip("dask.dataframe")
    return dd.concat([dd.from_pandas(frame[frame["series_id"].isin(g)], npartitions=1) for g in groups])


@pytest.mark.parametrize("origins, horizons", [(None, range(1, 4)), ((2016, 2030), range(1, 4)), (None, range(1, 16))])
def test_dask_backtest_with_a_partition_of_series_that_take_no_part_is_the_in_memory_one(origins, horizons):
    # a partition whose series were all too short for min_train (or had no origin within origins=, or none
    # reached the largest horizon) raised the whole-frame error, while in memory those series are listed in
    # bt.skipped (or have rows at the horizons they reach, or none)
    dask = pytest.importorskip("dask")

    frame = _lengths_frame({"a": 24, "b": 20, "c": 5, "d": 6, "e": 12, "f": 13})
    ddf = _by_partition(frame, [["a", "b"], ["c", "d"], ["e", "f"]])
    options = dict(models=["logistic", "linear", "naive", "ensemble_weighted"], members=["linear", "naive"],
                   intervals=["delta", "backtest"], horizons=horizons, min_train=10, origins=origins, progress=False)
    expected = gc.backtest(frame, **options)
    with dask.config.set(scheduler="synchronous"):
        got = gc.backtest(ddf, **options)
    assert expected.skipped["series_id"].tolist() == ["c", "d"]
    assert got.series == expected.series == ("a", "b", "e", "f")
    assert dict(got.vintage["by_series"]) == dict(expected.vintage["by_series"])
    assert got.vintage["last_t"] == expected.vintage["last_t"] == 2023.0
    assert dict(got.percent) == dict(expected.percent)
    plain = (lambda f: f.assign(series_id=f["series_id"].astype(object)))
    pd.testing.assert_frame_equal(plain(got.skipped), plain(expected.skipped))
    pd.testing.assert_frame_equal(plain(got.forecasts), plain(expected.forecasts), check_exact=True)
    for a, b in ((got.weights, expected.weights), (got.params, expected.params),
                 (got.leaderboard(), expected.leaderboard())):
        pd.testing.assert_frame_equal(plain(a), plain(b), check_exact=True)


@pytest.mark.parametrize("options, message", [
    (dict(min_train=30), r"too short for min_train=30: \['a', 'b', 'c'\] \(24, 20, 5 points\)"),
    (dict(min_train=10, horizons=range(1, 30)), r"horizons: at most 23 steps ahead"),
    (dict(min_train=10, horizons=[10**9]), r"horizons: at most 23 steps ahead"),  # before any array that wide
    (dict(min_train=10, origins=(2030, 2040)), r"no origin within origins=\(2030, 2040\)"),
])
def test_dask_backtest_raises_the_in_memory_error_of_the_whole_frame(options, message):
    dask = pytest.importorskip("dask")

    frame = _lengths_frame({"a": 24, "b": 20, "c": 5})
    ddf = _by_partition(frame, [["a"], ["b", "c"]])
    options = dict(dict(models=["linear"], horizons=range(1, 3), progress=False), **options)
    with pytest.raises(gc.DataError, match=message):
        gc.backtest(frame, **options)
    with dask.config.set(scheduler="synchronous"), pytest.raises(gc.DataError, match=message):
        gc.backtest(ddf, **options)
