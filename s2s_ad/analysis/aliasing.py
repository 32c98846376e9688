"""Writes into arrays: which arrays a function writes into, and which writes it must refuse.

    check_writes(fn, ops, kinds) -> set of parameters the function writes into

Stage: analysis, called by the transforms before they differentiate a function.
Input: a function in SSA form, its ops and kinds.  Output: the parameters it writes into (lists
appended to or popped from included), or an UnsupportedSyntaxError at the write it refuses.

`a[i] = v` changes the array object `a` names.  Reverse mode restores the overwritten part from
the tape, so every variable still reads what it read in the forward sweep; the adjoints of `a`
and `v` are updated in place.  That is exact as long as no *view* of the array (a slice, a
reshape, a transpose) made before the write is read after it: then one value would have two
adjoints that the compiler cannot keep apart, so such a write is refused at transform time.
A parameter the function writes into is copied on entry by the derivative code, which
therefore never modifies the caller's arrays.  What a value may share comes from sharing, the
order in which statements run and which names hold one array from alias_flow.
"""
import gast

from s2s_ad.analysis.activity import rebinds, simple_statements
from s2s_ad.analysis.alias_flow import (aliases_before, control_flow, copies_of, reads_across,
                                        reads_after, user_lists)
from s2s_ad.analysis.bindings import (bindings, container_of, definitions, display_items,
                                      list_displays, makes_new_array, name_uses)
from s2s_ad.analysis.ops import hashable, is_user_function
from s2s_ad.analysis.sharing import (Scope, item_sources, may_be_view, returns_fresh_items,
                                     view_sources)
from s2s_ad.base import syntax as S
from s2s_ad.base.errors import UnsupportedSyntaxError
from s2s_ad.base.naming import is_temporary
from s2s_ad.rules import registry


def check_writes(fn, ops, kinds):
    """Raise for writes the compiler cannot differentiate; return the parameters written into
    (lists appended to or popped from included)."""
    order = list(simple_statements(fn.node.body))
    position = {id(s): k for k, s in enumerate(order)}
    defs = definitions(order, ops)
    uses = None      # name -> the statements that read it, found at the first write
    aliases = None   # (the same, aliases_before)
    lists = list_displays(ops, order)
    written = set()
    bases_written = {base for w in order for base in _written_bases(ops[id(w)])}
    for w in order:
        op = ops[id(w)]
        for base in _written_bases(op):
            if uses is None:
                uses = name_uses(order)
            params, views = _roots(base, fn, ops, kinds, defs, set(), lists, uses)
            if views:
                raise _view_error(fn, w, base, views[0], ops, kinds, defs)
            written |= params
            _check_live_views(fn, w, base, order, position, ops, kinds, lists, uses)
            if aliases is None:
                aliases = aliases_before(fn, order, ops, defs, bases_written)
            _check_live_copies(fn, w, base, aliases, position, uses)
    return written | updated_lists(fn, ops)


def updated_lists(fn, ops):
    """The parameters a function appends to or pops from (`lst.append(v)`, `v = lst.pop()`):
    the caller's list changes (a tape that a generated gradient hands its callee's forward
    and backward halves)."""
    return {op.args[0].id for op in ops.values() if op.kind in ("append", "pop")
            and isinstance(op.args[0], gast.Name) and op.args[0].id in fn.params}


def _written_bases(op):
    """The names a statement writes into: `a[i] = v` writes into a; a call writes into the
    arguments its callee writes into.  (Lists appended to or popped from: updated_lists.)"""
    if op.kind in ("append", "pop"):
        return []
    return [op.args[0].id] if op.kind == "setitem" else op.writes


def _view_error(fn, write, base, view, ops, kinds, defs):
    what = "an item of a container or an indexed value" if is_temporary(base) else f"'{base}'"
    if _takes_item(view, ops, kinds, defs):
        why = (f"writing into {what}, an item of a tuple or list, which may be another name for "
               f"an array (an argument, or one the container still holds)")
    else:
        why = f"writing into {what}, which may be a view of another array"
    return fn.error(write, why, "Write into a copy: `name = name.copy()` first, or build the "
                                "array with np.zeros.", kind=UnsupportedSyntaxError)


def _roots(name, fn, ops, kinds, defs, seen, lists, uses):
    """(parameters, views) the array `name` may be: followed back through copies.  An item of
    a container counts as a view (it may be an argument, or the container may be read again),
    unless it is a fresh array only `name` reaches (_private_item)."""
    if name in seen:
        return set(), []
    seen.add(name)
    params, views = set(), []
    if name in fn.params:
        params.add(name)
    for d in defs.get(name, []):
        op = ops[id(d)]
        items = display_items(d, name, ops, defs, fn.params)
        if op.kind == "copy" or items is not None:
            for atom in op.args[:1] if items is None else items:
                if isinstance(atom, gast.Name):
                    p, v = _roots(atom.id, fn, ops, kinds, defs, seen, lists, uses)
                    params |= p
                    views += v
        elif _private_item(d, ops, defs, uses):
            continue
        elif op.kind == "unpack" or may_be_view(op, kinds, lists, name):
            views.append(d)
    return params, views


def _takes_item(stmt, ops, kinds, defs):
    """Whether `stmt` takes an item of a tuple or list (not a view of an array)."""
    r = container_of(stmt, ops)
    if r is None:
        return False
    made = [ops[id(d)] for d in defs.get(r, [])]
    return ops[id(stmt)].kind == "unpack" or kinds.get(r) == "container" or any(
        op.kind == "pack" or (op.kind == "call" and is_user_function(op.fn)) for op in made)


def _private_item(stmt, ops, defs, uses):
    """Whether `stmt` (`v = r[k]` or `p, v = r`) binds an array that nothing else reaches: r is
    the result of a call to a user function that returns a tuple or list of arrays it made
    (returns_fresh_items), and this statement is r's only reader (`g(x, a)[1]` in the source)."""
    r = container_of(stmt, ops)
    if r is None or len(defs.get(r, [])) != 1 or uses.get(r) != [stmt]:
        return False
    op = ops[id(defs[r][0])]
    return op.kind == "call" and returns_fresh_items(op.fn)


def _check_live_views(fn, write, base, order, position, ops, kinds, lists, uses):
    """Refuse if a view of `base` made before `write` (or anything holding one: a tuple, an
    item of it, a view of the view) is read after it."""
    user_list = user_lists(fn)
    family = copies_of(base, ops, order, fn.params, user_list)
    loops = _loops(fn.node.body)
    scope = Scope(fn, ops, kinds, definitions(order, ops), lists)
    flow, made_new = control_flow(fn.node.body), _made_new(base, order, ops)
    views = {}            # name -> the statements that bind it to a view
    changed = True
    while changed:
        changed = False
        for s, n in bindings(order, ops):
            if n in family or s in views.get(n, ()) or _taken_out(s, family, ops) or \
                    (ops[id(s)].kind == "append" and
                     (not user_list(n) or not _reaches_unmade(s, write, made_new, flow))):
                continue
            if any(src in family or src in views for src in view_sources(s, n, scope)):
                views.setdefault(n, []).append(s)
                changed = True
    for view, made in views.items():
        # A name bound again after the write (a generated gradient's `_t2 = y[j]` in its
        # reverse sweep, beside the forward sweep's) reads the array as written
        stale = reads_across(view, write, flow, (), order, uses, starts=made)
        for reader in sorted(stale, key=lambda r: position[id(r)]):
            if reader is write or _appends_to(reader, view, ops) or \
                    _takes_other_items(reader, family, views, scope) or \
                    _without_derivative(reader, ops):
                continue
            s = next((m for m in made if _live_across(m, write, reader, position, loops)),
                     made[0])
            shown = f" '{view}'" if not is_temporary(view) else ""
            raise fn.error(
                write, f"'{base}' is written here while a view{shown} of it, made "
                f"at line {s.lineno}, is still read at line {reader.lineno}",
                "Copy the view first (`.copy()`), or finish using it before the write.",
                kind=UnsupportedSyntaxError)


def _loops(stmts, enclosing=(), out=None):
    """{id(simple statement): the loops (outermost first) that contain it}."""
    out = {} if out is None else out
    for s in stmts:
        if isinstance(s, (gast.Assign, gast.Expr)):
            out[id(s)] = enclosing
            continue
        inner = enclosing + (id(s),) if isinstance(s, (gast.For, gast.While)) else enclosing
        for field in ("body", "orelse"):
            _loops(getattr(s, field, None) or [], inner, out)
    return out


def _around(first, second, loops):
    """The innermost loop around both statements, or None."""
    common = [l for l in loops[id(first)] if l in loops[id(second)]]
    return common[-1] if common else None


def _live_across(made, write, reader, position, loops):
    """Whether `reader` may read the value `made` made before `write` ran: made before the
    write and read after it, or read in the next pass of a loop around the write that does not
    make the value again, or read before it is made (a value of the loop's previous pass)."""
    if made is write:     # `z = g(y)`, g writing into y and returning it: made after
        return False
    m, w, r = position[id(made)], position[id(write)], position[id(reader)]
    if r <= m:
        return True
    if m > w:
        return False
    if r > w:
        return True
    loop = _around(write, reader, loops)
    return loop is not None and loop not in loops[id(made)]


def _made_new(base, order, ops):
    """The ids of the statements that bind `base` to a new array (`v = a * 1.0`)."""
    return {id(s) for s in order if base in rebinds(s) and ops[id(s)].kind == "call" and
            makes_new_array(ops[id(s)])}


def _reaches_unmade(stmt, write, made_new, flow):
    """Whether some path runs from `stmt` to `write` without passing a statement of `made_new`:
    else what `lst.append(v)` at `stmt` put in the list is no array the write changes (the
    append runs after the write, or the array written is made after the append: a generated
    tape saving the previous pass's array)."""
    successors, _ = flow
    todo, seen = list(successors[id(stmt)]), set()
    while todo:
        n = todo.pop()
        if n == id(write):
            return True
        if n in seen or n in made_new:
            continue
        seen.add(n)
        todo += successors.get(n, ())
    return False


def _taken_out(stmt, lists, ops):
    """Whether `stmt` pops an item off one of `lists`: the list written into (appended to, or a
    callee's tape) no longer holds it, and what the list does next leaves it alone."""
    op = ops[id(stmt)]
    return op.kind == "pop" and getattr(op.args[0], "id", None) in lists


def _appends_to(stmt, name, ops):
    """Whether `stmt` is `name.append(v)`: it adds to the list, and reads none of its items."""
    op = ops[id(stmt)]
    return op.kind == "append" and getattr(op.args[0], "id", None) == name


def _without_derivative(reader, ops):
    """Whether `reader` calls a function with no derivative (`_ad.zeros_like(t)` in a generated
    gradient, np.shape): the values it reads carry no adjoint that a write could split."""
    op = ops[id(reader)]
    return op.kind == "call" and hashable(op.fn) and not isinstance(op.fn, str) and \
        registry.is_nondifferentiable(op.fn)


def _takes_other_items(reader, family, views, scope):
    """Whether `reader` only takes items of a user function's tuple that share no memory with
    the array written (`r = t[1]` of `t = pair(a, x)`, whose item 0 alone is a)."""
    if not isinstance(reader, gast.Assign) or isinstance(reader.targets[0], gast.Subscript):
        return False
    for n in S.names_in(reader.targets[0], gast.Store):
        items = item_sources(reader, n, scope)
        if items is None or any(src in family or src in views for src in items):
            return False
    return True


def _check_live_copies(fn, write, base, aliases, position, uses):
    """Refuse if another name for the array `base` (`b = a`: one array, two names) is read
    after `write` before it is bound again: the write changes what it reads, while its
    derivative would still flow to the value before the write.  `aliases`: aliases_before,
    which names may hold the array `base` holds at the write."""
    flow, before = aliases
    others = {n for pair in before.get(id(write), ()) if base in pair for n in pair}
    for other in sorted(n for n in others if isinstance(n, str) and n != base):
        stale = reads_after(other, write, flow, uses)
        if stale:
            reader = min(stale, key=lambda s: position[id(s)])
            raise fn.error(
                write, f"writing into '{base}', which is the same array as '{other}', read "
                       f"after this write at line {reader.lineno}",
                f"Write into a copy (`{base} = {other}.copy()`), or read '{base}' instead "
                f"of '{other}' after the write.", kind=UnsupportedSyntaxError)
