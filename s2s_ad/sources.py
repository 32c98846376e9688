"""`ad.source`: the generated code of any mode, as text a person reads.

It sits above the api and the higher-order transforms because it prints the code of both
(`"hvp"` is forward mode over the reverse-mode gradient, see higher.hvp_source).
"""
from s2s_ad.api import (_as_float, _params, _qualname, arg_kinds, differentiated, shapes_of,
                        value_global_kinds, wrt_names)
from s2s_ad.backend.codegen import to_source
from s2s_ad.base.errors import BadArgumentError, Unbatchable
from s2s_ad.frontend import source as frontend
from s2s_ad.higher import hvp_source
from s2s_ad.transforms.pipeline import collector_paused, deep_expressions, generate


def source(fn, mode="grad", wrt=0, *, optimize=True, has_aux=False, example=None):
    """The generated Python source of `fn` for `mode` ("ssa", "jvp", "vjp", "grad", "hvp").

    Without `example` the text is the generic code, for arguments that are numbers or arrays;
    with `example` (a tuple of arguments) it is the code specialised to those arguments' kinds,
    which is the code that runs when `fn`'s derivative is called with such arguments.
    "jvp_batched" and "vjp_batched" (the code jacfwd and jacrev call, see batching.py) need an
    `example`, since they are specialised to the shapes of the arguments.
    """
    with deep_expressions(), collector_paused():
        return _source(fn, mode, wrt, optimize, has_aux, example)


def _source(fn, mode, wrt, optimize, has_aux, example):
    batched_modes = ("jvp_batched", "vjp_batched")
    if mode not in ("ssa", "grad", "vjp", "jvp", "hvp", "value_and_grad") + batched_modes:
        raise BadArgumentError(f"unknown mode {mode!r}: use one of ssa, jvp, vjp, grad, hvp, "
                               f"value_and_grad, jvp_batched, vjp_batched")
    if mode in batched_modes and example is None:
        raise BadArgumentError(f"mode {mode!r} needs example=(arguments...): its code is "
                               f"specialised to their shapes")
    names, _ = wrt_names(fn, wrt) if mode != "ssa" else ([], False)
    kinds, shapes = None, None
    if example is not None:
        kinds = arg_kinds(_params(fn), [_as_float(a) if p in names else a
                                         for p, a in zip(_params(fn), example)])
        kinds.update(dict(value_global_kinds(frontend.unwrap(fn))))
        shapes = shapes_of(_params(fn), example)
    if mode == "hvp":
        return hvp_source(fn, names, optimize=optimize, arg_kinds=kinds, arg_shapes=shapes)
    if getattr(fn, "__s2s_ad__", None) is not None:
        fn = fn.__s2s_ad_generated__()
    try:
        node, _, _, program = generate(differentiated(fn), mode, names, has_aux=has_aux,
                                       optimize=optimize, arg_kinds=kinds, arg_shapes=shapes)
    except Unbatchable as exc:
        raise BadArgumentError(f"no {mode} code for {_qualname(fn)}: {exc}",
                               hint="jacfwd and jacrev loop over basis vectors for it "
                                    "instead.") from None
    return to_source(node) + program.source()
