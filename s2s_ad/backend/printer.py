"""Source text of a generated function: the text `ast.unparse` prints for it, made faster.

    function_text(node) -> str, or None for a function holding something not printed here

Generated code uses a small part of Python (assignments, calls, arithmetic, branches, loops);
this prints that part straight from the gast tree, by the rules of the standard library's
unparser (Lib/ast.py): the same precedences and parentheses, the same spelling of numbers.
Anything else (a string as a docstring, a comprehension, a decorator...) gives None, and
codegen prints the function with `ast.unparse`.  Comments (`syntax.comment`) print as `# ...`.
The tests hold its text to unparse's for every function of the package and of the corpus.
"""
import sys

import gast

from s2s_ad.base import syntax as S

# ast.unparse's precedences (ast._Precedence), lowest first
TUPLE, YIELD, TEST, OR, AND, NOT, CMP, EXPR, BXOR, BAND, SHIFT, ARITH, TERM, FACTOR, POWER, \
    AWAIT, ATOM = range(2, 19)
BOR = EXPR

_BINOPS = {gast.Add: ("+", ARITH), gast.Sub: ("-", ARITH), gast.Mult: ("*", TERM),
           gast.MatMult: ("@", TERM), gast.Div: ("/", TERM), gast.Mod: ("%", TERM),
           gast.LShift: ("<<", SHIFT), gast.RShift: (">>", SHIFT), gast.BitOr: ("|", BOR),
           gast.BitXor: ("^", BXOR), gast.BitAnd: ("&", BAND), gast.FloorDiv: ("//", TERM),
           gast.Pow: ("**", POWER)}
_UNARYOPS = {gast.Invert: ("~", FACTOR), gast.Not: ("not ", NOT), gast.UAdd: ("+", FACTOR),
             gast.USub: ("-", FACTOR)}
_COMPARISONS = {gast.Eq: "==", gast.NotEq: "!=", gast.Lt: "<", gast.LtE: "<=", gast.Gt: ">",
                gast.GtE: ">=", gast.Is: "is", gast.IsNot: "is not", gast.In: "in",
                gast.NotIn: "not in"}
_BOOLOPS = {gast.And: ("and", AND), gast.Or: ("or", OR)}
_INFINITY = "1e" + repr(sys.float_info.max_10_exp + 1)   # unparse's _INFSTR
# unparse before Python 3.11 puts every tuple in parentheses (but the index of a subscript
# without starred items)
_BARE_TUPLES = sys.version_info >= (3, 11)


class _Unprintable(Exception):
    """A node this module does not print: unparse prints the function."""


def function_text(node):
    """The text of the FunctionDef `node` as ast.unparse prints it (without a final newline,
    comments as `# ...` lines), or None."""
    try:
        lines = []
        _function(node, lines)
    except _Unprintable:
        return None
    return "\n".join(lines)


def _next(precedence):
    return min(precedence + 1, ATOM)


def _parens(text, inside, precedence):
    """`text` of an operation of precedence `inside`, in a place of `precedence`."""
    return f"({text})" if precedence > inside else text


# -- statements ---------------------------------------------------------------------------

def _function(node, lines):
    if not isinstance(node, gast.FunctionDef) or node.decorator_list or node.returns \
            or node.type_comment or getattr(node, "type_params", None) or _docstring(node):
        raise _Unprintable
    lines.append(f"def {node.name}({_arguments(node.args)}):")
    _block(node.body, 1, lines)


def _docstring(node):
    first = node.body[0] if node.body else None
    return isinstance(first, gast.Expr) and isinstance(first.value, gast.Constant) and \
        isinstance(first.value.value, str)


def _arguments(args):
    if args.posonlyargs:
        raise _Unprintable
    parts = []
    defaults = [None] * (len(args.args) - len(args.defaults)) + list(args.defaults)
    for a, d in zip(args.args, defaults):
        parts.append(_parameter(a) + (f"={_expr(d, TEST)}" if d else ""))
    if args.vararg or args.kwonlyargs:
        parts.append("*" + (_parameter(args.vararg) if args.vararg else ""))
    for a, d in zip(args.kwonlyargs, args.kw_defaults):
        parts.append(_parameter(a) + (f"={_expr(d, TEST)}" if d else ""))
    if args.kwarg:
        parts.append("**" + _parameter(args.kwarg))
    return ", ".join(parts)


def _parameter(name):
    if not isinstance(name, gast.Name) or name.annotation or name.type_comment:
        raise _Unprintable
    return name.id


def _block(stmts, depth, lines):
    for stmt in stmts:
        _statement(stmt, depth, lines)


def _statement(s, depth, lines):
    indent = "    " * depth
    kind = type(s)
    if kind is gast.Assign:
        if s.type_comment:
            raise _Unprintable
        targets = "".join(_expr(t, TUPLE) + " = " for t in s.targets)
        lines.append(f"{indent}{targets}{_expr(s.value, TEST)}")
    elif kind is gast.Expr:
        comment = _comment_text(s)
        if comment is not None:
            lines.append(f"{indent}# {comment}")
        else:
            lines.append(indent + _expr(s.value, YIELD))
    elif kind is gast.AugAssign:
        op = _BINOPS[type(s.op)][0]
        lines.append(f"{indent}{_expr(s.target, TEST)} {op}= {_expr(s.value, TEST)}")
    elif kind is gast.Return:
        lines.append(indent + "return" + (" " + _expr(s.value, TEST) if s.value else ""))
    elif kind is gast.If:
        lines.append(f"{indent}if {_expr(s.test, TEST)}:")
        _block(s.body, depth + 1, lines)
        while len(s.orelse) == 1 and isinstance(s.orelse[0], gast.If):   # elif
            s = s.orelse[0]
            lines.append(f"{indent}elif {_expr(s.test, TEST)}:")
            _block(s.body, depth + 1, lines)
        _else(s.orelse, depth, lines)
    elif kind is gast.For:
        if s.type_comment:
            raise _Unprintable
        lines.append(f"{indent}for {_expr(s.target, TUPLE)} in {_expr(s.iter, TEST)}:")
        _block(s.body, depth + 1, lines)
        _else(s.orelse, depth, lines)
    elif kind is gast.While:
        lines.append(f"{indent}while {_expr(s.test, TEST)}:")
        _block(s.body, depth + 1, lines)
        _else(s.orelse, depth, lines)
    elif kind in _KEYWORDS:
        lines.append(indent + _KEYWORDS[kind])
    else:
        raise _Unprintable


_KEYWORDS = {gast.Pass: "pass", gast.Break: "break", gast.Continue: "continue"}


def _else(orelse, depth, lines):
    if orelse:
        lines.append("    " * depth + "else:")
        _block(orelse, depth + 1, lines)


def _comment_text(stmt):
    """The text of a `syntax.comment` statement, else None."""
    if not S.is_comment(stmt):
        return None
    call = stmt.value
    if len(call.args) != 1 or call.keywords or not isinstance(call.args[0], gast.Constant) \
            or type(call.args[0].value) is not str:
        raise _Unprintable
    return call.args[0].value


# -- expressions --------------------------------------------------------------------------

def _expr(n, precedence):
    """The text of the expression `n` in a place of `precedence` (what unparse's parent node
    sets for it, TEST where it sets nothing)."""
    printer = _EXPRESSIONS.get(type(n))
    if printer is None:
        raise _Unprintable
    return printer(n, precedence)


def _name(n, precedence):
    if n.annotation:
        raise _Unprintable
    return n.id


def _constant(n, precedence):
    value = n.value
    if value is ...:
        return "..."
    if n.kind is not None or isinstance(value, (tuple, frozenset, bytes)):
        raise _Unprintable
    if isinstance(value, (float, complex)):
        text = repr(value).replace("inf", _INFINITY).replace("nan", f"({_INFINITY}-{_INFINITY})")
    else:
        text = repr(value)
    if type(value) in (int, float) and text.startswith("-"):
        # a negative number is a negation (`(-0.5) ** 2`, not `-0.5 ** 2`; codegen hands it to
        # unparse as one too)
        return _parens(text, FACTOR, precedence)
    return text


def _binop(n, precedence):
    op, inside = _BINOPS[type(n.op)]
    left, right = (_next(inside), inside) if op == "**" else (inside, _next(inside))
    return _parens(f"{_expr(n.left, left)} {op} {_expr(n.right, right)}", inside, precedence)


def _unaryop(n, precedence):
    op, inside = _UNARYOPS[type(n.op)]
    return _parens(op + _expr(n.operand, inside), inside, precedence)


def _compare(n, precedence):
    parts = [_expr(n.left, _next(CMP))]
    for op, right in zip(n.ops, n.comparators):
        parts.append(f"{_COMPARISONS[type(op)]} {_expr(right, _next(CMP))}")
    return _parens(" ".join(parts), CMP, precedence)


def _boolop(n, precedence):
    op, inside = _BOOLOPS[type(n.op)]
    parts, level = [], inside
    for value in n.values:        # unparse raises the precedence at each operand
        level = _next(level)
        parts.append(_expr(value, level))
    return _parens(f" {op} ".join(parts), inside, precedence)


def _call(n, precedence):
    args = [_expr(a, TEST) for a in n.args]
    for k in n.keywords:
        args.append(("**" if k.arg is None else k.arg + "=") + _expr(k.value, TEST))
    return f"{_expr(n.func, ATOM)}({', '.join(args)})"


def _attribute(n, precedence):
    value = n.value
    space = " " if isinstance(value, gast.Constant) and isinstance(value.value, int) else ""
    return f"{_expr(value, ATOM)}{space}.{n.attr}"


def _subscript(n, precedence):
    index = n.slice
    if isinstance(index, gast.Tuple) and index.elts and (
            _BARE_TUPLES or not any(isinstance(e, gast.Starred) for e in index.elts)):
        inside = _items(index.elts)
    else:
        inside = _expr(index, TEST)
    return f"{_expr(n.value, ATOM)}[{inside}]"


def _items(elts):
    """Items separated by commas; a single one followed by a comma."""
    if len(elts) == 1:
        return _expr(elts[0], TEST) + ","
    return ", ".join(_expr(e, TEST) for e in elts)


def _tuple(n, precedence):
    text = _items(n.elts) if n.elts else ""
    return f"({text})" if not n.elts or precedence > TUPLE or not _BARE_TUPLES else text


def _list(n, precedence):
    return "[" + ", ".join(_expr(e, TEST) for e in n.elts) + "]"


def _dict(n, precedence):
    items = [f"**{_expr(v, EXPR)}" if k is None else f"{_expr(k, TEST)}: {_expr(v, TEST)}"
             for k, v in zip(n.keys, n.values)]
    return "{" + ", ".join(items) + "}"


def _listcomp(n, precedence):
    text = _expr(n.elt, TEST)
    for loop in n.generators:
        text += (" async for " if loop.is_async else " for ") + _expr(loop.target, TUPLE) + \
            " in " + _expr(loop.iter, _next(TEST))
        text += "".join(" if " + _expr(test, _next(TEST)) for test in loop.ifs)
    return f"[{text}]"


def _slice(n, precedence):
    text = (_expr(n.lower, TEST) if n.lower else "") + ":" + \
        (_expr(n.upper, TEST) if n.upper else "")
    return text + (":" + _expr(n.step, TEST) if n.step else "")


def _ifexp(n, precedence):
    text = f"{_expr(n.body, _next(TEST))} if {_expr(n.test, _next(TEST))} else " \
           f"{_expr(n.orelse, TEST)}"
    return _parens(text, TEST, precedence)


def _starred(n, precedence):
    return "*" + _expr(n.value, EXPR)


_EXPRESSIONS = {gast.Name: _name, gast.Constant: _constant, gast.BinOp: _binop,
                gast.UnaryOp: _unaryop, gast.Compare: _compare, gast.BoolOp: _boolop,
                gast.Call: _call, gast.Attribute: _attribute, gast.Subscript: _subscript,
                gast.Tuple: _tuple, gast.List: _list, gast.Slice: _slice, gast.IfExp: _ifexp,
                gast.Starred: _starred, gast.Dict: _dict, gast.ListComp: _listcomp}
