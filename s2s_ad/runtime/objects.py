"""Objects with attributes as values: namedtuples, dataclass instances, plain objects and
classes a user registers.  Their derivatives (tangents, cotangents) are objects of the same
type whose fields are the fields' derivatives, as tuples' are tuples.

    fields(x)                 {name: value} of a record, None for anything else
    rebuilt(x, values)        a new object of x's type, the named fields replaced
    init_fields(cls)          the fields a namedtuple's or dataclass's constructor takes
    object_class(x)           the class of an object with attributes (not a namedtuple), or None
    register_pytree(cls, fields, rebuild=None)   a user's class, with the fields that carry
                              derivatives (and, optionally, how a new instance is made)
"""
import copy
import dataclasses
import functools
import numbers
import types

import numpy as np

_REGISTERED = {}     # class -> (field names, rebuild or None)


def registered_classes():
    """The classes given to register_pytree."""
    return tuple(_REGISTERED)


def register_pytree(cls, fields, rebuild=None):
    """Declare which attributes of `cls`'s instances carry derivatives (`fields`, names), and
    optionally how to make an instance with new values (`rebuild(obj, {name: value})`; by
    default a shallow copy of obj with those attributes set).  Classes whose attributes are
    all data need no registration: namedtuples, dataclasses and plain objects (their
    `__dict__`) are records as they are.  Returns `cls`, so it can decorate a class."""
    _REGISTERED[cls] = (tuple(fields), rebuild)
    return cls


# Values with a `__dict__` that are not data: their derivative is no object of theirs.
_NOT_RECORDS = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType,
                types.MethodType, functools.partial, np.ndarray, np.generic, np.ufunc)


def _plain_object(x):
    """An instance of a user's class whose `__dict__` holds its data."""
    return hasattr(x, "__dict__") and not isinstance(x, _NOT_RECORDS) and \
        type(x).__module__ != "builtins"


def fields(x):
    """{name: value} of the fields of a record (in declaration order), or None where `x` is
    not one (numbers, arrays, plain tuples, lists and dicts, functions, modules)."""
    registered = _REGISTERED.get(type(x))
    if registered is not None:
        return {name: getattr(x, name) for name in registered[0]}
    if isinstance(x, tuple) and hasattr(type(x), "_fields"):
        return dict(zip(x._fields, x))
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return {f.name: getattr(x, f.name) for f in dataclasses.fields(x)}
    if _plain_object(x):
        return dict(vars(x))
    return None


def rebuilt(x, values):
    """A new object of x's type with the fields in `values` replaced; x itself unchanged."""
    registered = _REGISTERED.get(type(x))
    if registered is not None and registered[1] is not None:
        return registered[1](x, values)
    if isinstance(x, tuple) and hasattr(type(x), "_fields"):
        return x._replace(**values)
    out = copy.copy(x)
    for name, value in values.items():
        object.__setattr__(out, name, value)     # frozen dataclasses too
    return out


def is_static(value):
    """A field that carries no derivative (a string, a function, None): kept as it is in an
    object's derivative, never added (the values runtime.zeros_like has no zero for)."""
    return not isinstance(value, (numbers.Number, np.generic, np.ndarray, tuple, list, dict)) \
        and fields(value) is None


def init_fields(cls):
    """The parameters of a namedtuple's or dataclass's generated constructor, in order (each
    is the field of that name); None for any other class."""
    if isinstance(cls, type) and issubclass(cls, tuple) and hasattr(cls, "_fields"):
        return tuple(cls._fields)
    if isinstance(cls, type) and dataclasses.is_dataclass(cls) and \
            getattr(cls, "__post_init__", None) is None and \
            cls.__dataclass_params__.init:
        return tuple(f.name for f in dataclasses.fields(cls) if f.init)
    return None



def object_class(x):
    """The class of x where x is an object with attributes as data (a dataclass instance, a
    plain or registered object), whose methods the generated code may call: derivatives are
    specialised on it (analysis/kinds.py).  None for anything else, namedtuples too (tuples,
    whose kinds are those of containers)."""
    if isinstance(x, tuple) or fields(x) is None:
        return None
    return type(x)


def refuse_property(x, name):
    """A property read where x's class was not known when the code was made (an object a
    call returned) is no field, whose derivative would be the field's: refused."""
    if isinstance(getattr(type(x), name, None), property):
        raise TypeError(f"s2s_ad: `.{name}` is a property of {type(x).__name__}, read from an "
                        f"object whose class was not known when the code was made (a call's "
                        f"result); call its getter, `{type(x).__name__}.{name}.fget(obj)`, or "
                        f"make the object in the function")
