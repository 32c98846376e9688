"""Forward or reverse mode? Count the sweeps: jacfwd needs one per input, jacrev one per output.

Idea: for f: R^n -> R^m, `ad.jacfwd` runs n JVPs (one per input direction) and `ad.jacrev`
runs m VJPs (one per output). Each sweep costs a small constant times one call of f, so forward
mode wins when n << m (tall Jacobians) and reverse mode wins when n >> m (wide Jacobians;
gradients, m = 1, are the extreme case). s2s_ad runs the n (or m) sweeps as one generated call
whose tangents carry a leading batch axis of size n (or m), so the count shows up as the size
of the arrays in that call; on small problems the fixed cost of the call hides it. This
script counts the sweeps each way (asserted) and times ad.jacfwd and ad.jacrev on a wide and a
tall problem of growing size (reported, not asserted: timings depend on the machine). If
matplotlib is installed and a path is given, the timings are also saved as a PNG plot
(`python forward_vs_reverse_cost.py [PLOT.png]`).

Input domain: any real x; A is a fixed (m, n) matrix.
"""
import os
import sys
import tempfile
import time

import numpy as np

import s2s_ad as ad


def f(x, A):
    return np.tanh(A @ x) * np.sum(x * x)


def jacobian_by_jvps(x, A):
    """J column by column; returns (J, number of forward sweeps)."""
    columns = [ad.jvp(f, (x, A), (e, None))[1] for e in np.eye(x.size)]
    return np.column_stack(columns), len(columns)


def jacobian_by_vjps(x, A):
    """J row by row; returns (J, number of reverse sweeps)."""
    y, pullback = ad.vjp(f, x, A, wrt="x")
    rows = [pullback(e)[0] for e in np.eye(y.size)]
    return np.vstack(rows), len(rows)


def best_time(fn, *args, repeat=3):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn(*args)
        best = min(best, time.perf_counter() - start)
    return best


def main(sizes=(10, 50, 200), small=2, repeat=3, plot_path=None):
    rng = np.random.default_rng(0)
    print(ad.source(f, "jvp", wrt="x", example=(np.ones(small), np.ones((small, small)))))
    print(ad.source(f, "vjp", wrt="x", example=(np.ones(small), np.ones((small, small)))))

    jacfwd, jacrev = ad.jacfwd(f, wrt="x"), ad.jacrev(f, wrt="x")
    rows = []
    print(f"{'shape':>14} {'JVPs':>5} {'VJPs':>5} {'jacfwd ms':>10} {'jacrev ms':>10}  faster")
    for big in sizes:
        for n, m in ((big, small), (small, big)):          # wide: R^big -> R^small; tall: reverse
            x = rng.standard_normal(n)
            A = rng.standard_normal((m, n)) / np.sqrt(n)
            J_fwd, jvps = jacobian_by_jvps(x, A)
            J_rev, vjps = jacobian_by_vjps(x, A)
            assert (jvps, vjps) == (n, m)                   # the cost model, exactly
            np.testing.assert_allclose(J_fwd, J_rev, rtol=1e-10, atol=1e-12)
            np.testing.assert_allclose(jacfwd(x, A), J_fwd, rtol=1e-10, atol=1e-12)
            np.testing.assert_allclose(jacrev(x, A), J_fwd, rtol=1e-10, atol=1e-12)
            t_fwd = best_time(jacfwd, x, A, repeat=repeat)
            t_rev = best_time(jacrev, x, A, repeat=repeat)
            faster = "jacfwd" if t_fwd < t_rev else "jacrev"
            rows.append((n, m, t_fwd, t_rev))
            print(f"{f'R^{n} -> R^{m}':>14} {jvps:>5} {vjps:>5} {1e3 * t_fwd:>10.3f} "
                  f"{1e3 * t_rev:>10.3f}  {faster}")
    if plot_path is not None:
        save_plot(rows, small, plot_path)
    return rows


def save_plot(rows, small, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib is not installed: no plot)")
        return
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.5), sharey=True)
    for ax, wide in zip(axes, (True, False)):
        sel = [r for r in rows if (r[1] == small) == wide and r[0] != r[1]]
        sizes = [r[0] if wide else r[1] for r in sel]
        ax.loglog(sizes, [1e3 * r[2] for r in sel], "o-", label="jacfwd (n JVPs)")
        ax.loglog(sizes, [1e3 * r[3] for r in sel], "s-", label="jacrev (m VJPs)")
        ax.set_title(f"R^N -> R^{small}" if wide else f"R^{small} -> R^N")
        ax.set_xlabel("N")
        ax.legend()
    axes[0].set_ylabel("time (ms)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"plot saved to {path}")


if __name__ == "__main__":
    main(plot_path=sys.argv[1] if len(sys.argv) > 1
         else os.path.join(tempfile.gettempdir(), "forward_vs_reverse_cost.png"))
