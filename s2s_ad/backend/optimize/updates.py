"""merge_updates: an adjoint's first value and its updates in one statement (stage: backend, a
pass).  Input: a generated FunctionDef; output: the function with `a = e1; a = a - e2` ->
`a = e1 - e2` (the same order of evaluation), and `a = _ad.zeros_like(x); a[s] += e` ->
`a[s] = e` for the first write into those zeros.
"""
import gast

from s2s_ad.base import syntax as S
from s2s_ad.backend.optimize.common import is_name, is_update_of, load_nodes, zeros_of
from s2s_ad.backend.optimize.facts import Facts


def merge_updates(node, keep=frozenset(), facts=None):
    """`a = e1` followed by `a = a - e2` (e2 not reading a) -> `a = e1 - e2`, and so
    `a = a + e1; a = a - e2` -> `a = a + e1 - e2`: Python evaluates e1 first and adds left to
    right, so the result is the same, with one statement fewer.  Assignments that do not
    touch a or e1's operands may stand in between."""
    facts = facts or Facts()
    for block in S.blocks(node):
        ahead = _UpdatesAhead(block)
        k = 0
        while k < len(block):
            if _merge_update(block, k, facts, ahead):
                ahead.deleted()     # look at position k again: it holds the next statement
            else:
                _first_write_into_zeros(block, k)
                k += 1
    return node


class _UpdatesAhead:
    """Where, in one block, the next `a = a + e` / `a = a - e` of each name is, and the next
    statement that is not an assignment (which ends merge_updates' search), found without
    rescanning the block from each statement (a rescan is quadratic in straight-line code).

    Statements are numbered in the block's order once.  merge_updates deletes only the
    statement it is looking at, so the statements from there to the end keep consecutive
    numbers: number n is at position k + (n - number of block[k]).  A statement stops being an
    update when a merge rewrites it (`a = (a + e1) - e2` is not `a = a - ...`), and an
    augmented assignment becomes an assignment in _first_write_into_zeros; nothing becomes an
    update or stops being an assignment, so each list is checked lazily and walked once."""

    def __init__(self, block):
        self.block = block
        self.shift = 0      # statements deleted before position k: its number is k + shift
        self.updates = {}   # name -> numbers of the statements that update it, in order
        self.others = []    # numbers of the statements that are not assignments, in order
        for n, stmt in enumerate(block):
            if not isinstance(stmt, gast.Assign):
                self.others.append(n)
            elif len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name) and \
                    is_update_of(stmt, stmt.targets[0].id):
                self.updates.setdefault(stmt.targets[0].id, []).append(n)
        self.seen = {}      # name -> how many of its updates lie behind (a cursor)
        self.others_seen = 0

    def deleted(self):
        self.shift += 1

    def next_update(self, k, a):
        """The position of the first statement after k that is not an assignment or is an
        update of a, or len(block)."""
        here = k + self.shift
        end = self._next_other(here)
        numbers = self.updates.get(a, ())
        i = self.seen.get(a, 0)
        while i < len(numbers) and numbers[i] < end and (
                numbers[i] <= here or not is_update_of(self.block[numbers[i] - self.shift], a)):
            i += 1
        self.seen[a] = i
        return min(end, numbers[i] if i < len(numbers) else end) - self.shift

    def _next_other(self, here):
        i = self.others_seen
        while i < len(self.others) and (
                self.others[i] <= here or
                isinstance(self.block[self.others[i] - self.shift], gast.Assign)):
            i += 1
        self.others_seen = i
        return self.others[i] if i < len(self.others) else len(self.block) + self.shift


def _first_write_into_zeros(block, k):
    """`a = _ad.zeros_like(x); ...; a[s] += e` -> `...; a[s] = e` for the first statement
    that uses a: adding to zeros only copies (the symbolic zeros of a part of an array)."""
    # only our own zeros (floats): NumPy's keep an int array's dtype, where `+=` of floats
    # raises and `=` would silently truncate
    if zeros_of(block[k]) is None:
        return
    a = block[k].targets[0].id
    for later in block[k + 1:]:
        if not any(n.id == a for n in S.name_nodes(later)):
            continue
        if isinstance(later, gast.AugAssign) and isinstance(later.op, gast.Add) and \
                isinstance(later.target, gast.Subscript) and is_name(later.target.value, a) \
                and not any(n.id == a for n in load_nodes(later.value)) and \
                not any(n.id == a for n in load_nodes(later.target.slice)):
            block[block.index(later)] = gast.copy_location(
                gast.Assign(targets=[later.target], value=later.value, type_comment=None), later)
        return


def _merge_update(block, k, facts, ahead):
    """`a = e1; <statements>; a = a - e2` -> `<statements>; a = e1 - e2` where the statements
    in between (under the same comment) neither use a nor change what e1 reads, and e1 is
    pure: e1 is still evaluated before e2, on the same values."""
    first = block[k]
    if not (isinstance(first, gast.Assign) and len(first.targets) == 1
            and isinstance(first.targets[0], gast.Name)):
        return False
    a = first.targets[0].id
    j = ahead.next_update(k, a)   # the update, if the statements up to the next comment hold one
    if j == len(block) or not is_update_of(block[j], a):
        return False
    if j > k + 1:
        if not facts.pure(first):
            return False
        reads = facts.loads(first).keys()
        for later in block[k + 1:j]:
            stores = facts.stores(later)
            if a in stores or a in facts.loads(later) or not stores.isdisjoint(reads) or \
                    facts.mutates(later):
                return False
    second = block[j].value
    if any(n.id == a for n in load_nodes(second.right)):
        return False
    second.left = first.value
    facts.forget(block[j])
    del block[k]
    return True
