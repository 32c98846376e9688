"""Kinds of values, for specialising generated code on what the arguments are.

    infer_kinds(fn, ops, arg_kinds) -> {name: kind}

A kind is "scalar" (a Python or NumPy number), "array" (an ndarray), "num" (a number or array
of unknown shape), "container" (tuple, list), "dict" (a container whose items a `for` loop does
not visit: it walks its keys), a class (an object of it: a dataclass instance, a plain
object, see is_class) or None (unknown).  Where every operand of a
broadcasting operation is a scalar, or the argument is an array and the rest are scalars, the
result has the argument's shape and no shape reduction is emitted.
"""
import math
import numbers
import operator as _operator
from collections import deque

import gast
import numpy as np

from s2s_ad.base import syntax as S
from s2s_ad.analysis.activity import simple_statements, targets
from s2s_ad.analysis.ops import hashable
from s2s_ad.rules import registry


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


def is_class(kind):
    """An object's kind is its class (arguments.value_kind): unknown to every rule of
    numbers and containers, known to the calls of its methods (analysis/ops.py)."""
    return isinstance(kind, type)


VALUE_KINDS = ("scalar", "array", "scalars")   # kinds of globals worth specialising on
CONTAINER_KINDS = ("container", "scalars", "dict")


_BOTTOM = "bottom"   # not known yet: optimistic start of the fixed-point iteration


def combine(kinds):
    """The kind of a broadcasting operation's result.  An operand not known yet counts as
    unknown, never as absent: `1.0 + <not known>` is not a scalar (infer_kinds only asks
    once every operand is known)."""
    kinds = list(kinds)
    if not kinds or any(k is None or k in CONTAINER_KINDS or k == _BOTTOM or is_class(k)
                        for k in kinds):
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
    if None in kinds or not kinds.isdisjoint(CONTAINER_KINDS) or any(map(is_class, kinds)):
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
        if isinstance(op.index, gast.Slice):     # `seq[1:]`: a sequence like seq, or an array
            return {"scalars": "scalars", "container": "container", "array": "array",
                    "num": "num"}.get(base)
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
        if op.fn is range:     # integers (code read back runs `for i in reversed(range(n))`)
            return "scalars"
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
    how = kind_rule(fn, rules)
    if how in ("combine", "first", "elementwise"):
        return how, None
    return "kind", {"tuple": None}.get(how, how)


def kind_rule(fn, rules):
    """The kind rule of `fn` (registry.KIND_RULES), or None where nothing is known: the one
    its record states, else one found from what `fn` is: a `math` function gives a number,
    a unary ufunc works elementwise, a function whose rules broadcast combines its
    arguments' kinds, and any other function with rules, ufunc or NumPy function gives a
    number or an array."""
    record = rules.primitive(fn) if hashable(fn) else None
    if record is not None and record.kind is not None:
        return record.kind
    rule = rules.lookup(fn) if hashable(fn) else None
    if _is_math_function(fn):
        return "scalar"
    if isinstance(fn, np.ufunc) and fn.nout > 1:
        return "tuple"      # np.modf, scipy.special.sici: a tuple of results
    if isinstance(fn, np.ufunc) and fn.nin == 1 and fn.nout == 1:
        return "elementwise"
    if rule is not None and rule.broadcasts:
        return "combine"
    if rule is not None or isinstance(fn, np.ufunc) or \
            str(getattr(fn, "__module__", "")).startswith("numpy"):
        return "num"
    return None


def _operand_names(op, value):
    """The names whose kinds the kind of `op`'s result is found from (see _result_kind)."""
    atoms = list(op.args) + [value]
    return {a.id for a in atoms if isinstance(a, gast.Name)}


# How often one name's kind may change before it is taken for unknown.  Every kind can only
# rise a few steps (not known yet -> scalar -> num -> unknown), so real programs stay far below
# it; it only guarantees the end, and the cost linear in the function's size, if some rule
# above does not only rise.  Hitting it gives the name the generic kind None, never a guess.
_MAX_CHANGES = 8


def infer_kinds(fn, ops, arg_kinds, elements=frozenset()):
    """{name: kind}; `elements`: the ids of the statements known to assign a number (an element
    of an array whose number of dimensions is known, which the kinds alone take for a number
    or an array).

    An optimistic fixed point: every assigned name starts as not known yet (_BOTTOM), and a
    worklist re-evaluates only the assignments that read a name whose kind changed, until
    nothing changes (in loops a name's kind may depend on a later statement).  A name still
    not known then (only assigned from itself, in a loop) is unknown, and what reads it is
    found again, so no kind rests on one that was never known."""
    given = {name: {k} for name, k in arg_kinds.items()}    # merged with every assignment's
    for loop in S.statements(fn.node):
        if isinstance(loop, gast.For):      # every for loop runs over a range: int targets
            given.setdefault(loop.target.id, set()).add("scalar")
    assigning = []     # (op, names assigned, constant value, how a call's kind is found)
    numbers = []       # for each of them: is it an element (a number)?
    for s in simple_statements(fn.node.body):
        op = ops[id(s)]
        ts = targets(s)
        if op.kind == "setitem" or not ts or S.is_unbound(getattr(s, "value", None)):
            continue      # (a placeholder for an unbound variable: never read as a value)
        assigning.append((op, ts, s.value if op.kind == "const" and hasattr(s, "value") else None,
                          _call_kind(op.fn, registry) if op.kind == "call" else None))
        numbers.append(id(s) in elements)
    solver = _KindSolver(assigning, given, registry, numbers)
    solver.run(range(len(assigning)))
    unknown = [n for n, k in solver.kinds.items() if k == _BOTTOM]
    while unknown:      # each pass fixes at least these names for good
        solver.run(solver.give_up(unknown))
        unknown = [n for n, k in solver.kinds.items() if k == _BOTTOM]
    kinds = dict(solver.kinds)
    for name, cls in getattr(fn, "classes", {}).items():   # objects made in the function
        if kinds.get(name) is None:
            kinds[name] = cls
    return kinds


class _KindSolver:
    """The worklist of infer_kinds: each assignment's last result, and per name the results of
    the assignments to it (a count per kind, so a name assigned in many places costs no more
    than one), the assignments that read it, and how often its kind changed."""

    def __init__(self, assigning, given, rules, numbers):
        # numbers[i]: does assignment i give an element of an array (a number)?
        self.assigning, self.given, self.rules, self.numbers = assigning, given, rules, numbers
        self.results = [_BOTTOM] * len(assigning)
        self.assigned = {}     # name -> {kind: how many of its assignments give it}
        self.readers = {}      # name -> indices of the assignments that read it
        self.changes = {}
        self.operands = [_operand_names(op, value) for op, _, value, _ in assigning]
        for i, (_, ts, _, _) in enumerate(assigning):
            for t in ts:
                counts = self.assigned.setdefault(t, {})
                counts[_BOTTOM] = counts.get(_BOTTOM, 0) + 1
            for name in self.operands[i]:
                self.readers.setdefault(name, []).append(i)
        self.kinds = {name: merge(ks) for name, ks in given.items()}
        for name in self.assigned:
            self.kinds[name] = self._merged(name)

    def run(self, start):
        """Re-evaluate the assignments `start` (indices, in order) and all they affect."""
        queue = deque(start)
        queued = set(queue)
        while queue:
            i = queue.popleft()
            queued.discard(i)
            result = self._evaluate(i)
            if result == self.results[i]:
                continue
            old, self.results[i] = self.results[i], result
            ts = self.assigning[i][1]
            for t in ts:
                counts = self.assigned[t]
                counts[old] -= 1
                counts[result] = counts.get(result, 0) + 1
            for t in set(ts):
                if self._update(t):
                    fresh = [j for j in self.readers.get(t, ()) if j not in queued]
                    queue.extend(fresh)
                    queued.update(fresh)

    def give_up(self, names):
        """Take `names` for unknown (None) from now on; the assignments that read them, to be
        run again."""
        again = []
        for name in list(names):
            self.given.setdefault(name, set()).add(None)    # None wins every merge
            if self._update(name):
                again.extend(self.readers.get(name, ()))
        return sorted(set(again))

    def _update(self, name):
        """Find `name`'s kind again; did it change?"""
        kind = self._merged(name)
        if kind == self.kinds.get(name):
            return False
        self.changes[name] = self.changes.get(name, 0) + 1
        if self.changes[name] > _MAX_CHANGES:
            self.given.setdefault(name, set()).add(None)
            kind = None
        self.kinds[name] = kind
        return True

    def _merged(self, name):
        found = {k for k, n in self.assigned.get(name, {}).items() if n}
        return merge(found | self.given.get(name, set()))

    def _evaluate(self, i):
        op, _, value, how = self.assigning[i]
        if any(self.kinds.get(n) == _BOTTOM for n in self.operands[i]):
            return _BOTTOM        # strict: found once every operand's kind is
        if op.kind == "unpack":   # `n, m = x.shape`: numbers, as its items are
            return "scalar" if atom_kind(op.args[0], self.kinds) == "scalars" else None
        result = _result_kind(op, self.kinds, self.rules, value, how)
        if result == "num" and self.numbers[i]:
            return "scalar"
        return result


# -- real values ------------------------------------------------------------------------------

def all_real(fn, ops, kinds, arg_kinds, real_call=None):
    """Is every value of the function certainly real (no complex number anywhere)?

    True when every argument is a real number or array, and every statement is one that makes
    real values of real operands: arithmetic (except `**` on Python numbers, where
    `(-8.0) ** (1 / 3)` is complex), NumPy ufuncs (NumPy picks a real loop for real inputs:
    `np.sqrt(-1.0)` is nan), `math` functions, indexing, copies, tuples of real values (the
    sizes in `np.zeros((m, n))`) and a few shape and reduction functions.  Then, from a real
    seed, every cotangent is real too.  `real_call(stmt, op)` answers for the other calls
    with real operands (a call to a user function whose own values are all real: see
    analysis/real_calls.py); without it they are not taken for real."""
    import gast
    if any(arg_kinds.get(p) not in ("scalar", "array") for p in fn.params):
        return False
    local = set(fn.params) | {t for s in simple_statements(fn.node.body) for t in targets(s)}

    def real(atom):
        if isinstance(atom, gast.Constant):
            return not isinstance(atom.value, complex)
        if isinstance(atom, gast.Name):
            return atom.id in local or kinds.get(atom.id) in ("scalar", "array")
        if isinstance(atom, gast.Tuple):       # sizes: `a.reshape(m, m)`
            return all(real(item) for item in atom.elts)
        return False

    for s in simple_statements(fn.node.body):
        op = ops[id(s)]
        operands = list(op.args) + list(op.kwargs.values())
        if op.kind in ("copy", "index", "setitem", "pack"):
            ok = all(real(a) for a in operands)
        elif op.kind == "const":
            ok = not isinstance(getattr(getattr(s, "value", None), "value", None), complex)
        elif op.kind == "other":
            # a comparison gives booleans, whatever it compares
            ok = op.name in (".shape", ".ndim", ".size") or \
                isinstance(getattr(s, "value", None), gast.Compare)
        elif op.kind == "unpack":     # `n, m = _t0`, _t0 a shape (made by a statement here)
            ok = isinstance(op.args[0], gast.Name) and op.args[0].id in local and \
                kinds.get(op.args[0].id) == "scalars"
        elif op.kind == "call":
            ok = all(real(a) for a in operands) and (
                _real_call(op, kinds) or real_call is not None and real_call(s, op))
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
    if isinstance(fn, np.ufunc):
        return True
    if registry.fact(fn, "real"):      # its record: real arguments give a real result
        return True
    return _is_math_function(fn)


def _is_math_function(fn):
    """A function of the `math` module: it returns a float (or raises)."""
    return getattr(fn, "__module__", None) == "math" or \
        fn is getattr(math, getattr(fn, "__name__", ""), None)
