"""Property-based fuzzing of the whole compiler on random programs (issue 8, part 3; issue 17,
part 4).

Each example is a random `def f(x, y, a)` (see fuzz_programs.py), with up to two module-level
helpers it calls (branches, early returns, a default parameter, keyword calls, a tuple argument
or result, or an in-place update `upd(b, s)` of an array the caller passes), and a random point.
At that point the fuzzer checks that

1. the SSA form (`ad.source(f, "ssa")`, exec'd) returns exactly what f returns;
2. `ad.grad` (scalar results) and `ad.vjp` agree with central finite differences;
3. `ad.jvp` agrees with finite differences;
4. forward and reverse mode agree: <u, J v> == <J^T u, v> to ~1e-8 relative;
5. for scalar results, `ad.hessian`, `ad.hvp` and `ad.jacfwd(ad.grad)` (one argument each)
   agree with central differences of `ad.grad` (checked in 2) to ~1e-5 relative;

and that no transform modifies its array argument.  Samples that are not a fair test (values
overflow, or a comparison, np.maximum, np.where or abs is within 1e-3 of its kink) are
rejected with `assume`.

Budget: FUZZ_EXAMPLES (default 40, well under a minute) examples, derandomized so CI is stable;
`make check` runs 300.  `make fuzz` runs a campaign of 10,000 programs instead
(tests/fuzz_campaign.py: every program checked, the failures counted and reported).
Failures are reproducible with `fuzz_programs.check(text, x, y, a, seed)` and can be shrunk
with `fuzz_programs.minimise`; what the fuzzer has found so far is in tests/fuzz_findings.md.
"""
import ast
import json
import os
import time

import pytest
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st

import fuzz_campaign
import fuzz_programs as fp

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))

SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck), print_blob=False)


@SETTINGS
@given(st.data())
def test_random_programs(data):
    program = data.draw(fp.programs(), label="program")
    x, y, a = data.draw(fp.inputs(program.n), label="x, y, a")
    seed = data.draw(st.integers(0, 2 ** 16), label="seed")
    note(f"reproduce: fuzz_programs.check(text, {x!r}, {y!r}, np.array({list(a)!r}), {seed})")
    try:
        fp.check(program.text, x, y, a, seed)
    except fp.Reject:
        assume(False)


def test_generator_makes_valid_varied_programs():
    """The generator itself: every program parses and uses the constructs it promises."""
    seen = set()
    features = {"for ": "for", "while ": "while", "if ": "if", "elif ": "elif", "else:": "else",
                "break": "break", "continue": "continue", "return": "return", " if ": "ifexp",
                "+=": "aug", "np.where": "where", "np.maximum": "maximum", "math.": "math",
                "np.sum": "sum", "np.dot": "dot", " = (": "tuple", "\ndef g": "helper",
                "\ndef upd": "in-place helper", "p, b = t": "tuple argument", ", c=": "keyword",
                "    upd": "in-place call"}

    @settings(max_examples=300, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(fp.programs())
    def collect(program):
        compile(program.text, "<fuzz>", "exec")
        fp.instrument(program.text)
        seen.update(name for key, name in features.items() if key in program.text)
        assert not _updated_items(program.text), program.text

    collect()
    missing = set(features.values()) - seen
    assert not missing, f"the generator never produced {sorted(missing)}"


def _updated_items(text):
    """Names bound to an item (`s = a[i]`), or `a` itself, updated with `s op= e`, which the
    compiler refuses (for all it knows, the item is a row of `a`): the generator must not
    write them."""
    found = set()
    for fn in ast.parse(text).body:
        items = {name for node in ast.walk(fn) if isinstance(node, ast.Assign) and
                 isinstance(node.value, ast.Subscript) and isinstance(node.value.value, ast.Name)
                 for t in node.targets if isinstance(t, ast.Name)
                 for name in (t.id, node.value.value.id)}
        found |= items & {node.target.id for node in ast.walk(fn)
                          if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name)}
    return found


@pytest.mark.parametrize("text, args", [
    ("import numpy as np\n\ndef f(x, y, a):\n    if x > 0.5:\n        return x * y\n"
     "    return np.sum(a * y)\n", (0.5000001, 1.0, [1.0, 2.0, 3.0])),
    ("import numpy as np\n\ndef f(x, y, a):\n    return np.sum(np.maximum(a, x))\n",
     (1.0, 0.0, [1.0, 2.0, 3.0])),
])
def test_samples_at_a_kink_are_rejected(text, args):
    with pytest.raises(fp.Reject):
        fp.check(text, *args)


# ---- the campaign driver (tests/fuzz_campaign.py, `make fuzz`) ----------------------------------

def test_campaign_programs_depend_only_on_seed_and_index():
    first = fuzz_campaign.draw(0, 7)
    assert fuzz_campaign.draw(0, 7) == first
    assert fuzz_campaign.draw(1, 7) != first and fuzz_campaign.draw(0, 8) != first
    text, x, y, a, check_seed = first
    compile(text, "<fuzz>", "exec")
    assert len(a) in (3, 4) and all(-2.0 <= v <= 2.0 for v in (x, y, *a))


def test_campaign_counts_each_outcome_and_reports_failures(tmp_path, monkeypatch, capsys):
    """Programs 0-3 of seed 0 under a stand-in check that passes, rejects, fails and hangs:
    each counted, the failures (not the others) written to the report, exit status 1."""
    texts = [fuzz_campaign.draw(0, k)[0] for k in range(4)]

    def fake_check(text, x, y, a, seed, counts):
        k = texts.index(text)
        if k == 1:
            raise fp.Reject("too close to a kink")
        if k == 2:
            raise fp.FuzzFailure("grad-value", "ad.grad vs finite differences: wrong")
        if k == 3:
            time.sleep(5)
        counts["ssa"] = counts.get("ssa", 0) + 1
    monkeypatch.setattr(fp, "check", fake_check)
    report = tmp_path / "report.jsonl"
    status = fuzz_campaign.main(["-n", "4", "-j", "1", "--timeout", "0.5",
                                 "--report", str(report)])
    assert status == 1
    failures = [json.loads(line) for line in report.read_text().splitlines()]
    assert [(f["index"], f["signature"]) for f in failures] == [(2, "grad-value"), (3, "timeout")]
    assert failures[0]["text"] == texts[2] and "wrong" in failures[0]["error"]
    out = capsys.readouterr().out
    assert "4 generated, 1 passed, 1 rejected (unfair sample), 2 failed" in out
    assert fuzz_campaign.main(["-n", "1", "-j", "1", "--report", str(report)]) == 0
    assert report.read_text() == ""
