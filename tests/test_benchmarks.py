"""The benchmark harness's own measurements (the timings themselves are not tested)."""
import os
import subprocess
import sys

import numpy as np

from benchmarks.tape import tape_size
from s2s_ad.api import compiled


def power_loop(x, a):
    y = 1.0
    for i in range(7):
        y = y * x + a
    return y


def rows_loop(x):
    h = x
    for t in range(4):
        h = np.tanh(h)
    return np.sum(h)


def test_tape_size_counts_entries_and_the_memory_they_keep():
    gen = compiled(power_loop, "grad", ["x", "a"], {"x": "scalar", "a": "scalar"})
    assert tape_size(gen, [0.5, 0.25]) == (7, 7 * 8)     # one float per step
    x = np.ones(10)
    gen = compiled(rows_loop, "grad", ["x"], {"x": "array"}, arg_shapes={"x": (10,)})
    entries, size = tape_size(gen, [x])
    assert entries >= 4 and size <= 4 * x.nbytes      # x itself is not new memory


def _smooth_into(src, dst):
    for i in range(1, src.shape[0] - 1):
        dst[i] = 0.25 * src[i - 1] + 0.5 * src[i] + 0.25 * src[i + 1]


def smoothed_twice(x):
    a = x.copy()
    b = x.copy()
    _smooth_into(a, b)
    _smooth_into(b, a)
    return np.sum(a * a)


def test_tape_size_of_a_callee_that_reads_the_runtime():
    """The top function's specialised code is plain NumPy; the callee's reads `_ad`."""
    gen = compiled(smoothed_twice, "grad", ["x"], {"x": "array"}, arg_shapes={"x": (8,)})
    assert "_ad." in gen.source and tape_size(gen, [np.linspace(0.0, 1.0, 8)])[0] > 0


def test_straight_line_code_keeps_no_tape():
    gen = compiled(lambda x, y: x * y + np.sin(x), "grad", ["x", "y"])
    assert tape_size(gen, [1.0, 2.0]) == (0, 0)


def test_the_straight_line_functions_of_the_transform_time_curve():
    import ast
    import s2s_ad as ad
    from benchmarks import transform_time as tt
    text = tt.straight_line_text(50)
    (definition,) = [n for n in ast.parse(text).body if isinstance(n, ast.FunctionDef)]
    assert len(definition.body) == 50 and isinstance(definition.body[-1], ast.Return)
    f = tt.straight_line(300)
    x, y, s = tt.inputs()
    assert np.isfinite(f(x, y, s))       # long chains neither overflow nor vanish to nan
    ad.check_grads(tt.straight_line(40), (x, y, s), wrt=(0, 1, 2))
    assert tt.slope([100, 400], [0.5, 2.0]) == 1.0
    lines = tt.report_lines([100, 1500], {"grad": [0.1, 0.8]})
    assert "| 1500 | 0.800 |" in lines and any("0.800 s" in line and "met" in line
                                                for line in lines)


def test_the_kernels_section_runs_and_reports_ratios_worst_first():
    from benchmarks import loop_kernels as lk
    from kernels import SIZED
    assert {k.name for k in SIZED} == set(lk.SIZES)       # every kernel has bench sizes
    quick = dict(samples=1, target=0.001, budget=0.05)
    kernels = lk.select(["go_fast,trisolv"])
    rows = lk.run(kernels, quick, sizes=(4, 6), peers=False)
    assert [(r.name, r.info["kernel"]["n"]) for r in rows[:2]] in (
        [("go_fast", 4), ("go_fast", 6)], [("trisolv", 4), ("trisolv", 6)])
    larger = [lk.ratio(r, "s2s_ad") for r in rows if r.info["kernel"]["which"] == 1]
    assert all(x > 0 for x in larger) and larger == sorted(larger, reverse=True)
    for row in rows:
        entries, size = row.info["s2s_ad"]["tape"]
        assert entries > 0 and size > 0          # both kernels keep a tape in their loops
    lines = lk.report_lines(rows)
    assert lines[0].split()[:5] == ["kernel", "n", "primal", "s2s", "grad"]
    assert any(line.startswith("median grad/primal at the larger size: s2s_ad x") for line in lines)


def test_a_kernel_that_writes_into_its_arguments_is_timed_on_copies():
    from benchmarks import loop_kernels as lk
    from kernels import SIZED
    by_name = {k.name: k for k in SIZED}
    args = by_name["mvt"].inputs(3)(np.random.default_rng(0))
    assert lk.writes_into_arguments(by_name["mvt"].fn, args)
    args = by_name["trisolv"].inputs(3)(np.random.default_rng(0))
    assert not lk.writes_into_arguments(by_name["trisolv"].fn, args)


def test_a_peer_that_is_not_installed_is_n_a_with_its_reason(monkeypatch):
    from benchmarks import loop_kernels as lk

    def not_installed(case, inputs):
        raise ModuleNotFoundError("No module named 'jax'")
    monkeypatch.setattr(lk, "PEERS", {"autograd": not_installed, "jax-jit": not_installed})
    rows = lk.run(lk.select(["go_fast"]), dict(samples=1, target=0.001, budget=0.05),
                  sizes=(4,))
    assert rows[0].times["jax-jit"] == "n/a" and lk.ratio(rows[0], "s2s_ad") > 0
    lines = lk.report_lines(rows)
    header, _, row = lines[0].splitlines()
    assert header.split()[-2:] == ["autograd/primal", "jax-jit/primal"]
    assert row.split()[-2:] == ["n/a", "n/a"]
    assert "jax-jit on all workloads: ModuleNotFoundError: No module named 'jax'" in lines


def test_a_kernel_whose_gradient_fails_is_n_a_and_the_section_goes_on(monkeypatch):
    from benchmarks import loop_kernels as lk

    def refuses(fn, wrt):
        raise RuntimeError("no gradient today")
    monkeypatch.setattr(lk.ad, "grad", refuses)
    rows = lk.run(lk.select(["go_fast"]), dict(samples=1, target=0.001, budget=0.05),
                  sizes=(4,), peers=False)
    assert rows[0].times["s2s_ad"] == "n/a"
    assert "s2s_ad on all workloads: RuntimeError: no gradient today" in lk.report_lines(rows)


def test_the_report_survives_the_exit_without_shutdown():
    # make bench's scripts end with os._exit (benchmarks/run.py): what they printed to a pipe
    # must be flushed first, and the status kept
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    code = ("from benchmarks.run import exit_without_shutdown\n"
            "print('the report')\nprint('progress', file=__import__('sys').stderr)\n"
            "exit_without_shutdown(3)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    assert (done.returncode, done.stdout, done.stderr) == (3, "the report\n", "progress\n")
