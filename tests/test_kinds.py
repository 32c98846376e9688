"""infer_kinds (s2s_ad/analysis/kinds.py) runs to its fixed point (issue 17): however many
statements a kind passes through, at a cost linear in their number, and a kind that is not
known is never taken for "scalar".  infer_shapes (shapes.py), which keeps a bound on its
rounds, takes no shape for certain where it hits it."""
import numpy as np

from matrix import check_program
from programs import Case, args, mat, vec
from s2s_ad import api

from fuzz_programs import load
from s2s_ad.analysis import kinds as K
from s2s_ad.analysis.activity import simple_statements, targets
from s2s_ad.analysis.analysed import Analysed
from s2s_ad.frontend.normalize import normalize

OLD_BOUND = 10      # the rounds infer_kinds used to stop after


def _analysed(text, arg_kinds):
    ssa = normalize(load(text, {"np": np}, prefix="kinds"))
    return Analysed(ssa, [], arg_kinds)


def _kinds(text, arg_kinds):
    a = _analysed(text, arg_kinds)
    return K.infer_kinds(a.fn, a.ops, arg_kinds)


def _copies(first, n, indent="    "):
    """`b0 = first`, `b1 = b0`, ... `b{n-1} = b{n-2}`."""
    return f"{indent}b0 = {first}\n" + "".join(f"{indent}b{k} = b{k - 1}\n" for k in range(1, n))


def _chain(n):
    return f"def f(x):\n{_copies('x', n)}    c = 1.0 + b{n - 1}\n    return c\n"


def _backwards_in_a_loop(n):
    """Each statement of the loop reads the one after it: a kind reaches b{n-1} only after n
    passes, from the end of the body to its start."""
    before = "".join(f"    b{k} = 0.0\n" for k in range(n))
    body = "".join(f"        b{k} = b{k - 1}\n" for k in range(n - 1, 0, -1))
    return (f"def f(x):\n{before}    for i in range(3):\n{body}        b0 = x * 1.0\n"
            f"    c = 1.0 + b{n - 1}\n    return c\n")


def _number_made_array(n):
    return (f"def f(x):\n    a = 0.0\n    for i in range(3):\n{_copies('a', n, '        ')}"
            f"        c = 1.0 + b{n - 1}\n        a = c * x\n    return a\n")


def test_a_chain_longer_than_the_old_bound_is_followed_to_its_end():
    n = 4 * OLD_BOUND
    kinds = _kinds(_chain(n), {"x": "array"})
    assert {kinds[f"b{k}"] for k in range(n)} == {"array"}
    assert kinds["c"] == "array"
    assert _kinds(_chain(n), {"x": "num"})["c"] == "num"      # was "scalar"


def test_a_loop_carried_number_made_an_array_is_a_number_or_array():
    kinds = _kinds(_number_made_array(OLD_BOUND + 5), {"x": "array"})
    assert kinds["a"] == kinds["c"] == kinds[f"b{OLD_BOUND + 4}"] == "num"


def test_a_kind_that_goes_backwards_through_a_loop_arrives():
    kinds = _kinds(_backwards_in_a_loop(3 * OLD_BOUND), {"x": "array"})
    assert kinds[f"b{3 * OLD_BOUND - 1}"] == kinds["c"] == "num"


def test_an_operand_not_known_makes_the_result_unknown_not_scalar():
    assert K.combine(["scalar", K._BOTTOM]) is None
    assert K.combine([]) is None


def test_a_name_that_is_never_known_is_unknown_and_so_is_what_reads_it():
    # SSA starts `v` as None before the loop; with that taken for `v = v` instead, u and v are
    # only ever assigned from each other, and nothing tells their kind
    text = ("def f(x, n):\n    for i in range(n):\n        u = v\n        v = u\n"
            "        c = 1.0 + v\n    return x\n")
    a = _analysed(text, {"x": "scalar", "n": "scalar"})
    stmts = list(simple_statements(a.fn.node.body))
    start = next(s for s in stmts if targets(s) == ["v"] and a.ops[id(s)].kind == "const")
    u_from_v = next(s for s in stmts if targets(s) == ["u"])
    ops = dict(a.ops)
    ops[id(start)] = ops[id(u_from_v)]       # a copy of v
    kinds = K.infer_kinds(a.fn, ops, {"x": "scalar", "n": "scalar"})
    assert kinds["u"] is None and kinds["v"] is None
    assert kinds["c"] is None                   # was "scalar"


def test_hitting_the_safety_bound_gives_the_generic_kind(monkeypatch):
    text = _number_made_array(OLD_BOUND + 5)
    unbounded = _kinds(text, {"x": "array"})
    monkeypatch.setattr(K, "_MAX_CHANGES", 1)    # a's kind changes twice: 0.0, then c * x
    bounded = _kinds(text, {"x": "array"})
    assert bounded["a"] is None and bounded["c"] is None
    assert all(bounded[n] in (unbounded[n], None) for n in unbounded)


def _evaluations(monkeypatch, text):
    a = _analysed(text, {"x": "array"})
    calls = [0]
    original = K._result_kind

    def counted(*args, **kwargs):
        calls[0] += 1
        return original(*args, **kwargs)
    monkeypatch.setattr(K, "_result_kind", counted)
    K.infer_kinds(a.fn, a.ops, {"x": "array"})
    monkeypatch.setattr(K, "_result_kind", original)
    return calls[0]


def test_each_statement_is_evaluated_a_bounded_number_of_times(monkeypatch):
    # straight-line code: once each, in order
    assert _evaluations(monkeypatch, _chain(400)) == 401
    # around a loop: the work grows with the length, not with its square
    short = _evaluations(monkeypatch, _backwards_in_a_loop(200))
    long = _evaluations(monkeypatch, _backwards_in_a_loop(400))
    assert long <= 2.2 * short


def _shape_settles_late(n):
    """b{n-1} is (3,) before the loop and A * x, (2, 3), after n passes, one statement a
    pass: infer_shapes needs n rounds to see that its shape is not known."""
    before = "".join(f"    b{k} = x * 1.0\n" for k in range(n))
    body = "".join(f"        b{k} = b{k - 1}\n" for k in range(n - 1, 0, -1))
    return (f"def f(x, A):\n{before}    for i in range({n + 1}):\n{body}        b0 = A * x\n"
            f"    c = b{n - 1} * b{n - 1}\n    d = c * x\n    return np.sum(d)\n")


def test_shapes_that_do_not_settle_in_the_bound_are_not_taken_for_certain():
    f = load(_shape_settles_late(60), {"np": np}, prefix="shapes")
    a = Analysed(normalize(f), ["x"], {"x": "array", "A": "array"},
                 arg_shapes={"x": (3,), "A": (2, 1)})
    assert "b59" not in a.shapes and "c" not in a.shapes      # were (3,), not (2, 3)
    with api.variant(specialise=True, optimize=True):
        results = check_program(Case(f, args(vec(3), mat(2, 1)), (0, 1)),
                                transforms=("vjp", "jvp", "grad"))
    assert results == {"vjp": None, "jvp": None, "grad": None}


SIZES_UNPACKED = ("def f(x):\n    n, m = x.shape\n    mean = np.sum(x, axis=0) / n\n"
                  "    z = np.zeros(m)\n    return np.sum(mean * z)\n")


def test_the_sizes_unpacked_from_a_shape_are_numbers_of_known_value():
    # `n, m = data.shape` left n and m unknown, and so everything made with them (correlation's
    # mean = ... / n, issue 23): its adjoints went through `_ad.add_at` copying the array and
    # `_ad.unbroadcast` at every step
    assert _kinds(SIZES_UNPACKED, {"x": "array"})["n"] == "scalar"
    f = load(SIZES_UNPACKED, {"np": np}, prefix="shapes")
    a = Analysed(normalize(f), ["x"], {"x": "array"}, arg_shapes={"x": (4, 3)})
    assert a.shapes["n"] == () and a.shapes["mean"] == (3,) and a.shapes["z"] == (3,)


def test_a_function_that_unpacks_a_shape_can_be_all_real():
    # all_real refused every unpack, so no kernel with `n, m = A.shape` had real cotangents
    # (and its scalar cotangents went through _ad.unbroadcast)
    a = _analysed(SIZES_UNPACKED, {"x": "array"})
    assert K.all_real(a.fn, a.ops, a.kinds, {"x": "array"})
    unpacks_a_pair = "def f(x):\n    p = (x, 1j)\n    a, b = p\n    return a * b\n"
    a = _analysed(unpacks_a_pair, {"x": "array"})
    assert not K.all_real(a.fn, a.ops, a.kinds, {"x": "array"})


HELPERS = ("def weighted(row, w):\n    total = 0.0\n    for j in range(row.shape[0]):\n"
           "        total = total + row[j] * (1.0 + w * j)\n    return total\n\n"
           "def turned(row, w):\n    return np.real(row * np.exp(1j * w))\n\n"
           "def countdown(x, k):\n    return x if k == 0 else countdown(x * 0.5, k - 1)\n\n"
           "def ping(x, k):\n    return x if k == 0 else pong(x, k - 1)\n\n"
           "def pong(x, k):\n    return ping(x * 1j, k)\n\n")


def _real_through_calls(body):
    from s2s_ad.analysis.real_calls import all_real_through_calls
    a = _analysed(HELPERS + "def f(m):\n" + body, {"m": "array"})
    return K.all_real(a.fn, a.ops, a.kinds, a.arg_kinds), all_real_through_calls(a, {})


def test_a_call_to_a_helper_with_real_values_keeps_every_value_real():
    # every call to a user function counted as complex: no kernel calling a helper (cholesky,
    # lu, heat_3d) had real cotangents, and each element written in a loop went through
    # _ad.unbroadcast (issue 23)
    n = "    n = m.shape[0]\n    out = np.zeros((n, n))\n"
    assert _real_through_calls(n + "    out[0] = weighted(m, 0.5)\n    return out\n") \
        == (False, True)
    assert _real_through_calls(n + "    out[0] = turned(m, 0.5)[0]\n    return out\n") \
        == (False, False)
    # by induction over the depth of a recursion; a mutual one found complex is not real
    assert _real_through_calls("    return countdown(m, 3)\n") == (False, True)
    assert _real_through_calls("    return ping(m, 3)\n") == (False, False)
    # the sizes in `np.zeros((n, n))` are a tuple of real numbers
    assert _real_through_calls(n + "    return out * m\n") == (True, True)


def test_the_placeholder_of_an_unbound_variable_leaves_its_kind_alone():
    # SSA binds `through` to None before the loop that first assigns it (Python would leave
    # it unbound, and floyd_warshall never reads it there); that None made its kind unknown,
    # and every cotangent of it went through _ad.zeros_like, _ad.add and _ad.unbroadcast
    text = ("def f(p):\n    n = p.shape[0]\n    for k in range(n):\n        for i in range(n):\n"
            "            through = p[i, k] + p[k, i]\n            if through < p[i, i]:\n"
            "                p[i, i] = through\n    return p\n")
    a = Analysed(normalize(load(text, {"np": np}, prefix="kinds")), ["p"], {"p": "array"},
                 arg_shapes={"p": (3, 3)})
    assert a.kinds["through"] == "scalar" and a.shapes["through"] == ()


def test_the_items_of_a_range_are_numbers():
    # generated code read back (hvp) runs `for j in reversed(range(1, m))`, which the SSA form
    # walks as `_seq = range(1, m); j = _seq[k]`: j was of unknown kind, so `p[i, j - 1]` was
    # taken for a view of p, and a write into p after it refused
    kinds = _kinds("def f(x):\n    seq = range(1, 4)\n    j = seq[2]\n    return x * j\n",
                   {"x": "array"})
    assert kinds["seq"] == "scalars" and kinds["j"] == "scalar"
