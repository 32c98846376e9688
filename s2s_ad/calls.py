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

from . import syntax as S
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
    mutated: dict = field(default_factory=dict)   # written parameter -> its adjoint's keyword
    statics: tuple = ()    # parameters bound to functions when the pair was generated
    tape: str = "_tape"    # the name of fwd's keyword-only tape parameter (`_tape_1` when the
    #                        function is our own generated code, which has a `_tape` of its own)


def _static_key(statics):
    return tuple(sorted((p, id(f)) for p, f in (statics or {}).items()))


def static_functions(bound, fn):
    """{parameter: function} for arguments that are functions known now (module-level)."""
    import gast
    import types
    from .ops import resolve_static
    out = {}
    for p, node in bound.items():
        if isinstance(node, gast.Name) and node.id not in fn.params and \
                not _is_assigned(node.id, fn):
            obj = resolve_static(node, fn)
            if isinstance(obj, types.FunctionType):
                out[p] = obj
    return out


def _is_assigned(name, fn):
    import gast
    return any(isinstance(n, gast.Name) and n.id == name and isinstance(n.ctx, gast.Store)
               for n in S.walk(fn.node))


def callee_kinds(ssa, kinds):
    """A callee's parameters have the kinds of the caller's arguments (None where unknown,
    which keeps the generic code paths); `*xs` is a tuple."""
    out = {p: kinds.get(p) for p in ssa.params}
    if ssa.vararg is not None:
        out[ssa.vararg] = "container"
    return out


def argument_kinds(bound, kind_of_atom):
    """{parameter: kind} at a call site, from the caller's knowledge of its arguments."""
    import gast
    return {p: ("container" if isinstance(node, gast.Tuple) else kind_of_atom(node))
            for p, node in bound.items()}


def refuse_parameter_updates(ssa):
    """In a called function, `p += v` on a parameter would write into the caller's array."""
    from .desugar import in_place_parameter_updates
    for stmt in in_place_parameter_updates(ssa.parsed.node):
        name = stmt.target.id
        raise ssa.error(stmt, f"`{name} ...= ` on the parameter '{name}': for an array NumPy "
                              f"writes into the caller's array, for a number it does not",
                        f"Say which: `{name}[...] = {name} ...` writes into the caller's array, "
                        f"`{name} = {name} ...` makes a new one.")


_WRITES = {}   # function -> parameters it writes into (None while being computed)


def mutated_params(fn):
    """The parameters `fn` writes into, itself or through the functions it calls."""
    from .aliasing import check_writes
    from .kinds import infer_kinds
    from .ops import describe
    from .activity import simple_statements
    from .transform import normalize
    if fn in _WRITES:
        return _WRITES[fn] or set()     # a recursive call: what is known so far
    _WRITES[fn] = None
    try:
        ssa = normalize(fn)
        local = set(ssa.params) | {n.id for n in __import__("gast").walk(ssa.node)
                                   if type(n).__name__ == "Name" and type(n.ctx).__name__ == "Store"}
        ops = {id(s): describe(s, ssa, local.__contains__) for s in simple_statements(ssa.node.body)}
        annotate_writes(ssa, ops)
        written = check_writes(ssa, ops, infer_kinds(ssa, ops, {})) | updated_lists(ssa, ops)
    except Exception:
        written = set()
    _WRITES[fn] = written
    return written


def updated_lists(ssa, ops):
    """The parameters a function appends to or pops from (`lst.append(v)`, `v = lst.pop()`):
    the caller's list changes (a callee pair's `_tape`, in our own generated code)."""
    import gast
    return {op.args[0].id for op in ops.values() if op.kind in ("append", "pop")
            and isinstance(op.args[0], gast.Name) and op.args[0].id in ssa.params}


def annotate_writes(fn, ops):
    """Record, on each call to a user function, which of its arguments the callee writes into."""
    import gast
    from .activity import simple_statements
    from .reverse import bind_call, is_user_function
    for stmt in simple_statements(fn.node.body):
        op = ops[id(stmt)]
        if op.kind != "call" or not is_user_function(op.fn):
            continue
        written = mutated_params(op.fn)
        if written:
            bound = bind_call(op, stmt, fn)
            op.writes = [bound[p].id for p in written
                         if p in bound and isinstance(bound[p], gast.Name)]


@dataclass
class Program:
    taken: set = field(default_factory=set)       # generated function names in use
    pairs: dict = field(default_factory=dict)     # (fn, wrt) -> Pair
    jvps: dict = field(default_factory=dict)      # (fn, wrt) -> name
    units: list = field(default_factory=list)
    dependencies: list = field(default_factory=list)   # (namespace, key, callee) for the cache
    printed: dict = field(default_factory=dict)   # id(node) -> (node, its source text)
    batch: tuple = None    # batched modes: (batch size, shapes of the basis) (see batching.py)

    def depends_on(self, op):
        """The generated code calls op.fn as found under op.ref: note it for the cache."""
        if op.ref is not None:
            entry = (op.ref[0], op.ref[1], op.fn)
            if not any(e[0] is entry[0] and e[1] == entry[1] for e in self.dependencies):
                self.dependencies.append(entry)

    def unique(self, name):
        base, n = name, 1
        while name in self.taken:
            n += 1
            name = f"{base}{n}"
        self.taken.add(name)
        return name

    def _suffix(self, fn, wrt, params):
        return "" if list(wrt) == list(params) else "_" + "_".join(wrt)

    def reverse_pair(self, fn, wrt, kinds=None, statics=None):
        from .reverse import Reverse
        from .transform import normalize
        kinds = dict(kinds or {})
        key = (fn, tuple(wrt), tuple(sorted(kinds.items())), _static_key(statics))
        if key in self.pairs:
            return self.pairs[key]
        ssa = normalize(fn, statics)
        refuse_parameter_updates(ssa)
        suffix = self._suffix(fn, wrt, ssa.params)
        pair = Pair(self.unique(f"{ssa.node.name}_fwd{suffix}"),
                    self.unique(f"{ssa.node.name}_bwd{suffix}"), tuple(wrt),
                    statics=tuple(statics or ()))
        self.pairs[key] = pair          # registered first, so recursion finds it
        rev = Reverse(ssa, list(wrt), callee_kinds(ssa, kinds), program=self)
        pair.tape = rev.tape
        pair.mutated = {p: rev.adj(p) for p in wrt if p in mutated_params(fn)}
        fwd, bwd = rev.build_split(pair.fwd, pair.bwd, list(pair.mutated))
        self.units.append(Unit([fwd, bwd], rev.names, ssa.parsed))
        return pair

    def jvp_function(self, fn, wrt, kinds=None, statics=None):
        from .forward import Forward
        from .transform import normalize
        kinds = dict(kinds or {})
        key = (fn, tuple(wrt), tuple(sorted(kinds.items())), _static_key(statics))
        if key in self.jvps:
            return self.jvps[key]
        ssa = normalize(fn, statics)
        refuse_parameter_updates(ssa)
        name = self.unique(f"{ssa.node.name}_jvp{self._suffix(fn, wrt, ssa.params)}")
        fwd = Forward(ssa, list(wrt), callee_kinds(ssa, kinds), program=self)
        self.jvps[key] = (name, [fwd.dot(p) for p in wrt])   # first, so recursion finds it
        node = fwd.build(name, keyword_tangents=True,
                         mutated=[p for p in wrt if p in mutated_params(fn)])
        self.units.append(Unit([node], fwd.names, ssa.parsed))
        return self.jvps[key]

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
                                                        user.cells)
        for function in list(top_functions) + list(functions.values()):
            for name in function.__code__.co_freevars:
                if name in functions:
                    bind(function, name, functions[name])
        return functions
