"""Front end: a Python function -> its gast FunctionDef and the objects its free names denote.

    parse(fn) -> Parsed

The source comes from `inspect`, which reads through `linecache`, so functions typed in IPython
or Jupyter cells work.  Methods are dedented, decorators dropped, and a lambda becomes a
FunctionDef whose body is `return <expr>`.  Line and column numbers in the returned tree are
those of the user's file, so errors can point at the user's code.
"""
import ast
import builtins
import dis
import functools
import inspect
import linecache
import re
import textwrap
import types
import warnings
from dataclasses import dataclass, field

import gast
import numpy as np

from s2s_ad.base.errors import (Location, SourceMismatchError, SourceUnavailableError,
                     UnsupportedSyntaxError)
from s2s_ad.base import syntax
from s2s_ad.base.naming import CALL_FILE

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
    node, all_lines = _lambda_on_its_lines(fn) if code.co_name == "<lambda>" else \
        _def_on_its_lines(fn)
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
        all_lines = _file_lines(filename, lines, first)
        node = _function_node(fn, lines, first, filename, all_lines)
    if not filename.startswith("<s2s_ad"):     # (our own code is compiled from its text)
        _check_same_code(fn, node, filename, all_lines)
    closure, cells = {}, {}
    if fn.__closure__:
        for name, cell in zip(code.co_freevars, fn.__closure__):
            try:
                closure[name] = cell.cell_contents
            except ValueError:  # an empty cell: bound later in the enclosing function
                continue
            cells[name] = cell
    return Parsed(fn, node, filename, all_lines, closure, cells)


def _check_same_code(fn, node, filename, all_lines):
    """Refuse where the text found for `fn` does not compile to fn's code: what would be
    differentiated is not what runs (the module's file edited since it was imported, a function
    made by exec or compile with an existing file's name).  The definition is compiled where
    its free variables are those of an enclosing function, inside a class of the name its
    qualified name gives (for Python's mangling of `__names`), and its code compared with
    fn's: instructions, names, variables and constants."""
    code = fn.__code__
    if code.co_name == "<lambda>":
        return      # (a lambda is chosen by its place and code already: _lambda_node)
    same = node.name == code.co_name
    if same:
        compiled = _compiled_alone(node, code, fn.__qualname__, _imported_names(fn))
        same = compiled is None or _same_instructions(compiled, code)
    if not same:
        line = code.co_firstlineno
        raise SourceMismatchError(
            f"the text of {fn.__qualname__} found in {filename} is not the code that runs: "
            f"the file has changed since the function was defined, or the function was made "
            f"by exec or compile with this file's name",
            hint="Reload the module (importlib.reload) or restart the interpreter, so that the "
                 "function is defined from the file's text; define a function made by exec in "
                 "a file of its own.",
            location=Location(filename, line, 0,
                              all_lines[line - 1] if 0 < line <= len(all_lines) else ""))


_FUTURE_FLAGS = 0
for _feature in __import__("__future__").all_feature_names:
    _FUTURE_FLAGS |= getattr(__import__("__future__"), _feature).compiler_flag


def _imported_names(fn):
    """The global names fn's code reads that hold modules: most likely bound by an `import`."""
    names, todo = set(), [fn.__code__]
    for code in todo:
        names.update(code.co_names)
        todo.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
    return sorted(n for n in names if isinstance(fn.__globals__.get(n), types.ModuleType))


def _compiled_alone(node, code, qualname, imported=()):
    """The code object the FunctionDef `node` compiles to, placed as its qualified name says
    (`g.<locals>.C.f`: in class C in function g), its free variables locals of the innermost
    enclosing function; None where it cannot be placed or does not compile there.

    The names in `imported` are imported above it: Python compiles `np.sum(x)` differently
    where `np` was bound by an import in the module, and the same bytes can be compared
    without disassembling them (_same_bytes).  A wrong guess only costs that shortcut."""
    definition = gast.gast_to_ast(node)     # (a new tree: node is not changed)
    definition.decorator_list = []
    qualname = getattr(code, "co_qualname", qualname)    # (a wraps wrapper's is its own)
    parts = qualname.split(".")
    if parts[-1] != code.co_name:
        return None
    in_class = any(parts[i] != "<locals>" and parts[i + 1] != "<locals>"
                   for i in range(len(parts) - 1))
    free = [ast.Assign(targets=[ast.Name(id=v, ctx=ast.Store())], value=ast.Constant(None))
            for v in code.co_freevars if not (in_class and v == "__class__")]
    body = [definition]
    for i in range(len(parts) - 2, -1, -1):
        part = parts[i]
        if part == "<locals>":
            continue
        if not part.isidentifier():
            return None
        if parts[i + 1] == "<locals>":
            body = [_function(part, free + body)]
            free = []
        else:
            body = [ast.ClassDef(name=part, bases=[], keywords=[], body=body, decorator_list=[],
                                 type_params=[])]
    if free:
        body = [_function("_outer", free + body)]
    body = [ast.Import(names=[ast.alias(name=n, asname=None)]) for n in imported] + body
    module = ast.fix_missing_locations(ast.Module(body=body, type_ignores=[]))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compiled = compile(module, "<s2s_ad source check>", "exec",
                               flags=code.co_flags & _FUTURE_FLAGS, dont_inherit=True)
    except (SyntaxError, ValueError, TypeError):
        return None
    found, todo = [], list(compiled.co_consts)
    for const in todo:
        if isinstance(const, types.CodeType):
            if const.co_name == code.co_name:
                found.append(const)
            todo.extend(const.co_consts)
    return next((c for c in found if getattr(c, "co_qualname", None) == qualname),
                found[-1] if found else None)


def _function(name, body):
    return ast.FunctionDef(name=name, args=ast.arguments(
        posonlyargs=[], args=[], vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None,
        defaults=[]), body=body, decorator_list=[], returns=None, type_params=[])


def _same_instructions(a, b):
    return a.co_names == b.co_names and a.co_varnames == b.co_varnames and \
        a.co_freevars == b.co_freevars and a.co_argcount == b.co_argcount and \
        a.co_kwonlyargcount == b.co_kwonlyargcount and _constants(a) == _constants(b) and \
        (_same_bytes(a, b) or _instructions(a) == _instructions(b))


def _same_bytes(a, b):
    """The same bytecode over the same tables of names: then every instruction is the same
    (disassembling both, for the differences _instructions forgives, costs more than all the
    rest of the check)."""
    return a.co_code == b.co_code and a.co_cellvars == b.co_cellvars


def _instructions(code):
    """A code object's instructions as (operation, argument value), jumps by the index of their
    target, without EXTENDED_ARG prefixes.  The compiler writes `np.sum(x)` with LOAD_METHOD
    or, where the module imported `np` (which a definition compiled alone cannot know),
    LOAD_ATTR, whose caches differ in length: the same operation here."""
    found, index, prefixes = [], {}, []
    for ins in dis.get_instructions(code):
        if ins.opname == "EXTENDED_ARG":     # (longer jumps where LOAD_METHOD's cache is)
            prefixes.append(ins.offset)
            continue
        for offset in prefixes + [ins.offset]:
            index[offset] = len(found)
        prefixes = []
        found.append(ins)
    jumps = set(dis.hasjrel) | set(dis.hasjabs)
    out = []
    for ins in found:
        value = ins.argval
        if ins.opcode in jumps:
            value = index.get(value, value)
        elif isinstance(value, types.CodeType):
            value = None          # (compared with the constants)
        elif isinstance(value, (int, float, complex)):
            value = (type(value), repr(value))
        out.append(("LOAD_ATTR" if ins.opname == "LOAD_METHOD" else ins.opname, value))
    return out


def _file_lines(filename, lines, first):
    whole = linecache.getlines(filename)
    if whole:
        return whole
    return [""] * (first - 1) + list(lines)


_MODULE_LAMBDAS = {}   # filename -> (its lines, their lambdas)


def _module_lambdas(filename, all_lines):
    """{line: [(lambda, its name)]} for the whole file, cached while its lines are the same (a
    copy of them is kept: comparing it costs little, its lines being the same strings); None if
    the file does not parse on its own.  A lambda's name is that of a module-level
    `name = lambda ...`, else "lambda_"."""
    cached = _MODULE_LAMBDAS.get(filename)
    if cached is not None and cached[0] == all_lines:
        return cached[1]
    try:
        tree = ast.parse("".join(all_lines))
    except (SyntaxError, ValueError):
        lambdas = None
    else:
        lambdas = _lambdas_by_line(tree, {
            id(node.value): node.targets[0].id for node in tree.body
            if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)})
    _MODULE_LAMBDAS[filename] = (list(all_lines), lambdas)
    return lambdas


def _def_on_its_lines(fn):
    """(FunctionDef, the file's lines) for the `def` of `fn`, parsed from its first line to
    the last line of code before the next one indented no deeper: the lines
    inspect.getsourcelines finds by tokenizing them, which costs more than parsing them.
    (None, None) where this is not certain (a decorator above it, a line inside a string or
    brackets cut off, a file changed since), for inspect to decide."""
    code = fn.__code__
    linecache.checkcache(code.co_filename)      # as inspect does: the file may have changed
    all_lines = linecache.getlines(code.co_filename, fn.__globals__)
    first = code.co_firstlineno
    if not (0 < first <= len(all_lines) and _DEF.match(all_lines[first - 1])):
        return None, None
    indent = _indent_of(all_lines[first - 1:first])
    last = first
    for number in range(first + 1, len(all_lines) + 1):
        line = all_lines[number - 1]
        if _code(line):
            if _indent_of([line]) <= indent:
                break
            last = number
    text = "".join(all_lines[first - 1:last])
    try:
        # a def at the margin is parsed below as many empty lines as stand above it, so its
        # locations are the file's, with no walk to shift them
        tree = _parse("\n" * (first - 1) + text if not indent else textwrap.dedent(text))
    except SyntaxError:    # cut off where a line of a string or bracket is less indented
        return None, None
    if len(tree.body) != 1 or not isinstance(tree.body[0], gast.FunctionDef) or \
            tree.body[0].name != code.co_name:
        return None, None
    node = tree.body[0]
    if indent:
        _shift_locations(node, first - 1, indent)
    return node, all_lines


_DEF = re.compile(r"\s*def\s")


def _lambda_on_its_lines(fn):
    """(FunctionDef, the file's lines) for the lambda `fn`, parsed from the lines its code comes
    from without reading the whole file; the node is None where this is not certain (then
    `_function_node` decides).  Python 3.11+ records the lines and columns of each
    instruction: they give the lambda's last line, and the lambda found must hold them all."""
    code = fn.__code__
    if not hasattr(code, "co_positions"):
        return None, None
    try:
        source, _ = inspect.findsource(code)    # as inspect.getsourcelines reads the file
    except (OSError, TypeError):
        return None, None
    all_lines = linecache.getlines(code.co_filename)
    first = code.co_firstlineno
    if source is not all_lines or not 0 < first <= len(all_lines):
        return None, None
    last = max((end for _, end, _, _ in code.co_positions() if end is not None), default=first)
    for lambdas in _statement_lambdas(all_lines, first, last):
        node = _lambda_at(fn, lambdas, strict=True)
        if node is not None:
            return node, all_lines
    return None, all_lines


def _statement_lambdas(all_lines, first, last):
    """{line: [(lambda, its name)]} for lines `first`..`last` of the file, parsed where they
    stand (indented ones under an `if 1:`), for each of a few lines above and below that give
    lines parsing on their own (the lambda may be inside a larger call).

    Parsing from the middle of a statement gives the lambda the same extent (the parser reads
    an expression the same way wherever it stands) unless the lines end too early (which
    `strict` in `_lambda_at` catches), but cannot tell whether it is the value of a
    `name = (...)` above: a lambda that is all of a statement here has the name None (the
    whole file decides), the others are "lambda_"."""
    for _, start in zip(range(4), _starts(all_lines, first)):
        if start > 1 and all_lines[start - 2].endswith("\\\n"):
            continue    # continues the line above
        indent = _indent_of(all_lines[start - 1:start])
        head = ("\n" * (start - 2) + "if 1:\n") if indent else "\n" * (start - 1)
        for end in _ends(all_lines, last, indent):
            try:
                tree = ast.parse(head + "".join(all_lines[start - 1:end]))
            except (SyntaxError, ValueError):
                continue
            yield _lambdas_by_line(tree)


def _starts(all_lines, first):
    """The lines a statement holding line `first` may start on: `first`, then the lines above,
    each less indented than the last."""
    yield first
    indent = _indent_of(all_lines[first - 1:first])
    for start in range(first - 1, 0, -1):
        if _code(all_lines[start - 1]) and _indent_of(all_lines[start - 1:start]) < indent:
            indent = _indent_of(all_lines[start - 1:start])
            yield start


def _ends(all_lines, last, indent):
    """The lines a statement starting with `indent` and holding line `last` may end on: `last`,
    else the line before the next one as little indented (that one too if it closes brackets)."""
    yield last
    for end in range(last + 1, len(all_lines) + 1):
        line = all_lines[end - 1]
        if _code(line) and _indent_of([line]) <= indent:
            yield end if line.lstrip()[:1] in (")", "]", "}") else end - 1
            return
    yield len(all_lines)


def _code(line):
    return line.strip()[:1] not in ("", "#")


def _lambdas_by_line(tree, names=None):
    """{line: [(lambda, its name)]} of a standard-library tree, named by `names`
    (id(lambda) -> name, "lambda_" for the others); without `names`, a lambda that is all of
    an expression statement or an assignment is named None, the others "lambda_"."""
    found, unnamed = [], {}
    for n in syntax.walk(tree):
        if isinstance(n, ast.Lambda):
            found.append(n)
        elif names is None and isinstance(n, (ast.Expr, ast.Assign)) \
                and isinstance(n.value, ast.Lambda):
            unnamed[id(n.value)] = None
    names = unnamed if names is None else names
    lambdas = {}
    for n in found:
        lambdas.setdefault(n.lineno, []).append((n, names.get(id(n), "lambda_")))
    return lambdas


def _lambda_at(fn, lambdas, strict=False):
    """fn's lambda among `lambdas` ({line: [(lambda, name)]} of standard-library nodes; only
    those on fn's line are converted to gast), as a FunctionDef; None if it is not found there
    or its name is not known.  `strict`: only the one at the place fn's code comes from."""
    if lambdas is None:
        return None
    found = [(to_gast(lam), name)
             for lam, name in lambdas.get(fn.__code__.co_firstlineno, ())]
    if not found:
        return None
    holder = gast.Module(body=[gast.Expr(value=lam) for lam, _ in found], type_ignores=[])
    try:
        node = _lambda_node(fn, holder, names={id(lam): name for lam, name in found},
                            strict=strict)
    except SourceUnavailableError:
        return None
    return node if node.name is not None else None


def _function_node(fn, lines, first, filename, all_lines):
    if fn.__code__.co_name == "<lambda>":
        # the whole file: a lambda spanning several lines inside a larger call is cut by
        # inspect, and a module-level `name = lambda ...` gives its name
        node = _lambda_at(fn, _module_lambdas(filename, all_lines))
        if node is not None:
            return node
    source = "".join(lines)
    dedented = textwrap.dedent(source)
    indent = _indent_of(lines)
    try:
        tree = _parse(dedented)
    except SyntaxError:
        tree = None
    if fn.__code__.co_name == "<lambda>":
        if tree is None:
            tree = _parse_lambda_context(dedented)
        node = _lambda_node(fn, tree, line_offset=first - 1, col_offset=indent)
    else:
        node = next((n for n in tree.body if isinstance(n, gast.FunctionDef)), None) if tree else None
        if node is None:
            kind = "async function" if tree and isinstance(tree.body[0], gast.AsyncFunctionDef) \
                else "definition"
            raise UnsupportedSyntaxError(
                f"cannot differentiate {fn.__qualname__}: its {kind} is not supported",
                hint="Differentiate a plain `def` function.",
                location=Location(filename, first, indent,
                                  all_lines[first - 1] if first <= len(all_lines) else ""))
        node.decorator_list = []
    _shift_locations(node, first - 1, indent)
    return node


def _indent_of(lines):
    for line in lines:
        if line.strip():
            return len(line) - len(line.lstrip())
    return 0


def _parse_lambda_context(source):
    # A lambda inside a larger expression: getsourcelines may cut a statement in the middle.
    text = source.strip()
    for trim in range(len(text), 0, -1):
        try:
            return _parse(text[:trim])
        except SyntaxError:
            continue
    return _parse("")


def _lambda_node(fn, tree, names=None, line_offset=0, col_offset=0, strict=False):
    """The Lambda in `tree` whose compiled code is `fn`'s, as a FunctionDef (named from
    `names`, id(lambda) -> name, when given).  `strict`: only one at fn's place will do."""
    candidates = [n for n in syntax.walk(tree) if isinstance(n, gast.Lambda)]
    target = fn.__code__
    params = list(target.co_varnames[:target.co_argcount])
    fitting = [c for c in candidates if _lambda_signature(c) == _code_signature(target)]
    # the only one with its parameters, else the one at the place fn's code comes from, else
    # the one that compiles to fn's code
    chosen = next((c for c in fitting if _same_place(c, target, line_offset, col_offset)),
                  None) if strict else fitting[0] if len(fitting) == 1 else next(
        (c for c in fitting if _same_place(c, target, line_offset, col_offset)), None) or next(
        (c for c in fitting if _same_code(c, target)), None)
    if chosen is None:
        where = f" among {len(fitting)} lambdas taking ({', '.join(params)}) on one line" \
            if len(fitting) > 1 else ""
        raise SourceUnavailableError(f"cannot find the source of the lambda {fn!r}{where}",
                                     hint="Define it with `def` instead, or give it a line of "
                                          "its own.")
    name = names[id(chosen)] if names is not None else _lambda_name(tree, chosen)
    ret = gast.Return(value=chosen.body)
    gast.copy_location(ret, chosen.body)
    node = gast.FunctionDef(name=name, args=chosen.args, body=[ret], decorator_list=[],
                            returns=None, type_comment=None, type_params=[])
    gast.copy_location(node, chosen)
    return node


def _code_signature(code):
    """(positional, keyword-only, *name, **name) parameter names of a code object."""
    n, k = code.co_argcount, code.co_kwonlyargcount
    names = list(code.co_varnames)
    star = names[n + k] if code.co_flags & inspect.CO_VARARGS else None
    after = n + k + (star is not None)
    stars = names[after] if code.co_flags & inspect.CO_VARKEYWORDS else None
    return names[:n], names[n:n + k], star, stars


def _lambda_signature(lam):
    """The same of a gast Lambda: a lambda taking `*a` is not one taking nothing."""
    args = lam.args
    return ([a.id for a in (args.posonlyargs or []) + args.args],
            [a.id for a in args.kwonlyargs], args.vararg.id if args.vararg else None,
            args.kwarg.id if args.kwarg else None)


def _lambda_name(tree, lam):
    # `name = lambda ...` is a statement of the module (a lambda inside a function is inlined
    # where it is called, not parsed here)
    for node in getattr(tree, "body", []):
        if isinstance(node, gast.Assign) and node.value is lam and \
                isinstance(node.targets[0], gast.Name):
            return node.targets[0].id
    return "lambda_"


def _same_place(lam, code, line_offset, col_offset):
    """Is the lambda's body where `code`'s instructions come from?  Python 3.11+ records the
    line and columns of each instruction; `line_offset`, `col_offset` place `lam` in the file.
    False where the positions are not recorded."""
    positions = getattr(code, "co_positions", None)
    body = lam.body
    if positions is None or getattr(body, "end_col_offset", None) is None:
        return False
    spans = [(line, col, end_line, end_col) for line, end_line, col, end_col in positions()
             if line is not None and col is not None and end_col is not None
             and (end_line, end_col) > (line, col)]
    if not spans:
        return False
    first = min((line, col) for line, col, _, _ in spans)
    last = max((end_line, end_col) for _, _, end_line, end_col in spans)
    start = (body.lineno + line_offset, body.col_offset + col_offset)
    end = (body.end_lineno + line_offset, body.end_col_offset + col_offset)
    return start <= first and last <= end


def _same_code(lam, code):
    """Does the lambda node compile to `code`?  Its free variables (a closure's) are made the
    locals of an enclosing function, so that they compile to the same instructions."""
    lam = gast.gast_to_ast(lam)
    body = [ast.Assign(targets=[ast.Name(id=v, ctx=ast.Store())], value=ast.Constant(None))
            for v in code.co_freevars] + [ast.Return(value=lam)]
    outer = ast.FunctionDef(name="_outer", args=ast.arguments(
        posonlyargs=[], args=[], vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None,
        defaults=[]), body=body, decorator_list=[], returns=None, type_params=[])
    try:
        compiled = compile(ast.fix_missing_locations(ast.Module(body=[outer], type_ignores=[])),
                           "<lambda-match>", "exec")
    except (SyntaxError, ValueError, TypeError):
        return False
    todo = list(compiled.co_consts)
    for const in todo:
        if isinstance(const, types.CodeType):
            if const.co_name == "<lambda>":
                return _instructions(const) == _instructions(code) and \
                    const.co_names == code.co_names and _constants(const) == _constants(code)
            todo.extend(const.co_consts)
    return False


def _constants(code):
    """The constants of a code object, nested code by its instructions and constants
    (`* 2.0` vs `* 3.0`)."""
    return tuple((_instructions(c), c.co_names, _constants(c)) if isinstance(c, types.CodeType)
                 else (type(c), repr(c) if type(c) is float else c) for c in code.co_consts)


def _parse(source):
    return to_gast(ast.parse(source))


def to_gast(node):
    """`gast.ast_to_gast(node)`, the same tree, made faster (gast's converter dispatches on
    each node's class name and builds it from keyword arguments; this runs on every function
    differentiated and every rule inlined).  Each node becomes the gast class of the same name
    with the same fields and locations, except that gast's Names carry an annotation and a
    type comment, a parameter (`ast.arg`) and an except handler's name become Names, and
    definitions have `type_params` before Python 3.12.  The nodes of type parameters (3.12+)
    are left to gast."""
    if type(node) is list:
        return [to_gast(item) for item in node]
    if not isinstance(node, ast.AST):
        return node
    special = _GAST_SPECIAL.get(type(node))
    return special(node) if special is not None else _gast_node(node)


def _gast_node(node):
    kind = type(node)
    cls = _GAST_CLASSES.get(kind)
    if cls is None:
        cls = _GAST_CLASSES[kind] = getattr(gast, kind.__name__)
    new = cls.__new__(cls)
    state = new.__dict__
    atoms = syntax.ATOMS
    for key, value in node.__dict__.items():     # its fields and locations
        state[key] = value if type(value) in atoms else to_gast(value)
    if kind in _DEFINITIONS and "type_params" not in state:
        state["type_params"] = []
    return new


def _copy_locations(node, state):
    for attribute in node._attributes:
        value = getattr(node, attribute, _MISSING)
        if value is not _MISSING:
            state[attribute] = value


def _gast_name(node):
    new = _gast_node(node)
    new.annotation = new.type_comment = None
    return new


def _gast_parameter(node):
    new = gast.Name(node.arg, gast.Param(), to_gast(node.annotation), node.type_comment)
    _copy_locations(node, new.__dict__)
    return new


def _gast_handler(node):
    if not node.name:
        return _gast_node(node)
    new = gast.ExceptHandler(to_gast(node.type), gast.Name(node.name, gast.Store(), None, None),
                             to_gast(node.body))
    _copy_locations(node, new.__dict__)
    return new


_GAST_CLASSES = {}
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_GAST_SPECIAL = {ast.Name: _gast_name, ast.arg: _gast_parameter, ast.ExceptHandler: _gast_handler}
_GAST_SPECIAL.update({getattr(ast, name): gast.ast_to_gast
                      for name in ("TypeVar", "ParamSpec", "TypeVarTuple") if hasattr(ast, name)})


def _shift_locations(node, line_offset, col_offset):
    for sub in syntax.walk(node):
        if hasattr(sub, "lineno") and sub.lineno is not None:
            sub.lineno += line_offset
            if getattr(sub, "end_lineno", None) is not None:
                sub.end_lineno += line_offset
            if getattr(sub, "col_offset", None) is not None:
                sub.col_offset += col_offset


__all__ = ["parse", "Parsed", "unwrap", "syntax"]
