"""Plain statements: Python statements that need no control flow of their own, rewritten into
assignments and calls before local functions are expanded and the body is desugared.

    plain_statements(node, namer, error) -> node

Stage: front end, on the parsed function (source-level gast), before expand_locals.
Input: the user's function, nested `def`s included.  Output: the same function where

    y: float = v               ->  y = v            (`y: float` alone is dropped)
    a, *rest, z = v            ->  _t = v; a = _t[0]; rest = _t[1:-1]; z = _t[-1]
    raise E / raise E from C   ->  _ad.raise_exception(E) / _ad.raise_exception(E, C)
    f"y = {y:.3f}"             ->  _ad.formatted("y = {0:.3f}", y)
    with np.errstate(**kw): B  ->  _s = _ad.push_errstate(**kw); B; _ad.pop_errstate(_s)
    t = (a, b); f(*t, **d)     ->  f(t[0], t[1], k=d["k"]) where t (d) is assigned once, a
                                   tuple or list (a dict with constant str keys) display
    d.get(k, default)          ->  d[k] if k in d else default   (d a name, k a name or constant)
    del name / global n / nonlocal n (n only read) / pass   ->  nothing

The calls are kept by the derivatives like any call made for its effect (an `assert`'s
check_assertion too), so a guard raises, and a message prints, where the function's would.
What cannot be rewritten this way is refused at its line with what to write instead.
"""

import gast

from s2s_ad.base import syntax as S


def plain_statements(node, namer, error):
    stored = {n.id for n in S.walk(node) if isinstance(n, gast.Name) and
              isinstance(n.ctx, gast.Store)}
    rewriter = _Rewriter(namer, error, stored)
    rewriter.displays = _displays(node)
    rewriter.visit(node)
    return node


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
            if isinstance(value, (gast.Tuple, gast.List)) and \
                    not any(isinstance(e, gast.Starred) for e in value.elts):
                out[name] = value
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

    def spread_arguments(self, node):
        """`f(*t)` / `f(**d)` of a display assigned once: its items as arguments."""
        args = []
        for arg in node.args:
            display = self.displays.get(arg.value.id) if isinstance(arg, gast.Starred) and \
                isinstance(arg.value, gast.Name) else None
            if isinstance(display, (gast.Tuple, gast.List)):
                args.extend(S.item(arg.value.id, S.const(k)) for k in range(len(display.elts)))
            else:
                args.append(arg)
        keywords = []
        for kw in node.keywords:
            display = self.displays.get(kw.value.id) if kw.arg is None and \
                isinstance(kw.value, gast.Name) else None
            if isinstance(display, gast.Dict):
                keywords.extend(gast.keyword(arg=k.value, value=S.item(kw.value.id, S.const(
                    k.value))) for k in display.keys)
            else:
                keywords.append(kw)
        node.args, node.keywords = args, keywords
        S.located(node.args + [k.value for k in node.keywords], node)

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
        if len(node.items) != 1 or node.items[0].optional_vars is not None or \
                not _is_errstate(node.items[0].context_expr):
            raise self.error(node, "a `with` block other than `with np.errstate(...):` is "
                                   "not supported",
                             "Move the `with` block outside the differentiated function.")
        self.generic_visit(node)
        saved = self.namer.fresh("_errstate")
        enter = node.items[0].context_expr
        push = S.assign(saved, gast.Call(func=S.attr(S.load("_ad"), "push_errstate"),
                                         args=[], keywords=enter.keywords))
        pop = gast.Expr(value=S.call("_ad.pop_errstate", S.load(saved)))
        return S.located([push], node) + node.body + S.located([pop], node)

    def visit_Delete(self, node):
        if not all(isinstance(t, gast.Name) for t in node.targets):
            raise self.error(node, "`del` of an item or attribute is not supported",
                             "Build a new list or dict without it.")
        return gast.copy_location(gast.Pass(), node)

    def visit_Global(self, node):
        written = sorted(set(node.names) & self.stored)
        if written:
            raise self.error(node, f"`{type(node).__name__.lower()}` for '{written[0]}', "
                                   f"which the function assigns, is not supported",
                             "Pass the value in as an argument and return the new value.")
        return gast.copy_location(gast.Pass(), node)

    visit_Nonlocal = visit_Global
