"""The benchmark workloads, written once in plain NumPy / `math`.

These are the functions s2s_ad reads and differentiates. The peers (autograd, JAX, PyTorch)
run the very same code objects with the globals `np` and `math` rebound to their own array
module (see peers.py), so every system differentiates the same program.

Conventions: differentiated arguments come first; constants that are not differentiated
(loop lengths, polynomial coefficients) are module-level names.
"""
import math

import numpy as np

HORNER_COEFFS = tuple(1.0 / (k + 1.0) for k in range(300))
LORENZ_STEPS = 500
LORENZ_DT = 0.005


def horner(x):
    """Polynomial of degree 299 by Horner's rule, on Python floats."""
    y = 0.0
    for c in HORNER_COEFFS:
        y = y * x + c
    return y


def scalar30(x, y, z):
    """About 30 scalar operations in straight-line code using `math`."""
    a = math.sin(x) * y
    b = math.exp(-a * a) + z
    c = math.log(1.0 + b * b)
    d = math.tanh(c * x - y)
    e = math.cos(d + z) * a
    f = math.sqrt(1.0 + e * e + c * c)
    g = a * b - c / f
    h = math.exp(-g * g * 0.5) * d
    k = (h + x) * (e - y) + math.sin(z * h)
    return k * k + g / f + math.tanh(h * c)


def mlp_loss(W1, b1, W2, b2, x, y):
    """Two-layer tanh MLP with softmax cross-entropy; y is one-hot."""
    h = np.tanh(x @ W1 + b1)
    logits = h @ W2 + b2
    m = np.max(logits, axis=1, keepdims=True)
    z = logits - m
    lse = np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.sum(y * (z - lse)) / x.shape[0]


def rnn_loss(Wx, Wh, b, xs, h0):
    """Vanilla tanh RNN over xs[t]; loss is the sum of squares of the final state."""
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ Wx + h @ Wh + b)
    return np.sum(h * h)


def elementwise(x):
    return np.sum(np.sin(x) * np.exp(-x * x))


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def lorenz(sigma, rho, beta):
    """Explicit Euler on the Lorenz system; loss on the final state."""
    x = 1.0
    y = 1.0
    z = 1.0
    for i in range(LORENZ_STEPS):
        dx = sigma * (y - x)
        dy = x * (rho - z) - y
        dz = x * y - beta * z
        x = x + LORENZ_DT * dx
        y = y + LORENZ_DT * dy
        z = z + LORENZ_DT * dz
    return x * x + y * y + z * z


def jac_fn(x, W):
    """A vector function R^32 -> R^32."""
    return np.tanh(W @ x) * x
