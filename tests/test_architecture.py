"""The package's structure: imports form layers with no cycle, and the extension points work.

The import graph is read from the source (every ``import`` inside the
package, at the top of a module or inside a function), so a cycle hidden by a
late import fails too.
"""

from __future__ import annotations

import ast
import pickle
import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import least_squares

import growthcast as gc
from growthcast.curves import CURVES
from growthcast.metrics import METRICS

SRC = Path(gc.__file__).parent

# Lower layers never import higher ones; a module may import its own layer's modules (without a cycle).
LAYERS = [
    {"errors", "_frozen", "_checks", "_files", "intervals", "metrics", "curves", "summary", "progress"},
    {"_numerics", "_numerics.linalg", "_numerics.lm", "_numerics.curvefit", "_numerics.lone", "_numerics.smoothing", "_numerics.arima",
     "data", "frequency"},
    {"panel"},
    {"models.base", "models.registry"},
    {"models", "models.curve", "models.regression", "models.random_walk", "models.local_trend",
     "models.state_space", "models.saturating", "models.ensemble"},
    {"uncertainty"},
    {"plot"},  # figures: read results by duck typing; results, backtests import it late for .plot()
    {"results"},
    {"distributed"},
    {"backtest", "backtest.layout", "backtest.scoring", "backtest.run"},
    {"fitting", "interop"},
    {""},  # growthcast/__init__.py
    {"report"},
    {"cli", "__main__"},
]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _runtime_nodes(tree: ast.AST):
    """Every node except those under ``if TYPE_CHECKING:`` (annotations only, never imported at run time)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            continue
        yield node
        yield from _runtime_nodes(node)


def _imports(path: Path) -> set[str]:
    """Package modules imported anywhere in the file at run time, by name relative to ``growthcast``."""
    name = _module_name(path)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    package = [p for p in package if p]
    out = set()
    for node in _runtime_nodes(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
            target = ".".join(base + ([node.module] if node.module else []))
            if node.module is None:  # from . import errors
                for alias in node.names:
                    full = ".".join(base + [alias.name])
                    out.add(full if (SRC / Path(*full.split("."))).with_suffix(".py").exists()
                            or (SRC / Path(*full.split("."))).is_dir() else target)
            else:
                out.add(target)
        elif isinstance(node, (ast.Import, ast.ImportFrom)) and not getattr(node, "level", 0):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for n in names:
                if n == "growthcast" or n.startswith("growthcast."):
                    out.add(n.removeprefix("growthcast").removeprefix("."))
    out.discard(name)
    return out


GRAPH = {_module_name(p): _imports(p) for p in SRC.rglob("*.py")}


def _layer(module: str) -> int:
    for i, layer in enumerate(LAYERS):
        if module in layer:
            return i
    raise AssertionError(f"module {module!r} has no layer: add it to LAYERS")


def test_every_module_has_a_layer_and_imports_only_its_own_or_lower_layers():
    upward = [(m, d) for m, deps in GRAPH.items() for d in deps if _layer(d) > _layer(m)]
    assert not upward, f"imports of a higher layer: {upward}"


def test_the_import_graph_has_no_cycle():
    state: dict[str, int] = {}

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for d in sorted(GRAPH.get(m, ())):
            if state.get(d) == 1:
                raise AssertionError(f"import cycle: {' -> '.join(path + [m, d])}")
            if d not in state:
                visit(d, path + [m])
        state[m] = 2

    for m in sorted(GRAPH):
        if m not in state:
            visit(m, [])


def test_no_private_name_is_imported_from_another_module():
    crossing = []
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                crossing += [(_module_name(path), a.name) for a in node.names
                             if a.name.startswith("_") and a.name != "__version__"]
    assert not crossing, crossing


# ---------------------------------------------------------------- adding a curve: Weibull
def _weibull(t, K, r, ts, k):
    x = np.maximum(r * (t - ts), 0.0)
    return K * -np.expm1(-(x**k))


def test_weibull_fit_matches_scipy_least_squares():
    rng = np.random.default_rng(7)
    t = np.arange(2000.0, 2025.0, 0.5)
    truth = (80.0, 0.08, 1996.0, 2.5)
    y = _weibull(t, *truth) + rng.normal(0, 0.8, t.size)
    res = gc.fit("weibull", t, y)
    assert res.converged, res.message

    def resid(p):
        return _weibull(t, *p) - y

    # an independent start, away from the package's own
    ref = least_squares(resid, x0=[70.0, 0.1, 1997.0, 2.0], method="lm", xtol=1e-14, ftol=1e-14, gtol=1e-14)
    np.testing.assert_allclose(res.params.to_numpy(), ref.x, rtol=1e-6)
    assert res.sse == pytest.approx(2 * ref.cost, rel=1e-9)
    # its standard errors are those of s^2 (J'J)^-1 at scipy's optimum
    J = ref.jac
    s2 = 2 * ref.cost / (t.size - 4)
    se = np.sqrt(np.diag(np.linalg.inv(J.T @ J)) * s2)
    np.testing.assert_allclose(res.stderr.to_numpy(), se, rtol=1e-4)


def test_weibull_is_reachable_everywhere_by_name():
    assert "weibull" in set(gc.available_models()["name"])
    df = gc.load_cnnic()
    bt = gc.backtest(df, series="penetration_pct", models=["weibull", "drift"], horizons=[1, 2])
    assert set(bt.forecasts["model"]) == {"weibull", "drift"}
    many = gc.fit_many("weibull", pd.DataFrame({"series_id": np.repeat(["a", "b"], 30),
                                                "date": np.tile(np.arange(2000.0, 2030.0), 2),
                                                "value": np.concatenate([_weibull(np.arange(2000.0, 2030.0), *p)
                                                                         for p in [(50, 0.1, 1995, 2), (90, 0.05, 1990, 3)]])}))
    np.testing.assert_allclose(many.params.loc["b"].to_numpy(), [90, 0.05, 1990, 3], rtol=1e-6)


def test_a_curve_with_its_own_parameter_names_needs_no_change_to_the_self_start():
    """The audit's probe: parameters (K, r, ts, k) crashed the old self-start with KeyError 't0'."""
    assert CURVES["weibull"].params == ("K", "r", "ts", "k")
    t = np.arange(2000.0, 2030.0)
    res = gc.fit(gc.Weibull(fixed={"ts": 1995.0}), t, _weibull(t, 60.0, 0.07, 1995.0, 2.2))
    assert res.converged
    np.testing.assert_allclose(res.params.to_numpy(), [60.0, 0.07, 1995.0, 2.2], rtol=1e-7)


# ---------------------------------------------------------------- adding a metric: bias
def test_a_registered_metric_is_scored_ranked_and_offered_by_the_cli():
    from growthcast import cli

    bt = gc.backtest(gc.load_cnnic(), series="penetration_pct", models=["drift", "naive", "linear"], horizons=[1, 2])
    fc = bt.forecasts
    by_hand = fc.assign(e=fc["actual"] - fc["mean"]).groupby(["model", "horizon"])["e"].mean()
    scores = bt.scores().set_index(["model", "horizon"])["bias"]
    np.testing.assert_allclose(scores.loc[by_hand.index].to_numpy(), by_hand.to_numpy())
    board = bt.leaderboard(metric="bias")
    assert list(board["bias"].abs()) == sorted(board["bias"].abs())  # ranked by the distance to 0
    assert "bias" in METRICS and "bias" in cli.METRICS


# ---------------------------------------------------------------- the typed protocol
def test_quantities_a_model_does_not_estimate_are_nan_not_zero():
    df = gc.load_cnnic()
    holt = gc.fit("holt", df["as_of"], df["netizens_million"])
    assert holt.stderr.isna().all()
    assert holt.conf_int().isna().all().all()  # no zero-width interval
    drift = gc.fit("drift", df["as_of"], df["netizens_million"])
    assert np.isnan(drift.stderr["level"]) and drift.stderr["drift"] > 0
    fixed = gc.fit(gc.Logistic(fixed={"K": 100}), df["as_of"], df["penetration_pct"])
    assert fixed.stderr["K"] == 0.0 and fixed.stderr["r"] > 0


@pytest.mark.parametrize("name", list(gc.available_models()["name"]))
def test_specs_and_results_pickle_and_deep_copy(name):
    df = gc.load_cnnic()
    res = gc.fit(name, df["as_of"], df["penetration_pct"])
    for copied in (pickle.loads(pickle.dumps(res)), copy.deepcopy(res)):
        assert repr(copied.spec) == repr(res.spec)
        assert copied.status == res.status
        if res.status >= 0:
            pd.testing.assert_frame_equal(copied.forecast(steps=4), res.forecast(steps=4))
