"""The corpus of functions the transforms are tested on, each with its input domain.

Every function here is checked by test_ssa.py (the SSA form returns what the original returns)
and by test_derivatives.py (reverse and forward mode against central finite differences, and
against each other).  A Case says which arguments are differentiated and how to draw inputs
from the function's domain.
"""
import functools
import io
import math
from dataclasses import dataclass, field

import numpy as np
from numpy import sin


@dataclass
class Case:
    fn: object
    make_args: object          # rng -> tuple of arguments
    wrt: tuple = (0,)          # indices of the differentiated arguments
    tol: float = 1e-6
    tags: tuple = field(default_factory=tuple)
    label: str = None          # where fn.__name__ is not unique (the samples' `f`, `loss`)

    @property
    def name(self):
        return self.label or self.fn.__name__


def scal(lo=-2.0, hi=2.0):
    return lambda rng: float(rng.uniform(lo, hi))


def vec(n, lo=-2.0, hi=2.0):
    return lambda rng: rng.uniform(lo, hi, size=n)


def mat(m, n, lo=-1.0, hi=1.0):
    return lambda rng: rng.uniform(lo, hi, size=(m, n))


def spd(n):
    """A well-conditioned symmetric positive definite matrix."""
    def make(rng):
        m = rng.uniform(-1.0, 1.0, size=(n, n))
        return m @ m.T + n * np.eye(n)
    return make


def args(*makers):
    return lambda rng: tuple(m(rng) if callable(m) else m for m in makers)


# ---- straight-line arithmetic -------------------------------------------------------------

def arith(x, y):
    a = x + y * 2.0 - x / (y * y + 1.0)
    b = -a ** 2 + x * 3 // 1 + (a % 1.5)
    return a * b - 1.0 / (1.0 + x * x)


def powers(x, y):
    return x ** 3 + y ** 0.5 + x ** y + 2.0 ** x


def math_basics(x, y):
    s = math.sin(x) * math.cos(y) + math.exp(-x * x) + math.log(y) + math.sqrt(y)
    return s + math.tanh(x) - math.atan2(x, y) + math.pi * x


def tuples(x, y):
    a, b = x * y, x - y
    pair = (a, b)
    c, d = pair
    return c * d + pair[0]


def compare_mixed(x, y):
    bigger = x > y
    flag = 1.0 if bigger else 2.0
    return flag * x * y


# ---- NumPy: the first set, broadcasting, Python numbers mixed with arrays ----------------------

def mlp_like(x, w):
    h = np.tanh(w @ x)
    return np.sum(h * h)


def numpy_first_set(x, W):
    a = np.exp(x) + np.log(np.abs(x) + 1.0) + np.sin(x) * np.cos(x)
    b = np.sqrt(x * x + 1.0) + np.maximum(x, 0.0) + np.where(x > 0, x, 2.0 * x)
    c = np.dot(W, a) + np.matmul(W, b)
    d = W.T @ c
    e = np.reshape(W, (-1,)).sum() + np.mean(W, axis=0).sum() + np.sum(W, axis=1) @ c
    return np.sum(d) + e + np.transpose(W).sum()


def broadcasting(x, b, s):
    y = x * b + s                 # (3, 4) * (4,) + scalar
    z = y / (1.0 + b * b) - s * x
    col = np.sum(x, axis=1, keepdims=True)
    return np.sum(z * col) + np.mean(y)


def from_numpy_import(x):
    return np.sum(sin(x) * 2.0)


# ---- control flow -----------------------------------------------------------------------

def piecewise(x):
    if x > 1.0:
        y = x * x
    elif x > -1.0:
        y = 2.0 * x - 1.0
    else:
        y = -x ** 3
    return y * 3.0


def three_returns(x, y):
    if x > 0.5:
        return x * y
    if y > 0.0:
        z = x + y
        return z * z
    return x - y * y


def conditional_expr(x, y):
    z = x * y if x > 0 and y > 0 else x + y
    w = z if not (z > 1 or z < -1) else z * 0.5
    return w * x


def chained_compare(x):
    if -1.0 < x < 1.0:
        return x * x
    return 2.0 * x


def horner(x, c, n):
    y = 0.0
    for i in range(n):
        y = y * x + c
    return y


def loop_carried_updates(x, y):
    # found by fuzzing: `y *= ...` reads and writes y in one statement after SSA, whose reverse
    # sweep needs the old y; `h = np.tanh(...)` may assign the loop-carried h in place
    h = x
    for i in range(3):
        for j in range(2):
            y *= 1.0 + 0.5 * np.tanh(h)
            h = np.tanh(h * 0.9 + y)
    return h * y


def range_args(x, n):
    total = 0.0
    for i in range(2, n, 3):
        total = total + x ** i
    for k in range(n - 1, 0, -2):
        total = total * 0.5 + x * k
    return total


def newton_sqrt(a):
    x = a
    while abs(x * x - a) > 1e-12 * a:
        x = 0.5 * (x + a / x)
    return x


def capped_newton(a):
    x = 1.0
    k = 0
    while abs(x * x - a) > 1e-10 and k < 50:
        x = x - (x * x - a) / (2.0 * x)
        k += 1
    return x


def euler_ode(y0, k):
    y = y0
    dt = 0.01
    for _ in range(500):
        y = y + dt * (-k * y + math.sin(y))
    return y


def breaks_early(x, n):
    s = 0.0
    for i in range(n):
        s = s + x * (i + 1)
        if s > 3.0:
            break
    return s * x


def continue_and_else(x, n):
    s = 1.0
    for i in range(n):
        if i % 2 == 0:
            continue
        s = s * x + i
    else:
        s = s + 0.5
    return s


def nested_loops_matmul(A, B):
    n = A.shape[0]
    total = 0.0
    for i in range(n):
        for j in range(n):
            acc = 0.0
            for k in range(n):
                acc = acc + A[i, k] * B[k, j]
            total = total + acc * acc
    return total


def loop_over_rows(X, w):
    total = 0.0
    for row in X:
        total = total + np.tanh(row @ w)
    for i, row in enumerate(X):
        total = total + i * np.sum(row * w)
    for a, b in zip(X, reversed(X)):
        total = total + np.sum(a * b)
    return total


def loop_over_list(x):
    total = 0.0
    for c in [1.0, 2.0, 3.0]:
        total = total * x + c
    return total


def branch_in_loop(x, n):
    y = x
    for i in range(n):
        if y > 1.0:
            y = y * 0.5
        else:
            y = y * y + 0.75
    return y


def rnn(W, U, xs):
    h = np.zeros(W.shape[0])
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t])
    return np.sum(h * h)


def loop_array_carried(x, n):
    v = x
    for i in range(n):
        v = np.sin(v) + 0.1 * v
    return np.sum(v)


def while_array(x):
    v = x
    k = 0
    while k < 4:
        v = v * 0.9 + np.cos(v)
        k += 1
    return np.sum(v * v)


def early_return_in_loop(x, n):
    s = x
    for i in range(n):
        s = s * 1.5
        if s > 10.0:
            return s * x
    return s - x


# ---- writes into arrays ------------------------------------------------------------------

def fill(x, n):
    out = np.zeros(n)
    for i in range(n):
        out[i] = x[i] * x[i] + i
    return np.sum(out * x[:n])

def overwrite(x):
    a = x.copy()
    s = np.sum(a * a)
    a[1:3] = 2.0 * a[0]
    a[0] += s
    return np.sum(a * x)

def reread_after_write(x):
    # a[0] read, written, read again: the second read is not the first one's value
    a = x.copy()
    b = a[0] * 2.0 + a[1:].sum()
    a[0] = a[1] * 3.0
    return b + a[0] * 2.0 + a[1:].sum() + np.sum(a * a)


def repeated_indices(x):
    # a position named twice by an integer index takes the last value written (NumPy's order)
    a = np.zeros(3)
    a[np.array([0, 0, 2])] = x[:3]
    b = x * 1.0
    b[np.array([0, 0, 1])] += x[1:4]
    return np.sum(a * a) + np.sum(b * b)


def broadcast_assignment(x):
    # x (4,) is broadcast into the rows of a: its cotangent sums theirs
    a = np.zeros((2, 4))
    a[:, :] = x
    a[1] = x * 2.0
    return np.sum(a * a)


def _doubles_first(a):
    a[0] = a[0] * 2.0
    return a


def returns_its_written_argument(x):
    # the callee returns the array it wrote into: z and y are one array
    y = x * 1.0
    z = _doubles_first(y)
    return np.sum(z * 3.0) + np.sum(y * y * x)


def dict_new_key(x):
    # a key the dict does not have yet: the reverse sweep deletes it again
    d = {"a": x[0] * 2.0, "b": x[1:]}
    d["c"] = d["a"] * np.sum(d["b"])
    return d["c"] + d["a"]


def _weighted_keys(d):
    # a dict parameter of a called function: `for k in d` visits its keys
    total = 0.0
    for k in d:
        total = total + d[k] * d[k]
    return total


def dict_loops(x):
    # a loop over a dict walks its keys (items, values, keys); integer keys that are not
    # positions (2, 0) are keys, not indexes
    d = {"a": x[0] * 2.0, "b": x[1] * x[2]}
    w = x[3]
    s = _weighted_keys(d)
    for k, v in d.items():
        s = s + v * w if k == "a" else s + np.sin(v)
    for v in d.values():
        s = s * 0.5 + v
    by_int = {2: x[0], 0: x[1] * x[1]}
    for k in by_int:
        s = s + k * by_int[k]
    for i, k in enumerate(by_int.keys()):
        s = s + (i + 1.0) * by_int[k]
    return s


def reversed_while_it_changes(x):
    # reversed(items) starts from the last item the list had when the loop began and walks
    # down by position: items appended on the way are not visited, and a list that shrinks
    # below the position ends the loop
    items = [x[0], x[1] * x[2]]
    w = x[3]
    total = 0.0
    for v in reversed(items):
        total = total * 0.5 + v * v
        items.append(v * w)
    shrinking = [x[0], x[1], x[2] * x[3]]
    for v in reversed(shrinking):
        total = total + np.sin(v)
        shrinking.pop()
        shrinking.pop()
    return total + items[-1] * items[-2]


def scatter_add(x):
    # np.add.at adds at every occurrence of a position (a repeated index adds twice)
    a = x * 1.0
    np.add.at(a, [0, 0, 2], x[::-1] * 5.0)
    b = np.zeros(3)
    for i in range(2):
        np.add.at(b, np.array([0, 0, 1]), x * x[i])
    return np.sum(a * x) + np.sum(b * b)


def zipped_loops(x):
    total = 0.0
    for p in zip(x[:2], x[2:]):
        total = total + p[0] * p[1]
    for i, (a, b) in enumerate(zip(x, x[::-1]), 1):
        total = total + i * a * b
    for a, b in zip(reversed(x), x):
        total = total + a * b * 0.5
    return total


def mutate_arg(x, w):
    x[0] = w * 3.0
    x[1:] *= w
    return np.sum(x * x)

def cholesky_rows(A):
    n = A.shape[0]
    L = np.zeros((n, n))
    for j in range(n):
        s = A[j, j] - np.dot(L[j, :j], L[j, :j])
        L[j, j] = math.sqrt(s)
        for i in range(j + 1, n):
            L[i, j] = (A[i, j] - np.dot(L[i, :j], L[j, :j])) / L[j, j]
    return np.sum(L * L * np.arange(1, n * n + 1).reshape(n, n))

def mask_zero(x):
    y = x * 2.0
    y[x < 0] = 0.0
    return np.sum(y * y)

def gram_schmidt(A):
    Q = A.copy()
    n = A.shape[1]
    for k in range(n):
        for j in range(k):
            Q[:, k] = Q[:, k] - np.dot(Q[:, j], Q[:, k]) * Q[:, j]
        Q[:, k] = Q[:, k] / np.sqrt(np.dot(Q[:, k], Q[:, k]))
    return np.sum(Q * np.arange(Q.size).reshape(Q.shape))


# ---- calls to user functions ------------------------------------------------------------

def square_plus(a, b=1.0):
    return a * a + b

def uses_helper(x, y):
    z = square_plus(x, b=y)
    w = square_plus(z)
    return w * x

def fact_like(x, n):
    if n <= 0:
        return 1.0
    return x * fact_like(x, n - 1) + x

def pair(x, y):
    return x * y, x + y

def multi(x, y):
    p, q = pair(x, y)
    return p * q

def layer(W, h):
    return np.tanh(W @ h)

def net(W1, W2, x):
    h = layer(W1, x)
    for i in range(3):
        h = layer(W2, h)
    return np.sum(h)


# ---- kernels that write into their arguments ----------------------------------------------

def step(A, B):
    B[1:-1] = 0.5 * (A[2:] + A[:-2])

def smooth(u, steps):
    A = u.copy()
    B = u.copy()
    for t in range(steps):
        step(A, B)
        step(B, A)
    return np.sum(A * A * np.arange(A.size))

def scale_in_place(v, s):
    v[...] = v * s
    return None

def uses_scale(x, s):
    y = x * 1.0
    scale_in_place(y, s)
    return np.sum(y * y)

def jacobi2d(u, steps):
    A = u.copy()
    B = u.copy()
    for t in range(steps):
        B[1:-1, 1:-1] = 0.25 * (A[2:, 1:-1] + A[:-2, 1:-1] + A[1:-1, 2:] + A[1:-1, :-2])
        A[1:-1, 1:-1] = 0.25 * (B[2:, 1:-1] + B[:-2, 1:-1] + B[1:-1, 2:] + B[1:-1, :-2])
    return np.sum(A * A)

def reads_before_call(u, w):
    A = u * w
    B = u.copy()
    s = np.sum(B * B)
    step(A, B)
    return s + np.sum(B * A)


# ---- local functions and comprehensions ----------------------------------------------------

def comp(w, x):
    n = len(x)
    total = sum(w[i] * x[i] for i in range(n))
    squares = [v * v for v in x if v > -10.0]
    return total + np.sum(np.stack(squares)) + sum([a * b for a, b in zip(w, x)])

def nested_functions(x, w):
    scale = 2.0
    def f(v, k=3.0):
        if v > 0:
            return v * scale * w
        return k * v
    g = lambda u: f(u) * u
    return g(x) + f(x, k=w)


def rows_comprehension(X, w):
    outs = [np.tanh(r @ w) for r in X]
    return np.sum(np.stack(outs))


# ---- *args of a known length --------------------------------------------------------------

def total(scale, *xs):
    s = 0.0
    for v in xs:
        s = s + np.sum(v * v)
    return s * scale

def uses_varargs(a, b):
    return total(2.0, a, b, a * b)


CASES = [
    Case(arith, args(scal(0.1, 2.0), scal(0.5, 2.0)), (0, 1), tags=("scalar",)),
    Case(powers, args(scal(0.5, 1.5), scal(0.5, 2.0)), (0, 1)),
    Case(math_basics, args(scal(-1, 1), scal(0.5, 2.0)), (0, 1)),
    Case(tuples, args(scal(), scal()), (0, 1)),
    Case(compare_mixed, args(scal(), scal()), (0, 1)),
    Case(mlp_like, args(vec(3), mat(2, 3)), (0, 1)),
    Case(numpy_first_set, args(vec(3, 0.2, 2.0), mat(3, 3)), (0, 1)),
    Case(broadcasting, args(mat(3, 4), vec(4), scal()), (0, 1, 2)),
    Case(from_numpy_import, args(vec(4)), (0,)),
    Case(piecewise, args(scal(-3, 3)), (0,)),
    Case(three_returns, args(scal(-1, 1), scal(-1, 1)), (0, 1)),
    Case(conditional_expr, args(scal(-2, 2), scal(-2, 2)), (0, 1)),
    Case(chained_compare, args(scal(-2, 2)), (0,)),
    Case(horner, args(scal(-1, 1), scal(), 10), (0, 1)),
    Case(range_args, args(scal(0.5, 1.2), 9), (0,)),
    Case(loop_carried_updates, args(scal(), scal(0.2, 1.0)), (0, 1)),
    Case(newton_sqrt, args(scal(0.5, 4.0)), (0,), tol=1e-5),
    Case(capped_newton, args(scal(0.5, 4.0)), (0,), tol=1e-5),
    Case(euler_ode, args(scal(0.5, 1.5), scal(0.1, 1.0)), (0, 1)),
    Case(breaks_early, args(scal(0.05, 0.5), 20), (0,)),
    Case(continue_and_else, args(scal(0.5, 1.1), 7), (0,)),
    Case(nested_loops_matmul, args(mat(3, 3), mat(3, 3)), (0, 1)),
    Case(loop_over_rows, args(mat(4, 3), vec(3)), (0, 1)),
    Case(loop_over_list, args(scal()), (0,)),
    Case(branch_in_loop, args(scal(0.1, 3.0), 6), (0,)),
    Case(rnn, args(mat(4, 4, -0.5, 0.5), mat(4, 3), mat(5, 3)), (0, 1, 2)),
    Case(loop_array_carried, args(vec(3), 5), (0,)),
    Case(while_array, args(vec(3)), (0,)),
    Case(early_return_in_loop, args(scal(0.5, 2.0), 10), (0,)),
    Case(fill, args(vec(5), 4), (0,)),
    Case(overwrite, args(vec(5)), (0,)),
    Case(reread_after_write, args(vec(4)), (0,)),
    Case(repeated_indices, args(vec(4)), (0,)),
    Case(broadcast_assignment, args(vec(4)), (0,)),
    Case(returns_its_written_argument, args(vec(3)), (0,)),
    Case(dict_new_key, args(vec(4)), (0,)),
    Case(dict_loops, args(vec(4)), (0,)),
    Case(reversed_while_it_changes, args(vec(4)), (0,)),
    Case(scatter_add, args(vec(3)), (0,)),
    Case(zipped_loops, args(vec(4)), (0,)),
    Case(mutate_arg, args(vec(4), scal()), (0, 1)),
    Case(mask_zero, args(vec(6)), (0,)),
    Case(cholesky_rows, args(spd(4)), (0,), tol=1e-5),
    Case(gram_schmidt, args(mat(4, 3)), (0,), tol=1e-5),
    Case(uses_helper, args(scal(), scal()), (0, 1)),
    Case(fact_like, args(scal(0.5, 1.2), 5), (0,)),
    Case(multi, args(scal(), scal()), (0, 1)),
    Case(net, args(mat(3, 3), mat(3, 3), vec(3)), (0, 1, 2)),
    Case(smooth, args(vec(8), 3), (0,)),
    Case(uses_scale, args(vec(3), scal()), (0, 1)),
    Case(jacobi2d, args(mat(6, 6), 20), (0,)),
    Case(reads_before_call, args(vec(6), scal()), (0, 1)),
    Case(comp, args(vec(4), vec(4)), (0, 1)),
    Case(nested_functions, args(scal(-2, 2), scal()), (0, 1)),
    Case(rows_comprehension, args(mat(3, 2), vec(2)), (0, 1)),
    Case(uses_varargs, args(vec(2), vec(2)), (0, 1)),
    Case(rnn, args(mat(4, 4, -0.5, 0.5), mat(4, 3), mat(50, 3)), (0, 1, 2), tags=("rnn50",),
         label="rnn_50_steps"),
]


def assigned_in_some_iterations(x, n):
    for i in range(n):
        if i % 2 == 0:
            last = x * i
        else:
            x = x * 1.1
    return last * x


CASES.append(Case(assigned_in_some_iterations, args(scal(0.5, 2.0), 4), (0,)))


# ---- a module-level function passed as an argument --------------------------------------
def rhs(y, k):
    return -k * y + math.sin(y)

def integrate(f, y0, k, steps, dt=0.01):
    y = y0
    for _ in range(steps):
        y = y + dt * f(y, k)
    return y

def fit(y0, k):
    return integrate(rhs, y0, k, 100) ** 2


CASES.append(Case(fit, args(scal(0.5, 1.0), scal(0.2, 0.8)), (0, 1)))


# ---- loop temporaries computed again in the reverse sweep (tape_plan.plan_recomputes) ---
def temporaries_of_a_loop(sigma, x):
    y = 1.0
    for i in range(5):
        d = y - x                  # computed again before `y = ...`'s adjoint, not taped
        y = y + 0.1 * sigma * d
        x = x * 0.9 + 0.01 * d
    return y * x


def operand_changed_by_a_later_loop(x, a):
    s = 0.0
    for i in range(3):
        t = x * a                  # x is rebound by the next loop: t must be taped
        s = s + t * t
    for k in range(2):
        x = x * 1.5 + s
    return s + x


def row_of_the_counter(xs, w):
    total = 0.0
    for i in range(xs.shape[0]):
        row = xs[i]                # a view of the counter's row: computed again
        for j in range(2):
            total = total + np.sum(row * w) * (j + 1.0)
        w = w * 0.5
    return total


def chain_of_temporaries(z, w):
    s = 0.5
    for i in range(4):
        a = -2.0 * z * w           # a chain (-2.0 * z, then * w): computed again, not taped
        s = s * a + 0.1 * a
        b = s * z                  # b's operand s is restored by the tape: computed again too
        s = s + 0.1 * b
    return s + z


CASES.append(Case(temporaries_of_a_loop, args(scal(0.5, 1.5), scal(0.5, 1.5)), (0, 1)))
CASES.append(Case(chain_of_temporaries, args(scal(0.5, 1.0), scal(0.5, 1.0)), (0, 1)))
CASES.append(Case(operand_changed_by_a_later_loop, args(scal(0.5, 1.5), scal(0.5, 1.5)),
                  (0, 1)))
CASES.append(Case(row_of_the_counter, args(mat(3, 4), vec(4)), (0, 1)))


# ---- what reverse mode writes out where shapes are known (reverse._summed_to and
# _plain_matrix_product, optimize.sum_steps_together, array elements as numbers) -------------
def signs_in_products(a, b):
    return -a * a + b / -a - 2.0 * b + -a * -b


def row_rnn(Wx, Wh, b, xs):
    h = np.zeros((xs.shape[1], Wh.shape[0]))
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ Wx + h @ Wh + b)      # steps of Wx, Wh, b summed after the loop
    return np.sum(h * h)


def column_rnn(Wx, Wh, xs):
    h = np.zeros(Wh.shape[0])
    for t in range(xs.shape[0]):
        h = np.tanh(Wx @ xs[t] + Wh @ h)          # a weight on the left: matmul_grad_a steps
    return np.sum(h * h)


def products_of_vectors(A, u, v):
    w = A @ u                                     # matrix times vector: np.outer, A.T @ g
    return np.sum(np.sin(v @ A)) + (w @ w) * (u @ u)


def reduced_broadcasts(x, row, col, w):
    y = np.sin(x + row) * (x - col)               # x: (2, 3, 4), row: (4,), col: (3, 1)
    return np.sum(y * w)                          # w: (3, 1): leading and stretched axes


def running_misfit(x, c, observed):
    total = 0.0
    for i in range(observed.shape[0]):
        x = x * c
        total = total + (x - observed[i]) ** 2    # observed[i] is a number
    return total


CASES.append(Case(signs_in_products, args(scal(0.5, 1.5), scal(0.5, 1.5)), (0, 1)))
CASES.append(Case(row_rnn, args(mat(3, 4, -0.5, 0.5), mat(4, 4, -0.4, 0.4), vec(4),
                                lambda rng: rng.uniform(-1, 1, (5, 2, 3))), (0, 1, 2)))
CASES.append(Case(column_rnn, args(mat(4, 3, -0.5, 0.5), mat(4, 4, -0.4, 0.4), mat(5, 3)),
                  (0, 1, 2)))
CASES.append(Case(products_of_vectors, args(mat(3, 4), vec(4), vec(3)), (0, 1, 2)))
CASES.append(Case(reduced_broadcasts, args(lambda rng: rng.uniform(-1, 1, (2, 3, 4)), vec(4),
                                           mat(3, 1), mat(3, 1)), (0, 1, 2, 3)))
CASES.append(Case(running_misfit, args(scal(0.5, 1.0), scal(0.8, 1.0), vec(4)), (0, 1, 2)))


# ---- a maximum subtracted before exp: no derivative through it (activity.shift_invariant) --
def log_softmax_loss(logits, y):
    m = np.max(logits, axis=1, keepdims=True)
    z = logits - m
    lse = np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.sum(y * (z - lse))


def logsumexp_of_all(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


def softmax_weights(x, w):
    m = x.max(axis=-1, keepdims=True)
    e = np.exp(x - m)
    p = e / e.sum(axis=-1, keepdims=True)
    return np.sum(p * w)


def shifted_squares(x):                           # the output depends on m: it keeps its
    m = np.max(x, axis=1, keepdims=True)          # derivative
    z = x - m
    return np.sum(z * z)


def logsumexp_across_rows(x):                     # each row's m cancels only within the row
    m = np.max(x, axis=1, keepdims=True)
    return np.log(np.sum(np.exp(x - m)))


SHIFT_INVARIANT = [log_softmax_loss, logsumexp_of_all, softmax_weights]
CASES.append(Case(log_softmax_loss, args(mat(4, 3, -3, 3), mat(4, 3, 0, 1)), (0, 1)))
CASES.append(Case(logsumexp_of_all, args(mat(3, 4, -3, 3)), (0,)))
CASES.append(Case(softmax_weights, args(mat(3, 4, -3, 3), mat(3, 4)), (0, 1)))
CASES.append(Case(shifted_squares, args(mat(3, 4)), (0,)))
CASES.append(Case(logsumexp_across_rows, args(mat(3, 4, -3, 3)), (0,)))


# ---- a temporary read one step later (tape_plan.plan_recomputes must not take this step's) -
def carried_through_a_parameter(x, s):
    for i in range(3):
        t = s * 2.0          # s: the parameter, then the last step's value
        w = t * x
        s = w * 0.5
    return s


def uses_last_steps_element(x, s, a):
    total = 0.0
    for i in range(3):
        t = s * 2.0          # s: the parameter, then the last step's element of a
        total = total + t * x
        s = a[i]
    return total


CASES.append(Case(carried_through_a_parameter, args(scal(0.5, 1.0), scal(0.5, 1.0)), (0, 1)))
CASES.append(Case(uses_last_steps_element, args(scal(0.5, 1.0), scal(0.5, 1.0), vec(3)),
                  (0, 1, 2)))


# ---- second derivatives through calls and loops: the tape's tangents (forward over reverse) --
def _square(v):
    return v * v


def square_times_x(x):                  # Hessian diag(6x): the callee's saved v has a tangent
    return np.sum(_square(x) * x)


def _cube(z):
    return z ** 3


def sum_of_cubes(x):
    return np.sum(_cube(x))


def tanh_three_times(x):                # the loop's saved y and its tangent pop together,
    y = x                               # also where the popped y is not read
    for k in range(3):
        y = np.tanh(y)
    return np.sum(y * y)


def residual_steps(x):
    y = x
    for k in range(3):
        y = y + 0.5 * np.tanh(y)
    return np.sum(y ** 3)


def _append_double(items, v):           # a callee that appends to its list argument
    items.append(v * 2.0)


def appends_in_a_helper(x):
    items = [x]
    _append_double(items, x * x)
    return items[0] * items[1]


def _scaled(x, *, factor=2.0, shift):   # keyword-only parameters, one with a default
    return x * factor + shift


def keyword_only_helper(x, s):
    return np.sum(_scaled(x, shift=s) ** 2) + np.sum(_scaled(x, factor=s, shift=1.0))


CASES.append(Case(square_times_x, args(vec(3)), (0,)))
CASES.append(Case(sum_of_cubes, args(vec(3)), (0,)))
CASES.append(Case(tanh_three_times, args(vec(3)), (0,)))
CASES.append(Case(residual_steps, args(vec(3, -1.0, 1.0)), (0,)))
CASES.append(Case(appends_in_a_helper, args(scal(0.5, 1.5)), (0,)))
CASES.append(Case(keyword_only_helper, args(vec(3), scal()), (0, 1)))
# ---- differentiable arguments passed by keyword: the same derivative as by position ----------
def weighted_mean_by_keyword(x, w):
    return np.average(x, weights=w) * np.sum(x)


def clipped_above_by_keyword(x, hi):
    return np.sum(np.clip(x, -1.0, a_max=hi) ** 2)


def histogram_by_keyword(x, w):
    counts, edges = np.histogram(x, bins=3, range=(-2.0, 2.0), weights=w)
    return np.sum(counts ** 2)


CASES.append(Case(weighted_mean_by_keyword, args(vec(4), vec(4, 0.5, 2.0)), (0, 1)))
CASES.append(Case(clipped_above_by_keyword, args(vec(4), scal(0.2, 0.5)), (0, 1)))
CASES.append(Case(histogram_by_keyword, args(vec(5, -1.9, 1.9), vec(5)), (1,)))


# ---- an element of a tuple result: its adjoint is a tuple, updated by position ------------
def logdet_by_index(m):
    return np.linalg.slogdet(m)[1] + np.sum(np.linalg.svd(m)[1])


def eigenvalues_by_index(m):
    s = m + m.T
    return np.sum(np.linalg.eigh(s)[0] ** 2) + np.sum(np.linalg.qr(m)[1] ** 2)


CASES.append(Case(logdet_by_index, args(spd(3)), (0,)))
CASES.append(Case(eigenvalues_by_index, args(spd(3)), (0,)))


# ---- cholesky / eigh / eigvalsh read one triangle: the other has no derivative ---------------
def spd_plus_upper(n):
    """A matrix whose lower triangle is that of an SPD matrix and whose upper one is noise."""
    def make(rng):
        return spd(n)(rng) + np.triu(rng.uniform(-1.0, 1.0, size=(n, n)), 1)
    return make


def triangles_read(m):
    low = np.linalg.cholesky(m)
    w = np.linalg.eigvalsh(m.T, UPLO="U")
    return np.sum(low * low.T) + np.sum(low) + np.sum(w ** 3)


CASES.append(Case(triangles_read, args(spd_plus_upper(3)), (0,), tol=1e-5))


# ---- vstack / hstack / column_stack of one 2-D array: the pieces are its rows ----------------
def stacks_one_array(m):
    return np.sum(np.vstack(m) * m) + np.sum(np.hstack(m) ** 3) + np.sum(np.column_stack(m) * m.T)


CASES.append(Case(stacks_one_array, args(mat(2, 3)), (0,)))


# ---- np.linspace is linear in its end points ----------------------------------------------
def ramp_between(a, b):
    r = np.linspace(a, b, 5)
    grid = np.linspace(a * np.ones(2), b, 3, endpoint=False, axis=1)
    return np.sum(np.sin(r) * r) + np.sum(grid ** 2)


CASES.append(Case(ramp_between, args(scal(), scal()), (0, 1)))


# ---- np.cross with the vectors along other axes ---------------------------------------------
def torques(r, f):
    return np.sum(np.cross(r, f, axisa=0, axisb=0, axisc=0) ** 2) + np.sum(np.cross(r.T, f[:, 0]))


CASES.append(Case(torques, args(mat(3, 2), mat(3, 2)), (0, 1)))


# ---- helpers with branches, defaults and early returns (issue 17) --------------------------
def scaled(x, s):
    if s > 0:
        y = x * s + x
    else:
        y = x
    return y


def sum_of_scaled(x):
    return np.sum(scaled(x, 2.0) ** 2)


def linear_or_square(x, t):
    if t > 0.5:
        return x * t
    return x * x


def both_branches(x):
    return np.sum(linear_or_square(x, 0.7) + linear_or_square(x, 0.2))


def doubled_if_positive(x):
    if np.sum(x) > 0:
        return x * 2.0
    y = x * x
    return y


def early_return_helper(x):
    return np.sum(doubled_if_positive(x) ** 2)


def dense(x, w, relu=True):
    z = x * w
    if relu:
        z = np.maximum(z, 0.0)
    return z


def two_layers(x, w):
    return np.sum(dense(x, w) ** 2 + dense(x, w, relu=False))


def quadratic(x, a=1.0, b=2.0):
    return a * x + b * x * x


def keyword_over_defaults(x):
    return np.sum(quadratic(x, b=3.0))


def product_or_other(x, y):
    return x * y if np.sum(x) > 0 else y


def conditional_helper(x, y):
    return np.sum(product_or_other(x, y) ** 2)


CASES.append(Case(sum_of_scaled, args(vec(3)), (0,)))
CASES.append(Case(both_branches, args(vec(3)), (0,)))
CASES.append(Case(early_return_helper, args(vec(3, 0.2, 2.0)), (0,)))
CASES.append(Case(two_layers, args(vec(3, 0.2, 2.0), lambda rng: np.array([0.5, -0.6, 0.8])),
                  (0, 1)))
CASES.append(Case(keyword_over_defaults, args(vec(3)), (0,)))
CASES.append(Case(conditional_helper, args(vec(3, 0.2, 2.0), vec(3)), (0, 1)))


# ---- helpers that write into their array arguments (issue 17) ------------------------------
def running_blend(u):
    w = u.copy()
    for i in range(3):
        w[1:] += 0.5 * w[:-1]
    return w


def blended_energy(u):
    return np.sum(running_blend(u) ** 2)


def scale_and_return(v, s):
    v[...] = v * s
    return v


def result_ignored(x, s):
    y = x * 1.0
    scale_and_return(y, s)
    return np.sum(y * y)


CASES.append(Case(blended_energy, args(vec(4)), (0,)))
CASES.append(Case(result_ignored, args(vec(3), scal(0.5, 1.5)), (0, 1)))


def axpy(y, A, v):
    y += A @ v                   # y is an array: written into, the caller sees it


def accumulated(A, v):
    y = np.ones(2)
    axpy(y, A, v)
    return np.sum(y * y)


def plus_square(s, v):
    s += v * v                   # s is a number: a new value, the caller's is unchanged
    return s


def number_unchanged(x):
    a = 2.0
    b = plus_square(a, x)
    return a * b


CASES.append(Case(accumulated, args(mat(2, 3), vec(3)), (0, 1)))
CASES.append(Case(number_unchanged, args(scal()), (0,)))

# ---- a copy of an array made after a write into it (aliasing._check_live_copies) ------------
def writes_into_a_fresh_copy(x, a):
    for i in range(3):
        if a[0] > 4.0:
            break
        if np.sum(a) > -2.0:
            b = a * 1.0
            b[1] = b[1] * x      # the loop's copy `b_1 = b` is made after this write
            a = b * np.sin(b)
    return np.sum(a)


CASES.append(Case(writes_into_a_fresh_copy, args(scal(0.5, 1.0), vec(3)), (0, 1)))


# ---- a called function that does not use one of its array arguments -------------------------
def first_scaled(p, b, c=0.5):     # b: kept for a later version
    return p * c


def ignores_an_argument(x, a):
    return first_scaled(a[0] * x, a, c=1.5) + x * np.sum(a)


CASES.append(Case(ignores_an_argument, args(scal(), vec(3)), (0, 1)))


# ---- a called function that writes into its argument on one path ----------------------------
def squash_last(b, s):
    if b[1] > 0.0:
        b[2] = np.tanh(s)    # the temporary np.tanh(s) is saved for the reverse sweep


def squashed_copy(y, a):
    v = a * 1.0
    squash_last(v, y)
    return v[0] + v[2] * y


CASES.append(Case(squashed_copy, args(scal(), vec(3, 0.2, 1.5)), (0, 1)))


# ---- a called function with a loop inside a branch (its iteration count is recorded) --------
def damped(p, b, c=1.0):
    if np.sum(b) <= 2.5:
        n = 0
        while n < 2:
            n += 1
            c = c * 0.9
    return c * p


def damped_scale(x, a):
    return damped(x, a, a[2]) + damped(a[0], a + 3.0, c=x)   # the branch, then not


CASES.append(Case(damped_scale, args(scal(), vec(3, -1.0, 0.5)), (0, 1)))


def counter_after_an_empty_loop(x):
    # the inner loop runs no iteration for i = 0: k keeps the value it had before it
    total = 0.0
    k = 0
    for i in range(x.shape[0]):
        for k in range(i):
            total = total + x[k] * x[i]
        total = total + k * x[i] * x[i]
    return total


CASES.append(Case(counter_after_an_empty_loop, args(vec(4)), (0,)))


def _scaled_rows(A, w, n):
    out = np.zeros(A.shape)
    for i in range(n):
        out[i] = A[i] * w[i]
    return out


def helper_with_a_constant_weight(A, w):
    # the first call's weights have no derivative, yet its reverse sweep reads them
    n = A.shape[0]
    ones = np.ones(n)
    return np.sum(_scaled_rows(A, ones, n) * _scaled_rows(A, w, n))


CASES.append(Case(helper_with_a_constant_weight, args(mat(3, 3), vec(3)), (0, 1)))


def _shift_rows(A, s, n):
    for i in range(n):
        A[i, :] = A[i, :] * s + i
    return A


def writes_through_an_unused_result(A, s):
    # the helper returns the array it writes into; the caller only wants the write
    B = A.copy()
    _shift_rows(B, s, B.shape[0])
    return np.sum(B * B)


CASES.append(Case(writes_through_an_unused_result, args(mat(3, 3), scal()), (0, 1)))


# ---- aliasing: writes written other ways (issue 18) ---------------------------------------

def setitem_method(x):
    b = x * 1.0
    b.__setitem__(0, x[1] * 5.0)        # the same as b[0] = x[1] * 5.0
    return np.sum(b * b)


def swap_rows_fancy(A):
    B = A * 1.0
    B[[0, 1]] = B[[1, 0]]               # a fancy index copies: the rows are swapped
    return np.sum(B[0] * np.arange(1.0, 4.0)) + np.sum(B[1] * B[1])


def in_place_operator_methods(x):
    # `a.__iadd__(v)` as a statement is `a += v`: a write into a's array, or a list's extend
    a = x * 1.0
    a.__iadd__(x[::-1] * 2.0)
    a.__imul__(x)
    items = [x[0]]
    items.__iadd__([x[1] * x[2]])
    total = 0.0
    for v in items:
        total = total + v * v
    return np.sum(a * a) + total


CASES.append(Case(setitem_method, args(vec(3)), (0,)))
CASES.append(Case(in_place_operator_methods, args(vec(3)), (0,)))


def joins_lists(x):
    # `+` of lists and tuples joins them: each item's cotangent goes back to its own side
    items = [x[0]] + [x[1] * x[2], x[0] * x[0]]
    pair = (x[2],) + (np.sin(x[1]),)
    return items[0] * items[1] + items[2] * pair[1] + pair[0] * pair[0]


CASES.append(Case(joins_lists, args(vec(3)), (0,)))


def copies_a_list_and_a_dict(x):
    # `.copy()` of a list or dict is a shallow copy of its type (not np.copy's array)
    items = [x[0], x[1] * x[2]]
    more = items.copy()
    more.append(np.sin(x[0]))
    weights = {"a": x[2], "b": 2.0}
    other = weights.copy()
    other["b"] = x[1]
    row = x.copy()
    return sum(more) * len(more) + other["a"] * other["b"] + weights["b"] * np.sum(row * row)


CASES.append(Case(copies_a_list_and_a_dict, args(vec(3)), (0,)))


# ---- defaults of local functions are values taken where they are defined (issue 18) ----------

def local_defaults(x):
    s = x[0] * 2.0
    def scaled(v, k=s):                 # k is the s of this line, not the s of the call
        return v * k
    s = x[1]
    total = scaled(x[2]) + s
    for k in range(3):
        term = lambda v, k=k: v * v * (k + 1.0)       # each pass keeps its own k
        def weighted(v, *, w=s):
            return v * w
        s = s * x[0]
        total = total + term(x[k]) + weighted(x[2])
    return total + weighted(1.0) + term(x[0])


CASES.append(Case(local_defaults, args(vec(3)), (0,)))
CASES.append(Case(swap_rows_fancy, args(mat(2, 3)), (0,)))


def grows_while_walked(x):
    # a for loop walks the items appended inside it as well (Python reads the length each step)
    items = [x]
    total = 0.0
    for v in items:
        total = total + v * v
        if len(items) < 3:
            items.append(v * 2.0)
    return total


CASES.append(Case(grows_while_walked, args(scal()), (0,)))


# ---- a callee that ignores an argument it is given (its backward half returns a zero for it) -----
def shifted_square(x, shift):
    return x * x             # the shift is not used (yet)


def passes_an_ignored_argument(x, y):
    return np.sum(shifted_square(x, y * 2.0) * y)


CASES.append(Case(passes_an_ignored_argument, args(vec(3), vec(3)), (0, 1)))


# ---- lists: entries whose adjoints are dropped, a helper that appends to its caller's list -------

def pushes_a_constant(x):
    stack = []
    stack.append(x * 2.0)
    stack.append(3.0)        # an entry that does not depend on x
    c = stack.pop()
    d = stack.pop()
    return np.sum(d * x) + c * np.sum(d)


CASES.append(Case(pushes_a_constant, args(vec(3)), (0,)))


def push_square(stack, v):
    stack.append(v * v)      # into the caller's list
    return v


def appends_through_a_helper(x):
    stack = []
    a = push_square(stack, x)
    b = stack.pop()
    return np.sum(b * a)


CASES.append(Case(appends_through_a_helper, args(vec(3)), (0,)))


# ---- a helper's backward half indexes a parameter it does not otherwise need ------------------
def rows_times(X, w):
    s = 0.0
    for i in range(3):
        s = s + np.sum(X[i] * w)     # X[i]: computed again in the backward half
    return s


def calls_rows_times(X, w):
    return rows_times(X, w * w)


CASES.append(Case(calls_rows_times, args(mat(3, 4), vec(4)), (1,)))


# ---- a fresh copy written into in a branch of a loop, its join copy read in the next pass ----
def _scale_first(b, s):
    b[0] = b[0] * s


def fresh_copy_in_a_branch(x, a):
    total = 0.0
    n = 0
    while n < 3:
        n += 1
        if n > 1:
            v = a * 1.0
            _scale_first(v, x)
            total = total + np.sum(v * v)
    return total


CASES.append(Case(fresh_copy_in_a_branch, args(scal(0.5, 1.5), vec(3)), (0, 1)))


# ---- np.einsum's interleaved form: index lists in place of the subscripts string ----------
def einsum_index_lists(A, B):
    C = np.einsum(A, [0, 1], B, [1, 2], [0, 2])       # A @ B
    D = np.einsum(C, [0, 1], [1, 0])                  # its transpose
    trace = np.einsum(C, (0, 0))                      # implicit output: the trace
    return np.sum(np.sin(D) * C) + trace * np.einsum(A, [0, ...], [...]) @ B[:, 0]


CASES.append(Case(einsum_index_lists, args(mat(3, 4), mat(4, 3)), (0, 1)))


# ---- a parameter rebound to the fresh copy written into (fuzz_findings O1) ----------------
def _set_first(b, s):
    b[0] = s


def rebound_to_the_copy(x, a):
    # `a = v` makes a the copy written into: a is read again only in the next pass, to make
    # the next copy, or on the other path of that pass
    total = 0.0
    for n in range(4):
        if n % 2 == 1:
            total = total + np.sum(a * a) * x
        else:
            v = a * x
            _set_first(v, s=np.sin(x))
            a = v
    return total + np.sum(a * a)


CASES.append(Case(rebound_to_the_copy, args(scal(0.5, 1.5), vec(3)), (0, 1)))


# ---- a loop that reads its array, then replaces it by a fresh copy it writes into ----------
# The loop-carried name is the parameter: before the first pass it is the caller's array, a
# different one from the copy written, so a read at the top of the next pass is not stale.
def fresh_copy_replaces_the_argument(x, a):
    for i in range(3):
        x = np.tanh(a[0]) + x
        v = a * 1.0
        _scale_first(v, x)
        a = v
    return x + np.sum(a * a)


CASES.append(Case(fresh_copy_replaces_the_argument, args(scal(0.5, 1.5), vec(3)), (0, 1)))


# ---- a write into a fresh copy before a choice joins it with its source (fuzz_findings F4) ----
def copy_or_source(x, a):
    v = a * 1.0
    _scale_first(v, x)      # writes into v only: a and v are two arrays the choices join later
    return np.sum(a if x > 0.0 else v) * x + np.sum(v if x > 0.0 else a)


CASES.append(Case(copy_or_source, args(scal(0.5, 1.5), vec(3)), (0, 1)))


# ---- an element read back from the array being filled, of unknown shape (deriche) ----------
def recursive_filter(X, c):
    w, h = X.shape
    Y = np.zeros((w, h))       # two dimensions, whatever w and h are
    for i in range(w):
        prev = 0.0
        for j in range(h):
            Y[i, j] = X[i, j] + c * prev
            prev = Y[i, j]     # an element, a number: not a view of Y read after the next write
    return np.sum(Y * Y)


CASES.append(Case(recursive_filter, args(mat(2, 3), scal(0.2, 0.8)), (0, 1)))


# ---- a fresh copy written into in one arm of a branch, its source read in the other (F5) ----
def copy_in_one_arm(x, a):
    for i in range(3):
        if i == 1:
            x = x + np.sin(a[1])    # a: the copy the other arm made and wrote, joined after it
        else:
            v = a * 1.0
            v[1] = v[1] * x
            a = v
    return x + np.sum(a * a)


CASES.append(Case(copy_in_one_arm, args(scal(0.5, 1.5), vec(3)), (0, 1)))


# ---- a for loop that returns early, after a conditional expression in a branch (N1) ---------
# The temporary of `3.0 if x >= 1.3 else 0.1` is restored in the branches of `x >= 1.3`, so
# the reverse sweep reads that condition too: the forward sweep must save it (before, it
# popped a value never pushed).
def returns_in_a_loop_after_a_choice(x, y, a):
    for i in range(3):
        if i == 0:
            y = y / (3.0 if x >= 1.3 else 0.1)
        if i == 1:
            return y * a[0]


CASES.append(Case(returns_in_a_loop_after_a_choice, args(scal(0.5, 2.0), scal(), vec(3)),
                  (0, 1, 2)))


def chooses_in_nested_branches(x, y, a):
    # the same in nested ifs: before the fix, a misaligned tape and a wrong gradient
    for i in range(3):
        if i != 2:
            if x >= 0.0:
                c = 2.0
            else:
                if y > 0.0:
                    c = 0.5
                else:
                    c = 0.25
            y = y * c + a[i]
    return y


CASES.append(Case(chooses_in_nested_branches, args(scal(), scal(), vec(3)), (0, 1, 2)))


# ---- a write into an item of a called function's tuple of new arrays (N3) -------------------
def _scaled_pair(x, a):
    return (a + x, a * x)


def writes_into_a_helpers_item(x, a):
    v = _scaled_pair(x, a)[1]        # a new array: nothing else names it
    _set_first(v, np.sin(x))
    _, w = _scaled_pair(a[2], a)
    w[1] = x * w[1]
    return np.sum(v * v) + np.sum(w * a)


CASES.append(Case(writes_into_a_helpers_item, args(scal(), vec(3)), (0, 1)))


# ---- kinds decided late: more dependent statements than the old 10 rounds of infer_kinds ----
# (issue 17) Each statement's kind was found from the kinds of the round before, so a chain of
# copies took one round per copy: after 10, the rest were still "not known", and `1.0 + <not
# known>` was called a scalar.  The generated code then started the adjoint of an array at 0.0
# (a crash at `c[i]`) or skipped summing a broadcast cotangent (a gradient of the wrong shape).
def indexed_after_many_copies(x):
    b0 = x
    b1 = b0
    b2 = b1
    b3 = b2
    b4 = b3
    b5 = b4
    b6 = b5
    b7 = b6
    b8 = b7
    b9 = b8
    b10 = b9
    b11 = b10
    c = 1.0 + b11
    s = 0.0
    for i in range(2):
        s = s + c[i] * c[i + 1]
    return s


def broadcast_after_many_copies(x, A):
    b0 = x
    b1 = b0
    b2 = b1
    b3 = b2
    b4 = b3
    b5 = b4
    b6 = b5
    b7 = b6
    b8 = b7
    b9 = b8
    b10 = b9
    b11 = b10
    e0 = A
    e1 = e0
    e2 = e1
    e3 = e2
    e4 = e3
    e5 = e4
    e6 = e5
    e7 = e6
    e8 = e7
    e9 = e8
    e10 = e9
    e11 = e10
    c = 1.0 * b11
    e = 1.0 * e11
    d = c * e                  # (2, 1) times (3,): both cotangents are sums over an axis
    return np.sum(d * d)


def number_made_array_through_copies(x):
    # a starts a number and is an array from the second pass on
    a = 0.0
    for i in range(3):
        b0 = a
        b1 = b0
        b2 = b1
        b3 = b2
        b4 = b3
        b5 = b4
        b6 = b5
        b7 = b6
        b8 = b7
        b9 = b8
        b10 = b9
        b11 = b10
        c = 1.0 + b11
        d = c * c
        a = 0.5 * d * x
    return a[0] + np.sum(a)


def _pairs_after_copies(v):
    b0 = v
    b1 = b0
    b2 = b1
    b3 = b2
    b4 = b3
    b5 = b4
    b6 = b5
    b7 = b6
    b8 = b7
    b9 = b8
    b10 = b9
    b11 = b10
    c = 1.0 + b11
    s = 0.0
    for i in range(2):
        s = s + c[i] * c[i + 1]
    return s


def helper_indexes_after_many_copies(x, y):
    return _pairs_after_copies(x * y) + np.sum(y)


CASES.append(Case(indexed_after_many_copies, args(vec(3)), (0,)))
CASES.append(Case(broadcast_after_many_copies, args(vec(3), mat(2, 1)), (0, 1)))
CASES.append(Case(number_made_array_through_copies, args(vec(3, 0.1, 0.5)), (0,)))
CASES.append(Case(helper_indexes_after_many_copies, args(vec(3), vec(3)), (0, 1)))


# ---- an item of a helper's tuple that is one of its arguments (issue 17) --------------------
# The helper's summary says which parameters each item may be: `_pair_of`'s item 0 is its p,
# item 1 a new array.  A write into the caller's array while the item naming it is read later
# is refused, as without the helper (`q = a`); an item that names nothing else is not.
def _pair_of(p, b):
    return p, b * 2.0


def _swapped_pair_of(p, b):
    t = _pair_of(p, b)
    return t[1], t[0]


def unpacks_an_argument_of_a_helper(x, a):
    q, r = _pair_of(a, x)          # q is a itself
    a[0] = x * x                   # refused: q is read below (was a wrong gradient)
    return np.sum(q * r)


def indexes_an_argument_of_a_helper(x, a):
    t = _pair_of(a, x)
    q = t[0]                       # a itself
    a[0] = x * x
    return np.sum(q * t[1])


def argument_through_two_helpers(x, a):
    r, q = _swapped_pair_of(a, x)  # q is a, through two helpers
    a[0] = x * x
    return np.sum(q * r)


def writes_beside_a_helpers_items(x, a):
    v = a * 1.0
    q, r = _pair_of(x * a, v)      # q and r are new arrays: neither is v
    t = _swapped_pair_of(v, x)     # t[1] is v, t[0] a new array
    v[0] = x * x                   # t holds v, but only t[0] is read after this write
    return np.sum(q * r) + np.sum(v * r) + np.sum(t[0] * v)


CASES.append(Case(unpacks_an_argument_of_a_helper, args(scal(0.5, 1.5), vec(3)), (0, 1)))
CASES.append(Case(indexes_an_argument_of_a_helper, args(scal(0.5, 1.5), vec(3)), (0, 1)))
CASES.append(Case(argument_through_two_helpers, args(scal(0.5, 1.5), vec(3)), (0, 1)))
CASES.append(Case(writes_beside_a_helpers_items, args(scal(0.5, 1.5), vec(3)), (0, 1)))


# ---- a copy written by a helper before a loop that rebinds it to new arrays (issue 17) -----
# fuzz campaign seed 0, program 491: `v = v * v` in the loop joins back into v, so the new
# arrays v_1 were taken for names of the array written before the loop (a false refusal).
def written_then_rebound_in_a_loop(x, a):
    v = a * 1.0
    _set_first(v, s=np.sin(x))
    for i in range(2):
        v = v * (v + x)
    return np.sum(v)


CASES.append(Case(written_then_rebound_in_a_loop, args(scal(0.5, 1.5), vec(3)), (0, 1)))


# ---- a loop over a dict walks its keys, wherever the dict comes from (issue 18) ------------

RATES = {"a": 1.5, "b": -0.5}           # module-level dicts; integer keys that are positions
BY_POSITION = {1: 2.0, 0: 3.0, 2: -1.0}   # in another order (indexing by position reads
                                          # the items, not the keys)


def loops_over_module_dicts(x):
    s = 0.0
    for k in RATES:
        s = s + RATES[k] * x[0] * x[1]
    for k in BY_POSITION:
        s = s + k * BY_POSITION[k] * np.sin(x[k])
    for k, rate in RATES.items():
        s = s * rate + x[2] if k == "a" else s + rate * x[1]
    for i, k in enumerate(BY_POSITION):
        s = s + (i + 0.5) * x[k] * x[i]
    for k in reversed(BY_POSITION):       # the keys, last first
        s = s * 0.5 + x[k] * k
    for k, v in zip(BY_POSITION, x):
        s = s + k * v * BY_POSITION[k]
    return s


CASES.append(Case(loops_over_module_dicts, args(vec(3)), (0,)))


def _walker_over(table):
    def loops_over_a_closure_dict(x):
        s = 0.0
        for k in table:              # a dict held in a closure cell
            s = s + table[k] * x[k] * x[k]
        for v in table.values():
            s = s + v * np.sum(x)
        return s
    return loops_over_a_closure_dict


loops_over_a_closure_dict = _walker_over({2: 0.5, 0: -1.0, 1: 2.0})
CASES.append(Case(loops_over_a_closure_dict, args(vec(3)), (0,)))


class _Settings:
    scales = {1: 2.0, 0: -0.5}


SETTINGS = _Settings()


def loops_over_an_attribute_dict(x):
    s = 0.0
    for k in SETTINGS.scales:        # a dict read from an object
        s = s + SETTINGS.scales[k] * x[k] ** 2
    scales = SETTINGS.scales         # ... and held in a local
    for k in scales:
        s = s + scales[k] * x[k] * x[1 - k]
    return s


CASES.append(Case(loops_over_an_attribute_dict, args(vec(2)), (0,)))


def _terms(x):
    return {"lin": x * 2.0, 1: x * x, 0: np.sin(x)}


def _total_of(items, x):
    # given a dict by one call and a list by another: each walked as Python does
    s = 0.0
    for item in items:
        s = s + x * item
    return s


ARRAYS = {"u": np.array([1.0, -2.0, 0.5]), "v": np.array([0.3, 0.2, -1.0])}
TABLES = [{1: 0.5, 0: 2.0}, [4.0, -1.0]]      # a dict and a list, each walked by a loop


def loops_over_dicts_of_arrays(x):
    terms = _terms(x)                # a dict returned by a helper, its values arrays in x
    s = 0.0
    for k in terms:
        s = s + np.sum(terms[k] * x)
    for k, v in _terms(x[::-1]).items():
        s = s + np.sum(v * v) * (2.0 if k == 1 else 1.0)
    for k in ARRAYS:                 # a module-level dict of arrays
        s = s + np.sum(ARRAYS[k] * x * x)
    for table in TABLES:
        for key in table:            # a dict, then a list: the kind is found at run time
            s = s + key * x[0]
    return s + np.sum(_total_of(BY_POSITION, x)) + np.sum(_total_of([1.0, 2.0], x))


CASES.append(Case(loops_over_dicts_of_arrays, args(vec(3)), (0,)))


# ---- arrays a container holds without a display saying so (issue 17) -----------------------
# An item of a tuple parameter, a list grown with `.append`, a list or tuple made of another
# one by `list(t)`: each may be the caller's array, so a write into it while the other name is
# read later is refused at the write, as `r = A` would be; so is a write into an item taken
# by `.pop()` (writes_into_a_popped_array) off a user's list (a generated tape is told apart).
def _second_item(t):
    p, b = t
    return b                       # the caller's item 1 itself


def _listed(v):
    items = []
    items.append(v)
    return items                   # holds v itself: not a list of new arrays


def writes_into_an_item_of_a_tuple_parameter(x, a):
    A = a * 1.0
    r = _second_item((x * a, A))   # A itself
    r[1] = x * x                   # refused (was a wrong gradient: A, read below, changes)
    return np.sum(A * A)


def reads_an_appended_array_after_a_write(x, a):
    A = a * 1.0
    items = []
    items.append(A)                # items[0] is A
    A[1] = x * x                   # refused (was wrong): items[0] is read below
    return np.sum(items[0] * items[0])


def writes_into_an_item_of_a_helpers_list(x, a):
    A = a * 1.0
    q = _listed(A)[0]              # A itself
    q[1] = x * x                   # refused (was wrong)
    return np.sum(A * A)


def writes_into_a_popped_array(x, a):
    A = a * 1.0
    items = []
    items.append(A)
    B = items.pop()                # A itself
    B[1] = x * x                   # refused: A, read below, is the same array
    return np.sum(A * A)


def reads_a_list_of_a_tuple_after_a_write(x, a):
    A = a * 1.0
    t = (A, x * a)
    l = list(t)                    # a new list of the same arrays: l[0] is A
    A[1] = x * x                   # refused here (before: at list(t), which has no rule)
    return np.sum(l[0] * l[1])


def appends_beside_a_write(x, a):
    A = a * 1.0
    items = []
    items.append(x * a)            # a new array: the write into A does not touch it
    A[1] = x * x
    items.append(A * 2.0)
    return np.sum(items[0] * items[1])


CASES.append(Case(writes_into_an_item_of_a_tuple_parameter, args(scal(0.5, 1.5), vec(3)), (0, 1)))
CASES.append(Case(reads_an_appended_array_after_a_write, args(scal(0.5, 1.5), vec(3)), (0, 1)))
CASES.append(Case(writes_into_an_item_of_a_helpers_list, args(scal(0.5, 1.5), vec(3)), (0, 1)))
CASES.append(Case(writes_into_a_popped_array, args(scal(0.5, 1.5), vec(3)), (0, 1)))
CASES.append(Case(reads_a_list_of_a_tuple_after_a_write, args(scal(0.5, 1.5), vec(3)), (0, 1)))
CASES.append(Case(appends_beside_a_write, args(scal(0.5, 1.5), vec(3)), (0, 1)))


# Forward substitution (L y = b for lower triangular L) written into a fresh array.  Its
# gradient carries `w` around the loop from a `w = None` before it; reverse over reverse of
# that gradient left the adjoint of the popped `w` unset where the inner loop runs no pass
# (i = 0): None, then `None + float` (issue 17).  Its other second derivatives were refused:
# the gradient's `_t2 = y[j]`, bound again before every read, was taken for a stale view.
def forward_substitution(L, b):
    n = b.shape[0]
    y = np.zeros(n)
    for i in range(n):
        w = b[i]
        for j in range(i):
            w = w - L[i, j] * y[j]
        y[i] = w
    return np.sum(y * y) + y[0]


CASES.append(Case(forward_substitution, args(mat(4, 4), vec(4)), (0, 1)))


# ---- a helper's view of a parameter that a later loop rebinds (issue 17) -------------------
# fuzz campaign seed 0, program 7395: the helper's backward half computed `_t0 = b[0]` again
# from its record, which holds b's last value (the loop's), not the parameter's: a wrong
# gradient.  One assignment names b, but entering the function binds it too.
def _rebinds_its_parameter(b):
    v = b[0] * b
    for i in range(2):
        b = np.sin(v)
    return np.sum(b)


def view_of_a_parameter_rebound_in_a_helpers_loop(a):
    return _rebinds_its_parameter(a)


CASES.append(Case(view_of_a_parameter_rebound_in_a_helpers_loop, args(vec(3)), (0,)))


# A negation taken before a write into its operand: forward mode's `w_dot = -v_dot`, used
# once, was folded into its use after `v_dot[-1] = ...`, which then read the new v_dot
# (issue 17, fuzz program 7465: silent wrong JVP).  Directly and through a helper's write.
def negation_before_a_write(x):
    v = np.sin(x)
    w = -v
    v[-1] = v[-1] * 2.0
    return np.sum(v * w)


def scale_last(b, s):
    b[-1] = b[-1] * s


def negation_before_a_helpers_write(x):
    v = np.arctan(x * x)
    for i in range(3):
        w = -v
        scale_last(v, math.tanh(x[-1]))
        x = np.cos(v) * (0.3 * i - w)
    return np.sum(x * x)


CASES.append(Case(negation_before_a_write, args(vec(4)), (0,)))
CASES.append(Case(negation_before_a_helpers_write, args(vec(4)), (0,)))


# ---- a new array's tangent is an operand's tangent (fuzz_findings N6) -----------------------
# `v = a + 0.0`: the rule's tangent `broadcast_like(a_dot, v)` is a_dot itself; a later write in
# place into v (or into a, or into the operand of a copy like `v2 = v1 + 1.0`) then changed
# both tangents: forward mode was wrong and changed the caller's tangent.
def _triple_last(b):
    b[-1] = b[-1] * 3.0


def new_array_written_shares_no_tangent(a):
    v = a + 0.0
    v[0] = 5.0
    return np.sum(v * a)


def operand_written_after_a_sum(a):
    v1 = np.sin(a)
    v2 = v1 + 1.0
    _triple_last(v1)
    return np.sum(v1 * v2)


def sum_written_after_it_is_made(a):
    v1 = np.sin(a)
    v2 = v1 + 1.0
    v2[0] = 5.0
    return np.sum(v1 * v2)


CASES.append(Case(new_array_written_shares_no_tangent, args(vec(3)), (0,)))
CASES.append(Case(operand_written_after_a_sum, args(vec(3)), (0,)))
CASES.append(Case(sum_written_after_it_is_made, args(vec(3)), (0,)))


# A user's list is not the tape, whatever it is called: the optimiser moved `len(items)` past
# `items.pop()` (and past `_tape.pop()`, a user's list named like the tape), taking it for a
# tape pop, and the VJP read the shorter list's length.
def length_then_pop(x):
    items = [x, 3.0 * x]
    y = len(items) * items.pop()
    return y


def user_list_named_tape(x):
    _tape = [x]
    y = len(_tape) * x
    _tape.append(y)
    z = len(_tape) * _tape.pop()
    return z


CASES.append(Case(length_then_pop, args(scal()), (0,)))
CASES.append(Case(user_list_named_tape, args(scal()), (0,)))


# ---- a swap of arrays by tuple assignment, written in place (issue 17) ---------------------
# fuzz campaign seed 0, program 7621: `v, a = a, v` was taken for a write into "an item of a
# tuple or list" and refused, and the same swap through a temporary (`t = v; v = a; a = t`)
# for a write into "the same array as 'a'": a swap gives neither name a second one.  From
# the second pass on the helper writes into the argument a.
def _reflect(b, s):
    b[1] = s - b[1]
    b[2] = b[2] + s * b[-1]


def swaps_written_arrays(x, a):
    v = a * 1.0
    _reflect(v, np.tanh(x))
    t = (x * v, a @ v)             # new values: no second name for v
    for i in range(3):
        _reflect(v, v[2] / (1.0 + v[2] * v[2]))
        v, a = a, v
        x = x + np.sin(v @ a)
    return x * t[1] + np.sum(t[0] * a)


def swaps_through_a_temporary(x, a):
    v = a * x
    w = a * 1.0
    for i in range(3):
        _reflect(v, np.tanh(w[0]))
        t = v
        v = w
        w = t
    return np.sum(v * w) + x


CASES.append(Case(swaps_written_arrays, args(scal(0.5, 1.5), vec(4)), (0, 1)))
CASES.append(Case(swaps_through_a_temporary, args(scal(0.5, 1.5), vec(3)), (0, 1)))


# ---- an item of a helper's tuple parameter, read only (issue 17) ---------------------------
# `_second_item(t)` returns t's item 1: the helper's summary says so ((t, 1), not "t"), so a
# write into the array at the other item is no write into what it returns.  Was refused as
# "'P' is written here while a view 'r' of it ... is still read".  (A write into A, item 1,
# with r read after it stays refused: test_aliasing.)
def writes_beside_an_item_of_a_tuple_parameter(x, a):
    A = a * 1.0
    P = a * x
    r = _second_item((P, A))       # A itself
    P[1] = x * x                   # P is not r
    t = (P, A * x)
    return np.sum(r * P) + np.sum(_second_item(t) * r)


CASES.append(Case(writes_beside_an_item_of_a_tuple_parameter, args(scal(0.5, 1.5), vec(3)),
                  (0, 1)))


# ---- issue 19: calls and functions as values ---------------------------------------------------
def _total(*xs):
    s = 0.0
    for v in xs:
        s = s + v
    return s


def _scaled_by_keywords(x, **kw):
    return x * kw["scale"] + kw.get("shift", 0.0)


def star_params_in_helpers(x, y):
    return _total(x * y, x, np.sin(y)) + _scaled_by_keywords(x, scale=y)


def _pair_product(a, b):
    return a * b + a


def _keyword_pair(a, b=1.0):
    return a - b * b


def star_in_calls(x, y):
    t = (x, np.cos(y))
    d = {"a": x * y, "b": y}
    return _pair_product(*t) + _keyword_pair(**d)


def zip_star_rows(x):
    rows = [x[:3], x[1:]]
    s = 0.0
    for a, b in zip(*rows):
        s = s + a * b
    return s


def map_a_function(x):
    ys = list(map(np.sin, [x[0], x[1] * x[2]]))
    return sum(map(lambda v: v * v, ys))


def filter_a_list(x):
    vals = [x[0], x[1], x[2] * x[0]]
    kept = list(filter(lambda v: v > -10.0, vals))
    return sum(kept)


def reduce_a_list(x):
    return functools.reduce(lambda a, b: a * b + 1.0, [x[0], x[1], x[2]])


def _affine(x, a, b):
    return a * x + b


def partial_of_a_helper(x, y):
    g = functools.partial(_affine, a=y, b=2.0)
    return g(x) * x


def sorted_with_a_key(x):
    vals = [x[0], x[1], x[2]]
    s = sorted(vals, key=lambda v: v * v)
    return s[0] * 2.0 + s[-1]


def enumerate_and_reversed(x):
    s = 0.0
    for i, v in enumerate(reversed([x[0], x[1] * x[2], x[2]])):
        s = s + (i + 1.0) * v * v
    return s


def sum_with_a_start(x):
    return sum([x[0] * x[1], x[2]], x[0] * 0.5) + sum([x[1]], 1.0)


def min_max_with_a_key(x):
    vals = [x[0], x[1], x[2]]
    return min(vals, key=abs) * max(vals, key=lambda v: v * v)


def _make_scaler(c):
    def scale(v):
        return c * v * v
    return scale


def returned_closure(x, y):
    return _make_scaler(y)(x) + _make_scaler(3.0)(x)


def closures_over_loop_variables(x):
    fs = []
    for k in range(3):
        fs.append(lambda v, k=k: v * (k + 1.0))
    s = 0.0
    for f in fs:
        s = s + f(x) * x
    return s


def lambdas_in_containers(x):
    table = {"sq": lambda v: v * v, "sin": np.sin}
    funcs = [np.cos, lambda v: v * 3.0]
    return table["sq"](x) + table["sin"](x) + funcs[0](x) * funcs[1](x)


def immediately_called_lambda(x):
    return (lambda v: v * v + 1.0)(x) * x


def _layer(x, act=np.tanh):
    return act(x * 2.0)


def function_valued_default(x):
    return np.sum(_layer(x)) + np.sum(_layer(x, act=np.sin))


def _apply(x, act):
    return act(x) * x


def _cubed(v):
    return v * v * v


def callable_arguments(x):
    return _apply(x, np.tanh) + _apply(x, _cubed) + _apply(x, math.sin)


def lambda_as_an_argument(x):
    return _apply(x, lambda v: v + 1.0)


def nested_defs(x):
    def outer(a):
        def inner(b):
            def innermost(c):
                return c * x
            return innermost(b) + b
        return inner(a) * a
    return outer(x * 2.0)


CASES.append(Case(star_in_calls, args(scal(0.5, 1.5), scal(0.5, 1.5)), (0, 1)))
CASES.append(Case(star_params_in_helpers, args(scal(0.5, 1.5), scal(0.5, 1.5)), (0, 1)))
for _fn in (zip_star_rows, map_a_function, filter_a_list, reduce_a_list, sorted_with_a_key,
            enumerate_and_reversed, sum_with_a_start, min_max_with_a_key):
    CASES.append(Case(_fn, args(vec(4, 0.5, 1.5)), (0,)))
for _fn in (partial_of_a_helper, returned_closure):
    CASES.append(Case(_fn, args(scal(0.5, 1.5), scal(0.5, 1.5)), (0, 1)))
for _fn in (immediately_called_lambda, callable_arguments, nested_defs,
            closures_over_loop_variables, lambdas_in_containers, lambda_as_an_argument):
    CASES.append(Case(_fn, args(scal(0.5, 1.5)), (0,)))
CASES.append(Case(function_valued_default, args(vec(3)), (0,)))



# ---- issue 19: functions as values (frontend/function_values.py) ------------------------------
def _softplus(v):
    return np.log1p(np.exp(v))


ACTS = {"tanh": np.tanh, "softplus": _softplus, "square": lambda v: v * v}


def layer_table(x, w):
    h = ACTS["tanh"](w * x)
    act = ACTS["softplus"]
    s = np.sum(act(h) * w)
    for name in ("square", "tanh"):       # a key known only as the loop runs
        s = s + np.sum(ACTS[name](h * x))
    return s


def _rk4_step(f, y, h):
    k1 = f(y)
    k2 = f(y + 0.5 * h * k1)
    k3 = f(y + 0.5 * h * k2)
    k4 = f(y + h * k3)
    return y + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)


def _integrate(f, y0, h=0.1, steps=4):
    y = y0
    for _ in range(steps):
        y = _rk4_step(f, y, h)
    return y


def ode_step_passed_on(y0, k):
    def rhs(y):
        return -k * y + 0.3 * np.sin(y)
    y = _integrate(rhs, y0)
    z = _integrate(lambda v: k * np.cos(v), y0, h=0.05, steps=2)
    return np.sum(y * y) + np.sum(z)


def loss_terms_as_lambdas(p, target):
    terms = [lambda q: np.sum((q - target) ** 2),
             lambda q: 0.1 * np.sum(q ** 2),
             np.linalg.norm]
    weights = [1.0, 0.5, 0.2]
    total = 0.0
    for w, term in zip(weights, terms):
        total = total + w * term(p)
    return total


def make_scaled(a):
    return lambda v: a * v


def closure_factory(x, y):
    double = make_scaled(2.0)
    by_y = make_scaled(y * y)
    scalers = [make_scaled(c) for c in (1.0, y, x)]
    s = double(x) + by_y(x) * make_scaled(x)(y)
    for g in scalers:
        s = s + g(x) * g(y)
    return s


def nested_def_returned(x, c):
    def make_poly(a, b):
        def poly(v):
            return a + b * v + v * v
        return poly
    p = make_poly(c, 2.0 * c)
    q = make_poly(1.0, x)
    y = np.sin(x)          # computed in between: p and q keep their own a and b
    return p(y) * q(c) + p(x)


def partial_passed_on(x, y):
    g = functools.partial(_affine, a=y, b=1.5)
    h = functools.partial(_affine, x, b=0.5)
    return _apply(x, g) + _apply(y, h) + sum(map(g, [x, y]))


def functions_chained_in_a_loop(x):
    fs = [np.sin, lambda v: v * v + 1.0, _cubed]
    fs.append(np.tanh)
    y = x
    for f in fs:
        y = f(y) * 0.9
    return y + fs[1](x) + fs[-1](x)


def function_chosen_by_a_branch(x, y):
    if y > 0.0:
        act = lambda v: v * y
    else:
        act = np.cos
    shifts = {}
    shifts["sin"] = np.sin
    shifts["scaled"] = act
    return act(x) + shifts["scaled"](x * x) * shifts["sin"](y)


def comprehension_of_lambdas(x):
    fs = [lambda v, k=k: v * (k + 1.0) for k in range(3)]
    late = [lambda v: v * k for k in range(3)]     # Python's late binding: k is 2 for each
    return sum(f(x) * x for f in fs) + late[0](x) + late[1](x * x)


CASES.append(Case(layer_table, args(vec(3, -1.0, 1.0), vec(3, -1.0, 1.0)), (0, 1)))
CASES.append(Case(ode_step_passed_on, args(vec(2, 0.2, 1.0), scal(0.5, 1.5)), (0, 1)))
CASES.append(Case(loss_terms_as_lambdas, args(vec(3, 0.5, 1.5), vec(3, -1.0, 0.0)), (0, 1)))
for _fn in (closure_factory, nested_def_returned, partial_passed_on,
            function_chosen_by_a_branch):
    CASES.append(Case(_fn, args(scal(0.5, 1.5), scal(0.5, 1.5)), (0, 1)))
for _fn in (functions_chained_in_a_loop, comprehension_of_lambdas):
    CASES.append(Case(_fn, args(scal(0.5, 1.5)), (0,)))
CASES.append(Case(function_chosen_by_a_branch, args(scal(0.5, 1.5), scal(-1.5, -0.5)), (0, 1),
                  label="function_chosen_by_a_branch_negative"))

# ---- issue 19: statements ------------------------------------------------------------------------
def _squares(xs):
    for v in xs:
        yield v * v


def generator_helper(x):
    s = sum(_squares([x[0], x[1]]))
    t = list(_squares([x[2]]))
    for v in _squares([x[0] * x[1]]):
        s = s + v
    return s + t[0]


def generator_in_and_or(x):
    ok = all(v > -10.0 for v in x) and any(v < 10.0 for v in x)
    return np.sum(x * x) if ok else np.sum(x)


def starred_assignment(x):
    a, *rest = [x[0], x[1], x[2]]
    *init, last = (x[0], x[1], x[2])
    return a * sum(rest) + last * init[0]


def dict_methods(x):
    d = {"a": x[0], "b": x[1] * x[2]}
    s = 0.0
    for k, v in d.items():
        s = s + v * v
    for v in d.values():
        s = s + v
    for k in d.keys():
        s = s + d[k] * x[0]
    return s + d.get("c", 1.0) * d.get("a", 0.0)


def dict_merge_and_comprehension(x):
    a = {"a": x[0], "b": x[1]}
    b = {**a, "c": x[2] * x[0]}
    sq = {k: v * v for k, v in b.items()}
    s = 0.0
    for k in sq:
        s = s + sq[k]
    return s


def raise_guard(x):
    if x < 0:
        raise ValueError("x must be positive")
    return np.sqrt(x) * x


def assert_statement(x):
    assert x > 0, "x must be positive"
    return np.log(x) * x


def with_errstate(x):
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.sum(np.sin(x) / (x * x + 1.0))
    return y * 2.0


_LOG = io.StringIO()


def print_an_fstring(x):
    y = x * x
    print(f"y = {y:.3f}, x = {x!r}", file=_LOG)
    return y * x


def annotated_del_pass(x):
    y: float = x ** 2
    z = y * x
    del y
    if z > 100.0:
        pass
    return z + x


_GAIN = 2.5


def global_read(x):
    global _GAIN
    return x * _GAIN


def try_except_straight(x):
    try:
        y = np.sin(x) * x
    except FloatingPointError:
        y = 0.0 * x
    return y + x


def _stepped_terms(x, n=2):
    # a generator with a branch, a loop and `yield from` another generator
    yield x[0]
    for k in range(1, n):
        if x[k] > 1.0:
            yield x[k] * x[k - 1]
        else:
            yield -x[k]
    yield from _squares([x[0], x[2]])


def generator_consumers(x):
    u = tuple(_stepped_terms(x, n=3))
    a = np.array(list(_stepped_terms(x)))
    total = max(_stepped_terms(x)) + min(_squares(x)) + sorted(_stepped_terms(x))[1]
    for i, v in enumerate(_stepped_terms(x, n=3)):
        total = total + i * v

    def evens(n):
        for k in range(n):
            if k % 2 == 0:
                yield x[k] * 2.0
    return total + np.sum(a * a) + u[1] * u[2] + sum(w * w for w in evens(3))


def _safe_log(v):
    try:
        y = np.log(v)
    except FloatingPointError:
        y = v - 1.0      # log(v) ~ v - 1 near 1: the derivative follows this path where taken
    return y


def try_paths(x):
    with np.errstate(divide="raise", invalid="raise"):
        a = _safe_log(x[0])
        b = _safe_log(x[1] - x[1])          # log(0) raises: the handler's path
    try:
        L = np.linalg.cholesky(np.outer(x, x) + np.eye(3))
        c = np.sum(L)
        assert c > 100.0, "small"           # raises after L and c are assigned
        c = c * 100.0
    except np.linalg.LinAlgError:
        c = 0.0
    except AssertionError as e:
        c = c * x[2] + len(e.args)          # c as the body left it
    else:
        c = c + 1.0
    finally:
        c = c * 2.0
    return a * np.sum(x) + b * x[1] + c


import contextlib      # noqa: E402
import time      # noqa: E402
import warnings      # noqa: E402


def try_in_a_loop(x):
    def scaled_log(v, w=2.0):
        try:
            r = np.log(v) * w
        except FloatingPointError:     # log of a negative number
            r = v * w
        return r
    s = 0.0
    with np.errstate(divide="raise", invalid="raise"):
        for k in range(3):             # each pass takes its own path
            try:
                t = np.sqrt(x[k] - 1.0)
            except FloatingPointError:
                t = x[k] * 0.5
            s = s + t + scaled_log(x[k] - 0.9)
    return s


class _Timer:
    def __init__(self, label):
        self.label = label
        self.elapsed = 0.0

    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.elapsed = time.perf_counter() - self.start
        return False


def context_managers(x):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = np.sin(x) * x
    with _Timer("step") as timer, contextlib.suppress(KeyError):
        z = np.sum(y * y)
    with contextlib.suppress(ZeroDivisionError):
        z = z + 1.0 / (len(x) - 3)          # raises: z keeps its value
        z = z * 100.0
    with contextlib.suppress(ZeroDivisionError):
        z = z + 1.0 / len(x)
    return z + np.sum(y) + 0.0 * len(timer.label)


def del_items(x):
    d = {"a": x[0], "b": x[1] * x[2], "c": x[2]}
    del d["b"]
    lst = [x[0], x[1], x[2] * x[0], x[1] * x[1]]
    del lst[1]
    del lst[1:2]
    s = 0.0
    for k in d:
        s = s + d[k] * d[k]
    return s + lst[0] * lst[1] + len(lst)


for _fn in (generator_in_and_or, starred_assignment, dict_methods,
            dict_merge_and_comprehension, with_errstate, generator_helper,
            generator_consumers, try_paths, try_in_a_loop, context_managers, del_items):
    CASES.append(Case(_fn, args(vec(3, 0.5, 1.5)), (0,)))
for _fn in (raise_guard, assert_statement, print_an_fstring, annotated_del_pass, global_read,
            try_except_straight):
    CASES.append(Case(_fn, args(scal(0.5, 1.5)), (0,)))


def _squares_forever(x):
    while True:
        yield x * x


def generator_taken_by_next(x):
    return next(_squares([x, 2.0 * x]))


def generator_left_early(x):
    s = 0.0
    for v in _squares([x, 2.0 * x]):
        s = s + v
        if s > 1.0:
            break
    return s


def endless_generator(x):
    return sum(_squares_forever(x))


def try_with_a_loop(x):
    try:
        for k in range(3):
            x = np.log(x)
    except FloatingPointError:
        x = 0.0 * x
    return x


def try_that_prints(x):
    try:
        print(x, file=_LOG)
        y = np.log(x)
    except FloatingPointError:
        y = x
    return y


def generator_itself(x):
    yield x * x


def del_of_an_argument_item(x, d):
    del d["a"]
    return x * d["b"]


# Issue 19 programs that stay refused, at the user's line with what to write instead
# (README, "Python supported"): {program: (arguments, words of the message)}; test_errors.
REFUSED_PYTHON = {
    generator_taken_by_next: ((1.0,), "next(...) takes one item"),
    generator_left_early: ((1.0,), "may stop (break or return) before the generator ends"),
    endless_generator: ((1.0,), "a generator that never ends"),
    generator_itself: ((1.0,), "is a generator (it has `yield`): its output is not a value"),
    try_with_a_loop: ((1.0,), "a `try` whose body has a branch, a loop"),
    try_that_prints: ((1.0,), "a call made for its effect in a `try` body"),
    del_of_an_argument_item: ((1.0, {"a": 1.0, "b": 2.0}), "of a container the function did "
                                                             "not make itself"),
}


# -- adjoints updated in place in a loop (reverse_sweep.py, "Updating adjoints in place"): the
# private copy of an adjoint runs once in front of the reverse loop only where it is safe

def adds_into_an_adjoint_in_one_branch(a):
    # the copy is in one arm of a branch: it stays in the loop
    s = 0.0
    for i in range(a.shape[0]):
        if a[i] > 0.0:
            s = s + a[i] * a[i]
    return np.sum(a * s)


def writes_and_rebinds_in_a_loop(x):
    # the loop binds a: its adjoint is handed on every iteration, the copy stays in the loop
    a = x * 1.0
    for i in range(x.shape[0]):
        a[i] = a[i] * 2.0
        a = a + 0.5 * x
    return np.sum(a * a)


def _triple_at(b, i):
    b[i] = b[i] * 3.0


def writes_through_a_helper_in_a_loop(x):
    # the adjoint goes through the helper's backward half every iteration
    a = x * 1.0
    s = 0.0
    for i in range(x.shape[0]):
        s = s + a[i] * x[i]
        _triple_at(a, i)
    return np.sum(a * x) + s


CASES.append(Case(adds_into_an_adjoint_in_one_branch, args(vec(5)), (0,)))
CASES.append(Case(writes_and_rebinds_in_a_loop, args(vec(4)), (0,)))
CASES.append(Case(writes_through_a_helper_in_a_loop, args(vec(4)), (0,)))


def read_before_a_loop_rebinds_it(x):
    # the loop's reversal must put y back: the adjoint of sin, after it, reads y (tape_plan,
    # liveness by position)
    y = x * 1.0
    z = np.sin(y)
    for i in range(3):
        y = y * 0.5 + 1.0
    return np.sum(y + z)


CASES.append(Case(read_before_a_loop_rebinds_it, args(vec(3)), (0,)))


# ---- objects and attributes (issue 19) -------------------------------------------------------
# Methods reading `self`, namedtuples and dataclasses made in the function or given to it (their
# derivatives are objects of the same type: tests/test_objects.py), plain objects' attributes.
from collections import namedtuple      # noqa: E402
from dataclasses import dataclass as _dataclass      # noqa: E402

import s2s_ad as _ad_api      # noqa: E402


class Linear:
    def __init__(self, w, b):
        self.w, self.b = w, b

    def loss(self, x):                    # differentiated as the bound method `m.loss`
        return np.sum((self.w * x + self.b) ** 2)

    @_ad_api.differentiate
    def energy(self, x):                  # `m.energy.grad(x)`: the decorator binds self
        return np.sum(self.w * np.sin(x)) + self.b * np.sum(x ** 2)

    @_ad_api.differentiate
    @staticmethod
    def static_energy(x):
        return np.sum(np.cos(x) * x)

    @classmethod
    @_ad_api.differentiate
    def class_energy(cls, x):
        return cls.SCALE * np.sum(x ** 3)

    SCALE = 0.5


_LINEAR = Linear(np.array([0.5, -1.0, 2.0]), 0.25)
method_reads_self = _LINEAR.loss
decorated_method = _LINEAR.energy
decorated_staticmethod = Linear.static_energy
decorated_classmethod = Linear.class_energy


Point = namedtuple("Point", "a b")


@_dataclass
class Layer:
    w: np.ndarray
    b: float
    name: str = "layer"


def _point_model(p, x):
    return np.sum(p.a * x ** 2 + p.b * x)


def _layer_model(layer, x):
    return np.tanh(layer.w @ x + layer.b)


def namedtuple_params(x, y):
    p = Point(x[0], b=y)                  # made here, read by a helper
    q = Point(a=y[1], b=x)
    return _point_model(p, x) + q.a * np.sum(q.b)


def dataclass_params(W, x):
    layer = Layer(W, b=x[0])
    h = _layer_model(layer, x)
    return np.sum(h ** 2) * layer.b


def records_in_containers(x, y):
    ps = [Point(x, y), Point(y, x * 2.0)]
    table = {"first": Layer(x, 0.5), "second": Layer(y, x[1])}
    total = 0.0
    for p in ps:
        total = total + np.sum(p.a * p.b)
    for key in table:
        total = total + np.sum(table[key].w) * table[key].b
    return total


class _Settings:
    pass


SETTINGS_OBJECT = _Settings()
SETTINGS_OBJECT.gain = 1.5
SETTINGS_OBJECT.offsets = np.array([0.1, -0.2, 0.3])


def plain_object_argument(x, settings):
    # a plain object (no dataclass): its float and array attributes are read as data
    return np.sum(settings.gain * x + settings.offsets) ** 2


def array_attributes_and_methods(A):
    n = A.shape[0] * A.ndim + A.size              # .shape, .ndim, .size in arithmetic
    r = A.real.sum() + A.imag.sum() + A.flat[3] * A.flat[-1]
    s = A.copy().max() + A.astype(float).std() + A.reshape(-1).cumsum().sum()
    t = A.sum(axis=1).dot(A.mean(axis=1, keepdims=True).ravel()[:3])
    u = A.clip(-0.5, 0.5).mean() + A[None].squeeze().swapaxes(0, 1).sum(0).max()
    return n * r + s + t + u


CASES.append(Case(method_reads_self, args(vec(3)), (0,), label="method_reads_self"))
CASES.append(Case(decorated_method, args(vec(3)), (0,), label="decorated_method"))
CASES.append(Case(decorated_staticmethod, args(vec(3)), (0,), label="decorated_staticmethod"))
CASES.append(Case(decorated_classmethod, args(vec(3)), (0,), label="decorated_classmethod"))
CASES.append(Case(namedtuple_params, args(vec(3), vec(3)), (0, 1)))
CASES.append(Case(dataclass_params, args(mat(3, 3), vec(3)), (0, 1)))
CASES.append(Case(records_in_containers, args(vec(3), vec(3)), (0, 1)))
CASES.append(Case(plain_object_argument, args(vec(3), SETTINGS_OBJECT), (0,)))
CASES.append(Case(array_attributes_and_methods, args(mat(3, 4)), (0,)))


def writes_into_an_array_attribute(x):
    layer = Layer(x * 2.0, 1.0)
    layer.w[0] = x[1]                # refused: layer.w is the array layer holds
    return np.sum(layer.w * x)


def writes_into_a_records_field(x):
    a = x * 2.0
    p = Point(a, 1.0)
    a[0] = 5.0                       # refused: p holds a, and p.a is read after
    return np.sum(p.a * x)


CASES.append(Case(writes_into_an_array_attribute, args(vec(3)), (0,)))
CASES.append(Case(writes_into_a_records_field, args(vec(3)), (0,)))


# A gradient with respect to a record taken inside the function: the inner derivative is
# differentiated again through its generated code, which must add a namedtuple's (a
# dataclass's, a tuple's) cotangents field by field: `+` would join two namedtuples into one
# tuple of four, and fails on dataclasses.
def _record_loss(p, x):
    return np.sum(np.tanh(p.a * x) ** 2) * p.b + p.b ** 2


def _layer_loss(layer, x):
    return np.sum(np.sin(layer.w * x) * layer.w) * layer.b + layer.b ** 3


def _pair_loss(p, x):
    return np.sum(np.tanh(p[0] * x) ** 2) * p[1] + p[1] ** 2


_RECORD_LOSS_GRAD = _ad_api.grad(_record_loss)
_LAYER_LOSS_GRAD = _ad_api.grad(_layer_loss)
_PAIR_LOSS_GRAD = _ad_api.grad(_pair_loss)


def gradient_of_a_namedtuple_inside(x, y):
    g = _RECORD_LOSS_GRAD(Point(x * 2.0, y), x)
    return np.sum(g.a * g.a) + g.b * y


def gradient_of_a_dataclass_inside(x, y):
    g = _LAYER_LOSS_GRAD(Layer(x * 2.0, y), x)
    return np.sum(g.w * x) + g.b * g.b


def gradient_of_a_tuple_inside(x, y):
    g = _PAIR_LOSS_GRAD((x * 2.0, y), x)
    return np.sum(g[0] * g[0]) + g[1] * y


for _fn in (gradient_of_a_namedtuple_inside, gradient_of_a_dataclass_inside,
            gradient_of_a_tuple_inside):
    CASES.append(Case(_fn, args(vec(3), scal(0.5, 1.5)), (0, 1)))


# ---- writes into an unread result that is the caller's array ---------------------------------
# The result of a helper that returns its argument, or of `reshape`, is the same memory as the
# argument: a write into it changes the argument even though the result itself is never read.

def _identity(v):
    return v


def writes_into_a_helpers_returned_argument(x, a):
    c = a * 1.0
    r = _identity(c)
    r[0] = 5.0 * x
    return np.sum(c * x)


def writes_into_a_reshaped_view(x, a):
    c = a * 1.0
    r = c.reshape((2, 2))
    r[0, 0] = 5.0 * x
    return np.sum(c * x)


for _fn in (writes_into_a_helpers_returned_argument, writes_into_a_reshaped_view):
    CASES.append(Case(_fn, args(scal(0.5, 1.5), vec(4)), (0, 1)))


# ---- stores into a dict at the keys a loop walks: reverse over reverse ------------------------
# The gradient's backward pass removes the keys the stores added, so the second backward pass
# made the dict's adjoint zero without them (np.add.at into a dict before that: a crash).

def dict_stores_at_walked_keys(x):
    b = {"a": x[0], "b": x[1] * x[2]}
    m = {"a": x[2] * 1.0}
    for k in b:
        m[k] = b[k] * b[k] + x[0]
    return m["a"] * m["b"] + x[2] * m["a"]


def dict_of_arrays_stored_at_walked_keys(x):
    b = {"u": x * x, "v": np.sin(x)}
    m = {"u": x * 1.0}
    for k in b:
        m[k] = b[k] * x[0]
    return np.sum(m["u"] * m["v"])


for _fn in (dict_stores_at_walked_keys, dict_of_arrays_stored_at_walked_keys):
    CASES.append(Case(_fn, args(vec(3, 0.5, 1.5)), (0,)))


# ---- scipy.special: likelihoods and a Bessel-function model ---------------------------------
# Written as a statistician would; each special function's derivative is itself made of special
# functions (digamma, zeta, Bessel functions of neighbouring orders), so the Hessians
# differentiate those again.  (Imported here, next to the programs that use it.)

from scipy import special  # noqa: E402

_SURVIVAL_TIMES = np.array([0.8, 2.3, 1.1, 4.0, 3.2])
_CENSORED = np.array([False, True, False, True, False])


def censored_gamma_loglik(scale, shape):
    """Gamma(shape, scale) survival times, some censored: an observed time contributes its log
    density, a censored one the log of the survival function, the regularized upper
    incomplete gamma function (differentiable in the time scale, not in `shape`)."""
    z = _SURVIVAL_TIMES / scale
    log_pdf = special.xlogy(shape - 1.0, z) - z - special.gammaln(shape) - np.log(scale)
    log_sf = np.log(special.gammaincc(2.5, z))
    return np.sum(np.where(_CENSORED, log_sf, log_pdf)) + special.gammainc(2.5, scale)


def beta_binomial_loglik(a, b):
    """Successes out of 10 trials with a Beta(a, b) success rate, through the log-Beta
    function and the Beta function itself."""
    k = np.array([3.0, 7.0, 5.0, 1.0])
    return np.sum(special.betaln(k + a, 10.0 - k + b)) - 4.0 * special.betaln(a, b) \
        + special.beta(a, b) * special.multigammaln(a + 2.0, 3)


def beta_bin_masses(edges):
    """The log mass a Beta(2, 3) rate puts in each bin between sorted edges in (0, 1)."""
    mass = special.betainc(2.0, 3.0, edges[1:]) - special.betainc(2.0, 3.0, edges[:-1])
    return np.sum(np.log(mass)) + np.sum(special.xlog1py(edges, -edges))


def membrane_modes_fit(k, amp, r):
    """Least squares of a drum's radial profile by Bessel modes amp_n J_n(k r), with a Y term
    and the modified functions of an evanescent part."""
    y = np.exp(-r) * np.cos(3.0 * r)
    kr = k * r
    pred = amp[0] * special.j0(kr) + amp[1] * special.j1(kr) + amp[2] * special.jv(2.5, kr) \
        + 0.1 * special.yn(1, kr + 1.0) + 0.1 * special.iv(1.0, 0.5 * kr) * special.i0e(kr) \
        + 0.1 * special.k1e(kr + 0.5)
    return np.sum((pred - y) ** 2)


def probit_loglik(w, x):
    """Probit regression: log Phi(+-x @ w) through log_ndtr, which stays finite far in the
    tails, and a KL penalty pulling exp(w) towards 1."""
    y = np.array([1.0, 0.0, 1.0, 1.0, 0.0])
    z = (2.0 * y - 1.0) * (x @ w)
    return np.sum(special.log_ndtr(z)) - np.sum(special.kl_div(np.exp(w), 1.0))


def von_mises_nll(mu, kappa, theta):
    """Negative log-likelihood of angles under a von Mises(mu, kappa): log I0(kappa) is
    log(i0e(kappa)) + kappa, which does not overflow."""
    log_norm = np.log(2.0 * np.pi) + np.log(special.i0e(kappa)) + kappa
    return np.sum(log_norm - kappa * np.cos(theta - mu))


def weighted_mixture_loglik(means, weights, x):
    """A Gaussian mixture's log-likelihood: logsumexp with the (unnormalised) weights as b."""
    logp = -0.5 * (x[:, None] - means) ** 2 - 0.9189385332046727
    return np.sum(special.logsumexp(logp, axis=1, b=weights / np.sum(weights)))


def signed_log_sum(a, c):
    """log|sum(c * exp(a))| along columns and its sign, used together."""
    r, sign = special.logsumexp(a, axis=0, b=c, return_sign=True)
    return np.sum(r * sign) + np.sum(special.logsumexp(a, b=np.abs(c), keepdims=True))


CASES.append(Case(censored_gamma_loglik, args(scal(1.0, 3.0), scal(1.5, 3.0)), (0, 1)))
CASES.append(Case(beta_binomial_loglik, args(scal(0.8, 3.0), scal(0.8, 3.0)), (0, 1)))
CASES.append(Case(beta_bin_masses, lambda rng: (np.sort(rng.uniform(0.1, 0.9, 4)),), (0,)))
CASES.append(Case(membrane_modes_fit, args(scal(1.0, 2.0), vec(3, -1.0, 1.0),
                                           vec(5, 0.2, 2.0)), (0, 1, 2)))
CASES.append(Case(probit_loglik, args(vec(3), mat(5, 3, -2.0, 2.0)), (0, 1)))
CASES.append(Case(von_mises_nll, args(scal(-1.0, 1.0), scal(0.5, 4.0), vec(6, -3.0, 3.0)),
                  (0, 1)))
CASES.append(Case(weighted_mixture_loglik, args(vec(3), vec(3, 0.5, 2.0), vec(5)), (0, 1)))
CASES.append(Case(signed_log_sum, lambda rng: (rng.uniform(-1.0, 1.0, (3, 4)),
                                               rng.uniform(0.5, 2.0, (3, 4))
                                               * np.array([1.0, -1.0, 1.0, -1.0])), (0, 1)))

# ---- rules written once (registry.defelementwise, deflinear, defbilinear) ---------------------
# Shape functions whose JVP is the function itself and whose VJP is their transpose (or
# themselves: flip, swapaxes, triu), and math functions that share NumPy's rules or state a
# partial derivative of their own: every mode through the rules the helpers make.

def linear_shape_functions(x):
    a = np.reshape(x, (2, 3))
    b = np.flip(np.swapaxes(a, 0, 1), 0)
    c = np.triu(np.tile(b, (1, 2))[:, :3], 1)
    parts = np.split(np.ravel(c), 3)
    d = np.rot90(a) * np.tanh(np.roll(a.T, 1, 0))
    return np.sum(np.sin(parts[0]) * parts[2]) + np.sum(np.diag(c) ** 2) + np.sum(d)


def math_written_once(x, y):
    s = math.tanh(x) * math.atan2(y, x) + math.hypot(x, y) + math.log2(y) * math.cbrt(x)
    return s + math.fmod(x, 0.7) * math.asinh(y) - math.exp(x) / math.acosh(1.0 + y)


CASES.append(Case(linear_shape_functions, args(vec(6)), (0,)))
CASES.append(Case(math_written_once, args(scal(0.5, 1.5), scal(0.5, 2.0)), (0, 1)))


# ---- issue 20, NumPy: the rule surface autograd and JAX cover ---------------------------------
def einsum_of_many_operands(m, v):
    ring = np.einsum("ij,jk,kl,lm,mi->", m, m.T, m, m.T, m)      # five operands
    chain = np.einsum("i,ij,jk,kl,lm,m->", v, m, m.T, m, m.T, v, optimize=True)
    stretched = np.einsum("...i,...i->...", m[None], v[None, :3])     # size-1 axes broadcast
    return ring + chain + np.sum(stretched ** 2)


def matrix_norms(m):
    return (np.linalg.norm(m, np.inf) + np.linalg.norm(m, 1) + np.linalg.norm(m, -np.inf)
            + np.linalg.norm(m, 2) + np.linalg.norm(m, "nuc") + np.linalg.norm(m, -2)
            + np.sum(np.linalg.norm(m[:, None, :] * m[:, :, None], 1, axis=(0, 2))))


def named_linalg_results(m):
    s = m @ m.T + 3.0 * np.eye(3)
    eigh = np.linalg.eigh(s)
    svd = np.linalg.svd(m, full_matrices=False)
    return (np.sum(eigh.eigenvalues ** 2) + np.sum(eigh.eigenvectors[:, 0] ** 2 * svd.S[0])
            + np.linalg.slogdet(s).logabsdet + np.sum(np.linalg.qr(m).R ** 2))


def puts_along_axis(x, v):
    y = x * 1.0
    np.put_along_axis(y, np.array([[2], [0], [1]]), v[:, None] * x[:, :1], axis=1)
    z = np.ravel(y) * 1.0
    np.put_along_axis(z, np.array([0, 5]), np.sin(v[:2]), None)
    return np.sum(z ** 2 * np.ravel(x))


def svd_and_qr_forms(m):
    r = np.linalg.qr(m, mode="r")
    return (np.sum(r ** 3) + np.sum(np.linalg.svd(m, compute_uv=False) ** 3)
            + np.sum(np.linalg.svd(m[:3])[1]))


CASES.append(Case(einsum_of_many_operands, args(mat(3, 3), vec(3)), (0, 1)))
CASES.append(Case(matrix_norms, args(mat(3, 4)), (0,), tol=1e-5))
CASES.append(Case(named_linalg_results, args(mat(3, 3)), (0,), tol=1e-5))
CASES.append(Case(puts_along_axis, args(mat(3, 3), vec(3)), (0, 1)))
CASES.append(Case(svd_and_qr_forms, args(mat(4, 3)), (0,), tol=1e-5))


def appends_and_differences(x, m):
    longer = np.append(x, x[:2] * 3.0)
    rows = np.append(m, m[:1] ** 2, axis=0)
    slope = np.gradient(longer, 0.5)
    dy, dx = np.gradient(rows, 2.0, np.array([0.0, 0.5, 1.5]), edge_order=2)
    near_real = np.real_if_close(longer + 0j)
    return np.sum(slope ** 2 + near_real) + np.sum(dy * dx) + np.sum(np.gradient(m, axis=1) ** 3)


CASES.append(Case(appends_and_differences, args(vec(4), mat(3, 3)), (0, 1)))


def eigen_decomposition(m):
    w, v = np.linalg.eig(m)              # complex for a real matrix with a rotation in it
    lead = np.linalg.eig(m).eigenvectors[:, 0]
    return (np.sum(np.real(w * np.conj(w))) + np.real(np.sum(v[0] ** 2))
            + np.sum(np.abs(lead) ** 3) + np.real(np.prod(np.linalg.eigvals(m))))


def rotation_and_scale(rng):
    """A real 3x3 matrix with one real and two complex eigenvalues, all distinct."""
    c, s = math.cos(0.7), math.sin(0.7)
    base = np.array([[1.5 * c, -1.5 * s, 0.0], [1.5 * s, 1.5 * c, 0.0], [0.0, 0.0, 0.6]])
    return base + rng.uniform(-0.1, 0.1, size=(3, 3))


CASES.append(Case(eigen_decomposition, args(rotation_and_scale), (0,), tol=1e-5))


def eigenvectors_and_values(m):
    w, v = np.linalg.eigh(m + m.T)       # reverse over reverse adds a named tuple's adjoints
    return np.sum(v[0] ** 2 * w) + np.sum(np.linalg.svd(m, full_matrices=False).U[:, 0] ** 2)


CASES.append(Case(eigenvectors_and_values, args(spd(3)), (0,), tol=1e-5))


def least_squares(a, b):
    x, residuals, rank, s = np.linalg.lstsq(a, b, rcond=None)
    fit = np.linalg.lstsq(a, np.stack([b, b ** 2], 1))[0]
    return np.sum(x ** 2) + residuals[0] + np.sum(s) + np.sum(fit * fit[:, ::-1])


CASES.append(Case(least_squares, args(mat(5, 3), vec(5)), (0, 1), tol=1e-5))


PHASES = np.exp(1j * np.array([[0.3, -1.1, 2.0], [0.7, 0.1, -0.4]]))


def real_through_complex_products(x, m):
    """A real argument gets a real gradient (the real part) through every product."""
    y = (np.dot(PHASES, x) + np.tensordot(PHASES, m, 1)[:, 0] + np.inner(PHASES, x)
         + np.einsum("ij,jk->i", PHASES, m) + np.outer(PHASES[0], x)[:2, 0]
         + np.kron(PHASES[1], x)[:2] + np.vdot(PHASES[0], x))
    return np.sum(np.abs(y) ** 2)


CASES.append(Case(real_through_complex_products, args(vec(3), mat(3, 2)), (0, 1)))


def softened_cube(z, k=1.0):
    return k * z ** 3


def piecewise_pieces(x):
    y = np.piecewise(x, [x < -0.5, x > 0.5], [lambda z: z ** 2, softened_cube, np.sin])
    ramp = np.piecewise(x * 2.0, (x < 0,), (-1.0, lambda z: np.exp(z)))
    scaled = np.piecewise(x, [x < 0], [softened_cube, lambda z, k: z * k], 2.0)
    return np.sum(y * ramp) + np.sum(scaled ** 2)


CASES.append(Case(piecewise_pieces, args(vec(6, -1.0, 1.0)), (0,)))


def qr_of_a_wide_matrix(m):
    q, r = np.linalg.qr(m.T)             # 3 x 4: A = Q [R1 R2]
    return np.sum(q[:, 0] * r[0, 1:]) + np.sum(r ** 2) + np.sum(np.linalg.qr(m.T, mode="r"))


CASES.append(Case(qr_of_a_wide_matrix, args(mat(4, 3)), (0,), tol=1e-5))


def piecewise_of_a_number(s):
    return np.piecewise(s, [s < 0], [lambda z: z ** 3, np.sin]) * 2.0 + s


CASES.append(Case(piecewise_of_a_number, args(scal(-1.0, 1.0)), (0,)))


def interp_with_edge_values(x, lo, hi):
    """np.interp's left and right values are differentiated where x falls outside xp."""
    xp = np.array([-0.5, 0.0, 0.5])
    return np.sum(np.interp(x, xp, x[:3] ** 2, lo * 2.0, right=hi) ** 2)


CASES.append(Case(interp_with_edge_values, args(vec(5, -1.0, 1.0), scal(), scal()), (0, 1, 2)))


def histogram_centres(x, edges):
    """The edges np.histogram returns move with min(x) and max(x), or are the bins given."""
    counts, spread = np.histogram(x, bins=4)
    centres = 0.5 * (spread[1:] + spread[:-1])
    given = np.histogram(x, edges)[1]
    return np.sum(counts * centres ** 2) + spread[-1] * 2.0 + np.sum(given ** 3)


def increasing(n):
    return lambda rng: np.sort(rng.uniform(-2.0, 2.0, n)) + np.arange(n) * 0.1


CASES.append(Case(histogram_centres, args(vec(7), increasing(4)), (0, 1)))


def spectra_and_singular_values(m):
    power = np.abs(np.fft.fftshift(np.fft.fft2(m))) ** 2
    back = np.real(np.fft.ifftn(np.fft.fftn(m, axes=(0,)) * 1j, axes=(0,)))
    pairs = np.linalg.vecdot(m, m[::-1]) + np.sum(np.linalg.outer(m[0], m[1]))
    pairs = pairs + np.linalg.cross(m[:, :3], m[::-1, 1:]) @ np.linalg.diagonal(m[:, :3])
    pairs = pairs + np.sum(np.linalg.tensordot(m, np.linalg.matrix_transpose(m), axes=1))
    return (np.sum(power[:2]) + np.sum(back * m) + np.sum(pairs ** 2)
            + np.sum(np.linalg.svdvals(np.linalg.matmul(m, m.T))))


CASES.append(Case(spectra_and_singular_values, args(mat(3, 4)), (0,), tol=1e-5))


# ---- scipy.stats log-likelihoods, written as user code (issue 20) ----------------------------
import scipy.stats      # noqa: E402
from scipy.stats import norm      # noqa: E402

_Y = np.array([0.3, -1.2, 0.8, 2.1, -0.4])
_X = np.array([[1.0, 0.2], [1.0, -1.1], [1.0, 0.5], [1.0, 1.7], [1.0, -0.3]])
_COUNTS = np.array([1.0, 0.0, 2.0, 5.0, 1.0])


def gaussian_nll(mu, log_sigma):
    return -np.sum(norm.logpdf(_Y, loc=mu, scale=np.exp(log_sigma)))


def student_t_regression_nll(w, log_scale):
    return -np.sum(scipy.stats.t.logpdf(_Y, 4.0, loc=_X @ w, scale=np.exp(log_scale)))


def poisson_regression_nll(w):
    return -np.sum(scipy.stats.poisson.logpmf(_COUNTS, np.exp(_X @ w)))


def gaussian_with_a_learnt_covariance(m, a):
    cov = a @ a.T + np.eye(2)
    return np.sum(scipy.stats.multivariate_normal.logpdf(_X, mean=m, cov=cov))


CASES.append(Case(gaussian_nll, args(scal(-1.0, 1.0), scal(-0.5, 0.5)), (0, 1)))
CASES.append(Case(student_t_regression_nll, args(vec(2, -1.0, 1.0), scal(-0.5, 0.5)), (0, 1)))
CASES.append(Case(poisson_regression_nll, args(vec(2, -0.5, 0.5)), (0,)))
CASES.append(Case(gaussian_with_a_learnt_covariance, args(vec(2), mat(2, 2)), (0, 1)))


# ---- scipy.linalg: matrix exponential, factorisations reused, Sylvester, banded systems ----
# Written as a user would: the factor tuples of cho_factor and lu_factor are unpacked, packed
# again and passed on; lu_factor's factor is reused by every step of a loop.

import scipy.linalg as sla      # noqa: E402


def linear_ode_misfit(rates, y0):
    """y' = A y solved exactly, y(t) = expm(t A) y0, against observations at three times."""
    a = np.array([[-rates[0], 1.0], [-1.0, -rates[1]]])
    misfit = 0.0
    for k, t in enumerate((0.5, 1.0, 2.0)):
        y = sla.expm(t * a) @ y0
        misfit = misfit + np.sum((y - np.cos(t + k)) ** 2)
    return misfit


def gp_negative_log_likelihood(log_scales, x, y):
    """A Gaussian process: kernel from two log scales, Cholesky factor, solve and log det."""
    d = x[:, None] - x[None, :]
    k = np.exp(2.0 * log_scales[0]) * np.exp(-0.5 * d * d / np.exp(2.0 * log_scales[1]))
    k = k + 0.1 * np.eye(len(x))
    c, lower = sla.cho_factor(k, lower=True)
    alpha = sla.cho_solve((c, lower), y)
    return 0.5 * np.dot(y, alpha) + np.sum(np.log(np.diag(c)))


def implicit_euler(a, y0):
    """(I - h A) y_next = y: one LU factor for every step."""
    factor = sla.lu_factor(np.eye(len(y0)) - 0.1 * a)
    y = y0
    for _ in range(4):
        y = sla.lu_solve(factor, y)
    return np.sum(y * y)


def lyapunov_and_root(a, q):
    """A X + X A^T = Q solved for X, and the square root of an SPD matrix made from it."""
    x = sla.solve_sylvester(a, a.T, q)
    root = sla.sqrtm(x @ x.T + np.eye(len(q)))
    return np.sum(root) + np.sum(x * x)


def tridiagonal_poisson(k, f):
    """-(k u')' = f on a grid: a tridiagonal system in SciPy's banded storage."""
    n = len(f)
    main = k[:-1] + k[1:]
    ab = np.zeros((3, n))
    ab[0, 1:] = -k[1:-1]
    ab[1] = main
    ab[2, :-1] = -k[1:-1]
    u = sla.solve_banded((1, 1), ab, f)
    return np.sum(u * f)


def stable(n):
    """A matrix whose eigenvalues have negative real parts, so A X + X A^T = Q is solvable."""
    return lambda rng: rng.uniform(-0.5, 0.5, (n, n)) - 2.0 * np.eye(n)


CASES.append(Case(linear_ode_misfit, args(vec(2, 0.2, 1.0), vec(2)), (0, 1), tol=1e-5))
CASES.append(Case(gp_negative_log_likelihood, args(vec(2, -0.5, 0.5), vec(5), vec(5)),
                  (0, 1, 2), tol=1e-5))
CASES.append(Case(implicit_euler, args(mat(3, 3), vec(3)), (0, 1)))
CASES.append(Case(lyapunov_and_root, args(stable(3), spd(3)), (0, 1), tol=1e-5))
CASES.append(Case(tridiagonal_poisson, args(vec(6, 0.5, 2.0), vec(5)), (0, 1)))


# ---- written from algorithm descriptions: a Kalman filter, a GRU, velocity Verlet, a mixture,
# the Thomas algorithm, Black-Scholes, label smoothing, Newton's method ----------------------


# Kalman filter log-likelihood of a 1-D random walk observed with noise
def _predict(m, P, F, Q):
    return F @ m, F @ P @ F.T + Q


def _update(m, P, y, H, R):
    S = H @ P @ H.T + R
    K = P @ H.T @ np.linalg.inv(S)
    resid = y - H @ m
    m = m + K @ resid
    P = (np.eye(len(m)) - K @ H) @ P
    sign, logdet = np.linalg.slogdet(S)
    ll = -0.5 * (resid @ np.linalg.solve(S, resid) + logdet + len(y) * math.log(2 * math.pi))
    return m, P, ll


def kalman_loglik(q, ys, r=0.5):
    F = np.array([[1.0, 1.0], [0.0, 1.0]])
    H = np.array([[1.0, 0.0]])
    Q = q * q * np.eye(2)
    R = np.array([[r]])
    m, P = np.zeros(2), np.eye(2)
    total = 0.0
    for t in range(ys.shape[0]):
        m, P = _predict(m, P, F, Q)
        m, P, ll = _update(m, P, ys[t:t + 1], H, R=R)
        total += ll
    return total


# A GRU unrolled over a short sequence, parameters in a dict
def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _gru_step(params, h, x):
    z = _sigmoid(params["Wz"] @ x + params["Uz"] @ h)
    r = _sigmoid(params["Wr"] @ x + params["Ur"] @ h)
    cand = np.tanh(params["Wh"] @ x + params["Uh"] @ (r * h))
    return (1 - z) * h + z * cand


def gru_loss(W, xs):
    n = 3
    params = {"Wz": W[:n, :2], "Uz": W[:n, 2:5], "Wr": W[n:2 * n, :2], "Ur": W[n:2 * n, 2:5],
              "Wh": W[2 * n:, :2], "Uh": W[2 * n:, 2:5]}
    h = np.zeros(n)
    outs = []
    for x in xs:
        h = _gru_step(params, h, x)
        outs.append(h.sum())
    return sum(o * o for o in outs) / len(outs)


# velocity Verlet for a few particles with pairwise soft springs, in place
def _forces(pos, k=1.0, soft=0.1):
    n = pos.shape[0]
    f = np.zeros_like(pos)
    for i in range(n):
        for j in range(i + 1, n):
            d = pos[i] - pos[j]
            r = np.sqrt(np.dot(d, d) + soft * soft)
            fij = -k * (r - 1.0) * d / r
            f[i] += fij
            f[j] -= fij
    return f


def verlet_energy(pos0, vel0, dt=0.05, steps=4):
    pos = pos0.copy()
    vel = vel0.copy()
    acc = _forces(pos)
    for _ in range(steps):
        pos += dt * vel + 0.5 * dt * dt * acc
        new_acc = _forces(pos, k=1.0)
        vel += 0.5 * dt * (acc + new_acc)
        acc = new_acc
    return 0.5 * np.sum(vel ** 2) + np.sum(pos[:, 0] ** 2)


# Gaussian mixture negative log-likelihood
def gmm_nll(means, data, log_w=np.array([0.1, -0.3, 0.2]), sigma=0.7):
    logits = log_w - special.logsumexp(log_w)
    d = data[:, None] - means[None, :]
    comp = -0.5 * (d / sigma) ** 2 - math.log(sigma * math.sqrt(2 * math.pi))
    return -np.sum(special.logsumexp(comp + logits[None, :], axis=1))


# Thomas algorithm for a tridiagonal system (1-D Poisson with a coefficient)
def _thomas(a, b, c, d):
    n = len(d)
    cp = np.zeros(n)
    dp = np.zeros(n)
    cp[0] = c[0] / b[0]
    dp[0] = d[0] / b[0]
    for i in range(1, n):
        m = b[i] - a[i] * cp[i - 1]
        cp[i] = c[i] / m if i < n - 1 else 0.0
        dp[i] = (d[i] - a[i] * dp[i - 1]) / m
    x = np.zeros(n)
    x[-1] = dp[-1]
    for i in range(n - 2, -1, -1):
        x[i] = dp[i] - cp[i] * x[i + 1]
    return x


def poisson_1d(kappa, f):
    n = len(f)
    k = 1.0 + kappa ** 2
    a = np.concatenate([[0.0], -k[1:]])
    c = np.concatenate([-k[:-1], [0.0]])
    b = 2.0 * k + 0.1
    u = _thomas(a, b, c, f)
    return np.sum(u * f) / n


# Black-Scholes price of a small book, a branch inside the helper
def _norm_cdf(z):
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def _price(spot, strike, vol, t, rate=0.01, kind="call"):
    d1 = (math.log(spot / strike) + (rate + 0.5 * vol * vol) * t) / (vol * math.sqrt(t))
    d2 = d1 - vol * math.sqrt(t)
    if kind == "call":
        return spot * _norm_cdf(d1) - strike * math.exp(-rate * t) * _norm_cdf(d2)
    return strike * math.exp(-rate * t) * _norm_cdf(-d2) - spot * _norm_cdf(-d1)


def book_value(spot, vol):
    strikes = [90.0, 100.0, 110.0]
    total = 0.0
    for i, k in enumerate(strikes):
        kind = "put" if i % 2 else "call"
        total += _price(spot, k, vol, t=0.5 + 0.25 * i, kind=kind)
    return total


# Label-smoothed cross-entropy with a max-shifted log-softmax
def smoothed_xent(logits, labels=np.array([0, 2, 1, 2]), eps=0.1):
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    logp = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    k = logits.shape[1]
    target = np.full(logits.shape, eps / k)
    target[np.arange(len(labels)), labels] += 1.0 - eps
    return -np.mean(np.sum(target * logp, axis=1))


# Newton's method for a cube root, unrolled: derivative through the iterations
def cube_root_newton(a, iters=6):
    x = max(a, 1.0)
    for _ in range(iters):
        x = x - (x ** 3 - a) / (3.0 * x * x)
    return x


def _series(rng):
    return np.cumsum(rng.normal(size=5))


CASES.append(Case(kalman_loglik, args(scal(0.3, 1.0), _series), wrt=(0, 1)))
CASES.append(Case(gru_loss, args(mat(9, 5, -0.5, 0.5), mat(4, 2)), tol=1e-5))
CASES.append(Case(verlet_energy, args(mat(3, 2), mat(3, 2, -0.3, 0.3)), wrt=(0, 1), tol=1e-5))
CASES.append(Case(gmm_nll, args(vec(3), vec(6)), wrt=(0, 1)))
CASES.append(Case(poisson_1d, args(vec(6), vec(6)), wrt=(0, 1)))
CASES.append(Case(book_value, args(scal(80.0, 120.0), scal(0.1, 0.4)), wrt=(0, 1), tol=1e-5))
CASES.append(Case(smoothed_xent, args(mat(4, 3, -2, 2))))
CASES.append(Case(cube_root_newton, args(scal(2.0, 9.0))))


# ---- written from algorithm descriptions (2): an MLP over namedtuple layers, a fixed point with
# break, a hand-written interpolation search, recursive Horner, power iteration, logistic
# regression with an options dict, an explicit heat rod, attention ------------------------------
DenseLayer = namedtuple("DenseLayer", "W b")


def _dense(layer, h, act="tanh"):
    z = layer.W @ h + layer.b
    if act == "tanh":
        return np.tanh(z)
    elif act == "relu":
        return np.maximum(z, 0.0)
    return z


def mlp_regression(W1, W2, xs, ys=np.array([0.3, -0.2, 0.5, 0.1])):
    layers = [DenseLayer(W1, np.full(4, 0.1)), DenseLayer(W2, np.zeros(1))]
    loss = 0.0
    for x, y in zip(xs, ys):
        h = x
        for depth, layer in enumerate(layers):
            h = _dense(layer, h, act="tanh" if depth < len(layers) - 1 else "linear")
        loss += (h[0] - y) ** 2
    return loss / len(ys)


# fixed-point iteration with a tolerance: a while loop with break
def fixed_point_cos(a, tol=1e-12, max_iter=200):
    x = 0.5
    it = 0
    while True:
        x_new = math.cos(a * x)
        it += 1
        if abs(x_new - x) < tol or it >= max_iter:
            break
        x = x_new
    return x_new


# piecewise-linear interpolation written by hand with a search loop
def _locate(grid, t):
    lo = 0
    while lo < len(grid) - 2 and grid[lo + 1] <= t:
        lo += 1
    return lo


def hand_interp(values, ts, grid=np.linspace(0.0, 1.0, 5)):
    total = 0.0
    for t in ts:
        i = _locate(grid, t)
        w = (t - grid[i]) / (grid[i + 1] - grid[i])
        total += (1 - w) * values[i] + w * values[i + 1]
    return total


# recursive evaluation of a polynomial (Horner, recursion on the tail)
def _horner(coeffs, x):
    if len(coeffs) == 1:
        return coeffs[0]
    return coeffs[0] + x * _horner(coeffs[1:], x)


def horner_recursive(coeffs, x):
    return _horner(coeffs, x) + _horner(coeffs[::-1], 0.5 * x)


# power iteration for the dominant eigenvalue, normalising in place
def power_iteration(A, steps=8):
    v = np.ones(A.shape[0])
    for _ in range(steps):
        w = A @ v
        v = w / np.linalg.norm(w)
    return v @ A @ v


# logistic regression with an L2 penalty given as a keyword and a dict of options
def logreg_loss(w, X, y=np.array([1.0, 0.0, 1.0, 1.0, 0.0]), opts={"l2": 0.1, "fit_bias": True}):
    z = X @ w[:-1]
    if opts["fit_bias"]:
        z = z + w[-1]
    p = 1.0 / (1.0 + np.exp(-z))
    eps = 1e-9
    nll = -np.mean(y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps))
    return nll + opts["l2"] * np.sum(w[:-1] ** 2)


# a 1-D heat equation with explicit steps, writing the interior in place
def heat_rod(u0, kappa, steps=5, dt=0.1):
    u = u0.copy()
    for _ in range(steps):
        lap = np.zeros_like(u)
        lap[1:-1] = u[:-2] - 2 * u[1:-1] + u[2:]
        u[1:-1] += dt * kappa * lap[1:-1]
    return np.sum(u ** 2)


# softmax attention over a short sequence
def attention(Q, K, V):
    scores = Q @ K.T / math.sqrt(Q.shape[1])
    scores = scores - scores.max(axis=1, keepdims=True)
    weights = np.exp(scores)
    weights /= weights.sum(axis=1, keepdims=True)
    return np.sum((weights @ V) ** 2)


CASES.append(Case(mlp_regression, args(mat(4, 3, -0.5, 0.5), mat(1, 4, -0.5, 0.5), mat(4, 3)), wrt=(0, 1)))
CASES.append(Case(fixed_point_cos, args(scal(0.2, 0.9))))
CASES.append(Case(hand_interp, args(vec(5), vec(4, 0.05, 0.95)), wrt=(0, 1)))
CASES.append(Case(horner_recursive, args(vec(4), scal()), wrt=(0, 1)))
CASES.append(Case(power_iteration, args(spd(3))))
CASES.append(Case(logreg_loss, args(vec(4, -0.5, 0.5), mat(5, 3))))
CASES.append(Case(heat_rod, args(vec(6), scal(0.2, 0.8)), wrt=(0, 1)))
CASES.append(Case(attention, args(mat(3, 4), mat(5, 4), mat(5, 2)), wrt=(0, 1, 2)))


# ---- written from algorithm descriptions (3): an HMM's forward algorithm, RK4 with the right-hand
# side passed as a function, 1-D finite elements, a planar arm, PCA, a hand-written convolution,
# gradient descent unrolled ---------------------------------------------------------------------
# HMM forward algorithm in log space
def hmm_loglik(log_T, log_e, obs=(0, 1, 1, 0, 1)):
    n = log_T.shape[0]
    alpha = np.full(n, -math.log(n)) + log_e[:, obs[0]]
    for o in obs[1:]:
        alpha = special.logsumexp(alpha[:, None] + log_T, axis=0) + log_e[:, o]
    return special.logsumexp(alpha)


# RK4 with the right-hand side passed as a function
def _lotka(state, a, b):
    x, y = state
    return np.array([a * x - b * x * y, b * x * y - 0.8 * y])


def _rk4(f, s, h, a, b):
    k1 = f(s, a, b)
    k2 = f(s + 0.5 * h * k1, a, b)
    k3 = f(s + 0.5 * h * k2, a, b)
    k4 = f(s + h * k3, a, b)
    return s + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)


def lotka_rk4(a, b, steps=6):
    s = np.array([1.0, 0.5])
    for _ in range(steps):
        s = _rk4(_lotka, s, 0.1, a, b)
    return s[0] * s[1]


# 1-D finite elements: assemble a stiffness matrix with np.add.at, then solve
def fem_compliance(k_el, load):
    n_el = len(k_el)
    K = np.zeros((n_el + 1, n_el + 1))
    for e in range(n_el):
        idx = np.array([e, e + 1])
        ke = k_el[e] * np.array([[1.0, -1.0], [-1.0, 1.0]])
        np.add.at(K, (idx[:, None], idx[None, :]), ke)
    K_free = K[1:, 1:]
    u = np.linalg.solve(K_free, load)
    return load @ u


# planar arm forward kinematics: accumulated angles
def arm_reach(angles, lengths=np.array([1.0, 0.8, 0.5])):
    x = y = 0.0
    theta = 0.0
    for a, length in zip(angles, lengths):
        theta += a
        x += length * math.cos(theta)
        y += length * math.sin(theta)
    return (x - 1.2) ** 2 + (y - 0.9) ** 2


# PCA reconstruction error with eigh, the top k components
def pca_error(X, k=2):
    Xc = X - X.mean(axis=0)
    C = Xc.T @ Xc / (X.shape[0] - 1)
    w, V = np.linalg.eigh(C)
    top = V[:, -k:]
    recon = Xc @ top @ top.T
    return np.sum((Xc - recon) ** 2)


# a 2-D convolution by hand (valid mode), a ReLU and mean pooling
def conv_relu_pool(img, kernel):
    kh, kw = kernel.shape
    H, W = img.shape[0] - kh + 1, img.shape[1] - kw + 1
    out = np.zeros((H, W))
    for i in range(H):
        for j in range(W):
            out[i, j] = np.sum(img[i:i + kh, j:j + kw] * kernel)
    act = np.where(out > 0, out, 0.01 * out)
    return act.reshape(H // 2, 2, W // 2, 2).mean(axis=(1, 3)).sum()


# gradient descent unrolled on a quadratic: differentiate the result w.r.t. the step
def unrolled_gd(lr, A, b, steps=5):
    x = np.zeros(len(b))
    for _ in range(steps):
        grad = A @ x - b
        x = x - lr * grad
    return 0.5 * x @ A @ x - b @ x


def _log_T(rng):
    return np.log(rng.dirichlet(np.ones(3), size=3))


def _log_e(rng):
    return np.log(rng.dirichlet(np.ones(2), size=3))


CASES.append(Case(hmm_loglik, lambda rng: (_log_T(rng), _log_e(rng)), wrt=(0, 1)))
CASES.append(Case(lotka_rk4, args(scal(0.8, 1.2), scal(0.3, 0.6)), wrt=(0, 1)))
CASES.append(Case(fem_compliance, args(vec(4, 1.0, 2.0), vec(4)), wrt=(0, 1)))
CASES.append(Case(arm_reach, args(vec(3, -1.0, 1.0))))
CASES.append(Case(pca_error, args(mat(6, 3))))
CASES.append(Case(conv_relu_pool, args(mat(6, 6), mat(3, 3)), wrt=(0, 1)))
CASES.append(Case(unrolled_gd, args(scal(0.05, 0.2), spd(3), vec(3)), wrt=(0, 1, 2)))


# portfolio: compounded returns with cumprod, a drawdown-like penalty
def portfolio_value(weights, returns):
    w = np.exp(weights) / np.sum(np.exp(weights))
    port = returns @ w
    growth = np.cumprod(1.0 + port)
    peak = np.maximum.accumulate(growth)
    return growth[-1] - 0.5 * np.mean((peak - growth) ** 2)


CASES.append(Case(portfolio_value, args(vec(3, -0.5, 0.5), mat(5, 3, -0.05, 0.05)), wrt=(0, 1)))


# ---- grids, polynomials and convolutions, written as user code (issue 20) ------------------
import scipy.fft      # noqa: E402
import scipy.signal      # noqa: E402


SMOOTHING = 0.1


def polynomial_fit_loss(coeffs, x, y):
    """Least-squares misfit of a polynomial through (x, y) plus a curvature penalty, with the
    design matrix built by np.vander and the penalty by np.polyder / np.polyint."""
    design = np.vander(x, len(coeffs))
    misfit = np.linalg.multi_dot([design.T, design, coeffs]) - design.T @ y
    curvature = np.polyder(coeffs, m=2)
    area = np.polyint(np.polymul(curvature, curvature))
    penalty = np.polyval(area, 1.0) - np.polyval(area, -1.0)
    grown = np.polyadd(coeffs, np.polysub(curvature, coeffs[:2]))
    return np.sum(misfit ** 2) + SMOOTHING * penalty + 0.01 * np.sum(grown ** 2)


def conv_layer(image, kernel, bias):
    """A 2-D convolution layer (valid and same modes) with a DCT-domain energy term."""
    hidden = np.tanh(scipy.signal.convolve2d(image, kernel, mode="valid") + bias)
    echo = scipy.signal.correlate2d(image, kernel, mode="same")
    spectrum = scipy.fft.dctn(hidden, norm="ortho")
    pooled = np.delete(np.cumulative_sum(hidden, axis=1), 0, axis=0)
    framed = np.block([[hidden, np.ones((len(hidden), 1))],
                       [np.zeros((1, hidden.shape[1])), kernel[:1, :1]]])
    decay = np.linalg.matrix_norm(kernel) ** 2 + np.sum(np.linalg.vector_norm(framed, axis=1))
    return np.sum(spectrum[:2, :2] ** 2) + np.mean(echo * image) + np.sum(pooled) * 0.1 + decay


def meshgrid_potential(centres, charges):
    """The potential of point charges on a grid from np.meshgrid, summed by the trapezoid rule."""
    xs = np.linspace(-1.0, 1.0, 5)
    gx, gy = np.meshgrid(xs * 0.5, xs, indexing="xy")
    phi = 0.0
    for k in range(len(charges)):
        dx, dy = np.broadcast_arrays(gx - centres[k, 0], gy - centres[k, 1])
        phi = phi + charges[k] / np.sqrt(dx ** 2 + dy ** 2 + 0.3)
    rows = np.trapezoid(phi, xs, axis=1)
    frac, whole = np.modf(rows * 3.0)
    return np.trapezoid(rows, xs) + np.sum(frac ** 2)


CASES.append(Case(polynomial_fit_loss, args(vec(4), vec(6), vec(6)), (0, 1, 2), tol=1e-5))
CASES.append(Case(conv_layer, args(mat(5, 6), mat(2, 3), scal()), (0, 1, 2), tol=1e-5))
CASES.append(Case(meshgrid_potential, args(mat(2, 2, 1.5, 2.0), vec(2)), (0, 1), tol=1e-5))


# ---- scipy.linalg's everyday functions and frozen distributions (issue 20) --------------------
# SciPy's defaults differ from NumPy's: cholesky gives the upper factor unless lower=True,
# solve(assume_a="pos") reads the upper triangle.  A frozen distribution is used as users do.

_NEW = np.array([-0.7, 0.4])


def _rbf(x, z, scale, length=1.0):
    d = x[:, None] - z[None, :]
    return scale * np.exp(-0.5 * (d / length) ** 2)


def gp_marginal_likelihood(log_params, x, y):
    """GP evidence through SciPy's Cholesky factor, and the predictive variance at new points."""
    scale = np.exp(log_params[0])
    noise = np.exp(log_params[2])
    k = _rbf(x, x, scale, length=np.exp(log_params[1])) + noise * np.eye(len(x))
    low = sla.cholesky(k, lower=True)
    alpha = sla.cho_solve((low, True), y)
    fit = 0.5 * np.dot(y, alpha) + np.sum(np.log(np.diag(low)))
    v = sla.solve_triangular(low, _rbf(x, _NEW, scale, np.exp(log_params[1])), lower=True)
    upper = sla.cholesky(k)
    return fit + np.sum(scale - np.sum(v * v, axis=0)) + 0.1 * np.sum(upper * upper)


def scipy_linalg_everyday(a, b):
    """solve, inv, det, qr, svd, eigh and eigvalsh of scipy.linalg, their results unpacked."""
    s = a @ a.T + np.eye(len(b))
    x = sla.solve(s, b, assume_a="pos")
    q, r = sla.qr(a, mode="economic")
    u, sv, vh = sla.svd(a, full_matrices=False)
    w = sla.eigh(s, eigvals_only=True)
    total = np.sum(x * b) + np.log(sla.det(s)) + np.sum(np.diag(r) ** 2) + np.sum(sv ** 3)
    return total + np.sum(np.log(w)) + np.sum(sla.inv(s)) + np.sum(sla.eigvalsh(s, lower=False))


def bayesian_regression_log_posterior(w, log_noise):
    """A prior and a likelihood as frozen distributions, the noise scale learnt."""
    prior = scipy.stats.norm(0.0, 2.0)
    likelihood = norm(loc=_X @ w, scale=np.exp(log_noise))
    log_p = np.sum(prior.logpdf(w)) + np.sum(likelihood.logpdf(_Y))
    log_p = log_p + scipy.stats.gamma(2.0, scale=0.5).logpdf(np.exp(log_noise))
    for k in range(2):
        log_p = log_p + scipy.stats.gumbel_r(loc=w[k]).logcdf(_Y[k])
    return -log_p


CASES.append(Case(gp_marginal_likelihood, args(vec(3, -0.5, 0.5), vec(5), vec(5)), (0, 1, 2),
                  tol=1e-5))
CASES.append(Case(scipy_linalg_everyday, args(mat(3, 4), vec(3)), (0, 1), tol=1e-5))
CASES.append(Case(bayesian_regression_log_posterior, args(vec(2, -1.0, 1.0), scal(-0.5, 0.5)),
                  (0, 1)))


# ---- adjoints of loop kernels (issue 23) ------------------------------------------------------

def update_with_a_repeated_index(x):
    """`x[i] -= ...` keeps its adjoint's part (optimize/clears.py); x[j] is that part once."""
    x = x.copy()
    n = x.shape[0]
    for i in range(n):
        for j in range(n):
            x[i] -= 0.3 * x[j] * x[j]
    return np.sum(x * x)


def complex_turn(rows, angle):
    """Complex values inside, a real result: its cotangents are not all real."""
    total = 0.0
    for i in range(rows.shape[0]):
        z = rows[i, 0] * (1j * angle) + rows[i, 1]
        total = total + np.real(z * z)
    return total


def rows_through_a_complex_helper(m):
    """The caller's values are real, but not those of the function it calls (real_calls.py):
    the helper's cotangent of `rows[i, 0]` is the real part of a complex one."""
    n = m.shape[0]
    out = np.zeros(n)
    for i in range(n):
        out[i] = complex_turn(m, 0.3 * i) * out[i - 1] + m[i, 1]
    return np.sum(out * np.arange(1, n + 1))


CASES.append(Case(update_with_a_repeated_index, args(vec(3, -0.5, 0.5)), (0,)))
CASES.append(Case(rows_through_a_complex_helper, args(mat(3, 2)), (0,)))


# ---- objects: attributes assigned and methods called (issue 19) ---------------------------------
# Attributes assigned (`self.h = ...`, `state.x += ...`: a new version of the object, the caller's
# left as it was) and methods called on objects whose class is known when the code is made (an
# argument's, an object made here): `self.predict(x)` is Ridge.predict(self, x).
class RNNCell:
    def __init__(self, W, U):
        self.W, self.U = W, U
        self.h = None

    def run(self, xs, h0):
        self.h = h0
        for x in xs:
            self.h = np.tanh(self.W @ self.h + self.U @ x)
        return np.sum(self.h ** 2)


_RNN_CELL = RNNCell(np.array([[0.5, -0.3], [0.2, 0.4]]), np.array([[1.0, 0.5, -0.5], [0.3, -1.0, 0.2]]))
rnn_cell_method = _RNN_CELL.run


@_dataclass
class SpringState:
    x: np.ndarray
    v: np.ndarray

    def energy(self, k):
        return 0.5 * np.sum(self.v ** 2) + k * np.sum(1.0 - np.cos(self.x))


def simulate_state_object(x0, v0, k=2.0, dt=0.1):
    state = SpringState(x0, v0)
    for _ in range(4):
        state.v = state.v - dt * k * np.sin(state.x)
        state.x = state.x + dt * state.v
    return state.energy(k) + np.sum(state.x * v0)


class Ridge:
    def __init__(self, W, lam):
        self.W, self.lam = W, lam

    def predict(self, x):
        return np.tanh(self.W @ x)

    def penalty(self):
        return self.lam * np.sum(self.W ** 2)

    @staticmethod
    def squared(r):
        return r ** 2

    @property
    def weight(self):
        return 1.0 + self.lam

    def loss(self, x, y):
        return self.weight * np.sum(self.squared(self.predict(x) - y)) + self.penalty()


class Tracker:
    def __init__(self):
        self.total, self.count = 0.5, 0


_RIDGE = Ridge(np.array([[0.5, -1.0, 0.3], [0.2, 0.4, -0.6]]), 0.1)
ridge_loss_method = _RIDGE.loss


def model_argument_methods(x, y, model):
    return model.loss(x, y) * model.predict(x)[0]


def tracker_argument_updated(x, tracker):
    tracker.total = tracker.total + np.sum(x ** 2)
    tracker.count += 1
    if tracker.total > 1.0:
        tracker.total = np.sqrt(tracker.total)
    return tracker.total * tracker.count


CASES.append(Case(rnn_cell_method, args(mat(3, 3), vec(2)), (0, 1), label="rnn_cell_method"))
CASES.append(Case(simulate_state_object, args(vec(3), vec(3)), (0, 1)))
CASES.append(Case(ridge_loss_method, args(vec(3), vec(2)), (0, 1), label="ridge_loss_method"))
CASES.append(Case(model_argument_methods, args(vec(3), vec(2), _RIDGE), (0, 1)))
CASES.append(Case(tracker_argument_updated, lambda rng: (rng.uniform(-2, 2, 3), Tracker()), (0,)))


# ---- issue 19: `*args` and `**kwargs` parameters (frontend/variadic.py) -----------------------

def star_sum_of_squares(*xs):
    """Differentiated itself: its code has a parameter per argument (xs_0, xs_1, xs_2)."""
    return sum(np.sum(x * x) for x in xs)


def star_loss(w, *data, scale=1.5, **opts):
    total = 0.0
    for x in data:
        total = total + np.sum(np.tanh(w * x) ** 2)
    return scale * total + opts.get("reg", 0.1) * np.sum(w * w)


def _mean_of(*parts, **options):
    total = 0.0
    for p in parts:
        total = total + p
    return options.get("scale", 1.0) * total / len(parts) + options.get("shift", 0.0)


def star_helpers_forwarding(x, y):
    """`*args` and `**kwargs` of helpers: a count and keys per call site."""
    first = _mean_of(x, y * y, scale=x)
    second = _mean_of(np.sin(y), x, x * y, shift=y, scale=2.0)
    return star_loss(x, y, scale=first) * second


_CALLS = []


def _counted(fn):
    """A decorator as people write them: it records the call and passes everything on."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        _CALLS.append(fn.__name__)
        return fn(*args, **kwargs)
    return wrapper


@_counted
def _damped(x, rate=0.5):
    return x * np.exp(-rate * x)


@_counted
def decorated_with_wraps(x, r):
    """A functools.wraps decorator on the function differentiated and on its helper."""
    return np.sum(_damped(x, rate=r)) + _damped(r) * _damped(r * x[0])



def _pair_plus(a, b, c=1.0):
    return a * b + c


def _first_scaled(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(2.0 * args[0], *args[1:], **kwargs)
    return wrapper


@_first_scaled
def _scaled_power(x, y, k=1.0):
    return x * y ** k


def spreads_of_known_length(x, y):
    """`*` and `**` of displays written in the call, slices of them, and `(*t, z)`."""
    t = (x, y)
    u = (*t, x * y)
    s = _pair_plus(*(x, y)) + _pair_plus(*u[1:]) + _pair_plus(x, **{"b": y, "c": x})
    return s + sum((*u, 2.0)) + _scaled_power(x, y, k=2.0) + _scaled_power(y, *t[:1])


CASES.append(Case(star_sum_of_squares, args(vec(3), scal(), mat(2, 2)), (0, 1, 2)))
CASES.append(Case(star_loss, args(vec(3), vec(3), vec(3)), (0, 1, 2)))
CASES.append(Case(star_helpers_forwarding, args(scal(0.5, 1.5), scal(0.5, 1.5)), (0, 1)))
CASES.append(Case(decorated_with_wraps, args(vec(3, 0.2, 1.5), scal(0.2, 1.0)), (0, 1)))
CASES.append(Case(spreads_of_known_length, args(scal(0.5, 1.5), scal(0.5, 1.5)), (0, 1)))
