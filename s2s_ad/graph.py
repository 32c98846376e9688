"""`ad.graph(f)`: the computational graph of `f`, its SSA form drawn as a Graphviz DOT graph.

    g = ad.graph(f)                  # str(g) is DOT text; Jupyter shows it as SVG
    g = ad.graph(f, adjoint=True)    # with the reverse sweep's adjoint edges, tape entries marked

One node per SSA statement (`ad.source(f, "ssa")`), labelled with it, so with the user's names;
parameters are the inputs and `return` the output.  An edge runs from the statement that
defines a value to each statement that reads it; in a loop, a value the body redefines also
reaches the reads at the top of the body, by a dashed edge (the next iteration).  A loop body
and each branch of an `if` is a cluster labelled with its header.

With `adjoint=True`, each edge along which the reverse sweep sends an adjoint (both ends active:
they depend on a wrt argument and the output depends on them, see analysis/activity.py) gets a
red edge back, labelled with the adjoint it adds to; statements whose value the generated
gradient saves on its tape (in a loop, or inside a called function) are shaded and marked.
"""
import ast
import subprocess

import gast

from s2s_ad.analysis.activity import _operands, activity, differentiable, targets
from s2s_ad.analysis.analysed import Analysed
from s2s_ad.arguments import arg_kinds, parameters, wrt_names
from s2s_ad.backend.codegen import unparsed
from s2s_ad.base import syntax as S
from s2s_ad.frontend.normalize import loop_walks, normalize
from s2s_ad.transforms.pipeline import collector_paused, deep_expressions


class Graph:
    """A DOT graph: `str()` and `.source` give its text; Jupyter renders it as SVG with the
    `graphviz` package (`pip install s2s_ad[graph]` and Graphviz's `dot`), else as text."""

    def __init__(self, source):
        self.source = source

    def __str__(self):
        return self.source

    def __repr__(self):
        return f"<ad.graph: {self.source.count(' -> ')} edges; print() it for DOT text>"

    def _repr_markdown_(self):
        return f"```dot\n{self.source}```"

    def _repr_svg_(self):
        try:
            import graphviz
            return graphviz.Source(self.source).pipe(format="svg").decode()
        # no graphviz package (ImportError), no `dot` program (graphviz's ExecutableNotFound,
        # a RuntimeError; OSError), or `dot` failed (a CalledProcessError): Jupyter shows
        # the text instead, which says all the SVG would
        except (ImportError, OSError, RuntimeError, subprocess.SubprocessError):
            return None


def graph(fn, wrt=0, *, adjoint=False, example=None):
    """The computational graph of a function: its SSA form as a Graphviz DOT graph.

    One node per statement of fn's SSA form (`ad.source(f, "ssa")`), labelled with it, so
    with fn's own names; parameters are ellipses, the `return` an octagon.  An edge runs
    from the statement that defines a value to each statement that reads it (dashed, "next",
    to the next iteration of a loop); loops and branches are clusters.

    Args:
      fn: the function.
      wrt: with adjoint=True, the argument(s) of the gradient drawn: a position, a parameter
        name, or a tuple of them (default 0).
      adjoint: True adds, for each edge along which the reverse sweep sends an adjoint, a red
        edge back labelled with that adjoint (`h_bar`), and shades and marks "[tape]" the
        values the generated gradient saves on its tape.
      example: a tuple of arguments to specialise the code to their kinds.

    Returns:
      A `Graph`: `str(g)` (or `g.source`) is the DOT text; in Jupyter it renders as SVG
      when the `graphviz` package and Graphviz's `dot` are installed, else as the text.

    Raises:
      BadArgumentError: when wrt names no parameter of fn.
      DifferentiationError: when fn's source cannot be read or normalised.

    Example:
      >>> def f(x):
      ...     y = x * x
      ...     return np.sin(y)
      >>> print(ad.graph(f), end="")
      digraph "f" {
        rankdir=TB;
        node [shape=box, fontname="monospace", fontsize=10];
        edge [fontname="monospace", fontsize=9];
        n0 [label="x", shape=ellipse];
        n1 [label="y = x * x"];
        n2 [label="out = np.sin(y)"];
        n3 [label="return out", shape=doubleoctagon];
        n0 -> n1;
        n1 -> n2;
        n2 -> n3;
      }
      >>> for line in str(ad.graph(f, adjoint=True)).splitlines():
      ...     if "red" in line:
      ...         print(line.strip())
      n1 -> n0 [color=red, fontcolor=red, constraint=false, label="x_bar"];
      n2 -> n1 [color=red, fontcolor=red, constraint=false, label="y_bar"];
      n3 -> n2 [color=red, fontcolor=red, constraint=false, label="out_bar"];
    """
    with deep_expressions(), collector_paused():
        kinds = arg_kinds(parameters(fn), example) if example is not None else None
        ssa = normalize(fn, walks=loop_walks(kinds))
        drawing = _Drawing(ssa)
        drawing.draw()
        if adjoint:
            names, _ = wrt_names(fn, wrt)
            drawing.add_adjoints(names, kinds)
            drawing.mark_tape(_taped(fn, names, example))
        return Graph(drawing.dot())


class _Drawing:
    def __init__(self, ssa):
        self.ssa = ssa
        self.labels = {}          # node id -> label
        self.defines = {}         # node id -> names it defines
        self.statement = {}       # node id -> its SSA statement
        self.edges = {}           # (from, to) -> "solid", or "dashed" to the next iteration
        self.adjoints = {}        # (from, to) -> the name whose adjoint flows along it
        self.clusters = []        # (label, [node ids]) of loops and branches, innermost first
        self.taped = set()
        self.made = {}            # id(statement) or ("param", name) -> node id

    def draw(self):
        defs = {}
        for p in self.ssa.params:
            defs[p] = {self._node(("param", p), p, [p], None)}
        self._block(self.ssa.node.body, defs)

    def _node(self, key, label, names, stmt):
        """The node of `key` (a statement, or ("param", name)), made the first time."""
        known = self.made.get(id(key) if stmt is not None else key)
        if known is not None:
            return known
        node = f"n{len(self.labels)}"
        self.made[id(key) if stmt is not None else key] = node
        self.labels[node], self.defines[node], self.statement[node] = label, names, key
        return node

    def _block(self, stmts, defs, back=False):
        """Nodes and edges of `stmts`, reading `defs` (name -> defining nodes), which it
        updates; the node ids it made."""
        made = []
        for stmt in stmts:
            if isinstance(stmt, (gast.For, gast.While)):
                made += self._loop(stmt, defs, back)
            elif isinstance(stmt, gast.If):
                made += self._branches(stmt, defs, back)
            else:
                label = unparsed(stmt).strip()
                names = targets(stmt) if isinstance(stmt, (gast.Assign, gast.Expr)) else []
                node = self._node(stmt, label, names, stmt)
                read = stmt.value if isinstance(stmt, (gast.Assign, gast.Expr, gast.Return)) \
                    and stmt.value is not None else stmt
                self._reads(read, node, defs, back)
                for name in names:
                    defs[name] = {node}
                made.append(node)
        return made

    def _reads(self, expr, node, defs, back):
        for name in S.names_in(expr, gast.Load):
            for source in sorted(defs.get(name, ()), key=lambda n: int(n[1:])):  # stable
                if (source, node) not in self.edges:
                    self.edges[(source, node)] = "dashed" if back else "solid"

    def _loop(self, stmt, defs, back):
        if isinstance(stmt, gast.For):
            header = f"for {unparsed(gast.Expr(value=stmt.target)).strip()} in " \
                f"{unparsed(gast.Expr(value=stmt.iter)).strip()}"
            node = self._node(stmt, header, S.names_in(stmt.target, gast.Store), stmt)
            self._reads(stmt.iter, node, defs, back)
            for name in S.names_in(stmt.target, gast.Store):
                defs[name] = {node}
        else:
            header = f"while {unparsed(gast.Expr(value=stmt.test)).strip()}"
            node = self._node(stmt, header, [], stmt)
            self._reads(stmt.test, node, defs, back)
        before = {k: set(v) for k, v in defs.items()}
        made = self._block(stmt.body, defs, back)
        # the next iteration reads what this one defined last
        again = {k: v for k, v in defs.items() if before.get(k) != v}
        self._block(stmt.body, dict(before, **again), back=True)
        if isinstance(stmt, gast.While):
            self._reads(stmt.test, node, again, True)
        for k, v in before.items():        # the loop may run no iteration
            defs[k] = defs.get(k, set()) | v
        if not back:
            self.clusters.append((header, [node] + made))
        return [node] + made

    def _branches(self, stmt, defs, back):
        test = unparsed(gast.Expr(value=stmt.test)).strip()
        merged = {}
        made = []
        for label, block in ((f"if {test}", stmt.body), ("else", stmt.orelse)):
            arm = {k: set(v) for k, v in defs.items()}
            inner = self._block(block, arm, back)
            if inner and not back:
                self.clusters.append((label, inner))
            made += inner
            for k, v in arm.items():
                merged[k] = merged.get(k, set()) | v
        defs.clear()
        defs.update(merged)
        return made

    def add_adjoints(self, wrt, kinds):
        """A red edge back along each edge the reverse sweep sends an adjoint along."""
        output = [n for n in S.names_in(self.ssa.node.body[-1], gast.Load)]
        analysed = Analysed(self.ssa, wrt, kinds or {p: "num" for p in self.ssa.params})
        active = analysed_activity(analysed, output)
        for (source, node), style in list(self.edges.items()):
            stmt = self.statement[node]
            names = [n for n in self.defines[source] if active(n)]
            if not names or not isinstance(stmt, gast.Assign) or \
                    not any(active(t) for t in targets(stmt)):
                continue
            op = analysed.ops[id(stmt)]
            if not differentiable(op):
                continue
            operands = set(_operands(op))
            for name in names:
                if name in operands:
                    self.adjoints[(node, source)] = name
        for (source, node) in list(self.edges):      # the seed, from the output
            if isinstance(self.statement[node], gast.Return):
                names = [d for d in self.defines[source] if active(d)]
                if names:
                    self.adjoints[(node, source)] = names[0]

    def mark_tape(self, names):
        self.taped = {n for n, defined in self.defines.items() if set(defined) & names}

    def _inside(self, cluster):
        return any(other is not cluster and set(cluster[1]) < set(other[1])
                   for other in self.clusters)

    def _clusters(self, clusters, indent):
        """DOT text of `clusters`, each with the clusters nested in it (a loop's branches)."""
        lines = []
        for label, nodes in clusters:
            inner = [c for c in self.clusters if set(c[1]) < set(nodes) and not any(
                set(c[1]) < set(o[1]) < set(nodes) for o in self.clusters)]
            own = [n for n in nodes if not any(n in c[1] for c in inner)]
            lines.append(f"{indent}subgraph cluster_{self.clusters.index((label, nodes))} {{")
            lines.append(f"{indent}  label={_quote(label)}; style=rounded;")
            lines += self._clusters(inner, indent + "  ")
            lines.append(f"{indent}  {' '.join(n + ';' for n in own)}")
            lines.append(f"{indent}}}")
        return lines

    def dot(self):
        lines = [f"digraph {_quote(self.ssa.node.name)} {{", "  rankdir=TB;",
                 '  node [shape=box, fontname="monospace", fontsize=10];',
                 '  edge [fontname="monospace", fontsize=9];']
        lines += self._clusters([c for c in self.clusters if not self._inside(c)], "  ")
        for node, label in self.labels.items():
            stmt = self.statement[node]
            attrs = [f"label={_quote(label + (' [tape]' if node in self.taped else ''))}"]
            if isinstance(stmt, tuple):
                attrs.append("shape=ellipse")
            elif isinstance(stmt, gast.Return):
                attrs.append("shape=doubleoctagon")
            if node in self.taped:
                attrs.append('style=filled, fillcolor="#fff3b0"')
            lines.append(f"  {node} [{', '.join(attrs)}];")
        for (source, node), style in self.edges.items():
            extra = ' [style=dashed, label="next"]' if style == "dashed" else ""
            lines.append(f"  {source} -> {node}{extra};")
        for (node, source), name in self.adjoints.items():
            lines.append(f"  {node} -> {source} [color=red, fontcolor=red, constraint=false, "
                         f"label={_quote(name + '_bar')}];")
        lines.append("}")
        return "\n".join(lines) + "\n"


def analysed_activity(analysed, output):
    """Is a name active (varied by wrt and useful to the output)?"""
    found = activity(analysed.fn, analysed.ops, analysed.wrt, output, analysed.shapes)
    return found.active


def _taped(fn, names, example):
    """The names whose values the generated gradient pushes on its tape (`_tape.append(v)`),
    and those of calls that hand the tape to a called function (which saves inside it)."""
    from s2s_ad import sources
    text = sources.source(fn, "grad", tuple(names),
                          example=example)
    found = set()
    for node in ast.walk(ast.parse(text).body[0]):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr == "append" and getattr(node.func.value, "id", "") == "_tape":
            found.update(a.id for a in node.args if isinstance(a, ast.Name))
        if isinstance(node, ast.Assign) and any(
                k.arg == "_tape" for c in ast.walk(node.value) if isinstance(c, ast.Call)
                for k in c.keywords):
            found.update(n.id for t in node.targets for n in ast.walk(t)
                         if isinstance(n, ast.Name))
    return found


def _quote(text):
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
