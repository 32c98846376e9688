"""`np.piecewise` as the pieces it puts together, which the transforms follow.

    piecewise_as_pieces(node, resolve) -> whether it rewrote any call

np.piecewise(x, condlist, funclist) calls each function of funclist on the elements of x where
its condition holds, so its derivative is that of the functions the user wrote: the call is
rewritten, in the statement that holds it, as

    y = np.piecewise(x, [x < 0, x >= 0], [lambda z: z ** 2, np.sin])
->
    _piecewise_x = _ad.as_array(x)
    _piecewise_masks = _ad.piecewise_masks([x < 0, x >= 0], 2)
    _piecewise = _ad.piecewise_start(_piecewise_x)
    _piecewise_f0 = lambda z: z ** 2
    _piecewise = _ad.piecewise_place(_piecewise, _piecewise_masks[0],
                                     _piecewise_f0(_piecewise_x[_piecewise_masks[0]]))
    _piecewise = _ad.piecewise_place(_piecewise, _piecewise_masks[1],
                                     np.sin(_piecewise_x[_piecewise_masks[1]]))
    y = _piecewise

(`piecewise_place(y, mask, v)` is y with v written at mask, a new array: no write in place, so
second derivatives follow it in loops too)

(with the extra arguments of np.piecewise passed on to each function, and a constant in
funclist written as it is).  Only calls with condlist and funclist written as lists or tuples
in the call and each function a lambda, a constant or a name bound to a function
outside the function are rewritten; the others stay calls of np.piecewise, which has no rules
(refused where differentiated).  A call inside a lambda, a comprehension, a conditional
expression or a boolean operator stays as it is: hoisting it out of there would run it when
the code would not.
"""
import numbers

import gast
import numpy as np

from s2s_ad.base import syntax as S
from s2s_ad.base.naming import taken_fresh

_DEFERRED = (gast.Lambda, gast.ListComp, gast.SetComp, gast.DictComp, gast.GeneratorExp,
             gast.IfExp, gast.BoolOp)


def piecewise_as_pieces(node, resolve):
    """Rewrite every call of np.piecewise that a statement of `node` makes (see the module's
    docstring); `resolve(name, default)` gives the object a free name is bound to."""
    taken = set(S.names_in(node))
    found = False
    for stmt in list(S.statements(node)):
        for part in ("body", "orelse"):
            block = getattr(stmt, part, None)
            if not isinstance(block, list):
                continue
            k = 0
            while k < len(block):
                call = _piecewise_call(block[k], resolve)
                if call is None:
                    k += 1
                    continue
                before = _pieces(call, resolve, taken)
                if before is None:
                    k += 1
                    continue
                block[k:k] = [gast.copy_location(s, block[k]) for s in before]
                found = True
    return found


def _piecewise_call(stmt, resolve):
    """The first call of np.piecewise that `stmt` always runs, not yet rewritten."""
    if not isinstance(stmt, (gast.Assign, gast.AugAssign, gast.Return, gast.Expr)):
        return None
    pending = [stmt.value] if stmt.value is not None else []
    while pending:
        sub = pending.pop()
        if isinstance(sub, _DEFERRED):
            continue
        if isinstance(sub, gast.Call) and _resolved(sub.func, resolve) is np.piecewise and \
                not getattr(sub, "_piecewise_refused", False):
            return sub
        pending.extend(gast.iter_child_nodes(sub))
    return None


def _resolved(func, resolve):
    """The object a name or dotted name (`np.piecewise`) is bound to, or None."""
    chain = []
    while isinstance(func, gast.Attribute):
        chain.append(func.attr)
        func = func.value
    if not isinstance(func, gast.Name):
        return None
    obj = resolve(func.id, None)
    for attr in reversed(chain):
        obj = getattr(obj, attr, None)
    return obj


def _pieces(call, resolve, taken):
    """The statements computing the call's value into a new name, which then replaces the call
    in its statement; None (the call marked, to be left) for a form not rewritten."""
    if len(call.args) < 3 or call.keywords or \
            not isinstance(call.args[1], (gast.List, gast.Tuple)) or \
            not isinstance(call.args[2], (gast.List, gast.Tuple)) or \
            any(isinstance(a, gast.Starred) for a in call.args):
        call._piecewise_refused = True
        return None
    x, conds, funcs, extra = call.args[0], call.args[1].elts, call.args[2].elts, call.args[3:]
    kinds = [_kind(f, resolve) for f in funcs]
    if None in kinds:
        call._piecewise_refused = True
        return None
    out, masks = taken_fresh("_piecewise", taken), taken_fresh("_piecewise_masks", taken)
    # x computed once, as an array (np.piecewise of a number gives a 0-d array)
    name = taken_fresh("_piecewise_x", taken)
    stmts = [S.assign(name, S.call("_ad.as_array", x))]
    x = S.load(name)
    # the extra arguments computed once too, then passed to each function
    named = []
    for k, a in enumerate(extra):
        if isinstance(a, (gast.Name, gast.Constant)):
            named.append(a)
        else:
            temp = taken_fresh(f"_piecewise_arg{k}", taken)
            stmts.append(S.assign(temp, a))
            named.append(S.load(temp))
    extra = named
    stmts += [S.assign(masks, S.call("_ad.piecewise_masks", gast.List(elts=list(conds),
                                                                     ctx=gast.Load()),
                                    S.const(len(funcs)))),
             S.assign(out, S.call("_ad.piecewise_start", S.load(x.id)))]
    for k, (f, kind) in enumerate(zip(funcs, kinds)):
        mask = S.item(masks, S.const(k))
        if kind == "constant":
            value = f
        else:
            if kind == "lambda":
                name = taken_fresh(f"_piecewise_f{k}", taken)
                stmts.append(S.assign(name, f))
                f = S.load(name)
            value = gast.Call(func=f, args=[S.item(x.id, S.clone(mask))]
                              + [S.clone(a) for a in extra], keywords=[])
        stmts.append(S.assign(out, S.call("_ad.piecewise_place", S.load(out), mask, value)))
    _replace(call, S.load(out))
    return stmts


def _kind(f, resolve):
    """"lambda", "function" (a name or dotted name bound to a callable), "constant" (a number
    written in the call or bound to a name), or None."""
    if isinstance(f, gast.Lambda):
        return "lambda"
    if isinstance(f, gast.Constant) and isinstance(f.value, numbers.Number):
        return "constant"
    if isinstance(f, gast.UnaryOp) and isinstance(f.operand, gast.Constant):
        return "constant"
    obj = _resolved(f, resolve) if isinstance(f, (gast.Name, gast.Attribute)) else None
    if callable(obj):
        return "function"
    return "constant" if isinstance(obj, numbers.Number) else None


def _replace(call, new):
    """Turn the node `call` into `new` in place (its parent keeps pointing at it)."""
    call.__class__ = new.__class__
    call.__dict__.clear()
    call.__dict__.update(new.__dict__)
