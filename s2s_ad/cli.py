"""Command line: print the code s2s_ad generates for a function in a file.

    s2s-ad FILE.py:FUNCTION [--mode grad|vjp|jvp|hvp|ssa|jvp_batched|vjp_batched] [--wrt NAME ...]
                            [--example "ARGS"] [--no-optimize]
"""
import argparse
import importlib.util
import os
import sys

from s2s_ad.base.errors import DifferentiationError

MODES = ("grad", "vjp", "jvp", "hvp", "ssa", "jvp_batched", "vjp_batched")


def _load(path):
    if not os.path.isfile(path):
        raise SystemExit(f"s2s-ad: error: no such file: {path}")
    name = os.path.splitext(os.path.basename(path))[0]
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # the user's module failed to import: say so in one line
        raise SystemExit(f"s2s-ad: error: importing {path} failed: "
                         f"{type(exc).__name__}: {exc}") from None
    return module


def main(argv=None):
    parser = argparse.ArgumentParser(prog="s2s-ad", description="Print the derivative code "
                                     "s2s_ad generates for FUNCTION in FILE.")
    parser.add_argument("target", metavar="FILE.py:FUNCTION")
    parser.add_argument("--mode", choices=MODES, default="grad")
    parser.add_argument("--wrt", nargs="+", action="extend", metavar="NAME",
                        help="parameters to differentiate with respect to (default: the first); "
                             "--wrt w b, --wrt w,b and --wrt w --wrt b all mean w and b")
    parser.add_argument("--example", metavar="EXPR",
                        help="arguments to specialise the code for, as a Python expression "
                             "evaluated in FILE, e.g. --example '0.5, 1.0, 10'")
    parser.add_argument("--no-optimize", action="store_true",
                        help="print the code before the optimisation passes")
    args = parser.parse_args(argv)
    path, sep, func_name = args.target.rpartition(":")
    if not sep or not path or not func_name:
        parser.error("the target must look like FILE.py:FUNCTION")
    module = _load(path)
    fn = module
    for part in func_name.split("."):
        fn = getattr(fn, part, None)
        if fn is None:
            raise SystemExit(f"s2s-ad: error: {path} has no function {func_name!r}")
    from s2s_ad import sources
    wrt = 0
    names = [n for item in args.wrt or () for n in item.split(",") if n.strip()]
    if names:
        wrt = tuple(n.strip() for n in names) if len(names) > 1 else names[0].strip()
    example = None
    if args.example:
        try:
            example = eval(args.example, vars(module))  # the user's own expression
        except Exception as exc:    # the user's expression failed: say so in one line
            raise SystemExit(f"s2s-ad: error: --example {args.example!r} failed: {exc}") from None
        example = example if isinstance(example, tuple) else (example,)
    try:
        text = sources.source(fn, mode=args.mode, wrt=wrt, optimize=not args.no_optimize,
                          example=example)
    except DifferentiationError as exc:
        print(f"s2s-ad: error: {exc}", file=sys.stderr)
        return 1
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
