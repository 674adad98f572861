"""Small linear algebra shared by the solver and the curve fitting, on arrays with the batch last or first.

Row dot products, row blocks sized for the CPU cache and a vectorised
Cholesky solve of many tiny symmetric systems (numpy's batched ``linalg``
costs about a microsecond per 3x3 matrix).
"""

from __future__ import annotations

import numpy as np

__all__ = ["rowdot", "pdot", "block_rows", "chunks", "cholesky_solve"]

CHUNK_ELEMENTS = 2**15  # points per block of rows evaluated together


def rowdot(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    """``out[i] = a[i] . b[i]`` for (rows, N) arrays, one row's own sum each."""
    if _vecdot is not None:
        _vecdot(a, b, out=out)
    else:  # numpy < 2
        np.einsum("bn,bn->b", a, b, out=out)


_vecdot = getattr(np, "vecdot", None)


def pdot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``sum_p a[p] * b[p]`` for (P, b) arrays, in the order p = 0, 1, ...

    Unlike ``np.einsum``, whose order of summation depends on the shapes,
    this gives each problem the same bits whatever the batch around it.
    """
    out = a[0] * b[0]
    for p in range(1, a.shape[0]):
        out += a[p] * b[p]
    return out


def block_rows(n_rows: int, n_points: int) -> int:
    """Rows in the largest block of :func:`chunks`."""
    return min(n_rows, max(1, CHUNK_ELEMENTS // max(n_points, 1)))


def chunks(n_rows: int, n_points: int) -> list[slice]:
    """Row blocks small enough that one block's arrays stay in the CPU cache."""
    size = max(1, block_rows(n_rows, n_points))
    return [slice(i, min(i + size, n_rows)) for i in range(0, n_rows, size)]



def cholesky_solve(
    A: np.ndarray, rhs: np.ndarray, shift: np.ndarray | float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Solve the symmetric systems ``(A + shift I) x = rhs``, (P, P, b) and (P, b) or (P, K, b), by Cholesky.

    P is small, so the factorisation runs as a loop over P on (b,) vectors.
    Returns the solutions and whether each A was numerically positive
    definite; the other solutions are not finite, or meaningless. Unlike
    :func:`numpy.linalg.solve`, a singular matrix fails its own problem only.
    """
    P = rhs.shape[0]
    L = [[None] * P for _ in range(P)]
    inv_diag = [None] * P  # 1 / L[j][j]: a product is cheaper than a quotient
    ok = None
    with np.errstate(invalid="ignore", divide="ignore"):
        for j in range(P):
            d = A[j, j] + shift
            for k in range(j):
                d = d - L[j][k] * L[j][k]
            ok = d > 0.0 if ok is None else ok & (d > 0.0)
            inv_diag[j] = 1.0 / np.sqrt(d)  # NaN or inf where d <= 0: that problem is not ok
            for i in range(j + 1, P):
                v = A[i, j]
                for k in range(j):
                    v = v - L[i][k] * L[j][k]
                L[i][j] = v * inv_diag[j]
        ok = np.ones(A.shape[-1], dtype=bool) if ok is None else ok
        z = [None] * P
        for i in range(P):  # L z = rhs
            v = rhs[i]
            for k in range(i):
                v = v - L[i][k] * z[k]
            z[i] = v * inv_diag[i]
        x = np.empty_like(rhs)
        for i in reversed(range(P)):  # L' x = z
            v = z[i]
            for k in range(i + 1, P):
                v = v - L[k][i] * x[k]
            np.multiply(v, inv_diag[i], out=x[i])
    return x, ok

