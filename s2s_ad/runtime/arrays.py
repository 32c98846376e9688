"""Helpers of the derivative rules for matrix products, reductions, scans and for assembling
and splitting arrays (rules/numpy_*_rules.py inline calls to them)."""

import numpy as np

from s2s_ad.runtime.core import scalar_like, unbroadcast, zeros_like


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
    """Cotangent of `a` in `np.dot(a, b)` for any ranks (real for a real `a`: unbroadcast)."""
    na, nb = np.ndim(a), np.ndim(b)
    if na == 0 or nb == 0:
        return unbroadcast(np.sum(g * b) if na == 0 else g * b, a)
    if nb == 1:
        return unbroadcast(np.multiply.outer(g, b), a)
    gaxes = list(range(na - 1, na - 1 + nb - 2)) + [np.ndim(g) - 1]
    baxes = list(range(nb - 2)) + [nb - 1]
    return unbroadcast(np.tensordot(g, b, (gaxes, baxes)), a)


def dot_grad_b(g, a, b):
    """Cotangent of `b` in `np.dot(a, b)` for any ranks (real for a real `b`)."""
    na, nb = np.ndim(a), np.ndim(b)
    if na == 0 or nb == 0:
        return unbroadcast(np.sum(g * a) if nb == 0 else g * a, b)
    lead = list(range(na - 1))
    out = np.tensordot(a, g, (lead, lead))
    return unbroadcast(out if nb == 1 else np.moveaxis(out, 0, -2), b)


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


def tuple_like(like, items):
    """`items` as a tuple of the type of `like`: the tangent of a NumPy result that is a named
    tuple (`np.linalg.eigh(a).eigenvalues`) is one of the same type, so that its fields read
    as the result's do."""
    return type(like)(*items) if hasattr(type(like), "_fields") else tuple(items)


def reduced_svd(a, full_matrices):
    """Are np.linalg.svd's factors of `a` the reduced ones (a square matrix, or
    full_matrices=False)?  Raises for the full factors of a matrix that is not square."""
    m, n = np.shape(a)[-2:]
    if full_matrices and m != n:
        unsupported("the factors of np.linalg.svd(a, full_matrices=True) of a matrix that is "
                    "not square (the columns past min(m, n) are not unique): pass "
                    "full_matrices=False, or compute_uv=False for the singular values")
    return True


def reduced_qr(a, mode):
    """Are np.linalg.qr's factors of `a` those of mode 'reduced' (as 'complete' ones are where
    the matrix has no more rows than columns; 'r' gives R alone)?  Raises for the others: the
    columns of a complete Q past the n-th are not unique."""
    m, n = np.shape(a)[-2:]
    if (mode == "complete" and m > n) or mode not in ("reduced", "complete", "r"):
        unsupported(f"np.linalg.qr(a, mode={mode!r}) of a {m}x{n} matrix: the rules cover "
                    "modes 'reduced' and 'r', and 'complete' of a matrix with no more rows "
                    "than columns")
    return mode != "r"


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


def distinct_eigenvalues(w):
    """`w` itself, checked: the derivatives of np.linalg.eig divide by the differences of
    eigenvalues, which a repeated eigenvalue makes infinite (its eigenvectors are not unique)."""
    gaps = np.abs(w[..., :, None] - w[..., None, :]) + np.eye(np.shape(w)[-1])
    if np.any(gaps <= 1e-12 * np.maximum(1.0, np.max(np.abs(w)))):
        unsupported("np.linalg.eig or eigvals of a matrix with a repeated eigenvalue (its "
                    "eigenvectors are not unique there): for a symmetric matrix use "
                    "np.linalg.eigh, or perturb the matrix")
    return w


def largest_entries(v):
    """True at the entry of largest modulus of each column of `v`, False elsewhere: the entry
    np.linalg.eig makes real in each eigenvector (LAPACK's normalization)."""
    rows = np.argmax(np.abs(v), axis=-2)
    return np.arange(np.shape(v)[-2])[:, None] == rows[..., None, :]


def full_rank(rank, a):
    """True where np.linalg.lstsq found `a` of full rank; raises for a rank-deficient `a`, whose
    least-squares solution jumps where the rank changes (the rules assume full rank)."""
    if rank < min(np.shape(a)[-2:]):
        unsupported(f"np.linalg.lstsq of a matrix of rank {rank} < {min(np.shape(a)[-2:])} "
                    "(the derivative assumes full rank): drop the dependent columns, or add "
                    "a ridge term")
    return True


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


def norm_form(x, ord=None, axis=None):
    """How `np.linalg.norm(x, ord, axis)` is computed, for its rules: (kind, axes, summed):

        "2"         the 2-norm of the entries (vectors; 'fro' and None of matrices)
        "max"       the largest or smallest |entry| (vector ord inf, -inf)
        "0"         the count of nonzero entries (vector ord 0)
        "p"         a vector p-norm
        "sums"      the largest or smallest of the sums of |x| over axis `summed` (matrix ord
                    1, -1: over rows; inf, -inf: over columns), taken over the matrix `axes`
        "singular"  the largest, smallest or sum of the singular values over the matrix `axes`
                    (matrix ord 2, -2, 'nuc')

    `axes` is the (row, column) pair of a matrix norm (non-negative), else None."""
    nd = np.ndim(x)
    pair = None
    if axis is None and nd == 2:
        pair = (0, 1)
    elif axis is not None and np.ndim(axis) == 1 and len(axis) == 2:
        pair = tuple(int(a) % nd for a in axis)
    if ord is None or (isinstance(ord, str) and ord == "fro") or (pair is None and ord == 2):
        return "2", None, None
    if pair is None:
        return ("max" if ord in (np.inf, -np.inf) else "0" if ord == 0 else "p"), None, None
    if isinstance(ord, str) or ord in (2, -2):
        return "singular", pair, None
    return "sums", pair, pair[0] if ord in (1, -1) else pair[1]


def singular_values_used(ord):
    """The singular values a matrix norm of `ord` 2, -2 or 'nuc' is made of (they come in
    decreasing order): the largest, the smallest, all."""
    return slice(0, 1) if ord == 2 else slice(-1, None) if ord == -2 else slice(None)


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
