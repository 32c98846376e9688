"""Rules for NumPy's complex and Fourier functions, statistics, and the non-differentiable list.

Complex convention (JAX's, see `s2s_ad.rules`): for a real loss L of z = x + iy the cotangent is
dL/dx - i dL/dy, so `conj` maps g to conj(g), `real` passes g, `imag` gives -i g, and a real
input takes the real part of its cotangent.  The DFT matrix is symmetric, so the VJP of `fft`
is an `fft` of the cotangent (cut or padded back to the input length by `_ad.fit_axis`).

Contents:
    complex          real imag conj/conjugate angle real_if_close
    Fourier          fft.fft fft.ifft fft.rfft fft.irfft fft.fftn fft.ifftn fft.fft2 fft.ifft2
                     fft.fftshift fft.ifftshift
    differences      gradient
    statistics       cov corrcoef histogram (a and bins through the edges, weights)
                     interp (x, fp, left, right)
                     convolve correlate
    non-differentiable   constructors, index/sort positions, rounding, predicates, np.random
"""
import numpy as np

from s2s_ad import runtime as _ad
from s2s_ad.rules import shape_facts as shapes
from s2s_ad.rules.registry import (Refused, deffacts, defjvp, defstructural, defvjp,
                                   nondifferentiable)

# ---- complex ----

defvjp(np.real, lambda g, ans, val: np.real(g))
defjvp(np.real, lambda t, ans, val: np.real(t))
deffacts(np.real, shape=shapes.like(0), elementwise_in=(0,), attributes=("real",), view=True)
defvjp(np.imag, lambda g, ans, val: -1j * g if np.iscomplexobj(val) else 0.0 * g)
defjvp(np.imag, lambda t, ans, val: np.imag(t))
deffacts(np.imag, shape=shapes.like(0), elementwise_in=(0,), attributes=("imag",), view=True)
defvjp(np.conj, lambda g, ans, x: np.conj(g))
defjvp(np.conj, lambda t, ans, x: np.conj(t))
deffacts(np.conj, elementwise_in=(0,), methods=("conj", "conjugate"))   # np.conjugate is np.conj
# angle(z) = atan2(y, x): cotangent -i g conj(z) / |z|^2; constant for real input.
defvjp(np.angle,
       lambda g, ans, z, deg=False:
       (-1j * g * np.conj(z) / (np.real(z) ** 2 + np.imag(z) ** 2) if np.iscomplexobj(z)
        else 0.0 * g) * (57.29577951308232 if deg else 1.0))
defjvp(np.angle,
       lambda t, ans, z, deg=False:
       np.imag(np.conj(z) * t) / (np.real(z) ** 2 + np.imag(z) ** 2)
       * (57.29577951308232 if deg else 1.0))

# real_if_close(a): a's real part where its imaginary parts are all negligible, else a.
defvjp(np.real_if_close,
       lambda g, ans, a, tol=100: np.real(g) if np.isrealobj(ans) else g)
defjvp(np.real_if_close,
       lambda t, ans, a, tol=100: np.real(t) if np.isrealobj(ans) else t)
deffacts(np.real_if_close, shape=shapes.like(0), elementwise_in=(0,))

# ---- Fourier ----

defvjp(np.fft.fft,
       lambda g, ans, a, n=None, axis=-1, norm=None:
       _ad.fit_axis(np.fft.fft(g, None, axis, norm), a, axis))
defjvp(np.fft.fft, lambda t, ans, a, n=None, axis=-1, norm=None: np.fft.fft(t, n, axis, norm))
defvjp(np.fft.ifft,
       lambda g, ans, a, n=None, axis=-1, norm=None:
       _ad.fit_axis(np.fft.ifft(g, None, axis, norm), a, axis))
defjvp(np.fft.ifft, lambda t, ans, a, n=None, axis=-1, norm=None: np.fft.ifft(t, n, axis, norm))
# rfft keeps the first n//2 + 1 outputs of an fft of a real signal.
defvjp(np.fft.rfft,
       lambda g, ans, a, n=None, axis=-1, norm=None:
       _ad.fit_axis(np.fft.fft(g, np.shape(a)[axis] if n is None else n, axis, norm), a, axis))
defjvp(np.fft.rfft, lambda t, ans, a, n=None, axis=-1, norm=None: np.fft.rfft(t, n, axis, norm))
# irfft(c) = Re(ifft(w c)) with weights w = 1, 2, ..., 2, (1): the cotangent is w ifft(g).
defvjp(np.fft.irfft,
       lambda g, ans, a, n=None, axis=-1, norm=None:
       _ad.fit_axis(_ad.irfft_weights(g, axis) * _ad.fit_axis(
           np.fft.ifft(g, None, axis, norm), _ad.irfft_weights(g, axis) + 0j, axis), a, axis))
defjvp(np.fft.irfft,
       lambda t, ans, a, n=None, axis=-1, norm=None: np.fft.irfft(t, n, axis, norm))

# hfft(a) = irfft(conj(a)) and ihfft(a) = conj(rfft(a)), each with the normalization of the
# other direction: irfft's and rfft's cotangents, conjugated.
defvjp(np.fft.hfft,
       lambda g, ans, a, n=None, axis=-1, norm=None:
       np.conj(_ad.fit_axis(_ad.irfft_weights(g, axis) * _ad.fit_axis(
           np.fft.ifft(g, None, axis, _ad.swapped_norm(norm)), _ad.irfft_weights(g, axis) + 0j,
           axis), a, axis)))
defjvp(np.fft.hfft, lambda t, ans, a, n=None, axis=-1, norm=None: np.fft.hfft(t, n, axis, norm))
defvjp(np.fft.ihfft,
       lambda g, ans, a, n=None, axis=-1, norm=None:
       _ad.fit_axis(np.fft.fft(np.conj(g), np.shape(a)[axis] if n is None else n, axis,
                               _ad.swapped_norm(norm)), a, axis))
defjvp(np.fft.ihfft,
       lambda t, ans, a, n=None, axis=-1, norm=None: np.fft.ihfft(t, n, axis, norm))


# rfftn = rfft along the last of its axes after fftn along the others (transposed: fftn of g
# padded to the full length, real for a real input); irfftn = irfft along the last after ifftn
# along the others (transposed: irfft's cotangent of ifftn of g).  s=None (`_ad.fft_axes`).
def _rfftn_vjp(g, ans, a, s=None, axes=None, norm=None, out=None):
    ax = _ad.fft_axes(a, s, axes)
    full = np.fft.fft(g, np.shape(a)[ax[-1]], ax[-1], norm)
    return _ad.fit_axis(np.fft.fftn(full, None, ax[:-1], norm), a, ax[-1])


def _irfftn_vjp(g, ans, a, s=None, axes=None, norm=None, out=None):
    ax = _ad.fft_axes(a, s, axes)
    w = _ad.irfft_weights(g, ax[-1])
    inner = np.fft.ifft(np.fft.ifftn(g, None, ax[:-1], norm), None, ax[-1], norm)
    return _ad.fit_axis(w * _ad.fit_axis(inner, w + 0j, ax[-1]), a, ax[-1])


defvjp(np.fft.rfftn, _rfftn_vjp)
defjvp(np.fft.rfftn, lambda t, ans, a, s=None, axes=None, norm=None, out=None:
       np.fft.rfftn(t, s, axes, norm))
defvjp(np.fft.irfftn, _irfftn_vjp)
defjvp(np.fft.irfftn, lambda t, ans, a, s=None, axes=None, norm=None, out=None:
       np.fft.irfftn(t, s, axes, norm))


# rfft2 and irfft2 are rfftn and irfftn of the last two axes by default
def _rfft2_vjp(g, ans, a, s=None, axes=(-2, -1), norm=None, out=None):
    ax = _ad.fft_axes(a, s, axes)
    full = np.fft.fft(g, np.shape(a)[ax[-1]], ax[-1], norm)
    return _ad.fit_axis(np.fft.fftn(full, None, ax[:-1], norm), a, ax[-1])


def _irfft2_vjp(g, ans, a, s=None, axes=(-2, -1), norm=None, out=None):
    ax = _ad.fft_axes(a, s, axes)
    w = _ad.irfft_weights(g, ax[-1])
    inner = np.fft.ifft(np.fft.ifftn(g, None, ax[:-1], norm), None, ax[-1], norm)
    return _ad.fit_axis(w * _ad.fit_axis(inner, w + 0j, ax[-1]), a, ax[-1])


defvjp(np.fft.rfft2, _rfft2_vjp)
defjvp(np.fft.rfft2, lambda t, ans, a, s=None, axes=(-2, -1), norm=None, out=None:
       np.fft.rfft2(t, s, axes, norm))
defvjp(np.fft.irfft2, _irfft2_vjp)
defjvp(np.fft.irfft2, lambda t, ans, a, s=None, axes=(-2, -1), norm=None, out=None:
       np.fft.irfft2(t, s, axes, norm))
# n-dimensional transforms with s=None (the DFT along each axis is symmetric: the VJP is the
# same transform of g, real for a real input); the shifts are permutations, undone by each other.
defvjp(np.fft.fftn, lambda g, ans, a, s=None, axes=None, norm=None, out=None:
       _ad.unsupported("np.fft.fftn(s=...)") if s is not None else
       _ad.unbroadcast(np.fft.fftn(g, None, axes, norm), a))
defjvp(np.fft.fftn, lambda t, ans, a, s=None, axes=None, norm=None, out=None:
       np.fft.fftn(t, s, axes, norm))
defvjp(np.fft.ifftn, lambda g, ans, a, s=None, axes=None, norm=None, out=None:
       _ad.unsupported("np.fft.ifftn(s=...)") if s is not None else
       _ad.unbroadcast(np.fft.ifftn(g, None, axes, norm), a))
defjvp(np.fft.ifftn, lambda t, ans, a, s=None, axes=None, norm=None, out=None:
       np.fft.ifftn(t, s, axes, norm))
defvjp(np.fft.fft2, lambda g, ans, a, s=None, axes=(-2, -1), norm=None, out=None:
       _ad.unsupported("np.fft.fft2(s=...)") if s is not None else
       _ad.unbroadcast(np.fft.fft2(g, None, axes, norm), a))
defjvp(np.fft.fft2, lambda t, ans, a, s=None, axes=(-2, -1), norm=None, out=None:
       np.fft.fft2(t, s, axes, norm))
defvjp(np.fft.ifft2, lambda g, ans, a, s=None, axes=(-2, -1), norm=None, out=None:
       _ad.unsupported("np.fft.ifft2(s=...)") if s is not None else
       _ad.unbroadcast(np.fft.ifft2(g, None, axes, norm), a))
defjvp(np.fft.ifft2, lambda t, ans, a, s=None, axes=(-2, -1), norm=None, out=None:
       np.fft.ifft2(t, s, axes, norm))
defvjp(np.fft.fftshift, lambda g, ans, x, axes=None: np.fft.ifftshift(g, axes))
defjvp(np.fft.fftshift, lambda t, ans, x, axes=None: np.fft.fftshift(t, axes))
defvjp(np.fft.ifftshift, lambda g, ans, x, axes=None: np.fft.fftshift(g, axes))
defjvp(np.fft.ifftshift, lambda t, ans, x, axes=None: np.fft.ifftshift(t, axes))
deffacts(np.fft.fftshift, np.fft.ifftshift, shape=shapes.like(0))

# ---- differences ----

# gradient(f, *spacings, axis, edge_order): linear in f, one array per axis.  Up to eight
# spacings by position (`_ad.gradient` drops the ones not given); a derivative through a
# spacing is refused, not zero.
_SPACING = Refused("no derivative rule for the spacings",
                   "Pass spacings that do not depend on the differentiated arguments, or "
                   "wrap them in ad.stop_gradient(...).")
for _gradient in (np.gradient, _ad.gradient):
    defvjp(_gradient,
           lambda g, ans, f, s0=None, s1=None, s2=None, s3=None, s4=None, s5=None, s6=None,
           s7=None, axis=None, edge_order=1:
           _ad.gradient_grad(g, f, s0, s1, s2, s3, s4, s5, s6, s7, axis, edge_order),
           *[_SPACING] * 8)
    defjvp(_gradient,
           lambda t, ans, f, s0=None, s1=None, s2=None, s3=None, s4=None, s5=None, s6=None,
           s7=None, axis=None, edge_order=1:
           _ad.gradient(t, s0, s1, s2, s3, s4, s5, s6, s7, axis, edge_order),
           *[_SPACING] * 8)
deffacts(_ad.gradient, kind="tuple")

# np.piecewise is rewritten as the pieces it puts together (frontend/piecewise.py) where its
# lists are written in the call; elsewhere a derivative through it is refused, not zero.
_PIECES = Refused("no derivative rule for this form of the call",
                  "Write condlist and funclist as lists in the call, each function a lambda "
                  "or a function defined outside: np.piecewise(x, [x < 0], [f, lambda z: z]).")
defvjp(np.piecewise, _PIECES)
defjvp(np.piecewise, _PIECES)

# ---- statistics ----


# cov(m): rows are variables (columns with rowvar=False), C = Xc Xc^T / (N - ddof).
def _cov_vjp(g, ans, m, y=None, rowvar=True, bias=False, ddof=None):
    x = np.atleast_2d(m)
    flip = not rowvar and np.shape(x)[0] != 1
    x = np.transpose(x) if flip else x
    p, n = np.shape(x)
    d = n - (ddof if ddof is not None else (0 if bias else 1))
    xc = x - np.mean(x, 1, keepdims=True)
    gm = np.reshape(g, (p, p)) if y is None else _ad.unsupported("np.cov(m, y)")
    cx = np.matmul(gm + np.transpose(gm), xc) / d
    cx = cx - np.mean(cx, 1, keepdims=True)
    return np.reshape(np.transpose(cx) if flip else cx, np.shape(m))


def _cov_jvp(t, ans, m, y=None, rowvar=True, bias=False, ddof=None):
    x = np.atleast_2d(m)
    flip = not rowvar and np.shape(x)[0] != 1
    x = np.transpose(x) if flip else x
    tx = np.atleast_2d(t)
    tx = np.transpose(tx) if flip else tx
    p, n = np.shape(x)
    d = n - (ddof if ddof is not None else (0 if bias else 1))
    xc = x - np.mean(x, 1, keepdims=True)
    tc = tx - np.mean(tx, 1, keepdims=True)
    dc = np.matmul(tc, np.transpose(xc)) / d
    return np.reshape(dc + np.transpose(dc), np.shape(ans))


defvjp(np.cov, _cov_vjp)
defjvp(np.cov, _cov_jvp)


# corrcoef: R = C / (s s^T) with s = sqrt(diag(C)); the cotangent goes through C to x.
def _corrcoef_vjp(g, ans, x, y=None, rowvar=True):
    xm = np.atleast_2d(x)
    flip = not rowvar and np.shape(xm)[0] != 1
    xm = np.transpose(xm) if flip else xm
    p, n = np.shape(xm)
    xc = xm - np.mean(xm, 1, keepdims=True)
    c = np.matmul(xc, np.transpose(xc)) / (n - 1)
    s = np.sqrt(np.diagonal(c))
    r = c / np.outer(s, s)
    gm = np.reshape(g, (p, p)) if y is None else _ad.unsupported("np.corrcoef(x, y)")
    gr = gm * r
    gc = gm / np.outer(s, s) - np.diag((np.sum(gr, 1) + np.sum(gr, 0)) / (2 * s * s))
    cx = np.matmul(gc + np.transpose(gc), xc) / (n - 1)
    cx = cx - np.mean(cx, 1, keepdims=True)
    return np.reshape(np.transpose(cx) if flip else cx, np.shape(x))


def _corrcoef_jvp(t, ans, x, y=None, rowvar=True):
    xm = np.atleast_2d(x)
    flip = not rowvar and np.shape(xm)[0] != 1
    xm = np.transpose(xm) if flip else xm
    tx = np.atleast_2d(t)
    tx = np.transpose(tx) if flip else tx
    p, n = np.shape(xm)
    xc = xm - np.mean(xm, 1, keepdims=True)
    tc = tx - np.mean(tx, 1, keepdims=True)
    c = np.matmul(xc, np.transpose(xc)) / (n - 1)
    dc = np.matmul(tc, np.transpose(xc)) / (n - 1)
    dc = dc + np.transpose(dc)
    s = np.sqrt(np.diagonal(c))
    r = c / np.outer(s, s)
    ds_over_s = np.diagonal(dc) / (2 * s * s)
    dr = dc / np.outer(s, s) - r * (ds_over_s[:, None] + ds_over_s[None, :])
    return np.reshape(dr, np.shape(ans))


defvjp(np.corrcoef, _corrcoef_vjp)
defjvp(np.corrcoef, _corrcoef_jvp)

# histogram returns (counts, edges).  The counts are piecewise constant in a and linear in the
# weights (argument 4).  The edges are bins where bins is an array; for a number of bins and no
# range they are spaced evenly from min(a) to max(a), edge k = (1 - w_k) min(a) + w_k max(a)
# with w = linspace(0, 1, bins + 1), so a's cotangent is the max rule's at both ends; a bins
# rule named by a string ('auto') or a range that is differentiated raises or is refused, and so
# does density=True (whose counts move with the bin widths).
def _histogram_vjp_a(g, ans, a, bins=10, range=None, density=None, weights=None):
    w = np.linspace(0.0, 1.0, np.size(ans[1]))
    return (_ad.unsupported("np.histogram(density=True)") if density else
            0.0 * a if range is not None or np.ndim(bins) == 1 else
            _ad.unsupported(f"np.histogram(bins={bins!r})") if isinstance(bins, str) else
            _ad.max_grad(np.sum(g[1] * w), np.max(a), a)
            + _ad.max_grad(np.sum(g[1] * (1.0 - w)), np.min(a), a))


def _histogram_jvp_a(t, ans, a, bins=10, range=None, density=None, weights=None):
    w = np.linspace(0.0, 1.0, np.size(ans[1]))
    return _ad.unsupported("np.histogram(density=True)") if density else _ad.tuple_like(ans, (
        0.0 * ans[0],
        0.0 * ans[1] if range is not None or np.ndim(bins) == 1 else
        _ad.unsupported(f"np.histogram(bins={bins!r})") if isinstance(bins, str) else
        w * _ad.max_jvp(t, np.max(a), a) + (1.0 - w) * _ad.max_jvp(t, np.min(a), a)))


_RANGE = Refused("no derivative rule for range=",
                 "Give the edges as bins=np.linspace(lo, hi, n + 1) instead.")
defvjp(np.histogram,
       _histogram_vjp_a,
       lambda g, ans, a, bins=10, range=None, density=None, weights=None:
       _ad.unsupported("np.histogram(density=True)") if density else
       _ad.array_grad(g[1], bins) if np.ndim(bins) == 1 else 0.0 * bins,
       _RANGE, None,
       lambda g, ans, a, bins=10, range=None, density=None, weights=None:
       _ad.histogram_weights_grad(g[0], a, ans[1], weights) if not density
       else _ad.unsupported("np.histogram(density=True)"))
defjvp(np.histogram,
       _histogram_jvp_a,
       lambda t, ans, a, bins=10, range=None, density=None, weights=None:
       _ad.unsupported("np.histogram(density=True)") if density else
       _ad.tuple_like(ans, (0.0 * ans[0], t)),
       _RANGE, None,
       lambda t, ans, a, bins=10, range=None, density=None, weights=None:
       _ad.tuple_like(ans, (np.histogram(a, ans[1], weights=t)[0] * 1.0,
                            _ad.zeros_like(ans[1]))) if not density
       else _ad.unsupported("np.histogram(density=True)"))
# a tuple: the tangents from a, bins and weights add item by item (`_ad.add`), not joined by `+`
defstructural(np.histogram)

# interp(x, xp, fp, left, right): piecewise linear in x (constant outside [xp[0], xp[-1]]),
# linear in fp; `left` is the value where x < xp[0] and `right` where x > xp[-1] (both unused
# with a period).
defvjp(np.interp,
       lambda g, ans, x, xp, fp, left=None, right=None, period=None:
       _ad.unsupported("np.interp(period=...)") if period is not None else
       g * np.take(np.diff(fp) / np.diff(xp), _ad.interp_slope(x, xp, fp)[0])
       * _ad.interp_slope(x, xp, fp)[1],
       None,
       lambda g, ans, x, xp, fp, left=None, right=None, period=None:
       _ad.unsupported("np.interp(period=...)") if period is not None else
       _ad.interp_fp_grad(g, x, xp, fp, left, right),
       lambda g, ans, x, xp, fp, left=None, right=None, period=None:
       _ad.unbroadcast(g * ((np.asarray(x) < xp[0]) & (period is None)), left),
       lambda g, ans, x, xp, fp, left=None, right=None, period=None:
       _ad.unbroadcast(g * ((np.asarray(x) > xp[-1]) & (period is None)), right))
defjvp(np.interp,
       lambda t, ans, x, xp, fp, left=None, right=None, period=None:
       _ad.unsupported("np.interp(period=...)") if period is not None else
       t * np.take(np.diff(fp) / np.diff(xp), _ad.interp_slope(x, xp, fp)[0])
       * _ad.interp_slope(x, xp, fp)[1],
       None,
       lambda t, ans, x, xp, fp, left=None, right=None, period=None:
       _ad.unsupported("np.interp(period=...)") if period is not None else
       np.interp(x, xp, t, None if left is None else 0.0, None if right is None else 0.0),
       lambda t, ans, x, xp, fp, left=None, right=None, period=None:
       t * ((np.asarray(x) < xp[0]) & (period is None)),
       lambda t, ans, x, xp, fp, left=None, right=None, period=None:
       t * ((np.asarray(x) > xp[-1]) & (period is None)))

# 1-D convolve and correlate (real); correlate(a, v) == convolve(a, v[::-1]).
defvjp(np.convolve,
       lambda g, ans, a, v, mode="full": _ad.convolve_grad_a(g, a, v, mode),
       lambda g, ans, a, v, mode="full": _ad.convolve_grad_b(g, a, v, mode))
defjvp(np.convolve,
       lambda t, ans, a, v, mode="full": np.convolve(t, v, mode),
       lambda t, ans, a, v, mode="full": np.convolve(a, t, mode))
defvjp(np.correlate,
       lambda g, ans, a, v, mode="valid": _ad.convolve_grad_a(g, a, np.flip(v), mode),
       lambda g, ans, a, v, mode="valid": np.flip(_ad.convolve_grad_b(g, a, np.flip(v), mode)))
defjvp(np.correlate,
       lambda t, ans, a, v, mode="valid": np.correlate(t, v, mode),
       lambda t, ans, a, v, mode="valid": np.correlate(a, t, mode))

# ---- ranges ----

# linspace(start, stop, num) = (1 - w) start + w stop with w = linspace(0, 1, num, endpoint)
# along `axis`: linear in start and stop (which broadcast together).  (1 - w) and w are
# linspace's own values from ones to zeros and back, in the result's shape.  logspace and
# geomspace have no rules (a derivative through them is refused, not zero).
defvjp(np.linspace,
       lambda g, ans, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0:
       _ad.unsupported("np.linspace(retstep=True)") if retstep else _ad.unbroadcast(np.sum(
           g * np.linspace(np.ones(np.broadcast_shapes(np.shape(start), np.shape(stop)),
                                   np.result_type(start, stop, np.float32)), 0.0,
                           num, endpoint, False, None, axis), axis), start),
       lambda g, ans, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0:
       _ad.unsupported("np.linspace(retstep=True)") if retstep else _ad.unbroadcast(np.sum(
           g * np.linspace(0.0, np.ones(np.broadcast_shapes(np.shape(start), np.shape(stop)),
                                        np.result_type(start, stop, np.float32)),
                           num, endpoint, False, None, axis), axis), stop))
defjvp(np.linspace,
       lambda t, ans, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0:
       _ad.unsupported("np.linspace(retstep=True)") if retstep else
       np.linspace(t, 0.0 * np.asarray(stop), num, endpoint, False, None, axis),
       lambda t, ans, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0:
       _ad.unsupported("np.linspace(retstep=True)") if retstep else
       np.linspace(0.0 * np.asarray(start), t, num, endpoint, False, None, axis))
deffacts(np.linspace, kind="array", fresh=True, real=True)

# ---- np.r_[...] and np.c_[...] (ops.py makes them calls of the items) ----

# Not covered: a derivative through an item is refused, not zero.
for _concat, _instead in ((np.r_, "np.concatenate([np.atleast_1d(a), np.atleast_1d(b)])"),
                          (np.c_, "np.column_stack([a, b])")):
    _refused = Refused("no derivative rule for its items", f"Write it as {_instead}.")
    defvjp(_concat, *[_refused] * 16)
    defjvp(_concat, *[_refused] * 16)

# ---- non-differentiable ----

nondifferentiable(
    # constructors
    np.zeros, np.ones, np.empty, np.full, np.eye, np.identity, np.arange, np.zeros_like,
    np.ones_like, np.empty_like, np.full_like, np.tri,
    np.indices, np.diag_indices, np.triu_indices, np.tril_indices,
    # positions and counts
    np.argmax, np.argmin, np.argsort, np.nonzero, np.flatnonzero, np.argwhere, np.searchsorted,
    np.digitize, np.count_nonzero, np.unravel_index, np.ravel_multi_index, np.bincount,
    # rounding and signs
    np.floor, np.ceil, np.round, np.around, np.rint, np.trunc, np.fix, np.sign, np.signbit,
    np.floor_divide, np.heaviside,
    # predicates, comparisons, logic
    np.isfinite, np.isnan, np.isinf, np.isneginf, np.isposinf, np.isclose, np.allclose,
    np.array_equal, np.iscomplexobj, np.isrealobj, np.iscomplex, np.isreal, np.isscalar,
    np.equal, np.not_equal, np.less, np.less_equal, np.greater, np.greater_equal,
    np.logical_and, np.logical_or, np.logical_not, np.logical_xor, np.all, np.any,
    np.bitwise_and, np.bitwise_or, np.bitwise_xor, np.invert,
    # shapes and types
    np.shape, np.size, np.ndim, np.result_type, np.broadcast_shapes, np.issubdtype,
    # random numbers
    np.random.rand, np.random.randn, np.random.random, np.random.random_sample,
    np.random.uniform, np.random.normal, np.random.standard_normal, np.random.randint,
    np.random.choice, np.random.permutation, np.random.shuffle, np.random.seed,
    np.random.default_rng, np.random.exponential, np.random.poisson, np.random.binomial,
    np.random.beta, np.random.gamma, np.random.multivariate_normal, np.random.RandomState,
    # window functions of an integer length; index helpers; integer and bit results
    np.bartlett, np.blackman, np.hamming, np.hanning,
    np.tril_indices_from, np.triu_indices_from, np.diag_indices_from, np.mask_indices, np.ix_,
    np.argpartition, np.nanargmax, np.nanargmin, np.lexsort, np.array_equiv, np.isin,
    np.gcd, np.lcm, np.packbits, np.unpackbits, np.spacing, np.linalg.matrix_rank,
)
if hasattr(np, "bitwise_count"):     # NumPy 2
    nondifferentiable(np.bitwise_count, np.bitwise_left_shift, np.bitwise_right_shift)
# fftfreq(n, d) and rfftfreq(n, d) = (their values for d = 1) / d: a derivative in d alone.
for _freq in (np.fft.fftfreq, np.fft.rfftfreq):
    defvjp(_freq, None, lambda g, ans, n, d=1.0, device=None: -np.sum(g * ans) / d)
    defjvp(_freq, None, lambda t, ans, n, d=1.0, device=None: -t * ans / d)
    deffacts(_freq, kind="array", fresh=True, real=True)

# ---- facts of the non-differentiable functions (registry.deffacts) ----

deffacts(np.argmax, methods=("argmax",))
deffacts(np.argmin, methods=("argmin",))
deffacts(np.argsort, methods=("argsort",))
deffacts(np.nonzero, methods=("nonzero",))
deffacts(np.any, methods=("any",))
deffacts(np.all, methods=("all",))
deffacts(np.round, methods=("round",))
deffacts(np.searchsorted, methods=("searchsorted",))

deffacts(np.zeros, np.ones, np.empty, np.full, kind="array", shape=shapes.from_sizes,
         fresh=True, real=True)
deffacts(np.zeros_like, np.ones_like, np.empty_like, np.full_like, kind="array",
         shape=shapes.like(0), fresh=True, real=True)
deffacts(np.eye, np.identity, kind="array", shape=shapes.square, fresh=True, real=True)
deffacts(np.arange, kind="array", shape=shapes.integer_range, fresh=True, real=True)
# they return a tuple or list of arrays (an index into it must not be adjoined as an array's)
deffacts(np.histogram, np.histogram2d, np.histogramdd, np.meshgrid, np.gradient,
         np.broadcast_arrays, np.modf, np.frexp, np.divmod, np.unique, kind="tuple")
# they write into an array they are given: refused (analysis/ops.py), with what to write instead
deffacts(np.copyto, in_place="a[...] = b")
deffacts(np.fill_diagonal, in_place="a = a.copy(); a[np.diag_indices_from(a)] = v")
deffacts(np.put, in_place="a[indices] = values")
deffacts(np.put_along_axis, in_place="a = a.copy(), then index assignment")
deffacts(np.place, np.putmask, in_place="a = np.where(mask, values, a)")
