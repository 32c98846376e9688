"""Reverse mode, the reverse sweep's structure: an SSA body -> a tree of adjoint pieces.

    stage:  transforms (reverse mode: adjoint generator, the blocks; adjoints.py does one
            statement)
    input:  the SSA body of the function, after activity analysis
    output: a Block: for each statement in reverse order, its adjoint code (a Step, with what it
            would restore from the tape), the spreading of uniform adjoints before a branch or
            loop (a Spread), and the reversed branches and loops (a Branch, a Loop) with the
            adjoints they zero

Every adjoint is generated once, here.  What is restored from the tape, and whether a branch or
loop whose adjoint has no code of its own still appears because it restores something, depends
on what the whole reverse sweep reads: the tape planner (tape_plan.py) decides it from this
tree, and the assembler (reverse.py) renders the tree with the plan.

Updating adjoints in place.  `a_bar[i] += g` (and the `a_bar[i] = 0.0` of a reversed write)
changes the array a_bar holds, so the array must be *owned* (adjoints.py): no other name
refers to it.  That holds for a fresh result (`x_bar + y`, `zeros_like`, a private copy) and is
lost where the adjoint is another name's array (`a_bar = y_bar`, which a later write into y_bar
would change), a helper's result (it may return its argument, or a read-only broadcast view of
the caller's seed), or handed to a called function's backward half (it may keep it).  An
adjoint that is not owned gets a private copy, `a_bar = np.array(a_bar)`, before its first
write in place.

In a loop the copy would run on every iteration, costing the whole array each time.  It runs
once, in front of the reverse loop, when all of these hold for the adjoint of `a`:
  - the body does not bind `a` (its adjoint is only added to, never handed on to another
    adjoint, so nothing in the body makes another name refer to its array);
  - the copy is the first reference to `a_bar` in the body, and runs whenever the body does
    (not in a branch or an inner loop's body): before it no name was given the array, except
    copied elements `_ad.copy_of(a_bar[i])`;
  - `a` is owned at the end of the body: the next iteration starts with the array this one
    owned, so only the first iteration needs the copy, which is then the one in front.
Otherwise the copy stays in the body (e.g. a branch copies it in one arm, or the body hands
the adjoint to a called function's backward half or binds it to another adjoint).  A copy
moved in front of an inner loop is again a copy at its place in the outer body.
"""

import gast

from s2s_ad.analysis.activity import rebinds, simple_statements
from s2s_ad.analysis.ops import is_user_function
from s2s_ad.base import syntax as S
from s2s_ad.transforms.adjoints import Adjoints
from s2s_ad.transforms.reverse_tree import Block, Branch, Loop, Restore, Spread, Step, bound_in


class ReverseSweep(Adjoints):
    """The adjoint generator over blocks: reverse_block builds the tree above."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.counters = {}    # id(while loop) -> the name counting its iterations

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

    def reverse_block(self, stmts):
        pieces = []
        for stmt in reversed(stmts):
            if isinstance(stmt, gast.Return):
                continue
            if isinstance(stmt, (gast.Assign, gast.Expr)):
                code = self.hook(stmt) + self.adjoint(stmt)
                pieces.append(Step(stmt, code, self.restore_spec(stmt)))
            elif isinstance(stmt, (gast.If, gast.For, gast.While)) and self.uniform:
                # branches and loops join and carry adjoints: give them full shapes first
                pieces.append(Spread(self.spread(*self.uniform)))
            if isinstance(stmt, gast.If):
                pieces.append(self.nested(self.reverse_if, stmt))
            elif isinstance(stmt, gast.For):
                pieces.append(self.nested(self.reverse_for, stmt))
            elif isinstance(stmt, gast.While):
                pieces.append(self.nested(self.reverse_while, stmt))
        return Block(self.header_line, pieces)

    def hook(self, stmt, names=None):
        """`h_bar = _ad_hooks["h"](h_bar)` where h's adjoint is complete: before the adjoint of
        the user's assignment `stmt` to a hooked variable, whose result takes its place (so
        the hook may print, record, clip or scale it).  Nothing where the adjoint is a
        symbolic zero.  The hook sees the adjoint in its variable's full shape, and its result
        may be any array: not ours to update in place."""
        code = []
        for name in self.hooked(stmt) if names is None else names:
            if name in self.defined:
                code += self.spread(name)
                self.owned.discard(name)
                code.append(self.hook_call(name, self.adj(name)))
        return code

    def nested(self, reverse_compound, stmt):
        """Reverse a compound statement; its blocks do not repeat the line of its header."""
        saved = self.header_line
        self.header_line = stmt.lineno
        code = reverse_compound(stmt)
        self.header_line = saved
        return code

    def restore_spec(self, stmt):
        """What the tape gives back after the adjoint of `stmt`, if the planner needs it: the
        part of an array a write `a[i] = v` overwrote (wherever the write is), or, in a loop,
        the old values of the names the statement rebinds."""
        op = self.ops.get(id(stmt))
        if op is not None and op.kind == "setitem":
            base = op.args[0].id
            if self._is_container(base):
                # a key the dict did not have goes from its adjoint too (a gradient has the
                # structure of the argument)
                adjoint = [S.load(self.adj(base))] if base in self.defined and \
                    self.activity.active(base) else []
                return Restore("item", base, op.index, adjoint)
            return Restore("part", base, op.index)
        if not self.in_loop:
            return None
        return Restore("names", names=list(reversed(rebinds(stmt))))

    def reverse_if(self, stmt):
        before, owned_before = set(self.defined), set(self.owned)
        body = self.reverse_block(stmt.body)
        after_body, owned_body = self.defined, self.owned
        self.defined, self.owned = set(before), owned_before
        orelse = self.reverse_block(stmt.orelse)
        after_else = self.defined
        self.owned = self.owned & owned_body
        both = after_body | after_else
        body_zeros = [S.assign(self.adj(n), self.zero(n)) for n in sorted(both - after_body)]
        orelse_zeros = [S.assign(self.adj(n), self.zero(n)) for n in sorted(both - after_else)]
        self.defined = both
        return Branch(stmt, body, orelse, body_zeros, orelse_zeros)

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
        """The reversed body, the carried adjoints it zeroes at its end, and the private copies
        moved in front of the loop (the module docstring)."""
        entry_owned = set(self.owned)
        entry_unowned = self.defined - self.owned - body_assigned - carried
        saved_in_loop, saved_bound = self.in_loop, self.loop_bound
        self.in_loop = True
        self.loop_bound = saved_bound | bound_in([stmt])
        body = self.reverse_block(stmt.body)
        self.in_loop, self.loop_bound = saved_in_loop, saved_bound
        zeros = [S.assign(self.adj(n), self.zero(n)) for n in sorted(carried)
                 if self.activity.active(n) and n not in self.defined]
        hoisted = self.hoist_copies(body, entry_unowned & self.owned)
        self.owned &= entry_owned | {self.copies[id(s)] for s in hoisted}
        self.defined |= {n for n in carried if self.activity.active(n)}
        self.defined -= (body_assigned - carried)
        return body, zeros, hoisted

    def hoist_copies(self, body, names):
        """Move out of `body` the private copy each of `names` starts the body with: the copy
        statements, to run once in front of the loop instead.  Where the body uses the adjoint
        only through its parts, every copy of it in the body goes (_copies_of_parts)."""
        hoisted = []
        for name in sorted(names):
            first = first_mention(body, self.adj(name))
            if first is not None and self.copies.get(id(first[1])) == name:
                places = [first]
            else:
                places = self._copies_of_parts(body, name)
                if not places:
                    continue
            for where, stmt in places:
                where.code.remove(stmt) if isinstance(where, Step) else where.remove(stmt)
                if isinstance(where, Step):
                    where.reads = {n for s in where.code for n in S.names_in(s, gast.Load)}
            hoisted.append(places[0][1])
        return hoisted

    def _copies_of_parts(self, body, name):
        """The private copies of name's adjoint in `body` (where, stmt), where every other
        statement uses the adjoint only through its parts (`a_bar[i] += g`, `a_bar[i] = 0.0`,
        `_ad.copy_of(a_bar[i])`, `a_bar[i]` as an operand of arithmetic), in a branch or an
        inner loop too (floyd_warshall copies it in one arm of a branch and after it).  Then
        no statement of the body gives another name the array a copy made, so the one copy
        in front of the loop leaves the body owning its array wherever it wrote into a copy:
        the copies in it are all redundant.  [] where another use is found."""
        bar, copies = self.adj(name), []
        for where, stmt in _statements_of(body):
            if self.copies.get(id(stmt)) == name:
                copies.append((where, stmt))
            elif not _through_parts(stmt, bar):
                return []
        return copies

    def reverse_for(self, stmt):
        inits, carried, assigned = self._loop_prelude(stmt)
        body, zeros, hoisted = self._loop_body(stmt, carried, assigned)
        return Loop(stmt, inits + hoisted, body, zeros, self.in_loop,
                    counter_read=self.in_loop and self._read_after(stmt))

    def reverse_while(self, stmt):
        inits, carried, assigned = self._loop_prelude(stmt)
        body, zeros, hoisted = self._loop_body(stmt, carried, assigned)
        return Loop(stmt, inits + hoisted, body, zeros, self.in_loop, count=self.counter(stmt))

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


def first_mention(block, bar):
    """(where, stmt) for the first statement of `block` that refers to the adjoint `bar`, if
    it runs whenever the block does (not in a branch or in a loop's body); `where` is its Step
    or the list of a loop's inits.  A copied element, `_ad.copy_of(bar[i])`, is no reference:
    it cannot see a later write into `bar`.  None where the first reference may not run."""
    for piece in block.pieces:
        if isinstance(piece, (Step, Spread)):
            for stmt in piece.code:
                if _mentions(stmt, bar):
                    return (piece, stmt) if isinstance(piece, Step) else None
        elif isinstance(piece, Loop):
            for stmt in piece.inits:
                if _mentions(stmt, bar):
                    return piece.inits, stmt
        if _piece_mentions(piece, bar):     # in a loop's body or a branch: it may not run
            return None
    return None


def _piece_mentions(piece, bar):
    """Does any statement of `piece` (a Step, Spread, Loop or Branch) refer to `bar`?"""
    if isinstance(piece, (Step, Spread)):
        return any(_mentions(s, bar) for s in piece.code)
    if isinstance(piece, Loop):
        return any(_mentions(s, bar) for s in piece.inits + piece.zeros) or \
            _block_mentions(piece.body, bar)
    if isinstance(piece, Branch):
        return _block_mentions(piece.body, bar) or _block_mentions(piece.orelse, bar) or \
            any(_mentions(s, bar) for s in piece.body_zeros + piece.orelse_zeros)
    return False


def _block_mentions(block, bar):
    return any(_piece_mentions(piece, bar) for piece in block.pieces)


def _mentions(node, bar):
    """Does `node` refer to the array `bar` holds, other than through a copied element?"""
    if isinstance(node, gast.Call) and _is_copy_of(node.func) and len(node.args) == 1:
        part = node.args[0]
        if isinstance(part, gast.Subscript) and isinstance(part.value, gast.Name) and \
                part.value.id == bar and not _mentions(part.slice, bar):
            return False
    if isinstance(node, gast.Name):
        return node.id == bar
    return any(_mentions(child, bar) for child in gast.iter_child_nodes(node))


def _is_copy_of(func):
    return isinstance(func, gast.Attribute) and func.attr == "copy_of" and \
        isinstance(func.value, gast.Name) and func.value.id == "_ad"


def _statements_of(block):
    """(where, stmt) for every statement of a block of the tree, nested ones too; `where` is
    the Step holding it, or the list (a loop's inits or zeros, a branch's zeros)."""
    for piece in block.pieces:
        if isinstance(piece, (Step, Spread)):
            yield from ((piece if isinstance(piece, Step) else piece.code, s) for s in piece.code)
        elif isinstance(piece, Loop):
            yield from ((piece.inits, s) for s in piece.inits)
            yield from _statements_of(piece.body)
            yield from ((piece.zeros, s) for s in piece.zeros)
        elif isinstance(piece, Branch):
            yield from _statements_of(piece.body)
            yield from _statements_of(piece.orelse)
            yield from ((piece.body_zeros, s) for s in piece.body_zeros)
            yield from ((piece.orelse_zeros, s) for s in piece.orelse_zeros)


def _through_parts(node, bar):
    """Does `node` use the array `bar` holds only through its parts: `bar[i]` written (`=`,
    `+=`), copied (`_ad.copy_of(bar[i])`) or read as an operand of arithmetic, which makes a
    new value?  (The index must not mention bar.)"""
    parts = set()
    for sub in S.walk(node):
        if isinstance(sub, gast.Subscript) and isinstance(sub.value, gast.Name) and \
                sub.value.id == bar and not _mentions(sub.slice, bar):
            parts.add(id(sub))
    allowed = set()
    for sub in S.walk(node):
        if isinstance(sub, (gast.Assign, gast.AugAssign)):
            targets = sub.targets if isinstance(sub, gast.Assign) else [sub.target]
            allowed.update(id(t) for t in targets if id(t) in parts)
        elif isinstance(sub, (gast.BinOp, gast.UnaryOp)):
            allowed.update(id(c) for c in gast.iter_child_nodes(sub) if id(c) in parts)
        elif isinstance(sub, gast.Call) and _is_copy_of(sub.func) and len(sub.args) == 1 and \
                id(sub.args[0]) in parts:
            allowed.add(id(sub.args[0]))
    inside = {id(n) for part in S.walk(node) if id(part) in allowed for n in S.walk(part.value)}
    return all(id(n) in inside for n in S.walk(node) if isinstance(n, gast.Name) and n.id == bar)
