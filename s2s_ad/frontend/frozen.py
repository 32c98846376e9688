"""Frozen scipy.stats distributions as calls of the distribution's own methods.

    frozen_as_unfrozen(node, resolve) -> whether it rewrote any call

`stats.norm(mu, s)` freezes the distribution with its parameters; the frozen object's
methods call the distribution's with them: `frozen.logpdf(x)` is
`stats.norm.logpdf(x, mu, s)`, the method the rule table has rules for.  So the function is
rewritten to call that method directly, and mu and s are differentiated like any argument:

    d = st.norm(loc=mu, scale=s)          _d_loc = mu
    y = d.logpdf(x) + d.cdf(0.0)    ->    _d_scale = s
                                          y = st.norm.logpdf(x, loc=_d_loc, scale=_d_scale)
                                              + st.norm.cdf(0.0, loc=_d_loc, scale=_d_scale)
    st.norm(0.0, s).pdf(x)          ->    st.norm.pdf(x, 0.0, s)

(the parameters computed once, where the distribution was frozen).  A name is rewritten
only where the function assigns it once, in a statement of its body's top level, and uses it
only to call these methods: a point method (pdf, logpdf, cdf, ..., pmf) with the point
alone, or mean, var, std, median, entropy with no argument.  Any other use (the frozen object
passed on, stored, given a seed) leaves the code as it is, where differentiating the
distribution's parameters is refused at the call.
"""
import gast

from s2s_ad.base import syntax as S
from s2s_ad.base.naming import taken_fresh

POINT_METHODS = frozenset({"pdf", "logpdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf",
                           "pmf", "logpmf"})
PLAIN_METHODS = frozenset({"mean", "var", "std", "median", "entropy"})
# keywords of a freezing call that the methods do not take
_NOT_PARAMETERS = frozenset({"seed", "random_state"})


def frozen_as_unfrozen(node, resolve):
    """Rewrite the frozen distributions of `node` (see the module's docstring);
    `resolve(name, default)` gives the object a free name is bound to."""
    local = set(S.names_in(node, gast.Store)) | set(S.names_in(node, gast.Param))
    found = False
    for call in [n for n in S.walk(node) if _method_call(n)]:
        freeze = call.func.value
        if isinstance(freeze, gast.Call) and _freezes(freeze, resolve, local):
            _unfreeze(call, freeze.func, freeze.args, freeze.keywords)
            found = True
    taken = set(S.names_in(node))
    for stmt in list(node.body):
        name = _frozen_name(stmt, resolve, local)
        if name is None:
            continue
        uses = [n for n in S.walk(node) if isinstance(n, gast.Name) and n.id == name
                and isinstance(n.ctx, gast.Load)]
        calls = [n for n in S.walk(node) if _method_call(n) and
                 isinstance(n.func.value, gast.Name) and n.func.value.id == name]
        if len(uses) != len(calls) or sum(
                1 for n in S.walk(node) if isinstance(n, gast.Name) and n.id == name
                and not isinstance(n.ctx, gast.Load)) != 1:
            continue
        before, args, keywords = _parameters(stmt.value, name, taken)
        k = next(i for i, s in enumerate(node.body) if s is stmt)   # (earlier ones grew)
        node.body[k:k + 1] = [gast.copy_location(s, stmt) for s in before]
        for call in calls:
            _unfreeze(call, stmt.value.func, args, keywords)
        found = True
    return found


def _method_call(n):
    """A call `<value>.method(...)` of a method in the forms rewritten."""
    if not isinstance(n, gast.Call) or not isinstance(n.func, gast.Attribute):
        return False
    if n.keywords or any(isinstance(a, gast.Starred) for a in n.args):
        return False
    method = n.func.attr
    return (method in POINT_METHODS and len(n.args) == 1) or \
        (method in PLAIN_METHODS and not n.args)


def _freezes(call, resolve, local):
    """Is `call` a call of a scipy.stats distribution object, freezing it?"""
    if any(isinstance(a, gast.Starred) for a in call.args) or \
            any(k.arg is None or k.arg in _NOT_PARAMETERS for k in call.keywords):
        return False
    func, chain = call.func, []
    while isinstance(func, gast.Attribute):
        chain.append(func.attr)
        func = func.value
    if not isinstance(func, gast.Name) or func.id in local:
        return False
    obj = resolve(func.id, None)
    for attr in reversed(chain):
        obj = getattr(obj, attr, None)
    # a distribution object (stats.norm, stats.multivariate_normal): callable, with a density
    return not isinstance(obj, type) and callable(obj) and \
        type(obj).__module__.startswith("scipy.stats") and \
        (hasattr(obj, "logpdf") or hasattr(obj, "logpmf"))


def _frozen_name(stmt, resolve, local):
    """`d` of a statement `d = <distribution>(...)`, or None."""
    if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and \
            isinstance(stmt.targets[0], gast.Name) and isinstance(stmt.value, gast.Call) and \
            _freezes(stmt.value, resolve, local):
        return stmt.targets[0].id
    return None


def _parameters(call, name, taken):
    """The statements computing the freezing call's arguments into new names, and those
    names as positional arguments and keywords."""
    before, args, keywords = [], [], []
    for i, a in enumerate(call.args):
        temp = taken_fresh(f"_{name}_{i}", taken)
        before.append(S.assign(temp, a))
        args.append(temp)
    for k in call.keywords:
        temp = taken_fresh(f"_{name}_{k.arg}", taken)
        before.append(S.assign(temp, k.value))
        keywords.append((k.arg, temp))
    return before, [S.load(a) for a in args], [gast.keyword(arg=k, value=S.load(t))
                                               for k, t in keywords]


def _unfreeze(call, distribution, args, keywords):
    """Turn `frozen.method(*point)` into `distribution.method(*point, *args, **keywords)`."""
    call.func = gast.Attribute(value=S.clone(distribution), attr=call.func.attr,
                               ctx=gast.Load())
    call.args = list(call.args) + [S.clone(a) for a in args]
    call.keywords = [gast.keyword(arg=k.arg, value=S.clone(k.value)) for k in keywords]
