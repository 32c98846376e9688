"""The rule table is checked as a table: every entry (a callable's differentiated argument) in
every form, by the parametrised tests driven by tests/rule_cases.py:

    both modes          tests/test_rules.py        test_vjp, test_jvp (central differences)
    second order        tests/test_rules_second_order.py (forward over reverse, reverse over
                        reverse, against differences of the VJP rule)
    broadcasting        a case where the argument's shape is not the result's (test_vjp then
                        checks the reduced cotangent), for every rule registered broadcasts=True
    keyword arguments   tests/test_calling_forms.py, wherever the callable takes the argument
                        by keyword; the second-order test again by keyword
    float32             test_float32_in_float32_out, with the argument an array

This file fails where an entry misses one of them, naming it and the form: add a case to
tests/rule_cases.py (the same table the rules are checked with), never a test of its own.
"""
import math
import operator
import pathlib

import gast

import numpy as np
import pytest

from s2s_ad.rules import RULES
from s2s_ad.rules.registry import positional_names

from test_calling_forms import PARAMS as KEYWORD_PARAMS, _keyword_names
from test_rules import F32_PARAMS, FLOAT64_OK, PARAMS, _in_float64, _reduce_to  # noqa: F401
from test_rules_second_order import _params as second_order_params

import builtins
from s2s_ad import runtime as _ad

try:
    import scipy.linalg as sla
except ImportError:     # (the test extra installs SciPy)
    sla = None

# Callables of Python numbers only: NumPy's float32 and broadcasting do not apply (math
# converts a float32 to a float; builtins max/min of two numbers; float() of a number;
# `obj.h += v` of a number field, updated_field, refuses an array).
NUMBERS_ONLY = {fn for fn in RULES if getattr(fn, "__module__", None) == "math"} | \
    {builtins.max, builtins.min, builtins.float, _ad.item_of, _ad.scalar_like,
     _ad.updated_field}


def _entries(params):
    return {(p.values[0].fn, p.values[1]) for p in params}


def _broadcast_entries():
    """The entries with a case whose argument is broadcast against the others."""
    found = set()
    for p in PARAMS:
        c, i = p.values
        if RULES[c.fn].broadcasts and \
                np.shape(c.args[i]) != np.shape(c.fn(*c.args, **c.kwargs)):
            found.add((c.fn, i))
    return found


def _by_keyword(fn, i):
    """Does the callable take argument i by keyword (so users may pass it so)?"""
    names = positional_names(RULES[fn])
    accepted = _keyword_names(fn)
    return bool(accepted) and i < len(names) and names[i] in accepted


def _name(fn):
    module = getattr(fn, "__module__", None) or "numpy"
    return f"{module}.{getattr(fn, '__name__', fn)}"


ENTRIES = sorted(_entries(PARAMS), key=lambda e: (_name(e[0]), e[1]))
FORMS = {
    "second order": lambda: _entries(second_order_params()),
    "float32": lambda: _entries(F32_PARAMS),
    "broadcasting": _broadcast_entries,
    "by keyword": lambda: _entries(KEYWORD_PARAMS),
}


# Arguments that are a factorisation's tuple (matrix, flag or pivots): the second-order test
# perturbs arrays only, so their second order is checked through the factorisation, in the
# corpus programs that factor and solve (gp_negative_log_likelihood, implicit_euler: every
# transform of the matrix, Hessians included).
FACTOR_TUPLES = {(sla.cho_solve, 0), (sla.lu_solve, 0)} if sla is not None else set()


# Arguments of a broadcasting rule that are never smaller than the result: why.
NEVER_BROADCAST = {
    (np.nan_to_num, 0): "the result has x's shape: the replacement values broadcast to x",
}


def _needs(form, fn, i):
    if form == "second order":
        return (fn, i) not in FACTOR_TUPLES
    if form == "float32":
        return not _in_float64(fn) and fn not in NUMBERS_ONLY
    if form == "broadcasting":
        return RULES[fn].broadcasts and fn not in NUMBERS_ONLY and (fn, i) not in NEVER_BROADCAST
    if form == "by keyword":
        return _by_keyword(fn, i)
    return True


@pytest.mark.parametrize("form", sorted(FORMS))
def test_every_entry_is_checked_in_every_form(form):
    checked = FORMS[form]()
    missing = [f"{_name(fn)} argument {i}" for fn, i in ENTRIES
               if _needs(form, fn, i) and (fn, i) not in checked]
    assert not missing, f"no {form} case in tests/rule_cases.py for:\n  " + "\n  ".join(missing)


def test_the_table_covers_math_and_every_other_library():
    """(that the forms above are not vacuous: the entries include each library's)"""
    modules = {getattr(fn, "__module__", None) for fn, _ in ENTRIES}
    assert {"math", "_operator", "builtins"} <= modules and math.sin in RULES


# ---- each derivative written once ----

# Modules whose rules are written with registry.defelementwise / deflinear / defbilinear, and
# the pairs of them still written as a VJP and a JVP that differ only in the seed's name: why.
CONVERTED = ("operator_rules.py", "math_rules.py", "numpy_ufunc_rules.py",
             "numpy_shape_rules.py", "runtime_rules.py")
WRITTEN_TWICE_ON_PURPOSE = {
    np.maximum: "the seed multiplies the bool masks itself: float32 stays float32",
    np.minimum: "as np.maximum", np.fmax: "as np.maximum", np.fmin: "as np.maximum",
    np.where: "linear in x and y together, not in each: where(c, g, 0.0) keeps the other "
              "branch's inf and nan out, as g * c would not",
    _ad.add_at: "linear in buf and g together",
    _ad.prod_others: "a symmetric derivative that is not elementwise: one formula, two seeds",
    _ad.piecewise_place: "as np.where: y outside the mask, v compressed inside it",
    _ad.banded_dense: "linear in its second argument (deflinear takes the first)",
    _ad.dense_banded: "as _ad.banded_dense",
    _ad.updated_field: "the identity on a number; as a linear function its derivatives would "
                       "call it on the seed, which refuses the batched seeds of jacrev",
}


def test_each_derivative_in_the_converted_tables_is_written_once():
    from rule_pairs import pairs
    twice = sorted({_name(fn) for fn, i, written_twice in pairs() if written_twice and
                    RULES[fn].vjps[i].__code__.co_filename.endswith(CONVERTED) and
                    fn not in WRITTEN_TWICE_ON_PURPOSE})
    assert not twice, "state these with registry.defelementwise, deflinear or defbilinear:\n" \
        + "\n".join(twice)


def _inlined(rule):
    """The body of `rule` as the compiler inlines it, as text."""
    from s2s_ad.frontend.inline import template
    tmpl = template(rule)
    return gast.unparse(tmpl.result) if hasattr(gast, "unparse") else \
        __import__("ast").unparse(gast.gast_to_ast(tmpl.result))


@pytest.mark.parametrize("fn, mode, i, text", [
    (np.sqrt, "vjps", 0, "g * 0.5 / ans"),            # the seed joins the leading factor
    (np.log, "jvps", 0, "t / x"),                     # 1 / x
    (np.cos, "vjps", 0, "-g * np.sin(x)"),            # -sin(x)
    (np.arccos, "vjps", 0, "-g / np.sqrt(1 - x * x)"),
    (np.tan, "vjps", 0, "g * (1 + ans * ans)"),       # not a product: the seed times it
    (operator.sub, "vjps", 1, "-g"),                  # -1
    (operator.truediv, "jvps", 1, "-t * ans / b"),
    (math.sqrt, "vjps", 0, "_ad.div(g * 0.5, ans)"),  # the numerator of _ad.div
    (math.log, "vjps", 0, "g / x if base == math.e else g / (x * math.log(base))"),
    (operator.matmul, "jvps", 1, "a @ t"),            # defbilinear: the operator itself
    (np.reshape, "jvps", 0, "_linear.reshape(t, shape, order)"),   # deflinear: fn(t, ...)
    (np.triu, "vjps", 0, "_linear.triu(g, k)"),       # its own transpose
])
def test_a_rule_written_once_inlines_as_if_written_out(fn, mode, i, text):
    assert _inlined(getattr(RULES[fn], mode)[i]) == text


def test_the_autograd_and_jax_lists_are_what_the_installed_libraries_give(tmp_path):
    """docs/other_libraries.json is what coverage.py writes from the libraries (where the
    versions installed are the versions it names)."""
    import json
    from importlib.metadata import PackageNotFoundError, version
    from s2s_ad.rules import coverage
    stored = json.loads(open(coverage.OTHER_LIBRARIES).read())
    try:
        installed = {library: version(library) for library in stored}
    except PackageNotFoundError:
        pytest.skip("autograd and JAX are not both installed (the bench extra)")
    if installed != {library: entry["version"] for library, entry in stored.items()}:
        pytest.skip(f"other versions installed than docs/other_libraries.json names: {installed}")
    assert coverage.refresh_other_libraries(tmp_path / "lists.json")
    assert json.loads((tmp_path / "lists.json").read_text()) == stored


def test_each_callable_the_frontend_rewrites_is_in_a_corpus_program():
    """coverage.REWRITTEN says these are differentiated without rules: a corpus program calls
    each, so the transform matrix checks that they are, in every mode."""
    from s2s_ad.rules.coverage import REWRITTEN
    corpus = (pathlib.Path(__file__).parent / "programs.py").read_text()
    missing = [fn.__name__ for fn in REWRITTEN if f".{fn.__name__}(" not in corpus]
    assert not missing, missing
