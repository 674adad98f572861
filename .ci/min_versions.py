"""Print pip requirements pinning every declared floor of pyproject.toml exactly: ``numpy>=2.0`` -> ``numpy==2.0``.

Usage: ``python .ci/min_versions.py [extra ...]`` prints the runtime dependencies and those of the named
extras, one per line, for ``pip install -r /dev/stdin``. CI installs them in a fresh virtualenv and runs
the tests, so that the minimum versions the package declares are versions it works with.
A requirement without a ``>=`` floor is an error: it would not be tested at its minimum.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

FLOOR = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*>=\s*([0-9][^,;\s]*)\s*(;.*)?$")


def pins(requirements: list[str]) -> list[str]:
    out = []
    for req in requirements:
        m = FLOOR.match(req)
        if m is None:
            raise SystemExit(f"min_versions: {req!r} has no single '>=' floor to pin")
        name, extras, version, marker = m.groups()
        out.append(f"{name}{extras or ''}=={version}{' ' + marker if marker else ''}")
    return out


def main(argv: list[str]) -> None:
    project = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    optional = project.get("optional-dependencies", {})
    for extra in argv:
        if extra not in optional:
            raise SystemExit(f"min_versions: no extra {extra!r} in pyproject.toml; there are {sorted(optional)}")
        requirements += optional[extra]
    seen = {}
    for line in pins(requirements):  # an extra may repeat a runtime floor; keep the first
        seen.setdefault(re.split(r"[\[=]", line, maxsplit=1)[0].lower(), line)
    print("\n".join(seen.values()))


if __name__ == "__main__":
    main(sys.argv[1:])
