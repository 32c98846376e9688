"""Reverse mode: an SSA function -> the source of its vector-Jacobian product.

    vjp(fn, wrt, seed, return_value, has_aux, arg_kinds) -> gast.FunctionDef

The generated function runs a forward sweep (the SSA statements, plus tape pushes) and then a
reverse sweep (the adjoint statements, in reverse order, each block under a comment quoting the
user's line).  The adjoint of `h` is `h_bar`.  Symbolic zeros: an adjoint that nothing has
written yet is not a variable at all; its first write is an assignment.

Uniform adjoints: the cotangent of `x` in `s = np.sum(x)` is s_bar at every element of x.  Where
x's shape is known, `x_bar` stays that scalar (it is *uniform*) while elementwise rules carry it
(`y_bar = x_bar * 2 * y` has y's full shape again, `a_bar = x_bar` for `x = a + b` stays uniform),
so no array of ones is built and multiplied, and `x` itself is not computed when only its shape
was needed.  The same holds for np.mean, and for a sum over some axes, whose cotangent keeps a
size-1 axis where x has the summed ones: an adjoint is uniform along the axes where its shape is
1 or missing.  Any other use spreads it to x's shape first (`x_bar = _ad.sum_grad(x_bar, x)`), as
does the start of a loop or branch (uniform adjoints live in straight-line code only).

Loops use an explicit tape, a local list.  Save-before-overwrite: inside a loop, a statement that
assigns a name the reverse sweep reads first pushes the name's old value
(`_tape.append(y); y = y_1`); the reverse sweep restores it right after that statement's adjoint
(`y = _tape.pop()`).  So at every point of the reverse sweep each variable holds the value it
had at the same point of the forward sweep.  Nothing else is recorded: not values that are never
overwritten, not values no adjoint reads, not `for` counters (the reverse loop runs over
`reversed(range(...))`), not cheap temporaries (`d = y - x` on numbers, a view `row = xs[i]`),
which the reverse sweep computes again (plan_recomputes, _recomputed_from_record), and a `while`
loop records only its trip count.
"""

import math
import operator

import gast

from s2s_ad import runtime
from s2s_ad.base import syntax as S
from s2s_ad.base.tape import popped, tape_pop, tape_push
from s2s_ad.analysis.activity import activity, rebinds, simple_statements, targets
from s2s_ad.analysis.aliasing import check_writes
from s2s_ad.transforms import batching
from s2s_ad.analysis.analysed import Analysed
from s2s_ad.base.errors import Unbatchable
from s2s_ad.analysis.calls import (argument_kinds, callee_kinds, callee_ssa, mutated_params,
                                   static_functions)
from s2s_ad.analysis.ops import bind_call, is_user_function
from s2s_ad.transforms.program import Pair, Program, Unit, callee_key
from s2s_ad.base.errors import BadArgumentError, NonDifferentiableCallError
from s2s_ad.analysis.kinds import CONTAINER_KINDS, all_real
from s2s_ad.analysis.ops import describe, reduced_axes, refusal_hint
from s2s_ad.rules import registry
from s2s_ad.analysis.shapes import broadcast, elementwise_shape



class Reverse(Analysed):
    def __init__(self, fn, wrt, arg_kinds, names=None, program=None, arg_shapes=None,
                 batch=False):
        super().__init__(fn, wrt, arg_kinds, names, program, arg_shapes, batch)
        self.user_calls = {}    # id(stmt) -> Pair, for calls to user functions with derivatives
        self.adjoints = {}
        self.needed = set()     # names the reverse sweep reads (decides what loops save)
        self.recompute_at = {}  # id(stmt) -> loop temporaries to compute again before its adjoint
        self.recomputed = set()  # the temporaries computed again instead of saved
        self.saved = set()      # names pushed before being overwritten
        self.pushes = {}        # (id(statement), name) -> the push saving name before it
        self.pops = {}          # (id(statement), name) -> the pop restoring name after it
        self.defined = set()
        self.owned = set()        # adjoints holding an array only this sweep refers to
        self.uniform = {}         # name -> the smaller shape its adjoint is held in (above)
        self.header_line = None   # the line of the compound statement being reversed
        self.tape = self.namer.fresh("_tape")
        self.real_cotangents = False   # set by build: every value and cotangent is real
        self.loop_bound = frozenset()   # names the loops around the statement being reversed bind
        self.split_mutated = None   # in a callee's pair: the parameters it writes into
        self.result_read = True     # in a callee's pair: does the caller read the result?

    def saves(self):
        """[(push, pop, name)]: each value a loop saves, the statement saving it and the one
        restoring it (for optimize.group_saves)."""
        return [(push, self.pops[key], key[1]) for key, push in self.pushes.items()
                if key in self.pops]

    def sizes(self):
        """{name: number of elements} of the values and adjoints whose shapes are certain (an
        adjoint has its value's shape, or is smaller where it is uniform); none when batched."""
        if self.batched:
            return {}
        out = {}
        for name, shape in self.shapes.items():
            if isinstance(shape, tuple):
                out[name] = math.prod(shape)
                if name in self.adjoints:
                    out[self.adjoints[name]] = out[name]
        return out

    # -- adjoint variables ---------------------------------------------------------------
    def adj(self, name):
        if name not in self.adjoints:
            self.adjoints[name] = self.namer.derived(name, "bar")
        return self.adjoints[name]

    def active(self, node):
        return isinstance(node, gast.Name) and self.activity.active(node.id)

    def zero(self, name):
        """An expression for the zero adjoint of `name`."""
        if self.batched:
            return self.batch_zeros(self.shape_of(S.load(name)))
        if self.kinds.get(name) == "scalar":
            return S.const(0.0)
        return S.call("_ad.zeros_like", S.load(name))

    def accumulate(self, name, expr, uniform=None):
        """Add `expr` to the adjoint of `name`; `uniform`: the shape of expr when it is smaller
        than name's, standing for its broadcast to name's shape (see the module docstring)."""
        bar = self.adj(name)
        if name not in self.defined:
            self.defined.add(name)
            # A fresh result is ours to update in place later; a bare name or a helper's
            # result may be another adjoint's array.
            if isinstance(expr, (gast.BinOp, gast.UnaryOp)) and uniform is None:
                self.owned.add(name)
            else:
                self.owned.discard(name)
            if uniform is not None:
                self.uniform[name] = uniform
            return [S.assign(bar, expr)]
        if self.kinds.get(name) in ("scalar", "array", "num"):
            both = broadcast(self.uniform[name], uniform) \
                if name in self.uniform and uniform is not None else None
            if both is not None and both != self.shapes.get(name):
                self.uniform[name] = both       # still smaller than name's shape
                self.owned.discard(name)
            else:
                self.uniform.pop(name, None)    # plus an array of the full shape
                self.owned.add(name)
            return [S.assign(bar, S.binop(S.load(bar), gast.Add(), expr))]
        self.owned.discard(name)
        return [S.assign(bar, S.call("_ad.add", S.load(bar), expr))]

    def accumulate_index(self, base, index, g):
        """`base_bar[index] += g`, in place on an array the adjoint owns (g may be uniform:
        `+=` and np.add.at spread a scalar over the indexed elements)."""
        bar = self.adj(base)
        code = self.spread(base)
        if self.batched:     # an array of known shape (a container has none)
            if base not in self.shapes:
                raise Unbatchable(f"an index into {base}, of unknown shape")
            index = self.batch_index(index)
        elif self.kinds.get(base) not in ("array", "num"):
            start = S.load(bar) if base in self.defined else self.zero_container(base)
            self.defined.add(base)
            self.owned.discard(base)
            return [S.assign(bar, S.call("_ad.add_at", start, S.index_expression(index), g))]
        if base not in self.defined:
            code.append(S.assign(bar, self.zero(base)))
        elif base not in self.owned:
            code.append(S.assign(bar, S.call("np.array", S.load(bar))))   # a private copy
            self.names.ref(__import__("numpy"))
        self.defined.add(base)
        self.owned.add(base)
        if self.basic_index(index):
            target = gast.Subscript(value=S.load(bar), slice=index, ctx=gast.Store())
            code.append(gast.AugAssign(target=target, op=gast.Add(), value=g))
        else:   # fancy indices may repeat: np.add.at adds every occurrence
            code.append(S.expr_stmt(S.call(self.np_name() + ".add.at", S.load(bar),
                                           S.index_expression(index), g)))
        return code

    def spread(self, *names):
        """Statements giving each uniform adjoint among `names` its variable's full shape."""
        code = []
        for name in sorted(set(names) & set(self.uniform)):
            del self.uniform[name]
            self.owned.add(name)      # sum_grad returns a new array
            code.append(S.assign(self.adj(name), S.call("_ad.sum_grad", S.load(self.adj(name)),
                                                        S.load(name))))
        return code

    def _reduction_cotangent(self, op, rule, out, g):
        """For `out = np.sum(x, axis, keepdims)` or another sum the rules declare (defspread) at
        the top level, x's shape and the axes known: (x's uniform cotangent, its shape), or
        None."""
        spreads = rule.extra.get("spreads") if rule is not None else None
        if not (spreads and self.header_line is None and not self.batched and op.args
                and self.active(op.args[0]) and self.has_elements(op.args[0].id)):
            return None
        xshape = self.shapes[op.args[0].id]
        reduced = reduced_axes(op, len(xshape))
        if reduced is None:
            return None
        axes, keepdims = reduced
        shape = tuple(1 if i in axes else n for i, n in enumerate(xshape))
        expr = g
        if len(axes) == len(xshape) and not keepdims:
            shape = ()
        elif not keepdims:
            expr = S.call(self.np_name() + ".expand_dims", g, S.const(axes))
        if spreads == "mean":
            count = math.prod(xshape[a] for a in axes)
            expr = S.binop(expr, gast.Mult(), S.const(1.0 / count))
        return expr, shape

    def has_elements(self, name):
        """`name` is an array whose shape is known and not ()."""
        return self.kinds.get(name) in ("array", "num") and bool(self.shapes.get(name))

    def _uniform_term(self, expr, pre, arg, out, g, g_shape, broadcasts):
        """For a rule applied to the uniform cotangent `g` (held in `g_shape`) of `out`: "full"
        when the term `expr` has out's full shape anyway, its smaller shape when it stands for
        its broadcast over `arg` (which has out's shape), None when neither is certain.

        A term built only from arithmetic and ufuncs is elementwise in g; the rule is
        elementwise too if it broadcasts or if its argument has its result's shape."""
        if pre or out not in self.shapes or \
                not (broadcasts or self.shapes.get(arg.id) == self.shapes[out]):
            return None

        def shape_of(name):
            if name == g.id:
                return g_shape
            return () if self.kinds.get(name) == "scalar" else self.shapes.get(name)
        shape = elementwise_shape(expr, shape_of, self.np_name())
        full = self.shapes[out]
        if shape == full:
            return "full"
        if shape is not None and self.has_elements(arg.id) and self.shapes[arg.id] == full \
                and len(shape) <= len(full) and broadcast(shape, full) == full:
            return shape
        return None

    # -- one simple statement ------------------------------------------------------------
    def adjoint(self, stmt):
        op = self.ops[id(stmt)]
        outs = targets(stmt)
        if self.batched and op.kind in ("unpack", "append", "pop", "pack", "dict") and \
                self.touches_active(op, outs):
            raise Unbatchable(f"containers ({op.kind})")
        if not self.uniform:
            return self._adjoint(stmt, op, outs)
        if op.kind in ("copy", "index", "call") and id(stmt) not in self.user_calls:
            return self._adjoint(stmt, op, outs)     # these take uniform cotangents
        names = outs + [a.id for a in op.args if isinstance(a, gast.Name)]
        return self.spread(*names) + self._adjoint(stmt, op, outs)

    def _adjoint(self, stmt, op, outs):
        if id(stmt) in self.user_calls:
            return self._user_call(stmt, op, outs[0] if outs else None)
        if op.kind == "unpack":
            return self._unpack(stmt, op, outs)
        if op.kind == "append":
            return self._append(op)
        if op.kind == "pop":
            return self._pop(op, outs)
        if op.kind == "setitem":
            return self._setitem(op)
        if not outs or not self.activity.active(outs[0]) or outs[0] not in self.defined:
            for t in outs:
                self.defined.discard(t)
            return []
        out = outs[0]
        g = S.load(self.adj(out))
        self.defined.discard(out)
        code = []
        # the indexed value's name; None for an attribute (`SETTINGS.scales[k]`: a value read
        # from a module-level object, never active)
        base = getattr(op.args[0], "id", None) if op.kind == "index" else None
        if op.kind == "index" and self.kinds.get(base) not in ("array", "num"):
            code += self.spread(out)
        if op.kind == "copy" and not self.has_elements(op.args[0].id):
            code += self.spread(out)
        g_uniform = self.uniform.pop(out, None)
        if op.kind == "copy":
            code += self.accumulate(op.args[0].id, g, uniform=g_uniform)
        elif op.kind == "index":
            if base is not None and self.activity.active(base):
                code += self.accumulate_index(base, op.index, g)
        elif op.kind in ("pack", "dict"):
            keys = op.keys if op.kind == "dict" else [S.const(i) for i in range(len(op.args))]
            for key, arg in zip(keys, op.args):
                if self.active(arg):
                    item = gast.Subscript(value=S.load(self.adj(out)), slice=key, ctx=gast.Load())
                    code += self.accumulate(arg.id, item)
        elif op.kind == "call":
            code += self._call(stmt, op, out, g, g_uniform)
        elif op.kind != "other" and any(self.active(a) for a in op.args):
            # a callable computed at run time or a method: not followed, never taken for zero
            raise self.fn.error(stmt, f"cannot differentiate the call {op.name}",
                                refusal_hint(op), kind=NonDifferentiableCallError)
        # a comparison or `.shape` ("other") has no derivative: its adjoint reaches nothing
        # (it is active only where it shares a list with active values, as on a tape)
        return code

    # -- calls to user functions: g_fwd in the forward sweep, g_bwd in the reverse sweep --
    def plan_calls(self):
        """Decide which calls to user functions get a generated pair (active in and out)."""
        for stmt in simple_statements(self.fn.node.body):
            op = self.ops[id(stmt)]
            outs = targets(stmt) + op.writes
            if op.kind != "call" or not is_user_function(op.fn) or not outs:
                continue
            if not any(self.activity.active(t) for t in outs):
                continue
            bound = bind_call(op, stmt, self.fn)
            wrt = [p for p, node in bound.items() if active_argument(node, self.active)]
            if wrt:
                if self.batched:
                    raise Unbatchable(f"a call to the user function {op.name}")
                self.program.depends_on(op)
                statics = static_functions(bound, self.fn)
                kinds = argument_kinds({p: n for p, n in bound.items() if p not in statics},
                                       self._atom_kind)
                self.user_calls[id(stmt)] = callee_pair(self.program,
                    op.fn, wrt, kinds, statics, result_read=bool(targets(stmt)))

    def _user_call(self, stmt, op, out):
        """`x_bar, B_bar = g_bwd(out_bar, _tape, B_bar=B_bar)`.

        An argument the callee writes into (B) is an output of the call as well as an input:
        its adjoint goes in, and the adjoint returned replaces it.
        """
        pair = self.user_calls[id(stmt)]
        bound = bind_call(op, stmt, self.fn)
        code = []
        if out is None:
            g = S.const(None)
        elif out in self.defined:
            g = S.load(self.adj(out))
        else:
            g = S.call("_ad.zeros_like", S.load(out))
        self.defined.discard(out)
        keywords = {}
        for param, keyword in pair.mutated.items():
            arg = bound[param].id
            if arg not in self.defined:
                code += [S.assign(self.adj(arg), S.call("_ad.zeros_like", S.load(arg)))]
                self.defined.add(arg)
            keywords[keyword] = S.load(self.adj(arg))
        temps = [self.namer.temp() for _ in pair.wrt]
        target = S.store(temps[0]) if len(temps) == 1 else \
            S.tuple_([S.store(t) for t in temps], gast.Store())
        code.append(S.assign(target, S.call(pair.bwd, g, S.load(self.tape), **keywords)))
        for param, temp in zip(pair.wrt, temps):
            if isinstance(bound[param], gast.Tuple):     # *xs: one cotangent per item
                for k, item in enumerate(bound[param].elts):
                    if self.active(item):
                        part = gast.Subscript(value=S.load(temp), slice=S.const(k),
                                              ctx=gast.Load())
                        code += self.accumulate(item.id, part)
                continue
            arg = bound[param].id
            if param in pair.mutated:
                code.append(S.assign(self.adj(arg), S.load(temp)))
                self.owned.discard(arg)
            else:
                code += self.accumulate(arg, S.load(temp))
        return code

    def forward_call(self, stmt):
        pair = self.user_calls[id(stmt)]
        self.uses_tape = True
        bound = bind_call(self.ops[id(stmt)], stmt, self.fn)
        bound = {p: n for p, n in bound.items() if p not in pair.statics}
        new = call_by_keyword(S.load(pair.fwd), bound,
                              [gast.keyword(arg=pair.tape, value=S.load(self.tape))])
        if isinstance(stmt, gast.Expr):
            return gast.copy_location(gast.Expr(value=new), stmt)
        return gast.copy_location(S.assign(stmt.targets[0], new), stmt)

    def _setitem(self, op):
        """`a[i] = v`: v's adjoint is what a's adjoint held at i, which the write then clears."""
        base, value = op.args
        a = base.id
        if not self.activity.active(a) or a not in self.defined:
            return []
        bar = self.adj(a)
        index = self.batch_index(op.index) if self.batched else op.index
        part = gast.Subscript(value=S.load(bar), slice=index, ctx=gast.Load())
        code = []
        if self.active(value):
            g = S.call("_ad.copy_of", part)
            if not self.basic_index(op.index) and not self._is_container(a):
                # an integer array may name a position twice
                g = S.binop(g, gast.Mult(), S.call("_ad.last_writes",
                                                   S.call(self.np_name() + ".shape", S.load(bar)),
                                                   S.index_expression(S.clone(index))))
            if self.batched:
                if self.shape_of(value) != self.index_shape(base, op.index):
                    g = S.call("_ad.unbroadcast_batch", g, value)
            elif not self._fills_index(base, op.index, value):
                g = S.call("_ad.unbroadcast", g, value)
            code += self.accumulate(value.id, g)
        if a not in self.owned:   # a private copy to write into
            copy = "_ad.copy_of" if self._is_container(a) else self.np_name() + ".array"
            code.append(S.assign(bar, S.call(copy, S.load(bar))))
            self.owned.add(a)
        target = gast.Subscript(value=S.load(bar), slice=S.clone(index), ctx=gast.Store())
        return code + [S.assign(target, S.const(0.0))]

    def _is_container(self, name):
        return self.kinds.get(name) in CONTAINER_KINDS

    def _fills_index(self, base, index, value):
        """Does `value` have the shape of `base[index]` (known shapes, a basic index), so that
        `base[index] = value` does not broadcast it?"""
        if self._atom_kind(value) != "array" or not self.basic_index(index) or \
                value.id not in self.shapes:
            return False
        try:
            return self.index_shape(base, index) == tuple(self.shapes[value.id])
        except Unbatchable:
            return False

    def _append(self, op):
        """`lst.append(v)`: v's adjoint is the last entry of lst's adjoint list."""
        lst, value = op.args
        if not self.activity.active(lst.id):
            return []
        code = self._ensure(lst.id)
        popped = S.call(gast.Attribute(value=S.load(self.adj(lst.id)), attr="pop", ctx=gast.Load()))
        if not self.active(value):
            # the entry's adjoint is taken off and dropped: the adjoint list stays in step with
            # the list, whose `.pop()`s put back an adjoint for every entry (_pop).  Bound to a
            # name, so that differentiating this code again knows what the entry was.
            return code + [S.assign(self.namer.temp(), popped)]
        return code + self.accumulate(value.id, popped)

    def _pop(self, op, outs):
        """`v = lst.pop()`: v's adjoint goes back onto the end of lst's adjoint list."""
        lst = op.args[0]
        out = outs[0]
        if not self.activity.active(lst.id):
            self.defined.discard(out)
            return []
        g = S.load(self.adj(out)) if out in self.defined else self.zero(out)
        self.defined.discard(out)
        code = self._ensure(lst.id)
        append = gast.Attribute(value=S.load(self.adj(lst.id)), attr="append", ctx=gast.Load())
        return code + [S.expr_stmt(S.call(append, g))]

    def _ensure(self, name):
        """Make the adjoint of `name` a variable (zeros) if it is still symbolically zero."""
        if name in self.defined:
            return []
        self.defined.add(name)
        return [S.assign(self.adj(name), S.call("_ad.zeros_like", S.load(name)))]

    def zero_container(self, name):
        return S.call("_ad.zeros_like", S.load(name))

    def _unpack(self, stmt, op, outs):
        src = op.args[0]
        written = [t for t in outs if t in self.defined and self.activity.active(t)]
        for t in outs:
            self.defined.discard(t)
        if not written or not self.active(src):
            return []
        parts = [S.load(self.adj(t)) if t in written else S.call("_ad.zeros_like", S.load(t))
                 for t in outs]
        return self.accumulate(src.id, S.tuple_(parts))

    def _call(self, stmt, op, out, g, g_uniform=None):
        if registry.is_nondifferentiable(op.fn):
            return []
        rule = registry.lookup(op.fn)
        if rule is None and op.fn != "astype" and is_user_function(op.fn):
            return []      # a call to a user function whose result needs no derivative
        code = []
        if g_uniform is not None and rule is None:
            code, g_uniform = self._spread_cotangent(out, g_uniform), None
        if op.fn == "astype":
            return code + (self.accumulate(op.args[0].id, g) if self.active(op.args[0]) else [])
        if op.fn is operator.add and isinstance(op.args[0], gast.Name) and any(
                self._is_container(a.id) for a in op.args if isinstance(a, gast.Name)):
            return code + self._concatenation(op, g)
        reduced = self._reduction_cotangent(op, rule, out, g) if g_uniform is None else None
        if reduced is not None:
            return self.accumulate(op.args[0].id, reduced[0], uniform=reduced[1])
        terms = self._rule_terms(stmt, op, rule, out, g)
        shapes = [self._uniform_term(expr, pre, arg, out, g, g_uniform, rule.broadcasts)
                  for arg, pre, expr in terms] if g_uniform is not None else [None] * len(terms)
        if g_uniform is not None and None in shapes:
            # some term needs g at full shape: spread it, apply the rules again
            code, g_uniform = self._spread_cotangent(out, g_uniform), None
            terms = self._rule_terms(stmt, op, rule, out, g)
            shapes = [None] * len(terms)
        contributions = {}   # name -> [(cotangent term, its smaller shape or None)]
        for (arg, pre, expr), shape in zip(terms, shapes):
            uniform = None if shape in (None, "full") else shape
            if not self.batched and rule.broadcasts and uniform is None and \
                    self._may_broadcast(arg, op, out):
                expr = self._summed_to(expr, arg, out)
            code += pre
            contributions.setdefault(arg.id, []).append((expr, uniform))
        for name, terms in contributions.items():
            total, uniform = terms[0]
            for term, shape in terms[1:]:
                total = S.binop(total, gast.Add(), term)
                uniform = broadcast(uniform, shape) if uniform is not None and \
                    shape is not None else None
            code += self.accumulate(name, total, uniform=uniform)
        return code

    def _concatenation(self, op, g):
        """`a + b` of lists or tuples joins them: a's cotangent is the first len(a) items of
        g, b's the rest (the rule of `+` for numbers would give each all of g)."""
        a, b = op.args
        cut = S.call("len", S.load(a.id))
        parts = [(a, gast.Slice(lower=None, upper=cut, step=None)),
                 (b, gast.Slice(lower=S.clone(cut), upper=None, step=None))]
        code = []
        for arg, part in parts:
            if isinstance(arg, gast.Name) and self.active(arg):
                code += self.accumulate(arg.id, gast.Subscript(value=S.clone(g), slice=part,
                                                               ctx=gast.Load()))
        return code

    def _spread_cotangent(self, out, shape):
        """Statements giving the uniform cotangent of `out` its full shape."""
        self.uniform[out] = shape
        code = self.spread(out)
        self.owned.discard(out)
        return code

    def _rule_terms(self, stmt, op, rule, out, g):
        """[(argument, statements, cotangent expression)] from the rule of each active argument."""
        terms = []
        for i, arg in self._bound(stmt, op, rule).items():
            if not self.active(arg):
                continue
            vjp = rule.vjps[i] if rule is not None and i < len(rule.vjps) else None
            refuse_form(self.fn, stmt, op, vjp)
            if vjp is None:
                if rule is None or not rule.vjps:
                    raise self._no_rule(stmt, op)
                if registry.unstated(rule, rule.vjps, i):
                    raise unstated_rule(self.fn, stmt, op, i, "defvjp")
                continue
            how = None
            if self.batched:
                vjp, reduce, how = self._batched_rule(op, i, vjp, out, rule.broadcasts)
            try:
                if how == "per_item":
                    pre, expr = [], self.per_item(vjp, op, g, out)
                else:
                    pre, expr = self.inliner.instantiate(vjp, op.args, op.kwargs,
                                                         [g, S.load(out)])
            except TypeError as exc:
                raise self.fn.error(stmt, f"the derivative rule of {op.name} {exc}",
                                    "Call it with the arguments its rule supports.",
                                    kind=NonDifferentiableCallError) from None
            if self.batched and reduce:
                expr = S.call("_ad.unbroadcast_batch", expr, arg)
            terms.append((arg, pre, self._plain_matrix_product(expr, arg)))
        return terms

    def _bound(self, stmt, op, rule):
        """{position: argument} of a call (registry.bind); an active argument passed by a keyword
        the rules do not name is refused: it would silently get no derivative."""
        return bound_arguments(self.fn, stmt, op, rule, self.active)

    def _plain_matrix_product(self, expr, arg):
        """`_ad.matmul_grad_a(g, a, b)` and `_ad.matmul_grad_b(g, a, b)`, the cotangents of a
        and b in `a @ b`, as what the helpers compute where a and b are known matrices or
        vectors and every value is real (no checks for NumPy's batch and complex conventions):
        `g @ b.T` and `a.T @ g`, `np.outer(g, b)` for a matrix times a vector, `g * b` for two
        vectors.  In a loop, the cotangent of an operand the loop does not change stays the
        helper: the optimizer sums all steps of it at once (optimize.sum_steps_together)."""
        if not (self.real_cotangents and isinstance(expr, gast.Call) and len(expr.args) == 3
                and not expr.keywords and isinstance(expr.func, gast.Attribute)
                and isinstance(expr.func.value, gast.Name) and expr.func.value.id == "_ad"
                and expr.func.attr in ("matmul_grad_a", "matmul_grad_b")
                and all(isinstance(x, gast.Name) and isinstance(self.shapes.get(x.id), tuple)
                        and len(self.shapes[x.id]) in (1, 2) for x in expr.args[1:])):
            return expr
        if self.in_loop and arg.id not in self.loop_bound:
            return expr
        g, a, b = expr.args
        ranks = len(self.shapes[a.id]), len(self.shapes[b.id])
        if expr.func.attr == "matmul_grad_b":     # the cotangent of b: mirror of a's below
            g, a, b, ranks = g, b, a, ranks[::-1]
            if ranks == (2, 1):
                return S.call(self.np_name() + ".outer", S.load(b.id), g)
            if ranks == (1, 1):
                return S.binop(g, gast.Mult(), S.load(b.id))
            return S.binop(S.attr(S.load(b.id), "T"), gast.MatMult(), g)
        if ranks == (2, 1):
            return S.call(self.np_name() + ".outer", g, S.load(b.id))
        if ranks == (1, 1):
            return S.binop(g, gast.Mult(), S.load(b.id))
        return S.binop(g, gast.MatMult(), S.attr(S.load(b.id), "T"))

    def _batched_rule(self, op, i, vjp, out, broadcasts):
        """The rule to inline for a batched cotangent (batching.py), and whether its result
        needs reducing to the argument's shape (an elementwise rule of a broadcast argument)."""
        shapes = []
        for a in batching.positional_arguments(op):
            try:
                shapes.append(None if a is None else self.shape_of(a))
            except Unbatchable:
                shapes.append(None)
        out_shape = self.shape_of(S.load(out))
        how, rule = batching.choose(op, i, vjp, "vjp", shapes, out_shape, broadcasts)
        return rule, how == "elementwise" and shapes[i] != out_shape, how

    def _no_rule(self, stmt, op):
        name = op.name or getattr(op.fn, "__name__", repr(op.fn))
        return self.fn.error(
            stmt, f"no derivative rule for {name}",
            f"Register one with ad.defvjp({name}, ...) and ad.defjvp, mark it with "
            f"ad.nondifferentiable({name}), or wrap its argument in ad.stop_gradient(...).",
            kind=NonDifferentiableCallError)

    def _summed_to(self, g, arg, out):
        """The cotangent `g` of a broadcasting operation's result `out` summed to the shape of
        its argument `arg`: `g.sum(axis=...)` where both shapes are known and every value
        is real, else `_ad.unbroadcast(g, arg)` (which also takes the real part of a complex
        cotangent of a real argument, and works out the axes at run time).  In a loop, the
        cotangent of an argument the loop does not change stays the helper, whose updates the
        optimizer sums over all steps at once."""
        xshape, gshape = self.shapes.get(arg.id), self.shapes.get(out)
        # (a known shape of at least one axis: an array, not a number that must stay one)
        if not self.real_cotangents or (self.in_loop and arg.id not in self.loop_bound) or \
                not xshape or gshape is None or broadcast(xshape, gshape) != gshape:
            return S.call("_ad.unbroadcast", g, arg)
        axes, keepdims, reshape = runtime.reduction_plan(gshape, xshape)
        if not axes:
            return g
        # the method, not np.sum: NumPy's Python wrapper around the reduction costs a microsecond
        summed = S.call(S.attr(g, "sum"), axis=S.const(axes[0] if len(axes) == 1 else axes),
                        **({"keepdims": S.const(True)} if keepdims else {}))
        if reshape:
            summed = S.call(S.attr(summed, "reshape"), S.const(xshape))
        return summed

    def _may_broadcast(self, arg, op, out=None):
        """False where the result provably has the shape of `arg`."""
        if out in self.shapes and arg.id in self.shapes:
            return self.shapes[out] != self.shapes[arg.id]
        mine = self.kinds.get(arg.id)
        others = [self._atom_kind(a) for a in op.args
                  if not (isinstance(a, gast.Name) and a.id == arg.id)]
        if all(k == "scalar" for k in others) and mine in ("scalar", "array"):
            return False
        if not others or all(isinstance(a, gast.Constant) for a in op.args
                             if not (isinstance(a, gast.Name) and a.id == arg.id)):
            # `h * h`, `2.0 * h`: the result has the shape of h (a Python number broadcasts)
            return not all(isinstance(a, gast.Name) or isinstance(a.value, (int, float))
                           for a in op.args)
        if mine == "scalar" and all(k == "scalar" for k in others):
            return False
        if mine == "array" and all(k == "scalar" for k in others):
            return False
        return True

    # -- blocks --------------------------------------------------------------------------
    def reverse_block(self, stmts):
        pieces = []   # (source line, statements)
        for stmt in reversed(stmts):
            if isinstance(stmt, gast.Return):
                continue
            if isinstance(stmt, (gast.Assign, gast.Expr)):
                again = [S.clone(s) for s in self.recompute_at.get(id(stmt), ())]
                code = again + self.adjoint(stmt) + self.restore(stmt)
                pieces.append((stmt.lineno, code))
            elif isinstance(stmt, (gast.If, gast.For, gast.While)) and self.uniform:
                # branches and loops join and carry adjoints: give them full shapes first
                pieces.append((None, self.spread(*self.uniform)))
            if isinstance(stmt, gast.If):
                pieces.append((None, self.nested(self.reverse_if, stmt)))
            elif isinstance(stmt, gast.For):
                pieces.append((None, self.nested(self.reverse_for, stmt)))
            elif isinstance(stmt, gast.While):
                pieces.append((None, self.nested(self.reverse_while, stmt)))
        return self.with_comments(pieces)

    def nested(self, reverse_compound, stmt):
        """Reverse a compound statement; its blocks do not repeat the line of its header."""
        saved = self.header_line
        self.header_line = stmt.lineno
        code = reverse_compound(stmt)
        self.header_line = saved
        return code

    def with_comments(self, pieces):
        out, last = [], self.header_line
        for line, code in pieces:
            if not code:
                continue
            if line is not None and line != last:
                out.append(S.comment(self.fn.source_line(_Line(line))))
            last = line
            out.extend(code)
        return out

    def restore(self, stmt):
        op = self.ops.get(id(stmt))
        if op is not None and op.kind == "setitem":
            # the overwritten part comes back from the tape, wherever the write is
            base = op.args[0].id
            if self._is_container(base):
                # a key the dict did not have goes from its adjoint too (a gradient has the
                # structure of the argument)
                adjoint = [S.load(self.adj(base))] if base in self.defined and \
                    self.activity.active(base) else []
                if base not in self.needed and not adjoint:
                    return []
                return [S.expr_stmt(S.call("_ad.restore_item", S.load(base), S.clone(op.index),
                                           popped(self.tape), *adjoint))]
            if base not in self.needed:
                return []
            target = gast.Subscript(value=S.load(base), slice=op.index, ctx=gast.Store())
            return [tape_pop(self.tape, target)]
        if not self.in_loop:
            return []
        pops = []
        for t in reversed(rebinds(stmt)):
            if t in self.needed and not isinstance(stmt.targets[0], gast.Subscript):
                pops.append(tape_pop(self.tape, t))
                self.pops[id(stmt), t] = pops[-1]
        return pops

    def reverse_if(self, stmt):
        before, owned_before = set(self.defined), set(self.owned)
        body = self.reverse_block(stmt.body)
        after_body, owned_body = self.defined, self.owned
        self.defined, self.owned = set(before), owned_before
        orelse = self.reverse_block(stmt.orelse)
        after_else = self.defined
        self.owned = self.owned & owned_body
        both = after_body | after_else
        body += [S.assign(self.adj(n), self.zero(n)) for n in sorted(both - after_body)]
        orelse += [S.assign(self.adj(n), self.zero(n)) for n in sorted(both - after_else)]
        self.defined = both
        if not body and not orelse:
            return []
        self.needed.update(S.names_in(stmt.test, gast.Load))
        return [S.comment(self.fn.source_line(stmt)),
                gast.If(test=stmt.test, body=body or [gast.Pass()], orelse=orelse)]

    def _loop_prelude(self, stmt):
        """Zero adjoints that the reverse loop accumulates into across iterations."""
        body_assigned = {t for s in simple_statements(stmt.body) for t in rebinds(s)}
        # In SSA form a variable carried around the loop keeps the name it had before the
        # loop, so it is assigned both inside the loop and outside it.
        carried = body_assigned & self._assigned_outside(stmt)
        read = set()
        for s in simple_statements(stmt.body):
            read.update(S.names_in(s.value if isinstance(s, gast.Assign) else s, gast.Load))
        # Names used after the loop hold, at the start of the reverse loop, an adjoint that
        # the last iteration must see: they are carried like loop variables.
        carried |= body_assigned & self.defined
        accumulated = {n for n in read if self.activity.active(n)
                       and (n not in body_assigned or n in carried)}
        # A carried adjoint the body does not read is not defined yet: the body's first
        # statement about it sets it, and its end zeroes it, so after the loop it counts as
        # defined.  A loop that runs no iteration would leave it unset, or holding the adjoint
        # an earlier statement already handed on (a pop's): it starts from zero.
        unset = {n for n in carried if self.activity.active(n)} - accumulated
        inits = [S.assign(self.adj(n), self.zero(n))
                 for n in sorted((accumulated | unset) - self.defined)]
        self.owned |= {n for n in accumulated - self.defined if self.kinds.get(n) != "scalar"}
        self.defined |= accumulated
        # A carried adjoint is replaced every iteration: not ours to update in place.
        self.owned -= carried
        self.defined -= (body_assigned - carried)
        return inits, carried, body_assigned

    def _assigned_outside(self, loop):
        """Parameters and the names assigned by statements outside `loop`."""
        inside = {id(s) for s in S.statements(loop)}
        names = set(self.fn.params)
        for s in simple_statements(self.fn.node.body):
            if id(s) not in inside:
                names.update(rebinds(s))
        for n in S.statements(self.fn.node):
            if isinstance(n, gast.For) and id(n) not in inside:
                names.add(n.target.id)
        return names

    def _loop_body(self, stmt, carried, body_assigned):
        self.loop_owned = set(self.owned)
        saved_in_loop, saved_bound = self.in_loop, self.loop_bound
        self.in_loop = True
        self.loop_bound = saved_bound | _bound_in([stmt])
        body = self.reverse_block(stmt.body)
        self.in_loop, self.loop_bound = saved_in_loop, saved_bound
        body += [S.assign(self.adj(n), self.zero(n)) for n in sorted(carried)
                 if self.activity.active(n) and n not in self.defined]
        self.owned &= self.loop_owned
        self.defined |= {n for n in carried if self.activity.active(n)}
        self.defined -= (body_assigned - carried)
        return body

    def reverse_for(self, stmt):
        inits, carried, assigned = self._loop_prelude(stmt)
        body = self._loop_body(stmt, carried, assigned)
        restore = []
        if self.in_loop and stmt.target.id in self.needed and self._read_after(stmt):
            restore = [tape_pop(self.tape, stmt.target.id)]
        if not body:
            return inits + restore
        self.needed.update(S.names_in(stmt.iter, gast.Load))
        header = S.call("reversed", stmt.iter)
        loop = gast.For(target=S.store(stmt.target.id), iter=header, body=body, orelse=[],
                        type_comment=None)
        return [S.comment(self.fn.source_line(stmt))] + inits + [loop] + restore

    def reverse_while(self, stmt):
        inits, carried, assigned = self._loop_prelude(stmt)
        body = self._loop_body(stmt, carried, assigned)
        count = self.counter(stmt)
        # inside a loop the forward sweep pushed the trip count: pop it, even if unused
        pop = [tape_pop(self.tape, count)] if self.in_loop else []
        if not body:
            return inits + pop
        # the count is read: a called function's record must hold it.  (The dry run may have
        # seen an empty body: only the real sweep restores the values the loop overwrote.)
        self.needed.add(count)
        loop = gast.For(target=S.store("_"), iter=S.call("range", S.load(count)), body=body,
                        orelse=[], type_comment=None)
        return [S.comment(self.fn.source_line(stmt))] + inits + pop + [loop]

    # -- the forward sweep ---------------------------------------------------------------
    def forward_block(self, stmts, depth):
        out = []
        for stmt in stmts:
            if isinstance(stmt, gast.Return):
                continue
            if isinstance(stmt, (gast.Assign, gast.Expr)):
                op = self.ops[id(stmt)]
                if op.kind == "setitem" and op.args[0].id in self.needed:
                    self.uses_tape = True
                    base = op.args[0].id
                    if self._is_container(base):    # a dict may not have the key yet
                        saved = S.call("_ad.saved_item", S.load(base), S.clone(op.index))
                    else:
                        saved = S.call("_ad.copy_of", gast.Subscript(
                            value=S.load(base), slice=op.index, ctx=gast.Load()))
                    out.append(tape_push(self.tape, saved))
                if depth:
                    for t in rebinds(stmt):
                        if t in self.needed:
                            self.saved.add(t)
                            out.append(tape_push(self.tape, S.load(t)))
                            self.pushes[id(stmt), t] = out[-1]
                out.append(self.forward_call(stmt) if id(stmt) in self.user_calls else stmt)
            elif isinstance(stmt, gast.If):
                out.append(gast.If(test=stmt.test, body=self.forward_block(stmt.body, depth),
                                   orelse=self.forward_block(stmt.orelse, depth)))
            elif isinstance(stmt, gast.For):
                if depth and stmt.target.id in self.needed and self._read_after(stmt):
                    self.saved.add(stmt.target.id)
                    out.append(tape_push(self.tape, S.load(stmt.target.id)))
                out.append(gast.For(target=stmt.target, iter=stmt.iter,
                                    body=self.forward_block(stmt.body, depth + 1), orelse=[],
                                    type_comment=None))
            elif isinstance(stmt, gast.While):
                count = self.counter(stmt)
                body = self.forward_block(stmt.body, depth + 1)
                body.append(S.assign(count, S.binop(S.load(count), gast.Add(), S.const(1))))
                out += [S.assign(count, S.const(0)), gast.While(test=stmt.test, body=body, orelse=[])]
                if depth:
                    self.uses_tape = True
                    out.append(tape_push(self.tape, S.load(count)))
        return out

    # -- the whole function --------------------------------------------------------------
    def sweeps(self, seed, has_aux):
        """Generate both sweeps; returns a dict of the pieces the builders assemble."""
        self.refuse_restores()
        node = self.fn.node
        body = list(node.body)
        ret = body[-1]
        output = ret.value
        aux = None
        if has_aux:
            out_name, aux = self.namer.fresh("value"), self.namer.fresh("aux")
            self.local |= {out_name, aux}
            unpack = gast.copy_location(S.assign(S.tuple_([S.store(out_name), S.store(aux)],
                                                          gast.Store()), output), ret)
            body.insert(len(body) - 1, unpack)
            self.ops[id(unpack)] = describe(unpack, self.fn, self.is_local)
            node.body = body
            output = S.load(out_name)
        out_names = [output.id] if isinstance(output, gast.Name) and self.result_read else []
        if self.batched:    # one cotangent per element of the output
            out_shape = self.shape_of(output)
            self.batch = batching.batch_size([out_shape], self.shapes.values())
            self.program.batch = (self.batch, [out_shape])
        # in a callee's pair, the arguments it writes into are among its results
        self.activity = activity(self.fn, self.ops, self.wrt,
                                 out_names + list(self.split_mutated or ()), self.shapes)
        self.refuse_unfollowed_changes()
        # the arrays it writes into and the lists it appends to or pops from
        self.written = check_writes(self.fn, self.ops, self.kinds)
        self.plan_calls()
        self.counters = {}
        self.uses_tape = False
        # Dry run: learn which names the reverse sweep reads (its temporaries are forgotten).
        # Only loops, writes into arrays and a called function's record save values, so
        # straight-line code without them needs none.
        if self.split_mutated is not None or any(
                isinstance(s, (gast.For, gast.While)) for s in S.statements(node)) or any(
                op.kind == "setitem" for op in self.ops.values()):
            # The caller may read what a called function overwrote: restore it for the caller.
            # (Not a list it appends to or pops from: that changes in place, nothing to restore.)
            lists = {op.args[0].id for op in self.ops.values() if op.kind in ("append", "pop")}
            self.needed |= set(self.split_mutated or ()) - lists
            self.settle_needed(body, out_names)
            before = set(self.needed)
            self.plan_recomputes()
            if not self.needed <= before:    # it may restore operands: read where they are
                self.settle_needed(body, out_names)
        forward = self.forward_block(body, 0)
        # The real reverse sweep, now that the forward sweep knows what it saved.
        self.pops = {}
        self.in_loop = False
        self.defined = set(out_names) | set(self.split_mutated or ())
        self.owned, self.uniform = set(), {}
        seed_stmts = self.seed(output, seed)
        reverse = self.reverse_block(body) + self.spread(*self.wrt, *(self.split_mutated or ()))
        unsaved = sorted(key[1] for key in self.pops if key not in self.pushes)
        if unsaved:    # a compiler bug: the generated code would pop from an empty tape
            raise RuntimeError(f"s2s_ad internal error: the reverse sweep of "
                               f"{self.fn.node.name} restores {unsaved} unsaved")
        params = list(self.fn.params)
        results = [S.load(self.adj(p)) if p in self.defined else self.zero(p) for p in self.wrt]
        first_assigned = {t for s in body if isinstance(s, gast.Assign) for t in targets(s)}
        inits = [S.assign(n, S.const(None)) for n in sorted(self.saved)
                 if n not in params and n not in first_assigned]
        # The derivative behaves as if the function had copied the arrays it writes into
        # (a called function's writes are its caller's to see: no copies there).
        copies = []
        if self.split_mutated is None:
            copies = [S.assign(p, S.call(gast.Attribute(value=S.load(p), attr="copy",
                                                        ctx=gast.Load())))
                      for p in params if p in self.written]
        return dict(body=body, output=output, aux=aux, forward=forward, seed=seed_stmts,
                    reverse=reverse, results=results, inits=inits, params=params,
                    copies=copies)

    def settle_needed(self, body, out_names):
        """Dry runs of the reverse sweep (their code and temporaries are forgotten) until the
        names it reads, `needed`, stop growing.  One run is not enough: a name that becomes
        needed is restored by a pop where a loop rebinds it, and that pop may sit in a branch
        whose adjoint was empty before, so the branch's condition is now read as well (N1:
        `y = y / (3.0 if x >= 1.3 else 0.1)` in a loop restores the constant's temporary in
        the branches of `x >= 1.3`).  The forward sweep pushes exactly what the last run read,
        so its pushes and the real sweep's pops match.  Temporaries that plan_recomputes
        computes again are read without being restored: they stay out."""
        taken, counters = set(self.namer.taken), dict(self.namer.counters)
        while True:
            self.in_loop = False
            self.defined = set(out_names) | set(self.split_mutated or ())
            self.owned, self.uniform = set(), {}
            dry = self.reverse_block(body)
            self.namer.taken = taken | set(self.adjoints.values()) | set(self.counters.values())
            self.namer.counters = dict(counters)
            read = {n for s in dry for n in S.names_in(s, gast.Load)} - self.recomputed
            if read <= self.needed:
                return
            self.needed |= read

    def refuse_restores(self):
        """Reverse mode over generated code that reads an array after a called function's
        backward half restored it (`step_fwd(A=A, B=B, _tape=_tape)` writes into B, and
        `step_bwd(...)` puts B back from the tape, out of this sweep's sight): the read would
        have no adjoint.  Forward mode follows such restores (Analysed.restored_arrays);
        this sweep refuses rather than be wrong.  A restored array read no more is fine."""
        from s2s_ad.base.naming import is_generated
        if not is_generated(self.fn.parsed.filename):
            return
        lists = {s.targets[0].id for s in simple_statements(self.fn.node.body)
                 if isinstance(s, gast.Assign) and isinstance(s.value, gast.List)
                 and isinstance(s.targets[0], gast.Name)}
        written, restoring = set(), False
        for stmt in simple_statements(self.fn.node.body):
            op = self.ops[id(stmt)]
            if op.kind == "call" and is_user_function(op.fn):
                arrays = set(op.writes) - lists
                written |= arrays
                restoring = restoring or (bool(written) and not arrays)
                continue
            read = written & set(S.names_in(stmt, gast.Load)) if restoring else set()
            if read:
                name = sorted(read)[0]
                raise self.fn.error(
                    stmt, f"reverse mode over a read of '{name}' after a called function "
                          f"restored it (it wrote into '{name}')",
                    "Hessians and Hessian-vector products (forward over reverse) follow it; "
                    "for reverse over reverse, have the called function return a new array "
                    "instead of writing into its argument.")

    def build(self, name, seed, return_value, has_aux):
        """One function: forward sweep, then reverse sweep."""
        self.real_cotangents = seed == "one" and not self.batched and \
            all_real(self.fn, self.ops, self.kinds, self.arg_kinds)
        parts = self.sweeps(seed, has_aux)
        output, aux, results = parts["output"], parts["aux"], parts["results"]
        grads = results[0] if len(results) == 1 else S.tuple_(results)
        prelude = parts["copies"]
        if self.saved or self.uses_tape:
            prelude = prelude + parts["inits"] + \
                [S.assign(self.tape, gast.List(elts=[], ctx=gast.Load()))]
        value_capture = []
        value = output
        if return_value and isinstance(output, gast.Name) and output.id in self.saved:
            value = S.load(self.namer.fresh("out"))
            value_capture = [S.assign(value.id, output)]
        if return_value:
            result = S.tuple_([value, grads]) if aux is None else \
                S.tuple_([S.tuple_([value, S.load(aux)]), grads])
        else:
            result = grads if aux is None else S.tuple_([grads, S.load(aux)])
        func_body = prelude + parts["forward"] + value_capture + parts["seed"] + \
            parts["reverse"] + [gast.Return(value=result)]
        func = S.function_def(name, parts["params"], func_body)
        # the cotangent is keyword-only, after the user's own parameters
        return self.fn.give_signature(func, self.names,
                                      [self.seed_param] if seed != "one" else [])

    def build_split(self, fwd_name, bwd_name, mutated=()):
        """Two functions for a called user function, sharing the caller's tape:

            def g_fwd(x, y, *, _tape):  forward sweep; records what g_bwd needs; returns g(x, y)
            def g_bwd(out_bar, _tape):  replays the tape; returns the cotangents of the wrt args
        """
        self.split_mutated = list(mutated)
        parts = self.sweeps("given", False)
        output = parts["output"]
        # what the reverse sweep reads, and the parameters whose zero cotangents it returns
        read = self.needed | {n for r in parts["results"] for n in S.names_in(r, gast.Load)}
        # and the operands of the temporaries it computes again (plan_recomputes), which the
        # top-level sweep simply finds still in scope (a parameter: `v = xs[i]`)
        again = [s for stmts in self.recompute_at.values() for s in stmts]
        read |= {n for s in again for n in S.names_in(s.value, gast.Load)} - \
            {t for s in again for t in targets(s)}
        keep = sorted(n for n in read if n in self.local or n in self.counters.values())
        again = self._recomputed_from_record(parts["body"], keep)
        keep = [n for n in keep if n not in {targets(s)[0] for s in again}]
        push = [tape_push(self.tape, S.load(n)) for n in keep]
        pop = [tape_pop(self.tape, n) for n in reversed(keep)]
        # A value assigned only in some branches is None on the other paths, so the record
        # is the same length whichever way the function went.
        top = {t for s in parts["body"] if isinstance(s, gast.Assign) for t in targets(s)}
        # so is the iteration count of a loop inside a branch
        counted = {t for s in parts["forward"] if isinstance(s, gast.Assign)
                   for t in targets(s)}
        counters = set(self.counters.values())
        inits = parts["inits"] + [S.assign(n, S.const(None)) for n in keep
                                  if n not in top and n not in parts["params"]
                                  and n not in self.saved and n not in counters
                                  or n in counters and n not in counted]
        fwd = S.function_def(fwd_name, parts["params"],
                             inits + parts["forward"] + push + [gast.Return(value=output)])
        self.fn.give_signature(fwd, self.names, [self.tape], by_keyword=True)
        self.uses_tape = True
        results = parts["results"][0] if len(parts["results"]) == 1 else S.tuple_(parts["results"])
        bwd = S.function_def(bwd_name, [self.seed_param, self.tape],
                             pop + [S.clone(s) for s in again] + parts["seed"] + parts["reverse"]
                             + [gast.Return(value=results)])
        # the adjoints of the arguments g writes into come in as well as out
        bwd.args.kwonlyargs = [S.store_param(self.adj(p)) for p in mutated]
        bwd.args.kw_defaults = [None] * len(mutated)
        return fwd, bwd

    def plan_recomputes(self):
        """Loop temporaries computed again in the reverse sweep instead of saved on the tape.

        A temporary `t = y - x` (arithmetic or a plain index, assigned once) that only later
        statements of the same loop body read is computed again right before the adjoint of
        the last of them, where y and x still hold the values they had when t was computed:
        nothing between rebinds them, and each is either restored by the tape anyway, or
        changed by no loop, or the counter of a loop around it (which the reverse loops count
        again).  One arithmetic operation instead of a push and a pop.
        """
        stores, loads = self._binding_counts(), {}
        for n in S.walk(self.fn.node):
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load):
                loads[n.id] = loads.get(n.id, 0) + 1
        loops = list(_loops(self.fn.node.body, ()))
        in_loops = _bound_in([loop for loop, _ in loops])
        counters = {loop.target.id for loop, _ in loops if isinstance(loop, gast.For)}

        def stable(o, enclosing, changed, between):
            """Does o hold, at the recomputation, the value it had at the temporary?"""
            if o in between:
                return False
            if o in self.needed:         # restored wherever a loop rebinds it
                return True
            if o in counters:
                return o in enclosing and o not in changed
            return o not in in_loops
        for loop, enclosing in loops:
            changed = _bound_in(loop.body)
            block = loop.body
            # cheap temporaries -> their positions in the block: `planned`, those computed again
            # for the reverse sweep; `views`, the plain indexes (`_t2 = p[1]`), which one of
            # them may take again too (`_t3 = _t2 - z`), though the sweep does not read them
            cheap = {t: k for k, stmt in enumerate(block)
                     if (t := self._cheap_temporary(stmt, stores)) is not None}
            views = {t: k for t, k in cheap.items() if self.ops[id(block[k])].kind == "index"}
            planned = {}

            def chain(k, last):
                """The statements that compute block[k] again before block[last]'s adjoint:
                its own, after those of the temporaries it reads that are computed again
                themselves (`a = -2.0 * z; b = a * w`); None if an operand may have changed.
                An array written into between (`x[i] = t`) has changed too: the tape gives
                the old part back only at that write's adjoint, after the recomputation."""
                between = _bound_in(block[k + 1:last + 1]) | \
                    self._written_into(block[k + 1:last + 1])
                out = []
                for o in S.names_in(block[k].value, gast.Load):
                    if not self.is_local(o) or stable(o, enclosing, changed, between):
                        continue
                    at = planned.get(o, views.get(o, k))
                    if at >= k or o in between:
                        return None     # (computed after block[k]: last step's value)
                    again = chain(at, last)
                    if again is None:
                        return None
                    out += [s for s in again if s not in out]
                return out + [block[k]]

            for t, k in cheap.items():
                if t not in self.needed:
                    continue
                readers = [j for j in range(k + 1, len(block))
                           if t in S.names_in(block[j], gast.Load)]
                if any(not isinstance(block[j], (gast.Assign, gast.Expr)) for j in readers) \
                        or sum(S.names_in(block[j], gast.Load).count(t) for j in readers) \
                        != loads.get(t, 0):
                    continue     # read elsewhere (after the loop, in a nested block)
                last = readers[-1] if readers else k
                again = chain(k, last)
                if again is not None:
                    self.recompute_at.setdefault(id(block[last]), []).extend(again)
                    self.needed.discard(t)
                    self.recomputed.add(t)
                    planned[t] = k
                    # the reverse sweep reads the operands now: a called function's sweep
                    # must have them in its record (a parameter without a derivative too)
                    computed = {targets(s)[0] for s in again}
                    self.needed.update(
                        o for s in again for o in S.names_in(s.value, gast.Load)
                        if self.is_local(o) and o not in computed and o not in counters)

    def _written_into(self, stmts):
        """The arrays statements (and the blocks inside them) write into: `a[i] = v`, and
        the arguments of calls whose callee writes into them."""
        names = set()
        for s in stmts:
            for sub in S.statements(s):
                op = self.ops.get(id(sub))
                if op is None:
                    continue
                names.update(op.writes)
                if op.kind == "setitem":
                    names.add(op.args[0].id)
        return names

    def _recomputed_from_record(self, body, keep):
        """The statements of a called function's body that g_bwd computes again from the other
        values of its record instead of receiving them on the tape (see plan_recomputes):
        cheap temporaries whose operands are in the record, assigned once and never written
        into, so their last values are the ones the temporary was computed from."""
        stores = self._binding_counts()
        written = set(self.split_mutated or ())
        for op in self.ops.values():
            written.update(op.writes)
            if op.kind == "setitem":
                written.add(op.args[0].id)
        record, again = set(keep), []
        for stmt in body:
            t = self._cheap_temporary(stmt, stores)
            if t is None or t not in record:
                continue
            operands = [n for n in S.names_in(stmt.value, gast.Load) if self.is_local(n)]
            if all(o in record and stores.get(o, 0) <= 1 and o not in written for o in operands):
                again.append(stmt)
        return again

    def _binding_counts(self):
        """{name: how many times the function binds it}: a parameter is bound once on entry,
        then by each assignment and each `for` over it.  A name bound once holds the same
        value wherever it is defined; a parameter the body rebinds (`b = np.sin(v)` in a
        loop) does not, though only one assignment names it."""
        counts = {p: 1 for p in self.fn.params}
        for stmt in S.statements(self.fn.node):
            names = S.names_in(stmt.target, gast.Store) if isinstance(stmt, gast.For) \
                else rebinds(stmt)
            for t in names:
                counts[t] = counts.get(t, 0) + 1
        return counts

    def _cheap_temporary(self, stmt, stores):
        """The name of `t = a op b` (arithmetic on numbers) or `t = xs[i]` (a basic index: a
        view), assigned once in the function, else None.  Arithmetic on arrays is not cheap:
        computing it again costs what the forward sweep paid."""
        if not isinstance(stmt, gast.Assign) or id(stmt) not in self.ops:
            return None
        names = rebinds(stmt)
        if len(names) != 1 or stores.get(names[0]) != 1 or \
                not isinstance(stmt.targets[0], gast.Name):
            return None
        op = self.ops[id(stmt)]
        cheap = (op.kind == "call" and op.fn in _CHEAP and not op.kwargs
                 and self.kinds.get(names[0]) == "scalar") or (
            op.kind == "index" and self.basic_index(op.index))
        return names[0] if cheap else None

    def _read_after(self, loop):
        """Is the loop's counter read outside the loop (so the reverse loop must restore it)?"""
        inside = {id(n) for n in S.walk(loop)}
        name = loop.target.id
        return any(isinstance(n, gast.Name) and n.id == name and isinstance(n.ctx, gast.Load)
                   and id(n) not in inside for n in S.walk(self.fn.node))

    def counter(self, loop):
        """The name that counts the iterations of a while loop."""
        if id(loop) not in self.counters:
            self.counters[id(loop)] = self.namer.fresh("_iterations")
        return self.counters[id(loop)]

    def seed(self, output, seed):
        if not self.result_read:    # a call's result nobody reads: its cotangent is zero
            self.seed_param = self.namer.fresh("out_bar")
            return []
        if not isinstance(output, gast.Name) or not self.activity.active(output.id):
            self.defined.discard(getattr(output, "id", None))
            if seed == "one":
                return [S.expr_stmt(S.call("_ad.grad_seed", output))]
            self.seed_param = self.namer.fresh("out_bar")
            return []
        bar = self.adj(output.id)
        if output.id in (self.split_mutated or ()):
            # g returns an argument it writes into: that argument's adjoint comes in as a
            # keyword already, and the cotangent of the result adds to it (None where the
            # caller does not use the result: `g(B)` as a statement)
            self.seed_param = self.namer.fresh("out_bar")
            self.owned.discard(output.id)
            return [S.assign(bar, S.call("_ad.add", S.load(bar), S.load(self.seed_param)))]
        if seed == "one":
            self.seed_param = None
            start = S.const(1.0) if self.certainly_scalar(output.id) else \
                S.call("_ad.grad_seed", output)
            return [S.comment("the reverse sweep starts from d(out)/d(out) = 1"),
                    S.assign(bar, start)]
        self.seed_param = bar    # the cotangent argument is the output's adjoint itself
        return []


_CHEAP = {operator.add, operator.sub, operator.mul, operator.neg, operator.truediv}


def _loops(stmts, enclosing):
    """(loop, counters of the for loops around and including it) for every loop in `stmts`."""
    for s in stmts:
        if isinstance(s, (gast.For, gast.While)):
            inner = enclosing + ((s.target.id,) if isinstance(s, gast.For) else ())
            yield s, inner
            yield from _loops(s.body, inner)
        elif isinstance(s, gast.If):
            yield from _loops(s.body + s.orelse, enclosing)


def _bound_in(stmts):
    """The names statements (and the blocks inside them) bind: assignments and loop counters."""
    names = set()
    for s in stmts:
        for sub in S.statements(s):
            names.update(rebinds(sub))
            if isinstance(sub, gast.For):
                names.add(sub.target.id)
    return names
class _Line:
    """A stand-in node carrying only a line number, for source_line()."""

    def __init__(self, lineno):
        self.lineno = lineno
        self.col_offset = 0


def unstated_rule(fn, stmt, op, i, register):
    """The refusal of a call differentiating argument i of a function whose user rules
    (`register`: "defvjp" or "defjvp") stop before it."""
    name = op.name or getattr(op.fn, "__name__", repr(op.fn))
    rule = registry.lookup(op.fn)
    given = len(rule.vjps if register == "defvjp" else rule.jvps)
    return fn.error(stmt, f"ad.{register}({name}, ...) gives rules for {given} argument(s), but "
                          f"argument {i + 1} of this call is differentiated",
                    f"Give ad.{register} a rule for argument {i + 1} (None if its derivative "
                    f"is zero), or wrap it in ad.stop_gradient(...).",
                    kind=NonDifferentiableCallError)


def active_argument(node, active):
    """Is an argument (an atom, or the tuple packed for *args) active?"""
    if isinstance(node, gast.Tuple):
        return any(active_argument(e, active) for e in node.elts)
    return active(node)


def call_by_keyword(func, bound, extra):
    """`g_fwd(x=a, xs=(b, c), **extra)`: every argument by the name of its parameter."""
    return gast.Call(func=func, args=[], keywords=[gast.keyword(arg=p, value=v)
                                                   for p, v in bound.items()] + extra)


def vjp(fn, wrt, *, seed="given", return_value=False, has_aux=False, arg_kinds=None, name=None,
        names=None, arg_shapes=None, batched=False):
    for p in wrt:
        if p not in fn.params:
            raise BadArgumentError(f"{fn.node.name} has no parameter '{p}'")
    fn.refuse_varargs()
    rev = Reverse(fn, wrt, arg_kinds or {}, names, Program(), arg_shapes=arg_shapes,
                  batch=batched)
    suffix = "grad" if seed == "one" else "vjp"
    func = rev.build(name or f"{fn.node.name}_{suffix}", seed, return_value, has_aux)
    # what the optimizer may use of what the generator knew
    return func, rev.names, rev.program, dict(sizes=rev.sizes(), saves=rev.saves())


def bound_arguments(fn, stmt, op, rule, active):
    """{position: argument} of the call `op` as its rules see it (registry.bind: by position or
    by keyword alike).  An active argument passed by a keyword that names no parameter of the
    rules raises: its derivative would silently be zero."""
    if rule is None:
        return dict(enumerate(op.args))
    bound, rest = registry.bind(rule, op.args, op.kwargs)
    for key, value in rest.items():
        if active(value):
            raise fn.error(stmt, f"no derivative rule for the argument {key}= of {op.name}",
                           "Pass it by position if its rule covers it, or wrap it in "
                           "ad.stop_gradient(...) if its derivative is not wanted.",
                           kind=NonDifferentiableCallError)
    return bound


def refuse_form(fn, stmt, op, rule):
    """Raise where the rule of an active argument is a registry.Refused (a calling form the
    rules do not cover)."""
    if isinstance(rule, registry.Refused):
        raise fn.error(stmt, f"{op.name}: {rule.message}", rule.hint,
                       kind=NonDifferentiableCallError)


def callee_pair(program, fn, wrt, kinds=None, statics=None, result_read=True):
    """The forward and backward halves of the called function `fn` (Pair("g_fwd", "g_bwd")),
    generated once per program and key.  `result_read=False` for a call whose result the
    caller ignores (`g(A, B)` for what g writes into B): the result's cotangent is zero, and
    g_bwd does not take one."""
    kinds = dict(kinds or {})
    key = callee_key(fn, wrt, kinds, statics, result_read)
    if key in program.pairs:
        return program.pairs[key]
    ssa, in_place = callee_ssa(fn, kinds, statics)
    suffix = program.suffix(wrt, ssa.params)
    pair = Pair(program.unique(f"{ssa.node.name}_fwd{suffix}"),
                program.unique(f"{ssa.node.name}_bwd{suffix}"), tuple(wrt),
                statics=tuple(statics or ()))
    program.pairs[key] = pair          # registered first, so recursion finds it
    rev = Reverse(ssa, list(wrt), callee_kinds(ssa, kinds), program=program)
    rev.result_read = result_read
    pair.tape = rev.tape
    pair.mutated = {p: rev.adj(p) for p in wrt if p in mutated_params(fn, in_place)}
    fwd, bwd = rev.build_split(pair.fwd, pair.bwd, list(pair.mutated))
    program.units.append(Unit([fwd, bwd], rev.names, ssa.parsed))
    return pair
