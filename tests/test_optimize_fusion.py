"""fuse_temporaries (optimize/fusion.py): a generated temporary used once goes back into its use,
never past a statement that changes what it reads."""
import gast
import pytest

from s2s_ad.backend import optimize
from s2s_ad.backend.codegen import to_source

from optimize_cases import lines, run


def test_fuse_temporaries():
    out = run(optimize.fuse_temporaries, """
        def f(x, c, y):
            _t1 = y * x
            y_1 = _t1 + c
            y = y_1
            return y
        """, keep={"x", "c", "y"})
    assert out == "def f(x, c, y):\n    y = y * x + c\n    return y\n"


def test_fusion_stops_at_a_write_to_an_operand():
    text = """
        def f(x, _tape):
            _t1 = x * 2.0
            x = _tape.pop()
            return _t1
        """
    assert "_t1 = x * 2.0" in run(optimize.fuse_temporaries, text)


def test_fusion_stops_at_an_in_place_write():
    text = """
        def f(a):
            _t1 = a[0] * 2.0
            a[0] = 5.0
            return _t1
        """
    assert "_t1 = a[0] * 2.0" in run(optimize.fuse_temporaries, text)


def test_a_value_read_only_for_its_shape_is_not_fused_into_the_helper():
    out = run(optimize.fuse_temporaries, """
        def f(g, s):
            _t6 = np.log(s)
            a_bar = _ad.unbroadcast(g, _t6)
            return a_bar
        """)
    assert "_t6 = np.log(s)" in out and "_ad.unbroadcast(g, _t6)" in out


def test_a_temporary_computed_again_in_the_reverse_loop_is_fused_in_both_loops():
    out = run(optimize.fuse_temporaries, """
        def f(x, y, n):
            for i in range(n):
                _t0 = y - x
                d = 2.0 * _t0
            for i in range(n):
                _t0 = y - x
                e = d * _t0
            return e
        """)
    assert "d = 2.0 * (y - x)" in out and "e = d * (y - x)" in out and "_t0" not in out


@pytest.mark.parametrize("body", [
    "_t0 = y - x; d = _t0 * _t0",              # read twice
    "e = _t0 * 3.0; _t0 = y - x; d = _t0 + e",   # the next step reads it too
    "_t0 = y - x; d = 2.0; e = _t0 + d; x = _t0",   # read twice, in two statements
])
def test_a_temporary_read_more_than_once_from_one_assignment_stays(body):
    lines = "".join(f"        {s}\n" for s in body.split("; "))
    source = f"def f(x, y, n):\n    for i in range(n):\n{lines}    return x\n"
    node = gast.parse(source).body[0]
    assert "_t0 = y - x" in to_source(optimize.fuse_temporaries(node, frozenset()))


# Fusion moves a temporary's value down to its use: past a tape push or pop (which changes
# only the tape), never past a user's list method, whatever the list is called.
@pytest.mark.parametrize("list_name", ["items", "_tape"])
def test_a_length_is_not_moved_past_a_users_pop(list_name):
    text = f"""
        def f(x, {list_name}):
            _t0 = len({list_name})
            v = {list_name}.pop()
            y = _t0 * v
            return y
        """
    assert "_t0 = len(" in run(optimize.fuse_temporaries, text)


def test_a_temporary_moves_past_the_tape_but_not_past_a_users_list():
    text = """
        def f(x, y, _tape):
            _t0 = x * 2.0
            _tape.append(y)
            z = _t0 + y
            return z
        """
    assert lines(optimize.fuse_temporaries, text, tape="_tape") == [
        "_tape.append(y)", "z = x * 2.0 + y", "return z"]
    assert "_t0 = x * 2.0" in run(optimize.fuse_temporaries, text)     # `_tape` a user's


def test_a_temporary_moves_past_a_list_only_this_function_holds():
    # `items` is made here and read only through its methods, len and indexing: an append
    # changes that list and nothing a temporary that does not read it computes from
    assert lines(optimize.fuse_temporaries, """
        def f(x, y):
            items = []
            _t0 = x * 2.0
            items.append(y)
            z = _t0 + items[0]
            return z
        """) == ["items = []", "items.append(y)", "z = x * 2.0 + items[0]", "return z"]
    kept = """
        def f(x, y):
            items = [x]
            _t0 = len(items)
            items.append(y)
            z = _t0 * y
            return z
        """
    assert "_t0 = len(items)" in run(optimize.fuse_temporaries, kept)    # it reads items
    passed = """
        def f(x, y):
            items = []
            g(items)
            _t0 = x * 2.0
            items.append(y)
            z = _t0 + y
            return z
        """
    assert "_t0 = x * 2.0" in run(optimize.fuse_temporaries, passed)    # g may keep it
