"""What a record of a callable holds: the Primitive (its derivative rules and the facts the
other stages read), the vocabularies of its kind and shift facts, and Refused, which stands in
place of a rule that must not be used.

Stage: rules, the lowest part (no imports of the package).  Input: nothing; output: the types
that rules/registry.py fills its tables with and every stage reads through it.
"""
from dataclasses import dataclass, field


# The kind rules a record may state (analysis/kinds.py reads them): the kind of a call's
# result is always "scalar", "array" or "num" (a number or array), or "tuple" (a tuple or
# list of arrays, whose kind is unknown), or follows from its arguments' kinds: "combine"d
# as broadcasting does, the "first" argument's, or "elementwise" (a unary ufunc's: the first
# argument's if a number or an array, else "num").
KIND_RULES = ("scalar", "array", "num", "tuple", "combine", "first", "elementwise")

# The shift rules a record may state (analysis/activity.shift_invariant reads them): how its
# result moves when its arguments move with a constant c, a "shift" moving a value by s * c, a
# "scale" multiplying it by exp(s * c).  "sum" and "difference" (u + v, u - v) add or subtract
# their operands' shifts, "product" and "quotient" (u * v, u / v) their scales; "negation"
# negates a shift and keeps a scale; "exp" makes a shift a scale, "log" a scale a shift.  A
# reduction along axes on which c is constant keeps a shift and a positive scale ("extremum",
# a maximum or minimum: what the analysis looks for; "mean") or a scale ("total", a sum).
SHIFT_RULES = ("sum", "difference", "product", "quotient", "negation", "exp", "log",
               "extremum", "mean", "total")


@dataclass
class Primitive:
    """Everything the compiler knows about one callable, read by every stage through here.

    Derivatives (transforms/): `vjps`, `jvps`, `broadcasts`, `extra` (see defspread,
    defstructural).  The other facts are stated with `deffacts`, next to the callable's rules;
    a fact left unstated is derived from what the callable is, by the one function that reads
    it (analysis/kinds.kind_rule, analysis/shapes.shape_rule, is_pure):

        kind      how its result's value kind follows from its arguments' (KIND_RULES)
        shape     shape rule: rule(call) -> the result's shape tuple, or None where not
                  certain; `call` has .shapes (the positional arguments', None where unknown),
                  .args, .kwargs and .constant(atom) -> (known, value) (rules/shape_facts.py)
        pure      computes a value and changes nothing (the optimiser may drop or move it)
        cheap     cheap enough on numbers that reverse mode computes it again rather than
                  saving it on the tape
        batched   (jvp factory, vjp factory) of its batched rules: factory(i, ranks) -> a
                  rule with the parameters of the one it replaces, or None (batching.py)
        elementwise_in  positions through which a batched tangent flows elementwise
        methods   names of the array methods that are this function of the array
                  (`x.sum(axis=0)` is `np.sum(x, axis=0)`; analysis/ops.py)
        method_packs  its method takes the further positional arguments as one tuple
                  (`x.reshape(2, 3)` is `np.reshape(x, (2, 3))`)
        attributes  names of the array attributes that are this function of the array
                  (`x.T` is `np.transpose(x)`)
        view      its result may be a view of its first argument (np.reshape, np.real)
        fresh     its result is a new array, never an argument nor a view of one
        real      real arguments give a real result (analysis/kinds.all_real)
        in_place  it writes into an array it is given, which is refused: how to write it
                  instead (analysis/ops.py)
        shift     how its result moves when its arguments move with a constant (SHIFT_RULES)
    """
    fn: object
    vjps: tuple = ()
    jvps: tuple = ()
    broadcasts: bool = False
    # Where the rules were registered: the library rule modules, or "user".
    origin: str = "s2s_ad"
    extra: dict = field(default_factory=dict)
    kind: str = None
    shape: object = None
    pure: bool = None
    cheap: bool = False
    batched: tuple = None
    elementwise_in: tuple = ()
    methods: tuple = ()
    method_packs: bool = False
    attributes: tuple = ()
    view: bool = False
    fresh: bool = False
    real: bool = False
    in_place: str = None
    shift: str = None


FACTS = ("kind", "shape", "pure", "cheap", "batched", "elementwise_in", "methods",
         "method_packs", "attributes", "view", "fresh", "real", "in_place", "shift")


class Refused:
    """In place of a rule: a derivative through this argument is refused at compile time with
    `message` (a calling form the rules do not cover, which would otherwise get a silent zero).
    Called directly (tests, user code), it raises.  `names`: the parameters of the function
    by position, for a function refused in every argument (no rule spells them), so that an
    argument passed by keyword is refused with this message too (positional_names)."""

    def __init__(self, message, hint, names=()):
        self.message, self.hint, self.names = message, hint, tuple(names)

    def __call__(self, *args, **kwargs):
        raise NotImplementedError(f"s2s_ad has no derivative rule for {self.message}")
