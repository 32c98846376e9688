"""The caller's data is the caller's (issue 18): differentiation leaves the arguments as it
found them, a gradient has the structure of its argument, and a pullback is of the point given."""
from dataclasses import dataclass

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


def zips_a_growing_list(x):
    items = [x, x * 2.0]
    total = 0.0
    for a, b in zip(items, [1.0, 2.0, 3.0]):
        total = total + a * b
        if len(items) < 3:
            items.append(a * 3.0)
    return total


def test_a_growing_list_walked_in_a_way_not_followed_is_refused_at_the_loop():
    with pytest.raises(ad.DifferentiationError) as info:
        ad.grad(zips_a_growing_list)(1.5)
    message = str(info.value)
    line = zips_a_growing_list.__code__.co_firstlineno + 3
    assert f"test_callers_data.py:{line}:" in message and "'items'" in message
    assert "for a, b in zip(items" in message and "list(items)" in message


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


# -- a loop over a dict walks its keys, as Python does ---------------------------------------

def sums_over_keys(p):
    total = 0.0
    for k in p:
        total = total + p[k] * p[k]
    return total


def sums_over_items(p):
    total = 0.0
    for k, v in p.items():
        total = total + v * v * v if k != "b" else total + 2.0 * v
    return total


def sums_over_keys_and_values(p):
    total = 0.0
    for k in p.keys():
        total = total + np.sum(3.0 * p[k])
    for v in p.values():
        total = total + np.sum(v * v)
    return total


def test_a_loop_over_a_dict_argument_walks_its_keys():
    p = {"a": 1.5, "b": 2.0}
    g = ad.grad(sums_over_keys)(p)
    assert g == {"a": pytest.approx(3.0), "b": pytest.approx(4.0)}
    assert ad.jvp(sums_over_keys, (p,), ({"a": 1.0, "b": 0.0},))[1] == pytest.approx(3.0)
    assert ad.grad(sums_over_items)(p) == {"a": pytest.approx(3 * 1.5 ** 2), "b": 2.0}
    q = {"w": np.array([1.0, -2.0]), "c": 0.5}
    g = ad.grad(sums_over_keys_and_values)(q)
    assert set(g) == {"w", "c"} and g["c"] == pytest.approx(3.0 + 1.0)
    np.testing.assert_allclose(g["w"], 3.0 + 2.0 * q["w"])
    assert p == {"a": 1.5, "b": 2.0}


def test_a_dict_whose_keys_are_positions_is_walked_by_key():
    # keys 1 and 0: indexing by position would read the items, not the keys, in another order
    p = {1: 2.0, 0: 3.0}
    assert sums_over_keys(p) == 13.0
    assert ad.grad(sums_over_keys)(p) == {1: pytest.approx(4.0), 0: pytest.approx(6.0)}



def scaled_by_what_it_walks(p, x):
    total = 0.0
    for k in p:
        total = total + x * k
    return total


def test_a_dict_and_a_list_given_in_turn_are_each_walked_as_python_does():
    # one function, a dict (its keys) then a list (its items): each has its own code
    g = ad.grad(scaled_by_what_it_walks, wrt=1)
    assert g({3: 0.0, 5: 0.0}, 2.0) == pytest.approx(8.0)
    assert g([1.0, 2.0], 2.0) == pytest.approx(3.0)
    assert g({3: 0.0, 5: 0.0}, 2.0) == pytest.approx(8.0)


def pops_while_walked(x):
    d = {"a": x, "b": x * x}
    total = 0.0
    for k in d:
        total = total + d.pop(k)
    return total


def test_a_dict_changed_in_size_while_walked_is_refused_at_the_loop():
    # Python raises RuntimeError here; walking by position would read other values
    with pytest.raises(ad.DifferentiationError, match="dict 'd', whose size") as info:
        ad.grad(pops_while_walked)(1.5)
    assert info.value.location.line == pops_while_walked.__code__.co_firstlineno + 3


TABLE = {1: 2.0, 0: 5.0}       # rebound to a list by the test below, then restored


def walks_the_table(x):
    s = 0.0
    for k in TABLE:
        s = s + k * np.sum(x * x)
    return s


def test_a_module_level_value_walked_as_a_dict_then_as_a_list():
    # the generated code does not keep what TABLE was when it was made: a dict's keys, then
    # a list's items, each as Python walks them
    global TABLE
    before = TABLE
    x = np.array([1.5, -1.0])
    try:
        np.testing.assert_allclose(ad.grad(walks_the_table)(x), 2 * x * 1.0)   # keys 1 + 0
        assert ad.jvp(walks_the_table, (x,), (np.ones(2),))[1] == pytest.approx(1.0)
        TABLE = [3.0, 4.0]
        np.testing.assert_allclose(ad.grad(walks_the_table)(x), 2 * x * 7.0)
        assert ad.jvp(walks_the_table, (x,), (np.ones(2),))[1] == pytest.approx(7.0)
    finally:
        TABLE = before


def walks_a_dict_backwards(p):
    s = 0.0
    for k in reversed(p):
        s = s * 2.0 + p[k]
    return s


def test_reversed_walks_a_dicts_keys_last_first():
    p = {"a": 1.0, "b": 3.0}
    assert walks_a_dict_backwards(p) == 7.0
    assert ad.grad(walks_a_dict_backwards)(p) == {"a": pytest.approx(1.0), "b": 2.0}


def _pair(x):
    return [x, x * x]


def _table(x):
    return {"a": x, "b": x * x}


def grows_what_a_helper_returned(x):
    items = _pair(x)
    total = 0.0
    for v in items:
        total = total + v
        if len(items) < 4:
            items.append(v * 3.0)       # a list: a dict has no append
    return total


def pops_what_a_helper_returned(x):
    d = _table(x)
    total = 0.0
    for k in d:
        total = total + d.pop(k)        # a dict: Python raises RuntimeError; a list: it
    return total                        # walks what is left


def test_a_walk_of_a_value_of_unknown_kind_that_changes_size():
    # append says it is a list (walked with its new items, as Python does); pop does not
    assert ad.grad(grows_what_a_helper_returned)(1.5) == pytest.approx(4.0 * (1 + 2 * 1.5))
    with pytest.raises(ad.DifferentiationError, match="cannot tell whether it is a list or a "
                                                      "dict") as info:
        ad.grad(pops_what_a_helper_returned)(1.5)
    assert info.value.location.line == pops_what_a_helper_returned.__code__.co_firstlineno + 3


def _writes_into_its_first(a, b):
    a[0] = a[0] * 3.0
    return np.sum(b * b) + np.sum(a)


@pytest.mark.parametrize("transform", [
    lambda a, b: ad.grad(_writes_into_its_first, wrt=(0, 1))(a, b),
    lambda a, b: ad.vjp(_writes_into_its_first, a, b)[1](1.0),
    lambda a, b: ad.jvp(_writes_into_its_first, (a, b), (np.ones(2), np.ones(2))),
    lambda a, b: ad.jacfwd(_writes_into_its_first, wrt=(0, 1))(a, b),
    lambda a, b: ad.jacrev(_writes_into_its_first, wrt=(0, 1))(a, b),
    lambda a, b: ad.hessian(_writes_into_its_first, wrt=1)(a, b),
    lambda a, b: ad.hvp(_writes_into_its_first, wrt=1)(a, b, np.ones(2)),
    lambda a, b: ad.jacfwd(ad.grad(_writes_into_its_first, wrt=1), wrt=1)(a, b),
])
def test_one_array_given_as_two_arguments_one_written_into_is_refused(transform):
    """f(x, x): the derivative works on a copy of the array it writes into, so it would be the
    derivative of the function of two separate values (value 5.0 where f(x, x) is 13.0)."""
    x = np.array([1.0, 2.0])
    for same in (x, x[:]):        # the same array, and a view of it
        with pytest.raises(ad.BadArgumentError, match="argument a, which the function writes "
                                                      "into, is also given"):
            transform(x, same)
    transform(x, x.copy())        # two arrays: differentiated


@dataclass
class _Box:
    x: float


def _assigns_a_field_of_its_first(a, b):
    a.x = a.x * 3.0
    return b.x * b.x


def test_one_object_given_as_two_arguments_one_assigned_is_refused():
    """f(o, o) where f assigns a.x: Python's b.x sees it (36.0), the derivative's new versions
    of a would not (4.0)."""
    box = _Box(2.0)
    for transform in (ad.grad(_assigns_a_field_of_its_first, wrt=(0, 1)),
                      ad.hvp(_assigns_a_field_of_its_first, wrt=1)):
        args = (box, box) if transform.__name__.endswith("grad") else (box, box, _Box(1.0))
        with pytest.raises(ad.BadArgumentError, match="also given as another argument"):
            transform(*args)
    assert ad.grad(_assigns_a_field_of_its_first, wrt=1)(_Box(2.0), _Box(2.0)).x == 4.0
