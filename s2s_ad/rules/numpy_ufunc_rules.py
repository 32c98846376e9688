"""Rules for NumPy's elementwise functions (ufuncs and a few elementwise helpers).

Binary functions are registered with `broadcasts=True`: their VJP returns the cotangent in the
result's shape and the compiler reduces it to each argument's shape; their JVP may return a
tangent of the argument's shape and the compiler broadcasts it.  Unary functions keep shapes.

Complex values follow the JAX convention (see `s2s_ad.rules`): holomorphic functions use
`g * f'(z)` with no conjugation, so most rules are the real formula unchanged.  Constants are
literals (ln 2, ln 10, 2/sqrt(pi), 180/pi, pi/180), and Python floats keep float32 float32.

Contents:
    arithmetic                 add subtract multiply divide/true_divide negative positive
                               reciprocal square power float_power mod/remainder fmod
    exponentials, logarithms   exp exp2 expm1 log log2 log10 log1p logaddexp logaddexp2
                               sqrt cbrt
    trigonometric              sin cos tan arcsin arccos arctan arctan2 hypot sinc
                               deg2rad rad2deg degrees radians
    hyperbolic                 sinh cosh tanh arcsinh arccosh arctanh
    piecewise                  abs/absolute fabs maximum minimum fmax fmin clip nan_to_num
                               copysign
"""
import builtins
import operator

import numpy as np

from s2s_ad import runtime as _ad
from s2s_ad.rules import operator_rules  # noqa: F401  (the operators' rules come first)
from s2s_ad.rules import shape_facts as shapes
from s2s_ad.rules.registry import deffacts, defjvp, defvjp, share

# ---- arithmetic ----

# the arithmetic ufuncs compute what the operators compute: one set of rules serves both
for _ufunc, _operator, _shift in ((np.add, operator.add, "sum"),
                                  (np.subtract, operator.sub, "difference"),
                                  (np.multiply, operator.mul, "product"),
                                  (np.divide, operator.truediv, "quotient")):
    share(_ufunc, _operator)
    deffacts(_ufunc, elementwise_in=(0, 1), shift=_shift)   # a batched tangent passes elementwise
defvjp(np.negative, lambda g, ans, x: -g)
defjvp(np.negative, lambda t, ans, x: -t)
deffacts(np.negative, kind="first", shape=shapes.like(0), elementwise_in=(0,))
defvjp(np.positive, lambda g, ans, x: g)
defjvp(np.positive, lambda t, ans, x: t)
deffacts(np.positive, elementwise_in=(0,))
defvjp(np.reciprocal, lambda g, ans, x: -g * ans * ans)
defjvp(np.reciprocal, lambda t, ans, x: -t * ans * ans)
defvjp(np.square, lambda g, ans, x: g * 2 * x)
defjvp(np.square, lambda t, ans, x: t * 2 * x)

# d(x1**x2)/dx2 = x1**x2 log(x1), taken as 0 where x1 == 0.
defvjp(np.power,
       lambda g, ans, x1, x2: g * x2 * np.power(x1, x2 - 1),
       lambda g, ans, x1, x2: g * ans * np.log(np.where(x1 == 0, 1.0, x1)), broadcasts=True)
defjvp(np.power,
       lambda t, ans, x1, x2: t * x2 * np.power(x1, x2 - 1),
       lambda t, ans, x1, x2: t * ans * np.log(np.where(x1 == 0, 1.0, x1)), broadcasts=True)
defvjp(np.float_power,
       lambda g, ans, x1, x2: g * x2 * np.float_power(x1, x2 - 1),
       lambda g, ans, x1, x2: g * ans * np.log(np.where(x1 == 0, 1.0, x1)), broadcasts=True)
defjvp(np.float_power,
       lambda t, ans, x1, x2: t * x2 * np.float_power(x1, x2 - 1),
       lambda t, ans, x1, x2: t * ans * np.log(np.where(x1 == 0, 1.0, x1)), broadcasts=True)

# mod(x1, x2) = x1 - x2 * floor(x1 / x2);  fmod(x1, x2) = x1 - x2 * trunc(x1 / x2).
defvjp(np.mod,
       lambda g, ans, x1, x2: g,
       lambda g, ans, x1, x2: -g * np.floor_divide(x1, x2), broadcasts=True)
defjvp(np.mod,
       lambda t, ans, x1, x2: t,
       lambda t, ans, x1, x2: -t * np.floor_divide(x1, x2), broadcasts=True)
defvjp(np.fmod,
       lambda g, ans, x1, x2: g,
       lambda g, ans, x1, x2: -g * np.rint((x1 - ans) / x2), broadcasts=True)
defjvp(np.fmod,
       lambda t, ans, x1, x2: t,
       lambda t, ans, x1, x2: -t * np.rint((x1 - ans) / x2), broadcasts=True)

# ---- exponentials and logarithms ----

defvjp(np.exp, lambda g, ans, x: g * ans)
defjvp(np.exp, lambda t, ans, x: t * ans)
deffacts(np.exp, shift="exp")
defvjp(np.exp2, lambda g, ans, x: g * ans * 0.6931471805599453)
defjvp(np.exp2, lambda t, ans, x: t * ans * 0.6931471805599453)
defvjp(np.expm1, lambda g, ans, x: g * (ans + 1))
defjvp(np.expm1, lambda t, ans, x: t * (ans + 1))
defvjp(np.log, lambda g, ans, x: g / x)
defjvp(np.log, lambda t, ans, x: t / x)
deffacts(np.log, shift="log")
defvjp(np.log2, lambda g, ans, x: g / (x * 0.6931471805599453))
defjvp(np.log2, lambda t, ans, x: t / (x * 0.6931471805599453))
defvjp(np.log10, lambda g, ans, x: g / (x * 2.302585092994046))
defjvp(np.log10, lambda t, ans, x: t / (x * 2.302585092994046))
defvjp(np.log1p, lambda g, ans, x: g / (1 + x))
defjvp(np.log1p, lambda t, ans, x: t / (1 + x))
defvjp(np.logaddexp,
       lambda g, ans, x1, x2: g * np.exp(x1 - ans),
       lambda g, ans, x1, x2: g * np.exp(x2 - ans), broadcasts=True)
defjvp(np.logaddexp,
       lambda t, ans, x1, x2: t * np.exp(x1 - ans),
       lambda t, ans, x1, x2: t * np.exp(x2 - ans), broadcasts=True)
defvjp(np.logaddexp2,
       lambda g, ans, x1, x2: g * np.exp2(x1 - ans),
       lambda g, ans, x1, x2: g * np.exp2(x2 - ans), broadcasts=True)
defjvp(np.logaddexp2,
       lambda t, ans, x1, x2: t * np.exp2(x1 - ans),
       lambda t, ans, x1, x2: t * np.exp2(x2 - ans), broadcasts=True)
defvjp(np.sqrt, lambda g, ans, x: g * 0.5 / ans)
defjvp(np.sqrt, lambda t, ans, x: t * 0.5 / ans)
defvjp(np.cbrt, lambda g, ans, x: g / (3 * ans * ans))
defjvp(np.cbrt, lambda t, ans, x: t / (3 * ans * ans))

# ---- trigonometric ----

defvjp(np.sin, lambda g, ans, x: g * np.cos(x))
defjvp(np.sin, lambda t, ans, x: t * np.cos(x))
defvjp(np.cos, lambda g, ans, x: -g * np.sin(x))
defjvp(np.cos, lambda t, ans, x: -t * np.sin(x))
defvjp(np.tan, lambda g, ans, x: g * (1 + ans * ans))
defjvp(np.tan, lambda t, ans, x: t * (1 + ans * ans))
defvjp(np.arcsin, lambda g, ans, x: g / np.sqrt(1 - x * x))
defjvp(np.arcsin, lambda t, ans, x: t / np.sqrt(1 - x * x))
defvjp(np.arccos, lambda g, ans, x: -g / np.sqrt(1 - x * x))
defjvp(np.arccos, lambda t, ans, x: -t / np.sqrt(1 - x * x))
defvjp(np.arctan, lambda g, ans, x: g / (1 + x * x))
defjvp(np.arctan, lambda t, ans, x: t / (1 + x * x))
defvjp(np.arctan2,
       lambda g, ans, x1, x2: g * x2 / (x1 * x1 + x2 * x2),
       lambda g, ans, x1, x2: -g * x1 / (x1 * x1 + x2 * x2), broadcasts=True)
defjvp(np.arctan2,
       lambda t, ans, x1, x2: t * x2 / (x1 * x1 + x2 * x2),
       lambda t, ans, x1, x2: -t * x1 / (x1 * x1 + x2 * x2), broadcasts=True)
defvjp(np.hypot,
       lambda g, ans, x1, x2: g * x1 / ans,
       lambda g, ans, x1, x2: g * x2 / ans, broadcasts=True)
defjvp(np.hypot,
       lambda t, ans, x1, x2: t * x1 / ans,
       lambda t, ans, x1, x2: t * x2 / ans, broadcasts=True)
# sinc(x) = sin(pi x) / (pi x):  sinc'(x) = (cos(pi x) - sinc(x)) / x, 0 at x = 0, from a
# helper whose own derivative is sinc'' (-pi^2 / 3 at 0, where the quotient has none)
defvjp(np.sinc, lambda g, ans, x: g * _ad.sinc_derivative(1, x))
defjvp(np.sinc, lambda t, ans, x: t * _ad.sinc_derivative(1, x))
deffacts(np.sinc, shape=shapes.like(0))
defvjp(np.deg2rad, lambda g, ans, x: g * 0.017453292519943295)
defjvp(np.deg2rad, lambda t, ans, x: t * 0.017453292519943295)
defvjp(np.radians, lambda g, ans, x: g * 0.017453292519943295)
defjvp(np.radians, lambda t, ans, x: t * 0.017453292519943295)
defvjp(np.rad2deg, lambda g, ans, x: g * 57.29577951308232)
defjvp(np.rad2deg, lambda t, ans, x: t * 57.29577951308232)
defvjp(np.degrees, lambda g, ans, x: g * 57.29577951308232)
defjvp(np.degrees, lambda t, ans, x: t * 57.29577951308232)

# ---- hyperbolic ----

defvjp(np.sinh, lambda g, ans, x: g * np.cosh(x))
defjvp(np.sinh, lambda t, ans, x: t * np.cosh(x))
defvjp(np.cosh, lambda g, ans, x: g * np.sinh(x))
defjvp(np.cosh, lambda t, ans, x: t * np.sinh(x))
defvjp(np.tanh, lambda g, ans, x: g * (1 - ans * ans))
defjvp(np.tanh, lambda t, ans, x: t * (1 - ans * ans))
defvjp(np.arcsinh, lambda g, ans, x: g / np.sqrt(x * x + 1))
defjvp(np.arcsinh, lambda t, ans, x: t / np.sqrt(x * x + 1))
defvjp(np.arccosh, lambda g, ans, x: g / np.sqrt(x * x - 1))
defjvp(np.arccosh, lambda t, ans, x: t / np.sqrt(x * x - 1))
defvjp(np.arctanh, lambda g, ans, x: g / (1 - x * x))
defjvp(np.arctanh, lambda t, ans, x: t / (1 - x * x))

# ---- piecewise ----

# |x|: sign(x) for real x; for complex z the cotangent is g * conj(z)/|z| (numpy's sign(z) is
# z/|z|) and the tangent Re(conj(z) t)/|z|.
defvjp(np.abs, lambda g, ans, x: g * np.conj(_ad.sign(x)))
defjvp(np.abs, lambda t, ans, x: np.real(np.conj(_ad.sign(x)) * t))
defvjp(np.fabs, lambda g, ans, x: g * np.sign(x))
defjvp(np.fabs, lambda t, ans, x: t * np.sign(x))
defvjp(np.copysign,
       lambda g, ans, x1, x2: np.where(np.signbit(x2), -g, g) * np.sign(x1),
       None, broadcasts=True)
defjvp(np.copysign,
       lambda t, ans, x1, x2: np.where(np.signbit(x2), -t, t) * np.sign(x1),
       None, broadcasts=True)

# maximum/minimum (and the NaN-ignoring fmax/fmin): where the arguments tie, each gets half.
defvjp(np.maximum,
       lambda g, ans, x1, x2: g * (x1 > x2) + 0.5 * g * (x1 == x2),
       lambda g, ans, x1, x2: g * (x2 > x1) + 0.5 * g * (x1 == x2), broadcasts=True)
defjvp(np.maximum,
       lambda t, ans, x1, x2: t * (x1 > x2) + 0.5 * t * (x1 == x2),
       lambda t, ans, x1, x2: t * (x2 > x1) + 0.5 * t * (x1 == x2), broadcasts=True)
defvjp(np.minimum,
       lambda g, ans, x1, x2: g * (x1 < x2) + 0.5 * g * (x1 == x2),
       lambda g, ans, x1, x2: g * (x2 < x1) + 0.5 * g * (x1 == x2), broadcasts=True)
defjvp(np.minimum,
       lambda t, ans, x1, x2: t * (x1 < x2) + 0.5 * t * (x1 == x2),
       lambda t, ans, x1, x2: t * (x2 < x1) + 0.5 * t * (x1 == x2), broadcasts=True)
share(builtins.max, np.maximum)       # max(a, b) of two numbers: the same rules
share(builtins.min, np.minimum)
deffacts(builtins.max, builtins.min, kind="combine", real=True)   # of numbers or arrays
defvjp(np.fmax,
       lambda g, ans, x1, x2: g * ((x1 > x2) | np.isnan(x2)) + 0.5 * g * (x1 == x2),
       lambda g, ans, x1, x2: g * ((x2 > x1) | np.isnan(x1)) + 0.5 * g * (x1 == x2),
       broadcasts=True)
defjvp(np.fmax,
       lambda t, ans, x1, x2: t * ((x1 > x2) | np.isnan(x2)) + 0.5 * t * (x1 == x2),
       lambda t, ans, x1, x2: t * ((x2 > x1) | np.isnan(x1)) + 0.5 * t * (x1 == x2),
       broadcasts=True)
defvjp(np.fmin,
       lambda g, ans, x1, x2: g * ((x1 < x2) | np.isnan(x2)) + 0.5 * g * (x1 == x2),
       lambda g, ans, x1, x2: g * ((x2 < x1) | np.isnan(x1)) + 0.5 * g * (x1 == x2),
       broadcasts=True)
defjvp(np.fmin,
       lambda t, ans, x1, x2: t * ((x1 < x2) | np.isnan(x2)) + 0.5 * t * (x1 == x2),
       lambda t, ans, x1, x2: t * ((x2 < x1) | np.isnan(x1)) + 0.5 * t * (x1 == x2),
       broadcasts=True)

# clip: the value passes through where it lies inside [a_min, a_max] (bounds may be None).
defvjp(np.clip,
       lambda g, ans, a, a_min=None, a_max=None: g * (ans == a),
       lambda g, ans, a, a_min=None, a_max=None: g * (a < a_min),
       lambda g, ans, a, a_min=None, a_max=None: g * (a > a_max), broadcasts=True)
defjvp(np.clip,
       lambda t, ans, a, a_min=None, a_max=None: t * (ans == a),
       lambda t, ans, a, a_min=None, a_max=None: t * (a < a_min),
       lambda t, ans, a, a_min=None, a_max=None: t * (a > a_max), broadcasts=True)
deffacts(np.clip, methods=("clip",), real=True)

# nan_to_num replaces nan/inf by constants: the derivative passes only where x is finite.
defvjp(np.nan_to_num,
       lambda g, ans, x, copy=True, nan=0.0, posinf=None, neginf=None: g * np.isfinite(x))
defjvp(np.nan_to_num,
       lambda t, ans, x, copy=True, nan=0.0, posinf=None, neginf=None: t * np.isfinite(x))
deffacts(np.nan_to_num, shape=shapes.like(0))
