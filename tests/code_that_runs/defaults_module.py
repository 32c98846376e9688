"""Functions whose defaults Python evaluated once, at `def` (tests/test_code_that_runs.py)."""
import numpy as np

K = 2.0


def helper(x, k=K):              # k is 2.0 for good: K is rebound below
    return x * k


def uses_global_default(x):
    return helper(x) * x


K = 5.0

CALLS = []


def _noted(value):
    CALLS.append(value)
    return value


def noted_default(x, k=_noted(3.0)):     # the default's side effect runs once, at import
    return x * k


def uses_noted_default(x):
    return noted_default(x) + x


WEIGHTS = np.array([1.0, 2.0])


def weighted(x, w=WEIGHTS):
    return np.sum(x * w)


def uses_array_default(x):
    return weighted(x) * 2.0


def scaled_top_level(x, k=K):            # a top-level default: 5.0
    return x * x * k


def local_default_rebound(x):
    s = 3.0
    def inner(v, k=s):                   # k is 3.0: s is rebound after the def
        return v * k
    s = 10.0
    return inner(x) + s


def lambdas_made_in_a_loop(x):
    total = 0.0
    for k in range(3):
        term = lambda v, k=k: v * v * k      # noqa: E731 (each keeps its own k)
        total = total + term(x)
    return total


def calls_lambdas_made_in_a_loop(x):
    return lambdas_made_in_a_loop(x) * 2.0


def lambdas_in_a_list(x):
    fs = [lambda v, k=k: v * k for k in range(3)]
    return fs[2](x) + fs[1](x)
