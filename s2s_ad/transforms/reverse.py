"""Reverse mode, the assembler: an SSA function -> the source of its vector-Jacobian product.

    stage:  transforms (reverse mode: assembler, over adjoints.py and adjoint_calls.py (the
            adjoint generator), reverse_sweep.py (its blocks) and tape_plan.py (the planner))
    input:  an SSA function, the parameters to differentiate, the seed (`vjp` below)
    output: the gast.FunctionDef of the derivative (or, for a called user function, the pair
            g_fwd / g_bwd sharing the caller's tape: callee_pair)

The order is: generate every adjoint once (reverse_sweep.py), plan the tape (tape_plan.py), then
emit the forward sweep with its pushes and render the reverse sweep with its pops, in one pass.

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
which the reverse sweep computes again (tape_plan.py), and a `while` loop records only its trip
count.
"""

import math

import gast

from s2s_ad.analysis.activity import activity, rebinds, simple_statements, targets
from s2s_ad.analysis.aliasing import check_writes
from s2s_ad.analysis.calls import (argument_kinds, argument_shapes, callee_kinds, callee_ssa,
                                   mutated_params)
from s2s_ad.analysis.real_calls import all_real_through_calls
from s2s_ad.analysis.ops import bind_call, describe
from s2s_ad.base import syntax as S
from s2s_ad.base.tape import popped as tape_popped, tape_push
from s2s_ad.transforms import batching
from s2s_ad.transforms.program import Pair, Program, Unit, callee_key
from s2s_ad.transforms.reverse_sweep import ReverseSweep
from s2s_ad.transforms.reverse_tree import Branch, Loop, Spread, Step
from s2s_ad.transforms.scaffold import HOOKS, call_by_keyword, refuse_wrt
from s2s_ad.transforms.tape_plan import TapePlan


class Reverse(ReverseSweep):
    def __init__(self, fn, wrt, arg_kinds, names=None, program=None, arg_shapes=None,
                 batch=False):
        super().__init__(fn, wrt, arg_kinds, names, program, arg_shapes, batch)
        self.plan = TapePlan(self)
        self.saved = set()      # names pushed before being overwritten
        self.pushes = {}        # (id(statement), name) -> the push saving name before it
        self.pops = {}          # (id(statement), name) -> the pop restoring name after it
        self.uses_tape = False
        self.recomputations = []    # the statements the rendered sweep computes again

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

    # -- the tape: the only places that build its pushes and pops ----------------------------
    def push(self, expr):
        """`_tape.append(expr)`, in the forward sweep (marked for the optimiser: base.tape)."""
        return tape_push(self.tape, expr)

    def popped(self):
        """`_tape.pop()`: the value the forward sweep pushed last, in the reverse sweep."""
        return tape_popped(self.tape)

    # -- calls to user functions: g_fwd in the forward sweep, g_bwd in the reverse sweep --
    def plan_calls(self):
        """Decide which calls to user functions get a generated pair (active in and out)."""
        for stmt in simple_statements(self.fn.node.body):
            plan = self.user_call_arguments(stmt)
            if plan is None:
                continue
            bound, wrt, statics = plan
            kinds = argument_kinds({p: n for p, n in bound.items() if p not in statics},
                                   self._atom_kind)
            shapes = {} if self.batched else argument_shapes(
                {p: n for p, n in bound.items() if p not in statics}, self.shapes)
            self.user_calls[id(stmt)] = callee_pair(self.program, self.ops[id(stmt)].fn, wrt,
                                                    kinds, statics, result_read=bool(targets(stmt)),
                                                    shapes=shapes, real=self.real_cotangents)

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

    # -- the reverse sweep, rendered with the plan ------------------------------------------
    def render_block(self, block):
        pieces = []   # (source line, statements)
        for piece in block.pieces:
            if isinstance(piece, Step):
                again = [S.clone(s) for s in self.plan.recompute_at.get(id(piece.stmt), ())]
                self.recomputations.append(again)
                pieces.append((piece.stmt.lineno, again + piece.code + self.restore(piece)))
            elif isinstance(piece, Spread):
                pieces.append((None, piece.code))
            elif isinstance(piece, Branch):
                pieces.append((None, self.render_if(piece)))
            elif isinstance(piece, Loop):
                pieces.append((None, self.render_loop(piece)))
        out, last = [], block.header
        for line, code in pieces:
            if not code:
                continue
            if line is not None and line != last:
                out.append(S.comment(self.fn.source_line(_Line(line)), line))
            last = line
            out.extend(code)
        return out

    def restore(self, step):
        """The pops putting back what `step`'s statement overwrote, as far as the plan reads it
        (tape_plan.Restore)."""
        spec = step.restore
        needed = self.plan.restorable(step.stmt) if spec is not None and spec.kind == "names" \
            else self.plan.needed
        if spec is None or not spec.restored(needed):
            return []
        if spec.kind == "item":
            return [S.expr_stmt(S.call("_ad.restore_item", S.load(spec.base), S.clone(spec.index),
                                       self.popped(), *spec.adjoint))]
        if spec.kind == "part":
            target = gast.Subscript(value=S.load(spec.base), slice=spec.index, ctx=gast.Store())
            return [S.assign(target, self.popped())]
        pops = []
        for t in spec.restored(needed):
            pops.append(S.assign(t, self.popped()))
            self.pops[id(step.stmt), t] = pops[-1]
        return pops

    def render_if(self, branch):
        body = self.render_block(branch.body) + branch.body_zeros
        orelse = self.render_block(branch.orelse) + branch.orelse_zeros
        if not body and not orelse:
            return []
        stmt = branch.stmt
        return [S.comment(self.fn.source_line(stmt), stmt.lineno),
                gast.If(test=stmt.test, body=body or [gast.Pass()], orelse=orelse)]

    def render_loop(self, loop):
        stmt = loop.stmt
        body = self.render_block(loop.body) + loop.zeros
        popped = self.plan.restores_counter(loop)
        comment = [S.comment(self.fn.source_line(stmt), stmt.lineno)]
        if loop.count is not None:
            # as many times as the forward sweep counted; inside another loop the count comes
            # off the tape first, even where the body is empty (the forward sweep pushed it)
            pop = [S.assign(loop.count, self.popped())] if popped else []
            if not body:
                return loop.inits + pop
            new = gast.For(target=S.store("_"), iter=S.call("range", S.load(loop.count)),
                           body=body, orelse=[], type_comment=None)
            return comment + loop.inits + pop + [new]
        restore = [S.assign(stmt.target.id, self.popped())] if popped else []
        if not body:
            return loop.inits + restore
        new = gast.For(target=S.store(stmt.target.id), iter=S.call("reversed", stmt.iter),
                       body=body, orelse=[], type_comment=None)
        return comment + loop.inits + [new] + restore

    # -- the forward sweep ---------------------------------------------------------------
    def forward_block(self, stmts, depth):
        needed = self.plan.needed
        out = []
        for stmt in stmts:
            if isinstance(stmt, gast.Return):
                continue
            if isinstance(stmt, (gast.Assign, gast.Expr)):
                op = self.ops[id(stmt)]
                if op.kind == "setitem" and op.args[0].id in needed:
                    self.uses_tape = True
                    base = op.args[0].id
                    if self._is_container(base):    # a dict may not have the key yet
                        saved = S.call("_ad.saved_item", S.load(base), S.clone(op.index))
                    else:     # (a number needs no copy: nothing changes it)
                        saved = gast.Subscript(value=S.load(base), slice=op.index,
                                               ctx=gast.Load())
                        if not self.is_element(op.args[0], op.index):
                            saved = S.call("_ad.copy_of", saved)
                    out.append(self.push(saved))
                if depth:
                    restorable = self.plan.restorable(stmt)
                    for t in rebinds(stmt):
                        if t in restorable:
                            self.saved.add(t)
                            out.append(self.push(S.load(t)))
                            self.pushes[id(stmt), t] = out[-1]
                out.append(self.forward_call(stmt) if id(stmt) in self.user_calls else stmt)
            elif isinstance(stmt, gast.If):
                out.append(gast.If(test=stmt.test, body=self.forward_block(stmt.body, depth),
                                   orelse=self.forward_block(stmt.orelse, depth)))
            elif isinstance(stmt, gast.For):
                if depth and stmt.target.id in needed and self._read_after(stmt):
                    self.saved.add(stmt.target.id)
                    out.append(self.push(S.load(stmt.target.id)))
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
                    out.append(self.push(S.load(count)))
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
        # 1. every adjoint, once (reverse_sweep.py), from the adjoints defined at the start
        self.in_loop = False
        self.defined = self.defined_at_start(output, out_names)
        self.owned, self.uniform = set(), {}
        tree = self.reverse_block(body)
        final = self.spread(*self.wrt, *(self.split_mutated or ()))
        # a parameter's hook sees its whole gradient (its value as if passed through `x = x`)
        final += self.hook(None, [p for p in self.wrt if self.namer.user_of.get(p) in self.hooks])
        seed_stmts = self.seed(output, seed)
        # 2. the tape plan (tape_plan.py).  Only loops, writes into arrays and a called
        # function's record save values, so straight-line code without them needs none.
        planned = self.split_mutated is not None or any(
            isinstance(s, (gast.For, gast.While)) for s in S.statements(node)) or any(
            op.kind == "setitem" for op in self.ops.values())
        if planned:
            # The caller may read what a called function overwrote: restore it for the caller.
            # (Not a list it appends to or pops from: that changes in place, nothing to restore.)
            lists = {op.args[0].id for op in self.ops.values() if op.kind in ("append", "pop")}
            self.plan.needed |= set(self.split_mutated or ()) - lists
            outside = _loads_of(final) | set(self.fn.params) | set(self.split_mutated or ())
            self.plan.plan(tree, outside)
        # 3. the sweeps, with the pushes and pops the plan asks for
        forward = self.forward_block(body, 0)
        if has_aux:     # a result that is not a pair is refused before it is unpacked
            forward.insert(forward.index(unpack), S.expr_stmt(S.call("_ad.aux_pair", ret.value)))
        reverse = self.render_block(tree)
        unsaved = sorted(key[1] for key in self.pops if key not in self.pushes)
        if unsaved:    # a compiler bug: the generated code would pop from an empty tape
            raise RuntimeError(f"s2s_ad internal error: the reverse sweep of "
                               f"{self.fn.node.name} restores {unsaved} unsaved")
        if planned:     # (not the tape, numpy, ...: only the names a tape could save)
            self.plan.check(reverse, self.recomputations,
                            self.local | set(self.counters.values()), self.fn.node.name)
        reverse += final
        params = list(self.fn.params)
        results = [S.load(self.adj(p)) if p in self.defined else self.zero(p) for p in self.wrt]
        first_assigned = {t for s in body if isinstance(s, gast.Assign) for t in targets(s)}
        inits = [S.assign(n, S.const(None)) for n in sorted(self.saved)
                 if n not in params and n not in first_assigned]
        # The derivative behaves as if the function had copied the arrays it writes into
        # (a called function's writes are its caller's to see: no copies there).
        copies = []
        if self.split_mutated is None:
            copies = self.copies_of_written(
                [p for p in params if p in self.written],
                lambda p: [S.assign(p, S.call(gast.Attribute(value=S.load(p), attr="copy",
                                                             ctx=gast.Load())))])
        return dict(body=body, output=output, aux=aux, forward=forward, seed=seed_stmts,
                    reverse=reverse, results=results, inits=inits, params=params,
                    copies=copies)

    def defined_at_start(self, output, out_names):
        """The adjoints defined where the reverse sweep starts: the output's, where it is
        active (the seed, below), and in a callee's pair those of the arguments it writes into,
        which come in as keywords."""
        defined = set(out_names) | set(self.split_mutated or ())
        if self.result_read and not (isinstance(output, gast.Name) and
                                     self.activity.active(output.id)):
            defined.discard(getattr(output, "id", None))
        return defined

    def build(self, name, seed, return_value, has_aux):
        """One function: forward sweep, then reverse sweep."""
        self.real_cotangents = seed == "one" and not self.batched and \
            all_real_through_calls(self, self.program.real_callees)
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
                                      ([self.seed_param] if seed != "one" else []) +
                                      ([HOOKS] if self.hooks else []))

    def build_split(self, fwd_name, bwd_name, mutated=()):
        """Two functions for a called user function, sharing the caller's tape:

            def g_fwd(x, y, *, _tape):  forward sweep; records what g_bwd needs; returns g(x, y)
            def g_bwd(out_bar, _tape):  replays the tape; returns the cotangents of the wrt args
        """
        self.split_mutated = list(mutated)
        parts = self.sweeps("given", False)
        output = parts["output"]
        # what the reverse sweep reads, and the parameters whose zero cotangents it returns
        read = self.plan.needed | {n for r in parts["results"] for n in S.names_in(r, gast.Load)}
        # and the operands of the temporaries it computes again (tape_plan), which the
        # top-level sweep simply finds still in scope (a parameter: `v = xs[i]`)
        again = [s for stmts in self.plan.recompute_at.values() for s in stmts]
        read |= {n for s in again for n in S.names_in(s.value, gast.Load)} - \
            {t for s in again for t in targets(s)}
        keep = sorted(n for n in read if n in self.local or n in self.counters.values())
        again = self.plan.recomputed_from_record(parts["body"], keep)
        keep = [n for n in keep if n not in {targets(s)[0] for s in again}]
        push = [self.push(S.load(n)) for n in keep]
        pop = [S.assign(n, self.popped()) for n in reversed(keep)]
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

    def seed(self, output, seed):
        if not self.result_read:    # a call's result nobody reads: its cotangent is zero
            self.seed_param = self.namer.fresh("out_bar")
            return []
        if not isinstance(output, gast.Name) or not self.activity.active(output.id):
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
            return [S.assign(bar, S.call("_ad.add", S.load(bar), S.load(self.seed_param)))]
        if seed == "one":
            self.seed_param = None
            start = S.const(1.0) if self.certainly_scalar(output.id) else \
                S.call("_ad.grad_seed", output)
            return [S.comment("the reverse sweep starts from d(out)/d(out) = 1"),
                    S.assign(bar, start)]
        self.seed_param = bar    # the cotangent argument is the output's adjoint itself
        return []


class _Line:
    """A stand-in node carrying only a line number, for source_line()."""

    def __init__(self, lineno):
        self.lineno = lineno
        self.col_offset = 0


def vjp(fn, wrt, *, seed="given", return_value=False, has_aux=False, arg_kinds=None, name=None,
        names=None, arg_shapes=None, batched=False, hooks=()):
    """`hooks`: the user's variables whose adjoints go through `_ad_hooks[name]`, a keyword
    of the generated function (Differentiator.hooked)."""
    refuse_wrt(fn, wrt)
    rev = Reverse(fn, wrt, arg_kinds or {}, names, Program(), arg_shapes=arg_shapes,
                  batch=batched)
    rev.hooks = tuple(hooks)
    rev.check_hooks()
    suffix = "grad" if seed == "one" else "vjp"
    func = rev.build(name or f"{fn.node.name}_{suffix}", seed, return_value, has_aux)
    # what the optimizer may use of what the generator knew
    return func, rev.names, rev.program, dict(sizes=rev.sizes(), saves=rev.saves())


def callee_pair(program, fn, wrt, kinds=None, statics=None, result_read=True, shapes=None,
                real=False):
    """The forward and backward halves of the called function `fn` (Pair("g_fwd", "g_bwd")),
    generated once per program and key.  `result_read=False` for a call whose result the
    caller ignores (`g(A, B)` for what g writes into B): the result's cotangent is zero, and
    g_bwd does not take one.  `shapes`: the arguments' shapes at the call site, which the
    code is specialised on (Program.callee_shapes).  `real`: every cotangent the caller hands
    it is real (the caller's real_cotangents); its own are too if all its values are."""
    kinds = dict(kinds or {})
    shapes = program.callee_shapes(callee_key(fn, wrt, kinds, statics, result_read), shapes)
    key = callee_key(fn, wrt, kinds, statics, result_read, tuple(sorted(shapes.items())), real)
    if key in program.pairs:
        return program.pairs[key]
    ssa, in_place = callee_ssa(fn, kinds, statics)
    suffix = program.suffix(wrt, ssa.params)
    pair = Pair(program.unique(f"{ssa.node.name}_fwd{suffix}"),
                program.unique(f"{ssa.node.name}_bwd{suffix}"), tuple(wrt),
                statics=tuple(statics or ()))
    program.pairs[key] = pair          # registered first, so recursion finds it
    rev = Reverse(ssa, list(wrt), callee_kinds(ssa, kinds), program=program,
                  arg_shapes=shapes or None)
    rev.result_read = result_read
    rev.real_cotangents = real and all_real_through_calls(rev, program.real_callees)
    pair.tape = rev.tape
    pair.mutated = {p: rev.adj(p) for p in wrt if p in mutated_params(fn, in_place)}
    fwd, bwd = rev.build_split(pair.fwd, pair.bwd, list(pair.mutated))
    program.units.append(Unit([fwd, bwd], rev.names, ssa.parsed))
    return pair


def _loads_of(stmts):
    return {n for s in stmts for n in S.names_in(s, gast.Load)}
