"""Rules for `scipy.special` and `scipy.linalg.solve_triangular` (imported only if SciPy is).

Digamma and polygamma derivatives use `_ad.polygamma`, so the rules need no SciPy names except
`solve_triangular`, a module-level callable that the compiler resolves by object.

Contents:
    scipy.special     logsumexp expit logit erf erfc erfinv gamma gammaln digamma polygamma
                      ndtr xlogy softmax log_softmax
    scipy.linalg      solve_triangular (trans 0/1, any lower/unit_diagonal, stacks)
"""
import numpy as np
from scipy import special
from scipy.linalg import solve_triangular

from s2s_ad import runtime as _ad
from s2s_ad.rules.registry import defjvp, defvjp

# ---- scipy.special ----

# logsumexp without `b` and without `return_sign`.
defvjp(special.logsumexp,
       lambda g, ans, a, axis=None, b=None, keepdims=False, return_sign=False:
       _ad.sum_grad(g, a, axis, keepdims) * np.exp(a - _ad.sum_grad(ans, a, axis, keepdims))
       if b is None and not return_sign else _ad.unsupported("logsumexp(b=..., return_sign)"))
defjvp(special.logsumexp,
       lambda t, ans, a, axis=None, b=None, keepdims=False, return_sign=False:
       np.sum(t * np.exp(a - _ad.sum_grad(ans, a, axis, keepdims)), axis, keepdims=keepdims)
       if b is None and not return_sign else _ad.unsupported("logsumexp(b=..., return_sign)"))
defvjp(special.expit, lambda g, ans, x: g * ans * (1 - ans))
defjvp(special.expit, lambda t, ans, x: t * ans * (1 - ans))
defvjp(special.logit, lambda g, ans, x: g / (x * (1 - x)))
defjvp(special.logit, lambda t, ans, x: t / (x * (1 - x)))
defvjp(special.erf, lambda g, ans, z: g * 1.1283791670955126 * np.exp(-z * z))
defjvp(special.erf, lambda t, ans, z: t * 1.1283791670955126 * np.exp(-z * z))
defvjp(special.erfc, lambda g, ans, x: -g * 1.1283791670955126 * np.exp(-x * x))
defjvp(special.erfc, lambda t, ans, x: -t * 1.1283791670955126 * np.exp(-x * x))
# erfinv'(y) = sqrt(pi)/2 exp(erfinv(y)^2)
defvjp(special.erfinv, lambda g, ans, y: g * 0.886226925452758 * np.exp(ans * ans))
defjvp(special.erfinv, lambda t, ans, y: t * 0.886226925452758 * np.exp(ans * ans))
defvjp(special.gamma, lambda g, ans, z: g * ans * _ad.polygamma(0, z))
defjvp(special.gamma, lambda t, ans, z: t * ans * _ad.polygamma(0, z))
defvjp(special.gammaln, lambda g, ans, x: g * _ad.polygamma(0, x))
defjvp(special.gammaln, lambda t, ans, x: t * _ad.polygamma(0, x))
defvjp(special.digamma, lambda g, ans, z: g * _ad.polygamma(1, z))
defjvp(special.digamma, lambda t, ans, z: t * _ad.polygamma(1, z))
defvjp(special.polygamma, None, lambda g, ans, n, x: g * _ad.polygamma(n + 1, x))
defjvp(special.polygamma, None, lambda t, ans, n, x: t * _ad.polygamma(n + 1, x))
# ndtr(x) = Phi(x): the standard normal density 0.3989422804014327 * exp(-x^2/2).
defvjp(special.ndtr, lambda g, ans, x: g * 0.3989422804014327 * np.exp(-0.5 * x * x))
defjvp(special.ndtr, lambda t, ans, x: t * 0.3989422804014327 * np.exp(-0.5 * x * x))
defvjp(special.xlogy,
       lambda g, ans, x, y: g * np.log(y),
       lambda g, ans, x, y: g * x / y, broadcasts=True)
defjvp(special.xlogy,
       lambda t, ans, x, y: t * np.log(y),
       lambda t, ans, x, y: t * x / y, broadcasts=True)
defvjp(special.softmax,
       lambda g, ans, x, axis=None: ans * (g - np.sum(g * ans, axis, keepdims=True)))
defjvp(special.softmax,
       lambda t, ans, x, axis=None: ans * (t - np.sum(t * ans, axis, keepdims=True)))
defvjp(special.log_softmax,
       lambda g, ans, x, axis=None: g - np.exp(ans) * np.sum(g, axis, keepdims=True))
defjvp(special.log_softmax,
       lambda t, ans, x, axis=None: t - np.sum(np.exp(ans) * t, axis, keepdims=True))


# ---- scipy.linalg ----

# x = op(A)^-1 b with op(A) = A (trans 0) or A^T (trans 1); only A's triangle is read.  As in
# SciPy, a and b may be stacks (leading axes broadcast); b is one vector when it is 1-D, else
# a stack of matrices, so a vector is solved as one column (`[..., None]`).  The cotangents
# are summed back to the shapes of a and b.
def _solve_triangular_vjp_a(g, ans, a, b, trans=0, lower=False, unit_diagonal=False,
                            overwrite_b=False, check_finite=True):
    col = np.ndim(b) == 1
    lam = solve_triangular(a, g[..., None] if col else g,
                           trans=0 if trans in (1, "T", "C") else 1, lower=lower,
                           unit_diagonal=unit_diagonal)
    x = ans[..., None] if col else ans
    full = -(np.matmul(x, np.swapaxes(lam, -1, -2)) if trans in (1, "T", "C")
             else np.matmul(lam, np.swapaxes(x, -1, -2)))
    tri = _ad.unbroadcast(np.tril(full) if lower else np.triu(full), a)
    return tri - tri * np.eye(np.shape(a)[-1], dtype=tri.dtype) if unit_diagonal else tri


def _solve_triangular_vjp_b(g, ans, a, b, trans=0, lower=False, unit_diagonal=False,
                            overwrite_b=False, check_finite=True):
    col = np.ndim(b) == 1
    lam = solve_triangular(a, g[..., None] if col else g,
                           trans=0 if trans in (1, "T", "C") else 1, lower=lower,
                           unit_diagonal=unit_diagonal)
    return _ad.unbroadcast(lam[..., 0] if col else lam, b)


def _solve_triangular_jvp_a(t, ans, a, b, trans=0, lower=False, unit_diagonal=False,
                            overwrite_b=False, check_finite=True):
    col = np.ndim(b) == 1
    tri = np.tril(t) if lower else np.triu(t)
    tri = tri - tri * np.eye(np.shape(a)[-1], dtype=tri.dtype) if unit_diagonal else tri
    op_t = np.swapaxes(tri, -1, -2) if trans in (1, "T", "C") else tri
    dx = -solve_triangular(a, np.matmul(op_t, ans[..., None] if col else ans), trans=trans,
                           lower=lower, unit_diagonal=unit_diagonal)
    return dx[..., 0] if col else dx


defvjp(solve_triangular, _solve_triangular_vjp_a, _solve_triangular_vjp_b)
defjvp(solve_triangular,
       _solve_triangular_jvp_a,
       lambda t, ans, a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False,
       check_finite=True:
       solve_triangular(a, t, trans=trans, lower=lower, unit_diagonal=unit_diagonal))
