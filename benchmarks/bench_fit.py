"""Logistic fits: what a user calls, the solver alone, and the scipy loop a user would write.

Run as ``python benchmarks/bench_fit.py [--sizes 1,100,1000,10000] [--repeats 5]``, or
``python benchmarks/bench_fit.py --million`` for one run of ``fit_many`` on 1,000,000 series
in a subprocess, which prints its time and peak memory (it needs about 4 GB free);
``--million --model auto`` does the same for another model (the same logistic series).
For B noisy logistic series of 56 half-yearly points (decimal years 1997.8 to
2025.3, a fixed seed), in a long frame ``series_id, date, value``, it times

* ``gc.fit_many("logistic", frame)``: the public call, end to end
  (validation, layout, the batch solver, the result); at B = 1 also
  ``gc.fit("logistic", t, y)`` on two float arrays, beside a single
  ``curve_fit(logistic, t, y, p0=...)``: a fit takes about 0.1 ms, so each
  repeat of these two times a loop of ``SINGLE_LOOP`` calls (the same for
  both), and their ratio is against that single ``curve_fit``;
* ``gc.fit_arrays("logistic", t, y)`` on the (B, 56) arrays: the public
  array entry point (validation of the arrays, the solver, the result);
* the solver alone: ``growthcast._numerics.curvefit.fit_curve`` on ready
  (B, 56) arrays (scaling, self-start, the batch LM, covariances), i.e.
  without the validation and layout of the public call;
* ``curve_fit`` loop: ``for sid, g in frame.groupby("series_id"):
  curve_fit(logistic, g["date"], g["value"], p0=...)``, the plain loop a user
  writes (finite-difference Jacobian, default tolerances);
* ``least_squares`` loop: the same loop with ``least_squares(method="lm")``
  and the analytic Jacobian, default tolerances.

Both scipy loops start from growthcast's own self-start values (natural
K, r, t0), computed before the timer: that flatters scipy slightly (the
self-start is about 2-3 us per series in growthcast's timings). Every side
gets the same number of repeats, run round-robin so that a change of load on
the machine hits all alike, each round starting one side later (so that no
side always runs first, on caches the scipy loops have just filled); the table gives the minimum and the median wall
time of the repeats, and the ratios of the medians; the cpu columns give the
same from the process time, which other load on a shared machine disturbs
less. The last line compares the parameters of ``fit_many`` with those of the
``curve_fit`` loop.
Nothing is asserted: the numbers are this machine's.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np
import pandas as pd
from scipy.optimize import curve_fit, least_squares
from scipy.special import expit

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "src"))

import growthcast as gc  # noqa: E402
from growthcast._numerics import curvefit as _curvefit  # noqa: E402
from growthcast.curves import CURVES  # noqa: E402

SEED = 20240601
T_GRID = np.arange(1997.8, 2025.5, 0.5)  # 56 half-yearly points, 1997.8 .. 2025.3
SIZES = (1, 100, 1_000, 10_000)
SINGLE_LOOP = 300  # calls per repeat of each single-fit side (B = 1): one call is too short to time alone


def make_frame(B: int, rng: np.random.Generator) -> pd.DataFrame:
    """Noisy logistic adoption series: K in 20..100 (percent), r in 0.15..0.9 per year, t0 in 2003..2020,
    noise 1% of K, clipped at 0; a long frame with string ids in the order s0, s1, ..."""
    K = rng.uniform(20.0, 100.0, B)
    r = rng.uniform(0.15, 0.9, B)
    t0 = rng.uniform(2003.0, 2020.0, B)
    t = np.broadcast_to(T_GRID, (B, T_GRID.size))
    y = K[:, None] * expit(r[:, None] * (t - t0[:, None]))
    y += rng.normal(0.0, 0.01, y.shape) * K[:, None]
    y = np.maximum(y, 0.0)  # counts and shares are not negative (the package rejects them)
    ids = np.array([f"s{i}" for i in range(B)], dtype=object)
    return pd.DataFrame({"series_id": np.repeat(ids, T_GRID.size), "date": t.ravel(), "value": y.ravel()})


def arrays(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    n = T_GRID.size
    return frame["date"].to_numpy().reshape(-1, n), frame["value"].to_numpy().reshape(-1, n)


def solver(t: np.ndarray, y: np.ndarray):
    B = t.shape[0]
    return _curvefit.fit_curve(CURVES["logistic"], t, y, np.ones(t.shape, dtype=bool), np.full((B, 3), np.nan))


def starts(t: np.ndarray, y: np.ndarray) -> np.ndarray:
    """growthcast's self-start values in natural coordinates (K, r, t0), one row per series."""
    curve = CURVES["logistic"]
    B = t.shape[0]
    mask = np.ones(t.shape, dtype=bool)
    sc = _curvefit.Scaling.of(t, y, mask)
    theta0 = _curvefit.self_start(curve, t - sc.centre, y / sc.scale, mask, np.full((B, 3), np.nan))
    return np.column_stack([theta0[:, 0] * sc.scale[:, 0], theta0[:, 1], theta0[:, 2] + sc.centre[:, 0]])


def logistic(t, K, r, t0):
    return K * expit(r * (t - t0))


def _residual(theta, t, y):
    return theta[0] * expit(theta[1] * (t - theta[2])) - y


def _jacobian(theta, t, y):
    K, r, t0 = theta
    s = expit(r * (t - t0))
    q = K * s * (1.0 - s)
    return np.column_stack([s, q * (t - t0), -q * r])


def curve_fit_loop(frame: pd.DataFrame, p0: dict) -> dict:
    out = {}
    for sid, g in frame.groupby("series_id", sort=False):
        try:
            out[sid] = curve_fit(logistic, g["date"].to_numpy(), g["value"].to_numpy(), p0=p0[sid])[0]
        except RuntimeError:  # no convergence
            out[sid] = np.full(3, np.nan)
    return out


def least_squares_loop(frame: pd.DataFrame, p0: dict) -> dict:
    out = {}
    for sid, g in frame.groupby("series_id", sort=False):
        res = least_squares(_residual, p0[sid], jac=_jacobian, args=(g["date"].to_numpy(), g["value"].to_numpy()),
                            method="lm")
        out[sid] = res.x if res.status > 0 else np.full(3, np.nan)
    return out


def _timed(fn):
    start, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - start, time.process_time() - cpu, out


def _rss_gb(field: str = "VmRSS") -> float:
    """The process's resident memory now (VmRSS) or at its peak (VmHWM), from /proc (Linux)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # the peak, in kB on Linux


def _reset_peak() -> None:
    """Start the peak (VmHWM) afresh from the present size, so that it measures the call alone (Linux)."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass


def million_child(B: int, model: str = "logistic") -> None:
    """One ``fit_many`` on B series in this (fresh) process: time, peak memory, and the solver alone after."""
    frame = make_frame(B, np.random.default_rng(SEED))
    frame_gb = frame.memory_usage(deep=False).sum() / 2**30
    before = _rss_gb()
    _reset_peak()
    start, cpu = time.perf_counter(), time.process_time()
    many = gc.fit_many(model, frame)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = _rss_gb("VmHWM")
    ok = int((many.fitted.status > 0).sum())
    del many
    print(f"B = {B:,} logistic series of {T_GRID.size} points, model {model} ({ok:,} fitted)")
    print(f"  gc.fit_many(long frame), end to end: {wall:8.2f} s wall, {cpu:8.2f} s cpu  ({wall / B * 1e6:.1f} us "
          "per fit)")
    print(f"  peak RSS {peak:.2f} GB (the process before the call: {before:.2f} GB, of which the frame's "
          f"arrays {frame_gb:.2f} GB; the call added {peak - before:.2f} GB)")
    if model != "logistic":
        return
    t, y = arrays(frame)
    chunk = 2**17 // T_GRID.size  # the solver alone, in the blocks fit_many uses
    start, alone_cpu = time.perf_counter(), time.process_time()
    for i in range(0, B, chunk):
        solver(t[i:i + chunk], y[i:i + chunk])
    alone, alone_cpu = time.perf_counter() - start, time.process_time() - alone_cpu
    print(f"  solver alone, same blocks:           {alone:8.2f} s wall, {alone_cpu:8.2f} s cpu  ({alone / B * 1e6:.1f} "
          "us per fit)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--million", action="store_true",
                        help="one fit_many on 1,000,000 series in a subprocess: time and peak memory")
    parser.add_argument("--series", type=int, default=1_000_000, help="series for --million (to scale up to it)")
    parser.add_argument("--model", default="logistic", help="model for --million (e.g. auto)")
    parser.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        million_child(args.child, args.model)
        return
    if args.million:
        print(f"{platform.python_implementation()} {platform.python_version()}, numpy {np.__version__}, "
              f"pandas {pd.__version__}, {os.cpu_count()} CPUs; load average at start {os.getloadavg()[0]:.2f}")
        subprocess.run([sys.executable, os.path.abspath(__file__), "--child", str(args.series), "--model", args.model],
                       check=True)
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    rng = np.random.default_rng(SEED)
    print("logistic fits: gc.fit_many on a long frame (end to end), the solver alone, and scipy loops")
    print(f"{platform.python_implementation()} {platform.python_version()}, numpy {np.__version__}, "
          f"pandas {pd.__version__}, {os.cpu_count()} CPUs, {T_GRID.size} points per series, seed {SEED}")
    print(f"wall clock: min and median of {args.repeats} repeats for every side, round-robin; "
          f"load average at start {os.getloadavg()[0]:.2f}")
    print("scipy loops start from growthcast's self-start values (not timed); ratio = scipy median / growthcast median")
    print()
    header = (f"{'B':>6}  {'side':38s} {'min s':>9} {'median s':>9} {'us/fit':>9} {'vs curve_fit':>13} "
              f"{'cpu us/fit':>11} {'cpu vs curve_fit':>17}")
    print(header)
    print("-" * len(header))
    solver(*arrays(make_frame(10, np.random.default_rng(0))))  # warm up imports and caches
    gc.fit_many("logistic", make_frame(10, np.random.default_rng(0)))
    for B in sizes:
        frame = make_frame(B, rng)
        t, y = arrays(frame)
        p0 = dict(zip(frame["series_id"].iloc[:: T_GRID.size], starts(t, y)))
        sides = {
            "gc.fit_many(long frame), end to end": lambda: gc.fit_many("logistic", frame),
            "gc.fit_arrays(t, y), end to end": lambda: gc.fit_arrays("logistic", t, y),
            "solver alone (fit_curve on arrays)": lambda: solver(t, y),
            "scipy curve_fit loop (groupby)": lambda: curve_fit_loop(frame, p0),
            "scipy least_squares(lm) loop": lambda: least_squares_loop(frame, p0),
        }
        single = {}
        if B == 1:  # one series: the single-fit calls on two float arrays, no frame, a loop of them per repeat
            p1 = p0[frame["series_id"].iloc[0]]
            t1, y1 = t[0].copy(), y[0].copy()
            single = {"gc.fit(t, y) (one series)": lambda: [gc.fit("logistic", t1, y1)
                                                            for _ in range(SINGLE_LOOP)][-1],
                      "scipy curve_fit(t, y) (one series)": lambda: [curve_fit(logistic, t1, y1, p0=p1)
                                                                     for _ in range(SINGLE_LOOP)][-1]}
            sides = {**single, **sides}
        times: dict[str, list[float]] = {k: [] for k in sides}
        cpus: dict[str, list[float]] = {k: [] for k in sides}
        results = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # scipy's OptimizeWarning on a poorly determined covariance
            names = list(sides)
            for k in range(args.repeats):  # each round starts one side later: no side always runs first
                for name in names[k % len(names):] + names[:k % len(names)]:
                    dt, dc, results[name] = _timed(sides[name])
                    times[name].append(dt)
                    cpus[name].append(dc)
        for name in sides:
            # the single fits against the single curve_fit, per call; the batch against the curve_fit loop
            reference = "scipy curve_fit(t, y) (one series)" if name in single else "scipy curve_fit loop (groupby)"
            ref, ref_cpu = statistics.median(times[reference]), statistics.median(cpus[reference])
            lo, med, cpu = min(times[name]), statistics.median(times[name]), statistics.median(cpus[name])
            n_fits = SINGLE_LOOP if name in single else B
            print(f"{B:>6}  {name:38s} {lo:>9.4f} {med:>9.4f} {med / n_fits * 1e6:>9.1f} {ref / med:>12.1f}x "
                  f"{cpu / n_fits * 1e6:>11.1f} {ref_cpu / cpu:>16.1f}x")
        if single:
            print(f"{'':6}  (the two single-fit rows: a loop of {SINGLE_LOOP} calls per repeat, compared with each other)")
        many = results["gc.fit_many(long frame), end to end"]
        cf = np.array([results["scipy curve_fit loop (groupby)"][sid] for sid in many.series_ids])
        ok = np.isfinite(cf).all(axis=1) & (many.fitted.status > 0)
        rel = np.abs(many.fitted.params[ok] / cf[ok] - 1.0).max() if ok.any() else np.nan
        print(f"{'':6}  max relative difference of (K, r, t0), fit_many vs curve_fit: {rel:.2e}"
              f" ({int((~ok).sum())} series not converged in one of the two)")
        print()


if __name__ == "__main__":
    main()
