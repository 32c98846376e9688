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
