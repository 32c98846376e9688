"""Code generation: gast tree -> Python source text -> a compiled function.

    to_source(node) -> str
    compile_function(source, name, namespace) -> function

The text is printed by the standard library's precedence-aware unparser (`ast.unparse`), so it
has no parentheses that Python does not need.  Statements built with `syntax.comment` print as
`# ...` lines.  Compiled text is registered in `linecache` under a stable pseudo-file name, so
tracebacks, `pdb` and `inspect.getsource` show the generated lines.
"""
import ast
import hashlib
import linecache
import re

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
    for sub in gast.walk(node):
        for field in ("body", "orelse"):
            block = getattr(sub, field, None)
            if isinstance(block, list) and block and all(S.is_comment(s) for s in block):
                block.append(gast.Pass())
            elif field == "body" and isinstance(block, list) and not block \
                    and not isinstance(sub, gast.Module):
                block.append(gast.Pass())
    return node


def compile_function(source, name, namespace):
    """Execute `source` (one `def name`) in `namespace` and return the function."""
    digest = hashlib.sha1(source.encode()).hexdigest()[:10]
    filename = f"<s2s_ad {name} {digest}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    code = compile(source, filename, "exec")
    exec(code, namespace)
    return namespace[name]
