"""Optimisation of generated code (placeholder-free: each pass is real and switchable).

    optimize(node) -> node

Passes, in order:
  * dead code elimination: drop assignments whose target is never read and whose value has no
    effect (calls are kept unless they are to known pure NumPy/math/runtime functions);
"""
import gast

from . import syntax as S

_PURE_ROOTS = {"np", "math", "_ad", "operator"}


def optimize(node):
    node = eliminate_dead_code(node)
    return node


def _pure(value):
    for sub in gast.walk(value):
        if isinstance(sub, gast.Call):
            func = sub.func
            while isinstance(func, gast.Attribute):
                func = func.value
            if not (isinstance(func, gast.Name) and func.id in _PURE_ROOTS):
                return False
            if isinstance(sub.func, gast.Attribute) and sub.func.attr in ("pop", "append"):
                return False
    return True


def eliminate_dead_code(node):
    """Remove side-effect-free assignments to names nobody reads, until nothing changes."""
    while True:
        reads = set(S.names_in(node, gast.Load))
        removed = [False]

        def prune(stmts):
            out = []
            for s in stmts:
                if isinstance(s, gast.Assign) and all(
                        isinstance(t, gast.Name) and t.id not in reads
                        for t in _flat_targets(s.targets[0])) and _pure(s.value):
                    removed[0] = True
                    continue
                for field in ("body", "orelse"):
                    if isinstance(getattr(s, field, None), list):
                        setattr(s, field, prune(getattr(s, field)))
                out.append(s)
            return out

        node.body = prune(node.body)
        if not removed[0]:
            return node


def _flat_targets(target):
    if isinstance(target, (gast.Tuple, gast.List)):
        return [t for e in target.elts for t in _flat_targets(e)]
    return [target]
