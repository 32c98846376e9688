"""The list of benchmark cases: which workload, which derivative, which inputs, which hand code.

kind is what is being computed:
    "grad"    gradient of a scalar function with respect to `wrt` (the leading arguments)
    "hvp"     Hessian-vector product H(x) @ v
    "jacrev"  full Jacobian, reverse mode
    "jacfwd"  full Jacobian, forward mode
"""
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from benchmarks import hand
from benchmarks import workloads as w


@dataclass
class Inputs:
    args: tuple                    # arguments of the primal function
    v: Optional[np.ndarray] = None  # the vector of a Hessian-vector product


@dataclass
class Case:
    name: str
    fn: Callable        # the primal, plain NumPy / math (what s2s_ad reads)
    hand: Callable      # hand-written derivative: hand(*args), or hand(*args, v) for "hvp"
    kind: str
    wrt: object         # int or tuple of ints; always the leading arguments
    make: Callable      # np.random.Generator -> Inputs
    note: str = ""
    quick_skip: tuple = ()  # systems too slow to set up for --quick (e.g. a 30 s jit compile)

    @property
    def n_wrt(self):
        return len(self.wrt) if isinstance(self.wrt, tuple) else 1


def _mlp_inputs(rng):
    batch, nin, nhid, nout = 64, 32, 128, 10
    W1 = rng.standard_normal((nin, nhid)) / np.sqrt(nin)
    b1 = 0.1 * rng.standard_normal(nhid)
    W2 = rng.standard_normal((nhid, nout)) / np.sqrt(nhid)
    b2 = 0.1 * rng.standard_normal(nout)
    x = rng.standard_normal((batch, nin))
    y = np.eye(nout)[rng.integers(0, nout, size=batch)]
    return Inputs((W1, b1, W2, b2, x, y))


def _rnn_inputs(rng):
    steps, batch, nin, nhid = 50, 16, 32, 64
    Wx = rng.standard_normal((nin, nhid)) / np.sqrt(nin)
    Wh = 0.9 * rng.standard_normal((nhid, nhid)) / np.sqrt(nhid)
    b = 0.1 * rng.standard_normal(nhid)
    xs = rng.standard_normal((steps, batch, nin))
    h0 = np.zeros((batch, nhid))
    return Inputs((Wx, Wh, b, xs, h0))


def _rosen_inputs(rng):
    n = 1000
    return Inputs((rng.uniform(-1.5, 1.5, n),), v=rng.standard_normal(n))


def _jac_inputs(rng):
    n = 32
    return Inputs((rng.standard_normal(n), rng.standard_normal((n, n)) / np.sqrt(n)))


CASES = [
    Case("horner", w.horner, hand.horner_grad, "grad", 0,
         lambda rng: Inputs((0.9,)), "300 iterations on Python floats"),
    Case("scalar30", w.scalar30, hand.scalar30_grad, "grad", (0, 1, 2),
         lambda rng: Inputs((0.7, -0.4, 1.3)), "~30 straight-line math ops"),
    Case("mlp", w.mlp_loss, hand.mlp_grad, "grad", (0, 1, 2, 3), _mlp_inputs,
         "batch 64, 32-128-10, softmax xent"),
    Case("rnn", w.rnn_loss, hand.rnn_grad, "grad", (0, 1, 2), _rnn_inputs,
         "50 steps, batch 16, hidden 64"),
    Case("elementwise", w.elementwise, hand.elementwise_grad, "grad", 0,
         lambda rng: Inputs((rng.standard_normal(10 ** 6),)), "1e6 elements"),
    Case("rosenbrock", w.rosenbrock, hand.rosenbrock_grad, "grad", 0, _rosen_inputs, "n=1000"),
    Case("rosenbrock-hvp", w.rosenbrock, hand.rosenbrock_hvp, "hvp", 0, _rosen_inputs,
         "n=1000, Hessian-vector product"),
    Case("lorenz", w.lorenz, hand.lorenz_grad, "grad", (0, 1, 2),
         lambda rng: Inputs((10.0, 28.0, 8.0 / 3.0)), "Euler, 500 steps, Python floats",
         quick_skip=("jax-jit",)),
    Case("jac32-rev", w.jac_fn, hand.jac_hand, "jacrev", 0, _jac_inputs, "32x32 Jacobian"),
    Case("jac32-fwd", w.jac_fn, hand.jac_hand, "jacfwd", 0, _jac_inputs, "32x32 Jacobian"),
]


def inputs_for(case, seed=0):
    return case.make(np.random.default_rng(seed))


def bound_call(fn, args):
    """`fn(*args)` as a zero-argument callable, the function and arguments bound beforehand:
    every system is timed through the same call (no attribute lookups, no tuples built)."""
    return lambda: fn(*args)


def hand_call(case, inputs):
    """The hand-written derivative as a zero-argument callable."""
    extra = (inputs.v,) if case.kind == "hvp" else ()
    return bound_call(case.hand, inputs.args + extra)
