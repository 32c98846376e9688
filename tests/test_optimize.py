"""The optimised code of whole functions: what the passes make of generated code together,
and that its derivatives stay right.  Each pass on its own, a snippet in and the expected
text out, is tested in tests/test_optimize_<module>.py."""
import numpy as np
import pytest
import s2s_ad as ad

from programs import CASES, SHIFT_INVARIANT


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


def test_the_two_terms_of_a_square_fold_into_one():
    def square(x):
        return x * x
    source = ad.source(square, "vjp", example=(np.ones(3),))
    assert "2 * (out_bar * x)" in source


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


def test_rules_with_options_leave_no_tests_of_constants():
    def f(x):
        return np.linalg.norm(x) + np.sum(np.sort(x) * x)
    for mode in ("grad", "jvp"):
        source = ad.source(f, mode, example=(np.ones(3),))
        assert " is " not in source and "== " not in source, source


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
    from s2s_ad.arguments import arg_kinds, shapes_of
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


def _nested_errstates(x):
    with np.errstate(divide="ignore"):
        with np.errstate(divide="ignore"):
            y = np.log(x)
        z = 1.0 / x            # still under the outer errstate
    return np.sum(y[1:] * z[1:])


def test_errstate_pushes_and_pops_stay_where_they_are():
    # the runtime's push_errstate / pop_errstate change NumPy's state: the optimiser merged
    # the two equal pushes and moved the outer pop before `1.0 / x`, which then raised
    x = np.array([0.0, 2.0, 3.0])
    with np.errstate(divide="raise", invalid="ignore"):     # (0 * inf in x_bar[0])
        want = _nested_errstates(x)
        value, grad = ad.value_and_grad(_nested_errstates)(x)
    assert value == pytest.approx(want)
    np.testing.assert_allclose(grad[1:], [(1 - np.log(2.0)) / 4.0, (1 - np.log(3.0)) / 9.0])
    text = ad.source(_nested_errstates, "vjp")
    assert text.count("push_errstate") == 2 and "pop_errstate(_ad.push" not in text
    import gast
    from s2s_ad.backend.optimize.common import is_pure
    for helper in ("raise_exception", "check_assertion", "check_walked", "push_errstate",
                   "pop_errstate"):
        assert not is_pure(gast.parse(f"_ad.{helper}(x)").body[0].value)
    assert is_pure(gast.parse("_ad.unbroadcast(x, y)").body[0].value)


def _eliminate_below(A, k):
    """A helper writing into its argument: every element update is of numbers."""
    n = A.shape[0]
    for i in range(k + 1, n):
        A[i, k] = A[i, k] / A[k, k]
        for j in range(k + 1, n):
            A[i, j] = A[i, j] - A[i, k] * A[k, j]


def lu_by_a_helper(A):
    LU = A.copy()
    for k in range(LU.shape[0]):
        _eliminate_below(LU, k)
    return np.sum(LU * LU)


def tail_sum(x):
    """Recursive on a shorter array each time: each call has other shapes."""
    if x.shape[0] == 1:
        return x[0] * x[0]
    return x[0] * x[1] + tail_sum(x[1:])


def calls_tail_sum(x):
    return tail_sum(np.sin(x))


def test_a_callee_is_specialised_on_its_callers_shapes():
    """The caller knows its arguments' shapes; so does the callee's code (issue 23): an element
    of A is a number, so the product of two is computed where it is used, not taped (generic
    code makes it a temporary, `_t4 = A[i, k] * A[k, j]`, and pushes it every step)."""
    A = np.eye(5) * 4.0 + np.random.default_rng(3).standard_normal((5, 5)) * 0.3
    text = ad.source(lu_by_a_helper, "grad", example=(A,))
    callee = text[text.index("def _eliminate_below_fwd"):]
    assert "= A[i, j] - A[i, k] * A[k, j]" in callee, callee
    np.testing.assert_allclose(ad.grad(lu_by_a_helper)(A), numerical_gradient(lu_by_a_helper,
                                                                              (A,), 0),
                               rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("mode", ["grad", "jvp", "hvp"])
def test_a_recursive_callee_on_ever_smaller_arrays_has_two_versions(mode):
    """The first call's shapes, and generic code for every other: not one version per depth."""
    def versions(n):
        text = ad.source(calls_tail_sum, mode, example=(np.linspace(0.1, 0.9, n),))
        return [line for line in text.splitlines() if line.startswith("def tail_sum")]
    assert len(versions(6)) == len(versions(30)) <= 6, versions(30)
    x = np.linspace(0.1, 0.9, 12)
    h = ad.hessian(calls_tail_sum)(x)
    g = ad.grad(calls_tail_sum)(x)
    np.testing.assert_allclose(g, numerical_gradient(calls_tail_sum, (x,), 0), rtol=1e-6,
                               atol=1e-8)
    e = np.eye(12)[3]
    np.testing.assert_allclose(h @ e, (ad.grad(calls_tail_sum)(x + 1e-5 * e) -
                                       ad.grad(calls_tail_sum)(x - 1e-5 * e)) / 2e-5, atol=1e-6)


def clipped_spread(data, eps):
    """A comparison (`<=`) and sizes passed as a tuple (`reshape(m, m)`) make real values."""
    n, m = data.shape
    spread = np.zeros(m)
    for j in range(m):
        for i in range(n):
            spread[j] = spread[j] + data[i, j] * data[i, j]
        if spread[j] <= eps:
            spread[j] = 1.0
    return np.sum(np.outer(spread, spread).reshape(m, m) * np.arange(1, m * m + 1).reshape(m, m))


def test_comparisons_and_size_tuples_keep_every_cotangent_real():
    """Real cotangents (analysis/kinds.all_real): an element written in a loop is a number, its
    cotangent a copy of the element's, with no run-time broadcasting test and no tape entry."""
    data = np.random.default_rng(4).standard_normal((5, 3))
    text = ad.source(clipped_spread, "grad", wrt=0, example=(data, 0.1))
    assert "_t5_bar = _ad.copy_of(spread_bar[j])" in text and "unbroadcast(_ad.copy_of" not in text
    np.testing.assert_allclose(ad.grad(clipped_spread)(data, 0.1),
                               numerical_gradient(clipped_spread, (data, 0.1), 0), rtol=1e-6,
                               atol=1e-8)


def test_a_helper_with_real_values_keeps_the_callers_cotangents_real():
    """cholesky (tests/kernels.py) calls a helper for its result: the helper's values are all
    real (analysis/real_calls.py), so every cotangent is, and no element written in a loop
    goes through _ad.unbroadcast, nor is an element copied to be saved (issue 23)."""
    from kernels import cholesky, spd
    a = spd(5)(np.random.default_rng(5))
    text = ad.source(cholesky, "grad", example=(a,))
    assert "unbroadcast" not in text and "_tape.append(_ad.copy_of(" not in text
    assert "_tape.append(A_1[i, j])" in text
    np.testing.assert_allclose(ad.grad(cholesky)(a), numerical_gradient(cholesky, (a,), 0),
                               rtol=1e-6, atol=1e-8)


def shifted_by_a_number(x, c):
    return np.sum(x * 2.0 + c) + np.sum((x + c) * c)


def test_a_number_broadcast_under_a_sum_gets_the_summed_cotangent_without_the_array():
    """`np.sum(a + trace)` (go_fast): the cotangent of the number is the uniform cotangent
    times the number of elements, with no array of the sum's shape made or summed for it
    (adjoint_calls._uniform_term, "count"); the second sum's cotangent is not uniform."""
    x = np.linspace(-1.0, 1.0, 6).reshape(2, 3)
    text = ad.source(shifted_by_a_number, "grad", wrt=(0, 1), example=(x, 0.5))
    code = [line for line in text.splitlines() if not line.strip().startswith("#")]
    assert "+ 6.0" in text and not any("x * 2.0" in line for line in code)
    for i in (0, 1):
        np.testing.assert_allclose(ad.grad(shifted_by_a_number, wrt=(0, 1))(x, 0.5)[i],
                                   numerical_gradient(shifted_by_a_number, (x, 0.5), i),
                                   rtol=1e-6, atol=1e-8)
