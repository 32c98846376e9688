"""Rules for NumPy's products: bilinear, each factor's cotangent contracts `g` with the other
factor (`_ad.matmul_grad_a/b`, `_ad.dot_grad_a/b`, ... handle 1-D, 2-D and batched operands).
`np.einsum` accepts any explicit or implicit subscripts (ellipses, repeated letters, size-1
axes that broadcast) with up to eight operands, and the interleaved form with its index lists
written in the call.

Contents:
    products          dot vdot inner outer matmul tensordot einsum kron cross
    vector products   linalg.vecdot vecdot matvec vecmat (NumPy 2; broadcasting)
    np.linalg's       outer, matmul, tensordot, cross, matrix_transpose, diagonal
"""
import numpy as np

from s2s_ad import runtime as _ad
from s2s_ad.rules import shape_facts as shapes
from s2s_ad.rules.batched_rules import MATRIX_PRODUCT, pair
from s2s_ad.rules.registry import Refused, defbilinear, deffacts, defjvp, defvjp, share

# ---- products ----

defvjp(np.dot,
       lambda g, ans, a, b, out=None: _ad.dot_grad_a(g, a, b),
       lambda g, ans, a, b, out=None: _ad.dot_grad_b(g, a, b))
defjvp(np.dot,
       lambda t, ans, a, b, out=None: np.dot(t, b),
       lambda t, ans, a, b, out=None: np.dot(a, t))
defvjp(np.matmul,
       lambda g, ans, x1, x2: _ad.matmul_grad_a(g, x1, x2),
       lambda g, ans, x1, x2: _ad.matmul_grad_b(g, x1, x2))
defjvp(np.matmul,
       lambda t, ans, x1, x2: np.matmul(t, x2),
       lambda t, ans, x1, x2: np.matmul(x1, t))
deffacts(np.dot, np.matmul, batched=MATRIX_PRODUCT)
deffacts(np.matmul, shape=shapes.matrix_product)
deffacts(np.dot, shape=shapes.dot_product)
deffacts(np.dot, methods=("dot",), fresh=True, real=True)
# vdot(a, b) = sum(conj(a) * b) over the flattened arrays.
defvjp(np.vdot,
       lambda g, ans, a, b: _ad.unbroadcast(np.reshape(np.conj(g * b), np.shape(a)), a),
       lambda g, ans, a, b: _ad.unbroadcast(np.reshape(g * np.conj(a), np.shape(b)), b))
defjvp(np.vdot,
       lambda t, ans, a, b: np.vdot(t, b),
       lambda t, ans, a, b: np.vdot(a, t))
defvjp(np.inner,
       lambda g, ans, a, b: _ad.inner_grad_a(g, a, b),
       lambda g, ans, a, b: _ad.inner_grad_b(g, a, b))
defjvp(np.inner,
       lambda t, ans, a, b: np.inner(t, b),
       lambda t, ans, a, b: np.inner(a, t))
deffacts(np.inner, real=True)
defvjp(np.outer,
       lambda g, ans, a, b, out=None:
       _ad.unbroadcast(np.reshape(np.dot(g, np.ravel(b)), np.shape(a)), a),
       lambda g, ans, a, b, out=None:
       _ad.unbroadcast(np.reshape(np.dot(np.ravel(a), g), np.shape(b)), b))
defjvp(np.outer,
       lambda t, ans, a, b, out=None: np.outer(t, b),
       lambda t, ans, a, b, out=None: np.outer(a, t))
# batched (transforms/batching.py): t and g carry a leading batch axis
_OUTER_JVP_A = (lambda t, ans, a, b, out=None:
                _ad.batch_reshape(t, -1)[:, :, None] * np.ravel(b))
_OUTER_JVP_B = (lambda t, ans, a, b, out=None:
                np.ravel(a)[:, None] * _ad.batch_reshape(t, -1)[:, None, :])
_OUTER_VJP_A = (lambda g, ans, a, b, out=None:
                _ad.batch_reshape(g @ np.ravel(b), np.shape(a)))
_OUTER_VJP_B = (lambda g, ans, a, b, out=None:
                _ad.batch_reshape(np.ravel(a) @ g, np.shape(b)))
deffacts(np.outer, shape=shapes.outer,
         batched=pair((_OUTER_JVP_A, _OUTER_JVP_B), (_OUTER_VJP_A, _OUTER_VJP_B)),
         fresh=True, real=True)
defvjp(np.tensordot,
       lambda g, ans, a, b, axes=2: _ad.tensordot_grad_a(g, a, b, axes),
       lambda g, ans, a, b, axes=2: _ad.tensordot_grad_b(g, a, b, axes))
defjvp(np.tensordot,
       lambda t, ans, a, b, axes=2: np.tensordot(t, b, axes),
       lambda t, ans, a, b, axes=2: np.tensordot(a, t, axes))
deffacts(np.tensordot, real=True)
defvjp(np.kron,
       lambda g, ans, a, b: _ad.kron_grad_a(g, a, b),
       lambda g, ans, a, b: _ad.kron_grad_b(g, a, b))
defjvp(np.kron,
       lambda t, ans, a, b: np.kron(t, b),
       lambda t, ans, a, b: np.kron(a, t))
# cross of 3-vectors along axisa of a, axisb of b, put along axisc of the result (`axis` sets
# all three); batch axes broadcast.  The cotangent of a is b x g, computed with the vectors
# along the last axis, summed to a's batch shape and put back along axisa (b's likewise).
def _cross_vjp_a(g, ans, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    ka = axisa if axis is None else axis
    full = np.cross(b, g, axisb if axis is None else axis, axisc if axis is None else axis, -1)
    return np.moveaxis(_ad.unbroadcast(full, np.moveaxis(a, ka, -1)), -1, ka)


def _cross_vjp_b(g, ans, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    kb = axisb if axis is None else axis
    full = np.cross(g, a, axisc if axis is None else axis, axisa if axis is None else axis, -1)
    return np.moveaxis(_ad.unbroadcast(full, np.moveaxis(b, kb, -1)), -1, kb)


defvjp(np.cross, _cross_vjp_a, _cross_vjp_b)
defjvp(np.cross,
       lambda t, ans, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None:
       np.cross(t, b, axisa, axisb, axisc, axis),
       lambda t, ans, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None:
       np.cross(a, t, axisa, axisb, axisc, axis))


# einsum of up to 8 operands x0..x7: operand i's tangent is the einsum with the tangent in its
# place; its cotangent is the einsum with g in its place and operand i's letters as output
# (`_ad.einsum_spec`), summed where operand i broadcasts, broadcast over letters only it has
# and put on its diagonals (`_ad.einsum_expand`).  `_ad.einsum` is np.einsum of the operands
# that are not None, so that one rule per position serves every number of operands; its rules
# are these.
def _einsum_vjp0(g, ans, subscripts, x0, x1=None, x2=None, x3=None, x4=None, x5=None, x6=None,
                 x7=None, optimize=False):
    spec = _ad.einsum_spec(subscripts, 0, x0, x1, x2, x3, x4, x5, x6, x7)
    return _ad.einsum_expand(_ad.einsum(spec, g, x1, x2, x3, x4, x5, x6, x7, optimize),
                             subscripts, 0, x0, x1, x2, x3, x4, x5, x6, x7)


def _einsum_vjp1(g, ans, subscripts, x0, x1=None, x2=None, x3=None, x4=None, x5=None, x6=None,
                 x7=None, optimize=False):
    spec = _ad.einsum_spec(subscripts, 1, x0, x1, x2, x3, x4, x5, x6, x7)
    return _ad.einsum_expand(_ad.einsum(spec, x0, g, x2, x3, x4, x5, x6, x7, optimize),
                             subscripts, 1, x0, x1, x2, x3, x4, x5, x6, x7)


def _einsum_vjp2(g, ans, subscripts, x0, x1=None, x2=None, x3=None, x4=None, x5=None, x6=None,
                 x7=None, optimize=False):
    spec = _ad.einsum_spec(subscripts, 2, x0, x1, x2, x3, x4, x5, x6, x7)
    return _ad.einsum_expand(_ad.einsum(spec, x0, x1, g, x3, x4, x5, x6, x7, optimize),
                             subscripts, 2, x0, x1, x2, x3, x4, x5, x6, x7)


def _einsum_vjp3(g, ans, subscripts, x0, x1=None, x2=None, x3=None, x4=None, x5=None, x6=None,
                 x7=None, optimize=False):
    spec = _ad.einsum_spec(subscripts, 3, x0, x1, x2, x3, x4, x5, x6, x7)
    return _ad.einsum_expand(_ad.einsum(spec, x0, x1, x2, g, x4, x5, x6, x7, optimize),
                             subscripts, 3, x0, x1, x2, x3, x4, x5, x6, x7)


def _einsum_vjp4(g, ans, subscripts, x0, x1=None, x2=None, x3=None, x4=None, x5=None, x6=None,
                 x7=None, optimize=False):
    spec = _ad.einsum_spec(subscripts, 4, x0, x1, x2, x3, x4, x5, x6, x7)
    return _ad.einsum_expand(_ad.einsum(spec, x0, x1, x2, x3, g, x5, x6, x7, optimize),
                             subscripts, 4, x0, x1, x2, x3, x4, x5, x6, x7)


def _einsum_vjp5(g, ans, subscripts, x0, x1=None, x2=None, x3=None, x4=None, x5=None, x6=None,
                 x7=None, optimize=False):
    spec = _ad.einsum_spec(subscripts, 5, x0, x1, x2, x3, x4, x5, x6, x7)
    return _ad.einsum_expand(_ad.einsum(spec, x0, x1, x2, x3, x4, g, x6, x7, optimize),
                             subscripts, 5, x0, x1, x2, x3, x4, x5, x6, x7)


def _einsum_vjp6(g, ans, subscripts, x0, x1=None, x2=None, x3=None, x4=None, x5=None, x6=None,
                 x7=None, optimize=False):
    spec = _ad.einsum_spec(subscripts, 6, x0, x1, x2, x3, x4, x5, x6, x7)
    return _ad.einsum_expand(_ad.einsum(spec, x0, x1, x2, x3, x4, x5, g, x7, optimize),
                             subscripts, 6, x0, x1, x2, x3, x4, x5, x6, x7)


def _einsum_vjp7(g, ans, subscripts, x0, x1=None, x2=None, x3=None, x4=None, x5=None, x6=None,
                 x7=None, optimize=False):
    spec = _ad.einsum_spec(subscripts, 7, x0, x1, x2, x3, x4, x5, x6, x7)
    return _ad.einsum_expand(_ad.einsum(spec, x0, x1, x2, x3, x4, x5, x6, g, optimize),
                             subscripts, 7, x0, x1, x2, x3, x4, x5, x6, x7)


_EINSUM_JVPS = (
    lambda t, ans, subscripts, x0, x1=None, x2=None, x3=None, x4=None, x5=None, x6=None,
    x7=None, optimize=False: _ad.einsum(subscripts, t, x1, x2, x3, x4, x5, x6, x7, optimize),
    lambda t, ans, subscripts, x0, x1=None, x2=None, x3=None, x4=None, x5=None, x6=None,
    x7=None, optimize=False: _ad.einsum(subscripts, x0, t, x2, x3, x4, x5, x6, x7, optimize),
    lambda t, ans, subscripts, x0, x1=None, x2=None, x3=None, x4=None, x5=None, x6=None,
    x7=None, optimize=False: _ad.einsum(subscripts, x0, x1, t, x3, x4, x5, x6, x7, optimize),
    lambda t, ans, subscripts, x0, x1=None, x2=None, x3=None, x4=None, x5=None, x6=None,
    x7=None, optimize=False: _ad.einsum(subscripts, x0, x1, x2, t, x4, x5, x6, x7, optimize),
    lambda t, ans, subscripts, x0, x1=None, x2=None, x3=None, x4=None, x5=None, x6=None,
    x7=None, optimize=False: _ad.einsum(subscripts, x0, x1, x2, x3, t, x5, x6, x7, optimize),
    lambda t, ans, subscripts, x0, x1=None, x2=None, x3=None, x4=None, x5=None, x6=None,
    x7=None, optimize=False: _ad.einsum(subscripts, x0, x1, x2, x3, x4, t, x6, x7, optimize),
    lambda t, ans, subscripts, x0, x1=None, x2=None, x3=None, x4=None, x5=None, x6=None,
    x7=None, optimize=False: _ad.einsum(subscripts, x0, x1, x2, x3, x4, x5, t, x7, optimize),
    lambda t, ans, subscripts, x0, x1=None, x2=None, x3=None, x4=None, x5=None, x6=None,
    x7=None, optimize=False: _ad.einsum(subscripts, x0, x1, x2, x3, x4, x5, x6, t, optimize),
)
_EINSUM_VJPS = (_einsum_vjp0, _einsum_vjp1, _einsum_vjp2, _einsum_vjp3, _einsum_vjp4,
                _einsum_vjp5, _einsum_vjp6, _einsum_vjp7)

# The interleaved form np.einsum(A, [0, 1], B, [1, 2], [0, 2]) is rewritten in the subscripts
# form these rules read, np.einsum('AB,BC->AC', A, B), where its index lists are written in
# the call (transform._einsum_index_lists_as_subscripts).  With an index list held in a name
# it keeps an operand first, where the subscripts go: a derivative through it is refused
# (`_ad.einsum_spec` refuses the other operands of that form when it runs).
_INTERLEAVED = Refused("no derivative rule for the interleaved form (operands and index lists) "
                       "with an index list that is not written in the call",
                       "Write the index lists in the call, np.einsum(A, [0, 1], B, [1, 2]), "
                       "or the subscripts as a string: np.einsum('ij,jk->ik', A, B).")
# A ninth operand and beyond (NumPy takes up to 64 in all): refused, never a silent zero.
_MANY = Refused("no derivative rule for a ninth operand or beyond",
                "Contract in steps of at most 8 operands: np.einsum('ij,jk->ik', "
                "np.einsum(...), ...).")
for _einsum in (np.einsum, _ad.einsum):
    defvjp(_einsum, _INTERLEAVED, *_EINSUM_VJPS, *[_MANY] * 56)
    defjvp(_einsum, _INTERLEAVED, *_EINSUM_JVPS, *[_MANY] * 56)
deffacts(_ad.einsum, fresh=True)

# linalg.vecdot(x1, x2, axis) = sum(conj(x1) * x2, axis), with broadcasting (as vdot's rules)
if hasattr(np.linalg, "vecdot"):     # NumPy 2
    defvjp(np.linalg.vecdot,
           lambda g, ans, x1, x2, axis=-1:
           _ad.unbroadcast(np.conj(np.expand_dims(g, axis) * x2), x1),
           lambda g, ans, x1, x2, axis=-1:
           _ad.unbroadcast(np.expand_dims(g, axis) * np.conj(x1), x2))
    defjvp(np.linalg.vecdot,
           lambda t, ans, x1, x2, axis=-1: np.linalg.vecdot(t, x2, axis=axis),
           lambda t, ans, x1, x2, axis=-1: np.linalg.vecdot(x1, t, axis=axis))
    # np.linalg's versions of NumPy's products take their rules (outer of two vectors, cross
    # of 3-vectors along `axis`, tensordot); matrix_transpose and diagonal are of the last two
    # axes
    share(np.linalg.outer, np.outer)
    share(np.linalg.cross, np.cross)
    share(np.linalg.tensordot, np.tensordot)
    defvjp(np.linalg.matrix_transpose, lambda g, ans, x: np.swapaxes(g, -1, -2))
    defjvp(np.linalg.matrix_transpose, lambda t, ans, x: np.swapaxes(t, -1, -2))
    defvjp(np.linalg.diagonal,
           lambda g, ans, x, offset=0: _ad.diagonal_grad(g, x, offset, -2, -1))
    defjvp(np.linalg.diagonal,
           lambda t, ans, x, offset=0: np.diagonal(t, offset, -2, -1))
# np.linalg.matmul is np.matmul (without its ufunc keywords)
share(np.linalg.matmul, np.matmul)
deffacts(np.linalg.matmul, batched=MATRIX_PRODUCT, shape=shapes.matrix_product)


# NumPy 2's vecdot is linalg.vecdot as a ufunc; matvec(A, v) = A v and vecmat(v, A) =
# conj(v) A (2.2), both broadcasting over leading axes.
if hasattr(np, "vecdot"):
    share(np.vecdot, np.linalg.vecdot)
if hasattr(np, "matvec"):
    defbilinear(np.matvec,
                lambda g, ans, x1, x2: _ad.unbroadcast(g[..., :, None] * x2[..., None, :], x1),
                lambda g, ans, x1, x2: _ad.unbroadcast(np.matvec(np.matrix_transpose(x1), g),
                                                       x2))
    defbilinear(np.vecmat,
                lambda g, ans, x1, x2: _ad.unbroadcast(np.conj(np.matvec(x2, g)), x1),
                lambda g, ans, x1, x2:
                _ad.unbroadcast(np.conj(x1)[..., :, None] * g[..., None, :], x2))
for _core in (getattr(np, "vecdot", None), getattr(np, "matvec", None),
              getattr(np, "vecmat", None)):
    if _core is not None:
        deffacts(_core, shape=shapes.core_axes(_core))
