"""s2s_ad: source-to-source automatic differentiation for Python and NumPy.

    import s2s_ad as ad
    ad.grad(f)(x)                 # gradient, by generated reverse-mode code
    print(ad.source(f, "grad"))   # the code that computes it
"""
from . import rules as _rules  # noqa: F401  (registers every derivative rule)
from . import runtime as _runtime
from .api import clear_cache, grad, source, value_and_grad, vjp
from .check import check_grads
from .decorator import differentiate
from .higher import hessian, hvp, jacfwd, jacrev, jvp
from .errors import (BadArgumentError, DifferentiationError, NonDifferentiableCallError,
                     SourceUnavailableError, UnsupportedSyntaxError)
from .rules.registry import defjvp, defvjp, nondifferentiable

nondifferentiable(_runtime.grad_seed)

__all__ = ["check_grads", "differentiate", "grad", "value_and_grad", "vjp", "jvp", "jacfwd", "jacrev", "hessian", "hvp", "source", "clear_cache", "defvjp", "defjvp",
           "nondifferentiable", "DifferentiationError", "UnsupportedSyntaxError",
           "NonDifferentiableCallError", "SourceUnavailableError", "BadArgumentError"]
__version__ = "0.1.0"
