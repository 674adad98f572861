"""The wheel carries the CNNIC data, and load_cnnic() works from it outside the source tree."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

DATA_FILES = ("growthcast/_data/cnnic_editions.csv", "growthcast/_data/cnnic_applications.csv")


def test_wheel_contains_the_data_and_the_type_marker(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in DATA_FILES + ("growthcast/py.typed", "growthcast/__init__.py"):
        assert name in names, name
    assert not any(n.startswith(("tests/", "data/")) for n in names)


def test_load_cnnic_from_the_unpacked_wheel_outside_the_source_tree(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PYTHONPATH"] = str(site)
    code = (
        "import growthcast, pathlib; "
        "assert 'site' in pathlib.Path(growthcast.__file__).parts, growthcast.__file__; "
        "print(len(growthcast.load_cnnic()), len(growthcast.load_cnnic_applications()) > 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=elsewhere, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["57", "True"]
