"""Helpers of the derivative rules for Fourier transforms, interpolation, histograms and
special functions (polygamma, the derivatives of sinc)."""
import math
import numbers

import numpy as np



# -- complex and Fourier --

def fit_axis(x, like, axis=-1):
    """`x` cut or zero-padded along `axis` to the length `like` has there; real if `like` is."""
    n = np.shape(like)[axis]
    m = np.shape(x)[axis]
    if m > n:
        x = np.take(x, np.arange(n), axis=axis)
    elif m < n:
        widths = [(0, 0)] * np.ndim(x)
        widths[axis] = (0, n - m)
        x = np.pad(x, widths)
    return x if np.iscomplexobj(like) else np.real(x)


def irfft_weights(g, axis=-1):
    """Weights 1, 2, ..., 2, (1 if even) of the half spectrum behind an irfft of g's length."""
    n = np.shape(g)[axis]
    w = np.full(n // 2 + 1, 2.0)
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    shape = [1] * np.ndim(g)
    shape[axis] = n // 2 + 1
    return np.reshape(w, shape)


# -- interpolation and histograms --

def interp_slope(x, xp, fp, left=None, right=None):
    """Index of the segment of xp holding each x and whether x lies inside [xp[0], xp[-1]]."""
    idx = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, len(xp) - 2)
    inside = (np.asarray(x) >= xp[0]) & (np.asarray(x) <= xp[-1])
    return idx, inside


def interp_fp_grad(g, x, xp, fp, left=None, right=None):
    """Cotangent of `fp` for `np.interp(x, xp, fp, left, right)`."""
    g = np.broadcast_to(g, np.shape(x))
    idx, inside = interp_slope(x, xp, fp)
    lam = np.clip((np.asarray(x) - xp[idx]) / (xp[idx + 1] - xp[idx]), 0.0, 1.0)
    below = np.asarray(x) < xp[0]
    above = np.asarray(x) > xp[-1]
    keep = inside | (below & (left is None)) | (above & (right is None))
    gk = np.where(keep, g, 0.0)
    out = np.zeros(np.shape(fp), dtype=np.result_type(gk, np.float32))
    np.add.at(out, idx, gk * (1 - lam))
    np.add.at(out, idx + 1, gk * lam)
    return out


def histogram_bin(a, edges):
    """The bin of each value of `a` for `edges` (last bin closed), -1 outside."""
    a = np.ravel(a)
    idx = np.searchsorted(edges, a, side="right") - 1
    idx = np.where(a == edges[-1], len(edges) - 2, idx)
    return np.where((a < edges[0]) | (a > edges[-1]), -1, idx)


def histogram_weights_grad(g, a, edges, weights):
    """Cotangent of `weights` for `np.histogram(a, edges, weights=weights)[0]`."""
    idx = histogram_bin(a, edges)
    vals = np.where(idx >= 0, np.take(g, np.clip(idx, 0, len(edges) - 2)), 0.0)
    return np.reshape(vals, np.shape(weights))


# -- special functions --

def _fact(n):
    return float(np.prod(np.arange(1, n + 1, dtype=float)))


_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510)


def polygamma(n, x):
    """The polygamma function psi^(n)(x) (n = 0: digamma) for real x, without SciPy.

    Upward recurrence to x >= 10, then the asymptotic series.  A Python number gives a float.
    """
    n = int(n)
    is_number = isinstance(x, numbers.Number) and not isinstance(x, np.generic)
    xa = np.asarray(x)
    dtype = xa.dtype if xa.dtype.kind == "f" else np.dtype(float)
    z = xa.astype(float)
    acc = np.zeros_like(z)
    fact = _fact(n)
    sign = -1.0 if n % 2 else 1.0
    low = z < 10.0
    while np.any(low):
        acc = acc - np.where(low, sign * fact / np.where(low, z, 1.0) ** (n + 1), 0.0)
        z = np.where(low, z + 1.0, z)
        low = z < 10.0
    if n == 0:
        series = np.log(z) - 0.5 / z
        for k, b in enumerate(_BERNOULLI, 1):
            series = series - b / (2 * k * z ** (2 * k))
    else:
        series = _fact(n - 1) / z ** n + fact / (2 * z ** (n + 1))
        for k, b in enumerate(_BERNOULLI, 1):
            series = series + b * _fact(2 * k + n - 1) / (_fact(2 * k) * z ** (2 * k + n))
        series = -sign * series
    out = (series + acc).astype(dtype)
    return float(out) if is_number else (out[()] if out.ndim == 0 else out)


def sinc_derivative(n, x):
    """The n-th derivative of np.sinc(x) = sin(pi x) / (pi x), n >= 1, finite at x = 0 to every
    order (so a derivative of the derivative is right there too).  With y = pi x it is
    pi^n s^(n)(y), s(y) = sin(y) / y: where |y| < 1 the series of s, differentiated term by
    term (y^(2m) (-1)^m / (2m + 1)!), else Leibniz's rule for sin(y) * (1 / y)."""
    n = int(n)
    y = np.pi * np.asarray(x)
    small = np.abs(y) < 1.0
    ys = np.where(small, y, 0.0)
    series = 0.0 * y
    for m in range((n + 1) // 2, (n + 1) // 2 + 12):      # the terms of degree 2m - n >= 0
        series = series + (-1) ** m * _fact(2 * m) / (_fact(2 * m - n) * _fact(2 * m + 1)) \
            * ys ** (2 * m - n)
    yl = np.where(small, 1.0, y)
    leibniz = 0.0 * y
    for j in range(n + 1):     # d^j sin(y) = sin(y + j pi / 2), d^i (1 / y) = (-1)^i i! / y^(i+1)
        i = n - j
        leibniz = leibniz + math.comb(n, j) * np.sin(yl + j * (np.pi / 2)) \
            * ((-1) ** i * _fact(i)) / yl ** (i + 1)
    return np.pi ** n * np.where(small, series, leibniz)
