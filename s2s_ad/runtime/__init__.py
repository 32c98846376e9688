"""Helpers that generated code calls, imported there as `_ad`.

Each helper is small and has derivative rules of its own (rules/runtime_rules.py), so generated
code can itself be differentiated again (Hessian-vector products, double backpropagation).

Contents:
    unbroadcast(g, x)        reduce a cotangent to the shape of x (sum over broadcast axes)
    broadcast_like(t, z)     broadcast a tangent to the shape of z
    zeros_like(x)            zero of any value: float, array, tuple, list, dict
    add(a, b)                a + b for values and containers (accumulation of adjoints)
    add_at(buf, index, g)    buf with g added at buf[index]; new value, buf untouched
    sum_grad(g, x, axis, keepdims)   spread the cotangent of a sum back over x
    scalar_like(v, x)        v converted to the kind of x (Python float stays float)
"""
import numbers

import numpy as np


def _shape(x):
    return np.shape(x)


def unbroadcast(g, x):
    """Sum `g` over the axes that broadcasting added or stretched, giving the shape of `x`.

    The cotangent of a real `x` is real: a complex `g` (from complex intermediates) gives its
    real part, as in JAX.
    """
    if type(g) is np.ndarray and type(x) is np.ndarray:   # the common case, kept cheap
        if g.dtype.kind == "c" and x.dtype.kind != "c":
            g = g.real
        if g.shape == x.shape:
            return g
        return _sum_to(g, x.shape)
    if np.iscomplexobj(g) and not np.iscomplexobj(x):
        g = np.real(g)
    if np.shape(g) == np.shape(x):
        return g
    g = _sum_to(np.asarray(g), np.shape(x))
    if isinstance(x, numbers.Number) and not isinstance(x, np.generic):
        return g.item() if isinstance(g, (np.ndarray, np.generic)) else g   # a Python number
    return g


_REDUCTIONS = {}   # (shape of g, shape of x) -> (axes to sum, keepdims, reshape after)


def reduction_plan(gshape, xshape):
    """How a cotangent of shape `gshape` sums to `xshape`: (the axes broadcasting added in
    front or stretched from size 1, keepdims, whether to reshape to xshape after).  The
    compiler writes the same sum out where it knows both shapes (reverse._summed_to)."""
    extra = len(gshape) - len(xshape)
    stretched = tuple(i + extra for i, n in enumerate(xshape)
                      if n == 1 and gshape[i + extra] != 1) if extra >= 0 else ()
    return tuple(range(extra)) + stretched, bool(stretched), bool(stretched) and extra > 0


def _sum_to(g, xshape):
    """Sum the ndarray `g` over the axes broadcasting added (leading) or stretched (size 1 in
    `xshape`): one pass over g.  The axes of each pair of shapes are worked out once."""
    key = (g.shape, xshape)
    plan = _REDUCTIONS.get(key)
    if plan is None:
        plan = reduction_plan(g.shape, xshape)
        if len(_REDUCTIONS) > 4096:
            _REDUCTIONS.clear()
        _REDUCTIONS[key] = plan
    axes, keepdims, reshape = plan
    g = g.sum(axis=axes, keepdims=keepdims)
    return g.reshape(xshape) if reshape else g


def broadcast_like(t, z):
    """`t` broadcast to the shape of `z` (a tangent whose argument was broadcast)."""
    zshape = np.shape(z)
    if np.shape(t) == zshape:
        return t
    return np.broadcast_to(t, zshape) * 1.0


def zeros_like(x):
    """The zero of `x`'s kind: 0.0, zeros of its shape, or the same container of zeros."""
    if type(x) is np.ndarray:
        # np.zeros, not np.zeros_like, which writes the zeros itself: 3x slower on 1000 floats
        return np.zeros(x.shape, x.dtype if x.dtype.kind in "fc" else float)
    if isinstance(x, np.ndarray):
        if np.issubdtype(x.dtype, np.inexact):
            return np.zeros_like(x)
        return np.zeros(x.shape)
    if isinstance(x, tuple):
        return tuple(zeros_like(v) for v in x)
    if isinstance(x, list):
        return [zeros_like(v) for v in x]
    if isinstance(x, dict):
        return {k: zeros_like(v) for k, v in x.items()}
    if isinstance(x, np.generic) and np.issubdtype(x.dtype, np.inexact):
        return x.dtype.type(0)
    if isinstance(x, complex):
        return 0j
    if isinstance(x, numbers.Number):
        return 0.0
    return None


def add(a, b):
    """`a + b`, elementwise through tuples, lists and dicts (None is a zero)."""
    if a is None:
        return b
    if b is None:
        return a
    if isinstance(a, (tuple, list)):
        return type(a)(add(u, v) for u, v in zip(a, b))
    if isinstance(a, dict):
        return {k: add(a[k], b[k]) if k in b else a[k] for k in a}
    return a + b


def _falling(b, n):
    """b (b - 1) ... (b - n + 1)."""
    out = 1.0
    for k in range(n):
        out = out * (b - k)
    return out


def pow_slope(a, b, n=1):
    """The n-th derivative of a ** b in a: b (b - 1) ... (b - n + 1) * a ** (b - n), as NumPy
    computes it where Python's numbers would raise: 0 where the factor is 0 (x ** 0 has
    derivative 0, also at 0; x ** 1 has second derivative 0), inf at a == 0 for b < n (JAX's
    value), where `0.0 ** -0.5` raises ZeroDivisionError."""
    factor = _falling(b, n)
    if np.ndim(factor) == 0:
        if factor == 0:
            return zeros_like(a) if type(a) is np.ndarray else 0.0 * factor
        try:
            return factor * a ** (b - n)
        except ZeroDivisionError:
            with np.errstate(divide="ignore"):
                return factor * np.float64(a) ** (b - n)
    with np.errstate(divide="ignore", invalid="ignore"):
        base = np.asarray(a)
        base = base if base.dtype.kind in "fc" else base.astype(float)  # no int ** -1
        return np.where(factor == 0, 0, factor * np.power(base, b - n))


def pow_slope_db(a, b, n=1):
    """The derivative of pow_slope(a, b, n) in b: a ** (b - n) (F'(b) + F(b) log a), F the
    falling factorial b (b - 1) ... (b - n + 1), with log a taken as 0 at a == 0."""
    factors = [b - k for k in range(n)]
    slope = sum(_falling_without(factors, k) for k in range(n))
    with np.errstate(divide="ignore", invalid="ignore"):
        log_a = np.log(np.where(a == 0, 1.0, a))
        return np.power(a, b - float(n)) * (slope + _falling(b, n) * log_a)


def _falling_without(factors, k):
    out = 1.0
    for j, f in enumerate(factors):
        if j != k:
            out = out * f
    return out


def div(a, b):
    """`a / b` as NumPy divides floats (inf, nan) where Python's would raise: a derivative's
    denominator that is 0 where the function is finite (math.sqrt at 0, math.asin at 1)."""
    try:
        return a / b
    except ZeroDivisionError:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.float64(a) / np.float64(b)


def add_at(buf, index, g):
    """A copy of `buf` with `g` added at `buf[index]` (repeated indices add up)."""
    if isinstance(buf, np.ndarray):
        out = buf.copy()
        np.add.at(out, index, g)
        return out
    if isinstance(buf, tuple):
        out = list(buf)
        out[index] = add(out[index], g)
        return tuple(out)
    if isinstance(buf, list):
        out = list(buf)
        out[index] = add(out[index], g)
        return out
    if isinstance(buf, dict):
        out = dict(buf)
        out[index] = add(out[index], g)
        return out
    raise TypeError(f"cannot accumulate into {type(buf).__name__}")


def sum_grad(g, x, axis=None, keepdims=False):
    """The cotangent of `x` for `ans = np.sum(x, axis, keepdims)`: `g` spread back over `x`."""
    if axis is None and type(x) is np.ndarray and np.ndim(g) == 0:
        out = np.empty(x.shape, dtype=np.result_type(g, x.dtype))
        out.fill(g)
        return out
    shape = np.shape(x)
    if axis is not None and not keepdims:
        axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
        g = np.expand_dims(g, tuple(a % len(shape) for a in axes))
    return np.broadcast_to(g, shape) * 1.0 if np.shape(g) != shape else g


def check_assertion(test, message=None):
    """The user's `assert test, message`, as a call (the derivatives keep calls made for their
    effect): a failing assertion raises in the derivative as in the function."""
    if not test:
        raise AssertionError() if message is None else AssertionError(message)


def grad_seed(out):
    """1 in the type of the scalar `out`: the seed of a gradient's reverse sweep."""
    if type(out) is float or type(out) is np.float64:
        return 1.0
    if isinstance(out, (tuple, list, dict)) or np.ndim(out) != 0:
        from s2s_ad.base.errors import BadArgumentError
        raise BadArgumentError(
            f"grad needs a function with a scalar output, got shape {np.shape(out)}",
            hint="Use ad.vjp, ad.jacrev or ad.jacfwd for a function with array output, or "
                 "reduce the output (np.sum) first.")
    from s2s_ad.base.errors import BadArgumentError
    if isinstance(out, (bool, int, np.integer, np.bool_)):
        kind = "a boolean" if isinstance(out, (bool, np.bool_)) else "an integer"
        raise BadArgumentError(
            f"grad needs a function with a float output, got {type(out).__name__} {out!r}: "
            f"{kind} output has no derivative",
            hint="Return a float (for example a loss computed with float arithmetic), or use "
                 "ad.stop_gradient where an integer is intended.")
    if isinstance(out, (complex, np.complexfloating)) or \
            isinstance(out, np.ndarray) and out.dtype.kind == "c":
        raise BadArgumentError(
            f"grad needs a function with a real output, got {type(out).__name__} {out!r}: the "
            f"gradient of a complex output is not defined",
            hint="Differentiate a real quantity (np.real(out), np.abs(out) ** 2), or use "
                 "ad.vjp / ad.jvp for the complex derivative.")
    if isinstance(out, (np.generic, np.ndarray)) and np.issubdtype(np.asarray(out).dtype,
                                                                   np.floating):
        return np.ones_like(out)[()]
    if not isinstance(out, (float, np.generic, np.ndarray)):
        raise BadArgumentError(
            f"grad needs a function with a float output, got {type(out).__name__} {out!r}",
            hint="Return the value to differentiate (a function without `return` returns "
                 "None).")
    return 1.0


def sign(x):
    """x / |x| (0 at 0), for real and complex x alike (NumPy 1's np.sign differs on complex)."""
    if np.iscomplexobj(x):
        magnitude = np.abs(x)
        return np.where(magnitude == 0, 0, x / np.where(magnitude == 0, 1, magnitude))
    return np.sign(x)


class _Missing:
    """What the tape holds for a dict key that a write creates: restoring it deletes the key."""

    def __repr__(self):
        return "<no item>"


MISSING_ITEM = _Missing()


def saved_item(container, key):
    """`container[key]` before a write into it, to be restored by `restore_item`: a copy of an
    array, or MISSING_ITEM for a key the dict does not have yet."""
    if isinstance(container, dict) and key not in container:
        return MISSING_ITEM
    return copy_of(container[key])


def restore_item(container, key, value, adjoint=None):
    """Undo a write into `container[key]` with what `saved_item` saved (a new key goes from
    the container's `adjoint` as well)."""
    if value is MISSING_ITEM:
        del container[key]
        if adjoint is not None:
            adjoint.pop(key, None)
    else:
        container[key] = value


def copy_of(x):
    """A copy of an array (a saved part must not change with the array), of a dict or a list
    (its items shared); other values as is."""
    if isinstance(x, np.ndarray):
        return x.copy()
    if type(x) in (dict, list):
        return type(x)(x)
    return x


def spread(g, items):
    """The cotangents of the items of `sum(items)`: g, reduced to each item's shape."""
    return type(items)(unbroadcast(g, x) for x in items) if isinstance(items, (list, tuple)) \
        else [unbroadcast(g, x) for x in items]


def scalar_like(v, x):
    """`v` as the kind of `x`: a Python float where x is a Python number, else unchanged."""
    if isinstance(x, numbers.Number) and not isinstance(x, np.generic) and np.ndim(v) == 0:
        return float(v)
    return v


# ---- helpers used by derivative rules ----
#
# Each helper below is linear in its first argument (a cotangent or a tangent); the other
# arguments only supply shapes, indices or the fixed factor of a bilinear map.  Pairs of helpers
# are adjoint to each other, which keeps their own derivative rules (rules/runtime_rules.py)
# inside this family.

def unsupported(what):
    """Raise for a rule applied to an argument combination it does not cover."""
    raise NotImplementedError(f"s2s_ad has no derivative rule for {what}")


def inverse_axes(axes, ndim):
    """The permutation undoing `np.transpose(x, axes)` (None stays None)."""
    if axes is None:
        return None
    return tuple(int(i) for i in np.argsort([a % ndim for a in axes]))


def _matrix_grads_prepare(a, b):
    return np.ndim(a) == 1, np.ndim(b) == 1


def _matrices(g, a, b):
    """All three are real 2-D arrays: the common case, with no conventions to apply."""
    return type(g) is np.ndarray and type(a) is np.ndarray and type(b) is np.ndarray and \
        g.ndim == a.ndim == b.ndim == 2 and "c" not in (g.dtype.kind, a.dtype.kind, b.dtype.kind)


def matmul_grad_a(g, a, b):
    """Cotangent of `a` in `a @ b`: `g @ b.T` with NumPy's 1-D and batch conventions."""
    if _matrices(g, a, b):
        return g @ b.T
    a1, b1 = _matrix_grads_prepare(a, b)
    g = np.asarray(g)
    if a1 and b1:
        return g * b
    if b1:
        return unbroadcast(g[..., :, None] * b, a)
    bt = np.swapaxes(b, -1, -2)
    if a1:
        return unbroadcast(np.matmul(g[..., None, :], bt)[..., 0, :], a)
    return unbroadcast(np.matmul(g, bt), a)


def matmul_grad_b(g, a, b):
    """Cotangent of `b` in `a @ b`: `a.T @ g` with NumPy's 1-D and batch conventions."""
    if _matrices(g, a, b):
        return a.T @ g
    a1, b1 = _matrix_grads_prepare(a, b)
    g = np.asarray(g)
    if a1 and b1:
        return g * a
    if a1:
        return unbroadcast(a[:, None] * g[..., None, :], b)
    at = np.swapaxes(a, -1, -2)
    if b1:
        return unbroadcast(np.matmul(at, g[..., :, None])[..., 0], b)
    return unbroadcast(np.matmul(at, g), b)


# A reverse loop that adds `matmul_grad_b(g, a, W)` (or `matmul_grad_a(g, W, b)`) into W's
# cotangent on every step pays
# NumPy's per-call cost on small matrices every step.  The optimizer (optimize.sum_steps_together)
# collects the steps' `g` and `a` in lists instead and sums once after the loop: one matrix
# product of all the steps' rows, as a hand-written RNN gradient computes it.

def matmul_grad_b_steps(gs, as_, b):
    """The sum over a loop's steps of `matmul_grad_b(g, a, b)` (zeros like b for no steps)."""
    if type(b) is np.ndarray and b.ndim in (1, 2) and gs:
        # each step is the product `a @ b` of a's rows with b; g has the product's shape
        g_rows, a_rows = _rows(gs, b.shape[1:]), _rows(as_, b.shape[:1])
        if g_rows is not None and a_rows is not None and \
                gs[0].shape[:gs[0].ndim - b.ndim + 1] == as_[0].shape[:-1]:
            return unbroadcast(a_rows.T @ g_rows, b)
    total = zeros_like(b)
    for g, a in zip(gs, as_):
        total = total + matmul_grad_b(g, a, b)
    return total


def matmul_grad_a_steps(gs, a, bs):
    """The sum over a loop's steps of `matmul_grad_a(g, a, b)` (zeros like a for no steps)."""
    if type(a) is np.ndarray and a.ndim == 2 and gs:
        # each step is the product `a @ b` of a with b's columns: g's columns go with b's
        g_cols = [_columns_last(g) for g in gs]
        b_cols = [_columns_last(b) for b in bs]
        g_rows, b_rows = _rows(g_cols, a.shape[:1]), _rows(b_cols, a.shape[1:])
        if g_rows is not None and b_rows is not None and \
                g_cols[0].shape[:-1] == b_cols[0].shape[:-1]:
            return unbroadcast(g_rows.T @ b_rows, a)
    total = zeros_like(a)
    for g, b in zip(gs, bs):
        total = total + matmul_grad_a(g, a, b)
    return total


def _columns_last(x):
    """A matrix (or a batch of them) transposed, so that its columns are rows; else x."""
    return np.swapaxes(x, -1, -2) if type(x) is np.ndarray and x.ndim >= 2 else x


def _rows(steps, tail):
    """The steps, ndarrays of one shape ending in `tail`, stacked as rows of that tail (shape
    (rows,) + tail); None for anything else."""
    first = steps[0]
    if type(first) is not np.ndarray or first.ndim < len(tail) or \
            first.shape[first.ndim - len(tail):] != tail or \
            any(type(s) is not np.ndarray or s.shape != first.shape for s in steps):
        return None
    if first.ndim == len(tail):          # one row per step
        return np.stack(steps)
    rows = np.concatenate(steps)         # (steps * rows,) + the rest
    return rows if rows.ndim == len(tail) + 1 else rows.reshape((-1,) + tail)


def unbroadcast_steps(gs, x):
    """The sum over a loop's steps of `unbroadcast(g, x)` (zeros like x for no steps)."""
    if gs and type(gs[0]) is np.ndarray and all(
            type(g) is np.ndarray and g.shape == gs[0].shape for g in gs):
        # where g's leading axis is summed anyway, the steps' rows can follow one another
        # (np.concatenate copies them once; np.stack takes twice as long)
        if gs[0].ndim > np.ndim(x):
            return unbroadcast(np.concatenate(gs), x)
        return unbroadcast(np.stack(gs), x)
    total = zeros_like(x)
    for g in gs:
        total = total + unbroadcast(g, x)
    return total


def dot_grad_a(g, a, b):
    """Cotangent of `a` in `np.dot(a, b)` for any ranks."""
    na, nb = np.ndim(a), np.ndim(b)
    if na == 0 or nb == 0:
        return unbroadcast(np.sum(g * b) if na == 0 else g * b, a)
    if nb == 1:
        return np.multiply.outer(g, b)
    gaxes = list(range(na - 1, na - 1 + nb - 2)) + [np.ndim(g) - 1]
    baxes = list(range(nb - 2)) + [nb - 1]
    return np.tensordot(g, b, (gaxes, baxes))


def dot_grad_b(g, a, b):
    """Cotangent of `b` in `np.dot(a, b)` for any ranks."""
    na, nb = np.ndim(a), np.ndim(b)
    if na == 0 or nb == 0:
        return unbroadcast(np.sum(g * a) if nb == 0 else g * a, b)
    lead = list(range(na - 1))
    out = np.tensordot(a, g, (lead, lead))
    return out if nb == 1 else np.moveaxis(out, 0, -2)


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


# -- products --

def _tensordot_axes(a, b, axes):
    na, nb = np.ndim(a), np.ndim(b)
    if np.ndim(axes) == 0:
        axes = int(axes)
        return list(range(na - axes, na)), list(range(axes))
    ax_a, ax_b = axes
    ax_a = [ax_a] if np.ndim(ax_a) == 0 else list(ax_a)
    ax_b = [ax_b] if np.ndim(ax_b) == 0 else list(ax_b)
    return [i % na for i in ax_a], [i % nb for i in ax_b]


def tensordot_grad_a(g, a, b, axes=2):
    """Cotangent of `a` in `np.tensordot(a, b, axes)`."""
    ax_a, ax_b = _tensordot_axes(a, b, axes)
    free_a = [i for i in range(np.ndim(a)) if i not in ax_a]
    free_b = [i for i in range(np.ndim(b)) if i not in ax_b]
    nfa = len(free_a)
    out = np.tensordot(g, b, (list(range(nfa, nfa + len(free_b))), free_b))
    owner = free_a + [ax_a[k] for k in np.argsort(ax_b)]
    return np.transpose(out, np.argsort(owner))


def tensordot_grad_b(g, a, b, axes=2):
    """Cotangent of `b` in `np.tensordot(a, b, axes)`."""
    ax_a, ax_b = _tensordot_axes(a, b, axes)
    free_a = [i for i in range(np.ndim(a)) if i not in ax_a]
    free_b = [i for i in range(np.ndim(b)) if i not in ax_b]
    out = np.tensordot(a, g, (free_a, list(range(len(free_a)))))
    owner = [ax_b[k] for k in np.argsort(ax_a)] + free_b
    return np.transpose(out, np.argsort(owner))


def inner_grad_a(g, a, b):
    """Cotangent of `a` in `np.inner(a, b)` (contraction over the last axes)."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(np.sum(g * b) if np.ndim(a) == 0 else g * b, a)
    na, nb = np.ndim(a), np.ndim(b)
    return np.tensordot(g, b, (list(range(na - 1, na - 1 + nb - 1)), list(range(nb - 1))))


def inner_grad_b(g, a, b):
    """Cotangent of `b` in `np.inner(a, b)`."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(np.sum(g * a) if np.ndim(b) == 0 else g * a, b)
    na = np.ndim(a)
    return np.tensordot(g, a, (list(range(na - 1)), list(range(na - 1))))


def _kron_layout(g, a, b):
    nd = max(np.ndim(a), np.ndim(b))
    sa = (1,) * (nd - np.ndim(a)) + np.shape(a)
    sb = (1,) * (nd - np.ndim(b)) + np.shape(b)
    inter = np.reshape(g, [n for pair in zip(sa, sb) for n in pair])
    grouped = np.transpose(inter, list(range(0, 2 * nd, 2)) + list(range(1, 2 * nd, 2)))
    return nd, sa, sb, grouped


def kron_grad_a(g, a, b):
    """Cotangent of `a` in `np.kron(a, b)`."""
    nd, sa, sb, grouped = _kron_layout(g, a, b)
    return np.reshape(np.tensordot(grouped, np.reshape(b, sb), nd), np.shape(a))


def kron_grad_b(g, a, b):
    """Cotangent of `b` in `np.kron(a, b)`."""
    nd, sa, sb, grouped = _kron_layout(g, a, b)
    return np.reshape(np.tensordot(np.reshape(a, sa), grouped, nd), np.shape(b))


def _conv_full(g, a, v, mode):
    """`g` (the cotangent of np.convolve(a, v, mode)) embedded in the 'full' output."""
    m, n = np.size(a), np.size(v)
    full = m + n - 1
    start = {"full": 0, "same": (min(m, n) - 1) // 2, "valid": min(m, n) - 1}[mode]
    out = np.zeros(full, dtype=np.result_type(g, np.float32))
    out[start:start + np.size(g)] = g
    return out


def convolve_grad_a(g, a, v, mode="full"):
    """Cotangent of `a` in `np.convolve(a, v, mode)`."""
    return np.correlate(_conv_full(g, a, v, mode), v, "valid")


def convolve_grad_b(g, a, v, mode="full"):
    """Cotangent of `v` in `np.convolve(a, v, mode)`."""
    return np.correlate(_conv_full(g, a, v, mode), a, "valid")


# -- einsum --

_EINSUM_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def einsum_subscripts(sublists, output=None):
    """The subscripts of np.einsum's interleaved form, `np.einsum(A, [0, 1], B, [1, 2], [0, 2])`
    -> 'AB,BC->AC' (`sublists` [[0, 1], [1, 2]], `output` [0, 2]; None: the implicit output).
    Index k is letter k of A..Za..z, as in NumPy, whose implicit output is in the order of the
    indices, the order of these letters; Ellipsis is '...'."""
    def spelled(sublist):
        return "".join("..." if k is Ellipsis else _EINSUM_LETTERS[k] for k in sublist)
    ins = ",".join(spelled(s) for s in sublists)
    return ins if output is None else ins + "->" + spelled(output)


def _einsum_parse(subscripts, operands):
    """Explicit subscripts (ellipses spelled out) for each operand and the output."""
    subscripts = subscripts.replace(" ", "")
    ins, _, out = subscripts.partition("->")
    ins = ins.split(",")
    used = set(subscripts) - set(".,->")
    spare = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in used]
    ell = 0
    for s, x in zip(ins, operands):
        if "..." in s:
            ell = max(ell, np.ndim(x) - len(s) + 3)
    fill = "".join(spare[:ell])
    spelled = []
    for s, x in zip(ins, operands):
        if "..." in s:
            k = np.ndim(x) - len(s) + 3
            s = s.replace("...", fill[ell - k:])
        spelled.append(s)
    if "->" not in subscripts:
        letters = "".join(spelled)
        out = fill + "".join(sorted(c for c in set(letters) - set(fill)
                                    if letters.count(c) == 1))
    else:
        out = out.replace("...", fill)
    return spelled, out


def _operands(x0, x1, x2, x3):
    return [x for x in (x0, x1, x2, x3) if x is not None]


def einsum_spec(subscripts, i, x0, x1=None, x2=None, x3=None):
    """The subscripts of the einsum giving (the unique-letter part of) operand i's cotangent."""
    if not isinstance(subscripts, str):
        unsupported("the interleaved form of np.einsum (operands and index lists) with an "
                    "index list held in a name: write the index lists in the call, or the "
                    "subscripts as a string")
    ops = _operands(x0, x1, x2, x3)
    ins, out = _einsum_parse(subscripts, ops)
    others = [s for k, s in enumerate(ins) if k != i]
    avail = set(out).union(*others) if others else set(out)
    target = "".join(c for c in dict.fromkeys(ins[i]) if c in avail)
    return ",".join([out] + others) + "->" + target


def einsum_expand(r, subscripts, i, x0, x1=None, x2=None, x3=None):
    """Operand i's cotangent from its unique-letter part `r`: broadcast over letters that only
    operand i has, and written on the diagonal where operand i repeats a letter."""
    ops = _operands(x0, x1, x2, x3)
    ins, out = _einsum_parse(subscripts, ops)
    spec = einsum_spec(subscripts, i, x0, x1, x2, x3)
    have = spec.split("->")[1]
    uniq = "".join(dict.fromkeys(ins[i]))
    if have == uniq and len(uniq) == len(ins[i]):
        return r
    sizes = dict(zip(ins[i], np.shape(ops[i])))
    r = np.asarray(r)
    for c in uniq:
        if c not in have:
            r = r[..., None]
            have += c
    r = np.broadcast_to(np.einsum(have + "->" + uniq, r), [sizes[c] for c in uniq])
    if len(uniq) == len(ins[i]):
        return r * 1.0
    full = np.zeros(np.shape(ops[i]), dtype=np.result_type(r, np.float32))
    np.einsum(ins[i] + "->" + uniq, full)[...] = r
    return full


def einsum_collapse(h, subscripts, i, x0, x1=None, x2=None, x3=None):
    """The adjoint of `einsum_expand`: diagonal entries, summed over operand-i-only letters."""
    ops = _operands(x0, x1, x2, x3)
    ins, out = _einsum_parse(subscripts, ops)
    spec = einsum_spec(subscripts, i, x0, x1, x2, x3)
    have = spec.split("->")[1]
    if have == "".join(dict.fromkeys(ins[i])) and len(have) == len(ins[i]):
        return h
    return np.einsum(ins[i] + "->" + have, h)


# -- complex and Fourier --

def fit_axis(x, like, axis=-1):
    """`x` cut or zero-padded along `axis` to the length `like` has there; real if `like` is."""
    n = np.shape(like)[axis]
    m = np.shape(x)[axis]
    if m > n:
        x = np.take(x, np.arange(n), axis=axis)
    elif m < n:
        widths = [(0, 0)] * np.ndim(x)
        widths[axis] = (0, n - m)
        x = np.pad(x, widths)
    return x if np.iscomplexobj(like) else np.real(x)


def irfft_weights(g, axis=-1):
    """Weights 1, 2, ..., 2, (1 if even) of the half spectrum behind an irfft of g's length."""
    n = np.shape(g)[axis]
    w = np.full(n // 2 + 1, 2.0)
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    shape = [1] * np.ndim(g)
    shape[axis] = n // 2 + 1
    return np.reshape(w, shape)


# -- interpolation and histograms --

def interp_slope(x, xp, fp, left=None, right=None):
    """Index of the segment of xp holding each x and whether x lies inside [xp[0], xp[-1]]."""
    idx = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, len(xp) - 2)
    inside = (np.asarray(x) >= xp[0]) & (np.asarray(x) <= xp[-1])
    return idx, inside


def interp_fp_grad(g, x, xp, fp, left=None, right=None):
    """Cotangent of `fp` for `np.interp(x, xp, fp, left, right)`."""
    g = np.broadcast_to(g, np.shape(x))
    idx, inside = interp_slope(x, xp, fp)
    lam = np.clip((np.asarray(x) - xp[idx]) / (xp[idx + 1] - xp[idx]), 0.0, 1.0)
    below = np.asarray(x) < xp[0]
    above = np.asarray(x) > xp[-1]
    keep = inside | (below & (left is None)) | (above & (right is None))
    gk = np.where(keep, g, 0.0)
    out = np.zeros(np.shape(fp), dtype=np.result_type(gk, np.float32))
    np.add.at(out, idx, gk * (1 - lam))
    np.add.at(out, idx + 1, gk * lam)
    return out


def histogram_bin(a, edges):
    """The bin of each value of `a` for `edges` (last bin closed), -1 outside."""
    a = np.ravel(a)
    idx = np.searchsorted(edges, a, side="right") - 1
    idx = np.where(a == edges[-1], len(edges) - 2, idx)
    return np.where((a < edges[0]) | (a > edges[-1]), -1, idx)


def histogram_weights_grad(g, a, edges, weights):
    """Cotangent of `weights` for `np.histogram(a, edges, weights=weights)[0]`."""
    idx = histogram_bin(a, edges)
    vals = np.where(idx >= 0, np.take(g, np.clip(idx, 0, len(edges) - 2)), 0.0)
    return np.reshape(vals, np.shape(weights))


# -- special functions --

def _fact(n):
    return float(np.prod(np.arange(1, n + 1, dtype=float)))


_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510)


def polygamma(n, x):
    """The polygamma function psi^(n)(x) (n = 0: digamma) for real x, without SciPy.

    Upward recurrence to x >= 10, then the asymptotic series.  A Python number gives a float.
    """
    n = int(n)
    is_number = isinstance(x, numbers.Number) and not isinstance(x, np.generic)
    xa = np.asarray(x)
    dtype = xa.dtype if xa.dtype.kind == "f" else np.dtype(float)
    z = xa.astype(float)
    acc = np.zeros_like(z)
    fact = _fact(n)
    sign = -1.0 if n % 2 else 1.0
    low = z < 10.0
    while np.any(low):
        acc = acc - np.where(low, sign * fact / np.where(low, z, 1.0) ** (n + 1), 0.0)
        z = np.where(low, z + 1.0, z)
        low = z < 10.0
    if n == 0:
        series = np.log(z) - 0.5 / z
        for k, b in enumerate(_BERNOULLI, 1):
            series = series - b / (2 * k * z ** (2 * k))
    else:
        series = _fact(n - 1) / z ** n + fact / (2 * z ** (n + 1))
        for k, b in enumerate(_BERNOULLI, 1):
            series = series + b * _fact(2 * k + n - 1) / (_fact(2 * k) * z ** (2 * k + n))
        series = -sign * series
    out = (series + acc).astype(dtype)
    return float(out) if is_number else (out[()] if out.ndim == 0 else out)


# ---- batched tangents and cotangents (jacfwd/jacrev, see batching.py) ----
#
# In the batched modes a derivative carries one leading batch axis: the tangent of a value of
# shape s has shape (B,) + s.  These helpers are the batched counterparts of the ones above.

def batch_axis(axis, ndim):
    """The axis argument of a reduction over a batched value: each axis moved up by one."""
    if axis is None:
        return tuple(range(1, ndim + 1))
    if np.ndim(axis) == 0:
        return int(axis) % ndim + 1
    return tuple(int(a) % ndim + 1 for a in axis)


def batch_axes(axes, ndim):
    """The permutation of np.transpose for a batched value: the batch axis stays first."""
    if axes is None:
        return (0,) + tuple(range(ndim, 0, -1))
    return (0,) + tuple(int(a) % ndim + 1 for a in axes)


def batch_reshape(t, shape, order="C"):
    """Each item of the batch `t` reshaped to `shape`."""
    shape = tuple(shape) if np.ndim(shape) else (shape,)
    if order == "C":
        return np.reshape(t, (np.shape(t)[0],) + shape)
    return np.stack([np.reshape(item, shape, order=order) for item in t])


def unbroadcast_batch(g, x):
    """`unbroadcast` of each item of the batch `g`: shape (B,) + x.shape (real if x is)."""
    if np.iscomplexobj(g) and not np.iscomplexobj(x):
        g = np.real(g)
    xshape = np.shape(x)
    gshape = np.shape(g)[1:]
    if gshape == xshape:
        return g
    axes, keepdims, reshape = reduction_plan(gshape, xshape)
    g = np.sum(g, axis=tuple(a + 1 for a in axes), keepdims=keepdims)    # past the batch axis
    return g.reshape(np.shape(g)[:1] + xshape) if reshape else g


def broadcast_batch(t, z):
    """`broadcast_like` of each item of the batch `t` (aligned on the right) to z's shape."""
    zshape = np.shape(z)
    tshape = np.shape(t)
    if tshape[1:] == zshape:
        return t
    t = np.reshape(t, tshape[:1] + (1,) * (len(zshape) - len(tshape) + 1) + tshape[1:])
    return np.broadcast_to(t, tshape[:1] + zshape) * 1.0


def sum_grad_batch(g, x, axis=None, keepdims=False):
    """`sum_grad` of each item of the batch `g`: shape (B,) + x.shape."""
    shape = np.shape(x)
    g = np.asarray(g)
    if axis is None and not keepdims:
        g = np.reshape(g, g.shape[:1] + (1,) * len(shape))
    elif not keepdims:
        axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
        g = np.expand_dims(g, tuple(a % len(shape) + 1 for a in axes))
    full = g.shape[:1] + shape
    return np.broadcast_to(g, full) * 1.0 if g.shape != full else g


def keys_of(mapping):
    """The keys a `for` loop over a dict visits, in order, as a list (read by position)."""
    return list(mapping)
