"""iterate_directly (optimize/direct_loops.py): desugar's index loop back to `for x in xs` where
the index only fetches the element."""
from s2s_ad.backend import optimize

from optimize_cases import run


def test_iterate_directly():
    out = run(optimize.iterate_directly, """
        def f(x, xs):
            _t0 = len(xs)
            for _i in range(_t0):
                c = xs[_i]
                x = x * c
            return x
        """)
    assert out == "def f(x, xs):\n    for c in xs:\n        x = x * c\n    return x\n"


def test_iterate_directly_keeps_an_index_that_is_needed():
    needed_later = """
        def f(x, xs):
            _t0 = len(xs)
            for _i in range(_t0):
                c = xs[_i]
                x = x * c
            for _i in reversed(range(_t0)):
                x = x + 1.0
            return x
        """
    changed_inside = """
        def f(x, xs):
            _t0 = len(xs)
            for _i in range(_t0):
                c = xs[_i]
                xs.append(c)
            return x
        """
    user_index = """
        def f(x, xs):
            n = len(xs)
            for i in range(n):
                c = xs[i]
                x = x * c
            return x
        """
    assert "range(_t0)" in run(optimize.iterate_directly, needed_later).split("reversed")[0]
    assert "range(_t0)" in run(optimize.iterate_directly, changed_inside)
    assert "range(n)" in run(optimize.iterate_directly, user_index, keep={"i", "n"})
