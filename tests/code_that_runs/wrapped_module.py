"""Functions behind decorators written with functools.wraps (tests/test_code_that_runs.py):
the wrapper's body runs, so it is what is differentiated."""
import functools

import numpy as np


def doubling(fn):
    @functools.wraps(fn)
    def wrapper(x):
        return 2.0 * fn(x)
    return wrapper


def rescaling(fn):
    @functools.wraps(fn)
    def wrapper(x, scale=3.0):
        return fn(x * scale)
    return wrapper


def passing_on(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)
    return wrapper


@doubling
def sq(x):
    return x * x


@rescaling
def cube_sum(x):
    return np.sum(x ** 3)


def calls_sq(x):
    return sq(x) + x


@passing_on
def passed(x):
    return x * x
