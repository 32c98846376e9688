"""Small constructors and queries for gast nodes, shared by every pass."""
import copy

import gast

_AST = gast.AST
# values a tree and its copies share (they cannot change)
ATOMS = frozenset((str, int, float, bool, complex, bytes, type(None), type(Ellipsis)))


def walk(node):
    """Every node of the tree, breadth first: `gast.walk`, in the same order, faster."""
    return _breadth_first(node, _AST, True)


# what the list of a block holds (gast before 0.5 has no match statement)
_HOLDERS = (gast.stmt, gast.excepthandler, getattr(gast, "match_case", gast.stmt))


def statements(node):
    """The statements of the tree (and except handlers, match cases), breadth first: the nodes
    of `walk(node)` that may hold a block, in the same order, without visiting expressions."""
    return _breadth_first(node, _HOLDERS, False)


def blocks(node):
    """Every statement list of a function: its body and all nested bodies (orelse too)."""
    out = [node.body]
    for sub in statements(node):
        if sub is node:
            continue
        for field in ("body", "orelse"):
            block = getattr(sub, field, None)
            if isinstance(block, list) and block and isinstance(block[0], gast.stmt):
                out.append(block)
    return out


def _breadth_first(node, kinds, single_fields, into_names=True):
    """`node`, then the nodes of type `kinds` below it, breadth first, looking into list
    fields and (with `single_fields`) into fields holding one node; not into a name without
    annotation (only its ctx is there) unless `into_names`."""
    todo = [node]
    for node in todo:
        if into_names or type(node) is not gast.Name or node.annotation is not None:
            for field in node._fields:
                value = getattr(node, field, None)
                if type(value) is list:
                    for item in value:
                        if isinstance(item, kinds):
                            todo.append(item)
                elif single_fields and isinstance(value, kinds):
                    todo.append(value)
        yield node


def clone(node):
    """A deep copy of a tree (or a list of trees): `copy.deepcopy`, faster."""
    if type(node) is list:
        return [clone(item) for item in node]
    if not isinstance(node, _AST):
        return node if type(node) in ATOMS else copy.deepcopy(node)
    cls = type(node)
    new = cls.__new__(cls)
    state = new.__dict__
    for key, value in node.__dict__.items():
        if type(value) in ATOMS:
            state[key] = value
        else:
            state[key] = clone(value)
    return new


def located(node, origin):
    """`node` (a node or a list of them), with the position of `origin` on each of its parts
    that has none: what a pass builds in place of a user's construct points at it."""
    for part in node if isinstance(node, list) else [node]:
        for sub in walk(part):
            if getattr(sub, "lineno", None) is None:
                gast.copy_location(sub, origin)
    return node


def load(name):
    return _name(name, gast.Load)


def store(name):
    return _name(name, gast.Store)


def _name(name, context):
    """`gast.Name(id=name, ctx=context(), annotation=None, type_comment=None)`, made without
    gast's constructor, which takes keyword arguments slowly (names are most of the nodes the
    compiler makes)."""
    node = _AST.__new__(gast.Name)
    node.__dict__.update(id=name, ctx=_AST.__new__(context), annotation=None, type_comment=None)
    return node


def item(name, index):
    """`name[index]`, read."""
    return gast.Subscript(value=load(name), slice=index, ctx=gast.Load())


def const(value):
    node = _AST.__new__(gast.Constant)
    node.__dict__.update(value=value, kind=None)
    return node


def unbound():
    """`None` as the SSA form's placeholder for a variable Python would leave unbound (bound in
    one branch only, or first in a loop): marked (`s2s_ad_unbound`, kept by clone), since the
    original code never reads it, and the kind of the variable is that of its other values."""
    node = const(None)
    node.s2s_ad_unbound = True
    return node


def is_unbound(node):
    return getattr(node, "s2s_ad_unbound", False) is True


def assign(target, value):
    """`target = value`; target is a name (str) or a node."""
    if isinstance(target, str):
        target = store(target)
    return gast.Assign(targets=[target], value=value, type_comment=None)


def attr(value, name):
    if isinstance(value, str):
        value = load(value)
    return gast.Attribute(value=value, attr=name, ctx=gast.Load())


def call(func, *args, **kwargs):
    """`func(*args, **kwargs)`; func may be a dotted string like "_ad.add"."""
    if isinstance(func, str):
        parts = func.split(".")
        func = load(parts[0])
        for part in parts[1:]:
            func = attr(func, part)
    return gast.Call(func=func, args=list(args),
                     keywords=[gast.keyword(arg=k, value=v) for k, v in kwargs.items()])


def tuple_(elts, ctx=None):
    return gast.Tuple(elts=list(elts), ctx=ctx or gast.Load())


def binop(left, op, right):
    return gast.BinOp(left=left, op=op, right=right)


def expr_stmt(value):
    return gast.Expr(value=value)


# The marker of a comment statement: not an identifier, so no call in the user's code (to a
# function of any name) can be taken for one and have its argument printed as code.
COMMENT_MARKER = "#"


def comment(text, line=None):
    """A statement that codegen prints as `# text`, on one line whatever `text` holds (it
    quotes the user's source: a line break in it would end the comment and start code).
    `line`: the user's line it quotes, which the code under it comes from (codegen.user_line)."""
    one_line = text.replace("\r", " ").replace("\n", " ")
    stmt = gast.Expr(value=gast.Call(func=gast.Name(id=COMMENT_MARKER, ctx=gast.Load(),
                                                    annotation=None, type_comment=None),
                                     args=[const(one_line)], keywords=[]))
    if line is not None:
        stmt.lineno = line
    return stmt


def is_comment(stmt):
    return (isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Call)
            and isinstance(stmt.value.func, gast.Name) and stmt.value.func.id == COMMENT_MARKER)


def function_def(name, params, body, defaults=()):
    args = gast.arguments(args=[store_param(p) for p in params], posonlyargs=[], vararg=None,
                          kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=list(defaults))
    return gast.FunctionDef(name=name, args=args, body=body, decorator_list=[], returns=None,
                            type_comment=None, type_params=[])


def store_param(name):
    return gast.Name(id=name, ctx=gast.Param(), annotation=None, type_comment=None)


def names_in(node, ctx=None):
    """The ids of every Name in `node` (optionally only Load or Store ones)."""
    if isinstance(node, gast.Name) and node.annotation is None:    # nothing inside: no walk
        return [node.id] if ctx is None or isinstance(node.ctx, ctx) else []
    return [n.id for n in name_nodes(node) if ctx is None or isinstance(n.ctx, ctx)]


def name_nodes(node):
    """The Name nodes of the tree, in the order `walk` visits them."""
    return nodes_of(node, gast.Name)


def nodes_of(node, kind):
    """The nodes of class `kind` in the tree, in the order `walk` visits them, without looking
    inside names (it runs on every statement, several times)."""
    return [sub for sub in _breadth_first(node, _AST, True, into_names=False)
            if isinstance(sub, kind)]


def is_call(node, name):
    """A call of the name `name` (a builtin, as the user wrote it) without keywords."""
    return (isinstance(node, gast.Call) and isinstance(node.func, gast.Name)
            and node.func.id == name and not node.keywords)


def is_atom(node):
    return isinstance(node, (gast.Name, gast.Constant))


def index_expression(index):
    """An index as an expression: `1:3` -> `slice(1, 3, None)`."""
    if isinstance(index, gast.Slice):
        parts = [p if p is not None else const(None) for p in (index.lower, index.upper, index.step)]
        return call("slice", *parts)
    if isinstance(index, gast.Tuple):
        return tuple_([index_expression(e) for e in index.elts])
    return index
