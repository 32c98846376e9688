"""Adjoint hooks (`on_adjoint`, `on_tangent`) and ad.adjoints / ad.tangents (issue 21)."""
import inspect

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


# -- every hooked transform in every variant (generic or specialised code, optimised or not) ---

VARIANTS = [dict(specialise=s, optimize=o) for s in (True, False) for o in (True, False)]
VARIANT_IDS = ["SO", "Su", "GO", "Gu"]


def identity(g):
    return g


def rows_loop(A, w):
    s = 0.0
    for r in A:                       # a loop variable over an array's rows
        s = s + np.sum(np.sin(r) * w)
    return s


def pairs_loop(A, w):
    s = 0.0
    for a, b in zip(A, A[::-1]):      # loop variables bound by unpacking
        s = s + a * b * w
    return s


def augmented(A, w):
    h = A * w
    h += np.sin(A)
    return np.sum(h * h)


def conditional_expression(A, w):
    h = A * w if w > 0 else A - w
    return np.sum(h ** 3)


def rebound_after_use(A, w):
    h = A * w
    g = h * 2.0
    h = np.sin(A)
    return np.sum(g) + np.sum(h)


def unpacked_tuple(A, w):
    h = (A * w, A + w)
    a, b = h
    return np.sum(a * b)


def rebinds_a_parameter(A, w):
    A = A * w
    return np.sum(np.exp(A))


def rows_loop_doubled(A, w):
    s = 0.0
    for r0 in A:
        r = doubled(r0)
        s = s + np.sum(np.sin(r) * w)
    return s


def pairs_loop_doubled(A, w):
    s = 0.0
    for a0, b in zip(A, A[::-1]):
        a = doubled(a0)
        s = s + a * b * w
    return s


def augmented_doubled(A, w):
    h = doubled(A * w)
    h = doubled(h + np.sin(A))
    return np.sum(h * h)


def conditional_expression_doubled(A, w):
    h = doubled(A * w if w > 0 else A - w)
    return np.sum(h ** 3)


def rebound_after_use_doubled(A, w):
    h = doubled(A * w)
    g = h * 2.0
    h = doubled(np.sin(A))
    return np.sum(g) + np.sum(h)


def unpacked_tuple_doubled(A, w):
    h = (A * w, A + w)
    a0, b = h
    a = doubled(a0)
    return np.sum(a * b)


# (function, the same with `doubled` where a hook doubling `name` acts, name, argument)
HOOKED = [
    (net, net_doubled, "h", X),
    (branchy, branchy_doubled, "h", np.array([0.3, 0.9, -0.4])),
    (rows_loop, rows_loop_doubled, "r", np.array([[0.3, 0.2], [-0.5, 0.1]])),
    (pairs_loop, pairs_loop_doubled, "a", X),
    (augmented, augmented_doubled, "h", X),
    (conditional_expression, conditional_expression_doubled, "h", X),
    (rebound_after_use, rebound_after_use_doubled, "h", X),
    (unpacked_tuple, unpacked_tuple_doubled, "a", X),
]


def _hooked(mode, f, hooks, args):
    """Every derivative of f at args that takes hooks, as flat arrays: {mode: value}."""
    A, w = args
    tangents = (np.ones_like(A), 0.5)
    run = {
        "grad": lambda: ad.grad(f, (0, 1), on_adjoint=hooks)(A, w),
        "value_and_grad": lambda: ad.value_and_grad(f, (0, 1), on_adjoint=hooks)(A, w)[1],
        "vjp": lambda: ad.vjp(f, A, w, on_adjoint=hooks)[1](1.0),
        "differentiate": lambda: ad.differentiate(f, wrt=(0, 1), on_adjoint=hooks).grad(A, w),
        "differentiate.vjp": lambda: ad.differentiate(f, wrt=(0, 1),
                                                      on_adjoint=hooks).vjp(A, w)[1](1.0),
        "jvp": lambda: ad.jvp(f, (A, w), tangents, on_tangent=hooks),
    }[mode]
    return np.concatenate([np.ravel(v) for v in run()])


HOOKED_MODES = ["grad", "value_and_grad", "vjp", "differentiate", "differentiate.vjp", "jvp"]


@pytest.mark.parametrize("variant", VARIANTS, ids=VARIANT_IDS)
@pytest.mark.parametrize("mode", HOOKED_MODES)
@pytest.mark.parametrize("case", HOOKED + [(rebinds_a_parameter, None, "A", X)],
                         ids=lambda c: c[0].__name__)
@pytest.mark.parametrize("w", [0.7, -0.4])
def test_an_identity_hook_changes_no_number(case, mode, variant, w):
    f, _, name, A = case
    with ad.api.variant(**variant):
        plain = _hooked(mode, f, None, (A, w))
        for hooked_name in (name, *inspect.signature(f).parameters):     # and each parameter
            np.testing.assert_array_equal(_hooked(mode, f, {hooked_name: identity}, (A, w)),
                                          plain)


@pytest.mark.parametrize("variant", VARIANTS, ids=VARIANT_IDS)
@pytest.mark.parametrize("mode", HOOKED_MODES)
@pytest.mark.parametrize("case", HOOKED, ids=lambda c: c[0].__name__)
@pytest.mark.parametrize("w", [0.7, -0.4])
def test_a_doubling_hook_is_a_doubling_identity_in_the_function(case, mode, variant, w):
    f, with_doubled, name, A = case
    with ad.api.variant(**variant):
        np.testing.assert_allclose(_hooked(mode, f, {name: twice}, (A, w)),
                                   _hooked(mode, with_doubled, None, (A, w)), rtol=1e-12)


# The adjoint ad.adjoints reports for a variable at its first assignment is the derivative of
# the output by a change of the value it is given there: f_perturbed(x, w, e) adds e to it.
def net_perturbed(x, w, e):
    h = np.tanh(x * w) + e
    s = 0.0
    for i in range(3):
        h = np.sin(h) * w
        s = s + np.sum(h * h)
    return s + np.sum(h)


def branchy_perturbed(a, c, e):
    if c > 0:
        h = a * 2.0 + e
    else:
        h = np.sin(a) + e
    k = 0
    while k < 3:
        h = h * a
        k = k + 1
    return np.sum(h * h)


def unpacked_perturbed(x, e):
    a, b = np.sin(x), np.cos(x) + e
    c, d = [a, b]
    return np.sum(a * b + c * d)


PERTURBED = [(net, net_perturbed, "h", (X, W)),
             (branchy, branchy_perturbed, "h", (np.array([0.3, 0.9]), 1.0)),
             (branchy, branchy_perturbed, "h", (np.array([0.3, 0.9]), -1.0)),
             (unpacked, unpacked_perturbed, "b", (np.array([0.2, 0.4]),))]


@pytest.mark.parametrize("variant", VARIANTS, ids=VARIANT_IDS)
@pytest.mark.parametrize("case", PERTURBED, ids=lambda c: f"{c[0].__name__}-{c[3][-1]}")
def test_adjoints_are_derivatives_by_a_change_of_the_variable(case, variant):
    f, perturbed, name, args = case
    n, eps = np.size(args[0]), 1e-6
    expected = [(perturbed(*args, eps * e) - perturbed(*args, -eps * e)) / (2 * eps)
                for e in np.eye(n)]
    with ad.api.variant(**variant):
        found = ad.adjoints(f)(*args)
        np.testing.assert_allclose(found[name], expected, rtol=1e-6, atol=1e-8)
        gradients = ad.grad(f, tuple(range(len(args))))(*args)
        for parameter, gradient in zip(inspect.signature(f).parameters, gradients):
            if parameter in found:       # a parameter's adjoint is its gradient
                np.testing.assert_allclose(found[parameter], gradient)


class _Model:
    def __init__(self, w):
        self.w = w

    @ad.differentiate(on_adjoint={"h": twice})
    def energy(self, x):
        h = self.w * x
        return np.sum(h * h)

    @ad.differentiate(on_adjoint={"h": twice})
    @classmethod
    def scaled(cls, x):
        h = 3.0 * x
        return np.sum(h * h)


def test_a_decorated_methods_hooks_hold_for_the_bound_method():
    # Binding made a new Differentiable without the hooks: m.energy.grad lost them silently.
    m = _Model(np.array([1.0, 2.0]))
    x = np.array([0.5, 0.25])
    np.testing.assert_allclose(m.energy.grad(x), 2.0 * 2.0 * m.w ** 2 * x)
    np.testing.assert_allclose(m.energy.value_and_grad(x)[1], 2.0 * 2.0 * m.w ** 2 * x)
    np.testing.assert_allclose(m.energy.vjp(x)[1](1.0)[0], 2.0 * 2.0 * m.w ** 2 * x)
    for bound in (_Model.scaled, m.scaled):
        np.testing.assert_allclose(bound.grad(x), 2.0 * 2.0 * 9.0 * x)


def _net_final_h(x, w):
    """net's h at its last assignment: what ad.tangents reports the tangent of."""
    h = np.tanh(x * w)
    for i in range(3):
        h = np.sin(h) * w
    return h


@pytest.mark.parametrize("variant", VARIANTS, ids=VARIANT_IDS)
def test_tangents_are_directional_derivatives_of_the_last_value(variant):
    tangents, eps = (np.array([1.0, -0.5, 0.25]), 0.3), 1e-6
    up = _net_final_h(X + eps * tangents[0], W + eps * tangents[1])
    down = _net_final_h(X - eps * tangents[0], W - eps * tangents[1])
    with ad.api.variant(**variant):
        found = ad.tangents(net)((X, W), tangents)
        np.testing.assert_allclose(found["h"], (up - down) / (2 * eps), rtol=1e-6)
        assert found["w"] == tangents[1]
        assert ad.jvp(net, (X, W), tangents)[1] == pytest.approx(
            (net(X + eps * tangents[0], W + eps * tangents[1]) -
             net(X - eps * tangents[0], W - eps * tangents[1])) / (2 * eps), rel=1e-6)
