"""eliminate_dead_code and drop_orphan_comments (stage: backend, passes).  Input: a generated
FunctionDef; output: the function without the pure assignments nobody reads, writes into arrays
nobody reads, empty branches and comments with nothing under them.  Effects stay: tape pushes
and pops, calls to user code, and writes into an array a caller may hold (an argument, a value
from the tape or from any call with effects).
"""
import gast

from s2s_ad.base import syntax as S
from s2s_ad.base.tape import is_tape_pop
from s2s_ad.backend.optimize.common import load_nodes, param_names
from s2s_ad.backend.optimize.facts import Facts


def eliminate_dead_code(node, keep=frozenset(), facts=None):
    """Remove computations whose results nothing uses, empty ifs and orphan comments.

    What is used: the returned value, the effects (tape pushes and pops, calls to user code,
    `print`), the tests of branches and loops, and, transitively, what computes them.  A write
    into an array (`a[i] = v`) is kept while the array is used; names that may share one array
    (`b = a`, `b = a[1:]`) are used together.
    """
    facts = facts or Facts()      # nothing here changes a statement that stays
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
    live = set(param_names(node))     # a write into an argument is seen by the caller
    # and so is a write into a value taken from the tape: the caller's array, restored (the
    # generator marks its pops, see base.tape)
    live.update(n for s in S.statements(node) if isinstance(s, gast.Assign) and
                is_tape_pop(s.value) for n in S.names_in(s.targets[0], gast.Store))
    implies = {}     # name -> sets of names that are live when it is
    sharing = []     # (a, b): a may be b's array (a copy, a slice, an attribute)
    written_into = set()    # arrays written into (`a[i] = v`) or updated in place (`a += v`)
    for s in S.statements(node):
        if isinstance(s, gast.Return) and s.value is not None:
            live.update(facts.loads(s))
        elif isinstance(s, (gast.If, gast.While)):
            live.update(n.id for n in load_nodes(s.test))
        elif isinstance(s, gast.For):
            live.update(n.id for n in load_nodes(s.iter))
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
        elif isinstance(s, gast.Assign) and _taken_from(s.value) is not None:
            # like an item (`v = lst[0]`), a value popped from a list may be an array someone
            # else holds (the caller's, which a user's list or a tape read back as source,
            # as hvp does, restores)
            sharing.extend((t, _taken_from(s.value))
                           for t in S.names_in(s.targets[0], gast.Store))
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


def _taken_from(value):
    """`lst` for a value `lst.pop()` (any list's: this only keeps writes), else None."""
    if isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) and \
            value.func.attr == "pop" and isinstance(value.func.value, gast.Name):
        return value.func.value.id
    return None


def _only_comments(stmts):
    return all(S.is_comment(s) or isinstance(s, gast.Pass) for s in stmts)


def _flat_targets(target):
    if isinstance(target, (gast.Tuple, gast.List)):
        return [t for e in target.elts for t in _flat_targets(e)]
    return [target]
