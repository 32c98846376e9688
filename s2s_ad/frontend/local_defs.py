"""Local functions and comprehensions, rewritten into plain statements before desugaring.

    expand_locals(node, namer, error) -> node

* A function defined in the body (`def g(v): ...` or `g = lambda v: ...`) and only called there
  is inlined at each call: its parameters and locals get fresh names, the names it does not
  assign are the enclosing function's (a closure sees their current values), and its result
  is a fresh variable computed just before the statement that used the call.
* A list comprehension or generator expression becomes a loop that appends to a fresh list:

      total = sum(w[i] * x[i] for i in range(n))
  ->  _list = []
      for _i in range(n):
          _list.append(w[_i] * x[_i])
      total = sum(_list)

Both are hoisted to just before the statement that uses them, so they are computed in the
order Python computes them.  Inside `x if c else y` and `and`/`or` the hoisted statements go
into an `if` statement, so they run only where Python runs them; in a `while` condition they
are refused.
"""

import gast

from s2s_ad.base import syntax as S
from s2s_ad.frontend import higher_order
from s2s_ad.frontend.function_values import FunctionValues, Partial, Static


_HOISTABLE = (gast.ListComp, gast.GeneratorExp, gast.DictComp, gast.Dict, gast.List,
              gast.Tuple, gast.Set, gast.Call)    # the nodes _hoisted may accept


def expand_locals(node, namer, error, resolve=None, prepare=None, closure=None):
    """`resolve(name, default)`: what a free name is bound to, to recognise the built-ins
    that higher_order rewrites (None: none is).  `prepare(fn)`: a module-level function's
    FunctionDef and Parsed, ready to be inlined (function_values); `closure`, a dict, gets
    the objects the expanded code's new free names denote."""
    functions = {}
    values = FunctionValues(resolve, prepare, error)
    partials = higher_order.expand_partials(node, namer, error, resolve)
    node.body = _collect(node.body, functions, namer, error)
    for name in functions:
        for sub in S.walk(node):
            if isinstance(sub, gast.Name) and sub.id == name and isinstance(sub.ctx, gast.Store):
                raise error(sub, f"the local function '{name}' is reassigned",
                            "Give the new value another name.")
    expander = _Expander(functions, namer, error)
    expander.fv, expander.resolve = values, values.resolve
    expander.locals = {a.id for a in node.args.args} | {
        n.id for n in S.walk(node) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
    values.count_stores(node, [a.id for a in node.args.args])
    for name, (func, args, keywords) in partials.items():
        value = values.value_of(expander, func)
        if value is None:
            raise error(func, f"'{name}', a functools.partial of this function, is used "
                              f"other than called", "Call it where it is defined, or define "
                              "a function with `def`.")
        values.aliases[name] = Partial(value, tuple(args), tuple(keywords))
    node.body = expander.block(node.body)
    values.fill(node)
    _replace_aliases(node, values.aliases, error)
    if functions:
        _refuse_values(node, functions, error)
    if closure is not None:
        closure.update(values.extra)
    return node


def _replace_aliases(node, aliases, error):
    """The names left of the aliases of function values (their calls were expanded): a
    module-level function's name is the function's own; a local function's, refused where
    it is passed on (_refuse_values); a partial's, refused here."""
    for parent in S.walk(node):
        for field, value in gast.iter_fields(parent):
            items = value if isinstance(value, list) else [value]
            for k, child in enumerate(items):
                if not (isinstance(child, gast.Name) and child.id in aliases and
                        isinstance(child.ctx, gast.Load)):
                    continue
                alias = aliases[child.id]
                if isinstance(alias, Partial):
                    raise error(child, f"'{child.id}', a functools.partial, is passed to a "
                                       f"function that is not inlined (a library function) "
                                       f"or returned", "Call it here, or pass it to a "
                                       "function of yours.")
                new = S.clone(alias.node) if isinstance(alias, Static) else \
                    gast.copy_location(S.load(alias.name), child)
                if isinstance(value, list):
                    value[k] = new
                else:
                    setattr(parent, field, new)


def _refuse_values(node, functions, error):
    """Raise where a local function is left as a value (passed to a library function such as
    `odeint(rhs, ...)`, returned) after its calls were inlined: its definition is gone,
    so the generated code would fail on its name, or a derivative through what it reads would
    be lost."""
    for sub in S.walk(node):
        if isinstance(sub, gast.Name) and sub.id in functions and isinstance(sub.ctx, gast.Load):
            what = "a lambda" if sub.id.startswith("lambda") else \
                f"the local function '{sub.id}'"
            raise error(sub, f"{what} is used as a value that leaves the code s2s_ad follows "
                             "(passed to a library function, or returned): it inlines a local "
                             "function in this function and in the functions of yours it is "
                             "passed to",
                        "Define it at module level and pass it what it reads from this "
                        "function as arguments, or call it here.")


def _collect(stmts, functions, namer, error):
    """`stmts` without the local functions defined in them (at the top or in a loop's body),
    which go into `functions` ({name: FunctionDef}).  A definition leaves its defaults behind,
    assigned to fresh names where it stood: Python evaluates them there, once per definition
    (`lambda v, k=k: v * k` made in a loop keeps each pass's k)."""
    body = []
    for stmt in stmts:
        fdef = _local_function(stmt, error)
        if fdef is None:
            if isinstance(stmt, (gast.For, gast.While)):
                stmt.body = _collect(stmt.body, functions, namer, error)
            body.append(stmt)
            continue
        if fdef.name in functions:
            raise error(stmt, f"the local function '{fdef.name}' is defined twice",
                        "Give the second function another name.")
        functions[fdef.name] = fdef
        fdef.default_names = {}      # parameter -> the name its default is assigned to
        args = fdef.args
        first = len(args.args) - len(args.defaults)
        given = [(a.id, d) for a, d in zip(args.args[first:], args.defaults)] + \
            [(a.id, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None]
        for param, default in given:
            name = fdef.default_names[param] = namer.fresh(f"_{param}_{fdef.name}_default")
            body.append(gast.copy_location(S.assign(name, default), default))
    return body


def _local_function(stmt, error):
    """The FunctionDef that `stmt` defines (`def g(v): ...`, `g = lambda v: ...`), or None."""
    if isinstance(stmt, gast.FunctionDef):
        if stmt.decorator_list:
            raise error(stmt, f"the local function '{stmt.name}' has decorators",
                        "Define it at module level.")
        return stmt
    if isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.Lambda) and \
            len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name):
        lam = stmt.value
        ret = gast.copy_location(gast.Return(value=lam.body), lam.body)
        fdef = gast.FunctionDef(name=stmt.targets[0].id, args=lam.args, body=[ret],
                                decorator_list=[], returns=None, type_comment=None,
                                type_params=[])
        return gast.copy_location(fdef, stmt)
    return None


class _Expander:
    resolve, locals, fv = None, frozenset(), None

    def __init__(self, functions, namer, error, depth=0):
        self.functions, self.namer, self.error, self.depth = functions, namer, error, depth

    def inner(self):
        inner = _Expander(self.functions, self.namer, self.error, self.depth + 1)
        inner.resolve, inner.locals, inner.fv = self.resolve, self.locals, self.fv
        return inner

    def name_lambda(self, lam, prelude):
        """A fresh local function for a lambda used where it stands (passed to `map`, called
        at once): its defaults are evaluated here, as Python evaluates them."""
        # `lambda`, a keyword, is never a user's name; the definition below is always taken
        # out and every call of it inlined, so the name is never printed - only the names
        # made from it are: the parameter `v` becomes `v_lambda`, the result `_lambda`.
        name = self.namer.fresh("lambda")
        stmt = gast.copy_location(S.assign(name, lam), lam)
        prelude.extend(self.block(_collect([stmt], self.functions, self.namer, self.error)))
        return name

    def block(self, stmts):
        out = []
        for stmt in stmts:
            out.extend(self.statement(stmt))
        return out

    def statement(self, stmt):
        if isinstance(stmt, gast.While) and self._needs_hoisting(stmt.test):
            raise self.error(stmt.test, "a comprehension or local function call in a `while` "
                                        "condition is not supported",
                             "Compute it in the loop body and test a variable.")
        prelude = []
        fields = {gast.Assign: ("targets", "value"), gast.AugAssign: ("target", "value"),
                  gast.Expr: ("value",), gast.Return: ("value",), gast.If: ("test",),
                  gast.For: ("iter",), gast.Assert: ("test",)}.get(type(stmt), ())
        for field in fields:
            part = getattr(stmt, field, None)
            if part is not None:
                setattr(stmt, field, self.expression(part, prelude))
        if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and \
                self.fv.assigned(self, stmt, prelude) == []:
            return prelude      # an alias of a function: its uses are expanded
        if isinstance(stmt, gast.For):
            self.fv.loop(self, stmt)
        # the blocks after the header, which Python evaluates first (a loop's iterable)
        looped = isinstance(stmt, (gast.For, gast.While))
        self.fv.loops += looped
        for field in ("body", "orelse"):
            if isinstance(getattr(stmt, field, None), list) and not isinstance(stmt, gast.FunctionDef):
                setattr(stmt, field, self.block(getattr(stmt, field)))
        self.fv.loops -= looped
        return prelude + [stmt]

    def _needs_hoisting(self, node):
        return any(self._hoisted(n) for n in S.nodes_of(node, _HOISTABLE))

    def _hoisted(self, n):
        return isinstance(n, (gast.ListComp, gast.GeneratorExp, gast.DictComp)) or (
            isinstance(n, gast.Dict) and None in n.keys) or (
            isinstance(n, gast.Call) and ((isinstance(n.func, gast.Name)
                                           and n.func.id in self.functions)
                                          or higher_order.recognises(self, n)
                                          or self.fv.handles(self, n))) or (
            isinstance(n, (gast.List, gast.Tuple, gast.Set, gast.Dict)) and
            self.fv.has_function_items(self, n))

    def expression(self, node, prelude):
        """`node` with comprehensions and local calls replaced by names computed in `prelude`."""
        if isinstance(node, list):
            return [self.expression(n, prelude) for n in node]
        if not isinstance(node, gast.AST) or not self._needs_hoisting(node):
            return node
        if self._hoisted(node):
            if isinstance(node, gast.Call) and higher_order.recognises(self, node):
                return higher_order.rewrite(self, node, prelude)
            if isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and \
                    node.func.id in self.functions:
                return self.inline_call(node, prelude)
            if isinstance(node, gast.Call):
                return self.fv.call(self, node, prelude)
            if isinstance(node, gast.Dict) and None in node.keys:
                return self.merged_dict(node, prelude)
            if isinstance(node, (gast.List, gast.Tuple, gast.Set, gast.Dict)):
                for field, value in gast.iter_fields(node):
                    if isinstance(value, list) and field != "ctx":
                        setattr(node, field, [v if isinstance(v, gast.Lambda) or v is None
                                              else self.expression(v, prelude) for v in value])
                return self.fv.display(self, node, prelude)
            return self.comprehension(node, prelude)
        if isinstance(node, gast.Lambda):
            return node       # its body runs later, if ever: left to the later passes
        if isinstance(node, gast.BoolOp) and self._needs_hoisting(gast.List(
                elts=node.values[1:], ctx=gast.Load())):
            return self.short_circuit(node, prelude)
        if isinstance(node, gast.IfExp) and (self._needs_hoisting(node.body) or
                                             self._needs_hoisting(node.orelse)):
            return self.choice(node, prelude)
        for field, value in gast.iter_fields(node):
            if isinstance(value, (gast.AST, list)):
                setattr(node, field, self.expression(value, prelude))
        if self._hoisted(node):      # a function value only now (`fs.append(make(c))`)
            return self.expression(node, prelude)
        return node

    def short_circuit(self, node, prelude):
        """`a and b` whose b needs statements: `_t = a; if _t: (b's prelude); _t = b`, so b's
        statements run only where Python evaluates b (`if not _t:` for `or`)."""
        result = self.namer.fresh("_bool")
        prelude.append(gast.copy_location(
            S.assign(result, self.expression(node.values[0], prelude)), node))
        rest = node.values[1:]
        rest = rest[0] if len(rest) == 1 else gast.copy_location(
            gast.BoolOp(op=node.op, values=rest), node)
        inner = []
        value = self.expression(rest, inner)
        test = S.load(result)
        if isinstance(node.op, gast.Or):
            test = gast.UnaryOp(op=gast.Not(), operand=test)
        branch = gast.If(test=test, body=inner + [S.assign(result, value)], orelse=[])
        prelude.append(S.located(branch, node))
        return S.load(result)

    def choice(self, node, prelude):
        """`x if c else y` whose x or y needs statements: an `if` statement that computes
        only the arm Python evaluates."""
        result = self.namer.fresh("_choice")
        test = self.expression(node.test, prelude)
        arms = []
        for arm in (node.body, node.orelse):
            inner = []
            value = self.expression(arm, inner)
            arms.append(inner + [S.assign(result, value)])
        prelude.append(S.located(gast.If(test=test, body=arms[0], orelse=arms[1]), node))
        return S.load(result)

    # -- comprehensions --------------------------------------------------------------------
    def comprehension(self, node, prelude):
        """A list (dict) comprehension or generator expression: a loop that appends to a
        fresh list (stores into a fresh dict)."""
        is_dict = isinstance(node, gast.DictComp)
        result = self.namer.fresh("_dict" if is_dict else "_list")
        origin = node
        renames = {}
        for gen in node.generators:
            if gen.is_async:
                raise self.error(node, "async comprehensions are not supported",
                                 "Write the loop out.")
            for t in S.names_in(gen.target, gast.Store):
                renames[t] = self.namer.fresh(f"_{t}")
        if is_dict:
            key = _rename(S.clone(node.key), renames)
            body = [S.assign(gast.Subscript(value=S.load(result), slice=key, ctx=gast.Store()),
                             _rename(S.clone(node.value), renames))]
        else:
            elt = _rename(S.clone(node.elt), renames)
            body = [gast.Expr(value=S.call(gast.Attribute(value=S.load(result), attr="append",
                                                          ctx=gast.Load()), elt))]
        for gen in reversed(node.generators):
            for cond in reversed(gen.ifs):
                body = [gast.If(test=_rename(S.clone(cond), renames), body=body, orelse=[])]
            target = _rename(S.clone(gen.target), renames)
            body = [gast.For(target=target, iter=_rename(S.clone(gen.iter), renames),
                             body=body, orelse=[], type_comment=None)]
        # the first iterable is evaluated in the enclosing scope, so its names keep theirs
        body[0].iter = S.clone(node.generators[0].iter)
        empty = gast.Dict(keys=[], values=[]) if is_dict else gast.List(elts=[], ctx=gast.Load())
        stmts = [S.assign(result, empty)] + body
        prelude.extend(self.block(S.located(stmts, origin)))
        return S.load(result)

    def merged_dict(self, node, prelude):
        """`{**a, "c": v}`: a fresh dict, filled in display order (later keys win)."""
        result = self.namer.fresh("_dict")
        stmts = [S.assign(result, gast.Dict(keys=[], values=[]))]
        for key, value in zip(node.keys, node.values):
            if key is not None:
                stmts.append(S.assign(gast.Subscript(value=S.load(result), slice=key,
                                                     ctx=gast.Store()), value))
                continue
            # a name is walked as it is (the loop rebinds none), anything else once named
            item = self.namer.fresh("_key")
            if isinstance(value, gast.Name):
                source = value.id
            else:
                source = self.namer.fresh("_merged")
                stmts.append(S.assign(source, value))
            stmts.append(gast.For(
                target=S.store(item), iter=S.load(source), orelse=[], type_comment=None,
                body=[S.assign(gast.Subscript(value=S.load(result), slice=S.load(item),
                                              ctx=gast.Store()),
                               gast.Subscript(value=S.load(source), slice=S.load(item),
                                              ctx=gast.Load()))]))
        prelude.extend(self.block(S.located(stmts, node)))
        return S.load(result)

    # -- local functions -------------------------------------------------------------------
    def nested_functions(self, fdef):
        """The functions `fdef` defines in its body, taken out of it as local functions of
        their own under fresh names (one set per inlined call): their fresh names."""
        defined = {f.name for f in map(lambda s: _local_function(s, self.error),
                                       _defining_statements(fdef.body)) if f is not None}
        fresh = {name: self.namer.fresh(f"_{name}") for name in sorted(defined)}
        for sub in S.walk(fdef):
            if isinstance(sub, gast.FunctionDef) and sub is not fdef and sub.name in fresh:
                sub.name = fresh[sub.name]
        for stmt in fdef.body:
            _rename(stmt, fresh)
        fdef.body = _collect(fdef.body, self.functions, self.namer, self.error)
        return list(fresh.values())

    def inline_call(self, call, prelude, fdef=None):
        """The call of a local function (or of `fdef`, a function being inlined: see
        function_values), its body in `prelude`: the name of its result."""
        fdef = fdef or self.functions[call.func.id]
        if self.depth > 20:
            raise self.error(call, f"the function '{fdef.name}', inlined here, calls itself",
                             "Define recursive functions at module level, and give them "
                             "module-level functions rather than lambdas or local ones.")
        args = [self.fv.argument(self, a, prelude) for a in call.args]
        keywords = {k.arg: self.fv.argument(self, k.value, prelude) for k in call.keywords}
        if any(isinstance(a, gast.Starred) for a in args) or None in keywords:
            raise self.error(call, "*args or **kwargs in a call of a local function",
                             "Pass the arguments one by one.")
        from s2s_ad.frontend.desugar import desugar
        body_def = S.clone(fdef)
        nested = self.nested_functions(body_def)
        params = [a.id for a in body_def.args.args]
        kwonly = [a.id for a in body_def.args.kwonlyargs]
        if len(args) > len(params) or set(keywords) - set(params[len(args):] + kwonly) or \
                body_def.args.vararg is not None or body_def.args.kwarg is not None:
            raise self.error(call, f"the call of '{fdef.name}' does not match its parameters "
                                   f"(or it takes *args or **kwargs)",
                             "Pass each parameter once, by position or by name.")
        assigned = set(params + kwonly) | {
            n.id for s in body_def.body for n in S.walk(s)
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
        renames = {name: self.namer.fresh(f"{name}_{fdef.name}") for name in sorted(assigned)}
        binding = []
        for k, p in enumerate(params + kwonly):
            if k < len(args) and p not in kwonly:
                value = args[k]
            elif p in keywords:
                value = keywords[p]
            elif p in fdef.default_names:     # the value the definition gave it
                value = S.load(fdef.default_names[p])
            else:
                raise self.error(call, f"the call of '{fdef.name}' misses the argument '{p}'",
                                 "Pass every parameter.")
            binding.append(gast.copy_location(S.assign(renames[p], value), call))
        body_def = desugar(body_def, self.namer, self.error)
        body = [_rename(stmt, renames) for stmt in body_def.body]
        for name in nested:      # a closure reads the renamed locals of this call
            inner = self.functions[name]
            _rename(inner, renames)
            inner.default_names = {p: renames.get(n, n) for p, n in inner.default_names.items()}
        result = self.namer.fresh(f"_{fdef.name}")
        ret = body[-1]
        body[-1] = gast.copy_location(S.assign(result, ret.value if ret.value is not None
                                               else S.const(None)), ret)
        self.fv.count_stores(binding + body)
        self.fv.frames.append((set(renames.values()), self.fv.loops))
        self.fv.made_by.update(renames.values())
        try:      # a parameter given a function is an alias of it (function_values)
            prelude.extend(self.inner().block(binding + body))
        finally:
            self.fv.frames.pop()
        return S.load(result)


def _defining_statements(stmts):
    """The statements of `stmts` (and of its loops' bodies) that _collect looks at."""
    for stmt in stmts:
        yield stmt
        if isinstance(stmt, (gast.For, gast.While)):
            yield from _defining_statements(stmt.body)


def _rename(node, renames):
    for sub in S.walk(node):
        if isinstance(sub, gast.Name) and sub.id in renames:
            sub.id = renames[sub.id]
    return node
