"""Compiled derivatives, one `Derivative` per function, mode, wrt and signature, cached.

Stage: public layer, between the transforms and the pipeline.  Input: a user function (or
one of our derivative functions), a mode of the table in `modes`, the wrt names and, for
specialised code, the kinds and shapes of the arguments.  Output: a `Derivative` (its mode,
wrt, source text and compiled function), built once by `transforms.pipeline.build` and kept
until the function, a function it calls or the derivative rules change (`forget`,
`clear_cache`).  The decorator, `ad.source` and the CLI read the same objects.
"""
import contextlib
import threading
import types
import weakref
from dataclasses import dataclass

import numpy as np

from s2s_ad.analysis.calls import _WRITES
from s2s_ad.analysis.kinds import CONTAINER_KINDS, is_class
from s2s_ad.analysis.sharing import _FRESH, _RETURNS
from s2s_ad.arguments import (bound_self, builtin_signature, closure_key, parameters,
                              value_global_kinds)
from s2s_ad.base.errors import (BadArgumentError, DifferentiationError, NonDifferentiableCallError,
                              Unbatchable)
from s2s_ad.base.naming import is_call_of, is_generated
from s2s_ad.frontend import source as frontend
from s2s_ad.frontend import variadic
from s2s_ad.rules import registry
from s2s_ad.runtime.objects import object_class
from s2s_ad.transforms.pipeline import Generated, build


@dataclass
class Derivative(Generated):
    """One compiled derivative: what it is of (`mode`, `wrt`) beside what the pipeline made of
    it (`Generated`: the text a person reads, `source`, and the function that runs it)."""
    mode: str = None
    wrt: tuple = ()

    def __str__(self):
        return self.source


_CACHE = weakref.WeakKeyDictionary()   # user function -> {key: Derivative}
_LOCK = threading.RLock()
TRANSFORMS = weakref.WeakSet()    # live transforms (entry.Transform), whose fast paths
#                                   forget and clear_cache empty


def still_current(dependencies):
    """Is every function the generated code calls still bound where it was found?"""
    return all(namespace.get(key) is fn for namespace, key, fn in dependencies)


def forget(fn):
    """Drop the compiled derivatives of `fn` (after a function it calls changed)."""
    with _LOCK:
        _CACHE.pop(fn, None)
        for t in list(TRANSFORMS):
            if t.plain is fn:
                t.forget()


def clear_cache():
    """Forget every compiled derivative.

    Derivatives are compiled once per function, mode, wrt and argument kinds, and cached;
    a function whose body changes is compiled again without this.  Clear the cache to free
    the compiled code, or to time compilation.  Registering a rule (`ad.defvjp`,
    `ad.defjvp`, `ad.nondifferentiable`, `ad.register_pytree`) clears it by itself.

    Returns:
      None.  Derivative functions made before keep working: their next call compiles again.

    Example:
      >>> def f(x):
      ...     return x * x
      >>> df = ad.grad(f)
      >>> df(3.0)
      6.0
      >>> ad.clear_cache()
      >>> df(3.0)
      6.0
    """
    with _LOCK:
        _CACHE.clear()
        _WRITES.clear()      # (what a function writes into depends on its callees' rules)
        _FRESH.clear()
        _RETURNS.clear()
        for t in list(TRANSFORMS):
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


def compiled(fn, mode, wrt, arg_kinds=None, *, has_aux=False, optimize=True, arg_shapes=None,
             hooks=(), shape=None):
    """The Derivative of `fn` for `mode` (see `modes`), built on first use and cached.

    The code is specialised on the kinds of the arguments (`arg_kinds`, None for generic code)
    and of the module-level numbers and arrays the function reads, so the key holds both.
    `hooks`: the names of the variables whose adjoints (tangents) go through a hook (the code
    takes the hook functions as its keyword `_ad_hooks`).  `shape`: for a function taking
    `*xs` or `**kw`, (how many items, which keys) the call gives them (arguments.call_arguments):
    the code is that of fn specialised to them (frontend/variadic.py).
    """
    specialise = _VARIANT["specialise"]
    receiver = bound_self(fn)      # a bound method's self, which the generated code takes
    if not specialise:
        if mode in ("jvp_batched", "vjp_batched"):   # always specialised: Jacobians loop
            raise Unbatchable("generic code was asked for (api.variant)")
        arg_kinds, arg_shapes = _generic_kinds(arg_kinds), None
    optimize = optimize and _VARIANT["optimize"]
    inner = getattr(fn, "__s2s_ad__", None)
    if inner is not None:
        # Differentiating one of our own derivatives: transform the code it runs.
        inner_fn, inner_mode, inner_wrt, inner_aux = inner
        if getattr(fn, "__s2s_ad_hooked__", False):
            fn.__s2s_ad_generated__()       # refused: see api.mark
        if inner_mode not in ("grad", "value_and_grad"):
            raise BadArgumentError(
                f"cannot differentiate the result of ad.{inner_mode}: it is not generated code",
                hint="Compose ad.grad, ad.value_and_grad and ad.hvp, or use ad.hessian.")
        fn = compiled(inner_fn, inner_mode, inner_wrt, arg_kinds, has_aux=inner_aux,
                      optimize=optimize, arg_shapes=arg_shapes, shape=shape).function
        shape = None        # (the code it runs has a parameter per argument)
    fn = differentiated(fn)
    if shape is not None:
        fn = variadic.specialised(fn, *shape)
    if not isinstance(fn, types.FunctionType):
        frontend.parse(fn)      # raises SourceUnavailableError with what to do instead
    arg_kinds = with_receiver_class(receiver, fn, arg_kinds)
    global_kinds = value_global_kinds(fn) if arg_kinds is not None and specialise else ()
    kinds_key = tuple(arg_kinds.items()) if arg_kinds else ()
    shapes_key = tuple(sorted(arg_shapes.items())) if arg_shapes else ()
    key = (fn.__code__, mode, tuple(wrt), kinds_key, shapes_key, global_kinds, closure_key(fn),
           has_aux, optimize, tuple(hooks))
    try:
        gen = _CACHE[fn][key]
        if not gen.dependencies or still_current(gen.dependencies):
            return gen
        forget(fn)
    except KeyError:
        pass
    with _LOCK:
        per_fn = _CACHE.setdefault(fn, {})
        if key not in per_fn:
            kinds = None if arg_kinds is None else {**dict(global_kinds), **arg_kinds}
            try:
                gen = build(fn, mode, wrt, has_aux=has_aux, arg_kinds=kinds,
                            optimize=optimize, arg_shapes=arg_shapes, hooks=hooks)
            except DifferentiationError as exc:
                raise _in_generated_code(exc, fn) from None
            per_fn[key] = Derivative(**vars(gen), mode=mode, wrt=tuple(wrt))
        return per_fn[key]


def with_receiver_class(receiver, fn, arg_kinds):
    """The argument kinds of the function `fn` of a bound method whose self is `receiver`,
    with that self's class, on which the code is specialised (its `self.predict(x)` calls
    are calls of the class's predict).  `arg_kinds` unchanged for no receiver or one that is
    no object with attributes."""
    cls = object_class(receiver) if receiver is not None else None
    if cls is None:
        return arg_kinds
    params = parameters(fn)
    kinds = {p: "num" for p in params[1:]} if arg_kinds is None else dict(arg_kinds)
    kinds[params[0]] = cls
    return kinds


def _generic_kinds(arg_kinds):
    """The argument kinds generic code is built for: none (every argument a number or an array,
    "num"), except a tuple, list or dict argument, which is no number and no array: its kind
    stays (indexing it, `p["w"]`, is no indexing of an array, nor is its cotangent's); and
    so does an unknown kind (an object, a complex value), whose cotangents are added by the
    runtime's `add`, never by `+` (which joins two namedtuples, and fails on a dataclass)."""
    if not arg_kinds or all(k == "scalar" or k == "array" for k in arg_kinds.values()):
        return None
    return {p: k if k in CONTAINER_KINDS or k is None or is_class(k) else "num"
            for p, k in arg_kinds.items()}


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
            _CALLING_BUILTIN[fn] = frontend.calling(fn, signature=builtin_signature(fn))
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
    where = getattr(exc.location, "filename", "")
    if not is_generated(where) or is_call_of(where):   # (the latter: the user's call of a
        return exc                                      # function with rules, any order)
    message = (f"differentiating {fn.__name__}, code s2s_ad generated, once more (for a Hessian "
               f"or a Hessian-vector product): {exc.message}")
    # a call without a rule for the second derivative: the way out is that rule, as said
    hint = exc.hint if isinstance(exc, NonDifferentiableCallError) else \
        ("Its first derivatives work. Second derivatives need the function to build new "
         "arrays instead of writing into them (a[i] = v, a[s] *= v).")
    return type(exc)(message, hint=hint, location=exc.location)

