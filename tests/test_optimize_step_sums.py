"""sum_steps_together (optimize/step_sums.py): a loop's weight cotangents collected and summed
after it by one product, for small arrays."""
import textwrap

import gast
import numpy as np
import pytest

from s2s_ad.backend import optimize
from s2s_ad.backend.codegen import to_source

from optimize_cases import run


def _summing_steps(sizes):
    """The pass, for names of these sizes (what the generator would know)."""
    return lambda node, keep: optimize.optimize(node, keep, (optimize.sum_steps_together,),
                                                sizes=sizes)


def test_a_step_value_changed_between_two_sums_gets_its_own_list():
    out = run(_summing_steps({"g": 4, "a": 4}), """
        def f(W, V, n, g, a):
            W_bar = _ad.zeros_like(W)
            V_bar = _ad.zeros_like(V)
            for i in range(n):
                W_bar = W_bar + _ad.matmul_grad_b(g, a, W)
                g = g * 2
                V_bar = V_bar + _ad.matmul_grad_b(g, a, V)
            return W_bar, V_bar
        """)
    out = out.replace("(g_steps, a_steps, g_steps2) =", "g_steps, a_steps, g_steps2 =")  # 3.10
    assert out == textwrap.dedent("""\
        def f(W, V, n, g, a):
            g_steps, a_steps, g_steps2 = ([], [], [])
            for i in range(n):
                g_steps.append(g)
                a_steps.append(a)
                g = g * 2
                g_steps2.append(g)
            W_bar = _ad.matmul_grad_b_steps(g_steps, a_steps, W)
            V_bar = _ad.matmul_grad_b_steps(g_steps2, a_steps, V)
            return (W_bar, V_bar)
        """)


@pytest.mark.parametrize("text", [
    # the total is read in the loop; the invariant changes in it; an array is written into
    "W_bar = W_bar + _ad.matmul_grad_b(g, a, W); c = W_bar",
    "W_bar = W_bar + _ad.matmul_grad_b(g, a, W); W = W * 2",
    "W_bar = W_bar + _ad.matmul_grad_b(g, a, W); a[0] = 1.0",
    "W_bar = W_bar + _ad.matmul_grad_b(g * 2, a, W)",      # only names are collected
])
def test_steps_are_not_summed_where_that_could_change_the_result(text):
    body = "".join(f"        {line}\n" for line in text.split("; "))
    source = f"def f(W, n, g, a):\n    W_bar = _ad.zeros_like(W)\n    for i in range(n):\n" \
             f"{body}    return W_bar\n"
    node = gast.parse(source).body[0]
    before = to_source(node)
    assert to_source(_summing_steps({"g": 4, "a": 4})(node, frozenset())) == before


def test_a_total_with_an_earlier_value_adds_the_steps_to_it():
    out = run(_summing_steps({"g": 4}), """
        def f(b, n, g, b_bar):
            for i in range(n):
                b_bar = b_bar + _ad.unbroadcast(g, b)
            return b_bar
        """)
    assert "b_bar = b_bar + _ad.unbroadcast_steps(g_steps, b)" in out


@pytest.mark.parametrize("side, shapes, fixed", [
    # the steps' a in `a @ W` (cotangent of W: matmul_grad_b_steps)
    ("b", ((3, 4), (2, 4)), (4, 2)), ("b", ((4,), (4,)), (4, 2)), ("b", ((3, 4), (3, 4)), (4,)),
    ("b", ((2, 3, 4), (3, 4)), (4, 2)), ("b", ((4,), (2, 4)), (4,)), ("b", ((3, 4),), (2, 4, 2)),
    ("b", (), (4, 2)),
    # the steps' b in `W @ b` (cotangent of W: matmul_grad_a_steps)
    ("a", ((4,), (4,)), (3, 4)), ("a", ((4, 2), (4, 2)), (3, 4)), ("a", ((2, 4, 2),), (3, 4)),
    ("a", ((4,), (4, 2)), (3, 4)), ("a", ((4,),), (4,)), ("a", (), (3, 4)),
])
def test_summed_steps_equal_the_steps_one_by_one(side, shapes, fixed):
    from s2s_ad import runtime as rt
    rng = np.random.default_rng(0)
    W = rng.standard_normal(fixed)
    others = [rng.standard_normal(s) for s in shapes]
    pairs = [(o, W) if side == "b" else (W, o) for o in others]     # (a, b) of each product
    gs = [rng.standard_normal(np.shape(a @ b)) for a, b in pairs]
    one = rt.matmul_grad_b if side == "b" else rt.matmul_grad_a
    expected = sum((one(g, a, b) for g, (a, b) in zip(gs, pairs)), np.zeros(fixed))
    got = rt.matmul_grad_b_steps(gs, others, W) if side == "b" else \
        rt.matmul_grad_a_steps(gs, W, others)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


@pytest.mark.parametrize("shapes, x", [
    (((2, 3), (2, 3)), (3,)), (((2, 3), (3,)), (3,)), (((), ()), ()), (((2, 3),), (1, 3)), ((), (3,)),
    (((2, 3), (2, 3)), ()), (((4, 2, 3), (4, 2, 3)), (2, 3)), (((4, 2, 3),) * 3, (1, 3)),
    (((2, 3), (2, 3)), (2, 3)),
])
def test_summed_unbroadcasts_equal_the_steps_one_by_one(shapes, x):
    from s2s_ad import runtime as rt
    rng = np.random.default_rng(1)
    xs = rng.standard_normal(x)
    gs = [rng.standard_normal(s) for s in shapes]
    expected = sum((rt.unbroadcast(g, xs) for g in gs), np.zeros(x))
    np.testing.assert_allclose(rt.unbroadcast_steps(gs, xs), expected, rtol=1e-12)
