"""Names in generated code: derived from the user's names, deterministic, never colliding.

    adjoint of h        h_bar
    tangent of h        h_dot
    SSA versions of h   h_1, h_2, ...
    temporaries         _t0, _t1, ...
    reserved            _ad (runtime), _tape, and anything starting with _ad_

A Namer is created per generated function with every name the user's function mentions, so a
new name is never one the user already has.
"""
import re

_VERSION = re.compile(r"^(.*?)_(\d+)$")
_GENERATED = re.compile(r"^(_t\d+|.*_\d+)(_bar|_dot)*$")

# The start of the pseudo-file name of every compiled derivative, as linecache and tracebacks
# show it: "<s2s_ad f_grad 1a2b3c4d5e>".
GENERATED_FILE = "<s2s_ad"
# The pseudo-file of a function s2s_ad makes to call one with derivative rules (frontend/
# source.py, `calling`): "<s2s_ad call of module.f>".  Its code is the user's call of f.
CALL_FILE = GENERATED_FILE + " call of "


def generated_name(name):
    """Is `name` one the compiler makes up (a temporary, an SSA version, an adjoint of one)?"""
    return _GENERATED.match(name) is not None


def is_generated(filename):
    """Is this the pseudo-file of code s2s_ad generated?"""
    return filename.startswith(GENERATED_FILE + " ")


def is_call_of(filename):
    """Is this the pseudo-file of a function made to call one with rules (CALL_FILE)?"""
    return filename.startswith(CALL_FILE)


class Namer:
    def __init__(self, taken=()):
        self.taken = set(taken)
        self.counters = {}
        self.origins = {}      # temporary -> the user's text it holds the value of, for messages
        self.user_of = {}      # SSA version -> the user's variable it is a version of (to_ssa)

    def shown(self, name):
        """How a message names `name`: a temporary by the user's text it stands for."""
        return self.origins.get(name, name)

    def reserve(self, name):
        self.taken.add(name)
        return name

    def fresh(self, base):
        """`base` itself if free, else `base_1`, `base_2`, ..."""
        if base not in self.taken:
            return self.reserve(base)
        return self.version(base)

    def version(self, name):
        """A new SSA version of a user name: h -> h_1, h_1 -> h_2."""
        match = _VERSION.match(name)
        root = match.group(1) if match and match.group(1) else name
        n = self.counters.get(root, 0)
        while True:
            n += 1
            candidate = f"{root}_{n}"
            if candidate not in self.taken:
                self.counters[root] = n
                return self.reserve(candidate)

    def temp(self):
        n = self.counters.get("_t", -1)
        while True:
            n += 1
            candidate = f"_t{n}"
            if candidate not in self.taken:
                self.counters["_t"] = n
                return self.reserve(candidate)

    def derived(self, name, suffix):
        """`h_bar` / `h_dot` for a primal name (fresh if the user already uses it)."""
        return self.fresh(f"{name}_{suffix}")

    def attempt(self, make):
        """`make()`, keeping the names it takes only where it gives a result: where it gives
        None (code tried and dropped), every name it took is free again and the counters are
        where they were, so the names made next are those made had it never run."""
        taken, counters = set(self.taken), dict(self.counters)
        result = make()
        if result is None:
            self.taken.intersection_update(taken)
            self.counters.clear()
            self.counters.update(counters)
        return result


def is_temporary(name):
    """Is `name` one of the temporaries `Namer.temp` makes (`_t0`, `_t1`, ...)?"""
    return re.fullmatch(r"_t\d+", name) is not None


def taken_fresh(base, taken):
    """`base`, or `base_`, `base__` ... the first not in `taken`, which it is added to: a name
    for a rewrite's temporary that no name of the function has (frontend/piecewise, frozen)."""
    name = base
    while name in taken:
        name += "_"
    taken.add(name)
    return name
