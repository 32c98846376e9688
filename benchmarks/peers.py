"""How each system computes a case's derivative.

Every builder takes (case, inputs) and returns a `Built`: a zero-argument callable that computes
the derivative once (what is timed), plus extra facts to report.  A builder raises if the
system is not installed or cannot handle the case; the harness then prints `n/a`.

The peers run the workload's own code object with the globals `np` and `math` rebound to
their array module (`rebind`), so no workload is written twice.  PyTorch needs a small shim
for the few NumPy names whose signatures differ (`axis=` vs `dim=`).
"""
import gc
import os
import time
import types
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from benchmarks.suite import bound_call, hand_call

SOURCE_MODE = {"grad": "grad", "hvp": "hvp", "jacrev": "vjp_batched", "jacfwd": "jvp_batched"}


@dataclass
class Built:
    call: Callable
    info: dict = field(default_factory=dict)


class Unsupported(Exception):
    """The system has no built-in way to compute this kind of derivative."""


def rebind(fn, **names):
    """A copy of `fn` whose globals `names` (e.g. np=jax.numpy) are replaced."""
    g = dict(fn.__globals__)
    g.update(names)
    return types.FunctionType(fn.__code__, g, fn.__name__, fn.__defaults__, fn.__closure__)


def math_shim(mod):
    """A stand-in for the `math` module made of `mod`'s elementwise functions."""
    names = ("sin", "cos", "tan", "exp", "log", "tanh", "sqrt")
    return types.SimpleNamespace(**{n: getattr(mod, n) for n in names})


def _packed(fn):
    """h(ps, *rest) = fn(*ps, *rest): several differentiated arguments as one tuple."""
    return lambda ps, *rest: fn(*ps, *rest)


# ---------------------------------------------------------------- the baselines

def build_primal(case, inputs):
    return Built(bound_call(case.fn, inputs.args))


def build_hand(case, inputs):
    return Built(hand_call(case, inputs))


# ---------------------------------------------------------------- s2s_ad

def _s2s_transform(ad, case):
    if case.kind == "grad":
        return ad.grad(case.fn, wrt=case.wrt)
    return {"hvp": ad.hvp, "jacrev": ad.jacrev, "jacfwd": ad.jacfwd}[case.kind](case.fn, wrt=0)


def _count_lines(text):
    """Lines of code: neither blank nor only a comment (counted the same way on both sides)."""
    return sum(1 for line in text.splitlines() if line.strip() and not line.strip().startswith("#"))


def build_s2s(case, inputs):
    import s2s_ad as ad
    import inspect

    extra = (inputs.v,) if case.kind == "hvp" else ()

    def first_call():
        ad.clear_cache()
        gc.collect()
        t0 = time.perf_counter()
        g = _s2s_transform(ad, case)
        g(*inputs.args, *extra)
        return g, time.perf_counter() - t0
    # cold: the first transform in this process to use its rules, which it loads (once per
    # process); warm: the same transform again from scratch, the rules already loaded (median
    # of 5: one garbage collection of the peers' many objects can double a single sample)
    g, cold = first_call()
    warm = sorted(first_call()[1] for _ in range(5))[2]
    info = {"first_call": (cold, warm), "hand_lines": _count_lines(inspect.getsource(case.hand))}
    try:
        # the code that runs: specialised to the benchmark's arguments
        src = ad.source(case.fn, SOURCE_MODE[case.kind], wrt=case.wrt, example=inputs.args)
        info["s2s_lines"] = _count_lines(src)
    except Exception:
        pass
    try:
        info["tape"] = _s2s_tape(ad, case, inputs)
    except Exception:
        pass
    return Built(bound_call(g, inputs.args + extra), info)


def _s2s_tape(ad, case, inputs):
    """(entries, bytes) at the tape's fullest during one gradient / HVP call; None for the
    Jacobians (their VJPs and JVPs run once per basis vector)."""
    from s2s_ad.arguments import arg_kinds, as_float, parameters, shapes_of, wrt_names
    from s2s_ad.derivative import compiled
    from benchmarks.tape import tape_size
    if case.kind not in ("grad", "hvp"):
        return None
    params = parameters(case.fn)
    names, _ = wrt_names(case.fn, case.wrt)
    args = [(as_float(a) if p in names else a) for p, a in zip(params, inputs.args)]
    kinds, shapes = arg_kinds(params, args), shapes_of(params, args)
    if case.kind == "grad":
        return tape_size(compiled(case.fn, "grad", names, kinds, arg_shapes=shapes), args)
    gradient = ad.grad(case.fn, names[0])
    return tape_size(compiled(gradient, "tangent", names, kinds, arg_shapes=shapes),
                     args + [inputs.v])


# ---------------------------------------------------------------- autograd

def build_autograd(case, inputs):
    import autograd
    import autograd.numpy as anp

    f = rebind(case.fn, np=anp, math=math_shim(anp))
    args = inputs.args
    if case.kind == "grad" and case.n_wrt == 1:
        g = autograd.grad(f)
        return Built(lambda: g(*args))
    if case.kind == "grad":
        g = autograd.grad(_packed(f))
        k = case.n_wrt
        return Built(lambda: g(args[:k], *args[k:]))
    if case.kind == "hvp":
        h = autograd.hessian_vector_product(f)
        return Built(lambda: h(*args, inputs.v))
    if case.kind == "jacrev":
        j = autograd.jacobian(f)
        return Built(lambda: j(*args))
    raise Unsupported("autograd has no forward-mode Jacobian")


# ---------------------------------------------------------------- JAX

def _jax():
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import jax

    jax.config.update("jax_enable_x64", True)
    return jax


def _jax_derivative(jax, case, f):
    if case.kind == "grad":
        return jax.grad(f, argnums=case.wrt)
    if case.kind == "hvp":  # forward-over-reverse, as in the JAX docs
        return lambda x, v: jax.jvp(jax.grad(f), (x,), (v,))[1]
    return {"jacrev": jax.jacrev, "jacfwd": jax.jacfwd}[case.kind](f)


def _jax_setup(case, inputs):
    jax = _jax()
    import jax.numpy as jnp

    f = rebind(case.fn, np=jnp, math=math_shim(jnp))
    conv = lambda a: jnp.asarray(a) if isinstance(a, np.ndarray) else a
    args = tuple(conv(a) for a in inputs.args)
    if case.kind == "hvp":
        args += (conv(inputs.v),)
    return jax, _jax_derivative(jax, case, f), args


def build_jax_eager(case, inputs):
    jax, d, args = _jax_setup(case, inputs)
    return Built(lambda: jax.block_until_ready(d(*args)))


def build_jax_jit(case, inputs):
    jax, d, args = _jax_setup(case, inputs)
    dj = jax.jit(d)
    t0 = time.perf_counter()
    jax.block_until_ready(dj(*args))
    compile_time = time.perf_counter() - t0
    return Built(lambda: jax.block_until_ready(dj(*args)), {"compile": compile_time})


# ---------------------------------------------------------------- PyTorch

def torch_numpy_shim(torch):
    """The NumPy names the workloads use, in PyTorch."""
    def _sum(x, axis=None, keepdims=False):
        return torch.sum(x) if axis is None else torch.sum(x, dim=axis, keepdim=keepdims)

    def _max(x, axis=None, keepdims=False):
        return torch.amax(x) if axis is None else torch.amax(x, dim=axis, keepdim=keepdims)

    return types.SimpleNamespace(tanh=torch.tanh, exp=torch.exp, log=torch.log, sin=torch.sin,
                                 cos=torch.cos, sum=_sum, max=_max)


def _tensor(torch, a, grad):
    return torch.tensor(a, dtype=torch.float64, requires_grad=grad)


def build_torch(case, inputs):
    import torch

    f = rebind(case.fn, np=torch_numpy_shim(torch), math=math_shim(torch))
    k = case.n_wrt if case.kind in ("grad", "hvp") else 0
    args = tuple(_tensor(torch, a, i < k) for i, a in enumerate(inputs.args))
    if case.kind == "grad":
        return Built(lambda: torch.autograd.grad(f(*args), args[:k]))
    if case.kind == "hvp":
        v = _tensor(torch, inputs.v, False)

        def hvp():  # double backward
            g, = torch.autograd.grad(f(*args), args, create_graph=True)
            return torch.autograd.grad(g, args, grad_outputs=v)[0]
        return Built(hvp)
    jac = {"jacrev": torch.func.jacrev, "jacfwd": torch.func.jacfwd}[case.kind](f)
    return Built(lambda: jac(*args))


# ---------------------------------------------------------------- versions

def versions():
    """{package: version or 'not installed'} for s2s_ad and the peers."""
    from importlib import import_module
    from importlib.metadata import version

    out = {}
    for name in ("s2s_ad", "autograd", "jax", "jaxlib", "torch"):
        try:
            out[name] = version(name)
        except Exception:
            try:  # importable from the source tree without being pip-installed
                out[name] = getattr(import_module(name), "__version__", "(source tree)")
            except Exception:
                out[name] = "not installed"
    return out


SYSTEMS = {  # column name -> builder, in table order
    "primal": build_primal,
    "hand": build_hand,
    "s2s_ad": build_s2s,
    "autograd": build_autograd,
    "jax": build_jax_eager,
    "jax-jit": build_jax_jit,
    "torch": build_torch,
}
