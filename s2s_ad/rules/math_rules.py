"""Rules for the real functions of the `math` module (scalars in, float out).

Constants are written as literals (ln 2 = 0.6931471805599453, ln 10 = 2.302585092994046,
2/sqrt(pi) = 1.1283791670955126, 180/pi = 57.29577951308232) so inlined rules need no names.
`math.gamma` and `math.lgamma` use `_ad.polygamma` (SciPy is not required).

Contents:
    powers, exponentials and logarithms   sqrt cbrt exp exp2 expm1 log log2 log10 log1p pow
    trigonometric                          sin cos tan asin acos atan atan2 hypot degrees radians
    hyperbolic                             sinh cosh tanh asinh acosh atanh
    special functions                      erf erfc gamma lgamma
    piecewise                              fabs copysign fmod remainder ldexp modf frexp
    non-differentiable                     floor ceil trunc isfinite isnan ... factorial comb
"""
import math

from s2s_ad import runtime as _ad
from s2s_ad.rules.registry import deffacts, defjvp, defvjp, nondifferentiable

# ---- powers, exponentials and logarithms ----

defvjp(math.sqrt, lambda g, ans, x: _ad.div(g * 0.5, ans))
defjvp(math.sqrt, lambda t, ans, x: _ad.div(t * 0.5, ans))
if hasattr(math, "cbrt"):       # Python 3.11
    defvjp(math.cbrt, lambda g, ans, x: g / (3.0 * ans * ans))
    defjvp(math.cbrt, lambda t, ans, x: t / (3.0 * ans * ans))
defvjp(math.exp, lambda g, ans, x: g * ans)
defjvp(math.exp, lambda t, ans, x: t * ans)
if hasattr(math, "exp2"):       # Python 3.11
    defvjp(math.exp2, lambda g, ans, x: g * ans * 0.6931471805599453)
    defjvp(math.exp2, lambda t, ans, x: t * ans * 0.6931471805599453)
defvjp(math.expm1, lambda g, ans, x: g * (ans + 1.0))
defjvp(math.expm1, lambda t, ans, x: t * (ans + 1.0))

defvjp(math.log,
       lambda g, ans, x, base=math.e: g / x if base == math.e else g / (x * math.log(base)),
       lambda g, ans, x, base=math.e: -g * ans / (base * math.log(base)))
defjvp(math.log,
       lambda t, ans, x, base=math.e: t / x if base == math.e else t / (x * math.log(base)),
       lambda t, ans, x, base=math.e: -t * ans / (base * math.log(base)))
defvjp(math.log2, lambda g, ans, x: g / (x * 0.6931471805599453))
defjvp(math.log2, lambda t, ans, x: t / (x * 0.6931471805599453))
defvjp(math.log10, lambda g, ans, x: g / (x * 2.302585092994046))
defjvp(math.log10, lambda t, ans, x: t / (x * 2.302585092994046))
defvjp(math.log1p, lambda g, ans, x: g / (1.0 + x))
defjvp(math.log1p, lambda t, ans, x: t / (1.0 + x))

# d(x**y)/dy = x**y log(x), taken as 0 where x <= 0 (where it is only defined for integer y).
defvjp(math.pow,
       lambda g, ans, x, y: g * _ad.pow_slope(x, y),
       lambda g, ans, x, y: g * ans * (math.log(x) if x > 0 else 0.0))
defjvp(math.pow,
       lambda t, ans, x, y: t * _ad.pow_slope(x, y),
       lambda t, ans, x, y: t * ans * (math.log(x) if x > 0 else 0.0))

# ---- trigonometric ----

defvjp(math.sin, lambda g, ans, x: g * math.cos(x))
defjvp(math.sin, lambda t, ans, x: t * math.cos(x))
defvjp(math.cos, lambda g, ans, x: -g * math.sin(x))
defjvp(math.cos, lambda t, ans, x: -t * math.sin(x))
defvjp(math.tan, lambda g, ans, x: g * (1.0 + ans * ans))
defjvp(math.tan, lambda t, ans, x: t * (1.0 + ans * ans))
defvjp(math.asin, lambda g, ans, x: _ad.div(g, math.sqrt(1.0 - x * x)))
defjvp(math.asin, lambda t, ans, x: _ad.div(t, math.sqrt(1.0 - x * x)))
defvjp(math.acos, lambda g, ans, x: _ad.div(-g, math.sqrt(1.0 - x * x)))
defjvp(math.acos, lambda t, ans, x: _ad.div(-t, math.sqrt(1.0 - x * x)))
defvjp(math.atan, lambda g, ans, x: g / (1.0 + x * x))
defjvp(math.atan, lambda t, ans, x: t / (1.0 + x * x))
defvjp(math.atan2,
       lambda g, ans, y, x: g * x / (x * x + y * y),
       lambda g, ans, y, x: -g * y / (x * x + y * y))
defjvp(math.atan2,
       lambda t, ans, y, x: t * x / (x * x + y * y),
       lambda t, ans, y, x: -t * y / (x * x + y * y))
# math.hypot takes any number of coordinates; rules cover the two-argument call.
defvjp(math.hypot,
       lambda g, ans, x, y: g * x / ans,
       lambda g, ans, x, y: g * y / ans)
defjvp(math.hypot,
       lambda t, ans, x, y: t * x / ans,
       lambda t, ans, x, y: t * y / ans)
defvjp(math.degrees, lambda g, ans, x: g * 57.29577951308232)
defjvp(math.degrees, lambda t, ans, x: t * 57.29577951308232)
defvjp(math.radians, lambda g, ans, x: g * 0.017453292519943295)
defjvp(math.radians, lambda t, ans, x: t * 0.017453292519943295)

# ---- hyperbolic ----

defvjp(math.sinh, lambda g, ans, x: g * math.cosh(x))
defjvp(math.sinh, lambda t, ans, x: t * math.cosh(x))
defvjp(math.cosh, lambda g, ans, x: g * math.sinh(x))
defjvp(math.cosh, lambda t, ans, x: t * math.sinh(x))
defvjp(math.tanh, lambda g, ans, x: g * (1.0 - ans * ans))
defjvp(math.tanh, lambda t, ans, x: t * (1.0 - ans * ans))
defvjp(math.asinh, lambda g, ans, x: g / math.sqrt(x * x + 1.0))
defjvp(math.asinh, lambda t, ans, x: t / math.sqrt(x * x + 1.0))
defvjp(math.acosh, lambda g, ans, x: _ad.div(g, math.sqrt(x * x - 1.0)))
defjvp(math.acosh, lambda t, ans, x: _ad.div(t, math.sqrt(x * x - 1.0)))
defvjp(math.atanh, lambda g, ans, x: g / (1.0 - x * x))
defjvp(math.atanh, lambda t, ans, x: t / (1.0 - x * x))

# ---- special functions ----

defvjp(math.erf, lambda g, ans, x: g * 1.1283791670955126 * math.exp(-x * x))
defjvp(math.erf, lambda t, ans, x: t * 1.1283791670955126 * math.exp(-x * x))
defvjp(math.erfc, lambda g, ans, x: -g * 1.1283791670955126 * math.exp(-x * x))
defjvp(math.erfc, lambda t, ans, x: -t * 1.1283791670955126 * math.exp(-x * x))
defvjp(math.gamma, lambda g, ans, x: g * ans * _ad.polygamma(0, x))
defjvp(math.gamma, lambda t, ans, x: t * ans * _ad.polygamma(0, x))
defvjp(math.lgamma, lambda g, ans, x: g * _ad.polygamma(0, x))
defjvp(math.lgamma, lambda t, ans, x: t * _ad.polygamma(0, x))

# ---- piecewise ----

defvjp(math.fabs, lambda g, ans, x: g * math.copysign(1.0, x))
defjvp(math.fabs, lambda t, ans, x: t * math.copysign(1.0, x))
# copysign(x, y) = |x| sign(y): piecewise constant in y.
defvjp(math.copysign, lambda g, ans, x, y: g * math.copysign(1.0, x) * math.copysign(1.0, y))
defjvp(math.copysign, lambda t, ans, x, y: t * math.copysign(1.0, x) * math.copysign(1.0, y))
# fmod(x, y) = x - y*trunc(x/y), remainder(x, y) = x - y*round(x/y): the quotient is (x - ans)/y.
defvjp(math.fmod,
       lambda g, ans, x, y: g,
       lambda g, ans, x, y: -g * round((x - ans) / y))
defjvp(math.fmod,
       lambda t, ans, x, y: t,
       lambda t, ans, x, y: -t * round((x - ans) / y))
defvjp(math.remainder,
       lambda g, ans, x, y: g,
       lambda g, ans, x, y: -g * round((x - ans) / y))
defjvp(math.remainder,
       lambda t, ans, x, y: t,
       lambda t, ans, x, y: -t * round((x - ans) / y))
defvjp(math.ldexp, lambda g, ans, x, i: g * 2.0 ** i)
defjvp(math.ldexp, lambda t, ans, x, i: t * 2.0 ** i)
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
