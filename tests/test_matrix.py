"""The transform matrix (tests/matrix.py): every corpus program through every transform, in
generic and specialised code, optimised or not, against central finite differences.

A transform may refuse a program only where REFUSED lists it; KNOWN lists what is still wrong
or crashes today (issue 17), each entry checked to fail still, so that a fix shows here and
the entry is removed with it.
"""
import pytest

from s2s_ad import api

from matrix import SCALAR_ONLY, check_program
from programs import CASES
from sample_cases import SAMPLE_CASES

CORPUS = list(CASES) + SAMPLE_CASES

VARIANTS = {"SO": dict(specialise=True, optimize=True), "GO": dict(specialise=False, optimize=True),
            "Su": dict(specialise=True, optimize=False), "Gu": dict(specialise=False, optimize=False)}
SECOND = SCALAR_ONLY[2:]

# Second derivatives of code that writes into an array while a view of it is read (README,
# "What is refused"): the first derivatives work.
WRITES_INTO_ARRAYS = "once more (for a Hessian"
REFUSED = {name: WRITES_INTO_ARRAYS for name in (
    "branch_in_loop", "cholesky_rows", "dict_new_key", "early_return_in_loop", "fill",
    "gram_schmidt", "jacobi2d", "mutate_arg", "overwrite", "repeated_indices",
    "reread_after_write", "scatter_add")}

# (program, transform): the variants where it is wrong or crashes today ("*": all four)
KNOWN = {
    ("nested_loops_matmul", "grad_grad"): "*",
    ("setitem_method", "grad_grad"): "*",
    ("swap_rows_fancy", "grad_grad"): "*",
    ("grows_while_walked", "grad_grad"): "GOGu",
    ("loop_over_rows", "grad_grad"): "*",
    ("rnn", "grad_grad"): "SOSOGOGOSuSuGuGu",
    ("loop_array_carried", "grad_grad"): "*",
    ("while_array", "grad_grad"): "*",
    ("broadcast_assignment", "grad_grad"): "*",
    ("returns_its_written_argument", "grad_grad"): "*",
    ("zipped_loops", "jacrev_grad"): "*",
    ("zipped_loops", "grad_grad"): "*",
    ("mask_zero", "grad_grad"): "*",
    ("net", "grad_grad"): "*",
    ("smooth", "grad_grad"): "*",
    ("uses_scale", "grad_grad"): "*",
    ("jacobi2d", "grad_grad"): "SOGO",
    ("reads_before_call", "jacrev_grad"): "*",
    ("reads_before_call", "grad_grad"): "*",
    ("comp", "grad_grad"): "*",
    ("rows_comprehension", "grad_grad"): "*",
    ("uses_varargs", "jacrev_grad"): "*",
    ("uses_varargs", "grad_grad"): "*",
    ("row_of_the_counter", "grad_grad"): "*",
    ("row_rnn", "grad_grad"): "*",
    ("column_rnn", "grad_grad"): "*",
    ("reduced_broadcasts", "grad_grad"): "*",
    ("running_misfit", "grad_grad"): "*",
    ("log_softmax_loss", "grad_grad"): "*",
    ("softmax_weights", "grad_grad"): "*",
    ("uses_last_steps_element", "grad_grad"): "*",
    ("square_times_x", "grad_grad"): "*",
    ("sum_of_cubes", "grad_grad"): "*",
    ("tanh_three_times", "grad_grad"): "*",
    ("residual_steps", "grad_grad"): "*",
    ("keyword_only_helper", "grad_grad"): "*",
    ("samples.rnn.loss", "grad_grad"): "*",
    ("samples.stencil_inplace.loss", "grad_grad"): "*",
    ("tuples", "jacrev_grad"): "GOGu",
    ("tuples", "grad_grad"): "GOGu",
    ("compare_mixed", "grad_grad"): "GOGu",
    ("broadcasting", "grad_grad"): "GOGu",
    ("three_returns", "grad_grad"): "GO",
    ("conditional_expr", "grad_grad"): "GOGu",
    ("horner", "grad_grad"): "GOGu",
    ("range_args", "grad_grad"): "GOGu",
    ("loop_carried_updates", "grad_grad"): "GOGu",
    ("newton_sqrt", "grad_grad"): "GOGu",
    ("capped_newton", "grad_grad"): "GOGu",
    ("euler_ode", "grad_grad"): "GOGu",
    ("breaks_early", "grad_grad"): "GOGu",
    ("continue_and_else", "grad_grad"): "GOGu",
    ("loop_over_list", "grad_grad"): "GOGu",
    ("uses_helper", "grad_grad"): "GOGu",
    ("fact_like", "grad_grad"): "GOGu",
    ("multi", "grad_grad"): "GOGu",
    ("nested_functions", "grad_grad"): "GOGu",
    ("assigned_in_some_iterations", "grad_grad"): "GOGu",
    ("fit", "grad_grad"): "GOGu",
    ("temporaries_of_a_loop", "grad_grad"): "GOGu",
    ("chain_of_temporaries", "grad_grad"): "GOGu",
    ("operand_changed_by_a_later_loop", "grad_grad"): "GOGu",
    ("signs_in_products", "grad_grad"): "GOGu",
    ("carried_through_a_parameter", "grad_grad"): "GOGu",
    ("appends_in_a_helper", "jacrev_grad"): "GOGu",
    ("appends_in_a_helper", "grad_grad"): "GOGu",
    ("samples.newton_hessian.f", "grad_grad"): "GOGu",
    ("samples.ode_fit.trajectory_loss", "grad_grad"): "GOGu",
}


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
        refusal = REFUSED.get(case.name)
        if result and result.startswith("refused") and transform in SECOND and refusal \
                and refusal in result:
            continue
        known = expected_failure(case.name, transform, variant)
        if known and not result:
            problems.append(f"{transform}: now right, remove it from KNOWN")
        elif result and not known:
            problems.append(f"{transform}: {result}")
    assert not problems, "\n".join(problems)
