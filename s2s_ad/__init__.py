"""s2s_ad: source-to-source automatic differentiation for Python and NumPy.

    import s2s_ad as ad
    ad.grad(f)(x)                 # gradient, by generated reverse-mode code
    print(ad.source(f, "grad"))   # the code that computes it
"""
from . import rules as _rules  # noqa: F401  (registers every derivative rule)
from . import runtime as _runtime
from .api import clear_cache, grad, source, stop_gradient, value_and_grad, vjp
from .check import check_grads
from .decorator import differentiate
from .higher import hessian, hvp, jacfwd, jacrev, jvp
from .errors import (BadArgumentError, DifferentiationError, NonDifferentiableCallError,
                     SourceUnavailableError, UnsupportedSyntaxError)
from .rules import registry as _registry

_registry.nondifferentiable(_runtime.grad_seed, stop_gradient)


def defvjp(fn, *rules, broadcasts=False):
    """Register VJP rules for `fn`: rule_i(g, ans, *args, **kwargs) -> cotangent of argument i.

    `None` marks an argument as non-differentiable.  With broadcasts=True (an elementwise
    function) each rule returns the cotangent in the result's shape and s2s_ad reduces it.
    """
    return _registry.defvjp(fn, *rules, broadcasts=broadcasts, origin="user")


def defjvp(fn, *rules, broadcasts=False):
    """Register JVP rules for `fn`: rule_i(t, ans, *args, **kwargs) -> the result's tangent
    caused by argument i's tangent t."""
    return _registry.defjvp(fn, *rules, broadcasts=broadcasts, origin="user")


def nondifferentiable(*fns):
    """Declare that calls to each of `fns` have a zero derivative."""
    return _registry.nondifferentiable(*fns, origin="user")

__all__ = ["grad", "value_and_grad", "vjp", "jvp", "jacfwd", "jacrev", "hessian", "hvp",
           "source", "differentiate", "check_grads", "clear_cache", "defvjp", "defjvp",
           "stop_gradient", "nondifferentiable", "DifferentiationError", "UnsupportedSyntaxError",
           "NonDifferentiableCallError", "SourceUnavailableError", "BadArgumentError"]
__version__ = "0.1.0"
