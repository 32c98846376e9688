"""Each optimisation pass on its own: a snippet in, the expected text out."""
import textwrap

import gast
import numpy as np
import pytest
import s2s_ad as ad
from s2s_ad.backend import optimize
from s2s_ad.backend.codegen import to_source

from programs import CASES, SHIFT_INVARIANT


def run(pass_, text, keep=()):
    tree = gast.parse(textwrap.dedent(text))
    node = pass_(tree.body[0], frozenset(keep))
    return to_source(node)


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


def test_propagate_copies():
    out = run(optimize.propagate_copies, """
        def f(x_bar, y):
            a_bar = x_bar
            b = a_bar * y
            return b
        """)
    assert out == "def f(x_bar, y):\n    b = x_bar * y\n    return b\n"


def test_copy_is_kept_when_the_source_changes_in_between():
    text = """
        def f(x, y):
            a = x
            x = y
            return a
        """
    assert "a = x" in run(optimize.propagate_copies, text)


def test_fuse_temporaries():
    out = run(optimize.fuse_temporaries, """
        def f(x, c, y):
            _t1 = y * x
            y_1 = _t1 + c
            y = y_1
            return y
        """, keep={"x", "c", "y"})
    assert out == "def f(x, c, y):\n    y = y * x + c\n    return y\n"


def test_fusion_stops_at_a_write_to_an_operand():
    text = """
        def f(x, _tape):
            _t1 = x * 2.0
            x = _tape.pop()
            return _t1
        """
    assert "_t1 = x * 2.0" in run(optimize.fuse_temporaries, text)


def test_fusion_stops_at_an_in_place_write():
    text = """
        def f(a):
            _t1 = a[0] * 2.0
            a[0] = 5.0
            return _t1
        """
    assert "_t1 = a[0] * 2.0" in run(optimize.fuse_temporaries, text)


def test_eliminate_dead_code_keeps_effects():
    out = run(optimize.eliminate_dead_code, """
        def f(x, _tape):
            unused = x * 2.0
            print(x)
            _tape.append(x)
            # a comment with nothing under it
            return x
        """)
    assert "unused" not in out and "print(x)" in out and "_tape.append(x)" in out


def square_sum(x):
    y = x * x
    return y + 1.0


def test_optimize_can_be_switched_off():
    from s2s_ad.transforms.pipeline import build
    on = ad.source(square_sum, "grad", optimize=True)
    off = ad.source(square_sum, "grad", optimize=False)
    assert len(off.splitlines()) > len(on.splitlines())
    assert build(square_sum, "grad", ["x"], arg_kinds=None, optimize=False).function(3.0) == 6.0
    assert build(square_sum, "grad", ["x"], arg_kinds=None, optimize=True).function(3.0) == 6.0


def test_iterate_directly():
    out = run(optimize.iterate_directly, """
        def f(x, xs):
            _t0 = len(xs)
            for _i in range(_t0):
                c = xs[_i]
                x = x * c
            return x
        """)
    assert out == "def f(x, xs):\n    for c in xs:\n        x = x * c\n    return x\n"


def test_iterate_directly_keeps_an_index_that_is_needed():
    needed_later = """
        def f(x, xs):
            _t0 = len(xs)
            for _i in range(_t0):
                c = xs[_i]
                x = x * c
            for _i in reversed(range(_t0)):
                x = x + 1.0
            return x
        """
    changed_inside = """
        def f(x, xs):
            _t0 = len(xs)
            for _i in range(_t0):
                c = xs[_i]
                xs.append(c)
            return x
        """
    user_index = """
        def f(x, xs):
            n = len(xs)
            for i in range(n):
                c = xs[i]
                x = x * c
            return x
        """
    assert "range(_t0)" in run(optimize.iterate_directly, needed_later).split("reversed")[0]
    assert "range(_t0)" in run(optimize.iterate_directly, changed_inside)
    assert "range(n)" in run(optimize.iterate_directly, user_index, keep={"i", "n"})


# -- uniform adjoints: the cotangent of np.sum(x) stays one scalar while elementwise rules
# carry it, and is spread to x's shape wherever a rule or a loop needs the array -----------

A = np.linspace(-0.9, 1.3, 6).reshape(2, 3)
V = np.array([0.3, -0.7, 1.1])


def sum_only(x):
    return np.sum(x)


def sum_of_shifted(x):
    return np.sum(x + 1.0)


def broadcast_row(x, v):
    return np.sum(x * v)


def scaled_by_float(a, x):
    return np.sum(a * np.sin(x))


def strided(x):
    return np.sum(np.sin(x)[:, ::2])


def through_matmul(x, v):
    return np.sum(np.tanh(x) @ v)


def loop_before_sum(x):
    y = x
    for i in range(3):
        y = y * 1.5 + np.sin(y)
    return np.sum(y)


def branch_before_sum(x, v):
    if np.sum(v) > 0:
        y = x * x
    else:
        y = x
    return np.sum(y * 2.0)


def sum_is_used_twice(x):
    s = np.sum(x * x)
    return s * np.sum(x) + s


def softmax_denominator(x):
    return np.sum(np.log(np.sum(np.exp(x), axis=1, keepdims=True)))


def sum_of_rows_without_keepdims(x, v):
    return np.sum(np.sum(x * x, axis=0) * v)


def mean_squared(x, v):
    return np.mean((x - v) ** 2)


def mean_over_columns(x):
    return np.sum(np.mean(np.sin(x), axis=-1) ** 2)


def rows_times_column(x):
    s = np.sum(x, axis=1, keepdims=True)
    return np.sum(np.cos(s) * x)


UNIFORM_CASES = [(softmax_denominator, (A,)), (sum_of_rows_without_keepdims, (A, V)),
                 (mean_squared, (A, V)), (mean_over_columns, (A,)), (rows_times_column, (A,)),
                 (sum_only, (A,)), (sum_of_shifted, (A,)), (broadcast_row, (A, V)),
                 (scaled_by_float, (0.7, A)), (strided, (A,)), (through_matmul, (A, V)),
                 (loop_before_sum, (A,)), (branch_before_sum, (A, V)), (sum_is_used_twice, (A,))]


def numerical_gradient(f, args, i, eps=1e-6):
    x = np.array(args[i], dtype=float)
    grad = np.zeros_like(x)
    for index in np.ndindex(*x.shape):
        up, down = x.copy(), x.copy()
        up[index] += eps
        down[index] -= eps
        at = lambda value: f(*args[:i], value if x.shape else float(value), *args[i + 1:])
        grad[index] = (at(up) - at(down)) / (2 * eps)
    return grad


@pytest.mark.parametrize("fn,args", UNIFORM_CASES, ids=[f.__name__ for f, _ in UNIFORM_CASES])
def test_uniform_adjoints_match_finite_differences(fn, args):
    wrt = tuple(range(len(args)))
    grads = ad.grad(fn, wrt=wrt)(*args)
    for i, g in enumerate(grads):
        assert np.shape(g) == np.shape(args[i])
        np.testing.assert_allclose(g, numerical_gradient(fn, args, i), rtol=1e-6, atol=1e-8)
    ad.check_grads(fn, args)


def test_a_sum_of_elementwise_terms_builds_no_array_of_ones():
    def rosenbrock(x):
        return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)
    source = ad.source(rosenbrock, "grad", example=(np.ones(5),))
    code = "\n".join(line for line in source.splitlines() if not line.strip().startswith("#"))
    assert "sum_grad" not in code and "** 2 +" not in code   # the summed terms are dead


def test_unbroadcast_sums_added_and_stretched_axes():
    from s2s_ad import runtime as _ad
    g = np.arange(24.0).reshape(4, 2, 3)
    np.testing.assert_array_equal(_ad.unbroadcast(g, np.ones((2, 1))), g.sum(axis=(0, 2))[:, None])
    np.testing.assert_array_equal(_ad.unbroadcast(g, np.ones(3)), g.sum(axis=(0, 1)))
    assert _ad.unbroadcast(g, 1.0) == g.sum() and type(_ad.unbroadcast(g, 1.0)) is float
    assert np.isrealobj(_ad.unbroadcast(g * 1j, np.ones((2, 3))))


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


def test_a_view_nobody_writes_into_is_dead():
    out = run(optimize.eliminate_dead_code, """
        def f(x):
            unused_view = x[:-1]
            written_view = x[1:]
            written_view[0] = 2.0
            return x
        """)
    assert "unused_view" not in out and "written_view[0] = 2.0" in out


def test_a_copy_and_its_copy_back_both_go():
    out = run(optimize.propagate_copies, """
        def f(z_bar, c):
            for i in range(3):
                z_1_bar = z_bar
                z_bar = z_1_bar
                d_bar = c * z_1_bar
                z_bar = z_bar + d_bar
            return z_bar
        """)
    assert out == ("def f(z_bar, c):\n    for i in range(3):\n        d_bar = c * z_bar\n"
                   "        z_bar = z_bar + d_bar\n    return z_bar\n")


def test_the_two_terms_of_a_square_fold_into_one():
    def square(x):
        return x * x
    source = ad.source(square, "vjp", example=(np.ones(3),))
    assert "2 * (out_bar * x)" in source


def test_a_first_value_and_updates_merge_in_order():
    out = run(optimize.propagate_copies, """
        def f(b, c, d):
            a = b
            e = c * d
            a = a + e
            return a
        """)
    assert out == "def f(b, c, d):\n    e = c * d\n    a = b + e\n    return a\n"
    out = run(optimize.merge_updates, """
        def f(a, c, d):
            a = a + c
            a = a - d * c
            a = a + a
            b = c * d
            b = b + c
            return a + b
        """)
    assert out == ("def f(a, c, d):\n    a = a + c - d * c\n    a = a + a\n    b = c * d + c\n"
                   "    return a + b\n")


def test_floating_names_follow_assignments_and_loops():
    tree = gast.parse(textwrap.dedent("""
        def f(x, n, _tape):
            y = 0.0
            for i in range(n):
                y = y * x + 1.0
            s = np.sin(x)
            k = n + 1
            m = s
            m = k
            y = _tape.pop()
            return y
        """))
    # y: a float constant, then arithmetic with itself (a tape pop restores a value y held);
    # s: a NumPy float function; k: ints; m: once a float, once an int; x, n: parameters
    assert optimize.floating_names(tree.body[0]) == {"y", "s"}


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


def test_a_constant_goes_to_its_uses_and_is_folded_there():
    out = run(optimize.propagate_copies, """
        def f(h):
            h_1 = np.tanh(h)
            out_bar = 1.0
            h_bar = 2 * (out_bar * h_1)
            g = out_bar * 100.0 * 2 * h_1
            return h_bar + g
        """)
    assert out == ("def f(h):\n    h_1 = np.tanh(h)\n    h_bar = 2.0 * h_1\n"
                   "    g = 200.0 * h_1\n    return h_bar + g\n")


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_folding_the_seed_keeps_values_and_dtypes(dtype):
    def f(x):
        return np.sum(np.sin(x) * x * x)
    from s2s_ad.api import compiled
    x = np.arange(1, 5).astype(dtype)
    assert "out_bar" not in ad.source(f, "grad", example=(x,))
    g = ad.grad(f)(x)
    # the same code without the passes (an int array is differentiated as floats)
    plain = compiled(f, "grad", ["x"], optimize=False).function(x if dtype != np.int64 else 1.0 * x)
    assert g.dtype == plain.dtype == (np.float32 if dtype is np.float32 else np.float64)
    np.testing.assert_array_equal(g, plain)


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


def test_a_negated_copy_goes_where_its_sign_folds_away():
    out = run(optimize.propagate_copies, """
        def f(g, y, z, beta_bar, z_bar):
            _t4_bar = -g
            beta_bar = beta_bar + _t4_bar * z
            z_bar = z_bar + _t4_bar * y
            return beta_bar, z_bar
        """)
    assert out == ("def f(g, y, z, beta_bar, z_bar):\n    beta_bar = beta_bar - g * z\n"
                   "    z_bar = z_bar - g * y\n    return (beta_bar, z_bar)\n")


def test_a_negated_copy_stays_before_a_write_into_its_operand():
    # `w_dot = -v_dot` is a new array: read after `v_dot[-1] = ...` (or a call that may write
    # into v_dot), `-v_dot` is no longer it (issue 17, fuzz program 7465)
    for write in ("v_dot[-1] = t", "upd_jvp(b=v, b_dot=v_dot)"):
        text = f"""
            def f(v, v_dot, t):
                w_dot = -v_dot
                {write}
                out_dot = v_dot * v + w_dot * v
                return out_dot
            """
        assert run(optimize.propagate_copies, text) == run(lambda node, keep: node, text)
    # the last use may write, after computing its value
    out = run(optimize.propagate_copies, """
        def f(v_dot, t):
            w_dot = -v_dot
            v_dot[-1] = t + w_dot * t
            return v_dot
        """)
    assert out == "def f(v_dot, t):\n    v_dot[-1] = t - v_dot * t\n    return v_dot\n"


def test_a_negated_copy_stays_where_its_sign_would_not_fold():
    text = """
        def f(g, z, beta_bar):
            _t4_bar = -g
            beta_bar = beta_bar + _t4_bar * z
            w = np.exp(_t4_bar)
            return beta_bar, w
        """
    assert "_t4_bar = -g" in run(optimize.propagate_copies, text)


def test_a_temporary_copied_into_a_variable_is_named_after_it():
    out = run(optimize.propagate_copies, """
        def f(x, n, x_dot):
            y = 0.0
            y_dot = 0.0
            for i in range(n):
                _t0_dot = y_dot * x + x_dot * y
                y = y * x + 1.0
                y_dot = _t0_dot
                y_dot = y_dot
            return y_dot
        """)
    assert "        y_dot = y_dot * x + x_dot * y\n        y = y * x + 1.0\n    return" in out


def test_an_update_merges_across_statements_that_do_not_touch_it():
    out = run(optimize.merge_updates, """
        def f(x, t):
            a_bar = -2.0 * (1.0 - t)
            b_bar = 200.0 * x
            a_bar = a_bar - b_bar * t
            return a_bar + b_bar
        """)
    assert out == ("def f(x, t):\n    b_bar = 200.0 * x\n"
                   "    a_bar = -2.0 * (1.0 - t) - b_bar * t\n    return a_bar + b_bar\n")
    kept = """
        def f(x, t):
            a_bar = -2.0 * (1.0 - t)
            t = 200.0 * x
            a_bar = a_bar - t
            return a_bar
        """
    assert "a_bar = -2.0 * (1.0 - t)\n" in run(optimize.merge_updates, kept)   # t changes


def test_the_first_write_into_zeros_is_an_assignment():
    out = run(optimize.merge_updates, """
        def f(x, g, h):
            x_bar = _ad.zeros_like(x)
            x_bar[:-1] += g
            x_bar[1:] += h
            return x_bar
        """)
    assert "    x_bar[:-1] = g\n    x_bar[1:] += h\n" in out
    # NumPy's zeros keep an int array's dtype: `+=` of floats raises there, `=` would truncate
    users = run(optimize.merge_updates, """
        def f(x, g):
            a = np.zeros_like(x)
            a[:-1] += g
            return a
        """)
    assert "a[:-1] += g" in users


@pytest.mark.parametrize("text, expected", [
    ("a = x if None is 1e309 or None == 1e309 else y", "a = y"),
    ("a = x if None is None or None == 'fro' else y", "a = x"),
    ("a = x if -1 is None else y", "a = y"),
    ("a = x if 'fro' == 'fro' else y", "a = x"),
    ("a = x if 2 is not None and z else y", "a = x if z else y"),
    ("a = x if z is None else y", "a = x if z is None else y"),     # z is not known
])
def test_a_rules_options_fold_once_given(text, expected):
    out = run(optimize.fold_constants, f"""
        def f(x, y, z):
            {text}
            return a
        """)
    assert out.splitlines()[1].strip() == expected


def test_rules_with_options_leave_no_tests_of_constants():
    def f(x):
        return np.linalg.norm(x) + np.sum(np.sort(x) * x)
    for mode in ("grad", "jvp"):
        source = ad.source(f, mode, example=(np.ones(3),))
        assert " is " not in source and "== " not in source, source


def test_a_value_read_only_for_its_shape_is_not_fused_into_the_helper():
    out = run(optimize.fuse_temporaries, """
        def f(g, s):
            _t6 = np.log(s)
            a_bar = _ad.unbroadcast(g, _t6)
            return a_bar
        """)
    assert "_t6 = np.log(s)" in out and "_ad.unbroadcast(g, _t6)" in out


def _numpy_on_numbers(x, y):
    z = x * y - np.sin(x)
    return z * z / (1.0 + y * y)


def test_a_numpy_function_of_a_number_is_a_number():
    # np.sin of a float is a float: no shape checks in the code for numbers
    for mode in ("grad", "jvp"):
        source = ad.source(_numpy_on_numbers, mode, wrt=(0, 1), example=(0.5, 1.5))
        assert "_ad." not in source, source
    gx, gy = ad.grad(_numpy_on_numbers, wrt=(0, 1))(0.5, 1.5)
    h = 1e-6
    assert gx == pytest.approx((_numpy_on_numbers(0.5 + h, 1.5) - _numpy_on_numbers(0.5 - h, 1.5))
                               / (2 * h), rel=1e-6)
    # the same function on an array: its own code, with the checks
    assert ad.jacrev(_numpy_on_numbers)(np.array([0.5, 1.0]), 1.5).shape == (2, 2)


# -- summing a loop's steps together --------------------------------------------------------

def rnn(Wx, Wh, b, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ Wx + h @ Wh + b)
    return np.sum(h * h)


def _rnn_args(hidden=5):
    rng = np.random.default_rng(3)
    return (rng.standard_normal((3, hidden)) / 2, rng.standard_normal((hidden, hidden)) / 3,
            rng.standard_normal(hidden), rng.standard_normal((6, 4, 3)), np.zeros((4, hidden)))


def test_a_loops_weight_cotangents_are_summed_after_it():
    args = _rnn_args()
    src = ad.source(rnn, "grad", wrt=(0, 1, 2), example=args)
    assert "Wh_bar_steps" not in src and "h_steps.append(h)" in src
    assert "Wh_bar = _ad.matmul_grad_b_steps(_t6_bar_steps, h_steps, Wh)" in src
    assert "b_bar = _ad.unbroadcast_steps(_t6_bar_steps, b)" in src
    assert "xs_steps.append(xs[t])" in src      # the list of rows named after xs
    assert "zeros_like" not in src        # the helpers start from zeros themselves
    grads = ad.grad(rnn, wrt=(0, 1, 2))(*args)
    for i, g in enumerate(grads):
        np.testing.assert_allclose(g, numerical_gradient(rnn, args, i), rtol=1e-6, atol=1e-8)
    from s2s_ad.api import arg_kinds, shapes_of
    from s2s_ad.transforms.pipeline import build
    names = ["Wx", "Wh", "b", "xs", "h0"]
    plain = build(rnn, "grad", names[:3], arg_kinds=arg_kinds(names, args), optimize=False,
                  arg_shapes=shapes_of(names, args)).function(*args)
    for g, p in zip(grads, plain):
        np.testing.assert_allclose(g, p, rtol=1e-12, atol=1e-14)


def test_a_hessian_through_the_summed_steps_matches_finite_differences():
    args = _rnn_args()
    v = np.random.default_rng(4).standard_normal(args[1].shape)
    hv = ad.hvp(rnn, wrt=1)(*args, v)
    grad = ad.grad(rnn, wrt=1)
    eps = 1e-6
    at = lambda s: grad(args[0], args[1] + s * v, *args[2:])   # noqa: E731
    np.testing.assert_allclose(hv, (at(eps) - at(-eps)) / (2 * eps), rtol=1e-5, atol=1e-7)


def test_large_steps_are_summed_one_at_a_time():
    args = _rnn_args()
    big = (np.zeros((3, 5000)), np.zeros((5000, 5000)), np.zeros(5000),
           np.zeros((2, 4, 3)), np.zeros((4, 5000)))
    assert "_steps" in ad.source(rnn, "grad", wrt=(0, 1, 2), example=args)
    assert "_steps" not in ad.source(rnn, "grad", wrt=(0, 1, 2), example=big)
    assert "_steps" not in ad.source(rnn, "grad", wrt=(0, 1, 2))   # sizes unknown


def _summing_steps(sizes):
    """The pass, for names of these sizes (what the generator would know)."""
    return lambda node, keep: optimize.optimize(node, keep, (optimize.sum_steps_together,),
                                                sizes=sizes)


def test_a_step_value_changed_between_two_sums_gets_its_own_list():
    out = run(_summing_steps({"g": 4, "a": 4}), """
        def f(W, V, n, g, a):
            W_bar = _ad.zeros_like(W)
            V_bar = _ad.zeros_like(V)
            for i in range(n):
                W_bar = W_bar + _ad.matmul_grad_b(g, a, W)
                g = g * 2
                V_bar = V_bar + _ad.matmul_grad_b(g, a, V)
            return W_bar, V_bar
        """)
    out = out.replace("(g_steps, a_steps, g_steps2) =", "g_steps, a_steps, g_steps2 =")  # 3.10
    assert out == textwrap.dedent("""\
        def f(W, V, n, g, a):
            g_steps, a_steps, g_steps2 = ([], [], [])
            for i in range(n):
                g_steps.append(g)
                a_steps.append(a)
                g = g * 2
                g_steps2.append(g)
            W_bar = _ad.matmul_grad_b_steps(g_steps, a_steps, W)
            V_bar = _ad.matmul_grad_b_steps(g_steps2, a_steps, V)
            return (W_bar, V_bar)
        """)


@pytest.mark.parametrize("text", [
    # the total is read in the loop; the invariant changes in it; an array is written into
    "W_bar = W_bar + _ad.matmul_grad_b(g, a, W); c = W_bar",
    "W_bar = W_bar + _ad.matmul_grad_b(g, a, W); W = W * 2",
    "W_bar = W_bar + _ad.matmul_grad_b(g, a, W); a[0] = 1.0",
    "W_bar = W_bar + _ad.matmul_grad_b(g * 2, a, W)",      # only names are collected
])
def test_steps_are_not_summed_where_that_could_change_the_result(text):
    body = "".join(f"        {line}\n" for line in text.split("; "))
    source = f"def f(W, n, g, a):\n    W_bar = _ad.zeros_like(W)\n    for i in range(n):\n" \
             f"{body}    return W_bar\n"
    node = gast.parse(source).body[0]
    before = to_source(node)
    assert to_source(_summing_steps({"g": 4, "a": 4})(node, frozenset())) == before


def test_a_total_with_an_earlier_value_adds_the_steps_to_it():
    out = run(_summing_steps({"g": 4}), """
        def f(b, n, g, b_bar):
            for i in range(n):
                b_bar = b_bar + _ad.unbroadcast(g, b)
            return b_bar
        """)
    assert "b_bar = b_bar + _ad.unbroadcast_steps(g_steps, b)" in out


@pytest.mark.parametrize("side, shapes, fixed", [
    # the steps' a in `a @ W` (cotangent of W: matmul_grad_b_steps)
    ("b", ((3, 4), (2, 4)), (4, 2)), ("b", ((4,), (4,)), (4, 2)), ("b", ((3, 4), (3, 4)), (4,)),
    ("b", ((2, 3, 4), (3, 4)), (4, 2)), ("b", ((4,), (2, 4)), (4,)), ("b", ((3, 4),), (2, 4, 2)),
    ("b", (), (4, 2)),
    # the steps' b in `W @ b` (cotangent of W: matmul_grad_a_steps)
    ("a", ((4,), (4,)), (3, 4)), ("a", ((4, 2), (4, 2)), (3, 4)), ("a", ((2, 4, 2),), (3, 4)),
    ("a", ((4,), (4, 2)), (3, 4)), ("a", ((4,),), (4,)), ("a", (), (3, 4)),
])
def test_summed_steps_equal_the_steps_one_by_one(side, shapes, fixed):
    from s2s_ad import runtime as rt
    rng = np.random.default_rng(0)
    W = rng.standard_normal(fixed)
    others = [rng.standard_normal(s) for s in shapes]
    pairs = [(o, W) if side == "b" else (W, o) for o in others]     # (a, b) of each product
    gs = [rng.standard_normal(np.shape(a @ b)) for a, b in pairs]
    one = rt.matmul_grad_b if side == "b" else rt.matmul_grad_a
    expected = sum((one(g, a, b) for g, (a, b) in zip(gs, pairs)), np.zeros(fixed))
    got = rt.matmul_grad_b_steps(gs, others, W) if side == "b" else \
        rt.matmul_grad_a_steps(gs, W, others)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


@pytest.mark.parametrize("shapes, x", [
    (((2, 3), (2, 3)), (3,)), (((2, 3), (3,)), (3,)), (((), ()), ()), (((2, 3),), (1, 3)), ((), (3,)),
    (((2, 3), (2, 3)), ()), (((4, 2, 3), (4, 2, 3)), (2, 3)), (((4, 2, 3),) * 3, (1, 3)),
    (((2, 3), (2, 3)), (2, 3)),
])
def test_summed_unbroadcasts_equal_the_steps_one_by_one(shapes, x):
    from s2s_ad import runtime as rt
    rng = np.random.default_rng(1)
    xs = rng.standard_normal(x)
    gs = [rng.standard_normal(s) for s in shapes]
    expected = sum((rt.unbroadcast(g, xs) for g in gs), np.zeros(x))
    np.testing.assert_allclose(rt.unbroadcast_steps(gs, xs), expected, rtol=1e-12)


# -- reductions to a broadcast argument's shape, written out -----------------------------------

def bias_and_column(x, b, c):
    return np.sum(np.sin(x + b) * (x - c))


def leading_and_stretched(x, w):
    return np.sum(np.tanh(x * w))


def with_a_complex_value(x, b):
    return np.sum(np.real(np.exp(1j * (x + b))))


def with_a_python_power(x, b, s):
    return np.sum(x + b) * s ** 0.5


def test_a_broadcast_arguments_cotangent_sums_known_axes():
    rng = np.random.default_rng(2)
    x, b, c = rng.standard_normal((4, 3)), rng.standard_normal(3), rng.standard_normal((4, 1))
    text = ad.source(bias_and_column, "grad", wrt=(0, 1, 2), example=(x, b, c))
    assert ".sum(axis=0)" in text and ".sum(axis=1, keepdims=True)" in text
    assert "unbroadcast" not in text
    x3, w = rng.standard_normal((2, 4, 3)), rng.standard_normal((4, 1))
    text = ad.source(leading_and_stretched, "grad", wrt=1, example=(x3, w))
    assert "axis=(0, 2), keepdims=True).reshape((4, 1))" in text
    for fn, args in ((bias_and_column, (x, b, c)), (leading_and_stretched, (x3, w))):
        grads = ad.grad(fn, wrt=tuple(range(len(args))))(*args)
        for i, g in enumerate(grads):
            np.testing.assert_allclose(g, numerical_gradient(fn, args, i), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("fn, args", [
    (with_a_complex_value, (np.linspace(0, 1, 6).reshape(2, 3), np.ones(3))),   # real part
    (with_a_python_power, (np.ones((2, 3)), np.ones(3), 2.0)),   # s ** 0.5 may be complex
])
def test_the_run_time_reduction_stays_where_a_value_may_be_complex(fn, args):
    assert "_ad.unbroadcast(" in ad.source(fn, "grad", wrt=1, example=args)
    grad = ad.grad(fn, wrt=1)(*args)
    assert not np.iscomplexobj(grad)
    np.testing.assert_allclose(grad, numerical_gradient(fn, args, 1), rtol=1e-6, atol=1e-8)


def test_vjp_keeps_the_run_time_reduction():
    # the cotangent given to a VJP may be complex: its real part goes to a real argument
    x, b = np.ones((2, 3)), np.ones(3)
    assert "_ad.unbroadcast(" in ad.source(bias_and_column, "vjp", wrt=1,
                                           example=(x, b, np.ones((2, 1))))


def two_layers(W1, W2, x):
    return np.sum(np.tanh(x @ W1) @ W2)


def batched_layer(W, xs):
    return np.sum(np.tanh(xs @ W))


def test_matrix_cotangents_are_plain_products_where_shapes_are_matrices():
    rng = np.random.default_rng(6)
    args = (rng.standard_normal((3, 4)), rng.standard_normal((4, 2)), rng.standard_normal((5, 3)))
    text = ad.source(two_layers, "grad", wrt=(0, 1), example=args)
    assert "@ W2.T" in text and "x.T @" in text and "matmul_grad" not in text
    grads = ad.grad(two_layers, wrt=(0, 1))(*args)
    for i, g in enumerate(grads):
        np.testing.assert_allclose(g, numerical_gradient(two_layers, args, i), rtol=1e-6,
                                   atol=1e-8)
    # a batch of matrices times a matrix keeps the helper, which sums over the batch
    args = (rng.standard_normal((3, 4)), rng.standard_normal((2, 5, 3)))
    assert "_ad.matmul_grad_b(" in ad.source(batched_layer, "grad", example=args)
    np.testing.assert_allclose(ad.grad(batched_layer)(*args),
                               numerical_gradient(batched_layer, args, 0), rtol=1e-6, atol=1e-8)


def test_a_temporary_computed_again_in_the_reverse_loop_is_fused_in_both_loops():
    out = run(optimize.fuse_temporaries, """
        def f(x, y, n):
            for i in range(n):
                _t0 = y - x
                d = 2.0 * _t0
            for i in range(n):
                _t0 = y - x
                e = d * _t0
            return e
        """)
    assert "d = 2.0 * (y - x)" in out and "e = d * (y - x)" in out and "_t0" not in out


@pytest.mark.parametrize("body", [
    "_t0 = y - x; d = _t0 * _t0",              # read twice
    "e = _t0 * 3.0; _t0 = y - x; d = _t0 + e",   # the next step reads it too
    "_t0 = y - x; d = 2.0; e = _t0 + d; x = _t0",   # read twice, in two statements
])
def test_a_temporary_read_more_than_once_from_one_assignment_stays(body):
    lines = "".join(f"        {s}\n" for s in body.split("; "))
    source = f"def f(x, y, n):\n    for i in range(n):\n{lines}    return x\n"
    node = gast.parse(source).body[0]
    assert "_t0 = y - x" in to_source(optimize.fuse_temporaries(node, frozenset()))


def test_a_chain_of_loop_temporaries_is_computed_again_not_taped():
    from programs import chain_of_temporaries
    text = ad.source(chain_of_temporaries, "grad", wrt=(0, 1), example=(0.7, 0.8))
    assert text.count("_tape.append(") == 2          # s, which the loop overwrites twice


def squared_misfit(x, c, observed):
    total = 0.0
    for i in range(observed.shape[0]):
        x = x * c
        total = total + (x - observed[i]) ** 2
    return total


def test_an_element_of_an_array_of_known_shape_is_a_number():
    args = (1.0, 0.9, np.array([0.5, 0.2, -0.1]))
    # observed[i] is a number: so is total, which needs no reduction, no broadcast, no tape
    text = ad.source(squared_misfit, "grad", wrt=(0, 1), example=args)
    assert "unbroadcast" not in text and "_tape.append(total)" not in text
    assert "broadcast_like" not in ad.source(squared_misfit, "grad", wrt=0, example=args)
    for wrt in ((0, 1), 0):
        grads = ad.grad(squared_misfit, wrt=wrt)(*args)
        for i, g in enumerate(grads if wrt != 0 else (grads,)):
            np.testing.assert_allclose(g, numerical_gradient(squared_misfit, args, i),
                                       rtol=1e-7)


def test_a_weight_on_the_left_has_its_steps_summed_too():
    from programs import column_rnn
    rng = np.random.default_rng(8)
    args = (rng.standard_normal((4, 3)) / 2, rng.standard_normal((4, 4)) / 3,
            rng.standard_normal((5, 3)))
    text = ad.source(column_rnn, "grad", wrt=(0, 1), example=args)
    assert "Wh_bar = _ad.matmul_grad_a_steps(" in text and "h_bar = Wh.T @ " in text
    grads = ad.grad(column_rnn, wrt=(0, 1))(*args)
    for i, g in enumerate(grads):
        np.testing.assert_allclose(g, numerical_gradient(column_rnn, args, i), rtol=1e-6,
                                   atol=1e-8)
    v = rng.standard_normal(args[1].shape)
    grad = ad.grad(column_rnn, wrt=1)
    eps = 1e-6
    expected = (grad(args[0], args[1] + eps * v, args[2]) -
                grad(args[0], args[1] - eps * v, args[2])) / (2 * eps)
    np.testing.assert_allclose(ad.hvp(column_rnn, wrt=1)(*args, v), expected, rtol=1e-5,
                               atol=1e-7)


def matrix_vector(a, b):
    return np.sum(np.sin(a @ b))


@pytest.mark.parametrize("sa, sb, forms", [
    ((3, 4), (4,), ("np.outer(", "a.T @")),     # matrix times vector
    ((4,), (4, 3), ("@ b.T", "np.outer(a, ")),  # vector times matrix
    ((4,), (4,), ("* b", "* a")),               # two vectors: a number
    ((3, 4), (4, 2), ("@ b.T", "a.T @")),
])
def test_a_products_cotangents_are_written_out_for_matrices_and_vectors(sa, sb, forms):
    rng = np.random.default_rng(9)
    args = (rng.standard_normal(sa), rng.standard_normal(sb))
    text = ad.source(matrix_vector, "grad", wrt=(0, 1), example=args)
    assert "matmul_grad" not in text and all(f in text for f in forms), text
    grads = ad.grad(matrix_vector, wrt=(0, 1))(*args)
    for i, g in enumerate(grads):
        np.testing.assert_allclose(g, numerical_gradient(matrix_vector, args, i), rtol=1e-6,
                                   atol=1e-8)


@pytest.mark.parametrize("mode", ["grad", "jvp"])
@pytest.mark.parametrize("case", [c for c in CASES if c.name in (
    "log_softmax_loss", "logsumexp_of_all", "softmax_weights", "shifted_squares",
    "logsumexp_across_rows")], ids=lambda c: c.name)
def test_a_maximum_the_output_does_not_depend_on_has_no_derivative(case, mode):
    # (test_derivatives checks these gradients against finite differences)
    args = case.make_args(np.random.default_rng(0))
    text = ad.source(case.fn, mode, wrt=case.wrt, example=args)
    derivative = "_ad.max_jvp" if mode == "jvp" else "_ad.max_grad"
    assert (derivative in text) == (case.fn not in SHIFT_INVARIANT), text
    generic = ad.source(case.fn, mode, wrt=case.wrt)     # shapes unknown: m is followed
    assert derivative in generic


def softmax(x):
    m = np.max(x, axis=-1, keepdims=True)
    e = np.exp(x - m)
    return e / np.sum(e, axis=-1, keepdims=True)


def test_a_softmax_jacobian_has_no_derivative_through_its_maximum():
    x = np.array([[0.3, -1.2, 2.0], [1.0, 1.5, -0.5]])
    assert "_ad.max_grad" not in ad.source(softmax, "vjp", example=(x,))
    assert "_ad.max_jvp" not in ad.source(softmax, "jvp", example=(x,))
    h = 1e-6
    numerical = np.stack([(softmax(x + h * e) - softmax(x - h * e)) / (2 * h)
                          for e in np.eye(x.size).reshape((x.size,) + x.shape)], axis=-1)
    numerical = numerical.reshape(x.shape + x.shape)
    np.testing.assert_allclose(ad.jacrev(softmax)(x), numerical, atol=1e-8)
    np.testing.assert_allclose(ad.jacfwd(softmax)(x), numerical, atol=1e-8)


def row_sums(x):
    return np.sum(x, axis=1, keepdims=True) * np.mean(x, 0)


@pytest.mark.parametrize("mode, call", [
    ("jvp", "np.sum(x_dot, axis=1, keepdims=True)"),   # the rule's np.sum(t, axis, dtype,
    ("jvp", "np.mean(x_dot, 0)"),                      # None, keepdims): defaults unsaid
])
def test_inlined_rules_leave_default_arguments_out(mode, call):
    text = ad.source(row_sums, mode, example=(np.ones((2, 3)),))
    assert call in text and "None" not in text, text


# -- the optimiser reads what names denote, not how they are spelled (issue 22, part 3) ------
SPELLINGS = {
    "np": "import numpy as np\n",
    "onp": "import numpy as onp\n",
    "": "from numpy import exp, mean, sin, sqrt, sum, tanh\n",
}
SPELLED = '''
def f(x, w):
    h = {p}tanh(x * w)
    s = 0.0
    for k in range(3):
        s = s + {p}sum(1 - h * h) * {p}sqrt(w * w + 1.0)
    return s + {p}mean({p}sin(x) * {p}exp(x))
'''


def _spelled_module(tmp_path, prefix):
    import importlib.util
    name = f"spelled_{prefix or 'bare'}"
    path = tmp_path / f"{name}.py"
    path.write_text(SPELLINGS[prefix] + SPELLED.format(p=f"{prefix}." if prefix else ""))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("prefix", ["onp", ""])
@pytest.mark.parametrize("mode", ["grad", "jvp", "hvp"])
def test_optimised_code_does_not_depend_on_how_numpy_is_spelled(tmp_path, prefix, mode):
    import re
    reference = ad.source(_spelled_module(tmp_path, "np").f, mode)
    text = ad.source(_spelled_module(tmp_path, prefix).f, mode)
    # the user's own calls keep the user's spelling; everything else must be the same
    if prefix:
        text = text.replace(f"{prefix}.", "np.")
    else:
        text = re.sub(r"(?<![\w.])(exp|mean|sin|sqrt|sum|tanh)\(", r"np.\1(", text)
    assert text == reference
