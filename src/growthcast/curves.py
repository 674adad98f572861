"""Curve functions f(t, theta) and their analytic Jacobians.

Every function broadcasts over a batch axis: ``t`` has shape
``(n_problems, n_points)`` and each parameter is an array of shape
``(n_problems, 1)`` (or a scalar). Values come back with the shape of ``t``
and Jacobians with shape ``(n_problems, n_points, n_params)``, stored so that
each column ``J[..., j]`` is one contiguous block. Large batches are computed
a block of rows at a time, so that the temporaries stay in the CPU cache.
Exponents are capped so that no value or derivative overflows. No pandas here.

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


# Points per block: a block's handful of temporaries and its Jacobian stay in
# the CPU cache. On large batches this is worth more than the loop costs.
_BLOCK = 2**14


def _jacobian_buffer(shape: tuple[int, ...], n_params: int) -> np.ndarray:
    """An empty Jacobian of shape ``shape + (n_params,)``.

    The memory is laid out as ``(n_params,) + shape``: each column
    ``J[..., j]`` is one contiguous array, which the kernels write with
    plain vector operations.
    """
    if not shape:
        return np.empty(n_params)
    return np.moveaxis(np.empty((n_params,) + shape), 0, -1)


def _run(kernel, n_params, t, theta, jacobian, out=None):
    """Values (and Jacobian) of ``kernel`` over the broadcast of t and theta.

    ``kernel(t, theta, f, J)`` fills ``f`` and, unless it is None, ``J``.
    Large batches go through the kernel a block of rows at a time. ``out``,
    a pair ``(f, J)`` of the right shapes (J laid out as by
    :func:`_jacobian_buffer`), is written into instead of new arrays: a
    solver that evaluates the same shapes at every iteration then allocates
    nothing, and large allocations are costly (each is fresh memory from
    the operating system, faulted in page by page).
    """
    t = np.asarray(t, dtype=float)
    theta = np.asarray(theta, dtype=float)
    if theta.shape[-1:] != (n_params,):
        raise ValueError(f"theta must have {n_params} parameters on its last axis, got shape {theta.shape}")
    shape = np.broadcast_shapes(t.shape, theta.shape[:-1] + (1,))
    if out is not None:
        f, J = out
    else:
        f = np.empty(shape)
        J = _jacobian_buffer(shape, n_params) if jacobian else None
    if len(shape) < 2 or f.size <= 2 * _BLOCK:
        kernel(t, theta, f, J)
    else:
        tb = np.broadcast_to(t, shape)
        thb = np.broadcast_to(theta, shape[:-1] + (n_params,))
        step = max(1, _BLOCK * shape[0] // f.size)
        for i in range(0, shape[0], step):
            b = slice(i, i + step)
            kernel(tb[b], thb[b], f[b], None if J is None else J[b])
    return (f, J) if jacobian else f


def _cap(x: np.ndarray, cap: float) -> None:
    """``x = min(x, cap)`` in place; NaN stays NaN.

    The cap is almost never reached, and a flat maximum costs a fifth of
    ``np.minimum`` with a scalar.
    """
    if x.size and not x.max() <= cap:
        np.minimum(x, cap, out=x)


# ---------------------------------------------------------------- logistic
_NEG_Z_MAX = 700.0  # exp(700) ~ 1e304 is finite: K / (1 + exp(-z)) never overflows


def _logistic_kernel(t, theta, f, J):
    K, r, t0 = _split(theta)
    if J is None:
        np.subtract(t, t0, out=f)
        f *= -r
        _cap(f, _NEG_Z_MAX)
        np.exp(f, out=f)  # exp(-z)
        f += 1.0
        np.divide(1.0, f, out=f)  # faster than np.reciprocal
        f *= K
        return
    dt = J[..., 1]
    np.subtract(t, t0, out=dt)
    e = np.multiply(dt, -r, out=J[..., 2])  # J's last column is the scratch space until the end
    _cap(e, _NEG_Z_MAX)
    np.exp(e, out=e)  # exp(-z)
    s = J[..., 0]
    np.add(e, 1.0, out=s)
    np.divide(1.0, s, out=s)  # s = 1 / (1 + exp(-z))
    np.multiply(s, K, out=f)
    e *= s  # 1 - s, accurate where s is close to 1
    e *= f  # dy/dz = K s (1 - s)
    dt *= e
    e *= -r


def logistic(t: np.ndarray, theta: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """y = K / (1 + exp(-r (t - t0))); theta = (K, r, t0)."""
    return _run(_logistic_kernel, 3, t, theta, False, None if out is None else (out, None))


def _logistic_eval(t, theta, out=None):
    return _run(_logistic_kernel, 3, t, theta, True, out)


def _logistic_inflection(theta):
    K, r, t0 = _split(theta)
    return t0[..., 0], K[..., 0] / 2.0


def _logistic_inverse(y, theta):
    K, r, t0 = _split(theta)
    with np.errstate(divide="ignore", invalid="ignore"):
        return t0 + np.log(y / (K - y)) / r


# ---------------------------------------------------------------- gompertz
def _gompertz_kernel(t, theta, f, J):
    K, r, t0 = _split(theta)
    dt = f if J is None else J[..., 1]
    np.subtract(t, t0, out=dt)
    e = np.multiply(dt, -r, out=None if J is None else J[..., 2])  # J's last column is scratch until the end
    _cap(e, -_Z_MIN)
    np.exp(e, out=e)  # exp(-z), at most exp(40)
    g = f if J is None else J[..., 0]
    np.negative(e, out=g)
    np.exp(g, out=g)
    np.multiply(g, K, out=f)
    if J is None:
        return
    e *= f  # dy/dz = K g exp(-z)
    dt *= e
    e *= -r


def gompertz(t: np.ndarray, theta: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """y = K exp(-exp(-r (t - t0))); theta = (K, r, t0)."""
    return _run(_gompertz_kernel, 3, t, theta, False, None if out is None else (out, None))


def _gompertz_eval(t, theta, out=None):
    return _run(_gompertz_kernel, 3, t, theta, True, out)


def _gompertz_inflection(theta):
    K, r, t0 = _split(theta)
    return t0[..., 0], K[..., 0] / np.e


def _gompertz_inverse(y, theta):
    K, r, t0 = _split(theta)
    with np.errstate(divide="ignore", invalid="ignore"):
        return t0 - np.log(-np.log(y / K)) / r


# ---------------------------------------------------------------- richards
def _richards_kernel(t, theta, f, J):
    K, r, t0, nu = _split(theta)
    dt = np.subtract(t, t0)
    a = np.multiply(dt, -r)
    a += np.log(nu)  # log(nu exp(-z))
    L = np.logaddexp(0.0, a)  # log(1 + nu exp(-z)) without overflow
    np.divide(L, -nu, out=f)
    np.exp(f, out=f)
    f *= K
    if J is None:
        return
    np.divide(f, K, out=J[..., 0])
    w = expit(a, out=a)  # nu e^-z / (1 + nu e^-z)
    L -= w
    L *= f
    np.divide(L, nu**2, out=J[..., 3])  # y (L - w) / nu^2
    w *= f
    w /= nu  # dy/dz = y w / nu
    np.multiply(w, dt, out=J[..., 1])
    np.multiply(w, -r, out=J[..., 2])


def richards(t: np.ndarray, theta: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """y = K / (1 + nu exp(-r (t - t0)))^(1/nu); theta = (K, r, t0, nu)."""
    return _run(_richards_kernel, 4, t, theta, False, None if out is None else (out, None))


def _richards_eval(t, theta, out=None):
    return _run(_richards_kernel, 4, t, theta, True, out)


def _richards_inflection(theta):
    # d2y/dz2 = 0 where nu exp(-z) = nu, i.e. at t = t0 for every nu
    K, r, t0, nu = _split(theta)
    return t0[..., 0].copy(), (K * (1.0 + nu) ** (-1.0 / nu))[..., 0]


def _richards_inverse(y, theta):
    K, r, t0, nu = _split(theta)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return t0 - np.log(np.expm1(nu * np.log(K / y)) / nu) / r


# ---------------------------------------------------------------- bass
def _bass_kernel(t, theta, f, J):
    m, p, q, ts = _split(theta)
    tau = np.subtract(t, ts)
    started = tau > 0.0
    np.maximum(tau, 0.0, out=tau)
    b = p + q
    a = q / p
    E = np.multiply(tau, -b)
    np.exp(E, out=E)
    D = a * E
    D += 1.0
    F = np.subtract(1.0, E, out=f if J is None else J[..., 0])
    F /= D  # F = (1 - E) / (1 + a E)
    np.multiply(F, m, out=f)
    if J is None:
        return
    D *= D
    np.divide(1.0, D, out=D)  # 1 / D^2
    dF_dE = D * -(1.0 + a)
    dF_da = E - 1.0
    dF_da *= E
    dF_da *= D  # -(1 - E) E / D^2
    dF_db = tau  # dF/dE dE/db, with dE/db = -tau E
    dF_db *= E
    dF_db *= dF_dE
    np.negative(dF_db, out=dF_db)
    dF_db *= m
    mp = m / p
    np.multiply(dF_da, -q * mp / p, out=J[..., 1])  # da/dp = -q / p^2
    J[..., 1] += dF_db
    np.multiply(dF_da, mp, out=J[..., 2])  # da/dq = 1 / p
    J[..., 2] += dF_db
    dF_dE *= E
    dF_dE *= m * b
    dF_dE *= started  # dE/dts = b E after the start, 0 before
    J[..., 3] = dF_dE


def bass(t: np.ndarray, theta: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Cumulative Bass adopters, theta = (m, p, q, ts).

    y = m (1 - exp(-(p+q)(t - ts))) / (1 + (q/p) exp(-(p+q)(t - ts))) for
    t >= ts and 0 before.
    """
    return _run(_bass_kernel, 4, t, theta, False, None if out is None else (out, None))


def _bass_eval(t, theta, out=None):
    return _run(_bass_kernel, 4, t, theta, True, out)


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
