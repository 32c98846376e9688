"""Fitting an ODE's parameters by differentiating through its integrator.

Idea: a damped oscillator x'' = -2 zeta omega x' - omega^2 x is integrated by symplectic
(semi-implicit) Euler written as a plain Python loop on floats. The loss, the mean squared
distance between the simulated and the observed positions, is a function of (omega, zeta),
and s2s_ad differentiates it through every step of the loop (the tape keeps the overwritten
x and v for the reverse sweep). Gradient descent from a wrong guess recovers the true
parameters of noisy observations.

Input domain: omega > 0, 0 <= zeta < 1 (under-damped), dt * omega well below 1 for a stable
integrator; observed is a 1-D array sampled every dt.
"""
import numpy as np

import s2s_ad as ad


def trajectory_loss(omega, zeta, x0, v0, dt, observed):
    x = x0
    v = v0
    total = 0.0
    for i in range(observed.shape[0]):
        a = -2.0 * zeta * omega * v - omega * omega * x
        v = v + dt * a
        x = x + dt * v
        total = total + (x - observed[i]) ** 2
    return total / observed.shape[0]


def simulate(omega, zeta, x0, v0, dt, steps):
    xs, x, v = [], x0, v0
    for _ in range(steps):
        v = v + dt * (-2.0 * zeta * omega * v - omega * omega * x)
        x = x + dt * v
        xs.append(x)
    return np.array(xs)


def main(steps=150, dt=0.05, iterations=200, learning_rate=0.2):
    true_omega, true_zeta, x0, v0 = 2.0, 0.15, 1.0, 0.0
    rng = np.random.default_rng(0)
    observed = simulate(true_omega, true_zeta, x0, v0, dt, steps)
    observed = observed + 0.01 * rng.standard_normal(steps)

    print(ad.source(trajectory_loss, "grad", wrt=("omega", "zeta"),
                    example=(1.0, 0.1, x0, v0, dt, observed)))
    ad.check_grads(trajectory_loss, (1.8, 0.2, x0, v0, dt, observed), wrt=(0, 1))

    value_and_grad = ad.value_and_grad(trajectory_loss, wrt=("omega", "zeta"))
    omega, zeta = 1.7, 0.3                               # the initial guess
    first = trajectory_loss(omega, zeta, x0, v0, dt, observed)
    for it in range(iterations):
        value, (g_omega, g_zeta) = value_and_grad(omega, zeta, x0, v0, dt, observed)
        omega, zeta = omega - learning_rate * g_omega, zeta - learning_rate * g_zeta
        if it % max(1, iterations // 5) == 0:
            print(f"iteration {it:4d}: loss {value:.6f}, omega {omega:.4f}, zeta {zeta:.4f}")
    final = trajectory_loss(omega, zeta, x0, v0, dt, observed)
    print(f"fitted omega {omega:.4f} (true {true_omega}), zeta {zeta:.4f} (true {true_zeta}); "
          f"loss {first:.5f} -> {final:.6f}")
    assert final < 0.01 * first          # down to the noise level (0.01 ** 2)
    assert abs(omega - true_omega) < 0.02 and abs(zeta - true_zeta) < 0.02
    return omega, zeta


if __name__ == "__main__":
    main()
