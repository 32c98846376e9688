"""Reverse mode's three stages (transforms/reverse_sweep.py, tape_plan.py, reverse.py): every
adjoint is generated once, the tape planner decides from it what the forward sweep saves before
any code is emitted, and the assembler's sweeps agree with the plan."""
import gast
import numpy as np
import pytest

import s2s_ad as ad
from s2s_ad.base import syntax as S

from s2s_ad.frontend.normalize import normalize
from s2s_ad.transforms import reverse_sweep
from s2s_ad.transforms.program import Program
from s2s_ad.transforms.reverse import Reverse

from programs import returns_in_a_loop_after_a_choice


def _reversed(fn, wrt, kinds):
    rev = Reverse(normalize(fn), list(wrt), kinds, program=Program())
    node = rev.build(f"{fn.__name__}_grad", "one", False, False)
    return rev, node


def running_product(x, n):
    y = x
    for i in range(n):
        d = y - x
        y = np.sin(y) * d + x
    return y


def test_each_adjoint_is_generated_once(monkeypatch):
    # the reverse sweep used to be generated until what it read stopped growing (a dry run
    # whose names were then taken back by hand), then once more for real
    seen = []
    original = reverse_sweep.ReverseSweep.adjoint

    def counted(self, stmt):
        seen.append(id(stmt))
        return original(self, stmt)
    monkeypatch.setattr(reverse_sweep.ReverseSweep, "adjoint", counted)
    _reversed(running_product, ["x"], {"x": "scalar", "n": "int"})
    assert seen and len(seen) == len(set(seen))


def test_the_plan_saves_what_the_sweep_reads_and_computes_cheap_temporaries_again():
    rev, _ = _reversed(running_product, ["x"], {"x": "scalar", "n": "int"})
    # y is read by its adjoint (sin) and overwritten each step: saved and restored
    saved = {name for _, _, name in rev.saves()}
    assert any(n.startswith("y") for n in saved)
    # d = y - x, a number, is computed again before its reader's adjoint, never taped
    assert any(n.startswith("d") for n in rev.plan.recomputed)
    assert not any(n.startswith("d") for n in saved)
    assert all(n in rev.plan.needed for n in saved)


def test_a_branch_that_only_restores_reads_its_condition():
    # N1: the conditional expression's temporary is restored in the branches of `x >= 1.3`,
    # whose reversal has no other code: the branch appears for the pops alone, so its
    # condition is read in the reverse sweep and must be saved and restored too
    rev, node = _reversed(returns_in_a_loop_after_a_choice, ["x", "y", "a"],
                          {"x": "scalar", "y": "scalar", "a": "array"})
    only_pops = [n for n in gast.walk(node) if isinstance(n, gast.If)
                 and all(_is_pop(s) for s in n.body + n.orelse)]
    assert only_pops
    saved = {name for _, _, name in rev.saves()}
    for branch in only_pops:
        assert set(S.names_in(branch.test, gast.Load)) <= saved & rev.plan.needed


def _is_pop(stmt):
    return isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.Call) and \
        isinstance(stmt.value.func, gast.Attribute) and stmt.value.func.attr == "pop"


def test_a_plan_that_misses_a_read_is_an_internal_error(monkeypatch):
    # the assembler checks the rendered sweep against the plan: a name read but never
    # restored would silently hold its last value (a wrong derivative)
    from s2s_ad.transforms import tape_plan
    monkeypatch.setattr(tape_plan.TapePlan, "settle", lambda self, tree: None)
    with pytest.raises(RuntimeError, match="tape plan"):
        _reversed(running_product, ["x"], {"x": "scalar", "n": "int"})


def test_a_loop_saves_no_value_read_only_before_its_reversal():
    # go_fast: `trace` is read by the adjoint of `a + trace`, which the reverse sweep runs
    # before the reversed loop: the loop saved it on every iteration for nothing (issue 23)
    from kernels import go_fast
    from s2s_ad import sources
    a = np.random.default_rng(0).normal(size=(4, 4))
    code = sources.source(go_fast, "grad", 0, example=(a,))
    assert "_tape.append(trace)" not in code and "trace = _tape.pop()" not in code
    # every one of the 16 elements of a + trace adds trace's derivative
    assert np.allclose(ad.grad(go_fast)(a), 1 + np.diag(16 * (1 - np.tanh(np.diag(a)) ** 2)))


def test_a_loop_restores_a_value_read_after_its_reversal():
    from programs import read_before_a_loop_rebinds_it as f
    from s2s_ad import sources
    x = np.array([0.3, -1.2, 2.0])
    assert "_tape.append(y)" in sources.source(f, "vjp", 0)
    # d/dx sum(y_3 + sin(x)) with y_3 = x / 8 + const
    assert np.allclose(ad.grad(f)(x), 0.125 + np.cos(x))


def test_a_chain_of_cheap_temporaries_is_computed_again_not_saved():
    # durbin's `r[k - i - 1]` (SSA: `_t6 = k - i; _t7 = _t6 - 1`): only temporaries the sweep
    # read or plain indexes could be links of a chain, so _t7 went on the tape every step; and
    # a chain's own links (adi's `_t30 = p[i, _t29]`) were taken for values the sweep reads
    from kernels import adi, durbin
    r = np.random.default_rng(6).uniform(-0.3, 0.3, size=6)
    text = ad.source(durbin, "grad", example=(r,))
    assert "r_bar[k - i - 1] +=" in text and text.count("_tape.append(") == 8    # was 11
    g = ad.grad(durbin)(r)
    eps = 1e-6
    for k in range(6):
        dr = np.zeros(6)
        dr[k] = eps
        assert np.isclose(g[k], (durbin(r + dr) - durbin(r - dr)) / (2 * eps), rtol=1e-5)
    u = np.random.default_rng(7).uniform(-1.0, 1.0, size=(5, 5))
    assert "_tape.append((" not in ad.source(adi, "grad", wrt=(0, 1), example=(u, 0.3))


def test_another_name_for_a_value_is_computed_again_not_saved():
    # cholesky's `A[i, i] -= A[i, k] * A[i, k]` reads the element twice: SSA's `_t11 = _t10`
    # went on the tape every step, though it is the element read just before
    from kernels import cholesky, spd
    a = spd(5)(np.random.default_rng(8))
    text = ad.source(cholesky, "grad", example=(a,))
    assert "_t11" not in text.split("# the reverse sweep")[0]
    g = ad.grad(cholesky)(a)
    eps = 1e-6
    for k in np.ndindex(a.shape):
        da = np.zeros_like(a)
        da[k] = eps
        assert np.isclose(g[k], (cholesky(a + da) - cholesky(a - da)) / (2 * eps), rtol=1e-5,
                          atol=1e-7)
