"""Tape operations in generated code, built and recognised by an explicit marker.

Stage: shared by transforms/reverse.py (which builds the tape's pushes and pops) and the
backend's optimiser (which must know them apart from other calls).  Input: the tape's name
and the value or target; output: gast nodes whose call carries a marker.

    tape_push(tape, value)     -> the statement `_tape.append(value)`
    tape_pop(tape, target)     -> the statement `target = _tape.pop()`
    popped(tape)               -> the expression `_tape.pop()` (inside a larger call)
    is_tape_push(stmt), is_tape_pop(expr), tape_of(node)

The marker is an attribute of the Call node (`s2s_ad_tape`): it survives the passes (they
move calls or copy them with syntax.clone, which keeps a node's attributes) and is never
printed.  Nothing is recognised by its spelling: a user's list named `_tape`, or a user's
`lst.append(v)` / `v = lst.pop()`, is an ordinary call with effects, and so is the tape of a
generated function read back as source (hvp differentiates a gradient's text).
"""
import gast

from s2s_ad.base import syntax as S

_MARK = "s2s_ad_tape"
PUSH, POP = "push", "pop"


def _marked(call, kind, tape):
    setattr(call, _MARK, (kind, tape))
    return call


def tape_push(tape, value):
    """The statement `tape.append(value)`, marked as a push onto the tape named `tape`."""
    return S.expr_stmt(_marked(S.call(f"{tape}.append", value), PUSH, tape))


def popped(tape):
    """The expression `tape.pop()`, marked as a pop from the tape named `tape`."""
    return _marked(S.call(f"{tape}.pop"), POP, tape)


def tape_pop(tape, target):
    """The statement `target = tape.pop()`; `target` is a name or a target node (a
    subscript, or a tuple for several values restored at once)."""
    return S.assign(target, popped(tape))


def _mark_of(call):
    return getattr(call, _MARK, None) if isinstance(call, gast.Call) else None


def is_tape_push(stmt):
    """Is `stmt` a push built by tape_push?"""
    mark = _mark_of(getattr(stmt, "value", None)) if isinstance(stmt, gast.Expr) else None
    return mark is not None and mark[0] == PUSH


def is_tape_pop(value):
    """Is the expression `value` a pop built by popped or tape_pop?"""
    mark = _mark_of(value)
    return mark is not None and mark[0] == POP


def tape_of(node):
    """The name of the tape a push statement or pop expression works on (None for others)."""
    mark = _mark_of(node.value if isinstance(node, gast.Expr) else node)
    return mark[1] if mark is not None else None
