"""Forward mode, Jacobians, Hessians and HVPs: the statements of an introduction to AD."""
import numpy as np
import pytest

import s2s_ad as ad
from s2s_ad.check import numerical_jvp

rng = np.random.default_rng(0)
W = rng.normal(size=(3, 4))
X = rng.normal(size=4)


def linear(W, x):
    return W @ x


def scalar_field(x):
    return np.sum(np.sin(x) * x) + np.prod(x[:2]) ** 2


def scalar_fn(t):
    return t ** 3 - 2.0 * t


def vector_fn(x):
    return np.tanh(W @ x) * np.sum(x)


def test_jacobian_of_a_linear_map_is_its_matrix():
    np.testing.assert_allclose(ad.jacfwd(linear, wrt=1)(W, X), W)
    np.testing.assert_allclose(ad.jacrev(linear, wrt=1)(W, X), W)


def test_jacobian_shapes_follow_jax():
    J = ad.jacrev(linear, wrt=0)(W, X)
    assert J.shape == (3, 3, 4)            # out.shape + in.shape
    np.testing.assert_allclose(ad.jacfwd(linear, wrt=0)(W, X), J)
    # vector -> scalar: the Jacobian is the gradient (as a row of length n)
    np.testing.assert_allclose(ad.jacrev(scalar_field)(X), ad.grad(scalar_field)(X))
    np.testing.assert_allclose(ad.jacfwd(scalar_field)(X), ad.grad(scalar_field)(X))
    # scalar -> scalar: the Jacobian is the derivative
    assert ad.jacfwd(scalar_fn)(2.0) == pytest.approx(10.0)
    assert ad.jacrev(scalar_fn)(2.0) == pytest.approx(10.0)


def test_jacfwd_equals_jacrev_and_finite_differences():
    Jf, Jr = ad.jacfwd(vector_fn)(X), ad.jacrev(vector_fn)(X)
    np.testing.assert_allclose(Jf, Jr, atol=1e-12)
    for k in range(4):
        e = np.zeros(4)
        e[k] = 1.0
        np.testing.assert_allclose(Jf[:, k], numerical_jvp(vector_fn, [X], [0], [e]), atol=1e-7)


def test_hessian_is_symmetric_and_the_jacobian_of_the_gradient():
    H = ad.hessian(scalar_field)(X)
    assert H.shape == (4, 4)
    np.testing.assert_allclose(H, H.T, atol=1e-12)
    np.testing.assert_allclose(H, ad.jacfwd(ad.grad(scalar_field))(X), atol=1e-12)
    np.testing.assert_allclose(H, ad.jacrev(ad.grad(scalar_field))(X), atol=1e-12)
    gradient = ad.grad(scalar_field)
    for k in range(4):
        e = np.zeros(4)
        e[k] = 1.0
        np.testing.assert_allclose(H[:, k], numerical_jvp(gradient, [X], [0], [e]), atol=1e-6)


def test_hvp_is_hessian_times_v_in_both_compositions():
    v = rng.normal(size=4)
    H = ad.hessian(scalar_field)(X)
    np.testing.assert_allclose(ad.hvp(scalar_field)(X, v), H @ v, atol=1e-12)

    def grad_dot_v(x):                       # reverse over reverse
        return ad.grad(scalar_field)(x) @ v
    np.testing.assert_allclose(ad.grad(grad_dot_v)(X), H @ v, atol=1e-12)
    assert "x_bar_dot" in ad.source(scalar_field, "hvp")


def test_second_derivative_of_a_scalar_function():
    assert ad.grad(ad.grad(scalar_fn))(2.0) == pytest.approx(12.0)
    assert ad.grad(ad.grad(ad.grad(scalar_fn)))(2.0) == pytest.approx(6.0)


def test_jvp_ignores_integer_and_none_tangents():
    def f(x, n, scale):
        return x ** n * scale
    out, tangent = ad.jvp(f, (2.0, 3, 1.5), (1.0, 0.0, None))
    assert out == 12.0 and tangent == pytest.approx(18.0)


def test_second_order_check_grads():
    ad.check_grads(scalar_field, (X,), order=2)


def test_hvp_reuses_its_code_only_for_the_same_signature():
    def f(x):
        return np.sum(x ** 3)
    h = ad.hvp(f)
    for x in (np.array([1.0, 2.0]), np.array([1.0, 2.0]) * 3, np.ones((2, 2)), np.array([1, 2])):
        v = np.ones_like(x, dtype=float)
        np.testing.assert_allclose(h(x, v), 6.0 * x * v)
    assert h(2.0, 1.0) == 12.0 and h(3.0, 2.0) == 36.0
    # the hvp has f's parameters, then v: Python names what is missing
    with pytest.raises(TypeError, match="f_hvp.. missing 2 required positional arguments: "
                                        "'x' and 'v'"):
        h()
    with pytest.raises(ad.DifferentiationError, match="and then the vector v"):
        ad.hvp(lambda x, n=2: np.sum(x ** n))()     # a default: any arguments, checked here


def test_jacobians_reuse_their_code_only_for_the_same_signature():
    def f(x):
        return np.sin(x) * x
    jf, jr = ad.jacfwd(f), ad.jacrev(f)
    for x in (np.array([0.5, 1.0]), np.array([1.5, 2.0]), np.array([0.1, 0.2, 0.3]),
              np.array([1, 2]), np.array([0.5, 1.0])):
        expected = np.diag(np.cos(x) * x + np.sin(x))
        np.testing.assert_allclose(jf(x), expected, rtol=1e-12)
        np.testing.assert_allclose(jr(x), expected, rtol=1e-12)


def _masked_squares(x):
    return np.sum(x[x > 0.1] ** 2)


def test_hessian_through_a_mask():
    # the gradient adds into its adjoint with np.add.at, which the Hessian follows
    x = np.array([0.7, -0.3, 1.1, 0.4])
    np.testing.assert_allclose(ad.hessian(_masked_squares)(x), np.diag(2.0 * (x > 0.1)))
    np.testing.assert_allclose(ad.hvp(_masked_squares)(x, np.ones(4)), 2.0 * (x > 0.1))


def _complex_magnitudes(x):
    z = x[0] + 1j * x[1]
    return np.abs(z * z) + np.abs(z) * x[0]


def test_second_derivatives_through_complex_magnitudes():
    # |z| turns with z: the sign z/|z| in its gradient has a derivative where z is complex
    x = np.array([0.7, -0.3])
    grad = ad.grad(_complex_magnitudes)
    h = 1e-5
    expected = np.array([(grad(x + h * e) - grad(x - h * e)) / (2 * h) for e in np.eye(2)])
    np.testing.assert_allclose(ad.hessian(_complex_magnitudes)(x), expected, atol=1e-6)
    v = np.array([0.3, -0.8])
    np.testing.assert_allclose(ad.hvp(_complex_magnitudes)(x, v), expected @ v, atol=1e-6)
    over_reverse = ad.grad(lambda y: np.sum(grad(y) * v))(x)      # reverse over reverse
    np.testing.assert_allclose(over_reverse, expected.T @ v, atol=1e-6)


def slice_of_weight_in_a_branching_loop(W, xs):
    h = np.zeros((3, 4))
    for t in range(xs.shape[0]):
        if t % 2 == 0:
            h = np.tanh(xs[t] @ W)
        else:
            h = np.sin(h @ W[:4, :])
    return np.sum(h @ W[:4].T) + np.sum(W * W)


def test_hessian_where_the_gradient_adds_into_a_slice_in_a_loop():
    # the gradient adds into W_bar[:4] before its loop and W_bar[:4, :] in a branch of it,
    # and assigns W_bar in the other branch: differentiated again, these writes are followed
    rng = np.random.default_rng(5)
    W, xs = rng.standard_normal((4, 4)) / 2, rng.standard_normal((5, 3, 4))
    v = rng.standard_normal(W.shape)
    grad = ad.grad(slice_of_weight_in_a_branching_loop)
    eps = 1e-6
    expected = (grad(W + eps * v, xs) - grad(W - eps * v, xs)) / (2 * eps)
    np.testing.assert_allclose(ad.hvp(slice_of_weight_in_a_branching_loop)(W, xs, v), expected,
                               rtol=1e-6, atol=1e-7)
    H = ad.hessian(slice_of_weight_in_a_branching_loop)(W, xs)
    np.testing.assert_allclose(H.reshape(16, 16) @ v.ravel(), expected.ravel(),
                               rtol=1e-6, atol=1e-7)


def _along(inner, w):
    def along(x):
        return np.sum(inner(x) * w)
    return along


def _sum_of_x_sin_x_in_a_loop(x):
    s = 0.0
    for i in range(3):
        s = s + x[i] * np.sin(x[i])
    return s


def test_reverse_over_reverse_of_a_gradient_with_a_tape():
    # the gradient has a `_tape` of its own; differentiated in reverse mode as a callee, its
    # forward half takes the caller's tape under another name (`_tape_1`), which the caller
    # must pass it by
    x = np.array([0.3, -1.2, 2.0])
    w = np.array([0.5, 2.0, -1.0])
    got = ad.grad(_along(ad.grad(_sum_of_x_sin_x_in_a_loop), w))(x)
    np.testing.assert_allclose(got, (2 * np.cos(x) - x * np.sin(x)) * w, rtol=1e-12)


def _through_a_pair(x, y):
    pair = (x * y, x - y)
    c, d = pair
    return c * d + pair[0]


def test_reverse_over_a_gradient_that_adds_into_a_tuples_adjoint():
    # the gradient's `pair_bar = _ad.add(pair_bar, (c_bar, d_bar))` is a tuple, not a number:
    # differentiated again, its adjoint is built anew at an index, not written into
    from s2s_ad import api
    x, y = 0.3, 0.5
    expected = [2 * y, 2 * x - 2 * y + 1.0]     # of x^2 y - x y^2 + x y
    with api.variant(specialise=False, optimize=True):
        got = [ad.jacrev(ad.grad(_through_a_pair, wrt=0), wrt=k)(x, y) for k in (0, 1)]
    np.testing.assert_allclose(np.ravel(got), expected, rtol=1e-12)


def _covariance_energy(x):
    return np.sum(np.cov(x) ** 2) + np.sum(np.corrcoef(x) * x[:, :2])


def test_second_order_through_rules_that_are_called_not_inlined():
    # np.cov's rules are functions of several statements, which generated code calls; a
    # second order differentiates them as functions, whose `_ad` is the runtime itself
    x = rng.normal(size=(2, 4))
    v = rng.normal(size=(2, 4))
    gradient = ad.grad(_covariance_energy)
    expected = numerical_jvp(gradient, [x], [0], [v])
    np.testing.assert_allclose(ad.hvp(_covariance_energy)(x, v), expected, rtol=1e-6, atol=1e-8)
    over_reverse = ad.grad(_along(gradient, v))(x)
    np.testing.assert_allclose(np.sum(over_reverse * v), np.sum(expected * v), rtol=1e-6)


def _sinc_sum(x):
    return np.sum(np.sinc(x))


def test_the_second_derivative_of_sinc_at_zero():
    # sinc'' = -pi^2 / 3 at 0, where sinc' = (cos(pi x) - sinc(x)) / x needs its limit
    x = np.array([0.0, 0.4])
    h = 1e-4
    fd = (np.sinc(x + h) - 2 * np.sinc(x) + np.sinc(x - h)) / h ** 2
    np.testing.assert_allclose(np.diag(ad.hessian(_sinc_sum)(x)), fd, rtol=1e-6)
    np.testing.assert_allclose(ad.hvp(_sinc_sum)(x, np.ones(2))[0], -np.pi ** 2 / 3, rtol=1e-12)


def test_hvp_called_again_without_a_defaulted_argument():
    """The second call takes the fast path of the first; v must not land in the parameter
    left to its default (it did: a TypeError about the missing tangent)."""
    def f(x, y, k=2.0):
        return np.sum(x ** 3 * y) * k
    x, y, v = np.array([1.0, 2.0]), np.array([0.5, 1.5]), np.array([1.0, -1.0])
    expected = 6 * x * y * 2.0 * v
    h = ad.hvp(f)
    for _ in range(3):
        np.testing.assert_allclose(h(x, y, v), expected)
    np.testing.assert_allclose(h(x, y, 3.0, v), expected * 1.5)
    np.testing.assert_allclose(h(x, y, v), expected)
