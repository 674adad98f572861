"""Batch exponential smoothing against a statsmodels loop and statsforecast, on the same series.

Three ways to fit Holt's linear trend (ETS(A,A,N)), the damped trend
(ETS(A,Ad,N)), the choice between them by AICc (growthcast's ``ets``) and
ARIMA(p,1,q) with drift (growthcast's ``arima``) to
the yearly per-country panels in ``../shared/panels`` (leading zeros dropped,
at least 10 consecutive years), and forecast ``H`` steps with variances:

* growthcast: :func:`growthcast._numerics.smoothing.fit_ets` /
  ``select_ets`` and ``forecast_ets`` on the whole batch (one call);
* statsmodels: a loop of ``ETSModel(...).fit()`` and ``get_prediction``, one
  series at a time (what growthcast's ``holt``, ``holt_damped`` and ``ets``
  do today);
* statsforecast (if installed): ``StatsForecast(models=[Holt()] /
  [AutoETS(model="AAN", damped=True)] / [AutoETS(model="AAN")] /
  [AutoARIMA(d=1, max_p=2, max_q=2, seasonal=False, stepwise=False)], freq=1,
  n_jobs=1).forecast(df=..., h=H, level=[80])``, the call a user would write,
  from a long frame built outside the timer.

``arima`` is ARIMA(p,1,q) with drift, p, q <= 2, chosen by AICc
(:mod:`growthcast._numerics.arima` against growthcast's statsmodels loop
over the nine orders).

Each side gets the same number of timed repeats (after one untimed warm-up
run, which for statsforecast includes numba's compilation), and the median
is reported, with ratios. Printed too: how often growthcast's log-likelihood
is at least statsmodels' (same maximum or a higher one), or for the choices
between models (``ets``, ``arima``) how often the chosen model's AICc is at
most statsmodels' chosen one.

Run (statsforecast lives in its own environment)::

    PYTHONPATH=src /work/venv-sf2/bin/python benchmarks/bench_smoothing.py
    PYTHONPATH=src python benchmarks/bench_smoothing.py --series 400 --no-statsmodels

Without statsforecast the script still runs and says so in that column.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings

import numpy as np
import pandas as pd

from growthcast._numerics.arima import forecast_arima, select_arima
from growthcast._numerics.smoothing import fit_ets, forecast_ets, select_ets

PANELS = os.environ.get("GROWTHCAST_PANELS", os.path.join(os.path.dirname(__file__), "..", "..", "shared", "panels"))
if not os.path.isdir(PANELS):
    PANELS = "/work/shared/panels"
FILES = ("mobile_cellular_subscriptions_per_100.csv", "fixed_broadband_subscriptions_per_100.csv")
H = 8
MODELS = {  # name: (trend, damped), None for the AICc choice between the two, "arima"
    "holt": (True, False),
    "holt_damped": (True, True),
    "ets": None,
    "arima": "arima",  # ARIMA(p,1,q) with drift, p, q <= 2, lowest AICc
}


def load_series() -> list[np.ndarray]:
    """Every country series of both panels, leading zeros dropped, >= 10 consecutive years."""
    out = []
    for name in FILES:
        df = pd.read_csv(os.path.join(PANELS, name))
        df = df[df["Code"].notna() & ~df["Code"].astype(str).str.startswith("OWID")]
        col = df.columns[3]
        for _, g in df.groupby("Code"):
            g = g.sort_values("Year")
            v, yr = g[col].to_numpy(float), g["Year"].to_numpy()
            nz = np.flatnonzero(v > 0)
            if nz.size == 0:
                continue
            v, yr = v[nz[0]:], yr[nz[0]:]
            if v.size >= 10 and np.all(np.diff(yr) == 1):
                out.append(v)
    return out


def take(series: list[np.ndarray], count: int) -> list[np.ndarray]:
    """``count`` series: the panels, repeated with a deterministic small perturbation if more are asked for."""
    rng = np.random.default_rng(16)
    out = []
    while len(out) < count:
        for s in series:
            if len(out) == count:
                break
            copy = len(out) // len(series)
            out.append(s if copy == 0 else s * (1 + 0.01 * rng.normal(size=s.size)))
    return out


def as_batch(series):
    N = max(len(s) for s in series)
    y = np.full((len(series), N), np.nan)
    for i, s in enumerate(series):
        y[i, : len(s)] = s
    return y, np.array([len(s) for s in series])


# ---------------------------------------------------------------- the three sides
def run_growthcast(y, n, model):
    spec = MODELS[model]
    if spec == "arima":
        fit = select_arima(y, n)
        mean, var = forecast_arima(fit, H)
        return fit, mean, var
    if spec is None:
        fit, _ = select_ets(y, n)
    else:
        fit = fit_ets(y, n, trend=spec[0], damped=spec[1])
    mean, var = forecast_ets(fit, H)
    return fit, mean, var


def _sm_one(s, damped):
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    res = ETSModel(pd.Series(s), error="add", trend="add", damped_trend=damped).fit(disp=False)
    return res


def _sm_arima(s):
    """growthcast's ``arima`` today: every order p, q <= 2 that fits, the lowest AICc."""
    from statsmodels.tsa.arima.model import ARIMA

    best = None
    for p in range(3):
        for q in range(3):
            if p + q + 3 > len(s) - 2:
                continue
            res = ARIMA(pd.Series(s), order=(p, 1, q), trend="t").fit()
            if np.isfinite(res.aicc) and (best is None or res.aicc < best.aicc):
                best = res
    return best


def run_statsmodels(series, model):
    spec = MODELS[model]
    llf, aicc, means = [], [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for s in series:  # what growthcast does today: one statsmodels fit per series
            if spec == "arima":
                res = _sm_arima(s)
                fc = res.get_forecast(H)
                means.append(np.asarray(fc.predicted_mean))
                _ = fc.var_pred_mean
                llf.append(res.llf)
                aicc.append(res.aicc)
                continue
            if spec is None:
                res = min((_sm_one(s, d) for d in (False, True)), key=lambda r: r.aicc if np.isfinite(r.aicc) else np.inf)
            else:
                res = _sm_one(s, spec[1])
            pred = res.get_prediction(start=len(s), end=len(s) + H - 1)
            means.append(np.asarray(pred.predicted_mean))
            _ = pred.var_pred_mean
            llf.append(res.llf)
            aicc.append(res.aicc)
    return np.array(llf), np.array(aicc), np.array(means)


def statsforecast_runner(series, model):
    """A callable running statsforecast on a long frame of the series, or None if not installed."""
    try:
        from statsforecast import StatsForecast
        from statsforecast.models import AutoARIMA, AutoETS, Holt
    except ImportError:
        return None
    spec = MODELS[model]
    if spec == "arima":  # the same search: d = 1, every p, q <= 2, drift allowed, AICc
        sf_model = AutoARIMA(d=1, max_p=2, max_q=2, seasonal=False, stepwise=False, allowdrift=True, ic="aicc")
    elif spec is None:
        sf_model = AutoETS(model="AAN")  # damped=None: both, chosen by AICc
    elif spec[1]:
        sf_model = AutoETS(model="AAN", damped=True)
    else:
        sf_model = Holt()
    df = pd.DataFrame(
        {
            "unique_id": np.repeat(np.arange(len(series)), [len(s) for s in series]),
            "ds": np.concatenate([np.arange(len(s)) for s in series]),
            "y": np.concatenate(series),
        }
    )

    def run():
        sf = StatsForecast(models=[sf_model], freq=1, n_jobs=1)
        return sf.forecast(df=df, h=H, level=[80])

    return run


def timed(fn, repeats):
    fn()  # warm-up, untimed (numba compilation for statsforecast)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--series", type=int, default=None, help="number of series (default: all panel series)")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs per side (the same for every side)")
    ap.add_argument("--no-statsmodels", action="store_true", help="skip the statsmodels loop (slow)")
    ap.add_argument("--models", default=",".join(MODELS), help="comma-separated subset of " + ", ".join(MODELS))
    args = ap.parse_args()

    base = load_series()
    series = take(base, args.series or len(base))
    y, n = as_batch(series)
    print(f"{len(series)} series of {n.min()}-{n.max()} yearly points, horizon {H}; "
          f"median of {args.repeats} timed runs per side after one warm-up\n")
    header = f"{'model':<12} {'growthcast':>11} {'statsmodels loop':>17} {'ratio':>7} {'statsforecast':>14} {'ratio':>7}  likelihood vs statsmodels"
    print(header)
    print("-" * len(header))
    notes = []
    for model in args.models.split(","):
        t_gc = timed(lambda: run_growthcast(y, n, model), args.repeats)
        fit, _, _ = run_growthcast(y, n, model)
        if args.no_statsmodels:
            sm_col, sm_ratio, agree = "skipped", "", ""
        else:
            t_sm = timed(lambda: run_statsmodels(series, model), args.repeats)
            llf, aicc, _ = run_statsmodels(series, model)
            sm_col, sm_ratio = f"{t_sm:.3f} s", f"{t_sm / t_gc:.1f}x"
            if MODELS[model] in (None, "arima"):  # a choice between models: compare the criterion
                tol = 2e-5 * np.abs(aicc) + 2e-4
                ok = fit.aicc <= aicc + tol
                agree = f"AICc <= sm: {ok.sum()}/{ok.size} (lower on {(fit.aicc < aicc - tol).sum()})"
            else:
                tol = 1e-6 * np.abs(llf) + 1e-6
                ok = fit.loglike >= llf - tol
                agree = f"llf >= sm: {ok.sum()}/{ok.size} (higher on {(fit.loglike > llf + tol).sum()})"
        runner = statsforecast_runner(series, model)
        if runner is None:
            sf_col, sf_ratio = "n/a", ""
            notes.append("statsforecast is not installed in this environment: its column is skipped")
        else:
            t_sf = timed(runner, args.repeats)
            sf_col, sf_ratio = f"{t_sf:.3f} s", f"{t_sf / t_gc:.1f}x"
        print(f"{model:<12} {t_gc:>9.3f} s {sm_col:>17} {sm_ratio:>7} {sf_col:>14} {sf_ratio:>7}  {agree}")
    print("\nratio = other side's time / growthcast's time (above 1: growthcast is faster)")
    for note in sorted(set(notes)):
        print("note:", note)


if __name__ == "__main__":
    main()
