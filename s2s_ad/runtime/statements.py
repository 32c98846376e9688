"""Runtime helpers for Python statements the front end rewrites (frontend/statements.py,
frontend/generators.py, frontend/attempts.py): `with`, `del` of an item, generators and
`try`.

    enter_context(cm) / exit_context(cm)   `with cm as v:` entered and left
    without_item(c, index)                 `del c[index]` on a new list or dict
    without_item_grad(g, c, index)         its cotangent: g with a zero put back at index
    generated_items(items)                 the items a generator helper yields, as a list
    generated_tuple(items)                 the same as a tuple (`tuple(gen(...))`)
    tuple_items(items)                     a tuple's items as a list: its adjoint
    try_path(probe, *values)               which way a `try` statement goes
"""
import numpy as np

from s2s_ad.runtime.core import zeros_like


def enter_context(manager):
    """`with manager as v:` entered: what `as` binds."""
    return type(manager).__enter__(manager)


def exit_context(manager):
    """`with manager:` left at the end of its block."""
    type(manager).__exit__(manager, None, None, None)


def without_item(container, index):
    """`del container[index]`, as a new list or dict (the function's own container, which no
    other name holds: frontend/statements.py checks).  Anything else raises as `del` would."""
    out = dict(container) if isinstance(container, dict) else \
        list(container) if isinstance(container, list) else container
    del out[index]
    return out


def without_item_grad(g, container, index):
    """The cotangent of `container` from the cotangent `g` of `without_item(container,
    index)`: g's items where they came from, a zero where the deleted items were."""
    if g is None:
        return None
    if isinstance(container, dict):
        return {k: zeros_like(v) if k == index else g.get(k) for k, v in container.items()}
    gone = set(range(len(container))[index]) if isinstance(index, slice) else \
        {index % len(container)}
    kept = iter(g)
    return [zeros_like(v) if k in gone else next(kept) for k, v in enumerate(container)]


def generated_items(items):
    """The items a generator helper yields, as a list.  A helper differentiated through is
    rewritten to return that list itself (frontend/generators.py); called as it is (no
    derivative flows through it) it returns a generator, listed here."""
    return items if items is None or type(items) is list else list(items)


def generated_tuple(items):
    """`tuple(gen(...))` of a generator helper: its items as a tuple."""
    return None if items is None else tuple(items)


def tuple_items(items):
    """A tuple's items as a list (the cotangent of generated_tuple's argument); None stays."""
    return None if items is None else list(items)


def try_path(probe, *values):
    """(steps, handler, exception) of a `try` statement: run `probe` (the statement's body,
    compiled apart, frontend/attempts.py) on `values`, the locals it reads.  `steps` counts
    the body's statements that ran to the end, `handler` is the number (from 1) of the
    `except` clause that caught what the next one raised, 0 where none raised; an exception
    no clause catches propagates from here, as it would from the body.  The probe is given
    copies of the arrays, lists and dicts (at any depth) it reads, so that what it writes into
    them is not written twice: the function then runs the statements itself."""
    return probe(*map(_private, values))


def _private(value):
    if isinstance(value, np.ndarray):
        return value.copy()
    if type(value) in (list, tuple):
        return type(value)(map(_private, value))
    if type(value) is dict:
        return {k: _private(v) for k, v in value.items()}
    return value
