"""Helpers of the SciPy linear-algebra rules (rules/scipy_linalg_rules.py): banded storage
to dense and back, and the permutation behind the pivots of an LU factorisation."""
import numpy as np


def banded_dense(l_and_u, ab):
    """The dense square matrix that `ab` stores in SciPy's banded form (`solve_banded`):
    a[i, j] = ab[u + i - j, j] on the l subdiagonals and u superdiagonals, zero elsewhere.
    The unused corners of `ab` are not read.  Linear in ab; its transpose is dense_banded."""
    lower, upper = l_and_u
    n = np.shape(ab)[-1]
    rows, cols = _band_positions(lower, upper, n)
    out = np.zeros((n, n), dtype=np.result_type(ab, np.float32))
    out[rows, cols] = np.asarray(ab)[upper + rows - cols, cols]
    return out


def dense_banded(l_and_u, a):
    """The banded storage of the band of the square matrix `a` (l subdiagonals, u
    superdiagonals), zero in the unused corners: the transpose of banded_dense."""
    lower, upper = l_and_u
    n = np.shape(a)[-1]
    rows, cols = _band_positions(lower, upper, n)
    out = np.zeros((lower + upper + 1, n), dtype=np.result_type(a, np.float32))
    out[upper + rows - cols, cols] = np.asarray(a)[rows, cols]
    return out


def _band_positions(lower, upper, n):
    """(rows, columns) of the entries of an n x n matrix inside the band."""
    rows, cols = np.indices((n, n))
    inside = (rows - cols <= lower) & (cols - rows <= upper)
    return rows[inside], cols[inside]


def lu_pivots_matrix(piv, like):
    """The permutation matrix P with P @ a = L @ U for `lu, piv = scipy.linalg.lu_factor(a)`
    (one per matrix of a stack), of the dtype of `like`: LAPACK's pivots say that row i was
    swapped with row piv[i], one swap after another."""
    piv = np.asarray(piv)
    n = piv.shape[-1]
    out = np.zeros(piv.shape + (n,), dtype=np.result_type(like, np.float32))
    for index in np.ndindex(piv.shape[:-1]):
        order = np.arange(n)
        for i, p in enumerate(piv[index]):
            order[[i, p]] = order[[p, i]]
        out[index + (np.arange(n), order)] = 1.0
    return out
