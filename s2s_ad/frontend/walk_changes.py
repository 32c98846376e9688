"""Walk changes: whether the body of a `for` loop changes what the loop walks.

    changed_sequences(loop)   -> the lists it walks whose length its body changes
    changed_as_lists(loop)    -> the names its body changes as only a list can be changed
    may_change_walked(loop, fn) -> whether its body may change the size of a dict it walks

Stage: front end, read by control_flow (desugar's lowering of `for` loops).
Input: a `for` loop of the user's function (source-level gast), and the function.
Output: the facts above: a list that grows is walked as Python walks it (by position, its
length read at each step), a dict whose size may change is checked (`_ad.check_walked`).
"""

import gast

from s2s_ad.base import syntax as S


_LIST_CHANGES = {"append", "extend", "insert", "pop", "remove", "clear"}


def changed_sequences(loop):
    """The names of the lists `loop` walks (`items` in `for x in items`, `enumerate(items)`,
    `reversed(items)`, `zip(items, ...)`) whose length its body changes (`items.append(v)`,
    `items += [v]`, `del items[0]`)."""
    walked, todo = set(), [loop.iter]
    while todo:
        node = todo.pop()
        if isinstance(node, gast.Name):
            walked.add(node.id)
        elif any(S.is_call(node, f) for f in ("enumerate", "reversed", "zip")):
            todo.extend(node.args)
    changed = set()
    for sub in S.walk(gast.Module(body=loop.body, type_ignores=[])):
        if isinstance(sub, gast.Call) and isinstance(sub.func, gast.Attribute) and \
                sub.func.attr in _LIST_CHANGES and isinstance(sub.func.value, gast.Name):
            changed.add(sub.func.value.id)
        if isinstance(sub, gast.AugAssign) and isinstance(sub.target, gast.Name):
            changed.add(sub.target.id)
        if isinstance(sub, gast.Delete):
            changed.update(t.value.id for t in sub.targets
                           if isinstance(t, gast.Subscript) and isinstance(t.value, gast.Name))
    return walked & changed


def changed_as_lists(loop):
    """The names `loop`'s body changes in a way only a list can be (`items.append(v)`,
    `items += [v]`): a dict would raise there, as in Python."""
    names = set()
    for sub in S.walk(gast.Module(body=loop.body, type_ignores=[])):
        if isinstance(sub, gast.Call) and isinstance(sub.func, gast.Attribute) and \
                sub.func.attr in ("append", "extend", "insert", "remove") and \
                isinstance(sub.func.value, gast.Name):
            names.add(sub.func.value.id)
        if isinstance(sub, gast.AugAssign) and isinstance(sub.target, gast.Name) and \
                isinstance(sub.op, (gast.Add, gast.Mult)):
            names.add(sub.target.id)
    return names

# Methods that leave a dict (or a list, a tuple, an array) as it is, and callees that change
# none of their arguments: calling them does not make the dict a loop walks grow or shrink
_READING_METHODS = {"get", "keys", "values", "items", "copy", "count", "index", "__getitem__",
                    "__contains__", "__len__"}


_READING_CALLS = {"len", "list", "tuple", "sorted", "sum", "min", "max", "abs", "float", "int",
                  "bool", "str", "repr", "isinstance", "range", "enumerate", "zip", "reversed",
                  "print", "any", "all"}


_READING_MODULES = {"np", "numpy", "math", "_ad"}     # (_ad: the runtime of generated code)


def may_change_walked(loop, fn):
    """May the body of `loop` (of the function `fn`), which walks a dict, change its size?
    Only then is `_ad.check_walked` needed.  It may where it stores into, deletes from, or
    calls a method other than a reading one of any name that may be the dict or hold it
    (_may_share), or passes such a name to a call other than a reading one (a user's function
    may write into its parameter); and, for a dict that is not only the function's own (a
    module's, a closure's, an attribute's, or one a nested function sees), at any call other
    than a reading one."""
    same, holders = _may_share(_loaded([loop.iter]) - _callees(loop.iter), fn)
    names = same | holders
    own = _only_local(names, fn)
    body = gast.Module(body=loop.body, type_ignores=[])
    for sub in S.walk(body):
        if isinstance(sub, (gast.Assign, gast.AugAssign, gast.AnnAssign, gast.Delete)):
            targets = sub.targets if isinstance(sub, (gast.Assign, gast.Delete)) else [sub.target]
            if any(not isinstance(t, gast.Name) and _root(t) in names for t in targets):
                return True
        if isinstance(sub, gast.Call):
            method_of = _root(sub.func.value) if isinstance(sub.func, gast.Attribute) else None
            if method_of in names and sub.func.attr not in _READING_METHODS:
                return True
            passed = gast.Tuple(elts=sub.args + [k.value for k in sub.keywords], ctx=gast.Load())
            if not _reading_call(sub) and (not own or _holds(passed, same, holders)):
                return True
    return False


def _may_share(names, fn):
    """(same, holders): `names` and every name of `fn` assigned (or looped over) what may be
    the dict they name, and the names that may hold it, to a fixed point.  An item
    of the dict itself (`v = d[k]`) is neither; an item of what may hold it (`e = pair[0]`) is
    taken for both."""
    same, holders = set(names), set()
    pairs, loops = [], []
    for sub in S.walk(fn):
        if isinstance(sub, (gast.Assign, gast.AugAssign, gast.AnnAssign)) and sub.value is not None:
            targets = sub.targets if isinstance(sub, gast.Assign) else [sub.target]
            pairs.append((sub.value, {_root(t) for t in targets} - {None}))
        elif isinstance(sub, (gast.For, gast.comprehension)):
            loops.append((sub.iter, _stored(sub.target)))
        elif isinstance(sub, gast.NamedExpr):
            pairs.append((sub.value, _stored(sub.target)))
        elif isinstance(sub, gast.Call) and isinstance(sub.func, gast.Attribute) and \
                sub.func.attr not in _READING_METHODS and \
                _root(sub.func.value) not in _READING_MODULES:
            # `lst.append(d)`: lst may hold it
            pairs.append((gast.Tuple(elts=sub.args, ctx=gast.Load()), {_root(sub.func.value)}))
    grew = True
    while grew:
        grew = False
        for value, assigned in pairs:
            assigned = assigned - {None}
            if isinstance(value, gast.Name) and value.id in same and not assigned <= same:
                same |= assigned       # another name for it (its items are still not it)
                grew = True
            elif _holds(value, same, holders) and not assigned <= holders:
                holders |= assigned
                grew = True
        for iterated, assigned in loops:
            if _items_may_be(iterated, same, holders) and not assigned <= holders:
                holders |= assigned      # what a loop takes from a holder may be the dict
                grew = True
    return same, holders


def _items_may_be(iterated, same, holders):
    """May what a loop takes from `iterated` be the dict (or hold it)?  The keys, values and
    items of the dict itself are not it; what `enumerate`, `zip` ... give, as their
    arguments' items."""
    if isinstance(iterated, gast.Name):
        return iterated.id in holders
    if isinstance(iterated, gast.Call) and isinstance(iterated.func, gast.Attribute) and \
            iterated.func.attr in _READING_METHODS and isinstance(iterated.func.value, gast.Name):
        return iterated.func.value.id in holders
    if isinstance(iterated, gast.Call) and isinstance(iterated.func, gast.Name) and \
            iterated.func.id in ("enumerate", "zip", "reversed", "sorted", "list", "tuple"):
        return any(_items_may_be(a, same, holders) for a in iterated.args)
    return _holds(iterated, same, holders)


def _holds(value, same, holders):
    """May `value` be (or hold) the dict: does it read a name in `same` other than through an
    index (`d[k]`, an item) or as the argument of a reading call (`sorted(d)`, `np.sum(d)`:
    what those give holds at most items), or a name in `holders` at all?"""
    indexed = {id(n.value) for n in S.walk(value) if isinstance(n, gast.Subscript)}
    indexed |= {id(a) for n in S.walk(value) if isinstance(n, gast.Call) and _reading_call(n)
                for a in n.args}
    return any(isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load) and
               (n.id in holders or (n.id in same and id(n) not in indexed))
               for n in S.walk(value))


def _only_local(names, fn):
    """Are all `names` the function's own (parameters or assigned in it), none of them seen
    by a nested function or lambda (which a call might run)?"""
    params = {a.id for a in S.walk(fn.args) if isinstance(a, gast.Name)}
    assigned = set()
    for sub in S.walk(fn):
        if isinstance(sub, (gast.Global, gast.Nonlocal)) and names & set(sub.names):
            return False
        if sub is not fn and isinstance(sub, (gast.FunctionDef, gast.Lambda)) and \
                _loaded([sub]) & names:
            return False
        if isinstance(sub, gast.Name) and isinstance(sub.ctx, gast.Store):
            assigned.add(sub.id)
    return names <= params | assigned


def _callees(node):
    """The names called in `node` (`enumerate` of `enumerate(d)`, `np` of `np.sort(d)`), not
    values walked (`d` of `d.items()` is)."""
    calls = [n.func for n in S.walk(node) if isinstance(n, gast.Call)]
    return {f.id for f in calls if isinstance(f, gast.Name)} | \
        {_root(f) for f in calls if _root(f) in _READING_MODULES}


def _reading_call(call):
    func = call.func
    if isinstance(func, gast.Name):
        return func.id in _READING_CALLS
    return _root(func) in _READING_MODULES


def _root(node):
    """The name `a` of `a`, `a[i]`, `a.b[i]`, else None."""
    while isinstance(node, (gast.Subscript, gast.Attribute, gast.Starred)):
        node = node.value
    return node.id if isinstance(node, gast.Name) else None


def _loaded(nodes):
    return {n.id for node in nodes for n in S.walk(node)
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)}


def _stored(target):
    return {n.id for n in S.walk(target) if isinstance(n, gast.Name)}
