"""NumPy code as people write it, through the compiler: methods, complex intermediates, dtypes."""
import numpy as np
import pytest

import s2s_ad as ad


def methods(x, W):
    a = x.sum(axis=0) + x.mean() + x.max() + W.T.dot(x).sum()
    b = x.reshape(2, 2).sum() + x.copy().clip(-0.5, 0.5).sum() + x.astype(float).sum()
    n = x.shape[0] + x.ndim + x.size + len(x)
    return a * b + n * W.sum() + W.transpose().reshape(-1).dot(W.ravel())


def complex_inside(x):
    z = x * (1.0 + 2.0j)
    w = np.exp(1j * x) * z
    return np.sum(np.abs(w) ** 2) + np.real(np.sum(z * np.conj(w)))


def fft_power(x):
    return np.sum(np.abs(np.fft.fft(x)) ** 2) + np.sum(np.imag(np.fft.ifft(x * x)))


def complex_solve(x):
    A = np.array([[2.0, 1j], [-1j, 3.0]])
    y = np.linalg.solve(A, x * (1 + 1j))
    return np.sum(np.abs(y))


def smooth(x):
    return np.sum(np.tanh(x) * x) + np.mean(np.exp(-x * x))


X = np.array([0.3, -0.4, 0.9, 0.1])
W = np.arange(16.0).reshape(4, 4) / 16.0


def test_array_methods_and_attributes():
    ad.check_grads(methods, (X, W))


@pytest.mark.parametrize("fn, x", [(complex_inside, X), (fft_power, X),
                                   (complex_solve, X[:2])])
def test_complex_intermediates_give_real_gradients(fn, x):
    ad.check_grads(fn, (x,))
    g = ad.grad(fn)(x)
    assert g.dtype == np.float64


def test_float32_in_float32_out():
    x = X.astype(np.float32)
    assert ad.grad(smooth)(x).dtype == np.float32
    assert ad.jvp(smooth, (x,), (np.ones(4, np.float32),))[1].dtype == np.float32
    np.testing.assert_allclose(ad.grad(smooth)(x), ad.grad(smooth)(X), rtol=1e-5)


def test_integer_arrays_are_constants():
    def f(x, idx):
        return np.sum(x[idx] * idx)
    g = ad.grad(f)(X, np.array([0, 2, 2]))
    np.testing.assert_allclose(g, [0.0, 0.0, 4.0, 0.0])
