"""fold_constants: constant arithmetic folded where value and type stay the same (stage: backend,
a pass).  Input: a generated FunctionDef; output: the same function with `2 - 1` -> `1`,
`x * 1` -> `x`, `a + -b` -> `a - b`, `e + e` -> `2 * e`, `(200.0 * e) * 2` -> `400.0 * e`,
`1.0 * e` -> `e` where e holds floats, a rule's option tests (`None is None`) decided, and
`a[s] = a[s] + e` -> `a[s] += e`.  `fold(node)` folds one tree; the other passes call it where
they put a value into a new statement.
"""
import keyword
import math

import gast

from s2s_ad import runtime
from s2s_ad.base import syntax as S
from s2s_ad.rules import registry
from s2s_ad.backend.optimize.common import callee, is_helper, is_int, is_number, is_pure, plain_subscript
from s2s_ad.backend.optimize.floating import floating_of, is_floating, is_fresh


def fold_constants(node, keep=frozenset(), facts=None):
    node = fold(node, floating_of(node))
    if facts is not None:
        facts.forget_all()     # folding may change any statement
    return node


def fold(n, floating=frozenset()):
    """Fold the children of `n`, then `n` itself; returns what replaces `n`.  `floating` names
    hold floats (see floating_names), for which `1.0 * e` is `e`."""
    for field in _folded_fields(type(n)):
        value = getattr(n, field, None)
        if type(value) is list:
            for i, item in enumerate(value):
                if isinstance(item, gast.AST) and not _leaf(item):
                    value[i] = fold(item, floating)
        elif isinstance(value, gast.AST) and not _leaf(value):
            setattr(n, field, fold(value, floating))
    folder = _FOLDS.get(type(n))
    if folder is None:
        return n
    if folder is _fold_binop or folder is _fold_unaryop or folder is _fold_augassign:
        return folder(n, floating)
    return folder(n)


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
    if isinstance(call, gast.Call) and is_helper(call.func, "pow_slope") and \
            len(call.args) == 2 and not call.keywords:
        c = call.args[1]
        if isinstance(c, gast.Constant) and type(c.value) in (int, float) and c.value >= 1:
            return c.value
    return None


def _without_copy(e):
    """`e` for an operand `_ad.copy_of(e)` (see _fold_binop), else the operand itself."""
    if isinstance(e, gast.Call) and len(e.args) == 1 and not e.keywords and \
            callee(e.func) is runtime.copy_of:
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
    if is_number(left) and is_number(right):
        try:
            value = _EVAL[type(n.op)](left.value, right.value)
        except (KeyError, ArithmeticError, ValueError):
            return n
        return S.const(value)
    if isinstance(n.op, gast.Pow) and is_int(right, 1):
        return left
    if isinstance(n.op, gast.Mult) and is_number(left) and isinstance(right, gast.BinOp) and \
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
            if is_number(const) and type(const.value) is int and is_floating(other, floating):
                setattr(n, side, S.const(float(const.value)))
    if isinstance(n.op, gast.Mult) and is_number(right) and isinstance(left, gast.UnaryOp) and \
            isinstance(left.op, gast.USub):     # (-e) * c -> e * -c: the sign costs nothing there
        return gast.BinOp(left=left.operand, op=gast.Mult(), right=S.const(-right.value))
    if isinstance(n.op, gast.Mult) and is_number(left) and not is_number(right) and \
            _negated(right) is not None:  # c * (-e * f) -> -c * (e * f): no negation pass
        return gast.BinOp(left=S.const(-left.value), op=gast.Mult(), right=_negated(right))
    if isinstance(n.op, gast.Mult) and is_int(right, 1):
        return left
    if isinstance(n.op, gast.Mult) and is_int(left, 1):
        return right
    if isinstance(n.op, (gast.Add, gast.Sub)) and is_int(right, 0):
        return left
    if isinstance(n.op, gast.Add) and is_int(left, 0):
        return right
    if isinstance(n.op, gast.Add) and _same_tree(left, right) and is_pure(left):
        two = 2.0 if is_floating(left, floating) else 2        # (a float's 2.0: see above)
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
    if is_number(n.right) and isinstance(n.left, gast.BinOp):
        chain, b = n.left, n.right.value
    elif is_number(n.left) and isinstance(n.right, gast.BinOp):
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
        if is_number(factor):
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
    read = _attribute_read(n)
    if read is not None:
        return read
    # unbroadcast(-g, x) -> -unbroadcast(g, x), (-g).sum(axis=1) -> -g.sum(axis=1): negate
    # the reduced array, not the full one (a sum of negated terms is the negated sum)
    if is_helper(n.func, "unbroadcast") and len(n.args) == 2 and not n.keywords \
            and _negated(n.args[0]) is not None:
        n.args[0] = _negated(n.args[0])
        return gast.UnaryOp(op=gast.USub(), operand=n)
    if isinstance(n.func, gast.Attribute) and n.func.attr == "sum" and not n.args and \
            {k.arg for k in n.keywords} <= {"axis", "keepdims"} and \
            _negated(n.func.value) is not None:
        n.func.value = _negated(n.func.value)
        return gast.UnaryOp(op=gast.USub(), operand=n)
    return n


def _attribute_read(n):
    """`_ad.attribute(layer_dot, 'b')` -> `layer_dot.b`: the rules of an object's field give
    its tangent (and the cotangent of a field's cotangent) as this call, with the name of the
    field the primal reads, `layer.b`; the analysis reads `layer_dot.b` back as the same call
    (ops._attribute), so it prints as the primal does.  A name the analysis reads as
    something else (`.T`, `.shape`, `.flat`) never gets here, but is left as it is."""
    if not (is_helper(n.func, "attribute") and len(n.args) == 2 and not n.keywords):
        return None
    name = n.args[1]
    if not (isinstance(name, gast.Constant) and isinstance(name.value, str) and
            name.value.isidentifier() and not keyword.iskeyword(name.value)) or \
            name.value in registry.ATTRIBUTES or name.value in registry.CONSTANT_ATTRIBUTES or \
            name.value == "flat":
        return None
    return gast.Attribute(value=n.args[0], attr=name.value, ctx=gast.Load())


def _fold_compare(n):
    if len(n.ops) != 1:
        return n
    left, right, op = n.left, n.comparators[0], type(n.ops[0])
    if is_number(left) and is_number(right):
        try:
            return S.const(bool(_COMPARE[op](left.value, right.value)))
        except KeyError:
            return n
    # a rule's options, once given: `None is None`, `-1 is None`, `None == 'fro'`,
    # `0 in (1, 'T', 'C')` (solve_triangular's trans)
    if op in (gast.In, gast.NotIn) and _plain_constant(left) and \
            isinstance(right, gast.Tuple) and all(_plain_constant(e) for e in right.elts):
        found = left.value in [e.value for e in right.elts]
        return S.const(found if op is gast.In else not found)
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
    if isinstance(n.op, gast.Not) and isinstance(n.operand, gast.Constant) and \
            type(n.operand.value) is bool:
        return S.const(not n.operand.value)
    if not isinstance(n.op, gast.USub):
        return n
    operand = n.operand
    if is_number(operand):
        return S.const(-operand.value)
    if _negated(operand) is not None:     # -(-e * f) -> e * f
        return _negated(operand)
    if isinstance(operand, gast.BinOp) and isinstance(operand.op, gast.Mult):
        # -(2.0 * e) -> -2.0 * e: one array pass fewer
        if is_number(operand.left):
            return gast.BinOp(left=S.const(-operand.left.value), op=gast.Mult(),
                              right=operand.right)
        if is_number(operand.right):
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
    if not (is_floating(e, floating) and (operand or is_fresh(e) or sign < 0)):
        return n
    return e if sign > 0 else gast.UnaryOp(op=gast.USub(), operand=e)


def _is_float(n, value):
    return isinstance(n, gast.Constant) and type(n.value) is float and n.value == value


_FOLDS = {gast.BinOp: _fold_binop, gast.Compare: _fold_compare, gast.IfExp: _fold_ifexp,
          gast.BoolOp: _fold_boolop,
          gast.UnaryOp: _fold_unaryop, gast.Assign: _fold_assign, gast.AugAssign: _fold_augassign,
          gast.Call: _fold_call}

_COMPARE = {gast.Eq: lambda a, b: a == b, gast.NotEq: lambda a, b: a != b,
            gast.Lt: lambda a, b: a < b, gast.Gt: lambda a, b: a > b}

_EVAL = {gast.Add: lambda a, b: a + b, gast.Sub: lambda a, b: a - b,
         gast.Mult: lambda a, b: a * b, gast.Pow: lambda a, b: a ** b}


def _in_place(stmt):
    """`a[s] = a[s] + e` -> `a[s] += e` where s has a slice: `a[s]` is then a view of an array
    (updated in place, as the assignment would) or a new list (extended, then assigned back),
    never an object shared with other names."""
    if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
            and plain_subscript(stmt.targets[0]) and isinstance(stmt.value, gast.BinOp)
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
    if is_number(n) and n.value < 0:
        return S.const(-n.value)
    if isinstance(n, gast.BinOp) and isinstance(n.op, (gast.Mult, gast.Div)):
        left = _negated(n.left)
        if left is not None:
            return gast.BinOp(left=left, op=n.op, right=n.right)
        right = _negated(n.right)
        if right is not None:
            return gast.BinOp(left=n.left, op=n.op, right=right)
    return None
