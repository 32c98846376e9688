"""base/tape.py: the generator's tape pushes and pops carry a marker, and only they are the
tape; a user's list (whatever it is called) is a list with methods that change it."""
import gast
import numpy as np

import s2s_ad as ad
from s2s_ad.backend.codegen import to_source
from s2s_ad.base import syntax as S
from s2s_ad.base.tape import is_tape_pop, is_tape_push, popped, tape_of, tape_pop, tape_push

from optimize_cases import function


def test_the_constructors_build_marked_tape_operations():
    push = tape_push("_tape", S.load("x"))
    pop = tape_pop("_tape", "x")
    assert to_source(push).strip() == "_tape.append(x)" and is_tape_push(push)
    assert to_source(pop).strip() == "x = _tape.pop()" and is_tape_pop(pop.value)
    assert tape_of(push) == tape_of(pop.value) == tape_of(popped("_tape")) == "_tape"
    assert not is_tape_pop(push.value) and not is_tape_push(pop)


def test_the_marker_survives_a_copy():
    push = S.clone(tape_push("_t", S.load("x")))
    assert is_tape_push(push) and tape_of(push) == "_t"


def test_a_users_list_named_like_the_tape_is_not_the_tape():
    node = function("""
        def f(x, _tape):
            _tape.append(x)
            y = _tape.pop()
            return y
        """)
    push, pop = node.body[0], node.body[1]
    assert not is_tape_push(push) and not is_tape_pop(pop.value)
    assert tape_of(push) is None


def rebinds_in_a_loop(x, n):
    y = x
    for i in range(n):
        y = np.sin(y) * x
    return y


def test_generated_code_marks_every_push_and_pop():
    from s2s_ad.transforms.pipeline import generate
    for optimize in (False, True):
        node = generate(rebinds_in_a_loop, "grad", ["x"], optimize=optimize)[0]
        calls = [c for c in S.nodes_of(node, gast.Call) if isinstance(c.func, gast.Attribute)
                 and isinstance(c.func.value, gast.Name) and c.func.value.id == "_tape"]
        assert len(calls) >= 2
        assert all(is_tape_push(gast.Expr(value=c)) or is_tape_pop(c) for c in calls)


def length_then_pop(x):
    items = [x, 3.0 * x]
    return len(items) * items.pop()


def test_a_users_pop_keeps_the_length_read_before_it():
    _, pullback = ad.vjp(length_then_pop, 2.0)
    assert pullback(1.0) == (6.0,)            # 2 * (3 x): the length before the pop
    np.testing.assert_allclose(ad.grad(length_then_pop)(2.0), 6.0)
