"""Rules for `np.linalg`'s matrix functions (its products: numpy_product_rules.py).

Matrix functions work on the last two axes and broadcast over the leading ones, like NumPy.
`cholesky`, `eigh` and `eigvalsh` read one triangle of a matrix as a symmetric one, as NumPy
does: their cotangents are on that triangle, and the other triangle has no derivative.
`svd` assumes distinct singular values and `full_matrices=False` (or a square matrix); `eigh`
assumes distinct eigenvalues; `qr` covers modes 'reduced' and 'r' of any shape; `pinv` assumes
full rank.  `eig` and `eigvals` take real or complex matrices with distinct eigenvalues and
give complex derivatives (the convention of `s2s_ad.rules`); the others take real matrices.  A
form the rules do not cover raises when the rule runs.

Contents:
    linear algebra    inv det slogdet solve cholesky eigh eigvalsh eig eigvals svd svdvals pinv
                      qr lstsq matrix_power linalg.trace
"""
import numpy as np

from s2s_ad import runtime as _ad
from s2s_ad.rules.registry import deffacts, defjvp, defstructural, defvjp

# ---- linear algebra ----

defvjp(np.linalg.inv,
       lambda g, ans, a: -np.matmul(np.matmul(np.swapaxes(ans, -1, -2), g),
                                    np.swapaxes(ans, -1, -2)))
defjvp(np.linalg.inv, lambda t, ans, a: -np.matmul(np.matmul(ans, t), ans))
defvjp(np.linalg.det,
       lambda g, ans, a: np.expand_dims(g * ans, (-1, -2))
       * np.swapaxes(np.linalg.inv(a), -1, -2))
defjvp(np.linalg.det,
       lambda t, ans, a: ans * np.trace(np.linalg.solve(a, t), axis1=-2, axis2=-1))
# slogdet returns (sign, logabsdet); the sign is locally constant.
defvjp(np.linalg.slogdet,
       lambda g, ans, a: np.expand_dims(g[1], (-1, -2)) * np.swapaxes(np.linalg.inv(a), -1, -2))
defjvp(np.linalg.slogdet,
       lambda t, ans, a: _ad.tuple_like(ans, (_ad.zeros_like(ans[0]), np.trace(
           np.linalg.solve(a, t), axis1=-2, axis2=-1))))
deffacts(np.linalg.slogdet, kind="tuple")


# solve(a, b): b is one vector when b.ndim == 1, else a stack of matrices (NumPy 2 rule).
def _solve_vjp_a(g, ans, a, b):
    at = np.swapaxes(a, -1, -2)
    lam = (np.linalg.solve(at, g[..., None])[..., 0] if np.ndim(b) == 1
           else np.linalg.solve(at, g))
    return -_ad.unbroadcast(lam[..., :, None] * ans[..., None, :] if np.ndim(b) == 1
                            else np.matmul(lam, np.swapaxes(ans, -1, -2)), a)


def _solve_vjp_b(g, ans, a, b):
    at = np.swapaxes(a, -1, -2)
    return _ad.unbroadcast(np.linalg.solve(at, g[..., None])[..., 0] if np.ndim(b) == 1
                           else np.linalg.solve(at, g), b)


def _solve_jvp_a(t, ans, a, b):
    return -(np.linalg.solve(a, np.matmul(t, ans[..., None]))[..., 0] if np.ndim(b) == 1
             else np.linalg.solve(a, np.matmul(t, ans)))


defvjp(np.linalg.solve, _solve_vjp_a, _solve_vjp_b)
defjvp(np.linalg.solve, _solve_jvp_a, lambda t, ans, a, b: np.linalg.solve(a, t))


# cholesky, eigh and eigvalsh read one triangle of `a` (the lower one, or the upper one for
# `upper=True` / `UPLO="U"`) as a symmetric matrix: they compute f(sym(a)) with
# sym(a) = tril(a) + tril(a, -1)^T.  The tangent of that is f's along sym(t), and a symmetric
# cotangent G of f becomes tril(G + G^T) - diag(G) (the other triangle gets none).


# cholesky: s = L L^T.  With phi(X) = tril(X) - diag(X)/2:
#   VJP  S = L^-T phi(L^T gL) L^-1, symmetric part G = (S + S^T) / 2;  JVP  dL = L phi(L^-1 ds L^-T).
# upper=True returns U = L^T and reads the upper triangle.
def _cholesky_vjp(g, ans, a, upper=False):
    eye = np.eye(np.shape(a)[-1], dtype=np.result_type(a, np.float32))
    low = np.swapaxes(ans, -1, -2) if upper else ans
    p = np.matmul(np.swapaxes(low, -1, -2), np.swapaxes(g, -1, -2) if upper else g)
    p = np.tril(p) - 0.5 * p * eye
    s = np.linalg.solve(np.swapaxes(low, -1, -2),
                        np.swapaxes(np.linalg.solve(np.swapaxes(low, -1, -2),
                                                    np.swapaxes(p, -1, -2)), -1, -2))
    both = 0.5 * (s + np.swapaxes(s, -1, -2))
    return (np.triu(both + np.swapaxes(both, -1, -2)) if upper
            else np.tril(both + np.swapaxes(both, -1, -2))) - both * eye


def _cholesky_jvp(t, ans, a, upper=False):
    eye = np.eye(np.shape(a)[-1], dtype=np.result_type(a, np.float32))
    low = np.swapaxes(ans, -1, -2) if upper else ans
    ts = (np.triu(t) + np.swapaxes(np.triu(t, 1), -1, -2) if upper
          else np.tril(t) + np.swapaxes(np.tril(t, -1), -1, -2))
    x = np.linalg.solve(low, np.swapaxes(np.linalg.solve(low, np.swapaxes(ts, -1, -2)), -1, -2))
    dl = np.matmul(low, np.tril(x) - 0.5 * x * eye)
    return np.swapaxes(dl, -1, -2) if upper else dl


defvjp(np.linalg.cholesky, _cholesky_vjp)
defjvp(np.linalg.cholesky, _cholesky_jvp)


# eigh: sym(a) = V diag(w) V^T.  F[i, j] = 1 / (w[j] - w[i]) off the diagonal, 0 on it.
def _eigh_vjp(g, ans, a, UPLO="L"):
    w, v = ans[0], ans[1]
    eye = np.eye(np.shape(a)[-1], dtype=np.result_type(a, np.float32))
    f = 1.0 / (w[..., None, :] - w[..., :, None] + eye) - eye
    vt = np.swapaxes(v, -1, -2)
    inner = np.expand_dims(g[0], -1) * eye + f * np.matmul(vt, g[1])
    x = np.matmul(np.matmul(v, inner), vt)
    both = 0.5 * (x + np.swapaxes(x, -1, -2))
    return (np.triu(both + np.swapaxes(both, -1, -2)) if UPLO == "U" or UPLO == "u"
            else np.tril(both + np.swapaxes(both, -1, -2))) - both * eye


def _eigh_jvp(t, ans, a, UPLO="L"):
    w, v = ans[0], ans[1]
    eye = np.eye(np.shape(a)[-1], dtype=np.result_type(a, np.float32))
    f = 1.0 / (w[..., None, :] - w[..., :, None] + eye) - eye
    ts = (np.triu(t) + np.swapaxes(np.triu(t, 1), -1, -2) if UPLO == "U" or UPLO == "u"
          else np.tril(t) + np.swapaxes(np.tril(t, -1), -1, -2))
    vtv = np.matmul(np.matmul(np.swapaxes(v, -1, -2), ts), v)
    return _ad.tuple_like(ans, (np.diagonal(vtv, 0, -2, -1), np.matmul(v, f * vtv)))


defvjp(np.linalg.eigh, _eigh_vjp)
defjvp(np.linalg.eigh, _eigh_jvp)
deffacts(np.linalg.eigh, kind="tuple")


# svd: a = U diag(s) Vh with k = min(m, n) singular values (reduced factors).  The factors of
# full_matrices=True of a matrix that is not square have columns beyond the k-th that are not
# unique (any basis of what a misses): `_ad.reduced_svd` refuses them when it runs.
def _svd_vjp(g, ans, a, full_matrices=True, compute_uv=True, hermitian=False):
    usv = (ans if compute_uv and _ad.reduced_svd(a, full_matrices)
           else np.linalg.svd(a, full_matrices=False))
    u, s, vh = usv[0], usv[1], usv[2]
    gu = g[0] if compute_uv else 0.0 * u
    gs = g[1] if compute_uv else g
    gvh = g[2] if compute_uv else 0.0 * vh
    k = np.shape(s)[-1]
    eye = np.eye(k, dtype=np.result_type(a, np.float32))
    s2 = s * s
    f = 1.0 / (s2[..., None, :] - s2[..., :, None] + eye) - eye
    ut, v = np.swapaxes(u, -1, -2), np.swapaxes(vh, -1, -2)
    gv = np.swapaxes(gvh, -1, -2)
    utgu = np.matmul(ut, gu)
    vtgv = np.matmul(vh, gv)
    core = (np.matmul(f * (utgu - np.swapaxes(utgu, -1, -2)), s[..., None] * eye)
            + np.expand_dims(gs, -1) * eye
            + np.matmul(s[..., None] * eye, f * (vtgv - np.swapaxes(vtgv, -1, -2))))
    out = np.matmul(np.matmul(u, core), vh)
    sinv = 1.0 / s
    out = out + np.matmul((gu - np.matmul(u, utgu)) * sinv[..., None, :], vh)
    out = out + np.matmul(u * sinv[..., None, :], np.swapaxes(gv - np.matmul(v, vtgv), -1, -2))
    return out


def _svd_jvp(t, ans, a, full_matrices=True, compute_uv=True, hermitian=False):
    usv = (ans if compute_uv and _ad.reduced_svd(a, full_matrices)
           else np.linalg.svd(a, full_matrices=False))
    u, s, vh = usv[0], usv[1], usv[2]
    k = np.shape(s)[-1]
    eye = np.eye(k, dtype=np.result_type(a, np.float32))
    s2 = s * s
    f = 1.0 / (s2[..., None, :] - s2[..., :, None] + eye) - eye
    ut, v = np.swapaxes(u, -1, -2), np.swapaxes(vh, -1, -2)
    dp = np.matmul(np.matmul(ut, t), v)
    ds = np.diagonal(dp, 0, -2, -1)
    sd = s[..., None] * eye
    du_core = f * (np.matmul(dp, sd) + np.matmul(sd, np.swapaxes(dp, -1, -2)))
    dv_core = f * (np.matmul(sd, dp) + np.matmul(np.swapaxes(dp, -1, -2), sd))
    sinv = 1.0 / s
    du = (np.matmul(u, du_core)
          + np.matmul(t - np.matmul(u, np.matmul(ut, t)), v) * sinv[..., None, :])
    dv = (np.matmul(v, dv_core)
          + np.matmul(np.swapaxes(t, -1, -2) - np.matmul(v, np.matmul(vh, np.swapaxes(t, -1, -2))),
                      u) * sinv[..., None, :])
    return _ad.tuple_like(ans, (du, ds, np.swapaxes(dv, -1, -2))) if compute_uv else ds


defvjp(np.linalg.svd, _svd_vjp)
defjvp(np.linalg.svd, _svd_jvp)
deffacts(np.linalg.svd, kind="tuple")


# eig: A V = V diag(w), distinct eigenvalues (`_ad.distinct_eigenvalues` refuses others when it
# runs), complex results.  With P = V^-1 dA V and F[i, j] = 1 / (w[j] - w[i]) off the
# diagonal: dw = diag(P), and dV = V (F * P) + V diag(alpha), where alpha keeps NumPy's
# normalization of each column v: unit norm (Re alpha = -Re(v^H dv0)) and its entry of largest
# modulus real (`_ad.largest_entries`: Im alpha = -Im(dv0 there) / v there).  The VJP is its
# transpose under the complex convention of `s2s_ad.rules`; a real matrix takes its real part.
def _eig_vjp(g, ans, a):
    w, v = _ad.distinct_eigenvalues(ans[0]), ans[1]
    eye = np.eye(np.shape(a)[-1], dtype=np.result_type(a, np.float32))
    f = 1.0 / (w[..., None, :] - w[..., :, None] + eye) - eye
    top = _ad.largest_entries(v)
    c = np.sum(g[1] * v, -2)
    gv0 = (g[1] - np.real(c)[..., None, :] * np.conj(v)
           - (1j * (np.imag(c) / np.real(np.sum(top * v, -2)))[..., None, :] * top
              if np.iscomplexobj(v) else 0.0))
    gp = np.expand_dims(g[0], -1) * eye + f * np.matmul(np.swapaxes(v, -1, -2), gv0)
    vinv = np.linalg.inv(v)
    ga = np.matmul(np.matmul(np.swapaxes(vinv, -1, -2), gp), np.swapaxes(v, -1, -2))
    return np.real(ga) if np.isrealobj(a) else ga


def _eig_jvp(t, ans, a):
    w, v = _ad.distinct_eigenvalues(ans[0]), ans[1]
    eye = np.eye(np.shape(a)[-1], dtype=np.result_type(a, np.float32))
    f = 1.0 / (w[..., None, :] - w[..., :, None] + eye) - eye
    top = _ad.largest_entries(v)
    p = np.matmul(np.matmul(np.linalg.inv(v), t), v)
    dv0 = np.matmul(v, f * p)
    # (real eigenvectors, of real eigenvalues of a real matrix, stay real)
    alpha = (-np.real(np.sum(np.conj(v) * dv0, -2))
             - (1j * np.imag(np.sum(top * dv0, -2)) / np.real(np.sum(top * v, -2))
                if np.iscomplexobj(v) else 0.0))
    return _ad.tuple_like(ans, (np.diagonal(p, 0, -2, -1), dv0 + v * alpha[..., None, :]))


defvjp(np.linalg.eig, _eig_vjp)
defjvp(np.linalg.eig, _eig_jvp)
# eigvals: the eigenvalues of eig, dw = diag(V^-1 dA V).
def _eigvals_vjp(g, ans, a):
    _checked = _ad.distinct_eigenvalues(ans)     # raises where eigenvalues repeat
    v = np.linalg.eig(a)[1]
    ga = np.matmul(np.swapaxes(np.linalg.inv(v), -1, -2) * np.expand_dims(g, -2),
                   np.swapaxes(v, -1, -2))
    return np.real(ga) if np.isrealobj(a) else ga


def _eigvals_jvp(t, ans, a):
    _checked = _ad.distinct_eigenvalues(ans)     # raises where eigenvalues repeat
    v = np.linalg.eig(a)[1]
    return np.sum(np.linalg.inv(v) * np.swapaxes(np.matmul(t, v), -1, -2), -1)


defvjp(np.linalg.eigvals, _eigvals_vjp)
defjvp(np.linalg.eigvals, _eigvals_jvp)


# svdvals: the singular values of svd(x, compute_uv=False), g -> U diag(g) Vh.
defvjp(np.linalg.svdvals,
       lambda g, ans, x: np.matmul(np.linalg.svd(x, full_matrices=False)[0]
                                   * np.expand_dims(g, -2),
                                   np.linalg.svd(x, full_matrices=False)[2]))
defjvp(np.linalg.svdvals,
       lambda t, ans, x: np.sum(np.linalg.svd(x, full_matrices=False)[0] * np.matmul(
           t, np.swapaxes(np.linalg.svd(x, full_matrices=False)[2], -1, -2)), -2))
# pinv of a full-rank matrix:
#   d(A+) = -A+ dA A+ + A+ A+^T dA^T (I - A A+) + (I - A+ A) dA^T A+^T A+.
def _pinv_vjp(g, ans, a, rcond=None, hermitian=False):
    p = ans
    pt = np.swapaxes(p, -1, -2)
    gt = np.swapaxes(g, -1, -2)
    i_m = np.eye(np.shape(a)[-2], dtype=np.result_type(a, np.float32))
    i_n = np.eye(np.shape(a)[-1], dtype=np.result_type(a, np.float32))
    return (-np.matmul(np.matmul(pt, g), pt)
            + np.matmul(np.matmul(i_m - np.matmul(a, p), gt), np.matmul(p, pt))
            + np.matmul(np.matmul(pt, p), np.matmul(gt, i_n - np.matmul(p, a))))


def _pinv_jvp(t, ans, a, rcond=None, hermitian=False):
    p = ans
    pt = np.swapaxes(p, -1, -2)
    tt = np.swapaxes(t, -1, -2)
    i_m = np.eye(np.shape(a)[-2], dtype=np.result_type(a, np.float32))
    i_n = np.eye(np.shape(a)[-1], dtype=np.result_type(a, np.float32))
    return (-np.matmul(np.matmul(p, t), p)
            + np.matmul(np.matmul(np.matmul(p, pt), tt), i_m - np.matmul(a, p))
            + np.matmul(np.matmul(i_n - np.matmul(p, a), tt), np.matmul(pt, p)))


defvjp(np.linalg.pinv, _pinv_vjp)
defjvp(np.linalg.pinv, _pinv_jvp)


# qr (modes 'reduced' and 'r', and 'complete' where it is the same; `_ad.reduced_qr` refuses the
# others when it runs).  With k = min(m, n), A = [X Y] (X its first k columns) and
# R = [R1 R2]: Q R1 = X is the QR of X, and R2 = Q^T Y.  For X, with M = R1 gR1^T - gQ^T Q
# and copyltu(M) = the lower triangle of M mirrored to the upper one, the cotangent is
# (gQ + Q copyltu(M)) R1^-T, where R2 adds Y gR2^T to gQ; Y's cotangent is Q gR2.
def _qr_vjp(g, ans, a, mode="reduced"):
    qr = ans if _ad.reduced_qr(a, mode) else np.linalg.qr(a)
    q, r = qr[0], qr[1]
    k = np.shape(q)[-1]
    gr = g[1] if mode != "r" else g
    gq = ((g[0] if mode != "r" else 0.0 * q)
          + np.matmul(a[..., :, k:], np.swapaxes(gr[..., :, k:], -1, -2)))
    m = (np.matmul(r[..., :, :k], np.swapaxes(gr[..., :, :k], -1, -2))
         - np.matmul(np.swapaxes(gq, -1, -2), q))
    low = np.tril(m, -1)
    sym = low + np.swapaxes(low, -1, -2) + m * np.eye(k, dtype=np.result_type(m))
    b = gq + np.matmul(q, sym)
    gx = np.swapaxes(np.linalg.solve(r[..., :, :k], np.swapaxes(b, -1, -2)), -1, -2)
    return np.concatenate([gx, np.matmul(q, gr[..., :, k:])], -1)


def _qr_jvp(t, ans, a, mode="reduced"):
    qr = ans if _ad.reduced_qr(a, mode) else np.linalg.qr(a)
    q, r = qr[0], qr[1]
    k = np.shape(q)[-1]
    t_rinv = np.swapaxes(np.linalg.solve(np.swapaxes(r[..., :, :k], -1, -2),
                                         np.swapaxes(t[..., :, :k], -1, -2)), -1, -2)
    qt_t_rinv = np.matmul(np.swapaxes(q, -1, -2), t_rinv)
    low = np.tril(qt_t_rinv, -1)
    omega = low - np.swapaxes(low, -1, -2)
    dq = np.matmul(q, omega) + t_rinv - np.matmul(q, qt_t_rinv)
    dr = np.concatenate([np.matmul(qt_t_rinv - omega, r[..., :, :k]),
                         np.matmul(np.swapaxes(dq, -1, -2), a[..., :, k:])
                         + np.matmul(np.swapaxes(q, -1, -2), t[..., :, k:])], -1)
    return dr if mode == "r" else _ad.tuple_like(ans, (dq, dr))


defvjp(np.linalg.qr, _qr_vjp)
defjvp(np.linalg.qr, _qr_jvp)
deffacts(np.linalg.qr, kind="tuple")


# eigvalsh: the eigenvalues of eigh, of the same triangle (UPLO): the symmetric cotangent
# V diag(g) V^T put on that triangle, the tangent diag(V^T sym(t) V).  Distinct eigenvalues.
def _eigvalsh_vjp(g, ans, a, UPLO="L"):
    eye = np.eye(np.shape(a)[-1], dtype=np.result_type(a, np.float32))
    v = np.linalg.eigh(a, UPLO)[1]
    x = np.matmul(v * np.expand_dims(g, -2), np.swapaxes(v, -1, -2))
    return (np.triu(x + np.swapaxes(x, -1, -2)) if UPLO == "U" or UPLO == "u"
            else np.tril(x + np.swapaxes(x, -1, -2))) - x * eye


def _eigvalsh_jvp(t, ans, a, UPLO="L"):
    v = np.linalg.eigh(a, UPLO)[1]
    ts = (np.triu(t) + np.swapaxes(np.triu(t, 1), -1, -2) if UPLO == "U" or UPLO == "u"
          else np.tril(t) + np.swapaxes(np.tril(t, -1), -1, -2))
    return np.sum(v * np.matmul(ts, v), -2)


defvjp(np.linalg.eigvalsh, _eigvalsh_vjp)
defjvp(np.linalg.eigvalsh, _eigvalsh_jvp)


# lstsq(a, b) -> (x, residuals, rank, s) of a full-rank a (`_ad.full_rank` refuses others when
# it runs): x = A+ b, with the derivative of the pseudo-inverse (see pinv) and r = b - A x,
#   dx = A+ (db - dA x) + A+ A+^T dA^T r + (I - A+ A) dA^T A+^T x,
# the residuals |r|^2 per column (empty unless m > n): d = 2 r . (db - dA x), and s the
# singular values of A (svd with compute_uv=False).  b is a vector or the columns of a matrix.
def _lstsq_vjp_a(g, ans, a, b, rcond=None):
    p = np.linalg.pinv(a) if _ad.full_rank(ans[2], a) else None
    x = np.reshape(ans[0], (np.shape(a)[-1], -1))
    r = np.reshape(b, (np.shape(a)[-2], -1)) - np.matmul(a, x)
    gx = np.reshape(g[0], np.shape(x))
    gres = np.reshape(g[1], (-1,)) if np.size(ans[1]) else 0.0
    usv = np.linalg.svd(a, full_matrices=False)
    eye = np.eye(np.shape(a)[-1], dtype=np.result_type(a, np.float32))
    return (-np.matmul(np.matmul(np.transpose(p), gx), np.transpose(x))
            + np.matmul(np.matmul(r, np.transpose(gx)), np.matmul(p, np.transpose(p)))
            + np.matmul(np.matmul(np.transpose(p), x),
                        np.matmul(np.transpose(gx), eye - np.matmul(p, a)))
            - 2.0 * np.matmul(r * gres, np.transpose(x))
            + np.matmul(usv[0] * g[3], usv[2]))


def _lstsq_vjp_b(g, ans, a, b, rcond=None):
    p = np.linalg.pinv(a) if _ad.full_rank(ans[2], a) else None
    x = np.reshape(ans[0], (np.shape(a)[-1], -1))
    r = np.reshape(b, (np.shape(a)[-2], -1)) - np.matmul(a, x)
    gx = np.reshape(g[0], np.shape(x))
    gres = np.reshape(g[1], (-1,)) if np.size(ans[1]) else 0.0
    return np.reshape(np.matmul(np.transpose(p), gx) + 2.0 * r * gres, np.shape(b))


def _lstsq_jvp_a(t, ans, a, b, rcond=None):
    p = np.linalg.pinv(a) if _ad.full_rank(ans[2], a) else None
    x = np.reshape(ans[0], (np.shape(a)[-1], -1))
    r = np.reshape(b, (np.shape(a)[-2], -1)) - np.matmul(a, x)
    tx = np.matmul(t, x)
    eye = np.eye(np.shape(a)[-1], dtype=np.result_type(a, np.float32))
    dx = (-np.matmul(p, tx)
          + np.matmul(np.matmul(p, np.transpose(p)), np.matmul(np.transpose(t), r))
          + np.matmul(eye - np.matmul(p, a),
                      np.matmul(np.transpose(t), np.matmul(np.transpose(p), x))))
    dres = -2.0 * np.sum(r * tx, 0)
    usv = np.linalg.svd(a, full_matrices=False)
    return _ad.tuple_like(ans, (
        np.reshape(dx, np.shape(ans[0])),
        np.reshape(dres, np.shape(ans[1])) if np.size(ans[1]) else 0.0 * ans[1],
        _ad.zeros_like(ans[2]),
        np.sum(usv[0] * np.matmul(t, np.transpose(usv[2])), -2)))


def _lstsq_jvp_b(t, ans, a, b, rcond=None):
    p = np.linalg.pinv(a) if _ad.full_rank(ans[2], a) else None
    x = np.reshape(ans[0], (np.shape(a)[-1], -1))
    r = np.reshape(b, (np.shape(a)[-2], -1)) - np.matmul(a, x)
    tb = np.reshape(t, np.shape(r))
    return _ad.tuple_like(ans, (
        np.reshape(np.matmul(p, tb), np.shape(ans[0])),
        np.reshape(2.0 * np.sum(r * tb, 0), np.shape(ans[1])) if np.size(ans[1])
        else 0.0 * ans[1],
        _ad.zeros_like(ans[2]),
        0.0 * ans[3]))


defvjp(np.linalg.lstsq, _lstsq_vjp_a, _lstsq_vjp_b)
defjvp(np.linalg.lstsq, _lstsq_jvp_a, _lstsq_jvp_b)
# a tuple: the tangents from a and b add item by item (`_ad.add`), not joined by `+`
defstructural(np.linalg.lstsq)


# matrix_power(a, n) for any integer n: an analytic f of a matrix has
#   f([[A, E], [0, A]]) = [[f(A), Df(A)[E]], [0, f(A)]],
# so the tangent is the upper-right block of the power of a block matrix (n < 0 takes inverses,
# n = 0 gives zero), and since f(A^T) = f(A)^T the cotangent is the same block with A^T and g.
def _matrix_power_vjp(g, ans, a, n):
    at = np.swapaxes(a, -1, -2)
    m = np.shape(a)[-1]
    big = np.concatenate([np.concatenate([at, g], -1), np.concatenate([0.0 * at, at], -1)], -2)
    return np.linalg.matrix_power(big, n)[..., :m, m:]


def _matrix_power_jvp(t, ans, a, n):
    m = np.shape(a)[-1]
    big = np.concatenate([np.concatenate([a, t], -1), np.concatenate([0.0 * a, a], -1)], -2)
    return np.linalg.matrix_power(big, n)[..., :m, m:]


defvjp(np.linalg.matrix_power, _matrix_power_vjp)
defjvp(np.linalg.matrix_power, _matrix_power_jvp)

# trace over the last two axes (NumPy 2).
if hasattr(np.linalg, "trace"):
    defvjp(np.linalg.trace,
           lambda g, ans, x, offset=0, dtype=None:
           _ad.diagonal_grad(_ad.sum_grad(g, np.diagonal(x, offset, -2, -1), -1),
                             x, offset, -2, -1))
    defjvp(np.linalg.trace,
           lambda t, ans, x, offset=0, dtype=None: np.linalg.trace(t, offset=offset, dtype=dtype))

# no rules; tuples of arrays
deffacts(np.linalg.eig, np.linalg.lstsq, kind="tuple")
deffacts(np.linalg.eigvals, kind="array", fresh=True)
