"""The rule coverage table: `python -m s2s_ad.rules.coverage > docs/rules.md`.

One row per callable with rules (VJP and JVP per differentiable argument), notes on conventions
(tie splitting, domains), then the non-differentiable callables.  Two columns say whether
autograd and JAX differentiate the callable, with a row for each callable either of them
differentiates and s2s_ad does not.  Their lists are the data file docs/other_libraries.json,
so the table is the same wherever it is generated; run as a script where autograd and JAX are
installed (`pip install autograd "jax[cpu]"`, the bench extra), this module writes that file
again from the libraries first:

    autograd   every NumPy/SciPy function autograd.numpy and autograd.scipy wrap with a VJP
               (autograd.core.primitive_vjps), named as in NumPy/SciPy
    JAX        every public function of jax.numpy and jax.scipy (and their submodules) that
               NumPy or SciPy has under the same name: JAX differentiates its whole API (an
               integer or boolean result has a zero derivative there, as here)
"""
import importlib
import json
import os
import pkgutil
import sys

import numpy as np

import s2s_ad.rules  # noqa: F401  (registers every rule)
from s2s_ad.rules.registry import NONDIFFERENTIABLE, RULES, Refused, load_optional_rules

try:                      # the optional libraries' rules too, where installed
    import scipy.integrate  # noqa: F401
    import scipy.linalg  # noqa: F401
    import scipy.special  # noqa: F401
    import scipy.stats  # noqa: F401
    import scipy.fft  # noqa: F401
    import scipy.signal  # noqa: F401
except ImportError:       # pragma: no cover
    pass
load_optional_rules()

NOTES = {
    "numpy.max": "ties split the cotangent equally", "numpy.amax": "ties split equally",
    "numpy.min": "ties split the cotangent equally", "numpy.amin": "ties split equally",
    "numpy.ptp": "ties split equally", "numpy.maximum": "a tie gives each argument half",
    "numpy.minimum": "a tie gives each argument half", "numpy.fmax": "a tie gives each half",
    "numpy.fmin": "a tie gives each half", "builtins.max": "two numbers; a tie gives each half",
    "builtins.min": "two numbers; a tie gives each half",
    "numpy.prod": "second derivatives assume no zero entries", "numpy.cumprod": "assumes no zero entries",
    "numpy.linalg.norm": "every vector and matrix norm; ties split; 2, -2, 'nuc' need distinct "
                         "singular values",
    "numpy.linalg.eigh": "reads the UPLO triangle, distinct eigenvalues",
    "numpy.linalg.cholesky": "reads the lower (upper=True: upper) triangle",
    "numpy.linalg.eigvalsh": "reads the UPLO triangle, distinct eigenvalues",
    "numpy.linalg.matrix_power": "any integer n (n < 0 through inverses)",
    "numpy.polyval": "1-D coefficients p", "numpy.partition": "distinct values",
    "numpy.nanmax": "ties split equally; nan ignored", "numpy.nanmin": "ties split equally; nan ignored",
    "numpy.nanvar": "real input", "numpy.nanstd": "real input",
    "numpy.median": "two middle elements share the cotangent",
    "numpy.quantile": "method='linear' only, no weights; q one-sided at samples",
    "numpy.percentile": "method='linear' only, no weights; q one-sided at samples",
    "numpy.trapezoid": "x 1-D or shaped like y; dx counts when x is None",
    "numpy.linalg.svd": "distinct singular values; reduced factors (square if full_matrices; "
                        "full factors of a non-square matrix raise)",
    "numpy.linalg.eig": "distinct eigenvalues; NumPy's normalization; complex results",
    "numpy.linalg.eigvals": "distinct eigenvalues; complex results",
    "numpy.linalg.lstsq": "full rank; in x, residuals and singular values",
    "numpy.gradient": "up to 8 spacings (constants), any axis and edge_order",
    "numpy.linalg.qr": "modes 'reduced' and 'r' of any shape ('complete' if rows <= columns)",
    "numpy.linalg.pinv": "full rank",
    "numpy.linalg.solve": "b is a vector iff b.ndim == 1 (NumPy 2)",
    "numpy.einsum": "string subscripts or index lists written in the call, up to 8 operands",
    "numpy.average": "weights differentiable; returned=True not covered",
    "numpy.histogram": "in weights, and in a and bins through the edges; density=False",
    "numpy.interp": "in x, fp, left and right; with period in left and right only (x, fp raise)",
    "numpy.pad": "modes constant, edge, reflect, symmetric, wrap",
    "numpy.cov": "y=None; no fweights/aweights", "numpy.corrcoef": "y=None",
    "numpy.var": "real input", "numpy.std": "real input",
    "numpy.atleast_1d": "one array", "numpy.atleast_2d": "one array",
    "numpy.atleast_3d": "one array", "math.hypot": "two coordinates",
    "numpy.cross": "3-vectors", "numpy.convolve": "1-D real", "numpy.correlate": "1-D real",
    "scipy.special.logsumexp": "a and b; return_sign too",
    "scipy.special.jv": "in z, not the order v (`jn` is `jv`)", "scipy.special.yv": "in x, not v",
    "scipy.special.iv": "in z, not the order v", "scipy.special.yn": "in x, not the order n",
    "scipy.special.ive": "real z, not the order v; at z = 0 the kink of exp(-abs(z)) counts 0",
    "scipy.special.i0e": "real x; at x = 0 the kink of exp(-abs(x)) counts 0",
    "scipy.special.i1e": "real x; at x = 0 the kink of exp(-abs(x)) counts 0",
    "scipy.special.psi": "digamma",
    "scipy.special.betainc": "in x; a and b refused (no elementary form)",
    "scipy.special.gammainc": "in x; a refused (no elementary form)",
    "scipy.special.gammaincc": "in x; a refused (no elementary form)",
    "scipy.special.zeta": "in q; x refused (no elementary form)",
    "scipy.special.polygamma": "not the order n", "scipy.special.multigammaln": "not d",
    "scipy.special.kv": "in z, not the order v", "scipy.special.kn": "in x, not the order n",
    "scipy.special.kve": "in z, not the order v",
    "scipy.stats.multivariate_normal.logpdf": "cov: its lower triangle (refused with "
                                              "allow_singular=True)",
    "scipy.stats.multivariate_normal.pdf": "cov: its lower triangle (refused with "
                                           "allow_singular=True)",
    "scipy.stats.multivariate_normal.entropy": "cov: its lower triangle (refused with "
                                               "allow_singular=True)",
    "scipy.stats.dirichlet.logpdf": "x with K or K - 1 components",
    "scipy.stats.dirichlet.pdf": "x with K or K - 1 components",
    "scipy.linalg.expm": "Frechet derivative by a block matrix; stacks too",
    "scipy.linalg.sqrtm": "a real matrix gets the real part of its cotangent; stacks too",
    "scipy.linalg.cho_factor": "reads the `lower` triangle; the other one passes through; real; stacks",
    "scipy.linalg.cho_solve": "in the factor tuple's matrix and in b; real",
    "scipy.linalg.lu_factor": "pivots constant (no ties); stacks too",
    "scipy.linalg.lu_solve": "in the factor tuple's matrix and in b; trans=2 of a complex factor: in b",
    "scipy.linalg.solve_banded": "in ab (its band) and b",
    "scipy.linalg.solve_sylvester": "stacks too",
    "scipy.linalg.solve_triangular": "trans 0/1; stacks too",
    "scipy.linalg.cholesky": "np.linalg's rule; reads the upper (lower=True: lower) triangle",
    "scipy.linalg.solve": "np.linalg's rule; assume_a 'pos'/'sym'/'her': one triangle; "
                          "transposed too",
    "scipy.linalg.inv": "as solve(a, I); assume_a 'pos'/'sym': one triangle",
    "scipy.linalg.eigh": "np.linalg's rule; reads the lower (lower=False: upper) triangle; "
                         "b and subsets refused",
    "scipy.linalg.eigvalsh": "as eigh", "scipy.linalg.det": "np.linalg's rule",
    "scipy.linalg.svd": "np.linalg's rule", "scipy.linalg.svdvals": "np.linalg's rule",
    "scipy.linalg.qr": "np.linalg's rule: 'economic', 'r', 'full' if rows <= columns; no pivoting",
    "scipy.linalg.hankel": "vectors (SciPy ravels stacks)",
    "scipy.special.loggamma": "real x", "scipy.special.expn": "in x, not the order n",
    "scipy.special.hyp1f1": "in x; a and b refused (no elementary form)",
    "scipy.special.factorial": "exact=False", "scipy.special.comb": "exact=False",
    "operator.pow": "d/db taken as 0 where a == 0", "numpy.power": "d/dx2 taken as 0 at x1 == 0",
}


# Callables without rules that the frontend rewrites into code it differentiates (each has a
# corpus program, tests/test_rule_table.py): differentiated, as the table says.
REWRITTEN = {
    np.piecewise: "lists written in the call: its pieces put together (frontend/piecewise.py)",
    np.put_along_axis: "a statement on an array named in the call: the write into it that it "
                       "is (frontend/normalize.py)",
    np.linalg.multi_dot: "a list of two or three arrays written in the call "
                         "(frontend/normalize.py)",
}
if hasattr(np.linalg, "matrix_norm"):      # NumPy 2
    REWRITTEN[np.linalg.matrix_norm] = ("np.linalg.norm of the last two axes, as NumPy computes "
                                        "it (frontend/normalize.py)")


ADDING_A_RULE = """\
## Adding a rule

Everything the compiler knows about one callable is one record, a `Primitive`
(`s2s_ad/rules/record.py`), kept in the tables of `s2s_ad/rules/registry.py`, and every
stage reads it there: the VJP and JVP rules (reverse and forward mode), the kind and shape
of the result (`analysis/kinds.py`, `analysis/shapes.py`), whether a call is pure (the
optimiser), whether reverse mode computes it again instead of saving it, and its batched
rules (`jacfwd`, `jacrev`).  A new callable is one entry in the rule module of its library,
next to its neighbours:

```python
defelementwise(np.sinc, lambda ans, x: _ad.sinc_derivative(1, x))   # d sinc / dx: both modes
deffacts(np.sinc, shape=shapes.like(0))   # the result has the shape of argument 0
```

Each derivative is written once: `defelementwise` takes a partial derivative per argument
(the VJP is `g *` it, the JVP `t *` it), `deflinear(fn, transpose)` a function linear in its
first argument (its JVP is `fn` itself), `defbilinear(fn, transpose_a, transpose_b)` a
product; `defvjp` and `defjvp` the rules that are none of these (`np.abs` of complex values).

State only what cannot be derived: a ufunc, a `math` function or a function registered
with `broadcasts=True` gets its kind and shape rule from what it is.  The facts are
`kind` (one of `registry.KIND_RULES`), `shape` (a rule of `rules/shape_facts.py`, or any
`rule(call) -> shape or None`), `pure`, `cheap`, `batched` (`rules/batched_rules.py`),
`elementwise_in`, `methods`/`attributes` (`x.sum()`, `x.T`), `view`, `fresh`, `real`,
`in_place` and `shift` (one of `registry.SHIFT_RULES`; see `Primitive`).  A callable without
derivative rules (`np.zeros`) may have facts too; `nondifferentiable` drops its rules and
keeps them.  `tests/test_records.py` checks that the records are complete and
consistent.""".split("\n")


def _name(fn):
    owner = getattr(fn, "__self__", None)
    if type(owner).__module__.startswith("scipy.stats"):   # norm.logpdf: a bound method
        return f"scipy.stats.{type(owner).__name__.removesuffix('_gen')}.{fn.__name__}"
    if isinstance(owner, np.ufunc):      # np.maximum.accumulate: a method of a ufunc
        return f"{_name(owner)}.{fn.__name__}"
    mod = getattr(fn, "__module__", None)
    if mod is None and type(fn).__name__ == "ufunc":
        # a ufunc names no module: NumPy's, or else SciPy's special functions (expit, jv)
        mod = "numpy" if getattr(np, fn.__name__, None) is fn else "scipy.special"
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", repr(fn))
    mod = {"_operator": "operator", "numpy._core.umath": "numpy"}.get(mod, mod)
    for public in ("scipy.special", "scipy.linalg"):     # their private submodules
        if mod and mod.startswith(public + "."):
            mod = public
    if mod and mod.startswith("s2s_ad.runtime."):
        mod = "s2s_ad.runtime"     # generated code reads every helper as `_ad.name`
    if mod and mod.startswith("scipy."):     # scipy.linalg._basic: the public scipy.linalg
        mod = ".".join(part for part in mod.split(".") if not part.startswith("_"))
    return f"{mod}.{name}" if mod else name


def _group(name):
    if name.startswith("s2s_ad.runtime"):
        return "runtime helpers"
    return name.split(".")[0]


OTHER_LIBRARIES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "docs", "other_libraries.json")


def _public_modules(package):
    """{name: module} of a package and its public submodules that import."""
    found = {package.__name__: package}
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        try:
            found[info.name] = importlib.import_module(info.name)
        # a submodule of NumPy or SciPy that fails to import here, whatever it raises (it
        # needs what is not installed, or fails on this Python): safe to skip, as it has no
        # callables to list; this only writes docs/rules.md, whose tables the tests compare
        except Exception:       # pragma: no cover
            continue
    return found


def _resolve(name):
    """The object NumPy or SciPy has under the dotted `name`, or None."""
    parts = name.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr, None)
        return obj
    return None


# Public functions of jax.numpy that take no array to an array (files, printing, dtypes): not
# among what JAX differentiates.
NOT_ARRAY_FUNCTIONS = {
    "save", "savez", "load", "fromfile", "frombuffer", "fromstring", "fromiter", "frompyfunc",
    "from_dlpack", "get_printoptions", "set_printoptions", "printoptions", "array_repr",
    "array_str", "can_cast", "promote_types", "result_type", "isdtype", "issubdtype",
    "iterable", "einsum_path", "show_config", "info", "iinfo", "finfo"}


def _mirrored(prefix, modules, keep):
    """The names, in NumPy/SciPy, of the public attributes of `modules` (under `prefix`:
    "autograd", "jax") that `keep(object)` accepts and that NumPy/SciPy have too."""
    names = set()
    for module_name, module in modules.items():
        for attr in dir(module):
            if attr.startswith("_") or attr in NOT_ARRAY_FUNCTIONS or \
                    not keep(getattr(module, attr, None)):
                continue
            name = f"{module_name[len(prefix) + 1:]}.{attr}"
            if callable(_resolve(name)) and not isinstance(_resolve(name), type):
                names.add(name)
    return sorted(names)


def _public_name(primitive):
    """The NumPy/SciPy name of the function an autograd primitive wraps (`fun`), found in its
    module or a public parent of it (scipy.linalg.sqrtm, from scipy.linalg._matfuncs_sqrtm)."""
    fn = getattr(primitive, "fun", None)
    module, name = getattr(fn, "__module__", None), getattr(fn, "__name__", None)
    if not isinstance(module, str) or not isinstance(name, str):
        return None
    parts = [p for p in module.split(".") if not p.startswith("_")]
    for cut in range(len(parts), 0, -1):
        candidate = ".".join(parts[:cut] + [name])
        if candidate.split(".")[0] in ("numpy", "scipy") and _resolve(candidate) is fn:
            return candidate
    return None


def refresh_other_libraries(path=OTHER_LIBRARIES):
    """Write the lists of what autograd and JAX differentiate (the module's docstring) to
    `path`, where both are installed; True if written."""
    try:
        import autograd.numpy
        import autograd.scipy
        from autograd.core import primitive_vjps
        import jax.numpy
        import jax.scipy
        from importlib.metadata import version
    except ImportError:
        return False
    with_vjp = {id(p) for p in primitive_vjps}
    autograd_modules = {**_public_modules(autograd.numpy), **_public_modules(autograd.scipy)}
    autograd_modules = {n: m for n, m in autograd_modules.items() if "numpy_" not in n}
    jax_modules = {**_public_modules(jax.numpy), **_public_modules(jax.scipy)}
    named = _mirrored("autograd", autograd_modules, lambda obj: id(obj) in with_vjp)
    named += [n for n in map(_public_name, primitive_vjps) if n is not None]   # (np.mean ...)
    data = {
        "autograd": {"version": version("autograd"), "differentiates": sorted(set(named))},
        "jax": {"version": version("jax"),
                "differentiates": _mirrored("jax", jax_modules, lambda obj: callable(obj) and
                                            not isinstance(obj, type))},
    }
    with open(path, "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")
    return True


def _other_libraries():
    """{library: (version, {object: its name there})} from the data file."""
    with open(OTHER_LIBRARIES) as f:
        data = json.load(f)
    found = {}
    for library, entry in data.items():
        objects = {}
        for name in entry["differentiates"]:
            obj = _resolve(name)
            try:
                objects.setdefault(obj, name)
            except TypeError:       # pragma: no cover - unhashable
                continue
        found[library] = (entry["version"], objects)
    return found


def _status(fn):
    """Does s2s_ad differentiate `fn`: "yes" (rules), "zero" (a zero derivative) or "no"."""
    try:
        if fn in RULES and not all(isinstance(r, Refused) for r in RULES[fn].vjps) or \
                fn in REWRITTEN:
            return "yes"
        return "zero" if fn in NONDIFFERENTIABLE else "no"
    except TypeError:               # pragma: no cover - unhashable
        return "no"


def comparison_totals(others=None):
    """{library: (version, callables it differentiates, {status: how many of them})}."""
    others = _other_libraries() if others is None else others
    totals = {}
    for library, (version, objects) in others.items():
        counts = {"yes": 0, "zero": 0, "no": 0}
        for obj in objects:
            counts[_status(obj)] += 1
        totals[library] = (version, len(objects), counts)
    return totals


def _comparison_lines(others):
    lines = ["## Compared with autograd and JAX", "",
             "The autograd and JAX columns below say whether those libraries differentiate a "
             "callable; a row", "whose VJP is no or zero is one only they differentiate.  Their "
             "lists are the data file", "`docs/other_libraries.json`, which the command above "
             "writes again first where autograd and", "JAX are installed (`pip install "
             "autograd \"jax[cpu]\"`; how: `s2s_ad/rules/coverage.py`).", ""]
    for library, (version, n, counts) in comparison_totals(others).items():
        lines.append(f"- {library} {version} differentiates {n} NumPy/SciPy callables: s2s_ad "
                     f"has rules for {counts['yes']}, a zero derivative for {counts['zero']}, "
                     f"nothing for {counts['no']}.")
    return lines + [""]


def coverage_table():
    others = _other_libraries()
    rows = {}
    library_nondiff = [f for f, origin in NONDIFFERENTIABLE.items() if origin != "user"]
    for fn, rule in RULES.items():
        if rule.origin == "user" or all(isinstance(r, Refused) for r in rule.vjps + rule.jvps):
            continue       # (np.r_, np.c_: calling forms refused, see numpy_misc_rules.py)
        name = _name(fn)
        diff = [i for i, r in enumerate(rule.vjps) if r is not None
                and not isinstance(r, Refused)]
        jvp = [i for i, r in enumerate(rule.jvps) if r is not None
               and not isinstance(r, Refused)]
        # arguments whose derivative is refused at the user's line (no closed form)
        refused = [str(i) for i, r in enumerate(rule.vjps) if isinstance(r, Refused)]
        rows[name] = (_group(name), ", ".join(map(str, diff)),
                      "yes" if diff else "no", "yes" if jvp == diff and jvp else "no",
                      ("broadcasts; " if rule.broadcasts else "") +
                      (f"refused in {', '.join(refused)}; " if refused else "") +
                      NOTES.get(name, ""), fn)
    n_rules = len(rows)
    for fn, note in REWRITTEN.items():
        rows[_name(fn)] = (_group(_name(fn)), "", "yes", "yes", "rewritten: " + note, fn)
    for library, (_, objects) in others.items():     # rows for what only they differentiate
        for obj, name in objects.items():
            if _status(obj) != "yes" and name not in rows:
                zero = "zero" if _status(obj) == "zero" else "no"
                rows[name] = (_group(name), "", zero, zero, "", obj)
    lines = ["# Derivative rules", "",
             "Generated by `python -m s2s_ad.rules.coverage > docs/rules.md`; do not edit.", "",
             f"{n_rules} callables with rules, {len(library_nondiff)} non-differentiable.",
             "Complex values follow the JAX convention (see `s2s_ad/rules/__init__.py`).", "",
             *ADDING_A_RULE, "", *_comparison_lines(others)]
    for group in sorted({r[0] for r in rows.values()}):
        lines += [f"## {group}", "",
                  "| callable | arguments | VJP | JVP | autograd | JAX | notes |",
                  "| --- | --- | --- | --- | --- | --- | --- |"]
        for name in sorted(n for n, r in rows.items() if r[0] == group):
            _, args, vjp, jvp, note, fn = rows[name]
            theirs = ["yes" if _known(fn, others[lib][1]) else "" for lib in ("autograd", "jax")]
            lines.append(f"| `{name}` | {args} | {vjp} | {jvp} | {' | '.join(theirs)} | "
                         f"{note.rstrip('; ')} |")
        lines.append("")
    lines += ["## Non-differentiable (zero derivative)", "",
              ", ".join(f"`{n}`" for n in sorted(_name(f) for f in library_nondiff)), ""]
    return "\n".join(lines)


def _known(fn, objects):
    try:
        return fn in objects
    except TypeError:               # pragma: no cover - unhashable
        return False


if __name__ == "__main__":
    if refresh_other_libraries():
        print(f"refreshed {OTHER_LIBRARIES}", file=sys.stderr)
    print(coverage_table(), end="")
