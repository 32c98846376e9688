"""floating_names (stage: backend, used by folding and by transforms/forward.py): which names of
a function certainly hold floats.  Input: a gast FunctionDef (or one expression, for
is_floating); output: a frozenset of names.  `1.0 * e` folds to `e` only where e holds floats:
for an int it would change the type.
"""
import math

import gast
import numpy as np

from s2s_ad import runtime
from s2s_ad.base import syntax as S
from s2s_ad.base.tape import is_tape_pop
from s2s_ad.backend.optimize.common import callee, param_names, stored_names


# NumPy functions whose result is a floating array or scalar for any numeric argument
_NUMPY_FLOATING = {"sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
                   "arcsinh", "arccosh", "arctanh", "exp", "expm1", "exp2", "log", "log1p",
                   "log2", "log10", "sqrt", "cbrt", "divide", "true_divide", "mean"}

# NumPy functions that make a new array (or number) of their argument's dtype
_REDUCTIONS = {"sum", "max", "min", "amax", "amin", "prod", "cumsum"}

# functions whose result has their first argument's dtype (ids, as for the sets below)
_KEEPS_DTYPE = {id(getattr(np, f)) for f in _REDUCTIONS | {"transpose", "reshape", "ravel",
                                                          "squeeze"}} \
    | {id(runtime.unbroadcast), id(runtime.sum_grad)}

# math functions whose result is a float (not floor, ceil, trunc, factorial, ...)
MATH_FLOATING = {"sin", "cos", "tan", "asin", "acos", "atan", "atan2", "sinh", "cosh", "tanh",
                 "asinh", "acosh", "atanh", "exp", "expm1", "log", "log1p", "log2", "log10",
                 "sqrt", "pow", "hypot", "erf", "erfc", "gamma", "lgamma", "fabs", "radians",
                 "degrees", "copysign"}

# the functions themselves, by id (module functions live as long as their modules)
_FLOAT_RESULT = {id(getattr(math, f)) for f in MATH_FLOATING} | \
    {id(getattr(np, f)) for f in _NUMPY_FLOATING}

_FRESH_RESULT = {id(getattr(math, f)) for f in dir(math) if callable(getattr(math, f))} | \
    {id(getattr(np, f)) for f in _NUMPY_FLOATING | _REDUCTIONS}


def is_floating(e, floating):
    """Does `e` certainly evaluate to floats (a float, a NumPy floating or complex scalar or
    array) when it evaluates at all?  A float constant, a `floating` name, a math function or
    a NumPy function of `_NUMPY_FLOATING`, a true division, or arithmetic with such an operand
    (an int array times a float is a float array)."""
    if isinstance(e, gast.Constant):
        return type(e.value) is float
    if isinstance(e, gast.Name):
        return e.id in floating
    if isinstance(e, gast.UnaryOp):
        return isinstance(e.op, (gast.USub, gast.UAdd)) and is_floating(e.operand, floating)
    if isinstance(e, gast.BinOp):
        if isinstance(e.op, gast.Pow):
            return isinstance(e.right, gast.Constant) and type(e.right.value) is int and \
                is_floating(e.left, floating)
        if isinstance(e.op, gast.Div):
            return True        # true division of numbers or numeric arrays gives floats
        return isinstance(e.op, (gast.Add, gast.Sub, gast.Mult)) and (
            is_floating(e.left, floating) or is_floating(e.right, floating))
    if isinstance(e, gast.Call):
        fn = id(callee(e.func))
        if fn in _FLOAT_RESULT:
            return True
        if fn in _KEEPS_DTYPE and e.args:    # a sum of floats is a float
            return is_floating(e.args[0], floating)
    return False


def is_fresh(e):
    """Does evaluating `e` make a new object (arithmetic, a math or NumPy function of
    `_NUMPY_FLOATING`, a reduction), never one some name already holds nor a view of one?"""
    if isinstance(e, (gast.BinOp, gast.UnaryOp)):
        return True
    return isinstance(e, gast.Call) and id(callee(e.func)) in _FRESH_RESULT


def floating_of(node):
    """floating_names(node), found once per function: every pass keeps values and their types,
    so a name that held floats before a pass still does after it."""
    found = getattr(node, "_floating_names", None)
    if found is None:
        found = node._floating_names = floating_names(node)
    return found


def floating_names(node, is_float=None):
    """The names of `node` that certainly hold floats: every assignment to them computes floats
    from constants and such names (`is_float(value, names)`, by default `is_floating`), the
    largest such set (a loop's `y = y * x + c` starting from `y = 0.0` stays a float).  `a += e`
    and a tape pop (`a = _tape.pop()` or `a, b = _tape.pop()`, which restore values they held
    before) keep what they hold; any other way of binding a name (a parameter, a loop
    variable, unpacking) leaves it out."""
    is_float = is_float or is_floating
    values, other = {}, set(param_names(node))
    for stmt in S.statements(node):
        if isinstance(stmt, gast.Assign) and is_tape_pop(stmt.value):
            continue        # `a = _tape.pop()`, `a, b = _tape.pop()`: as they were
        if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and \
                isinstance(stmt.targets[0], gast.Name):
            values.setdefault(stmt.targets[0].id, []).append(stmt.value)
            continue
        if isinstance(stmt, gast.AugAssign) and isinstance(stmt.target, gast.Name):
            continue
        if isinstance(stmt, (gast.Assign, gast.For, gast.AugAssign, gast.AnnAssign)):
            other |= stored_names(stmt.target if isinstance(stmt, gast.For) else stmt)
    floating = {name for name in values if name not in other}
    # the test only asks whether names are in the set, so dropping names in any order ends
    # in the same set; in the order they are assigned, a name dropped is seen dropped by the
    # ones computed from it in the same sweep (straight-line code: one sweep, one to confirm)
    changed = True
    while changed:
        changed = False
        for name in [n for n in values if n in floating]:
            if not all(is_float(v, floating) for v in values[name]):
                floating.discard(name)
                changed = True
    return frozenset(floating)
