"""Shapes of values, where the arguments' shapes make them certain.

    infer_shapes(fn, ops, kinds, arg_shapes, number=None) -> {name: shape tuple}

Generated code is specialised on the shapes of the array arguments (like `jax.jit`, a new
shape compiles new code).  From those, the shapes that NumPy's rules fix are propagated:
broadcasting (ufuncs, operators, comparisons), reductions with constant axes, matrix products,
transposes, reshapes to constant shapes (or to a tuple of constants bound to a name), indexing
with constants, slices and integers, and functions that keep the shape of an argument: each
function's shape rule is in its record (`deffacts(fn, shape=...)`, rules/shape_facts.py).
`number(atom)` says whether a module-level atom (`math.pi`) is a number, of shape (); the
batched modes (batching.py), which need every shape, pass it.  Where the shapes of an argument
and a result are known to be equal, the cotangent needs no reduction (`_ad.unbroadcast`) and the
tangent no broadcast.  A name whose shape is not certain (it changes around a loop, or comes
from an operation without a shape rule) is simply absent.
"""
import collections
import math

import gast
import numpy as np

from s2s_ad.analysis.activity import simple_statements, targets
from s2s_ad.base import syntax as S
from s2s_ad.analysis.ops import hashable
from s2s_ad.rules import registry
from s2s_ad.rules.shape_facts import broadcast as broadcast_rule, dummy, from_sizes

_UNKNOWN = "unknown"
_BOTTOM = "bottom"       # not computed yet: the optimistic start of the fixed point


def _constant(node):
    if isinstance(node, gast.Constant):
        return True, node.value
    if isinstance(node, gast.Tuple) and all(isinstance(e, gast.Constant) for e in node.elts):
        return True, tuple(e.value for e in node.elts)
    return False, None


class _Shapes:
    def __init__(self, kinds, shapes, number=None):
        self.kinds = kinds
        self.shapes = shapes
        self.number = number     # is a non-local atom (`math.pi`) a number? (optional)
        self.tuples = {}         # names bound once to a constant: `_t19 = (-1,)`, `n = x.shape[0]`
        self.values = shapes

    def note(self, name, op):
        value = self.value(op)
        if value is not None:
            self.tuples[name] = value

    def value(self, op):
        """The value of `x.shape`, `x.ndim`, `x.size` for x of known shape, of indexing such a
        tuple with a constant, and of a tuple of constants; None otherwise."""
        if op.kind == "pack":
            items = [self.constant(a) for a in op.args]
            if all(known for known, _ in items):
                return tuple(v for _, v in items)
        if op.kind == "other" and op.name in (".shape", ".ndim", ".size") and op.args:
            shape = self.of(op.args[0])
            if not isinstance(shape, tuple):
                return None
            return {".shape": shape, ".ndim": len(shape), ".size": math.prod(shape)}[op.name]
        if op.kind == "index" and isinstance(op.args[0], gast.Name) and \
                isinstance(self.tuples.get(op.args[0].id), tuple):
            known, index = self.constant(op.index)
            if known and type(index) is int:
                try:
                    return self.tuples[op.args[0].id][index]
                except IndexError:
                    return None
        return None

    def constant(self, node):
        """(known, value) of a constant atom."""
        if isinstance(node, gast.Name) and node.id in self.tuples:
            return True, self.tuples[node.id]
        return _constant(node)

    def of(self, node):
        if isinstance(node, gast.Constant):
            return () if type(node.value) in (int, float, bool) else _UNKNOWN
        if isinstance(node, gast.Name):
            if self.kinds.get(node.id) == "scalar":
                return ()
            if node.id not in self.shapes and self.number is not None and self.number(node):
                return ()
            return self.shapes.get(node.id, _UNKNOWN)
        if isinstance(node, gast.Attribute) and self.number is not None and self.number(node):
            return ()
        return _UNKNOWN

    def result(self, op):
        operands = [a for a in op.args if isinstance(a, gast.Name)]
        if any(self.shapes.get(a.id) is _BOTTOM for a in operands):
            return _BOTTOM
        shape = self._result(op)
        return _UNKNOWN if shape is _BOTTOM else shape

    def _result(self, op):
        if op.kind == "copy":
            return self.of(op.args[0])
        if op.kind == "const":
            return _UNKNOWN
        if op.kind == "index":
            return self.index(self.of(op.args[0]), op.index)
        if op.kind == "other" and len(op.args) == 2 and _stated(op.fn) is broadcast_rule:
            shapes = [None if s is _UNKNOWN else s for s in (self.of(a) for a in op.args)]
            shape = broadcast_rule(_Call(shapes, op.args, {}, self.constant))    # a comparison
            return _UNKNOWN if shape is None else shape
        if op.kind != "call" or op.fn == "astype":
            return self.of(op.args[0]) if op.fn == "astype" else _UNKNOWN
        rule = shape_rule(op.fn)
        if rule is None:
            return _UNKNOWN
        shapes = [None if s is _UNKNOWN else s for s in (self.of(a) for a in op.args)]
        shape = rule(_Call(shapes, op.args, op.kwargs, self.constant))
        return _UNKNOWN if shape is None else shape

    def index(self, shape, index):
        if shape is _UNKNOWN:
            return _UNKNOWN
        parts = index.elts if isinstance(index, gast.Tuple) else [index]
        concrete = []
        for part in parts:
            if isinstance(part, gast.Slice):
                bounds = []
                for b in (part.lower, part.upper, part.step):
                    known, value = self.constant(b) if b is not None else (True, None)
                    if not known:
                        return _UNKNOWN
                    bounds.append(value)
                concrete.append(slice(*bounds))
            elif isinstance(part, gast.Constant) and (part.value is None or part.value is Ellipsis
                                                      or type(part.value) is int):
                concrete.append(part.value)
            elif isinstance(part, gast.Name) and self.kinds.get(part.id) == "scalar" \
                    and self.of(part) == ():
                concrete.append(0)          # an integer: which one does not change the shape
            else:
                return _UNKNOWN
        try:
            return np.shape(dummy(shape)[tuple(concrete)])
        except (IndexError, TypeError, ValueError):
            return _UNKNOWN


class _Call:
    """What a shape rule (rules/shape_facts.py) sees of a call."""

    def __init__(self, shapes, args, kwargs, constant):
        self.shapes, self.args, self.kwargs, self.constant = shapes, args, kwargs, constant


def _stated(fn):
    """The shape rule `fn`'s record states, or None."""
    record = registry.primitive(fn) if hashable(fn) else None
    return record.shape if record is not None else None


def shape_rule(fn):
    """The shape rule of a call of `fn` (see rules/shape_facts.py), or None: the one its
    record states; else, for a ufunc called with as many arguments as it takes, or a function
    whose rules broadcast, the broadcast shape."""
    rule = _stated(fn)
    if rule is not None:
        return rule
    record = registry.lookup(fn) if hashable(fn) else None
    if record is not None and record.broadcasts:
        return broadcast_rule
    if isinstance(fn, np.ufunc) and fn.nout == 1 and fn.signature is None:
        # (not np.modf's two results, nor a generalised ufunc's core axes: np.matvec)
        return lambda call: broadcast_rule(call) if len(call.args) == fn.nin else None
    return None


def infer_shapes(fn, ops, kinds, arg_shapes, number=None):
    if not arg_shapes:
        return {}
    return _settle(fn, ops, dict(arg_shapes), _Shapes(kinds, {}, number))


def _settle(fn, ops, given, helper):
    """{name: value} to a fixed point: each name's value is what every statement assigning it
    gives (`helper.result(op)`), or `given` holds, if they agree; names whose value is not
    certain are absent (all but `given` where 50 rounds do not settle).  `helper.values` is
    the dict being filled; `helper.note(name, op)`, if any, sees each statement assigning one
    name once per round (`helper.tuples`)."""
    values = helper.values
    values.update(given)
    # (not the placeholders of unbound variables, which the original code never reads)
    stmts = [s for s in simple_statements(fn.node.body) if targets(s) and
             not S.is_unbound(getattr(s, "value", None))]
    for s in stmts:
        for t in targets(s):
            if t not in values:
                values[t] = _BOTTOM
    # names one statement assigns (counted in one pass: code generated for a second derivative
    # has thousands of statements, and a count per name made this quadratic)
    assigned_by = collections.Counter(t for s in stmts for t in set(targets(s)))
    once = {t for t, count in assigned_by.items() if count == 1}
    for _ in range(50):                      # names assigned in loops settle in a few rounds
        before = dict(values)
        found = {}
        helper.tuples = {}     # `n = W.shape[0]`, `_t2 = (n, 3)`: from this round's values
        for s in stmts:                      # in program order, using what is known so far
            op = ops[id(s)]
            if op.kind in ("setitem", "append", "pop"):
                continue
            if op.kind == "unpack":
                results = _sizes_unpacked(helper, op, targets(s), once)
                if results is None:
                    continue
            else:
                if len(targets(s)) == 1 and targets(s)[0] in once:
                    helper.note(targets(s)[0], op)
                results = [helper.result(op)] * len(targets(s))
            for t, result in zip(targets(s), results):
                found.setdefault(t, set()).add(result)
                if values.get(t) is _UNKNOWN:
                    continue                 # once uncertain, always uncertain
                options = found[t] | ({given[t]} if t in given else set())
                options.discard(_BOTTOM)
                if before.get(t) not in (None, _BOTTOM):
                    options.add(before[t])   # what an earlier round found still holds
                values[t] = _BOTTOM if not options else \
                    options.pop() if len(options) == 1 else _UNKNOWN
        if values == before:
            break
    else:
        # Not settled (a chain of over 50 statements that each read the next, in a loop: one
        # round per statement): a value found so far may still become unknown, so none is
        # taken for certain.  The cost stays linear; the code is only less specialised.
        return dict(given)
    return {n: v for n, v in values.items() if v is not _UNKNOWN and v is not _BOTTOM}


def _sizes_unpacked(helper, op, names, once):
    """`n, m = _t0` where `_t0 = x.shape` of a known shape (helper.tuples has it): each size is
    a number, of shape (), and `helper.tuples` takes the sizes of the names bound once.  None
    for another unpack."""
    value = op.args[0]
    sizes = helper.tuples.get(value.id) if isinstance(value, gast.Name) and \
        isinstance(helper, _Shapes) else None
    if not (isinstance(sizes, tuple) and len(sizes) == len(names) and
            all(type(size) is int for size in sizes)):
        return None
    for name, size in zip(names, sizes):
        if name in once:
            helper.tuples[name] = size
    return [()] * len(names)


def infer_ranks(fn, ops, kinds, shapes):
    """{name: number of dimensions}, also where the shape is not known: an array made from a
    tuple of sizes (`np.zeros((w, h))`: 2, whatever w and h are), its copies, elementwise
    results and indexes.  (Generic code knows no shapes, yet `y[i, j]` of such an array is a
    number, not a view of it.)"""
    return _settle(fn, ops, {n: len(shape) for n, shape in shapes.items()},
                   _Ranks(kinds))


class _Ranks:
    def __init__(self, kinds):
        self.kinds = kinds
        self.values = {}
        self.tuples = {}       # names bound once to a tuple or list display -> its length

    def note(self, name, op):
        if op.kind == "pack":
            self.tuples[name] = len(op.args)

    def of(self, node):
        if isinstance(node, gast.Constant):
            return 0 if type(node.value) in (int, float, bool) else _UNKNOWN
        if isinstance(node, gast.Name):
            return 0 if self.kinds.get(node.id) == "scalar" else \
                self.values.get(node.id, _UNKNOWN)
        return _UNKNOWN

    def result(self, op):
        rule = shape_rule(op.fn) if op.kind == "call" and op.fn != "astype" else None
        if rule is from_sizes and op.args:
            return self.sizes(op.args[0])      # (whatever the sizes are)
        ranks = [self.of(a) for a in op.args]
        if _BOTTOM in ranks:
            return _BOTTOM
        if op.kind == "copy" or op.kind == "call" and op.args and (
                op.fn == "astype" or isinstance(op.fn, np.ufunc) and op.fn.nin == 1):
            return ranks[0]
        like = getattr(rule, "like", None)     # rules/shape_facts.py like(i)
        if like is not None and len(ranks) > like:
            return ranks[like]
        if op.kind == "index":
            return self.index(ranks[0], op.index)
        if op.kind in ("call", "other") and not op.kwargs and len(op.args) == 2 and \
                _UNKNOWN not in ranks and _broadcasts(op.fn):
            return max(ranks)
        return _UNKNOWN

    def sizes(self, node):
        """The number of dimensions of `np.zeros(node)`."""
        if isinstance(node, (gast.Tuple, gast.List)):
            return len(node.elts)
        if isinstance(node, gast.Name) and node.id in self.tuples:
            return self.tuples[node.id]
        return 1 if self.of(node) == 0 else _UNKNOWN

    def index(self, rank, index):
        """The number of dimensions of an index with integers, slices and None."""
        if rank is _UNKNOWN:
            return _UNKNOWN
        for part in index.elts if isinstance(index, gast.Tuple) else [index]:
            if isinstance(part, gast.Slice):
                continue
            if isinstance(part, gast.Constant) and part.value is None:
                rank += 1
            elif isinstance(part, gast.Constant) and type(part.value) is int or \
                    isinstance(part, gast.Name) and self.kinds.get(part.id) == "scalar":
                rank -= 1
            else:
                return _UNKNOWN
        return rank if rank >= 0 else _UNKNOWN


def _broadcasts(fn):
    """Whether `fn(a, b)` has the broadcast shape of its two operands."""
    rule = shape_rule(fn)
    return rule is broadcast_rule or isinstance(fn, np.ufunc) and fn.nin == 2


def elementwise_shape(expr, shape_of, numpy_name="np"):
    """The shape of an expression built only from arithmetic and NumPy ufuncs (numpy is
    `numpy_name` in the generated code) over names whose shapes `shape_of(name)` knows (None
    where unknown), by broadcasting; None if it is anything else (a reduction, an indexing, a
    helper call), or if a shape is unknown."""
    if isinstance(expr, gast.Constant):
        return () if type(expr.value) in (int, float) else None
    if isinstance(expr, gast.Name):
        return shape_of(expr.id)
    if isinstance(expr, gast.BinOp) and not isinstance(expr.op, gast.MatMult):
        parts = [expr.left, expr.right]
    elif isinstance(expr, gast.UnaryOp):
        parts = [expr.operand]
    elif isinstance(expr, gast.Call) and not expr.keywords and \
            (_is_numpy_ufunc(expr.func, numpy_name) or _is_elementwise_helper(expr.func)):
        parts = expr.args
    else:
        return None
    shapes = [elementwise_shape(p, shape_of, numpy_name) for p in parts]
    return None if any(s is None for s in shapes) else broadcast(*shapes)


def broadcast(*shapes):
    """The shape NumPy broadcasts `shapes` to, or None if they do not broadcast."""
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        return None


# runtime helpers that compute elementwise, broadcasting their arguments like a ufunc
_ELEMENTWISE_HELPERS = {"pow_slope", "div"}


def _is_elementwise_helper(func):
    """`_ad.<name>` for one of the elementwise runtime helpers."""
    return isinstance(func, gast.Attribute) and func.attr in _ELEMENTWISE_HELPERS and \
        isinstance(func.value, gast.Name) and func.value.id == "_ad"


def _is_numpy_ufunc(func, numpy_name):
    """`np.<name>` naming a ufunc."""
    if not (isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name)
            and func.value.id == numpy_name):
        return False
    return isinstance(getattr(np, func.attr, None), np.ufunc)
