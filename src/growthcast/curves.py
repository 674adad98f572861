"""Curve functions f(t, theta) and their analytic Jacobians.

Every function broadcasts over a batch axis: ``t`` has shape
``(n_problems, n_points)`` and each parameter is an array of shape
``(n_problems, 1)`` (or a scalar). Values come back with the shape of ``t``
and Jacobians with shape ``(n_problems, n_points, n_params)``. No pandas here.

Parameter roles tell the solver how to work on scaled data: a ``level``
parameter (K, m) is divided by the scale of the observations, a ``time``
parameter (t0, ts) is shifted by the centre of the time axis, and a
``positive`` parameter is fitted as its logarithm so that it stays > 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.special import expit

__all__ = ["Curve", "CURVES", "logistic", "gompertz", "richards", "bass"]

_Z_MIN = -40.0  # exp(40) ~ 2e17: beyond it the curves are at 0 to double precision


@dataclass(frozen=True)
class Curve:
    """A parametric curve: its names, roles, value and Jacobian."""

    name: str
    params: tuple[str, ...]
    level: tuple[str, ...]  # scale with y
    time: tuple[str, ...]  # shift with t
    positive: tuple[str, ...]  # fitted on the log scale
    value: Callable[..., np.ndarray]
    evaluate: Callable[..., tuple[np.ndarray, np.ndarray]]  # value and Jacobian together
    inflection: Callable[..., tuple[np.ndarray, np.ndarray]] | None = None
    inverse: Callable[..., np.ndarray] | None = None
    saturation: str | None = None  # the parameter that is the upper asymptote

    def jacobian(self, t: np.ndarray, theta: np.ndarray) -> np.ndarray:
        """d value / d theta, shape ``t.shape + (n_params,)``."""
        return self.evaluate(t, theta)[1]


def _split(theta: np.ndarray) -> list[np.ndarray]:
    theta = np.asarray(theta, dtype=float)
    return [theta[..., j : j + 1] for j in range(theta.shape[-1])]


# ---------------------------------------------------------------- logistic
def logistic(t: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """y = K / (1 + exp(-r (t - t0))); theta = (K, r, t0)."""
    K, r, t0 = _split(theta)
    return K * expit(r * (t - t0))


def _logistic_eval(t, theta):
    K, r, t0 = _split(theta)
    dt = t - t0
    s = expit(r * dt)
    Kds = K * s * (1.0 - s)
    return K * s, np.stack([s, Kds * dt, -Kds * r], axis=-1)


def _logistic_inflection(theta):
    K, r, t0 = _split(theta)
    return t0[..., 0], K[..., 0] / 2.0


def _logistic_inverse(y, theta):
    K, r, t0 = _split(theta)
    with np.errstate(divide="ignore", invalid="ignore"):
        return t0 + np.log(y / (K - y)) / r


# ---------------------------------------------------------------- gompertz
def gompertz(t: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """y = K exp(-exp(-r (t - t0))); theta = (K, r, t0)."""
    K, r, t0 = _split(theta)
    e = np.exp(-np.maximum(r * (t - t0), _Z_MIN))
    return K * np.exp(-e)


def _gompertz_eval(t, theta):
    K, r, t0 = _split(theta)
    dt = t - t0
    e = np.exp(-np.maximum(r * dt, _Z_MIN))
    g = np.exp(-e)
    dz = K * g * e  # dy/dz
    return K * g, np.stack([g, dz * dt, -dz * r], axis=-1)


def _gompertz_inflection(theta):
    K, r, t0 = _split(theta)
    return t0[..., 0], K[..., 0] / np.e


def _gompertz_inverse(y, theta):
    K, r, t0 = _split(theta)
    with np.errstate(divide="ignore", invalid="ignore"):
        return t0 - np.log(-np.log(y / K)) / r


# ---------------------------------------------------------------- richards
def _richards_parts(t, theta):
    K, r, t0, nu = _split(theta)
    z = r * (t - t0)
    a = np.log(nu) - z
    L = np.logaddexp(0.0, a)  # log(1 + nu exp(-z)) without overflow
    y = K * np.exp(-L / nu)
    return K, r, t0, nu, z, a, L, y


def richards(t: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """y = K / (1 + nu exp(-r (t - t0)))^(1/nu); theta = (K, r, t0, nu)."""
    return _richards_parts(t, theta)[-1]


def _richards_eval(t, theta):
    K, r, t0, nu, z, a, L, y = _richards_parts(t, theta)
    w = expit(a)  # nu e^-z / (1 + nu e^-z)
    dz = y * w / nu
    return y, np.stack([y / K, dz * (t - t0), -dz * r, y * (L - w) / nu**2], axis=-1)


def _richards_inflection(theta):
    K, r, t0, nu = _split(theta)
    return (t0 + np.log(nu) / r)[..., 0], (K * (1.0 + nu) ** (-1.0 / nu))[..., 0]


def _richards_inverse(y, theta):
    K, r, t0, nu = _split(theta)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return t0 - np.log(np.expm1(nu * np.log(K / y)) / nu) / r


# ---------------------------------------------------------------- bass
def _bass_parts(t, theta):
    m, p, q, ts = _split(theta)
    tau = np.maximum(t - ts, 0.0)
    b = p + q
    a = q / p
    E = np.exp(-b * tau)
    D = 1.0 + a * E
    F = (1.0 - E) / D
    return m, p, q, ts, tau, b, a, E, D, F


def bass(t: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Cumulative Bass adopters, theta = (m, p, q, ts).

    y = m (1 - exp(-(p+q)(t - ts))) / (1 + (q/p) exp(-(p+q)(t - ts))) for
    t >= ts and 0 before.
    """
    m, *_, F = _bass_parts(t, theta)
    return m * F


def _bass_eval(t, theta):
    m, p, q, ts, tau, b, a, E, D, F = _bass_parts(t, theta)
    dF_dE = -(1.0 + a) / D**2
    dF_da = -(1.0 - E) * E / D**2
    dE_db = -tau * E
    started = (t > ts).astype(float)
    d_p = dF_dE * dE_db + dF_da * (-q / p**2)
    d_q = dF_dE * dE_db + dF_da / p
    d_ts = dF_dE * b * E * started
    return m * F, np.stack([F * np.ones_like(m), m * d_p, m * d_q, m * d_ts], axis=-1)


def _bass_inflection(theta):
    m, p, q, ts = _split(theta)
    with np.errstate(divide="ignore", invalid="ignore"):
        t_star = ts + np.log(q / p) / (p + q)
        y_star = m * (0.5 - p / (2.0 * q))
    early = q <= p  # adoption slows from the start: no inflection after ts
    return np.where(early, ts, t_star)[..., 0], np.where(early, 0.0, y_star)[..., 0]


def _bass_inverse(y, theta):
    m, p, q, ts = _split(theta)
    with np.errstate(divide="ignore", invalid="ignore"):
        F = y / m
        E = (1.0 - F) / (1.0 + (q / p) * F)
        return ts - np.log(E) / (p + q)


CURVES: dict[str, Curve] = {
    "logistic": Curve(
        "logistic", ("K", "r", "t0"), ("K",), ("t0",), ("K", "r"),
        logistic, _logistic_eval, _logistic_inflection, _logistic_inverse, "K",
    ),
    "gompertz": Curve(
        "gompertz", ("K", "r", "t0"), ("K",), ("t0",), ("K", "r"),
        gompertz, _gompertz_eval, _gompertz_inflection, _gompertz_inverse, "K",
    ),
    "richards": Curve(
        "richards", ("K", "r", "t0", "nu"), ("K",), ("t0",), ("K", "r", "nu"),
        richards, _richards_eval, _richards_inflection, _richards_inverse, "K",
    ),
    "bass": Curve(
        "bass", ("m", "p", "q", "ts"), ("m",), ("ts",), ("m", "p", "q"),
        bass, _bass_eval, _bass_inflection, _bass_inverse, "m",
    ),
}
