"""The public transforms of the first order (see API.md): grad, value_and_grad, vjp.

Stage: public layer, what users call.  Input: the user's function and the wrt argument(s).
Output: a plain function with the user's parameters that finds (or builds, once) the generated
code for the kinds of the arguments it is called with, and calls it; nothing is traced at call
time.  Where it can, that function is an entry point generated for it (`entry.entry_point`),
which checks inline that a call's arguments have the last call's signature and then goes
straight to that call's code.

The pieces are in modules of their own: `modes` (the table of modes), `derivative` (the
compiled `Derivative`s and their cache), `arguments` (binding and kinds of a call's
arguments), `entry` (the call path and the generated entry points); `higher` has the
transforms composed from these (jvp, jacfwd, jacrev, hessian, hvp).
"""
import numpy as np

from s2s_ad import modes
from s2s_ad.arguments import (as_float, arg_kinds, bind, bound_self, parameters, shapes_of,
                              snapshot)
from s2s_ad.base.errors import BadArgumentError, DifferentiationError
from s2s_ad.derivative import clear_cache, compiled, forget, variant  # noqa: F401  (API.md)
from s2s_ad.entry import Transform, call_generated, entry_point, trim
from s2s_ad.frontend import source as frontend


def grad(fn, wrt=0, *, has_aux=False, on_adjoint=None):
    """The gradient of scalar-valued `fn` with respect to the `wrt` argument(s).

    `on_adjoint={"h": hook}` calls `hook(h_bar)` in the reverse sweep where the adjoint of
    the variable `h` is complete (after each assignment to h: each iteration's, in a loop)
    and goes on with what it returns: to print, record, clip or scale it."""
    t = Transform(fn, "grad", wrt, has_aux, on_adjoint)

    # a single gradient asked for as a tuple is wrapped; several come back as a tuple already
    wrap = t.as_tuple and len(t.wrt) == 1

    def general(args, kwargs=None):
        function = None if kwargs else t.fast_function(args)
        if function is None:
            function, args = t.prepare(args, kwargs)
        result = function(*args, **t.hook_arguments)
        if has_aux:
            grads, aux = result
            return t.unpack(grads), aux
        return (result,) if wrap else result

    # the generated code returns the gradient, or (gradient, aux), as `general` does
    result = "{call}" if not wrap else "({call},)" if not has_aux else None
    entry = result and not t.hooks and entry_point(t, "grad", result, general)
    return mark(entry or _with_any_arguments(general), fn, "grad", t.wrt, has_aux,
                bool(t.hooks))


def _with_any_arguments(general):
    """The function a user calls where there is no entry point: any arguments, to `general`."""
    def call(*args, **kwargs):
        try:
            return general(args, kwargs)
        except Exception as error:      # our frames are left out of its traceback
            trim(error)
            raise
    return call


def value_and_grad(fn, wrt=0, *, has_aux=False, on_adjoint=None):
    """`(value, gradient)` of scalar-valued `fn`; with has_aux, `((value, aux), gradient)`.
    `on_adjoint`: as for grad."""
    t = Transform(fn, "value_and_grad", wrt, has_aux, on_adjoint)

    def general(args, kwargs=None):
        function = None if kwargs else t.fast_function(args)
        if function is None:
            function, args = t.prepare(args, kwargs)
        value, grads = function(*args, **t.hook_arguments)
        return value, t.unpack(grads)

    wrap = t.as_tuple and len(t.wrt) == 1      # what unpack would do to the gradient
    entry = None if wrap or t.hooks else entry_point(t, "value_and_grad", "{call}", general)
    return mark(entry or _with_any_arguments(general), fn, "value_and_grad", t.wrt, has_aux,
                bool(t.hooks))


def vjp(fn, *primals, wrt=None, on_adjoint=None):
    """`(out, pullback)`; `pullback(cotangent)` gives one cotangent per wrt argument (a tuple).
    `on_adjoint`: as for grad."""
    params = parameters(fn)
    wrt = tuple(range(len(primals))) if wrt is None else wrt
    t = Transform(fn, "vjp", wrt if isinstance(wrt, tuple) else (wrt,), on_adjoint=on_adjoint)
    # The pullback linearises at the point given: it reads copies of the arrays (and of the
    # containers holding them), so writing into x after vjp(f, x) does not move the point.
    args = [snapshot(a) for a in bind(fn, params, primals, {})]
    for i in t.wrt_index:
        if i < len(args):
            args[i] = as_float(args[i])
    kinds = arg_kinds(params, args)
    gen = compiled(fn, "vjp", t.wrt, kinds, arg_shapes=shapes_of(params, args), hooks=t.hooks)
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
        grads = call_generated(gen.function, *args, **{gen.seed_name: cotangent},
                               **t.hook_arguments)
        return grads if len(t.wrt) > 1 else (grads,)

    return out, pullback


def stop_gradient(x):
    """`x`, with a zero derivative: nothing flows back through it."""
    return x


def mark(wrapper, fn, mode, wrt=(), has_aux=False, hooked=False):
    """Mark a derivative function as ours, named as the table of modes says.  Differentiating
    it again (a grad inside a differentiated function, source of a derivative) reads the code
    it runs, which `__s2s_ad_generated__()` compiles: lower stages call it without importing
    the api.  One with hooks (`hooked`) is refused there: its hooks are Python calls, which a
    derivative of it would leave out."""
    def generated():
        if hooked:
            raise BadArgumentError(
                f"cannot differentiate ad.{mode}(..., on_adjoint=...) again: its hooks are "
                f"Python functions the derivative would leave out",
                hint=f"Differentiate ad.{mode} without on_adjoint.")
        # The kinds of the arguments it will be called with are not known here: unknown,
        # so that its code holds for any of them (an object's cotangents are added field by
        # field, a tuple's item by item), not only for numbers and arrays.
        unknown = dict.fromkeys(parameters(frontend.unwrap(fn)))
        function = compiled(fn, mode, tuple(wrt), unknown, has_aux=has_aux).function
        receiver = bound_self(fn)     # a method's derivative takes its `self` first
        return function if receiver is None else frontend.calling(function, receiver)

    wrapper.__s2s_ad__ = (fn, mode, tuple(wrt), has_aux)
    wrapper.__s2s_ad_generated__ = generated
    wrapper.__s2s_ad_hooked__ = hooked
    wrapper.__name__ = modes.MODES[mode].name_of(fn)
    wrapper.__qualname__ = wrapper.__name__
    return wrapper


__all__ = ["grad", "value_and_grad", "vjp", "stop_gradient", "clear_cache", "compiled",
           "DifferentiationError"]
