"""The functions of samples/ as corpus programs for the transform matrix, each with the input
domain its sample states (tests/test_samples.py runs the samples themselves)."""
import numpy as np

from programs import Case, args, mat, scal, vec
from test_samples import load


def _labels(rows, cols):
    """One-hot rows (the MLP's targets)."""
    def make(rng):
        y = np.zeros((rows, cols))
        y[np.arange(rows), rng.integers(0, cols, rows)] = 1.0
        return y
    return make


def _observed(steps):
    return lambda rng: np.cos(np.arange(steps) * 0.1) + 0.01 * rng.standard_normal(steps)


def sample_cases():
    m = {name: load(name) for name in (
        "computational_graph", "double_backprop", "forward_vs_reverse_cost",
        "hessian_is_jacobian_of_gradient", "jacobian_of_linear_map", "jacobian_shapes",
        "jvp_vjp_without_jacobian", "logistic_regression", "mlp", "newton_hessian", "ode_fit",
        "reverse_mode_walkthrough", "rnn", "stencil_inplace")}
    binary = lambda rng: (rng.uniform(size=6) > 0.5).astype(float)   # noqa: E731
    cases = [
        Case(m["computational_graph"].f, args(scal(0.5, 2.0), scal(0.5, 2.0)), (0, 1)),
        Case(m["double_backprop"].f, args(vec(4)), (0,)),
        Case(m["forward_vs_reverse_cost"].f, args(vec(3), mat(2, 3)), (0, 1)),
        Case(m["hessian_is_jacobian_of_gradient"].f, args(vec(4)), (0,)),
        Case(m["jacobian_of_linear_map"].linear_map, args(vec(4), mat(3, 4)), (0, 1)),
        Case(m["jacobian_shapes"].energy, args(vec(4)), (0,)),
        Case(m["jacobian_shapes"].cube, args(scal()), (0,)),
        Case(m["jacobian_shapes"].curve, args(scal(), vec(3)), (0, 1)),
        Case(m["jvp_vjp_without_jacobian"].f, args(vec(4), mat(3, 4)), (0, 1)),
        Case(m["logistic_regression"].loss, args(vec(3), scal(), mat(6, 3), binary),
             (0, 1)),
        Case(m["mlp"].loss, args(mat(3, 4), vec(4), mat(4, 2), vec(2), mat(5, 3),
                                 _labels(5, 2)), (0, 1, 2, 3)),
        Case(m["newton_hessian"].f, args(vec(3), mat(4, 3), vec(3), scal(0.1, 1.0)),
             (0, 1, 2, 3)),
        Case(m["ode_fit"].trajectory_loss, args(scal(1.5, 2.5), scal(0.05, 0.3), 1.0, 0.0,
                                                0.05, _observed(12)), (0, 1, 2, 3, 4),
             tol=1e-5),
        Case(m["reverse_mode_walkthrough"].f, args(scal(), scal()), (0, 1)),
        Case(m["rnn"].loss, args(mat(3, 2, -0.5, 0.5), mat(3, 3, -0.5, 0.5), vec(3),
                                 mat(2, 3), mat(4, 2), vec(2)), (0, 1, 2, 3, 4, 5)),
        Case(m["stencil_inplace"].loss, args(vec(6), vec(6), 2), (0, 1)),
    ]
    for case, module in zip(cases, [c.fn.__module__ for c in cases]):
        case.label = f"{module.replace('s2s_ad_sample_', 'samples.')}.{case.fn.__name__}"
    return cases


SAMPLE_CASES = sample_cases()
