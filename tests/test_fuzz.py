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

Budget: FUZZ_EXAMPLES (default 40, well under a minute) examples, derandomized so CI is stable.
`make fuzz` runs FUZZ_EXAMPLES=2000.  Failures are reproducible with
`fuzz_programs.check(text, x, y, a, seed)` and can be shrunk with `fuzz_programs.minimise`;
what the fuzzer has found so far is in tests/fuzz_findings.md.
"""
import os

import pytest
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st

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

    collect()
    missing = set(features.values()) - seen
    assert not missing, f"the generator never produced {sorted(missing)}"


@pytest.mark.parametrize("text, args", [
    ("import numpy as np\n\ndef f(x, y, a):\n    if x > 0.5:\n        return x * y\n"
     "    return np.sum(a * y)\n", (0.5000001, 1.0, [1.0, 2.0, 3.0])),
    ("import numpy as np\n\ndef f(x, y, a):\n    return np.sum(np.maximum(a, x))\n",
     (1.0, 0.0, [1.0, 2.0, 3.0])),
])
def test_samples_at_a_kink_are_rejected(text, args):
    with pytest.raises(fp.Reject):
        fp.check(text, *args)
