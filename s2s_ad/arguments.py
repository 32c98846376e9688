"""The arguments of a call of a transform: what the generated code for it depends on.

Stage: public layer, before code is looked up.  Input: the user's function and one call's
arguments.  Output: parameter names, the wrt names, arguments bound by position (defaults
filled in, differentiated integers as floats), and the kinds and shapes the generated code is
specialised on, for the arguments, the module-level values and the closure cells it reads.
"""
import inspect
import types
import weakref

import numpy as np

from s2s_ad.analysis.kinds import VALUE_KINDS, kind_of_value
from s2s_ad.base.errors import BadArgumentError, UnsupportedSyntaxError
from s2s_ad.frontend import source as frontend
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
    """`wrt` (an index, a name, or a tuple of them) as (list of names, was it a tuple)."""
    params = parameters(fn)
    as_tuple = isinstance(wrt, (tuple, list))
    items = list(wrt) if as_tuple else [wrt]
    names = []
    for item in items:
        if isinstance(item, (int, np.integer)) and not isinstance(item, bool):
            if not -len(params) <= item < len(params):
                _refuse_variadic(fn, f"wrt={item}")
                raise BadArgumentError(
                    f"wrt={item} is out of range: {qualname(fn)} has {len(params)} "
                    f"parameter(s) {tuple(params)}")
            names.append(params[item])
        elif isinstance(item, str):
            if item not in params:
                _refuse_variadic(fn, f"wrt={item!r}")
                raise BadArgumentError(
                    f"wrt={item!r}: {qualname(fn)} has no parameter named {item!r} "
                    f"(its parameters are {tuple(params)})")
            names.append(item)
        else:
            raise BadArgumentError(f"wrt must be an index, a name or a tuple of them, not {item!r}")
    return names, as_tuple


def _refuse_variadic(fn, asked):
    """Where `asked` names no parameter of fn and fn takes `*args` or `**kwargs`, refuse at
    that parameter in the user's source: the arguments it collects are not differentiated."""
    if getattr(fn, "__s2s_ad__", None) is not None:
        return
    plain = frontend.unwrap(fn)
    if not isinstance(plain, types.FunctionType):
        if registry.lookup(plain) is None and not registry.is_nondifferentiable(plain):
            frontend.parse(plain)    # a callable without source (a partial): refused as one
        return
    if not plain.__code__.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS):
        return
    parsed = frontend.parse(plain)
    args = parsed.node.args
    node = args.vararg or args.kwarg or parsed.node
    star = "*" if node is args.vararg else "**"
    name = getattr(node, "id", "args")
    raise UnsupportedSyntaxError(
        f"{asked}: {qualname(fn)}'s `{star}{name}` parameter is not differentiated (a "
        f"transform differentiates with respect to named parameters)",
        hint=f"List the parameters explicitly "
             f"({'lambda x, y: ...' if plain.__name__ == '<lambda>' else parsed.node.name + '(x, y, ...)'}"
             f"); a function called from the differentiated one may take *args.",
        location=parsed.location(node))


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

