"""Generators: a helper that `yield`s, rewritten into one that returns the list of what it
yields, and each of its calls checked to be consumed whole.

    generators_as_lists(node, namer, error, resolve) -> the function's own first `yield`, or None

Stage: front end, on the parsed function (source-level gast), before plain_statements.
A generator function (the function itself, or a `def` in it) becomes

    def squares(xs):                    def squares(xs):
        for v in xs:                        _items = []
            yield v * v            ->       for v in xs:
        yield from more(xs)                     _items.append(v * v)
                                            for _item in _ad.generated_items(more(xs)):
                                                _items.append(_item)
                                            return _items

which gives the same items where its consumer takes them all.  A call of a generator function
(a module-level one, found by what its name is bound to, or a local `def`) is accepted where
it is consumed whole: by `sum`, `sorted`, `min`, `max`, `any`, `all`, `list` or `tuple`, by a
`for` loop (also through `enumerate`) that runs to its end, by a comprehension, or by `yield
from`.  There it becomes `_ad.generated_items(call)`, the identity on the list the rewritten
helper returns, which also lists the generator that the helper returns where it is called as
it is (no derivative flowing through it).  Elsewhere - `next(...)`, a name kept for later, `zip`,
`reversed`, `np.array`, a loop that may `break` or `return`, an endless `while True:`, effects
(print, raise) of the generator and of a loop consuming it, which Python interleaves - the
list would not be what Python computes, and the call is refused with what to write instead.
The differentiated function itself being a generator is refused by the transforms
(SSAFunction.refuse_generator): its output is no value.
"""
import builtins
import inspect

import gast

from s2s_ad.base import syntax as S

_WHOLE = (builtins.sum, builtins.sorted, builtins.min, builtins.max)
_STOPPING = (builtins.any, builtins.all)      # may stop early: the same items if it is pure
_HINT = "Take its items as a list where it is called (`items = list(gen(...))`, for a " \
    "generator that ends), then use the list."


def generators_as_lists(node, namer, error, resolve):
    local = {}
    for stmt in S.statements(node):
        if isinstance(stmt, gast.FunctionDef) and stmt is not node and _yields(stmt):
            local[stmt.name] = stmt
    consumers = _Consumers(local, error, resolve, {a.id for a in node.args.args} |
                           set(S.names_in(node, gast.Store)))
    consumers.visit(node)
    for fdef in local.values():
        _as_list_builder(fdef, namer, error)
    own = _yields(node)
    if own:
        _as_list_builder(node, namer, error)
    return own[0] if own else None


def _yields(fdef):
    """The `yield` and `yield from` of `fdef` itself (not of a function it defines)."""
    found, todo = [], list(fdef.body)
    while todo:
        sub = todo.pop()
        if isinstance(sub, (gast.FunctionDef, gast.AsyncFunctionDef, gast.Lambda, gast.ClassDef)):
            continue
        if isinstance(sub, (gast.Yield, gast.YieldFrom)):
            found.append(sub)
        todo.extend(gast.iter_child_nodes(sub))
    return sorted(found, key=lambda n: (n.lineno, n.col_offset))


def _as_list_builder(fdef, namer, error):
    items = namer.fresh("_items")
    fdef.body = S.located([S.assign(items, gast.List(elts=[], ctx=gast.Load()))], fdef) + \
        _block(fdef.body, items, namer, error) + \
        S.located([gast.Return(value=S.load(items))], fdef)


def _block(stmts, items, namer, error):
    out = []
    for stmt in stmts:
        value = stmt.value if isinstance(stmt, gast.Expr) else None
        if isinstance(value, gast.Yield):
            item = value.value if value.value is not None else S.const(None)
            out.append(S.located(gast.Expr(value=_append(items, item)), stmt))
            continue
        if isinstance(value, gast.YieldFrom):
            name = namer.fresh("_item")
            loop = gast.For(target=S.store(name), iter=value.value, orelse=[], type_comment=None,
                            body=[gast.Expr(value=_append(items, S.load(name)))])
            out.append(S.located(loop, stmt))
            continue
        if isinstance(stmt, gast.Return):
            # a generator's `return v` ends it; v goes to StopIteration, which no consumer reads
            out.append(S.located(gast.Return(value=S.load(items)), stmt))
            continue
        if isinstance(stmt, gast.While) and isinstance(stmt.test, gast.Constant) and \
                stmt.test.value and not _stops(stmt.body, loop=True):
            raise error(stmt, "a generator that never ends (`while True:` without `break` or "
                              "`return`) is not supported: its items are taken as a list",
                        "Give the loop an end (yield a fixed number of items), or take the "
                        "items you need in the consumer's own loop.")
        for part in (n for n in gast.iter_child_nodes(stmt) if not isinstance(n, gast.stmt)):
            for sub in S.walk(part):
                if isinstance(sub, (gast.Yield, gast.YieldFrom)):
                    raise error(sub, "`yield` used as a value (a generator that is sent "
                                     "values) is not supported",
                                "Yield as a statement (`yield v`), and pass what it is sent "
                                "as an argument.")
        for field in ("body", "orelse", "finalbody"):
            block = getattr(stmt, field, None)
            if isinstance(block, list) and not isinstance(stmt, gast.FunctionDef):
                setattr(stmt, field, _block(block, items, namer, error))
        for handler in getattr(stmt, "handlers", []):
            handler.body = _block(handler.body, items, namer, error)
        out.append(stmt)
    return out


def _append(items, value):
    return S.call(S.attr(S.load(items), "append"), value)


def _stops(stmts, loop):
    """Do `stmts` hold a `return`, or (with `loop`: a loop's body) a `break` of that loop?"""
    for stmt in stmts:
        if isinstance(stmt, gast.Return) or (loop and isinstance(stmt, gast.Break)):
            return True
        if isinstance(stmt, (gast.FunctionDef, gast.ClassDef)):
            continue
        inner = loop and not isinstance(stmt, (gast.For, gast.While))
        blocks = [getattr(stmt, f, None) or [] for f in ("body", "orelse", "finalbody")] + \
            [h.body for h in getattr(stmt, "handlers", [])]
        if any(_stops(b, inner) for b in blocks):
            return True
    return False


def _effects(stmts):
    """The statements of `stmts` made for an effect outside the function (a call other than a
    list's append, `raise`, `assert`), nested ones too."""
    found = []
    for stmt in stmts:
        if isinstance(stmt, (gast.FunctionDef, gast.ClassDef)):
            continue
        value = stmt.value if isinstance(stmt, gast.Expr) else None
        if isinstance(stmt, (gast.Raise, gast.Assert)) or (
                isinstance(value, gast.Call) and not (isinstance(value.func, gast.Attribute)
                                                      and value.func.attr == "append")):
            found.append(stmt)
        for field in ("body", "orelse", "finalbody"):
            found += _effects(getattr(stmt, field, None) or [])
        for handler in getattr(stmt, "handlers", []):
            found += _effects(handler.body)
    return found


class _Consumers(gast.NodeTransformer):
    """Each call of a generator function, checked where it stands and wrapped (module doc)."""

    def __init__(self, local, error, resolve, local_names):
        self.local, self.error, self.resolve = local, error, resolve
        self.local_names = local_names
        self.stack = []

    def visit(self, node):
        self.stack.append(node)
        try:
            return super().visit(node)
        finally:
            self.stack.pop()

    def generator(self, call):
        """The generator function `call` calls (its FunctionDef for a local one), or None."""
        if not isinstance(call, gast.Call):
            return None
        if isinstance(call.func, gast.Name) and call.func.id in self.local:
            return self.local[call.func.id]
        fn = self.written(call.func)
        return fn if inspect.isgeneratorfunction(fn) else None

    def written(self, func):
        """What a name or `a.b.c` is bound to, where it is not the function's local."""
        path = []
        while isinstance(func, gast.Attribute):
            path.append(func.attr)
            func = func.value
        if not isinstance(func, gast.Name) or func.id in self.local_names or \
                self.resolve is None:
            return None
        obj = self.resolve(func.id, None)
        for attr in reversed(path):
            obj = getattr(obj, attr, None)
        return obj

    def visit_Call(self, node):
        self.generic_visit(node)
        fn = self.written(node.func)
        if fn in (builtins.list, builtins.tuple) and len(node.args) == 1 and \
                not node.keywords and getattr(node.args[0], "generated", False):
            if fn is builtins.list:     # the list the helper returns is already a new one
                return node.args[0]
            node.func = S.attr(S.load("_ad"), "generated_tuple")
            return node
        gen = self.generator(node)
        if gen is None:
            return node
        self.check_consumer(node, gen)
        wrapped = gast.copy_location(S.call("_ad.generated_items", node), node)
        S.located(wrapped, node)
        wrapped.generated = True
        return wrapped

    def check_consumer(self, call, gen):
        parent = self.stack[-2]
        name = _name_of(call)
        if isinstance(parent, gast.Call) and call in parent.args:
            fn = self.written(parent.func)
            if fn in _WHOLE + (builtins.list, builtins.tuple) and parent.args[0] is call:
                return
            if fn in _STOPPING and parent.args[0] is call:
                return self.refuse_effects(call, gen, name, "any() or all() may stop early")
            if fn is builtins.enumerate and parent.args[0] is call and \
                    isinstance(self.stack[-3], gast.For) and self.stack[-3].iter is parent:
                return self.check_loop(call, gen, self.stack[-3], name)
            what = {builtins.zip: "zip(...) stops at its shortest argument",
                    builtins.next: "next(...) takes one item",
                    builtins.reversed: "reversed(...) of a generator raises TypeError",
                    builtins.enumerate: "enumerate(...) is kept past this line"}.get(fn)
            if what is None and getattr(fn, "__module__", None) == "numpy":
                what = "NumPy makes an object array of a generator (write np.array(list(...)))"
            raise self.error(call, f"the generator {name}(...) is consumed here, where "
                                   f"{what or 'its consumer may not take all its items'}",
                             _HINT)
        if isinstance(parent, gast.For) and parent.iter is call:
            return self.check_loop(call, gen, parent, name)
        if isinstance(parent, gast.comprehension) and parent.iter is call:
            return self.refuse_effects(call, gen, name, "a comprehension interleaves them")
        if isinstance(parent, gast.YieldFrom):
            return None
        raise self.error(call, f"the generator {name}(...) is kept or passed on here: s2s_ad "
                               f"follows a generator where it is consumed whole (sum, list, "
                               f"tuple, sorted, min, max, a for loop)", _HINT)

    def check_loop(self, call, gen, loop, name):
        if _stops(loop.body, loop=True):
            raise self.error(call, f"the loop over the generator {name}(...) may stop (break "
                                   f"or return) before the generator ends",
                             _HINT + " Or loop over a list the helper returns.")
        if _effects(loop.body):
            self.refuse_effects(call, gen, name, "the loop's own effects come in between")

    def refuse_effects(self, call, gen, name, why):
        if _effects(_generator_body(gen)):
            raise self.error(call, f"the generator {name}(...) has effects (a print, raise or "
                                   f"assert) that Python runs as its items are taken, where "
                                   f"{why}", _HINT)


def _generator_body(gen):
    if isinstance(gen, gast.FunctionDef):
        return gen.body
    from s2s_ad.frontend.source import parse
    try:
        return parse(gen).node.body
    except Exception:       # no source: the transforms say why where they parse it
        return []


def _name_of(call):
    func = call.func
    return func.id if isinstance(func, gast.Name) else \
        func.attr if isinstance(func, gast.Attribute) else "?"
