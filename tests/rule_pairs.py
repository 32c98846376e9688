"""Count the VJP/JVP rule pairs written twice: `python tests/rule_pairs.py [--list]`.

A pair is the VJP and the JVP rule of one argument of one callable.  It is written twice when
both are written as functions (not made by registry.defelementwise / deflinear / defbilinear,
nor one function serving both) and they differ only in the name of the incoming variable (g
or t): the rule tables should then state it once.  Parsed with the front end, so a lambda is
compared as written, whatever line it shares.
"""
import sys

import gast

import s2s_ad.rules  # noqa: F401  (registers every rule)
from s2s_ad.frontend import source as frontend
from s2s_ad.rules.registry import RULES, Refused, derivation, load_optional_rules


def _shape(rule):
    """The rule's parsed function as text, its first parameter (the seed) renamed `_seed`."""
    node = frontend.parse(rule).node
    seed = node.args.args[0].id
    for sub in gast.walk(node):
        if isinstance(sub, gast.Name) and sub.id == seed:
            sub.id = "_seed"
    return gast.dump(node.args) + gast.dump(gast.Module(node.body, []))


def pairs():
    """[(callable, argument index, written twice?)] of every library rule pair (a pair shared
    by several callables counted once)."""
    load_optional_rules()
    found, seen = [], set()
    for fn, rule in RULES.items():
        if rule.origin == "user":
            continue
        for i, (vjp, jvp) in enumerate(zip(rule.vjps, rule.jvps)):
            if not callable(vjp) or not callable(jvp) or isinstance(vjp, Refused) or \
                    isinstance(jvp, Refused):
                continue
            if (vjp, jvp) in seen:
                continue        # registry.share: the same rules, written for another callable
            seen.add((vjp, jvp))
            once = vjp is jvp or derivation(vjp) is not None or derivation(jvp) is not None
            try:
                twice = not once and _shape(vjp) == _shape(jvp)
            except Exception:       # a rule without source is called, not compared
                twice = False
            found.append((fn, i, twice))
    return found


if __name__ == "__main__":
    try:
        import scipy.linalg  # noqa: F401  (the SciPy rules count too, where installed)
        import scipy.special  # noqa: F401
    except ImportError:
        pass
    found = pairs()
    twice = [(fn, i) for fn, i, t in found if t]
    print(f"{len(twice)} of {len(found)} VJP/JVP pairs differ only in the name of the "
          "incoming variable")
    if "--list" in sys.argv:
        for fn, i in twice:
            print(f"  {getattr(fn, '__module__', None) or 'numpy'}."
                  f"{getattr(fn, '__name__', fn)} argument {i}")
