"""Rules for the `scipy.stats` distributions (loaded once the program has imported scipy.stats).

Stage: the rule table (registry).  Input: the distribution objects of scipy.stats.  Output: a
record for each bound method listed below (`norm.logpdf` is one callable, the same however
the program spells it): VJP and JVP rules of each argument, broadcasting, and its facts.

Each derivative is written once, as an expression in the cotangent or tangent `seed` that
`_rules` turns into the VJP rule (seed `g`) and the JVP rule (seed `t`).  The expressions
call NumPy, `scipy.special` and the distributions' own methods, all of which have rules, so
the generated derivative can be differentiated again (Hessians).

Continuous distributions are location-scale families: with z = (x - loc) / scale, the
standardised log density logf(z; shapes) is all a distribution states, through
    score(z, *shapes)       d logf / dz
    dlogf[i](z, *shapes)    d logf / d shape_i   (None: not elementary)
    dcdf[i](z, *shapes)     d F / d shape_i, F the standardised cdf   (None: not elementary)
from which the table _CONTINUOUS gives every method's derivative in x, loc, scale and the
shapes.  A shape derivative that needs a special function without a rule here (the
incomplete gamma or beta function's derivative in its parameter) is refused at the user's
line (registry.Refused), never returned as a zero.

Differentiable arguments:
    norm expon laplace logistic cauchy uniform gumbel_r gumbel_l
        pdf logpdf cdf logcdf sf logsf ppf isf   x (q), loc, scale
    t (df), gamma (a), beta (a, b), chi2 (df), gennorm (beta)
        pdf logpdf                               x, shapes, loc, scale
        cdf logcdf sf logsf ppf isf              x (q), loc, scale; shapes refused
    pareto (b)         every method above        x (q), b, loc, scale
    each of the above (not vonmises, wrapcauchy, truncnorm; cauchy: median, entropy)
        mean median std var entropy              loc, scale; shapes refused
    vonmises (kappa), wrapcauchy (c)
                       pdf logpdf                x, the shape, loc, scale
    truncnorm (a, b)   every method above        x (q), a, b, loc, scale
    poisson (mu), geom (p), bernoulli (p), binom (n, p), nbinom (n, p), betabinom (n, a, b)
        logpmf pmf cdf sf                        mu or p, and nbinom's n and betabinom's a
                                                 and b in logpmf and pmf; k, loc and the n
                                                 of binom and betabinom are integers (zero)
    dirichlet          logpdf pdf                x, alpha
    multivariate_normal  logpdf pdf              x, mean, cov (cov reads its lower triangle,
                                                 as SciPy does); allow_singular uses pinv
                       entropy                   cov
    any other method of a scipy.stats distribution (lognorm.logpdf, norm.rvs, ...): runs
    where its arguments are constants, refused where one is differentiated
"""
import numpy as np
from scipy import special, stats

from s2s_ad.rules.registry import Refused
from s2s_ad.rules.scipy_stats_forms import _rules, _shape_derivatives


# ---- continuous distributions: location-scale families ----

# {method: (first parameter, its derivative, loc's, scale's, a shape's)}, in `seed` and
# z, the standardised point, with `{score}` score(z, *shapes), `{d}` the shape's function
# (d logf/d shape for pdf and logpdf, else dF/d shape) at z, and `{pdf}`, `{logpdf}` the
# distribution's own at x (at the result, for ppf and isf).  pdf is exp(logpdf): its derivatives
# are logpdf's times the density `ans`; logcdf's are cdf's over the cdf, exp(logpdf - ans)
# in x; the sf is 1 - cdf; ppf inverts the cdf: dx/dq = 1 / pdf(x), dx/dshape =
# -dF/dshape / pdf(x), dx/dloc = 1, dx/dscale = z.
_CONTINUOUS = {
    "logpdf": ("x", "seed * {score} / scale", "-seed * {score} / scale",
               "-seed * (z * {score} + 1.0) / scale", "seed * {d}"),
    "pdf": ("x", "seed * ans * {score} / scale", "-seed * ans * {score} / scale",
            "-seed * ans * (z * {score} + 1.0) / scale", "seed * ans * {d}"),
    "cdf": ("x", "seed * {pdf}", "-seed * {pdf}", "-seed * z * {pdf}", "seed * {d}"),
    "sf": ("x", "-seed * {pdf}", "seed * {pdf}", "seed * z * {pdf}", "-seed * {d}"),
    "logcdf": ("x", "seed * np.exp({logpdf} - ans)", "-seed * np.exp({logpdf} - ans)",
               "-seed * z * np.exp({logpdf} - ans)", "seed * {d} * np.exp(-ans)"),
    "logsf": ("x", "-seed * np.exp({logpdf} - ans)", "seed * np.exp({logpdf} - ans)",
              "seed * z * np.exp({logpdf} - ans)", "-seed * {d} * np.exp(-ans)"),
    "ppf": ("q", "seed * np.exp(-{logpdf})", "seed", "seed * z",
            "-seed * {d} * np.exp(-{logpdf})"),
    # isf(q) = ppf(1 - q): dx/dq = -1 / pdf(x), the others as ppf's
    "isf": ("q", "-seed * np.exp(-{logpdf})", "seed", "seed * z",
            "-seed * {d} * np.exp(-{logpdf})"),
}


def _continuous(dist, shapes, score, dlogf, dcdf, methods):
    """Register `methods` of the location-scale distribution `dist` from its standardised
    score and its d logf/d shape and dF/d shape functions (one per shape; None: refused)."""
    s = "".join(f", {name}" for name in shapes)
    for method in methods:
        first, dx, dloc, dscale, dshape = _CONTINUOUS[method]
        point = "ans" if method in ("ppf", "isf") else first
        words = {"score": f"score(z{s})", "pdf": f"stats.{dist.name}.pdf({point}{s}, loc, scale)",
                 "logpdf": f"stats.{dist.name}.logpdf({point}{s}, loc, scale)"}
        cells = {"score": score}
        functions = dlogf if method in ("logpdf", "pdf") else dcdf
        derivatives = [dx.format(**words)]
        derivatives += _shape_derivatives(dist, method, shapes, functions,
                                          dshape.format(d="{d}", **words), "z", cells)
        derivatives += [dloc.format(**words), dscale.format(**words)]
        z = f"z = ({point} - loc) / scale"
        derivatives = [d if d is None or isinstance(d, Refused) else [z, d]
                       for d in derivatives]
        _rules(getattr(dist, method), [first, *shapes, "loc=0.0", "scale=1.0"], derivatives,
               cells)


# The standardised score d logf/dz of each family, and its shape derivatives (see above).
def norm_score(z):
    return -z


def expon_score(z):
    return 0.0 * z - 1.0


def laplace_score(z):
    return -np.sign(z)


def logistic_score(z):
    return -np.tanh(0.5 * z)


def cauchy_score(z):
    return -2.0 * z / (1.0 + z * z)


def uniform_score(z):
    return 0.0 * z


def vonmises_score(z, kappa):
    return -kappa * np.sin(z)


def t_score(z, df):
    return -(df + 1.0) * z / (df + z * z)


def t_dlogf_df(z, df):
    z2 = z * z
    return 0.5 * (special.digamma(0.5 * df + 0.5) - special.digamma(0.5 * df) - 1.0 / df
                  - np.log1p(z2 / df) + (df + 1.0) * z2 / (df * (df + z2)))


def gamma_score(z, a):
    return (a - 1.0) / z - 1.0


def gamma_dlogf_a(z, a):
    return np.log(z) - special.digamma(a)


def beta_score(z, a, b):
    return (a - 1.0) / z - (b - 1.0) / (1.0 - z)


def beta_dlogf_a(z, a, b):
    return np.log(z) - special.digamma(a) + special.digamma(a + b)


def beta_dlogf_b(z, a, b):
    return np.log1p(-z) - special.digamma(b) + special.digamma(a + b)


def chi2_score(z, df):
    return (0.5 * df - 1.0) / z - 0.5


def chi2_dlogf_df(z, df):
    return 0.5 * (np.log(z) - 0.6931471805599453 - special.digamma(0.5 * df))


def gumbel_r_score(z):
    return np.exp(-z) - 1.0


def gumbel_l_score(z):
    return 1.0 - np.exp(z)


# pareto: f(z) = b z^-(b+1) on z >= 1, F(z) = 1 - z^-b
def pareto_score(z, b):
    return -(b + 1.0) / z


def pareto_dlogf_b(z, b):
    return 1.0 / b - np.log(z)


def pareto_dcdf_b(z, b):
    return np.exp(-b * np.log(z)) * np.log(z)


# wrapcauchy: f(z) = (1 - c^2) / (2 pi (1 + c^2 - 2 c cos z)) on [0, 2 pi]
def wrapcauchy_score(z, c):
    return -2.0 * c * np.sin(z) / (1.0 + c * c - 2.0 * c * np.cos(z))


def wrapcauchy_dlogf_c(z, c):
    return -2.0 * c / (1.0 - c * c) - 2.0 * (c - np.cos(z)) / (1.0 + c * c - 2.0 * c * np.cos(z))


# gennorm: f(z) = beta / (2 gamma(1/beta)) exp(-|z|^beta); |z|^beta log|z| is 0 at z = 0
def gennorm_score(z, beta):
    return -beta * np.abs(z) ** (beta - 1.0) * np.sign(z)


def gennorm_dlogf_beta(z, beta):
    size = np.abs(z)
    return (1.0 / beta + special.digamma(1.0 / beta) / (beta * beta)
            - size ** beta * np.log(np.where(size > 0.0, size, 1.0)))


# vonmises: f(z) = exp(kappa cos z) / (2 pi I0(kappa)), I0'/I0 = I1/I0 = i1e/i0e
def vonmises_dlogf_kappa(z, kappa):
    return np.cos(z) - special.i1e(kappa) / special.i0e(kappa)


def truncnorm_score(z, a, b):
    return -z


# truncnorm: the standard normal on [a, b], divided by its mass Phi(b) - Phi(a).
def truncnorm_mass(a, b):
    return special.ndtr(b) - special.ndtr(a)


def truncnorm_dlogf_a(z, a, b):
    return 0.3989422804014327 * np.exp(-0.5 * a * a) / truncnorm_mass(a, b)


def truncnorm_dlogf_b(z, a, b):
    return -0.3989422804014327 * np.exp(-0.5 * b * b) / truncnorm_mass(a, b)


def truncnorm_dcdf_a(z, a, b):
    return (stats.truncnorm.cdf(z, a, b) - 1.0) * truncnorm_dlogf_a(z, a, b)


def truncnorm_dcdf_b(z, a, b):
    return stats.truncnorm.cdf(z, a, b) * truncnorm_dlogf_b(z, a, b)


# The moments and entropy of a location-scale family: mean and median are loc + scale * m(shapes),
# std scale * s(shapes), var its square, entropy h(shapes) + log(scale); so in loc and scale
# their derivatives follow from the result itself.  In a shape they are refused.
_MOMENTS = {"mean": ("seed", "seed * (ans - loc) / scale"),
            "median": ("seed", "seed * (ans - loc) / scale"),
            "std": (None, "seed * ans / scale"),
            "var": (None, "2.0 * seed * ans / scale"),
            "entropy": (None, "seed / scale")}


def _moments(dist, shapes, methods=tuple(_MOMENTS)):
    for method in methods:
        dloc, dscale = _MOMENTS[method]
        refused = [Refused(f"the derivative of {dist.name}.{method} in {name}",
                           f"Pass {name} as a constant (or wrap it in ad.stop_gradient).")
                   for name in shapes]
        _rules(getattr(dist, method), [*shapes, "loc=0.0", "scale=1.0"],
               [*refused, dloc, dscale], {})


_EVERY = ("pdf", "logpdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf")
for _dist, _score in ((stats.norm, norm_score), (stats.expon, expon_score),
                      (stats.laplace, laplace_score), (stats.logistic, logistic_score),
                      (stats.cauchy, cauchy_score), (stats.uniform, uniform_score),
                      (stats.gumbel_r, gumbel_r_score), (stats.gumbel_l, gumbel_l_score)):
    _continuous(_dist, (), _score, (), (), _EVERY)
_continuous(stats.t, ("df",), t_score, (t_dlogf_df,), (None,), _EVERY)
_continuous(stats.gamma, ("a",), gamma_score, (gamma_dlogf_a,), (None,), _EVERY)
_continuous(stats.beta, ("a", "b"), beta_score, (beta_dlogf_a, beta_dlogf_b),
            (None, None), _EVERY)
_continuous(stats.chi2, ("df",), chi2_score, (chi2_dlogf_df,), (None,), _EVERY)
_continuous(stats.vonmises, ("kappa",), vonmises_score, (vonmises_dlogf_kappa,), (None,),
            ("pdf", "logpdf"))
_continuous(stats.pareto, ("b",), pareto_score, (pareto_dlogf_b,), (pareto_dcdf_b,), _EVERY)
_continuous(stats.wrapcauchy, ("c",), wrapcauchy_score, (wrapcauchy_dlogf_c,), (None,),
            ("pdf", "logpdf"))
_continuous(stats.gennorm, ("beta",), gennorm_score, (gennorm_dlogf_beta,), (None,), _EVERY)
_moments(stats.cauchy, (), ("median", "entropy"))     # its mean and variance do not exist
for _dist, _shapes in ((stats.norm, ()), (stats.expon, ()), (stats.laplace, ()),
                       (stats.logistic, ()), (stats.uniform, ()),
                       (stats.gumbel_r, ()), (stats.gumbel_l, ()), (stats.t, ("df",)),
                       (stats.gamma, ("a",)), (stats.beta, ("a", "b")), (stats.chi2, ("df",)),
                       (stats.pareto, ("b",)), (stats.gennorm, ("beta",))):
    _moments(_dist, _shapes)
_continuous(stats.truncnorm, ("a", "b"), truncnorm_score, (truncnorm_dlogf_a, truncnorm_dlogf_b),
            (truncnorm_dcdf_a, truncnorm_dcdf_b), _EVERY)


# The discrete and multivariate distributions, and the refusals of every other method (last:
# they skip the methods given rules above), are in their own module.
from s2s_ad.rules import scipy_stats_discrete_rules  # noqa: E402,F401
