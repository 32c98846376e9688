"""Containers as arguments and results: derivatives have the structure of their primal."""
import numpy as np
import pytest

import s2s_ad as ad


def mlp_dict(params, x, y):
    h = np.tanh(x @ params["W1"] + params["b1"])
    out = h @ params["W2"] + params["b2"]
    return np.mean((out - y) ** 2)


def list_stack(x, n):
    rows = []
    for i in range(n):
        rows.append(x * (i + 1.0))
    return np.sum(np.stack(rows) ** 2) + sum(rows)[0]


def tuple_arg(pair, s):
    a, b = pair
    return np.sum(a * b) * s + pair[-1][0]


def unused_entry(params, x):
    return np.sum(params["w"] * x)


def returns_dict(x):
    return {"a": x * 2.0, "b": np.sin(x)}


def uses_returns(x):
    d = returns_dict(x)
    return np.sum(d["a"] * d["b"])


def results_in_a_tuple(x):
    return x * 2.0, np.sin(x)


rng = np.random.default_rng(0)
PARAMS = {"W1": rng.normal(size=(3, 4)), "b1": rng.normal(size=4),
          "W2": rng.normal(size=(4, 2)), "b2": rng.normal(size=2)}


def test_dict_parameters_get_a_dict_gradient():
    x, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    g = ad.grad(mlp_dict)(PARAMS, x, y)
    assert isinstance(g, dict) and set(g) == set(PARAMS)
    assert all(g[k].shape == PARAMS[k].shape for k in g)
    ad.check_grads(mlp_dict, (PARAMS, x, y), wrt=(0,))


def test_unused_entries_get_zeros():
    params = {"w": np.ones(3), "unused": np.ones(2)}
    g = ad.grad(unused_entry)(params, np.arange(3.0))
    np.testing.assert_array_equal(g["unused"], np.zeros(2))
    np.testing.assert_array_equal(g["w"], np.arange(3.0))


def test_lists_tuples_and_returned_containers():
    ad.check_grads(list_stack, (rng.normal(size=3), 4), wrt=(0,))
    pair = (rng.normal(size=3), rng.normal(size=3))
    g = ad.grad(tuple_arg)(pair, 0.5)
    assert isinstance(g, tuple) and len(g) == 2
    ad.check_grads(tuple_arg, (pair, 0.5), wrt=(0, 1))
    ad.check_grads(uses_returns, (rng.normal(size=3),))


def test_vjp_of_a_tuple_valued_function():
    x = rng.normal(size=3)
    out, pullback = ad.vjp(results_in_a_tuple, x)
    (gx,) = pullback((np.ones(3), np.ones(3)))
    np.testing.assert_allclose(gx, 2.0 + np.cos(x))
    _, tangent = ad.jvp(results_in_a_tuple, (x,), (np.ones(3),))
    np.testing.assert_allclose(tangent[1], np.cos(x))


def unpacks_its_argument(p):
    a, b = p
    return a * b


def test_jvp_of_a_tuple_or_list_of_numbers():
    """A tuple of numbers is differentiable in jvp too (it was taken for a constant)."""
    assert ad.jvp(unpacks_its_argument, ((2.0, 3.0),), ((1.0, 0.0),)) == (6.0, 3.0)
    assert ad.jvp(unpacks_its_argument, ([2.0, 3.0],), ([0.0, 1.0],)) == (6.0, 2.0)


def squares(z):
    return z * z


def test_jvp_of_a_complex_number():
    """A complex primal has no kind (kind_of_value) and was taken for a constant too."""
    assert ad.jvp(squares, (1 + 2j,), (1.0,)) == (-3 + 4j, 2 + 4j)


def indexes_a_pair_of_numbers(p, x):
    return np.sum(x * p[0]) + p[1] * p[0]


def test_generic_code_takes_containers():
    """Generic code (api.variant(specialise=False), as the transform matrix runs it) is generic
    over numbers and arrays; a dict, tuple or list argument keeps its kind (indexing it was
    taken for indexing an array: `np.add.at` into a dict's cotangent, a TypeError)."""
    from s2s_ad import api
    x, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    pair = (rng.normal(size=3), rng.normal(size=3))
    v = rng.normal(size=3)
    expected = (ad.grad(mlp_dict)(PARAMS, x, y), ad.grad(tuple_arg, wrt=(0, 1))(pair, 0.5),
                ad.grad(indexes_a_pair_of_numbers)((0.3, -1.2), v))
    for optimize in (True, False):
        with api.variant(specialise=False, optimize=optimize):
            g = ad.grad(mlp_dict)(PARAMS, x, y)
            assert isinstance(g, dict) and set(g) == set(PARAMS)
            for k in g:
                np.testing.assert_allclose(g[k], expected[0][k], rtol=1e-12)
            ad.check_grads(mlp_dict, (PARAMS, x, y), wrt=(0,))
            g = ad.grad(tuple_arg, wrt=(0, 1))(pair, 0.5)
            np.testing.assert_allclose(g[0][0], expected[1][0][0], rtol=1e-12)
            np.testing.assert_allclose(g[1], expected[1][1], rtol=1e-12)
            assert ad.grad(indexes_a_pair_of_numbers)((0.3, -1.2), v) == \
                pytest.approx(expected[2])
            gp = ad.vjp(mlp_dict, PARAMS, x, y)[1](1.0)[0]
            np.testing.assert_allclose(gp["W1"], expected[0]["W1"], rtol=1e-12)


def adds_a_key_while_walking(x):
    d = {"a": x * 2.0, "b": np.sin(x)}
    for k, v in d.items():
        if k == "b":
            d["c"] = v * x           # the dict grows: Python raises at the loop's next step
    return np.sum(d["a"])


def adds_a_key_then_leaves(x):
    d = {"a": x * 2.0, "b": np.sin(x)}
    for k in d:
        d["c"] = d[k] * x
        break                        # no next step: Python does not check
    return np.sum(d["c"] * d["a"])


def sets_its_own_keys_while_walking(x):
    d = {"a": x * 2.0, "b": np.sin(x)}
    for k in d:
        d[k] = d[k] * x              # same keys, same size
    return np.sum(d["a"] * d["b"])


def test_a_dict_growing_while_walked_raises_as_in_python():
    """`d[new] = v` in a loop over d raises RuntimeError in the function; its derivatives
    raise the same, never return a number (they walked a list of d's keys made before)."""
    from s2s_ad import api
    x = np.array([0.3, 0.5])
    with pytest.raises(RuntimeError, match="dictionary changed size during iteration"):
        adds_a_key_while_walking(x)
    for specialise in (True, False):
        with api.variant(specialise=specialise):
            for run in (lambda f: ad.grad(f)(x), lambda f: ad.jvp(f, (x,), (np.ones(2),)),
                        lambda f: ad.vjp(f, x)[1](1.0)):
                with pytest.raises(RuntimeError, match="dictionary changed size"):
                    run(adds_a_key_while_walking)
            # (a Hessian may be refused before it runs: a write into a dict, differentiated
            # twice)
            with pytest.raises((RuntimeError, ad.DifferentiationError)):
                ad.hessian(adds_a_key_while_walking)(x)
            for fn in (adds_a_key_then_leaves, sets_its_own_keys_while_walking):
                ad.check_grads(fn, (x,))


def test_a_dicts_adjoint_holds_zero_at_a_key_it_lacks():
    # a dict's adjoint made after a backward pass removed a key (reverse over reverse of
    # stores at new keys) lacks it: adding keeps every key, reading gives a zero
    from s2s_ad import runtime as rt
    assert rt.add({"a": 1.0}, {"a": 2.0, "c": 3.0}) == {"a": 3.0, "c": 3.0}
    assert rt.add_at({"a": 1.0}, "c", 2.0) == {"a": 1.0, "c": 2.0}
    assert rt.item_of({"a": 1.0}, "c", np.ones(2)).tolist() == [0.0, 0.0]
    assert rt.item_of({"a": 1.0}, "a", 5.0) == 1.0


def _adds_key_c(m, v):
    m["c"] = v


def grows_through_another_name(x):
    d = {"a": x * 2.0, "b": np.sin(x)}
    e = d
    for k in d:
        e[k + "c"] = x
    return np.sum(d["a"])


def grows_through_a_holder(x):
    d = {"a": x * 2.0, "b": np.sin(x)}
    pair = (d, 1)
    for k in d:
        pair[0][k + "c"] = x
    return np.sum(d["a"])


def grows_in_a_helper(x):
    d = {"a": x * 2.0, "b": np.sin(x)}
    for k in d:
        _adds_key_c(d, x)
    return np.sum(d["a"])


def shrinks_by_a_method(x):
    d = {"a": x * 2.0, "b": np.sin(x)}
    for k in d:
        d.pop("b", None)
    return np.sum(d["a"])


def only_reads_while_walking(x):
    d = {"a": x * 2.0, "b": np.sin(x)}
    s = 0.0
    for k, v in d.items():
        s = s + np.sum(v * d[k])
    return s


@pytest.mark.parametrize("fn", [grows_through_another_name, grows_through_a_holder,
                                grows_in_a_helper, shrinks_by_a_method])
def test_a_dict_changed_while_walked_raises_whatever_changes_it(fn):
    # the check is left out only where the loop's body cannot change the dict: not where it
    # changes it through another name, a tuple holding it, a helper or a method (where the
    # write itself is not refused first)
    x = np.array([0.3, 0.5])
    assert _may_change_walked(fn)
    with pytest.raises(RuntimeError, match="dictionary changed size during iteration"):
        fn(x)
    with pytest.raises((RuntimeError, ad.DifferentiationError)) as raised:
        ad.grad(fn)(x)
    assert "dictionary changed size" in str(raised.value) or \
        raised.type is not RuntimeError


def test_a_loop_that_only_reads_a_dict_checks_nothing():
    assert not _may_change_walked(only_reads_while_walking)
    ad.check_grads(only_reads_while_walking, (np.array([0.3, 0.5]),))


def _may_change_walked(fn):
    """Does desugar check the size of the dict `fn`'s first loop walks?"""
    import inspect
    import gast
    from s2s_ad.frontend import walk_changes
    node = gast.parse(inspect.getsource(fn)).body[0]
    loop = next(n for n in gast.walk(node) if isinstance(n, gast.For))
    return walk_changes.may_change_walked(loop, node)


def walks_copies_of_lists_and_dicts(x):
    rows = [x[0], x[1] * x[2]]
    same = rows                       # a copy of a name that holds a list
    squares = list(map(lambda v: v * v, same))
    weights = {"a": x[0], "b": x[2]}
    alias = weights                   # and of one that holds a dict
    total = 0.0
    for key in alias:
        total = total + alias[key] * squares[0]
    return total + sorted(squares, key=lambda v: -v)[0]


def test_a_loop_over_a_copied_list_or_dict_asks_nothing_at_run_time():
    # A name every assignment gives a list (a dict), or another such name, is walked by
    # position (by key) without `_ad.keys_of(...) is None` tests, as are map's and sorted's
    # loops over the user's list.
    text = ad.source(walks_copies_of_lists_and_dicts, "ssa")
    assert "_keys is None" not in text and "_keys_1 is None" not in text
    assert text.count("keys_of") == 1          # the dict's keys, listed once
    ad.check_grads(walks_copies_of_lists_and_dicts, (np.array([0.3, -0.5, 0.7]),))


def merges_a_dict(x):
    base = {"a": x[0], "b": x[1] * x[2]}
    merged = {**base, "c": x[2]}
    return merged["a"] * merged["b"] + merged["c"]


def test_a_merged_dict_name_is_walked_as_it_is():
    # `{**base, ...}` reads base at each of its keys: its adjoint is base_bar, no copy's
    text = ad.source(merges_a_dict, "vjp")
    assert "_merged" not in text and "base_bar" in text
    ad.check_grads(merges_a_dict, (np.array([0.3, -0.5, 0.7]),))
