"""Reverse mode, the adjoint generator: one SSA statement -> the statements of its adjoint.

    stage:  transforms (reverse mode: adjoint generator; reverse_sweep.py walks the blocks)
    input:  a simple SSA statement (an assignment or an expression statement) and the state of
            the reverse sweep at that point: which adjoints are defined, owned or uniform
    output: the statements adding the statement's cotangents into its operands' adjoints, and
            the updated state

The adjoint of `h` is `h_bar`.  Symbolic zeros: an adjoint nothing has written yet is not a
variable at all (`defined` says which are); its first write is an assignment.  An adjoint is
*owned* where it holds an array only this sweep refers to, which a write may update in place.
An adjoint is *uniform* where it is held in a smaller shape than its variable's and stands for
its broadcast (reverse.py's docstring).  Calls are in adjoint_calls.py; restoring overwritten
values is the tape planner's (tape_plan.py) and the assembler's (reverse.py).
"""

import gast

from s2s_ad.analysis.activity import targets
from s2s_ad.analysis.kinds import CONTAINER_KINDS
from s2s_ad.analysis.ops import bind_call, refusal_hint
from s2s_ad.analysis.shapes import broadcast
from s2s_ad.base import syntax as S
from s2s_ad.base.owned import owned_clear
from s2s_ad.base.errors import NonDifferentiableCallError, Unbatchable
from s2s_ad.transforms.adjoint_calls import CallAdjoints
from s2s_ad.transforms.scaffold import Differentiator


class Adjoints(CallAdjoints, Differentiator):
    def __init__(self, fn, wrt, arg_kinds, names=None, program=None, arg_shapes=None,
                 batch=False):
        super().__init__(fn, wrt, arg_kinds, names, program, arg_shapes, batch)
        self.user_calls = {}    # id(stmt) -> Pair, for calls to user functions with derivatives
        self.adjoints = {}
        self.defined = set()
        self.owned = set()        # adjoints holding an array only this sweep refers to
        self.uniform = {}         # name -> the smaller shape its adjoint is held in (above)
        self.copies = {}          # id(stmt) -> name, for the private copies of array adjoints
        self.header_line = None   # the line of the compound statement being reversed
        self.tape = self.namer.fresh("_tape")
        self.names.lists.add(self.tape)     # told apart from a user's list (aliasing)
        self.real_cotangents = False   # set by build: every value and cotangent is real
        self.in_loop = False            # is the statement being reversed inside a loop?
        self.loop_bound = frozenset()   # names the loops around the statement being reversed bind
        self.split_mutated = None   # in a callee's pair: the parameters it writes into
        self.result_read = True     # in a callee's pair: does the caller read the result?

    # -- adjoint variables ---------------------------------------------------------------
    def adj(self, name):
        if name not in self.adjoints:
            self.adjoints[name] = self.namer.derived(name, "bar")
        return self.adjoints[name]

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
            code.append(self.private_copy(base, "np.array"))
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

    def private_copy(self, name, copy):
        """`name_bar = copy(name_bar)`: a private copy of an adjoint before it is written in
        place.  An array's copy is noted in `copies`: inside a loop, the reverse sweep may move
        it in front of the loop (reverse_sweep.py, "Updating adjoints in place")."""
        stmt = S.assign(self.adj(name), S.call(copy, S.load(self.adj(name))))
        if copy != "_ad.copy_of":
            self.copies[id(stmt)] = name
        return stmt

    def spread(self, *names):
        """Statements giving each uniform adjoint among `names` its variable's full shape."""
        code = []
        for name in sorted(set(names) & set(self.uniform)):
            del self.uniform[name]
            self.owned.add(name)      # sum_grad returns a new array
            code.append(S.assign(self.adj(name), S.call("_ad.sum_grad", S.load(self.adj(name)),
                                                        S.load(name))))
        return code

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

    # -- a call to a user function: g_bwd, the backward half of its pair (reverse.py) ------
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
            arg = bound[param].id
            if param in pair.mutated:
                code.append(S.assign(self.adj(arg), S.load(temp)))
                self.owned.discard(arg)
            else:
                code += self.accumulate(arg, S.load(temp))
        return code

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
            # (an element read as a number would need no copy, but differentiating this code
            # again would take `a_bar[i]` for a view of a_bar, and refuse the write after it)
            if self.kinds.get(a) == "dict":    # it may lack the key: zero (runtime item_of)
                part = S.call("_ad.item_of", S.load(bar), S.index_expression(S.clone(index)), value)
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
            code.append(self.private_copy(a, copy))
            self.owned.add(a)
        target = gast.Subscript(value=S.load(bar), slice=S.clone(index), ctx=gast.Store())
        clear = S.assign(target, S.const(0.0))
        if not self._is_container(a):    # an array only a_bar refers to (optimize/clears.py)
            owned_clear(clear)
        return code + [clear]

    def _is_container(self, name):
        return self.kinds.get(name) in CONTAINER_KINDS

    def _fills_index(self, base, index, value):
        """Does `value` have the shape of `base[index]` (known shapes, a basic index), so that
        `base[index] = value` does not broadcast it?  (A number where every cotangent is real:
        `_ad.unbroadcast` would hand back its cotangent as it is.)"""
        if self.real_cotangents and self._atom_kind(value) == "scalar" and \
                self.is_element(base, index):     # a number into one element (`math.sqrt`)
            return True
        number = self.real_cotangents and self.shapes.get(value.id) == ()
        if not (self._atom_kind(value) == "array" or number) or not self.basic_index(index) or \
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
        return self.accumulate(src.id, self._packed(src.id, parts))

    def _packed(self, name, parts):
        """The cotangent of `name`, unpacked into items, from theirs (`parts`): an array for an
        array (a tuple would add as a sequence, or concatenate), a tuple for a tuple or list,
        and where the kind is not known, whichever it is when the code runs."""
        kind = self.kinds.get(name)
        if kind in ("array", "num"):
            return S.call(self.np_name() + ".array", gast.List(elts=parts, ctx=gast.Load()))
        if kind is None and name in {a.id for a in self.fn.node.args.args}:
            # a parameter of generic code: an array or a tuple, known when the code runs
            return S.call("_ad.unpacked_grad", S.tuple_(parts), S.load(name))
        # a container, or the result of a call (a tuple, mostly: np.linalg.lstsq's, a
        # helper's several results); where it is an array after all, the runtime's
        # unbroadcast makes the tuple an array where it meets one (runtime/core.py)
        return S.tuple_(parts)
