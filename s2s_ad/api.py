"""The public transforms (see API.md): grad, value_and_grad, vjp, jvp, jacfwd, jacrev, hessian,
hvp, source, differentiate.

Each transform returns a plain function that looks up (or builds, once) the generated code for
the kinds of the arguments it is called with, and calls it.  Nothing is traced at call time.
Where it can, that function is generated too (an entry point, `_entry_point`): it has the
user's parameters and checks inline that a call's arguments have the last call's signature,
which then goes straight to that call's code.
"""
import contextlib
import inspect
import threading
import types
import weakref

import numpy as np

from s2s_ad.frontend import source as frontend
from s2s_ad.base.errors import BadArgumentError, DifferentiationError, UnsupportedSyntaxError
from s2s_ad.analysis.kinds import CONTAINER_KINDS, VALUE_KINDS, kind_of_value
from s2s_ad.rules import registry
from s2s_ad.transforms.pipeline import build

_CACHE = weakref.WeakKeyDictionary()   # user function -> {key: Generated}
_LOCK = threading.RLock()


_ABSENT = object()
_TRANSFORMS = weakref.WeakSet()    # live _Transform objects, whose fast paths clear_cache empties


def _still_current(dependencies):
    """Is every function the generated code calls still bound where it was found?"""
    return all(namespace.get(key) is fn for namespace, key, fn in dependencies)


def forget(fn):
    """Drop the compiled derivatives of `fn` (after a function it calls changed)."""
    with _LOCK:
        _CACHE.pop(fn, None)
        for t in list(_TRANSFORMS):
            if t.plain is fn:
                t.forget()


def clear_cache():
    """Forget every compiled derivative."""
    from s2s_ad.analysis.aliasing import _FRESH, _RETURNS
    from s2s_ad.analysis.calls import _WRITES
    with _LOCK:
        _CACHE.clear()
        _WRITES.clear()      # (what a function writes into depends on its callees' rules)
        _FRESH.clear()
        _RETURNS.clear()
        for t in list(_TRANSFORMS):
            t.forget()


_VARIANT = {"specialise": True, "optimize": True}


@contextlib.contextmanager
def variant(*, specialise=True, optimize=True):
    """Within the block, every derivative is the generic code (`specialise=False`: no argument
    kinds or shapes) and/or the code before the optimiser's passes (`optimize=False`).  For
    testing (the transform matrix runs every program through each variant) and for telling
    whether a wrong number comes from the optimiser: compiled derivatives are forgotten on
    entry and on exit, so none made inside leaks out."""
    before = dict(_VARIANT)
    with _LOCK:
        clear_cache()
        _VARIANT.update(specialise=specialise, optimize=optimize)
    try:
        yield
    finally:
        with _LOCK:
            _VARIANT.update(before)
            clear_cache()


def compiled(fn, mode, wrt, arg_kinds=None, *, has_aux=False, optimize=True, arg_shapes=None):
    """The Generated derivative of `fn` for `mode`, built on first use and cached.

    The code is specialised on the kinds of the arguments (`arg_kinds`, None for generic code)
    and of the module-level numbers and arrays the function reads, so the key holds both.
    """
    specialise = _VARIANT["specialise"]
    if not specialise:
        if mode in ("jvp_batched", "vjp_batched"):   # always specialised: Jacobians loop
            from s2s_ad.base.errors import Unbatchable
            raise Unbatchable("generic code was asked for (api.variant)")
        arg_kinds, arg_shapes = _generic_kinds(arg_kinds), None
    optimize = optimize and _VARIANT["optimize"]
    inner = getattr(fn, "__s2s_ad__", None)
    if inner is not None:
        # Differentiating one of our own derivatives: transform the code it runs.
        inner_fn, inner_mode, inner_wrt, inner_aux = inner
        if inner_mode not in ("grad", "value_and_grad"):
            raise BadArgumentError(
                f"cannot differentiate the result of ad.{inner_mode}: it is not generated code",
                hint="Compose ad.grad, ad.value_and_grad and ad.hvp, or use ad.hessian.")
        fn = compiled(inner_fn, inner_mode, inner_wrt, arg_kinds, has_aux=inner_aux,
                      arg_shapes=arg_shapes).function
    fn = differentiated(fn)
    if not isinstance(fn, types.FunctionType):
        frontend.parse(fn)      # raises SourceUnavailableError with what to do instead
    global_kinds = value_global_kinds(fn) if arg_kinds is not None and specialise else ()
    kinds_key = tuple(arg_kinds.items()) if arg_kinds else ()
    shapes_key = tuple(sorted(arg_shapes.items())) if arg_shapes else ()
    key = (fn.__code__, mode, tuple(wrt), kinds_key, shapes_key, global_kinds, closure_key(fn),
           has_aux, optimize)
    try:
        gen = _CACHE[fn][key]
        if not gen.dependencies or _still_current(gen.dependencies):
            return gen
        forget(fn)
    except KeyError:
        pass
    with _LOCK:
        per_fn = _CACHE.setdefault(fn, {})
        if key not in per_fn:
            kinds = None if arg_kinds is None else {**dict(global_kinds), **arg_kinds}
            try:
                per_fn[key] = build(fn, mode, wrt, has_aux=has_aux, arg_kinds=kinds,
                                    optimize=optimize, arg_shapes=arg_shapes)
            except DifferentiationError as exc:
                raise _in_generated_code(exc, fn) from None
        return per_fn[key]


def _generic_kinds(arg_kinds):
    """The argument kinds generic code is built for: none (every argument a number or an array,
    "num"), except a tuple, list or dict argument, which is no number and no array: its kind
    stays (indexing it, `p["w"]`, is no indexing of an array, nor is its cotangent's)."""
    if not arg_kinds or not any(k in CONTAINER_KINDS for k in arg_kinds.values()):
        return None
    return {p: k if k in CONTAINER_KINDS else "num" for p, k in arg_kinds.items()}


_CALLING = weakref.WeakKeyDictionary()    # function with rules -> a function calling it
_CALLING_BUILTIN = {}     # the same for ufuncs and built-ins, which take no weak references


def differentiated(fn):
    """The Python function whose source is differentiated for `fn`: fn itself, through bound
    methods and our own wrappers, except that a function with derivative rules (ad.defvjp) or
    marked non-differentiable is called from a function made for it, so that its rules are
    used as at any other call of it."""
    fn = frontend.unwrap(fn)
    if not isinstance(fn, types.FunctionType):
        # a NumPy ufunc or math function with a rule (`ad.grad(np.sqrt)`): called likewise
        if not isinstance(fn, (np.ufunc, types.BuiltinFunctionType)) or \
                registry.lookup(fn) is None:
            return fn
        if fn not in _CALLING_BUILTIN:
            _CALLING_BUILTIN[fn] = frontend.calling(fn)
        return _CALLING_BUILTIN[fn]
    if registry.lookup(fn) is None and not registry.is_nondifferentiable(fn):
        return fn
    made = _CALLING.get(fn)
    if made is None:
        made = _CALLING[fn] = frontend.calling(fn)
    return made


def _in_generated_code(exc, fn):
    """`exc` as raised, or, where it points into code s2s_ad generated (a derivative being
    differentiated again), with what that code is and what to change in the user's."""
    from s2s_ad.base.naming import is_generated
    where = getattr(exc.location, "filename", "")
    if not is_generated(where):
        return exc
    message = (f"differentiating {fn.__name__}, code s2s_ad generated, once more (for a Hessian "
               f"or a Hessian-vector product): {exc.message}")
    hint = ("Its first derivatives work. Second derivatives need the function to build new "
            "arrays instead of writing into them (a[i] = v, a[s] *= v).")
    return type(exc)(message, hint=hint, location=exc.location)


def _closure(fn):
    """[(name, cell, what it holds, or _ABSENT for an empty cell)] for `fn`'s closure."""
    cells = getattr(fn, "__closure__", None)
    if not cells:
        return []
    items = []
    for name, cell in zip(fn.__code__.co_freevars, cells):
        try:
            items.append((name, cell, cell.cell_contents))
        except ValueError:
            items.append((name, cell, _ABSENT))
    return items


def closure_key(fn):
    """What generated code depends on in `fn`'s closure, whose cells it reads live: the kind
    of each number or array there (the code is specialised on it), and any other object itself
    (a function it calls, whose derivative was built in)."""
    key = []
    for name, _, value in _closure(fn):
        kind = kind_of_value(value) if value is not _ABSENT else None
        if value is _ABSENT or kind in VALUE_KINDS or kind in ("container", "dict"):
            key.append((name, _global_kind(value) if kind in VALUE_KINDS else kind))
            continue
        try:
            hash(value)
            key.append((name, value))
        except TypeError:
            key.append((name, id(value)))
    return tuple(key)


_VALUE_GLOBALS = weakref.WeakKeyDictionary()   # function -> names of the globals it reads


def value_global_kinds(fn):
    """((name, kind), ...) for the module-level numbers and arrays `fn` reads."""
    scope = getattr(fn, "__globals__", None)
    if scope is None or not isinstance(scope, dict) or type(scope) is not dict:
        return ()
    names = _value_global_names(fn)
    return tuple((n, _global_kind(scope[n]) if n in scope else None) for n in names)


def _value_global_names(fn):
    scope = getattr(fn, "__globals__", None)
    if type(scope) is not dict:
        return ()
    names = _VALUE_GLOBALS.get(fn)
    if names is None:
        names = _VALUE_GLOBALS[fn] = tuple(
            n for n in fn.__code__.co_names
            if n in scope and kind_of_value(scope[n]) in VALUE_KINDS)
    return names


_TUPLE_KINDS = {}   # id -> (tuple, kind): a tuple cannot change, so its kind is computed once


def _global_kind(value):
    if type(value) is tuple:
        known = _TUPLE_KINDS.get(id(value))
        if known is None or known[0] is not value:
            known = _TUPLE_KINDS[id(value)] = (value, kind_of_value(value))
        return known[1]
    return _kind(value)


def signature(fn):
    """The signature a transform of `fn` is called with: that of the function differentiated
    (for one of our derivatives, of the function it differentiates; a functools.wraps
    wrapper's own), without a bound method's `self`."""
    inner = getattr(fn, "__s2s_ad__", None)
    if inner is not None:
        return signature(inner[0])
    plain = frontend.unwrap(fn)
    try:
        sig = frontend.signature(plain)
    except (TypeError, ValueError):
        frontend.parse(plain)     # a function without Python source: says so, and what to do
        raise BadArgumentError(f"cannot read the parameters of {plain!r}") from None
    if isinstance(fn, types.MethodType):    # a bound method's `self` is not an argument
        sig = sig.replace(parameters=list(sig.parameters.values())[1:])
    return sig


def bound_self(fn):
    """The `self` of a bound method (or of the one a derivative of ours differentiates), which
    the generated code takes as its first argument; None for a plain function."""
    inner = getattr(fn, "__s2s_ad__", None)
    if inner is not None:
        return bound_self(inner[0])
    return fn.__self__ if isinstance(fn, types.MethodType) else None


def _params(fn):
    return [p.name for p in signature(fn).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def wrt_names(fn, wrt):
    """`wrt` (an index, a name, or a tuple of them) as (list of names, was it a tuple)."""
    params = _params(fn)
    as_tuple = isinstance(wrt, (tuple, list))
    items = list(wrt) if as_tuple else [wrt]
    names = []
    for item in items:
        if isinstance(item, (int, np.integer)) and not isinstance(item, bool):
            if not -len(params) <= item < len(params):
                _refuse_variadic(fn, f"wrt={item}")
                raise BadArgumentError(
                    f"wrt={item} is out of range: {_qualname(fn)} has {len(params)} "
                    f"parameter(s) {tuple(params)}")
            names.append(params[item])
        elif isinstance(item, str):
            if item not in params:
                _refuse_variadic(fn, f"wrt={item!r}")
                raise BadArgumentError(
                    f"wrt={item!r}: {_qualname(fn)} has no parameter named {item!r} "
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
        f"{asked}: {_qualname(fn)}'s `{star}{name}` parameter is not differentiated (a "
        f"transform differentiates with respect to named parameters)",
        hint=f"List the parameters explicitly "
             f"({'lambda x, y: ...' if plain.__name__ == '<lambda>' else parsed.node.name + '(x, y, ...)'}"
             f"); a function called from the differentiated one may take *args.",
        location=parsed.location(node))


def _qualname(fn):
    return getattr(frontend.unwrap(fn), "__qualname__", repr(fn))


_KIND_BY_TYPE = {}


def _kind(value):
    """kind_of_value, memoised by type where the type decides it (not for arrays, whose kind
    depends on their dtype, nor for containers, whose kind depends on what they hold)."""
    t = type(value)
    if t is np.ndarray:
        return None if value.dtype.kind == "c" else "array"
    kind = _KIND_BY_TYPE.get(t, 0)
    if kind == 0:
        if t in (tuple, list, dict):
            return kind_of_value(value)
        kind = _KIND_BY_TYPE[t] = kind_of_value(value)
    return kind


def shapes_of(fn_params, args):
    """{parameter: shape} for the array arguments of one call (the code is specialised on it)."""
    return {p: a.shape for p, a in zip(fn_params, args) if type(a) is np.ndarray}


def arg_kinds(fn_params, args):
    """{parameter: kind} for the positional arguments of one call."""
    return {name: _kind(value) for name, value in zip(fn_params, args)}


_SIGNATURES = weakref.WeakKeyDictionary()   # function -> inspect.signature, found once


def _bind(fn, params, args, kwargs):
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


def _as_float(value):
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


def _guard_maker(pattern):
    """A compiled `make(value, *facts) -> guard` for one pattern of signature: `guard(args)` is
    `value` when the arguments have the facts' signature and the module-level values read are
    still the same objects, else None.  The check is spelled out per argument (no loop, no
    tuples built) because it runs on every call of a transform: this is the whole fast path.

    pattern is (for each argument, is it an array?), the number of module-level values read
    and the number of closure cells; facts are, per argument, its type or its (shape, dtype),
    then the scope and, per value read, its name and the object, then per cell, the cell and
    the object it holds."""
    is_array, n_read, n_cells = pattern
    params, tests = ["_value"], []
    for i, array in enumerate(is_array):
        if array:
            params += [f"_s{i}", f"_d{i}"]
            tests.append(f"type(a{i}) is _ndarray and a{i}.shape == _s{i} "
                         f"and (a{i}.dtype is _d{i} or a{i}.dtype == _d{i})")
        else:
            params.append(f"_t{i}")
            tests.append(f"type(a{i}) is _t{i}")
    if n_read:
        params.append("_scope")
    for k in range(n_read):
        params += [f"_n{k}", f"_g{k}"]
        tests.append(f"_scope.get(_n{k}, _ABSENT) is _g{k}")
    for k in range(n_cells):
        params += [f"_c{k}", f"_v{k}"]
        tests.append(f"_c{k}.cell_contents is _v{k}")
    n = len(is_array)
    unpack = f"        {', '.join(f'a{i}' for i in range(n))}, = args\n" if n else ""
    condition = " and ".join(tests) or "True"
    source = (f"def make({', '.join(params)}):\n"
              f"    def guard(args):\n"
              f"        if len(args) != {n}:\n"
              f"            return None\n"
              f"{unpack}"
              f"        if {condition}:\n"
              f"            return _value\n"
              f"        return None\n"
              f"    return guard\n")
    namespace = {"_ndarray": np.ndarray, "_ABSENT": _ABSENT}
    exec(compile(source, "<s2s_ad fast path>", "exec"), namespace)
    return namespace["make"]


_GUARD_MAKERS = {}


def _guard(given, value, scope, read, cells=()):
    """`guard(args)`: `value` for arguments with the signature of `given` (types; shapes and
    dtypes of arrays) while the module-level values in `read` ((name, object) pairs, looked up
    in `scope`) and the closure `cells` ((cell, object) pairs) are unchanged, else None."""
    if len(given) + len(read) + len(cells) > 100:
        return _no_fast_path      # a compiled check takes at most 255 facts
    is_array = tuple(type(a) is np.ndarray for a in given)
    pattern = (is_array, len(read), len(cells))
    make = _GUARD_MAKERS.get(pattern)
    if make is None:
        make = _GUARD_MAKERS[pattern] = _guard_maker(pattern)
    facts = [value]
    for a, array in zip(given, is_array):
        facts += [a.shape, a.dtype] if array else [type(a)]
    if read:
        facts.append(scope)
        for name, obj in read:
            facts += [name, obj]
    for cell, obj in cells:
        facts += [cell, obj]
    return make(*facts)


def _closure_cells(fn):
    """((cell, what it holds), ...) for `fn`'s closure; None where a cell is empty or holds a
    list or dict (whose kinds depend on their items), which the fast path does not follow."""
    items = _closure(fn)
    if any(value is _ABSENT or type(value) in (list, dict) for _, _, value in items):
        return None
    return tuple((cell, value) for _, cell, value in items)


def _no_fast_path(args):
    return None


class _NoType:
    """No argument has this type: an entry point's state before its first call matches none."""


def _entry_parameters(fn):
    """[(name, default or _ABSENT, keyword-only?)] for fn's parameters where an entry point can
    repeat its signature (no `*args`, `**kwargs` or positional-only parameters, none of our
    own `_ad_` names), else None.  For one of our derivative functions, those of the function
    it differentiates; for a bound method, those after `self`."""
    try:
        parameters = list(signature(fn).parameters.values())
    except (TypeError, ValueError, DifferentiationError):
        return None
    if any(p.kind not in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) or p.name.startswith("_ad_")
           for p in parameters):
        return None
    return [(p.name, _ABSENT if p.default is p.empty else p.default, p.kind is p.KEYWORD_ONLY)
            for p in parameters]


_ENTRY_MAKERS = {}     # source -> its compiled `make`: transforms of one function share it


def _entry_point(t, mode, result, general, extra=()):
    """The function a user calls for transform `t`, or None where fn's signature cannot be
    repeated (see `_entry_parameters`).  It has fn's parameters (then `extra` ones, which it
    does not check) and runs the generated code `t.remember` last installed when its arguments
    have that code's signature, checked inline; any other call goes to `general(args)`.  That
    is one Python call more than calling the generated function itself, where a `*args`
    wrapper and a separate guard cost two and build tuples.

    `result` is the expression returned, with `{call}` for the generated function's call (which
    takes every parameter by position, a bound method's `self` first)."""
    parameters = _entry_parameters(t.fn)
    if not parameters:
        return None
    positional = [(name, default) for name, default, keyword in parameters if not keyword]
    keyword_only = [(name, default) for name, default, keyword in parameters if keyword]
    defaults = [default for _, default in positional if default is not _ABSENT]
    if extra and (defaults or keyword_only):
        return None     # (extra parameters, without defaults, cannot follow ones with)
    names = [name for name, _, _ in parameters] + list(extra)
    facts, checks = ["_ad_f"], []
    for i, (name, _, _) in enumerate(parameters):
        facts += [f"_ad_t{i}", f"_ad_s{i}", f"_ad_d{i}"]
        checks.append(f"_ad_type({name}) is _ad_t{i} and (_ad_s{i} is None or "
                      f"{name}.shape == _ad_s{i} and "
                      f"({name}.dtype is _ad_d{i} or {name}.dtype == _ad_d{i}))")
    facts.append("_ad_rest")
    checks.append("(_ad_rest is None or _ad_rest(()) is not None)")
    arguments = ", ".join(names)
    signature = ", ".join([name for name, _ in positional] + list(extra) +
                          (["*"] + [name for name, _ in keyword_only] if keyword_only else []))
    call = f"_ad_f({'_ad_self, ' if t.bound_self is not None else ''}{arguments})"
    function_name = f"{getattr(t.fn, '__name__', '')}_{mode}"
    if not function_name.isidentifier():
        function_name = mode
    condition = " and\n                ".join(checks)
    source = (f"def make(_ad_general, _ad_state, _ad_self):\n"
              f"    def {function_name}({signature}):\n"
              f"        {', '.join(facts)} = _ad_state\n"
              f"        if ({condition}):\n"
              f"            return {result.format(call=call)}\n"
              f"        return _ad_general(({arguments},))\n"
              f"    def install(state):\n"
              f"        nonlocal _ad_state\n"
              f"        _ad_state = state\n"
              f"    return {function_name}, install\n")
    make = _ENTRY_MAKERS.get(source)
    if make is None:
        namespace = {"_ad_type": type}    # (a parameter may be called `type`)
        exec(compile(source, "<s2s_ad entry point>", "exec"), namespace)
        make = _ENTRY_MAKERS[source] = namespace["make"]
    never = (None,) + (_NoType, None, None) * len(parameters) + (None,)
    entry, install = make(general, never, t.bound_self)
    entry.__defaults__ = tuple(defaults) or None
    entry.__kwdefaults__ = {name: default for name, default in keyword_only
                            if default is not _ABSENT} or None
    t.install, t.never, t.arity = install, never, len(parameters)
    return entry


def entry_state(given, value, rest):
    """An entry point's state: run `value` for arguments with the signature of `given` (types;
    shapes and dtypes of arrays) while `rest(())`, a guard of the module-level values and
    closure cells the code depends on, is not None (rest None: nothing to check)."""
    state = [value]
    for a in given:
        state += [np.ndarray, a.shape, a.dtype] if type(a) is np.ndarray else [type(a), None, None]
    state.append(rest)
    return tuple(state)


class _Transform:
    """Shared call path: bind arguments, pick the specialised generated code, run it."""

    def __init__(self, fn, mode, wrt, has_aux=False):
        self.fn = fn
        self.mode = mode
        self.params = _params(fn)
        self.wrt, self.as_tuple = wrt_names(fn, wrt)
        self.has_aux = has_aux
        self.wrt_index = [self.params.index(w) for w in self.wrt]
        self.bound_self = bound_self(fn)
        self.plain = frontend.unwrap(fn) if getattr(fn, "__s2s_ad__", None) is None else None
        self.fast = {}    # (argument kinds, global kinds) -> generated function
        # fast_function(args): the last call's generated function when `args` have its
        # signature (see `remember`), else None; replaced by a compiled guard per signature.
        self.fast_function = _no_fast_path
        self.global_names = None   # the module-level numbers and arrays fn reads
        # install(state), never, arity: the entry point's, where it has one (_entry_point)
        self.install = self.never = self.arity = None
        _TRANSFORMS.add(self)

    def forget(self):
        self.fast_function = _no_fast_path
        if self.install is not None:
            self.install(self.never)
        self.fast.clear()

    def key(self, args):
        """What the generated code for a call depends on: the kinds and shapes of its arguments
        and the kinds of the module-level values the function reads (kinds first)."""
        kinds = tuple(map(_kind, args))
        shapes = tuple(a.shape if type(a) is np.ndarray else None for a in args)
        if self.global_names is None:
            self.global_names = _value_global_names(self.plain) if self.plain is not None else ()
        closure = closure_key(self.plain) if self.plain is not None else ()
        if not self.global_names:
            return kinds, shapes, closure
        scope = self.plain.__globals__
        return kinds, shapes, closure, tuple(_global_kind(scope[n]) if n in scope else None
                                             for n in self.global_names)

    def remember(self, given, value):
        """Let `fast_function` answer `value` for calls with the signature of `given`, where
        that signature decides the key (no containers; module-level values read that are
        still the same objects, and not lists or dicts, whose kinds depend on their items)."""
        if any(type(a) in (tuple, list, dict) for a in given):
            return
        cells = _closure_cells(self.plain)
        if cells is None:
            return
        scope, read = None, ()
        if self.global_names:
            scope = self.plain.__globals__
            read = tuple((n, scope.get(n, _ABSENT)) for n in self.global_names)
            if any(type(v) in (list, dict) for _, v in read):
                return
        if self.bound_self is None:     # (the entry point passes a method's self)
            self.fast_function = _guard(given, value, scope, read, cells)
        if self.install is not None and len(given) == self.arity:
            rest = _guard((), True, scope, read, cells) if read or cells else None
            self.install(entry_state(given, value, rest))

    def prepare(self, args, kwargs):
        """(generated function, arguments) for one call: the hot path of every transform."""
        given = args
        if kwargs or len(args) < len(self.params):
            args = _bind(self.fn, self.params, args, kwargs)
        args = list(args)
        converted = False
        for i in self.wrt_index:
            if i < len(args) and type(args[i]) is not float:
                value = args[i]
                args[i] = _as_float(value)
                converted = converted or args[i] is not value
        key = self.key(args)
        kinds = key[0]
        entry = self.fast.get(key)
        if entry is not None and entry[1] and not _still_current(entry[1]):
            forget(self.plain)       # a function it calls was redefined: build again
            entry = None
        if entry is None:
            gen = compiled(self.fn, self.mode, self.wrt, dict(zip(self.params, kinds)),
                           has_aux=self.has_aux, arg_shapes=shapes_of(self.params, args))
            entry = self.fast[key] = (gen.function, tuple(gen.dependencies))
        function = entry[0]
        if not (kwargs or converted or entry[1]):
            self.remember(given, function)
        if self.bound_self is not None:
            args.insert(0, self.bound_self)
        return function, args

    def unpack(self, grads):
        if self.as_tuple:
            return grads if isinstance(grads, tuple) and len(self.wrt) > 1 else (grads,)
        return grads


def grad(fn, wrt=0, *, has_aux=False):
    """The gradient of scalar-valued `fn` with respect to the `wrt` argument(s)."""
    t = _Transform(fn, "grad", wrt, has_aux)

    # a single gradient asked for as a tuple is wrapped; several come back as a tuple already
    wrap = t.as_tuple and len(t.wrt) == 1

    def general(args, kwargs=None):
        function = None if kwargs else t.fast_function(args)
        if function is None:
            function, args = t.prepare(args, kwargs)
        result = function(*args)
        if has_aux:
            grads, aux = result
            return t.unpack(grads), aux
        return (result,) if wrap else result

    # the generated code returns the gradient, or (gradient, aux), as `general` does
    result = "{call}" if not wrap else "({call},)" if not has_aux else None
    entry = result and _entry_point(t, "grad", result, general)
    return _mark(entry or _with_any_arguments(general), fn, "grad", t.wrt, has_aux)


def _with_any_arguments(general):
    """The function a user calls where there is no entry point: any arguments, to `general`."""
    def call(*args, **kwargs):
        return general(args, kwargs)
    return call


def value_and_grad(fn, wrt=0, *, has_aux=False):
    """`(value, gradient)` of scalar-valued `fn`; with has_aux, `((value, aux), gradient)`."""
    t = _Transform(fn, "value_and_grad", wrt, has_aux)

    def general(args, kwargs=None):
        function = None if kwargs else t.fast_function(args)
        if function is None:
            function, args = t.prepare(args, kwargs)
        value, grads = function(*args)
        return value, t.unpack(grads)

    wrap = t.as_tuple and len(t.wrt) == 1      # what unpack would do to the gradient
    entry = None if wrap else _entry_point(t, "value_and_grad", "{call}", general)
    return _mark(entry or _with_any_arguments(general), fn, "value_and_grad", t.wrt, has_aux)


def vjp(fn, *primals, wrt=None):
    """`(out, pullback)`; `pullback(cotangent)` gives one cotangent per wrt argument (a tuple)."""
    params = _params(fn)
    wrt = tuple(range(len(primals))) if wrt is None else wrt
    t = _Transform(fn, "vjp", wrt if isinstance(wrt, tuple) else (wrt,))
    # The pullback linearises at the point given: it reads copies of the arrays (and of the
    # containers holding them), so writing into x after vjp(f, x) does not move the point.
    args = [_snapshot(a) for a in _bind(fn, params, primals, {})]
    for i in t.wrt_index:
        if i < len(args):
            args[i] = _as_float(args[i])
    kinds = arg_kinds(params, args)
    gen = compiled(fn, "vjp", t.wrt, kinds, arg_shapes=shapes_of(params, args))
    from s2s_ad.runtime.arguments import copied
    out = fn(*copied(primals))     # the original may write into its arguments
    if t.bound_self is not None:   # the generated code takes a method's `self` first
        args.insert(0, t.bound_self)

    def pullback(cotangent):
        if isinstance(out, np.ndarray | float | int | np.generic) and \
                np.shape(cotangent) != np.shape(out):
            raise BadArgumentError(f"vjp: the cotangent has shape {np.shape(cotangent)}, but "
                                   f"{getattr(fn, '__name__', 'the function')}'s output has "
                                   f"shape {np.shape(out)}",
                                   hint="Give the cotangent the shape of the output.")
        grads = gen.function(*args, **{gen.seed_name: cotangent})
        return grads if len(t.wrt) > 1 else (grads,)

    return out, pullback


def _snapshot(value):
    """A copy of the arrays in `value`, in containers of the same structure; other values
    (numbers, objects the derivative does not read as data) as they are."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (list, tuple)):
        items = [_snapshot(v) for v in value]
        if type(value) in (list, tuple):
            return type(value)(items)
        if isinstance(value, tuple) and hasattr(value, "_fields"):     # a namedtuple
            return type(value)(*items)
        return value
    if type(value) is dict:
        return {k: _snapshot(v) for k, v in value.items()}
    return value


def stop_gradient(x):
    """`x`, with a zero derivative: nothing flows back through it."""
    return x


def _mark(wrapper, fn, mode, wrt=(), has_aux=False):
    """Mark a derivative function as ours.  Differentiating it again (a grad inside a
    differentiated function, source of a derivative) reads the code it runs, which
    `__s2s_ad_generated__()` compiles: lower stages call it without importing the api."""
    def generated():
        return compiled(fn, mode, tuple(wrt), None, has_aux=has_aux).function

    wrapper.__s2s_ad__ = (fn, mode, tuple(wrt), has_aux)
    wrapper.__s2s_ad_generated__ = generated
    wrapper.__name__ = f"{getattr(fn, '__name__', 'f')}_{mode}"
    wrapper.__qualname__ = wrapper.__name__
    return wrapper


__all__ = ["grad", "value_and_grad", "vjp", "clear_cache", "compiled",
           "DifferentiationError"]
