"""README.md claims only what is true today: the generated code it shows is what s2s_ad prints,
every other Python snippet runs, the values its comments give are what the code returns, and
its rule counts are those of docs/rules.md."""
import importlib.util
import pathlib
import re
import sys
import textwrap

import numpy as np

import s2s_ad as ad

ROOT = pathlib.Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()


def loss(w, b, x, y):
    pred = np.tanh(x @ w + b)
    return np.mean((pred - y) ** 2)


def horner(x, n):
    y = 0.0
    for i in range(n):
        y = y * x + 1.0
    return y


def f(x, W):
    return np.tanh(W @ x) * x


def python_blocks():
    return [textwrap.dedent(b) for b in re.findall(r"```python\n(.*?)```", README, re.DOTALL)]


def shown(function_name):
    """The code block of README.md that defines `function_name`."""
    return next(b for b in python_blocks() if b.startswith(f"def {function_name}("))


# The blocks that show generated code, each compared with what s2s_ad prints (tests below).
SHOWN_OUTPUT = {"loss_grad", "horner_vjp", "horner_jvp", "f_jvp_batched"}
# A line `expression   # 0.0226...` or `# 12.0`: the value the README says it gives.
GIVES = re.compile(r"^(?P<expression>\S.*?)\s+#\s+(?P<value>-?\d+\.\d+)(?P<cut>\.\.\.)?")


def generated_name(block):
    """The name of the function a block of generated code defines (`loss_grad`), else None."""
    match = re.match(r"def (\w+_(grad|vjp|jvp|hvp|jvp_batched|vjp_batched|value_and_grad))\(", block)
    return match.group(1) if match else None


def checked(line, number):
    """`line` with the value it gives recorded, where its comment says what that is."""
    match = GIVES.match(line)
    if not match:
        return line
    try:
        compile(match["expression"], "<readme>", "eval")
    except SyntaxError:
        return line    # a statement with a comment that happens to start with a number
    return f"_GIVES.append(({number}, {match['expression']}, {match['value']!r}, {bool(match['cut'])}))"


def test_the_tour_shows_real_output():
    w, b, x, y = np.ones((3, 2)), np.ones(2), np.ones((5, 3)), np.ones((5, 2))
    assert ad.source(loss, "grad", wrt=("w", "b"), example=(w, b, x, y)) == shown("loss_grad")
    assert ad.source(horner, "vjp", example=(0.5, 10)) == shown("horner_vjp")
    assert ad.source(horner, "jvp", example=(0.5, 10)) == shown("horner_jvp")


def test_the_batched_jacobian_shown_is_real():
    example = (np.ones(3), np.ones((3, 3)))
    assert ad.source(f, "jvp_batched", example=example) == shown("f_jvp_batched")


def test_every_other_snippet_runs_and_gives_what_it_says(tmp_path):
    """The snippets that are not generated code, run in order as one file (a reader's session:
    the tour's imports serve the rest), give the values their comments state."""
    blocks = [b for b in python_blocks() if not generated_name(b)]
    assert {generated_name(b) for b in python_blocks()} - {None} == SHOWN_OUTPUT
    lines = [checked(line, i) for i, line in enumerate("\n\n".join(blocks).splitlines())]
    path = tmp_path / "readme_snippets.py"
    path.write_text("_GIVES = []\n" + "\n".join(lines) + "\n")
    spec = importlib.util.spec_from_file_location("readme_snippets", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["readme_snippets"] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules["readme_snippets"]
    assert len(module._GIVES) >= 2       # the tour's 12.0 and the clipped RNN gradient
    for number, value, stated, cut in module._GIVES:
        if cut:          # `0.0226...`: the digits shown are the value's first digits
            assert repr(float(value)).startswith(stated), (number, value, stated)
        else:
            assert float(value) == float(stated), (number, value, stated)


def test_the_rule_counts_are_those_of_docs_rules_md():
    header = re.search(r"(\d+) callables with rules, (\d+) non-differentiable",
                       (ROOT / "docs" / "rules.md").read_text())
    stated = re.search(r"(\d+) NumPy, `math`, `operator`, builtin, runtime-helper and "
                       r"SciPy callables with both\s+a VJP and a JVP rule, and (\d+) "
                       r"with a zero derivative", README)
    assert stated and header and stated.groups() == header.groups()


def test_the_corpus_sizes_are_the_matrix_corpus():
    from test_matrix import CASES, CORPUS, KERNELS
    stated = re.search(r"The corpus \((\d+) programs\) is tests/programs.py \((\d+) programs:"
                       r".*?tests/kernels.py \((\d+) loop kernels.*?and\s+go_fast", README, re.DOTALL)
    assert stated, "the corpus paragraph of README.md changed: update this test"
    corpus, programs, kernels = map(int, stated.groups())
    assert (corpus, programs, kernels + 1) == (len(CORPUS), len(CASES), len(KERNELS))
