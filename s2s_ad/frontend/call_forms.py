"""Calls the rest of the pipeline reads in one form, rewritten before SSA (part of normalize).

    stage:  frontend (normalize.py runs these on the function and on each helper it inlines)
    input:  the holder of a parsed function (normalize.SSAFunction), its FunctionDef in place
    output: the same tree with einsum's interleaved index lists as subscripts, multi_dot as
            products, matrix norms as np.linalg.norm, records made of their fields, `.flat`
            reads as np.ravel; `eval`/`exec` refused at the user's line
"""

import gast
import numpy as np

from s2s_ad import runtime
from s2s_ad.base import syntax as S
from s2s_ad.base.errors import DifferentiationError
from s2s_ad.frontend.resolve import resolve_static
from s2s_ad.runtime.objects import init_fields


def rewrite_calls(holder):
    """The rewrites below, in order, of the function `holder` holds (in place)."""
    _refuse_code_from_text(holder)
    _einsum_index_lists_as_subscripts(holder)
    _multi_dots_as_products(holder)
    _matrix_norms_as_norms(holder)
    _records_made_of_fields(holder)
    _flat_reads_as_ravel(holder.node)


def _refuse_code_from_text(fn):
    """`eval(...)` and `exec(...)` run code that is not in the function's source: what they
    compute is not differentiated (it would be taken as a constant)."""
    import builtins
    for call in S.walk(fn.node):
        if isinstance(call, gast.Call) and isinstance(call.func, gast.Name) and \
                call.func.id in ("eval", "exec") and \
                fn.parsed.resolve(call.func.id, None) is getattr(builtins, call.func.id):
            raise fn.error(call, f"{call.func.id}(...) runs code given as text, which s2s_ad "
                                 f"cannot differentiate (it reads only the function's source)",
                           "Write the computation as code in the function.")


def _einsum_index_lists_as_subscripts(fn):
    """`np.einsum(A, [0, 1], B, [1, 2], [0, 2])` -> `np.einsum('AB,BC->AC', A, B)`: the
    interleaved form, its index lists written in the call, in the subscripts form that the
    einsum rules read (numpy_product_rules.py), which then differentiate it like any other.
    Index lists held in names stay as they are: np.einsum's rules refuse a derivative through
    them.  (A first argument that is a string after all, `np.einsum(s, [0, 1], [1, 2])`, is an
    operand here: NumPy then refuses the call, since a string is not an array.)"""
    local = set(S.names_in(fn.node, gast.Store)) | {a.id for a in fn.node.args.args}
    for call in S.walk(fn.node):
        if not isinstance(call, gast.Call) or len(call.args) < 2 or \
                isinstance(call.args[0], gast.Constant) or _root_name(call.func) in local | {None}:
            continue
        pairs = len(call.args) // 2
        sublists = [_literal_indices(a) for a in call.args[1:2 * pairs:2]]
        output = _literal_indices(call.args[-1]) if len(call.args) % 2 else None
        if any(s is None for s in sublists) or (len(call.args) % 2 and output is None):
            continue
        try:
            if resolve_static(call.func, fn) is not np.einsum:
                continue
        except DifferentiationError:
            continue
        subscripts = runtime.einsum_subscripts(sublists, output)
        call.args = [S.const(subscripts)] + call.args[0:2 * pairs:2]


def _multi_dots_as_products(fn):
    """`np.linalg.multi_dot([A, B])` -> `_ad.multi_dot_pair(A, B)` (np.dot, as multi_dot of two
    arrays is, with its rules) and `np.linalg.multi_dot([A, B, C])` ->
    `_ad.multi_dot_three(A, B, C)` (multi_dot itself, with rules: rules/runtime_rules.py).  A
    list held in a name, of four arrays or more, or `out=` stay a call of multi_dot, which has
    no rules (refused)."""
    local = set(S.names_in(fn.node, gast.Store)) | {a.id for a in fn.node.args.args}
    for call in S.walk(fn.node):
        if not isinstance(call, gast.Call) or len(call.args) != 1 or call.keywords or \
                not isinstance(call.args[0], (gast.List, gast.Tuple)) or \
                len(call.args[0].elts) not in (2, 3) or \
                _root_name(call.func) in local | {None} or \
                any(isinstance(e, gast.Starred) for e in call.args[0].elts):
            continue
        try:
            if resolve_static(call.func, fn) is not np.linalg.multi_dot:
                continue
        except DifferentiationError:
            continue
        helper = "multi_dot_pair" if len(call.args[0].elts) == 2 else "multi_dot_three"
        call.func, call.args = S.attr(S.load("_ad"), helper), list(call.args[0].elts)


def _matrix_norms_as_norms(fn):
    """`np.linalg.matrix_norm(x, ord=o, keepdims=k)` -> `_ad.norm_of_axes(x, ord=o,
    keepdims=k, axis=(-2, -1))`: what NumPy computes it as (`_ad.norm_of_axes` is
    np.linalg.norm, with its rules)."""
    local = set(S.names_in(fn.node, gast.Store)) | {a.id for a in fn.node.args.args}
    for call in S.walk(fn.node):
        if not isinstance(call, gast.Call) or len(call.args) != 1 or \
                isinstance(call.args[0], gast.Starred) or \
                any(k.arg not in ("ord", "keepdims") for k in call.keywords) or \
                _root_name(call.func) in local | {None}:
            continue
        try:
            if resolve_static(call.func, fn) is not getattr(np.linalg, "matrix_norm", None):
                continue
        except DifferentiationError:
            continue
        call.func = S.attr(S.load("_ad"), "norm_of_axes")
        call.keywords.append(gast.keyword(arg="axis", value=S.tuple_([S.const(-2),
                                                                       S.const(-1)])))


def _records_made_of_fields(fn):
    """`P(x, b=y)`, P a namedtuple or dataclass -> `_ad.record(P, ('a', 'b'), (x, y))`: the
    object made of its fields' values, with rules (runtime_rules.py) that give each value the
    cotangent of its field.  Other classes' constructors stay calls (refused without rules)."""
    local = set(S.names_in(fn.node, gast.Store)) | {a.id for a in fn.node.args.args}
    for call in S.walk(fn.node):
        if not isinstance(call, gast.Call) or _root_name(call.func) in local | {None} or \
                any(isinstance(a, gast.Starred) for a in call.args) or \
                any(k.arg is None for k in call.keywords):
            continue
        try:
            names = init_fields(resolve_static(call.func, fn))
        except DifferentiationError:
            continue
        if names is None or len(call.args) > len(names):
            continue          # not a record, or Python's own TypeError when it runs
        given = list(names[:len(call.args)]) + [k.arg for k in call.keywords]
        values = list(call.args) + [k.value for k in call.keywords]
        call.args = [call.func, S.tuple_([S.const(n) for n in given]), S.tuple_(values)]
        call.func, call.keywords = S.attr(S.load("_ad"), "record"), []


def _flat_reads_as_ravel(node):
    """`a.flat` read (`a.flat[i]`, `sum(a.flat)`) -> `_ad.flat_items(a)`, which is np.ravel:
    the same items, as an array (a flat iterator keeps its position between uses, which the
    SSA form's one name for it would share).  A write `a.flat[i] = v` stays, and is refused."""
    written = {id(t.value) for t in S.walk(node)
               if isinstance(t, gast.Subscript) and isinstance(t.ctx, gast.Store)}
    for parent in S.walk(node):
        for slot, value in gast.iter_fields(parent):
            items = value if isinstance(value, list) else [value]
            for k, child in enumerate(items):
                if isinstance(child, gast.Attribute) and child.attr == "flat" and \
                        isinstance(child.ctx, gast.Load) and id(child) not in written:
                    new = gast.copy_location(
                        S.call(S.attr(S.load("_ad"), "flat_items"), child.value), child)
                    if isinstance(value, list):
                        value[k] = new
                    else:
                        setattr(parent, slot, new)


def _root_name(node):
    while isinstance(node, gast.Attribute):
        node = node.value
    return node.id if isinstance(node, gast.Name) else None


def _literal_indices(node):
    """The indices of an index list written as a list or tuple of integers (and `...`), or
    None."""
    if not isinstance(node, (gast.List, gast.Tuple)):
        return None
    values = [e.value if isinstance(e, gast.Constant) else None for e in node.elts]
    if all(v is Ellipsis or (type(v) is int and 0 <= v < 52) for v in values):
        return values
    return None
