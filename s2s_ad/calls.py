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
from .errors import DifferentiationError
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


def in_place_updates(fn, kinds):
    """The parameters of the called function `fn` that it updates with `p += v` and that the
    caller does not pass a number for ({parameter: kind}): for an array the update writes into
    the caller's array (see desugar), while for a number it makes a new value.  Where the kind
    is not known either, refuse_parameter_updates refuses the call once it is differentiated."""
    from .desugar import in_place_parameter_updates
    from .frontend import parse
    try:
        node = parse(fn).node
    except Exception:      # no source: the transforms say why where they parse it
        return frozenset()
    return frozenset(s.target.id for s in in_place_parameter_updates(node)
                     if kinds.get(s.target.id) != "scalar")


def refuse_parameter_updates(ssa, kinds):
    """In a called function, `p += v` on a parameter writes into the caller's array if it is
    an array, and makes a new value if it is a number: refused where the caller's argument
    may be either."""
    from .desugar import in_place_parameter_updates
    for stmt in in_place_parameter_updates(ssa.parsed.node):
        name = stmt.target.id
        if kinds.get(name) in ("scalar", "array"):
            continue
        raise ssa.error(stmt, f"`{name} ...= ` on the parameter '{name}': for an array NumPy "
                              f"writes into the caller's array, for a number it does not",
                        f"Say which: `{name}[...] = {name} ...` writes into the caller's array, "
                        f"`{name} = {name} ...` makes a new one.")


_WRITES = {}   # function -> parameters it writes into (None while being computed)


def mutated_params(fn, in_place=frozenset()):
    """The parameters `fn` writes into, itself or through the functions it calls, when the
    parameters `in_place` (see in_place_updates) are arrays."""
    from .aliasing import check_writes
    from .kinds import infer_kinds
    from .ops import describe
    from .activity import simple_statements
    from .transform import normalize
    key = (fn, frozenset(in_place))
    if key in _WRITES:
        return _WRITES[key] or set()     # a recursive call: what is known so far
    _WRITES[key] = None
    try:
        ssa = normalize(fn, in_place=in_place)
        local = set(ssa.params) | {n.id for n in __import__("gast").walk(ssa.node)
                                   if type(n).__name__ == "Name" and type(n.ctx).__name__ == "Store"}
        ops = {id(s): describe(s, ssa, local.__contains__) for s in simple_statements(ssa.node.body)}
        kinds = infer_kinds(ssa, ops, {p: "array" for p in in_place})
        annotate_writes(ssa, ops, kinds)
    except Exception:     # a callee that cannot be read: its own transform reports why
        _WRITES[key] = set()
        return set()
    try:
        written = check_writes(ssa, ops, kinds)
    except DifferentiationError:
        # a write check refuses (a view read after a write, which generic code cannot tell
        # from a number): what the callee writes into is still what it writes into, not
        # nothing, or its writes and its tape would be invisible to the caller (a Hessian 0)
        written = written_syntactically(ssa, ops)
    _WRITES[key] = written
    return written


_RETURNS = {}  # function -> whether its result may share memory with an argument


def returns_argument(fn):
    """Whether what the user function `fn` returns may be one of its arguments or a view of
    one (`def ident(v): return v`): writing into the result then writes into the argument."""
    from .reverse import is_user_function
    if not is_user_function(fn):
        return False
    if fn in _RETURNS:
        return bool(_RETURNS[fn])     # a recursive call: what is known so far
    _RETURNS[fn] = False
    import gast
    from .activity import simple_statements
    from .aliasing import argument_roots
    from .kinds import infer_kinds
    from .ops import describe
    from .transform import normalize
    try:
        ssa = normalize(fn)
        local = set(ssa.params) | {n.id for n in gast.walk(ssa.node)
                                   if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
        ops = {id(s): describe(s, ssa, local.__contains__) for s in simple_statements(ssa.node.body)}
        ret = ssa.node.body[-1]
        result = isinstance(ret, gast.Return) and isinstance(ret.value, gast.Name) and \
            bool(argument_roots(ret.value.id, ssa, ops, infer_kinds(ssa, ops, {})))
    except Exception:
        result = True       # not known: assume it may be
    _RETURNS[fn] = result
    return result


def written_syntactically(ssa, ops):
    """The parameters a function writes into by its own statements (`p[i] = v`, appends and
    pops) or through its calls, read from the statements alone, without the checks."""
    from .aliasing import updated_lists
    bases = {op.args[0].id for op in ops.values() if op.kind == "setitem"}
    bases |= {name for op in ops.values() for name in op.writes}
    return (bases & set(ssa.params)) | updated_lists(ssa, ops)


def annotate_writes(fn, ops, kinds):
    """Record, on each call to a user function, which of its arguments the callee writes into
    (`kinds`: what the caller knows of its values)."""
    import gast
    from .activity import simple_statements
    from .kinds import atom_kind
    from .reverse import bind_call, is_user_function
    for stmt in simple_statements(fn.node.body):
        op = ops[id(stmt)]
        if op.kind != "call" or not is_user_function(op.fn):
            continue
        bound = bind_call(op, stmt, fn)
        arrays = in_place_updates(op.fn, argument_kinds(bound, lambda n: atom_kind(n, kinds)))
        written = mutated_params(op.fn, arrays)
        if written:
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

    def reverse_pair(self, fn, wrt, kinds=None, statics=None, result_read=True):
        """`result_read=False` for a call whose result the caller ignores (`g(A, B)` for
        what g writes into B): the result's cotangent is zero, and g_bwd does not take one."""
        from .reverse import Reverse
        from .transform import normalize
        kinds = dict(kinds or {})
        key = (fn, tuple(wrt), tuple(sorted(kinds.items())), _static_key(statics), result_read)
        if key in self.pairs:
            return self.pairs[key]
        in_place = in_place_updates(fn, kinds)
        ssa = normalize(fn, statics, in_place)
        refuse_parameter_updates(ssa, kinds)
        suffix = self._suffix(fn, wrt, ssa.params)
        pair = Pair(self.unique(f"{ssa.node.name}_fwd{suffix}"),
                    self.unique(f"{ssa.node.name}_bwd{suffix}"), tuple(wrt),
                    statics=tuple(statics or ()))
        self.pairs[key] = pair          # registered first, so recursion finds it
        rev = Reverse(ssa, list(wrt), callee_kinds(ssa, kinds), program=self)
        rev.result_read = result_read
        pair.tape = rev.tape
        pair.mutated = {p: rev.adj(p) for p in wrt if p in mutated_params(fn, in_place)}
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
        in_place = in_place_updates(fn, kinds)
        ssa = normalize(fn, statics, in_place)
        refuse_parameter_updates(ssa, kinds)
        name = self.unique(f"{ssa.node.name}_jvp{self._suffix(fn, wrt, ssa.params)}")
        fwd = Forward(ssa, list(wrt), callee_kinds(ssa, kinds), program=self)
        self.jvps[key] = (name, [fwd.dot(p) for p in wrt])   # first, so recursion finds it
        node = fwd.build(name, keyword_tangents=True,
                         mutated=[p for p in wrt if p in mutated_params(fn, in_place)])
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
