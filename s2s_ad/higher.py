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
(`Unbatchable`) or fails, they make one call per basis vector instead.
"""
import numbers

import numpy as np

from s2s_ad import api
from s2s_ad.arguments import (arg_kinds, as_float, bind, bound_self, parameters, shapes_of,
                              wrt_names)
from s2s_ad.derivative import compiled
from s2s_ad.entry import Transform, call_generated, entry_point, hook_table
from s2s_ad.transforms import batching
from s2s_ad.frontend import source as frontend
from s2s_ad.base.errors import BadArgumentError, DifferentiationError, Unbatchable
from s2s_ad.analysis.kinds import CONTAINER_KINDS, kind_of_value
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
    params = parameters(fn)
    primals = tuple(bind(fn, params, primals, {}))    # defaults filled in: no tangent
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
    gen = compiled(fn, "jvp", wrt, kinds, arg_shapes=shapes_of(params, primals), hooks=hooks)
    dots = [t for p, x, t in zip(params, primals, tangents) if p in wrt]
    self = bound_self(fn)
    if self is not None:    # the generated code takes a method's `self` first
        primals = (self,) + primals
    return call_generated(gen.function, *primals, *dots, **hook_arguments)


def _basis(value, dtype=None):
    """Unit vectors shaped like `value` (in `dtype`, by default value's float type), one per
    element, and the element indices."""
    shape = np.shape(value)
    dtype = dtype or _float_type(value)
    for index in np.ndindex(*shape):
        e = np.zeros(shape, dtype)
        e[index] = 1
        yield index, (e if shape else 1.0)


def _zero(value):
    return np.zeros(np.shape(value), _float_type(value)) if np.ndim(value) else 0.0


def _float_type(*values):
    """The float type of the derivatives of `values`: theirs (float32 stays float32), float64
    for integers and Python numbers."""
    dtype = np.result_type(*[v.dtype for v in values if isinstance(v, np.ndarray)] or [float])
    return dtype if np.issubdtype(dtype, np.inexact) else np.dtype(float)


def batched(fn, mode, names, params, args):
    """The Generated batched derivative ("jvp_batched" or "vjp_batched") of `fn` for these
    arguments, or None where the batched modes cannot differentiate it."""
    try:
        return compiled(fn, mode, names, arg_kinds(params, args),
                        arg_shapes=shapes_of(params, args))
    except (Unbatchable, DifferentiationError):   # the loop over basis vectors reports why
        return None


def _identity_blocks(shapes, dtype):
    """The identity over the elements of values of `shapes`, one (B,) + shape block each."""
    size = batching.batch_size(shapes)
    eye = np.eye(size, dtype=dtype)
    eye.setflags(write=False)   # reused by every call: code that writes into it fails (and loops)
    blocks, start = [], 0
    for shape in shapes:
        n = int(np.prod(shape))
        block = eye[:, start:start + n].reshape((size,) + tuple(shape))
        block.setflags(write=False)
        blocks.append(block)
        start += n
    return blocks


class _Jacobian(Transform):
    """One Jacobian transform: the batched code per argument kinds and shapes, remembered
    together with its identity seed (None where the batched mode refuses the function)."""

    def converted(self, args):
        """The arguments, every parameter given (defaults filled in), the differentiated ones
        as floats."""
        args = list(bind(self.fn, self.params, args, {}))
        for i in self.wrt_index:
            if i < len(args):
                args[i] = as_float(args[i])
                _refuse_structured(self.mode, self.params[i], args[i])
        return args

    def batched(self, args):
        """The entry for these (converted) arguments: built, or found by their kinds."""
        entry = self.fast_function(args)      # the last call's, for the same signature
        if entry is not None:
            return entry
        key = self.key(args)
        entry = self.fast.get(key, _MISSING)
        if entry is _MISSING:
            gen = batched(self.fn, self.mode, self.wrt, self.params, args)
            entry = None
            if gen is not None and not gen.dependencies:
                # seeds in the float type of the wrt arguments: float32 in, float32 out
                dtype = _float_type(*[args[self.params.index(n)] for n in self.wrt])
                entry = (gen.function, gen.seed_name, gen.batch,
                         _identity_blocks(gen.batch[1], dtype))
            self.fast[key] = entry
        if entry is not None and self.bound_self is None:
            self.remember(args, entry)
        return entry


_MISSING = object()


def _refuse_structured(mode, name, value):
    """A Jacobian (and so a Hessian) is a matrix over the elements of numbers and arrays: with
    respect to a dict, an object or a tuple holding arrays it has no shape, so refuse it by name (it would
    fail deep in the basis code).  A tuple or list of numbers is a vector, as elsewhere."""
    if isinstance(value, (numbers.Number, np.ndarray, np.generic)) or \
            kind_of_value(value) == "scalars":
        return
    what = "jacfwd or hessian" if mode == "jvp_batched" else "jacrev"
    raise BadArgumentError(
        f"{what} with respect to '{name}', a {type(value).__name__}: Jacobians and Hessians "
        f"are taken with respect to numbers and arrays",
        hint=f"Pass the arrays inside '{name}' as separate arguments and differentiate with "
             f"respect to them, or use ad.grad / ad.vjp / ad.hvp, which take {type(value).__name__} "
             f"arguments.")


def _refuse_structured_output(mode, fn, out):
    """A Jacobian is of a number or an array (or a tuple or list of numbers, a vector): of a
    dict, an object or a tuple holding arrays it has no shape, so refuse it by name (it would
    fail deep in the basis code, or in the generated code reading the seed's fields)."""
    if isinstance(out, (numbers.Number, np.ndarray, np.generic)) or \
            (type(out) in (tuple, list) and kind_of_value(out) == "scalars"):
        return
    what = "jacfwd or hessian" if mode == "jvp_batched" else "jacrev"
    name = getattr(fn, "__name__", "the function")
    raise BadArgumentError(
        f"{what} of {name}, whose output is a {type(out).__name__}: Jacobians are taken of "
        f"numbers and arrays",
        hint=f"Take the Jacobian of a function returning one array of that "
             f"{type(out).__name__}, or use ad.vjp / ad.jvp, which take such outputs.")


def _jacfwd_batched(fn, entry, args, lead=()):
    """The Jacobians from one call of the batched JVP, or None if its result is not usable.
    `lead`: (a bound method's self,), which the generated code takes first."""
    function, _, (size, shapes), seeds = entry
    try:
        out, dots = function(*lead, *args, *seeds)
    except Exception:   # any failure of the batched code: safe, since the caller then makes
        return None     # one JVP call per basis vector, which computes (or reports) it again
    if type(out) is not np.ndarray:
        _refuse_structured_output("jvp_batched", fn, out)
    out_shape = out.shape if type(out) is np.ndarray else np.shape(out)
    if type(dots) is not np.ndarray or dots.shape != (size,) + out_shape:
        return None
    if len(shapes) == 1:    # the batch axis moves to the end: a view, no copy
        jac = dots.T if dots.ndim == 2 else dots.transpose(*range(1, dots.ndim), 0)
        shape = out_shape + tuple(shapes[0])
        jac = jac if jac.shape == shape else jac.reshape(shape)
        return [jac if jac.ndim else float(jac)]
    flat = np.reshape(dots, (size, -1))
    jacs, start = [], 0
    for shape in shapes:
        n = int(np.prod(shape))
        jac = flat[start:start + n].T.reshape(out_shape + tuple(shape))
        start += n
        jacs.append(jac if np.ndim(jac) else float(jac))
    return jacs


def _jacfwd_loop(fn, names, params, args, lead=()):
    """The Jacobians by one JVP per element of the wrt arguments."""
    gen = compiled(fn, "jvp", names, arg_kinds(params, args),
                   arg_shapes=shapes_of(params, args))
    results = []
    for k, name in enumerate(names):
        x = args[params.index(name)]
        jac = None
        for index, e in _basis(x):
            dots = [e if j == k else _zero(args[params.index(n)])
                    for j, n in enumerate(names)]
            out, column = call_generated(gen.function, *lead, *args, *dots)
            if jac is None:
                _refuse_structured_output("jvp_batched", fn, out)
                jac = np.zeros(np.shape(out) + np.shape(x), np.result_type(column))
            jac[(Ellipsis,) + index] = column
        results.append(jac if np.ndim(jac) else float(jac))
    return results


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
    names, as_tuple, params = t.wrt, t.as_tuple, t.params

    def jacfwd_fn(*args):
        entry = t.fast_function(args)     # the last call's, for arguments needing no conversion
        if entry is None:
            args = t.converted(args)
            entry = t.batched(args)
        lead = () if t.bound_self is None else (t.bound_self,)
        jacs = _jacfwd_batched(fn, entry, args, lead) if entry is not None else None
        if jacs is None:
            jacs = _jacfwd_loop(fn, names, params, args, lead)
        return tuple(jacs) if as_tuple else jacs[0]

    return api.mark(jacfwd_fn, fn, "jacfwd")


def _jacrev_batched(entry, args, wrt_shapes, lead=()):
    """The Jacobians from one call of the batched VJP, or None if its result is not usable."""
    function, seed_name, (size, (out_shape,)), (seed,) = entry
    try:
        rows = function(*lead, *args, **{seed_name: seed})
    except Exception:   # any failure of the batched code: safe, since the caller then makes
        return None     # one VJP call per basis vector, which computes (or reports) it again
    rows = rows if len(wrt_shapes) > 1 else (rows,)
    jacs = []
    for shape, row in zip(wrt_shapes, rows):
        if type(row) is not np.ndarray or row.shape != (size,) + shape:
            return None
        jac_shape = tuple(out_shape) + shape
        jac = row if row.shape == jac_shape else row.reshape(jac_shape)
        jacs.append(jac if np.ndim(jac) else float(jac))
    return jacs


def _jacrev_loop(fn, names, params, args, lead=()):
    """The Jacobians by one VJP per element of the output."""
    gen = compiled(fn, "vjp", names, arg_kinds(params, args),
                   arg_shapes=shapes_of(params, args))
    from s2s_ad.runtime.arguments import copied
    out = fn(*copied(args))
    _refuse_structured_output("vjp_batched", fn, out)
    dtype = _float_type(out, *[args[params.index(n)] for n in names])
    jacs = [np.zeros(np.shape(out) + np.shape(args[params.index(n)]), dtype) for n in names]
    for index, e in _basis(out, dtype):
        rows = call_generated(gen.function, *lead, *args, **{gen.seed_name: e})
        rows = rows if len(names) > 1 else (rows,)
        for jac, row in zip(jacs, rows):
            jac[index] = row
    return [j if np.ndim(j) else float(j) for j in jacs]


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
    names, as_tuple, params = t.wrt, t.as_tuple, t.params

    def jacrev_fn(*args):
        entry = t.fast_function(args)     # the last call's, for arguments needing no conversion
        if entry is None:
            args = t.converted(args)
            entry = t.batched(args)
        jacs = None
        lead = () if t.bound_self is None else (t.bound_self,)
        if entry is not None:
            shapes = [np.shape(args[i]) for i in t.wrt_index]
            jacs = _jacrev_batched(entry, args, shapes, lead)
        if jacs is None:
            jacs = _jacrev_loop(fn, names, params, args, lead)
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
        function = t.fast_function(args[:-1]) if len(args) > len(t.params) else None
        if function is None:
            function, primals = t.prepare(args[:-1], {})
            return function(*primals, args[-1])
        return function(*args)

    v = "v" if "v" not in t.params else "_ad_v"
    entry = entry_point(t, "hvp", "{call}", general, extra=(v,), named_after=fn)
    return api.mark(entry or (lambda *args: general(args)), fn, "hvp")


__all__ = ["jvp", "jacfwd", "jacrev", "hessian", "hvp"]
