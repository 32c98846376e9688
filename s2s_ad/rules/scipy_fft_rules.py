"""Rules for `scipy.fft`'s discrete cosine transforms (loaded once the program has imported
scipy.fft; registry.load_optional_rules).

dct, idct, dctn and idctn are linear and separable: along each axis the transform is a
matrix M (`_ad.dct_matrices`: the transform of the identity), so the cotangent is M^T
applied along the same axes (`_ad.along_axes(..., transposed=True)`), whatever the type, norm
and orthogonalize.  With n= or s= (cut or padded input) the rules refuse when they run.

Contents:
    scipy.fft       dct idct dctn idctn
"""
from scipy import fft

from s2s_ad import runtime as _ad
from s2s_ad.rules.registry import deffacts, deflinear


def _dct_transpose(g, ans, x, type=2, n=None, axis=-1, norm=None, overwrite_x=False,
                   workers=None, orthogonalize=None):
    m = _ad.dct_matrices(fft.dct, x, type, n, axis, norm, orthogonalize)
    return _ad.along_axes(g, m[0], m[1], True)


def _idct_transpose(g, ans, x, type=2, n=None, axis=-1, norm=None, overwrite_x=False,
                    workers=None, orthogonalize=None):
    m = _ad.dct_matrices(fft.idct, x, type, n, axis, norm, orthogonalize)
    return _ad.along_axes(g, m[0], m[1], True)


def _dctn_transpose(g, ans, x, type=2, s=None, axes=None, norm=None, overwrite_x=False,
                    workers=None, *, orthogonalize=None):
    m = _ad.dct_matrices(fft.dct, x, type, s, axes, norm, orthogonalize)
    return _ad.along_axes(g, m[0], m[1], True)


def _idctn_transpose(g, ans, x, type=2, s=None, axes=None, norm=None, overwrite_x=False,
                     workers=None, orthogonalize=None):
    m = _ad.dct_matrices(fft.idct, x, type, s, axes, norm, orthogonalize)
    return _ad.along_axes(g, m[0], m[1], True)


deflinear(fft.dct, _dct_transpose)
deflinear(fft.idct, _idct_transpose)
deflinear(fft.dctn, _dctn_transpose)
deflinear(fft.idctn, _idctn_transpose)
deffacts(fft.dct, fft.idct, fft.dctn, fft.idctn, kind="array", fresh=True, real=True)
