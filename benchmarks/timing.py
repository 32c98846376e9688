"""Interleaved timing with time.perf_counter.

A *sample* is `inner` back-to-back calls, with `inner` calibrated so a sample takes about
`target` seconds (at least one call).  Samples are taken round-robin over the systems (one
sample of each system, then the next round, with the starting system rotated each round), so
slow drifts of the machine affect every system alike.  The reported time per call is the
median over samples.  The garbage collector is off during a sample.  A system whose single
call is slow gets fewer samples (`budget`).
"""
import gc
import statistics
import time


def time_calls(fn, n):
    """Seconds per call, over n back-to-back calls (garbage collector off, as in timeit)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        return (time.perf_counter() - t0) / n
    finally:
        if was_enabled:
            gc.enable()


def calibrate(fn, target):
    """(calls per sample, seconds per call) so that a sample takes about `target` seconds."""
    n = 1
    while True:
        per_call = time_calls(fn, n)
        if per_call * n >= target / 4 or n >= 10 ** 7:
            return max(1, round(target / per_call)), per_call
        n *= 4


def measure(fns, samples, target, budget):
    """({name: median seconds per call}, {name: exception}) for the callables in `fns`.

    Each callable must already have been called once (warm-up).  `budget` caps the seconds
    spent on one system's samples, so a very slow system gets fewer samples (at least one).
    A system that raises is dropped and its exception returned.
    """
    names = list(fns)
    inner, wanted, failed = {}, {}, {}
    for name in names:
        try:
            inner[name], per_call = calibrate(fns[name], target)
        except Exception as exc:
            failed[name] = exc
            continue
        wanted[name] = max(1, min(samples, int(budget / (per_call * inner[name]))))
    names = [n for n in names if n not in failed]
    times = {name: [] for name in names}
    for rnd in range(samples):
        shift = rnd % max(1, len(names))
        for name in names[shift:] + names[:shift]:
            if name in failed or len(times[name]) >= wanted[name]:
                continue
            try:
                times[name].append(time_calls(fns[name], inner[name]))
            except Exception as exc:
                failed[name] = exc
    medians = {name: statistics.median(ts) for name, ts in times.items() if name not in failed}
    return medians, failed
