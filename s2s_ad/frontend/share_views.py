"""Share views: a view taken again is a copy of the first one.

    share_views(node) -> None (node changed in place)

Stage: front end, run by to_ssa on the function it has just put in SSA form.
Input: a function in SSA form.  Output: the same function where `_tN = name[index]`, taken
again with nothing between that may change name, its index or any array, is `_tN = _tM`.
"""

import gast

from s2s_ad.base import syntax as S
from s2s_ad.base.naming import is_temporary
from s2s_ad.frontend.reads_writes import names_written


def share_views(node):
    """A view taken again (`_t6 = x[:-1]` after `_t1 = x[:-1]`, with no assignment to x or
    its index and nothing that may write into an array in between) becomes a copy of the
    first (`_t6 = _t1`): the two are views of the same elements (or equal numbers), so nothing
    can tell them apart but their identity, which temporaries do not show.  Their cotangents
    then meet before going back into x, in one update of x's adjoint."""
    for block in _statement_lists(node):
        seen = {}       # the text of a view -> the temporary holding it
        for stmt in block:
            view = _view_of(stmt)
            if view is None and not seen:
                continue        # nothing to remember, nothing to forget (most statements)
            if _may_write_arrays(stmt):   # an element read again may differ: start afresh
                seen.clear()
                continue
            if view is not None:
                key = gast.dump(stmt.value)
                if key in seen:
                    stmt.value = S.load(seen[key])
                    continue
            stored = names_written([stmt])
            seen = {key: name for key, name in seen.items()
                    if name not in stored and not _mentions(key, stored)}
            if view is not None:
                seen[gast.dump(stmt.value)] = stmt.targets[0].id


def _view_of(stmt):
    """`_tN = name[index]` with a basic index of atoms and slices (the result is a view, or a
    number): the temporary, else None."""
    if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and
            isinstance(stmt.targets[0], gast.Name) and is_temporary(stmt.targets[0].id) and
            isinstance(stmt.value, gast.Subscript) and isinstance(stmt.value.value, gast.Name)):
        return None
    index = stmt.value.slice
    parts = index.elts if isinstance(index, gast.Tuple) else [index]
    for part in parts:
        bounds = (part.lower, part.upper, part.step) if isinstance(part, gast.Slice) else (part,)
        if not all(b is None or isinstance(b, (gast.Name, gast.Constant)) for b in bounds):
            return None
    return stmt.targets[0].id


def _may_write_arrays(stmt):
    """Anything but an assignment to names of a value without calls (`a[i] = v`, `a.fill(0)`,
    a loop or branch) may write into an array."""
    return not (isinstance(stmt, gast.Assign) and
                all(isinstance(t, (gast.Name, gast.Tuple)) for t in stmt.targets) and
                not S.nodes_of(stmt.value, gast.Call))


def _mentions(key, names):
    return any(f"id='{n}'" in key for n in names)


def _statement_lists(node):
    """The body of `node` and every statement list nested in it."""
    lists = [node.body]
    for stmt in S.statements(node):
        for field in ("body", "orelse"):
            block = getattr(stmt, field, None)
            if stmt is not node and isinstance(block, list) and block:
                lists.append(block)
    return lists
