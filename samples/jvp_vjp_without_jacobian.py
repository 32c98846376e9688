"""JVP and VJP: products with the Jacobian that never form it; Jacobians built from them.

Idea: for f: R^n -> R^m with Jacobian J (m x n),
  * a JVP (forward mode) gives J @ v for one input direction v, at about the cost of one call of f;
  * a VJP (reverse mode) gives u @ J for one output weighting u, at a small constant times f.
Neither forms J: the generated code below has no m x n array in it. A whole Jacobian then
costs n JVPs (v = each unit vector e_j gives column j: that is `ad.jacfwd`) or m VJPs
(u = each unit vector e_i gives row i: that is `ad.jacrev`). This script builds J both ways
by hand and compares with ad.jacfwd, ad.jacrev and with J @ v, u @ J.

Input domain: any real x of length n; W is (m, n).
"""
import numpy as np

import s2s_ad as ad


def f(x, W):
    return np.tanh(W @ x) * np.sum(x * x)


def main(n=4, m=3):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(n)
    W = rng.standard_normal((m, n))
    v = rng.standard_normal(n)          # an input direction
    u = rng.standard_normal(m)          # an output weighting

    print("# JVP: y_dot = J @ x_dot, computed statement by statement")
    print(ad.source(f, "jvp", wrt="x", example=(x, W)))
    print("# VJP: x_bar = out_bar @ J, computed statement by statement backwards")
    print(ad.source(f, "vjp", wrt="x", example=(x, W)))

    J = ad.jacfwd(f, wrt="x")(x, W)
    assert J.shape == (m, n)

    y, Jv = ad.jvp(f, (x, W), (v, None))          # no tangent for W: it is held fixed
    np.testing.assert_allclose(y, f(x, W), rtol=1e-12)
    np.testing.assert_allclose(Jv, J @ v, rtol=1e-10, atol=1e-12)

    y, pullback = ad.vjp(f, x, W, wrt="x")
    (uJ,) = pullback(u)
    np.testing.assert_allclose(uJ, u @ J, rtol=1e-10, atol=1e-12)
    print("jvp == J @ v and vjp == u @ J")

    # J column by column: n forward sweeps, one per input e_j.
    columns = []
    for e_j in np.eye(n):
        _, column = ad.jvp(f, (x, W), (e_j, None))
        columns.append(column)
    J_by_columns = np.column_stack(columns)

    # J row by row: m reverse sweeps (calls of the pullback), one per output e_i.
    rows = [pullback(e_i)[0] for e_i in np.eye(m)]
    J_by_rows = np.vstack(rows)

    print(f"{n} JVPs gave J column by column, {m} VJPs gave it row by row:")
    with np.printoptions(precision=4, suppress=True):
        print(J_by_columns)
    np.testing.assert_allclose(J_by_columns, J, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(J_by_rows, J, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ad.jacrev(f, wrt="x")(x, W), J, rtol=1e-10, atol=1e-12)
    assert len(columns) == n and len(rows) == m
    return J


if __name__ == "__main__":
    main()
