"""Hessian-vector products without the Hessian: forward-over-reverse and reverse-over-reverse.

Idea: H @ v is the directional derivative of the gradient along v, so it can be had from one
extra sweep over the *generated gradient code*, never forming the n x n Hessian:
  * forward over reverse: a JVP of grad f in direction v (`ad.hvp`, printed below);
  * reverse over reverse ("double backprop"): a VJP of grad f with cotangent v, which is
    H.T @ v = H @ v since H is symmetric; written `ad.vjp(ad.grad(f), x)[1](v)`;
  * also reverse over reverse: the gradient of the scalar <grad f(x), v>. Written as a
    function `g(x) = ad.grad(f)(x) @ v`, this needs the compiler to differentiate a call to a
    derivative function inside g; the script tries it and reports whether that works.
All are compared with hessian(f)(x) @ v.

Input domain: any real vector x (f is smooth everywhere); v of the same length.
"""
import numpy as np

import s2s_ad as ad


def f(x):
    return np.sum(np.log(1.0 + x * x)) + 0.5 * np.sum(np.tanh(x)) ** 2


def main(n=5):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(n)
    v = rng.standard_normal(n)

    print(ad.source(f, "hvp", example=(x,)))

    reference = ad.hessian(f)(x) @ v

    fwd_over_rev = ad.hvp(f)(x, v)
    np.testing.assert_allclose(fwd_over_rev, reference, rtol=1e-12, atol=1e-12)

    _, pullback = ad.vjp(ad.grad(f), x)
    (rev_over_rev,) = pullback(v)
    np.testing.assert_allclose(rev_over_rev, reference, rtol=1e-10, atol=1e-12)

    eps = 1e-6
    by_differences = (ad.grad(f)(x + eps * v) - ad.grad(f)(x - eps * v)) / (2 * eps)
    np.testing.assert_allclose(reference, by_differences, rtol=1e-6, atol=1e-6)
    print("hvp (fwd over rev) == vjp of grad (rev over rev) == hessian @ v == finite differences")

    df = ad.grad(f)

    def g(x):
        return df(x) @ v

    try:
        rev_over_rev_g = ad.grad(g)(x)
    except ad.DifferentiationError as error:
        print(f"grad of a function that calls grad(f) is not supported yet:\n{error}")
        raise
    np.testing.assert_allclose(rev_over_rev_g, reference, rtol=1e-10, atol=1e-12,
                               err_msg="grad of g(x) = grad(f)(x) @ v is not hessian(f)(x) @ v")
    print("grad(g) with g(x) = grad(f)(x) @ v == hessian @ v")
    return fwd_over_rev


if __name__ == "__main__":
    main()
