"""Check every hand-written derivative against central finite differences.

    python -m benchmarks.check_hand      # exits 1 if any check fails; a few seconds

Gradients are checked along random directions and along single coordinates (always including
the first and last element of each array); the HVP against differences of the hand-written
gradient; the Jacobian column by column.  From pytest: `assert not failures()`.
"""
import sys

import numpy as np

from benchmarks import hand, workloads
from benchmarks.suite import CASES, inputs_for

HAND_GRAD = {workloads.rosenbrock: hand.rosenbrock_grad}  # HVP = derivative of this gradient
H = 1e-5      # finite-difference step
RTOL = 1e-6   # tolerance, relative to max(1, |value|)


def _shift(args, deltas, h):
    out = list(args)
    for i, d in enumerate(deltas):
        out[i] = args[i] + h * d
    return out


def _central(fn, args, deltas):
    return (fn(*_shift(args, deltas, H)) - fn(*_shift(args, deltas, -H))) / (2.0 * H)


def _as_list(grads, n):
    return list(grads) if n > 1 else [grads]


def _unit(arg, index):
    if np.ndim(arg) == 0:
        return 1.0
    d = np.zeros_like(arg)
    d.flat[index] = 1.0
    return d


def _zero(arg):
    return 0.0 if np.ndim(arg) == 0 else np.zeros_like(arg)


def _directions(args, n_wrt, rng):
    """Random directions over all wrt arguments, then single coordinates of each argument."""
    wrt = args[:n_wrt]
    for _ in range(3):
        yield [float(rng.standard_normal()) if np.ndim(a) == 0 else rng.standard_normal(np.shape(a))
               for a in wrt]
    for i, a in enumerate(wrt):
        size = int(np.size(a))
        picks = {0, size - 1} | set(rng.integers(0, size, size=min(size, 5)).tolist())
        for j in sorted(picks):
            deltas = [_zero(b) for b in wrt]
            deltas[i] = _unit(a, j)
            yield deltas


def _rel_err(approx, exact):
    """Worst elementwise |approx - exact| / max(1, |exact|)."""
    approx, exact = np.asarray(approx, float), np.asarray(exact, float)
    return float(np.max(np.abs(approx - exact) / np.maximum(1.0, np.abs(exact))))


def check_grad(case, inputs, rng):
    grads = _as_list(case.hand(*inputs.args), case.n_wrt)
    worst = 0.0
    for deltas in _directions(inputs.args, case.n_wrt, rng):
        exact = sum(float(np.sum(np.asarray(g) * d)) for g, d in zip(grads, deltas))
        worst = max(worst, _rel_err(_central(case.fn, inputs.args, deltas), exact))
    return worst


def check_hvp(case, inputs, rng):
    x, = inputs.args
    fd = _central(HAND_GRAD[case.fn], (x,), [inputs.v])
    return _rel_err(fd, case.hand(x, inputs.v))


def check_jacobian(case, inputs, rng):
    x = inputs.args[0]
    J = case.hand(*inputs.args)
    cols = [_central(case.fn, inputs.args, [_unit(x, j)]) for j in range(x.size)]
    return _rel_err(np.stack(cols, axis=-1), J)


CHECKS = {"grad": check_grad, "hvp": check_hvp, "jacrev": check_jacobian,
          "jacfwd": check_jacobian}


def run_checks(seed=0):
    """[(case name, worst relative error, ok)] for every case."""
    rows = []
    for case in CASES:
        rng = np.random.default_rng(seed + 1)
        err = CHECKS[case.kind](case, inputs_for(case, seed), rng)
        rows.append((case.name, err, err <= RTOL))
    return rows


def failures(seed=0):
    return [(name, err) for name, err, ok in run_checks(seed) if not ok]


def main():
    rows = run_checks()
    for name, err, ok in rows:
        print(f"{name:16s} max rel err {err:9.2e}  {'ok' if ok else 'FAIL'}")
    bad = [r for r in rows if not r[2]]
    print(f"{len(rows) - len(bad)} passed, {len(bad)} failed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
