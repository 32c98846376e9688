"""Every public callable of s2s_ad documents itself, and the API reference is its docstrings.

Each callable `import s2s_ad as ad` exposes without an underscore has a docstring that reads
like JAX's: one summary line, then the details, `Args:` naming exactly its parameters,
`Returns:`, and an `Example:` whose `>>>` lines run here with `doctest` and give the output
shown.  docs/api.md is generated from those docstrings (s2s_ad/docs.py); the README links to
it, and to no document that is missing.
"""
import doctest
import inspect
import io
import pathlib
import re

import numpy as np
import pytest

import s2s_ad as ad
from s2s_ad import docs

ROOT = pathlib.Path(__file__).parent.parent
PUBLIC = docs.public_callables()
NAMES = [name for name, _ in PUBLIC]


def test_the_public_callables_are_found():
    # the ones API.md names, so that a change to how they are found cannot empty the list
    assert {"grad", "value_and_grad", "vjp", "jvp", "jacfwd", "jacrev", "hessian", "hvp",
            "source", "differentiate", "check_grads", "defvjp", "defjvp", "stop_gradient",
            "nondifferentiable", "clear_cache", "DifferentiationError"} <= set(NAMES)
    assert not [n for n in NAMES if inspect.ismodule(getattr(ad, n))]


@pytest.mark.parametrize("name, obj", PUBLIC, ids=NAMES)
def test_docstring_has_a_summary_line_and_an_example(name, obj):
    doc = inspect.cleandoc(obj.__doc__ or "")
    lines = doc.splitlines()
    assert lines, f"ad.{name} has no docstring"
    assert lines[0].endswith("."), f"ad.{name}: the summary is one line ending with a period"
    assert len(lines) == 1 or not lines[1].strip(), \
        f"ad.{name}: a blank line follows the summary line"
    sections = dict(docs.sections(doc))
    assert ">>>" in "\n".join(sections.get("Example", [])), f"ad.{name} has no Example: with >>>"


def _parameters(obj):
    """The names of a function's parameters as its `Args:` section spells them (`*rules`)."""
    stars = {inspect.Parameter.VAR_POSITIONAL: "*", inspect.Parameter.VAR_KEYWORD: "**"}
    return [stars.get(p.kind, "") + p.name for p in inspect.signature(obj).parameters.values()]


FUNCTIONS = [(name, obj) for name, obj in PUBLIC if not isinstance(obj, type)]


@pytest.mark.parametrize("name, obj", FUNCTIONS, ids=[n for n, _ in FUNCTIONS])
def test_args_are_the_parameters_and_returns_is_given(name, obj):
    sections = dict(docs.sections(obj.__doc__))
    assert "Returns" in sections, f"ad.{name} has no Returns: section"
    parameters = _parameters(obj)
    documented = [part.strip() for item, _ in docs.items(sections.get("Args", []))
                  for part in item.split(",")]
    assert documented == parameters, \
        f"ad.{name}: Args: documents {documented}, its parameters are {parameters}"


def _run_examples(obj, name):
    """(failures, examples run, doctest's report) for the examples of obj's docstring."""
    finder = doctest.DocTestFinder(recurse=False)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    report = io.StringIO()
    failed = attempted = 0
    for test in finder.find(obj, f"ad.{name}", globs={"ad": ad, "np": np}):
        result = runner.run(test, out=report.write)
        failed, attempted = failed + result.failed, attempted + result.attempted
    return failed, attempted, report.getvalue()


@pytest.mark.parametrize("name, obj", PUBLIC, ids=NAMES)
def test_examples_run_and_give_what_they_show(name, obj):
    failed, attempted, report = _run_examples(obj, name)
    assert attempted, f"ad.{name}: no example ran"
    assert not failed, report


def test_a_wrong_output_in_an_example_fails():
    def example():
        """Example:
          >>> 1.0 + 1.0
          3.0
        """
    failed, attempted, report = _run_examples(example, "example")
    assert (failed, attempted) == (1, 1) and "Expected:\n    3.0\nGot:\n    2.0" in report


def test_api_md_is_up_to_date():
    assert (ROOT / "docs" / "api.md").read_text() == docs.reference(), \
        "docs/api.md is stale: run `python -m s2s_ad.docs > docs/api.md`"


def test_api_md_documents_every_public_callable():
    text = (ROOT / "docs" / "api.md").read_text()
    assert [n for n in NAMES if f"\n## ad.{n}\n" not in text] == []


LINK = re.compile(r"\]\(([^)\s]+)\)")
MARKDOWN_FILE = re.compile(r"(?<![\w./-])((?:\.\./|[\w-]+/)*[\w-]+\.md)\b")


def _references(text):
    """The files a Markdown text refers to: its links' targets (outside code), and the paths
    of .md documents it names (`docs/rules.md`, in prose or inline code)."""
    prose = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    targets = [t.split("#")[0] for t in LINK.findall(re.sub(r"`[^`]*`", "", prose))
               if not re.match(r"[a-z]+:", t) and not t.startswith("#")]
    return targets + MARKDOWN_FILE.findall(prose)


@pytest.mark.parametrize("document", ["README.md", "docs/api.md", "docs/rules.md"])
def test_links_point_to_documents_in_the_repository(document):
    path = ROOT / document
    broken = [t for t in _references(path.read_text())
              if not (path.parent / t).exists() and not (ROOT / t).exists()]
    assert not broken, f"{document} refers to files that are not in the repository: {broken}"


def test_readme_links_to_the_api_reference_where_it_lists_the_api():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## The API"):]
    section = section[:section.index("\n## ", 1)]
    assert "](docs/api.md)" in section
