"""`@ad.differentiate`: keep the function callable and give it its derivatives as attributes.

    @ad.differentiate                      # or @ad.differentiate(wrt=("w", "b"))
    def loss(w, b, x, y): ...

    loss(w, b, x, y); loss.grad(...); loss.value_and_grad(...); loss.vjp(...)
    loss.jvp(primals, tangents); loss.hessian(...); loss.hvp(..., v); loss.source("vjp")

Stage: public layer, over the transforms.  Input: the user's function and wrt.  Output: a
callable object with the function's transforms as attributes; `loss.source(mode)` is the text
of the `Derivative` ad.source reads (sources.py).
"""
import functools
import types

from s2s_ad import api
from s2s_ad import higher
from s2s_ad import sources


class Differentiable:
    """A function decorated with `@ad.differentiate`: callable as before, with its
    derivatives as attributes (see `ad.differentiate`)."""

    def __init__(self, fn, wrt=0, on_adjoint=None):
        functools.update_wrapper(self, fn)
        self.__s2s_ad_original__ = fn
        self.wrt = wrt
        self.on_adjoint = on_adjoint
        # the transforms themselves, not methods calling them: `loss.grad` has loss's
        # parameters and costs what ad.grad(loss) costs
        self.grad = api.grad(fn, wrt, on_adjoint=on_adjoint)
        self.value_and_grad = api.value_and_grad(fn, wrt, on_adjoint=on_adjoint)

    def __call__(self, *args, **kwargs):
        return self.__s2s_ad_original__(*args, **kwargs)

    def __get__(self, obj, owner=None):
        """A descriptor, as a function is: `M().f` (and `M.f` where f is a classmethod) is the
        method bound to its receiver, differentiable in the remaining parameters, so that
        `M().f.grad(3.0)` differentiates in `x` of `def f(self, x)`."""
        fn = self.__s2s_ad_original__
        if isinstance(fn, staticmethod):
            return self
        if isinstance(fn, classmethod):
            receiver = owner if owner is not None else type(obj)
            return Differentiable(types.MethodType(fn.__func__, receiver), self.wrt,
                                  self.on_adjoint)
        if obj is None:
            return self
        # the bound method keeps the hooks: without them `m.f.grad` would be another number
        return Differentiable(types.MethodType(fn, obj), self.wrt, self.on_adjoint)

    def vjp(self, *primals):
        """`ad.vjp(f, *primals, wrt=...)`: `(out, pullback)`."""
        return api.vjp(self.__s2s_ad_original__, *primals, wrt=self.wrt,
                       on_adjoint=self.on_adjoint)

    def jvp(self, primals, tangents):
        """`ad.jvp(f, primals, tangents)`: `(out, out_tangent)`."""
        return higher.jvp(self.__s2s_ad_original__, primals, tangents)

    def hessian(self, *args):
        """`ad.hessian(f, wrt)(*args)`: the Hessian at args."""
        return self._made("hessian", higher.hessian)(*args)

    def hvp(self, *args):
        """`ad.hvp(f, wrt)(*args, v)`: the Hessian at args times v."""
        return self._made("hvp", higher.hvp)(*args)

    def _made(self, name, transform):
        """The transform, made on first use (a hessian of several wrt arguments is refused
        when asked for, not when the function is decorated) and kept."""
        made = self.__dict__.get("_" + name)
        if made is None:
            made = self.__dict__["_" + name] = transform(self.__s2s_ad_original__, self.wrt)
        return made

    def source(self, mode="grad", example=None, standalone=False):
        """The generated source; `example` (a tuple of arguments) specialises it to them;
        `standalone=True` makes it a module that runs with NumPy alone."""
        return sources.source(self.__s2s_ad_original__, mode, self.wrt, example=example,
                              standalone=standalone)

    def __repr__(self):
        return f"<differentiable {self.__s2s_ad_original__.__qualname__}>"


def differentiate(fn=None, *, wrt=0, on_adjoint=None):
    """Decorator giving a function its derivatives as attributes.

    The decorated function is called as before, unchanged; `f.grad`, `f.value_and_grad`,
    `f.vjp`, `f.jvp`, `f.hessian`, `f.hvp` and `f.source` are the transforms of the same
    names applied to it with the decorator's wrt.  Used bare (`@ad.differentiate`) or with
    arguments (`@ad.differentiate(wrt=("w", "b"))`).  On a method, `obj.f.grad(x)`
    differentiates the method bound to obj.

    Args:
      fn: the function (given when used bare).
      wrt: the argument(s) every attribute differentiates with respect to: a position, a
        parameter name, or a tuple of them (default 0).
      on_adjoint: `{variable name: hook}` for `.grad`, `.value_and_grad` and `.vjp`, as in
        `ad.grad`.

    Returns:
      A callable `Differentiable` object wrapping fn (with its name and docstring):
      `f.grad(*args)` is `ad.grad(fn, wrt)(*args)`, `f.value_and_grad(*args)`,
      `f.vjp(*primals)` is `ad.vjp(fn, *primals, wrt=wrt)`, `f.jvp(primals, tangents)`,
      `f.hessian(*args)`, `f.hvp(*args, v)`, and `f.source(mode="grad", example=None,
      standalone=False)` is `ad.source(fn, mode, wrt, ...)`.  Without fn, the decorator.

    Example:
      >>> @ad.differentiate(wrt=("x", "y"))
      ... def f(x, y):
      ...     return x * x * y
      >>> f(3.0, 2.0)
      18.0
      >>> f.grad(3.0, 2.0)
      (12.0, 9.0)
      >>> f.value_and_grad(3.0, 2.0)
      (18.0, (12.0, 9.0))
      >>> print(f.source("grad").splitlines()[0])
      def f_grad(x, y):
    """
    if fn is None:
        return lambda f: Differentiable(f, wrt, on_adjoint)
    return Differentiable(fn, wrt, on_adjoint)
