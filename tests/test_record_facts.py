"""The facts the records state (rules/record.py Primitive) against what NumPy does.

A shape rule (analysis/shapes.shape_rule: stated, or the broadcast one derived) must give
np.shape of the real result wherever it gives a shape; a kind rule (analysis/kinds.kind_rule)
must name the kind of the real result.  The calls are the cases of tests/rule_cases.py, each
again with its differentiated arrays replaced by Python numbers where NumPy takes them, and a
table of calls over shapes, axes and keepdims for the callables with stated shape rules.
"""
import builtins
import itertools
import math
import operator
import warnings

import gast
import numpy as np
import pytest

import s2s_ad.rules  # noqa: F401  (registers every rule)
from s2s_ad import runtime as _ad
from s2s_ad.analysis import kinds, shapes
from s2s_ad.analysis.shapes import _Call
from s2s_ad.rules import registry

import rule_cases

RNG = np.random.default_rng(11)


def _atom(k, value):
    """An array argument is a name (its shape known, its value not); anything else a constant
    as the code writes it."""
    if isinstance(value, np.ndarray):
        return gast.Name(f"a{k}", gast.Load(), None, None)
    if isinstance(value, tuple) and all(type(v) in (int, float, bool) for v in value):
        return gast.Tuple([gast.Constant(v, None) for v in value], gast.Load())
    return gast.Constant(value, None) if value is None or type(value) in (int, float, bool, str) \
        else gast.Name(f"c{k}", gast.Load(), None, None)


def _constant(node):
    if isinstance(node, gast.Constant):
        return True, node.value
    if isinstance(node, gast.Tuple):
        return True, tuple(e.value for e in node.elts)
    return False, None


def _shape_of(value):
    """What analysis/shapes.py knows of an argument's shape: arrays and numbers."""
    if isinstance(value, np.ndarray) or type(value) in (int, float, bool):
        return np.shape(value)
    return None


def _predicted_shape(fn, args, kwargs):
    rule = shapes.shape_rule(fn)
    if rule is None:
        return None
    call = _Call([_shape_of(a) for a in args], [_atom(k, a) for k, a in enumerate(args)],
                 {key: _atom(key, v) for key, v in kwargs.items()}, _constant)
    return rule(call)


def _kind(value):
    """kinds.kind_of_value, with complex numbers and arrays taken as their real kinds."""
    if isinstance(value, (complex, np.complexfloating)):
        return "scalar"
    if isinstance(value, np.ndarray):
        return "array"
    return kinds.kind_of_value(value)


def _predicted_kinds(fn, args):
    """The kinds the kind rule allows for the result of fn(*args), or None (no claim)."""
    rule = kinds.kind_rule(fn, registry)
    arg_kinds = [_kind(a) for a in args]
    if rule in ("scalar", "array"):
        return {rule}
    if rule == "num":
        return {"scalar", "array"}
    if rule == "tuple":      # the kind is left unknown (a tuple, a list, an object ...)
        return None
    if rule == "first":
        return {arg_kinds[0]} if arg_kinds and arg_kinds[0] is not None else None
    if rule == "elementwise":
        first = arg_kinds[0] if arg_kinds else None
        return {first} if first in ("scalar", "array") else {"scalar", "array"}
    if rule == "combine":
        combined = kinds.combine(arg_kinds)
        return None if combined is None else \
            {combined} if combined != "num" else {"scalar", "array"}
    return None


# ---- the calls ----

def _as_number(value):
    """A differentiated array of the case as a Python number (its first item)."""
    return float(np.ravel(value)[0]) if isinstance(value, np.ndarray) and value.size and \
        value.dtype == float else value


def _calls():
    """(fn, args, kwargs) of every rule case, and of each with its float arrays as numbers."""
    out = []
    for c in rule_cases.CASES:
        out.append((c.fn, c.args, c.kwargs))
        numbers = tuple(_as_number(a) for a in c.args)
        if any(n is not a for n, a in zip(numbers, c.args)):
            out.append((c.fn, numbers, c.kwargs))
    return out


REDUCTIONS = (np.sum, np.mean, np.prod, np.max, np.amax, np.min, np.amin, np.var, np.std,
              np.nansum, np.nanmean)
SHAPES = ((), (4,), (3, 4), (2, 3, 4))


def _table():
    """Calls over shapes, axes and keepdims for the stated shape rules."""
    out = []
    for fn, shape in itertools.product(REDUCTIONS, SHAPES):
        a = RNG.uniform(0.5, 2.0, shape)
        for axis, keepdims in itertools.product((None, 0, -1, 1, (0, 1), (0, -1)),
                                                (None, True, False)):
            if axis is not None and any(ax >= len(shape) or ax < -len(shape)
                                        for ax in np.atleast_1d(axis)):
                continue
            kw = {} if keepdims is None else {"keepdims": keepdims}
            out.append((fn, (a, axis), kw))          # axis by position
            out.append((fn, (a,), dict(kw, axis=axis)))     # and by keyword
        out.append((fn, (a,), {}))
    for fn, shape in itertools.product((np.cumsum, np.cumprod, np.sort), SHAPES[1:]):
        a = RNG.permutation(math.prod(shape)).reshape(shape) * 1.0
        for axis in (None, 0, -1):
            out += [(fn, (a, axis), {}), (fn, (a,), {"axis": axis})]
        out.append((fn, (a,), {}))
    for shape in SHAPES[1:]:
        a = RNG.standard_normal(shape)
        for n, axis in itertools.product((1, 2), (0, -1)):
            if a.shape[axis] > n:
                out += [(np.diff, (a, n, axis), {}), (np.diff, (a,), {"n": n, "axis": axis})]
        out += [(np.ravel, (a,), {}), (np.transpose, (a,), {}),
                (np.reshape, (a, (-1,)), {}), (np.reshape, (a, (2, -1)), {}),
                (np.outer, (a, a[..., :2]), {}), (np.linalg.norm, (a,), {}),
                (np.copy, (a,), {}), (np.flip, (a,), {}), (np.roll, (a, 1), {}),
                (np.zeros_like, (a,), {}), (np.nan_to_num, (a,), {}), (np.sinc, (a,), {})]
    for a, b in (((3, 4), (4, 2)), ((4,), (4,)), ((4,), (4, 2)), ((3, 4), (4,)),
                 ((2, 3, 4), (4, 5)), ((2, 1, 3, 4), (5, 4, 2)), ((2, 3, 4), (4,))):
        x, y = RNG.standard_normal(a), RNG.standard_normal(b)
        out += [(np.matmul, (x, y), {}), (operator.matmul, (x, y), {})]
        if len(b) <= 2:
            out.append((np.dot, (x, y), {}))
    for a, b in (((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((), (4,))):
        x, y = RNG.standard_normal(a) > 0, RNG.standard_normal(b) > 0
        for fn in (operator.lt, operator.le, operator.eq, operator.ne, operator.ge, operator.gt,
                   operator.and_, operator.or_, operator.xor):
            out.append((fn, (x, y), {}))
        out.append((operator.floordiv, (RNG.standard_normal(a), RNG.uniform(1, 2, b)), {}))
    for shape in SHAPES:
        a = RNG.standard_normal(shape)
        out += [(np.ones_like, (a,), {}), (np.empty_like, (a,), {}),
                (np.full_like, (a, 2.0), {})]
    for size in (3, (2, 3), (0,)):
        for fn in (np.zeros, np.ones, np.empty):
            out.append((fn, (size,), {}))
        out.append((np.full, (size, 1.5), {}))
    for n in (1, 3):
        out += [(np.eye, (n,), {}), (np.eye, (n, 2), {}), (np.eye, (n,), {"M": 4}),
                (np.eye, (n, None), {}), (np.eye, (n, 2), {"k": 1}), (np.identity, (n,), {})]
    for bounds in ((4,), (0,), (-2,), (1, 7), (7, 1), (1, 7, 2), (7, 1, -3), (2, 2, 1)):
        out.append((np.arange, bounds, {}))
    for x in (2.5, -1.0, np.float64(0.3), 3):
        for fn in (builtins.abs, builtins.float, builtins.int, builtins.round, np.copy,
                   np.negative, np.positive, operator.neg, operator.pos, _ad.copy_of,
                   _ad.zeros_like, np.real, np.imag, np.conj, np.sinc, math.modf, math.frexp,
                   np.zeros_like, np.linalg.norm):
            out.append((fn, (x,), {}))
        out += [(builtins.max, (x, 1.0), {}), (builtins.min, (x, 1.0), {})]
    return out


CALLS = []
for _fn, _args, _kwargs in _calls() + _table():
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _result = _fn(*_args, **_kwargs)
    except Exception:          # a number where NumPy wants an array: no such call
        continue
    CALLS.append((_fn, _args, _kwargs, _result))


def _name(fn):
    return getattr(fn, "__qualname__", None) or repr(fn)


def _ids(calls):
    return [f"{_name(fn)}-{n}" for n, (fn, *_) in enumerate(calls)]


SHAPE_CALLS = [c for c in CALLS if shapes.shape_rule(c[0]) is not None]


@pytest.mark.parametrize("fn, args, kwargs, result", SHAPE_CALLS, ids=_ids(SHAPE_CALLS))
def test_a_shape_rule_gives_numpys_shape(fn, args, kwargs, result):
    predicted = _predicted_shape(fn, args, kwargs)
    if predicted is not None:
        assert tuple(predicted) == np.shape(result)


KIND_CALLS = [c for c in CALLS if _predicted_kinds(c[0], c[1]) is not None]


@pytest.mark.parametrize("fn, args, kwargs, result", KIND_CALLS, ids=_ids(KIND_CALLS))
def test_a_kind_rule_gives_numpys_kind(fn, args, kwargs, result):
    allowed = _predicted_kinds(fn, args)
    assert _kind(result) in allowed, (kinds.kind_rule(fn, registry), type(result))


def test_the_facts_are_checked_on_many_calls():
    """Not empty by accident: the stated shape rules all meet calls that give a shape."""
    stated = {fn for fn, record in registry.PRIMITIVES.items() if record.shape is not None}
    met = {fn for fn, args, kwargs, _ in SHAPE_CALLS
           if _predicted_shape(fn, args, kwargs) is not None}
    assert len(SHAPE_CALLS) > 1000 and len(KIND_CALLS) > 1000
    assert not {fn for fn in stated if fn not in met} - UNMET, \
        "a stated shape rule no call here gives a shape"


# stated shape rules that no call here meets: np.full(shape, value) has two arguments, and
# shape_facts.from_sizes, stated for it with np.zeros, gives a shape for one only
UNMET = {np.full}


# ---- the other facts: fresh, real, methods and attributes ----

def _arrays(value):
    if isinstance(value, np.ndarray):
        return [value]
    if isinstance(value, (tuple, list)):
        return [a for v in value for a in _arrays(v)]
    return []


FRESH_CALLS = [c for c in CALLS if registry.fact(c[0], "fresh") and _arrays(c[3])]


@pytest.mark.parametrize("fn, args, kwargs, result", FRESH_CALLS, ids=_ids(FRESH_CALLS))
def test_a_fresh_result_shares_no_memory_with_the_arguments(fn, args, kwargs, result):
    assert not any(np.shares_memory(r, a) for r in _arrays(result) for a in _arrays(args))


def _complex(value):
    return any(np.iscomplexobj(a) for a in _arrays(value)) or isinstance(value, complex) or \
        isinstance(value, (tuple, list)) and any(_complex(v) for v in value)


REAL_CALLS = [c for c in CALLS if registry.fact(c[0], "real") and not _complex(c[1])
              and not _complex(list(c[2].values()))]


@pytest.mark.parametrize("fn, args, kwargs, result", REAL_CALLS, ids=_ids(REAL_CALLS))
def test_real_arguments_give_a_real_result(fn, args, kwargs, result):
    assert not _complex(result)


def _same(a, b):
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(_same(u, v) for u, v in zip(a, b))
    return np.shape(a) == np.shape(b) and np.allclose(a, b, equal_nan=True)


METHOD_CALLS = [(name, c) for name, fn in registry.METHODS.items() for c in CALLS
                if c[0] is fn and c[1] and isinstance(c[1][0], np.ndarray)]


@pytest.mark.parametrize("name, call", METHOD_CALLS,
                         ids=[f"{name}-{n}" for n, (name, _) in enumerate(METHOD_CALLS)])
def test_a_method_computes_its_function(name, call):
    fn, args, kwargs, result = call
    rest = args[1:]
    if registry.primitive(fn).method_packs and len(rest) == 1 and isinstance(rest[0], tuple):
        rest = rest[0]        # x.reshape(2, 6) is np.reshape(x, (2, 6))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert _same(getattr(args[0], name)(*rest, **kwargs), result)


ATTRIBUTE_CALLS = [(name, c) for name, fn in registry.ATTRIBUTES.items() for c in CALLS
                   if c[0] is fn and len(c[1]) == 1 and not c[2] and
                   isinstance(c[1][0], np.ndarray)]


@pytest.mark.parametrize("name, call", ATTRIBUTE_CALLS,
                         ids=[f"{name}-{n}" for n, (name, _) in enumerate(ATTRIBUTE_CALLS)])
def test_an_attribute_is_its_function(name, call):
    fn, args, _, result = call
    assert _same(getattr(args[0], name), result)


def test_every_method_and_attribute_is_checked():
    assert {name for name, _ in METHOD_CALLS} == set(registry.METHODS) - UNCALLED_METHODS
    assert {name for name, _ in ATTRIBUTE_CALLS} == set(registry.ATTRIBUTES)


# methods of non-differentiable functions, which have no rule cases
UNCALLED_METHODS = {"argmax", "argmin", "argsort", "nonzero", "any", "all", "round",
                    "searchsorted"}
