"""Statements rewritten before differentiation (frontend/statements.py, attempts.py,
generators.py): what runs, and in which order, besides the derivatives the transform matrix
checks (tests/programs.py, "issue 19: statements").  pytest rewrites the `assert`s of a
test module, so the functions here raise by calling a helper."""
import io

import numpy as np

import s2s_ad as ad
from s2s_ad import runtime

_LOG = io.StringIO()


class _Recorder:
    """A context manager that writes when it is entered and left."""

    def __enter__(self):
        print("enter", file=_LOG)
        return 2.0

    def __exit__(self, *exc):
        print("exit", file=_LOG)
        return False


def _returns_inside_errstate(x):
    with np.errstate(divide="raise"):
        return np.log(x) * x


def _returns_inside_a_manager(x):
    with _Recorder() as k:
        if x > 0.0:
            return x * x * k
        y = x * k
    return y


def _at_most_one(v):
    if v > 1.0:
        raise ValueError("big")
    return v


def _returns_from_a_handler(x):
    try:
        y = np.sqrt(x)
        y = y + 0.0 * _at_most_one(x)
    except ValueError:
        print("handler", file=_LOG)
        return y * 3.0
    finally:
        print("finally", file=_LOG)
    return y


def test_a_return_inside_errstate_puts_the_error_state_back():
    before = np.geterr()
    assert ad.grad(_returns_inside_errstate)(1.5) == np.log(1.5) + 1.0
    assert np.geterr() == before


def test_a_return_inside_a_manager_leaves_it_first():
    _LOG.seek(0)
    _LOG.truncate()
    for fn in (ad.grad, lambda f: lambda x: ad.jvp(f, (x,), (1.0,))[1]):
        assert fn(_returns_inside_a_manager)(1.5) == 2.0 * 1.5 * 2.0
        assert fn(_returns_inside_a_manager)(-1.5) == 2.0
    assert _LOG.getvalue().split() == ["enter", "exit"] * 4


def test_a_handler_that_returns_runs_finally_first():
    _LOG.seek(0)
    _LOG.truncate()
    assert np.isclose(ad.grad(_returns_from_a_handler)(4.0), 3.0 * 0.5 / 2.0)
    assert _LOG.getvalue().split() == ["handler", "finally"]
    assert np.isclose(ad.grad(_returns_from_a_handler)(0.25), 0.5 / 0.5)


def test_a_deleted_items_cotangent_is_a_zero_where_it_was():
    assert runtime.without_item_grad([1.0, 2.0], [5.0, 6.0, 7.0, 8.0], slice(1, 3)) == \
        [1.0, 0.0, 0.0, 2.0]
    assert runtime.without_item_grad({"a": 1.0}, {"a": 5.0, "b": 6.0}, "b") == \
        {"a": 1.0, "b": 0.0}
    assert runtime.without_item([5.0, 6.0, 7.0], -1) == [5.0, 6.0]


def _writes_in_a_try(x):
    a = np.array([x, 2.0 * x])
    try:
        a[0] = a[0] * 3.0         # written once, though the probe runs the body first
        a += x
        y = _at_most_one(a[1])    # a[1] = 3x: raises for x > 1/3
    except ValueError:
        y = a[0] + a[1]           # 4x + 3x
    return y


def test_a_try_body_that_writes_writes_once():
    for x, value, slope in ((1.0, 7.0, 7.0), (0.1, 0.3, 3.0)):
        assert np.isclose(_writes_in_a_try(x), value)
        y, g = ad.value_and_grad(_writes_in_a_try)(x)
        assert np.isclose(y, value) and np.isclose(g, slope)
        assert np.isclose(ad.jvp(_writes_in_a_try, (x,), (1.0,))[1], slope)
