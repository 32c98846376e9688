"""A two-layer perceptron, its gradient printed and checked: `make demo` runs this file.

Input domain: any real weights; x is a batch of inputs, y the one-hot targets.
"""
import numpy as np

import s2s_ad as ad


def loss(W1, b1, W2, b2, x, y):
    h = np.tanh(x @ W1 + b1)
    logits = h @ W2 + b2
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.sum(y * log_probs) / x.shape[0]


def main(batch=64, n_in=32, n_hidden=128, n_out=10, steps=50):
    rng = np.random.default_rng(0)
    W1 = rng.standard_normal((n_in, n_hidden)) * 0.1
    b1 = np.zeros(n_hidden)
    W2 = rng.standard_normal((n_hidden, n_out)) * 0.1
    b2 = np.zeros(n_out)
    x = rng.standard_normal((batch, n_in))
    y = np.eye(n_out)[rng.integers(0, n_out, batch)]

    print("The gradient of loss with respect to W1 and W2, as s2s_ad generates it for these")
    print(f"shapes (x is {batch}x{n_in}, W1 {n_in}x{n_hidden}, W2 {n_hidden}x{n_out}). "
          "Each `# ...` comment is a line of loss;")
    print("the lines under it are that line's adjoint: `h_bar` is d loss / d h.")
    print()
    print(ad.source(loss, "grad", wrt=("W1", "W2"), example=(W1, b1, W2, b2, x, y)))
    print("The same gradient for any shapes (more general, so longer):")
    print("  .venv/bin/s2s-ad samples/mlp.py:loss --mode grad --wrt W1 W2")
    print()
    ad.check_grads(loss, (W1, b1, W2, b2, x, y), wrt=(0, 1, 2, 3))   # raises if wrong

    value_and_grad = ad.value_and_grad(loss, wrt=(0, 1, 2, 3))
    first = None
    for step in range(steps):
        value, (gW1, gb1, gW2, gb2) = value_and_grad(W1, b1, W2, b2, x, y)
        first = value if first is None else first
        W1, b1, W2, b2 = W1 - 0.5 * gW1, b1 - 0.5 * gb1, W2 - 0.5 * gW2, b2 - 0.5 * gb2
    print(f"loss: {first:.4f} -> {value:.4f} after {steps} steps of gradient descent")
    assert value < first
    return first, value


if __name__ == "__main__":
    main()
