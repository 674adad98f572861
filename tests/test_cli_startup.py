"""The command line starts fast: ``--version`` and ``--help`` load no numpy, pandas or scipy, and ``forecast``
loads only what it uses. Checked on what a fresh interpreter imports, never on timings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import growthcast as gc

SRC = Path(__file__).resolve().parents[1] / "src"
HEAVY = ("numpy", "pandas", "scipy")


def _python(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, timeout=120, check=True)


def _loaded_by(*argv: str) -> list[str]:
    """The modules in ``sys.modules`` after the CLI's ``main(argv)`` in a fresh interpreter (its output dropped)."""
    code = ("import contextlib, io, json, sys\n"
            "from growthcast.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
            f"    code = main({list(argv)!r})\n"
            "print(json.dumps([code, sorted(sys.modules)]))")
    code, modules = json.loads(_python("-c", code).stdout)
    assert code == 0
    return modules


def _imported(modules: list[str], roots: tuple[str, ...]) -> list[str]:
    return [m for m in modules if m.split(".")[0] in roots or m in roots]


def test_version_in_a_fresh_interpreter_imports_no_numpy():
    proc = _python("-X", "importtime", "-m", "growthcast", "--version")
    assert proc.stdout.strip() == f"growthcast {gc.__version__}"
    imported = [line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")]
    assert "growthcast.cli" in imported  # the report lists the modules imported: the CLI's are among them
    assert _imported(imported, HEAVY) == []


@pytest.mark.parametrize("argv", [["--version"], ["--help"], ["forecast", "--help"], ["backtest", "--help"],
                                  ["data", "--help"], ["report", "--help"], ["models", "--help"]])
def test_version_and_help_load_no_numpy_pandas_or_scipy(argv):
    modules = _loaded_by(*argv)
    assert "growthcast.cli" in modules
    assert _imported(modules, HEAVY) == []


def test_forecast_loads_neither_the_backtest_nor_dask_support_nor_the_metrics():
    modules = _loaded_by("forecast", "--format", "csv")
    assert {"numpy", "pandas", "growthcast.report", "growthcast.fitting"} <= set(modules)  # it did forecast
    assert _imported(modules, ("growthcast.backtest", "growthcast.distributed", "growthcast.metrics",
                               "growthcast.plot", "statsmodels", "matplotlib", "dask")) == []
    assert "scipy.stats" not in modules and "scipy.optimize" not in modules


def test_the_names_in_the_help_are_those_of_their_sources():
    # the CLI names the default model, the candidates and the metrics itself, so that --help needs no numpy;
    # the sources are read in a fresh interpreter, where no test has registered a metric of its own
    code = ("import json\nfrom growthcast import report\nfrom growthcast.metrics import METRICS\n"
            "print(json.dumps([report.DEFAULT_MODEL, list(report.CANDIDATE_MODELS), list(METRICS)]))")
    default, candidates, metrics = json.loads(_python("-c", code).stdout)
    from growthcast import cli

    assert (cli.DEFAULT_MODEL, list(cli.CANDIDATE_MODELS), list(cli.METRICS)) == (default, candidates, metrics)
