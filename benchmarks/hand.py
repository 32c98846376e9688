"""Hand-written derivatives of the workloads: the gradient a careful person writes in NumPy.

Each function is self-contained (so `inspect.getsource` counts all of it) and is checked
against central finite differences by `python -m benchmarks.check_hand`.
"""
import math

import numpy as np

from benchmarks.workloads import HORNER_COEFFS, LORENZ_DT, LORENZ_STEPS


def horner_grad(x):
    # Horner's rule for p and p' together (forward mode is the natural hand-written way).
    y = 0.0
    dy = 0.0
    for c in HORNER_COEFFS:
        dy = dy * x + y
        y = y * x + c
    return dy


def scalar30_grad(x, y, z):
    # forward sweep, keeping what the reverse sweep needs
    sa = math.sin(x)
    a = sa * y
    ea = math.exp(-a * a)
    b = ea + z
    c = math.log(1.0 + b * b)
    d = math.tanh(c * x - y)
    v = d + z
    cv = math.cos(v)
    e = cv * a
    f = math.sqrt(1.0 + e * e + c * c)
    g = a * b - c / f
    w = math.exp(-g * g * 0.5)
    h = w * d
    p = h + x
    q = e - y
    k = p * q + math.sin(z * h)
    th = math.tanh(h * c)
    # reverse sweep: out = k*k + g/f + th
    k_bar = 2.0 * k
    g_bar = 1.0 / f
    f_bar = -g / (f * f)
    hc_bar = 1.0 - th * th
    h_bar = hc_bar * c
    c_bar = hc_bar * h
    czh = k_bar * math.cos(z * h)
    z_bar = czh * h
    h_bar += czh * z + k_bar * q
    x_bar = k_bar * q
    e_bar = k_bar * p
    y_bar = -k_bar * p
    w_bar = h_bar * d
    d_bar = h_bar * w
    g_bar += w_bar * (-g * w)
    a_bar = g_bar * b
    b_bar = g_bar * a
    c_bar -= g_bar / f
    f_bar += g_bar * c / (f * f)
    e_bar += f_bar * e / f
    c_bar += f_bar * c / f
    a_bar += e_bar * cv
    v_bar = -e_bar * a * math.sin(v)
    d_bar += v_bar
    z_bar += v_bar
    u_bar = d_bar * (1.0 - d * d)
    c_bar += u_bar * x
    x_bar += u_bar * c
    y_bar -= u_bar
    b_bar += c_bar * 2.0 * b / (1.0 + b * b)
    z_bar += b_bar
    a_bar += b_bar * ea * (-2.0 * a)
    y_bar += a_bar * sa
    x_bar += a_bar * y * math.cos(x)
    return x_bar, y_bar, z_bar


def mlp_grad(W1, b1, W2, b2, x, y):
    n = x.shape[0]
    h = np.tanh(x @ W1 + b1)
    logits = h @ W2 + b2
    ez = np.exp(logits - np.max(logits, axis=1, keepdims=True))
    p = ez / np.sum(ez, axis=1, keepdims=True)
    dlogits = (p - y) / n  # rows of the one-hot y sum to 1
    dW2 = h.T @ dlogits
    db2 = np.sum(dlogits, axis=0)
    dpre = (dlogits @ W2.T) * (1.0 - h * h)
    dW1 = x.T @ dpre
    db1 = np.sum(dpre, axis=0)
    return dW1, db1, dW2, db2


def rnn_grad(Wx, Wh, b, xs, h0):
    T, B, nin = xs.shape
    hs = np.empty((T + 1,) + h0.shape)
    hs[0] = h0
    for t in range(T):
        hs[t + 1] = np.tanh(xs[t] @ Wx + hs[t] @ Wh + b)
    dpres = np.empty((T,) + h0.shape)
    dh = 2.0 * hs[T]
    for t in range(T - 1, -1, -1):
        dpre = dh * (1.0 - hs[t + 1] * hs[t + 1])
        dpres[t] = dpre
        dh = dpre @ Wh.T
    # one big matmul per weight instead of T small ones
    dpres2 = dpres.reshape(T * B, -1)
    dWx = xs.reshape(T * B, nin).T @ dpres2
    dWh = hs[:T].reshape(T * B, -1).T @ dpres2
    db = np.sum(dpres2, axis=0)
    return dWx, dWh, db


def elementwise_grad(x):
    return (np.cos(x) - 2.0 * x * np.sin(x)) * np.exp(-x * x)


def rosenbrock_grad(x):
    xa = x[:-1]
    r = x[1:] - xa * xa
    g = np.zeros_like(x)
    g[:-1] = -400.0 * r * xa - 2.0 * (1.0 - xa)
    g[1:] += 200.0 * r
    return g


def rosenbrock_hvp(x, v):
    # The Hessian is tridiagonal; apply it without forming it.
    xa = x[:-1]
    va = v[:-1]
    vb = v[1:]
    off = -400.0 * xa
    hv = np.zeros_like(x)
    hv[:-1] = (1200.0 * xa * xa - 400.0 * x[1:] + 2.0) * va + off * vb
    hv[1:] += off * va + 200.0 * vb
    return hv


def lorenz_grad(sigma, rho, beta):
    dt = LORENZ_DT
    xs = [0.0] * LORENZ_STEPS
    ys = [0.0] * LORENZ_STEPS
    zs = [0.0] * LORENZ_STEPS
    x = y = z = 1.0
    for i in range(LORENZ_STEPS):
        xs[i] = x
        ys[i] = y
        zs[i] = z
        x, y, z = (x + dt * sigma * (y - x), y + dt * (x * (rho - z) - y),
                   z + dt * (x * y - beta * z))
    xb = 2.0 * x
    yb = 2.0 * y
    zb = 2.0 * z
    sigma_bar = rho_bar = beta_bar = 0.0
    for i in range(LORENZ_STEPS - 1, -1, -1):
        x = xs[i]
        y = ys[i]
        z = zs[i]
        sigma_bar += xb * dt * (y - x)
        rho_bar += yb * dt * x
        beta_bar -= zb * dt * z
        xb, yb, zb = (xb * (1.0 - dt * sigma) + yb * dt * (rho - z) + zb * dt * y,
                      xb * dt * sigma + yb * (1.0 - dt) + zb * dt * x,
                      -yb * dt * x + zb * (1.0 - dt * beta))
    return sigma_bar, rho_bar, beta_bar


def jac_hand(x, W):
    t = np.tanh(W @ x)
    J = ((1.0 - t * t) * x)[:, None] * W
    J[np.diag_indices_from(J)] += t
    return J
