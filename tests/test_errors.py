"""Every refusal is a DifferentiationError naming the user's file:line and what to do instead."""
import os
import subprocess
import sys

import numpy as np
import pytest

import s2s_ad as ad

import programs
import refusals as r

HERE = os.path.abspath(r.__file__)


def refusal(fn, *args, wrt=0, kind=ad.DifferentiationError):
    with pytest.raises(kind) as info:
        ad.grad(fn, wrt=wrt)(*args)
    message = str(info.value)
    assert "Traceback" not in message
    return message


def line_of(fn, text):
    import inspect
    lines, first = inspect.getsourcelines(fn)
    for k, line in enumerate(lines):
        if text in line:
            return first + k
    raise AssertionError(text)


@pytest.mark.parametrize("fn, marker, words", [
    (r.uses_try, "for k in range(2)", "`try`"),
    (r.uses_with, "for k in range(2)", "`try`"),
    (r.writes_global, "global COUNTER", "`global`"),
    (r.defines_class, "class Box", "class definition"),
    (r.passes_lambda_to_numpy, "apply_along_axis(lambda", "lambda"),
    (r.deletes, "del y[0]", "`del y[...]`"),
    (r.imports_inside, "import math as m", "`import`"),
    (r.writes_nonlocal, "nonlocal total", "`nonlocal`"),
])
def test_unsupported_syntax_points_at_the_line(fn, marker, words):
    message = refusal(fn, 1.0, kind=ad.UnsupportedSyntaxError)
    assert f"{HERE}:{line_of(fn, marker)}:" in message
    assert words in message
    assert "^" in message                       # the caret under the offending column


def test_generators_and_coroutines():
    assert "generator" in refusal(r.generator, 1.0)
    assert "async" in refusal(r.coroutine, 1.0)


def test_star_args():
    # `*rest` holds what a call gives it (none here); a tuple argument's length is not known
    # when the code is generated, so spreading it in a call is refused
    assert ad.grad(r.star_args)(1.0) == 2.0
    message = refusal(r.star_call, 1.0, (3.0, 4.0))
    assert "*args" in message and f":{line_of(r.star_call, 'hypot')}:" in message


def test_call_without_rule_names_the_callable_and_the_fix():
    message = refusal(r.c_function_without_rule, np.array([1.0, 2.0]),
                      kind=ad.NonDifferentiableCallError)
    assert "np.nextafter" in message
    assert "ad.defvjp" in message and "ad.stop_gradient" in message
    assert f"{HERE}:{line_of(r.c_function_without_rule, 'nextafter')}:" in message


def test_function_without_source():
    namespace = {}
    exec("def f(x):\n    return x * 2.0\n", namespace)
    message = refusal(namespace["f"], 1.0, kind=ad.SourceUnavailableError)
    assert "exec" in message


def test_builtin_function_is_refused():
    assert "defvjp" in refusal(np.nextafter, 1.0, 2.0, kind=ad.SourceUnavailableError)


def test_grad_of_a_vector_valued_function():
    message = refusal(r.vector_output, np.ones(3), kind=ad.BadArgumentError)
    assert "scalar output" in message and "jacrev" in message


def test_integer_only_output():
    message = refusal(r.integer_output, 0.5, kind=ad.BadArgumentError)
    assert "integer output" in message


def test_wrt_that_does_not_exist():
    with pytest.raises(ad.BadArgumentError, match="no parameter named 'z'"):
        ad.grad(r.vector_output, wrt="z")
    with pytest.raises(ad.BadArgumentError, match="out of range"):
        ad.grad(r.vector_output, wrt=3)


def test_cli_prints_the_same_message_without_traceback():
    result = subprocess.run([sys.executable, "-m", "s2s_ad", f"{HERE}:uses_try"],
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"{HERE}:{line_of(r.uses_try, 'for k in range(2)')}:" in result.stderr


def test_errors_are_raised_at_transform_time_not_inside_the_compiler():
    # Every refusal above is a DifferentiationError: nothing surfaces as KeyError/AttributeError.
    for fn in (r.uses_try, r.uses_with, r.writes_global, r.defines_class, r.deletes):
        with pytest.raises(ad.DifferentiationError):
            ad.source(fn, "grad")


def test_in_place_update_of_a_shared_array():
    message = refusal(r.shared_update, np.ones(3), kind=ad.UnsupportedSyntaxError)
    assert "'y', which names the same array" in message
    assert f":{line_of(r.shared_update, 'x += 1.0')}:" in message
    assert ad.grad(r.shared_update)(2.0) == pytest.approx(2.0 * 2.0 + 1.0)   # numbers: fine


def test_in_place_update_of_a_parameter_of_unknown_kind():
    """`y += v` in a called function writes into the caller's array and rebinds a number: the
    generic code (kinds unknown) cannot say which; specialised on an array, it is a write."""
    from s2s_ad import api
    y0, v = np.array([1.0, 2.0]), np.array([0.5, -1.0])
    with api.variant(specialise=False):
        message = refusal(r.bumps_a_copy, y0, v, wrt=1, kind=ad.UnsupportedSyntaxError)
    assert "on the parameter 'y'" in message
    assert f"{HERE}:{line_of(r.bump, 'y += v')}:" in message
    np.testing.assert_allclose(ad.grad(r.bumps_a_copy, wrt=1)(y0, v), 2.0 * (y0 + v))


@pytest.mark.parametrize("fn, marker, words, fix", [
    (r.fills_in_place, "a.fill", "`.fill()` changes the array in place", "np.full_like"),
    (r.sorts_in_place, "a.sort", "`.sort()` changes the array in place", "np.sort(a)"),
    (r.copies_into, "np.copyto", "np.copyto() writes into the array", "a[...] = b"),
    (r.fills_diagonal, "np.fill_diagonal", "np.fill_diagonal() writes into", "diag_indices"),
    (r.writes_out, "out=a", "`out=` writes the result into an existing array", "a = np.add"),
    (r.scatter_subtracts, "np.subtract.at", "np.subtract.at() writes into the array",
     "Use np.add.at(a, idx, v), which s2s_ad follows"),
])
def test_calls_that_write_into_arrays_are_refused(fn, marker, words, fix):
    # the derivative code cannot follow them: without the refusal the gradient was wrong
    message = refusal(fn, np.array([1.0, 2.0, 3.0]))
    assert f"{HERE}:{line_of(fn, marker)}:" in message
    assert words in message and fix in message


def test_a_write_through_a_second_name_read_later_is_refused():
    # b and a are one array: a's derivative would still flow to the value before the write
    message = refusal(r.writes_through_alias, np.array([1.0, 2.0, 3.0]))
    assert f"{HERE}:{line_of(r.writes_through_alias, 'b[0] = 5.0')}:" in message
    assert "the same array as 'a'" in message and "b = a.copy()" in message


def test_second_derivatives_through_writes_into_arrays_say_what_is_refused():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    assert ad.grad(r.scales_a_slice)(x).shape == (4,)       # first derivatives work
    with pytest.raises(ad.UnsupportedSyntaxError) as info:
        ad.hessian(r.scales_a_slice)(x)
    message = str(info.value)
    assert "scales_a_slice_grad, code s2s_ad generated, once more" in message
    assert "build new arrays instead of writing into them" in message


def test_tangents_and_cotangents_of_the_wrong_shape_are_refused():
    def f(x):
        return x * 2.0
    with pytest.raises(ad.BadArgumentError, match=r"the tangent of x has shape \(2,\)"):
        ad.jvp(f, (np.ones(3),), (np.ones(2),))
    _, pullback = ad.vjp(f, np.ones(3))
    with pytest.raises(ad.BadArgumentError, match=r"the cotangent has shape \(2,\)"):
        pullback(np.ones(2))
    # too few arguments: Python's own message, naming the generated function plainly
    with pytest.raises(TypeError, match=r"^_scalar_sum_grad\(\) missing 1 required positional"):
        ad.grad(_scalar_sum)()


def _scalar_sum(x):
    return np.sum(x)


def test_a_write_into_an_item_of_a_list_names_no_internal_name():
    message = refusal(r.writes_into_list_item, np.array([1.0, 2.0, 3.0]))
    assert f"{HERE}:{line_of(r.writes_into_list_item, 'lst[0][0]')}:" in message
    assert "writing into an item of a container" in message and "_t" not in message.split("\n")[0]


def test_an_active_keyword_argument_without_a_rule_is_refused_in_both_modes():
    """`weights=` names no parameter of np.quantile's rules: no silent zero derivative."""
    x, w = np.array([0.5, 1.5, -1.5]), np.array([1.0, 2.0, 3.0])
    message = refusal(r.quantile_weights_by_keyword, x, w, wrt=1,
                      kind=ad.NonDifferentiableCallError)
    assert "weights=" in message and "np.quantile" in message
    assert f"{HERE}:{line_of(r.quantile_weights_by_keyword, 'weights=w')}:" in message
    with pytest.raises(ad.NonDifferentiableCallError, match="weights="):
        ad.jvp(r.quantile_weights_by_keyword, (x, w), (None, np.ones(3)))


@pytest.mark.parametrize("fn, marker, words", [
    (r.einsum_interleaved, "np.einsum(a, ROWS_COLUMNS, [1, 0])", "interleaved form"),
    (r.einsum_interleaved_pair, "np.einsum(a, ROWS_COLUMNS, B22", "interleaved form"),
    (r.einsum_ninth_operand, "np.einsum(\"ab,bc,cd", "ninth operand"),
    (r.piecewise_of_a_list_in_a_name, "np.piecewise(a, [a < 0", "lists in the call"),
    (r.multi_dot_of_a_list_in_a_name, "np.linalg.multi_dot(factors)", "np.linalg.multi_dot"),
    (r.atleast_of_two_arrays, "np.atleast_1d(b, a)", "second array"),
    (r.r_of_items, "np.r_[a, b]", "np.r_[...]"),
    (r.c_of_items, "np.c_[a, b]", "np.c_[...]"),
])
def test_calling_forms_the_rules_do_not_cover_are_refused_in_both_modes(fn, marker, words):
    """Not a silent zero derivative: np.einsum's interleaved form with an index list held in a
    name (index lists written in the call are differentiated: tests/programs.py), a ninth
    operand of np.einsum, np.piecewise or np.linalg.multi_dot of a list held in a name, a
    second array of
    np.atleast_1d, np.r_ and np.c_."""
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    args = (a,) if fn.__code__.co_argcount == 1 else (a[0], a[1])
    message = refusal(fn, *args, kind=ad.NonDifferentiableCallError)
    assert words in message and f"{HERE}:{line_of(fn, marker)}:" in message
    with pytest.raises(ad.NonDifferentiableCallError, match=words.replace("[", r"\[")):
        ad.jvp(fn, args, (np.ones_like(args[0]),) + (None,) * (len(args) - 1))


@pytest.mark.parametrize("fn, marker, words", [
    (r.bessel_in_its_order, "special.jv(v, x)", "special.jv: no derivative with respect to its "
                                                "argument v (the order)"),
    (r.incomplete_gamma_in_its_shape, "special.gammainc(a, x)", "argument a (no elementary"),
    (r.incomplete_beta_in_b, "special.betainc(2.0, b, x)", "argument b (no elementary"),
    (r.zeta_in_its_exponent, "special.zeta(s, q)", "argument x (no elementary"),
    (r.polygamma_in_its_order, "special.polygamma(n, x)", "argument n (an integer order)"),
])
def test_scipy_special_orders_and_parameters_are_refused_in_both_modes(fn, marker, words):
    """Not a silent zero: the derivative of jv in its order, or of the regularized incomplete
    functions in a and b, has no rule; the other argument is differentiated."""
    args = (2.0, np.array([0.4, 0.7]))
    message = refusal(fn, *args, kind=ad.NonDifferentiableCallError)
    assert words in message and f"{HERE}:{line_of(fn, marker)}:" in message
    assert "leave" in message and "out of wrt" in message
    with pytest.raises(ad.NonDifferentiableCallError, match="no derivative with respect"):
        ad.jvp(fn, args, (1.0, None))
    assert np.all(np.isfinite(ad.grad(fn, wrt=1)(*args)))


@pytest.mark.parametrize("fn, marker", [
    (r.t_cdf_in_df, "scipy.stats.t.cdf(x, df)"),
])
def test_a_stats_shape_derivative_without_a_closed_form_is_refused(fn, marker):
    """Not a zero derivative: the derivative of the t cdf in df needs that of the incomplete
    beta function in its parameters."""
    df, x = np.array([1.5, 2.5]), np.array([0.3, -0.4])
    message = refusal(fn, df, x, kind=ad.NonDifferentiableCallError)
    assert "has no closed form" in message and f"{HERE}:{line_of(fn, marker)}:" in message
    with pytest.raises(ad.NonDifferentiableCallError, match="has no closed form"):
        ad.jvp(fn, (df, x), (np.ones(2), None))
    assert np.all(np.isfinite(ad.grad(fn, wrt=1)(df, x)))     # x is differentiable


def test_a_stats_method_without_rules_is_refused_at_the_users_line():
    """lognorm has no rules: refused where its arguments are active, never differentiated
    through SciPy's code; norm.rvs with constant arguments runs as it is."""
    s, x = np.array([0.5, 0.7]), np.array([0.3, 1.4])
    message = refusal(r.lognorm_without_rules, s, x, kind=ad.NonDifferentiableCallError)
    assert "scipy.stats.lognorm.logpdf has no derivative rule" in message
    assert f"{HERE}:{line_of(r.lognorm_without_rules, 'lognorm.logpdf(x, s)')}:" in message
    with pytest.raises(ad.NonDifferentiableCallError, match="no derivative rule"):
        ad.grad(r.lognorm_without_rules, wrt=1)(s, x)
    np.testing.assert_allclose(ad.grad(r.noise_from_rvs)(s, x), (x * x / (s * s) - 1.0) / s)


def test_a_singular_allowed_covariance_is_refused_when_it_runs():
    """allow_singular=True: the derivative in cov (possibly singular) raises, in both modes;
    the one in x uses the pseudo-inverse."""
    c, x = np.array([[1.0, 1.0], [1.0, 1.0]]), np.array([[0.3, 0.3]])
    with pytest.raises(NotImplementedError, match="allow_singular"):
        ad.grad(r.gaussian_with_a_singular_covariance)(c, x)
    with pytest.raises(NotImplementedError, match="allow_singular"):
        ad.jvp(r.gaussian_with_a_singular_covariance, (c, x), (np.eye(2), None))
    np.testing.assert_allclose(ad.grad(r.gaussian_with_a_singular_covariance, wrt=1)(c, x),
                               [[-0.15, -0.15]])


def test_interleaved_einsum_through_a_later_operand_raises():
    """An operand of the interleaved form after the first is matched to a string-subscripts
    rule: that rule raises when it runs instead of returning a wrong cotangent."""
    with pytest.raises(NotImplementedError, match="interleaved"):
        ad.grad(r.einsum_interleaved_second)(np.ones((2, 2)))


@pytest.mark.parametrize("fn, words", [(r.svd_full_factors, "full_matrices=False"),
                                       (r.qr_complete_of_tall, "mode='complete'")])
def test_factors_that_are_not_unique_raise_in_both_modes(fn, words):
    """np.linalg.svd's full factors, and qr's complete Q, of a matrix that is not square:
    their columns past the n-th are not unique; the rules raise when they run, never a crash
    inside them or a wrong derivative."""
    a = np.arange(12.0).reshape(3, 4) ** 0.5
    with pytest.raises(NotImplementedError, match=words):
        ad.grad(fn)(a)
    with pytest.raises(NotImplementedError, match=words):
        ad.jvp(fn, (a,), (np.ones_like(a),))


def test_eig_of_repeated_eigenvalues_raises_in_both_modes():
    """Its eigenvectors are not unique there: no infinite or NaN derivative."""
    a = np.diag([2.0, 2.0, 1.0])
    with pytest.raises(NotImplementedError, match="repeated eigenvalue"):
        ad.grad(r.eig_of_repeated_eigenvalues)(a)
    with pytest.raises(NotImplementedError, match="repeated eigenvalue"):
        ad.jvp(r.eig_of_repeated_eigenvalues, (a,), (np.ones_like(a),))


def test_histogram_density_raises_through_a():
    """With density=True the counts move with the bin widths, which the rules do not cover."""
    with pytest.raises(NotImplementedError, match="density=True"):
        ad.grad(r.histogram_density_through_a)(np.array([0.1, 0.5, 0.9, 0.3]))


def test_interp_with_a_period_raises_through_x():
    """np.interp's rules do not cover `period`: no wrong derivative in x."""
    with pytest.raises(NotImplementedError, match="period"):
        ad.grad(r.interp_with_a_period)(np.array([0.3, 2.5]))


def test_lstsq_of_a_rank_deficient_matrix_raises():
    """Its solution jumps where the rank changes: no wrong derivative from the full-rank one."""
    a = np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]])
    with pytest.raises(NotImplementedError, match="rank 1"):
        ad.grad(r.lstsq_of_a_rank_deficient_matrix)(a)


def test_r_with_index_items_is_not_refused():
    a = np.array([1.0, 2.0, 3.0, 4.0])
    np.testing.assert_allclose(ad.grad(r.r_of_indices)(a), [2.0, 4.0, 0.0, 8.0])


@pytest.mark.parametrize("fn", list(programs.REFUSED_PYTHON), ids=lambda f: f.__name__)
def test_python_that_stays_refused_says_where_and_what_to_write(fn):
    """Issue 19: what stays refused is refused at the user's line, with a hint."""
    arguments, words = programs.REFUSED_PYTHON[fn]
    with pytest.raises(ad.DifferentiationError) as info:
        ad.grad(fn)(*arguments)
    message = str(info.value)
    assert words in message
    assert "programs.py:" in message and "\n" in message.strip()


@pytest.mark.skipif(r.odeint is None, reason="needs SciPy")
@pytest.mark.parametrize("fn, x, marker", [
    (r.odeint_of_rate, 0.5, "ys = odeint(decay"),
    (r.odeint_of_start, np.array([1.0, 2.0]), "ys = odeint(decay, y0"),
    (r.solve_ivp_of_rate, 0.5, "solution = solve_ivp("),
])
def test_ode_solvers_are_refused_at_the_users_call_in_both_modes(fn, x, marker):
    """Not SciPy's source (a `raise` or an item written in odeint's own code): the user's
    line, and what to write instead."""
    for transform in (lambda: ad.grad(fn)(x), lambda: ad.jvp(fn, (x,), (x * 0.0 + 1.0,))):
        with pytest.raises(ad.NonDifferentiableCallError) as info:
            transform()
        message = str(info.value)
        assert f"{HERE}:{line_of(fn, marker)}:" in message
        assert "ODE solver" in message and "expm(t * A) @ y0" in message
        assert "site-packages" not in message


@pytest.mark.parametrize("fn, marker", [
    (r.odeint_of_closure, "ys = odeint(rate"),
])
def test_a_local_function_passed_on_is_refused_at_its_use(fn, marker):
    """Its calls are inlined and its definition dropped: the generated code failed on its name
    (NameError), and a derivative through what it reads was lost."""
    if fn is r.odeint_of_closure and r.odeint is None:
        pytest.skip("needs SciPy")
    message = refusal(fn, 0.5, kind=ad.UnsupportedSyntaxError)
    assert f"{HERE}:{line_of(fn, marker)}:" in message
    assert "used as a value" in message and "module level" in message
