"""Alias flow: how control runs through a function, and which names hold one array where.

Stage: analysis, read by the write checks (aliasing).
Input: a function in SSA form (`break`, `continue` and `return` in loops lowered to flags), its
ops and the definitions of its names (bindings).
Output:

    control_flow(body)          -> (successors, entry): which node may run after which
    aliases_before(fn, ...)     -> the pairs of names that may hold one array before each node
    reads_after / reads_across  -> the statements that may read a name after a write
    copies_of(name, ...)        -> the names that may be the same array as `name`
    user_lists(fn)              -> which lists' popped items are the arrays appended to them
"""
import itertools

import gast

from s2s_ad.analysis.activity import rebinds
from s2s_ad.analysis.bindings import definitions, display_items, item_number
from s2s_ad.base import syntax as S
from s2s_ad.base.naming import is_generated


def control_flow(body):
    """How control may run through a function body in SSA form (`break`, `continue` and
    `return` in loops are lowered to flags): (successors, entry), where successors maps
    id(node) to the ids of the nodes that may run next, for every simple statement and every
    loop (its test or next item, where the body starts again or the loop ends), and entry holds
    the ids of the nodes that may run first."""
    successors = {}

    def block(stmts, after):
        for s in reversed(stmts):
            after = node(s, after)
        return after

    def node(s, after):
        if isinstance(s, (gast.Assign, gast.Expr)):
            successors[id(s)] = after
            return {id(s)}
        if isinstance(s, gast.If):
            return block(s.body, after) | block(s.orelse, after)
        if isinstance(s, (gast.For, gast.While)):
            successors[id(s)] = block(s.body, {id(s)}) | block(s.orelse, after)
            return {id(s)}
        return after        # `pass`, the final `return`

    return successors, block(body, set())


def aliases_before(fn, order, ops, defs, written):
    """(flow, {id(node): the pairs of names that may hold one array just before the node runs})
    for the statements and loops of `fn`: a forward data flow, so exact about which name holds
    which array where (`v, a = a, v` swaps two arrays: it gives neither a second name).  A
    second name for an array comes from a copy `b = a`, an item of a tuple display (the tuple's
    item k is the pseudo-name (r, k) while r holds it), or an item popped off a user's list (a
    pseudo-name (lst, None) for every array appended to it).  Views are the view checks' job;
    the arguments are distinct arrays (a written one is copied on entry).

    Only the pairs of a name in `written` are asked for, and a pair only ever joins names
    linked by copies (a copy's target and its sources, _copies_made): so the flow follows only
    the names linked, through copies, to a name written into.  (In generated code most copies
    are SSA's, of names never written: following them all made a Hessian's check take minutes.)"""
    successors, entry = control_flow(fn.node.body)
    nodes = {id(s): s for s in S.walk(fn.node)
             if isinstance(s, (gast.Assign, gast.Expr, gast.For, gast.While))}
    flow = (successors, entry, nodes)
    user_list = user_lists(fn)
    made = {id(s): _copies_made(s, ops, defs, fn.params, user_list) for s in order}
    linked = linked_to(written, made)
    made = {n: {t: srcs for t, srcs in m.items() if t in linked} for n, m in made.items()}
    # the names that may hold an array a written name holds: binding any other one changes
    # no pair that is asked for (most statements: a new temporary)
    relevant = linked | {z[0] for z in linked if isinstance(z, tuple)}
    before = {n: frozenset() for n in entry}
    todo = list(entry)
    while todo:
        n = todo.pop()
        after = _alias_step(nodes[n], before[n], made.get(n, {}), relevant)
        for m in successors[n]:
            joined = before.get(m, frozenset()) | after
            if m not in before or joined != before[m]:
                before[m] = joined
                todo.append(m)
    return flow, before


def linked_to(names, made):
    """The names (and pseudo-names) linked to one of `names` through the copies `made`
    ({node: {target: sources}}), in either direction."""
    edges = {}
    for m in made.values():
        for t, srcs in m.items():
            for src in srcs:
                edges.setdefault(t, set()).add(src)
                edges.setdefault(src, set()).add(t)
    linked, todo = set(), [n for n in names if n in edges]
    while todo:
        n = todo.pop()
        if n not in linked:
            linked.add(n)
            todo += edges[n]
    return linked


def _copies_made(stmt, ops, defs, params, user_list):
    """{name or pseudo-name: the names whose arrays it becomes} at `stmt` (aliases_before):
    a copy's target, an item of a tuple display (and the display's items), an item popped off
    a user's list, the list a user's `lst.append(v)` adds v to."""
    op = ops[id(stmt)]
    if op.kind == "append" and isinstance(op.args[0], gast.Name):
        if not user_list(op.args[0].id):
            return {}
        return {(op.args[0].id, None): [a.id for a in op.args[1:] if isinstance(a, gast.Name)]}
    made = {}
    for t in rebinds(stmt):
        sources = _copy_sources(stmt, t, op, ops, defs, params, user_list)
        if sources:
            made[t] = sources
    if op.kind == "pack" and op.name == "tuple":
        r = stmt.targets[0].id
        made.update({(r, k): [a.id] for k, a in enumerate(op.args) if isinstance(a, gast.Name)})
    return made


def _alias_step(node, pairs, made, relevant):
    """The pairs of names that may hold one array after `node`, given `pairs` before it and
    what it makes (_copies_made).  A list appended to still holds what it held before."""
    bound = {b for b in _bound_by(node) if b in relevant}
    if not bound and not made:
        return pairs
    kept = _unbound(pairs, bound)
    for t, srcs in made.items():
        kept |= {frozenset({t, z}) for src in srcs for z in _same(pairs, src)
                 if not _rebound(z, bound) and z != t}
    for t, u in itertools.combinations(made, 2):    # two made from one array (`p, q = r`
        if any(frozenset({a, b}) in pairs or a == b      # of `r = (a, a)`)
               for a in made[t] for b in made[u]):
            kept |= {frozenset({t, u})}
    return kept


def _rebound(name, bound):
    """Whether `name` (or the tuple whose item it names) is among the names `bound`."""
    return name in bound or isinstance(name, tuple) and name[0] in bound


def _unbound(pairs, names):
    """`pairs` without those of the names bound again (and of the items of a tuple so bound)."""
    if not names:
        return pairs
    names = set(names)
    return frozenset(p for p in pairs if not any(_rebound(z, names) for z in p))


def _same(pairs, name):
    """`name` and the names that may hold its array."""
    return {name} | {z for p in pairs if name in p for z in p}


def _copy_sources(stmt, target, op, ops, defs, params, user_list):
    """The names (or pseudo-names, see aliases_before) whose array `target` becomes."""
    if op.kind == "copy":
        return [op.args[0].id] if isinstance(op.args[0], gast.Name) else []
    if op.kind == "pop" and isinstance(op.args[0], gast.Name) and user_list(op.args[0].id):
        return [(op.args[0].id, None)]
    items = display_items(stmt, target, ops, defs, params)
    if items is None:
        return []
    r = op.args[0].id
    size = len(ops[id(defs[r][0])].args)
    return [(r, item_number(stmt, target, op) % size)]


def reads_after(name, write, flow, uses):
    """The statements that may read `name` after `write`, before `name` is bound again."""
    successors = flow[0]
    if name in rebinds(write):
        return []
    readers = {id(s): s for s in uses.get(name, []) if s is not write}
    binds = _binders(name, flow)
    todo, seen, stale = list(successors[id(write)]), set(), []
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        if n in readers:
            stale.append(readers[n])
        if n not in binds:
            todo += successors[n]
    return stale


def _binders(name, flow):
    """The ids of the nodes of `flow` that bind `name` (an assignment, a loop's target)."""
    _, _, nodes = flow
    return {i for i, s in nodes.items() if name in _bound_by(s)}


def _bound_by(node):
    if isinstance(node, gast.For):
        return S.names_in(node.target, gast.Store)
    return rebinds(node)


def reads_across(name, write, flow, params, order, uses, starts=None):
    """The statements that may read `name` after `write` with the value `name` was bound to
    before it: along some path from a binding of `name` (an assignment, the entry for a
    parameter; `starts`: only these assignments) through `write` to the reader, on which
    `name` is not bound again."""
    successors, entry = flow
    binds = {id(s) for s in order if name in rebinds(s)}
    readers = {id(s): s for s in uses.get(name, []) if s is not write}
    starts = binds if starts is None else {id(s) for s in starts}
    todo = [(n, False) for b in starts for n in successors[b]]
    if name in params:
        todo += [(n, False) for n in entry]
    seen, stale = set(), []
    while todo:
        n, after = todo.pop()
        if (n, after) in seen:
            continue
        seen.add((n, after))
        if after and n in readers:
            stale.append(readers[n])
        if n in binds:
            continue        # bound again here: what follows reads the new value
        after = after or n == id(write)
        todo += [(m, after) for m in successors[n]]
    return stale


def user_lists(fn):
    """Which lists' popped items are the arrays appended to them (`items.append(A)`, then
    `B = items.pop()` is A itself): every list of the user's code.  In our own generated code
    the tape is left out: its pops restore values the forward sweep saved, which the second
    differentiation follows on its own (Analysed.restored_arrays).  The tape is the list the
    generator made (codegen.compile_function records it), whatever it is called: a user's list
    named `_tape` keeps its name in the generated code, and is the user's."""
    own = getattr(fn.parsed.fn, "__s2s_ad_lists__", frozenset()) \
        if is_generated(fn.parsed.filename) else frozenset()
    return lambda name: name not in own


def copies_of(name, ops, order, params, user_list):
    """`name` and every name that may be the same array: those that may hold an array `name` may
    hold.  Copies are followed from the name copied to the copy, not back: after `c = a` on one
    path and `c = b` on the other, c may be a or b, but a and b are two arrays (a write into b
    made before the join is no write into a).  An item popped off a list (`user_list`) is a copy
    of each array appended to it."""
    appended = {}                 # list -> the names appended to it
    for s in order:
        op = ops[id(s)]
        if op.kind == "append" and isinstance(op.args[0], gast.Name) and \
                user_list(op.args[0].id):
            appended.setdefault(op.args[0].id, set()).update(
                a.id for a in op.args[1:] if isinstance(a, gast.Name))
    sources, made = {}, set()     # name -> the names it is a copy of; names made otherwise
    defs = definitions(order, ops)
    for s, target in ((s, t) for s in order for t in rebinds(s)):
        op = ops[id(s)]
        items = display_items(s, target, ops, defs, params)
        if op.kind == "copy" and isinstance(op.args[0], gast.Name):
            sources.setdefault(target, set()).add(op.args[0].id)
        elif items is not None:
            sources.setdefault(target, set()).update(a.id for a in items
                                                     if isinstance(a, gast.Name))
            if not all(isinstance(a, gast.Name) for a in items):
                made.add(target)
        elif op.kind == "pop" and appended.get(getattr(op.args[0], "id", None)):
            sources.setdefault(target, set()).update(appended[op.args[0].id])
        else:
            made.add(target)
    names = {name} | set(sources) | {n for ns in sources.values() for n in ns}
    # name -> the arrays (names not made by a copy) it may be; to a fixed point (loops)
    arrays = {n: {n} if n in made or n not in sources else set() for n in names}
    changed = True
    while changed:
        changed = False
        for target, copied in sources.items():
            for source in copied:
                if not arrays[source] <= arrays[target]:
                    arrays[target] |= arrays[source]
                    changed = True
    return {n for n in names if arrays[n] & arrays[name]}
