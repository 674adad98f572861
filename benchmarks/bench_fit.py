"""Batch logistic fits against a loop of ``scipy.optimize.least_squares``.

Run as ``python benchmarks/bench_fit.py``. For B noisy logistic problems of
56 half-yearly points (1997.8 to 2025.3, a fixed seed) it times

* growthcast: one call of ``growthcast._numerics.curvefit.fit_curve`` with the logistic curve,
  end to end (scaling, self-start, the batch solver, covariances);
* scipy: a Python loop of ``least_squares(method="lm")`` with the analytic
  Jacobian and tight tolerances, one problem at a time, in the same
  coordinates (log K, log r and t0 - centre on each problem's scaled data)
  and from the same self-started values. Computing those starts is not
  timed for scipy, which flatters scipy slightly.

and prints the times, the ratio, microseconds per fit and the largest
relative difference between the two sets of natural parameters (K, r, t0)
and between the sums of squares. Timings are the best of a few repeats.
Nothing is asserted: the numbers are this machine's.
"""

from __future__ import annotations

import os
import platform
import sys
import time
import warnings

import numpy as np
from scipy.optimize import least_squares
from scipy.special import expit

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "src"))

from growthcast._numerics import curvefit as _curvefit  # noqa: E402
from growthcast.curves import CURVES  # noqa: E402

SEED = 20240601
T_GRID = np.arange(1997.8, 2025.5, 0.5)  # 56 half-yearly points, 1997.8 .. 2025.3
SIZES = (1, 100, 1_000, 10_000)
SCIPY_SUBSET = 1_000  # problems timed in the scipy loop when B is larger
TOL = 1e-12  # xtol, ftol and gtol of the scipy reference


def make_problems(B: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Noisy logistic adoption series: K in 20..100 (percent), r in 0.15..0.9 per
    year, t0 in 2003..2020, noise 1% of K. Returns t, y (B, 56) and theta (B, 3)."""
    K = rng.uniform(20.0, 100.0, B)
    r = rng.uniform(0.15, 0.9, B)
    t0 = rng.uniform(2003.0, 2020.0, B)
    t = np.broadcast_to(T_GRID, (B, T_GRID.size)).copy()
    y = K[:, None] * expit(r[:, None] * (t - t0[:, None]))
    y += rng.normal(0.0, 0.01, y.shape) * K[:, None]
    return t, y, np.column_stack([K, r, t0])


def growthcast_fit(t, y):
    B = t.shape[0]
    return _curvefit.fit_curve(CURVES["logistic"], t, y, np.ones(t.shape, dtype=bool), np.full((B, 3), np.nan))


def scipy_starts(t, y):
    """The same scaled problems and self-started values growthcast solves from."""
    curve = CURVES["logistic"]
    B = t.shape[0]
    mask = np.ones(t.shape, dtype=bool)
    sc = _curvefit.Scaling.of(t, y, mask)
    tc = t - sc.centre
    ys = y / sc.scale
    theta0 = _curvefit.self_start(curve, tc, ys, mask, np.full((B, 3), np.nan))
    return tc, ys, _curvefit._scaled_to_u(curve, theta0), sc


def _residual(u, tc, ys):
    s = expit(np.exp(u[1]) * (tc - u[2]))
    return np.exp(u[0]) * s - ys


def _jacobian(u, tc, ys):
    K, r, t0 = np.exp(u[0]), np.exp(u[1]), u[2]
    dt = tc - t0
    s = expit(r * dt)
    q = K * s * (1.0 - s)
    return np.column_stack([K * s, q * dt * r, -q * r])


def scipy_loop(tc, ys, u0, idx):
    """least_squares on the problems ``idx`` one at a time; natural (K, r, t0) scaled, and SSE."""
    u = np.full((len(idx), 3), np.nan)
    sse = np.full(len(idx), np.nan)
    for i, b in enumerate(idx):
        res = least_squares(
            _residual, u0[b], jac=_jacobian, args=(tc[b], ys[b]), method="lm", xtol=TOL, ftol=TOL, gtol=TOL
        )
        if res.status > 0:
            u[i] = res.x
            sse[i] = 2.0 * res.cost
    return u, sse


def _best_time(fn, repeats):
    """Best wall-clock and best CPU (process) time of ``repeats`` calls, and the last result."""
    best = best_cpu = np.inf
    out = None
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        out = fn()
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
    return best, best_cpu, out


def main() -> None:
    rng = np.random.default_rng(SEED)
    print("growthcast batch logistic fits vs a scipy least_squares(method='lm') loop")
    print(f"{platform.python_implementation()} {platform.python_version()}, numpy {np.__version__}, "
          f"{os.cpu_count()} CPUs, {T_GRID.size} points per problem, seed {SEED}")
    print("times: wall clock, best of several repeats (cpu: growthcast's process time, which other")
    print("load on the machine disturbs less); scipy starts from growthcast's self-start values")
    print(f"load average at start: {os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else "")
    print()
    header = (
        f"{'B':>7} {'growthcast s':>13} {'us/fit':>8} {'cpu us/fit':>10} {'scipy s':>10} {'us/fit':>8} "
        f"{'ratio':>7} {'max rel dtheta':>15} {'max rel dSSE':>13}  note"
    )
    print(header)
    print("-" * len(header))
    growthcast_fit(*make_problems(10, np.random.default_rng(0))[:2])  # warm up imports and caches
    for B in SIZES:
        t, y, _ = make_problems(B, rng)
        gc_time, gc_cpu, fit = _best_time(lambda: growthcast_fit(t, y), 7 if B < 10_000 else 5)
        tc, ys, u0, sc = scipy_starts(t, y)
        idx = np.arange(B) if B <= SCIPY_SUBSET else np.sort(rng.choice(B, SCIPY_SUBSET, replace=False))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sp_time, _, (u_sp, sse_sp) = _best_time(lambda: scipy_loop(tc, ys, u0, idx), 3 if B < 1_000 else 1)
        note = ""
        if len(idx) < B:
            sp_time *= B / len(idx)
            note = f"scipy timed on {len(idx)} random problems, x{B // len(idx)}"
        theta_sp = np.column_stack(
            [np.exp(u_sp[:, 0]) * sc.scale[idx, 0], np.exp(u_sp[:, 1]), u_sp[:, 2] + sc.centre[idx, 0]]
        )
        theta_gc = fit.params[idx]
        sse_gc = fit.sse[idx] / sc.scale[idx, 0] ** 2
        ok = np.isfinite(theta_sp).all(axis=1) & (fit.status[idx] > 0)
        rel = np.abs(theta_gc[ok] / theta_sp[ok] - 1.0).max() if ok.any() else np.nan
        rel_sse = (np.abs(sse_gc[ok] / sse_sp[ok] - 1.0)).max() if ok.any() else np.nan
        n_bad = int((~ok).sum())
        if n_bad:
            note = (note + "; " if note else "") + f"{n_bad} not converged in one of the two"
        print(
            f"{B:>7} {gc_time:>13.4f} {gc_time / B * 1e6:>8.1f} {gc_cpu / B * 1e6:>10.1f} {sp_time:>10.3f} "
            f"{sp_time / B * 1e6:>8.1f} {sp_time / gc_time:>6.1f}x {rel:>15.2e} {rel_sse:>13.2e}  {note}"
        )


if __name__ == "__main__":
    main()
