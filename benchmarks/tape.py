"""The size of s2s_ad's tape on a benchmark call: the most entries and bytes it held at once.

The generated function creates its tape as a local list (`_tape = []`).  To measure it we compile
a copy of the generated source whose tape is a `Meter` (a list that counts what it holds), bound
to the same names as the real function, and call it once.  The timed function is untouched.
"""
import re

import numpy as np

_TAPE = re.compile(r"^(\s*)(_tape\w*) = \[\]$", re.MULTILINE)


class Meter(list):
    """A list that records the largest number of entries and bytes it ever held.  Bytes count
    memory the tape keeps alive: an array pushed twice counts once, a view of another array
    (`xs[t]`) not at all, a float 8 bytes; an entry holding several values counts each."""

    def __init__(self):
        super().__init__()
        self.held = {}     # id of an array on the tape -> how many times it is there
        self.bytes = self.peak_entries = self.peak_bytes = 0

    def append(self, value):
        super().append(value)
        for item in value if type(value) is tuple else (value,):   # values saved together
            self.bytes += self._held_bytes(item, +1)
        self.peak_entries = max(self.peak_entries, len(self))
        self.peak_bytes = max(self.peak_bytes, self.bytes)

    def pop(self, *index):
        value = super().pop(*index)
        for item in value if type(value) is tuple else (value,):
            self.bytes -= self._held_bytes(item, -1)
        return value

    def _held_bytes(self, value, change):
        """The bytes one more (change +1) or one fewer (-1) reference to `value` keeps alive."""
        if isinstance(value, np.ndarray):
            before = self.held.get(id(value), 0)
            self.held[id(value)] = before + change
            first = before == 0 if change > 0 else before == 1
            return value.nbytes if first and value.base is None else 0
        return 8 if value is not None else 0


def tape_size(generated, args):
    """(peak entries, peak bytes) of the tape of `generated` (an s2s_ad Generated) on `args`;
    (0, 0) when the code keeps no tape."""
    from s2s_ad import runtime
    from s2s_ad.backend.codegen import compile_function
    fn = generated.function
    if not _TAPE.search(generated.source):
        return 0, 0
    meters = []

    def new_meter():
        meters.append(Meter())
        return meters[-1]
    own = dict(zip(fn.__code__.co_freevars, (c.cell_contents for c in fn.__closure__ or ())))
    own["_s2s_new_meter"] = new_meter
    # the callees' code is compiled here with the top function's: it may read the runtime
    # where the top function (specialised, all plain NumPy) does not
    own.setdefault("_ad", runtime)
    source = _TAPE.sub(r"\1\2 = _s2s_new_meter()", generated.source)
    metered = compile_function(source, generated.name, fn.__globals__, own)
    metered(*args)
    return (max(m.peak_entries for m in meters), max(m.peak_bytes for m in meters))
