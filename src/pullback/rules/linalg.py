"""Linear algebra: products (dot, matmul, inner, outer, tensordot, einsum, vdot, kron, cross),
inv, det, slogdet, solve, cholesky, eigh, matrix_power, trace, diag, diagonal, triu, tril and
``linalg.norm``.

In: nothing. Out: registered rules.

``eigh`` and ``eigvalsh`` assume distinct eigenvalues and, like NumPy, read one triangle of
``a``. ``cross`` takes 3-vectors. ``einsum`` takes up to four operands (named ``a, b, c, d``
here; NumPy's ``*operands``).
``slogdet`` returns ``(sign, logabsdet)``: the sign has no derivative, its tangent is zero and
its cotangent is ignored. ``cholesky`` reads one triangle of ``a`` as NumPy does, so its adjoint
is zero on the other. ``norm`` covers vector norms of every order, and the Frobenius, nuclear,
1, 2, -2, inf and -inf matrix norms; at a tie of an inf-type norm the gradient is shared.
"""

import operator

import numpy as np

from ..runtime import (
    cholesky_adjoint,
    cholesky_tangent,
    conj,
    diag_adjoint,
    diagonal_adjoint,
    dot_adjoint_a,
    dot_adjoint_b,
    eigh_adjoint,
    eigh_tangent,
    eigvalsh_adjoint,
    einsum_adjoint_at,
    einsum_tangent_at,
    inner_adjoint_a,
    inner_adjoint_b,
    kron_adjoint_a,
    kron_adjoint_b,
    matmul_adjoint_a,
    matmul_adjoint_b,
    matrix_power_adjoint,
    matrix_power_tangent,
    matrix_transpose,
    norm_gradient,
    norm_gradient_adjoint_norm,
    norm_gradient_along_x,
    norm_gradient_tangent_norm,
    real_part,
    require_real,
    solve_adjoint_a,
    solve_adjoint_b,
    solve_tangent_a,
    tensordot_adjoint_a,
    tensordot_adjoint_b,
    trace_adjoint,
    unbroadcast,
    unreduce,
)
from .registry import defrule

# -- products ------------------------------------------------------------------------------------


def matmul_vjp(g, ans, a, b):
    return matmul_adjoint_a(g, a, b), matmul_adjoint_b(g, a, b)


def matmul_jvp(a_dot, b_dot, ans, a, b):
    return np.matmul(a_dot, b), np.matmul(a, b_dot)


defrule(np.matmul, operator.matmul, vjp=matmul_vjp, jvp=matmul_jvp)


def dot_vjp(g, ans, a, b, out=None):
    return dot_adjoint_a(g, a, b), dot_adjoint_b(g, a, b)


def dot_jvp(a_dot, b_dot, ans, a, b, out=None):
    return np.dot(a_dot, b), np.dot(a, b_dot)


defrule(np.dot, vjp=dot_vjp, jvp=dot_jvp)


def inner_vjp(g, ans, a, b):
    return inner_adjoint_a(g, a, b), inner_adjoint_b(g, a, b)


def inner_jvp(a_dot, b_dot, ans, a, b):
    return np.inner(a_dot, b), np.inner(a, b_dot)


defrule(np.inner, vjp=inner_vjp, jvp=inner_jvp)


def outer_vjp(g, ans, a, b, out=None):
    return np.reshape(g @ np.ravel(b), np.shape(a)), np.reshape(np.ravel(a) @ g, np.shape(b))


def outer_jvp(a_dot, b_dot, ans, a, b, out=None):
    return np.outer(a_dot, b), np.outer(a, b_dot)


defrule(np.outer, vjp=outer_vjp, jvp=outer_jvp)


def tensordot_vjp(g, ans, a, b, axes=2):
    return tensordot_adjoint_a(g, a, b, axes), tensordot_adjoint_b(g, a, b, axes)


def tensordot_jvp(a_dot, b_dot, ans, a, b, axes=2):
    return np.tensordot(a_dot, b, axes), np.tensordot(a, b_dot, axes)


defrule(np.tensordot, vjp=tensordot_vjp, jvp=tensordot_jvp)


def einsum_vjp(g, ans, subscripts, a, b=None, c=None, d=None, *, optimize=False):
    # in the sublist form the subscripts slot holds the first operand: each slot may be one
    return (
        einsum_adjoint_at(g, subscripts, (a, b, c, d), 0, optimize),
        einsum_adjoint_at(g, subscripts, (a, b, c, d), 1, optimize),
        einsum_adjoint_at(g, subscripts, (a, b, c, d), 2, optimize),
        einsum_adjoint_at(g, subscripts, (a, b, c, d), 3, optimize),
        einsum_adjoint_at(g, subscripts, (a, b, c, d), 4, optimize),
    )


def einsum_jvp(
    subscripts_dot, a_dot, b_dot, c_dot, d_dot, ans, subscripts, a, b=None, c=None, d=None, *,
    optimize=False,
):  # fmt: skip
    return (
        einsum_tangent_at(subscripts_dot, subscripts, (a, b, c, d), 0, optimize),
        einsum_tangent_at(a_dot, subscripts, (a, b, c, d), 1, optimize),
        einsum_tangent_at(b_dot, subscripts, (a, b, c, d), 2, optimize),
        einsum_tangent_at(c_dot, subscripts, (a, b, c, d), 3, optimize),
        einsum_tangent_at(d_dot, subscripts, (a, b, c, d), 4, optimize),
    )


defrule(np.einsum, vjp=einsum_vjp, jvp=einsum_jvp)


def vdot_vjp(g, ans, a, b):  # vdot conjugates a: its adjoint is conjugated (a conj-linear map)
    return (
        np.reshape(conj(g * np.ravel(b)), np.shape(a)),
        np.reshape(g * conj(np.ravel(a)), np.shape(b)),
    )


def vdot_jvp(a_dot, b_dot, ans, a, b):
    return np.vdot(a_dot, b), np.vdot(a, b_dot)


defrule(np.vdot, vjp=vdot_vjp, jvp=vdot_jvp)


def kron_vjp(g, ans, a, b):
    return kron_adjoint_a(g, a, b), kron_adjoint_b(g, a, b)


def kron_jvp(a_dot, b_dot, ans, a, b):
    return np.kron(a_dot, b), np.kron(a, b_dot)


defrule(np.kron, vjp=kron_vjp, jvp=kron_jvp)


def cross_vjp(g, ans, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    a_axis, b_axis, c_axis = (axisa, axisb, axisc) if axis is None else (axis, axis, axis)
    return (
        unbroadcast(np.cross(b, g, axisa=b_axis, axisb=c_axis, axisc=a_axis), a),
        unbroadcast(np.cross(g, a, axisa=c_axis, axisb=a_axis, axisc=b_axis), b),
    )


def cross_jvp(a_dot, b_dot, ans, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    return (
        np.cross(a_dot, b, axisa, axisb, axisc, axis),
        np.cross(a, b_dot, axisa, axisb, axisc, axis),
    )


defrule(np.cross, vjp=cross_vjp, jvp=cross_jvp)

# -- inverse, determinant, solve, cholesky -------------------------------------------------------


def inv_vjp(g, ans, a):
    return -matrix_transpose(ans) @ g @ matrix_transpose(ans)


def inv_jvp(a_dot, ans, a):
    return -ans @ a_dot @ ans


defrule(np.linalg.inv, vjp=inv_vjp, jvp=inv_jvp)


def det_vjp(g, ans, a):
    return np.expand_dims(g * ans, (-2, -1)) * matrix_transpose(np.linalg.inv(a))


def det_jvp(a_dot, ans, a):
    return ans * np.trace(np.linalg.solve(a, a_dot), axis1=-2, axis2=-1)


defrule(np.linalg.det, vjp=det_vjp, jvp=det_jvp)


def slogdet_vjp(g, ans, a):
    logdet_bar = 0.0 if g[1] is None else g[1]  # g[0], the sign's cotangent, has no effect
    inverse = np.linalg.inv(require_real(a, "numpy.linalg.slogdet"))
    return np.expand_dims(logdet_bar, (-2, -1)) * matrix_transpose(inverse)


def slogdet_jvp(a_dot, ans, a):
    logdet_dot = np.trace(
        np.linalg.solve(require_real(a, "numpy.linalg.slogdet"), a_dot), axis1=-2, axis2=-1
    )
    return (np.zeros(np.shape(ans[0])), logdet_dot)


defrule(np.linalg.slogdet, vjp=slogdet_vjp, jvp=slogdet_jvp)


def solve_vjp(g, ans, a, b):
    return solve_adjoint_a(g, ans, a, b), solve_adjoint_b(g, a, b)


def solve_jvp(a_dot, b_dot, ans, a, b):
    return solve_tangent_a(a_dot, ans, a, b), np.linalg.solve(a, b_dot)


defrule(np.linalg.solve, vjp=solve_vjp, jvp=solve_jvp)


def cholesky_vjp(g, ans, a, *, upper=False):
    return cholesky_adjoint(g, ans, upper)


def cholesky_jvp(a_dot, ans, a, *, upper=False):
    return cholesky_tangent(a_dot, ans, upper)


defrule(np.linalg.cholesky, vjp=cholesky_vjp, jvp=cholesky_jvp)


def eigh_vjp(g, ans, a, UPLO="L"):
    return eigh_adjoint(g, ans, UPLO)


def eigh_jvp(a_dot, ans, a, UPLO="L"):
    return eigh_tangent(a_dot, ans, UPLO)


defrule(np.linalg.eigh, vjp=eigh_vjp, jvp=eigh_jvp)


def eigvalsh_vjp(g, ans, a, UPLO="L"):
    return eigvalsh_adjoint(g, a, UPLO)


def eigvalsh_jvp(a_dot, ans, a, UPLO="L"):
    return eigh_tangent(a_dot, np.linalg.eigh(a, UPLO), UPLO)[0]


defrule(np.linalg.eigvalsh, vjp=eigvalsh_vjp, jvp=eigvalsh_jvp)


def matrix_power_vjp(g, ans, a, n):
    return matrix_power_adjoint(g, a, n)


def matrix_power_jvp(a_dot, ans, a, n):
    return matrix_power_tangent(a_dot, a, n)


defrule(np.linalg.matrix_power, vjp=matrix_power_vjp, jvp=matrix_power_jvp)

# -- diagonals and triangles ---------------------------------------------------------------------


def trace_vjp(g, ans, a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    return trace_adjoint(g, a, offset, axis1, axis2)


def trace_jvp(a_dot, ans, a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    return np.trace(a_dot, offset, axis1, axis2)


defrule(np.trace, vjp=trace_vjp, jvp=trace_jvp, linear=True)


def diagonal_vjp(g, ans, a, offset=0, axis1=0, axis2=1):
    return diagonal_adjoint(g, a, offset, axis1, axis2)


def diagonal_jvp(a_dot, ans, a, offset=0, axis1=0, axis2=1):
    return np.diagonal(a_dot, offset, axis1, axis2)


defrule(np.diagonal, vjp=diagonal_vjp, jvp=diagonal_jvp, linear=True)


def diag_vjp(g, ans, v, k=0):
    return diag_adjoint(g, v, k)


def diag_jvp(v_dot, ans, v, k=0):
    return np.diag(v_dot, k)


defrule(np.diag, vjp=diag_vjp, jvp=diag_jvp, linear=True)


def triu_vjp(g, ans, m, k=0):
    return np.triu(g, k)


def triu_jvp(m_dot, ans, m, k=0):
    return np.triu(m_dot, k)


defrule(np.triu, vjp=triu_vjp, jvp=triu_jvp, linear=True)


def tril_vjp(g, ans, m, k=0):
    return np.tril(g, k)


def tril_jvp(m_dot, ans, m, k=0):
    return np.tril(m_dot, k)


defrule(np.tril, vjp=tril_vjp, jvp=tril_jvp, linear=True)

# -- norm ----------------------------------------------------------------------------------------


def norm_vjp(g, ans, x, ord=None, axis=None, keepdims=False):
    return unreduce(real_part(g), x, axis, keepdims) * norm_gradient(x, ans, ord, axis, keepdims)


def norm_jvp(x_dot, ans, x, ord=None, axis=None, keepdims=False):
    gradient = norm_gradient(x, ans, ord, axis, keepdims)
    return real_part(np.sum(x_dot * gradient, axis=axis, keepdims=keepdims))


defrule(np.linalg.norm, vjp=norm_vjp, jvp=norm_jvp)


# the helper above has a rule of its own: differentiating its source would meet the branches
# of every ord (an svd among them) where only one runs
def norm_gradient_vjp(g, ans, x, norm, ord=None, axis=None, keepdims=False):
    return (
        norm_gradient_along_x(g, x, norm, ord, axis, keepdims),
        norm_gradient_adjoint_norm(g, x, norm, ord, axis, keepdims),
    )


def norm_gradient_jvp(x_dot, norm_dot, ans, x, norm, ord=None, axis=None, keepdims=False):
    return (
        norm_gradient_along_x(x_dot, x, norm, ord, axis, keepdims),
        norm_gradient_tangent_norm(norm_dot, x, norm, ord, axis, keepdims),
    )


defrule(norm_gradient, vjp=norm_gradient_vjp, jvp=norm_gradient_jvp)
