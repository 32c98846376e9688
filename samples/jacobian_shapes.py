"""What the Jacobian reduces to: the gradient for vector -> scalar, f'(x) for scalar -> scalar.

Idea: the Jacobian of f: R^n -> R^m has shape out.shape + in.shape = (m, n). With m = 1 (a
scalar output, shape ()) that is shape (n,): exactly the gradient, the single row of J. With
n = m = 1 (scalar in, scalar out) it is shape (): the ordinary derivative f'(x). And with a
vector output from a scalar input it is shape (m,): the velocity of a curve.

Input domain: any real x for each function below (they are smooth everywhere).
"""
import numpy as np

import s2s_ad as ad


def energy(x):            # R^n -> R
    return 0.5 * np.sum(x * x) + np.sum(np.sin(x))


def cube(t):              # R -> R
    return t ** 3 - 2.0 * t


def curve(t, k):          # R -> R^m
    return np.cos(k * t)


def main(n=5, m=4):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(n)
    t = 0.7
    k = np.arange(1.0, m + 1.0)

    print(ad.source(energy, "grad", example=(x,)))
    J = ad.jacrev(energy)(x)
    gradient = ad.grad(energy)(x)
    print(f"vector -> scalar: jacrev shape {np.shape(J)}, grad shape {gradient.shape}")
    assert np.shape(J) == (n,) == gradient.shape
    np.testing.assert_allclose(J, gradient, rtol=1e-12)
    np.testing.assert_allclose(ad.jacfwd(energy)(x), gradient, rtol=1e-12)
    np.testing.assert_allclose(gradient, x + np.cos(x), rtol=1e-12)      # by hand

    print(ad.source(cube, "grad", example=(t,)))
    d = ad.jacfwd(cube)(t)
    print(f"scalar -> scalar: jacfwd(cube)({t}) = {d!r}, a number; 3 t^2 - 2 = {3 * t**2 - 2}")
    assert np.ndim(d) == 0
    for jac in (ad.jacfwd(cube), ad.jacrev(cube), ad.grad(cube)):
        np.testing.assert_allclose(jac(t), 3 * t ** 2 - 2.0, rtol=1e-12)

    print(ad.source(curve, "jvp", wrt="t", example=(t, k)))
    velocity = ad.jacfwd(curve, wrt="t")(t, k)
    print(f"scalar -> vector: jacfwd shape {velocity.shape}, the curve's velocity")
    assert velocity.shape == (m,)
    np.testing.assert_allclose(velocity, -k * np.sin(k * t), rtol=1e-12)
    np.testing.assert_allclose(ad.jacrev(curve, wrt="t")(t, k), velocity, rtol=1e-12)
    return J, d, velocity


if __name__ == "__main__":
    main()
