"""The globals that generated code runs in.

Generated code refers to the user's global names exactly as the user wrote them (`np`, `W`,
`helper`), looked up live in the user's module when the code runs, so a module-level array
that the user rebinds is seen; our own names (`_ad` for the runtime, aliases for objects that
inlined rules use) live in the generated code's own dict, so nothing leaks into the user's
module.
"""
import builtins


class GeneratedGlobals(dict):
    """A dict of our names that falls back to the user's function's globals and closure."""

    def __init__(self, user_globals, closure, own):
        super().__init__(own)
        self["__builtins__"] = builtins
        self._user_globals = user_globals
        self._closure = closure

    def __missing__(self, name):
        if name in self._closure:
            return self._closure[name]
        return self._user_globals[name]
