"""Command line: print the code s2s_ad generates for a function in a file.

    s2s-ad FILE.py:FUNCTION [--mode MODE] [--wrt NAME|INDEX ...] [--example "ARGS"]
                            [--no-optimize] [--standalone] [--adjoint] [--output FILE]

MODE is one of the table of modes (modes.py) or graph: ssa, grad, value_and_grad, vjp, jvp, hvp,
jvp_batched, vjp_batched, jacfwd, jacrev, hessian, graph.  FILE is imported with its standard
output sent to stderr, so what it prints never mixes with the code.

Stage: public layer.  Input: a file, a function in it, a mode and options.  Output: the code
(or graph) on stdout or in --output FILE.
"""
import argparse
import contextlib
import importlib.util
import inspect
import os
import sys

import numpy as np

from s2s_ad.base.errors import DifferentiationError
from s2s_ad.modes import MODES as TABLE, PRINTABLE

# the table's modes the CLI prints: their code, the code a Jacobian or Hessian calls, or
# the graph of the SSA form
MODES = PRINTABLE + tuple(name for name, mode in TABLE.items() if mode.per_vector) + ("graph",)


class _Refused(Exception):
    """A one-line error for the user."""


def _load(path):
    if not os.path.isfile(path):
        raise _Refused(f"no such file: {path}")
    name = os.path.splitext(os.path.basename(path))[0]
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)
    try:
        with contextlib.redirect_stdout(sys.stderr):   # its prints are not the code
            spec.loader.exec_module(module)
    except Exception as exc:  # the user's module failed to import: say so in one line
        raise _Refused(f"importing {path} failed: {type(exc).__name__}: {exc}") from None
    return module


def _parser():
    from s2s_ad import __version__
    parser = argparse.ArgumentParser(prog="s2s-ad", description="Print the derivative code "
                                     "s2s_ad generates for FUNCTION in FILE.")
    parser.add_argument("target", metavar="FILE.py:FUNCTION")
    parser.add_argument("--version", action="version", version=f"s2s-ad {__version__}")
    parser.add_argument("--mode", choices=MODES, default="grad")
    parser.add_argument("--wrt", nargs="+", action="extend", metavar="NAME",
                        help="parameters to differentiate with respect to, by name or index "
                             "(default: the first); --wrt w b, --wrt w,b, --wrt 0 1 and "
                             "--wrt w --wrt b all mean w and b")
    parser.add_argument("--example", metavar="EXPR",
                        help="arguments to specialise the code for, as a Python expression "
                             "evaluated in FILE, e.g. --example '0.5, 1.0, 10'")
    parser.add_argument("--no-optimize", action="store_true",
                        help="print the code before the optimisation passes")
    parser.add_argument("--standalone", action="store_true",
                        help="print a module that runs with NumPy alone (no s2s_ad)")
    parser.add_argument("--adjoint", action="store_true",
                        help="--mode graph: add the reverse sweep's adjoint edges")
    parser.add_argument("--output", metavar="FILE", help="write the code to FILE")
    return parser


def main(argv=None):
    parser = _parser()
    args = parser.parse_args(argv)
    path, sep, func_name = args.target.rpartition(":")
    if not sep or not path or not func_name:
        parser.error("the target must look like FILE.py:FUNCTION")
    if args.adjoint and args.mode != "graph":
        parser.error("--adjoint goes with --mode graph")
    try:
        text = _generate(args, path, func_name)
    except _Refused as exc:
        print(f"s2s-ad: error: {exc}", file=sys.stderr)
        return 1
    except DifferentiationError as exc:
        print(f"s2s-ad: error: {exc}", file=sys.stderr)
        return 1
    if args.output:
        with open(args.output, "w") as out:
            out.write(text)
        return 0
    return _write(text)


def _write(text):
    """Write to stdout; a reader that stops early (`| head`) ends it quietly."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        # Python flushes stdout again at exit: point it at devnull so that fails quietly too
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    return 0


def _generate(args, path, func_name):
    module = _load(path)
    fn = module
    for part in func_name.split("."):
        fn = getattr(fn, part, None)
        if fn is None:
            raise _Refused(f"{path} has no function {func_name!r}")
    names = [n.strip() for item in args.wrt or () for n in item.split(",") if n.strip()]
    names = [int(n) if n.lstrip("-").isdigit() else n for n in names]
    wrt = (tuple(names) if len(names) > 1 else names[0]) if names else 0
    example = _example(args.example, module, fn) if args.example else None
    if args.mode == "graph":
        from s2s_ad.graph import graph
        return str(graph(fn, wrt, adjoint=args.adjoint, example=example))
    from s2s_ad import sources
    if args.mode in ("grad", "value_and_grad") and example is not None:
        _refuse_array_output(fn, example, args.mode)
    options = dict(optimize=not args.no_optimize, example=example, standalone=args.standalone)
    mode = TABLE[args.mode]
    if mode.printable:
        return sources.source(fn, args.mode, wrt, **options)
    once, per_vector = mode.calls
    if mode.batched is not None and example is not None:
        try:
            return f"# {once}\n" + sources.source(fn, mode.batched, wrt, **options)
        except DifferentiationError:    # not batchable: the transform calls the plain code
            pass
    return f"# {per_vector}\n" + sources.source(fn, mode.per_vector, wrt, **options)


def _example(expression, module, fn):
    """The arguments --example gives, checked against fn's parameters."""
    try:
        with contextlib.redirect_stdout(sys.stderr):
            value = eval(expression, vars(module))  # the user's own expression
    except Exception as exc:    # the user's expression failed: say so in one line
        raise _Refused(f"--example {expression!r} failed: {exc}") from None
    value = value if isinstance(value, tuple) else (value,)
    try:
        inspect.signature(fn).bind(*value)
    except TypeError as exc:
        params = ", ".join(inspect.signature(fn).parameters)
        raise _Refused(f"--example gives {len(value)} argument(s) for "
                       f"{getattr(fn, '__name__', 'FUNCTION')}({params}): {exc}") from None
    except ValueError:          # no signature to check against
        pass
    return value


def _refuse_array_output(fn, example, mode):
    """grad needs a scalar output: say so here, with the modes that take an array output."""
    from s2s_ad.runtime.arguments import copied
    with contextlib.redirect_stdout(sys.stderr):
        out = fn(*copied(example))
    if isinstance(out, (tuple, list, dict)) or np.ndim(out) != 0:
        shape = f"shape {np.shape(out)}" if not isinstance(out, (tuple, list, dict)) \
            else f"a {type(out).__name__}"
        raise _Refused(f"--mode {mode} needs a function with a scalar output, and "
                       f"{getattr(fn, '__name__', 'FUNCTION')} returns {shape} for --example: "
                       f"use --mode vjp (a vector-Jacobian product) or --mode jacrev (the "
                       f"whole Jacobian), or reduce the output (np.sum) first")


if __name__ == "__main__":
    sys.exit(main())
