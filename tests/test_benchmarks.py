"""The benchmark harness's own measurements (the timings themselves are not tested)."""
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
