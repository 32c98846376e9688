"""Iteration: what a `for` loop walks, and the range loop that walks it by position.

    walked_kinds(node, walks) -> (names known to hold dicts, names known to hold sequences)
    Iteration(namer, dicts, sequences).range_loop(loop) -> (before, range(...), (index, steps))

Stage: front end, read by control_flow (desugar's lowering of `for` loops).
Input: the user's function as source-level gast and, for a `for` loop, its iterable.
Output: which names hold dicts or lists (where that is known), and for each loop the statements
before it, the range it runs over, and the statements that bind its target at each step.
"""

import gast

from s2s_ad.base import syntax as S


def walked_kinds(node, walks):
    """(the names known to hold dicts, the names known to hold lists, tuples or arrays) where
    a `for` loop walks them: the parameters and module-level values that `walks` says are
    ("keys") or are not ("items") dicts, unless the function assigns them, and the locals
    that every assignment gives a dict or a list or tuple.  A loop over any other value asks
    at run time (Iteration._either_sequence).  `*args` is a tuple and `**kwargs` a dict."""
    args = node.args
    if walks is None:       # generic code: the parameters are numbers or arrays
        walks = {a.id: "items" for a in args.posonlyargs + args.args + args.kwonlyargs}
    walks = dict(walks)
    if args.vararg is not None:
        walks[args.vararg.id] = "items"
    if args.kwarg is not None:
        walks[args.kwarg.id] = "keys"
    assigned = {sub.id for sub in S.walk(node) if isinstance(sub, gast.Name) and
                isinstance(sub.ctx, (gast.Store, gast.Del))}
    dicts = {n for n, how in walks.items() if how == "keys" and n not in assigned}
    sequences = {n for n, how in walks.items() if how == "items" and n not in assigned}
    return _known(node, dicts, _makes_dict), _known(node, sequences, _makes_sequence)


def _known(node, known, makes):
    """`known`, and the locals every assignment gives a value `makes` accepts or a name
    already known (`ys = items`, as the comprehensions and higher-order calls local_defs
    expands leave them: `ys = _list`), to a fixed point."""
    while True:
        more = known | _locals_made_by(
            node, lambda value: makes(value) or (isinstance(value, gast.Name) and
                                                 value.id in known))
        if more == known:
            return known
        known = more


def _makes_dict(value):
    """A display, a comprehension, a call of dict."""
    return isinstance(value, (gast.Dict, gast.DictComp)) or S.is_call(value, "dict")


def _makes_sequence(value):
    """A list or tuple display (or one joined or repeated: `items + [v]`, `[0.0] * n`), a list
    comprehension (local_defs makes it a list it appends to), list(...), tuple(...),
    sorted(...), range(...), `_ad.sorted_order(...)`, a slice (`x[1:]`)."""
    if isinstance(value, gast.Subscript):
        return isinstance(value.slice, gast.Slice)
    if isinstance(value, gast.BinOp):
        return isinstance(value.left, (gast.List, gast.Tuple)) or \
            isinstance(value.right, (gast.List, gast.Tuple))
    return isinstance(value, (gast.List, gast.Tuple, gast.ListComp)) or \
        any(S.is_call(value, f) for f in ("list", "tuple", "sorted", "range")) or \
        _is_runtime_call(value, "sorted_order")


def _is_runtime_call(node, name):
    """A call of the runtime's `_ad.name` (what the higher-order rewrites emit)."""
    return isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) and \
        node.func.attr == name and isinstance(node.func.value, gast.Name) and \
        node.func.value.id == "_ad"


def _locals_made_by(node, makes):
    """The names that every assignment in `node` gives a value `makes` accepts (or, in place,
    joins one to); not parameters, whose values come from the caller."""
    made, plain = set(), set()
    for sub in S.walk(node):
        if isinstance(sub, gast.Assign) and len(sub.targets) == 1 and \
                isinstance(sub.targets[0], gast.Name) and makes(sub.value):
            made.add(sub.targets[0].id)
            plain.add(id(sub.targets[0]))
        if isinstance(sub, gast.AugAssign) and isinstance(sub.target, gast.Name) and \
                makes(sub.value):       # `items += [v]`, `d |= {k: v}`: the same kind
            plain.add(id(sub.target))
    other = {sub.id for sub in S.walk(node) if isinstance(sub, gast.Name) and
             isinstance(sub.ctx, (gast.Store, gast.Param, gast.Del)) and id(sub) not in plain}
    return made - other


class Iteration:
    """How one `for` loop walks what it iterates over: by position, in a range loop.  A dict
    walked (or a value that may be one) has its keys listed before the loop; `walked` holds
    (the dict, its keys' name) for each, whose size the loop may check (_ad.check_walked)."""

    def __init__(self, namer, dicts=(), sequences=()):
        self.namer = namer
        self.dicts = dicts                # names known to hold dicts
        self.sequences = sequences        # names known to hold lists, tuples or arrays
        self.walked = []

    def range_loop(self, s):
        """(statements before the loop, a range(...) expression, (index name, per-step stmts))."""
        it = s.iter
        target = s.target
        if S.is_call(it, "range"):
            if isinstance(target, gast.Name):
                return [], it, (target.id, [])
            idx = self.namer.fresh("_i")
            return [], it, (idx, [S.located(S.assign(target, S.load(idx)), s)])
        idx = self.namer.fresh("_i")
        if S.is_call(it, "enumerate"):
            pre, length, item = self._elements(it.args[0], s)
            start = it.args[1] if len(it.args) > 1 else S.const(0)
            index_value = S.load(idx) if isinstance(start, gast.Constant) and start.value == 0 \
                else gast.BinOp(left=S.load(idx), op=gast.Add(), right=start)
            items = self._unpack(target, [index_value, item(lambda: S.load(idx))], s)
        elif S.is_call(it, "zip"):
            pre, length, item = self._elements(it, s)
            items = self._unpack(target, item(lambda: S.load(idx)).elts, s)
        else:
            pre, length, item = self._elements(it, s)
            element = item(lambda: S.load(idx))
            items = self._unpack(target, element.elts, s) if isinstance(element, gast.Tuple) \
                else [S.located(S.assign(target, element), s)]
        return pre, S.call("range", length), (idx, items)

    def _elements(self, node, s):
        """(statements, the number of elements, item) (see _sequence) for what a for
        loop or enumerate iterates over: a sequence, reversed(...), or zip(...) of them (whose
        element is the tuple of theirs, as long as the shortest)."""
        if not S.is_call(node, "zip"):
            pre, seq, item = self._sequence(node, s)
            return pre, S.call("len", S.load(seq)), item
        pre, lens, items = [], [], []
        for arg in node.args:
            pre_s, seq, item = self._sequence(arg, s)
            pre += pre_s
            lens.append(S.call("len", S.load(seq)))
            items.append(item)
        length = lens[0] if len(lens) == 1 else S.call("min", *lens)
        return pre, length, lambda at: S.tuple_([item(at) for item in items])

    def _sequence(self, node, s):
        """(statements, name of the sequence, item) for an iterable, where item(at) is the
        expression of the element at the position `at()` gives (a new node at each call)."""
        if S.is_call(node, "reversed") and len(node.args) == 1:
            pre, seq, forwards = self._sequence(node.args[0], s)

            def back(at):
                last = gast.BinOp(left=S.call("len", S.load(seq)), op=gast.Sub(), right=S.const(1))
                return gast.BinOp(left=last, op=gast.Sub(), right=at())
            return pre, seq, lambda at: forwards(lambda: back(at))
        view = _dict_view(node, self.dicts)
        if view is not None:
            return self._dict_sequence(*view, s)
        seq, pre = self._as_name(node, s)
        if seq in self.sequences or _makes_sequence(node):
            return pre, seq, lambda at: gast.Subscript(value=S.load(seq), slice=at(),
                                                       ctx=gast.Load())
        return self._either_sequence(seq, pre, s)

    def _dict_sequence(self, mapping, view, s):
        """A dict is iterated over its keys, as Python does: its keys are listed once, before
        the loop, and `.values()` and `.items()` read the dict at each key."""
        name, pre = self._as_name(mapping, s)
        keys = self.namer.fresh("_keys")
        pre = pre + [S.located(S.assign(keys, S.call("_ad.keys_of", S.load(name))), s)]
        self.walked.append((name, keys))

        def item(at):
            key = gast.Subscript(value=S.load(keys), slice=at(), ctx=gast.Load())
            value = gast.Subscript(value=S.load(name), slice=S.clone(key), ctx=gast.Load())
            return {"keys": key, "values": value, "items": S.tuple_([key, value])}[view]
        return pre, keys, item

    def _either_sequence(self, seq, pre, s):
        """A value that may be a dict or a list (a module-level value, a closure's, what a
        call returns, an attribute): its keys are listed once, before the loop (None for
        anything but a dict).  A dict gives its keys (`_keys[i]`, with a zero derivative),
        anything else its items by position (`seq[i]`); both have `len(seq)` of them."""
        keys = self.namer.fresh("_keys")
        pre = pre + [S.located(S.assign(keys, S.call("_ad.keys_of", S.load(seq))), s)]
        self.walked.append((seq, keys))

        def item(at):
            by_position = gast.Subscript(value=S.load(seq), slice=at(), ctx=gast.Load())
            by_key = gast.Subscript(value=S.load(keys), slice=at(), ctx=gast.Load())
            is_list = gast.Compare(left=S.load(keys), ops=[gast.Is()],
                                   comparators=[S.const(None)])
            return gast.IfExp(test=is_list, body=by_position, orelse=by_key)
        return pre, seq, item

    def _as_name(self, node, s):
        if isinstance(node, gast.Name):
            return node.id, []
        name = self.namer.fresh("_seq")
        return name, [S.located(S.assign(name, node), s)]

    def _unpack(self, target, values, s):
        if isinstance(target, gast.Tuple) and len(target.elts) == len(values):
            return [S.located(S.assign(t, v), s) for t, v in zip(target.elts, values)]
        return [S.located(S.assign(target, S.tuple_(values)), s)]


def _dict_view(node, dicts):
    """(the dict, "keys" | "values" | "items") for `d`, where d is known to be a dict, and for
    `d.keys()`, `d.values()`, `d.items()`; else None."""
    if isinstance(node, gast.Name) and node.id in dicts:
        return node, "keys"
    if isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) and \
            node.func.attr in ("keys", "values", "items") and not node.args and \
            not node.keywords:
        return node.func.value, node.func.attr
    return None
