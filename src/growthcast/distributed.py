"""``fit_many`` and ``backtest`` on a Dask DataFrame, a partition of series at a time.

:func:`growthcast.fit_many` and :func:`growthcast.backtest` hand a Dask
DataFrame (``pip install "growthcast[dask]"``) to this module. Each series
must live in one partition: a frame indexed by series with known divisions
has it so; otherwise the first pass (below) checks, and the frame is
shuffled by series when a series is split. Each partition is then one batch
of the in-memory call, run where Dask runs it (the active
``dask.distributed`` client, else Dask's default scheduler), and the
partitions' results are joined into the object the in-memory call returns,
with the series in the same order.

The results are those of the in-memory call, bit for bit. A batch pads its
series to its longest one and the solvers' sums run over that width, so a
partition of short series would change the last bits of its fits (2.6e-11
relative in one rate of the bundled mobile panel split by series length).
So a first pass reads the series and value columns, which gives each
series' number of observed values, and every partition pads to the longest
(``growthcast.panel.PARTITION_WIDTHS``, set around each partition's
in-memory call). ``backtest`` pads its training windows too: its first
pass lays out each partition's origins (``backtest`` up to its fits), and
every partition pads its panel and windows to the widest.

Fits that depend on the other series of the batch cannot be split: a model
that pools across the batch (``saturating`` with ``pool=True``), the
residual bootstrap (its draws are taken for the batch as a whole), and
``fit_many(interval="backtest")`` (its calibration uses the batch's shortest
series and the horizons every series covers) raise a :class:`~growthcast.DataError`.
Run them in memory on ``data.compute()``.

Each partition is also checked as the in-memory call checks a frame, so a
check that concerns the whole frame applies to each partition in
``fit_many``: a partition whose every value is missing raises a
:class:`~growthcast.DataError` that the whole frame would not. ``backtest``
checks the whole frame as in memory from its first pass (some series long
enough for ``min_train``, the horizons within reach, some origin): a
partition whose series are all too short, or have no origin, only lists
them (``Backtest.skipped``, ``Backtest.series``).

Dask is imported only when a Dask frame arrives.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import fields, is_dataclass, replace
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from ._checks import as_list
from ._frozen import FrozenMap
from .data import looks_validated
from .errors import DataError, short_list
from .models import Fitted, Model, get_model, model_names
from .panel import PARTITION_WIDTHS
from .results import BatchFitResult

__all__ = ["is_dask", "fit_many", "backtest"]

#: The name of the weighted combination in ``backtest(models=...)``; it has no spec of its own.
_WEIGHTED = "ensemble_weighted"


def is_dask(data: Any) -> bool:
    """Whether ``data`` is a Dask collection (told without importing Dask)."""
    return type(data).__module__.split(".")[0] == "dask"


def fit_many(in_memory: Callable[..., BatchFitResult], model: str | Model, data: Any, *, series_id: str,
             fixed: Any, interval: str, **kwargs: Any) -> BatchFitResult:
    """:func:`growthcast.fit_many` (passed in as ``in_memory``) on each partition of ``data``, joined.

    Series come in the order of their first row in ``data``, as in memory.
    """
    spec = get_model(model)
    spec = spec.with_fixed(fixed) if fixed else spec
    _check_independent([spec])
    if interval in ("bootstrap", "backtest"):
        why = ("its draws are taken for the batch as a whole" if interval == "bootstrap" else
               "its calibration depends on the shortest series of the batch and the horizons every series covers")
        raise DataError(f"interval={interval!r} cannot run a partition at a time on a Dask DataFrame: {why}; "
                        "use interval='delta', or fit in memory (data.compute())")
    frame, column, order, width = _by_series(data, series_id, kwargs["value"])
    kwargs = dict(kwargs, series_id=column, interval=interval)
    parts = _compute(_fit_part, in_memory, frame, spec, kwargs, (width, 1))
    if not parts:  # no rows at all: the in-memory call says what is wrong with an empty frame
        return in_memory(spec, frame._meta, **kwargs)
    joined = _join_batches(parts)
    if order is None or list(joined.series_ids) == order or set(joined.series_ids) != set(order):
        return joined
    return _take_batch(joined, pd.Index(joined.series_ids).get_indexer(order))


def backtest(in_memory: Callable[..., Any], widths: Callable[[pd.DataFrame], tuple[int, int, Any]],
             check: Callable[[list], None], data: Any, *, series: Any, models: Any, series_id: str, intervals: Any,
             members: Any, **kwargs: Any) -> Any:
    """:func:`growthcast.backtest` (passed in as ``in_memory``) on each partition of ``data``, joined.

    ``widths`` gives the padded widths of a partition's panel and training
    windows, and what ``check`` needs to check the whole frame as in memory
    (some series long enough, the horizons within reach, some origin); a
    first pass finds them, and every partition then pads to the largest
    widths. A partition with no origin returns a :class:`Bare`. Only a long
    frame (a series column) can be partitioned by series; the series come in
    the order of their first row, as in memory.
    """
    named = [m for m in as_list(models) if m != _WEIGHTED]
    if _WEIGHTED in as_list(models):
        named += list(as_list(members))
    _check_independent([m if isinstance(m, Model) else get_model(m) for m in named
                        if isinstance(m, Model) or m in model_names()])
    if "bootstrap" in as_list(intervals):
        raise DataError("intervals 'bootstrap' cannot run a partition at a time on a Dask DataFrame: its draws are "
                        "taken for the batch as a whole; use 'delta' or 'backtest', or run in memory (data.compute())")
    frame, column, order, _ = _by_series(data, series_id, kwargs["value"])
    if series is not None:  # the ids to keep: chosen here, since a partition holds only some of them
        wanted = [str(s) for s in as_list(series)]
        order = order if order is not None else [sid for ids in _ids(frame, column) for sid in ids]
        absent = sorted(set(wanted) - {str(sid) for sid in order})  # ids matched by their text, as in memory
        if absent:
            raise DataError(f"series: no series {short_list(absent)} in the frame; it has "
                            f"{short_list(sorted(order))}")
        frame = frame.map_partitions(_keep, column, wanted)
    found = _compute(_widths_part, widths, frame, None, {})
    if found:
        check([f[2] for f in found])
    padded = tuple(int(max(f[k] for f in found)) for k in (0, 1)) if found else (1, 1)
    kwargs = dict(kwargs, series=None, models=models, series_id=column, intervals=intervals, members=members)
    parts = _compute(_backtest_part, in_memory, frame, None, kwargs, padded)
    if not parts:
        return _padded(padded, in_memory, frame._meta, **kwargs)
    return _join_backtests(parts, order)


# ----------------------------------------------------------------- partitions
def _check_independent(specs: list[Model]) -> None:
    pooled = [s.name for s in specs if not s.batch_independent]
    if pooled:
        raise DataError(f"{short_list(pooled)} pools across the series of a batch (e.g. pool=True), so its results "
                        "depend on which series share a partition and it cannot run a partition at a time on a Dask "
                        "DataFrame; fit it in memory (data.compute()), or with pool=False")


def _counts(part: pd.DataFrame, column: str, value: str) -> pd.Series:
    """The observed values of each series of a partition, by id in the order of their first row."""
    if looks_validated(part) and value not in part.columns:
        value = "value"  # a validated frame (gc.from_frame): the in-memory call reads this column
    elif value == "value" and "value" not in part.columns and "y" in part.columns:
        value = "y"  # statsforecast's name, as in memory
    observed = part[value].notna() if value in part.columns else pd.Series(True, index=part.index)
    return observed.groupby(part[column], sort=False, dropna=False).sum()


def _by_series(data: Any, series_id: str, value: str) -> tuple[Any, str, list | None, int]:
    """``data`` with each series in exactly one partition, its series column, the ids in order of first row,
    and the padded width of the whole panel: its longest series' number of observed values.

    One pass reads the series and value columns. A frame indexed by series
    with known divisions (``set_index``, or ``read_parquet(index=...,
    calculate_divisions=True)``) has each series in one partition and is
    used as it is (the order is then None: that of the partitions).
    Otherwise a series found in two partitions makes the frame be shuffled
    by series.
    """
    import dask.dataframe as dd

    if not isinstance(data, dd.DataFrame):
        raise DataError(f"expected a pandas or Dask DataFrame, got {type(data).__module__}.{type(data).__name__}")
    whole = False
    if series_id not in data.columns and data.index.name == series_id:
        whole = data.known_divisions  # partition i holds the ids in [divisions[i], divisions[i + 1])
        data = data.reset_index()
    column = series_id if series_id in data.columns else "series_id" if "series_id" in data.columns else None
    if column is None:
        raise DataError(f"a Dask DataFrame is fitted a partition of series at a time, so it needs a column of series "
                        f"ids: no column {series_id!r}; it has {short_list(list(data.columns))} (name it with "
                        "series_id=...)")
    import dask

    value_columns = [c for c in dict.fromkeys([value, "value", "y"]) if c in data.columns and c != column]
    counts = dask.compute(*[dask.delayed(_counts)(part, column, value)
                            for part in data[[column, *value_columns]].to_delayed()])
    width = max([int(c.max()) for c in counts if len(c)], default=1)
    if whole:
        return data, column, None, width
    seen = [c.index.tolist() for c in counts]  # Python values of the ids' own type, as the results hold them
    order = list(dict.fromkeys(sid for ids in seen for sid in ids))
    if sum(map(len, seen)) > len(order):  # some series is in two partitions: its counts add up
        width = max(int(pd.concat(counts).groupby(level=0, sort=False, dropna=False).sum().max()), 1)
        # shuffled once and kept: the backtest's pass over the partitions' widths and its runs both read it
        data = data.shuffle(on=column, npartitions=data.npartitions).persist()
    return data, column, order, width


def _ids(data: Any, column: str) -> list[list]:
    """The series ids of each partition, in order of first row."""
    import dask

    seen = dask.compute(*[dask.delayed(pd.unique)(part) for part in data[column].to_delayed()])
    return [ids.tolist() for ids in seen]


def _keep(part: pd.DataFrame, column: str, wanted: list[str]) -> pd.DataFrame:
    # a filter inside each partition: Dask's own ``frame[frame[column].isin(...)]`` fails after a reset_index
    return part[part[column].astype(str).isin(wanted)]


def _padded(widths: tuple[int, int], call: Callable, *args: Any, **kwargs: Any) -> Any:
    """``call`` as a partition of a frame whose padded widths are ``widths`` (``panel.PARTITION_WIDTHS``)."""
    token = PARTITION_WIDTHS.set(widths)
    try:
        return call(*args, **kwargs)
    finally:
        PARTITION_WIDTHS.reset(token)


def _fit_part(in_memory: Callable, part: pd.DataFrame, spec: Model, kwargs: dict,
              widths: tuple[int, int]) -> BatchFitResult | None:
    return _padded(widths, in_memory, spec, part, **kwargs) if len(part) else None


def _backtest_part(in_memory: Callable, part: pd.DataFrame, _: None, kwargs: dict, widths: tuple[int, int]) -> Any:
    return _padded(widths, in_memory, part, **kwargs) if len(part) else None


def _widths_part(widths: Callable, part: pd.DataFrame, _: None, kwargs: dict,
                 __: None) -> tuple[int, int, Any] | None:
    return widths(part) if len(part) else None


def _compute(task: Callable, in_memory: Callable, frame: Any, spec: Model | None, kwargs: dict,
             widths: tuple[int, int] | None = None) -> list:
    """``task`` on every partition where Dask runs it; the results of the non-empty ones, in partition order."""
    import dask

    out = dask.compute(*[dask.delayed(task, pure=True)(in_memory, part, spec, kwargs, widths)
                         for part in frame.to_delayed()])
    return [r for r in out if r is not None]


# ----------------------------------------------------------------- joining
def _join(parts: list) -> Any:
    """Values of consecutive batches (arrays with the batch on axis 0, and what holds them) as one batch.

    Arrays narrower than the widest are padded on their later axes: NaN
    for floats, zero (or False) otherwise, as the in-memory batch pads.
    """
    first = parts[0]
    if isinstance(first, np.ndarray):
        width = [max(p.shape[k] for p in parts) for k in range(1, first.ndim)]
        fill = np.nan if first.dtype.kind in "fc" else 0
        return np.concatenate([p if p.shape[1:] == tuple(width) else
                               np.pad(p, [(0, 0)] + [(0, w - s) for w, s in zip(width, p.shape[1:])],
                                      constant_values=fill) for p in parts])
    if isinstance(first, Fitted):
        values = {f.name: _join([getattr(p, f.name) for p in parts]) for f in fields(Fitted) if f.name != "state"}
        return Fitted(**values, state={k: _join([p.state[k] for p in parts]) for k in first.state})
    if is_dataclass(first) and not isinstance(first, type):
        return type(first)(**{f.name: _join([getattr(p, f.name) for p in parts]) for f in fields(first)})
    if isinstance(first, tuple) and first and all(isinstance(v, Fitted) for v in first):
        return tuple(_join([p[k] for p in parts]) for k in range(len(first)))
    if all(p is None for p in parts):
        return None
    raise TypeError(f"cannot join batches holding {type(first).__name__}")


def _join_batches(parts: list[BatchFitResult]) -> BatchFitResult:
    """Batch results of disjoint series as one, in the order given."""
    if len(parts) == 1:
        return parts[0]
    first = parts[0]
    width = max(p.t.shape[1] for p in parts)

    def padded(name: str) -> np.ndarray:  # the panel pads times and values with 0, the mask with False
        return np.concatenate([np.pad(getattr(p, name), [(0, 0), (0, width - p.t.shape[1])]) for p in parts])

    return BatchFitResult(
        spec=first.spec, series_ids=parts[0].series_ids.append([p.series_ids for p in parts[1:]]), t=padded("t"), y=padded("y"),
        mask=padded("mask"), has_dates=all(p.has_dates for p in parts), fitted=_join([p.fitted for p in parts]),
        interval=first.interval, percent=np.concatenate([p.percent for p in parts]),
        n_missing={k: v for p in parts for k, v in p.n_missing.items()},
        step=np.concatenate([p.step for p in parts]), months=np.concatenate([p.months for p in parts]),
    )


def _take_batch(batch: BatchFitResult, rows: np.ndarray) -> BatchFitResult:
    return replace(batch, series_ids=batch.series_ids.take(rows), t=batch.t[rows], y=batch.y[rows],
                   mask=batch.mask[rows], fitted=batch.fitted.take(rows), percent=batch.percent[rows],
                   step=batch.step[rows], months=batch.months[rows])


class Bare(NamedTuple):
    """A partition's backtest with no origin: its series (which have no rows), their last dates, their percentage
    flags, and the series too short for ``min_train`` (the names of :class:`growthcast.Backtest`'s)."""

    series: tuple
    vintage: Mapping
    percent: Mapping
    skipped: pd.DataFrame


def _join_backtests(parts: list, order: list | None) -> Any:
    """Backtests of disjoint series as one: each frame's rows in the in-memory order (model, interval kind, level,
    series in the order of their first row, then as in each part)."""
    full = [p for p in parts if not isinstance(p, Bare)]  # the whole frame's check found one with an origin
    first = full[0]
    held = [s for p in parts for s in p.series]
    present = set(held)
    ids = [s for s in order if s in present] if order is not None else held
    position = pd.Index(ids, dtype=object)
    models = pd.Index(first.models)
    kinds = pd.Index(first.intervals)
    levels = pd.Index(first.levels)

    def joined(frames: list[pd.DataFrame], *keys: str) -> pd.DataFrame:
        frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        codes = {"series_id": position, "model": models, "interval": kinds, "level": levels}
        rows = np.lexsort([codes[k].get_indexer(frame[k].astype(object)) for k in reversed(keys)])
        return frame.take(rows).reset_index(drop=True)

    by_series = {k: v for p in parts for k, v in p.vintage["by_series"].items()}
    vintage = {key: max(p.vintage[key] for p in parts if key in p.vintage) for key in first.vintage
               if key != "by_series"}
    vintage = FrozenMap({**vintage, "by_series": FrozenMap({s: by_series[s] for s in ids})})
    return replace(
        first, series=tuple(ids), vintage=vintage,
        _forecasts=joined([p.forecasts for p in full], "model", "interval", "level", "series_id"),
        _params=joined([p.params for p in full], "model", "series_id"),
        _saturation=joined([p.saturation() for p in full], "model", "level", "series_id"),
        _weights=joined([p.weights for p in full], "series_id"),
        _failures=joined([p.failures for p in full], "model", "series_id"),
        percent=FrozenMap({s: flag for p in parts for s, flag in p.percent.items()}),
        _skipped=_joined_skipped([p.skipped for p in parts], order),
    )


def _joined_skipped(frames: list[pd.DataFrame], order: list | None) -> pd.DataFrame:
    """The partitions' series too short for ``min_train``, in the order of their first row; an empty frame of
    a partition (object ids) does not change the ids' dtype."""
    some = [f for f in frames if len(f)] or frames[:1]
    frame = pd.concat(some, ignore_index=True) if len(some) > 1 else some[0]
    if order is None or len(frame) < 2:
        return frame
    rows = np.argsort(pd.Index(order, dtype=object).get_indexer(frame["series_id"].astype(object)), kind="stable")
    return frame.take(rows).reset_index(drop=True)
