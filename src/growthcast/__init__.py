"""growthcast: saturation-curve and trend forecasts of adoption series.

Fit logistic-family curves, trend models and baselines to one series or
thousands at once, with honest intervals, and backtest them against
held-out report editions.
"""

from .backtest import Backtest, backtest
from .data import from_frame, load_china_population, load_cnnic, load_cnnic_applications, load_panel, read_csv
from .errors import DataError, FitError
from .fitting import fit, fit_many
from .models import (
    ARIMA,
    Auto,
    ETS,
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
    "Weibull",
    "available_models",
    "backtest",
    "fit",
    "fit_many",
    "from_frame",
    "load_china_population",
    "load_cnnic",
    "load_cnnic_applications",
    "load_panel",
    "read_csv",
]
