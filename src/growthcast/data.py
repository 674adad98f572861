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
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

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
        if not np.all(np.isfinite(arr)):
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
    percent: bool | None = None,
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
        ``date`` and ``value`` columns. Ids are compared as text, so ids that
        differ but print alike (``1`` and ``"1"``) are an error, as are
        missing or blank ids.
    percent : bool, optional
        Whether values are percentages that must lie in (0, 100]. By default
        a series whose name ends in ``_pct`` is one.
    missing : {"drop", "raise"}
        Missing values (NaN, e.g. a figure an edition did not report) are
        dropped, and counted in ``attrs["n_missing"]``, or raise.

    Returns
    -------
    pandas.DataFrame
        Long frame ``series_id, date, t, value`` sorted by series and time,
        where ``t`` is in decimal years (``date`` is NaT when times were
        given as numbers). ``attrs["percent"]`` maps each series to its flag.
        Whatever reaches a fit is checked again, so editing this frame (or
        concatenating two of them) cannot skip validation.

    Raises
    ------
    DataError
        Missing or repeated columns, unparsable or ambiguous dates, numeric
        times that look like Unix timestamps, missing or clashing series ids,
        duplicate dates within a series, infinite, complex or negative
        values, percentages outside (0, 100]; the message names the column
        and the offending rows or dates.
    """
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame, got {type(df).__name__}")
    date, value, series_id = _default_columns(df, date, value, series_id)
    needed = [date, value] + ([series_id] if series_id is not None else [])
    absent = [c for c in needed if c not in df.columns]
    if absent:
        raise DataError(
            f"missing column(s) {absent}; the frame has {short_list(df.columns)}"
        )
    repeated = [c for c in dict.fromkeys(needed) if int((df.columns == c).sum()) > 1]
    df = pd.DataFrame(df, copy=False)  # a view without attrs, which pandas would deep-copy at every step
    if repeated:
        raise DataError(f"column(s) {repeated} appear more than once in the frame; rename one of each")
    ids = df[series_id] if series_id is not None else None
    return _validate(df[date], df[value], ids, df.index.to_numpy(), date=date, value=value,
                     series_id=series_id, percent=percent, missing=missing)


def _check_options(percent: Any, missing: Any) -> None:
    if missing not in ("drop", "raise"):
        raise DataError(f"missing must be 'drop' or 'raise', got {missing!r}")
    if not (percent is None or isinstance(percent, (bool, np.bool_, Mapping))):
        raise DataError(f"percent must be True, False or None (by the series name), got {percent!r}")


def _series_ids(raw: pd.Series, name: str, rows: np.ndarray) -> np.ndarray:
    """The ids as text; missing or blank ids and distinct ids with one text are errors.

    An id is its text, ``str(id)``: ``1``, ``1.0`` and ``True`` are three
    series, while ``1`` and ``"1"`` would be one and are an error. Apart
    from object columns (mixed types), each distinct id is looked at once.
    """
    if raw.dtype == object:
        codes, uniques = pd.factorize(raw.astype(str), use_na_sentinel=True)
        text = pd.Series(np.asarray(uniques, dtype=object), dtype=object)
        raw_codes = pd.factorize(raw, use_na_sentinel=True)[0]
    else:
        codes, uniques = pd.factorize(raw, use_na_sentinel=True)
        text = pd.Series(np.asarray(uniques, dtype=object), dtype=object).astype(str)
        raw_codes = None
    blank_text = np.append((text.str.strip() == "").to_numpy(dtype=bool), True)  # code -1 (missing): the last
    blank = raw.isna().to_numpy() | blank_text[codes]
    if blank.any():
        raise DataError(
            f"column {name!r}: missing or blank series ids at rows {short_list(rows[blank])}; "
            "name every row's series"
        )
    if raw_codes is not None:  # 1 and "1": distinct ids, one text
        pairs = pd.DataFrame({"raw": raw_codes, "text": codes}).drop_duplicates()
        clash = pairs["text"].duplicated(keep=False).to_numpy()
        if clash.any():
            first = pairs.index[clash]
            raise DataError(
                f"column {name!r}: distinct series ids {short_list(raw.iloc[first].tolist())} read the same "
                f"as text ({short_list(pd.unique(text.iloc[codes[first]]).tolist())}); give every series a "
                "distinct id of one type"
            )
    return text.to_numpy(dtype=object)[codes]


def _validate(
    date_col: pd.Series,
    value_col: pd.Series,
    id_col: pd.Series | None,
    rows: np.ndarray,
    *,
    date: str,
    value: str,
    series_id: str | None,
    percent: bool | Mapping | None,
    missing: str,
    times: tuple[np.ndarray, pd.DatetimeIndex | None] | None = None,
    keep_index: bool = False,
) -> pd.DataFrame:
    """The checks of :func:`from_frame` on columns; ``rows`` label the rows in messages.

    ``percent`` may map series ids to flags (the ``attrs`` of a validated
    frame); ids it does not name follow the ``_pct`` rule. ``times`` are the
    decimal years and dates when already known. With ``keep_index`` the
    output keeps the labels of ``rows`` instead of a fresh range.
    """
    _check_options(percent, missing)
    n = len(value_col)
    if n == 0:
        raise DataError("the frame is empty: no rows to fit")
    if id_col is not None:
        ids = _series_ids(id_col.reset_index(drop=True), series_id, rows)
    else:
        ids = np.full(n, str(value), dtype=object)

    if pd.api.types.is_datetime64_any_dtype(value_col) or pd.api.types.is_timedelta64_dtype(value_col):
        raise DataError(f"column {value!r}: holds dates or durations, expected numbers (values)")
    raw_values = pd.to_numeric(value_col, errors="coerce")
    unparsable = (raw_values.isna() & value_col.notna()).to_numpy()
    if unparsable.any():
        raise DataError(f"column {value!r}: non-numeric values in rows {short_list(rows[unparsable])}")
    if np.iscomplexobj(raw_values.to_numpy()):
        imag = np.imag(raw_values.to_numpy())
        complex_rows = np.isfinite(imag) & (imag != 0) | np.isnan(imag) & raw_values.notna().to_numpy()
        if complex_rows.any():
            raise DataError(f"column {value!r}: complex values in rows {short_list(rows[complex_rows])}; "
                            "expected real numbers")
        raw_values = pd.Series(np.real(raw_values.to_numpy()))
    values = raw_values.to_numpy(dtype=float, na_value=np.nan)

    if times is None:
        try:
            t, dates = _times(date_col, f"column {date!r}")
        except DataError as err:
            raise DataError(str(err).replace("positions", "rows")) from None
    else:
        t, dates = times
    numbers = np.ones(n, dtype=bool) if dates is None else np.asarray(dates.isna())  # times given as numbers
    big = numbers & (np.abs(t) >= _EPOCH_LIKE)
    if big.any():
        yyyymmdd = bool(np.all((t[big] >= 1e7) & (t[big] < 1e8) & (t[big] == np.round(t[big]))))
        like, fix = (("yyyymmdd dates", "pd.to_datetime(column.astype(str), format='%Y%m%d')") if yyyymmdd else
                     ("timestamps (seconds, milliseconds or nanoseconds since 1970)",
                      "pd.to_datetime(column, unit='s')"))
        raise DataError(
            f"column {date!r}: numbers are read as times in your own unit (decimal years such as "
            f"2025.5, or days), which must be below {_EPOCH_LIKE:.0e} in size; {short_list(t[big][:3])} "
            f"in rows {short_list(rows[big])} look like {like}; convert them to dates first, e.g. {fix}"
        )
    if dates is None:
        dates = pd.DatetimeIndex(np.full(n, np.datetime64("NaT"), dtype="datetime64[us]"))

    nan = np.isnan(values)
    if nan.any() and missing == "raise":
        raise DataError(f"column {value!r}: missing values in rows {short_list(rows[nan])}")
    inf = np.isinf(values)
    if inf.any():
        raise DataError(
            f"column {value!r}: infinite values in rows {short_list(rows[inf])}; expected finite numbers"
        )
    huge = np.isfinite(values) & (np.abs(values) > _MAX_VALUE)
    if huge.any():
        raise DataError(
            f"column {value!r}: values {short_list(values[huge][:3])} in rows {short_list(rows[huge])} are above "
            f"{_MAX_VALUE:.0e}, beyond the magnitudes growthcast can fit; change their unit (e.g. to millions)"
        )
    neg = values < 0
    if neg.any():
        raise DataError(
            f"column {value!r}: negative values in rows {short_list(rows[neg])}; "
            "adoption counts and shares cannot be negative"
        )

    out = pd.DataFrame({"series_id": ids, "date": dates, "t": t, "value": values}, index=rows)
    n_missing = out[nan].groupby("series_id").size().to_dict()
    out = out[~nan]
    if out.empty:
        raise DataError(f"column {value!r}: every value is missing; nothing to fit")

    top = out.groupby("series_id", sort=False)["value"].max()
    tiny = top[(top > 0) & (top < _MIN_VALUE)]
    if len(tiny):
        raise DataError(
            f"column {value!r}: every value of series {short_list(list(tiny.index))} is below {_MIN_VALUE:.0e}, "
            "beyond the magnitudes growthcast can fit; change their unit"
        )
    dup = out.duplicated(["series_id", "t"], keep=False).to_numpy()
    if dup.any():
        where = out.loc[dup]
        shown = where["date"].dt.strftime("%Y-%m-%d") if where["date"].notna().all() else where["t"]
        raise DataError(
            f"column {date!r}: duplicate dates within a series at rows "
            f"{short_list(where.index)}: {short_list(list(zip(where['series_id'], shown)))}; "
            "each series may have one value per date"
            + ("" if id_col is not None else " (for several series in one frame, name their column: series_id=...)")
        )

    sids = pd.Series(pd.unique(out["series_id"]), dtype=object)
    if percent is None or isinstance(percent, Mapping):
        flag_arr = np.array(sids.str.endswith("_pct"), dtype=bool)
        if isinstance(percent, Mapping) and percent:
            given = sids.map(lambda s: percent.get(s, None)) if not isinstance(percent, dict) else sids.map(percent)
            known = given.notna().to_numpy()
            flag_arr[known] = given[known].astype(bool).to_numpy()
    else:
        flag_arr = np.full(len(sids), bool(percent))
    sids = sids.to_numpy()
    flags = dict(zip(sids.tolist(), flag_arr.tolist()))
    if flag_arr.any():
        in_pct = out["series_id"].isin(sids[flag_arr]).to_numpy()
        vals = out["value"].to_numpy()
        bad = in_pct & ((vals <= 0) | (vals > 100))
        if bad.any():
            raise DataError(
                f"column {value!r}: percentages must lie in (0, 100], got "
                f"{short_list(vals[bad])} in rows {short_list(out.index[bad])}"
            )

    out = out.sort_values(["series_id", "t"], kind="stable", ignore_index=not keep_index)
    out.attrs["percent"] = flags
    out.attrs["n_missing"] = {k: int(v) for k, v in n_missing.items()}
    return out


def read_csv(
    path: str | Path,
    date: str = "date",
    value: str = "value",
    series_id: str | None = None,
    *,
    percent: bool | None = None,
    missing: str = "drop",
    **read_kwargs: Any,
) -> pd.DataFrame:
    """Read and validate adoption series from a CSV file.

    The file is read with :func:`pandas.read_csv` and validated by
    :func:`from_frame`, with the same columns, defaults and checks. The
    ``series_id`` column is read as text, so ids such as ``01`` and ``1``
    stay distinct (unless ``dtype`` in ``read_kwargs`` says otherwise).

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
    percent : bool, optional
        Whether values are percentages that must lie in (0, 100]. By default
        a series whose name ends in ``_pct`` is one.
    missing : {"drop", "raise"}
        Missing values are dropped (and counted in ``attrs["n_missing"]``) or
        raise.
    **read_kwargs
        Passed to :func:`pandas.read_csv`, e.g. ``sep=";"``, ``decimal=","``
        or ``skiprows=2``.

    Returns
    -------
    pandas.DataFrame
        Long frame ``series_id, date, t, value`` sorted by series and time,
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
) -> pd.DataFrame:
    """Validate a single series given as two sequences (``fit``'s input).

    Two pandas Series are paired by position, so their indexes must be equal
    (a DataError otherwise: align them first, e.g. ``y.reindex(t.index)``).
    """
    if isinstance(t, pd.Series) and isinstance(y, pd.Series) and not t.index.equals(y.index):
        raise DataError(
            "t and y are pandas Series with different indexes, and would be paired by position; "
            "align them first (e.g. y = y.reindex(t.index)) or pass arrays"
        )
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
    if name is None:
        name = getattr(y, "name", None) or "y"
    name = str(name)
    # columns are passed apart, so a series named "date" is not taken for the time axis
    t_col = pd.Series(list(t_arr) if t_arr.dtype == object else t_arr)
    return _validate(t_col, pd.Series(y_arr), None, np.arange(len(y_arr)), date="date", value=name,
                     series_id=None, percent=percent, missing=missing)


def as_long(
    data: pd.DataFrame | Iterable,
    *,
    date: str = "date",
    value: str = "value",
    series_id: str | None = "series_id",
    percent: bool | None = None,
) -> pd.DataFrame:
    """Validate the frame that is about to be fitted.

    The output of :func:`from_frame` (columns ``series_id, t, value`` and
    ``attrs["percent"]``) is checked again, whatever its ``attrs`` say: it may
    have been edited or concatenated since. Its dates, when every row has
    one, are the time axis (and must agree with ``t``); otherwise ``t`` is.
    The index of such a frame is kept. Any other frame goes through
    :func:`from_frame`.
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame, got {type(data).__name__}")
    if {"series_id", "t", "value"} <= set(data.columns) and "percent" in data.attrs:
        return _revalidate(data, percent)
    if series_id is not None and series_id not in data.columns:
        series_id = None
    return from_frame(data, date=date, value=value, series_id=series_id, percent=percent)


def _revalidate(data: pd.DataFrame, percent: bool | None) -> pd.DataFrame:
    """:func:`as_long` for a frame that looks validated: every check again, vectorised."""
    repeated = [c for c in ("series_id", "date", "t", "value") if int((data.columns == c).sum()) > 1]
    if repeated:
        raise DataError(f"column(s) {repeated} appear more than once in the frame; rename one of each")
    flags = dict(data.attrs.get("percent") or {}) if percent is None else percent
    dropped = dict(data.attrs.get("n_missing") or {})
    data = pd.DataFrame(data, copy=False)  # a view without attrs, which pandas would deep-copy at every step
    rows = data.index.to_numpy()
    if not pd.api.types.is_numeric_dtype(data["t"]) or pd.api.types.is_bool_dtype(data["t"]):
        raise DataError(f"column 't': expected decimal years (numbers), got dtype {data['t'].dtype}")
    t = data["t"].to_numpy(dtype=float, na_value=np.nan)
    dates = None
    if "date" in data.columns and pd.api.types.is_datetime64_any_dtype(data["date"]):
        if len(data) and data["date"].notna().all():
            t_dates, dates = _times(data["date"], "column 'date'")
            off = ~np.isclose(t_dates, t, rtol=0.0, atol=1e-6)
            if off.any():
                raise DataError(f"columns 'date' and 't' disagree in rows {short_list(rows[off])}; "
                                "edit both, or validate the frame again with gc.from_frame")
            t = t_dates
    if not np.all(np.isfinite(t)):
        raise DataError(f"column 't': non-finite times in rows {short_list(rows[~np.isfinite(t)])}")
    out = _validate(pd.Series(t), data["value"], data["series_id"], rows, date="t", value="value",
                    series_id="series_id", percent=flags, missing="drop", times=(t, dates), keep_index=True)
    counts = dict(out.attrs["n_missing"])
    for sid, k in dropped.items():  # including series whose every value was missing: they keep their place
        counts[sid] = counts.get(sid, 0) + int(k)
    out.attrs["n_missing"] = counts
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
