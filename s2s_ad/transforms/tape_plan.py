"""Reverse mode, the tape planner: which values the tape stores and which are computed again.

    stage:  transforms (reverse mode: tape planner, between the adjoint generator and the
            assembler)
    input:  the SSA function and the tree of its reverse sweep (reverse_sweep.py)
    output: a TapePlan: `needed`, the names the reverse sweep reads (so, inside a loop, the
            ones the forward sweep saves before overwriting them), and `recompute_at`, the
            cheap loop temporaries the reverse sweep computes again instead of saving them,
            by the statement before whose adjoint it does

Liveness over the reverse sweep: a name it reads must hold, at that point, the value it had at
the same point of the forward sweep.  What the sweep reads depends on what it restores, since a
restore inside a branch or loop whose adjoint is otherwise empty makes the branch appear, and
its condition is then read as well (N1: `y = y / (3.0 if x >= 1.3 else 0.1)` in a loop restores
the constant's temporary in the branches of `x >= 1.3`).  So `settle` iterates to a fixed point
over the tree, whose code is generated once: each round only reads the names of its pieces.
"""

import gast

from s2s_ad.analysis.activity import rebinds, targets
from s2s_ad.base import syntax as S
from s2s_ad.rules import registry
from s2s_ad.transforms.reverse_tree import Branch, Loop, Spread, Step, bound_in


class TapePlan:
    """What the tape of one reverse-mode function holds, decided before any code is emitted
    (the forward sweep pushes what the reverse sweep, rendered from the same plan, pops)."""

    def __init__(self, sweep):
        self.sweep = sweep      # the ReverseSweep whose tree is planned: its function's facts
        self.needed = set()     # names the reverse sweep reads (decides what loops save)
        self.recompute_at = {}  # id(stmt) -> temporaries computed again before its adjoint
        self.recomputed = set()     # the temporaries computed again instead of saved
        self.live = {}          # id(stmt in a loop) -> what is read after its restore (below)

    def plan(self, tree, outside=()):
        """Settle what the sweep reads, then take out the temporaries it computes again (whose
        operands it may then read where it did not before); `outside`: the names read after
        the reverse sweep (the gradients' shapes, a caller's view of what a callee wrote)."""
        self.settle(tree)
        before = set(self.needed)
        self.plan_recomputes()
        if not self.needed <= before:
            self.settle(tree)
        self.place_restores(tree, set(outside))

    def place_restores(self, block, after, loop=None):
        """Liveness by position for the names a loop restores: the old value of `t`, put back
        after the adjoint of a statement inside the outermost loop L around it, can be read
        only by the reverse sweep from there on: L's reversal (its later iterations) and what
        the sweep does after L (and after the function: `after` at the top).  A name the rest
        of the sweep reads only before L's reversal (go_fast's `trace`, read for the shape of
        the result) is neither saved nor restored in L.  Sets `live` for the statements in
        loops; `after` holds the names read after `block`."""
        for piece in reversed(block.pieces):
            read = set()
            self.reads(_Block([piece]), read)
            if isinstance(piece, Step) and loop is not None:
                self.live[id(piece.stmt)] = loop
            elif isinstance(piece, Branch):
                self.place_restores(piece.body, set(after), loop)
                self.place_restores(piece.orelse, set(after), loop)
            elif isinstance(piece, Loop):
                self.place_restores(piece.body, set(), loop if loop is not None else read | after)
            after |= read

    def check(self, reverse, recomputations, savable, name):
        """The plan is what the rendered reverse sweep (`reverse`, of the function `name`)
        reads of the `savable` names, but for the operands of the temporaries it computes
        again (`recomputations`, which plan_recomputes answers for): a name read without
        being restored would hold its last value from the forward sweep, a wrong derivative.
        A compiler bug if not."""
        again = {id(s) for stmts in recomputations for s in stmts}
        read, stack = set(), list(reverse)
        while stack:
            node = stack.pop()
            if id(node) in again:
                continue
            if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load):
                read.add(node.id)
            stack.extend(gast.iter_child_nodes(node))
        missing = sorted((read & savable) - self.needed - self.recomputed)
        if missing:
            raise RuntimeError(f"s2s_ad internal error: the tape plan of {name} "
                               f"misses {missing}, which its reverse sweep reads")

    def restorable(self, stmt):
        """The names the tape saves before `stmt` (in a loop) rebinds them, and restores
        after its adjoint."""
        live = self.live.get(id(stmt))
        return self.needed if live is None else self.needed & live

    def settle(self, tree):
        """Grow `needed` until it holds every name the sweep reads (temporaries computed again
        are read without being restored: they stay out)."""
        while True:
            read = set()
            self.reads(tree, read)
            read -= self.recomputed
            if read <= self.needed:
                return
            self.needed |= read

    def reads(self, block, out):
        """Add to `out` the names the block of the reverse sweep reads under the plan so far;
        whether it has any code (the assembler, reverse.py, renders the same decisions)."""
        code = False
        for piece in block.pieces:
            if isinstance(piece, Step):
                again = self.recompute_at.get(id(piece.stmt), ())
                restored = piece.restore.restored(self.needed) if piece.restore else []
                out |= piece.reads
                made = set()    # (a chain's own temporaries: computed before they are read)
                for s in again:
                    out.update(n for n in S.names_in(s.value, gast.Load) if n not in made)
                    made.update(targets(s))
                if restored:
                    out |= piece.restore.reads()
                code = code or bool(again or piece.code or restored)
            elif isinstance(piece, Spread):
                out |= piece.reads
                code = code or bool(piece.code)
            elif isinstance(piece, Branch):
                inner = set()
                body = self.reads(piece.body, inner) | bool(piece.body_zeros)
                orelse = self.reads(piece.orelse, inner) | bool(piece.orelse_zeros)
                if body or orelse:
                    out |= inner | _loads(piece.body_zeros + piece.orelse_zeros) | \
                        set(S.names_in(piece.stmt.test, gast.Load))
                    code = True
            elif isinstance(piece, Loop):
                out |= _loads(piece.inits)
                inner = set()
                if self.reads(piece.body, inner) | bool(piece.zeros):
                    out |= inner | _loads(piece.zeros)
                    out |= {piece.count, "range"} if piece.count is not None else \
                        {"reversed", *S.names_in(piece.stmt.iter, gast.Load)}
                    code = True
                code = code or bool(piece.inits) or self.restores_counter(piece)
        return code

    def restores_counter(self, loop):
        """Does the reverse sweep pop the counter of `loop` after its reversal: a while loop's
        trip count inside another loop (even when unused), a for loop's counter where it is
        read after the loop and the sweep reads it?"""
        if loop.count is not None:
            return loop.in_loop
        return loop.counter_read and loop.stmt.target.id in self.needed

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
        for n in S.walk(self.sweep.fn.node):
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load):
                loads[n.id] = loads.get(n.id, 0) + 1
        loops = list(_loops(self.sweep.fn.node.body, ()))
        in_loops = bound_in([loop for loop, _ in loops])
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
            changed = bound_in(loop.body)
            block = loop.body
            # cheap temporaries -> their positions in the block: any of them may be computed
            # again as part of another's chain (`_t6 = k - i; _t7 = _t6 - 1`, the plain index
            # `_t2 = p[1]` of `_t3 = _t2 - z`), though the sweep does not read it
            cheap = {t: k for k, stmt in enumerate(block)
                     if (t := self._cheap_temporary(stmt, stores)) is not None}

            def chain(k, last):
                """The statements that compute block[k] again before block[last]'s adjoint:
                its own, after those of the temporaries it reads that are computed again
                themselves (`a = -2.0 * z; b = a * w`); None if an operand may have changed.
                An array written into between (`x[i] = t`) has changed too: the tape gives
                the old part back only at that write's adjoint, after the recomputation."""
                between = bound_in(block[k + 1:last + 1]) | \
                    self._written_into(block[k + 1:last + 1])
                out = []
                for o in S.names_in(block[k].value, gast.Load):
                    if not self.sweep.is_local(o) or stable(o, enclosing, changed, between):
                        continue
                    at = cheap.get(o, k)
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
                    # the reverse sweep reads the operands now: a called function's sweep
                    # must have them in its record (a parameter without a derivative too)
                    computed = {targets(s)[0] for s in again}
                    self.needed.update(
                        o for s in again for o in S.names_in(s.value, gast.Load)
                        if self.sweep.is_local(o) and o not in computed and o not in counters)

    def _written_into(self, stmts):
        """The arrays statements (and the blocks inside them) write into: `a[i] = v`, and
        the arguments of calls whose callee writes into them."""
        names = set()
        for s in stmts:
            for sub in S.statements(s):
                op = self.sweep.ops.get(id(sub))
                if op is None:
                    continue
                names.update(op.writes)
                if op.kind == "setitem":
                    names.add(op.args[0].id)
        return names

    def recomputed_from_record(self, body, keep):
        """The statements of a called function's body that g_bwd computes again from the other
        values of its record instead of receiving them on the tape (see plan_recomputes):
        cheap temporaries whose operands are in the record, assigned once and never written
        into, so their last values are the ones the temporary was computed from."""
        stores = self._binding_counts()
        written = set(self.sweep.split_mutated or ())
        for op in self.sweep.ops.values():
            written.update(op.writes)
            if op.kind == "setitem":
                written.add(op.args[0].id)
        record, again = set(keep), []
        for stmt in body:
            t = self._cheap_temporary(stmt, stores)
            if t is None or t not in record:
                continue
            operands = [n for n in S.names_in(stmt.value, gast.Load) if self.sweep.is_local(n)]
            if all(o in record and stores.get(o, 0) <= 1 and o not in written for o in operands):
                again.append(stmt)
        return again

    def _binding_counts(self):
        """{name: how many times the function binds it}: a parameter is bound once on entry,
        then by each assignment and each `for` over it.  A name bound once holds the same
        value wherever it is defined; a parameter the body rebinds (`b = np.sin(v)` in a
        loop) does not, though only one assignment names it."""
        counts = {p: 1 for p in self.sweep.fn.params}
        for stmt in S.statements(self.sweep.fn.node):
            names = S.names_in(stmt.target, gast.Store) if isinstance(stmt, gast.For) \
                else rebinds(stmt)
            for t in names:
                counts[t] = counts.get(t, 0) + 1
        return counts

    def _cheap_temporary(self, stmt, stores):
        """The name of `t = a op b` (arithmetic on numbers), `t = xs[i]` (a basic index: a
        view), `t = p.w` (an object's field: a cheap call whose result is a view, whatever
        its kind) or `t = a` (another name for a's value), assigned once in the function,
        else None.  Arithmetic on arrays is not
        cheap: computing it again costs what the forward sweep paid."""
        if not isinstance(stmt, gast.Assign) or id(stmt) not in self.sweep.ops:
            return None
        names = rebinds(stmt)
        if len(names) != 1 or stores.get(names[0]) != 1 or \
                not isinstance(stmt.targets[0], gast.Name):
            return None
        op = self.sweep.ops[id(stmt)]
        cheap = (op.kind == "call" and registry.is_cheap(op.fn) and not op.kwargs
                 and (self.sweep.kinds.get(names[0]) == "scalar" or
                      registry.fact(op.fn, "view"))) or (
            op.kind == "index" and self.sweep.basic_index(op.index)) or (
            op.kind == "copy" and isinstance(stmt.value, gast.Name))
        return names[0] if cheap else None


class _Block:
    """A block of one piece, for `reads` of that piece alone."""

    def __init__(self, pieces):
        self.pieces = pieces


def _loops(stmts, enclosing):
    """(loop, counters of the for loops around and including it) for every loop in `stmts`."""
    for s in stmts:
        if isinstance(s, (gast.For, gast.While)):
            inner = enclosing + ((s.target.id,) if isinstance(s, gast.For) else ())
            yield s, inner
            yield from _loops(s.body, inner)
        elif isinstance(s, gast.If):
            yield from _loops(s.body + s.orelse, enclosing)


def _loads(stmts):
    return {n for s in stmts for n in S.names_in(s, gast.Load)}
