"""Bundled CNNIC data, the user's own series, and the time axis.

Time inside growthcast is always ``t`` in decimal years, with the spacing kept
as it is: 2019-06-30 to 2020-03-31 is three quarters of a year, not one step.
:func:`to_decimal_year` and :func:`from_decimal_year` are the only conversions
in the package. Numbers (ints or floats) are taken to be times already, in the
user's own unit (below 1e6 in size: larger ones are timestamps or yyyymmdd
numbers, and an error), and then the output frames carry ``t`` but no dates.
Dates run from the year 1 to 9999.

Every frame that reaches a fit is validated here, with vectorised checks that
look at each distinct date string and series id once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from .errors import DataError, short_list

__all__ = [
    "load_cnnic",
    "load_cnnic_applications",
    "from_frame",
    "read_csv",
    "to_decimal_year",
    "from_decimal_year",
    "half_year_grid",
    "is_percent_series",
    "load_china_population",
    "china_population",
    "cnnic_population_check",
    "load_panel",
]

_EDITIONS_FILE = "cnnic_editions.csv"
_APPLICATIONS_FILE = "cnnic_applications.csv"
_SECONDS_PER_DAY = 86400.0


# --------------------------------------------------------------------------
# time axis
# --------------------------------------------------------------------------
# The day-month-year strings (``01/06/2020``): one order for a whole column.
_DMY = re.compile(r"^\s*(\d{1,4})([-/.])(\d{1,2})\2(\d{1,4})(?=$|[\sT])")
# A zone offset after a time of day (``...T00:00:00+08:00``, ``... 12:00 Z``).
_OFFSET = re.compile(r"(\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(?:Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)\s*$", re.I)
# Quarter labels (``2020Q2``): which day of the quarter is not said.
_QUARTER = re.compile(r"^\s*\d{4}\s*-?\s*Q[1-4]\s*$|^\s*Q[1-4]\s*-?\s*\d{4}\s*$", re.I)
_YEAR_RANGE = (1, 9999)  # what a date (Python's datetime, strftime) can hold
_MAX_VALUE = 1e150  # squares of larger values overflow in the fits
_MIN_VALUE = 1e-150  # a positive value below this has a square that underflows: the fits cannot resolve it
_EPOCH_LIKE = 1e6  # numeric times this large are timestamps or yyyymmdd numbers, not years or days


def _is_numeric_time(values: Any) -> bool:
    arr = np.asarray(values)
    return arr.dtype.kind in "iuf" or (arr.dtype.kind == "b")


def _as_series(values: Any) -> pd.Series:
    if isinstance(values, (str, pd.Timestamp, np.datetime64)) or np.ndim(values) == 0:
        values = [values]
    if not isinstance(values, (pd.Series, pd.Index)):
        values = list(values)
    return pd.Series(values).reset_index(drop=True)


def _naive(dates: pd.Series) -> pd.DatetimeIndex:
    """Datetimes as naive wall-clock times (a zone is dropped, the local time kept)."""
    dates = pd.to_datetime(dates)
    if dates.dt.tz is not None:
        dates = dates.dt.tz_localize(None)
    return pd.DatetimeIndex(dates)


def _at(codes: np.ndarray, which: np.ndarray) -> np.ndarray:
    """Positions of the entries whose unique value is one of ``which``."""
    return np.flatnonzero(np.isin(codes, which))


def _parse_unique(uniq: np.ndarray, index: np.ndarray, codes: np.ndarray, what: str) -> pd.DatetimeIndex:
    """Parse the distinct non-numeric entries of a column, with one reading for the column.

    ``uniq`` are the distinct values, ``index`` their numbers in ``codes``
    (which maps every position to its distinct value) for error messages.
    Strings in the same day/month/year layout are read in one order: an
    entry that could be day-first or month-first takes the order the other
    entries prove, and a column that proves neither, or both, is an error;
    so are two-digit years and quarter labels. A zone offset is dropped and
    the local time kept, as for a single zone.
    """
    text = np.array([isinstance(v, str) for v in uniq], dtype=bool)
    values = uniq.copy()
    # datetimes in several zones: each is kept at its local time
    for i in np.flatnonzero(~text):
        if getattr(values[i], "tzinfo", None) is not None:
            values[i] = pd.Timestamp(values[i]).tz_localize(None)
    strings = pd.Series(values[text], dtype=object)
    if len(strings):
        quarter = strings.str.match(_QUARTER).to_numpy(dtype=bool)
        if quarter.any():
            shown = strings[quarter].tolist()
            raise DataError(
                f"{what}: quarter labels such as {shown[0]!r} at positions "
                f"{short_list(_at(codes, index[text][quarter]))} do not say which day of the quarter is "
                "meant; give dates such as '2020-06-30'"
            )
        strings = strings.str.replace(_OFFSET, r"\1", regex=True)
        parts = strings.str.extract(_DMY)
        dmy = parts[0].notna().to_numpy()
        if dmy.any():
            a, b, c = (parts[k][dmy].astype(int).to_numpy() for k in (0, 2, 3))
            wa, wc = parts[0][dmy].str.len().to_numpy(), parts[3][dmy].str.len().to_numpy()
            where = index[text][dmy]
            short_year = (wa < 3) & (wc < 3)
            if short_year.any():
                raise DataError(
                    f"{what}: two-digit years are ambiguous at positions "
                    f"{short_list(_at(codes, where[short_year]))}: {short_list(strings[dmy][short_year].tolist())}; "
                    "write the year in full, e.g. '2020-06-30'"
                )
            last = wc >= 3  # day and month first; the year-first ones are ISO-like and unambiguous
            day_first, month_first = last & (a > 12), last & (b > 12)
            if day_first.any() and month_first.any():
                raise DataError(
                    f"{what}: the dates mix day-first {short_list(strings[dmy][day_first].tolist()[:3])} "
                    f"(positions {short_list(_at(codes, where[day_first]))}) and month-first "
                    f"{short_list(strings[dmy][month_first].tolist()[:3])} (positions "
                    f"{short_list(_at(codes, where[month_first]))}); use one order for the column, "
                    "or ISO dates such as '2020-06-30'"
                )
            ambiguous = last & (a != b) & (a <= 12) & (b <= 12)
            if ambiguous.any() and not (day_first.any() or month_first.any()):
                raise DataError(
                    f"{what}: dates such as {strings[dmy][ambiguous].iloc[0]!r} could be day-first or "
                    f"month-first (positions {short_list(_at(codes, where[ambiguous]))}) and no date in the "
                    "column tells which; write them as ISO dates such as '2020-06-30', or parse the "
                    "column first, e.g. pd.to_datetime(column, format='%d/%m/%Y')"
                )
            if last.any():
                day, month = (a, b) if day_first.any() else (b, a)
                rest = strings[dmy].str.replace(_DMY, "", n=1, regex=True).to_numpy(dtype=object)
                iso = [f"{y:04d}-{m:02d}-{d:02d}{r}" for y, m, d, r in zip(c[last], month[last], day[last], rest[last])]
                sub = np.array(strings[dmy], dtype=object)
                sub[last] = iso
                strings[dmy] = sub
        values[text] = strings.to_numpy(dtype=object)
    parsed = pd.to_datetime(pd.Series(values, dtype=object), errors="coerce", format="mixed")
    if parsed.isna().any() and parsed.dt.unit == "ns":  # pandas < 3 parses to ns, whose range is 1678-2261
        parsed = _parse_beyond_ns(values, parsed)
    bad = parsed.isna().to_numpy()
    if bad.any():
        raise DataError(
            f"{what}: could not parse {int(np.isin(codes, index[bad]).sum())} date(s) at positions "
            f"{short_list(_at(codes, index[bad]))}: {short_list(uniq[bad].tolist())}; expected dates such as "
            "'2025-06-30' or decimal years such as 2025.5"
        )
    return _naive(parsed)


def _parse_beyond_ns(values: np.ndarray, parsed: pd.Series) -> pd.Series:
    """``parsed`` in microseconds, with the entries pandas < 3 left NaT (out of the nanosecond range) parsed
    one by one: a ``Timestamp`` takes the unit its value needs. Only those entries, and only on pandas < 3."""
    out = parsed.dt.as_unit("us").to_numpy()
    for i in np.flatnonzero(parsed.isna().to_numpy()):
        try:
            stamp = pd.Timestamp(values[i])
        except (ValueError, TypeError, OverflowError):
            continue
        if stamp is not pd.NaT:
            out[i] = stamp.tz_localize(None).as_unit("us").to_datetime64()
    return pd.Series(out)


def _times(values: Any, what: str) -> tuple[np.ndarray, pd.DatetimeIndex | None]:
    """Decimal years of ``values``, and their dates (NaT at numbers); ``None`` for numbers only.

    Each distinct value is parsed once, so a long panel of few dates is quick.
    """
    if _is_numeric_time(values):
        arr = np.atleast_1d(np.asarray(values, dtype=float))
        if arr.size and not (np.isfinite(np.min(arr)) and np.isfinite(np.max(arr))):  # NaN if any is
            bad = np.flatnonzero(~np.isfinite(arr))
            raise DataError(f"{what}: non-finite times at positions {short_list(bad)}")
        return arr, None
    seq = _as_series(values)
    if pd.api.types.is_datetime64_any_dtype(seq):
        dates = _naive(seq)
        if dates.isna().any():
            raise DataError(f"{what}: missing dates at positions {short_list(np.flatnonzero(dates.isna()))}")
        return _years(dates), dates
    codes, uniques = pd.factorize(seq, use_na_sentinel=True)
    uniq = np.asarray(uniques, dtype=object)
    numeric = np.array([isinstance(v, (int, float, np.number)) and not isinstance(v, (bool, np.bool_))
                        for v in uniq], dtype=bool)
    t_u = np.full(len(uniq), np.nan)
    t_u[numeric] = uniq[numeric].astype(float)
    d_u = np.full(len(uniq), np.datetime64("NaT"), dtype="datetime64[us]")
    if (~numeric).any():
        parsed = _parse_unique(uniq[~numeric], np.flatnonzero(~numeric), codes, what)
        t_u[~numeric] = _years(parsed)
        d_u[~numeric] = parsed.as_unit("us").to_numpy()
    t = np.append(t_u, np.nan)[codes]  # code -1 (missing): the appended NaN
    if not np.all(np.isfinite(t)):
        bad = np.flatnonzero(~np.isfinite(t))
        kind = "missing dates or non-finite times" if numeric.any() else "missing dates"
        raise DataError(f"{what}: {kind} at positions {short_list(bad)}")
    dates = pd.DatetimeIndex(np.append(d_u, np.datetime64("NaT"))[codes])
    return t, dates


def to_decimal_year(values: Any, *, what: str = "dates") -> np.ndarray:
    """Convert dates to decimal years; numbers pass through as times.

    Parameters
    ----------
    values : date-like or float, or a sequence of them
        Timestamps, ``datetime64``, date strings, or numbers that already are
        times (decimal years or any unit the user works in). Strings are read
        with one day/month order for the whole sequence: ``30/06/2020`` fixes
        ``01/06/2020`` as 1 June; a sequence that leaves the order open, mixes
        both orders or writes two-digit years is an error. A zone offset is
        dropped and the local time kept.
    what : str
        How the input is named in error messages.

    Returns
    -------
    numpy.ndarray of float
        ``year + (moment - 1 January) / (length of that year)``, so that
        2020-01-01 is 2020.0 and 2020-07-01 is 2020.497 (a leap year).

    Raises
    ------
    DataError
        Unparsable, missing or ambiguous dates, naming their positions.

    Examples
    --------
    >>> float(to_decimal_year("2021-01-01")[0])
    2021.0
    >>> round(float(to_decimal_year("2020-03-31")[0] - to_decimal_year("2019-06-30")[0]), 3)
    0.753
    """
    return _times(values, what)[0]


def _year_starts(year: np.ndarray) -> np.ndarray:
    """1 January of each (integer) year as ``datetime64[s]``, for any year numpy holds."""
    return (np.asarray(year, dtype=np.int64) - 1970).astype("datetime64[Y]").astype("datetime64[s]")


def _years(dates: pd.DatetimeIndex) -> np.ndarray:
    """Decimal years of dates without NaT."""
    year = dates.year.to_numpy()
    start, end = _year_starts(year), _year_starts(year + 1)
    elapsed = (dates.as_unit("us").to_numpy() - start) / np.timedelta64(1, "s")
    length = (end - start) / np.timedelta64(1, "s")
    return year + elapsed / length


def from_decimal_year(t: Any) -> pd.DatetimeIndex:
    """Inverse of :func:`~growthcast.data.to_decimal_year`, rounded to the second.

    Times outside the years 1 to 9999 (which no date can hold) and
    non-finite times give NaT.

    Parameters
    ----------
    t : array_like of float
        Decimal years: the year plus the elapsed fraction of it, in seconds.

    Returns
    -------
    pandas.DatetimeIndex
        One date per time, in microseconds (so years beyond 2262 are dates too).

    Examples
    --------
    >>> from_decimal_year([2021.0])[0]
    Timestamp('2021-01-01 00:00:00')
    >>> from_decimal_year([2300.0])[0]
    Timestamp('2300-01-01 00:00:00')
    """
    t = np.atleast_1d(np.asarray(t, dtype=float))
    out = np.full(t.shape, np.datetime64("NaT"), dtype="datetime64[us]")
    ok = np.isfinite(t) & (t >= _YEAR_RANGE[0]) & (t < _YEAR_RANGE[1] + 1)
    year = np.floor(t[ok]).astype(np.int64)
    start, end = _year_starts(year), _year_starts(year + 1)
    length = (end - start) / np.timedelta64(1, "s")
    seconds = np.round((t[ok] - year) * length)
    out[ok] = start + seconds.astype("timedelta64[s]")
    return pd.DatetimeIndex(out)


def half_year_grid(after: float, until: float) -> np.ndarray:
    """Decimal years of the 30 June and 31 December after ``after``, up to ``until``.

    These are the dates the CNNIC reports refer to; forecasts are laid on them.

    Raises
    ------
    DataError
        ``until`` beyond the year 9999, which no date can hold.
    """
    if not until < _YEAR_RANGE[1] + 1:
        raise DataError(f"until: dates are supported up to 9999-12-31, got the decimal year {until:.6g}")
    years = np.arange(int(np.floor(after)) - 1, int(np.floor(until)) + 2)
    leap = ((years % 4 == 0) & ((years % 100 != 0) | (years % 400 == 0))).astype(int)
    length = 365 + leap
    # 30 June and 31 December at midnight: 180 and 364 days into a common year
    grid = np.column_stack([years + (180 + leap) / length, years + (364 + leap) / length]).ravel()
    eps = 1e-9
    return grid[(grid > after + eps) & (grid <= until + eps)]


# --------------------------------------------------------------------------
# bundled data
# --------------------------------------------------------------------------
def _data_path(name: str) -> Path:
    """The bundled file: inside the installed wheel, or ``data/`` of a checkout."""
    packaged = resources.files("growthcast").joinpath("_data", name)
    if packaged.is_file():
        return Path(str(packaged))
    checkout = Path(__file__).resolve().parents[2] / "data" / name
    if checkout.is_file():
        return checkout
    raise FileNotFoundError(f"bundled data file {name!r} is missing from this installation")


def load_cnnic() -> pd.DataFrame:
    """China's netizens and Internet penetration, one row per CNNIC report edition.

    Returns
    -------
    pandas.DataFrame
        Columns ``edition``, ``as_of`` (Timestamp of the date the figures
        refer to), ``released``, ``netizens_million``, ``penetration_pct``,
        ``mobile_netizens_million``, ``rural_netizens_million``,
        ``urban_penetration_pct``, ``rural_penetration_pct``,
        ``implied_population_million`` (netizens / penetration, derived),
        ``official_population_million`` (NBS year-end population, December
        editions; see :func:`load_china_population`), ``note``, sorted by
        edition. A blank (NaN) figure was not reported or could not
        be confirmed; nothing is interpolated. See ``data/README.md``.

    Examples
    --------
    >>> df = load_cnnic()
    >>> df.loc[df.edition == 53, ["netizens_million", "penetration_pct"]].to_numpy().tolist()
    [[1092.0, 77.5]]
    """
    df = pd.read_csv(_data_path(_EDITIONS_FILE), parse_dates=["as_of", "released"])
    df["note"] = df["note"].fillna("")
    return df.sort_values("edition", ignore_index=True)


def load_cnnic_applications() -> pd.DataFrame:
    """Users of Internet applications by CNNIC edition, in tidy (long) form.

    Returns
    -------
    pandas.DataFrame
        Columns ``edition``, ``as_of``, ``application``, ``users_million``,
        ``share_of_netizens_pct``, sorted by application and edition.
    """
    apps = pd.read_csv(_data_path(_APPLICATIONS_FILE))
    editions = load_cnnic()[["edition", "as_of"]]
    apps = apps.merge(editions, on="edition", how="left")
    cols = ["edition", "as_of", "application", "users_million", "share_of_netizens_pct"]
    return apps[cols].sort_values(["application", "edition"], ignore_index=True)


# --------------------------------------------------------------------------
# the user's own series
# --------------------------------------------------------------------------
def is_percent_series(name: object) -> bool:
    """Whether a series name marks a percentage (``*_pct``), bounded to [0, 100]."""
    return isinstance(name, str) and name.endswith("_pct")


def _default_columns(df: pd.DataFrame, date: str, value: str, series_id: str | None) -> tuple[str, str, str | None]:
    """The column names to use: statsforecast's ``unique_id, ds, y`` stand in for absent defaults, and a
    ``series_id`` (or ``unique_id``) column names the series when no series column is given."""
    cols = set(df.columns)
    if date == "date" and "date" not in cols and "ds" in cols:
        date = "ds"
    if value == "value" and "value" not in cols and "y" in cols:
        value = "y"
    if series_id == "series_id" and "series_id" not in cols and "unique_id" in cols:
        series_id = "unique_id"
    if series_id is None:
        series_id = next((c for c in ("series_id", "unique_id") if c in cols and c not in (date, value)), None)
    return date, value, series_id


def from_frame(
    df: pd.DataFrame,
    date: str = "date",
    value: str = "value",
    series_id: str | None = None,
    *,
    percent: Any = None,
    missing: str = "drop",
) -> pd.DataFrame:
    """Validate one or many adoption series given as a data frame.

    Parameters
    ----------
    df : pandas.DataFrame
        Wide (one series: a date and a value column) or long (a
        ``series_id`` column too, like statsforecast's ``unique_id, ds, y``).
    date, value : str
        Column names of the dates (or decimal-year numbers) and the values.
        Date strings are read with one day/month order for the column (see
        :func:`~growthcast.data.to_decimal_year`); a zone offset is dropped and the local time
        kept.
    series_id : str, optional
        Column naming the series; by default ``series_id`` (or statsforecast's
        ``unique_id``) if the frame has one, else the frame is one series named
        after the ``value`` column. ``ds`` and ``y`` stand in for absent
        ``date`` and ``value`` columns. Ids keep their type (integers stay
        integers, a categorical stays categorical); ids of different types
        that print alike (``1`` and ``"1"``) are an error, as are missing or
        blank ids.
    percent : bool, list of ids, str or mapping, optional
        Which series are percentages, whose values must lie in [0, 100] and
        whose forecasts stay in [0, 100]: ``True`` or ``False`` for all, a
        list (or set) of series ids, the name of a boolean column of the frame
        (one flag per row, the same within a series), or a mapping from ids
        to flags. By default (None) a series is a percentage when the
        ``value`` column's name ends in ``_pct`` (then all its series are) or
        its own id does.
    missing : {"drop", "raise"}
        Missing values (NaN, e.g. a figure an edition did not report) are
        dropped, and counted in ``attrs["n_missing"]``, or raise.

    Returns
    -------
    pandas.DataFrame
        Long frame ``series_id, date, t, value``: the series in the order of
        their first row in ``df``, each sorted by time, where ``t`` is in
        decimal years (``date`` is NaT when times were given as numbers).
        ``attrs["percent"]`` maps each series to its flag. Whatever reaches a
        fit is checked again, so editing this frame (or concatenating two of
        them) cannot skip validation; ``from_frame`` takes it again too (its
        ``t`` are then the times wherever ``date`` is NaT).

    Raises
    ------
    DataError
        Missing or repeated columns, unparsable or ambiguous dates, numeric
        times that look like Unix timestamps, missing or clashing series ids,
        duplicate dates within a series (or several series stacked without a
        series column), infinite, complex or negative values, percentages
        outside [0, 100]; the message names the column and the offending rows
        or dates.

    Examples
    --------
    >>> frame = pd.DataFrame({"series_id": [7, 7, 3, 3], "date": [2001.0, 2000.0, 2000.0, 2001.0],
    ...                       "value": [2.0, 1.0, 5.0, 6.0]})
    >>> long = from_frame(frame)
    >>> long["series_id"].tolist(), long["t"].tolist()
    ([7, 7, 3, 3], [2000.0, 2001.0, 2000.0, 2001.0])
    """
    if (date, value) == ("date", "value") and series_id in (None, "series_id") and looks_validated(df) \
            and not ("date" in df.columns and df["date"].notna().any()):
        return _revalidate(df, percent, missing).frame()  # its own output for numeric times: the times are ``t``
    return validate_long(df, date, value, series_id, percent=percent, missing=missing).frame()


@dataclass(frozen=True, eq=False)
class LongArrays:
    """Validated series as flat arrays: rows grouped by series, in order of first appearance, each by time.

    ``codes[i]`` is the series of row ``i`` (a position in ``ids``); a
    series whose every value was missing keeps its place in ``ids`` with no
    rows. ``dates`` is None when every time was given as a number (NaT
    marks the rows that were). ``index`` labels the rows in messages and in
    :meth:`frame`; ``take`` (None: all, in order) says which input rows are
    kept, and in which order.
    """

    ids: pd.Index
    codes: np.ndarray
    t: np.ndarray
    y: np.ndarray
    dates: np.ndarray | None
    percent: np.ndarray
    n_missing: np.ndarray
    index: pd.Index
    take: np.ndarray | None = None

    @property
    def has_dates(self) -> bool:
        return self.dates is not None and not np.isnat(self.dates).any()

    def missing_counts(self) -> dict:
        """Missing values dropped, by series id, for the series that had any."""
        some = np.flatnonzero(self.n_missing)
        if not len(some):
            return {}
        return dict(zip(self.ids[some].tolist(), self.n_missing[some].tolist()))

    def frame(self, keep_index: bool = False) -> pd.DataFrame:
        """The long frame ``series_id, date, t, value`` (with ``attrs`` percent and n_missing)."""
        dates = (self.dates if self.dates is not None else
                 np.full(len(self.t), np.datetime64("NaT"), dtype="datetime64[us]"))
        labels = (self.index if self.take is None else self.index[self.take]) if keep_index else None
        out = pd.DataFrame({"series_id": self.ids.take(self.codes), "date": pd.DatetimeIndex(dates), "t": self.t,
                            "value": self.y}, index=labels)
        out.attrs["percent"] = dict(zip(self.ids.tolist(), self.percent.tolist()))
        out.attrs["n_missing"] = self.missing_counts()
        return out


def _check_options(missing: Any) -> None:
    if missing not in ("drop", "raise"):
        raise DataError(f"missing must be 'drop' or 'raise', got {missing!r}")


def _labels(index: pd.Index, take: np.ndarray | None, where: np.ndarray) -> list:
    """Row labels of the rows at positions ``where`` (positions in the arrays, after ``take``), for a message."""
    where = np.flatnonzero(where) if where.dtype == bool else where
    return index[where if take is None else take[where]]


class _Addresses:
    """The addresses of an object array's items as unsigned integers, through the array interface (a view)."""

    def __init__(self, values: np.ndarray) -> None:
        self.values = values  # kept alive by the view, whose base this is
        self.__array_interface__ = {"shape": values.shape, "typestr": np.dtype(np.uintp).str, "version": 3,
                                    "strides": values.strides, "data": (values.__array_interface__["data"][0], True)}


def _run_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Factorize ``values`` by runs: equal neighbours share a code, so only the first of each run is hashed.

    Rows of a series usually come together, which makes this many times
    faster than hashing every row; None where neighbours cannot be compared
    (``pd.NA``). In an object array, neighbours that are the same object
    (ids repeated by ``np.repeat``, or read by ``pd.read_csv``, which shares
    equal strings) are equal without a look at them; distinct objects are
    compared (one pair at a time, in Python) only when there are many.
    """
    n = len(values)
    try:
        with np.errstate(invalid="ignore"):
            if values.dtype == object and n > 1:
                where = np.asarray(_Addresses(values))
                starts = np.flatnonzero(where[1:] != where[:-1]) + 1  # where another object begins
                if 4 * len(starts) > n:  # many objects (one per row?): comparing neighbours leaves fewer to hash
                    change = values[starts] != values[starts - 1]
                    if not isinstance(change, np.ndarray) or change.dtype != bool:
                        return None
                    starts = starts[change]
                heads = np.concatenate([[0], starts])
            else:
                change = values[1:] != values[:-1]
                if not isinstance(change, np.ndarray) or change.dtype != bool:
                    return None
                heads = np.flatnonzero(np.concatenate([[True], change]))
    except TypeError:
        return None
    head_codes, uniques = pd.factorize(values[heads], use_na_sentinel=True)
    if len(heads) == n:
        return head_codes, uniques
    return np.repeat(head_codes, np.diff(np.append(heads, n))), uniques


class _TextIds(NamedTuple):
    """The ids that are text, made a numpy ``StringDType`` array once for the tests of :mod:`numpy.strings`."""

    n: int
    where: Any  # the positions of the text among the ids: a boolean mask, or all of them
    text: np.ndarray | None  # None: no id is text

    @classmethod
    def of(cls, ids: pd.Index) -> "_TextIds":
        values = ids.to_numpy(dtype=object)
        kind = pd.api.types.infer_dtype(values, skipna=True)
        if kind == "string":
            return cls(len(values), slice(None), values.astype(np.dtypes.StringDType()))
        if kind.startswith("mixed"):  # a slow path for a rare column: ids of several types
            text = np.frompyfunc(lambda v: isinstance(v, str), 1, 1)(values).astype(bool)
            if text.any():
                return cls(len(values), text, values[text].astype(np.dtypes.StringDType()))
        return cls(len(values), None, None)

    def test(self, test: Any) -> np.ndarray:
        """``test`` applied to the ids that are text, in one call; False elsewhere."""
        out = np.zeros(self.n, dtype=bool)
        if self.text is not None:
            out[self.where] = test(self.text)
        return out


def _blank(text: np.ndarray) -> np.ndarray:
    """``np.strings.strip(text) == ""``, without making the stripped strings (the slow part).

    ``strip`` removes whitespace (``str.isspace``) from the left and whitespace or NUL from the right: a text
    without NUL is blank when it is empty or all whitespace; those with a NUL are stripped.
    """
    blank = np.strings.isspace(text) | (np.strings.str_len(text) == 0)
    nul = np.strings.find(text, "\x00") >= 0
    if nul.any():
        blank[nul] = np.strings.str_len(np.strings.strip(text[nul])) == 0
    return blank


def _factorize_ids(raw: pd.Series, name: str, index: pd.Index) -> tuple[np.ndarray, pd.Index, _TextIds]:
    """Codes of the rows' series, the ids in order of first appearance (keeping the column's dtype), and
    those that are text.

    Missing or blank ids are errors, and so are ids of different types that
    print alike (``1`` and ``"1"``, ``1`` and ``1.0``), which a dictionary
    would silently merge or keep apart.
    """
    dtype = raw.dtype
    plain = isinstance(dtype, np.dtype) or isinstance(dtype, pd.StringDtype) and dtype.storage == "python"
    found = _run_codes(raw.to_numpy()) if plain and not isinstance(dtype, pd.CategoricalDtype) else None
    codes, uniques = found if found is not None else pd.factorize(raw, use_na_sentinel=True)
    if isinstance(uniques, np.ndarray) and uniques.dtype != dtype:  # e.g. str ids hashed as objects
        uniques = pd.array(uniques, dtype=dtype) if not isinstance(dtype, np.dtype) else uniques.astype(dtype)
    ids = pd.Index(uniques, name=None, tupleize_cols=False)
    # the types of every row (a C loop): 1 and 1.0 side by side are one run and one hash, yet two series
    kind = pd.api.types.infer_dtype(raw, skipna=True) if raw.dtype == object else "typed"
    text = _TextIds.of(ids)
    text_blank = text.test(_blank)
    if text_blank.any() or len(codes) and codes.min() < 0:  # a reduction first: the row mask only when needed
        blank = (codes < 0) | np.isin(codes, np.flatnonzero(text_blank))
        raise DataError(f"column {name!r}: missing or blank series ids at rows {short_list(_labels(index, None, blank))}; "
                        "name every row's series")
    if kind.startswith("mixed"):  # ids of several types: the same text must not stand for two series
        text_codes, as_text = pd.factorize(raw.astype(str).to_numpy(dtype=object))
        pairs = pd.DataFrame({"raw": codes, "text": text_codes}).drop_duplicates()
        clash = pairs["text"].duplicated(keep=False) | pairs["raw"].duplicated(keep=False)
        if clash.any():
            first = pairs.index[clash.to_numpy()]
            raise DataError(
                f"column {name!r}: distinct series ids {short_list(raw.iloc[first].tolist())} read the same as text "
                f"({short_list(pd.unique(as_text[text_codes[first]]).tolist())}) or are equal as numbers; give every "
                "series a distinct id of one type, e.g. frame[column].astype(str)"
            )
    return codes, ids, text


def _numbers(column: pd.Series, name: str, index: pd.Index) -> np.ndarray:
    """A value column as floats; dates, text and complex numbers are errors naming the rows."""
    if column.dtype.kind == "f" and isinstance(column.dtype, np.dtype):
        return column.to_numpy(dtype=float, copy=False)
    if isinstance(column.dtype, np.dtype) and column.dtype.kind in "iub":
        return column.to_numpy(dtype=float)
    if pd.api.types.is_datetime64_any_dtype(column) or pd.api.types.is_timedelta64_dtype(column):
        raise DataError(f"column {name!r}: holds dates or durations, expected numbers (values)")
    parsed = pd.to_numeric(column, errors="coerce")
    unparsable = (parsed.isna() & column.notna()).to_numpy()
    if unparsable.any():
        raise DataError(f"column {name!r}: non-numeric values in rows {short_list(_labels(index, None, unparsable))}")
    raw = parsed.to_numpy()
    if np.iscomplexobj(raw):
        imag = np.imag(raw)
        complex_rows = np.isfinite(imag) & (imag != 0) | np.isnan(imag) & parsed.notna().to_numpy()
        if complex_rows.any():
            raise DataError(f"column {name!r}: complex values in rows {short_list(_labels(index, None, complex_rows))}; "
                            "expected real numbers")
        raw = np.real(raw)
    return pd.Series(raw).to_numpy(dtype=float, na_value=np.nan)


#: Rows compared at a time when checking the order of a long frame: bounded temporaries for any size.
_BLOCK_ROWS = 1 << 20


def _order_and_duplicates(codes: np.ndarray, t: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
    """The order that sorts rows by (series, time), None when they already are; and the duplicated positions
    (in sorted order) of a time repeated within a series."""
    n = len(codes)
    ordered = True
    for s in range(0, max(n - 1, 0), _BLOCK_ROWS):
        e = min(s + _BLOCK_ROWS, n - 1)
        before, after = codes[s:e], codes[s + 1:e + 1]
        rising = np.greater(t[s + 1:e + 1], t[s:e])
        back = np.flatnonzero(np.logical_not(rising, out=rising))  # times that do not increase: a series begins?
        if (after < before).any() or (after[back] == before[back]).any():
            ordered = False
            break
    if ordered:
        return None, np.zeros(0, dtype=np.intp)
    order = np.lexsort((t, codes))
    cs, ts = codes[order], t[order]
    same = (cs[1:] == cs[:-1]) & (ts[1:] == ts[:-1])
    dup = np.flatnonzero(np.concatenate([[False], same]) | np.concatenate([same, [False]]))
    return order, dup


def _percent_flags(percent: Any, df: pd.DataFrame | None, ids: pd.Index, codes: np.ndarray, value: str,
                   index: pd.Index, text: _TextIds | None = None) -> np.ndarray:
    """One flag per series from the forms ``percent`` takes (see :func:`from_frame`); ``text`` are the ids that
    are text (:class:`_TextIds`) when known."""
    S = len(ids)
    if percent is None or isinstance(percent, Mapping):
        if is_percent_series(value):
            flags = np.ones(S, dtype=bool)
        else:
            flags = (_TextIds.of(ids) if text is None else text).test(lambda text: np.strings.endswith(text, "_pct"))
        if isinstance(percent, Mapping) and percent:
            given = pd.Series(ids.to_numpy(dtype=object), dtype=object).map(dict(percent))
            known = given.notna().to_numpy()
            flags[known] = given[known].astype(bool).to_numpy()
        return flags
    if isinstance(percent, (bool, np.bool_)):
        return np.full(S, bool(percent))
    if isinstance(percent, str):
        if df is None or percent not in df.columns:
            where = f"the frame has {short_list(df.columns)}" if df is not None else "there is no frame"
            raise DataError(f"percent: no column {percent!r} ({where}); pass True, False, a list of series ids, "
                            "or the name of a boolean column")
        column = df[percent]
        if not (pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column)) or column.isna().any() \
                or not column.isin([0, 1]).all():
            raise DataError(f"percent: column {percent!r} must hold True/False (or 1/0) on every row, got dtype "
                            f"{column.dtype}")
        row = column.to_numpy(dtype=bool)
        n_true = np.bincount(codes, weights=row, minlength=S)
        n_rows = np.bincount(codes, minlength=S)
        mixed = (n_true > 0) & (n_true < n_rows)
        if mixed.any():
            raise DataError(f"percent: column {percent!r} must be the same on every row of a series; it is not in "
                            f"{short_list(ids[mixed].tolist())}")
        return n_true > 0
    if isinstance(percent, (list, tuple, set, frozenset, np.ndarray, pd.Index, pd.Series)):
        wanted = pd.Index(list(percent), dtype=object, tupleize_cols=False)
        absent = ~np.asarray(wanted.isin(ids), dtype=bool)
        if absent.any():
            raise DataError(f"percent: no series {short_list(wanted[absent].tolist())} in the data; it has "
                            f"{short_list(ids[:9].tolist())}")
        return np.asarray(ids.isin(wanted), dtype=bool)
    raise DataError(f"percent must be True, False, None (by name), a list of series ids or a column name, "
                    f"got {percent!r}")


def validate_long(
    df: pd.DataFrame,
    date: str = "date",
    value: str = "value",
    series_id: str | None = None,
    *,
    percent: Any = None,
    missing: str = "drop",
) -> LongArrays:
    """The checks of :func:`from_frame`, on arrays: what ``fit_many`` lays out without building a frame."""
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame, got {type(df).__name__}")
    date, value, series_id = _default_columns(df, date, value, series_id)
    needed = [date, value] + ([series_id] if series_id is not None else [])
    absent = [c for c in needed if c not in df.columns]
    if absent:
        raise DataError(f"missing column(s) {absent}; the frame has {short_list(df.columns)}")
    repeated = [] if df.columns.is_unique else [c for c in dict.fromkeys(needed) if int((df.columns == c).sum()) > 1]
    if repeated:
        raise DataError(f"column(s) {repeated} appear more than once in the frame; rename one of each")
    if df.attrs:
        df = pd.DataFrame(df, copy=False)  # a view without attrs, which pandas would deep-copy at every step
    return _validate(df, df[date], df[value], df[series_id] if series_id is not None else None, df.index,
                     date=date, value=value, series_id=series_id, percent=percent, missing=missing)


def _validate(
    df: pd.DataFrame | None,
    date_col: Any,
    value_col: pd.Series,
    id_col: pd.Series | None,
    index: pd.Index,
    *,
    date: str,
    value: str,
    series_id: str | None,
    percent: Any,
    missing: str,
    times: tuple[np.ndarray, pd.DatetimeIndex | None] | None = None,
    name: object = None,
    extra_ids: list | None = None,
) -> LongArrays:
    """The checks of :func:`from_frame` on columns; ``index`` labels the rows in messages.

    ``times`` are the decimal years and dates when already known; ``name``
    is the id of a single series (default: the value column's name);
    ``extra_ids`` are series with no rows left that keep their place.
    """
    _check_options(missing)
    n = len(value_col)
    if n == 0:
        raise DataError("the frame is empty: no rows to fit")
    text = None  # the ids that are text, when known
    if id_col is not None:
        codes, ids, text = _factorize_ids(id_col, series_id, index)
    else:
        codes, ids = np.zeros(n, dtype=np.intp), pd.Index([value if name is None else name], dtype=object)
    if extra_ids:  # only those with no rows: a series that lost some values to missing="drop" has its rows
        extra = pd.Index(extra_ids, tupleize_cols=False)
        extra = extra[~np.asarray(extra.isin(ids), dtype=bool)]
        ids, text = (ids.append(extra), None) if len(extra) else (ids, text)
    values = _numbers(value_col, value, index)

    if times is None:
        try:
            t, dates = _times(date_col, f"column {date!r}")
        except DataError as err:
            raise DataError(str(err).replace("positions", "rows")) from None
    else:
        t, dates = times
    date_arr = None if dates is None else dates.as_unit("us").to_numpy()
    numbers = None if date_arr is None else np.isnat(date_arr)  # times given as numbers (None: all of them)
    big = np.zeros(0, dtype=bool)
    if max(np.max(t), -np.min(t)) >= _EPOCH_LIKE:  # two reductions first: the row mask only when needed
        big = (np.abs(t) >= _EPOCH_LIKE) if numbers is None else (np.abs(t) >= _EPOCH_LIKE) & numbers
    if big.any():
        yyyymmdd = bool(np.all((t[big] >= 1e7) & (t[big] < 1e8) & (t[big] == np.round(t[big]))))
        like, fix = (("yyyymmdd dates", "pd.to_datetime(column.astype(str), format='%Y%m%d')") if yyyymmdd else
                     ("timestamps (seconds, milliseconds or nanoseconds since 1970)",
                      "pd.to_datetime(column, unit='s')"))
        raise DataError(
            f"column {date!r}: numbers are read as times in your own unit (decimal years such as "
            f"2025.5, or days), which must be below {_EPOCH_LIKE:.0e} in size; {short_list(t[big][:3])} "
            f"in rows {short_list(_labels(index, None, big))} look like {like}; convert them to dates first, e.g. {fix}"
        )

    # two reductions decide the common case (no NaN, no bad value); the masks are built only when needed
    lowest, highest = np.min(values), np.max(values)  # NaN if any value is
    has_nan = bool(np.isnan(lowest))
    if has_nan:  # the extremes of the others
        lowest, highest = np.fmin.reduce(values), np.fmax.reduce(values)
    nan = np.isnan(values) if has_nan else None
    if has_nan and missing == "raise":
        raise DataError(f"column {value!r}: missing values in rows {short_list(_labels(index, None, nan))}")
    inf = np.isinf(values) if np.isinf(lowest) or np.isinf(highest) else None
    if inf is not None:
        raise DataError(
            f"column {value!r}: infinite values in rows {short_list(_labels(index, None, inf))}; expected finite numbers"
        )
    if highest > _MAX_VALUE:
        huge = np.abs(values) > _MAX_VALUE
        raise DataError(
            f"column {value!r}: values {short_list(values[huge][:3])} in rows {short_list(_labels(index, None, huge))} "
            f"are above {_MAX_VALUE:.0e}, beyond the magnitudes growthcast can fit; change their unit (e.g. to millions)"
        )
    if lowest < 0:
        neg = values < 0
        raise DataError(
            f"column {value!r}: negative values in rows {short_list(_labels(index, None, neg))}; "
            "adoption counts and shares cannot be negative"
        )
    flags = _percent_flags(percent, df, ids, codes, value, index, text)  # before dropping: a flag column has every row

    take = None
    n_missing = np.zeros(len(ids), dtype=np.int64)
    if has_nan:
        if nan.all():
            raise DataError(f"column {value!r}: every value is missing; nothing to fit")
        n_missing = np.bincount(codes[nan], minlength=len(ids)).astype(np.int64)
        take = np.flatnonzero(~nan)
        codes, t, values = codes[take], t[take], values[take]
        date_arr = None if date_arr is None else date_arr[take]

    order, dup = _order_and_duplicates(codes, t)
    if order is not None:
        take = order if take is None else take[order]
        codes, t, values = codes[order], t[order], values[order]
        date_arr = None if date_arr is None else date_arr[order]
    if len(dup):
        shown = (pd.DatetimeIndex(date_arr[dup]).strftime("%Y-%m-%d").tolist()
                 if date_arr is not None and not np.isnat(date_arr[dup]).any() else t[dup].tolist())
        pairs = list(zip(ids[codes[dup]].tolist(), shown))
        if id_col is None and 2 * len(np.unique(t)) <= len(t):  # dates repeat: series stacked without their column
            raise DataError(
                f"no series column found; pass series_id= naming the column that tells the series apart: the "
                f"frame repeats its dates (duplicate dates in column {date!r} at rows "
                f"{short_list(_labels(index, take, dup))}: {short_list(shown)}), as several series stacked in one "
                "frame do"
            )
        raise DataError(
            f"column {date!r}: duplicate dates within a series at rows "
            f"{short_list(_labels(index, take, dup))}: {short_list(pairs)}; each series may have one value per date"
            + ("" if id_col is not None else " (for several series in one frame, pass series_id= naming their column)")
        )

    if lowest < _MIN_VALUE and ((values > 0) & (values < _MIN_VALUE)).any():  # tiny values: is one a series' top?
        top = np.zeros(len(ids))
        np.maximum.at(top, codes, values)
        tiny = (top > 0) & (top < _MIN_VALUE)
        if tiny.any():
            raise DataError(
                f"column {value!r}: every value of series {short_list(ids[tiny].tolist())} is below {_MIN_VALUE:.0e}, "
                "beyond the magnitudes growthcast can fit; change their unit"
            )
    if flags.any():
        bad = flags[codes] & ((values < 0) | (values > 100))
        if bad.any():
            raise DataError(
                f"column {value!r}: percentages must lie in [0, 100], got "
                f"{short_list(values[bad][:8])} in rows {short_list(_labels(index, take, bad))}"
            )
    return LongArrays(ids=ids, codes=codes, t=t, y=values, dates=date_arr, percent=flags, n_missing=n_missing,
                      index=index, take=take)


def read_csv(
    path: str | Path,
    date: str = "date",
    value: str = "value",
    series_id: str | None = None,
    *,
    percent: Any = None,
    missing: str = "drop",
    **read_kwargs: Any,
) -> pd.DataFrame:
    """Read and validate adoption series from a CSV file.

    The file is read with :func:`pandas.read_csv` and validated by
    :func:`from_frame`, with the same columns, defaults and checks. The
    ``series_id`` column is read as text, so ids such as ``01`` and ``1``
    stay distinct (unless ``dtype`` in ``read_kwargs`` says otherwise: e.g.
    ``dtype={"id": int}`` for integer ids).

    Parameters
    ----------
    path : str or Path
        The CSV file: wide (a date and a value column) or long (a series
        column too, like statsforecast's ``unique_id, ds, y``).
    date, value : str
        Column names of the dates (or decimal-year numbers) and the values;
        ``ds`` and ``y`` stand in for absent ``date`` and ``value`` columns.
    series_id : str, optional
        Column naming the series; by default ``series_id`` (or ``unique_id``)
        if the file has one, else the file is one series named after the
        ``value`` column.
    percent : bool, list of ids, str or mapping, optional
        Which series are percentages that must lie in [0, 100]: ``True`` or
        ``False`` for all, a list of series ids, the name of a boolean column,
        or a mapping from id to flag (see :func:`from_frame`). By default a
        series is one when its id or the value column's name ends in ``_pct``.
    missing : {"drop", "raise"}
        Missing values are dropped (and counted in ``attrs["n_missing"]``) or
        raise.
    **read_kwargs
        Passed to :func:`pandas.read_csv`, e.g. ``sep=";"``, ``decimal=","``
        or ``skiprows=2``.

    Returns
    -------
    pandas.DataFrame
        Long frame ``series_id, date, t, value``, the series in the order of
        their first row and each sorted by time,
        as :func:`from_frame` returns it; ``t`` is in decimal years.

    Raises
    ------
    DataError
        If the file does not exist, cannot be read or is not CSV, and for
        every problem :func:`from_frame` reports (missing columns, bad dates,
        duplicate dates in a series, negative values...), naming the column
        and the offending rows or dates.

    See Also
    --------
    from_frame : the same from a data frame.
    load_panel : the bundled series as one long frame.

    Examples
    --------
    >>> import growthcast as gc
    >>> from pathlib import Path
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "adoption.csv"
    >>> _ = path.write_text("date,value\\n2019-12-31,10\\n2020-12-31,14\\n2021-12-31,19\\n")
    >>> gc.read_csv(path)[["series_id", "date", "value"]]
      series_id       date  value
    0     value 2019-12-31   10.0
    1     value 2020-12-31   14.0
    2     value 2021-12-31   19.0
    """
    if series_id is not None:
        dtype = read_kwargs.get("dtype")
        if dtype is None:
            read_kwargs["dtype"] = {series_id: str}
        elif isinstance(dtype, Mapping) and series_id not in dtype:
            read_kwargs["dtype"] = {**dtype, series_id: str}
    try:
        df = pd.read_csv(path, **read_kwargs)
    except FileNotFoundError:
        raise DataError(f"no such file: {str(path)!r}") from None
    except IsADirectoryError:
        raise DataError(f"{str(path)!r} is a directory, not a CSV file") from None
    except PermissionError:
        raise DataError(f"{str(path)!r} cannot be read: permission denied") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise DataError(f"{str(path)!r} is not a readable CSV file: {err}") from None
    return from_frame(df, date=date, value=value, series_id=series_id, percent=percent, missing=missing)


def series_from_arrays(
    t: Any, y: Any, *, name: object = None, percent: bool | None = None, missing: str = "drop"
) -> LongArrays:
    """Validate a single series given as two sequences (``fit``'s input).

    Two pandas Series are paired by position, so their indexes must be equal
    (a DataError otherwise: align them first, e.g. ``y.reindex(t.index)``).
    A column of a validated frame (:func:`from_frame`) of one series keeps
    that series' name and percentage flag.
    """
    if isinstance(t, pd.Series) and isinstance(y, pd.Series) and not t.index.equals(y.index):
        raise DataError(
            "t and y are pandas Series with different indexes, and would be paired by position; "
            "align them first (e.g. y = y.reindex(t.index)) or pass arrays"
        )
    flags = y.attrs.get("percent") if isinstance(y, pd.Series) else None
    if isinstance(flags, Mapping) and len(flags) == 1:  # a column of a validated frame of one series
        (own, flag), = flags.items()
        name = own if name is None else name
        percent = bool(flag) if percent is None else percent
    t_values = t.to_numpy() if isinstance(t, (pd.Series, pd.Index)) else t
    y_values = y.to_numpy() if isinstance(y, (pd.Series, pd.Index)) else y
    t_arr = np.atleast_1d(np.asarray(t_values))
    if _is_numeric_time(t_arr):
        t_arr = t_arr.astype(float)
    elif t_arr.dtype.kind != "M":  # datetime64 stays as it is: as objects, [ns] would become ints
        t_arr = t_arr.astype(object)
    y_arr = np.atleast_1d(np.asarray(y_values))
    if t_arr.ndim != 1 or y_arr.ndim != 1:
        raise DataError("t and y must be one-dimensional")
    if len(t_arr) != len(y_arr):
        raise DataError(f"t and y must have the same length, got {len(t_arr)} and {len(y_arr)}")
    if name is None or (isinstance(name, str) and not name):
        name = getattr(y, "name", None)
        name = "y" if name is None or name == "" else name  # 0 is an id
    # columns are passed apart, so a series named "date" is not taken for the time axis
    t_col = pd.Series(list(t_arr) if t_arr.dtype == object else t_arr)
    return _validate(None, t_col, pd.Series(y_arr), None, pd.RangeIndex(len(y_arr)), date="date", value=str(name),
                     series_id=None, percent=percent, missing=missing, name=name)


class PlainSeries(NamedTuple):
    """One series that passed :func:`plain_series`: observed points sorted by time."""

    t: np.ndarray  # decimal years, increasing
    y: np.ndarray
    name: object  # the series' id
    percent: bool
    n_missing: int
    has_dates: bool


_NAT = np.iinfo(np.int64).min  # NaT among datetime64's integers


def plain_series(t: Any, y: Any, *, percent: bool | None = None, name: object = None) -> PlainSeries | None:
    """:func:`series_from_arrays` for the common case, without building a frame; None otherwise.

    The common case: numbers (or dates without a zone) strictly increasing
    in time and values that are numbers, none infinite, negative or beyond
    the magnitudes growthcast fits. Missing values are dropped and counted,
    as there. Anything else, valid or not, gives None, and the caller runs
    :func:`series_from_arrays`, which handles it or raises the error.
    """
    if not (percent is None or isinstance(percent, (bool, np.bool_))):
        return None
    if isinstance(t, pd.Series) and isinstance(y, pd.Series) and not t.index.equals(y.index):
        return None
    if isinstance(y, pd.Series) and y.attrs.get("percent"):  # a column of a validated frame: its name and flag
        return None
    # .values of a numpy dtype is .to_numpy() (a tenth of its cost for dates); a zone's dates stay objects
    t_arr = np.asarray((t.values if isinstance(t.dtype, np.dtype) else t.to_numpy())
                       if isinstance(t, (pd.Series, pd.Index)) else t)
    y_arr = np.asarray(y.to_numpy() if isinstance(y, (pd.Series, pd.Index)) else y)
    n = len(y_arr) if y_arr.ndim == 1 else 0
    if n == 0 or t_arr.shape != (n,) or y_arr.dtype.kind not in "iuf":
        return None
    if t_arr.dtype.kind in "iuf":
        times = t_arr.astype(float)
    elif t_arr.dtype.kind == "M":  # dates without a zone: _years on numpy's datetimes, not a DatetimeIndex
        moments = t_arr.astype("datetime64[us]", copy=False)
        ticks = moments.view(np.int64)
        if ticks.min() == _NAT or (moments is not t_arr and not (moments == t_arr).all()):  # NaT, below a us
            return None
        # _years: year + (moment - 1 January) / (length of the year), the timedelta divisions (as doubles
        # of microseconds and of seconds) on their integers
        first_day = moments.astype("datetime64[Y]")
        years_1970 = first_day.view(np.int64)
        year = years_1970 + 1970
        start = first_day.astype("datetime64[s]").view(np.int64)
        end = (years_1970 + 1).view("datetime64[Y]").astype("datetime64[s]").view(np.int64)
        times = year + (ticks - start * 1_000_000) / 1e6 / (end - start)
    else:
        return None
    if n > 1 and not (times[1:] > times[:-1]).all():  # unsorted, repeated or not finite times
        return None
    if not (-_EPOCH_LIKE < times[0] and times[-1] < _EPOCH_LIKE):  # sorted: the smallest and the largest time
        return None
    values = y_arr.astype(float)
    top, bottom = values.max(), values.min()
    if not (-_MAX_VALUE <= bottom and top <= _MAX_VALUE):  # False when any is missing
        kept = values == values  # not NaN
        times, values = times[kept], values[kept]
        if not len(values):
            return None
        top, bottom = values.max(), values.min()
        if not (-_MAX_VALUE <= bottom and top <= _MAX_VALUE):
            return None
    if name is None or (isinstance(name, str) and not name):
        name = getattr(y, "name", None)
        name = "y" if name is None or name == "" else name  # 0 is an id
    flag = is_percent_series(str(name)) if percent is None else bool(percent)
    if bottom < 0 or 0 < top < _MIN_VALUE or (flag and top > 100):
        return None
    return PlainSeries(times, values, name, flag, n - len(values), t_arr.dtype.kind == "M")


def validated(
    data: pd.DataFrame,
    *,
    date: str = "date",
    value: str = "value",
    series_id: str | None = "series_id",
    percent: Any = None,
) -> LongArrays:
    """Validate the frame that is about to be fitted, as arrays.

    The output of :func:`from_frame` (columns ``series_id, t, value`` and
    ``attrs["percent"]``) is checked again, whatever its ``attrs`` say: it may
    have been edited or concatenated since. Its dates, when every row has
    one, are the time axis (and must agree with ``t``); otherwise ``t`` is.
    A ``value`` (or ``date``, ``series_id``) naming another of its columns
    asks for that column, checked as in any frame. Any other frame goes through
    :func:`validate_long`; ``series_id`` left at its default
    ``"series_id"`` and absent means one series (or statsforecast's
    ``unique_id``), while another name must be a column.
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame, got {type(data).__name__}")
    if looks_validated(data):
        own = ("series_id", "date", "t", "value")
        if not any(c is not None and c not in own and c in data.columns for c in (date, value, series_id)):
            return _revalidate(data, percent)
        # the name of another of its columns asks for that column (``value="smoothed"`` added to it)
        if date == "date" and data.columns.is_unique and not ("date" in data.columns and data["date"].notna().any()):
            date = "t"
    if series_id == "series_id" and series_id not in data.columns:
        series_id = None
    return validate_long(data, date, value, series_id, percent=percent)


def as_long(data: pd.DataFrame, **kwargs: Any) -> pd.DataFrame:
    """:func:`validated` as a long frame; a validated frame keeps its index."""
    keep = isinstance(data, pd.DataFrame) and looks_validated(data)
    return validated(data, **kwargs).frame(keep_index=keep)


def looks_validated(data: pd.DataFrame) -> bool:
    """Whether ``data`` looks like :func:`from_frame`'s output: columns ``series_id, t, value`` and its
    ``attrs``, or (the attrs lost to a pandas operation) a ``date`` column with no date: times given as numbers."""
    if not {"series_id", "t", "value"} <= set(data.columns):
        return False
    if "percent" in data.attrs:
        return True
    date = data["date"] if "date" in data.columns and data.columns.is_unique else None
    return date is not None and pd.api.types.is_datetime64_any_dtype(date) and len(date) > 0 and date.isna().all()


def _revalidate(data: pd.DataFrame, percent: Any, missing: str = "drop") -> LongArrays:
    """:func:`validated` for a frame that looks validated: every check again, vectorised."""
    repeated = [] if data.columns.is_unique else [
        c for c in ("series_id", "date", "t", "value") if int((data.columns == c).sum()) > 1]
    if repeated:
        raise DataError(f"column(s) {repeated} appear more than once in the frame; rename one of each")
    flags = dict(data.attrs.get("percent") or {}) if percent is None else percent
    dropped = dict(data.attrs.get("n_missing") or {})
    data = pd.DataFrame(data, copy=False)  # a view without attrs, which pandas would deep-copy at every step
    index = data.index
    if not pd.api.types.is_numeric_dtype(data["t"]) or pd.api.types.is_bool_dtype(data["t"]):
        raise DataError(f"column 't': expected decimal years (numbers), got dtype {data['t'].dtype}")
    t = data["t"].to_numpy(dtype=float, na_value=np.nan)
    dates = None
    if "date" in data.columns and pd.api.types.is_datetime64_any_dtype(data["date"]):
        if len(data) and data["date"].notna().all():
            t_dates, dates = _times(data["date"], "column 'date'")
            off = ~np.isclose(t_dates, t, rtol=0.0, atol=1e-6)
            if off.any():
                raise DataError(f"columns 'date' and 't' disagree in rows {short_list(_labels(index, None, off))}; "
                                "edit both, or validate the frame again with gc.from_frame")
            t = t_dates
    if not np.all(np.isfinite(t)):
        raise DataError(f"column 't': non-finite times in rows {short_list(_labels(index, None, ~np.isfinite(t)))}")
    out = _validate(data, None, data["value"], data["series_id"], index, date="t", value="value",
                    series_id="series_id", percent=flags, missing=missing, times=(t, dates), extra_ids=list(dropped))
    if dropped:  # including series whose every value was missing: they keep their place
        before = pd.Series(out.ids.to_numpy(dtype=object), dtype=object).map(dropped).fillna(0)
        out = replace(out, n_missing=out.n_missing + before.to_numpy(dtype=np.int64))
    return out


# --------------------------------------------------------------------------
# China's population: the ceiling for netizens, and the consistency check
# --------------------------------------------------------------------------
_POPULATION_FILE = "china_population.csv"


def load_china_population() -> pd.DataFrame:
    """China's official year-end population (National Bureau of Statistics).

    Returns
    -------
    pandas.DataFrame
        Columns ``year`` (int), ``population_million`` (float: the total
        population of the 31 mainland provinces plus active-duty military
        at 31 December, as printed in that year's NBS statistical
        communiqué) and ``source`` (where the figure was confirmed), sorted
        by year. Years whose figure could not be confirmed are absent. See
        ``data/README.md`` for the sources and for the later revisions
        after the 2020 census.

    Examples
    --------
    >>> pop = load_china_population()
    >>> float(pop.loc[pop.year == 2025, "population_million"].iloc[0])
    1404.89
    """
    df = pd.read_csv(_data_path(_POPULATION_FILE), dtype={"year": int, "population_million": float})
    df["source"] = df["source"].fillna("")
    return df.sort_values("year", ignore_index=True)


def china_population(year: int | None = None) -> float:
    """China's official year-end population in millions, e.g. as a ceiling for netizens.

    Parameters
    ----------
    year : int, optional
        The year whose 31 December population is wanted; by default the
        latest year bundled.

    Returns
    -------
    float
        Population in millions, as printed by the National Bureau of
        Statistics (140489万 → ``1404.89``).

    Raises
    ------
    DataError
        The year is not in the bundled table (the message lists the years
        that are).

    Examples
    --------
    Netizens cannot exceed the population, so the population can be fixed
    as the ceiling ``K`` of a curve fitted to the netizen counts:

    >>> import growthcast as gc
    >>> K = gc.data.china_population()
    >>> K
    1404.89
    >>> fit = gc.fit(gc.Logistic(fixed={"K": K}), df.as_of, df.netizens_million)  # doctest: +SKIP
    """
    pop = load_china_population()
    if year is None:
        return float(pop["population_million"].iloc[-1])
    if isinstance(year, bool) or not isinstance(year, (int, np.integer)):
        raise DataError(f"year must be an integer such as 2025, got {year!r}")
    match = pop.loc[pop["year"] == int(year), "population_million"]
    if match.empty:
        raise DataError(
            f"no official year-end population bundled for {int(year)}; "
            f"bundled years: {short_list(pop['year'].tolist())}"
        )
    return float(match.iloc[0])


def _printed_step(text: str) -> float:
    """The rounding step of a figure as printed: '940' -> 1, '67.0' -> 0.1, '1099.67' -> 0.01."""
    text = text.strip()
    decimals = len(text.split(".")[1]) if "." in text else 0
    return 10.0 ** (-decimals)


def cnnic_population_check() -> pd.DataFrame:
    """Whether each edition's netizens and penetration agree with the official population.

    The penetration rate is netizens / population. With the rounding of the
    printed figures (a netizen count printed as ``9.40亿`` = 940 million is
    known to ±0.5 million, a rate printed as ``67.0%`` to ±0.05 points), the
    two printed figures admit every population in the interval
    ``[(n - dn/2) / (p + dp/2), (n + dn/2) / (p - dp/2)] × 100``. An edition is
    consistent when the official population lies in that interval; for an
    edition not dated 31 December, when the interval meets the range
    spanned by the official populations at the year-ends before and after it.

    Returns
    -------
    pandas.DataFrame
        One row per edition printing both netizens and penetration:
        ``edition``, ``as_of``, ``netizens_million``, ``penetration_pct``,
        ``implied_population_million`` (netizens / penetration × 100),
        ``implied_low``, ``implied_high`` (the interval above),
        ``official_low``, ``official_high`` (the official year-end
        population, or the two bracketing year-ends; NaN where not bundled),
        ``offset_pct`` (how far the official population lies outside the
        implied interval, in percent of it: positive above, negative below,
        0 inside), ``consistent`` (bool, or ``pd.NA`` without an official
        figure), ``previous_year_end_million`` (the official population at
        the end of the year before) and ``consistent_with_previous_year_end``
        (whether that population lies in the implied interval: several
        December editions match the previous year's population, not their
        own; see ``data/README.md``).

    Examples
    --------
    >>> check = cnnic_population_check()
    >>> bool(check.loc[check.edition == 53, "consistent"].iloc[0])
    True
    """
    raw = pd.read_csv(_data_path(_EDITIONS_FILE), dtype=str, keep_default_na=False)
    raw = raw[(raw["netizens_million"] != "") & (raw["penetration_pct"] != "")]
    n = raw["netizens_million"].astype(float).to_numpy()
    p = raw["penetration_pct"].astype(float).to_numpy()
    dn = np.array([_printed_step(s) for s in raw["netizens_million"]]) / 2
    dp = np.array([_printed_step(s) for s in raw["penetration_pct"]]) / 2
    as_of = pd.to_datetime(raw["as_of"])
    pop = load_china_population().set_index("year")["population_million"]

    low, high = [], []
    for when in as_of:
        if when.month == 12 and when.day == 31:
            years = [when.year]
        else:
            years = [when.year - 1, when.year]
        values = [pop.get(y, np.nan) for y in years]
        if np.isnan(values).any():
            low.append(np.nan)
            high.append(np.nan)
        else:
            low.append(min(values))
            high.append(max(values))
    official_low, official_high = np.array(low), np.array(high)

    implied_low = (n - dn) / (p + dp) * 100
    implied_high = (n + dn) / (p - dp) * 100
    below = np.maximum(implied_low - official_high, 0.0)
    above = np.maximum(official_low - implied_high, 0.0)
    centre = (implied_low + implied_high) / 2
    offset = np.where(above > 0, above, np.where(below > 0, -below, 0.0)) / centre * 100
    known = np.isfinite(official_low)
    consistent = pd.array([bool(o == 0) if k else pd.NA for o, k in zip(offset, known)], dtype="boolean")
    previous = np.array([pop.get(when.year - 1, np.nan) for when in as_of])
    with_previous = pd.array(
        [bool(lo <= v <= hi) if np.isfinite(v) else pd.NA for v, lo, hi in zip(previous, implied_low, implied_high)],
        dtype="boolean",
    )
    return pd.DataFrame({
        "edition": raw["edition"].astype(int).to_numpy(),
        "as_of": as_of.to_numpy(),
        "netizens_million": n,
        "penetration_pct": p,
        "implied_population_million": n / p * 100,
        "implied_low": implied_low,
        "implied_high": implied_high,
        "official_low": official_low,
        "official_high": official_high,
        "offset_pct": np.where(known, offset, np.nan),
        "consistent": consistent,
        "previous_year_end_million": previous,
        "consistent_with_previous_year_end": with_previous,
    })


# --------------------------------------------------------------------------
# bundled example panels: subscriptions per 100 people by country
# --------------------------------------------------------------------------
_PANELS = {
    "mobile_cellular": ("mobile_cellular_subscriptions_per_100.csv", "Mobile cellular subscriptions"),
    "fixed_broadband": ("fixed_broadband_subscriptions_per_100.csv", "Fixed broadband subscriptions"),
}
_PANEL_ATTRIBUTION = "World Bank, World Development Indicators (ITU); via Our World in Data, CC BY 4.0"


def load_panel(name: str) -> pd.DataFrame:
    """A bundled yearly panel of technology adoption by country, in long format.

    Parameters
    ----------
    name : {"mobile_cellular", "fixed_broadband"}
        ``"mobile_cellular"``: mobile cellular subscriptions per 100 people
        (World Bank indicator IT.CEL.SETS.P2; 1960–2019, 213 countries; can
        exceed 100). ``"fixed_broadband"``: fixed broadband subscriptions per
        100 people (IT.NET.BBND.P2; 1998–2019, 207 countries).

    Returns
    -------
    pandas.DataFrame
        Columns ``series_id`` (country name), ``code`` (ISO 3166-1 alpha-3),
        ``year`` (int) and ``value`` (subscriptions per 100 people), sorted
        by country and year: the long format of :func:`growthcast.fit_many`
        with ``date="year"``. Years are plain numbers, so the fitted time
        axis is the year itself (2019 → ``t = 2019.0``). Regional and income
        aggregates of the source (and Kosovo, coded ``OWID_KOS``) are left
        out; zeros before a technology existed in a country are kept.

    Raises
    ------
    DataError
        An unknown panel name.

    Notes
    -----
    Source and attribution: World Bank, World Development Indicators (ITU
    World Telecommunication/ICT Indicators database); via Our World in Data,
    CC BY 4.0. See ``data/README.md``.

    Examples
    --------
    >>> mobile = load_panel("mobile_cellular")
    >>> list(mobile.columns)
    ['series_id', 'code', 'year', 'value']
    >>> many = gc.fit_many("logistic", mobile, date="year")  # doctest: +SKIP
    """
    if name not in _PANELS:
        raise DataError(f"unknown panel {name!r}; bundled panels: {sorted(_PANELS)}")
    filename, column = _PANELS[name]
    df = pd.read_csv(_data_path(filename), dtype={"Entity": str, "Code": str, "Year": int, column: float})
    out = pd.DataFrame({
        "series_id": df["Entity"].to_numpy(),
        "code": df["Code"].to_numpy(),
        "year": df["Year"].to_numpy(),
        "value": df[column].to_numpy(),
    })
    out = out.sort_values(["series_id", "year"], ignore_index=True)
    out.attrs["source"] = _PANEL_ATTRIBUTION
    return out
