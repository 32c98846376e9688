"""Desugar: rewrite the user's function into a smaller Python subset, still as source-level AST.

    desugar(node, namer) -> node

After this pass the body contains no augmented assignment, no `break`/`continue`, no loop `else`,
at most one `return` (the last statement), only `for NAME in range(...)` loops, and
`while NAME:` loops whose condition variable is recomputed at the end of the body:

    for x in xs: ...            ->  for _i in range(len(xs)): x = xs[_i]; ...
    for i, x in enumerate(xs)   ->  for _i in range(len(xs)): i = _i; x = xs[_i]; ...
    for a, b in zip(xs, ys)     ->  for _i in range(min(len(xs), len(ys))): a = xs[_i]; ...
    for k in d (a dict)         ->  _keys = _ad.keys_of(d); for _i in range(len(_keys)): k = _keys[_i]
    for v in s (dict or list?)  ->  _keys = _ad.keys_of(s)  (None for a list); for _i in
                                    range(len(s)): v = s[_i] if _keys is None else _keys[_i]
    for i, (a, b) in enumerate(zip(xs, ys)), zip(reversed(xs), ys): the same, combined
    while c: ...                ->  _c = c; while _c: ...; _c = c
    a loop with break/return    ->  a `while` loop over the range, with a flag in its condition
    return inside a branch      ->  `_retval = ...; _returned = True`, the rest guarded by
                                    `if not _returned:`
    -a * b, a / -b              ->  -(a * b), -(a / b): so `-a * a` is a square
    a, b = e1, e2               ->  a = e1; b = e2 where e1 and e2 read neither a nor b

Every name this pass invents comes from the namer, so it never collides with the user's.
"""

import gast

from s2s_ad.base import syntax as S


def desugar(node, namer, error=None, shared=None, in_place=(), walks=None):
    """`shared`, a list, receives the `x += v` statements whose x may share an array with
    another name read later (for the transforms to refuse where x is an array).  `in_place`
    names the parameters known to be arrays of a called function: there `p += v` writes into
    the caller's array, and becomes `p[...] = p + v`.  `walks` says how a `for` loop walks the
    parameters (and module-level values) whose kinds are known: "keys" for a dict, "items"
    (by position) for anything else; None for generic code, whose parameters are numbers or
    arrays.  See _walks."""
    _CallStatements(namer).visit(node)
    if shared is not None:
        shared.extend(_augmented_aliases(node))
    _SignsOutOfProducts().visit(node)
    dicts, sequences = _walks(node, walks)
    lowering = _Lowering(namer, in_place, dicts, sequences, error, node)
    body = lowering.block(node.body, in_loop=None)
    if lowering.ret_name is not None:
        body = [S.assign(lowering.ret_name, S.const(None)),
                S.assign(lowering.returned, S.const(False))] + body + \
               [gast.Return(value=S.load(lowering.ret_name))]
    elif not body or not isinstance(body[-1], gast.Return):
        body.append(gast.Return(value=S.const(None)))
    node.body = body
    return node


_IN_PLACE_OPERATORS = {
    "__iadd__": gast.Add, "__isub__": gast.Sub, "__imul__": gast.Mult, "__itruediv__": gast.Div,
    "__ifloordiv__": gast.FloorDiv, "__imod__": gast.Mod, "__ipow__": gast.Pow,
    "__imatmul__": gast.MatMult, "__iand__": gast.BitAnd, "__ior__": gast.BitOr,
    "__ixor__": gast.BitXor, "__ilshift__": gast.LShift, "__irshift__": gast.RShift}


class _CallStatements(gast.NodeTransformer):
    """The statements `a.__setitem__(i, v)` and `a.__iadd__(v)` (and the other in-place
    operators) are `a[i] = v` and `a += v`: the same change of `a`, written so that the passes
    after this one see it as a write (`a += v` as `a = a + v`, or refused where another name
    shares a's array).  Used as a value (`r = a.__iadd__(v)`), such a call is a method call
    that changes its object: refused where it matters (Analysed.refuse_unfollowed_changes).
    The statement `lst.pop()` binds the item it drops to a name, whose adjoint the reverse
    sweep gives back to the list's adjoint (a zero, as the item is not read)."""

    def __init__(self, namer):
        self.namer = namer

    def visit_Expr(self, node):
        call = node.value
        if not (isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute) and
                isinstance(call.func.value, (gast.Name, gast.Subscript)) and
                not call.keywords and not any(isinstance(a, gast.Starred) for a in call.args)):
            return node
        method, receiver = call.func.attr, call.func.value
        if method == "pop" and not call.args and isinstance(receiver, gast.Name):
            return S.located(S.assign(self.namer.fresh("_dropped"), call), node)
        if method == "__setitem__" and len(call.args) == 2:
            target = gast.Subscript(value=receiver, slice=call.args[0], ctx=gast.Store())
            return S.located(S.assign(target, call.args[1]), node)
        if method in _IN_PLACE_OPERATORS and len(call.args) == 1:
            target = S.clone(receiver)
            for sub in S.walk(target):
                if hasattr(sub, "ctx"):
                    sub.ctx = gast.Load()
            target.ctx = gast.Store()
            return S.located(gast.AugAssign(target=target, op=_IN_PLACE_OPERATORS[method](),
                                           value=call.args[0]), node)
        return node


class _SignsOutOfProducts(gast.NodeTransformer):
    """`-a * b` -> `-(a * b)`, and likewise `a * -b`, `-a / b`, `a / -b`: the same value, since
    negation is exact and rounding is symmetric.  A square `-a * a` is then seen as one (its
    derivative is `-2 * a`, not the product rule of two different operands `-a` and `a`).  A
    negative literal stays where it is (`-2.0 * x` is one multiplication)."""

    def visit_BinOp(self, node):
        self.generic_visit(node)
        if not isinstance(node.op, (gast.Mult, gast.Div)):
            return node
        negations = 0
        for side in ("left", "right"):
            operand = getattr(node, side)
            if isinstance(operand, gast.UnaryOp) and isinstance(operand.op, gast.USub) and \
                    not isinstance(operand.operand, gast.Constant):
                setattr(node, side, operand.operand)
                negations += 1
        if negations % 2 == 0:
            return node
        return gast.copy_location(gast.UnaryOp(op=gast.USub(), operand=node), node)


def _separate_assignments(s):
    """`a, b = e1, e2` where neither e1 nor e2 reads a or b: the same as `a = e1; b = e2`,
    which needs no tuple (and differentiated again, no tuple of derivatives)."""
    if not (isinstance(s, gast.Assign) and len(s.targets) == 1 and
            isinstance(s.targets[0], gast.Tuple) and isinstance(s.value, gast.Tuple) and
            len(s.targets[0].elts) == len(s.value.elts) and
            all(isinstance(t, gast.Name) for t in s.targets[0].elts)):
        return False
    names = {t.id for t in s.targets[0].elts}
    return len(names) == len(s.targets[0].elts) and names.isdisjoint(S.names_in(s.value))


def _augmented_aliases(node):
    """`x += v` on an array changes it in place, so a name sharing x's array would change too.

    s2s_ad rewrites `x += v` as `x = x + v`, which is the same unless another name that refers
    to the same array is read afterwards; that case is refused rather than differentiated
    differently.  (For numbers, `+=` always makes a new value, but the types are not known here.)
    """
    found = []
    loops = [n for n in S.statements(node) if isinstance(n, (gast.For, gast.While))]

    def inside(loop, target):
        return any(n is target for n in S.statements(loop))

    copies = []     # (name, other name, the statement that makes them share memory)
    for sub in S.statements(node):
        for name, other in _sharing(sub):
            if name != other:
                copies += [(name, other, sub), (other, name, sub)]
    for sub in S.statements(node):
        if not (isinstance(sub, gast.AugAssign) and isinstance(sub.target, gast.Name)):
            continue
        here = (sub.lineno, sub.col_offset)
        enclosing = [loop for loop in loops if inside(loop, sub)]
        # names made to share x's array before this statement (or earlier in its loop)
        sharing = {other for name, other, stmt in copies if name == sub.target.id and (
            (stmt.lineno, stmt.col_offset) < here or any(inside(l, stmt) for l in enclosing))}
        for other in sorted(sharing):
            reads = [n for n in S.walk(node) if isinstance(n, gast.Name) and n.id == other
                     and isinstance(n.ctx, gast.Load)]
            later = any((n.lineno, n.col_offset) > here for n in reads)
            in_loop = any(any(n is r for n in S.walk(loop)) for loop in enclosing
                          for r in reads)
            if later or in_loop:
                found.append((sub, other))
                break
    return found


# Methods and functions whose result may be a view of the array they are given.
_VIEW_METHODS = {"reshape", "ravel", "transpose", "swapaxes", "squeeze", "view", "diagonal",
                 "T", "real", "imag", "asarray", "expand_dims",
                 "moveaxis", "broadcast_to", "atleast_1d", "atleast_2d", "atleast_3d", "flip",
                 "fliplr", "flipud", "rot90"}


def _shared_source(value):
    """The name whose memory `value` may share: `b` for b, b[i], b.T, b.reshape(...),
    np.reshape(b, ...); None if it makes a new value (or is not known to share)."""
    if isinstance(value, gast.Name):
        return value.id
    if isinstance(value, gast.Subscript):
        return _shared_source(value.value)
    if isinstance(value, gast.Attribute) and value.attr in _VIEW_METHODS:
        return _shared_source(value.value)
    if isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) and \
            value.func.attr in _VIEW_METHODS:
        if isinstance(value.func.value, gast.Name) and value.args and \
                value.func.value.id in ("np", "numpy"):
            return _shared_source(value.args[0])
        return _shared_source(value.func.value)
    return None


def _sharing(stmt):
    """(name, other name) pairs that `stmt` makes share memory: `a = b`, `a = b[i]`,
    `a = b.T`, and the target of `for a in b` (or `enumerate(b)`), an item of b."""
    pairs = []
    if isinstance(stmt, gast.Assign):
        other = _shared_source(stmt.value)
        if other is not None:
            pairs += [(t.id, other) for t in stmt.targets if isinstance(t, gast.Name)]
    elif isinstance(stmt, gast.For):
        it, target = stmt.iter, stmt.target
        if _is_call(it, "enumerate") and it.args and isinstance(target, gast.Tuple) and \
                len(target.elts) == 2:
            it, target = it.args[0], target.elts[1]
        if _is_call(it, "reversed") and it.args:
            it = it.args[0]
        other = _shared_source(it)
        if other is not None and isinstance(target, gast.Name):
            pairs.append((target.id, other))
    return pairs


def refuse_shared_updates(ssa, kinds):
    """Refuse `x += v` where x may be an array that another name, read later, shares."""
    import re
    for stmt, other in ssa.shared_updates:
        name = stmt.target.id
        versions = [k for n, k in kinds.items() if re.fullmatch(rf"{re.escape(name)}(_\d+)?", n)]
        if versions and all(k == "scalar" for k in versions):
            continue            # numbers: `+=` makes a new value, nothing is shared
        raise ssa.error(stmt, f"`{name} {_OP_TEXT.get(type(stmt.op), '?')}= ...` would also "
                              f"change '{other}', which names the same array (or shares its memory) "
                              f"and is read afterwards",
                        f"Write `{name} = {name} ...` for a new array, or copy first: "
                        f"`{name} = {other}.copy()`.")


_OP_TEXT = {gast.Add: "+", gast.Sub: "-", gast.Mult: "*", gast.Div: "/", gast.Pow: "**",
            gast.FloorDiv: "//", gast.Mod: "%", gast.MatMult: "@"}


def in_place_parameter_updates(node):
    """The `p += ...` statements whose target is a parameter (an in-place write for arrays,
    a new value for numbers)."""
    params = {a.id for a in node.args.args}
    return [sub for sub in S.walk(node) if isinstance(sub, gast.AugAssign)
            and isinstance(sub.target, gast.Name) and sub.target.id in params]


def _contains(stmts, kinds, into_loops):
    """True if any statement in `stmts` (not inside nested functions) is one of `kinds`."""
    todo = list(stmts)
    while todo:
        s = todo.pop()
        if isinstance(s, kinds):
            return True
        if isinstance(s, (gast.FunctionDef, gast.ClassDef, gast.Lambda)):
            continue
        if isinstance(s, (gast.For, gast.While)) and not into_loops:
            todo.extend(s.orelse)
            continue
        for field in ("body", "orelse"):
            todo.extend(getattr(s, field, []) or [])
    return False


def _else_after_return(stmts):
    """`if c: return a` followed by more code -> the code moves into the `else`.

    The function then ends in branches that each return, which needs no flag to skip the rest.
    """
    for k, stmt in enumerate(stmts):
        if isinstance(stmt, gast.If) and k + 1 < len(stmts):
            rest = stmts[k + 1:]
            if _always_returns(stmt.body) and not stmt.orelse:
                stmt.orelse = _else_after_return(rest)
                return stmts[:k + 1]
            if stmt.orelse and _always_returns(stmt.orelse) and not _always_returns(stmt.body):
                stmt.body = _else_after_return(stmt.body + rest)
                return stmts[:k + 1]
    return stmts


def _always_returns(stmts):
    for s in stmts:
        if isinstance(s, gast.Return):
            return True
        if isinstance(s, gast.If) and _always_returns(s.body) and _always_returns(s.orelse):
            return True
    return False


class _Loop:
    """What a jump inside the current loop sets."""

    def __init__(self, brk, cont):
        self.brk, self.cont = brk, cont


class _Lowering:
    def __init__(self, namer, in_place=(), dicts=(), sequences=(), error=None, fn=None):
        self.namer = namer
        self.fn = fn        # the function lowered (_may_change_walked reads all of it)
        self.in_place = set(in_place)     # parameters whose `p += v` writes into p's array
        self.dicts = set(dicts)           # names known to hold dicts
        self.sequences = set(sequences)   # names known to hold lists, tuples or arrays
        self.error = error
        self.ret_name = None
        self.returned = None
        self.walked = []        # (dict, its keys' name) of the loop being lowered (_walk_check)

    # -- blocks: a statement that may jump guards the statements after it ------------------
    def block(self, stmts, in_loop):
        stmts = _else_after_return(stmts) if in_loop is None else stmts
        out = []
        for k, stmt in enumerate(stmts):
            lowered, flags = self.stmt(stmt, in_loop)
            out.extend(lowered)
            if isinstance(stmt, gast.Return) and in_loop is None:
                return out
            if _always_returns([stmt]) and in_loop is None:
                return out
            if flags:
                rest = self.block(stmts[k + 1:], in_loop)
                if rest:
                    out.append(S.located(gast.If(test=self._none_set(flags), body=rest, orelse=[]),
                                        stmts[k + 1]))
                return out
        return out

    def _none_set(self, flags):
        flags = sorted(flags)
        test = gast.UnaryOp(op=gast.Not(), operand=S.load(flags[0]))
        for f in flags[1:]:
            test = gast.BoolOp(op=gast.And(),
                               values=[test, gast.UnaryOp(op=gast.Not(), operand=S.load(f))])
        return test

    def _ret(self):
        if self.ret_name is None:
            self.ret_name = self.namer.fresh("_retval")
            self.returned = self.namer.fresh("_returned")
        return self.ret_name

    # -- statements: return (lowered statements, flags they may set) ------------------------
    def stmt(self, s, in_loop):
        if isinstance(s, gast.AugAssign):
            target_load = S.clone(s.target)
            for sub in S.walk(target_load):
                if hasattr(sub, "ctx"):
                    sub.ctx = gast.Load()
            target = s.target
            if isinstance(target, gast.Name) and target.id in self.in_place:
                target = gast.Subscript(value=S.load(target.id), slice=S.const(Ellipsis),
                                        ctx=gast.Store())
            new = S.assign(target, gast.BinOp(left=target_load, op=s.op, right=s.value))
            return [S.located(new, s)], set()
        if _separate_assignments(s):
            return [S.located(S.assign(t.id, v), s)
                    for t, v in zip(s.targets[0].elts, s.value.elts)], set()
        if isinstance(s, gast.Return):
            value = s.value if s.value is not None else S.const(None)
            if in_loop is None and self.ret_name is None:
                return [s], set()
            name = self._ret()
            out = [S.located(S.assign(name, value), s), S.located(S.assign(self.returned, S.const(True)), s)]
            return out, {self.returned}
        if isinstance(s, gast.Break):
            return [S.located(S.assign(in_loop.brk, S.const(True)), s)], {in_loop.brk}
        if isinstance(s, gast.Continue):
            return [S.located(S.assign(in_loop.cont, S.const(True)), s)], {in_loop.cont}
        if isinstance(s, gast.If):
            body_flags = self._flags_of(s.body, in_loop)
            else_flags = self._flags_of(s.orelse, in_loop)
            s.body = self.block(s.body, in_loop) or [gast.Pass()]
            s.orelse = self.block(s.orelse, in_loop)
            return [s], body_flags | else_flags
        if isinstance(s, gast.For):
            return self.for_loop(s, in_loop)
        if isinstance(s, gast.While):
            return self.while_loop(s, in_loop)
        return [s], set()

    def _flags_of(self, stmts, in_loop):
        flags = set()
        if _contains(stmts, gast.Return, True):
            self._ret()
            flags.add(self.returned)
        if in_loop is not None:
            if _contains(stmts, gast.Break, False):
                flags.add(in_loop.brk)
            if _contains(stmts, gast.Continue, False):
                flags.add(in_loop.cont)
        return flags

    def _loop_flags(self, body):
        brk = self.namer.fresh("_break") if _contains(body, gast.Break, False) else None
        cont = self.namer.fresh("_continue") if _contains(body, gast.Continue, False) else None
        returns = _contains(body, gast.Return, True)
        if returns:
            self._ret()
        return brk, cont, returns

    def _loop_body(self, body, brk, cont):
        loop = _Loop(brk, cont)
        lowered = self.block(body, loop)
        if cont:
            lowered = [S.assign(cont, S.const(False))] + lowered
        return lowered

    def _stop_test(self, base, brk, returns):
        tests = [base] if base is not None else []
        if brk:
            tests.append(gast.UnaryOp(op=gast.Not(), operand=S.load(brk)))
        if returns:
            tests.append(gast.UnaryOp(op=gast.Not(), operand=S.load(self.returned)))
        return tests[0] if len(tests) == 1 else gast.BoolOp(op=gast.And(), values=tests)

    def _else_part(self, s, brk, returns, in_loop, first=()):
        """The loop's `else`, after `first` (what runs before it: _walk_check)."""
        if not s.orelse and not first:
            return []
        orelse = [S.clone(x) for x in first] + self.block(s.orelse, in_loop)
        flags = [f for f in (brk, self.returned if returns else None) if f]
        if flags:
            return [S.located(gast.If(test=self._none_set(flags), body=orelse, orelse=[]), s)]
        return orelse

    def for_loop(self, s, in_loop):
        brk, cont, returns = self._loop_flags(s.body)
        self.walked = []
        pre, rng, head = self._iteration(s)
        # Python checks a dict's size each time the loop takes its next key (the first time
        # trivially), and when it finds none: after the last pass, unless a `break` or a
        # `return` ended the loop, as for its `else`
        checks = [S.located(self._walk_check(*w), s) for w in self.walked
                  if self.fn is None or _may_change_walked(s, self.fn)]
        head = (head[0], checks + head[1])
        body = self._loop_body(s.body, brk, cont)
        flags_out = {self.returned} if returns else set()
        if _changed_sequences(s):
            lowered = self._walk_by_position(s, pre, head, body, brk, returns)
            return lowered + self._else_part(s, brk, returns, in_loop, checks), flags_out
        if not brk and not returns:
            loop = gast.For(target=S.store(head[0]), iter=rng, body=head[1] + body, orelse=[],
                            type_comment=None)
            return [S.located(x, s) for x in pre] + [S.located(loop, s)] + \
                self._else_part(s, None, False, in_loop, checks), flags_out
        # A loop that can stop early runs as a while loop over the positions of its range.
        seq, k, n = self.namer.fresh("_range"), self.namer.fresh("_k"), self.namer.fresh("_n")
        init = [S.assign(seq, rng), S.assign(k, S.const(0)),
                S.assign(n, S.call("len", S.load(seq)))]
        if brk:
            init.append(S.assign(brk, S.const(False)))
        if returns:
            init.append(S.assign(self.returned, S.const(False)))
        step = [S.assign(head[0], gast.Subscript(value=S.load(seq), slice=S.load(k), ctx=gast.Load()))]
        advance = [S.assign(k, gast.BinOp(left=S.load(k), op=gast.Add(), right=S.const(1)))]
        test = gast.Compare(left=S.load(k), ops=[gast.Lt()], comparators=[S.load(n)])
        loop = gast.While(test=self._stop_test(test, brk, returns),
                          body=step + head[1] + body + advance, orelse=[])
        lowered = [S.located(x, s) for x in pre + init] + [S.located(loop, s)]
        lowered = self._while_condition(lowered[-1], lowered[:-1])
        return lowered + self._else_part(s, brk, returns, in_loop, checks), flags_out

    def _walk_check(self, mapping, keys):
        return S.expr_stmt(S.call("_ad.check_walked", S.load(mapping), S.load(keys)))

    def _walk_by_position(self, s, pre, head, body, brk, returns):
        """A list that the loop's body changes in length (`items.append(v)`) is walked as
        Python walks it: by position, its length read at each step; `reversed(items)` from
        the position of its last item when the loop began down to 0, while that position is
        still in the list."""
        it = s.iter
        backwards = _is_call(it, "reversed") and len(it.args) == 1
        seq = it.args[0] if backwards or (_is_call(it, "enumerate") and len(it.args) == 1) \
            else it
        if isinstance(seq, gast.Name) and seq.id in self.dicts:
            raise self.error(s, f"this loop walks the dict '{seq.id}', whose size its body "
                                f"changes (Python raises RuntimeError)",
                             "Walk a copy of its keys: `for k in list(d)`.")
        if isinstance(seq, gast.Name) and seq.id not in self.sequences and \
                seq.id not in _changed_as_lists(s):
            raise self.error(s, f"this loop walks '{seq.id}', whose length its body changes, "
                                f"and s2s_ad cannot tell whether it is a list or a dict",
                             f"Make it with a display, so that s2s_ad sees which it is: a "
                             f"list (`{seq.id} = [...]`) or a dict (`{seq.id} = {{...}}`, "
                             f"whose size must not change while it is walked).")
        if not isinstance(seq, gast.Name):
            names = ", ".join(f"'{n}'" for n in sorted(_changed_sequences(s)))
            raise self.error(s, f"this loop walks {names}, whose length its body changes, "
                                f"in a way s2s_ad does not follow",
                             "Walk a copy (`for v in list(items)`), or write `for v in items`, "
                             "`enumerate(items)` or `reversed(items)` for the list itself.")
        k = self.namer.fresh("_k")
        length = S.call("len", S.load(seq.id))
        if backwards:
            start = gast.BinOp(left=length, op=gast.Sub(), right=S.const(1))
            test = gast.BoolOp(op=gast.And(), values=[
                gast.Compare(left=S.load(k), ops=[gast.GtE()], comparators=[S.const(0)]),
                gast.Compare(left=S.load(k), ops=[gast.Lt()], comparators=[S.clone(length)])])
            step = [S.assign(s.target, S.item(seq.id, S.load(k)))]
            move = gast.Sub()
        else:
            start = S.const(0)
            test = gast.Compare(left=S.load(k), ops=[gast.Lt()], comparators=[length])
            step = [S.assign(head[0], S.load(k))] + head[1]
            move = gast.Add()
        init = [S.assign(k, start)]
        if brk:
            init.append(S.assign(brk, S.const(False)))
        if returns:
            init.append(S.assign(self.returned, S.const(False)))
        advance = [S.assign(k, gast.BinOp(left=S.load(k), op=move, right=S.const(1)))]
        loop = gast.While(test=self._stop_test(test, brk, returns),
                          body=step + body + advance, orelse=[])
        lowered = [S.located(x, s) for x in pre + init] + [S.located(loop, s)]
        return self._while_condition(lowered[-1], lowered[:-1])

    def while_loop(self, s, in_loop):
        brk, cont, returns = self._loop_flags(s.body)
        init = []
        if brk:
            init.append(S.located(S.assign(brk, S.const(False)), s))
        if returns:
            init.append(S.located(S.assign(self.returned, S.const(False)), s))
        body = self._loop_body(s.body, brk, cont)
        loop = S.located(gast.While(test=self._stop_test(s.test, brk, returns), body=body, orelse=[]), s)
        lowered = self._while_condition(loop, init)
        flags_out = {self.returned} if returns else set()
        return lowered + self._else_part(s, brk, returns, in_loop), flags_out

    def _while_condition(self, loop, before):
        """`while test: body` -> `_c = test; while _c: body; _c = test`."""
        cond = self.namer.fresh("_cond")
        first = S.located(S.assign(cond, loop.test), loop)
        again = S.located(S.assign(cond, S.clone(loop.test)), loop)
        loop.test = S.load(cond)
        loop.body = loop.body + [again]
        return before + [first, loop]

    # -- what a for loop iterates over --------------------------------------------------------
    def _iteration(self, s):
        """(statements before the loop, a range(...) expression, (index name, per-step stmts))."""
        it = s.iter
        target = s.target
        if _is_call(it, "range"):
            if isinstance(target, gast.Name):
                return [], it, (target.id, [])
            idx = self.namer.fresh("_i")
            return [], it, (idx, [S.located(S.assign(target, S.load(idx)), s)])
        idx = self.namer.fresh("_i")
        if _is_call(it, "enumerate"):
            pre, length, item = self._elements(it.args[0], s)
            start = it.args[1] if len(it.args) > 1 else S.const(0)
            index_value = S.load(idx) if isinstance(start, gast.Constant) and start.value == 0 \
                else gast.BinOp(left=S.load(idx), op=gast.Add(), right=start)
            items = self._unpack(target, [index_value, item(lambda: S.load(idx))], s)
        elif _is_call(it, "zip"):
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
        if not _is_call(node, "zip"):
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
        if _is_call(node, "reversed") and len(node.args) == 1:
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


def _walks(node, walks):
    """(the names known to hold dicts, the names known to hold lists, tuples or arrays) where
    a `for` loop walks them: the parameters and module-level values that `walks` says are
    ("keys") or are not ("items") dicts, unless the function assigns them, and the locals
    that every assignment gives a dict or a list or tuple.  A loop over any other value asks
    at run time (_Lowering._either_sequence).  `*args` is a tuple and `**kwargs` a dict."""
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
    return isinstance(value, (gast.Dict, gast.DictComp)) or _is_call(value, "dict")


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
        any(_is_call(value, f) for f in ("list", "tuple", "sorted", "range")) or \
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


_LIST_CHANGES = {"append", "extend", "insert", "pop", "remove", "clear"}


def _changed_sequences(loop):
    """The names of the lists `loop` walks (`items` in `for x in items`, `enumerate(items)`,
    `reversed(items)`, `zip(items, ...)`) whose length its body changes (`items.append(v)`,
    `items += [v]`, `del items[0]`)."""
    walked, todo = set(), [loop.iter]
    while todo:
        node = todo.pop()
        if isinstance(node, gast.Name):
            walked.add(node.id)
        elif any(_is_call(node, f) for f in ("enumerate", "reversed", "zip")):
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


# Methods that leave a dict (or a list, a tuple, an array) as it is, and callees that change
# none of their arguments: calling them does not make the dict a loop walks grow or shrink
_READING_METHODS = {"get", "keys", "values", "items", "copy", "count", "index", "__getitem__",
                    "__contains__", "__len__"}
_READING_CALLS = {"len", "list", "tuple", "sorted", "sum", "min", "max", "abs", "float", "int",
                  "bool", "str", "repr", "isinstance", "range", "enumerate", "zip", "reversed",
                  "print", "any", "all"}
_READING_MODULES = {"np", "numpy", "math", "_ad"}     # (_ad: the runtime of generated code)


def _may_change_walked(loop, fn):
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


def _changed_as_lists(loop):
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


def _is_call(node, name):
    return (isinstance(node, gast.Call) and isinstance(node.func, gast.Name)
            and node.func.id == name and not node.keywords)
