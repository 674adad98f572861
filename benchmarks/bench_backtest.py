"""The default backtest against the same backtest done as a loop of per-origin fits.

The batch path fits every (series, origin) row of a model in one call of the
core; the loop calls ``gc.fit`` on each training window and predicts its
targets, the way one would write it by hand. Printed: both times (best of a
few runs), their ratio, and the largest relative difference between the two
paths' forecasts (mean, lower and upper). Targets (issue 5): at most 0.3 s,
at least 20x faster, identical within 1e-8 relative.

Run: ``PYTHONPATH=src python benchmarks/bench_backtest.py``
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd

import growthcast as gc
from growthcast.backtest import DEFAULT_MODELS, backtest

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


def best_of(fn, repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def main() -> None:
    df = gc.load_cnnic()
    batch(df)  # warm-up: imports and first-call costs
    t_batch, bt = best_of(lambda: batch(df), 5)
    t_loop, ref = best_of(lambda: loop(df), 1)
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
    print(f"default backtest: {len(MODELS)} models x {len(SERIES)} series ({', '.join(SERIES)}), "
          f"min_train={MIN_TRAIN}, horizons 1-6: {n_fits} fits, {len(fc)} forecasts")
    print(f"  batch (one _fit and one _predict per model): {t_batch:8.3f} s   (target <= 0.3 s)")
    print(f"  loop of gc.fit per origin:                   {t_loop:8.3f} s")
    print(f"  speed-up:                                    {t_loop / t_batch:8.1f} x  (target >= 20 x)")
    for col in ("mean", "lower", "upper"):
        value, where = worst[col]
        print(f"  largest relative difference of {col:<5}:       {value:10.2e}    (target <= 1e-8)"
              + (f"  at {where}; over 1e-8 by model: {worst[col + ' by model'][1]}" if value > 1e-8 else ""))
    print(f"  rows in one path only: {unmatched}")
    per_model = {}
    for model in MODELS:
        t_m, _ = best_of(lambda: backtest(df, series=list(SERIES), models=[model], min_train=MIN_TRAIN,
                                          horizons=HORIZONS, level=LEVEL), 3)
        per_model[model] = t_m
    print("  batch time per model alone (s): " + ", ".join(f"{m} {v:.3f}" for m, v in per_model.items()))


if __name__ == "__main__":
    main()
