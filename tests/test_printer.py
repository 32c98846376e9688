"""The printer gives the text ast.unparse gives, for every function it prints."""
import ast
import glob
import os

import gast

from s2s_ad.frontend.to_gast import to_gast
from s2s_ad.base import syntax as S
from s2s_ad.backend.codegen import _pad_empty_blocks, unparsed
from s2s_ad.backend.printer import function_text

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

TRICKY = '''
def tricky(a, b=2.0, *args, c, d=None, **kw):
    x = -(a ** b) + (-a) ** b + a ** -b + a ** b ** c - (a - b) - a * (b / c) // 2 % 3 @ d
    y = not (a and b) or (a or b) and not a
    z = (a if b else c) + (lambda_ if a else b) if a < b <= c is not d else x
    w = a[1:2, ::3][a,][-1][b, c][:][x.y.z] + 1 .real + 1.5.imag + float("inf") * 1e309
    t = ()
    u = (a,)
    (p, q), r = a, (b, c)
    a[1], b.c = -1, +2
    a += ~b
    f(*args, **kw)(a, b=c, **{'k': 1, **kw})[[a, b], []]
    v = [i * j for i, j in zip(a, b) if i if j] + [x for x in (a, b)]
    if a:
        pass
    elif b:
        a = 1
    elif c:
        a = 2
    else:
        if d:
            a = 3
    for i, j in a:
        continue
    else:
        break
    while not a:
        a = a - 1
    else:
        a = ...
    return (a, b), [a], 'it\\'s', "no", None, True
'''


def _functions(tree):
    return [S.clone(n) for n in S.walk(tree) if isinstance(n, gast.FunctionDef)]


def test_the_printer_prints_what_unparse_prints():
    files = [f for pattern in ("s2s_ad/*.py", "s2s_ad/rules/*.py", "tests/*.py", "samples/*.py",
                               "benchmarks/*.py")
             for f in sorted(glob.glob(os.path.join(ROOT, pattern)))]
    trees = [to_gast(ast.parse(open(f, encoding="utf-8").read())) for f in files]
    trees.append(to_gast(ast.parse(TRICKY)))
    printed = 0
    for tree in trees:
        for node in _functions(tree):
            node = _pad_empty_blocks(node)
            text = function_text(node)
            if text is not None:
                assert text + "\n" == unparsed(node), node.name
                printed += 1
    assert printed > 300
    assert function_text(_functions(to_gast(ast.parse(TRICKY)))[0]) is not None


def test_what_the_printer_does_not_know_goes_to_unparse():
    source = 'def f(x):\n    """A docstring."""\n    return {k for k in x}\n'
    node = _functions(to_gast(ast.parse(source)))[0]
    assert function_text(node) is None


def test_a_negative_number_prints_as_a_negation_where_it_needs_parentheses():
    # found by fuzzing: unparse prints the constant -0.5 in `(-0.5) ** 2` as `-0.5 ** 2`
    node = gast.parse("def f(x):\n    return x ** 2 - x\n").body[0]
    power, minus = node.body[0].value, node.body[0].value
    power.left.left = gast.Constant(value=-0.5, kind=None)      # (-0.5) ** 2 - x
    minus.right = gast.Constant(value=-1, kind=None)            # ... - -1
    expected = "def f(x):\n    return (-0.5) ** 2 - -1\n"
    assert function_text(node) + "\n" == unparsed(node) == expected
    namespace = {}
    exec(expected, namespace)
    assert namespace["f"](3.0) == 1.25
