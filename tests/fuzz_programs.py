"""Random programs for the fuzzer (tests/test_fuzz.py), and the property they are checked against.

    programs()                      hypothesis strategy -> Program (source text of `def f(x, y, a)`)
    inputs(n)                       hypothesis strategy -> (x, y, a)
    check(text, x, y, a, seed)      run every property; raises Reject or FuzzFailure
    minimise(text, x, y, a, seed)   shrink a failing program, keeping its failure signature

A program is the text of one module defining `f(x, y, a)`, where x and y are floats and `a` is a
small float64 array.  The generator covers straight-line arithmetic, math and NumPy calls,
broadcasting, tuples, if/elif/else, conditional expressions, for and while loops (nested, with
break/continue), early returns and augmented assignment, and calls of up to two module-level
helpers: `g<k>(p, b, c=...)` or `g<k>(t, c=...)` (t a (scalar, array) tuple), with branches,
loops and early returns inside, returning a scalar, an array or a tuple, called positionally or
by keyword, the default sometimes left out; and `upd<k>(b, s)`, which writes into items of the
array its caller passes (always a fresh copy `v = e * 1.0` or an array no other name shares).
Values stay in safe domains by
construction: denominators are `c + e*e` or `2 + sin(e)`, logarithms and square roots take
`1 + e*e`, exponentials take squashed arguments.

Kinks (comparisons, np.maximum, np.where, abs, max/min) are handled at the sample point, not in
the generator: `check` runs an instrumented copy of the program (every comparison and kink
records how far its operands are from the threshold) and rejects the example if any evaluation
came within MARGIN of a threshold, so finite differences never step across a branch.

For a scalar result, second derivatives (ad.hessian, ad.hvp, jacfwd(grad)) are checked against
central differences of ad.grad, once ad.grad itself has passed against finite differences of f.
"""
import ast
import hashlib
import linecache
import math
import os
import re
import tempfile
from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

import s2s_ad as ad

SCALAR, ARRAY, INT, TUPLE = "S", "A", "I", "T"

MARGIN = 1e-3          # reject a sample whose comparisons are this close to their threshold
FD_STEP = 1e-5         # central differences with steps h and h/2, Richardson-extrapolated
FD_RTOL = 1e-6         # derivative vs finite differences, relative to the scale of the function
DOT_RTOL = 1e-8        # <u, J v> (forward) vs <J^T u, v> (reverse)
HESS_STEP = 1e-4       # central differences of ad.grad, steps h and h/2, Richardson-extrapolated
HESS_RTOL = 1e-5       # second derivatives vs those differences, relative to the scale of f'
MAX_VALUE = 1e6        # reject samples whose values leave this range

COND_CONSTS = (0.0, 0.3, -0.4, 1.1, -1.3, 0.7, 2.5, -0.05)
CONSTS = (0.5, 1.5, 2.0, 0.3, -0.7, 3.0, 0.25, -1.2, 1.0, 0.1)


# ---- the generator ----------------------------------------------------------------------------

_ITEM = re.compile(r"([A-Za-z_]\w*)\[[^\[\]]*\]")      # `a[2]`, `v1[n2]`, `t[0]`: an item


class Ex:
    """An expression's text, its kind, and the variables it may alias (when it is a bare name)."""
    __slots__ = ("text", "kind", "alias")

    def __init__(self, text, kind, alias=()):
        self.text, self.kind, self.alias = text, kind, frozenset(alias)


@dataclass
class Program:
    text: str
    n: int              # length of the array argument
    out_kind: str       # "S", "A" or "T" (a tuple (scalar, array))

    def __repr__(self):   # hypothesis prints this when a test fails
        return f"Program(n={self.n}, out_kind={self.out_kind!r}, text=\n{self.text})"


class _AugLine:
    """`v op= e`, rendered `v = v op e` when v is an array that may share memory with another
    name (then `op=` would change both), or when v appears in any `p = q` copy or is bound to
    an item `v = a[i]`: the compiler refuses `v op= e` there, flow-insensitively, since it
    cannot know v is not an array (see fuzz_findings.md, "refusals")."""

    def __init__(self, indent, name, op, expr, kind):
        self.indent, self.name, self.op, self.expr, self.kind = indent, name, op, expr, kind

    def render(self, aliased, copied):
        pad = "    " * self.indent
        if self.kind == ARRAY and self.name in aliased or self.name in copied:
            return f"{pad}{self.name} = {self.name} {self.op} {self.expr}"
        return f"{pad}{self.name} {self.op}= {self.expr}"


class Builder:
    """Draws one program.  `draw` is hypothesis's draw function."""

    def __init__(self, draw, n, max_stmts=12, max_depth=3, params=(("x", SCALAR), ("y", SCALAR),
                 ("a", ARRAY)), helpers=(), out_kind=None):
        self.draw = draw
        self.n = n
        self.lines = []             # str or _AugLine
        self.kinds = dict(params)
        self.params = {name for name, _ in params}
        self.tuple_kinds = {}       # tuple var -> (kind0, kind1)
        self.scopes = [[name for name, _ in params]]
        self.arr0 = next(name for name, kind in params if kind == ARRAY)
        # arrays that may share memory with another live reference: the array parameters
        self.aliased = {name for name, kind in params if kind == ARRAY}
        self.copied = set()         # names in some `p = q` statement (see _AugLine)
        self.written = set()        # arrays an in-place helper writes into (see inplace)
        self.counter = 0
        self.budget = max_stmts
        self.max_depth = max_depth
        self.loop_names = iter(["i", "j", "k", "m", "p", "q", "r", "t"])
        self.helpers = list(helpers)    # Helper: module-level functions this code may call
        self.out_kind = out_kind or draw(st.sampled_from([SCALAR] * 6 + [ARRAY, TUPLE]))

    # -- helpers
    def choice(self, options):
        return self.draw(st.sampled_from(options))

    def chance(self, p):
        return self.draw(st.integers(0, 99)) < p * 100

    def visible(self, kind=None):
        names = [v for scope in self.scopes for v in scope]
        if kind is None:
            return names
        return [v for v in names if self.kinds[v] == kind]

    def fresh(self, prefix):
        self.counter += 1
        return f"{prefix}{self.counter}"

    def emit(self, indent, text):
        self.lines.append("    " * indent + text)

    def const(self, pool=CONSTS):
        return repr(self.choice(pool))

    # -- expressions
    def bounded(self, e):
        """A squashed version of scalar or array expression e, in [-1, 1]."""
        if e.kind == ARRAY:
            form = self.choice(["np.tanh({})", "np.sin({})", "np.cos({})", "({0} / (1.0 + {0} * {0}))"])
        else:
            form = self.choice(["np.tanh({})", "math.sin({})", "math.cos({})", "math.tanh({})",
                                "({0} / (1.0 + {0} * {0}))"])
        return Ex(form.format(e.text), e.kind)

    def scalar(self, depth):
        leaves = self.visible(SCALAR)
        ints = self.visible(INT)
        tuples = [t for t in self.visible(TUPLE) if SCALAR in self.tuple_kinds[t]]
        if depth <= 0 or self.chance(0.25):
            opts = ["var"] * 4 + ["const"]
            if ints:
                opts.append("int")
            if tuples:
                opts.append("tuple")
            opts.append("index")
            what = self.choice(opts)
            if what == "var":
                return Ex(self.choice(leaves), SCALAR)
            if what == "const":
                return Ex(self.const(), SCALAR)
            if what == "int":
                return Ex(f"({self.const()} * {self.choice(ints)})", SCALAR)
            if what == "tuple":
                t = self.choice(tuples)
                return Ex(f"{t}[{self.tuple_kinds[t].index(SCALAR)}]", SCALAR)
            arr = self.choice(self.visible(ARRAY))
            small = [i for i in ints if self.index_bound.get(i, 99) <= 3]
            idx = self.choice(small) if small and self.chance(0.5) else str(self.choice([0, 1, 2, -1]))
            return Ex(f"{arr}[{idx}]", SCALAR)
        d = depth - 1
        form = self.choice(["binop"] * 5 + ["div", "pow", "neg", "math", "npfun", "reduce",
                                            "reduce", "ifexp", "kink"] +
                           ["call"] * 2 * bool(self.callable(SCALAR, TUPLE)))
        if form == "call":
            h = self.choice(self.callable(SCALAR, TUPLE))
            if h.out_kind == SCALAR:
                return Ex(self.call(h, d), SCALAR)
            return Ex(f"{self.call(h, d)}[0]", SCALAR)
        if form == "binop":
            op = self.choice(["+", "-", "*"])
            return Ex(f"({self.scalar(d).text} {op} {self.scalar(d).text})", SCALAR)
        if form == "div":
            num, den = self.scalar(d), self.scalar(d)
            how = self.choice(["({} / ({} + {d} * {d}))", "({} / ({} + math.sin({d})))",
                               "({} / ({} + np.tanh({d})))"])
            c = self.choice(["1.0", "2.0", "1.5"] if "*" in how else ["2.0", "1.5"])
            return Ex(how.format(num.text, c, d=den.text), SCALAR)
        if form == "pow":
            e = self.scalar(d)
            how = self.choice(["({} ** 2)", "({} ** 3)", "((1.0 + {0} * {0}) ** 0.5)",
                               "((1.0 + {0} * {0}) ** {1})", "(1.5 ** {1})", "({} ** 2.0)"])
            return Ex(how.format(e.text, self.bounded(self.scalar(d)).text), SCALAR)
        if form == "neg":
            return Ex(f"(-{self.scalar(d).text})", SCALAR)
        if form == "math":
            e = self.scalar(d)
            how = self.choice(["math.sin({})", "math.cos({})", "math.tanh({})", "math.exp({b})",
                               "math.log(1.0 + {0} * {0})", "math.sqrt(1.0 + {0} * {0})",
                               "math.atan({})", "math.log1p({0} * {0})"])
            return Ex(how.format(e.text, b=self.bounded(e).text), SCALAR)
        if form == "npfun":
            e = self.scalar(d)
            how = self.choice(["np.sin({})", "np.cos({})", "np.tanh({})", "np.exp({b})",
                               "np.log(1.0 + {0} * {0})", "np.sqrt(1.0 + {0} * {0})"])
            return Ex(how.format(e.text, b=self.bounded(e).text), SCALAR)
        if form == "reduce":
            e = self.array(d)
            how = self.choice(["np.sum({})", "np.mean({})", "np.dot({}, {o})", "({} @ {o})",
                               "np.sum({} * {o})", "np.max({})", "np.prod(1.0 + 0.5 * {b})"])
            return Ex(how.format(e.text, o=self.array(d).text, b=self.bounded(e).text), SCALAR)
        if form == "ifexp":
            return Ex(f"({self.scalar(d).text} if {self.cond(d)} else {self.scalar(d).text})",
                      SCALAR)
        # kink: differentiable away from the kink, which the probe keeps us away from
        how = self.choice(["abs({})", "max({}, {o})", "min({}, {o})", "np.maximum({}, {o})",
                           "np.abs({})"])
        return Ex(how.format(self.scalar(d).text, o=self.scalar(d).text), SCALAR)

    def array(self, depth):
        leaves = self.visible(ARRAY)
        tuples = [t for t in self.visible(TUPLE) if ARRAY in self.tuple_kinds[t]]
        if depth <= 0 or self.chance(0.25):
            if tuples and self.chance(0.2):
                t = self.choice(tuples)
                return Ex(f"{t}[{self.tuple_kinds[t].index(ARRAY)}]", ARRAY, {t})
            name = self.choice(leaves)
            return Ex(name, ARRAY, {name})
        d = depth - 1
        form = self.choice(["binop"] * 3 + ["bcast"] * 3 + ["div", "pow", "neg", "npfun", "npfun",
                                                          "maximum", "where", "ifexp"] +
                           ["call"] * 2 * bool(self.callable(ARRAY, TUPLE)))
        if form == "call":
            h = self.choice(self.callable(ARRAY, TUPLE))
            if h.out_kind == ARRAY:
                return Ex(self.call(h, d), ARRAY)
            return Ex(f"{self.call(h, d)}[1]", ARRAY)
        if form == "binop":
            op = self.choice(["+", "-", "*"])
            return Ex(f"({self.array(d).text} {op} {self.array(d).text})", ARRAY)
        if form == "bcast":
            op = self.choice(["+", "-", "*"])
            s, v = self.scalar(d).text, self.array(d).text
            return Ex(f"({s} {op} {v})" if self.chance(0.5) else f"({v} {op} {s})", ARRAY)
        if form == "div":
            num = self.array(d)
            den = self.array(d) if self.chance(0.5) else self.scalar(d)
            how = self.choice(["({} / ({} + {d} * {d}))", "({} / ({} + np.sin({d})))"])
            c = self.choice(["1.0", "2.0"] if "*" in how else ["2.0", "1.5"])
            return Ex(how.format(num.text, c, d=den.text), ARRAY)
        if form == "pow":
            e = self.array(d)
            how = self.choice(["({} ** 2)", "({} ** 3)", "((1.0 + {0} * {0}) ** 0.5)",
                               "((1.0 + {0} * {0}) ** {1})"])
            return Ex(how.format(e.text, self.bounded(self.scalar(d)).text), ARRAY)
        if form == "neg":
            return Ex(f"(-{self.array(d).text})", ARRAY)
        if form == "npfun":
            e = self.array(d)
            how = self.choice(["np.sin({})", "np.cos({})", "np.tanh({})", "np.exp({b})",
                               "np.log(1.0 + {0} * {0})", "np.sqrt(1.0 + {0} * {0})",
                               "np.log1p({0} * {0})", "np.arctan({})"])
            return Ex(how.format(e.text, b=self.bounded(e).text), ARRAY)
        if form == "maximum":
            other = self.array(d) if self.chance(0.5) else self.scalar(d)
            fn = self.choice(["np.maximum", "np.minimum"])
            return Ex(f"{fn}({self.array(d).text}, {other.text})", ARRAY)
        if form == "where":
            test = self.array(d)
            yes = self.array(d)
            no = self.array(d) if self.chance(0.5) else self.scalar(d)
            op = self.choice([">", "<"])
            return Ex(f"np.where({test.text} {op} {self.const(COND_CONSTS)}, {yes.text}, {no.text})",
                      ARRAY)
        yes, no = self.array(d), self.array(d)
        return Ex(f"({yes.text} if {self.cond(d)} else {no.text})", ARRAY, yes.alias | no.alias)

    def callable(self, *kinds):
        return [h for h in self.helpers if h.out_kind in kinds]

    def call(self, h, depth):
        """`g(...)`: positional, keyword or mixed arguments; the default sometimes left out; a
        tuple argument packed in place or a tuple variable."""
        vals = []
        for name, kind, default in h.params:
            if kind == TUPLE:
                tuples = [t for t in self.visible(TUPLE) if self.tuple_kinds[t] == (SCALAR, ARRAY)]
                if tuples and self.chance(0.3):
                    vals.append((name, self.choice(tuples), default))
                else:
                    s, v = self.scalar(depth).text, self.array(depth).text
                    vals.append((name, f"({s}, {v})", default))
            elif default is not None and self.chance(0.35):
                continue
            else:
                vals.append((name, self.expr(kind, depth).text, default))
        form = self.choice(["positional", "positional", "keyword-default", "keywords"])
        parts = []
        for k, (name, text, default) in enumerate(vals):
            if form == "keywords" or form == "keyword-default" and default is not None \
                    or k > 0 and vals[k - 1][0] != h.params[k - 1][0]:
                parts.append(f"{name}={text}")
            else:
                parts.append(text)
        return f"{h.name}({', '.join(parts)})"

    def expr(self, kind, depth):
        if kind == SCALAR:
            return self.scalar(depth)
        if kind == ARRAY:
            return self.array(depth)
        raise AssertionError(kind)

    def cond(self, depth=1, int_ok=True):
        ints = self.visible(INT)
        if ints and int_ok and self.chance(0.25):
            i = self.choice(ints)
            return self.choice([f"{i} == 1", f"{i} % 2 == 0", f"{i} > 1", f"{i} < 2"])
        op = self.choice([">", "<", ">=", "<="])
        if self.chance(0.7):
            c = self.const(COND_CONSTS)
            text = f"{self.scalar(depth).text} {op} {c}"
        else:
            text = f"{self.scalar(depth).text} {op} {self.scalar(depth).text}"
        if self.chance(0.12):
            text = f"{text} {self.choice(['and', 'or'])} {self.cond(0, int_ok)}"
        elif self.chance(0.05):
            text = f"not ({text})"
        return text

    # -- statements
    def assign(self, indent, target, e):
        if e.kind == ARRAY and e.alias and target in self.written:
            # an array a helper writes into must stay unshared, also in a loop's next pass
            # (where the write comes after this line): bind it to a copy, never an alias
            e = Ex(f"({e.text}) * 1.0", ARRAY)
        self.emit(indent, f"{target} = {e.text}")
        if e.text.isidentifier() and e.text != target:
            self.copied |= {target, e.text}
        item = _ITEM.fullmatch(e.text)
        if item:
            # `s = a[2]` may be a row of `a` for all the compiler knows, so `s op= e` or
            # `a op= e` would write into both: refused (README, "What is refused"), so render
            # `s = s op e` and `a = a op e`
            self.copied |= {target, item.group(1)}
        if e.kind == ARRAY and (e.alias or target in self.aliased):
            self.aliased |= {target} | set(e.alias)

    def new_var(self, indent, kind=None):
        kind = kind or self.choice([SCALAR, SCALAR, ARRAY])
        name = self.fresh("s" if kind == SCALAR else "v")
        e = self.expr(kind, self.draw(st.integers(1, 3)))
        self.assign(indent, name, e)
        self.kinds[name] = kind
        self.scopes[-1].append(name)

    def outer_targets(self, kind=None):
        """Variables of enclosing scopes (and this one) a statement may reassign."""
        return [v for v in self.visible(kind) if self.kinds[v] in (SCALAR, ARRAY)]

    def update(self, indent, carried=False):
        """Reassign an existing variable; `carried` favours bounded loop-carried forms."""
        name = self.choice(self.outer_targets())
        kind = self.kinds[name]
        e = self.expr(kind, self.draw(st.integers(1, 2)))
        form = self.choice(["plain", "aug", "carried", "carried"] if carried else
                           ["plain", "plain", "aug", "carried"])
        if form == "plain":
            self.assign(indent, name, e)
        elif form == "aug":
            op = self.choice(["+", "-", "*", "/"])
            if op == "*":
                rhs = f"(1.0 + 0.5 * {self.bounded(e).text})"
            elif op == "/":
                rhs = f"(2.0 + {self.bounded(e).text})"
            else:
                rhs = e.text if not carried else f"0.5 * {self.bounded(e).text}"
            self.lines.append(_AugLine(indent, name, op, rhs, kind))
        else:
            fn = "np.tanh" if kind == ARRAY else self.choice(["np.tanh", "math.tanh", "math.sin"])
            how = self.choice([f"{fn}({name} + {{}})", f"0.5 * {name} + {{}}",
                               f"{name} * {{}}"])
            arg = e.text if "{}" in how and how.startswith(fn) else self.bounded(e).text
            self.emit(indent, f"{name} = " + how.format(arg))

    def tuples(self, indent):
        kinds = (self.choice([SCALAR, SCALAR, ARRAY]), self.choice([SCALAR, ARRAY]))
        form = self.choice(["unpack", "pack", "swap"] + ["result"] * 2 * bool(self.callable(TUPLE)))
        if form == "result":
            h = self.choice(self.callable(TUPLE))
            text = self.call(h, self.draw(st.integers(0, 2)))
            if self.chance(0.6):
                names = [self.fresh("s"), self.fresh("v")]
                self.emit(indent, f"{names[0]}, {names[1]} = {text}")
                for nm, k in zip(names, (SCALAR, ARRAY)):
                    self.kinds[nm] = k
                    self.scopes[-1].append(nm)
            else:
                t = self.fresh("t")
                self.emit(indent, f"{t} = {text}")
                self.kinds[t] = TUPLE
                self.tuple_kinds[t] = (SCALAR, ARRAY)
                self.scopes[-1].append(t)
            return
        if form == "swap":
            cands = self.outer_targets()
            if len(cands) >= 2:
                p, q = self.draw(st.permutations(cands))[:2]
                if self.kinds[p] == self.kinds[q]:
                    self.emit(indent, f"{p}, {q} = {q}, {p}")
                    if self.kinds[p] == ARRAY:
                        self.aliased |= {p, q}
                    return
            form = "unpack"
        es = [self.expr(k, 2) for k in kinds]
        if form == "unpack":
            names = [self.fresh("s" if k == SCALAR else "v") for k in kinds]
            self.emit(indent, f"{names[0]}, {names[1]} = {es[0].text}, {es[1].text}")
            for nm, k, e in zip(names, kinds, es):
                self.kinds[nm] = k
                self.scopes[-1].append(nm)
                if k == ARRAY and e.alias:
                    self.aliased |= {nm} | set(e.alias)
            return
        t = self.fresh("t")
        self.emit(indent, f"{t} = ({es[0].text}, {es[1].text})")
        self.kinds[t] = TUPLE
        self.tuple_kinds[t] = kinds
        self.scopes[-1].append(t)
        for e in es:
            self.aliased |= set(e.alias)
        if self.chance(0.6):
            names = [self.fresh("s" if k == SCALAR else "v") for k in kinds]
            self.emit(indent, f"{names[0]}, {names[1]} = {t}")
            for nm, k in zip(names, kinds):
                self.kinds[nm] = k
                self.scopes[-1].append(nm)
                if k == ARRAY:
                    self.aliased.add(nm)

    def ret_expr(self):
        s = self.scalar(2).text
        if self.out_kind == SCALAR:
            extra = self.choice(self.visible(ARRAY))
            return f"{s} + np.sum({extra})" if self.chance(0.5) else s
        if self.out_kind == ARRAY:
            return f"({self.array(2).text} + {s})"
        return f"({s}, {self.array(2).text} * 1.0)"

    def block(self, indent, depth, loop=None, n_stmts=None, first=None):
        """A block of statements at `indent`.  `loop` is None or "for"/"while" (jumps allowed).
        `first` is (name, kind) of a variable the block assigns first thing, for use after it."""
        self.scopes.append([])
        count = n_stmts if n_stmts is not None else self.draw(st.integers(1, 3))
        start = len(self.lines)
        if first is not None:
            self.assign(indent, first[0], self.expr(first[1], self.draw(st.integers(1, 2))))
        for _ in range(count):
            if self.budget <= 0:
                break
            self.budget -= 1
            self.statement(indent, depth, loop)
        if loop is not None:
            self.update(indent, carried=True)
        if len(self.lines) == start:
            self.emit(indent, "pass")
        self.scopes.pop()

    def exported(self):
        kind = self.choice([SCALAR, SCALAR, ARRAY])
        return self.fresh("w" if kind == SCALAR else "u"), kind

    def export(self, first):
        if first is not None:
            self.kinds[first[0]] = first[1]
            self.scopes[-1].append(first[0])

    def shifted(self, indent):
        """A maximum (or minimum) subtracted before exp, then a use the output does not depend
        on it through (log-softmax, softmax, log-sum-exp: activity.shift_invariant drops its
        derivative) or one it does."""
        e = self.bounded(self.array(self.draw(st.integers(0, 2))))    # exp(-z) stays small
        m, z, out = self.fresh("m"), self.fresh("z"), self.fresh("v")
        extreme = self.choice(["np.max({})", "np.min({})", "np.max({}, axis=0, keepdims=True)",
                               "np.max({}, keepdims=True)", "{}.max(axis=-1, keepdims=True)"])
        self.emit(indent, f"{m} = " + extreme.format(e.text))
        self.emit(indent, f"{z} = {e.text} - {m}")
        use = self.choice([
            "{z} - np.log(np.sum(np.exp({z})))",
            "np.exp({z}) / np.sum(np.exp({z}), axis=0, keepdims=True)",
            "({m} + np.log(np.sum(np.exp({z})))) * {a}",
            "np.exp(-{z}) / np.exp(-{z}).mean()",
            "{z} * {z}",                                   # these depend on m
            "np.exp({z}) * {m}",
            "np.exp({z}) - np.sum(np.exp({z}))"])
        self.emit(indent, f"{out} = " + use.format(z=z, m=m, a=self.arr0))
        self.kinds[out] = ARRAY
        self.scopes[-1].append(out)

    def inplace(self, indent):
        """`upd(v, e)`: a helper writes into an array of ours, one no other name shares (a fresh
        copy, or an array this code built and never aliased)."""
        h = self.choice(self.callable(None))
        own = [v for v in self.visible(ARRAY) if v not in self.aliased and v not in self.params]
        if own and self.chance(0.5):
            target = self.choice(own)
        else:
            target = self.fresh("v")
            self.emit(indent, f"{target} = {self.array(self.draw(st.integers(0, 2))).text} * 1.0")
            self.kinds[target] = ARRAY
            self.scopes[-1].append(target)
        self.written.add(target)
        scale = self.bounded(self.scalar(1)).text
        if self.chance(0.3):
            self.emit(indent, f"{h.name}({target}, s={scale})")
        else:
            self.emit(indent, f"{h.name}({target}, {scale})")

    def statement(self, indent, depth, loop):
        opts = ["new"] * 4 + ["update"] * 4 + ["tuple", "shifted"]
        if self.callable(None):
            opts += ["inplace"] * 2
        if depth < self.max_depth:
            opts += ["if"] * 2 + ["for"] * 2 + ["while", "return"]
        if loop is not None:
            opts += ["break", "continue"]
        what = self.choice(opts)
        if what == "new":
            self.new_var(indent)
        elif what == "update":
            self.update(indent)
        elif what == "tuple":
            self.tuples(indent)
        elif what == "shifted":
            self.shifted(indent)
        elif what == "inplace":
            self.inplace(indent)
        elif what == "if":
            # sometimes every branch binds a new variable that is used after the `if`
            first = self.exported() if self.chance(0.25) else None
            self.emit(indent, f"if {self.cond()}:")
            self.block(indent + 1, depth + 1, loop, first=first)
            for _ in range(self.draw(st.integers(0, 2))):
                self.emit(indent, f"elif {self.cond()}:")
                self.block(indent + 1, depth + 1, loop, first=first)
            if first is not None or self.chance(0.6):
                self.emit(indent, "else:")
                self.block(indent + 1, depth + 1, loop, first=first)
            self.export(first)
        elif what == "for":
            i = next(self.loop_names, None)
            if i is None:
                return self.update(indent)
            k = self.draw(st.integers(1, 4))
            header = self.choice([f"range({k})", f"range({k})", f"range(1, {k + 1})",
                                  f"range(len({self.arr0}))"])
            self.index_bound[i] = {f"range({k})": k, f"range(1, {k + 1})": k + 1}.get(header, 3)
            self.emit(indent, f"for {i} in {header}:")
            self.kinds[i] = INT
            self.scopes.append([i])
            # sometimes the body binds a new variable that is used after the loop
            first = self.exported() if self.chance(0.25) else None
            self.block(indent + 1, depth + 1, "for", first=first)
            self.scopes.pop()
            self.export(first)
        elif what == "while":
            c = self.fresh("n")
            k = self.draw(st.integers(1, 4))
            self.emit(indent, f"{c} = 0")
            form = self.choice(["plain", "plain", "data", "true"])
            if form == "plain":
                self.emit(indent, f"while {c} < {k}:")
            elif form == "data":
                self.emit(indent, f"while {c} < {k} and ({self.cond(1, int_ok=False)}):")
            else:
                self.emit(indent, "while True:")
                self.emit(indent + 1, f"if {c} >= {k}:")
                self.emit(indent + 2, "break")
            self.emit(indent + 1, f"{c} += 1")
            self.kinds[c] = INT
            self.index_bound[c] = k + 1
            self.scopes.append([c])
            self.block(indent + 1, depth + 1, "while")
            self.scopes.pop()
        elif what == "return":
            self.emit(indent, f"if {self.cond()}:")
            self.emit(indent + 1, f"return {self.ret_expr()}")
        else:   # break / continue
            self.emit(indent, f"if {self.cond()}:")
            self.emit(indent + 1, what)

    def function(self, header, prologue=(), max_top=6):
        """The text of `def header:`, its body drawn."""
        self.index_bound = {}
        for line in prologue:
            self.emit(1, line)
        self.block(1, 0, None, n_stmts=self.draw(st.integers(1, max_top)))
        self.emit(1, f"return {self.ret_expr()}")
        body = [ln.render(self.aliased, self.copied) if isinstance(ln, _AugLine) else ln
                for ln in self.lines]
        return f"def {header}:\n" + "\n".join(body) + "\n"


@dataclass
class Helper:
    """A module-level function the program may call: params are (name, kind, default or None);
    out_kind None for an in-place update (returns nothing)."""
    name: str
    params: tuple
    out_kind: str
    text: str


def helper(draw, n, index, earlier):
    """A module-level helper `def g<index>(...)`: straight-line code, branches and early returns
    (and the calls of earlier helpers), with a default parameter; or one taking a tuple; or an
    in-place update `upd<index>(b, s)` writing into the array its caller passes."""
    form = draw(st.sampled_from(["plain", "plain", "tuple", "inplace"]))
    if form == "inplace":
        name = f"upd{index}"
        lines = []
        for _ in range(draw(st.integers(1, 2))):
            i = draw(st.sampled_from([0, 1, 2, -1]))
            j = draw(st.sampled_from([0, 1, 2, -1]))
            rhs = draw(st.sampled_from([f"b[{i}] * s", f"b[{i}] + s * b[{j}]",
                                        f"b[{i}] * (1.0 + 0.5 * np.tanh(s * b[{j}]))",
                                        f"s - b[{i}]"]))
            if draw(st.integers(0, 99)) < 30:
                c = draw(st.sampled_from(COND_CONSTS))
                lines += [f"    if b[{j}] > {c!r}:", f"        b[{i}] = {rhs}"]
            else:
                lines.append(f"    b[{i}] = {rhs}")
        text = f"def {name}(b, s):\n" + "\n".join(lines) + "\n"
        return Helper(name, (("b", ARRAY, None), ("s", SCALAR, None)), None, text)
    name = f"g{index}"
    out_kind = draw(st.sampled_from([SCALAR, SCALAR, ARRAY, TUPLE]))
    c = draw(st.sampled_from(CONSTS))
    if form == "tuple":
        params = (("t", TUPLE, None), ("c", SCALAR, repr(c)))
        b = Builder(draw, n, max_stmts=4, max_depth=2, helpers=earlier, out_kind=out_kind,
                    params=(("t", TUPLE), ("c", SCALAR), ("p", SCALAR), ("b", ARRAY)))
        b.tuple_kinds["t"] = (SCALAR, ARRAY)
        b.copied |= b.params        # `p op= e` on a parameter is refused (see _AugLine)
        text = b.function(f"{name}(t, c={c!r})", prologue=["p, b = t"], max_top=3)
    else:
        params = (("p", SCALAR, None), ("b", ARRAY, None), ("c", SCALAR, repr(c)))
        b = Builder(draw, n, max_stmts=4, max_depth=2, helpers=earlier, out_kind=out_kind,
                    params=tuple((nm, k) for nm, k, _ in params))
        b.copied |= b.params
        text = b.function(f"{name}(p, b, c={c!r})", max_top=3)
    return Helper(name, params, out_kind, text)


@st.composite
def programs(draw, max_stmts=12):
    n = draw(st.integers(3, 4))
    helpers = []
    for index in range(draw(st.sampled_from([0, 0, 1, 1, 2]))):
        helpers.append(helper(draw, n, index + 1, list(helpers)))
    b = Builder(draw, n, max_stmts=max_stmts, helpers=helpers)
    f = b.function("f(x, y, a)")
    text = "import math\n\nimport numpy as np\n\n\n" + \
        "".join(h.text + "\n\n" for h in helpers) + f
    return Program(text, n, b.out_kind)


def inputs(n):
    num = st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False)
    return st.tuples(num, num, st.lists(num, min_size=n, max_size=n).map(np.array))


# ---- loading a program ------------------------------------------------------------------------

_DIR = tempfile.mkdtemp(prefix="s2s_ad_fuzz_")


def load(text, namespace=None, prefix="prog"):
    """Exec `text` from a real file (so inspect can read it) and return its `f`."""
    digest = hashlib.sha1(text.encode()).hexdigest()[:16]
    path = os.path.join(_DIR, f"{prefix}_{digest}.py")
    if not os.path.exists(path):
        # written whole, then renamed: the campaign's worker processes share _DIR, and one must
        # not read (inspect) a file another is still writing
        fd, tmp = tempfile.mkstemp(dir=_DIR, suffix=".tmp")
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, path)
    linecache.checkcache(path)
    ns = {"__name__": f"fuzz_{prefix}_{digest}", "__file__": path}
    ns.update(namespace or {})
    exec(compile(text, path, "exec"), ns)
    return ns["f"]


# ---- the probe: how close does the sample come to a kink? -------------------------------------

class _Instrument(ast.NodeTransformer):
    KINKS = {("np", "maximum"), ("np", "minimum"), ("np", "abs"), (None, "abs"), (None, "max"),
             (None, "min"), ("np", "max"), ("np", "min")}

    def visit_Compare(self, node):
        self.generic_visit(node)
        if len(node.ops) != 1:
            return node
        op = type(node.ops[0]).__name__
        return ast.copy_location(
            ast.Call(ast.Name("_cmp", ast.Load()),
                     [node.left, ast.Constant(op), node.comparators[0]], []), node)

    def visit_Call(self, node):
        self.generic_visit(node)
        fn = node.func
        key = (fn.value.id, fn.attr) if isinstance(fn, ast.Attribute) and \
            isinstance(fn.value, ast.Name) else (None, getattr(fn, "id", None))
        if key in self.KINKS:
            node.args.insert(0, node.func)
            node.func = ast.Name("_kink", ast.Load())
        elif isinstance(fn, ast.Attribute) and fn.attr in ("max", "min") and key[0] != "np":
            # a method, `e.max(axis=-1)`: np.max(e, axis=-1)
            node.args = [ast.Attribute(ast.Name("np", ast.Load()), fn.attr, ast.Load()),
                         fn.value] + node.args
            node.func = ast.Name("_kink", ast.Load())
        return node


def instrument(text):
    tree = _Instrument().visit(ast.parse(text))
    return ast.unparse(ast.fix_missing_locations(tree))


_OPS = {"Gt": lambda l, r: l > r, "Lt": lambda l, r: l < r, "GtE": lambda l, r: l >= r,
        "LtE": lambda l, r: l <= r, "Eq": lambda l, r: l == r, "NotEq": lambda l, r: l != r}


class Probe:
    def __init__(self):
        self.margin = math.inf

    def record(self, gap):
        self.margin = min(self.margin, gap)

    def cmp(self, left, op, right):
        ints = all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                   for v in (left, right))
        if not ints and op not in ("Eq", "NotEq", "Is", "IsNot", "In", "NotIn"):
            l_, r_ = np.asarray(left, float), np.asarray(right, float)
            scale = np.maximum(1.0, np.maximum(np.abs(l_), np.abs(r_)))
            self.record(float(np.min(np.abs(l_ - r_) / scale)))
        return _OPS[op](left, right)

    def kink(self, fn, *args, **kwargs):
        if fn in (abs, np.abs):
            self.record(float(np.min(np.abs(args[0]))))
        elif fn in (np.max, np.min):      # (the programs' arrays are 1-D: any axis is all)
            v = np.sort(np.ravel(args[0]))
            if v.size > 1:
                self.record(float(np.min(np.diff(v))))
        else:
            l_, r_ = np.asarray(args[0], float), np.asarray(args[1], float)
            scale = np.maximum(1.0, np.maximum(np.abs(l_), np.abs(r_)))
            self.record(float(np.min(np.abs(l_ - r_) / scale)))
        return fn(*args, **kwargs)


# ---- the property -----------------------------------------------------------------------------

class Reject(Exception):
    """The sample is not a fair test (overflow, too close to a kink, not smooth)."""


class FuzzFailure(AssertionError):
    """The compiler got something wrong.  `kind` classifies it; `signature` groups duplicates."""

    def __init__(self, kind, message, signature=None):
        self.kind = kind
        self.signature = signature or kind
        super().__init__(f"[{kind}] {message}")


def _flat(value):
    if isinstance(value, tuple):
        return np.concatenate([_flat(v) for v in value]) if value else np.zeros(0)
    return np.ravel(np.asarray(value, dtype=float)).copy()


def _unflat(vec, like):
    if isinstance(like, tuple):
        out, i = [], 0
        for part in like:
            size = np.size(part)
            out.append(_unflat(vec[i:i + size], part))
            i += size
        return tuple(out)
    if np.ndim(like) == 0:
        return float(vec[0])
    return np.array(vec, dtype=float).reshape(np.shape(like))


def _structure(value):
    if isinstance(value, tuple):
        return tuple(_structure(v) for v in value)
    return np.shape(value)


def _where(exc):
    """file:line of the innermost frame inside the compiler package, for grouping crashes."""
    tb = exc.__traceback__
    where = None
    while tb is not None:
        fname = tb.tb_frame.f_code.co_filename
        if os.sep + "s2s_ad" + os.sep in fname:
            where = f"{os.path.basename(fname)}:{tb.tb_lineno}"
        elif fname.startswith("<s2s_ad"):     # generated code: "<s2s_ad f_grad 1a2b3c>"
            where = " ".join(fname.strip("<>").split()[:2])
        tb = tb.tb_next
    return where or "?"


def _guard(stage, thunk):
    """Run one call into the compiler, classifying whatever it raises."""
    try:
        return thunk()
    except FuzzFailure:
        raise
    except ad.DifferentiationError as exc:
        first = str(exc.message).split("\n")[0]
        raise FuzzFailure("refusal", f"{stage}: {type(exc).__name__}: {exc}",
                          f"refusal:{type(exc).__name__}:{_strip_names(first)}") from exc
    except Exception as exc:   # noqa: BLE001 - anything else is a compiler bug
        where = _where(exc)
        raise FuzzFailure("crash", f"{stage}: {type(exc).__name__}: {exc} (at {where})",
                          f"crash:{stage}:{type(exc).__name__}:{where}") from exc


def _strip_names(message):
    return re.sub(r"'[^']*'|`[^`]*`|\b[a-z_]+\d+\b|\bline \d+", "_", message)


def _close(kind, ours, theirs, scale, rtol, what):
    ours, theirs = np.asarray(ours, float), np.asarray(theirs, float)
    if ours.shape != theirs.shape:
        raise FuzzFailure(kind, f"{what}: shape {ours.shape}, expected {theirs.shape}")
    err = np.abs(ours - theirs)
    bound = rtol * scale
    if not np.all(err <= bound):
        nan = np.isnan(ours).any() and not np.isnan(theirs).any()
        raise FuzzFailure(kind, f"{what}: expected {theirs!r}, got {ours!r} "
                                f"(max |error| {np.max(err):.3g}, tolerance {bound:.3g})",
                          kind + ("-nan" if nan else ""))


def _run(fn, x, y, a):
    with np.errstate(all="raise", under="ignore"):
        return fn(float(x), float(y), np.array(a, dtype=float))


STAGES = ("ssa", "grad", "vjp", "jvp", "dot", "hessian", "hvp", "jacfwd_grad")
SECOND = ("hessian", "hvp", "jacfwd_grad")
# Second derivatives of code that writes into an array are refused on purpose (README, "What is
# refused"); the fuzzer counts these refusals apart, as the transform matrix does.
REFUSED_SECOND = "once more (for a Hessian"


def check(text, x, y, a, seed=0, stages=STAGES, counts=None):
    """Check the program `text` at (x, y, a).  Raises Reject or FuzzFailure.  `counts`, if given,
    is a dict: each property checked (and passed) adds one to counts[property]."""
    counts = {} if counts is None else counts

    def passed(prop):
        counts[prop] = counts.get(prop, 0) + 1
    a = np.array(a, dtype=float)
    n = a.size
    # 1. the sample point is fair: finite, moderate values, far from every kink
    probe = Probe()
    try:
        probed = load(instrument(text), {"_cmp": probe.cmp, "_kink": probe.kink}, "probe")
        out = _run(probed, x, y, a)
    except (FloatingPointError, OverflowError, ZeroDivisionError, ValueError, NameError) as exc:
        raise Reject(f"primal raises {type(exc).__name__}: {exc}") from None
    flat_out = _flat(out)
    if not np.all(np.isfinite(flat_out)) or np.max(np.abs(flat_out), initial=0) > MAX_VALUE:
        raise Reject("output too large")
    if probe.margin < MARGIN:
        raise Reject(f"within {probe.margin:.2g} of a kink")
    f = load(text)
    out = _run(f, x, y, a)

    # finite-difference Jacobian, one column per input coordinate
    point = np.concatenate([[x, y], a])

    def call(vec):
        try:
            return _flat(_run(f, vec[0], vec[1], vec[2:]))
        except (FloatingPointError, OverflowError, ZeroDivisionError, ValueError):
            raise Reject("primal raises near the sample point") from None

    def column(j, h):
        e = np.zeros_like(point)
        e[j] = h
        return (call(point + e) - call(point - e)) / (2 * h)

    cols, coarse = [], []
    for j in range(point.size):
        d1, d2 = column(j, FD_STEP), column(j, FD_STEP / 2)
        cols.append(d2 + (d2 - d1) / 3.0)
        coarse.append(d1)
    jac = np.stack(cols, axis=1) if cols else np.zeros((flat_out.size, 0))
    jac_max = np.max(np.abs(jac), initial=0)
    if np.max(np.abs(jac - np.stack(coarse, axis=1)), initial=0) > 1e-4 * (1 + jac_max):
        raise Reject("finite differences are not smooth here")
    if np.max(np.abs(jac), initial=0) > MAX_VALUE:
        raise Reject("derivative too large")
    scale = 1.0 + np.max(np.abs(flat_out), initial=0) + np.max(np.abs(jac), initial=0)

    rng = np.random.default_rng(seed)
    v = rng.standard_normal(point.size)
    u_flat = rng.standard_normal(flat_out.size)
    u = _unflat(u_flat, out)
    a_before = a.copy()

    def args():
        return float(x), float(y), a.copy()

    def untouched(stage):
        if not np.array_equal(a, a_before):
            raise FuzzFailure("mutation", f"{stage} modified its array argument")

    # 2. the SSA form computes what f computes
    if "ssa" in stages:
        def ssa():
            from s2s_ad.transforms.pipeline import compile_ssa
            ad.source(f, "ssa")                      # the printed form must build too
            ssa_f = compile_ssa(f)
            with np.errstate(all="raise", under="ignore"):
                return ssa_f(*args())
        got = _guard("ssa", ssa)
        if _structure(got) != _structure(out) or not np.array_equal(_flat(got), flat_out):
            raise FuzzFailure("ssa-value", f"SSA form returns {got!r}, f returns {out!r}")
        passed("ssa")

    # 3. reverse mode against finite differences
    scalar_out = not isinstance(out, tuple) and np.ndim(out) == 0
    if "grad" in stages and scalar_out:
        g = _guard("grad", lambda: ad.grad(f, wrt=(0, 1, 2))(*args()))
        untouched("grad")
        if not isinstance(g, tuple) or len(g) != 3 or np.shape(g[2]) != (n,) \
                or np.ndim(g[0]) != 0 or np.ndim(g[1]) != 0:
            raise FuzzFailure("grad-structure", f"ad.grad returned {g!r} for inputs of shapes "
                                                f"(), (), ({n},)")
        _close("grad-value", _flat(g), jac[0], scale, FD_RTOL, "ad.grad vs finite differences")
        passed("grad")
    if "vjp" in stages or "dot" in stages:
        out_r, pullback = _guard("vjp", lambda: ad.vjp(f, *args()))
        if not np.array_equal(_flat(out_r), flat_out):
            raise FuzzFailure("vjp-primal", f"ad.vjp primal {out_r!r}, f returns {out!r}")
        ct = _guard("vjp pullback", lambda: pullback(u))
        untouched("vjp")
        if not isinstance(ct, tuple) or len(ct) != 3 or np.shape(ct[2]) != (n,) \
                or np.ndim(ct[0]) != 0 or np.ndim(ct[1]) != 0:
            raise FuzzFailure("vjp-structure", f"pullback returned {ct!r}")
        vjp_flat = _flat(ct)
        if "vjp" in stages:
            _close("vjp-value", vjp_flat, jac.T @ u_flat, scale * (1 + np.sum(np.abs(u_flat))),
                   FD_RTOL, "pullback(u) vs J^T u by finite differences")
            passed("vjp")
    # 4. forward mode against finite differences
    if "jvp" in stages or "dot" in stages:
        tangents = (float(v[0]), float(v[1]), v[2:].copy())
        out_f, out_t = _guard("jvp", lambda: ad.jvp(f, args(), tangents))
        untouched("jvp")
        if not np.array_equal(_flat(out_f), flat_out):
            raise FuzzFailure("jvp-primal", f"ad.jvp primal {out_f!r}, f returns {out!r}")
        if _structure(out_t) != _structure(out):
            raise FuzzFailure("jvp-structure", f"tangent {out_t!r} for output {out!r}")
        jvp_flat = _flat(out_t)
        if "jvp" in stages:
            _close("jvp-value", jvp_flat, jac @ v, scale * (1 + np.sum(np.abs(v))), FD_RTOL,
                   "jvp tangent vs J v by finite differences")
            passed("jvp")
    # 5. forward and reverse agree: <u, J v> == <J^T u, v>
    if "dot" in stages:
        fwd, rev = float(u_flat @ jvp_flat), float(vjp_flat @ v)
        # Rounding of the values the function works with (of size `scale`) bounds how far the
        # two may differ: `1 - (1e-209 + 1)` is 0 in one order of operations, -1e-209 in another,
        # and the derivative of a softmax's sum (exactly 0) comes out as 5e-18 one way and 1e-17
        # the other: a floor of 1e-14 (1e-6 * DOT_RTOL) relative to that size.
        dscale = np.abs(u_flat) @ np.abs(jvp_flat) + np.abs(vjp_flat) @ np.abs(v) + \
            1e-6 * scale * np.sum(np.abs(u_flat)) * np.sum(np.abs(v))
        if abs(fwd - rev) > DOT_RTOL * dscale:
            raise FuzzFailure("dot-product", f"<u, J v> = {fwd!r} but <J^T u, v> = {rev!r}")
        passed("dot")
    # 6. second derivatives against central differences of ad.grad (checked in 3)
    if scalar_out and "grad" in stages and any(s in stages for s in SECOND):
        _check_second(f, x, y, a, n, point, g, rng, stages, passed, args, untouched)
    return out


def _check_second(f, x, y, a, n, point, g, rng, stages, passed, args, untouched):
    """ad.hessian, ad.hvp and jacfwd(grad) in one argument each (drawn from rng) against the
    Hessian by central differences of the full gradient, Richardson-extrapolated."""
    full = ad.grad(f, wrt=(0, 1, 2))

    def gvec(vec):
        return _guard("grad", lambda: _flat(full(float(vec[0]), float(vec[1]), vec[2:].copy())))

    def columns(h):
        cols = []
        for j in range(point.size):
            e = np.zeros_like(point)
            e[j] = h
            cols.append((gvec(point + e) - gvec(point - e)) / (2 * h))
        return np.stack(cols, axis=1)

    h1, h2 = columns(HESS_STEP), columns(HESS_STEP / 2)
    hess = h2 + (h2 - h1) / 3.0
    if not np.all(np.isfinite(hess)) or np.max(np.abs(hess), initial=0) > MAX_VALUE:
        raise Reject("second derivative too large")
    hess_max = np.max(np.abs(hess), initial=0)
    if np.max(np.abs(hess - h1), initial=0) > 1e-3 * (1 + hess_max):
        raise Reject("the gradient is not smooth here")
    scale = 1.0 + np.max(np.abs(_flat(g)), initial=0) + hess_max
    part = {0: [0], 1: [1], 2: list(range(2, 2 + n))}
    shape = {0: (), 1: (), 2: (n,)}

    def block(i, j):
        return hess[np.ix_(part[i], part[j])]

    # every draw made whichever stages run, so that a stage checked alone (minimise) is the same
    w_hess, w_hvp, i, j = (int(k) for k in rng.integers(0, 3, size=4))
    vec = rng.standard_normal(shape[w_hvp])
    vec = float(vec) if not shape[w_hvp] else vec

    def refused(stage, thunk):
        try:
            return _guard(stage, thunk)
        except FuzzFailure as exc:
            if exc.kind == "refusal" and REFUSED_SECOND in str(exc):
                passed(stage + " refused (writes into an array)")
                return None
            raise

    if "hessian" in stages:
        w = w_hess
        got = refused("hessian", lambda: ad.hessian(f, wrt=w)(*args()))
        if got is not None:
            untouched("hessian")
            if np.shape(got) != shape[w] * 2:
                raise FuzzFailure("hessian-structure", f"ad.hessian(f, wrt={w}) has shape "
                                  f"{np.shape(got)}, expected {shape[w] * 2}")
            _close("hessian-value", _flat(got), block(w, w).ravel(), scale, HESS_RTOL,
                   f"ad.hessian(f, wrt={w}) vs differences")
            passed("hessian")
    if "hvp" in stages:
        w = w_hvp
        got = refused("hvp", lambda: ad.hvp(f, wrt=w)(*args(), vec))
        if got is not None:
            untouched("hvp")
            if np.shape(got) != shape[w]:
                raise FuzzFailure("hvp-structure", f"ad.hvp returned {got!r}, expected shape "
                                                   f"{shape[w]}")
            _close("hvp-value", _flat(got), block(w, w) @ np.ravel(vec),
                   scale * (1 + np.sum(np.abs(vec))), HESS_RTOL,
                   f"ad.hvp(f, wrt={w}) vs differences")
            passed("hvp")
    if "jacfwd_grad" in stages:
        got = refused("jacfwd_grad", lambda: ad.jacfwd(ad.grad(f, wrt=i), wrt=j)(*args()))
        if got is not None:
            untouched("jacfwd_grad")
            if np.shape(got) != shape[i] + shape[j]:
                raise FuzzFailure("jacfwd_grad-structure", f"jacfwd(grad(f, wrt={i}), wrt={j}) "
                                  f"has shape {np.shape(got)}, expected {shape[i] + shape[j]}")
            _close("jacfwd_grad-value", _flat(got), block(i, j).ravel(), scale, HESS_RTOL,
                   f"jacfwd(grad(f, wrt={i}), wrt={j}) vs differences")
            passed("jacfwd_grad")


# ---- minimising a failing program -------------------------------------------------------------

def _candidates(tree):
    """Smaller variants of the module `tree`: a statement deleted, a block flattened,
    a compound expression replaced by one of its operands."""
    for i, node in enumerate(tree.body):
        if isinstance(node, ast.FunctionDef) and node.name != "f":
            yield tree, "body", i, []         # a helper deleted
    blocks = []
    for fn in tree.body:
        if not isinstance(fn, ast.FunctionDef):
            continue
        for node in ast.walk(fn):
            for field in ("body", "orelse"):
                block = getattr(node, field, None)
                if isinstance(block, list) and block:
                    blocks.append((node, field))
    for node, field in blocks:
        block = getattr(node, field)
        for i in range(len(block)):
            stmt = block[i]
            yield node, field, i, []          # delete
            if isinstance(stmt, (ast.If, ast.For, ast.While)):
                yield node, field, i, stmt.body   # hoist the body
                if isinstance(stmt, ast.If) and stmt.orelse:
                    yield node, field, i, stmt.orelse


def _expr_candidates(tree):
    """(parent, field, index, replacement) that replace an expression by a sub-expression."""
    for node in ast.walk(tree):
        for field, value in ast.iter_fields(node):
            items = value if isinstance(value, list) else [value]
            for idx, child in enumerate(items):
                if not isinstance(child, ast.expr):
                    continue
                subs = []
                if isinstance(child, ast.BinOp):
                    # `e * 1.0` is a copy (for an in-place helper to write into): `e` may alias
                    copy = isinstance(child.op, ast.Mult) and \
                        isinstance(child.right, ast.Constant) and child.right.value == 1.0
                    subs = [] if copy else [child.left, child.right]
                elif isinstance(child, ast.UnaryOp):
                    subs = [child.operand]
                elif isinstance(child, ast.Call):
                    subs = [a for a in child.args if not isinstance(a, ast.Constant)] + \
                        [k.value for k in child.keywords if not isinstance(k.value, ast.Constant)]
                elif isinstance(child, ast.IfExp):
                    subs = [child.body, child.orelse]
                elif isinstance(child, ast.BoolOp):
                    subs = list(child.values)
                for sub in subs:
                    yield node, field, (idx if isinstance(value, list) else None), sub


def _apply(text, finder, k):
    """Apply the k-th candidate of finder to a fresh parse of text; None if there is none."""
    import copy
    tree = ast.parse(text)
    for j, cand in enumerate(finder(tree)):
        if j != k:
            continue
        node, field, i, repl = cand
        if finder is _candidates:
            block = getattr(node, field)
            block[i:i + 1] = copy.deepcopy(repl)
            if not block and field == "body":
                block.append(ast.Pass())
        else:
            if i is None:
                setattr(node, field, copy.deepcopy(repl))
            else:
                getattr(node, field)[i] = copy.deepcopy(repl)
        try:
            return ast.unparse(ast.fix_missing_locations(tree)) + "\n"
        except Exception:  # noqa: BLE001
            return None
    return False


def _well_formed(text):
    """A candidate is fair if every `while` loop still increments its counter first thing (else
    the loop may never end) and no block has dead statements after a return, break or continue."""
    for node in ast.walk(ast.parse(text)):
        for field in ("body", "orelse"):
            block = getattr(node, field, None)
            if isinstance(block, list):
                for stmt in block[:-1]:
                    if isinstance(stmt, (ast.Return, ast.Break, ast.Continue)):
                        return False
        if isinstance(node, ast.While):
            first = node.body[0] if node.body else None
            if isinstance(node.test, ast.Constant):   # while True: if n >= k: break; n += 1
                if len(node.body) < 2 or not isinstance(node.body[1], ast.AugAssign) \
                        or not isinstance(first, ast.If) or not isinstance(first.body[0], ast.Break):
                    return False
            elif not isinstance(first, ast.AugAssign):
                return False
    return True


_STAGES_OF = {"ssa": ("ssa",), "grad": ("grad",), "vjp": ("vjp",), "jvp": ("jvp",),
              "dot": ("dot",), "hessian": ("grad", "hessian"), "hvp": ("grad", "hvp"),
              "jacfwd_grad": ("grad", "jacfwd_grad")}


def minimise(text, x, y, a, seed=0, signature=None, budget=2000):
    """Greedily shrink `text` while check() still fails with the same signature."""
    def sig_of(t):
        if not _well_formed(t):
            return None
        try:
            check(t, x, y, a, seed)
        except FuzzFailure as exc:
            return exc.signature
        except Exception:  # noqa: BLE001 - Reject, or a program that no longer runs
            return None
        return None

    if signature is None:
        signature = sig_of(text)
        if signature is None:
            return text
    stages = _STAGES_OF.get(signature.split(":")[0].split("-")[0])
    if stages is None and signature.startswith("crash:"):
        stages = _STAGES_OF.get(signature.split(":")[1].split()[0])
    if stages:     # check only the stage that failed: much faster

        def sig_of(t):  # noqa: F811
            if not _well_formed(t):
                return None
            try:
                check(t, x, y, a, seed, stages)
            except FuzzFailure as exc:
                return exc.signature
            except Exception:  # noqa: BLE001
                return None
            return None
    text = ast.unparse(ast.parse(text)) + "\n"
    progress = True
    while progress and budget > 0:
        progress = False
        for finder in (_candidates, _expr_candidates):
            k = 0
            while budget > 0:
                cand = _apply(text, finder, k)
                if cand is False:
                    break
                budget -= 1
                if cand and cand != text and sig_of(cand) == signature:
                    text, progress = cand, True
                    continue    # same k now names the next candidate
                k += 1
    return text
