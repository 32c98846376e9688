"""Batched Jacobians (s2s_ad/batching.py): one call of a generated JVP/VJP with a batch axis.

Over the program corpus (tests/programs.py) and the rule table (tests/rule_cases.py), jacfwd
and jacrev must give what the per-basis-vector loop gives and agree with central finite
differences, whether the batched code is used or the function falls back to the loop.
"""
import itertools
import linecache
import types
import warnings

import numpy as np
import pytest

import s2s_ad as ad
from s2s_ad.rules import RULES
from s2s_ad import api, arguments
from s2s_ad.transforms import batching
from s2s_ad import higher, jacobians
from s2s_ad.check import copied, numerical_jvp

import programs
import rule_cases

pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")

RNG = np.random.default_rng(7)


def _jacobians(fn, wrt, args, fallbacks):
    """{mode: (Jacobians, loop Jacobians, was the batched code used)}; without `fallbacks`,
    only for the modes that use batched code (the loop is tested elsewhere)."""
    names = arguments.wrt_names(fn, tuple(wrt))[0]
    args = [arguments.as_float(a) if i in wrt else a for i, a in enumerate(args)]
    # a `*xs` function's code has a parameter per argument (frontend/variadic.py)
    params, flat, shape = arguments.call_arguments(fn, arguments.parameters(fn), args, {})
    out = {}
    for mode, transform, loop in (("jvp_batched", ad.jacfwd, higher._jacfwd_loop),
                                  ("vjp_batched", ad.jacrev, higher._jacrev_loop)):
        used = higher.batched(fn, mode, names, params, list(flat), shape) is not None
        if not used and not fallbacks:
            continue
        try:
            given = {"given": args} if loop is higher._jacrev_loop else {}    # fn's call
            expected = loop(fn, names, params, list(flat), shape=shape, **given)
        except Exception:      # the loop refuses it too (containers as outputs ...)
            continue
        got = transform(fn, wrt=tuple(wrt))(*args)
        out[mode] = (list(got), expected, used)
    return out, args


def _check(fn, wrt, args, tol=1e-6, fallbacks=True):
    """Batched == loop, and J v == finite differences; returns which modes were batched."""
    results, args = _jacobians(fn, wrt, args, fallbacks)
    tangents = [RNG.standard_normal(np.shape(args[i])) if np.ndim(args[i])
                else float(RNG.standard_normal()) for i in wrt]
    numeric = None
    used = set()
    if isinstance(fn(*copied(args)), tuple):     # the loop's Jacobians of tuples are not checked here
        results = {}
    for mode, (got, expected, batched) in results.items():
        for g, e in zip(got, expected):
            assert np.shape(g) == np.shape(e), mode
            if np.iscomplexobj(g) and not np.iscomplexobj(e):
                g = np.real(g)     # the loop writes complex columns into a real array
            np.testing.assert_allclose(g, e, rtol=1e-9, atol=1e-12, err_msg=mode)
        if numeric is None:
            numeric = np.asarray(numerical_jvp(fn, args, wrt, tangents))
        jv = sum(np.tensordot(g, t, axes=np.ndim(t)) for g, t in zip(got, tangents))
        np.testing.assert_allclose(jv, numeric, rtol=tol * 10, atol=tol * 10, err_msg=mode)
        if batched:
            used.add(mode)
    return used


# ---- the program corpus -----------------------------------------------------------------------

PROGRAMS = [c for c in programs.CASES if "rnn50" not in c.tags]

# programs the batched modes must handle (not fall back on)
BATCHED_PROGRAMS = {"arith", "powers", "math_basics", "mlp_like", "numpy_first_set",
                    "broadcasting", "piecewise", "horner", "newton_sqrt", "euler_ode",
                    "while_array", "overwrite", "mutate_arg", "jacobi2d", "nested_functions",
                    "rnn"}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("case", PROGRAMS, ids=lambda c: c.name)
def test_program_jacobians(case):
    rng = np.random.default_rng(0)
    used = _check(case.fn, case.wrt, list(case.make_args(rng)), tol=max(case.tol, 1e-6),
                  fallbacks=False)
    if case.name in BATCHED_PROGRAMS:
        assert used == {"jvp_batched", "vjp_batched"}, f"{case.name} fell back: {used}"


# ---- the rule table ---------------------------------------------------------------------------

def _literal(value):
    try:
        return eval(repr(value), {}) == value and repr(value)
    except Exception:
        return None


def _wrapper(n, case):
    """`def f(a0, ...): return FN(a0, ..., key=value)` for a rule case, source in linecache.

    Arrays and floats become parameters (the real ones are differentiated); the others, and the
    keyword arguments, constants (literals where they have one, so that shapes and axes are
    known when code is generated).  Returns (f, arguments, indices of the real ones).
    """
    params, call, scope, values, wrt = [], [], {"FN": case.fn, "np": np}, [], []
    rules = RULES[case.fn].vjps
    for k, a in enumerate(case.args):
        if isinstance(a, (float, np.ndarray)):
            differentiable = k < len(rules) and rules[k] is not None and \
                (case.wrt is None or k in case.wrt)
            if differentiable and (isinstance(a, float) or a.dtype == float):
                wrt.append(len(params))
            params.append(f"a{k}")
            call.append(f"a{k}")
            values.append(a)
        elif _literal(a):
            call.append(repr(a))
        else:
            scope[f"C{k}"] = a
            call.append(f"C{k}")
    for key, value in case.kwargs.items():
        if _literal(value):
            call.append(f"{key}={value!r}")
        else:
            scope[f"K_{key}"] = value
            call.append(f"{key}=K_{key}")
    filename = f"<batched-rule-case-{n}>"
    source = f"def f({', '.join(params)}):\n    return FN({', '.join(call)})\n"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), scope)
    return scope["f"], values, tuple(wrt)


def _rule_params():
    """Every case of the rules that broadcast or have batched forms (their shapes matter), the
    first case of the others (applied item by item or elementwise, whatever the shapes)."""
    out, seen = [], set()
    for n, c in enumerate(rule_cases.CASES):
        if c.sym or c.align is not None:
            continue
        every = RULES[c.fn].broadcasts or RULES[c.fn].batched is not None
        if c.fn in seen and not every:
            continue
        seen.add(c.fn)
        real = [a for a in c.args
                if isinstance(a, float) or (isinstance(a, np.ndarray) and a.dtype == float)]
        if real:
            out.append(pytest.param(n, c, id=f"{c.name}-{n}"))
    return out


# rules that must batch in both modes (the elementwise family and the records with batched rules)
BATCHED_RULES = {"operator.add", "operator.mul", "operator.truediv", "operator.matmul",
                 "np.sin", "np.tanh", "np.exp", "np.maximum", "np.where", "np.sum", "np.mean",
                 "np.reshape", "np.transpose", "np.dot", "np.matmul", "np.power"}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("n, case", _rule_params())
def test_rule_jacobians(n, case):
    fn, args, wrt = _wrapper(n, case)
    if not wrt:
        pytest.skip("no real argument with a rule")
    used = _check(fn, wrt, args, tol=max(case.rtol, 1e-6), fallbacks=False)
    ranks_ok = all(1 <= np.ndim(a) <= 2 for a in args)
    if case.name in BATCHED_RULES and ranks_ok and not case.kwargs:
        assert used == {"jvp_batched", "vjp_batched"}, f"{case.name} fell back: {used}"


# ---- alignment: a scalar's batched tangent must not meet an axis of the same length ----------

def first_times(x):
    return x[0] * x + np.mean(x)


def sum_times(x, s):
    return np.sum(x * x) * x + s


def scalar_param(s, x):
    return s * x - x / s


def matrix_row_scale(A):
    return A[0, 0] * A + np.sum(A, axis=0, keepdims=True) * A[1]


def high_rank_product(A, B):
    return np.matmul(A, B) * 2.0


@pytest.mark.parametrize("fn, args, wrt", [
    (high_rank_product, (RNG.standard_normal((2, 3, 4)), RNG.standard_normal((4, 2))), (0, 1)),
    (first_times, (RNG.standard_normal(5),), (0,)),                       # B == n == 5
    (sum_times, (RNG.standard_normal(4), 1.5), (0,)),                     # B == n == 4
    (sum_times, (RNG.standard_normal(4), 1.5), (0, 1)),
    (scalar_param, (1.3, RNG.standard_normal(1)), (0,)),                  # B == n == 1
    (scalar_param, (1.3, RNG.standard_normal(3)), (0, 1)),
    (matrix_row_scale, (RNG.standard_normal((3, 3)),), (0,)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_scalar_operands_broadcast_with_the_batch_axis_aligned(fn, args, wrt):
    assert _check(fn, wrt, list(args)) == {"jvp_batched", "vjp_batched"}


# ---- fallbacks --------------------------------------------------------------------------------

def helper(v):
    return np.sin(v) * v


def calls_user_function(x):
    return helper(x) + x


def fancy_index(x):
    return x[[0, 2, 2]] * 2.0


def packs_tuple(x):
    pair = (x * 2.0, x + 1.0)
    return pair[0] * pair[1]


def average_rules_have_statements(x, w):
    return np.average(x, axis=0, weights=w) * x


@pytest.mark.parametrize("fn, args", [
    (calls_user_function, (RNG.standard_normal(3),)),
    (fancy_index, (RNG.standard_normal(4),)),
    (packs_tuple, (RNG.standard_normal(3),)),
    (average_rules_have_statements, (RNG.standard_normal((2, 3)), RNG.uniform(1, 2, 2))),
], ids=lambda v: getattr(v, "__name__", ""))
def test_unbatchable_functions_fall_back_to_the_loop(fn, args):
    assert _check(fn, (0,), list(args)) == set()


def test_fallback_is_remembered_not_regenerated():
    jac = ad.jacfwd(calls_user_function)
    x = RNG.standard_normal(3)
    jac(x)
    transform = next(c.cell_contents for c in jac.__closure__
                     if isinstance(c.cell_contents, higher._Jacobian))
    assert list(transform.fast.values()) == [None]
    np.testing.assert_allclose(jac(x), higher._jacfwd_loop(calls_user_function, ["x"], ["x"],
                                                           [x])[0])


def _broken_batched_code(monkeypatch):
    """Make the batched code of every Jacobian raise, as a fault in it would."""
    real = jacobians.batched

    def broken(*args):
        gen = real(*args)
        assert gen is not None

        def raises(*args, **kwargs):
            raise ValueError("broken batched code")
        return types.SimpleNamespace(function=raises, seed_name=gen.seed_name,
                                     batch=gen.batch, dependencies=gen.dependencies)
    monkeypatch.setattr(jacobians, "batched", broken)


@pytest.mark.parametrize("transform, loop", [(ad.jacfwd, higher._jacfwd_loop),
                                             (ad.jacrev, higher._jacrev_loop)])
def test_a_fault_of_the_batched_code_is_reported_and_the_loop_answers(monkeypatch, transform,
                                                                      loop):
    _broken_batched_code(monkeypatch)
    x = RNG.standard_normal(3)
    with pytest.warns(RuntimeWarning, match="raised ValueError: broken batched code"):
        got = transform(helper)(x)
    np.testing.assert_allclose(got, loop(helper, ["v"], ["v"], [x])[0])


def positive_only(x):
    if x[0] < 0.0:
        raise ValueError("x[0] must be positive")
    return np.sin(x) * x


@pytest.mark.parametrize("transform", [ad.jacfwd, ad.jacrev])
def test_the_users_own_error_is_raised_without_a_warning(transform):
    transform(positive_only)(np.array([1.0, 2.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="must be positive"):
            transform(positive_only)(np.array([-1.0, 2.0]))


# ---- Hessians: jacfwd of the generated gradient -----------------------------------------------

def rosen(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def tanh_layer(x, W):
    return np.sum(np.tanh(W @ x) ** 2) + np.sum(x * x) * 0.5


@pytest.mark.parametrize("fn, args", [
    (rosen, (RNG.uniform(-1, 1, 6),)),
    (tanh_layer, (RNG.standard_normal(4), RNG.standard_normal((3, 4)))),
], ids=lambda v: getattr(v, "__name__", ""))
def test_hessian_is_batched(fn, args):
    gradient = ad.grad(fn)
    params = arguments.parameters(fn)
    assert higher.batched(gradient, "jvp_batched", [params[0]], params, list(args)) is not None
    H = ad.hessian(fn)(*args)
    expected = higher._jacfwd_loop(gradient, [params[0]], params, list(args))[0]
    np.testing.assert_allclose(H, expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(H, H.T, rtol=1e-9, atol=1e-9)
    # reverse over reverse: the batched VJP of the gradient's runtime helpers
    assert higher.batched(gradient, "vjp_batched", [params[0]], params, list(args)) is not None
    np.testing.assert_allclose(ad.jacrev(gradient)(*args), expected, rtol=1e-9, atol=1e-12)


def test_batched_modes_in_source():
    x, W = RNG.standard_normal(3), RNG.standard_normal((3, 3))
    text = ad.source(lambda_free_jac, "vjp_batched", example=(x, W))
    assert text.startswith("def lambda_free_jac_vjp_batched(x, W, *, out_bar):")
    with pytest.raises(ad.DifferentiationError, match="example"):
        ad.source(lambda_free_jac, "jvp_batched")
    with pytest.raises(ad.DifferentiationError, match="user function helper"):
        ad.source(calls_user_function, "jvp_batched", example=(x,))


def test_seeds_are_read_only_and_reused():
    jac = ad.jacrev(sum_times)
    x = RNG.standard_normal(4)
    first = jac(x, 0.5)
    np.testing.assert_allclose(jac(x, 0.5), first)
    transform = next(c.cell_contents for c in jac.__closure__
                     if isinstance(c.cell_contents, higher._Jacobian))
    (entry,) = transform.fast.values()
    assert not entry[3][0].flags.writeable


def test_batched_source_reads_like_the_jvp():
    x, W = RNG.standard_normal(3), RNG.standard_normal((3, 3))
    gen = api.compiled(lambda_free_jac, "jvp_batched", ["x"], {"x": "array", "W": "array"},
                       arg_shapes={"x": (3,), "W": (3, 3)})
    assert "x_dot @ np.transpose(W)" in gen.source
    assert gen.batch == (3, [(3,)])
    np.testing.assert_allclose(ad.jacfwd(lambda_free_jac)(x, W), ad.jacrev(lambda_free_jac)(x, W))


def lambda_free_jac(x, W):
    return np.tanh(W @ x) * x


def test_all_wrt_combinations_share_one_batch():
    x, s = RNG.standard_normal(3), 0.7
    for wrt in itertools.chain.from_iterable(itertools.combinations((0, 1), k) for k in (1, 2)):
        assert _check(sum_times, wrt, [x, s]) == {"jvp_batched", "vjp_batched"}


# ---- random programs (tests/fuzz_programs.py) ------------------------------------------------

def test_random_programs_batched_equals_loop():
    """Batched Jacobians of random programs equal the loop's (a run over 2000 such programs,
    about half of them batched, found no difference; here a derandomized handful)."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    import fuzz_programs as fp

    @settings(max_examples=12, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def check(data):
        program = data.draw(fp.programs())
        x, y, a = data.draw(fp.inputs(program.n))
        f = fp.load(program.text)
        args = [x, y, np.array(a, dtype=float)]
        try:
            with np.errstate(all="raise"):
                f(*copied(args))
        except Exception:
            return
        results, _ = _jacobians(f, (0, 1, 2), args, fallbacks=False)
        for mode, (got, expected, _) in results.items():
            for g, e in zip(got, expected):
                np.testing.assert_allclose(g, e, rtol=1e-7, atol=1e-9, err_msg=mode)

    check()


def test_too_large_a_batch_falls_back(monkeypatch):
    monkeypatch.setattr(batching, "MAX_ELEMENTS", 15)
    x = RNG.standard_normal(4)         # 4 derivatives of 4 elements: 16 > 15
    assert higher.batched(first_times, "jvp_batched", ["x"], ["x"], [x]) is None
    np.testing.assert_allclose(ad.jacfwd(first_times)(x),
                               higher._jacfwd_loop(first_times, ["x"], ["x"], [x])[0])


def _tanh_times(x, W):
    return np.tanh(W @ x) * x


def _tanh_energy(x):
    return np.sum(np.tanh(x) ** 2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_jacobians_keep_the_float_type_of_the_inputs(dtype):
    x, W = np.linspace(0.1, 0.9, 3).astype(dtype), np.eye(3, dtype=dtype) * 0.5
    expected = ad.jacfwd(_tanh_times)(x.astype(float), W.astype(float))
    for jacobian in (ad.jacfwd(_tanh_times)(x, W), ad.jacrev(_tanh_times)(x, W)):
        assert jacobian.dtype == dtype
        np.testing.assert_allclose(jacobian, expected, rtol=1e-6)
    assert ad.hessian(_tanh_energy)(x).dtype == dtype


def test_shape_inference_is_linear_in_the_statements(monkeypatch):
    """infer_shapes found the names assigned once by scanning every statement for each name:
    quadratic, 75 of 124 s compiling one fuzzed program's Hessian (fuzz_findings.md, timeouts).
    Calls of `targets` for a chain of 2n statements must be about twice those for n."""
    from s2s_ad.analysis import shapes
    calls = [0]

    def counted(stmt):
        calls[0] += 1
        return real(stmt)
    real = shapes.targets
    monkeypatch.setattr(shapes, "targets", counted)

    def count(n):
        body = "".join(f"    s{k + 1} = np.sin(s{k}) * x\n" for k in range(n))
        source = f"import numpy as np\n\ndef f(x):\n    s0 = x\n{body}    return np.sum(s{n})\n"
        filename = f"<shape-chain-{n}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        scope = {}
        exec(compile(source, filename, "exec"), scope)
        calls[0] = 0
        ad.jacfwd(ad.grad(scope["f"]))(np.ones(3))
        return calls[0]
    assert count(80) < 2.5 * count(40)
