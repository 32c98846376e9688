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
from s2s_ad.arguments import parameters, snapshot, variadic_function
from s2s_ad.derivative import differentiated


def adjoints(fn, wrt=None):
    """Every adjoint of a scalar-valued function's variables, from one reverse sweep.

    For teaching, and for finding where a gradient vanishes or explodes: the adjoint of a
    variable is the derivative of fn's output with respect to it.  Each variable gets an
    `ad.grad` hook (see its on_adjoint) that records a copy of its adjoint and passes it on
    unchanged.  A variable assigned more than once keeps the adjoint at its first assignment,
    which the reverse sweep reaches last: for one first bound before a loop that rebinds it,
    its whole effect on the output; for a parameter, its gradient.  A variable whose adjoint
    is zero by construction (it does not depend on a wrt argument, or the output does not
    depend on it) is left out, as are the variables of the functions fn calls.

    Args:
      fn: the function, returning a scalar.
      wrt: the arguments to differentiate with respect to: a position, a parameter name, or
        a tuple of them; None (the default) means all of fn's parameters.

    Returns:
      A function of fn's arguments (named `f_adjoints`) returning
      `{variable name: adjoint}`, in the order the variables appear in fn's source.

    Raises:
      BadArgumentError: when fn's output is not a scalar, or wrt names no parameter.
      DifferentiationError: when fn uses what s2s_ad cannot differentiate.

    Example:
      >>> def f(x, w):
      ...     h = w * x
      ...     return h * h
      >>> ad.adjoints(f)(1.0, 3.0)
      {'x': 18.0, 'w': 6.0, 'h': 6.0}
      >>> ad.adjoints(f, wrt="x")(1.0, 3.0)
      {'x': 18.0, 'h': 6.0}
    """
    names = variables(fn)

    def run(*args, **kwargs):
        chosen = wrt
        if wrt is None:    # every argument (of a `*xs` and `**kw`, those the call gives)
            chosen = tuple(range(len(parameters(fn)))) if variadic_function(fn) is None else \
                tuple(range(len(args))) + tuple(kwargs)
        found = {}
        api.grad(fn, chosen, on_adjoint=_recorders(names, found))(*args, **kwargs)
        return {n: found[n] for n in names if n in found}

    run.__name__ = f"{getattr(fn, '__name__', 'f')}_adjoints"
    return run


def tangents(fn):
    """Every tangent of a function's variables, from one forward sweep.

    The forward-mode counterpart of `ad.adjoints`: the tangent of a variable is its
    directional derivative along the tangents given.  Each variable gets an `ad.jvp` hook
    (see its on_tangent) that records a copy of its tangent.  A variable assigned more than
    once keeps the tangent at its last assignment: the tangent of the value it holds at the
    end.  A parameter's tangent is the one given; a variable whose tangent is zero by
    construction is left out.

    Args:
      fn: the function; its output may have any shape.

    Returns:
      A function `t(primals, tangents)`, taking them as `ad.jvp` does (two tuples, one item
      per argument), named `f_tangents`, returning `{variable name: tangent}` in the order
      the variables appear in fn's source.

    Raises:
      BadArgumentError: as for `ad.jvp`.
      DifferentiationError: when fn uses what s2s_ad cannot differentiate.

    Example:
      >>> def f(x, w):
      ...     h = w * x
      ...     return h * h
      >>> ad.tangents(f)((1.0, 3.0), (1.0, 0.0))
      {'x': 1.0, 'w': 0.0, 'h': 3.0}
      >>> ad.tangents(f)((1.0, 3.0), (1.0, None))
      {'x': 1.0, 'h': 3.0}
    """
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
    from s2s_ad.frontend import variadic
    plain = differentiated(fn)
    if variadic_function(fn) is not None:     # (`*xs` and `**kw` are variables too)
        plain = variadic.specialised(plain, 0, ())
    ssa = normalize(plain)
    assigned = set(ssa.namer.user_of.values())
    return list(dict.fromkeys(n for n in S.names_in(ssa.parsed.node) if n in assigned))
