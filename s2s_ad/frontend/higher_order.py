"""Higher-order built-ins, rewritten into loops that call their function by name.

    rewrite(expander, call, prelude) -> expression | None

Stage: front end, inside expand_locals (local_defs._Expander), which inlines the calls of
local functions and lambdas in the statements this module emits.
Input: a call `map(f, xs)`, `filter(p, xs)`, `functools.reduce(f, xs[, init])`,
`sorted(xs[, key=f][, reverse=r])`, `min(xs[, key=f])` / `max(xs[, key=f])`, `list(...)` of
the first two, or `(lambda v: ...)(x)`; f a lambda, a local function or any other callable.
Output: the name of a list (or item) computed by statements appended to `prelude`:

    map(f, xs, ys)             ->  [f(a, b) for a, b in zip(xs, ys)]
    filter(p, xs)              ->  [v for v in xs if p(v)]
    functools.reduce(f, xs)    ->  _acc = xs[0]; for v in xs[1:]: _acc = f(_acc, v)
    sorted(xs, key=f)          ->  _keys = [f(v) for v in xs]
                                   [xs[i] for i in _ad.sorted_order(_keys, reverse)]
    min(xs, key=f)             ->  xs[_ad.index_of_min([f(v) for v in xs])]
    min(xs)                    ->  xs[_ad.index_of_min(xs)]
    (lambda v: e)(x)           ->  the lambda, named, then inlined at the call

and, before that (expand_partials, on the function's top-level statements):

    g = functools.partial(f, a, k=b)   ->  _g_0 = a; _g_k = b
    ... g(x) ...                       ->  ... f(_g_0, x, k=_g_k) ...

The order of the items is computed without derivatives (it is piecewise constant); the items
themselves are read by index, so their derivatives flow through as through any indexing.
A built-in is recognised by what its name is bound to, so a user's own `map` is left alone.
(`map`'s and `filter`'s lazy iterators become lists: the values are the same.)
"""

import builtins
import functools

import gast

from s2s_ad.base import syntax as S


def callee(expander, func):
    """The object a call's function names (`map`, `functools.reduce`), or None: by its
    written name, unless that name is the function's own local."""
    base = func.value if isinstance(func, gast.Attribute) else func
    if isinstance(base, gast.Name) and base.id in expander.locals:
        return None
    return _written_callee(func, expander.resolve)


def recognises(expander, call):
    if isinstance(call.func, gast.Lambda):
        return True
    if expander.resolve is None or any(isinstance(a, gast.Starred) for a in call.args):
        return False
    fn = callee(expander, call.func)
    keys = {k.arg for k in call.keywords}
    if fn in (builtins.map, builtins.filter):
        return not keys and len(call.args) >= 2
    if fn is functools.reduce:
        return not keys and len(call.args) in (2, 3)
    if fn is builtins.sorted:
        return len(call.args) == 1 and keys <= {"key", "reverse"}
    if fn in (builtins.min, builtins.max):     # of one iterable: by the items as their keys
        return len(call.args) == 1 and keys <= {"key"}
    if fn in (builtins.list, builtins.tuple):
        return len(call.args) == 1 and not keys and isinstance(call.args[0], gast.Call) and \
            callee(expander, call.args[0].func) in (builtins.map, builtins.filter)
    return False


def rewrite(expander, call, prelude):
    if isinstance(call.func, gast.Lambda):
        name = expander.name_lambda(call.func, prelude)
        return expander.expression(gast.copy_location(
            gast.Call(func=S.load(name), args=call.args, keywords=call.keywords), call), prelude)
    fn = callee(expander, call.func)
    keywords = {k.arg: k.value for k in call.keywords}
    if fn in (builtins.list, builtins.tuple):
        return expander.expression(call.args[0], prelude)
    apply = _function(expander, call.args[0], prelude)
    if fn is builtins.map:
        seqs = [_evaluated(expander, a, prelude) for a in call.args[1:]]
        items = [_comprehension_target(expander, "item") for _ in seqs]
        target = S.store(items[0]) if len(items) == 1 else \
            S.tuple_([S.store(n) for n in items], gast.Store())
        source = S.load(seqs[0]) if len(seqs) == 1 else S.call("zip", *map(S.load, seqs))
        return _listed(expander, call, apply(*map(S.load, items)), target, source, prelude)
    if fn is builtins.filter:
        seq = _evaluated(expander, call.args[1], prelude)
        item = _comprehension_target(expander, "item")
        test = S.load(item) if apply is None else apply(S.load(item))
        return _listed(expander, call, S.load(item), S.store(item), S.load(seq), prelude, test)
    if fn is functools.reduce:
        return _reduce(expander, call, apply, prelude)
    seq = _evaluated(expander, call.args[0], prelude)
    key = keywords.get("key")
    key_fn = _function(expander, key, prelude) if key is not None else None
    item = _comprehension_target(expander, "item")
    keys = seq if key_fn is None else _listed(
        expander, call, key_fn(S.load(item)), S.store(item), S.load(seq), prelude).id
    if fn is builtins.sorted:
        reverse = keywords.get("reverse", S.const(False))
        order = S.call("_ad.sorted_order", S.load(keys), expander.expression(reverse, prelude))
        index = _comprehension_target(expander, "index")
        return _listed(expander, call, S.item(seq, S.load(index)), S.store(index), order,
                       prelude)
    which = "_ad.index_of_min" if fn is builtins.min else "_ad.index_of_max"
    return S.item(seq, S.call(which, S.load(keys)))


def expand_partials(node, namer, error, resolve):
    """`g = functools.partial(f, ...)` in the body: its bound arguments assigned to fresh
    names where it stands (Python evaluates them there), each call of g a call of f.
    Returns {g: (f, [names of the positional ones], [(keyword, name)])}: where g is passed
    on or stored, it is a function value (function_values.Partial)."""
    if resolve is None:
        return {}
    partials, body = {}, []
    for stmt in node.body:
        call = stmt.value if isinstance(stmt, gast.Assign) else None
        if not (isinstance(call, gast.Call) and len(stmt.targets) == 1 and
                isinstance(stmt.targets[0], gast.Name) and call.args and
                _written_callee(call.func, resolve) is functools.partial and
                not any(isinstance(a, gast.Starred) for a in call.args) and
                all(k.arg is not None for k in call.keywords)):
            body.append(stmt)
            continue
        name = stmt.targets[0].id
        args, keywords = [], []
        for k, arg in enumerate(call.args[1:]):
            args.append(namer.fresh(f"_{name}_{k}"))
            body.append(gast.copy_location(S.assign(args[-1], arg), stmt))
        for kw in call.keywords:
            keywords.append((kw.arg, namer.fresh(f"_{name}_{kw.arg}")))
            body.append(gast.copy_location(S.assign(keywords[-1][1], kw.value), stmt))
        partials[name] = (call.args[0], args, keywords)
    node.body = body
    for sub in S.walk(node):
        if isinstance(sub, gast.Name) and sub.id in partials and \
                not isinstance(sub.ctx, gast.Load):
            raise error(sub, f"'{sub.id}', a functools.partial, is reassigned",
                        "Give the new value another name.")
        if isinstance(sub, gast.Call) and isinstance(sub.func, gast.Name) and \
                sub.func.id in partials:
            func, args, keywords = partials[sub.func.id]
            sub.func = S.clone(func)
            sub.args = [S.load(a) for a in args] + sub.args
            given = {k.arg for k in sub.keywords}
            sub.keywords = [gast.keyword(arg=k, value=S.load(v)) for k, v in keywords
                            if k not in given] + sub.keywords
    return {name: part for name, part in partials.items() if any(
        isinstance(sub, gast.Name) and sub.id == name for sub in S.walk(node))}


def _written_callee(func, resolve):
    """What `func` (a name or `module.name`) is bound to, by its written name."""
    if isinstance(func, gast.Name):
        return resolve(func.id, None)
    if isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name):
        return getattr(resolve(func.value.id, None), func.attr, None)
    return None


def _function(expander, func, prelude):
    """`make(*args)` -> the call of `func` (None for `filter(None, xs)`): a lambda gets a name
    (and so is inlined); anything else is evaluated once, before the loop."""
    if isinstance(func, gast.Constant) and func.value is None:
        return None
    if isinstance(func, gast.Lambda):
        func = S.load(expander.name_lambda(func, prelude))
    elif not (isinstance(func, gast.Name) or
              (isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name))):
        func = S.load(_evaluated(expander, func, prelude))
    return lambda *args: gast.Call(func=S.clone(func), args=list(args), keywords=[])


def _evaluated(expander, node, prelude):
    """A name for `node`'s value: the name `node` is, else a fresh one assigned in `prelude`.
    (A name needs no copy: the loop walks the object it is bound to, as Python's would, and
    the desugarer then knows what the user's name holds - a list needs no `_ad.keys_of`.)"""
    if isinstance(node, gast.Name):
        return node.id
    name = expander.namer.fresh("_seq")
    prelude.append(gast.copy_location(S.assign(name, expander.expression(node, prelude)), node))
    return name


def _comprehension_target(expander, base):
    """A fresh name for the variable of a comprehension this module builds.  It has no
    leading underscore: expanding the comprehension renames its variable to a private name,
    `_item`, by prefixing one."""
    return expander.namer.fresh(base)


def _listed(expander, origin, elt, target, source, prelude, test=None):
    comp = gast.ListComp(elt=elt, generators=[gast.comprehension(
        target=target, iter=source, ifs=[test] if test is not None else [], is_async=0)])
    return expander.comprehension(gast.copy_location(comp, origin), prelude)


def _reduce(expander, call, apply, prelude):
    seq = _evaluated(expander, call.args[1], prelude)
    acc, item = expander.namer.fresh("_acc"), expander.namer.fresh("_item")
    if len(call.args) == 3:
        start, rest = expander.expression(call.args[2], prelude), S.load(seq)
    else:
        start = S.item(seq, S.const(0))
        rest = S.located(gast.Subscript(value=S.load(seq), ctx=gast.Load(), slice=gast.Slice(
            lower=S.const(1), upper=None, step=None)), call)
    remaining = _evaluated(expander, rest, prelude)
    stmts = [S.assign(acc, start),
             gast.For(target=S.store(item), iter=S.load(remaining), orelse=[],
                      type_comment=None,
                      body=[S.assign(acc, apply(S.load(acc), S.load(item)))])]
    prelude.extend(expander.block(S.located(stmts, call)))
    return S.load(acc)
