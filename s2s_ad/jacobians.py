"""Jacobians by batched code, or one derivative call per basis vector (jacfwd, jacrev).

Stage: public layer, at call time (higher.py builds jacfwd and jacrev from these).  Input: a
function, its wrt arguments and a call's arguments.  Output: the Jacobians, from one call of
the batched JVP or VJP ("jvp_batched", "vjp_batched", transforms/batching.py) with the
identity as the batch of seeds, or, where that code cannot be generated or fails, from one
JVP per input element or one VJP per output element.  Where the batched code raised but the
loop then succeeded, the batched code was at fault: a RuntimeWarning says so (the Jacobians
are right; only slower).
"""
import numbers
import warnings

import numpy as np

from s2s_ad.arguments import arg_kinds, as_float, shapes_of
from s2s_ad.derivative import compiled
from s2s_ad.entry import Transform, call_generated
from s2s_ad.transforms import batching
from s2s_ad.base.errors import BadArgumentError, DifferentiationError, Unbatchable
from s2s_ad.analysis.kinds import kind_of_value


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


def batched(fn, mode, names, params, args, shape=None):
    """The Generated batched derivative ("jvp_batched" or "vjp_batched") of `fn` for these
    arguments, or None where the batched modes cannot differentiate it."""
    try:
        return compiled(fn, mode, names, arg_kinds(params, args),
                        arg_shapes=shapes_of(params, args), shape=shape)
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

    def entry(self, given):
        """(parameter names, arguments (defaults filled in, the wrt ones as floats), call shape,
        entry): the last call's where `given` needs no conversion (and fn takes no `*xs`)."""
        entry = None if self.variadic else self.fast_function(given)
        if entry is not None:
            return self.params, given, None, entry
        params, args, wrt_index, shape = self.layout(given, {})
        args = list(args)
        for i in wrt_index:
            if i < len(args):
                args[i] = as_float(args[i])
                _refuse_structured(self.mode, params[i], args[i])
        return params, args, shape, self.batched(params, args, shape)

    def batched(self, params, args, shape):
        """The entry for these (converted) arguments: built, or found by their kinds."""
        entry = self.fast_function(args)      # the last call's, for the same signature
        if entry is not None:
            return entry
        key = self.key(args, shape)
        entry = self.fast.get(key, _MISSING)
        if entry is _MISSING:
            gen = batched(self.fn, self.mode, self.wrt, params, args, shape)
            entry = None
            if gen is not None and not gen.dependencies:
                # seeds in the float type of the wrt arguments: float32 in, float32 out
                dtype = _float_type(*[args[params.index(n)] for n in self.wrt])
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
    """(the Jacobians from one call of the batched JVP, or None if its result is not usable;
    the exception that call raised, or None).  `lead`: (a bound method's self,), which the
    generated code takes first."""
    function, _, (size, shapes), seeds = entry
    result, error = _call_batched(function, *lead, *args, *seeds)
    if error is not None:
        return None, error
    out, dots = result
    if type(out) is not np.ndarray:
        _refuse_structured_output("jvp_batched", fn, out)
    out_shape = out.shape if type(out) is np.ndarray else np.shape(out)
    if type(dots) is not np.ndarray or dots.shape != (size,) + out_shape:
        return None, None
    if len(shapes) == 1:    # the batch axis moves to the end: a view, no copy
        jac = dots.T if dots.ndim == 2 else dots.transpose(*range(1, dots.ndim), 0)
        shape = out_shape + tuple(shapes[0])
        jac = jac if jac.shape == shape else jac.reshape(shape)
        return [jac if jac.ndim else float(jac)], None
    flat = np.reshape(dots, (size, -1))
    jacs, start = [], 0
    for shape in shapes:
        n = int(np.prod(shape))
        jac = flat[start:start + n].T.reshape(out_shape + tuple(shape))
        start += n
        jacs.append(jac if np.ndim(jac) else float(jac))
    return jacs, None


def _jacfwd_loop(fn, names, params, args, lead=(), shape=None):
    """The Jacobians by one JVP per element of the wrt arguments."""
    gen = compiled(fn, "jvp", names, arg_kinds(params, args),
                   arg_shapes=shapes_of(params, args), shape=shape)
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


def _jacrev_batched(entry, args, wrt_shapes, lead=()):
    """(the Jacobians from one call of the batched VJP, or None if its result is not usable;
    the exception that call raised, or None)."""
    function, seed_name, (size, (out_shape,)), (seed,) = entry
    rows, error = _call_batched(function, *lead, *args, **{seed_name: seed})
    if error is not None:
        return None, error
    rows = rows if len(wrt_shapes) > 1 else (rows,)
    jacs = []
    for shape, row in zip(wrt_shapes, rows):
        if type(row) is not np.ndarray or row.shape != (size,) + shape:
            return None, None
        jac_shape = tuple(out_shape) + shape
        jac = row if row.shape == jac_shape else row.reshape(jac_shape)
        jacs.append(jac if np.ndim(jac) else float(jac))
    return jacs, None


def _jacrev_loop(fn, names, params, args, lead=(), shape=None, given=None):
    """The Jacobians by one VJP per element of the output (fn called with `given`, or args)."""
    gen = compiled(fn, "vjp", names, arg_kinds(params, args),
                   arg_shapes=shapes_of(params, args), shape=shape)
    from s2s_ad.runtime.arguments import copied
    out = fn(*copied(args if given is None else given))
    _refuse_structured_output("vjp_batched", fn, out)
    dtype = _float_type(out, *[args[params.index(n)] for n in names])
    jacs = [np.zeros(np.shape(out) + np.shape(args[params.index(n)]), dtype) for n in names]
    for index, e in _basis(out, dtype):
        rows = call_generated(gen.function, *lead, *args, **{gen.seed_name: e})
        rows = rows if len(names) > 1 else (rows,)
        for jac, row in zip(jacs, rows):
            jac[index] = row
    return [j if np.ndim(j) else float(j) for j in jacs]


def _call_batched(function, *args, **kwargs):
    """(what the batched code returns, None), or (None, the exception it raised)."""
    try:
        return function(*args, **kwargs), None
    # Any failure of the batched code: safe, since the caller then computes the Jacobians
    # again by the loop, which raises the user's own error again if it is one, and warns
    # (fell_back) if the loop succeeds, so that a fault of the batched code is seen.
    except Exception as error:
        return None, error


def fell_back(error, what, fn):
    """Warn, after the loop computed the Jacobians of `fn` (`what`: jacfwd or jacrev), that
    the batched code had raised `error` (None: nothing to say)."""
    if error is None:
        return
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", "the function")
    warnings.warn(f"s2s_ad: the batched {what} code of {name} raised "
                  f"{type(error).__name__}: {error}; the Jacobian was computed one basis "
                  f"vector at a time instead (right, but slower).  Please report this.",
                  RuntimeWarning, stacklevel=3)
