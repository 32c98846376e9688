"""Source: a Python function -> its gast FunctionDef and the objects its free names denote.

    parse(fn) -> Parsed

Stage: front end, the first step of normalize.
Input: a function object (a plain function, a lambda, a bound method, one of our wrappers).
Output: a Parsed: its FunctionDef, whose line and column numbers are those of the user's file
(so errors can point at the user's code), the file's lines, and its closure's values
(`Parsed.resolve` gives the object any free name denotes).

The source comes from `inspect`, which reads through `linecache`, so functions typed in IPython
or Jupyter cells work.  Methods are dedented, decorators dropped, and a lambda becomes a
FunctionDef whose body is `return <expr>`: source_text finds the text and parses it, same_code
checks that it is the code that runs.  Also here: `unwrap` (the function behind wrappers),
`signature`, and `calling` (a function that calls one which has derivative rules).
"""
import builtins
import functools
import inspect
import linecache
import types
from dataclasses import dataclass, field

import gast
import numpy as np

from s2s_ad.base.errors import Location, SourceUnavailableError
from s2s_ad.base.naming import CALL_FILE
from s2s_ad.frontend.same_code import check_same_code
from s2s_ad.frontend.source_text import (def_on_its_lines, file_lines, function_node,
                                         lambda_on_its_lines)


_MISSING = object()


@dataclass
class Parsed:
    fn: object
    node: gast.FunctionDef
    filename: str
    lines: list            # every line of the user's file, for error excerpts
    closure: dict = field(default_factory=dict)   # free variable -> its value when parsed
    cells: dict = field(default_factory=dict)     # free variable -> the function's own cell

    @property
    def name(self):
        return self.node.name

    def location(self, node):
        line = getattr(node, "lineno", None) or self.node.lineno
        col = getattr(node, "col_offset", 0) or 0
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        return Location(self.filename, line, col, text)

    def resolve(self, name, default=_MISSING):
        """The object a free name of the function is bound to: closure, then globals, builtins."""
        if name in self.closure:
            return self.closure[name]
        scope = getattr(self.fn, "__globals__", {})
        try:
            return scope[name]   # generated code's globals answer through __missing__
        except KeyError:
            pass
        if hasattr(builtins, name):
            return getattr(builtins, name)
        return default


def unwrap(fn):
    """The plain Python function behind bound methods, our own wrappers and wrappers that are
    not Python code (functools.lru_cache).  A Python function written with functools.wraps is
    not looked through: its body is code that runs (it may scale the result), so it is the
    function differentiated, calling the wrapped one as any other function."""
    while True:
        if isinstance(fn, (types.MethodType, staticmethod, classmethod)):
            fn = fn.__func__
        elif hasattr(fn, "__s2s_ad_original__"):
            fn = fn.__s2s_ad_original__
        elif hasattr(fn, "__wrapped__") and not isinstance(fn, types.FunctionType):
            fn = fn.__wrapped__
        else:
            return fn


def signature(fn):
    """inspect.signature of `fn`, a Python function's own (not that of the function a
    functools.wraps wrapper names in `__wrapped__`: the wrapper is what is differentiated)."""
    if isinstance(fn, np.ufunc):
        return _plain_signature(fn)
    return inspect.signature(fn, follow_wrapped=not isinstance(fn, types.FunctionType))


_UNBOUND = object()


def calling(fn, receiver=_UNBOUND, signature=None):
    """A Python function that calls `fn` with its own parameters (`def f(x, k): return f(x,
    k)`, the inner `f` being `fn`, a closure cell), with fn's defaults and globals: what is
    differentiated in place of a function that has derivative rules (ad.defvjp), so that its
    rules are used as at any call of it.  Given a `receiver`, fn's first parameter is bound to
    it (`def f(x): return f(__receiver__, x)`, a cell too): a method's derivative, called
    as the bound method is.  Its text is in linecache, under a pseudo-file name, for the front
    end and error messages.  `signature`: fn's, where inspect finds none (a built-in such as
    math.log); its defaults are the made function's."""
    sig = signature or _plain_signature(fn)
    empty = inspect.Parameter.empty
    name = fn.__code__.co_name if isinstance(fn, types.FunctionType) else fn.__name__
    params = list(sig.parameters.values())
    lead, cells = [], {name: fn}
    if receiver is not _UNBOUND:
        params, lead, cells["__receiver__"] = params[1:], ["__receiver__"], receiver
    plain = sig.replace(parameters=[p.replace(default=empty, annotation=empty)
                                    for p in params], return_annotation=empty)
    arguments = list(lead)
    for p in params:
        if p.kind is p.VAR_POSITIONAL:
            arguments.append("*" + p.name)
        elif p.kind is p.VAR_KEYWORD:
            arguments.append("**" + p.name)
        elif p.kind is p.KEYWORD_ONLY:
            arguments.append(f"{p.name}={p.name}")
        else:
            arguments.append(p.name)
    qualname = getattr(fn, "__qualname__", name)
    filename = f"{CALL_FILE}{getattr(fn, '__module__', None) or 'numpy'}.{qualname}>"
    # inside a function having `name` as a local, so that `name` in the body is a free
    # variable, then given a cell holding fn
    text = ("def _outer():\n" + "".join(f"    {c} = None\n" for c in cells) +
            f"    def {name}{plain}:\n"
            f"        return {name}({', '.join(arguments)})\n"
            f"    return {name}\n")
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    outer = next(c for c in compile(text, filename, "exec").co_consts
                 if isinstance(c, types.CodeType))
    inner = next(c for c in outer.co_consts if isinstance(c, types.CodeType))
    defaults = getattr(fn, "__defaults__", None) if signature is None else \
        tuple(p.default for p in params if p.default is not empty) or None
    function = types.FunctionType(inner, getattr(fn, "__globals__", {}), name, defaults,
                                  tuple(types.CellType(cells[c]) for c in inner.co_freevars))
    function.__kwdefaults__ = getattr(fn, "__kwdefaults__", None)
    function.__qualname__ = qualname
    return function


def _plain_signature(fn):
    """fn's signature; a NumPy ufunc's its positional inputs (`np.arctan2`: x1, x2)."""
    if isinstance(fn, np.ufunc):
        names = ["x"] if fn.nin == 1 else [f"x{k + 1}" for k in range(fn.nin)]
        return inspect.Signature([inspect.Parameter(n, inspect.Parameter.POSITIONAL_ONLY)
                                  for n in names])
    return inspect.signature(fn, follow_wrapped=False)


def parse(fn):
    fn = unwrap(fn)
    if not isinstance(fn, types.FunctionType):
        hint = "Differentiate a function that calls it (`lambda y: f(2.0, y)` for " \
            "functools.partial(f, 2.0))." if isinstance(fn, functools.partial) else \
            "Give it derivative rules with ad.defvjp / ad.defjvp, or mark it with " \
            "ad.nondifferentiable."
        raise SourceUnavailableError(
            f"cannot differentiate {fn!r}: it is not a Python function with source", hint=hint)
    code = fn.__code__
    filename = code.co_filename
    node, all_lines = lambda_on_its_lines(fn) if code.co_name == "<lambda>" else \
        def_on_its_lines(fn)
    if node is None:
        try:
            # (of the code: inspect would read the source of a wrapper's __wrapped__)
            lines, first = inspect.getsourcelines(code)
        except (OSError, TypeError) as exc:
            raise SourceUnavailableError(
                f"{filename}:{code.co_firstlineno}: cannot read the source of {fn.__qualname__} "
                f"({exc})",
                hint="Define the function in a file or a notebook cell (functions made by exec "
                     "or typed at the plain REPL have no source), or give it rules with "
                     "ad.defvjp.") from None
        all_lines = file_lines(filename, lines, first)
        node = function_node(fn, lines, first, filename, all_lines)
    if not filename.startswith("<s2s_ad"):     # (our own code is compiled from its text)
        check_same_code(fn, node, filename, all_lines)
    closure, cells = {}, {}
    if fn.__closure__:
        for name, cell in zip(code.co_freevars, fn.__closure__):
            try:
                closure[name] = cell.cell_contents
            except ValueError:  # an empty cell: bound later in the enclosing function
                continue
            cells[name] = cell
    return Parsed(fn, node, filename, all_lines, closure, cells)


__all__ = ["parse", "Parsed", "unwrap"]
