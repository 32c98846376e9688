"""Reverse and forward mode on the whole corpus, against central finite differences."""
import numpy as np
import pytest

import s2s_ad as ad
from s2s_ad.check import copied, numerical_jvp

from programs import CASES
from matrix import _same
from test_matrix import REFUSED_EVERYWHERE

# Programs every transform refuses (test_matrix checks the refusal) have no derivative here.
DIFFERENTIATED = [case for case in CASES if case.name not in REFUSED_EVERYWHERE]


def random_like(x, rng):
    return rng.standard_normal(np.shape(x)) if np.ndim(x) else float(rng.standard_normal())


def flat(x):
    return np.atleast_1d(np.asarray(x, dtype=float)).ravel()


@pytest.mark.parametrize("case", DIFFERENTIATED, ids=lambda c: c.name)
def test_gradient_matches_finite_differences(case):
    rng = np.random.default_rng(0)
    args = case.make_args(rng)
    grads = ad.grad(case.fn, wrt=case.wrt)(*args)
    assert len(grads) == len(case.wrt)
    for i, g in zip(case.wrt, grads):
        assert np.shape(g) == np.shape(args[i])
        for k in range(flat(args[i]).size):
            e = np.zeros(flat(args[i]).size)
            e[k] = 1.0
            e = e.reshape(np.shape(args[i])) if np.ndim(args[i]) else 1.0
            fd = numerical_jvp(case.fn, args, [i], [e])
            assert flat(g)[k] == pytest.approx(fd, rel=case.tol, abs=case.tol), (i, k)


@pytest.mark.parametrize("case", DIFFERENTIATED, ids=lambda c: c.name)
def test_forward_matches_finite_differences(case):
    rng = np.random.default_rng(1)
    args = case.make_args(rng)
    tangents = [random_like(args[i], rng) if i in case.wrt else None for i in range(len(args))]
    out, out_dot = ad.jvp(case.fn, args, tangents)
    assert np.array_equal(out, case.fn(*copied(args)))
    fd = numerical_jvp(case.fn, args, case.wrt, [tangents[i] for i in case.wrt])
    np.testing.assert_allclose(out_dot, fd, rtol=case.tol, atol=case.tol)


@pytest.mark.parametrize("case", DIFFERENTIATED, ids=lambda c: c.name)
def test_forward_and_reverse_agree(case):
    """The dot-product test: <u, J v> from forward mode equals <J^T u, v> from reverse mode."""
    rng = np.random.default_rng(2)
    args = case.make_args(rng)
    v = [random_like(args[i], rng) for i in case.wrt]
    tangents = [None] * len(args)
    for i, t in zip(case.wrt, v):
        tangents[i] = t
    out, jv = ad.jvp(case.fn, args, tangents)
    u = random_like(out, rng)
    _, pullback = ad.vjp(case.fn, *args, wrt=case.wrt)
    jtu = pullback(u)
    lhs = float(np.sum(u * np.asarray(jv)))
    rhs = sum(float(np.sum(a * b)) for a, b in zip(jtu, v))
    assert lhs == pytest.approx(rhs, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("case", DIFFERENTIATED, ids=lambda c: c.name)
def test_derivatives_leave_the_arguments_alone(case):
    args = case.make_args(np.random.default_rng(4))
    before = copied(args)
    ad.grad(case.fn, wrt=case.wrt)(*args)
    ad.jvp(case.fn, args, [a if i in case.wrt else None for i, a in enumerate(args)])
    for a, b in zip(args, before):
        assert _same(a, b)     # an object's attributes too (its copy is another object)


@pytest.mark.parametrize("case", DIFFERENTIATED, ids=lambda c: c.name)
def test_generic_code_agrees_with_specialised_code(case):
    """ad.source's generic text (no argument kinds) computes the same gradient."""
    from s2s_ad import arguments
    from s2s_ad.api import compiled
    from s2s_ad.derivative import differentiated, with_receiver_class
    from s2s_ad.frontend import variadic
    from s2s_ad.frontend.source import unwrap
    from s2s_ad.transforms.pipeline import build
    rng = np.random.default_rng(3)
    args = case.make_args(rng)
    names, _ = arguments.wrt_names(case.fn, case.wrt)
    receiver = [] if arguments.bound_self(case.fn) is None else [arguments.bound_self(case.fn)]
    # generic over numbers and arrays, but specialised on the class of an object argument
    # (or a method's self), whose method calls it resolves, as the generic variant is
    params = arguments.parameters(case.fn)
    classes = {p: k for p, k in arguments.arg_kinds(params, args).items() if isinstance(k, type)}
    kinds = {**dict.fromkeys(params, "num"), **classes} if classes else None
    kinds = with_receiver_class(arguments.bound_self(case.fn), differentiated(case.fn), kinds)
    # a `*xs` function's code has a parameter per argument (frontend/variadic.py)
    _, flat, shape = arguments.call_arguments(case.fn, arguments.parameters(case.fn), args, {})
    target = case.fn if shape is None else variadic.specialised(unwrap(case.fn), *shape)
    generic = build(target, "grad", names, arg_kinds=kinds)
    unoptimized = build(target, "grad", names, arg_kinds=kinds, optimize=False)
    expected = ad.grad(case.fn, wrt=case.wrt)(*[float(a) if isinstance(a, int) and i in case.wrt
                                                 else a for i, a in enumerate(args)])
    for gen in (generic, unoptimized):
        got = gen.function(*receiver, *copied(flat))    # a method's generated code takes self
        got = got if isinstance(got, tuple) else (got,)
        for a, b in zip(got, expected):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    assert compiled  # imported for its side effect of registering the cache
