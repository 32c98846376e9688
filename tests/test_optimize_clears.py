"""keep_unchanged_parts (optimize/clears.py): an owned adjoint's part that is cleared and then
given back the value it held is left as it is."""
import numpy as np

import s2s_ad as ad
from s2s_ad import api
from s2s_ad.backend import optimize

from optimize_cases import lines
from programs import update_with_a_repeated_index

UPDATE = """
    def f(A, A_bar, i, j, k, _tape):
        g = _ad.copy_of(A_bar[i, j])
        A_bar[i, j] = 0.0
        A[i, j] = _tape.pop()
        h = -g
        A_bar[j, k] += h * A[i, k]
        A_bar[i, k] += h * A[j, k]
        A_bar[i, j] += g
        return A_bar
    """


def test_the_adjoint_of_an_update_keeps_the_part():
    # `A[i, j] -= A[i, k] * A[j, k]`: the part's cotangent is taken, and nothing is written
    # back into it; the updates of A_bar[j, k] and A_bar[i, k] may be the same part (j == i)
    # and add to it in any order
    assert lines(optimize.keep_unchanged_parts, UPDATE, tape="_tape", owned=("A_bar",)) == [
        "g = _ad.copy_of(A_bar[i, j])", "A[i, j] = _tape.pop()", "h = -g",
        "A_bar[j, k] += h * A[i, k]", "A_bar[i, k] += h * A[j, k]", "return A_bar"]


def _kept(text, owned=("A_bar",)):
    """Does the pass leave the clear where it is?"""
    return "A_bar[i, j] = 0.0" in lines(optimize.keep_unchanged_parts, text, tape="_tape",
                                        owned=owned)


def test_only_a_clear_the_generator_marked_is_dropped():
    # an unmarked clear may be of an array another name refers to (a user's code read back)
    assert _kept(UPDATE, owned=())


def test_a_read_of_the_array_in_between_keeps_the_clear():
    # `A_bar[j, k]` may be the cleared part: it must read 0.0 there
    assert _kept(UPDATE.replace("h = -g", "h = -g * A_bar[j, k]"))
    assert _kept(UPDATE.replace("A_bar[j, k] += h * A[i, k]", "A_bar[j, k] *= h"))
    assert _kept(UPDATE.replace("A_bar[j, k] += h * A[i, k]", "A_bar[j, k] = h"))


def test_a_rebound_index_or_value_keeps_the_clear():
    assert _kept(UPDATE.replace("h = -g", "j = k"))            # another part at the add-back
    assert _kept(UPDATE.replace("h = -g", "g = 2.0 * g"))      # another value
    assert _kept(UPDATE.replace("h = -g", "A_bar = np.array(A_bar)"))


def test_a_value_that_may_change_keeps_the_clear():
    # g's array in another name, changed in place there; g changed through an index
    assert _kept(UPDATE.replace("h = -g", "h = g").replace("A_bar[i, k] += h * A[j, k]",
                                                            "h[0] += 1.0"))
    assert _kept(UPDATE.replace("h = -g", "h = -g\n        g[0] = 1.0"))
    assert _kept(UPDATE.replace("h = -g", "h = np.reshape(g, (1,))"))


def test_unknown_code_in_between_keeps_the_clear():
    assert _kept(UPDATE.replace("h = -g", "h = helper(g)"))
    assert _kept(UPDATE.replace("h = -g", "h = -g\n        for k in range(3):\n            h = h * 2.0"))


def test_the_generated_gradient_of_updates_keeps_the_part():
    x = np.array([0.5, -0.2, 0.8])
    text = ad.source(update_with_a_repeated_index, "grad", example=(x,))
    assert "x_1_bar[i] = 0.0" not in text
    with api.variant(optimize=False):
        expected = ad.grad(update_with_a_repeated_index)(x)
    np.testing.assert_allclose(ad.grad(update_with_a_repeated_index)(x), expected, rtol=1e-12)
