"""Adjoint hooks (`on_adjoint`, `on_tangent`) and ad.adjoints / ad.tangents (issue 21)."""
import numpy as np
import pytest

import s2s_ad as ad


# -- an identity whose derivative is doubled: what a hook scaling by 2 must be equal to -------

def doubled(v):
    return v


ad.defvjp(doubled, lambda g, ans, v: 2.0 * g)
ad.defjvp(doubled, lambda t, ans, v: 2.0 * t)


def net(x, w):
    h = np.tanh(x * w)
    s = 0.0
    for i in range(3):
        h = np.sin(h) * w
        s = s + np.sum(h * h)
    return s + np.sum(h)


def net_doubled(x, w):
    """`net` with each assignment to h passed through `doubled`."""
    h = doubled(np.tanh(x * w))
    s = 0.0
    for i in range(3):
        h = doubled(np.sin(h) * w)
        s = s + np.sum(h * h)
    return s + np.sum(h)


X = np.array([0.3, -0.5, 0.8])
W = 0.7


def twice(g):
    return 2.0 * g


def test_scaling_an_adjoint_is_a_doubling_identity_in_the_function():
    want = ad.grad(net_doubled, (0, 1))(X, W)
    got = ad.grad(net, (0, 1), on_adjoint={"h": twice})(X, W)
    assert ad.grad(net, (0, 1))(X, W)[1] != pytest.approx(want[1])   # the hook matters
    np.testing.assert_allclose(got[0], want[0])
    assert got[1] == pytest.approx(want[1])
    value, grads = ad.value_and_grad(net, (0, 1), on_adjoint={"h": twice})(X, W)
    assert value == pytest.approx(net(X, W))
    np.testing.assert_allclose(grads[0], want[0])
    out, pullback = ad.vjp(net, X, W, on_adjoint={"h": twice})
    np.testing.assert_allclose(pullback(1.0)[0], want[0])
    decorated = ad.differentiate(net, wrt=(0, 1), on_adjoint={"h": twice})
    np.testing.assert_allclose(decorated.grad(X, W)[0], want[0])


def test_the_hook_is_a_visible_call_per_assignment_and_runs_each_iteration():
    seen = []

    def record(g):
        seen.append(np.array(g))
        return g

    ad.grad(net, on_adjoint={"h": record})(X, W)
    assert len(seen) == 4            # three iterations, then the first assignment
    gen = ad.api.compiled(net, "grad", ("x",), {"x": "array", "w": "scalar"}, hooks=("h",),
                          arg_shapes={"x": (3,)})
    assert gen.source.count("_ad_hooks['h'](") == 2
    assert "def net_grad(x, w, *, _ad_hooks)" in gen.source
    assert "twice" not in gen.source and "record" not in gen.source     # passed in, not text
    shown = ad.source(net, "grad", on_adjoint={"h": record})
    assert "h_bar = _ad_hooks['h'](h_bar)" in shown
    assert "_ad_hooks['h'](h_dot)" in ad.source(net, "jvp", on_adjoint=["h"])


def test_forward_mode_hook_matches_the_doubling_identity():
    tangents = (np.ones(3), 0.5)
    want = ad.jvp(net_doubled, (X, W), tangents)
    got = ad.jvp(net, (X, W), tangents, on_tangent={"h": twice})
    assert got[1] == pytest.approx(want[1])


def branchy(a, c):
    if c > 0:
        h = a * 2.0
    else:
        h = np.sin(a)
    k = 0
    while k < 3:
        h = h * a
        k = k + 1
    return np.sum(h * h)


def branchy_doubled(a, c):
    if c > 0:
        h = doubled(a * 2.0)
    else:
        h = doubled(np.sin(a))
    k = 0
    while k < 3:
        h = doubled(h * a)
        k = k + 1
    return np.sum(h * h)


@pytest.mark.parametrize("c", [1.0, -1.0])
def test_branches_and_while_loops_hook_each_assignment_not_the_joins(c):
    a = np.array([0.3, 0.9])
    np.testing.assert_allclose(ad.grad(branchy, on_adjoint={"h": twice})(a, c),
                               ad.grad(branchy_doubled)(a, c))
    tangents = (np.ones(2), 0.0)
    assert ad.jvp(branchy, (a, c), tangents, on_tangent={"h": twice})[1] == \
        pytest.approx(ad.jvp(branchy_doubled, (a, c), tangents)[1])


def clipped_loss(x):
    h = 1000.0 * x
    return np.sum(h * h)


def test_clipping_an_adjoint():
    x = np.array([1.0, -0.001])
    g = ad.grad(clipped_loss, on_adjoint={"h": lambda g: np.clip(g, -1.0, 1.0)})(x)
    # h_bar = 2h = [2000, -2] clipped to [1, -1], then times 1000
    np.testing.assert_allclose(g, [1000.0, -1000.0])


def test_a_parameter_hook_sees_the_whole_gradient():
    g = ad.grad(net, on_adjoint={"x": lambda g: -g})(X, W)
    np.testing.assert_allclose(g, -ad.grad(net)(X, W))


def test_an_unknown_name_lists_the_variables():
    with pytest.raises(ad.DifferentiationError) as info:
        ad.grad(net, on_adjoint={"hidden": twice})(X, W)
    text = str(info.value)
    assert "'hidden'" in text and "h, i, s, w, x" in text and "test_hooks.py" in text
    with pytest.raises(ad.BadArgumentError):
        ad.grad(net, on_adjoint={"h": 2.0})


def test_a_hooked_gradient_is_not_differentiated_again_without_its_hooks():
    hooked = ad.grad(lambda x: x * x, on_adjoint={"x": twice})
    assert hooked(3.0) == 12.0
    for again in (lambda: ad.grad(hooked)(3.0), lambda: ad.grad(lambda x: hooked(x) * x)(3.0)):
        with pytest.raises(ad.BadArgumentError, match="on_adjoint"):
            again()


def test_hooks_survive_the_optimizer_where_the_adjoint_is_not_read_again():
    seen = []

    def f(x):
        h = x * 2.0          # h's adjoint is x's: the hook call must not be dropped
        return h * 3.0

    def record(g):
        seen.append(g)
        return g

    assert ad.grad(f, on_adjoint={"h": record})(1.0) == 6.0
    assert seen == [3.0]


# -- ad.adjoints and ad.tangents ----------------------------------------------------------

def small(x, w):
    h = 3.0 * x
    for i in range(2):
        h = h * w
    y = np.sum(h)
    return y


def test_adjoints_of_every_variable():
    x = np.array([1.0, 2.0])
    found = ad.adjoints(small)(x, 0.5)
    assert list(found) == ["x", "w", "h", "y"]
    np.testing.assert_allclose(found["x"], ad.grad(small)(x, 0.5))
    assert found["w"] == pytest.approx(ad.grad(small, 1)(x, 0.5))
    # h at its first assignment: its whole effect on y, through both iterations (w * w)
    np.testing.assert_allclose(found["h"], [0.25, 0.25])
    assert found["y"] == 1.0


def test_tangents_of_every_variable():
    x = np.array([1.0, 2.0])
    found = ad.tangents(small)((x, 0.5), (np.ones(2), 0.0))
    assert list(found) == ["x", "w", "h", "y"]
    np.testing.assert_allclose(found["h"], [0.75, 0.75])    # its last value's: 3 * w * w
    assert found["y"] == pytest.approx(ad.jvp(small, (x, 0.5), (np.ones(2), 0.0))[1])


def test_the_readme_example_runs_as_shown(tmp_path):
    import pathlib
    import re
    import runpy
    readme = (pathlib.Path(__file__).parent.parent / "README.md").read_text()
    block = next(b for b in re.findall(r"```python\n(.*?)```", readme, re.DOTALL)
                 if b.startswith("def rnn("))
    *definitions, grad_call, adjoints_call = block.splitlines()
    script = tmp_path / "readme_hooks.py"
    script.write_text("\n".join(["import numpy as np", "import s2s_ad as ad", *definitions,
                                 "clipped = " + grad_call, "found = " + adjoints_call]))
    run = runpy.run_path(str(script))
    clipped, found = run["clipped"], run["found"]
    assert clipped == pytest.approx(0.0226, abs=1e-4)
    assert found["w"] == pytest.approx(0.4307, abs=1e-4)
    assert found["w"] == pytest.approx(ad.grad(run["rnn"], 1)(run["x"], 2.0))
    np.testing.assert_allclose(found["x"], [0.1104, -0.0073], atol=1e-4)


def unpacked(x):
    a, b = np.sin(x), np.cos(x)
    c, d = [a, b]
    return np.sum(a * b + c * d)


def test_variables_bound_by_unpacking_have_adjoints_and_tangents():
    x = np.array([0.2, 0.4])
    found = ad.adjoints(unpacked)(x)
    assert {"a", "b", "c", "d"} <= set(found)
    np.testing.assert_allclose(found["c"], np.cos(x))          # d: c's partner in c * d
    np.testing.assert_allclose(found["a"], 2 * np.cos(x))      # b, and d through c
    dots = ad.tangents(unpacked)((x,), (np.ones(2),))
    np.testing.assert_allclose(dots["d"], -np.sin(x))


def test_a_hook_that_writes_in_place_changes_no_other_adjoint():
    # `y = a + b` gives a and b the same adjoint array (y's); a hook doubling b's in place
    # must not double a's as well.
    def f(x):
        a = np.sin(x)
        b = np.cos(x)
        y = a + b
        return np.sum(y * y)

    def double_in_place(g):
        g *= 2.0
        return g
    x = np.array([0.5, -1.0, 2.0])
    for name in ("a", "b", "y"):
        hooked = ad.grad(f, on_adjoint={name: double_in_place})(x)
        expected = ad.grad(f, on_adjoint={name: lambda g: 2.0 * g})(x)
        assert np.allclose(hooked, expected), name
