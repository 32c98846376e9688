"""iterate_directly: desugar's index loop back to a loop over the sequence (stage: backend, a
pass).  Input: a generated FunctionDef; output: the function with `_n = len(xs); for _i in
range(_n): x = xs[_i]; ...` -> `for x in xs: ...` where nothing else needs the position and
the loop cannot change xs.
"""
import gast

from s2s_ad.base import syntax as S
from s2s_ad.backend.optimize.common import is_name, may_mutate, name_counts, stored_names


def iterate_directly(node, keep=frozenset(), facts=None):
    """Undo desugar's index loop where the index only fetches the element: Python iterates a
    sequence faster than it indexes one."""
    if not any(isinstance(s, gast.For) for s in S.statements(node)):
        return node
    loads, _ = name_counts(node)
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
            and isinstance(loop.iter, gast.Call) and is_name(loop.iter.func, "range")
            and len(loop.iter.args) == 1 and isinstance(loop.iter.args[0], gast.Name)
            and not loop.iter.keywords and loop.body):
        return None
    index, length, first = loop.target.id, loop.iter.args[0].id, loop.body[0]
    if not (isinstance(first, gast.Assign) and isinstance(first.targets[0], gast.Name)
            and isinstance(first.value, gast.Subscript) and isinstance(first.value.value, gast.Name)
            and is_name(first.value.slice, index)):
        return None
    seq = first.value.value.id
    if {index, length} & set(keep) or loads.get(index) != 1 or loads.get(length) != 1:
        return None
    for j in range(k - 1, -1, -1):
        stmt = block[j]
        if seq in stored_names(stmt) or may_mutate(stmt):
            return None
        if isinstance(stmt, gast.Assign) and is_name(stmt.targets[0], length):
            defined = stmt.value
            if isinstance(defined, gast.Call) and is_name(defined.func, "len") \
                    and len(defined.args) == 1 and is_name(defined.args[0], seq) \
                    and not any(may_mutate(s) or any(n.id == seq for n in S.walk(s)
                                                   if isinstance(n, gast.Name))
                                for s in loop.body[1:]):
                return j
            return None
    return None
