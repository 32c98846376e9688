"""Every method and attribute of NumPy arrays against the rule table (the `methods` and
`attributes` facts of the records in rules/): each one s2s_ad follows is differentiated,
called with a positional and with a keyword argument, in every mode up to second order; the
rest are refused at the user's line, saying what to write.
"""
import importlib.util
import os
import tempfile

import numpy as np
import pytest

import s2s_ad as ad
from s2s_ad.analysis import ops
from s2s_ad.rules import registry

# name -> the calls tested (A is 3x4, B is 4x3): a positional and a keyword argument where the
# method takes them (transpose and swapaxes take no keywords; conj and the attributes take no
# arguments).  Integer and boolean results (argmax, any) have a zero derivative.
CALLS = {
    "sum": ("A.sum(1)", "A.sum(axis=1)"), "mean": ("A.mean(0)", "A.mean(axis=0)"),
    "prod": ("A.prod(1)", "A.prod(axis=1, keepdims=True)"),
    "max": ("A.max(0)", "A.max(axis=0)"), "min": ("A.min(1)", "A.min(axis=1)"),
    "var": ("A.var(0)", "A.var(axis=0, ddof=1)"), "std": ("A.std(1)", "A.std(axis=1)"),
    "cumsum": ("A.cumsum(1)", "A.cumsum(axis=1)"),
    "cumprod": ("A.cumprod(0)", "A.cumprod(axis=0)"),
    "dot": ("A.dot(B)", "A.dot(b=B)"),
    "transpose": ("A.transpose(1, 0)", "A.transpose((1, 0))"),
    "reshape": ("A.reshape(4, 3)", "A.reshape((2, 6), order='F')"),
    "ravel": ("A.ravel('F')", "A.ravel(order='F')"),
    "flatten": ("A.flatten('F')", "A.flatten(order='F')"),
    "squeeze": ("A[None].squeeze(0)", "A[None].squeeze(axis=0)"),
    "clip": ("A.clip(-0.5, 0.5)", "A.clip(min=-0.5, max=0.5)"),
    "copy": ("A.copy('F')", "A.copy(order='F')"),
    "swapaxes": ("A.swapaxes(0, 1)", "A[None].swapaxes(0, 2)"),
    "trace": ("A.trace(1)", "A.trace(offset=1)"),
    "diagonal": ("A.diagonal(1)", "A.diagonal(offset=1)"),
    "conj": ("A.conj()",), "conjugate": ("A.conjugate()",),
    "round": ("A.round(1) + A", "A.round(decimals=1) + A"),
    "argmax": ("A[0, A[0].argmax()] * A", "A.argmax(axis=1) * A[:, 0]"),
    "argmin": ("A[0, A[0].argmin()] * A", "A.argmin(axis=1) * A[:, 0]"),
    "argsort": ("A[0][A[0].argsort()]", "A[0][A[0].argsort(kind='stable')]"),
    "nonzero": ("A[A.nonzero()]", "A[(A > 0).nonzero()]"),
    "searchsorted": ("A[0, np.sort(B[:, 0]).searchsorted(0.0) % 4] * A",
                     "A[0, np.sort(B[:, 0]).searchsorted(0.0, side='right') % 4] * A"),
    "any": ("A.any(0) * A", "A.any(axis=0) * A"), "all": ("A.all(1) * A[:, 0]",
                                                         "A.all(axis=1) * A[:, 0]"),
    "repeat": ("A.repeat(2, 0)", "A.repeat(2, axis=0)"),
    "take": ("A.take([0, 2], 1)", "A.take([0, 2], axis=1)"),
    "astype": ("A.astype(float)", "A.astype(dtype=float)"),
    "T": ("A.T",), "real": ("A.real",), "imag": ("A.imag + A",), "mT": ("A.mT",),
    "flat": ("A.flat[5] * A", "sum(A.flat) * A"),
    "shape": ("A.shape[0] * A",), "ndim": ("A.ndim * A",), "size": ("A.size * A",),
    "dtype": ("A.astype(A.dtype)",), "itemsize": ("A.itemsize * A",),
    "nbytes": ("A.nbytes * A",),
}
# What is refused, and what the refusal tells the user to write (part of its message).
REFUSED = {
    "sort": ("B.sort()", "np.sort"), "fill": ("B.fill(0.0)", "np.full_like"),
    "partition": ("B.partition(1)", "np.partition"), "put": ("B.put([0], [1.0])", "a[indices]"),
    "resize": ("B.resize((4, 3))", "np.resize"), "setfield": ("B.setfield(1.0, float)", "new"),
    "item": ("B.item(0)", "NumPy function"), "tolist": ("B.tolist()", "NumPy function"),
    "compress": ("B.compress([True, False, True], axis=1)", "NumPy function"),
    "choose": ("((B > 0) * 1).choose([B, 2.0 * B])", "NumPy function"),
    "argpartition": ("B.argpartition(1)", "NumPy function"),
    "view": ("B.view()", "NumPy function"), "byteswap": ("B.byteswap()", "NumPy function"),
    "getfield": ("B.getfield(float)", "NumPy function"),
}
# Neither values nor derivatives: memory, devices, files, bytes.
NOT_VALUES = {"base", "ctypes", "data", "device", "dump", "dumps", "flags", "setflags",
              "strides", "to_device", "tobytes", "tofile"}


def _module(name, text):
    """A module written to a file of its own: s2s_ad reads the function's source."""
    folder = tempfile.mkdtemp(prefix="s2s_ad_methods_")
    path = os.path.join(folder, f"{name}.py")
    with open(path, "w") as f:
        f.write("import numpy as np\n\n\n" + text)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_array_method_is_in_the_table():
    names = {n for n in dir(np.ndarray) if not n.startswith("_")}
    followed = (set(registry.METHODS) | set(registry.ATTRIBUTES) | ops.CONSTANT_ATTRIBUTES |
                {"astype", "flat"}) & names - set(ops.IN_PLACE_METHODS)
    assert followed <= set(CALLS), "no test for " + str(followed - set(CALLS))
    assert names <= set(CALLS) | set(REFUSED) | NOT_VALUES, \
        "not classified: " + str(names - set(CALLS) - set(REFUSED) - NOT_VALUES)
    assert not set(CALLS) & (set(REFUSED) | NOT_VALUES)


FORMS = [(name, k, call) for name, calls in CALLS.items() if hasattr(np.ndarray, name)
         for k, call in enumerate(calls)]


@pytest.mark.parametrize("name, k, call", FORMS, ids=[f"{n}-{k}" for n, k, _ in FORMS])
def test_array_method(name, k, call):
    fn = _module(f"method_{name}_{k}",
                 f"def f(A, B):\n    return np.sum(np.sin(({call}) * 1.0)) + np.sum(A * B.T)\n").f
    rng = np.random.default_rng(1)
    A, B = rng.uniform(-1, 1, (3, 4)), rng.uniform(-1, 1, (4, 3))
    ad.check_grads(fn, (A, B), wrt=(0, 1), order=2)


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_array_method(name):
    call, hint = REFUSED[name]
    fn = _module(f"refused_{name}", f"def f(A, B):\n    B = B * 1.0\n    r = {call}\n"
                                    f"    return np.sum(A * B.T) * np.sum(r)\n").f
    with pytest.raises(ad.DifferentiationError) as info:
        ad.grad(fn, wrt=1)(np.ones((3, 4)), np.ones((4, 3)))
    message = str(info.value)
    assert f"refused_{name}.py:6" in message and hint in message
