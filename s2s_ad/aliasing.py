"""Writes into arrays: which arrays a function writes into, and which writes it must refuse.

    check_writes(fn, ops) -> set of parameters the function writes into

`a[i] = v` changes the array object `a` names.  Reverse mode restores the overwritten part from
the tape, so every variable still reads what it read in the forward sweep; the adjoints of `a`
and `v` are updated in place.  That is exact as long as no *view* of the array (a slice, a
reshape, a transpose) made before the write is read after it: then one value would have two
adjoints that the compiler cannot keep apart, so such a write is refused at transform time.
A parameter the function writes into is copied on entry by the derivative code, which
therefore never modifies the caller's arrays.
"""
import gast
import numpy as np

from .activity import simple_statements
from . import syntax as S
from .errors import UnsupportedSyntaxError
from .naming import is_temporary

# NumPy functions whose result may share memory with their first argument.
VIEW_FUNCTIONS = {np.reshape, np.transpose, np.ravel, np.squeeze, np.expand_dims, np.swapaxes,
                  np.moveaxis, np.asarray, np.diagonal, np.broadcast_to, np.atleast_1d,
                  np.atleast_2d, np.atleast_3d, np.real, np.imag, np.flip, np.fliplr,
                  np.flipud, np.rot90}


def _is_view(op, kinds):
    if op.kind == "index":
        return kinds.get(getattr(op.args[0], "id", None)) != "scalars"
    return op.kind == "call" and op.fn in VIEW_FUNCTIONS


def check_writes(fn, ops, kinds):
    """Raise for writes the compiler cannot differentiate; return the parameters written into."""
    order = list(simple_statements(fn.node.body))
    position = {id(s): k for k, s in enumerate(order)}
    defs = {}
    for s in order:
        if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name):
            defs.setdefault(s.targets[0].id, []).append(s)
    uses = None      # name -> the statements that read it, found at the first write
    written = set()
    for w in order:
        op = ops[id(w)]
        if op.kind in ("append", "pop") and isinstance(op.args[0], gast.Name) and \
                op.args[0].id in fn.params:
            # `lst.append(v)`, `v = lst.pop()` change the caller's list (a tape that a
            # generated gradient hands its callee's forward and backward halves)
            written.add(op.args[0].id)
            continue
        # `a[i] = v` writes into a; a call writes into the arguments its callee writes into
        bases = [op.args[0].id] if op.kind == "setitem" else op.writes
        for base in bases:
            params, views = _roots(base, fn, ops, kinds, defs, set())
            if views:
                what = "an item of a container or an indexed value" if is_temporary(base) \
                    else f"'{base}'"
                raise fn.error(w, f"writing into {what}, which may be a view of another "
                                  f"array", "Write into a copy: `name = name.copy()` first, or "
                                  "build the array with np.zeros.", kind=UnsupportedSyntaxError)
            written |= params
            if uses is None:
                uses = _uses(order)
            _check_live_views(fn, w, base, order, position, ops, kinds, defs, uses)
            _check_live_copies(fn, w, base, order, position, ops, uses)
    return written


def _uses(order):
    uses = {}
    for s in order:
        for n in S.walk(s):
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load):
                uses.setdefault(n.id, []).append(s)
    return uses


def _roots(name, fn, ops, kinds, defs, seen):
    """(parameters, views) the array `name` may be: followed back through copies."""
    if name in seen:
        return set(), []
    seen.add(name)
    params, views = set(), []
    if name in fn.params:
        params.add(name)
    for d in defs.get(name, []):
        op = ops[id(d)]
        if op.kind == "copy":
            p, v = _roots(op.args[0].id, fn, ops, kinds, defs, seen)
            params |= p
            views += v
        elif _is_view(op, kinds):
            views.append(d)
    return params, views


def _check_live_views(fn, write, base, order, position, ops, kinds, defs, uses):
    """Refuse if a view of `base` made before `write` is read after it."""
    family = _copies_of(base, ops, order)
    at = position[id(write)]
    for s in order:
        op = ops[id(s)]
        if not _is_view(op, kinds) or not isinstance(s, gast.Assign):
            continue
        source = getattr(op.args[0], "id", None)
        if source not in family:
            continue
        view = s.targets[0].id
        made = position[id(s)]
        for reader in uses.get(view, []):
            read = position[id(reader)]
            if (made < at < read) or read <= made:
                raise fn.error(
                    write, f"'{base}' is written here while the view '{view}' of it, made "
                    f"at line {s.lineno}, is still read at line {reader.lineno}",
                    "Copy the view first (`.copy()`), or finish using it before the write.",
                    kind=UnsupportedSyntaxError)


def _check_live_copies(fn, write, base, order, position, ops, uses):
    """Refuse if another name for the array `base` (`b = a`: one array, two names) is read
    after `write`: the write changes what it reads, while its derivative would still flow to
    the value before the write."""
    at = position[id(write)]
    for other in sorted(_copies_of(base, ops, order) - {base}):
        for reader in uses.get(other, []):
            if position[id(reader)] > at:
                raise fn.error(
                    write, f"writing into '{base}', which is the same array as '{other}', read "
                           f"after this write at line {reader.lineno}",
                    f"Write into a copy (`{base} = {other}.copy()`), or read '{base}' instead "
                    f"of '{other}' after the write.", kind=UnsupportedSyntaxError)


def _copies_of(name, ops, order):
    """`name` and every name that is a plain copy of it (they are one array)."""
    family = {name}
    changed = True
    while changed:
        changed = False
        for s in order:
            op = ops[id(s)]
            if op.kind == "copy" and isinstance(s, gast.Assign) and \
                    isinstance(s.targets[0], gast.Name):
                a, b = s.targets[0].id, op.args[0].id
                if (a in family) != (b in family):
                    family |= {a, b}
                    changed = True
    return family
