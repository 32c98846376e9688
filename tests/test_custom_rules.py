"""User rules (ad.defvjp / ad.defjvp), ad.stop_gradient and ad.nondifferentiable."""
import numpy as np
import pytest

import s2s_ad as ad


def softplus(x):
    # exp overflows for large x: differentiating this source gives nan there
    return np.log(1.0 + np.exp(x))


def stable_sigmoid(x):
    return np.exp(-np.logaddexp(0.0, -x))


ad.defvjp(softplus, lambda g, ans, x: g * stable_sigmoid(x))
ad.defjvp(softplus, lambda t, ans, x: t * stable_sigmoid(x))


def loss(x):
    return np.sum(softplus(x) * 2.0)


def test_the_rule_is_used_and_inlined():
    x = np.array([-3.0, 0.0, 1000.0])
    with np.errstate(over="ignore"):
        g = ad.grad(loss)(x)
    np.testing.assert_allclose(g, 2.0 * stable_sigmoid(x))
    assert np.all(np.isfinite(g))
    text = ad.source(loss, "grad")
    assert "stable_sigmoid(x)" in text            # the rule's body, with the caller's names
    assert "softplus_fwd" not in text            # not the function's own derivative
    with np.errstate(over="ignore"):
        _, tangent = ad.jvp(loss, (x,), (np.ones(3),))
    assert tangent == pytest.approx(np.sum(2.0 * stable_sigmoid(x)))


def test_rules_are_ordinary_functions_checked_by_check_grads():
    ad.check_grads(loss, (np.array([-1.0, 0.5, 2.0]),))


def clipped(x, lo, hi):
    return np.minimum(np.maximum(x, lo), hi)


def straight_through(x):
    return clipped(x, -1.0, 1.0)


ad.defvjp(clipped, lambda g, ans, x, lo, hi: g, None, None)
ad.defjvp(clipped, lambda t, ans, x, lo, hi: t, None, None)


def test_none_marks_an_argument_non_differentiable():
    def f(x):
        return np.sum(straight_through(x) * x)
    x = np.array([-3.0, 0.2, 4.0])
    np.testing.assert_allclose(ad.grad(f)(x), np.clip(x, -1, 1) + x)


def test_stop_gradient():
    def f(x):
        return x * ad.stop_gradient(x * x)
    assert ad.grad(f)(3.0) == 9.0
    assert ad.jvp(f, (3.0,), (1.0,)) == (27.0, 9.0)


def noisy_measurement(x):
    return x + 0.0


ad.nondifferentiable(noisy_measurement)


def test_nondifferentiable():
    def f(x):
        return x * x + noisy_measurement(x)
    assert ad.grad(f)(2.0) == 4.0
    assert ad.jvp(f, (2.0,), (1.0,)) == (6.0, 4.0)
    assert "noisy_measurement_fwd" not in ad.source(f, "grad")   # no derivative code for it


def half_square(x):
    return 0.5 * x * x


ad.defvjp(half_square, lambda g, ans, x: g * x)   # a VJP rule and no JVP rule


def polynomial(x):
    y = 0.0
    for c in (1.0, 2.0, 3.0):
        y = y * x + c
    return y


def uses_half_square(x):
    return half_square(x) + x


def test_gradient_of_one_float_argument_runs_forward_mode():
    source = ad.source(polynomial, "grad", example=(0.5,))
    assert "forward mode" in source and "_tape" not in source
    assert ad.grad(polynomial)(0.5) == 2.0 * 0.5 + 2.0
    ad.check_grads(polynomial, (0.5,))


def test_gradient_of_one_float_falls_back_to_reverse_mode_without_a_jvp_rule():
    source = ad.source(uses_half_square, "grad", example=(3.0,))
    assert "forward mode" not in source
    assert ad.grad(uses_half_square)(3.0) == 4.0


def test_forward_mode_without_a_jvp_rule_asks_for_one():
    # half_square itself: the function made to call it is not code s2s_ad differentiates "once
    # more", and the way out is a JVP rule, not building arrays instead of writing into them
    with pytest.raises(ad.NonDifferentiableCallError) as error:
        ad.jvp(half_square, (3.0,), (1.0,))
    assert "once more" not in str(error.value)
    assert error.value.message == "no forward-mode rule for half_square"
    # a Hessian: the generated gradient calls it, and is differentiated once more
    with pytest.raises(ad.NonDifferentiableCallError) as error:
        ad.hessian(lambda x: np.sum(half_square(x) * x))(np.ones(2))
    assert "once more" in str(error.value)
    assert "ad.defjvp(half_square" in error.value.hint


def test_forward_gradient_folds_the_unit_seed_only_where_the_result_stays_a_float():
    import math
    cases = [(lambda x: x + 1, 1.0), (lambda x: 3 * x, 3.0), (lambda x: x * x, 4.0),
             (lambda x: math.sin(x) * 2, 2 * math.cos(2.0)), (lambda x: x ** 3 - 2.0 * x, 10.0)]
    for f, expected in cases:
        g = ad.grad(f)(2.0)
        assert type(g) is float and g == pytest.approx(expected)
    assert ad.grad(polynomial)(2) == 2.0 * 2 + 2.0      # an int argument is a float to grad
    source = ad.source(polynomial, "grad", example=(0.5,))
    assert "y_dot * x + y" in source and "x_dot" not in source


def test_forward_gradient_of_a_bool_argument_is_still_a_float():
    def square(x):
        return x * x
    assert ad.grad(square)(2.0) == 4.0
    assert repr(ad.grad(square)(True)) == "2.0"    # the same generated code serves both


# ---- rules written once: ad.defelementwise, ad.deflinear, ad.defbilinear ----

def softplus_once(x):
    return np.log(1.0 + np.exp(x))


ad.defelementwise(softplus_once, lambda ans, x: stable_sigmoid(x))


def test_defelementwise_gives_both_modes_inlined_and_second_order():
    def f(x):
        return np.sum(softplus_once(x) * x)
    x = np.array([-2.0, 0.3, 1.5])
    s = stable_sigmoid(x)
    np.testing.assert_allclose(ad.grad(f)(x), s * x + softplus_once(x))
    v = np.array([1.0, -0.5, 2.0])
    assert ad.jvp(f, (x,), (v,))[1] == pytest.approx(np.sum((s * x + softplus_once(x)) * v))
    # the partial is differentiated again: d/dx (s x + softplus) = s (1 - s) x + 2 s
    np.testing.assert_allclose(ad.hvp(f)(x, v), (s * (1 - s) * x + 2 * s) * v)
    assert "out_bar * stable_sigmoid(x)" in ad.source(lambda x: softplus_once(x), "grad")
    assert "x_dot * stable_sigmoid(x)" in ad.source(lambda x: softplus_once(x), "jvp")


def running_sum(x):
    return np.cumsum(x)


# the transpose of a running sum sums from the end
ad.deflinear(running_sum, lambda g, ans, x: np.cumsum(g[::-1])[::-1])


def symmetric_part(a, k=0.5):
    return k * (a + a.T)


ad.deflinear(symmetric_part)      # its own transpose: its signature names the parameters


def pair_products(a, b):
    return a[:, None] * b[None, :]


ad.defbilinear(pair_products, lambda g, ans, a, b: g @ b, lambda g, ans, a, b: a @ g)


@pytest.mark.parametrize("f, args", [
    (lambda x: np.sum(running_sum(x) ** 2), (np.array([1.0, -2.0, 0.5, 3.0]),)),
    (lambda a: np.sum(symmetric_part(a, k=0.25) * np.arange(9.0).reshape(3, 3) * a),
     (np.arange(9.0).reshape(3, 3) / 7,)),
    (lambda a, b: np.sum(np.sin(pair_products(a, b))), (np.array([0.3, -1.2]),
                                                         np.array([0.5, 2.0, -0.7]))),
])
def test_deflinear_and_defbilinear_give_both_modes_to_second_order(f, args):
    ad.check_grads(f, args, modes=("fwd", "rev"), order=2)


def test_a_linear_rules_tangent_is_the_function_applied_to_the_tangent():
    assert "running_sum(x_dot)" in ad.source(lambda x: running_sum(x), "jvp")
    source = ad.source(lambda a, b: pair_products(a, b), "jvp", wrt=(0, 1))
    assert "pair_products(a_dot, b)" in source and "pair_products(a, b_dot)" in source


def test_a_partial_must_name_the_result_and_the_arguments():
    def double(x):
        return 2 * x
    with pytest.raises(ad.BadArgumentError, match="takes 0 parameters"):
        ad.defelementwise(double, lambda: 2.0)
    with pytest.raises(ad.BadArgumentError, match="not a function"):
        ad.deflinear(double, 2.0)


def scaled_copy(g, ans=1.0):
    return ans * g


ad.deflinear(scaled_copy)    # parameters named like a rule's seed and result: renamed apart


def test_a_linear_function_whose_parameters_are_named_g_and_ans():
    def f(x):
        return np.sum(scaled_copy(x, 3.0) ** 2)
    x = np.array([1.0, -2.0])
    np.testing.assert_allclose(ad.grad(f)(x), 18.0 * x)
    assert ad.jvp(f, (x,), (np.ones(2),))[1] == pytest.approx(np.sum(18.0 * x))


def scaled(a, x):
    return a * x


# a's cotangent left in the result's shape: right only where a has the result's shape, so
# without broadcasts=True the derivative must stop rather than broadcast it into a_bar
ad.defvjp(scaled, lambda g, ans, a, x: g * x, lambda g, ans, a, x: g * a)
ad.defjvp(scaled, lambda t, ans, a, x: t, lambda t, ans, a, x: t * a)   # a's: not t * x


def scaled_loss(a, x):
    return np.sum(scaled(a, x) ** 2)


def test_a_user_rule_returning_the_wrong_shape_stops_the_derivative():
    a, x = np.array([2.0]), np.array([1.0, 2.0, 3.0])
    for run in (lambda: ad.grad(scaled_loss)(a, x),
                lambda: ad.vjp(scaled_loss, a, x)[1](1.0),
                lambda: ad.jacrev(lambda a, x: scaled(a, x))(a, x),
                lambda: ad.jvp(scaled_loss, (a, x), (np.ones(1), np.zeros(3))),
                lambda: ad.jacfwd(lambda a, x: scaled(a, x))(a, x)):
        with pytest.raises(ad.DifferentiationError, match=r"rule of scaled returned a value of "
                                                          r"shape \([13],\) where the shape"):
            run()
    # the argument of the result's shape is right, and so is everything that does not use
    # the wrong rule
    np.testing.assert_allclose(ad.grad(scaled_loss, wrt=1)(a, x), 2 * a * a * x)
    np.testing.assert_allclose(ad.grad(scaled_loss)(np.full(3, 2.0), x), 4 * x * x)
