"""Calls to user functions: each callee gets generated functions of its own.

    Program.reverse_pair(fn, wrt) -> Pair("g_fwd", "g_bwd")      (reverse mode)
    Program.jvp_function(fn, wrt) -> "g_jvp"                     (forward mode)

A Program collects, for one top-level transform, every callee it reaches, once per
(callee, differentiated parameters): the pair is shared by all call sites, and a recursive call
refers to the pair being generated.  Each generated function runs in its callee's own module
globals (a callee imported from another module sees that module), and every generated
function can see every other by name.
"""
from dataclasses import dataclass, field

from .codegen import bind, compile_function, to_source


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


@dataclass
class Program:
    taken: set = field(default_factory=set)       # generated function names in use
    pairs: dict = field(default_factory=dict)     # (fn, wrt) -> Pair
    jvps: dict = field(default_factory=dict)      # (fn, wrt) -> name
    units: list = field(default_factory=list)
    dependencies: list = field(default_factory=list)   # callee functions, for the cache

    def unique(self, name):
        base, n = name, 1
        while name in self.taken:
            n += 1
            name = f"{base}{n}"
        self.taken.add(name)
        return name

    def _suffix(self, fn, wrt, params):
        return "" if list(wrt) == list(params) else "_" + "_".join(wrt)

    def reverse_pair(self, fn, wrt):
        from .reverse import Reverse
        from .transform import normalize
        key = (fn, tuple(wrt))
        if key in self.pairs:
            return self.pairs[key]
        ssa = normalize(fn)
        suffix = self._suffix(fn, wrt, ssa.params)
        pair = Pair(self.unique(f"{ssa.node.name}_fwd{suffix}"),
                    self.unique(f"{ssa.node.name}_bwd{suffix}"), tuple(wrt))
        self.pairs[key] = pair          # registered first, so recursion finds it
        self.dependencies.append(fn)
        rev = Reverse(ssa, list(wrt), {p: "num" for p in ssa.params}, program=self)
        fwd, bwd = rev.build_split(pair.fwd, pair.bwd)
        self.units.append(Unit([fwd, bwd], rev.names, ssa.parsed))
        return pair

    def jvp_function(self, fn, wrt):
        from .forward import Forward
        from .transform import normalize
        key = (fn, tuple(wrt))
        if key in self.jvps:
            return self.jvps[key]
        ssa = normalize(fn)
        name = self.unique(f"{ssa.node.name}_jvp{self._suffix(fn, wrt, ssa.params)}")
        fwd = Forward(ssa, list(wrt), {p: "num" for p in ssa.params}, program=self)
        self.jvps[key] = (name, [fwd.dot(p) for p in wrt])   # first, so recursion finds it
        self.dependencies.append(fn)
        node = fwd.build(name, keyword_tangents=True)
        self.units.append(Unit([node], fwd.names, ssa.parsed))
        return self.jvps[key]

    def source(self):
        return "".join("\n\n" + to_source(node) for unit in self.units for node in unit.nodes)

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
                functions[node.name] = compile_function(to_source(node), node.name,
                                                        user.fn.__globals__, own, user.closure)
        for function in list(top_functions) + list(functions.values()):
            for name in function.__code__.co_freevars:
                if name in functions:
                    bind(function, name, functions[name])
        return functions
