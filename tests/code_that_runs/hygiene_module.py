"""Functions whose names and strings look like code to a careless generator (tests/
test_code_that_runs.py): nothing here may run as code in a derivative."""
RAN = []


def __comment__(text):        # the name of the generator's old comment marker
    return 1.0


def commented(x):
    __comment__("x')\nRAN.append('comment'); ('")
    return x * x


def _doubled(g):
    return 2.0 * g


_doubled.__name__ = "RAN.append('name') or _doubled"


def triple(x):
    return x * 3.0


def uses_triple(x):
    return triple(x) * x


def loop_with_builtin_names(x, reversed, len, range, list):   # noqa: A002 (on purpose)
    y = x
    for k in [0, 1]:
        y = y * x
    return y


def generated_names(x, scale, _tape):     # a name our generated code uses for itself
    total = 0.0
    for k in [1.0, 2.0]:
        total = total + scale * k * x * _tape
    return total


def reserved_name(x, _ad):               # the runtime's own name: refused
    return _ad * x * x
