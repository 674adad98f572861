"""Cross-series accuracy benchmark: growthcast's models against statsforecast's, on real panels.

Data
----
* ``mobile``: mobile cellular subscriptions per 100 people, by country, yearly
  (World Bank WDI / ITU via Our World in Data; ``../shared/panels/``).
* ``broadband``: fixed broadband subscriptions per 100 people, likewise.
* ``cnnic``: the two bundled CNNIC series (``penetration_pct``,
  ``netizens_million``), one figure per half-yearly report edition.

Aggregates (rows without a three-letter code, or with an ``OWID_`` code) are
dropped. The World Bank "individuals using the Internet" indicator is NOT used
here: it is reserved as a held-out check.

The protocol is fixed in :data:`PROTOCOL` and printed by the script before any
result. Every model (growthcast's and the peers) forecasts the same training
windows; scores are on the common set of targets that every model forecast.

growthcast's models go through ``gc.backtest`` itself, one call per model
and panel: ``origins=("2008", "2017")``, ``horizons=range(1, 7)`` in each
series' own (yearly) steps, ``min_train=10``, ``level=[0.8, 0.95]``. It fits
the training windows of every (country, origin) of a panel in ONE batch, so
a pooled model (``saturating``: ceilings and interval errors shared across
the series of a batch) is pooled across the panel at each origin. The CNNIC
series go through ``gc.backtest`` likewise, by edition (its default layout).

Peers (statsforecast's AutoARIMA, AutoETS, AutoTheta, RandomWalkWithDrift and
damped Holt, ``AutoETS(model="AAN", damped=True)``) run only if statsforecast
is importable; install it in a separate environment (``pip install
growthcast[bench]`` or ``pip install statsforecast``) and run, from the
repository root::

    PYTHONPATH=src python benchmarks/panel_accuracy.py --panel all

Options: ``--panel mobile|broadband|cnnic|all``, ``--quick`` (every 8th
country of a panel), ``--models auto,drift,...``, ``--no-peers``,
``--out DIR`` (tidy CSV of every forecast; default
``benchmarks/panel_output/``), ``--n-boot``, ``--seed``, ``--n-jobs``
(statsforecast's worker processes), ``--reuse DIR`` (take the peers and the
growthcast models not in ``--models`` from an earlier run's forecasts CSV: a
lean rerun). The model
``saturating_pop`` is ``saturating`` with China's population as its ceiling
(netizens_million only); ``saturating_logistic`` and ``saturating_gompertz``
are ``saturating(curve="logistic")`` and ``curve="gompertz"`` (half auto,
half the series' own fitted curve); ``logit_linear`` is run on its own (see
``SEPARATE_MODELS``).

The functions are importable (``load_panel``, ``make_windows``,
``run_growthcast``, ``run_peers``, ``score``) so a prototype forecaster
(a callable ``(train, targets) -> frame``) can be measured with the same
windows and scoring: see :func:`run_callable`.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import growthcast as gc

ROOT = Path(__file__).resolve().parents[1]
PANEL_DIR = ROOT.parent / "shared" / "panels"
PANEL_FILES = {
    "mobile": "mobile_cellular_subscriptions_per_100.csv",
    "broadband": "fixed_broadband_subscriptions_per_100.csv",
}
CNNIC_SERIES = ("penetration_pct", "netizens_million")
#: China's peak population (2021, NBS), million: the physical ceiling of netizens_million for logit_linear
CHINA_POPULATION_MILLION = 1412.6

MIN_POINTS = 15  # positive yearly points a country needs to enter
MIN_TRAIN = 10  # observed points at or before an origin
ORIGINS = tuple(range(2008, 2018))
HORIZONS = tuple(range(1, 7))
LEVELS = (0.80, 0.95)
GC_MODELS = ("saturating", "saturating_logistic", "saturating_gompertz", "auto", "drift", "holt_damped", "logistic", "gompertz", "richards", "bass")
#: logit_linear now declines (status -6, FAILED_IMPLAUSIBLE) on most windows of broadband and netizens_million,
#: where tiny early values dominate its logit line: in the common set it would shrink the targets every
#: model is scored on to a few, so it is measured in a run of its own (``--models logit_linear``)
SEPARATE_MODELS = ("logit_linear",)
PEER_NAMES = ("AutoARIMA", "AutoETS", "AutoTheta", "RWD", "DampedHolt")

PROTOCOL = f"""\
Protocol (fixed before any result was seen)
- Panels mobile, broadband: yearly values per country (aggregates dropped: no 3-letter code or OWID_ code).
  Only positive values are points (leading zeros are years before the technology; an isolated zero
  inside a series is treated as missing). A country enters with at least {MIN_POINTS} positive points.
- Origins: every year {ORIGINS[0]}-{ORIGINS[-1]} that is itself observed and has at least {MIN_TRAIN}
  observed points at or before it; expanding window (every point up to the origin).
- Horizons h = {HORIZONS[0]}-{HORIZONS[-1]} years; a target is an observed year origin + h.
- CNNIC (penetration_pct, netizens_million): the same protocol by edition: origins are every observed
  edition with at least {MIN_TRAIN} observed editions at or before it, horizons 1-6 editions ahead
  (h = edition difference), targets observed editions (gc.backtest's default layout).
- Every model forecasts every window. growthcast models: fit per window, time in decimal years;
  intervals are each model's own (interval="delta", growthcast's default), clipped to [0, 100]
  for a percentage. Peers (statsforecast): season_length=1 on the regular step index (years; CNNIC:
  edition number), gaps inside a training window filled by linear interpolation (statsforecast
  needs regular series); raw forecasts, not clipped.
- logit_linear needs a physical ceiling: 100 for penetration_pct and for broadband subscriptions
  per 100 people, China's population ({CHINA_POPULATION_MILLION:g} million) for netizens_million;
  it is not run on mobile (subscriptions pass 100 per 100 people: no physical ceiling).
- A target counts as forecast by a model when its point forecast and both 80% and 95% bounds are
  finite. Scores are on the common set of targets every model in the run forecast; each model's
  share of targets it failed to forecast is reported beside.
- Metrics by horizon and pooled over h = 1-6: MAPE = 100 mean |a - f| / a; MASE = mean |a - f| / s,
  s = mean absolute one-step change over the consecutive observed points of the training window;
  coverage of the 80% and 95% intervals.
- Best peer: the peer with the lowest MASE at that horizon (pooled: lowest pooled MASE). Paired
  bootstrap of the difference in MASE (model - best peer), 95% percentile interval: panels resample
  countries (all windows of a country together); CNNIC, one series each, resamples moving blocks of
  6 consecutive origins.
- Targets of issue 15: MASE <= 0.90 x best peer at every horizon with the bootstrap interval of the
  difference below zero; 80% coverage in [0.75, 0.85], 95% coverage in [0.92, 0.97] at every horizon.
"""


# ====================================================================== data and windows
@dataclass
class Windows:
    """Training windows and their targets, one row of ``targets`` per (window, h)."""

    name: str
    train: pd.DataFrame  # window_id, series, origin, t, step, value
    targets: pd.DataFrame  # window_id, series, origin, h, t_target, actual, scale, cluster
    percent: bool
    time_is_year: bool  # True: steps are years and t = step (panels); False: CNNIC editions
    data: pd.DataFrame | None = None  # panels: the countries' points (series_id, date, value) for gc.backtest


def load_panel(name: str, root: Path | None = None) -> pd.DataFrame:
    """A panel as a long frame ``series, year, value`` of countries with enough positive points."""
    path = (root or PANEL_DIR) / PANEL_FILES[name]
    raw = pd.read_csv(path)
    value_col = raw.columns[3]
    code = raw["Code"].astype("string")
    country = code.notna() & (code.str.len() == 3) & ~code.str.startswith("OWID", na=False)
    df = raw.loc[country & (raw[value_col] > 0), ["Code", "Year", value_col]]
    df.columns = ["series", "year", "value"]
    counts = df.groupby("series")["year"].transform("size")
    return df[counts >= MIN_POINTS].sort_values(["series", "year"], ignore_index=True)


def make_windows(long: pd.DataFrame, name: str, *, origins=ORIGINS, percent: bool = False) -> Windows:
    """Expanding windows at each origin year with enough points, and their targets 1-6 years ahead."""
    trains, targets = [], []
    for series, g in long.groupby("series", sort=True):
        years = g["year"].to_numpy(int)
        values = g["value"].to_numpy(float)
        for origin in origins:
            k = np.searchsorted(years, origin)
            if k >= len(years) or years[k] != origin or k + 1 < MIN_TRAIN:
                continue
            h = years - origin
            tgt = (h >= HORIZONS[0]) & (h <= HORIZONS[-1])
            if not tgt.any():
                continue
            wid = f"{series}@{origin}"
            ty, tv = years[: k + 1], values[: k + 1]
            trains.append(pd.DataFrame({"window_id": wid, "series": series, "origin": origin, "t": ty.astype(float),
                                        "step": ty, "value": tv}))
            targets.append(pd.DataFrame({"window_id": wid, "series": series, "origin": origin, "h": h[tgt],
                                         "t_target": years[tgt].astype(float), "actual": values[tgt],
                                         "scale": np.mean(np.abs(np.diff(tv))), "cluster": series}))
    data = long.rename(columns={"series": "series_id", "year": "date"})[["series_id", "date", "value"]]
    return Windows(name, pd.concat(trains, ignore_index=True), pd.concat(targets, ignore_index=True), percent, True,
                   data)


def cnnic_windows(column: str) -> Windows:
    """The CNNIC series by edition: gc.backtest's layout (every edition with 10 points is an origin)."""
    df = gc.load_cnnic()
    obs = df[df[column].notna()]
    ed = obs["edition"].to_numpy(int)
    t = gc.from_frame(obs, "as_of", column)["t"].to_numpy()
    v = obs[column].to_numpy(float)
    trains, targets = [], []
    for k in range(MIN_TRAIN - 1, len(ed) - 1):
        h = ed - ed[k]
        tgt = (h >= HORIZONS[0]) & (h <= HORIZONS[-1])
        if not tgt.any():
            continue
        wid = f"{column}@{ed[k]}"
        trains.append(pd.DataFrame({"window_id": wid, "series": column, "origin": ed[k], "t": t[: k + 1],
                                    "step": ed[: k + 1], "value": v[: k + 1]}))
        targets.append(pd.DataFrame({"window_id": wid, "series": column, "origin": ed[k], "h": h[tgt],
                                     "t_target": t[tgt], "actual": v[tgt],
                                     "scale": np.mean(np.abs(np.diff(v[: k + 1]))), "cluster": ed[k]}))
    return Windows(column, pd.concat(trains, ignore_index=True), pd.concat(targets, ignore_index=True),
                   gc.data.is_percent_series(column), False)


# ====================================================================== growthcast models
def gc_spec(model: str, w: Windows):
    """The growthcast spec of ``model`` on these windows, or None when it cannot apply (see PROTOCOL)."""
    if model == "saturating_pop":  # the saturating model with the physical ceiling of a count of people
        if w.name != "netizens_million":
            return None
        return gc.models.get_model("saturating", ceiling=CHINA_POPULATION_MILLION)
    if model in ("saturating_logistic", "saturating_gompertz"):  # half auto, half the series' own fitted curve
        return gc.models.get_model("saturating", curve=model.split("_")[1])
    if model != "logit_linear":
        return model
    if w.percent:
        return "logit_linear"
    if w.name == "netizens_million":
        return gc.LogitLinear(cap=CHINA_POPULATION_MILLION)
    if w.name == "broadband":
        return gc.LogitLinear(cap=100.0)
    return None


def run_growthcast(model: str, w: Windows) -> tuple[pd.DataFrame | None, float]:
    """Forecasts of one growthcast model on every window: window_id, h, mean, lo80, hi80, lo95, hi95."""
    spec = gc_spec(model, w)
    if spec is None:
        return None, float("nan")
    protocol = dict(models=[spec], min_train=MIN_TRAIN, horizons=HORIZONS, level=list(LEVELS), progress=False)
    start = time.perf_counter()
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if w.time_is_year:
            bt = gc.backtest(w.data, origins=(str(ORIGINS[0]), str(ORIGINS[-1])), freq="yearly",
                             percent=w.percent, **protocol)
        else:
            bt = gc.backtest(gc.load_cnnic(), series=w.name, **protocol)
    elapsed = time.perf_counter() - start
    f = bt.forecasts
    origin = f["origin_t"].round().astype(int) if w.time_is_year else f["origin_edition"]
    f = f.assign(window_id=f["series_id"] + "@" + origin.astype(str), h=f["horizon"])
    by_level = [f[np.isclose(f["level"], level)].set_index(["window_id", "h"]) for level in LEVELS]
    out = by_level[0][["mean", "status"]]
    for level, g in zip(LEVELS, by_level):
        tag = round(level * 100)
        out = out.join(g[["lower", "upper"]].rename(columns={"lower": f"lo{tag}", "upper": f"hi{tag}"}))
    if not out.index.sort_values().equals(pd.MultiIndex.from_frame(w.targets[["window_id", "h"]]).sort_values()):
        raise RuntimeError(f"{w.name}: gc.backtest's targets are not the protocol's windows and horizons")
    return out.reset_index(), elapsed


# ====================================================================== statsforecast peers
def have_statsforecast() -> bool:
    try:
        import statsforecast  # noqa: F401
    except ImportError:
        return False
    return True


def peer_models():
    from statsforecast.models import AutoARIMA, AutoETS, AutoTheta, RandomWalkWithDrift

    return [
        AutoARIMA(season_length=1, alias="AutoARIMA"),
        AutoETS(season_length=1, alias="AutoETS"),
        AutoTheta(season_length=1, alias="AutoTheta"),
        RandomWalkWithDrift(alias="RWD"),
        AutoETS(season_length=1, model="AAN", damped=True, alias="DampedHolt"),
    ]


def regular_training(w: Windows) -> pd.DataFrame:
    """Each window on its regular step grid (unique_id, ds, y), interior gaps interpolated linearly."""
    parts = []
    for wid, g in w.train.groupby("window_id", sort=False):
        steps = g["step"].to_numpy(int)
        grid = np.arange(steps[0], steps[-1] + 1)
        parts.append(pd.DataFrame({"unique_id": wid, "ds": grid,
                                   "y": np.interp(grid, steps, g["value"].to_numpy(float))}))
    return pd.concat(parts, ignore_index=True)


def run_peers(w: Windows, n_jobs: int = -1) -> dict[str, tuple[pd.DataFrame, float]]:
    """Forecasts of each statsforecast peer on every window, and its runtime (s)."""
    from statsforecast import StatsForecast

    df = regular_training(w)
    origin_step = df.groupby("unique_id")["ds"].max()
    warm = pd.DataFrame({"unique_id": "warm-up", "ds": np.arange(12), "y": np.linspace(1.0, 20.0, 12) ** 1.5})
    out = {}
    for model in peer_models():
        with warnings.catch_warnings(), np.errstate(all="ignore"):  # numba compiles outside the timing
            warnings.simplefilter("ignore")
            StatsForecast(models=[model], freq=1, n_jobs=1).forecast(df=warm, h=2, level=[80])
        start = time.perf_counter()
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            sf = StatsForecast(models=[model], freq=1, n_jobs=n_jobs)
            fc = sf.forecast(df=df, h=HORIZONS[-1], level=[round(level * 100) for level in LEVELS])
        elapsed = time.perf_counter() - start
        fc = fc.reset_index() if "unique_id" not in fc.columns else fc
        name = model.alias
        frame = pd.DataFrame({
            "window_id": fc["unique_id"].to_numpy(),
            "h": (fc["ds"].to_numpy() - origin_step.loc[fc["unique_id"]].to_numpy()).astype(int),
            "mean": fc[name].to_numpy(float),
            "lo80": fc[f"{name}-lo-80"].to_numpy(float), "hi80": fc[f"{name}-hi-80"].to_numpy(float),
            "lo95": fc[f"{name}-lo-95"].to_numpy(float), "hi95": fc[f"{name}-hi-95"].to_numpy(float),
            "status": 1,
        })
        out[name] = (frame, elapsed)
    return out


def run_callable(name: str, forecaster, w: Windows) -> tuple[pd.DataFrame, float]:
    """A prototype ``forecaster(train, targets) -> frame(window_id, h, mean, lo80, hi80, lo95, hi95)``."""
    start = time.perf_counter()
    frame = forecaster(w.train, w.targets[["window_id", "series", "origin", "h", "t_target"]], w)
    return frame, time.perf_counter() - start


# ====================================================================== scoring
def tidy(w: Windows, forecasts: dict[str, tuple[pd.DataFrame, float]], families: dict[str, str]) -> pd.DataFrame:
    """One row per (model, window, h) target: the targets joined with each model's forecasts."""
    rows = []
    for model, (frame, _) in forecasts.items():
        f = w.targets.merge(frame[["window_id", "h", "mean", "lo80", "hi80", "lo95", "hi95"]],
                            on=["window_id", "h"], how="left")
        f.insert(0, "model", model)
        f.insert(1, "family", families.get(model, "prototype"))
        rows.append(f)
    out = pd.concat(rows, ignore_index=True)
    out.insert(0, "panel", w.name)
    ok = out[["mean", "lo80", "hi80", "lo95", "hi95"]].apply(np.isfinite).all(axis=1)
    out["forecast"] = ok
    return out


def common_set(t: pd.DataFrame) -> pd.DataFrame:
    """The targets every model forecast."""
    n_models = t["model"].nunique()
    made = t[t["forecast"]].groupby(["window_id", "h"]).size()
    keep = made[made == n_models].index
    idx = pd.MultiIndex.from_frame(t[["window_id", "h"]])
    return t[idx.isin(keep)].copy()


def _terms(c: pd.DataFrame) -> pd.DataFrame:
    err = (c["actual"] - c["mean"]).abs()
    return c.assign(
        ape=100.0 * err / c["actual"].abs(),
        se=err / c["scale"],
        cov80=((c["lo80"] <= c["actual"]) & (c["actual"] <= c["hi80"])).astype(float),
        cov95=((c["lo95"] <= c["actual"]) & (c["actual"] <= c["hi95"])).astype(float),
    )


def score(c: pd.DataFrame) -> pd.DataFrame:
    """MAPE, MASE, coverage per model and horizon, plus ``h = "all"`` pooled."""
    c = _terms(c)
    by_h = c.groupby(["model", "h"]).agg(MAPE=("ape", "mean"), MASE=("se", "mean"), cov80=("cov80", "mean"),
                                         cov95=("cov95", "mean"), n=("se", "size")).reset_index()
    pooled = c.groupby("model").agg(MAPE=("ape", "mean"), MASE=("se", "mean"), cov80=("cov80", "mean"),
                                    cov95=("cov95", "mean"), n=("se", "size")).reset_index().assign(h="all")
    by_h["h"] = by_h["h"].astype(object)
    return pd.concat([by_h, pooled], ignore_index=True)


def bootstrap_vs_peer(c: pd.DataFrame, model: str, peer: str, *, block: bool, n_boot: int,
                      rng: np.random.Generator) -> tuple[float, float, float, float]:
    """MASE ratio model/peer, difference, and its 95% paired-bootstrap interval."""
    c = _terms(c)
    a = c[c["model"] == model].set_index(["window_id", "h"])
    b = c[c["model"] == peer].set_index(["window_id", "h"]).loc[a.index]
    if block:  # one series: moving blocks of 6 consecutive origins
        origins = np.sort(a["cluster"].unique())
        pos = pd.Series(np.arange(len(origins)), index=origins)
        key = pos.loc[a["cluster"].to_numpy()].to_numpy()
        C = len(origins)
        sa = np.bincount(key, weights=a["se"].to_numpy(), minlength=C)
        sb = np.bincount(key, weights=b["se"].to_numpy(), minlength=C)
        n = np.bincount(key, minlength=C).astype(float)
        L = min(6, C)
        starts = rng.integers(0, C - L + 1, size=(n_boot, int(np.ceil(C / L))))
        idx = (starts[:, :, None] + np.arange(L)[None, None, :]).reshape(n_boot, -1)[:, :C]
        W = np.zeros((n_boot, C))
        np.add.at(W, (np.repeat(np.arange(n_boot), idx.shape[1]), idx.ravel()), 1.0)
    else:
        codes, uniq = pd.factorize(a["cluster"].astype(str))
        C = len(uniq)
        sa = np.bincount(codes, weights=a["se"].to_numpy(), minlength=C)
        sb = np.bincount(codes, weights=b["se"].to_numpy(), minlength=C)
        n = np.bincount(codes, minlength=C).astype(float)
        W = rng.multinomial(C, np.full(C, 1.0 / C), size=n_boot).astype(float)
    ma, mb = sa.sum() / n.sum(), sb.sum() / n.sum()
    diff = (W @ sa - W @ sb) / (W @ n)
    lo, hi = np.quantile(diff, [0.025, 0.975])
    return ma / mb, ma - mb, float(lo), float(hi)


def comparisons(c: pd.DataFrame, gc_models: list[str], peers: list[str], *, block: bool, n_boot: int,
                seed: int) -> pd.DataFrame:
    """Each growthcast model against the best peer at each horizon and pooled."""
    s = score(c)
    rows = []
    for h in list(HORIZONS) + ["all"]:
        sub = c if h == "all" else c[c["h"] == h]
        if sub.empty:
            continue
        sh = s[s["h"].astype(str) == str(h)].set_index("model")
        best = sh.loc[peers, "MASE"].idxmin()
        for m in gc_models:
            rng = np.random.default_rng([seed, HORIZONS.index(h) if h != "all" else 99, zlib.crc32(m.encode())])
            ratio, diff, lo, hi = bootstrap_vs_peer(sub, m, best, block=block, n_boot=n_boot, rng=rng)
            rows.append({"model": m, "h": h, "best_peer": best, "ratio": ratio, "diff": diff, "lo": lo, "hi": hi,
                         "target_met": bool(ratio <= 0.90 and hi < 0)})
    return pd.DataFrame(rows)


# ====================================================================== printing
def markdown(frame: pd.DataFrame, fmt: str = "{:.2f}") -> str:
    cols = list(frame.columns)
    lines = ["| " + " | ".join(str(c) for c in cols) + " |", "|" + "---|" * len(cols)]
    for row in frame.itertuples(index=False):
        cells = [fmt.format(v) if isinstance(v, (float, np.floating)) else str(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def report(w: Windows, t: pd.DataFrame, runtimes: dict[str, float], gc_models: list[str], peers: list[str],
           n_boot: int, seed: int) -> str:
    out = []
    c = common_set(t)
    n_targets = len(w.targets)
    fail = 1.0 - t.groupby("model")["forecast"].mean()
    out.append(f"## {w.name}: {w.targets['series'].nunique()} series, {w.targets['window_id'].nunique()} windows, "
               f"{n_targets} targets; common set {len(c) // max(t['model'].nunique(), 1)} targets "
               f"({c['series'].nunique()} series)\n")
    s = score(c)
    order = s[s["h"] == "all"].sort_values("MASE")["model"].tolist()
    for metric, fmt in (("MASE", "{:.2f}"), ("MAPE", "{:.1f}"), ("cov80", "{:.2f}"), ("cov95", "{:.2f}")):
        tab = s.pivot(index="model", columns="h", values=metric)
        tab = tab[[h for h in list(HORIZONS) + ["all"] if h in tab.columns]].loc[order]
        tab.columns = [f"h={h}" if h != "all" else "pooled" for h in tab.columns]
        tab = tab.reset_index()
        tab.insert(1, "family", ["peer" if m in peers else "growthcast" if m in gc_models else "prototype"
                                 for m in tab["model"]])
        if metric == "MASE":
            tab["failed"] = [f"{fail[m]:.1%}" for m in tab["model"]]
            tab["runtime s"] = [f"{runtimes.get(m, float('nan')):.2f}" for m in tab["model"]]
        title = {"MASE": "MASE", "MAPE": "MAPE (%)", "cov80": "80% interval coverage",
                 "cov95": "95% interval coverage"}[metric]
        out.append(f"### {title}\n\n{markdown(tab, fmt)}\n")
    if peers:
        cmp = comparisons(c, [m for m in gc_models if m in set(c["model"])] +
                          [m for m in order if m not in gc_models and m not in peers],
                          peers, block=not w.time_is_year, n_boot=n_boot, seed=seed)
        cmp["cell"] = [f"{r:.2f} [{lo:+.2f}, {hi:+.2f}]{'' if ok else '*'}"
                       for r, lo, hi, ok in zip(cmp["ratio"], cmp["lo"], cmp["hi"], cmp["target_met"])]
        tab = cmp.pivot(index="model", columns="h", values="cell")
        tab = tab[[h for h in list(HORIZONS) + ["all"] if h in tab.columns]]
        tab.columns = [f"h={h}" if h != "all" else "pooled" for h in tab.columns]
        best = cmp.drop_duplicates("h").set_index("h")["best_peer"]
        out.append("### MASE ratio to the best peer [95% bootstrap CI of the MASE difference] (* = target "
                   "ratio <= 0.90 with CI < 0 missed)\n")
        out.append("best peer: " + ", ".join(f"h={h}: {p}" for h, p in best.items()) + "\n")
        out.append(markdown(tab.loc[[m for m in order if m in tab.index]].reset_index()) + "\n")
    return "\n".join(out)


# ====================================================================== main
def build_windows(panel: str, quick: bool) -> list[Windows]:
    if panel == "cnnic":
        return [cnnic_windows(col) for col in CNNIC_SERIES]
    long = load_panel(panel)
    if quick:
        keep = sorted(long["series"].unique())[::8]
        long = long[long["series"].isin(keep)]
    return [make_windows(long, panel)]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--panel", default="all", choices=["mobile", "broadband", "cnnic", "all"])
    ap.add_argument("--quick", action="store_true", help="every 8th country of a panel")
    ap.add_argument("--models", default=",".join(GC_MODELS), help="growthcast models, comma-separated")
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "panel_output"))
    ap.add_argument("--n-boot", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=20261201)
    ap.add_argument("--n-jobs", type=int, default=-1, help="statsforecast worker processes")
    ap.add_argument("--reuse", default=None,
                    help="directory of an earlier run's forecasts_<panel>.csv: the peers and any growthcast model "
                         "not in --models are taken from it instead of being rerun (their forecasts are "
                         "deterministic); the peers need not be importable then")
    args = ap.parse_args(argv)

    print(PROTOCOL)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    peers_ok = not args.no_peers and have_statsforecast()
    if not args.no_peers and not peers_ok and not args.reuse:
        print("NOTE: statsforecast is not importable: the peers are not run (pip install statsforecast, "
              "or growthcast[bench], in a separate environment).\n")
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    panels = ["mobile", "broadband", "cnnic"] if args.panel == "all" else [args.panel]
    for panel in panels:
        for w in build_windows(panel, args.quick):
            forecasts: dict[str, tuple[pd.DataFrame, float]] = {}
            families = {}
            for m in models:
                frame, secs = run_growthcast(m, w)
                if frame is None:
                    print(f"({w.name}: {m} not run: no physical ceiling, see the protocol)")
                    continue
                forecasts[m], families[m] = (frame, secs), "growthcast"
                print(f"[{w.name}] {m}: {secs:.1f} s", file=sys.stderr)
            peers, reused = [], []
            if args.reuse:
                old = pd.read_csv(Path(args.reuse) / f"forecasts_{w.name}{'_quick' if args.quick else ''}.csv")
                old = old[old["window_id"].isin(set(w.targets["window_id"]))]
                for name, g in old.groupby("model", sort=False):
                    if name in forecasts or name in SEPARATE_MODELS:
                        continue
                    family = g["family"].iloc[0]
                    forecasts[name] = (g[["window_id", "h", "mean", "lo80", "hi80", "lo95", "hi95"]], float("nan"))
                    families[name] = family
                    if family == "peer":
                        peers.append(name)
                    elif name not in reused:
                        reused.append(name)
            elif peers_ok:
                for name, (frame, secs) in run_peers(w, n_jobs=args.n_jobs).items():
                    forecasts[name], families[name] = (frame, secs), "peer"
                    peers.append(name)
                    print(f"[{w.name}] {name}: {secs:.1f} s", file=sys.stderr)
            if not forecasts:  # e.g. --models logit_linear --no-peers on mobile
                continue
            t = tidy(w, forecasts, families)
            suffix = "_quick" if args.quick else ""
            t.to_csv(out_dir / f"forecasts_{w.name}{suffix}.csv", index=False)
            runtimes = {m: secs for m, (_, secs) in forecasts.items()}
            print(report(w, t, runtimes, [m for m in models + reused if m in forecasts], peers, args.n_boot,
                         args.seed))
    print(f"Forecasts written to {out_dir}/forecasts_<panel>.csv (one row per model, window and horizon).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
