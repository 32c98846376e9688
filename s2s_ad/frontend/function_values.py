"""Functions as values: local functions, lambdas and closures assigned, stored, passed on.

    FunctionValues(resolve, prepare, error)   what local_defs._Expander knows of them

Stage: front end, inside expand_locals (local_defs._Expander), which inlines the calls of local
functions.  Every function value is known when the code is generated: a local function (a
`def` or lambda of the function, or one made by a call inlined into it: a closure), a
module-level, NumPy or math function (Static), or a `functools.partial` of one (Partial).
Where the value goes decides how it is kept:

* a name assigned it once is an alias: its calls are calls of the function (`g = mk(3.0);
  g(x)`, `mk(3.0)(x)`, `act = ACTS["tanh"]; act(x)`);
* stored in a list, tuple or dict (a display, `.append`, `d[k] = f`) or assigned to a name that
  is assigned more than once, it becomes data: a module-level function stays itself, a local
  one is the tuple `(tag, *values)` of what it needs besides its code: its defaults as the
  definition evaluated them, and the locals of the inlined call that made it (a closure's
  cells, fixed once that call returned);
* a call of such data is an `if` over the functions that can be there, each inlined or
  called (function_dispatch.py);
* passed to a module-level function of the user, or made by one (a closure factory), that
  function is inlined at the call: its parameters are then names of the caller bound to the
  values passed, and its free names are bound to what they denote in its own module.

So every function value is followed as SSA data or inlined code; nothing is called that the
derivative cannot see.  A value that leaves for code that is not inlined (a library call, the
function's result) is refused where it does (local_defs._refuse_values, to_ssa).
"""
import builtins
import inspect

import gast

from s2s_ad.base import syntax as S
from s2s_ad.frontend.resolve import named_object
from s2s_ad.base.errors import DifferentiationError, UnsupportedSyntaxError
from s2s_ad.frontend import function_dispatch
from s2s_ad.frontend.function_kinds import (Local, Partial, Static, is_function,
                                            is_user_function, rename, returns_function)

__all__ = ["FunctionValues", "Local", "Partial", "Static"]

_MISSING = object()


class FunctionValues:
    def __init__(self, resolve, prepare, error):
        self.base_resolve = resolve
        self.prepare = prepare       # fn -> its FunctionDef, prepared, and its Parsed
        self.error = error
        self.extra = {}              # fresh name -> object: the closure the code gains
        self.aliases = {}            # name assigned once -> its value
        self.data = set()            # names holding one function as data
        self.containers = set()      # names of lists, tuples and dicts holding some
        self.tags = []               # the local values kept as data; a tag is an index
        self.statics = {}            # id(obj) -> Static, the module-level ones kept as data
        self.stores = {}             # name -> how many times the code assigns it
        self.pending = []            # the dispatches to fill in once all values are known
        self.factories = {}          # id(fn) -> (fn, whether it returns a function)
        self.made_by = set()         # the locals of the calls inlined (renamed)
        self.frames = []             # those of the calls being inlined, innermost last,
        #                              each with the loops it is in
        self.loops = 0               # the loops the statement being expanded is in

    def resolve(self, name, default=None):
        if name in self.extra:
            return self.extra[name]
        return self.base_resolve(name, default) if self.base_resolve else default

    def bind(self, ex, obj, base):
        """A fresh name that the generated code's closure binds to `obj`."""
        for name, known in self.extra.items():
            if known is obj:
                return name
        base = base.strip("_<>")
        name = ex.namer.fresh(f"_{base if base.isidentifier() else 'fn'}")
        self.extra[name] = obj
        return name

    def count_stores(self, node, params=()):
        for sub in (s for part in (node if isinstance(node, list) else [node])
                    for s in S.walk(part)):
            if isinstance(sub, gast.Name) and not isinstance(sub.ctx, gast.Load):
                self.stores[sub.id] = self.stores.get(sub.id, 0) + 1
        for p in params:
            self.stores[p] = self.stores.get(p, 0) + 1

    # -- what an expression is ----------------------------------------------------------------
    def value_of(self, ex, node):
        """The function value `node` is, or None."""
        if isinstance(node, gast.Name):
            if node.id in ex.functions:
                return Local(node.id)
            if node.id in self.aliases:
                return self.aliases[node.id]
            if node.id in ex.locals or node.id in self.data or node.id in self.containers:
                return None
        if isinstance(node, (gast.Name, gast.Attribute)):
            obj = self.written(ex, node)
            return Static(S.clone(node), obj) if is_function(obj) else None
        if isinstance(node, gast.Subscript) and isinstance(node.slice, gast.Constant):
            table = self.table(ex, node.value)
            if table is not None:
                try:
                    obj = table[node.slice.value]
                except (KeyError, IndexError, TypeError):
                    return None
                if is_function(obj):
                    return Static(S.load(self.bind(ex, obj, getattr(obj, "__name__", "fn"))),
                                  obj)
        return None

    def written(self, ex, node):
        """The module-level object `node` (`name`, `np.linalg.norm`) names, or None."""
        return named_object(node, ex.resolve, ex.locals)

    def table(self, ex, node):
        """The module-level list, tuple or dict of functions `node` names, or None."""
        if not isinstance(node, (gast.Name, gast.Attribute)):
            return None
        obj = self.written(ex, node)
        items = obj.values() if isinstance(obj, dict) else obj if isinstance(
            obj, (list, tuple)) else None
        return obj if items and any(is_function(v) for v in items) else None

    def is_container(self, ex, node):
        if isinstance(node, gast.Name):
            return node.id in self.containers
        if isinstance(node, gast.Subscript):
            return self.is_container(ex, node.value)
        if isinstance(node, (gast.List, gast.Tuple, gast.Set)):
            return any(self.is_stored(ex, e) for e in node.elts)
        if isinstance(node, gast.Dict):
            return any(self.is_stored(ex, v) for v in node.values)
        return False

    def is_stored(self, ex, node):
        """Is `node` a function value made data, or a container of some?"""
        return getattr(node, "function_data", False) or self.is_data(ex, node) or \
            self.is_container(ex, node)

    def is_data(self, ex, node):
        if isinstance(node, gast.Name):
            return node.id in self.data
        return isinstance(node, gast.Subscript) and self.is_container(ex, node.value)

    def is_function_argument(self, ex, node):
        """Is `node`, passed to a function, a value that the callee must be inlined for?"""
        if isinstance(node, gast.Lambda):
            return True
        value = self.value_of(ex, node) if isinstance(node, gast.Name) else None
        return (value is not None and not isinstance(value, Static)) or \
            self.is_data(ex, node) or self.is_container(ex, node)

    def handles(self, ex, call):
        """Is `call` one this module rewrites (see `call`)?"""
        func = call.func
        if isinstance(func, gast.Call):
            return True
        if isinstance(func, gast.Name) and (func.id in self.aliases or func.id in self.data):
            return True
        if isinstance(func, gast.Subscript) and (self.is_container(ex, func.value) or
                                                 self.table(ex, func.value) is not None):
            return True
        if any(self.is_function_argument(ex, a) for a in
               call.args + [k.value for k in call.keywords]):
            return True
        if isinstance(func, gast.Attribute) and func.attr in ("append", "insert") and \
                call.args and self.is_function_value(ex, call.args[-1]):
            return True
        return self.is_factory(self.written(ex, func))

    def is_factory(self, fn):
        """Does the user's module-level function `fn` return a function it makes?"""
        if not is_user_function(fn):
            return False
        known = self.factories.get(id(fn))
        if known is None or known[0] is not fn:
            try:
                makes = returns_function(self.prepare(fn)[0])
            except DifferentiationError:     # refused where it is differentiated, if it is
                makes = False
            known = self.factories[id(fn)] = (fn, makes)
        return known[1]

    # -- assignments, loops and displays ------------------------------------------------------
    def assigned(self, ex, stmt, prelude):
        """`name = value` (already expanded): an alias of a function value (the statement is
        dropped: the name's uses become the value's), or data; None to keep it as it is."""
        target, value = stmt.targets[0], stmt.value
        if isinstance(target, gast.Subscript):
            if self.is_function_value(ex, value) and isinstance(target.value, gast.Name):
                stmt.value = self.stored(ex, value, prelude)
                self.containers.add(target.value.id)
            return None
        if not isinstance(target, gast.Name):
            return None
        name = target.id
        if self.is_function_value(ex, value):
            if self.stores.get(name, 0) == 1 and name not in self.data:
                self.aliases[name] = self.value_of(ex, self.named(ex, value, prelude))
                return []
            stmt.value = self.stored(ex, value, prelude)
            self.data.add(name)
        elif self.is_data(ex, value):
            self.data.add(name)
        elif self.is_container(ex, value):
            self.containers.add(name)
        return None

    def is_function_value(self, ex, node):
        return isinstance(node, gast.Lambda) or self.value_of(ex, node) is not None

    def named(self, ex, node, prelude):
        """A lambda as a local function (its defaults evaluated here), else `node`."""
        if isinstance(node, gast.Lambda):
            return S.load(ex.name_lambda(node, prelude))
        return node

    def stored(self, ex, node, prelude):
        """The function value `node` as data (see the module's docstring)."""
        value = self.value_of(ex, self.named(ex, node, prelude))
        if isinstance(value, Static):
            self.statics.setdefault(id(value.obj), value)
            return S.clone(value.node)
        if value not in self.tags:
            self.tags.append(value)
        env = self.environment(ex, value)
        for name in env:
            # kept before its maker returned: then its value must be the last one already
            if any(name in made and (self.stores.get(name, 0) > 1 or self.loops > loops)
                   for made, loops in self.frames):
                raise self.error(node, "a closure kept in a list or dict reads a variable "
                                       "that the function making it assigns again (Python "
                                       "would give it the variable's last value)",
                                 "Give the closure the value as a default "
                                 "(`lambda v, k=k: ...`).")
        items = [S.const(self.tags.index(value))] + [S.load(n) for n in env]
        made = gast.copy_location(S.tuple_(items), node)
        made.function_data = True
        return made

    def environment(self, ex, value):
        """The names whose values a local function value keeps, besides its code."""
        if isinstance(value, Partial):
            rest = [] if isinstance(value.func, Static) else self.environment(ex, value.func)
            return list(value.args) + [n for _, n in value.keywords] + rest
        fdef = ex.functions[value.name]
        defaults = [fdef.default_names[p] for p in sorted(fdef.default_names)]
        # a closure made by an inlined call reads that call's locals: their values when it is
        # kept, final once the call returned (the function's own locals it reads as they are
        # when it is called, as Python does)
        own = set(defaults) | {n.id for n in S.walk(fdef) if isinstance(n, gast.Name) and
                               not isinstance(n.ctx, gast.Load)}
        free = {n.id for n in S.walk(fdef) if isinstance(n, gast.Name) and
                isinstance(n.ctx, gast.Load)} - own
        return defaults + sorted(free & self.made_by)

    def display(self, ex, node, prelude):
        """A list, tuple, set or dict display with the function values in it made data."""
        items = node.values if isinstance(node, gast.Dict) else node.elts
        for k, item in enumerate(items):
            if self.is_function_value(ex, item):
                items[k] = self.stored(ex, item, prelude)
        return node

    def has_function_items(self, ex, node):
        items = node.values if isinstance(node, gast.Dict) else node.elts
        return any(self.is_function_value(ex, i) and not getattr(i, "function_data", False)
                   for i in items)

    def loop(self, ex, stmt):
        """`for f in fs` (or over `enumerate(fs)`, `zip(fs, ...)`, `reversed(fs)`) with fs
        holding functions: f holds one."""
        it, target = stmt.iter, stmt.target
        if self.is_container(ex, it):
            self._walks(target, True)
            return
        if not (isinstance(it, gast.Call) and isinstance(it.func, gast.Name)):
            return
        fn = ex.resolve(it.func.id, None) if it.func.id not in ex.locals else None
        flags = [self.is_container(ex, a) for a in it.args]
        if fn is builtins.reversed and flags == [True]:
            self._walks(target, True)
        elif fn is builtins.enumerate and flags[:1] == [True] and \
                isinstance(target, gast.Tuple) and len(target.elts) == 2:
            self._walks(target.elts[1], True)
        elif fn is builtins.zip and any(flags) and isinstance(target, gast.Tuple) and \
                len(target.elts) == len(flags):
            for elt, flag in zip(target.elts, flags):
                self._walks(elt, flag)

    def _walks(self, target, flag):
        if flag and isinstance(target, gast.Name):
            self.data.add(target.id)

    # -- calls --------------------------------------------------------------------------------
    def call(self, ex, node, prelude):
        """A call `handles` accepts, expanded: the expression that is its result."""
        func = node.func
        if isinstance(func, (gast.Call, gast.Subscript)):
            func = ex.expression(func, prelude)
        value = self.value_of(ex, func)
        args = [self.argument(ex, a, prelude) for a in node.args]
        keywords = [gast.keyword(arg=k.arg, value=self.argument(ex, k.value, prelude))
                    for k in node.keywords]
        if value is not None and not isinstance(value, Static):
            return self.call_value(ex, value, args, keywords, prelude, node)
        if value is None and self.is_data(ex, func):
            return function_dispatch.dispatch(self, ex, node, func, args, keywords, prelude)
        if value is None and isinstance(func, gast.Subscript) and \
                self.table(ex, func.value) is not None:
            table = self.table(ex, func.value)
            items = table.values() if isinstance(table, dict) else table
            options = [Static(S.load(self.bind(ex, v, getattr(v, "__name__", "fn"))), v)
                       for v in items if is_function(v)]
            return function_dispatch.dispatch(self, ex, node, func, args, keywords, prelude, options)
        fn = value.obj if value is not None else self.written(ex, func)
        func = S.clone(value.node) if value is not None else func
        made = gast.copy_location(gast.Call(func=func, args=args, keywords=keywords), node)
        if is_user_function(fn) and (self.is_factory(fn) or any(
                self.is_function_argument(ex, a) for a in args + [k.value for k in keywords])):
            return self.inline_module_function(ex, fn, made, prelude)
        if isinstance(func, gast.Attribute) and func.attr in ("append", "insert") and \
                isinstance(func.value, gast.Name) and args and \
                ex.resolve(func.value.id, _MISSING) is _MISSING and \
                self.is_function_value(ex, args[-1]):
            made.args[-1] = self.stored(ex, args[-1], prelude)
            self.containers.add(func.value.id)
        elif isinstance(func, gast.Attribute) and func.attr in ("append", "insert", "extend") \
                and isinstance(func.value, gast.Name) and args and \
                self.is_stored(ex, args[-1]):
            self.containers.add(func.value.id)
        return made

    def argument(self, ex, node, prelude):
        if isinstance(node, gast.Lambda):
            return node        # bound to the parameter of an inlined function, or refused
        node = ex.expression(node, prelude)
        value = self.value_of(ex, node) if isinstance(node, gast.Name) else None
        return S.clone(value.node) if isinstance(value, Static) else node

    def call_value(self, ex, value, args, keywords, prelude, origin, renames=None):
        """The result of calling the known function `value`, its statements in `prelude`;
        `renames` maps the names its environment is read from to those that hold it here."""
        renames = renames or {}
        if isinstance(value, Static):
            made = gast.copy_location(gast.Call(func=S.clone(value.node), args=args,
                                                keywords=keywords), origin)
            return ex.expression(made, prelude)
        if isinstance(value, Partial):
            bound = [S.load(renames.get(a, a)) for a in value.args]
            given = {k.arg for k in keywords}
            extra = [gast.keyword(arg=k, value=S.load(renames.get(n, n)))
                     for k, n in value.keywords if k not in given]
            return self.call_value(ex, value.func, bound + args, extra + keywords, prelude,
                                   origin, renames)
        fdef = ex.functions[value.name]
        if renames:
            fdef = S.clone(fdef)
            rename(fdef, renames)
            fdef.default_names = {p: renames.get(n, n) for p, n in fdef.default_names.items()}
        call = gast.copy_location(gast.Call(func=S.load(value.name), args=args,
                                            keywords=keywords), origin)
        return ex.inline_call(call, prelude, fdef)

    def inline_module_function(self, ex, fn, call, prelude):
        """`call` of the user's module-level function `fn`, inlined: its free names bound to
        what they denote in its module, its defaults to the values `def` gave them."""
        fdef, parsed = self.prepare(fn, inlined=True)
        local = {n.id for n in S.walk(fdef) if isinstance(n, gast.Name) and
                 not isinstance(n.ctx, gast.Load)} | {
            d.name for d in S.walk(fdef) if isinstance(d, gast.FunctionDef)}
        renames = {}
        for name in sorted({n.id for n in S.walk(fdef) if isinstance(n, gast.Name) and
                            isinstance(n.ctx, gast.Load)} - local):
            obj = parsed.resolve(name, _MISSING)
            if obj is _MISSING or (name not in ex.locals and name not in self.aliases and
                                   ex.resolve(name, _MISSING) is obj):
                continue
            renames[name] = self.bind(ex, obj, name)
        rename(fdef, renames)
        fdef.default_names = {}
        defaults = inspect.signature(fn).parameters
        for p, param in defaults.items():
            if param.default is not inspect.Parameter.empty:
                fdef.default_names[p] = self.bind(ex, param.default, f"{p}_default")
        ex.namer.taken.update(S.names_in(fdef))
        inner = ex.inner()
        inner.depth = ex.depth

        def error(node, message, hint=None, kind=UnsupportedSyntaxError):
            # a refusal while it is expanded points into its own file
            return kind(message, hint=hint, location=parsed.location(node))
        inner.error = error
        return inner.inline_call(call, prelude, fdef)

    def fill(self, root):
        """Fill in the dispatches (function_dispatch.fill), then refuse where functions kept
        as data leave the code followed."""
        function_dispatch.fill(self)
        self.refuse_escapes(root)

    def refuse_escapes(self, root):
        """Raise where a list, dict or name holding functions kept as data is returned or
        passed to a library function: there it would be our tuples, not functions."""
        kept = self.data | self.containers
        for sub in S.walk(root):
            if isinstance(sub, gast.Return) and sub.value is not None:
                leaving = [sub.value] + list(getattr(sub.value, "elts", []))
            elif isinstance(sub, gast.Call) and not _walks_items(sub):
                leaving = sub.args + [k.value for k in sub.keywords]
            else:
                continue
            for node in leaving:
                base = node.value if isinstance(node, gast.Subscript) else node
                if isinstance(base, gast.Name) and base.id in kept:
                    raise self.error(node, "functions kept in a list or dict (or a name "
                                           "given functions on several lines) leave the "
                                           "code s2s_ad follows here (returned, or passed "
                                           "to a library function)",
                                     "Call them in this function, or pass them to a "
                                     "function of yours.")


def _walks_items(call):
    """Does `call` only walk or extend a container (`len(fs)`, `fs.append(g)`)?"""
    func = call.func
    if isinstance(func, gast.Name):
        return func.id in ("len", "enumerate", "zip", "reversed", "list", "tuple", "iter")
    return isinstance(func, gast.Attribute) and func.attr in (
        "append", "insert", "extend", "index", "count", "pop", "copy", "items", "values",
        "keys")
