"""Kinds of values, for specialising generated code on what the arguments are.

    infer_kinds(fn, ops, arg_kinds) -> {name: kind}

A kind is "scalar" (a Python or NumPy number), "array" (an ndarray), "num" (a number or array
of unknown shape), "container" (tuple, list), "dict" (a container whose items a `for` loop does
not visit: it walks its keys) or None (unknown).  Where every operand of a
broadcasting operation is a scalar, or the argument is an array and the rest are scalars, the
result has the argument's shape and no shape reduction is emitted.
"""
import math
import numbers

import gast
import numpy as np

from s2s_ad import runtime as _runtime
from s2s_ad.base import syntax as S
from s2s_ad.analysis.activity import simple_statements, targets


def kind_of_value(value):
    """The kind of a value; complex values are left unknown, so their cotangents always go
    through the runtime's shape reduction, which also takes the real part for real arguments."""
    if isinstance(value, (bool, np.bool_)):
        return "scalar"
    if isinstance(value, (complex, np.complexfloating)):
        return None
    if isinstance(value, np.ndarray):
        return None if np.iscomplexobj(value) else "array"
    if isinstance(value, (numbers.Number, np.generic)):
        return "scalar"
    if isinstance(value, (tuple, list)) and value and all(
            isinstance(v, (numbers.Number, np.generic)) for v in value):
        return "scalars"          # a sequence of numbers: its items are scalars
    if isinstance(value, dict):
        return "dict"
    if isinstance(value, (tuple, list)):
        return "container"
    return None


VALUE_KINDS = ("scalar", "array", "scalars")   # kinds of globals worth specialising on
CONTAINER_KINDS = ("container", "scalars", "dict")


_BOTTOM = "bottom"   # not known yet: optimistic start of the fixed-point iteration


def combine(kinds):
    kinds = [k for k in kinds if k != _BOTTOM]
    if not kinds:
        return _BOTTOM
    if any(k is None or k in CONTAINER_KINDS for k in kinds):
        return None
    if all(k == "scalar" for k in kinds):
        return "scalar"
    if any(k == "array" for k in kinds):
        return "array"
    return "num"


def merge(kinds):
    """The kind of a name assigned in several places."""
    kinds = set(kinds) - {_BOTTOM}
    if not kinds:
        return _BOTTOM
    if len(kinds) == 1:
        return kinds.pop()
    if None in kinds or not kinds.isdisjoint(CONTAINER_KINDS):
        return None
    return "num"


def atom_kind(node, kinds):
    """The kind of an operand: a constant's from its value, a name's from `kinds`."""
    if isinstance(node, gast.Constant):
        return "scalar" if type(node.value) in (int, float, bool) else None
    if isinstance(node, gast.Name):
        return kinds.get(node.id)
    return None



def _result_kind(op, kinds, rules, value=None, how=None):
    """The kind of what `op` computes; `how` is `_call_kind(op.fn)` when already known."""
    if op.kind == "copy":
        return atom_kind(op.args[0], kinds)
    if op.kind == "pack":
        items = [atom_kind(a, kinds) for a in op.args]
        return "scalars" if items and all(k == "scalar" for k in items) else "container"
    if op.kind == "dict":
        return "dict"
    if op.kind == "index":
        base = atom_kind(op.args[0], kinds)
        return {"scalars": "scalar", "array": "num", "num": "num"}.get(base)
    if op.kind == "other":
        if op.name:       # .shape and friends
            if op.name == ".shape":
                return "scalars"
            return "scalar" if op.name in (".ndim", ".size", ".itemsize", ".nbytes") else None
        return combine(atom_kind(a, kinds) for a in op.args)
    if op.kind == "const":
        return atom_kind(value, kinds) if value is not None else None
    if op.kind == "call":
        how, kind = how or _call_kind(op.fn, rules)
        if how == "first":
            return atom_kind(op.args[0], kinds) if op.args else None
        if how == "elementwise":      # a number gives a number, anything else an array
            first = atom_kind(op.args[0], kinds) if op.args else None
            return first if first in ("scalar", "array", "num") else "num"
        if how == "combine":
            return combine(atom_kind(a, kinds) for a in op.args)
        return kind
    return None


def _call_kind(fn, rules):
    """How the kind of `fn(...)` follows from its arguments' kinds: ("kind", k) always k,
    ("combine", None) their kinds combined, ("first", None) the first argument's kind,
    ("elementwise", None) a unary ufunc's: the first argument's if a number or array."""
    if fn in _SCALAR_BUILTINS:
        return "kind", "scalar"
    if fn in (abs, min, max):
        return "combine", None
    rule = rules.lookup(fn) if fn != "astype" else None
    if _is_math_function(fn):
        return "kind", "scalar"
    if fn in _UNARY_SAME_KIND:
        return "first", None
    if fn in _THROUGH_CONTAINERS:   # generated code's helpers, elementwise through containers
        return _THROUGH_CONTAINERS[fn], None
    if isinstance(fn, np.ufunc) and fn.nin == 1 and fn.nout == 1:
        return "elementwise", None
    if fn in _ARRAY_MAKERS:
        return "kind", "array"
    if fn in _TUPLE_MAKERS:     # a tuple or list of arrays (or, with some options, an array)
        return "kind", None
    if rule is not None and rule.broadcasts:
        return "combine", None
    if rule is not None or isinstance(fn, np.ufunc) or \
            str(getattr(fn, "__module__", "")).startswith("numpy"):
        return "kind", "num"
    return "kind", None


_SCALAR_BUILTINS = (len, int, float, bool, round)
_ARRAY_MAKERS = {np.zeros, np.ones, np.empty, np.full, np.zeros_like, np.ones_like,
                 np.empty_like, np.full_like, np.eye, np.identity, np.arange, np.linspace,
                 np.array, np.copy, np.stack, np.concatenate, np.vstack, np.hstack}
# Functions that return a tuple or list of arrays: their result is not a number or array,
# whatever rules they have (an index into it must not be adjoined as an array's).
_TUPLE_MAKERS = {np.linalg.slogdet, np.linalg.eigh, np.linalg.eig, np.linalg.svd, np.linalg.qr,
                 np.linalg.lstsq, np.histogram, np.histogram2d, np.histogramdd, np.split,
                 np.array_split, np.hsplit, np.vsplit, np.dsplit, np.meshgrid, np.gradient,
                 np.broadcast_arrays, np.modf, np.frexp, np.divmod, np.unique, np.polyfit}
import operator as _operator  # noqa: E402
_UNARY_SAME_KIND = {_operator.neg, _operator.pos, abs, np.negative, np.copy}
# `_ad.add(pair_bar, (c_bar, d_bar))` is a tuple where its arguments are: not a number
_THROUGH_CONTAINERS = {_runtime.add: "combine", _runtime.add_at: "first",
                       _runtime.zeros_like: "first"}


def _operand_names(op, value):
    """The names whose kinds the kind of `op`'s result is found from (see _result_kind)."""
    atoms = list(op.args) + [value]
    return {a.id for a in atoms if isinstance(a, gast.Name)}


def infer_kinds(fn, ops, arg_kinds, elements=frozenset()):
    """{name: kind}; `elements`: the ids of the statements known to assign a number (an element
    of an array whose number of dimensions is known, which the kinds alone take for a number
    or an array)."""
    from s2s_ad.rules import registry
    kinds = dict(arg_kinds)
    stmts = list(simple_statements(fn.node.body))
    for s in stmts:
        for t in targets(s):
            kinds.setdefault(t, _BOTTOM)
    for loop in S.statements(fn.node):
        if isinstance(loop, gast.For):      # every for loop runs over a range: int targets
            kinds[loop.target.id] = "scalar"
    assigning = []     # (op, names assigned, constant value, how a call's kind is found)
    numbers = []       # for each of them: is it an element (a number)?
    for s in stmts:
        op = ops[id(s)]
        ts = targets(s)
        if op.kind == "setitem" or not ts:
            continue
        assigning.append((op, ts, s.value if op.kind == "const" and hasattr(s, "value") else None,
                          _call_kind(op.fn, registry) if op.kind == "call" else None))
        numbers.append(id(s) in elements)
    # each round finds every assignment's kind from the kinds of the round before; an
    # assignment none of whose operands changed kind gives what it gave then
    results = [None] * len(assigning)
    operands = [_operand_names(op, value) for op, _, value, _ in assigning]
    changed = None      # names whose kind the last round changed; None before the first
    for _ in range(10):  # loops: a name's kind may depend on a later statement
        for i, (op, ts, value, how) in enumerate(assigning):
            if changed is None or not operands[i].isdisjoint(changed):
                results[i] = _result_kind(op, kinds, registry, value, how) \
                    if op.kind != "unpack" else None
                if results[i] == "num" and numbers[i]:
                    results[i] = "scalar"
        seen = {}
        for (op, ts, value, how), k in zip(assigning, results):
            for t in ts:
                seen.setdefault(t, set()).add(k)
        changed = set()
        for name, ks in seen.items():
            if name in arg_kinds:
                ks = ks | {arg_kinds[name]}
            k = merge(ks)
            if kinds[name] != k:
                kinds[name] = k
                changed.add(name)
        if not changed:
            break
    return {name: (None if k == _BOTTOM else k) for name, k in kinds.items()}


# -- real values ------------------------------------------------------------------------------

_REAL_OPERATORS = {_operator.add, _operator.sub, _operator.mul, _operator.truediv,
                   _operator.floordiv, _operator.mod, _operator.neg, _operator.pos,
                   _operator.matmul, abs, min, max, len, int, float, bool, round}
_REAL_NUMPY = {np.sum, np.mean, np.max, np.min, np.amax, np.amin, np.prod, np.var, np.std,
               np.cumsum, np.cumprod, np.transpose, np.reshape, np.ravel, np.squeeze, np.clip,
               np.copy, np.swapaxes, np.trace, np.diagonal, np.dot, np.tensordot, np.inner,
               np.outer, np.where, np.expand_dims, np.broadcast_to, np.zeros_like, np.ones_like,
               np.full_like, np.empty_like, np.zeros, np.ones, np.empty, np.full, np.eye,
               np.identity, np.arange, np.linspace}   # (a complex dtype is an operand: refused)


def all_real(fn, ops, kinds, arg_kinds):
    """Is every value of the function certainly real (no complex number anywhere)?

    True when every argument is a real number or array, and every statement is one that makes
    real values of real operands: arithmetic (except `**` on Python numbers, where
    `(-8.0) ** (1 / 3)` is complex), NumPy ufuncs (NumPy picks a real loop for real inputs:
    `np.sqrt(-1.0)` is nan), `math` functions, indexing, copies and a few shape and reduction
    functions.  Then, from a real seed, every cotangent is real too."""
    import gast
    if any(arg_kinds.get(p) not in ("scalar", "array") for p in fn.params):
        return False
    local = set(fn.params) | {t for s in simple_statements(fn.node.body) for t in targets(s)}

    def real(atom):
        if isinstance(atom, gast.Constant):
            return not isinstance(atom.value, complex)
        if isinstance(atom, gast.Name):
            return atom.id in local or kinds.get(atom.id) in ("scalar", "array")
        return False

    for s in simple_statements(fn.node.body):
        op = ops[id(s)]
        operands = list(op.args) + list(op.kwargs.values())
        if op.kind in ("copy", "index", "setitem"):
            ok = all(real(a) for a in operands)
        elif op.kind == "const":
            ok = not isinstance(getattr(getattr(s, "value", None), "value", None), complex)
        elif op.kind == "other":
            ok = op.name in (".shape", ".ndim", ".size")
        elif op.kind == "call":
            ok = all(real(a) for a in operands) and _real_call(op, kinds)
        else:
            ok = False
        if not ok:
            return False
    return True


def _real_call(op, kinds):
    fn = op.fn
    if fn is _operator.pow:     # a NumPy power, or an integer exponent, stays real
        base, exponent = op.args
        return kinds.get(getattr(base, "id", None)) == "array" or \
            isinstance(getattr(exponent, "value", None), int)
    if fn in _REAL_OPERATORS or fn in _REAL_NUMPY or isinstance(fn, np.ufunc):
        return True
    return _is_math_function(fn)


def _is_math_function(fn):
    """A function of the `math` module: it returns a float (or raises)."""
    return getattr(fn, "__module__", None) == "math" or \
        fn is getattr(math, getattr(fn, "__name__", ""), None)
