"""Rules for `scipy.signal`'s convolutions (loaded once the program has imported scipy.signal;
registry.load_optional_rules).

A convolution is bilinear: out = convolve(a, b) in mode 'full' has the cotangents
a: convolve(g, flip(b), 'valid') and b: convolve(g, flip(a), 'valid') (no conjugation: the
complex convention of `s2s_ad.rules`).  Modes 'same' and 'valid' keep a centred part of the
full result, so g is first padded back into place (`_ad.full_widths`).  correlate(a, b) is
convolve(a, flip(conj(b))): its cotangent of b is conj(flip(...)) of that.  convolve2d and
correlate2d take boundary='fill' with fillvalue=0 (others are refused when the rule runs);
fftconvolve takes axes=None.

Contents:
    scipy.signal    convolve correlate convolve2d correlate2d fftconvolve
"""
import numpy as np
from scipy import signal

from s2s_ad import runtime as _ad
from s2s_ad.rules.registry import defbilinear, deffacts

defbilinear(signal.convolve,
            lambda g, ans, in1, in2, mode="full", method="auto": _ad.unbroadcast(signal.convolve(
                np.pad(g, _ad.full_widths(in1, in2, ans)), np.flip(in2), "valid"), in1),
            lambda g, ans, in1, in2, mode="full", method="auto": _ad.unbroadcast(signal.convolve(
                np.pad(g, _ad.full_widths(in1, in2, ans)), np.flip(in1), "valid"), in2))
defbilinear(signal.fftconvolve,
            lambda g, ans, in1, in2, mode="full", axes=None:
            _ad.unsupported("signal.fftconvolve(axes=...)") if axes is not None else
            _ad.unbroadcast(signal.fftconvolve(
                np.pad(g, _ad.full_widths(in1, in2, ans)), np.flip(in2), "valid"), in1),
            lambda g, ans, in1, in2, mode="full", axes=None:
            _ad.unsupported("signal.fftconvolve(axes=...)") if axes is not None else
            _ad.unbroadcast(signal.fftconvolve(
                np.pad(g, _ad.full_widths(in1, in2, ans)), np.flip(in1), "valid"), in2))
defbilinear(signal.correlate,
            lambda g, ans, in1, in2, mode="full", method="auto": _ad.unbroadcast(signal.convolve(
                np.pad(g, _ad.full_widths(in1, in2, ans)), np.conj(in2), "valid"), in1),
            lambda g, ans, in1, in2, mode="full", method="auto": _ad.unbroadcast(np.conj(np.flip(
                signal.convolve(np.pad(g, _ad.full_widths(in1, in2, ans)), np.flip(in1),
                                "valid"))), in2))
defbilinear(signal.convolve2d,
            lambda g, ans, in1, in2, mode="full", boundary="fill", fillvalue=0:
            _ad.unsupported("signal.convolve2d(boundary=...)")
            if boundary != "fill" or fillvalue != 0 else
            _ad.unbroadcast(signal.convolve2d(
                np.pad(g, _ad.full_widths(in1, in2, ans)), np.flip(in2), "valid"), in1),
            lambda g, ans, in1, in2, mode="full", boundary="fill", fillvalue=0:
            _ad.unsupported("signal.convolve2d(boundary=...)")
            if boundary != "fill" or fillvalue != 0 else
            _ad.unbroadcast(signal.convolve2d(
                np.pad(g, _ad.full_widths(in1, in2, ans)), np.flip(in1), "valid"), in2))
defbilinear(signal.correlate2d,
            lambda g, ans, in1, in2, mode="full", boundary="fill", fillvalue=0:
            _ad.unsupported("signal.correlate2d(boundary=...)")
            if boundary != "fill" or fillvalue != 0 else
            _ad.unbroadcast(signal.convolve2d(
                np.pad(g, _ad.correlate2d_widths(in1, in2, ans, mode)), np.conj(in2), "valid"),
                in1),
            lambda g, ans, in1, in2, mode="full", boundary="fill", fillvalue=0:
            _ad.unsupported("signal.correlate2d(boundary=...)")
            if boundary != "fill" or fillvalue != 0 else
            _ad.unbroadcast(np.conj(np.flip(signal.convolve2d(
                np.pad(g, _ad.correlate2d_widths(in1, in2, ans, mode)), np.flip(in1),
                "valid"))), in2))
# (a number where both operands are: kind "num")
deffacts(signal.convolve, signal.fftconvolve, signal.correlate, kind="num", fresh=True,
         real=True)
deffacts(signal.convolve2d, signal.correlate2d, kind="array", fresh=True, real=True)
