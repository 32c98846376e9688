"""Issue 21: the graph (ad.graph, --mode graph), standalone export, and the CLI's flags."""
import os
import subprocess
import sys
import textwrap

import numpy as np

import s2s_ad as ad

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NUMPY_DIR = os.path.dirname(os.path.dirname(np.__file__))

PROGRAM = textwrap.dedent('''
    import numpy as np

    print("imported")            # must not reach the generated code on stdout
    W = np.array([[0.5, -1.0], [2.0, 0.25]])
    SCALE = 1.5


    def squash(a):
        return np.tanh(a) * SCALE


    def loss(x, b):
        h = squash(W @ x + b)
        total = 0.0
        for i in range(3):
            total = total + np.sum(h * h) / (i + 1.0)
        return total


    def vec(x):
        return np.sin(x) * 2.0


    if __name__ == "__main__":
        print("main block")
''')


def program(tmp_path):
    path = tmp_path / "prog.py"
    path.write_text(PROGRAM)
    sys.path.insert(0, str(tmp_path))
    try:
        import importlib
        sys.modules.pop("prog", None)
        return str(path), importlib.import_module("prog")
    finally:
        sys.path.remove(str(tmp_path))


def cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "s2s_ad", *args], capture_output=True,
                          text=True, cwd=cwd)


def run_without_s2s_ad(module_path, call, tmp_path):
    """Run the module in a fresh interpreter that can import numpy but not s2s_ad; return
    what `call` (an expression) prints with repr."""
    script = textwrap.dedent(f'''
        import sys
        sys.path.append({NUMPY_DIR!r})
        try:
            import s2s_ad
            raise SystemExit("s2s_ad is importable")
        except ImportError:
            pass
        import numpy as np
        namespace = {{}}
        exec(compile(open({str(module_path)!r}).read(), "standalone", "exec"), namespace)
        np.set_printoptions(precision=17)
        print(repr(eval({call!r}, dict(namespace, np=np))))
    ''')
    result = subprocess.run([sys.executable, "-I", "-S", "-c", script], capture_output=True,
                            text=True, cwd=str(tmp_path))
    assert result.returncode == 0, result.stderr
    return eval(result.stdout, {"array": np.array})


def test_standalone_grad_runs_with_numpy_alone(tmp_path):
    path, prog = program(tmp_path)
    out = tmp_path / "loss_grad.py"
    result = cli(f"{path}:loss", "--mode", "grad", "--wrt", "0", "1", "--standalone",
                 "--output", str(out))
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    assert "_ad." not in text and "s2s_ad import" not in text and "import s2s_ad" not in text
    assert "def squash" in text and "def unbroadcast" in text      # helpers it calls, copied
    assert "def batch_axis" not in text                             # and only those
    x, b = np.array([0.3, -0.7]), np.array([0.1, 0.2])
    got = run_without_s2s_ad(out, "loss_grad(np.array([0.3, -0.7]), np.array([0.1, 0.2]))",
                             tmp_path)
    want = ad.grad(prog.loss, (0, 1))(x, b)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12)


def test_standalone_hvp_and_decorator_source(tmp_path):
    _, prog = program(tmp_path)
    text = ad.differentiate(prog.loss).source("hvp", standalone=True)
    assert "_ad." not in text
    (tmp_path / "hvp.py").write_text(text)
    x, b, v = np.array([0.3, -0.7]), np.array([0.1, 0.2]), np.array([1.0, 2.0])
    got = run_without_s2s_ad(tmp_path / "hvp.py",
                             "loss_grad_jvp(np.array([0.3, -0.7]), np.array([0.1, 0.2]), "
                             "np.array([1.0, 2.0]))", tmp_path)
    np.testing.assert_allclose(got, ad.hvp(prog.loss)(x, b, v), rtol=1e-12)


STATS_PROGRAM = textwrap.dedent('''
    import numpy as np
    import scipy.stats
    from scipy.stats import norm


    def nll(mu, log_sigma, y):
        s = np.exp(log_sigma)
        return (-np.sum(norm.logpdf(y, loc=mu, scale=s)) + np.sum(scipy.stats.t.cdf(y, 3.0, mu))
                - scipy.stats.multivariate_normal.logpdf(y[:2], mean=[mu, mu], cov=s))
''')


def test_standalone_code_of_scipy_stats_calls_imports_the_distributions(tmp_path):
    """`norm` is imported from SciPy, the rules' helpers (`norm_score`) copied."""
    (tmp_path / "stats_prog.py").write_text(STATS_PROGRAM)
    sys.path.insert(0, str(tmp_path))
    try:
        import stats_prog
    finally:
        sys.path.remove(str(tmp_path))
    text = ad.source(stats_prog.nll, "grad", wrt=(0, 1), standalone=True)
    assert "import norm" in text and "def _ad_norm_score" in text and "_ad." not in text
    (tmp_path / "nll_grad.py").write_text(text)
    got = run_without_s2s_ad(tmp_path / "nll_grad.py",
                             "[float(g) for g in nll_grad(0.2, 0.1, np.array([0.5, -1.0, 2.0]))]",
                             tmp_path)
    want = ad.grad(stats_prog.nll, (0, 1))(0.2, 0.1, np.array([0.5, -1.0, 2.0]))
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_cli_flags(tmp_path):
    path, _ = program(tmp_path)
    assert cli("--version").stdout.strip() == f"s2s-ad {ad.__version__}"
    by_index = cli(f"{path}:loss", "--wrt", "1")
    by_name = cli(f"{path}:loss", "--wrt", "b")
    assert by_index.returncode == 0 and by_index.stdout == by_name.stdout, by_index.stderr
    # the module's prints go to stderr, never into the code
    assert "imported" not in by_name.stdout and "imported" in by_name.stderr
    assert "main block" not in by_name.stdout + by_name.stderr
    for mode in ("value_and_grad", "jacfwd", "jacrev", "hessian", "hvp"):
        result = cli(f"{path}:loss", "--mode", mode, "--example", "np.ones(2), np.zeros(2)")
        assert result.returncode == 0, (mode, result.stderr)
        compile(result.stdout, mode, "exec")
    missing = cli(f"{path}:loss", "--example", "np.ones(2)")
    assert missing.returncode == 1 and "missing a required argument: 'b'" in missing.stderr
    vector = cli(f"{path}:vec", "--mode", "grad", "--example", "np.ones(3)")
    assert vector.returncode == 1 and "scalar output" in vector.stderr
    assert "--mode vjp" in vector.stderr and "--mode jacrev" in vector.stderr


def test_generic_hvp_is_code_that_runs(tmp_path):
    path, prog = program(tmp_path)
    result = cli(f"{path}:loss", "--mode", "hvp", "--standalone")
    assert result.returncode == 0, result.stderr
    (tmp_path / "generic.py").write_text(result.stdout)
    got = run_without_s2s_ad(tmp_path / "generic.py",
                             "loss_grad_jvp(np.array([0.3, -0.7]), np.array([0.1, 0.2]), "
                             "np.array([1.0, 2.0]))", tmp_path)
    want = ad.hvp(prog.loss)(np.array([0.3, -0.7]), np.array([0.1, 0.2]), np.array([1.0, 2.0]))
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_a_closed_pipe_ends_quietly(tmp_path):
    path, _ = program(tmp_path)
    command = f"{sys.executable} -m s2s_ad {path}:loss --mode hvp | head -1"
    result = subprocess.run(command, shell=True, capture_output=True, text=True, cwd=ROOT)
    assert result.stdout.startswith("def loss_grad_jvp")
    assert "BrokenPipeError" not in result.stderr and "Traceback" not in result.stderr


def test_graph_has_a_node_per_operation_and_adjoint_edges(tmp_path):
    path, prog = program(tmp_path)
    g = ad.graph(prog.loss)
    dot = str(g)
    assert dot.startswith('digraph "loss"') and dot == g._repr_markdown_()[7:-3]
    ssa = ad.source(prog.loss, "ssa")
    body = [line.strip() for line in ssa.splitlines()[1:] if "=" in line]
    for line in body:
        assert f'label="{line}"' in dot, line             # each SSA statement is a node
    assert 'label="for i in range(3)"' in dot and "color=red" not in dot
    adjoint = str(ad.graph(prog.loss, wrt=1, adjoint=True))
    assert 'label="b_bar"' in adjoint and "color=red" in adjoint
    assert "[tape]" in adjoint          # the call of squash saves its values on the tape
    result = cli(f"{path}:loss", "--mode", "graph", "--adjoint", "--wrt", "b")
    assert result.returncode == 0 and result.stdout == adjoint, result.stderr
