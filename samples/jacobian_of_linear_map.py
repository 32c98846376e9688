"""The Jacobian of a linear map is its matrix: for y = W @ x, dy/dx = W.

Idea: a Jacobian collects every partial derivative dy_i/dx_j in a matrix of shape
out.shape + in.shape. For the linear map y = W @ x each y_i = sum_j W[i, j] x[j], so
dy_i/dx_j = W[i, j] at every x: forward mode (`ad.jacfwd`, one JVP per input) and reverse
mode (`ad.jacrev`, one VJP per output) must both give W back exactly.

Input domain: any real matrix W of shape (m, n) and any real vector x of length n.
"""
import numpy as np

import s2s_ad as ad


def linear_map(x, W):
    return W @ x


def main(m=3, n=4):
    rng = np.random.default_rng(0)
    W = rng.standard_normal((m, n))
    x = rng.standard_normal(n)

    print("# forward mode: the tangent of y = W @ x is W @ x_dot")
    print(ad.source(linear_map, "jvp", wrt="x", example=(x, W)))
    print("# reverse mode: the adjoint of x is W.T @ out_bar (the runtime helper matmul_grad_b)")
    print(ad.source(linear_map, "vjp", wrt="x", example=(x, W)))

    J_fwd = ad.jacfwd(linear_map, wrt="x")(x, W)
    J_rev = ad.jacrev(linear_map, wrt="x")(x, W)
    print(f"Jacobian shape {J_fwd.shape} = y.shape {(m,)} + x.shape {(n,)}")
    print("W =\n", W)
    print("jacfwd =\n", J_fwd)
    assert J_fwd.shape == J_rev.shape == (m, n)
    np.testing.assert_allclose(J_fwd, W, rtol=0, atol=1e-12)
    np.testing.assert_allclose(J_rev, W, rtol=0, atol=1e-12)

    # The Jacobian of a linear map does not depend on where it is taken.
    x_elsewhere = 100.0 * rng.standard_normal(n)
    np.testing.assert_allclose(ad.jacfwd(linear_map, wrt="x")(x_elsewhere, W), W, atol=1e-12)
    print("jacfwd == jacrev == W, at any x")
    return J_fwd


if __name__ == "__main__":
    main()
