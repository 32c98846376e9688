"""The check generated code makes of what a user's own rule returns (`ad.defvjp`, `ad.defjvp`).

A rule registered without `broadcasts=True` must return the cotangent in its argument's shape
(a VJP) or the tangent in the result's shape (a JVP).  One that returns another shape would be
broadcast silently where the derivative is accumulated, giving a wrong number, so the
derivative stops instead and says which rule it was.
"""

import numbers

import numpy as np

from s2s_ad.base.errors import DifferentiationError


def rule_result(value, like, rule):
    """`value`, what the user's rule described by `rule` returned, where it has the shape of
    `like` (the argument for a VJP, the result for a JVP); a DifferentiationError otherwise.
    Containers and objects are not checked (their parts have shapes of their own)."""
    if isinstance(like, (np.ndarray, np.generic, numbers.Number)) and \
            isinstance(value, (np.ndarray, np.generic, numbers.Number)) and \
            np.shape(value) != np.shape(like):
        raise DifferentiationError(
            f"{rule} returned a value of shape {np.shape(value)} where the shape "
            f"{np.shape(like)} was needed",
            hint="Return it in that shape (sum a cotangent over the axes the function "
                 "broadcasts), or register the rules with broadcasts=True so that s2s_ad "
                 "sums it.")
    return value
