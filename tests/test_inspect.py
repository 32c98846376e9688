"""Generated code can be read where Python shows code (issue 21): `inspect.getsource`, pdb and
tracebacks show the lines of every generated function, the entry point a transform returns
included; a failure inside generated code shows the user's and the generated frames, not ours.
Also the table of modes (issue 22): the names and the modes ad.source and the CLI accept."""
import inspect
import io
import os
import pdb
import traceback

import numpy as np
import pytest

import s2s_ad as ad
from s2s_ad import cli, entry, modes
from s2s_ad.derivative import compiled

OWN = os.path.dirname(os.path.abspath(ad.__file__)) + os.sep


def layer(x, w):
    h = np.tanh(w * x)
    return np.sum(h * h)


def test_getsource_of_the_function_a_transform_returns():
    g = ad.grad(layer)
    text = inspect.getsource(g)
    assert "def layer_grad(x, w):" in text
    assert "return _ad_f(x, w)" in text and "_ad_general((x, w,))" in text
    vg = ad.value_and_grad(layer, wrt=1)
    assert "def layer_value_and_grad(x, w):" in inspect.getsource(vg)
    assert "def layer_hvp(x, w, v):" in inspect.getsource(ad.hvp(layer))


def test_getsource_of_the_compiled_derivative_and_of_the_guard():
    x, w = np.ones(3), np.full(3, 0.5)
    derivative = compiled(layer, "grad", ["x"], {"x": "array", "w": "array"},
                          arg_shapes={"x": (3,), "w": (3,)})
    text = inspect.getsource(derivative.function)
    assert "def layer_grad(x, w):" in text and "x_bar" in text
    assert "# h = np.tanh(w * x)" in text       # the user's line each block differentiates
    t = entry.Transform(layer, "grad", 0)
    t.prepare((x, w), {})
    assert "def guard(args):" in inspect.getsource(t.fast_function)


def test_pdb_steps_into_the_entry_point_and_the_derivative():
    g = ad.grad(layer)
    x, w = np.ones(3), np.full(3, 0.5)
    g(x, w)      # built: the next call takes the entry point's fast branch
    out = io.StringIO()
    # into the entry point, then step by step (`s`, `n`) into the derivative it calls
    commands = "s\nl\nll\nn\n" + "s\nll\n" * 8 + "c\n"
    debugger = pdb.Pdb(stdin=io.StringIO(commands), stdout=out, nosigint=True)
    debugger.use_rawinput = False
    debugger.runcall(lambda: g(x, w))
    shown = out.getvalue()
    assert "<s2s_ad.entry layer_grad " in shown
    assert "->\t    def layer_grad(x, w):" in shown        # `l` lists the entry point
    assert "return _ad_f(x, w)" in shown                  # `ll` shows its whole body
    # `s` into the derivative, whose lines `ll` lists, with the user's lines as comments
    assert "# h = np.tanh(w * x)" in shown and "x_bar" in shown
    assert "*** " not in shown                             # no "could not get source"


def test_a_failure_inside_generated_code_shows_no_frames_of_ours():
    def f(x, w):
        h = np.dot(w, x)
        return np.sum(h * h)
    g = ad.grad(f)
    g(np.ones(3), np.ones((3, 3)))
    for w in (np.ones((3, 3)), np.ones((2, 2))):     # the same signature, then a new one
        with pytest.raises(ValueError) as info:
            g(np.ones(3), w[:, :2] if w.shape == (3, 3) else w)
        frames = traceback.extract_tb(info.value.__traceback__)
        assert not [fr for fr in frames if fr.filename.startswith(OWN)], frames
        assert frames[0].filename == __file__
        assert frames[-1].filename.startswith("<s2s_ad f_grad ")
        assert frames[-1].line == "h = np.dot(w, x)"


def test_a_refusal_on_the_first_call_shows_the_users_line_not_the_pipeline():
    def helper(v):
        global _LAST
        _LAST = v          # a global write: refused
        return v * 2.0

    def f(x):
        return helper(x * x)
    with pytest.raises(ad.UnsupportedSyntaxError) as info:
        ad.grad(f)(0.5)
    frames = traceback.extract_tb(info.value.__traceback__)
    assert not [fr for fr in frames if fr.filename.startswith(OWN)], frames
    assert "global" in str(info.value)


def _helper_with_a_product(v):
    w = np.log(v)
    return w @ v


def _calls_the_helper(x):
    return np.sum(_helper_with_a_product(x))


def _a_hook_that_fails(h_bar):
    raise FloatingPointError("the hook refuses")


def _squares_a_tanh(x):
    h = np.tanh(x)
    return np.sum((h * 2.0) ** 2)


def _line_of(fn, text):
    lines, first = inspect.getsourcelines(fn)
    return first + next(i for i, line in enumerate(lines) if text in line)


NOTED = [
    # (what fails, how it is called, the user's line it was made from)
    ("a callee's forward sweep", lambda: ad.grad(_calls_the_helper)(np.ones((2, 3))),
     (_helper_with_a_product, "return w @ v")),
    ("jvp of a callee", lambda: ad.jvp(_calls_the_helper, (np.ones((2, 3)),), (np.ones((2, 3)),)),
     (_helper_with_a_product, "return w @ v")),
    ("vjp's pullback", lambda: ad.vjp(_squares_a_tanh, np.ones(3),
                                      on_adjoint={"h": _a_hook_that_fails})[1](1.0),
     (_squares_a_tanh, "h = np.tanh(x)")),
    ("a hook in the reverse sweep",
     lambda: ad.grad(_squares_a_tanh, on_adjoint={"h": _a_hook_that_fails})(np.ones(3)),
     (_squares_a_tanh, "h = np.tanh(x)")),
    ("the Hessian, through generated code differentiated again",
     lambda: ad.hessian(_calls_the_helper)(np.ones((2, 3))),
     (_helper_with_a_product, "return w @ v")),
]


@pytest.mark.skipif(not hasattr(BaseException, "add_note"), reason="exception notes: Python 3.11+")
@pytest.mark.parametrize("what, call, origin", NOTED, ids=[n[0] for n in NOTED])
def test_a_failure_inside_generated_code_names_the_users_line(what, call, origin):
    """Python 3.11 and 3.12 print no line of generated code (their traceback printer reads
    files, not linecache): a note quotes the generated line and the user's line it came from."""
    with pytest.raises((ValueError, FloatingPointError)) as info:
        call()
    notes = [n for n in getattr(info.value, "__notes__", ()) if n.startswith("s2s_ad: ")]
    assert len(notes) == 1, notes
    fn, text = origin
    assert f"made from {__file__}:{_line_of(fn, text)}:\n    {text}" in notes[0]
    frames = traceback.extract_tb(info.value.__traceback__)
    generated = [fr for fr in frames if fr.filename.startswith("<s2s_ad ")]
    assert generated and generated[-1].line in notes[0]


def test_no_note_where_the_error_is_not_in_derivative_code():
    """A refusal names its own line; a wrong call fails in the entry point, before any
    derivative code runs."""
    def f(x):
        global _LAST
        _LAST = x          # a global write: refused
        return np.sum(x * 2.0)
    for call, error in ((lambda: ad.grad(f)(np.ones(3)), ad.UnsupportedSyntaxError),
                        (lambda: ad.grad(_squares_a_tanh)(np.ones(3), 1.0), TypeError)):
        with pytest.raises(error) as info:
            call()
        assert not getattr(info.value, "__notes__", None)


def test_full_tracebacks_on_request(monkeypatch):
    monkeypatch.setenv("S2S_AD_TRACEBACK", "full")

    def f(x):
        return np.sum(np.dot(x, x))
    with pytest.raises(ValueError) as info:
        ad.grad(f)(np.ones((2, 3)))
    frames = traceback.extract_tb(info.value.__traceback__)
    assert [fr for fr in frames if fr.filename.startswith(OWN)]


def test_the_table_of_modes_names_the_derivatives():
    def f(x):
        return x * x
    for transform, mode in [(ad.grad, "grad"), (ad.value_and_grad, "value_and_grad"),
                            (ad.jacfwd, "jacfwd"), (ad.jacrev, "jacrev"),
                            (ad.hessian, "hessian"), (ad.hvp, "hvp")]:
        assert transform(f).__name__ == "f_" + modes.MODES[mode].suffix
    assert set(modes.PRINTABLE) == {"ssa", "grad", "value_and_grad", "vjp", "jvp", "hvp",
                                    "jvp_batched", "vjp_batched"}
    with pytest.raises(ad.BadArgumentError, match="use one of ssa, grad, value_and_grad"):
        ad.source(f, "hessian")


def test_the_derivative_a_call_runs_is_what_ad_source_prints():
    x, w = np.ones(3), np.ones(3)
    g = ad.grad(layer)
    g(x, w)
    d = compiled(layer, "grad", ["x"], {"x": "array", "w": "array"},
                 arg_shapes={"x": (3,), "w": (3,)})
    assert (d.mode, d.wrt, d.name) == ("grad", ("x",), "layer_grad")
    assert d is compiled(layer, "grad", ["x"], {"x": "array", "w": "array"},
                         arg_shapes={"x": (3,), "w": (3,)})       # built once, cached
    assert ad.source(layer, "grad", example=(x, w)) == d.source
    assert "def layer_grad_jvp(" in ad.source(layer, "hvp")      # the table: grad, tangent


def test_cli_prints_value_and_grad(tmp_path, capsys):
    path = tmp_path / "model.py"
    path.write_text("import numpy as np\n\ndef f(x):\n    return np.sin(x) * x\n")
    assert cli.main([f"{path}:f", "--mode", "value_and_grad"]) == 0
    assert "def f_value_and_grad(x):" in capsys.readouterr().out
