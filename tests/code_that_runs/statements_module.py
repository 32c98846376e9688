"""eval, exec and assert in a differentiated function (tests/test_code_that_runs.py)."""


def uses_eval(x):
    return eval("x * x")


def uses_exec(x):
    scope = {"x": x}
    exec("y = x * x", scope)
    return x


def with_assert(x):
    assert x > 0, "x must be positive"
    return x * x


def calls_with_assert(x):
    return with_assert(x) * 2.0
