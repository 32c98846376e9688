"""How the time to transform a function grows with its size.

    python -m benchmarks.transform_time [--sizes 100,200,...] [--modes grad,jvp,hvp]

`straight_line(n)` writes a function of n straight-line statements that reads like user code:
elementwise NumPy calls and arithmetic on two arrays and a scalar, each statement reusing the
previous value and one or two earlier ones, and a reduction at the end.  The transform time is
that of `ad.source(f, mode)` (parse, SSA, differentiate, optimise, print; nothing cached), the
best of a few runs.  The slope is that of log(time) against log(n) between the first and the
last size: 1 is linear, 2 quadratic.
"""
import argparse
import hashlib
import math
import os
import random
import tempfile
import time

import numpy as np

import s2s_ad as ad

SIZES = (100, 200, 400, 800, 1500, 3000)
QUICK_SIZES = (100, 400, 1500)
TITLE = "Transform time (CPU seconds of ad.source in its thread, best of 3 runs up to 800 statements, else 1)"
MODES = ("grad", "jvp", "hvp")
LIMIT_AT = 1500          # the size with a target: under LIMIT_SECONDS for grad
LIMIT_SECONDS = 1.0

# elementwise calls whose results stay in a modest range whatever their argument
_SQUASH = ("np.sin({a})", "np.cos({a})", "np.tanh({a})", "np.arctan({a})", "np.exp(-{a} * {a})",
           "{a} / (1.0 + {a} * {a})", "np.log(1.0 + {a} * {a})")
_COMBINE = ("{a} * {b}", "{a} + {b}", "{a} - {b}", "0.5 * {a} + {b}", "{a} * s")


def straight_line_text(n, seed=0):
    """The source of `def f(x, y, s)` with n statements (the return statement included).

    About a third of the statements squash a value (sin, tanh, exp(-a * a), ...), so that the
    values stay finite however long the function is; the rest combine the previous value with
    one from the last 40 statements, or with any earlier one."""
    rng = random.Random(seed)
    names = ["x", "y"]
    lines = ["import numpy as np", "", "", "def f(x, y, s):"]
    for k in range(n - 1):
        recent = names[-1]
        earlier = rng.choice(names[max(0, len(names) - 40):-1])
        pick = rng.random()
        if pick < 0.35:
            expr = rng.choice(_SQUASH).format(a=recent)
        elif pick < 0.45:
            expr = rng.choice(_SQUASH).format(a=f"({recent} - {earlier})")
        elif pick < 0.9:
            expr = rng.choice(_COMBINE).format(a=recent, b=earlier)
        else:
            expr = f"np.tanh({recent} * {rng.choice(names)})"
        name = f"v{k}"
        lines.append(f"    {name} = {expr}")
        names.append(name)
    tail = " + ".join(names[-3:])
    lines.append(f"    return np.sum(({tail}) * x) + s * np.sum({names[-1]})")
    return "\n".join(lines) + "\n"


_DIR = tempfile.mkdtemp(prefix="s2s_ad_transform_time_")


def straight_line(n, seed=0):
    """`f` of straight_line_text(n), loaded from a real file (s2s_ad reads its source)."""
    text = straight_line_text(n, seed)
    path = os.path.join(_DIR, f"straight_{n}_{hashlib.sha1(text.encode()).hexdigest()[:10]}.py")
    with open(path, "w") as fh:
        fh.write(text)
    namespace = {"__name__": os.path.basename(path)[:-3], "__file__": path}
    exec(compile(text, path, "exec"), namespace)
    return namespace["f"]


def inputs(seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1.0, 1.0, 5), rng.uniform(-1.0, 1.0, 5), 0.7


def transform_seconds(fn, mode, repeats):
    """Best of `repeats` runs of generating `mode`'s source for fn from scratch, in CPU seconds
    of this thread, which does all of the transform's work.  Not wall time: the benchmarks
    share machines, and other processes' work would count.  Not the process's CPU time
    either: in `make bench` it would count the peers' threads too (XLA's compiler and thread
    pools, PyTorch's workers), which may go on working after their own rows."""
    best = math.inf
    for _ in range(repeats):
        ad.clear_cache()
        t0 = time.thread_time()
        ad.source(fn, mode, wrt=0)
        best = min(best, time.thread_time() - t0)
    return best


def slope(sizes, seconds):
    """The exponent p of time ~ n^p between the first and the last size."""
    return math.log(seconds[-1] / seconds[0]) / math.log(sizes[-1] / sizes[0])


def curve(sizes=SIZES, modes=MODES, repeats=3, progress=None):
    """{mode: [seconds per size]}; the functions are built once and shared by the modes."""
    fns = [straight_line(n) for n in sizes]
    for mode in modes:      # the first transform of a process loads the rules it uses
        ad.source(straight_line(10, seed=1), mode, wrt=0)
    times = {mode: [] for mode in modes}
    for n, fn in zip(sizes, fns):
        for mode in modes:
            times[mode].append(transform_seconds(fn, mode, repeats if n <= 800 else 1))
            if progress:
                progress(f"transform time: {mode} n={n} {times[mode][-1]:.3f}s")
    return times


def report_lines(sizes, times):
    """The curve as a table: one row per size, one column per mode, then the slopes."""
    modes = list(times)
    head = "| statements | " + " | ".join(f"{m} (s)" for m in modes) + " |"
    lines = [head, "| " + " | ".join(["---"] * (len(modes) + 1)) + " |"]
    for i, n in enumerate(sizes):
        lines.append(f"| {n} | " + " | ".join(f"{times[m][i]:.3f}" for m in modes) + " |")
    lines.append("| slope | " + " | ".join(f"{slope(sizes, times[m]):.2f}" for m in modes) + " |")
    if LIMIT_AT in sizes and "grad" in times:
        at = times["grad"][sizes.index(LIMIT_AT)]
        verdict = "met" if at < LIMIT_SECONDS else "NOT met"
        lines.append(f"\ngrad of {LIMIT_AT} statements: {at:.3f} s (target < {LIMIT_SECONDS:g} s: "
                     f"{verdict}); slope 1 is linear, 2 quadratic.")
    return lines


def main(argv=None):
    import sys
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--repeats", type=int, default=3)
    opts = parser.parse_args(argv)
    sizes = [int(s) for s in opts.sizes.split(",")]
    times = curve(sizes, opts.modes.split(","), opts.repeats,
                  progress=lambda text: print(text, file=sys.stderr))
    print("\n".join(report_lines(sizes, times)))


if __name__ == "__main__":
    main()
