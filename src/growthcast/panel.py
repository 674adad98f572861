"""Series as padded arrays: where validated series become (series, points) arrays with a mask.

``fit_many``, ``fit_arrays`` and ``backtest`` all lay their series out here:
one row per series, in the order of their first appearance in the input,
observed points in time order from the left, ``mask`` marking them. The
backtest's panel also carries each point's edition (or step number) and date.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._checks import as_list
from .data import LongArrays, looks_validated, to_decimal_year, validate_long, validated
from .errors import DataError, short_list

__all__ = ["Panel", "panel_of", "panel_of_arrays", "backtest_panel", "PARTITION_WIDTHS"]

#: Inside a partition of a Dask frame (:mod:`growthcast.distributed` sets it around the in-memory call):
#: the padded widths of the whole frame's panel and of its backtest's training windows, which the
#: partition pads to, so that the solvers' sums give the in-memory call's bits. None outside.
PARTITION_WIDTHS: ContextVar[tuple[int, int] | None] = ContextVar("growthcast_partition_widths", default=None)


@dataclass(frozen=True)
class Panel:
    """Series as padded arrays (S, N), observed points packed to the left."""

    ids: pd.Index
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

    def row(self, b: int) -> "Panel":
        """Series ``b`` alone, its padding trimmed to its own points."""
        n = max(int(self.mask[b].sum()), 1)
        return Panel(ids=self.ids[b:b + 1], t=self.t[b:b + 1, :n], y=self.y[b:b + 1, :n],
                     mask=self.mask[b:b + 1, :n], percent=self.percent[b:b + 1], has_dates=self.has_dates,
                     n_missing={k: v for k, v in self.n_missing.items() if k == self.ids[b]})


def _layout(codes: np.ndarray, S: int, *columns: np.ndarray, width: int = 1) -> tuple[np.ndarray, list[np.ndarray]]:
    """Rows grouped by series (``codes`` non-decreasing) as (S, N) arrays, points packed left, and the mask.

    ``N`` is the longest series' number of points, or ``width`` if larger.
    A panel where every series has the same number of points is a reshape
    (views, no copy); otherwise each row is scattered to its place.
    """
    n = len(codes)
    if S and n and n % S == 0 and n // S >= width:  # as many rows for every series? (sorted codes: the first
        N, every = n // S, np.arange(S)                # and last of each block)
        if (codes[::N] == every).all() and (codes[N - 1::N] == every).all():
            return np.ones((S, N), dtype=bool), [c.reshape(S, N) for c in columns]
    starts = np.searchsorted(codes, np.arange(S + 1))  # each series' first row
    counts = np.diff(starts)
    starts = starts[:-1]
    N = max(int(counts.max()) if S else 1, width, 1)
    pos = np.arange(len(codes)) - starts[codes]
    mask = np.zeros((S, N), dtype=bool)
    mask[codes, pos] = True
    out = []
    for c in columns:
        fill = np.datetime64("NaT", "us") if c.dtype.kind == "M" else 0
        arr = np.full((S, N), fill, dtype=c.dtype)
        arr[codes, pos] = c
        out.append(arr)
    return mask, out


def panel_of(long: LongArrays, width: int = 1) -> Panel:
    """The panel of validated series (:func:`growthcast.data.validated`), at least ``width`` points wide.

    A series whose every value is missing has no rows, but it keeps its
    place in the batch (no usable point, so a failure status) instead of
    vanishing from the result. A ``width`` beyond the longest series pads
    the panel as a wider batch would (the Dask path: every partition as
    wide as the whole panel, so that the solvers' sums give the same bits).
    """
    mask, (t, y) = _layout(long.codes, len(long.ids), long.t, long.y, width=width)
    return Panel(ids=long.ids, t=t, y=y, mask=mask, percent=long.percent, has_dates=long.has_dates,
                 n_missing=long.missing_counts())


def panel_of_arrays(t, y, mask=None, *, ids=None, percent=False) -> Panel:
    """Validate series that are already (B, N) arrays and lay them out as a panel.

    ``mask`` marks the observed points (default: the finite values of
    ``y``); they need not be sorted or packed to the left. Times are decimal
    years or any unit of the caller's (numbers, no dates).
    """
    # the panel (and the result, which makes its arrays read-only) must not hold the caller's own arrays
    t = np.array(t, dtype=float, copy=True)
    y = np.array(y, dtype=float, copy=True)
    if y.ndim == 1:
        t, y = t.reshape(1, -1) if t.ndim == 1 else t, y[None, :]
        mask = None if mask is None else np.asarray(mask).reshape(1, -1)
    if t.ndim == 1 and t.shape[0] == y.shape[1]:  # one time axis for every series
        t = np.broadcast_to(t, y.shape)
    if t.shape != y.shape or y.ndim != 2:
        raise DataError(f"t and y must be (series, points) arrays of the same shape, got {t.shape} and {y.shape}")
    B, N = y.shape
    if B == 0 or N == 0:
        raise DataError(f"no series to fit: arrays of shape {y.shape}")
    if mask is None:
        mask = ~np.isnan(y)
    else:
        mask = np.array(mask, copy=True)
        if mask.shape != y.shape or mask.dtype != bool:
            raise DataError(f"mask must be a boolean array of shape {y.shape}, got {mask.dtype} {mask.shape}")
    if ids is None:
        ids = pd.RangeIndex(B)
    else:
        ids = pd.Index(ids, tupleize_cols=False)
        if len(ids) != B or ids.has_duplicates or ids.hasnans:
            raise DataError(f"ids must name each of the {B} series once, got {len(ids)} ids"
                            + (" with repeats" if ids.has_duplicates else "") + (" with missing ones" if ids.hasnans else ""))
    flags = np.asarray(percent, dtype=bool)
    if flags.shape not in ((), (B,)):
        raise DataError(f"percent: expected one flag for all series or one per series ({B}), got shape {flags.shape}")
    flags = np.broadcast_to(flags, (B,)).copy()
    full = bool(mask.all())
    for name, arr, bad in (("t", t, _bad_times), ("y", y, _bad_values)):
        if not bad(_extremes(arr, mask, full)).any():  # the good values are an interval: all are good
            continue
        bad = bad(arr) & mask
        if bad.any():
            b, k = np.argwhere(bad)[0]
            what = "finite times" if name == "t" else "finite, non-negative values below 1e150"
            raise DataError(f"{name}: expected {what} where mask is True; {int(bad.sum())} are not, first at "
                            f"series {ids[b]!r}, point {k}: {arr[b, k]!r}")
    if flags.any():
        pct_bad = flags[:, None] & mask & ((y < 0) | (y > 100))
        if pct_bad.any():
            b = np.flatnonzero(pct_bad.any(axis=1))
            raise DataError(f"y: percentages must lie in [0, 100]; they do not in series {short_list(ids[b].tolist())}")
    if full and _increasing(t):  # every point observed, in time order: nothing to sort, no time repeated
        return Panel(ids=ids, t=t, y=y, mask=mask, percent=flags, has_dates=False)
    # observed points sorted by time and packed to the left (a no-op for the usual, already sorted arrays)
    key = np.where(mask, t, np.inf)
    with np.errstate(invalid="ignore"):  # inf - inf between padding points
        if not ((np.diff(key, axis=1) > 0) | ~mask[:, 1:]).all() or (mask[:, 1:] & ~mask[:, :-1]).any():
            order = np.argsort(key, axis=1, kind="stable")
            t, y, mask = (np.take_along_axis(a, order, axis=1) for a in (t, y, mask))
            key = np.where(mask, t, np.inf)
        same = mask[:, 1:] & (np.diff(key, axis=1) == 0)
    if same.any():
        b = np.flatnonzero(same.any(axis=1))
        raise DataError(f"t: duplicate times within series {short_list(ids[b].tolist())}; each series may have one "
                        "value per time")
    return Panel(ids=ids, t=t, y=y, mask=mask, percent=flags, has_dates=False)


def _bad_times(t: np.ndarray) -> np.ndarray:
    return ~np.isfinite(t)


def _bad_values(y: np.ndarray) -> np.ndarray:
    return ~np.isfinite(y) | (y < 0) | (np.abs(y) > 1e150)


def _extremes(arr: np.ndarray, mask: np.ndarray, full: bool) -> np.ndarray:
    """The smallest and largest entries of ``arr`` where ``mask`` (NaN if one is NaN; inf, -inf if none)."""
    if full:  # every entry; of one row when all share it (a broadcast time axis)
        rows = arr[:1] if arr.strides[0] == 0 else arr
        return np.array([np.min(rows), np.max(rows)])
    return np.array([np.min(arr, where=mask, initial=np.inf), np.max(arr, where=mask, initial=-np.inf)])


def _increasing(t: np.ndarray) -> bool:
    """Whether every row of ``t`` is strictly increasing; one row when all share it (a broadcast time axis)."""
    rows = t[:1] if t.shape[0] and t.strides[0] == 0 else t
    return bool((rows[:, 1:] > rows[:, :-1]).all())


def backtest_panel(
    data: pd.DataFrame, series: str | Sequence[str] | None, date: str | None, value: str, series_id: str,
    edition: str | None, percent: bool | None, width: int = 1,
) -> Panel:
    """Validate the input frame (CNNIC wide frame or long frame) into a panel, at least ``width`` points wide."""
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame, got {type(data).__name__}")
    cols = set(data.columns)
    # statsforecast's unique_id, ds, y stand in for absent defaults
    value = "y" if value == "value" and "value" not in cols and "y" in cols else value
    series_id = "unique_id" if series_id == "series_id" and "series_id" not in cols and "unique_id" in cols \
        else series_id
    if date is None and not {"date", "as_of"} & cols and "ds" in cols:
        date = "ds"
    is_valid = looks_validated(data)  # gc.from_frame's output (times in ``t``), as fit_many takes it
    one_series = series is None and series_id not in cols and value in cols  # a long frame of one series
    long_in = is_valid or series_id in cols or one_series
    date = date or ("date" if long_in or "as_of" not in cols else "as_of")
    edition_col = edition if edition is not None and edition in data.columns else None

    if long_in:
        id_col = "series_id" if is_valid and series_id not in cols else series_id  # another column: as asked
        if not is_valid:
            absent = [c for c in (date, value) if c not in data.columns]
            if absent:
                raise DataError(f"missing column(s) {absent}; the frame has {short_list(data.columns)}")
        frame = data
        if series is not None:
            frame = data[_wanted(data[id_col], series)]
            frame.attrs = dict(data.attrs)
            if frame.attrs.get("n_missing"):  # series with no rows left come back from here: only those asked for
                kept, wanted = set(pd.unique(frame[id_col])), as_list(series)
                frame.attrs["n_missing"] = {k: v for k, v in frame.attrs["n_missing"].items()
                                            if k in kept or k in wanted}
        long = validated(frame, date=date, value=value, series_id=None if one_series else id_col, percent=percent)
        t_all = frame["t"].to_numpy(dtype=float) if is_valid else to_decimal_year(frame[date], what=f"column {date!r}")
        codes_all = np.zeros(len(frame), dtype=np.intp) if one_series else pd.factorize(frame[id_col])[0]
        editions = _editions(frame, edition_col, codes_all, t_all, long.take)
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
        parts = [validate_long(data, date, c, percent=percent) for c in cols]  # messages name each column
        t_all = to_decimal_year(data[date], what=f"column {date!r}")
        codes_all = np.zeros(len(data), dtype=np.intp)
        editions = np.concatenate([_editions(data, edition_col, codes_all, t_all, part.take) for part in parts])
        long = _concat(parts)

    mask, (t, y, edition_arr, date_arr) = _layout(
        long.codes, len(long.ids), long.t, long.y, editions,
        long.dates if long.dates is not None else np.full(len(long.t), np.datetime64("NaT"), dtype="datetime64[us]"),
        width=width)
    edition_arr = np.where(mask, edition_arr, -1)
    steps = np.where(mask[:, 1:], np.diff(edition_arr, axis=1), 1)
    if (steps <= 0).any():
        rows = np.flatnonzero((steps <= 0).any(axis=1))
        raise DataError(f"column {edition_col!r}: editions must increase with the date within a series; "
                        f"they do not in {short_list(long.ids[rows].tolist())}")
    return Panel(ids=long.ids, t=t, y=y, mask=mask, edition=edition_arr, date=date_arr,
                 has_editions=edition_col is not None, percent=long.percent,
                 has_dates=long.has_dates, n_missing=long.missing_counts())


def _editions(frame: pd.DataFrame, edition_col: str | None, codes: np.ndarray, t: np.ndarray,
              take: np.ndarray | None) -> np.ndarray:
    """Each kept row's edition: the given column, or its 1-based row number within its series in time order
    (counting the rows whose value is missing)."""
    if edition_col is None:
        ed = pd.Series(t).groupby(codes, sort=False).rank(method="first").to_numpy()
    else:
        ed = pd.to_numeric(frame[edition_col], errors="coerce").to_numpy(dtype=float)
    kept = ed if take is None else ed[take]
    bad = ~np.isfinite(kept) | (kept != np.round(kept))
    if bad.any():
        shown = frame[edition_col].to_numpy()
        shown = shown if take is None else shown[take]
        raise DataError(f"column {edition_col!r}: editions must be whole numbers, got "
                        f"{short_list(shown[bad])} where values are observed")
    return kept.astype(np.int64)


def _concat(parts: list[LongArrays]) -> LongArrays:
    """Validated single series side by side (the columns of a wide frame)."""
    offsets = np.cumsum([0] + [len(p.ids) for p in parts[:-1]])
    nat = np.datetime64("NaT", "us")
    dates = None if all(p.dates is None for p in parts) else np.concatenate(
        [p.dates if p.dates is not None else np.full(len(p.t), nat) for p in parts])
    return LongArrays(
        ids=pd.Index([i for p in parts for i in p.ids.tolist()], dtype=object),
        codes=np.concatenate([p.codes + o for p, o in zip(parts, offsets)]),
        t=np.concatenate([p.t for p in parts]), y=np.concatenate([p.y for p in parts]), dates=dates,
        percent=np.concatenate([p.percent for p in parts]), n_missing=np.concatenate([p.n_missing for p in parts]),
        index=pd.RangeIndex(sum(len(p.t) for p in parts)),
    )


def _wanted(ids: pd.Series, series: object) -> np.ndarray:
    """Rows of the series named in ``series``: by their own value, or by their text (as the command line
    gives them)."""
    wanted = as_list(series)
    rows = ids.isin(wanted).to_numpy()
    found = pd.Index(wanted, dtype=object).isin(pd.unique(ids[rows]).tolist()) if rows.any() else np.zeros(
        len(wanted), dtype=bool)
    if not found.all():
        text = ids.astype(str)
        rows = rows | text.isin([str(s) for s in wanted]).to_numpy()
        found = pd.Index([str(s) for s in wanted]).isin(pd.unique(text[rows]))
    if not found.all():
        known = pd.unique(ids).tolist()
        raise DataError(f"series: no series {short_list([w for w, f in zip(wanted, found) if not f])} in the "
                        f"frame; it has {short_list(known)}")
    return rows
