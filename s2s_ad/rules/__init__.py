"""Derivative rule tables, one module per library; importing this package registers them all.

    operator_rules       Python operators and numeric builtins
    math_rules           the real functions of `math`
    numpy_ufunc_rules    elementwise NumPy functions
    numpy_reduce_rules   reductions and scans (sum mean max var cumsum norm ...)
    numpy_shape_rules    reshaping, assembling, splitting, selecting
    numpy_product_rules  products, einsum, vecdot, matvec
    numpy_linalg_rules   np.linalg's matrix functions
    numpy_norm_rules     np.linalg.vector_norm and cond
    numpy_poly_rules     polynomials (polyder polyint polyadd polysub polymul) and vander
    numpy_misc_rules     complex, FFT, statistics, and the non-differentiable NumPy functions
    scipy_rules          scipy.special and scipy.linalg.solve_triangular: loaded when the
                         program has imported SciPy and a callable is first looked up
    scipy_linalg_rules   scipy.linalg's expm, sqrtm, factorisations and solvers: likewise,
                         once scipy.linalg is imported; scipy_linalg_dense_rules the
                         functions np.linalg has too (cholesky, solve, svd ...)
    scipy_stats_rules    the scipy.stats distributions, once scipy.stats is imported:
                         continuous ones here, discrete and multivariate ones in
                         scipy_stats_discrete_rules, stated through scipy_stats_forms
    scipy_integrate_rules   refusals of scipy.integrate's ODE solvers, once it is imported
    runtime_rules        the runtime helpers generated code calls (`_ad.*`)
    shape_facts          shape rules of results (`deffacts(fn, shape=...)`)
    batched_rules        batched rules shared by several callables (matrix products)
    coverage             `python -m s2s_ad.rules.coverage > docs/rules.md`

Each callable has one record (`registry.Primitive`): its rules, and the facts the other stages
read (`deffacts`: kind and shape of the result, purity, cost, batched rules), stated together in
its library's module; docs/rules.md says how to add one.

Each derivative is written once (`registry.defelementwise`, `deflinear`, `defbilinear`); the
rules they make have the signatures below like any other.

Rule signatures (see `registry`): VJP `rule_i(g, ans, *args, **kwargs)` returns the cotangent of
positional argument i; JVP `rule_i(t, ans, *args, **kwargs)` returns the tangent of the result
caused by the tangent `t` of argument i.  Rules are written with NumPy's parameter names and
defaults, so a call binds to a rule exactly as it binds to the function.

Complex numbers follow JAX's convention.  For a real-valued loss L and z = x + iy, the
cotangent of z is dL/dx - i dL/dy, and for a holomorphic f the VJP is g * f'(z) with no
conjugation (the JVP is t * f'(z)).  So the rules of real functions serve complex inputs
unchanged, linear maps use their plain transpose (the DFT is symmetric: the VJP of `fft` is an
`fft`), `conj` maps g to conj(g), `real` passes g, `imag` gives -1j*g, and |z| gives
g*conj(z)/|z|.  A real argument receives the real part of its cotangent; for broadcasting
(elementwise) rules the compiler takes that real part when it reduces the cotangent to the
argument's shape.  To get the usual gradient dL/dx + i dL/dy, conjugate the result.

float32: rules use Python scalars (weak under NumPy 2 promotion) and no float64 constants, so
float32 inputs give float32 derivatives wherever NumPy itself keeps float32.
"""
from s2s_ad.rules.registry import (NONDIFFERENTIABLE, PRIMITIVES, RULES, defbilinear,
                                   defelementwise, deffacts, defjvp, deflinear, defvjp,
                                   is_nondifferentiable, load_optional_rules, lookup,
                                   nondifferentiable, primitive)
from s2s_ad.rules import (math_rules, numpy_linalg_rules, numpy_misc_rules,  # noqa: F401
                          numpy_norm_rules, numpy_poly_rules,
                          numpy_product_rules,
                          numpy_reduce_rules, numpy_shape_rules, numpy_ufunc_rules,
                          operator_rules, runtime_rules, statement_rules)

__all__ = ["defvjp", "defjvp", "defelementwise", "deflinear", "defbilinear", "deffacts",
           "nondifferentiable", "lookup", "primitive",
           "is_nondifferentiable", "load_optional_rules", "RULES", "PRIMITIVES",
           "NONDIFFERENTIABLE"]
