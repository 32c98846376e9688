"""The command line prints generated code, and refuses bad input in one clear message."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROGRAMS = os.path.join(ROOT, "tests", "programs.py")


def run(*args):
    return subprocess.run([sys.executable, "-m", "s2s_ad", *args], capture_output=True, text=True,
                          cwd=ROOT)


def test_prints_each_mode():
    for mode, marker in [("grad", "x_bar"), ("vjp", "*, y_bar"), ("jvp", "x_dot"),
                         ("ssa", "def horner(x, c, n)"), ("hvp", "x_bar_dot")]:
        result = run(f"{PROGRAMS}:horner", "--mode", mode)
        assert result.returncode == 0, result.stderr
        assert marker in result.stdout, (mode, result.stdout)
        compile(result.stdout, "<cli>", "exec")


def test_wrt_and_no_optimize():
    for wrt in (["x", "c"], ["x,c"], ["x", "--wrt", "c"]):
        result = run(f"{PROGRAMS}:horner", "--mode", "grad", "--wrt", *wrt, "--no-optimize")
        assert result.returncode == 0, result.stderr
        assert "x_bar" in result.stdout and "c_bar" in result.stdout, wrt


def test_errors_are_one_message_without_traceback():
    for target, expected in [("nofile.py:f", "no such file"),
                             (f"{PROGRAMS}:missing", "has no function"),
                             (f"{PROGRAMS}:horner --wrt zz", "no parameter")]:
        parts = target.split()
        result = run(*parts)
        assert result.returncode != 0
        assert expected in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
