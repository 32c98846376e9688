"""`*args` and `**kwargs` parameters, seen as named ones for the arguments of one call.

A call gives a function's `*xs` a number of items and its `**kw` some keys, in an order: for
those the function is one with named parameters, which its derivatives take and return one by
one (expand_signature):

    def loss(w, *xs, scale=1.0, **kw)     called as   loss(w, a, b, scale=2.0, reg=0.1)
    ->  def loss(w, xs_0, xs_1, scale=1.0, reg):
            xs = (xs_0, xs_1)
            kw = {"reg": reg}
            ...

After that the tuple and the dict are displays assigned once, which the frontend follows like
any others (`g(*xs)`, `g(**kw)` pass their items one by one: statements.py).  A `**kw` item's
parameter is named after its key where that name is free in the function (`reg`), else after
both (`kw_reg`).

`specialised(fn, count, keys)` is fn for one such call: a function object sharing fn's code,
defaults, globals and closure, which carries the `Spread` (`spread_of`), so that every stage
that reads fn (the frontend, the analyses of callees, the caches) reads that version.  A call
site of a user function gets it in analysis/ops.py; a call of a derivative in the public layer.
"""
import inspect
import keyword
import re
import types
import weakref
from dataclasses import dataclass

import gast

from s2s_ad.base import syntax as S
from s2s_ad.base.errors import BadArgumentError
from s2s_ad.frontend.source import parse

# names the generated code gives a meaning of its own (the runtime, modules, the builtins its
# loops call): a parameter made for a `**kw` key never takes one of them
_RESERVED = {"_ad", "np", "math", "operator", "builtins", "len", "range", "reversed", "list",
             "tuple", "zip", "enumerate", "slice", "float", "int", "isinstance", "type"}


@dataclass(frozen=True)
class Spread:
    """The named parameters standing for a call's `*star` items and `**starstar` keys."""
    star: str            # the `*xs` parameter's name, or None
    starstar: str        # the `**kw` parameter's name, or None
    items: tuple         # parameter names of xs[0], xs[1], ...
    keywords: tuple      # (key, parameter name) for each key of kw, in the call's order

    def name_of(self, key):
        return dict(self.keywords)[key]


def is_variadic(fn):
    """Does the Python function `fn` take `*args` or `**kwargs`?"""
    code = getattr(fn, "__code__", None)
    return code is not None and bool(code.co_flags & (inspect.CO_VARARGS |
                                                      inspect.CO_VARKEYWORDS))


def spread_of(fn):
    """The Spread `fn` was specialised to (see `specialised`), or None."""
    return getattr(fn, "__s2s_ad_spread__", None)


def taken_names(node):
    """The names a parameter made for `*xs` or `**kw` must not take: every name of the
    function (its parameters, locals, the globals it reads) and those of generated code."""
    args = node.args
    params = args.posonlyargs + args.args + args.kwonlyargs + \
        [a for a in (args.vararg, args.kwarg) if a is not None]
    return set(S.names_in(node)) | {a.id for a in params} | _RESERVED


def item_name(taken, star, k):
    """The parameter of item k of `*star`: `xs_0`, or `xs_0_` where the function has an
    `xs_0` of its own."""
    name = f"{star}_{k}"
    while name in taken:
        name += "_"
    return name


def key_name(taken, star, starstar, key):
    """The parameter of the key `key` of `**starstar`: the key itself where that name is free
    (and not one an item of `*star` could take), else `kw_key`."""
    item_like = re.compile(rf"{re.escape(star)}_\d+_*$") if star else None
    name = key
    if name in taken or keyword.iskeyword(name) or name.startswith("_ad") or \
            (item_like is not None and item_like.match(name)):
        name = f"{starstar}_{key}"
        while name in taken or (item_like is not None and item_like.match(name)):
            name += "_"
    return name


def make_spread(node, count, keys):
    """The Spread of the FunctionDef `node` for `count` items of its `*xs` and the keys `keys`
    of its `**kw`."""
    args = node.args
    star = args.vararg.id if args.vararg is not None else None
    starstar = args.kwarg.id if args.kwarg is not None else None
    taken = taken_names(node)
    items = tuple(item_name(taken, star, k) for k in range(count))
    named = []
    for key in keys:
        if not (isinstance(key, str) and key.isidentifier() and not keyword.iskeyword(key)):
            raise BadArgumentError(f"the keyword argument {key!r} of {node.name} is not a "
                                   f"Python name, which its derivatives' parameters need",
                                   hint="Pass it in a dict argument instead.")
        named.append((key, key_name(taken | set(items), star, starstar, key)))
    return Spread(star, starstar, items, tuple(named))


def expand_signature(node, spread):
    """Rewrite the FunctionDef `node` (the frontend's copy) into the function with named
    parameters `spread` stands for: `*xs` -> `xs_0, xs_1` and `xs = (xs_0, xs_1)` as its first
    statement; `**kw` -> keyword-only `reg` and `kw = {"reg": reg}`."""
    args = node.args
    first = []
    if args.vararg is not None:
        star = args.vararg
        args.args = args.args + [S.store_param(n) for n in spread.items]
        first.append(S.located(S.assign(star.id, S.tuple_([S.load(n) for n in spread.items])),
                               star))
        args.vararg = None
    if args.kwarg is not None:
        starstar = args.kwarg
        args.kwonlyargs = args.kwonlyargs + [S.store_param(n) for _, n in spread.keywords]
        args.kw_defaults = args.kw_defaults + [None] * len(spread.keywords)
        display = gast.Dict(keys=[S.const(k) for k, _ in spread.keywords],
                            values=[S.load(n) for _, n in spread.keywords])
        first.append(S.located(S.assign(starstar.id, display), starstar))
        args.kwarg = None
    node.body[:0] = first
    return node


# function -> {(count, keys): the function specialised to them}
_SPECIALISED = weakref.WeakKeyDictionary()


def specialised(fn, count, keys):
    """`fn` (a Python function taking `*xs` or `**kw`) for a call giving `*xs` `count` items
    and `**kw` the keys `keys`: a function object of fn's code, defaults, globals and closure
    that carries its Spread.  The same object for the same call shape, as long as fn keeps
    its code and defaults."""
    made = _SPECIALISED.setdefault(fn, {})
    shape = (count, tuple(keys))
    version = made.get(shape)
    if version is None or version.__code__ is not fn.__code__ or \
            version.__defaults__ is not fn.__defaults__ or \
            version.__kwdefaults__ is not fn.__kwdefaults__:
        version = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__, fn.__defaults__,
                                     fn.__closure__)
        version.__kwdefaults__ = fn.__kwdefaults__
        version.__qualname__, version.__module__ = fn.__qualname__, fn.__module__
        version.__s2s_ad_spread__ = make_spread(parse(fn).node, count, keys)
        made[shape] = version
    return version


def call_shape(fn, args, kwargs):
    """(count, keys) a call `fn(*args, **kwargs)` gives fn's `*xs` and `**kw` (its keys in the
    call's order), or None where the call does not fit fn's signature (Python's TypeError is
    reported where the call is bound)."""
    sig = inspect.signature(fn, follow_wrapped=False)
    try:
        bound = sig.bind(*args, **kwargs)
    except TypeError:
        return None
    count, keys = 0, ()
    for name, value in bound.arguments.items():
        kind = sig.parameters[name].kind
        if kind is inspect.Parameter.VAR_POSITIONAL:
            count = len(value)
        elif kind is inspect.Parameter.VAR_KEYWORD:
            keys = tuple(value)
    return count, keys
