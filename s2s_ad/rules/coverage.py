"""The rule coverage table: `python -m s2s_ad.rules.coverage > docs/rules.md`.

One row per callable with rules (VJP and JVP per differentiable argument), notes on conventions
(tie splitting, domains), then the non-differentiable callables.
"""
import s2s_ad.rules  # noqa: F401  (registers every rule)
from s2s_ad.rules.registry import NONDIFFERENTIABLE, RULES, Refused, load_optional_rules

try:                      # the optional libraries' rules too, where installed
    import scipy.integrate  # noqa: F401
    import scipy.linalg  # noqa: F401
    import scipy.special  # noqa: F401
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
    "numpy.linalg.norm": "vector p-norms, inf (ties split), 'fro'; other matrix norms raise",
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
    "numpy.linalg.svd": "distinct singular values; reduced factors (square if full_matrices)",
    "numpy.linalg.qr": "mode='reduced', rows >= columns",
    "numpy.linalg.pinv": "full rank",
    "numpy.linalg.solve": "b is a vector iff b.ndim == 1 (NumPy 2)",
    "numpy.einsum": "string subscripts or index lists written in the call, up to 4 operands",
    "numpy.average": "weights differentiable; returned=True not covered",
    "numpy.histogram": "differentiable in weights only; density=False",
    "numpy.interp": "in x and fp; period not covered",
    "numpy.pad": "modes constant, edge, reflect, symmetric, wrap",
    "numpy.cov": "y=None; no fweights/aweights", "numpy.corrcoef": "y=None",
    "numpy.var": "real input", "numpy.std": "real input",
    "numpy.atleast_1d": "one array", "numpy.atleast_2d": "one array",
    "numpy.atleast_3d": "one array", "math.hypot": "two coordinates",
    "numpy.cross": "3-vectors", "numpy.convolve": "1-D real", "numpy.correlate": "1-D real",
    "scipy.special.logsumexp": "no b, no return_sign",
    "scipy.linalg.expm": "Frechet derivative by a block matrix; stacks too",
    "scipy.linalg.sqrtm": "a real matrix gets the real part of its cotangent; stacks too",
    "scipy.linalg.cho_factor": "reads the `lower` triangle; the other one passes through; real; stacks",
    "scipy.linalg.cho_solve": "in the factor tuple's matrix and in b; real",
    "scipy.linalg.lu_factor": "pivots constant (no ties); stacks too",
    "scipy.linalg.lu_solve": "in the factor tuple's matrix and in b; trans=2 of a complex factor: in b",
    "scipy.linalg.solve_banded": "in ab (its band) and b",
    "scipy.linalg.solve_sylvester": "stacks too",
    "scipy.linalg.solve_triangular": "trans 0/1; stacks too",
    "operator.pow": "d/db taken as 0 where a == 0", "numpy.power": "d/dx2 taken as 0 at x1 == 0",
}


ADDING_A_RULE = """\
## Adding a rule

Everything the compiler knows about one callable is one record, a `Primitive`
(`s2s_ad/rules/registry.py`), and every stage reads it there: the VJP and JVP rules
(reverse and forward mode), the kind and shape of the result (`analysis/kinds.py`,
`analysis/shapes.py`), whether a call is pure (the optimiser), whether reverse mode
computes it again instead of saving it, and its batched rules (`jacfwd`, `jacrev`).  A new
callable is one entry in the rule module of its library, next to its neighbours:

```python
defvjp(np.sinc, lambda g, ans, x: ...)
defjvp(np.sinc, lambda t, ans, x: ...)
deffacts(np.sinc, shape=shapes.like(0))   # the result has the shape of argument 0
```

State only what cannot be derived: a ufunc, a `math` function or a function registered
with `broadcasts=True` gets its kind and shape rule from what it is.  The facts are
`kind` (one of `registry.KIND_RULES`), `shape` (a rule of `rules/shape_facts.py`, or any
`rule(call) -> shape or None`), `pure`, `cheap`, `batched` (`rules/batched_rules.py`),
`elementwise_in`, `methods`/`attributes` (`x.sum()`, `x.T`), `view`, `fresh`, `real` and
`in_place` (see `Primitive`).  A callable without
derivative rules (`np.zeros`) may have facts too; `nondifferentiable` drops its rules and
keeps them.  `tests/test_records.py` checks that the records are complete and
consistent.""".split("\n")


def _name(fn):
    mod = getattr(fn, "__module__", None)
    if mod is None and hasattr(fn, "__class__") and type(fn).__name__ == "ufunc":
        mod = "numpy"
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", repr(fn))
    mod = {"_operator": "operator", "numpy._core.umath": "numpy",
           "scipy.special._ufuncs": "scipy.special"}.get(mod, mod)
    if mod and mod.startswith("s2s_ad.runtime."):
        mod = "s2s_ad.runtime"     # generated code reads every helper as `_ad.name`
    if mod and mod.startswith("scipy."):     # scipy.linalg._basic: the public scipy.linalg
        mod = ".".join(part for part in mod.split(".") if not part.startswith("_"))
    return f"{mod}.{name}" if mod else name


def _group(name):
    if name.startswith("s2s_ad.runtime"):
        return "runtime helpers"
    return name.split(".")[0]


def coverage_table():
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
        rows[name] = (_group(name), ", ".join(map(str, diff)),
                      "yes" if diff else "no", "yes" if jvp == diff and jvp else "no",
                      ("broadcasts; " if rule.broadcasts else "") + NOTES.get(name, ""))
    lines = ["# Derivative rules", "",
             "Generated by `python -m s2s_ad.rules.coverage > docs/rules.md`; do not edit.", "",
             f"{len(rows)} callables with rules, {len(library_nondiff)} non-differentiable.",
             "Complex values follow the JAX convention (see `s2s_ad/rules/__init__.py`).", "",
             *ADDING_A_RULE, ""]
    for group in sorted({r[0] for r in rows.values()}):
        lines += [f"## {group}", "", "| callable | arguments | VJP | JVP | notes |",
                  "| --- | --- | --- | --- | --- |"]
        for name in sorted(n for n, r in rows.items() if r[0] == group):
            _, args, vjp, jvp, note = rows[name]
            lines.append(f"| `{name}` | {args} | {vjp} | {jvp} | {note.rstrip('; ')} |")
        lines.append("")
    lines += ["## Non-differentiable (zero derivative)", "",
              ", ".join(f"`{n}`" for n in sorted(_name(f) for f in library_nondiff)), ""]
    return "\n".join(lines)


if __name__ == "__main__":
    print(coverage_table(), end="")
