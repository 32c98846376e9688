"""Formatting of the results table (plain text and Markdown)."""
from dataclasses import dataclass, field

PEERS = ("autograd", "jax", "jax-jit", "torch")


@dataclass
class Row:
    name: str
    times: dict = field(default_factory=dict)   # system -> seconds, or "n/a" / "WRONG"
    info: dict = field(default_factory=dict)    # system -> dict of extra facts
    errors: dict = field(default_factory=dict)  # system -> why it is n/a or WRONG


def _num(v):
    if v >= 100:
        return f"{v:.0f}"
    if v >= 10:
        return f"{v:.1f}"
    if v >= 1:
        return f"{v:.2f}"
    return f"{v:.2g}"


def fmt_time(t):
    if not isinstance(t, float):
        return str(t) if t is not None else "-"  # None: the system was not run
    for scale, unit in ((1.0, "s"), (1e-3, "ms"), (1e-6, "us")):
        if t >= scale:
            return _num(t / scale) + unit
    return _num(t * 1e9) + "ns"


def _ratio(a, b):
    if isinstance(a, float) and isinstance(b, float) and b > 0:
        return "x" + _num(a / b)
    return ""


def _lines(info, ran):
    if "hand_lines" not in info:
        return "n/a" if ran else "-"
    return f"{info.get('s2s_lines', '?')}/{info['hand_lines']}"


HEADER = ["workload", "primal", "hand", "s2s_ad", "s2s/primal", "s2s/hand", "s2s 1st call",
          "s2s tape", "lines s2s/hand", "autograd", "jax", "jax-jit", "jit compile", "torch"]


def _first_call(info, ran):
    if "first_call" not in info:
        return "n/a" if ran else "-"
    cold, warm = info["first_call"]
    return f"{fmt_time(cold)} / {fmt_time(warm)}"


def _tape(info, ran):
    tape = info.get("tape")
    if tape is None:
        return "n/a" if ran else "-"
    entries, size = tape
    if not entries:
        return "none"
    for scale, unit in ((1 << 20, "MB"), (1 << 10, "kB")):
        if size >= scale:
            return f"{entries} ({_num(size / scale)}{unit})"
    return f"{entries} ({size}B)"


def cells(row):
    t = row.times
    s2s = t.get("s2s_ad")
    s2s_info = row.info.get("s2s_ad", {})
    out = [row.name, fmt_time(t.get("primal")), fmt_time(t.get("hand")), fmt_time(s2s),
           _ratio(s2s, t.get("primal")) or "-", _ratio(s2s, t.get("hand")) or "-",
           _first_call(s2s_info, s2s is not None),
           _tape(s2s_info, s2s is not None), _lines(s2s_info, s2s is not None)]
    for peer in PEERS:
        cell = fmt_time(t.get(peer))
        ratio = _ratio(t.get(peer), s2s)
        out.append(f"{cell} ({ratio})" if ratio else cell)
        if peer == "jax-jit":
            compile_time = row.info.get("jax-jit", {}).get("compile")
            out.append(fmt_time(compile_time if compile_time is not None else t.get(peer)))
    return out


def text_table(rows):
    table = [HEADER] + [cells(r) for r in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(HEADER))]
    fmt = lambda r: "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                              for i, (c, w) in enumerate(zip(r, widths)))
    return "\n".join([fmt(table[0]), "-" * len(fmt(table[0]))] + [fmt(r) for r in table[1:]])


def markdown_table(rows):
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(cells(r)) + " |" for r in rows]
    return "\n".join(lines)


def notes(rows):
    """One line per distinct reason a cell is n/a or WRONG, naming the workloads it hit."""
    seen = {}
    for row in rows:
        for system, why in row.errors.items():
            names = seen.setdefault((system, why), [])
            if row.name not in names:   # a workload at several sizes is named once
                names.append(row.name)
    everything = list(dict.fromkeys(row.name for row in rows))
    return [f"{system} on {'all workloads' if names == everything else ', '.join(names)}: {why}"
            for (system, why), names in seen.items()]


LEGEND = ("times are medians per call; (xR) after a peer's time is peer/s2s_ad; "
          "s2s 1st call = transform + compile + one call after ad.clear_cache(), cold (loading the "
          "rules it uses) / warm (rules loaded); "
          "s2s tape = most entries (bytes) on the tape at once, for one gradient or HVP; "
          "lines = lines of code (not blank, not comment) of ad.source(..., example=args) "
          "vs the hand-written function")
