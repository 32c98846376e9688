"""Facts: what the passes ask about each statement, found once (stage: backend, shared by the
passes).  Input: the function being optimised; output: per statement, the names it reads and
writes, whether it may mutate and whether its value is pure, forgotten when a rewrite changes
it.  rewrite_until_done drives the passes that rewrite one statement at a time.
"""
import gast

from s2s_ad.base import syntax as S
from s2s_ad.backend.optimize.common import (COMPOUND, is_pure, list_changed, may_mutate,
                                            name_counts, param_names, private_lists)
from s2s_ad.backend.optimize.floating import floating_of


def rewrite_until_done(node, keep, rewrite, facts=None):
    """Apply `rewrite(block, k, counts)` to each statement until no statement changes.

    `rewrite` returns True when it changed the block, and keeps the name counts (and the
    statement facts, see Facts) up to date.
    """
    counts = name_counts(node) + (param_names(node) | set(keep), facts or Facts(node))
    blocks = S.blocks(node)
    changed = True
    while changed:
        changed = False
        for block in blocks:
            k = 0
            while k < len(block):
                if rewrite(block, k, counts):
                    changed = True       # look at position k again: it holds a new statement
                else:
                    k += 1
    return node


class Facts:
    """What the passes ask about each simple statement (the names it reads and writes, whether
    it may mutate, whether its value is pure), each found once: a rewrite that changes a
    statement forgets it (and the statements inside it).  Compound statements (whose nested
    blocks rewrites change) are looked at afresh each time."""

    def __init__(self, node=None, sizes=None, saves=()):
        self.table = {}     # id(stmt) -> [stmt, {loaded name: count}, stored names, mutates, pure]
        self.node = node
        self._floating = None
        self._private = None
        # {name: number of elements} where the generator knew the shape (sum_steps_together)
        self.sizes = sizes or {}
        # [(push, pop, name)]: the values loops save, as generated (group_saves)
        self.saves = list(saves)

    @property
    def floating(self):
        """floating_names of the function, found once (the rewrites keep values and types, so a
        name that held floats still does)."""
        if self._floating is None:
            self._floating = floating_of(self.node) if self.node is not None else frozenset()
        return self._floating

    @property
    def private(self):
        """private_lists of the function, found once (no pass gives a list another name)."""
        if self._private is None:
            self._private = private_lists(self.node) if self.node is not None else frozenset()
        return self._private

    def _entry(self, stmt):
        entry = self.table.get(id(stmt))
        if entry is None or entry[0] is not stmt:
            entry = [stmt, None, None, None, None]
            if not isinstance(stmt, COMPOUND):
                self.table[id(stmt)] = entry
        return entry

    def _names(self, stmt):
        entry = self._entry(stmt)
        if entry[1] is None:
            loads, stores = {}, set()
            for n in S.name_nodes(stmt):
                if isinstance(n.ctx, gast.Load):
                    loads[n.id] = loads.get(n.id, 0) + 1
                elif isinstance(n.ctx, gast.Store):
                    stores.add(n.id)
            if self.private:        # `items.append(e)` changes items: a store, for the passes
                for call in S.nodes_of(stmt, gast.Call):
                    changed = list_changed(call, self.private)
                    if changed is not None:
                        stores.add(changed)
            entry[1], entry[2] = loads, stores
        return entry

    def loads(self, stmt):
        return self._names(stmt)[1]

    def stores(self, stmt):
        return self._names(stmt)[2]

    def mutates(self, stmt):
        entry = self._entry(stmt)
        if entry[3] is None:
            entry[3] = may_mutate(stmt, self.private)
        return entry[3]

    def pure(self, stmt):
        """Is the value an assignment computes pure (`is_pure(stmt.value)`)?"""
        entry = self._entry(stmt)
        if entry[4] is None:
            entry[4] = is_pure(stmt.value)
        return entry[4]

    def forget(self, stmt):
        if isinstance(stmt, COMPOUND):    # a rewrite of it may change the statements inside
            for sub in S.statements(stmt):
                self.table.pop(id(sub), None)
        else:
            self.table.pop(id(stmt), None)

    def forget_all(self):
        self.table.clear()
