"""The wheel carries the CNNIC data, and load_cnnic() works from it outside the source tree; the declared
minimum versions are ones the package runs on; the CI helpers pin them and check the API reference's links."""

from __future__ import annotations

import importlib.util
import zipfile
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

DATA_FILES = ("growthcast/_data/cnnic_editions.csv", "growthcast/_data/cnnic_applications.csv")


def test_wheel_contains_the_data_and_the_type_marker(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in DATA_FILES + ("growthcast/py.typed", "growthcast/__init__.py"):
        assert name in names, name
    assert not any(n.startswith(("tests/", "data/")) for n in names)


def test_load_cnnic_from_the_unpacked_wheel_outside_the_source_tree(run_from_wheel):
    out = run_from_wheel("print(len(growthcast.load_cnnic()), len(growthcast.load_cnnic_applications()) > 0)")
    assert out.split() == ["57", "True"]


# ---------------------------------------------------------------- the declared floors and the CI helpers
ROOT = Path(__file__).resolve().parents[1]


def _ci_module(name: str):
    path = ROOT / ".ci" / f"{name}.py"
    if not path.exists():
        pytest.skip(f"{path} is not in this copy of the sources")
    spec = importlib.util.spec_from_file_location(f"_ci_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _floors(requirements: list[str]) -> dict[str, tuple[int, ...]]:
    out = {}
    for req in requirements:
        name, _, floor = req.partition(">=")
        out[name.strip().lower()] = tuple(int(x) for x in floor.split("."))
    return out


def test_the_floors_are_releases_built_for_numpy_2():
    """The first scipy, pandas, statsmodels and matplotlib releases that run on numpy 2 (earlier ones were
    compiled against numpy 1 and fail to import); CI installs exactly the floors and runs the tests."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = _floors(project["dependencies"])
    assert set(runtime) == {"numpy", "scipy", "pandas", "statsmodels"}  # matplotlib only in extras
    first_for_numpy_2 = {"numpy": (2, 0), "scipy": (1, 13), "pandas": (2, 2, 2), "statsmodels": (0, 14, 2)}
    for name, first in first_for_numpy_2.items():
        assert runtime[name] >= first, (name, runtime[name])
    for extra in ("plot", "dev"):
        assert _floors(project["optional-dependencies"][extra])["matplotlib"] >= (3, 8, 4), extra


def test_min_versions_pins_every_floor_exactly(capsys):
    ci = _ci_module("min_versions")
    assert ci.pins(["numpy>=2.0", "pandas >= 2.2.2", 'tomli>=1.1; python_version < "3.11"']) == [
        "numpy==2.0", "pandas==2.2.2", 'tomli==1.1 ; python_version < "3.11"']
    with pytest.raises(SystemExit, match="no single '>=' floor"):
        ci.pins(["numpy"])
    with pytest.raises(SystemExit, match="no single '>=' floor"):
        ci.pins(["numpy>=2.0,<3"])
    ci.main(["plot"])
    lines = capsys.readouterr().out.split()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    expected = project["dependencies"] + project["optional-dependencies"]["plot"]
    assert lines == [r.replace(">=", "==") for r in expected]


def test_check_links_finds_a_missing_page_and_a_missing_anchor(tmp_path):
    ci = _ci_module("check_links")
    (tmp_path / "sub").mkdir()
    (tmp_path / "index.html").write_text(
        '<a href="sub/page.html#here">ok</a> <a href="https://example.org/x">outside</a> <a href="#top">self</a>'
        '<h1 id="top">t</h1> <a href="sub/gone.html">gone</a> <a href="sub/page.html#nowhere">no anchor</a>')
    (tmp_path / "sub" / "page.html").write_text('<section id="here"></section><a href="../index.html">up</a>')
    broken, checked, external = ci.broken_links(tmp_path)
    assert (checked, external) == (5, 1)
    assert broken == ["index.html: sub/gone.html (no such file)",
                      "index.html: sub/page.html#nowhere (no anchor #nowhere)"]
