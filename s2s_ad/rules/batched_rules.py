"""Batched rules (transforms/batching.py): a derivative rule's stand-in whose t (or g) carries a
leading batch axis, for `jacfwd` and `jacrev` differentiating along a whole basis in one call.

A callable states its batched rules next to its other rules:

    deffacts(np.sum, batched=fixed(jvp, vjp))

`batched` is a pair (JVP factory, VJP factory); a factory takes the index i of the argument
differentiated and the ranks of the positional arguments (None where unknown) and gives the
batched rule, with the parameters of the rule it replaces, or None (then batching.py tries the
rule elementwise or item by item).  This module holds the factories that serve several
callables: `fixed`, `pair`, and the matrix products (operator.matmul, np.matmul, np.dot, and
the runtime helpers `_ad.matmul_grad_a/b` of generated gradients).
"""
import numpy as np


def fixed(jvp, vjp):
    """Batched rules of argument 0 only, whatever the ranks."""
    return _first(jvp), _first(vjp)


def _first(rule):
    return lambda i, ranks: rule if i == 0 else None


def pair(jvps, vjps):
    """Batched rules of arguments 0 and 1: `jvps` and `vjps` are (rule of 0, rule of 1)."""
    return _pair(*jvps), _pair(*vjps)


def _pair(rule_a, rule_b):
    return lambda i, ranks: rule_a if i == 0 else rule_b if i == 1 else None


def matmul_jvp(i, ranks):
    ra, rb = ranks[:2]
    if ra not in (1, 2) or rb not in (1, 2):
        return None
    if i == 0:
        return _PRODUCT["t @ b"]
    return _PRODUCT["t @ a.T"] if rb == 1 else _PRODUCT["a @ t"]


def matmul_vjp(i, ranks):
    ra, rb = ranks[:2]
    if ra not in (1, 2) or rb not in (1, 2):
        return None
    if i == 0:
        return _PRODUCT["g[..., None] * b"] if rb == 1 else _PRODUCT["g @ b.T"]
    if ra == 2:
        return _PRODUCT["a.T @ g"] if rb == 2 else _PRODUCT["g @ a"]
    return _PRODUCT["a[:, None] * g[:, None, :]"] if rb == 2 else _PRODUCT["g[:, None] * a"]


_PRODUCT = {
    "t @ b": lambda t, ans, a, b, out=None: t @ b,
    "t @ a.T": lambda t, ans, a, b, out=None: t @ np.transpose(a),
    "a @ t": lambda t, ans, a, b, out=None: a @ t,
    "g[..., None] * b": lambda g, ans, a, b, out=None: g[..., None] * b,
    "g @ b.T": lambda g, ans, a, b, out=None: g @ np.transpose(b),
    "a.T @ g": lambda g, ans, a, b, out=None: np.transpose(a) @ g,
    "g @ a": lambda g, ans, a, b, out=None: g @ a,
    "a[:, None] * g[:, None, :]": lambda g, ans, a, b, out=None: a[:, None] * g[:, None, :],
    "g[:, None] * a": lambda g, ans, a, b, out=None: g[:, None] * a,
}


MATRIX_PRODUCT = (matmul_jvp, matmul_vjp)     # operator.matmul, np.matmul, np.dot


def _helper_jvps(which):
    def factory(i, ranks):
        if i != 0 or len(ranks) != 3:
            return None
        ra, rb = ranks[1], ranks[2]
        if ra not in (1, 2) or rb not in (1, 2):
            return None
        vjp = matmul_vjp(which, [ra, rb])
        return _AS_HELPER[vjp]
    return factory


# The batched VJPs of matmul, with the parameters of `_ad.matmul_grad_a/b(g, a, b)`: the JVP of
# the helper in g (a generated gradient differentiated again, for Hessians).
_AS_HELPER = {
    _PRODUCT["g[..., None] * b"]: lambda tdot, out, g, a, b: tdot[..., None] * b,
    _PRODUCT["g @ b.T"]: lambda tdot, out, g, a, b: tdot @ np.transpose(b),
    _PRODUCT["a.T @ g"]: lambda tdot, out, g, a, b: np.transpose(a) @ tdot,
    _PRODUCT["g @ a"]: lambda tdot, out, g, a, b: tdot @ a,
    _PRODUCT["a[:, None] * g[:, None, :]"]:
        lambda tdot, out, g, a, b: a[:, None] * tdot[:, None, :],
    _PRODUCT["g[:, None] * a"]: lambda tdot, out, g, a, b: tdot[:, None] * a,
}
# The VJP in g of `_ad.matmul_grad_a(g, a, b)` is `gbar @ b`, of `_ad.matmul_grad_b` `a @ gbar`:
# the batched matmul JVPs, with the helpers' parameters.
_AS_HELPER_VJP = {
    _PRODUCT["t @ b"]: lambda gbar, out, g, a, b: gbar @ b,
    _PRODUCT["t @ a.T"]: lambda gbar, out, g, a, b: gbar @ np.transpose(a),
    _PRODUCT["a @ t"]: lambda gbar, out, g, a, b: a @ gbar,
}


def _helper_vjps(which):
    def factory(i, ranks):
        if i != 0 or len(ranks) != 3:
            return None
        jvp = matmul_jvp(which, ranks[1:])
        return _AS_HELPER_VJP.get(jvp)
    return factory


# _ad.matmul_grad_a(g, a, b) and _ad.matmul_grad_b(g, a, b), batched in g
MATMUL_GRAD_A = (_helper_jvps(0), _helper_vjps(0))
MATMUL_GRAD_B = (_helper_jvps(1), _helper_vjps(1))
