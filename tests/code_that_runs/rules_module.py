"""Functions given derivative rules (tests/test_code_that_runs.py)."""
import numpy as np


def rounding(x):
    return np.round(x)


def rounds_twice(x):
    return rounding(x) * 2.0


def scaled_round(x, k):
    return np.round(x) * k


def uses_scaled_round(x, k):
    return scaled_round(x, k)


def late(x):
    return np.round(x) * x


def uses_late(x):
    return late(x) + x


def straight_through(g, ans, x):
    return g


def straight_through_jvp(t, ans, x):
    return t
