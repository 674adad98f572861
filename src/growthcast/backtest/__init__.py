"""Backtests against held-out observations, and the errors that calibrate intervals.

* :mod:`.layout`: origins, targets and horizons, and the past of each origin;
* :mod:`.run`: :func:`backtest`, every model over every origin in one batch;
* :mod:`.scoring`: :class:`Backtest`, its scores and the Diebold-Mariano test.
"""

from ..intervals import MIN_CALIBRATION_ERRORS
from .run import DEFAULT_MEMBERS, DEFAULT_MODELS, WEIGHTED, backtest
from .scoring import Backtest, diebold_mariano

__all__ = ["Backtest", "backtest", "diebold_mariano", "DEFAULT_MODELS", "DEFAULT_MEMBERS", "MIN_CALIBRATION_ERRORS",
           "WEIGHTED"]
