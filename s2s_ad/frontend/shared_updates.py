"""Shared updates: `x += v` where another name, read later, may share x's array.

    augmented_aliases(node)                -> [(the `x += v` statement, the other name)]
    refuse_shared_updates(ssa, kinds)      -> raise where x is an array (kinds known)
    in_place_parameter_updates(node)       -> the `p += v` statements of parameters p

Stage: front end (desugar collects the statements before it rewrites `x += v` as `x = x + v`);
the refusal runs in analysis, once the kinds are known (Analysed).
Input: the user's function as source-level gast.  Output: the statements above; the refusal
an error at the user's line.
"""

import gast

from s2s_ad.base import syntax as S


def augmented_aliases(node):
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
    """The name whose memory `value` may share: `b` for b, b[i], b.T, b.x, b.reshape(...),
    np.reshape(b, ...); None if it makes a new value (or is not known to share)."""
    if isinstance(value, gast.Name):
        return value.id
    if isinstance(value, gast.Subscript):
        return _shared_source(value.value)
    if isinstance(value, gast.Attribute):
        # b.T and b.real are views of b; an object's field b.x (a dataclass's array) is the
        # object's own array, which `t = b.x; t += v` would change as well
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
        if S.is_call(it, "enumerate") and it.args and isinstance(target, gast.Tuple) and \
                len(target.elts) == 2:
            it, target = it.args[0], target.elts[1]
        if S.is_call(it, "reversed") and it.args:
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
                        f"Write `{name} = {name} ...` for a new array, or copy it where "
                        f"{name} is made from {other} (`.copy()`).")


_OP_TEXT = {gast.Add: "+", gast.Sub: "-", gast.Mult: "*", gast.Div: "/", gast.Pow: "**",
            gast.FloorDiv: "//", gast.Mod: "%", gast.MatMult: "@"}


def in_place_parameter_updates(node):
    """The `p += ...` statements whose target is a parameter (an in-place write for arrays,
    a new value for numbers)."""
    params = {a.id for a in node.args.args}
    return [sub for sub in S.walk(node) if isinstance(sub, gast.AugAssign)
            and isinstance(sub.target, gast.Name) and sub.target.id in params]
