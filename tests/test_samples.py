"""Every sample in samples/ runs, small, and its assertions hold (`make samples`: full size)."""
import glob
import importlib.util
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLES = os.path.join(ROOT, "samples")

# sample module -> keyword arguments of its main() that keep it small and fast
SMALL = {
    "jacobian_of_linear_map": dict(m=3, n=4),
    "jacobian_shapes": dict(n=4, m=3),
    "hessian_is_jacobian_of_gradient": dict(n=4),
    "jvp_vjp_without_jacobian": dict(n=4, m=3),
    "forward_vs_reverse_cost": dict(sizes=(5, 20), small=2, repeat=1),
    "computational_graph": dict(),
    "reverse_mode_walkthrough": dict(),
    "double_backprop": dict(n=4),
    "logistic_regression": dict(n_samples=100, n_features=3, steps=60),
    "mlp": dict(batch=16, n_in=8, n_hidden=16, n_out=4, steps=30),
    "rnn": dict(steps_in_time=5, n_hidden=4, train_steps=40),
    "ode_fit": dict(steps=100, iterations=100),
    "newton_hessian": dict(n=4, m=8),
    "stencil_inplace": dict(n=8, sweeps=2),
}


def load(name):
    spec = importlib.util.spec_from_file_location(f"s2s_ad_sample_{name}",
                                                  os.path.join(SAMPLES, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_sample_is_listed():
    on_disk = {os.path.splitext(os.path.basename(p))[0]
               for p in glob.glob(os.path.join(SAMPLES, "*.py"))}
    assert on_disk == set(SMALL), "add new samples to SMALL in tests/test_samples.py"


@pytest.mark.parametrize("name", sorted(SMALL))
def test_sample_runs(name, capsys):
    module = load(name)
    assert module.__doc__ and module.__doc__.strip(), f"{name} needs a module docstring"
    module.main(**SMALL[name])
    printed = capsys.readouterr().out
    assert "def " in printed, f"{name} should print the generated code it relies on"


def test_the_demo_shows_the_specialised_gradient_first(capsys):
    """`make demo` runs samples/mlp.py: it explains, then prints the code that runs for the
    sample's shapes (no run-time broadcasting helpers), then names the command for the
    generic code, then trains."""
    load("mlp").main(**SMALL["mlp"])
    out = capsys.readouterr().out
    code = out[out.index("def loss_grad"):out.index("The same gradient for any shapes")]
    assert out.index("adjoint") < out.index("def loss_grad") < out.index("loss:")
    assert "W1_bar" in code and "_ad.unbroadcast" not in code and "_ad.sum_grad" not in code
    assert "x is 16x8, W1 8x16, W2 16x4" in out
    assert "s2s-ad samples/mlp.py:loss --mode grad --wrt W1 W2" in out
