"""Adjoints and tangents of the matrix decompositions: ``svd``, ``qr``, ``eig``, ``eigvals``,
``pinv`` and ``cond``.

In: the primal arguments and output ``ans`` of one of them (a named tuple such as ``SVDResult``
read by position, or one array), and an output cotangent ``g`` (the same structure, any entry
``None`` for a zero) or an input tangent ``a_dot``.
Out: the adjoint of ``a``, shaped like it, or the output tangent (a tuple by field order where
the output is a named tuple).

Matrices may be stacked (``(..., m, n)``) wherever NumPy stacks them. Real arguments only.
Singular values, and eigenvalues of ``eig``, are taken to be distinct: where two are equal the
singular or eigenvectors are not determined and a quotient over their gap is NaN (not a finite
number that would be wrong). Eigenvectors follow NumPy's (LAPACK's) normalization: unit norm,
the entry of largest modulus real; so do their tangents, which therefore match differences
of ``np.linalg.eig`` itself.
"""

from __future__ import annotations

import numpy as np

from ..errors import NonDifferentiableError
from .complexes import is_complex, require_real
from .linalg import _over_eigen_gaps, matrix_transpose, norm_gradient

__all__ = [
    "svd_adjoint",
    "svd_tangent",
    "qr_adjoint",
    "qr_tangent",
    "eig_adjoint",
    "eig_tangent",
    "eigvals_adjoint",
    "eigvals_tangent",
    "pinv_adjoint",
    "pinv_tangent",
    "cond_gradient",
]


def _refuse_hermitian(name, hermitian):
    if hermitian:
        raise NonDifferentiableError(
            f"no derivative for {name} with hermitian=True (it reads one triangle of the "
            "matrix); call it with hermitian=False"
        )


# -- svd -----------------------------------------------------------------------------------------


def _svd_checked(a, full_matrices, hermitian):
    require_real(a, "numpy.linalg.svd")
    _refuse_hermitian("numpy.linalg.svd", hermitian)
    m, n = np.shape(a)[-2:]
    if full_matrices and m != n:
        raise NonDifferentiableError(
            f"no derivative for numpy.linalg.svd of a {m}x{n} matrix with full_matrices=True: "
            f"the {max(m, n) - min(m, n)} extra singular vectors are any basis of a null space, "
            "not functions of the matrix; pass full_matrices=False"
        )


def _svd_adjoint(u_bar, s_bar, vt_bar, u, s, vt):
    """``U [diag(s_bar) + (F∘(U^T U_bar - U_bar^T U)) S + S (F∘(V^T V_bar - V_bar^T V))] V^T``,
    plus the parts of ``U_bar`` and ``V_bar`` outside the column spaces of ``U`` and ``V``
    (``F_ij = 1 / (s_j^2 - s_i^2)``)."""
    k = s.shape[-1]
    squares = s * s
    row, column = np.expand_dims(s, -2), np.expand_dims(s, -1)  # scale columns, rows
    inner = np.zeros(np.shape(s)[:-1] + (k, k))
    outside = 0.0
    if s_bar is not None:
        inner = inner + np.eye(k) * np.expand_dims(s_bar, -2)
    if u_bar is not None:
        j = matrix_transpose(u) @ u_bar
        inner = inner + _over_eigen_gaps(j - matrix_transpose(j), squares) * row
        outside = outside + ((u_bar - u @ j) / row) @ vt
    if vt_bar is not None:
        j = vt @ matrix_transpose(vt_bar)
        inner = inner + column * _over_eigen_gaps(j - matrix_transpose(j), squares)
        outside = outside + u @ ((vt_bar - matrix_transpose(j) @ vt) / column)
    return u @ inner @ vt + outside


def _svd_tangent(a_dot, u, s, vt):
    v = matrix_transpose(vt)
    p = matrix_transpose(u) @ a_dot @ v
    squares = s * s
    row, column = np.expand_dims(s, -2), np.expand_dims(s, -1)
    s_dot = np.diagonal(p, axis1=-2, axis2=-1)
    omega_u = _over_eigen_gaps(p * row + column * matrix_transpose(p), squares)
    omega_v = _over_eigen_gaps(column * p + matrix_transpose(p) * row, squares)
    u_dot = u @ omega_u + (a_dot @ v - u @ p) / row
    v_dot = v @ omega_v + (matrix_transpose(a_dot) @ u - v @ matrix_transpose(p)) / row
    return u_dot, s_dot, matrix_transpose(v_dot)


def svd_adjoint(g, ans, a, full_matrices=True, compute_uv=True, hermitian=False):
    """The adjoint of ``a`` in ``np.linalg.svd(a, ...)`` from ``g = (U_bar, S_bar, Vh_bar)``,
    or from ``S_bar`` alone with ``compute_uv=False``."""
    _svd_checked(a, full_matrices and compute_uv, hermitian)
    if not compute_uv:
        u, s, vt = np.linalg.svd(a, full_matrices=False)
        return _svd_adjoint(None, g, None, u, s, vt)
    u, s, vt = ans
    u_bar, s_bar, vt_bar = g
    return _svd_adjoint(u_bar, s_bar, vt_bar, u, s, vt)


def svd_tangent(a_dot, ans, a, full_matrices=True, compute_uv=True, hermitian=False):
    """The tangent ``(U_dot, S_dot, Vh_dot)`` of ``np.linalg.svd(a, ...)`` (``S_dot`` alone with
    ``compute_uv=False``)."""
    _svd_checked(a, full_matrices and compute_uv, hermitian)
    if not compute_uv:
        u, s, vt = np.linalg.svd(a, full_matrices=False)
        return np.diagonal(matrix_transpose(u) @ a_dot @ matrix_transpose(vt), axis1=-2, axis2=-1)
    u, s, vt = ans
    return _svd_tangent(a_dot, u, s, vt)


# -- qr ------------------------------------------------------------------------------------------


def _qr_checked(a, mode):
    require_real(a, "numpy.linalg.qr")
    m, n = np.shape(a)[-2:]
    if mode != "reduced":
        raise NonDifferentiableError(
            f"no derivative for numpy.linalg.qr with mode={mode!r}; use mode='reduced'"
        )
    if m < n:
        raise NonDifferentiableError(
            f"no derivative for numpy.linalg.qr of a wide {m}x{n} matrix; differentiate the QR "
            "of its leading square block and Q^T times the rest"
        )


def _times_inverse_of(x, r):
    """``x @ inv(r)`` by a solve."""
    return matrix_transpose(np.linalg.solve(matrix_transpose(r), matrix_transpose(x)))


def qr_tangent(a_dot, ans, a, mode="reduced"):
    """The tangent ``(Q_dot, R_dot)`` of ``np.linalg.qr(a)``: with ``D = a_dot R^-1`` and
    ``C = Q^T D``, ``Q^T Q_dot`` is the antisymmetric part below the diagonal of ``C``."""
    _qr_checked(a, mode)
    q, r = ans
    d = _times_inverse_of(a_dot, r)
    c = matrix_transpose(q) @ d
    below = np.tril(c, -1)
    omega = below - matrix_transpose(below)
    return q @ omega + d - q @ c, (c - omega) @ r


def qr_adjoint(g, ans, a, mode="reduced"):
    """The adjoint of ``a`` in ``np.linalg.qr(a)`` from ``g = (Q_bar, R_bar)``:
    ``(Q_bar + Q C_bar) R^-T``, where ``M = R_bar R^T - Q^T Q_bar`` and ``C_bar`` is the upper
    triangle of ``M`` with that of ``M^T`` mirrored below the diagonal."""
    _qr_checked(a, mode)
    q, r = ans
    q_bar, r_bar = g
    m = np.zeros(np.shape(r))
    if r_bar is not None:
        m = m + r_bar @ matrix_transpose(r)
    if q_bar is not None:
        m = m - matrix_transpose(q) @ q_bar
    d_bar = q @ (np.triu(m) + np.tril(matrix_transpose(m), -1))
    if q_bar is not None:
        d_bar = d_bar + q_bar
    return _times_inverse_of(d_bar, matrix_transpose(r))


# -- eig, eigvals --------------------------------------------------------------------------------


def _largest_entries(v):
    """A mask of the entry of largest modulus in each column of ``v`` (the first of a tie, as
    LAPACK picks it): the entry NumPy's eigenvectors have real."""
    largest = np.argmax(np.abs(v), axis=-2)
    return np.arange(v.shape[-2])[:, None] == np.expand_dims(largest, -2)


def _normalized(x, v):
    """A tangent ``x`` of the eigenvectors ``v`` made to keep NumPy's normalization: minus the
    multiple of each column that changes its norm or the phase of its largest entry."""
    lengthening = np.real(np.sum(np.conj(v) * x, axis=-2, keepdims=True))
    mask = _largest_entries(v)
    largest = np.sum(np.where(mask, v, 0.0), axis=-2, keepdims=True)
    turning = 1j * np.imag(np.sum(np.where(mask, x, 0.0), axis=-2, keepdims=True))
    return x - v * (lengthening + turning / np.real(largest))


def _normalized_adjoint(g, v):
    """The adjoint of ``_normalized`` (for the pairing ``Re(sum(g * x))``)."""
    s = np.sum(g * v, axis=-2, keepdims=True)
    largest = np.sum(np.where(_largest_entries(v), v, 0.0), axis=-2, keepdims=True)
    turning = np.where(_largest_entries(v), 1j * np.imag(s) / np.real(largest), 0.0)
    return g - np.conj(v) * np.real(s) - turning


def _like(x, reference):
    """``x``, real where NumPy gave a real ``reference`` (a real spectrum)."""
    return x if is_complex(reference) else np.real(x)


def eig_tangent(a_dot, ans, a):
    """The tangent ``(w_dot, v_dot)`` of ``np.linalg.eig(a)``: ``w_dot = diag(V^-1 a_dot V)``."""
    require_real(a, "numpy.linalg.eig")
    w, v = ans
    m = np.linalg.solve(v, a_dot @ v)
    v_dot = _normalized(v @ _over_eigen_gaps(m, w), v)
    return _like(np.diagonal(m, axis1=-2, axis2=-1), w), _like(v_dot, v)


def eig_adjoint(g, ans, a):
    """The adjoint of ``a`` in ``np.linalg.eig(a)`` from ``g = (w_bar, v_bar)``:
    ``Re(V^-T (diag(w_bar) + F∘(V^T v_bar')) V^T)``, ``F_ij = 1 / (w_j - w_i)`` and ``v_bar'``
    the adjoint through NumPy's normalization."""
    require_real(a, "numpy.linalg.eig")
    w, v = ans
    w_bar, v_bar = g
    inner = np.zeros(np.shape(v), complex)
    if w_bar is not None:
        inner = inner + np.eye(w.shape[-1]) * np.expand_dims(w_bar, -2)
    if v_bar is not None:
        inner = inner + _over_eigen_gaps(matrix_transpose(v) @ _normalized_adjoint(v_bar, v), w)
    return np.real(np.linalg.solve(matrix_transpose(v), inner @ matrix_transpose(v)))


def eigvals_tangent(a_dot, a):
    """The tangent of ``np.linalg.eigvals(a)``."""
    return eig_tangent(a_dot, np.linalg.eig(require_real(a, "numpy.linalg.eigvals")), a)[0]


def eigvals_adjoint(g, a):
    """The adjoint of ``a`` in ``np.linalg.eigvals(a)``."""
    return eig_adjoint((g, None), np.linalg.eig(require_real(a, "numpy.linalg.eigvals")), a)


# -- pinv, cond ----------------------------------------------------------------------------------


def pinv_tangent(a_dot, ans, a, hermitian=False):
    """The tangent of ``P = np.linalg.pinv(a)`` at a matrix of locally constant rank:
    ``-P a_dot P + P P^T a_dot^T (I - a P) + (I - P a) a_dot^T P^T P``."""
    require_real(a, "numpy.linalg.pinv")
    _refuse_hermitian("numpy.linalg.pinv", hermitian)
    p, pt, a_dot_t = ans, matrix_transpose(ans), matrix_transpose(a_dot)
    m, n = np.shape(a)[-2:]
    return (
        -p @ a_dot @ p
        + p @ pt @ a_dot_t @ (np.eye(m) - a @ p)
        + (np.eye(n) - p @ a) @ a_dot_t @ pt @ p
    )


def pinv_adjoint(g, ans, a, hermitian=False):
    """The adjoint of ``a`` in ``P = np.linalg.pinv(a)``: the transpose of ``pinv_tangent``."""
    require_real(a, "numpy.linalg.pinv")
    _refuse_hermitian("numpy.linalg.pinv", hermitian)
    p, pt, gt = ans, matrix_transpose(ans), matrix_transpose(g)
    m, n = np.shape(a)[-2:]
    return -pt @ g @ pt + (np.eye(m) - a @ p) @ gt @ p @ pt + pt @ p @ gt @ (np.eye(n) - p @ a)


def cond_gradient(x, p=None):
    """The gradient of ``np.linalg.cond(x, p)`` by each matrix ``x``.

    The 2-norm ones (``p`` None, 2, -2) are quotients of the extreme singular values, whose
    gradients are ``u v^T`` of their singular vectors; the others are
    ``norm(x, p) * norm(inv(x), p)``.
    """
    require_real(x, "numpy.linalg.cond")
    if p is None or p == 2 or p == -2:
        u, s, vt = np.linalg.svd(x, full_matrices=False)
        top, bottom = s[..., :1, None], s[..., -1:, None]
        top_grad = u[..., :, :1] @ vt[..., :1, :]
        bottom_grad = u[..., :, -1:] @ vt[..., -1:, :]
        if p == -2:
            return bottom_grad / top - bottom * top_grad / (top * top)
        return top_grad / bottom - top * bottom_grad / (bottom * bottom)
    y = np.linalg.inv(x)
    x_norm = np.linalg.norm(x, p, axis=(-2, -1), keepdims=True)
    y_norm = np.linalg.norm(y, p, axis=(-2, -1), keepdims=True)
    x_grad = norm_gradient(x, x_norm, p, (-2, -1), True)
    y_grad = norm_gradient(y, y_norm, p, (-2, -1), True)
    yt = matrix_transpose(y)
    return y_norm * x_grad - x_norm * (yt @ y_grad @ yt)
