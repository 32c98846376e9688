"""The Hessian is the Jacobian of the gradient: H(f) = J(grad f), and it is symmetric.

Idea: grad f maps R^n -> R^n, so it has an n x n Jacobian; that matrix of second partial
derivatives d^2 f / dx_i dx_j is the Hessian. `ad.hessian(f)` is built exactly this way
(forward mode over the generated gradient), so it must equal `ad.jacfwd(ad.grad(f))`, and
also `ad.jacrev(ad.grad(f))` (reverse over reverse). Because f is twice continuously
differentiable the mixed partials agree (Schwarz), so H == H.T.

Input domain: any real vector x; f is smooth everywhere.
"""
import numpy as np

import s2s_ad as ad


def f(x):
    return np.sum(np.exp(0.5 * x) * np.cos(x)) + np.log(1.0 + np.sum(x * x))


def main(n=6):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(n)

    print("# the gradient, whose Jacobian is the Hessian")
    print(ad.source(f, "grad", example=(x,)))

    H = ad.hessian(f)(x)
    H_fwd_over_rev = ad.jacfwd(ad.grad(f))(x)
    H_rev_over_rev = ad.jacrev(ad.grad(f))(x)
    print(f"Hessian shape {H.shape} = x.shape + x.shape")
    with np.printoptions(precision=3, suppress=True):
        print(H)
    assert H.shape == (n, n)
    np.testing.assert_allclose(H, H_fwd_over_rev, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(H, H_rev_over_rev, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(H, H.T, rtol=1e-10, atol=1e-10)

    # Independent check: central differences of the gradient, column by column.
    eps = 1e-5
    g = ad.grad(f)
    H_fd = np.column_stack([(g(x + eps * e) - g(x - eps * e)) / (2 * eps) for e in np.eye(n)])
    np.testing.assert_allclose(H, H_fd, rtol=1e-6, atol=1e-6)
    print("hessian(f) == jacfwd(grad(f)) == jacrev(grad(f)) == finite differences, and H == H.T")
    return H


if __name__ == "__main__":
    main()
