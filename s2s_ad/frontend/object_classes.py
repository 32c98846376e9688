"""The classes of the objects an SSA function holds, where known when its code is generated.

    known_classes(fn, given) -> {SSA name: class}
    method_of(cls, name) -> (function, takes the object) or None

A parameter's class is its argument's (the code is specialised on it: arguments.value_kind);
an object the function makes (`_ad.record(State, ...)`, normalize.py) is of the class it
calls, and a new version of one (`s_1 = _ad.with_field(s, 'x', v)`, object_writes.py) or a
copy (`t = s`) of its class.  A call of a method of such an object (`self.predict(x)`) is a
call of the function the class holds (analysis/ops.py), differentiated from its source.
"""
import types

import gast

from s2s_ad.base import syntax as S
from s2s_ad.base.errors import DifferentiationError
from s2s_ad.frontend.resolve import resolve_static
from s2s_ad.runtime import objects

# Libraries whose classes' methods have rules or are refused, never read as a user's source.
_LIBRARIES = ("numpy", "scipy", "builtins", "s2s_ad", "collections", "functools")


def known_classes(fn, given):
    """{name: class} for the SSA function `fn`: `given` for its parameters, then every name
    whose assignments all give an object of one class known now."""
    sources = {}        # name -> what each assignment gives: a class, a name, or None
    for s in S.walk(fn.node):
        if isinstance(s, gast.Assign) and len(s.targets) == 1 and \
                isinstance(s.targets[0], gast.Name):
            sources.setdefault(s.targets[0].id, []).append(_source(s.value, fn))
    classes = {p: c for p, c in (given or {}).items() if p in fn.params}
    # optimistic: a loop's `s = with_field(s_1, ...)`, `s_1 = with_field(s, ...)` agree on
    # the class their other assignments give, unless one of them is not known
    unknown = {n for n, froms in sources.items() if None in froms and n not in fn.params}
    changed = True
    while changed:      # each pass adds a name to `classes` or `unknown`, or ends
        changed = False
        for name, froms in sources.items():
            if name in fn.params or name in unknown:
                continue
            if any(isinstance(f, str) and (f in unknown or (f in fn.params and
                                                             f not in classes))
                   for f in froms):
                found = None
            else:
                found = {classes.get(f) if isinstance(f, str) else f for f in froms} - {None}
                if not found:       # only names not classified yet
                    continue
                found = found.pop() if len(found) == 1 else None
            if found is None:
                unknown.add(name)
                classes.pop(name, None)
                changed = True
            elif classes.get(name) is not found:
                classes[name] = found
                changed = True
    for s in S.walk(fn.node):
        _refuse_unwritable(s, classes, fn)
    return classes


def _source(value, fn):
    """What an assignment of `value` gives: a class, the name it copies, or None."""
    if isinstance(value, gast.Name):
        return value.id
    if not (isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) and
            isinstance(value.func.value, gast.Name) and value.func.value.id == "_ad"):
        return None
    if value.func.attr == "with_field" and isinstance(value.args[0], gast.Name):
        return value.args[0].id
    if value.func.attr == "record":
        try:
            cls = resolve_static(value.args[0], fn)
        except DifferentiationError:
            return None
        return cls if isinstance(cls, type) else None
    return None


def _refuse_unwritable(s, classes, fn):
    """`obj.h = v` on an object whose class decides what an assignment does
    (`__setattr__`, unless registered), or whose fields cannot be assigned (a frozen
    dataclass, a namedtuple): Python would refuse it."""
    if not (isinstance(s, gast.Assign) and isinstance(s.value, gast.Call) and
            isinstance(s.value.func, gast.Attribute) and s.value.func.attr == "with_field"
            and isinstance(s.value.args[0], gast.Name)):
        return
    cls = classes.get(s.value.args[0].id)
    if cls is None or cls in objects.registered_classes():
        return
    field = s.value.args[1].value
    hint = "Keep the value in a local name, or make a new object (`dataclasses.replace(obj, " \
           f"{field}=v)` is not followed: call the class, `{cls.__name__}(...)`)."
    if getattr(getattr(cls, "__dataclass_params__", None), "frozen", False):
        raise fn.error(s, f"assignment to '.{field}' of a frozen dataclass {cls.__name__}",
                       hint)
    if cls.__setattr__ is not object.__setattr__:
        raise fn.error(s, f"assignment to '.{field}': {cls.__name__} defines __setattr__, "
                          f"whose effect s2s_ad does not follow", hint)
    if issubclass(cls, tuple):
        raise fn.error(s, f"assignment to '.{field}' of the namedtuple {cls.__name__}, whose "
                          f"fields cannot be assigned", hint)


def method_of(cls, name):
    """(function, True) for a method `name` of `cls`'s instances (found through the MRO),
    (function, False) for a staticmethod, None for anything else (a classmethod, an attribute
    an instance may hold, a library class's method)."""
    for klass in cls.__mro__:
        if name in vars(klass):
            found = vars(klass)[name]
            break
    else:
        return None
    if klass.__module__.split(".")[0] in _LIBRARIES:
        return None
    if isinstance(found, staticmethod) and isinstance(found.__func__, types.FunctionType):
        return found.__func__, False
    if isinstance(found, types.FunctionType):
        return found, True
    return None


def property_getter(cls, name):
    """The getter of a property `name` of `cls`, defined by the user, else None."""
    for klass in cls.__mro__:
        if name in vars(klass):
            found = vars(klass)[name]
            if isinstance(found, property) and isinstance(found.fget, types.FunctionType) \
                    and klass.__module__.split(".")[0] not in _LIBRARIES:
                return found.fget
            return None
    return None
