"""Functions the compiler must refuse, each with a clear DifferentiationError (test_errors.py)."""
import math

import numpy as np

COUNTER = 0


def uses_try(x):
    try:
        y = x * 2.0
    except ValueError:
        y = x
    return y


def uses_with(x):
    with open("/dev/null") as handle:
        handle.read()
    return x * 2.0


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
    return np.frexp(x)[0] * 2.0


def vector_output(x):
    return x * 2.0


def integer_output(x):
    return int(x > 0)


def apply(f, v):
    return f(v)


def passes_lambda(x):
    return apply(lambda v: v * v, x)


def deletes(x):
    y = [x * 2.0, x]
    del y[0]
    return y[0]


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
