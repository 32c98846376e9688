"""What both transforms know about a function before generating anything.

    Analysed(fn, wrt, arg_kinds, arg_shapes, names, program)

The operations of its statements (ops.describe), which calls write into their arguments,
the kinds and shapes of its values, the names generated code may use, and the Program that
collects the functions generated for its callees.  Reverse and Forward mode both start here.

In the batched modes (`batch` is the batch size B, see batching.py) every derivative carries a
leading batch axis; the helpers at the end build the pieces of code that this changes: zeros
of shape (B,) + s, indices with a leading `:`, and tangents aligned with a higher rank.
"""

import gast
import numpy as np

from s2s_ad.base import syntax as S
from s2s_ad.analysis.activity import simple_statements, targets
from s2s_ad.base.errors import DifferentiationError, Unbatchable
from s2s_ad.analysis.calls import annotate_writes
from s2s_ad.frontend.shared_updates import refuse_shared_updates
from s2s_ad.frontend.inline import Inliner
from s2s_ad.analysis.kinds import atom_kind, infer_kinds
from s2s_ad.backend.names import GeneratedNames
from s2s_ad.analysis.ops import changes_receiver, describe
from s2s_ad.analysis.shapes import infer_ranks, infer_shapes


class Analysed:
    def __init__(self, fn, wrt, arg_kinds, names=None, program=None, arg_shapes=None,
                 batch=False):
        self.fn = fn
        self.batched = batch
        self.batch = None       # the batch size, once the generator knows it
        self.namer = fn.namer
        self.wrt = wrt
        self.program = program      # transforms/program.py: the callees' generated code
        self.local = set(fn.params) | {t for s in simple_statements(fn.node.body)
                                       for t in targets(s)} \
            | {n.target.id for n in S.statements(fn.node) if isinstance(n, gast.For)}
        self.names = names or GeneratedNames(fn.parsed, self.local)
        self.inliner = Inliner(self.namer, self.names)
        self.ops = {id(s): describe(s, fn, self.is_local) for s in simple_statements(fn.node.body)}
        self.arg_kinds = dict(arg_kinds or {})
        self.kinds = infer_kinds(fn, self.ops, arg_kinds)
        annotate_writes(fn, self.ops, self.kinds)
        number = None
        if batch:    # the batched modes need every shape: numbers have shape ()
            arg_shapes = dict(arg_shapes or {}, **{p: () for p in fn.params
                                                   if self.kinds.get(p) == "scalar"})
            number = self.is_number
        self.shapes = infer_shapes(fn, self.ops, self.kinds, arg_shapes, number)
        elements = self._array_elements(infer_ranks(fn, self.ops, self.kinds, self.shapes))
        if elements:   # `observed[i]` of a 1-D array is a number, and so is what is computed from it
            self.kinds = infer_kinds(fn, self.ops, arg_kinds, elements)
            self.shapes = infer_shapes(fn, self.ops, self.kinds, arg_shapes, number)
        # after the shapes, which tell an element of a vector (`for x in v`) for a number
        refuse_shared_updates(fn, self.kinds)

    def _array_elements(self, ranks):
        """The statements assigning one element of an array (`x[i]`, `x[i, j]`: as many integer
        indices as x has dimensions), which the kinds alone could only call a number or an
        array."""
        found = set()
        counters = _loop_counters(self.fn.node)
        for s in simple_statements(self.fn.node.body):
            op = self.ops[id(s)]
            ts = targets(s)
            if op.kind != "index" or len(ts) != 1 or not isinstance(op.args[0], gast.Name):
                continue
            parts = op.index.elts if isinstance(op.index, gast.Tuple) else [op.index]
            if len(parts) == ranks.get(op.args[0].id) and all(
                    isinstance(p, gast.Constant) and type(p.value) is int or
                    isinstance(p, gast.Name) and (self.kinds.get(p.id) == "scalar" or
                                                  p.id in counters.get(id(s), ()))
                    for p in parts):
                found.add(id(s))
        return found

    def restored_arrays(self):
        """Values taken from a tape (`B = _tape.pop()`, in generated code differentiated again)
        that are written into: they are the arrays of the function that saved them, whose
        values the reverse sweep restores (`B[1:-1] = _tape.pop()`), so the writes, and
        their tangents, are results of the function like the arrays a callee writes into."""
        popped = set()
        for s in simple_statements(self.fn.node.body):
            op = self.ops[id(s)]
            if op.kind == "pop" or (op.kind == "unpack" and isinstance(op.args[0], gast.Name)
                                    and op.args[0].id in popped):
                popped.update(targets(s))
        return sorted({op.args[0].id for op in self.ops.values()
                       if op.kind == "setitem" and op.args[0].id in popped})

    def is_local(self, name):
        return name in self.local

    def refuse_unfollowed_changes(self):
        """A method call that changes what it is called on (`lst.extend(v)`, `d.update(e)`,
        `r = a.__iadd__(v)`), where that or an argument depends on the differentiated
        arguments: the derivative cannot follow the change, so it is refused, never left out
        (the call's result may be unused: the change is what counts)."""
        for stmt in simple_statements(self.fn.node.body):
            op = self.ops[id(stmt)]
            if op.kind != "method" or not changes_receiver(op.index):
                continue
            operands = op.args + list(op.kwargs.values())
            if any(isinstance(a, gast.Name) and a.id in self.activity.varied for a in operands):
                raise self.fn.error(
                    stmt, f"`.{op.index}()` changes the object it is called on, which the "
                          f"derivative code cannot follow",
                    "Build a new list instead (`items = items + [v]`), or write the change as "
                    "an assignment (`a[i] = v`, `d[k] = v`, `a += v`).")

    def _atom_kind(self, node):
        return atom_kind(node, self.kinds)

    def certainly_scalar(self, name):
        """The output `name` is known to be a scalar: its shape is (), or it is built from Python
        numbers only (math functions, float arguments), so a gradient needs no run-time check."""
        return (self.shapes.get(name) == () or (
            self.kinds.get(name) == "scalar" and
            all(self.kinds.get(p) == "scalar" for p in self.fn.params
                if self.activity.active(p) or p in self.wrt))) and not self.may_be_complex()

    def may_be_complex(self):
        """Could a value of the function be complex (a complex literal, `x ** y` with a
        power other than a whole number, which is complex for a negative Python float, or
        a complex type, cmath, an FFT or eig)?  Then the gradient keeps its run-time check
        of the output (`_ad.grad_seed`), which refuses a complex output."""
        for node in S.walk(self.fn.node):
            if isinstance(node, gast.Constant) and isinstance(node.value, complex):
                return True
            if isinstance(node, gast.BinOp) and isinstance(node.op, gast.Pow) and not (
                    isinstance(node.right, gast.Constant) and type(node.right.value) is int):
                return True
            name = node.id if isinstance(node, gast.Name) else \
                node.attr if isinstance(node, gast.Attribute) else None
            if name in _COMPLEX_NAMES:
                return True
        return False

    def np_name(self):
        return self.names.ref(np).id

    def basic_index(self, index):
        """Slices, integers and None: no element can be selected twice."""
        parts = index.elts if isinstance(index, gast.Tuple) else [index]
        for part in parts:
            if isinstance(part, gast.Slice):
                continue
            if isinstance(part, gast.Constant) and (part.value is None or part.value is Ellipsis
                                                    or isinstance(part.value, int)):
                continue
            if isinstance(part, gast.Name) and self.kinds.get(part.id) == "scalar":
                continue
            return False
        return True

    # -- the batched modes -----------------------------------------------------------------
    def is_number(self, node):
        """Is an atom that is not a local variable (`math.pi`, a module constant) a number?"""
        if isinstance(node, gast.Name) and self.is_local(node.id):
            return False
        from s2s_ad.frontend.resolve import resolve_static
        try:
            return type(resolve_static(node, self.fn)) in (int, float)
        except DifferentiationError:     # not a global known now
            return False

    def shape_of(self, node):
        """The shape of an atom; the batched modes refuse a value whose shape is not known.
        (None, an absent argument such as clip's a_min, broadcasts like a number.)"""
        if isinstance(node, gast.Constant) and (type(node.value) in (int, float, bool)
                                                or node.value is None):
            return ()
        if isinstance(node, (gast.Name, gast.Attribute)) and self.is_number(node):
            return ()
        if isinstance(node, gast.Name):
            if self.kinds.get(node.id) == "scalar":
                return ()
            if node.id in self.shapes:
                return tuple(self.shapes[node.id])
        raise Unbatchable(f"the shape of {getattr(node, 'id', node)} is not known")

    def touches_active(self, op, outs):
        names = list(outs) + [a.id for a in op.args if isinstance(a, gast.Name)]
        return any(self.activity.active(n) for n in names)

    def batch_zeros(self, shape):
        """`np.zeros((B,) + shape)`: a zero derivative in the batched modes."""
        size = S.const(self.batch) if not shape else \
            S.tuple_([S.const(n) for n in (self.batch,) + tuple(shape)])
        return S.call(self.np_name() + ".zeros", size)

    def batch_index(self, index):
        """`i` -> `:, i`: the same index, past the batch axis (basic indices only)."""
        if not self.basic_index(index):
            raise Unbatchable("an index with arrays")
        parts = index.elts if isinstance(index, gast.Tuple) else [index]
        return S.tuple_([gast.Slice(lower=None, upper=None, step=None)]
                        + [S.clone(p) for p in parts])

    def per_item(self, rule, op, batch, out, check=None):
        """`np.stack([rule(item, ...) for item in batch])`: a rule applied item by item, each
        item's result passed through `check` (expression -> expression) where it is given."""
        item = self.namer.fresh("_item")
        code, expr = self.inliner.instantiate(rule, op.args, op.kwargs,
                                              [S.load(item), S.load(out)])
        if code:
            raise Unbatchable("a rule with statements")
        expr = check(expr) if check is not None else expr
        loop = gast.comprehension(target=S.store(item), iter=batch, ifs=[], is_async=0)
        return S.call(self.np_name() + ".stack", gast.ListComp(elt=expr, generators=[loop]))

    def is_element(self, base, index):
        """Is `base[index]` certainly one number of an array (an integer for each of its axes)?
        Then it is a NumPy scalar: a new value, which nothing can change, never a view."""
        if self.batched or self.kinds.get(base.id) != "array":
            return False
        try:
            return self.index_shape(base, index) == ()
        except Unbatchable:
            return False

    def index_shape(self, base, index):
        from s2s_ad.analysis.shapes import _Shapes
        shape = _Shapes(self.kinds, self.shapes, self.is_number).index(self.shape_of(base), index)
        if not isinstance(shape, tuple):
            raise Unbatchable("the shape of an indexed value is not known")
        return shape


_COMPLEX_NAMES = {"complex", "complex64", "complex128", "cdouble", "csingle", "cmath", "fft",
                  "eig", "eigvals", "emath"}


def aligned(expr, rank, want):
    """A batched derivative of rank 1 + `rank` as rank 1 + `want`: `t[:, None, ...]`."""
    if want <= rank:
        return expr
    index = S.tuple_([gast.Slice(lower=None, upper=None, step=None)]
                     + [S.const(None) for _ in range(want - rank)])
    return gast.Subscript(value=expr, slice=index, ctx=gast.Load())


def _loop_counters(node):
    """{id(simple statement): the counters of the for loops around it that their bodies do not
    assign}: integers there (every for loop runs over a range), even where the name's kind,
    one for the whole function, is not known (`i = None` before the loop, for a read after)."""
    found = {}
    for loop in S.statements(node):
        if not isinstance(loop, gast.For):
            continue
        body = list(simple_statements(loop.body))
        if any(loop.target.id in targets(s) for s in body) or any(
                isinstance(n, gast.For) and n.target.id == loop.target.id
                for b in loop.body for n in S.statements(b)):
            continue
        for s in body:
            found.setdefault(id(s), set()).add(loop.target.id)
    return found
