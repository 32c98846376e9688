"""The package's folders are the pipeline's stages, and imports run only downward (issue 22).

Layers, top to bottom (shared/LAYERS.md, shared/DESIGN.md):

    public       s2s_ad/*.py: api, higher, sources, decorator, check, cli
    transforms   s2s_ad/transforms/   forward, reverse, batching, program, pipeline
    analysis     s2s_ad/analysis/     ops, kinds, shapes, activity, aliasing, calls, analysed
    frontend     s2s_ad/frontend/     source, local_defs, desugar, to_ssa, normalize, inline
    backend      s2s_ad/backend/      optimize, names, printer, codegen
    rules        s2s_ad/rules/        the rule table
    runtime      s2s_ad/runtime/      what generated code imports as `_ad`
    base         s2s_ad/base/         errors, syntax, naming

A module may import any module of a layer below its own, and of its own layer; frontend and
backend sit side by side and import neither each other.  Every import counts, the ones inside
functions too, and no modules may import one another in a circle.

Every module is at most MAX_LINES lines and opens with a docstring: a longer one is split
along a seam into modules of one concern each (issue 22, point 9).
"""
import ast
import os

import pytest

PACKAGE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "s2s_ad")

RANK = {"public": 6, "transforms": 5, "analysis": 4, "frontend": 3, "backend": 3, "rules": 2,
        "runtime": 1, "base": 0}

MAX_LINES = 500

# (importer, imported): why it runs up.  At most two, each with a comment at the import.
ALLOWED_UPWARD = {}


def modules():
    """{dotted name: path} of every module in the package."""
    found = {}
    for dirpath, _, files in os.walk(PACKAGE):
        for f in files:
            if f.endswith(".py"):
                rel = os.path.relpath(os.path.join(dirpath, f), os.path.dirname(PACKAGE))
                name = rel[:-3].replace(os.sep, ".")
                found[name[:-len(".__init__")] if name.endswith(".__init__") else name] = \
                    os.path.join(dirpath, f)
    return found


def layer(module):
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in RANK) else "public"


def imports(module, path, known):
    """(line, imported module) for every import of a package module, at any depth."""
    package = module if path.endswith("__init__.py") else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(open(path).read(), path)):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1] +
                                ([node.module] if node.module else []))
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base
                     for a in node.names]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != "s2s_ad" and name != module:
                yield node.lineno, name


def graph():
    known = modules()
    return {m: sorted(set(imports(m, p, known))) for m, p in known.items()}


def upward(importer, imported):
    a, b = layer(importer), layer(imported)
    return RANK[b] > RANK[a] or (a != b and RANK[a] == RANK[b])


def test_every_module_is_in_a_layer():
    for module in modules():
        assert layer(module) in RANK, module


def test_imports_run_downward():
    wrong = [f"{importer} (line {line}) imports {imported}: {layer(importer)} -> "
             f"{layer(imported)}"
             for importer, edges in graph().items() for line, imported in edges
             if upward(importer, imported) and (importer, imported) not in ALLOWED_UPWARD]
    assert not wrong, "imports that run up a layer:\n" + "\n".join(wrong)


def test_allowed_upward_imports_are_few_and_explained():
    assert len(ALLOWED_UPWARD) <= 2
    found = modules()
    for (importer, imported), _ in ALLOWED_UPWARD.items():
        lines = open(found[importer]).read().splitlines()
        at = [line for line, name in graph()[importer] if name == imported]
        assert at, f"{importer} no longer imports {imported}: drop it from ALLOWED_UPWARD"
        for line in at:
            assert "#" in lines[line - 1] or lines[line - 2].strip().startswith("#"), \
                f"{importer}:{line} imports {imported} upward without a comment saying why"


def test_no_import_circle():
    edges = {m: {b for _, b in e} for m, e in graph().items()}
    circles = []
    for start in edges:
        stack, seen = [(start, [start])], set()
        while stack:
            node, path = stack.pop()
            for nxt in edges[node]:
                if nxt == start:
                    circles.append(" -> ".join(path + [start]))
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, path + [nxt]))
    assert not circles, "modules importing one another in a circle:\n" + \
        "\n".join(sorted(set(circles))[:20])


def test_modules_are_short():
    long = {module: n for module, path in modules().items()
            if (n := len(open(path).read().splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines (split each along a seam): " + \
        ", ".join(f"{module} ({n})" for module, n in sorted(long.items()))


def test_modules_open_with_a_docstring():
    bare = [module for module, path in modules().items()
            if not ast.get_docstring(ast.parse(open(path).read(), path))]
    assert not bare, "modules without a docstring saying what they do: " + ", ".join(sorted(bare))


@pytest.mark.parametrize("importer, imported, expected", [
    ("s2s_ad.analysis.calls", "s2s_ad.transforms.reverse", True),
    ("s2s_ad.frontend.to_ssa", "s2s_ad.backend.codegen", True),
    ("s2s_ad.transforms.reverse", "s2s_ad.analysis.calls", False),
    ("s2s_ad.api", "s2s_ad.higher", False),
])
def test_what_counts_as_upward(importer, imported, expected):
    assert upward(importer, imported) is expected
