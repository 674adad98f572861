"""Every public function, class, method and property has a numpydoc docstring.

The public API is what the API reference (docs/api) documents: ``growthcast.__all__``, the public
modules listed below, and the public methods and properties of every class reached from them (the
results, the backtest, the models, the curves, the summary). A function with parameters names each
of them under ``Parameters``; a function that returns something has ``Returns`` (or ``Yields``); a
class names its constructor's arguments. Written without numpydoc so that it runs with the test
dependencies alone; the parse is the numpydoc layout: a title line underlined with dashes.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import inspect
import re
from pathlib import Path

import pytest

import growthcast as gc

# The modules whose __all__ the API reference documents, besides growthcast itself.
PUBLIC_MODULES = ("growthcast.curves", "growthcast.errors", "growthcast.intervals", "growthcast.metrics",
                  "growthcast.plot", "growthcast.summary")
# Objects of other modules that the reference documents too.
ALSO_DOCUMENTED = ("growthcast.data.to_decimal_year", "growthcast.data.from_decimal_year", "growthcast.models.Fitted",
                   "growthcast.models.register")
SECTION = re.compile(r"^([A-Z][A-Za-z ]+)\n(-+)$", re.MULTILINE)


def sections(doc: str) -> dict[str, str]:
    """``{"Parameters": body, ...}`` of a cleaned numpydoc docstring."""
    marks = [m for m in SECTION.finditer(doc) if len(m.group(2)) == len(m.group(1))]
    return {m.group(1): doc[m.end():marks[i + 1].start() if i + 1 < len(marks) else len(doc)]
            for i, m in enumerate(marks)}


def documented_names(body: str) -> set[str]:
    """The names a Parameters section lists: unindented lines ``name : type`` or ``a, b : type``."""
    names = set()
    for line in body.splitlines():
        if line and not line[0].isspace():
            names.update(n.strip() for n in line.split(" : ")[0].split(","))
    return names


def public_objects() -> dict[str, object]:
    """Qualified name -> object for every module-level public name the reference documents."""
    found = {f"growthcast.{name}": getattr(gc, name) for name in gc.__all__}
    for modname in PUBLIC_MODULES:
        module = importlib.import_module(modname)
        for name in module.__all__:
            obj = getattr(module, name)
            if callable(obj):  # constants are documented in their module's docstring
                found.setdefault(f"{modname}.{name}", obj)
    for qualname in ALSO_DOCUMENTED:
        modname, _, name = qualname.rpartition(".")
        found.setdefault(qualname, getattr(importlib.import_module(modname), name))
    return found


def is_ours(obj) -> bool:
    return (getattr(obj, "__module__", None) or "").startswith("growthcast")


def members(cls) -> dict[str, object]:
    """Public methods and properties a growthcast class defines itself (its bases are walked on their own)."""
    found = {}
    fields = {f.name for f in dataclasses.fields(cls)} if dataclasses.is_dataclass(cls) else set()
    for name, attr in vars(cls).items():
        if name.startswith("_") or name in fields:
            continue
        if isinstance(attr, (staticmethod, classmethod)):
            attr = attr.__func__
        if isinstance(attr, (property, functools.cached_property)) or inspect.isfunction(attr):
            found[name] = attr
    return found


def api() -> list[tuple[str, object]]:
    """(qualified name, object) of every function, class, method and property to check."""
    out, classes = {}, []
    for qualname, obj in public_objects().items():
        out[qualname] = obj
        if inspect.isclass(obj):
            classes.append(obj)
    # the classes users are handed back: results, the backtest, summaries, curves
    from growthcast.curves import Curve
    from growthcast.summary import Summary, Table
    classes += [gc.FitResult, gc.BatchFitResult, gc.Backtest, Summary, Table, Curve]
    seen = set()
    for cls in classes:
        for base in cls.__mro__:  # a method is checked once, where it is defined
            if base in seen or not is_ours(base):
                continue
            seen.add(base)
            qualname = f"{base.__module__}.{base.__qualname__}"
            out.setdefault(qualname, base)
            out.update((f"{qualname}.{name}", attr) for name, attr in members(base).items())
    names = {id(obj): name for name, obj in sorted(out.items(), reverse=True)}  # one name per object
    return sorted((name, out[name]) for name in set(names.values()))


API = api()


def parameters(func) -> list[str]:
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):  # builtins without a signature
        return []
    names = []
    for p in sig.parameters.values():
        if p.name in ("self", "cls"):
            continue
        prefix = {p.VAR_POSITIONAL: "*", p.VAR_KEYWORD: "**"}.get(p.kind, "")
        if not p.name.startswith("_"):  # private constructor arguments are not documented
            names.append(prefix + p.name)
    return names


def returns_something(func) -> bool:
    ann = inspect.signature(func).return_annotation
    return ann not in (None, "None")


def overridden(func) -> list[object]:
    """The growthcast methods ``func`` overrides, nearest first."""
    owner_name, _, name = func.__qualname__.rpartition(".")
    owner = getattr(importlib.import_module(func.__module__), owner_name, None) if owner_name else None
    if not inspect.isclass(owner):
        return []
    kinds = (property, functools.cached_property, staticmethod, classmethod)
    return [vars(base)[name] for base in owner.__mro__[1:] if is_ours(base) and name in vars(base)
            and (inspect.isfunction(vars(base)[name]) or isinstance(vars(base)[name], kinds))]


def constructor_parameters(cls) -> list[str]:
    """The arguments of a growthcast class's own constructor (an exception's are the builtin's)."""
    if issubclass(cls, BaseException) or not any(is_ours(b) and "__init__" in vars(b) for b in cls.__mro__):
        return []
    return parameters(cls)


def check(qualname: str, obj) -> list[str]:
    """The problems of one object's docstring, as sentences."""
    if isinstance(obj, (property, functools.cached_property)):
        func = obj.fget if isinstance(obj, property) else obj.func
        docs = [inspect.getdoc(func)] + [inspect.getdoc(base) for base in overridden(func)]  # or the overridden one's
        return [] if any(docs) else [f"{qualname}: property without a docstring"]
    if inspect.ismodule(obj):
        return [] if inspect.getdoc(obj) else [f"{qualname}: module without a docstring"]
    if inspect.isclass(obj):  # its own: not a base's, nor the signature a dataclass writes in its place
        doc = inspect.cleandoc(obj.__doc__ or "")
        if doc.startswith(f"{obj.__name__}(") and doc.endswith(")") and "\n" not in doc:
            doc = ""
    else:
        doc = inspect.getdoc(obj)
    if not doc:
        return [f"{qualname}: no docstring"]
    found = sections(doc)
    if inspect.isfunction(obj):  # an override may leave its sections to the method it overrides
        for base in overridden(obj):
            base_doc = inspect.getdoc(base.__func__ if isinstance(base, (staticmethod, classmethod)) else base)
            for heading, body in sections(base_doc or "").items():
                found.setdefault(heading, body)
    problems = []
    if inspect.isclass(obj):
        wanted = constructor_parameters(obj)
    else:
        wanted = parameters(obj)
        if returns_something(obj) and not ({"Returns", "Yields"} & found.keys()):
            problems.append(f"{qualname}: no Returns section")
    if wanted:
        # a class may list its fields as Attributes (the frozen results, which users never construct)
        headings = ("Parameters", "Other Parameters") + (("Attributes",) if inspect.isclass(obj) else ())
        named = set().union(*(documented_names(found[h]) for h in headings if h in found))
        if not named:
            problems.append(f"{qualname}: no Parameters section for {wanted}")
        else:
            missing = [p for p in wanted if p not in named and p.lstrip("*") not in named]
            if missing:
                problems.append(f"{qualname}: Parameters does not name {missing}")
    return problems


def test_the_walk_reaches_the_whole_public_api():
    names = {name for name, _ in API}
    for expected in ("growthcast.read_csv", "growthcast.results.FitResult.forecast",
                     "growthcast.results.BatchFitResult.forecast", "growthcast.backtest.scoring.Backtest.scores",
                     "growthcast.Logistic", "growthcast.models.base.Model.fit_arrays", "growthcast.curves.Curve",
                     "growthcast.summary.Summary", "growthcast.DataError", "growthcast.metrics.mase"):
        assert expected in names, expected
    assert len(API) > 150


def test_the_section_parser():
    doc = inspect.cleandoc('''Title.

        Parameters
        ----------
        a, b : int
            Two.
        *args
            More.

        Returns
        -------
        int
        ''')
    assert sections(doc).keys() == {"Parameters", "Returns"}
    assert documented_names(sections(doc)["Parameters"]) == {"a", "b", "*args"}

    def bad(x):
        """Nothing about x."""
        return x

    def good(x) -> int:
        """Good.

        Parameters
        ----------
        x : int
            A number.

        Returns
        -------
        int
        """
        return x

    assert check("bad", bad) == ["bad: no Returns section", "bad: no Parameters section for ['x']"]
    assert check("good", good) == []


def test_the_checks_of_classes_and_overrides():
    @dataclasses.dataclass(frozen=True)
    class Spec:
        rate: float = 1.0

    Spec.__module__ = "growthcast.fake"
    assert check("Spec", Spec) == ["Spec: no docstring"]  # the dataclass's own signature line is not one
    Spec.__doc__ = "A spec.\n\nParameters\n----------\nrate : float\n    The rate.\n"
    assert check("Spec", Spec) == []
    Spec.__doc__ = "A spec.\n\nParameters\n----------\nspeed : float\n    Not the rate.\n"
    assert check("Spec", Spec) == ["Spec: Parameters does not name ['rate']"]
    assert check("Spec.p", property(lambda self: 1)) == ["Spec.p: property without a docstring"]


@pytest.mark.parametrize("qualname, obj", API, ids=[name for name, _ in API])
def test_public_docstring(qualname, obj):
    assert check(qualname, obj) == []


def test_the_reference_lists_every_public_name():
    """Each name of ``growthcast.__all__``, and each function and class of the public modules, is on a page
    of docs/api (an autosummary entry, or a module)."""
    pages = Path(__file__).resolve().parents[1] / "docs" / "api"
    if not pages.is_dir():
        pytest.skip("docs/api is not in this copy of the sources")
    text = "\n".join(p.read_text() for p in pages.glob("*.rst"))
    listed = set(re.findall(r"^ {3}([A-Za-z_][\w.]*)$", text, re.MULTILINE))
    modules = set(re.findall(r"^\.\. automodule:: growthcast\.(\w+)", text, re.MULTILINE))
    assert sorted(set(gc.__all__) - listed - modules) == []
    last = {name.rpartition(".")[2] for name in listed}
    unlisted = [name for name in public_objects() if name.rpartition(".")[2] not in last | modules]
    assert unlisted == []
