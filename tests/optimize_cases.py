"""What the tests of the optimiser's passes share (tests/test_optimize_*.py): a snippet of
generated code in, one pass run on it, its text out."""
import textwrap

import gast

from s2s_ad.backend.codegen import to_source
from s2s_ad.base.owned import owned_clear
from s2s_ad.base.tape import popped, tape_push


def function(text, tape=None, owned=()):
    """The FunctionDef `text` defines.  With `tape`, the pushes onto and pops from the list of
    that name are built as the generator builds them (marked, see base.tape); without it they
    are a user's list methods, whatever the list is called.  `owned`: the adjoint arrays whose
    clears (`a_bar[i] = 0.0`) are marked as the generator marks them (base.owned)."""
    node = gast.parse(textwrap.dedent(text)).body[0]
    for stmt in gast.walk(node):
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Subscript) and \
                isinstance(stmt.targets[0].value, gast.Name) and \
                stmt.targets[0].value.id in owned and isinstance(stmt.value, gast.Constant):
            owned_clear(stmt)
    return _AsGenerated(tape).visit(node) if tape else node


def run(pass_, text, keep=(), tape=None, owned=()):
    """The text of the function after `pass_`."""
    return to_source(pass_(function(text, tape, owned), frozenset(keep)))


def lines(pass_, text, keep=(), tape=None, owned=()):
    """The body of the function after `pass_`, a line each, stripped."""
    return [line.strip() for line in run(pass_, text, keep, tape, owned).splitlines()[1:]]


class _AsGenerated(gast.NodeTransformer):
    def __init__(self, tape):
        self.tape = tape

    def visit_Expr(self, node):
        call = node.value
        if _method_of(call, self.tape) == "append":
            return tape_push(self.tape, self.visit(call.args[0]))
        return self.generic_visit(node)

    def visit_Call(self, node):
        if _method_of(node, self.tape) == "pop" and not node.args:
            return popped(self.tape)
        return self.generic_visit(node)


def _method_of(call, tape):
    func = getattr(call, "func", None)
    if isinstance(call, gast.Call) and isinstance(func, gast.Attribute) and \
            isinstance(func.value, gast.Name) and func.value.id == tape:
        return func.attr
    return None
