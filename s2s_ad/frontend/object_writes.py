"""Assignments to attributes, rewritten as new values of the object before desugaring.

    attribute_writes_as_values(node, error, resolve, callee) -> the parameters whose fields are
        assigned (rewrites node in place)

`obj.h = v` makes a new version of `obj` with that field replaced, as `d = {**d, "h": v}`
would for a dict, so the SSA form, the loops' joins and every transform see an assignment
to `obj`:

    s.x = s.x + dt * s.v   ->   s = _ad.with_field(s, 'x', s.x + dt * s.v)

(`s.x += v` likewise, as `s.x = s.x + v` where s.x is a number; where it is an array, which
Python would write into, runtime.updated_field refuses it.)  The object the function was given is left as it
was, which is what the derivative code must do (it never changes its arguments); only while
no other name holds the same object is the new version what Python would read, so a write is
followed where the object is the function's own: a parameter of the differentiated function,
or an object the function makes (`State(x, v)`), never stored in a list, dict, tuple or
another object, nor given another name.  What it is not (a parameter of a called function,
whose caller would not see the change; an item of a list) is refused at the write.
"""
import weakref

import gast

from s2s_ad.base import syntax as S
from s2s_ad.base.errors import DifferentiationError
from s2s_ad.frontend import source as frontend

_OWN_HINT = "Keep the value in a local name (`h = ...` for `obj.h = ...`), or make a new " \
            "object and return it (`state = State(x=..., v=state.v)` for a dataclass State)."


def attribute_writes_as_values(node, error, resolve, callee=False):
    """Rewrite each `name.attr = value` (and `name.attr op= value`) of the function `node`
    into `name = _ad.with_field(name, 'attr', value)`, and return the parameters whose
    attributes it assigns; refusing, with `error(node, message,
    hint)`, a write that another name could see or that is no write into the function's own
    object (`callee`: `node` is called from the differentiated function, so its parameters
    are its caller's objects)."""
    writes = [s for s in S.walk(node) if _attribute_write(s) is not None]
    if not writes:
        return set()
    written = {_attribute_write(s).value.id for s in writes}
    params = {a.id for a in node.args.args + node.args.kwonlyargs}
    for s in writes:
        _refuse_unfollowed(s, _attribute_write(s), node, params, callee, resolve, error)
    for name in sorted(written):
        _refuse_shared(name, node, error)
    ids = {id(s) for s in writes}
    for parent in S.walk(node):
        for field, body in gast.iter_fields(parent):
            if isinstance(body, list) and any(id(s) in ids for s in body):
                setattr(parent, field, [_as_value(s) if id(s) in ids else s for s in body])
    return written & params


def _attribute_write(s):
    """The target `name.attr` of an assignment or augmented assignment, else None."""
    if isinstance(s, gast.Assign) and len(s.targets) == 1:
        target = s.targets[0]
    elif isinstance(s, gast.AugAssign):
        target = s.target
    else:
        return None
    if isinstance(target, gast.Attribute) and isinstance(target.value, gast.Name):
        return target
    return None


def _as_value(s):
    target = _attribute_write(s)
    value = s.value
    if isinstance(s, gast.AugAssign):     # a number's update: runtime.updated_field
        old = S.call(S.attr(S.load("_ad"), "updated_field"),
                     gast.Attribute(value=S.load(target.value.id), attr=target.attr,
                                    ctx=gast.Load()), S.const(target.attr))
        value = gast.BinOp(left=old, op=s.op, right=value)
    call = S.call(S.attr(S.load("_ad"), "with_field"), S.load(target.value.id),
                  S.const(target.attr), value)
    new = gast.Assign(targets=[S.store(target.value.id)], value=call, type_comment=None)
    return gast.fix_missing_locations(S.located(new, s))


def _refuse_unfollowed(s, target, node, params, callee, resolve, error):
    """Refuse a write into an object that is not the function's own (see the module)."""
    name = target.value.id
    where = f"'{name}.{target.attr}'"
    if name in params and callee:
        raise error(s, f"assignment to {where} changes an object the calling function gave, "
                       f"which the derivative code does not pass back to it",
                    f"Return the new value and assign it in the caller (`{name}.{target.attr}"
                    f" = step({name}, ...)`), or return a new object.")
    for other in S.walk(node):
        if isinstance(other, (gast.For, gast.comprehension)) and \
                name in S.names_in(other.target, gast.Store):
            raise error(s, f"assignment to {where}: '{name}' is an item of what the loop "
                           f"walks, which holds it too", _OWN_HINT)
    assigned = any(isinstance(other, gast.Assign) and any(
        isinstance(t, gast.Name) and t.id == name for t in other.targets)
        for other in S.walk(node))
    if name not in params and not assigned:
        raise error(s, f"assignment to {where} changes a module-level or enclosing "
                       f"function's object, which the derivative code does not follow",
                    "Pass the object in as an argument, or keep the value in a local name.")
    for other in S.walk(node):
        if isinstance(other, gast.Assign) and any(
                isinstance(t, gast.Name) and t.id == name for t in other.targets) and \
                not _own_object(other.value, name, resolve):
            raise error(s, f"assignment to {where}: '{name}' is not an object the function "
                           f"made (it may be held by other names, which would not see the "
                           f"change)", _OWN_HINT)
        if isinstance(other, (gast.Assign, gast.AugAssign)) and any(
                isinstance(t, (gast.Tuple, gast.List)) and name in S.names_in(t, gast.Store)
                for t in (other.targets if isinstance(other, gast.Assign) else [other.target])):
            raise error(s, f"assignment to {where}: '{name}' is unpacked from a value that "
                           f"holds it too", _OWN_HINT)


def _own_object(value, name, resolve):
    """Is `value` (assigned to `name`) a new object: a namedtuple's or dataclass's constructor
    (`_ad.record`, normalize.py), a class called, or a version of `name` itself?"""
    if not isinstance(value, gast.Call):
        return False
    func = value.func
    if isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name) and \
            func.value.id == "_ad" and func.attr in ("record", "with_field"):
        return func.attr == "record" or (isinstance(value.args[0], gast.Name)
                                         and value.args[0].id == name)
    try:
        return isinstance(resolve(func), type)
    except DifferentiationError:    # a local or unknown callable: not known to make one
        return False


def _refuse_shared(name, node, error):
    """Refuse where another name, a container or another object may hold `name`'s object:
    `b = name`, `[name]`, `lst.append(name)`, `d[k] = name`, `other.f = name`, `yield name`.
    Reading its attributes, calling its methods, passing it to a function and returning it
    do not share it."""
    for parent in S.walk(node):
        for child in gast.iter_child_nodes(parent):
            if not (isinstance(child, gast.Name) and child.id == name and
                    isinstance(child.ctx, gast.Load)):
                continue
            if isinstance(parent, (gast.Attribute, gast.Return, gast.keyword, gast.Compare)) or \
                    (isinstance(parent, gast.Call) and child is not parent.func and
                     not _stores_argument(parent)):
                continue
            if isinstance(parent, gast.Tuple) and _returned(parent, node):
                continue
            raise error(parent if hasattr(parent, "lineno") else node,
                        f"'{name}' has attributes assigned, and here another name, container "
                        f"or object may come to hold the same object, which would not see "
                        f"the changes", "Keep one name for the object; store a copy, or "
                        "store it after its last change.")


def _stores_argument(call):
    """A call that keeps its argument: a method of a list, dict or set (`lst.append(obj)`)."""
    return isinstance(call.func, gast.Attribute) and call.func.attr in (
        "append", "insert", "extend", "add", "update", "setdefault", "__setitem__")


def _returned(tup, node):
    return any(isinstance(r, gast.Return) and r.value is tup for r in S.walk(node))


_ASSIGNED = weakref.WeakKeyDictionary()    # function -> its assigned_attributes


def assigned_attributes(fn):
    """((parameter, attribute), ...) that the function fn's own statements assign
    (`p.h = v`, `p.h += v`), read from its source."""
    found = _ASSIGNED.get(fn)
    if found is None:
        node = frontend.parse(fn).node
        params = {a.id for a in node.args.args + node.args.kwonlyargs}
        found = _ASSIGNED[fn] = tuple(
            (t.value.id, t.attr) for t in map(_attribute_write, S.walk(node))
            if t is not None and t.value.id in params)
    return found


_RETURNED = weakref.WeakKeyDictionary()    # function -> its returned_parameters


def returned_parameters(fn):
    """The parameters the function fn returns as they are (`return self`, `return p, v`,
    `q = p; return q`), read from its source: its caller then holds them under another
    name."""
    found = _RETURNED.get(fn)
    if found is None:
        node = frontend.parse(fn).node
        params = {a.id for a in node.args.args + node.args.kwonlyargs}
        holders = {p: p for p in params}     # name -> the parameter it may hold (`q = p`)
        for _ in range(len(holders) + 1):
            for a in S.walk(node):
                if isinstance(a, gast.Assign) and isinstance(a.value, gast.Name) and \
                        a.value.id in holders:
                    holders.update({t.id: holders[a.value.id] for t in a.targets
                                    if isinstance(t, gast.Name)})
        found = set()
        for r in S.walk(node):
            if isinstance(r, gast.Return) and r.value is not None:
                items = r.value.elts if isinstance(r.value, (gast.Tuple, gast.List)) \
                    else [r.value]
                found |= {holders[v.id] for v in items
                          if isinstance(v, gast.Name) and v.id in holders}
        found = _RETURNED[fn] = tuple(sorted(found))
    return found

