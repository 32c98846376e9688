"""Code generation: gast tree -> Python source text -> a compiled function.

    to_source(node) -> str
    compile_function(source, name, user_globals, own) -> function

The text is what the standard library's precedence-aware unparser (`ast.unparse`) prints, so it
has no parentheses that Python does not need: printed by `printer` (faster) where it knows every
node, else by unparse.  Statements built with `syntax.comment` print as `# ...` lines.
Compiled text is registered in `linecache` under a stable pseudo-file name, so tracebacks,
`pdb` and `inspect.getsource` show the generated lines.
"""
import ast
import hashlib
import linecache
import re
import types
import warnings
import weakref

import gast

from s2s_ad.base import syntax as S
from s2s_ad.base.naming import GENERATED_FILE
from s2s_ad.backend.printer import function_text

_COMMENT = re.compile(r"^(\s*)" + re.escape(S.COMMENT_MARKER) + r"\((.*)\)$")


def to_source(node):
    node = _pad_empty_blocks(node)
    text = function_text(node)      # the text unparse gives, printed faster
    return text + "\n" if text is not None else unparsed(node)


def unparsed(node):
    """The text of `node` printed by `ast.unparse`."""
    text = ast.unparse(ast.Module(body=[_to_ast(node)], type_ignores=[]))
    lines = []
    for line in text.splitlines():
        match = _COMMENT.match(line)
        if match:
            line = f"{match.group(1)}# {ast.literal_eval(match.group(2))}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def _to_ast(node):
    """The standard library's tree for a gast tree, as `ast.unparse` reads it.

    What `gast.gast_to_ast` does, for printing only (faster): each node becomes the `ast` class
    of the same name with the same fields, except that gast's parameters (Names) become
    `ast.arg` and an except handler's name a string.  Statements get a line number, which
    unparse looks up (for type comments); no other location is needed to print.  Operators and
    contexts (nodes without fields, which unparse only names) are one shared node per class,
    and names, most of the nodes, stay as they are: unparse prints a name from its id alone
    (it asks whether a node is an `ast.Name` only for the target of an annotated assignment).
    """
    if type(node) is list:
        return [_to_ast(item) for item in node]
    if not isinstance(node, gast.AST):
        return node
    if type(node) is gast.Name and node.annotation is None:
        return node
    if type(node) is gast.Constant and _negative_number(node.value):
        # unparse prints the constant -0.5 as `-0.5` even in `(-0.5) ** 2`, which reads back
        # as -(0.5 ** 2): as a negation, it gets its parentheses where it needs them
        return ast.UnaryOp(op=_SHARED_USUB, operand=ast.Constant(value=-node.value, kind=None))
    cls = _AST_CLASSES.get(type(node))
    if cls is None:
        cls = _AST_CLASSES[type(node)] = getattr(ast, type(node).__name__)
        if not cls._fields:
            _SHARED[cls] = cls()
    if not cls._fields:
        return _SHARED[cls]
    new = cls.__new__(cls)
    state = new.__dict__
    if cls is ast.arguments:
        for field in cls._fields:
            value = getattr(node, field)
            state[field] = [_to_arg(v) for v in value] if field.endswith("args") \
                else _to_arg(value) if field in ("vararg", "kwarg") else _to_ast(value)
    else:
        atoms = S.ATOMS
        for field in cls._fields:
            value = getattr(node, field, None)
            state[field] = value if type(value) in atoms else _to_ast(value)
        if cls is ast.ExceptHandler and node.name is not None:
            new.name = node.name.id
        if cls is ast.AnnAssign and isinstance(node.target, gast.Name):
            new.target = ast.Name(id=node.target.id, ctx=ast.Store())
    if isinstance(new, ast.stmt):
        new.lineno = getattr(node, "lineno", None) or 1
    return new


def _to_arg(name):
    if name is None:
        return None
    arg = ast.arg(arg=name.id, annotation=_to_ast(name.annotation),
                  type_comment=name.type_comment)
    return arg


_AST_CLASSES = {}
_SHARED = {}      # ast class without fields -> its one node
_SHARED_USUB = ast.USub()


def _negative_number(value):
    """An int or float constant printed with a leading minus sign (-0.0 included)."""
    return type(value) in (int, float) and (value < 0 or (value == 0 and
                                                           str(value).startswith("-")))


def _pad_empty_blocks(node):
    """A block that holds only comments gets a `pass`, so the text stays valid Python."""
    for sub in S.statements(node):
        for field in ("body", "orelse"):
            block = getattr(sub, field, None)
            if isinstance(block, list) and block and all(S.is_comment(s) for s in block):
                block.append(gast.Pass())
            elif field == "body" and isinstance(block, list) and not block \
                    and not isinstance(sub, gast.Module):
                block.append(gast.Pass())
    return node


def compile_function(source, name, user_globals, own, user_closure=None, user_cells=None,
                     own_lists=(), origin=None):
    """Compile `source` (one `def name`) and return the function.

    The function's globals are the user's module dict itself, so the names the user's code
    reads (`np`, a module-level array) are looked up live and at full speed.  Our own names
    (`_ad`, aliases used by inlined rules, other generated functions) and the user's closure
    variables are free variables of the function, bound through closure cells: nothing is
    written into the user's module.  A closure variable whose cell is given in `user_cells`
    (and still holds its value in `user_closure`) is read through the user's own cell, so
    live, as the user's function reads it; the others hold their `user_closure` value.  `own`
    maps our names to objects; a value of None can be filled in later with
    `bind(function, name, value)`.  `own_lists`: the names of the lists the generated code
    makes for itself (its tape), kept as the function's `__s2s_ad_lists__` for the analyses
    of a second differentiation, which tell them apart from the user's lists by it.
    `origin`: (the user's file name, the tree `source` was printed from), for `user_line`.
    """
    user_closure = user_closure or {}
    user_cells = user_cells or {}
    params = sorted(set(own) | set(user_closure))
    digest = hashlib.sha1(source.encode()).hexdigest()[:10]
    filename = f"{GENERATED_FILE} {name} {digest}>"
    header = f"def __s2s_ad_factory__({', '.join(params)}):\n"
    body = "".join("    " + line if line.strip() else line for line in source.splitlines(True))
    text = header + body + f"    return {name}\n"
    _show_lines(filename, text)
    if origin is not None:
        _ORIGINS[filename] = (origin[0], _statement_origins(origin[1]))
    with warnings.catch_warnings():
        # unoptimised code (optimize=False) keeps a rule's tests of its options, such as
        # `None is 1e309`, which Python warns about; the passes fold them away
        warnings.simplefilter("ignore", SyntaxWarning)
        module = compile(text, filename, "exec")
    factory_code = next(c for c in module.co_consts if isinstance(c, types.CodeType))
    factory = types.FunctionType(factory_code, user_globals, "__s2s_ad_factory__")
    values = {**user_closure, **own}
    function = factory(*[values[p] for p in params])
    function.__qualname__ = name     # errors say `f_grad()`, not where the factory made it
    code = function.__code__
    shared = [v for v in code.co_freevars if v in user_cells and v not in own and
              _holds(user_cells[v], user_closure.get(v))]
    function.__s2s_ad_lists__ = frozenset(own_lists)
    if not shared:
        return _lines_kept_while(function, filename)
    cells = tuple(user_cells[v] if v in shared else cell
                  for v, cell in zip(code.co_freevars, function.__closure__))
    live = types.FunctionType(code, user_globals, function.__name__, function.__defaults__, cells)
    live.__kwdefaults__ = function.__kwdefaults__
    live.__qualname__ = name
    live.__s2s_ad_lists__ = function.__s2s_ad_lists__
    return _lines_kept_while(live, filename)


_LINE_USERS = {}      # pseudo-file name -> how many live generated functions show its lines


def _show_lines(filename, text):
    """Register the text in linecache, where tracebacks, pdb and inspect look for it."""
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)


def _lines_kept_while(function, filename):
    """Keep the pseudo-file's lines while a function compiled from it lives, and no longer:
    clear_cache (or a derivative going out of scope) releases them."""
    _LINE_USERS[filename] = _LINE_USERS.get(filename, 0) + 1
    weakref.finalize(function, _release_lines, filename)
    return function


def _release_lines(filename):
    left = _LINE_USERS.get(filename, 1) - 1
    if left > 0:
        _LINE_USERS[filename] = left
        return
    _LINE_USERS.pop(filename, None)
    linecache.cache.pop(filename, None)
    _ORIGINS.pop(filename, None)


# ---- from a generated line back to the user's line ---------------------------------------------

_ORIGINS = {}    # pseudo-file name -> (user's file name, user's line of each statement, in order)


def _statement_origins(node):
    """The user's line of each statement of the tree, in the order the printed text has them
    (comments left out, as they are no statements once printed).  A statement copied from the
    user's code has its line; an adjoint statement has none, and takes the line of the comment
    above it (`# h = np.tanh(x @ W1)`), which quotes the statement it is the adjoint of."""
    out = []

    def walk(block, current):
        for stmt in block:
            if S.is_comment(stmt):
                current = getattr(stmt, "lineno", None)
                continue
            out.append(getattr(stmt, "lineno", None) or current)
            for inner in _inner_blocks(stmt):
                walk(inner, current)
    walk([node], None)
    return out


def _inner_blocks(stmt):
    """The statement lists inside a statement, in the order they are printed."""
    for field in ("body", "handlers", "orelse", "finalbody"):
        block = getattr(stmt, field, None)
        if not isinstance(block, list):
            continue
        if field == "handlers":
            yield from (handler.body for handler in block)
        else:
            yield block


def user_line(filename, line):
    """(user's file name, line) of the statement at `line` of generated pseudo-file `filename`,
    followed through generated code that was differentiated again; None where unknown, and
    for a file that is not generated code."""
    if filename not in _ORIGINS:
        return None
    while filename in _ORIGINS:
        user_file, origins = _ORIGINS[filename]
        index, count = _innermost_statement(filename, line)
        # the printed text has one statement per statement of the tree: if not, the lines
        # cannot be matched, and no line is better than a wrong one
        if index is None or count != len(origins) or origins[index] is None:
            return None
        filename, line = user_file, origins[index]
    return filename, line


def _innermost_statement(filename, line):
    """(index, count): the index, in printed order, of the innermost statement of the generated
    function that spans `line` of its pseudo-file (whose first statement is the factory around
    it), and how many statements the function has."""
    try:
        module = ast.parse("".join(linecache.getlines(filename)))
        function = module.body[0].body[0]
    except (SyntaxError, IndexError, AttributeError):     # lines no longer registered
        return None, 0
    found, index = None, 0

    def walk(block):
        nonlocal found, index
        for stmt in block:
            if stmt.lineno <= line <= stmt.end_lineno:
                found = index
            index += 1
            for inner in _inner_blocks(stmt):
                walk(inner)
    walk([function])
    return found, index


def _holds(cell, value):
    try:
        return cell.cell_contents is value
    except ValueError:
        return False


def bind(function, name, value):
    """Set the closure variable `name` of a generated function (late binding of callees)."""
    for var, cell in zip(function.__code__.co_freevars, function.__closure__ or ()):
        if var == name:
            cell.cell_contents = value
