"""Attributes assigned in the function (frontend/object_writes.py) and fields read from an
object's tangent: the helpers the generated code calls for them, with rules in
rules/runtime_rules.py.

    with_field(x, name, v)         `x.name = v` as a new object
    field_cleared(g, like, name)   its derivative in x: g with that field zero
    updated_field(value, name)     the value `x.name op= v` updates: a number, never an array
    tangent_field(t, x, name)      the tangent of a read of `x.name`
"""
import numpy as np

# by name, not the module: standalone code copies the functions it calls by their source
from s2s_ad.runtime.core import zeros_like
from s2s_ad.runtime.objects import is_static, rebuilt, refuse_property


def with_field(x, name, value):
    """`x.name = value` as a value: a new object of x's type, that field replaced (x, which
    may be the caller's, unchanged).  Refused, as Python would, for a namedtuple or a frozen
    dataclass, whose fields cannot be assigned."""
    if isinstance(x, tuple) or getattr(getattr(x, "__dataclass_params__", None), "frozen",
                                       False):
        raise AttributeError(f"cannot assign to field '{name}' of {type(x).__name__}")
    return rebuilt(x, {name: value})


def updated_field(value, name):
    """The value of `obj.name` that `obj.name op= v` updates (object_writes.py): a number,
    for which Python makes a new one, as the derivative code does.  An array Python would
    write into, and every other name holding it would see the change: refused here."""
    if isinstance(value, np.ndarray):
        raise TypeError(f"s2s_ad: `.{name} op= v` writes into the array the attribute holds, "
                        f"which other names may hold too; write `obj.{name} = obj.{name} + v` "
                        f"(a new array) instead")
    return value


def field_cleared(g, like, name):
    """g, an object's derivative, with the field `name` made zero (of like.name's shape), or
    left out where `like` has no such field: the cotangent of x in `x.name = value` (from g,
    the new object's), and the tangent of the new object from x's."""
    if hasattr(like, name):
        value = getattr(like, name)
        return rebuilt(g, {name: value if is_static(value) else zeros_like(value)})
    out = rebuilt(g, {})      # a copy: a field the function added is no field of x's
    if name in getattr(out, "__dict__", ()):
        object.__delattr__(out, name)
    return out


def tangent_field(t, x, name):
    """The tangent of a read of `x.name`: that field of x's tangent t."""
    refuse_property(x, name)
    return getattr(t, name)
