"""The function values that function_values follows, and facts about user functions.

    Local(name)                 a local function (expand_locals' `functions[name]`)
    Static(node, obj)           a module-level, NumPy or math function, as the code names it
    Partial(func, args, kws)    functools.partial of one of these, its arguments in names
    returns_function(fdef)      does a function return a function it makes (a closure
                                factory), or a list or dict of some?
"""
import types
from dataclasses import dataclass

import gast
import numpy as np

from s2s_ad.base import syntax as S
from s2s_ad.base.naming import GENERATED_FILE
from s2s_ad.rules import registry


@dataclass(frozen=True)
class Local:
    name: str              # a key of the expander's `functions`


@dataclass(frozen=True, eq=False)
class Static:
    node: gast.AST         # how the caller's code names it (a name bound to it, or np.tanh)
    obj: object


@dataclass(frozen=True, eq=False)
class Partial:
    func: object           # the value partial wraps
    args: tuple            # names holding the bound positional arguments
    keywords: tuple        # (keyword, name) of the bound keyword arguments


_MISSING = object()


def is_function(obj):
    """A function: not a class (calling one makes an object), nor an object with `__call__`
    (which stays the object it is)."""
    return isinstance(obj, (types.FunctionType, types.BuiltinFunctionType, types.MethodType,
                            np.ufunc)) or type(obj).__name__ == "_ArrayFunctionDispatcher"


def is_user_function(obj):
    """A Python function of the user's (no rules, not NumPy's or ours): it can be inlined."""
    module = getattr(obj, "__module__", None) or ""
    return isinstance(obj, types.FunctionType) and registry.lookup(obj) is None and \
        not registry.is_nondifferentiable(obj) and \
        module.split(".")[0] not in ("numpy", "scipy", "s2s_ad") and \
        not hasattr(obj, "__s2s_ad_original__") and \
        not obj.__code__.co_filename.startswith(GENERATED_FILE)


def returns_function(fdef):
    """Does a `return` of fdef (not of a function inside it) give a function it defines, or
    a list, tuple or dict of some (a name it appends them to, or a display)?"""
    made = {d.name for d in S.walk(fdef) if isinstance(d, gast.FunctionDef) and d is not fdef}
    made |= {s.targets[0].id for s in S.walk(fdef) if isinstance(s, gast.Assign) and
             isinstance(s.value, gast.Lambda) and isinstance(s.targets[0], gast.Name)}

    def function(node):
        return isinstance(node, gast.Lambda) or (isinstance(node, gast.Name) and
                                                 node.id in made)

    def holds(node):
        items = node.values if isinstance(node, gast.Dict) else getattr(node, "elts", None)
        return items is not None and any(function(i) for i in items)

    held = set()
    for stmt in _own_statements(fdef.body):
        value = stmt.value if isinstance(stmt, (gast.Assign, gast.Expr)) else None
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) and \
                holds(value):
            held.add(stmt.targets[0].id)
        if isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) and \
                isinstance(value.func.value, gast.Name) and value.args and \
                function(value.args[-1]):
            held.add(value.func.value.id)
    for stmt in _own_statements(fdef.body):
        if isinstance(stmt, gast.Return) and stmt.value is not None and (
                function(stmt.value) or holds(stmt.value) or
                (isinstance(stmt.value, gast.Name) and stmt.value.id in held)):
            return True
    return False


def _own_statements(stmts):
    for stmt in stmts:
        if isinstance(stmt, gast.FunctionDef):
            continue
        yield stmt
        for field in ("body", "orelse", "finalbody"):
            block = getattr(stmt, field, None)
            if isinstance(block, list):
                yield from _own_statements(block)


def rename(node, renames):
    for sub in S.walk(node):
        if isinstance(sub, gast.Name) and sub.id in renames:
            sub.id = renames[sub.id]
    return node
