"""Reads and writes: which names a list of statements reads and assigns.

    names_written(stmts), names_read(stmts) -> sets of names
    read_before_write(var, stmts)           -> whether some path reads var before assigning it

Stage: front end, read by to_ssa (loop-carried variables, the names live after a statement)
and share_views.
Input: statements of a desugared function or of its SSA form (gast).  Output: the names.
"""

import gast

from s2s_ad.base import syntax as S


def names_written(stmts):
    return {n.id for s in stmts for n in S.name_nodes(s) if isinstance(n.ctx, gast.Store)}


def names_read(stmts):
    """The names `stmts` read, leaving out a loop counter's reads inside its own loop (they
    read the value the loop binds, never one from before it)."""
    names = set()
    for s in stmts:
        if isinstance(s, gast.For) and isinstance(s.target, gast.Name):
            names |= names_read([s.iter]) | (names_read(s.body) - {s.target.id}) | names_read(s.orelse)
        elif isinstance(s, (gast.If, gast.While)):
            names |= names_read([s.test]) | names_read(s.body) | names_read(s.orelse)
        else:
            names |= {n.id for n in S.name_nodes(s) if isinstance(n.ctx, gast.Load)}
    return names


def read_before_write(var, stmts):
    """Can `var` be read in `stmts` before they assign it (its value from before is used)?"""
    return _first_use(var, stmts) == "read"


def _first_use(var, stmts):
    """"read" or "written": what happens to `var` first on some path through `stmts`."""
    for s in stmts:
        if isinstance(s, gast.For):
            if var in S.names_in(s.iter, gast.Load):
                return "read"
            if isinstance(s.target, gast.Name) and s.target.id == var:
                continue              # its body reads the counter; none of it may run
            if _first_use(var, s.body) == "read":
                return "read"
            continue                  # the body may not run: nothing is certain after it
        if isinstance(s, gast.While):
            if var in S.names_in(s.test, gast.Load) or _first_use(var, s.body) == "read":
                return "read"
            continue
        if isinstance(s, gast.If):
            if var in S.names_in(s.test, gast.Load):
                return "read"
            body, orelse = _first_use(var, s.body), _first_use(var, s.orelse)
            if "read" in (body, orelse):
                return "read"
            if body == "written" and orelse == "written":
                return "written"
            continue
        if isinstance(s, gast.Assign):
            if var in S.names_in(s.value, gast.Load) or any(
                    var in S.names_in(t, gast.Load) for t in s.targets):
                return "read"
            if any(var in S.names_in(t, gast.Store) for t in s.targets):
                return "written"
            continue
        if var in S.names_in(s, gast.Load):
            return "read"
    return None
