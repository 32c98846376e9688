"""s2s_ad: source-to-source automatic differentiation for Python and NumPy.

    import s2s_ad as ad
    ad.grad(f)(x)                 # gradient, by generated reverse-mode code
    print(ad.source(f, "grad"))   # the code that computes it

Stage: the public layer's front door.  Input: the user's imports.  Output: the API of API.md,
re-exported from api, higher, sources, decorator and check, and the user's rule registrations.
"""
from s2s_ad import rules as _rules  # noqa: F401  (registers every derivative rule)
from s2s_ad import runtime as _runtime
from s2s_ad.api import clear_cache, grad, stop_gradient, value_and_grad, vjp
from s2s_ad.check import check_grads
from s2s_ad.decorator import differentiate
from s2s_ad.debug import adjoints, tangents
from s2s_ad.sources import source
from s2s_ad.graph import graph
from s2s_ad.higher import hessian, hvp, jacfwd, jacrev, jvp
from s2s_ad.base.errors import (BadArgumentError, DifferentiationError, NonDifferentiableCallError,
                     SourceUnavailableError, UnsupportedSyntaxError)
from s2s_ad.rules import registry as _registry

_registry.nondifferentiable(_runtime.grad_seed, _runtime.check_assertion, stop_gradient,
                            _runtime.raise_exception, _runtime.formatted,
                            _runtime.push_errstate, _runtime.pop_errstate,
                            _runtime.sorted_order, _runtime.index_of_min,
                            _runtime.index_of_max, _runtime.aux_pair)


def _checked(register, fn, rules, what):
    """Register the user's rules after checking them (a rule that is not callable fails at
    every use, a rule list of only None says nothing), then forget every compiled derivative:
    code built before may have differentiated `fn`'s source, or used its former rules."""
    if not callable(fn):
        raise BadArgumentError(f"ad.{what}: {fn!r} is not callable")
    for i, rule in enumerate(rules):
        if rule is not None and not callable(rule):
            raise BadArgumentError(
                f"ad.{what}({getattr(fn, '__name__', fn)}, ...): the rule for argument {i + 1} "
                f"is {rule!r}, not a function",
                hint="Give a function (a lambda) per argument, or None for an argument that "
                     "is not differentiated.")
    if not any(rule is not None for rule in rules):
        raise BadArgumentError(
            f"ad.{what}({getattr(fn, '__name__', fn)}, ...) gives no rule for any argument",
            hint=f"Give a rule for each differentiated argument; for a function whose "
                 f"derivative is zero, use ad.nondifferentiable({getattr(fn, '__name__', 'f')}).")
    register()
    clear_cache()
    return fn


def defvjp(fn, *rules, broadcasts=False):
    """Register reverse-mode (VJP) rules for a function: one rule per argument.

    Wherever fn is called in differentiated code (and for `ad.grad(fn)` itself), s2s_ad
    uses these rules instead of differentiating fn's source, or for a function without
    source (a C extension).  Rules are ordinary functions, so they can be called and tested
    (`ad.check_grads`); the compiler inlines their bodies into the generated code, renaming
    their parameters to the caller's variables.  Forward mode (`ad.jvp`, `ad.jacfwd`) needs a
    JVP rule too (`ad.defjvp`).  Registering replaces fn's former VJP rules and forgets every
    compiled derivative.

    Args:
      fn: the function the rules are for.
      *rules: `rule_i(g, ans, *args, **kwargs)` for each positional argument i of fn, in
        order, returning the cotangent of argument i given the cotangent g of fn's result,
        the result `ans` and fn's arguments.  `None` marks an argument as not
        differentiable; a differentiated argument past the last rule is refused where it is
        differentiated.
      broadcasts: True for an elementwise function: each rule returns the cotangent in the
        result's shape, and s2s_ad sums it down to the argument's shape.  By default each
        rule returns the cotangent in its argument's shape itself: s2s_ad does not reshape
        it, so for an argument that fn broadcasts, sum it down in the rule or pass True.
        The derivative checks the shape of what such a rule returns as it runs
        (`_ad.rule_result`): another shape stops it with a DifferentiationError.

    Returns:
      fn.

    Raises:
      BadArgumentError: when fn or a rule is not callable, or every rule is None.

    Example:
      >>> def softplus(x):
      ...     return np.log(1.0 + np.exp(x))
      >>> _ = ad.defvjp(softplus, lambda g, ans, x: g / (1.0 + np.exp(-x)))
      >>> print(ad.grad(softplus)(0.0))
      0.5
      >>> [line.strip() for line in ad.source(softplus).splitlines() if "x_bar =" in line]
      ["x_bar = _ad.rule_result(out_bar / (1.0 + np.exp(-x)), x, 'the VJP rule of softplus')"]
    """
    return _checked(lambda: _registry.defvjp(fn, *rules, broadcasts=broadcasts, origin="user"),
                    fn, rules, "defvjp")


def defjvp(fn, *rules, broadcasts=False):
    """Register forward-mode (JVP) rules for a function: one rule per argument.

    The forward-mode counterpart of `ad.defvjp`, used by `ad.jvp`, `ad.jacfwd`,
    `ad.hessian`, `ad.hvp` and wherever s2s_ad differentiates fn in forward mode.  The
    tangent of fn's result is the sum of what each rule returns.  Registering replaces fn's
    former JVP rules and forgets every compiled derivative.

    Args:
      fn: the function the rules are for.
      *rules: `rule_i(t, ans, *args, **kwargs)` for each positional argument i of fn,
        returning the tangent of fn's result caused by the tangent t of argument i (given
        the result `ans` and fn's arguments).  `None` marks an argument as not
        differentiable.
      broadcasts: True for an elementwise function, as for `ad.defvjp`.  Without it, each
        rule's tangent must have the result's shape (checked as the derivative runs).

    Returns:
      fn.

    Raises:
      BadArgumentError: when fn or a rule is not callable, or every rule is None.

    Example:
      >>> def softplus(x):
      ...     return np.log(1.0 + np.exp(x))
      >>> _ = ad.defjvp(softplus, lambda t, ans, x: t / (1.0 + np.exp(-x)))
      >>> out, out_dot = ad.jvp(softplus, (0.0,), (2.0,))
      >>> print(f"{out:.4f} {out_dot:.4f}")
      0.6931 1.0000
    """
    return _checked(lambda: _registry.defjvp(fn, *rules, broadcasts=broadcasts, origin="user"),
                    fn, rules, "defjvp")


def defelementwise(fn, *partials, broadcasts=False):
    """Register both modes of a function from one partial derivative per argument.

    For a function whose derivative is a product elementwise (np.tanh, a softplus): the VJP
    of argument i is `g * partial_i(...)` and its JVP `t * partial_i(...)`, so the derivative
    is written once.  Written in differentiable calls (np.exp, not a helper without rules),
    the partials give second derivatives too: the compiler inlines them and differentiates
    them again.  Registering replaces fn's former rules and forgets every compiled derivative.

    Args:
      fn: the function the rules are for.
      *partials: `partial_i(ans, *args, **kwargs)` for each positional argument i of fn,
        returning d fn / d args[i] given the result `ans` and fn's arguments; `None` marks an
        argument as not differentiable.
      broadcasts: True when an argument may have fewer elements than the result (its
        cotangent is then summed to its shape), as for `ad.defvjp`.

    Returns:
      fn.

    Raises:
      BadArgumentError: when fn or a partial is not callable, or every partial is None.

    Example:
      >>> def softplus(x):
      ...     return np.log(1.0 + np.exp(x))
      >>> _ = ad.defelementwise(softplus, lambda ans, x: 1.0 / (1.0 + np.exp(-x)))
      >>> print(f"{ad.grad(softplus)(0.0):.4f} {ad.hessian(softplus)(0.0):.4f}")
      0.5000 0.2500
    """
    return _checked(lambda: _registry.defelementwise(fn, *partials, broadcasts=broadcasts,
                                                     origin="user"),
                    fn, partials, "defelementwise")


def deflinear(fn, transpose=None):
    """Register both modes of a function linear in its first argument.

    The other arguments are parameters (a shape, axes).  The JVP is fn itself applied to the
    tangent; the VJP is the transpose (adjoint) map.  Registering replaces fn's former rules
    and forgets every compiled derivative.

    Args:
      fn: the function, linear in its first argument.
      transpose: `transpose(g, ans, *args, **kwargs)`, the cotangent of the first argument
        given the result's cotangent g; None when fn is its own transpose (a flip, a
        symmetric matrix product), in which case fn's own signature names the parameters.

    Returns:
      fn.

    Raises:
      BadArgumentError: when fn or transpose is not callable.

    Example:
      >>> def reverse(x):
      ...     return x[::-1]
      >>> _ = ad.deflinear(reverse)
      >>> print(ad.grad(lambda x: np.sum(reverse(x) * np.arange(3.0)))(np.ones(3)))
      [2. 1. 0.]
    """
    return _checked(lambda: _registry.deflinear(fn, transpose, origin="user"), fn,
                    (transpose or fn,), "deflinear")


def defbilinear(fn, transpose_a, transpose_b):
    """Register both modes of a product: a function linear in each of its first two arguments.

    `fn(a, b, ...)` is linear in a for a fixed b and in b for a fixed a (a matrix product, a
    weighted outer product).  The JVPs are `fn(t, b, ...)` and `fn(a, t, ...)`; the VJPs are
    the two transposes.  Registering replaces fn's former rules and forgets every compiled
    derivative.

    Args:
      fn: the function, bilinear in its first two arguments.
      transpose_a: `transpose_a(g, ans, a, b, ...)`, the cotangent of a given the result's
        cotangent g.
      transpose_b: `transpose_b(g, ans, a, b, ...)`, the cotangent of b.

    Returns:
      fn.

    Raises:
      BadArgumentError: when fn or a transpose is not callable.

    Example:
      >>> def times(a, b):
      ...     return a @ b
      >>> _ = ad.defbilinear(times, lambda g, ans, a, b: g @ b.T,
      ...                    lambda g, ans, a, b: a.T @ g)
      >>> A, x = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([1.0, -1.0])
      >>> print(ad.grad(lambda x: np.sum(times(A, x) ** 2))(x))
      [ -8. -12.]
    """
    return _checked(lambda: _registry.defbilinear(fn, transpose_a, transpose_b, origin="user"),
                    fn, (transpose_a, transpose_b), "defbilinear")


def nondifferentiable(*fns):
    """Declare that calls to each of the given functions have a zero derivative.

    s2s_ad then neither reads their source nor asks for rules: their results are constants
    to every mode, as if wrapped in `ad.stop_gradient` (integer-valued helpers, random
    draws, logging).  Any rules registered for them before are dropped, and every compiled
    derivative is forgotten.

    Args:
      *fns: the functions.

    Returns:
      The function given, or the tuple of them for several, so that it can be used as a
      decorator.

    Example:
      >>> @ad.nondifferentiable
      ... def rounded(x):
      ...     return np.round(x)
      >>> def f(x):
      ...     return x * rounded(x)
      >>> print(ad.grad(f)(2.2))
      2.0
    """
    found = _registry.nondifferentiable(*fns, origin="user")
    clear_cache()
    return found

def register_pytree(cls, fields, rebuild=None):
    """Declare which attributes of a class's instances carry derivatives.

    The derivative with respect to such an object is then an instance of the same class,
    holding the derivative of each field; its other attributes are those of the argument,
    copied unchanged.  Namedtuples, dataclasses and objects whose `__dict__` holds their
    data need no registration: use it for classes with `__slots__`, or to leave attributes
    out.  Registering forgets every compiled derivative.

    Args:
      cls: the class.
      fields: the names of the attributes that carry derivatives.
      rebuild: `rebuild(obj, {name: value})` returning an instance like obj with those
        fields set to the values; by default a shallow copy of obj with them set.

    Returns:
      cls, so that it can be used after the class statement or on it.

    Raises:
      BadArgumentError: when cls is not a class.

    Example:
      >>> class Affine:
      ...     __slots__ = ("w", "b", "name")
      ...     def __init__(self, w, b, name):
      ...         self.w, self.b, self.name = w, b, name
      >>> _ = ad.register_pytree(Affine, ("w", "b"))
      >>> def loss(p, x):
      ...     return np.sum((p.w * x + p.b) ** 2)
      >>> g = ad.grad(loss)(Affine(np.array([1.0, 2.0]), 0.5, "layer"), np.array([1.0, -1.0]))
      >>> print(type(g).__name__, g.w, g.b, g.name)
      Affine [3. 3.] 0.0 layer
    """
    if not isinstance(cls, type):
        raise BadArgumentError(f"ad.register_pytree: {cls!r} is not a class")
    _runtime.register_pytree(cls, fields, rebuild)
    clear_cache()
    return cls


__all__ = ["grad", "value_and_grad", "vjp", "jvp", "jacfwd", "jacrev", "hessian", "hvp",
           "source", "graph", "adjoints", "tangents", "differentiate", "check_grads",
           "clear_cache", "defvjp", "defjvp", "defelementwise", "deflinear", "defbilinear",
           "stop_gradient", "nondifferentiable",
           "register_pytree", "DifferentiationError", "UnsupportedSyntaxError",
           "NonDifferentiableCallError", "SourceUnavailableError", "BadArgumentError"]
__version__ = "0.1.0"
