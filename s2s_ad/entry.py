"""The call path of a transform: from the user's call to the generated code that answers it.

Stage: public layer, at call time.  Input: a transform's function, mode and wrt, then each
call's arguments.  Output: the generated function for the call's signature and the arguments
it takes (`Transform.prepare`), and two kinds of small functions generated for speed:

  * a guard (`guard(args)`), which answers the last call's generated function when a call's
    arguments have that call's signature;
  * an entry point (`entry_point`), the function a user calls: it has the user's parameters
    and checks the signature inline, so that a repeated call costs one Python call more than
    the generated code itself.

Both are generated source with a file of their own in `linecache` ("<s2s_ad.entry f_grad
1a2b3c4d5e>"), like the derivatives (backend.codegen), so `inspect.getsource`, pdb and
tracebacks show their lines.
"""
import copy
import hashlib
import linecache
import os

import numpy as np

from s2s_ad import derivative
from s2s_ad.arguments import (ABSENT, as_float, bind, bound_self, call_arguments, closure_items,
                              closure_key, global_kind, parameters, shapes_of, signature,
                              value_global_names, value_kind, variadic_function, wrt_names)
from s2s_ad.backend.codegen import _lines_kept_while as lines_kept_while
from s2s_ad.backend.codegen import _show_lines as show_lines
from s2s_ad.backend.codegen import user_line
from s2s_ad.base.errors import BadArgumentError, DifferentiationError
from s2s_ad.base.naming import GENERATED_FILE
from s2s_ad.frontend import source as frontend
from s2s_ad.modes import MODES
from s2s_ad.transforms.scaffold import HOOKS


def run_source(source, name, namespace):
    """Run `source` (definitions of makers) in `namespace`, as a pseudo-file named after
    `name`; `made(function)` shows its lines for as long as a function made from it lives."""
    digest = hashlib.sha1(source.encode()).hexdigest()[:10]
    # "<s2s_ad.entry f_grad 1a2b3c4d5e>": not a derivative's name (naming.is_generated), since
    # no transform reads this code
    filename = f"{GENERATED_FILE}.{name} {digest}>"
    exec(compile(source, filename, "exec"), namespace)

    def made(function):
        # in linecache, where inspect, pdb and tracebacks look for lines; released with the
        # last function made (as a derivative's lines are), shown again for the next one
        if filename not in linecache.cache:
            show_lines(filename, source)
        return lines_kept_while(function, filename)
    return namespace, made


_OWN = os.path.dirname(os.path.abspath(__file__)) + os.sep


def trim(exc):
    """Drop the frames of s2s_ad's own modules from the traceback of `exc`, raised inside
    generated code: what is left is the user's frames and the generated ones, whose lines say
    where in the derivative it failed (S2S_AD_TRACEBACK=full keeps every frame).  A note
    names the line of the user's function the failing generated line was made from."""
    note_user_line(exc)
    if os.environ.get("S2S_AD_TRACEBACK") == "full":
        return exc
    kept, tb = [], exc.__traceback__
    while tb is not None:
        if not tb.tb_frame.f_code.co_filename.startswith(_OWN):
            kept.append(tb)
        tb = tb.tb_next
    for outer, inner in zip(kept, kept[1:] + [None]):
        outer.tb_next = inner
    return exc.with_traceback(kept[0] if kept else None)


def call_generated(function, *args, **kwargs):
    """`function(*args, **kwargs)`, a generated function called from our own code: an error it
    raises shows the user's frames and the generated ones alone (see trim)."""
    try:
        return function(*args, **kwargs)
    except Exception as error:      # re-raised: our frames left out of its traceback
        trim(error)
        raise


_NOTE = "s2s_ad: "


def note_user_line(exc):
    """Add to `exc` (Python 3.11+ prints notes under the error) the user's line that the
    innermost generated line of its traceback was made from, once, for errors that are not
    ours (a DifferentiationError names its line itself)."""
    if not hasattr(exc, "add_note") or isinstance(exc, DifferentiationError) or \
            any(str(n).startswith(_NOTE) for n in getattr(exc, "__notes__", ())):
        return
    found, tb = None, exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        where = user_line(code.co_filename, tb.tb_lineno)
        if where is not None:
            found = code, tb.tb_lineno, where
        tb = tb.tb_next
    if found is None:
        return
    # the generated line is quoted too: Python 3.11 and 3.12 print no line of a pseudo-file
    code, line, (filename, user) = found
    exc.add_note(f"{_NOTE}the error is in {code.co_name}, at the line\n"
                 f"    {linecache.getline(code.co_filename, line).strip()}\n"
                 f"made from {filename}:{user}:\n"
                 f"    {linecache.getline(filename, user).strip()}")


def guard_maker(pattern):
    """A compiled `make(value, *facts) -> guard` for one pattern of signature: `guard(args)` is
    `value` when the arguments have the facts' signature and the module-level values read are
    still the same objects, else None.  The check is spelled out per argument (no loop, no
    tuples built) because it runs on every call of a transform: this is the whole fast path.

    pattern is (for each argument, is it an array?), the number of module-level values read
    and the number of closure cells; facts are, per argument, its type or its (shape, dtype),
    then the scope and, per value read, its name and the object, then per cell, the cell and
    the object it holds."""
    is_array, n_read, n_cells = pattern
    params, tests = ["_value"], []
    for i, array in enumerate(is_array):
        if array:
            params += [f"_s{i}", f"_d{i}"]
            tests.append(f"type(a{i}) is _ndarray and a{i}.shape == _s{i} "
                         f"and (a{i}.dtype is _d{i} or a{i}.dtype == _d{i})")
        else:
            params.append(f"_t{i}")
            tests.append(f"type(a{i}) is _t{i}")
    if n_read:
        params.append("_scope")
    for k in range(n_read):
        params += [f"_n{k}", f"_g{k}"]
        tests.append(f"_scope.get(_n{k}, ABSENT) is _g{k}")
    for k in range(n_cells):
        params += [f"_c{k}", f"_v{k}"]
        tests.append(f"_c{k}.cell_contents is _v{k}")
    n = len(is_array)
    unpack = f"        {', '.join(f'a{i}' for i in range(n))}, = args\n" if n else ""
    condition = " and ".join(tests) or "True"
    source = (f"def make({', '.join(params)}):\n"
              f"    def guard(args):\n"
              f"        if len(args) != {n}:\n"
              f"            return None\n"
              f"{unpack}"
              f"        if {condition}:\n"
              f"            return _value\n"
              f"        return None\n"
              f"    return guard\n")
    namespace, made = run_source(source, "guard", {"_ndarray": np.ndarray, "ABSENT": ABSENT})
    make = namespace["make"]
    return lambda *facts: made(make(*facts))


_GUARD_MAKERS = {}


def guard(given, value, scope, read, cells=()):
    """`guard(args)`: `value` for arguments with the signature of `given` (types; shapes and
    dtypes of arrays) while the module-level values in `read` ((name, object) pairs, looked up
    in `scope`) and the closure `cells` ((cell, object) pairs) are unchanged, else None."""
    if len(given) + len(read) + len(cells) > 100:
        return no_fast_path      # a compiled check takes at most 255 facts
    is_array = tuple(type(a) is np.ndarray for a in given)
    pattern = (is_array, len(read), len(cells))
    make = _GUARD_MAKERS.get(pattern)
    if make is None:
        make = _GUARD_MAKERS[pattern] = guard_maker(pattern)
    facts = [value]
    for a, array in zip(given, is_array):
        facts += [a.shape, a.dtype] if array else [type(a)]
    if read:
        facts.append(scope)
        for name, obj in read:
            facts += [name, obj]
    for cell, obj in cells:
        facts += [cell, obj]
    return make(*facts)


def closure_cells(fn):
    """((cell, what it holds), ...) for `fn`'s closure; None where a cell is empty or holds a
    list or dict (whose kinds depend on their items), which the fast path does not follow."""
    items = closure_items(fn)
    if any(value is ABSENT or type(value) in (list, dict) for _, _, value in items):
        return None
    return tuple((cell, value) for _, cell, value in items)


def no_fast_path(args):
    return None


class _NoType:
    """No argument has this type: an entry point's state before its first call matches none."""


def entry_parameters(fn):
    """[(name, default or ABSENT, keyword-only?)] for fn's parameters where an entry point can
    repeat its signature (no `*args`, `**kwargs` or positional-only parameters, none of our
    own `_ad_` names), else None.  For one of our derivative functions, those of the function
    it differentiates; for a bound method, those after `self`."""
    try:
        params = list(signature(fn).parameters.values())
    except (TypeError, ValueError, DifferentiationError):
        return None
    if any(p.kind not in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) or p.name.startswith("_ad_")
           for p in params):
        return None
    return [(p.name, ABSENT if p.default is p.empty else p.default, p.kind is p.KEYWORD_ONLY)
            for p in params]


_ENTRY_MAKERS = {}     # source -> its (make, made): transforms of one function share it


def entry_point(t, mode, result, general, extra=(), named_after=None):
    """The function a user calls for transform `t`, or None where fn's signature cannot be
    repeated (see `entry_parameters`).  It has fn's parameters (then `extra` ones, which it
    does not check) and runs the generated code `t.remember` last installed when its arguments
    have that code's signature, checked inline; any other call goes to `general(args)`.  That
    is one Python call more than calling the generated function itself, where a `*args`
    wrapper and a separate guard cost two and build tuples.

    `result` is the expression returned, with `{call}` for the generated function's call (which
    takes every parameter by position, a bound method's `self` first).  The function is named
    as the table of modes names `mode`'s derivative of `named_after` (by default t.fn)."""
    params = entry_parameters(t.fn)
    if not params:
        return None
    positional = [(name, default) for name, default, keyword in params if not keyword]
    keyword_only = [(name, default) for name, default, keyword in params if keyword]
    defaults = [default for _, default in positional if default is not ABSENT]
    if extra and (defaults or keyword_only):
        return None     # (extra parameters, without defaults, cannot follow ones with)
    names = [name for name, _, _ in params] + list(extra)
    facts, checks = ["_ad_f"], []
    for i, (name, _, _) in enumerate(params):
        facts += [f"_ad_t{i}", f"_ad_s{i}", f"_ad_d{i}"]
        checks.append(f"_ad_type({name}) is _ad_t{i} and (_ad_s{i} is None or "
                      f"{name}.shape == _ad_s{i} and "
                      f"({name}.dtype is _ad_d{i} or {name}.dtype == _ad_d{i}))")
    facts.append("_ad_rest")
    checks.append("(_ad_rest is None or _ad_rest(()) is not None)")
    arguments = ", ".join(names)
    header = ", ".join([name for name, _ in positional] + list(extra) +
                          (["*"] + [name for name, _ in keyword_only] if keyword_only else []))
    call = f"_ad_f({'_ad_self, ' if t.bound_self is not None else ''}{arguments})"
    function_name = MODES[mode].name_of(named_after or t.fn)
    if not function_name.isidentifier():
        function_name = mode
    condition = " and\n                    ".join(checks)
    source = (f"def make(_ad_general, _ad_state, _ad_self):\n"
              f"    def {function_name}({header}):\n"
              f"        try:\n"
              f"            {', '.join(facts)} = _ad_state\n"
              f"            if ({condition}):\n"
              f"                return {result.format(call=call)}\n"
              f"            return _ad_general(({arguments},))\n"
              f"        except Exception as _ad_error:   # re-raised, our frames left out\n"
              f"            _ad_trim(_ad_error)\n"
              f"            raise\n"
              f"    def install(state):\n"
              f"        nonlocal _ad_state\n"
              f"        _ad_state = state\n"
              f"    return {function_name}, install\n")
    make = _ENTRY_MAKERS.get(source)
    if make is None:
        namespace = {"_ad_type": type, "_ad_trim": trim}  # (a parameter may be called `type`)
        namespace, made = run_source(source, f"entry {function_name}", namespace)
        make = _ENTRY_MAKERS[source] = (namespace["make"], made)
    make, made = make
    never = (None,) + (_NoType, None, None) * len(params) + (None,)
    entry, install = make(general, never, t.bound_self)
    made(entry)
    entry.__defaults__ = tuple(defaults) or None
    entry.__kwdefaults__ = {name: default for name, default in keyword_only
                            if default is not ABSENT} or None
    t.install, t.never, t.arity = install, never, len(params)
    return entry


def entry_state(given, value, rest):
    """An entry point's state: run `value` for arguments with the signature of `given` (types;
    shapes and dtypes of arrays) while `rest(())`, a guard of the module-level values and
    closure cells the code depends on, is not None (rest None: nothing to check)."""
    state = [value]
    for a in given:
        state += [np.ndarray, a.shape, a.dtype] if type(a) is np.ndarray else [type(a), None, None]
    state.append(rest)
    return tuple(state)


def hook_table(hooks, what):
    """(sorted variable names, {"_ad_hooks": hooks}) for the keyword `on_adjoint` or
    `on_tangent` (a dict {variable name: function}); ((), {}) for None."""
    if not hooks:
        return (), {}
    if not isinstance(hooks, dict) or not all(
            isinstance(k, str) and callable(v) for k, v in hooks.items()):
        raise BadArgumentError(f"{what}: the hooks must be a dict {{variable name: function}}, "
                               f"not {hooks!r}")
    return tuple(sorted(hooks)), {HOOKS: {name: _given_a_copy(fn) for name, fn in hooks.items()}}


def _given_a_copy(hook):
    """`hook`, called with a copy of the adjoint: the array it is given may be shared with other
    adjoints (an adjoint passed on unchanged is the same array), so a hook that changed it in
    place would change those too.  What the hook returns is the adjoint from then on."""
    def call(value):
        return hook(copy.deepcopy(value))
    call.__wrapped__ = hook
    return call


class Transform:
    """Shared call path: bind arguments, pick the specialised generated code, run it."""

    def __init__(self, fn, mode, wrt, has_aux=False, on_adjoint=None):
        self.fn = fn
        self.mode = mode
        # the variables whose adjoints go through a hook, and the keyword giving the hooks
        self.hooks, self.hook_arguments = hook_table(on_adjoint, f"ad.{mode}")
        self.params = parameters(fn)
        self.wrt, self.as_tuple = wrt_names(fn, wrt)
        self.has_aux = has_aux
        self.variadic = variadic_function(fn) is not None     # takes *xs or **kw
        self.wrt_index = [] if self.variadic else [self.params.index(w) for w in self.wrt]
        self.bound_self = bound_self(fn)
        self.plain = frontend.unwrap(fn) if getattr(fn, "__s2s_ad__", None) is None else None
        self.fast = {}    # (argument kinds, global kinds) -> generated function
        # fast_function(args): the last call's generated function when `args` have its
        # signature (see `remember`), else None; replaced by a compiled guard per signature.
        self.fast_function = no_fast_path
        self.global_names = None   # the module-level numbers and arrays fn reads
        # install(state), never, arity: the entry point's, where it has one (entry_point)
        self.install = self.never = self.arity = None
        derivative.TRANSFORMS.add(self)

    def forget(self):
        self.fast_function = no_fast_path
        if self.install is not None:
            self.install(self.never)
        self.fast.clear()

    def key(self, args, shape=None):
        """What the generated code for a call depends on: the kinds and shapes of its arguments,
        the kinds of the module-level values the function reads (kinds first), and what the
        call gives a `*xs` or `**kw` (`shape`)."""
        kinds = tuple(map(value_kind, args))
        shapes = tuple(a.shape if type(a) is np.ndarray else None for a in args)
        if self.global_names is None:
            self.global_names = value_global_names(self.plain) if self.plain is not None else ()
        closure = closure_key(self.plain) if self.plain is not None else ()
        if not self.global_names:
            return kinds, shapes, closure, shape
        scope = self.plain.__globals__
        return kinds, shapes, closure, shape, tuple(global_kind(scope[n]) if n in scope
                                                    else None for n in self.global_names)

    def remember(self, given, value):
        """Let `fast_function` answer `value` for calls with the signature of `given`, where
        that signature decides the key (no containers; module-level values read that are
        still the same objects, and not lists or dicts, whose kinds depend on their items)."""
        if any(type(a) in (tuple, list, dict) for a in given):
            return
        cells = closure_cells(self.plain)
        if cells is None:
            return
        scope, read = None, ()
        if self.global_names:
            scope = self.plain.__globals__
            read = tuple((n, scope.get(n, ABSENT)) for n in self.global_names)
            if any(type(v) in (list, dict) for _, v in read):
                return
        if self.bound_self is None:     # (the entry point passes a method's self)
            self.fast_function = guard(given, value, scope, read, cells)
        if self.install is not None and len(given) == self.arity:
            rest = guard((), True, scope, read, cells) if read or cells else None
            self.install(entry_state(given, value, rest))

    def layout(self, args, kwargs):
        """(parameter names, the arguments in their order, the positions of the wrt ones,
        call shape) for one call: see arguments.call_arguments."""
        if not self.variadic:
            if kwargs or len(args) < len(self.params):
                args = bind(self.fn, self.params, args, kwargs)
            return self.params, args, self.wrt_index, None
        params, args, shape = call_arguments(self.fn, self.params, args, kwargs)
        missing = [w for w in self.wrt if w not in params]
        if missing:
            raise BadArgumentError(f"wrt names {', '.join(missing)}, which this call of "
                                   f"{getattr(self.plain, '__name__', 'f')} does not give "
                                   f"(its parameters are {tuple(params)})")
        return params, args, [params.index(w) for w in self.wrt], shape

    def prepare(self, args, kwargs):
        """(generated function, arguments) for one call: the hot path of every transform."""
        given = args
        params, args, wrt_index, shape = self.layout(args, kwargs)
        args = list(args)
        converted = False
        for i in wrt_index:
            if i < len(args) and type(args[i]) is not float:
                value = args[i]
                args[i] = as_float(value)
                converted = converted or args[i] is not value
        key = self.key(args, shape)
        kinds = key[0]
        entry = self.fast.get(key)
        if entry is not None and entry[1] and not derivative.still_current(entry[1]):
            derivative.forget(self.plain)       # a function it calls was redefined: build again
            entry = None
        if entry is None:
            gen = derivative.compiled(self.fn, self.mode, self.wrt,
                                      dict(zip(params, kinds)), has_aux=self.has_aux,
                                      arg_shapes=shapes_of(params, args),
                                      hooks=self.hooks, shape=shape)
            entry = self.fast[key] = (gen.function, tuple(gen.dependencies))
        function = entry[0]
        if not (kwargs or converted or entry[1]):
            self.remember(given, function)
        if self.bound_self is not None:
            args.insert(0, self.bound_self)
        return function, args

    def unpack(self, grads):
        if self.as_tuple:
            return grads if isinstance(grads, tuple) and len(self.wrt) > 1 else (grads,)
        return grads

