"""The transform matrix: every program through every transform, against finite differences.

    check_program(case) -> {transform: None (right) | "refused: ..." | "wrong: ..." | "crash: ..."}

A program is a `programs.Case` (a function, how to draw its arguments, which are
differentiated).  Its Jacobian with respect to each differentiated argument is first taken by
central differences; then every transform that applies is run and compared with it:

    vjp, jvp            J^T u and J v, for random u and v; the primal output too
    dot                 <u, J v> from jvp against <J^T u, v> from vjp (to 1e-9: both ours)
    jacfwd, jacrev      the whole Jacobian, shape out.shape + in.shape
    grad, value_and_grad            (scalar output) the gradient, and the value
    hessian, hvp, jacfwd_grad, jacrev_grad, grad_grad
                        (scalar output, per differentiated argument) the Hessian, against
                        central differences of the gradient; grad_grad is reverse over reverse,
                        the gradient of <grad f(x), v>

The caller picks the variant (`s2s_ad.api.variant`: generic or specialised code, optimised or
not).  A refusal is a DifferentiationError; tests/test_matrix.py lists the expected ones.
"""
import numpy as np

import s2s_ad as ad
from s2s_ad.check import _random_like as random_like, copied, numerical_jvp

FIRST_ORDER = ("vjp", "jvp", "dot", "jacfwd", "jacrev")
SCALAR_ONLY = ("grad", "value_and_grad", "hessian", "hvp", "jacfwd_grad", "jacrev_grad",
               "grad_grad")
TRANSFORMS = FIRST_ORDER + SCALAR_ONLY


# -- values as flat vectors -------------------------------------------------------------------
def flat(value):
    """Every number in a value (nested tuples, lists and dicts in order) as one float vector."""
    if isinstance(value, (tuple, list)):
        parts = [flat(v) for v in value]
        return np.concatenate(parts) if parts else np.zeros(0)
    if isinstance(value, dict):
        return flat([value[k] for k in sorted(value)])
    return np.ravel(np.asarray(value, dtype=float))


def basis(value):
    """Unit vectors shaped like `value` (a number or an array), one per element."""
    if np.ndim(value) == 0:
        yield 1.0
        return
    for k in range(np.size(value)):
        e = np.zeros(np.size(value))
        e[k] = 1.0
        yield e.reshape(np.shape(value))


def is_scalar_output(out):
    return isinstance(out, (float, np.floating)) or \
        (isinstance(out, np.ndarray) and out.shape == () and out.dtype.kind == "f")


def is_array_output(out):
    return isinstance(out, (float, np.floating, np.ndarray)) and np.asarray(out).dtype.kind == "f"


def close(ours, reference, tol):
    """None where `ours` matches `reference` (|error| <= tol * (1 + |reference|)), else why."""
    a, b = flat(ours), flat(reference)
    if a.shape != b.shape:
        return f"{a.size} numbers where {b.size} were expected"
    err = np.abs(a - b)
    bound = tol * (1.0 + np.abs(b))
    if np.all(err <= bound) and not np.any(np.isnan(a) & ~np.isnan(b)):
        return None
    k = int(np.argmax(err - bound)) if not np.any(np.isnan(a)) else int(np.argmax(np.isnan(a)))
    return f"entry {k}: ours {a[k]:.10g}, expected {b[k]:.10g} (of {a.size})"


# -- the reference -----------------------------------------------------------------------------
def jacobian_by_differences(fn, args, i):
    """Central differences: the Jacobian of the flattened output in argument i, (out, in)."""
    columns = [flat(numerical_jvp(fn, args, [i], [e])) for e in basis(args[i])]
    return np.stack(columns, axis=1)


def hessian_by_differences(grad_fn, args, i, eps=1e-5):
    """Central differences of a gradient (already checked) in argument i: (in, in)."""
    columns = []
    for e in basis(args[i]):
        plus, minus = list(args), list(args)
        plus[i] = args[i] + eps * e
        minus[i] = args[i] - eps * e
        columns.append((flat(grad_fn(*copied(plus))) - flat(grad_fn(*copied(minus)))) / (2 * eps))
    return np.stack(columns, axis=1)


# -- the matrix --------------------------------------------------------------------------------
def check_program(case, transforms=TRANSFORMS, seed=0):
    """{transform: None | "refused: ..." | "wrong: ..." | "crash: ..."} for one program."""
    rng = np.random.default_rng(seed)
    args = list(case.make_args(rng))
    fn, wrt = case.fn, tuple(case.wrt)
    out = fn(*copied(args))
    jac = {i: jacobian_by_differences(fn, args, i) for i in wrt}
    tol = case.tol * 10
    results = {}

    def run(name, check):
        if name not in transforms:
            return
        try:
            before = copied(args)
            results[name] = check()
            if results[name] is None and not all(_same(a, b) for a, b in zip(args, before)):
                results[name] = "wrong: an argument was changed"
        except ad.DifferentiationError as exc:
            results[name] = "refused: " + str(exc).splitlines()[0]
        except Exception as exc:     # a crash inside generated code or the compiler
            results[name] = f"crash: {type(exc).__name__}: {exc}"

    u = random_like(out, rng)
    v = {i: random_like(args[i], rng) for i in wrt}

    def check_vjp():
        value, pullback = ad.vjp(fn, *copied(args), wrt=wrt)
        problem = close(value, out, 0.0) and "the output differs: " + close(value, out, 0.0)
        cotangents = pullback(u)
        for i, c in zip(wrt, cotangents):
            problem = problem or _shaped(c, args[i]) or close(c, jac[i].T @ flat(u), tol)
        return _wrong(problem)

    def tangents():
        return [v[i] if i in wrt else None for i in range(len(args))]

    def check_jvp():
        value, tangent = ad.jvp(fn, tuple(copied(args)), tuple(tangents()))
        expected = sum(jac[i] @ flat(v[i]) for i in wrt)
        return _wrong(close(value, out, 0.0) or close(tangent, expected, tol))

    def check_dot():
        _, tangent = ad.jvp(fn, tuple(copied(args)), tuple(tangents()))
        _, pullback = ad.vjp(fn, *copied(args), wrt=wrt)
        lhs = float(flat(u) @ flat(tangent))
        rhs = sum(float(flat(c) @ flat(v[i])) for i, c in zip(wrt, pullback(u)))
        return _wrong(close(lhs, rhs, 1e-9))

    def check_jacobian(transform):
        if not is_array_output(out):
            return None
        got = transform(fn, wrt=wrt)(*copied(args))
        problem = None
        for i, j in zip(wrt, got):
            want_shape = np.shape(out) + np.shape(args[i])
            problem = problem or (np.shape(j) != want_shape and
                                  f"shape {np.shape(j)}, expected {want_shape}") \
                or close(j, jac[i].reshape(want_shape), tol)
        return _wrong(problem)

    run("vjp", check_vjp)
    run("jvp", check_jvp)
    run("dot", check_dot)
    run("jacfwd", lambda: check_jacobian(ad.jacfwd))
    run("jacrev", lambda: check_jacobian(ad.jacrev))
    if not is_scalar_output(out):
        return results

    def check_grad():
        grads = ad.grad(fn, wrt=wrt)(*copied(args))
        return _wrong(next(filter(None, (_shaped(g, args[i]) or close(g, jac[i], tol)
                                         for i, g in zip(wrt, grads))), None))

    def check_value_and_grad():
        value, grads = ad.value_and_grad(fn, wrt=wrt)(*copied(args))
        return _wrong(close(value, out, 0.0) or
                      next(filter(None, (close(g, jac[i], tol) for i, g in zip(wrt, grads))),
                           None))

    run("grad", check_grad)
    run("value_and_grad", check_value_and_grad)
    second = [t for t in SCALAR_ONLY[2:] if t in transforms]
    if not second:
        return results
    for i in wrt:
        try:
            hess = hessian_by_differences(ad.grad(fn, wrt=i), args, i)
        except Exception as exc:
            for name in second:
                results.setdefault(name, f"crash: the gradient for the reference: {exc}")
            continue
        shape = np.shape(args[i]) * 2
        tol2 = max(tol, 1e-5) * 10

        def check_hessian(make, i=i, hess=hess, shape=shape):
            got = make(i)
            return _wrong((np.shape(got) != shape and f"shape {np.shape(got)}, expected {shape}")
                          or close(got, hess, tol2))

        def hvp_columns(i, hess=hess):
            h = ad.hvp(fn, wrt=i)
            return np.stack([flat(h(*copied(args), e)) for e in basis(args[i])], axis=1)

        def grad_of_grad(i, hess=hess):
            w = v[i]
            inner = ad.grad(fn, wrt=i)

            along = _along(len(args), i)(inner, w, *(a for k, a in enumerate(args) if k != i))
            got = ad.grad(along)(copied(args)[i])
            return _wrong(close(got, hess @ flat(w), tol2))

        run("hessian", lambda: check_hessian(lambda i: ad.hessian(fn, wrt=i)(*copied(args))))
        run("hvp", lambda: _wrong(close(hvp_columns(i), hess, tol2)))
        run("jacfwd_grad", lambda: check_hessian(
            lambda i: ad.jacfwd(ad.grad(fn, wrt=i), wrt=i)(*copied(args))))
        run("jacrev_grad", lambda: check_hessian(
            lambda i: ad.jacrev(ad.grad(fn, wrt=i), wrt=i)(*copied(args))))
        run("grad_grad", lambda: grad_of_grad(i))
        if any(results.get(t) for t in second):
            break        # the first argument that fails says enough
    return results


_ALONG = {}


def _along(n, i):
    """`make(inner, w, *others)` -> `along(x) = np.sum(inner(..., x, ...) * w)`, x at position
    i of n: written out in a module of its own, since s2s_ad reads a function's source."""
    if (n, i) not in _ALONG:
        import importlib.util
        import os
        import tempfile
        others = [f"a{k}" for k in range(n) if k != i]
        call = ", ".join("x" if k == i else f"a{k}" for k in range(n))
        text = (f"import numpy as np\n\n\ndef make(inner, w, {', '.join(others + [''])}):\n"
                f"    def along(x):\n        return np.sum(inner({call}) * w)\n"
                f"    return along\n")
        folder = tempfile.mkdtemp(prefix="s2s_ad_matrix_")
        path = os.path.join(folder, f"along_{n}_{i}.py")
        with open(path, "w") as f:
            f.write(text)
        spec = importlib.util.spec_from_file_location(f"along_{n}_{i}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _ALONG[n, i] = module.make
    return _ALONG[n, i]


def _wrong(problem):
    return None if not problem else "wrong: " + problem


def _shaped(grad, arg):
    if np.shape(grad) != np.shape(arg):
        return f"shape {np.shape(grad)}, the argument's {np.shape(arg)}"
    return None


def _same(a, b):
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.shape == b.shape and \
            np.array_equal(a, b, equal_nan=True)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if hasattr(a, "__dict__") and not callable(a) and type(a).__module__ != "builtins":
        # an object: the same attributes (its copy is another object, and a dataclass's
        # `==` compares arrays to a truth value)
        return type(a) is type(b) and _same(vars(a), vars(b))
    return a == b or (a != a and b != b)


def main():
    """`python tests/matrix.py [NAME ...]`: every failure of the corpus (all of it, or the named
    programs) in the four variants, as the lines of test_matrix.py's KNOWN table."""
    import sys
    from s2s_ad import api
    from test_matrix import CORPUS, VARIANTS, listed_refusal
    names = set(sys.argv[1:])
    found = {}
    for label, options in VARIANTS.items():
        with api.variant(**options):
            for case in CORPUS:
                if names and case.name not in names:
                    continue
                for transform, result in check_program(case).items():
                    if not result or listed_refusal(case.name, transform, result):
                        continue
                    labels = found.setdefault((case.name, transform), [])
                    if label not in labels:
                        labels.append(label)
                    print(f"# [{label}] {case.name} {transform}: {result[:200]}",
                          file=sys.stderr)
    for (name, transform), labels in found.items():
        variants = "*" if len(labels) == len(VARIANTS) else "".join(labels)
        print(f'    ("{name}", "{transform}"): "{variants}",')


if __name__ == "__main__":
    main()
