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
from s2s_ad.rules.registry import defelementwise, deffacts, defjvp, defvjp, share

# ---- arithmetic ----

# Each function is one statement (registry.defelementwise): a partial derivative per argument,
# written in differentiable calls; the VJP is g times it and the JVP t times it.

# the arithmetic ufuncs compute what the operators compute: one set of rules serves both
for _ufunc, _operator, _shift in ((np.add, operator.add, "sum"),
                                  (np.subtract, operator.sub, "difference"),
                                  (np.multiply, operator.mul, "product"),
                                  (np.divide, operator.truediv, "quotient")):
    share(_ufunc, _operator)
    deffacts(_ufunc, elementwise_in=(0, 1), shift=_shift)   # a batched tangent passes elementwise
defelementwise(np.negative, lambda ans, x: -1)
deffacts(np.negative, kind="first", shape=shapes.like(0), elementwise_in=(0,))
defelementwise(np.positive, lambda ans, x: 1)
deffacts(np.positive, elementwise_in=(0,))
defelementwise(np.reciprocal, lambda ans, x: -ans * ans)
defelementwise(np.square, lambda ans, x: 2 * x)

# d(x1**x2)/dx2 = x1**x2 log(x1), taken as 0 where x1 == 0.
defelementwise(np.power,
               lambda ans, x1, x2: x2 * np.power(x1, x2 - 1),
               lambda ans, x1, x2: ans * np.log(np.where(x1 == 0, 1.0, x1)), broadcasts=True)
defelementwise(np.float_power,
               lambda ans, x1, x2: x2 * np.float_power(x1, x2 - 1),
               lambda ans, x1, x2: ans * np.log(np.where(x1 == 0, 1.0, x1)), broadcasts=True)

# mod(x1, x2) = x1 - x2 * floor(x1 / x2);  fmod(x1, x2) = x1 - x2 * trunc(x1 / x2).
defelementwise(np.mod,
               lambda ans, x1, x2: 1,
               lambda ans, x1, x2: -np.floor_divide(x1, x2), broadcasts=True)
defelementwise(np.fmod,
               lambda ans, x1, x2: 1,
               lambda ans, x1, x2: -np.rint((x1 - ans) / x2), broadcasts=True)

# ---- exponentials and logarithms ----

defelementwise(np.exp, lambda ans, x: ans)
deffacts(np.exp, shift="exp")
defelementwise(np.exp2, lambda ans, x: ans * 0.6931471805599453)
defelementwise(np.expm1, lambda ans, x: ans + 1)
defelementwise(np.log, lambda ans, x: 1 / x)
deffacts(np.log, shift="log")
defelementwise(np.log2, lambda ans, x: 1 / (x * 0.6931471805599453))
defelementwise(np.log10, lambda ans, x: 1 / (x * 2.302585092994046))
defelementwise(np.log1p, lambda ans, x: 1 / (1 + x))
defelementwise(np.logaddexp,
               lambda ans, x1, x2: np.exp(x1 - ans),
               lambda ans, x1, x2: np.exp(x2 - ans), broadcasts=True)
defelementwise(np.logaddexp2,
               lambda ans, x1, x2: np.exp2(x1 - ans),
               lambda ans, x1, x2: np.exp2(x2 - ans), broadcasts=True)
defelementwise(np.sqrt, lambda ans, x: 0.5 / ans)
defelementwise(np.cbrt, lambda ans, x: 1 / (3 * ans * ans))

# ---- trigonometric ----

defelementwise(np.sin, lambda ans, x: np.cos(x))
defelementwise(np.cos, lambda ans, x: -np.sin(x))
defelementwise(np.tan, lambda ans, x: 1 + ans * ans)
defelementwise(np.arcsin, lambda ans, x: 1 / np.sqrt(1 - x * x))
defelementwise(np.arccos, lambda ans, x: -1 / np.sqrt(1 - x * x))
defelementwise(np.arctan, lambda ans, x: 1 / (1 + x * x))
defelementwise(np.arctan2,
               lambda ans, x1, x2: x2 / (x1 * x1 + x2 * x2),
               lambda ans, x1, x2: -x1 / (x1 * x1 + x2 * x2), broadcasts=True)
defelementwise(np.hypot,
               lambda ans, x1, x2: x1 / ans,
               lambda ans, x1, x2: x2 / ans, broadcasts=True)
# sinc(x) = sin(pi x) / (pi x):  sinc'(x) = (cos(pi x) - sinc(x)) / x, 0 at x = 0, from a
# helper whose own derivative is sinc'' (-pi^2 / 3 at 0, where the quotient has none)
defelementwise(np.sinc, lambda ans, x: _ad.sinc_derivative(1, x))
deffacts(np.sinc, shape=shapes.like(0))
defelementwise(np.deg2rad, lambda ans, x: 0.017453292519943295)
share(np.radians, np.deg2rad)
defelementwise(np.rad2deg, lambda ans, x: 57.29577951308232)
share(np.degrees, np.rad2deg)

# ---- hyperbolic ----

defelementwise(np.sinh, lambda ans, x: np.cosh(x))
defelementwise(np.cosh, lambda ans, x: np.sinh(x))
defelementwise(np.tanh, lambda ans, x: 1 - ans * ans)
defelementwise(np.arcsinh, lambda ans, x: 1 / np.sqrt(x * x + 1))
defelementwise(np.arccosh, lambda ans, x: 1 / np.sqrt(x * x - 1))
defelementwise(np.arctanh, lambda ans, x: 1 / (1 - x * x))

# ---- piecewise ----

# |x|: sign(x) for real x; for complex z the cotangent is g * conj(z)/|z| (numpy's sign(z) is
# z/|z|) and the tangent Re(conj(z) t)/|z|: not a product by one derivative, so two rules.
defvjp(np.abs, lambda g, ans, x: g * np.conj(_ad.sign(x)))
defjvp(np.abs, lambda t, ans, x: np.real(np.conj(_ad.sign(x)) * t))
share(builtins.abs, np.abs)
defelementwise(np.fabs, lambda ans, x: np.sign(x))
# copysign(x1, x2) = |x1| sign(x2): piecewise constant in x2 (copysign(1, x2) keeps float32)
defelementwise(np.copysign, lambda ans, x1, x2: np.copysign(1, x2) * np.sign(x1), None,
               broadcasts=True)

# maximum/minimum (and the NaN-ignoring fmax/fmin): where the arguments tie, each gets half.
# Two rules each, not one partial derivative: the seed multiplies the masks (bools) itself, so
# float32 stays float32 (a partial `0.5 * (x1 == x2)` would be float64).
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
defelementwise(np.clip,
               lambda ans, a, a_min=None, a_max=None: ans == a,
               lambda ans, a, a_min=None, a_max=None: a < a_min,
               lambda ans, a, a_min=None, a_max=None: a > a_max, broadcasts=True)
deffacts(np.clip, methods=("clip",), real=True)

# nan_to_num replaces nan/inf by the values nan, posinf, neginf: the derivative in x passes
# only where x is finite, and each replacement value's where x held what it replaces (it was a
# silent zero).
defelementwise(np.nan_to_num,
               lambda ans, x, copy=True, nan=0.0, posinf=None, neginf=None: np.isfinite(x),
               None,
               lambda ans, x, copy=True, nan=0.0, posinf=None, neginf=None: np.isnan(x),
               lambda ans, x, copy=True, nan=0.0, posinf=None, neginf=None: np.isposinf(x),
               lambda ans, x, copy=True, nan=0.0, posinf=None, neginf=None: np.isneginf(x),
               broadcasts=True)
deffacts(np.nan_to_num, shape=shapes.like(0))

# a running maximum or minimum (np.maximum.accumulate): each item is the item of x at the last
# index so far that attains it, and its derivative that item's (_ad.running_extremum_index)
for _running in (np.maximum.accumulate, np.minimum.accumulate, np.fmax.accumulate,
                 np.fmin.accumulate):
    defvjp(_running, lambda g, ans, array, axis=0, dtype=None, out=None:
           _ad.take_along_axis_grad(g, array, _ad.running_extremum_index(array, ans, axis),
                                    axis))
    defjvp(_running, lambda t, ans, array, axis=0, dtype=None, out=None:
           np.take_along_axis(t, _ad.running_extremum_index(array, ans, axis), axis))
    deffacts(_running, shape=shapes.like(0))


# ldexp(x1, x2) = x1 * 2**x2 with integer exponents x2 (no derivative there).
defelementwise(np.ldexp, lambda ans, x1, x2: np.ldexp(np.ones_like(x1), x2), None,
               broadcasts=True)
# modf(x) = (fractional part, integral part): the integral part is piecewise constant.
defvjp(np.modf, lambda g, ans, x: g[0])
defjvp(np.modf, lambda t, ans, x: _ad.one_item(ans, 0, t))
# frexp(x) = (m, e), x = m * 2**e with integer e: m = x * 2**-e where e is constant.
defvjp(np.frexp, lambda g, ans, x: g[0] * np.ldexp(np.ones_like(x), -ans[1]))
defjvp(np.frexp, lambda t, ans, x: _ad.one_item(ans, 0, t * np.ldexp(np.ones_like(x), -ans[1])))
