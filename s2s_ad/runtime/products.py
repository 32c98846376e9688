"""Helpers of the derivative rules for tensor products, convolutions and np.einsum."""

import numpy as np

from s2s_ad.runtime.arrays import unsupported
from s2s_ad.runtime.core import unbroadcast


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
