"""Rules for np.linalg's vector norms and condition numbers (linalg.norm: numpy_reduce_rules.py;
linalg.matrix_norm is rewritten as linalg.norm of the last two axes, frontend/normalize.py).

Contents:
    norms             linalg.vector_norm (every ord, any axes, complex values)
    condition         linalg.cond (p None, 2 and -2: a ratio of singular values)
"""
import numpy as np

from s2s_ad import runtime as _ad
from s2s_ad.rules.registry import deffacts, defjvp, defvjp


# vector_norm(x, axis, keepdims, ord): the p-norm of x over `axis` (all of x, flattened, for
# None; NumPy 2): d|x|_p / dx = |x|^(p-1) conj(sign(x)) / |x|_p^(p-1) (conj(x) / |x|_2 for
# p = 2), ord=inf and -inf split ties like max, ord=0 (a count) is constant.
def _vector_norm_vjp(g, ans, x, *, axis=None, keepdims=False, ord=2):
    return (_ad.sum_grad(g / ans, x, axis, keepdims) * np.conj(x) if ord == 2 else
            _ad.max_grad(g, ans, np.abs(x), axis, keepdims) * np.conj(_ad.sign(x))
            if np.isinf(ord) else
            0.0 * np.abs(x) if ord == 0 else
            _ad.sum_grad(g / ans ** (ord - 1), x, axis, keepdims)
            * np.abs(x) ** (ord - 1) * np.conj(_ad.sign(x)))


def _vector_norm_jvp(t, ans, x, *, axis=None, keepdims=False, ord=2):
    return (np.sum(np.real(np.conj(x) * t), axis, keepdims=keepdims) / ans if ord == 2 else
            _ad.max_jvp(np.real(np.conj(_ad.sign(x)) * t), ans, np.abs(x), axis, keepdims)
            if np.isinf(ord) else
            0.0 * ans if ord == 0 else
            np.sum(np.real(np.conj(_ad.sign(x)) * t) * np.abs(x) ** (ord - 1), axis,
                   keepdims=keepdims) / ans ** (ord - 1))


if hasattr(np.linalg, "vector_norm"):
    defvjp(np.linalg.vector_norm, _vector_norm_vjp)
    defjvp(np.linalg.vector_norm, _vector_norm_jvp)
    deffacts(np.linalg.vector_norm, kind="num")


# cond(x, p) for p None, 2 (s_max / s_min) and -2 (s_min / s_max), the singular values
# distinct: with c = s_a / s_b, dc = (u_a' dx v_a) / s_b - c (u_b' dx v_b) / s_b.  Other p
# (norms of x and its inverse) raise when the rule runs.
def _cond_vjp(g, ans, x, p=None):
    usv = (np.linalg.svd(x, full_matrices=False) if p is None or p == 2 or p == -2 else
           _ad.unsupported("np.linalg.cond(x, p) for p other than None, 2 and -2"))
    a = -1 if p == -2 else 0
    b = -1 - a
    u, s, vh = usv[0], usv[1], usv[2]
    return np.expand_dims(g / s[..., b], (-1, -2)) * (
        u[..., :, a, None] * vh[..., a, None, :]
        - np.expand_dims(ans, (-1, -2)) * u[..., :, b, None] * vh[..., b, None, :])


def _cond_jvp(t, ans, x, p=None):
    usv = (np.linalg.svd(x, full_matrices=False) if p is None or p == 2 or p == -2 else
           _ad.unsupported("np.linalg.cond(x, p) for p other than None, 2 and -2"))
    a = -1 if p == -2 else 0
    b = -1 - a
    u, s, vh = usv[0], usv[1], usv[2]
    return (np.sum(u[..., :, a, None] * t * vh[..., a, None, :], (-2, -1))
            - ans * np.sum(u[..., :, b, None] * t * vh[..., b, None, :], (-2, -1))) / s[..., b]


defvjp(np.linalg.cond, _cond_vjp)
defjvp(np.linalg.cond, _cond_jvp)
deffacts(np.linalg.cond, kind="num")
