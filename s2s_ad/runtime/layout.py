"""Facts about where the elements of a result come from, for the rules of functions that move
elements (rules/numpy_shape_rules.py, numpy_poly_rules.py) and of linear transforms along an
axis (rules/scipy_fft_rules.py).  Each returns axes, masks, positions or a constant matrix:
none carries a derivative (rules/runtime_rules.py lists them as non-differentiable), so the
rules that read them stay written in differentiable calls and can be differentiated again.
Also np.linalg.multi_dot of three arrays as a function of three arguments, which has rules
(frontend/normalize.py): multi_dot_three.
"""
import numpy as np

from s2s_ad.runtime.core import zeros_like
from s2s_ad.runtime.linalg import tuple_like


def meshgrid_axis(i, n, indexing="xy"):
    """The axis along which input i of `np.meshgrid` of n inputs varies in its result: 'xy'
    indexing swaps the first two."""
    if indexing == "xy" and n > 1 and i < 2:
        return 1 - i
    return i


def meshgrid_other_axes(i, n, indexing="xy"):
    """The axes of result i of `np.meshgrid` of n inputs that its input is repeated along."""
    k = meshgrid_axis(i, n, indexing)
    return tuple(j for j in range(n) if j != k)


def meshgrid_shape(i, n, indexing="xy"):
    """Input i of `np.meshgrid` reshaped so that it broadcasts to its result (-1 on its axis)."""
    shape = [1] * n
    shape[meshgrid_axis(i, n, indexing)] = -1
    return tuple(shape)


def one_item(like, i, value):
    """A tuple of zeros like the items of `like`, but `value` at i: the tangent of a result that
    is a tuple whose item i alone depends on the argument (np.meshgrid, np.broadcast_arrays)."""
    return tuple_like(like, [value if j == i else _zero(item, value) for j, item in enumerate(like)])


def _zero(item, value):
    """The zero tangent of `item`; of an integer item (np.frexp's exponents), in the float type
    of `value`, so that float32 stays float32."""
    if np.issubdtype(np.result_type(item), np.inexact):
        return zeros_like(item)
    return np.zeros(np.shape(item), np.result_type(value, np.float32))


def kept_mask(arr, obj, axis=None):
    """The elements of `arr` that `np.delete(arr, obj, axis)` keeps, as a boolean mask shaped
    like arr (flat arr for axis=None): the result is arr[mask], read in C order."""
    flat = np.ravel(arr) if axis is None else np.asarray(arr)
    ax = 0 if axis is None else axis
    keep = np.zeros(np.shape(flat)[ax], dtype=bool)
    keep[np.delete(np.arange(np.shape(flat)[ax]), obj)] = True
    shape = [1] * np.ndim(flat)
    shape[ax] = -1
    return np.broadcast_to(np.reshape(keep, shape), np.shape(flat))


def inserted_labels(arr, obj, values, axis=None):
    """Where the elements of the result of `np.insert(arr, obj, values, axis)` come from:
    (from_arr, from_values) with from_arr the mask of arr's elements (in C order, as in arr)
    and from_values the flat index into values of each other element, -1 at arr's."""
    size = int(np.size(values))
    labels = np.reshape(np.arange(size, dtype=float), np.shape(values))
    source = np.insert(np.full(np.shape(arr), -1.0), obj, labels, axis)
    return source < 0, np.where(source < 0, -1, source).astype(int)


def along_axes(x, matrices, axes, transposed=False):
    """x with matrices[k] (or its transpose) applied along axes[k], one axis after another:
    a separable linear transform (scipy.fft.dctn).  Linear in x; its transpose is the same
    call with `transposed` flipped (rules/runtime_rules.py)."""
    for m, axis in zip(matrices, axes):
        m = np.transpose(m) if transposed else m
        x = np.moveaxis(np.tensordot(m, np.moveaxis(x, axis, 0), 1), 0, axis)
    return x


def fft_axes(a, s=None, axes=None):
    """The axes an n-dimensional real FFT of `a` transforms (all for None), the last one the
    halved axis; a shape `s` is refused (its rules transform the given lengths)."""
    if s is not None:
        raise NotImplementedError("s2s_ad has no derivative rule for a real FFT with s=...: "
                                  "pad or cut the array first")
    return tuple(range(np.ndim(a))) if axes is None else tuple(axes)


def full_widths(in1, in2, out, centre_up=False):
    """The pad widths that put `out`, a convolution of in1 and in2 in mode 'same' or 'valid',
    back in place inside the 'full' one (n1 + n2 - 1 along each axis), centred as SciPy
    centres it: start (full - n) // 2, or (full - n + 1) // 2 with `centre_up`
    (signal.correlate2d's 'same')."""
    widths = []
    for n1, n2, n in zip(np.shape(in1), np.shape(in2), np.shape(out)):
        full = n1 + n2 - 1
        start = (full - n + (1 if centre_up else 0)) // 2
        widths.append((start, full - n - start))
    return tuple(widths)


def correlate2d_widths(in1, in2, out, mode):
    """full_widths for signal.correlate2d, whose 'valid' result with in1 the smaller is not
    a part of its 'full' one: refused."""
    if mode == "valid" and any(n1 < n2 for n1, n2 in zip(np.shape(in1), np.shape(in2))):
        raise NotImplementedError("s2s_ad has no derivative rule for correlate2d(in1, in2, "
                                  "'valid') with in1 smaller than in2: swap them and flip the "
                                  "result, correlate2d(in2, in1, 'valid')[::-1, ::-1]")
    return full_widths(in1, in2, out, mode == "same")


def dct_matrices(fn, x, type, size, axes, norm, orthogonalize):
    """(matrices, axes): the matrix of the 1-D transform `fn` (scipy.fft.dct or idct) of the
    length of x along each of `axes` (all for None), for `along_axes`.  A size (n=, s=: the
    input cut or padded first) is refused."""
    if size is not None:
        raise NotImplementedError(f"s2s_ad has no derivative rule for scipy.fft.{fn.__name__} "
                                  "with n= or s=: pad or cut the array first")
    axes = tuple(range(np.ndim(x))) if axes is None else tuple(np.atleast_1d(axes))
    dtype = np.result_type(x, np.float32)
    matrices = tuple(fn(np.eye(np.shape(x)[a], dtype=dtype), type, None, 0, norm, False, None,
                        orthogonalize) for a in axes)
    return matrices, axes


def multi_dot_three(a, b, c):
    """np.linalg.multi_dot([a, b, c]) (NumPy's order of products: its value, to the last bit),
    as a function of the three arrays, with rules of its own (rules/runtime_rules.py)."""
    return np.linalg.multi_dot([a, b, c])


def swapped_norm(norm):
    """The FFT normalization of the inverse direction (np.fft.hfft is an irfft with it)."""
    return {None: "forward", "backward": "forward", "forward": "backward",
            "ortho": "ortho"}[norm]


def block_split(g, arrays):
    """The cotangents of the arrays of `np.block(arrays)` (nested lists): g split as the blocks
    were joined (the innermost lists along the last axis, the next along the one before ...),
    each piece in its array's own shape.  Linear in g; its transpose is block_join."""
    depth = _block_depth(arrays)
    return _block_pieces(np.asarray(g), arrays, depth, 0)


def block_join(parts, like):
    """`np.block(parts)`, a None part read as zeros shaped like its array in `like`."""
    return np.block(_filled(parts, like))


def _filled(parts, like):
    if isinstance(like, list):
        return [_filled(p, k) for p, k in zip(parts, like)]
    return zeros_like(np.asarray(like, dtype=float)) if parts is None else parts


def _block_depth(arrays):
    return 1 + _block_depth(arrays[0]) if isinstance(arrays, list) else 0


def _block_pieces(g, arrays, depth, level):
    if not isinstance(arrays, list):
        return np.reshape(g, np.shape(arrays))
    axis = level - depth
    sizes = [(1,) * g.ndim + np.shape(np.block(a) if isinstance(a, list) else a)
             for a in arrays]
    bounds = np.cumsum([s[axis] for s in sizes])[:-1]
    return [_block_pieces(piece, a, depth, level + 1)
            for piece, a in zip(np.split(g, bounds, axis), arrays)]
