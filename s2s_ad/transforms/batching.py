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
  batched       a rule from the tables below (JVPS, VJPS): same parameters as the rule it
                replaces, its t (or g) carries the batch axis.  `@`/np.matmul/np.dot of 1-D and
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
import operator

import gast
import numpy as np

from s2s_ad import runtime as _ad
from s2s_ad.frontend.inline import _callee, template
from s2s_ad.base.errors import Unbatchable
from s2s_ad.rules import registry


# ---- the elementwise check -----------------------------------------------------------------

_LINEAR_BINOPS = (gast.Add, gast.Sub, gast.Mult, gast.Div)
# callables through which t may flow elementwise: {callable: positions t may take}
_ELEMENTWISE_CALLS = {np.where: (1, 2), np.real: (0,), np.imag: (0,), np.conj: (0,),
                      np.conjugate: (0,), np.copy: (0,), np.negative: (0,),
                      np.positive: (0,), np.multiply: (0, 1), np.add: (0, 1),
                      np.subtract: (0, 1), np.divide: (0, 1), _ad.copy_of: (0,),
                      _ad.scalar_like: (0,)}


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
        allowed = _ELEMENTWISE_CALLS.get(_callee(parent.func, free), ())
        return any(child is parent.args[k] for k in allowed if k < len(parent.args))
    return False


# ---- batched rules ---------------------------------------------------------------------------
# Each factory takes the argument index and the ranks of the positional arguments, and gives
# the batched rule (same parameters as the rule it replaces) or None.

def _matmul_jvp(i, ranks):
    ra, rb = ranks[:2]
    if ra not in (1, 2) or rb not in (1, 2):
        return None
    if i == 0:
        return _PRODUCT["t @ b"]
    return _PRODUCT["t @ a.T"] if rb == 1 else _PRODUCT["a @ t"]


def _matmul_vjp(i, ranks):
    ra, rb = ranks[:2]
    if ra not in (1, 2) or rb not in (1, 2):
        return None
    if i == 0:
        return _PRODUCT["g[..., None] * b"] if rb == 1 else _PRODUCT["g @ b.T"]
    if ra == 2:
        return _PRODUCT["a.T @ g"] if rb == 2 else _PRODUCT["g @ a"]
    return _PRODUCT["a[:, None] * g[:, None, :]"] if rb == 2 else _PRODUCT["g[:, None] * a"]


_PRODUCT = {
    "t @ b": lambda t, ans, a, b, out=None: t @ b,
    "t @ a.T": lambda t, ans, a, b, out=None: t @ np.transpose(a),
    "a @ t": lambda t, ans, a, b, out=None: a @ t,
    "g[..., None] * b": lambda g, ans, a, b, out=None: g[..., None] * b,
    "g @ b.T": lambda g, ans, a, b, out=None: g @ np.transpose(b),
    "a.T @ g": lambda g, ans, a, b, out=None: np.transpose(a) @ g,
    "g @ a": lambda g, ans, a, b, out=None: g @ a,
    "a[:, None] * g[:, None, :]": lambda g, ans, a, b, out=None: a[:, None] * g[:, None, :],
    "g[:, None] * a": lambda g, ans, a, b, out=None: g[:, None] * a,
}


def _fixed(rule):
    return lambda i, ranks: rule if i == 0 else None


_SUM_JVP = (lambda t, ans, a, axis=None, dtype=None, out=None, keepdims=False, initial=None:
            np.sum(t, _ad.batch_axis(axis, np.ndim(a)), dtype, None, keepdims))
_MEAN_JVP = (lambda t, ans, a, axis=None, dtype=None, out=None, keepdims=False:
             np.mean(t, _ad.batch_axis(axis, np.ndim(a)), dtype, None, keepdims))
_SUM_VJP = (lambda g, ans, a, axis=None, dtype=None, out=None, keepdims=False, initial=None:
            _ad.sum_grad_batch(g, a, axis, keepdims))
_MEAN_VJP = (lambda g, ans, a, axis=None, dtype=None, out=None, keepdims=False:
             _ad.sum_grad_batch(g, a, axis, keepdims) * (np.size(ans) / np.size(a)))
_RESHAPE_JVP = (lambda t, ans, a, shape=None, order="C": _ad.batch_reshape(t, shape, order))
_RESHAPE_VJP = (lambda g, ans, a, shape=None, order="C":
                _ad.batch_reshape(g, np.shape(a), order))
_RAVEL_JVP = lambda t, ans, a, order="C": _ad.batch_reshape(t, -1, order)  # noqa: E731
_RAVEL_VJP = lambda g, ans, a, order="C": _ad.batch_reshape(g, np.shape(a), order)  # noqa: E731
_TRANSPOSE_JVP = (lambda t, ans, a, axes=None:
                  np.transpose(t, _ad.batch_axes(axes, np.ndim(a))))
_TRANSPOSE_VJP = (lambda g, ans, a, axes=None:
                  np.transpose(g, _ad.batch_axes(_ad.inverse_axes(axes, np.ndim(a)), np.ndim(a))))
_OUTER_JVP_A = (lambda t, ans, a, b, out=None:
                _ad.batch_reshape(t, -1)[:, :, None] * np.ravel(b))
_OUTER_JVP_B = (lambda t, ans, a, b, out=None:
                np.ravel(a)[:, None] * _ad.batch_reshape(t, -1)[:, None, :])
_OUTER_VJP_A = (lambda g, ans, a, b, out=None:
                _ad.batch_reshape(g @ np.ravel(b), np.shape(a)))
_OUTER_VJP_B = (lambda g, ans, a, b, out=None:
                _ad.batch_reshape(np.ravel(a) @ g, np.shape(b)))
_UNBROADCAST_JVP = lambda tdot, out, g, x: _ad.unbroadcast_batch(tdot, x)  # noqa: E731
_UNBROADCAST_VJP = lambda gbar, out, g, x: _ad.broadcast_batch(gbar, g)  # noqa: E731
_BROADCAST_VJP = lambda gbar, out, t, z: _ad.unbroadcast_batch(gbar, t)  # noqa: E731
_SUM_GRAD_VJP = (lambda gbar, out, g, x, axis=None, keepdims=False:
                 np.sum(gbar, _ad.batch_axis(axis, np.ndim(x)), keepdims=keepdims))
_BROADCAST_JVP = lambda tdot, out, t, z: _ad.broadcast_batch(tdot, z)  # noqa: E731
_SUM_GRAD_JVP = (lambda tdot, out, g, x, axis=None, keepdims=False:
                 _ad.sum_grad_batch(tdot, x, axis, keepdims))
def _pair(rule_a, rule_b):
    return lambda i, ranks: rule_a if i == 0 else rule_b if i == 1 else None


# function -> (its batched JVP rule, its batched VJP rule), each `(i, ranks) -> rule or None`
_BATCHED = {
    operator.matmul: (_matmul_jvp, _matmul_vjp), np.matmul: (_matmul_jvp, _matmul_vjp),
    np.dot: (_matmul_jvp, _matmul_vjp),
    np.outer: (_pair(_OUTER_JVP_A, _OUTER_JVP_B), _pair(_OUTER_VJP_A, _OUTER_VJP_B)),
    np.sum: (_fixed(_SUM_JVP), _fixed(_SUM_VJP)), np.mean: (_fixed(_MEAN_JVP), _fixed(_MEAN_VJP)),
    np.reshape: (_fixed(_RESHAPE_JVP), _fixed(_RESHAPE_VJP)),
    np.ravel: (_fixed(_RAVEL_JVP), _fixed(_RAVEL_VJP)),
    np.transpose: (_fixed(_TRANSPOSE_JVP), _fixed(_TRANSPOSE_VJP)),
    _ad.unbroadcast: (_fixed(_UNBROADCAST_JVP), _fixed(_UNBROADCAST_VJP)),
    _ad.broadcast_like: (_fixed(_BROADCAST_JVP), _fixed(_BROADCAST_VJP)),
    _ad.sum_grad: (_fixed(_SUM_GRAD_JVP), _fixed(_SUM_GRAD_VJP)),
}
JVPS = {fn: rules[0] for fn, rules in _BATCHED.items()}
VJPS = {fn: rules[1] for fn, rules in _BATCHED.items()}


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
    table = JVPS if mode == "jvp" else VJPS
    factory = table.get(op.fn) if _hashable(op.fn) else None
    if factory is None and op.fn in (_ad.matmul_grad_a, _ad.matmul_grad_b) and not op.kwargs:
        factory = _HELPERS[mode, op.fn is _ad.matmul_grad_b]
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


def _helper_jvps(which):
    def factory(i, ranks):
        if i != 0 or len(ranks) != 3:
            return None
        ra, rb = ranks[1], ranks[2]
        if ra not in (1, 2) or rb not in (1, 2):
            return None
        vjp = _matmul_vjp(which, [ra, rb])
        return _AS_HELPER[vjp]
    return factory


# The batched VJPs of matmul, with the parameters of `_ad.matmul_grad_a/b(g, a, b)`: the JVP of
# the helper in g (a generated gradient differentiated again, for Hessians).
_AS_HELPER = {
    _PRODUCT["g[..., None] * b"]: lambda tdot, out, g, a, b: tdot[..., None] * b,
    _PRODUCT["g @ b.T"]: lambda tdot, out, g, a, b: tdot @ np.transpose(b),
    _PRODUCT["a.T @ g"]: lambda tdot, out, g, a, b: np.transpose(a) @ tdot,
    _PRODUCT["g @ a"]: lambda tdot, out, g, a, b: tdot @ a,
    _PRODUCT["a[:, None] * g[:, None, :]"]:
        lambda tdot, out, g, a, b: a[:, None] * tdot[:, None, :],
    _PRODUCT["g[:, None] * a"]: lambda tdot, out, g, a, b: tdot[:, None] * a,
}
# The VJP in g of `_ad.matmul_grad_a(g, a, b)` is `gbar @ b`, of `_ad.matmul_grad_b` `a @ gbar`:
# the batched matmul JVPs, with the helpers' parameters.
_AS_HELPER_VJP = {
    _PRODUCT["t @ b"]: lambda gbar, out, g, a, b: gbar @ b,
    _PRODUCT["t @ a.T"]: lambda gbar, out, g, a, b: gbar @ np.transpose(a),
    _PRODUCT["a @ t"]: lambda gbar, out, g, a, b: a @ gbar,
}


def _helper_vjps(which):
    def factory(i, ranks):
        if i != 0 or len(ranks) != 3:
            return None
        jvp = _matmul_jvp(which, ranks[1:])
        return _AS_HELPER_VJP.get(jvp)
    return factory


_HELPERS = {("jvp", False): _helper_jvps(0), ("jvp", True): _helper_jvps(1),
            ("vjp", False): _helper_vjps(0), ("vjp", True): _helper_vjps(1)}


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
