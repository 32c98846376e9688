"""Activity analysis: which values carry a derivative.

    activity(fn, wrt, output) -> Activity(varied, useful)

`varied`: names whose value depends on a wrt argument through differentiable operations.
`useful`: names the output depends on.  A value is *active* when it is both: only active values
get tangents or adjoints, so no code is emitted for anything else.  The analysis is
flow-insensitive over SSA names and iterated to a fixed point, which covers loops.
"""
from dataclasses import dataclass

import gast

from s2s_ad.base import syntax as S
from s2s_ad.analysis.ops import reduced_axes
from s2s_ad.rules import registry


@dataclass
class Activity:
    varied: set
    useful: set

    def active(self, name):
        return name in self.varied and name in self.useful


def simple_statements(stmts):
    """Every assignment and expression statement, at any depth, in program order."""
    for s in stmts:
        if isinstance(s, (gast.Assign, gast.Expr)):
            yield s
            continue        # nothing nested in it
        for field in ("body", "orelse"):
            block = getattr(s, field, None)
            if block:
                yield from simple_statements(block)


def targets(stmt):
    """The names a simple statement writes (`lst.append(v)` writes `lst`)."""
    if isinstance(stmt, gast.Expr):
        func = getattr(stmt.value, "func", None)
        if isinstance(func, gast.Attribute) and func.attr == "append" \
                and isinstance(func.value, gast.Name):
            return [func.value.id]
        return []
    target = stmt.targets[0]
    if isinstance(target, gast.Subscript):
        return [target.value.id]
    return S.names_in(target, gast.Store)


def rebinds(stmt):
    """The names a statement binds to a new value (not `a[i] = v` or `lst.append(v)`, which
    change an existing object)."""
    if isinstance(stmt, gast.Assign) and not isinstance(stmt.targets[0], gast.Subscript):
        return S.names_in(stmt.targets[0], gast.Store)
    return []


def _operands(op):
    """The names a statement's result depends on differentiably.

    For a call with rules, only the arguments (by position or keyword: registry.bind) that have
    a rule (the others are shapes, axes, indices, or marked None), and the keywords the rules do
    not name; for everything else, every operand.
    """
    args = op.args + list(op.kwargs.values())
    if op.kind == "call" and op.fn != "astype":
        rule = registry.lookup(op.fn)
        if rule is not None and (rule.vjps or rule.jvps):
            # by position or by keyword alike; a keyword naming no position of the rules is
            # an operand (reverse.py and forward.py refuse it where it is active), as is a
            # position past the last of a user's rules (refused too: registry.unstated)
            bound, rest = registry.bind(rule, op.args, op.kwargs)
            args = [a for i, a in bound.items() if not registry.marked_none(rule, i)] + \
                list(rest.values())
    names = []
    for node in args:
        names.extend(n for n in S.names_in(node, gast.Load))
    return names


def differentiable(op):
    if op.kind in ("const", "other"):
        return False
    if op.kind == "call":
        if op.fn == "astype":
            return True
        return not registry.is_nondifferentiable(op.fn)
    return True


def _closure(start, flows):
    """Everything reachable from `start` along (sources -> destinations) flows."""
    reached = set(start)
    changed = True
    while changed:
        changed = False
        for sources, destinations in flows:
            if any(n in reached for n in sources):
                for d in destinations:
                    if d not in reached:
                        reached.add(d)
                        changed = True
    return reached


def activity(fn, ops, wrt, output_names, shapes=None):
    """`ops` maps id(stmt) -> Op for every simple statement of fn.node.  With `shapes` ({name:
    shape} where known), a maximum the outputs do not depend on carries no derivative (see
    shift_invariant)."""
    unseen = shift_invariant(fn, ops, output_names, shapes) if shapes else set()
    stmts = [s for s in simple_statements(fn.node.body) if differentiable(ops[id(s)])
             and not unseen.intersection(targets(s))]
    flows = [(_operands(ops[id(s)]), targets(s) + ops[id(s)].writes) for s in stmts]
    varied = _closure(set(wrt), flows)
    # backwards, in reverse order: in straight-line code one sweep reaches everything
    useful = _closure(set(output_names), [(outs, ins) for ins, outs in reversed(flows)])
    return Activity(varied, useful)


# -- shifts the output does not see ------------------------------------------------------------
#
# Code that exponentiates first subtracts a maximum so that exp cannot overflow:
#
#     m = np.max(logits, axis=1, keepdims=True)
#     z = logits - m
#     lse = np.log(np.sum(np.exp(z), axis=1, keepdims=True))
#     return -np.sum(y * (z - lse))
#
# Adding any c to m leaves the output as it is (z moves by -c, exp(z) is scaled by exp(-c),
# lse moves by -c, z - lse does not move), so its derivative through m is exactly zero, and m
# needs no adjoint: no cotangent of the maximum, no mask of where it is attained.  This finds
# such an m by following how each value changes when m moves by c: `("shift", s)` moves by
# s * c, `("scale", s)` is multiplied by exp(s * c), None does not change.  How a call's result
# moves is its callable's shift rule, stated in its record (registry.SHIFT_RULES).  A value
# anything else happens to is not followed, and m then keeps its derivative.

# u + v moves by the sum of their shifts, u - v by the difference; u * v is scaled by the
# product of their factors (exponents add), u / v by the quotient
_COMBINATIONS = {"sum": ("shift", 1), "difference": ("shift", -1),
                 "product": ("scale", 1), "quotient": ("scale", -1)}
# the reductions that keep a shift (f(v + c) = f(v) + c) and a scale (f(v * k) = f(v) * k, k > 0)
_KEPT_BY = {"shift": ("extremum", "mean"), "scale": ("extremum", "mean", "total")}


def shift_invariant(fn, ops, output_names, shapes):
    """The names of values computed as a maximum or minimum (kept dims, or a number) that the
    outputs read but do not depend on (see above).  `shapes`: {name: shape} where known."""
    if not output_names:
        return set()       # (nothing to check against)
    body = [s for s in fn.node.body if isinstance(s, (gast.Assign, gast.Expr))]
    nested = {n for s in fn.node.body if not isinstance(s, (gast.Assign, gast.Expr))
              for n in S.names_in(s, gast.Load)}
    found = set()
    for k, stmt in enumerate(body):
        op = ops.get(id(stmt))
        names = targets(stmt) if isinstance(stmt, gast.Assign) else []
        if op is None or len(names) != 1 or not _is_reduction(op, ("extremum",)) or \
                names[0] not in shapes or not _keeps_dims(op, shapes):
            continue
        m = names[0]
        moves = _moves(body[k + 1:], ops, m, shapes[m], shapes)
        if moves is not None and not any(moves.get(n) for n in output_names) and \
                not any(moves.get(n) for n in nested):
            found.add(m)
    return found


def _moves(stmts, ops, m, m_shape, shapes):
    """{name: how it moves when m moves} for the statements after m's, or None where a value
    moves in a way not followed."""
    moves = {m: ("shift", 1)}
    for stmt in stmts:
        op = ops.get(id(stmt))
        names = targets(stmt) if isinstance(stmt, gast.Assign) else []
        ins = [moves.get(a.id) if isinstance(a, gast.Name) else None for a in op.args] \
            if op is not None else []
        if op is None or (op.kind != "call" and op.kind != "copy"):
            if any(moves.get(n) for n in S.names_in(stmt, gast.Load)):
                return None
            continue
        if any(moves.get(a.id) for a in op.kwargs.values() if isinstance(a, gast.Name)):
            return None
        if not any(ins):
            continue
        out = ins[0] if op.kind == "copy" else _moved(op, ins, m_shape, shapes)
        if out is False or len(names) != 1 or op.writes:
            return None
        moves[names[0]] = out
    return moves


def _moved(op, ins, m_shape, shapes):
    """How the result of one call moves, given how its arguments move; False: not followed."""
    rule = registry.fact(op.fn, "shift")
    first = ins[0]
    combined = _COMBINATIONS.get(rule) if len(ins) == 2 else None
    if combined is not None:
        kind, sign = combined
        if any(i is not None and i[0] != kind for i in ins):
            return False
        a, b = (i[1] if i else 0 for i in ins)
        return (kind, a + sign * b) if a + sign * b else None
    if rule == "negation":
        return ("shift", -first[1]) if first[0] == "shift" else first
    if any(ins[1:]):
        return False
    if rule == "exp" and first[0] == "shift":
        return ("scale", first[1])
    if rule == "log" and first[0] == "scale":
        return ("shift", first[1])
    if _is_reduction(op, _KEPT_BY[first[0]]) and _along_constant_axes(op, m_shape, shapes):
        return first
    return False


def _is_reduction(op, rules):
    """Is `op` a call of a reduction whose shift rule is one of `rules`, of a name?"""
    return op.kind == "call" and registry.fact(op.fn, "shift") in rules and op.args and \
        isinstance(op.args[0], gast.Name)


def _keeps_dims(op, shapes):
    """Does the reduction keep its argument's dimensions (or make a number of an array)?"""
    shape = shapes.get(op.args[0].id)
    reduced = reduced_axes(op, len(shape)) if shape is not None else None
    return reduced is not None and (reduced[1] or len(reduced[0]) == len(shape))


def _along_constant_axes(op, m_shape, shapes):
    """Does the reduction only combine elements that move by the same c (axes along which m,
    broadcast, is constant), and keep the dimensions where c varies?"""
    shape = shapes.get(op.args[0].id)
    reduced = reduced_axes(op, len(shape)) if shape is not None else None
    if reduced is None:
        return False
    axes, kept = reduced
    varies = [-j for j in range(1, len(m_shape) + 1) if m_shape[-j] != 1]
    return all(a - len(shape) not in varies for a in axes) and (kept or not varies)
