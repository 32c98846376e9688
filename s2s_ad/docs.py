"""The API reference, docs/api.md, made from the docstrings of the public callables.

    python -m s2s_ad.docs > docs/api.md

Stage: public layer, since it reads the API `import s2s_ad` exposes.  Input: the package's
public names.  Output: Markdown with, for each public callable, its signature and its
docstring, whose `Args:`, `Returns:`, `Raises:` and `Attributes:` sections become lists and
whose `Example:` becomes a code block.  tests/test_docstrings.py runs every example and checks
that docs/api.md is what this module prints.
"""
import inspect
import re
import textwrap
import types

import s2s_ad

HEADER = ["# API reference", "",
          "Generated from the docstrings by `python -m s2s_ad.docs > docs/api.md`; do not edit.",
          "Every example is run by tests/test_docstrings.py, with `import numpy as np` and "
          "`import s2s_ad as ad`.", ""]

SECTION = re.compile(r"^(Args|Returns|Raises|Attributes|Example):$")
ITEM_SECTIONS = ("Args", "Raises", "Attributes")    # `name: text` entries, one per item


def public_callables():
    """[(name, object)] of everything `import s2s_ad as ad` exposes without an underscore that
    can be called (not the submodules): those of `__all__` in its order, then any other."""
    names = [n for n in dir(s2s_ad) if not n.startswith("_")]
    found = [n for n in names if callable(getattr(s2s_ad, n))
             and not isinstance(getattr(s2s_ad, n), types.ModuleType)]
    ordered = [n for n in s2s_ad.__all__ if n in found]
    return [(n, getattr(s2s_ad, n)) for n in ordered + sorted(set(found) - set(ordered))]


def sections(doc):
    """The docstring as [(section name, lines)]: "" for the summary and the prose after it,
    then each section under its header, its lines dedented."""
    parts = [("", [])]
    for line in inspect.cleandoc(doc).splitlines():
        header = SECTION.match(line)
        if header:
            parts.append((header[1], []))
        else:
            parts[-1][1].append(line)
    return [(name, textwrap.dedent("\n".join(lines)).strip("\n").splitlines())
            for name, lines in parts]


def items(lines):
    """The entries of an Args-like section as [(name, text)]: an entry starts at a line that
    is not indented, `name: text`, and goes on over the indented lines under it."""
    entries = []
    for line in lines:
        if line.startswith(" ") and entries:
            entries[-1][1].append(line.strip())
        else:
            name, _, text = line.partition(":")
            entries.append((name.strip(), [text.strip()]))
    return [(name, " ".join(text).strip()) for name, text in entries]


def heading(name, obj):
    """The heading of one callable and the line giving how it is called."""
    if isinstance(obj, type):
        bases = ", ".join(b.__name__ for b in obj.__bases__)
        return [f"## ad.{name}", "", f"`exception ad.{name}({bases})`"]
    return [f"## ad.{name}", "", f"`ad.{name}{inspect.signature(obj)}`"]


def entry(name, obj):
    """The Markdown of one public callable."""
    lines = heading(name, obj) + [""]
    for section, body in sections(obj.__doc__ or ""):
        if section == "Example":
            lines += ["**Example:**", "", "```pycon", *body, "```", ""]
        elif section in ITEM_SECTIONS:
            lines += [f"**{section}:**", ""]
            lines += [f"- `{item}`: {text}" for item, text in items(body)] + [""]
        else:
            lines += ([f"**{section}:**", ""] if section else []) + body + [""]
    return lines


def anchor(name):
    """The anchor GitHub gives the heading `## ad.{name}`."""
    return "ad" + name.lower()


def summary(obj):
    return inspect.cleandoc(obj.__doc__ or "").partition("\n")[0].replace("|", "\\|")


def reference():
    """The text of docs/api.md."""
    lines = list(HEADER)
    lines += ["| callable | what it does |", "| --- | --- |"]
    lines += [f"| [`ad.{name}`](#{anchor(name)}) | {summary(obj)} |"
              for name, obj in public_callables()]
    lines.append("")
    for name, obj in public_callables():
        lines += entry(name, obj)
    return "\n".join(lines)


if __name__ == "__main__":
    print(reference(), end="")
