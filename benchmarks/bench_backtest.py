"""The default backtest against the same backtest done as a loop of per-origin fits; then every model.

Part 1 -- the batch path fits every (series, origin) row of a model in one
call of the core; the loop calls ``gc.fit`` on each training window and
predicts its targets, the way one would write it by hand with this package.
Both run the same number of times, round-robin (``--repeats``); printed: the
minimum and median of each, the ratio of the medians, and the largest
relative difference between the two paths' forecasts (mean, lower and
upper). This part covers ``DEFAULT_MODELS`` only: the curves, closed-form
trends and baselines.

Part 2 -- every registered model alone in the same backtest, including the
ones part 1 leaves out: ``holt``, ``holt_damped``, ``ets`` and ``arima``
(batch maximum likelihood on regular grids), ``auto``, ``saturating`` and
the ensembles; and the full backtest of all models at once. If statsforecast
is installed, its ``cross_validation`` of the comparable models on the same
series, origins and horizons is timed in the same run with the same repeats
(an external reference); otherwise the script says so.

Run: ``PYTHONPATH=src python benchmarks/bench_backtest.py [--repeats 3] [--skip-all-models]``
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import time
import warnings

import numpy as np
import pandas as pd

import growthcast as gc
from growthcast.backtest import DEFAULT_MODELS, backtest
from growthcast.models import model_names

SERIES = ("netizens_million", "penetration_pct")
MODELS = DEFAULT_MODELS  # the curves, closed-form trends and baselines
LEVEL = 0.8
MIN_TRAIN = 10
HORIZONS = range(1, 7)


def batch(df: pd.DataFrame):
    return backtest(df, series=list(SERIES), models=list(MODELS), min_train=MIN_TRAIN, horizons=HORIZONS,
                    level=LEVEL)


def loop(df: pd.DataFrame) -> pd.DataFrame:
    """The same forecasts from a Python loop over series, models and origins (one gc.fit each)."""
    rows = []
    for series in SERIES:
        obs = df[["edition", "as_of", series]].dropna()
        t = gc.data.to_decimal_year(obs["as_of"])
        y = obs[series].to_numpy()
        ed = obs["edition"].to_numpy()
        for model in MODELS:
            for k in range(MIN_TRAIN - 1, len(y) - 1):
                later = np.flatnonzero(np.isin(ed - ed[k], list(HORIZONS)) & (np.arange(len(y)) > k))
                if not later.size:
                    continue
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    res = gc.fit(model, t[: k + 1], y[: k + 1], name=series)
                    if res.status < 0:  # a failed fit has no forecast: NaN, as in the backtest's rows
                        pred = pd.DataFrame(np.nan, index=range(later.size), columns=["mean", "lower", "upper"])
                    else:
                        pred = res.predict(t[later], level=LEVEL)
                for j, (_, p) in zip(later, pred.iterrows()):
                    rows.append((series, model, int(ed[k]), int(ed[j]), p["mean"], p["lower"], p["upper"]))
    return pd.DataFrame(rows, columns=["series_id", "model", "origin_edition", "target_edition", "mean", "lower",
                                       "upper"])


def timed_round_robin(sides: dict, repeats: int) -> tuple[dict, dict]:
    """Each side run ``repeats`` times, the sides interleaved; (times per side, last output per side)."""
    times: dict[str, list[float]] = {k: [] for k in sides}
    out: dict[str, object] = {}
    for _ in range(repeats):
        for name, fn in sides.items():
            start = time.perf_counter()
            out[name] = fn()
            times[name].append(time.perf_counter() - start)
    return times, out


def _mm(ts: list[float]) -> str:
    return f"min {min(ts):8.3f} s, median {statistics.median(ts):8.3f} s"


def part_default(df: pd.DataFrame, repeats: int) -> None:
    batch(df)  # warm-up: imports and first-call costs
    times, out = timed_round_robin({"batch": lambda: batch(df), "loop": lambda: loop(df)}, repeats)
    bt, ref = out["batch"], out["loop"]
    fc = bt.forecasts
    keys = ["series_id", "model", "origin_edition", "target_edition"]
    both = fc.merge(ref, on=keys, suffixes=("", "_loop"), how="outer", indicator=True)
    unmatched = int((both["_merge"] != "both").sum())
    worst: dict[str, tuple[float, object]] = {}
    for col in ("mean", "lower", "upper"):
        a, b = both[col].to_numpy(), both[f"{col}_loop"].to_numpy()
        nan_mismatch = np.isnan(a) != np.isnan(b)
        if nan_mismatch.any():
            worst[col] = (np.inf, both.loc[nan_mismatch, keys].head(3).to_dict("records"))
            continue
        ok = np.isfinite(a) & np.isfinite(b)
        rel = np.abs(a[ok] - b[ok]) / np.maximum(np.abs(b[ok]), 1e-12)
        i = int(np.argmax(rel)) if rel.size else 0
        worst[col] = (float(rel.max()) if rel.size else 0.0, both.loc[ok].iloc[i][keys].to_dict() if rel.size else None)
        by_model = pd.Series(rel, index=both.loc[ok, "model"].to_numpy()).groupby(level=0).max()
        worst[col + " by model"] = (0.0, by_model[by_model > 1e-8].map("{:.1e}".format).to_dict())
    n_fits = fc.groupby(["series_id", "model"])["origin_edition"].nunique().sum()
    print(f"Part 1. default backtest: {len(MODELS)} models x {len(SERIES)} series ({', '.join(SERIES)}), "
          f"min_train={MIN_TRAIN}, horizons 1-6: {n_fits} fits, {len(fc)} forecasts; {repeats} runs each, round-robin")
    print(f"  batch (one fit and one predict call per model): {_mm(times['batch'])}")
    print(f"  loop of gc.fit per origin (reference):          {_mm(times['loop'])}")
    print(f"  speed-up (ratio of medians):                    "
          f"{statistics.median(times['loop']) / statistics.median(times['batch']):8.1f} x")
    for col in ("mean", "lower", "upper"):
        value, where = worst[col]
        print(f"  largest relative difference of {col:<5}:          {value:10.2e}"
              + (f"  at {where}; over 1e-8 by model: {worst[col + ' by model'][1]}" if value > 1e-8 else ""))
    print(f"  rows in one path only: {unmatched}")


def _statsforecast_sides(df: pd.DataFrame) -> dict:
    """statsforecast's cross-validation of comparable models on the same series and origins, if installed."""
    if importlib.util.find_spec("statsforecast") is None:
        return {}
    from statsforecast import StatsForecast
    from statsforecast.models import ARIMA, AutoARIMA, AutoETS, Holt

    frames = []
    for series in SERIES:
        obs = df[["edition", series]].dropna()
        # the observed editions on a regular index: statsforecast needs equal steps and no gaps
        frames.append(pd.DataFrame({"unique_id": series, "ds": np.arange(len(obs)), "y": obs[series].to_numpy()}))
    long = pd.concat(frames, ignore_index=True)
    n = long.groupby("unique_id").size().min()
    windows = int(n - MIN_TRAIN)  # origins from MIN_TRAIN points (step 1), horizon 6, as in the backtest

    def cv(model):
        sf = StatsForecast(models=[model], freq=1, n_jobs=1)
        return sf.cross_validation(df=long, h=max(HORIZONS), step_size=1, n_windows=windows - max(HORIZONS) + 1)

    return {
        "statsforecast Holt": lambda: cv(Holt()),
        "statsforecast AutoETS(damped)": lambda: cv(AutoETS(model="ZZN", damped=True)),
        "statsforecast AutoETS": lambda: cv(AutoETS()),
        "statsforecast ARIMA(1,1,0)+drift": lambda: cv(ARIMA(order=(1, 1, 0), include_drift=True)),
        "statsforecast AutoARIMA": lambda: cv(AutoARIMA()),
    }


def part_all(df: pd.DataFrame, repeats: int) -> None:
    names = list(model_names())
    print()
    print(f"Part 2. every model alone in the same backtest ({repeats} runs each)")

    def one(model):
        return lambda: backtest(df, series=list(SERIES), models=[model], min_train=MIN_TRAIN, horizons=HORIZONS,
                                level=LEVEL)

    sides = {m: one(m) for m in names}
    sides["all models together"] = lambda: backtest(df, series=list(SERIES), models=names, min_train=MIN_TRAIN,
                                                    horizons=HORIZONS, level=LEVEL)
    external = _statsforecast_sides(df)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, fn in list(external.items()):  # warm-up: numba compiles on first use
            try:
                fn()
            except (ValueError, RuntimeError) as err:  # a model statsforecast cannot run on these windows
                print(f"    {name:34s} failed: {type(err).__name__}: {err}", flush=True)
                del external[name]
        for name, fn in {**sides, **external}.items():  # printed as they come
            times, _ = timed_round_robin({name: fn}, repeats)
            print(f"    {name:34s} {_mm(times[name])}", flush=True)
    if not external:
        print("  statsforecast is not installed: no external reference in this run "
              "(pip install statsforecast to time its cross_validation beside these)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-all-models", action="store_true", help="part 1 only (part 2 takes minutes)")
    args = parser.parse_args()
    df = gc.load_cnnic()
    part_default(df, args.repeats)
    if not args.skip_all_models:
        part_all(df, args.repeats)


if __name__ == "__main__":
    main()
