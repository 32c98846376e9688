"""A stencil kernel that writes in place, called from a loss: derivatives of mutation and calls.

Idea: numerical kernels are written with in-place slice assignments into a work array, and
split into helper functions. `smooth` below fills the interior of B with the average of each
point's two neighbours, B[1:-1] = 0.5 * (A[2:] + A[:-2]), keeping A's end points; the loss
applies it a few times and measures roughness. s2s_ad differentiates the helper as its own
generated function (called from the loss's derivative) and treats each write into B as
overwriting the slice, whose previous adjoint is cut off. The gradient is checked against
the explicit linear-algebra form (the stencil is a matrix S, so the gradient is known in
closed form) and against finite differences; the caller's array is never modified.

Input domain: any real 1-D array A with at least 3 entries.
"""
import numpy as np

import s2s_ad as ad


def smooth(A):
    B = A.copy()
    B[1:-1] = 0.5 * (A[2:] + A[:-2])
    return B


def loss(A, target, sweeps):
    for _ in range(sweeps):
        A = smooth(A)
    return 0.5 * np.sum((A - target) ** 2)


def stencil_matrix(n):
    S = np.eye(n)
    for i in range(1, n - 1):
        S[i, i] = 0.0
        S[i, i - 1] = S[i, i + 1] = 0.5
    return S


def main(n=12, sweeps=3):
    rng = np.random.default_rng(0)
    A = rng.standard_normal(n)
    target = np.linspace(0.0, 1.0, n)

    print(ad.source(smooth, "vjp", example=(A,)))
    print(ad.source(loss, "grad", example=(A, target, sweeps)))

    A_before = A.copy()
    gradient = ad.grad(loss)(A, target, sweeps)
    np.testing.assert_array_equal(A, A_before)            # derivatives never modify arguments

    S = np.linalg.matrix_power(stencil_matrix(n), sweeps)
    np.testing.assert_allclose(loss(A, target, sweeps), 0.5 * np.sum((S @ A - target) ** 2))
    np.testing.assert_allclose(gradient, S.T @ (S @ A - target), rtol=1e-12, atol=1e-12)
    ad.check_grads(loss, (A, target, sweeps), wrt=(0,))
    print("gradient == S.T @ (S @ A - target), and agrees with finite differences")
    return gradient


if __name__ == "__main__":
    main()
