"""`*args` and `**kwargs` parameters (frontend/variadic.py): the function differentiated for
the arguments a call gives them, with a parameter per argument, in every transform.  The
corpus (tests/programs.py: star_sum_of_squares, star_loss, star_helpers_forwarding,
decorated_with_wraps) runs them through the transform matrix called by position; here the
keyword arguments a matrix does not pass, the wrt forms, the cache and the refusals."""
import functools
import os
import subprocess
import sys

import numpy as np
import pytest

import s2s_ad as ad


def loss(w, *data, scale=1.5, **opts):
    total = 0.0
    for x in data:
        total = total + np.sum(np.tanh(w * x) ** 2)
    penalty = 0.0
    for key, value in opts.items():
        penalty = penalty + value * np.sum(w ** 2) if key == "l2" else penalty + value
    return scale * total + penalty


W = np.array([0.5, -1.0, 0.3])
A = np.array([1.0, 0.2, -0.7])
B = np.array([-0.4, 0.9, 1.1])


def by_differences(f, args, kwargs, where, eps=1e-6):
    """The derivative of f by central differences in the argument `where` (a position or a
    keyword)."""
    def at(value):
        a, k = list(args), dict(kwargs)
        if isinstance(where, int):
            a[where] = value
        else:
            k[where] = value
        return f(*a, **k)
    x = args[where] if isinstance(where, int) else kwargs[where]
    if np.ndim(x) == 0:
        return (at(x + eps) - at(x - eps)) / (2 * eps)
    out = np.zeros(np.shape(x))
    for i in np.ndindex(*np.shape(x)):
        e = np.zeros(np.shape(x))
        e[i] = eps
        out[i] = (at(x + e) - at(x - e)) / (2 * eps)
    return out


def test_gradients_by_position_and_by_key():
    kwargs = dict(scale=2.0, l2=0.3, offset=0.5)
    got = ad.grad(loss, wrt=(0, 1, 2, "scale", "l2", "offset"))(W, A, B, **kwargs)
    for g, where in zip(got, (0, 1, 2, "scale", "l2", "offset")):
        np.testing.assert_allclose(g, by_differences(loss, (W, A, B), kwargs, where), rtol=1e-6)
    value, g = ad.value_and_grad(loss, wrt="l2")(W, A, l2=0.3)
    assert value == pytest.approx(loss(W, A, l2=0.3))
    assert g == pytest.approx(0.3 * 0 + np.sum(W ** 2))


def test_every_transform_of_a_star_item():
    args = (W, A, B)
    expected = by_differences(loss, args, {}, 2)
    np.testing.assert_allclose(ad.grad(loss, wrt=2)(*args), expected, rtol=1e-6)
    out, pullback = ad.vjp(loss, *args)
    np.testing.assert_allclose(pullback(1.0)[2], expected, rtol=1e-6)
    tangent = np.array([1.0, -2.0, 0.5])
    _, dot = ad.jvp(loss, args, (np.zeros(3), np.zeros(3), tangent))
    assert dot == pytest.approx(expected @ tangent)
    np.testing.assert_allclose(ad.jacfwd(loss, wrt=2)(*args), expected, rtol=1e-6)
    np.testing.assert_allclose(ad.jacrev(loss, wrt=2)(*args), expected, rtol=1e-6)
    hessian = ad.hessian(loss, wrt=2)(*args)
    gradient = ad.grad(loss, wrt=2)
    columns = [(gradient(W, A, B + e) - gradient(W, A, B - e)) / 2e-6 for e in np.eye(3) * 1e-6]
    np.testing.assert_allclose(hessian, np.stack(columns, axis=1), rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(ad.hvp(loss, wrt=2)(*args, tangent), hessian @ tangent,
                               rtol=1e-6)
    np.testing.assert_allclose(ad.jacfwd(ad.grad(loss, wrt=2), wrt=2)(*args), hessian,
                               rtol=1e-6)


def test_code_has_a_parameter_per_argument():
    text = ad.source(loss, "grad", wrt=1, example=(W, A, B))
    assert "def loss_grad(w, data_0, data_1, scale=1.5):" in text
    assert "data = (data_0, data_1)" in text and "opts = {}" in text
    text = ad.source(loss, "grad", wrt="l2")
    assert "def loss_grad(w, scale, l2):" in text and "opts = {'l2': l2}" in text


def test_a_key_named_like_a_local_gets_a_name_of_its_own():
    # `total` and `x` are names of loss: the keys' parameters are opts_total, opts_x
    got = ad.grad(loss, wrt=("total", "x"))(W, A, total=2.0, x=1.0)
    assert got == (pytest.approx(1.0), pytest.approx(1.0))
    text = ad.source(loss, "grad", wrt=("total", "x"))
    assert "opts = {'total': opts_total, 'x': opts_x}" in text


def test_code_is_made_per_count_and_keys():
    f = ad.grad(loss, wrt=0)
    for args, kwargs in [((W, A), {}), ((W, A, B), {}), ((W, A), {"l2": 0.5}),
                         ((W, A), {"offset": 1.0, "l2": 0.5}), ((W,), {"l2": 0.5}),
                         ((W, A), {"l2": 0.5, "offset": 1.0}), ((W, A), {})]:
        np.testing.assert_allclose(f(*args, **kwargs), by_differences(loss, args, kwargs, 0),
                                   rtol=1e-6)


def test_a_helper_taking_kwargs_in_order():
    """The keys' order is the call's, as Python keeps it: kw's items come in that order."""
    def first_key_doubled(x, **kw):
        out, factor = 0.0, 2.0
        for key in kw:
            out = out + factor * x * kw[key]
            factor = 1.0
        return out

    def calls(x, y):
        return first_key_doubled(x, a=y, b=x * x) + first_key_doubled(x, b=x * x, a=y)
    expected = by_differences(calls, (1.5, 0.5), {}, 0)
    assert ad.grad(calls)(1.5, 0.5) == pytest.approx(expected, rel=1e-6)
    assert ad.jvp(calls, (1.5, 0.5), (1.0, 0.0))[1] == pytest.approx(expected, rel=1e-6)


def test_the_decorator_on_a_star_function():
    @ad.differentiate(wrt=(0, 2))
    def f(*xs):
        return sum(x * x * k for k, x in enumerate(xs))
    assert f(1.0, 2.0, 3.0) == pytest.approx(22.0)
    assert f.grad(1.0, 2.0, 3.0) == (pytest.approx(0.0), pytest.approx(12.0))
    assert "def f_grad(xs_0, xs_1, xs_2):" in f.source(example=(1.0, 2.0, 3.0))


def test_a_wraps_decorator_on_the_function_differentiated():
    calls = []

    def logged(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            calls.append(fn.__name__)
            return fn(*args, **kwargs)
        return wrapper

    @logged
    def f(x, k=2.0):
        return x ** k
    assert ad.grad(f)(3.0, k=3.0) == pytest.approx(27.0)
    assert ad.grad(f, wrt="k")(3.0, k=3.0) == pytest.approx(27.0 * np.log(3.0))
    assert ad.hessian(f)(3.0) == pytest.approx(2.0)


def test_what_names_no_argument_of_the_call_is_refused():
    with pytest.raises(ad.BadArgumentError, match="data_2, which this call of loss"):
        ad.grad(loss, wrt=3)(W, A, B)
    with pytest.raises(ad.BadArgumentError, match="counted from the first"):
        ad.grad(loss, wrt=-1)
    with pytest.raises(ad.BadArgumentError, match=r"`\*data`"):
        ad.grad(loss, wrt="data")
    with pytest.raises(ad.BadArgumentError, match=r"`\*\*opts`"):
        ad.grad(loss, wrt="opts")
    with pytest.raises(ad.BadArgumentError, match="'a b' of loss is not a Python name"):
        ad.grad(loss)(W, A, **{"a b": 1.0})


def test_a_tuple_of_unknown_length_spread_in_a_call_is_refused_at_its_line():
    def spreads(x, values):
        return np.hypot(*values) * x
    with pytest.raises(ad.UnsupportedSyntaxError, match=r"`\*args` in a call") as info:
        ad.grad(spreads)(1.0, (3.0, 4.0))
    assert "np.hypot(*values)" in str(info.value)


def test_a_tuple_built_in_a_loop_spread_in_a_call_is_refused_at_its_line():
    def total(*xs):
        return sum(xs)

    def built(x, n):
        t = ()
        for k in range(n):
            t = t + (x * k,)
        return total(*t)
    with pytest.raises(ad.UnsupportedSyntaxError, match="number of items is not known") as info:
        ad.grad(built)(1.0, 3)
    assert "return total(*t)" in str(info.value) and "t = (a, b)" in str(info.value)


def test_cli_prints_the_code_for_the_items_wrt_reaches(tmp_path):
    module = tmp_path / "star_module.py"
    module.write_text("def f(*xs):\n    return sum(x * x for x in xs)\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run([sys.executable, "-m", "s2s_ad", f"{module}:f", "--wrt", "1"],
                         capture_output=True, text=True, env=env, check=True).stdout
    assert out.startswith("def f_grad(xs_0, xs_1):\n    xs = (xs_0, xs_1)\n")
    out = subprocess.run([sys.executable, "-m", "s2s_ad", f"{module}:f", "--example",
                          "1.0, 2.0, 3.0"], capture_output=True, text=True, env=env,
                         check=True).stdout
    assert out.startswith("def f_grad(xs_0, xs_1, xs_2):")
