"""Standalone emission: generated code as a module that runs with NumPy alone.

    module_text(pieces, header) -> str

`pieces` are the generated functions, each as (its source text, resolve), where resolve(name)
gives the object a global name of that text denotes (or MISSING).  Every global name the text
reads becomes a definition of the module, found the way the generated code finds it:

- a module: an import (`import numpy as np`);
- the runtime package `_ad`: each helper read as `_ad.name` is copied from s2s_ad/runtime by
  its source, under its own name (`unbroadcast(g, x)`), with what it uses in turn (other
  helpers, constants, s2s_ad's error classes, imports); no `_ad` is left;
- a function of the user's (or one s2s_ad generated): its source, with its own globals;
- a function or class of an installed library (numpy, scipy, the standard library): an import;
- a number, string, tuple, list, dict or NumPy array: a literal of its value now.

Anything else (an object of the user's own class, say) is refused, naming it.  Definitions come
before what uses them, so module-level statements (`MISSING_ITEM = _Missing()`) run in order.
"""
import ast
import builtins
import importlib
import inspect
import math
import symtable
import sys
import sysconfig
import types

import numpy as np

from s2s_ad.backend.codegen import to_source
from s2s_ad.base import syntax as S
from s2s_ad.base.errors import BadArgumentError
from s2s_ad.base.naming import Namer, is_generated
from s2s_ad.frontend import source as frontend

MISSING = object()
# s2s_ad's modules copied by their source (what inlined rules call: the scipy.stats rules'
# helpers, the np.linalg rule functions the scipy.linalg rules call)
_COPIED = ("s2s_ad.runtime", "s2s_ad.base.errors", "s2s_ad.rules.scipy_stats_rules",
           "s2s_ad.rules.scipy_stats_discrete_rules", "s2s_ad.rules.scipy_rules",
           "s2s_ad.rules.numpy_linalg_rules", "s2s_ad.rules.scipy_linalg_dense_rules")
_LIBRARIES = tuple({sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib",
                                                        "platlib")})


def module_text(pieces, header):
    trees = [ast.parse(text) for text, _ in pieces]
    module = _Module({name for tree in trees for name in _bound(tree)},
                     {stmt.name for tree in trees for stmt in tree.body})
    texts = [module.place(text, resolve) for text, resolve in pieces]
    blocks = texts
    if module.definitions:
        blocks = texts + ["# -- what the code above calls " + "-" * 48] + module.definitions
    return f'"""{header}"""\n' + "\n".join(module.imports) + "\n\n\n" + \
        "\n\n\n".join(block.strip("\n") for block in blocks) + "\n"


class _Module:
    def __init__(self, reserved, generated):
        self.generated = generated    # the names of the generated functions
        self.imports = []         # import lines
        self.definitions = []     # the text of each definition, each after what it uses
        self.names = Namer(reserved)   # every name of the generated code, and each name defined
        self.named = {}           # id(object) -> its name in the module
        self.keep = []            # the objects named (their ids stay theirs)

    def place(self, text, resolve, home=None):
        """`text` with each global name it reads renamed to the module's name for its object,
        defining that object first.  `home`: the module of ours the text was copied from."""
        tree = ast.parse(text)
        edits = []
        for node, parent in _global_loads(text, tree):
            if node.id in self.generated and home is None:
                continue
            obj = resolve(node.id)
            if obj is MISSING and hasattr(builtins, node.id) or \
                    obj is getattr(builtins, node.id, MISSING):
                continue
            if obj is MISSING:
                raise BadArgumentError(f"standalone code: the name {node.id!r} is not defined "
                                       f"where the code reads it")
            if _is_runtime_package(obj):
                attr = parent
                if not isinstance(attr, ast.Attribute) or attr.value is not node:
                    raise BadArgumentError("standalone code: the runtime package is used "
                                           "other than as `_ad.helper`")
                name = self.define(getattr(obj, attr.attr), attr.attr, obj)
                edits.append((attr, name))
            else:
                name = self.define(obj, node.id, home)
                if name != node.id:
                    edits.append((node, name))
        return _edited(text, edits)

    def define(self, obj, wanted, home):
        """The module's name for `obj` (read as `wanted`, found in module `home` when that is
        one of ours), writing its definition the first time."""
        if id(obj) in self.named:
            return self.named[id(obj)]
        name = self.named[id(obj)] = self.names.fresh(wanted)
        self.keep.append(obj)
        text = self._definition(obj, name, home)
        if text.startswith(("import ", "from ")):
            self.imports.append(text)
        else:
            self.definitions.append(text)
        return name

    def _definition(self, obj, name, home):
        if isinstance(obj, types.ModuleType):
            if obj.__name__.startswith("s2s_ad"):
                raise BadArgumentError(f"standalone code cannot use s2s_ad's module "
                                       f"{obj.__name__}")
            return f"import {obj.__name__}" if name == obj.__name__ else \
                f"import {obj.__name__} as {name}"
        owner = getattr(obj, "__module__", None) or ""
        if isinstance(obj, (types.FunctionType, type)) and owner.startswith(_COPIED):
            return self._copied(obj.__name__, sys.modules[owner], name)
        imported = _importable(obj)
        if home is not None:        # what one of our modules reads: an import or a constant
            return _import_line(imported, name) if imported is not None else \
                self._copied(next(n for n, v in vars(home).items() if v is obj), home, name)
        if isinstance(obj, types.FunctionType) and _is_user_code(obj):
            parsed = frontend.parse(obj)
            node = S.clone(parsed.node)
            node.name = name
            return self.place(to_source(node), lambda n: parsed.resolve(n, MISSING))
        literal = _literal(obj, self)
        if literal is not None:
            return f"{name} = {literal}"
        if imported is not None:
            return _import_line(imported, name)
        raise BadArgumentError(
            f"standalone code: the derivative reads {name!r}, a {type(obj).__name__}, which "
            f"cannot be written as source",
            hint="Pass it as an argument, or make it a number or a NumPy array at module "
                 "level.")

    def _copied(self, bound, module, name):
        """The statement of one of s2s_ad's modules that binds `bound`, by its source, with
        imports inside its functions of s2s_ad's own modules lifted to the module's names."""
        text, lifted, module = _statement(module, bound)
        if name != bound:
            text = _renamed_definition(text, bound, name)

        def resolve(n):
            if n in lifted:
                return getattr(importlib.import_module(lifted[n]), n)
            return vars(module).get(n, MISSING)
        return self.place(text, resolve, module)


def _statement(module, name):
    """(text, {name: module} of the s2s_ad imports dropped from it, the module it is in) of the
    top-level statement of `module` that binds `name` (for the runtime package, of one of its
    submodules)."""
    candidates = [module] if not hasattr(module, "__path__") else \
        [m for n, m in sys.modules.items() if n.startswith(module.__name__ + ".")]
    for mod in candidates:
        source = inspect.getsource(mod)
        for stmt in ast.parse(source).body:
            if name in _bound_at_top(stmt) and not isinstance(stmt, (ast.Import, ast.ImportFrom)):
                return _without_own_imports(ast.get_source_segment(source, stmt)) + (mod,)
    raise BadArgumentError(f"standalone code: no definition of {name} in {module.__name__}")


def _without_own_imports(text):
    """`text` without its `from s2s_ad... import name` statements (inside functions), and the
    names they bound, which the module defines instead."""
    lifted, dropped = {}, set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("s2s_ad"):
            lifted.update((a.asname or a.name, node.module) for a in node.names)
            dropped.update(range(node.lineno, node.end_lineno + 1))
    lines = text.splitlines(True)
    return "".join(line for i, line in enumerate(lines, 1) if i not in dropped), lifted


def _bound_at_top(stmt):
    if isinstance(stmt, (ast.FunctionDef, ast.ClassDef)):
        return {stmt.name}
    if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return set()


def _import_line(imported, name):
    module, bound = imported
    return f"from {module} import {bound}" + (f" as {name}" if name != bound else "")


def _renamed_definition(text, old, new):
    tree = ast.parse(text)
    stmt = tree.body[0]
    if isinstance(stmt, (ast.FunctionDef, ast.ClassDef)):
        line = text.splitlines(True)[stmt.lineno - 1]
        keyword = "def " if isinstance(stmt, ast.FunctionDef) else "class "
        lines = text.splitlines(True)
        lines[stmt.lineno - 1] = line.replace(keyword + old, keyword + new, 1)
        return "".join(lines)
    return _edited(text, [(n, new) for n in ast.walk(tree) if isinstance(n, ast.Name)
                          and n.id == old and isinstance(n.ctx, ast.Store)])


def _bound(tree):
    """The names a text binds: its functions, their parameters and local variables."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            found.add(node.id)
        elif isinstance(node, ast.arg):
            found.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            found.add(node.name)
    return found


def _global_loads(text, tree):
    """(Name node, its parent) for each name of `tree` that reads a global."""
    table = symtable.symtable(text, "<standalone>", "exec")
    top = {s.get_name() for s in table.get_symbols() if s.is_assigned() or s.is_imported()
           or s.is_namespace()}
    free = set()

    def walk(t):
        for s in t.get_symbols():
            if s.is_referenced() and (s.is_global() or t is table) and s.get_name() not in top:
                free.add(s.get_name())
        for child in t.get_children():
            walk(child)
    walk(table)
    parents = {id(child): node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    return [(n, parents.get(id(n))) for n in ast.walk(tree) if isinstance(n, ast.Name)
            and n.id in free and isinstance(n.ctx, ast.Load)]


def _edited(text, edits):
    """`text` with each (node, replacement) replacing the node's span (one line each)."""
    lines = [line.encode() for line in text.splitlines(True)]   # ast columns count bytes
    for node, new in sorted(edits, key=lambda e: (e[0].lineno, e[0].col_offset), reverse=True):
        i = node.lineno - 1
        lines[i] = lines[i][:node.col_offset] + new.encode() + lines[i][node.end_col_offset:]
    return b"".join(lines).decode()


def _is_runtime_package(obj):
    return isinstance(obj, types.ModuleType) and obj.__name__ == "s2s_ad.runtime"


def _is_user_code(fn):
    """A function written by the user (or generated by s2s_ad), not one of a library."""
    filename = fn.__code__.co_filename
    if is_generated(filename) or filename.startswith("<s2s_ad"):
        return True
    if (fn.__module__ or "").startswith("s2s_ad"):
        return False
    return not filename.startswith(_LIBRARIES)


def _importable(obj):
    """(module, name) when `from module import name` gives `obj`: a function or class by its
    name, or an object a library makes at module level (`scipy.stats.norm`, an instance of
    a class of that module), by the name the module binds it to."""
    module, name = getattr(obj, "__module__", None), getattr(obj, "__name__", None)
    if not module or module.startswith("s2s_ad") or module == "__main__":
        return None
    try:
        home = importlib.import_module(module)
    except ImportError:
        return None
    if name is None and type(obj).__module__ == module:
        name = next((n for n, v in vars(home).items() if v is obj and not n.startswith("_")),
                    None)
    return (module, name) if name is not None and getattr(home, name, None) is obj else None


def _literal(value, module):
    """Source text for a plain value, or None."""
    kind = type(value)
    if kind in (bool, int, str, bytes, type(None)):
        return repr(value)
    if kind is float:
        return repr(value) if math.isfinite(value) else f"float({str(value)!r})"
    if kind is complex:
        return f"complex({_literal(value.real, module)}, {_literal(value.imag, module)})"
    if kind in (tuple, list):
        items = [_literal(v, module) for v in value]
        if any(i is None for i in items):
            return None
        inner = ", ".join(items) + ("," if kind is tuple and len(items) == 1 else "")
        return f"({inner})" if kind is tuple else f"[{inner}]"
    if kind is dict:
        items = [(_literal(k, module), _literal(v, module)) for k, v in value.items()]
        if any(k is None or v is None for k, v in items):
            return None
        return "{" + ", ".join(f"{k}: {v}" for k, v in items) + "}"
    if isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind in "biufc":
        numpy = module.define(np, "np", None)
        if isinstance(value, np.generic):
            return f"{numpy}.{kind.__name__}({_literal(value.item(), module)})"
        text = f"{numpy}.array({_literal(value.tolist(), module)}, dtype={value.dtype.str!r})"
        return text if value.size else f"{text}.reshape({value.shape!r})"
    return None
