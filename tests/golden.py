"""Golden files: the generated source of every corpus program, stored in tests/golden/.

    python tests/golden.py          (or `make golden`) rewrites every file
    tests/test_golden.py            fails on any difference, and shows it

The generated code is the product, so a change to it should be seen in review: each file
holds one program's normalised primal ("ssa") and its generic "jvp" and "vjp" code with respect
to the arguments the transform matrix differentiates, and, for a scalar output, its "hvp" code;
then its "vjp" code specialised to the matrix's arguments (drawn from seed 0), which is what
`ad.source(f, mode, example=...)` and a call run (shapes known, numbers told from arrays).
A transform that refuses the program records the refusal instead.
"""
import os
import sys

import numpy as np

import s2s_ad as ad

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "golden")


def corpus():
    """The transform matrix's programs (imported here so the script runs from any folder)."""
    if HERE not in sys.path:
        sys.path.insert(0, HERE)
    from test_matrix import CORPUS
    return CORPUS


def has_scalar_output(case):
    out = case.fn(*case.make_args(np.random.default_rng(0)))
    return isinstance(out, (float, np.floating)) or \
        (isinstance(out, np.ndarray) and out.shape == () and out.dtype.kind == "f")


def modes(case):
    return ("ssa", "jvp", "vjp") + (("hvp",) if has_scalar_output(case) else ())


def section(case, mode, specialised=False):
    example = case.make_args(np.random.default_rng(0)) if specialised else None
    try:
        text = ad.source(case.fn, mode, wrt=case.wrt, example=example)
    except ad.DifferentiationError as exc:
        # Messages name the user's file: keep them the same in every checkout.
        text = f"refused: {type(exc).__name__}: {exc}".replace(HERE + os.sep, "tests/")
    title = f"{mode} specialised to the arguments" if specialised else mode
    return f"# ---- {title} (wrt {case.wrt}) ----\n{text.rstrip()}\n"


def golden_text(case):
    return "\n".join([section(case, mode) for mode in modes(case)] +
                     [section(case, "vjp", specialised=True)])


def path_of(case):
    return os.path.join(GOLDEN, f"{case.name}.txt")


def main():
    os.makedirs(GOLDEN, exist_ok=True)
    expected = set()
    for case in corpus():
        expected.add(os.path.basename(path_of(case)))
        with open(path_of(case), "w") as out:
            out.write(golden_text(case))
    for stale in set(os.listdir(GOLDEN)) - expected:
        os.remove(os.path.join(GOLDEN, stale))
    print(f"wrote {len(expected)} golden files to {GOLDEN}")


if __name__ == "__main__":
    main()
