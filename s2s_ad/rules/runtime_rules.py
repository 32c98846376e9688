"""Rules for the runtime helpers (`s2s_ad.runtime`, imported as `_ad` in generated code).

Generated derivative code calls these helpers, and forward-over-reverse (Hessians) or
reverse-over-reverse differentiates that code again, so every differentiable helper has rules.
Nearly all are linear in their first argument, and come in adjoint pairs:

    unbroadcast <-> broadcast_like     sum_grad <-> np.sum          max_grad <-> max_jvp
    cumsum_grad <-> np.cumsum          diff_grad <-> np.diff        diagonal_grad <-> np.diagonal
    stack_split <-> stack_join         tile_grad <-> np.tile        repeat_grad <-> np.repeat
    pad_grad <-> np.pad                take_grad <-> np.take        select_grad <-> np.select
    einsum_expand <-> einsum_collapse  fit_axis <-> fit_axis        array_grad <-> np.array
    banded_dense <-> dense_banded

The cotangent helpers of bilinear products F(a, b) (`matmul_grad_a/b` for F = matmul, and
likewise dot, inner, tensordot, kron, convolve) close under differentiation:
    Ga(g, a, b) = d<g, F(a, b)>/da:   VJP wrt g: F(h, b);   wrt b: Gb(g, h, b)
    Gb(g, a, b) = d<g, F(a, b)>/db:   VJP wrt g: F(a, h);   wrt a: Ga(g, a, h)

In these rules the incoming cotangent is named `gbar`, the tangent `tdot` and the helper's
result `out`, since the helpers' own parameters are often called `g` and `t`.
"""
import numpy as np

from s2s_ad import runtime as _ad
from s2s_ad.rules import shape_facts as shapes
from s2s_ad.rules.batched_rules import MATMUL_GRAD_A, MATMUL_GRAD_B, fixed
from s2s_ad.rules.registry import (defelementwise, deffacts, defjvp, deflinear, defstructural,
                                   defvjp, nondifferentiable)

# ---- shapes, zeros and accumulation ----

defvjp(_ad.spread, lambda gbar, out, g, items: sum(_ad.broadcast_like(b, g) for b in gbar))
defjvp(_ad.spread, lambda tdot, out, g, items: _ad.spread(tdot, items))
# sign(x) = x / |x|: constant where x is real (0 at 0); where x is complex it turns with x,
# d sign = (dx - sign Re(conj(sign) dx)) / |x|, a map that is its own adjoint (the VJP takes
# JAX's conjugates)
defvjp(_ad.sign, lambda gbar, out, x: _ad.zeros_like(x) if not np.iscomplexobj(x) else
       np.where(out == 0, 0, (gbar - np.conj(out) * np.real(out * gbar))
                / np.where(out == 0, 1, np.abs(x))))
defjvp(_ad.sign, lambda tdot, out, x: _ad.zeros_like(out) if not np.iscomplexobj(x) else
       np.where(out == 0, 0, (tdot - out * np.real(np.conj(out) * tdot))
                / np.where(out == 0, 1, np.abs(x))))
defvjp(_ad.copy_of, lambda gbar, out, x, order="C": gbar)
defjvp(_ad.copy_of, lambda tdot, out, x, order="C": _ad.copy_of(tdot, order))
# a copy has its argument's kind: a copied dict's adjoint is accumulated into as a dict
# (`_ad.add_at`), never as an array (`np.add.at`)
deffacts(_ad.copy_of, kind="first", shape=shapes.like(0), elementwise_in=(0,), fresh=True,
         real=True)
# `x.copy()`: of an array np.copy's, of a list or dict a shallow copy of the same type (not
# np.copy's array); a new value, never x itself
deffacts(_ad.copy_of, methods=("copy",))
# the check of a user rule's result (runtime/user_rules.py) passes its value on unchanged:
# linear, its own transpose (a derivative of `value` has like's shape, so passes the check)
deflinear(_ad.rule_result)
deffacts(_ad.rule_result, kind="first", shape=shapes.like(0), elementwise_in=(0,))
# the cotangent of a value unpacked into items, from theirs: linear in them, its transpose
# the items of the cotangent (an array's rows, a tuple's items)
deflinear(_ad.unpacked_grad, lambda gbar, out, parts, like: tuple(gbar))
deffacts(_ad.unpacked_grad, kind="tuple")      # an array or a tuple: known when it runs
# cotangents of several arrays: a list or tuple of them (array_grad: an array for an array)
deffacts(_ad.spread, _ad.stack_split, _ad.array_grad, _ad.select_grad, kind="tuple")
defvjp(_ad.unbroadcast, lambda gbar, out, g, x: _ad.broadcast_like(gbar, g))
defjvp(_ad.unbroadcast, lambda tdot, out, g, x: _ad.unbroadcast(tdot, x))
defvjp(_ad.broadcast_like, lambda gbar, out, t, z: _ad.unbroadcast(gbar, t))
defjvp(_ad.broadcast_like, lambda tdot, out, t, z: _ad.broadcast_like(tdot, z))
# batched (transforms/batching.py): tdot and gbar carry a leading batch axis
_UNBROADCAST_JVP = lambda tdot, out, g, x: _ad.unbroadcast_batch(tdot, x)  # noqa: E731
_UNBROADCAST_VJP = lambda gbar, out, g, x: _ad.broadcast_batch(gbar, g)  # noqa: E731
_BROADCAST_JVP = lambda tdot, out, t, z: _ad.broadcast_batch(tdot, z)  # noqa: E731
_BROADCAST_VJP = lambda gbar, out, t, z: _ad.unbroadcast_batch(gbar, t)  # noqa: E731
deffacts(_ad.unbroadcast, shape=shapes.like(1), batched=fixed(_UNBROADCAST_JVP, _UNBROADCAST_VJP))
deffacts(_ad.broadcast_like, shape=shapes.like(1), batched=fixed(_BROADCAST_JVP, _BROADCAST_VJP))
defelementwise(_ad.add, lambda out, a, b: 1, lambda out, a, b: 1)   # the seed passes as it is
defvjp(_ad.add_at,
       lambda gbar, out, buf, index, g: gbar,
       None,
       lambda gbar, out, buf, index, g: _ad.unbroadcast(gbar[index], g))
defjvp(_ad.add_at,
       lambda tdot, out, buf, index, g: tdot,
       None,
       lambda tdot, out, buf, index, g: _ad.add_at(_ad.zeros_like(buf), index, tdot))
# pow_slope(a, b, n) is the n-th derivative of a**b in a: its derivative in a is the next one;
# in b, pow_slope_db (which has no rules: a third derivative through an exponent is refused)
defelementwise(_ad.pow_slope,
               lambda out, a, b, n=1: _ad.pow_slope(a, b, n + 1),
               lambda out, a, b, n=1: _ad.pow_slope_db(a, b, n), broadcasts=True)
# (the seed multiplies the numerator: _ad.div(g, b), _ad.div(-g * out, b))
defelementwise(_ad.div,
               lambda out, a, b: _ad.div(1, b),
               lambda out, a, b: _ad.div(-out, b), broadcasts=True)
# (`like` gives a zero its shape: its value has no effect)
defvjp(_ad.item_of,
       lambda gbar, out, adjoint, index, like: _ad.add_at(_ad.zeros_like(adjoint), index, gbar))
defjvp(_ad.item_of, lambda tdot, out, adjoint, index, like: _ad.item_of(tdot, index, like))
defstructural(_ad.add)
defstructural(_ad.add_at)
# `_ad.add(pair_bar, (c_bar, d_bar))` is a tuple where its arguments are: not a number
deffacts(_ad.add, kind="combine")
deffacts(_ad.add_at, kind="first")
defvjp(_ad.sum_grad,
       lambda gbar, out, g, x, axis=None, keepdims=False: np.sum(gbar, axis, keepdims=keepdims))
defjvp(_ad.sum_grad,
       lambda tdot, out, g, x, axis=None, keepdims=False: _ad.sum_grad(tdot, x, axis, keepdims))
_SUM_GRAD_JVP = (lambda tdot, out, g, x, axis=None, keepdims=False:
                 _ad.sum_grad_batch(tdot, x, axis, keepdims))
_SUM_GRAD_VJP = (lambda gbar, out, g, x, axis=None, keepdims=False:
                 np.sum(gbar, _ad.batch_axis(axis, np.ndim(x)), keepdims=keepdims))
deffacts(_ad.sum_grad, shape=shapes.like(1), batched=fixed(_SUM_GRAD_JVP, _SUM_GRAD_VJP))
# x.name of an object: its cotangent is an object of x's type, zero but for that field
defvjp(_ad.attribute, lambda gbar, out, x, name: _ad.attribute_grad(gbar, x, name))
defjvp(_ad.attribute, lambda tdot, out, x, name: _ad.tangent_field(tdot, x, name))
defvjp(_ad.tangent_field, lambda gbar, out, t, x, name: _ad.attribute_grad(gbar, t, name))
defjvp(_ad.tangent_field, lambda tdot, out, t, x, name: _ad.tangent_field(tdot, x, name))
defvjp(_ad.attribute_grad, lambda gbar, out, g, x, name: _ad.attribute(gbar, name))
defjvp(_ad.attribute_grad, lambda tdot, out, g, x, name: _ad.attribute_grad(tdot, x, name))
# a namedtuple or dataclass made in the function: record(cls, names, values) (normalize.py)
defvjp(_ad.record, None, None,
       lambda gbar, out, cls, names, values: _ad.record_fields(gbar, names))
defjvp(_ad.record, None, None,
       lambda tdot, out, cls, names, values: _ad.record_fields_grad(tdot, out, names))
defvjp(_ad.record_fields, lambda gbar, out, x, names: _ad.record_fields_grad(gbar, x, names))
defjvp(_ad.record_fields, lambda tdot, out, x, names: _ad.record_fields(tdot, names))
defvjp(_ad.record_fields_grad,
       lambda gbar, out, g, x, names: _ad.record_fields(gbar, names))
defjvp(_ad.record_fields_grad,
       lambda tdot, out, g, x, names: _ad.record_fields_grad(tdot, x, names))
# `x.name = value` (to_ssa.py): x_1 = with_field(x, name, value), a new object
defvjp(_ad.with_field, lambda gbar, out, x, name, value: _ad.field_cleared(gbar, x, name), None,
       lambda gbar, out, x, name, value: _ad.attribute(gbar, name))
defjvp(_ad.with_field, lambda tdot, out, x, name, value: _ad.field_cleared(tdot, out, name), None,
       lambda tdot, out, x, name, value: _ad.attribute_grad(tdot, out, name))
defvjp(_ad.field_cleared, lambda gbar, out, g, like, name: _ad.field_cleared(gbar, g, name))
defjvp(_ad.field_cleared, lambda tdot, out, g, like, name: _ad.field_cleared(tdot, like, name))
# `obj.h += v`: obj.h, a number (the identity).  Its derivatives pass the seed on as it is,
# not through updated_field, which refuses an array: a batched seed (jacrev) is one
defvjp(_ad.updated_field, lambda gbar, out, value, name: gbar)
defjvp(_ad.updated_field, lambda tdot, out, value, name: tdot)
deffacts(_ad.updated_field, kind="first")
deffacts(_ad.with_field, kind="first")      # an object of x's class (kinds.py)
defstructural(_ad.with_field)
for _helper in (_ad.attribute, _ad.attribute_grad, _ad.record, _ad.record_fields,
                _ad.record_fields_grad, _ad.field_cleared, _ad.tangent_field):
    defstructural(_helper)
    deffacts(_helper, kind="tuple")      # any value: an object, a tuple, an array
# `o.w` is the array o holds (a write into it writes into o), as `t[0]` is
deffacts(_ad.attribute, _ad.record_fields, view=True)
# reading a field is no arithmetic: a loop's `_t = p.w` is read again in the reverse sweep
# rather than saved on the tape (tape_plan._cheap_temporary)
deffacts(_ad.attribute, cheap=True)
defvjp(_ad.scalar_like, lambda gbar, out, v, x: gbar)
defjvp(_ad.scalar_like, lambda tdot, out, v, x: _ad.scalar_like(tdot, x))
deffacts(_ad.scalar_like, elementwise_in=(0,))

# prod_others(a)_i = prod of a_k, k != i (in i's group): d/da_j = prod of a_k, k != i, j, which
# is symmetric in i and j, so one formula serves both modes; it divides by a (second
# derivatives of np.prod assume no zeros)
defvjp(_ad.prod_others,
       lambda gbar, out, a, axis=None: (np.sum(gbar * out, axis, keepdims=True) - gbar * out) / a)
defjvp(_ad.prod_others,
       lambda tdot, out, a, axis=None: (np.sum(tdot * out, axis, keepdims=True) - tdot * out) / a)

# a result's tangent as a tuple of the result's type (a named tuple of np.linalg): linear in
# the items, the type only read from `like`
defvjp(_ad.tuple_like, None, lambda gbar, out, like, items: _ad.tuple_like((), gbar))
defjvp(_ad.tuple_like, None, lambda tdot, out, like, items: _ad.tuple_like(like, tdot))
defstructural(_ad.tuple_like)
deffacts(_ad.tuple_like, kind="tuple")

# ---- bilinear products ----

defvjp(_ad.matmul_grad_a,
       lambda gbar, out, g, a, b: np.matmul(gbar, b),
       None,
       lambda gbar, out, g, a, b: _ad.matmul_grad_b(g, gbar, b))
defjvp(_ad.matmul_grad_a,
       lambda tdot, out, g, a, b: _ad.matmul_grad_a(tdot, a, b),
       None,
       lambda tdot, out, g, a, b: _ad.matmul_grad_a(g, a, tdot))
defvjp(_ad.matmul_grad_b,
       lambda gbar, out, g, a, b: np.matmul(a, gbar),
       lambda gbar, out, g, a, b: _ad.matmul_grad_a(g, a, gbar))
defjvp(_ad.matmul_grad_b,
       lambda tdot, out, g, a, b: _ad.matmul_grad_b(tdot, a, b),
       lambda tdot, out, g, a, b: _ad.matmul_grad_b(g, tdot, b))
deffacts(_ad.matmul_grad_a, shape=shapes.like(1), batched=MATMUL_GRAD_A)
deffacts(_ad.matmul_grad_b, shape=shapes.like(2), batched=MATMUL_GRAD_B)
# sums over a loop's steps (optimize.sum_steps_together): each step is differentiated as above
defvjp(_ad.matmul_grad_b_steps,
       lambda gbar, out, gs, as_, b: [np.matmul(a, gbar) for a in as_],
       lambda gbar, out, gs, as_, b: [_ad.matmul_grad_a(g, a, gbar) for g, a in zip(gs, as_)])
defjvp(_ad.matmul_grad_b_steps,
       lambda tdot, out, gs, as_, b: _ad.matmul_grad_b_steps(tdot, as_, b),
       lambda tdot, out, gs, as_, b: _ad.matmul_grad_b_steps(gs, tdot, b))
defvjp(_ad.matmul_grad_a_steps,
       lambda gbar, out, gs, a, bs: [np.matmul(gbar, b) for b in bs],
       None,
       lambda gbar, out, gs, a, bs: [_ad.matmul_grad_b(g, gbar, b) for g, b in zip(gs, bs)])
defjvp(_ad.matmul_grad_a_steps,
       lambda tdot, out, gs, a, bs: _ad.matmul_grad_a_steps(tdot, a, bs),
       None,
       lambda tdot, out, gs, a, bs: _ad.matmul_grad_a_steps(gs, a, tdot))
defvjp(_ad.unbroadcast_steps, lambda gbar, out, gs, x: [_ad.broadcast_like(gbar, g) for g in gs])
defjvp(_ad.unbroadcast_steps, lambda tdot, out, gs, x: _ad.unbroadcast_steps(tdot, x))
defvjp(_ad.dot_grad_a,
       lambda gbar, out, g, a, b: np.dot(gbar, b),
       None,
       lambda gbar, out, g, a, b: _ad.dot_grad_b(g, gbar, b))
defjvp(_ad.dot_grad_a,
       lambda tdot, out, g, a, b: _ad.dot_grad_a(tdot, a, b),
       None,
       lambda tdot, out, g, a, b: _ad.dot_grad_a(g, a, tdot))
defvjp(_ad.dot_grad_b,
       lambda gbar, out, g, a, b: np.dot(a, gbar),
       lambda gbar, out, g, a, b: _ad.dot_grad_a(g, a, gbar))
defjvp(_ad.dot_grad_b,
       lambda tdot, out, g, a, b: _ad.dot_grad_b(tdot, a, b),
       lambda tdot, out, g, a, b: _ad.dot_grad_b(g, tdot, b))
deffacts(_ad.dot_grad_a, shape=shapes.like(1))
deffacts(_ad.dot_grad_b, shape=shapes.like(2))
defvjp(_ad.inner_grad_a,
       lambda gbar, out, g, a, b: np.inner(gbar, b),
       None,
       lambda gbar, out, g, a, b: _ad.inner_grad_b(g, gbar, b))
defjvp(_ad.inner_grad_a,
       lambda tdot, out, g, a, b: _ad.inner_grad_a(tdot, a, b),
       None,
       lambda tdot, out, g, a, b: _ad.inner_grad_a(g, a, tdot))
defvjp(_ad.inner_grad_b,
       lambda gbar, out, g, a, b: np.inner(a, gbar),
       lambda gbar, out, g, a, b: _ad.inner_grad_a(g, a, gbar))
defjvp(_ad.inner_grad_b,
       lambda tdot, out, g, a, b: _ad.inner_grad_b(tdot, a, b),
       lambda tdot, out, g, a, b: _ad.inner_grad_b(g, tdot, b))
defvjp(_ad.tensordot_grad_a,
       lambda gbar, out, g, a, b, axes=2: np.tensordot(gbar, b, axes),
       None,
       lambda gbar, out, g, a, b, axes=2: _ad.tensordot_grad_b(g, gbar, b, axes))
defjvp(_ad.tensordot_grad_a,
       lambda tdot, out, g, a, b, axes=2: _ad.tensordot_grad_a(tdot, a, b, axes),
       None,
       lambda tdot, out, g, a, b, axes=2: _ad.tensordot_grad_a(g, a, tdot, axes))
defvjp(_ad.tensordot_grad_b,
       lambda gbar, out, g, a, b, axes=2: np.tensordot(a, gbar, axes),
       lambda gbar, out, g, a, b, axes=2: _ad.tensordot_grad_a(g, a, gbar, axes))
defjvp(_ad.tensordot_grad_b,
       lambda tdot, out, g, a, b, axes=2: _ad.tensordot_grad_b(tdot, a, b, axes),
       lambda tdot, out, g, a, b, axes=2: _ad.tensordot_grad_b(g, tdot, b, axes))
defvjp(_ad.kron_grad_a,
       lambda gbar, out, g, a, b: np.kron(gbar, b),
       None,
       lambda gbar, out, g, a, b: _ad.kron_grad_b(g, gbar, b))
defjvp(_ad.kron_grad_a,
       lambda tdot, out, g, a, b: _ad.kron_grad_a(tdot, a, b),
       None,
       lambda tdot, out, g, a, b: _ad.kron_grad_a(g, a, tdot))
defvjp(_ad.kron_grad_b,
       lambda gbar, out, g, a, b: np.kron(a, gbar),
       lambda gbar, out, g, a, b: _ad.kron_grad_a(g, a, gbar))
defjvp(_ad.kron_grad_b,
       lambda tdot, out, g, a, b: _ad.kron_grad_b(tdot, a, b),
       lambda tdot, out, g, a, b: _ad.kron_grad_b(g, tdot, b))
defvjp(_ad.convolve_grad_a,
       lambda gbar, out, g, a, v, mode="full": np.convolve(gbar, v, mode),
       None,
       lambda gbar, out, g, a, v, mode="full": _ad.convolve_grad_b(g, gbar, v, mode))
defjvp(_ad.convolve_grad_a,
       lambda tdot, out, g, a, v, mode="full": _ad.convolve_grad_a(tdot, a, v, mode),
       None,
       lambda tdot, out, g, a, v, mode="full": _ad.convolve_grad_a(g, a, tdot, mode))
defvjp(_ad.convolve_grad_b,
       lambda gbar, out, g, a, v, mode="full": np.convolve(a, gbar, mode),
       lambda gbar, out, g, a, v, mode="full": _ad.convolve_grad_a(g, a, gbar, mode))
defjvp(_ad.convolve_grad_b,
       lambda tdot, out, g, a, v, mode="full": _ad.convolve_grad_b(tdot, a, v, mode),
       lambda tdot, out, g, a, v, mode="full": _ad.convolve_grad_b(g, tdot, v, mode))

# ---- reductions and scans ----

defvjp(_ad.max_grad,
       lambda gbar, out, g, m, x, axis=None, keepdims=False:
       _ad.max_jvp(gbar, m, x, axis, keepdims))
defjvp(_ad.max_grad,
       lambda tdot, out, g, m, x, axis=None, keepdims=False:
       _ad.max_grad(tdot, m, x, axis, keepdims))
deffacts(_ad.max_grad, shape=shapes.like(2))
defvjp(_ad.max_jvp,
       lambda gbar, out, t, m, x, axis=None, keepdims=False:
       _ad.max_grad(gbar, m, x, axis, keepdims))
defjvp(_ad.max_jvp,
       lambda tdot, out, t, m, x, axis=None, keepdims=False:
       _ad.max_jvp(tdot, m, x, axis, keepdims))
defvjp(_ad.cumsum_grad, lambda gbar, out, g, x, axis=None: np.cumsum(gbar, axis))
defjvp(_ad.cumsum_grad, lambda tdot, out, g, x, axis=None: _ad.cumsum_grad(tdot, x, axis))
defvjp(_ad.diff_grad, lambda gbar, out, g, x, n=1, axis=-1: np.diff(gbar, n, axis))
defjvp(_ad.diff_grad, lambda tdot, out, g, x, n=1, axis=-1: _ad.diff_grad(tdot, x, n, axis))
defvjp(_ad.diagonal_grad,
       lambda gbar, out, g, x, offset=0, axis1=0, axis2=1:
       np.diagonal(gbar, offset, axis1, axis2))
defjvp(_ad.diagonal_grad,
       lambda tdot, out, g, x, offset=0, axis1=0, axis2=1:
       _ad.diagonal_grad(tdot, x, offset, axis1, axis2))

# ---- assembling, repeating, selecting ----

defvjp(_ad.stack_split,
       lambda gbar, out, g, arrays, how="concatenate", axis=0:
       _ad.stack_join(gbar, how, axis, arrays))
defjvp(_ad.stack_split,
       lambda tdot, out, g, arrays, how="concatenate", axis=0:
       _ad.stack_split(tdot, arrays, how, axis))
defvjp(_ad.stack_join,
       lambda gbar, out, parts, how="concatenate", axis=0, like=None:
       _ad.stack_split(gbar, parts if like is None else like, how, axis))
defjvp(_ad.stack_join,
       lambda tdot, out, parts, how="concatenate", axis=0, like=None:
       _ad.stack_join(tdot, how, axis, parts if like is None else like))
defvjp(_ad.array_grad, lambda gbar, out, g, obj: np.array(gbar))
defjvp(_ad.array_grad, lambda tdot, out, g, obj: _ad.array_grad(tdot, obj))
defvjp(_ad.tile_grad, lambda gbar, out, g, x, reps: np.tile(gbar, reps))
defjvp(_ad.tile_grad, lambda tdot, out, g, x, reps: _ad.tile_grad(tdot, x, reps))
defvjp(_ad.repeat_grad,
       lambda gbar, out, g, x, repeats, axis=None: np.repeat(gbar, repeats, axis))
defjvp(_ad.repeat_grad,
       lambda tdot, out, g, x, repeats, axis=None: _ad.repeat_grad(tdot, x, repeats, axis))
defvjp(_ad.pad_grad,
       lambda gbar, out, g, x, pad_width, mode="constant": np.pad(gbar, pad_width, mode))
defjvp(_ad.pad_grad,
       lambda tdot, out, g, x, pad_width, mode="constant": _ad.pad_grad(tdot, x, pad_width, mode))
defvjp(_ad.take_grad,
       lambda gbar, out, g, x, indices, axis=None, mode="raise":
       np.take(gbar, indices, axis, None, "wrap" if mode == "raise" else mode))
defjvp(_ad.take_grad,
       lambda tdot, out, g, x, indices, axis=None, mode="raise":
       _ad.take_grad(tdot, x, indices, axis, mode))
defvjp(_ad.take_along_axis_grad,
       lambda gbar, out, g, x, indices, axis=-1:
       np.take_along_axis(np.ravel(gbar) if axis is None else gbar, indices,
                          -1 if axis is None else axis))
defjvp(_ad.take_along_axis_grad,
       lambda tdot, out, g, x, indices, axis=-1: _ad.take_along_axis_grad(tdot, x, indices, axis))
defvjp(_ad.select_grad,
       lambda gbar, out, g, condlist, choicelist:
       _ad.broadcast_like(np.select(condlist, gbar, 0.0), g))
defjvp(_ad.select_grad,
       lambda tdot, out, g, condlist, choicelist: _ad.select_grad(tdot, condlist, choicelist))
# (operands x0..x7, as np.einsum's rules take them)
defvjp(_ad.einsum_expand,
       lambda gbar, out, r, subscripts, i, x0, x1=None, x2=None, x3=None, x4=None, x5=None,
       x6=None, x7=None:
       _ad.einsum_collapse(gbar, subscripts, i, x0, x1, x2, x3, x4, x5, x6, x7))
defjvp(_ad.einsum_expand,
       lambda tdot, out, r, subscripts, i, x0, x1=None, x2=None, x3=None, x4=None, x5=None,
       x6=None, x7=None:
       _ad.einsum_expand(tdot, subscripts, i, x0, x1, x2, x3, x4, x5, x6, x7))
defvjp(_ad.einsum_collapse,
       lambda gbar, out, h, subscripts, i, x0, x1=None, x2=None, x3=None, x4=None, x5=None,
       x6=None, x7=None:
       _ad.einsum_expand(gbar, subscripts, i, x0, x1, x2, x3, x4, x5, x6, x7))
defjvp(_ad.einsum_collapse,
       lambda tdot, out, h, subscripts, i, x0, x1=None, x2=None, x3=None, x4=None, x5=None,
       x6=None, x7=None:
       _ad.einsum_collapse(tdot, subscripts, i, x0, x1, x2, x3, x4, x5, x6, x7))

# (spacings s0..s7, as np.gradient's rules take them)
defvjp(_ad.gradient_grad,
       lambda gbar, out, g, f, s0=None, s1=None, s2=None, s3=None, s4=None, s5=None, s6=None,
       s7=None, axis=None, edge_order=1:
       _ad.gradient(gbar, s0, s1, s2, s3, s4, s5, s6, s7, axis, edge_order))
defjvp(_ad.gradient_grad,
       lambda tdot, out, g, f, s0=None, s1=None, s2=None, s3=None, s4=None, s5=None, s6=None,
       s7=None, axis=None, edge_order=1:
       _ad.gradient_grad(tdot, f, s0, s1, s2, s3, s4, s5, s6, s7, axis, edge_order))
deffacts(_ad.gradient_grad, shape=shapes.like(1))

# piecewise_place(y, mask, v): y outside the mask, v inside
defvjp(_ad.piecewise_place,
       lambda gbar, out, y, mask, v: np.where(mask, 0.0, gbar),
       None,
       lambda gbar, out, y, mask, v: _ad.unbroadcast(np.asarray(gbar)[mask], v))
defjvp(_ad.piecewise_place,
       lambda tdot, out, y, mask, v: np.where(mask, 0.0, tdot),
       None,
       lambda tdot, out, y, mask, v: _ad.piecewise_place(0.0 * out, mask, tdot))
deffacts(_ad.piecewise_place, kind="array", shape=shapes.like(0), fresh=True)

# distinct_eigenvalues(w) is w, checked when it runs
# (elementwise with slope 1, not deflinear: its JVP must not check the tangent's values)
defelementwise(_ad.distinct_eigenvalues, lambda out, w: 1)
# it raises where eigenvalues repeat: never dropped, though its result may go unused
deffacts(_ad.distinct_eigenvalues, shape=shapes.like(0), elementwise_in=(0,), pure=False)

# ---- Fourier, interpolation, histograms, special functions ----

defvjp(_ad.fit_axis, lambda gbar, out, x, like, axis=-1: _ad.fit_axis(gbar, x, axis))
defjvp(_ad.fit_axis, lambda tdot, out, x, like, axis=-1: _ad.fit_axis(tdot, like, axis))
# interp_fp_grad(g, x, ...) = sum_j g_j w(x_j) with w the hat weights of x_j on xp: linear in g;
# in x its slope is that of np.interp in x, with gbar in place of fp (x the query points and
# fp both differentiated: a Hessian's cross term), and its tangent the adjoint of that map
# (take and diff transposed)
defvjp(_ad.interp_fp_grad,
       lambda gbar, out, g, x, xp, fp, left=None, right=None:
       np.interp(x, xp, gbar, None if left is None else 0.0, None if right is None else 0.0),
       lambda gbar, out, g, x, xp, fp, left=None, right=None:
       _ad.unbroadcast(g * np.take(np.diff(gbar) / np.diff(xp), _ad.interp_slope(x, xp, fp)[0])
                       * _ad.interp_slope(x, xp, fp)[1], x))
defjvp(_ad.interp_fp_grad,
       lambda tdot, out, g, x, xp, fp, left=None, right=None:
       _ad.interp_fp_grad(tdot, x, xp, fp, left, right),
       lambda tdot, out, g, x, xp, fp, left=None, right=None:
       _ad.diff_grad(_ad.take_grad(g * tdot * _ad.interp_slope(x, xp, fp)[1], np.diff(fp),
                                   _ad.interp_slope(x, xp, fp)[0]) / np.diff(xp), fp))
defvjp(_ad.histogram_weights_grad,
       lambda gbar, out, g, a, edges, weights: np.histogram(a, edges, weights=gbar)[0])
defjvp(_ad.histogram_weights_grad,
       lambda tdot, out, g, a, edges, weights: _ad.histogram_weights_grad(tdot, a, edges, weights))
defelementwise(_ad.polygamma, None, lambda out, n, x: _ad.polygamma(n + 1, x))
defelementwise(_ad.sinc_derivative, None, lambda out, n, x: _ad.sinc_derivative(n + 1, x))
deffacts(_ad.sinc_derivative, shape=shapes.like(1))
# banded storage <-> dense matrix (scipy.linalg.solve_banded's rules): linear, each the
# other's transpose
defvjp(_ad.banded_dense, None, lambda gbar, out, l_and_u, ab: _ad.dense_banded(l_and_u, gbar))
defjvp(_ad.banded_dense, None, lambda tdot, out, l_and_u, ab: _ad.banded_dense(l_and_u, tdot))
defvjp(_ad.dense_banded, None, lambda gbar, out, l_and_u, a: _ad.banded_dense(l_and_u, gbar))
defjvp(_ad.dense_banded, None, lambda tdot, out, l_and_u, a: _ad.dense_banded(l_and_u, tdot))

# a separable transform along axes (scipy.fft.dctn's rules): linear in x, its transpose the
# same call with `transposed` flipped
deflinear(_ad.along_axes,
          lambda g, ans, x, matrices, axes, transposed=False:
          _ad.along_axes(g, matrices, axes, not transposed))

# a tuple of zeros with `value` at i (the tangent of np.meshgrid's, np.modf's ... tuple): the
# cotangent of value is item i of g
defvjp(_ad.one_item, None, None, lambda g, ans, like, i, value: g[i])
defjvp(_ad.one_item, None, None, lambda t, ans, like, i, value: _ad.one_item(like, i, t))
deffacts(_ad.one_item, kind="tuple")

# the pieces of np.block and the blocks joined again: linear, each the other's transpose
defvjp(_ad.block_split, lambda gbar, out, g, arrays: _ad.block_join(gbar, arrays))
defjvp(_ad.block_split, lambda tdot, out, g, arrays: _ad.block_split(tdot, arrays))
defvjp(_ad.block_join, lambda gbar, out, parts, like: _ad.block_split(gbar, like))
defjvp(_ad.block_join, lambda tdot, out, parts, like: _ad.block_join(tdot, like))
deffacts(_ad.block_split, kind="tuple")
deffacts(_ad.block_join, kind="array", fresh=True)


# np.linalg.multi_dot([a, b, c]) (normalize.py): linear in each array.  A 1-D a is a row and a
# 1-D c a column (as multi_dot reads them), so the rules work with the 2-D forms a2, c2 and
# the result as a2 @ b @ c2, whose cotangent g2 is g in that shape.
def _multi_dot_vjp_a(g, ans, a, b, c):
    c2 = np.reshape(c, (np.shape(c)[0], -1))
    g2 = np.reshape(g, (-1, np.shape(c2)[1]))
    return np.reshape(np.matmul(g2, np.transpose(np.matmul(b, c2))), np.shape(a))


def _multi_dot_vjp_b(g, ans, a, b, c):
    a2 = np.reshape(a, (-1, np.shape(a)[-1]))
    c2 = np.reshape(c, (np.shape(c)[0], -1))
    g2 = np.reshape(g, (np.shape(a2)[0], np.shape(c2)[1]))
    return np.matmul(np.matmul(np.transpose(a2), g2), np.transpose(c2))


def _multi_dot_vjp_c(g, ans, a, b, c):
    a2 = np.reshape(a, (-1, np.shape(a)[-1]))
    g2 = np.reshape(g, (np.shape(a2)[0], -1))
    return np.reshape(np.matmul(np.transpose(np.matmul(a2, b)), g2), np.shape(c))


defvjp(_ad.multi_dot_three, _multi_dot_vjp_a, _multi_dot_vjp_b, _multi_dot_vjp_c)
defjvp(_ad.multi_dot_three,
       lambda t, ans, a, b, c: _ad.multi_dot_three(t, b, c),
       lambda t, ans, a, b, c: _ad.multi_dot_three(a, t, c),
       lambda t, ans, a, b, c: _ad.multi_dot_three(a, b, t))
deffacts(_ad.multi_dot_three, kind="num", fresh=True, real=True)   # a number for two vectors

# ---- non-differentiable helpers (shapes, indices, errors) ----

nondifferentiable(
    _ad.zeros_like, _ad.unsupported, _ad.inverse_axes, _ad.rollaxis_dest, _ad.weights_shape,
    _ad.einsum_spec, _ad.irfft_weights, _ad.interp_slope, _ad.histogram_bin, _ad.last_writes,
    _ad.saved_item, _ad.restore_item, _ad.quantile_weights, _ad.quantile_axes, _ad.keys_of,
    _ad.check_walked, _ad.norm_form, _ad.singular_values_used,
    _ad.reduced_svd, _ad.reduced_qr, _ad.along_axis_index, _ad.largest_entries,
    _ad.full_rank, _ad.piecewise_masks, _ad.piecewise_start,
    _ad.lu_pivots_matrix, _ad.running_extremum_index, _ad.check_unshared, _ad.meshgrid_axis,
    _ad.meshgrid_other_axes, _ad.meshgrid_shape,
    _ad.kept_mask, _ad.inserted_labels, _ad.fft_axes, _ad.full_widths,
    _ad.correlate2d_widths, _ad.dct_matrices, _ad.swapped_norm,
)
deffacts(_ad.zeros_like, kind="first", shape=shapes.like(0), fresh=True)
# Helpers that do something besides computing a value: the optimiser may neither drop, merge
# nor move them across other statements (as a function of the runtime it would assume so).
# A raise, a failed assert or a dict changed while walked stops the function where it stands;
# the NumPy error state applies between its push and its pop.
deffacts(_ad.raise_exception, _ad.check_assertion, _ad.check_walked, _ad.push_errstate,
         _ad.pop_errstate, _ad.check_unshared, pure=False)
