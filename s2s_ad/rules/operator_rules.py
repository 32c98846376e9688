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
from s2s_ad.rules.registry import (defbilinear, defelementwise, deffacts, defjvp, defvjp,
                                   nondifferentiable)

# ---- arithmetic ----

# One partial derivative per operand (registry.defelementwise): the VJP is g times it, the JVP
# t times it.  `1` gives `g`, `-1` gives `-g`.
defelementwise(operator.add, lambda ans, a, b: 1, lambda ans, a, b: 1, broadcasts=True)
deffacts(operator.add, cheap=True, real=True, shift="sum")
defelementwise(operator.sub, lambda ans, a, b: 1, lambda ans, a, b: -1, broadcasts=True)
deffacts(operator.sub, cheap=True, real=True, shift="difference")
# g * b, not b * g: `x * x` then gets the terms g * x + g * x, which fold to 2 * (g * x)
defelementwise(operator.mul, lambda ans, a, b: b, lambda ans, a, b: a, broadcasts=True)
deffacts(operator.mul, cheap=True, real=True, shift="product")
defelementwise(operator.truediv, lambda ans, a, b: 1 / b, lambda ans, a, b: -ans / b,
               broadcasts=True)
deffacts(operator.truediv, cheap=True, real=True, shift="quotient")

# a % b == a - b * (a // b); a // b is piecewise constant.
defelementwise(operator.mod, lambda ans, a, b: 1, lambda ans, a, b: -(a // b), broadcasts=True)
deffacts(operator.mod, real=True)

# d(a**b)/da = b * a**(b - 1) (_ad.pow_slope: 0 for b == 0, inf at a == 0 for b < 1, where
# Python's floats raise; the optimizer writes it out for a constant b >= 1: `2 * x`);
# d(a**b)/db = a**b log(a); at a == 0 it is taken as 0 (the limit for b > 0).
defelementwise(operator.pow,
               lambda ans, a, b: _ad.pow_slope(a, b),
               lambda ans, a, b: ans * np.log(np.where(a == 0, 1.0, a)), broadcasts=True)

defelementwise(operator.neg, lambda ans, a: -1)
deffacts(operator.neg, kind="first", shape=shapes.like(0), cheap=True, real=True,
         shift="negation")
defelementwise(operator.pos, lambda ans, a: 1)
deffacts(operator.pos, kind="first", shape=shapes.like(0), real=True)

# linear in a and in b: the JVPs are t @ b and a @ t
defbilinear(operator.matmul,
            lambda g, ans, a, b: _ad.matmul_grad_a(g, a, b),
            lambda g, ans, a, b: _ad.matmul_grad_b(g, a, b))
deffacts(operator.matmul, shape=shapes.matrix_product, batched=MATRIX_PRODUCT, real=True)

# ---- builtins ----

# abs shares np.abs's rules (numpy_ufunc_rules.py): sign(x) for reals, conj(z)/|z| for complex
deffacts(builtins.abs, kind="combine", shape=shapes.like(0), real=True)

defelementwise(builtins.pow,
               lambda ans, base, exp, mod=None: _ad.pow_slope(base, exp),
               lambda ans, base, exp, mod=None: ans * np.log(np.where(base == 0, 1.0, base)),
               broadcasts=True)

defvjp(builtins.float, lambda g, ans, x=0.0: g)
defjvp(builtins.float, lambda t, ans, x=0.0: _ad.scalar_like(t, ans))
deffacts(builtins.float, kind="scalar", real=True)

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
