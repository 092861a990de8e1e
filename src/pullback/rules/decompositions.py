"""Matrix decompositions and the functions built on them: ``svd``, ``qr``, ``eig``,
``eigvals``, ``pinv``, ``cond`` and (non-differentiable) ``matrix_rank``.

In: nothing. Out: registered rules; their bodies call ``pullback.runtime.decompositions``.

Real matrices, stacked where NumPy stacks them. ``svd`` takes ``full_matrices=False`` or a
square matrix (the extra singular vectors of a full SVD are no functions of the matrix), and
``compute_uv=False``; ``qr`` the reduced mode of a square or tall matrix; ``eig`` and
``eigvals`` a spectrum without repeated eigenvalues, giving complex (or, for a real spectrum,
real) tangents under the pairing ``Re(sum(ct * t))``; ``pinv`` a matrix of locally constant
rank; ``cond`` every ``p`` NumPy takes (the 2-norm ones through the extreme singular values).
``hermitian=True`` is refused. Where singular values or eigenvalues are equal, the quotients
over their gaps are NaN.
"""

import numpy as np

from ..runtime import (
    cond_gradient,
    eig_adjoint,
    eig_tangent,
    eigvals_adjoint,
    eigvals_tangent,
    pinv_adjoint,
    pinv_tangent,
    qr_adjoint,
    qr_tangent,
    svd_adjoint,
    svd_tangent,
)
from .registry import defnondiff, defrule


def svd_vjp(g, ans, a, full_matrices=True, compute_uv=True, hermitian=False):
    return svd_adjoint(g, ans, a, full_matrices, compute_uv, hermitian)


def svd_jvp(a_dot, ans, a, full_matrices=True, compute_uv=True, hermitian=False):
    return svd_tangent(a_dot, ans, a, full_matrices, compute_uv, hermitian)


defrule(np.linalg.svd, vjp=svd_vjp, jvp=svd_jvp)


def qr_vjp(g, ans, a, mode="reduced"):
    return qr_adjoint(g, ans, a, mode)


def qr_jvp(a_dot, ans, a, mode="reduced"):
    return qr_tangent(a_dot, ans, a, mode)


defrule(np.linalg.qr, vjp=qr_vjp, jvp=qr_jvp)


def eig_vjp(g, ans, a):
    return eig_adjoint(g, ans, a)


def eig_jvp(a_dot, ans, a):
    return eig_tangent(a_dot, ans, a)


defrule(np.linalg.eig, vjp=eig_vjp, jvp=eig_jvp)


def eigvals_vjp(g, ans, a):
    return eigvals_adjoint(g, a)


def eigvals_jvp(a_dot, ans, a):
    return eigvals_tangent(a_dot, a)


defrule(np.linalg.eigvals, vjp=eigvals_vjp, jvp=eigvals_jvp)


def pinv_vjp(g, ans, a, rcond=None, hermitian=False, *, rtol=None):
    return pinv_adjoint(g, ans, a, hermitian)


def pinv_jvp(a_dot, ans, a, rcond=None, hermitian=False, *, rtol=None):
    return pinv_tangent(a_dot, ans, a, hermitian)


defrule(np.linalg.pinv, vjp=pinv_vjp, jvp=pinv_jvp)


def cond_vjp(g, ans, x, p=None):
    return np.expand_dims(g, (-2, -1)) * cond_gradient(x, p)


def cond_jvp(x_dot, ans, x, p=None):
    return np.sum(x_dot * cond_gradient(x, p), axis=(-2, -1))


defrule(np.linalg.cond, vjp=cond_vjp, jvp=cond_jvp)

# the rank is an integer: constant wherever it is defined
defnondiff(np.linalg.matrix_rank)
