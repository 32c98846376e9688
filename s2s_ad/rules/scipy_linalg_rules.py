"""Rules for the matrix functions, factorisations and solvers of `scipy.linalg` (loaded once
the program has imported `scipy.linalg`; registry.load_optional_rules).

Stage: the rule table, read by both modes like every rule module.
Input: the SciPy callables below.
Output: their VJP and JVP rules, each written with calls that have rules themselves (the
callable itself, `solve_triangular`, NumPy, `_ad.*`), so the derivatives can be differentiated
again (Hessians).

    expm              Frechet derivative: expm([[A, E], [0, A]]) has it as its upper-right
                      block; the VJP is the same block with A^T and g
    sqrtm             X X = A: X dX + dX X = dA, a Sylvester equation
    solve_sylvester   A X + X B = Q: dA X + A dX + dX B + X dB = dQ
    cho_factor        (c, lower): c holds L (or U) in one triangle, and NumPy's rule of
                      `cholesky` there; the other triangle is a's own, which SciPy leaves
                      untouched, so its derivative passes to a
    cho_solve         x = (L L^T)^-1 b, solved again with the same factor; the cotangent of
                      the factor is on its triangle (the tuple's flag has none: None)
    lu_factor         (lu, piv): P A = L U with L unit lower, U upper, packed in lu; pivots
                      constant (they change only where a pivot ties); stacks too
    lu_solve          x = A^-1 b (trans 1: A^-T b, 2: A^-H b), A = P^T L U, solved again
                      with the factor; the pivots have no cotangent (None)
    solve_banded      x = A^-1 b with A the dense matrix of the banded storage ab
                      (`_ad.banded_dense`); the cotangent of ab is that of A on the band

2-D matrices, except expm, sqrtm, solve_sylvester, cho_factor and lu_factor, which also take
stacks, as SciPy does (cho_solve, lu_solve and solve_banded do not).  Complex matrices follow
the JAX convention (rules/__init__.py) in expm, sqrtm, solve_sylvester and lu_solve; the
Cholesky rules, like np.linalg.cholesky's, are for real matrices.
"""
import numpy as np
from scipy.linalg import (cho_factor, cho_solve, expm, lu_factor, lu_solve, solve_banded,
                          solve_sylvester, solve_triangular, sqrtm)

from s2s_ad import runtime as _ad
from s2s_ad.rules.registry import deffacts, defjvp, defvjp

# ---- matrix functions ----

# expm is analytic: expm([[A, E], [0, A]]) = [[expm(A), L(A, E)], [0, expm(A)]], L the Frechet
# derivative, and <g, L(A, E)> = <L(A^T, g), E>.  (np.linalg.matrix_power's rule likewise.)
def _expm_vjp(g, ans, A):
    n = np.shape(A)[-1]
    at = np.swapaxes(A, -1, -2)
    big = np.concatenate([np.concatenate([at, g], -1), np.concatenate([0.0 * at, at], -1)], -2)
    return expm(big)[..., :n, n:]


def _expm_jvp(t, ans, A):
    n = np.shape(A)[-1]
    big = np.concatenate([np.concatenate([A, t], -1), np.concatenate([0.0 * A, A], -1)], -2)
    return expm(big)[..., :n, n:]


defvjp(expm, _expm_vjp)
defjvp(expm, _expm_jvp)

# sqrtm: dX = S(X, X; dA) with S(A, B; Q) the solution Y of A Y + Y B = Q, whose adjoint in Q is
# S(A^T, B^T; .).  A real matrix with negative eigenvalues has a complex root: a real A then
# receives the real part of its cotangent (the JAX convention, rules/__init__.py).  `disp=`
# (deprecated by SciPy) returns a tuple: not a parameter of the rules, so a call with it is
# refused where it stands.
def _sqrtm_vjp(g, ans, A):
    lam = solve_sylvester(np.swapaxes(ans, -1, -2), np.swapaxes(ans, -1, -2), g)
    return lam if np.iscomplexobj(A) else np.real(lam)


defvjp(sqrtm, _sqrtm_vjp)
defjvp(sqrtm, lambda t, ans, A: solve_sylvester(ans, ans, t))

# solve_sylvester: A X + X B = Q.  With lam = S(A^T, B^T; g):  gQ = lam, gA = -lam X^T,
# gB = -X^T lam; the tangents solve the same equation with dQ - dA X - X dB.  Stacks
# broadcast, so each cotangent is summed back to its argument's shape.
def _solve_sylvester_vjp_a(g, ans, a, b, q):
    lam = solve_sylvester(np.swapaxes(a, -1, -2), np.swapaxes(b, -1, -2), g)
    return _ad.unbroadcast(-np.matmul(lam, np.swapaxes(ans, -1, -2)), a)


def _solve_sylvester_vjp_b(g, ans, a, b, q):
    lam = solve_sylvester(np.swapaxes(a, -1, -2), np.swapaxes(b, -1, -2), g)
    return _ad.unbroadcast(-np.matmul(np.swapaxes(ans, -1, -2), lam), b)


defvjp(solve_sylvester, _solve_sylvester_vjp_a, _solve_sylvester_vjp_b,
       lambda g, ans, a, b, q: _ad.unbroadcast(
           solve_sylvester(np.swapaxes(a, -1, -2), np.swapaxes(b, -1, -2), g), q))
defjvp(solve_sylvester,
       lambda t, ans, a, b, q: solve_sylvester(a, b, -np.matmul(t, ans)),
       lambda t, ans, a, b, q: solve_sylvester(a, b, -np.matmul(ans, t)),
       lambda t, ans, a, b, q: solve_sylvester(a, b, t))


# ---- Cholesky ----

# cho_factor(a) = (c, lower).  L is tril(c) (lower) or triu(c)^T, computed from the triangle
# of a that holds it; a = L L^T.  As for np.linalg.cholesky (numpy_linalg_rules.py), with
# phi(X) = tril(X) - diag(X)/2:  dL = L phi(L^-1 sym(da) L^-T), and the cotangent of that
# triangle is the symmetric S = L^-T phi(L^T gL) L^-1 put on it.  The solves are triangular.
def _cho_factor_vjp(g, ans, a, lower=False, overwrite_a=False, check_finite=True):
    eye = np.eye(np.shape(a)[-1], dtype=np.result_type(a, np.float32))
    low = np.tril(ans[0]) if lower else np.swapaxes(np.triu(ans[0]), -1, -2)
    gl = np.tril(g[0]) if lower else np.swapaxes(np.triu(g[0]), -1, -2)
    p = np.matmul(np.swapaxes(low, -1, -2), gl)
    p = np.tril(p) - 0.5 * p * eye
    y = solve_triangular(low, p, trans=1, lower=True)
    s = np.swapaxes(solve_triangular(low, np.swapaxes(y, -1, -2), trans=1, lower=True), -1, -2)
    both = 0.5 * (s + np.swapaxes(s, -1, -2))
    tri = (np.tril(both + np.swapaxes(both, -1, -2)) if lower
           else np.triu(both + np.swapaxes(both, -1, -2))) - both * eye
    return tri + (np.triu(g[0], 1) if lower else np.tril(g[0], -1))


def _cho_factor_jvp(t, ans, a, lower=False, overwrite_a=False, check_finite=True):
    eye = np.eye(np.shape(a)[-1], dtype=np.result_type(a, np.float32))
    low = np.tril(ans[0]) if lower else np.swapaxes(np.triu(ans[0]), -1, -2)
    ts = (np.tril(t) + np.swapaxes(np.tril(t, -1), -1, -2) if lower
          else np.triu(t) + np.swapaxes(np.triu(t, 1), -1, -2))
    y = solve_triangular(low, ts, lower=True)
    x = np.swapaxes(solve_triangular(low, np.swapaxes(y, -1, -2), lower=True), -1, -2)
    dl = np.matmul(low, np.tril(x) - 0.5 * x * eye)
    return (dl + np.triu(t, 1) if lower else np.swapaxes(dl, -1, -2) + np.tril(t, -1),
            None)


defvjp(cho_factor, _cho_factor_vjp)
defjvp(cho_factor, _cho_factor_jvp)
deffacts(cho_factor, kind="tuple")


# cho_solve((c, lower), b): x = A^-1 b with A = L L^T, L read from c's triangle.  A is
# symmetric, so b's cotangent is solved with the same factor.  For the factor: dA = dL L^T +
# L dL^T and dx = -A^-1 dA x; the cotangent gA = -lam x^T (lam = A^-1 g) gives
# gL = (gA + gA^T) L on the triangle.
def _cho_solve_vjp_c(g, ans, c_and_lower, b, overwrite_b=False, check_finite=True):
    c = c_and_lower[0]
    lower = c_and_lower[1]
    n = np.shape(c)[-1]
    low = np.tril(c) if lower else np.transpose(np.triu(c))
    lam = np.reshape(cho_solve(c_and_lower, g), (n, -1))
    ga = -np.matmul(lam, np.transpose(np.reshape(ans, (n, -1))))
    gl = np.matmul(ga + np.transpose(ga), low)
    return (np.tril(gl) if lower else np.triu(np.transpose(gl)), None)


def _cho_solve_jvp_c(t, ans, c_and_lower, b, overwrite_b=False, check_finite=True):
    c = c_and_lower[0]
    lower = c_and_lower[1]
    n = np.shape(c)[-1]
    low = np.tril(c) if lower else np.transpose(np.triu(c))
    dl = np.tril(t[0]) if lower else np.transpose(np.triu(t[0]))
    da = np.matmul(dl, np.transpose(low)) + np.matmul(low, np.transpose(dl))
    return -np.reshape(cho_solve(c_and_lower, np.matmul(da, np.reshape(ans, (n, -1)))),
                       np.shape(ans))


defvjp(cho_solve, _cho_solve_vjp_c,
       lambda g, ans, c_and_lower, b, overwrite_b=False, check_finite=True:
       cho_solve(c_and_lower, g))
defjvp(cho_solve, _cho_solve_jvp_c,
       lambda t, ans, c_and_lower, b, overwrite_b=False, check_finite=True:
       cho_solve(c_and_lower, t))


# ---- LU ----

# lu_factor(a) = (lu, piv): P a = L U (P = _ad.lu_pivots_matrix(piv, a)).  With
# F = L^-1 P da U^-1:  dL = L tril(F, -1), dU = triu(F) U, and dlu = dL + dU packed; the VJP
# transposes each step.  L^-1 and U^-1 are triangular solves with lu itself, which holds both
# triangles (unit_diagonal for L).  Stacks of matrices too.
def _lu_factor_vjp(g, ans, a, overwrite_a=False, check_finite=True):
    lu = ans[0]
    low = np.tril(lu, -1) + np.eye(np.shape(lu)[-1], dtype=lu.dtype)
    fbar = (np.tril(np.matmul(np.swapaxes(low, -1, -2), np.tril(g[0], -1)), -1)
            + np.triu(np.matmul(np.triu(g[0]), np.swapaxes(np.triu(lu), -1, -2))))
    y = solve_triangular(lu, fbar, trans=1, lower=True, unit_diagonal=True)
    z = np.swapaxes(solve_triangular(lu, np.swapaxes(y, -1, -2)), -1, -2)
    return np.matmul(np.swapaxes(_ad.lu_pivots_matrix(ans[1], lu), -1, -2), z)


def _lu_factor_jvp(t, ans, a, overwrite_a=False, check_finite=True):
    lu = ans[0]
    low = np.tril(lu, -1) + np.eye(np.shape(lu)[-1], dtype=lu.dtype)
    y = solve_triangular(lu, np.matmul(_ad.lu_pivots_matrix(ans[1], lu), t), lower=True,
                         unit_diagonal=True)
    f = np.swapaxes(solve_triangular(lu, np.swapaxes(y, -1, -2), trans=1), -1, -2)
    return (np.matmul(low, np.tril(f, -1)) + np.matmul(np.triu(f), np.triu(lu)), None)


defvjp(lu_factor, _lu_factor_vjp)
defjvp(lu_factor, _lu_factor_jvp)
deffacts(lu_factor, kind="tuple")


# lu_solve((lu, piv), b, trans): x = A^-1 b (trans 0), A^-T b (1) or A^-H b (2) with
# A = P^T L U, so da = P^T (dL U + L dU) and dx = -A^-1 da x (-A^-T da^T x, -A^-H da^H x).
# The cotangent gA = -lam x^T (trans 1: -x lam^T), lam solved with the other trans, goes back
# to L and U through P gA: gL = tril(P gA U^T, -1), gU = triu(L^T P gA).  b's cotangent for
# trans 2 is conj(A)^-1 g; the factor's, of a complex factor, is not covered (it raises).
def _lu_solve_vjp_lu(g, ans, lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True):
    lu = lu_and_piv[0]
    n = np.shape(lu)[-1]
    low = np.tril(lu, -1) + np.eye(n, dtype=lu.dtype)
    solved = lu_solve(lu_and_piv, g, trans=0 if trans in (1, 2, "T", "C") else 1)
    lam = np.reshape(solved, (n, -1))
    x2 = np.reshape(ans, (n, -1))
    ga = -(np.matmul(x2, np.transpose(lam)) if trans in (1, 2, "T", "C")
           else np.matmul(lam, np.transpose(x2)))
    pga = np.matmul(_ad.lu_pivots_matrix(lu_and_piv[1], lu), ga)
    return ((np.tril(np.matmul(pga, np.transpose(np.triu(lu))), -1)
             + np.triu(np.matmul(np.transpose(low), pga)), None)
            if not (trans in (2, "C") and np.iscomplexobj(lu))
            else _ad.unsupported("lu_solve(trans=2) in a complex factor"))


def _lu_solve_jvp_lu(t, ans, lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True):
    lu = lu_and_piv[0]
    n = np.shape(lu)[-1]
    low = np.tril(lu, -1) + np.eye(n, dtype=lu.dtype)
    m = np.matmul(np.tril(t[0], -1), np.triu(lu)) + np.matmul(low, np.triu(t[0]))
    da = np.matmul(np.transpose(_ad.lu_pivots_matrix(lu_and_piv[1], lu)), m)
    op = (np.transpose(da) if trans in (1, "T") else np.conj(np.transpose(da))
          if trans in (2, "C") else da)
    return -np.reshape(lu_solve(lu_and_piv, np.matmul(op, np.reshape(ans, (n, -1))), trans=trans),
                       np.shape(ans))


# b's cotangent is the solve the factor's rule makes too (the same statement: the compiler
# computes it once, transforms/adjoint_calls.computed_once), but for trans 2 of a complex
# factor, conj(A)^-1 g.
def _lu_solve_vjp_b(g, ans, lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True):
    solved = lu_solve(lu_and_piv, g, trans=0 if trans in (1, 2, "T", "C") else 1)
    return (np.conj(lu_solve(lu_and_piv, np.conj(g)))
            if trans in (2, "C") and np.iscomplexobj(lu_and_piv[0]) else solved)


defvjp(lu_solve, _lu_solve_vjp_lu, _lu_solve_vjp_b)
defjvp(lu_solve, _lu_solve_jvp_lu,
       lambda t, ans, lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True:
       lu_solve(lu_and_piv, t, trans=trans))


# ---- banded systems ----

# solve_banded((l, u), ab, b): A = banded_dense((l, u), ab) (a linear map of ab), x = A^-1 b.
# dx = -A^-1 dA x; the cotangent of A is -lam x^T with lam = A^-T g, and A^T is banded with
# (u, l), so lam is a banded solve too; the cotangent of ab is that of A on the band.
def _solve_banded_vjp_ab(g, ans, l_and_u, ab, b, overwrite_ab=False, overwrite_b=False,
                         check_finite=True):
    n = np.shape(ab)[-1]
    ab_t = _ad.dense_banded((l_and_u[1], l_and_u[0]), np.transpose(_ad.banded_dense(l_and_u, ab)))
    lam = np.reshape(solve_banded((l_and_u[1], l_and_u[0]), ab_t, g), (n, -1))
    return _ad.dense_banded(l_and_u, -np.matmul(lam, np.transpose(np.reshape(ans, (n, -1)))))


def _solve_banded_vjp_b(g, ans, l_and_u, ab, b, overwrite_ab=False, overwrite_b=False,
                        check_finite=True):
    ab_t = _ad.dense_banded((l_and_u[1], l_and_u[0]), np.transpose(_ad.banded_dense(l_and_u, ab)))
    return solve_banded((l_and_u[1], l_and_u[0]), ab_t, g)


defvjp(solve_banded, None, _solve_banded_vjp_ab, _solve_banded_vjp_b)
defjvp(solve_banded, None,
       lambda t, ans, l_and_u, ab, b, overwrite_ab=False, overwrite_b=False, check_finite=True:
       -solve_banded(l_and_u, ab, np.matmul(_ad.banded_dense(l_and_u, t), ans)),
       lambda t, ans, l_and_u, ab, b, overwrite_ab=False, overwrite_b=False, check_finite=True:
       solve_banded(l_and_u, ab, t))
from s2s_ad.rules import scipy_linalg_dense_rules  # noqa: E402,F401  (the dense functions: np.linalg rules)
