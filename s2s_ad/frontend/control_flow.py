"""Control flow: jumps and loops lowered to flags, range loops and `while NAME:` loops.

    lower_control_flow(node, namer, in_place, dicts, sequences, error) -> node

Stage: front end, the last pass of desugar.
Input: the user's function as source-level gast (after desugar's rewrites of statements), the
names known to hold dicts and sequences (iteration.walked_kinds).  Output: the same function
with no augmented assignment, no `break`/`continue`, no loop `else`, one `return` (the last
statement), `for NAME in range(...)` loops and `while NAME:` loops (see desugar's table).
"""

import gast

from s2s_ad.base import syntax as S
from s2s_ad.frontend.iteration import Iteration
from s2s_ad.frontend.walk_changes import changed_as_lists, changed_sequences, may_change_walked


def lower_control_flow(node, namer, in_place=(), dicts=(), sequences=(), error=None):
    """`in_place`: the parameters whose `p += v` writes into p's array (desugar)."""
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
        self.fn = fn        # the function lowered (may_change_walked reads all of it)
        self.in_place = set(in_place)     # parameters whose `p += v` writes into p's array
        self.dicts = set(dicts)           # names known to hold dicts
        self.sequences = set(sequences)   # names known to hold lists, tuples or arrays
        self.error = error
        self.ret_name = None
        self.returned = None

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
        iteration = Iteration(self.namer, self.dicts, self.sequences)
        pre, rng, head = iteration.range_loop(s)
        # Python checks a dict's size each time the loop takes its next key (the first time
        # trivially), and when it finds none: after the last pass, unless a `break` or a
        # `return` ended the loop, as for its `else`
        checks = [S.located(self._walk_check(*w), s) for w in iteration.walked
                  if self.fn is None or may_change_walked(s, self.fn)]
        head = (head[0], checks + head[1])
        body = self._loop_body(s.body, brk, cont)
        flags_out = {self.returned} if returns else set()
        if changed_sequences(s):
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
        backwards = S.is_call(it, "reversed") and len(it.args) == 1
        seq = it.args[0] if backwards or (S.is_call(it, "enumerate") and len(it.args) == 1) \
            else it
        if isinstance(seq, gast.Name) and seq.id in self.dicts:
            raise self.error(s, f"this loop walks the dict '{seq.id}', whose size its body "
                                f"changes (Python raises RuntimeError)",
                             "Walk a copy of its keys: `for k in list(d)`.")
        if isinstance(seq, gast.Name) and seq.id not in self.sequences and \
                seq.id not in changed_as_lists(s):
            raise self.error(s, f"this loop walks '{seq.id}', whose length its body changes, "
                                f"and s2s_ad cannot tell whether it is a list or a dict",
                             f"Make it with a display, so that s2s_ad sees which it is: a "
                             f"list (`{seq.id} = [...]`) or a dict (`{seq.id} = {{...}}`, "
                             f"whose size must not change while it is walked).")
        if not isinstance(seq, gast.Name):
            names = ", ".join(f"'{n}'" for n in sorted(changed_sequences(s)))
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
