"""Forward mode and compositions: jvp, jacfwd, jacrev, hessian, hvp.

Stage: public layer, above the first-order transforms (api).  Input: the user's function and
wrt argument(s).  Output: functions computing JVPs, Jacobians, Hessians and Hessian-vector
products, by calling generated code of the modes in the table (`modes`).

Higher derivatives compose source transforms; there is no second mechanism:
  * `hvp(f)` is forward mode applied to the generated gradient source (forward-over-reverse);
  * `hessian(f)` is `jacfwd` of the generated gradient;
  * `grad(grad(f))` differentiates the generated gradient source in reverse mode.
A transform applied to one of our own derivative functions works on the code that function runs
(`derivative.compiled` looks through the wrapper), so these compositions need no special cases.

Jacobians are vectorised: `jacfwd` calls the batched JVP ("jvp_batched", see batching.py) once,
with the identity as the batch of input tangents, and `jacrev` calls the batched VJP once, with
the identity as the batch of output cotangents.  Where the batched code cannot be generated
(`Unbatchable`) or fails, they make one call per basis vector instead (jacobians.py).
"""
import numpy as np

from s2s_ad import api
from s2s_ad.arguments import (arg_kinds, bound_self, call_arguments, parameters, shapes_of,
                              wrt_names)
from s2s_ad.derivative import compiled
from s2s_ad.entry import Transform, call_generated, entry_point, hook_table
from s2s_ad.frontend import source as frontend
from s2s_ad.base.errors import BadArgumentError
from s2s_ad.analysis.kinds import CONTAINER_KINDS, kind_of_value
from s2s_ad.jacobians import (_Jacobian, _jacfwd_batched, _jacfwd_loop, _jacrev_batched,
                              _jacrev_loop, fell_back)
from s2s_ad.jacobians import batched  # noqa: F401  (tests read higher.batched)
from s2s_ad.runtime import objects as _runtime_objects


def _differentiable_value(value):
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, (int, np.integer)):
        return False
    if isinstance(value, np.ndarray) and not np.issubdtype(value.dtype, np.inexact):
        return False
    if isinstance(value, (complex, np.complexfloating, np.ndarray)):
        return True      # (complex values have no kind: see kind_of_value)
    # "scalars": a tuple or list of numbers, which `a, b = p` unpacks
    # a namedtuple, dataclass or other object: its tangent is an object of its type
    return kind_of_value(value) in ("scalar", "array") + CONTAINER_KINDS or \
        _runtime_objects.fields(value) is not None


def jvp(fn, primals, tangents, *, on_tangent=None):
    """Evaluate a function and its Jacobian-vector product, by generated forward-mode code.

    The generated code computes fn's output and, beside each value, its tangent (`h_dot`
    for the variable `h`) in one forward sweep: the directional derivative of fn at
    `primals` along `tangents`.

    Args:
      fn: the function to differentiate; its output may have any shape.
      primals: a tuple (or list) of the arguments, one item per positional parameter; the
        parameters left out take their defaults, with no tangent.
      tangents: a tuple (or list) with one tangent per item of primals, each shaped like its
        primal.  The tangent of an `int`, a `bool` or a non-numeric argument is ignored (pass
        `0.0` or `None`); `None` marks any argument as not differentiated.
      on_tangent: `{variable name: hook}`.  `hook(h_dot)` is called after each assignment to
        the variable `h`, and the sweep goes on with what it returns.

    Returns:
      `(out, out_tangent)`: `fn(*primals)` and its tangent, `J @ tangents`, shaped like out.

    Raises:
      BadArgumentError: when primals or tangents is not a tuple or a list, when their
        lengths differ, or when a tangent's shape is not its primal's.
      DifferentiationError: when fn uses what s2s_ad cannot differentiate.

    Example:
      >>> def f(x, w):
      ...     return w * x ** 2
      >>> out, out_dot = ad.jvp(f, (np.array([1.0, 2.0]), 3.0), (np.array([1.0, 0.0]), 0.0))
      >>> print(out, out_dot)
      [ 3. 12.] [6. 0.]
      >>> print(*ad.jvp(f, (np.array([1.0, 2.0]), 3.0), (None, 1.0)))
      [ 3. 12.] [1. 4.]
    """
    for what, given in (("primals", primals), ("tangents", tangents)):
        if not isinstance(given, (tuple, list)):
            raise BadArgumentError(
                f"jvp takes the {what} as a tuple (one item per argument), not "
                f"{type(given).__name__}",
                hint="Write ad.jvp(f, (x,), (t,)) for a function of one argument.")
    hooks, hook_arguments = hook_table(on_tangent, "ad.jvp")
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise BadArgumentError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")
    # defaults filled in: no tangent
    params, primals, shape = call_arguments(fn, parameters(fn), primals, {})
    for p, x, t in zip(params, primals, tangents):
        if t is not None and _differentiable_value(x) and \
                isinstance(x, np.ndarray | float | int | complex | np.generic) and \
                np.shape(t) != np.shape(x):
            raise BadArgumentError(f"jvp: the tangent of {p} has shape {np.shape(t)}, but {p} "
                                   f"has shape {np.shape(x)}",
                                   hint="Give each tangent the shape of its primal.")
    wrt = [p for p, x, t in zip(params, primals, tangents)
           if t is not None and _differentiable_value(x)]
    kinds = arg_kinds(params, primals)
    gen = compiled(fn, "jvp", wrt, kinds, arg_shapes=shapes_of(params, primals), hooks=hooks,
                   shape=shape)
    dots = [t for p, x, t in zip(params, primals, tangents) if p in wrt]
    self = bound_self(fn)
    if self is not None:    # the generated code takes a method's `self` first
        primals = (self,) + primals
    return call_generated(gen.function, *primals, *dots, **hook_arguments)


def jacfwd(fn, wrt=0):
    """Jacobian of a function, by forward mode.

    One call of generated batched JVP code (`ad.source(f, "jvp_batched", example=...)`)
    pushes the whole basis of the wrt argument's elements through fn at once; where that code
    cannot be generated, one JVP per element of the wrt argument.  Forward mode suits
    functions with few inputs and many outputs (`ad.jacrev` the other way round).

    Args:
      fn: the function to differentiate.  Its output is a number or an array (or a tuple or
        list of numbers); its wrt arguments are numbers or arrays.
      wrt: a position, a parameter name, or a tuple of them (default 0).

    Returns:
      A function `j(*args)` named `f_jacfwd` returning the Jacobian, of shape
      `out.shape + in.shape` (a float for a scalar function of a scalar); for a tuple wrt,
      a tuple of Jacobians, one per wrt argument.

    Raises:
      BadArgumentError: when wrt names no parameter of fn, or (at the call) when a wrt
        argument or the output is a dict, an object or a tuple holding arrays.
      DifferentiationError: when fn uses what s2s_ad cannot differentiate.

    Example:
      >>> def f(x):
      ...     return np.array([x[0] * x[1], 3.0 * x[1], x[0]])
      >>> ad.jacfwd(f)(np.array([2.0, 5.0]))
      array([[5., 2.],
             [0., 3.],
             [1., 0.]])
    """
    t = _Jacobian(fn, "jvp_batched", wrt)
    names, as_tuple = t.wrt, t.as_tuple

    def jacfwd_fn(*given):
        params, args, shape, entry = t.entry(given)
        lead = () if t.bound_self is None else (t.bound_self,)
        jacs, error = _jacfwd_batched(fn, entry, args, lead) if entry is not None else \
            (None, None)
        if jacs is None:
            jacs = _jacfwd_loop(fn, names, params, args, lead, shape)
            fell_back(error, "jacfwd", fn)
        return tuple(jacs) if as_tuple else jacs[0]

    return api.mark(jacfwd_fn, fn, "jacfwd")


def jacrev(fn, wrt=0):
    """Jacobian of a function, by reverse mode.

    One call of generated batched VJP code (`ad.source(f, "vjp_batched", example=...)`)
    pulls the whole basis of the output's elements back through fn at once; where that code
    cannot be generated, one VJP per element of the output.  Reverse mode suits functions
    with many inputs and few outputs (`ad.jacfwd` the other way round).

    Args:
      fn: the function to differentiate.  Its output is a number or an array (or a tuple or
        list of numbers); its wrt arguments are numbers or arrays.
      wrt: a position, a parameter name, or a tuple of them (default 0).

    Returns:
      A function `j(*args)` named `f_jacrev` returning the Jacobian, of shape
      `out.shape + in.shape`, the same as `ad.jacfwd`'s; for a tuple wrt, a tuple of
      Jacobians.

    Raises:
      BadArgumentError: when wrt names no parameter of fn, or (at the call) when a wrt
        argument or the output is a dict, an object or a tuple holding arrays.
      DifferentiationError: when fn uses what s2s_ad cannot differentiate.

    Example:
      >>> def f(x, W):
      ...     return W @ x
      >>> W = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
      >>> ad.jacrev(f)(np.array([1.0, -1.0]), W)
      array([[1., 2.],
             [3., 4.],
             [5., 6.]])
      >>> ad.jacrev(f, wrt="W")(np.array([1.0, -1.0]), W).shape
      (3, 3, 2)
    """
    t = _Jacobian(fn, "vjp_batched", wrt)
    names, as_tuple = t.wrt, t.as_tuple

    def jacrev_fn(*given):
        params, args, shape, entry = t.entry(given)
        jacs, error = None, None
        lead = () if t.bound_self is None else (t.bound_self,)
        if entry is not None:
            shapes = [np.shape(args[params.index(n)]) for n in names]
            jacs, error = _jacrev_batched(entry, args, shapes, lead)
        if jacs is None:
            jacs = _jacrev_loop(fn, names, params, args, lead, shape, given)
            fell_back(error, "jacrev", fn)
        return tuple(jacs) if as_tuple else jacs[0]

    return api.mark(jacrev_fn, fn, "jacrev")


def hessian(fn, wrt=0):
    """Hessian of a scalar-valued function: `jacfwd` of its generated gradient.

    Forward mode over reverse mode: the generated gradient code (`ad.grad(fn, wrt)`) is
    differentiated again, as source, by the batched forward mode.

    Args:
      fn: the function to differentiate, returning a scalar.
      wrt: one argument: a position or a parameter name (default 0).  For the blocks of a
        Hessian in several arguments, use `ad.jacfwd(ad.grad(f, wrt), wrt)`.

    Returns:
      A function `h(*args)` named `f_hessian` returning the Hessian with respect to the wrt
      argument, of shape `in.shape + in.shape` (a float for a scalar argument).

    Raises:
      BadArgumentError: at once, when wrt is a tuple of several arguments.
      DifferentiationError: when fn or its gradient code uses what s2s_ad cannot
        differentiate.

    Example:
      >>> def f(x):
      ...     return x[0] ** 2 * x[1]
      >>> ad.hessian(f)(np.array([1.0, 2.0]))
      array([[4., 2.],
             [2., 0.]])
    """
    names, as_tuple = wrt_names(fn, wrt)
    if as_tuple and len(names) > 1:
        raise BadArgumentError("hessian takes one wrt argument; use jacfwd(grad(f, wrt), wrt) "
                               "for the blocks of a Hessian in several arguments")
    return api.mark(jacfwd(api.grad(fn, names[0]), names[0]), fn, "hessian")


def hvp(fn, wrt=0):
    """Hessian-vector product of a scalar-valued function, without forming the Hessian.

    Forward mode over reverse mode: the tangent of the generated gradient code along v, in
    one sweep, whatever the size of the Hessian (`ad.source(f, "hvp")` prints its code).

    Args:
      fn: the function to differentiate, returning a scalar.
      wrt: one argument: a position or a parameter name (default 0).

    Returns:
      A function `h(*args, v)` named `f_hvp`: fn's arguments, then the vector v, shaped like
      the wrt argument.  It returns `H @ v`, shaped like the wrt argument, for the Hessian H
      with respect to that argument.

    Raises:
      BadArgumentError: at once, when wrt is a tuple of several arguments; at the call, when
        no argument is given.
      DifferentiationError: when fn or its gradient code uses what s2s_ad cannot
        differentiate.

    Example:
      >>> def f(x):
      ...     return np.sum(x ** 3)
      >>> ad.hvp(f)(np.array([1.0, 2.0]), np.array([1.0, 1.0]))
      array([ 6., 12.])
    """
    names, as_tuple = wrt_names(fn, wrt)
    if as_tuple and len(names) > 1:
        raise BadArgumentError("hvp takes one wrt argument")
    name = names[0]
    gradient = api.grad(fn, name)
    t = Transform(gradient, "tangent", name)
    t.plain = frontend.unwrap(fn)    # the module-level values the code reads are fn's

    def general(args):
        if not args:
            raise BadArgumentError(f"the hvp of {getattr(fn, '__name__', 'f')} takes f's "
                                   f"arguments and then the vector v")
        # the grad fast path (same argument signature), for calls giving every parameter: the
        # generated function takes v after all of them, defaults included
        function = t.fast_function(args[:-1]) if len(args) > len(t.params) and \
            not t.variadic else None     # (a `*xs` function's parameters depend on the call)
        if function is None:
            function, primals = t.prepare(args[:-1], {})
            return function(*primals, args[-1])
        return function(*args)

    v = "v" if "v" not in t.params else "_ad_v"
    entry = entry_point(t, "hvp", "{call}", general, extra=(v,), named_after=fn)
    return api.mark(entry or (lambda *args: general(args)), fn, "hvp")


__all__ = ["jvp", "jacfwd", "jacrev", "hessian", "hvp"]
