"""Every rule through the compiler with its differentiated argument passed by keyword.

For each case of tests/rule_cases.py and each argument it differentiates, where NumPy accepts
that argument (and every one after it) by keyword, a program calls the function the way users
write `np.average(x, weights=w)`: the arguments before it by position, it and the rest by
keyword.  Its VJP and JVP, in generated code, must be what the rule gives for the positional
call (registry.bind makes the two forms one).
"""
import importlib.util
import inspect

import numpy as np
import pytest

import s2s_ad as ad
from s2s_ad.rules import RULES
from s2s_ad.rules.registry import positional_names

from rule_cases import CASES
from test_rules import _differentiable, _map, _random_like, _vdot, _wrt


def _keyword_names(fn):
    """The parameters of `fn` that may be passed by keyword, or None without a signature.
    A scipy.stats method (`norm.logpdf(x, *args, **kwds)`) takes its shapes, loc and scale,
    its rules' parameters, by keyword too (np.einsum's **kwargs takes no operand)."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return None
    names = {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    if type(getattr(fn, "__self__", None)).__module__.startswith("scipy.stats"):
        names |= set(positional_names(RULES[fn]))
    return names


def _params():
    out = []
    for n, c in enumerate(CASES):
        rule = RULES[c.fn]
        names = positional_names(rule)
        accepted = _keyword_names(c.fn)
        if not accepted or not names:
            continue
        for i in _wrt(c, rule):
            later = names[i:len(c.args)]
            if len(later) == len(c.args) - i and set(later) <= accepted and \
                    rule.jvps and i < len(rule.jvps) and rule.jvps[i] is not None:
                out.append(pytest.param(c, i, id=f"{c.name}-{n}-{names[i]}="))
    return out


PARAMS = _params()


def _program(tmp_path, c, i):
    """A module with `f(x) = c.fn(*args[:i], name_i=x, name_j=args[j]..., **kwargs)`."""
    names = positional_names(RULES[c.fn])
    space = {"FN": c.fn}
    words = [f"A{j}" for j in range(i)]
    space.update({f"A{j}": c.args[j] for j in range(i)})
    words.append(f"{names[i]}=x")
    for j in range(i + 1, len(c.args)):
        words.append(f"{names[j]}=A{j}")
        space[f"A{j}"] = c.args[j]
    for key, value in c.kwargs.items():
        words.append(f"{key}=K_{key}")
        space[f"K_{key}"] = value
    path = tmp_path / f"by_keyword_{abs(hash((c.name, i)))}.py"
    path.write_text(f"def f(x):\n    return FN({', '.join(words)})\n")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    module.__dict__.update(space)
    spec.loader.exec_module(module)
    return module.f


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("c, i", PARAMS)
def test_an_argument_by_keyword_differentiates_as_by_position(tmp_path, c, i):
    f = _program(tmp_path, c, i)
    rule = RULES[c.fn]
    x = c.args[i]
    ans = c.fn(*c.args, **c.kwargs)
    rng = np.random.default_rng(i + 5)
    v = _random_like(x, rng, sym=i in c.sym)
    u = _random_like(ans, rng)
    # forward mode: the rule's tangent of the positional call
    out, tangent = ad.jvp(f, (x,), (v,))
    expected = rule.jvps[i](v, ans, *c.args, **c.kwargs)
    if rule.broadcasts:
        expected = _map(lambda t, a: np.broadcast_to(t, np.shape(a)), expected, ans)
    assert np.isclose(_vdot(u, tangent), _vdot(u, expected), rtol=1e-9, atol=1e-9)
    # reverse mode: the dot-product identity <u, J v> = <J^T u, v> between the two modes
    if _differentiable(ans):
        _, pullback = ad.vjp(f, x, wrt=(0,))
        cotangent = pullback(u)[0]
        assert np.isclose(_vdot(cotangent, v), _vdot(u, tangent), rtol=1e-8, atol=1e-8)


def test_the_keyword_forms_cover_the_rules_that_take_keywords():
    """The parametrisation is not empty by accident: the common keyword calls are in it."""
    covered = {c.fn for c, _ in (p.values for p in PARAMS)}
    for fn in (np.average, np.clip, np.histogram, np.linalg.norm, np.quantile, np.interp,
               np.sum, np.cross):
        assert fn in covered, fn
