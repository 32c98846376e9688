"""Shape rules: the shape of a call's result from its arguments' shapes (analysis/shapes.py).

    rule(call) -> shape tuple, or None where the shape is not certain

`call.shapes` holds the shapes of the positional arguments (None where unknown), `call.args` and
`call.kwargs` the arguments as written (atoms), and `call.constant(atom)` is (known, value) of a
constant argument (`axis=1`, a shape tuple bound to a name).  A rule module states a callable's
shape rule with `deffacts(fn, shape=...)`; ufuncs and functions with broadcasting rules get
`broadcast` without stating it (analysis/shapes.py).
"""
import math

import numpy as np


def dummy(shape):
    """An array of `shape` that takes no memory (for finding the shape of a result)."""
    return np.broadcast_to(np.zeros((), dtype=np.int8), shape)


def like(i):
    """The result has the shape of positional argument i."""
    def rule(call):
        return call.shapes[i] if len(call.shapes) > i else None
    rule.like = i       # for the rank rule (analysis/shapes.py _Ranks)
    return rule


def core_axes(fn):
    """A generalised ufunc's result shape (np.matvec: its core axes, not plain broadcasting),
    found by calling it on arrays of the arguments' shapes that take no memory."""
    def rule(call):
        if call.kwargs or len(call.shapes) != fn.nin or any(s is None for s in call.shapes):
            return None
        try:
            return np.shape(fn(*(dummy(s) for s in call.shapes)))
        except (ValueError, TypeError):
            return None
    return rule


def broadcast(call):
    """The shape NumPy broadcasts the arguments to (no keywords: `out=`, `where=`)."""
    if call.kwargs or any(s is None for s in call.shapes):
        return None
    try:
        return tuple(np.broadcast_shapes(*call.shapes))
    except ValueError:
        return None


def along_axis_or_flat(default_axis):
    """Along an axis (argument 1 or `axis=`, by default `default_axis`) the argument's shape;
    flat (`axis=None`) its size (np.sort, np.cumsum)."""
    def rule(call):
        axis = call.args[1] if len(call.args) > 1 else call.kwargs.get("axis")
        known, value = call.constant(axis) if axis is not None else (True, default_axis)
        if not known or call.shapes[0] is None:
            return None
        # flat, or a number along an axis (np.cumsum(2.0, axis=0)): a vector
        flat = value is None or not call.shapes[0]
        return (math.prod(call.shapes[0]),) if flat else call.shapes[0]
    return rule


def from_sizes(call):
    """`np.zeros(n)`, `np.zeros((n, m))` with constant sizes."""
    if len(call.args) != 1:
        return None
    known, value = call.constant(call.args[0])
    if known and type(value) is int:
        return (value,)
    if known and type(value) is tuple and all(type(v) is int for v in value):
        return value
    return None


def square(call):
    """`np.eye(n)`, `np.eye(n, m)` (also `M=m`), `np.identity(n)` with constant sizes."""
    if not call.args:
        return None
    rows = call.constant(call.args[0])
    columns = call.args[1] if len(call.args) > 1 else call.kwargs.get("M")
    columns = call.constant(columns) if columns is not None else rows
    if rows[0] and columns[0] and type(rows[1]) is int and type(columns[1]) in (int, type(None)):
        return (rows[1], rows[1] if columns[1] is None else columns[1])
    return None


def integer_range(call):
    """`np.arange(stop)`, `np.arange(start, stop[, step])` with constant integers: as many
    elements as `range` gives."""
    if call.kwargs or not 1 <= len(call.args) <= 3:
        return None
    values = [call.constant(a) for a in call.args]
    if not all(known and type(v) is int for known, v in values):
        return None
    bounds = [v for _, v in values]
    if len(bounds) == 3 and bounds[2] == 0:
        return None       # NumPy raises, at run time
    return (len(range(*bounds)),)


def flattened(call):
    """np.ravel(a)."""
    if len(call.args) != 1 or call.shapes[0] is None:
        return None
    return (math.prod(call.shapes[0]),)


def outer(call):
    if len(call.args) != 2 or None in call.shapes:
        return None
    return (math.prod(call.shapes[0]), math.prod(call.shapes[1]))


def number_without_options(call):
    """A number (np.linalg.norm(x): a vector's or matrix's norm) when called with one argument."""
    return () if len(call.args) == 1 and not call.kwargs else None


def differences(call):
    """np.diff(a, n, axis) with constant n and axis."""
    if call.shapes[0] is None:
        return None
    params = dict(zip(("n", "axis"), call.args[1:]), **call.kwargs)
    values = {k: call.constant(v) for k, v in params.items()}
    if set(values) - {"n", "axis"} or not all(known for known, _ in values.values()):
        return None
    try:
        return np.diff(dummy(call.shapes[0]), **{k: v for k, (_, v) in values.items()}).shape
    except (ValueError, TypeError, np.exceptions.AxisError):
        return None


def reduction(call):
    """np.sum and friends: with no axis a number; with a constant axis and keepdims, NumPy's."""
    if len(call.args) == 1 and not call.kwargs:
        return ()       # a reduction of everything: a 0-d result, whatever the shape
    shape = call.shapes[0]
    if shape is None or len(call.args) > 2:
        return None
    axis_node = call.args[1] if len(call.args) == 2 else call.kwargs.get("axis")
    known, axis = call.constant(axis_node) if axis_node is not None else (True, None)
    known_k, keepdims = call.constant(call.kwargs["keepdims"]) if "keepdims" in call.kwargs \
        else (True, False)
    if not (known and known_k) or set(call.kwargs) - {"axis", "keepdims", "ddof"}:
        return None
    try:
        return np.sum(dummy(shape), axis=axis, keepdims=keepdims).shape
    except (ValueError, TypeError, np.exceptions.AxisError):
        return None


def matrix_product(call):
    """a @ b, np.matmul, np.dot of two arrays."""
    if len(call.shapes) != 2:
        return None
    a, b = call.shapes
    if a is None or b is None or not a or not b:
        return None
    if len(a) == 1 and len(b) == 1:
        return () if a == b else None
    if len(a) == 1:
        return b[:-2] + b[-1:] if a[0] == b[-2] else None
    if len(b) == 1:
        return a[:-1] if a[-1] == b[0] else None
    if a[-1] != b[-2]:
        return None
    try:
        batch = tuple(np.broadcast_shapes(a[:-2], b[:-2]))
    except ValueError:
        return None
    return batch + (a[-2], b[-1])


def dot_product(call):
    """np.dot(a, b) of two arrays: a sum over the last axis of a and the second to last of b
    (the only one of a vector b), so a's other axes, then b's (not matmul's broadcast stack)."""
    if len(call.shapes) != 2:
        return None
    a, b = call.shapes
    if a is None or b is None or not a or not b:
        return None
    if len(b) == 1:
        return a[:-1] if a[-1] == b[0] else None
    return a[:-1] + b[:-2] + b[-1:] if a[-1] == b[-2] else None


def reversed_axes(call):
    """np.transpose(a) without axes."""
    if len(call.args) != 1 or call.shapes[0] is None:
        return None
    return call.shapes[0][::-1]


def reshaped(call):
    """np.reshape(a, shape) to a constant shape (one -1 allowed)."""
    if len(call.args) != 2:
        return None
    shape = call.shapes[0]
    known, value = call.constant(call.args[1])
    if shape is None or not known:
        return None
    value = value if isinstance(value, tuple) else (value,)
    size = math.prod(shape)
    if value.count(-1) == 1:
        rest = math.prod(v for v in value if v != -1)
        if rest == 0 or size % rest:
            return None
        value = tuple(size // rest if v == -1 else v for v in value)
    return value if math.prod(value) == size else None
