"""What the optimiser's passes share (stage: backend): what a name of the generated code
denotes, whether an expression is pure, whether a statement may change an array or call unknown
code, and small queries about names.  Input: gast expressions and statements; output: facts
about them.  Nothing here changes a tree except replace_name.

Effects are read from markers and objects, never from spellings: a tape push or pop is the one
the generator marked (base.tape); NumPy's and math's functions are the objects a name denotes
(`NAMESPACE`, set by pipeline.optimize for the function being optimised); a list method changes
only its list where the list is private to the function (private_lists).
"""
import builtins
import contextvars
import math
import operator

import gast
import numpy as np

from s2s_ad import runtime
from s2s_ad.base import syntax as S
from s2s_ad.base.tape import is_tape_pop, is_tape_push
from s2s_ad.rules import registry


_PURE_METHODS = {"sum", "reshape"}     # array methods that make new values, nothing else

# The function being optimised, as a lookup of its global names: set by optimize() for the
# duration of its passes, so that the small helpers below (asked about one expression at a
# time, deep inside the passes) need not each be handed it.
NAMESPACE = contextvars.ContextVar("s2s_ad_optimize_namespace", default=None)

_CONVENTIONAL = {"np": np, "math": math, "_ad": runtime, "operator": operator}


def globals_of(namespace, local):
    """name -> object for the global names of a function whose locals are `local`; without a
    namespace (a pass run on its own), the conventional names of generated code."""
    lookup = namespace or _CONVENTIONAL.get
    return lambda name: None if name in local else lookup(name)


def denotes(name):
    return (NAMESPACE.get() or globals_of(None, ()))(name)


def callee(func):
    """The object a call's function expression (`np.linalg.norm`, `sin`) denotes, or None."""
    chain = []
    while isinstance(func, gast.Attribute):
        chain.append(func.attr)
        func = func.value
    obj = denotes(func.id) if isinstance(func, gast.Name) else None
    for attr in reversed(chain):
        obj = getattr(obj, attr, None) if obj is not None else None
    return obj


def is_pure(value):
    for sub in S.nodes_of(value, gast.Call):
        func = sub.func
        if isinstance(func, gast.Name):
            if not registry.is_pure(getattr(builtins, func.id, None)) and \
                    not registry.is_pure(callee(func)):
                return False
            continue
        if isinstance(func, gast.Attribute) and func.attr in ("pop", "append", "at"):
            return False
        if isinstance(func, gast.Attribute) and func.attr in _PURE_METHODS:
            continue      # `g.sum(axis=0)`: a reduction the reverse sweep writes
        if not _pure_callee(func):
            return False
    return True


def _pure_callee(func):
    """Is `func`, an attribute chain (`np.linalg.norm`, `_ad.pop_errstate`), a pure function:
    reached from a module of registry.pure_modules, and not recorded as impure (the runtime's
    `_ad.raise_exception`, NumPy's `np.random.rand`)?"""
    obj = callee(func)
    record = registry.primitive(obj) if obj is not None else None
    if record is not None and record.pure is not None:
        return record.pure
    while isinstance(func, gast.Attribute):
        func = func.value
    return isinstance(func, gast.Name) and \
        any(denotes(func.id) is m for m in registry.pure_modules())


def stored_names(stmt):
    return {n.id for n in S.name_nodes(stmt) if isinstance(n.ctx, gast.Store)}


def load_nodes(node):
    return [n for n in S.name_nodes(node) if isinstance(n.ctx, gast.Load)]


def may_mutate(stmt, private=frozenset()):
    """True for statements that may change an array in place or call unknown code.  A tape
    push or pop (marked by the generator, base.tape) changes only the tape, and so does an
    append to or pop from a list of `private` (see private_lists), which stores that name."""
    for sub in S.walk(stmt):
        if isinstance(sub, gast.AugAssign) or (isinstance(sub, gast.Assign) and not all(
                isinstance(t, (gast.Name, gast.Tuple)) for t in sub.targets)):
            return True
        if isinstance(sub, gast.Expr) and not S.is_comment(sub) and not is_pure(sub.value) \
                and not is_tape_push(sub) and list_changed(sub.value, private) is None:
            return True
        if isinstance(sub, gast.Assign) and not is_pure(sub.value) and \
                not is_tape_pop(sub.value) and list_changed(sub.value, private) is None:
            return True
    return False


def list_changed(call, private):
    """L for `L.append(e)` (e pure) or `L.pop()` with L one of the `private` lists, else None."""
    if not (isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute) and
            isinstance(call.func.value, gast.Name) and call.func.value.id in private and
            not call.keywords):
        return None
    attr, args = call.func.attr, call.args
    if attr == "pop" and not args or attr == "append" and len(args) == 1 and is_pure(args[0]):
        return call.func.value.id
    return None


def private_lists(node):
    """Names that hold a list the function makes, which no other name can reach: each is
    bound once, to a list display (`items = []`), and is otherwise only read as `items[i]`,
    `len(items)` or the list of `items.append(e)` / `items.pop()`.  Appending to one or
    popping from it changes that list and nothing else, so a computation that does not read
    the name may move across it (a user's list, or a generated tape read back as source, as
    hvp does: a user's `_tape` is one of these at most, never the tape)."""
    made, other, allowed = {}, set(param_names(node)), set()
    for sub in S.walk(node):
        if isinstance(sub, gast.Assign) and len(sub.targets) == 1 and \
                isinstance(sub.targets[0], gast.Name) and isinstance(sub.value, gast.List):
            made[sub.targets[0].id] = made.get(sub.targets[0].id, 0) + 1
            allowed.add(id(sub.targets[0]))
        elif isinstance(sub, gast.Call) and isinstance(sub.func, gast.Attribute) and \
                sub.func.attr in ("append", "pop"):
            allowed.add(id(sub.func.value))
        elif isinstance(sub, gast.Call) and is_name(sub.func, "len") and len(sub.args) == 1:
            allowed.add(id(sub.args[0]))
        elif isinstance(sub, gast.Subscript) and isinstance(sub.ctx, gast.Load):
            allowed.add(id(sub.value))
    for name in S.name_nodes(node):
        if id(name) not in allowed:
            other.add(name.id)
    return frozenset(n for n, count in made.items() if count == 1 and n not in other)


def name_counts(node):
    """({name: loads}, {name: stores and other uses}) in the tree."""
    loads, stores = {}, {}
    for name in S.name_nodes(node):
        table = loads if isinstance(name.ctx, gast.Load) else stores
        table[name.id] = table.get(name.id, 0) + 1
    return loads, stores


def param_names(node):
    return {a.id for a in node.args.args + node.args.kwonlyargs}


def replace_name(tree, name, replacement):
    """Replace the Load occurrences of `name` in `tree` by `replacement` (the one node, at each
    occurrence); returns the new tree.  The replacement is not looked into."""
    if isinstance(tree, gast.Name):
        return replacement if _is_load_of(tree, name) else tree
    todo = [tree]
    for sub in todo:
        for field in sub._fields:
            value = getattr(sub, field, None)
            if type(value) is list:
                for i, item in enumerate(value):
                    if _is_load_of(item, name):
                        value[i] = replacement
                    elif isinstance(item, gast.AST):
                        todo.append(item)
            elif _is_load_of(value, name):
                setattr(sub, field, replacement)
            elif isinstance(value, gast.AST):
                todo.append(value)
    return tree


def _is_load_of(node, name):
    return isinstance(node, gast.Name) and node.id == name and isinstance(node.ctx, gast.Load)


def plain_subscript(n):
    """`a[...]` with a name for `a` and only names, constants and slices inside the brackets:
    evaluating it as a target runs no code."""
    return isinstance(n, gast.Subscript) and isinstance(n.value, gast.Name) and all(
        isinstance(sub, (gast.Name, gast.Constant, gast.Slice, gast.Tuple, gast.UnaryOp,
                         gast.USub, gast.Load, gast.Store))
        for sub in S.walk(n.slice))


def is_number(n):
    return isinstance(n, gast.Constant) and type(n.value) in (int, float)


def is_int(n, value):
    return isinstance(n, gast.Constant) and type(n.value) is int and n.value == value


COMPOUND = (gast.If, gast.For, gast.While)


def zeros_of(stmt):
    """x in `a = _ad.zeros_like(x)` (an adjoint's first value), else None."""
    if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and \
            isinstance(stmt.targets[0], gast.Name) and isinstance(stmt.value, gast.Call) and \
            is_helper(stmt.value.func, "zeros_like") and len(stmt.value.args) == 1:
        return stmt.value.args[0]
    return None


def is_update_of(stmt, a):
    """Is `stmt` `a = a + e` or `a = a - e`?  (The name first: most statements fail there.)"""
    return isinstance(stmt, gast.Assign) and is_name(stmt.targets[0], a) and \
        len(stmt.targets) == 1 and isinstance(stmt.value, gast.BinOp) and \
        isinstance(stmt.value.op, (gast.Add, gast.Sub)) and is_name(stmt.value.left, a)


def is_helper(func, name):
    """`_ad.<name>`"""
    return isinstance(func, gast.Attribute) and func.attr == name and is_name(func.value, "_ad")


def is_name(node, name):
    return isinstance(node, gast.Name) and node.id == name
