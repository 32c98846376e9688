"""Calls to user functions: what the transforms need to know of each callee.

    callee_ssa(fn, kinds)          the callee's SSA form for the caller's argument kinds
    mutated_params(fn)             the parameters it writes into (itself or through its calls)
    annotate_writes(fn, ops, ..)   on each call, which arguments the callee writes into

The transforms generate each callee's functions (transforms/program.py) from these facts.
"""
from s2s_ad.base import syntax as S
from s2s_ad.base.errors import DifferentiationError
from s2s_ad.frontend.normalize import classes_of, loop_walks, normalize
from s2s_ad.analysis.ops import bind_call


def callee_ssa(fn, kinds, statics=None):
    """A called function's SSA form for the caller's argument kinds, and the parameters its
    `p += v` writes into (see in_place_updates)."""
    in_place = in_place_updates(fn, kinds)
    ssa = normalize(fn, statics, in_place, loop_walks(kinds), callee=True,
                    classes=classes_of(kinds))
    refuse_parameter_updates(ssa, kinds)
    return ssa, in_place


def static_functions(bound, fn, callee=None):
    """{parameter: function} for arguments that are functions known now: a module-level
    function, or a NumPy or math function (`np.tanh`), passed by name or left to the
    callee's default (`def layer(x, act=np.tanh)`).  Calls of the parameter in the callee
    are then calls of that function, differentiated by its rule or its source."""
    import gast
    from s2s_ad.frontend.resolve import resolve_static
    out = {}
    for p, node in bound.items():
        root = node
        while isinstance(root, gast.Attribute):
            root = root.value
        if isinstance(root, gast.Name) and root.id not in fn.params and \
                not _is_assigned(root.id, fn):
            obj = resolve_static(node, fn)
            if _is_static_callable(obj):
                out[p] = obj
    if callee is not None:
        import inspect
        for p, param in inspect.signature(callee).parameters.items():
            if p not in bound and _is_static_callable(param.default):
                out[p] = param.default
    return out


def _is_static_callable(obj):
    import types
    import numpy as np
    return isinstance(obj, (types.FunctionType, types.BuiltinFunctionType, np.ufunc))


def _is_assigned(name, fn):
    import gast
    return any(isinstance(n, gast.Name) and n.id == name and isinstance(n.ctx, gast.Store)
               for n in S.walk(fn.node))


def callee_kinds(ssa, kinds):
    """A callee's parameters have the kinds of the caller's arguments (None where unknown,
    which keeps the generic code paths)."""
    return {p: kinds.get(p) for p in ssa.params}


def argument_kinds(bound, kind_of_atom):
    """{parameter: kind} at a call site, from the caller's knowledge of its arguments."""
    return {p: kind_of_atom(node) for p, node in bound.items()}


def argument_shapes(bound, shapes):
    """{parameter: shape} at a call site: the shapes the caller is certain of (its `shapes`,
    from analysis/shapes.py), for the arguments passed by name."""
    import gast
    return {p: tuple(shapes[node.id]) for p, node in bound.items()
            if isinstance(node, gast.Name) and shapes.get(node.id) is not None}


def in_place_updates(fn, kinds):
    """The parameters of the called function `fn` that it updates with `p += v` and that the
    caller does not pass a number for ({parameter: kind}): for an array the update writes into
    the caller's array (see desugar), while for a number it makes a new value.  Where the kind
    is not known either, refuse_parameter_updates refuses the call once it is differentiated."""
    from s2s_ad.frontend.shared_updates import in_place_parameter_updates
    from s2s_ad.frontend.source import parse
    try:
        node = parse(fn).node
    except DifferentiationError:   # no source: the transforms say why where they parse it
        return frozenset()
    return frozenset(s.target.id for s in in_place_parameter_updates(node)
                     if kinds.get(s.target.id) != "scalar")


def refuse_parameter_updates(ssa, kinds):
    """In a called function, `p += v` on a parameter writes into the caller's array if it is
    an array, and makes a new value if it is a number: refused where the caller's argument
    may be either."""
    from s2s_ad.frontend.shared_updates import in_place_parameter_updates
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
    from s2s_ad.analysis.aliasing import check_writes
    from s2s_ad.analysis.kinds import infer_kinds
    from s2s_ad.analysis.ops import describe
    from s2s_ad.analysis.activity import simple_statements
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
    except DifferentiationError as exc:   # a callee that cannot be read: its own transform says why
        if getattr(exc, "object_change", False):     # refused at a call (annotate_writes)
            del _WRITES[key]
            raise
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


def written_syntactically(ssa, ops):
    """The parameters a function writes into by its own statements (`p[i] = v`, appends and
    pops) or through its calls, read from the statements alone, without the checks."""
    from s2s_ad.analysis.aliasing import updated_lists
    bases = {op.args[0].id for op in ops.values() if op.kind == "setitem"}
    bases |= {name for op in ops.values() for name in op.writes}
    return (bases & set(ssa.params)) | updated_lists(ssa, ops)


def annotate_writes(fn, ops, kinds):
    """Record, on each call to a user function, which of its arguments the callee writes into
    (`kinds`: what the caller knows of its values)."""
    import gast
    from s2s_ad.analysis.activity import simple_statements
    from s2s_ad.analysis.kinds import atom_kind
    from s2s_ad.analysis.ops import is_user_function
    for stmt in simple_statements(fn.node.body):
        op = ops[id(stmt)]
        if op.kind != "call" or not is_user_function(op.fn):
            continue
        bound = bind_call(op, stmt, fn)
        _refuse_attribute_changes(op, stmt, bound, fn)
        arrays = in_place_updates(op.fn, argument_kinds(bound, lambda n: atom_kind(n, kinds)))
        written = mutated_params(op.fn, arrays)
        if written:
            op.writes = [bound[p].id for p in written
                         if p in bound and isinstance(bound[p], gast.Name)]


def _refuse_attribute_changes(op, stmt, bound, fn):
    """A called function that assigns an attribute of an object its caller gives it
    (`self.h = v` in a method): the derivative code makes a new object there
    (frontend/object_writes.py), which the caller would not see.  Refused at the call."""
    import gast
    from s2s_ad.frontend.object_writes import assigned_attributes, returned_parameters
    try:
        changed = assigned_attributes(op.fn)
        returned = returned_parameters(op.fn) if _assigns_attributes(fn) else ()
    except DifferentiationError:     # no source: its own transform says why
        return
    for param in returned:
        if isinstance(bound.get(param), gast.Name):
            exc = fn.error(stmt, f"{op.name} returns the object it is given as '{param}', "
                                 f"which another name then holds while this function assigns "
                                 f"attributes (the new versions would not be seen there)",
                           "Keep one name for the object (`obj = f(obj)`, not `other = "
                           "f(obj)`), or return a new object.")
            exc.object_change = True
            raise exc
    for param, attr in changed:
        if param in bound and not isinstance(bound[param], gast.Constant):
            exc = fn.error(stmt, f"{op.name} assigns '{param}.{attr}' of an object this "
                                 f"function gives it, a change the derivative code does not "
                                 f"pass back",
                           f"Return the new value and assign it here (`obj.{attr} = "
                           f"step(obj, ...)`), or keep it in a local name of the called "
                           f"function.")
            exc.object_change = True
            raise exc


def _assigns_attributes(fn):
    """Does the SSA function assign attributes (`_ad.with_field`, object_writes.py)?"""
    import gast
    return any(isinstance(n, gast.Call) and isinstance(n.func, gast.Attribute) and
               n.func.attr == "with_field" and isinstance(n.func.value, gast.Name) and
               n.func.value.id == "_ad" for n in S.walk(fn.node))

