"""Activity analysis: which values carry a derivative.

    activity(fn, wrt, output) -> Activity(varied, useful)

`varied`: names whose value depends on a wrt argument through differentiable operations.
`useful`: names the output depends on.  A value is *active* when it is both: only active values
get tangents or adjoints, so no code is emitted for anything else.  The analysis is
flow-insensitive over SSA names and iterated to a fixed point, which covers loops.
"""
from dataclasses import dataclass

import gast

from . import syntax as S
from .rules import registry


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

    For a call with rules, only the arguments that have a rule (the others are shapes, axes,
    indices, or marked None); for everything else, every operand.
    """
    args = op.args + list(op.kwargs.values())
    if op.kind == "call" and op.fn != "astype":
        rule = registry.lookup(op.fn)
        if rule is not None and (rule.vjps or rule.jvps):
            n = max(len(rule.vjps), len(rule.jvps))
            vjps = tuple(rule.vjps) + (None,) * (n - len(rule.vjps))
            jvps = tuple(rule.jvps) + (None,) * (n - len(rule.jvps))
            args = [a for i, a in enumerate(op.args[:n]) if vjps[i] is not None or
                    jvps[i] is not None]
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


def activity(fn, ops, wrt, output_names):
    """`ops` maps id(stmt) -> Op for every simple statement of fn.node."""
    stmts = [s for s in simple_statements(fn.node.body) if differentiable(ops[id(s)])]
    flows = [(_operands(ops[id(s)]), targets(s) + ops[id(s)].writes) for s in stmts]
    varied = _closure(set(wrt), flows)
    # backwards, in reverse order: in straight-line code one sweep reaches everything
    useful = _closure(set(output_names), [(outs, ins) for ins, outs in reversed(flows)])
    return Activity(varied, useful)
