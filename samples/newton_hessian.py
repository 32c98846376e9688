"""Newton's method with a generated gradient and Hessian: quadratic convergence.

Idea: Newton's step solves H(x) dx = -grad f(x), with both derivatives from s2s_ad:
`ad.grad(f)` and `ad.hessian(f)` (the Jacobian of the generated gradient, one JVP per
coordinate, i.e. the printed hvp code run n times). Near the minimiser x*, the error
e_k = |x_k - x*| then squares at each step, e_{k+1} <= C e_k^2, so the number of correct
digits doubles; the script asserts that, and that gradient descent is far slower. Far from
x* a full Newton step can overshoot, so a backtracking line search shortens it; near x* it
takes the full step.

The function is smooth and strictly convex with a known minimiser x*:
    f(x) = sum(log(2 cosh(z / 2))) + mu/2 |x - x*|^2,   z = A (x - x*),
written with logaddexp (log(2 cosh(z/2)) = logaddexp(0, z) - z/2) so it never overflows.

Input domain: any real x; A is (m, n), mu > 0.
"""
import numpy as np

import s2s_ad as ad


def f(x, A, x_star, mu):
    d = x - x_star
    z = A @ d
    return np.sum(np.logaddexp(0.0, z) - 0.5 * z) + 0.5 * mu * np.sum(d * d)


def main(n=6, m=10, mu=0.1, iterations=12):
    rng = np.random.default_rng(0)
    A = rng.standard_normal((m, n))
    x_star = rng.standard_normal(n)
    x = x_star + 0.5 * rng.standard_normal(n)
    example = (x, A, x_star, mu)

    print(ad.source(f, "grad", example=example))
    print(ad.source(f, "hvp", example=example))
    ad.check_grads(f, example, wrt=(0,), order=2)

    grad, hessian = ad.grad(f), ad.hessian(f)
    errors, full_step = [np.linalg.norm(x - x_star)], []
    for k in range(iterations):
        H = hessian(x, A, x_star, mu)
        np.testing.assert_allclose(H, H.T, atol=1e-12)
        g = grad(x, A, x_star, mu)
        step = -np.linalg.solve(H, g)
        t = 1.0                            # backtracking: far from x* a full step can overshoot
        while f(x + t * step, A, x_star, mu) > f(x, A, x_star, mu) + 0.25 * t * (g @ step):
            t *= 0.5
        x = x + t * step
        full_step.append(t == 1.0)
        errors.append(np.linalg.norm(x - x_star))
        print(f"Newton step {k + 1}: step length {t:<6} |x - x*| = {errors[-1]:.3e}")
        if errors[-1] < 1e-14:
            break
    assert errors[-1] < 1e-12, errors
    # quadratic convergence: once full steps are taken, e_{k+1} / e_k^2 stays bounded
    # (while e_{k+1} is above rounding level)
    ratios = [later / earlier ** 2 for earlier, later, full in zip(errors, errors[1:], full_step)
              if full and later > 1e-13]
    print("e_{k+1} / e_k^2:", ", ".join(f"{r:.3g}" for r in ratios))
    assert len(ratios) >= 2 and max(ratios) < 10.0
    assert len(errors) - 1 <= 8                      # a handful of steps to machine precision

    # The same number of gradient-descent steps (step 1/L) barely gets started.
    y = example[0]
    L = 0.25 * np.linalg.norm(A, 2) ** 2 + mu
    for _ in range(len(errors) - 1):
        y = y - grad(y, A, x_star, mu) / L
    print(f"gradient descent after {len(errors) - 1} steps: |y - x*| = "
          f"{np.linalg.norm(y - x_star):.3e}")
    assert np.linalg.norm(y - x_star) > 1e3 * errors[-1]
    return errors


if __name__ == "__main__":
    main()
