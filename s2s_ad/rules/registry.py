"""The records of the callables: one Primitive per callable, keyed by the callable, holding its
derivative rules and the facts every other stage reads (kind and shape of its result, purity,
recomputation cost, batched rules; see Primitive and deffacts).  A rule module states them all
in one place, next to each other.

A rule is an ordinary, runnable Python function (usually a one-line lambda):

    VJP rule for positional argument i:  rule(g, ans, *args, **kwargs) -> cotangent of args[i]
    JVP rule for positional argument i:  rule(t, ans, *args, **kwargs) -> tangent of ans caused
                                         by the tangent t of args[i]

`g` is the cotangent of the result `ans`; `t` has the shape of `args[i]`.  `None` in place of a
rule marks that argument as non-differentiable; arguments past the last rule are
non-differentiable too (axis, shape, dtype ...).

The compiler inlines a rule's body into the generated code, renaming its parameters to the
caller's variables, so a rule must be a lambda or a `def` whose body is simple assignments
followed by one `return`.  Rules may use `np`, `math` and the runtime helpers `_ad.*`
(`from s2s_ad import runtime as _ad`), and nothing else from their module.

Most rules are stated once for both modes: `defelementwise` (a partial derivative per argument),
`deflinear` and `defbilinear` (a linear function is its own JVP; its VJP, the transpose, is
what is written).  The rules they make are functions too, with a `Derivation` that the
inliner expands as it would a written rule's body.

`broadcasts=True` marks an elementwise function with NumPy broadcasting: its VJP rules return the
cotangent in the *result's* shape and the compiler reduces it to the argument's shape (only where
the shapes can differ); its JVP rules return a tangent that the compiler broadcasts to the result.
"""
import math
import operator
from dataclasses import dataclass, field

import numpy as np

from s2s_ad import runtime

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


Rule = Primitive     # the name the derivative stages use for a record with rules
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


PRIMITIVES = {}         # callable -> Primitive: every callable with rules or stated facts
RULES = {}              # callable -> its Primitive, for the callables with derivative rules
NONDIFFERENTIABLE = {}  # callable -> origin; calls to these have a zero derivative
METHODS = {}            # array method name -> the callable whose record lists it
ATTRIBUTES = {}         # array attribute name -> the callable whose record lists it
# array attributes read as constants (no derivative): never an object's field to the analysis
CONSTANT_ATTRIBUTES = frozenset({"shape", "ndim", "size", "dtype", "itemsize", "nbytes"})

# Rule modules of optional libraries, loaded the first time they can matter: when a callable is
# looked up or given rules while the library is imported.  SciPy takes ~150 ms to import; a
# program that never uses it should not pay that for `import s2s_ad`.  A submodule that SciPy
# does not import with itself has its own entry: `scipy.integrate` alone takes ~175 ms more.
_OPTIONAL = {"scipy": "s2s_ad.rules.scipy_rules",
             "scipy.linalg": "s2s_ad.rules.scipy_linalg_rules",
             "scipy.integrate": "s2s_ad.rules.scipy_integrate_rules",
             "scipy.stats": "s2s_ad.rules.scipy_stats_rules"}
_optional_loaded = set()


def load_optional_rules():
    """Load the rules of every optional library the program has imported; True if any."""
    import importlib
    import sys
    loaded = False
    for library, module in _OPTIONAL.items():
        if library not in _optional_loaded and library in sys.modules:
            _optional_loaded.add(library)
            try:
                importlib.import_module(module)
            except ImportError:     # pragma: no cover - a broken or partial install
                continue
            loaded = True
    return loaded


def _key(fn):
    # Bound methods of the same builtin compare equal but are new objects each time.
    return fn


def _record(fn):
    """The Primitive of `fn`, made (with no rules and no facts) if it has none."""
    record = PRIMITIVES.get(_key(fn))
    if record is None:
        record = PRIMITIVES[_key(fn)] = Primitive(fn)
    return record


def _entry(fn, broadcasts, origin):
    load_optional_rules()     # first, so that rules given here replace the library's
    rule = RULES.get(_key(fn))
    if rule is None:
        rule = RULES[_key(fn)] = _record(fn)
    rule.broadcasts = rule.broadcasts or broadcasts
    rule.origin = origin
    return rule


def defvjp(fn, *rules, broadcasts=False, origin="s2s_ad"):
    """Register per-argument VJP rules for `fn`: rule_i(g, ans, *args, **kwargs)."""
    _entry(fn, broadcasts, origin).vjps = tuple(rules)
    NONDIFFERENTIABLE.pop(fn, None)
    return fn


def defjvp(fn, *rules, broadcasts=False, origin="s2s_ad"):
    """Register per-argument JVP rules for `fn`: rule_i(t, ans, *args, **kwargs)."""
    _entry(fn, broadcasts, origin).jvps = tuple(rules)
    NONDIFFERENTIABLE.pop(fn, None)
    return fn


# ---- rules written once: one statement gives both modes ----

@dataclass(frozen=True)
class Derivation:
    """What a rule made by defelementwise, deflinear or defbilinear computes, from what was
    written once.  The inliner (frontend/inline.py) expands it into the rule's body as it
    would parse a written rule; calling the rule computes the same value.

        "times"   seed * of(ans, *args, **kwargs): `of` is a partial derivative
        "apply"   of(*args, **kwargs) with the seed in place of positional argument
                  `position`: `of` is linear there (its own tangent map, or its transpose
                  when symmetric); `names` are the parameters after (seed, ans), `keywords`
                  those of them passed by keyword
    """
    kind: str
    of: object
    position: int = 0
    names: tuple = ()
    keywords: tuple = ()


def derivation(rule):
    """The Derivation a rule was made from, or None for a rule written as a function."""
    return getattr(rule, "__s2s_ad_derivation__", None)


def _made_rule(how, seed, parameters):
    """A function computing `how` (a Derivation), with the signature (seed, ans, *parameters):
    what registry.bind, the inliner and direct callers (tests) read."""
    import inspect
    taken = {p.name for p in parameters}
    seed, result = _fresh(seed, taken), _fresh("ans", taken)
    if how.kind == "times":
        def rule(s, ans, *args, **kwargs):
            return s * how.of(ans, *args, **kwargs)
    else:
        def rule(s, ans, *args, **kwargs):
            bound = signature.bind(s, ans, *args, **kwargs)
            bound.apply_defaults()
            values = [s if k == how.position else bound.arguments[n]
                      for k, n in enumerate(how.names)]
            plain = [v for v, n in zip(values, how.names) if n not in how.keywords]
            return how.of(*plain, **{n: bound.arguments[n] for n in how.keywords})
    first = [inspect.Parameter(seed, inspect.Parameter.POSITIONAL_OR_KEYWORD),
             inspect.Parameter(result, inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    signature = inspect.Signature(first + [  # (as a lambda's: x of np.matrix_transpose(x, /))
        p.replace(kind=p.POSITIONAL_OR_KEYWORD) if p.kind is p.POSITIONAL_ONLY else p
        for p in parameters])
    rule.__signature__ = signature
    rule.__s2s_ad_derivation__ = how
    rule.__qualname__ = rule.__name__ = f"{how.kind}_rule"
    return rule


def _fresh(name, taken):
    """`name`, or `name_`, `name__` ... where a parameter already has it."""
    while name in taken:
        name += "_"
    return name


def _parameters(fn, skip, what):
    """The parameters of `fn` after the first `skip` (a rule's seed and ans, a partial's ans)."""
    import inspect
    from s2s_ad.base.errors import BadArgumentError
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        raise BadArgumentError(f"{what}: {fn!r} has no signature",
                               hint="Give its transpose, or write its rules with defvjp and "
                                    "defjvp.") from None
    if len(params) < skip + 1 or any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
                                      for p in params):
        raise BadArgumentError(
            f"{what}: {getattr(fn, '__name__', fn)} takes {len(params)} parameters",
            hint="A partial derivative takes (ans, x, ...), a transpose (g, ans, x, ...): the "
                 "function's arguments named, without *args or **kwargs.")
    return params[skip:]


def defelementwise(fn, *partials, broadcasts=False, origin="s2s_ad"):
    """Both modes of `fn` from one partial derivative per argument:
    partial_i(ans, *args, **kwargs) -> d fn / d args[i] (None: not differentiable).

    The VJP of argument i is g * partial_i and its JVP t * partial_i: the derivative is a
    product elementwise, so the same expression serves both modes (for complex values, the
    holomorphic convention of `s2s_ad.rules`).  A partial written in differentiable calls
    (np.cos, not a helper without rules) gives second derivatives too: the compiler inlines
    it and differentiates it again.  `broadcasts` as for defvjp."""
    def made(partial, seed):
        if partial is None or isinstance(partial, Refused):
            return partial
        code = getattr(partial, "__code__", None)
        if code is not None:      # a name of its own, whatever the partial reads
            seed = _fresh(seed, set(code.co_names + code.co_varnames + code.co_freevars))
        return _made_rule(Derivation("times", partial), seed,
                          _parameters(partial, 1, "defelementwise"))
    defvjp(fn, *(made(p, "g") for p in partials), broadcasts=broadcasts, origin=origin)
    return defjvp(fn, *(made(p, "t") for p in partials), broadcasts=broadcasts, origin=origin)


def _applied(fn, position, parameters, seed):
    """The rule `fn(*args)` with the seed in place of args[position] (parameters: the rule's
    after seed and ans, in fn's order, as rules name them); keyword-only ones by keyword."""
    names = tuple(p.name for p in parameters)
    keywords = tuple(p.name for p in parameters if p.kind is p.KEYWORD_ONLY)
    return _made_rule(Derivation("apply", fn, position, names, keywords), seed, parameters)


def deflinear(fn, transpose=None, broadcasts=False, origin="s2s_ad"):
    """Both modes of `fn`, linear in its first argument (the others are parameters: a shape,
    axes): its JVP is `fn` itself with the tangent in place of that argument, and its VJP
    `transpose(g, ans, *args, **kwargs)`, the adjoint map.  Without `transpose`, `fn` is its
    own transpose (np.flip, np.triu, np.swapaxes) and its signature names the parameters."""
    if transpose is None:
        parameters = _parameters(fn, 0, "deflinear")
        vjp = _applied(fn, 0, parameters, "g")
    else:
        parameters = _parameters(transpose, 2, "deflinear")
        vjp = transpose
    defvjp(fn, vjp, broadcasts=broadcasts, origin=origin)
    return defjvp(fn, _applied(fn, 0, parameters, "t"), broadcasts=broadcasts, origin=origin)


def defbilinear(fn, transpose_a, transpose_b, broadcasts=False, origin="s2s_ad"):
    """Both modes of `fn(a, b, ...)`, linear in a for a fixed b and in b for a fixed a
    (a product: matmul, dot, outer): the JVP of a is fn(t, b, ...), of b fn(a, t, ...);
    the VJPs are the two transposes, transpose_a(g, ans, a, b, ...) and transpose_b."""
    parameters = _parameters(transpose_a, 2, "defbilinear")
    defvjp(fn, transpose_a, transpose_b, broadcasts=broadcasts, origin=origin)
    return defjvp(fn, _applied(fn, 0, parameters, "t"), _applied(fn, 1, parameters, "t"),
                  broadcasts=broadcasts, origin=origin)


def defspread(fn, mean=False):
    """Declare that `fn(x, axis=None, keepdims=False)` sums x over axes (or averages it, with
    `mean`): the cotangent of x is the result's cotangent, the same along the summed axes.  The
    compiler then keeps it unexpanded while elementwise rules carry it (reverse.py, uniform
    adjoints).  The VJP rule must be registered too: it is what runs everywhere else."""
    RULES[_key(fn)].extra["spreads"] = "mean" if mean else "sum"
    return fn


def defstructural(fn):
    """Declare that `fn`'s values may be tuples, lists or dicts (the runtime's `add`, `add_at`):
    forward mode adds the tangents its arguments cause with `_ad.add`, through the structure,
    where `+` would join two tuples into one."""
    RULES[_key(fn)].extra["structural"] = True
    return fn


def share(fn, like, origin="s2s_ad"):
    """Give `fn` the rules of `like` (np.add computes what operator.add computes)."""
    rule = RULES[_key(like)]
    record = RULES[_key(fn)] = _record(fn)
    _forget_rules(record)
    record.vjps, record.jvps, record.broadcasts, record.origin = \
        rule.vjps, rule.jvps, rule.broadcasts, origin
    NONDIFFERENTIABLE.pop(fn, None)
    return fn


def deffacts(*fns, **facts):
    """State facts (the fields of Primitive after `extra`) of each of `fns`, next to their
    rules; facts not given keep what they were."""
    unknown = set(facts) - set(FACTS)
    if unknown:
        raise TypeError(f"deffacts: no fact named {', '.join(sorted(unknown))}")
    if facts.get("kind") is not None and facts["kind"] not in KIND_RULES:
        raise ValueError(f"deffacts: kind must be one of {KIND_RULES}, not {facts['kind']!r}")
    if facts.get("shift") is not None and facts["shift"] not in SHIFT_RULES:
        raise ValueError(f"deffacts: shift must be one of {SHIFT_RULES}, not {facts['shift']!r}")
    for fn in fns:
        record = _record(fn)
        for name, value in facts.items():
            setattr(record, name, value)
        METHODS.update(dict.fromkeys(facts.get("methods", ()), fn))
        ATTRIBUTES.update(dict.fromkeys(facts.get("attributes", ()), fn))
    return fns[0] if len(fns) == 1 else fns


def _forget_rules(record):
    """Drop the derivative rules of `record`, keeping its other facts."""
    record.vjps, record.jvps, record.broadcasts, record.extra = (), (), False, {}


def nondifferentiable(*fns, origin="s2s_ad"):
    """Declare that calls to each of `fns` have a zero derivative (no code is emitted)."""
    load_optional_rules()
    for fn in fns:
        NONDIFFERENTIABLE[_key(fn)] = origin
        if RULES.pop(_key(fn), None) is not None:
            _forget_rules(PRIMITIVES[_key(fn)])
    return fns[0] if len(fns) == 1 else fns


def unstated(rule, rules, i):
    """Is argument i of a call past the last of a user's `rules` (the VJP or JVP rules of
    `rule`)?  The library's rules leave the arguments past the last one (axes, shapes) out;
    a user's rule list that stops early may have forgotten one: it is refused where that
    argument is differentiated, never taken for a zero derivative (None says that)."""
    return rule is not None and rule.origin == "user" and bool(rules) and i >= len(rules)


def marked_none(rule, i):
    """Does every rule list of `rule` mark argument i None (or, for the library's rules, leave
    it out)?  Then its derivative is zero."""
    lists = [rules for rules in (rule.vjps, rule.jvps) if rules]
    if rule.origin != "user":
        n = max((len(rules) for rules in lists), default=0)
        return i >= n or all(i >= len(rules) or rules[i] is None for rules in lists)
    return all(i < len(rules) and rules[i] is None for rules in lists)


def lookup(fn):
    """The Rule for `fn`, or None.  Unhashable callables have no rule."""
    try:
        rule = RULES.get(_key(fn))
    except TypeError:
        return None
    if rule is None and _optional_loaded != _OPTIONAL.keys() and load_optional_rules():
        rule = RULES.get(_key(fn))
    return rule


def primitive(fn):
    """The Primitive of `fn` (its rules and stated facts), or None.  Unhashable callables have
    none."""
    try:
        record = PRIMITIVES.get(_key(fn))
    except TypeError:
        return None
    if record is None and _optional_loaded != _OPTIONAL.keys() and load_optional_rules():
        record = PRIMITIVES.get(_key(fn))
    return record


def fact(fn, name):
    """The fact `name` of `fn`'s record as stated (a field of Primitive), or its default for a
    callable without a record."""
    record = primitive(fn)
    return getattr(record if record is not None else _NO_FACTS, name)


_NO_FACTS = Primitive(None)


def is_cheap(fn):
    """Is `fn` cheap enough on numbers that reverse mode computes its result again rather than
    saving it on the tape (its record's `cheap`)?"""
    return fact(fn, "cheap")


def is_pure(fn):
    """Does calling `fn` compute a value and change nothing (the optimiser may drop, merge or
    move the call)?  Its record's `pure`; else True for a built-in exception class and for a
    function of NumPy, `math`, `operator` or the runtime, as found there by its name (as
    generated code calls them)."""
    record = primitive(fn)
    if record is not None and record.pure is not None:
        return record.pure
    if isinstance(fn, type) and issubclass(fn, BaseException) and fn.__module__ == "builtins":
        return True      # making `ValueError("...")` (a guard's, for _ad.raise_exception)
    name = getattr(fn, "__name__", None)
    return isinstance(name, str) and any(getattr(m, name, None) is fn for m in pure_modules())


def pure_modules():
    """The modules whose functions are pure unless their record says otherwise."""
    return np, math, runtime, operator


def is_nondifferentiable(fn):
    try:
        found = _key(fn) in NONDIFFERENTIABLE
    except TypeError:
        return False
    if not found and _optional_loaded != _OPTIONAL.keys() and load_optional_rules():
        found = _key(fn) in NONDIFFERENTIABLE
    return found


def positional_names(rule):
    """The names of the parameters the rules of `rule` take by position after (g, ans) or
    (t, ans): the longest list any of its rules spells, as the rules agree on them.  Cached
    on the Rule for its current rules."""
    import inspect
    key = (rule.vjps, rule.jvps)
    cached = rule.extra.get("_names")
    if cached is not None and cached[0] == key:
        return cached[1]
    names = ()
    for fn in rule.vjps + rule.jvps:
        if isinstance(fn, Refused):
            names = fn.names if len(fn.names) > len(names) else names
            continue
        if fn is None:
            continue
        try:
            params = list(inspect.signature(fn).parameters.values())[2:]
        except (TypeError, ValueError):
            continue
        spelled = []
        for p in params:
            if p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
                break
            spelled.append(p.name)
        if len(spelled) > len(names):
            names = tuple(spelled)
    rule.extra["_names"] = (key, names)
    return names


def bind(rule, args, kwargs):
    """The arguments of a call of a function with `rule`, by position: ({position: atom},
    {keyword: atom} of the keywords that name no position).  An argument passed by keyword
    (`np.clip(x, 0.0, a_max=hi)`) gets the position of the rules' parameter of that name, so
    that it is differentiated exactly as if passed by position.  This is the one place that
    matches a call to the rules; activity, reverse and forward mode all read it."""
    bound = dict(enumerate(args))
    rest = {}
    names = positional_names(rule) if rule is not None else ()
    for key, value in kwargs.items():
        if key in names and names.index(key) not in bound:
            bound[names.index(key)] = value
        else:
            rest[key] = value
    return dict(sorted(bound.items())), rest


def has_rule(rule, i):
    """Does position i of a function with `rule` carry a derivative (a VJP or a JVP rule)?"""
    return (i < len(rule.vjps) and rule.vjps[i] is not None) or \
        (i < len(rule.jvps) and rule.jvps[i] is not None)
