"""Helpers of the derivative rules for indexing, reductions, scans and for assembling and
splitting arrays.

Stage: runtime (rules/numpy_*_rules.py inline calls to them).  Input: a cotangent or tangent
and the call's arguments; output: the cotangent of an argument, or the index, mask or weights
a rule needs.  The ones taking a cotangent or tangent first are linear in it; the other
arguments only supply shapes, indices or weights.  Pairs of helpers are adjoint to each other,
which keeps their own derivative rules (rules/runtime_rules.py) inside this family.
"""

import numpy as np

from s2s_ad.runtime.core import scalar_like, unbroadcast, unsupported, zeros_like



def inverse_axes(axes, ndim):
    """The permutation undoing `np.transpose(x, axes)` (None stays None)."""
    if axes is None:
        return None
    return tuple(int(i) for i in np.argsort([a % ndim for a in axes]))


def _reduced_axes(x, axis):
    nd = x.ndim if type(x) is np.ndarray else np.ndim(x)
    if axis is None:
        return tuple(range(nd))
    if type(axis) is int:
        return (axis % nd,)
    axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
    return tuple(a % nd for a in axes)


def last_writes(shape, index):
    """Where `a[index] = v` (a of `shape`) leaves v's values: True at each value, but False at
    one whose position the integer index names again later, since the later write replaces it
    (the order NumPy writes in; its manual leaves repeated indices unspecified).  The
    cotangent of v is a's cotangent at the positions written, where this is True."""
    positions = np.arange(int(np.prod(shape))).reshape(shape)[index]
    flat = np.ravel(positions)
    keep = np.ones(flat.size, dtype=bool)
    if flat.size > 1:
        # the last occurrence of each position: first occurrence in the reversed order
        _, first_from_end = np.unique(flat[::-1], return_index=True)
        if first_from_end.size < flat.size:
            keep[:] = False
            keep[flat.size - 1 - first_from_end] = True
    return keep.reshape(np.shape(positions))


def prod_others(a, axis=None):
    """For each element of `a`, the product of the other elements `np.prod(a, axis)` multiplies
    it with: the derivative of the product, found without dividing by `a`, so zeros are
    fine.  The products of the elements before and after each one (two cumulative products
    along the reduced axes, flattened to the last) multiply."""
    a = np.asarray(a)
    if a.ndim == 0:
        return np.ones_like(a)
    axes = _reduced_axes(a, axis)
    ends = tuple(range(a.ndim - len(axes), a.ndim))
    moved = np.moveaxis(a, axes, ends)
    flat = moved.reshape(moved.shape[:a.ndim - len(axes)] + (-1,))
    ones = np.ones(flat.shape[:-1] + (1,), flat.dtype)
    before = np.cumprod(np.concatenate([ones, flat[..., :-1]], -1), -1)
    after = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], -1), -1)[..., ::-1]
    return np.moveaxis((before * after).reshape(moved.shape), ends, axes)


def gradient(f, s0=None, s1=None, s2=None, s3=None, s4=None, s5=None, s6=None, s7=None,
             axis=None, edge_order=1):
    """np.gradient(f, *spacings, axis, edge_order) with the spacings that are not None: the
    rules of np.gradient take up to eight spacings by position (its rules are np.gradient's)."""
    spacings = [s for s in (s0, s1, s2, s3, s4, s5, s6, s7) if s is not None]
    return np.gradient(f, *spacings, axis=axis, edge_order=edge_order)


def gradient_grad(g, f, s0=None, s1=None, s2=None, s3=None, s4=None, s5=None, s6=None, s7=None,
                  axis=None, edge_order=1):
    """Cotangent of `f` in np.gradient(f, s0, ..., s7, axis, edge_order), whose result is one
    array per axis (one array for one axis; `g` holds None for a zero cotangent).  Along each
    axis np.gradient is a matrix D, the gradient of the identity's columns (any spacing or
    edge order): the cotangent is D^T applied along that axis."""
    nd = np.ndim(f)
    axes = list(range(nd)) if axis is None else \
        [int(a) % nd for a in (axis if np.ndim(axis) else [axis])]
    spacings = [s for s in (s0, s1, s2, s3, s4, s5, s6, s7) if s is not None] or [1.0]
    spacings = spacings * len(axes) if len(spacings) == 1 else spacings
    gs = [g] if len(axes) == 1 else g
    total = np.zeros(np.shape(f), dtype=np.result_type(f, np.float32))
    for ax, spacing, gk in zip(axes, spacings, gs):
        if gk is None:
            continue
        n = np.shape(f)[ax]
        d = np.gradient(np.eye(n, dtype=total.dtype), spacing, axis=0, edge_order=edge_order)
        total = total + np.moveaxis(np.tensordot(d.T, np.moveaxis(gk, ax, 0), 1), 0, ax)
    return total


def piecewise_masks(condlist, n):
    """The masks np.piecewise(x, condlist, funclist) applies its `n` functions at: the
    conditions, and with one function more, where none of them holds (frontend/piecewise.py)."""
    masks = [np.asarray(c, dtype=bool) for c in condlist]
    if n == len(masks) + 1:
        masks.append(~np.any(masks, axis=0))
    elif n != len(masks):
        raise ValueError(f"with {len(masks)} condition(s), np.piecewise takes "
                         f"{len(masks)} or {len(masks) + 1} functions, not {n}")
    return masks


def piecewise_start(x):
    """The array np.piecewise(x, ...) writes its pieces into: zeros like x."""
    return np.zeros(np.shape(x), dtype=np.result_type(x))


def piecewise_place(y, mask, v):
    """`y` with `v` written where `mask` holds, as a new array (np.piecewise puts each piece in
    place so; frontend/piecewise.py)."""
    out = np.array(y, copy=True)
    out[mask] = v
    return out


def along_axis_index(arr, indices, axis):
    """The index of `arr` that np.put_along_axis(arr, indices, values, axis) writes at (and
    np.take_along_axis reads at): `indices` along `axis`, every position along the others;
    with axis=None, `indices` into the flattened array."""
    shape = np.shape(arr)
    if axis is None:
        return np.unravel_index(indices, shape)
    indices = np.asarray(indices)
    axis = axis % len(shape)
    return tuple(indices if d == axis else
                 np.arange(n).reshape((1,) * d + (n,) + (1,) * (len(shape) - d - 1))
                 for d, n in enumerate(shape))


def _max_mask(m, x, axis, keepdims):
    """(where `x` attains its reduced maximum `m`, the number of ties, the reduced axes)."""
    axes = _reduced_axes(x, axis)
    full = m if keepdims else np.expand_dims(m, axes)
    mask = np.asarray(x) == full
    return mask, mask.sum(axis=axes, keepdims=True), axes


def _max_weights(m, x, axis, keepdims):
    """Where `x` attains its reduced maximum `m`, 1/(number of ties); elsewhere 0."""
    mask, count, _ = _max_mask(m, x, axis, keepdims)
    return mask / count


def max_grad(g, m, x, axis=None, keepdims=False):
    """Cotangent of `x` for `m = np.max(x, axis)` (or min); ties split `g` equally."""
    if type(x) is np.ndarray and type(g) is np.ndarray and type(m) is np.ndarray and \
            keepdims and g.dtype == x.dtype:
        # the common case, kept cheap: every group attains its maximum, so as many hits as
        # groups means no ties, and g goes where the maximum is
        mask = x == m
        if np.count_nonzero(mask) == m.size:
            return mask * g
    mask, count, axes = _max_mask(m, x, axis, keepdims)
    gfull = g if keepdims else np.expand_dims(g, axes)
    # divide the reduced g by the counts first: one pass over x's shape fewer
    return (mask * (gfull / count)).astype(np.result_type(g, x), copy=False)


def max_jvp(t, m, x, axis=None, keepdims=False):
    """Tangent of `m = np.max(x, axis)` (or min): the mean of `t` over the tied maxima."""
    w = _max_weights(m, x, axis, keepdims)
    out = np.sum(t * w, axis=_reduced_axes(x, axis), keepdims=keepdims)
    return out.astype(np.result_type(t, x), copy=False)


# -- reductions and scans --

def quantile_weights(a, q, axis=None, dq=False, method="linear", weights=None,
                     interpolation=None, percent=False):
    """Weights W shaped q.shape + a.shape with np.quantile(a, q, axis) (method 'linear') equal to
    np.sum(W * a) over a's reduced axes (shifted past q's): each result interpolates the two
    order statistics around its virtual index (n - 1) q, so W is locally constant.  With `dq`,
    the weights of the derivative with respect to q instead.  `percent`: q is a percentage
    (np.percentile).  Other methods, and weights, raise."""
    if method != "linear" or weights is not None or interpolation is not None:
        unsupported(f"np.quantile/np.percentile with method={method!r}"
                    + (", weights" if weights is not None else "")
                    + (f", interpolation={interpolation!r}" if interpolation is not None else ""))
    a = np.asarray(a)
    q = np.asarray(q, dtype=float) / (100 if percent else 1)
    axes = _reduced_axes(a, axis)
    keep = tuple(i for i in range(a.ndim) if i not in axes)
    moved = np.transpose(a, keep + axes)
    lead = moved.shape[:len(keep)]
    flat = moved.reshape(lead + (-1,))
    n = flat.shape[-1]
    h = (n - 1) * q
    lo = np.clip(np.floor(h).astype(np.intp), 0, max(n - 2, 0))
    hi = np.minimum(lo + 1, n - 1)
    step = (n - 1) / (100 if percent else 1)
    frac = (np.ones_like(h) * step, -np.ones_like(h) * step) if dq else (h - lo, lo - h + 1)
    slots = np.arange(n)
    ws = (slots == hi[..., None]) * frac[0][..., None] + (slots == lo[..., None]) * frac[1][..., None]
    ws = np.broadcast_to(np.reshape(ws, q.shape + (1,) * len(lead) + (n,)), q.shape + flat.shape)
    w = np.zeros(q.shape + flat.shape, dtype=np.result_type(a, np.float32))
    np.put_along_axis(w, np.broadcast_to(np.argsort(flat, axis=-1, kind="stable"), w.shape), ws, -1)
    back = np.argsort(keep + axes)
    return np.transpose(w.reshape(q.shape + moved.shape),
                        tuple(range(q.ndim)) + tuple(q.ndim + int(i) for i in back))


def quantile_axes(q, a, axis=None):
    """(q's axes, a's reduced axes) in the weights of `quantile_weights`."""
    nq = np.ndim(q)
    return tuple(range(nq)), tuple(nq + i for i in _reduced_axes(a, axis))


def cumsum_grad(g, x, axis=None):
    """Cotangent of `x` for `np.cumsum(x, axis)`: the reversed cumulative sum of `g`."""
    if axis is None:
        return np.reshape(np.flip(np.cumsum(np.flip(np.ravel(g)))), np.shape(x))
    return np.flip(np.cumsum(np.flip(g, axis), axis), axis)


def diff_grad(g, x, n=1, axis=-1):
    """Cotangent of `x` for `np.diff(x, n, axis)` (the adjoint of an n-fold difference)."""
    g = np.asarray(g)
    for _ in range(n):
        widths = [(0, 0)] * g.ndim
        widths[axis] = (1, 1)
        g = -np.diff(np.pad(g, widths), axis=axis)
    return g


def weights_shape(a, axis, weights):
    """The shape `np.average` gives 1-D `weights` to broadcast them against `a`."""
    if np.ndim(weights) == np.ndim(a):
        return np.shape(weights)
    shape = [1] * np.ndim(a)
    shape[axis % np.ndim(a)] = np.size(weights)
    return tuple(shape)


def diagonal_grad(g, x, offset=0, axis1=0, axis2=1):
    """Cotangent of `x` for `np.diagonal(x, offset, axis1, axis2)`: `g` written on a diagonal."""
    g = np.asarray(g)
    nd = np.ndim(x)
    a1, a2 = axis1 % nd, axis2 % nd
    out = np.zeros(np.shape(x), dtype=np.result_type(g, np.float32))
    view = np.moveaxis(out, (a1, a2), (-2, -1))
    k = g.shape[-1] if g.ndim else 0
    i = np.arange(k) + max(-offset, 0)
    view[..., i, i + offset] = g
    return out


# -- assembling and splitting arrays --

def _stack_layout(how, arrays, axis):
    """(axis, promoted shapes) describing how `how` lays `arrays` along one axis of the result."""
    shapes = [np.shape(a) for a in arrays]
    if how == "concatenate":
        if axis is None:
            return 0, [(int(np.prod(s)),) for s in shapes]
        return axis, shapes
    if how == "vstack":
        return 0, [np.shape(np.atleast_2d(np.empty(s, bool))) for s in shapes]
    if how == "hstack":
        promoted = [np.shape(np.atleast_1d(np.empty(s, bool))) for s in shapes]
        return (0 if len(promoted[0]) == 1 else 1), promoted
    if how == "dstack":
        return 2, [np.shape(np.atleast_3d(np.empty(s, bool))) for s in shapes]
    if how == "column_stack":
        return 1, [(s[0], 1) if len(s) < 2 else s for s in
                   (np.shape(np.atleast_1d(np.empty(s, bool))) for s in shapes)]
    raise ValueError(how)


def stack_split(g, arrays, how="concatenate", axis=0):
    """Cotangents of the pieces of `np.concatenate/stack/vstack/hstack/dstack/column_stack`."""
    g = np.asarray(g)
    if how == "stack":
        parts = [np.take(g, i, axis=axis) for i in range(len(arrays))]
    else:
        ax, shapes = _stack_layout(how, arrays, axis)
        flat = np.ravel(g) if how == "concatenate" and axis is None else g
        bounds = np.cumsum([s[ax] for s in shapes])[:-1]
        parts = np.split(flat, bounds, axis=ax)
    parts = [np.reshape(p, np.shape(a)) for p, a in zip(parts, arrays)]
    if isinstance(arrays, np.ndarray):      # np.vstack(A): the pieces were A's rows
        return np.stack(parts) if parts else np.zeros(np.shape(arrays))
    return tuple(parts) if isinstance(arrays, tuple) else parts


def stack_join(parts, how="concatenate", axis=0, like=None):
    """`np.concatenate/stack/...` of `parts`, reading a None part as zeros shaped like `like`."""
    if like is not None:
        parts = [zeros_like(np.asarray(b, dtype=float)) if p is None else p
                 for p, b in zip(parts, like)]
    if how == "concatenate":
        return np.concatenate(parts, axis=axis)
    if how == "stack":
        return np.stack(parts, axis=axis)
    return getattr(np, how)(parts)


def array_grad(g, obj):
    """Cotangent of `obj` for `np.array(obj)`: `g` split back into obj's nesting of lists."""
    if isinstance(obj, (list, tuple)):
        parts = [array_grad(g[i], o) for i, o in enumerate(obj)]
        return type(obj)(parts)
    return scalar_like(np.reshape(g, np.shape(obj)), obj)


def tile_grad(g, x, reps):
    """Cotangent of `x` for `np.tile(x, reps)`: the sum of the tiles of `g`."""
    reps = (reps,) if np.ndim(reps) == 0 else tuple(reps)
    g = np.asarray(g)
    nd = g.ndim
    shape = (1,) * (nd - np.ndim(x)) + np.shape(x)
    reps = (1,) * (nd - len(reps)) + reps
    split = [n for pair in zip(reps, shape) for n in pair]
    summed = np.sum(np.reshape(g, split), axis=tuple(range(0, 2 * nd, 2)))
    return np.reshape(summed, np.shape(x))


def repeat_grad(g, x, repeats, axis=None):
    """Cotangent of `x` for `np.repeat(x, repeats, axis)`: the sum of each run of `g`."""
    g = np.asarray(g)
    if axis is None:
        src = np.zeros(np.size(x), dtype=np.result_type(g, np.float32))
        ax = 0
    else:
        src = np.zeros(np.shape(x), dtype=np.result_type(g, np.float32))
        ax = axis % src.ndim
    n = src.shape[ax]
    runs = np.broadcast_to(repeats, (n,))
    owner = np.repeat(np.arange(n), runs)
    out = np.zeros(src.shape, dtype=np.result_type(g, np.float32))
    np.add.at(np.moveaxis(out, ax, 0), owner, np.moveaxis(g, ax, 0))
    return np.reshape(out, np.shape(x))


def rollaxis_dest(ndim, axis, start=0):
    """The `destination` that makes `np.moveaxis(x, axis, destination)` equal np.rollaxis."""
    axis, start = axis % ndim, (start + ndim if start < 0 else start)
    return start - 1 if start > axis else start


def _pad_source(n, widths, mode):
    """For one axis: the source index of every padded position (-1 for a constant)."""
    if mode == "constant":
        return np.pad(np.arange(n), widths, mode="constant", constant_values=-1)
    if mode in ("edge", "reflect", "symmetric", "wrap"):
        return np.pad(np.arange(n), widths, mode=mode)
    unsupported(f"np.pad(mode={mode!r})")


def pad_grad(g, x, pad_width, mode="constant"):
    """Cotangent of `x` for `np.pad(x, pad_width, mode)` (modes constant/edge/reflect/...)."""
    g = np.asarray(g)
    shape = np.shape(x)
    widths = np.broadcast_to(pad_width, (len(shape), 2))
    for ax, n in enumerate(shape):
        src = _pad_source(n, tuple(int(w) for w in widths[ax]), mode)
        onehot = (src[:, None] == np.arange(n)[None, :]).astype(g.dtype if g.dtype.kind in "fc"
                                                                 else float)
        g = np.moveaxis(np.tensordot(onehot, np.moveaxis(g, ax, 0), axes=(0, 0)), 0, ax)
    return g


def take_grad(g, x, indices, axis=None, mode="raise"):
    """Cotangent of `x` for `np.take(x, indices, axis)`: `g` added back at the indices."""
    g = np.asarray(g)
    flat = axis is None
    src = np.zeros(np.size(x) if flat else np.shape(x), dtype=np.result_type(g, np.float32))
    ax = 0 if flat else axis % src.ndim
    n = src.shape[ax]
    idx = np.asarray(indices)
    idx = np.clip(idx, 0, n - 1) if mode == "clip" else idx % n
    view = np.moveaxis(src, ax, 0)
    gv = np.moveaxis(g, tuple(range(ax, ax + idx.ndim)), tuple(range(idx.ndim)))
    np.add.at(view, idx, gv)
    return np.reshape(src, np.shape(x))


def take_along_axis_grad(g, x, indices, axis=-1):
    """Cotangent of `x` for `np.take_along_axis(x, indices, axis)`."""
    g = np.asarray(g)
    if axis is None:
        flat = take_along_axis_grad(g, np.ravel(x), indices, 0)
        return np.reshape(flat, np.shape(x))
    out = np.zeros(np.shape(x), dtype=np.result_type(g, np.float32))
    ax = axis % out.ndim
    idx = np.asarray(indices)
    grid = list(np.ogrid[tuple(slice(n) for n in idx.shape)])
    grid[ax] = idx
    full = tuple(np.broadcast_arrays(*grid))
    np.add.at(out, full, np.broadcast_to(g, idx.shape))
    return out


def select_grad(g, condlist, choicelist):
    """Cotangents of the choices of `np.select(condlist, choicelist, default)`."""
    taken = np.zeros(np.shape(g), dtype=bool)
    parts = []
    for cond, choice in zip(condlist, choicelist):
        first = np.logical_and(cond, np.logical_not(taken))
        parts.append(unbroadcast(np.where(first, g, 0.0), choice))
        taken = np.logical_or(taken, cond)
    return tuple(parts) if isinstance(choicelist, tuple) else parts


def running_extremum_index(x, running, axis=0):
    """For each item of `running` (np.maximum.accumulate(x, axis), or the minimum), the index
    along `axis` of the last item of x so far that it equals: a running maximum's derivative
    follows that item (at a tie, the later one)."""
    x, running = np.asarray(x), np.asarray(running)
    ax = axis % x.ndim
    shape = [1] * x.ndim
    shape[ax] = x.shape[ax]
    positions = np.arange(x.shape[ax]).reshape(shape)
    return np.maximum.accumulate(np.where(x == running, positions, 0), axis=ax)

