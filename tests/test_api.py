"""The public API (API.md): wrt forms, has_aux, value_and_grad, vjp, the decorator, the cache."""
import math
import time

import numpy as np
import pytest

import s2s_ad as ad


def loss(w, b, x):
    return np.sum((x @ w + b) ** 2)


W = np.array([[0.5, -1.0], [2.0, 0.3], [0.1, 0.2]])
B = np.array([0.1, -0.2])
X = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]])


def grads_by_hand(w, b, x):
    r = 2.0 * (x @ w + b)
    return x.T @ r, r.sum(axis=0)


def test_wrt_by_index_name_and_tuple():
    gw, gb = grads_by_hand(W, B, X)
    np.testing.assert_allclose(ad.grad(loss)(W, B, X), gw)
    np.testing.assert_allclose(ad.grad(loss, wrt="b")(W, B, X), gb)
    both = ad.grad(loss, wrt=(0, "b"))(W, B, X)
    assert isinstance(both, tuple) and len(both) == 2
    np.testing.assert_allclose(both[0], gw)
    np.testing.assert_allclose(both[1], gb)
    single = ad.grad(loss, wrt=("w",))(W, B, X)
    assert isinstance(single, tuple) and len(single) == 1


def test_keyword_arguments_are_bound():
    gw, _ = grads_by_hand(W, B, X)
    np.testing.assert_allclose(ad.grad(loss)(W, x=X, b=B), gw)


def _scaled_square(x, scale=2.0):
    return scale * x * x


def _scaled_sum(x, scale=2.0):
    return np.sum(scale * x * x)


def test_parameters_with_defaults_may_be_left_out():
    # one float argument runs forward mode: its code keeps the defaults too
    for grad in (ad.grad(_scaled_square), ad.grad(_scaled_square)):
        assert grad(3.0) == 12.0 and grad(3.0, scale=1.0) == 6.0 and grad(x=3.0) == 12.0
    np.testing.assert_allclose(ad.grad(_scaled_sum)(np.ones(2)), [4.0, 4.0])
    np.testing.assert_allclose(ad.grad(_scaled_sum)(np.ones(2), 0.5), [1.0, 1.0])


def test_value_and_grad_and_has_aux():
    value, g = ad.value_and_grad(loss)(W, B, X)
    assert value == pytest.approx(loss(W, B, X))

    def with_aux(w, b, x):
        r = x @ w + b
        return np.sum(r ** 2), {"residual": r}

    g2, aux = ad.grad(with_aux, has_aux=True)(W, B, X)
    np.testing.assert_allclose(g2, g)
    np.testing.assert_allclose(aux["residual"], X @ W + B)
    (v3, aux3), g3 = ad.value_and_grad(with_aux, has_aux=True)(W, B, X)
    assert v3 == pytest.approx(value)
    np.testing.assert_allclose(g3, g)


def test_vjp_pullback_is_reusable_and_returns_a_tuple():
    def f(x, y):
        return np.sin(x) * y

    x, y = np.array([0.1, 0.2]), np.array([3.0, 4.0])
    out, pullback = ad.vjp(f, x, y)
    np.testing.assert_allclose(out, f(x, y))
    for u in (np.array([1.0, 0.0]), np.array([0.5, 2.0])):
        gx, gy = pullback(u)
        np.testing.assert_allclose(gx, u * np.cos(x) * y)
        np.testing.assert_allclose(gy, u * np.sin(x))
    _, pb = ad.vjp(f, x, y, wrt=1)
    assert len(pb(np.ones(2))) == 1


def test_integer_argument_is_treated_as_float():
    def cube(x):
        return x ** 3
    assert ad.grad(cube)(2) == pytest.approx(12.0)
    assert isinstance(ad.grad(cube)(2), float)


def test_derivatives_keep_python_scalar_kinds():
    def f(x, y):
        return x * y + x
    gx, gy = ad.grad(f, wrt=(0, 1))(2.0, 3.0)
    assert (gx, gy) == (4.0, 2.0)
    assert type(gx) is float


def test_decorator():
    @ad.differentiate(wrt=("w", "b"))
    def model(w, b, x):
        return np.sum(np.tanh(x @ w + b))

    assert model(W, B, X) == pytest.approx(np.sum(np.tanh(X @ W + B)))
    gw, gb = model.grad(W, B, X)
    assert gw.shape == W.shape and gb.shape == B.shape
    value, (gw2, _) = model.value_and_grad(W, B, X)
    np.testing.assert_allclose(gw2, gw)
    assert "w_bar" in model.source("grad") and "def model_grad" in model.source("grad")
    out, pullback = model.vjp(W, B, X)
    np.testing.assert_allclose(pullback(1.0)[0], gw)

    @ad.differentiate
    def square(x):
        return x * x
    assert square.grad(3.0) == 6.0
    assert square.jvp((3.0,), (1.0,)) == (9.0, 6.0)
    assert square.hessian(3.0) == pytest.approx(2.0)


def test_cache_compiles_once_and_second_call_is_cheap():
    def f(x):
        return x * x * x + 2.0 * x
    ad.clear_cache()
    g = ad.grad(f)
    start = time.perf_counter()
    g(1.0)
    first = time.perf_counter() - start
    from s2s_ad.derivative import _CACHE
    entries = dict(_CACHE[f])
    start = time.perf_counter()
    for _ in range(100):
        g(1.0)
    second = (time.perf_counter() - start) / 100
    assert dict(_CACHE[f]) == entries   # nothing new was built
    assert second < first


def test_redefined_function_gets_a_new_derivative():
    namespace = {}
    exec_free_source = "def f(x):\n    return x * x\n"
    import linecache
    linecache.cache["<test-redefine-1>"] = (len(exec_free_source), None,
                                             exec_free_source.splitlines(True), "<test-redefine-1>")
    exec(compile(exec_free_source, "<test-redefine-1>", "exec"), namespace)
    assert ad.grad(namespace["f"])(3.0) == 6.0
    changed = "def f(x):\n    return x * x * x\n"
    linecache.cache["<test-redefine-2>"] = (len(changed), None, changed.splitlines(True),
                                             "<test-redefine-2>")
    exec(compile(changed, "<test-redefine-2>", "exec"), namespace)
    assert ad.grad(namespace["f"])(3.0) == 27.0



def test_a_cell_run_again_with_new_lambdas_is_read_again():
    """The same pseudo-file (a notebook cell) with new content: its lambdas are read anew."""
    import linecache
    for text, slope in [("f = lambda x: 2.0 * x\n", 2.0), ("f = lambda x: 5.0 * x\n", 5.0)]:
        namespace = {}
        linecache.cache["<test-cell>"] = (len(text), None, text.splitlines(True), "<test-cell>")
        exec(compile(text, "<test-cell>", "exec"), namespace)
        assert ad.grad(namespace["f"])(1.0) == slope
        assert ad.source(namespace["f"]).startswith("def f_grad(")

GLOBAL_SCALE = 2.0


def uses_global(x):
    return GLOBAL_SCALE * x * x


def test_globals_are_looked_up_live():
    global GLOBAL_SCALE
    g = ad.grad(uses_global)
    assert g(1.0) == 4.0
    GLOBAL_SCALE = 3.0
    try:
        assert g(1.0) == 6.0
    finally:
        GLOBAL_SCALE = 2.0


def test_closure_variables_and_lambdas():
    scale = 5.0

    def inner(x):
        return scale * x * x
    assert ad.grad(inner)(1.0) == 10.0
    square = lambda x: x * x  # noqa: E731
    assert ad.grad(square)(4.0) == 8.0


class Model:
    def energy(self, x):
        return np.sum(x * x)

    @staticmethod
    def static_energy(x):
        return np.sum(3.0 * x)


def test_methods():
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(ad.grad(Model().energy)(x), 2 * x)
    np.testing.assert_allclose(ad.grad(Model.static_energy)(x), [3.0, 3.0])


def test_generated_code_does_not_leak_into_the_module():
    before = set(globals())
    ad.grad(uses_global)(1.0)
    assert set(globals()) == before


def test_traceback_shows_generated_line():
    import linecache
    import traceback

    def f(x):
        return np.sum(np.log(x))
    g = ad.grad(f)
    with np.errstate(all="raise"):
        with pytest.raises(FloatingPointError) as info:
            g(np.array([0.0, 1.0]))
    frames = traceback.extract_tb(info.value.__traceback__)
    generated = [fr for fr in frames if fr.filename.startswith("<s2s_ad")]
    assert generated and generated[-1].line          # the line text is shown
    assert linecache.getline(generated[-1].filename, generated[-1].lineno).strip()


def test_source_is_deterministic():
    assert ad.source(loss, "grad") == ad.source(loss, "grad")
    ad.clear_cache()
    text = ad.source(loss, "vjp", wrt=("w", "b"))
    assert "w_bar" in text and "b_bar" in text and "out_bar" in text


def test_lambdas_sharing_a_line_and_parameters_are_told_apart():
    pairs = [(lambda x: x + 1, 1.0), (lambda x: 3 * x, 3.0), (lambda x: x * x, 4.0)]
    assert [ad.grad(f)(2.0) for f, _ in pairs] == [d for _, d in pairs]
    same = [lambda x: np.sin(x) * 2.0, lambda x: np.sin(x) * 2.0, lambda x: np.sin(x) * 3.0]
    assert [ad.grad(f)(0.0) for f in same] == [2.0, 2.0, 3.0]   # np: not a local name



LAMBDA_LAYOUTS = '''
import math
def pick(*fs):
    return fs[1]
SCALED = (
    lambda x: x
    * 3.0
)
CUT = pick(lambda x: x, lambda x: x
           * 5.0)
LAST = pick(math.sin,
            lambda x: 7.0 * x, None)
WIDE = pick(
    None,
    lambda x: 4.0
    * x,
)
def inner():
    return (
        lambda x: x
        + math.sin(x))
NESTED = inner()
BLOCK = dict(
    a=1,
    f=lambda x: 2.0
    * x,
)["f"]
'''


def test_lambdas_are_read_whole_wherever_their_lines_are_cut(tmp_path, monkeypatch):
    """A lambda is read from its own lines where that is certain, else from the whole file:
    either way the same tree, and the name of a module-level `name = (lambda ...)`."""
    import importlib
    (tmp_path / "lambda_layouts.py").write_text(LAMBDA_LAYOUTS)
    monkeypatch.syspath_prepend(str(tmp_path))
    mod = importlib.import_module("lambda_layouts")
    cases = {"SCALED": 3.0, "CUT": 5.0, "LAST": 7.0, "WIDE": 4.0, "NESTED": 2.0, "BLOCK": 2.0}
    for name, slope in cases.items():
        assert ad.grad(getattr(mod, name))(0.0) == slope, name
    assert ad.source(mod.SCALED).startswith("def SCALED_grad(")
    assert ad.source(mod.BLOCK).startswith("def lambda__grad(")

EINSUM_PROGRAM = '''
import numpy as np, s2s_ad as ad
def f(a, b):
    return np.sum(np.einsum("ij,jk->ik", a, b) ** 2)
print(ad.source(f, "grad", wrt=(0, 1), example=(np.ones((2, 3)), np.ones((3, 2)))))
'''


def test_generated_code_is_the_same_in_every_run(tmp_path):
    """Names do not depend on the hash seed (einsum's rules have several locals)."""
    import os
    import subprocess
    import sys
    script = tmp_path / "einsum_program.py"
    script.write_text(EINSUM_PROGRAM)
    texts = {subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                            env=dict(os.environ, PYTHONHASHSEED=seed), check=True).stdout
             for seed in ("1", "2", "3")}
    assert len(texts) == 1 and "def f_grad" in texts.pop()


def test_a_ufunc_or_math_function_is_differentiated_directly():
    """`ad.grad(np.sqrt)`: a function with a rule and no Python source is differentiated
    through a generated function calling it (issue 19)."""
    import math
    assert ad.grad(np.sqrt)(4.0) == pytest.approx(0.25)
    assert ad.grad(math.exp)(1.0) == pytest.approx(math.e)
    assert ad.grad(np.arctan2, wrt=1)(1.0, 2.0) == pytest.approx(-1.0 / 5.0)
    value, tangent = ad.jvp(np.tanh, (0.5,), (2.0,))
    assert tangent == pytest.approx(2.0 / np.cosh(0.5) ** 2)
    assert ad.hessian(np.sin)(0.3) == pytest.approx(-np.sin(0.3))
    x = np.array([0.5, 1.5])
    np.testing.assert_allclose(ad.jacrev(np.exp)(x), np.diag(np.exp(x)))


UNARY_BUILTINS = [np.sqrt, np.exp, np.log, np.tanh, np.arctan, np.abs, np.cbrt, np.reciprocal,
                  math.exp, math.sqrt, math.sin, math.log, math.tanh, math.atan]
FIRST = {"grad": lambda f, x: ad.grad(f)(x), "value_and_grad": lambda f, x: ad.value_and_grad(f)(x)[1],
         "vjp": lambda f, x: ad.vjp(f, x)[1](1.0)[0], "jvp": lambda f, x: ad.jvp(f, (x,), (1.0,))[1],
         "jacfwd": lambda f, x: ad.jacfwd(f)(x), "jacrev": lambda f, x: ad.jacrev(f)(x),
         "differentiate": lambda f, x: ad.differentiate(f).grad(x)}
SECOND = {"hessian": lambda f, x: ad.hessian(f)(x), "hvp": lambda f, x: ad.hvp(f)(x, 1.0),
          "jacfwd_grad": lambda f, x: ad.jacfwd(ad.grad(f))(x),
          "jacrev_grad": lambda f, x: ad.jacrev(ad.grad(f))(x),
          "grad_grad": lambda f, x: ad.grad(ad.grad(f))(x)}


@pytest.mark.parametrize("variant", [dict(specialise=s, optimize=o) for s in (True, False)
                                     for o in (True, False)], ids=["SO", "Su", "GO", "Gu"])
@pytest.mark.parametrize("transform", list(FIRST) + list(SECOND))
@pytest.mark.parametrize("fn", UNARY_BUILTINS, ids=lambda f: f"{type(f).__name__}.{f.__name__}")
def test_every_transform_of_a_ufunc_or_math_function(fn, transform, variant):
    # math.log and math.hypot have no signature inspect can read: theirs is their rules'.
    x = 0.37
    if transform in FIRST:
        h = 1e-6
        expected = (fn(x + h) - fn(x - h)) / (2 * h)
    else:
        h = 1e-4
        expected = (fn(x + h) - 2 * fn(x) + fn(x - h)) / h ** 2
    with ad.api.variant(**variant):
        got = {**FIRST, **SECOND}[transform](fn, x)
    assert got == pytest.approx(expected, rel=1e-4, abs=1e-6)


def test_math_functions_without_a_readable_signature_take_their_rules_arguments():
    assert ad.grad(math.log, 1)(8.0, 2.0) == pytest.approx(-math.log(8.0) / (2.0 * math.log(2.0) ** 2))
    assert ad.grad(math.hypot, (0, 1))(3.0, 4.0) == pytest.approx((0.6, 0.8))
    assert ad.hessian(math.log)(2.0) == pytest.approx(-0.25)
    assert "def log_grad(x, base=" in ad.source(math.log)


# -- errors a newcomer meets (issue 21) ----------------------------------------------------

def _pair(x):
    return np.sum(x * x), x


def _single(x):
    return np.sum(x * x)


def test_jvp_with_primals_not_in_a_tuple_says_how():
    x = np.array([1.0, 2.0])
    with pytest.raises(ad.BadArgumentError, match=r"primals as a tuple") as info:
        ad.jvp(_single, x, x)
    assert "ad.jvp(f, (x,), (t,))" in str(info.value)
    with pytest.raises(ad.BadArgumentError, match=r"tangents as a tuple"):
        ad.jvp(_single, (x,), x)


def test_grad_of_a_tuple_output_suggests_has_aux():
    for x in (np.array([1.0, 2.0]), 1.5):
        for transform in (ad.grad, ad.value_and_grad):
            with pytest.raises(ad.BadArgumentError, match=r"tuple of 2 items") as info:
                transform(_pair)(x)
            assert "has_aux=True" in str(info.value)


def test_has_aux_with_a_result_that_is_no_pair():
    for transform in (ad.grad, ad.value_and_grad):
        with pytest.raises(ad.BadArgumentError, match=r"return a pair \(output, aux\)"):
            transform(_single, has_aux=True)(np.array([1.0, 2.0]))


def test_the_source_of_value_and_grad_is_named_for_it():
    assert ad.source(_single, "value_and_grad").startswith("def _single_value_and_grad(")


def _mapped_lambda(x):
    return sum(map(lambda v: v * v, [x[0], x[1]])) + (lambda v: 2.0 * v)(x[2])


def test_inlined_lambdas_name_their_values_after_their_parameters():
    # a lambda's parameter v is v_lambda, its value _lambda, map's item _item: no doubled
    # underscores (v__lambda, __item) where names are made from names the compiler made
    text = ad.source(_mapped_lambda, "vjp")
    assert "v_lambda" in text and "_lambda_bar" in text and "_item" in text
    assert "__" not in text
    ad.check_grads(_mapped_lambda, (np.array([0.3, -0.5, 0.7]),))


def _unpacks_with_a_star(x):
    first, *middle, last = [x[0], x[1], x[2], x[3]]
    *init, end = (x[1], x[2])
    head, *tail = (x[3], x[0])
    return first * sum(middle) + last * init[0] * end + head * tail[0]


def test_a_starred_assignment_reads_as_a_plain_slice():
    text = ad.source(_unpacks_with_a_star, "ssa")
    assert "[1:-1]" in text and "[:-1]" in text and "[1:]" in text and "len(" not in text
    ad.check_grads(_unpacks_with_a_star, (np.array([0.3, -0.5, 0.7, 1.1]),))
