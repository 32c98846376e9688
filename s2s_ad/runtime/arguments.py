"""Arguments as the caller owns them: the entry points differentiate copies of the arrays,
lists and dicts they are given, so a function that writes into its arguments leaves the
caller's values as they were."""
import copy

import numpy as np

from s2s_ad.base.errors import BadArgumentError

from s2s_ad.runtime.objects import object_class


def copied(args):
    """Copies of array, list and dict arguments (numbers and tuples of numbers are kept), and
    of objects with attributes: shallow ones, since a function may assign their attributes
    (`obj.h = v`) but not write into what they hold (refused: analysis/ops.py)."""
    return [copy.deepcopy(a) if isinstance(a, (np.ndarray, list, dict)) else
            copy.copy(a) if object_class(a) is not None else a for a in args]


def check_unshared(name, written, *others):
    """Stop where the argument `name` of the differentiated function, which it writes into,
    is also another of its arguments (`f(x, x)`) or shares memory with one: the derivative
    works on a copy of the array it writes into, so it would differentiate the function of two
    separate values, not what `f(x, x)` computes."""
    for other in others:
        if other is written or isinstance(written, np.ndarray) and \
                isinstance(other, np.ndarray) and np.may_share_memory(written, other) and \
                np.shares_memory(written, other):
            raise BadArgumentError(
                f"the argument {name}, which the function writes into, is also given as another "
                f"argument (or shares its memory): the derivative would be that of the "
                f"function of two separate values",
                hint=f"Pass a copy as one of them ({name}.copy() for an array, "
                     f"copy.copy({name}) for an object).")

