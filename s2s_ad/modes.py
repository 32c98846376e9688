"""The table of modes: one entry per kind of derivative s2s_ad makes.

Stage: public layer, read by the transforms (the names of the functions they return), by
`ad.source` and the CLI (which modes print code, and how it is built).  Input: a mode's name,
as a user spells it.  Output: its `Mode`: what the pipeline generates for it (the pipeline's
modes, run in turn, each on the code the one before made), the suffix of the derivative
function's name (`f_grad`), and how its result is shaped.
"""
from dataclasses import dataclass

from s2s_ad.base.errors import BadArgumentError


@dataclass(frozen=True)
class Mode:
    name: str
    generates: tuple      # the pipeline's modes, in turn: ("grad", "tangent") is hvp's code
    suffix: str           # the derivative of `f` is named f"f_{suffix}"
    result: str           # how its result is shaped
    printable: bool = True       # ad.source and the CLI print its code
    needs_example: bool = False  # its code is specialised to the arguments' shapes
    # A Jacobian's or a Hessian's transform calls code of other modes: `batched` once, on a
    # whole basis, where it can (None: never), else `per_vector` once per basis vector; what
    # the CLI prints for it is that code, under the comment `calls` says for each
    batched: str = None
    per_vector: str = None
    calls: tuple = ()

    def name_of(self, fn):
        """The name of the derivative function of `fn` in this mode."""
        return f"{getattr(fn, '__name__', 'f')}_{self.suffix}"


MODES = {mode.name: mode for mode in (
    Mode("ssa", ("ssa",), "ssa", "the function itself, in SSA form"),
    Mode("grad", ("grad",), "grad",
         "the gradient, shaped like the wrt argument (a tuple of them for a tuple wrt); "
         "(gradient, aux) with has_aux"),
    Mode("value_and_grad", ("value_and_grad",), "value_and_grad",
         "(value, gradient); ((value, aux), gradient) with has_aux"),
    Mode("vjp", ("vjp",), "vjp",
         "(out, pullback); pullback(cotangent) gives a tuple, one cotangent per wrt argument"),
    Mode("jvp", ("jvp",), "jvp", "(out, tangent of out)"),
    Mode("hvp", ("grad", "tangent"), "hvp",
         "the Hessian times v, shaped like the wrt argument (forward over reverse)"),
    Mode("jvp_batched", ("jvp_batched",), "jvp_batched",
         "(out, tangents of out with a leading batch axis)", needs_example=True),
    Mode("vjp_batched", ("vjp_batched",), "vjp_batched",
         "cotangents of the wrt arguments with a leading batch axis", needs_example=True),
    Mode("jacfwd", ("jvp_batched",), "jacfwd", "out.shape + in.shape", printable=False,
         batched="jvp_batched", per_vector="jvp",
         calls=("ad.jacfwd(f) calls this once, with the identity as the batch of input "
                "tangents",
                "ad.jacfwd(f) calls this once per input tangent, each a basis vector")),
    Mode("jacrev", ("vjp_batched",), "jacrev", "out.shape + in.shape", printable=False,
         batched="vjp_batched", per_vector="vjp",
         calls=("ad.jacrev(f) calls this once, with the identity as the batch of output "
                "cotangents",
                "ad.jacrev(f) calls this once per output cotangent, each a basis vector")),
    Mode("hessian", ("grad", "jvp_batched"), "hessian", "in.shape + in.shape",
         printable=False, per_vector="hvp",
         calls=(None, "ad.hessian(f) is the forward-mode Jacobian of the gradient: its column "
                      "i is this Hessian-vector product with basis vector i")),
)}

PRINTABLE = tuple(name for name, mode in MODES.items() if mode.printable)


def printable(name):
    """The Mode `ad.source` prints for `name`, or a BadArgumentError naming the choices."""
    mode = MODES.get(name)
    if mode is None or not mode.printable:
        raise BadArgumentError(f"unknown mode {name!r}: use one of {', '.join(PRINTABLE)}")
    return mode
