"""Series as padded arrays: where a long frame becomes (series, points) arrays with a mask.

``fit_many`` and ``backtest`` both lay their series out here: one row per
series, observed points in time order from the left, ``mask`` marking them.
The backtest's panel also carries each point's edition (or step number) and date.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._checks import as_list
from .data import as_long, from_frame, to_decimal_year
from .errors import DataError, short_list

__all__ = ["Panel", "to_arrays", "panel_of_long", "backtest_panel"]


def _bare(long: pd.DataFrame) -> pd.DataFrame:
    """``long`` without its ``attrs``, sharing its data: pandas deep-copies a frame's attrs (here dicts with
    an entry per series) into every column it hands out, so reading the bare frame's columns copies nothing."""
    return pd.DataFrame(long) if long.attrs else long


def to_arrays(long: pd.DataFrame) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """A validated long frame as padded ``(n_series, n_points)`` arrays and a mask."""
    long = _bare(long)
    codes, ids = pd.factorize(long["series_id"], sort=False)
    counts = np.bincount(codes, minlength=len(ids))
    N = int(counts.max())
    order = np.lexsort((long["t"].to_numpy(), codes))
    codes_sorted = codes[order]
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    pos = np.arange(len(order)) - starts[codes_sorted]
    t = np.zeros((len(ids), N))
    y = np.zeros((len(ids), N))
    mask = np.zeros((len(ids), N), dtype=bool)
    t[codes_sorted, pos] = long["t"].to_numpy()[order]
    y[codes_sorted, pos] = long["value"].to_numpy()[order]
    mask[codes_sorted, pos] = True
    return [str(i) for i in ids], t, y, mask


@dataclass(frozen=True)
class Panel:
    """Series as padded arrays (S, N), observed points packed to the left."""

    ids: list[str]
    t: np.ndarray
    y: np.ndarray
    mask: np.ndarray
    percent: np.ndarray  # (S,) bool
    has_dates: bool
    n_missing: dict = field(default_factory=dict)
    edition: np.ndarray | None = None  # (S, N) int, -1 on padding (backtests): the edition column, else row numbers
    has_editions: bool = False  # whether ``edition`` is the data's own edition column (backtests)
    date: np.ndarray | None = None  # (S, N) datetime64[us], NaT on padding or without dates (backtests)

    @property
    def n(self) -> np.ndarray:
        return self.mask.sum(axis=1)


def panel_of_long(long: pd.DataFrame) -> Panel:
    """The panel of a validated long frame (:func:`growthcast.data.as_long`).

    A series whose every value is missing has no rows left, but it keeps its
    place in the batch (no usable point, so a failure status) instead of
    vanishing from the result.
    """
    ids, t, y, mask = to_arrays(long)
    missing = dict(long.attrs.get("n_missing", {}))
    empty = [str(s) for s in missing if str(s) not in ids]
    if empty:
        pad = np.zeros((len(empty), t.shape[1]))
        ids, t, y = ids + empty, np.vstack([t, pad]), np.vstack([y, pad])
        mask = np.vstack([mask, np.zeros(pad.shape, dtype=bool)])
    flags = long.attrs.get("percent", {})
    percent = np.array([bool(flags.get(i, False)) for i in ids])
    return Panel(ids=ids, t=t, y=y, mask=mask, percent=percent, has_dates=bool(_bare(long)["date"].notna().all()),
                 n_missing=missing)


def backtest_panel(
    data: pd.DataFrame, series: str | Sequence[str] | None, date: str | None, value: str, series_id: str,
    edition: str | None, percent: bool | None,
) -> Panel:
    """Validate the input frame (CNNIC wide frame or long frame) into a panel."""
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame, got {type(data).__name__}")
    cols = set(data.columns)
    # statsforecast's unique_id, ds, y stand in for absent defaults
    value = "y" if value == "value" and "value" not in cols and "y" in cols else value
    series_id = "unique_id" if series_id == "series_id" and "series_id" not in cols and "unique_id" in cols \
        else series_id
    if date is None and not {"date", "as_of"} & cols and "ds" in cols:
        date = "ds"
    validated = {"series_id", "t", "value"} <= cols and "percent" in data.attrs
    one_series = series is None and series_id not in cols and value in cols  # a long frame of one series
    long_in = validated or series_id in cols or one_series
    date = date or ("date" if long_in or "as_of" not in cols else "as_of")
    edition_col = edition if edition is not None and edition in data.columns else None

    if validated:  # the output of from_frame: already checked, times in ``t``
        long = as_long(data)
        flags, missing = dict(long.attrs.get("percent", {})), dict(long.attrs.get("n_missing", {}))
        if series is not None:
            long = long[long["series_id"].isin(_wanted(long["series_id"], series))]
            long.attrs = {"percent": flags, "n_missing": missing}
        raw = pd.DataFrame({"series_id": long["series_id"].to_numpy(), "t": long["t"].to_numpy(),
                            "value": long["value"].to_numpy()})
        raw["edition"] = (data.loc[long.index, edition_col].to_numpy() if edition_col else np.nan)
    elif long_in:
        absent = [c for c in (date, value) if c not in data.columns]
        if absent:
            raise DataError(f"missing column(s) {absent}; the frame has {short_list(data.columns)}")
        frame = data
        if series is not None:
            frame = data[data[series_id].astype(str).isin(_wanted(data[series_id].astype(str), series))]
        long = from_frame(frame, date, value, None if one_series else series_id, percent=percent)
        ids = np.full(len(frame), str(value), dtype=object) if one_series else frame[series_id].astype(str).to_numpy()
        raw = pd.DataFrame({"series_id": ids,
                            "t": to_decimal_year(frame[date], what=f"column {date!r}"),
                            "value": pd.to_numeric(frame[value], errors="coerce").to_numpy()})
        raw["edition"] = frame[edition_col].to_numpy() if edition_col else np.nan
    else:
        if series is None:
            numeric = [c for c in data.columns if c not in (date, edition_col, "released")
                       and pd.api.types.is_numeric_dtype(data[c])]
            raise DataError(
                f"series: name the column(s) to backtest, e.g. series={numeric[0]!r}; the frame's numeric "
                f"columns are {short_list(numeric)}" if numeric else
                f"series: name the column(s) to backtest; the frame has {short_list(data.columns)}"
            )
        cols = list(dict.fromkeys(as_list(series)))
        if not cols:
            raise DataError("series: expected at least one column name, got an empty list")
        absent = [c for c in dict.fromkeys([date, *cols]) if c not in data.columns]
        if absent:
            raise DataError(f"missing column(s) {absent}; the frame has {short_list(data.columns)}")
        parts = [from_frame(data, date, c, percent=percent) for c in cols]  # messages name each column
        long = pd.concat(parts, ignore_index=True)
        long.attrs = {"percent": {k: v for part in parts for k, v in part.attrs["percent"].items()},
                      "n_missing": {k: v for part in parts for k, v in part.attrs["n_missing"].items()}}
        t = to_decimal_year(data[date], what=f"column {date!r}")
        ed = data[edition_col].to_numpy() if edition_col else np.nan
        raw = pd.concat([pd.DataFrame({"series_id": str(c), "t": t, "value": pd.to_numeric(data[c], errors="coerce")
                                       .to_numpy(), "edition": ed}) for c in cols], ignore_index=True)

    # editions: the given column, or the 1-based row number within the series in time order
    if edition_col is None:
        raw["edition"] = raw.groupby("series_id", sort=False)["t"].rank(method="first").to_numpy()
    observed = raw[raw["value"].notna()]
    ed = pd.to_numeric(pd.Series(observed["edition"].to_numpy()), errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(ed) | (ed != np.round(ed))
    if bad.any():
        raise DataError(f"column {edition_col!r}: editions must be whole numbers, got "
                        f"{short_list(observed['edition'].to_numpy()[bad])} where values are observed")
    key = observed[["series_id", "t"]].assign(edition=ed.astype(np.int64))
    attrs = dict(long.attrs)
    long = long.merge(key, on=["series_id", "t"], how="left", validate="one_to_one")
    long.attrs = attrs
    ids, t, y, mask = to_arrays(long)
    pos = to_arrays(long.assign(value=np.arange(len(long), dtype=float)))[2].astype(np.int64)
    edition_arr = np.where(mask, long["edition"].to_numpy()[pos], -1)
    steps = np.where(mask[:, 1:], np.diff(edition_arr, axis=1), 1)
    if (steps <= 0).any():
        rows = np.flatnonzero((steps <= 0).any(axis=1))
        raise DataError(f"column {edition_col!r}: editions must increase with the date within a series; "
                        f"they do not in {short_list([ids[i] for i in rows])}")
    dates = pd.DatetimeIndex(long["date"]).to_numpy().astype("datetime64[us]")
    date_arr = np.where(mask, dates[pos], np.datetime64("NaT", "us"))
    flags = attrs.get("percent", {})
    return Panel(
        ids=ids, t=t, y=y, mask=mask, edition=edition_arr, date=date_arr, has_editions=edition_col is not None,
        percent=np.array([bool(flags.get(i, False)) for i in ids]), has_dates=bool(long["date"].notna().all()),
        n_missing=dict(attrs.get("n_missing", {})),
    )


def _wanted(ids: pd.Series, series: str | Sequence[str]) -> list[str]:
    wanted = [str(s) for s in as_list(series)]
    known = set(ids.astype(str))
    absent = [s for s in wanted if s not in known]
    if absent:
        raise DataError(f"series: no series {short_list(absent)} in the frame; it has {short_list(sorted(known))}")
    return wanted

