"""Every adjoint (tangent) of the user's variables at once, built on the hooks of grad (jvp).

    ad.adjoints(f)(x, w)               -> {"x": x_bar, "w": w_bar, "h": h_bar, ...}
    ad.tangents(f)((x, w), (tx, tw))   -> {"x": x_dot, "w": w_dot, "h": h_dot, ...}

Each variable gets a hook that records what it is handed and passes it on unchanged, so the
derivative computed is the ordinary one.  A variable assigned more than once (rebound in a
loop, or after a branch) has one adjoint per assignment; the one kept is the last the sweep
hands over:

  * adjoints: the adjoint at the variable's first assignment, which the reverse sweep reaches
    last.  For a variable first bound before a loop that rebinds it, that is its whole effect
    on the output (the sum over the iterations); for a parameter, its gradient.
  * tangents: the tangent at the variable's last assignment, which the forward sweep reaches
    last: the tangent of the value it holds at the end.

A variable whose derivative is zero by construction (it does not depend on a differentiated
argument, or the output does not depend on it) has no adjoint (tangent) and is left out, as is
any variable inside the functions `f` calls.
"""
from s2s_ad import api, higher
from s2s_ad.arguments import parameters, snapshot
from s2s_ad.derivative import differentiated


def adjoints(fn, wrt=None):
    """A function of fn's arguments returning {variable: adjoint} for the variables of
    scalar-valued `fn`, in the order they appear in its source, differentiating with respect
    to the `wrt` arguments (by default all of them).

        >>> def f(x):
        ...     h = 3.0 * x
        ...     return h * h
        >>> ad.adjoints(f)(1.0)
        {'x': 18.0, 'h': 6.0}
    """
    names = variables(fn)

    def run(*args, **kwargs):
        chosen = tuple(range(len(parameters(fn)))) if wrt is None else wrt
        found = {}
        api.grad(fn, chosen, on_adjoint=_recorders(names, found))(*args, **kwargs)
        return {n: found[n] for n in names if n in found}

    run.__name__ = f"{getattr(fn, '__name__', 'f')}_adjoints"
    return run


def tangents(fn):
    """A function of (primals, tangents), as jvp takes them, returning {variable: tangent}
    for the variables of `fn`, in the order they appear in its source."""
    names = variables(fn)

    def run(primals, tangents):
        found = {}
        higher.jvp(fn, primals, tangents, on_tangent=_recorders(names, found))
        # a parameter is not assigned: its tangent is the one given
        found.update((p, t) for p, t in zip(parameters(fn), tangents)
                     if t is not None and p not in found)
        return {n: found[n] for n in names if n in found}

    run.__name__ = f"{getattr(fn, '__name__', 'f')}_tangents"
    return run


def _recorders(names, found):
    """{name: hook} whose hooks keep a copy of what they are handed (a later statement may
    update an adjoint array in place) in `found`, and hand it on."""
    def recorder(name):
        def record(value):
            found[name] = snapshot(value)
            return value
        return record
    return {n: recorder(n) for n in names}


def variables(fn):
    """The names of fn's variables (parameters and the names it assigns), in source order."""
    from s2s_ad.base import syntax as S
    from s2s_ad.frontend.normalize import normalize
    ssa = normalize(differentiated(fn))
    assigned = set(ssa.namer.user_of.values())
    return list(dict.fromkeys(n for n in S.names_in(ssa.parsed.node) if n in assigned))
