"""``fit_many`` on a Dask DataFrame: one and two workers against the in-memory call, in the same run.

A panel of ``--series`` logistic series of 56 points (random ceilings,
rates and midpoints, 2% noise) is written as Parquet, one file per
``--partitions``-th of the series, and read back with ``dd.read_parquet``:
the way a panel too large for one machine arrives. Timed, round-robin,
``--repeats`` times each:

* in memory: ``gc.fit_many("logistic", frame)`` on the pandas frame (read
  from the same files, outside the timer);
* Dask, 1 worker and 2 workers: ``gc.fit_many("logistic", ddf)`` on a
  ``LocalCluster(n_workers=k, threads_per_worker=1)`` (processes), each
  warmed up first. The timer covers what a user waits for: reading the
  files, the first pass over the series and value columns (it checks that
  each series is in one partition and finds the panel's width), the fits,
  and gathering the results.

Printed: minimum and median wall time of each, the speed-up from one
worker to two, each against the in-memory call, the CPU seconds of the
busiest process (the client for the in-memory call, the busiest worker
otherwise: the wall time an idle machine would approach), and the largest
relative difference of the parameters from the in-memory fit. Workers get
``MALLOC_MMAP_THRESHOLD_`` (see the README): without it, dask's
``MALLOC_TRIM_THRESHOLD_`` makes glibc map and unmap every array above
128 kB and the fits run 2-3 times slower in the workers (``--default-malloc``
shows it).

Run: ``python benchmarks/bench_distributed.py [--series 40000] [--partitions 8] [--repeats 3]``
(needs ``pip install "growthcast[dask]"``). On a machine with two cores,
two workers can at best halve the time; the in-memory call may use both
cores through numpy.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

import numpy as np
import pandas as pd

import growthcast as gc

N_POINTS = 56


def make_panel(n_series: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = 2000.0 + np.arange(N_POINTS) / 4  # quarterly, as decimal years
    K = rng.uniform(40, 100, n_series)[:, None]
    r = rng.uniform(0.3, 1.2, n_series)[:, None]
    t0 = rng.uniform(2005, 2012, n_series)[:, None]
    y = K / (1 + np.exp(-r * (t - t0))) * (1 + 0.02 * rng.standard_normal((n_series, N_POINTS))) + 0.01
    width = len(str(n_series - 1))
    ids = np.array([f"s{i:0{width}d}" for i in range(n_series)], dtype=object)
    return pd.DataFrame({"series_id": np.repeat(ids, N_POINTS), "date": np.tile(t, n_series), "value": y.ravel()})


def write_parquet(panel: pd.DataFrame, directory: str, n_parts: int) -> None:
    ids = pd.unique(panel["series_id"])
    for k, chunk in enumerate(np.array_split(ids, n_parts)):
        panel[panel["series_id"].isin(chunk)].to_parquet(os.path.join(directory, f"part-{k:03d}.parquet"),
                                                         index=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=40_000)
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--default-malloc", action="store_true",
                        help="leave the workers' malloc settings as dask sets them")
    args = parser.parse_args()

    import dask
    import dask.dataframe as dd
    from dask.distributed import Client, LocalCluster

    panel = make_panel(args.series)
    print(f"{args.series:,} logistic series of {N_POINTS} points, {args.partitions} Parquet files; "
          f"{args.repeats} repeats, round-robin; {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as directory:
        write_parquet(panel, directory, args.partitions)
        frame = pd.read_parquet(directory)
        config = {} if args.default_malloc else {"distributed.nanny.pre-spawn-environ.MALLOC_MMAP_THRESHOLD_": 2**25}
        clusters, clients = {}, {}
        with dask.config.set(config):
            for k in (1, 2):
                clusters[k] = LocalCluster(n_workers=k, threads_per_worker=1, processes=True, dashboard_address=":0")
                clients[k] = Client(clusters[k], set_as_default=False)
        try:
            warm = dd.from_pandas(make_panel(50, seed=1), npartitions=2)
            for k in (1, 2):
                with clients[k].as_current():
                    gc.fit_many("logistic", warm)

            labels = ["in memory", "dask, 1 worker", "dask, 2 workers"]
            times: dict[str, list[float]] = {label: [] for label in labels}
            busiest: dict[str, list[float]] = {label: [] for label in labels}  # CPU s of the busiest process
            results = {}
            for _ in range(args.repeats):
                start, cpu = time.perf_counter(), time.process_time()
                results["in memory"] = gc.fit_many("logistic", frame)
                times["in memory"].append(time.perf_counter() - start)
                busiest["in memory"].append(time.process_time() - cpu)
                for k, label in ((1, labels[1]), (2, labels[2])):
                    with clients[k].as_current():
                        before = clients[k].run(time.process_time)
                        start = time.perf_counter()
                        results[label] = gc.fit_many("logistic", dd.read_parquet(directory))
                        times[label].append(time.perf_counter() - start)
                        after = clients[k].run(time.process_time)
                    busiest[label].append(max(after[w] - before[w] for w in after))
        finally:
            for k in (1, 2):
                clients[k].close()
                clusters[k].close()

    reference = results["in memory"].params
    med = {label: statistics.median(v) for label, v in times.items()}
    cpu = {label: statistics.median(v) for label, v in busiest.items()}
    print(f"{'':16s} {'min s':>7s} {'median s':>9s} {'vs in memory':>13s} {'busiest CPU s':>14s} "
          f"{'max rel. diff of params':>24s}")
    for label, values in times.items():
        got = results[label].params
        assert got.index.equals(reference.index)
        with np.errstate(invalid="ignore", divide="ignore"):
            diff = np.nanmax(np.abs(got.to_numpy() / reference.to_numpy() - 1))
        print(f"{label:16s} {min(values):7.2f} {med[label]:9.2f} {med['in memory'] / med[label]:12.2f}x "
              f"{cpu[label]:14.2f} {diff:24.1e}")
    print(f"one worker to two: {med['dask, 1 worker'] / med['dask, 2 workers']:.2f}x faster in wall time (medians), "
          f"{cpu['dask, 1 worker'] / cpu['dask, 2 workers']:.2f}x less CPU time in the busiest worker; "
          f"{args.series / med['dask, 2 workers']:,.0f} series/s on two workers, "
          f"{args.series / med['in memory']:,.0f} in memory")
    try:
        print(f"load average over the last minute: {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)")
    except OSError:
        pass


if __name__ == "__main__":
    main()
