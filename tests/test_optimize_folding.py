"""fold_constants (optimize/folding.py): constant arithmetic, signs and unit factors folded
where the value and its type stay the same."""
import pytest

from s2s_ad.backend import optimize

from optimize_cases import lines, run


def test_fold_constants():
    out = run(optimize.fold_constants, """
        def f(x, y):
            a = x ** (2 - 1)
            b = 1 * y + 0
            c = y * 1.0
            return a + -b + c
        """)
    assert out == ("def f(x, y):\n    a = x\n    b = y\n    c = y * 1.0\n"
                   "    return a - b + c\n")   # 1.0 is not folded: it may turn an int into a float


def test_fold_moves_negations_into_subtractions_and_updates_in_place():
    out = run(optimize.fold_constants, """
        def f(a, b, c, x_bar, lst):
            x_bar[:-1] += -(b * c)
            x_bar[1:] = x_bar[1:] - b * -c
            lst[0] = lst[0] + b
            return a + -b * c
        """)
    assert out == ("def f(a, b, c, x_bar, lst):\n    x_bar[:-1] -= b * c\n"
                   "    x_bar[1:] += b * c\n    lst[0] = lst[0] + b\n    return a - b * c\n")


@pytest.mark.parametrize("text, expected", [
    ("a = 2 * (1.0 * x)", "a = 2.0 * x"),                    # 1.0 turns an int x into a float
    ("a = 1.0 * np.sin(x)", "a = np.sin(x)"),                # a float, and a new array anyway
    ("a = 1.0 * y", "a = 1.0 * y"),                          # a: a new array, not y itself
    ("a = (1.0 * y) * x", "a = y * x"),                      # an operand: the product is new
    ("a = -1.0 * y / x", "a = -y / x"),
    ("a = 1.0 * x", "a = 1.0 * x"),                          # x may be an int array
    ("a += 1.0 * y", "a += y"),
    ("a = 1.0 * (x / z)", "a = x / z"),                      # true division gives floats
    ("a = 2 * np.sin(x)", "a = 2.0 * np.sin(x)"),            # float times float is faster
    ("a = 1 - np.sin(x)", "a = 1.0 - np.sin(x)"),
    ("a = 2 * x", "a = 2 * x"),                              # x may be an int array
    ("a = 1.0 * np.sum(np.sin(x))", "a = np.sum(np.sin(x))"),  # a sum of floats is a float
    ("a = 1.0 * np.sum(x)", "a = 1.0 * np.sum(x)"),
])
def test_a_unit_factor_goes_only_where_exact_and_unshared(text, expected):
    out = run(optimize.fold_constants, f"""
        def f(x):
            y = np.exp(x)
            {text}
            return a
        """)
    assert out.splitlines()[2].strip() == expected


@pytest.mark.parametrize("text, expected", [
    ("a = 200.0 * x * 2", "a = 400.0 * x"),      # scaling by a power of two is exact
    ("a = 3 * (x * 5)", "a = 3 * (x * 5)"),      # x may be a float: (0.1 * 5) * 3 != 0.1 * 15
    ("a = 4 * (x * 5)", "a = 20 * x"),           # a power of two: exact
    ("a = 0.5 * (x * 0.1)", "a = 0.05 * x"),
    ("a = 0.1 * x * 3.0", "a = 0.1 * x * 3.0"),  # (0.1 * x) * 3.0 may round differently
    ("a = -(2.0 * x)", "a = -2.0 * x"),           # signs go into constants and cancel
    ("a = -(-x * 2.0)", "a = x * 2.0"),
    ("a = -x * -2.0", "a = x * 2.0"),
    ("a = 2 * (-(x * y) * z)", "a = -2 * (x * y * z)"),
    ("a = 2.0 * (x * y * 0.1 * z)", "a = x * y * 0.2 * z"),   # anywhere in a chain
    ("a = (x * 0.5 * y * z) * 4.0", "a = 2.0 * x * y * z"),
    ("a = 3.0 * (x * y * 0.1 * z)", "a = 3.0 * (x * y * 0.1 * z)"),
    ("a = 0.1 * (x * y * 2.0 * z)", "a = 0.1 * (x * y * 2.0 * z)"),  # 0.1 would move past z
    ("a = 2.0 * (x * y * 0.5 * z)", "a = x * y * 1.0 * z"),   # x may be an int: 1.0 stays
])
def test_constant_factors_merge_only_where_exact(text, expected):
    out = run(optimize.fold_constants, f"""
        def f(x):
            {text}
            return a
        """)
    assert out.splitlines()[1].strip() == expected


@pytest.mark.parametrize("text, expected", [
    ("a = x if None is 1e309 or None == 1e309 else y", "a = y"),
    ("a = x if None is None or None == 'fro' else y", "a = x"),
    ("a = x if -1 is None else y", "a = y"),
    ("a = x if 'fro' == 'fro' else y", "a = x"),
    ("a = x if 2 is not None and z else y", "a = x if z else y"),
    ("a = x if z is None else y", "a = x if z is None else y"),     # z is not known
    # solve_triangular's and lu_solve's trans, as the rules test it
    ("a = x if 0 in (1, 'T', 'C') else y", "a = y"),
    ("a = x if 'T' in (1, 'T', 'C') else y", "a = x"),
    ("a = x if not (0 in (2, 'C') and z) else y", "a = x"),
    ("a = x if 2 not in (2, 'C') else y", "a = y"),
    ("a = x if z in (1, 'T') else y", "a = x if z in (1, 'T') else y"),
])
def test_a_rules_options_fold_once_given(text, expected):
    out = run(optimize.fold_constants, f"""
        def f(x, y, z):
            {text}
            return a
        """)
    assert out.splitlines()[1].strip() == expected


@pytest.mark.parametrize("before, after", [
    ("a = x * 1 + 0", "a = x"),
    ("a = x + x", "a = 2 * x"),
    ("a = 2 ** 3 - 1", "a = 7"),
    ("a = True and x", "a = x"),
    ("a = x if 1 < 2 else y", "a = x"),
    ("a = -(-x)", "a = x"),
])
def test_before_and_after(before, after):
    assert lines(optimize.fold_constants, f"""
        def f(x, y):
            {before}
            return a
        """)[0] == after


def test_an_objects_field_read_by_the_runtime_prints_as_the_read():
    # the tangent of `layer.b` is `_ad.attribute(layer_dot, 'b')`: it reads as layer_dot.b;
    # names the analysis reads as something else than a field stay calls
    out = run(optimize.fold_constants, """
        def f(layer_dot, a):
            t = _ad.attribute(layer_dot, 'b') + _ad.attribute(layer_dot + a, 'w')
            u = _ad.attribute(a, 'T') + _ad.attribute(a, 'shape') + _ad.attribute(a, 'class')
            return t + u
        """)
    assert "t = layer_dot.b + (layer_dot + a).w" in out
    assert "_ad.attribute(a, 'T')" in out and "_ad.attribute(a, 'shape')" in out
    assert "_ad.attribute(a, 'class')" in out
