"""The table that drives tests/test_rules.py: one or more cases for every rule in RULES.

A case is a callable, concrete arguments drawn from a stated input domain under a fixed seed,
keyword arguments, and options: `wrt` (argument indices to check; default every float argument
whose rule is not None), `rtol`/`atol`, `sym` (arguments perturbed only symmetrically, for
functions that read one triangle of a symmetric matrix), `align` (maps an output computed at
a perturbed input onto the branch of the reference output, e.g. eigenvector signs) and `tie`
(a point where the derivative jumps, which tests/test_rules_second_order.py leaves out).

Domains:  R normal  P positive in (0.5, 2)  U in (-0.9, 0.9)  G away from 0 and ties
          C complex  SPD symmetric positive definite  WC well-conditioned square  D distinct values
"""
import builtins
import collections
import math
import operator
from dataclasses import dataclass, field

import numpy as np

from s2s_ad import runtime as _ad
from s2s_ad.rules import load_optional_rules

rng = np.random.default_rng(20240607)


def R(*shape):
    return rng.standard_normal(shape) if shape else float(rng.standard_normal())


def P(*shape):
    return rng.uniform(0.5, 2.0, shape) if shape else float(rng.uniform(0.5, 2.0))


def U(*shape):
    return rng.uniform(-0.9, 0.9, shape) if shape else float(rng.uniform(-0.9, 0.9))


def G(*shape):
    """Magnitudes in (0.5, 2) with random signs: away from 0 (and from kinks at 0)."""
    return P(*shape) * rng.choice([-1.0, 1.0], shape) if shape else P() * float(rng.choice([-1, 1]))


def C(*shape):
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


def D(*shape):
    """Distinct values spaced at least 0.1 apart (no ties, so max/sort are smooth)."""
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.3 + rng.uniform(0, 0.1, n) - 0.15 * n).reshape(shape)


def SPD(n, *batch):
    a = rng.standard_normal(batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def WC(n, *batch):
    return rng.standard_normal(batch + (n, n)) + 3.0 * np.eye(n)


@dataclass
class Case:
    fn: object
    args: tuple
    kwargs: dict = field(default_factory=dict)
    wrt: tuple = None
    rtol: float = 1e-5
    atol: float = 1e-6
    sym: tuple = ()
    align: object = None
    tie: bool = False     # at a tie of max/min: the split derivative is a convention there

    @property
    def name(self):
        owner = getattr(self.fn, "__self__", None)
        if type(owner).__module__.startswith("scipy.stats"):    # norm.logpdf: a bound method
            return f"stats.{type(owner).__name__.removesuffix('_gen')}.{self.fn.__name__}"
        mod = getattr(self.fn, "__module__", None) or ""
        short = mod.replace("numpy", "np").split(".")[0] + "." if mod else ""
        return short + getattr(self.fn, "__name__", repr(self.fn))


CASES = []


def case(fn, args, kwargs=None, **options):
    CASES.append(Case(fn, tuple(args), dict(kwargs or {}), **options))


# ---- operators and builtins ----

for _op in (operator.add, operator.sub, operator.mul):
    case(_op, (R(), R()))
    case(_op, (R(2, 3), R(3)))
    case(_op, (R(2, 1), R(1, 3)))
    case(_op, (R(), R(3)))
    case(_op, (C(3), C(3)))
case(operator.truediv, (R(), G()))
case(operator.truediv, (R(2, 3), G(3)))
case(operator.truediv, (R(3), G(2, 3)))
case(operator.truediv, (C(3), C(3)))
case(operator.mod, (R(4), G(4)))
case(operator.mod, (R(), 0.7))
case(operator.mod, (R(2, 3), G(3)))
case(operator.mod, (R(3), G(2, 3)))
case(operator.pow, (P(3), R(3)))
case(operator.pow, (P(2, 3), 3))
case(operator.pow, (P(), R()))
case(operator.pow, (P(3), R(2, 3)))
case(operator.pow, (P(2, 3), R(3)))
case(operator.neg, (R(3),))
case(operator.neg, (R(),))
case(operator.pos, (R(2, 2),))
case(operator.matmul, (R(3, 4), R(4, 2)))
case(operator.matmul, (R(4), R(4, 2)))
case(operator.matmul, (R(3, 4), R(4)))
case(operator.matmul, (R(4), R(4)))
case(operator.matmul, (R(2, 3, 4), R(4, 2)))
case(operator.matmul, (R(4), R(2, 4, 3)))
case(operator.matmul, (R(2, 3, 4), R(4)))
case(operator.matmul, (R(2, 1, 3, 4), R(5, 4, 2)))
case(builtins.abs, (G(),))
case(builtins.abs, (G(3),))
case(builtins.abs, (C(3),))
case(builtins.pow, (P(), R()))
case(builtins.pow, (P(3), R(2, 3)))
case(builtins.pow, (P(2, 3), R(3)))
case(builtins.float, (R(),))
case(builtins.sum, ([R(3), R(3)], R(3)))
case(builtins.sum, ((R(2), R(2)),))
case(builtins.max, (1.0, 2.5))
case(builtins.max, (3.0, -2.5))
case(builtins.min, (1.0, 2.5))
case(builtins.min, (3.0, -2.5))

# ---- math ----

_MATH_UNARY = [
    (math.sqrt, P), (math.exp, R), (math.expm1, R),
    (math.log, P), (math.log2, P), (math.log10, P), (math.log1p, P),
    (math.sin, R), (math.cos, R), (math.tan, U), (math.asin, U), (math.acos, U),
    (math.atan, R), (math.degrees, R), (math.radians, R),
    (math.sinh, R), (math.cosh, R), (math.tanh, R), (math.asinh, R), (math.atanh, U),
    (math.erf, R), (math.erfc, R), (math.gamma, P), (math.lgamma, P), (math.fabs, G),
    (math.modf, G), (math.frexp, G),
] + [(getattr(math, name), dom) for name, dom in (("cbrt", G), ("exp2", R))
     if hasattr(math, name)]          # Python 3.11
for _f, _dom in _MATH_UNARY:
    case(_f, (_dom(),))
case(math.acosh, (1.0 + P(),))
case(math.gamma, (-1.5,))
case(math.lgamma, (7.3,))
case(math.log, (P(), 1.5 + P()))
case(math.pow, (P(), R()))
case(math.atan2, (R(), R()))
case(math.hypot, (R(), R()))
case(math.copysign, (G(), -1.0))
case(math.fmod, (3.3, 1.2))
case(math.remainder, (-3.3, 1.2))
case(math.ldexp, (R(), 3))

# ---- numpy elementwise ----

_NP_UNARY = [
    (np.exp, R), (np.exp2, R), (np.expm1, R), (np.log, P), (np.log2, P), (np.log10, P),
    (np.log1p, P), (np.sqrt, P), (np.cbrt, G), (np.square, R), (np.reciprocal, G),
    (np.negative, R), (np.positive, R), (np.sin, R), (np.cos, R), (np.tan, U), (np.arcsin, U),
    (np.arccos, U), (np.arctan, R), (np.sinh, R), (np.cosh, R), (np.tanh, R), (np.arcsinh, R),
    (np.arctanh, U), (np.abs, G), (np.fabs, G), (np.sinc, R), (np.deg2rad, R), (np.rad2deg, R),
    (np.degrees, R), (np.radians, R), (np.nan_to_num, R),
]
for _f, _dom in _NP_UNARY:
    case(_f, (_dom(),))
    case(_f, (_dom(5),))
    case(_f, (_dom(2, 3),))
case(np.arccosh, (1.0 + P(4),))
case(np.sinc, (np.array([0.0, 0.5, -1.3]),))
case(np.nan_to_num, (np.array([1.0, np.nan, np.inf, -2.0]),), dict(posinf=5.0, neginf=-5.0))
# the replacement values, by position (copy, nan, posinf, neginf): each where x held what it
# replaces; as numbers and as arrays broadcast against x
_NONFINITE = np.array([[1.0, np.nan, np.inf], [-np.inf, np.nan, -2.0]])
case(np.nan_to_num, (_NONFINITE, True, R(), R(), R()), wrt=(2, 3, 4))
case(np.nan_to_num, (_NONFINITE, True, R(3), R(3), R(2, 1)), wrt=(2, 3, 4))
for _f in (np.exp, np.log, np.sin, np.cos, np.tanh, np.sqrt, np.square, np.reciprocal,
           np.negative, np.abs):
    case(_f, (C(4),))

_NP_BINARY = [
    (np.add, R, R), (np.subtract, R, R), (np.multiply, R, R), (np.divide, R, G),
    (np.power, P, R), (np.float_power, P, R), (np.mod, R, G), (np.fmod, R, G),
    (np.logaddexp, R, R), (np.logaddexp2, R, R), (np.arctan2, R, R), (np.hypot, R, R),
    (np.maximum, D, D), (np.minimum, D, D), (np.fmax, D, D), (np.fmin, D, D),
    (np.copysign, G, G),
]
for _f, _d1, _d2 in _NP_BINARY:
    case(_f, (_d1(4), _d2(4)))
    case(_f, (_d1(2, 3), _d2(3)))
    case(_f, (_d1(2, 1), _d2(1, 3)))
    case(_f, (_d1(), _d2(3)))
for _f in (np.add, np.subtract, np.multiply, np.divide, np.power):
    case(_f, (C(3), C(3)))
case(np.power, (P(3), 2))
case(np.maximum, (np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 4.0])), tie=True)
case(np.clip, (D(6), -0.5, 0.5))
case(np.clip, (D(2, 3), D(3), None))
case(np.clip, (D(3), D(2, 3), None))
case(np.clip, (D(2, 3), None, D(2, 1)))

# ---- numpy reductions ----

for _f in (np.sum, np.mean, np.nansum, np.nanmean, np.prod):
    _dom = P if _f is np.prod else R
    case(_f, (_dom(3, 4),))
    case(_f, (_dom(3, 4),), dict(axis=0))
    case(_f, (_dom(3, 4),), dict(axis=1, keepdims=True))
    case(_f, (_dom(2, 3, 4),), dict(axis=(0, 2)))
    case(_f, (_dom(5),), dict(axis=-1))
case(np.sum, (R(),))
case(np.mean, (C(3, 2),), dict(axis=0))
case(np.nansum, (np.array([1.0, np.nan, 2.0]),))
case(np.nanmean, (np.array([[1.0, np.nan], [2.0, 3.0]]),), dict(axis=1))
for _f in (np.max, np.amax, np.min, np.amin, np.ptp):
    case(_f, (D(3, 4),))
    case(_f, (D(3, 4),), dict(axis=0))
    case(_f, (D(2, 3, 4),), dict(axis=(1, 2), keepdims=True))
case(np.max, (np.array([1.0, 3.0, 3.0, 2.0]),), tie=True)
case(np.min, (np.array([[1.0, 1.0], [0.0, 2.0]]),), dict(axis=1), tie=True)
for _f in (np.nanmax, np.nanmin):
    case(_f, (D(3, 4),), dict(axis=0))
    case(_f, (np.array([[1.0, np.nan, -2.0], [np.nan, 0.5, 3.0]]),), dict(axis=1))
    case(_f, (np.array([1.0, np.nan, 2.0, 2.0]),), tie=_f is np.nanmax)
_x = D(3, 4)
_x[1, 2] = _x[0, 0] = np.nan
for _f in (np.nanvar, np.nanstd):
    case(_f, (R(3, 4),))
    case(_f, (_x,), dict(axis=1, ddof=1))
    case(_f, (_x,), dict(axis=0, keepdims=True))
case(np.nanprod, (P(3, 4),), dict(axis=0))
case(np.nanprod, (np.where(np.isnan(_x), _x, P(3, 4)),))
case(np.nanprod, (np.where(np.isnan(_x), _x, P(3, 4)),), dict(axis=1, keepdims=True))
case(np.median, (D(5),))
case(np.median, (D(6),))
case(np.median, (D(3, 4),), dict(axis=1))
case(np.median, (D(2, 3, 4),), dict(axis=(0, 2), keepdims=True))
for _f, _s in ((np.quantile, 1), (np.percentile, 100)):
    case(_f, (D(7), 0.3 * _s))
    case(_f, (D(3, 5), np.array([0.1, 0.55, 0.9]) * _s), dict(axis=1))
    case(_f, (D(3, 4), np.array([[0.2], [0.7]]) * _s), dict(axis=0, keepdims=True))
    case(_f, (D(2, 3, 4), 0.45 * _s), dict(axis=(0, 2)))
    case(_f, (D(6), 1.0 * _s), wrt=(0,))
case(np.percentile, (D(9), [25.0, 50.0, 95.0]), wrt=(0,))
for _f in (np.var, np.std):
    case(_f, (R(3, 4),))
    case(_f, (R(3, 4),), dict(axis=0, ddof=1))
    case(_f, (R(3, 4),), dict(axis=1, keepdims=True))
    case(_f, (R(2, 3, 4),), dict(axis=(0, 2)))
for _f, _dom in ((np.cumsum, R), (np.cumprod, P)):
    case(_f, (_dom(5),))
    case(_f, (_dom(3, 4),))
    case(_f, (_dom(3, 4),), dict(axis=0))
    case(_f, (_dom(2, 3, 4),), dict(axis=-1))
case(np.average, (R(3, 4),))
case(np.average, (R(3, 4), 1, P(4)))
case(np.average, (R(3, 4), 0, P(3)))
case(np.average, (R(3, 4), None, P(3, 4)), dict(keepdims=True))
case(np.diff, (R(6),))
case(np.diff, (R(6),), dict(n=2))
case(np.diff, (R(3, 5),), dict(axis=0))
case(np.ediff1d, (R(5),))
case(np.ediff1d, (R(2, 3), R(2), R()))
case(np.ediff1d, (R(2, 3), R(2), np.float64(R())))
case(np.ediff1d, (R(4), None, R(2)))
case(np.polyval, (R(4), R(3)))
case(np.polyval, (R(3), R()))
case(np.polyval, (R(1), R(2, 2)))
case(np.polyval, (R(5), R(2, 3)), rtol=1e-4)
if hasattr(np, "trapezoid"):         # NumPy 2
    case(np.trapezoid, (R(5),))
    case(np.trapezoid, (R(3, 4), R(4)))
    case(np.trapezoid, (R(3, 4), R(3, 4), 1.0, 0))
    case(np.trapezoid, (R(2, 3, 4), R(3)), dict(axis=1))
    case(np.trapezoid, (R(3, 4), None, P(), 0))
    case(np.trapezoid, (R(3, 4), None, np.float64(P()), 0))
case(np.trace, (R(4, 4),))
case(np.trace, (R(3, 5),), dict(offset=1))
case(np.trace, (R(2, 3, 3),), dict(axis1=1, axis2=2))
case(np.linalg.norm, (R(5),))
case(np.linalg.norm, (R(3, 4),))
case(np.linalg.norm, (R(3, 4),), dict(ord="fro"))
case(np.linalg.norm, (G(5),), dict(ord=1))
case(np.linalg.norm, (G(5),), dict(ord=3))
case(np.linalg.norm, (D(5),), dict(ord=np.inf))
case(np.linalg.norm, (R(3, 4),), dict(axis=1, keepdims=True))
case(np.linalg.norm, (G(3, 4),), dict(ord=1, axis=0))
case(np.linalg.norm, (D(5),), dict(ord=-np.inf))
case(np.linalg.norm, (G(5),), dict(ord=0))
# matrix norms: max/min of column (ord 1) or row (inf) sums of |x|, and of singular values
for _ord in (1, -1, np.inf, -np.inf, 2, -2, "nuc"):
    case(np.linalg.norm, (D(3, 4),), dict(ord=_ord))
case(np.linalg.norm, (D(2, 3, 4),), dict(ord=1, axis=(2, 0)))
case(np.linalg.norm, (D(3, 2, 4),), dict(ord=np.inf, axis=(0, 2), keepdims=True))
case(np.linalg.norm, (R(2, 4, 3),), dict(ord=2, axis=(1, 2)))
case(np.linalg.norm, (R(3, 2, 4),), dict(ord="nuc", axis=(-1, 0), keepdims=True))
case(np.linalg.norm, (R(4, 3, 2),), dict(ord=-2, axis=(0, 1)))

# ---- numpy shapes ----

case(np.reshape, (R(3, 4), (2, 6)))
case(np.reshape, (R(3, 4), (-1,)), dict(order="F"))
case(np.ravel, (R(3, 4),))
case(np.squeeze, (R(3, 1, 4),))
case(np.squeeze, (R(1, 3, 1),), dict(axis=0))
case(np.expand_dims, (R(3, 4), 1))
case(np.atleast_1d, (R(),))
case(np.atleast_1d, (R(2, 3),))
case(np.atleast_2d, (R(3),))
case(np.atleast_3d, (R(3, 4),))
case(np.broadcast_to, (R(3), (2, 3)))
case(np.broadcast_to, (R(2, 1), (4, 2, 3)))
case(np.copy, (R(3),))
case(np.array, ([R(), R(), R()],))
case(np.array, ([R(2), R(2)],))
case(np.array, (R(3, 2),))
case(np.asarray, ([R(), R()],))
case(np.asarray, (R(2, 2),))
case(np.transpose, (R(3, 4),))
case(np.transpose, (R(2, 3, 4), (2, 0, 1)))
case(np.transpose, (R(2, 3, 4), (-1, 0, -2)))
if hasattr(np, "matrix_transpose"):     # NumPy 2
    case(np.matrix_transpose, (R(2, 3, 4),))
case(np.swapaxes, (R(2, 3, 4), 0, 2))
case(np.moveaxis, (R(2, 3, 4), 0, -1))
case(np.rollaxis, (R(2, 3, 4), 2))
case(np.rollaxis, (R(2, 3, 4), 0, 2))
case(np.concatenate, ([R(2, 3), R(1, 3), R(4, 3)],))
case(np.concatenate, ([R(2, 3), R(2, 2)],), dict(axis=1))
case(np.concatenate, ((R(2, 3), R(4)),), dict(axis=None))
case(np.stack, ([R(3), R(3)],))
case(np.stack, ([R(2, 3), R(2, 3), R(2, 3)],), dict(axis=-1))
case(np.vstack, ([R(3), R(2, 3)],))
case(np.hstack, ([R(3), R(2)],))
case(np.hstack, ([R(2, 3), R(2, 1)],))
case(np.dstack, ([R(2, 3), R(2, 3, 2)],))
case(np.column_stack, ([R(3), R(3, 2)],))
case(np.split, (R(6, 2), 3))
case(np.split, (R(2, 7), [2, 5]), dict(axis=1))
case(np.array_split, (R(7), 3))
case(np.hsplit, (R(2, 4), 2))
case(np.hsplit, (R(6), [1, 4]))
case(np.vsplit, (R(4, 3), 2))
case(np.dsplit, (R(2, 2, 4), 2))
case(np.tile, (R(3), 2))
case(np.tile, (R(2, 3), (2, 1, 2)))
case(np.repeat, (R(3), 2))
case(np.repeat, (R(2, 3), [1, 0, 2]), dict(axis=1))
case(np.repeat, (R(2, 2), 3))
case(np.pad, (R(3), 2))
case(np.pad, (R(2, 3), ((1, 0), (2, 1))), dict(constant_values=1.5))
for _mode in ("edge", "reflect", "symmetric", "wrap"):
    case(np.pad, (R(3, 4), ((1, 2), (2, 1))), dict(mode=_mode))
case(np.flip, (R(3, 4),))
case(np.flip, (R(3, 4),), dict(axis=1))
case(np.flipud, (R(3, 4),))
case(np.fliplr, (R(3, 4),))
case(np.roll, (R(5), 2))
case(np.roll, (R(3, 4), (1, -1), (0, 1)))
case(np.roll, (R(3, 4), 5))
case(np.rot90, (R(3, 4),))
case(np.rot90, (R(2, 3, 4), 3, (1, 2)))
case(np.sort, (D(6),))
case(np.sort, (D(3, 4),), dict(axis=0))
case(np.sort, (D(3, 4),), dict(axis=None))
case(np.diag, (R(3),))
case(np.diag, (R(3), 1))
case(np.diag, (R(3, 4),))
case(np.diag, (R(4, 3), -1))
case(np.diagflat, (R(3),))
case(np.diagflat, (R(2, 2), -1))
case(np.partition, (D(7), 3))
case(np.partition, (D(3, 5), (1, 3)), dict(axis=1))
case(np.partition, (D(4, 3), 2), dict(axis=None))
case(np.diagonal, (R(3, 4),))
case(np.diagonal, (R(2, 3, 4), 1, 1, 2))
case(np.triu, (R(3, 4),))
case(np.tril, (R(4, 4), -1))
case(np.where, (R(2, 3) > 0, R(2, 3), R(2, 3)))
case(np.where, (R(2, 3) > 0, R(3), R()))
case(np.select, ([R(4) > 0, R(4) > 0], [R(4), R(4)], R(4)))
case(np.select, ([R(2, 3) > 0, R(3) > 0], [R(3), R(2, 3)], R()))
case(np.take, (R(5), [0, 3, 3, -1]))
case(np.take, (R(3, 4), np.array([[0, 2], [2, 2]])), dict(axis=1))
case(np.take, (R(3, 4), [1, 7]), dict(mode="wrap"))
case(np.take_along_axis, (R(3, 4), np.array([[0], [3], [3]]), 1))
case(np.take_along_axis, (R(3, 4), np.array([[0, 1, 1, 2], [2, 2, 0, 0]]), 0))
case(np.append, (R(2, 3), R(4)))
case(np.append, (R(2, 3), R(1, 3)), dict(axis=0))
case(np.append, (R(3), R()))

# ---- numpy products and linear algebra ----

for _a, _b in (((3, 4), (4, 2)), ((4,), (4,)), ((4,), (4, 2)), ((3, 4), (4,)), ((), (3,)),
               ((2, 3, 4), (4,)), ((2, 3), (4, 3, 5))):
    case(np.dot, (R(*_a), R(*_b)))
for _a, _b in (((3, 4), (4, 2)), ((4,), (4, 2)), ((2, 3, 4), (2, 4, 5)), ((3, 4), (4,)),
               ((2, 1, 3, 4), (5, 4, 2))):
    case(np.matmul, (R(*_a), R(*_b)))
case(np.vdot, (R(2, 3), R(6)))
case(np.vdot, (C(3), C(3)))
for _a, _b in (((3,), (3,)), ((2, 3), (4, 3)), ((), (3,)), ((2, 2, 3), (3,))):
    case(np.inner, (R(*_a), R(*_b)))
case(np.outer, (R(3), R(4)))
case(np.outer, (R(2, 2), R(3)))
case(np.tensordot, (R(2, 3, 4), R(3, 4, 5)))
case(np.tensordot, (R(2, 3, 4), R(4, 2), ([0, 2], [1, 0])))
case(np.tensordot, (R(3, 2), R(4, 3)), dict(axes=([0], [1])))
case(np.tensordot, (R(3), R(4)), dict(axes=0))
case(np.kron, (R(2, 3), R(3, 2)))
case(np.kron, (R(3), R(2, 2)))
case(np.cross, (R(3), R(3)))
case(np.cross, (R(4, 3), R(3)))
case(np.cross, (R(3, 4), R(3, 4)), dict(axis=0))
case(np.cross, (R(3, 2), R(2, 3)), dict(axisa=0, axisb=1, axisc=0))
case(np.cross, (R(3), R(4, 3)), dict(axisa=0, axisc=0))
case(np.einsum, ("ij,jk->ik", R(3, 4), R(4, 2)))
case(np.einsum, ("ij,jk", R(3, 4), R(4, 2)))
case(np.einsum, ("i,i->", R(4), R(4)))
case(np.einsum, ("ii->i", R(3, 3)))
case(np.einsum, ("ii", R(3, 3)))
case(np.einsum, ("ij->", R(3, 4)))
case(np.einsum, ("ij->j", R(3, 4)))
case(np.einsum, ("bij,bjk->bik", R(2, 3, 4), R(2, 4, 5)))
case(np.einsum, ("...ij,...jk->...ik", R(2, 3, 4), R(2, 4, 5)))
case(np.einsum, ("i,j,k->ijk", R(2), R(3), R(4)))
case(np.einsum, ("ij,jk,kl,lm->im", R(2, 3), R(3, 4), R(4, 2), R(2, 2)))
case(np.einsum, ("iij,j->i", R(3, 3, 2), R(2)))
case(np.einsum, ("ij,jk,kl,lm,mi->", R(2, 3), R(3, 2), R(2, 2), R(2, 3), R(3, 2)))
case(np.einsum, ("a,ab,bc,cd,de,ef,fg,g->", R(2), R(2, 3), R(3, 2), R(2, 2), R(2, 3), R(3, 2),
                 R(2, 2), R(2)))
case(np.einsum, ("ij,jk,kl->il", R(2, 3), R(3, 4), R(4, 2)), dict(optimize=True))
# size-1 axes stretch, as NumPy broadcasts them (in an ellipsis or a letter)
case(np.einsum, ("...i,...i->...", R(2, 3, 4), R(1, 4)))
case(np.einsum, ("ij,ij->i", R(3, 1), R(3, 4)))
case(np.einsum, ("ii,i->i", R(3, 3), R(1)))
case(_ad.einsum, ("ij,jk->ik", R(3, 4), R(4, 2)))
case(_ad.einsum, ("a,ab,bc,cd,de,ef,fg,g->a", R(2), R(2, 3), R(3, 2), R(2, 2), R(2, 3),
                  R(3, 2), R(2, 2), R(2)))
# the interleaved form, np.einsum(A, [0, 1], B, [1, 2], [0, 2]), in the subscripts the
# compiler turns it into (transform._einsum_index_lists_as_subscripts)
case(np.einsum, (_ad.einsum_subscripts([[0, 1], [1, 2]], [0, 2]), R(3, 4), R(4, 2)))
case(np.einsum, (_ad.einsum_subscripts([[0, 1]], [1, 0]), R(3, 4)))
case(np.einsum, (_ad.einsum_subscripts([[0, 0]]), R(3, 3)))
case(np.einsum, (_ad.einsum_subscripts([[..., 30, 1], [..., 1, 0]], [..., 0, 30]),
                 R(2, 3, 4), R(2, 4, 5)))
case(np.einsum, (_ad.einsum_subscripts([[30, 0], [0, 2]]), R(3, 4), R(4, 2)))
case(np.linalg.inv, (WC(3),))
case(np.linalg.inv, (WC(3, 2),))
case(np.linalg.det, (WC(3),))
case(np.linalg.det, (WC(2, 3),))
case(np.linalg.slogdet, (WC(3),))
case(np.linalg.slogdet, (-WC(3, 2),))
case(np.linalg.solve, (WC(3), R(3)))
case(np.linalg.solve, (WC(3), R(3, 2)))
if np.lib.NumpyVersion(np.__version__) >= "2.0.0":   # batched b: NumPy 2's broadcasting
    case(np.linalg.solve, (WC(3, 2), R(2, 3, 4)))
    case(np.linalg.solve, (WC(3, 2), R(3, 1)))
# any perturbation, not only symmetric ones: NumPy reads one triangle
case(np.linalg.cholesky, (SPD(3),))
case(np.linalg.cholesky, (SPD(3, 2),))
if np.lib.NumpyVersion(np.__version__) >= "2.0.0":   # `upper` is new in NumPy 2
    case(np.linalg.cholesky, (SPD(3),), dict(upper=True))
case(np.linalg.cholesky, (SPD(3) + np.triu(R(3, 3), 1),))      # not symmetric: lower read


def _align_columns(out, ref):
    """Flip eigenvector/singular-vector signs of `out` to match `ref` (a tuple result)."""
    out = list(out)
    if len(out) == 2:  # eigh: (w, V)
        s = np.sign(np.sum(out[1] * ref[1], axis=-2, keepdims=True))
        out[1] = out[1] * s
    else:  # svd: (U, s, Vh)
        s = np.sign(np.sum(out[0] * ref[0], axis=-2, keepdims=True))
        out[0] = out[0] * s
        out[2] = out[2] * np.swapaxes(s, -1, -2)
    return tuple(out)


case(np.linalg.eigh, (SPD(4),), align=_align_columns)
case(np.linalg.eigh, (SPD(3, 2),), align=_align_columns)
case(np.linalg.eigh, (SPD(3) + np.tril(R(3, 3), -1),), dict(UPLO="U"), align=_align_columns)
case(np.linalg.svd, (R(4, 3),), dict(full_matrices=False), align=_align_columns)
case(np.linalg.svd, (R(3, 4),), dict(full_matrices=False), align=_align_columns)
case(np.linalg.svd, (R(3, 3),), align=_align_columns)
case(np.linalg.svd, (R(2, 4, 3),), dict(full_matrices=False), align=_align_columns)
case(np.linalg.svd, (R(4, 3),), dict(compute_uv=False))
# eig: complex results normalised as NumPy does (unit columns, largest entry real)
case(np.linalg.eig, (R(3, 3),))
case(np.linalg.eig, (C(3, 3),))
case(np.linalg.eig, (np.diag([1.0, 2.0, 3.0]) + 0.3 * R(3, 3),))
case(np.linalg.eig, (R(2, 3, 3),))
case(np.linalg.eigvals, (R(3, 3),))
case(np.linalg.eigvals, (C(2, 3, 3),))
case(np.linalg.lstsq, (R(5, 3), R(5)))
case(np.linalg.lstsq, (R(5, 3), R(5, 2)), dict(rcond=None))
case(np.linalg.lstsq, (R(2, 4), R(2)))
case(np.linalg.lstsq, (R(3, 3), R(3, 2)))
case(np.linalg.svdvals, (R(4, 3),))
case(np.linalg.svdvals, (R(2, 3, 4),))
case(np.linalg.matmul, (R(3, 4), R(4, 2)))
if hasattr(np.linalg, "vecdot"):      # NumPy 2
    case(np.linalg.vecdot, (R(2, 3), R(3)))
    case(np.linalg.vecdot, (C(3, 2), C(3, 1)), dict(axis=0))
    case(np.linalg.vecdot, (R(2, 1, 4), R(3, 4)))
    case(np.linalg.outer, (R(3), R(2)))
    case(np.linalg.cross, (R(2, 3), R(3)))
    case(np.linalg.cross, (R(3, 2), R(3, 2)), dict(axis=0))
    case(np.linalg.tensordot, (R(2, 3, 4), R(3, 4, 2)))
    case(np.linalg.tensordot, (R(3, 2), R(4, 3)), dict(axes=([0], [1])))
    case(np.linalg.matrix_transpose, (R(2, 3, 4),))
    case(np.linalg.diagonal, (R(2, 3, 4),))
    case(np.linalg.diagonal, (R(3, 3),), dict(offset=-1))
case(np.linalg.matmul, (R(2, 3, 4), R(4,)))
case(np.linalg.pinv, (R(4, 3),))
case(np.linalg.pinv, (R(2, 4),))
case(np.linalg.qr, (R(4, 3),))
case(np.linalg.qr, (R(3, 3),))
case(np.linalg.qr, (R(2, 4, 3),))
case(np.linalg.qr, (R(4, 3),), dict(mode="r"))
case(np.linalg.qr, (R(3, 3),), dict(mode="complete"))
case(np.linalg.qr, (R(3, 5),))
case(np.linalg.qr, (R(2, 3, 4),), dict(mode="complete"))
case(np.linalg.qr, (R(2, 4),), dict(mode="r"))
case(np.linalg.eigvalsh, (SPD(4) + np.triu(R(4, 4), 1),))
case(np.linalg.eigvalsh, (SPD(3, 2),), dict(UPLO="U"))
for _n in (0, 1, 3, -2):
    case(np.linalg.matrix_power, (WC(3), _n))
case(np.linalg.matrix_power, (WC(2, 2), 2))
if hasattr(np.linalg, "trace"):      # NumPy 2
    case(np.linalg.trace, (R(3, 3),))
    case(np.linalg.trace, (R(2, 3, 4),), dict(offset=-1))

# ---- numpy complex, Fourier, statistics ----

case(np.real, (C(3),))
case(np.fft.fftn, (R(3, 4),))
case(np.fft.fftn, (C(2, 3, 4),), dict(axes=(0, 2), norm="ortho"))
case(np.fft.ifftn, (C(3, 4),))
case(np.fft.fft2, (R(2, 3, 4),))
case(np.fft.ifft2, (C(3, 4),), dict(axes=(1, 0)))
case(np.fft.fftshift, (R(5),))
case(np.fft.fftshift, (R(3, 4),), dict(axes=1))
case(np.fft.ifftshift, (R(4, 3),))
case(np.real_if_close, (C(3),))
case(np.real_if_close, (R(2, 2),))
case(np.gradient, (R(5),))
case(np.gradient, (R(5), 0.5), dict(edge_order=2), wrt=(0,))
case(np.gradient, (R(3, 4),))
case(np.gradient, (R(3, 4), 2.0, np.array([0.0, 0.5, 1.5, 1.7])), wrt=(0,))
case(np.gradient, (R(3, 4, 5),), dict(axis=(2, 0), edge_order=2))
case(np.gradient, (R(4, 3), np.array([0.0, 1.0, 1.5, 3.0])), dict(axis=0), wrt=(0,))
case(np.gradient, (R(2, 3, 2, 3), 1, 2.0, 1, 0.5), wrt=(0,))
case(_ad.gradient, (R(3, 4), 2.0, None, None, None, None, None, None, None, 1), wrt=(0,))
case(_ad.gradient, (R(3, 4), np.float64(0.5), None, None, None, None, None, None, None, 1),
     wrt=(0,))                          # (every argument an array or None: the float32 test)
case(np.real, (R(3),))
case(np.imag, (C(3),))
case(np.conj, (C(2, 3),))
case(np.conj, (R(3),))
case(np.angle, (C(4),))
case(np.angle, (C(4),), dict(deg=True))
for _f in (np.fft.fft, np.fft.ifft):
    case(_f, (R(8),))
    case(_f, (C(7),))
    case(_f, (C(3, 6),), dict(axis=0))
    case(_f, (R(6),), dict(n=8))
    case(_f, (C(6),), dict(n=4, norm="ortho"))
case(np.fft.rfft, (R(8),))
case(np.fft.rfft, (R(7),), dict(norm="ortho"))
case(np.fft.rfft, (R(4, 6),), dict(axis=0, n=5))
case(np.fft.irfft, (C(5),))
case(np.fft.irfft, (C(5),), dict(n=9, norm="forward"))
case(np.fft.irfft, (C(3, 4),), dict(axis=0))
case(np.cov, (R(3, 6),))
case(np.cov, (R(6, 3),), dict(rowvar=False, ddof=0))
case(np.cov, (R(5),))
case(np.corrcoef, (R(3, 6),))
case(np.corrcoef, (R(6, 2),), dict(rowvar=False))
case(np.histogram, (R(20), 4, None, None, R(20)))
case(np.histogram, (R(20), [-1.0, 0.0, 0.5, 2.0], None, None, R(20)))
case(np.histogram, (D(12), 5))
case(np.histogram, (R(20), np.array([-1.0, 0.0, 0.5, 2.0])))
case(np.linspace, (R(), R(), 5))
case(np.linspace, (R(3), R(), 4), dict(endpoint=False, axis=1))
case(np.linspace, (R(2, 1), R(3), 3), dict(axis=-1))
case(np.interp, (np.array([-0.7, 0.3, 1.6, 2.9, 5.0]), np.array([0.0, 1.0, 2.5, 3.0]), R(4)))
case(np.interp, (np.array([-1.0, 0.5, 3.5]), np.array([0.0, 1.0, 3.0]), R(3)),
     dict(left=0.0, right=2.0))
case(np.interp, (np.array([-1.0, 0.5, 3.5, -0.2]), np.array([0.0, 1.0, 3.0]), R(3), R(), R()))
case(np.interp, (0.4, np.array([0.0, 1.0, 3.0]), R(3), R(), R()), dict(period=2.5),
     wrt=(3, 4))
case(np.interp, (np.array([-1.0, 0.5, 3.5]), np.array([0.0, 1.0, 3.0]), R(3),
                np.float64(0.3), np.float64(-0.2)), wrt=(3, 4))
for _mode in ("full", "same", "valid"):
    case(np.convolve, (R(5), R(3)), dict(mode=_mode))
    case(np.convolve, (R(3), R(6)), dict(mode=_mode))
    case(np.correlate, (R(5), R(3)), dict(mode=_mode))
    case(np.correlate, (R(3), R(6)), dict(mode=_mode))

# ---- runtime helpers ----


case(_ad.unbroadcast, (R(2, 3), R(3)))
case(_ad.spread, (R(3), [R(3), R(1)]), wrt=(0,))
case(_ad.copy_of, (R(3),))
case(_ad.rule_result, (R(3), R(3), "the VJP rule of f"), wrt=(0,))
case(_ad.rule_result, (R(), 1.0, "the JVP rule of f"), wrt=(0,))
case(_ad.unpacked_grad, ((R(), R()), R(2)), wrt=(0,))
case(_ad.unpacked_grad, ((R(3), R(3)), R(2, 3)), wrt=(0,))
case(_ad.sign, (G(3),))
case(_ad.sign, (C(3),))     # z / |z| turns with complex z
case(_ad.unbroadcast, (R(2, 3), R(2, 1)))
case(_ad.unbroadcast, (R(4, 2, 3), R(2, 1)))    # leading and stretched axes in one sum
case(_ad.unbroadcast, (R(2, 3), R()))
case(_ad.broadcast_like, (R(3), R(2, 3)))
case(_ad.add, (R(3), R(3)))
case(_ad.add, ((R(2), R()), (R(2), R())))
case(_ad.pow_slope, (P(3), R(3)))
case(_ad.pow_slope, (P(), R()))
case(_ad.pow_slope, (P(2, 3), 2.5, 2))
case(_ad.pow_slope, (P(2, 3), R(3)))
case(_ad.pow_slope, (P(3), R(2, 3)))
case(_ad.div, (R(3), G(3)))
case(_ad.div, (R(3), G(2, 3)))
case(_ad.div, (R(2, 3), G(3)))
case(_ad.div, (R(), G()))
case(_ad.add_at, (R(5), np.array([0, 2, 2]), R(3)))
case(_ad.add_at, (R(3, 2), 1, R(2)))
case(_ad.add_at, (R(4), slice(1, 3), R()))
case(_ad.item_of, (R(4), 2, R()))
case(_ad.sum_grad, (R(3), R(2, 3), 0))
case(_ad.sum_grad, (R(2, 1), R(2, 3), 1, True))
case(_ad.sum_grad, (R(), R(2, 3)))
case(_ad.scalar_like, (np.float64(R()), 1.0))


@dataclass
class _Pair:            # an object with two array fields (the runtime's attribute helpers)
    a: np.ndarray
    b: np.ndarray


_Named = collections.namedtuple("_Named", "a b")      # the same as a namedtuple
for _record in (_Pair(R(3), R(2)), _Named(R(3), R(2))):
    case(_ad.attribute, (_record, "b"))
    case(_ad.attribute_grad, (R(2), _record, "b"))
    case(_ad.record, (type(_record), ("b", "a"), (R(2), R(3))))
    case(_ad.record_fields, (_record, ("a",)))
    case(_ad.record_fields_grad, ((R(3),), _record, ("a",)))
case(_ad.attribute, (_Pair(R(3), R(2)), "a"))
case(_ad.attribute, (_Pair(R(3), R(2)), "b"))
case(_ad.attribute_grad, (R(3), _Pair(R(3), R(2)), "a"))
case(_ad.record, (_Pair, ("a", "b"), (R(3), R(2))))
case(_ad.record_fields, (_Pair(R(3), R(2)), ("b", "a")))
case(_ad.record_fields_grad, ((R(2), R(3)), _Pair(R(3), R(2)), ("b", "a")))
case(_ad.prod_others, (P(5),))
case(_ad.prod_others, (P(3, 4), 1))
case(_ad.prod_others, (P(2, 3, 4), (0, 2)))
for _a, _b in (((3, 4), (4, 2)), ((4,), (4, 2)), ((3, 4), (4,)), ((4,), (4,)), ((2, 3, 4), (4, 2)),
               ((2, 1, 3, 4), (5, 4, 2))):
    _g = np.matmul(R(*_a), R(*_b)) * 0 + R(*np.shape(np.matmul(np.ones(_a), np.ones(_b))))
    case(_ad.matmul_grad_a, (_g, R(*_a), R(*_b)))
    case(_ad.matmul_grad_b, (_g, R(*_a), R(*_b)))
# the sums over a loop's steps: stacked rows (matrices, vectors, a 1-D b, a batch of steps),
# and steps of different shapes, which are summed one at a time
for _as, _b in ((((3, 4), (2, 4)), (4, 2)), (((4,), (4,), (4,)), (4, 2)), (((3, 4), (3, 4)), (4,)),
                (((2, 3, 4),), (4, 2)), (((4,), (2, 4)), (4,)), (((3, 4),), (2, 4, 2))):
    _gs = [R(*np.shape(np.matmul(np.ones(_a), np.ones(_b)))) for _a in _as]
    case(_ad.matmul_grad_b_steps, (_gs, [R(*_a) for _a in _as], R(*_b)))
for _bs, _a in ((((4,), (4,)), (3, 4)), (((4, 2), (4, 2)), (3, 4)), (((2, 4, 2),), (3, 4)),
                (((4,), (4, 2)), (3, 4)), (((4,),), (4,))):
    _gs = [R(*np.shape(np.matmul(np.ones(_a), np.ones(_b)))) for _b in _bs]
    case(_ad.matmul_grad_a_steps, (_gs, R(*_a), [R(*_b) for _b in _bs]))
case(_ad.unbroadcast_steps, ([R(2, 3), R(2, 3)], R(3)))
case(_ad.unbroadcast_steps, ([R(2, 3), R(3)], R(3)))
case(_ad.unbroadcast_steps, ([R(), R()], R()))
for _a, _b in (((3, 4), (4, 2)), ((4,), (4,)), ((2, 3), (4, 3, 5)), ((), (3,)), ((3,), ())):
    _g = R(*np.shape(np.dot(np.ones(_a), np.ones(_b))))
    case(_ad.dot_grad_a, (_g, R(*_a), R(*_b)))
    case(_ad.dot_grad_b, (_g, R(*_a), R(*_b)))
for _a, _b in (((2, 3), (4, 3)), ((3,), (3,)), ((), (3,))):
    _g = R(*np.shape(np.inner(np.ones(_a), np.ones(_b))))
    case(_ad.inner_grad_a, (_g, R(*_a), R(*_b)))
    case(_ad.inner_grad_b, (_g, R(*_a), R(*_b)))
for _a, _b, _axes in (((2, 3, 4), (4, 2), ([0, 2], [1, 0])), ((2, 3, 4), (3, 4, 5), 2)):
    _g = R(*np.shape(np.tensordot(np.ones(_a), np.ones(_b), _axes)))
    case(_ad.tensordot_grad_a, (_g, R(*_a), R(*_b), _axes))
    case(_ad.tensordot_grad_b, (_g, R(*_a), R(*_b), _axes))
case(_ad.kron_grad_a, (R(6, 6), R(2, 3), R(3, 2)))
case(_ad.kron_grad_b, (R(6, 6), R(2, 3), R(3, 2)))
for _mode, _n in (("full", 7), ("same", 5), ("valid", 3)):
    case(_ad.convolve_grad_a, (R(_n), R(5), R(3), _mode))
    case(_ad.convolve_grad_b, (R(_n), R(5), R(3), _mode))
_x = D(3, 4)
case(_ad.max_grad, (R(4), np.max(_x, 0), _x, 0))
case(_ad.max_jvp, (R(3, 4), np.max(_x, 1, keepdims=True), _x, 1, True))
case(_ad.cumsum_grad, (R(12), R(3, 4)))
case(_ad.cumsum_grad, (R(3, 4), R(3, 4), 1))
case(_ad.diff_grad, (R(4), R(6), 2))
case(_ad.diagonal_grad, (R(3), R(3, 4)))
case(_ad.diagonal_grad, (R(2, 3), R(2, 3, 4), 1, 1, 2))
_parts = [R(2, 3), R(1, 3)]
case(_ad.stack_split, (R(3, 3), _parts))
case(_ad.stack_split, (R(2, 2, 3), [R(2, 3), R(2, 3)], "stack", 1))
case(_ad.stack_split, (R(3, 3), [R(3), R(2, 3)], "vstack"))
case(_ad.stack_join, ([R(2, 3), R(1, 3)],))
case(_ad.stack_join, ([R(3), R(2)], "hstack"))
case(_ad.stack_join, ([None, R(2)], "concatenate", 0, [R(3), R(2)]))
case(_ad.array_grad, (R(3), [1.0, 2.0, 3.0]))
case(_ad.array_grad, (R(2, 2), [R(2), R(2)]))
case(_ad.tile_grad, (R(4, 6), R(2, 3), (2, 2)))
case(_ad.repeat_grad, (R(6), R(3), 2))
case(_ad.repeat_grad, (R(2, 3), R(2, 2), [1, 2], 1))
case(_ad.pad_grad, (R(6, 7), R(3, 4), ((1, 2), (2, 1)), "reflect"))
case(_ad.pad_grad, (R(5), R(3), 1))
case(_ad.take_grad, (R(4), R(5), [0, 3, 3, -1]))
case(_ad.take_grad, (R(3, 2), R(3, 4), [1, 1], 1))
case(_ad.take_along_axis_grad, (R(3, 2), R(3, 4), np.array([[0, 0], [3, 1], [2, 2]]), 1))
case(_ad.take_along_axis_grad, (R(5), R(5), np.array([4, 0, 1, 1, 2]), None))
case(_ad.select_grad, (R(2, 3), [R(2, 3) > 0, R(3) > 0], [R(3), R(2, 3)]))
case(_ad.tuple_like, (np.linalg.eigh(SPD(2)), (R(2), R(2, 2))))
case(_ad.tuple_like, ((), (R(3), R())))
case(_ad.distinct_eigenvalues, (C(3),))
case(_ad.piecewise_place, (R(2, 3), np.array([[True, False, True], [False, True, False]]), R(3)))
case(_ad.piecewise_place, (np.array(0.5), np.array(True), R(1)))
case(_ad.piecewise_place, (R(4), np.array([True, False, True, False]), R(2)))
case(_ad.piecewise_place, (R(4), np.array([False, True, True, False]), R()))
case(_ad.gradient_grad, (R(5), R(5)))
case(_ad.gradient_grad, ((R(3, 4), R(3, 4)), R(3, 4), 2.0, np.array([0.0, 0.5, 1.5, 1.7])),
     wrt=(0,))
case(_ad.gradient_grad, ((R(3, 4, 5), R(3, 4, 5)), R(3, 4, 5), *[None] * 8, (2, 0), 2))
case(_ad.einsum_expand, (R(), "ii->", 0, R(3, 3)))
case(_ad.einsum_expand, (R(3), "ij->i", 0, R(3, 4)))
case(_ad.einsum_expand, (R(3, 4), "ij,jk->ik", 0, R(3, 4), R(4, 2)))
case(_ad.einsum_collapse, (R(3, 3), "ii->", 0, R(3, 3)))
case(_ad.einsum_collapse, (R(3, 4), "ij->i", 0, R(3, 4)))
case(_ad.einsum_expand, (R(3, 4), "ij,ij->i", 0, R(3, 1), R(3, 4)))
case(_ad.einsum_collapse, (R(3, 1), "ij,ij->i", 0, R(3, 1), R(3, 4)))
case(_ad.einsum_expand, (R(3, 2), "ab,bc,cd,de,ea->", 4, R(2, 3), R(3, 2), R(2, 2), R(2, 3),
                         R(3, 2)))
case(_ad.fit_axis, (C(6), R(4)))
case(_ad.fit_axis, (C(3, 2), C(3, 5), 1))
case(_ad.interp_fp_grad, (R(4), np.array([-0.5, 0.2, 1.7, 4.0]), np.array([0.0, 1.0, 3.0]), R(3)))
case(_ad.interp_fp_grad, (R(3), np.array([-0.5, 0.2, 4.0]), np.array([0.0, 1.0, 3.0]), R(3),
                          0.0, None))
_h = R(20)
case(_ad.histogram_weights_grad, (R(4), _h, np.histogram(_h, 4)[1], R(20)))
case(_ad.polygamma, (0, P(3)))
case(_ad.polygamma, (1, 2.5))
case(_ad.polygamma, (2, np.array([-1.5, 0.3, 11.0])))
for _n in (1, 2, 3):      # near 0 (the series), at 0 and beyond (Leibniz's rule)
    case(_ad.sinc_derivative, (_n, np.array([0.0, 0.2, -0.31, 0.5, -1.3, 2.7])))
case(_ad.sinc_derivative, (2, R()))

# ---- scipy ----

try:
    from scipy import special
    from scipy.linalg import solve_triangular
except ImportError:  # pragma: no cover
    special = None

if special is not None:
    load_optional_rules()     # SciPy's rules load once SciPy is imported
    case(special.logsumexp, (R(5),))
    case(special.logsumexp, (R(3, 4),), dict(axis=0))
    case(special.logsumexp, (R(2, 3, 4),), dict(axis=(0, 2), keepdims=True))
    # b by position (a, axis, b), so that it is differentiated too; b broadcasts against a
    case(special.logsumexp, (R(3, 4), 1, P(3, 4)))
    case(special.logsumexp, (R(3, 4), None, P(4)))
    case(special.logsumexp, (R(1, 4), 0, P(3, 4)), dict(keepdims=True))
    case(special.logsumexp, (R(2, 3, 4), (0, 2), P(3, 1)))
    # return_sign: rows of b of either sign give sums of either sign
    _signs = np.array([[1.0], [-1.0], [1.0]])
    case(special.logsumexp, (R(3, 4), 1, P(3, 4) * _signs), dict(return_sign=True))
    case(special.logsumexp, (R(3, 4), None, -P(3, 4)), dict(return_sign=True))
    case(special.logsumexp, (R(3, 4),), dict(axis=0, return_sign=True, keepdims=True))
    for _f, _dom in ((special.expit, R), (special.erf, R), (special.erfc, R),
                     (special.gammaln, P), (special.digamma, P), (special.gamma, P),
                     (special.ndtr, R)):
        case(_f, (_dom(4),))
        case(_f, (_dom(),))
    for _f, _dom in ((special.rgamma, P), (special.entr, P), (special.j0, R), (special.j1, R),
                     (special.y0, P), (special.y1, P), (special.i0, R), (special.i1, R),
                     (special.i0e, G), (special.i1e, G)):
        case(_f, (_dom(4),))
        case(_f, (_dom(),))
    case(special.rgamma, (np.array([-2.5, -0.5, 0.3, 4.2]),))    # rgamma is entire:
    case(special.rgamma, (np.array([0.0, -1.0, -2.0, 0.5, 2.0]),))  # finite at the poles of gamma
    case(special.erfcinv, (1.0 + U(4),))
    for _f, _dom in ((special.log_ndtr, R), (special.exp1, P), (special.expi, G),
                     (special.k0, P), (special.k1, P), (special.k0e, P), (special.k1e, P)):
        case(_f, (_dom(4),))
        case(_f, (_dom(),))
    case(special.log_ndtr, (np.array([-12.0, -3.0, 0.5, 6.0]),))    # far in both tails
    case(special.ndtri, (rng.uniform(0.05, 0.95, 4),))
    case(special.kv, (1.5, P(4)), wrt=(1,))
    case(special.kv, (np.array([0.0, 2.0]), P(3, 2)), wrt=(1,))
    case(special.kve, (0.5, P(4)), wrt=(1,))
    case(special.kn, (0, P(3)))       # through kn(-1, x) = kn(1, x)
    case(special.kn, (2, P(4)))
    case(special.rel_entr, (P(2, 3), P(3)))
    case(special.kl_div, (P(2, 3), P(3)))
    case(special.poch, (P(3), R(3)))
    # orders and the parameters a, b are refused (no rule): only x is checked
    case(special.jv, (1.5, P(4)), wrt=(1,))    # non-integer orders: x > 0
    case(special.jv, (np.array([0.5, 1.0, 2.5]), P(2, 3)), wrt=(1,))
    case(special.jv, (0, R(3)))
    case(special.yv, (1.5, P(4)), wrt=(1,))
    case(special.yn, (2, P(4)))
    case(special.yn, (0, P(3)))       # through yn(-1, x) = -y1(x)
    case(special.iv, (1.5, P(4)), wrt=(1,))
    case(special.iv, (np.array([0.0, 2.0]), R(3, 2)), wrt=(1,))
    case(special.ive, (0.5, P(4)), wrt=(1,))
    case(special.ive, (np.array([1.0, 3.0]), G(3, 2)), wrt=(1,))
    case(special.beta, (P(3), P(3)))
    case(special.beta, (P(2, 3), P()))
    case(special.betaln, (P(2, 3), P(3)))
    case(special.betainc, (P(3), P(3), rng.uniform(0.1, 0.9, 3)), wrt=(2,))
    case(special.betainc, (np.array([1.0, 2.5]), 3.0, rng.uniform(0.1, 0.9, (3, 2))), wrt=(2,))
    case(special.gammainc, (P(3), P(3)), wrt=(1,))
    case(special.gammainc, (1.0, P(2, 3)), wrt=(1,))
    case(special.gammaincc, (P(3), P(3)), wrt=(1,))
    case(special.zeta, (2.0 + P(3), P(3)), wrt=(1,))
    case(special.zeta, (3.0, P()), wrt=(1,))
    case(special.multigammaln, (2.0 + P(3), 3))
    case(special.multigammaln, (1.0 + P(), 2))
    case(special.xlog1py, (R(2, 3), P(3)))
    # each differentiated argument broadcast against the others (its cotangent is reduced),
    # and arrays of orders (all-array calls: the float32 test)
    _orders = np.array([[0.5], [1.5]])
    for _f in (special.jv, special.yv, special.iv, special.ive, special.kv, special.kve):
        case(_f, (_orders, P(3)), wrt=(1,))
    case(special.yv, (np.array([0.5, 1.5, 2.5]), P(3)), wrt=(1,))
    case(special.kve, (np.array([0.5, 1.0, 2.0]), P(3)), wrt=(1,))
    for _f in (special.kn, special.yn):
        case(_f, (np.array([[0], [2]]), P(3)), wrt=(1,))
    case(special.polygamma, (np.array([[1], [2]]), P(3)), wrt=(1,))
    for _f in (special.beta, special.betaln, special.poch):
        case(_f, (P(3), P(2, 3)))
    case(special.poch, (P(2, 3), R(3)))
    case(special.betainc, (P(2, 3), P(2, 3), rng.uniform(0.1, 0.9, 3)), wrt=(2,))
    case(special.gammainc, (P(2, 3), P(3)), wrt=(1,))
    case(special.gammaincc, (P(2, 3), P(3)), wrt=(1,))
    for _f in (special.kl_div, special.rel_entr):
        case(_f, (P(3), P(2, 3)))
    case(special.xlog1py, (R(3), P(2, 3)))
    case(special.zeta, (2.0 + P(2, 3), P(3)), wrt=(1,))
    case(special.logit, (rng.uniform(0.1, 0.9, 4),))
    case(special.erfinv, (U(4),))
    case(special.polygamma, (1, P(3)))
    case(special.xlogy, (R(2, 3), P(3)))
    case(special.xlogy, (R(3), P(2, 3)))
    case(special.softmax, (R(5),))
    case(special.softmax, (R(3, 4),), dict(axis=1))
    case(special.log_softmax, (R(5),))
    case(special.log_softmax, (R(3, 4),), dict(axis=0))
    for _f, _dom in ((special.erfcx, R), (special.dawsn, R), (special.loggamma, P),
                     (special.sici, G), (special.fresnel, R)):
        case(_f, (_dom(4),))
        case(_f, (_dom(),))
    case(special.spence, (P(4),))
    case(special.factorial, (P(4) + 1.0,))
    case(special.factorial, (P(),))
    case(special.comb, (P(4) + 4.0, P(4)))
    case(special.comb, (P(2, 3) + 4.0, P(3)))
    case(special.comb, (P(3) + 4.0, P(2, 3)), dict(repetition=True))
    case(special.spence, (np.array([0.5, 0.9995, 1.0, 1.0007, 2.5]),))   # the series near 1
    case(special.wofz, (R(4),))
    case(special.wofz, (C(3),))
    case(special.expn, (2, P(4)), wrt=(1,))
    case(special.expn, (np.array([[0], [1], [3]]), P(4)), wrt=(1,))
    case(special.owens_t, (R(4), R(4)))
    case(special.owens_t, (R(2, 3), R(3)))
    case(special.owens_t, (R(3), R(2, 3)))
    for _f in (special.boxcox, special.boxcox1p):
        case(_f, (P(4), R(4)))
        case(_f, (P(2, 3), R(3)))
        case(_f, (P(3), R(2, 3)))
        case(_f, (P(4), np.array([0.0, 2e-5, -3e-4, 0.7])))    # near l = 0: the series
    case(special.hyp1f1, (P(3), P(3) + 1.0, R(3)), wrt=(2,))
    case(special.hyp1f1, (1.5, 2.5, R(2, 3)), wrt=(2,))
    case(special.hyp1f1, (P(3), P(3) + 1.0, R(2, 3)), wrt=(2,))
    case(special.hyp1f1, (P(2, 3), P(2, 3) + 1.0, R(3)), wrt=(2,))
    _L = np.tril(WC(3))
    case(solve_triangular, (_L, R(3)), dict(lower=True))
    case(solve_triangular, (np.triu(WC(3)), R(3, 2)))
    case(solve_triangular, (_L, R(3, 2)), dict(lower=True, trans=1))
    case(solve_triangular, (np.triu(WC(3)), R(3)), dict(unit_diagonal=True))

# ---- scipy.stats ----

try:
    from scipy import stats
except ImportError:  # pragma: no cover
    stats = None

if stats is not None:
    load_optional_rules()     # the scipy.stats rules load once scipy.stats is imported
    _Q = rng.uniform(0.1, 0.9, 4)      # probabilities, for ppf

    def _stats_cases(dist, shapes, x, methods=("pdf", "logpdf", "cdf", "logcdf", "sf",
                                               "logsf", "ppf", "isf"), wide=0.0):
        """Cases of a location-scale distribution: x and its (shapes, loc, scale) by
        position, then broadcast with loc and scale by keyword (scale `wide` more, to keep
        x inside a bounded support)."""
        for method in methods:
            fn = getattr(dist, method)
            point = _Q if method in ("ppf", "isf") else x
            case(fn, (point, *shapes, 0.3, 1.4))
            case(fn, (point, *shapes), dict(loc=0.3 * U(), scale=wide + P(3, 1)))

    _stats_cases(stats.norm, (), R(4))
    _stats_cases(stats.logistic, (), R(4))
    _stats_cases(stats.cauchy, (), R(4))
    _stats_cases(stats.laplace, (), 0.3 + G(4))
    _stats_cases(stats.expon, (), 1.0 + P(4))
    _stats_cases(stats.uniform, (), rng.uniform(0.4, 1.6, 4), wide=1.5)
    _stats_cases(stats.t, (P(4) + 2.0,), R(4))
    _stats_cases(stats.gamma, (P() + 1.0,), 1.0 + P(4))
    _stats_cases(stats.beta, (P() + 1.0, P(4) + 1.0), 0.3 + rng.uniform(0.2, 1.2, 4), wide=1.5)
    _stats_cases(stats.chi2, (P(4) + 2.0,), 1.0 + P(4))
    _stats_cases(stats.vonmises, (P(4),), R(4), methods=("pdf", "logpdf"))
    _stats_cases(stats.gumbel_r, (), R(4))
    _stats_cases(stats.gumbel_l, (), R(4))
    _stats_cases(stats.pareto, (P(4) + 1.0,), 2.0 + P(4))
    _stats_cases(stats.wrapcauchy, (rng.uniform(0.2, 0.8, 4),), rng.uniform(0.5, 1.5, 4),
                 methods=("pdf", "logpdf"))
    _stats_cases(stats.gennorm, (P(4) + 1.0,), G(4))
    _stats_cases(stats.truncnorm, (-1.2, U(4) + 1.8), U(4) + 0.3, wide=1.5)
    _stats_cases(stats.truncnorm, (U(4) - 1.5, 1.3), U(4) + 0.3, methods=("ppf", "isf"))
    # moments and entropy in loc and scale, each broadcast against the other
    for _dist, _shapes in ((stats.norm, ()), (stats.expon, ()), (stats.laplace, ()),
                           (stats.logistic, ()), (stats.cauchy, ()), (stats.uniform, ()),
                           (stats.gumbel_r, ()), (stats.gumbel_l, ()), (stats.t, (5.0,)),
                           (stats.gamma, (2.5,)), (stats.beta, (2.0, 3.0)),
                           (stats.chi2, (3.0,)), (stats.pareto, (4.5,)),
                           (stats.gennorm, (1.5,))):
        for _method in ("mean", "median", "std", "var", "entropy"):
            if _dist is stats.cauchy and _method in ("mean", "std", "var"):
                continue      # nan
            _fn = getattr(_dist, _method)
            case(_fn, (*_shapes, 0.3, 1.4))
            case(_fn, _shapes, dict(loc=0.3 * U(), scale=P(3)))
            case(_fn, (*_shapes, U(3), 1.3))
            case(_fn, (*_shapes, 0.3, P(3)))
    _K = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 6.0])
    for _method in ("logpmf", "pmf", "cdf", "sf"):
        case(getattr(stats.poisson, _method), (_K, P(6) + 0.5))
        case(getattr(stats.poisson, _method), (_K + 1.0, P() + 0.5), dict(loc=1))
        case(getattr(stats.binom, _method), (_K, 7, rng.uniform(0.2, 0.8, 6)))
        case(getattr(stats.nbinom, _method), (_K, P(6) + 1.0, rng.uniform(0.2, 0.8, 6)))
        case(getattr(stats.geom, _method), (_K + 1.0, rng.uniform(0.2, 0.8, 6)))
        case(getattr(stats.bernoulli, _method), (np.array([0.0, 1.0, 1.0, 0.0]),
                                                 rng.uniform(0.2, 0.8, 4)))
        case(getattr(stats.bernoulli, _method), (np.array([[0.0], [1.0]]),
                                                 rng.uniform(0.2, 0.8, 3)))
        if _method in ("logpmf", "pmf"):
            case(getattr(stats.betabinom, _method), (_K, 7, P(6) + 0.5, P(6) + 0.5))
            case(getattr(stats.betabinom, _method), (_K.reshape(2, 3), 7, P(3) + 0.5, P(3) + 0.5))
        # a parameter broadcast against the counts (its cotangent is summed)
        _K2 = _K.reshape(2, 3)
        case(getattr(stats.poisson, _method), (_K2, P(3) + 0.5))
        case(getattr(stats.binom, _method), (_K2, 7, rng.uniform(0.2, 0.8, 3)))
        case(getattr(stats.nbinom, _method), (_K2, P(3) + 1.0, rng.uniform(0.2, 0.8, 3)))
        case(getattr(stats.geom, _method), (_K2 + 1.0, rng.uniform(0.2, 0.8, 3)))
    _ALPHA = P(3) + 0.5
    _SIMPLEX = rng.dirichlet(np.ones(3), 4).T * 0.9       # 3 components of 4 samples, < 1
    for _method in (stats.dirichlet.logpdf, stats.dirichlet.pdf):
        case(_method, (_SIMPLEX[:2], _ALPHA))      # K - 1 components, the last 1 - their sum
        case(_method, (_SIMPLEX[:2, 0], _ALPHA))
        case(_method, (_SIMPLEX / np.sum(_SIMPLEX, axis=0), _ALPHA), wrt=(1,))
    # cov reads its lower triangle (as SciPy's does): perturbed anyhow, it is checked as such
    for _method in (stats.multivariate_normal.logpdf, stats.multivariate_normal.pdf):
        case(_method, (R(3), R(3), SPD(3)))
        case(_method, (R(4, 3), R(3), SPD(3)))
        case(_method, (R(2, 4, 3), R(3), P(3)))
        case(_method, (R(5, 2), R(2), SPD(2)), dict(allow_singular=True), wrt=(0, 1))
        case(_method, (R(4, 2),), dict(mean=R(2), cov=P()))
    case(stats.multivariate_normal.entropy, (R(3), SPD(3)))
    case(stats.multivariate_normal.entropy, (R(4), P(4)))
    case(stats.multivariate_normal.entropy, (None, 1.7))


    # stacks: of a with one vector b, of both, of b alone (SciPy broadcasts the leading axes)
    case(solve_triangular, (np.tril(WC(3, 2)), R(3)), dict(lower=True))
    case(solve_triangular, (np.triu(WC(3, 2)), R(2, 3, 2)), dict(trans=1))
    case(solve_triangular, (_L, R(2, 3, 2)), dict(lower=True, unit_diagonal=True))

# ---- scipy.linalg: matrix functions, factorisations, solvers ----

try:
    import scipy.linalg as sla
except ImportError:  # pragma: no cover
    sla = None

if sla is not None:
    load_optional_rules()     # scipy_linalg_rules load once scipy.linalg is imported
    case(sla.expm, (0.5 * R(3, 3),))
    case(sla.expm, (0.5 * R(2, 3, 3),))
    case(sla.expm, (0.5 * C(3, 3),))
    case(sla.sqrtm, (SPD(3),))
    case(sla.sqrtm, (SPD(2, 2),))
    case(sla.sqrtm, (np.array([[-1.0, 0.3], [0.2, 2.0]]),))      # a complex root
    case(sla.solve_sylvester, (WC(3), WC(2), R(3, 2)))
    case(sla.solve_sylvester, (WC(3, 2), WC(2), R(2, 3, 2)))
    case(sla.solve_sylvester, (WC(3) + 0.5j * R(3, 3), WC(2), C(3, 2)))
    case(sla.sqrtm, (SPD(3) + 0.5j * R(3, 3),))
    # cho_factor keeps a's values in the triangle it does not write: both are checked
    case(sla.cho_factor, (SPD(3),))
    case(sla.cho_factor, (SPD(3),), dict(lower=True))
    case(sla.cho_factor, (SPD(3, 2),))
    # the factor tuples hold a flag or pivots, which are not perturbed: wrt is stated
    case(sla.cho_solve, (sla.cho_factor(SPD(3)), R(3)), wrt=(0, 1))
    case(sla.cho_solve, (sla.cho_factor(SPD(3), lower=True), R(3, 2)), wrt=(0, 1))
    case(sla.lu_factor, (WC(4),))
    case(sla.lu_factor, (WC(3, 2),))
    case(sla.lu_solve, (sla.lu_factor(WC(4)), R(4)), wrt=(0, 1))
    case(sla.lu_solve, (sla.lu_factor(WC(4)), R(4, 2)), dict(trans=1), wrt=(0, 1))
    case(sla.lu_solve, (sla.lu_factor(WC(4)), R(4)), dict(trans=2), wrt=(0, 1))
    _C = WC(3) + 1j * R(3, 3)      # A^-H b: its cotangent in b is conj(A)^-1 g
    case(sla.lu_solve, (sla.lu_factor(_C), C(3)), dict(trans=2), wrt=(1,))
    case(sla.lu_solve, (sla.lu_factor(_C), C(3)), dict(trans=1), wrt=(0, 1))
    _ab = R(4, 5)            # l = 1, u = 2, a dominant main diagonal; zero unused corners
    _ab[2] += 4.0
    _ab[0, :2] = _ab[3, -1:] = 0.0
    case(sla.solve_banded, ((1, 2), _ab, R(5)))
    case(sla.solve_banded, ((1, 2), _ab, R(5, 2)))
    case(sla.solve_banded, ((0, 1), _ab[1:3], R(5)))
    case(_ad.banded_dense, ((1, 2), R(4, 5)))
    case(_ad.dense_banded, ((2, 1), R(5, 5)))
    # the dense functions, which compute np.linalg's: SciPy's defaults (cholesky's upper
    # factor, solve's upper triangle under assume_a), stored triangles with other values in
    # the triangle not read, stacks, and the keyword forms
    _S = SPD(3) + np.tril(R(3, 3), -1)       # SciPy reads the upper triangle by default
    case(sla.cholesky, (_S,))
    case(sla.cholesky, (SPD(3) + np.triu(R(3, 3), 1), True))
    case(sla.cholesky, (SPD(3, 2),), dict(lower=True))
    case(sla.det, (WC(3),))
    case(sla.det, (WC(2, 3),))
    case(sla.inv, (WC(3),))
    case(sla.inv, (WC(3, 2),))
    case(sla.inv, (_S,), dict(assume_a="pos"))
    case(sla.solve, (WC(3), R(3)))
    case(sla.solve, (WC(3), R(3, 2)), dict(transposed=True))
    case(sla.solve, (_S, R(3, 2)), dict(assume_a="pos"))
    case(sla.solve, (SPD(3) + np.triu(R(3, 3), 1), R(3)), dict(assume_a="sym", lower=True))
    case(sla.solve, (WC(3, 2), R(2, 3, 4)))
    case(sla.svd, (R(4, 3),), dict(full_matrices=False), align=_align_columns)
    case(sla.svd, (R(3, 3),), align=_align_columns)
    case(sla.svd, (R(2, 3, 4),), dict(full_matrices=False), align=_align_columns)
    case(sla.svd, (R(4, 3),), dict(compute_uv=False))
    case(sla.svdvals, (R(4, 3),))
    case(sla.svdvals, (R(2, 3, 4),))
    case(sla.qr, (R(3, 3),))
    case(sla.qr, (R(3, 5),))
    case(sla.qr, (R(4, 3),), dict(mode="economic"))
    case(sla.qr, (R(2, 4, 3),), dict(mode="economic"))
    case(sla.qr, (R(4, 3),), dict(mode="r"))
    # (driver="evd": the default driver flips an eigenvector's sign between close matrices,
    # which the second-order test's differences of the VJP rule cannot follow)
    case(sla.eigh, (SPD(4) + np.triu(R(4, 4), 1),), dict(driver="evd"), align=_align_columns)
    case(sla.eigh, (SPD(3, 2),), dict(driver="evd"), align=_align_columns)
    case(sla.eigh, (_S,), dict(lower=False, driver="evd"), align=_align_columns)
    case(sla.eigh, (_S,), dict(lower=False, eigvals_only=True))
    case(sla.eigvalsh, (SPD(3) + np.triu(R(3, 3), 1),))
    case(sla.eigvalsh, (SPD(3, 2),), dict(lower=False))
    # matrices made of vectors: r's first entry is not read; stacks of vectors; complex c
    # without r (r = conj(c))
    case(sla.toeplitz, (R(4), R(3)))
    case(sla.toeplitz, (R(3),))
    case(sla.toeplitz, (R(2, 3), R(2, 4)))
    case(sla.toeplitz, (C(3),))
    case(sla.circulant, (R(4),))
    case(sla.circulant, (R(2, 3),))
    case(sla.hankel, (R(4), R(3)))
    case(sla.hankel, (R(3),))
    case(sla.hankel, (R(3), R(2, 4)[0]))


# ---- issue 20: NumPy callables JAX differentiates (last, so that the cases above keep their
# random inputs) ----

# ---- numpy grids, tuples of arrays, deleting and inserting ----

case(np.meshgrid, (R(3), R(4)))
case(np.meshgrid, (R(3), R(2, 2), R(2)), dict(indexing="ij"))
case(np.meshgrid, (R(2), R(3), R(2), R(2)), dict(sparse=True))
case(np.meshgrid, (R(4),))
case(np.broadcast_arrays, (R(3), R(2, 1), R()))
case(np.broadcast_arrays, (R(2, 3), R(3), R(1, 3), R(2, 1)))
if hasattr(np, "unstack"):
    case(np.unstack, (R(3, 2),))
    case(np.unstack, (R(2, 3, 2),), dict(axis=1))
case(np.block, ([[R(2, 2), R(2, 3)], [R(5)]],))
case(np.block, ([R(3), R(2)],))
case(np.block, ([[[R(1, 2, 2), R(2, 1)]], [[R(2, 2, 3)]]],))
case(_ad.block_split, (R(3, 5), [[R(2, 2), R(2, 3)], [R(5)]]))
case(_ad.block_join, ([[R(2, 2), R(2, 3)], [R(5)]], [[R(2, 2), R(2, 3)], [R(5)]]))
case(np.delete, (R(5), 1))
case(np.delete, (R(3, 4), [0, 2], 1))
case(np.delete, (R(3, 4), slice(1, None, 2)))
case(np.insert, (R(5), 2, R()))
case(np.insert, (R(3, 4), [1, 3], R(2)))
case(np.insert, (R(3, 4), 1, R(3), 1))
case(np.insert, (R(3, 4), [0, 2], R(2, 1)), dict(axis=0))
case(np.insert, (R(2, 3), 1, R(2)), dict(axis=1))

case(np.ldexp, (R(3), np.array([1, -2, 3])))
case(np.ldexp, (R(2, 3), np.array([0, 2, -1])))
case(np.ldexp, (R(), np.array([1, 2])))
case(np.modf, (R(4),))
case(np.modf, (G(2, 3),))
case(np.frexp, (G(4),))
case(np.frexp, (R(2, 3),))
if hasattr(np, "cumulative_sum"):
    case(np.cumulative_sum, (R(4),))
    case(np.cumulative_sum, (R(3, 4),), dict(axis=1, include_initial=True))
    case(np.cumulative_prod, (P(4),))
    case(np.cumulative_prod, (P(3, 4),), dict(axis=0, include_initial=True))
case(np.nancumsum, (np.array([0.3, np.nan, -1.2, 0.7]),))
case(np.nancumsum, (R(3, 4),), dict(axis=1))
case(np.nancumprod, (np.array([0.8, np.nan, 1.3, -0.7]),))
case(np.nancumprod, (P(3, 4),), dict(axis=0))
if hasattr(np, "matvec"):
    case(np.vecdot, (R(3), R(3)))
    case(np.vecdot, (R(2, 3), R(3)), dict(axis=-1))
    case(np.vecdot, (C(2, 3), C(2, 3)))
    case(np.matvec, (R(3, 4), R(4)))
    case(np.matvec, (R(2, 3, 4), R(4)))
    case(np.matvec, (R(3, 4), R(2, 4)))
    case(np.matvec, (C(3, 4), C(4)))
    case(np.vecmat, (R(3), R(3, 4)))
    case(np.vecmat, (R(2, 3), R(3, 4)))
    case(np.vecmat, (R(3), R(2, 3, 4)))
    case(np.vecmat, (C(3), C(3, 2)))

case(np.polyder, (R(5),))
case(np.polyder, (R(5), 2))
case(np.polyint, (R(4),))
case(np.polyint, (R(3), 2))
case(np.polyadd, (R(4), R(2)))
case(np.polyadd, (R(2), R(3)))
case(np.polysub, (R(3), R(5)))
case(np.polysub, (R(4), R(4)))
case(np.polymul, (R(3), R(4)))
case(np.polymul, (R(4), R(2)))
case(np.polyfit, (D(6), R(6), 2))
case(np.polyfit, (D(5), R(5, 2), 3))
case(np.roots, (np.array([1.0, -0.5, -2.3, 0.9]),))
case(np.roots, (np.array([2.0, 0.3, 1.1]),))
case(np.vander, (R(4),))
case(np.vander, (R(3), 5))
case(np.vander, (R(4), 3, True))
case(np.sort_complex, (D(5),))
case(np.sort_complex, (D(4) + 1j * R(4),))

if hasattr(np.linalg, "vector_norm"):
    case(np.linalg.vector_norm, (R(5),))
    case(np.linalg.vector_norm, (R(3, 4),), dict(ord=1))
    case(np.linalg.vector_norm, (G(3, 4),), dict(axis=1, ord=3, keepdims=True))
    case(np.linalg.vector_norm, (D(2, 3, 4),), dict(axis=(0, 2), ord=np.inf))
    case(np.linalg.vector_norm, (D(3, 4),), dict(ord=-np.inf, keepdims=True))
    case(np.linalg.vector_norm, (G(5),), dict(ord=0))
    case(np.linalg.vector_norm, (G(4),), dict(ord=-1.5))
    case(np.linalg.vector_norm, (C(2, 3),), dict(axis=0))
    case(np.linalg.vector_norm, (C(4),), dict(ord=3))
case(np.linalg.cond, (WC(3),))
case(np.linalg.cond, (R(4, 3),), dict(p=2))
case(np.linalg.cond, (WC(3, 2),), dict(p=-2))
case(np.linalg.cond, (WC(2),), dict(p=None))
case(np.fft.fftfreq, (6, P()))
case(np.fft.fftfreq, (5, np.float64(P())))
case(np.fft.rfftfreq, (7, P()))
case(np.fft.rfftfreq, (6, np.float64(P())))
case(np.fft.hfft, (C(4),))
case(np.fft.hfft, (C(3, 5),), dict(axis=0, norm="ortho"))
case(np.fft.hfft, (C(4),), dict(n=7))
case(np.fft.ihfft, (R(6),))
case(np.fft.ihfft, (R(5, 3),), dict(axis=0, norm="forward"))
case(np.fft.rfftn, (R(3, 4),))
case(np.fft.rfftn, (R(2, 3, 5),), dict(axes=(0, 2), norm="ortho"))
case(np.fft.rfft2, (R(2, 4, 5),))
case(np.fft.irfftn, (C(3, 4),))
case(np.fft.irfftn, (C(2, 3, 4),), dict(axes=(2, 0), norm="forward"))
case(np.fft.irfft2, (C(2, 3, 5),))
case(_ad.along_axes, (R(3, 4), (R(4, 4),), (1,)))
case(_ad.one_item, ((R(2), R(3)), 1, R(3)))
case(_ad.multi_dot_three, (R(3, 4), R(4, 2), R(2, 5)))
case(_ad.multi_dot_three, (R(3), R(3, 4), R(4)))
case(_ad.multi_dot_three, (R(3), R(3, 4), R(4, 2)))
case(_ad.multi_dot_three, (R(2, 3), R(3, 4), R(4)))
case(_ad.along_axes, (R(2, 3, 4), (R(2, 2), R(4, 4)), (0, 2), True))

# ---- scipy.fft, scipy.signal, scipy.integrate.trapezoid ----

try:
    import scipy.fft as sfft
    import scipy.integrate as sint
    import scipy.signal as ssig
except ImportError:     # (the test extra installs SciPy)
    sfft = None
if sfft is not None:
    load_optional_rules()     # their rules load once they are imported
    case(sfft.dct, (R(5),))
    case(sfft.dct, (R(3, 4),), dict(type=3, axis=0, norm="ortho"))
    case(sfft.dct, (R(4, 3),), dict(type=1))
    case(sfft.idct, (R(6),), dict(type=4))
    case(sfft.idct, (R(2, 5),), dict(norm="forward"))
    case(sfft.dctn, (R(3, 4),))
    case(sfft.dctn, (R(2, 3, 4),), dict(axes=(0, 2), norm="ortho", type=2))
    case(sfft.idctn, (R(3, 4),), dict(type=3))
    case(ssig.convolve, (R(5), R(3)))
    case(ssig.convolve, (R(4, 5), R(2, 3)), dict(mode="same"))
    case(ssig.convolve, (R(3, 4), R(4, 6)), dict(mode="valid"))
    case(ssig.convolve, (C(4), C(3)), dict(mode="same"))
    case(ssig.fftconvolve, (R(6), R(4)), dict(mode="valid"))
    case(ssig.fftconvolve, (R(3, 4), R(2, 2)), dict(mode="same"))
    case(ssig.correlate, (R(5), R(3)))
    case(ssig.correlate, (R(4, 5), R(2, 2)), dict(mode="same"))
    case(ssig.correlate, (C(5), C(2)), dict(mode="valid"))
    case(ssig.convolve2d, (R(4, 5), R(2, 3)))
    case(ssig.convolve2d, (R(4, 5), R(3, 2)), dict(mode="same"))
    case(ssig.convolve2d, (R(2, 3), R(4, 5)), dict(mode="valid"))
    case(ssig.correlate2d, (R(4, 5), R(2, 3)))
    case(ssig.correlate2d, (R(3, 5), R(2, 2)), dict(mode="same"))
    case(ssig.correlate2d, (C(5, 4), C(2, 3)), dict(mode="valid"))
    case(sint.trapezoid, (R(5),))
    case(sint.trapezoid, (R(3, 4), R(4)))
    case(sint.trapezoid, (R(3, 4), None, P(), 0))
    case(sint.trapezoid, (R(3, 4), None, np.float64(P()), 0))

# ---- running maxima and minima (ufunc.accumulate; cases last: the shared random stream of the
# cases above stays as it was) ----
for _running in (np.maximum.accumulate, np.minimum.accumulate, np.fmax.accumulate,
                 np.fmin.accumulate):
    case(_running, (D(6),))
    case(_running, (D(3, 4),), dict(axis=1))
    case(_running, (D(3, 4), 0))

# ---- the helpers of rewritten statements (rules/statement_rules.py) ----
# (lists of arrays: the rule tests draw no cotangents of dicts or mixed items; the dict form is
# in the corpus, program del_items)
case(_ad.without_item, ([R(2), R(2), R(3)], 1), wrt=(0,))
case(_ad.without_item_grad, ([R(2), R(3)], [R(2), R(2), R(3)], 1), wrt=(0,))
case(_ad.generated_items, ([R(2), R()],))
case(_ad.generated_tuple, ([R(2), R()],))
case(_ad.tuple_items, ((R(2), R()),))


# Assigned attributes (frontend/object_writes.py), last: the random draws of the cases above
# stay as they were.
case(_ad.with_field, (_Pair(R(3), R(2)), "b", R(2)))      # `obj.b = v` (object_writes.py)
case(_ad.with_field, (_Pair(R(3), R(2)), "a", R(3)))
case(_ad.field_cleared, (_Pair(R(3), R(2)), _Pair(R(3), R(2)), "a"))
case(_ad.updated_field, (R(), "a"))
case(_ad.tangent_field, (_Pair(R(3), R(2)), _Pair(R(3), R(2)), "b"))
