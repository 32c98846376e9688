"""The optimiser's passes, in order (stage: backend).  Input: a generated gast FunctionDef,
the user's names to keep and what the generator knows (tape saves, sizes, the namespace);
output: the same function, simplified in place.  Each pass is a module of this package.

    optimize(node, passes=PASSES) -> node

  group_saves           (saves.py) values a loop saves together share one tape entry:
                        `_tape.append((x, y, z))`, `x, y, z = _tape.pop()`
  fold_constants        (folding.py) `2 - 1` -> `1`; `x ** 1`, `x * 1`, `1 * x`, `x + 0` -> `x`;
                        `a + -b` -> `a - b`, `a += -b * c` -> `a -= b * c`; `e + e` -> `2 * e`;
                        `(200.0 * e) * 2` -> `400.0 * e`; `1.0 * e` -> `e` where e holds floats
  propagate_copies      (copies.py) `a = b; ... a ...` -> `... b ...` where b is not reassigned
                        in between; `a = 1.0` likewise, folding the statements it lands in, and
                        `a = -b` where the sign then folds away (`c + a * d` -> `c - b * d`)
  keep_unchanged_parts   (clears.py) `g = _ad.copy_of(a_bar[i]); a_bar[i] = 0.0; ...;
                        a_bar[i] += g` -> `g = _ad.copy_of(a_bar[i]); ...` for an adjoint no
                        other name refers to (the adjoint of an update `a[i] -= e`)
  eliminate_dead_code   (dead_code.py) drop pure assignments nobody reads, empty branches,
                        orphan comments
  merge_updates         (updates.py) `a = e1` then `a = a - e2` -> `a = e1 - e2` (same order of
                        evaluation)
  sum_steps_together    (step_sums.py) a reverse loop's `W_bar = W_bar + _ad.matmul_grad_b(g, a,
                        W)` on small arrays -> the steps' g and a collected in lists, summed
                        after the loop by one matrix product (`_ad.matmul_grad_b_steps`);
                        likewise `W @ x`'s matmul_grad_a and a bias's unbroadcast
  fuse_temporaries      (fusion.py) a temporary used once goes back into the expression that
                        uses it: `_t1 = y * x; y_1 = _t1 + c; y = y_1` -> `y = y * x + c` (and
                        is folded again there)
  eliminate_dead_code   again: a temporary computed again for the reverse sweep whose uses
                        fusion filled in with its expression
  drop_orphan_comments  (dead_code.py) a comment whose code moved into another statement
  iterate_directly      (direct_loops.py) `_n = len(xs); for _i in range(_n): x = xs[_i]; ...`
                        -> `for x in xs: ...` where nothing else needs the position

Every pass keeps the order of effects (tape pushes and pops, calls to user code, a list's
appends and pops) and never moves a computation past a statement that changes one of its
operands.  The tape is known by the marker the generator puts on its pushes and pops
(base.tape), never by its name.  Python's int/float
semantics and NumPy's dtypes are kept: the integer constants 0 and 1 are simplified anywhere,
the float 1.0 only next to values known to be floats (`floating_names`), and constant factors
merge only where the product is exact.
"""
import gast

from s2s_ad.base import syntax as S
from s2s_ad.backend.optimize.clears import keep_unchanged_parts
from s2s_ad.backend.optimize.common import NAMESPACE, globals_of, param_names
from s2s_ad.backend.optimize.copies import propagate_copies
from s2s_ad.backend.optimize.dead_code import drop_orphan_comments, eliminate_dead_code
from s2s_ad.backend.optimize.direct_loops import iterate_directly
from s2s_ad.backend.optimize.facts import Facts
from s2s_ad.backend.optimize.folding import fold_constants
from s2s_ad.backend.optimize.fusion import fuse_temporaries
from s2s_ad.backend.optimize.saves import group_saves
from s2s_ad.backend.optimize.step_sums import sum_steps_together
from s2s_ad.backend.optimize.updates import merge_updates


def optimize(node, keep=frozenset(), passes=None, sizes=None, saves=(), namespace=None):
    """Run the passes; names in `keep` (the user's own variable names) are never removed.

    The passes share what they find out about each statement (a Facts): most statements go
    through all of them unchanged, and are then looked at once, not once per pass.  `saves`
    (the generator's pairs of tape pushes and pops) is for group_saves, and `sizes` ({name:
    number of elements}, where the shapes are certain) for sum_steps_together.
    `namespace(name)` is the object a global name of the generated code denotes (None for an
    unknown name): the passes recognise NumPy's and math's functions by what they are, however
    the user's module spells them (`onp.sin`, `from numpy import sin`)."""
    facts = Facts(node, sizes, saves)
    local = set(param_names(node)) | set(S.names_in(node, gast.Store))
    token = NAMESPACE.set(globals_of(namespace, local))
    try:
        for step in passes or PASSES:
            node = step(node, keep, facts)
    finally:
        NAMESPACE.reset(token)
    return node


# Dead code goes before fusion (a dead write between a temporary and its use would block it),
# and after it.
# Summing a loop's steps comes last: it turns updates into list appends, which other passes
# would take as calls they cannot see into.
PASSES = (group_saves, fold_constants, propagate_copies, keep_unchanged_parts,
          eliminate_dead_code, merge_updates,
          sum_steps_together, fuse_temporaries, eliminate_dead_code, drop_orphan_comments,
          iterate_directly)
