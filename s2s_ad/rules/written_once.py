"""Rules written once: the VJP and JVP rules of a callable made from one statement of its
derivative (registry.defelementwise, deflinear, defbilinear register what these make).

Stage: the rule table.
Input: a partial derivative per argument, or a linear map and its transpose.
Output: rule functions with the signature of a written rule, (seed, ans, *args, **kwargs),
each carrying the Derivation it was made from, which the inliner (frontend/inline.py) expands
as it would a written rule's body; calling the rule computes the same value.
"""
import inspect
from dataclasses import dataclass

from s2s_ad.base.errors import BadArgumentError
from s2s_ad.rules.record import Refused


@dataclass(frozen=True)
class Derivation:
    """What a rule made by defelementwise, deflinear or defbilinear computes, from what was
    written once.

        "times"   seed * of(ans, *args, **kwargs): `of` is a partial derivative
        "apply"   of(*args, **kwargs) with the seed in place of positional argument
                  `position`: `of` is linear there (its own tangent map, or its transpose
                  when symmetric); `names` are the parameters after (seed, ans), `keywords`
                  those of them passed by keyword
    """
    kind: str
    of: object
    position: int = 0
    names: tuple = ()
    keywords: tuple = ()


def derivation(rule):
    """The Derivation a rule was made from, or None for a rule written as a function."""
    return getattr(rule, "__s2s_ad_derivation__", None)


def elementwise_rules(partials):
    """(VJP rules, JVP rules) from one partial derivative per argument:
    partial_i(ans, *args, **kwargs) -> d fn / d args[i] (None or a Refused: kept as is).
    The VJP of argument i is g * partial_i and its JVP t * partial_i."""
    def made(partial, seed):
        if partial is None or isinstance(partial, Refused):
            return partial
        code = getattr(partial, "__code__", None)
        if code is not None:      # a name of its own, whatever the partial reads
            seed = _fresh(seed, set(code.co_names + code.co_varnames + code.co_freevars))
        return _made_rule(Derivation("times", partial), seed,
                          _parameters(partial, 1, "defelementwise"))
    return tuple(made(p, "g") for p in partials), tuple(made(p, "t") for p in partials)


def linear_rules(fn, transpose):
    """(VJP rule, JVP rule) of `fn`, linear in its first argument: the JVP is `fn` with the
    tangent there, the VJP `transpose`, or `fn` itself where `transpose` is None."""
    if transpose is None:
        parameters = _parameters(fn, 0, "deflinear")
        vjp = _applied(fn, 0, parameters, "g")
    else:
        parameters = _parameters(transpose, 2, "deflinear")
        vjp = transpose
    return vjp, _applied(fn, 0, parameters, "t")


def bilinear_rules(fn, transpose_a):
    """The JVP rules of `fn(a, b, ...)`, linear in each of a and b: fn(t, b, ...) and
    fn(a, t, ...), with the parameters `transpose_a` names after (g, ans)."""
    parameters = _parameters(transpose_a, 2, "defbilinear")
    return _applied(fn, 0, parameters, "t"), _applied(fn, 1, parameters, "t")


def _made_rule(how, seed, parameters):
    """A function computing `how` (a Derivation), with the signature (seed, ans, *parameters):
    what registry.bind, the inliner and direct callers (tests) read."""
    taken = {p.name for p in parameters}
    seed, result = _fresh(seed, taken), _fresh("ans", taken)
    if how.kind == "times":
        def rule(s, ans, *args, **kwargs):
            return s * how.of(ans, *args, **kwargs)
    else:
        def rule(s, ans, *args, **kwargs):
            bound = signature.bind(s, ans, *args, **kwargs)
            bound.apply_defaults()
            values = [s if k == how.position else bound.arguments[n]
                      for k, n in enumerate(how.names)]
            plain = [v for v, n in zip(values, how.names) if n not in how.keywords]
            return how.of(*plain, **{n: bound.arguments[n] for n in how.keywords})
    first = [inspect.Parameter(seed, inspect.Parameter.POSITIONAL_OR_KEYWORD),
             inspect.Parameter(result, inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    signature = inspect.Signature(first + [  # (as a lambda's: x of np.matrix_transpose(x, /))
        p.replace(kind=p.POSITIONAL_OR_KEYWORD) if p.kind is p.POSITIONAL_ONLY else p
        for p in parameters])
    rule.__signature__ = signature
    rule.__s2s_ad_derivation__ = how
    rule.__qualname__ = rule.__name__ = f"{how.kind}_rule"
    return rule


def _fresh(name, taken):
    """`name`, or `name_`, `name__` ... where a parameter already has it."""
    while name in taken:
        name += "_"
    return name


def _parameters(fn, skip, what):
    """The parameters of `fn` after the first `skip` (a rule's seed and ans, a partial's ans)."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        raise BadArgumentError(f"{what}: {fn!r} has no signature",
                               hint="Give its transpose, or write its rules with defvjp and "
                                    "defjvp.") from None
    if len(params) < skip + 1 or any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
                                      for p in params):
        raise BadArgumentError(
            f"{what}: {getattr(fn, '__name__', fn)} takes {len(params)} parameters",
            hint="A partial derivative takes (ans, x, ...), a transpose (g, ans, x, ...): the "
                 "function's arguments named, without *args or **kwargs.")
    return params[skip:]


def _applied(fn, position, parameters, seed):
    """The rule `fn(*args)` with the seed in place of args[position] (parameters: the rule's
    after seed and ans, in fn's order, as rules name them); keyword-only ones by keyword."""
    names = tuple(p.name for p in parameters)
    keywords = tuple(p.name for p in parameters if p.kind is p.KEYWORD_ONLY)
    return _made_rule(Derivation("apply", fn, position, names, keywords), seed, parameters)
