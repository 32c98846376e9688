"""keep_unchanged_parts: a part of an adjoint that is cleared and then given back the value it
held is left as it is (stage: backend, a pass).  Input: a generated FunctionDef; output: the
function with

    g = _ad.copy_of(a_bar[i, j])        g = _ad.copy_of(a_bar[i, j])
    a_bar[i, j] = 0.0                   ...
    ...                         ->
    a_bar[i, j] += g

The adjoint of an update `a[i, j] -= e` (SSA: `t = a[i, j]; a[i, j] = t - e`) takes the part's
cotangent g and clears the part (the write's adjoint), then adds g back (the adjoint of reading
`a[i, j]` for `t`): three array accesses per step of a loop, where none is needed.

Why the result is the same.  The clear is marked by the generator (base.owned): a_bar holds an
array no other live name refers to, so the part is reached only through a_bar.  Between the
clear and the add-back, the statements (all in the same block, none compound)

  * rebind neither a_bar, g nor a name the index reads, so `a_bar[i, j]` is the same part of
    the same array at both ends, and g the same value;
  * use a_bar only as the target of `a_bar[s] += e` with e and s not reading a_bar: nothing
    reads the part (which would see 0.0 where the part is kept), and every change of it is an
    addition;
  * write into nothing through g (`g[k] = ...`, `g += ...`) and call only pure functions (and
    the tape), so g still holds the part's old value at the add-back.

So the part ends as old + e1 + ... + en either way (0.0 + e1 + ... + en + old before, the same
terms summed in another order: equal up to rounding).  g was taken by a copy, which the
additions in place do not change.
"""
import gast

from s2s_ad.base import syntax as S
from s2s_ad.base.owned import is_owned_clear
from s2s_ad.base.tape import is_tape_pop, is_tape_push
from s2s_ad.backend.optimize.common import is_helper, is_name, is_pure, plain_subscript


def keep_unchanged_parts(node, keep=frozenset(), facts=None):
    """Drop each marked clear of an adjoint's part and the add-back of its old value."""
    for block in S.blocks(node):
        k = 1
        while k < len(block):
            if _drop_clear(block, k, facts):
                continue        # block[k] is the statement after the clear now
            k += 1
    return node


def _drop_clear(block, k, facts):
    clear, taken = block[k], block[k - 1]
    if not (is_owned_clear(clear) and isinstance(clear, gast.Assign) and
            plain_subscript(clear.targets[0]) and _is_copy_of_part(taken, clear.targets[0])):
        return False
    part = clear.targets[0]
    bar, g = part.value.id, taken.targets[0].id
    fixed = {bar, g} | set(S.names_in(part.slice, gast.Load))
    for j in range(k + 1, len(block)):
        stmt = block[j]
        if _adds_back(stmt, part, g):
            del block[j]
            del block[k]
            if facts is not None:
                facts.forget_all()
            return True
        if not _leaves_part(stmt, bar, g, fixed):
            return False
    return False


def _is_copy_of_part(stmt, part):
    """Is `stmt` `g = _ad.copy_of(<part>)`?"""
    return isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and \
        isinstance(stmt.targets[0], gast.Name) and isinstance(stmt.value, gast.Call) and \
        is_helper(stmt.value.func, "copy_of") and len(stmt.value.args) == 1 and \
        not stmt.value.keywords and _same(stmt.value.args[0], part)


def _adds_back(stmt, part, g):
    """Is `stmt` `<part> += g`?"""
    return isinstance(stmt, gast.AugAssign) and isinstance(stmt.op, gast.Add) and \
        is_name(stmt.value, g) and _same(stmt.target, part)


def _leaves_part(stmt, bar, g, fixed):
    """May `stmt` stand between the clear and the add-back (the module docstring)?"""
    if isinstance(stmt, gast.Expr) and S.is_comment(stmt):
        return True
    if isinstance(stmt, gast.Expr) and is_tape_push(stmt):
        return not _reads(stmt, bar) and _g_in_arithmetic(stmt, g)
    if isinstance(stmt, gast.AugAssign):     # `x[s] += e`: x's part changes, nothing else
        target = stmt.target
        if not (plain_subscript(target) and is_pure(stmt.value)) or _reads(stmt.value, bar) \
                or _reads(target.slice, bar) or _reads(target.slice, g) or \
                target.value.id == g or not _g_in_arithmetic(stmt.value, g, whole=True):
            return False
        return isinstance(stmt.op, gast.Add) or target.value.id != bar
    if not isinstance(stmt, gast.Assign) or len(stmt.targets) != 1 or _reads(stmt, bar) or \
            not (is_tape_pop(stmt.value) or is_pure(stmt.value)):
        return False
    target = stmt.targets[0]
    if isinstance(target, gast.Subscript) and not plain_subscript(target):
        return False
    return not set(S.names_in(target, gast.Store)) & fixed and _g_in_arithmetic(stmt, g)


def _g_in_arithmetic(node, g, whole=False):
    """Is every read of g in `node` an operand of arithmetic (`-g`, `g * x`), which makes a new
    value, so that no name gets g's array or a view of it (`whole`: or node is g itself, the
    value `x[s] += g` adds into x)?"""
    if whole and is_name(node, g):
        return True
    inside = {id(child) for n in S.walk(node) if isinstance(n, (gast.BinOp, gast.UnaryOp))
              for child in gast.iter_child_nodes(n)}
    return all(id(n) in inside for n in S.walk(node) if is_name(n, g) and
               isinstance(n.ctx, gast.Load))


def _reads(node, name):
    return name in S.names_in(node, gast.Load)


def _same(a, b):
    return _structure(a) == _structure(b)


def _structure(node):
    """A node's structure, without its context (Load / Store) or position."""
    if isinstance(node, gast.AST):
        return (type(node).__name__,) + tuple(
            _structure(getattr(node, f, None)) for f in node._fields if f != "ctx")
    if isinstance(node, list):
        return tuple(_structure(n) for n in node)
    return node
