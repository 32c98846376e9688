"""Resolving a global reference in the user's function to the object it denotes now.

    resolve_static(node, fn) -> the object `np.linalg.norm` (a gast Name or Attribute chain,
                                or a call of one of our transforms) refers to

Free names are looked up as the function sees them (its module globals, closure cells,
builtins: source.Parsed.resolve); a DifferentiationError at the user's line says which name
cannot be resolved.
"""
import gast


def _missing(fn, node, what):
    return fn.error(node, f"cannot resolve {what}",
                    "Make sure the name is defined at module level before differentiating.")


TRANSFORM_NAMES = ("grad", "value_and_grad")


def resolve_static(node, fn):
    """The object a global reference such as `np.linalg.norm` denotes.

    A call of one of our transforms on global arguments (`ad.grad(f)`) is made now: its
    result is a derivative function, which is then differentiated like any other.
    """
    if isinstance(node, gast.Call):
        transform = resolve_static(node.func, fn)
        if getattr(transform, "__module__", "") != "s2s_ad.api" or \
                transform.__name__ not in TRANSFORM_NAMES:
            raise fn.error(node, "a call whose callee is computed by another call is not "
                                 "supported", "Assign the callee to a name at module level.")
        args = [a.value if isinstance(a, gast.Constant) else resolve_static(a, fn)
                for a in node.args]
        kwargs = {k.arg: k.value.value if isinstance(k.value, gast.Constant)
                  else resolve_static(k.value, fn) for k in node.keywords}
        return transform(*args, **kwargs)
    chain = []
    while isinstance(node, gast.Attribute):
        chain.append(node.attr)
        node = node.value
    marker = object()
    obj = fn.parsed.resolve(node.id, marker)
    if obj is marker:
        raise _missing(fn, node, f"the name '{node.id}'")
    for attr in reversed(chain):
        try:
            obj = getattr(obj, attr)
        except AttributeError:
            raise _missing(fn, node, f"'{attr}' of {obj!r}") from None
    return obj


def named_object(node, resolve, local=()):
    """The module-level object an expression `name` or `name.attr.attr` denotes, looked up
    with `resolve(name, default)`; None for anything else, for a name in `local` (the
    function's own variables) or for a missing attribute."""
    chain = []
    while isinstance(node, gast.Attribute):
        chain.append(node.attr)
        node = node.value
    if not isinstance(node, gast.Name) or node.id in local:
        return None
    obj = resolve(node.id, None)
    for attr in reversed(chain):
        obj = getattr(obj, attr, None)
    return obj

