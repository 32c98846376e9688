"""group_saves: one tape entry for several values saved together.

Pass of the optimiser, first in its order.  Input: the generated function and the
generator's pairs of tape pushes and pops (`facts.saves`, built with base.tape); output: the
function with runs of those pushes and pops merged in place.

A loop body that rebinds several variables saves each one before it is overwritten, and the
reverse sweep restores each one after its statement's adjoint:

    _tape.append(x)                      z = _tape.pop()
    x = x + dt * dx                      y = _tape.pop()
    _tape.append(y)          ...         x = _tape.pop()
    y = y + dt * dy
    _tape.append(z)
    z = z + dt * dz

Where nothing between the saves changes a value saved later, and nothing between the
restores reads or writes a value restored earlier, one entry holds them all:

    _tape.append((x, y, z))              x, y, z = _tape.pop()

One push and one pop instead of three, and a tape a third as long.  The generator tells which
push and which pop belong together (the pairs); this module only moves them.  It runs as the
optimizer's first pass, before any other pass has changed them.
"""
import gast

from s2s_ad.base import syntax as S
from s2s_ad.base.tape import is_tape_pop, is_tape_push, tape_of, tape_push


def group_saves(node, keep=frozenset(), facts=None):
    """Values a loop saves together share one tape entry (see above): first, while the
    saves and restores are as the generator made them."""
    if facts is not None and len(facts.saves) > 1:
        group_entries(node, facts.saves)
        facts.forget_all()
    return node


def group_entries(function, pairs):
    """Group runs of the saves `pairs` ([(push statement, pop statement, name)], as generated
    in the function `function`) into one entry each."""
    written = _written_into(function)
    pairs = [pair for pair in pairs if pair[2] not in written]
    if len(pairs) < 2:
        return
    tape = tape_of(pairs[0][0])
    place = {}       # id(statement) -> (its block, position)
    for block in S.blocks(function):
        for k, stmt in enumerate(block):
            place[id(stmt)] = (block, k)
    pop_of = {id(push): (pop, name) for push, pop, name in pairs
              if id(push) in place and id(pop) in place and is_tape_push(push)
              and is_tape_pop(pop.value) and tape_of(push) == tape == tape_of(pop.value)}
    runs = []
    for block in S.blocks(function):
        runs += _runs(block, pop_of, place, tape)
    for run in runs:
        _merge(run, place, tape)


def _written_into(function):
    """The names whose items the function assigns (`a[i] = v`, `a[i] += v`).  They keep a
    tape entry each: restored from a tuple (`a, b = _tape.pop()`), an array would be an item
    of that tuple to the aliasing analysis of a second derivative, which then refuses the
    write into it as a write into a value another name may share."""
    found = set()
    for stmt in S.statements(function):
        targets = stmt.targets if isinstance(stmt, gast.Assign) else \
            [stmt.target] if isinstance(stmt, gast.AugAssign) else []
        for target in targets:
            for part in (target.elts if isinstance(target, gast.Tuple) else [target]):
                while isinstance(part, gast.Subscript):
                    part = part.value
                    if isinstance(part, gast.Name):
                        found.add(part.id)
    return found


def _runs(block, pop_of, place, tape):
    """The runs of pushes in `block` that may share one entry: [[(push, pop, name), ...]]."""
    runs, run, stored = [], [], set()
    for stmt in block:
        if id(stmt) in pop_of:
            pop, name = pop_of[id(stmt)]
            if run and name not in stored and _pops_together(run + [(stmt, pop, name)],
                                                             place, tape):
                run.append((stmt, pop, name))
                continue
            if len(run) > 1:
                runs.append(run)
            run, stored = [(stmt, pop, name)], set()
        elif _plain(stmt, tape):
            stored.update(S.names_in(stmt, gast.Store))
        else:
            if len(run) > 1:
                runs.append(run)
            run, stored = [], set()
    if len(run) > 1:
        runs.append(run)
    return runs


def _plain(stmt, tape):
    """A statement the saves may move across: an assignment or a comment, not touching the
    tape (a called function's pair shares it)."""
    if S.is_comment(stmt):
        return True
    return isinstance(stmt, (gast.Assign, gast.AugAssign)) and \
        tape not in S.names_in(stmt, gast.Load)


def _pops_together(run, place, tape):
    """Are the run's pops, last push's first, in one block, with only plain statements that
    do not touch the run's names between them?"""
    first, last = run[-1][1], run[0][1]
    block, start = place[id(first)]
    other_block, end = place[id(last)]
    if other_block is not block or end <= start:
        return False
    names = {name for _, _, name in run}
    pops = {id(pop) for _, pop, _ in run}
    positions = sorted(place[id(pop)][1] for _, pop, _ in run)
    if positions != [place[id(pop)][1] for _, pop, _ in reversed(run)]:
        return False
    for stmt in block[start:end + 1]:
        if id(stmt) in pops:
            continue
        if not _plain(stmt, tape) or not names.isdisjoint(S.names_in(stmt)):
            return False
    return True


def _merge(run, place, tape):
    """One push of the run's values where its first push was, one pop where its first pop."""
    names = [name for _, _, name in run]
    values = gast.Tuple(elts=[S.load(n) for n in names], ctx=gast.Load())
    first_push, first_pop = run[0][0], run[-1][1]
    first_push.value = tape_push(tape, values).value
    first_pop.targets = [gast.Tuple(elts=[S.store(n) for n in names], ctx=gast.Store())]
    for push, pop, _ in run[1:]:
        _remove(push, place)
    for _, pop, _ in run[:-1]:
        _remove(pop, place)


def _remove(stmt, place):
    block, _ = place[id(stmt)]
    block.remove(stmt)
