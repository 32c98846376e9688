"""Logistic regression trained by gradient descent, with the gradient s2s_ad generates.

Idea: a real use of `ad.value_and_grad`: the mean cross-entropy of a linear classifier,
differentiated with respect to its weights and bias, drives plain gradient descent on
synthetic, nearly separable data. The generated gradient is printed; it is checked against
the textbook formula X.T @ (sigmoid(X @ w + b) - y) / N and against finite differences.

Input domain: X is (N, d) real, y holds labels 0.0 or 1.0; w, b any real values. The loss
uses logaddexp, so it is finite for any logits.
"""
import numpy as np

import s2s_ad as ad


def loss(w, b, X, y):
    logits = X @ w + b
    # -log sigmoid(z) for y = 1, -log(1 - sigmoid(z)) for y = 0, without overflow
    return np.mean(np.logaddexp(0.0, logits) - y * logits)


def accuracy(w, b, X, y):
    return np.mean((X @ w + b > 0) == (y > 0.5))


def main(n_samples=200, n_features=5, steps=100, learning_rate=0.5):
    rng = np.random.default_rng(0)
    true_w = rng.standard_normal(n_features)
    X = rng.standard_normal((n_samples, n_features))
    y = (X @ true_w + 0.3 + 0.1 * rng.standard_normal(n_samples) > 0).astype(float)
    w, b = np.zeros(n_features), 0.0
    acc0 = accuracy(w, b, X, y)

    print(ad.source(loss, "grad", wrt=("w", "b"), example=(w, b, X, y)))
    ad.check_grads(loss, (rng.standard_normal(n_features), 0.1, X, y), wrt=(0, 1))

    value_and_grad = ad.value_and_grad(loss, wrt=("w", "b"))
    gw, gb = value_and_grad(w, b, X, y)[1]
    p = 1.0 / (1.0 + np.exp(-(X @ w + b)))
    np.testing.assert_allclose(gw, X.T @ (p - y) / n_samples, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(gb, np.mean(p - y), rtol=1e-12, atol=1e-14)

    losses = []
    for step in range(steps):
        value, (gw, gb) = value_and_grad(w, b, X, y)
        losses.append(value)
        w, b = w - learning_rate * gw, b - learning_rate * gb
    acc = accuracy(w, b, X, y)
    print(f"loss {losses[0]:.4f} -> {losses[-1]:.4f} in {steps} steps; "
          f"accuracy {acc0:.1%} -> {acc:.1%}")
    assert losses[-1] < 0.5 * losses[0]
    assert all(later <= earlier + 1e-12 for earlier, later in zip(losses, losses[1:]))
    assert acc > 0.9 and acc > acc0
    return losses[-1], acc


if __name__ == "__main__":
    main()
