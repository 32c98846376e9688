"""The transform's work grows linearly with the function's length (counted, not timed: the
times are in `make bench`, benchmarks/transform_time.py)."""
import gc
import textwrap

import gast
import pytest

import s2s_ad as ad
from s2s_ad.backend import optimize
from s2s_ad.backend.optimize import copies, updates
from s2s_ad.frontend import to_ssa
from s2s_ad.transforms import pipeline as transform
from s2s_ad.backend.codegen import to_source
from benchmarks.transform_time import straight_line


def _counting(monkeypatch, module, name):
    """Count the calls of module.name from now on."""
    calls = [0]
    original = getattr(module, name)

    def counted(*args, **kwargs):
        calls[0] += 1
        return original(*args, **kwargs)
    monkeypatch.setattr(module, name, counted)
    return calls


def _chain(n):
    """`def f(x, s):` with n assignments, each reading the one before."""
    body = "".join(f"    a{k} = a{k - 1} * s + 1.0\n" for k in range(1, n))
    return gast.parse(f"def f(x, s):\n    a0 = x * s\n{body}    return a{n - 1}\n").body[0]


def test_merge_updates_looks_at_each_statement_a_bounded_number_of_times(monkeypatch):
    # each assignment used to be followed to the end of the block, looking for an update
    calls = _counting(monkeypatch, updates, "is_update_of")
    optimize.merge_updates(_chain(200))
    short = calls[0]
    calls[0] = 0
    optimize.merge_updates(_chain(400))
    assert calls[0] <= 2.2 * short


def test_merge_updates_still_merges_across_unrelated_statements():
    node = gast.parse(textwrap.dedent("""
        def f(x, y):
            a = x * 2.0
            b = y * 3.0
            a = a - y
            d = a * b
            c = a + 1.0
            d = d + x
            return d * c
        """)).body[0]
    assert to_source(optimize.merge_updates(node)) == (
        "def f(x, y):\n    b = y * 3.0\n    a = x * 2.0 - y\n    c = a + 1.0\n"
        "    d = a * b + x\n    return d * c\n")


def test_a_copy_is_put_only_into_the_statements_that_read_it(monkeypatch):
    # `a = b` used at the end of a long block: the statements in between are not rewritten
    body = "".join(f"    c{k} = y * {k + 1}.0\n" for k in range(300))
    node = gast.parse(f"def f(x, y):\n    a_1 = x\n{body}    return a_1 + c299\n").body[0]
    calls = _counting(monkeypatch, copies, "replace_name")
    text = to_source(optimize.propagate_copies(node))
    assert "return x + c299" in text and "a_1" not in text
    assert calls[0] == 1


def test_ssa_asks_what_is_live_after_a_statement_only_of_branches_and_loops(monkeypatch):
    # a set of the names read later, made for each statement, was quadratic in a long block
    sizes = []
    original = to_ssa._SSA.statement

    def statement(self, s, live_after):
        sizes.append(len(live_after))
        return original(self, s, live_after)
    monkeypatch.setattr(to_ssa._SSA, "statement", statement)
    transform.normalize(straight_line(300))
    assert sum(sizes) == 0         # straight-line code: no statement needs them
    sizes.clear()

    def loop(x, n):
        y = x * 2.0
        for i in range(n):
            y = y * x
        z = y + x
        return z * y
    transform.normalize(loop)
    assert max(sizes) >= 2         # the loop is told that y and x are read after it


def test_the_garbage_collector_rests_while_a_derivative_is_built(monkeypatch):
    # full collections walk every object, as often as the transform's trees grow by a
    # quarter: quadratic in the function's length
    seen = []
    original = transform.normalize

    def normalize(*args, **kwargs):
        seen.append(gc.isenabled())
        return original(*args, **kwargs)
    monkeypatch.setattr(transform, "normalize", normalize)

    def f(x):
        return x * x + 1.0
    assert gc.isenabled()
    ad.source(f, "grad")
    ad.clear_cache()
    ad.grad(f)(2.0)
    assert seen and not any(seen) and gc.isenabled()


def test_the_garbage_collector_is_restored_after_a_failure_and_left_off_if_it_was(monkeypatch):
    def failing(*args, **kwargs):
        raise ad.DifferentiationError("made to fail")
    monkeypatch.setattr(transform, "normalize", failing)

    def f(x):
        return x * x
    with pytest.raises(ad.DifferentiationError):
        ad.source(f, "grad")
    assert gc.isenabled()
    gc.disable()
    try:
        with pytest.raises(ad.DifferentiationError):
            ad.source(f, "grad")
        assert not gc.isenabled()
    finally:
        gc.enable()
