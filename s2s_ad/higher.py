"""Forward mode and compositions: jvp, jacfwd, jacrev, hessian, hvp.

Higher derivatives compose source transforms; there is no second mechanism:
  * `hvp(f)` is forward mode applied to the generated gradient source (forward-over-reverse);
  * `hessian(f)` is `jacfwd` of the generated gradient;
  * `grad(grad(f))` differentiates the generated gradient source in reverse mode.
A transform applied to one of our own derivative functions works on the code that function runs
(`api.compiled` looks through the wrapper), so these compositions need no special cases.

Jacobians are vectorised: `jacfwd` calls the batched JVP ("jvp_batched", see batching.py) once,
with the identity as the batch of input tangents, and `jacrev` calls the batched VJP once, with
the identity as the batch of output cotangents.  Where the batched code cannot be generated
(`batching.Unbatchable`) or fails, they make one call per basis vector instead.
"""
import numpy as np

from . import api, batching
from .api import _Transform, _as_float, _mark, _params, arg_kinds, compiled, shapes_of, wrt_names
from .batching import Unbatchable
from .errors import BadArgumentError, DifferentiationError
from .kinds import kind_of_value


def _differentiable_value(value):
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, (int, np.integer)):
        return False
    if isinstance(value, np.ndarray) and not np.issubdtype(value.dtype, np.inexact):
        return False
    return kind_of_value(value) in ("scalar", "array", "container")


def jvp(fn, primals, tangents):
    """`(out, out_tangent)`: the Jacobian of `fn` at `primals` times `tangents`."""
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise BadArgumentError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")
    params = _params(fn)
    wrt = [p for p, x, t in zip(params, primals, tangents)
           if t is not None and _differentiable_value(x)]
    kinds = arg_kinds(params, primals)
    gen = compiled(fn, "jvp", wrt, kinds, arg_shapes=shapes_of(params, primals))
    dots = [t for p, x, t in zip(params, primals, tangents) if p in wrt]
    return gen.function(*primals, *dots)


def _basis(value):
    """Unit vectors shaped like `value`, one per element, and the element indices."""
    shape = np.shape(value)
    for index in np.ndindex(*shape):
        e = np.zeros(shape)
        e[index] = 1.0
        yield index, (e if shape else 1.0)


def _zero(value):
    return np.zeros(np.shape(value)) if np.ndim(value) else 0.0


def batched(fn, mode, names, params, args):
    """The Generated batched derivative ("jvp_batched" or "vjp_batched") of `fn` for these
    arguments, or None where the batched modes cannot differentiate it."""
    try:
        return compiled(fn, mode, names, arg_kinds(params, args),
                        arg_shapes=shapes_of(params, args))
    except (Unbatchable, DifferentiationError):
        return None
    except Exception:    # a construct the batched generators do not expect: loop instead
        return None


def _identity_blocks(shapes):
    """The identity over the elements of values of `shapes`, one (B,) + shape block each."""
    size = batching.batch_size(shapes)
    eye = np.eye(size)
    blocks, start = [], 0
    for shape in shapes:
        n = int(np.prod(shape))
        blocks.append(eye[:, start:start + n].reshape((size,) + tuple(shape)))
        start += n
    return blocks


def _jacfwd_batched(gen, names, params, args):
    """The Jacobians from one call of the batched JVP, or None if its result is not usable."""
    size, shapes = gen.batch
    try:
        out, dots = gen.function(*args, *_identity_blocks(shapes))
    except Exception:
        return None
    if np.shape(dots) != (size,) + np.shape(out):
        return None
    flat = np.reshape(dots, (size, -1))
    jacs, start = [], 0
    for shape in shapes:
        n = int(np.prod(shape))
        jac = flat[start:start + n].T.reshape(np.shape(out) + tuple(shape))
        start += n
        jacs.append(jac if np.ndim(jac) else float(jac))
    return jacs


def jacfwd(fn, wrt=0):
    """The Jacobian by forward mode (one batched JVP over the input basis, or one JVP per input
    element); shape out.shape + in.shape."""
    names, as_tuple = wrt_names(fn, wrt)
    params = _params(fn)

    def jacfwd_fn(*args):
        args = [(_as_float(a) if p in names else a) for p, a in zip(params, args)]
        gen = batched(fn, "jvp_batched", names, params, args)
        if gen is not None:
            jacs = _jacfwd_batched(gen, names, params, args)
            if jacs is not None:
                return tuple(jacs) if as_tuple else jacs[0]
        gen = compiled(fn, "jvp", names, arg_kinds(params, args),
                       arg_shapes=shapes_of(params, args))
        results = []
        for k, name in enumerate(names):
            x = args[params.index(name)]
            jac = None
            for index, e in _basis(x):
                dots = [e if j == k else _zero(args[params.index(n)])
                        for j, n in enumerate(names)]
                out, column = gen.function(*args, *dots)
                if jac is None:
                    jac = np.zeros(np.shape(out) + np.shape(x))
                jac[(Ellipsis,) + index] = column
            results.append(jac if np.ndim(jac) else float(jac))
        return tuple(results) if as_tuple else results[0]

    return _mark(jacfwd_fn, fn, "jacfwd")


def _jacrev_batched(gen, names, params, args):
    """The Jacobians from one call of the batched VJP, or None if its result is not usable."""
    size, (out_shape,) = gen.batch
    try:
        rows = gen.function(*args, **{gen.seed_name: _identity_blocks([out_shape])[0]})
    except Exception:
        return None
    rows = rows if len(names) > 1 else (rows,)
    jacs = []
    for name, row in zip(names, rows):
        shape = np.shape(args[params.index(name)])
        if np.shape(row) != (size,) + shape:
            return None
        jac = np.reshape(row, tuple(out_shape) + shape)
        jacs.append(jac if np.ndim(jac) else float(jac))
    return jacs


def jacrev(fn, wrt=0):
    """The Jacobian by reverse mode (one batched VJP over the output basis, or one VJP per
    output element); shape out.shape + in.shape."""
    names, as_tuple = wrt_names(fn, wrt)
    params = _params(fn)

    def jacrev_fn(*args):
        args = [(_as_float(a) if p in names else a) for p, a in zip(params, args)]
        gen = batched(fn, "vjp_batched", names, params, args)
        if gen is not None:
            jacs = _jacrev_batched(gen, names, params, args)
            if jacs is not None:
                return tuple(jacs) if as_tuple else jacs[0]
        gen = compiled(fn, "vjp", names, arg_kinds(params, args),
                       arg_shapes=shapes_of(params, args))
        from .check import copied
        out = fn(*copied(args))
        jacs = [np.zeros(np.shape(out) + np.shape(args[params.index(n)])) for n in names]
        for index, e in _basis(out):
            rows = gen.function(*args, **{gen.seed_name: e})
            rows = rows if len(names) > 1 else (rows,)
            for jac, row in zip(jacs, rows):
                jac[index] = row
        jacs = [j if np.ndim(j) else float(j) for j in jacs]
        return tuple(jacs) if as_tuple else jacs[0]

    return _mark(jacrev_fn, fn, "jacrev")


def hessian(fn, wrt=0):
    """The Hessian, as the forward-mode Jacobian of the generated gradient: in.shape * 2."""
    names, as_tuple = wrt_names(fn, wrt)
    if as_tuple and len(names) > 1:
        raise BadArgumentError("hessian takes one wrt argument; use jacfwd(grad(f, wrt), wrt) "
                               "for the blocks of a Hessian in several arguments")
    return _mark(jacfwd(api.grad(fn, names[0]), names[0]), fn, "hessian")


def hvp(fn, wrt=0):
    """`h(*args, v)` -> Hessian times v, by forward mode over the generated gradient."""
    names, as_tuple = wrt_names(fn, wrt)
    if as_tuple and len(names) > 1:
        raise BadArgumentError("hvp takes one wrt argument")
    name = names[0]
    params = _params(fn)
    gradient = api.grad(fn, name)

    def hvp_fn(*args):
        *args, v = args
        args = [(_as_float(a) if p == name else a) for p, a in zip(params, args)]
        gen = compiled(gradient, "tangent", [name], arg_kinds(params, args),
                       arg_shapes=shapes_of(params, args))
        return gen.function(*args, v)

    return _mark(hvp_fn, fn, "hvp")


def hvp_source(fn, names, optimize=True, arg_kinds=None, arg_shapes=None):
    """The source of the Hessian-vector product: forward mode over the generated gradient."""
    from .codegen import to_source
    from .transform import generate
    gradient = api.compiled(fn, "grad", names, arg_kinds, optimize=optimize,
                            arg_shapes=arg_shapes)
    node, _, _, program = generate(gradient.function, "tangent", names, optimize=optimize,
                                   arg_kinds=arg_kinds, arg_shapes=arg_shapes)
    return to_source(node) + program.source()


__all__ = ["jvp", "jacfwd", "jacrev", "hessian", "hvp", "_Transform"]
