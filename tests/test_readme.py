"""The generated code README.md shows is what s2s_ad prints today."""
import pathlib
import re
import textwrap

import numpy as np

import s2s_ad as ad

README = (pathlib.Path(__file__).parent.parent / "README.md").read_text()


def loss(w, b, x, y):
    pred = np.tanh(x @ w + b)
    return np.mean((pred - y) ** 2)


def horner(x, n):
    y = 0.0
    for i in range(n):
        y = y * x + 1.0
    return y


def f(x, W):
    return np.tanh(W @ x) * x


def shown(function_name):
    """The code block of README.md that defines `function_name`."""
    blocks = [textwrap.dedent(b) for b in re.findall(r"```python\n(.*?)```", README, re.DOTALL)]
    return next(b for b in blocks if b.startswith(f"def {function_name}("))


def test_the_tour_shows_real_output():
    w, b, x, y = np.ones((3, 2)), np.ones(2), np.ones((5, 3)), np.ones((5, 2))
    assert ad.source(loss, "grad", wrt=("w", "b"), example=(w, b, x, y)) == shown("loss_grad")
    assert ad.source(horner, "vjp", example=(0.5, 10)) == shown("horner_vjp")
    assert ad.source(horner, "jvp", example=(0.5, 10)) == shown("horner_jvp")


def test_the_batched_jacobian_shown_is_real():
    example = (np.ones(3), np.ones((3, 3)))
    assert ad.source(f, "jvp_batched", example=example) == shown("f_jvp_batched")
