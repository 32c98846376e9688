"""Rules for the real functions of the `math` module (scalars in, float out).

A function that computes what a NumPy ufunc computes by arithmetic on its argument and result
shares the ufunc's rules (numpy_ufunc_rules.py); the others are written here, once each
(registry.defelementwise), with math's functions, so a float's derivative is a float.  Constants are literals
(2/sqrt(pi) = 1.1283791670955126) so inlined rules need no names.  `math.gamma` and
`math.lgamma` use `_ad.polygamma` (SciPy is not required).

Contents:
    shared with NumPy      exp exp2 expm1 log2 log10 log1p tan atan tanh atanh degrees radians
    of their own           sin cos sinh cosh asinh sqrt cbrt asin acos acosh atan2 hypot log pow
                           erf erfc gamma lgamma fabs copysign fmod remainder ldexp modf frexp
    non-differentiable     floor ceil trunc isfinite isnan ... factorial comb
"""
import math

import numpy as np

from s2s_ad import runtime as _ad
from s2s_ad.rules import numpy_ufunc_rules  # noqa: F401  (the rules shared below come first)
from s2s_ad.rules.registry import deffacts, defelementwise, defjvp, defvjp, nondifferentiable, share

# ---- the NumPy function's rules ----

# The same function of one number as the NumPy ufunc, whose rule is arithmetic on the number
# and the result: the same rules (registry.share), and Python floats stay Python floats.
for _math, _numpy in (
        (math.exp, np.exp), (math.expm1, np.expm1), (math.log2, np.log2),
        (math.log10, np.log10), (math.log1p, np.log1p), (math.tan, np.tan),
        (math.atan, np.arctan), (math.tanh, np.tanh), (math.atanh, np.arctanh),
        (math.degrees, np.degrees), (math.radians, np.radians)):
    share(_math, _numpy)
if hasattr(math, "exp2"):       # Python 3.11
    share(math.exp2, np.exp2)

# ---- rules of their own ----

# Where NumPy's rule calls a NumPy function (np.cos(x)), the math function's calls the math
# one: a float's derivative is a float, computed as fast as the function.
defelementwise(math.sin, lambda ans, x: math.cos(x))
defelementwise(math.cos, lambda ans, x: -math.sin(x))
defelementwise(math.sinh, lambda ans, x: math.cosh(x))
defelementwise(math.cosh, lambda ans, x: math.sinh(x))
defelementwise(math.asinh, lambda ans, x: 1 / math.sqrt(x * x + 1.0))
# a division by zero where the function is finite (sqrt, cbrt at 0, asin at 1): _ad.div gives
# inf there, as NumPy does, where Python's floats would raise
defelementwise(math.sqrt, lambda ans, x: _ad.div(0.5, ans))
if hasattr(math, "cbrt"):       # Python 3.11
    defelementwise(math.cbrt, lambda ans, x: _ad.div(1.0, 3.0 * ans * ans))
defelementwise(math.asin, lambda ans, x: _ad.div(1.0, math.sqrt(1.0 - x * x)))
defelementwise(math.acos, lambda ans, x: _ad.div(-1.0, math.sqrt(1.0 - x * x)))
defelementwise(math.acosh, lambda ans, x: _ad.div(1.0, math.sqrt(x * x - 1.0)))
# two numbers, not broadcasting arrays: (y, x) as math names them
defelementwise(math.atan2,
               lambda ans, y, x: x / (x * x + y * y),
               lambda ans, y, x: -y / (x * x + y * y))
# math.hypot takes any number of coordinates; the rules cover the two-argument call.
defelementwise(math.hypot, lambda ans, x, y: x / ans, lambda ans, x, y: y / ans)

# log takes a base
defelementwise(math.log,
               lambda ans, x, base=math.e: 1 / x if base == math.e else 1 / (x * math.log(base)),
               lambda ans, x, base=math.e: -ans / (base * math.log(base)))

# d(x**y)/dy = x**y log(x), taken as 0 where x <= 0 (where it is only defined for integer y).
defelementwise(math.pow,
               lambda ans, x, y: _ad.pow_slope(x, y),
               lambda ans, x, y: ans * (math.log(x) if x > 0 else 0.0))

# ---- special functions (no NumPy ufunc) ----

defelementwise(math.erf, lambda ans, x: 1.1283791670955126 * math.exp(-x * x))
defelementwise(math.erfc, lambda ans, x: -1.1283791670955126 * math.exp(-x * x))
defelementwise(math.gamma, lambda ans, x: ans * _ad.polygamma(0, x))
defelementwise(math.lgamma, lambda ans, x: _ad.polygamma(0, x))

# ---- piecewise ----

defelementwise(math.fabs, lambda ans, x: math.copysign(1.0, x))
# copysign(x, y) = |x| sign(y): piecewise constant in y.
defelementwise(math.copysign, lambda ans, x, y: math.copysign(1.0, x) * math.copysign(1.0, y))
# fmod(x, y) = x - y*trunc(x/y), remainder(x, y) = x - y*round(x/y): the quotient is (x - ans)/y.
for _f in (math.fmod, math.remainder):
    defelementwise(_f, lambda ans, x, y: 1, lambda ans, x, y: -round((x - ans) / y))
defelementwise(math.ldexp, lambda ans, x, i: 2.0 ** i)
# modf(x) = (fractional part, integral part); frexp(x) = (m, e) with x = m * 2**e.
defvjp(math.modf, lambda g, ans, x: g[0])
defjvp(math.modf, lambda t, ans, x: (t, 0.0))
defvjp(math.frexp, lambda g, ans, x: g[0] * 2.0 ** -ans[1])
defjvp(math.frexp, lambda t, ans, x: (t * 2.0 ** -ans[1], 0.0))
deffacts(math.modf, math.frexp, kind="tuple")     # not a number, as math functions give

# ---- non-differentiable ----

nondifferentiable(
    math.floor, math.ceil, math.trunc, math.isfinite, math.isinf, math.isnan, math.isclose,
    math.factorial, math.comb, math.perm, math.gcd, math.lcm, math.isqrt, math.nextafter,
    math.ulp,
)
