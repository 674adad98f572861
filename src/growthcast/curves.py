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

__all__ = ["Curve", "CURVES", "logistic", "gompertz", "richards", "bass", "weibull"]

_Z_MIN = -40.0  # exp(40) ~ 2e17: beyond it the curves are at 0 to double precision


@dataclass(frozen=True, kw_only=True)
class Curve:
    """A parametric curve: its parameters and their roles, its value, Jacobian and starting values.

    Attributes
    ----------
    name : str
        The name the curve is registered under (``CURVES[name]``).
    params : tuple of str
        Parameter names, in the order of ``theta``'s last axis.
    level, time, positive : tuple of str
        Parameters that scale with y, that shift with t, and that are fitted
        on the log scale (so they stay > 0).
    saturation : str or None
        The parameter that is the upper asymptote.
    value : callable
        ``value(t, theta, out=None)``: the curve.
    evaluate : callable
        ``evaluate(t, theta, out=None)``: the value and the Jacobian together.
    linearisation : {"logit", "loglog"}
        How ``y / ceiling`` is made a straight line in t for the starting
        values: ``logit(y / K)`` (logistic-like curves) or
        ``-log(-log(y / K))`` (Gompertz-like curves).
    guess : callable
        ``guess(ceiling, rate, midpoint, fixed, t, mask)`` maps the straight
        line's candidates, arrays (B, C), to starting values (B, C, P) of this
        curve, honouring ``fixed`` (B, P; NaN where free). ``t`` (B, N) is on
        the solver's centred scale and values on the scale of the largest
        observation, like ``ceiling``. The equivalent of lmfit's ``guess``.
    inflection : callable, optional
        ``inflection(theta)``: time and value of the inflection point.
    """

    name: str
    params: tuple[str, ...]
    level: tuple[str, ...]
    time: tuple[str, ...]
    positive: tuple[str, ...]
    saturation: str | None
    value: Callable[..., np.ndarray]
    evaluate: Callable[..., tuple[np.ndarray, np.ndarray]]
    linearisation: str
    guess: Callable[..., np.ndarray]
    inflection: Callable[..., tuple[np.ndarray, np.ndarray]] | None = None


def _split(theta: np.ndarray) -> list[np.ndarray]:
    theta = np.asarray(theta, dtype=float)
    return [theta[..., j : j + 1] for j in range(theta.shape[-1])]


def _params(theta: np.ndarray) -> list:
    """The parameters for a kernel: (rows, 1) columns of a batch, or plain floats for one problem.

    Numpy applies a Python float to an array faster than an array of one element (some
    0.3 us a call, a third of a short row's cost), and with the same arithmetic: the
    values are the same to the last bit either way.
    """
    if theta.ndim == 1:
        return theta.tolist()
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
    if out is not None:  # the caller's buffers have the shape of the broadcast
        f, J = out
        shape = f.shape
    else:
        shape = np.broadcast_shapes(t.shape, theta.shape[:-1] + (1,))
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
    K, r, t0 = _params(theta)
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
    """y = K / (1 + exp(-r (t - t0))); theta = (K, r, t0).

    Parameters
    ----------
    t : array_like of shape (n_points,) or (n_problems, n_points)
        Times in decimal years.
    theta : array_like of shape (n_params,) or (n_problems, n_params)
        Parameters ``(K, r, t0)``; the leading axes broadcast against ``t``'s.
    out : ndarray, optional
        An array of the result's shape to write the values into, instead of a new one.

    Returns
    -------
    ndarray
        The curve at ``t``, of the broadcast shape of ``t`` and ``theta.shape[:-1] + (1,)``.
    """
    return _run(_logistic_kernel, 3, t, theta, False, None if out is None else (out, None))


def _logistic_eval(t, theta, out=None):
    return _run(_logistic_kernel, 3, t, theta, True, out)


def _logistic_inflection(theta):
    K, r, t0 = _split(theta)
    return t0[..., 0], K[..., 0] / 2.0



# ---------------------------------------------------------------- gompertz
def _gompertz_kernel(t, theta, f, J):
    K, r, t0 = _params(theta)
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
    """y = K exp(-exp(-r (t - t0))); theta = (K, r, t0).

    Parameters
    ----------
    t : array_like of shape (n_points,) or (n_problems, n_points)
        Times in decimal years.
    theta : array_like of shape (n_params,) or (n_problems, n_params)
        Parameters ``(K, r, t0)``; the leading axes broadcast against ``t``'s.
    out : ndarray, optional
        An array of the result's shape to write the values into, instead of a new one.

    Returns
    -------
    ndarray
        The curve at ``t``, of the broadcast shape of ``t`` and ``theta.shape[:-1] + (1,)``.
    """
    return _run(_gompertz_kernel, 3, t, theta, False, None if out is None else (out, None))


def _gompertz_eval(t, theta, out=None):
    return _run(_gompertz_kernel, 3, t, theta, True, out)


def _gompertz_inflection(theta):
    K, r, t0 = _split(theta)
    return t0[..., 0], K[..., 0] / np.e



# ---------------------------------------------------------------- richards
def _richards_kernel(t, theta, f, J):
    K, r, t0, nu = _params(theta)
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
    np.divide(L, nu * nu, out=J[..., 3])  # y (L - w) / nu^2
    w *= f
    w /= nu  # dy/dz = y w / nu
    np.multiply(w, dt, out=J[..., 1])
    np.multiply(w, -r, out=J[..., 2])


def richards(t: np.ndarray, theta: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """y = K / (1 + nu exp(-r (t - t0)))^(1/nu); theta = (K, r, t0, nu).

    Parameters
    ----------
    t : array_like of shape (n_points,) or (n_problems, n_points)
        Times in decimal years.
    theta : array_like of shape (n_params,) or (n_problems, n_params)
        Parameters ``(K, r, t0, nu)``; the leading axes broadcast against ``t``'s.
    out : ndarray, optional
        An array of the result's shape to write the values into, instead of a new one.

    Returns
    -------
    ndarray
        The curve at ``t``, of the broadcast shape of ``t`` and ``theta.shape[:-1] + (1,)``.
    """
    return _run(_richards_kernel, 4, t, theta, False, None if out is None else (out, None))


def _richards_eval(t, theta, out=None):
    return _run(_richards_kernel, 4, t, theta, True, out)


def _richards_inflection(theta):
    # d2y/dz2 = 0 where nu exp(-z) = nu, i.e. at t = t0 for every nu
    K, r, t0, nu = _split(theta)
    return t0[..., 0].copy(), (K * (1.0 + nu) ** (-1.0 / nu))[..., 0]



# ---------------------------------------------------------------- bass
def _bass_kernel(t, theta, f, J):
    m, p, q, ts = _params(theta)
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

    Parameters
    ----------
    t : array_like of shape (n_points,) or (n_problems, n_points)
        Times in decimal years.
    theta : array_like of shape (n_params,) or (n_problems, n_params)
        Parameters ``(m, p, q, ts)``; the leading axes broadcast against ``t``'s.
    out : ndarray, optional
        An array of the result's shape to write the values into, instead of a new one.

    Returns
    -------
    ndarray
        The curve at ``t``, of the broadcast shape of ``t`` and ``theta.shape[:-1] + (1,)``.
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


# ---------------------------------------------------------------- weibull
def _weibull_kernel(t, theta, f, J):
    K, r, ts, k = _params(theta)
    tau = np.subtract(t, ts)
    started = tau > 0.0
    x = np.maximum(tau * r, 1e-300)  # r (t - ts); before the start the curve is 0
    log_x = np.log(x)
    u = np.exp(np.minimum(k * log_x, _NEG_Z_MAX))  # x^k, capped so that it never overflows
    E = np.exp(-u)
    F = -np.expm1(-u)  # 1 - exp(-x^k), accurate for small x^k
    np.multiply(F, K * started, out=f)
    if J is None:
        return
    g = K * E * u * started  # d f / d (x^k) times x^k
    J[..., 0] = F * started
    np.multiply(g, k / r, out=J[..., 1])
    np.multiply(g, -k * r / x, out=J[..., 2])
    np.multiply(g, log_x, out=J[..., 3])


def weibull(t: np.ndarray, theta: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """y = K (1 - exp(-(r (t - ts))^k)) for t > ts and 0 before; theta = (K, r, ts, k).

    Parameters
    ----------
    t : array_like of shape (n_points,) or (n_problems, n_points)
        Times in decimal years.
    theta : array_like of shape (n_params,) or (n_problems, n_params)
        Parameters ``(K, r, ts, k)``; the leading axes broadcast against ``t``'s.
    out : ndarray, optional
        An array of the result's shape to write the values into, instead of a new one.

    Returns
    -------
    ndarray
        The curve at ``t``, of the broadcast shape of ``t`` and ``theta.shape[:-1] + (1,)``.
    """
    return _run(_weibull_kernel, 4, t, theta, False, None if out is None else (out, None))


def _weibull_eval(t, theta, out=None):
    return _run(_weibull_kernel, 4, t, theta, True, out)


def _weibull_inflection(theta):
    K, r, ts, k = _split(theta)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = ((k - 1.0) / k) ** (1.0 / k)
        t_star = ts + x / r
        y_star = K * -np.expm1(-(k - 1.0) / k)
    early = k <= 1.0  # concave from the start: no inflection after ts
    return np.where(early, ts, t_star)[..., 0], np.where(early, 0.0, y_star)[..., 0]


# ---------------------------------------------------------------- starting values
# Each curve maps the straight line through its linearised data (a ceiling, a rate and
# a midpoint, per candidate ceiling) to its own parameters; fixed values win.
def _fixed_or(fixed: np.ndarray, j: int, value) -> np.ndarray:
    """Parameter ``j``'s fixed value where it is fixed, else ``value``; shape (B, C)."""
    fx = fixed[:, j, None]
    return np.where(np.isnan(fx), value, fx)


def _sigmoid_guess(ceiling, rate, midpoint, fixed, t, mask):
    """(K, r, t0) from the line, and nu = 1 (the logistic) for the Richards curve."""
    theta = np.empty(ceiling.shape + (fixed.shape[1],))
    theta[..., 0] = ceiling
    theta[..., 1] = _fixed_or(fixed, 1, rate)
    theta[..., 2] = _fixed_or(fixed, 2, midpoint)
    if fixed.shape[1] == 4:
        theta[..., 3] = _fixed_or(fixed, 3, 1.0)
    return theta


def _bass_guess(ceiling, rate, midpoint, fixed, t, mask):
    """m the ceiling, ts the first observed time, and p, q with the line's rate p + q and midpoint."""
    ts = np.where(np.isnan(fixed[:, 3]), np.min(np.where(mask, t, np.inf), axis=1), fixed[:, 3])
    ts = np.where(np.isfinite(ts), ts, 0.0)[:, None]
    a = np.clip(np.exp(np.clip(rate * (midpoint - ts), -50, 50)), 1.5, 1e4)  # q / p
    p = rate / (1.0 + a)
    theta = np.empty(ceiling.shape + (4,))
    for j, v in enumerate((ceiling, p, rate - p, np.broadcast_to(ts, ceiling.shape))):
        theta[..., j] = _fixed_or(fixed, j, v)
    return theta


def _weibull_guess(ceiling, rate, midpoint, fixed, t, mask):
    """Shape k = 3 unless fixed; r and ts so that the median and the slope there match the line's."""
    k = _fixed_or(fixed, 3, np.full(ceiling.shape, 3.0))
    log2 = np.log(2.0)
    r = _fixed_or(fixed, 1, rate / (2.0 * k * log2 ** ((k - 1.0) / k)))
    ts = _fixed_or(fixed, 2, midpoint - log2 ** (1.0 / k) / r)
    return np.stack([ceiling, r, ts, k], axis=-1)


CURVES: dict[str, Curve] = {
    curve.name: curve
    for curve in (
        Curve(name="logistic", params=("K", "r", "t0"), level=("K",), time=("t0",), positive=("K", "r"),
              saturation="K", value=logistic, evaluate=_logistic_eval, linearisation="logit",
              guess=_sigmoid_guess, inflection=_logistic_inflection),
        Curve(name="gompertz", params=("K", "r", "t0"), level=("K",), time=("t0",), positive=("K", "r"),
              saturation="K", value=gompertz, evaluate=_gompertz_eval, linearisation="loglog",
              guess=_sigmoid_guess, inflection=_gompertz_inflection),
        Curve(name="richards", params=("K", "r", "t0", "nu"), level=("K",), time=("t0",), positive=("K", "r", "nu"),
              saturation="K", value=richards, evaluate=_richards_eval, linearisation="logit",
              guess=_sigmoid_guess, inflection=_richards_inflection),
        Curve(name="bass", params=("m", "p", "q", "ts"), level=("m",), time=("ts",), positive=("m", "p", "q"),
              saturation="m", value=bass, evaluate=_bass_eval, linearisation="logit",
              guess=_bass_guess, inflection=_bass_inflection),
        Curve(name="weibull", params=("K", "r", "ts", "k"), level=("K",), time=("ts",), positive=("K", "r", "k"),
              saturation="K", value=weibull, evaluate=_weibull_eval, linearisation="logit",
              guess=_weibull_guess, inflection=_weibull_inflection),
    )
}
