"""floating_names (optimize/floating.py): the names that certainly hold floats, which decide
where `1.0 * e` may fold to `e`."""
from s2s_ad.backend import optimize

from optimize_cases import function


def test_floating_names_follow_assignments_and_loops():
    node = function("""
        def f(x, n, _tape):
            y = 0.0
            for i in range(n):
                y = y * x + 1.0
            s = np.sin(x)
            k = n + 1
            m = s
            m = k
            y = _tape.pop()
            return y
        """, tape="_tape")
    # y: a float constant, then arithmetic with itself (a tape pop restores a value y held);
    # s: a NumPy float function; k: ints; m: once a float, once an int; x, n: parameters
    assert optimize.floating_names(node) == {"y", "s"}


def test_a_value_from_a_users_list_is_not_known_to_be_a_float():
    text = """
        def f(x, _tape):
            y = 0.0
            y = _tape.pop()
            return y
        """
    assert optimize.floating_names(function(text, tape="_tape")) == {"y"}
    assert optimize.floating_names(function(text)) == set()    # a user's list may hold ints
