"""What both transforms know about a function before generating anything.

    Analysed(fn, wrt, arg_kinds, arg_shapes, names, program)

The operations of its statements (ops.describe), which calls write into their arguments,
the kinds and shapes of its values, the names generated code may use, and the Program that
collects the functions generated for its callees.  Reverse and Forward mode both start here.
"""
import gast

from . import syntax as S
from .activity import simple_statements, targets
from .calls import Program, annotate_writes
from .desugar import refuse_shared_updates
from .inline import Inliner
from .kinds import atom_kind, infer_kinds
from .names import GeneratedNames
from .ops import describe
from .shapes import infer_shapes


class Analysed:
    def __init__(self, fn, wrt, arg_kinds, names=None, program=None, arg_shapes=None):
        self.fn = fn
        self.namer = fn.namer
        self.wrt = wrt
        self.program = program if program is not None else Program()
        self.local = set(fn.params) | {t for s in simple_statements(fn.node.body)
                                       for t in targets(s)} \
            | {n.target.id for n in S.statements(fn.node) if isinstance(n, gast.For)}
        self.names = names or GeneratedNames(fn.parsed, self.local)
        self.inliner = Inliner(self.namer, self.names)
        self.ops = {id(s): describe(s, fn, self.is_local) for s in simple_statements(fn.node.body)}
        annotate_writes(fn, self.ops)
        self.kinds = infer_kinds(fn, self.ops, arg_kinds)
        refuse_shared_updates(fn, self.kinds)
        self.shapes = infer_shapes(fn, self.ops, self.kinds, arg_shapes)

    def is_local(self, name):
        return name in self.local

    def _atom_kind(self, node):
        return atom_kind(node, self.kinds)

    def certainly_scalar(self, name):
        """The output `name` is known to be a scalar: its shape is (), or it is built from Python
        numbers only (math functions, float arguments), so a gradient needs no run-time check."""
        return self.shapes.get(name) == () or (
            self.kinds.get(name) == "scalar" and
            all(self.kinds.get(p) == "scalar" for p in self.fn.params
                if self.activity.active(p) or p in self.wrt))
