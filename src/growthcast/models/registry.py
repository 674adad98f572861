"""Models by name: filled by each model module's :func:`register` calls."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd

from ..errors import DataError
from .base import Model

__all__ = ["register", "get_model", "available_models", "model_names"]

_MODELS: dict[str, Model] = {}


def register(spec: Model, name: str | None = None) -> Model:
    """Make ``spec`` reachable by name in ``fit``, ``fit_many``, ``backtest`` and the CLI.

    Parameters
    ----------
    spec : Model
        A model specification (its options are the ones the name stands for).
    name : str, optional
        The name; ``spec.name`` by default.

    Returns
    -------
    Model
        ``spec``, so that ``register`` can be used in an expression.
    """
    key = spec.name if name is None else name
    if not key or not isinstance(key, str):
        raise DataError(f"register: a model needs a name, got {key!r}")
    _MODELS[key] = spec
    return spec


def model_names() -> tuple[str, ...]:
    """Every registered name, in registration order."""
    return tuple(_MODELS)


def get_model(model: str | Model, **options: Any) -> Model:
    """The spec for a name (with ``options`` applied), or the spec itself.

    Raises
    ------
    DataError
        For an unknown name, listing the known ones.
    """
    if isinstance(model, Model):
        return replace(model, **options) if options else model
    if not isinstance(model, str) or model not in _MODELS:
        raise DataError(f"unknown model {model!r}; choose one of {sorted(_MODELS)}")
    spec = _MODELS[model]
    return replace(spec, **options) if options else spec


def available_models() -> pd.DataFrame:
    """Every model reachable by name, with a one-line description.

    Returns
    -------
    DataFrame
        One row per model: ``name`` (what :func:`growthcast.fit` accepts), ``spec`` (the
        specification's repr) and ``description``.

    Examples
    --------
    >>> import growthcast as gc
    >>> "logistic" in set(gc.available_models()["name"])
    True
    """
    return pd.DataFrame(
        [{"name": name, "spec": repr(spec), "description": spec.description} for name, spec in _MODELS.items()]
    )
