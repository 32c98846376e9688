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
from s2s_ad.arguments import (as_float, arg_kinds, bound_self, shaped_parameters, shapes_of,
                              snapshot)
from s2s_ad.base.errors import BadArgumentError, DifferentiationError
from s2s_ad.derivative import clear_cache, compiled, forget, variant  # noqa: F401  (API.md)
from s2s_ad.entry import Transform, call_generated, entry_point, trim
from s2s_ad.frontend import source as frontend


def grad(fn, wrt=0, *, has_aux=False, on_adjoint=None):
    """Gradient of a scalar-valued function, computed by generated Python code.

    `ad.grad(f)` returns a function with f's parameters.  Its first call with arguments of
    new kinds (numbers, arrays, containers) generates the Python source of the gradient
    (`ad.source(f, "grad")` prints it), compiles it and caches it; later calls run that code.
    Nothing is traced at call time.  The code is reverse mode (a forward sweep, then the
    adjoints in reverse), or, for a single wrt argument that is a Python number (without
    has_aux and hooks), one forward sweep without a tape.
    Keyword arguments are accepted as f accepts them.

    Args:
      fn: the function to differentiate, whose source s2s_ad can read (a module file or a
        notebook cell).  It returns a scalar: a Python or NumPy number, or a 0-d array.
      wrt: the argument(s) to differentiate with respect to: a position, a parameter name,
        or a tuple (or list) of them, such as `(0, "b")`.  Default 0, the first parameter.
      has_aux: if True, fn returns `(value, aux)`: the gradient is that of `value`, and
        `aux` is returned beside it, not differentiated.
      on_adjoint: `{variable name: hook}`.  In the reverse sweep, `hook(h_bar)` is called
        where the adjoint of the variable `h` is complete (once per assignment to `h`: in a
        loop, once per iteration), and the sweep goes on with what it returns: print,
        record, clip or scale it there.

    Returns:
      A function `g(*args, **kwargs)` named `f_grad` returning the gradient, which has the
      shape and structure of the wrt argument (an array for an array, a tuple for a tuple,
      an object of the same class for an object); an `int` argument is differentiated as a
      float.  A tuple `wrt` gives a tuple of gradients in its order.  With has_aux, `g`
      returns `(gradient, aux)`.

    Raises:
      BadArgumentError: at once, when wrt names no parameter of fn; when `g` is called, when
        fn's output is not a scalar (use jacrev or vjp) or is a tuple without has_aux.
      DifferentiationError: at the first call, when fn uses what s2s_ad cannot
        differentiate; the message names the file and line of fn at fault.

    Example:
      >>> def f(x, y):
      ...     return np.sum(x ** 2 * y)
      >>> x = np.array([1.0, 2.0])
      >>> ad.grad(f)(x, 3.0)
      array([ 6., 12.])
      >>> dx, dy = ad.grad(f, wrt=(0, "y"))(x, 3.0)
      >>> print(dx, dy)
      [ 6. 12.] 5.0
      >>> def g(x):
      ...     return np.sum(x ** 2), x.size
      >>> ad.grad(g, has_aux=True)(x)
      (array([2., 4.]), 2)
    """
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
        except Exception as error:      # re-raised: our frames left out of its traceback
            trim(error)
            raise
    return call


def value_and_grad(fn, wrt=0, *, has_aux=False, on_adjoint=None):
    """Value and gradient of a scalar-valued function, in one call.

    The same as `ad.grad`, except that the generated code returns the value of fn it
    computes on the way (in its forward sweep), so f need not be called again for it.

    Args:
      fn: the function to differentiate, returning a scalar (see `ad.grad`).
      wrt: a position, a parameter name, or a tuple of them (default 0).
      has_aux: if True, fn returns `(value, aux)` and only `value` is differentiated.
      on_adjoint: `{variable name: hook}` called on adjoints in the reverse sweep, as in
        `ad.grad`.

    Returns:
      A function `g(*args, **kwargs)` named `f_value_and_grad` returning
      `(value, gradient)`, or `((value, aux), gradient)` with has_aux; the gradient is
      what `ad.grad(fn, wrt)` returns.

    Raises:
      BadArgumentError: as for `ad.grad`.
      DifferentiationError: at the first call, when fn uses what s2s_ad cannot
        differentiate.

    Example:
      >>> def f(x):
      ...     return np.sum(x ** 3)
      >>> value, gradient = ad.value_and_grad(f)(np.array([1.0, 2.0]))
      >>> print(value, gradient)
      9.0 [ 3. 12.]
    """
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
    """Evaluate a function and return its vector-Jacobian product (pullback).

    Unlike `ad.grad`, fn may return any shape: the pullback takes a cotangent shaped like
    fn's output and returns `cotangent @ J` for the Jacobian J of each wrt argument, by the
    generated reverse-mode code.  The pullback keeps copies of the arrays given, so writing
    into them afterwards does not move the point it linearises at.

    Args:
      fn: the function to differentiate.
      *primals: the arguments to call fn with, positional.
      wrt: the argument(s) to differentiate with respect to: a position, a parameter name,
        or a tuple of them; None (the default) means every positional argument given.
      on_adjoint: `{variable name: hook}` called on adjoints in the reverse sweep, as in
        `ad.grad`.

    Returns:
      `(out, pullback)`: `out` is `fn(*primals)`, and `pullback(cotangent)` returns a tuple
      with one cotangent per wrt argument, each shaped like that argument (a 1-tuple for a
      single wrt).

    Raises:
      BadArgumentError: when `pullback` is given a cotangent whose shape is not the shape of
        fn's output.
      DifferentiationError: when fn uses what s2s_ad cannot differentiate.

    Example:
      >>> def f(x, w):
      ...     return w * x ** 2
      >>> out, pullback = ad.vjp(f, np.array([1.0, 2.0]), 3.0)
      >>> out
      array([ 3., 12.])
      >>> x_bar, w_bar = pullback(np.array([1.0, 1.0]))
      >>> print(x_bar, w_bar)
      [ 6. 12.] 5.0
      >>> ad.vjp(f, np.array([1.0, 2.0]), 3.0, wrt="x")[1](np.array([1.0, 0.0]))
      (array([6., 0.]),)
    """
    wrt = tuple(range(len(primals))) if wrt is None else wrt
    t = Transform(fn, "vjp", wrt if isinstance(wrt, tuple) else (wrt,), on_adjoint=on_adjoint)
    # The pullback linearises at the point given: it reads copies of the arrays (and of the
    # containers holding them), so writing into x after vjp(f, x) does not move the point.
    params, args, wrt_index, shape = t.layout(primals, {})
    args_given = list(args)
    args = [snapshot(a) for a in args]
    for i in wrt_index:
        if i < len(args):
            args[i] = as_float(args[i])
    kinds = arg_kinds(params, args)
    gen = compiled(fn, "vjp", t.wrt, kinds, arg_shapes=shapes_of(params, args), hooks=t.hooks,
                   shape=shape)
    from s2s_ad.runtime.arguments import check_unshared, copied
    # the snapshots no longer share memory: check the arguments given (a name that is no
    # parameter here is a bound method's `self`)
    given = ([] if t.bound_self is None else [t.bound_self]) + args_given
    for name in gen.written:
        k = params.index(name) + len(given) - len(args_given) if name in params else 0
        check_unshared(name, given[k], *(a for j, a in enumerate(given) if j != k))
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
    """Return `x` unchanged, with a zero derivative: nothing flows back through it.

    The compiler treats a call to it as a constant in every mode, so `stop_gradient(x)`
    holds x's value while derivatives pass around it.

    Args:
      x: any value.

    Returns:
      `x` itself.

    Example:
      >>> def f(x):
      ...     return x * ad.stop_gradient(x)
      >>> f(3.0), ad.grad(f)(3.0)
      (9.0, 3.0)
    """
    return x


def mark(wrapper, fn, mode, wrt=(), has_aux=False, hooked=False):
    """Mark a derivative function as ours, named as the table of modes says.  Differentiating
    it again (a grad inside a differentiated function, source of a derivative) reads the code
    it runs, which `__s2s_ad_generated__()` compiles: lower stages call it without importing
    the api.  One with hooks (`hooked`) is refused there: its hooks are Python calls, which a
    derivative of it would leave out."""
    def generated(shape=None):
        if hooked:
            raise BadArgumentError(
                f"cannot differentiate ad.{mode}(..., on_adjoint=...) again: its hooks are "
                f"Python functions the derivative would leave out",
                hint=f"Differentiate ad.{mode} without on_adjoint.")
        # The kinds of the arguments it will be called with are not known here: unknown,
        # so that its code holds for any of them (an object's cotangents are added field by
        # field, a tuple's item by item), not only for numbers and arrays.
        # `shape`: what a call gives fn's `*xs` or `**kw` (arguments.call_arguments)
        unknown = dict.fromkeys(shaped_parameters(frontend.unwrap(fn), shape))
        function = compiled(fn, mode, tuple(wrt), unknown, has_aux=has_aux, shape=shape).function
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
