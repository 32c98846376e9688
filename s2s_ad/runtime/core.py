"""What the transforms themselves emit: cotangents reduced to shapes (unbroadcast), tangents
broadcast (broadcast_like), zeros and sums of any value (zeros_like, add), adjoints added at an
index (add_at), power and division slopes that stay finite where NumPy's are, the gradient's
seed, and the tape's saved items; and `unsupported`, which the helpers of the derivative rules
(arrays, products, linalg) raise for a case their rules do not cover."""
import numbers
from collections.abc import Mapping

import numpy as np

# by name, not the module: standalone code copies the functions it calls by their source
from s2s_ad.runtime.objects import fields, is_static, rebuilt, refuse_property


def _shape(x):
    return np.shape(x)


def unbroadcast(g, x):
    """Sum `g` over the axes that broadcasting added or stretched, giving the shape of `x`.

    The cotangent of a real `x` is real: a complex `g` (from complex intermediates) gives its
    real part, as in JAX.
    """
    if type(g) is np.ndarray and type(x) is np.ndarray:   # the common case, kept cheap
        if g.dtype.kind == "c" and x.dtype.kind != "c":
            g = g.real
        if g.shape == x.shape:
            return g
        return _sum_to(g, x.shape)
    if type(g) in (tuple, list) and type(x) is np.ndarray:
        g = np.array(g)      # the items' cotangents of an array unpacked (`a, b = x`)
    elif isinstance(g, (tuple, list, dict)) or _plain_record(g):
        return _itemwise(unbroadcast, g, x)
    if np.iscomplexobj(g) and not np.iscomplexobj(x):
        g = np.real(g)
    if np.shape(g) == np.shape(x):
        return g
    g = _sum_to(np.asarray(g), np.shape(x))
    if isinstance(x, numbers.Number) and not isinstance(x, np.generic):
        return g.item() if isinstance(g, (np.ndarray, np.generic)) else g   # a Python number
    return g


_REDUCTIONS = {}   # (shape of g, shape of x) -> (axes to sum, keepdims, reshape after)


def reduction_plan(gshape, xshape):
    """How a cotangent of shape `gshape` sums to `xshape`: (the axes broadcasting added in
    front or stretched from size 1, keepdims, whether to reshape to xshape after).  The
    compiler writes the same sum out where it knows both shapes (reverse._summed_to)."""
    extra = len(gshape) - len(xshape)
    stretched = tuple(i + extra for i, n in enumerate(xshape)
                      if n == 1 and gshape[i + extra] != 1) if extra >= 0 else ()
    return tuple(range(extra)) + stretched, bool(stretched), bool(stretched) and extra > 0


def _sum_to(g, xshape):
    """Sum the ndarray `g` over the axes broadcasting added (leading) or stretched (size 1 in
    `xshape`): one pass over g.  The axes of each pair of shapes are worked out once."""
    key = (g.shape, xshape)
    plan = _REDUCTIONS.get(key)
    if plan is None:
        plan = reduction_plan(g.shape, xshape)
        if len(_REDUCTIONS) > 4096:
            _REDUCTIONS.clear()
        _REDUCTIONS[key] = plan
    axes, keepdims, reshape = plan
    g = g.sum(axis=axes, keepdims=keepdims)
    return g.reshape(xshape) if reshape else g


def broadcast_like(t, z):
    """`t` broadcast to the shape of `z` (a tangent whose argument was broadcast)."""
    if isinstance(t, (tuple, list, dict)) or _plain_record(t):
        return _itemwise(broadcast_like, t, z)
    zshape = np.shape(z)
    if np.shape(t) == zshape:
        return t
    return np.broadcast_to(t, zshape) * 1.0


def _plain_record(x):
    """A value that is neither a number nor an array (a namedtuple, dataclass or object)."""
    return not isinstance(x, (numbers.Number, np.generic, np.ndarray)) and x is not None


def _itemwise(fn, a, like):
    """A container's derivative `a` (a tuple, list, dict or record, as `like`, its primal)
    with `fn(item, like's item)` in place of each item: unbroadcast and broadcast_like of a
    container's cotangent or tangent (second derivatives through a list of namedtuples)."""
    if type(a) in (tuple, list) and isinstance(like, (tuple, list)) and len(a) == len(like):
        return type(a)(fn(u, v) for u, v in zip(a, like))
    if isinstance(a, dict) and isinstance(like, dict):
        return {k: fn(v, like[k]) if k in like else v for k, v in a.items()}
    items, other = fields(a), fields(like)
    if items is not None and other is not None:
        return rebuilt(a, {k: fn(v, other[k]) for k, v in items.items()
                           if k in other and not is_static(v)})
    return a


def zeros_like(x):
    """The zero of `x`'s kind: 0.0, zeros of its shape, or the same container of zeros."""
    if type(x) is np.ndarray:
        # np.zeros, not np.zeros_like, which writes the zeros itself: 3x slower on 1000 floats
        return np.zeros(x.shape, x.dtype if x.dtype.kind in "fc" else float)
    if isinstance(x, np.ndarray):
        if np.issubdtype(x.dtype, np.inexact):
            return np.zeros_like(x)
        return np.zeros(x.shape)
    if type(x) is tuple:
        return tuple(zeros_like(v) for v in x)
    if isinstance(x, list):
        return [zeros_like(v) for v in x]
    if isinstance(x, dict):
        return {k: zeros_like(v) for k, v in x.items()}
    if isinstance(x, np.generic) and np.issubdtype(x.dtype, np.inexact):
        return x.dtype.type(0)
    if isinstance(x, complex):
        return 0j
    if isinstance(x, numbers.Number):
        return 0.0
    items = fields(x)       # a namedtuple, dataclass or other object (objects.py): its type
    if items is not None:
        return rebuilt(x, {k: zeros_like(v) for k, v in items.items()
                                   if not is_static(v)})
    if isinstance(x, tuple):
        return tuple(zeros_like(v) for v in x)
    return None


def add(a, b):
    """`a + b`, elementwise through tuples, lists and dicts (None is a zero)."""
    if a is None:
        return b
    if b is None:
        return a
    if type(a) in (tuple, list):
        return type(a)(add(u, v) for u, v in zip(a, b))
    if isinstance(a, dict):     # a key one of them lacks has a zero there: keep every key
        return {k: add(a.get(k), b.get(k)) for k in {**a, **b}}
    items = fields(a)       # objects add field by field; static fields are a's
    if items is not None:
        other = fields(b)
        if other is None and isinstance(a, tuple) and isinstance(b, tuple):
            # a named tuple's adjoint (np.linalg.eigh's) and a rule's plain tuple for it
            return type(a)(*(add(u, v) for u, v in zip(a, b)))
        return rebuilt(a, {k: add(v, other[k]) for k, v in items.items()
                                   if not is_static(v)})
    if isinstance(a, (tuple, list)):
        return type(a)(add(u, v) for u, v in zip(a, b))
    return a + b


# -- objects: namedtuples, dataclasses and other objects with attributes (objects.py) --------
def attribute(x, name):
    """`x.name`: the read of an attribute of a value the function computes or is given."""
    return getattr(x, name)


def attribute_grad(g, x, name):
    """The cotangent of `x` from a read of `x.name` whose cotangent is `g`: zeros of x's
    structure, with g for that field.  A property read where x's class was not known when
    the code was made (an object a call returned) is no field: refused, saying what to do."""
    refuse_property(x, name)
    return rebuilt(zeros_like(x), {name: g})


def record(cls, names, values):
    """`cls(name=value, ...)`: a namedtuple or dataclass made of its fields' values."""
    return cls(**dict(zip(names, values)))


def record_fields(x, names):
    """The fields `names` of the object x, as a tuple."""
    return tuple(getattr(x, name) for name in names)


def record_fields_grad(g, x, names):
    """An object of x's type, zero but for the fields `names`, which are the items of g: the
    cotangent of x from record_fields(x, names), and the tangent of record(...) = x."""
    return rebuilt(zeros_like(x), dict(zip(names, g)))


def _falling(b, n):
    """b (b - 1) ... (b - n + 1)."""
    out = 1.0
    for k in range(n):
        out = out * (b - k)
    return out


def pow_slope(a, b, n=1):
    """The n-th derivative of a ** b in a: b (b - 1) ... (b - n + 1) * a ** (b - n), as NumPy
    computes it where Python's numbers would raise: 0 where the factor is 0 (x ** 0 has
    derivative 0, also at 0; x ** 1 has second derivative 0), inf at a == 0 for b < n (JAX's
    value), where `0.0 ** -0.5` raises ZeroDivisionError."""
    factor = _falling(b, n)
    if np.ndim(factor) == 0:
        if factor == 0:
            return zeros_like(a) if type(a) is np.ndarray else 0.0 * factor
        try:
            return factor * a ** (b - n)
        except ZeroDivisionError:
            with np.errstate(divide="ignore"):
                return factor * np.float64(a) ** (b - n)
    with np.errstate(divide="ignore", invalid="ignore"):
        base = np.asarray(a)
        base = base if base.dtype.kind in "fc" else base.astype(float)  # no int ** -1
        return np.where(factor == 0, 0, factor * np.power(base, b - n))


def pow_slope_db(a, b, n=1):
    """The derivative of pow_slope(a, b, n) in b: a ** (b - n) (F'(b) + F(b) log a), F the
    falling factorial b (b - 1) ... (b - n + 1), with log a taken as 0 at a == 0."""
    factors = [b - k for k in range(n)]
    slope = sum(_falling_without(factors, k) for k in range(n))
    with np.errstate(divide="ignore", invalid="ignore"):
        log_a = np.log(np.where(a == 0, 1.0, a))
        return np.power(a, b - float(n)) * (slope + _falling(b, n) * log_a)


def _falling_without(factors, k):
    out = 1.0
    for j, f in enumerate(factors):
        if j != k:
            out = out * f
    return out


def div(a, b):
    """`a / b` as NumPy divides floats (inf, nan) where Python's would raise: a derivative's
    denominator that is 0 where the function is finite (math.sqrt at 0, math.asin at 1)."""
    try:
        return a / b
    except ZeroDivisionError:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.float64(a) / np.float64(b)


def add_at(buf, index, g):
    """A copy of `buf` with `g` added at `buf[index]` (repeated indices add up)."""
    if isinstance(buf, np.ndarray):
        out = buf.copy()
        np.add.at(out, index, g)
        return out
    if isinstance(buf, (tuple, list)):
        out = list(buf)
        if isinstance(index, slice):     # `rest = seq[1:]`'s adjoint: item by item
            for k, item in zip(range(len(out))[index], g):
                out[k] = add(out[k], item)
        else:
            out[index] = add(out[index], g)
        if type(buf) in (tuple, list):
            return type(buf)(out)
        return type(buf)(*out) if isinstance(buf, tuple) else out     # a namedtuple
    if isinstance(buf, dict):
        # a key `buf` lacks has a zero there: the dict the adjoint's zero was made from may
        # have lost the key since (a backward pass restores a dict to before its stores)
        out = dict(buf)
        out[index] = add(out.get(index), g)
        return out
    raise TypeError(f"cannot accumulate into {type(buf).__name__}")


def item_of(adjoint, index, like):
    """`adjoint[index]`, where a dict's adjoint lacking the key holds zero there (made from
    its dict after a backward pass restored it to before its stores): then zeros like `like`,
    the value stored or added at that key."""
    if isinstance(adjoint, dict) and index not in adjoint:
        return zeros_like(like)
    return adjoint[index]


def sum_grad(g, x, axis=None, keepdims=False):
    """The cotangent of `x` for `ans = np.sum(x, axis, keepdims)`: `g` spread back over `x`."""
    if axis is None and type(x) is np.ndarray and np.ndim(g) == 0:
        out = np.empty(x.shape, dtype=np.result_type(g, x.dtype))
        out.fill(g)
        return out
    shape = np.shape(x)
    if axis is not None and not keepdims:
        axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
        g = np.expand_dims(g, tuple(a % len(shape) for a in axes))
    return np.broadcast_to(g, shape) * 1.0 if np.shape(g) != shape else g


def check_assertion(test, message=None):
    """The user's `assert test, message`, as a call (the derivatives keep calls made for their
    effect): a failing assertion raises in the derivative as in the function."""
    if not test:
        raise AssertionError() if message is None else AssertionError(message)


def raise_exception(exc, cause=None):
    """The user's `raise exc` (`raise exc from cause`), as a call that the derivatives keep:
    a guard raises in the derivative as in the function."""
    if cause is not None:
        raise exc from cause
    raise exc


def formatted(template, *values):
    """The user's f-string, `template` a str.format template of the same text."""
    return template.format(*values)


def push_errstate(**settings):
    """`with np.errstate(**settings):` entered: the settings it replaced, for pop_errstate."""
    return np.seterr(**settings)


def pop_errstate(previous):
    """`with np.errstate(...):` left: the settings from before it back."""
    np.seterr(**previous)


def aux_pair(out):
    """Refuse, with what to change, a has_aux function's result that is not a pair
    (output, aux), which the derivative unpacks next."""
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
        from s2s_ad.base.errors import BadArgumentError
        got = f"a {type(out).__name__} of {len(out)} items" \
            if isinstance(out, (tuple, list)) else f"{type(out).__name__} {out!r}"
        raise BadArgumentError(
            f"has_aux=True needs the function to return a pair (output, aux), got {got}",
            hint="Return `loss, aux`, or leave has_aux out for a function returning the "
                 "output alone.")


def grad_seed(out):
    """1 in the type of the scalar `out`: the seed of a gradient's reverse sweep."""
    if type(out) is float or type(out) is np.float64:
        return 1.0
    if isinstance(out, tuple):
        from s2s_ad.base.errors import BadArgumentError
        raise BadArgumentError(
            f"grad needs a function with a scalar output, got a tuple of {len(out)} items",
            hint="For a function returning (output, aux), pass has_aux=True: ad.grad(f, "
                 "has_aux=True)(x) returns (gradient, aux).  For several outputs, use ad.vjp "
                 "or ad.jacrev.")
    if isinstance(out, (tuple, list, dict)) or np.ndim(out) != 0:
        from s2s_ad.base.errors import BadArgumentError
        raise BadArgumentError(
            f"grad needs a function with a scalar output, got shape {np.shape(out)}",
            hint="Use ad.vjp, ad.jacrev or ad.jacfwd for a function with array output, or "
                 "reduce the output (np.sum) first.")
    from s2s_ad.base.errors import BadArgumentError
    if isinstance(out, (bool, int, np.integer, np.bool_)):
        kind = "a boolean" if isinstance(out, (bool, np.bool_)) else "an integer"
        raise BadArgumentError(
            f"grad needs a function with a float output, got {type(out).__name__} {out!r}: "
            f"{kind} output has no derivative",
            hint="Return a float (for example a loss computed with float arithmetic), or use "
                 "ad.stop_gradient where an integer is intended.")
    if isinstance(out, (complex, np.complexfloating)) or \
            isinstance(out, np.ndarray) and out.dtype.kind == "c":
        raise BadArgumentError(
            f"grad needs a function with a real output, got {type(out).__name__} {out!r}: the "
            f"gradient of a complex output is not defined",
            hint="Differentiate a real quantity (np.real(out), np.abs(out) ** 2), or use "
                 "ad.vjp / ad.jvp for the complex derivative.")
    if isinstance(out, (np.generic, np.ndarray)) and np.issubdtype(np.asarray(out).dtype,
                                                                   np.floating):
        return np.ones_like(out)[()]
    if not isinstance(out, (float, np.generic, np.ndarray)):
        raise BadArgumentError(
            f"grad needs a function with a float output, got {type(out).__name__} {out!r}",
            hint="Return the value to differentiate (a function without `return` returns "
                 "None).")
    return 1.0


def sign(x):
    """x / |x| (0 at 0), for real and complex x alike (NumPy 1's np.sign differs on complex)."""
    if np.iscomplexobj(x):
        magnitude = np.abs(x)
        return np.where(magnitude == 0, 0, x / np.where(magnitude == 0, 1, magnitude))
    return np.sign(x)


class _Missing:
    """What the tape holds for a dict key that a write creates: restoring it deletes the key."""

    def __repr__(self):
        return "<no item>"


MISSING_ITEM = _Missing()


def saved_item(container, key):
    """`container[key]` before a write into it, to be restored by `restore_item`: a copy of an
    array, or MISSING_ITEM for a key the dict does not have yet."""
    if isinstance(container, dict) and key not in container:
        return MISSING_ITEM
    return copy_of(container[key])


def restore_item(container, key, value, adjoint=None):
    """Undo a write into `container[key]` with what `saved_item` saved (a new key goes from
    the container's `adjoint` as well)."""
    if value is MISSING_ITEM:
        # (already gone where a first backward pass, run inside a second, removed it)
        container.pop(key, None)
        if adjoint is not None:
            adjoint.pop(key, None)
    else:
        container[key] = value


def copy_of(x, order="C"):
    """A copy of an array (a saved part must not change with the array), of a dict or a list
    (its items shared); other values as is.  Also the user's `x.copy()` (`order` ndarray.copy's)."""
    cls = type(x)
    if cls is np.float64 or cls is float:    # the common case (an element of an array) first
        return x
    if isinstance(x, np.ndarray):
        return x.copy(order)
    if cls is dict or cls is list:
        return cls(x)
    return x


def unpacked_grad(parts, like):
    """The cotangent of `like` from those of its items (`x, y = like`), as the generated
    code adds it up: an array for an array (its items' cotangents stacked), else the tuple."""
    if isinstance(like, np.ndarray):
        return np.array(parts)
    return tuple(parts)


def spread(g, items):
    """The cotangents of the items of `sum(items)`: g, reduced to each item's shape."""
    return type(items)(unbroadcast(g, x) for x in items) if isinstance(items, (list, tuple)) \
        else [unbroadcast(g, x) for x in items]


def scalar_like(v, x):
    """`v` as the kind of `x`: a Python float where x is a Python number, else unchanged."""
    if isinstance(x, numbers.Number) and not isinstance(x, np.generic) and np.ndim(v) == 0:
        return float(v)
    return v


def check_walked(mapping, keys):
    """What Python checks each time a `for` loop over a dict takes its next key (and finds
    there is none): that the dict's size is still that of the `keys` the loop lists.  A body
    that adds a key (`d[new] = v`) raises here as in the function.  `keys` is None for a list
    (keys_of), whose walk has no such check."""
    if keys is not None and len(mapping) != len(keys):
        raise RuntimeError("dictionary changed size during iteration")


def keys_of(mapping):
    """The keys a `for` loop over a dict visits, in order, as a list (read by position); None
    for anything else, which a `for` loop walks by position (a loop over a value whose kind
    is not known when the code is generated asks at run time)."""
    return list(mapping) if isinstance(mapping, Mapping) else None


def sorted_order(keys, reverse=False):
    """The positions of `keys` in the order `sorted(items, key=..., reverse=reverse)` puts
    their items (stable, as sorted is)."""
    return sorted(range(len(keys)), key=keys.__getitem__, reverse=reverse)


def index_of_min(keys):
    """The position of the item `min(items, key=...)` returns (the first of the smallest)."""
    return min(range(len(keys)), key=keys.__getitem__)


def index_of_max(keys):
    """The position of the item `max(items, key=...)` returns (the first of the largest)."""
    return max(range(len(keys)), key=keys.__getitem__)


def unsupported(what):
    """Raise for a rule applied to an argument combination it does not cover."""
    raise NotImplementedError(f"s2s_ad has no derivative rule for {what}")
