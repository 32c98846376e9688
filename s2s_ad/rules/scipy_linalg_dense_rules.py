"""Rules for scipy.linalg's everyday dense functions, which compute what np.linalg's do
(loaded with scipy_linalg_rules, once the program has imported scipy.linalg).

Stage: the rule table, read by both modes like every rule module.
Input: the SciPy callables below, with SciPy's parameter names and defaults.
Output: their VJP and JVP rules.  Each is a call of the NumPy function's rule
(numpy_linalg_rules.py) with SciPy's arguments translated, so each derivative is written once;
the compiler follows those calls like a user's helper, so second derivatives come too.

    cholesky(a, lower=False)     np.linalg.cholesky(a, upper=not lower): SciPy's default is
                                 the upper factor, read from the upper triangle
    det                          np.linalg.det's (shared: its flags by keyword)
    inv                          np.linalg.solve's with b = I; inv(assume_a='pos' or 'sym',
                                 lower=) reads one triangle of a
    solve(a, b, lower=, assume_a=, transposed=)
                                 np.linalg.solve's; assume_a 'sym', 'her' or 'pos' reads one
                                 triangle of a (the upper one unless lower=True): the cotangent
                                 is folded onto it and the tangent read from it
    svd, svdvals                 np.linalg.svd's (the factors of full_matrices=True only for a
                                 square matrix)
    qr(a, mode=)                 np.linalg.qr's: 'economic' is NumPy's 'reduced', 'full' its
                                 'complete' (a matrix with no more rows than columns), 'r' gives
                                 (R,); pivoting is refused where the rule runs
    eigh, eigvalsh(a, lower=True, eigvals_only=)
                                 np.linalg.eigh's and eigvalsh's with UPLO 'L' or 'U'; the
                                 generalised problem (b) and subsets are refused
    toeplitz, circulant, hankel  linear in c and in r: the cotangents sum g along the
                                 (anti)diagonals that hold each entry (stacks too, but for
                                 hankel, which SciPy ravels)

Arguments other than the matrices (flags, overwrite_*, check_finite, lapack_driver) carry no
derivative.  Real matrices, as np.linalg's rules.
"""
import numpy as np
import scipy.linalg as sla

from s2s_ad import runtime as _ad
from s2s_ad.rules.numpy_linalg_rules import (_cholesky_jvp, _cholesky_vjp, _eigh_jvp,
                                             _eigh_vjp, _eigvalsh_jvp, _eigvalsh_vjp, _qr_jvp,
                                             _qr_vjp, _solve_jvp_a, _solve_vjp_a,
                                             _solve_vjp_b, _svd_jvp, _svd_vjp)
from s2s_ad.rules.registry import (Refused, deffacts, defjvp, deflinear, defvjp,
                                   nondifferentiable, share)


# assume_a values under which SciPy reads one triangle of a as a symmetric (Hermitian) matrix
_ONE_TRIANGLE = ("sym", "her", "pos", "symmetric", "hermitian", "positive definite")
# assume_a values that read all of a (None: SciPy looks at the matrix; a general one, or one
# whose structure a perturbation of a single entry breaks, so the general derivative holds)
_GENERAL = (None, "gen", "general")


def one_triangle(assume_a):
    """Does SciPy read one triangle of a under `assume_a`?  Raises for the structures the rules
    do not cover (banded, triangular, diagonal: solve_banded and solve_triangular have rules)."""
    if assume_a not in _ONE_TRIANGLE + _GENERAL:
        _ad.unsupported(f"scipy.linalg with assume_a={assume_a!r}: the rules cover general and "
                        "symmetric (or positive definite) matrices; call solve_triangular or "
                        "solve_banded for those structures")
    return assume_a in _ONE_TRIANGLE


def symmetric(x, lower):
    """The symmetric matrix SciPy reads from one triangle of x (linear: of a tangent too)."""
    return (np.tril(x) + np.swapaxes(np.tril(x, -1), -1, -2) if lower
            else np.triu(x) + np.swapaxes(np.triu(x, 1), -1, -2))


def folded_cotangent(g, lower):
    """The cotangent of the triangle SciPy reads, from that of the symmetric matrix."""
    both = g + np.swapaxes(g, -1, -2)
    return (np.tril(both) if lower else np.triu(both)) - g * np.eye(
        np.shape(g)[-1], dtype=np.result_type(g, np.float32))


# ---- cholesky, det, inv ----

defvjp(sla.cholesky, lambda g, ans, a, lower=False, overwrite_a=False, check_finite=True:
       _cholesky_vjp(g, ans, a, not lower))
defjvp(sla.cholesky, lambda t, ans, a, lower=False, overwrite_a=False, check_finite=True:
       _cholesky_jvp(t, ans, a, not lower))
share(sla.det, np.linalg.det)     # (its flags by keyword: det(a, check_finite=False))


# inv(a) is solve(a, I): np.linalg.solve's rules with b = I (a function, named, that the
# compiler can follow and standalone code can copy; np.linalg.inv's rules are lambdas).
def _sla_inv_vjp(g, ans, a, overwrite_a=False, check_finite=True, *, assume_a=None,
                 lower=False):
    m = symmetric(a, lower) if one_triangle(assume_a) else a
    ga = _solve_vjp_a(g, ans, m, np.eye(np.shape(a)[-1], dtype=np.result_type(m, np.float32)))
    return folded_cotangent(ga, lower) if one_triangle(assume_a) else ga


def _sla_inv_jvp(t, ans, a, overwrite_a=False, check_finite=True, *, assume_a=None,
                 lower=False):
    m = symmetric(a, lower) if one_triangle(assume_a) else a
    return _solve_jvp_a(symmetric(t, lower) if one_triangle(assume_a) else t, ans, m,
                        np.eye(np.shape(a)[-1], dtype=np.result_type(m, np.float32)))


defvjp(sla.inv, _sla_inv_vjp)
defjvp(sla.inv, _sla_inv_jvp)


# ---- solve ----

# transposed=True solves a^T x = b: np.linalg.solve's rules of the matrix solved with, m =
# a^T (or the symmetric matrix read from one triangle, its own transpose), whose cotangent
# goes back to a transposed (or folded onto the triangle).
def solved_matrix(a, lower, assume_a, transposed):
    if one_triangle(assume_a):
        return symmetric(a, lower)
    return np.swapaxes(a, -1, -2) if transposed else a


def _sla_solve_vjp_a(g, ans, a, b, lower=False, overwrite_a=False, overwrite_b=False,
                     check_finite=True, assume_a=None, transposed=False):
    gm = _solve_vjp_a(g, ans, solved_matrix(a, lower, assume_a, transposed), b)
    if one_triangle(assume_a):
        return folded_cotangent(gm, lower)
    return np.swapaxes(gm, -1, -2) if transposed else gm


def _sla_solve_jvp_a(t, ans, a, b, lower=False, overwrite_a=False, overwrite_b=False,
                     check_finite=True, assume_a=None, transposed=False):
    return _solve_jvp_a(solved_matrix(t, lower, assume_a, transposed), ans,
                        solved_matrix(a, lower, assume_a, transposed), b)


defvjp(sla.solve, _sla_solve_vjp_a,
       lambda g, ans, a, b, lower=False, overwrite_a=False, overwrite_b=False,
       check_finite=True, assume_a=None, transposed=False:
       _solve_vjp_b(g, ans, solved_matrix(a, lower, assume_a, transposed), b))
defjvp(sla.solve, _sla_solve_jvp_a,
       lambda t, ans, a, b, lower=False, overwrite_a=False, overwrite_b=False,
       check_finite=True, assume_a=None, transposed=False:
       sla.solve(a, t, lower=lower, assume_a=assume_a, transposed=transposed))


# ---- svd, svdvals, qr ----

defvjp(sla.svd, lambda g, ans, a, full_matrices=True, compute_uv=True, overwrite_a=False,
       check_finite=True, lapack_driver="gesdd": _svd_vjp(g, ans, a, full_matrices, compute_uv))
defjvp(sla.svd, lambda t, ans, a, full_matrices=True, compute_uv=True, overwrite_a=False,
       check_finite=True, lapack_driver="gesdd": _svd_jvp(t, ans, a, full_matrices, compute_uv))
defvjp(sla.svdvals, lambda g, ans, a, overwrite_a=False, check_finite=True:
       _svd_vjp(g, ans, a, False, False))
defjvp(sla.svdvals, lambda t, ans, a, overwrite_a=False, check_finite=True:
       _svd_jvp(t, ans, a, False, False))


def numpy_qr_mode(mode, pivoting):
    """np.linalg.qr's name of SciPy's `mode`; pivoting (a third result, P) is refused."""
    if pivoting:
        _ad.unsupported("scipy.linalg.qr(pivoting=True): the column order P changes where "
                        "two columns tie; differentiate qr without pivoting")
    return {"economic": "reduced", "full": "complete"}.get(mode, mode)


# mode 'r' returns (R,) with R of a's shape: NumPy's R (min(m, n) rows) and zero rows below
def _sla_qr_vjp(g, ans, a, overwrite_a=False, lwork=None, mode="full", pivoting=False,
                check_finite=True):
    np_mode = numpy_qr_mode(mode, pivoting)
    k = min(np.shape(a)[-2:])
    return _qr_vjp(g[0][..., :k, :] if np_mode == "r" else g, ans, a, np_mode)


def _sla_qr_jvp(t, ans, a, overwrite_a=False, lwork=None, mode="full", pivoting=False,
                check_finite=True):
    np_mode = numpy_qr_mode(mode, pivoting)
    dr = _qr_jvp(t, ans, a, np_mode)
    return ((np.concatenate([dr, 0.0 * ans[0][..., np.shape(dr)[-2]:, :]], -2),)
            if np_mode == "r" else dr)


defvjp(sla.qr, _sla_qr_vjp)
defjvp(sla.qr, _sla_qr_jvp)


# ---- eigh, eigvalsh ----

def numpy_uplo(lower, b, subset_by_index, subset_by_value):
    """np.linalg's UPLO of SciPy's `lower`; the generalised problem and subsets are refused."""
    if b is not None or subset_by_index is not None or subset_by_value is not None:
        _ad.unsupported("scipy.linalg.eigh with b= or subset_by_*: the rules cover the "
                        "standard problem, all eigenvalues (take a slice of them instead)")
    return "L" if lower else "U"


_B_REFUSED = Refused("the derivative of scipy.linalg.eigh and eigvalsh in b",
                     "Pass b as a constant (or wrap it in ad.stop_gradient).")


def _sla_eigh_vjp(g, ans, a, b=None, *, lower=True, eigvals_only=False, overwrite_a=False,
                  overwrite_b=False, type=1, check_finite=True, subset_by_index=None,
                  subset_by_value=None, driver=None):
    uplo = numpy_uplo(lower, b, subset_by_index, subset_by_value)
    return _eigvalsh_vjp(g, ans, a, uplo) if eigvals_only else _eigh_vjp(g, ans, a, uplo)


def _sla_eigh_jvp(t, ans, a, b=None, *, lower=True, eigvals_only=False, overwrite_a=False,
                  overwrite_b=False, type=1, check_finite=True, subset_by_index=None,
                  subset_by_value=None, driver=None):
    uplo = numpy_uplo(lower, b, subset_by_index, subset_by_value)
    return _eigvalsh_jvp(t, ans, a, uplo) if eigvals_only else _eigh_jvp(t, ans, a, uplo)


defvjp(sla.eigh, _sla_eigh_vjp, _B_REFUSED)
defjvp(sla.eigh, _sla_eigh_jvp, _B_REFUSED)
defvjp(sla.eigvalsh, lambda g, ans, a, b=None, *, lower=True, overwrite_a=False,
       overwrite_b=False, type=1, check_finite=True, subset_by_index=None,
       subset_by_value=None, driver=None:
       _eigvalsh_vjp(g, ans, a, numpy_uplo(lower, b, subset_by_index, subset_by_value)),
       _B_REFUSED)
defjvp(sla.eigvalsh, lambda t, ans, a, b=None, *, lower=True, overwrite_a=False,
       overwrite_b=False, type=1, check_finite=True, subset_by_index=None,
       subset_by_value=None, driver=None:
       _eigvalsh_jvp(t, ans, a, numpy_uplo(lower, b, subset_by_index, subset_by_value)),
       _B_REFUSED)
deffacts(sla.svd, sla.qr, sla.eigh, kind="tuple")


# ---- matrices made of a vector: toeplitz, circulant, hankel ----

# toeplitz(c, r): T[i, j] = c[i - j] below the diagonal and on it, r[j - i] above (r[0] is not
# read); without r, r = conj(c), whose cotangent is the conjugate (rules/__init__.py).  An
# entry's cotangent is the sum of g along its diagonal: read as a row of g padded with zeros.
def _toeplitz_vjp_c(g, ans, c, r=None):
    n, m = np.shape(g)[-2], np.shape(g)[-1]
    below = np.concatenate([g, np.zeros_like(g, shape=np.shape(g)[:-2] + (m, m))], -2)
    gc = np.sum(below[..., np.arange(n)[:, None] + np.arange(m), np.arange(m)], -1)
    return gc if r is not None else gc + np.conj(_toeplitz_vjp_r(g, ans, c, c))


def _toeplitz_vjp_r(g, ans, c, r=None):
    n, m = np.shape(g)[-2], np.shape(g)[-1]
    right = np.concatenate([g, np.zeros_like(g, shape=np.shape(g)[:-2] + (n, n))], -1)
    gr = np.sum(right[..., np.arange(n), np.arange(m)[:, None] + np.arange(n)], -1)
    return gr * (np.arange(m) > 0)


defvjp(sla.toeplitz, _toeplitz_vjp_c, _toeplitz_vjp_r)
defjvp(sla.toeplitz,
       lambda t, ans, c, r=None: sla.toeplitz(t, 0.0 * r) if r is not None else sla.toeplitz(t),
       lambda t, ans, c, r=None: sla.toeplitz(0.0 * c, t))


# circulant(c): C[i, j] = c[(i - j) mod n], linear in c
def _circulant_vjp(g, ans, c):
    n = np.shape(g)[-1]
    return np.sum(g[..., (np.arange(n)[:, None] + np.arange(n)) % n, np.arange(n)], -1)


deflinear(sla.circulant, _circulant_vjp)


# hankel(c, r): H[i, j] = v[i + j] with v = c followed by r[1:] (r zeros when not given): the
# cotangent of v[s] is the sum of g along the antidiagonal i + j = s.
def hankel_sums(g):
    n, m = np.shape(g)[-2], np.shape(g)[-1]
    pad = np.zeros_like(g, shape=np.shape(g)[:-1] + (n,))
    wide = np.concatenate([pad, g, pad], -1)
    return np.sum(wide[..., np.arange(n), n + np.arange(n + m - 1)[:, None] - np.arange(n)], -1)


def hankel_vectors(c, r):
    """True for vectors c and r; raises for stacks, which SciPy ravels (until 1.19)."""
    if np.ndim(c) != 1 or (r is not None and np.ndim(r) != 1):
        _ad.unsupported("scipy.linalg.hankel of stacks of vectors (SciPy ravels them before "
                        "1.19 and treats them as a batch after): pass vectors")
    return True


defvjp(sla.hankel, lambda g, ans, c, r=None: hankel_sums(g)[:np.shape(g)[-2]]
       if hankel_vectors(c, r) else None,
       lambda g, ans, c, r=None: np.concatenate([0.0 * g[0, :1], hankel_sums(g)[np.shape(
           g)[-2]:]]) if hankel_vectors(c, r) else None)
defjvp(sla.hankel,
       lambda t, ans, c, r=None: (sla.hankel(t, 0.0 * r) if r is not None else sla.hankel(t))
       if hankel_vectors(c, r) else None,
       lambda t, ans, c, r=None: sla.hankel(0.0 * c, t) if hankel_vectors(c, r) else None)

# matrices of an integer size alone: constant
nondifferentiable(sla.dft, sla.hadamard, sla.helmert, sla.hilbert, sla.invhilbert, sla.pascal,
                  sla.invpascal)
