"""Functions called in the ways users call them (tests/test_code_that_runs.py): methods,
defaulted parameters, *args."""
import numpy as np


class Model:
    def __init__(self):
        self.w = 2.0

    def loss(self, x):
        return x * x * 3.0

    def weighted(self, x):
        return self.w * x * x

    def weight_first(self, x):
        w = self.w
        return w * x

    def walks_items(self, x):
        total = x
        for v in self.items:
            total = total * v
        return total


def with_default(x, k=2.0):
    return k * x ** 3


def with_array_default(x, w=np.array([1.0, 2.0])):
    return np.sum(w * x ** 2)


def star(*args):
    return args[0] * args[1]


def returns_nothing(x):
    x * x


def returns_bool(x):
    return x > 1.0


def returns_complex(x):
    return x * 1j


def _square(v):
    return v * v


SQUARES = {"first": _square}


def calls_through_a_dict(x):
    return SQUARES["first"](x) + x


def calls_through_an_argument(x, table):
    return table["first"](x) + x
