"""``fit_many`` and ``backtest`` on a Dask DataFrame, on a real ``dask.distributed`` cluster.

The reference is the in-memory call on the same rows: the partitioned run
must give the same series, in the same order, with the same fits, forecasts
and scores, bit for bit, also where a partition's series are all shorter
than the panel's longest (every partition is padded to the whole panel's
width, over which the solvers' sums run).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

try:
    import dask
    import dask.dataframe as dd
    from dask.distributed import Client, LocalCluster
except ImportError:  # pragma: no cover - the optional extra is not installed
    pytest.skip('dask is not installed: pip install "growthcast[dask]" to run the distributed tests',
                allow_module_level=True)

import growthcast as gc

@pytest.fixture(scope="module")
def client():
    # MALLOC_MMAP_THRESHOLD_ as the README advises: with dask's MALLOC_TRIM_THRESHOLD_ alone, glibc maps and unmaps
    # every array above 128 kB, and the fits run 2-3 times slower in the workers
    with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_MMAP_THRESHOLD_": 2**25}), \
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
            Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    """The bundled mobile-subscriptions panel: 213 countries, 1 to 48 yearly points each (ragged)."""
    return gc.load_panel("mobile_cellular")[["series_id", "year", "value"]]


def _plain_ids(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with its series ids as Python objects: Dask converts text columns to pyarrow strings, so the
    ids' dtype differs from the in-memory call's while their values are the same."""
    out = frame.copy()
    if out.index.name == "series_id":
        out.index = out.index.astype(object)
    if "series_id" in out.columns:
        out["series_id"] = out["series_id"].astype(object)
    return out


@pytest.fixture(scope="module")
def long_panel(panel) -> pd.DataFrame:
    """The countries with at least 30 observations (every one can be backtested from 10)."""
    n = panel.groupby("series_id")["value"].count()
    return panel[panel["series_id"].isin(n.index[n >= 30])].reset_index(drop=True)


def _ids_per_partition(ddf, column="series_id") -> list[set]:
    return [set(p) for p in dask.compute(*[dask.delayed(pd.unique)(s) for s in ddf[column].to_delayed()])]


def _assert_batches_equal(a, b) -> None:
    assert list(a.series_ids) == list(b.series_ids)  # dtypes may differ: Dask stores text as pyarrow strings
    assert a.has_dates == b.has_dates and a.interval == b.interval
    for name in ("t", "y", "mask", "percent", "step", "months"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert dict(a.n_missing) == dict(b.n_missing)
    pd.testing.assert_frame_equal(_plain_ids(a.status.drop(columns="sse")), _plain_ids(b.status.drop(columns="sse")))

    for x, y in [(a.params, b.params), (a.stderr, b.stderr), (a.summary(), b.summary()),
                 (a.forecast(steps=5, level=[0.8, 0.95]), b.forecast(steps=5, level=[0.8, 0.95]))]:
        pd.testing.assert_frame_equal(_plain_ids(x), _plain_ids(y), check_exact=True)
    for name in ("params", "cov", "sse", "n_iter", "status"):
        np.testing.assert_array_equal(getattr(a.fitted, name), getattr(b.fitted, name))


@pytest.mark.parametrize("model", ["logistic", "gompertz", "linear", "drift", "holt", "ensemble_median"])
def test_fit_many_on_a_cluster_equals_the_in_memory_call(client, panel, model):
    ddf = dd.from_pandas(panel, npartitions=3)
    parts = _ids_per_partition(ddf)
    assert parts[0] & parts[1] or parts[1] & parts[2], "the rows were meant to split a country between partitions"
    expected = gc.fit_many(model, panel, date="year")
    got = gc.fit_many(model, ddf, date="year")
    _assert_batches_equal(expected, got)
    assert got["Norway"].forecast(steps=3).equals(got.forecast(steps=3).query("series_id == 'Norway'")
                                                  .drop(columns=["series_id", "status"]).reset_index(drop=True))


def test_series_spread_over_every_partition_come_back_in_the_order_of_their_first_row(client, panel):
    shuffled = panel.sample(frac=1.0, random_state=3).reset_index(drop=True)
    ddf = dd.from_pandas(shuffled, npartitions=4)
    parts = _ids_per_partition(ddf)
    assert all(len(p & q) > 50 for p in parts for q in parts), "every partition holds part of most countries"
    expected = gc.fit_many("logistic", shuffled, date="year")
    got = gc.fit_many("logistic", ddf, date="year")
    assert list(got.series_ids) == list(pd.unique(shuffled["series_id"]))
    _assert_batches_equal(expected, got)


def test_partitions_of_whole_series_with_the_panel_width_give_the_same_bits(client, panel):
    # series of equal length (the last 20 years of every country with them): every partition has the width of the
    # whole panel, so every fit is the in-memory one bit for bit
    recent = panel[panel["year"] >= panel["year"].max() - 19].dropna()
    n = recent.groupby("series_id")["value"].size()
    equal = recent[recent["series_id"].isin(n.index[n == 20])]
    ddf = dd.from_pandas(equal.set_index("series_id"), npartitions=3, sort=True)  # divisions on the ids
    assert ddf.known_divisions and ddf.npartitions == 3
    for model in ("logistic", "gompertz", "bass", "holt"):
        _assert_batches_equal(gc.fit_many(model, equal, date="year"), gc.fit_many(model, ddf, date="year"))


def _short_and_long(frame: pd.DataFrame, cut: int) -> list[pd.DataFrame]:
    """The series with fewer than ``cut`` observed values, and the others."""
    n = frame.dropna().groupby("series_id").size()
    return [frame[frame["series_id"].isin(ids)] for ids in (n.index[n < cut], n.index[n >= cut])]


def test_a_narrower_batch_changes_the_last_bits(panel):
    # why partitions are padded: a batch pads to its longest series and the solver's sums run over that width, so
    # the short series fitted on their own differ in the last bits, which a slow fit amplifies (South Sudan's 10
    # points take 59 iterations: its rate differs by 2.6e-11 relative)
    short, long = _short_and_long(panel, 40)
    together = gc.fit_many("logistic", pd.concat([short, long]), date="year")
    alone = gc.fit_many("logistic", short, date="year")
    assert alone.t.shape[1] < together.t.shape[1]
    rows = together.series_ids.get_indexer(alone.series_ids)
    assert not np.array_equal(alone.fitted.params, together.fitted.params[rows], equal_nan=True)
    np.testing.assert_allclose(alone.fitted.params, together.fitted.params[rows], rtol=1e-10)


@pytest.mark.parametrize("model", ["logistic", "richards", "bass", "auto", "holt_damped", "ets"])
def test_partitions_narrower_than_the_panel_give_the_same_bits(client, panel, model):
    # the short series alone in one partition, the long ones in another: each partition pads to the whole panel's
    # width (found by a first pass over the partitions), so every fit is the in-memory one bit for bit
    chunks = _short_and_long(panel, 40)
    ddf = dd.concat([dd.from_pandas(chunk, npartitions=1) for chunk in chunks])
    expected = gc.fit_many(model, pd.concat(chunks), date="year")
    got = gc.fit_many(model, ddf, date="year")
    assert chunks[0].dropna().groupby("series_id").size().max() < expected.t.shape[1] == got.t.shape[1]
    _assert_batches_equal(expected, got)


def test_divisions_on_the_ids_with_partitions_narrower_than_the_panel(client, panel):
    # known divisions skip the check for split series, not the pass that finds the panel's width; ids numbered from
    # the shortest series to the longest make partitions of different widths
    n = panel.groupby("series_id")["value"].count().sort_values(kind="stable")
    numbered = panel.assign(series_id=panel["series_id"].map(dict(zip(n.index, range(len(n))))))
    ddf = dd.from_pandas(numbered.set_index("series_id"), npartitions=4, sort=True)
    assert ddf.known_divisions
    widths = [int(part.groupby(level=0)["value"].count().max()) for part in dask.compute(*ddf.to_delayed())]
    assert widths[0] < widths[-1] == n.max()
    expected = gc.fit_many("gompertz", numbered.sort_values("series_id", kind="stable"), date="year")
    _assert_batches_equal(expected, gc.fit_many("gompertz", ddf, date="year"))  # series in the partitions' order


def test_fit_many_without_a_series_column_is_an_error(client, panel):
    ddf = dd.from_pandas(panel.drop(columns="series_id"), npartitions=2)
    with pytest.raises(gc.DataError, match="needs a column of series ids: no column 'series_id'"):
        gc.fit_many("logistic", ddf, date="year")


def test_a_data_error_in_a_partition_reaches_the_caller(client, panel):
    bad = panel.assign(value=panel["value"].where(panel.index != 5000, -1.0))
    with pytest.raises(gc.DataError, match="column 'value': negative values in rows \\[5000\\]"):
        gc.fit_many("logistic", dd.from_pandas(bad, npartitions=3), date="year")


def test_pooled_models_and_batch_wide_intervals_are_refused(client, panel):
    ddf = dd.from_pandas(panel, npartitions=2)
    with pytest.raises(gc.DataError, match="'saturating'.*pools across the series of a batch"):
        gc.fit_many(gc.Saturating(), ddf, date="year")
    with pytest.raises(gc.DataError, match="pools across the series of a batch"):  # a pooled member pools too
        gc.fit_many(gc.Ensemble(members=("saturating", "drift")), ddf, date="year")
    with pytest.raises(gc.DataError, match="interval='bootstrap' cannot run a partition at a time"):
        gc.fit_many("logistic", ddf, date="year", interval="bootstrap")
    with pytest.raises(gc.DataError, match="interval='backtest' cannot run a partition at a time"):
        gc.fit_many("logistic", ddf, date="year", interval="backtest")
    with pytest.raises(gc.DataError, match="pools across the series of a batch"):
        gc.backtest(ddf, date="year", models=["drift", gc.Saturating()])
    with pytest.raises(gc.DataError, match="intervals 'bootstrap' cannot run a partition at a time"):
        gc.backtest(ddf, date="year", models=["linear"], intervals=["delta", "bootstrap"])


def test_a_model_that_fits_each_series_on_its_own_runs(client, long_panel):
    few = long_panel[long_panel["series_id"].isin(pd.unique(long_panel["series_id"])[:12])]
    spec = gc.Saturating(pool=False)
    assert spec.batch_independent and not gc.Saturating().batch_independent
    _assert_batches_equal(gc.fit_many(spec, few, date="year"),
                          gc.fit_many(spec, dd.from_pandas(few, npartitions=3), date="year"))


def _assert_backtests_equal(a, b) -> None:
    assert (a.models, a.series, a.horizons, a.intervals, a.members) == (b.models, b.series, b.horizons, b.intervals,
                                                                        b.members)
    assert dict(a.vintage) == dict(b.vintage)
    assert dict(a.vintage["by_series"]) == dict(b.vintage["by_series"])
    for x, y in [(getattr(a, f), getattr(b, f)) for f in ("forecasts", "params", "weights", "failures")] + [
            (a.saturation(), b.saturation()), (a.scores(), b.scores()), (a.leaderboard(), b.leaderboard())]:
        pd.testing.assert_frame_equal(_plain_ids(x), _plain_ids(y), check_exact=True)


def test_backtest_on_a_cluster_equals_the_in_memory_call(client, long_panel):
    ddf = dd.from_pandas(long_panel, npartitions=3)
    assert any(p & q for p, q in zip(_ids_per_partition(ddf), _ids_per_partition(ddf)[1:]))
    options = dict(date="year", models=["logistic", "linear", "drift", "ensemble_weighted"],
                   members=["logistic", "linear", "drift"], horizons=range(1, 4), min_train=20,
                   intervals=["delta", "backtest"])
    expected = gc.backtest(long_panel, **options)
    got = gc.backtest(ddf, **options)
    assert len(expected.forecasts) > 10_000 and got.series == tuple(sorted(pd.unique(long_panel["series_id"])))
    _assert_backtests_equal(expected, got)


@pytest.mark.parametrize("origins", [None, (None, 2008)])
def test_backtest_with_partitions_narrower_than_the_panel_gives_the_same_bits(client, long_panel, origins):
    # the short series in one partition, the long ones in another: every partition pads its panel and its training
    # windows to those of the whole frame (found by a first pass); with an end to the origins, the windows are
    # narrower than the panel, and their width is that of the latest origin of any series
    chunks = _short_and_long(long_panel, 40)
    ddf = dd.concat([dd.from_pandas(chunk, npartitions=1) for chunk in chunks])
    options = dict(date="year", models=["logistic", "holt", "linear", "drift", "ensemble_weighted"],
                   members=["logistic", "holt", "drift"], horizons=range(1, 4), min_train=15,
                   intervals=["delta", "backtest"], origins=origins, level=[0.8, 0.95])
    expected = gc.backtest(pd.concat(chunks), **options)
    got = gc.backtest(ddf, **options)
    _assert_backtests_equal(expected, got)
    short = gc.backtest(chunks[0], **options)  # the short partition on its own pads less: other bits
    assert not short.forecasts["mean"].equals(expected.forecasts.query("series_id in @short.series")["mean"]
                                             .reset_index(drop=True))


def test_backtest_of_some_series_of_a_dask_frame(client, long_panel):
    ddf = dd.from_pandas(long_panel, npartitions=3)
    keep = ["Argentina", "Brazil", "Japan"]  # 48 points each, the panel's longest: partitions as wide as the panel
    options = dict(date="year", models=["logistic", "drift"], horizons=[1, 2], window="rolling", window_size=12)
    indexed = dd.from_pandas(long_panel.set_index("series_id"), npartitions=3, sort=True)
    expected = gc.backtest(long_panel, series=keep, **options)
    for frame in (ddf, indexed):
        _assert_backtests_equal(expected, gc.backtest(frame, series=keep, **options))
        with pytest.raises(gc.DataError, match="series: no series \\['Atlantis'\\] in the frame"):
            gc.backtest(frame, series=["Brazil", "Atlantis"], **options)


def test_backtest_of_some_series_with_integer_ids(client, long_panel):
    codes = {sid: 100 + k for k, sid in enumerate(pd.unique(long_panel["series_id"]))}
    numbered = long_panel.assign(series_id=long_panel["series_id"].map(codes).astype("int64"))
    keep = [codes["Argentina"], codes["Japan"]]
    options = dict(date="year", models=["drift"], horizons=[1, 2])
    expected = gc.backtest(numbered, series=keep, **options)
    got = gc.backtest(dd.from_pandas(numbered, npartitions=3), series=keep, **options)
    assert list(got.series) == list(expected.series) == keep
    _assert_backtests_equal(expected, got)


def test_integer_ids_keep_their_type_and_the_order_of_their_first_row(client, panel):
    codes = {sid: 100 + k for k, sid in enumerate(pd.unique(panel["series_id"]))}
    numbered = panel.assign(series_id=panel["series_id"].map(codes).astype("int64")).sample(frac=1.0, random_state=3)
    expected = gc.fit_many("drift", numbered, date="year")
    got = gc.fit_many("drift", dd.from_pandas(numbered, npartitions=4, sort=False), date="year")
    assert list(got.series_ids) == list(expected.series_ids) == list(pd.unique(numbered["series_id"]))
    assert got.series_ids.dtype == expected.series_ids.dtype == np.int64
    _assert_batches_equal(expected, got)


def test_backtest_leaves_out_too_short_series_and_keeps_percent_flags_as_in_memory(client, long_panel):
    names = list(pd.unique(long_panel["series_id"]))[:6]
    frame = long_panel[long_panel["series_id"].isin(names)]
    short = frame["series_id"].isin(names[1:5:3]) & (frame["year"] > frame["year"].min() + 6)
    frame = frame[~short]  # two series of 7 years, each in its own partition beside longer ones
    share = names[0]  # made a percentage: its values clipped into (0, 100]
    frame = frame.assign(value=frame["value"].where(frame["series_id"] != share, frame["value"].clip(0.5, 99.0)))
    ddf = dd.from_pandas(frame, npartitions=2)
    options = dict(date="year", models=["linear", "drift"], horizons=[1, 2], min_train=15, percent=[share])
    expected = gc.backtest(frame, **options)
    got = gc.backtest(ddf, **options)
    assert len(expected.skipped) == 2 and set(expected.skipped["series_id"]) == set(names[1:5:3])
    _assert_backtests_equal(expected, got)
    pd.testing.assert_frame_equal(_plain_ids(expected.skipped.sort_values("series_id", ignore_index=True)),
                                  _plain_ids(got.skipped.sort_values("series_id", ignore_index=True)))
    assert dict(got.percent) == dict(expected.percent) and sum(expected.percent.values()) == 1
