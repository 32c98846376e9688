"""eliminate_dead_code and drop_orphan_comments (optimize/dead_code.py): what nothing uses goes;
effects, and writes into arrays someone else may hold, stay."""
from s2s_ad.backend import optimize

from optimize_cases import lines, run


def test_eliminate_dead_code_keeps_effects():
    out = run(optimize.eliminate_dead_code, """
        def f(x, _tape):
            unused = x * 2.0
            print(x)
            _tape.append(x)
            # a comment with nothing under it
            return x
        """)
    assert "unused" not in out and "print(x)" in out and "_tape.append(x)" in out


def test_a_view_nobody_writes_into_is_dead():
    out = run(optimize.eliminate_dead_code, """
        def f(x):
            unused_view = x[:-1]
            written_view = x[1:]
            written_view[0] = 2.0
            return x
        """)
    assert "unused_view" not in out and "written_view[0] = 2.0" in out


def test_a_write_into_a_fresh_array_nobody_reads_goes():
    assert lines(optimize.eliminate_dead_code, """
        def f(x):
            v = np.zeros(3)
            v[0] = x
            return x
        """) == ["return x"]


def test_a_write_into_a_value_from_a_list_stays():
    # the popped array may be the caller's (a tape restores it; a user's list may hold it)
    text = """
        def f(x, lst):
            v = lst.pop()
            v[0] = x
            return x
        """
    assert "v[0] = x" in run(optimize.eliminate_dead_code, text)
    assert "v[0] = x" in run(optimize.eliminate_dead_code, text.replace("lst", "_tape"),
                             tape="_tape")
    copied = """
        def f(x, a):
            v = a.copy()
            v[0] = x
            return x
        """
    assert "v[0]" not in run(optimize.eliminate_dead_code, copied)    # a new array
