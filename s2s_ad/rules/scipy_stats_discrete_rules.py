"""Rules for the discrete and multivariate `scipy.stats` distributions, and the refusals of
every other method of a distribution (loaded by scipy_stats_rules, whose docstring lists
what is differentiable; scipy_stats_forms makes one derivative expression per argument into
both modes' rules).
"""
import numpy as np
from scipy import special, stats

from s2s_ad.rules.registry import Refused, deffacts, defjvp, defvjp, nondifferentiable
from s2s_ad.rules.scipy_stats_forms import Contracted, _rules, _shape_derivatives


# ---- discrete distributions ----

# {method: the derivative in a shape}, in `seed`, with `{d}` the shape's function (d logpmf/
# d shape for pmf and logpmf, else dF/d shape) at the shifted point k - loc.  k and loc are
# integers: zero derivative.
_DISCRETE = {"logpmf": "seed * {d}", "pmf": "seed * ans * {d}", "cdf": "seed * {d}",
             "sf": "-seed * {d}"}


def _discrete(dist, shapes, dlogp, dcdf, counts=()):
    """Register the methods of the discrete distribution `dist` from its d logpmf/d shape and
    dF/d shape functions (per shape; None: refused); `counts` name integer shapes (binom's n),
    whose derivative is zero."""
    for method, template in _DISCRETE.items():
        cells = {}
        functions = dlogp if method in ("logpmf", "pmf") else dcdf
        derivatives = _shape_derivatives(dist, method, shapes, functions, template, "k - loc",
                                         cells)
        derivatives = [None if name in counts else d for name, d in zip(shapes, derivatives)]
        _rules(getattr(dist, method), ["k", *shapes, "loc=0"], [None, *derivatives], cells)


def poisson_dlogp_mu(k, mu):
    return k / mu - 1.0


# F(k) = Q(floor(k) + 1, mu), the regularised upper incomplete gamma function
def poisson_dcdf_mu(k, mu):
    return -stats.poisson.pmf(np.floor(k), mu)


def binom_dlogp_p(k, n, p):
    return k / p - (n - k) / (1.0 - p)


def binom_dcdf_p(k, n, p):
    return -n * stats.binom.pmf(np.floor(k), n - 1, p)


def nbinom_dlogp_n(k, n, p):
    return special.digamma(k + n) - special.digamma(n) + np.log(p)


def nbinom_dlogp_p(k, n, p):
    return n / p - k / (1.0 - p)


# F(k) = I_p(n, floor(k) + 1), the regularised incomplete beta function, whose derivative
# in p is the beta density p^(n-1) (1-p)^floor(k) / B(n, floor(k) + 1)
def nbinom_dcdf_p(k, n, p):
    j = np.floor(k)
    return np.exp((n - 1.0) * np.log(p) + j * np.log1p(-p) - special.gammaln(n)
                  - special.gammaln(j + 1.0) + special.gammaln(n + j + 1.0))


def geom_dlogp_p(k, p):
    return 1.0 / p - (k - 1.0) / (1.0 - p)


# F(k) = 1 - (1 - p)^floor(k) from k = 1 on, 0 before
def geom_dcdf_p(k, p):
    j = np.maximum(np.floor(k), 0.0)
    return j * (1.0 - p) ** (j - 1.0)


# bernoulli: p^k (1 - p)^(1 - k); F = 1 - p on [0, 1), constant elsewhere
def bernoulli_dlogp_p(k, p):
    return k / p - (1.0 - k) / (1.0 - p)


def bernoulli_dcdf_p(k, p):
    return np.where(np.floor(k) == 0.0, -1.0, 0.0) + 0.0 * p


# betabinom: C(n, k) B(k + a, n - k + b) / B(a, b)
def betabinom_dlogp_a(k, n, a, b):
    return (special.digamma(k + a) - special.digamma(n + a + b) - special.digamma(a)
            + special.digamma(a + b))


def betabinom_dlogp_b(k, n, a, b):
    return (special.digamma(n - k + b) - special.digamma(n + a + b) - special.digamma(b)
            + special.digamma(a + b))


_discrete(stats.poisson, ("mu",), (poisson_dlogp_mu,), (poisson_dcdf_mu,))
_discrete(stats.bernoulli, ("p",), (bernoulli_dlogp_p,), (bernoulli_dcdf_p,))
_discrete(stats.betabinom, ("n", "a", "b"), (None, betabinom_dlogp_a, betabinom_dlogp_b),
          (None, None, None), counts=("n",))
_discrete(stats.binom, ("n", "p"), (None, binom_dlogp_p), (None, binom_dcdf_p), counts=("n",))
_discrete(stats.nbinom, ("n", "p"), (nbinom_dlogp_n, nbinom_dlogp_p), (None, nbinom_dcdf_p))
_discrete(stats.geom, ("p",), (geom_dlogp_p,), (geom_dcdf_p,))


# ---- multivariate distributions ----

# dirichlet: x holds the components along its first axis (K, or K - 1 with the last one
# 1 - their sum, as SciPy takes them), alpha is (K,).  Each partial derivative is (K, ...),
# like x; the result has the shape of x without its first axis.
def dirichlet_alpha_column(x, alpha):
    return np.reshape(alpha, (-1,) + (1,) * (np.ndim(x) - 1))


def dirichlet_dlogpdf_dx(x, alpha):
    a = dirichlet_alpha_column(x, alpha)
    if np.shape(x)[0] == np.shape(alpha)[0]:
        return (a - 1.0) / x
    return (a[:-1] - 1.0) / x - (a[-1] - 1.0) / (1.0 - np.sum(x, axis=0))


def dirichlet_dlogpdf_dalpha(x, alpha):
    a = dirichlet_alpha_column(x, alpha)
    if np.shape(x)[0] < np.shape(alpha)[0]:
        x = np.concatenate([x, 1.0 - np.sum(x, axis=0, keepdims=True)], axis=0)
    return np.log(x) - special.digamma(a) + special.digamma(np.sum(alpha))


_DIRICHLET = (
    Contracted(["d = dlogpdf_dx(x, alpha)", "seed * d"], ["d = dlogpdf_dx(x, alpha)",
                                                           "np.sum(seed * d, axis=0)"]),
    Contracted(["d = dlogpdf_dalpha(x, alpha)",
                "np.sum(np.reshape(seed * d, (np.shape(d)[0], -1)), axis=1)"],
               ["d = dlogpdf_dalpha(x, alpha)",
                "np.sum(dirichlet_alpha_column(x, seed) * d, axis=0)"]))
for _method, _times in (("logpdf", False), ("pdf", True)):
    _rules(getattr(stats.dirichlet, _method), ["x", "alpha"],
           [d.times_density() if _times else d for d in _DIRICHLET],
           {"dlogpdf_dx": dirichlet_dlogpdf_dx, "dlogpdf_dalpha": dirichlet_dlogpdf_dalpha,
            "dirichlet_alpha_column": dirichlet_alpha_column}, broadcasts=False)


# multivariate_normal: x is (..., n) (or (...) where n is 1), its rows the samples; the
# result has one value per row (squeezed, as SciPy does).  SciPy reads the lower triangle of
# a matrix cov (a number or a vector is a diagonal), so the cov derivative is one of the
# lower triangle.  With allow_singular the x and mean derivatives use the pseudo-inverse;
# the cov derivative is refused there, cov possibly singular.
def mvn_size(mean, cov):
    """n, as SciPy finds it: from mean if given, else from cov."""
    if mean is not None:
        return np.size(mean)
    return np.shape(cov)[0] if np.ndim(cov) == 2 else 1


def mvn_matrix(cov, n):
    """The covariance matrix SciPy uses: the lower triangle mirrored, or a diagonal."""
    if np.ndim(cov) < 2:
        return cov * np.eye(n)
    return np.tril(cov) + np.transpose(np.tril(cov, -1))


def mvn_precision(cov, n, allow_singular):
    if allow_singular:
        return np.linalg.pinv(mvn_matrix(cov, n))
    return np.linalg.inv(mvn_matrix(cov, n))


def mvn_solved(x, mean, cov, allow_singular):
    """P (x - mean) of each sample, P the inverse of cov: rows (samples, n)."""
    n = mvn_size(mean, cov)
    r = np.reshape(x, (-1, n))
    if mean is not None:
        r = r - np.reshape(mean, (n,))
    return np.matmul(r, mvn_precision(cov, n, allow_singular))


def mvn_cov_layout(d, cov):
    """A symmetric matrix derivative d laid out as cov is: its lower triangle (the entries
    below the diagonal counted twice), its diagonal, or its trace."""
    if np.ndim(cov) == 0:
        return np.trace(d)
    if np.ndim(cov) == 1:
        return np.diagonal(d)
    return np.tril(d + np.transpose(d)) - d * np.eye(np.shape(d)[0])


_MVN_SOLVED = "s = solved(x, mean, cov, allow_singular)"
_MVN_REFUSED = ("_ad.unsupported('multivariate_normal with allow_singular=True in cov') "
                "if allow_singular else ")
_MVN = (
    Contracted([_MVN_SOLVED, "np.reshape(-np.reshape(seed, (-1, 1)) * s, np.shape(x))"],
               [_MVN_SOLVED, "np.reshape(-np.sum(np.reshape(seed, np.shape(s)) * s, axis=1), "
                             "np.shape(ans))"]),
    Contracted([_MVN_SOLVED, "np.reshape(np.sum(np.reshape(seed, (-1, 1)) * s, axis=0), "
                             "np.shape(mean))"],
               [_MVN_SOLVED, "np.reshape(np.matmul(s, np.reshape(seed, (-1,))), np.shape(ans))"]),
    # d logpdf = -1/2 tr(P dC) + 1/2 s^T dC s, s = P (x - mean), for each sample
    Contracted([_MVN_SOLVED, "p = mvn_precision(cov, np.shape(s)[1], allow_singular)",
                _MVN_REFUSED + "mvn_cov_layout(-0.5 * (np.sum(seed) * p - np.matmul("
                "np.transpose(np.reshape(seed, (-1, 1)) * s), s)), cov)"],
               [_MVN_SOLVED, "p = mvn_precision(cov, np.shape(s)[1], allow_singular)",
                "dc = mvn_matrix(seed, np.shape(s)[1])",
                _MVN_REFUSED + "np.reshape(-0.5 * np.sum(p * dc) + 0.5 * np.sum("
                "np.matmul(s, dc) * s, axis=1), np.shape(ans))"]))
_MVN_CELLS = {"solved": mvn_solved, "mvn_precision": mvn_precision, "mvn_matrix": mvn_matrix,
              "mvn_cov_layout": mvn_cov_layout}
for _method, _times in (("logpdf", False), ("pdf", True)):
    _rules(getattr(stats.multivariate_normal, _method),
           ["x", "mean=None", "cov=1", "allow_singular=False"],
           [d.times_density() if _times else d for d in _MVN], _MVN_CELLS, broadcasts=False)
# entropy = 1/2 log det(2 pi e C): d/dC = 1/2 P
_rules(stats.multivariate_normal.entropy, ["mean=None", "cov=1", "allow_singular=False"],
       [None, Contracted(
           ["p = mvn_precision(cov, mvn_size(mean, cov), allow_singular)",
            _MVN_REFUSED + "mvn_cov_layout(0.5 * seed * p, cov)"],
           ["n = mvn_size(mean, cov)",
            _MVN_REFUSED + "0.5 * np.sum(mvn_precision(cov, n, False) * mvn_matrix(seed, n))"])],
       {"mvn_precision": mvn_precision, "mvn_size": mvn_size, "mvn_matrix": mvn_matrix,
        "mvn_cov_layout": mvn_cov_layout}, broadcasts=False)


# ---- the other methods of SciPy's distributions: refused where an argument is active ----

# Without a record, a call such as lognorm.logpdf(x, s) or norm.rvs(size=3) would be taken
# for a user's method and SciPy's own code differentiated, which fails inside SciPy (or
# refuses its **kwargs).  With every argument Refused, a call with constant arguments runs as
# it is, and one with an active argument is refused at the user's line.  These methods give
# a number or an array (not interval, stats, fit, support: tuples); purity is left unstated
# (rvs draws random numbers).
_OTHER_METHODS = ("pdf", "logpdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf", "pmf",
                  "logpmf", "rvs", "mean", "var", "std", "median", "entropy", "moment")
_ENOUGH = 16      # positions refused: more than any call passes (x, shapes, loc, scale)


def _refuse_the_rest():
    from s2s_ad.rules.registry import RULES
    for name, dist in sorted(vars(stats).items()):
        if not isinstance(dist, (stats.rv_continuous, stats.rv_discrete)):
            continue
        for method in _OTHER_METHODS:
            fn = getattr(dist, method, None)
            if fn is None or fn in RULES:
                continue
            refused = Refused(f"scipy.stats.{name}.{method} has no derivative rule",
                              "docs/rules.md lists the scipy.stats methods with rules; wrap "
                              "an argument in ad.stop_gradient(...) if its derivative is not "
                              "needed.")
            defvjp(fn, *(refused,) * _ENOUGH)
            defjvp(fn, *(refused,) * _ENOUGH)
            deffacts(fn, kind="num")


# Freezing a distribution (`d = stats.norm(mu, s)`): the frontend rewrites `d.logpdf(x)` as
# `stats.norm.logpdf(x, mu, s)` where d is used only so (frontend/frozen.py).  Elsewhere the
# frozen object would carry mu and s where no derivative follows them: refused at the line.
_FROZEN = Refused("a frozen scipy.stats distribution whose parameters are differentiated, "
                  "used other than by calling its methods",
                  "Call the distribution's method with the parameters (stats.norm.logpdf(x, "
                  "mu, s) for d = stats.norm(mu, s); d.logpdf(x)), or use the frozen object "
                  "only as d.logpdf(x), d.cdf(x), ..., in the function that freezes it.")


def _refuse_frozen():
    from scipy.stats._multivariate import multi_rv_generic
    for dist in vars(stats).values():
        if isinstance(dist, (stats.rv_continuous, stats.rv_discrete, multi_rv_generic)):
            defvjp(dist, *(_FROZEN,) * _ENOUGH)
            defjvp(dist, *(_FROZEN,) * _ENOUGH)


_refuse_the_rest()
_refuse_frozen()
nondifferentiable(stats.rankdata)     # ranks: piecewise constant
