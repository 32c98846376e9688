"""The frontend's entry: a function object in, its SSA function out.

    normalize(fn) = source.parse -> local_defs.expand_locals -> desugar -> to_ssa

The SSAFunction it returns is what every transform starts from: the parsed source (with the
names it resolves), the SSA gast, the namer, and the signature as the function object holds
it (parameters, keyword-only ones, default values).
"""
import copy
import math
from dataclasses import dataclass, field

import gast
import numpy as np

from s2s_ad import runtime
from s2s_ad.base import syntax as S
from s2s_ad.base.errors import UnsupportedSyntaxError
from s2s_ad.base.naming import Namer, generated_name, is_generated
from s2s_ad.frontend import source as frontend
from s2s_ad.frontend.call_forms import rewrite_calls
from s2s_ad.frontend.desugar import desugar
from s2s_ad.frontend.generators import generators_as_lists
from s2s_ad.frontend.local_defs import expand_locals
from s2s_ad.frontend.object_classes import known_classes
from s2s_ad.frontend.object_writes import attribute_writes_as_values
from s2s_ad.frontend.piecewise import piecewise_as_pieces
from s2s_ad.frontend.frozen import frozen_as_unfrozen
from s2s_ad.frontend.statements import plain_statements
from s2s_ad.frontend.resolve import resolve_static
from s2s_ad.frontend.to_ssa import to_ssa
from s2s_ad.frontend.variadic import expand_signature, spread_of


@dataclass
class SSAFunction:
    parsed: frontend.Parsed
    node: gast.FunctionDef
    namer: Namer
    params: list = field(default_factory=list)
    kwonly: list = field(default_factory=list)       # the user's keyword-only parameters
    defaults: dict = field(default_factory=dict)     # parameter -> its default's expression
    shared_updates: list = field(default_factory=list)   # see shared_updates.refuse_shared_updates
    generator: object = None     # the function's first `yield`: it is a generator (generators.py)
    classes: dict = field(default_factory=dict)     # SSA name -> its object's class (object_classes)
    fields_assigned: set = field(default_factory=set)   # parameters whose `p.h = v` it has

    def refuse_generator(self):
        """A called generator is rewritten to return its items as a list (generators.py); the
        differentiated function's own output would then be that list, which it is not."""
        if self.generator is not None:
            raise self.error(self.generator, f"{self.node.name} is a generator (it has "
                                             f"`yield`): its output is not a value",
                             "Differentiate a function that consumes it, e.g. one returning "
                             "`sum(gen(x))` or `np.array(list(gen(x)))`.")

    def give_signature(self, func, names, kwonly=(), by_keyword=False):
        """Give a generated function whose parameters are the user's (`func.args.args`) the
        user's defaults, then `kwonly` (generated names: tangents, the tape) as keyword-only
        parameters.  A called function's pair is called by keyword (`by_keyword`), so the
        user's keyword-only parameters stay keyword-only; the api calls a top-level one with
        every argument in order.  `names` (GeneratedNames) refers to default values."""
        args = func.args
        own = [a for a in args.args if a.id in self.kwonly] if by_keyword else []
        args.args = [a for a in args.args if a not in own]
        params = [a.id for a in args.args]
        first = len(params)
        while first and params[first - 1] in self.defaults:
            first -= 1
        args.defaults = [self.default(p, names) for p in params[first:]]
        args.kwonlyargs = own + [S.store_param(k) for k in kwonly]
        args.kw_defaults = [self.default(a.id, names) if a.id in self.defaults else None
                            for a in own] + [None] * len(kwonly)
        return func

    def default(self, param, names):
        """The default of `param` as the function object holds it (Python evaluated it once,
        at `def`): a literal for a plain number or string, else a reference to the object."""
        value = self.defaults[param]
        if type(value) in (bool, int, str, type(None)) or \
                (type(value) is float and math.isfinite(value)):
            return S.const(value)
        return names.ref_value(value, f"{param}_default")

    def error(self, node, message, hint=None, kind=UnsupportedSyntaxError):
        return kind(message, hint=hint, location=self.parsed.location(node))

    def source_line(self, node):
        """The user's source line a generated statement came from, stripped."""
        loc = self.parsed.location(node)
        return (loc.text or "").strip()


def reserved_names():
    return {"_ad", "np", "math", "operator", "builtins"}


def user_names(ssa):
    """The names the user wrote in the function.  Differentiating our own generated code
    (hvp: forward mode over the gradient), its temporaries (`_t3_bar`) are not the user's."""
    names = set(S.names_in(ssa.parsed.node))
    if is_generated(ssa.parsed.filename):
        names = {n for n in names if not generated_name(n)}
    return names


def normalize(fn, statics=None, in_place=(), walks=None, callee=False, classes=None):
    """Front end, desugaring and SSA: the function every transform starts from.

    `statics` binds parameters to functions known when the code is generated (a callee's
    argument `rhs` that a caller passes a module-level function for): they stop being
    parameters, and calls of them are calls of that function.  `in_place`: the parameters of
    a called function known to be arrays, whose `p += v` writes into the caller's array.
    `walks`: how a `for` loop walks the parameters whose kinds are known (see loop_walks).
    `callee`: fn is called from the differentiated function (its parameters are the
    caller's objects, see object_writes).  `classes`: {parameter: class} of the object
    arguments, whose method calls resolve to the class's functions (see object_classes).
    """
    parsed = frontend.parse(fn)
    node = S.clone(parsed.node)
    if spread_of(parsed.fn) is not None:     # `*xs`, `**kw` as a call fills them: named
        expand_signature(node, spread_of(parsed.fn))
    if statics:
        parsed = copy.copy(parsed)
        parsed.closure = dict(parsed.closure, **statics)
        _drop_parameters(node, statics)
    parsed = _rewritten(node, parsed)
    namer = Namer(set(S.names_in(node)) | reserved_names() | {node.name})
    holder = SSAFunction(parsed, node, namer, [a.id for a in node.args.args])
    rewrite_calls(holder)
    _check_signature(holder)
    parsed = _plain_statements(holder, namer)
    closure = {}
    node = expand_locals(node, namer, holder.error, resolve=parsed.resolve,
                         prepare=_inlinable(namer), closure=closure)
    if closure:      # the objects inlined module-level functions name (function_values)
        parsed = holder.parsed = copy.copy(parsed)
        parsed.closure = dict(parsed.closure, **closure)
    holder.fields_assigned = attribute_writes_as_values(
        node, holder.error, lambda n: resolve_static(n, holder), callee=callee)
    node = gast.fix_missing_locations(desugar(node, namer, holder.error,
                                              shared=holder.shared_updates,
                                              in_place=in_place, walks=walks))
    if "_ad" in S.names_in(node) and parsed.resolve("_ad", None) is not runtime:
        parsed = holder.parsed = copy.copy(parsed)     # a loop over a dict lists its keys
        parsed.closure = dict(parsed.closure, _ad=runtime)     # with the runtime's keys_of
    holder.node = to_ssa(node, namer, holder.error)
    holder.classes = known_classes(holder, classes)
    return holder


def _rewritten(node, parsed):
    """The rewrites of `node` (in place) that read its module's names; the Parsed its code
    then resolves names with (given the runtime as `_ad` where the new code calls it)."""
    if not is_generated(parsed.filename):
        _refuse_reserved_names(node, parsed)
    if is_generated(parsed.filename):
        _functional_add_at(node)
    elif (_scatter_adds_as_writes(node, parsed) | _puts_along_axis_as_writes(node, parsed)
          | piecewise_as_pieces(node, parsed.resolve) | frozen_as_unfrozen(node, parsed.resolve)
          or any(isinstance(n, gast.Assert) for n in S.walk(node))):
        parsed = copy.copy(parsed)    # the rewritten code calls the runtime's add_at, an
        parsed.closure = dict(parsed.closure, _ad=runtime)    # assert its check_assertion
    return parsed


def _inlinable(namer):
    """`prepare(fn, inlined)` for expand_locals: a module-level function's FunctionDef,
    rewritten as the function differentiated is up to expand_locals, and its Parsed (which
    resolves the names it reads in its own module).  To be `inlined`, its names are kept
    clear of those `namer` makes, and its new names made by it; else (only looked at) by a
    namer of its own, so that looking changes nothing in the code generated."""
    def prepare(fn, inlined=False):
        parsed = frontend.parse(fn)
        node = S.clone(parsed.node)
        parsed = _rewritten(node, parsed)
        own = namer if inlined else Namer(set(S.names_in(node)) | reserved_names())
        own.taken.update(S.names_in(node))
        holder = SSAFunction(parsed, node, own, [a.id for a in node.args.args])
        rewrite_calls(holder)
        return node, _plain_statements(holder, own)
    return prepare


def _plain_statements(holder, namer):
    """Generator helpers' calls as lists (generators.py) and statements as plain ones
    (statements.py), in place; the Parsed the code then resolves names with (a try
    statement's probe bound in its closure, attempts.py)."""
    node, parsed = holder.node, holder.parsed
    if not is_generated(parsed.filename):     # (generated code consumes generators as lists)
        holder.generator = generators_as_lists(node, namer, holder.error, parsed.resolve)
    probes = plain_statements(node, namer, holder.error, parsed)
    if probes:     # a try statement's probe, read as a closure variable (attempts.py)
        parsed = holder.parsed = copy.copy(parsed)
        parsed.closure = dict(parsed.closure, **probes)
    return parsed


def classes_of(kinds):
    """{parameter: class} of the object arguments among argument kinds (analysis/kinds.py)."""
    return {p: k for p, k in (kinds or {}).items() if isinstance(k, type)}


def loop_walks(kinds):
    """{name: "keys" | "items"} for the parameters (and module-level values) whose kinds are
    known: a `for` loop walks a dict's keys and anything else's items by position.  One of
    unknown kind is left out: a loop over it asks at run time which it is.  None (generic
    code, whose parameters are numbers or arrays) for None."""
    if kinds is None:
        return None
    return {p: "keys" if kind == "dict" else "items" for p, kind in kinds.items()
            if isinstance(kind, str)}


def _statement_slots(node):
    """(block, position, statement) for every statement in node's blocks."""
    for stmt in list(S.statements(node)):
        for part in ("body", "orelse"):
            block = getattr(stmt, part, None)
            if isinstance(block, list):
                yield from ((block, k, s) for k, s in enumerate(block))


def _add_at_statements(node):
    """(block, position, call) for each statement `<something>.add.at(a, idx, v)` with a name
    for a."""
    for block, k, s in _statement_slots(node):
        call = s.value if isinstance(s, gast.Expr) else None
        if isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute) and \
                call.func.attr == "at" and isinstance(call.func.value, gast.Attribute) \
                and call.func.value.attr == "add" and len(call.args) == 3 and \
                not call.keywords and isinstance(call.args[0], gast.Name):
            yield block, k, call


def _functional_add_at(node):
    """In our own generated code, `np.add.at(x_bar, idx, g)` (the cotangent of a fancy index,
    added in place into an adjoint only that code refers to) -> `x_bar = _ad.add_at(x_bar,
    idx, g)`: the same value as a new array, which differentiating the code again can follow
    (a Hessian through `x[mask]`).  Likewise `x_bar[1:] += g` (at a basic index, into an
    adjoint the code owns) -> `x_bar = _ad.add_at(x_bar, slice(1, None, None), g)` where it is
    in a loop or a branch, or x_bar is assigned in one: there a write in place looks to the
    second differentiation like a write into an array that another name still reads.  In
    straight-line code it stays in place, which the second differentiation follows, and which
    costs no copy."""
    for block, k, call in list(_add_at_statements(node)):
        block[k] = gast.copy_location(S.assign(call.args[0].id, S.call("_ad.add_at", *call.args)),
                                      block[k])
    nested = {name for block, _, s in _statement_slots(node) if block is not node.body
              for name in S.names_in(s, gast.Store)}
    for block, k, s in list(_statement_slots(node)):
        if isinstance(s, gast.AugAssign) and (block is not node.body or any(
                n in nested for n in S.names_in(s.target, gast.Load))) \
                and isinstance(s.op, gast.Add) and isinstance(s.op, gast.Add) and \
                isinstance(s.target, gast.Subscript) and isinstance(s.target.value, gast.Name):
            name = s.target.value.id
            added = S.call("_ad.add_at", S.load(name), S.index_expression(s.target.slice), s.value)
            block[k] = gast.copy_location(S.assign(name, added), s)


def _scatter_adds_as_writes(node, parsed):
    """In the user's code, `np.add.at(a, idx, v)` (v added at idx, every time idx names a
    position) -> `_idx = idx; a[_idx] = _ad.add_at(a, _idx, v)[_idx]`: a write into a, which
    the compiler follows like any other (the tape, views and aliases of a), of the values
    np.add.at leaves there.  Returns whether it rewrote any."""
    found = False
    taken = set(S.names_in(node))
    for block, k, call in reversed(list(_add_at_statements(node))):
        root = call.func.value.value
        if not (isinstance(root, gast.Name) and parsed.resolve(root.id, None) is np):
            continue
        index = "_add_at_index"
        while index in taken:
            index += "_"
        taken.add(index)
        a, idx, v = call.args
        added = S.call("_ad.add_at", S.load(a.id), S.load(index), v)
        write = S.assign(gast.Subscript(value=S.load(a.id), slice=S.load(index),
                                        ctx=gast.Store()),
                         gast.Subscript(value=added, slice=S.load(index), ctx=gast.Load()))
        block[k:k + 1] = [gast.copy_location(S.assign(index, idx), block[k]),
                          gast.copy_location(write, block[k])]
        found = True
    return found


def _puts_along_axis_as_writes(node, parsed):
    """In the user's code, `np.put_along_axis(a, indices, values, axis)` -> `a[
    _ad.along_axis_index(a, indices, axis)] = values`: the write into a that it is, which the
    compiler follows like any other.  Returns whether it rewrote any."""
    found = False
    for block, k, s in list(_statement_slots(node)):
        call = s.value if isinstance(s, gast.Expr) else None
        if not (isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute) and
                call.func.attr == "put_along_axis" and isinstance(call.func.value, gast.Name)
                and parsed.resolve(call.func.value.id, None) is np):
            continue
        names = ("arr", "indices", "values", "axis")
        given = dict(zip(names, call.args), **{w.arg: w.value for w in call.keywords})
        if set(given) != set(names) or not isinstance(given["arr"], gast.Name):
            continue      # a form NumPy refuses, or a write into an expression: left refused
        index = S.call("_ad.along_axis_index", S.load(given["arr"].id), given["indices"],
                       given["axis"])
        write = S.assign(gast.Subscript(value=S.load(given["arr"].id), slice=index,
                                        ctx=gast.Store()), given["values"])
        block[k] = gast.copy_location(write, s)
        found = True
    return found


def _drop_parameters(node, names):
    args = node.args
    defaults = dict(zip([a.id for a in args.args][len(args.args) - len(args.defaults):],
                        args.defaults))
    args.args = [a for a in args.args if a.id not in names]
    kept = [a.id for a in args.args]
    first_default = next((k for k, p in enumerate(kept) if p in defaults), len(kept))
    args.defaults = [defaults[p] for p in kept[first_default:] if p in defaults]
    if len(args.defaults) != len(kept) - first_default:   # a gap: keep Python's rule simple
        args.defaults = []


def default_values(function):
    """{parameter: default value} as the function object holds them (`__defaults__`,
    `__kwdefaults__`): the values Python computed at `def`, in the scope of the `def`."""
    code = getattr(function, "__code__", None)
    if code is None:
        return {}
    positional = code.co_varnames[:code.co_argcount]
    values = dict(zip(positional[len(positional) - len(function.__defaults__ or ()):],
                      function.__defaults__ or ()))
    values.update(function.__kwdefaults__ or {})
    return values


def _check_signature(fn):
    args = fn.node.args
    fn.defaults = default_values(fn.parsed.fn)
    fn.kwonly = [a.id for a in args.kwonlyargs]
    for star, param in (("*", args.vararg), ("**", args.kwarg)):
        # left where no call says how many items (which keys) it holds (variadic.py)
        if param is not None:
            raise fn.error(param, f"`{star}{param.id}` is differentiated for the arguments a "
                                  f"call gives it, and here there is no call",
                           "Call the derivative with the arguments (its code is made for "
                           "them), or give ad.source an example=.")
    if args.kwonlyargs or args.posonlyargs:
        fn.params = [a.id for a in args.posonlyargs + args.args + args.kwonlyargs]
        args.args = args.posonlyargs + args.args + args.kwonlyargs
        args.posonlyargs, args.kwonlyargs, args.kw_defaults = [], [], []
        # the user's defaults stay in fn.defaults (give_signature): once keyword-only
        # parameters join the positional ones, a default may no longer fit Python's rule
        args.defaults = []


def _refuse_reserved_names(node, parsed):
    """`_ad` is the runtime module in generated code: a user's name `_ad` (a parameter, a
    variable, a module global read) would be taken for it.  (Its aliases `_ad_<name>` are
    chosen clear of the user's names: names.GeneratedNames.)  A function that reads `_ad` as
    the runtime itself (a derivative rule of ours, called where it cannot be inlined and
    differentiated again for a second order) means what generated code means by it."""
    names = [n for n in S.walk(node) if isinstance(n, gast.Name) and n.id == "_ad"]
    if names and all(isinstance(n.ctx, gast.Load) for n in names) and \
            parsed.resolve("_ad", None) is runtime:
        return
    if names:
        raise UnsupportedSyntaxError(
            "the name '_ad' is reserved for the code s2s_ad generates (its runtime helpers "
            "are `_ad`)", hint="Rename '_ad'.", location=parsed.location(names[0]))
