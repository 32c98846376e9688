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
# (Each part must be in the message: "writing into 'b', which ...", "'A' is written here ...")
# A program may be refused for one of several reasons: {program: [parts, parts, ...]}.
WRITES_INTO_ARRAYS = ("once more (for a Hessian", "writ")
# Reverse over reverse of a gradient that reads an array after a called function's backward
# half restored it from the tape (reverse.refuse_restores).
RESTORED = ("once more (for a Hessian", "after a called function restored it")
REFUSED = {name: [WRITES_INTO_ARRAYS] for name in (
    "cholesky_rows", "dict_new_key", "fresh_copy_in_a_branch", "gram_schmidt",
    "mutate_arg", "overwrite", "rebound_to_the_copy", "repeated_indices",
    "reread_after_write", "writes_into_a_fresh_copy", "writes_into_a_helpers_item",
    "negation_before_a_helpers_write", "swaps_written_arrays", "swaps_through_a_temporary",
    # tests/kernels.py
    "cholesky", "correlation", "covariance", "gramschmidt", "update_with_a_repeated_index",
    "fresh_copy_replaces_the_argument", "copy_or_source", "copy_in_one_arm")}
# Reverse over reverse after a callee's restore: the Hessians of these work.
REFUSED["reads_before_call"] = [RESTORED]
REFUSED["writes_through_a_helper_in_a_loop"] = [RESTORED]
# Helpers writing into their arguments: reverse over reverse meets the restore first.
for _name in ("writes_into_a_helpers_item", "swaps_written_arrays"):
    REFUSED[_name].append(RESTORED)
# Refused in every transform, first order too: {program: part of the message}.
# A write into an array while an item of a helper's tuple that is that array is read later
# (issue 17): refused as the same code without the helper is.
REFUSED_EVERYWHERE = {name: "is written here while a view 'q' of it" for name in (
    "unpacks_an_argument_of_a_helper", "indexes_an_argument_of_a_helper",
    "argument_through_two_helpers")}
# Arrays a container holds without a display saying so (issue 17): an item of a tuple
# parameter, a list grown by `.append`, `list(t)`.  Were wrong but the last (refused at
# `list(t)`, which has no rule): now all refused at the write.
REFUSED_EVERYWHERE.update({
    "writes_into_an_item_of_a_tuple_parameter": "writing into 'r', which may be a view of",
    "reads_an_appended_array_after_a_write": "'A' is written here while a view 'items' of it",
    "writes_into_an_item_of_a_helpers_list": "writing into 'q', an item of a tuple or list",
    "reads_a_list_of_a_tuple_after_a_write": "'A' is written here while a view 'l' of it",
    # an item popped off a user's list is each array appended to it (generated tapes, whose
    # pops restore saved values, are told apart: alias_flow.user_lists)
    "writes_into_a_popped_array": "writing into 'B', which is the same array as 'A'"})
# Methods of an object argument called in a gradient taken inside the differentiated function
# (grad_grad): that gradient is made for arguments of any kind, so the object's class, and its
# methods, are not known (README, "Objects and attributes"); its Hessians work.  Reverse over
# reverse meets a callee's restore first in the optimised variants.
REFUSED["model_argument_methods"] = [RESTORED, ("cannot differentiate the call .predict()",)]
# Changes of objects (issue 19): an array an object holds written into (README, "Objects and
# attributes"; an attribute assigned to is a new version of the object: tests/test_objects.py).
REFUSED_EVERYWHERE.update({
    "writes_into_an_array_attribute": "writing into an item of a container",
    "writes_into_a_records_field": "'a' is written here while a view 'p' of it"})
# A write into the result of a helper that returns its argument, or of `reshape`: the caller's
# array changes though the result is never read again.  Refused at the write (the optimiser's
# dead-code pass would otherwise be free to drop it).
REFUSED_EVERYWHERE.update({name: "writing into 'r', which may be a view of another array"
                           for name in ("writes_into_a_helpers_returned_argument",
                                        "writes_into_a_reshaped_view")})

# (program, transform): the variants where it is wrong or crashes today ("*": all four)
KNOWN = {}


def listed_refusal(name, transform, result):
    """Is `result` a refusal REFUSED or REFUSED_EVERYWHERE lists for this program?  (Where the
    gradient itself is refused, the second-order reference cannot be taken: "crash: the
    gradient for the reference: <the refusal>".)"""
    if not result:
        return False
    # The message names the program's file and function: a part such as "writ" must match
    # the reason given, never the program's own name (`swaps_written_arrays`).
    reason = result.replace(name, "<program>")
    if reason.startswith("refused") and transform in SECOND and any(
            all(part in reason for part in parts) for parts in REFUSED.get(name, ())):
        return True
    everywhere = REFUSED_EVERYWHERE.get(name)
    return bool(everywhere and everywhere in reason)


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
        known = expected_failure(case.name, transform, variant)
        if listed_refusal(case.name, transform, result):
            if known:    # refused before it gets to what KNOWN says is wrong: not checked
                problems.append(f"{transform}: a listed refusal, remove it from KNOWN")
            continue
        if known and not result:
            problems.append(f"{transform}: now right, remove it from KNOWN")
        elif result and not known:
            problems.append(f"{transform}: {result}")
    assert not problems, "\n".join(problems)
