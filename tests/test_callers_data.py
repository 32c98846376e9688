"""The caller's data is the caller's (issue 18): differentiation leaves the arguments as it
found them, a gradient has the structure of its argument, and a pullback is of the point given."""
import numpy as np
import pytest

import s2s_ad as ad


def appends_to_its_list(lst):
    lst.append(lst[0] * 2.0)
    lst.append(3.0)
    return lst[0] * lst[1] + lst[-2] * lst[-1]


def adds_a_key(p):
    p["scale"] = 2.0
    return p["w"] * p["w"] * p["scale"] + p["b"]


def grows_while_walked(x):
    items = [x]
    total = 0.0
    for v in items:
        total = total + v
        if len(items) < 3:
            items.append(v * 2.0)
    return total


def test_a_list_argument_is_left_as_it_was_and_its_gradient_has_its_length():
    lst = [1.5]
    g = ad.grad(appends_to_its_list)(lst)
    assert lst == [1.5]
    assert isinstance(g, list) and len(g) == 1
    assert g[0] == pytest.approx(4 * 1.5 + 6.0)       # 2 x^2 + 6 x
    value, g = ad.value_and_grad(appends_to_its_list)(lst)
    assert lst == [1.5] and len(g) == 1 and value == pytest.approx(2 * 1.5 ** 2 + 9.0)
    out, pullback = ad.vjp(appends_to_its_list, lst)
    (g,) = pullback(1.0)
    assert lst == [1.5] and len(g) == 1 and g[0] == pytest.approx(12.0)


def test_a_dict_argument_keeps_its_keys_and_so_does_its_gradient():
    p = {"w": 1.5, "b": 0.5}
    g = ad.grad(adds_a_key)(p)
    assert p == {"w": 1.5, "b": 0.5}
    assert set(g) == {"w", "b"}
    assert g["w"] == pytest.approx(4 * 1.5) and g["b"] == pytest.approx(1.0)


def test_a_loop_walks_what_its_body_appends():
    assert ad.grad(grows_while_walked)(1.0) == pytest.approx(7.0)


def test_a_pullback_is_of_the_point_given():
    def square(v):
        return v * v
    x = np.array([1.0, 2.0])
    _, pullback = ad.vjp(square, x)
    x[0] = 10.0                          # the caller reuses its array
    np.testing.assert_allclose(pullback(np.ones(2))[0], [2.0, 4.0])
    p = {"w": np.array([1.0, 2.0])}
    _, pullback = ad.vjp(lambda q: np.sum(q["w"] ** 2), p)
    p["w"][1] = 7.0
    np.testing.assert_allclose(pullback(1.0)[0]["w"], [2.0, 4.0])
