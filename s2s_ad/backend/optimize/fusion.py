"""fuse_temporaries: a generated temporary used once goes back into the expression that uses it
(stage: backend, a pass).  Input: a generated FunctionDef; output: the function with
`_t1 = y * x; y = _t1 + c` -> `y = y * x + c` (folded again there), never past a statement
that writes one of the temporary's operands or may change an array (see common.may_mutate).
"""
import gast

from s2s_ad.base import syntax as S
from s2s_ad.base.naming import generated_name
from s2s_ad.backend.optimize.common import (COMPOUND, is_helper, is_name, load_nodes,
                                            name_counts, plain_subscript, replace_name)
from s2s_ad.backend.optimize.facts import Facts, rewrite_until_done
from s2s_ad.backend.optimize.folding import fold


def fuse_temporaries(node, keep=frozenset(), facts=None):
    """Put a generated temporary used once back into the statement that uses it."""
    facts = facts or Facts(node)
    local = _used_once_where_assigned(node, facts)
    return rewrite_until_done(node, keep, lambda block, k, counts:
                               _fuse_temporary(block, k, counts, local), facts)


def _used_once_where_assigned(node, facts):
    """Generated names every value of which is read exactly once, by a later statement of the
    block that assigns it and before that block assigns it again: a temporary the reverse sweep
    computes again (`_t1 = rho - z` in the forward loop and in the reverse loop), which each
    use can take in, as it would a temporary assigned once.  A value assigned in a branch or
    a loop body and read after it (`_tape.append(_t1)` after the `if` that assigns `_t1`) is
    read outside its block: not one of them."""
    local, bad = set(), set()
    for block in S.blocks(node):
        unread = set()     # assigned above in this block, not read yet
        inner = set()      # assigned in the blocks of a compound statement above
        for stmt in block:
            # a compound statement's own reads are in its header; its blocks are seen apart
            reads = facts.loads(stmt) if not isinstance(stmt, COMPOUND) else name_counts(
                stmt.iter if isinstance(stmt, gast.For) else stmt.test)[0]
            bad.update(inner.intersection(reads))
            if isinstance(stmt, COMPOUND):
                stored = set(S.names_in(stmt, gast.Store))
                # `_t2 = None; if c: _t2 = e` then `_tape.append(_t2)`: the value read after
                # it may be either one
                bad.update(stored & unread)
                inner |= stored
            for name, n in reads.items():
                if name in unread and n == 1:
                    unread.discard(name)
                else:
                    bad.add(name)          # a second read, or a value from elsewhere
            if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and \
                    isinstance(stmt.targets[0], gast.Name):
                name = stmt.targets[0].id
                if name in unread:
                    bad.add(name)          # assigned again unread: left to dead code
                unread.add(name)
                local.add(name)
            elif isinstance(stmt, gast.For):
                bad.update(S.names_in(stmt.target, gast.Store))
            elif not isinstance(stmt, COMPOUND):
                bad.update(facts.stores(stmt))
        bad.update(unread)
    return {name for name in local - bad if generated_name(name)}


def _fuse_temporary(block, k, counts, local=frozenset()):
    loads, stores, fixed, facts = counts
    stmt = block[k]
    if not (isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)):
        return False
    t = stmt.targets[0].id
    if t in fixed or not generated_name(t) or not facts.pure(stmt) or \
            not (stores.get(t) == 1 and loads.get(t) == 1 or t in local):
        return False
    reads = facts.loads(stmt).keys()      # what its value reads (its target is a Name)
    for j in range(k + 1, len(block)):
        use = block[j]
        if t in facts.loads(use):
            target = use.test if isinstance(use, (gast.If, gast.While)) else use
            if isinstance(use, gast.For) or (target is not use and
                                             not any(n.id == t for n in load_nodes(target))):
                return False
            if isinstance(use, gast.Assign) and not isinstance(use.targets[0], (gast.Name,
                                                                                gast.Tuple)) \
                    and not plain_subscript(use.targets[0]):
                return False
            if _shape_only_use(target, t):
                return False     # `_ad.unbroadcast(g, np.log(s))` would read as if log mattered
            facts.forget(use)
            # folding again where the value lands: `a + -b * c` meets its addition here
            new = fold(replace_name(target, t, stmt.value), facts.floating)
            if isinstance(use, (gast.If, gast.While)):
                use.test = new
            else:
                block[j] = new
            del block[k]
            stores[t] -= 1
            loads[t] -= 1
            return True
        if not reads.isdisjoint(facts.stores(use)) or facts.mutates(use):
            return False
    return False


_SHAPE_ARGUMENT_HELPERS = ("unbroadcast", "broadcast_like", "sum_grad")


def _shape_only_use(tree, name):
    """Is `name` the argument a runtime helper reads only for its shape (`x` in
    `_ad.unbroadcast(g, x)`)?"""
    return any(isinstance(n, gast.Call) and len(n.args) > 1 and is_name(n.args[1], name) and
               any(is_helper(n.func, h) for h in _SHAPE_ARGUMENT_HELPERS)
               for n in S.nodes_of(tree, gast.Call))
