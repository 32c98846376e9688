"""Rules for NumPy's polynomial functions of coefficient arrays (highest power first) and the
Vandermonde matrix.

polyder and polyint are linear in the coefficients: the cotangent of p[j] is g[j] times the
factor p[j] is multiplied by (polyder / polyint of ones).  polyadd and polysub align their
arguments at the constant term, so an argument's cotangent is the tail of g; polymul is a
convolution.  vander's column of x**k has the derivative k x**(k - 1) (the previous column
times k), so its Jacobian is the Vandermonde matrix of one size less, scaled and shifted.

Contents:
    polynomials       polyder polyint polyadd polysub polymul polyfit (in y) roots
                      (polyval: numpy_reduce_rules)
    Vandermonde       vander
"""
import numpy as np

from s2s_ad import runtime as _ad
from s2s_ad.rules.registry import Refused, defbilinear, deffacts, defjvp, deflinear, defvjp

deflinear(np.polyder,
          lambda g, ans, p, m=1:
          np.concatenate([g * np.polyder(np.ones_like(p), m), _ad.zeros_like(p)[:m]]))
# polyint(p, m, k): the last m coefficients are the integration constants k, so it is affine in
# p (its tangent integrates with zero constants); a derivative through k is refused.
_CONSTANTS = Refused("no derivative rule for the integration constants k",
                     "Add the constants after integrating: np.polyint(p, m) + np.polyint(...).")
defvjp(np.polyint,
       lambda g, ans, p, m=1, k=None: g[:np.size(p)] * np.polyint(np.ones_like(p), m)[:np.size(p)],
       None, _CONSTANTS)
defjvp(np.polyint, lambda t, ans, p, m=1, k=None: np.polyint(t, m), None, _CONSTANTS)
defvjp(np.polyadd,
       lambda g, ans, a1, a2: g[np.size(g) - np.size(a1):],
       lambda g, ans, a1, a2: g[np.size(g) - np.size(a2):])
defjvp(np.polyadd,
       lambda t, ans, a1, a2: np.polyadd(t, _ad.zeros_like(a2)),
       lambda t, ans, a1, a2: np.polyadd(_ad.zeros_like(a1), t))
defvjp(np.polysub,
       lambda g, ans, a1, a2: g[np.size(g) - np.size(a1):],
       lambda g, ans, a1, a2: -g[np.size(g) - np.size(a2):])
defjvp(np.polysub,
       lambda t, ans, a1, a2: np.polysub(t, _ad.zeros_like(a2)),
       lambda t, ans, a1, a2: np.polysub(_ad.zeros_like(a1), t))
# polymul(a1, a2) is the full convolution: each factor's cotangent correlates g with the other
defbilinear(np.polymul,
            lambda g, ans, a1, a2: np.convolve(g, np.flip(a2), "valid"),
            lambda g, ans, a1, a2: np.convolve(g, np.flip(a1), "valid"))
deffacts(np.polyder, np.polyint, np.polyadd, np.polysub, np.polymul, kind="array", fresh=True,
         real=True)


# vander(x, N, increasing): the columns x**k have the derivatives k x**(k - 1): the
# increasing Vandermonde matrix of N - 1 columns times 1 ... N - 1, after a zero column
# (flipped for decreasing powers).
def _vander_vjp(g, ans, x, N=None, increasing=False):
    n = np.size(x) if N is None else N
    slope = np.concatenate([_ad.zeros_like(np.vander(x, 1)), np.vander(x, n - 1, True) * np.arange(
        1, n, dtype=np.result_type(x, np.float32))], 1)
    return np.sum(g * (slope if increasing else np.flip(slope, 1)), 1)


def _vander_jvp(t, ans, x, N=None, increasing=False):
    n = np.size(x) if N is None else N
    slope = np.concatenate([_ad.zeros_like(np.vander(x, 1)), np.vander(x, n - 1, True) * np.arange(
        1, n, dtype=np.result_type(x, np.float32))], 1)
    return np.expand_dims(t, 1) * (slope if increasing else np.flip(slope, 1))


defvjp(np.vander, _vander_vjp)
defjvp(np.vander, _vander_jvp)
deffacts(np.vander, kind="array", fresh=True, real=True)

# polyfit(x, y, deg) = pinv(V) y with V = vander(x, deg + 1) (full rank; w=None): linear in y
# (a vector or columns).  A derivative through x, or with w, full or cov, is refused.
_FIT_POINTS = Refused("no derivative rule for the sample points x",
                      "Fit with the design matrix written out: np.linalg.lstsq(np.vander(x, "
                      "deg + 1), y)[0], which s2s_ad differentiates in x too.")
defvjp(np.polyfit,
       _FIT_POINTS,
       lambda g, ans, x, y, deg, rcond=None, full=False, w=None, cov=False:
       _ad.unsupported("np.polyfit(w=..., full=True or cov=True)")
       if w is not None or full or cov else
       np.matmul(np.transpose(np.linalg.pinv(np.vander(x, deg + 1))), g))
defjvp(np.polyfit,
       _FIT_POINTS,
       lambda t, ans, x, y, deg, rcond=None, full=False, w=None, cov=False:
       np.polyfit(x, t, deg, rcond, full, w, cov))
deffacts(np.polyfit, kind="array", fresh=True, real=True)

# roots(p): the eigenvalues of the companion matrix, distinct and nonzero (p[0] and p[-1]
# nonzero).  A root r moves by -dp(r) / p'(r), so the cotangent of p[k] is
# -sum_i g_i r_i^(n-1-k) / p'(r_i) (the real part for a real p).
# (in the precision of p and of the roots: np.polyder and np.vander give float64)
defvjp(np.roots,
       lambda g, ans, p:
       np.asarray(_ad.unbroadcast(-np.matmul(g / np.polyval(np.polyder(p), ans),
                                             np.vander(ans, np.size(p))), p),
                  np.result_type(p, np.float32)))
defjvp(np.roots,
       lambda t, ans, p:
       np.asarray(-np.polyval(t, ans) / np.polyval(np.polyder(p), ans), np.result_type(ans)))
deffacts(np.roots, kind="array", fresh=True)
