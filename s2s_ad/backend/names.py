"""Names for the objects generated code refers to that the user's code does not name itself.

`GeneratedNames.ref(obj)` gives an expression for `obj`: the user's own name when the user's
function already binds that name to the same object (so inlined rules read `np.cos(x)` in a
module that imports numpy as np), the conventional `np` / `math` / `_ad` otherwise, and a
reserved `_ad_<name>` alias when the conventional name means something else to the user.
"""
import keyword
import math
import operator
import types

import numpy as np

from s2s_ad import runtime
from s2s_ad.base import syntax as S

_CONVENTIONAL = {id(np): "np", id(math): "math", id(runtime): "_ad", id(operator): "operator"}


class GeneratedNames:
    def __init__(self, parsed, local_names):
        self.parsed = parsed
        self.local_names = set(local_names)
        self.own = {"_ad": runtime}     # the generated code's own globals
        self.lists = set()      # the lists it makes for itself (a reverse sweep's tape)
        self._by_id = {id(runtime): "_ad"}
        self._keep = []

    def ref(self, obj):
        if id(obj) in self._by_id:
            return self._expr(self._by_id[id(obj)])
        name = _CONVENTIONAL.get(id(obj)) or getattr(obj, "__name__", None) or "obj"
        name = name.split(".")[-1].replace("<", "").replace(">", "") or "obj"
        if not name.isidentifier() or keyword.iskeyword(name):
            name = "obj"        # a __name__ is the object's own text: never print it as code
        marker = object()
        if name not in self.local_names and self.parsed.resolve(name, marker) is obj:
            chosen = name              # the user's own name for it (looked up live)
        elif name not in self.local_names and self.parsed.resolve(name, marker) is marker \
                and name not in self.own and isinstance(obj, types.ModuleType):
            chosen = name
            self.own[name] = obj
        else:
            chosen = f"_ad_{name}"
            n = 1
            while chosen in self.own and self.own[chosen] is not obj or \
                    chosen in self.local_names:
                n += 1
                chosen = f"_ad_{name}{n}"
            self.own[chosen] = obj
        self._by_id[id(obj)] = chosen
        self._keep.append(obj)   # keeps id(obj) from being reused while we map by id
        return self._expr(chosen)

    def ref_value(self, obj, hint):
        """A reserved name `_ad_<hint>` for a value (a default that is an array, a function):
        the generated code refers to the object itself, never to text that computes it."""
        if id(obj) in self._by_id:
            return self._expr(self._by_id[id(obj)])
        chosen, n = f"_ad_{hint}", 1
        while chosen in self.own or chosen in self.local_names:
            n += 1
            chosen = f"_ad_{hint}{n}"
        self.own[chosen] = obj
        self._by_id[id(obj)] = chosen
        self._keep.append(obj)
        return self._expr(chosen)

    def _expr(self, name):
        return S.load(name)
