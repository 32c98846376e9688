"""The wheel holds the whole package: built, installed in a fresh virtual environment (not
editable) and used there to differentiate, so a subpackage left out of the wheel fails here."""
import os
import shutil
import subprocess
import sys
import venv

import numpy
import gast

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

USE = """
import numpy as np, s2s_ad as ad
assert ad.__file__.startswith({prefix!r}), ad.__file__
g = ad.grad(lambda x: np.sum(np.sin(x) * x))(np.array([0.5, 1.0]))
assert np.allclose(g, np.cos([0.5, 1.0]) * [0.5, 1.0] + np.sin([0.5, 1.0])), g
print(ad.source(lambda x: x * x, "grad").splitlines()[0])
"""


def run(args, **kwargs):
    done = subprocess.run(args, capture_output=True, text=True, **kwargs)
    assert done.returncode == 0, f"{' '.join(map(str, args))}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_wheel_installs_and_differentiates(tmp_path):
    # Built from a copy, so no build/ folder left by an earlier build can fill a gap.
    tree = tmp_path / "tree"
    shutil.copytree(os.path.join(ROOT, "s2s_ad"), tree / "s2s_ad",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(os.path.join(ROOT, name), tree / name)
    wheels = tmp_path / "wheels"
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         "-w", str(wheels), str(tree)])
    [wheel] = list(wheels.glob("s2s_ad-*.whl"))
    env = tmp_path / "env"
    venv.create(env, with_pip=True)
    python = env / "bin" / "python"
    run([python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)])
    # The runtime dependencies come from this interpreter's environment, offline: a path line
    # in a .pth file adds the folder, without the editable install's own .pth hooks.
    site = run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    deps = {os.path.dirname(os.path.dirname(m.__file__)) for m in (numpy, gast)}
    with open(os.path.join(site.strip(), "test_deps.pth"), "w") as pth:
        pth.write("\n".join(sorted(deps)) + "\n")
    script = tmp_path / "use.py"          # a file, so s2s_ad can read the lambdas' source
    script.write_text(USE.format(prefix=str(env)))
    out = run([python, str(script)], cwd=tmp_path)
    assert out.startswith("def ")
