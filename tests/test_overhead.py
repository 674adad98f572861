"""The short cuts of the public path (``fit_many``, ``fit_arrays``) give what the long way gives.

Validation and layout take quicker routes for the common input (ids that
repeat the same objects, a panel on one time grid, every point observed); each
test here holds such input against a reference computed another way: pandas'
own factorize, a median written out in the test, or the general route on the
same data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import growthcast as gc
from conftest import logistic
from growthcast.data import _blank, validate_long
from growthcast.errors import FAILED_IMPLAUSIBLE
from growthcast.frequency import FREQUENCIES, infer_steps
from growthcast.panel import panel_of



# ---------------------------------------------------------------- series ids
def _codes_by_pandas(ids: list) -> tuple[np.ndarray, list]:
    codes, uniques = pd.factorize(pd.Series(ids, dtype=object))
    return codes, list(uniques)


@given(st.lists(st.tuples(st.sampled_from(["aa", "bb", "cc", "a_pct", "éé"]), st.booleans()),
                min_size=1, max_size=40))
def test_ids_factorized_by_runs_match_pandas_whether_or_not_rows_share_the_same_objects(draws):
    # a fresh object for some rows (as a CSV reader without sharing gives), the very same object for others
    ids = [(name + "!")[:-1] if fresh else name for name, fresh in draws]
    assert all((a is not name) == fresh for a, (name, fresh) in zip(ids, draws))
    frame = pd.DataFrame({"series_id": pd.Series(ids, dtype=object), "date": np.arange(len(ids), dtype=float),
                          "value": np.ones(len(ids))})
    long = validate_long(frame, series_id="series_id")
    codes, uniques = _codes_by_pandas(ids)
    assert long.ids.tolist() == uniques
    # rows come back grouped by series (stably): the codes of the rows in that order
    np.testing.assert_array_equal(long.codes, np.sort(codes, kind="stable"))
    np.testing.assert_array_equal(long.t, np.arange(len(ids), dtype=float)[np.argsort(codes, kind="stable")])


def test_ids_of_several_types_in_one_run_of_objects_are_still_told_apart_or_refused():
    one = "s1"
    frame = pd.DataFrame({"series_id": pd.Series([one, one, 1, 1.0, "s2", "s2"], dtype=object),
                          "date": [2000.0, 2001.0, 2000.0, 2001.0, 2000.0, 2001.0], "value": 1.0})
    with pytest.raises(gc.DataError, match="read the same as text"):
        gc.fit_many("linear", frame)


@pytest.mark.parametrize("blank", ["", "  ", "\t", "\x00", " \u3000 "])
def test_blank_ids_are_refused_however_the_ids_are_held(blank):
    for dtype in (object, "str"):
        frame = pd.DataFrame({"series_id": pd.Series(["a", "a", blank, blank], dtype=dtype),
                              "date": [2000.0, 2001.0, 2000.0, 2001.0], "value": 1.0})
        with pytest.raises(gc.DataError, match=r"missing or blank series ids at rows \[2, 3\]"):
            gc.fit_many("linear", frame)


@given(st.lists(st.text(alphabet=[" ", "\x00", "\t", "\u3000", "\x1c", "\x85", "\u200b", "a", "é"], max_size=6),
                min_size=1, max_size=30))
def test_blank_text_is_what_numpy_strip_leaves_empty(texts):
    text = np.array(texts, dtype=np.dtypes.StringDType())
    np.testing.assert_array_equal(_blank(text), np.strings.str_len(np.strings.strip(text)) == 0)


def test_percent_flags_by_name_follow_the_ids_text():
    frame = pd.DataFrame({"series_id": pd.Series(["x_pct"] * 3 + ["y"] * 3, dtype="str"),
                          "date": [2000.0, 2001.0, 2002.0] * 2, "value": [10.0, 20.0, 30.0, 1.0, 2.0, 300.0]})
    many = gc.fit_many("linear", frame)
    assert many.percent.tolist() == [True, False]


# ---------------------------------------------------------------- the layout
@pytest.mark.parametrize("counts", [[2, 2, 2], [1, 3], [3, 1], [2, 4, 2, 4], [4]])
def test_the_panel_layout_puts_each_row_in_its_series_and_place(counts):
    ids = np.repeat([f"s{i}" for i in range(len(counts))], counts)
    t = np.concatenate([2000.0 + np.arange(c) for c in counts])
    y = np.arange(1.0, len(t) + 1)
    p = panel_of(validate_long(pd.DataFrame({"series_id": ids, "date": t, "value": y}), series_id="series_id"))
    N = max(counts)
    assert p.t.shape == (len(counts), N)
    row = 0
    for b, c in enumerate(counts):
        assert p.mask[b].tolist() == [True] * c + [False] * (N - c)
        np.testing.assert_array_equal(p.y[b, :c], y[row:row + c])
        np.testing.assert_array_equal(p.t[b, :c], t[row:row + c])
        row += c


# ---------------------------------------------------------------- steps
def _steps_by_hand(t: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The median positive spacing of each row's observed times, snapped to a calendar frequency."""
    step, months = np.ones(len(t)), np.zeros(len(t), dtype=int)
    for b in range(len(t)):
        spacing = np.diff(np.sort(t[b][mask[b]]))
        spacing = spacing[spacing > 0]
        s = float(np.median(spacing)) if len(spacing) else 1.0
        for m in FREQUENCIES.values():
            if abs(s - m / 12) <= 0.1 * m / 12:
                s, months[b] = m / 12, m
                break
        step[b] = s
    return step, months


def _rowwise(t: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """infer_steps one row at a time (a batch of one never takes the one-grid route)."""
    parts = [infer_steps(t[b:b + 1], mask[b:b + 1]) for b in range(len(t))]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


@given(st.integers(2, 6), st.integers(1, 9), st.sampled_from([1.0, 0.5, 0.25, 1 / 12, 0.37]),
       st.sampled_from(["full", "same gaps", "ragged"]), st.booleans(), st.integers(0, 2**32 - 1))
def test_steps_of_a_panel_on_one_grid_equal_those_of_each_series_alone(B, N, step, layout, shared, seed):
    rng = np.random.default_rng(seed)
    grid = 2000.0 + step * np.cumsum(rng.choice([1.0, 1.0, 1.0, 2.0], N))
    t = np.broadcast_to(grid, (B, N)) if shared else np.tile(grid, (B, 1))
    mask = np.ones((B, N), dtype=bool)
    if layout == "same gaps":
        mask[:] = rng.random(N) < 0.7
    elif layout == "ragged":
        mask = rng.random((B, N)) < 0.7
    got = infer_steps(t, mask)
    for ref in (_rowwise(t, mask), _steps_by_hand(t, mask)):
        np.testing.assert_array_equal(got[0], ref[0])
        np.testing.assert_array_equal(got[1], ref[1])


@pytest.mark.parametrize("row", [[2000.0, 2001.0, 2001.0, 2003.0, 2004.0], [2003.0, 2000.0, 2001.0, 2002.0, 2002.5],
                                 [2000.0], [2000.0, 2000.0], [2000.0, 2000.25, 2000.5, 2001.5, 2003.5]])
def test_steps_of_one_grid_that_is_not_increasing_equal_those_of_each_series_alone(row):
    t = np.tile(row, (4, 1))
    mask = np.ones(t.shape, dtype=bool)
    for got, ref in zip(infer_steps(t, mask), _rowwise(t, mask)):
        np.testing.assert_array_equal(got, ref)
        assert got.dtype == ref.dtype


def test_steps_of_series_on_different_grids_are_their_own():
    t = np.array([[2000.0, 2001.0, 2002.0, 2003.0], [2000.0, 2000.5, 2001.0, 2001.5],
                  [2000.0, 2000.25, 2000.5, 2000.75], [2000.0, 2000.37, 2000.74, 2001.11]])
    mask = np.ones(t.shape, dtype=bool)
    step, months = infer_steps(t, mask)
    np.testing.assert_allclose(step, [1.0, 0.5, 0.25, 0.37])
    assert months.tolist() == [12, 6, 3, 0]
    ref = _steps_by_hand(t, mask)
    np.testing.assert_array_equal(step, ref[0])
    np.testing.assert_array_equal(months, ref[1])


def test_a_batch_result_carries_the_steps_of_each_series():
    frame = pd.DataFrame({"series_id": np.repeat(["y", "q"], 8),
                          "date": np.concatenate([2000.0 + np.arange(8), 2000.0 + 0.25 * np.arange(8)]),
                          "value": np.tile(1.0 + np.arange(8), 2)})
    many = gc.fit_many("linear", frame)
    assert many.months.tolist() == [12, 3]
    assert [many[k].frequency for k in many] == ["yearly", "quarterly"]


# ---------------------------------------------------------------- fit_arrays' checks and layout
def _curves(B: int = 3, N: int = 30) -> tuple[np.ndarray, np.ndarray]:
    t = 2000.0 + 0.5 * np.arange(N)
    rng = np.random.default_rng(3)
    y = np.vstack([logistic(t, 60.0 + 10 * b, 0.5, 2007.0 + b) + rng.normal(0, 0.3, N) for b in range(B)])
    return t, np.abs(y)


@pytest.mark.parametrize("where, bad, message", [
    ((1, 4), np.inf, r"y: expected finite, non-negative values below 1e150 where mask is True; 1 are not, first at "
                     r"series 1, point 4: np.float64\(inf\)"),
    ((2, 0), -1.0, r"series 2, point 0: np.float64\(-1.0\)"),
    ((0, 7), 1e151, r"series 0, point 7: np.float64\(1e\+151\)"),
])
def test_fit_arrays_names_the_first_bad_value(where, bad, message):
    t, y = _curves()
    y[where] = bad
    with pytest.raises(gc.DataError, match=message):
        gc.fit_arrays("logistic", t, y)


def test_fit_arrays_names_the_first_bad_time_and_ignores_those_outside_the_mask():
    t, y = _curves()
    tt = np.tile(t, (3, 1))
    tt[1, 5] = np.nan
    with pytest.raises(gc.DataError, match=r"t: expected finite times where mask is True; 1 are not, first at "
                                           r"series 1, point 5: np.float64\(nan\)"):
        gc.fit_arrays("logistic", tt, y)
    mask = np.ones(y.shape, dtype=bool)
    mask[1, 5] = False
    many = gc.fit_arrays("logistic", tt, y, mask)  # the NaN time is not an observation
    assert many.fitted.n_obs.tolist() == [30, 29, 30]
    y[1, 5] = -np.inf  # nor is a value outside the mask
    np.testing.assert_array_equal(gc.fit_arrays("logistic", tt, y, mask).fitted.params, many.fitted.params)


def test_fit_arrays_sorts_a_shared_time_axis_given_backwards_and_refuses_a_repeated_time():
    t, y = _curves()
    forward = gc.fit_arrays("logistic", t, y)
    backward = gc.fit_arrays("logistic", t[::-1], y[:, ::-1])
    np.testing.assert_array_equal(backward.fitted.params, forward.fitted.params)
    with pytest.raises(gc.DataError, match=r"t: duplicate times within series \[0, 1, 2\]"):
        gc.fit_arrays("logistic", np.r_[t[:-1], t[-2]], y)


def test_a_padded_point_changes_no_fit():
    """The full-panel routes (every point observed) against the masked ones, on the same observations."""
    t, y = _curves()
    y[2] = logistic(t, 5000.0, 0.2, 2030.0)  # an early curve: a ceiling far beyond the data, flagged implausible
    full = gc.fit_arrays("logistic", t, y)
    pad_t = np.hstack([np.tile(t, (3, 1)), np.full((3, 1), 2100.0)])
    pad_y = np.hstack([y, np.full((3, 1), 1e6)])
    mask = np.ones(pad_y.shape, dtype=bool)
    mask[:, -1] = False
    padded = gc.fit_arrays("logistic", pad_t, pad_y, mask)
    np.testing.assert_array_equal(padded.fitted.params, full.fitted.params)
    np.testing.assert_array_equal(padded.fitted.status, full.fitted.status)
    assert padded.fitted.message.tolist() == full.fitted.message.tolist()
    assert full.fitted.status[2] == FAILED_IMPLAUSIBLE
    assert "times the largest observation" in full.fitted.message[2]
    assert full.fitted.message[:2].tolist() == ["", ""]
    np.testing.assert_array_equal(padded.step, full.step)
