"""One record per callable (rules/record.py Primitive): every callable with rules has its
facts in its record, the facts are well formed, and the stages read them from there."""
import ast
import inspect
import operator
import pathlib

import gast
import numpy as np
import pytest

import s2s_ad as ad
import s2s_ad.rules  # noqa: F401  (registers every rule)
from s2s_ad import runtime as _ad
from s2s_ad.analysis import kinds, shapes
from s2s_ad.frontend.inline import template
from s2s_ad.rules import registry, shape_facts
from s2s_ad.rules.registry import PRIMITIVES, RULES

PACKAGE = pathlib.Path(s2s_ad.rules.__file__).parent.parent


def _name(fn):
    return getattr(fn, "__qualname__", None) or repr(fn)


def _params(rule):
    """A rule's parameters after (g, ans) or (t, ans)."""
    return list(inspect.signature(rule).parameters.values())[2:]


def test_every_rule_lives_in_its_record():
    for fn, rule in RULES.items():
        assert PRIMITIVES.get(fn) is rule, _name(fn)


def test_a_callable_returning_a_tuple_says_so():
    """A rule that gives a tuple of tangents belongs to a callable whose result is a tuple:
    its kind must not be a number's (math.frexp is a math function, yet returns (m, e))."""
    wrong = []
    for fn, rule in RULES.items():
        for jvp in rule.jvps:
            tmpl = template(jvp) if jvp is not None else None
            if tmpl is not None and isinstance(tmpl.result, (gast.Tuple, gast.List)):
                if kinds.kind_rule(fn, registry) != "tuple":
                    wrong.append(_name(fn))
                break
    assert not wrong


def test_every_broadcasting_rule_has_its_kind_and_shape():
    """A broadcasting ufunc or function (np.add, np.where, operator.mul ...) combines its
    operands' kinds and has their broadcast shape, unless its record says otherwise (the
    scipy.stats methods state "num": loc and scale by keyword broadcast too)."""
    for fn, rule in RULES.items():
        if not rule.broadcasts or rule.shape is not None or rule.kind == "num":
            continue
        assert kinds.kind_rule(fn, registry) in ("combine", "elementwise"), _name(fn)
        assert shapes.shape_rule(fn) is shape_facts.broadcast, _name(fn)


def test_every_ufunc_with_rules_has_a_shape_rule():
    missing = [_name(fn) for fn in RULES
               if isinstance(fn, np.ufunc) and fn.nout == 1 and shapes.shape_rule(fn) is None]
    assert not missing


def test_stated_facts_are_well_formed():
    for fn, record in PRIMITIVES.items():
        assert record.fn is fn, _name(fn)
        assert record.kind is None or record.kind in registry.KIND_RULES, _name(fn)
        assert record.shape is None or callable(record.shape), _name(fn)
        assert record.pure in (None, True, False), _name(fn)
        assert not (record.view and record.fresh), _name(fn)     # a view is not new memory
        assert record.in_place is None or isinstance(record.in_place, str), _name(fn)
        assert record.shift is None or record.shift in registry.SHIFT_RULES, _name(fn)
        if record.batched is not None:
            jvp, vjp = record.batched
            assert callable(jvp) and callable(vjp), _name(fn)


def test_cheap_and_batched_callables_have_rules():
    """Recomputing, or batching, a call only matters where it is differentiated."""
    for fn, record in PRIMITIVES.items():
        if record.cheap or record.batched is not None:
            assert fn in RULES, _name(fn)


@pytest.mark.parametrize("fn", [fn for fn, r in PRIMITIVES.items() if r.batched is not None],
                         ids=_name)
def test_batched_rules_take_the_parameters_of_the_rules_they_replace(fn):
    rule = RULES[fn]
    found = 0
    for mode, rules, factory in (("jvp", rule.jvps, rule.batched[0]),
                                 ("vjp", rule.vjps, rule.batched[1])):
        for i, replaced in enumerate(rules):
            if replaced is None:
                continue
            for ranks in ((1, 1, 1), (2, 2, 2), (1, 2, 2), (2, 1, 1)):
                batched = factory(i, list(ranks[:len(_params(replaced))]))
                if batched is None:
                    continue
                found += 1
                # the call's arguments, bound by position to the rule, bind to the batched
                # rule too: it takes as many, and needs no more
                params, needed = _params(batched), [p for p in _params(batched)
                                                    if p.default is p.empty]
                assert len(needed) <= len(_params(replaced)) <= len(params), (mode, i, ranks)
    assert found, "no batched rule for any argument"


def test_elementwise_positions_name_parameters():
    for fn, record in PRIMITIVES.items():
        if record.elementwise_in:
            names = registry.positional_names(RULES[fn])
            assert max(record.elementwise_in) < len(names), _name(fn)


def test_methods_and_attributes_are_the_arrays():
    for name, fn in registry.METHODS.items():
        assert name in PRIMITIVES[fn].methods, name
    for name, fn in registry.ATTRIBUTES.items():
        assert hasattr(np.ndarray, name) and name in PRIMITIVES[fn].attributes, name


def test_a_new_callable_is_one_entry():
    """A user's callable with rules and facts: every stage sees them through its record."""
    def double(x):
        return np.repeat(x, 2)

    try:
        registry.defvjp(double, lambda g, ans, x: g[::2] + g[1::2], origin="user")
        registry.deffacts(double, kind="array", shape=lambda call: (
            None if call.shapes[0] is None else (2 * call.shapes[0][0],)))
        assert kinds.kind_rule(double, registry) == "array"
        assert shapes.shape_rule(double) is registry.primitive(double).shape
        assert registry.lookup(double) is registry.primitive(double)
        # nondifferentiable drops the rules and keeps the facts
        registry.nondifferentiable(double)
        assert registry.lookup(double) is None
        assert registry.primitive(double).kind == "array"
        assert registry.primitive(double).vjps == ()
    finally:
        RULES.pop(double, None)
        PRIMITIVES.pop(double, None)
        registry.NONDIFFERENTIABLE.pop(double, None)


def test_share_keeps_the_facts_of_the_callable():
    record = registry.primitive(np.add)
    assert record.vjps == RULES[operator.add].vjps
    assert record.elementwise_in == (0, 1)


def test_deffacts_refuses_an_unknown_fact():
    with pytest.raises(TypeError, match="no fact named"):
        registry.deffacts(np.sin, colour="red")
    with pytest.raises(ValueError, match="kind must be one of"):
        registry.deffacts(np.sin, kind="matrix")
    with pytest.raises(ValueError, match="shift must be one of"):
        registry.deffacts(np.sin, shift="twice")


def test_runtime_helpers_read_their_facts():
    assert registry.is_cheap(operator.mul) and not registry.is_cheap(np.multiply)
    assert registry.is_pure(np.sin) and registry.is_pure(len) and not registry.is_pure(print)
    assert shapes.shape_rule(_ad.unbroadcast).like == 1


# Tables of callables that the stages keep outside the records, not moved yet (each a set
# of facts about callables).  A new table of callables in analysis/, transforms/ or backend/
# belongs in the callables' records instead.
NOT_MOVED_YET = set()


def _callable_tables():
    """(file, name) of the module-level sets and dicts of analysis/, transforms/ and backend/
    with at least three `np.x`, `operator.x` or `_ad.x` items or keys."""
    found = set()
    for stage in ("analysis", "transforms", "backend"):
        for path in sorted((PACKAGE / stage).glob("*.py")):
            for node in ast.parse(path.read_text()).body:
                if not isinstance(node, ast.Assign) or not isinstance(node.targets[0], ast.Name):
                    continue
                items = node.value.elts if isinstance(node.value, ast.Set) else \
                    node.value.keys if isinstance(node.value, ast.Dict) else []
                named = [i for i in items if isinstance(i, ast.Attribute) and
                         isinstance(i.value, ast.Name) and
                         i.value.id in ("np", "operator", "_operator", "_ad", "runtime")]
                if len(named) >= 3:
                    found.add((f"{stage}/{path.name}", node.targets[0].id))
    return found


def test_facts_about_callables_live_in_their_records():
    assert _callable_tables() <= NOT_MOVED_YET


def _log_softmax_loss(logits):
    m = np.max(logits, axis=1, keepdims=True)
    z = logits - m
    return np.sum(z - np.log(np.sum(np.exp(z), axis=1, keepdims=True)))


def test_the_shift_analysis_reads_each_callables_record():
    """A maximum subtracted before exp has no derivative (activity.shift_invariant): the
    analysis knows np.max, np.exp, np.log, np.sum and `-` by their records' shift rules, not by
    their names, so without np.max's rule the maximum keeps its derivative."""
    logits = np.random.default_rng(0).normal(size=(3, 4))
    assert "max_grad" not in ad.source(_log_softmax_loss, "grad", example=(logits,))
    try:
        registry.deffacts(np.max, shift=None)
        ad.clear_cache()
        assert "max_grad" in ad.source(_log_softmax_loss, "grad", example=(logits,))
    finally:
        registry.deffacts(np.max, shift="extremum")
        ad.clear_cache()
    assert "max_grad" not in ad.source(_log_softmax_loss, "grad", example=(logits,))


class _NoisyError(Exception):
    def __init__(self, message):
        print("made", message)      # a user's class: making it may do anything
        super().__init__(message)


def test_making_a_built_in_exception_is_pure_raising_it_is_not():
    # so a guard reads `_ad.raise_exception(ValueError("..."))`, without a temporary
    assert registry.is_pure(ValueError) and registry.is_pure(FloatingPointError)
    assert not registry.is_pure(_NoisyError) and not registry.is_pure(_ad.raise_exception)
