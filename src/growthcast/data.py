"""Bundled CNNIC data, the user's own series, and the time axis.

Time inside growthcast is always ``t`` in decimal years, with the spacing kept
as it is: 2019-06-30 to 2020-03-31 is three quarters of a year, not one step.
:func:`to_decimal_year` and :func:`from_decimal_year` are the only conversions
in the package. Numbers (ints or floats) are taken to be times already, in the
user's own unit, and then the output frames carry ``t`` but no dates.
"""

from __future__ import annotations

from collections.abc import Iterable
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
def _is_numeric_time(values: Any) -> bool:
    arr = np.asarray(values)
    return arr.dtype.kind in "iuf" or (arr.dtype.kind == "b")


def _parse_dates(values: Any, what: str) -> pd.DatetimeIndex:
    """Parse date-like input to a DatetimeIndex, naming the bad entries."""
    if isinstance(values, (str, pd.Timestamp, np.datetime64)) or np.ndim(values) == 0:
        values = [values]
    seq = pd.Series(list(values) if not isinstance(values, (pd.Series, pd.Index)) else values)
    seq = seq.reset_index(drop=True)
    if pd.api.types.is_datetime64_any_dtype(seq):
        parsed = pd.to_datetime(seq)
    else:
        parsed = pd.to_datetime(seq, errors="coerce", format="mixed")
        bad = parsed.isna() & seq.notna()
        if bad.any():
            raise DataError(
                f"{what}: could not parse {int(bad.sum())} date(s) at positions "
                f"{short_list(np.flatnonzero(bad.to_numpy()))}: "
                f"{short_list(seq[bad].tolist())}; expected dates such as '2025-06-30' "
                "or decimal years such as 2025.5"
            )
    if parsed.dt.tz is not None:
        parsed = parsed.dt.tz_localize(None)
    return pd.DatetimeIndex(parsed)


def to_decimal_year(values: Any, *, what: str = "dates") -> np.ndarray:
    """Convert dates to decimal years; numbers pass through as times.

    Parameters
    ----------
    values : date-like or float, or a sequence of them
        Timestamps, ``datetime64``, ISO strings, or numbers that already are
        times (decimal years or any unit the user works in).
    what : str
        How the input is named in error messages.

    Returns
    -------
    numpy.ndarray of float
        ``year + (moment - 1 January) / (length of that year)``, so that
        2020-01-01 is 2020.0 and 2020-07-01 is 2020.497 (a leap year).

    Examples
    --------
    >>> float(to_decimal_year("2021-01-01")[0])
    2021.0
    >>> round(float(to_decimal_year("2020-03-31")[0] - to_decimal_year("2019-06-30")[0]), 3)
    0.753
    """
    if _is_numeric_time(values):
        arr = np.atleast_1d(np.asarray(values, dtype=float))
        if not np.all(np.isfinite(arr)):
            bad = np.flatnonzero(~np.isfinite(arr))
            raise DataError(f"{what}: non-finite times at positions {short_list(bad)}")
        return arr
    if isinstance(values, (list, tuple)) or (np.ndim(values) == 1 and np.asarray(values).dtype == object):
        # a sequence mixing dates and numbers: the numbers are decimal years
        items = list(values)
        numeric = np.array([isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in items])
        if numeric.any():
            out = np.array([float(v) if n else np.nan for v, n in zip(items, numeric)])
            # numbers stand aside as NaT, so that a bad date is named by its own position
            dates = _parse_dates([pd.NaT if n else v for v, n in zip(items, numeric)], what)
            out[~numeric] = _years(dates[~numeric])
            if not np.all(np.isfinite(out)):
                bad = np.flatnonzero(~np.isfinite(out))
                raise DataError(f"{what}: missing dates or non-finite times at positions {short_list(bad)}")
            return out
    dates = _parse_dates(values, what)
    if dates.isna().any():
        bad = np.flatnonzero(dates.isna())
        raise DataError(f"{what}: missing dates at positions {short_list(bad)}")
    return _years(dates)


def _years(dates: pd.DatetimeIndex) -> np.ndarray:
    """Decimal years of dates without NaT."""
    year = dates.year.to_numpy()
    start = pd.to_datetime({"year": year, "month": 1, "day": 1})
    end = pd.to_datetime({"year": year + 1, "month": 1, "day": 1})
    elapsed = (dates - pd.DatetimeIndex(start)).total_seconds().to_numpy()
    length = (pd.DatetimeIndex(end) - pd.DatetimeIndex(start)).total_seconds().to_numpy()
    return year + elapsed / length


def from_decimal_year(t: Any) -> pd.DatetimeIndex:
    """Inverse of :func:`to_decimal_year`, rounded to the second.

    Examples
    --------
    >>> from_decimal_year([2021.0])[0]
    Timestamp('2021-01-01 00:00:00')
    """
    t = np.atleast_1d(np.asarray(t, dtype=float))
    out = np.full(t.shape, np.datetime64("NaT"), dtype="datetime64[s]")
    ok = np.isfinite(t) & (t > 1678) & (t < 2261)
    year = np.floor(t[ok]).astype(int)
    start = pd.to_datetime({"year": year, "month": 1, "day": 1}).to_numpy()
    end = pd.to_datetime({"year": year + 1, "month": 1, "day": 1}).to_numpy()
    length = (end - start) / np.timedelta64(1, "s")
    seconds = np.round((t[ok] - year) * length)
    out[ok] = (start.astype("datetime64[s]") + seconds.astype("timedelta64[s]"))
    return pd.DatetimeIndex(out.astype("datetime64[ns]"))


def half_year_grid(after: float, until: float) -> np.ndarray:
    """Decimal years of the 30 June and 31 December after ``after``, up to ``until``.

    These are the dates the CNNIC reports refer to; forecasts are laid on them.
    """
    first_year = int(np.floor(after)) - 1
    last_year = int(np.floor(until)) + 1
    dates = []
    for year in range(first_year, last_year + 1):
        dates += [f"{year}-06-30", f"{year}-12-31"]
    grid = to_decimal_year(dates)
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
    series_id : str, optional
        Column naming the series; without it the frame is one series named
        after the ``value`` column.
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

    Raises
    ------
    DataError
        Missing columns, unparsable dates, duplicate dates within a series,
        infinite or negative values, percentages outside (0, 100]; the
        message names the column and the offending rows or dates.
    """
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame, got {type(df).__name__}")
    needed = [date, value] + ([series_id] if series_id is not None else [])
    absent = [c for c in needed if c not in df.columns]
    if absent:
        raise DataError(
            f"missing column(s) {absent}; the frame has {short_list(df.columns)}"
        )
    if missing not in ("drop", "raise"):
        raise DataError(f"missing must be 'drop' or 'raise', got {missing!r}")
    if len(df) == 0:
        raise DataError("the frame is empty: no rows to fit")
    ids = df[series_id].astype(str) if series_id is not None else pd.Series(str(value), index=df.index)
    rows = df.index.to_numpy()

    raw_values = pd.to_numeric(df[value], errors="coerce")
    unparsable = raw_values.isna() & df[value].notna()
    if unparsable.any():
        raise DataError(
            f"column {value!r}: non-numeric values in rows {short_list(rows[unparsable.to_numpy()])}"
        )
    values = raw_values.to_numpy(dtype=float)

    date_col = df[date]
    numeric_time = _is_numeric_time(date_col.to_numpy())
    try:
        t = to_decimal_year(date_col, what=f"column {date!r}")
    except DataError as err:
        raise DataError(str(err).replace("positions", "rows")) from None
    dates = (
        pd.DatetimeIndex(np.full(len(df), np.datetime64("NaT"), dtype="datetime64[ns]"))
        if numeric_time
        else _parse_dates(date_col, f"column {date!r}")
    )

    nan = np.isnan(values)
    if nan.any() and missing == "raise":
        raise DataError(f"column {value!r}: missing values in rows {short_list(rows[nan])}")
    inf = np.isinf(values)
    if inf.any():
        raise DataError(
            f"column {value!r}: infinite values in rows {short_list(rows[inf])}; expected finite numbers"
        )
    neg = values < 0
    if neg.any():
        raise DataError(
            f"column {value!r}: negative values in rows {short_list(rows[neg])}; "
            "adoption counts and shares cannot be negative"
        )

    out = pd.DataFrame({"series_id": ids.to_numpy(), "date": dates, "t": t, "value": values})
    n_missing = out[nan].groupby("series_id").size().to_dict()
    out = out[~nan]
    if out.empty:
        raise DataError(f"column {value!r}: every value is missing; nothing to fit")

    dup = out.duplicated(["series_id", "t"], keep=False)
    if dup.any():
        where = out.loc[dup]
        shown = where["date"].dt.strftime("%Y-%m-%d") if not numeric_time else where["t"]
        raise DataError(
            f"column {date!r}: duplicate dates within a series at rows "
            f"{short_list(where.index)}: {short_list(list(zip(where['series_id'], shown)))}; "
            "each series may have one value per date"
        )

    flags = {}
    for sid in pd.unique(out["series_id"]):
        flag = is_percent_series(sid) if percent is None else bool(percent)
        flags[sid] = flag
    pct_ids = [s for s, f in flags.items() if f]
    if pct_ids:
        in_pct = out["series_id"].isin(pct_ids).to_numpy()
        vals = out["value"].to_numpy()
        bad = in_pct & ((vals <= 0) | (vals > 100))
        if bad.any():
            raise DataError(
                f"column {value!r}: percentages must lie in (0, 100], got "
                f"{short_list(vals[bad])} in rows {short_list(out.index[bad])}"
            )

    out = out.sort_values(["series_id", "t"], kind="stable", ignore_index=True)
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
    """Read and validate adoption series from a CSV file; see :func:`from_frame`."""
    try:
        df = pd.read_csv(path, **read_kwargs)
    except FileNotFoundError:
        raise DataError(f"no such file: {str(path)!r}") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise DataError(f"{str(path)!r} is not a readable CSV file: {err}") from None
    return from_frame(df, date=date, value=value, series_id=series_id, percent=percent, missing=missing)


def series_from_arrays(
    t: Any, y: Any, *, name: object = None, percent: bool | None = None, missing: str = "drop"
) -> pd.DataFrame:
    """Validate a single series given as two sequences (``fit``'s input)."""
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
    frame = pd.DataFrame({"date": list(t_arr) if t_arr.dtype == object else t_arr, name: y_arr})
    return from_frame(frame, "date", name, percent=percent, missing=missing)


def as_long(
    data: pd.DataFrame | Iterable,
    *,
    date: str = "date",
    value: str = "value",
    series_id: str | None = "series_id",
    percent: bool | None = None,
) -> pd.DataFrame:
    """Accept an already validated long frame, or validate a raw one."""
    if isinstance(data, pd.DataFrame) and {"series_id", "t", "value"} <= set(data.columns) and "percent" in data.attrs:
        return data
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame, got {type(data).__name__}")
    if series_id is not None and series_id not in data.columns:
        series_id = None
    return from_frame(data, date=date, value=value, series_id=series_id, percent=percent)


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
