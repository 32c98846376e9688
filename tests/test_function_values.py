"""Functions as values (frontend/function_values.py): what the transform matrix cannot show -
the refusals, and Python's own TypeError where a function kept as data is called with
arguments it does not take.  The supported forms are corpus programs (tests/programs.py,
"issue 19: functions as values")."""
import functools

import numpy as np
import pytest

import s2s_ad as ad
import refusals as r


def test_a_lambda_or_local_function_passed_to_a_function_of_yours_is_inlined():
    assert ad.grad(r.passes_lambda)(1.5) == pytest.approx(3.0)
    assert ad.grad(r.passes_local_function)(1.5) == pytest.approx(6.0)
    assert ad.hessian(r.passes_local_function)(1.5) == pytest.approx(0.0)


def _makes_closures_in_a_loop(ks):
    fs = []
    for k in ks:
        fs.append(lambda v: v * k)       # noqa: B023 (Python's late binding: the last k)
    return fs


def closures_over_a_reassigned_variable(x):
    fs = _makes_closures_in_a_loop([1.0, 2.0])
    return fs[0](x)


def test_a_closure_over_a_variable_its_maker_reassigns_is_refused():
    """Kept as data when made, the closure would keep k's value then, where Python's reads
    the last one."""
    with pytest.raises(ad.UnsupportedSyntaxError) as info:
        ad.grad(closures_over_a_reassigned_variable)(1.5)
    message = str(info.value)
    assert "assigns again" in message and "k=k" in message
    assert "fs.append(lambda v: v * k)" in message


def _pick(x, i):
    fs = [lambda v: v * v, lambda a, b: a * b]
    return fs[i](x)


def test_a_function_kept_as_data_that_cannot_take_the_arguments_raises_python_s_error():
    assert ad.grad(_pick)(1.5, 0) == pytest.approx(3.0)
    with pytest.raises(TypeError, match="not one that takes these arguments"):
        ad.grad(_pick)(1.5, 1)
    with pytest.raises(TypeError):
        _pick(1.5, 1)


def _scale(x, a):
    return a * x


def partial_to_a_library_function(x):
    g = functools.partial(_scale, a=2.0)
    return np.sum(np.apply_along_axis(g, 0, x))


def test_a_partial_passed_to_a_library_function_is_refused_at_its_use():
    with pytest.raises(ad.UnsupportedSyntaxError) as info:
        ad.grad(partial_to_a_library_function)(np.ones(3))
    message = str(info.value)
    assert "a functools.partial, is passed to a function that is not inlined" in message
    assert "np.apply_along_axis(g, 0, x)" in message


def _local_factory_kept(x):
    def make(a):
        return lambda v: a * v
    fs = {"one": make(1.0), "x": make(x)}
    a = 10.0          # not the closures' a: each keeps that of its own call of make
    return fs["one"](x) + fs["x"](x) * a


def test_closures_made_by_a_local_function_keep_their_call_s_values():
    x = 1.5
    assert _local_factory_kept(x) == pytest.approx(x + 10.0 * x * x)
    assert ad.grad(_local_factory_kept)(x) == pytest.approx(1.0 + 20.0 * x)
    assert ad.jvp(_local_factory_kept, (x,), (1.0,))[1] == pytest.approx(1.0 + 20.0 * x)


def _returns_its_functions(x):
    fs = [lambda v: v * x, np.sin]
    return fs[0](x), fs


def _passes_them_to_numpy(x):
    fs = [lambda v: v * v]
    return np.sum(np.asarray(fs, dtype=object).shape) * x


@pytest.mark.parametrize("fn, marker", [(_returns_its_functions, "return fs[0](x), fs"),
                                        (_passes_them_to_numpy, "np.asarray(fs")])
def test_functions_kept_as_data_leaving_the_code_followed_are_refused(fn, marker):
    import inspect
    with pytest.raises(ad.UnsupportedSyntaxError) as info:
        ad.vjp(fn, 1.5)
    message = str(info.value)
    line = next(first + k for first in [inspect.getsourcelines(fn)[1]]
                for k, text in enumerate(inspect.getsourcelines(fn)[0]) if marker in text)
    assert f":{line}:" in message and "leave the code s2s_ad follows" in message


def _apply_n(f, x, n):
    if n == 0:
        return x
    return _apply_n(f, f(x), n - 1)


def _recursion_given_a_lambda(x):
    return _apply_n(lambda v: v * 2.0, x, 3)


def test_a_recursive_function_given_a_lambda_is_refused():
    with pytest.raises(ad.UnsupportedSyntaxError) as info:
        ad.grad(_recursion_given_a_lambda)(1.5)
    message = str(info.value)
    assert "calls itself" in message and "test_function_values.py" in message
