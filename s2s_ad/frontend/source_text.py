"""Source text: where a function's text is in its file, parsed to a located FunctionDef.

    def_on_its_lines(fn), lambda_on_its_lines(fn) -> (FunctionDef or None, the file's lines)
    function_node(fn, lines, first, filename, all_lines) -> FunctionDef

Stage: front end, read by source.parse.
Input: a function object (a `def` or a lambda) and the lines of its file (from linecache, or
those inspect.getsourcelines found).  Output: its FunctionDef as gast, decorators dropped (a
lambda as a FunctionDef whose body is `return <expr>`, named after a module-level
`name = lambda ...`), with the line and column numbers of the user's file.  Reading only the
lines the code comes from is faster than inspect; where that is not certain, the functions
answer None and inspect decides.
"""
import ast
import inspect
import linecache
import re
import textwrap

import gast

from s2s_ad.base import syntax
from s2s_ad.base.errors import Location, SourceUnavailableError, UnsupportedSyntaxError
from s2s_ad.frontend.same_code import lambda_compiles_to
from s2s_ad.frontend.to_gast import to_gast


def def_on_its_lines(fn):
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


def lambda_on_its_lines(fn):
    """(FunctionDef, the file's lines) for the lambda `fn`, parsed from the lines its code comes
    from without reading the whole file; the node is None where this is not certain (then
    `function_node` decides).  Python 3.11+ records the lines and columns of each
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


def function_node(fn, lines, first, filename, all_lines):
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


def file_lines(filename, lines, first):
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
        (c for c in fitting if lambda_compiles_to(c, target)), None)
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


def _parse(source):
    return to_gast(ast.parse(source))


def _shift_locations(node, line_offset, col_offset):
    for sub in syntax.walk(node):
        if hasattr(sub, "lineno") and sub.lineno is not None:
            sub.lineno += line_offset
            if getattr(sub, "end_lineno", None) is not None:
                sub.end_lineno += line_offset
            if getattr(sub, "col_offset", None) is not None:
                sub.col_offset += col_offset
