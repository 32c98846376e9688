"""propagate_copies: a copy goes into the uses of its name (stage: backend, a pass).  Input: a
generated FunctionDef; output: the function with `a = b; ... a ...` -> `... b ...` where b
keeps its value up to a's last use, `a = 1.0` (and a temporary `_t0 = (2, 4)`) put into
(and folded in) its uses, `a = -b` where the sign then folds away (`c + a * d` ->
`c - b * d`), `b = e; ...; a = b` -> `a = e` for a temporary b, and `a = b; ...; a = a + e`
-> `a = b + e`.
"""
import gast

from s2s_ad.base import syntax as S
from s2s_ad.base.naming import generated_name
from s2s_ad.backend.optimize.common import is_name, replace_name
from s2s_ad.backend.optimize.facts import rewrite_until_done
from s2s_ad.backend.optimize.folding import fold


def propagate_copies(node, keep=frozenset(), facts=None):
    """`a = b` followed, in the same block, by the uses of a: use b there instead."""
    return rewrite_until_done(node, keep, _propagate_copy, facts)


def _propagate_copy(block, k, counts):
    loads, stores, fixed, facts = counts
    stmt = block[k]
    if not (isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)):
        return False
    if isinstance(stmt.value, gast.UnaryOp) and isinstance(stmt.value.op, gast.USub) and \
            isinstance(stmt.value.operand, gast.Name):
        return _propagate_negation(block, k, counts)
    if isinstance(stmt.value, gast.Constant) or _constant_tuple(stmt):
        return _propagate_constant(block, k, counts)
    if not isinstance(stmt.value, gast.Name):
        return False
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
            block[k + 1 + i] = replace_name(block[k + 1 + i], a, S.load(b))
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
            new = fold(replace_name(S.clone(use), a, minus_b), facts.floating)
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
               isinstance(n.op, gast.USub) and is_name(n.operand, name))


def _propagate_constant(block, k, counts):
    """`a = 1.0` (a number, or a tuple of constants (_constant_tuple), a never given again)
    followed in the same block by all its uses: the value goes there, and those statements
    are folded again (a gradient's seed `out_bar = 1.0` disappears into `2 * (out_bar * h)`
    -> `2 * h`)."""
    loads, stores, fixed, facts = counts
    stmt = block[k]
    a = stmt.targets[0].id
    if not (_constant_tuple(stmt) or type(stmt.value.value) in (int, float)) or \
            stores.get(a, 0) != 1 or a in fixed:
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
            block[i] = fold(replace_name(block[i], a, S.clone(stmt.value)), facts.floating)
    del block[k]
    stores[a] -= 1
    loads[a] = 0
    return True


def _constant_tuple(stmt):
    """`_t0 = ('a', 'b')`, `_t0 = (2, 4)`: a temporary the SSA form made for a tuple of
    constants (a record's field names, a shape).  It reads as well written where it is used;
    a user's name for one (`shape = (2, 4)`) says something, and stays."""
    value = stmt.value
    return isinstance(value, gast.Tuple) and generated_name(stmt.targets[0].id) and \
        all(isinstance(e, gast.Constant) for e in value.elts)


def _rename_definition(block, k, a, b, counts):
    """`b = e; ...; a = b` -> `a = e; ...` for a temporary b used only there, where the
    statements in between neither read nor write a: `_t0_dot = y_dot * x + y; y = y * x + c;
    y_dot = _t0_dot` -> `y_dot = y_dot * x + y; y = y * x + c`."""
    loads, stores, fixed, facts = counts
    if b in fixed or not generated_name(b) or stores.get(b) != 1 or loads.get(b) != 1:
        return False
    for j in range(k - 1, -1, -1):
        earlier = block[j]
        if isinstance(earlier, gast.Assign) and is_name(earlier.targets[0], b):
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
        if isinstance(later, gast.Assign) and is_name(later.targets[0], a) and reads == 1 \
                and isinstance(later.value, gast.BinOp) and is_name(later.value.left, a):
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
        is_name(stmt.targets[0], target) and is_name(stmt.value, source)
