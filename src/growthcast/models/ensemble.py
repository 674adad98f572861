"""Combinations of models: the median or mean of several models' forecasts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .. import errors
from ..errors import DataError
from .base import Fitted, Model, last_observed
from .registry import get_model, model_names, register

__all__ = ["Ensemble"]


@dataclass(frozen=True, kw_only=True)
class Ensemble(Model):
    """The median or mean of several models' forecasts.

    The point forecast is the median (or mean) of the members' point
    forecasts; each interval bound is the median (or mean) of the members'
    bounds at the same level. Members that failed are left out; the
    combination fails only if every member does.

    Parameters
    ----------
    members : tuple of str, default ("logistic", "gompertz", "drift", "holt")
        Names of at least two registered models (see :func:`growthcast.available_models`), not ensembles.
    combine : {"median", "mean"}, default "median"
        How the members' forecasts and bounds are combined.
    """

    default_intervals: ClassVar[str] = "of members"

    members: tuple[str, ...] = ("logistic", "gompertz", "drift", "holt")
    combine: str = "median"

    def __post_init__(self) -> None:
        if self.combine not in ("median", "mean"):
            raise DataError(f"combine must be 'median' or 'mean', got {self.combine!r}")
        if len(self.members) < 2:
            raise DataError("an ensemble needs at least two members")
        object.__setattr__(self, "members", tuple(self.members))
        unknown = [m for m in self.members if m not in model_names() or m.startswith("ensemble")]
        if unknown:
            raise DataError(f"ensemble members must be named models, got {unknown}")

    @property
    def name(self) -> str:  # type: ignore[override]
        """``"ensemble_mean"`` or ``"ensemble_median"``, after ``combine``."""
        return f"ensemble_{self.combine}"

    @property
    def description(self) -> str:  # type: ignore[override]
        """The combination and its members, in words."""
        return f"{self.combine} of {', '.join(self.members)}"

    param_names: ClassVar[tuple[str, ...]] = ()  # type: ignore[assignment]

    @property
    def batch_independent(self) -> bool:
        """Independent when every member is (a pooled member makes the combination pool too)."""
        return all(spec.batch_independent for spec in self._specs())

    def _specs(self) -> list[Model]:
        return [get_model(m) for m in self.members]

    def fit_arrays(self, t, y, mask, percent, *, start=None, weights=None) -> Fitted:
        fits = tuple(spec.fit_arrays(t, y, mask, percent) for spec in self._specs())
        ok = np.stack([f.status >= 0 for f in fits])
        B = len(t)
        status = np.where(ok.any(axis=0), errors.CONVERGED_EXACT, errors.FAILED_MODEL)
        _, t_last, y_last = last_observed(t, y, mask)
        return Fitted(
            params=np.zeros((B, 0)), cov=np.zeros((B, 0, 0)), sigma2=np.full(B, np.nan), sse=np.full(B, np.nan),
            n_obs=mask.sum(axis=1), n_params=np.zeros(B, int), n_iter=np.zeros(B, int), status=status,
            t_last=t_last, y_last=y_last, percent=percent, state={"members": fits},
        )

    def predict_arrays(self, fitted, t_new, level):
        outs = []
        for spec, fit in zip(self._specs(), fitted.state["members"]):
            m, lo, hi = spec.predict_arrays(fit, t_new, level)
            failed = (fit.status < 0)[:, None]
            outs.append(np.where(failed, np.nan, np.stack([m, lo, hi])))
        stack = np.stack(outs)  # (members, 3, B, M)
        mean, lower, upper = (_nanmedian if self.combine == "median" else _nanmean)(stack)
        return mean, lower, upper

    def notes(self, result) -> str:
        lines = [
            f"Point forecast: the {self.combine} of the members' point forecasts at each date; each interval bound is "
            f"the {self.combine} of the members' bounds at the same level (members that failed are left out).",
            f"Members, each fitted to the same {len(result.t)} observations:",
        ]
        t_ahead = np.array([[float(result.t[-1]) + 1.0]]) if len(result.t) else np.zeros((1, 1))
        for spec, fit in zip(self._specs(), result.fitted.state["members"]):
            status = int(fit.status[0])
            if status < 0:
                message = fit.message[0] if fit.message is not None and fit.message[0] else errors.STATUS_MESSAGES.get(
                    status, "failed")
                lines.append(f"  {spec.name}: left out, {message}")
                continue
            with np.errstate(all="ignore"):
                ahead = float(spec.mean_arrays(fit, t_ahead)[0, 0])
            state = "converged" if status > 0 else "NOT converged"
            lines.append(f"  {spec.name}: {state}, {spec.default_intervals} intervals; one year ahead {ahead:.6g}")
        lines.append("Every member has its own fit summary: gc.fit(name, ...).summary().")
        return "\n".join(lines)


def _nanmedian(stack: np.ndarray) -> np.ndarray:
    """``np.nanmedian(stack, axis=0)``, NaN where every member failed (without numpy's warning)."""
    ordered = np.sort(stack, axis=0)  # NaN last
    k = np.isfinite(ordered).sum(axis=0)
    lo = np.take_along_axis(ordered, np.maximum((k - 1) // 2, 0)[None], axis=0)[0]
    hi = np.take_along_axis(ordered, np.maximum(k // 2, 0)[None], axis=0)[0]
    with np.errstate(invalid="ignore"):
        middle = np.where(k % 2 == 1, lo, (lo + hi) / 2.0)
    return np.where(k > 0, middle, np.nan)


def _nanmean(stack: np.ndarray) -> np.ndarray:
    """``np.nanmean(stack, axis=0)``, NaN where every member failed (without numpy's warning)."""
    k = np.isfinite(stack).sum(axis=0)
    total = np.where(np.isnan(stack), 0.0, stack).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(k > 0, total / k, np.nan)



register(Ensemble(combine="median"))
register(Ensemble(combine="mean"))
