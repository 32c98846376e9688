"""Refusals for the ODE solvers of `scipy.integrate` (loaded once the program has imported
`scipy.integrate`; registry.load_optional_rules).

Stage: the rule table.
Input: `odeint` and `solve_ivp`; `trapezoid`, which takes np.trapezoid's rules.
Output: a registry.Refused in place of the rule of each argument, so that a derivative through
a solver stops at the user's call with what to do instead, never inside SciPy's code (the
solvers have no rule, so the compiler would otherwise read their source).  A derivative
through an adaptive solver (the adjoint method) would differentiate the solver's error
control too or be only as accurate as its tolerance; s2s_ad leaves it out.
"""
import numpy as np
from scipy.integrate import odeint, solve_ivp, trapezoid

from s2s_ad.rules import numpy_reduce_rules  # noqa: F401  (np.trapezoid's rules come first)
from s2s_ad.rules.registry import Refused, deffacts, defjvp, defvjp, fact, share

_HINT = ("For a linear system y' = A y, write the solution y(t) = scipy.linalg.expm(t * A) @ y0, "
         "which s2s_ad differentiates; else write the time steps as a loop in your code (a fixed "
         "step Runge-Kutta scheme), or wrap the arguments in ad.stop_gradient(...) if their "
         "derivative is not wanted.")


def _refuse(fn, names):
    refused = Refused(f"no derivative rule for the ODE solver {fn.__name__}: s2s_ad does not "
                      "differentiate through scipy.integrate's solvers", _HINT, names)
    defvjp(fn, *[refused] * len(names))
    defjvp(fn, *[refused] * len(names))


_refuse(odeint, ("func", "y0", "t", "args", "Dfun"))
_refuse(solve_ivp, ("fun", "t_span", "y0", "method", "t_eval", "dense_output", "events",
                    "vectorized", "args"))

# scipy.integrate.trapezoid computes what np.trapezoid computes (the same parameters)
if hasattr(np, "trapezoid"):
    share(trapezoid, np.trapezoid)
    deffacts(trapezoid, shape=fact(np.trapezoid, "shape"))
