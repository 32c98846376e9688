"""Normalise a desugared function to SSA form.

    to_ssa(node, namer, error) -> node

Stage: front end, the last pass of normalize (after desugar).
Input: the desugared function (source-level gast: `for NAME in range(...)`, `while NAME:`, one
`return`, the last statement).  Output: the same function in SSA form, which satisfies:
  * one operation per statement: every operand is an atom (a local name, a constant, or a
    reference to a global such as `np.pi`), every call's callee is a global reference or a
    method of an atom;
  * every local name is assigned once per straight-line region; the versions of a user
    variable `x` are `x`, `x_1`, `x_2`, ...;
  * after `if`, a variable that the branches left with different versions is joined by a copy
    at the end of each branch (`x_3 = x_1` / `x_3 = x_2`);
  * a variable carried around a loop keeps one name inside the loop, and the body ends with the
    copy `x = x_2` that carries the new value to the next iteration, or the statement computing
    x_2 assigns x itself where nothing after it reads the old x;
  * `for` loops run over `range(...)` of atoms, `while` loops test a name, and the only
    `return` is the last statement;
  * a view taken again with nothing written in between is a copy of the first (share_views).

The SSA function is ordinary Python and returns exactly what the original returns.
"""

import ast

import gast

from s2s_ad.base import syntax as S
from s2s_ad.base.naming import is_temporary
from s2s_ad.frontend.reads_writes import names_read, names_written, read_before_write
from s2s_ad.frontend.share_views import share_views


def to_ssa(node, namer, error):
    """`error(node, message, hint)` builds the DifferentiationError to raise."""
    params = [a.id for a in node.args.args]
    local_names = set(params) | names_written(node.body)
    namer.ssa_used = set()
    ssa = _SSA(namer, local_names, error)
    for p in params:
        ssa.env[p] = p
        namer.ssa_used.add(p)
        namer.user_of[p] = p
    ssa.block(node.body, live_after=set())
    node.body = ssa.out
    share_views(node)
    return node


class _SSA:
    def __init__(self, namer, local_names, error):
        self.namer = namer
        self.locals = local_names     # every name the function assigns, params included
        self.env = {}                 # user variable -> current SSA name
        self.out = []                 # statements of the block being built
        self.error = error

    # -- names ---------------------------------------------------------------------------
    def define(self, user_name):
        if user_name not in self.env and user_name not in self.namer.ssa_used:
            name = user_name
        else:
            name = self.namer.version(user_name)
        self.namer.ssa_used.add(name)
        self.namer.user_of[name] = user_name
        self.env[user_name] = name
        return name

    def emit(self, stmt, origin):
        gast.copy_location(stmt, origin)
        self.out.append(stmt)
        return stmt

    def temp(self, value, origin, node=None):
        name = self.namer.temp()
        self.namer.ssa_used.add(name)
        stmt = self.emit(S.assign(name, value), origin)
        if node is not None and getattr(node, "lineno", None) == stmt.lineno:
            stmt.col_offset = node.col_offset   # errors point at the sub-expression
        return S.load(name)

    def is_static(self, node):
        """A reference to a global or closure object: `np`, `np.linalg.norm`, `math.pi`."""
        while isinstance(node, gast.Attribute):
            node = node.value
        return isinstance(node, gast.Name) and node.id not in self.locals

    def is_transform_call(self, node):
        """`ad.grad(f)` with global arguments: a derivative made when the code is generated."""
        return isinstance(node, gast.Call) and self.is_static(node.func) and all(
            self.is_static(a) or isinstance(a, gast.Constant) for a in node.args) and all(
            isinstance(k.value, gast.Constant) or self.is_static(k.value) for k in node.keywords)

    # -- expressions -> atoms ------------------------------------------------------------
    def atom(self, node, origin):
        if isinstance(node, gast.Constant):
            return node
        if isinstance(node, gast.Name):
            if node.id in self.env:
                return S.load(self.env[node.id])
            if node.id in self.locals:
                raise self.error(node, f"local variable '{node.id}' is used before it is assigned",
                                 "Assign it on every path before this line.")
            return S.load(node.id)
        if self.is_static(node) and isinstance(node, gast.Attribute):
            return S.clone(node)
        value = self.operation(node, origin)
        if S.is_atom(value):
            return value
        return self.temp(value, origin, node)

    def operation(self, node, origin):
        """`node` as one operation whose operands are atoms (may emit statements before it)."""
        if isinstance(node, (gast.Name, gast.Constant)):
            return self.atom(node, origin)
        if isinstance(node, gast.BinOp):
            return gast.BinOp(left=self.atom(node.left, origin), op=node.op,
                              right=self.atom(node.right, origin))
        if isinstance(node, gast.UnaryOp):
            if isinstance(node.op, gast.UAdd):
                return self.atom(node.operand, origin)
            if isinstance(node.op, gast.USub) and isinstance(node.operand, gast.Constant) \
                    and isinstance(node.operand.value, (int, float, complex)):
                return S.const(-node.operand.value)
            return gast.UnaryOp(op=node.op, operand=self.atom(node.operand, origin))
        if isinstance(node, gast.Compare):
            return self.compare(node, origin)
        if isinstance(node, (gast.BoolOp, gast.IfExp)):
            return self.atom_via_statements(node, origin)
        if isinstance(node, gast.Call):
            return self.call(node, origin)
        if isinstance(node, gast.Attribute):
            if self.is_static(node):
                return S.clone(node)
            # located, so that a refusal of the attribute points at it (ops._attribute)
            return gast.copy_location(gast.Attribute(value=self.atom(node.value, origin),
                                                     attr=node.attr, ctx=gast.Load()), node)
        if isinstance(node, gast.Subscript):
            return gast.Subscript(value=self.atom(node.value, origin),
                                  slice=self.index(node.slice, origin), ctx=gast.Load())
        if isinstance(node, (gast.Tuple, gast.List)):
            if any(isinstance(e, gast.Starred) for e in node.elts):
                raise self.error(node, "starred items in a tuple or list are not supported",
                                 "Build the sequence explicitly.")
            return type(node)(elts=[self.atom(e, origin) for e in node.elts], ctx=gast.Load())
        if isinstance(node, gast.Dict):
            if any(k is None for k in node.keys):
                raise self.error(node, "`**` in a dict display is not supported",
                                 "Build the dict key by key.")
            return gast.Dict(keys=[self.atom(k, origin) for k in node.keys],
                             values=[self.atom(v, origin) for v in node.values])
        if isinstance(node, gast.Lambda):
            raise self.error(node, "a lambda passed to a library function (or returned) is "
                                   "not supported: s2s_ad follows a lambda through this "
                                   "function and through the functions of yours it is "
                                   "passed to", _HINTS[gast.Lambda])
        raise self.error(node, f"{_describe(node)} is not supported here",
                         _HINTS.get(type(node), "Rewrite it with plain statements."))

    def index(self, node, origin):
        if isinstance(node, gast.Slice):
            part = lambda p: None if p is None else self.atom(p, origin)
            return gast.Slice(lower=part(node.lower), upper=part(node.upper), step=part(node.step))
        if isinstance(node, gast.Tuple):
            return gast.Tuple(elts=[self.index(e, origin) for e in node.elts], ctx=gast.Load())
        return self.atom(node, origin)

    def compare(self, node, origin):
        left = self.atom(node.left, origin)
        if len(node.ops) == 1:
            return gast.Compare(left=left, ops=node.ops,
                                comparators=[self.atom(node.comparators[0], origin)])
        # a < b < c  ->  a < b and b < c, with b evaluated once
        operands = [left] + [self.atom(c, origin) for c in node.comparators]
        parts = [gast.Compare(left=operands[i], ops=[op], comparators=[operands[i + 1]])
                 for i, op in enumerate(node.ops)]
        return self.atom_via_statements(gast.BoolOp(op=gast.And(), values=parts), origin)

    def call(self, node, origin):
        for arg in node.args:
            if isinstance(arg, gast.Starred):
                raise self.error(arg, "`*args` in a call is not supported where the number "
                                      "of items is not known when the code is generated",
                                 "Pass the arguments one by one, or spread a tuple display "
                                 "assigned once (`t = (a, b)`, then `f(*t)`).")
        for kw in node.keywords:
            if kw.arg is None:
                raise self.error(kw.value, "`**kwargs` in a call is not supported where the "
                                           "keys are not known when the code is generated",
                                 "Pass the keyword arguments one by one, or spread a dict "
                                 "display assigned once (`d = {\"k\": v}`, then `f(**d)`).")
        func = node.func
        if self.is_static(func) or self.is_transform_call(func):
            func = S.clone(func)
        elif isinstance(func, gast.Attribute):
            func = gast.Attribute(value=self.atom(func.value, origin), attr=func.attr, ctx=gast.Load())
        else:
            func = self.atom(func, origin)
            if isinstance(func, gast.Name) and is_temporary(func.id):
                # a callee computed here (`fs[2](x)`): messages name it as the user wrote it
                self.namer.origins[func.id] = ast.unparse(gast.gast_to_ast(S.clone(node.func)))
        args = [self.atom(a, origin) for a in node.args]
        keywords = [gast.keyword(arg=k.arg, value=self.atom(k.value, origin)) for k in node.keywords]
        return gast.Call(func=func, args=args, keywords=keywords)

    def atom_via_statements(self, node, origin):
        """`a and b`, `a or b`, `x if c else y`: short-circuit, so lowered to an `if`."""
        result = self.namer.temp()
        self.locals.add(result)
        if isinstance(node, gast.IfExp):
            stmts = [gast.If(test=node.test, body=[S.assign(result, node.body)],
                             orelse=[S.assign(result, node.orelse)])]
        else:
            stmts = [S.assign(result, node.values[0])]
            for value in node.values[1:]:
                test = S.load(result)
                if isinstance(node.op, gast.Or):
                    test = gast.UnaryOp(op=gast.Not(), operand=test)
                stmts = stmts + [gast.If(test=test, body=[S.assign(result, value)], orelse=[])]
                # nest: `a and b and c` evaluates c only if a and b hold
            stmts = _nest_boolop(stmts)
        for stmt in stmts:
            for sub in S.walk(stmt):
                if isinstance(sub, gast.stmt):
                    gast.copy_location(sub, origin)
            self.statement(stmt, live_after={result})
        return S.load(self.env[result])

    # -- statements ----------------------------------------------------------------------
    def block(self, stmts, live_after):
        # Branches and loops need the names live after them: those live after the block and
        # those read by the statements that follow.  Only they ask (a set per statement would
        # make a long block quadratic).
        live = [live_after] * len(stmts)
        later = set()       # the names read by stmts[k + 1:]
        for k in range(len(stmts) - 1, -1, -1):
            if isinstance(stmts[k], (gast.If, gast.For, gast.While)):
                live[k] = live_after | later
            later |= names_read(stmts[k:k + 1])
        for k, stmt in enumerate(stmts):
            self.statement(stmt, live[k])

    def statement(self, s, live_after):
        if isinstance(s, gast.Assign):
            return self.assignment(s)
        if isinstance(s, gast.Expr):
            if isinstance(s.value, gast.Constant):
                return None  # docstring or bare constant
            value = self.operation(s.value, s)
            if isinstance(value, gast.Call):
                return self.emit(gast.Expr(value=value), s)
            return None
        if isinstance(s, gast.If):
            return self.if_statement(s, live_after)
        if isinstance(s, gast.For):
            return self.for_loop(s, live_after)
        if isinstance(s, gast.While):
            return self.while_loop(s, live_after)
        if isinstance(s, gast.Return):
            value = self.atom(s.value, s) if s.value is not None else S.const(None)
            value = self.name_output(value)
            return self.emit(gast.Return(value=value), s)
        if isinstance(s, gast.Pass):
            return None
        if isinstance(s, gast.Assert):    # a call, which the derivatives keep
            args = [self.atom(s.test, s)] + ([self.atom(s.msg, s)] if s.msg is not None else [])
            return self.emit(gast.Expr(value=S.call("_ad.check_assertion", *args)), s)
        raise self.error(s, f"{_describe(s)} is not supported",
                         _HINTS.get(type(s), "Rewrite it with plain statements."))

    def name_output(self, value):
        """`_t9 = a * b; return _t9` -> `out = a * b; return out`: the result gets a name."""
        last = self.out[-1] if self.out else None
        if isinstance(value, gast.Name) and is_temporary(value.id) and \
                isinstance(last, gast.Assign) and isinstance(last.targets[0], gast.Name) and \
                last.targets[0].id == value.id:
            name = self.namer.fresh("out")
            self.namer.ssa_used.add(name)
            last.targets[0] = S.store(name)
            return S.load(name)
        return value

    def assignment(self, s):
        value_node = s.value
        targets = s.targets
        if len(targets) > 1 or not isinstance(targets[0], gast.Name):
            value = self.atom(value_node, s)
            for target in targets:
                self.assign_target(target, value, s)
            return None
        value = self.operation(value_node, s)
        self.emit(S.assign(self.define(targets[0].id), value), s)
        return None

    def assign_target(self, target, value, origin):
        if isinstance(target, gast.Name):
            self.emit(S.assign(self.define(target.id), value), origin)
        elif isinstance(target, (gast.Tuple, gast.List)):
            if all(isinstance(t, gast.Name) for t in target.elts):
                names = [self.define(t.id) for t in target.elts]
                self.emit(S.assign(S.tuple_([S.store(n) for n in names], gast.Store()), value), origin)
            else:
                for i, t in enumerate(target.elts):
                    item = self.temp(gast.Subscript(value=value, slice=S.const(i), ctx=gast.Load()),
                                     origin)
                    self.assign_target(t, item, origin)
        elif isinstance(target, gast.Subscript):
            base = self.atom(target.value, origin)
            index = self.index(target.slice, origin)
            self.emit(S.assign(gast.Subscript(value=base, slice=index, ctx=gast.Store()), value), origin)
        elif isinstance(target, gast.Attribute):
            # `obj.h = v` is a new version of obj (object_writes.py); an attribute of an
            # attribute, or one among several targets, is not rewritten
            raise self.error(target, f"assignment to the attribute '.{target.attr}' here is "
                                     f"not supported",
                             "Assign one attribute of a name per statement (`obj.h = v`); for "
                             "an object another holds, make it anew (`obj.inner = Inner(h=v, "
                             "c=obj.inner.c)`).")
        else:
            raise self.error(target, f"assignment to {_describe(target)} is not supported",
                             "Assign to a local variable or an array element.")

    def nested(self, stmts, live_after):
        """Build `stmts` as a separate block starting from the current env."""
        saved_out, saved_env = self.out, self.env
        self.out, self.env = [], dict(saved_env)
        self.block(stmts, live_after)
        out, env = self.out, self.env
        self.out, self.env = saved_out, saved_env
        return out, env

    def if_statement(self, s, live_after):
        test = self.atom(s.test, s)
        body, env_body = self.nested(s.body, live_after)
        orelse, env_else = self.nested(s.orelse, live_after)
        for var in sorted(set(env_body) | set(env_else)):
            b, e = env_body.get(var), env_else.get(var)
            if b == e or var not in live_after:
                if b == e and b is not None:
                    self.env[var] = b
                continue
            joined = self.namer.version(var) if var in self.env or var in self.namer.ssa_used \
                else var
            self.namer.ssa_used.add(joined)
            self.namer.user_of[joined] = var
            # A variable that one branch never binds is None there (Python would leave it
            # unbound; the original code cannot read it on that path).
            body.append(gast.copy_location(
                S.assign(joined, S.load(b) if b is not None else S.unbound()), s))
            orelse.append(gast.copy_location(
                S.assign(joined, S.load(e) if e is not None else S.unbound()), s))
            self.env[var] = joined
        self.emit(gast.If(test=test, body=body or [gast.Pass()], orelse=orelse), s)

    def loop_carried(self, s, live_after, extra_reads=()):
        assigned = names_written(s.body)
        reads = names_read(s.body) | set(extra_reads)
        carried = {}
        for var in sorted(assigned):
            if var in reads or var in live_after:
                if var in self.env:
                    carried[var] = self.env[var]
                elif var in live_after or read_before_write(var, s.body):
                    # first bound inside the loop, maybe not in every iteration: it starts as
                    # None (where Python would leave it unbound), so every path can carry it
                    carried[var] = self.define(var)
                    self.emit(S.assign(carried[var], S.unbound()), s)
        return carried

    def finish_loop(self, s, carried, body, env_body):
        for var, name in carried.items():
            new = env_body.get(var, name)
            if new != name and not _coalesce(body, name, new):
                body.append(gast.copy_location(S.assign(name, S.load(new)), s))
        for var, name in env_body.items():
            self.env[var] = carried.get(var, name)

    def for_loop(self, s, live_after):
        rng = s.iter
        rng = gast.Call(func=S.clone(rng.func), args=[self.atom(a, s) for a in rng.args],
                        keywords=[])
        carried = self.loop_carried(s, live_after)
        saved = dict(self.env)
        self.env.update(carried)
        before = self.env.get(s.target.id)
        target = self.define(s.target.id)
        if s.target.id in live_after:
            # read after the loop, which may run no iteration: then it keeps its value
            self.emit(S.assign(target, S.load(before) if before else S.unbound()), s)
        body, env_body = self.nested(s.body, live_after | names_read(s.body) | set(carried))
        self.env = saved
        self.env[s.target.id] = target
        self.finish_loop(s, carried, body, env_body)
        loop = gast.For(target=S.store(target), iter=rng, body=body or [gast.Pass()], orelse=[],
                        type_comment=None)
        self.emit(loop, s)

    def while_loop(self, s, live_after):
        carried = self.loop_carried(s, live_after, extra_reads={s.test.id})
        body, env_body = self.nested(s.body, live_after | names_read(s.body) | set(carried) | {s.test.id})
        self.finish_loop(s, carried, body, env_body)
        test = S.load(carried.get(s.test.id, self.env[s.test.id]))
        self.emit(gast.While(test=test, body=body or [gast.Pass()], orelse=[]), s)


def _coalesce(body, name, new):
    """Let the statement of the loop body that computes `new` assign the loop-carried `name`
    itself, instead of the copy `name = new` at the end of the body, where nothing after it
    reads the old value of `name`: `_t1 = h @ W; h_1 = np.tanh(_t1); h = h_1` ->
    `_t1 = h @ W; h = np.tanh(_t1)`.
    Then a reverse sweep saves and restores one name where it would save both (the two hold
    the same value from the second iteration on).  False where that statement is nested or
    unpacks."""
    for i, stmt in enumerate(body):
        if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and \
                isinstance(stmt.targets[0], gast.Name) and stmt.targets[0].id == new:
            rest = body[i + 1:]
            # a statement never reads the name it assigns (a reverse sweep restores the old
            # value after the statement's adjoint, which may need it)
            if name in names_read([stmt] + rest) or new in names_written(rest):
                return False
            stmt.targets[0] = S.store(name)
            for n in (n for later in rest for n in S.walk(later)):
                if isinstance(n, gast.Name) and n.id == new:
                    n.id = name
            return True
    return False


def _nest_boolop(stmts):
    """[r = a, if r: r = b, if r: r = c] -> [r = a, if r: (r = b; if r: r = c)]."""
    first, ifs = stmts[0], stmts[1:]
    for inner, outer in zip(reversed(ifs[1:]), reversed(ifs[:-1])):
        outer.body = outer.body + [inner]
    return [first] + ifs[:1]


def _describe(node):
    names = {gast.Lambda: "a lambda", gast.ListComp: "a list comprehension",
             gast.GeneratorExp: "a generator expression", gast.DictComp: "a dict comprehension",
             gast.SetComp: "a set comprehension", gast.Yield: "`yield`", gast.YieldFrom: "`yield from`",
             gast.Await: "`await`", gast.Try: "`try`", gast.With: "`with`",
             gast.FunctionDef: "a nested function definition", gast.ClassDef: "a class definition",
             gast.Global: "`global`", gast.Nonlocal: "`nonlocal`", gast.Delete: "`del`",
             gast.Raise: "`raise`", gast.Import: "`import`", gast.ImportFrom: "`import`",
             gast.Starred: "a starred expression", gast.Set: "a set display",
             gast.JoinedStr: "an f-string", gast.NamedExpr: "an assignment expression (:=)",
             gast.Attribute: "an attribute"}
    return names.get(type(node), type(node).__name__)


_HINTS = {
    gast.Yield: "Yield as a statement in a generator helper, consumed whole (README, "
                "\"Python supported\"), or return a list.",
    gast.YieldFrom: "Yield as a statement in a generator helper, consumed whole (README, "
                    "\"Python supported\"), or return a list.",
    gast.Await: "Differentiate a plain (not async) function.",
    gast.Delete: "Drop the `del`: names go out of scope when the function returns.",
    gast.Try: "Give the `try` a straight-line body (README, \"Python supported\").",
    gast.With: "Move the `with` block outside the differentiated function.",
    gast.Raise: "Check inputs outside the differentiated function, or use `assert`.",
    gast.Lambda: "Call it here, or pass it to a function of yours (which s2s_ad then "
                 "inlines, the lambda with it).",
    gast.ListComp: "Write the loop out with `for` and `append`.",
    gast.GeneratorExp: "Write the loop out with `for`.",
    gast.Global: "Pass the value in as an argument and return the new value.",
    gast.Nonlocal: "Pass the value in as an argument and return the new value.",
    gast.FunctionDef: "Define the helper at module level.",
    gast.ClassDef: "Define the class at module level.",
    gast.Import: "Import at module level.",
    gast.ImportFrom: "Import at module level.",
}
