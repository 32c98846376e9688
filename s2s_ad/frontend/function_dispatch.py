"""Calls of functions kept as data: an `if` over the functions that can be there.

    dispatch(values, ex, call, ...)   the call's result; an `if` to fill in, in the prelude
    fill(values)                      fill in every one, once every value kept is known

Stage: front end, for function_values (see there): a function kept in a list or dict is data
(a module-level function itself, a local one the tuple `(tag, *values)`), and its call

    if f is np.tanh:   r = np.tanh(v)
    elif f[0] == 0:    _k = f[1]; r = <the lambda's body inlined, its k bound to _k>
    else:              _ad.raise_exception(TypeError(...))

where each arm is one function that can take the call's arguments; the `else` raises
Python's TypeError where one that cannot is there, and fails loudly should a function this
module did not follow be there (it is never one of the others by default).
"""
import inspect

import gast
import numpy as np

from s2s_ad.base import syntax as S
from s2s_ad.frontend.function_kinds import Partial, Static


def dispatch(values, ex, node, func, args, keywords, prelude, options=None):
    if isinstance(func, gast.Name):
        held = func.id
    else:
        held = ex.namer.fresh("_fn")
        prelude.append(gast.copy_location(S.assign(held, func), node))
    args = [_once(ex, a, prelude, node) for a in args]
    keywords = [gast.keyword(arg=k.arg, value=_once(ex, k.value, prelude, node))
                for k in keywords]
    result = ex.namer.fresh("_called")
    placeholder = gast.copy_location(gast.If(test=S.const(True), body=[], orelse=[]), node)
    values.pending.append((placeholder, ex, held, args, keywords, result, node, options))
    prelude.append(placeholder)
    return S.load(result)

def _once(ex, node, prelude, origin):
    if S.is_atom(node):
        return node
    name = ex.namer.fresh("_arg")
    prelude.append(gast.copy_location(S.assign(name, node), origin))
    return S.load(name)

def fill(values):
    """Fill in every dispatch, now that every value kept as data is known."""
    filled = 0
    while values.pending:
        placeholder, ex, held, args, keywords, result, node, options = values.pending.pop(0)
        known = len(values.tags)
        if options is None:
            options = list(values.statics.values()) + list(values.tags)
        able = [v for v in options if fits(values, ex, v, len(args), {k.arg for k in keywords})]
        if not able:
            raise values.error(node, "none of the functions that can be called here takes "
                                   "these arguments", "Pass each function its parameters.")
        arms = []
        for value in able:
            body, renames = [], {}
            if not isinstance(value, Static):
                for k, name in enumerate(values.environment(ex, value)):
                    renames[name] = ex.namer.fresh(f"{name}_held")
                    body.append(S.assign(renames[name],
                                         S.item(held, S.const(k + 1))))
            got = values.call_value(ex, value, S.clone(args), S.clone(keywords), body, node,
                                  renames)
            body.append(S.assign(result, got))
            if isinstance(value, Static):
                test = gast.Compare(left=S.load(held), ops=[gast.Is()],
                                    comparators=[S.clone(value.node)])
            else:
                test = gast.Compare(left=S.item(held, S.const(0)), ops=[gast.Eq()],
                                    comparators=[S.const(values.tags.index(value))])
            arms.append((test, S.located(body, node)))
        _fill(placeholder, arms, node)
        filled += 1
        if len(values.tags) != known:
            raise values.error(node, "a function kept in a list or dict makes another one "
                                   "that is kept the same way",
                             "Call the maker where its result is used.")
    return filled

def fits(values, ex, value, count, keywords):
    """Can `value` take `count` positional arguments and these keywords?"""
    if isinstance(value, Partial):
        return fits(values, ex, value.func, count + len(value.args),
                         keywords | {k for k, _ in value.keywords})
    if isinstance(value, Static):
        if isinstance(value.obj, np.ufunc):
            return value.obj.nin <= count <= value.obj.nargs
        try:
            inspect.signature(value.obj).bind(*range(count), **dict.fromkeys(keywords))
        except TypeError:
            return False
        except ValueError:
            return True
        return True
    args = ex.functions[value.name].args
    params = [a.id for a in args.args]
    kwonly = [a.id for a in args.kwonlyargs]
    if count > len(params) or keywords - set(params[count:] + kwonly):
        return False
    defaults = ex.functions[value.name].default_names
    return all(p in defaults or p in keywords for p in params[count:] + kwonly)


def _fill(placeholder, arms, origin):
    """The placeholder `if` becomes `if t0: b0 elif t1: b1 ... else: <raise>`: the `else`
    raises the TypeError Python would where the function there cannot take the call's
    arguments (it was left out), and fails loudly should a function be there that this
    module did not follow."""
    message = S.const("s2s_ad: the function called here is not one that takes these "
                      "arguments among those it followed")
    raises = S.call("_ad.raise_exception", S.call("TypeError", message))
    last = [S.located(gast.Expr(value=raises), origin)]
    node = None
    for test, body in reversed(arms):
        node = S.located(gast.If(test=test, body=body, orelse=last), origin)
        last = [node]
    placeholder.test, placeholder.body, placeholder.orelse = node.test, node.body, node.orelse
