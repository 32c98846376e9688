"""Rules for Python's operators (the `operator` module) and the numeric builtins.

The compiler turns `a + b` into `operator.add(a, b)`, `-a` into `operator.neg(a)` and so on, so
these rules cover the arithmetic written with operators.  The arithmetic rules are registered with
`broadcasts=True`: a VJP returns the cotangent in the result's shape and the compiler sums it back
to the argument's shape (and, unstated, the result's kind and shape are its operands' broadcast).
`cheap=True`: on numbers, reverse mode computes the result again rather than saving it.

Complex numbers follow the JAX convention described in `s2s_ad.rules` (no conjugation for
holomorphic operations), so the rules below are the textbook real formulas.

Contents:
    arithmetic        add sub mul truediv mod pow neg pos matmul
    builtins          abs pow float max min
    non-differentiable  comparisons, logical and bitwise operators, floordiv, round, int, len ...
"""
import builtins
import operator

import numpy as np

from s2s_ad import runtime as _ad
from s2s_ad.rules import shape_facts as shapes
from s2s_ad.rules.batched_rules import MATRIX_PRODUCT
from s2s_ad.rules.registry import deffacts, defjvp, defvjp, nondifferentiable

# ---- arithmetic ----

defvjp(operator.add,
       lambda g, ans, a, b: g,
       lambda g, ans, a, b: g, broadcasts=True)
defjvp(operator.add,
       lambda t, ans, a, b: t,
       lambda t, ans, a, b: t, broadcasts=True)
deffacts(operator.add, cheap=True, real=True, shift="sum")

defvjp(operator.sub,
       lambda g, ans, a, b: g,
       lambda g, ans, a, b: -g, broadcasts=True)
defjvp(operator.sub,
       lambda t, ans, a, b: t,
       lambda t, ans, a, b: -t, broadcasts=True)
deffacts(operator.sub, cheap=True, real=True, shift="difference")

# g * a, not a * g, for b: `x * x` then gets the terms g * x + g * x, which fold to 2 * (g * x)
defvjp(operator.mul,
       lambda g, ans, a, b: g * b,
       lambda g, ans, a, b: g * a, broadcasts=True)
defjvp(operator.mul,
       lambda t, ans, a, b: t * b,
       lambda t, ans, a, b: t * a, broadcasts=True)
deffacts(operator.mul, cheap=True, real=True, shift="product")

defvjp(operator.truediv,
       lambda g, ans, a, b: g / b,
       lambda g, ans, a, b: -g * ans / b, broadcasts=True)
defjvp(operator.truediv,
       lambda t, ans, a, b: t / b,
       lambda t, ans, a, b: -t * ans / b, broadcasts=True)
deffacts(operator.truediv, cheap=True, real=True, shift="quotient")

# a % b == a - b * (a // b); a // b is piecewise constant.
defvjp(operator.mod,
       lambda g, ans, a, b: g,
       lambda g, ans, a, b: -g * (a // b), broadcasts=True)
defjvp(operator.mod,
       lambda t, ans, a, b: t,
       lambda t, ans, a, b: -t * (a // b), broadcasts=True)
deffacts(operator.mod, real=True)

# d(a**b)/da = b * a**(b - 1) (_ad.pow_slope: 0 for b == 0, inf at a == 0 for b < 1, where
# Python's floats raise; the optimizer writes it out for a constant b >= 1: `2 * x`);
# d(a**b)/db = a**b log(a); at a == 0 it is taken as 0 (the limit for b > 0).
defvjp(operator.pow,
       lambda g, ans, a, b: g * _ad.pow_slope(a, b),
       lambda g, ans, a, b: g * ans * np.log(np.where(a == 0, 1.0, a)), broadcasts=True)
defjvp(operator.pow,
       lambda t, ans, a, b: t * _ad.pow_slope(a, b),
       lambda t, ans, a, b: t * ans * np.log(np.where(a == 0, 1.0, a)), broadcasts=True)

defvjp(operator.neg, lambda g, ans, a: -g)
defjvp(operator.neg, lambda t, ans, a: -t)
deffacts(operator.neg, kind="first", shape=shapes.like(0), cheap=True, real=True,
         shift="negation")
defvjp(operator.pos, lambda g, ans, a: g)
defjvp(operator.pos, lambda t, ans, a: t)
deffacts(operator.pos, kind="first", shape=shapes.like(0), real=True)

defvjp(operator.matmul,
       lambda g, ans, a, b: _ad.matmul_grad_a(g, a, b),
       lambda g, ans, a, b: _ad.matmul_grad_b(g, a, b))
defjvp(operator.matmul,
       lambda t, ans, a, b: t @ b,
       lambda t, ans, a, b: a @ t)
deffacts(operator.matmul, shape=shapes.matrix_product, batched=MATRIX_PRODUCT, real=True)

# ---- builtins ----

# abs: sign(x) for reals; conj(z)/|z| for complex z (numpy's sign(z) is z/|z|).
defvjp(builtins.abs, lambda g, ans, x: g * np.conj(_ad.sign(x)))
defjvp(builtins.abs, lambda t, ans, x: np.real(np.conj(_ad.sign(x)) * t))
deffacts(builtins.abs, kind="combine", shape=shapes.like(0), real=True)

defvjp(builtins.pow,
       lambda g, ans, base, exp, mod=None: g * _ad.pow_slope(base, exp),
       lambda g, ans, base, exp, mod=None: g * ans * np.log(np.where(base == 0, 1.0, base)),
       broadcasts=True)
defjvp(builtins.pow,
       lambda t, ans, base, exp, mod=None: t * _ad.pow_slope(base, exp),
       lambda t, ans, base, exp, mod=None: t * ans * np.log(np.where(base == 0, 1.0, base)),
       broadcasts=True)

defvjp(builtins.float, lambda g, ans, x=0.0: g)
defjvp(builtins.float, lambda t, ans, x=0.0: _ad.scalar_like(t, ans))
deffacts(builtins.float, kind="scalar", real=True)

# max(a, b) / min(a, b) of two numbers; a tie splits the derivative equally.
# sum(xs, start): each item gets the cotangent, reduced to its own shape
defvjp(builtins.sum, lambda g, ans, iterable, start=0: _ad.spread(g, iterable),
       lambda g, ans, iterable, start=0: _ad.unbroadcast(g, start))
defjvp(builtins.sum, lambda t, ans, iterable, start=0: _ad.broadcast_like(sum(t), ans),
       lambda t, ans, iterable, start=0: _ad.broadcast_like(t, ans))

# builtins max and min of two numbers share np.maximum's and np.minimum's rules
# (numpy_ufunc_rules.py), ties split equally.

# ---- non-differentiable ----

nondifferentiable(
    operator.lt, operator.le, operator.eq, operator.ne, operator.ge, operator.gt,
    operator.not_, operator.truth, operator.is_, operator.is_not, operator.contains,
    operator.and_, operator.or_, operator.xor, operator.invert, operator.lshift,
    operator.rshift, operator.floordiv, operator.index,
    builtins.round, builtins.int, builtins.bool, builtins.len, builtins.range,
    builtins.isinstance, builtins.issubclass, builtins.type, builtins.hasattr, builtins.callable,
    builtins.id, builtins.hash, builtins.str, builtins.repr, builtins.print,
)
deffacts(builtins.len, builtins.int, builtins.bool, builtins.round, kind="scalar", real=True)
# comparisons, logical operators and floor division: elementwise, with NumPy broadcasting
deffacts(operator.lt, operator.le, operator.eq, operator.ne, operator.ge, operator.gt,
         operator.and_, operator.or_, operator.xor, operator.floordiv, shape=shapes.broadcast)
deffacts(operator.floordiv, real=True)
# builtins generated code calls that compute a value and change nothing (backend/optimize.py)
deffacts(builtins.len, builtins.range, builtins.min, builtins.max, builtins.abs, builtins.float,
         builtins.int, builtins.tuple, builtins.list, builtins.reversed, builtins.zip,
         builtins.enumerate, builtins.slice, builtins.bool, pure=True)
