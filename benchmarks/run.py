"""Run the benchmark suite and print one table.

    python -m benchmarks.run [--quick] [--only NAME[,NAME]] [--systems SYS[,SYS]] [--markdown FILE]

See benchmarks/README.md for what the columns mean.  After the table: how the time to
transform a function grows with its size (benchmarks/transform_time.py); `--only
transform-time` runs that alone.
"""
import argparse
import contextlib
import os
import signal
import sys
import time

import numpy as np

from benchmarks import report, transform_time
from benchmarks.machine import machine_lines
from benchmarks.peers import SYSTEMS
from benchmarks.suite import CASES, hand_call, inputs_for
from benchmarks.timing import measure

# samples per system, seconds per sample, max seconds of samples for one system and workload
SETTINGS = {"full": dict(samples=7, target=0.02, budget=3.0),
            "quick": dict(samples=3, target=0.005, budget=0.3)}
SETUP_TIMEOUT = 120.0  # seconds for one system to build, compile and return its first result


def to_arrays(result):
    """A derivative of any system as a flat list of float64 NumPy arrays."""
    if isinstance(result, (tuple, list)):
        return [a for r in result for a in to_arrays(r)]
    if hasattr(result, "detach"):  # torch
        result = result.detach().numpy()
    return [np.asarray(result, dtype=np.float64)]


def matches(result, reference):
    try:
        got = to_arrays(result)
    except (TypeError, ValueError):
        return False
    scale = max(1.0, max(float(np.max(np.abs(r))) for r in reference))
    return len(got) == len(reference) and all(
        g.shape == r.shape and np.allclose(g, r, rtol=1e-6, atol=1e-9 * scale)
        for g, r in zip(got, reference))


class Timeout(Exception):
    pass


@contextlib.contextmanager
def time_limit(seconds):
    """Raise Timeout in the main thread after `seconds` (checked between Python bytecodes)."""
    def on_alarm(signum, frame):
        raise Timeout(f"no result after {seconds:.0f}s")
    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def exit_without_shutdown(status):
    """End the process with `status` once the report is out, without the interpreter's
    shutdown.  A peer stopped by time_limit (the alarm raised inside JAX's tracing or
    compilation) can leave its runtime in a state that crashes at shutdown: seen as a
    segmentation fault after the loop kernels' complete report, exit status 139, which made
    `make bench` fail.  Nothing is left to do at that point but flush the output."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def _why(exc):
    text = f"{type(exc).__name__}: {exc}".strip().splitlines()[0]
    return text if len(text) <= 160 else text[:157] + "..."


def build_and_check(case, inputs, systems, row):
    """Build each system's callable, call it once and check it; {system: callable} for timing."""
    reference = to_arrays(hand_call(case, inputs)())
    fns = {}
    for name in systems:
        try:
            with time_limit(SETUP_TIMEOUT):
                built = SYSTEMS[name](case, inputs)
                result = built.call()
        except Exception as exc:
            row.times[name], row.errors[name] = "n/a", _why(exc)
            continue
        row.info[name] = built.info
        if name != "primal" and not matches(result, reference):
            row.times[name], row.errors[name] = "WRONG", "differs from the hand-written result"
            continue
        fns[name] = built.call
    return fns


def run_case(case, systems, settings, quick):
    row = report.Row(case.name)
    if quick:
        for name in set(systems) & set(case.quick_skip):
            row.times[name], row.errors[name] = "skip", "skipped by --quick (slow to set up)"
        systems = [s for s in systems if s not in row.times]
    fns = build_and_check(case, inputs_for(case), systems, row)
    medians, failed = measure(fns, **settings)
    row.times.update(medians)
    for name, exc in failed.items():
        row.times[name], row.errors[name] = "n/a", "while timing: " + _why(exc)
    return row


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer, shorter samples (under a minute)")
    p.add_argument("--only", action="append", default=[], metavar="NAME",
                   help="run only these workloads (repeatable or comma-separated)")
    p.add_argument("--systems", default=",".join(SYSTEMS),
                   help=f"comma-separated subset of {','.join(SYSTEMS)}")
    p.add_argument("--markdown", metavar="FILE", help="also write the table as Markdown to FILE")
    return p.parse_args(argv)


CURVE = "transform-time"     # the name --only knows the transform-time curve by


def select_cases(only):
    """(the workloads to run, whether to measure the transform-time curve)."""
    names = [n for item in only for n in item.split(",") if n]
    unknown = set(names) - {c.name for c in CASES} - {CURVE}
    if unknown:
        sys.exit(f"unknown workload(s) {sorted(unknown)}; known: "
                 f"{[c.name for c in CASES] + [CURVE]}")
    cases = [c for c in CASES if not names or c.name in names]
    return cases, not names or CURVE in names


def transform_time_lines(quick):
    """The transform-time curve as report lines (fewer sizes and one run each with --quick)."""
    sizes = transform_time.QUICK_SIZES if quick else transform_time.SIZES
    times = transform_time.curve(sizes, repeats=1 if quick else 3,
                                 progress=lambda text: print(text, file=sys.stderr, flush=True))
    return [transform_time.TITLE, ""] + transform_time.report_lines(sizes, times)


def main(argv=None):
    args = parse_args(argv)
    cases, with_curve = select_cases(args.only)
    systems = [s for s in args.systems.split(",") if s]
    for s in set(systems) - set(SYSTEMS):
        sys.exit(f"unknown system {s!r}; known: {list(SYSTEMS)}")
    settings = SETTINGS["quick" if args.quick else "full"]
    header = machine_lines()
    print("\n".join(header), flush=True)
    start = time.perf_counter()
    rows = []
    for i, case in enumerate(cases, 1):
        print(f"[{i}/{len(cases)}] {case.name}: {case.note}", file=sys.stderr, flush=True)
        rows.append(run_case(case, systems, settings, args.quick))
    curve = transform_time_lines(args.quick) if with_curve else []
    elapsed = time.perf_counter() - start
    footer = ([report.LEGEND] if rows else []) + report.notes(rows) + [f"total {elapsed:.0f}s"]
    print()
    if rows:
        print(report.text_table(rows))
    print("\n".join(footer))
    if curve:
        print()
        print("\n".join(curve))
    if args.markdown:
        with open(args.markdown, "w") as fh:
            parts = ["  \n".join(header)] + ([report.markdown_table(rows)] if rows else []) + \
                ["  \n".join(footer)] + (["\n".join(curve)] if curve else [])
            fh.write("\n\n".join(parts) + "\n")
    return 0


if __name__ == "__main__":
    exit_without_shutdown(main())
