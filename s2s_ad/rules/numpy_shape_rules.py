"""Rules for NumPy functions that move, copy, select or assemble elements (all linear).

The VJP of each is its adjoint: reshape back, transpose back, add the tiles/repeats/pads back,
split what was joined.  A function linear in its array is one statement (registry.deflinear):
its JVP is the function itself, applied to the tangent; what is written is the transpose.
Functions returning a list (split family) receive a list cotangent `g` whose entries may be
None (zero); functions taking a sequence (concatenate, stack ...) return a list (or tuple) of
cotangents.

Contents:
    reshaping       reshape ravel squeeze expand_dims atleast_1d/2d/3d broadcast_to copy array
    axes            transpose/permute_dims matrix_transpose swapaxes moveaxis rollaxis
    assembling      concatenate stack vstack hstack dstack column_stack append
    splitting       split array_split hsplit vsplit dsplit
    repeating       tile repeat pad
    reordering      flip flipud fliplr roll rot90 sort partition
    selecting       diag diagflat diagonal triu tril where select take take_along_axis
"""
import numpy as np

from s2s_ad import runtime as _ad
from s2s_ad.rules import shape_facts as shapes
from s2s_ad.rules.batched_rules import fixed
from s2s_ad.rules.registry import Refused, deffacts, defjvp, deflinear, defstructural, defvjp

# ---- reshaping ----

deflinear(np.reshape,
          lambda g, ans, a, shape=None, order="C": np.reshape(g, np.shape(a), order=order))
deflinear(np.ravel, lambda g, ans, a, order="C": np.reshape(g, np.shape(a), order=order))
# batched (transforms/batching.py): t and g carry a leading batch axis
_RESHAPE_JVP = (lambda t, ans, a, shape=None, order="C": _ad.batch_reshape(t, shape, order))
_RESHAPE_VJP = (lambda g, ans, a, shape=None, order="C":
                _ad.batch_reshape(g, np.shape(a), order))
_RAVEL_JVP = lambda t, ans, a, order="C": _ad.batch_reshape(t, -1, order)  # noqa: E731
_RAVEL_VJP = lambda g, ans, a, order="C": _ad.batch_reshape(g, np.shape(a), order)  # noqa: E731
deffacts(np.reshape, shape=shapes.reshaped, batched=fixed(_RESHAPE_JVP, _RESHAPE_VJP),
         methods=("reshape",), method_packs=True, view=True, real=True)
deffacts(np.ravel, shape=shapes.flattened, batched=fixed(_RAVEL_JVP, _RAVEL_VJP),
         methods=("ravel", "flatten"), view=True, real=True)
deflinear(np.squeeze, lambda g, ans, a, axis=None: np.reshape(g, np.shape(a)))
deffacts(np.squeeze, methods=("squeeze",), view=True, real=True)
deflinear(np.expand_dims, lambda g, ans, a, axis: np.reshape(g, np.shape(a)))
deffacts(np.expand_dims, view=True, real=True)
# atleast_Nd take any number of arrays; the rules cover the one-array call, and a derivative
# through a second array is refused (it was a silent zero).
_ONE_ARRAY = Refused("no derivative rule for a second array",
                     "Call it once per array: a, b = np.atleast_1d(x), np.atleast_1d(y).")
defvjp(np.atleast_1d, lambda g, ans, a: np.reshape(g, np.shape(a)), *[_ONE_ARRAY] * 15)
defjvp(np.atleast_1d, lambda t, ans, a: np.atleast_1d(t), *[_ONE_ARRAY] * 15)
deffacts(np.atleast_1d, view=True)
defvjp(np.atleast_2d, lambda g, ans, a: np.reshape(g, np.shape(a)), *[_ONE_ARRAY] * 15)
defjvp(np.atleast_2d, lambda t, ans, a: np.atleast_2d(t), *[_ONE_ARRAY] * 15)
deffacts(np.atleast_2d, view=True)
defvjp(np.atleast_3d, lambda g, ans, a: np.reshape(g, np.shape(a)), *[_ONE_ARRAY] * 15)
defjvp(np.atleast_3d, lambda t, ans, a: np.atleast_3d(t), *[_ONE_ARRAY] * 15)
deffacts(np.atleast_3d, view=True)
deflinear(np.broadcast_to, lambda g, ans, array, shape, subok=False: _ad.unbroadcast(g, array))
deffacts(np.broadcast_to, view=True, real=True)
# (its JVP copies too: np.copy(t), never t itself, which may be written into in place)
deflinear(np.copy, lambda g, ans, a, order="K", subok=False: g)
# np.copy gives an array whatever it is given (a number, a list); `x.copy()` is _ad.copy_of
deffacts(np.copy, kind="array", shape=shapes.like(0), elementwise_in=(0,), fresh=True,
         real=True)
# np.array / np.asarray of an array, a number, or (nested) lists of them.
deflinear(np.array, lambda g, ans, object, dtype=None: _ad.array_grad(g, object))
deffacts(np.array, kind="array")
deflinear(np.asarray, lambda g, ans, a, dtype=None: _ad.array_grad(g, a))
deffacts(np.asarray, view=True)

# ---- axes ----

deflinear(np.transpose,
          lambda g, ans, a, axes=None: np.transpose(g, _ad.inverse_axes(axes, np.ndim(a))))
_TRANSPOSE_JVP = (lambda t, ans, a, axes=None:
                  np.transpose(t, _ad.batch_axes(axes, np.ndim(a))))
_TRANSPOSE_VJP = (lambda g, ans, a, axes=None:
                  np.transpose(g, _ad.batch_axes(_ad.inverse_axes(axes, np.ndim(a)), np.ndim(a))))
deffacts(np.transpose, shape=shapes.reversed_axes, batched=fixed(_TRANSPOSE_JVP, _TRANSPOSE_VJP),
         methods=("transpose",), method_packs=True, attributes=("T",), view=True, real=True)
if hasattr(np, "matrix_transpose"):     # NumPy 2
    deflinear(np.matrix_transpose)           # its own transpose
    deffacts(np.matrix_transpose, attributes=("mT",), view=True, real=True)
deflinear(np.swapaxes)
deffacts(np.swapaxes, methods=("swapaxes",), view=True, real=True)
deflinear(np.moveaxis,
          lambda g, ans, a, source, destination: np.moveaxis(g, destination, source))
deffacts(np.moveaxis, view=True)
deflinear(np.rollaxis,
          lambda g, ans, a, axis, start=0:
          np.moveaxis(g, _ad.rollaxis_dest(np.ndim(a), axis, start), axis))

# ---- assembling ----

defvjp(np.concatenate,
       lambda g, ans, arrays, axis=0: _ad.stack_split(g, arrays, "concatenate", axis))
defjvp(np.concatenate,
       lambda t, ans, arrays, axis=0: _ad.stack_join(t, "concatenate", axis, arrays))
deffacts(np.concatenate, fresh=True)
defvjp(np.stack, lambda g, ans, arrays, axis=0: _ad.stack_split(g, arrays, "stack", axis))
defjvp(np.stack, lambda t, ans, arrays, axis=0: _ad.stack_join(t, "stack", axis, arrays))
deffacts(np.stack, fresh=True)
defvjp(np.vstack, lambda g, ans, tup: _ad.stack_split(g, tup, "vstack"))
defjvp(np.vstack, lambda t, ans, tup: _ad.stack_join(t, "vstack", 0, tup))
defvjp(np.hstack, lambda g, ans, tup: _ad.stack_split(g, tup, "hstack"))
defjvp(np.hstack, lambda t, ans, tup: _ad.stack_join(t, "hstack", 0, tup))
deffacts(np.concatenate, np.stack, np.vstack, np.hstack, kind="array")
defvjp(np.dstack, lambda g, ans, tup: _ad.stack_split(g, tup, "dstack"))
defjvp(np.dstack, lambda t, ans, tup: _ad.stack_join(t, "dstack", 0, tup))
defvjp(np.column_stack, lambda g, ans, tup: _ad.stack_split(g, tup, "column_stack"))
defjvp(np.column_stack, lambda t, ans, tup: _ad.stack_join(t, "column_stack", 0, tup))

# append(arr, values, axis) is concatenate((arr, values), axis) (flat for axis=None).
defvjp(np.append,
       lambda g, ans, arr, values, axis=None:
       _ad.stack_split(g, (arr, values), "concatenate", axis)[0],
       lambda g, ans, arr, values, axis=None:
       _ad.stack_split(g, (arr, values), "concatenate", axis)[1])
defjvp(np.append,
       lambda t, ans, arr, values, axis=None: np.append(t, _ad.zeros_like(values), axis),
       lambda t, ans, arr, values, axis=None: np.append(_ad.zeros_like(arr), t, axis))
deffacts(np.append, kind="array", fresh=True, real=True)

# ---- splitting (the result is a list; g is a list whose entries may be None) ----

deflinear(np.split,
          lambda g, ans, ary, indices_or_sections, axis=0:
          _ad.stack_join(g, "concatenate", axis, ans))
deflinear(np.array_split,
          lambda g, ans, ary, indices_or_sections, axis=0:
          _ad.stack_join(g, "concatenate", axis, ans))
deflinear(np.hsplit,
          lambda g, ans, ary, indices_or_sections: _ad.stack_join(g, "hstack", 0, ans))
deflinear(np.vsplit,
          lambda g, ans, ary, indices_or_sections: _ad.stack_join(g, "vstack", 0, ans))
deflinear(np.dsplit,
          lambda g, ans, ary, indices_or_sections: _ad.stack_join(g, "dstack", 0, ans))
deffacts(np.split, np.array_split, np.hsplit, np.vsplit, np.dsplit, kind="tuple")

# ---- repeating ----

deflinear(np.tile, lambda g, ans, A, reps: _ad.tile_grad(g, A, reps))
deflinear(np.repeat, lambda g, ans, a, repeats, axis=None: _ad.repeat_grad(g, a, repeats, axis))
deffacts(np.repeat, methods=("repeat",))
# Modes constant (any constant_values), edge, reflect, symmetric and wrap.  Affine, not linear
# (constant_values): its tangent pads with zeros.
defvjp(np.pad,
       lambda g, ans, array, pad_width, mode="constant", constant_values=0:
       _ad.pad_grad(g, array, pad_width, mode))
defjvp(np.pad,
       lambda t, ans, array, pad_width, mode="constant", constant_values=0:
       np.pad(t, pad_width, mode))

# ---- reordering ----

# flips, triu, tril and swapaxes are their own transposes: deflinear(fn) alone
deflinear(np.flip)
deffacts(np.flip, view=True)
deflinear(np.flipud)
deffacts(np.flipud, view=True)
deflinear(np.fliplr)
deffacts(np.fliplr, view=True)
deflinear(np.roll, lambda g, ans, a, shift, axis=None: np.roll(g, np.negative(shift), axis))
deffacts(np.flip, np.flipud, np.fliplr, np.roll, shape=shapes.like(0))
deflinear(np.rot90, lambda g, ans, m, k=1, axes=(0, 1): np.rot90(g, -k, axes))
deffacts(np.rot90, view=True)
# sort: values move with their argsort permutation.
defvjp(np.sort,
       lambda g, ans, a, axis=-1, kind=None, order=None:
       _ad.take_along_axis_grad(g, a, np.argsort(a, axis, kind), axis))
defjvp(np.sort,
       lambda t, ans, a, axis=-1, kind=None, order=None:
       np.take_along_axis(np.ravel(t) if axis is None else t, np.argsort(a, axis, kind),
                          -1 if axis is None else axis))
# (not `x.sort()`, which sorts x in place and gives None: refused, analysis/ops.py)
deffacts(np.sort, shape=shapes.along_axis_or_flat(-1))
# partition: where each value of the result came from, found by sorting both (distinct values;
# argpartition need not order the other elements as partition does).
defvjp(np.partition,
       lambda g, ans, a, kth, axis=-1, kind="introselect", order=None:
       _ad.take_along_axis_grad(g, a, np.take_along_axis(
           np.argsort(a, axis), np.argsort(np.argsort(ans, axis), axis),
           -1 if axis is None else axis), axis))
defjvp(np.partition,
       lambda t, ans, a, kth, axis=-1, kind="introselect", order=None:
       np.take_along_axis(np.ravel(t) if axis is None else t, np.take_along_axis(
           np.argsort(a, axis), np.argsort(np.argsort(ans, axis), axis),
           -1 if axis is None else axis), -1 if axis is None else axis))

# ---- selecting ----

deflinear(np.diag,
          lambda g, ans, v, k=0:
          np.diag(g, k) if np.ndim(v) == 1 else _ad.diagonal_grad(g, v, k))
deflinear(np.diagflat, lambda g, ans, v, k=0: np.reshape(np.diagonal(g, k), np.shape(v)))
deflinear(np.diagonal,
          lambda g, ans, a, offset=0, axis1=0, axis2=1:
          _ad.diagonal_grad(g, a, offset, axis1, axis2))
deffacts(np.diagonal, methods=("diagonal",), view=True, real=True)
deflinear(np.triu)
deflinear(np.tril)
# where(condition, x, y) is linear in x and y together, not in each alone (where(c, t, y) is
# no tangent): a rule for each mode
defvjp(np.where,
       None,
       lambda g, ans, condition, x, y: np.where(condition, g, 0.0),
       lambda g, ans, condition, x, y: np.where(condition, 0.0, g), broadcasts=True)
defjvp(np.where,
       None,
       lambda t, ans, condition, x, y: np.where(condition, t, 0.0),
       lambda t, ans, condition, x, y: np.where(condition, 0.0, t), broadcasts=True)
deffacts(np.where, elementwise_in=(1, 2), real=True)
defvjp(np.select,
       None,
       lambda g, ans, condlist, choicelist, default=0: _ad.select_grad(g, condlist, choicelist),
       lambda g, ans, condlist, choicelist, default=0:
       _ad.unbroadcast(np.select(condlist, _ad.zeros_like(condlist), g), default))
defjvp(np.select,
       None,
       lambda t, ans, condlist, choicelist, default=0:
       _ad.broadcast_like(np.select(condlist, t, 0.0), ans),
       lambda t, ans, condlist, choicelist, default=0:
       _ad.broadcast_like(np.select(condlist, _ad.zeros_like(condlist), t), ans))
# (not deflinear: the tangent never goes into the caller's `out`)
defvjp(np.take,
       lambda g, ans, a, indices, axis=None, out=None, mode="raise":
       _ad.take_grad(g, a, indices, axis, mode))
defjvp(np.take,
       lambda t, ans, a, indices, axis=None, out=None, mode="raise":
       np.take(t, indices, axis, None, mode))
deffacts(np.take, methods=("take",))
deflinear(np.take_along_axis,
          lambda g, ans, arr, indices, axis=-1: _ad.take_along_axis_grad(g, arr, indices, axis))

# ---- grids and tuples of arrays (the result is a tuple; g a tuple of cotangents) ----

# meshgrid(x0, x1, ...): result i is x_i (flattened) repeated along every axis but its own
# (`_ad.meshgrid_axis`; 'xy' indexing swaps the first two), so its cotangent is g[i] summed
# over the others.  Up to four arrays; a fifth is refused, never a silent zero.
_FOUR_ARRAYS = Refused("no derivative rule for a fifth array",
                       "Build the grid of at most four arrays per call.")


_MESHGRID_VJPS = (
    lambda g, ans, x0, x1=None, x2=None, x3=None, *, copy=True, sparse=False, indexing="xy":
    np.reshape(np.sum(g[0], _ad.meshgrid_other_axes(0, len(ans), indexing)), np.shape(x0)),
    lambda g, ans, x0, x1=None, x2=None, x3=None, *, copy=True, sparse=False, indexing="xy":
    np.reshape(np.sum(g[1], _ad.meshgrid_other_axes(1, len(ans), indexing)), np.shape(x1)),
    lambda g, ans, x0, x1=None, x2=None, x3=None, *, copy=True, sparse=False, indexing="xy":
    np.reshape(np.sum(g[2], _ad.meshgrid_other_axes(2, len(ans), indexing)), np.shape(x2)),
    lambda g, ans, x0, x1=None, x2=None, x3=None, *, copy=True, sparse=False, indexing="xy":
    np.reshape(np.sum(g[3], _ad.meshgrid_other_axes(3, len(ans), indexing)), np.shape(x3)))
# (the tangent of x_i is t spread along result i's grid, the other results' are zero)
_MESHGRID_JVPS = (
    lambda t, ans, x0, x1=None, x2=None, x3=None, *, copy=True, sparse=False, indexing="xy":
    _ad.one_item(ans, 0, np.array(np.broadcast_to(
        np.reshape(t, _ad.meshgrid_shape(0, len(ans), indexing)), np.shape(ans[0])))),
    lambda t, ans, x0, x1=None, x2=None, x3=None, *, copy=True, sparse=False, indexing="xy":
    _ad.one_item(ans, 1, np.array(np.broadcast_to(
        np.reshape(t, _ad.meshgrid_shape(1, len(ans), indexing)), np.shape(ans[1])))),
    lambda t, ans, x0, x1=None, x2=None, x3=None, *, copy=True, sparse=False, indexing="xy":
    _ad.one_item(ans, 2, np.array(np.broadcast_to(
        np.reshape(t, _ad.meshgrid_shape(2, len(ans), indexing)), np.shape(ans[2])))),
    lambda t, ans, x0, x1=None, x2=None, x3=None, *, copy=True, sparse=False, indexing="xy":
    _ad.one_item(ans, 3, np.array(np.broadcast_to(
        np.reshape(t, _ad.meshgrid_shape(3, len(ans), indexing)), np.shape(ans[3])))))
defvjp(np.meshgrid, *_MESHGRID_VJPS, *[_FOUR_ARRAYS] * 12)
defjvp(np.meshgrid, *_MESHGRID_JVPS, *[_FOUR_ARRAYS] * 12)
# broadcast_arrays(x0, x1, ...): result i is x_i broadcast to the common shape.
defvjp(np.broadcast_arrays,
       lambda g, ans, x0, x1=None, x2=None, x3=None: _ad.unbroadcast(g[0], x0),
       lambda g, ans, x0, x1=None, x2=None, x3=None: _ad.unbroadcast(g[1], x1),
       lambda g, ans, x0, x1=None, x2=None, x3=None: _ad.unbroadcast(g[2], x2),
       lambda g, ans, x0, x1=None, x2=None, x3=None: _ad.unbroadcast(g[3], x3),
       *[_FOUR_ARRAYS] * 12)
defjvp(np.broadcast_arrays,
       lambda t, ans, x0, x1=None, x2=None, x3=None:
       _ad.one_item(ans, 0, np.array(np.broadcast_to(t, np.shape(ans[0])))),
       lambda t, ans, x0, x1=None, x2=None, x3=None:
       _ad.one_item(ans, 1, np.array(np.broadcast_to(t, np.shape(ans[1])))),
       lambda t, ans, x0, x1=None, x2=None, x3=None:
       _ad.one_item(ans, 2, np.array(np.broadcast_to(t, np.shape(ans[2])))),
       lambda t, ans, x0, x1=None, x2=None, x3=None:
       _ad.one_item(ans, 3, np.array(np.broadcast_to(t, np.shape(ans[3])))),
       *[_FOUR_ARRAYS] * 12)
if hasattr(np, "unstack"):     # NumPy 2.1: the items along `axis`, the transpose of np.stack
    deflinear(np.unstack, lambda g, ans, x, *, axis=0: _ad.stack_join(g, "stack", axis, ans))
    deffacts(np.unstack, kind="tuple")

# ---- deleting and inserting ----


# delete keeps the elements `_ad.kept_mask` marks (in C order): its transpose puts g there.
def _delete_transpose(g, ans, arr, obj, axis=None):
    mask = _ad.kept_mask(arr, obj, axis)
    zeros = np.reshape(_ad.zeros_like(arr), np.shape(mask))
    return np.reshape(_ad.piecewise_place(zeros, mask, np.ravel(g)), np.shape(arr))


deflinear(np.delete, _delete_transpose)
deffacts(np.delete, kind="array", fresh=True, real=True)


# insert(arr, obj, values, axis) is linear in arr and values together: each element of the
# result is one of arr's (in C order) or one of values' (`_ad.inserted_labels`; values
# broadcast, so one of them may fill several places, whose cotangents add up).
def _insert_vjp_arr(g, ans, arr, obj, values, axis=None):
    source = _ad.inserted_labels(arr, obj, values, axis)
    return np.reshape(g[source[0]], np.shape(arr))


def _insert_vjp_values(g, ans, arr, obj, values, axis=None):
    source = _ad.inserted_labels(arr, obj, values, axis)
    placed = np.logical_not(source[0])
    return np.reshape(_ad.add_at(_ad.zeros_like(np.ravel(values)), source[1][placed],
                                 g[placed]), np.shape(values))


defvjp(np.insert, _insert_vjp_arr, None, _insert_vjp_values)
defjvp(np.insert,
       lambda t, ans, arr, obj, values, axis=None:
       np.insert(t, obj, _ad.zeros_like(values), axis),
       None,
       lambda t, ans, arr, obj, values, axis=None: np.insert(_ad.zeros_like(arr), obj, t, axis))
deffacts(np.insert, kind="array", fresh=True, real=True)

# sort_complex: a (complex) result ordered by real then imaginary part, as np.argsort orders
# complex values; a real a gets the real part of its cotangent.
defvjp(np.sort_complex,
       lambda g, ans, a: np.real(_ad.take_along_axis_grad(g, a, np.argsort(a), -1))
       if np.isrealobj(a) else _ad.take_along_axis_grad(g, a, np.argsort(a), -1))
defjvp(np.sort_complex,
       lambda t, ans, a: np.take_along_axis(t, np.argsort(a), -1) * (1 + 0j))
deffacts(np.sort_complex, kind="array", fresh=True)
# block(arrays): nested lists joined along the last axes; g is split back the same way (the
# tangent joins the arrays' tangents, zeros for those that have none)
defvjp(np.block, lambda g, ans, arrays: _ad.block_split(g, arrays))
defjvp(np.block, lambda t, ans, arrays: _ad.block_join(t, arrays))
deffacts(np.block, kind="array", fresh=True)
# (tuples: the tangents that several arguments cause add item by item, `_ad.add`)
defstructural(np.meshgrid)
defstructural(np.broadcast_arrays)
