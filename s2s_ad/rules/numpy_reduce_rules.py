"""Rules for NumPy reductions and scans: sum mean prod max/min var std cumsum cumprod average
diff ediff1d trace ptp polyval trapezoid linalg.norm, the nan-ignoring nansum nanmean nanprod
nanmax nanmin nanvar nanstd, and the order statistics median quantile percentile.

Every rule takes NumPy's parameters (`axis`, `keepdims`, `ddof` ...) so calls bind by position
or keyword exactly as they do for NumPy.  `_ad.sum_grad(g, x, axis, keepdims)` spreads a
reduced cotangent back over `x`.

Ties: `max`/`min`/`amax`/`amin`/`ptp` split the cotangent equally among the tied extremes, and
their tangent is the mean of the tied tangents (`_ad.max_grad`, `_ad.max_jvp`).
`std`/`nanstd` have derivative 0 where the spread is 0 (all values equal; the derivative does
not exist there: 0 is the subgradient `abs` takes at 0).  `cumprod` divides by the input, so
it assumes it has no zeros; `prod`'s first derivatives do not (`_ad.prod_others`), its second
derivatives do.
"""
import numpy as np

from s2s_ad import runtime as _ad
from s2s_ad.rules import shape_facts as shapes
from s2s_ad.rules.batched_rules import fixed
from s2s_ad.rules.registry import deffacts, defjvp, deflinear, defspread, defvjp

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
# batched (transforms/batching.py): t and g carry a leading batch axis, so the axes shift by one
_SUM_JVP = (lambda t, ans, a, axis=None, dtype=None, out=None, keepdims=False, initial=None:
            np.sum(t, _ad.batch_axis(axis, np.ndim(a)), dtype, None, keepdims))
_MEAN_JVP = (lambda t, ans, a, axis=None, dtype=None, out=None, keepdims=False:
             np.mean(t, _ad.batch_axis(axis, np.ndim(a)), dtype, None, keepdims))
_SUM_VJP = (lambda g, ans, a, axis=None, dtype=None, out=None, keepdims=False, initial=None:
            _ad.sum_grad_batch(g, a, axis, keepdims))
_MEAN_VJP = (lambda g, ans, a, axis=None, dtype=None, out=None, keepdims=False:
             _ad.sum_grad_batch(g, a, axis, keepdims) * (np.size(ans) / np.size(a)))
deffacts(np.sum, shape=shapes.reduction, batched=fixed(_SUM_JVP, _SUM_VJP),
         methods=("sum",), real=True, shift="total")
deffacts(np.mean, shape=shapes.reduction, batched=fixed(_MEAN_JVP, _MEAN_VJP),
         methods=("mean",), real=True, shift="mean")
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
deffacts(np.nansum, np.nanmean, shape=shapes.reduction)


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
deffacts(np.prod, shape=shapes.reduction, methods=("prod",), real=True)

defvjp(np.nanprod,
       lambda g, ans, a, axis=None, dtype=None, out=None, keepdims=False:
       np.where(np.isnan(a), 0.0, _ad.sum_grad(g, a, axis, keepdims)
                * _ad.prod_others(np.where(np.isnan(a), 1.0, a), axis)))
defjvp(np.nanprod,
       lambda t, ans, a, axis=None, dtype=None, out=None, keepdims=False:
       np.sum(np.where(np.isnan(a), 0.0, t) * _ad.prod_others(np.where(np.isnan(a), 1.0, a), axis),
              axis, keepdims=keepdims))

# ---- extremes ----

for _f in (np.max, np.amax, np.min, np.amin, np.nanmax, np.nanmin):
    defvjp(_f, lambda g, ans, a, axis=None, out=None, keepdims=False:
           _ad.max_grad(g, ans, a, axis, keepdims))
    defjvp(_f, lambda t, ans, a, axis=None, out=None, keepdims=False:
           _ad.max_jvp(t, ans, a, axis, keepdims))
deffacts(np.max, np.amax, np.min, np.amin, shape=shapes.reduction, real=True, shift="extremum")
deffacts(np.max, methods=("max",))
deffacts(np.min, methods=("min",))

defvjp(np.ptp,
       lambda g, ans, a, axis=None, out=None, keepdims=False:
       _ad.max_grad(g, np.max(a, axis, keepdims=keepdims), a, axis, keepdims)
       - _ad.max_grad(g, np.min(a, axis, keepdims=keepdims), a, axis, keepdims))
defjvp(np.ptp,
       lambda t, ans, a, axis=None, out=None, keepdims=False:
       _ad.max_jvp(t, np.max(a, axis, keepdims=keepdims), a, axis, keepdims)
       - _ad.max_jvp(t, np.min(a, axis, keepdims=keepdims), a, axis, keepdims))
deffacts(np.ptp, methods=("ptp",) if hasattr(np.ndarray, "ptp") else ())   # not in NumPy 2

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
       _ad.sum_grad(g / np.where(ans == 0.0, 1.0, ans), a, axis, keepdims)
       * (a - np.mean(a, axis, keepdims=True)) * (1.0 / (np.size(a) / np.size(ans) - ddof)))
defjvp(np.std,
       lambda t, ans, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False:
       np.sum(t * (a - np.mean(a, axis, keepdims=True)), axis, keepdims=keepdims)
       / np.where(ans == 0.0, 1.0, ans) * (1.0 / (np.size(a) / np.size(ans) - ddof)))
deffacts(np.var, np.std, shape=shapes.reduction, real=True)
deffacts(np.var, methods=("var",))
deffacts(np.std, methods=("std",))

# nanvar / nanstd: var and std of the values that are not nan (which get a zero cotangent).
defvjp(np.nanvar,
       lambda g, ans, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False:
       np.where(np.isnan(a), 0.0, _ad.sum_grad(g, a, axis, keepdims)
                * (np.where(np.isnan(a), 0.0, a) - np.nanmean(a, axis, keepdims=True))
                * (2.0 / (np.sum(~np.isnan(a), axis, np.result_type(a, np.float32),
                                 keepdims=True) - ddof))))
defjvp(np.nanvar,
       lambda t, ans, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False:
       np.sum(np.where(np.isnan(a), 0.0, t * (np.where(np.isnan(a), 0.0, a)
                                              - np.nanmean(a, axis, keepdims=True))),
              axis, keepdims=keepdims)
       * (2.0 / (np.sum(~np.isnan(a), axis, np.result_type(a, np.float32),
                        keepdims=keepdims) - ddof)))
defvjp(np.nanstd,
       lambda g, ans, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False:
       np.where(np.isnan(a), 0.0, _ad.sum_grad(g / np.where(ans == 0.0, 1.0, ans), a, axis,
                                               keepdims)
                * (np.where(np.isnan(a), 0.0, a) - np.nanmean(a, axis, keepdims=True))
                * (1.0 / (np.sum(~np.isnan(a), axis, np.result_type(a, np.float32),
                                 keepdims=True) - ddof))))
defjvp(np.nanstd,
       lambda t, ans, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False:
       np.sum(np.where(np.isnan(a), 0.0, t * (np.where(np.isnan(a), 0.0, a)
                                              - np.nanmean(a, axis, keepdims=True))),
              axis, keepdims=keepdims) / np.where(ans == 0.0, 1.0, ans)
       * (1.0 / (np.sum(~np.isnan(a), axis, np.result_type(a, np.float32),
                        keepdims=keepdims) - ddof)))

# ---- order statistics ----

# median and quantile/percentile (method 'linear'): sums of `_ad.quantile_weights` times `a`,
# weights that interpolate between the one or two order statistics around each result (a median
# of an even count gives each middle element half).  q is differentiable too (one-sided at a
# sample).  Other methods, and weights, raise.
defvjp(np.median,
       lambda g, ans, a, axis=None, out=None, overwrite_input=False, keepdims=False:
       _ad.quantile_weights(a, 0.5, axis)
       * (g if keepdims else np.expand_dims(g, _ad.quantile_axes(0.5, a, axis)[1])))
defjvp(np.median,
       lambda t, ans, a, axis=None, out=None, overwrite_input=False, keepdims=False:
       np.sum(_ad.quantile_weights(a, 0.5, axis) * t, _ad.quantile_axes(0.5, a, axis)[1],
              keepdims=keepdims))


defvjp(np.quantile,
       lambda g, ans, a, q, axis=None, out=None, overwrite_input=False, method="linear",
       keepdims=False, *, weights=None, interpolation=None:
       np.sum(_ad.quantile_weights(a, q, axis, False, method, weights, interpolation)
              * (g if keepdims else np.expand_dims(g, _ad.quantile_axes(q, a, axis)[1])),
              _ad.quantile_axes(q, a, axis)[0]),
       lambda g, ans, a, q, axis=None, out=None, overwrite_input=False, method="linear",
       keepdims=False, *, weights=None, interpolation=None:
       np.reshape(np.sum(g * np.sum(_ad.quantile_weights(a, q, axis, True, method, weights,
                                                         interpolation) * a,
                                    _ad.quantile_axes(q, a, axis)[1], keepdims=keepdims),
                         tuple(range(np.ndim(q), np.ndim(ans)))), np.shape(q)))
defjvp(np.quantile,
       lambda t, ans, a, q, axis=None, out=None, overwrite_input=False, method="linear",
       keepdims=False, *, weights=None, interpolation=None:
       np.sum(_ad.quantile_weights(a, q, axis, False, method, weights, interpolation) * t,
              _ad.quantile_axes(q, a, axis)[1], keepdims=keepdims),
       lambda t, ans, a, q, axis=None, out=None, overwrite_input=False, method="linear",
       keepdims=False, *, weights=None, interpolation=None:
       np.sum(_ad.quantile_weights(a, q, axis, True, method, weights, interpolation) * a,
              _ad.quantile_axes(q, a, axis)[1], keepdims=keepdims)
       * np.reshape(t, np.shape(q) + (1,) * (np.ndim(ans) - np.ndim(q))))
# percentile(a, q) = quantile(a, q / 100): the helper's last argument.
defvjp(np.percentile,
       lambda g, ans, a, q, axis=None, out=None, overwrite_input=False, method="linear",
       keepdims=False, *, weights=None, interpolation=None:
       np.sum(_ad.quantile_weights(a, q, axis, False, method, weights, interpolation, True)
              * (g if keepdims else np.expand_dims(g, _ad.quantile_axes(q, a, axis)[1])),
              _ad.quantile_axes(q, a, axis)[0]),
       lambda g, ans, a, q, axis=None, out=None, overwrite_input=False, method="linear",
       keepdims=False, *, weights=None, interpolation=None:
       np.reshape(np.sum(g * np.sum(_ad.quantile_weights(a, q, axis, True, method, weights,
                                                         interpolation, True) * a,
                                    _ad.quantile_axes(q, a, axis)[1], keepdims=keepdims),
                         tuple(range(np.ndim(q), np.ndim(ans)))), np.shape(q)))
defjvp(np.percentile,
       lambda t, ans, a, q, axis=None, out=None, overwrite_input=False, method="linear",
       keepdims=False, *, weights=None, interpolation=None:
       np.sum(_ad.quantile_weights(a, q, axis, False, method, weights, interpolation, True) * t,
              _ad.quantile_axes(q, a, axis)[1], keepdims=keepdims),
       lambda t, ans, a, q, axis=None, out=None, overwrite_input=False, method="linear",
       keepdims=False, *, weights=None, interpolation=None:
       np.sum(_ad.quantile_weights(a, q, axis, True, method, weights, interpolation, True) * a,
              _ad.quantile_axes(q, a, axis)[1], keepdims=keepdims)
       * np.reshape(t, np.shape(q) + (1,) * (np.ndim(ans) - np.ndim(q))))

# ---- scans and differences ----

defvjp(np.cumsum,
       lambda g, ans, a, axis=None, dtype=None, out=None: _ad.cumsum_grad(g, a, axis))
defjvp(np.cumsum,
       lambda t, ans, a, axis=None, dtype=None, out=None: np.cumsum(t, axis, dtype))
defvjp(np.cumprod,
       lambda g, ans, a, axis=None, dtype=None, out=None: _ad.cumsum_grad(g * ans, a, axis) / a)
defjvp(np.cumprod,
       lambda t, ans, a, axis=None, dtype=None, out=None: ans * np.cumsum(t / a, axis))
deffacts(np.cumsum, shape=shapes.along_axis_or_flat(None), methods=("cumsum",), real=True)

# NumPy 2.1's cumulative_sum and cumulative_prod are cumsum and cumprod with keyword axes and,
# with include_initial, the empty sum (product) first: that entry has no derivative.
if hasattr(np, "cumulative_sum"):
    deflinear(np.cumulative_sum,
              lambda g, ans, x, *, axis=None, dtype=None, out=None, include_initial=False:
              _ad.cumsum_grad(np.delete(g, 0, axis) if include_initial else g, x, axis))
    defvjp(np.cumulative_prod,
           lambda g, ans, x, *, axis=None, dtype=None, out=None, include_initial=False:
           _ad.cumsum_grad(np.delete(g * ans, 0, axis) if include_initial else g * ans,
                           x, axis) / x)
    defjvp(np.cumulative_prod,
           lambda t, ans, x, *, axis=None, dtype=None, out=None, include_initial=False:
           ans * np.cumulative_sum(t / x, axis=axis, include_initial=include_initial))
# nancumsum and nancumprod read nan as 0 (as 1): no derivative there.
defvjp(np.nancumsum,
       lambda g, ans, a, axis=None, dtype=None, out=None:
       np.where(np.isnan(a), 0.0, _ad.cumsum_grad(g, a, axis)))
defjvp(np.nancumsum,
       lambda t, ans, a, axis=None, dtype=None, out=None:
       np.cumsum(np.where(np.isnan(a), 0.0, t), axis))
defvjp(np.nancumprod,
       lambda g, ans, a, axis=None, dtype=None, out=None:
       np.where(np.isnan(a), 0.0,
                _ad.cumsum_grad(g * ans, a, axis) / np.where(np.isnan(a), 1.0, a)))
defjvp(np.nancumprod,
       lambda t, ans, a, axis=None, dtype=None, out=None:
       ans * np.cumsum(np.where(np.isnan(a), 0.0, t / a), axis))
deffacts(np.nancumsum, np.nancumprod, shape=shapes.along_axis_or_flat(None), real=True)
deffacts(np.cumprod, shape=shapes.along_axis_or_flat(None), methods=("cumprod",), real=True)
# `prepend` / `append` values are constants here.
defvjp(np.diff, lambda g, ans, a, n=1, axis=-1: _ad.diff_grad(g, a, n, axis))
defjvp(np.diff, lambda t, ans, a, n=1, axis=-1: np.diff(t, n, axis))
deffacts(np.diff, shape=shapes.differences)
# ediff1d: the flattened differences, between `to_begin` and `to_end` (both differentiable).
defvjp(np.ediff1d,
       lambda g, ans, ary, to_end=None, to_begin=None:
       np.reshape(_ad.diff_grad(g[(0 if to_begin is None else np.size(to_begin)):
                                  np.size(g) - (0 if to_end is None else np.size(to_end))],
                                np.ravel(ary)), np.shape(ary)),
       lambda g, ans, ary, to_end=None, to_begin=None:
       np.reshape(g[np.size(g) - np.size(to_end):], np.shape(to_end)),
       lambda g, ans, ary, to_end=None, to_begin=None:
       np.reshape(g[:np.size(to_begin)], np.shape(to_begin)))
defjvp(np.ediff1d,
       lambda t, ans, ary, to_end=None, to_begin=None:
       np.ediff1d(t, None if to_end is None else 0.0 * np.ravel(to_end),
                  None if to_begin is None else 0.0 * np.ravel(to_begin)),
       lambda t, ans, ary, to_end=None, to_begin=None:
       np.concatenate([0.0 * np.ediff1d(ary, None, to_begin), np.ravel(t)]),
       lambda t, ans, ary, to_end=None, to_begin=None:
       np.concatenate([np.ravel(t), 0.0 * np.ediff1d(ary, to_end)]))
defvjp(np.trace,
       lambda g, ans, a, offset=0, axis1=0, axis2=1, dtype=None, out=None:
       _ad.diagonal_grad(_ad.sum_grad(g, np.diagonal(a, offset, axis1, axis2), -1),
                         a, offset, axis1, axis2))
defjvp(np.trace,
       lambda t, ans, a, offset=0, axis1=0, axis2=1, dtype=None, out=None:
       np.trace(t, offset, axis1, axis2, dtype))
deffacts(np.trace, methods=("trace",), real=True)

# polyval(p, x) with 1-D coefficients p (highest power first): d/dx is the derivative polynomial,
# d/dp the powers of x.
defvjp(np.polyval,
       lambda g, ans, p, x:
       np.reshape(np.sum(np.reshape(g, (-1, 1)) * np.reshape(x, (-1, 1)) ** np.arange(
           np.size(p) - 1, -1, -1, dtype=np.result_type(x, np.float32)), 0), np.shape(p)),
       lambda g, ans, p, x:
       g * np.polyval(p[:-1] * np.arange(np.size(p) - 1, 0, -1,
                                         dtype=np.result_type(p, np.float32)), x))
defjvp(np.polyval,
       lambda t, ans, p, x: np.polyval(t, x),
       lambda t, ans, p, x:
       t * np.polyval(p[:-1] * np.arange(np.size(p) - 1, 0, -1,
                                         dtype=np.result_type(p, np.float32)), x))

# trapezoid(y, x=None, dx=1.0, axis=-1) (NumPy 2's name; np.trapz is gone): the mean of
# neighbouring y times the spacing, summed.  x is 1-D or shaped like y; dx counts when x is None.
if hasattr(np, "trapezoid"):
    def _trapezoid_vjp_y(g, ans, y, x=None, dx=1.0, axis=-1):
        d = dx if x is None else (np.diff(x) if np.ndim(x) == 1
                                  else np.moveaxis(np.diff(x, axis=axis), axis, -1))
        gd = _ad.broadcast_like(np.expand_dims(g, -1) * d, np.moveaxis(y, axis, -1)[..., 1:])
        z = 0.0 * gd[..., :1]
        return np.moveaxis(0.5 * (np.concatenate([z, gd], -1) + np.concatenate([gd, z], -1)),
                           -1, axis)

    def _trapezoid_vjp_x(g, ans, y, x=None, dx=1.0, axis=-1):
        ym = np.moveaxis(y, axis, -1)
        h = np.expand_dims(g, -1) * (0.5 * (ym[..., 1:] + ym[..., :-1]))
        return (_ad.diff_grad(np.sum(h, tuple(range(np.ndim(h) - 1))), x, 1, -1)
                if np.ndim(x) == 1 else _ad.diff_grad(np.moveaxis(h, -1, axis), x, 1, axis))

    def _trapezoid_jvp_x(t, ans, y, x=None, dx=1.0, axis=-1):
        ym = np.moveaxis(y, axis, -1)
        dt = np.diff(t) if np.ndim(x) == 1 else np.moveaxis(np.diff(t, axis=axis), axis, -1)
        return np.sum(0.5 * (ym[..., 1:] + ym[..., :-1]) * dt, -1)

    defvjp(np.trapezoid, _trapezoid_vjp_y, _trapezoid_vjp_x,
           lambda g, ans, y, x=None, dx=1.0, axis=-1:
           np.sum(g * np.trapezoid(y, None, 1.0, axis)) if x is None else 0.0 * dx)
    defjvp(np.trapezoid,
           lambda t, ans, y, x=None, dx=1.0, axis=-1: np.trapezoid(t, x, dx, axis),
           _trapezoid_jvp_x,
           lambda t, ans, y, x=None, dx=1.0, axis=-1:
           t * np.trapezoid(y, None, 1.0, axis) if x is None else 0.0 * ans)

# ---- norms ----

# `_ad.norm_form` says which norm a call computes.  Vector p-norms (also 'fro' and None of
# matrices): |x|^(p-1) sign(x) / n^(p-1); ord=inf and -inf split ties like max; ord=0 (a count)
# is constant.  Matrix norms over the axes (r, c): ord 1/-1 is the max/min over c of the sums
# of |x| over r (inf/-inf: over c, then r), so the max rule carries g to those sums and sign(x)
# to x; ord 2/-2/'nuc' is the largest/smallest/sum of the singular values, whose cotangent is
# g times U_k Vh_k over those (distinct singular values).
def _norm_vjp(g, ans, x, ord=None, axis=None, keepdims=False):
    form = _ad.norm_form(x, ord, axis)
    usv = (np.linalg.svd(np.moveaxis(x, form[1], (-2, -1)), full_matrices=False)
           if form[0] == "singular" else None)
    return (
        _ad.sum_grad(g / ans, x, axis, keepdims) * x if ord is None or form[0] == "2" else
        _ad.max_grad(g, ans, np.abs(x), axis, keepdims) * np.sign(x) if form[0] == "max" else
        0.0 * x if form[0] == "0" else
        _ad.sum_grad(g / ans ** (ord - 1), x, axis, keepdims) * np.sign(x)
        * np.abs(x) ** (ord - 1) if form[0] == "p" else
        _ad.max_grad(g, ans, np.sum(np.abs(x), form[2], keepdims=True), form[1], keepdims)
        * np.sign(x) if form[0] == "sums" else
        np.moveaxis(np.matmul(usv[0][..., _ad.singular_values_used(ord)],
                              usv[2][..., _ad.singular_values_used(ord), :]), (-2, -1), form[1])
        * (g if keepdims else np.expand_dims(g, form[1])))


def _norm_jvp(t, ans, x, ord=None, axis=None, keepdims=False):
    form = _ad.norm_form(x, ord, axis)
    usv = (np.linalg.svd(np.moveaxis(x, form[1], (-2, -1)), full_matrices=False)
           if form[0] == "singular" else None)
    return (
        np.sum(t * x, axis, keepdims=keepdims) / ans if ord is None or form[0] == "2" else
        _ad.max_jvp(t * np.sign(x), ans, np.abs(x), axis, keepdims) if form[0] == "max" else
        0.0 * ans if form[0] == "0" else
        np.sum(t * np.sign(x) * np.abs(x) ** (ord - 1), axis, keepdims=keepdims)
        / ans ** (ord - 1) if form[0] == "p" else
        _ad.max_jvp(np.sum(t * np.sign(x), form[2], keepdims=True), ans,
                    np.sum(np.abs(x), form[2], keepdims=True), form[1], keepdims)
        if form[0] == "sums" else
        np.sum(np.moveaxis(np.matmul(usv[0][..., _ad.singular_values_used(ord)],
                                     usv[2][..., _ad.singular_values_used(ord), :]),
                           (-2, -1), form[1]) * t, form[1], keepdims=keepdims))


defvjp(np.linalg.norm, _norm_vjp)
defjvp(np.linalg.norm, _norm_jvp)
deffacts(np.linalg.norm, shape=shapes.number_without_options)
