"""Optimisation of generated code: small passes over a gast FunctionDef, run in order.

    optimize(node, passes=PASSES) -> node

  group_saves           values a loop saves together share one tape entry:
                        `_tape.append((x, y, z))`, `x, y, z = _tape.pop()` (tape_groups.py)
  fold_constants        `2 - 1` -> `1`; `x ** 1`, `x * 1`, `1 * x`, `x + 0` -> `x`; `a + -b` -> `a - b`,
                        `a += -b * c` -> `a -= b * c`; `e + e` -> `2 * e`; `(200.0 * e) * 2` ->
                        `400.0 * e`; `1.0 * e` -> `e` where e certainly holds floats
  propagate_copies      `a = b; ... a ...` -> `... b ...` where b is not reassigned in between;
                        `a = 1.0` likewise, folding the statements it lands in, and `a = -b`
                        where the sign then folds away (`c + a * d` -> `c - b * d`)
  eliminate_dead_code   drop pure assignments nobody reads, empty branches, orphan comments
  fuse_temporaries      a temporary used once goes back into the expression that uses it:
                        `_t1 = y * x; y_1 = _t1 + c; y = y_1` -> `y = y * x + c` (and is folded
                        again there)
  merge_updates         `a = e1` then `a = a - e2` -> `a = e1 - e2` (same order of evaluation)
  drop_orphan_comments  a comment whose code moved into another statement
  iterate_directly      `_n = len(xs); for _i in range(_n): x = xs[_i]; ...` -> `for x in xs: ...`
                        where nothing else needs the position (no reverse sweep walks it back)
  sum_steps_together    a reverse loop's `W_bar = W_bar + _ad.matmul_grad_b(g, a, W)` on small
                        arrays -> the steps' g and a collected in lists, summed after the loop by
                        one matrix product (`_ad.matmul_grad_b_steps`); likewise `W @ x`'s
                        matmul_grad_a and a bias's unbroadcast

Every pass keeps the order of effects (tape pushes and pops, calls to user code) and never
moves a computation past a statement that changes one of its operands.  Python's int/float
semantics and NumPy's dtypes are kept: the integer constants 0 and 1 are simplified anywhere,
the float 1.0 only next to values known to be floats (`floating_names`), and constant factors
merge only where the product is exact.
"""
import builtins
import contextvars
import math
import operator

import gast
import numpy as np

from s2s_ad import runtime
from s2s_ad.base import syntax as S
from s2s_ad.base.naming import generated_name
from s2s_ad.rules import registry
from s2s_ad.backend.tape_groups import group_entries

_PURE_METHODS = {"sum", "reshape"}     # array methods that make new values, nothing else

def optimize(node, keep=frozenset(), passes=None, sizes=None, saves=(), namespace=None):
    """Run the passes; names in `keep` (the user's own variable names) are never removed.

    The passes share what they find out about each statement (a _Facts): most statements go
    through all of them unchanged, and are then looked at once, not once per pass.  `saves`
    (the generator's pairs of tape pushes and pops) is for group_saves, and `sizes` ({name:
    number of elements}, where the shapes are certain) for sum_steps_together.
    `namespace(name)` is the object a global name of the generated code denotes (None for an
    unknown name): the passes recognise NumPy's and math's functions by what they are, however
    the user's module spells them (`onp.sin`, `from numpy import sin`)."""
    facts = _Facts(node, sizes, saves)
    local = set(_params(node)) | set(S.names_in(node, gast.Store))
    token = _NAMESPACE.set(_globals_of(namespace, local))
    try:
        for step in passes or PASSES:
            node = step(node, keep, facts)
    finally:
        _NAMESPACE.reset(token)
    return node


# -- what a name denotes -------------------------------------------------------------------
# The function being optimised, as a lookup of its global names: set by optimize() for the
# duration of its passes, so that the small helpers below (asked about one expression at a
# time, deep inside the passes) need not each be handed it.
_NAMESPACE = contextvars.ContextVar("s2s_ad_optimize_namespace", default=None)
_CONVENTIONAL = {"np": np, "math": math, "_ad": runtime, "operator": operator}


def _globals_of(namespace, local):
    """name -> object for the global names of a function whose locals are `local`; without a
    namespace (a pass run on its own), the conventional names of generated code."""
    lookup = namespace or _CONVENTIONAL.get
    return lambda name: None if name in local else lookup(name)


def _denotes(name):
    return (_NAMESPACE.get() or _globals_of(None, ()))(name)


def _target(func):
    """The object a call's function expression (`np.linalg.norm`, `sin`) denotes, or None."""
    chain = []
    while isinstance(func, gast.Attribute):
        chain.append(func.attr)
        func = func.value
    obj = _denotes(func.id) if isinstance(func, gast.Name) else None
    for attr in reversed(chain):
        obj = getattr(obj, attr, None) if obj is not None else None
    return obj


# -- helpers ------------------------------------------------------------------------------

def _pure(value):
    for sub in S.nodes_of(value, gast.Call):
        func = sub.func
        if isinstance(func, gast.Name):
            if not registry.is_pure(getattr(builtins, func.id, None)) and \
                    not registry.is_pure(_target(func)):
                return False
            continue
        if isinstance(func, gast.Attribute) and func.attr in ("pop", "append", "at"):
            return False
        if isinstance(func, gast.Attribute) and func.attr in _PURE_METHODS:
            continue      # `g.sum(axis=0)`: a reduction the reverse sweep writes
        while isinstance(func, gast.Attribute):
            func = func.value
        if not (isinstance(func, gast.Name) and
                any(_denotes(func.id) is m for m in registry.pure_modules())):
            return False
    return True


def _stores(stmt):
    return {n.id for n in S.name_nodes(stmt) if isinstance(n.ctx, gast.Store)}


def _loads(node):
    return [n for n in S.name_nodes(node) if isinstance(n.ctx, gast.Load)]


def _mutates(stmt):
    """True for statements that may change an array in place or call unknown code."""
    for sub in S.walk(stmt):
        if isinstance(sub, gast.AugAssign) or (isinstance(sub, gast.Assign) and not all(
                isinstance(t, (gast.Name, gast.Tuple)) for t in sub.targets)):
            return True
        if isinstance(sub, gast.Expr) and not S.is_comment(sub) and not _pure(sub.value) \
                and not _is_tape_push(sub):
            return True
        if isinstance(sub, gast.Assign) and not _pure(sub.value) and not _is_tape_pop(sub.value):
            return True
    return False


def _is_tape_push(stmt):
    func = getattr(stmt.value, "func", None)
    return isinstance(func, gast.Attribute) and func.attr == "append"


def _is_tape_pop(value):
    func = getattr(value, "func", None)
    return isinstance(func, gast.Attribute) and func.attr == "pop" and not value.args


def _counts(node):
    """({name: loads}, {name: stores and other uses}) in the tree."""
    loads, stores = {}, {}
    for name in S.name_nodes(node):
        table = loads if isinstance(name.ctx, gast.Load) else stores
        table[name.id] = table.get(name.id, 0) + 1
    return loads, stores


def _params(node):
    return {a.id for a in node.args.args + node.args.kwonlyargs}


def _replace_name(tree, name, replacement):
    """Replace the Load occurrences of `name` in `tree` by `replacement` (the one node, at each
    occurrence); returns the new tree.  The replacement is not looked into."""
    if isinstance(tree, gast.Name):
        return replacement if _is_load_of(tree, name) else tree
    todo = [tree]
    for sub in todo:
        for field in sub._fields:
            value = getattr(sub, field, None)
            if type(value) is list:
                for i, item in enumerate(value):
                    if _is_load_of(item, name):
                        value[i] = replacement
                    elif isinstance(item, gast.AST):
                        todo.append(item)
            elif _is_load_of(value, name):
                setattr(sub, field, replacement)
            elif isinstance(value, gast.AST):
                todo.append(value)
    return tree


def _is_load_of(node, name):
    return isinstance(node, gast.Name) and node.id == name and isinstance(node.ctx, gast.Load)


# -- passes -------------------------------------------------------------------------------

def group_saves(node, keep=frozenset(), facts=None):
    """Values a loop saves together share one tape entry (see tape_groups): first, while the
    saves and restores are as the generator made them."""
    if facts is not None and len(facts.saves) > 1:
        group_entries(node, facts.saves)
        facts.forget_all()
    return node


def fold_constants(node, keep=frozenset(), facts=None):
    node = _fold(node, _floating_of(node))
    if facts is not None:
        facts.forget_all()     # folding may change any statement
    return node


def _fold(n, floating=frozenset()):
    """Fold the children of `n`, then `n` itself; returns what replaces `n`.  `floating` names
    hold floats (see floating_names), for which `1.0 * e` is `e`."""
    for field in _folded_fields(type(n)):
        value = getattr(n, field, None)
        if type(value) is list:
            for i, item in enumerate(value):
                if isinstance(item, gast.AST) and not _leaf(item):
                    value[i] = _fold(item, floating)
        elif isinstance(value, gast.AST) and not _leaf(value):
            setattr(n, field, _fold(value, floating))
    fold = _FOLDS.get(type(n))
    if fold is None:
        return n
    if fold is _fold_binop or fold is _fold_unaryop or fold is _fold_augassign:
        return fold(n, floating)
    return fold(n)


def _folded_fields(cls):
    """The fields of a node of class `cls` that may hold something to fold: not its operator
    or context (`op`, `ops`, `ctx`), which never change."""
    fields = _FOLDED_FIELDS.get(cls)
    if fields is None:
        fields = _FOLDED_FIELDS[cls] = tuple(f for f in cls._fields
                                             if f not in ("op", "ops", "ctx"))
    return fields


_FOLDED_FIELDS = {}


def _leaf(n):
    """A constant, or a name without annotation: nothing in it to fold, and nothing to fold
    it into (most nodes of a tree are leaves: this saves visiting them)."""
    kind = type(n)
    return kind is gast.Constant or (kind is gast.Name and n.annotation is None)


def _constant_power(call):
    """c for `_ad.pow_slope(x, c)` with a constant c >= 1 (no negative power of 0 to guard
    against), else None."""
    if isinstance(call, gast.Call) and _is_helper(call.func, "pow_slope") and \
            len(call.args) == 2 and not call.keywords:
        c = call.args[1]
        if isinstance(c, gast.Constant) and type(c.value) in (int, float) and c.value >= 1:
            return c.value
    return None


def _without_copy(e):
    """`e` for an operand `_ad.copy_of(e)` (see _fold_binop), else the operand itself."""
    if isinstance(e, gast.Call) and len(e.args) == 1 and not e.keywords and \
            _target(e.func) is runtime.copy_of:
        return e.args[0]
    return e


def _fold_binop(n, floating=frozenset()):
    # an operand `1.0 * e` or `_ad.copy_of(e)` is `e` here: the operation makes a new value
    # either way (a copy the forward mode makes for a later write, fused into its one use)
    n.left = _without_copy(_without_unit(n.left, floating, True))
    n.right = _without_copy(_without_unit(n.right, floating, True))
    left, right = n.left, n.right
    c = _constant_power(right) if isinstance(n.op, gast.Mult) else None
    if c is not None:
        # g * _ad.pow_slope(x, c) -> g * c * x ** (c - 1): `x ** 3` has the derivative
        # `g * 3 * x ** 2`, and `x ** 2` `g * 2.0 * x`
        scaled = _fold_binop(S.binop(left, gast.Mult(), S.const(c)), floating)
        if c == 1:
            return scaled
        power = _fold_binop(S.binop(right.args[0], gast.Pow(), S.const(c - 1)), floating)
        return _fold_binop(S.binop(scaled, gast.Mult(), power), floating)
    if _number(left) and _number(right):
        try:
            value = _EVAL[type(n.op)](left.value, right.value)
        except (KeyError, ArithmeticError, ValueError):
            return n
        return S.const(value)
    if isinstance(n.op, gast.Pow) and _is(right, 1):
        return left
    if isinstance(n.op, gast.Mult) and _number(left) and isinstance(right, gast.BinOp) and \
            isinstance(right.op, gast.Mult) and _is_float(right.left, 1.0):
        # c * (1.0 * e) -> float(c) * e: multiplying by 1.0 is exact; its only effect, making
        # an int e a float, comes with the float c
        return gast.BinOp(left=S.const(float(left.value)), op=gast.Mult(), right=right.right)
    scaled = _scaled_twice(n, floating)
    if scaled is not None:
        return _without_unit(scaled, floating, False)
    if isinstance(n.op, (gast.Add, gast.Sub, gast.Mult, gast.Div)):
        # `2 * e` -> `2.0 * e` where e holds floats: the same value, and Python multiplies a
        # float by a float faster than by an int (which it converts first)
        for side, other in (("left", right), ("right", left)):
            const = getattr(n, side)
            if _number(const) and type(const.value) is int and _floating(other, floating):
                setattr(n, side, S.const(float(const.value)))
    if isinstance(n.op, gast.Mult) and _number(right) and isinstance(left, gast.UnaryOp) and \
            isinstance(left.op, gast.USub):     # (-e) * c -> e * -c: the sign costs nothing there
        return gast.BinOp(left=left.operand, op=gast.Mult(), right=S.const(-right.value))
    if isinstance(n.op, gast.Mult) and _number(left) and not _number(right) and \
            _negated(right) is not None:  # c * (-e * f) -> -c * (e * f): no negation pass
        return gast.BinOp(left=S.const(-left.value), op=gast.Mult(), right=_negated(right))
    if isinstance(n.op, gast.Mult) and _is(right, 1):
        return left
    if isinstance(n.op, gast.Mult) and _is(left, 1):
        return right
    if isinstance(n.op, (gast.Add, gast.Sub)) and _is(right, 0):
        return left
    if isinstance(n.op, gast.Add) and _is(left, 0):
        return right
    if isinstance(n.op, gast.Add) and _same_tree(left, right) and _pure(left):
        two = 2.0 if _floating(left, floating) else 2        # (a float's 2.0: see above)
        return gast.BinOp(left=S.const(two), op=gast.Mult(), right=left)   # exact
    if isinstance(n.op, (gast.Add, gast.Sub)) and _negated(right) is not None:
        # a + -b*c -> a - b*c: one array negation fewer
        flipped = gast.Sub() if isinstance(n.op, gast.Add) else gast.Add()
        return gast.BinOp(left=left, op=flipped, right=_negated(right))
    return _without_unit(n, floating, False)


def _scaled_twice(n, floating=frozenset()):
    """`b * (a * e)` or `(e * a * f) * b` with numbers a and b -> the product with a * b in a's
    place, where that is exact (see _scale_factor).  Where a * b is 1.0, the factor goes too
    (see _without_unit)."""
    if not isinstance(n.op, gast.Mult):
        return None
    if _number(n.right) and isinstance(n.left, gast.BinOp):
        chain, b = n.left, n.right.value
    elif _number(n.left) and isinstance(n.right, gast.BinOp):
        chain, b = n.right, n.left.value
    else:
        return None
    return _scale_factor(chain, b, floating)


def _scale_factor(chain, b, floating):
    """The product `chain` (`((x1 * x2) * x3) * ...`) times the number b, as the chain with its
    first number factor a replaced by a * b; None where it has none or that would not be exact.

    Scaling by a power of two is exact wherever it happens, so a power-of-two b may move to
    any factor.  Next to its factor (`(e * a) * b`), a power-of-two a is exact too: e * a is,
    and then (e * a) * b is e * (a * b) rounded once.  (Ints are not enough: e may be a float,
    and (0.1 * 3) * 5 is 1.5000000000000002, not 1.5.)"""
    if not (isinstance(chain, gast.BinOp) and isinstance(chain.op, gast.Mult)):
        return None
    for side in ("right", "left"):
        factor = getattr(chain, side)
        if _number(factor):
            a = factor.value
            if not (_power_of_two(a) or _power_of_two(b)):
                return None
            other = chain.left if side == "right" else chain.right
            if not (isinstance(other, gast.BinOp) and isinstance(other.op, gast.Mult)):
                return gast.BinOp(left=S.const(a * b), op=gast.Mult(), right=other)  # `15 * x`
            scaled = gast.BinOp(left=chain.left, op=gast.Mult(), right=chain.right)
            setattr(scaled, side, S.const(a * b))
            return scaled
    if not _power_of_two(b):
        return None        # (b would be applied before chain.right, rounding elsewhere)
    inner = _scale_factor(chain.left, b, floating)
    if inner is None:
        return None
    inner = _without_unit(inner, floating, True)
    return gast.BinOp(left=inner, op=gast.Mult(), right=chain.right)


def _power_of_two(value):
    mantissa, _ = math.frexp(value)
    return abs(mantissa) == 0.5


def _fold_assign(n):
    new = _in_place(n)
    return _fold_augassign(new) if isinstance(new, gast.AugAssign) else new


def _fold_augassign(n, floating=frozenset()):
    n.value = _without_unit(n.value, floating, True)
    if isinstance(n.op, (gast.Add, gast.Sub)) and _negated(n.value) is not None:
        n.op = gast.Sub() if isinstance(n.op, gast.Add) else gast.Add()
        n.value = _negated(n.value)
    return n


def _fold_call(n):
    # unbroadcast(-g, x) -> -unbroadcast(g, x), (-g).sum(axis=1) -> -g.sum(axis=1): negate
    # the reduced array, not the full one (a sum of negated terms is the negated sum)
    if _is_helper(n.func, "unbroadcast") and len(n.args) == 2 and not n.keywords \
            and _negated(n.args[0]) is not None:
        n.args[0] = _negated(n.args[0])
        return gast.UnaryOp(op=gast.USub(), operand=n)
    if isinstance(n.func, gast.Attribute) and n.func.attr == "sum" and not n.args and \
            {k.arg for k in n.keywords} <= {"axis", "keepdims"} and \
            _negated(n.func.value) is not None:
        n.func.value = _negated(n.func.value)
        return gast.UnaryOp(op=gast.USub(), operand=n)
    return n


def _fold_compare(n):
    if len(n.ops) != 1:
        return n
    left, right, op = n.left, n.comparators[0], type(n.ops[0])
    if _number(left) and _number(right):
        try:
            return S.const(bool(_COMPARE[op](left.value, right.value)))
        except KeyError:
            return n
    # a rule's options, once given: `None is None`, `-1 is None`, `None == 'fro'`
    if not (_plain_constant(left) and _plain_constant(right)):
        return n
    either_none = left.value is None or right.value is None
    if op in (gast.Is, gast.IsNot) and either_none:
        same = left.value is None and right.value is None
        return S.const(same if op is gast.Is else not same)
    if op in (gast.Eq, gast.NotEq) and (either_none or type(left.value) is type(right.value)):
        equal = left.value == right.value
        return S.const(equal if op is gast.Eq else not equal)
    return n


def _plain_constant(n):
    """None, a bool, an int, a float or a string: constants whose comparisons fold."""
    return isinstance(n, gast.Constant) and type(n.value) in (type(None), bool, int, float, str)


def _fold_boolop(n):
    """`False or e` -> `e`, `True or e` -> `True`, `True and e` -> `e`, `False and e` ->
    `False` (constants only as the leading operands: Python's short circuit)."""
    values = list(n.values)
    while len(values) > 1 and isinstance(values[0], gast.Constant) and \
            type(values[0].value) is bool:
        first = values[0].value
        if isinstance(n.op, gast.Or):
            if first:
                return S.const(True)
        elif not first:
            return S.const(False)
        values.pop(0)
    if len(values) == 1:
        return values[0]
    n.values = values
    return n


def _fold_ifexp(n):
    if isinstance(n.test, gast.Constant):
        return n.body if n.test.value else n.orelse
    return n


def _fold_unaryop(n, floating=frozenset()):
    n.operand = _without_unit(n.operand, floating, True)
    if not isinstance(n.op, gast.USub):
        return n
    operand = n.operand
    if _number(operand):
        return S.const(-operand.value)
    if _negated(operand) is not None:     # -(-e * f) -> e * f
        return _negated(operand)
    if isinstance(operand, gast.BinOp) and isinstance(operand.op, gast.Mult):
        # -(2.0 * e) -> -2.0 * e: one array pass fewer
        if _number(operand.left):
            return gast.BinOp(left=S.const(-operand.left.value), op=gast.Mult(),
                              right=operand.right)
        if _number(operand.right):
            return gast.BinOp(left=operand.left, op=gast.Mult(),
                              right=S.const(-operand.right.value))
    return n


def _without_unit(n, floating, operand):
    """`1.0 * e`, `e * 1.0`, `e / 1.0` -> `e` and `-1.0 * e`, `e * -1.0` -> `-e`, where e
    certainly holds floats (real or complex): then the product has e's value and dtype (a
    Python float does not widen a float32 array).  Only as an `operand` of another operation,
    or where e makes a new value anyway: elsewhere `1.0 * e` is a new array and `e` would be
    the same object, which an adjoint later updated in place must not be.  This is how a
    gradient's seed 1.0 goes."""
    if not (isinstance(n, gast.BinOp) and isinstance(n.op, (gast.Mult, gast.Div))):
        return n
    if _is_float(n.right, 1.0) or _is_float(n.right, -1.0):
        e, sign = n.left, n.right.value
    elif isinstance(n.op, gast.Div):
        return n
    elif _is_float(n.left, 1.0) or _is_float(n.left, -1.0):
        e, sign = n.right, n.left.value
    else:
        return n
    if not (_floating(e, floating) and (operand or _fresh(e) or sign < 0)):
        return n
    return e if sign > 0 else gast.UnaryOp(op=gast.USub(), operand=e)


def _is_float(n, value):
    return isinstance(n, gast.Constant) and type(n.value) is float and n.value == value


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


def _floating(e, floating):
    """Does `e` certainly evaluate to floats (a float, a NumPy floating or complex scalar or
    array) when it evaluates at all?  A float constant, a `floating` name, a math function or
    a NumPy function of `_NUMPY_FLOATING`, a true division, or arithmetic with such an operand
    (an int array times a float is a float array)."""
    if isinstance(e, gast.Constant):
        return type(e.value) is float
    if isinstance(e, gast.Name):
        return e.id in floating
    if isinstance(e, gast.UnaryOp):
        return isinstance(e.op, (gast.USub, gast.UAdd)) and _floating(e.operand, floating)
    if isinstance(e, gast.BinOp):
        if isinstance(e.op, gast.Pow):
            return isinstance(e.right, gast.Constant) and type(e.right.value) is int and \
                _floating(e.left, floating)
        if isinstance(e.op, gast.Div):
            return True        # true division of numbers or numeric arrays gives floats
        return isinstance(e.op, (gast.Add, gast.Sub, gast.Mult)) and (
            _floating(e.left, floating) or _floating(e.right, floating))
    if isinstance(e, gast.Call):
        fn = id(_target(e.func))
        if fn in _FLOAT_RESULT:
            return True
        if fn in _KEEPS_DTYPE and e.args:    # a sum of floats is a float
            return _floating(e.args[0], floating)
    return False


def _fresh(e):
    """Does evaluating `e` make a new object (arithmetic, a math or NumPy function of
    `_NUMPY_FLOATING`, a reduction), never one some name already holds nor a view of one?"""
    if isinstance(e, (gast.BinOp, gast.UnaryOp)):
        return True
    return isinstance(e, gast.Call) and id(_target(e.func)) in _FRESH_RESULT


def _floating_of(node):
    """floating_names(node), found once per function: every pass keeps values and their types,
    so a name that held floats before a pass still does after it."""
    found = getattr(node, "_floating_names", None)
    if found is None:
        found = node._floating_names = floating_names(node)
    return found


def floating_names(node, is_float=None):
    """The names of `node` that certainly hold floats: every assignment to them computes floats
    from constants and such names (`is_float(value, names)`, by default `_floating`), the
    largest such set (a loop's `y = y * x + c` starting from `y = 0.0` stays a float).  `a += e`
    and a tape pop (`a = _tape.pop()` or `a, b = _tape.pop()`, which restore values they held
    before) keep what they hold; any other way of binding a name (a parameter, a loop
    variable, unpacking) leaves it out."""
    is_float = is_float or _floating
    values, other = {}, set(_params(node))
    for stmt in S.statements(node):
        if isinstance(stmt, gast.Assign) and _is_tape_pop(stmt.value):
            continue        # `a = _tape.pop()`, `a, b = _tape.pop()`: as they were
        if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and \
                isinstance(stmt.targets[0], gast.Name):
            values.setdefault(stmt.targets[0].id, []).append(stmt.value)
            continue
        if isinstance(stmt, gast.AugAssign) and isinstance(stmt.target, gast.Name):
            continue
        if isinstance(stmt, (gast.Assign, gast.For, gast.AugAssign, gast.AnnAssign)):
            other |= _stores(stmt.target if isinstance(stmt, gast.For) else stmt)
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


_FOLDS = {gast.BinOp: _fold_binop, gast.Compare: _fold_compare, gast.IfExp: _fold_ifexp,
          gast.BoolOp: _fold_boolop,
          gast.UnaryOp: _fold_unaryop, gast.Assign: _fold_assign, gast.AugAssign: _fold_augassign,
          gast.Call: _fold_call}


_COMPARE = {gast.Eq: lambda a, b: a == b, gast.NotEq: lambda a, b: a != b,
            gast.Lt: lambda a, b: a < b, gast.Gt: lambda a, b: a > b}
_EVAL = {gast.Add: lambda a, b: a + b, gast.Sub: lambda a, b: a - b,
         gast.Mult: lambda a, b: a * b, gast.Pow: lambda a, b: a ** b}


def _plain_subscript(n):
    """`a[...]` with a name for `a` and only names, constants and slices inside the brackets:
    evaluating it as a target runs no code."""
    return isinstance(n, gast.Subscript) and isinstance(n.value, gast.Name) and all(
        isinstance(sub, (gast.Name, gast.Constant, gast.Slice, gast.Tuple, gast.UnaryOp,
                         gast.USub, gast.Load, gast.Store))
        for sub in S.walk(n.slice))


def _in_place(stmt):
    """`a[s] = a[s] + e` -> `a[s] += e` where s has a slice: `a[s]` is then a view of an array
    (updated in place, as the assignment would) or a new list (extended, then assigned back),
    never an object shared with other names."""
    if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
            and _plain_subscript(stmt.targets[0]) and isinstance(stmt.value, gast.BinOp)
            and isinstance(stmt.value.op, (gast.Add, gast.Sub, gast.Mult, gast.Div))
            and any(isinstance(n, gast.Slice) for n in S.walk(stmt.targets[0].slice))):
        return stmt
    if not _same_tree(stmt.value.left, _as_load(stmt.targets[0])):
        return stmt
    return gast.copy_location(gast.AugAssign(target=stmt.targets[0], op=stmt.value.op,
                                             value=stmt.value.right), stmt)


def _same_tree(a, b):
    """Are two expressions the same text (same node types, names and constants)?  Stops at the
    first difference, so most pairs cost one comparison."""
    if type(a) is not type(b):
        return False
    if isinstance(a, gast.Name):
        return a.id == b.id
    if isinstance(a, gast.Constant):
        return type(a.value) is type(b.value) and a.value == b.value
    for field in a._fields:
        if field == "ctx":
            continue
        x, y = getattr(a, field, None), getattr(b, field, None)
        if isinstance(x, list):
            if not (isinstance(y, list) and len(x) == len(y)
                    and all(_same_tree(p, q) for p, q in zip(x, y))):
                return False
        elif isinstance(x, gast.AST):
            if not _same_tree(x, y):
                return False
        elif x != y:
            return False
    return True


def _as_load(target):
    return gast.Subscript(value=S.load(target.value.id), slice=target.slice, ctx=gast.Load())


def _negated(n):
    """`e` for an expression `-e`, or `-e * f` / `-e / f` (the sign moves out of a product
    exactly in floating point), or `e * -2.0`; None for anything else."""
    if isinstance(n, gast.UnaryOp) and isinstance(n.op, gast.USub):
        return n.operand
    if _number(n) and n.value < 0:
        return S.const(-n.value)
    if isinstance(n, gast.BinOp) and isinstance(n.op, (gast.Mult, gast.Div)):
        left = _negated(n.left)
        if left is not None:
            return gast.BinOp(left=left, op=n.op, right=n.right)
        right = _negated(n.right)
        if right is not None:
            return gast.BinOp(left=n.left, op=n.op, right=right)
    return None


def _number(n):
    return isinstance(n, gast.Constant) and type(n.value) in (int, float)


def _is(n, value):
    return isinstance(n, gast.Constant) and type(n.value) is int and n.value == value


def _rewrite_until_done(node, keep, rewrite, facts=None):
    """Apply `rewrite(block, k, counts)` to each statement until no statement changes.

    `rewrite` returns True when it changed the block, and keeps the name counts (and the
    statement facts, see _Facts) up to date.
    """
    counts = _counts(node) + (_params(node) | set(keep), facts or _Facts(node))
    blocks = S.blocks(node)
    changed = True
    while changed:
        changed = False
        for block in blocks:
            k = 0
            while k < len(block):
                if rewrite(block, k, counts):
                    changed = True       # look at position k again: it holds a new statement
                else:
                    k += 1
    return node


class _Facts:
    """What the passes ask about each simple statement (the names it reads and writes, whether
    it may mutate, whether its value is pure), each found once: a rewrite that changes a
    statement forgets it (and the statements inside it).  Compound statements (whose nested
    blocks rewrites change) are looked at afresh each time."""

    def __init__(self, node=None, sizes=None, saves=()):
        self.table = {}     # id(stmt) -> [stmt, {loaded name: count}, stored names, mutates, pure]
        self.node = node
        self._floating = None
        # {name: number of elements} where the generator knew the shape (sum_steps_together)
        self.sizes = sizes or {}
        # [(push, pop, name)]: the values loops save, as generated (group_saves)
        self.saves = list(saves)

    @property
    def floating(self):
        """floating_names of the function, found once (the rewrites keep values and types, so a
        name that held floats still does)."""
        if self._floating is None:
            self._floating = _floating_of(self.node) if self.node is not None else frozenset()
        return self._floating

    def _entry(self, stmt):
        entry = self.table.get(id(stmt))
        if entry is None or entry[0] is not stmt:
            entry = [stmt, None, None, None, None]
            if not isinstance(stmt, _COMPOUND):
                self.table[id(stmt)] = entry
        return entry

    def _names(self, stmt):
        entry = self._entry(stmt)
        if entry[1] is None:
            loads, stores = {}, set()
            for n in S.name_nodes(stmt):
                if isinstance(n.ctx, gast.Load):
                    loads[n.id] = loads.get(n.id, 0) + 1
                elif isinstance(n.ctx, gast.Store):
                    stores.add(n.id)
            entry[1], entry[2] = loads, stores
        return entry

    def loads(self, stmt):
        return self._names(stmt)[1]

    def stores(self, stmt):
        return self._names(stmt)[2]

    def mutates(self, stmt):
        entry = self._entry(stmt)
        if entry[3] is None:
            entry[3] = _mutates(stmt)
        return entry[3]

    def pure(self, stmt):
        """Is the value an assignment computes pure (`_pure(stmt.value)`)?"""
        entry = self._entry(stmt)
        if entry[4] is None:
            entry[4] = _pure(stmt.value)
        return entry[4]

    def forget(self, stmt):
        if isinstance(stmt, _COMPOUND):    # a rewrite of it may change the statements inside
            for sub in S.statements(stmt):
                self.table.pop(id(sub), None)
        else:
            self.table.pop(id(stmt), None)

    def forget_all(self):
        self.table.clear()


_COMPOUND = (gast.If, gast.For, gast.While)


def propagate_copies(node, keep=frozenset(), facts=None):
    """`a = b` followed, in the same block, by the uses of a: use b there instead."""
    return _rewrite_until_done(node, keep, _propagate_copy, facts)


def _propagate_copy(block, k, counts):
    loads, stores, fixed, facts = counts
    stmt = block[k]
    if not (isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)):
        return False
    if isinstance(stmt.value, gast.UnaryOp) and isinstance(stmt.value.op, gast.USub) and \
            isinstance(stmt.value.operand, gast.Name):
        return _propagate_negation(block, k, counts)
    if not isinstance(stmt.value, (gast.Name, gast.Constant)):
        return False
    if isinstance(stmt.value, gast.Constant):
        return _propagate_constant(block, k, counts)
    a, b = stmt.targets[0].id, stmt.value.id
    if a == b:      # `a = a` does nothing
        del block[k]
        stores[a] -= 1
        loads[a] -= 1
        return True
    if stores.get(a, 0) != 1 or a in fixed:
        return _rename_definition(block, k, a, b, counts) or \
            _copy_into_update(block, k, a, b, counts)
    # Scan forward to the last use of a; b must keep its value until then (the statement
    # with the last use may reassign b only after reading a: `b = f(a)` evaluates a first).
    # `b = a` itself changes nothing (b still holds that value): it goes, with the copy.
    wanted, found, last = loads.get(a, 0), 0, -1
    for i in range(k + 1, len(block)):
        later = block[i]
        here = facts.loads(later).get(a, 0)
        writes_b = b in facts.stores(later) and not _is_copy(later, b, a)
        if here:
            found += here
            last = i - k - 1
            if writes_b and not isinstance(later, gast.Assign):
                return False
            if found == wanted:
                break
        if writes_b:
            return False
    if found != wanted:
        return False    # used outside this block: leave it
    uses = found
    for i in range(last + 1):
        if facts.loads(block[k + 1 + i]).get(a, 0):    # (the others do not change)
            facts.forget(block[k + 1 + i])
            block[k + 1 + i] = _replace_name(block[k + 1 + i], a, S.load(b))
    for i in reversed(range(last + 1)):
        if _is_copy(block[k + 1 + i], b, b):
            del block[k + 1 + i]
            stores[b] -= 1
            uses -= 1    # its read of a (now of b) is gone
    del block[k]
    stores[a] -= 1
    loads[b] = loads.get(b, 0) + uses - 1
    loads[a] = 0
    return True


def _propagate_negation(block, k, counts):
    """`a = -b` followed in the same block by all the uses of a, in assignments where the sign
    then folds away (`c + a * d` -> `c - b * d`): the negation goes (on arrays, a pass over the
    array fewer), and so does the name."""
    loads, stores, fixed, facts = counts
    stmt = block[k]
    a, b = stmt.targets[0].id, stmt.value.operand.id
    if a == b or stores.get(a, 0) != 1 or a in fixed:
        return False
    wanted, found, rewritten = loads.get(a, 0), 0, {}
    for i in range(k + 1, len(block)):
        use = block[i]
        here = facts.loads(use).get(a, 0)
        if here:
            if not isinstance(use, (gast.Assign, gast.AugAssign)):
                return False
            minus_b = gast.UnaryOp(op=gast.USub(), operand=S.load(b))
            new = _fold(_replace_name(S.clone(use), a, minus_b), facts.floating)
            if _negations_of(new, b) > _negations_of(use, b):
                return False    # the sign stays: `a` is the cheaper form
            rewritten[i] = new
            found += here
        # `a = -b` is a new array, b is not: a write into b (or into an array that shares
        # memory with it) before a's last use would reach the uses that read -b instead.
        # The last use may write once it has computed its value (`b[i] = a * c`).
        if facts.mutates(use) and (found != wanted or not facts.pure(use)):
            return False
        if found == wanted:
            break
        if b in facts.stores(use):
            return False
    if found != wanted:
        return False
    for i, new in rewritten.items():
        facts.forget(block[i])
        block[i] = new
    del block[k]
    stores[a] -= 1
    loads[a] = 0
    loads[b] = loads.get(b, 0) + found - 1
    return True


def _negations_of(tree, name):
    return sum(1 for n in S.walk(tree) if isinstance(n, gast.UnaryOp) and
               isinstance(n.op, gast.USub) and _is_name(n.operand, name))


def _propagate_constant(block, k, counts):
    """`a = 1.0` (a number a is never given again) followed in the same block by all its uses:
    the number goes there, and those statements are folded again (a gradient's seed
    `out_bar = 1.0` disappears into `2 * (out_bar * h)` -> `2 * h`)."""
    loads, stores, fixed, facts = counts
    stmt = block[k]
    a, value = stmt.targets[0].id, stmt.value.value
    if type(value) not in (int, float) or stores.get(a, 0) != 1 or a in fixed:
        return False
    wanted, found, last = loads.get(a, 0), 0, -1
    for i in range(k + 1, len(block)):
        here = facts.loads(block[i]).get(a, 0)
        if here:
            found += here
            last = i
            if found == wanted:
                break
    if found != wanted:
        return False    # used outside this block: leave it
    for i in range(k + 1, last + 1):
        if facts.loads(block[i]).get(a, 0):
            facts.forget(block[i])
            block[i] = _fold(_replace_name(block[i], a, S.const(value)), facts.floating)
    del block[k]
    stores[a] -= 1
    loads[a] = 0
    return True


def _rename_definition(block, k, a, b, counts):
    """`b = e; ...; a = b` -> `a = e; ...` for a temporary b used only there, where the
    statements in between neither read nor write a: `_t0_dot = y_dot * x + y; y = y * x + c;
    y_dot = _t0_dot` -> `y_dot = y_dot * x + y; y = y * x + c`."""
    loads, stores, fixed, facts = counts
    if b in fixed or not generated_name(b) or stores.get(b) != 1 or loads.get(b) != 1:
        return False
    for j in range(k - 1, -1, -1):
        earlier = block[j]
        if isinstance(earlier, gast.Assign) and _is_name(earlier.targets[0], b):
            facts.forget(earlier)
            earlier.targets[0] = S.store(a)
            del block[k]
            stores[b], loads[b] = 0, 0
            return True
        if a in facts.loads(earlier) or a in facts.stores(earlier) or \
                b in facts.stores(earlier) or isinstance(earlier, (gast.For, gast.While, gast.If)):
            return False
    return False


def _copy_into_update(block, k, a, b, counts):
    """`a = b; ...; a = a + e` -> `...; a = b + e` where nothing in between reads a or writes b
    (an adjoint's first value followed by its first accumulation)."""
    loads, stores, _, facts = counts
    for j in range(k + 1, len(block)):
        later = block[j]
        reads = facts.loads(later).get(a, 0)
        if isinstance(later, gast.Assign) and _is_name(later.targets[0], a) and reads == 1 \
                and isinstance(later.value, gast.BinOp) and _is_name(later.value.left, a):
            facts.forget(later)
            later.value.left = S.load(b)
            del block[k]
            stores[a] -= 1
            loads[a] -= 1
            return True
        if reads or a in facts.stores(later) or b in facts.stores(later) or isinstance(
                later, (gast.For, gast.While, gast.If)):
            return False
    return False


def _is_copy(stmt, target, source):
    """`target = source`"""
    return isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and \
        _is_name(stmt.targets[0], target) and _is_name(stmt.value, source)


def fuse_temporaries(node, keep=frozenset(), facts=None):
    """Put a generated temporary used once back into the statement that uses it."""
    facts = facts or _Facts(node)
    local = _used_once_where_assigned(node, facts)
    return _rewrite_until_done(node, keep, lambda block, k, counts:
                               _fuse_temporary(block, k, counts, local), facts)


def _used_once_where_assigned(node, facts):
    """Generated names every value of which is read exactly once, by a later statement of the
    block that assigns it and before that block assigns it again: a temporary the reverse sweep
    computes again (`_t1 = rho - z` in the forward loop and in the reverse loop), which each
    use can take in, as it would a temporary assigned once.  A value assigned in a branch or
    a loop body and read after it (`_tape.append(_t1)` after the `if` that assigns `_t1`) is
    read outside its block: not one of them."""
    local, bad = set(), set()
    for block in S.blocks(node):
        unread = set()     # assigned above in this block, not read yet
        inner = set()      # assigned in the blocks of a compound statement above
        for stmt in block:
            # a compound statement's own reads are in its header; its blocks are seen apart
            reads = facts.loads(stmt) if not isinstance(stmt, _COMPOUND) else _counts(
                stmt.iter if isinstance(stmt, gast.For) else stmt.test)[0]
            bad.update(inner.intersection(reads))
            if isinstance(stmt, _COMPOUND):
                stored = set(S.names_in(stmt, gast.Store))
                # `_t2 = None; if c: _t2 = e` then `_tape.append(_t2)`: the value read after
                # it may be either one
                bad.update(stored & unread)
                inner |= stored
            for name, n in reads.items():
                if name in unread and n == 1:
                    unread.discard(name)
                else:
                    bad.add(name)          # a second read, or a value from elsewhere
            if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and \
                    isinstance(stmt.targets[0], gast.Name):
                name = stmt.targets[0].id
                if name in unread:
                    bad.add(name)          # assigned again unread: left to dead code
                unread.add(name)
                local.add(name)
            elif isinstance(stmt, gast.For):
                bad.update(S.names_in(stmt.target, gast.Store))
            elif not isinstance(stmt, _COMPOUND):
                bad.update(facts.stores(stmt))
        bad.update(unread)
    return {name for name in local - bad if generated_name(name)}


def _fuse_temporary(block, k, counts, local=frozenset()):
    loads, stores, fixed, facts = counts
    stmt = block[k]
    if not (isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)):
        return False
    t = stmt.targets[0].id
    if t in fixed or not generated_name(t) or not facts.pure(stmt) or \
            not (stores.get(t) == 1 and loads.get(t) == 1 or t in local):
        return False
    reads = facts.loads(stmt).keys()      # what its value reads (its target is a Name)
    for j in range(k + 1, len(block)):
        use = block[j]
        if t in facts.loads(use):
            target = use.test if isinstance(use, (gast.If, gast.While)) else use
            if isinstance(use, gast.For) or (target is not use and
                                             not any(n.id == t for n in _loads(target))):
                return False
            if isinstance(use, gast.Assign) and not isinstance(use.targets[0], (gast.Name,
                                                                                gast.Tuple)) \
                    and not _plain_subscript(use.targets[0]):
                return False
            if _shape_only_use(target, t):
                return False     # `_ad.unbroadcast(g, np.log(s))` would read as if log mattered
            facts.forget(use)
            # folding again where the value lands: `a + -b * c` meets its addition here
            new = _fold(_replace_name(target, t, stmt.value), facts.floating)
            if isinstance(use, (gast.If, gast.While)):
                use.test = new
            else:
                block[j] = new
            del block[k]
            stores[t] -= 1
            loads[t] -= 1
            return True
        if not reads.isdisjoint(facts.stores(use)) or facts.mutates(use):
            return False
    return False


_SHAPE_ARGUMENT_HELPERS = ("unbroadcast", "broadcast_like", "sum_grad")


def _shape_only_use(tree, name):
    """Is `name` the argument a runtime helper reads only for its shape (`x` in
    `_ad.unbroadcast(g, x)`)?"""
    return any(isinstance(n, gast.Call) and len(n.args) > 1 and _is_name(n.args[1], name) and
               any(_is_helper(n.func, h) for h in _SHAPE_ARGUMENT_HELPERS)
               for n in S.nodes_of(tree, gast.Call))


def merge_updates(node, keep=frozenset(), facts=None):
    """`a = e1` followed by `a = a - e2` (e2 not reading a) -> `a = e1 - e2`, and so
    `a = a + e1; a = a - e2` -> `a = a + e1 - e2`: Python evaluates e1 first and adds left to
    right, so the result is the same, with one statement fewer.  Assignments that do not
    touch a or e1's operands may stand in between."""
    facts = facts or _Facts()
    for block in S.blocks(node):
        ahead = _UpdatesAhead(block)
        k = 0
        while k < len(block):
            if _merge_update(block, k, facts, ahead):
                ahead.deleted()     # look at position k again: it holds the next statement
            else:
                _first_write_into_zeros(block, k)
                k += 1
    return node


class _UpdatesAhead:
    """Where, in one block, the next `a = a + e` / `a = a - e` of each name is, and the next
    statement that is not an assignment (which ends merge_updates' search), found without
    rescanning the block from each statement (a rescan is quadratic in straight-line code).

    Statements are numbered in the block's order once.  merge_updates deletes only the
    statement it is looking at, so the statements from there to the end keep consecutive
    numbers: number n is at position k + (n - number of block[k]).  A statement stops being an
    update when a merge rewrites it (`a = (a + e1) - e2` is not `a = a - ...`), and an
    augmented assignment becomes an assignment in _first_write_into_zeros; nothing becomes an
    update or stops being an assignment, so each list is checked lazily and walked once."""

    def __init__(self, block):
        self.block = block
        self.shift = 0      # statements deleted before position k: its number is k + shift
        self.updates = {}   # name -> numbers of the statements that update it, in order
        self.others = []    # numbers of the statements that are not assignments, in order
        for n, stmt in enumerate(block):
            if not isinstance(stmt, gast.Assign):
                self.others.append(n)
            elif len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name) and \
                    _is_update_of(stmt, stmt.targets[0].id):
                self.updates.setdefault(stmt.targets[0].id, []).append(n)
        self.seen = {}      # name -> how many of its updates lie behind (a cursor)
        self.others_seen = 0

    def deleted(self):
        self.shift += 1

    def next_update(self, k, a):
        """The position of the first statement after k that is not an assignment or is an
        update of a, or len(block)."""
        here = k + self.shift
        end = self._next_other(here)
        numbers = self.updates.get(a, ())
        i = self.seen.get(a, 0)
        while i < len(numbers) and numbers[i] < end and (
                numbers[i] <= here or not _is_update_of(self.block[numbers[i] - self.shift], a)):
            i += 1
        self.seen[a] = i
        return min(end, numbers[i] if i < len(numbers) else end) - self.shift

    def _next_other(self, here):
        i = self.others_seen
        while i < len(self.others) and (
                self.others[i] <= here or
                isinstance(self.block[self.others[i] - self.shift], gast.Assign)):
            i += 1
        self.others_seen = i
        return self.others[i] if i < len(self.others) else len(self.block) + self.shift


def _first_write_into_zeros(block, k):
    """`a = _ad.zeros_like(x); ...; a[s] += e` -> `...; a[s] = e` for the first statement
    that uses a: adding to zeros only copies (the symbolic zeros of a part of an array)."""
    # only our own zeros (floats): NumPy's keep an int array's dtype, where `+=` of floats
    # raises and `=` would silently truncate
    if _zeros_of(block[k]) is None:
        return
    a = block[k].targets[0].id
    for later in block[k + 1:]:
        if not any(n.id == a for n in S.name_nodes(later)):
            continue
        if isinstance(later, gast.AugAssign) and isinstance(later.op, gast.Add) and \
                isinstance(later.target, gast.Subscript) and _is_name(later.target.value, a) \
                and not any(n.id == a for n in _loads(later.value)) and \
                not any(n.id == a for n in _loads(later.target.slice)):
            block[block.index(later)] = gast.copy_location(
                gast.Assign(targets=[later.target], value=later.value, type_comment=None), later)
        return


def _zeros_of(stmt):
    """x in `a = _ad.zeros_like(x)` (an adjoint's first value), else None."""
    if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and \
            isinstance(stmt.targets[0], gast.Name) and isinstance(stmt.value, gast.Call) and \
            _is_helper(stmt.value.func, "zeros_like") and len(stmt.value.args) == 1:
        return stmt.value.args[0]
    return None


def _is_update_of(stmt, a):
    """Is `stmt` `a = a + e` or `a = a - e`?  (The name first: most statements fail there.)"""
    return isinstance(stmt, gast.Assign) and _is_name(stmt.targets[0], a) and \
        len(stmt.targets) == 1 and isinstance(stmt.value, gast.BinOp) and \
        isinstance(stmt.value.op, (gast.Add, gast.Sub)) and _is_name(stmt.value.left, a)


def _merge_update(block, k, facts, ahead):
    """`a = e1; <statements>; a = a - e2` -> `<statements>; a = e1 - e2` where the statements
    in between (under the same comment) neither use a nor change what e1 reads, and e1 is
    pure: e1 is still evaluated before e2, on the same values."""
    first = block[k]
    if not (isinstance(first, gast.Assign) and len(first.targets) == 1
            and isinstance(first.targets[0], gast.Name)):
        return False
    a = first.targets[0].id
    j = ahead.next_update(k, a)   # the update, if the statements up to the next comment hold one
    if j == len(block) or not _is_update_of(block[j], a):
        return False
    if j > k + 1:
        if not facts.pure(first):
            return False
        reads = facts.loads(first).keys()
        for later in block[k + 1:j]:
            stores = facts.stores(later)
            if a in stores or a in facts.loads(later) or not stores.isdisjoint(reads) or \
                    facts.mutates(later):
                return False
    second = block[j].value
    if any(n.id == a for n in _loads(second.right)):
        return False
    second.left = first.value
    facts.forget(block[j])
    del block[k]
    return True


def eliminate_dead_code(node, keep=frozenset(), facts=None):
    """Remove computations whose results nothing uses, empty ifs and orphan comments.

    What is used: the returned value, the effects (tape pushes and pops, calls to user code,
    `print`), the tests of branches and loops, and, transitively, what computes them.  A write
    into an array (`a[i] = v`) is kept while the array is used; names that may share one array
    (`b = a`, `b = a[1:]`) are used together.
    """
    facts = facts or _Facts()      # nothing here changes a statement that stays
    live = _live_names(node, facts)
    while True:
        removed = []
        node.body = _prune(node.body, live, facts, removed)
        if not removed:
            return node


def _prune(stmts, live, facts, removed):
    """`stmts` without the dead ones (each noted in `removed`), at every depth."""
    out = []
    for s in stmts:
        if _dead(s, live, facts):
            removed.append(s)
            continue
        for field in ("body", "orelse"):
            if isinstance(getattr(s, field, None), list):
                setattr(s, field, _prune(getattr(s, field), live, facts, removed))
        if isinstance(s, gast.If) and _only_comments(s.body) and _only_comments(s.orelse):
            removed.append(s)
            continue
        out.append(s)
    return _without_orphan_comments(out, removed)


def _without_orphan_comments(stmts, removed):
    """`stmts` without a comment that has nothing under it before the next comment or the
    block's end (each noted in `removed`)."""
    kept = []
    for i, s in enumerate(stmts):
        if S.is_comment(s) and (i + 1 == len(stmts) or S.is_comment(stmts[i + 1])):
            removed.append(s)
            continue
        kept.append(s)
    return kept


def drop_orphan_comments(node, keep=frozenset(), facts=None):
    """Comments left with nothing under them (their code went into another statement)."""
    for block in S.blocks(node):
        block[:] = _without_orphan_comments(block, [])
    return node


def _written_base(stmt):
    """The array `a` of `a[i] = v` or `a[i] += v`, else None."""
    target = stmt.targets[0] if isinstance(stmt, gast.Assign) else \
        stmt.target if isinstance(stmt, gast.AugAssign) else None
    while isinstance(target, gast.Subscript):
        target = target.value
    return target.id if isinstance(target, gast.Name) and target is not None and \
        isinstance(stmt, (gast.Assign, gast.AugAssign)) and not isinstance(
            stmt.targets[0] if isinstance(stmt, gast.Assign) else stmt.target, gast.Name) \
        else None


def _dead(stmt, live, facts):
    if isinstance(stmt, gast.Assign) and all(isinstance(t, gast.Name)
                                             for t in _flat_targets(stmt.targets[0])):
        return facts.pure(stmt) and not any(t.id in live for t in _flat_targets(stmt.targets[0]))
    base = _written_base(stmt) if isinstance(stmt, (gast.Assign, gast.AugAssign)) else None
    return base is not None and base not in live and facts.pure(stmt)


def _live_names(node, facts):
    live = set(_params(node))     # a write into an argument is seen by the caller
    # and so is a write into a value taken from the tape: the caller's array, restored
    live.update(n for s in S.statements(node) if isinstance(s, gast.Assign) and
                _is_tape_pop(s.value) for n in S.names_in(s.targets[0], gast.Store))
    implies = {}     # name -> sets of names that are live when it is
    sharing = []     # (a, b): a may be b's array (a copy, a slice, an attribute)
    written_into = set()    # arrays written into (`a[i] = v`) or updated in place (`a += v`)
    for s in S.statements(node):
        if isinstance(s, gast.Return) and s.value is not None:
            live.update(facts.loads(s))
        elif isinstance(s, (gast.If, gast.While)):
            live.update(n.id for n in _loads(s.test))
        elif isinstance(s, gast.For):
            live.update(n.id for n in _loads(s.iter))
        elif isinstance(s, gast.Expr) and not S.is_comment(s):   # there for its effect
            live.update(facts.loads(s))
        elif isinstance(s, gast.Assign) and not facts.pure(s):
            live.update(facts.loads(s))
        if isinstance(s, gast.AugAssign) and isinstance(s.target, gast.Name):
            written_into.add(s.target.id)
        if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name) and \
                isinstance(s.value, (gast.Name, gast.Subscript, gast.Attribute)):
            source = s.value
            while isinstance(source, (gast.Subscript, gast.Attribute)):
                source = source.value
            if isinstance(source, gast.Name):
                sharing.append((s.targets[0].id, source.id))
        if isinstance(s, gast.Assign) and all(isinstance(t, gast.Name)
                                              for t in _flat_targets(s.targets[0])):
            # the names assigned: the value's reads are live if one of them is
            for t in _flat_targets(s.targets[0]):
                implies.setdefault(t.id, []).append(facts.loads(s))
        elif isinstance(s, (gast.Assign, gast.AugAssign)):
            # a write into an array: its reads are live if the array is (always, if the array
            # is not a name)
            base = _written_base(s)
            if base is None:
                live.update(facts.loads(s))
            else:
                written_into.add(base)
                implies.setdefault(base, []).append(facts.loads(s))
    # a view keeps its array's writes alive only if something writes into it
    for a, b in sharing:
        if a in written_into:
            implies.setdefault(a, []).append((b,))
            implies.setdefault(b, []).append((a,))
    # what the live names make live, and so on: each name is followed once
    todo = list(live)
    while todo:
        for reads in implies.get(todo.pop(), ()):
            for name in reads:
                if name not in live:
                    live.add(name)
                    todo.append(name)
    return live


def _only_comments(stmts):
    return all(S.is_comment(s) or isinstance(s, gast.Pass) for s in stmts)


def _flat_targets(target):
    if isinstance(target, (gast.Tuple, gast.List)):
        return [t for e in target.elts for t in _flat_targets(e)]
    return [target]


def iterate_directly(node, keep=frozenset(), facts=None):
    """Undo desugar's index loop where the index only fetches the element: Python iterates a
    sequence faster than it indexes one."""
    if not any(isinstance(s, gast.For) for s in S.statements(node)):
        return node
    loads, _ = _counts(node)
    for block in S.blocks(node):
        k = 0
        while k < len(block):
            j = _length_statement(block, k, loads, keep)
            if j is None:
                k += 1
                continue
            loop = block[k]
            loop.target = S.store(loop.body[0].targets[0].id)
            loop.iter = S.load(block[j].value.args[0].id)
            del loop.body[0]
            del block[j]
    return node


def _length_statement(block, k, loads, keep):
    """Position of `n = len(xs)` when block[k] is `for i in range(n): x = xs[i]; ...` with
    i and n used nowhere else, xs unchanged from there to the loop and not named in the rest of
    the loop (where a method call could change it); else None."""
    loop = block[k]
    if not (isinstance(loop, gast.For) and isinstance(loop.target, gast.Name) and not loop.orelse
            and isinstance(loop.iter, gast.Call) and _is_name(loop.iter.func, "range")
            and len(loop.iter.args) == 1 and isinstance(loop.iter.args[0], gast.Name)
            and not loop.iter.keywords and loop.body):
        return None
    index, length, first = loop.target.id, loop.iter.args[0].id, loop.body[0]
    if not (isinstance(first, gast.Assign) and isinstance(first.targets[0], gast.Name)
            and isinstance(first.value, gast.Subscript) and isinstance(first.value.value, gast.Name)
            and _is_name(first.value.slice, index)):
        return None
    seq = first.value.value.id
    if {index, length} & set(keep) or loads.get(index) != 1 or loads.get(length) != 1:
        return None
    for j in range(k - 1, -1, -1):
        stmt = block[j]
        if seq in _stores(stmt) or _mutates(stmt):
            return None
        if isinstance(stmt, gast.Assign) and _is_name(stmt.targets[0], length):
            defined = stmt.value
            if isinstance(defined, gast.Call) and _is_name(defined.func, "len") \
                    and len(defined.args) == 1 and _is_name(defined.args[0], seq) \
                    and not any(_mutates(s) or any(n.id == seq for n in S.walk(s)
                                                   if isinstance(n, gast.Name))
                                for s in loop.body[1:]):
                return j
            return None
    return None


def _is_helper(func, name):
    """`_ad.<name>`"""
    return isinstance(func, gast.Attribute) and func.attr == name and _is_name(func.value, "_ad")


def _is_name(node, name):
    return isinstance(node, gast.Name) and node.id == name


# -- sum_steps_together -------------------------------------------------------------------

# helper called on every step -> (helper that sums the steps, its number of arguments, the
# position of the one that does not change in the loop: the argument whose cotangent it is;
# the others change each step and are collected in lists)
_STEP_SUMS = {"matmul_grad_b": ("matmul_grad_b_steps", 3, 2),
              "matmul_grad_a": ("matmul_grad_a_steps", 3, 1),
              "unbroadcast": ("unbroadcast_steps", 2, 1)}
# Stacking pays where NumPy's per-call cost dominates a step: small arrays.  Larger ones would
# only cost memory (every step's values are held until the loop ends).
SMALL_STEP = 1 << 14   # elements


def sum_steps_together(node, keep=frozenset(), facts=None):
    """`W_bar = zeros_like(W); for ...: W_bar = W_bar + _ad.matmul_grad_b(g, a, W)` ->
    `g_steps = []; a_steps = []; for ...: g_steps.append(g); a_steps.append(a)`, then
    `W_bar = _ad.matmul_grad_b_steps(g_steps, a_steps, W)` after the loop: one product of the
    stacked steps.  Only for values the generator knew to be small (`facts.sizes`)."""
    sizes = facts.sizes if facts is not None else {}
    if not sizes or not any(isinstance(s, gast.For) for s in S.statements(node)):
        return node
    taken = set(S.names_in(node))
    for block in S.blocks(node):
        k = 0
        while k < len(block):
            if isinstance(block[k], gast.For):
                k = _sum_loop_steps(block, k, sizes, taken)
            k += 1
    return node


def _sum_loop_steps(block, k, sizes, taken):
    """Rewrite the accumulations of the loop block[k]; returns the loop's new position."""
    loop = block[k]
    if loop.orelse or any(_mutates(s) for s in loop.body):
        return k   # a write into an array could change a value held for later
    loads, stores = _counts(gast.Module(body=loop.body, type_ignores=[]))
    changing = set(S.names_in(loop.target)).union(*(_stores(s) for s in loop.body))
    sums = [(i, found) for i, stmt in enumerate(loop.body)
            for found in [_step_sum(stmt, sizes, changing)] if found
            and loads.get(found[0]) == 1 and stores.get(found[0]) == 1]
    if not sums:
        return k
    new_lists, after, appends = [], [], {}   # appends: position in the loop -> its appends
    lists = {}   # step name -> (its list, position of the statement that appends to it)
    for i, (total, helper, args, fixed) in sums:
        appends[i], held = [], []
        for position, name in enumerate(args):
            if position == fixed:
                held.append(name)
                continue
            known = lists.get(name)
            if known and not any(name in _stores(s) for s in loop.body[known[1]:i]):
                held.append(known[0])       # the same value, already collected this step
                continue
            held.append(_unused_name(f"{_step_label(name, loop.body[:i])}_steps", taken))
            lists[name] = (held[-1], i)
            new_lists.append(held[-1])
            appends[i].append(S.expr_stmt(S.call(S.attr(S.load(held[-1]), "append"),
                                                 S.load(name))))
        summed = S.call(f"_ad.{helper}", *[S.load(h) for h in held])
        if _drop_zero_start(block, k, total, args[fixed]):
            k -= 1
        else:
            summed = S.binop(S.load(total), gast.Add(), summed)
        after.append(S.assign(total, summed))
    for i in sorted(appends, reverse=True):
        loop.body[i:i + 1] = appends[i]
    block[k + 1:k + 1] = after
    # one line starts the lists: `g_steps, a_steps = [], []`
    empty = [gast.List(elts=[], ctx=gast.Load()) for _ in new_lists]
    block.insert(k, S.assign(new_lists[0], empty[0]) if len(new_lists) == 1 else
                 gast.Assign(targets=[S.tuple_([S.store(n) for n in new_lists], gast.Store())],
                             value=S.tuple_(empty), type_comment=None))
    return k + 1


def _step_sum(stmt, sizes, changing):
    """(total, summing helper, argument names, position of W) for `total = total + _ad.f(...)`
    where f has a summing helper, W (the argument whose cotangent it is) does not change in the
    loop, and the other arguments are small."""
    if not (isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)):
        return None
    total = stmt.targets[0].id
    if not _is_update_of(stmt, total) or not isinstance(stmt.value.op, gast.Add):
        return None
    call = stmt.value.right
    if not (isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute)
            and _is_helper(call.func, call.func.attr) and call.func.attr in _STEP_SUMS
            and not call.keywords):
        return None
    helper, n, fixed = _STEP_SUMS[call.func.attr]
    if len(call.args) != n or not all(isinstance(a, gast.Name) for a in call.args):
        return None
    args = [a.id for a in call.args]
    steps = args[:fixed] + args[fixed + 1:]
    if args[fixed] in changing or total in steps or \
            not all(sizes.get(name, SMALL_STEP + 1) <= SMALL_STEP for name in steps):
        return None
    return total, helper, args, fixed


def _drop_zero_start(block, k, total, invariant):
    """Remove `total = _ad.zeros_like(invariant)` before the loop block[k] when nothing in
    between reads total (the summing helper starts from those zeros itself)."""
    for j in range(k - 1, -1, -1):
        stmt = block[j]
        if isinstance(stmt, gast.Assign) and _is_name(stmt.targets[0], total):
            if _is_name(_zeros_of(stmt), invariant):
                del block[j]
                return True
            return False
        if total in S.names_in(stmt) or invariant in _stores(stmt) or \
                isinstance(stmt, (gast.For, gast.While, gast.If)):
            return False
    return False


def _step_label(name, before):
    """What to call the list of a name's values: the name, or for a temporary that indexes a
    variable (`_t2 = xs[t]`, which fusion then puts back into its use) the variable's name."""
    if name.startswith("_t"):
        for stmt in reversed(before):
            if isinstance(stmt, gast.Assign) and _is_name(stmt.targets[0], name):
                value = stmt.value
                if isinstance(value, gast.Subscript) and isinstance(value.value, gast.Name):
                    return value.value.id
                break
    return name


def _unused_name(name, taken):
    chosen, n = name, 1
    while chosen in taken:
        n += 1
        chosen = f"{name}{n}"
    taken.add(chosen)
    return chosen


# Dead code goes before fusion (a dead write between a temporary and its use would block it).
# Summing a loop's steps comes last: it turns updates into list appends, which other passes
# would take as calls they cannot see into.
PASSES = (group_saves, fold_constants, propagate_copies, eliminate_dead_code, merge_updates,
          sum_steps_together, fuse_temporaries, drop_orphan_comments, iterate_directly)
