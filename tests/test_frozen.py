"""Frozen scipy.stats distributions (frontend/frozen.py): `d = stats.norm(mu, s); d.logpdf(x)`
and `stats.norm(mu, s).pdf(x)` are differentiated in the parameters they were frozen with, as
calls of the distribution's own methods; any other use of a frozen object whose parameters
are differentiated is refused at the user's line."""
import inspect

import numpy as np
import pytest

import s2s_ad as ad

stats = pytest.importorskip("scipy.stats")
st = stats

X = np.array([0.1, 0.5, 1.3, -0.4])


def named_with_keywords(mu, s, x):
    d = st.norm(loc=mu, scale=s)
    return np.sum(d.logpdf(x)) + d.cdf(0.2) - d.sf(x[0]) * d.ppf(0.7) + d.std() * d.entropy()


def inline_by_position(mu, s, x):
    return np.sum(st.norm(mu, s).pdf(x)) + stats.gamma(2.5, scale=s).logpdf(1.5 + mu)


def multivariate(m, c):
    d = stats.multivariate_normal(m, c)
    return d.logpdf(np.array([0.3, -0.2])) + stats.dirichlet(np.exp(m) + 1.0).logpdf(
        np.array([0.2, 0.8]))


def in_a_loop(mu, s, x):
    total = 0.0
    d = st.t(3.0, loc=mu, scale=s)
    for k in range(3):
        total = total + np.sum(d.logpdf(x * (k + 1)))
    return total


@pytest.mark.parametrize("fn, args", [
    (named_with_keywords, (0.3, 1.2, X)),
    (inline_by_position, (0.3, 1.2, X)),
    (in_a_loop, (0.3, 1.2, X)),
    (multivariate, (np.array([0.1, 0.2]), np.array([[2.0, 0.3], [0.3, 1.0]]))),
])
def test_frozen_parameters_are_differentiated(fn, args):
    ad.check_grads(fn, args, modes=("fwd", "rev"), order=2)
    assert np.all(np.asarray(ad.grad(fn, wrt=0)(*args)) != 0.0)


def aliased(mu, x):
    d = st.norm(mu)
    e = d
    return np.sum(e.logpdf(x))


def passed_on(mu, x):
    return density_of(st.norm(mu, 1.0), x)


def density_of(d, x):
    return np.sum(d.logpdf(x))


@pytest.mark.parametrize("fn, where, text", [
    (aliased, aliased, "e.logpdf(x)"),
    (passed_on, density_of, "d.logpdf(x)")])
def test_other_uses_are_refused_at_the_users_line(fn, where, text):
    with pytest.raises(ad.DifferentiationError) as info:
        ad.grad(fn)(0.3, X)
    lines, first = inspect.getsourcelines(where)
    line = first + next(k for k, s in enumerate(lines) if text in s)
    assert f"test_frozen.py:{line}:" in str(info.value)
    assert "stats.norm.logpdf(x, mu, s)" in str(info.value)


def test_a_frozen_distribution_of_constants_runs():
    def f(x):
        d = st.norm(0.0, 2.0)
        return np.sum(d.logpdf(x))
    np.testing.assert_allclose(ad.grad(f)(X), -X / 4.0)
