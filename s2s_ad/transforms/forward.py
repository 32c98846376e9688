"""Forward mode: an SSA function -> the source of its Jacobian-vector product.

    jvp(fn, wrt, arg_kinds) -> gast.FunctionDef

Each statement is followed by its tangent statement; the tangent of `h` is `h_dot`.  Branches
and loops keep their shape: a join copy `y_3 = y_1` gets the tangent copy `y_3_dot = y_1_dot`.
Only active values (depending on a wrt argument and reaching the output) get tangents; a value
that becomes active without an active operand (an array created with np.zeros and then written
into) starts from a zero tangent.
"""

import math

import gast
import numpy as np

from s2s_ad import runtime
from s2s_ad.base import syntax as S
from s2s_ad.analysis.activity import activity, simple_statements, targets
from s2s_ad.analysis.aliasing import check_writes
from s2s_ad.transforms import batching
from s2s_ad.analysis.analysed import aligned
from s2s_ad.analysis.calls import (argument_kinds, argument_shapes, callee_kinds, callee_ssa,
                                   mutated_params)
from s2s_ad.analysis.ops import is_user_function, refusal_hint
from s2s_ad.analysis.sharing import may_be_view
from s2s_ad.base.errors import (DifferentiationError, NonDifferentiableCallError,
                               Unbatchable)
from s2s_ad.transforms.program import Program, Unit, callee_key
from s2s_ad.transforms.scaffold import HOOKS, Differentiator, call_by_keyword, refuse_wrt
from s2s_ad.backend.optimize import MATH_FLOATING, floating_names
from s2s_ad.rules import registry


class Forward(Differentiator):
    unit = None      # the argument whose tangent is the constant 1 (see build, seed_one)

    def __init__(self, fn, wrt, arg_kinds, names=None, program=None, arg_shapes=None,
                 batch=False):
        super().__init__(fn, wrt, arg_kinds, names, program, arg_shapes, batch)
        self.tangents = {}
        self._written = None     # see written_in_place

    def dot(self, name):
        if name not in self.tangents:
            self.tangents[name] = self.namer.derived(name, "dot")
        return self.tangents[name]

    def no_rule(self, stmt, op):
        return self.fn.error(
            stmt, f"no forward-mode rule for {op.name}",
            f"Register one with ad.defjvp({op.name}, ...), mark it with "
            f"ad.nondifferentiable({op.name}), or wrap its argument in "
            f"ad.stop_gradient(...).", kind=NonDifferentiableCallError)

    def tangent_of(self, node):
        """The tangent expression of an atom (a zero where it is not active)."""
        if self.active(node):
            return S.load(self.dot(node.id))
        return self.zero(node)

    def zero(self, node):
        if self.batched:
            return self.batch_zeros(self.shape_of(node))
        if isinstance(node, gast.Constant) or self.kinds.get(getattr(node, "id", None)) == "scalar":
            return S.const(0.0)
        return S.call("_ad.zeros_like", node)

    # -- one simple statement ------------------------------------------------------------
    def tangent(self, stmt):
        op = self.ops[id(stmt)]
        outs = targets(stmt)
        if op.kind == "setitem":
            base, value = op.args
            if not self.activity.active(base.id):
                return []
            if self.batched:
                return self._batched_setitem(base, value, op.index)
            target = gast.Subscript(value=S.load(self.dot(base.id)), slice=op.index,
                                    ctx=gast.Store())
            return [S.assign(target, self.tangent_of(value))]
        if self.batched and op.kind in ("append", "unpack", "pop", "pack", "dict") and \
                self.touches_active(op, outs):
            raise Unbatchable(f"containers ({op.kind})")
        if op.kind == "append":
            lst, value = op.args
            if not self.activity.active(lst.id):
                return []
            return [S.expr_stmt(S.call(gast.Attribute(value=S.load(self.dot(lst.id)), attr="append",
                                                      ctx=gast.Load()), self.tangent_of(value)))]
        if op.kind == "unpack":
            if not any(self.activity.active(t) for t in outs):
                return []
            dots = S.tuple_([S.store(self.dot(t)) for t in outs], gast.Store())
            return [S.assign(dots, self.tangent_of(op.args[0]))]
        if op.kind == "pop" and self.active(op.args[0]) and \
                not (outs and self.activity.active(outs[0])):
            # a list with tangents (a tape) gives up its last tangent with its last value,
            # used or not, so that the two stay in step
            return [S.expr_stmt(S.call(gast.Attribute(value=S.load(self.dot(op.args[0].id)),
                                                      attr="pop", ctx=gast.Load())))]
        if not outs or not self.activity.active(outs[0]):
            return []
        out = outs[0]
        if op.kind == "copy":
            expr = self.tangent_of(op.args[0])
        elif op.kind == "index":
            index = self.batch_index(op.index) if self.batched else op.index
            expr = gast.Subscript(value=self.tangent_of(op.args[0]), slice=index, ctx=gast.Load()) \
                if self.active(op.args[0]) else self.zero(S.load(out))
        elif op.kind == "pop":
            expr = S.call(gast.Attribute(value=S.load(self.dot(op.args[0].id)), attr="pop",
                                         ctx=gast.Load())) \
                if self.active(op.args[0]) else self.zero(S.load(out))
        elif op.kind == "pack":
            expr = type(stmt.value)(elts=[self.tangent_of(a) for a in op.args], ctx=gast.Load())
        elif op.kind == "dict":
            expr = gast.Dict(keys=op.keys, values=[self.tangent_of(a) for a in op.args])
        elif op.kind == "call":
            pre, expr = self._call(stmt, op, out)
            if self._shares_written_tangent(op, out) and \
                    not _fresh_tangent(expr, {self.np_name(): np, "_ad": runtime}):
                # a new array, it or an operand written into later: its tangent must be a new
                # array too, where the rule's tangent may be an operand's (`a + 0.0`:
                # `broadcast_like(a_dot, ...)` is a_dot itself), or the write into one would
                # change the other's tangent
                expr = S.call("_ad.copy_of", expr)
            return pre + [S.assign(self.dot(out), expr)]
        elif op.kind != "other" and any(self.active(a) for a in op.args):
            # a callable computed at run time or a method: not followed, never taken for zero
            raise self.fn.error(stmt, f"cannot differentiate the call {op.name}",
                                refusal_hint(op), kind=NonDifferentiableCallError)
        else:
            # a constant, or a comparison or `.shape` ("other"): no derivative.  Its result is
            # active only where it shares a list with active values (a tape that also records
            # the branch's condition), and then its tangent is zero
            expr = self.zero(S.load(out))
        return [S.assign(self.dot(out), expr)]

    def written_in_place(self):
        """The names the function writes into (`v[i] = e`, a called function's write)."""
        if self._written is None:
            self._written = {op.args[0].id for op in self.ops.values()
                             if op.kind == "setitem" and isinstance(op.args[0], gast.Name)} | \
                {name for op in self.ops.values() for name in op.writes}
        return self._written

    def _shares_written_tangent(self, op, out):
        """Whether the tangent a rule gives `out` (a new array, not a view) may be an operand's
        tangent while `out` or that operand is written into in place."""
        written = self.written_in_place()
        operands = [a.id for a in list(op.args) + list(op.kwargs.values())
                    if isinstance(a, gast.Name)]
        return (out in written or any(a in written for a in operands)) and \
            not may_be_view(op, self.kinds)

    def _call(self, stmt, op, out):
        if op.fn == "astype":
            return [], self.tangent_of(op.args[0])
        if registry.is_nondifferentiable(op.fn):
            if op.fn in _ZERO_MAKERS and not self.batched:   # fresh zeros: the same zeros again
                return [], S.clone(stmt.value)
            return [], self.zero(S.load(out))
        rule = registry.lookup(op.fn)
        if rule is None and is_user_function(op.fn):
            return [], self.zero(S.load(out))   # no active argument reaches the callee
        pre, terms = [], []
        bound, rules = self.argument_rules(stmt, op, rule, "defjvp")
        for i, arg, jvp in rules:
            t = S.load(self.dot(arg.id))
            how = None
            if self.batched:
                jvp, t, how = self._batched_rule(op, i, jvp, t, out, rule.broadcasts)
            unit = self._unit_term(jvp, op, arg, out)
            if unit is not None:      # the seed's tangent is 1: `t * y` is `y`
                terms.append((arg, self.user_rule_check(op, jvp, S.load(out))(unit)))
                continue
            code, expr = self.instantiate_rule(stmt, op, jvp, how, t, out,
                                               like=S.load(out))
            pre += code
            terms.append((arg, expr))
        if not terms:
            return pre, self.zero(S.load(out))
        total = terms[0][1]
        for _, expr in terms[1:]:
            total = S.call("_ad.add", total, expr) if rule.extra.get("structural") else \
                S.binop(total, gast.Add(), expr)
        if rule.broadcasts and (len(terms) < len(bound) or len(terms) > 1) and \
                self._may_broadcast(terms, op, out):
            helper = "_ad.broadcast_batch" if self.batched else "_ad.broadcast_like"
            total = S.call(helper, total, S.load(out))
        return pre, total

    def _unit_term(self, jvp, op, arg, out):
        """With the seed tangent 1 (`build(seed_one=True)`), the term of a rule for the seed
        argument itself, with the 1 folded away (`t * y` -> `y`), where the term is certainly
        a float so that folding keeps its value and type; None otherwise."""
        if self.unit is None or arg.id != self.unit:
            return None
        return self.namer.attempt(lambda: self._folded_unit_term(jvp, op, out))

    def _folded_unit_term(self, jvp, op, out):
        """The rule's term with the tangent 1 folded away, or None where it needs statements
        or may not be a float."""
        from s2s_ad.backend.optimize import _fold
        code, expr = self.inliner.instantiate(jvp, op.args, op.kwargs, [S.const(1), S.load(out)])
        expr = _fold(expr)
        return expr if not code and self._certainly_float(expr) else None

    def _certainly_float(self, expr, floats=None):
        """A Python float whatever the values: a float constant, a name in `floats` (by default
        those `find_floats` found), a math function's result, or arithmetic with such an
        operand and numbers (not arrays: the folded term may become a tangent that is updated
        in place)."""
        floats = self.floats if floats is None else floats
        if isinstance(expr, gast.Constant):
            return type(expr.value) is float
        if isinstance(expr, gast.Name):
            return expr.id in floats
        if isinstance(expr, gast.UnaryOp):
            return isinstance(expr.op, (gast.USub, gast.UAdd)) and \
                self._certainly_float(expr.operand, floats)
        if isinstance(expr, gast.BinOp) and isinstance(expr.op, gast.Pow):
            # a negative float to a float power is complex: integer powers only
            return self._certainly_float(expr.left, floats) and \
                isinstance(expr.right, gast.Constant) and type(expr.right.value) is int
        if isinstance(expr, gast.BinOp) and isinstance(expr.op, _FLOAT_PRESERVING):
            sides = (expr.left, expr.right)
            return any(self._certainly_float(e, floats) for e in sides) and \
                all(self._number(e, floats) for e in sides)
        if isinstance(expr, gast.Call) and isinstance(expr.func, gast.Attribute) and \
                isinstance(expr.func.value, gast.Name):
            from s2s_ad.frontend.resolve import resolve_static
            try:
                fn = resolve_static(expr.func, self.fn)
            except DifferentiationError:     # not a module attribute known now
                return False
            return fn in _FLOAT_MATH
        return False

    def _number(self, expr, floats):
        """A Python or NumPy number (not an array)."""
        return self._certainly_float(expr, floats) or (
            isinstance(expr, gast.Constant) and type(expr.value) in (int, float, bool)) or (
            isinstance(expr, gast.Name) and self.kinds.get(expr.id) == "scalar")

    def find_floats(self):
        """The names that certainly hold a Python float (optimize.floating_names with the test
        above).  Not the seed argument itself, a parameter: the same code serves a bool."""
        self.floats = floating_names(self.fn.node, self._certainly_float)

    # -- the batched mode (batching.py) ----------------------------------------------------
    def _batched_rule(self, op, i, jvp, t, out, broadcasts):
        """The rule for a batched tangent, the tangent aligned for it, and how it batches."""
        out_shape = self.shape_or_none(S.load(out))
        how, rule, shapes = self.batched_choice(op, i, jvp, "jvp", out_shape, broadcasts)
        if how == "elementwise":    # a lower-rank tangent meets the result's axes on the right
            t = aligned(t, len(shapes[i]), len(out_shape))
        return rule, t, how

    def _batched_setitem(self, base, value, index):
        """`a_dot[:, i] = v_dot`, with v_dot aligned to the part it replaces."""
        part = self.index_shape(base, index)
        if self.active(value):
            rank = len(self.shape_of(value))
            if rank > len(part):
                raise Unbatchable("a write of a value of higher rank than its target")
            new = aligned(self.tangent_of(value), rank, len(part))
        else:
            new = S.const(0.0)
        target = gast.Subscript(value=S.load(self.dot(base.id)), slice=self.batch_index(index),
                                ctx=gast.Store())
        return [S.assign(target, new)]

    def _may_broadcast(self, terms, op, out=None):
        # a term has at least its argument's shape (its tangent is a factor of it) and at most
        # the result's, so one argument of the result's shape gives the sum that shape
        if out in self.shapes and all(getattr(a, "id", None) in self.shapes for a, _ in terms):
            return all(self.shapes[a.id] != self.shapes[out] for a, _ in terms)
        kinds = [self._atom_kind(a) for a in op.args]
        if all(k == "scalar" for k in kinds):
            return False
        # One array operand among scalars: every tangent term already has the result's shape.
        arrays = [a for a, k in zip(op.args, kinds) if k != "scalar"]
        if len(arrays) == 1 and self.kinds.get(getattr(arrays[0], "id", None)) == "array" \
                and all(a is arrays[0] for a, _ in terms):
            return False
        return True

    # -- blocks --------------------------------------------------------------------------
    def block(self, stmts):
        out = []
        for stmt in stmts:
            if isinstance(stmt, gast.Return):
                continue
            if isinstance(stmt, (gast.Assign, gast.Expr)):
                call = self.user_call(stmt)
                if call is not None:
                    out.append(call)
                    out.extend(self.hook(stmt))
                    continue
                out.append(stmt)
                out.extend(self.tangent(stmt))
                out.extend(self.hook(stmt))
            elif isinstance(stmt, gast.If):
                out.append(gast.If(test=stmt.test, body=self.block(stmt.body),
                                   orelse=self.block(stmt.orelse)))
            elif isinstance(stmt, gast.For):
                out.append(gast.For(target=stmt.target, iter=stmt.iter, body=self.block(stmt.body),
                                    orelse=[], type_comment=None))
            elif isinstance(stmt, gast.While):
                out.append(gast.While(test=stmt.test, body=self.block(stmt.body), orelse=[]))
        return out

    def hook(self, stmt):
        """`h_dot = _ad_hooks["h"](h_dot)` after the tangent of the user's assignment `stmt`
        to a hooked variable, where it has one (Differentiator.hooked)."""
        return [self.hook_call(name, self.dot(name)) for name in self.hooked(stmt)
                if self.activity.active(name)]

    def user_call(self, stmt):
        """`z, z_dot = g_jvp(a, b, x_dot=a_dot)` for a call to a user function, or None."""
        plan = self.user_call_arguments(stmt)
        if plan is None:
            return None
        bound, wrt, statics = plan
        op, outs = self.ops[id(stmt)], targets(stmt)
        bound = {p: n for p, n in bound.items() if p not in statics}
        shapes = {} if self.batched else argument_shapes(bound, self.shapes)
        name, dots = callee_jvp(self.program, op.fn, wrt, argument_kinds(bound, self._atom_kind),
                                statics, shapes)
        tangents = [gast.keyword(arg=d, value=self.tangent_of(bound[p]))
                    for p, d in zip(wrt, dots)]
        new = call_by_keyword(S.load(name), bound, tangents)
        if not outs:     # called for what it writes into its arguments (and their tangents)
            return gast.copy_location(gast.Expr(value=new), stmt)
        target = S.tuple_([S.store(outs[0]), S.store(self.dot(outs[0]))], gast.Store())
        return gast.copy_location(S.assign(target, new), stmt)

    def build(self, name, keyword_tangents=False, mutated=(), tangent_only=False, seed_one=False):
        """The JVP function; with `seed_one`, the derivative of a function of one scalar
        argument: its tangent starts at 1 inside the function instead of being a parameter."""
        body = self.fn.node.body
        output = body[-1].value
        # the arguments a called function writes into are among its results
        out_names = ([output.id] if isinstance(output, gast.Name) else []) + list(mutated) \
            + self.restored_arrays()
        self.activity = activity(self.fn, self.ops, self.wrt, out_names, self.shapes)
        self.refuse_unfollowed_changes()
        if self.batched:    # one tangent per element of the wrt arguments
            in_shapes = [self.shape_of(S.load(p)) for p in self.wrt]
            self.batch = batching.batch_size(in_shapes, self.shapes.values())
            self.program.batch = (self.batch, in_shapes)
        dots = [self.dot(p) for p in self.wrt]
        prelude = []
        if not keyword_tangents:
            # The derivative behaves as if the function had copied the arrays it writes into
            # (a called function's writes, instead, are its caller's to see).
            written = check_writes(self.fn, self.ops, self.kinds)
            prelude += self.copies_of_written(written, lambda p: [S.assign(p, _copy(p))] + (
                [S.assign(self.dot(p), _copy(self.dot(p)))] if p in self.wrt else []))
        for p in self.fn.params:   # a parameter that becomes active by a write starts at zero
            if p not in self.wrt and self.activity.active(p):
                prelude.append(S.assign(self.dot(p), self.zero(S.load(p))))
        if seed_one:
            prelude += [S.comment("one scalar input: forward mode gives the derivative in one "
                                  "sweep, without a tape"),
                        S.assign(dots[0], S.const(1.0))]
            if self.wrt[0] not in {t for s in simple_statements(body) for t in targets(s)}:
                self.unit = self.wrt[0]    # its tangent is 1 everywhere
                self.find_floats()
        code = prelude + self.block(body)
        if seed_one and not (self.active(output) and self.certainly_scalar(output.id)):
            code.append(S.expr_stmt(S.call("_ad.grad_seed", output)))   # the scalar check
        result = self.tangent_of(output) if tangent_only or seed_one else \
            S.tuple_([output, self.tangent_of(output)])
        params = list(self.fn.params) + ([] if keyword_tangents or seed_one else dots)
        func = S.function_def(name, params, code + [gast.Return(value=result)])
        if self.hooks:
            func.args.kwonlyargs, func.args.kw_defaults = [S.store_param(HOOKS)], [None]
        # the user's defaults hold where the parameters are the user's own, in their order
        if keyword_tangents or seed_one:
            self.fn.give_signature(func, self.names, dots if keyword_tangents else (),
                                   keyword_tangents)
        return func


_FLOAT_PRESERVING = (gast.Add, gast.Sub, gast.Mult, gast.Div)
# math functions whose result is a float (not floor, ceil, trunc, factorial, ...)
_FLOAT_MATH = {getattr(math, n) for n in MATH_FLOATING}


def _fresh_tangent(expr, modules):
    """Is the tangent expression certainly a new value (arithmetic, a call whose record says
    its result is `fresh`, `broadcast_like` of one), never an operand's tangent itself?
    `modules` maps the names generated code reads NumPy and the runtime by to the modules:
    the callee is the object a name refers to, not its spelling."""
    if isinstance(expr, (gast.BinOp, gast.UnaryOp, gast.Constant)):
        return True
    if not (isinstance(expr, gast.Call) and isinstance(expr.func, gast.Attribute)
            and isinstance(expr.func.value, gast.Name) and expr.func.value.id in modules):
        return False
    fn = getattr(modules[expr.func.value.id], expr.func.attr, None)
    if fn is runtime.broadcast_like and expr.args:
        return _fresh_tangent(expr.args[0], modules)      # (t itself where the shapes agree)
    if fn is np.array:       # a copy, unless told otherwise (copy=False)
        return not any(k.arg == "copy" for k in expr.keywords)
    record = registry.primitive(fn) if fn is not None else None
    return record is not None and record.fresh


def _zero_makers():
    return {runtime.zeros_like, np.zeros_like, np.zeros}


_ZERO_MAKERS = _zero_makers()


def _copy(name):
    return S.call(gast.Attribute(value=S.load(name), attr="copy", ctx=gast.Load()))


def gradient(fn, wrt, *, arg_kinds, arg_shapes=None):
    """The gradient of `fn` with respect to its one Python-float argument `wrt`, in forward
    mode: the same cost as the function, no tape (reverse mode would store every step)."""
    fn.refuse_generator()
    fwd = Forward(fn, [wrt], arg_kinds, program=Program(), arg_shapes=arg_shapes)
    node = fwd.build(f"{fn.node.name}_grad", seed_one=True)
    return node, fwd.names, fwd.program


def jvp(fn, wrt, *, arg_kinds=None, has_aux=False, name=None, names=None, arg_shapes=None,
        tangent_only=False, batched=False, hooks=()):
    refuse_wrt(fn, wrt)
    fwd = Forward(fn, wrt, arg_kinds or {}, names, Program(), arg_shapes=arg_shapes,
                  batch=batched)
    fwd.hooks = tuple(hooks)
    fwd.check_hooks()
    node = fwd.build(name or f"{fn.node.name}_jvp", tangent_only=tangent_only)
    return node, fwd.names, fwd.program


def callee_jvp(program, fn, wrt, kinds=None, statics=None, shapes=None):
    """(name, tangent names) of the JVP function of the called function `fn`, generated once
    per program and key, specialised on the arguments' shapes at the call site (`shapes`, see
    Program.callee_shapes)."""
    kinds = dict(kinds or {})
    shapes = program.callee_shapes(callee_key(fn, wrt, kinds, statics), shapes)
    key = callee_key(fn, wrt, kinds, statics, tuple(sorted(shapes.items())))
    if key in program.jvps:
        return program.jvps[key]
    ssa, in_place = callee_ssa(fn, kinds, statics)
    name = program.unique(f"{ssa.node.name}_jvp{program.suffix(wrt, ssa.params)}")
    fwd = Forward(ssa, list(wrt), callee_kinds(ssa, kinds), program=program,
                  arg_shapes=shapes or None)
    program.jvps[key] = (name, [fwd.dot(p) for p in wrt])   # first, so recursion finds it
    node = fwd.build(name, keyword_tangents=True,
                     mutated=[p for p in wrt if p in mutated_params(fn, in_place)])
    program.units.append(Unit([node], fwd.names, ssa.parsed))
    return program.jvps[key]
