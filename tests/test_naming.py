"""The namer (base/naming.py): names tried and dropped are free again, through its own API."""
import ast
import pathlib

from s2s_ad.base.naming import Namer

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "s2s_ad"


def test_an_attempt_that_gives_nothing_frees_the_names_it_took():
    namer = Namer({"x"})
    assert namer.attempt(lambda: (namer.temp(), namer.version("x"), None)[-1]) is None
    assert (namer.temp(), namer.version("x")) == ("_t0", "x_1")
    assert namer.attempt(lambda: namer.temp()) == "_t1"      # kept: it gave a result
    assert namer.temp() == "_t2"


def _namer_state_assigned(path):
    """The lines of `path` that assign a namer's `taken` or `counters` (`self.namer.taken =`)."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text())):
        targets = node.targets if isinstance(node, ast.Assign) else []
        for target in targets:
            for t in (target.elts if isinstance(target, ast.Tuple) else [target]):
                if isinstance(t, ast.Attribute) and t.attr in ("taken", "counters") and \
                        "namer" in ast.unparse(t.value):
                    lines.append(node.lineno)
    return lines


def test_no_caller_restores_the_namer_by_hand():
    found = {str(p.relative_to(PACKAGE)): lines for p in sorted(PACKAGE.rglob("*.py"))
             if (lines := _namer_state_assigned(p))}
    assert not found, f"restore the namer through Namer.attempt: {found}"
