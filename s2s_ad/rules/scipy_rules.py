"""Rules for `scipy.special` and `scipy.linalg.solve_triangular` (imported only if SciPy is).

Each derivative is written in calls that have rules themselves (SciPy's special functions of
neighbouring orders, NumPy), so a derivative can be differentiated again.  Rules name SciPy's
functions through `special` (the compiler resolves a rule's free names by object).

Contents:
    scipy.special     logsumexp (b=, return_sign=) expit logit erf erfc erfinv erfcinv gamma
                      gammaln rgamma digamma/psi polygamma multigammaln poch beta betaln
                      betainc gammainc gammaincc zeta ndtr log_ndtr ndtri xlogy xlog1py entr
                      rel_entr kl_div exp1 expi softmax log_softmax
                      jv/jn yv yn iv ive j0 j1 y0 y1 i0 i1 i0e i1e kv kn kve k0 k1 k0e k1e
                      erfcx dawsn wofz owens_t spence expn boxcox boxcox1p loggamma
                      sici fresnel hyp1f1 (in x) factorial comb (exact=False)
                      gammasgn (piecewise constant: non-differentiable)
    scipy.linalg      solve_triangular (trans 0/1, any lower/unit_diagonal, stacks)
"""
import numpy as np
from scipy import special
from scipy.linalg import solve_triangular

from s2s_ad import runtime as _ad
from s2s_ad.rules import shape_facts as shapes
from s2s_ad.rules.registry import (Refused, deffacts, defjvp, defstructural, defvjp,
                                   nondifferentiable)

# ---- scipy.special ----


def _elementwise(fn, *slopes, broadcasts=None):
    """Give `fn`, an elementwise function (broadcasting its arguments), one rule per argument
    that serves both modes.  `slope(s, ans, *args)` is `s * d fn / d arg`: with s the result's
    cotangent it is the argument's cotangent (VJP), with s the argument's tangent it is the
    result's tangent (JVP), as an elementwise function's Jacobian is diagonal.  So each
    derivative is written once.  A `_constant(...)` slope refuses the argument.  `broadcasts`:
    whether an argument may have fewer elements than the result (by default, when there are
    several arguments)."""
    broadcasts = len(slopes) > 1 if broadcasts is None else broadcasts
    defvjp(fn, *slopes, broadcasts=broadcasts)
    defjvp(fn, *slopes, broadcasts=broadcasts)


def _constant(name, why):
    """The rule of an argument without a derivative (an order, an integer, a parameter whose
    derivative has no elementary form): differentiating it is refused at the user's line, never
    taken for a zero."""
    return Refused(f"no derivative with respect to its argument {name} ({why})",
                   f"Differentiate with respect to the other arguments only: leave {name} out "
                   f"of wrt, or wrap it in ad.stop_gradient(...).")


_ORDER = _constant("v", "the order")
_N = _constant("n", "an integer order")
_PARAMETER_A = _constant("a", "no elementary form")
_PARAMETER_B = _constant("b", "no elementary form")
_D = _constant("d", "an integer dimension")

# logsumexp(a, axis, b, keepdims, return_sign) = log|S|, S = sum of b * exp(a) over `axis`
# (with return_sign, the pair (log|S|, sign(S))):  d/da = b exp(a - log|S|) sign(S) and
# d/db = exp(a - log|S|) sign(S).  The reduced values (log|S| and the cotangent times the
# sign) are put back on the summed axes to broadcast against a and b; a tangent's sum is
# multiplied by the sign, which is the same along them.
def _logsumexp_vjp_a(g, ans, a, axis=None, b=None, keepdims=False, return_sign=False):
    gs = g[0] * ans[1] if return_sign else g
    lse = ans[0] if return_sign else ans
    w = np.exp(a - (lse if keepdims or axis is None else np.expand_dims(lse, axis))) \
        * (gs if keepdims or axis is None else np.expand_dims(gs, axis))
    return w if b is None else _ad.unbroadcast(w * b, a)


def _logsumexp_vjp_b(g, ans, a, axis=None, b=None, keepdims=False, return_sign=False):
    gs = g[0] * ans[1] if return_sign else g
    lse = ans[0] if return_sign else ans
    w = np.exp(a - (lse if keepdims or axis is None else np.expand_dims(lse, axis))) \
        * (gs if keepdims or axis is None else np.expand_dims(gs, axis))
    return _ad.unbroadcast(np.broadcast_to(w, np.broadcast_shapes(np.shape(w), np.shape(b))), b)


def _logsumexp_jvp_a(t, ans, a, axis=None, b=None, keepdims=False, return_sign=False):
    lse = ans[0] if return_sign else ans
    dot = np.sum((t if b is None else t * b)
                 * np.exp(a - (lse if keepdims or axis is None else np.expand_dims(lse, axis))),
                 axis, keepdims=keepdims)
    return (dot * ans[1], _ad.zeros_like(ans[1])) if return_sign else dot


def _logsumexp_jvp_b(t, ans, a, axis=None, b=None, keepdims=False, return_sign=False):
    lse = ans[0] if return_sign else ans
    dot = np.sum(t * np.exp(a - (lse if keepdims or axis is None else np.expand_dims(lse, axis))),
                 axis, keepdims=keepdims)
    return (dot * ans[1], _ad.zeros_like(ans[1])) if return_sign else dot


defvjp(special.logsumexp, _logsumexp_vjp_a, None, _logsumexp_vjp_b)
defjvp(special.logsumexp, _logsumexp_jvp_a, None, _logsumexp_jvp_b)
# With return_sign the result is a pair: tangents add as pairs, and its kind is not "num"
# (a pair's cotangent is built item by item, not written into an array).
defstructural(special.logsumexp)
deffacts(special.logsumexp, kind="tuple")

# ---- elementary: logistic, error functions, logarithms ----

_elementwise(special.expit, lambda s, ans, x: s * ans * (1 - ans))
_elementwise(special.logit, lambda s, ans, x: s / (x * (1 - x)))
_elementwise(special.erf, lambda s, ans, z: s * 1.1283791670955126 * np.exp(-z * z))
_elementwise(special.erfc, lambda s, ans, x: -s * 1.1283791670955126 * np.exp(-x * x))
# erfinv'(y) = sqrt(pi)/2 exp(erfinv(y)^2); erfc(erfcinv(y)) = y gives the opposite sign
_elementwise(special.erfinv, lambda s, ans, y: s * 0.886226925452758 * np.exp(ans * ans))
_elementwise(special.erfcinv, lambda s, ans, y: -s * 0.886226925452758 * np.exp(ans * ans))
# ndtr(x) = Phi(x): the standard normal density 0.3989422804014327 * exp(-x^2/2); log_ndtr's
# is that density over Phi (as an exponent: no underflow far left); ndtri inverts ndtr.
_elementwise(special.ndtr, lambda s, ans, x: s * 0.3989422804014327 * np.exp(-0.5 * x * x))
_elementwise(special.log_ndtr,
             lambda s, ans, x: s * 0.3989422804014327 * np.exp(-0.5 * x * x - ans))
_elementwise(special.ndtri, lambda s, ans, y: s * 2.5066282746310002 * np.exp(0.5 * ans * ans))
_elementwise(special.xlogy, lambda s, ans, x, y: s * np.log(y), lambda s, ans, x, y: s * x / y)
_elementwise(special.xlog1py,
             lambda s, ans, x, y: s * np.log1p(y), lambda s, ans, x, y: s * x / (1 + y))
# entr(x) = -x log(x), rel_entr(x, y) = x log(x / y), kl_div(x, y) = x log(x / y) - x + y
_elementwise(special.entr, lambda s, ans, x: -s * (np.log(x) + 1))
_elementwise(special.rel_entr,
             lambda s, ans, x, y: s * (np.log(x / y) + 1), lambda s, ans, x, y: -s * x / y)
_elementwise(special.kl_div,
             lambda s, ans, x, y: s * np.log(x / y), lambda s, ans, x, y: s * (1 - x / y))
# the exponential integrals E1(x) = integral from x to inf of exp(-t) / t, Ei(x) = -E1(-x)
_elementwise(special.exp1, lambda s, ans, x: -s * np.exp(-x) / x)
_elementwise(special.expi, lambda s, ans, x: s * np.exp(x) / x)

# erfcx(x) = exp(x^2) erfc(x); dawsn(x) = exp(-x^2) * integral of exp(t^2) from 0 to x
_elementwise(special.erfcx, lambda s, ans, x: s * (2.0 * x * ans - 1.1283791670955126))
_elementwise(special.dawsn, lambda s, ans, x: s * (1.0 - 2.0 * x * ans))
# wofz(z) = exp(-z^2) erfc(-iz), holomorphic: w' = -2 z w + 2i / sqrt(pi) (the convention of
# s2s_ad.rules: no conjugation; a real z receives the real part)
_elementwise(special.wofz, lambda s, ans, z: s * (-2.0 * z * ans + 1.1283791670955126j))
# owens_t(h, a) = integral from 0 to a of exp(-h^2 (1 + x^2) / 2) / (2 pi (1 + x^2)) dx
_elementwise(special.owens_t,
             lambda s, ans, h, a: -s * 0.19947114020071635 * np.exp(-0.5 * h * h)
             * special.erf(0.7071067811865476 * a * h),
             lambda s, ans, h, a: s * np.exp(-0.5 * h * h * (1.0 + a * a))
             / (6.283185307179586 * (1.0 + a * a)))


# spence(z) = integral from 1 to z of log(t) / (1 - t) dt: the slope log(z) / (1 - z) =
# -log1p(u) / u with u = z - 1, whose removable singularity at z = 1 is a series near it (each
# branch finite everywhere, so that neither makes a nan the other's zero weight would keep).
def _spence_slope(s, ans, z):
    u = z - 1.0
    near = np.abs(u) < 1e-3
    far = np.where(near, 1.0, u)
    return s * np.where(near, -1.0 + u * (0.5 - u / 3.0), -np.log1p(far) / far)


_elementwise(special.spence, _spence_slope)
# E_n' = -E_(n-1) for n >= 1; E_0(x) = exp(-x) / x
_elementwise(special.expn, _N, lambda s, ans, n, x: -s * np.where(
    n >= 1, special.expn(np.maximum(n - 1, 0), x), np.exp(-x) * (x + 1.0) / (x * x)))


# boxcox(x, l) = (x^l - 1) / l (log x at l = 0), boxcox1p(x, l) = boxcox(1 + x, l).  With
# y = log x (log1p x): d/dx = x^(l-1), d/dl = (y e^(l y) - ans) / l, which near l = 0 is its
# series y^2 / 2 + l y^3 / 3 + l^2 y^4 / 8 (each branch finite everywhere).
def _boxcox_slope_lmbda(s, ans, y, lmbda):
    near = np.abs(lmbda) < 1e-4
    return s * np.where(near, y * y * (0.5 + lmbda * y / 3.0 + lmbda * lmbda * y * y / 8.0),
                        (y * np.exp(lmbda * y) - ans) / np.where(near, 1.0, lmbda))


_elementwise(special.boxcox, lambda s, ans, x, lmbda: s * x ** (lmbda - 1.0),
             lambda s, ans, x, lmbda: _boxcox_slope_lmbda(s, ans, np.log(x), lmbda))
_elementwise(special.boxcox1p, lambda s, ans, x, lmbda: s * (1.0 + x) ** (lmbda - 1.0),
             lambda s, ans, x, lmbda: _boxcox_slope_lmbda(s, ans, np.log1p(x), lmbda))
# sici(x) = (Si, Ci), fresnel(z) = (S, C): pairs, each item's slope elementwise.  Si' = sin(x)/x
# (np.sinc: 1 at 0), Ci' = cos(x)/x; S' = sin(pi z^2 / 2), C' = cos(pi z^2 / 2).
defvjp(special.sici, lambda g, ans, x: g[0] * np.sinc(x / np.pi) + g[1] * np.cos(x) / x)
defjvp(special.sici, lambda t, ans, x: (t * np.sinc(x / np.pi), t * np.cos(x) / x))
defvjp(special.fresnel, lambda g, ans, z: g[0] * np.sin(1.5707963267948966 * z * z)
       + g[1] * np.cos(1.5707963267948966 * z * z))
defjvp(special.fresnel, lambda t, ans, z: (t * np.sin(1.5707963267948966 * z * z),
                                          t * np.cos(1.5707963267948966 * z * z)))
defstructural(special.sici)
defstructural(special.fresnel)
deffacts(special.sici, special.fresnel, kind="tuple")
# hyp1f1(a, b, x) in x: (a / b) hyp1f1(a + 1, b + 1, x); in a and b it has no elementary form
_elementwise(special.hyp1f1, _PARAMETER_A, _PARAMETER_B,
             lambda s, ans, a, b, x: s * a / b * special.hyp1f1(a + 1.0, b + 1.0, x))

# ---- gamma and beta functions ----

# digamma' = trigamma = zeta(2, x) (Hurwitz), whose derivative in q is again zeta's: every
# order of these derivatives is one SciPy call, with float32 kept.
_elementwise(special.gamma, lambda s, ans, z: s * ans * special.digamma(z))
_elementwise(special.gammaln, lambda s, ans, x: s * special.digamma(x))
# loggamma of real x is gammaln's; of complex z digamma's derivative (zeta) has no complex
# form in SciPy, so complex z is refused when the rule runs
_elementwise(special.loggamma, lambda s, ans, z: s * special.digamma(z)
             if not np.iscomplexobj(z) else _ad.unsupported("scipy.special.loggamma of a "
                                                            "complex z"))
_elementwise(special.digamma, lambda s, ans, z: s * special.zeta(2.0, z))
# rgamma = 1/gamma is entire, but -rgamma(z) digamma(z) is 0 * inf at z = 0, -1, -2, ...; for
# z < 1/2 the reflection rgamma(z) = gamma(1 - z) sin(pi z) / pi gives a finite form.  Each
# branch reads z only where it is chosen (elsewhere a safe constant), so that neither it nor
# its derivatives make an inf that the other branch's zero weight would turn into nan.
def _rgamma_slope(s, ans, z):
    left = np.where(z < 0.5, z, 0.0)
    reflected = special.gamma(1 - left) * (
        np.cos(np.pi * left) - np.sin(np.pi * left) * special.digamma(1 - left) / np.pi)
    return s * np.where(z < 0.5, reflected, -ans * special.digamma(np.where(z < 0.5, 1.0, z)))


_elementwise(special.rgamma, _rgamma_slope)
# zeta(x, q) = sum over k of (k + q)^-x: d/dq = -x zeta(x + 1, q); in x it has no elementary form
_elementwise(special.zeta, _constant("x", "no elementary form"),
             lambda s, ans, x, q=None: -s * x * special.zeta(x + 1, q))
_elementwise(special.polygamma, _N, lambda s, ans, n, x: s * special.polygamma(n + 1, x))
# multigammaln(a, d) = d(d-1)/4 log(pi) + sum over j < d of gammaln(a - j/2)
# (the result has a's shape: d is one integer, never broadcast against a)
_elementwise(special.multigammaln, lambda s, ans, a, d: s * np.sum(
    special.digamma(np.expand_dims(a, -1) - 0.5 * np.arange(d)), axis=-1), _D, broadcasts=False)
# Python functions, not ufuncs: a 0-d array for numbers, so "num", not the numbers' "scalar"
deffacts(special.zeta, special.polygamma, special.multigammaln, kind="num",
         shape=shapes.broadcast)
# factorial(n) = gamma(n + 1) and comb(N, k) = gamma(N + 1) / (gamma(k + 1) gamma(N - k + 1))
# (comb(N + k - 1, k) with repetition), inside their support; exact=True gives integers
_elementwise(special.factorial, lambda s, ans, n, exact=False, extend="zero":
             s * ans * special.digamma(n + 1.0) if not exact
             else _ad.unsupported("scipy.special.factorial(exact=True): an integer"))
_elementwise(special.comb,
             lambda s, ans, N, k, *, exact=False, repetition=False: s * ans * (
                 special.digamma(N + k) - special.digamma(N) if repetition
                 else special.digamma(N + 1.0) - special.digamma(N - k + 1.0))
             if not exact else _ad.unsupported("scipy.special.comb(exact=True): an integer"),
             lambda s, ans, N, k, *, exact=False, repetition=False: s * ans * (
                 special.digamma(N + k) - special.digamma(k + 1.0) if repetition
                 else special.digamma(N - k + 1.0) - special.digamma(k + 1.0))
             if not exact else _ad.unsupported("scipy.special.comb(exact=True): an integer"))
deffacts(special.factorial, special.comb, kind="num", shape=shapes.broadcast)
# poch(z, m) = gamma(z + m) / gamma(z)
_elementwise(special.poch,
             lambda s, ans, z, m: s * ans * (special.digamma(z + m) - special.digamma(z)),
             lambda s, ans, z, m: s * ans * special.digamma(z + m))
_elementwise(special.beta,
             lambda s, ans, a, b: s * ans * (special.digamma(a) - special.digamma(a + b)),
             lambda s, ans, a, b: s * ans * (special.digamma(b) - special.digamma(a + b)))
_elementwise(special.betaln,
             lambda s, ans, a, b: s * (special.digamma(a) - special.digamma(a + b)),
             lambda s, ans, a, b: s * (special.digamma(b) - special.digamma(a + b)))
# The regularized incomplete functions in x: their integrands, over the complete function.
# xlogy and xlog1py keep the boundary right (a = 1 at x = 0: exp(0 * log 0) = 1).
_elementwise(special.betainc, _PARAMETER_A, _PARAMETER_B, lambda s, ans, a, b, x: s * np.exp(
    special.xlogy(a - 1, x) + special.xlog1py(b - 1, -x) - special.betaln(a, b)))
_elementwise(special.gammainc, _PARAMETER_A, lambda s, ans, a, x: s * np.exp(
    special.xlogy(a - 1, x) - x - special.gammaln(a)))
_elementwise(special.gammaincc, _PARAMETER_A, lambda s, ans, a, x: -s * np.exp(
    special.xlogy(a - 1, x) - x - special.gammaln(a)))
nondifferentiable(special.gammasgn)     # the sign of gamma: piecewise constant
nondifferentiable(special.bernoulli)    # the Bernoulli numbers B_0 ... B_n of an integer n

# ---- Bessel functions ----

# Of the first and second kind: C'_v = (C_{v-1} - C_{v+1}) / 2; modified: I'_v = (I_{v-1} +
# I_{v+1}) / 2.  jn is jv.  y1 uses yv, as yn of an integer order computes in float64.
_elementwise(special.jv, _ORDER,
             lambda s, ans, v, z: s * 0.5 * (special.jv(v - 1, z) - special.jv(v + 1, z)))
_elementwise(special.yv, _ORDER,
             lambda s, ans, v, z: s * 0.5 * (special.yv(v - 1, z) - special.yv(v + 1, z)))
_elementwise(special.yn, _N,
             lambda s, ans, n, x: s * 0.5 * (special.yn(n - 1, x) - special.yn(n + 1, x)))
_elementwise(special.iv, _ORDER,
             lambda s, ans, v, z: s * 0.5 * (special.iv(v - 1, z) + special.iv(v + 1, z)))
_elementwise(special.j0, lambda s, ans, x: -s * special.j1(x))
_elementwise(special.j1, lambda s, ans, x: s * 0.5 * (special.j0(x) - special.jv(2.0, x)))
_elementwise(special.y0, lambda s, ans, x: -s * special.y1(x))
_elementwise(special.y1, lambda s, ans, x: s * 0.5 * (special.y0(x) - special.yv(2.0, x)))
_elementwise(special.i0, lambda s, ans, x: s * special.i1(x))
_elementwise(special.i1, lambda s, ans, x: s * 0.5 * (special.i0(x) + special.iv(2.0, x)))
# of the second kind, modified: K'_v = -(K_{v-1} + K_{v+1}) / 2
_elementwise(special.kv, _ORDER,
             lambda s, ans, v, z: -s * 0.5 * (special.kv(v - 1, z) + special.kv(v + 1, z)))
_elementwise(special.kn, _N,
             lambda s, ans, n, x: -s * 0.5 * (special.kn(n - 1, x) + special.kn(n + 1, x)))
_elementwise(special.k0, lambda s, ans, x: -s * special.k1(x))
_elementwise(special.k1, lambda s, ans, x: -s * 0.5 * (special.k0(x) + special.kv(2.0, x)))
# The exponentially scaled ones, f(x) exp(-|x|) for real x: minus sign(x) times the result
# (at 0, where |x| has a kink, the sign is 0, as np.abs's rule takes it).  For complex z the
# scale is exp(-|Re z|), not holomorphic: refused when ive's rule runs (i0e and i1e take
# real x only).
_elementwise(special.ive, _ORDER, lambda s, ans, v, z: s * (
    0.5 * (special.ive(v - 1, z) + special.ive(v + 1, z)) - np.sign(z) * ans)
    if not np.iscomplexobj(z) else _ad.unsupported("scipy.special.ive of a complex z"))
_elementwise(special.i0e, lambda s, ans, x: s * (special.i1e(x) - np.sign(x) * ans))
_elementwise(special.i1e, lambda s, ans, x: s * (
    0.5 * (special.i0e(x) + special.ive(2.0, x)) - np.sign(x) * ans))
# K's scaled ones are f(x) exp(x) (x > 0): plus the result
_elementwise(special.kve, _ORDER, lambda s, ans, v, z: s * (
    ans - 0.5 * (special.kve(v - 1, z) + special.kve(v + 1, z))))
_elementwise(special.k0e, lambda s, ans, x: s * (ans - special.k1e(x)))
_elementwise(special.k1e, lambda s, ans, x: s * (
    ans - 0.5 * (special.k0e(x) + special.kve(2.0, x))))

# ---- along an axis ----

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
