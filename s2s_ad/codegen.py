"""Code generation: gast tree -> Python source text -> a compiled function.

    to_source(node) -> str
    compile_function(source, name, user_globals, own) -> function

The text is printed by the standard library's precedence-aware unparser (`ast.unparse`), so it
has no parentheses that Python does not need.  Statements built with `syntax.comment` print as
`# ...` lines.  Compiled text is registered in `linecache` under a stable pseudo-file name, so
tracebacks, `pdb` and `inspect.getsource` show the generated lines.
"""
import ast
import hashlib
import linecache
import re
import types

import gast

from . import syntax as S

_COMMENT = re.compile(r"^(\s*)__comment__\((.*)\)$")


def to_source(node):
    node = _pad_empty_blocks(node)
    tree = gast.gast_to_ast(gast.Module(body=[node], type_ignores=[]))
    ast.fix_missing_locations(tree)
    text = ast.unparse(tree)
    lines = []
    for line in text.splitlines():
        match = _COMMENT.match(line)
        if match:
            line = f"{match.group(1)}# {ast.literal_eval(match.group(2))}"
        lines.append(line)
    return "\n".join(lines) + "\n"


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


def compile_function(source, name, user_globals, own, user_closure=None):
    """Compile `source` (one `def name`) and return the function.

    The function's globals are the user's module dict itself, so the names the user's code
    reads (`np`, a module-level array) are looked up live and at full speed.  Our own names
    (`_ad`, aliases used by inlined rules, other generated functions) and the user's closure
    variables (their values when the code was generated) are free variables of the function,
    bound through closure cells: nothing is written into the user's module.  `own` maps our
    names to objects; a value of None can be filled in later with `bind(function, name, value)`.
    """
    user_closure = user_closure or {}
    params = sorted(set(own) | set(user_closure))
    digest = hashlib.sha1(source.encode()).hexdigest()[:10]
    filename = f"<s2s_ad {name} {digest}>"
    header = f"def __s2s_ad_factory__({', '.join(params)}):\n"
    body = "".join("    " + line if line.strip() else line for line in source.splitlines(True))
    text = header + body + f"    return {name}\n"
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    module = compile(text, filename, "exec")
    factory_code = next(c for c in module.co_consts if isinstance(c, types.CodeType))
    factory = types.FunctionType(factory_code, user_globals, "__s2s_ad_factory__")
    values = {**user_closure, **own}
    return factory(*[values[p] for p in params])


def bind(function, name, value):
    """Set the closure variable `name` of a generated function (late binding of callees)."""
    for var, cell in zip(function.__code__.co_freevars, function.__closure__ or ()):
        if var == name:
            cell.cell_contents = value
