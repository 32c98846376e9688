"""A small recurrent network: gradients through a Python loop over time, checked and used.

Idea: an Elman RNN, h_t = tanh(Wx @ x_t + Wh @ h_{t-1} + b), reads a sequence with an
ordinary `for` loop; the loss compares a linear read-out of the last state with a target.
The generated gradient is backpropagation through time: the forward sweep pushes each
overwritten h on an explicit tape, the reverse sweep pops them in the opposite order. The
script prints that code, checks it with `ad.check_grads` (forward and reverse mode against
finite differences), and trains a few steps to fit a target that a teacher RNN produced.

Input domain: xs is a (T, n_in) real sequence; any real weights.
"""
import numpy as np

import s2s_ad as ad


def loss(Wx, Wh, b, Wy, xs, target):
    h = np.zeros(Wh.shape[0])
    for t in range(xs.shape[0]):
        h = np.tanh(Wx @ xs[t] + Wh @ h + b)
    prediction = Wy @ h
    return 0.5 * np.sum((prediction - target) ** 2)


def main(steps_in_time=8, n_in=3, n_hidden=6, n_out=2, train_steps=60, learning_rate=0.3):
    rng = np.random.default_rng(0)

    def init():
        return (rng.standard_normal((n_hidden, n_in)) * 0.5,
                rng.standard_normal((n_hidden, n_hidden)) * 0.3,
                rng.standard_normal(n_hidden) * 0.1,
                rng.standard_normal((n_out, n_hidden)) * 0.5)

    xs = rng.standard_normal((steps_in_time, n_in))
    teacher = init()
    params = init()
    Wx, Wh, b, Wy = teacher                 # the target is what the teacher predicts
    h = np.zeros(n_hidden)
    for x in xs:
        h = np.tanh(Wx @ x + Wh @ h + b)
    target = Wy @ h

    print(ad.source(loss, "grad", wrt=("Wx", "Wh"), example=(*params, xs, target)))
    ad.check_grads(loss, (*params, xs, target), wrt=(0, 1, 2, 3))          # raises if wrong

    value_and_grad = ad.value_and_grad(loss, wrt=(0, 1, 2, 3))
    first = value = loss(*params, xs, target)
    for step in range(train_steps):
        value, grads = value_and_grad(*params, xs, target)
        params = tuple(p - learning_rate * g for p, g in zip(params, grads))
    final = loss(*params, xs, target)
    print(f"loss {first:.5f} -> {final:.5f} after {train_steps} steps")
    assert final < 0.1 * first
    return first, final


if __name__ == "__main__":
    main()
