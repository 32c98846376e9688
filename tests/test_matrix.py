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
    "trisolv", "trmm")}

# (program, transform): the variants where it is wrong or crashes today ("*": all four)
KNOWN = {
    ("damped_scale", "grad_grad"): "*",
    ("damped_scale", "jacrev_grad"): "*",
    ("squashed_copy", "grad_grad"): "SOSu",
    ("comp", "hessian"): "*",
    ("comp", "hvp"): "*",
    ("comp", "jacfwd_grad"): "*",
    ("comp", "jacrev_grad"): "*",
    ("ignores_an_argument", "grad_grad"): "*",
    ("ignores_an_argument", "jacrev_grad"): "SOSu",
    ("fill", "grad_grad"): "*",
    ("scatter_add", "grad_grad"): "*",
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
    ("running_misfit", "grad_grad"): "*",
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
    ("assigned_in_some_iterations", "grad_grad"): "GOGu",
    ("fit", "grad_grad"): "GOGu",
    ("temporaries_of_a_loop", "grad_grad"): "GOGu",
    ("chain_of_temporaries", "grad_grad"): "GOGu",
    ("operand_changed_by_a_later_loop", "grad_grad"): "GOGu",
    ("carried_through_a_parameter", "grad_grad"): "GOGu",
    ("appends_in_a_helper", "grad_grad"): "GOGu",
    ("samples.ode_fit.trajectory_loss", "grad_grad"): "GOGu",
    ("histogram_by_keyword", "grad_grad"): "GOSO",  # also by position: a taped `if`
    ("eigenvalues_by_index", "grad_grad"): "*",    # a rule with an unpack, differentiated
    ("eigenvalues_by_index", "jacrev_grad"): "*",  # again: NameError 'a' (also `w, v = eigh`)
    ("accumulated", "grad_grad"): "*",
    ("accumulated", "jacrev_grad"): "*",
    ("blended_energy", "grad_grad"): "*",
    ("both_branches", "grad_grad"): "*",
    ("conditional_helper", "grad_grad"): "*",
    ("conditional_helper", "jacrev_grad"): "*",
    ("early_return_helper", "grad_grad"): "*",
    ("keyword_over_defaults", "grad_grad"): "*",
    ("keyword_over_defaults", "jacrev_grad"): "*",
    ("number_unchanged", "grad_grad"): "GOGu",
    ("result_ignored", "grad_grad"): "*",
    ("result_ignored", "jacrev_grad"): "*",
    ("sum_of_scaled", "grad_grad"): "*",
    ("sum_of_scaled", "jacrev_grad"): "*",
    ("two_layers", "grad_grad"): "*",
    ("two_layers", "jacrev_grad"): "*",
    # a counter read after a loop that ran no iteration: reverse over reverse of the gradient
    ("counter_after_an_empty_loop", "grad_grad"): "*",
    ("counter_after_an_empty_loop", "jacrev_grad"): "*",
    ("helper_with_a_constant_weight", "grad_grad"): "*",
    ("helper_with_a_constant_weight", "jacrev_grad"): "*",
    ("writes_through_an_unused_result", "grad_grad"): "*",
    ("writes_through_an_unused_result", "jacrev_grad"): "*",
    # tests/kernels.py
    # `ym1 = y1[i, j]` (an element; y1's shape is not known) is taken for a view of y1
    ("deriche", "vjp"): "*",
    ("deriche", "jvp"): "*",
    ("deriche", "dot"): "*",
    ("deriche", "jacfwd"): "*",
    ("deriche", "jacrev"): "*",
    ("deriche", "grad"): "*",
    ("deriche", "value_and_grad"): "*",
    ("deriche", "hessian"): "*",
    ("deriche", "hvp"): "*",
    ("deriche", "jacfwd_grad"): "*",
    ("deriche", "jacrev_grad"): "*",
    ("deriche", "grad_grad"): "*",
    ("jacobi_2d", "grad_grad"): "SOGO",
    ("lu", "grad_grad"): "*",
    ("lu", "jacrev_grad"): "*",
    ("seidel_2d", "grad_grad"): "SOGO",
    ("comp", "grad_grad"): "*",
    ("comp", "hessian"): "*",
    ("comp", "hvp"): "*",
    ("comp", "jacfwd_grad"): "*",
    ("comp", "jacrev_grad"): "*",
    ("reads_before_call", "grad_grad"): "*",
    ("reads_before_call", "jacrev_grad"): "*",
    ("three_returns", "grad_grad"): "GO",
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
