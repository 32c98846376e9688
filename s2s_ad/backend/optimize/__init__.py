"""The optimiser (stage: backend): passes over a generated gast FunctionDef, one module each,
run in the order pipeline.PASSES lists.  Input: the function the transforms generated; output:
the same function, simplified, with the same values and effects.

    pipeline      optimize(), PASSES: the passes in order
    saves         group_saves           values saved together share one tape entry
    folding       fold_constants        constant arithmetic, signs, unit factors
    copies        propagate_copies      `a = b` (or a number, or `-b`) into a's uses
    clears        keep_unchanged_parts  an owned adjoint's part cleared and given its value back
    dead_code     eliminate_dead_code, drop_orphan_comments
    updates       merge_updates         `a = e1; a = a - e2` -> `a = e1 - e2`
    step_sums     sum_steps_together    a loop's weight cotangents summed after it
    fusion        fuse_temporaries      a temporary used once back into its use
    direct_loops  iterate_directly      `for i in range(len(xs)): x = xs[i]` -> `for x in xs`
    common        what the passes share: what a name denotes, purity, effects, name counts
    facts         Facts (what each statement reads, writes, may change), rewrite_until_done
    floating      floating_names: which names certainly hold floats

Tape pushes and pops are recognised by the marker base.tape puts on them, never by name.
"""
from s2s_ad.backend.optimize.clears import keep_unchanged_parts
from s2s_ad.backend.optimize.copies import propagate_copies
from s2s_ad.backend.optimize.dead_code import drop_orphan_comments, eliminate_dead_code
from s2s_ad.backend.optimize.direct_loops import iterate_directly
from s2s_ad.backend.optimize.floating import MATH_FLOATING, floating_names
from s2s_ad.backend.optimize.folding import fold, fold_constants
from s2s_ad.backend.optimize.fusion import fuse_temporaries
from s2s_ad.backend.optimize.pipeline import PASSES, optimize
from s2s_ad.backend.optimize.saves import group_entries, group_saves
from s2s_ad.backend.optimize.step_sums import SMALL_STEP, sum_steps_together
from s2s_ad.backend.optimize.updates import merge_updates

_fold = fold    # the name transforms/forward.py imports

__all__ = ["MATH_FLOATING", "PASSES", "SMALL_STEP", "drop_orphan_comments",
           "eliminate_dead_code", "floating_names", "fold", "fold_constants", "fuse_temporaries",
           "group_entries", "group_saves", "iterate_directly", "keep_unchanged_parts",
           "merge_updates", "optimize",
           "propagate_copies", "sum_steps_together"]
