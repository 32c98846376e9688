"""merge_updates (optimize/updates.py): `a = e1; a = a - e2` -> `a = e1 - e2`, and the first write
into an adjoint's zeros an assignment."""
from s2s_ad.backend import optimize

from optimize_cases import lines, run


def test_updates_merge_in_order():
    out = run(optimize.merge_updates, """
        def f(a, c, d):
            a = a + c
            a = a - d * c
            a = a + a
            b = c * d
            b = b + c
            return a + b
        """)
    assert out == ("def f(a, c, d):\n    a = a + c - d * c\n    a = a + a\n    b = c * d + c\n"
                   "    return a + b\n")


def test_an_update_merges_across_statements_that_do_not_touch_it():
    out = run(optimize.merge_updates, """
        def f(x, t):
            a_bar = -2.0 * (1.0 - t)
            b_bar = 200.0 * x
            a_bar = a_bar - b_bar * t
            return a_bar + b_bar
        """)
    assert out == ("def f(x, t):\n    b_bar = 200.0 * x\n"
                   "    a_bar = -2.0 * (1.0 - t) - b_bar * t\n    return a_bar + b_bar\n")
    kept = """
        def f(x, t):
            a_bar = -2.0 * (1.0 - t)
            t = 200.0 * x
            a_bar = a_bar - t
            return a_bar
        """
    assert "a_bar = -2.0 * (1.0 - t)\n" in run(optimize.merge_updates, kept)   # t changes


def test_the_first_write_into_zeros_is_an_assignment():
    out = run(optimize.merge_updates, """
        def f(x, g, h):
            x_bar = _ad.zeros_like(x)
            x_bar[:-1] += g
            x_bar[1:] += h
            return x_bar
        """)
    assert "    x_bar[:-1] = g\n    x_bar[1:] += h\n" in out
    # NumPy's zeros keep an int array's dtype: `+=` of floats raises there, `=` would truncate
    users = run(optimize.merge_updates, """
        def f(x, g):
            a = np.zeros_like(x)
            a[:-1] += g
            return a
        """)
    assert "a[:-1] += g" in users


def test_an_update_merges_across_a_tape_pop_not_a_users():
    text = """
        def f(x, _tape):
            a = x * 2.0
            v = _tape.pop()
            a = a - v
            return a
        """
    assert lines(optimize.merge_updates, text, tape="_tape") == [
        "v = _tape.pop()", "a = x * 2.0 - v", "return a"]
    assert "a = a - v" in run(optimize.merge_updates, text)     # a user's list: it stays
