"""Series ids and percentage flags survive from the user's frame to every result (issue 14, item 3).

Expected values come from the input frames themselves (the ids and flags the
user wrote) or from fitting a series on its own; nothing is timed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import growthcast as gc


def _frame(ids, n=12, seed=0, scale=None) -> pd.DataFrame:
    """Logistic-shaped series (values in (0, 100)), one block of rows per id, yearly numeric times."""
    rng = np.random.default_rng(seed)
    t = 2000.0 + np.arange(n)
    parts = []
    for k, sid in enumerate(ids):
        K = 60.0 + 5 * k if scale is None else scale
        y = K / (1 + np.exp(-0.6 * (t - 2005 - 0.2 * k))) * (1 + 0.01 * rng.standard_normal(n))
        parts.append(pd.DataFrame({"series_id": [sid] * n, "date": t, "value": y}))
    return pd.concat(parts, ignore_index=True)


# ------------------------------------------------------------------ ids keep their dtype and values
@pytest.mark.parametrize("ids, dtype", [
    ([101, 202, 303], np.dtype("int64")),
    (["b", "a", "c"], None),
    (pd.Categorical(["x", "y", "z"]), "category"),
])
def test_ids_keep_their_dtype_through_every_output(ids, dtype):
    df = _frame(list(ids))
    if dtype == "category":
        df["series_id"] = df["series_id"].astype("category")
    many = gc.fit_many("linear", df)
    expected = pd.unique(df["series_id"])
    assert list(many.series_ids) == list(expected)  # the input order, not sorted
    for column in (many.params.index, many.status.index, many.forecast(steps=2)["series_id"],
                   many.to_frame()["series_id"]):
        assert column.dtype == df["series_id"].dtype
    first = list(expected)[0]
    assert many[first].series_id == first
    assert type(many[first].series_id) is type(list(expected)[0].item() if hasattr(first, "item") else first)


def test_integer_ids_look_up_and_merge_with_integer_keyed_metadata():
    many = gc.fit_many("linear", _frame([101, 202, 303]))
    assert many[101].series_id == 101 and 101 in many and "101" not in many
    meta = pd.DataFrame({"series_id": [303, 101, 202], "region": ["south", "north", "east"]})
    merged = many.forecast(steps=1).merge(meta, on="series_id", validate="many_to_one")
    assert merged.set_index("series_id")["region"].to_dict() == {101: "north", 202: "east", 303: "south"}
    pd.testing.assert_index_equal(many.params.index, pd.Index([101, 202, 303], name="series_id"))


def test_from_frame_keeps_integer_ids_and_the_validated_frame_fits_the_same():
    df = _frame([7, 3])
    long = gc.from_frame(df)
    assert long["series_id"].dtype == np.int64 and long.attrs["percent"] == {7: False, 3: False}
    direct, again = gc.fit_many("linear", df), gc.fit_many("linear", long)
    pd.testing.assert_frame_equal(direct.params, again.params)


@pytest.mark.parametrize("column", [
    pd.Series([1] * 12 + ["1"] * 12, dtype=object),
    pd.Series(["1"] * 12 + [1] * 12, dtype=object),
])
def test_one_and_text_one_in_one_column_are_an_error_naming_them(column):
    df = _frame(["p", "q"]).assign(series_id=column)
    with pytest.raises(gc.DataError, match=r"distinct series ids \[(1, '1'|'1', 1)\] read the same as text"):
        gc.fit_many("linear", df)


def test_ids_of_one_type_in_an_object_column_are_fine():
    df = _frame([5, 6]).assign(series_id=pd.Series([5] * 12 + [6] * 12, dtype=object))
    assert list(gc.fit_many("linear", df).series_ids) == [5, 6]


def test_interleaved_rows_are_grouped_by_series_in_order_of_first_appearance():
    df = _frame(["s", "r", "q"])
    shuffled = df.sample(frac=1.0, random_state=3)
    order = list(pd.unique(shuffled["series_id"]))
    many = gc.fit_many("linear", shuffled)
    assert list(many.series_ids) == order
    tidy = gc.fit_many("linear", df)
    np.testing.assert_array_equal(many.params.loc[["s", "r", "q"]].to_numpy(), tidy.params.to_numpy())


# ------------------------------------------------------------------ percentages per series
def _over_100(many) -> bool:
    return bool((many.forecast(steps=40)["upper"] > 100.0).any())


def test_percent_default_is_false_for_plain_ids_and_value_column():
    many = gc.fit_many("linear", _frame(["a", "b"], scale=95.0))
    assert not many.percent.any() and _over_100(many)  # a linear trend runs past 100 without the flag


@pytest.mark.parametrize("percent, expected", [
    (True, [True, True, True]),
    (False, [False, False, False]),
    (["b"], [False, True, False]),
    ({"a", "c"}, [True, False, True]),
    ("is_share", [True, False, True]),
])
def test_percent_forms(percent, expected):
    df = _frame(["a", "b", "c"], scale=95.0)
    df["is_share"] = df["series_id"].isin(["a", "c"])
    many = gc.fit_many("linear", df, percent=percent)
    assert many.percent.tolist() == expected
    fc = many.forecast(steps=40)
    top = fc.groupby("series_id", sort=False)["upper"].max()
    for sid, flag in zip("abc", expected):
        assert (top[sid] <= 100.0) if flag else (top[sid] > 100.0)


def test_percent_flags_follow_integer_ids():
    many = gc.fit_many("linear", _frame([10, 20]), percent=[20])
    assert many.percent.tolist() == [False, True] and many[20].percent and not many[10].percent


def test_a_pct_value_column_makes_all_its_series_percentages():
    df = _frame(["fr", "de"]).rename(columns={"value": "share_pct"})
    many = gc.fit_many("linear", df, value="share_pct")
    assert many.percent.tolist() == [True, True]
    with pytest.raises(gc.DataError, match=r"percentages must lie in \[0, 100\]"):
        gc.fit_many("linear", df.assign(share_pct=df["share_pct"] * 2), value="share_pct")


def test_a_pct_id_is_a_percentage_and_other_ids_are_not():
    many = gc.fit_many("linear", _frame(["internet_pct", "users_million"]))
    assert many.percent.tolist() == [True, False]


@pytest.mark.parametrize("percent, match", [
    (["zz"], r"percent: no series \['zz'\]"),
    ("no_such_column", r"percent: no column 'no_such_column'"),
    ("mixed", r"percent: column 'mixed' must be the same on every row of a series; it is not in \['a'\]"),
    ("text", r"percent: column 'text' must hold True/False"),
    (3, r"percent must be True, False, None"),
])
def test_bad_percent_is_a_data_error(percent, match):
    df = _frame(["a", "b"])
    df["mixed"] = [True, False] * 6 + [False] * 12
    df["text"] = "yes"
    with pytest.raises(gc.DataError, match=match):
        gc.fit_many("linear", df, percent=percent)


def test_a_pct_series_read_with_read_csv_keeps_its_flag_in_fit(tmp_path):
    path = tmp_path / "internet.csv"
    t = 2000.0 + np.arange(15)
    pd.DataFrame({"date": t, "internet_pct": 90 / (1 + np.exp(-0.5 * (t - 2008)))}).to_csv(path, index=False)
    d = gc.read_csv(path, value="internet_pct")
    assert d.attrs["percent"] == {"internet_pct": True}
    res = gc.fit("linear", d["t"], d["value"])
    assert res.percent and res.series_id == "internet_pct"
    assert res.forecast(steps=30)["upper"].max() <= 100.0
    framed = gc.fit("linear", d)
    assert framed.percent and framed.series_id == "internet_pct"
    np.testing.assert_array_equal(framed.fitted.params, res.fitted.params)


# ------------------------------------------------------------------ fit takes a frame
def test_fit_on_a_frame_of_one_series_equals_fit_on_arrays():
    df = _frame(["only"])
    framed = gc.fit("logistic", df)
    arrays = gc.fit("logistic", df["date"].to_numpy(), df["value"].to_numpy(), name="only")
    assert framed.series_id == "only"
    np.testing.assert_array_equal(framed.fitted.params, arrays.fitted.params)


def test_fit_on_a_frame_of_several_series_asks_for_one_or_fit_many():
    df = _frame([1, 2, 3])
    with pytest.raises(gc.DataError, match=r"holds 3 series \(\[1, 2, 3\]\); fit one with name=.*gc.fit_many"):
        gc.fit("linear", df)
    one = gc.fit("linear", df, name=2)
    alone = gc.fit("linear", df[df["series_id"] == 2].drop(columns="series_id"), name=2)
    assert one.series_id == 2
    np.testing.assert_array_equal(one.fitted.params, alone.fitted.params)
    with pytest.raises(gc.DataError, match=r"name: no series 9"):
        gc.fit("linear", df, name=9)
    with pytest.raises(gc.DataError, match="either a frame or t and y"):
        gc.fit("linear", df, df["value"])


# ------------------------------------------------------------------ a frame without its series column
def test_stacked_series_without_their_column_say_so():
    df = _frame(["a", "b", "c"]).rename(columns={"series_id": "country"})
    with pytest.raises(gc.DataError, match=r"no series column found; pass series_id="):
        gc.fit_many("linear", df)
    assert len(gc.fit_many("linear", df, series_id="country")) == 3


def test_a_named_series_column_that_is_absent_is_a_missing_column():
    with pytest.raises(gc.DataError, match=r"missing column\(s\) \['country'\]"):
        gc.fit_many("linear", _frame(["a"]), series_id="country")


def test_one_repeated_date_is_still_a_duplicate_date():
    df = _frame(["a"]).drop(columns="series_id")
    df.loc[3, "date"] = df.loc[2, "date"]
    with pytest.raises(gc.DataError, match=r"duplicate dates within a series at rows \[2, 3\]"):
        gc.fit_many("linear", df)


# ------------------------------------------------------------------ the array entry point
def test_fit_arrays_equals_fit_many():
    df = _frame(["a", "b", "c", "d"], n=20)
    many = gc.fit_many("logistic", df)
    t = df["date"].to_numpy().reshape(4, 20)
    y = df["value"].to_numpy().reshape(4, 20)
    arr = gc.fit_arrays("logistic", t, y, ids=["a", "b", "c", "d"])
    assert list(arr.series_ids) == ["a", "b", "c", "d"]
    np.testing.assert_allclose(arr.fitted.params, many.fitted.params, rtol=1e-12, atol=0)
    pd.testing.assert_frame_equal(arr.forecast(steps=3), many.forecast(steps=3), rtol=1e-12)


def test_fit_arrays_with_a_mask_and_unsorted_points_equals_fit_many_on_the_same_rows():
    rng = np.random.default_rng(4)
    df = _frame(["a", "b", "c"], n=16)
    keep = rng.random(len(df)) > 0.2
    many = gc.fit_many("logistic", df[keep])
    t = df["date"].to_numpy().reshape(3, 16)
    y = df["value"].to_numpy().reshape(3, 16)
    mask = keep.reshape(3, 16)
    perm = rng.permutation(16)  # points in any order along each row
    arr = gc.fit_arrays("logistic", t[:, perm], y[:, perm], mask[:, perm], ids=["a", "b", "c"])
    np.testing.assert_allclose(arr.fitted.params, many.fitted.params, rtol=1e-12, atol=0)
    # NaN marks missing points when no mask is given
    arr_nan = gc.fit_arrays("logistic", t, np.where(mask, y, np.nan), ids=["a", "b", "c"])
    np.testing.assert_allclose(arr_nan.fitted.params, many.fitted.params, rtol=1e-12, atol=0)


def test_fit_arrays_defaults_and_errors():
    t = 2000.0 + np.arange(10)
    y = np.vstack([2.0 + t - 2000, 5.0 + 2 * (t - 2000)])
    many = gc.fit_arrays("linear", t, y)  # one time row for every series; ids 0, 1
    assert list(many.series_ids) == [0, 1] and many[1].series_id == 1
    np.testing.assert_allclose(many[1].params["slope"], 2.0, rtol=1e-12)
    with pytest.raises(gc.DataError, match="negative"):
        gc.fit_arrays("linear", t, -y)
    with pytest.raises(gc.DataError, match="same shape"):
        gc.fit_arrays("linear", t[:5], y)
    with pytest.raises(gc.DataError, match="duplicate times"):
        gc.fit_arrays("linear", np.r_[t[:9], t[8]], y)
    with pytest.raises(gc.DataError, match=r"percentages must lie in \[0, 100\]"):
        gc.fit_arrays("linear", t, y * 10, percent=[False, True])
    with pytest.raises(gc.DataError, match="ids must name each"):
        gc.fit_arrays("linear", t, y, ids=["a", "a"])


# ------------------------------------------------------------------ independence of the batch
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lengths=st.lists(st.integers(6, 14), min_size=2, max_size=5),
    seed=st.integers(0, 2**16),
    data=st.data(),
)
def test_a_series_result_depends_neither_on_the_others_nor_on_row_order(lengths, seed, data):
    rng = np.random.default_rng(seed)
    parts = []
    for k, n in enumerate(lengths):
        t = 2000.0 + np.sort(rng.choice(40, size=n, replace=False)) / 2
        y = (50 + 10 * k) / (1 + np.exp(-0.4 * (t - 2008))) + rng.uniform(0, 1, n)
        parts.append(pd.DataFrame({"series_id": k, "date": t, "value": y}))
    df = pd.concat(parts, ignore_index=True)
    target = data.draw(st.integers(0, len(lengths) - 1))
    others = data.draw(st.lists(st.sampled_from(range(len(lengths))), unique=True))
    subset = df[df["series_id"].isin(set(others) | {target})]
    shuffled = subset.sample(frac=1.0, random_state=seed)
    alone = gc.fit_many("logistic", df[df["series_id"] == target])
    for frame in (df, shuffled):
        many = gc.fit_many("logistic", frame)
        assert many[target].status == alone[target].status
        np.testing.assert_allclose(many[target].fitted.params, alone[target].fitted.params, rtol=1e-12, atol=0)
