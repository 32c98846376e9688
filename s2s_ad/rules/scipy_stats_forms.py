"""How the scipy.stats rules are stated (scipy_stats_rules.py, scipy_stats_discrete_rules.py):
one derivative expression per argument, in the cotangent or tangent `seed`, made into the VJP
rule (seed `g`) and the JVP rule (seed `t`) of a distribution's method.
"""
import linecache
import re
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from s2s_ad import runtime as _ad
from s2s_ad.rules.registry import Refused, deffacts, defjvp, defvjp


def _rule(name, seed, params, body, cells):
    """The rule `def name(seed, ans, *params): *body` (lines, the last a return), reading the
    objects `cells` (name -> object) as free names.  Its text goes into linecache, so the
    compiler reads and inlines it like a rule written in a file."""
    names = sorted(cells)
    text = (f"def _outer({', '.join(names)}):\n"
            f"    def {name}({seed}, ans, {', '.join(params)}):\n" +
            "".join(f"        {line}\n" for line in body) +
            f"    return {name}\n")
    filename = f"<s2s_ad rule {name}>"
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    scope = {"np": np, "special": special, "stats": stats, "_ad": _ad}
    exec(compile(text, filename, "exec"), scope)
    return scope["_outer"](*(cells[n] for n in names))


@dataclass
class Contracted:
    """A partial derivative as body lines (the last an expression) in `seed` of each mode:
    `vjp` gives the cotangent of the argument from the cotangent of the result, `jvp` the
    tangent of the result from the argument's tangent.  The lines before the last may compute
    the partial derivative once for both (`d = ...`)."""
    vjp: object
    jvp: object

    def times_density(self):
        """The derivative of exp(f), the density `ans`, from this one of f = log density."""
        vjp = [re.sub(r"\bseed\b", "(seed * ans)", line) for line in _lines(self.vjp)]
        jvp = _lines(self.jvp)
        return Contracted(vjp, jvp[:-1] + [f"ans * ({jvp[-1]})"])


def _lines(body):
    return [body] if isinstance(body, str) else list(body)


def _rules(fn, params, derivatives, cells, broadcasts=True):
    """Register both modes' rules of `fn` (a bound method taking `params`, as written with
    their defaults) from one derivative per argument: rule body lines in the cotangent or
    tangent `seed` (a string: one expression), None (zero) or a Refused.  The VJP rule is the
    body with `seed` named g, the JVP rule the same body with it named t.  A function whose
    result does not broadcast with its arguments contracts a partial derivative differently
    in the two modes: its entry is then a Contracted."""
    label = f"{type(fn.__self__).__name__.removesuffix('_gen')}_{fn.__name__}"
    vjps, jvps = [], []
    for i, body in enumerate(derivatives):
        if body is None or isinstance(body, Refused):
            vjps.append(body)
            jvps.append(body)
            continue
        if not isinstance(body, Contracted):
            body = Contracted(body, body)
        for seed, mode, rules, lines in (("g", "vjp", vjps, body.vjp), ("t", "jvp", jvps, body.jvp)):
            lines = _lines(lines)
            lines[-1] = "return " + lines[-1]
            text = [re.sub(r"\bseed\b", seed, line) for line in lines]
            rules.append(_rule(f"{label}_{mode}{i}", seed, params, text, cells))
    defvjp(fn, *vjps, broadcasts=broadcasts)
    defjvp(fn, *jvps, broadcasts=broadcasts)
    deffacts(fn, kind="num", pure=True)


def _shape_derivatives(dist, method, shapes, functions, template, point, cells):
    """The derivative of each shape of `dist.method`: `template` with `{d}` its function in
    `functions` at `point` (the function made the free name `d_<shape>` in `cells`), or a
    Refused where that is None."""
    s = "".join(f", {name}" for name in shapes)
    out = []
    for name, function in zip(shapes, functions):
        if function is None:
            out.append(Refused(
                f"the derivative of {dist.name}.{method} in {name} has no closed form",
                f"Pass {name} as a constant (or wrap it in ad.stop_gradient)."))
            continue
        cells[f"d_{name}"] = function
        out.append(template.format(d=f"d_{name}({point}{s})"))
    return out
