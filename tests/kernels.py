"""Loop kernels written the way scientific code is written (after the PolyBench algorithm
descriptions): explicit loops, in-place updates of arrays, a helper where natural.

Each is a Case (tests/programs.py) differentiated in every float input, at tiny sizes, on a
domain that keeps it well conditioned, and ends in a scalar so that second order applies.
tests/test_matrix.py runs them through the transform matrix with the rest of the corpus;
`make bench-kernels` (benchmarks/loop_kernels.py) times their gradients at larger sizes.
"""
import math
from dataclasses import dataclass

import numpy as np

from programs import Case, args, mat, scal, spd, vec


def dominant(n):
    """A diagonally dominant matrix: LU without pivoting is well conditioned on it."""
    def make(rng):
        return rng.uniform(-1.0, 1.0, size=(n, n)) + 2.0 * n * np.eye(n)
    return make


def unit_lower(n):
    def make(rng):
        return np.tril(rng.uniform(-1.0, 1.0, size=(n, n)), -1) + np.eye(n)
    return make


def lower(n):
    """Lower triangular, with a diagonal away from zero and rows whose off-diagonal part sums
    to at most 1 in size (forward substitution neither grows nor shrinks with n)."""
    def make(rng):
        return np.tril(rng.uniform(-1.0, 1.0, size=(n, n)), -1) / max(1, n - 1) + \
            np.diag(rng.uniform(1.5, 2.5, size=n))
    return make


def positive(shape, lo=1.0, hi=2.0):
    return lambda rng: rng.uniform(lo, hi, size=shape)


# ---- linear algebra ---------------------------------------------------------------------------

def gemver(A, u1, v1, u2, v2, y, z, alpha, beta):
    n = A.shape[0]
    B = A.copy()
    for i in range(n):
        for j in range(n):
            B[i, j] = B[i, j] + u1[i] * v1[j] + u2[i] * v2[j]
    x = np.zeros(n)
    for i in range(n):
        for j in range(n):
            x[i] = x[i] + beta * B[j, i] * y[j]
    for i in range(n):
        x[i] = x[i] + z[i]
    w = np.zeros(n)
    for i in range(n):
        for j in range(n):
            w[i] = w[i] + alpha * B[i, j] * x[j]
    return np.sum(w * w) + np.sum(x * B[0])


def mvt(A, x1, x2, y1, y2):
    # x1 and x2 are the caller's: updated in place
    n = A.shape[0]
    for i in range(n):
        for j in range(n):
            x1[i] = x1[i] + A[i, j] * y1[j]
    for i in range(n):
        for j in range(n):
            x2[i] = x2[i] + A[j, i] * y2[j]
    return np.dot(x1, x1) + np.dot(x2, x1)


def symm(alpha, beta, C, A, B):
    # C = alpha * A @ B + beta * C, A symmetric and read from its lower triangle
    C = C.copy()
    m, n = C.shape
    for i in range(m):
        for j in range(n):
            temp2 = 0.0
            for k in range(i):
                C[k, j] += alpha * B[i, j] * A[i, k]
                temp2 += B[k, j] * A[i, k]
            C[i, j] = beta * C[i, j] + alpha * B[i, j] * A[i, i] + alpha * temp2
    return np.sum(C * C)


def trmm(alpha, A, B):
    # B = alpha * A.T @ B, A unit lower triangular (its strict lower part is read)
    B = B.copy()
    m, n = B.shape
    for i in range(m):
        for j in range(n):
            for k in range(i + 1, m):
                B[i, j] += A[k, i] * B[k, j]
            B[i, j] = alpha * B[i, j]
    return np.sum(B * np.arange(B.size).reshape(B.shape))


def syrk(alpha, beta, C, A):
    # the lower triangle of C = alpha * A @ A.T + beta * C
    C = C.copy()
    n, m = A.shape
    for i in range(n):
        for j in range(i + 1):
            C[i, j] *= beta
        for k in range(m):
            for j in range(i + 1):
                C[i, j] += alpha * A[i, k] * A[j, k]
    return np.sum(C * C)


def lower_weighted(L):
    """The lower triangle's entries weighted by position."""
    n = L.shape[0]
    total = 0.0
    for i in range(n):
        for j in range(i + 1):
            total = total + L[i, j] * (1.0 + i + 2.0 * j)
    return total


def cholesky(A):
    A = A.copy()
    n = A.shape[0]
    for i in range(n):
        for j in range(i):
            for k in range(j):
                A[i, j] -= A[i, k] * A[j, k]
            A[i, j] /= A[j, j]
        for k in range(i):
            A[i, i] -= A[i, k] * A[i, k]
        A[i, i] = math.sqrt(A[i, i])
    return lower_weighted(A)


def lu_in_place(A):
    """Doolittle LU of A, in place: the unit lower factor below the diagonal, U on and above."""
    n = A.shape[0]
    for i in range(n):
        for j in range(i):
            for k in range(j):
                A[i, j] = A[i, j] - A[i, k] * A[k, j]
            A[i, j] = A[i, j] / A[j, j]
        for j in range(i, n):
            for k in range(i):
                A[i, j] = A[i, j] - A[i, k] * A[k, j]


def lu(A):
    LU = A.copy()
    lu_in_place(LU)
    return np.sum(LU * LU * np.arange(1, LU.size + 1).reshape(LU.shape))


def ludcmp(A, b):
    # solve A x = b: LU, then forward and back substitution
    n = A.shape[0]
    LU = A.copy()
    lu_in_place(LU)
    y = np.zeros(n)
    for i in range(n):
        w = b[i]
        for j in range(i):
            w = w - LU[i, j] * y[j]
        y[i] = w
    x = np.zeros(n)
    for i in range(n - 1, -1, -1):
        w = y[i]
        for j in range(i + 1, n):
            w = w - LU[i, j] * x[j]
        x[i] = w / LU[i, i]
    return np.sum(x * x) + x[0]


def durbin(r):
    # Levinson-Durbin: the Toeplitz system with first row (1, r[0], r[1], ...), right side -r
    n = r.shape[0]
    y = np.zeros(n)
    z = np.zeros(n)
    y[0] = -r[0]
    beta = 1.0
    alpha = -r[0]
    for k in range(1, n):
        beta = (1.0 - alpha * alpha) * beta
        s = 0.0
        for i in range(k):
            s += r[k - i - 1] * y[i]
        alpha = -(r[k] + s) / beta
        for i in range(k):
            z[i] = y[i] + alpha * y[k - i - 1]
        for i in range(k):
            y[i] = z[i]
        y[k] = alpha
    return np.sum(y * np.arange(1, n + 1))


def gramschmidt(A):
    # modified Gram-Schmidt: A = Q R
    A = A.copy()
    m, n = A.shape
    Q = np.zeros((m, n))
    R = np.zeros((n, n))
    for k in range(n):
        nrm = 0.0
        for i in range(m):
            nrm += A[i, k] * A[i, k]
        R[k, k] = np.sqrt(nrm)
        for i in range(m):
            Q[i, k] = A[i, k] / R[k, k]
        for j in range(k + 1, n):
            R[k, j] = 0.0
            for i in range(m):
                R[k, j] += Q[i, k] * A[i, j]
            for i in range(m):
                A[i, j] = A[i, j] - Q[i, k] * R[k, j]
    return np.sum(Q * np.arange(Q.size).reshape(Q.shape)) + np.sum(R * R)


def trisolv(L, b):
    n = b.shape[0]
    x = np.zeros(n)
    for i in range(n):
        x[i] = b[i]
        for j in range(i):
            x[i] -= L[i, j] * x[j]
        x[i] = x[i] / L[i, i]
    return np.sum(x * x * np.arange(1, n + 1))


# ---- data mining ------------------------------------------------------------------------------

def covariance(data):
    n, m = data.shape
    mean = np.zeros(m)
    for j in range(m):
        for i in range(n):
            mean[j] += data[i, j]
        mean[j] /= n
    for i in range(n):
        for j in range(m):
            data[i, j] -= mean[j]
    cov = np.zeros((m, m))
    for i in range(m):
        for j in range(i, m):
            for k in range(n):
                cov[i, j] += data[k, i] * data[k, j]
            cov[i, j] /= n - 1.0
            cov[j, i] = cov[i, j]
    return np.sum(cov * cov)


def correlation(data, eps):
    n, m = data.shape
    mean = np.sum(data, axis=0) / n
    stddev = np.zeros(m)
    for j in range(m):
        for i in range(n):
            stddev[j] += (data[i, j] - mean[j]) * (data[i, j] - mean[j])
        stddev[j] = math.sqrt(stddev[j] / n)
        if stddev[j] <= eps:
            stddev[j] = 1.0
    # centre and reduce the caller's data in place
    data -= mean
    data /= math.sqrt(n) * stddev
    corr = np.eye(m)
    for i in range(m - 1):
        for j in range(i + 1, m):
            corr[i, j] = 0.0
            for k in range(n):
                corr[i, j] += data[k, i] * data[k, j]
            corr[j, i] = corr[i, j]
    return np.sum(corr * np.arange(1, m * m + 1).reshape(m, m))


# ---- stencils ---------------------------------------------------------------------------------

def adi(u, mu):
    # one step of alternating direction implicit: a tridiagonal solve (Thomas algorithm)
    # along every column, then along every row; the boundaries stay at 1
    u = u.copy()
    n = u.shape[0]
    a = -mu
    b = 1.0 + 2.0 * mu
    c = -mu
    v = np.ones((n, n))
    p = np.zeros((n, n))
    q = np.zeros((n, n))
    for i in range(1, n - 1):
        q[i, 0] = 1.0
        for j in range(1, n - 1):
            p[i, j] = -c / (a * p[i, j - 1] + b)
            q[i, j] = (mu * u[j, i - 1] + (1.0 - 2.0 * mu) * u[j, i] + mu * u[j, i + 1]
                       - a * q[i, j - 1]) / (a * p[i, j - 1] + b)
        for j in range(n - 2, 0, -1):
            v[j, i] = p[i, j] * v[j + 1, i] + q[i, j]
    for i in range(1, n - 1):
        q[i, 0] = 1.0
        for j in range(1, n - 1):
            p[i, j] = -c / (a * p[i, j - 1] + b)
            q[i, j] = (mu * v[i - 1, j] + (1.0 - 2.0 * mu) * v[i, j] + mu * v[i + 1, j]
                       - a * q[i, j - 1]) / (a * p[i, j - 1] + b)
        for j in range(n - 2, 0, -1):
            u[i, j] = p[i, j] * u[i, j + 1] + q[i, j]
    return np.sum(u * u * np.arange(u.size).reshape(u.shape))


def seidel_2d(A):
    A = A.copy()
    n = A.shape[0]
    for t in range(2):
        for i in range(1, n - 1):
            for j in range(1, n - 1):
                A[i, j] = (A[i - 1, j - 1] + A[i - 1, j] + A[i - 1, j + 1]
                           + A[i, j - 1] + A[i, j] + A[i, j + 1]
                           + A[i + 1, j - 1] + A[i + 1, j] + A[i + 1, j + 1]) / 9.0
    return np.sum(A * A * np.arange(A.size).reshape(A.shape))


def jacobi_2d(A, B):
    A = A.copy()
    B = B.copy()
    n = A.shape[0]
    for t in range(2):
        for i in range(1, n - 1):
            for j in range(1, n - 1):
                B[i, j] = 0.2 * (A[i, j] + A[i, j - 1] + A[i, j + 1] + A[i + 1, j] + A[i - 1, j])
        for i in range(1, n - 1):
            for j in range(1, n - 1):
                A[i, j] = 0.2 * (B[i, j] + B[i, j - 1] + B[i, j + 1] + B[i + 1, j] + B[i - 1, j])
    return np.sum(A * A) + np.sum(A * B)


def heat_step(src, dst):
    n1, n2, n3 = src.shape
    for i in range(1, n1 - 1):
        for j in range(1, n2 - 1):
            for k in range(1, n3 - 1):
                dst[i, j, k] = (0.125 * (src[i + 1, j, k] - 2.0 * src[i, j, k] + src[i - 1, j, k])
                                + 0.125 * (src[i, j + 1, k] - 2.0 * src[i, j, k] + src[i, j - 1, k])
                                + 0.125 * (src[i, j, k + 1] - 2.0 * src[i, j, k] + src[i, j, k - 1])
                                + src[i, j, k])


def heat_3d(A):
    A = A.copy()
    B = A.copy()
    heat_step(A, B)
    heat_step(B, A)
    return np.sum(A * A * np.arange(A.size).reshape(A.shape))


# ---- filters and graphs -----------------------------------------------------------------------

def deriche(img, alpha):
    # recursive (IIR) edge-preserving smoothing: causal and anti-causal passes along rows,
    # then along columns
    w, h = img.shape
    e = math.exp(-alpha)
    k = (1.0 - e) * (1.0 - e) / (1.0 + 2.0 * alpha * e - math.exp(-2.0 * alpha))
    a1 = k
    a2 = k * e * (alpha - 1.0)
    a3 = k * e * (alpha + 1.0)
    a4 = -k * math.exp(-2.0 * alpha)
    b1 = 2.0 * e
    b2 = -math.exp(-2.0 * alpha)
    y1 = np.zeros((w, h))
    y2 = np.zeros((w, h))
    for i in range(w):
        ym1 = 0.0
        ym2 = 0.0
        xm1 = 0.0
        for j in range(h):
            y1[i, j] = a1 * img[i, j] + a2 * xm1 + b1 * ym1 + b2 * ym2
            xm1 = img[i, j]
            ym2 = ym1
            ym1 = y1[i, j]
    for i in range(w):
        yp1 = 0.0
        yp2 = 0.0
        xp1 = 0.0
        xp2 = 0.0
        for j in range(h - 1, -1, -1):
            y2[i, j] = a3 * xp1 + a4 * xp2 + b1 * yp1 + b2 * yp2
            xp2 = xp1
            xp1 = img[i, j]
            yp2 = yp1
            yp1 = y2[i, j]
    tmp = y1 + y2
    out = np.zeros((w, h))
    for j in range(h):
        ym1 = 0.0
        ym2 = 0.0
        for i in range(w):
            out[i, j] = a1 * tmp[i, j] + b1 * ym1 + b2 * ym2
            ym2 = ym1
            ym1 = out[i, j]
    return np.sum(out * out)


def floyd_warshall(weights):
    # min/plus relaxation: shortest paths (differentiable in the weights away from ties)
    path = weights.copy()
    n = path.shape[0]
    for k in range(n):
        for i in range(n):
            for j in range(n):
                through = path[i, k] + path[k, j]
                if through < path[i, j]:
                    path[i, j] = through
    return np.sum(path * np.arange(1, n * n + 1).reshape(n, n))


# ---- a trace loop (issue 23's minimal case) ---------------------------------------------------

def go_fast(a):
    trace = 0.0
    for i in range(a.shape[0]):
        trace += np.tanh(a[i, i])
    return np.sum(a + trace)


@dataclass
class Kernel:
    """A kernel, its domain at size n, and the size the transform matrix checks it at.

    `inputs(n)` is rng -> arguments; benchmarks/loop_kernels.py times the same kernels on the
    same domains at larger n (its SIZES), so the kernels are written once, here.
    """
    fn: object
    inputs: object         # n -> (rng -> tuple of arguments)
    wrt: tuple
    tiny: int              # the size of the correctness checks

    @property
    def name(self):
        return self.fn.__name__

    def case(self, n=None):
        return Case(self.fn, self.inputs(self.tiny if n is None else n), self.wrt)


def durbin_r(n):
    """Toeplitz coefficients decaying as 2**-k: the matrix (1, r0, r1, ...) stays diagonally
    dominant at any n, so the recursion's beta stays away from zero."""
    return lambda rng: rng.uniform(-0.2, 0.2, size=n) * 0.5 ** np.arange(n)


SIZED = [
    Kernel(gemver, lambda n: args(mat(n, n), vec(n), vec(n), vec(n), vec(n), vec(n), vec(n),
                                  scal(0.5, 1.5), scal(0.5, 1.5)), tuple(range(9)), 3),
    Kernel(mvt, lambda n: args(mat(n, n), vec(n), vec(n), vec(n), vec(n)), (0, 1, 2, 3, 4), 3),
    Kernel(symm, lambda n: args(scal(0.5, 1.5), scal(0.5, 1.5), mat(n, n + 1), mat(n, n),
                                mat(n, n + 1)), (0, 1, 2, 3, 4), 3),
    Kernel(trmm, lambda n: args(scal(0.5, 1.5), unit_lower(n), mat(n, n + 1)), (0, 1, 2), 3),
    Kernel(syrk, lambda n: args(scal(0.5, 1.5), scal(0.5, 1.5), mat(n, n), mat(n, n + 1)),
           (0, 1, 2, 3), 3),
    Kernel(cholesky, lambda n: args(spd(n)), (0,), 4),
    Kernel(lu, lambda n: args(dominant(n)), (0,), 4),
    Kernel(ludcmp, lambda n: args(dominant(n), vec(n)), (0, 1), 4),
    Kernel(durbin, lambda n: args(durbin_r(n)), (0,), 4),
    Kernel(gramschmidt, lambda n: args(mat(n, n - 1)), (0,), 4),
    Kernel(trisolv, lambda n: args(lower(n), vec(n)), (0, 1), 4),
    Kernel(covariance, lambda n: args(mat(n, n - 1)), (0,), 4),
    Kernel(correlation, lambda n: args(mat(n, n - 1), 0.1), (0, 1), 4),
    Kernel(adi, lambda n: args(mat(n, n), scal(0.2, 0.5)), (0, 1), 4),
    Kernel(seidel_2d, lambda n: args(mat(n, n)), (0,), 4),
    Kernel(jacobi_2d, lambda n: args(mat(n, n), mat(n, n)), (0, 1), 4),
    Kernel(heat_3d, lambda n: args(lambda rng: rng.uniform(-1.0, 1.0, size=(n, n, n + 1))),
           (0,), 3),
    Kernel(deriche, lambda n: args(mat(n, n + 1), scal(0.5, 1.5)), (0, 1), 3),
    Kernel(floyd_warshall, lambda n: args(positive((n, n))), (0,), 4),
    Kernel(go_fast, lambda n: args(mat(n, n)), (0,), 4),
]

KERNELS = [k.case() for k in SIZED]
