"""The batched counterparts of the core helpers, for jacfwd and jacrev (transforms/batching.py):
a derivative with one leading batch axis."""

import numpy as np

from s2s_ad.runtime.core import reduction_plan


# ---- batched tangents and cotangents (jacfwd/jacrev, see batching.py) ----
#
# In the batched modes a derivative carries one leading batch axis: the tangent of a value of
# shape s has shape (B,) + s.  These helpers are the batched counterparts of the ones above.

def batch_axis(axis, ndim):
    """The axis argument of a reduction over a batched value: each axis moved up by one."""
    if axis is None:
        return tuple(range(1, ndim + 1))
    if np.ndim(axis) == 0:
        return int(axis) % ndim + 1
    return tuple(int(a) % ndim + 1 for a in axis)


def batch_axes(axes, ndim):
    """The permutation of np.transpose for a batched value: the batch axis stays first."""
    if axes is None:
        return (0,) + tuple(range(ndim, 0, -1))
    return (0,) + tuple(int(a) % ndim + 1 for a in axes)


def batch_reshape(t, shape, order="C"):
    """Each item of the batch `t` reshaped to `shape`."""
    shape = tuple(shape) if np.ndim(shape) else (shape,)
    if order == "C":
        return np.reshape(t, (np.shape(t)[0],) + shape)
    return np.stack([np.reshape(item, shape, order=order) for item in t])


def unbroadcast_batch(g, x):
    """`unbroadcast` of each item of the batch `g`: shape (B,) + x.shape (real if x is)."""
    if np.iscomplexobj(g) and not np.iscomplexobj(x):
        g = np.real(g)
    xshape = np.shape(x)
    gshape = np.shape(g)[1:]
    if gshape == xshape:
        return g
    axes, keepdims, reshape = reduction_plan(gshape, xshape)
    g = np.sum(g, axis=tuple(a + 1 for a in axes), keepdims=keepdims)    # past the batch axis
    return g.reshape(np.shape(g)[:1] + xshape) if reshape else g


def broadcast_batch(t, z):
    """`broadcast_like` of each item of the batch `t` (aligned on the right) to z's shape."""
    zshape = np.shape(z)
    tshape = np.shape(t)
    if tshape[1:] == zshape:
        return t
    t = np.reshape(t, tshape[:1] + (1,) * (len(zshape) - len(tshape) + 1) + tshape[1:])
    return np.broadcast_to(t, tshape[:1] + zshape) * 1.0


def sum_grad_batch(g, x, axis=None, keepdims=False):
    """`sum_grad` of each item of the batch `g`: shape (B,) + x.shape."""
    shape = np.shape(x)
    g = np.asarray(g)
    if axis is None and not keepdims:
        g = np.reshape(g, g.shape[:1] + (1,) * len(shape))
    elif not keepdims:
        axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
        g = np.expand_dims(g, tuple(a % len(shape) + 1 for a in axes))
    full = g.shape[:1] + shape
    return np.broadcast_to(g, full) * 1.0 if g.shape != full else g
