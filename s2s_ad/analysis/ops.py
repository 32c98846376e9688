"""What one SSA statement computes, in the uniform shape both transforms work from.

    describe(stmt, fn) -> Op
    bind_call(op, stmt, fn) -> {callee parameter: argument atom} at a call to a user function

`a + b` is a call of `operator.add`, `x.sum(axis=0)` a call of `np.sum(x, axis=0)`, `x.T` a call
of `np.transpose(x)`; indexing, tuple packing and unpacking, copies and constants have kinds of
their own.  The transforms look rules up by the callable an Op resolves to.
"""
import operator
from dataclasses import dataclass, field

import gast
import numpy as np

from s2s_ad import runtime as _runtime
from s2s_ad.base import syntax as S
from s2s_ad.base.errors import DifferentiationError, UnsupportedSyntaxError
from s2s_ad.frontend import frozen
from s2s_ad.frontend.object_classes import method_of, property_getter
from s2s_ad.frontend.resolve import TRANSFORM_NAMES, resolve_static
from s2s_ad.frontend import variadic
from s2s_ad.frontend.source import signature, unwrap
from s2s_ad.rules import registry

BINOPS = {gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
          gast.Div: operator.truediv, gast.FloorDiv: operator.floordiv, gast.Mod: operator.mod,
          gast.Pow: operator.pow, gast.MatMult: operator.matmul, gast.BitAnd: operator.and_,
          gast.BitOr: operator.or_, gast.BitXor: operator.xor, gast.LShift: operator.lshift,
          gast.RShift: operator.rshift}
COMPARISONS = {gast.Lt: operator.lt, gast.LtE: operator.le, gast.Gt: operator.gt,
               gast.GtE: operator.ge, gast.Eq: operator.eq, gast.NotEq: operator.ne}
UNARYOPS = {gast.USub: operator.neg, gast.Not: operator.not_, gast.Invert: operator.invert}

# Array methods and attributes that are NumPy functions of the array (x.sum(axis=0) is
# np.sum(x, axis=0), x.T is np.transpose(x)): the `methods` and `attributes` facts of the
# functions' records (rules/), registry.METHODS and registry.ATTRIBUTES.
CONSTANT_ATTRIBUTES = registry.CONSTANT_ATTRIBUTES


@dataclass
class Op:
    kind: str              # call | copy | const | index | pack | dict | unpack | setitem | other
    fn: object = None      # the callable, for kind "call"
    args: list = field(default_factory=list)     # atom nodes
    kwargs: dict = field(default_factory=dict)   # name -> atom node
    index: object = None   # the index node of an `index` or `setitem`
    keys: list = field(default_factory=list)     # for `dict`
    name: str = ""         # how the user wrote the callable, for messages
    writes: list = field(default_factory=list)   # argument names a called function writes into
    ref: tuple = None      # (namespace, key) the callable was found under, to notice a rebinding


def refusal_hint(op):
    """What to do about a call that has no derivative: a callable computed at run time
    (`fs[0](x)`) is not known when the code is generated."""
    if op.kind == "dynamic":
        return "Call the function by its module-level name (`h(x)`, not `fs[0](x)`): s2s_ad " \
               "follows the calls it can resolve when it generates the code."
    if op.kind == "method":     # the receiver's class is not known when the code is generated
        hint = f"The class is known for an argument and an object made in the function, " \
               f"not for one read from a list or dict, nor in a gradient taken inside the " \
               f"function: call a method of your own class through the class " \
               f"(`Model{op.name[:-2]}(self, x)` for `self{op.name[:-2]}(x)`); for an " \
               f"array, the NumPy function."
        if op.name[1:-2] in frozen.POINT_METHODS | frozen.PLAIN_METHODS:
            hint += " For a frozen scipy.stats distribution d = stats.norm(mu, s), call " \
                    f"stats.norm{op.name[:-2]}(x, mu, s), or use d only as d{op.name[:-2]}" \
                    "(x) in the function that freezes it."
        return hint
    return "Call a NumPy function or a function with rules instead."


def static_name(node):
    if isinstance(node, gast.Call):
        return f"{static_name(node.func)}(...)"
    return S.load(node.id).id if isinstance(node, gast.Name) else \
        f"{static_name(node.value)}.{node.attr}"


def describe(stmt, fn, is_local):
    """The Op of an SSA assignment or expression statement."""
    if isinstance(stmt, gast.Expr):
        value = stmt.value
    elif isinstance(stmt.targets[0], gast.Subscript):
        target = stmt.targets[0]
        return Op("setitem", args=[target.value, stmt.value], index=target.slice)
    elif isinstance(stmt.targets[0], gast.Tuple):
        return Op("unpack", args=[stmt.value])
    else:
        value = stmt.value
    if isinstance(value, gast.Constant):
        return Op("const")
    if isinstance(value, gast.Name):
        return Op("copy", args=[value]) if is_local(value.id) else Op("const")
    if isinstance(value, gast.Attribute) and not is_local(_root(value)):
        return Op("const")
    if isinstance(value, gast.BinOp):
        return Op("call", BINOPS[type(value.op)], [value.left, value.right], name=_op_name(value.op))
    if isinstance(value, gast.UnaryOp):
        return Op("call", UNARYOPS[type(value.op)], [value.operand], name=_op_name(value.op))
    if isinstance(value, gast.Compare):
        compare = COMPARISONS.get(type(value.ops[0])) if len(value.ops) == 1 else None
        return Op("other", compare, args=[value.left, value.comparators[0]])
    if isinstance(value, gast.Subscript):
        if not is_local(_root(value.value) or "") and _concatenator(value.value, fn):
            # np.r_[a, b]: a call whose arguments are the items (slices are not arguments);
            # its rules (numpy_misc_rules.py) refuse a derivative through them
            items = value.slice.elts if isinstance(value.slice, gast.Tuple) else [value.slice]
            return Op("call", resolve_static(value.value, fn),
                      [a for a in items if isinstance(a, (gast.Name, gast.Constant))],
                      name=f"{static_name(value.value)}[...]")
        return Op("index", args=[value.value], index=value.slice)
    if isinstance(value, (gast.Tuple, gast.List)):
        return Op("pack", args=list(value.elts), name=type(value).__name__.lower())
    if isinstance(value, gast.Dict):
        return Op("dict", args=list(value.values), keys=list(value.keys))
    if isinstance(value, gast.Attribute):
        return _attribute(value, fn, stmt)
    if isinstance(value, gast.Call):
        _refuse_in_place(stmt, value, fn, is_local)
        return _call(value, fn, is_local)
    raise fn.error(stmt, f"cannot differentiate {type(value).__name__}", kind=UnsupportedSyntaxError)


def _concatenator(node, fn):
    """Is `node` (a global) np.r_ or np.c_, which build an array from the items of an index?"""
    if not isinstance(node, (gast.Attribute, gast.Name)):
        return False
    try:
        target = resolve_static(node, fn)
    except DifferentiationError:     # not a global known now: describe says why if it matters
        return False
    return target is np.r_ or target is np.c_


def _root(node):
    while isinstance(node, gast.Attribute):
        node = node.value
    return node.id if isinstance(node, gast.Name) else None


def _known_method(func, fn):
    """(function, takes the object) for `obj.name` where obj's class is known now
    (frontend/object_classes.py), else None."""
    cls = getattr(fn, "classes", {}).get(func.value.id) \
        if isinstance(func.value, gast.Name) else None
    return method_of(cls, func.attr) if cls is not None else None


def _attribute(value, fn, stmt):
    cls = getattr(fn, "classes", {}).get(value.value.id) \
        if isinstance(value.value, gast.Name) else None
    getter = property_getter(cls, value.attr) if cls is not None else None
    if getter is not None:     # a property: a call of its getter, differentiated from its code
        return Op("call", getter, [value.value], name=static_name(value))
    if value.attr in registry.ATTRIBUTES:
        target = registry.ATTRIBUTES[value.attr]
        return Op("call", target, [value.value], name=f".{value.attr}")
    if value.attr in CONSTANT_ATTRIBUTES:
        return Op("other", args=[value.value], name=f".{value.attr}")
    if value.attr != "flat":      # an object's field, read as a tuple's item is (objects.py)
        return Op("call", _runtime.attribute, [value.value, S.const(value.attr)],
                  name=f".{value.attr}")
    # the statement: the attribute of a target (`b.flat[0] = v`) is a value made for it
    hint = "Index the array itself: `a[np.unravel_index(i, a.shape)]` for `a.flat[i]`." \
        if value.attr == "flat" else \
        "Pass the value in as an argument (`def loss(self, x, w)` for `self.w`), or for an " \
        "array's attribute use the NumPy function (np.transpose(x) for x.T)."
    where = value if getattr(value, "lineno", None) else stmt
    raise fn.error(where, f"the attribute '.{value.attr}' is not supported", hint)


# Calls that write into an array they are given: the derivative code cannot follow them (an
# adjoint or a saved value would silently be of the array before), so they are refused.  The
# methods that do, with what to write instead; the functions that do say it in their records
# (`in_place`, rules/numpy_misc_rules.py).
IN_PLACE_METHODS = {
    "fill": "a = np.full_like(a, value)", "sort": "a = np.sort(a)",
    "partition": "a = np.partition(a, k)", "put": "a[indices] = values",
    "itemset": "a[index] = value", "resize": "a = np.resize(a, shape)",
    "setfield": "a new array"}
# Methods that change the list, dict or set they are called on.  s2s_ad follows `append`, `pop()`
# and, as statements, `a.__setitem__(i, v)` and `a.__iadd__(v)` (desugar writes them `a[i] = v`
# and `a += v`); these it does not.
CHANGING_METHODS = {"extend", "insert", "remove", "pop", "clear", "reverse", "update",
                    "popitem", "setdefault", "add", "discard", "__setitem__", "__delitem__"}


def changes_receiver(method):
    """Does a call of `.method(...)` change what it is called on?  The in-place operators
    (`__iadd__`, `__imul__`, ...) do."""
    return method in CHANGING_METHODS or (method.startswith("__i") and method.endswith("__")
                                          and method not in ("__init__", "__index__", "__int__",
                                                             "__invert__", "__iter__"))


def _refuse_in_place(stmt, value, fn, is_local):
    """A DifferentiationError at `stmt` for a call that writes into an array it is given."""
    kwargs = {k.arg for k in value.keywords}
    func = value.func
    if "out" in kwargs:
        raise fn.error(stmt, "`out=` writes the result into an existing array, which the "
                              "derivative code cannot follow",
                       "Assign the result instead: `a = np.add(x, y)` for "
                       "`np.add(x, y, out=a)`.")
    if isinstance(func, gast.Attribute) and is_local(_root(func)):
        fix = IN_PLACE_METHODS.get(func.attr)
        if fix is not None:
            raise fn.error(stmt, f"`.{func.attr}()` changes the array in place, which the "
                                  f"derivative code cannot follow",
                           f"Write it as an assignment instead: {fix}.")
        return
    if isinstance(func, (gast.Attribute, gast.Name)) and not (isinstance(func, gast.Name) and
                                                             is_local(func.id)):
        try:
            target = resolve_static(func, fn)
        except DifferentiationError:     # describe reports a callee it cannot resolve
            return
        fix = registry.fact(target, "in_place")    # np.copyto ...: what to write instead
        hint = f"Write it as an assignment instead: {fix}."
        if isinstance(func, gast.Attribute) and func.attr == "at" and \
                isinstance(getattr(target, "__self__", None), np.ufunc):
            # np.add.at itself is rewritten as a write into the array (transform.py)
            fix = hint = "Use np.add.at(a, idx, v), which s2s_ad follows (with -v for subtract)."
        if fix is not None:
            raise fn.error(stmt, f"{static_name(func)}() writes into the array it is given, "
                                  f"which the derivative code cannot follow", hint)


def hashable(obj):
    try:
        hash(obj)
    except TypeError:
        return False
    return True


def _call(value, fn, is_local):
    kwargs = {k.arg: k.value for k in value.keywords}
    func = value.func
    if isinstance(func, gast.Attribute) and is_local(_root(func)):
        if func.attr == "append" and len(value.args) == 1 and not kwargs:
            return Op("append", args=[func.value, value.args[0]], name=".append()")
        if func.attr == "pop" and not value.args and not kwargs:
            return Op("pop", args=[func.value], name=".pop()")
        if func.attr in registry.METHODS:
            args = [func.value] + list(value.args)
            target = registry.METHODS[func.attr]
            if registry.primitive(target).method_packs and len(value.args) > 1:
                args = [func.value, S.tuple_(value.args)]
            args, kwargs = leading_by_position(target, args, kwargs)
            return Op("call", target, args, kwargs, name=f".{func.attr}()")
        if func.attr == "astype":
            return Op("call", "astype", [func.value] + list(value.args), kwargs, name=".astype()")
        method = _known_method(func, fn)
        if method is not None:     # `self.predict(x)`: Model.predict(self, x), its own code
            target, takes_object = method
            args = ([func.value] if takes_object else []) + list(value.args)
            return Op("call", target, args, kwargs, name=static_name(func))
        return Op("method", None, [func.value] + list(value.args), kwargs, name=f".{func.attr}()",
                  index=func.attr)
    if isinstance(func, gast.Name) and is_local(func.id):
        return Op("dynamic", None, [func] + list(value.args), kwargs,
                  name=fn.namer.shown(func.id))
    target = generated_code_of(resolve_static(func, fn), value.args, kwargs)
    if is_user_method(target) and isinstance(func, gast.Attribute):
        # `model.loss(x)`, model a global or closure object: loss(model, x), its own code
        args = [func.value] + list(value.args)
        return Op("call", for_call(target.__func__, args, kwargs), args, kwargs,
                  name=static_name(func), ref=reference(func, fn))
    args, kwargs = leading_by_position(target, list(value.args), kwargs)
    return Op("call", for_call(target, args, kwargs), args, kwargs, name=static_name(func),
              ref=reference(func, fn))


def for_call(target, args, kwargs):
    """The callee of a call: a user function taking `*xs` or `**kw` specialised to what this
    call gives them (variadic.py), so that each call site gets derivatives with a parameter
    per argument; anything else as it is."""
    if not (variadic.is_variadic(target) and is_user_function(target)) or \
            variadic.spread_of(target) is not None:
        return target
    shape = variadic.call_shape(target, args, kwargs)
    return target if shape is None else variadic.specialised(target, *shape)


# Keywords NumPy accepts under a second name: its rules name the parameter the first way.
KEYWORD_ALIASES = {np.clip: {"min": "a_min", "max": "a_max"}}     # NumPy 2.1: a.clip(min=...)


def leading_by_position(fn, args, kwargs):
    """`np.sum(a=x, axis=0)` as `np.sum(x, axis=0)`: the keywords that name the next positions
    of `fn`'s rules, moved to those positions, so that what reads `op.args[0]` (shapes,
    reductions) sees the argument however it was passed.  The rest stay keywords;
    registry.bind maps those to positions for the derivative rules."""
    rule = registry.lookup(fn) if kwargs and not isinstance(fn, str) else None
    if rule is None:
        return args, kwargs
    names = registry.positional_names(rule)
    aliases = KEYWORD_ALIASES.get(fn, {}) if hashable(fn) else {}
    kwargs = {aliases.get(k, k): v for k, v in kwargs.items()}
    while len(args) < len(names) and names[len(args)] in kwargs and \
            not any(isinstance(a, gast.Starred) for a in args):
        args.append(kwargs.pop(names[len(args)]))
    return args, kwargs


def reference(node, fn):
    """Where a global reference is looked up: (mapping, key), or None (closure, builtins)."""
    if isinstance(node, gast.Name):
        scope = getattr(fn.parsed.fn, "__globals__", {})
        return (scope, node.id) if node.id in scope and node.id not in fn.parsed.closure else None
    if isinstance(node, gast.Attribute):
        try:
            owner = resolve_static(node.value, fn)
        except DifferentiationError:     # not a global: nothing for the cache to watch
            return None
        namespace = getattr(owner, "__dict__", None)
        if isinstance(namespace, dict) and type(owner).__name__ == "module":
            return (namespace, node.attr)
    return None


def generated_code_of(obj, args=(), kwargs=None):
    """Our own derivative functions are differentiated through the code they run (that of
    the function they differentiate taking `*xs` or `**kw`, for what this call `args`,
    `kwargs` gives them)."""
    inner = getattr(obj, "__s2s_ad__", None)
    if inner is None or inner[1] not in TRANSFORM_NAMES:
        return obj
    shape = None
    if variadic.is_variadic(unwrap(inner[0])):
        shape = variadic.call_shape(inner[0], args, kwargs or {})
    return obj.__s2s_ad_generated__(shape)     # set by api.mark: compiles it on first use


def _op_name(op):
    return {gast.Add: "+", gast.Sub: "-", gast.Mult: "*", gast.Div: "/", gast.FloorDiv: "//",
            gast.Mod: "%", gast.Pow: "**", gast.MatMult: "@", gast.USub: "unary -",
            gast.Not: "not", gast.Invert: "~"}.get(type(op), type(op).__name__)


def reduced_axes(op, ndim):
    """For a reduction `f(x)`, `f(x, axis)` or `f(x, axis=..., keepdims=...)` of an array of
    `ndim` dimensions: (the reduced axes, sorted and non-negative, whether they are kept), or
    None where the axis or keepdims is not a constant, or the call has other arguments."""
    options = dict(op.kwargs)
    if len(op.args) > 2 or set(options) - {"axis", "keepdims"}:
        return None
    if len(op.args) == 2:
        options["axis"] = op.args[1]
    axis = _constant(options.get("axis"), None)
    keepdims = _constant(options.get("keepdims"), False)
    if axis is _NOT_CONSTANT or keepdims not in (True, False):
        return None
    axes = tuple(range(ndim)) if axis is None else (axis,) if isinstance(axis, int) else axis
    if not all(isinstance(a, int) and -ndim <= a < ndim for a in axes):
        return None
    return tuple(sorted(a % ndim for a in axes)), keepdims


_NOT_CONSTANT = object()


def _constant(node, default):
    """The value of a constant (or tuple of constants) argument; _NOT_CONSTANT if not one."""
    if node is None:
        return default
    if isinstance(node, gast.Constant):
        return node.value
    if isinstance(node, gast.Tuple) and all(isinstance(e, gast.Constant) for e in node.elts):
        return tuple(e.value for e in node.elts)
    return _NOT_CONSTANT


def is_user_function(fn):
    """A Python function with source that has no rule: it gets generated derivatives."""
    import types
    return isinstance(fn, types.FunctionType) and registry.lookup(fn) is None \
        and not registry.is_nondifferentiable(fn)


def is_user_method(obj):
    """A method of a user's class bound to an object (not a class: a classmethod's receiver is
    a class, which is no value the derivative code reads).  A bound method with rules of its
    own (`scipy.stats.norm.logpdf`) is a primitive, not its function's code."""
    import types
    return isinstance(obj, types.MethodType) and is_user_function(obj.__func__) and \
        not isinstance(obj.__self__, type) and registry.lookup(obj) is None


def bind_call(op, stmt, fn):
    """{callee parameter: argument atom} for a call to a user function.  The items of its
    `*xs` and `**kw` are bound to the parameters standing for them (op.fn is specialised to
    the call: variadic.py)."""
    params = signature(op.fn).parameters
    try:
        bound = signature(op.fn).bind(*op.args, **op.kwargs)
    except TypeError as exc:
        raise fn.error(stmt, f"the call to {op.name} does not match its signature ({exc})",
                       "Fix the arguments of the call.") from None
    spread = variadic.spread_of(op.fn)
    out = {}
    for name, value in bound.arguments.items():
        if params[name].kind == params[name].VAR_POSITIONAL:
            out.update(zip(spread.items, value))
        elif params[name].kind == params[name].VAR_KEYWORD:
            out.update((spread.name_of(key), atom) for key, atom in value.items())
        else:
            out[name] = value
    return out
