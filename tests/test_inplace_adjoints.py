"""Array adjoints updated in place in a reverse loop (transforms/reverse_sweep.py, "Updating
adjoints in place"): the private copy before the first write runs once, in front of the loop,
where that is safe, and stays in the loop where it is not."""
import numpy as np
import pytest

import s2s_ad as ad
from s2s_ad import sources

import programs
from kernels import go_fast, lu


def _copies(fn, mode="vjp", example=None):
    """For each `x = np.array(x)` of the generated code: is it inside a reversed loop?"""
    found = []
    loop_indent = None
    for line in sources.source(fn, mode, (0,), example=example).splitlines():
        indent = len(line) - len(line.lstrip())
        if loop_indent is not None and indent <= loop_indent and line.strip():
            loop_indent = None
        if "in reversed(" in line and loop_indent is None:
            loop_indent = indent
        if "= np.array(" in line and "_bar" in line:
            found.append(loop_indent is not None)
    return found


def _check_gradient(fn, *args):
    g = ad.grad(fn)(*[np.copy(a) for a in args])
    eps, x = 1e-6, args[0]
    numerical = np.zeros_like(x)
    for k in np.ndindex(x.shape):
        up, down = np.copy(x), np.copy(x)
        up[k] += eps
        down[k] -= eps
        numerical[k] = (fn(up, *args[1:]) - fn(down, *args[1:])) / (2 * eps)
    np.testing.assert_allclose(g, numerical, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("example", [None, "specialised"])
def test_the_copy_of_an_adjoint_only_added_to_runs_once_in_front_of_the_loop(example):
    # go_fast copied the whole adjoint of `a` on every reverse iteration (issue 23)
    a = np.random.default_rng(0).normal(size=(5, 5))
    assert _copies(go_fast, example=(a,) if example else None) == [False]
    _check_gradient(go_fast, a)


def test_a_copy_moves_out_of_nested_loops():
    # lu writes into A in three nested loops: one copy, in front of the outermost
    a = np.random.default_rng(1).normal(size=(4, 4)) + 4 * np.eye(4)
    code = sources.source(lu, "vjp", (0,))
    body = code[code.index("def lu_in_place_bwd"):]
    assert body.count("np.array(A_bar)") == 1
    assert body.index("np.array(A_bar)") < body.index("in reversed(")
    _check_gradient(lu, a)


@pytest.mark.parametrize("name", ["adds_into_an_adjoint_in_one_branch",
                                  "writes_and_rebinds_in_a_loop",
                                  "writes_through_a_helper_in_a_loop"])
def test_where_it_is_not_safe_the_copy_stays_in_the_loop(name):
    # a copy in one arm of a branch; an adjoint handed on every iteration (the loop binds
    # its variable); an adjoint handed to a called function's backward half
    fn = getattr(programs, name)
    assert True in _copies(fn)
    x = np.random.default_rng(2).normal(size=5)
    _check_gradient(fn, x)


def test_the_cotangent_of_a_number_written_into_an_array_needs_no_unbroadcast():
    # trisolv's `x[i] -= L[i, j] * x[j]`: the cotangent of the value written was taken with
    # `_ad.unbroadcast(_ad.copy_of(x_bar[i]), _t6)`, which read _t6 for its shape alone and so
    # put it on the tape
    from kernels import trisolv
    rng = np.random.default_rng(3)
    L, b = rng.normal(size=(5, 5)) + 5 * np.eye(5), rng.normal(size=5)
    code = sources.source(trisolv, "grad", (0, 1), example=(L, b))
    assert "_ad.unbroadcast(" not in code.split("for i in reversed")[1]
    assert "_tape.append(_t6)" not in code
    g = ad.grad(trisolv, wrt=(0, 1))(L, b)
    eps = 1e-6
    for k in range(5):
        db = np.zeros(5)
        db[k] = eps
        assert np.isclose(g[1][k], (trisolv(L, b + db) - trisolv(L, b - db)) / (2 * eps),
                          rtol=1e-5)


def test_a_copied_element_read_first_does_not_keep_the_copy_in_the_loop():
    # mvt, specialised: `_t10_bar = _ad.copy_of(x2_bar[i])` comes before the first write into
    # x2_bar in the body; the copy still moves in front of the loops
    from kernels import mvt
    rng = np.random.default_rng(4)
    example = (rng.normal(size=(4, 4)),) + tuple(rng.normal(size=4) for _ in range(4))
    code = sources.source(mvt, "grad", (0, 1, 2, 3, 4), example=example)
    assert code.count("np.array(x2_bar)") == 1
    assert code.index("np.array(x2_bar)") < code.index("in reversed(")


def test_copies_of_an_adjoint_used_through_its_parts_move_out_of_a_branch():
    # floyd_warshall copied the whole adjoint of `path` twice per step of its innermost loop:
    # in one arm of the branch and after it.  The body uses path_bar only through its
    # parts, so one copy in front of the loops is enough (reverse_sweep._copies_of_parts)
    from kernels import floyd_warshall
    w = np.random.default_rng(5).uniform(1.0, 2.0, size=(4, 4))
    assert _copies(floyd_warshall, "grad", example=(w,)) == [False]
    assert _copies(floyd_warshall, "grad") == [False]
    _check_gradient(floyd_warshall, w)
