"""Bindings: which statements of a function in SSA form bind, read, and take items of each name.

Stage: analysis, read by the alias analyses (sharing, alias_flow, aliasing).
Input: the simple statements of an SSA function, in order, and their ops (`ops.describe`).
Output: plain facts about names, one function each:

    definitions(order, ops) -> {name: the statements that bind it}
    name_uses(order)        -> {name: the statements that read it}
    display_items(stmt, name, ops, defs, params) -> the atoms `name = r[k]` may be, r a tuple
    makes_new_array(op)     -> whether an operation's result is a new array (no view)
"""
import gast
import numpy as np

from s2s_ad.analysis.activity import rebinds
from s2s_ad.analysis.ops import BINOPS, UNARYOPS, hashable
from s2s_ad.base import syntax as S
from s2s_ad.rules import registry


def list_displays(ops, order):
    """The names bound to a list display (`idx = [1, 0]`)."""
    return {s.targets[0].id for s in order if isinstance(s, gast.Assign) and
            isinstance(s.targets[0], gast.Name) and ops[id(s)].kind == "pack" and
            ops[id(s)].name == "list"}


def definitions(order, ops):
    """{name: the statements that bind it, in order} (bindings)."""
    defs = {}
    for s, n in bindings(order, ops):
        defs.setdefault(n, []).append(s)
    return defs


def bindings(order, ops):
    """(statement, name) for each name each statement binds, in order: plain assignments and
    unpackings (`p, b = t`), and `lst.append(v)`, which keeps the name lst but makes the list
    hold v as well (view_sources)."""
    for s in order:
        for n in rebinds(s):
            yield s, n
        if ops[id(s)].kind == "append" and isinstance(ops[id(s)].args[0], gast.Name):
            yield s, ops[id(s)].args[0].id


def name_uses(order):
    uses = {}
    for s in order:
        for n in S.walk(s):
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load):
                uses.setdefault(n.id, []).append(s)
    return uses


def container_of(stmt, ops):
    """The container `r` that `v = r[k]` or `p, v = r` takes an item of, else None."""
    op = ops[id(stmt)]
    if op.kind in ("index", "unpack") and isinstance(op.args[0], gast.Name):
        return op.args[0].id
    return None


def item_number(stmt, name, op):
    """k for `name = r[k]` (a constant k) or `..., name, ... = r` (name at position k)."""
    if op.kind == "index":
        return op.index.value if isinstance(op.index, gast.Constant) else None
    elts = stmt.targets[0].elts
    if not all(isinstance(e, gast.Name) for e in elts):
        return None
    return next((k for k, e in enumerate(elts) if e.id == name), None)


def display_items(stmt, name, ops, defs, params):
    """For `name = r[k]` (a constant k) or `..., name, ... = r`, where every binding of r is a
    tuple display of one length (`r = (a, v)`; `v, a = a, v` is such a pair): the atoms at
    position k of those displays.  `name` is one of them, no view: a tuple cannot change, so
    its items are the values put in it.  None otherwise (r an argument, a list, a result)."""
    r = container_of(stmt, ops)
    return None if r is None else \
        tuple_display_items(r, item_number(stmt, name, ops[id(stmt)]), ops, defs, params)


def tuple_display_items(r, k, ops, defs, params):
    """The atoms at position k of the tuple displays that bind r, where every binding of r is
    one, all of one length; else None."""
    ds = defs.get(r, [])
    if r in params or not ds or type(k) is not int:
        return None
    displays = [ops[id(d)] for d in ds]
    if any(op.kind != "pack" or op.name != "tuple" or
           any(isinstance(a, gast.Starred) for a in op.args) for op in displays) or \
            len({len(op.args) for op in displays}) != 1:
        return None
    if not -len(displays[0].args) <= k < len(displays[0].args):
        return None
    return [op.args[k] for op in displays]


def makes_new_array(op):
    """An arithmetic operator, a NumPy ufunc without `out=`, or a function that builds a new
    array: the result is no view and no argument (np.asarray, np.reshape ... may be either)."""
    fn = op.fn
    if not hashable(fn) or isinstance(fn, str) or "out" in op.kwargs:
        return False
    return isinstance(fn, np.ufunc) or fn in _OPERATORS or registry.fact(fn, "fresh")


_OPERATORS = set(BINOPS.values()) | set(UNARYOPS.values())
