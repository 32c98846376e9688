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

Stage: the rule table.  Input: the rule modules' defvjp, defjvp, deffacts ... statements.
Output: the tables PRIMITIVES, RULES, NONDIFFERENTIABLE, METHODS and ATTRIBUTES, and the
queries every other stage reads them through (lookup, primitive, fact, is_pure, bind ...).
The record type is rules/record.py; the rules written once are made in rules/written_once.py.
"""
import math
import operator

import numpy as np

from s2s_ad import runtime
from s2s_ad.rules.record import FACTS, KIND_RULES, SHIFT_RULES, Primitive, Refused
from s2s_ad.rules.written_once import bilinear_rules, elementwise_rules, linear_rules
# read through this module by the other stages (frontend/inline.py: registry.derivation)
from s2s_ad.rules.written_once import Derivation, derivation  # noqa: F401

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
             "scipy.stats": "s2s_ad.rules.scipy_stats_rules",
             "scipy.fft": "s2s_ad.rules.scipy_fft_rules",
             "scipy.signal": "s2s_ad.rules.scipy_signal_rules"}
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


# ---- rules written once: one statement gives both modes (rules/written_once.py) ----

def defelementwise(fn, *partials, broadcasts=False, origin="s2s_ad"):
    """Both modes of `fn` from one partial derivative per argument:
    partial_i(ans, *args, **kwargs) -> d fn / d args[i] (None: not differentiable).

    The VJP of argument i is g * partial_i and its JVP t * partial_i: the derivative is a
    product elementwise, so the same expression serves both modes (for complex values, the
    holomorphic convention of `s2s_ad.rules`).  A partial written in differentiable calls
    (np.cos, not a helper without rules) gives second derivatives too: the compiler inlines
    it and differentiates it again.  `broadcasts` as for defvjp."""
    vjps, jvps = elementwise_rules(partials)
    defvjp(fn, *vjps, broadcasts=broadcasts, origin=origin)
    return defjvp(fn, *jvps, broadcasts=broadcasts, origin=origin)


def deflinear(fn, transpose=None, broadcasts=False, origin="s2s_ad"):
    """Both modes of `fn`, linear in its first argument (the others are parameters: a shape,
    axes): its JVP is `fn` itself with the tangent in place of that argument, and its VJP
    `transpose(g, ans, *args, **kwargs)`, the adjoint map.  Without `transpose`, `fn` is its
    own transpose (np.flip, np.triu, np.swapaxes) and its signature names the parameters."""
    vjp, jvp = linear_rules(fn, transpose)
    defvjp(fn, vjp, broadcasts=broadcasts, origin=origin)
    return defjvp(fn, jvp, broadcasts=broadcasts, origin=origin)


def defbilinear(fn, transpose_a, transpose_b, broadcasts=False, origin="s2s_ad"):
    """Both modes of `fn(a, b, ...)`, linear in a for a fixed b and in b for a fixed a
    (a product: matmul, dot, outer): the JVP of a is fn(t, b, ...), of b fn(a, t, ...);
    the VJPs are the two transposes, transpose_a(g, ans, a, b, ...) and transpose_b."""
    jvps = bilinear_rules(fn, transpose_a)
    defvjp(fn, transpose_a, transpose_b, broadcasts=broadcasts, origin=origin)
    return defjvp(fn, *jvps, broadcasts=broadcasts, origin=origin)


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
    """The record of `fn` if it has derivative rules, or None.  Unhashable callables have no rule."""
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
    on the record for its current rules."""
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
