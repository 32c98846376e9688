"""Every derivative rule to second order, driven by tests/rule_cases.py.

For each case and each argument x it differentiates, a program `f(x) = <u, FN(..., x, ...)>`
(u random, fixed) is differentiated twice by the compiler, whose generated code inlines the
rule and is then differentiated again (the rules of the rules' own bodies and runtime helpers):

    forward over reverse   ad.hvp(f)(x, v)                      == H v
    reverse over reverse   ad.grad(x -> <w, ad.grad(f)(x)>)      . v == <w, H v>

with H v from central differences of the VJP rule itself (checked against finite differences
of the function by tests/test_rules.py): (vjp(u, x + e v) - vjp(u, x - e v)) / 2e.  The
argument is passed by position, and again by keyword where NumPy takes it so.  (Forward over
forward is not composable in the public API: ad.jvp's result is not generated code.)
"""
import importlib.util

import numpy as np
import pytest

import s2s_ad as ad
from s2s_ad.rules import RULES
from s2s_ad.rules.registry import positional_names

from test_calling_forms import PARAMS as KEYWORD_PARAMS
from test_rules import (PARAMS, _axpy, _differentiable, _inexact, _is_leaf, _is_record, _map,
                        _random_like, _reduce_to, _vdot, _with_arg)

EPS = 1e-5


def _leaves(value, path=""):
    """(access path, leaf) of the inexact leaves of a result: `[0]`, `.a`, ''."""
    if _is_leaf(value):
        return [(path, value)] if _inexact(value) else []
    if _is_record(value):
        return [item for name in vars(value)
                for item in _leaves(getattr(value, name), f"{path}.{name}")]
    return [item for k, v in enumerate(value) for item in _leaves(v, f"{path}[{k}]")]


def _module(tmp_path, c, i, u_leaves, w_leaves, names=None):
    """f(x) = sum over the result's leaves of Re sum(U_k * out<path_k>), and grad_dot_w(x) =
    the same pairing of ad.grad(f)(x) with w.  With `names` (the rule's parameters), x and
    the arguments after it are passed by keyword, as in tests/test_calling_forms.py."""
    space = {"FN": c.fn}
    words = []
    for j, a in enumerate(c.args):
        key = f"{names[j]}=" if names is not None and j >= i else ""
        words.append(f"{key}x" if j == i else f"{key}A{j}")
        space[f"A{j}"] = a
    for key, value in c.kwargs.items():
        words.append(f"{key}=K_{key}")
        space[f"K_{key}"] = value
    terms = []
    for k, (path, u) in enumerate(u_leaves):
        space[f"U{k}"] = u
        terms.append(f"np.real(np.sum(U{k} * out{path}))")
    pairs = []
    for k, (path, w) in enumerate(w_leaves):
        space[f"W{k}"] = w
        pairs.append(f"np.real(np.sum(W{k} * g{path}))")
    source = ("import numpy as np\n\nimport s2s_ad as ad\n\n\n"
              f"def f(x):\n    out = FN({', '.join(words)})\n"
              f"    return {' + '.join(terms)}\n\n\n"
              f"def grad_dot_w(x):\n    g = ad.grad(f)(x)\n    return {' + '.join(pairs)}\n")
    path = tmp_path / f"second_order_{id(c)}_{i}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    module.__dict__.update(space)
    spec.loader.exec_module(module)
    return module


def _params():
    """Every (case, argument) but at ties; again by keyword where tests/test_calling_forms.py
    calls it so."""
    out = []
    keyword = {(id(c), i) for c, i in (p.values for p in KEYWORD_PARAMS)}
    for p in PARAMS:
        c, i = p.values
        ans = c.fn(*c.args, **c.kwargs)
        if _differentiable(c.args[i]) and _leaves(ans) and not c.tie:
            out.append(pytest.param(c, i, False, id=p.id))
            if (id(c), i) in keyword:
                out.append(pytest.param(c, i, True, id=p.id + "-by-keyword"))
    return out


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("c, i, by_keyword", _params())
def test_second_order(tmp_path, c, i, by_keyword):
    rng = np.random.default_rng(i + 41)
    rule = RULES[c.fn]
    x = c.args[i]
    ans = c.fn(*c.args, **c.kwargs)
    u = _random_like(ans, rng)
    v = _random_like(x, rng, sym=i in c.sym)
    w = _random_like(x, rng)
    m = _module(tmp_path, c, i, _leaves(u), _leaves(w),
                positional_names(rule) if by_keyword else None)

    def rule_vjp(y):
        args = _with_arg(c.args, i, y)
        out = rule.vjps[i](u, c.fn(*args, **c.kwargs), *args, **c.kwargs)
        return _reduce_to(out, y) if rule.broadcasts else out
    hv = _map(lambda hi, lo: (hi - lo) / (2 * EPS), rule_vjp(_axpy(x, v, EPS)),
              rule_vjp(_axpy(x, v, -EPS)))
    tol = dict(rtol=max(c.rtol, 1e-5) * 10, atol=max(c.atol, 1e-6) * 10)
    _map(lambda got, want: np.testing.assert_allclose(got, want, **tol,
                                                      err_msg="forward over reverse"),
         ad.hvp(m.f)(x, v), hv)
    assert np.isclose(_vdot(ad.grad(m.grad_dot_w)(x), v), _vdot(w, hv), **tol), \
        "reverse over reverse"
