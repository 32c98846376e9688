"""The computational graph of a function, read as its SSA form: one operation per line.

Idea: automatic differentiation works on the graph of elementary operations a function
performs. s2s_ad shows that graph as Python source, `ad.source(f, "ssa")`: nested
expressions are split so every line applies one primitive to named values, each name is
assigned once, and the lines are in topological order (every value is defined before it is
used). Each line is a node, its operands are the incoming edges. This script prints the SSA
form, checks those properties on the text, lists the edges, and runs the SSA function to
check it returns what f returns. (The graph is the one written: `x * y` appears twice in f,
so it is two nodes.)  Then it draws the same graph with `ad.graph(f, adjoint=True)`, as
Graphviz DOT text (`| dot -Tsvg`), with the adjoint edges of the reverse sweep in red.

Input domain: x, y > 0 (f takes a logarithm of x * y).
"""
import ast

import numpy as np

import s2s_ad as ad


def f(x, y):
    z = x * y + np.sin(x)
    return np.log(z * z + 1.0) / y + np.exp(-x) * np.log(x * y)


def main(x=1.5, y=0.5):
    ssa = ad.source(f, "ssa", example=(x, y))
    print(ssa)

    tree = ast.parse(ssa)
    (fn,) = tree.body
    params = [a.arg for a in fn.args.args]
    defined = set(params)
    print("edges (operand -> result):")
    for stmt in fn.body:
        used = list(dict.fromkeys(n.id for n in ast.walk(stmt)     # operands, in order
                                  if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
                                  and n.id != "np"))
        assert all(name in defined for name in used), f"used before defined: {ast.unparse(stmt)}"
        if isinstance(stmt, ast.Return):
            break
        assert isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
        (target,) = stmt.targets
        assert target.id not in defined, f"{target.id} assigned twice"   # single assignment
        defined.add(target.id)
        print(f"  {', '.join(used):>8} -> {target.id:<4} {ast.unparse(stmt.value)}")
        # one operation per line: no call or operator nested inside another
        inner = [n for n in ast.walk(stmt.value)
                 if isinstance(n, (ast.Call, ast.BinOp, ast.UnaryOp)) and n is not stmt.value]
        assert not inner, f"more than one operation: {ast.unparse(stmt)}"

    namespace = {"np": np}
    exec(compile(tree, "<ssa>", "exec"), namespace)
    ssa_f = namespace[fn.name]
    for a, b in ((x, y), (0.3, 2.0), (np.array([1.0, 2.0]), np.array([0.5, 3.0]))):
        np.testing.assert_allclose(ssa_f(a, b), f(a, b), rtol=1e-15)
    print(f"the SSA function returns what f returns: {ssa_f(x, y)!r}")

    dot = str(ad.graph(f, wrt=(0, 1), adjoint=True, example=(x, y)))
    print(dot)
    for stmt in fn.body[:-1]:        # one node per SSA statement, labelled with it
        assert f'label="{ast.unparse(stmt)}"' in dot, ast.unparse(stmt)
    assert 'label="x_bar"' in dot and 'label="y_bar"' in dot    # adjoints reach both inputs
    return ssa


if __name__ == "__main__":
    main()
