"""A fuzzing campaign: N random programs from one seed, checked over J processes (issue 17,
part 4).  `make fuzz` runs it on 10,000 programs over 2 processes.

    python tests/fuzz_campaign.py [-n 10000] [--seed 0] [--start 0] [-j 2] [--timeout 120]
                                  [--report fuzz-report.jsonl] [--minimise 3] [--only K ...]

Program k of seed S is drawn from fuzz_programs.programs() and inputs() (with the seed for
fuzz_programs.check) by hypothesis's own random generator seeded with "S:k", so it depends only
on S and k: not on J, on the order the workers finish in, or on the other programs (so
`--start 1000 -n 1000` continues a run of `-n 1000`).  (The
hypothesis test in tests/test_fuzz.py stops at its first failure and its generator is adaptive
and single-process; here every program is checked independently.)

Each program is checked by fuzz_programs.check and counted as passed, rejected (not a fair
sample: fuzz_programs.Reject) or failed (FuzzFailure, any other exception, or longer than
--timeout seconds).  Every failure is written, as soon as it is seen, as one JSON line of the
report: index, seed, program text, point (x, y, a, check seed), signature and error; `--only K`
runs program K again and prints it.  At the end the summary gives the counts, the failures by
signature, and how often each property passed; with --minimise M the first M failures of each
signature are shrunk with fuzz_programs.minimise and appended to the report.  The exit status
is 1 if any program failed.
"""
import argparse
import collections
import contextlib
import functools
import json
import multiprocessing
import os
import random
import signal
import sys
import time

from hypothesis import strategies as st
from hypothesis.control import BuildContext
from hypothesis.internal.conjecture.data import ConjectureData

import fuzz_programs as fp


class Timeout(BaseException):
    """Raised by the alarm.  A BaseException, so that fp.check's and the compiler's
    `except Exception` do not take it for a crash of the program under test."""


def draw(seed, index):
    """Program `index` of campaign `seed`: (text, x, y, a as a list, check seed).

    Uses hypothesis internals (ConjectureData, BuildContext; hypothesis is pinned in
    pyproject.toml): a strategy has no public way to draw one example from a given seed, and
    @given's search is adaptive (it draws the same programs many times over, see test_fuzz.py).
    """
    data = ConjectureData(random=random.Random(f"{seed}:{index}"))
    with BuildContext(data, wrapped_test=None):
        program = data.draw(fp.programs())
        x, y, a = data.draw(fp.inputs(program.n))
        check_seed = data.draw(st.integers(0, 2 ** 16))
    return program.text, x, y, [float(v) for v in a], check_seed


def _on_alarm(signum, frame):
    raise Timeout()


@functools.lru_cache(maxsize=None)
def _install_alarm():
    signal.signal(signal.SIGALRM, _on_alarm)


def _limited(seconds, thunk):
    """thunk(), or Timeout after `seconds` (of wall time, checked between bytecodes)."""
    _install_alarm()
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return thunk()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def run_one(index, seed, timeout):
    """Check program `index` of campaign `seed`; a dict describing the outcome."""
    start = time.monotonic()
    outcome = {"index": index, "seed": seed}
    counts = {}
    try:
        text, x, y, a, check_seed = draw(seed, index)
    except Exception as exc:  # noqa: BLE001 - a generator bug fails this program, not the run
        return dict(outcome, status="failed", signature=f"generator:{type(exc).__name__}",
                    error=f"{type(exc).__name__}: {exc}", seconds=0.0, counts={})
    outcome.update(text=text, x=x, y=y, a=a, check_seed=check_seed)
    try:
        _limited(timeout, lambda: fp.check(text, x, y, a, check_seed, counts=counts))
        outcome.update(status="passed")
    except fp.Reject as exc:
        outcome.update(status="rejected", reason=str(exc))
    except fp.FuzzFailure as exc:
        outcome.update(status="failed", signature=exc.signature, error=str(exc))
    except Timeout:
        outcome.update(status="failed", signature="timeout",
                       error=f"not finished in {timeout:g} s")
    except Exception as exc:  # noqa: BLE001 - the checker itself raised: report it
        outcome.update(status="failed", signature=f"checker:{type(exc).__name__}",
                       error=f"{type(exc).__name__}: {exc}")
    outcome.update(seconds=round(time.monotonic() - start, 3), counts=counts)
    return outcome


def minimise_one(failure, timeout):
    """The failure with `minimised`: its program shrunk, keeping its signature."""
    def shrink():
        return fp.minimise(failure["text"], failure["x"], failure["y"], failure["a"],
                           failure["check_seed"], signature=failure["signature"])
    try:
        small = _limited(timeout, shrink)
    except Timeout:
        small = None
    return dict(failure, minimised=small)


class Summary:
    """Counts of a campaign, filled one outcome at a time."""

    def __init__(self):
        self.status = collections.Counter()
        self.signatures = collections.Counter()
        self.first = {}                 # signature -> index of its first failure
        self.props = collections.Counter()
        self.slowest = (0.0, None)

    def add(self, outcome):
        self.status[outcome["status"]] += 1
        self.props.update(outcome["counts"])
        self.slowest = max(self.slowest, (outcome["seconds"], outcome["index"]))
        if outcome["status"] == "failed":
            sig = outcome["signature"]
            self.signatures[sig] += 1
            self.first.setdefault(sig, outcome["index"])

    def progress(self, elapsed):
        done = sum(self.status.values())
        return (f"{done} programs, {self.status['passed']} passed, "
                f"{self.status['rejected']} rejected, {self.status['failed']} failed "
                f"({elapsed:.0f} s)")

    def report(self, args, elapsed):
        done = sum(self.status.values())
        lines = [f"fuzz campaign, seed {args.seed}, programs {args.start}..."
                 f"{args.start + done - 1}: {done} generated, "
                 f"{self.status['passed']} passed, {self.status['rejected']} rejected "
                 f"(unfair sample), {self.status['failed']} failed",
                 f"{elapsed:.0f} s over {args.jobs} processes ({elapsed / max(done, 1):.2f} s "
                 f"a program); slowest: program {self.slowest[1]}, {self.slowest[0]:.1f} s"]
        if self.signatures:
            lines.append("failures by signature (count, first program):")
            lines += [f"  {n:5d}  {sig}  (program {self.first[sig]})"
                      for sig, n in self.signatures.most_common()]
        lines.append("properties checked and passed:")
        lines += [f"  {n:5d}  {prop}" for prop, n in sorted(self.props.items())]
        lines.append(f"failures written to {args.report}")
        return "\n".join(lines)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _worker_init():
    # Ctrl-C and `kill` are the parent's to handle: it terminates the pool (with SIGTERM).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@contextlib.contextmanager
def _mapper(jobs):
    """An ordered, lazy map over `jobs` worker processes, or in this process for one job."""
    if jobs <= 1:
        yield map
        return
    # A fresh worker every 200 programs: the compiler's caches grow with every function it sees.
    with multiprocessing.Pool(jobs, _worker_init, maxtasksperchild=200) as pool:
        try:
            yield functools.partial(pool.imap, chunksize=4)
        except KeyboardInterrupt:
            pool.terminate()
            raise


def campaign(args):
    # Stopped by Ctrl-C or `kill` (even when started in the background, where SIGINT is
    # ignored), the campaign still prints the counts of the programs finished.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    summary = Summary()
    failures = []
    start = time.monotonic()
    every = max(1, min(500, args.programs // 20))
    work = functools.partial(run_one, seed=args.seed, timeout=args.timeout)
    with open(args.report, "w") as report:
        try:
            with _mapper(args.jobs) as imap:
                for outcome in imap(work, range(args.start, args.start + args.programs)):
                    summary.add(outcome)
                    if outcome["status"] == "failed":
                        failures.append(outcome)
                        report.write(json.dumps(outcome) + "\n")
                        report.flush()
                    if sum(summary.status.values()) % every == 0:
                        print(summary.progress(time.monotonic() - start), file=sys.stderr,
                              flush=True)
                if args.minimise and failures:
                    _minimise(imap, failures, args, report)
        except KeyboardInterrupt:
            print("interrupted: the counts below are of the programs finished", file=sys.stderr)
    print(summary.report(args, time.monotonic() - start))
    return 1 if summary.status["failed"] else 0


def _minimise(imap, failures, args, report):
    chosen = _first_of_each(failures, args.minimise)
    print(f"minimising {len(chosen)} failures", file=sys.stderr, flush=True)
    shrink = functools.partial(minimise_one, timeout=20 * args.timeout)
    for small in imap(shrink, chosen):
        report.write(json.dumps(dict(small, record="minimised")) + "\n")
        report.flush()
        print(f"\n== program {small['index']}: {small['signature']}\n"
              f"{small['error']}\n{small['minimised'] or '(did not finish)'}")


def _first_of_each(failures, m):
    taken = collections.Counter()
    chosen = []
    for failure in failures:
        if failure["signature"] != "timeout" and taken[failure["signature"]] < m:
            taken[failure["signature"]] += 1
            chosen.append(failure)
    return chosen


def rerun(args):
    """Run the programs --only names, in this process, printing each."""
    status = 0
    for index in args.only:
        outcome = run_one(index, args.seed, args.timeout)
        print(f"== program {index} of seed {args.seed}: {outcome['status']}")
        if "text" in outcome:
            print(outcome["text"])
            print(f"fuzz_programs.check(text, {outcome['x']!r}, {outcome['y']!r}, "
                  f"np.array({outcome['a']!r}), {outcome['check_seed']})")
        if outcome["status"] == "failed":
            print(outcome["error"])
            status = 1
    return status


def main(argv=None):
    env = os.environ
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--programs", type=int,
                        default=int(env.get("FUZZ_PROGRAMS", "10000")))
    parser.add_argument("--seed", type=int, default=int(env.get("FUZZ_SEED", "0")))
    parser.add_argument("--start", type=int, default=0, help="index of the first program")
    parser.add_argument("-j", "--jobs", type=int, default=int(env.get("FUZZ_JOBS", "2")))
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds one program may take (default 120)")
    parser.add_argument("--report", default="fuzz-report.jsonl")
    parser.add_argument("--minimise", type=int, default=0, metavar="M",
                        help="shrink the first M failures of each signature")
    parser.add_argument("--only", type=int, nargs="+", metavar="K",
                        help="run these programs of the seed, one by one, and print them")
    args = parser.parse_args(argv)
    return rerun(args) if args.only else campaign(args)


if __name__ == "__main__":
    sys.exit(main())
