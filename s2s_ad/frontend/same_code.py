"""Same code: whether the text found for a function is the code that runs.

    check_same_code(fn, node, filename, all_lines) -> None, or raise SourceMismatchError
    lambda_compiles_to(lam, code) -> whether a Lambda node compiles to `code`

Stage: front end, read by source.parse and source_text (which of several lambdas on a line).
Input: the function object (its code object) and the FunctionDef or Lambda parsed from its
text.  Output: nothing where the text compiles to the function's code (instructions, names,
variables, constants); else the refusal, naming the file.
"""
import ast
import dis
import types
import warnings

import gast

from s2s_ad.base.errors import Location, SourceMismatchError


def check_same_code(fn, node, filename, all_lines):
    """Refuse where the text found for `fn` does not compile to fn's code: what would be
    differentiated is not what runs (the module's file edited since it was imported, a function
    made by exec or compile with an existing file's name).  The definition is compiled where
    its free variables are those of an enclosing function, inside a class of the name its
    qualified name gives (for Python's mangling of `__names`), and its code compared with
    fn's: instructions, names, variables and constants."""
    code = fn.__code__
    if code.co_name == "<lambda>":
        return      # (a lambda is chosen by its place and code already: source_text)
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


def lambda_compiles_to(lam, code):
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
