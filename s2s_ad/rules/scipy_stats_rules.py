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
incomplete gamma or beta function's derivative in its parameter, or I0'/I0 to second order)
is refused at the user's line (registry.Refused), never returned as a zero.

Differentiable arguments:
    norm expon laplace logistic cauchy uniform
        pdf logpdf cdf logcdf sf logsf ppf       x (q), loc, scale
    t (df), gamma (a), beta (a, b), chi2 (df)
        pdf logpdf                               x, shapes, loc, scale
        cdf logcdf sf logsf ppf                  x (q), loc, scale; shapes refused
    vonmises (kappa)   pdf logpdf                x, loc, scale; kappa refused
    truncnorm (a, b)   every method above        x (q), a, b, loc, scale
    poisson (mu), geom (p), binom (n, p), nbinom (n, p)
        logpmf pmf cdf sf                        mu or p, and nbinom's n in logpmf and pmf;
                                                 k, loc and binom's n are integers (zero)
    dirichlet          logpdf pdf                x, alpha
    multivariate_normal  logpdf pdf              x, mean, cov (cov reads its lower triangle,
                                                 as SciPy does); allow_singular uses pinv
                       entropy                   cov
    any other method of a scipy.stats distribution (lognorm.logpdf, norm.rvs, ...): runs
    where its arguments are constants, refused where one is differentiated
"""
import linecache
import re
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from s2s_ad import runtime as _ad
from s2s_ad.rules.registry import Refused, deffacts, defjvp, defvjp


# ---- one derivative expression -> the VJP and the JVP rule ----

def _rule(name, seed, params, body, cells):
    """The rule `def name(seed, ans, *params): *body` (lines, the last a return), reading the
    objects `cells` (name -> object) as free names.  Its text goes into linecache, so the
    compiler reads and inlines it like a rule written in a file."""
    names = sorted(cells)
    text = (f"def _outer({', '.join(names)}):\n"
            f"    def {name}({seed}, ans, {', '.join(params)}):\n" +
            "".join(f"        {line}\n" for line in body) +
            f"    return {name}\n")
    filename = f"<s2s_ad rule {name}>"
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    scope = {"np": np, "special": special, "stats": stats, "_ad": _ad}
    exec(compile(text, filename, "exec"), scope)
    return scope["_outer"](*(cells[n] for n in names))


@dataclass
class Contracted:
    """A partial derivative as body lines (the last an expression) in `seed` of each mode:
    `vjp` gives the cotangent of the argument from the cotangent of the result, `jvp` the
    tangent of the result from the argument's tangent.  The lines before the last may compute
    the partial derivative once for both (`d = ...`)."""
    vjp: object
    jvp: object

    def times_density(self):
        """The derivative of exp(f), the density `ans`, from this one of f = log density."""
        vjp = [re.sub(r"\bseed\b", "(seed * ans)", line) for line in _lines(self.vjp)]
        jvp = _lines(self.jvp)
        return Contracted(vjp, jvp[:-1] + [f"ans * ({jvp[-1]})"])


def _lines(body):
    return [body] if isinstance(body, str) else list(body)


def _rules(fn, params, derivatives, cells, broadcasts=True):
    """Register both modes' rules of `fn` (a bound method taking `params`, as written with
    their defaults) from one derivative per argument: rule body lines in the cotangent or
    tangent `seed` (a string: one expression), None (zero) or a Refused.  The VJP rule is the
    body with `seed` named g, the JVP rule the same body with it named t.  A function whose
    result does not broadcast with its arguments contracts a partial derivative differently
    in the two modes: its entry is then a Contracted."""
    label = f"{type(fn.__self__).__name__.removesuffix('_gen')}_{fn.__name__}"
    vjps, jvps = [], []
    for i, body in enumerate(derivatives):
        if body is None or isinstance(body, Refused):
            vjps.append(body)
            jvps.append(body)
            continue
        if not isinstance(body, Contracted):
            body = Contracted(body, body)
        for seed, mode, rules, lines in (("g", "vjp", vjps, body.vjp), ("t", "jvp", jvps, body.jvp)):
            lines = _lines(lines)
            lines[-1] = "return " + lines[-1]
            text = [re.sub(r"\bseed\b", seed, line) for line in lines]
            rules.append(_rule(f"{label}_{mode}{i}", seed, params, text, cells))
    defvjp(fn, *vjps, broadcasts=broadcasts)
    defjvp(fn, *jvps, broadcasts=broadcasts)
    deffacts(fn, kind="num", pure=True)


# ---- continuous distributions: location-scale families ----

# {method: (first parameter, its derivative, loc's, scale's, a shape's)}, in `seed` and
# z, the standardised point, with `{score}` score(z, *shapes), `{d}` the shape's function
# (d logf/d shape for pdf and logpdf, else dF/d shape) at z, and `{pdf}`, `{logpdf}` the
# distribution's own at x (at the result, for ppf).  pdf is exp(logpdf): its derivatives
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
}


def _continuous(dist, shapes, score, dlogf, dcdf, methods):
    """Register `methods` of the location-scale distribution `dist` from its standardised
    score and its d logf/d shape and dF/d shape functions (one per shape; None: refused)."""
    s = "".join(f", {name}" for name in shapes)
    for method in methods:
        first, dx, dloc, dscale, dshape = _CONTINUOUS[method]
        point = "ans" if method == "ppf" else first
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


def _shape_derivatives(dist, method, shapes, functions, template, point, cells):
    """The derivative of each shape of `dist.method`: `template` with `{d}` its function in
    `functions` at `point` (the function made the free name `d_<shape>` in `cells`), or a
    Refused where that is None."""
    s = "".join(f", {name}" for name in shapes)
    out = []
    for name, function in zip(shapes, functions):
        if function is None:
            out.append(Refused(
                f"the derivative of {dist.name}.{method} in {name} has no closed form",
                f"Pass {name} as a constant (or wrap it in ad.stop_gradient)."))
            continue
        cells[f"d_{name}"] = function
        out.append(template.format(d=f"d_{name}({point}{s})"))
    return out


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


_EVERY = ("pdf", "logpdf", "cdf", "logcdf", "sf", "logsf", "ppf")
for _dist, _score in ((stats.norm, norm_score), (stats.expon, expon_score),
                      (stats.laplace, laplace_score), (stats.logistic, logistic_score),
                      (stats.cauchy, cauchy_score), (stats.uniform, uniform_score)):
    _continuous(_dist, (), _score, (), (), _EVERY)
_continuous(stats.t, ("df",), t_score, (t_dlogf_df,), (None,), _EVERY)
_continuous(stats.gamma, ("a",), gamma_score, (gamma_dlogf_a,), (None,), _EVERY)
_continuous(stats.beta, ("a", "b"), beta_score, (beta_dlogf_a, beta_dlogf_b),
            (None, None), _EVERY)
_continuous(stats.chi2, ("df",), chi2_score, (chi2_dlogf_df,), (None,), _EVERY)
# d log I0(kappa) / d kappa is I1/I0, whose own derivative needs rules of i0e and i1e
_continuous(stats.vonmises, ("kappa",), vonmises_score, (None,), (None,), ("pdf", "logpdf"))
_continuous(stats.truncnorm, ("a", "b"), truncnorm_score, (truncnorm_dlogf_a, truncnorm_dlogf_b),
            (truncnorm_dcdf_a, truncnorm_dcdf_b), _EVERY)


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


_discrete(stats.poisson, ("mu",), (poisson_dlogp_mu,), (poisson_dcdf_mu,))
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


_refuse_the_rest()
