"""Every derivative rule against central finite differences, driven by tests/rule_cases.py.

VJP: the dot-product test  Re<VJP(u), v> == d/de Re<u, f(x + e v)>  for random u, v.
JVP: JVP(v) == (f(x + e v) - f(x - e v)) / 2e, output by output.
Pairings are bilinear (no conjugation), matching the JAX complex convention of the rules.
"""
import pathlib

import dataclasses
import os
import sys
import textwrap

import numpy as np
import pytest

import s2s_ad as ad
import s2s_ad.rules  # noqa: F401  (registers every rule)
from s2s_ad import runtime as _ad
from s2s_ad.rules import NONDIFFERENTIABLE, RULES
from s2s_ad.rules.registry import Refused
from s2s_ad.rules.coverage import coverage_table
from rule_cases import CASES, R

EPS = 1e-6
ROOT = pathlib.Path(__file__).resolve().parent.parent


# ---- values as trees of leaves ----

def _is_leaf(x):
    return not isinstance(x, (list, tuple)) and not _is_record(x)


def _is_record(x):
    """A dataclass instance (the runtime's attribute helpers' argument): mapped by field."""
    return dataclasses.is_dataclass(x) and not isinstance(x, type)


def _fields(x):
    return [getattr(x, f.name) for f in dataclasses.fields(x)]


def _inexact(x):
    if isinstance(x, bool):
        return False
    if isinstance(x, (float, complex)):
        return True
    return isinstance(x, (np.ndarray, np.generic)) and np.issubdtype(np.asarray(x).dtype,
                                                                      np.inexact)


def _differentiable(x):
    if _is_leaf(x):
        return _inexact(x)
    if _is_record(x):
        return all(_differentiable(v) for v in _fields(x))
    return len(x) > 0 and all(_differentiable(v) for v in x)


def _map(f, *xs):
    if _is_leaf(xs[0]):
        return f(*xs)
    if _is_record(xs[0]):
        return type(xs[0])(*(_map(f, *vs) for vs in zip(*map(_fields, xs))))
    if hasattr(xs[0], "_fields"):      # a namedtuple: of its type (the runtime's objects)
        return type(xs[0])(*(_map(f, *vs) for vs in zip(*xs)))
    return type(xs[0])(_map(f, *vs) for vs in zip(*xs))


def _random_like(x, rng, sym=False):
    def leaf(v):
        if not _inexact(v):
            return np.zeros(np.shape(v))
        r = rng.standard_normal(np.shape(v))
        if np.iscomplexobj(v):
            r = r + 1j * rng.standard_normal(np.shape(v))
        if sym:
            r = 0.5 * (r + np.swapaxes(r, -1, -2))
        return float(r) if isinstance(v, float) else r
    return _map(leaf, x)


def _vdot(a, b):
    if _is_leaf(a):
        if a is None or b is None:
            return 0.0
        return float(np.real(np.sum(np.asarray(a) * np.asarray(b))))
    if _is_record(a):
        return sum(_vdot(u, v) for u, v in zip(_fields(a), _fields(b)))
    return sum(_vdot(u, v) for u, v in zip(a, b))


def _axpy(x, v, e):
    return _map(lambda a, b: a + e * b, x, v)


def _with_arg(args, i, value):
    return args[:i] + (value,) + args[i + 1:]


def _wrt(c, rule):
    if c.wrt is not None:
        return c.wrt
    return tuple(i for i, a in enumerate(c.args)
                 if i < len(rule.vjps) and rule.vjps[i] is not None and _differentiable(a)
                 and not isinstance(rule.vjps[i], Refused))


def _reduce_to(g, x):
    """What the compiler does with a broadcasting rule's cotangent: sum to x's shape, real part
    for a real x."""
    g = _ad.unbroadcast(g, x)
    return np.real(g) if np.iscomplexobj(g) and not np.iscomplexobj(x) else g


def _eval(c, i, x, ref):
    out = c.fn(*_with_arg(c.args, i, x), **c.kwargs)
    return c.align(out, ref) if c.align is not None else out


def _shapes(x):
    return _map(np.shape, x)


def _cotangent_shapes(cot, x):
    """(cotangent's shapes, argument's shapes), where the argument holds a flag or integers
    among its floats (the factor tuples of cho_factor, lu_factor) only at the float leaves:
    the cotangent of the others may be None, a zero."""
    if _differentiable(x):
        return _shapes(cot), _shapes(x)
    assert len(cot) == len(x), "cotangent structure differs from the argument's"
    return ([np.shape(c) for c, a in zip(cot, x) if _inexact(a)],
            [np.shape(a) for a in x if _inexact(a)])


def _params():
    out = []
    for n, c in enumerate(CASES):
        rule = RULES.get(c.fn)
        assert rule is not None, f"case {c.name} has no rule"
        for i in _wrt(c, rule):
            out.append(pytest.param(c, i, id=f"{c.name}-{n}-arg{i}"))
    return out


PARAMS = _params()


# ---- the two parametrised checks ----

@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("c, i", PARAMS)
def test_vjp(c, i):
    rng = np.random.default_rng(i + 17)
    rule = RULES[c.fn]
    ans = c.fn(*c.args, **c.kwargs)
    u = _random_like(ans, rng)
    cot = rule.vjps[i](u, ans, *c.args, **c.kwargs)
    if rule.broadcasts:
        cot = _reduce_to(cot, c.args[i])
    x = c.args[i]
    cot_shapes, x_shapes = _cotangent_shapes(cot, x)
    assert cot_shapes == x_shapes, "cotangent shape differs from the argument's"
    v = _random_like(x, rng, sym=i in c.sym)
    lhs = _vdot(cot, v)
    rhs = (_vdot(u, _eval(c, i, _axpy(x, v, EPS), ans))
           - _vdot(u, _eval(c, i, _axpy(x, v, -EPS), ans))) / (2 * EPS)
    assert np.isclose(lhs, rhs, rtol=c.rtol, atol=c.atol), (lhs, rhs)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("c, i", PARAMS)
def test_jvp(c, i):
    rng = np.random.default_rng(i + 29)
    rule = RULES[c.fn]
    ans = c.fn(*c.args, **c.kwargs)
    x = c.args[i]
    v = _random_like(x, rng, sym=i in c.sym)
    tan = rule.jvps[i](v, ans, *c.args, **c.kwargs)
    if rule.broadcasts:
        tan = _map(_ad.broadcast_like, tan, ans)
    hi = _eval(c, i, _axpy(x, v, EPS), ans)
    lo = _eval(c, i, _axpy(x, v, -EPS), ans)

    def check(t, a, b, ref):
        if not _inexact(ref):
            return
        fd = (np.asarray(a) - np.asarray(b)) / (2 * EPS)
        assert np.shape(t) == np.shape(ref), "tangent shape differs from the result's"
        np.testing.assert_allclose(t, fd, rtol=c.rtol, atol=c.atol)
    _map(check, tan, hi, lo, ans) if not _is_leaf(ans) else check(tan, hi, lo, ans)


# ---- the table is complete ----

def test_every_rule_has_a_case_and_both_modes():
    cased = {}
    for c in CASES:
        cased.setdefault(c.fn, set()).update(_wrt(c, RULES[c.fn]))
    problems = []
    for fn, rule in RULES.items():
        name = getattr(fn, "__name__", repr(fn))
        if rule.origin == "user":
            continue          # registered by a test of the public ad.defvjp
        if all(r is None or isinstance(r, Refused) for r in rule.vjps + rule.jvps):
            continue          # refusals only (np.r_, np.c_): tested in test_errors.py
        if fn not in cased:
            problems.append(f"{name}: no case in tests/rule_cases.py")
            continue
        n = max(len(rule.vjps), len(rule.jvps))
        vjps = tuple(rule.vjps) + (None,) * (n - len(rule.vjps))
        jvps = tuple(rule.jvps) + (None,) * (n - len(rule.jvps))
        for i, (a, b) in enumerate(zip(vjps, jvps)):
            if (a is None) != (b is None):
                problems.append(f"{name}: argument {i} has a {'VJP' if b is None else 'JVP'}"
                                " rule only")
            elif a is not None and not isinstance(a, Refused) and i not in cased[fn]:
                problems.append(f"{name}: argument {i} is never checked")
        if not any(r is not None for r in vjps):
            problems.append(f"{name}: no differentiable argument")
    assert not problems, "\n".join(problems)


def test_nondifferentiable_are_callable():
    assert NONDIFFERENTIABLE
    bad = [fn for fn in NONDIFFERENTIABLE if not callable(fn)]
    assert not bad
    assert not set(NONDIFFERENTIABLE) & set(RULES)


# Runtime callables without rules that are never differentiated: each says why.
NOT_DIFFERENTIATED = {
    "pow_slope_db": "refused on purpose: a third derivative through an exponent",
    "batch_axes": "batched rules (jacfwd, jacrev), whose code is not differentiated again",
    "batch_axis": "batched rules", "batch_reshape": "batched rules",
    "broadcast_batch": "batched rules", "unbroadcast_batch": "batched rules",
    "sum_grad_batch": "batched rules",
    "einsum_subscripts": "called while the code is generated, not by it",
    "reduction_plan": "called by unbroadcast and while the code is generated",
    "register_pytree": "the user's declaration, not called by generated code",
}


def test_every_runtime_helper_has_rules_or_is_declared_nondifferentiable():
    """Generated code calls `_ad.*`; a derivative differentiated again (a Hessian) meets each
    call, which needs rules, or a declaration that it has a zero derivative."""
    import types
    undeclared = [name for name in dir(_ad) if not name.startswith("_")
                  and callable(getattr(_ad, name))
                  and not isinstance(getattr(_ad, name), (type, types.ModuleType))
                  and getattr(_ad, name) not in RULES
                  and getattr(_ad, name) not in NONDIFFERENTIABLE
                  and name not in NOT_DIFFERENTIATED]
    assert not undeclared


NUMPY_2 = np.lib.NumpyVersion(np.__version__) >= "2.0.0"


def _has_scipy():
    try:
        import scipy.special  # noqa: F401
        return True
    except ImportError:
        return False


@pytest.mark.skipif(not NUMPY_2 or sys.version_info < (3, 11) or not _has_scipy(),
                    reason="docs/rules.md is generated with NumPy 2, Python 3.11 and SciPy, "
                           "which have more callables (np.matrix_transpose, math.cbrt, "
                           "scipy.special)")
def test_rules_md_is_up_to_date():
    path = ROOT / "docs" / "rules.md"
    assert path.read_text() == coverage_table(), \
        "docs/rules.md is stale: run `python -m s2s_ad.rules.coverage > docs/rules.md`"


# ---- float32 stays float32 ----

# Rules whose derivative is computed in float64 on purpose or by NumPy itself.
# (lstsq: the tangent of its integer rank is the Python 0.0, weak in NumPy 2's promotion)
FLOAT64_OK = {np.select, np.histogram, _ad.interp_fp_grad, np.linalg.lstsq}
try:        # SciPy's that compute in float64 (an integer order; a complex result)
    import scipy.special as _special
    FLOAT64_OK |= {_special.expn, _special.wofz, _special.factorial}
except ImportError:     # pragma: no cover
    pass


def _f32(x):
    if isinstance(x, (np.ndarray, np.float64)) and x.dtype == np.float64:
        return x.astype(np.float32)
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return type(x)(*map(_f32, x))
    if isinstance(x, (list, tuple)) and not isinstance(x, str):
        return type(x)(_f32(v) for v in x)
    if _is_record(x):
        return type(x)(*map(_f32, _fields(x)))
    return x


def _all_arrays(c):
    """No argument is a Python float (which stays a float); a NumPy float64 becomes float32."""
    return all(not isinstance(a, float) or isinstance(a, np.float64) for a in c.args)


def _in_float64(fn):
    """Computed in float64 whatever the input: FLOAT64_OK, and SciPy's distributions."""
    return fn in FLOAT64_OK or \
        type(getattr(fn, "__self__", None)).__module__.startswith("scipy.stats")


F32_PARAMS = [p for p in PARAMS if _all_arrays(p.values[0]) and not _in_float64(p.values[0].fn)]


def _dtypes(x):
    found = set()
    _map(lambda v: found.add(np.asarray(v).dtype) if v is not None else None, x) \
        if not _is_leaf(x) else found.add(np.asarray(x).dtype)
    return found


@pytest.mark.skipif(not NUMPY_2, reason="NumPy 1 promotes float32 by value (NEP 50 is NumPy 2)")
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("c, i", F32_PARAMS)
def test_float32_in_float32_out(c, i):
    args = _f32(c.args)
    ans = c.fn(*args, **c.kwargs)
    if np.dtype(np.float32) not in _dtypes(ans):
        pytest.skip("NumPy itself leaves float32 here")
    rule = RULES[c.fn]
    rng = np.random.default_rng(3)
    u = _f32(_map(np.asarray, _random_like(ans, rng)))
    v = _f32(_map(np.asarray, _random_like(args[i], rng)))
    cot = rule.vjps[i](u, ans, *args, **c.kwargs)
    tan = rule.jvps[i](v, ans, *args, **c.kwargs)
    assert np.dtype(np.float64) not in _dtypes(cot) | _dtypes(tan)


# ---- complex intermediates inside real functions ----

def test_real_output_through_fft_and_abs():
    """L(x) = sum(|fft(x)|) for real x: chain the VJP rules and compare with differences."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal(8)
    z = np.fft.fft(x)
    r = np.abs(z)
    loss = np.sum(r)
    g_r = RULES[np.sum].vjps[0](1.0, loss, r)
    g_z = RULES[np.abs].vjps[0](g_r, r, z)
    g_x = RULES[np.fft.fft].vjps[0](g_z, z, x)
    assert not np.iscomplexobj(g_x)
    f = lambda y: np.sum(np.abs(np.fft.fft(y)))  # noqa: E731
    fd = np.array([(f(x + EPS * e) - f(x - EPS * e)) / (2 * EPS) for e in np.eye(8)])
    np.testing.assert_allclose(g_x, fd, rtol=1e-5, atol=1e-6)
    # forward mode along the same chain
    v = rng.standard_normal(8)
    t_z = RULES[np.fft.fft].jvps[0](v, z, x)
    t_r = RULES[np.abs].jvps[0](t_z, r, z)
    t_l = RULES[np.sum].jvps[0](t_r, loss, r)
    assert np.isclose(t_l, fd @ v)


def test_eig_of_real_eigenvalues_has_real_derivatives():
    """np.linalg.eig of a real matrix with real eigenvalues gives real arrays; so do their
    tangents and the cotangent (a complex tangent would be cut to real where it is stored)."""
    a = np.diag([1.0, 2.0, 3.0]) + 0.3 * np.random.default_rng(8).standard_normal((3, 3))
    ans = np.linalg.eig(a)
    assert not np.iscomplexobj(ans.eigenvectors)
    rule = RULES[np.linalg.eig]
    tangent = rule.jvps[0](np.ones((3, 3)), ans, a)
    assert not any(np.iscomplexobj(t) for t in tangent)
    assert not np.iscomplexobj(rule.vjps[0]((np.ones(3), np.ones((3, 3))), ans, a))


def test_real_output_through_complex_arithmetic():
    """L(w) = sum(|w * exp(1j * w)|**2 + angle(w + 1j)) with mixed real/complex operators."""
    rng = np.random.default_rng(6)
    w = rng.standard_normal(5)
    e = np.exp(1j * w)
    p = w * e
    q = np.abs(p)
    s = np.angle(w + 1j)
    loss = np.sum(q * q) + np.sum(s)
    add, mul = RULES[np.add], RULES[np.multiply]
    g_q = 2 * q
    g_p = RULES[np.abs].vjps[0](g_q, q, p)
    g_w = _reduce_to(mul.vjps[0](g_p, p, w, e), w)
    g_e = mul.vjps[1](g_p, p, w, e)
    g_iw = RULES[np.exp].vjps[0](g_e, e, 1j * w)
    g_w = g_w + _reduce_to(mul.vjps[1](g_iw, 1j * w, 1j, w), w)
    g_wi = RULES[np.angle].vjps[0](np.ones(5), s, w + 1j)
    g_w = g_w + _reduce_to(add.vjps[0](g_wi, w + 1j, w, 1j), w)
    f = lambda y: np.sum(np.abs(y * np.exp(1j * y)) ** 2) + np.sum(np.angle(y + 1j))  # noqa
    fd = np.array([(f(w + EPS * d) - f(w - EPS * d)) / (2 * EPS) for d in np.eye(5)])
    assert np.isclose(loss, f(w))
    np.testing.assert_allclose(g_w, fd, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("keepdims", [True, False])
@pytest.mark.parametrize("x", [
    np.array([[1.0, 3.0, 2.0], [5.0, 4.0, 0.0]]),          # one maximum per row
    np.array([[3.0, 3.0, 2.0], [5.0, 4.0, 5.0]]),          # ties: the cotangent is shared
    np.array([[3.0, np.nan, 2.0], [5.0, 4.0, 0.0]]),       # nan: the maximum is nan
])
def test_max_cotangent_splits_ties_equally(x, keepdims):
    def f(x):
        return np.sum(np.max(x, axis=1, keepdims=keepdims) * np.array([1.0, 2.0]).reshape(
            (2, 1) if keepdims else (2,)))
    with np.errstate(invalid="ignore", divide="ignore"):   # a row of nan: no hit, 0 / 0
        g = ad.grad(f)(x)
        hits = x == np.max(x, axis=1, keepdims=True)
        expected = hits / hits.sum(axis=1, keepdims=True) * np.array([[1.0], [2.0]])
    np.testing.assert_array_equal(g, expected)


@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1)])
def test_the_gradient_of_a_product_with_zeros_is_exact(axis):
    # the derivative of a product is the product of the other factors: no division by zero
    a = np.array([[2.0, 0.0, 3.0], [0.0, 0.0, 5.0], [1.5, -2.0, 4.0]])
    shape = np.shape(np.prod(a, axis=axis))
    weights = np.arange(1.0, 1.0 + np.prod(shape)).reshape(shape)

    def f(a):
        return np.sum(np.prod(a, axis=axis) * weights)
    expected = np.zeros_like(a)
    for index in np.ndindex(a.shape):   # f is linear in each entry: one exact difference
        e = np.zeros_like(a)
        e[index] = 1.0
        expected[index] = f(a + e) - f(a)
    np.testing.assert_allclose(ad.grad(f)(a), expected, rtol=1e-12)
    tangent = np.arange(9.0).reshape(3, 3)
    np.testing.assert_allclose(ad.jvp(f, (a,), (tangent,))[1], np.sum(expected * tangent))


@pytest.mark.skipif(not _has_scipy(), reason="needs SciPy")
def test_scipy_rules_load_only_once_scipy_is_imported_and_yield_to_user_rules(tmp_path):
    import subprocess
    code = textwrap.dedent("""
        import sys
        import numpy as np
        import s2s_ad as ad
        assert "scipy" not in sys.modules, "import s2s_ad imported SciPy"
        import scipy.special as sp
        ad.defvjp(sp.erf, lambda g, ans, x: 7.0 * g)     # a user's rules win over ours,
        ad.defjvp(sp.erf, lambda t, ans, x: 7.0 * t)     # which load later
        g = ad.grad(lambda x: sp.expit(x))(0.3)
        assert abs(g - sp.expit(0.3) * (1 - sp.expit(0.3))) < 1e-12, g
        assert ad.grad(lambda x: sp.erf(x))(0.3) == 7.0
        import scipy.linalg as sla      # its rules load too; scipy.integrate's only with it
        assert abs(ad.grad(lambda x: sla.expm(x * np.eye(2))[0, 0])(0.3) - np.exp(0.3)) < 1e-9
        assert "scipy.integrate" not in sys.modules
        print("ok")
    """)
    script = tmp_path / "uses_scipy.py"     # a file: the lambdas need their source
    script.write_text(code)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert out.stdout.strip() == "ok", out.stderr


@pytest.mark.skipif(not _has_scipy(), reason="needs SciPy")
def test_scipy_stats_rules_load_only_once_scipy_stats_is_imported(tmp_path):
    import subprocess
    code = textwrap.dedent("""
        import sys
        import numpy as np
        import scipy.special as sp
        import s2s_ad as ad
        assert ad.grad(lambda x: sp.expit(x))(0.0) == 0.25        # scipy.special's rules
        assert "s2s_ad.rules.scipy_stats_rules" not in sys.modules
        from scipy.stats import norm
        g = ad.grad(lambda x: norm.logpdf(x, 1.0, 2.0))(0.0)     # -(x - loc) / scale**2
        assert g == 0.25, g
        print("ok")
    """)
    script = tmp_path / "uses_scipy_stats.py"     # a file: the lambdas need their source
    script.write_text(code)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert out.stdout.strip() == "ok", out.stderr


def std_of_rows(x):
    return np.sum(np.std(x, axis=1)) + np.nanstd(x[0])


def test_std_at_zero_spread_has_derivative_zero():
    """README "Conventions": like abs at 0 (autograd's choice), not nan; rows that do spread
    keep their derivative."""
    x = np.array([[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]])
    grad = ad.grad(std_of_rows)(x)
    assert np.all(np.isfinite(grad)) and np.all(grad[0] == 0.0)
    fd = [(std_of_rows(x + 1e-6 * e) - std_of_rows(x - 1e-6 * e)) / 2e-6
          for e in np.eye(6)[3:].reshape(3, 2, 3)]
    np.testing.assert_allclose(grad[1], fd, rtol=1e-6)
    _, tangent = ad.jvp(std_of_rows, (x,), (np.vstack([np.ones(3), np.zeros(3)]),))
    assert tangent == 0.0
    assert np.all(np.isfinite(ad.grad(std_of_rows)(np.ones((2, 3)))))



def vstack_one(m):
    return np.sum(np.vstack(m) ** 2)


def hstack_one(m):
    return np.sum(np.hstack(m) ** 2)


def column_stack_one(m):
    return np.sum(np.column_stack(m) ** 2)


def dstack_one(m):
    return np.sum(np.dstack(m) ** 2)


def stack_one(m):
    return np.sum(np.stack(m) ** 2)


def concatenate_one(m):
    return np.sum(np.concatenate(m) ** 2)


@pytest.mark.parametrize("f", [vstack_one, hstack_one, column_stack_one, dstack_one, stack_one,
                               concatenate_one])
def test_stacking_one_array_gives_an_array_cotangent(f):
    """np.vstack(A) of a 2-D A stacks its rows; the cotangent of A is an array shaped like A,
    not the list of the rows' cotangents."""
    a = np.array([[1.0, 2.0, 3.0], [3.0, 4.0, 5.0]])
    for g in (ad.grad(f)(a), ad.vjp(f, a)[1](1.0)[0]):
        assert type(g) is np.ndarray and g.shape == a.shape
        np.testing.assert_allclose(g, 2 * a)


@pytest.mark.parametrize("operands, lists, output", [
    ((R(3, 4), R(4, 2)), [[0, 1], [1, 2]], [0, 2]),
    ((R(3, 4), R(4, 2)), [[30, 0], [0, 2]], None),      # implicit: 2 (C) before 30 (e)
    ((R(3, 3),), [[0, 0]], None),
    ((R(2, 3, 4), R(2, 4, 5)), [[..., 30, 1], [..., 1, 0]], [..., 0, 30]),
    ((R(2, 3, 4), R(4)), [[..., 1], [1]], None),
])
def test_einsum_subscripts_are_the_interleaved_forms(operands, lists, output):
    """np.einsum(A, [0, 1], B, [1, 2], [0, 2]) computes what the subscripts the compiler
    turns it into compute, implicit outputs (their order) and ellipses included."""
    interleaved = [x for pair in zip(operands, lists) for x in pair] + \
        ([output] if output is not None else [])
    subscripts = _ad.einsum_subscripts(lists, output)
    np.testing.assert_array_equal(np.einsum(subscripts, *operands), np.einsum(*interleaved))


@pytest.mark.skipif(not hasattr(__import__("math"), "cbrt"), reason="math.cbrt is Python 3.11")
def test_math_cbrt_at_zero_has_an_infinite_derivative_not_a_division_error():
    """Its rule divided a Python float by 3 * 0.0 * 0.0 (ZeroDivisionError); now as NumPy's
    cbrt and math.sqrt at 0: inf."""
    import math

    def cube_root(x):
        return math.cbrt(x)
    assert ad.grad(cube_root)(0.0) == math.inf
    assert ad.jvp(cube_root, (0.0,), (1.0,))[1] == math.inf


try:
    from scipy.linalg import sqrtm
except ImportError:  # pragma: no cover
    sqrtm = None


def real_part_of_a_complex_root(a):
    return np.real(np.sum(sqrtm(a) * np.array([[1.0, 2.0], [3.0, 4.0]])))


@pytest.mark.skipif(not _has_scipy(), reason="needs SciPy")
def test_a_real_matrix_with_a_complex_square_root_gets_a_real_gradient():
    """sqrtm of a matrix with a negative eigenvalue is complex: the real argument receives the
    real part of its cotangent, as rules/__init__.py says (a complex gradient came back)."""
    a = np.array([[-1.0, 0.3], [0.2, 2.0]])
    grad = ad.grad(real_part_of_a_complex_root)(a)
    assert not np.iscomplexobj(grad)
    fd = np.array([(real_part_of_a_complex_root(a + EPS * e) - real_part_of_a_complex_root(
        a - EPS * e)) / (2 * EPS) for e in np.eye(4).reshape(4, 2, 2)]).reshape(2, 2)
    np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", ["ive", "loggamma"])
def test_scaled_bessel_and_loggamma_refuse_complex_input(name):
    """exp(-|Re z|) is not holomorphic, and digamma's own derivative has no complex form in
    SciPy: a complex argument is refused, never given a wrong derivative."""
    special = pytest.importorskip("scipy.special")
    z = np.array([1.2 + 0.5j, 0.7 - 0.3j])
    with pytest.raises(NotImplementedError, match=f"scipy.special.{name} of a complex"):
        if name == "ive":
            ad.vjp(lambda z: special.ive(1.5, z), z)[1](np.ones(2, dtype=complex))
        else:
            ad.vjp(lambda z: special.loggamma(z), z)[1](np.ones(2, dtype=complex))


try:
    import scipy.linalg as sla
except ImportError:     # pragma: no cover
    sla = None


def _triangular_solve_both(a, b):
    return np.sum(np.sin(sla.solve_triangular(a, b, lower=True)))


def _lu_solve_both(a, b):
    return np.sum(np.sin(sla.lu_solve(sla.lu_factor(a), b)))


@pytest.mark.parametrize("fn, name", [(_triangular_solve_both, "solve_triangular("),
                                      (_lu_solve_both, "lu_solve(")])
def test_the_adjoint_solve_shared_by_both_cotangents_is_computed_once(fn, name):
    """The cotangents of the matrix and of b both solve with the cotangent of the result: the
    gradient with respect to both solves once going forward and once going back."""
    if sla is None:     # pragma: no cover
        pytest.skip("SciPy is not installed")
    a = np.tril(np.random.default_rng(3).standard_normal((3, 3))) + 3.0 * np.eye(3)
    b = np.arange(1.0, 4.0)
    code = [line for line in ad.source(fn, "grad", wrt=(0, 1)).splitlines()
            if not line.strip().startswith("#")]
    assert sum(line.count(name) for line in code) == 2
    ad.check_grads(fn, (a, b), modes=("rev",), order=2)
