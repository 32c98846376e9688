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
        return api.vjp(self.__s2s_ad_original__, *primals, wrt=self.wrt,
                       on_adjoint=self.on_adjoint)

    def jvp(self, primals, tangents):
        return higher.jvp(self.__s2s_ad_original__, primals, tangents)

    def hessian(self, *args):
        return self._made("hessian", higher.hessian)(*args)

    def hvp(self, *args):
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
    """Decorator; `@differentiate` or `@differentiate(wrt=...)`.  `on_adjoint` (hooks on the
    adjoints of named variables, see ad.grad) holds for .grad, .value_and_grad and .vjp."""
    if fn is None:
        return lambda f: Differentiable(f, wrt, on_adjoint)
    return Differentiable(fn, wrt, on_adjoint)
