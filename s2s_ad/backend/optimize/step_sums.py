"""sum_steps_together: a reverse loop's weight cotangents summed after it by one product (stage:
backend, a pass, last but two).  Input: a generated FunctionDef and the sizes the generator
knew (`facts.sizes`); output: the function with `W_bar = W_bar + _ad.matmul_grad_b(g, a, W)`
in a loop over small arrays -> g and a collected in lists, and `_ad.matmul_grad_b_steps` after
the loop (likewise matmul_grad_a and a bias's unbroadcast).
"""
import gast

from s2s_ad.base import syntax as S
from s2s_ad.backend.optimize.common import (is_helper, is_name, is_update_of, may_mutate,
                                            name_counts, stored_names, zeros_of)


# helper called on every step -> (helper that sums the steps, its number of arguments, the
# position of the one that does not change in the loop: the argument whose cotangent it is;
# the others change each step and are collected in lists)
_STEP_SUMS = {"matmul_grad_b": ("matmul_grad_b_steps", 3, 2),
              "matmul_grad_a": ("matmul_grad_a_steps", 3, 1),
              "unbroadcast": ("unbroadcast_steps", 2, 1)}

# Stacking pays where NumPy's per-call cost dominates a step: small arrays.  Larger ones would
# only cost memory (every step's values are held until the loop ends).
SMALL_STEP = 1 << 14   # elements


def sum_steps_together(node, keep=frozenset(), facts=None):
    """`W_bar = zeros_like(W); for ...: W_bar = W_bar + _ad.matmul_grad_b(g, a, W)` ->
    `g_steps = []; a_steps = []; for ...: g_steps.append(g); a_steps.append(a)`, then
    `W_bar = _ad.matmul_grad_b_steps(g_steps, a_steps, W)` after the loop: one product of the
    stacked steps.  Only for values the generator knew to be small (`facts.sizes`)."""
    sizes = facts.sizes if facts is not None else {}
    if not sizes or not any(isinstance(s, gast.For) for s in S.statements(node)):
        return node
    taken = set(S.names_in(node))
    for block in S.blocks(node):
        k = 0
        while k < len(block):
            if isinstance(block[k], gast.For):
                k = _sum_loop_steps(block, k, sizes, taken)
            k += 1
    return node


def _sum_loop_steps(block, k, sizes, taken):
    """Rewrite the accumulations of the loop block[k]; returns the loop's new position."""
    loop = block[k]
    if loop.orelse or any(may_mutate(s) for s in loop.body):
        return k   # a write into an array could change a value held for later
    loads, stores = name_counts(gast.Module(body=loop.body, type_ignores=[]))
    changing = set(S.names_in(loop.target)).union(*(stored_names(s) for s in loop.body))
    sums = [(i, found) for i, stmt in enumerate(loop.body)
            for found in [_step_sum(stmt, sizes, changing)] if found
            and loads.get(found[0]) == 1 and stores.get(found[0]) == 1]
    if not sums:
        return k
    new_lists, after, appends = [], [], {}   # appends: position in the loop -> its appends
    lists = {}   # step name -> (its list, position of the statement that appends to it)
    for i, (total, helper, args, fixed) in sums:
        appends[i], held = [], []
        for position, name in enumerate(args):
            if position == fixed:
                held.append(name)
                continue
            known = lists.get(name)
            if known and not any(name in stored_names(s) for s in loop.body[known[1]:i]):
                held.append(known[0])       # the same value, already collected this step
                continue
            held.append(_unused_name(f"{_step_label(name, loop.body[:i])}_steps", taken))
            lists[name] = (held[-1], i)
            new_lists.append(held[-1])
            appends[i].append(S.expr_stmt(S.call(S.attr(S.load(held[-1]), "append"),
                                                 S.load(name))))
        summed = S.call(f"_ad.{helper}", *[S.load(h) for h in held])
        if _drop_zero_start(block, k, total, args[fixed]):
            k -= 1
        else:
            summed = S.binop(S.load(total), gast.Add(), summed)
        after.append(S.assign(total, summed))
    for i in sorted(appends, reverse=True):
        loop.body[i:i + 1] = appends[i]
    block[k + 1:k + 1] = after
    # one line starts the lists: `g_steps, a_steps = [], []`
    empty = [gast.List(elts=[], ctx=gast.Load()) for _ in new_lists]
    block.insert(k, S.assign(new_lists[0], empty[0]) if len(new_lists) == 1 else
                 gast.Assign(targets=[S.tuple_([S.store(n) for n in new_lists], gast.Store())],
                             value=S.tuple_(empty), type_comment=None))
    return k + 1


def _step_sum(stmt, sizes, changing):
    """(total, summing helper, argument names, position of W) for `total = total + _ad.f(...)`
    where f has a summing helper, W (the argument whose cotangent it is) does not change in the
    loop, and the other arguments are small."""
    if not (isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)):
        return None
    total = stmt.targets[0].id
    if not is_update_of(stmt, total) or not isinstance(stmt.value.op, gast.Add):
        return None
    call = stmt.value.right
    if not (isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute)
            and is_helper(call.func, call.func.attr) and call.func.attr in _STEP_SUMS
            and not call.keywords):
        return None
    helper, n, fixed = _STEP_SUMS[call.func.attr]
    if len(call.args) != n or not all(isinstance(a, gast.Name) for a in call.args):
        return None
    args = [a.id for a in call.args]
    steps = args[:fixed] + args[fixed + 1:]
    if args[fixed] in changing or total in steps or \
            not all(sizes.get(name, SMALL_STEP + 1) <= SMALL_STEP for name in steps):
        return None
    return total, helper, args, fixed


def _drop_zero_start(block, k, total, invariant):
    """Remove `total = _ad.zeros_like(invariant)` before the loop block[k] when nothing in
    between reads total (the summing helper starts from those zeros itself)."""
    for j in range(k - 1, -1, -1):
        stmt = block[j]
        if isinstance(stmt, gast.Assign) and is_name(stmt.targets[0], total):
            if is_name(zeros_of(stmt), invariant):
                del block[j]
                return True
            return False
        if total in S.names_in(stmt) or invariant in stored_names(stmt) or \
                isinstance(stmt, (gast.For, gast.While, gast.If)):
            return False
    return False


def _step_label(name, before):
    """What to call the list of a name's values: the name, or for a temporary that indexes a
    variable (`_t2 = xs[t]`, which fusion then puts back into its use) the variable's name."""
    if name.startswith("_t"):
        for stmt in reversed(before):
            if isinstance(stmt, gast.Assign) and is_name(stmt.targets[0], name):
                value = stmt.value
                if isinstance(value, gast.Subscript) and isinstance(value.value, gast.Name):
                    return value.value.id
                break
    return name


def _unused_name(name, taken):
    chosen, n = name, 1
    while chosen in taken:
        n += 1
        chosen = f"{name}{n}"
    taken.add(chosen)
    return chosen
