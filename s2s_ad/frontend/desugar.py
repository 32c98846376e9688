"""Desugar: rewrite the user's function into a smaller Python subset, still as source-level AST.

    desugar(node, namer) -> node

Stage: front end, after local_defs.expand_locals and before to_ssa (normalize runs them).
Input: the user's function as source-level gast, local functions expanded.  Output: the same
function whose body contains no augmented assignment, no `break`/`continue`, no loop `else`,
at most one `return` (the last statement), only `for NAME in range(...)` loops, and
`while NAME:` loops whose condition variable is recomputed at the end of the body:

    for x in xs: ...            ->  for _i in range(len(xs)): x = xs[_i]; ...
    for i, x in enumerate(xs)   ->  for _i in range(len(xs)): i = _i; x = xs[_i]; ...
    for a, b in zip(xs, ys)     ->  for _i in range(min(len(xs), len(ys))): a = xs[_i]; ...
    for k in d (a dict)         ->  _keys = _ad.keys_of(d); for _i in range(len(_keys)): k = _keys[_i]
    for v in s (dict or list?)  ->  _keys = _ad.keys_of(s)  (None for a list); for _i in
                                    range(len(s)): v = s[_i] if _keys is None else _keys[_i]
    for i, (a, b) in enumerate(zip(xs, ys)), zip(reversed(xs), ys): the same, combined
    while c: ...                ->  _c = c; while _c: ...; _c = c
    a loop with break/return    ->  a `while` loop over the range, with a flag in its condition
    return inside a branch      ->  `_retval = ...; _returned = True`, the rest guarded by
                                    `if not _returned:`
    -a * b, a / -b              ->  -(a * b), -(a / b): so `-a * a` is a square
    a, b = e1, e2               ->  a = e1; b = e2 where e1 and e2 read neither a nor b

This module runs the passes in order: the statements `a.__setitem__(i, v)`, `a.__iadd__(v)`
and `lst.pop()` as writes (here), signs out of products (here), then the lowering of jumps and
loops (control_flow), which reads how each `for` loop walks its values (iteration) and whether
its body changes them (walk_changes).  shared_updates finds the `x += v` to refuse where x
shares an array.  Every name these passes invent comes from the namer, so it never collides
with the user's.
"""

import gast

from s2s_ad.base import syntax as S
from s2s_ad.frontend.control_flow import lower_control_flow
from s2s_ad.frontend.iteration import walked_kinds
from s2s_ad.frontend.shared_updates import augmented_aliases


def desugar(node, namer, error=None, shared=None, in_place=(), walks=None):
    """`shared`, a list, receives the `x += v` statements whose x may share an array with
    another name read later (for the transforms to refuse where x is an array).  `in_place`
    names the parameters known to be arrays of a called function: there `p += v` writes into
    the caller's array, and becomes `p[...] = p + v`.  `walks` says how a `for` loop walks the
    parameters (and module-level values) whose kinds are known: "keys" for a dict, "items"
    (by position) for anything else; None for generic code, whose parameters are numbers or
    arrays.  See iteration.walked_kinds."""
    _CallStatements(namer).visit(node)
    if shared is not None:
        shared.extend(augmented_aliases(node))
    _SignsOutOfProducts().visit(node)
    dicts, sequences = walked_kinds(node, walks)
    return lower_control_flow(node, namer, in_place, dicts, sequences, error)


_IN_PLACE_OPERATORS = {
    "__iadd__": gast.Add, "__isub__": gast.Sub, "__imul__": gast.Mult, "__itruediv__": gast.Div,
    "__ifloordiv__": gast.FloorDiv, "__imod__": gast.Mod, "__ipow__": gast.Pow,
    "__imatmul__": gast.MatMult, "__iand__": gast.BitAnd, "__ior__": gast.BitOr,
    "__ixor__": gast.BitXor, "__ilshift__": gast.LShift, "__irshift__": gast.RShift}


class _CallStatements(gast.NodeTransformer):
    """The statements `a.__setitem__(i, v)` and `a.__iadd__(v)` (and the other in-place
    operators) are `a[i] = v` and `a += v`: the same change of `a`, written so that the passes
    after this one see it as a write (`a += v` as `a = a + v`, or refused where another name
    shares a's array).  Used as a value (`r = a.__iadd__(v)`), such a call is a method call
    that changes its object: refused where it matters (Analysed.refuse_unfollowed_changes).
    The statement `lst.pop()` binds the item it drops to a name, whose adjoint the reverse
    sweep gives back to the list's adjoint (a zero, as the item is not read)."""

    def __init__(self, namer):
        self.namer = namer

    def visit_Expr(self, node):
        call = node.value
        if not (isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute) and
                isinstance(call.func.value, (gast.Name, gast.Subscript)) and
                not call.keywords and not any(isinstance(a, gast.Starred) for a in call.args)):
            return node
        method, receiver = call.func.attr, call.func.value
        if method == "pop" and not call.args and isinstance(receiver, gast.Name):
            return S.located(S.assign(self.namer.fresh("_dropped"), call), node)
        if method == "__setitem__" and len(call.args) == 2:
            target = gast.Subscript(value=receiver, slice=call.args[0], ctx=gast.Store())
            return S.located(S.assign(target, call.args[1]), node)
        if method in _IN_PLACE_OPERATORS and len(call.args) == 1:
            target = S.clone(receiver)
            for sub in S.walk(target):
                if hasattr(sub, "ctx"):
                    sub.ctx = gast.Load()
            target.ctx = gast.Store()
            return S.located(gast.AugAssign(target=target, op=_IN_PLACE_OPERATORS[method](),
                                           value=call.args[0]), node)
        return node


class _SignsOutOfProducts(gast.NodeTransformer):
    """`-a * b` -> `-(a * b)`, and likewise `a * -b`, `-a / b`, `a / -b`: the same value, since
    negation is exact and rounding is symmetric.  A square `-a * a` is then seen as one (its
    derivative is `-2 * a`, not the product rule of two different operands `-a` and `a`).  A
    negative literal stays where it is (`-2.0 * x` is one multiplication)."""

    def visit_BinOp(self, node):
        self.generic_visit(node)
        if not isinstance(node.op, (gast.Mult, gast.Div)):
            return node
        negations = 0
        for side in ("left", "right"):
            operand = getattr(node, side)
            if isinstance(operand, gast.UnaryOp) and isinstance(operand.op, gast.USub) and \
                    not isinstance(operand.operand, gast.Constant):
                setattr(node, side, operand.operand)
                negations += 1
        if negations % 2 == 0:
            return node
        return gast.copy_location(gast.UnaryOp(op=gast.USub(), operand=node), node)
