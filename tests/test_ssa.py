"""The SSA form of every corpus function is runnable and returns what the original returns."""
import ast
import inspect

import gast
import numpy as np
import pytest

import s2s_ad as ad
from s2s_ad import arguments
from s2s_ad.check import copied
from s2s_ad.frontend.source import unwrap
from s2s_ad.transforms.pipeline import compile_ssa

from programs import CASES, signs_in_products


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_ssa_returns_what_the_original_returns(case):
    ad.source(case.fn, "ssa")
    receiver = arguments.bound_self(case.fn)     # a method's SSA form takes its `self` first
    fn = None
    for seed in range(5):
        args = case.make_args(np.random.default_rng(seed))
        expected = case.fn(*copied(args))
        # a `*xs` function's SSA form has a parameter per argument (frontend/variadic.py)
        _, args, shape = arguments.call_arguments(case.fn, arguments.parameters(case.fn),
                                                  args, {})
        fn = fn or compile_ssa(unwrap(case.fn), shape)
        got = fn(*copied(args)) if receiver is None else fn(receiver, *copied(args))
        assert np.array_equal(got, expected), (case.name, seed)


def one_op_per_statement(x, y):
    z = x * y + np.sin(x) / 2.0
    return z


def test_ssa_golden_text():
    assert ad.source(one_op_per_statement, "ssa") == (
        "def one_op_per_statement(x, y):\n"
        "    _t0 = x * y\n"
        "    _t1 = np.sin(x)\n"
        "    _t2 = _t1 / 2.0\n"
        "    z = _t0 + _t2\n"
        "    return z\n")


def reassigned(x):
    x = x + 1.0
    x = x * 2.0
    if x > 0:
        x = -x
    return x


def test_ssa_versions_and_joins():
    text = ad.source(reassigned, "ssa")
    assert "x_1 = x + 1.0" in text and "x_2 = x_1 * 2.0" in text
    assert "x_4 = x_3" in text and "x_4 = x_2" in text    # the join after the branch


def test_augmented_assignment_is_desugared():
    def f(x):
        x += 2.0
        x *= 3.0
        return x
    text = ad.source(f, "ssa")
    assert "+=" not in text and "*=" not in text


def recurrent(x, w, n):
    h = x
    for i in range(n):
        h = np.tanh(h * w)
    return h


def swapping(a, b, n):
    for i in range(n):
        a, b = a + b, a
    return a + b


def test_a_loop_carried_value_is_assigned_in_place_where_its_old_value_is_dead():
    # h's new value is assigned to h itself, not to h_1 copied back at the end of the body
    assert "        h = np.tanh(_t0)\n" in ad.source(recurrent, "ssa")
    # values unpacked together keep their copies (b's new value is the old a)
    assert compile_ssa(swapping)(1.0, 2.0, 5) == swapping(1.0, 2.0, 5)


def two_views(x):
    return np.sum((x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def test_a_view_taken_again_is_the_first_one():
    text = ad.source(two_views, "ssa")
    assert text.count("x[:-1]") == 1
    x = np.linspace(-1.0, 1.0, 6)
    assert compile_ssa(two_views)(x) == two_views(x)


def test_a_sign_moves_out_of_a_product_so_a_square_is_one():
    text = ad.source(signs_in_products, "ssa")
    assert "a * a" in text and "b / a" in text and "a * b" in text and "2.0 * b" in text
    assert "-a" not in text.replace("-(a", "")    # no product of a negated operand is left
    grad = ad.source(signs_in_products, "grad", wrt=0, example=(1.5, 0.5))
    assert "-2.0 * a" in grad                    # the square's derivative, not a product rule
    for a, b in ((1.5, 0.5), (-0.3, 2.0)):
        assert fn_equal(signs_in_products, a, b)


def fn_equal(fn, *args):
    return compile_ssa(fn)(*args) == fn(*args)


def _same_tree(a, b):
    """Same node classes, fields, locations and values, all the way down."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(_same_tree(x, y) for x, y in zip(a, b))
    if isinstance(a, gast.AST):
        return a.__dict__.keys() == b.__dict__.keys() and all(
            _same_tree(a.__dict__[k], b.__dict__[k]) for k in a.__dict__)
    return a == b


def test_the_front_end_converts_to_gast_as_gast_does():
    import s2s_ad.frontend.source_text as source_text
    from s2s_ad.frontend.to_gast import to_gast
    for module in (source_text, ad.api, ad.rules.math_rules):
        tree = ast.parse(inspect.getsource(module))
        assert _same_tree(to_gast(tree), gast.ast_to_gast(tree)), module.__name__
    handler = ast.parse("try:\n    pass\nexcept ValueError as e:\n    pass\nexcept:\n    pass\n")
    assert _same_tree(to_gast(handler), gast.ast_to_gast(handler))


def _string_at_column_zero(x):
    s = """
a line at column 0"""
    return x * len(s)


def _with_comments(x):
    # a comment
    y = x * 2.0
        # indented deeper
    return y
    # a comment after the last line


def _same(f):
    return f


@_same
def _decorated(x):
    return x


def _nested():
    def inner(x, y):
        return x * y
    return inner


def test_a_def_is_read_from_its_lines_as_inspect_reads_it():
    import s2s_ad.frontend.source as frontend
    from s2s_ad.frontend.source_text import def_on_its_lines, function_node
    for fn, fast in [(one_op_per_statement, True), (_with_comments, True), (_nested(), True),
                     (_string_at_column_zero, False), (_decorated, False)]:
        node, _ = def_on_its_lines(fn)
        assert (node is not None) == fast, fn.__name__     # else inspect decides
        lines, first = inspect.getsourcelines(fn)
        expected = function_node(fn, lines, first, fn.__code__.co_filename, [])
        if node is not None:
            assert _same_tree(node, expected), fn.__name__
        assert _same_tree(frontend.parse(fn).node, expected), fn.__name__


def pairs(x, y):
    a, b = x * 2.0, y + 1.0          # independent: two assignments
    a, b = b, a                      # a swap reads its targets: one tuple assignment
    return a * b


def test_a_tuple_assignment_of_independent_values_is_two_assignments():
    text = ad.source(pairs, "ssa")
    assert "a = x * 2.0" in text and "b = y + 1.0" in text
    assert "= (b, a)" in text                       # the swap still packs a tuple
    assert compile_ssa(pairs)(1.5, -0.5) == pairs(1.5, -0.5)
