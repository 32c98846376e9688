"""Plain statements: Python statements that need no control flow of their own, rewritten into
assignments and calls before local functions are expanded and the body is desugared.

    plain_statements(node, namer, error, parsed) -> {name: probe}

Stage: front end, on the parsed function (source-level gast), before expand_locals.
Input: the user's function, nested `def`s included.  Output: the same function where

    y: float = v               ->  y = v            (`y: float` alone is dropped)
    a, *rest, z = v            ->  _t = v; a = _t[0]; rest = _t[1:-1]; z = _t[-1]
    raise E / raise E from C   ->  _ad.raise_exception(E) / _ad.raise_exception(E, C)
    f"y = {y:.3f}"             ->  _ad.formatted("y = {0:.3f}", y)
    with np.errstate(**kw): B  ->  _s = _ad.push_errstate(**kw); B; _ad.pop_errstate(_s)
    with cm as v: B            ->  _m = cm; v = _ad.enter_context(_m); B; _ad.exit_context(_m)
    with suppress(E): B        ->  try: B except E: pass   (contextlib.suppress)
    try: ... except ...        ->  branches on the path it takes (attempts.py)
    del c[k]                   ->  c = _ad.without_item(c, k)   (c a container the function
                                   makes and hands to no other name: _fresh_containers)
    t = (a, b); f(*t, **d)     ->  f(t[0], t[1], k=d["k"]) where t (d) is assigned once, a
                                   tuple or list (a dict with constant str keys) display;
                                   also `*(a, b)`, `*t[1:]`, `(*t, z)`, `**{"k": v}`
    d.get(k, default)          ->  d[k] if k in d else default   (d a name, k a name or constant)
    del name / global n / nonlocal n (n only read) / pass   ->  nothing
    a bare `raise` in an `except` clause  ->  `raise e`, e what the clause caught

The calls are kept by the derivatives like any call made for its effect (an `assert`'s
check_assertion too), so a guard raises, and a message prints, where the function's would.
What cannot be rewritten this way is refused at its line with what to write instead.
"""

import contextlib

import gast

from s2s_ad.base import syntax as S
from s2s_ad.frontend.resolve import named_object
from s2s_ad.frontend.attempts import Scope, try_as_branches


def plain_statements(node, namer, error, parsed=None):
    """`parsed` (frontend/source.Parsed): what a name is bound to (`contextlib.suppress`), and
    the globals and closure a `try` statement's probe runs in.  Returns the probes, to be
    bound in the function's closure under their names ({name: probe})."""
    stored = {n.id for n in S.walk(node) if isinstance(n, gast.Name) and
              isinstance(n.ctx, gast.Store)}
    rewriter = _Rewriter(namer, error, stored)
    rewriter.displays = _displays(node)
    rewriter.resolve = parsed.resolve if parsed is not None else lambda name, default: default
    rewriter.scope = Scope(node, parsed.closure if parsed is not None else {},
                           getattr(parsed.fn, "__globals__", {}) if parsed is not None else {})
    rewriter.fresh = _fresh_containers(node)
    rewriter.visit(node)
    return rewriter.scope.bound


def _displays(node):
    """{name: Tuple/List/Dict display} for the names assigned once, to a display of fixed
    shape (a dict's keys constant strings), and never written into: a call's `*t` / `**d`
    of such a name passes its items one by one."""
    stores = {}
    for sub in S.walk(node):
        if isinstance(sub, gast.Name) and not isinstance(sub.ctx, gast.Load):
            stores[sub.id] = stores.get(sub.id, 0) + 1
    written = {sub.value.id for sub in S.walk(node)
               if isinstance(sub, (gast.Subscript, gast.Attribute)) and
               not isinstance(sub.ctx, gast.Load) and isinstance(sub.value, gast.Name)}
    written |= {sub.func.value.id for sub in S.walk(node)      # t.append(...) and the like
                if isinstance(sub, gast.Call) and isinstance(sub.func, gast.Attribute) and
                isinstance(sub.func.value, gast.Name)}
    out = {}
    for stmt in S.walk(node):
        if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and \
                isinstance(stmt.targets[0], gast.Name):
            name, value = stmt.targets[0].id, stmt.value
            if stores.get(name) != 1 or name in written:
                continue
            if isinstance(value, (gast.Tuple, gast.List)):
                out[name] = value        # (its length known where its `*u` have one)
            elif isinstance(value, gast.Dict) and all(
                    isinstance(k, gast.Constant) and isinstance(k.value, str) and
                    k.value.isidentifier() for k in value.keys):
                out[name] = value
    return out


def _is_errstate(expr):
    """Is `expr` a call `np.errstate(...)` / `numpy.errstate(...)` (by its written name)?"""
    return isinstance(expr, gast.Call) and isinstance(expr.func, gast.Attribute) and \
        expr.func.attr == "errstate" and isinstance(expr.func.value, gast.Name) and \
        expr.func.value.id in ("np", "numpy") and not expr.args


class _Rewriter(gast.NodeTransformer):
    def __init__(self, namer, error, stored):
        self.namer, self.error, self.stored = namer, error, stored

    def visit_AnnAssign(self, node):
        if node.value is None:
            return gast.copy_location(gast.Pass(), node)
        target = node.target
        return gast.copy_location(gast.Assign(targets=[target], value=self.visit(node.value),
                                              type_comment=None), node)

    def visit_Assign(self, node):
        self.generic_visit(node)
        target = node.targets[0]
        if len(node.targets) != 1 or not isinstance(target, (gast.Tuple, gast.List)) or \
                not any(isinstance(t, gast.Starred) for t in target.elts):
            return node
        stars = [k for k, t in enumerate(target.elts) if isinstance(t, gast.Starred)]
        star = stars[0]
        before, after = target.elts[:star], target.elts[star + 1:]
        whole = self.namer.fresh("_unpacked")
        out = [S.assign(whole, node.value)]
        for k, t in enumerate(before):
            out.append(gast.Assign(targets=[t], value=S.item(whole, S.const(k)), type_comment=None))
        # a slice: a list of a list, a tuple of a tuple (Python's list only differs in type):
        # `_t[1:]`, `_t[:-1]`, `_t[1:-1]` (the bounds that are no bound left out)
        part = gast.Subscript(value=S.load(whole), ctx=gast.Load(), slice=gast.Slice(
            lower=S.const(len(before)) if before else None,
            upper=S.const(-len(after)) if after else None, step=None))
        out.append(gast.Assign(targets=[target.elts[star].value], value=part,
                               type_comment=None))
        for k, t in enumerate(after):
            out.append(gast.Assign(targets=[t], value=S.item(whole, S.const(k - len(after))),
                                   type_comment=None))
        return S.located(out, node)

    def visit_Call(self, node):
        self.generic_visit(node)
        self.spread_arguments(node)
        func = node.func
        if not (isinstance(func, gast.Attribute) and func.attr == "get" and
                isinstance(func.value, gast.Name) and not node.keywords and
                len(node.args) in (1, 2) and
                isinstance(node.args[0], (gast.Name, gast.Constant))):
            return node
        key = node.args[0]
        default = node.args[1] if len(node.args) == 2 else S.const(None)
        test = gast.Compare(left=S.clone(key), ops=[gast.In()], comparators=[S.clone(func.value)])
        item = gast.Subscript(value=S.clone(func.value), slice=S.clone(key), ctx=gast.Load())
        choice = gast.IfExp(test=test, body=item, orelse=default)
        S.located([choice], node)
        return gast.copy_location(choice, node)

    def visit_Tuple(self, node):
        """`(*t, z)`, t of known length (see starred_items): `(t[0], t[1], z)`."""
        self.generic_visit(node)
        if isinstance(node.ctx, gast.Load) and any(isinstance(e, gast.Starred)
                                                   for e in node.elts):
            items = self.starred_items(node)
            if items is not None:
                node.elts = S.located(items, node)
        return node

    visit_List = visit_Tuple

    def spread_arguments(self, node):
        """`f(*t)` / `f(**d)` whose items are known (starred_items, keyword_items): the items
        as arguments."""
        args = []
        for arg in node.args:
            items = self.starred_items(arg.value) if isinstance(arg, gast.Starred) else None
            args.extend([arg] if items is None else items)
        keywords = []
        for kw in node.keywords:
            pairs = self.keyword_items(kw.value) if kw.arg is None else None
            keywords.extend([kw] if pairs is None else
                            [gast.keyword(arg=k, value=v) for k, v in pairs])
        node.args, node.keywords = args, keywords
        S.located(node.args + [k.value for k in node.keywords], node)

    def starred_items(self, value, seen=()):
        """The items `*value` passes, as expressions, where their number is known: a tuple or
        list display (written there, or assigned once to a name: `t[0]`, `t[1]`), a slice of
        one with constant bounds (`args[1:]`), and displays holding such `*u` themselves; else
        None."""
        if isinstance(value, (gast.Tuple, gast.List)):
            items = []
            for e in value.elts:
                inner = self.starred_items(e.value, seen) if isinstance(e, gast.Starred) \
                    else [e]
                if inner is None:
                    return None
                items += inner
            return items
        name, part = value, slice(None)
        if isinstance(value, gast.Subscript) and isinstance(value.slice, gast.Slice):
            bounds = [value.slice.lower, value.slice.upper, value.slice.step]
            if not all(b is None or (isinstance(b, gast.Constant) and type(b.value) is int)
                       for b in bounds):
                return None
            name, part = value.value, slice(*[None if b is None else b.value for b in bounds])
        if not isinstance(name, gast.Name) or name.id in seen:
            return None
        display = self.displays.get(name.id)
        if not isinstance(display, (gast.Tuple, gast.List)):
            return None
        items = self.starred_items(display, seen + (name.id,))
        if items is None:
            return None
        return [S.item(name.id, S.const(k)) for k in range(len(items))[part]]

    def keyword_items(self, value):
        """[(key, expression)] that `**value` passes, where its keys are known: a dict display
        with constant keys that are names (written there, or assigned once to a name: `d["k"]`);
        else None."""
        display = self.displays.get(value.id) if isinstance(value, gast.Name) else value
        if not isinstance(display, gast.Dict) or not all(
                isinstance(k, gast.Constant) and isinstance(k.value, str) and
                k.value.isidentifier() for k in display.keys):
            return None
        if display is value:
            return [(k.value, v) for k, v in zip(display.keys, display.values)]
        return [(k.value, S.item(value.id, S.const(k.value))) for k in display.keys]

    def visit_Raise(self, node):
        if node.exc is None:
            raise self.error(node, "a bare `raise` (re-raising) is not supported",
                             "Raise a new exception: `raise ValueError(...)`.")
        args = [self.visit(node.exc)] + ([self.visit(node.cause)] if node.cause else [])
        return S.located([gast.Expr(value=S.call("_ad.raise_exception", *args))], node)

    def visit_JoinedStr(self, node):
        template, values = [], []
        for part in node.values:
            if isinstance(part, gast.Constant):
                template.append(str(part.value).replace("{", "{{").replace("}", "}}"))
                continue
            spec = ""
            if part.format_spec is not None:
                if not all(isinstance(p, gast.Constant) for p in part.format_spec.values):
                    raise self.error(part, "an f-string whose format spec is computed is "
                                           "not supported", "Write the format spec out.")
                spec = ":" + "".join(str(p.value) for p in part.format_spec.values)
            conversion = "!" + chr(part.conversion) if part.conversion not in (-1, None) else ""
            template.append(f"{{{len(values)}{conversion}{spec}}}")
            values.append(self.visit(part.value))
        return gast.copy_location(S.call("_ad.formatted", S.const("".join(template)), *values),
                                  node)

    def visit_With(self, node):
        if len(node.items) == 1 and node.items[0].optional_vars is None and \
                _is_errstate(node.items[0].context_expr):
            self.generic_visit(node)
            saved = self.namer.fresh("_errstate")
            enter = node.items[0].context_expr
            push = S.assign(saved, gast.Call(func=S.attr(S.load("_ad"), "push_errstate"),
                                             args=[], keywords=enter.keywords))
            pop = S.located(gast.Expr(value=S.call("_ad.pop_errstate", S.load(saved))), node)
            return S.located([push], node) + self.before_leaving(node.body, [pop]) + [pop]
        if len(node.items) > 1:       # `with a, b:` is `with a: with b:`
            inner = gast.With(items=node.items[1:], body=node.body, type_comment=None)
            node.items, node.body = node.items[:1], [S.located(inner, node)]
        item = node.items[0]
        if self.is_suppress(item.context_expr):
            # suppress(E) leaves the block where E is raised: `try: ... except E: pass`
            exceptions = item.context_expr.args
            kind = exceptions[0] if len(exceptions) == 1 else S.tuple_(exceptions)
            handler = gast.ExceptHandler(type=kind, name=None, body=[gast.Pass()])
            attempt = gast.Try(body=node.body, handlers=[handler], orelse=[], finalbody=[])
            return self.visit(S.located(attempt, node))
        self.generic_visit(node)
        # the block between __enter__ and __exit__ (an exception raised in it propagates
        # without __exit__: README, "Python supported")
        manager = self.namer.fresh("_manager")
        entered = S.call("_ad.enter_context", S.load(manager))
        out = [S.assign(manager, item.context_expr),
               S.assign(item.optional_vars, entered) if item.optional_vars is not None
               else gast.Expr(value=entered)]
        leave = S.located(gast.Expr(value=S.call("_ad.exit_context", S.load(manager))), node)
        return S.located(out, node) + self.before_leaving(node.body, [leave]) + [leave]

    def before_leaving(self, stmts, leave, loop=False):
        """`stmts` with `leave` (a block's exit: a manager's, a `finally`) run before each
        `return`, and (outside a loop of their own, `loop`) each `break` and `continue`, that
        leaves the block: `return v` -> `_r = v; leave; return _r`."""
        out = []
        for stmt in stmts:
            if isinstance(stmt, gast.Return):
                value = self.namer.fresh("_leaving")
                out += S.located([S.assign(value, stmt.value or S.const(None))], stmt) + \
                    S.clone(leave) + [gast.copy_location(gast.Return(value=S.load(value)), stmt)]
                continue
            if isinstance(stmt, (gast.Break, gast.Continue)) and not loop:
                out += S.clone(leave) + [stmt]
                continue
            if not isinstance(stmt, (gast.FunctionDef, gast.ClassDef)):
                inner = loop or isinstance(stmt, (gast.For, gast.While))
                for field in ("body", "orelse", "finalbody"):
                    if isinstance(getattr(stmt, field, None), list):
                        setattr(stmt, field, self.before_leaving(getattr(stmt, field), leave,
                                                                 inner and field == "body" or
                                                                 loop))
                for h in getattr(stmt, "handlers", []):
                    h.body = self.before_leaving(h.body, leave, loop)
            out.append(stmt)
        return out

    def is_suppress(self, expr):
        """Is `expr` a call `contextlib.suppress(E, ...)` (by what its name is bound to)?"""
        if not isinstance(expr, gast.Call) or expr.keywords or not expr.args:
            return False
        return named_object(expr.func, self.resolve, self.stored) is contextlib.suppress

    def visit_Try(self, node):
        for h in node.handlers:
            self.name_reraised(h)
        self.generic_visit(node)
        if node.finalbody:     # a block that returns runs `finally` first
            if not node.handlers:      # (a body with handlers that returns is refused)
                node.body = self.before_leaving(node.body, node.finalbody)
            for h in node.handlers:
                h.body = self.before_leaving(h.body, node.finalbody)
            node.orelse = self.before_leaving(node.orelse, node.finalbody)
        return S.located(try_as_branches(node, self.namer, self.error, self.scope), node)

    def name_reraised(self, handler):
        """A bare `raise` in an `except` clause raises what it caught: `raise e`, the clause
        given a name `e` if it has none."""
        bare = [s for s in _own_statements(handler.body)
                if isinstance(s, gast.Raise) and s.exc is None]
        if not bare:
            return
        if handler.name is None:
            handler.name = S.store(self.namer.fresh("_caught"))
        for stmt in bare:
            stmt.exc = S.located(S.load(handler.name.id), stmt)

    def visit_Delete(self, node):
        out = []
        for target in node.targets:
            if isinstance(target, gast.Name):
                continue
            if not (isinstance(target, gast.Subscript) and isinstance(target.value, gast.Name)):
                raise self.error(target, "`del` of an attribute, or of an item of an item, is "
                                         "not supported",
                                 "Build a new object or container without it.")
            name = target.value.id
            if name not in self.fresh:
                raise self.error(target, f"`del {name}[...]` of a container the function "
                                         f"did not make itself (a parameter, or one another "
                                         f"name may hold) is not supported: s2s_ad builds a "
                                         f"new container without the item",
                                 f"Copy it into a new name and delete from that (`kept = "
                                 f"dict({name})`; `del kept[...]`), or build the new "
                                 f"container yourself.")
            index = S.index_expression(self.visit(target.slice))
            out.append(S.assign(name, S.call("_ad.without_item", S.load(name), index)))
        return S.located(out, node) or [gast.copy_location(gast.Pass(), node)]

    def visit_Global(self, node):
        written = sorted(set(node.names) & self.stored)
        if written:
            raise self.error(node, f"`{type(node).__name__.lower()}` for '{written[0]}', "
                                   f"which the function assigns, is not supported",
                             "Pass the value in as an argument and return the new value.")
        return gast.copy_location(gast.Pass(), node)

    visit_Nonlocal = visit_Global


def _own_statements(stmts):
    """The statements of `stmts` and of their blocks, not those of a nested `try`'s clauses
    or of a nested function."""
    for stmt in stmts:
        yield stmt
        if isinstance(stmt, (gast.FunctionDef, gast.ClassDef)):
            continue
        for field in ("body", "orelse", "finalbody"):
            if not (isinstance(stmt, gast.Try) and field == "body"):
                yield from _own_statements(getattr(stmt, field, None) or [])


def _fresh_containers(node):
    """The names that only ever hold a container the function makes itself (a list or dict
    display or comprehension, `dict(...)`, `list(...)`, `x.copy()`), and that it never hands
    to another name, a container or a call (reading an item is fine): a `del` of an item
    may build a new container in place of changing the one they hold."""
    made, other = set(), set()
    params = {a.id for a in node.args.args + node.args.kwonlyargs}
    for stmt in S.walk(node):
        if isinstance(stmt, gast.Assign):
            value = stmt.value
            fresh = isinstance(value, (gast.List, gast.Dict, gast.ListComp, gast.DictComp)) or (
                isinstance(value, gast.Call) and (
                    (isinstance(value.func, gast.Name) and value.func.id in ("dict", "list")) or
                    (isinstance(value.func, gast.Attribute) and value.func.attr == "copy")))
            for target in stmt.targets:
                if isinstance(target, gast.Name):
                    (made if fresh else other).add(target.id)
                else:
                    other.update(S.names_in(target, gast.Store))
        elif isinstance(stmt, (gast.For, gast.comprehension, gast.AugAssign)):
            other.update(S.names_in(stmt.target, gast.Store))
    passed = set()
    for sub in S.walk(node):
        # a bare name handed on: assigned, put in a display, given to a call or yielded
        holders = []
        if isinstance(sub, gast.Assign):
            holders = [sub.value]
        elif isinstance(sub, (gast.List, gast.Tuple, gast.Set)):
            holders = sub.elts
        elif isinstance(sub, gast.Dict):
            holders = sub.values
        elif isinstance(sub, gast.Call) and not _reads_only(sub.func):
            holders = sub.args + [k.value for k in sub.keywords]
        elif isinstance(sub, (gast.Yield, gast.YieldFrom)):
            holders = [sub.value]
        passed.update(h.id for h in holders if isinstance(h, gast.Name))
    return made - other - params - passed


_READERS = {"len", "sum", "min", "max", "sorted", "list", "tuple", "dict", "any", "all",
            "enumerate", "zip", "reversed", "print", "str", "repr", "float", "int", "abs"}


def _reads_only(func):
    """A call that reads its arguments and keeps none of them (by its written name: a
    builtin or a function of NumPy or math)."""
    root = func
    while isinstance(root, gast.Attribute):
        root = root.value
    return isinstance(root, gast.Name) and (
        root.id in ("np", "numpy", "math") if root is not func else root.id in _READERS)
