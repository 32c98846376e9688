"""The clearing of part of an adjoint array that no other name refers to, built and recognised by
an explicit marker.

Stage: shared by transforms/adjoints.py (which builds `a_bar[i] = 0.0` after taking what it
held, in the adjoint of `a[i] = v`) and the optimiser (optimize/clears.py, which may leave such
a part as it is where the same value is added back to it).  The marker says what the generator
knew when it built the statement: the array `a_bar` holds is *owned* (adjoints.py), so no other
live name refers to it, and every later change of it is an update in place through `a_bar`.

    owned_clear(stmt)    -> stmt, marked
    is_owned_clear(stmt) -> was it marked?

The marker is an attribute of the statement (`s2s_ad_owned_clear`), never printed; code read
back from its text (hvp differentiates a gradient's source) has none, so the optimiser leaves
it as it is.
"""

_MARK = "s2s_ad_owned_clear"


def owned_clear(stmt):
    """Mark `stmt`, a write of zero into part of an owned adjoint array."""
    setattr(stmt, _MARK, True)
    return stmt


def is_owned_clear(stmt):
    return getattr(stmt, _MARK, False) is True
