"""Functions the compiler must refuse, each with a clear DifferentiationError (test_errors.py)."""
import contextlib
import math

import numpy as np
from scipy import special


import scipy.stats

COUNTER = 0


def uses_try(x):
    try:
        for k in range(2):       # a `try` body must be straight-line
            x = x * 2.0
    except ValueError:
        x = 0.0
    return x


def uses_with(x):
    with contextlib.suppress(ValueError):      # a `try` too
        for k in range(2):
            x = x * 2.0
    return x


def generator(x):
    yield x * 2.0


async def coroutine(x):
    return x * 2.0


def writes_global(x):
    global COUNTER
    COUNTER = COUNTER + 1
    return x * 2.0


def writes_nonlocal(x):
    total = 0.0

    def add(v):
        nonlocal total
        total = total + v
    add(x)
    return total


def defines_class(x):
    class Box:
        value = 1.0
    return x * Box.value


def star_args(x, *rest):
    return x * 2.0


def star_call(x, values):
    return math.hypot(*values) * x


def c_function_without_rule(x):
    return np.nextafter(x, 3.0) * 2.0


def vector_output(x):
    return x * 2.0


def integer_output(x):
    return int(x > 0)


def apply(f, v):
    return f(v)


def passes_lambda(x):
    return apply(lambda v: v * v, x)


def passes_lambda_to_numpy(x):
    return np.sum(np.apply_along_axis(lambda v: v * v, 0, x))


def deletes(x):
    y = [x * 2.0, x]
    z = y                    # z would see the item go
    del y[0]
    return z[0]


def imports_inside(x):
    import math as m
    return m.sin(x)


def shared_update(x):
    y = x
    x += 1.0
    return np.sum(x * y)


def fills_in_place(x):
    a = x * 1.0
    a.fill(2.0)
    return np.sum(a * x)


def sorts_in_place(x):
    a = x * 1.0
    a.sort()
    return np.sum(a * x)


def copies_into(x):
    a = np.zeros(3)
    np.copyto(a, x)
    return np.sum(a * x)


def fills_diagonal(x):
    a = np.outer(x, x)
    np.fill_diagonal(a, 0.0)
    return np.sum(a)


def writes_out(x):
    a = np.zeros(3)
    np.add(x, 1.0, out=a)
    return np.sum(a * x)


def writes_through_alias(x):
    a = x * 1.0
    b = a
    b[0] = 5.0
    return np.sum(a * x)


def scatter_subtracts(x):
    a = x * 1.0
    np.subtract.at(a, [0, 0], x[1:3])
    return np.sum(a * x)


def scales_a_slice(x):
    a = x * 1.0
    a[1:3] *= x[0]
    return np.sum(a * a)


def writes_into_list_item(x):
    a = x * 1.0
    lst = [a, x]
    lst[0][0] = 2.0
    return np.sum(a * x)


def quantile_weights_by_keyword(x, w):
    return np.quantile(x, 0.5, method="inverted_cdf", weights=w)


B22 = np.array([[0.5, -1.0], [2.0, 1.0]])


ROWS_COLUMNS = [0, 1]     # an index list of np.einsum's interleaved form, held in a name


def einsum_interleaved(a):
    return np.sum(np.einsum(a, ROWS_COLUMNS, [1, 0]) * B22)


def einsum_interleaved_pair(a):
    return np.sum(np.einsum(a, ROWS_COLUMNS, B22, [1, 2], [0, 2]) ** 2)


def einsum_ninth_operand(a):
    return np.sum(np.einsum("ab,bc,cd,de,ef,fg,gh,hi,ij->aj", B22, B22, B22, B22, B22, B22, B22,
                            B22, a))


def einsum_interleaved_second(b):
    return np.sum(np.einsum(B22, ROWS_COLUMNS, b, [1, 2], [0, 2]) ** 2)


def r_of_items(a, b):
    return np.sum(np.r_[a, b] ** 2)


def c_of_items(a, b):
    return np.sum(np.c_[a, b] ** 2)


def r_of_indices(a):
    return np.sum(a[np.r_[0:2, 3]] ** 2)
def bump(y, v):
    y += v


def bumps_a_copy(y0, v):
    y = y0 * 1.0
    bump(y, v)
    return np.sum(y * y)


# scipy.special: orders and parameters without an elementary derivative are refused, not zero
def bessel_in_its_order(v, x):
    return np.sum(special.jv(v, x) * x)


def incomplete_gamma_in_its_shape(a, x):
    return np.sum(special.gammainc(a, x))


def incomplete_beta_in_b(b, x):
    return np.sum(special.betainc(2.0, b, x))


def zeta_in_its_exponent(s, q):
    return np.sum(special.zeta(s, q) + special.polygamma(1, q))


def polygamma_in_its_order(n, x):
    return np.sum(special.polygamma(n, x))


def svd_full_factors(a):
    u, s, vh = np.linalg.svd(a)
    return np.sum(u[:, 0] ** 2 * s[0]) + np.sum(vh)


def qr_complete_of_tall(a):
    q, r = np.linalg.qr(a.T, mode="complete")
    return np.sum(r ** 2) + np.sum(q)


def eig_of_repeated_eigenvalues(a):
    w, v = np.linalg.eig(a)
    return np.real(np.sum(w ** 2) + np.sum(v))


def lstsq_of_a_rank_deficient_matrix(a):
    return np.sum(np.linalg.lstsq(a, np.ones(3))[0])


def piecewise_of_a_list_in_a_name(a):
    pieces = [np.sin, np.cos]
    return np.sum(np.piecewise(a, [a < 0, a >= 0], pieces))


def multi_dot_of_a_list_in_a_name(a):
    factors = [a, a.T, a]
    return np.sum(np.linalg.multi_dot(factors))


def atleast_of_two_arrays(a, b):
    x, y = np.atleast_1d(b, a)
    return np.sum(x) + np.sum(y ** 2)


def interp_with_a_period(x):
    return np.sum(np.interp(x, np.array([0.0, 1.0, 2.0]), np.array([1.0, 3.0, 2.0]), period=2.0))


def histogram_density_through_a(a):
    counts, edges = np.histogram(a, bins=3, density=True)
    return np.sum(counts * edges[1:])


def t_cdf_in_df(df, x):
    return np.sum(scipy.stats.t.cdf(x, df))


def gaussian_with_a_singular_covariance(c, x):
    return np.sum(scipy.stats.multivariate_normal.logpdf(x, cov=c, allow_singular=True))


def lognorm_without_rules(s, x):
    return np.sum(scipy.stats.lognorm.logpdf(x, s))


def noise_from_rvs(s, x):
    return np.sum(scipy.stats.norm.logpdf(x, scale=s)) + np.sum(scipy.stats.norm.rvs(size=2,
                                                                                  random_state=0))


# ---- ODE solvers (scipy.integrate): refused at the user's call, never inside SciPy ----

try:
    from scipy.integrate import odeint, solve_ivp
except ImportError:  # pragma: no cover
    odeint = solve_ivp = None

TIMES = np.linspace(0.0, 1.0, 5)


def decay(y, t, k):
    return -k * y


def decay_first_t(t, y, k):
    return -k * y


def odeint_of_rate(k):
    ys = odeint(decay, np.array([1.0, 2.0]), TIMES, args=(k,))
    return np.sum(ys[-1])


def odeint_of_start(y0):
    ys = odeint(decay, y0, TIMES, (0.5,))
    return np.sum(ys[-1])


def solve_ivp_of_rate(k):
    solution = solve_ivp(decay_first_t, (0.0, 1.0), np.array([1.0, 2.0]), args=(k,))
    return np.sum(solution.y[:, -1])


def odeint_of_closure(k):
    def rate(y, t):
        return -k * y
    ys = odeint(rate, np.array([1.0, 2.0]), TIMES)
    return np.sum(ys[-1])


def twice(fn, y):
    return fn(y) * 2.0


def passes_local_function(k):
    def scaled(y):
        return k * y
    return twice(scaled, 3.0)
