"""growthcast: saturation-curve and trend forecasts of adoption series.

Fit logistic-family curves, trend models and baselines to one series or
thousands at once, with honest intervals, and backtest them against
held-out observations.
"""

import sys as _sys
import types as _types
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the real imports, for type checkers and IDEs; at run time see __getattr__ below
    from .backtest import Backtest, backtest
    from .data import (
        from_frame,
        load_china_population,
        load_cnnic,
        load_cnnic_applications,
        load_panel,
        read_csv,
    )
    from .errors import DataError, FitError
    from .fitting import fit, fit_arrays, fit_many
    from .interop import from_statsforecast, to_statsforecast
    from .models import (
        ARIMA,
        ETS,
        Auto,
        Bass,
        Drift,
        Ensemble,
        Exponential,
        Gompertz,
        Holt,
        Linear,
        LocalTrend,
        Logistic,
        LogitLinear,
        Model,
        Naive,
        Quadratic,
        Richards,
        Saturating,
        Weibull,
        available_models,
    )
    from .results import BatchFitResult, FitResult

__version__ = "0.1.0"

__all__ = [
    "ARIMA",
    "Auto",
    "Backtest",
    "BatchFitResult",
    "Bass",
    "DataError",
    "Drift",
    "ETS",
    "Ensemble",
    "Exponential",
    "FitError",
    "FitResult",
    "Gompertz",
    "Holt",
    "Linear",
    "LocalTrend",
    "LogitLinear",
    "Logistic",
    "Model",
    "Naive",
    "Quadratic",
    "Richards",
    "Saturating",
    "Weibull",
    "available_models",
    "backtest",
    "fit",
    "fit_arrays",
    "fit_many",
    "from_frame",
    "from_statsforecast",
    "load_china_population",
    "load_cnnic",
    "load_cnnic_applications",
    "load_panel",
    "read_csv",
    "to_statsforecast",
]

# Public names are imported on first use (PEP 562), so that ``import growthcast``
# does not pay for pandas, scipy and the models before they are needed: the
# command line and ``growthcast --version`` start in a fraction of the time.
_SOURCES = {
    "Backtest": "backtest",
    "backtest": "backtest",
    "from_frame": "data",
    "load_china_population": "data",
    "load_cnnic": "data",
    "load_cnnic_applications": "data",
    "load_panel": "data",
    "read_csv": "data",
    "DataError": "errors",
    "FitError": "errors",
    "fit": "fitting",
    "fit_many": "fitting",
    "fit_arrays": "fitting",
    "from_statsforecast": "interop",
    "to_statsforecast": "interop",
    "BatchFitResult": "results",
    "FitResult": "results",
    **{name: "models" for name in (
        "ARIMA", "Auto", "Bass", "Drift", "ETS", "Ensemble", "Exponential", "Gompertz", "Holt", "Linear",
        "LocalTrend", "Logistic", "LogitLinear", "Model", "Naive", "Quadratic", "Richards", "Saturating",
        "Weibull", "available_models",
    )},
}
# Subpackages and modules reachable as attributes (``growthcast.models``), as they were when eagerly imported.
_SUBMODULES = frozenset({
    "backtest", "cli", "curves", "data", "errors", "fitting", "frequency", "interop", "intervals", "metrics",
    "models", "panel", "plot", "progress", "report", "results", "summary", "uncertainty",
})


def __getattr__(name: str):
    import importlib

    source = _SOURCES.get(name)
    if source is not None:
        value = getattr(importlib.import_module(f".{source}", __name__), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # later look-ups do not come back here
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(_types.ModuleType):
    """The package module: importing the ``growthcast.backtest`` subpackage keeps ``growthcast.backtest``
    the public function, as when it was imported eagerly (the import system sets the parent's attribute)."""

    def __setattr__(self, name: str, value) -> None:
        if name == "backtest" and isinstance(value, _types.ModuleType):
            value = value.backtest
        super().__setattr__(name, value)


_sys.modules[__name__].__class__ = _Package
del TYPE_CHECKING
