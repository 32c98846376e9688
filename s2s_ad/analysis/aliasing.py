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
import inspect
import itertools
from dataclasses import dataclass

import gast
import numpy as np

from s2s_ad import runtime as _runtime
from s2s_ad.analysis.activity import rebinds, simple_statements
from s2s_ad.base import syntax as S
from s2s_ad.base.errors import DifferentiationError, UnsupportedSyntaxError
from s2s_ad.base.naming import is_generated, is_temporary
from s2s_ad.analysis.kinds import infer_kinds
from s2s_ad.analysis.ops import (BINOPS, UNARYOPS, bind_call, describe, hashable,
                                 is_user_function)
from s2s_ad.frontend.normalize import normalize
from s2s_ad.rules import registry


def _is_view(op, kinds, lists=frozenset(), target=None):
    """Whether the result of `op`, assigned to `target`, may share memory with its first
    argument (or, for a called user function, be one of its arguments or a view of one).
    `lists`: the names bound to a list display, which as an index select a copy (`a[[1, 0]]`)."""
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
    except Exception:       # any failure to read or analyse the callee: it may return any
        every = frozenset(_parameter_names(fn))   # argument (safe: "may alias" only makes
        result = Returned(every, Shared(every))   # the caller's checks stricter)
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
    scope = _Scope.of(ssa, ops, infer_kinds(ssa, ops, {}))
    name = ret.value.id
    return Returned(frozenset(argument_roots(name, ssa, ops, scope.kinds)),
                    _value(name, scope).renamed(lambda n: _held(n, scope)))


@dataclass
class _Scope:
    """A function in SSA form with what the alias checks read of it."""
    fn: object
    ops: dict
    kinds: dict
    defs: dict           # name -> the statements that bind it (_definitions)
    lists: set           # names bound to a list display (list_displays)

    @classmethod
    def of(cls, fn, ops, kinds):
        order = list(simple_statements(fn.node.body))
        return cls(fn, ops, kinds, _definitions(order, ops), list_displays(ops, order))


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
        return [item] if item is not None else _view_sources(stmt, n, scope)
    return _reached(name, scope, sources)


def _parameter_item(stmt, name, scope):
    """(t, k) for `name = t[k]` (a constant k) or `..., name, ... = t`, where t is a parameter
    the function never binds again and only takes items of: else None."""
    op = scope.ops[id(stmt)]
    t = _container_of(stmt, scope.ops)
    if t is None or t not in scope.fn.params or t in scope.defs:
        return None
    k = _item_number(stmt, name, op)
    if type(k) is not int:
        return None
    for s in simple_statements(scope.fn.node.body):
        if t in S.names_in(s, gast.Load) and _container_of(s, scope.ops) != t:
            return None     # written into, passed on, appended to ...: its items may change
    return t, k


def _value(name, scope, busy=frozenset()):
    """The Shared of the value `name` in the names of `scope`, through the copies that join
    paths: item by item for a tuple or list display, the result of a user function (from its
    summary), or an item of one of these; otherwise just `name` (what its own statement says
    it may share: _view_sources)."""
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
    inner = _value(op.args[0].id, scope, busy).item(_item_number(stmt, name, op)) \
        if op.kind in ("index", "unpack") and isinstance(op.args[0], gast.Name) else None
    return inner if inner is not None else Shared(frozenset({name}))


def _appended(name, scope):
    """Whether the list `name` has items appended (its items are then not the display's)."""
    return any(op.kind == "append" and getattr(op.args[0], "id", None) == name
               for op in scope.ops.values())


def _item_number(stmt, name, op):
    """k for `name = r[k]` (a constant k) or `..., name, ... = r` (name at position k)."""
    if op.kind == "index":
        return op.index.value if isinstance(op.index, gast.Constant) else None
    elts = stmt.targets[0].elts
    if not all(isinstance(e, gast.Name) for e in elts):
        return None
    return next((k for k, e in enumerate(elts) if e.id == name), None)


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
        atoms = getattr(atom, "elts", [atom])       # *xs: the tuple of the arguments
        return [a.id for a in atoms if isinstance(a, gast.Name)]
    return returned(op.fn).value.renamed(names)


def _argument_item(atom, k, scope):
    """The names item `k` of the argument `atom` may be, where that is known: the argument is
    a tuple display (`g((P, A))`, or the caller's own `t = (P, A)`).  Else None."""
    if isinstance(atom, gast.Tuple):        # *xs: the tuple of the arguments
        atoms = [atom.elts[k]] if -len(atom.elts) <= k < len(atom.elts) and \
            not any(isinstance(e, gast.Starred) for e in atom.elts) else None
    elif isinstance(atom, gast.Name):
        atoms = _tuple_display_items(atom.id, k, scope.ops, scope.defs, scope.fn.params)
    else:
        return None
    return None if atoms is None else [a.id for a in atoms if isinstance(a, gast.Name)]


def _item_sources(stmt, target, scope):
    """For `target = r[k]` or `..., target, ... = r`, where the items of r are known (r made by
    a user function, or an item of such a value): the names that item may share.  None
    otherwise."""
    op = scope.ops[id(stmt)]
    if op.kind not in ("index", "unpack") or not isinstance(op.args[0], gast.Name):
        return None
    item = _value(op.args[0].id, scope).item(_item_number(stmt, target, op))
    return None if item is None else sorted(item.held)


def _analysed_callee(fn):
    """The SSA form of the user function `fn` and its ops."""
    ssa = normalize(fn)
    local = set(ssa.params) | {n.id for n in gast.walk(ssa.node)
                               if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
    return ssa, {id(s): describe(s, ssa, local.__contains__)
                 for s in simple_statements(ssa.node.body)}


def may_be_view(op, kinds):
    """Whether the value `op` computes may share memory with an operand (a view, `astype` with
    copy=False, a user function that returns an argument): else it is a new array."""
    return _is_view(op, kinds)


def list_displays(ops, order):
    """The names bound to a list display (`idx = [1, 0]`)."""
    return {s.targets[0].id for s in order if isinstance(s, gast.Assign) and
            isinstance(s.targets[0], gast.Name) and ops[id(s)].kind == "pack" and
            ops[id(s)].name == "list"}


def _definitions(order, ops):
    """{name: the statements that bind it, in order} (_bindings)."""
    defs = {}
    for s, n in _bindings(order, ops):
        defs.setdefault(n, []).append(s)
    return defs


def _bindings(order, ops):
    """(statement, name) for each name each statement binds, in order: plain assignments and
    unpackings (`p, b = t`), and `lst.append(v)`, which keeps the name lst but makes the list
    hold v as well (_view_sources)."""
    for s in order:
        for n in rebinds(s):
            yield s, n
        if ops[id(s)].kind == "append" and isinstance(ops[id(s)].args[0], gast.Name):
            yield s, ops[id(s)].args[0].id


def argument_roots(name, fn, ops, kinds):
    """The parameters whose memory the value `name` may share (followed back through copies
    and views, and an item of a user function's tuple to the argument that item may be)."""
    scope = _Scope.of(fn, ops, kinds)

    def sources(d, n):
        items = _item_sources(d, n, scope)
        if items is not None:
            return items
        op = ops[id(d)]
        if op.kind in ("copy", "unpack") or _is_view(op, kinds, scope.lists, n):
            args = op.args if op.kind == "call" and not registry.fact(op.fn, "view") \
                and op.fn != "astype" else op.args[:1]
            return [a.id for a in args if isinstance(a, gast.Name)]
        return []
    return _reached(name, scope, sources)


def updated_lists(fn, ops):
    """The parameters a function appends to or pops from (`lst.append(v)`, `v = lst.pop()`):
    the caller's list changes (a tape that a generated gradient hands its callee's forward
    and backward halves)."""
    return {op.args[0].id for op in ops.values() if op.kind in ("append", "pop")
            and isinstance(op.args[0], gast.Name) and op.args[0].id in fn.params}


def check_writes(fn, ops, kinds):
    """Raise for writes the compiler cannot differentiate; return the parameters written into
    (lists appended to or popped from included)."""
    order = list(simple_statements(fn.node.body))
    position = {id(s): k for k, s in enumerate(order)}
    defs = _definitions(order, ops)
    uses = None      # name -> the statements that read it, found at the first write
    aliases = None   # (the same, _aliases_before)
    lists = list_displays(ops, order)
    written = set()
    bases_written = {base for w in order for base in _written_bases(ops[id(w)])}
    for w in order:
        op = ops[id(w)]
        for base in _written_bases(op):
            if uses is None:
                uses = _uses(order)
            params, views = _roots(base, fn, ops, kinds, defs, set(), lists, uses)
            if views:
                raise _view_error(fn, w, base, views[0], ops, kinds, defs)
            written |= params
            _check_live_views(fn, w, base, order, position, ops, kinds, lists, uses)
            if aliases is None:
                aliases = _aliases_before(fn, order, ops, defs, bases_written)
            _check_live_copies(fn, w, base, aliases, position, uses)
    return written | updated_lists(fn, ops)


def _written_bases(op):
    """The names a statement writes into: `a[i] = v` writes into a; a call writes into the
    arguments its callee writes into.  (Lists appended to or popped from: updated_lists.)"""
    if op.kind in ("append", "pop"):
        return []
    return [op.args[0].id] if op.kind == "setitem" else op.writes


def _uses(order):
    uses = {}
    for s in order:
        for n in S.walk(s):
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load):
                uses.setdefault(n.id, []).append(s)
    return uses


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
        items = _display_items(d, name, ops, defs, fn.params)
        if op.kind == "copy" or items is not None:
            for atom in op.args[:1] if items is None else items:
                if isinstance(atom, gast.Name):
                    p, v = _roots(atom.id, fn, ops, kinds, defs, seen, lists, uses)
                    params |= p
                    views += v
        elif _private_item(d, ops, defs, uses):
            continue
        elif op.kind == "unpack" or _is_view(op, kinds, lists, name):
            views.append(d)
    return params, views


def _takes_item(stmt, ops, kinds, defs):
    """Whether `stmt` takes an item of a tuple or list (not a view of an array)."""
    r = _container_of(stmt, ops)
    if r is None:
        return False
    made = [ops[id(d)] for d in defs.get(r, [])]
    return ops[id(stmt)].kind == "unpack" or kinds.get(r) == "container" or any(
        op.kind == "pack" or (op.kind == "call" and is_user_function(op.fn)) for op in made)


def _container_of(stmt, ops):
    """The container `r` that `v = r[k]` or `p, v = r` takes an item of, else None."""
    op = ops[id(stmt)]
    if op.kind in ("index", "unpack") and isinstance(op.args[0], gast.Name):
        return op.args[0].id
    return None


def _display_items(stmt, name, ops, defs, params):
    """For `name = r[k]` (a constant k) or `..., name, ... = r`, where every binding of r is a
    tuple display of one length (`r = (a, v)`; `v, a = a, v` is such a pair): the atoms at
    position k of those displays.  `name` is one of them, no view: a tuple cannot change, so
    its items are the values put in it.  None otherwise (r an argument, a list, a result)."""
    r = _container_of(stmt, ops)
    return None if r is None else \
        _tuple_display_items(r, _item_number(stmt, name, ops[id(stmt)]), ops, defs, params)


def _tuple_display_items(r, k, ops, defs, params):
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


def _private_item(stmt, ops, defs, uses):
    """Whether `stmt` (`v = r[k]` or `p, v = r`) binds an array that nothing else reaches: r is
    the result of a call to a user function that returns a tuple or list of arrays it made
    (returns_fresh_items), and this statement is r's only reader (`g(x, a)[1]` in the source)."""
    r = _container_of(stmt, ops)
    if r is None or len(defs.get(r, [])) != 1 or uses.get(r) != [stmt]:
        return False
    op = ops[id(defs[r][0])]
    return op.kind == "call" and returns_fresh_items(op.fn)


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
        except Exception:    # any failure to read or analyse the callee: assume it may not
            _FRESH[fn] = False
    return _FRESH[fn]


def _fresh_items(ssa, ops):
    order = list(simple_statements(ssa.node.body))
    defs, uses = _definitions(order, ops), _uses(order)
    ret = ssa.node.body[-1]
    if not (isinstance(ret, gast.Return) and isinstance(ret.value, gast.Name)):
        return False

    def made_here(name, pack):
        """Is `name` a new array that only the display `pack` holds?"""
        ds = defs.get(name, [])
        return len(ds) == 1 and uses.get(name) == [pack] and ops[id(ds[0])].kind == "call" \
            and _makes_new_array(ops[id(ds[0])])

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


def _makes_new_array(op):
    """An arithmetic operator, a NumPy ufunc without `out=`, or a function that builds a new
    array: the result is no view and no argument (np.asarray, np.reshape ... may be either)."""
    fn = op.fn
    if not hashable(fn) or isinstance(fn, str) or "out" in op.kwargs:
        return False
    return isinstance(fn, np.ufunc) or fn in _OPERATORS or registry.fact(fn, "fresh")


_OPERATORS = set(BINOPS.values()) | set(UNARYOPS.values())


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


def _arms(stmts, enclosing=(), out=None):
    """{id(simple statement): the arms of `if` statements it is in, as (id(if), arm)}."""
    out = {} if out is None else out
    for s in stmts:
        if isinstance(s, (gast.Assign, gast.Expr)):
            out[id(s)] = set(enclosing)
            continue
        for field in ("body", "orelse"):
            inner = enclosing + ((id(s), field),) if isinstance(s, gast.If) else enclosing
            _arms(getattr(s, field, None) or [], inner, out)
    return out


def _exclusive(first, second, arms):
    """Whether the two statements are in different arms of one `if`: one pass runs only one."""
    ifs = {i for i, _ in arms[id(first)] ^ arms[id(second)]}
    return any((i, "body") in arms[id(first)] | arms[id(second)] and
               (i, "orelse") in arms[id(first)] | arms[id(second)] for i in ifs)


def _later(first, second, position, loops, arms):
    """Whether `second` may run after `first`: later in the text and not in the other arm of
    an `if`, or both in a loop (its next pass)."""
    return (position[id(second)] > position[id(first)] and
            not _exclusive(first, second, arms)) or _around(first, second, loops)


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


def _view_sources(stmt, target, scope):
    """The names whose memory the value `target` bound by `stmt` may share: a view's array, a
    copy's value, a tuple's or list's items, an item of a container (of a user function's
    tuple: the argument that item may be), what a called user function's result may be or
    hold."""
    op = scope.ops[id(stmt)]
    items = _item_sources(stmt, target, scope)
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
            _is_view(op, scope.kinds, scope.lists, target):
        args = op.args if op.kind in ("copy", "pack") else op.args[:1]
        return [a.id for a in args if isinstance(a, gast.Name)]
    return []


def _check_live_views(fn, write, base, order, position, ops, kinds, lists, uses):
    """Refuse if a view of `base` made before `write` (or anything holding one: a tuple, an
    item of it, a view of the view) is read after it."""
    user_list = _user_lists(fn)
    family = _copies_of(base, ops, order, fn.params, user_list)
    loops = _loops(fn.node.body)
    scope = _Scope(fn, ops, kinds, _definitions(order, ops), lists)
    flow, made_new = _flow(fn.node.body), _made_new(base, order, ops)
    views = {}            # name -> the statements that bind it to a view
    changed = True
    while changed:
        changed = False
        for s, n in _bindings(order, ops):
            if n in family or s in views.get(n, ()) or _taken_out(s, family, ops) or \
                    (ops[id(s)].kind == "append" and
                     (not user_list(n) or not _reaches_unmade(s, write, made_new, flow))):
                continue
            if any(src in family or src in views for src in _view_sources(s, n, scope)):
                views.setdefault(n, []).append(s)
                changed = True
    for view, made in views.items():
        # A name bound again after the write (a generated gradient's `_t2 = y[j]` in its
        # reverse sweep, beside the forward sweep's) reads the array as written
        stale = _reads_across(view, write, flow, (), order, uses, starts=made)
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


def _made_new(base, order, ops):
    """The ids of the statements that bind `base` to a new array (`v = a * 1.0`)."""
    return {id(s) for s in order if base in rebinds(s) and ops[id(s)].kind == "call" and
            _makes_new_array(ops[id(s)])}


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
        items = _item_sources(reader, n, scope)
        if items is None or any(src in family or src in views for src in items):
            return False
    return True


def _check_live_copies(fn, write, base, aliases, position, uses):
    """Refuse if another name for the array `base` (`b = a`: one array, two names) is read
    after `write` before it is bound again: the write changes what it reads, while its
    derivative would still flow to the value before the write.  `aliases`: _aliases_before,
    which names may hold the array `base` holds at the write."""
    flow, before = aliases
    others = {n for pair in before.get(id(write), ()) if base in pair for n in pair}
    for other in sorted(n for n in others if isinstance(n, str) and n != base):
        stale = _reads_after(other, write, flow, uses)
        if stale:
            reader = min(stale, key=lambda s: position[id(s)])
            raise fn.error(
                write, f"writing into '{base}', which is the same array as '{other}', read "
                       f"after this write at line {reader.lineno}",
                f"Write into a copy (`{base} = {other}.copy()`), or read '{base}' instead "
                f"of '{other}' after the write.", kind=UnsupportedSyntaxError)


def _reads_after(name, write, flow, uses):
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


def _aliases_before(fn, order, ops, defs, written):
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
    successors, entry = _flow(fn.node.body)
    nodes = {id(s): s for s in S.walk(fn.node)
             if isinstance(s, (gast.Assign, gast.Expr, gast.For, gast.While))}
    flow = (successors, entry, nodes)
    user_list = _user_lists(fn)
    made = {id(s): _copies_made(s, ops, defs, fn.params, user_list) for s in order}
    linked = _linked_to(written, made)
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


def _linked_to(names, made):
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
    """{name or pseudo-name: the names whose arrays it becomes} at `stmt` (_aliases_before):
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
    """The names (or pseudo-names, see _aliases_before) whose array `target` becomes."""
    if op.kind == "copy":
        return [op.args[0].id] if isinstance(op.args[0], gast.Name) else []
    if op.kind == "pop" and isinstance(op.args[0], gast.Name) and user_list(op.args[0].id):
        return [(op.args[0].id, None)]
    items = _display_items(stmt, target, ops, defs, params)
    if items is None:
        return []
    r = op.args[0].id
    size = len(ops[id(defs[r][0])].args)
    return [(r, _item_number(stmt, target, op) % size)]


def _flow(body):
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


def _reads_across(name, write, flow, params, order, uses, starts=None):
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


def _user_lists(fn):
    """Which lists' popped items are the arrays appended to them (`items.append(A)`, then
    `B = items.pop()` is A itself): every list of the user's code.  In our own generated code
    the tape is left out: its pops restore values the forward sweep saved, which the second
    differentiation follows on its own (Analysed.restored_arrays).  The tape is the list the
    generator made (codegen.compile_function records it), whatever it is called: a user's list
    named `_tape` keeps its name in the generated code, and is the user's."""
    own = getattr(fn.parsed.fn, "__s2s_ad_lists__", frozenset()) \
        if is_generated(fn.parsed.filename) else frozenset()
    return lambda name: name not in own


def _copies_of(name, ops, order, params, user_list):
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
    defs = _definitions(order, ops)
    for s, target in ((s, t) for s in order for t in rebinds(s)):
        op = ops[id(s)]
        items = _display_items(s, target, ops, defs, params)
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
