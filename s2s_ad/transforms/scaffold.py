"""What forward and reverse mode share: reading a call's rules and calls to user functions.

    stage:  transforms (under forward.py and the reverse-mode modules)
    input:  an Analysed SSA function and one of its call statements
    output: the rule functions to apply to each active argument, how each applies to a batch
            (batching.py), each rule instantiated as statements and an expression, and the
            arguments of a call to a user function that get a generated derivative

Each mode has its own message for a call without a rule (`no_rule`); the rest is one code path:
an active argument passed by a keyword the rules do not name, a calling form the rules refuse,
and a rule that stops before the argument are refused the same way in both modes.
"""

import gast

from s2s_ad.analysis.activity import targets
from s2s_ad.analysis.analysed import Analysed
from s2s_ad.analysis.calls import static_functions
from s2s_ad.analysis.ops import bind_call, is_user_function
from s2s_ad.base import syntax as S
from s2s_ad.base.errors import BadArgumentError, NonDifferentiableCallError, Unbatchable
from s2s_ad.rules import registry
from s2s_ad.transforms import batching


HOOKS = "_ad_hooks"     # the generated function's keyword taking {variable: hook} (api)


class Differentiator(Analysed):
    """An Analysed function with the rule-reading steps forward and reverse mode share."""

    hooks = ()    # the user's variables whose adjoints (tangents) go through a hook

    def check_hooks(self):
        """Refuse a hook of a name that is no variable of the user's function."""
        known = set(self.namer.user_of.values()) & set(S.names_in(self.fn.parsed.node))
        unknown = sorted(set(self.hooks) - known)
        if unknown:
            raise self.fn.error(self.fn.node,
                                f"a hook was given for {', '.join(map(repr, unknown))}, which "
                                f"is no variable of {self.fn.node.name}",
                                f"Its variables are {', '.join(sorted(known))}.",
                                kind=BadArgumentError)

    def hooked(self, stmt):
        """The names `stmt` assigns that are versions of hooked variables, where it is an
        assignment the user wrote (`h = ...`, `c, d = pair`; not SSA's copy between two
        versions of one variable); [] for any other statement."""
        if not self.hooks or not isinstance(stmt, gast.Assign):
            return []
        target, value, user_of = stmt.targets[0], stmt.value, self.namer.user_of
        elts = target.elts if isinstance(target, gast.Tuple) else [target]
        names = [e.id for e in elts if isinstance(e, gast.Name)]
        if isinstance(value, gast.Name) and len(names) == 1 and \
                user_of.get(value.id) == user_of.get(names[0]):
            return []
        return [n for n in names if user_of.get(n) in self.hooks]

    def hook_call(self, name, var):
        """`var = _ad_hooks["h"](var)`: the hook of the user's variable that `name` is a
        version of, on its adjoint or tangent `var`."""
        hook = gast.Subscript(value=S.load(HOOKS), slice=S.const(self.namer.user_of[name]),
                              ctx=gast.Load())
        return S.assign(var, gast.Call(func=hook, args=[S.load(var)], keywords=[]))

    def copies_of_written(self, written, copy):
        """The statements that begin a differentiated function writing into its parameters
        `written` (or assigning their fields): a stop where one of them is also another
        argument (`f(x, x)`: the copies below would make two values of it,
        runtime/arguments.py), then `copy(p)` of each written into."""
        code = []
        # an object whose fields the function assigns is like an array written into: the
        # derivative makes new versions of it, which another argument holding it would not see
        checked = sorted(set(written) | set(self.fn.fields_assigned) & set(self.fn.params))
        self.program.written = tuple(checked)
        for p in checked:
            others = [S.load(q) for q in self.fn.params if q != p]
            if others:
                code.append(S.expr_stmt(S.call("_ad.check_unshared", S.const(p), S.load(p),
                                               *others)))
        return code + [stmt for p in sorted(written) for stmt in copy(p)]

    def active(self, node):
        return isinstance(node, gast.Name) and self.activity.active(node.id)

    def no_rule(self, stmt, op):
        """The refusal of a call with an active argument and no rule in this mode."""
        raise NotImplementedError

    def argument_rules(self, stmt, op, rule, register):
        """(bound, [(position, argument, rule function)]): the call's arguments by position
        (bound_arguments) and the rule of each active one.  `register` is "defvjp" (reverse
        mode's rules) or "defjvp" (forward mode's).  An argument whose rule is None has a zero
        derivative and is left out; no rule at all is refused."""
        bound = bound_arguments(self.fn, stmt, op, rule, self.active)
        found = []
        for i, arg in bound.items():
            if not self.active(arg):
                continue
            rules = () if rule is None else rule.vjps if register == "defvjp" else rule.jvps
            fn = rules[i] if i < len(rules) else None
            refuse_form(self.fn, stmt, op, fn)
            if fn is None:
                if not rules:
                    raise self.no_rule(stmt, op)
                if registry.unstated(rule, rules, i):
                    raise unstated_rule(self.fn, stmt, op, i, register)
                continue
            found.append((i, arg, fn))
        return bound, found

    def instantiate_rule(self, stmt, op, rule_fn, how, seed, out, like=None):
        """(statements, expression) of a rule applied to the call `op` with the cotangent or
        tangent `seed`: inlined (Inliner.instantiate), or mapped over the batch's items where
        batching.choose said so (`how == "per_item"`).  A rule that does not take the call's
        arguments is refused at the user's line.  `like` is the name whose shape the rule's
        result must have (the argument for a VJP, `out` for a JVP): a user's own rule is
        checked against it as the derivative runs (user_rule_check)."""
        check = self.user_rule_check(op, rule_fn, like)
        try:
            if how == "per_item":
                return [], self.per_item(rule_fn, op, seed, out, check)
            code, expr = self.inliner.instantiate(rule_fn, op.args, op.kwargs,
                                                  [seed, S.load(out)])
            return code, check(expr) if how is None else expr
        except TypeError as exc:
            raise self.fn.error(stmt, f"the derivative rule of {op.name} {exc}",
                                "Call it with the arguments its rule supports.",
                                kind=NonDifferentiableCallError) from None

    @staticmethod
    def user_rule_check(op, rule_fn, like):
        """expression -> expression: `_ad.rule_result(expr, like, "...")` for a rule a user
        registered without broadcasts=True, whose result the compiler uses as it is (a wrong
        shape would broadcast into a wrong derivative, runtime/user_rules.py); the identity
        for s2s_ad's own rules, which the rule-table tests check."""
        rule = registry.lookup(op.fn)
        if like is None or rule is None or rule.origin != "user" or rule.broadcasts:
            return lambda expr: expr
        register = "VJP" if rule_fn in rule.vjps else "JVP"
        described = S.const(f"the {register} rule of {op.name}")
        return lambda expr: S.call("_ad.rule_result", expr, S.load(like.id), described)

    def shape_or_none(self, node):
        """The batched shape of an atom (Analysed.shape_of), None where it is not known."""
        try:
            return self.shape_of(node)
        except Unbatchable:
            return None

    def batched_choice(self, op, i, rule_fn, mode, out_shape, broadcasts):
        """(how, rule, argument shapes): how the rule of argument i (`mode`: "vjp" or "jvp")
        applies to a batched cotangent or tangent, and the rule to inline (batching.choose)."""
        shapes = [None if a is None else self.shape_or_none(a)
                  for a in batching.positional_arguments(op)]
        how, rule = batching.choose(op, i, rule_fn, mode, shapes, out_shape, broadcasts)
        return how, rule, shapes

    def user_call_arguments(self, stmt):
        """(bound, wrt, statics) for a call to a user function that gets a generated derivative
        (an active result or written argument, and an active argument), else None: the
        arguments by parameter, the parameters to differentiate, and the parameters bound to
        functions (static_functions)."""
        op = self.ops[id(stmt)]
        if op.kind != "call" or not is_user_function(op.fn) or \
                not any(self.activity.active(t) for t in targets(stmt) + op.writes):
            return None
        if self.batched:
            raise Unbatchable(f"a call to the user function {op.name}")
        bound = bind_call(op, stmt, self.fn)
        wrt = [p for p, node in bound.items() if self.active(node)]
        if not wrt:
            return None
        self.program.depends_on(op)
        return bound, wrt, static_functions(bound, self.fn, op.fn)


def refuse_wrt(fn, wrt):
    """The checks at the entry of both modes: every argument to differentiate is a parameter,
    and the function is no generator."""
    for p in wrt:
        if p not in fn.params:
            raise BadArgumentError(f"{fn.node.name} has no parameter '{p}'")
    fn.refuse_generator()


def unstated_rule(fn, stmt, op, i, register):
    """The refusal of a call differentiating argument i of a function whose user rules
    (`register`: "defvjp" or "defjvp") stop before it."""
    name = op.name or getattr(op.fn, "__name__", repr(op.fn))
    rule = registry.lookup(op.fn)
    given = len(rule.vjps if register == "defvjp" else rule.jvps)
    return fn.error(stmt, f"ad.{register}({name}, ...) gives rules for {given} argument(s), but "
                          f"argument {i + 1} of this call is differentiated",
                    f"Give ad.{register} a rule for argument {i + 1} (None if its derivative "
                    f"is zero), or wrap it in ad.stop_gradient(...).",
                    kind=NonDifferentiableCallError)


def call_by_keyword(func, bound, extra):
    """`g_fwd(x=a, xs_0=b, **extra)`: every argument by the name of its parameter."""
    return gast.Call(func=func, args=[], keywords=[gast.keyword(arg=p, value=v)
                                                   for p, v in bound.items()] + extra)


def bound_arguments(fn, stmt, op, rule, active):
    """{position: argument} of the call `op` as its rules see it (registry.bind: by position or
    by keyword alike).  An active argument passed by a keyword that names no parameter of the
    rules raises: its derivative would silently be zero."""
    if rule is None:
        return dict(enumerate(op.args))
    bound, rest = registry.bind(rule, op.args, op.kwargs)
    for key, value in rest.items():
        if active(value):
            raise fn.error(stmt, f"no derivative rule for the argument {key}= of {op.name}",
                           "Pass it by position if its rule covers it, or wrap it in "
                           "ad.stop_gradient(...) if its derivative is not wanted.",
                           kind=NonDifferentiableCallError)
    return bound


def refuse_form(fn, stmt, op, rule):
    """Raise where the rule of an active argument is a registry.Refused (a calling form the
    rules do not cover)."""
    if isinstance(rule, registry.Refused):
        raise fn.error(stmt, f"{op.name}: {rule.message}", rule.hint,
                       kind=NonDifferentiableCallError)
