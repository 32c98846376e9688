"""The derivative is of the code that runs (issue 18): defaults are the function object's
values, not text evaluated again."""
import os
import re
import sys

import numpy as np
import pytest

import s2s_ad as ad

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "code_that_runs"))
import defaults_module as dm  # noqa: E402


def test_a_callee_default_is_the_value_at_def_time():
    # helper's k is 2.0 although the global K it was read from is now 5.0
    assert dm.uses_global_default(1.5) == pytest.approx(2.0 * 1.5 * 1.5)
    assert ad.grad(dm.uses_global_default)(1.5) == pytest.approx(2 * 2.0 * 1.5)
    assert ad.jvp(dm.uses_global_default, (1.5,), (1.0,))[1] == pytest.approx(6.0)
    assert ad.hessian(dm.uses_global_default)(1.5) == pytest.approx(4.0)
    source = ad.source(dm.uses_global_default, "grad")
    assert "k=2.0" in source and "K" not in source


def test_a_default_with_a_side_effect_is_not_run_again():
    before = len(dm.CALLS)
    assert ad.grad(dm.uses_noted_default)(2.0) == pytest.approx(4.0)
    assert ad.hessian(dm.uses_noted_default)(2.0) == pytest.approx(0.0)
    assert len(dm.CALLS) == before


def test_an_array_default_is_the_object_itself():
    x = np.array([0.5, -1.0])
    np.testing.assert_allclose(ad.grad(dm.uses_array_default)(x), 2.0 * dm.WEIGHTS)
    dm.WEIGHTS[0] = 4.0          # in place: the default is that array, so f sees it
    try:
        np.testing.assert_allclose(dm.uses_array_default(x), 2.0 * np.sum(x * dm.WEIGHTS))
        np.testing.assert_allclose(ad.grad(dm.uses_array_default)(x), [8.0, 4.0])
    finally:
        dm.WEIGHTS[0] = 1.0


def test_a_top_level_default():
    g = ad.grad(dm.scaled_top_level)
    assert g(1.5) == pytest.approx(2 * 1.5 * 5.0)
    assert ad.value_and_grad(dm.scaled_top_level)(1.5)[1] == pytest.approx(15.0)


def _module_from_text(tmp_path, name, text):
    import importlib.util
    path = tmp_path / f"{name}.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_an_expression_as_deep_as_python_compiles(tmp_path):
    # one line, 1000 terms: a BinOp 1000 deep (it raised RecursionError in our passes)
    terms = " + ".join(f"{i}.0 * x * x" for i in range(1000))
    module = _module_from_text(tmp_path, "deep_sum", f"def deep(x):\n    return {terms}\n")
    assert ad.grad(module.deep)(1.0) == pytest.approx(2.0 * sum(range(1000)))
    assert ad.hvp(module.deep)(1.0, 1.0) == pytest.approx(2.0 * sum(range(1000)))
    assert "def deep_grad" in ad.source(module.deep, "grad")


def test_text_from_user_objects_never_runs_as_code():
    import hygiene_module as hm
    assert ad.grad(hm.commented)(3.0) == pytest.approx(6.0)
    # the user's call stays a call, its argument a string, as in the primal
    assert "    __comment__(" in ad.source(hm.commented, "grad")
    ad.defvjp(hm.triple, lambda g, ans, x: hm._doubled(g) * 1.5)
    ad.defjvp(hm.triple, lambda t, ans, x: hm._doubled(t) * 1.5)
    try:
        assert ad.grad(hm.uses_triple)(2.0) == pytest.approx(12.0)
        assert ad.jvp(hm.uses_triple, (2.0,), (1.0,))[1] == pytest.approx(12.0)
    finally:
        from s2s_ad.rules import registry
        registry.RULES.pop(hm.triple, None)
    assert hm.RAN == []


def test_clear_cache_releases_the_generated_lines(tmp_path):
    import gc
    import linecache
    from s2s_ad.base.naming import is_generated

    def generated_files():
        return {name for name in linecache.cache if is_generated(name)}
    text = "".join(f"def f{k}(x):\n    return x * x * {k + 1}.0\n\n\n" for k in range(30))
    module = _module_from_text(tmp_path, "thirty", text)
    ad.clear_cache()
    gc.collect()
    before = generated_files()
    grads = [ad.grad(getattr(module, f"f{k}")) for k in range(30)]
    assert [g(1.0) for g in grads] == [2.0 * (k + 1) for k in range(30)]
    assert len(generated_files() - before) >= 30
    ad.clear_cache()
    gc.collect()
    assert generated_files() <= before


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_derivatives_follow_numpy_where_python_floats_would_raise():
    import numerics_module as nm
    assert ad.grad(nm.np_root)(0.0) == np.inf
    assert ad.grad(nm.math_root)(0.0) == np.inf         # ZeroDivisionError before
    assert ad.grad(nm.half_power)(0.0) == np.inf
    assert ad.jvp(nm.half_power, (0.0,), (1.0,))[1] == np.inf
    assert ad.grad(nm.arcsine)(1.0) == np.inf
    c = np.array([1.0, 2.0, 3.0])
    assert ad.grad(nm.polynomial)(0.0, c) == pytest.approx(2.0)
    assert ad.grad(nm.polynomial)(0.5, c) == pytest.approx(2.0 + 6.0 * 0.5)
    assert ad.hessian(nm.polynomial)(0.0, c) == pytest.approx(6.0)
    assert ad.grad(nm.polynomial, wrt=1)(0.0, c) == pytest.approx([1.0, 0.0, 0.0])
    # a constant power >= 1 is written out, as before
    assert "3 * x ** 2" in ad.source(lambda x: x ** 3, "grad", example=(1.0,)) or \
        "3 * x ** 2" in ad.source(lambda x: x ** 3, "grad")


def test_generated_code_never_captures_the_users_names():
    import hygiene_module as hm
    # the user's _tape: the generated code's own tape is renamed around it
    assert ad.grad(hm.generated_names)(2.0, 3.0, 0.5) == pytest.approx(3.0 * 3.0 * 0.5)
    assert ad.grad(hm.generated_names, wrt=1)(2.0, 3.0, 0.5) == pytest.approx(3.0 * 2.0 * 0.5)
    assert ad.hvp(hm.generated_names)(2.0, 3.0, 0.5, 1.0) == pytest.approx(0.0)
    # the user's _ad: refused at its line (the generated code's helpers are `_ad`; a user's
    # `_ad_x` works: tests/test_cache.py)
    with pytest.raises(ad.DifferentiationError, match="reserved"):
        ad.grad(hm.reserved_name)(2.0, 3.0)
    # a parameter named like a builtin the derivative calls: refused, at the parameter
    with pytest.raises(ad.DifferentiationError) as info:
        ad.grad(hm.loop_with_builtin_names)(2.0, 0, 0, 0, 0)
    assert "hygiene_module.py" in str(info.value) and "'len'" in str(info.value) or \
        "'reversed'" in str(info.value) or "'range'" in str(info.value)


# -- a functools.wraps wrapper is code that runs ----------------------------------------------

import wrapped_module as wm  # noqa: E402


def test_a_wrapper_that_doubles_the_output_is_differentiated():
    assert wm.sq(3.0) == 18.0
    assert ad.grad(wm.sq)(3.0) == pytest.approx(12.0)
    assert ad.value_and_grad(wm.sq)(3.0) == (pytest.approx(18.0), pytest.approx(12.0))
    assert ad.jvp(wm.sq, (3.0,), (1.0,))[1] == pytest.approx(12.0)
    assert ad.vjp(wm.sq, 3.0)[1](1.0)[0] == pytest.approx(12.0)
    assert ad.hessian(wm.sq)(3.0) == pytest.approx(4.0)


def test_a_wrapper_that_rescales_the_argument_is_differentiated():
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(ad.grad(wm.cube_sum)(x), 3 * 27.0 * x ** 2)
    np.testing.assert_allclose(ad.jacfwd(wm.cube_sum)(x), 3 * 27.0 * x ** 2)
    np.testing.assert_allclose(ad.hvp(wm.cube_sum)(x, np.ones(2)), 6 * 27.0 * x)


def test_a_wrapped_callee_is_differentiated_through_its_wrapper():
    assert ad.grad(wm.calls_sq)(3.0) == pytest.approx(13.0)
    assert ad.jvp(wm.calls_sq, (3.0,), (1.0,))[1] == pytest.approx(13.0)


def test_a_wrapper_taking_args_and_kwargs_is_differentiated_not_skipped():
    # its `*args` holds the call's one argument: `fn(*args, **kwargs)` calls fn(args_0)
    assert ad.grad(wm.passed)(3.0) == pytest.approx(6.0)
    assert ad.hessian(wm.passed)(3.0) == pytest.approx(2.0)
    assert ad.jvp(wm.passed, (3.0,), (1.0,)) == (pytest.approx(9.0), pytest.approx(6.0))
    assert "def wrapper_grad(args_0):" in ad.source(wm.passed, "grad", example=(3.0,))


# -- bound methods, defaulted parameters, *args ------------------------------------------------

import calls_module as cm  # noqa: E402


def test_every_transform_of_a_bound_method():
    model = cm.Model()
    assert ad.grad(model.loss)(2.0) == pytest.approx(12.0)
    out, pullback = ad.vjp(model.loss, 2.0)
    assert out == pytest.approx(12.0) and pullback(1.0) == (pytest.approx(12.0),)
    assert ad.jvp(model.loss, (2.0,), (1.0,)) == (pytest.approx(12.0), pytest.approx(12.0))
    assert ad.hvp(model.loss)(2.0, 1.0) == pytest.approx(6.0)
    assert ad.hessian(model.loss)(2.0) == pytest.approx(6.0)
    assert ad.jacfwd(model.loss)(2.0) == pytest.approx(12.0)
    assert ad.jacrev(model.loss)(2.0) == pytest.approx(12.0)


def test_a_defaulted_parameter_left_out_in_every_transform():
    assert ad.hvp(cm.with_default)(2.0, 1.0) == pytest.approx(24.0)
    assert ad.jvp(cm.with_default, (2.0,), (1.0,)) == (pytest.approx(16.0), pytest.approx(24.0))
    assert ad.jacfwd(cm.with_default)(2.0) == pytest.approx(24.0)
    assert ad.hessian(cm.with_default)(2.0) == pytest.approx(24.0)
    assert ad.vjp(cm.with_default, 2.0)[1](1.0) == (pytest.approx(24.0),)
    x = np.array([1.0, -1.0])
    np.testing.assert_allclose(ad.hvp(cm.with_array_default)(x, np.ones(2)), [2.0, 4.0])
    np.testing.assert_allclose(ad.jacrev(cm.with_array_default)(x), [2.0, -4.0])


def test_star_args_are_the_arguments_a_call_gives():
    assert ad.grad(cm.star)(2.0, 3.0) == pytest.approx(3.0)
    assert ad.grad(cm.star, wrt=(0, 1))(2.0, 3.0) == (pytest.approx(3.0), pytest.approx(2.0))
    # wrt past the call's arguments, and a wrt naming the whole `*args`, are refused
    with pytest.raises(ad.BadArgumentError, match="args_2, which this call of star"):
        ad.grad(cm.star, wrt=2)(2.0, 3.0)
    with pytest.raises(ad.BadArgumentError, match=r"names star's `\*args`"):
        ad.grad(cm.star, wrt="args")(2.0, 3.0)


# -- a function's registered rules are used, in every transform, and checked ------------------

import rules_module as rm  # noqa: E402

ad.defvjp(rm.rounding, rm.straight_through)
ad.defjvp(rm.rounding, rm.straight_through_jvp)


def test_a_function_with_rules_differentiated_directly_uses_them():
    assert ad.grad(rm.rounding)(1.3) == pytest.approx(1.0)
    assert ad.value_and_grad(rm.rounding)(1.3) == (pytest.approx(1.0), pytest.approx(1.0))
    assert ad.jvp(rm.rounding, (1.3,), (2.0,)) == (pytest.approx(1.0), pytest.approx(2.0))
    assert ad.vjp(rm.rounding, 1.3)[1](3.0) == (pytest.approx(3.0),)
    x = np.array([0.2, 1.7])
    np.testing.assert_allclose(ad.jacfwd(rm.rounding)(x), np.eye(2))
    np.testing.assert_allclose(ad.jacrev(rm.rounding)(x), np.eye(2))
    assert ad.hessian(rm.rounding)(1.3) == pytest.approx(0.0)
    assert ad.grad(rm.rounds_twice)(1.3) == pytest.approx(2.0)
    assert "rounding(x)" in ad.source(rm.rounding, "grad")


def test_a_rule_registered_after_the_first_call_is_used_from_then_on():
    g = ad.grad(rm.uses_late)
    assert g(1.3) == pytest.approx(2.0)          # np.round has a zero derivative
    assert ad.grad(rm.late)(1.3) == pytest.approx(1.0)
    ad.defvjp(rm.late, lambda g, ans, x: g * 10.0)
    assert g(1.3) == pytest.approx(11.0)
    assert ad.grad(rm.uses_late)(1.3) == pytest.approx(11.0)
    assert ad.grad(rm.late)(1.3) == pytest.approx(10.0)


def test_a_rule_that_is_not_a_function_is_refused_at_registration():
    with pytest.raises(ad.BadArgumentError, match="not a function"):
        ad.defvjp(rm.scaled_round, 1.0)
    with pytest.raises(ad.BadArgumentError, match="nondifferentiable"):
        ad.defvjp(rm.scaled_round, None)
    with pytest.raises(ad.BadArgumentError, match="nondifferentiable"):
        ad.defjvp(rm.scaled_round)
    with pytest.raises(ad.BadArgumentError, match="not callable"):
        ad.defvjp(3.0, lambda g, ans, x: g)


def test_an_argument_past_the_last_rule_is_refused_not_zero():
    ad.defvjp(rm.scaled_round, lambda g, ans, x, k: g * k)
    ad.defjvp(rm.scaled_round, lambda t, ans, x, k: t * k)
    try:
        assert ad.grad(rm.uses_scaled_round)(1.3, 3.0) == pytest.approx(3.0)
        for transform in (ad.grad, ad.jacfwd, ad.jacrev):
            with pytest.raises(ad.NonDifferentiableCallError, match="argument 2") as info:
                transform(rm.uses_scaled_round, 1)(1.3, 3.0)
            assert "return scaled_round(x, k)" in str(info.value)
        with pytest.raises(ad.NonDifferentiableCallError, match="argument 2"):
            ad.jvp(rm.uses_scaled_round, (1.3, 3.0), (1.0, 1.0))
        ad.defvjp(rm.scaled_round, lambda g, ans, x, k: g * k, None)   # None: zero, as said
        assert ad.grad(rm.uses_scaled_round, 1)(1.3, 3.0) == pytest.approx(0.0)
    finally:
        ad.nondifferentiable(rm.scaled_round)


# -- code given as text is refused; an assert stays ----------------------------------------------

import statements_module as sm  # noqa: E402


@pytest.mark.parametrize("fn, line", [(sm.uses_eval, 'return eval("x * x")'),
                                      (sm.uses_exec, 'exec("y = x * x", scope)')])
def test_eval_and_exec_are_refused_at_their_line(fn, line):
    with pytest.raises(ad.UnsupportedSyntaxError) as info:
        ad.grad(fn)(3.0)
    assert "statements_module.py:" in str(info.value) and line in str(info.value)


def test_a_failing_assertion_raises_in_every_derivative():
    assert ad.grad(sm.with_assert)(3.0) == pytest.approx(6.0)
    assert ad.hessian(sm.calls_with_assert)(3.0) == pytest.approx(4.0)
    for derivative in (ad.grad(sm.with_assert), ad.grad(sm.calls_with_assert),
                       ad.jacfwd(sm.with_assert), ad.jacrev(sm.calls_with_assert),
                       ad.hessian(sm.with_assert), lambda x: ad.jvp(sm.with_assert, (x,), (1.0,))):
        with pytest.raises(AssertionError, match="x must be positive"):
            derivative(-3.0)


# -- the text differentiated is the text of the code that runs ------------------------------------

def _module_from(tmp_path, name, text):
    import importlib.util
    path = tmp_path / f"{name}.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, path


def test_a_module_edited_after_import_is_refused(tmp_path):
    module, path = _module_from(tmp_path, "edited_module",
                                "def f(x):\n    return x * x\n\n\ndef g(x):\n    return 2.0 * x\n")
    assert ad.grad(module.f)(3.0) == pytest.approx(6.0)
    path.write_text("def f(x):\n    return x * x * x\n\n\ndef g(x):\n    return 2.0 * x\n")
    os.utime(path, (1, 1))       # a time of its own, whatever the clock's resolution
    ad.clear_cache()
    with pytest.raises(ad.SourceUnavailableError, match="not the code that runs") as info:
        ad.grad(module.f)(3.0)
    assert "edited_module.py:1:" in str(info.value) and "importlib.reload" in str(info.value)
    assert ad.grad(module.g)(3.0) == pytest.approx(2.0)     # g's text is still its code


def test_a_function_made_by_exec_with_a_files_name_is_refused(tmp_path):
    _, path = _module_from(tmp_path, "named_module", "def f(x):\n    return x * x\n")
    scope = {}
    exec(compile("def f(x):\n    return 3.0 * x\n", str(path), "exec"), scope)
    with pytest.raises(ad.SourceUnavailableError, match="not the code that runs"):
        ad.grad(scope["f"])(2.0)
    with pytest.raises(ad.SourceUnavailableError, match="not the code that runs"):
        ad.jvp(scope["f"], (2.0,), (1.0,))


def test_the_text_check_keeps_closures_methods_and_lambdas():
    scale = 3.0

    def inner(x):
        return scale * x * x

    class Box:
        def method(self, x):
            __square = x * x          # a local Python names _Box__square
            return __square * 2.0

    square = lambda x: x * x     # noqa: E731
    assert ad.grad(inner)(2.0) == pytest.approx(12.0)
    assert ad.grad(Box().method)(2.0) == pytest.approx(8.0)
    assert ad.grad(square)(2.0) == pytest.approx(4.0)


@pytest.mark.parametrize("fn, says", [(cm.returns_nothing, "NoneType"),
                                      (cm.returns_bool, "boolean"),
                                      (cm.returns_complex, "real output")])
@pytest.mark.parametrize("x", [1.5, np.array(1.5)])
def test_grad_of_an_output_that_is_not_a_real_number_is_refused(fn, says, x):
    with pytest.raises(ad.BadArgumentError, match=says):
        ad.grad(fn)(x)


def test_a_complex_output_is_refused_also_from_arrays():
    def complex_sum(x):
        return np.sum(x * 1j)      # shape (): the check of the output stayed out (gave [0, 0])

    with pytest.raises(ad.BadArgumentError, match="complex"):
        ad.grad(complex_sum)(np.array([1.0, 2.0]))
    with pytest.raises(ad.BadArgumentError, match="complex"):
        ad.grad(lambda x: x ** 0.5)(-4.0)


def test_the_text_check_compares_bytes_where_the_module_imports_what_the_code_reads(
        tmp_path, monkeypatch):
    # disassembling both code objects cost more than the rest of the check: where the text
    # compiles to the same bytes (np imported above it, as in the module), it is not needed
    from s2s_ad.frontend import same_code
    module, path = _module_from(tmp_path, "imports_numpy",
                                "import numpy as np\n\n\ndef f(x):\n    return np.sin(x) * x\n")
    disassembled = []
    original = same_code._instructions
    monkeypatch.setattr(same_code, "_instructions",
                        lambda code: disassembled.append(code) or original(code))
    assert ad.grad(module.f)(0.5) == pytest.approx(np.cos(0.5) * 0.5 + np.sin(0.5))
    assert not disassembled
    # and an edit that keeps every name and constant is still seen
    path.write_text("import numpy as np\n\n\ndef f(x):\n    return np.sin(x) + x\n")
    os.utime(path, (1, 1))
    ad.clear_cache()
    with pytest.raises(ad.SourceUnavailableError, match="not the code that runs"):
        ad.grad(module.f)(0.5)


# -- defaults of local functions: values taken where the function is defined -----------------

def test_a_local_default_is_the_value_at_its_def():
    assert dm.local_default_rebound(2.0) == 16.0
    assert ad.grad(dm.local_default_rebound)(2.0) == pytest.approx(3.0)     # was 10.0
    assert ad.jvp(dm.local_default_rebound, (2.0,), (1.0,))[1] == pytest.approx(3.0)


def test_lambdas_made_in_a_loop_keep_their_own_default():
    for fn, scale in ((dm.lambdas_made_in_a_loop, 1.0), (dm.calls_lambdas_made_in_a_loop, 2.0)):
        assert ad.grad(fn)(1.5) == pytest.approx(scale * 2 * 1.5 * (0 + 1 + 2))
        assert ad.jvp(fn, (1.5,), (1.0,))[1] == pytest.approx(scale * 9.0)
        assert ad.hessian(fn)(1.5) == pytest.approx(scale * 6.0)


def test_lambdas_kept_in_a_list_keep_their_own_default():
    # each lambda is kept as data holding its k (frontend/function_values.py)
    assert ad.grad(dm.lambdas_in_a_list)(1.5) == pytest.approx(3.0)
    assert ad.jvp(dm.lambdas_in_a_list, (1.5,), (2.0,))[1] == pytest.approx(6.0)
    assert ad.hessian(dm.lambdas_in_a_list)(1.5) == pytest.approx(0.0)


def test_attributes_of_self_are_read():
    # were refused at the attribute (issue 19): `self.w` and a loop over `self.items` now read
    # the object's values, in every transform
    model = cm.Model()
    model.items = [1.5, 2.0]
    for method, slope in ((model.weighted, 2 * 2.0 * 2.0), (model.weight_first, 2.0),
                          (model.walks_items, 3.0)):
        assert ad.grad(method)(2.0) == pytest.approx(slope)
        assert ad.jvp(method, (2.0,), (1.0,))[1] == pytest.approx(slope)
        assert ad.vjp(method, 2.0)[1](1.0) == (pytest.approx(slope),)
    assert ad.hessian(model.weighted)(2.0) == pytest.approx(4.0)


def test_a_call_through_a_module_level_dict_is_resolved_when_the_code_is_made():
    assert ad.grad(cm.calls_through_a_dict)(2.0) == pytest.approx(5.0)
    assert ad.jvp(cm.calls_through_a_dict, (2.0,), (1.0,))[1] == pytest.approx(5.0)


def test_a_call_through_a_container_passed_in_is_refused_in_the_users_words():
    for transform in (lambda f: ad.grad(f)(2.0, cm.SQUARES),
                      lambda f: ad.jvp(f, (2.0, cm.SQUARES), (1.0, None))):
        with pytest.raises(ad.NonDifferentiableCallError) as info:
            transform(cm.calls_through_an_argument)
        first = str(info.value).splitlines()[0]
        assert first.endswith("cannot differentiate the call table['first']"), first
        assert not re.search(r"\b_t\d", str(info.value)) and "module-level name" in str(info.value)


def _nested_star_lambda():
    return (lambda: (lambda *a: a[0] * a[0]))()       # two lambdas on one line


def test_star_args_in_every_form():
    import functools
    assert ad.jvp(cm.star, (2.0, 3.0), (1.0, 0.0)) == (pytest.approx(6.0), pytest.approx(3.0))
    # the lambda taking *a, found among the lambdas on its line
    assert ad.grad(_nested_star_lambda())(2.0) == pytest.approx(4.0)
    # without a call there is no count of `*args`: refused at the parameter
    with pytest.raises(ad.UnsupportedSyntaxError) as info:
        ad.api.compiled(cm.star, "grad", ["args_0"], None)
    assert "def star(*args)" in str(info.value) and "calls_module.py:" in str(info.value)
    assert info.value.location.col == "def star(*args)".index("args")
    # a partial takes *args by its signature: refused as what it is, not with a wrt error
    with pytest.raises(ad.SourceUnavailableError, match="functools.partial") as info:
        ad.grad(functools.partial(cm.with_default, k=3.0))(2.0)
    assert "lambda y: f(2.0, y)" in str(info.value)


def _calls_its_argument(x, h):
    return h(x) + x


def test_a_callable_argument_or_method_is_refused_never_a_zero_derivative():
    # a call the compiler cannot resolve was taken for a constant (grad 1.0, not 5.0)
    for transform in (lambda: ad.grad(_calls_its_argument)(2.0, cm._square),
                      lambda: ad.jvp(_calls_its_argument, (2.0, cm._square), (1.0, None))):
        with pytest.raises(ad.NonDifferentiableCallError, match="cannot differentiate the call h"):
            transform()
