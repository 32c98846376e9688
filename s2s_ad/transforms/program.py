"""The generated functions of one top-level transform's callees, and how they are compiled.

A Program collects, for one top-level transform, every user function it calls, once per
(callee, differentiated parameters, argument kinds): the pair (reverse mode, made by
reverse.callee_pair) or JVP function (forward mode, forward.callee_jvp) is shared by all call
sites, and a recursive call refers to the function being generated.  Each generated function
runs in its callee's own module globals (a callee imported from another module sees that
module), and every generated function can see every other by name.
"""
from dataclasses import dataclass, field

from s2s_ad.backend.codegen import bind, compile_function, to_source


@dataclass
class Unit:
    """Generated functions for one callee, and the namespace they run in."""
    nodes: list
    names: object          # GeneratedNames of the callee
    parsed: object


@dataclass
class Pair:
    fwd: str
    bwd: str
    wrt: tuple
    mutated: dict = field(default_factory=dict)   # written parameter -> its adjoint's keyword
    statics: tuple = ()    # parameters bound to functions when the pair was generated
    tape: str = "_tape"    # the name of fwd's keyword-only tape parameter (`_tape_1` when the
    #                        function is our own generated code, which has a `_tape` of its own)


def _static_key(statics):
    return tuple(sorted((p, id(f)) for p, f in (statics or {}).items()))


@dataclass
class Program:
    taken: set = field(default_factory=set)       # generated function names in use
    pairs: dict = field(default_factory=dict)     # (fn, wrt) -> Pair
    jvps: dict = field(default_factory=dict)      # (fn, wrt) -> name
    units: list = field(default_factory=list)
    dependencies: list = field(default_factory=list)   # (namespace, key, callee) for the cache
    printed: dict = field(default_factory=dict)   # id(node) -> (node, its source text)
    batch: tuple = None    # batched modes: (batch size, shapes of the basis) (see batching.py)
    shaped: dict = field(default_factory=dict)    # callee key -> the argument shapes of its code
    real_callees: dict = field(default_factory=dict)   # analysis/real_calls.py's answers
    written: tuple = ()    # the differentiated function's parameters it writes into

    def callee_shapes(self, key, shapes):
        """The argument shapes a callee's code is specialised on: those of its first call
        site; a call with other shapes (another site, or a recursive call on a smaller array)
        gets the generic code, so a function has at most two versions however deep it
        recurses."""
        if not shapes:
            return {}
        first = self.shaped.setdefault(key, shapes)
        return shapes if first == shapes else {}

    def depends_on(self, op):
        """The generated code calls op.fn as found under op.ref: note it for the cache.  What
        is noted is the object bound there, which is not op.fn where the call goes to other
        code (one of our derivatives, `g = ad.grad(f)`, to the code it runs): noting that
        code, never bound under the name, would rebuild the caller's derivative every call."""
        if op.ref is not None:
            namespace, key = op.ref
            entry = (namespace, key, namespace.get(key, op.fn))
            if not any(e[0] is entry[0] and e[1] == entry[1] for e in self.dependencies):
                self.dependencies.append(entry)

    def unique(self, name):
        base, n = name, 1
        while name in self.taken:
            n += 1
            name = f"{base}{n}"
        self.taken.add(name)
        return name

    def suffix(self, wrt, params):
        """`g_fwd_x` for a callee differentiated in x alone; `g_fwd` in all its parameters."""
        return "" if list(wrt) == list(params) else "_" + "_".join(wrt)

    def text(self, node):
        """The source of a callee's generated function (printed once, for both compile and
        source)."""
        known = self.printed.get(id(node))
        if known is None or known[0] is not node:
            known = self.printed[id(node)] = (node, to_source(node))
        return known[1]

    def source(self):
        return "".join("\n\n" + self.text(node) for unit in self.units for node in unit.nodes)

    def function_names(self):
        return [node.name for unit in self.units for node in unit.nodes]

    def compile(self, top_functions):
        """Compile every callee's functions, then bind every generated name in every function."""
        functions = {}
        names = self.function_names()
        for unit in self.units:
            user = unit.parsed
            own = dict(unit.names.own, **{n: None for n in names})
            for node in unit.nodes:
                functions[node.name] = compile_function(self.text(node), node.name,
                                                        user.fn.__globals__, own, user.closure,
                                                        user.cells, own_lists=unit.names.lists,
                                                        origin=(user.filename, node))
        for function in list(top_functions) + list(functions.values()):
            for name in function.__code__.co_freevars:
                if name in functions:
                    bind(function, name, functions[name])
        return functions


def callee_key(fn, wrt, kinds, statics, *more):
    """What makes two calls share one generated function (`more`: the argument shapes, for
    reverse mode whether the result is read)."""
    return (fn, tuple(wrt), tuple(sorted(kinds.items())),
            tuple(sorted((p, id(f)) for p, f in (statics or {}).items()))) + more
