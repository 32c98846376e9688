"""Reverse mode, the tree of the reverse sweep: what the adjoint generator hands on.

    stage:  transforms (reverse mode: between the adjoint generator, reverse_sweep.py, and the
            tape planner and assembler, tape_plan.py and reverse.py)
    input:  built by reverse_sweep.ReverseSweep.reverse_block from the SSA body
    output: Block, Step, Spread, Branch and Loop nodes holding generated adjoint code, and the
            Restore each Step would do from the tape

The adjoint code in the tree is final; what is not decided yet is what the tape restores (a
Restore says what could be) and so which branches and loops appear at all.
"""

import gast

from s2s_ad.analysis.activity import rebinds
from s2s_ad.base import syntax as S


class Block:
    """The adjoint pieces of a block, in the order the reverse sweep runs them; `header`, the
    line of the compound statement around it (its pieces do not repeat it in a comment)."""

    def __init__(self, header, pieces):
        self.header = header
        self.pieces = pieces


class Step:
    """The adjoint of a simple statement; `restore`, what the tape would give back after it."""

    def __init__(self, stmt, code, restore):
        self.stmt = stmt
        self.code = code
        self.restore = restore
        self.reads = {n for s in code for n in S.names_in(s, gast.Load)}


class Spread:
    """Uniform adjoints given their full shapes before a branch or loop joins them."""

    def __init__(self, code):
        self.code = code
        self.reads = {n for s in code for n in S.names_in(s, gast.Load)}


class Branch:
    """A reversed `if`: both blocks, and the zero adjoints each assigns so that both leave the
    same adjoints defined."""

    def __init__(self, stmt, body, orelse, body_zeros, orelse_zeros):
        self.stmt = stmt
        self.body, self.orelse = body, orelse
        self.body_zeros, self.orelse_zeros = body_zeros, orelse_zeros


class Loop:
    """A reversed `for` or `while`: the adjoints zeroed before it (`inits`), its body, the
    carried adjoints zeroed at the end of the body (`zeros`).  `in_loop`: it is inside another
    loop.  A for loop's counter is restored after it where `counter_read` (read after the loop
    inside another loop) and the planner keeps it; a while loop's trip count is `count`."""

    def __init__(self, stmt, inits, body, zeros, in_loop, counter_read=False, count=None):
        self.stmt = stmt
        self.inits, self.body, self.zeros = inits, body, zeros
        self.in_loop, self.counter_read, self.count = in_loop, counter_read, count


class Restore:
    """What the tape gives back right after a statement's adjoint, where the plan needs it.

    kind "names": the old values of the names a statement in a loop rebinds (`y = tape.pop()`);
    "part": the part of the array `base` that `base[index] = v` overwrote; "item": the same for
    a dict or list, whose adjoint (`adjoint`: [its adjoint] or []) drops a key it did not have.
    """

    def __init__(self, kind, base=None, index=None, adjoint=(), names=()):
        self.kind, self.base, self.index = kind, base, index
        self.adjoint, self.names = list(adjoint), list(names)

    def restored(self, needed):
        """The names restored under `needed` (none: no code)."""
        if self.kind == "names":
            return [t for t in self.names if t in needed]
        if self.base in needed or (self.kind == "item" and self.adjoint):
            return [self.base]
        return []

    def reads(self):
        """The names the restore reads, where it is emitted (a pop into a name reads none)."""
        if self.kind == "names":
            return set()
        return {self.base, *S.names_in(self.index, gast.Load),
                *(n for a in self.adjoint for n in S.names_in(a, gast.Load))}


def bound_in(stmts):
    """The names statements (and the blocks inside them) bind: assignments and loop counters."""
    names = set()
    for s in stmts:
        for sub in S.statements(s):
            names.update(rebinds(sub))
            if isinstance(sub, gast.For):
                names.add(sub.target.id)
    return names
