"""Batched derivative rules: tangents and cotangents with one leading batch axis.

    choose(op, i, rule, mode, arg_shapes, out_shape, broadcasts)
        -> ("elementwise" | "batched" | "per_item", rule)

`jacfwd` and `jacrev` differentiate along a whole basis in one call of a generated function
(modes "jvp_batched" and "vjp_batched").  There the tangent or cotangent of a value of shape s
has shape (B,) + s; primal values are never batched.  forward.py and reverse.py generate the
batched code with their usual machinery (a `batch` size on the generator) and ask `choose`, for
each rule they inline, how that rule runs on a batch:

  elementwise   the rule itself, unchanged: its t (or g) enters only elementwise arithmetic
                (+ - * /, unary -, np.where, np.real, ...) of a call whose result has the
                broadcast shape of its operands.  Broadcasting then carries the batch axis,
                once forward mode aligns a lower-rank tangent with the result (`t[:, None]`,
                so a scalar's (B,) tangent never meets an (n,) operand axis to axis) and
                reverse mode reduces with `_ad.unbroadcast_batch`, which keeps the batch axis.
  batched       the callable's batched rule (its record's `batched`, rules/batched_rules.py):
                same parameters as the rule it replaces, its t (or g) carries the batch
                axis.  `@`/np.matmul/np.dot of 1-D and
                2-D operands, np.outer, np.sum and np.mean (axes shifted by one), np.reshape,
                np.ravel, np.transpose/.T, and the runtime helpers of generated gradients
                (_ad.unbroadcast, _ad.broadcast_like, _ad.sum_grad, _ad.matmul_grad_a/b in g),
                so Hessians (jacfwd or jacrev of a gradient) batch too.
  per_item      any other rule that is one expression: applied to each item of the batch,
                `np.stack([rule(t_i, ...) for t_i in t])` (rules are linear in t or g).  Only
                that statement loops; not for broadcasting rules whose argument is broadcast.

Anything else raises Unbatchable, and the Jacobian falls back to one call per basis vector:
batchability is decided when the code is generated, never at run time.  The generators refuse
on their side: calls to user functions, containers (tuples, lists, dicts) that carry
derivatives, indices with arrays, and any value whose shape shapes.py cannot infer (the zero
of a batched derivative, np.zeros((B,) + shape), needs it).

The batch size B is the number of elements of the wrt arguments (forward) or of the output
(reverse), known from the argument shapes; `Program.batch` hands (B, shapes) to higher.py.
"""

import gast
import numpy as np

from s2s_ad.frontend.inline import _callee, template
from s2s_ad.base.errors import Unbatchable
from s2s_ad.rules import registry


# ---- the elementwise check -----------------------------------------------------------------

_LINEAR_BINOPS = (gast.Add, gast.Sub, gast.Mult, gast.Div)


_ELEMENTWISE = {}    # rule -> elementwise_in_first(rule)


def elementwise_in_first(rule):
    """Does the rule's first parameter (t or g) enter only elementwise operations?"""
    if rule not in _ELEMENTWISE:
        _ELEMENTWISE[rule] = _elementwise_in_first(rule)
    return _ELEMENTWISE[rule]


def _elementwise_in_first(rule):
    tmpl = template(rule)
    if tmpl is None or not tmpl.params:
        return False
    batched = {tmpl.params[0]}
    exprs = [(s.targets[0].id, s.value) for s in tmpl.body] + [(None, tmpl.result)]
    for target, expr in exprs:
        if not _elementwise_uses(expr, batched, tmpl.free):
            return False
        if target is not None and any(isinstance(n, gast.Name) and n.id in batched
                                      for n in gast.walk(expr)):
            batched.add(target)
    return True


def _elementwise_uses(expr, batched, free):
    parents = {}
    for node in gast.walk(expr):
        for child in gast.iter_child_nodes(node):
            parents[id(child)] = node
    for node in gast.walk(expr):
        if not (isinstance(node, gast.Name) and node.id in batched):
            continue
        child = node
        while id(child) in parents:
            parent = parents[id(child)]
            if not _passes_elementwise(parent, child, free):
                return False
            child = parent
    return True


def _passes_elementwise(parent, child, free):
    if isinstance(parent, gast.BinOp):
        return isinstance(parent.op, _LINEAR_BINOPS)
    if isinstance(parent, gast.UnaryOp):
        return isinstance(parent.op, (gast.USub, gast.UAdd))
    if isinstance(parent, gast.IfExp):
        return child is not parent.test
    if isinstance(parent, gast.Call):
        allowed = _elementwise_in(_callee(parent.func, free))
        return any(child is parent.args[k] for k in allowed if k < len(parent.args))
    return False


def positional_arguments(op):
    """The arguments of a call by position, those passed by keyword included (registry.bind),
    None at a position left to its default."""
    rule = registry.lookup(op.fn) if op.fn != "astype" else None
    bound = registry.bind(rule, op.args, op.kwargs)[0]
    return [bound.get(i) for i in range(max(bound, default=-1) + 1)]


def choose(op, i, rule, mode, arg_shapes, out_shape, broadcasts=False):
    """How the rule of argument i of `op` runs on a batch:
    ("elementwise" | "batched" | "per_item", rule).

    `arg_shapes` holds the shapes of op's positional arguments (None where unknown),
    `out_shape` the result's, `broadcasts` is the rule's flag.  Raises Unbatchable.
    """
    record = registry.primitive(op.fn) if _hashable(op.fn) else None
    factories = record.batched if record is not None else None
    factory = factories[mode != "jvp"] if factories is not None else None
    if factory is not None:
        batched = factory(i, [None if s is None else len(s) for s in arg_shapes])
        if batched is not None:
            return "batched", batched      # else (a 3-D matmul, say) item by item below
    if out_shape is not None and all(s is not None for s in arg_shapes) and \
            _broadcast(arg_shapes) == tuple(out_shape) and elementwise_in_first(rule):
        return "elementwise", rule
    tmpl = template(rule)
    if tmpl is None or tmpl.body:
        raise Unbatchable(f"{op.name}: its rule is not one expression")
    if broadcasts and (arg_shapes[i] is None or arg_shapes[i] != out_shape):
        raise Unbatchable(f"{op.name}: a broadcast argument")
    return "per_item", rule


def _broadcast(shapes):
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        return None


def _elementwise_in(fn):
    """The positions of `fn`'s arguments through which t may flow elementwise (its record's
    `elementwise_in`)."""
    record = registry.primitive(fn) if _hashable(fn) else None
    return record.elementwise_in if record is not None else ()


def _hashable(fn):
    try:
        hash(fn)
    except TypeError:
        return False
    return True


# The most elements a batched derivative may have (2**26 float64: 512 MB); beyond, the
# Jacobian loops over the basis, one derivative of the value's own size at a time.
MAX_ELEMENTS = 2 ** 26


def batch_size(shapes, values=()):
    """The batch of a Jacobian: the number of elements of values of `shapes`.  Raises
    Unbatchable when the batched derivative of one of `values` (shapes) would be too large."""
    size = int(sum(int(np.prod(s)) for s in shapes))
    largest = max((int(np.prod(s)) for s in values), default=1)
    if size * max(largest, 1) > MAX_ELEMENTS:
        raise Unbatchable(f"a batch of {size} derivatives of {largest} elements is too large")
    return size
