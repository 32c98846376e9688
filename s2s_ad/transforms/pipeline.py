"""The pipeline, written down once, in order.

    frontend.normalize (parse -> desugar -> to_ssa) -> (reverse.vjp | forward.jvp)
        -> backend.optimize -> backend.codegen

`build(fn, mode, wrt, options)` runs it and returns a Generated: the source text and the compiled
function.  Each stage can be printed on its own: `ad.source(f, "ssa")` stops after to_ssa.
"""
import contextlib
import gc
import sys
from dataclasses import dataclass, field

import gast

from s2s_ad.base import syntax as S
from s2s_ad.base.errors import DifferentiationError, UnsupportedSyntaxError
from s2s_ad.frontend.normalize import classes_of, loop_walks, normalize, user_names


@dataclass
class Generated:
    """A compiled derivative: the text a person reads and the function that runs it."""
    source: str
    function: object
    name: str
    dependencies: list = field(default_factory=list)   # user functions the code calls into
    seed_name: str = None     # the keyword that takes the cotangent, in vjp mode
    batch: tuple = None       # batched modes: (batch size, shapes of the basis' values)
    written: tuple = ()       # the parameters the function writes into (copied first)


def generate(fn, mode, wrt=(), *, has_aux=False, arg_kinds=None, optimize=True,
             arg_shapes=None, hooks=()):
    """The gast FunctionDef and names for one mode of `fn` (no compilation).  `hooks`: the
    user's variables whose adjoints (tangents) the generated code hands to `_ad_hooks[name]`."""
    from s2s_ad.transforms import forward
    from s2s_ad.transforms import reverse
    from s2s_ad.backend.optimize import optimize as run_optimizer
    from s2s_ad.backend.names import GeneratedNames
    from s2s_ad.transforms.program import Program
    walks = loop_walks(arg_kinds)
    ssa = normalize(fn, walks=walks, classes=classes_of(arg_kinds))
    if mode == "ssa":
        return ssa.node, GeneratedNames(ssa.parsed, ssa.params), ssa, Program()
    # Without argument kinds the code is generic over numbers and arrays.
    kinds = dict(arg_kinds) if arg_kinds is not None else {p: "num" for p in ssa.params}
    if mode == "grad" and not has_aux and not hooks and len(wrt) == 1 and kinds.get(wrt[0]) == "scalar" \
            and set(wrt) <= set(ssa.params):
        try:
            node, names, program = forward.gradient(ssa, wrt[0], arg_kinds=kinds,
                                                    arg_shapes=arg_shapes)
            mode = "forward-grad"
        except DifferentiationError:   # e.g. a call whose rule has a VJP but no JVP
            # a fresh copy: the attempt used up names
            ssa = normalize(fn, walks=walks, classes=classes_of(arg_kinds))
    # "vjp_batched", "jvp_batched": derivatives with a leading batch axis (batching.py), which
    # jacrev and jacfwd call once on a whole basis
    hints = {}        # what the reverse modes know of sizes and saves (for the optimizer)
    if mode == "forward-grad":
        pass
    elif mode in ("grad", "vjp", "value_and_grad", "vjp_batched"):
        seed = "one" if mode in ("grad", "value_and_grad") else "given"
        node, names, program, hints = reverse.vjp(ssa, list(wrt), seed=seed,
                                  return_value=mode == "value_and_grad", has_aux=has_aux,
                                  arg_kinds=kinds, arg_shapes=arg_shapes,
                                  name=f"{ssa.node.name}_{_SUFFIX.get(mode, 'grad')}",
                                  batched=mode == "vjp_batched", hooks=hooks)
    elif mode in ("jvp", "tangent", "jvp_batched"):   # "tangent": the JVP alone, as hvp uses it
        node, names, program = forward.jvp(ssa, list(wrt), arg_kinds=kinds, has_aux=has_aux,
                                           arg_shapes=arg_shapes, tangent_only=mode == "tangent",
                                           batched=mode == "jvp_batched", hooks=hooks,
                                           name=f"{ssa.node.name}_{_SUFFIX.get(mode, 'jvp')}")
    else:
        raise ValueError(f"unknown mode {mode!r}")
    if optimize:
        node = run_optimizer(node, user_names(ssa), namespace=_namespace(names, ssa.parsed),
                             **hints)
        for unit in program.units:
            unit.nodes = [run_optimizer(n, set(S.names_in(unit.parsed.node)),
                                        namespace=_namespace(unit.names, unit.parsed))
                          for n in unit.nodes]
    _refuse_shadowed_builtins(ssa.parsed, [node])
    for unit in program.units:
        _refuse_shadowed_builtins(unit.parsed, unit.nodes)
    return node, names, ssa, program


# builtins the generated code calls by name (loops: `for i in reversed(range(len(xs)))`)
_GENERATED_BUILTINS = ("len", "range", "reversed", "list", "tuple", "zip", "enumerate", "slice",
                       "float", "int", "isinstance", "type")


def _namespace(names, parsed):
    """name -> object for the global names of generated code: its own (`_ad`, `np` where the
    user's module has no `np`), then the user's function's (see optimize)."""
    def denotes(name):
        return names.own[name] if name in names.own else parsed.resolve(name, None)
    return denotes


def _refuse_shadowed_builtins(parsed, nodes):
    """A generated function calling `len` where the user's function binds `len` itself (a
    parameter named `len`) would call the user's value: refuse, naming the parameter."""
    bound = {a.id for a in parsed.node.args.args + parsed.node.args.kwonlyargs} | \
        set(S.names_in(parsed.node, gast.Store))
    shadowed = bound.intersection(_GENERATED_BUILTINS)
    if not shadowed:
        return
    for node in nodes:
        for call in S.nodes_of(node, gast.Call):
            if isinstance(call.func, gast.Name) and call.func.id in shadowed:
                name = call.func.id
                where = next((a for a in parsed.node.args.args + parsed.node.args.kwonlyargs
                              if a.id == name), parsed.node)
                raise UnsupportedSyntaxError(
                    f"'{name}' is a name of {parsed.name}, and the derivative's code calls the "
                    f"builtin {name}() (to run its loops backwards)",
                    hint=f"Rename '{name}' (for example to '{name}_'), so that both can be "
                         f"used.", location=parsed.location(where))


_SUFFIX = {"vjp": "vjp", "vjp_batched": "vjp_batched", "jvp_batched": "jvp_batched",
           "value_and_grad": "value_and_grad"}


@contextlib.contextmanager
def deep_expressions():
    """Room for the passes' recursion over expressions as deep as Python compiles (a sum of
    400 terms is a BinOp 400 deep, three frames a level in an ast visitor)."""
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(max(before, _RECURSION_LIMIT))
    try:
        yield
    finally:
        sys.setrecursionlimit(before)


_RECURSION_LIMIT = 20000


@contextlib.contextmanager
def collector_paused():
    """The cyclic garbage collector off while a derivative is built.  A transform makes tree
    nodes by the hundred thousand, most of which live until it ends; CPython runs a full
    collection, a walk over every object of the process, each time the objects that survived
    grow by a quarter of those it found the time before, so that a long function took time
    growing with the square of its length (a third of all the time at 3,000 statements).
    Reference counting still frees each node when it is dropped; the few cycles made meanwhile
    wait for the next collection after the transform."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def build(fn, mode, wrt=(), *, has_aux=False, arg_kinds=None, optimize=True, arg_shapes=None,
          hooks=()):
    """Transform, print and compile one derivative of `fn`."""
    with deep_expressions(), collector_paused():
        return _build(fn, mode, wrt, has_aux, arg_kinds, optimize, arg_shapes, hooks)


def _build(fn, mode, wrt, has_aux, arg_kinds, optimize, arg_shapes, hooks=()):
    from s2s_ad.backend.codegen import compile_function, to_source
    node, names, ssa, program = generate(fn, mode, wrt, has_aux=has_aux, arg_kinds=arg_kinds,
                                         arg_shapes=arg_shapes,
                                         optimize=optimize, hooks=hooks)
    source = to_source(node)
    user = ssa.parsed
    own = dict(names.own, **{n: None for n in program.function_names()})
    function = compile_function(source, node.name, user.fn.__globals__, own, user.closure,
                                user.cells, own_lists=names.lists, origin=(user.filename, node))
    program.compile([function])
    seed = node.args.kwonlyargs[0].id if node.args.kwonlyargs and \
        mode in ("vjp", "vjp_batched") else None
    return Generated(source + program.source(), function, node.name, program.dependencies, seed,
                     program.batch, program.written)


def compile_ssa(fn, shape=None):
    """The SSA form of `fn` as a runnable function (what `ad.source(fn, "ssa")` prints); for
    fn taking `*xs` or `**kw`, specialised to the call shape `shape` (frontend/variadic.py)."""
    from s2s_ad.backend.codegen import compile_function, to_source
    from s2s_ad.frontend import variadic
    ssa = normalize(fn if shape is None else variadic.specialised(fn, *shape))
    return compile_function(to_source(ssa.node), ssa.node.name, ssa.parsed.fn.__globals__, {},
                            ssa.parsed.closure, ssa.parsed.cells)
