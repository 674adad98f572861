"""Model specifications, one module per family, and the registry of names.

* saturation curves (:mod:`.curve`): :class:`Logistic`, :class:`Gompertz`,
  :class:`Richards`, :class:`Bass`, :class:`Weibull`;
* closed-form trends (:mod:`.regression`): :class:`Linear`, :class:`Quadratic`,
  :class:`Exponential`, :class:`LogitLinear`;
* baselines (:mod:`.random_walk`): :class:`Naive`, :class:`Drift`;
* local trends and the default (:mod:`.local_trend`): :class:`LocalTrend`, :class:`Auto`;
* statsmodels' state-space models (:mod:`.state_space`): :class:`Holt`, :class:`ETS`, :class:`ARIMA`;
* combinations (:mod:`.ensemble`): :class:`Ensemble`.

Each family module registers its models (:func:`register`); importing this
package imports them all, so every model is reachable by name.
"""

# The family modules register their models as they are imported, in this order
# (the ensembles last: their members must exist).
from .base import Bootstrap, Calibration, Fitted, Model, require_residual_dof
from .registry import available_models, get_model, model_names, register
from .curve import Bass, CurveModel, Gompertz, Logistic, Richards, Weibull  # noqa: I001
from .regression import Exponential, Linear, LogitLinear, Quadratic
from .random_walk import Drift, Naive
from .local_trend import Auto, LocalTrend
from .state_space import ARIMA, ETS, Holt, regular_grid
from .saturating import Saturating  # noqa: F401
from .ensemble import Ensemble

__all__ = [
    "ARIMA", "Auto", "Bass", "Bootstrap", "Calibration", "CurveModel", "Drift", "ETS", "Ensemble", "Exponential", "Fitted", "Gompertz",
    "Holt", "Linear", "LocalTrend", "Logistic", "LogitLinear", "Model", "Naive", "Quadratic", "Richards", "Saturating",
    "Weibull", "available_models", "get_model", "model_names", "register", "regular_grid", "require_residual_dof",
]
