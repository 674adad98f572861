"""Start-up time: ``import growthcast`` and ``growthcast forecast``, against an empty interpreter.

Each command runs in a fresh interpreter (``sys.executable``), the commands
interleaved round after round so that a change in the machine's load hits
them all alike; the table gives the minimum and the median wall time of the
rounds, and the same figures minus ``python -c pass`` measured in the same
run. The modules' bytecode is written by a first, untimed round and then
used, as in an installed package. ``numpy + pandas + scipy.special`` is the floor a command that fits
anything cannot go below (the package needs all three to fit a curve).

    python benchmarks/bench_startup.py [--rounds 15] [--baseline OTHER/src]

Run it from a checkout (``src/`` is put on ``PYTHONPATH``) or with the
package installed. ``--baseline`` times the growthcast commands of another
source tree too (e.g. ``git archive <commit> src data | tar -x -C /tmp/old``, then
``--baseline /tmp/old/src``), in the same rounds, as rows marked
``[baseline]``: a before-and-after comparison on the same load.
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
    ("growthcast --help", ["-m", "growthcast", "--help"]),
    ("growthcast forecast", ["-m", "growthcast", "forecast"]),
]


def _env(src: Path) -> dict[str, str]:
    # bytecode is written (by the warm-up round) and used, as in an installed package: without it, every run
    # would compile the package's modules again (PYTHONDONTWRITEBYTECODE may be set in the caller's environment)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(src), env.get("PYTHONPATH", "")) if p)
    return env


def _run(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--baseline", type=Path, default=None, metavar="OTHER/src",
                        help="also time the growthcast commands of this source tree")
    options = parser.parse_args(argv)
    rounds = options.rounds
    env = _env(SRC)
    runs = [(name, args, env) for name, args in COMMANDS]
    if options.baseline is not None:
        other = _env(options.baseline.resolve())
        runs += [(f"{name} [baseline]", args, other) for name, args in COMMANDS if "growthcast" in name]
    for _, args, where in runs:  # warm the file cache and the bytecode
        _run(args, where)
    times: dict[str, list[float]] = {name: [] for name, _, _ in runs}
    for _ in range(rounds):
        for name, args, where in runs:
            times[name].append(_run(args, where))
    base_min = min(times[COMMANDS[0][0]])
    base_med = statistics.median(times[COMMANDS[0][0]])
    print(f"start-up wall time, {rounds} interleaved rounds; CPython {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs, load average at end {os.getloadavg()[0]:.2f}")
    print(f"{'command':56s} {'min s':>7s} {'median s':>9s} {'min - pass':>11s} {'median - pass':>14s}")
    print("-" * 101)
    for name in times:
        lo, med = min(times[name]), statistics.median(times[name])
        print(f"{name:56s} {lo:7.3f} {med:9.3f} {lo - base_min:11.3f} {med - base_med:14.3f}")


if __name__ == "__main__":
    main()
