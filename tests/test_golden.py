"""The generated source of every corpus program matches its golden file (tests/golden.py).

A difference is not necessarily a bug: when the change to generated code is intended, run
`make golden` and commit the new files, so the review shows the change."""
import difflib
import os

import pytest

import golden

CORPUS = golden.corpus()


@pytest.mark.parametrize("case", CORPUS, ids=lambda c: c.name)
def test_generated_source_matches_golden_file(case):
    path = golden.path_of(case)
    assert os.path.exists(path), f"no golden file for {case.name}: run `make golden`"
    with open(path) as stored:
        expected = stored.read()
    actual = golden.golden_text(case)
    diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                        "golden", "generated", n=2))
    assert actual == expected, f"generated code changed (run `make golden` if intended):\n{diff}"


def test_no_golden_file_without_a_program():
    names = {os.path.basename(golden.path_of(case)) for case in CORPUS}
    stray = set(os.listdir(golden.GOLDEN)) - names
    assert not stray, f"golden files of no corpus program: {sorted(stray)}; run `make golden`"


def test_corpus_names_are_unique():
    names = [case.name for case in CORPUS]
    assert len(names) == len(set(names))
