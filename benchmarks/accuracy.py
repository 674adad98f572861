"""The accuracy leaderboard of every model on the bundled CNNIC data.

The default backtest protocol: expanding window, origins = every edition
with at least 10 observed points, horizons 1-6 editions ahead, 80% intervals.
Prints, per series, MAPE and MASE per horizon and the interval coverage of
every model as Markdown (the README's table), then how ``auto`` compares with
the better of the two trend baselines (random walk with drift, damped trend).

Run: ``python benchmarks/accuracy.py`` (about a minute: the statsmodels
models are refitted at every origin).
"""

from __future__ import annotations

import sys
import time
import warnings


import growthcast as gc
from growthcast.backtest import backtest

SERIES = ("penetration_pct", "netizens_million")
MODELS = [name for name in gc.available_models()["name"]]
BASELINES = ("drift", "holt_damped")
#: The models whose three kinds of interval are compared (the bootstrap needs fitted values).
INTERVAL_MODELS = ("logistic", "gompertz", "richards", "bass", "linear", "quadratic")


def markdown(frame, floatfmt: str = "{:.2f}") -> str:
    cols = list(frame.columns)
    lines = ["| " + " | ".join(str(c) for c in cols) + " |", "|" + "---|" * len(cols)]
    for row in frame.itertuples(index=False):
        cells = [floatfmt.format(v) if isinstance(v, float) else str(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    df = gc.load_cnnic()
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bt = backtest(df, series=list(SERIES), models=MODELS, min_train=10, horizons=range(1, 7), level=0.8)
    elapsed = time.perf_counter() - start
    scores = bt.scores(by="horizon")
    board = bt.leaderboard(metric="MAPE")
    print(f"# growthcast accuracy on the CNNIC editions (backtest of {len(MODELS)} models: {elapsed:.1f} s)\n")
    verdicts = []
    for series in SERIES:
        s = scores[scores["series_id"] == series]
        mape = s.pivot(index="model", columns="horizon", values="MAPE")
        mase = s.pivot(index="model", columns="horizon", values="MASE")
        cov = s.groupby("model")["coverage"].mean()
        b = board[board["series_id"] == series].set_index("model")
        table = mape.rename(columns=lambda h: f"MAPE h={h}")
        table["MAPE all"] = b["MAPE"]
        table = table.join(mase.rename(columns=lambda h: f"MASE h={h}"))
        table["MASE all"] = b["MASE"]
        table["80% coverage"] = cov
        table = table.loc[b.index].reset_index()
        print(f"## {series}\n")
        print(markdown(table))
        print()
        best_base = mape.loc[list(BASELINES)].min(axis=0)
        ratio = mape.loc["auto"] / best_base
        verdicts.append((series, ratio, cov["auto"]))
    print("## auto against the better of drift and damped trend (MAPE ratio per horizon; target <= 0.90)\n")
    for series, ratio, coverage in verdicts:
        cells = " ".join(f"h{h}={r:.2f}{'' if r <= 0.9 else '*'}" for h, r in ratio.items())
        print(f"- {series}: {cells}; 80% interval coverage {coverage:.2f} (target 0.75-0.85)")
    print("\n(* = target missed)")
    print("\n## Coverage of the nominal 80% intervals, three ways\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        three = backtest(df, series=list(SERIES), models=list(INTERVAL_MODELS), min_train=10, horizons=range(1, 7),
                         level=0.8, intervals=("delta", "bootstrap", "backtest"), n_boot=200, random_state=0)
    cov = three.scores(by="model").pivot(index=["series_id", "interval"], columns="model", values="coverage")
    cov = cov.reindex(columns=list(INTERVAL_MODELS), index=[(s, k) for s in SERIES for k in three.intervals])
    print(markdown(cov.reset_index().rename(columns={"series_id": "series"})))
    return 0


if __name__ == "__main__":
    sys.exit(main())
