"""The transform matrix (tests/matrix.py): every corpus program through every transform, in
generic and specialised code, optimised or not, against central finite differences.

A transform may refuse a program only where REFUSED lists it; KNOWN lists what is still wrong
or crashes today (issue 17), each entry checked to fail still, so that a fix shows here and
the entry is removed with it.
"""
import pytest

from s2s_ad import api

from kernels import KERNELS
from matrix import SCALAR_ONLY, check_program
from programs import CASES
from sample_cases import SAMPLE_CASES

CORPUS = list(CASES) + SAMPLE_CASES + KERNELS

VARIANTS = {"SO": dict(specialise=True, optimize=True), "GO": dict(specialise=False, optimize=True),
            "Su": dict(specialise=True, optimize=False), "Gu": dict(specialise=False, optimize=False)}
SECOND = SCALAR_ONLY[2:]

# Second derivatives of code that writes into an array while a view of it is read (README,
# "What is refused"): the first derivatives work.
WRITES_INTO_ARRAYS = "once more (for a Hessian"
REFUSED = {name: WRITES_INTO_ARRAYS for name in (
    "branch_in_loop", "cholesky_rows", "dict_new_key", "early_return_in_loop", "fill",
    "gram_schmidt", "jacobi2d", "mutate_arg", "overwrite", "repeated_indices",
    "reread_after_write", "scatter_add", "squashed_copy", "writes_into_a_fresh_copy",
    # tests/kernels.py
    "adi", "cholesky", "correlation", "covariance", "durbin", "floyd_warshall", "gemver",
    "gramschmidt", "heat_3d", "jacobi_2d", "ludcmp", "mvt", "seidel_2d", "symm", "syrk",
    "trisolv", "trmm", "lu", "helper_with_a_constant_weight", "fresh_copy_in_a_branch",
    "fresh_copy_replaces_the_argument")}
# Reverse over reverse of a gradient that reads an array after a called function's backward
# half restored it from the tape (reverse.refuse_restores); its Hessians work.
REFUSED["reads_before_call"] = "after a called function restored it"
# Refused in every transform, first order too: deriche's `ym1 = y1[i, j]` is an element, but
# y1's rank is not known (np.zeros((w, h)) of unpacked sizes), so it is taken for a view of
# y1 read after y1 is written (a false refusal: issue 17's notes).
REFUSED_EVERYWHERE = {"deriche": "is still read"}

# (program, transform): the variants where it is wrong or crashes today ("*": all four)
KNOWN = {
    ("comp", "hessian"): "*",
    ("comp", "hvp"): "*",
    ("comp", "jacfwd_grad"): "*",
    ("comp", "jacrev_grad"): "*",
    ("comp", "grad_grad"): "*",
    ("damped_scale", "jacrev_grad"): "SOSu",
    ("damped_scale", "grad_grad"): "SOSu",
    ("gemver", "grad_grad"): "GO",
}


def listed_refusal(name, transform, result):
    """Is `result` a refusal REFUSED or REFUSED_EVERYWHERE lists for this program?  (Where the
    gradient itself is refused, the second-order reference cannot be taken: "crash: the
    gradient for the reference: <the refusal>".)"""
    refusal = REFUSED.get(name)
    if result and result.startswith("refused") and transform in SECOND and refusal and \
            refusal in result:
        return True
    everywhere = REFUSED_EVERYWHERE.get(name)
    return bool(result and everywhere and everywhere in result)


def expected_failure(name, transform, variant):
    variants = KNOWN.get((name, transform))
    return variants is not None and (variants == "*" or variant in variants)


@pytest.fixture(scope="module", params=list(VARIANTS))
def variant(request):
    with api.variant(**VARIANTS[request.param]):
        yield request.param


@pytest.mark.parametrize("case", CORPUS, ids=lambda c: c.name)
def test_transform_matrix(case, variant):
    results = check_program(case)
    problems = []
    for transform, result in results.items():
        if listed_refusal(case.name, transform, result):
            continue
        known = expected_failure(case.name, transform, variant)
        if known and not result:
            problems.append(f"{transform}: now right, remove it from KNOWN")
        elif result and not known:
            problems.append(f"{transform}: {result}")
    assert not problems, "\n".join(problems)
