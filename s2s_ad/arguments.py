"""The arguments of a call of a transform: what the generated code for it depends on.

Stage: public layer, before code is looked up.  Input: the user's function and one call's
arguments.  Output: parameter names, the wrt names, arguments bound by position (defaults
filled in, differentiated integers as floats), and the kinds and shapes the generated code is
specialised on, for the arguments, the module-level values and the closure cells it reads.
"""
import inspect
import re
import types
import weakref

import numpy as np

from s2s_ad.analysis.kinds import VALUE_KINDS, kind_of_value
from s2s_ad.base.errors import BadArgumentError
from s2s_ad.frontend import source as frontend
from s2s_ad.frontend import variadic
from s2s_ad.rules import registry
from s2s_ad.runtime import objects

ABSENT = object()     # what an empty closure cell holds, or a name missing from a scope


def closure_items(fn):
    """[(name, cell, what it holds, or ABSENT for an empty cell)] for `fn`'s closure."""
    cells = getattr(fn, "__closure__", None)
    if not cells:
        return []
    items = []
    for name, cell in zip(fn.__code__.co_freevars, cells):
        try:
            items.append((name, cell, cell.cell_contents))
        except ValueError:
            items.append((name, cell, ABSENT))
    return items


def closure_key(fn):
    """What generated code depends on in `fn`'s closure, whose cells it reads live: the kind
    of each number or array there (the code is specialised on it), and any other object itself
    (a function it calls, whose derivative was built in)."""
    key = []
    for name, _, value in closure_items(fn):
        kind = kind_of_value(value) if value is not ABSENT else None
        if value is ABSENT or kind in VALUE_KINDS or kind in ("container", "dict"):
            key.append((name, global_kind(value) if kind in VALUE_KINDS else kind))
            continue
        try:
            hash(value)
            key.append((name, value))
        except TypeError:
            key.append((name, id(value)))
    return tuple(key)


_VALUE_GLOBALS = weakref.WeakKeyDictionary()   # function -> names of the globals it reads


def value_global_kinds(fn):
    """((name, kind), ...) for the module-level numbers, arrays and objects (whose kind is
    their class) `fn` reads."""
    scope = getattr(fn, "__globals__", None)
    if scope is None or not isinstance(scope, dict) or type(scope) is not dict:
        return ()
    names = value_global_names(fn)
    return tuple((n, global_kind(scope[n]) if n in scope else None) for n in names)


def value_global_names(fn):
    scope = getattr(fn, "__globals__", None)
    if type(scope) is not dict:
        return ()
    names = _VALUE_GLOBALS.get(fn)
    if names is None:
        names = _VALUE_GLOBALS[fn] = tuple(
            n for n in fn.__code__.co_names
            if n in scope and (kind_of_value(scope[n]) in VALUE_KINDS
                               or objects.object_class(scope[n]) is not None))
    return names


_TUPLE_KINDS = {}   # id -> (tuple, kind): a tuple cannot change, so its kind is computed once


def global_kind(value):
    if type(value) is tuple:
        known = _TUPLE_KINDS.get(id(value))
        if known is None or known[0] is not value:
            known = _TUPLE_KINDS[id(value)] = (value, kind_of_value(value))
        return known[1]
    return value_kind(value)


def signature(fn):
    """The signature a transform of `fn` is called with: that of the function differentiated
    (for one of our derivatives, of the function it differentiates; a functools.wraps
    wrapper's own), without a bound method's `self`."""
    inner = getattr(fn, "__s2s_ad__", None)
    if inner is not None:
        return signature(inner[0])
    plain = frontend.unwrap(fn)
    try:
        sig = builtin_signature(plain) or frontend.signature(plain)
    except (TypeError, ValueError):
        frontend.parse(plain)     # a function without Python source: says so, and what to do
        raise BadArgumentError(f"cannot read the parameters of {plain!r}") from None
    if bound_self(fn) is not None:    # a bound method's `self` is not an argument
        sig = sig.replace(parameters=list(sig.parameters.values())[1:])
    return sig


def builtin_signature(fn):
    """None where inspect finds fn's signature; else, for a built-in with derivative rules
    (math.log, math.hypot), the arguments its rule takes after the cotangent (tangent) and
    the result: `(x, base=math.e, /)`."""
    if not isinstance(fn, types.BuiltinFunctionType):
        return None
    try:
        inspect.signature(fn)
        return None
    except ValueError:
        rule = registry.lookup(fn)
        if rule is None:
            return None
        made = next(r for r in (*(rule.vjps or ()), *(rule.jvps or ())) if callable(r))
        parameters = list(inspect.signature(made).parameters.values())[2:]
        return inspect.Signature([p.replace(kind=p.POSITIONAL_ONLY) for p in parameters])


def bound_self(fn):
    """The `self` of a bound method (or of the one a derivative of ours differentiates), which
    the generated code takes as its first argument; None for a plain function."""
    inner = getattr(fn, "__s2s_ad__", None)
    if inner is not None:
        return bound_self(inner[0])
    if hasattr(fn, "__s2s_ad_original__"):    # @ad.differentiate on a method, bound
        return bound_self(fn.__s2s_ad_original__)
    return fn.__self__ if isinstance(fn, types.MethodType) else None


def parameters(fn):
    return [p.name for p in signature(fn).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def wrt_names(fn, wrt):
    """`wrt` (an index, a name, or a tuple of them) as (list of names, was it a tuple).  For
    a function taking `*xs`, an index past its named positional parameters is an item of xs
    (`xs_0` in the generated code, which may name it too); for one taking `**kw`, a name that
    is no parameter is a key of kw (see variadic.py)."""
    params = parameters(fn)
    node = variadic_node(fn)
    as_tuple = isinstance(wrt, (tuple, list))
    items = list(wrt) if as_tuple else [wrt]
    names = []
    for item in items:
        if isinstance(item, (int, np.integer)) and not isinstance(item, bool):
            names.append(_by_position(fn, params, node, int(item)))
        elif isinstance(item, str):
            names.append(_by_name(fn, params, node, item))
        else:
            raise BadArgumentError(f"wrt must be an index, a name or a tuple of them, not {item!r}")
    return names, as_tuple


def _by_position(fn, params, node, index):
    """The parameter at position `index` of fn's arguments."""
    star = node.args.vararg if node is not None else None
    if star is None:
        if not -len(params) <= index < len(params):
            raise BadArgumentError(
                f"wrt={index} is out of range: {qualname(fn)} has {len(params)} "
                f"parameter(s) {tuple(params)}")
        return params[index]
    positional = positional_parameters(fn)
    if index < 0:
        raise BadArgumentError(f"wrt={index}: {qualname(fn)} takes `*{star.id}`, so its "
                               f"arguments are counted from the first",
                               hint="Give the position from the first argument.")
    if index < len(positional):
        return positional[index]
    return variadic.item_name(variadic.taken_names(node), star.id, index - len(positional))


def _by_name(fn, params, node, name):
    """The parameter `name` names: one of fn's, an item of its `*xs` by its parameter's name
    (`xs_0`), or a key of its `**kw`."""
    if name in params:
        return name
    args = node.args if node is not None else None
    if args is not None and name in [a.id for a in (args.vararg, args.kwarg) if a is not None]:
        star = "*" if args.vararg is not None and name == args.vararg.id else "**"
        raise BadArgumentError(
            f"wrt={name!r} names {qualname(fn)}'s `{star}{name}`, which holds as many "
            f"arguments as a call gives it",
            hint="Name its arguments: by position for `*args` items (wrt=(1, 2)), by their "
                 "keys for `**kwargs` ones (wrt='scale').")
    if args is not None and args.vararg is not None:
        taken = variadic.taken_names(node)
        match = re.fullmatch(rf"{re.escape(args.vararg.id)}_(\d+)_*", name)
        if match and variadic.item_name(taken, args.vararg.id, int(match.group(1))) == name:
            return name
    if args is not None and args.kwarg is not None:
        return variadic.key_name(variadic.taken_names(node), getattr(args.vararg, "id", None),
                                 args.kwarg.id, name)
    raise BadArgumentError(
        f"wrt={name!r}: {qualname(fn)} has no parameter named {name!r} "
        f"(its parameters are {tuple(params)})")


def positional_parameters(fn):
    """fn's parameters that a call may give by position (before any `*xs`)."""
    return [p.name for p in signature(fn).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def variadic_function(fn):
    """The Python function whose `*xs` / `**kw` a call of fn (or of a derivative of ours of
    it) fills, or None where it takes neither."""
    inner = getattr(fn, "__s2s_ad__", None)
    if inner is not None:
        return variadic_function(inner[0])
    plain = frontend.unwrap(fn)
    return plain if variadic.is_variadic(plain) else None


def variadic_node(fn):
    """The parsed FunctionDef of variadic_function(fn), or None."""
    plain = variadic_function(fn)
    return frontend.parse(plain).node if plain is not None else None


def call_arguments(fn, params, args, kwargs):
    """(parameter names, arguments in their order, call shape) of one call of a transform of
    fn, every parameter given (defaults filled in).  For fn taking `*xs` or `**kw`, the names
    are those of the function specialised to the call (variadic.py: `xs_0`, ..., a parameter
    per key) and the shape is (how many items, which keys); else `params` and None."""
    plain = variadic_function(fn)
    if plain is None:
        return params, bind(fn, params, args, kwargs), None
    sig = signature(fn)
    try:
        bound = sig.bind(*args, **kwargs)
    except TypeError as exc:
        raise TypeError(f"{qualname(fn)}(): {exc}") from None
    bound.apply_defaults()
    shape = (len(bound.arguments.get(_var(sig, "VAR_POSITIONAL"), ())),
             tuple(bound.arguments.get(_var(sig, "VAR_KEYWORD"), {})))
    values = []
    for name, p in sig.parameters.items():
        value = bound.arguments[name]
        values += list(value) if p.kind is p.VAR_POSITIONAL else \
            list(value.values()) if p.kind is p.VAR_KEYWORD else [value]
    return shaped_parameters(fn, shape), tuple(values), shape


def shaped_parameters(fn, shape):
    """fn's parameter names, for fn taking `*xs` or `**kw` as specialised to the call shape
    `shape` (in their order: the named positional ones, the items of xs, the keyword-only
    ones, the keys of kw); without a shape, `parameters(fn)`."""
    if shape is None:
        return parameters(fn)
    spread = variadic.spread_of(variadic.specialised(variadic_function(fn), *shape))
    names = []
    for name, p in signature(fn).parameters.items():
        names += list(spread.items) if p.kind is p.VAR_POSITIONAL else \
            [n for _, n in spread.keywords] if p.kind is p.VAR_KEYWORD else [name]
    return names


def example_shape(fn, wrt):
    """The call shape generic code (without example arguments: `ad.source`, the CLI) is made
    for where fn takes `*xs` or `**kw`: as many items of xs as `wrt` reaches (by position or
    by name), and the keys of kw it names; None for any other function."""
    node = variadic_node(fn)
    if node is None:
        return None
    star = node.args.vararg.id if node.args.vararg is not None else None
    items = list(wrt) if isinstance(wrt, (tuple, list)) else [wrt]
    params, positional = parameters(fn), positional_parameters(fn)
    count, keys = 0, []
    for item, name in zip(items, wrt_names(fn, items)[0]):
        if name in params:
            continue
        match = re.fullmatch(rf"{re.escape(star)}_(\d+)_*", name) if star else None
        if isinstance(item, str) and not match:
            keys.append(item)          # a key of kw, by its own name
        else:
            count = max(count, 1 + (int(match.group(1)) if isinstance(item, str)
                                    else item - len(positional)))
    return count, tuple(dict.fromkeys(keys))


def _var(sig, kind):
    return next((p.name for p in sig.parameters.values() if p.kind.name == kind), None)


def qualname(fn):
    return getattr(frontend.unwrap(fn), "__qualname__", repr(fn))


_KIND_BY_TYPE = {}


def value_kind(value):
    """kind_of_value, memoised by type where the type decides it (not for arrays, whose kind
    depends on their dtype, nor for containers, whose kind depends on what they hold)."""
    t = type(value)
    if t is np.ndarray:
        return None if value.dtype.kind == "c" else "array"
    kind = _KIND_BY_TYPE.get(t, 0)
    if kind == 0:
        if t in (tuple, list, dict):
            return kind_of_value(value)
        # an object's kind is its class, whose methods its calls resolve to (analysis/kinds.py)
        kind = _KIND_BY_TYPE[t] = kind_of_value(value) or objects.object_class(value)
    return kind


def shapes_of(fn_params, args):
    """{parameter: shape} for the array arguments of one call (the code is specialised on it)."""
    return {p: a.shape for p, a in zip(fn_params, args) if type(a) is np.ndarray}


def arg_kinds(fn_params, args):
    """{parameter: kind} for the positional arguments of one call."""
    return {name: value_kind(value) for name, value in zip(fn_params, args)}


_SIGNATURES = weakref.WeakKeyDictionary()   # function -> inspect.signature, found once


def bind(fn, params, args, kwargs):
    """The arguments of a call by position, every parameter given: keyword arguments put in
    their places, defaults filled in (the generated code of a forward mode takes tangents
    after the parameters, so it has no defaults)."""
    if not kwargs and len(args) >= len(params):
        return args
    try:
        sig = _SIGNATURES.get(fn)
    except TypeError:        # not weakly referable, or unhashable
        sig = None
    if sig is None:
        sig = signature(fn)
        try:
            _SIGNATURES[fn] = sig
        except TypeError:
            pass
    bound = sig.bind(*args, **kwargs)
    bound.apply_defaults()
    return tuple(bound.arguments[p] for p in params if p in bound.arguments)


def as_float(value):
    """Integer arguments that are differentiated are treated as floats."""
    t = type(value)
    if t is float:
        return value
    if t is np.ndarray:     # the common cases first, without NumPy's dtype hierarchy
        return value.astype(float) if value.dtype.kind in "iu" else value
    if isinstance(value, (bool, np.bool_)):
        return value
    if isinstance(value, (int, np.integer)):
        return float(value)
    if isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.integer):
        return value.astype(float)
    return value



def snapshot(value):
    """A copy of the arrays in `value`, in containers of the same structure; other values
    (numbers, objects the derivative does not read as data) as they are."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (list, tuple)):
        items = [snapshot(v) for v in value]
        if type(value) in (list, tuple):
            return type(value)(items)
        if isinstance(value, tuple) and hasattr(value, "_fields"):     # a namedtuple
            return type(value)(*items)
        return value
    if type(value) is dict:
        return {k: snapshot(v) for k, v in value.items()}
    items = objects.fields(value)      # a dataclass or other object: a copy, its arrays copied
    if items is not None:
        try:
            return objects.rebuilt(value, {k: snapshot(v) for k, v in items.items()})
        except TypeError:      # an object that cannot be copied (it holds a lock): as it is
            return value
    return value

