"""Rules for NumPy reductions and scans: sum mean prod max/min var std cumsum cumprod average
diff trace ptp linalg.norm nansum nanmean.

Every rule takes NumPy's parameters (`axis`, `keepdims`, `ddof` ...) so calls bind by position
or keyword exactly as they do for NumPy.  `_ad.sum_grad(g, x, axis, keepdims)` spreads a
reduced cotangent back over `x`.

Ties: `max`/`min`/`amax`/`amin`/`ptp` split the cotangent equally among the tied extremes, and
their tangent is the mean of the tied tangents (`_ad.max_grad`, `_ad.max_jvp`).
`cumprod` divides by the input, so it assumes it has no zeros; `prod`'s first derivatives
do not (`_ad.prod_others`), its second derivatives do.
"""
import numpy as np

from s2s_ad import runtime as _ad
from s2s_ad.rules.registry import defjvp, defspread, defvjp

# ---- sums and means ----

defvjp(np.sum,
       lambda g, ans, a, axis=None, dtype=None, out=None, keepdims=False, initial=None:
       _ad.sum_grad(g, a, axis, keepdims))
defjvp(np.sum,
       lambda t, ans, a, axis=None, dtype=None, out=None, keepdims=False, initial=None:
       np.sum(t, axis, dtype, None, keepdims))
defvjp(np.mean,
       lambda g, ans, a, axis=None, dtype=None, out=None, keepdims=False:
       _ad.sum_grad(g, a, axis, keepdims) * (np.size(ans) / np.size(a)))
defjvp(np.mean,
       lambda t, ans, a, axis=None, dtype=None, out=None, keepdims=False:
       np.mean(t, axis, dtype, None, keepdims))
defspread(np.sum)
defspread(np.mean, mean=True)
defvjp(np.nansum,
       lambda g, ans, a, axis=None, dtype=None, out=None, keepdims=False:
       np.where(np.isnan(a), 0.0, _ad.sum_grad(g, a, axis, keepdims)))
defjvp(np.nansum,
       lambda t, ans, a, axis=None, dtype=None, out=None, keepdims=False:
       np.sum(np.where(np.isnan(a), 0.0, t), axis, dtype, None, keepdims))
defvjp(np.nanmean,
       lambda g, ans, a, axis=None, dtype=None, out=None, keepdims=False:
       np.where(np.isnan(a), 0.0, _ad.sum_grad(g, a, axis, keepdims)
                / np.sum(~np.isnan(a), axis, np.result_type(a, np.float32), keepdims=True)))
defjvp(np.nanmean,
       lambda t, ans, a, axis=None, dtype=None, out=None, keepdims=False:
       np.sum(np.where(np.isnan(a), 0.0, t), axis, dtype, None, keepdims)
       / np.sum(~np.isnan(a), axis, np.result_type(a, np.float32), keepdims=keepdims))


# average(a, axis, weights) = sum(a * w, axis) / sum(w, axis); `returned=True` is not covered.
def _average_vjp_a(g, ans, a, axis=None, weights=None, returned=False, keepdims=False):
    w = np.ones(np.shape(a), np.result_type(a, np.float32)) if weights is None else np.broadcast_to(
        np.reshape(weights, _ad.weights_shape(a, axis, weights)), np.shape(a))
    return _ad.sum_grad(g / np.sum(w, axis, keepdims=keepdims), a, axis, keepdims) * w


def _average_vjp_w(g, ans, a, axis=None, weights=None, returned=False, keepdims=False):
    wr = np.reshape(weights, _ad.weights_shape(a, axis, weights))
    wsum = np.sum(np.broadcast_to(wr, np.shape(a)), axis, keepdims=keepdims)
    full = _ad.sum_grad(g / wsum, a, axis, keepdims) * (a - _ad.sum_grad(ans, a, axis, keepdims))
    return np.reshape(_ad.unbroadcast(full, wr), np.shape(weights))


def _average_jvp_a(t, ans, a, axis=None, weights=None, returned=False, keepdims=False):
    w = np.ones(np.shape(a), np.result_type(a, np.float32)) if weights is None else np.broadcast_to(
        np.reshape(weights, _ad.weights_shape(a, axis, weights)), np.shape(a))
    return np.sum(t * w, axis, keepdims=keepdims) / np.sum(w, axis, keepdims=keepdims)


def _average_jvp_w(t, ans, a, axis=None, weights=None, returned=False, keepdims=False):
    wr = np.reshape(weights, _ad.weights_shape(a, axis, weights))
    tw = np.broadcast_to(np.reshape(t, np.shape(wr)), np.shape(a))
    wsum = np.sum(np.broadcast_to(wr, np.shape(a)), axis, keepdims=keepdims)
    return np.sum(tw * (a - _ad.sum_grad(ans, a, axis, keepdims)), axis, keepdims=keepdims) / wsum


defvjp(np.average, _average_vjp_a, None, _average_vjp_w)
defjvp(np.average, _average_jvp_a, None, _average_jvp_w)

# ---- products ----

defvjp(np.prod,
       lambda g, ans, a, axis=None, dtype=None, out=None, keepdims=False:
       _ad.sum_grad(g, a, axis, keepdims) * _ad.prod_others(a, axis))
defjvp(np.prod,
       lambda t, ans, a, axis=None, dtype=None, out=None, keepdims=False:
       np.sum(t * _ad.prod_others(a, axis), axis, keepdims=keepdims))

# ---- extremes ----

for _f in (np.max, np.amax, np.min, np.amin):
    defvjp(_f, lambda g, ans, a, axis=None, out=None, keepdims=False:
           _ad.max_grad(g, ans, a, axis, keepdims))
    defjvp(_f, lambda t, ans, a, axis=None, out=None, keepdims=False:
           _ad.max_jvp(t, ans, a, axis, keepdims))

defvjp(np.ptp,
       lambda g, ans, a, axis=None, out=None, keepdims=False:
       _ad.max_grad(g, np.max(a, axis, keepdims=keepdims), a, axis, keepdims)
       - _ad.max_grad(g, np.min(a, axis, keepdims=keepdims), a, axis, keepdims))
defjvp(np.ptp,
       lambda t, ans, a, axis=None, out=None, keepdims=False:
       _ad.max_jvp(t, np.max(a, axis, keepdims=keepdims), a, axis, keepdims)
       - _ad.max_jvp(t, np.min(a, axis, keepdims=keepdims), a, axis, keepdims))

# ---- moments ----

# var = sum(|a - mean|**2) / (N - ddof), N = size(a) / size(ans).  Real inputs.
defvjp(np.var,
       lambda g, ans, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False:
       _ad.sum_grad(g, a, axis, keepdims) * (a - np.mean(a, axis, keepdims=True))
       * (2.0 / (np.size(a) / np.size(ans) - ddof)))
defjvp(np.var,
       lambda t, ans, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False:
       np.sum(t * (a - np.mean(a, axis, keepdims=True)), axis, keepdims=keepdims)
       * (2.0 / (np.size(a) / np.size(ans) - ddof)))
defvjp(np.std,
       lambda g, ans, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False:
       _ad.sum_grad(g / ans, a, axis, keepdims) * (a - np.mean(a, axis, keepdims=True))
       * (1.0 / (np.size(a) / np.size(ans) - ddof)))
defjvp(np.std,
       lambda t, ans, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False:
       np.sum(t * (a - np.mean(a, axis, keepdims=True)), axis, keepdims=keepdims)
       / ans * (1.0 / (np.size(a) / np.size(ans) - ddof)))

# ---- scans and differences ----

defvjp(np.cumsum,
       lambda g, ans, a, axis=None, dtype=None, out=None: _ad.cumsum_grad(g, a, axis))
defjvp(np.cumsum,
       lambda t, ans, a, axis=None, dtype=None, out=None: np.cumsum(t, axis, dtype))
defvjp(np.cumprod,
       lambda g, ans, a, axis=None, dtype=None, out=None: _ad.cumsum_grad(g * ans, a, axis) / a)
defjvp(np.cumprod,
       lambda t, ans, a, axis=None, dtype=None, out=None: ans * np.cumsum(t / a, axis))
# `prepend` / `append` values are constants here.
defvjp(np.diff, lambda g, ans, a, n=1, axis=-1: _ad.diff_grad(g, a, n, axis))
defjvp(np.diff, lambda t, ans, a, n=1, axis=-1: np.diff(t, n, axis))
defvjp(np.trace,
       lambda g, ans, a, offset=0, axis1=0, axis2=1, dtype=None, out=None:
       _ad.diagonal_grad(_ad.sum_grad(g, np.diagonal(a, offset, axis1, axis2), -1),
                         a, offset, axis1, axis2))
defjvp(np.trace,
       lambda t, ans, a, offset=0, axis1=0, axis2=1, dtype=None, out=None:
       np.trace(t, offset, axis1, axis2, dtype))

# ---- norms ----

# Vector p-norms (ord None/2/p, also 'fro' and None for matrices): |x|^(p-1) sign(x) / n^(p-1);
# ord=inf splits ties like max.  Other matrix norms (2, 'nuc', ...) raise.
defvjp(np.linalg.norm,
       lambda g, ans, x, ord=None, axis=None, keepdims=False:
       _ad.max_grad(g, ans, np.abs(x), axis, keepdims) * np.sign(x)
       if ord is np.inf or ord == np.inf else
       _ad.sum_grad(g / ans, x, axis, keepdims) * x
       if ord is None or ord == "fro" or (ord == 2 and np.ndim(x) == 1)
       else _ad.sum_grad(g / ans ** (ord - 1), x, axis, keepdims) * np.sign(x)
       * np.abs(x) ** (ord - 1)
       if np.ndim(x) == 1 or np.ndim(axis) == 0 and axis is not None
       else _ad.unsupported("this matrix norm"))
defjvp(np.linalg.norm,
       lambda t, ans, x, ord=None, axis=None, keepdims=False:
       _ad.max_jvp(t * np.sign(x), ans, np.abs(x), axis, keepdims)
       if ord is np.inf or ord == np.inf else
       np.sum(t * x, axis, keepdims=keepdims) / ans
       if ord is None or ord == "fro" or (ord == 2 and np.ndim(x) == 1)
       else np.sum(t * np.sign(x) * np.abs(x) ** (ord - 1), axis, keepdims=keepdims)
       / ans ** (ord - 1)
       if np.ndim(x) == 1 or np.ndim(axis) == 0 and axis is not None
       else _ad.unsupported("this matrix norm"))
