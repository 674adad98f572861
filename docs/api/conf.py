"""Sphinx configuration of the API reference, built from the numpydoc docstrings.

Build: ``pip install ".[docs]" && sphinx-build -W -n --keep-going -b html docs/api docs/api/_build/html``.
CI builds it with warnings as errors and nitpicky references, then checks every link of the built pages
(``.ci/check_links.py``). It needs no network: other projects' names are not linked (no intersphinx).
"""

from __future__ import annotations

import inspect

import growthcast

project = "growthcast"
author = "growthcast developers"
copyright = "growthcast developers, MIT licence"
version = release = growthcast.__version__

extensions = ["sphinx.ext.autodoc", "sphinx.ext.autosummary", "numpydoc"]
templates_path = ["_templates"]
exclude_patterns = ["_build", "generated/*.md"]

autosummary_generate = True
autosummary_imported_members = True
autodoc_typehints = "none"  # the numpydoc sections say the types, in words
autodoc_member_order = "groupwise"
autodoc_default_options = {"members": True}
numpydoc_show_class_members = False  # the class template lists the members with autodoc
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks: set[str] = set()  # tests/test_docstrings.py is the check

# -n (nitpicky) fails on every reference that does not resolve; the ones below point into other
# projects, which are not linked so that the build needs no network.
nitpick_ignore_regex = [
    ("py:.*", r"(numpy|pandas|scipy|statsmodels|matplotlib|datetime|pathlib|dataclasses|typing)(\..*)?"),
]

html_theme = "alabaster"
html_title = f"growthcast {release}"
html_theme_options = {"description": "Saturation-curve and trend forecasts of adoption series", "nosidebar": False}
html_show_sourcelink = False


def _public_signature(app, what, name, obj, options, signature, return_annotation):
    """A class's signature without its private constructor arguments (``Backtest``'s ``_forecasts``...)."""
    if what != "class" or not signature:
        return None
    params = inspect.signature(obj).parameters.values()
    if not any(p.name.startswith("_") for p in params):
        return None
    kept = [p.replace(annotation=inspect.Parameter.empty) for p in params if not p.name.startswith("_")]
    return str(inspect.Signature(kept)), return_annotation


def setup(app):
    app.connect("autodoc-process-signature", _public_signature)
