"""propagate_copies (optimize/copies.py): `a = b`, `a = 1.0` and `a = -b` go into the uses of a."""
from s2s_ad.backend import optimize

from optimize_cases import lines, run


def test_propagate_copies():
    out = run(optimize.propagate_copies, """
        def f(x_bar, y):
            a_bar = x_bar
            b = a_bar * y
            return b
        """)
    assert out == "def f(x_bar, y):\n    b = x_bar * y\n    return b\n"


def test_copy_is_kept_when_the_source_changes_in_between():
    text = """
        def f(x, y):
            a = x
            x = y
            return a
        """
    assert "a = x" in run(optimize.propagate_copies, text)


def test_a_copy_and_its_copy_back_both_go():
    out = run(optimize.propagate_copies, """
        def f(z_bar, c):
            for i in range(3):
                z_1_bar = z_bar
                z_bar = z_1_bar
                d_bar = c * z_1_bar
                z_bar = z_bar + d_bar
            return z_bar
        """)
    assert out == ("def f(z_bar, c):\n    for i in range(3):\n        d_bar = c * z_bar\n"
                   "        z_bar = z_bar + d_bar\n    return z_bar\n")


def test_a_first_value_goes_into_its_first_update():
    out = run(optimize.propagate_copies, """
        def f(b, c, d):
            a = b
            e = c * d
            a = a + e
            return a
        """)
    assert out == "def f(b, c, d):\n    e = c * d\n    a = b + e\n    return a\n"


def test_a_constant_goes_to_its_uses_and_is_folded_there():
    out = run(optimize.propagate_copies, """
        def f(h):
            h_1 = np.tanh(h)
            out_bar = 1.0
            h_bar = 2 * (out_bar * h_1)
            g = out_bar * 100.0 * 2 * h_1
            return h_bar + g
        """)
    assert out == ("def f(h):\n    h_1 = np.tanh(h)\n    h_bar = 2.0 * h_1\n"
                   "    g = 200.0 * h_1\n    return h_bar + g\n")


def test_a_negated_copy_goes_where_its_sign_folds_away():
    out = run(optimize.propagate_copies, """
        def f(g, y, z, beta_bar, z_bar):
            _t4_bar = -g
            beta_bar = beta_bar + _t4_bar * z
            z_bar = z_bar + _t4_bar * y
            return beta_bar, z_bar
        """)
    assert out == ("def f(g, y, z, beta_bar, z_bar):\n    beta_bar = beta_bar - g * z\n"
                   "    z_bar = z_bar - g * y\n    return (beta_bar, z_bar)\n")


def test_a_negated_copy_stays_before_a_write_into_its_operand():
    # `w_dot = -v_dot` is a new array: read after `v_dot[-1] = ...` (or a call that may write
    # into v_dot), `-v_dot` is no longer it (issue 17, fuzz program 7465)
    for write in ("v_dot[-1] = t", "upd_jvp(b=v, b_dot=v_dot)"):
        text = f"""
            def f(v, v_dot, t):
                w_dot = -v_dot
                {write}
                out_dot = v_dot * v + w_dot * v
                return out_dot
            """
        assert run(optimize.propagate_copies, text) == run(lambda node, keep: node, text)
    # the last use may write, after computing its value
    out = run(optimize.propagate_copies, """
        def f(v_dot, t):
            w_dot = -v_dot
            v_dot[-1] = t + w_dot * t
            return v_dot
        """)
    assert out == "def f(v_dot, t):\n    v_dot[-1] = t - v_dot * t\n    return v_dot\n"


def test_a_negated_copy_stays_where_its_sign_would_not_fold():
    text = """
        def f(g, z, beta_bar):
            _t4_bar = -g
            beta_bar = beta_bar + _t4_bar * z
            w = np.exp(_t4_bar)
            return beta_bar, w
        """
    assert "_t4_bar = -g" in run(optimize.propagate_copies, text)


def test_a_temporary_copied_into_a_variable_is_named_after_it():
    out = run(optimize.propagate_copies, """
        def f(x, n, x_dot):
            y = 0.0
            y_dot = 0.0
            for i in range(n):
                _t0_dot = y_dot * x + x_dot * y
                y = y * x + 1.0
                y_dot = _t0_dot
                y_dot = y_dot
            return y_dot
        """)
    assert "        y_dot = y_dot * x + x_dot * y\n        y = y * x + 1.0\n    return" in out


def test_a_copy_of_itself_goes():
    assert lines(optimize.propagate_copies, """
        def f(x):
            a = x * 2.0
            a = a
            return a
        """) == ["a = x * 2.0", "return a"]


def test_a_temporary_tuple_of_constants_goes_to_its_uses():
    # the SSA form's `_t0 = ('a', 'b')` (a record's field names) reads better where it is used
    out = run(optimize.propagate_copies, """
        def f(x, y):
            _t0 = ('a', 'b')
            p = _ad.record(P, _t0, (x, y))
            q = _ad.record_fields(p, _t0)
            return q
        """)
    assert "_t0" not in out
    assert "p = _ad.record(P, ('a', 'b'), (x, y))" in out
    assert "q = _ad.record_fields(p, ('a', 'b'))" in out


def test_a_users_tuple_of_constants_keeps_its_name():
    text = """
        def f(x):
            shape = (2, 4)
            return np.zeros(shape) + x
        """
    assert "shape = (2, 4)" in run(optimize.propagate_copies, text)
