"""The kernels section of `make bench`: gradients of loop kernels against their primal.

    python -m benchmarks.loop_kernels [--quick] [--only NAME[,NAME]] [--markdown FILE]

The kernels are the transform matrix's (tests/kernels.py: PolyBench-style loops with in-place
updates, and a trace loop), on the same input domains, each at the two sizes SIZES gives.  For
each: the primal's time, the s2s_ad gradient's time and their ratio; the most bytes the tape
kept alive at once against the bytes of the primal's arguments; and the gradient's time over
the primal's for autograd and jax.jit(jax.grad) where they are installed.  Kernels are listed
worst first (by the ratio at the larger size).  See benchmarks/README.md, "Loop kernels".
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

import s2s_ad as ad
from benchmarks import report
from benchmarks.machine import machine_lines
from benchmarks.peers import _s2s_tape, build_autograd, build_jax_jit
from benchmarks.run import _why, exit_without_shutdown, matches, time_limit, to_arrays
from benchmarks.suite import Case, Inputs
from benchmarks.timing import measure

TESTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests")
if TESTS not in sys.path:
    sys.path.insert(0, TESTS)      # the kernels are written once, in the correctness corpus
from kernels import SIZED  # noqa: E402

# kernel -> (smaller n, larger n): the primal at the larger size takes a few milliseconds
SIZES = {
    "gemver": (20, 60), "mvt": (30, 100), "symm": (12, 30), "trmm": (12, 30),
    "syrk": (12, 30), "cholesky": (15, 40), "lu": (15, 40), "ludcmp": (15, 40),
    "durbin": (30, 120), "gramschmidt": (12, 30), "trisolv": (40, 150),
    "covariance": (12, 30), "correlation": (12, 30), "adi": (15, 50), "seidel_2d": (15, 50),
    "jacobi_2d": (15, 50), "heat_3d": (6, 14), "deriche": (15, 50), "floyd_warshall": (10, 25),
    "go_fast": (100, 400),
}
PEERS = {"autograd": build_autograd, "jax-jit": build_jax_jit}
SETTINGS = {"full": dict(samples=5, target=0.02, budget=1.0),
            "quick": dict(samples=3, target=0.005, budget=0.3)}
SETUP_TIMEOUT = 60.0   # seconds for a peer to build (jit: trace and compile) and run once
TOO_SLOW = 3.0         # the cheap-gradient bound a kernel's ratio is compared with


def input_bytes(args):
    """The memory of the primal's arguments: each array's bytes, 8 per number."""
    return sum(a.nbytes if isinstance(a, np.ndarray) else 8 for a in args)


def fresh(args):
    return tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)


def writes_into_arguments(fn, args):
    """Does `fn` change an argument (mvt, covariance, correlation do)?  Such a kernel is timed
    on fresh copies of its arguments, in every column alike."""
    copies = fresh(args)
    fn(*copies)
    return any(isinstance(a, np.ndarray) and not np.array_equal(a, c, equal_nan=True)
               for a, c in zip(args, copies))


def bound(fn, args, copy):
    return (lambda: fn(*fresh(args))) if copy else (lambda: fn(*args))


def build_peers(case, args, reference, row):
    """{peer: call} for the peers that are installed and handle this kernel; each checked
    against s2s_ad's gradient.  The rest are n/a with the reason in `row.errors`.  A peer gets
    its own copy of the arguments once, in its own array type (neither autograd nor JAX
    writes into arrays: both refuse item assignment)."""
    fns = {}
    for name, build in PEERS.items():
        try:
            with time_limit(SETUP_TIMEOUT):
                built = build(case, Inputs(fresh(args)))
                result = built.call()
        except Exception as exc:
            row.times[name], row.errors[name] = "n/a", _why(exc)
            continue
        if not matches(result, reference):
            row.times[name], row.errors[name] = "WRONG", "differs from s2s_ad's gradient"
            continue
        fns[name] = built.call
    return fns


def run_kernel(kernel, n, settings, peers=True, which=0):
    """One row: the kernel at size n (`which` of its two sizes, 0 the smaller)."""
    args = kernel.inputs(n)(np.random.default_rng(0))
    row = report.Row(kernel.name)
    copy = writes_into_arguments(kernel.fn, args)
    row.info["kernel"] = dict(n=n, which=which, input_bytes=input_bytes(args), copies=copy)
    case = Case(kernel.name, kernel.fn, None, "grad", kernel.wrt, None)
    fns = {"primal": bound(kernel.fn, args, copy)}
    try:
        grad = ad.grad(kernel.fn, wrt=kernel.wrt)
        reference = to_arrays(grad(*fresh(args)))      # also the warm-up (transform, compile)
        row.info["s2s_ad"] = {"tape": _s2s_tape(ad, case, Inputs(fresh(args)))}
    except Exception as exc:       # the rest of the section still runs; the reason is listed
        row.times["s2s_ad"], row.errors["s2s_ad"] = "n/a", _why(exc)
        return row
    fns["s2s_ad"] = bound(grad, args, copy)
    if peers:
        fns.update(build_peers(case, args, reference, row))
    medians, failed = measure(fns, **settings)
    row.times.update(medians)
    for name, exc in failed.items():
        row.times[name], row.errors[name] = "n/a", "while timing: " + _why(exc)
    return row


# ---------------------------------------------------------------- the report

def ratio(row, system):
    t, p = row.times.get(system), row.times.get("primal")
    return t / p if isinstance(t, float) and isinstance(p, float) and p > 0 else None


def worst_first(rows):
    """Rows grouped by kernel (smaller size first), kernels by their largest size's ratio."""
    by_kernel = {}
    for row in rows:
        by_kernel.setdefault(row.name, []).append(row)
    key = lambda group: -(ratio(group[-1], "s2s_ad") or 0.0)
    return [r for group in sorted(by_kernel.values(), key=key) for r in group]


HEADER = ["kernel", "n", "primal", "s2s grad", "grad/primal", "tape (bytes)", "tape/inputs",
          "autograd/primal", "jax-jit/primal"]


def _cell_ratio(row, system):
    r = ratio(row, system)
    return "x" + report._num(r) if r is not None else report.fmt_time(row.times.get(system))


def cells(row):
    k = row.info["kernel"]
    tape = row.info.get("s2s_ad", {}).get("tape")
    share = f"{tape[1] / k['input_bytes']:.2f}" if tape else "-"
    return [row.name + (" *" if k["copies"] else ""), str(k["n"]),
            report.fmt_time(row.times.get("primal")), report.fmt_time(row.times.get("s2s_ad")),
            _cell_ratio(row, "s2s_ad"), report._tape(row.info.get("s2s_ad", {}), True), share] + \
        [_cell_ratio(row, peer) for peer in PEERS]


def table(rows, markdown=False):
    body = [cells(r) for r in rows]
    if markdown:
        return "\n".join(["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)] +
                         ["| " + " | ".join(c) + " |" for c in body])
    widths = [max(len(r[i]) for r in [HEADER] + body) for i in range(len(HEADER))]
    fmt = lambda r: "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                              for i, (c, w) in enumerate(zip(r, widths)))
    return "\n".join([fmt(HEADER), "-" * len(fmt(HEADER))] + [fmt(r) for r in body])


def summary(rows):
    """Per size: each system's median ratio over the kernels it ran, how many exceed 3x."""
    lines = []
    for i, which in enumerate(("smaller", "larger")):
        parts = []
        for system in ("s2s_ad",) + tuple(PEERS):
            ratios = [x for x in (ratio(r, system) for r in rows
                                  if r.info["kernel"]["which"] == i) if x is not None]
            if ratios:
                over = sum(x > TOO_SLOW for x in ratios)
                parts.append(f"{system} x{report._num(statistics.median(ratios))} "
                             f"({len(ratios)} kernels, {over} above x{TOO_SLOW:.0f}, "
                             f"worst x{report._num(max(ratios))})")
        if parts:
            lines.append(f"median grad/primal at the {which} size: " + "; ".join(parts))
    return lines


LEGEND = ("times are medians per call; grad/primal = s2s_ad gradient / primal; tape = most "
          "entries (bytes) the tape held at once during one gradient call, measured on an "
          "instrumented copy of the tape (benchmarks/tape.py); tape/inputs = those bytes / the "
          "bytes of the primal's arguments; a peer's column is its gradient / the same primal; "
          "* = writes into its arguments: every call gets fresh copies (in every column)")


def select(only):
    names = [n for item in only for n in item.split(",") if n]
    known = {k.name for k in SIZED}
    missing = known - set(SIZES)
    if missing:
        sys.exit(f"no benchmark sizes for kernel(s) {sorted(missing)}: add them to SIZES")
    if set(names) - known:
        sys.exit(f"unknown kernel(s) {sorted(set(names) - known)}; known: {sorted(known)}")
    return [k for k in SIZED if not names or k.name in names]


def run(kernels, settings, sizes=None, peers=True, progress=None):
    """The rows of `kernels` at their SIZES (or the same `sizes` pair for all), worst first."""
    rows = []
    for i, kernel in enumerate(kernels, 1):
        for which, n in enumerate(sizes or SIZES[kernel.name]):
            if progress:
                progress(f"[{i}/{len(kernels)}] {kernel.name} n={n}")
            rows.append(run_kernel(kernel, n, settings, peers, which))
    return worst_first(rows)


def report_lines(rows, markdown=False):
    return [table(rows, markdown), "", LEGEND] + summary(rows) + report.notes(rows)


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python -m benchmarks.loop_kernels",
                                description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer, shorter samples")
    p.add_argument("--only", action="append", default=[], metavar="NAME",
                   help="run only these kernels (repeatable or comma-separated)")
    p.add_argument("--sizes", metavar="SMALL,LARGE",
                   help="the same two sizes for every kernel, in place of SIZES")
    p.add_argument("--no-peers", action="store_true", help="leave out autograd and jax-jit")
    p.add_argument("--markdown", metavar="FILE", help="also write the report as Markdown to FILE")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    kernels = select(args.only)
    sizes = tuple(int(s) for s in args.sizes.split(",")) if args.sizes else None
    header = machine_lines()
    print("\n".join(header), flush=True)
    start = time.perf_counter()
    rows = run(kernels, SETTINGS["quick" if args.quick else "full"], sizes, not args.no_peers,
               progress=lambda text: print(text, file=sys.stderr, flush=True))
    lines = report_lines(rows) + [f"total {time.perf_counter() - start:.0f}s"]
    print("\nLoop kernels: gradient / primal, worst first\n")
    print("\n".join(lines))
    if args.markdown:
        with open(args.markdown, "w") as fh:
            fh.write("  \n".join(header) + "\n\n" +
                     "\n".join(report_lines(rows, markdown=True)[:2]) + "\n" +
                     "  \n".join(lines[2:]) + "\n")
    return 0


if __name__ == "__main__":
    exit_without_shutdown(main())
