"""One fit: ``gc.fit`` against scipy's ``curve_fit`` on the same problem from the same start.

For each curve, on the CNNIC internet penetration: ``gc.fit(model, dates,
values)`` as a user calls it on the CNNIC frame (the missing values dropped
by ``gc.fit``), and ``gc.fit(model, t, y)`` on plain float arrays (decimal
years and the observed values); and on a noisy logistic of 56 points made as
``bench_fit.py`` makes its series. The reference is the plain
``curve_fit`` call a user would write (a numpy function of the curve, no
Jacobian, default tolerances), started from growthcast's own starting values,
which are not timed for scipy. Bass fixes its start ``ts`` at the first
observation in both. A second reference is the same ``curve_fit`` call at
growthcast's own tolerances (``xtol=1e-10, ftol=1e-12, gtol=1e-10``, the
tests MINPACK applies with the meanings growthcast's solver gives them): at
its defaults (``1.49e-8``) ``curve_fit`` stops sooner, about 1e-6 away from
the optimum in relative terms on the CNNIC series, so the first ratio compares
a coarser answer with a finer one. Both sides get the same repeats (best of ``REPEATS`` runs
of ``NUMBER`` calls), in CPU time of this process (less sensitive than wall
time to other jobs on the machine) and wall time.

The last columns check that both solved the same problem: the largest
relative difference of the parameters, and of ``gc.fit``'s parameters from
the batch path's (``gc.fit_many`` on the same series), which the single fit
matches to the last bit; then ``gc.fit``'s iterations (trial steps of the
solver, each one evaluation of the curve and its Jacobian).

Run: ``PYTHONPATH=src python benchmarks/bench_single.py``
"""

from __future__ import annotations

import time
import timeit

import numpy as np
import pandas as pd
from scipy.optimize import curve_fit

import growthcast as gc
from growthcast._numerics.curvefit import Scaling, self_start, to_natural
from growthcast.curves import CURVES
from growthcast.data import to_decimal_year

REPEATS, NUMBER = 7, 30
TIGHT = {"xtol": 1e-10, "ftol": 1e-12, "gtol": 1e-10}  # the defaults of growthcast's solver


def _logistic(t, K, r, t0):
    return K / (1.0 + np.exp(-r * (t - t0)))


def _gompertz(t, K, r, t0):
    return K * np.exp(-np.exp(-r * (t - t0)))


def _richards(t, K, r, t0, nu):
    return K / (1.0 + nu * np.exp(-r * (t - t0))) ** (1.0 / nu)


def _bass(ts):
    def f(t, m, p, q):
        e = np.exp(-(p + q) * np.maximum(t - ts, 0.0))
        return m * (1.0 - e) / (1.0 + q / p * e)
    return f


def _weibull(t, K, r, ts, k):
    return K * (1.0 - np.exp(-np.maximum(r * (t - ts), 0.0) ** k))


def _start(model: str, t: np.ndarray, y: np.ndarray) -> np.ndarray:
    """growthcast's starting values for this series, in natural units."""
    curve = CURVES[model]
    mask = np.ones((1, len(t)), dtype=bool)
    sc = Scaling.of(t[None, :], y[None, :], mask)
    tc, ys = t[None, :] - sc.centre, y[None, :] / sc.scale
    fixed = np.full((1, len(curve.params)), np.nan)
    if model == "bass":
        fixed[0, 3] = t[0] - sc.centre[0, 0]
    theta = self_start(curve, tc, ys, mask, fixed, ymax=sc.top[:, 0] / sc.scale[:, 0])
    positive = np.array([p in curve.positive for p in curve.params])
    u = np.where(positive, np.log(theta), theta)
    return to_natural(curve, u, sc)[0][0]


def _best(call) -> tuple[float, float]:
    """Best per-call CPU and wall time in microseconds, the same repeats for every call timed."""
    cpu = min(timeit.repeat(call, number=NUMBER, repeat=REPEATS, timer=time.process_time)) / NUMBER
    wall = min(timeit.repeat(call, number=NUMBER, repeat=REPEATS, timer=time.perf_counter)) / NUMBER
    return cpu * 1e6, wall * 1e6


def _synthetic() -> tuple[np.ndarray, np.ndarray]:
    """One noisy logistic of 56 half-yearly points, as ``bench_fit.py`` makes them (its seed, B = 1)."""
    rng = np.random.default_rng(20240601)
    K, r, t0 = rng.uniform(20.0, 100.0), rng.uniform(0.15, 0.9), rng.uniform(2003.0, 2020.0)
    t = np.arange(1997.8, 2025.5, 0.5)
    y = np.maximum(K / (1.0 + np.exp(-r * (t - t0))) + rng.normal(0.0, 0.01, t.size) * K, 0.0)
    return t, y


def main() -> None:
    cnnic = gc.load_cnnic()
    dates, values = cnnic["as_of"], cnnic["penetration_pct"]
    kept = values.notna().to_numpy()
    t, y = to_decimal_year(dates)[kept], values.to_numpy()[kept]
    t56, y56 = _synthetic()
    print(f"One fit; per call, best of {REPEATS} x {NUMBER} calls for each side; CPU time of this process (wall "
          f"time).\nCNNIC penetration ({len(values)} editions, {len(y)} observed) as dates and values (the frame's "
          f"columns) and as float arrays; a noisy logistic of {len(t56)} points as float arrays. curve_fit is "
          "started at growthcast's start.")
    print(f"{'model':9s} {'input':12s} {'gc.fit us':>17s} {'curve_fit us':>17s} {'ratio':>6s} "
          f"{'vs scipy':>9s} {'vs batch':>9s} {'iterations':>10s} {'tight cf us':>11s} {'ratio':>6s} {'vs tight':>9s}")
    ratios, tight_ratios = {}, {}
    for model in ["logistic", "gompertz", "richards", "bass", "weibull"]:
        for label, args, (tt, yy) in [("CNNIC dates", (dates, values), (t, y)), ("CNNIC arrays", (t, y), (t, y)),
                                      ("56 points", (t56, y56), (t56, y56))]:
            with np.errstate(all="ignore"):
                p0 = _start(model, tt, yy)
            if model == "bass":
                f, p0_fit, names = _bass(tt[0]), p0[:3], ["m", "p", "q"]
            else:
                f = {"logistic": _logistic, "gompertz": _gompertz, "richards": _richards, "weibull": _weibull}[model]
                p0_fit, names = p0, list(CURVES[model].params)
            with np.errstate(all="ignore"):
                scipy_params = curve_fit(f, tt, yy, p0=p0_fit, maxfev=10_000)[0]
                scipy_cpu, scipy_wall = _best(lambda: curve_fit(f, tt, yy, p0=p0_fit, maxfev=10_000))
                tight_params = curve_fit(f, tt, yy, p0=p0_fit, maxfev=10_000, **TIGHT)[0]
                tight_cpu = _best(lambda: curve_fit(f, tt, yy, p0=p0_fit, maxfev=10_000, **TIGHT))[0]
            frame = pd.DataFrame({"series_id": "s", "date": args[0], "value": args[1]})
            batch = gc.fit_many(model, frame)["s"].params[names].to_numpy()
            res = gc.fit(model, *args)
            params = res.params[names].to_numpy()
            cpu, wall = _best(lambda: gc.fit(model, *args))
            ratios.setdefault(label, []).append(cpu / scipy_cpu)
            tight_ratios.setdefault(label, []).append(cpu / tight_cpu)
            print(f"{model:9s} {label:12s} {cpu:8.0f} ({wall:6.0f}) {scipy_cpu:8.0f} ({scipy_wall:6.0f}) "
                  f"{cpu / scipy_cpu:6.2f} {np.max(np.abs(params / scipy_params - 1)):9.1e} "
                  f"{np.max(np.abs(params / batch - 1)):9.1e} {res.n_iter:10d} {tight_cpu:11.0f} "
                  f"{cpu / tight_cpu:6.2f} {np.max(np.abs(params / tight_params - 1)):9.1e}")
    for name, r in (("curve_fit", ratios), ("curve_fit at growthcast's tolerances", tight_ratios)):
        print(f"ratio gc.fit / {name} (CPU), geometric mean over the curves: "
              + ", ".join(f"{label} {np.exp(np.mean(np.log(v))):.2f}" for label, v in r.items()))


if __name__ == "__main__":
    main()
