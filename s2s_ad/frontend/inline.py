"""Inline a derivative rule's body at a call site.

    Inliner(namer, names).instantiate(rule, bindings) -> (statements, expression)

A rule is an ordinary function (a lambda, or a def of assignments and one `return`).  Its
parameters are replaced by the caller's expressions, its locals get fresh temporaries, and each
free name it uses (`np`, `_ad`, a helper) is rebound to the same object under a name that the
generated code can see (`names.ref(obj)`).  A rule whose source cannot be read is called
instead of inlined.
"""
import copy
import dataclasses
import inspect
import operator
import sys

import gast
import numpy as np

from s2s_ad import runtime
from s2s_ad.frontend import source as frontend
from s2s_ad.rules import registry
from s2s_ad.base import syntax as S
from s2s_ad.base.errors import DifferentiationError

_TEMPLATES = {}
# What _Template raises for a rule it cannot inline, which is then called instead: no source
# (DifferentiationError from parse), a body that is not assignments and one return or a name
# it cannot resolve (ValueError), no signature (TypeError, ValueError from inspect).
_NOT_INLINABLE = (DifferentiationError, ValueError, TypeError)


class _Template:
    def __init__(self, rule):
        parsed = _parsed(rule)
        node = parsed.node
        self.params = [a.id for a in node.args.args + node.args.kwonlyargs]
        sig = inspect.signature(rule)
        self.defaults = {p.name: p.default for p in sig.parameters.values()
                         if p.default is not inspect.Parameter.empty}
        body = [s for s in node.body if not (isinstance(s, gast.Expr)
                                              and isinstance(s.value, gast.Constant))]
        if not body or not isinstance(body[-1], gast.Return) or any(
                not isinstance(s, gast.Assign) or not isinstance(s.targets[0], gast.Name)
                for s in body[:-1]):
            raise ValueError("not inlinable")
        self.body, self.result = body[:-1], body[-1].value
        # in the order the body assigns them, so their temporaries are numbered the same way
        # in every run (a set's order changes with the hash seed)
        self.locals = dict.fromkeys(s.targets[0].id for s in self.body)
        self.free = {}
        for sub in S.walk(node):
            if isinstance(sub, gast.Name) and isinstance(sub.ctx, gast.Load) \
                    and sub.id not in self.params and sub.id not in self.locals:
                marker = object()
                obj = parsed.resolve(sub.id, marker)
                if obj is marker:
                    raise ValueError(f"unresolved name {sub.id}")
                self.free[sub.id] = obj
        self.modules = {name: obj for name, obj in self.free.items()
                        if type(obj).__name__ == "module"}


def _parsed(rule):
    """The rule's function as parsed: its own source, or for a rule made from what was written
    once (registry.Derivation), the function that derivation spells."""
    how = registry.derivation(rule)
    if how is None:
        return frontend.parse(rule)
    seed, result = list(inspect.signature(rule).parameters)[:2]
    if how.kind == "times":
        return _scaled(frontend.parse(how.of), seed)
    return _applied(how, seed, result)


def _scaled(parsed, seed):
    """`def rule(seed, ans, ...): ...; return seed * <the partial's result>` from the partial
    `def partial(ans, ...)`, the seed joining the partial's leading factor as a rule written
    by hand reads: `g * 0.5 / ans` from `0.5 / ans`, `g / x` from `1 / x`, `-g * sin(x)` from
    `-sin(x)` (the same values: NumPy multiplies and divides left to right)."""
    node = copy.deepcopy(parsed.node)
    node.args.args.insert(0, gast.Name(seed, gast.Param(), None, None))

    def divides(call):        # _ad.div(a, b): a / b as NumPy divides floats
        return isinstance(call.func, gast.Attribute) and call.func.attr == "div" and \
            isinstance(call.func.value, gast.Name) and \
            parsed.resolve(call.func.value.id, None) is runtime
    node.body[-1].value = _times(gast.Name(seed, gast.Load(), None, None),
                                 node.body[-1].value, divides)
    return dataclasses.replace(parsed, node=node)


def _times(seed, expr, divides):
    """seed * expr, the seed multiplied into the leftmost factor of a chain of * and / (the
    numerator of `_ad.div`) and into each case of a conditional expression."""
    if isinstance(expr, gast.BinOp) and isinstance(expr.op, (gast.Mult, gast.Div)):
        expr.left = _times(seed, expr.left, divides)
        return expr
    if isinstance(expr, gast.Call) and divides(expr) and len(expr.args) == 2:
        expr.args[0] = _times(seed, expr.args[0], divides)
        return expr
    if isinstance(expr, gast.IfExp):      # a partial by cases: the seed in each case
        expr.body = _times(seed, expr.body, divides)
        expr.orelse = _times(copy.deepcopy(seed), expr.orelse, divides)
        return expr
    if isinstance(expr, gast.UnaryOp) and isinstance(expr.op, gast.USub):
        return _times(gast.UnaryOp(gast.USub(), seed), expr.operand, divides)
    if isinstance(expr, gast.Constant) and type(expr.value) in (int, float) and \
            expr.value == 1:
        return seed
    return gast.BinOp(seed, gast.Mult(), expr)


# the linear functions written as operators (defbilinear(operator.matmul, ...))
_OPERATORS = {operator.mul: "*", operator.matmul: "@"}


def _applied(how, seed, result):
    """`def rule(seed, ans, a, b, k=...): return fn(a, seed, k=k)` for how.of = fn, linear in
    argument how.position; fn named through its module as a rule would name it (np.reshape,
    np.fft.fft, `t @ b` for operator.matmul)."""
    words = [seed if k == how.position else name for k, name in enumerate(how.names)]
    words = [w if n not in how.keywords else f"{n}={w}" for w, n in zip(words, how.names)]
    closure = {}
    if how.of in _OPERATORS and len(words) == 2:
        call = f" {_OPERATORS[how.of]} ".join(words)
    else:           # the free name of fn, or of its module: no parameter's name
        free = "_linear"
        while free in how.names:
            free += "_"
        callee = _spelled(how.of)
        closure[free] = how.of if callee is None else callee[0]
        call = f"{'.'.join((free,) + (() if callee is None else callee[1]))}({', '.join(words)})"
    text = f"def rule({', '.join((seed, result) + how.names)}):\n    return {call}\n"
    node = gast.parse(text).body[0]
    return frontend.Parsed(None, node, "<s2s_ad rule>", text.splitlines(), closure)


def _spelled(fn):
    """(top module, attribute chain) through which `fn` is found (np.fft.fft: numpy,
    ("fft", "fft")), or None."""
    name = getattr(fn, "__name__", None)
    module = getattr(fn, "__module__", None) or ("numpy" if isinstance(fn, np.ufunc) else None)
    if not isinstance(name, str) or not isinstance(module, str):
        return None
    if getattr(runtime, name, None) is fn:      # a runtime helper: `_ad.name`, as rules say
        return runtime, (name,)
    parts = module.split(".")
    root = sys.modules.get(parts[0])
    for chain in (tuple(parts[1:]) + (name,), (name,)):
        obj = root
        for attr in chain:
            obj = getattr(obj, attr, None)
        if obj is fn:
            return root, chain
    return None


def template(rule):
    """The parsed rule, or None if it cannot be inlined (it is then called)."""
    if rule not in _TEMPLATES:
        try:
            _TEMPLATES[rule] = _Template(rule)
        except _NOT_INLINABLE:
            _TEMPLATES[rule] = None
    return _TEMPLATES[rule]


class Inliner:
    def __init__(self, namer, names):
        self.namer = namer
        self.names = names   # a GeneratedNames: object -> expression in generated code

    def instantiate(self, rule, positional, keywords, leading):
        """Inline `rule(*leading, *positional, **keywords)`; returns (stmts, expr).

        `leading` are the (g, ans) or (t, ans) expressions; the rest are the call's own atoms.
        Raises TypeError when the call's arguments do not fit the rule's parameters.
        """
        tmpl = template(rule)
        if tmpl is None:
            call = S.call(self.names.ref(rule), *[S.clone(a) for a in leading + positional],
                          **{k: S.clone(v) for k, v in keywords.items()})
            return [], call
        values = list(leading) + list(positional)
        if len(values) > len(tmpl.params):
            raise TypeError(f"takes {len(tmpl.params) - len(leading)} arguments, "
                            f"{len(positional)} given")
        binding = dict(zip(tmpl.params, values))
        for key, value in keywords.items():
            if key not in tmpl.params:
                raise TypeError(f"has no parameter '{key}'")
            binding[key] = value
        for param in tmpl.params:
            if param not in binding:
                if param not in tmpl.defaults:
                    raise TypeError(f"needs the argument '{param}'")
                binding[param] = self._value(tmpl.defaults[param])
        renames = {name: self.namer.temp() for name in tmpl.locals}
        for name, obj in tmpl.free.items():
            binding[name] = self.names.ref(obj)

        calls = []     # the calls the rule's body makes, as copied

        def subst(node):
            return _substituted(node, binding, renames, tmpl.modules, calls)

        stmts = [S.assign(renames[s.targets[0].id], subst(s.value)) for s in tmpl.body]
        result = subst(tmpl.result)
        if not all(S.is_atom(v) for v in binding.values()):   # the caller's may hold calls too
            calls = [n for node in [result] + stmts for n in S.walk(node)
                     if isinstance(n, gast.Call)]
        if calls:
            objects = {binding[name].id: obj for name, obj in tmpl.free.items()
                       if isinstance(binding[name], gast.Name)}
            for call in calls:
                _drop_default_arguments(call, objects)
        return stmts, result

    def _value(self, value):
        if value is None or isinstance(value, (bool, int, float, str, complex)):
            return S.const(value)
        if isinstance(value, tuple) and all(isinstance(v, (int, float)) for v in value):
            return S.tuple_([S.const(v) for v in value])
        return self.names.ref(value)


def _callee(func, objects):
    """(object, attribute chain) of what a call in a rule's body calls, when the rule names it
    through a free name (`np.linalg.solve`: numpy, ("linalg", "solve")); else None."""
    chain = []
    while isinstance(func, gast.Attribute):
        chain.append(func.attr)
        func = func.value
    if not isinstance(func, gast.Name) or func.id not in objects:
        return None
    return objects[func.id], tuple(reversed(chain))


def _drop_default_arguments(call, objects):
    """`_ad.sum_grad(g, x, None, False)` -> `_ad.sum_grad(g, x)`: defaults need not be spelled."""
    callee = _callee(call.func, objects)
    known = _signature(*callee) if callee is not None else None
    if known is None:
        return
    defaults, positional, by_keyword = known
    while call.args and len(call.args) <= len(positional) and \
            _equals_default(call.args[-1], defaults.get(positional[len(call.args) - 1], _NO)):
        if call.keywords:
            break
        call.args.pop()
    # a default between other arguments: `np.sum(t, -1, None, None, True)` is
    # `np.sum(t, axis=-1, keepdims=True)` (where those parameters may be named)
    spelled = call.args[1:len(positional)]
    if len(call.args) <= len(positional) and not any(
            isinstance(a, gast.Starred) for a in call.args) and all(
            n in by_keyword for n in positional[1:len(call.args)]) and any(
            _equals_default(a, defaults.get(n, _NO)) for a, n in zip(spelled, positional[1:])):
        call.keywords = [gast.keyword(arg=n, value=a) for a, n in zip(spelled, positional[1:])] \
            + call.keywords
        del call.args[1:]
    call.keywords = [k for k in call.keywords
                     if not _equals_default(k.value, defaults.get(k.arg, _NO))]


# (id(free object), attribute chain) -> (free object, callee, _signature(...) or None)
_SIGNATURES = {}


def _signature(root, chain):
    """The default values, the positional parameter names and those of them that may be named
    of `root.<chain>` (None when it has no signature), found once per callee that stays the
    same object."""
    obj = root
    for attr in chain:
        obj = getattr(obj, attr, None)
    if obj is None:
        return None
    known = _SIGNATURES.get((id(root), chain))
    if known is not None and known[0] is root and known[1] is obj:
        return known[2]
    try:
        params = list(inspect.signature(obj).parameters.values())
    except (TypeError, ValueError):
        info = None
    else:
        defaults = {p.name: p.default for p in params
                    if p.default is not inspect.Parameter.empty}
        if repr(defaults.get("keepdims")) == "<no value>":   # NumPy's marker: False in effect
            defaults["keepdims"] = False
        positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY,
                                                            p.POSITIONAL_OR_KEYWORD)]
        by_keyword = {p.name for p in params if p.kind is p.POSITIONAL_OR_KEYWORD}
        info = (defaults, positional, by_keyword)
    _SIGNATURES[(id(root), chain)] = (root, obj, info)
    return info


_NO = object()


def _equals_default(node, default):
    if default is _NO or not isinstance(node, gast.Constant):
        return False
    return type(node.value) is type(default) and node.value == default


def _substituted(node, binding, renames, objects, calls):
    """A copy of the rule's expression `node` with the parameters replaced by the caller's
    expressions (copied), the locals renamed, and `math.e` (a number attribute of a module the
    rule names) written as the number, so it can be folded.  The Calls copied from the rule are
    added to `calls`."""
    if type(node) is list:
        return [_substituted(item, binding, renames, objects, calls) for item in node]
    if not isinstance(node, gast.AST):
        return S.clone(node)
    if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load):
        if node.id in renames:
            return S.load(renames[node.id])
        if node.id in binding:
            return S.clone(binding[node.id])
    elif isinstance(node, gast.Attribute) and isinstance(node.value, gast.Name) \
            and node.value.id in objects:
        value = getattr(objects[node.value.id], node.attr, None)
        if type(value) in (int, float):
            return S.const(value)
    cls = type(node)
    new = cls.__new__(cls)
    if cls is gast.Call:
        calls.append(new)
    state = new.__dict__
    for key, value in node.__dict__.items():
        state[key] = value if type(value) in S.ATOMS else \
            _substituted(value, binding, renames, objects, calls)
    return new
