"""Helpers of the derivative rules for products: matrix products (with the sums over a loop's
steps that the optimiser gathers them into), tensor products, convolutions and np.einsum.

Stage: runtime (rules/numpy_linalg_rules.py inlines calls to them).  Input: a cotangent or
tangent and the product's operands; output: the cotangent of one operand.  Each is linear in
its first argument; the pairs are adjoint to each other.
"""

import numpy as np

from s2s_ad.runtime.core import unbroadcast, unsupported, zeros_like


# -- matrix products --

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


# -- tensor products --

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
    return unbroadcast(np.transpose(out, np.argsort(owner)), a)     # real for a real a


def tensordot_grad_b(g, a, b, axes=2):
    """Cotangent of `b` in `np.tensordot(a, b, axes)`."""
    ax_a, ax_b = _tensordot_axes(a, b, axes)
    free_a = [i for i in range(np.ndim(a)) if i not in ax_a]
    free_b = [i for i in range(np.ndim(b)) if i not in ax_b]
    out = np.tensordot(a, g, (free_a, list(range(len(free_a)))))
    owner = [ax_b[k] for k in np.argsort(ax_a)] + free_b
    return unbroadcast(np.transpose(out, np.argsort(owner)), b)


def inner_grad_a(g, a, b):
    """Cotangent of `a` in `np.inner(a, b)` (contraction over the last axes)."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(np.sum(g * b) if np.ndim(a) == 0 else g * b, a)
    na, nb = np.ndim(a), np.ndim(b)
    return unbroadcast(np.tensordot(g, b, (list(range(na - 1, na - 1 + nb - 1)),
                                           list(range(nb - 1)))), a)


def inner_grad_b(g, a, b):
    """Cotangent of `b` in `np.inner(a, b)`."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(np.sum(g * a) if np.ndim(b) == 0 else g * a, b)
    na = np.ndim(a)
    return unbroadcast(np.tensordot(g, a, (list(range(na - 1)), list(range(na - 1)))), b)


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
    return unbroadcast(np.reshape(np.tensordot(grouped, np.reshape(b, sb), nd), np.shape(a)), a)


def kron_grad_b(g, a, b):
    """Cotangent of `b` in `np.kron(a, b)`."""
    nd, sa, sb, grouped = _kron_layout(g, a, b)
    return unbroadcast(np.reshape(np.tensordot(np.reshape(a, sa), grouped, nd), np.shape(b)), b)


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
    spare = [c for c in _EINSUM_LETTERS if c not in used]
    ell = 0
    for s, x in zip(ins, operands):
        if "..." in s:
            ell = max(ell, np.ndim(x) - len(s) + 3)
    fill = "".join(spare[:ell])
    spelled = []
    for s, x in zip(ins, operands):
        if "..." in s:
            k = np.ndim(x) - len(s) + 3
            s = s.replace("...", fill[ell - k:] if k else "")
        spelled.append(s)
    if "->" not in subscripts:
        letters = "".join(spelled)
        out = fill + "".join(sorted(c for c in set(letters) - set(fill)
                                    if letters.count(c) == 1))
    else:
        out = out.replace("...", fill)
    return spelled, out


def _operands(*xs):
    return [x for x in xs if x is not None]


def einsum(subscripts, x0, x1=None, x2=None, x3=None, x4=None, x5=None, x6=None, x7=None,
           optimize=False):
    """np.einsum of the operands that are not None: the einsum rules write an operand's
    cotangent or tangent as an einsum with one operand replaced, by position, whatever the
    number of operands (its rules are np.einsum's)."""
    if not isinstance(optimize, (bool, str, list)):
        # a ninth operand, bound by position to `optimize` by the rules' parameters
        unsupported("np.einsum with more than 8 operands")
    return np.einsum(subscripts, *_operands(x0, x1, x2, x3, x4, x5, x6, x7), optimize=optimize)


def _letter_sizes(ins, ops):
    """Each letter's size as the operands broadcast it (a letter of size 1 stretches)."""
    sizes = {}
    for s, x in zip(ins, ops):
        for c, n in zip(s, np.shape(x)):
            sizes[c] = n if sizes.get(c, 1) == 1 else sizes[c]
    return sizes


def einsum_spec(subscripts, i, x0, x1=None, x2=None, x3=None, x4=None, x5=None, x6=None,
                x7=None):
    """The subscripts of the einsum giving (the unique-letter part of) operand i's cotangent:
    the call's, with the cotangent in operand i's place (its letters are the output's), and
    as output operand i's letters that the output or another operand has."""
    if not isinstance(subscripts, str):
        unsupported("the interleaved form of np.einsum (operands and index lists) with an "
                    "index list held in a name: write the index lists in the call, or the "
                    "subscripts as a string")
    ops = _operands(x0, x1, x2, x3, x4, x5, x6, x7)
    ins, out = _einsum_parse(subscripts, ops)
    others = [s for k, s in enumerate(ins) if k != i]
    avail = set(out).union(*others) if others else set(out)
    target = "".join(c for c in dict.fromkeys(ins[i]) if c in avail)
    return ",".join(out if k == i else s for k, s in enumerate(ins)) + "->" + target


def _einsum_plan(subscripts, i, ops):
    """(operand i's subscripts, the letters of the part of its cotangent that the einsum of
    einsum_spec gives, operand i's unique letters, that part's size along each of its letters,
    operand i's size along each of its letters)."""
    ins, out = _einsum_parse(subscripts, ops)
    have = einsum_spec(subscripts, i, *ops).split("->")[1]
    full = _letter_sizes(ins, ops)
    # the sizes in that einsum: the other operands', and the output's (the cotangent's)
    part = _letter_sizes([s for k, s in enumerate(ins) if k != i] + [out],
                         [x for k, x in enumerate(ops) if k != i] + [np.empty(
                             [full[c] for c in out], dtype=np.int8)])
    own = dict(zip(ins[i], np.shape(ops[i])))
    return ins[i], have, "".join(dict.fromkeys(ins[i])), [part[c] for c in have], own


def einsum_expand(r, subscripts, i, x0, x1=None, x2=None, x3=None, x4=None, x5=None, x6=None,
                  x7=None):
    """Operand i's cotangent from its unique-letter part `r`: summed over the letters operand i
    broadcasts (of size 1 there), broadcast over letters that only operand i has, and written
    on the diagonal where operand i repeats a letter."""
    ops = _operands(x0, x1, x2, x3, x4, x5, x6, x7)
    if np.iscomplexobj(r) and not np.iscomplexobj(ops[i]):
        r = np.real(r)      # the cotangent of a real operand is real
    spelled, have, uniq, part, own = _einsum_plan(subscripts, i, ops)
    stretched = tuple(k for k, c in enumerate(have) if own[c] == 1 and part[k] != 1)
    if stretched:
        r = np.sum(r, stretched, keepdims=True)
    if have == uniq and len(uniq) == len(spelled):
        return np.broadcast_to(r, np.shape(ops[i])) * 1.0 if np.shape(r) != np.shape(ops[i]) \
            else r
    r = np.asarray(r)
    for c in uniq:
        if c not in have:
            r = r[..., None]
            have += c
    r = np.broadcast_to(np.einsum(have + "->" + uniq, r), [own[c] for c in uniq])
    if len(uniq) == len(spelled):
        return r * 1.0
    full = np.zeros(np.shape(ops[i]), dtype=np.result_type(r, np.float32))
    np.einsum(spelled + "->" + uniq, full)[...] = r
    return full


def einsum_collapse(h, subscripts, i, x0, x1=None, x2=None, x3=None, x4=None, x5=None,
                    x6=None, x7=None):
    """The adjoint of `einsum_expand`: diagonal entries, summed over operand-i-only letters,
    stretched over the letters operand i broadcasts and summed over those the other operands
    broadcast."""
    ops = _operands(x0, x1, x2, x3, x4, x5, x6, x7)
    spelled, have, uniq, part, own = _einsum_plan(subscripts, i, ops)
    if not (have == uniq and len(have) == len(spelled)):
        h = np.einsum(spelled + "->" + have, h)
    shrunk = tuple(k for k, c in enumerate(have) if part[k] == 1 and own[c] != 1)
    if shrunk:
        h = np.sum(h, shrunk, keepdims=True)
    return np.broadcast_to(h, part) * 1.0 if np.shape(h) != tuple(part) else h
