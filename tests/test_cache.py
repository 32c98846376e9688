"""The cache: built once even under concurrent first calls, rebuilt when a callee changes."""
import threading

import numpy as np

import s2s_ad as ad
import s2s_ad.transforms.pipeline as transform



def test_concurrent_first_calls_transform_once(monkeypatch):
    builds = []
    real_build = transform.build

    def counting_build(*args, **kwargs):
        builds.append(args[1])
        return real_build(*args, **kwargs)

    monkeypatch.setattr("s2s_ad.derivative.build", counting_build)

    def f(x):
        return np.sum(np.sin(x) * x)

    g = ad.grad(f)
    x = np.linspace(0.0, 1.0, 5)
    barrier = threading.Barrier(8)
    results = [None] * 8

    def worker(k):
        barrier.wait()
        results[k] = g(x)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert builds == ["grad"]
    for r in results:
        np.testing.assert_allclose(r, np.cos(x) * x + np.sin(x))


def _inner_loss(x):
    return np.sum(np.tanh(x) ** 2)


def _other_loss(x):
    return np.sum(x ** 3)


_INNER_GRAD = ad.grad(_inner_loss)


def _calls_a_global_gradient(x):
    return np.sum(_INNER_GRAD(x) * x)


def test_a_function_calling_a_global_gradient_is_built_once(monkeypatch):
    # The derivative notes `_INNER_GRAD` as bound in the module (not the code it runs, which is
    # bound nowhere): it is reused on the next call, and rebuilt once the name is rebound.
    builds = []
    real_build = transform.build

    def counting_build(*args, **kwargs):
        builds.append(args[1])
        return real_build(*args, **kwargs)

    monkeypatch.setattr("s2s_ad.derivative.build", counting_build)
    g = ad.grad(_calls_a_global_gradient)
    x = np.array([0.3, -0.6])
    first = g(x)
    built = len(builds)
    for _ in range(3):
        np.testing.assert_allclose(g(x), first)
    assert len(builds) == built
    monkeypatch.setitem(globals(), "_INNER_GRAD", ad.grad(_other_loss))
    np.testing.assert_allclose(g(x), 9.0 * x ** 2)       # d/dx sum(3 x^2 * x)
    assert len(builds) > built


def test_repeated_argument_types_reuse_the_last_function(monkeypatch):
    builds = []
    real_build = transform.build

    def counting_build(*args, **kwargs):
        builds.append(kwargs.get("arg_kinds"))
        return real_build(*args, **kwargs)

    monkeypatch.setattr("s2s_ad.derivative.build", counting_build)

    def f(x, n):
        return np.sum(x * x * n)

    g = ad.grad(f)
    assert g(3.0, 2.0) == 12.0
    assert g(1.5, 2.0) == 6.0
    assert len(builds) == 1
    # other argument types take the full lookup, and get their own code
    assert g(3, 2.0) == 12.0                     # an int x is differentiated as a float
    assert g(np.float64(3.0), 2) == 12.0
    np.testing.assert_allclose(g(np.array([1.0, 2.0]), 2.0), [4.0, 8.0])
    np.testing.assert_allclose(g(np.array([1.0, 2.0, 3.0]), 2.0), [4.0, 8.0, 12.0])
    assert g(2.0, n=3.0) == 12.0
    assert g(3.0, 2.0) == 12.0
    # arrays: the last function runs again only for the same shape and dtype
    before = len(builds)
    np.testing.assert_allclose(g(np.array([1.0, 2.0, 3.0]), 2.0), [4.0, 8.0, 12.0])
    np.testing.assert_allclose(g(np.array([3.0, 2.0, 1.0]), 2.0), [12.0, 8.0, 4.0])
    np.testing.assert_allclose(g(np.ones((2, 2)), 2.0), np.full((2, 2), 4.0))
    z = np.array([1.0 + 1.0j, 2.0])
    np.testing.assert_allclose(g(z, 2.0), ad.grad(lambda x, n: np.sum(x * x * n))(z, 2.0))
    np.testing.assert_allclose(g(np.array([1, 2]), 2.0), [4.0, 8.0])   # ints: converted
    assert len(builds) == before + 3                # (3,) was built before; (2, 2), complex, int
    built = len(builds)
    ad.clear_cache()                 # forgets the last function too
    assert g(3.0, 2.0) == 12.0
    assert len(builds) == built + 1


GLOBAL_MODULE = """import numpy as np

SCALE = 2.0


def f(x):
    return np.sum(x * SCALE)
"""


def test_a_changed_global_kind_is_not_hidden_by_the_last_function(tmp_path, monkeypatch):
    import importlib
    import sys
    (tmp_path / "global_kind_module.py").write_text(GLOBAL_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("global_kind_module")
    g = ad.grad(module.f)
    assert g(1.0) == 2.0
    assert g(1.0) == 2.0
    module.SCALE = np.array([1.0, 3.0])
    assert g(1.0) == 4.0          # now an array: the sum of its entries
    sys.modules.pop("global_kind_module", None)


MODULE = """import numpy as np


def inner(x):
    return {body}


def outer(x):
    return np.sum(inner(x) * 3.0)
"""


def test_editing_a_called_function_invalidates_the_derivative(tmp_path, monkeypatch):
    import importlib
    import linecache
    import sys
    path = tmp_path / "edited_module.py"
    path.write_text(MODULE.format(body="x * x"))
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("edited_module")
    g = ad.grad(module.outer)
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(g(x), 6.0 * x)
    # the user edits `inner` and reloads the module (or re-runs the notebook cell)
    path.write_text(MODULE.format(body="x * x * x"))
    linecache.checkcache(str(path))
    importlib.reload(module)
    np.testing.assert_allclose(g(x), 9.0 * x * x)   # the old outer now calls the new inner
    sys.modules.pop("edited_module", None)


def test_nan_and_inf_propagate():
    def f(x):
        return np.sum(np.sqrt(x))
    with np.errstate(invalid="ignore", divide="ignore"):
        g = ad.grad(f)(np.array([-1.0, 0.0, 4.0]))
    assert np.isnan(g[0]) and np.isinf(g[1]) and g[2] == 0.25


def test_conventions_at_kinks():
    def absolute(x):
        return np.sum(np.abs(x))

    def biggest(x):
        return np.max(x)
    np.testing.assert_array_equal(ad.grad(absolute)(np.array([0.0, -2.0])), [0.0, -1.0])
    np.testing.assert_allclose(ad.grad(biggest)(np.array([3.0, 1.0, 3.0])), [0.5, 0.0, 0.5])


def test_a_closure_variable_rebound_between_calls_is_read_again():
    # a training loop's minibatch, a scale, a callee: the user's function reads them live,
    # and so does its derivative (all three were baked in when the code was generated)
    X = np.ones((3, 2))
    scale = 1.0
    act = np.tanh

    def loss(w):
        return np.sum(act(X @ w) * scale)

    g = ad.grad(loss)
    w = np.array([0.1, -0.2])

    def expected():
        h = 1e-6
        return np.array([(loss(w + h * e) - loss(w - h * e)) / (2 * h) for e in np.eye(2)])

    np.testing.assert_allclose(g(w), expected(), rtol=1e-6)
    X = np.arange(8.0).reshape(4, 2) / 8        # another batch, another shape
    np.testing.assert_allclose(g(w), expected(), rtol=1e-6)
    scale = 3.0
    np.testing.assert_allclose(g(w), expected(), rtol=1e-6)
    scale = np.array([1.0, 2.0, 0.5, -1.0])     # a number becomes an array
    np.testing.assert_allclose(g(w), expected(), rtol=1e-6)
    act = np.sin                                # another function
    np.testing.assert_allclose(g(w), expected(), rtol=1e-6)
    _, pullback = ad.vjp(loss, w)
    np.testing.assert_allclose(pullback(1.0)[0], expected(), rtol=1e-6)
    np.testing.assert_allclose(ad.jvp(loss, (w,), (np.ones(2),))[1], expected().sum(), rtol=1e-6)


def test_a_transform_has_its_functions_parameters_and_checks_them_inline():
    import inspect

    def f(x, y, n=2.0):
        return np.sum(x * y ** n)

    g, vg = ad.grad(f, wrt=(0, 1)), ad.value_and_grad(f)
    assert str(inspect.signature(g)) == "(x, y, n=2.0)"
    assert g(2.0, 3.0) == (9.0, 12.0)
    assert g(y=3.0, x=2.0) == (9.0, 12.0)        # keywords bind as they do for f
    assert g(2.0, 3.0, 1.0) == (3.0, 2.0)
    assert vg(2.0, 3.0) == (18.0, 9.0)
    a = np.array([1.0, 2.0])
    np.testing.assert_allclose(g(a, 3.0)[0], [9.0, 9.0])      # another signature
    np.testing.assert_allclose(g(a[::-1], 3.0)[0], [9.0, 9.0])
    assert g(2.0, 3.0) == (9.0, 12.0)                          # and back
    np.testing.assert_allclose(g(np.ones((2, 2)), 1.0)[1], 8.0)   # same type, another shape
    assert g(2.0, 3.0, n=1.0) == (3.0, 2.0)

    def with_aux(x, y):
        return x * y, y + 1.0

    aux_grad = ad.grad(with_aux, has_aux=True)
    assert aux_grad(2.0, 3.0) == (3.0, 4.0) and aux_grad(4.0, 5.0) == (5.0, 6.0)
    assert ad.grad(with_aux, (0,), has_aux=True)(2.0, 3.0) == ((3.0,), 4.0)

    def shadowing(type, len, install, make, state):     # names the entry point uses itself
        return type * len + install * make * state

    assert ad.grad(shadowing, (0, 1, 2))(2.0, 3.0, 1.0, 1.0, 1.0) == (3.0, 2.0, 1.0)

    # an hvp has f's parameters and then v (named apart where f has a v)
    h = ad.hvp(lambda x, v: np.sum(x ** 3 * v), 0)
    assert str(inspect.signature(h)) == "(x, v, _ad_v)"
    assert h(2.0, 1.0, 1.0) == 12.0

    # keyword-only parameters too, and a bound method's after self
    class Model:
        def loss(self, w):
            return w * w

    def keyword_only(x, *, k=3.0):
        return x * k

    def ours(_ad_x):
        return _ad_x * _ad_x

    assert ad.grad(Model().loss)(2.0) == 4.0
    assert ad.grad(keyword_only)(2.0, k=4.0) == 4.0
    assert ad.grad(ours)(3.0) == 6.0
    assert str(inspect.signature(ad.grad(keyword_only))) == "(x, *, k=3.0)"
    assert ad.grad(keyword_only)(2.0) == 3.0
    method = ad.grad(Model().loss)
    assert str(inspect.signature(method)) == "(w)"              # self is bound
    assert method(2.0) == 4.0 and method(3.0) == 6.0 and method(w=1.0) == 2.0


def test_threads_calling_with_different_signatures_each_get_their_own_code():
    def f(x):
        return np.sum(x * x)

    g = ad.grad(f)
    arrays = [np.array([1.0, 2.0]), np.ones((2, 3)), 3.0, np.arange(4.0)]
    barrier = threading.Barrier(4)
    failures = []

    def worker(x):
        barrier.wait()
        for _ in range(300):
            if not np.allclose(g(x), 2.0 * np.asarray(x)):
                failures.append(x)

    threads = [threading.Thread(target=worker, args=(x,)) for x in arrays]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
