"""Start-up time: ``import growthcast`` and ``growthcast forecast``, against an empty interpreter.

Each command runs in a fresh interpreter (``sys.executable``), the commands
interleaved round after round so that a change in the machine's load hits
them all alike; the table gives the minimum and the median wall time of the
rounds, and the same figures minus ``python -c pass`` measured in the same
run. ``numpy + pandas + scipy.special`` is the floor a command that fits
anything cannot go below (the package needs all three to fit a curve).

    python benchmarks/bench_startup.py [--rounds 15]

Run it from a checkout (``src/`` is put on ``PYTHONPATH``) or with the
package installed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

COMMANDS = [
    ("python -c pass (reference)", ["-c", "pass"]),
    ("import numpy, pandas, scipy.special", ["-c", "import numpy, pandas, scipy.special"]),
    ("import growthcast", ["-c", "import growthcast"]),
    ("import growthcast; growthcast.fit (first use)", ["-c", "import growthcast; growthcast.fit"]),
    ("growthcast --version", ["-m", "growthcast", "--version"]),
    ("growthcast forecast", ["-m", "growthcast", "forecast"]),
]


def _run(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    rounds = parser.parse_args(argv).rounds
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH", "")) if p)
    for _, args in COMMANDS:  # warm the file cache and the bytecode
        _run(args, env)
    times: dict[str, list[float]] = {name: [] for name, _ in COMMANDS}
    for _ in range(rounds):
        for name, args in COMMANDS:
            times[name].append(_run(args, env))
    base_min = min(times[COMMANDS[0][0]])
    base_med = statistics.median(times[COMMANDS[0][0]])
    print(f"start-up wall time, {rounds} interleaved rounds; CPython {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs, load average at end {os.getloadavg()[0]:.2f}")
    print(f"{'command':48s} {'min s':>7s} {'median s':>9s} {'min - pass':>11s} {'median - pass':>14s}")
    print("-" * 93)
    for name, _ in COMMANDS:
        lo, med = min(times[name]), statistics.median(times[name])
        print(f"{name:48s} {lo:7.3f} {med:9.3f} {lo - base_min:11.3f} {med - base_med:14.3f}")


if __name__ == "__main__":
    main()
