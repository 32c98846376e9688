"""Arguments as the caller owns them: the entry points differentiate copies of the arrays,
lists and dicts they are given, so a function that writes into its arguments leaves the
caller's values as they were."""
import copy

import numpy as np

from s2s_ad.runtime.objects import object_class


def copied(args):
    """Copies of array, list and dict arguments (numbers and tuples of numbers are kept), and
    of objects with attributes: shallow ones, since a function may assign their attributes
    (`obj.h = v`) but not write into what they hold (refused: analysis/ops.py)."""
    return [copy.deepcopy(a) if isinstance(a, (np.ndarray, list, dict)) else
            copy.copy(a) if object_class(a) is not None else a for a in args]
