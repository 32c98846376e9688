"""`try` statements, rewritten into branches on the path the statement takes.

    try_as_branches(node, namer, error, scope) -> statements

Stage: front end, inside plain_statements (statements.py), on a `try` whose parts are already
rewritten.  The body must be straight-line: assignments to names, `assert` and `raise`.  The
statement

    try:                                    _steps, _handler, _caught = _ad.try_path(_probe, x)
        y = np.log(x)                       if _steps > 0:
        z = y * 2.0                 ->          y = np.log(x)
    except FloatingPointError as e:         if _steps > 1:
        z = 0.0 * x                             z = y * 2.0
    else:                                   if _handler == 0:
        z = z + 1.0                             z = z + 1.0
                                            elif _handler == 1:
                                                e = _caught
                                                z = 0.0 * x

runs the body once without derivatives in `_probe`, a function compiled apart from the body's
text (the same statements between counters, under the same `except` clauses), to find how
many statements ran to their end and which clause caught what the next one raised.  Then the
function runs those statements, and that clause, as ordinary code: each transform follows the
branches like any other (reverse mode records the path on its tape).  The statement that
raised is not run again, so the names it would have assigned keep their earlier values, as in
Python.

The body so runs twice.  The probe is given copies of the arrays, lists and dicts it reads, so
what it writes into them (`a[i] = v`, `x += v`, a helper that writes into its argument) is not
written twice; a body that writes into an attribute, calls a function for its effect, calls a
method that changes its object, or draws from np.random, is refused; so are a `return`,
`break` or `continue` in `finally` (it would swallow an exception the probe lets through).
An exception no clause catches propagates from the probe, before `finally` runs.
"""
import ast
import linecache

import gast

from s2s_ad.base import syntax as S

_CHANGING = {"append", "extend", "insert", "remove", "pop", "popitem", "clear", "update",
             "setdefault", "sort", "reverse", "fill", "resize", "put", "itemset", "add",
             "discard", "__setitem__", "__iadd__", "__delitem__"}
_HINT = "Compute what may raise in the `try` body with plain assignments (`y = f(x)`), and " \
    "do the rest after the `try` statement or in its `else` block."


class Scope:
    """What a probe needs of the function it is taken from: its locals (parameters and names
    it assigns), the names of its local functions, its closure values, the objects probes are
    bound to (`bound`, for the function's closure), and its name."""

    def __init__(self, node, closure, fn_globals):
        # (a `def` in the function has its own parameters: locals too, renamed with the
        # rest of its body where it is inlined)
        self.locals = {n.id for n in S.name_nodes(node)
                       if isinstance(n.ctx, (gast.Store, gast.Param))}
        self.functions = {s.name for s in S.statements(node)
                          if isinstance(s, gast.FunctionDef) and s is not node}
        self.closure, self.globals, self.name = closure, fn_globals, node.name
        self.bound = {}


def try_as_branches(node, namer, error, scope):
    if not node.handlers:      # try/finally: an exception propagates from the body itself
        return node.body + node.finalbody
    _check_body(node, error)
    _check_finally(node, error)
    reads = _names_read(node, scope, error)
    steps, handler, caught = (namer.fresh(n) for n in ("_steps", "_handler", "_caught"))
    probe = namer.fresh(f"_try_probe_{scope.name}")
    params = sorted(reads & scope.locals)
    free = sorted(n for n in reads - scope.locals if n in scope.closure or n == "_ad")
    scope.bound[probe] = _compile_probe(node, params, free, scope, steps, probe)
    out = [S.assign(S.tuple_([S.store(steps), S.store(handler), S.store(caught)], gast.Store()),
                    S.call("_ad.try_path", S.load(probe), *map(S.load, params)))]
    for k, stmt in enumerate(node.body):
        out.append(gast.If(test=gast.Compare(left=S.load(steps), ops=[gast.Gt()],
                                             comparators=[S.const(k)]),
                           body=[stmt], orelse=[]))
    choice = _handlers_chain(node, handler, caught)
    return S.located(out, node) + choice + node.finalbody


def _handlers_chain(node, handler, caught):
    """`if _handler == 0: else-block elif _handler == 1: first clause ...`."""
    chain = []
    for k in range(len(node.handlers), 0, -1):
        h = node.handlers[k - 1]
        body = ([S.located(S.assign(h.name.id, S.load(caught)), h)]
                if h.name is not None else []) + h.body
        test = gast.Compare(left=S.load(handler), ops=[gast.Eq()], comparators=[S.const(k)])
        chain = [S.located(gast.If(test=test, body=body, orelse=chain), h)]
    test = gast.Compare(left=S.load(handler), ops=[gast.Eq()], comparators=[S.const(0)])
    return [S.located(gast.If(test=test, body=node.orelse or [gast.Pass()], orelse=chain), node)]


def _check_body(node, error):
    for stmt in node.body:
        value = stmt.value if isinstance(stmt, (gast.Expr, gast.Assign)) else None
        guard = isinstance(stmt, gast.Expr) and isinstance(value, gast.Call) and \
            isinstance(value.func, gast.Attribute) and value.func.attr == "raise_exception"
        if isinstance(stmt, (gast.If, gast.For, gast.While, gast.Try, gast.With)):
            raise error(stmt, "a `try` whose body has a branch, a loop or a block of its own is "
                              "not supported: s2s_ad follows a straight-line body, one "
                              "statement after another", _HINT)
        if isinstance(stmt, (gast.Return, gast.Break, gast.Continue)):
            raise error(stmt, f"`{type(stmt).__name__.lower()}` in a `try` body is not "
                              f"supported", "Assign the result, and return after the `try`.")
        targets = stmt.targets if isinstance(stmt, gast.Assign) else \
            [stmt.target] if isinstance(stmt, gast.AugAssign) else []
        if not all(_written_locally(part) for t in targets for part in _target_parts(t)):
            raise error(stmt, "a `try` body that writes into an attribute, or into an item of "
                              "one, is not supported: the body runs twice (once to find which "
                              "way it goes), and an object is not copied for the first run",
                        "Assign to a name in the `try`, and write after it.")
        if isinstance(stmt, gast.Expr) and not guard and not isinstance(value, gast.Constant):
            raise error(stmt, "a call made for its effect in a `try` body is not supported: "
                              "the body runs twice (once to find which way it goes)",
                        "Make the call before or after the `try` statement.")
        if not isinstance(stmt, (gast.Assign, gast.AugAssign, gast.Expr, gast.Assert,
                                 gast.Pass)):
            raise error(stmt, "this statement in a `try` body is not supported", _HINT)
        for call in S.nodes_of(stmt, gast.Call):
            if isinstance(call.func, gast.Attribute) and call.func.attr in _CHANGING or \
                    "random" in S.names_in(call.func) or _attributes(call.func) & {"random"}:
                raise error(call, "a call that changes an object or draws random numbers in a "
                                  "`try` body is not supported: the body runs twice (once to "
                                  "find which way it goes)",
                            "Make the call before the `try` statement.")


def _written_locally(target):
    """`v`, `a[i]`, `a[i][j]`: a name, or an item of what a name holds (which the probe is
    given a copy of: runtime/statements.try_path)."""
    while isinstance(target, gast.Subscript):
        target = target.value
    return isinstance(target, gast.Name)


def _attributes(node):
    return {n.attr for n in S.walk(node) if isinstance(n, gast.Attribute)}


def _target_parts(target):
    if isinstance(target, (gast.Tuple, gast.List)):
        return [p for t in target.elts for p in _target_parts(t)]
    return [target]


def _check_finally(node, error):
    for stmt in S.statements(gast.Module(body=node.finalbody, type_ignores=[])):
        if isinstance(stmt, (gast.Return, gast.Break, gast.Continue)):
            raise error(stmt, f"`{type(stmt).__name__.lower()}` in a `finally` block is not "
                              f"supported", "Return after the `try` statement.")


def _names_read(node, scope, error):
    """The names the body reads before it assigns them, and those the `except` clauses'
    types read."""
    reads, assigned = set(), set()
    for stmt in node.body:
        for part in _parts_read(stmt):
            inner = set(S.names_in(part, gast.Store)) | {
                a.id for lam in S.nodes_of(part, gast.Lambda) for a in lam.args.args}
            reads |= set(S.names_in(part, gast.Load)) - inner - assigned
        if isinstance(stmt, gast.AugAssign) and isinstance(stmt.target, gast.Name):
            reads |= {stmt.target.id} - assigned
        if isinstance(stmt, gast.Assign):
            for target in stmt.targets:
                assigned |= {t.id for t in _target_parts(target) if isinstance(t, gast.Name)}
    for h in node.handlers:
        if h.type is not None:
            reads |= set(S.names_in(h.type, gast.Load))
    used = sorted(reads & scope.functions)
    if used:
        raise error(node, f"the local function '{used[0]}' in a `try` body is not supported",
                    "Define it at module level.")
    return reads


def _parts_read(stmt):
    """The expressions a statement of a straight-line body evaluates (an item's target too)."""
    if isinstance(stmt, gast.Assert):
        return [stmt.test] + ([stmt.msg] if stmt.msg is not None else [])
    if isinstance(stmt, gast.Expr):
        return [stmt.value]
    if isinstance(stmt, (gast.Assign, gast.AugAssign)):
        targets = stmt.targets if isinstance(stmt, gast.Assign) else [stmt.target]
        return [stmt.value] + [t for target in targets for t in _target_parts(target)
                               if not isinstance(t, gast.Name)]
    return []


def _compile_probe(node, params, free, scope, steps, name):
    """The probe: the body between counters, under the same `except` clauses, returning
    (statements run, clause number, exception)."""
    caught = "_probe_exception"
    body = [S.assign(steps, S.const(0))]
    for k, stmt in enumerate(node.body):
        body += [S.clone(stmt), S.assign(steps, S.const(k + 1))]
    handlers = []
    for k, h in enumerate(node.handlers):
        handlers.append(gast.ExceptHandler(
            type=S.clone(h.type) if h.type is not None else S.load("BaseException"),
            name=S.store(caught),
            body=[gast.Return(value=S.tuple_([S.load(steps), S.const(k + 1), S.load(caught)]))]))
    attempt = gast.Try(body=body, handlers=handlers, orelse=[], finalbody=[])
    done = gast.Return(value=S.tuple_([S.load(steps), S.const(0), S.const(None)]))
    fdef = S.function_def(name, params, [attempt, done])
    fdef.args.kwonlyargs = [S.store_param(n) for n in free]
    fdef.args.kw_defaults = [None] * len(free)
    module = gast.gast_to_ast(gast.Module(body=[fdef], type_ignores=[]))
    text = ast.unparse(ast.fix_missing_locations(module)) + "\n"
    filename = f"<s2s_ad {name}>"
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    namespace = {}
    exec(compile(text, filename, "exec"), scope.globals, namespace)
    probe = namespace[name]
    from s2s_ad import runtime
    probe.__kwdefaults__ = {n: runtime if n == "_ad" else scope.closure[n] for n in free}
    return probe
