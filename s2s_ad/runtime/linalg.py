"""Helpers of the linear-algebra rules: the checks and forms behind np.linalg's rules
(rules/numpy_linalg_rules.py: which factors, which norm, a repeated eigenvalue, full rank),
and for SciPy's (rules/scipy_linalg_rules.py) banded storage to dense and back and the
permutation behind the pivots of an LU factorisation.

Stage: runtime (the rules inline calls to them).  Input: the arguments of the linear-algebra
call; output: a checked value, the form of a norm, or a matrix in another storage.
"""
import numpy as np

from s2s_ad.runtime.core import unsupported


# -- np.linalg --

def tuple_like(like, items):
    """`items` as a tuple of the type of `like`: the tangent of a NumPy result that is a named
    tuple (`np.linalg.eigh(a).eigenvalues`) is one of the same type, so that its fields read
    as the result's do."""
    return type(like)(*items) if hasattr(type(like), "_fields") else tuple(items)


def reduced_svd(a, full_matrices):
    """Are np.linalg.svd's factors of `a` the reduced ones (a square matrix, or
    full_matrices=False)?  Raises for the full factors of a matrix that is not square."""
    m, n = np.shape(a)[-2:]
    if full_matrices and m != n:
        unsupported("the factors of np.linalg.svd(a, full_matrices=True) of a matrix that is "
                    "not square (the columns past min(m, n) are not unique): pass "
                    "full_matrices=False, or compute_uv=False for the singular values")
    return True


def reduced_qr(a, mode):
    """Are np.linalg.qr's factors of `a` those of mode 'reduced' (as 'complete' ones are where
    the matrix has no more rows than columns; 'r' gives R alone)?  Raises for the others: the
    columns of a complete Q past the n-th are not unique."""
    m, n = np.shape(a)[-2:]
    if (mode == "complete" and m > n) or mode not in ("reduced", "complete", "r"):
        unsupported(f"np.linalg.qr(a, mode={mode!r}) of a {m}x{n} matrix: the rules cover "
                    "modes 'reduced' and 'r', and 'complete' of a matrix with no more rows "
                    "than columns")
    return mode != "r"


def distinct_eigenvalues(w):
    """`w` itself, checked: the derivatives of np.linalg.eig divide by the differences of
    eigenvalues, which a repeated eigenvalue makes infinite (its eigenvectors are not unique)."""
    gaps = np.abs(w[..., :, None] - w[..., None, :]) + np.eye(np.shape(w)[-1])
    if np.any(gaps <= 1e-12 * np.maximum(1.0, np.max(np.abs(w)))):
        unsupported("np.linalg.eig or eigvals of a matrix with a repeated eigenvalue (its "
                    "eigenvectors are not unique there): for a symmetric matrix use "
                    "np.linalg.eigh, or perturb the matrix")
    return w


def largest_entries(v):
    """True at the entry of largest modulus of each column of `v`, False elsewhere: the entry
    np.linalg.eig makes real in each eigenvector (LAPACK's normalization)."""
    rows = np.argmax(np.abs(v), axis=-2)
    return np.arange(np.shape(v)[-2])[:, None] == rows[..., None, :]


def full_rank(rank, a):
    """True where np.linalg.lstsq found `a` of full rank; raises for a rank-deficient `a`, whose
    least-squares solution jumps where the rank changes (the rules assume full rank)."""
    if rank < min(np.shape(a)[-2:]):
        unsupported(f"np.linalg.lstsq of a matrix of rank {rank} < {min(np.shape(a)[-2:])} "
                    "(the derivative assumes full rank): drop the dependent columns, or add "
                    "a ridge term")
    return True


def norm_form(x, ord=None, axis=None):
    """How `np.linalg.norm(x, ord, axis)` is computed, for its rules: (kind, axes, summed):

        "2"         the 2-norm of the entries (vectors; 'fro' and None of matrices)
        "max"       the largest or smallest |entry| (vector ord inf, -inf)
        "0"         the count of nonzero entries (vector ord 0)
        "p"         a vector p-norm
        "sums"      the largest or smallest of the sums of |x| over axis `summed` (matrix ord
                    1, -1: over rows; inf, -inf: over columns), taken over the matrix `axes`
        "singular"  the largest, smallest or sum of the singular values over the matrix `axes`
                    (matrix ord 2, -2, 'nuc')

    `axes` is the (row, column) pair of a matrix norm (non-negative), else None."""
    nd = np.ndim(x)
    pair = None
    if axis is None and nd == 2:
        pair = (0, 1)
    elif axis is not None and np.ndim(axis) == 1 and len(axis) == 2:
        pair = tuple(int(a) % nd for a in axis)
    if ord is None or (isinstance(ord, str) and ord == "fro") or (pair is None and ord == 2):
        return "2", None, None
    if pair is None:
        return ("max" if ord in (np.inf, -np.inf) else "0" if ord == 0 else "p"), None, None
    if isinstance(ord, str) or ord in (2, -2):
        return "singular", pair, None
    return "sums", pair, pair[0] if ord in (1, -1) else pair[1]


def singular_values_used(ord):
    """The singular values a matrix norm of `ord` 2, -2 or 'nuc' is made of (they come in
    decreasing order): the largest, the smallest, all."""
    return slice(0, 1) if ord == 2 else slice(-1, None) if ord == -2 else slice(None)


# -- scipy.linalg --


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
