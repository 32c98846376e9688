"""Check derivatives against central finite differences.

    check_grads(f, args, modes=("fwd", "rev"), order=1, wrt=None)

Forward mode: the JVP `J v` for a random direction v is compared with
`(f(x + eps v) - f(x - eps v)) / 2 eps`.  Reverse mode: the dot-product test,
`<u, J v>` from finite differences against `<J^T u, v>` from the generated VJP, for random u, v.
`order=2` repeats the checks on the generated gradient (for scalar-valued f), which checks
forward-over-reverse and reverse-over-reverse.  Raises AssertionError naming the worst entry.

Stage: public layer, over the transforms.  Input: a function and arguments.  Output: nothing,
or an AssertionError where a generated derivative disagrees with finite differences.
"""
import numpy as np

from s2s_ad import api
from s2s_ad import higher
from s2s_ad.runtime import objects
from s2s_ad.runtime.arguments import copied


def _float(value):
    if isinstance(value, np.ndarray) and not np.issubdtype(value.dtype, np.inexact):
        return value.astype(float)
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return float(value)
    return value


def _random_like(value, rng):
    items = _record_fields(value)
    if items is not None:
        return objects.rebuilt(value, {k: _random_like(v, rng) for k, v in items.items()})
    if isinstance(value, (tuple, list)):
        return type(value)(_random_like(v, rng) for v in value)
    if isinstance(value, dict):
        return {k: _random_like(v, rng) for k, v in value.items()}
    if np.ndim(value) == 0:
        return float(rng.standard_normal())
    return rng.standard_normal(np.shape(value))


def _axpy(a, x, y):
    """y + a * x through containers."""
    items = _record_fields(y)
    if items is not None:
        other = objects.fields(x)
        return objects.rebuilt(y, {k: _axpy(a, other[k], v) for k, v in items.items()})
    if isinstance(y, (tuple, list)):
        return type(y)(_axpy(a, u, v) for u, v in zip(x, y))
    if isinstance(y, dict):
        return {k: _axpy(a, x[k], y[k]) for k in y}
    return y + a * x


def _vdot(a, b):
    items = _record_fields(a)
    if items is not None:
        other = objects.fields(b)
        return sum(_vdot(v, other[k]) for k, v in items.items())
    if isinstance(a, (tuple, list)):
        return sum(_vdot(u, v) for u, v in zip(a, b))
    if isinstance(a, dict):
        return sum(_vdot(a[k], b[k]) for k in a)
    return float(np.sum(np.asarray(a) * np.asarray(b)))


def _record_fields(value):
    """The fields of a namedtuple, dataclass or other object that carry derivatives; None for
    anything else."""
    items = objects.fields(value)
    if items is None:
        return None
    return {k: v for k, v in items.items() if not objects.is_static(v)}


def _sub(a, b):
    return _axpy(-1.0, b, a)


def numerical_jvp(f, args, wrt, tangents, eps=1e-6):
    """Central-difference directional derivative of f at args along tangents (on wrt)."""
    plus, minus = list(args), list(args)
    for i, t in zip(wrt, tangents):
        plus[i] = _axpy(eps, t, args[i])
        minus[i] = _axpy(-eps, t, args[i])
    hi, lo = f(*copied(plus)), f(*copied(minus))
    return _scale(_sub(hi, lo), 1.0 / (2 * eps))


def _scale(x, a):
    return _axpy(a - 1.0, x, x)


def _close(name, ours, numeric, atol, rtol):
    ours_a, num_a = np.asarray(ours, dtype=float), np.asarray(numeric, dtype=float)
    err = np.abs(ours_a - num_a)
    bound = atol + rtol * np.abs(num_a)
    if np.all(err <= bound):
        return
    worst = np.unravel_index(np.argmax(err - bound), err.shape) if err.ndim else ()
    raise AssertionError(
        f"{name}: derivative disagrees with finite differences at entry {worst}: "
        f"ours {ours_a[worst] if err.ndim else ours_a}, finite differences "
        f"{num_a[worst] if err.ndim else num_a} (|error| {err[worst] if err.ndim else err})")


def check_grads(f, args, modes=("fwd", "rev"), order=1, wrt=None, atol=1e-5, rtol=1e-5,
                eps=1e-6, seed=0):
    """Check s2s_ad's derivatives of a function against central finite differences.

    Forward mode: the JVP along a random direction v is compared with
    `(f(x + eps v) - f(x - eps v)) / (2 eps)`.  Reverse mode: the dot-product test,
    `<u, J v>` by finite differences against `<J^T u, v>` from the generated VJP, for a
    random cotangent u.  Use it on your own rules (`ad.defvjp`, `ad.defjvp`) as the test
    suite does on s2s_ad's.

    Args:
      f: the function to check; its output may have any shape.
      args: a tuple (or list) of its arguments, the point to check at.
      modes: which modes to check: "fwd" (`ad.jvp`), "rev" (`ad.vjp`), or both (default).
      order: 2 checks the derivatives of the generated gradient too (for scalar-valued f,
        forward over reverse and reverse over reverse), and so on.
      wrt: the positions of the arguments to differentiate (a list or tuple of ints); None
        (the default) means all of them.
      atol, rtol: the tolerance: `|ours - finite differences| <= atol + rtol * |finite
        differences|`.
      eps: the finite-difference step.
      seed: the seed of the random directions.

    Returns:
      None, when every derivative checked agrees.

    Raises:
      AssertionError: naming f, the mode and the worst entry, with both values, when a
        derivative disagrees.
      DifferentiationError: when f uses what s2s_ad cannot differentiate.

    Example:
      >>> def f(x):
      ...     return np.sum(np.sin(x) * x)
      >>> ad.check_grads(f, (np.array([0.5, -1.0]),), order=2)
      >>> def my_sin(x):
      ...     return np.sin(x)
      >>> _ = ad.defvjp(my_sin, lambda g, ans, x: g * np.sin(x))     # wrong: cos(x)
      >>> try:
      ...     ad.check_grads(my_sin, (0.5,), modes=("rev",))
      ... except AssertionError as error:
      ...     print(str(error).split(":")[0])
      my_sin (reverse mode, <u, J v> = <J^T u, v>)
    """
    rng = np.random.default_rng(seed)
    args = list(args)
    wrt = list(range(len(args))) if wrt is None else list(wrt)
    for i in wrt:
        args[i] = _float(args[i])
    tangents = [_random_like(args[i], rng) for i in wrt]
    numeric = numerical_jvp(f, args, wrt, tangents, eps)
    name = getattr(f, "__name__", "f")
    if "fwd" in modes:
        full = [None] * len(args)
        for i, t in zip(wrt, tangents):
            full[i] = t
        _, ours = higher.jvp(f, args, full)
        _close(f"{name} (forward mode)", ours, numeric, atol, rtol)
    if "rev" in modes:
        out, pullback = api.vjp(f, *args, wrt=tuple(wrt))
        u = _random_like(out, rng)
        cotangents = pullback(u)
        ours = sum(_vdot(c, t) for c, t in zip(cotangents, tangents))
        _close(f"{name} (reverse mode, <u, J v> = <J^T u, v>)", ours, _vdot(u, numeric),
               atol, rtol)
    if order >= 2:
        for i in wrt:
            check_grads(api.grad(f, i), args, modes, order - 1, wrt, atol, rtol, eps, seed + 1)
