"""group_saves (optimize/saves.py): values saved together share one tape entry, only where that
is the same, and only the generator's (marked) pushes and pops."""
import re

import gast
import numpy as np
import pytest

import s2s_ad as ad
from s2s_ad.backend.codegen import to_source
from s2s_ad.backend.optimize import group_entries

from optimize_cases import function


def grouped(text, tape="_tape"):
    """The function after grouping, its pushes and pops paired in order by name (as the
    generator pairs them); `tape=None`: the same statements as a user's list methods."""
    node = function(text, tape)
    pushes = {s.value.args[0].id: s for s in node.body
              if isinstance(s, gast.Expr) and s.value.func.attr == "append"}
    pops = {s.targets[0].id: s for s in node.body
            if isinstance(s, gast.Assign) and isinstance(s.value, gast.Call)
            and getattr(s.value.func, "attr", None) == "pop"}
    group_entries(node, [(pushes[n], pops[n], n) for n in pushes])
    return [_plain(line) for line in to_source(node).splitlines()[2:]]


def _plain(line):
    """A line as Python 3.11 prints it (3.10 writes `(x, y) = ...`)."""
    return re.sub(r"^\((\w+(, \w+)+)\) = ", r"\1 = ", line.strip())


def test_saves_with_nothing_in_between_share_an_entry():
    assert grouped("""
        def f(x, y):
            _tape = []
            _tape.append(x)
            x = x + 1.0
            _tape.append(y)
            y = y * 2.0
            y = _tape.pop()
            a_bar = 3.0
            x = _tape.pop()
            return x + a_bar
        """) == ["_tape.append((x, y))", "x = x + 1.0", "y = y * 2.0", "x, y = _tape.pop()",
                 "a_bar = 3.0", "return x + a_bar"]


def test_a_users_list_named_like_the_tape_is_never_grouped():
    text = """
        def f(x, y):
            _tape = []
            _tape.append(x)
            _tape.append(y)
            y = _tape.pop()
            x = _tape.pop()
            return x + y
        """
    assert grouped(text)[:2] == ["_tape.append((x, y))", "x, y = _tape.pop()"]
    assert grouped(text, tape=None)[:4] == ["_tape.append(x)", "_tape.append(y)",
                                            "y = _tape.pop()", "x = _tape.pop()"]


@pytest.mark.parametrize("between_saves, between_restores", [
    ("y = x * 2.0", "a_bar = 3.0"),         # y changes before it is saved
    ("a = 1.0", "a_bar = x * 3.0"),         # x is read before it is restored
    ("a = 1.0", "x_bar = 3.0; y = 1.0"),    # y is written after it was restored
])
def test_saves_stay_apart_where_grouping_would_change_a_value(between_saves, between_restores):
    text = f"""
        def f(x, y):
            _tape = []
            _tape.append(x)
            {between_saves}
            _tape.append(y)
            y = y * 2.0
            y = _tape.pop()
            {between_restores}
            x = _tape.pop()
            return x
        """
    lines = grouped(text)
    assert "_tape.append(x)" in lines and "_tape.append(y)" in lines
    assert "x = _tape.pop()" in lines and "y = _tape.pop()" in lines


def lorenz(p, n):
    """Explicit Euler on the Lorenz system, sigma and rho in p: x, y, z rebound each step."""
    x, y, z = 1.0, 1.0, 1.0
    for i in range(n):
        dx = p[0] * (y - x)
        dy = x * (p[1] - z) - y
        dz = x * y - 2.5 * z
        x = x + 0.01 * dx
        y = y + 0.01 * dy
        z = z + 0.01 * dz
    return x * x + y * y + z * z


P = np.array([10.0, 28.0])


def test_a_loop_saves_its_state_in_one_entry_per_step():
    text = "\n".join(map(_plain, ad.source(lorenz, "grad", example=(P, 30)).splitlines()))
    assert "_tape.append((x, y, z))" in text and "x, y, z = _tape.pop()" in text
    assert text.count("_tape.append") == 1
    plain = ad.source(lorenz, "grad", example=(P, 30), optimize=False)
    assert "_tape.append(x)" in plain and "x = _tape.pop()" in plain       # a pass, like others
    h = 1e-6
    fd = [(lorenz(P + h * e, 30) - lorenz(P - h * e, 30)) / (2 * h) for e in np.eye(2)]
    np.testing.assert_allclose(ad.grad(lorenz)(P, 30), fd, rtol=1e-6)


def test_second_derivatives_go_through_the_shared_entries():
    p, h = P, 1e-6
    grad = ad.grad(lorenz)
    second = np.array([(grad(p + h * e, 30) - grad(p - h * e, 30)) / (2 * h) for e in np.eye(2)])
    np.testing.assert_allclose(ad.hessian(lorenz)(p, 30), second, rtol=1e-5)
    v = np.array([1.0, -2.0])
    np.testing.assert_allclose(ad.hvp(lorenz)(p, 30, v), second @ v, rtol=1e-5)


def test_an_array_written_into_keeps_an_entry_of_its_own():
    """Restored from a tuple, the array would be an item of that tuple to the aliasing
    analysis of a second derivative, which refuses a write into it."""
    lines = grouped("""
        def f(x, y, lap):
            _tape = []
            _tape.append(lap)
            lap = x * 0.0
            _tape.append(x)
            x = x + 1.0
            _tape.append(y)
            y = y * 2.0
            lap[0] = y
            y = _tape.pop()
            x = _tape.pop()
            lap = _tape.pop()
            return x + y
        """)
    assert lines[:2] == ["_tape.append(lap)", "lap = x * 0.0"]
    assert "_tape.append((x, y))" in lines and "x, y = _tape.pop()" in lines
    assert "lap = _tape.pop()" in lines
