"""Real values through calls to user functions (stage: analysis).

    all_real_through_calls(analysed, cache) -> bool

kinds.all_real answers for one function's own statements.  A call to a user function makes
real values where that function, for the kinds of the call's arguments, makes only real values
itself: all_real of its SSA form, looking through its own calls the same way.  Then a real
seed gives real cotangents in the caller and in every callee (each callee's cotangents come
from its caller's), so both may leave out the run-time shape and complex checks
(`_ad.unbroadcast` of a number written into an array).

A recursive call is taken for real while its function is being looked at: if every other
statement makes real values of real operands, every call returns real values, by induction on
the depth of the recursion.  An answer found under that assumption for another function (a
mutual recursion) is forgotten if the assumption fails.
"""
from s2s_ad.analysis.analysed import Analysed
from s2s_ad.analysis.calls import argument_kinds, callee_kinds, callee_ssa, static_functions
from s2s_ad.analysis.kinds import all_real
from s2s_ad.analysis.ops import bind_call, is_user_function
from s2s_ad.base.errors import DifferentiationError


def all_real_through_calls(analysed, cache):
    """all_real of an Analysed function, a call to a user function counting as real where the
    function is (`cache`: {callee key: answer}, shared by one transform's functions)."""
    return all_real(analysed.fn, analysed.ops, analysed.kinds, analysed.arg_kinds,
                    real_call=lambda stmt, op: _real_callee(analysed, stmt, op, cache))


def _real_callee(caller, stmt, op, cache):
    if not is_user_function(op.fn):
        return False
    try:
        bound = bind_call(op, stmt, caller.fn)
    except DifferentiationError:     # the transform refuses the call where it meets it
        return False
    statics = static_functions(bound, caller.fn, op.fn)
    kinds = argument_kinds({p: n for p, n in bound.items() if p not in statics},
                           caller._atom_kind)
    key = (op.fn, tuple(sorted(kinds.items())),
           tuple(sorted((p, id(f)) for p, f in statics.items())))
    if key not in cache:
        before = set(cache)
        cache[key] = True        # a recursive call, while op.fn is looked at (above)
        real = False
        try:
            ssa, _ = callee_ssa(op.fn, kinds, statics)
            real = all_real_through_calls(Analysed(ssa, [], callee_kinds(ssa, kinds)), cache)
        except DifferentiationError:     # refused where the transform meets the call
            pass
        finally:
            if not real:         # what was found assuming it was real may not hold
                for other in set(cache) - before:
                    del cache[other]
            cache[key] = real
    return cache[key]
