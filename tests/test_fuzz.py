"""Property-based fuzzing of the loaders and ``fit_many`` (issue 13, item 6).

Valid CSV files and frames are mutated at random: separators, encodings,
line ends, dropped, duplicated and swapped rows, junk cells, ids of mixed
types, awkward dtypes. Whatever comes out must be one of:

* a validated long frame that keeps every promise of ``from_frame``, whose
  ``fit_many`` fits never give a NaN forecast beside a success status; or
* a :class:`growthcast.DataError`.

Any other exception, and any warning (the suite runs with warnings as
errors), fails. A mutated series added to clean ones never changes their
results.
"""

from __future__ import annotations

import datetime
import warnings
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import growthcast as gc

FUZZ = settings(max_examples=60, deadline=None)
MODELS = ("linear", "logistic")

_T = 2000 + 0.5 * np.arange(10)
_DATES = ["2000-06-30", "2000-12-31", "2001-06-30", "2001-12-31", "2002-06-30",
          "2002-12-31", "2003-06-30", "2003-12-31", "2004-06-30", "2004-12-31"]


def _curve(K: float, r: float, t0: float) -> np.ndarray:
    return K / (1.0 + np.exp(-r * (_T - t0)))


_CLEAN = {"a": _curve(80.0, 1.2, 2002.0), "b": _curve(1200.0, 0.9, 2002.5), "c_pct": _curve(60.0, 1.5, 2001.5)}


def _rows(dated: bool) -> list[list[str]]:
    rows = []
    for sid, values in _CLEAN.items():
        for i, v in enumerate(values):
            rows.append([sid, _DATES[i] if dated else f"{_T[i]:g}", f"{v:.6g}"])
    return rows


TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=5)
ID_JUNK = st.sampled_from(["", " ", "NA", "1", "01", "1.0", "a ", "网民", "<b>", "nan", "c_pct"]) | TEXT
DATE_JUNK = st.sampled_from([
    "", "NA", "2020-13-45", "01/06/2020", "30/06/2020", "06/30/2020", "2020Q2", "20-06-30", "30/06/20",
    "2000-06-30T00:00:00+08:00", "2000-12-31T00:00:00Z", "2001-06-30 12:00 -05:00", "2020.5", "1593475200",
    "20200630", "2270-12-31", "1650-06-30", "inf", "1e400", "2000-06-30", "30 June 2001", "2001", "abc",
]) | TEXT
VALUE_JUNK = st.sampled_from([
    "", " ", "NA", "nan", "None", "inf", "-inf", "-1", "0", "1e400", "1e308", "1e-320", "abc", "１２", "1,5", "10%",
    "True", "150", "100", "0x10", "1_000", "+5", "-0", "1j", "\"",
]) | TEXT

ROW_OPS = st.lists(
    st.one_of(
        st.tuples(st.just("drop"), st.integers(0, 29)),
        st.tuples(st.just("dup"), st.integers(0, 29)),
        st.tuples(st.just("swap"), st.integers(0, 29), st.integers(0, 29)),
        st.tuples(st.just("cell"), st.integers(0, 29), st.just(0), ID_JUNK),
        st.tuples(st.just("cell"), st.integers(0, 29), st.just(1), DATE_JUNK),
        st.tuples(st.just("cell"), st.integers(0, 29), st.just(2), VALUE_JUNK),
    ),
    max_size=8,
)


def _check_long(long: pd.DataFrame) -> None:
    """Every promise of a validated frame."""
    assert list(long.columns) == ["series_id", "date", "t", "value"]
    assert len(long) > 0
    t, y = long["t"].to_numpy(dtype=float), long["value"].to_numpy(dtype=float)
    assert np.isfinite(t).all() and np.isfinite(y).all() and (y >= 0).all()
    ids = long["series_id"]
    assert ids.notna().all() and all(s.strip() for s in ids if isinstance(s, str))  # ids keep their type
    assert not long.duplicated(["series_id", "t"]).any()
    assert (long.groupby("series_id", sort=False)["t"].diff().dropna() > 0).all()  # sorted within a series
    flags = long.attrs["percent"]
    assert set(flags) == set(ids)
    pct = np.array([flags[s] for s in ids], dtype=bool)
    assert ((y[pct] >= 0) & (y[pct] <= 100)).all()


def _check_fits(long: pd.DataFrame) -> None:
    """No NaN forecast beside a success status; failures say why."""
    for model in MODELS:
        many = gc.fit_many(model, long)
        status = many.status
        # every series with rows, and those whose every value was missing (a failure status)
        assert set(status.index) == set(long["series_id"]) | set(long.attrs["n_missing"])
        failed = status[status["status"] < 0]
        assert all(str(m).startswith("failed") for m in failed["message"])
        try:
            fc = many.forecast(steps=2)
        except gc.DataError:
            continue  # e.g. times so large that no date can hold the next half-year
        ok = fc[fc["series_id"].isin(status.index[status["status"] >= 0])]
        assert np.isfinite(ok["mean"].to_numpy(dtype=float)).all(), ok


def _apply(rows: list[list[str]], ops) -> list[list[str]]:
    rows = [list(r) for r in rows]
    for op in ops:
        if not rows:
            break
        i = op[1] % len(rows)
        if op[0] == "drop":
            del rows[i]
        elif op[0] == "dup":
            rows.insert(i, list(rows[i]))
        elif op[0] == "swap":
            j = op[2] % len(rows)
            rows[i], rows[j] = rows[j], rows[i]
        else:
            rows[i][op[2]] = op[3]
    return rows


@FUZZ
@given(
    dated=st.booleans(),
    ops=ROW_OPS,
    sep=st.sampled_from([",", ";", "\t", "|"]),
    tell_sep=st.booleans(),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "gbk", "latin-1"]),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
    quote=st.booleans(),
    trailer=st.sampled_from(["", "\n", "\n\n", ",,\n"]),
    header=st.sampled_from([("series_id", "date", "value"), ("series_id", "date", "value", "extra"),
                            ("series_id", " date", "value"), ("series_id", "date", "date")]),
)
def test_read_csv_mutations_give_a_valid_frame_or_a_data_error(tmp_path_factory, dated, ops, sep, tell_sep, encoding,
                                                               newline, quote, trailer, header):
    rows = _apply(_rows(dated), ops)
    cell = (lambda v: '"' + v.replace('"', '""') + '"') if quote else (lambda v: v)
    text = newline.join([sep.join(header)] + [sep.join(cell(v) for v in r) for r in rows]) + newline + trailer
    try:
        payload = text.encode(encoding)
    except UnicodeEncodeError:
        payload = text.encode("utf-8")
    path = tmp_path_factory.mktemp("csv") / "data.csv"
    path.write_bytes(payload)
    kwargs = {"sep": sep} if tell_sep else {}
    try:
        long = gc.read_csv(path, series_id="series_id", **kwargs)
    except gc.DataError:
        return
    _check_long(long)
    _check_fits(long)


ID = st.sampled_from(["a", "b", 1, "1", 1.0, 2, None, np.nan, pd.NA, "", " ", ("t", 1), True, "c_pct"])
WHEN = st.sampled_from([
    2020.0, 2020.5, 2021, "2020-06-30", "2021-12-31", pd.Timestamp("2021-06-30"),
    pd.Timestamp("2022-06-30", tz="UTC"), pd.Timestamp("2022-12-31", tz="Asia/Shanghai"), "30/06/2021",
    "12/31/2021", None, np.nan, "x", datetime.date(2023, 6, 30), np.datetime64("2023-12-31"), 1e9, -5.0,
    float("inf"), "2270-06-30",
])
VALUE = st.sampled_from([1.0, 2.0, 5.0, 50.0, 0.0, -1.0, np.nan, np.inf, "3", "x", None, True, 5, 1e300, 1e-300,
                         Decimal("2.5"), 1 + 2j, 3 + 0j, pd.NA])
DTYPE = st.sampled_from([None, "object", "str", "category"])


@FUZZ
@given(
    n=st.integers(1, 12),
    data=st.data(),
    id_dtype=DTYPE,
    when_dtype=DTYPE,
    value_dtype=st.sampled_from([None, "object", "Float64"]),
)
def test_from_frame_mutations_give_a_valid_frame_or_a_data_error(n, data, id_dtype, when_dtype, value_dtype):
    frame = pd.DataFrame({
        "series_id": pd.Series(data.draw(st.lists(ID, min_size=n, max_size=n)), dtype=object),
        "date": pd.Series(data.draw(st.lists(WHEN, min_size=n, max_size=n)), dtype=object),
        "value": pd.Series(data.draw(st.lists(VALUE, min_size=n, max_size=n)), dtype=object),
    })
    for column, dtype in (("series_id", id_dtype), ("date", when_dtype), ("value", value_dtype)):
        if dtype is not None:
            try:
                with warnings.catch_warnings():  # pandas' own deprecations when casting odd objects
                    warnings.simplefilter("ignore")
                    cast = frame[column].astype(dtype)
            except (TypeError, ValueError):
                continue  # this dtype cannot hold these values: keep them as objects
            frame[column] = cast
    try:
        long = gc.from_frame(frame, series_id="series_id")
    except gc.DataError:
        with pytest.raises(gc.DataError):  # fit_many on the raw frame refuses it too
            gc.fit_many("linear", frame)
        return
    _check_long(long)
    _check_fits(long)
    direct = gc.fit_many("linear", frame)  # the raw frame, validated inside fit_many
    pd.testing.assert_frame_equal(direct.params, gc.fit_many("linear", long).params)


def _clean_frame() -> pd.DataFrame:
    return pd.DataFrame({"series_id": np.repeat(list(_CLEAN), len(_T)), "date": np.tile(_T, len(_CLEAN)),
                         "value": np.concatenate(list(_CLEAN.values()))})


_ALONE = {}


def _alone(model: str):
    if model not in _ALONE:
        _ALONE[model] = gc.fit_many(model, _clean_frame())
    return _ALONE[model]


@FUZZ
@given(
    model=st.sampled_from(MODELS),
    values=st.lists(st.sampled_from([0.0, 1.0, 5.0, 5.0, 30.0, 70.0, np.nan, 1e6, 1e-6, 1e12]), min_size=1,
                    max_size=10),
    times=st.sampled_from(["grid", "reversed", "repeated", "shifted"]),
    sid=st.sampled_from(["x", "x_pct", "a "]),
)
def test_a_mutated_series_never_changes_the_others(model, values, times, sid):
    n = len(values)
    t = {"grid": _T[:n], "reversed": _T[:n][::-1], "repeated": np.r_[_T[: n - 1], _T[:1]][:n],
         "shifted": _T[:n] + 0.25}[times]
    extra = pd.DataFrame({"series_id": sid, "date": t, "value": values})
    try:
        many = gc.fit_many(model, pd.concat([_clean_frame(), extra], ignore_index=True))
    except gc.DataError:
        return  # the bad series stops the whole call, with a message naming it
    alone = _alone(model)
    for s in _CLEAN:
        assert many.status.loc[s, "status"] == alone.status.loc[s, "status"]
        np.testing.assert_allclose(many.params.loc[s].to_numpy(dtype=float), alone.params.loc[s].to_numpy(dtype=float),
                                   rtol=1e-9, atol=0)
        got = many.forecast(steps=2)
        want = alone.forecast(steps=2)
        np.testing.assert_allclose(got.loc[got.series_id == s, ["mean", "lower", "upper"]].to_numpy(dtype=float),
                                   want.loc[want.series_id == s, ["mean", "lower", "upper"]].to_numpy(dtype=float),
                                   rtol=1e-9, atol=0)


@pytest.mark.parametrize("model", MODELS)
def test_the_clean_panel_fits(model):
    many = _alone(model)
    assert (many.status["status"] >= 0).all()
