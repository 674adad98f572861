"""The examples in the docstrings run against the installed package.

pytest's ``--doctest-modules`` would collect ``src/growthcast`` as files and clash
with the copy that ``pip install .`` put in site-packages, so the doctests are
run here through :mod:`doctest` on the imported modules instead.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import growthcast

MODULES = sorted(
    name for _, name, _ in pkgutil.walk_packages(growthcast.__path__, "growthcast.")
    if name != "growthcast.__main__"
) + ["growthcast"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    failed, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert failed == 0, f"{failed} doctest example(s) failed in {name}"


def test_the_documented_modules_have_examples():
    finder = doctest.DocTestFinder()
    with_examples = {
        name for name in MODULES
        if any(t.examples for t in finder.find(importlib.import_module(name)))
    }
    assert {"growthcast.data", "growthcast.fitting", "growthcast.backtest.run", "growthcast.models.registry"} <= with_examples
