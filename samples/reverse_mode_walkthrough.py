"""Reverse mode, walked by hand: the gradient is the chain of primitive VJPs applied backwards.

Idea: f is a sequence of primitive operations (its SSA form). Reverse mode runs them forward,
keeping what each one needs, then starts from out_bar = 1 and walks the sequence backwards:
each primitive's VJP maps the adjoint of its result to adjoints of its operands, and adjoints
of a value used twice are added. This script prints the grad code s2s_ad generates and, next
to it, does the same walk by hand: the forward pass calls `ad.vjp` on each one-operation
function and pushes its pullback on a tape; the backward pass pops the pullbacks in reverse
order. Both must agree with `ad.grad(f)` and with the derivative worked out on paper.

Input domain: any real x, y.
"""
import numpy as np

import s2s_ad as ad


def f(x, y):
    return np.sin(x * y) + x * np.exp(y)


# The primitives f is made of, each a function with its own VJP.
def mul(a, b):
    return a * b


def sin(a):
    return np.sin(a)


def exp(a):
    return np.exp(a)


def add(a, b):
    return a + b


# f as a list of steps: (result, primitive, operands) in the order of the SSA form.
PROGRAM = [
    ("t0", mul, ("x", "y")),
    ("t1", sin, ("t0",)),
    ("t2", exp, ("y",)),
    ("t3", mul, ("x", "t2")),
    ("out", add, ("t1", "t3")),
]


def gradient_by_hand(x, y):
    values = {"x": x, "y": y}
    tape = []
    print("forward sweep:")
    for result, primitive, operands in PROGRAM:
        out, pullback = ad.vjp(primitive, *(values[name] for name in operands))
        values[result] = out
        tape.append((result, primitive, operands, pullback))
        print(f"  {result} = {primitive.__name__}({', '.join(operands)}) = {out:.6f}")

    adjoint = {"out": 1.0}                                  # d(out)/d(out)
    print("reverse sweep (pop the tape):")
    while tape:
        result, primitive, operands, pullback = tape.pop()
        cotangents = pullback(adjoint[result])
        for name, bar in zip(operands, cotangents):
            adjoint[name] = adjoint.get(name, 0.0) + bar    # a value used twice: add
        pieces = ", ".join(f"{n}_bar += {b:.6f}" for n, b in zip(operands, cotangents))
        print(f"  vjp of {primitive.__name__} at {result}_bar = {adjoint[result]:.6f}: {pieces}")
    return adjoint["x"], adjoint["y"]


def main(x=0.8, y=-0.3):
    print(ad.source(f, "grad", wrt=("x", "y"), example=(x, y)))

    by_hand = gradient_by_hand(x, y)
    generated = ad.grad(f, wrt=("x", "y"))(x, y)
    on_paper = (y * np.cos(x * y) + np.exp(y), x * np.cos(x * y) + x * np.exp(y))
    print(f"by hand:   {by_hand}\ngenerated: {generated}\non paper:  {on_paper}")
    np.testing.assert_allclose(by_hand, generated, rtol=1e-14)
    np.testing.assert_allclose(generated, on_paper, rtol=1e-14)
    return by_hand


if __name__ == "__main__":
    main()
