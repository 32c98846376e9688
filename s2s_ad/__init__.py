"""s2s_ad: source-to-source automatic differentiation for Python and NumPy.

    import s2s_ad as ad
    ad.grad(f)(x)                 # gradient, by generated reverse-mode code
    print(ad.source(f, "grad"))   # the code that computes it

Stage: the public layer's front door.  Input: the user's imports.  Output: the API of API.md,
re-exported from api, higher, sources, decorator and check, and the user's rule registrations.
"""
from s2s_ad import rules as _rules  # noqa: F401  (registers every derivative rule)
from s2s_ad import runtime as _runtime
from s2s_ad.api import clear_cache, grad, stop_gradient, value_and_grad, vjp
from s2s_ad.check import check_grads
from s2s_ad.decorator import differentiate
from s2s_ad.debug import adjoints, tangents
from s2s_ad.sources import source
from s2s_ad.graph import graph
from s2s_ad.higher import hessian, hvp, jacfwd, jacrev, jvp
from s2s_ad.base.errors import (BadArgumentError, DifferentiationError, NonDifferentiableCallError,
                     SourceUnavailableError, UnsupportedSyntaxError)
from s2s_ad.rules import registry as _registry

_registry.nondifferentiable(_runtime.grad_seed, _runtime.check_assertion, stop_gradient,
                            _runtime.raise_exception, _runtime.formatted,
                            _runtime.push_errstate, _runtime.pop_errstate,
                            _runtime.sorted_order, _runtime.index_of_min,
                            _runtime.index_of_max, _runtime.aux_pair)


def _checked(register, fn, rules, what):
    """Register the user's rules after checking them (a rule that is not callable fails at
    every use, a rule list of only None says nothing), then forget every compiled derivative:
    code built before may have differentiated `fn`'s source, or used its former rules."""
    if not callable(fn):
        raise BadArgumentError(f"ad.{what}: {fn!r} is not callable")
    for i, rule in enumerate(rules):
        if rule is not None and not callable(rule):
            raise BadArgumentError(
                f"ad.{what}({getattr(fn, '__name__', fn)}, ...): the rule for argument {i + 1} "
                f"is {rule!r}, not a function",
                hint="Give a function (a lambda) per argument, or None for an argument that "
                     "is not differentiated.")
    if not any(rule is not None for rule in rules):
        raise BadArgumentError(
            f"ad.{what}({getattr(fn, '__name__', fn)}, ...) gives no rule for any argument",
            hint=f"Give a rule for each differentiated argument; for a function whose "
                 f"derivative is zero, use ad.nondifferentiable({getattr(fn, '__name__', 'f')}).")
    register()
    clear_cache()
    return fn


def defvjp(fn, *rules, broadcasts=False):
    """Register VJP rules for `fn`: rule_i(g, ans, *args, **kwargs) -> cotangent of argument i.

    `None` marks an argument as non-differentiable.  With broadcasts=True (an elementwise
    function) each rule returns the cotangent in the result's shape and s2s_ad reduces it.
    A differentiated argument past the last rule is refused where it is differentiated.
    """
    return _checked(lambda: _registry.defvjp(fn, *rules, broadcasts=broadcasts, origin="user"),
                    fn, rules, "defvjp")


def defjvp(fn, *rules, broadcasts=False):
    """Register JVP rules for `fn`: rule_i(t, ans, *args, **kwargs) -> the result's tangent
    caused by argument i's tangent t."""
    return _checked(lambda: _registry.defjvp(fn, *rules, broadcasts=broadcasts, origin="user"),
                    fn, rules, "defjvp")


def defelementwise(fn, *partials, broadcasts=False):
    """Register both modes of `fn` from one partial derivative per argument,
    partial_i(ans, *args, **kwargs) -> d fn / d args[i] (None: not differentiated): the VJP
    is g * partial_i, the JVP t * partial_i.  For a function whose derivative is a product
    elementwise (np.tanh: `lambda ans, x: 1 - ans * ans`); written in differentiable calls,
    it gives second derivatives too."""
    return _checked(lambda: _registry.defelementwise(fn, *partials, broadcasts=broadcasts,
                                                     origin="user"),
                    fn, partials, "defelementwise")


def deflinear(fn, transpose=None):
    """Register both modes of `fn`, linear in its first argument (the others are parameters):
    its JVP is fn applied to the tangent, its VJP `transpose(g, ans, *args, **kwargs)`;
    without `transpose`, fn is its own transpose (np.flip)."""
    return _checked(lambda: _registry.deflinear(fn, transpose, origin="user"), fn,
                    (transpose or fn,), "deflinear")


def defbilinear(fn, transpose_a, transpose_b):
    """Register both modes of `fn(a, b, ...)`, linear in a and in b each (a product): the
    JVPs are fn(t, b, ...) and fn(a, t, ...), the VJPs transpose_a(g, ans, a, b, ...) and
    transpose_b."""
    return _checked(lambda: _registry.defbilinear(fn, transpose_a, transpose_b, origin="user"),
                    fn, (transpose_a, transpose_b), "defbilinear")


def nondifferentiable(*fns):
    """Declare that calls to each of `fns` have a zero derivative."""
    found = _registry.nondifferentiable(*fns, origin="user")
    clear_cache()
    return found

def register_pytree(cls, fields, rebuild=None):
    """Declare the attributes of `cls`'s instances that carry derivatives, `fields` (names),
    and optionally how an instance with new values is made, `rebuild(obj, {name: value})`
    (by default: a shallow copy of obj with those attributes set).  Its derivatives are then
    instances of `cls`.  Namedtuples, dataclasses and objects whose `__dict__` holds their
    data need no registration.  Returns cls."""
    if not isinstance(cls, type):
        raise BadArgumentError(f"ad.register_pytree: {cls!r} is not a class")
    _runtime.register_pytree(cls, fields, rebuild)
    clear_cache()
    return cls


__all__ = ["grad", "value_and_grad", "vjp", "jvp", "jacfwd", "jacrev", "hessian", "hvp",
           "source", "graph", "adjoints", "tangents", "differentiate", "check_grads",
           "clear_cache", "defvjp", "defjvp", "defelementwise", "deflinear", "defbilinear",
           "stop_gradient", "nondifferentiable",
           "register_pytree", "DifferentiationError", "UnsupportedSyntaxError",
           "NonDifferentiableCallError", "SourceUnavailableError", "BadArgumentError"]
__version__ = "0.1.0"
