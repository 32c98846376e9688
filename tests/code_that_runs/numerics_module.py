"""Functions whose derivative at a point divides by zero where the function does not
(tests/test_code_that_runs.py): the derivative follows NumPy (inf), never raises."""
import math

import numpy as np


def np_root(x):
    return np.sqrt(x)


def math_root(x):
    return math.sqrt(x)


def half_power(x):
    return x ** 0.5


def polynomial(x, c):
    total = 0.0
    for k in range(c.shape[0]):
        total = total + c[k] * x ** k        # k = 0 and k = 1 at x = 0: finite
    return total


def arcsine(x):
    return math.asin(x)
