"""Reverse mode, the adjoints of calls: a call statement -> the statements adding to the
cotangents of its active arguments.

    stage:  transforms (reverse mode; a part of the adjoint generator, adjoints.py)
    input:  one SSA call statement `out = f(a, b)`, its Op, and the cotangent `g` of out (held
            in a smaller shape where it is uniform, see reverse.py)
    output: statements applying f's rules (rules/) to g and accumulating into a_bar and b_bar

The rule of each active argument is instantiated (scaffold.Differentiator); where a rule
broadcasts, its term is summed back to the argument's shape.  Known shapes and real values let
the generator write the plain NumPy form of a cotangent (`g @ b.T`, `g.sum(axis=0)`) instead of
the runtime helper that works the shapes out as it runs.
"""

import math
import operator

import gast

from s2s_ad import runtime
from s2s_ad.analysis.ops import is_user_function, reduced_axes
from s2s_ad.analysis.shapes import broadcast, elementwise_shape
from s2s_ad.base import syntax as S
from s2s_ad.base.naming import is_temporary
from s2s_ad.base.errors import NonDifferentiableCallError
from s2s_ad.rules import registry


class CallAdjoints:
    """The call rules of the adjoint generator (mixed into adjoints.Adjoints)."""

    def _call(self, stmt, op, out, g, g_uniform=None):
        if registry.is_nondifferentiable(op.fn):
            return []
        rule = registry.lookup(op.fn)
        if rule is None and op.fn != "astype" and is_user_function(op.fn):
            return []      # a call to a user function whose result needs no derivative
        code = []
        if g_uniform is not None and rule is None:
            code, g_uniform = self._spread_cotangent(out, g_uniform), None
        if op.fn == "astype":
            return code + (self.accumulate(op.args[0].id, g) if self.active(op.args[0]) else [])
        if op.fn is operator.add and isinstance(op.args[0], gast.Name) and any(
                self._is_container(a.id) for a in op.args if isinstance(a, gast.Name)):
            return code + self._concatenation(op, g)
        reduced = self._reduction_cotangent(op, rule, out, g) if g_uniform is None else None
        if reduced is not None:
            return self.accumulate(op.args[0].id, reduced[0], uniform=reduced[1])
        terms = self._rule_terms(stmt, op, rule, out, g)
        shapes = [self._uniform_term(expr, pre, arg, out, g, g_uniform, rule.broadcasts)
                  for arg, pre, expr in terms] if g_uniform is not None else [None] * len(terms)
        if g_uniform is not None and None in shapes:
            # some term needs g at full shape: spread it, apply the rules again
            code, g_uniform = self._spread_cotangent(out, g_uniform), None
            terms = self._rule_terms(stmt, op, rule, out, g)
            shapes = [None] * len(terms)
        contributions = {}   # name -> [(cotangent term, its smaller shape or None)]
        for (arg, pre, expr), shape in zip(terms, shapes):
            if shape == "count":     # the same term at each of out's elements, summed
                expr = S.binop(expr, gast.Mult(), S.const(float(math.prod(self.shapes[out]))))
            uniform = None if shape in (None, "full", "count") else shape
            if not self.batched and rule.broadcasts and shape != "count" and uniform is None \
                    and self._may_broadcast(arg, op, out):
                expr = self._summed_to(expr, arg, out)
            code += pre
            contributions.setdefault(arg.id, []).append((expr, uniform))
        for name, terms in contributions.items():
            total, uniform = terms[0]
            for term, shape in terms[1:]:
                total = S.binop(total, gast.Add(), term)
                uniform = broadcast(uniform, shape) if uniform is not None and \
                    shape is not None else None
            code += self.accumulate(name, total, uniform=uniform)
        return code

    def _concatenation(self, op, g):
        """`a + b` of lists or tuples joins them: a's cotangent is the first len(a) items of
        g, b's the rest (the rule of `+` for numbers would give each all of g)."""
        a, b = op.args
        cut = S.call("len", S.load(a.id))
        parts = [(a, gast.Slice(lower=None, upper=cut, step=None)),
                 (b, gast.Slice(lower=S.clone(cut), upper=None, step=None))]
        code = []
        for arg, part in parts:
            if isinstance(arg, gast.Name) and self.active(arg):
                code += self.accumulate(arg.id, gast.Subscript(value=S.clone(g), slice=part,
                                                               ctx=gast.Load()))
        return code

    def _spread_cotangent(self, out, shape):
        """Statements giving the uniform cotangent of `out` its full shape."""
        self.uniform[out] = shape
        code = self.spread(out)
        self.owned.discard(out)
        return code

    def _rule_terms(self, stmt, op, rule, out, g):
        """[(argument, statements, cotangent expression)] from the rule of each active argument."""
        terms = []
        for i, arg, vjp in self.argument_rules(stmt, op, rule, "defvjp")[1]:
            how = None
            if self.batched:
                vjp, reduce, how = self._batched_rule(op, i, vjp, out, rule.broadcasts)
            pre, expr = self.instantiate_rule(stmt, op, vjp, how, g, out, like=arg)
            if self.batched and reduce:
                expr = S.call("_ad.unbroadcast_batch", expr, arg)
            terms.append((arg, pre, self._plain_matrix_product(expr, arg)))
        return computed_once(terms)

    def _plain_matrix_product(self, expr, arg):
        """`_ad.matmul_grad_a(g, a, b)` and `_ad.matmul_grad_b(g, a, b)`, the cotangents of a
        and b in `a @ b`, as what the helpers compute where a and b are known matrices or
        vectors and every value is real (no checks for NumPy's batch and complex conventions):
        `g @ b.T` and `a.T @ g`, `np.outer(g, b)` for a matrix times a vector, `g * b` for two
        vectors.  In a loop, the cotangent of an operand the loop does not change stays the
        helper: the optimizer sums all steps of it at once (optimize.sum_steps_together)."""
        if not (self.real_cotangents and isinstance(expr, gast.Call) and len(expr.args) == 3
                and not expr.keywords and isinstance(expr.func, gast.Attribute)
                and isinstance(expr.func.value, gast.Name) and expr.func.value.id == "_ad"
                and expr.func.attr in ("matmul_grad_a", "matmul_grad_b")
                and all(isinstance(x, gast.Name) and isinstance(self.shapes.get(x.id), tuple)
                        and len(self.shapes[x.id]) in (1, 2) for x in expr.args[1:])):
            return expr
        if self.in_loop and arg.id not in self.loop_bound:
            return expr
        g, a, b = expr.args
        ranks = len(self.shapes[a.id]), len(self.shapes[b.id])
        if expr.func.attr == "matmul_grad_b":     # the cotangent of b: mirror of a's below
            g, a, b, ranks = g, b, a, ranks[::-1]
            if ranks == (2, 1):
                return S.call(self.np_name() + ".outer", S.load(b.id), g)
            if ranks == (1, 1):
                return S.binop(g, gast.Mult(), S.load(b.id))
            return S.binop(S.attr(S.load(b.id), "T"), gast.MatMult(), g)
        if ranks == (2, 1):
            return S.call(self.np_name() + ".outer", g, S.load(b.id))
        if ranks == (1, 1):
            return S.binop(g, gast.Mult(), S.load(b.id))
        return S.binop(g, gast.MatMult(), S.attr(S.load(b.id), "T"))

    def _batched_rule(self, op, i, vjp, out, broadcasts):
        """The rule to inline for a batched cotangent (batching.py), and whether its result
        needs reducing to the argument's shape (an elementwise rule of a broadcast argument)."""
        out_shape = self.shape_of(S.load(out))
        how, rule, shapes = self.batched_choice(op, i, vjp, "vjp", out_shape, broadcasts)
        return rule, how == "elementwise" and shapes[i] != out_shape, how

    def no_rule(self, stmt, op):
        name = op.name or getattr(op.fn, "__name__", repr(op.fn))
        hint = f"Register one with ad.defvjp({name}, ...) and ad.defjvp, mark it with " \
            f"ad.nondifferentiable({name}), or wrap its argument in ad.stop_gradient(...)."
        if isinstance(op.fn, type) and op.fn.__module__ != "builtins":   # a user's class
            hint = f"Make {name} a dataclass or namedtuple, whose constructor s2s_ad " \
                   f"follows (an __init__ that sets attributes is not followed)."
        return self.fn.error(stmt, f"no derivative rule for {name}", hint,
                             kind=NonDifferentiableCallError)

    def _summed_to(self, g, arg, out):
        """The cotangent `g` of a broadcasting operation's result `out` summed to the shape of
        its argument `arg`: `g.sum(axis=...)` where both shapes are known and every value
        is real, else `_ad.unbroadcast(g, arg)` (which also takes the real part of a complex
        cotangent of a real argument, and works out the axes at run time).  In a loop, the
        cotangent of an argument the loop does not change stays the helper, whose updates the
        optimizer sums over all steps at once."""
        xshape, gshape = self.shapes.get(arg.id), self.shapes.get(out)
        # (a known shape of at least one axis: an array, not a number that must stay one)
        if not self.real_cotangents or (self.in_loop and arg.id not in self.loop_bound) or \
                not xshape or gshape is None or broadcast(xshape, gshape) != gshape:
            return S.call("_ad.unbroadcast", g, arg)
        axes, keepdims, reshape = runtime.reduction_plan(gshape, xshape)
        if not axes:
            return g
        # the method, not np.sum: NumPy's Python wrapper around the reduction costs a microsecond
        summed = S.call(S.attr(g, "sum"), axis=S.const(axes[0] if len(axes) == 1 else axes),
                        **({"keepdims": S.const(True)} if keepdims else {}))
        if reshape:
            summed = S.call(S.attr(summed, "reshape"), S.const(xshape))
        return summed

    def _may_broadcast(self, arg, op, out=None):
        """False where the result provably has the shape of `arg`."""
        if out in self.shapes and arg.id in self.shapes:
            return self.shapes[out] != self.shapes[arg.id]
        mine = self.kinds.get(arg.id)
        others = [self._atom_kind(a) for a in op.args
                  if not (isinstance(a, gast.Name) and a.id == arg.id)]
        if all(k == "scalar" for k in others) and mine in ("scalar", "array"):
            return False
        if not others or all(isinstance(a, gast.Constant) for a in op.args
                             if not (isinstance(a, gast.Name) and a.id == arg.id)):
            # `h * h`, `2.0 * h`: the result has the shape of h (a Python number broadcasts)
            return not all(isinstance(a, gast.Name) or isinstance(a.value, (int, float))
                           for a in op.args)
        if mine == "scalar" and all(k == "scalar" for k in others):
            return False
        if mine == "array" and all(k == "scalar" for k in others):
            return False
        return True

    def _reduction_cotangent(self, op, rule, out, g):
        """For `out = np.sum(x, axis, keepdims)` or another sum the rules declare (defspread) at
        the top level, x's shape and the axes known: (x's uniform cotangent, its shape), or
        None."""
        spreads = rule.extra.get("spreads") if rule is not None else None
        if not (spreads and self.header_line is None and not self.batched and op.args
                and self.active(op.args[0]) and self.has_elements(op.args[0].id)):
            return None
        xshape = self.shapes[op.args[0].id]
        reduced = reduced_axes(op, len(xshape))
        if reduced is None:
            return None
        axes, keepdims = reduced
        shape = tuple(1 if i in axes else n for i, n in enumerate(xshape))
        expr = g
        if len(axes) == len(xshape) and not keepdims:
            shape = ()
        elif not keepdims:
            expr = S.call(self.np_name() + ".expand_dims", g, S.const(axes))
        if spreads == "mean":
            count = math.prod(xshape[a] for a in axes)
            expr = S.binop(expr, gast.Mult(), S.const(1.0 / count))
        return expr, shape

    def has_elements(self, name):
        """`name` is an array whose shape is known and not ()."""
        return self.kinds.get(name) in ("array", "num") and bool(self.shapes.get(name))

    def _uniform_term(self, expr, pre, arg, out, g, g_shape, broadcasts):
        """For a rule applied to the uniform cotangent `g` (held in `g_shape`) of `out`: "full"
        when the term `expr` has out's full shape anyway, its smaller shape when it stands for
        its broadcast over `arg` (which has out's shape), "count" when it is a number and `arg`
        one too, None when none is certain.

        A term built only from arithmetic and ufuncs is elementwise in g; the rule is
        elementwise too if it broadcasts or if its argument has its result's shape."""
        if pre or out not in self.shapes or \
                not (broadcasts or self.shapes.get(arg.id) == self.shapes[out]):
            return None

        def shape_of(name):
            if name == g.id:
                return g_shape
            return () if self.kinds.get(name) == "scalar" else self.shapes.get(name)
        shape = elementwise_shape(expr, shape_of, self.np_name())
        full = self.shapes[out]
        if shape == full:
            return "full"
        if shape == () and self.real_cotangents and not self.batched and \
                self.kinds.get(arg.id) == "scalar":
            # a number broadcast over out (`a + trace`): "count", its cotangent is the term
            # times out's number of elements (what _ad.unbroadcast would sum, with no array
            # of out's shape made for it)
            return "count"
        if shape is not None and self.has_elements(arg.id) and self.shapes[arg.id] == full \
                and len(shape) <= len(full) and broadcast(shape, full) == full:
            return shape
        return None


def computed_once(terms):
    """The rules of a call's active arguments may compute the same value: the cotangents of a
    and b in solve_triangular(a, b) both solve with g.  Instantiated one after the other, a
    temporary assigned what an earlier one of them holds is dropped, and read as the earlier
    one: each temporary is assigned once, from the call's arguments, result, g and earlier
    temporaries, none of which changes among these statements."""
    seen, renamed, out = {}, {}, []
    for arg, pre, expr in terms:
        kept = []
        for stmt in pre:
            stmt = _renamed(stmt, renamed)
            if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and \
                    isinstance(stmt.targets[0], gast.Name) and is_temporary(stmt.targets[0].id):
                key = gast.dump(stmt.value)
                if key in seen:
                    renamed[stmt.targets[0].id] = seen[key]
                    continue
                seen[key] = stmt.targets[0].id
            kept.append(stmt)
        out.append((arg, kept, _renamed(expr, renamed)))
    return out


def _renamed(node, renamed):
    """`node` reading renamed[name] for each name of `renamed` (a copy where any is read)."""
    if not renamed or not any(n.id in renamed for n in S.name_nodes(node)):
        return node
    node = S.clone(node)
    for n in S.name_nodes(node):
        if n.id in renamed and isinstance(n.ctx, gast.Load):
            n.id = renamed[n.id]
    return node
