"""Exceptions, warnings and the status codes that a fit reports.

A fit that fails is data, not an exception: every fitted problem carries an
integer status from :data:`STATUS_MESSAGES`, and its parameters are NaN only
beside a status that says why. A failed single fit raises :class:`FitError`
when asked for a forecast.
"""

from __future__ import annotations

import reprlib

__all__ = [
    "DataError",
    "FitError",
    "STATUS_MESSAGES",
    "CONVERGED_GRADIENT",
    "CONVERGED_STEP",
    "CONVERGED_COST",
    "CONVERGED_EXACT",
    "MAX_ITERATIONS",
    "FAILED_NONFINITE",
    "FAILED_TOO_FEW_POINTS",
    "FAILED_SINGULAR",
    "FAILED_INVALID_DATA",
    "FAILED_MODEL",
]


class DataError(ValueError):
    """Input data that growthcast cannot use as given.

    The message names the argument or column, what was expected, and the
    offending rows, dates or series.
    """


class FitError(RuntimeError):
    """A failed fit asked for what it cannot give: a forecast, or :meth:`FitResult.raise_for_status`."""


CONVERGED_GRADIENT = 1
CONVERGED_STEP = 2
CONVERGED_COST = 3
CONVERGED_EXACT = 4
MAX_ITERATIONS = 0
FAILED_NONFINITE = -1
FAILED_TOO_FEW_POINTS = -2
FAILED_SINGULAR = -3
FAILED_INVALID_DATA = -4
FAILED_MODEL = -5
FAILED_IMPLAUSIBLE = -6

STATUS_MESSAGES: dict[int, str] = {
    CONVERGED_GRADIENT: "converged: gradient below tolerance",
    CONVERGED_STEP: "converged: step below tolerance",
    CONVERGED_COST: "converged: relative reduction of the sum of squares below tolerance",
    CONVERGED_EXACT: "solved in closed form",
    MAX_ITERATIONS: "stopped: maximum number of iterations reached before convergence",
    FAILED_NONFINITE: "failed: the model produced non-finite values at every trial step",
    FAILED_TOO_FEW_POINTS: "failed: fewer usable points than free parameters",
    FAILED_SINGULAR: "failed: parameters not identifiable (singular Jacobian)",
    FAILED_INVALID_DATA: "failed: the series cannot be fitted by this model",
    FAILED_MODEL: "failed: the underlying estimator raised an error",
    FAILED_IMPLAUSIBLE: "failed: the fit is implausible for the data (its forecast would be confident nonsense)",
}


def short_list(items) -> str:
    """A bounded repr of offending ids, rows or dates for an error message."""
    r = reprlib.Repr()
    r.maxlist = 8
    r.maxother = 60
    r.maxstring = 60
    # numpy scalars as plain numbers: "[1, 3]", not "[np.int64(1), np.int64(3)]" (numpy >= 2)
    return r.repr([x.item() if hasattr(x, "item") and getattr(x, "ndim", None) == 0 else x for x in items])
