"""To gast: a standard-library `ast` tree as the same gast tree, fast.

    to_gast(node) -> the gast node

Stage: front end, read by source_text (every function differentiated and every rule inlined).
Input: a tree of `ast` nodes.  Output: the tree `gast.ast_to_gast` gives, built directly.
"""
import ast

import gast

from s2s_ad.base import syntax


_MISSING = object()


def to_gast(node):
    """`gast.ast_to_gast(node)`, the same tree, made faster (gast's converter dispatches on
    each node's class name and builds it from keyword arguments; this runs on every function
    differentiated and every rule inlined).  Each node becomes the gast class of the same name
    with the same fields and locations, except that gast's Names carry an annotation and a
    type comment, a parameter (`ast.arg`) and an except handler's name become Names, and
    definitions have `type_params` before Python 3.12.  The nodes of type parameters (3.12+)
    are left to gast."""
    if type(node) is list:
        return [to_gast(item) for item in node]
    if not isinstance(node, ast.AST):
        return node
    special = _GAST_SPECIAL.get(type(node))
    return special(node) if special is not None else _gast_node(node)


def _gast_node(node):
    kind = type(node)
    cls = _GAST_CLASSES.get(kind)
    if cls is None:
        cls = _GAST_CLASSES[kind] = getattr(gast, kind.__name__)
    new = cls.__new__(cls)
    state = new.__dict__
    atoms = syntax.ATOMS
    for key, value in node.__dict__.items():     # its fields and locations
        state[key] = value if type(value) in atoms else to_gast(value)
    if kind in _DEFINITIONS and "type_params" not in state:
        state["type_params"] = []
    return new


def _copy_locations(node, state):
    for attribute in node._attributes:
        value = getattr(node, attribute, _MISSING)
        if value is not _MISSING:
            state[attribute] = value


def _gast_name(node):
    new = _gast_node(node)
    new.annotation = new.type_comment = None
    return new


def _gast_parameter(node):
    new = gast.Name(node.arg, gast.Param(), to_gast(node.annotation), node.type_comment)
    _copy_locations(node, new.__dict__)
    return new


def _gast_handler(node):
    if not node.name:
        return _gast_node(node)
    new = gast.ExceptHandler(to_gast(node.type), gast.Name(node.name, gast.Store(), None, None),
                             to_gast(node.body))
    _copy_locations(node, new.__dict__)
    return new


_GAST_CLASSES = {}
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_GAST_SPECIAL = {ast.Name: _gast_name, ast.arg: _gast_parameter, ast.ExceptHandler: _gast_handler}
_GAST_SPECIAL.update({getattr(ast, name): gast.ast_to_gast
                      for name in ("TypeVar", "ParamSpec", "TypeVarTuple") if hasattr(ast, name)})
