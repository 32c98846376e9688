"""Sharing: what memory a value may share with the function's parameters or other names.

Stage: analysis, read by the write checks (aliasing) and by forward mode (`may_be_view`).
Input: a function in SSA form, its ops and kinds; for a call of a user function, that
function, analysed here on its own (its summary is cached until ad.clear_cache).
Output:

    may_be_view(op, kinds)            -> whether a result may share memory with an operand
    argument_roots(name, fn, ops, kinds) -> the parameters whose memory `name` may share
    view_sources(stmt, name, scope)   -> the names whose memory the value bound there may share
    returned(fn), returns_argument(fn) -> what a user function's result may be or hold
    returns_fresh_items(fn)           -> whether it returns a tuple or list of new arrays

A value may share memory with another by being it (a copy), a view of it (a slice, a reshape),
holding it (an item of a tuple or list), or being what a called user function returns from it.
"""
import inspect
from dataclasses import dataclass

import gast

from s2s_ad import runtime as _runtime
from s2s_ad.analysis.activity import simple_statements
from s2s_ad.analysis.bindings import (container_of, definitions, item_number, list_displays,
                                      makes_new_array, name_uses, tuple_display_items)
from s2s_ad.analysis.kinds import infer_kinds
from s2s_ad.analysis.ops import bind_call, describe, is_user_function
from s2s_ad.base import syntax as S
from s2s_ad.base.errors import DifferentiationError
from s2s_ad.frontend.normalize import normalize
from s2s_ad.rules import registry


def may_be_view(op, kinds, lists=frozenset(), target=None):
    """Whether the result of `op`, assigned to `target`, may share memory with its first
    argument (a view, `astype` with copy=False), or, for a called user function, be one of its
    arguments or a view of one: else it is a new array.  `lists`: the names bound to a list
    display, which as an index select a copy (`a[[1, 0]]`)."""
    if op.kind == "index":
        if isinstance(op.index, gast.List) or getattr(op.index, "id", None) in lists:
            return False
        if kinds.get(target) == "scalar":     # an element of an array: a number, not a view
            return False
        return kinds.get(getattr(op.args[0], "id", None)) != "scalars"
    if op.kind != "call":
        return False
    if op.fn == "astype":       # `a.astype(t, copy=False)` is `a` itself when a has type t
        copy = op.kwargs.get("copy")
        return copy is not None and not (isinstance(copy, gast.Constant) and copy.value)
    if registry.fact(op.fn, "view"):       # np.reshape, np.real ...: may share its memory
        return True
    return returns_argument(op.fn)


@dataclass(frozen=True)
class Shared:
    """What a value may share memory with, as names: those it may be, be a view of, or hold
    (`held`), and for a tuple or list whose items are known, the same for each item (`items`).
    In a function's summary the names are its parameters; at a call, the caller's values."""
    held: frozenset = frozenset()
    items: tuple = None

    def item(self, k):
        """The Shared of item number `k`, or None where it is not known."""
        if self.items is None or type(k) is not int or not -len(self.items) <= k < len(self.items):
            return None
        return self.items[k]

    def renamed(self, names):
        """The same, each name n replaced by the names `names(n)`."""
        return Shared(frozenset(m for n in self.held for m in names(n)),
                      None if self.items is None else tuple(i.renamed(names) for i in self.items))

    def joined(self, other):
        """What either of two values may share (the paths that join at a copy)."""
        same = self.items is not None and other.items is not None and \
            len(self.items) == len(other.items)
        return Shared(self.held | other.held,
                      tuple(map(Shared.joined, self.items, other.items)) if same else None)


@dataclass(frozen=True)
class Returned:
    """What the result of a user function may share memory with, as its parameters' names."""
    whole: frozenset = frozenset()    # the result may be one of them, or a view of one
    value: Shared = Shared()          # ... or hold one, item by item where that is known:
    # `return p, b * 2.0` holds p as its item 0 and a new array as its item 1


_RETURNS = {}  # function -> its Returned (None while it is being found; ad.clear_cache forgets)


def returns_argument(fn):
    """Whether what the user function `fn` returns may be one of its arguments or a view of
    one (`def ident(v): return v`): writing into the result then writes into the argument."""
    return is_user_function(fn) and bool(returned(fn).whole)


def returned(fn):
    """The Returned of the user function `fn`."""
    if fn in _RETURNS:
        return _RETURNS[fn] or Returned()     # a recursive call: nothing known so far
    _RETURNS[fn] = None
    try:
        result = _returned(*_analysed_callee(fn))
    except DifferentiationError:   # a callee that cannot be read or analysed: it may return
        every = frozenset(_parameter_names(fn))   # any argument (safe: "may alias" only
        result = Returned(every, Shared(every))   # makes the caller's checks stricter)
    _RETURNS[fn] = result
    return result


def _parameter_names(fn):
    try:
        return list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return []


def _returned(ssa, ops):
    ret = ssa.node.body[-1]
    if not (isinstance(ret, gast.Return) and isinstance(ret.value, gast.Name)):
        return Returned()
    scope = Scope.of(ssa, ops, infer_kinds(ssa, ops, {}))
    name = ret.value.id
    return Returned(frozenset(argument_roots(name, ssa, ops, scope.kinds)),
                    _value(name, scope).renamed(lambda n: _held(n, scope)))


def argument_roots(name, fn, ops, kinds):
    """The parameters whose memory the value `name` may share (followed back through copies
    and views, and an item of a user function's tuple to the argument that item may be)."""
    scope = Scope.of(fn, ops, kinds)

    def sources(d, n):
        items = item_sources(d, n, scope)
        if items is not None:
            return items
        op = ops[id(d)]
        if op.kind in ("copy", "unpack") or may_be_view(op, kinds, scope.lists, n):
            args = op.args if op.kind == "call" and not registry.fact(op.fn, "view") \
                and op.fn != "astype" else op.args[:1]
            return [a.id for a in args if isinstance(a, gast.Name)]
        return []
    return _reached(name, scope, sources)


def view_sources(stmt, target, scope):
    """The names whose memory the value `target` bound by `stmt` may share: a view's array, a
    copy's value, a tuple's or list's items, an item of a container (of a user function's
    tuple: the argument that item may be), what a called user function's result may be or
    hold."""
    op = scope.ops[id(stmt)]
    items = item_sources(stmt, target, scope)
    if items is not None:
        return items
    if op.kind == "call" and is_user_function(op.fn):
        return sorted(_call_value(stmt, scope).held)
    if op.kind == "append":     # `lst.append(v)`: lst holds v too (and what it held before)
        return [a.id for a in op.args[1:] if isinstance(a, gast.Name)]
    if op.kind == "call" and op.fn in (list, tuple):    # a new container of the same items
        return [a.id for a in op.args[:1] if isinstance(a, gast.Name)]
    if op.kind == "call" and op.fn is _runtime.record:   # an object holding its fields' values
        return [a.id for a in op.args[2:3] if isinstance(a, gast.Name)]
    if op.kind in ("copy", "pack", "unpack", "pop") or \
            may_be_view(op, scope.kinds, scope.lists, target):
        args = op.args if op.kind in ("copy", "pack") else op.args[:1]
        return [a.id for a in args if isinstance(a, gast.Name)]
    return []


@dataclass
class Scope:
    """A function in SSA form with what the alias checks read of it."""
    fn: object
    ops: dict
    kinds: dict
    defs: dict           # name -> the statements that bind it (definitions)
    lists: set           # names bound to a list display (list_displays)

    @classmethod
    def of(cls, fn, ops, kinds):
        order = list(simple_statements(fn.node.body))
        return cls(fn, ops, kinds, definitions(order, ops), list_displays(ops, order))


def _reached(name, scope, sources):
    """The parameters `name` leads to, following `sources(stmt, n)` back from each statement
    `stmt` that binds a name `n` on the way (and the items of parameters, (t, k), that
    `sources` gives)."""
    found, todo, seen = set(), [name], set()
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        if n in scope.fn.params or isinstance(n, tuple):
            found.add(n)
        for d in scope.defs.get(n, []):
            todo += sources(d, n)
    return found


def _held(name, scope):
    """The parameters the value `name` may be, be a view of, or hold (as an item).  Item k of
    a tuple or list parameter t that the function only reads (`p, b = t`, `t[1]`) is (t, k):
    the caller knows which of its arrays that is (_call_value)."""
    def sources(stmt, n):
        item = _parameter_item(stmt, n, scope)
        return [item] if item is not None else view_sources(stmt, n, scope)
    return _reached(name, scope, sources)


def _parameter_item(stmt, name, scope):
    """(t, k) for `name = t[k]` (a constant k) or `..., name, ... = t`, where t is a parameter
    the function never binds again and only takes items of: else None."""
    op = scope.ops[id(stmt)]
    t = container_of(stmt, scope.ops)
    if t is None or t not in scope.fn.params or t in scope.defs:
        return None
    k = item_number(stmt, name, op)
    if type(k) is not int:
        return None
    for s in simple_statements(scope.fn.node.body):
        if t in S.names_in(s, gast.Load) and container_of(s, scope.ops) != t:
            return None     # written into, passed on, appended to ...: its items may change
    return t, k


def _value(name, scope, busy=frozenset()):
    """The Shared of the value `name` in the names of `scope`, through the copies that join
    paths: item by item for a tuple or list display, the result of a user function (from its
    summary), or an item of one of these; otherwise just `name` (what its own statement says
    it may share: view_sources)."""
    if name in busy:        # a value made from itself around a loop
        return Shared(frozenset({name}))
    busy = busy | {name}
    todo, seen, found = [name], set(), None
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        for d in scope.defs.get(n, []) or [None]:
            op = scope.ops[id(d)] if d is not None else None
            if op is not None and op.kind == "copy" and isinstance(op.args[0], gast.Name):
                todo.append(op.args[0].id)
                continue
            part = _made(d, n, scope, busy) if d is not None else Shared(frozenset({n}))
            found = part if found is None else found.joined(part)
    return found or Shared()


def _made(stmt, name, scope, busy):
    """The Shared of `name` as bound by `stmt` (see _value)."""
    op = scope.ops[id(stmt)]
    if op.kind == "pack" and op.name in ("tuple", "list") and not _appended(name, scope):
        items = tuple(_value(a.id, scope, busy) if isinstance(a, gast.Name) else Shared()
                      for a in op.args)
        return Shared(frozenset().union(*(i.held for i in items)), items)
    if op.kind == "call" and is_user_function(op.fn):
        return _call_value(stmt, scope)
    inner = _value(op.args[0].id, scope, busy).item(item_number(stmt, name, op)) \
        if op.kind in ("index", "unpack") and isinstance(op.args[0], gast.Name) else None
    return inner if inner is not None else Shared(frozenset({name}))


def _appended(name, scope):
    """Whether the list `name` has items appended (its items are then not the display's)."""
    return any(op.kind == "append" and getattr(op.args[0], "id", None) == name
               for op in scope.ops.values())


def _call_value(stmt, scope):
    """The Shared of the result of the call to a user function at `stmt`, in the caller's
    names: the callee's summary with each parameter replaced by the argument bound to it."""
    op = scope.ops[id(stmt)]
    try:
        bound = bind_call(op, stmt, scope.fn)
    except DifferentiationError:    # its own transform says why: here, any argument may be
        every = [a.id for a in list(op.args) + list(op.kwargs.values())
                 if isinstance(a, gast.Name)]
        return Shared(frozenset(every))

    def names(param):
        if isinstance(param, tuple):        # item k of the argument bound to the parameter
            item = _argument_item(bound.get(param[0]), param[1], scope)
            if item is not None:
                return item
            param = param[0]                # (or any of its items)
        atom = bound.get(param)
        return [atom.id] if isinstance(atom, gast.Name) else []
    return returned(op.fn).value.renamed(names)


def _argument_item(atom, k, scope):
    """The names item `k` of the argument `atom` may be, where that is known: the argument is
    a tuple display (`g((P, A))`, or the caller's own `t = (P, A)`).  Else None."""
    if isinstance(atom, gast.Name):
        atoms = tuple_display_items(atom.id, k, scope.ops, scope.defs, scope.fn.params)
    else:
        return None
    return None if atoms is None else [a.id for a in atoms if isinstance(a, gast.Name)]


def item_sources(stmt, target, scope):
    """For `target = r[k]` or `..., target, ... = r`, where the items of r are known (r made by
    a user function, or an item of such a value): the names that item may share.  None
    otherwise."""
    op = scope.ops[id(stmt)]
    if op.kind not in ("index", "unpack") or not isinstance(op.args[0], gast.Name):
        return None
    item = _value(op.args[0].id, scope).item(item_number(stmt, target, op))
    return None if item is None else sorted(item.held)


def _analysed_callee(fn):
    """The SSA form of the user function `fn` and its ops."""
    ssa = normalize(fn)
    local = set(ssa.params) | {n.id for n in gast.walk(ssa.node)
                               if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
    return ssa, {id(s): describe(s, ssa, local.__contains__)
                 for s in simple_statements(ssa.node.body)}


_FRESH = {}  # function -> whether it returns a tuple or list of arrays made in its body
# (forgotten by ad.clear_cache)


def returns_fresh_items(fn):
    """Whether the user function `fn` returns a tuple or list display (on every path) each of
    whose items is the result of a NumPy or arithmetic call that makes a new array (`a * x`,
    np.zeros): no argument, no view, no global, nothing another item or call may hold."""
    if not is_user_function(fn):
        return False
    if fn not in _FRESH:
        try:
            _FRESH[fn] = _fresh_items(*_analysed_callee(fn))
        except DifferentiationError:   # a callee that cannot be read or analysed: assume
            _FRESH[fn] = False         # it may not (safe: only the caller's checks stricter)
    return _FRESH[fn]


def _fresh_items(ssa, ops):
    order = list(simple_statements(ssa.node.body))
    defs, uses = definitions(order, ops), name_uses(order)
    ret = ssa.node.body[-1]
    if not (isinstance(ret, gast.Return) and isinstance(ret.value, gast.Name)):
        return False

    def made_here(name, pack):
        """Is `name` a new array that only the display `pack` holds?"""
        ds = defs.get(name, [])
        return len(ds) == 1 and uses.get(name) == [pack] and ops[id(ds[0])].kind == "call" \
            and makes_new_array(ops[id(ds[0])])

    # the returned name, through the copies that join the paths (`_retval_2 = _retval_1`)
    todo, seen, displays = [ret.value.id], set(), []
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        ds = defs.get(n, [])
        if not ds:
            return False
        for d in ds:
            op = ops[id(d)]
            if op.kind == "copy":
                todo.append(op.args[0].id)
            elif op.kind == "pack" and op.name in ("tuple", "list"):
                displays.append(d)
            else:
                return False
    return all(isinstance(a, gast.Name) and made_here(a.id, d)
               for d in displays for a in ops[id(d)].args)
