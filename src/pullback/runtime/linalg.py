"""Adjoints and tangents of the linear-algebra primitives, too long to read inline in a rule.

In: the primal arguments (and output ``ans``) of dot, matmul, tensordot, einsum, solve,
cholesky, trace, diagonal and norm, and an output cotangent ``g`` or input tangent.
Out: the adjoint of one argument, shaped like it, or the output tangent.

Matrices may be stacked (``(..., n, n)``) wherever NumPy stacks them.
"""

from __future__ import annotations

import numpy as np

from ..errors import NonDifferentiableError
from . import unbroadcast
from .complexes import conj, is_complex, require_real

__all__ = [
    "matrix_transpose",
    "matmul_shape",
    "matmul_adjoint_a",
    "matmul_adjoint_b",
    "tensordot_adjoint_a",
    "tensordot_adjoint_b",
    "dot_adjoint_a",
    "dot_adjoint_b",
    "inner_adjoint_a",
    "inner_adjoint_b",
    "einsum_adjoint",
    "einsum_tangent",
    "einsum_adjoint_at",
    "einsum_tangent_at",
    "solve_adjoint_a",
    "solve_adjoint_b",
    "solve_tangent_a",
    "cholesky_adjoint",
    "cholesky_tangent",
    "trace_adjoint",
    "diagonal_adjoint",
    "diag_adjoint",
    "norm_gradient",
    "norm_gradient_partials",
    "norm_gradient_along_x",
    "norm_gradient_tangent_norm",
    "norm_gradient_adjoint_norm",
    "kron_adjoint_a",
    "kron_adjoint_b",
    "eigh_adjoint",
    "eigh_tangent",
    "eigvalsh_adjoint",
    "matrix_power_adjoint",
    "matrix_power_tangent",
]

_NUMPY2 = int(np.__version__.split(".")[0]) >= 2
_ndarray = np.ndarray  # a module global: read once per call, not looked up on ``np``


def matrix_transpose(a):
    """Swap the last two axes (the transpose of each matrix in a stack)."""
    return np.swapaxes(a, -1, -2)


# -- products ------------------------------------------------------------------------------------


def _as_matrix_product(g, a, b):
    """Promote matmul's 1-D operands to matrices (and ``g`` alike), as matmul itself does."""
    a, b, g = np.asarray(a), np.asarray(b), np.asarray(g)
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    if b.ndim == 1:
        g = np.expand_dims(g, -1)
    if a.ndim == 1:
        g = np.expand_dims(g, -2)
    return g, a2, b2


def matmul_shape(a, b) -> tuple:
    """The shape of ``a @ b``, from the shapes of ``a`` and ``b`` alone (1-D operands and
    stacks of matrices as ``np.matmul`` treats them).

    >>> matmul_shape(np.ones((5, 3)), np.ones((3, 2))), matmul_shape(np.ones(3), np.ones((3, 2)))
    ((5, 2), (2,))
    """
    sa, sb = np.shape(a), np.shape(b)
    if len(sa) == 2 and len(sb) == 2:
        return (sa[0], sb[1])
    if not sa or not sb:
        raise ValueError("matmul: input operand does not have enough dimensions")
    if len(sa) == 1 and len(sb) == 1:
        return ()
    if len(sa) == 1:
        return sb[:-2] + sb[-1:]
    if len(sb) == 1:
        return sa[:-1]
    return tuple(np.broadcast_shapes(sa[:-2], sb[:-2])) + (sa[-2], sb[-1])


def matmul_adjoint_a(g, a, b):
    """The adjoint of ``a`` in ``a @ b`` (1-D operands and stacked matrices included)."""
    if a.__class__ is _ndarray and b.__class__ is _ndarray and a.ndim == 2 and b.ndim == 2:
        return g @ b.T  # two matrices, the common case: no promotion, no broadcasting
    g2, a2, b2 = _as_matrix_product(g, a, b)
    return np.reshape(unbroadcast(g2 @ matrix_transpose(b2), a2), np.shape(a))


def matmul_adjoint_b(g, a, b):
    """The adjoint of ``b`` in ``a @ b``."""
    if a.__class__ is _ndarray and b.__class__ is _ndarray and a.ndim == 2 and b.ndim == 2:
        return a.T @ g  # two matrices, the common case: no promotion, no broadcasting
    g2, a2, b2 = _as_matrix_product(g, a, b)
    return np.reshape(unbroadcast(matrix_transpose(a2) @ g2, b2), np.shape(b))


def _tensordot_axes(a_ndim, b_ndim, axes):
    if np.ndim(axes) == 0:
        n = int(axes)
        return list(range(a_ndim - n, a_ndim)), list(range(n))
    a_axes, b_axes = axes
    a_axes = [a_axes] if np.ndim(a_axes) == 0 else list(a_axes)
    b_axes = [b_axes] if np.ndim(b_axes) == 0 else list(b_axes)
    return [int(i) % a_ndim for i in a_axes], [int(i) % b_ndim for i in b_axes]


def tensordot_adjoint_a(g, a, b, axes=2):
    """The adjoint of ``a`` in ``np.tensordot(a, b, axes)``."""
    a, b = np.asarray(a), np.asarray(b)
    a_axes, b_axes = _tensordot_axes(a.ndim, b.ndim, axes)
    a_free = [i for i in range(a.ndim) if i not in a_axes]
    b_free = [i for i in range(b.ndim) if i not in b_axes]
    g_b_free = list(range(len(a_free), np.ndim(g)))
    a_bar = np.tensordot(g, b, axes=(g_b_free, b_free))  # a_free, then b's contracted axes
    paired = [a_axes[b_axes.index(i)] for i in sorted(b_axes)]  # ... which pair with these
    return np.transpose(a_bar, np.argsort(a_free + paired))


def tensordot_adjoint_b(g, a, b, axes=2):
    """The adjoint of ``b`` in ``np.tensordot(a, b, axes)``."""
    a, b = np.asarray(a), np.asarray(b)
    a_axes, b_axes = _tensordot_axes(a.ndim, b.ndim, axes)
    a_free = [i for i in range(a.ndim) if i not in a_axes]
    b_free = [i for i in range(b.ndim) if i not in b_axes]
    b_bar = np.tensordot(a, g, axes=(a_free, list(range(len(a_free)))))  # a's contracted, b_free
    paired = [b_axes[a_axes.index(i)] for i in sorted(a_axes)]
    return np.transpose(b_bar, np.argsort(paired + b_free))


def dot_adjoint_a(g, a, b):
    """The adjoint of ``a`` in ``np.dot(a, b)``."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * b, a)
    if np.ndim(b) <= 2:  # then dot is matmul
        return matmul_adjoint_a(g, a, b)
    return tensordot_adjoint_a(g, a, b, axes=([-1], [-2]))


def dot_adjoint_b(g, a, b):
    """The adjoint of ``b`` in ``np.dot(a, b)``."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * a, b)
    if np.ndim(b) <= 2:
        return matmul_adjoint_b(g, a, b)
    return tensordot_adjoint_b(g, a, b, axes=([-1], [-2]))


def inner_adjoint_a(g, a, b):
    """The adjoint of ``a`` in ``np.inner(a, b)`` (a contraction over both last axes)."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * b, a)
    return tensordot_adjoint_a(g, a, b, axes=([-1], [-1]))


def inner_adjoint_b(g, a, b):
    """The adjoint of ``b`` in ``np.inner(a, b)``."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * a, b)
    return tensordot_adjoint_b(g, a, b, axes=([-1], [-1]))


# -- einsum ----------------------------------------------------------------------------------

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _einsum_terms(subscripts: str, operands) -> tuple[list[str], str]:
    """Explicit subscripts: each operand's labels (``...`` spelled out) and the output's."""
    subscripts = subscripts.replace(" ", "")
    inputs, arrow, output = subscripts.partition("->")
    terms = inputs.split(",")
    ndims = [np.ndim(x) for x in operands]
    ellipsis_ndim = max(
        (n - (len(t) - 3) for t, n in zip(terms, ndims, strict=True) if "..." in t), default=0
    )
    unused = [c for c in _LETTERS if c not in subscripts]
    ellipsis = "".join(unused[:ellipsis_ndim])
    terms = [
        t.replace("...", ellipsis[ellipsis_ndim - (n - (len(t) - 3)) :]) if "..." in t else t
        for t, n in zip(terms, ndims, strict=True)
    ]
    if arrow:
        output = output.replace("...", ellipsis)
    else:
        labels = "".join(terms)
        output = ellipsis + "".join(
            sorted(c for c in set(labels) if labels.count(c) == 1 and c not in ellipsis)
        )
    return terms, output


def einsum_adjoint(g, subscripts, operands, k, optimize=False):
    """The adjoint of ``operands[k]`` in ``np.einsum(subscripts, *operands)``.

    Handles labels summed away (the adjoint broadcasts over them), repeated labels (a diagonal:
    the adjoint is zero off it) and ``...`` with broadcasting.
    """
    operands = [np.asarray(x) for x in operands]
    terms, output = _einsum_terms(subscripts, operands)
    x, term = operands[k], terms[k]
    labels = "".join(dict.fromkeys(term))  # unique, in order
    others = [t for j, t in enumerate(terms) if j != k]
    elsewhere = set(output).union(*others)
    kept = "".join(c for c in labels if c in elsewhere)
    spec = ",".join([output, *others]) + "->" + kept
    x_bar = np.einsum(spec, g, *(y for j, y in enumerate(operands) if j != k), optimize=optimize)
    x_bar = np.expand_dims(x_bar, tuple(i for i, c in enumerate(labels) if c not in elsewhere))
    size = dict(zip(term, x.shape, strict=True))
    # a label of size 1 in x broadcasts against the others: sum the adjoint over it
    broadcast = tuple(i for i, c in enumerate(labels) if size[c] == 1 and x_bar.shape[i] != 1)
    if broadcast:
        x_bar = np.sum(x_bar, axis=broadcast, keepdims=True)
    x_bar = np.broadcast_to(x_bar, tuple(size[c] for c in labels))
    if len(labels) == len(term):
        return np.array(x_bar, dtype=np.result_type(x_bar, float))
    full = np.zeros(x.shape, np.result_type(x_bar, float))
    np.einsum(term + "->" + labels, full)[...] = x_bar  # einsum's diagonal view is writeable
    return full


def einsum_tangent(t, subscripts, operands, k, optimize=False):
    """``np.einsum(subscripts, *operands)`` with ``operands[k]`` replaced by its tangent ``t``."""
    operands = list(operands)
    operands[k] = t
    return np.einsum(subscripts, *operands, optimize=optimize)


def einsum_form(subscripts, args) -> tuple[str, list, list]:
    """``(spec, operands, positions)`` of a call ``np.einsum(subscripts, *args)`` in either of
    its forms: the subscripts string, or operands interleaved with lists of integer labels
    (``np.einsum(a, [0, 1], b, [1, 2], [0, 2])``), whose labels become letters. ``positions``
    gives each operand's place among ``(subscripts, *args)``.

    >>> einsum_form("ij,jk", (1.0, 2.0, None, None))
    ('ij,jk', [1.0, 2.0], [1, 2])
    >>> einsum_form(1.0, ([0, 1], 2.0, [1, 2], [0, 2]))
    ('ab,bc->ac', [1.0, 2.0], [0, 2])
    """
    args = list(args)
    while args and args[-1] is None:
        args.pop()
    if isinstance(subscripts, str):
        return subscripts, args, list(range(1, len(args) + 1))
    raw = [subscripts, *args]
    pairs = len(raw) // 2
    operands, sublists = raw[0 : 2 * pairs : 2], raw[1 : 2 * pairs : 2]
    if len(raw) % 2:
        output = raw[-1]
    else:  # implicit output: the labels used once, in order (after the ellipsis, if any)
        labels = [c for sub in sublists for c in sub]
        once = sorted({c for c in labels if c is not Ellipsis and labels.count(c) == 1})
        output = ([Ellipsis] if Ellipsis in labels else []) + once
    spec = ",".join(_labels(sub) for sub in sublists) + "->" + _labels(output)
    return spec, operands, [2 * k for k in range(pairs)]


def _labels(sublist) -> str:
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return "".join("..." if c is Ellipsis else letters[int(c)] for c in sublist)


def einsum_adjoint_at(g, subscripts, args, position, optimize=False):
    """The adjoint of argument ``position`` of ``np.einsum(subscripts, *args)`` (either form;
    ``position`` 0 is ``subscripts``): None where that argument is a label, not an operand."""
    spec, operands, positions = einsum_form(subscripts, args)
    if position not in positions:
        return None
    return einsum_adjoint(g, spec, operands, positions.index(position), optimize)


def einsum_tangent_at(t, subscripts, args, position, optimize=False):
    """``np.einsum(subscripts, *args)`` with argument ``position`` replaced by its tangent."""
    spec, operands, positions = einsum_form(subscripts, args)
    if position not in positions:
        return None
    return einsum_tangent(t, spec, operands, positions.index(position), optimize)


# -- solve, cholesky --------------------------------------------------------------------------


def _solve_is_vector(a, b) -> bool:
    if _NUMPY2:
        return np.ndim(b) == 1
    return np.ndim(b) == np.ndim(a) - 1


def solve_adjoint_b(g, a, b):
    """The adjoint of ``b`` in ``x = np.linalg.solve(a, b)``: ``solve(a.T, g)``."""
    if _solve_is_vector(a, b):
        b_bar = np.linalg.solve(matrix_transpose(a), np.expand_dims(g, -1))[..., 0]
    else:
        b_bar = np.linalg.solve(matrix_transpose(a), g)
    return unbroadcast(b_bar, b)


def solve_adjoint_a(g, ans, a, b):
    """The adjoint of ``a`` in ``x = np.linalg.solve(a, b)``: ``-solve(a.T, g) x.T``."""
    if _solve_is_vector(a, b):
        g, ans = np.expand_dims(g, -1), np.expand_dims(ans, -1)
    b_bar = np.linalg.solve(matrix_transpose(a), g)
    return unbroadcast(-b_bar @ matrix_transpose(ans), a)


def solve_tangent_a(a_dot, ans, a, b):
    """The tangent of ``x = np.linalg.solve(a, b)`` from ``a``'s: ``-solve(a, a_dot x)``."""
    if _solve_is_vector(a, b):
        return -np.linalg.solve(a, a_dot @ np.expand_dims(ans, -1))[..., 0]
    return -np.linalg.solve(a, a_dot @ ans)


def _tril_half_diagonal(x):
    """The lower triangle of ``x`` with its diagonal halved (Cholesky's Φ)."""
    return np.tril(x) - 0.5 * (np.eye(x.shape[-1]) * x)


def _cholesky_lower_adjoint(g, lower):
    inner = _tril_half_diagonal(matrix_transpose(lower) @ g)
    left = np.linalg.solve(matrix_transpose(lower), inner)  # L^-T Φ(L^T g)
    s = matrix_transpose(np.linalg.solve(matrix_transpose(lower), matrix_transpose(left)))
    return _read_triangle_adjoint(s, from_lower=True)  # NumPy reads only the lower triangle of a


def _cholesky_lower_tangent(a_dot, lower):
    left = np.linalg.solve(lower, _read_triangle(a_dot, from_lower=True))  # L^-1 A'
    inner = matrix_transpose(np.linalg.solve(lower, matrix_transpose(left)))  # L^-1 A' L^-T
    return lower @ _tril_half_diagonal(inner)


def cholesky_adjoint(g, ans, upper=False):
    """The adjoint of ``a`` in ``np.linalg.cholesky(a, upper=upper)``.

    Like NumPy, it sees only the triangle of ``a`` that NumPy reads (the lower one, or the
    upper one when ``upper``): the adjoint is zero on the other strict triangle.
    """
    require_real(ans, "numpy.linalg.cholesky")
    if upper:
        return matrix_transpose(_cholesky_lower_adjoint(matrix_transpose(g), matrix_transpose(ans)))
    return _cholesky_lower_adjoint(g, ans)


def cholesky_tangent(a_dot, ans, upper=False):
    """The tangent of ``np.linalg.cholesky(a, upper=upper)`` from ``a``'s."""
    require_real(ans, "numpy.linalg.cholesky")
    if upper:
        lower = matrix_transpose(ans)
        return matrix_transpose(_cholesky_lower_tangent(matrix_transpose(a_dot), lower))
    return _cholesky_lower_tangent(a_dot, ans)


# -- trace, diagonal ------------------------------------------------------------------------


def trace_adjoint(g, a, offset=0, axis1=0, axis2=1):
    """The adjoint of ``a`` in ``np.trace(a, offset, axis1, axis2)``: ``g`` on that diagonal."""
    shape = np.shape(a)
    eye = np.eye(shape[axis1], shape[axis2], k=offset)
    return np.moveaxis(np.expand_dims(g, (-2, -1)) * eye, (-2, -1), (axis1, axis2))


def diagonal_adjoint(g, a, offset=0, axis1=0, axis2=1):
    """The adjoint of ``a`` in ``np.diagonal(a, offset, axis1, axis2)``: zeros but ``g`` there."""
    g = np.asarray(g)
    shape = np.shape(a)
    n, m = shape[axis1], shape[axis2]
    full = np.zeros(g.shape[:-1] + (n, m), np.result_type(g, float))
    along = np.arange(g.shape[-1])
    full[..., along + max(-offset, 0), along + max(offset, 0)] = g
    return np.moveaxis(full, (-2, -1), (axis1, axis2))


def diag_adjoint(g, v, k=0):
    """The adjoint of ``v`` in ``np.diag(v, k)`` (which builds from 1-D, extracts from 2-D)."""
    if np.ndim(v) == 1:
        return np.diagonal(g, k).copy()
    return diagonal_adjoint(g, v, k)


# -- norm ----------------------------------------------------------------------------------


def _norm_axes(x, ord, axis):
    """The axes ``np.linalg.norm`` reduces, and whether it computes a matrix norm over them."""
    ndim = np.ndim(x)
    if axis is None:
        if ord is None:
            return None, False
        axis = tuple(range(ndim))
    axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
    return tuple(a % ndim for a in axes), len(axes) == 2


def _share_of_extremum(values, extremum, axes):
    ties = values == extremum
    return ties / np.sum(ties, axis=axes, keepdims=True)


def norm_gradient(x, norm, ord=None, axis=None, keepdims=False):
    """The gradient of ``np.linalg.norm(x, ord, axis)`` w.r.t. ``x``, shaped like ``x``, given
    that norm ``norm``.

    Each entry holds the derivative of the norm of the vector (or matrix) it belongs to.
    At a tie of ``inf``-type norms the gradient is shared evenly among the tied entries.
    Its own derivative (second order through a norm) is ``norm_gradient_partials``: a rule of
    its own, so that differentiating again never meets the branches ``ord`` rules out.

    For a complex ``x`` it is the conjugate of the real formula (``conj(x) / norm``): the
    adjoint ``df/dx - i df/dy`` of a real-valued function.
    """
    if is_complex(x):
        return conj(_norm_gradient(np.asarray(x), norm, ord, axis, keepdims))
    return _norm_gradient(x, norm, ord, axis, keepdims)


def _norm_gradient(x, norm, ord, axis, keepdims):
    x = np.asarray(x)
    axes, matrix = _norm_axes(x, ord, axis)
    norm = norm if keepdims or axes is None else np.expand_dims(norm, axes)  # against x
    if ord is None or ord == "fro" or (ord == 2 and not matrix):
        return x / norm
    if not matrix:
        magnitude = np.abs(x)
        if ord == np.inf or ord == -np.inf:
            return np.sign(x) * _share_of_extremum(magnitude, norm, axes)
        if ord == 0:
            return np.zeros(x.shape)
        return np.sign(x) * (magnitude / norm) ** (ord - 1)
    rows, cols = axes
    if ord in (1, -1, np.inf, -np.inf):
        summed = cols if ord in (np.inf, -np.inf) else rows  # inf: max row sum; 1: max col sum
        line_sums = np.sum(np.abs(x), axis=summed, keepdims=True)
        return np.sign(x) * _share_of_extremum(line_sums, norm, axes)
    if ord in (2, -2, "nuc"):
        stacked = np.moveaxis(x, (rows, cols), (-2, -1))
        u, _, vt = np.linalg.svd(stacked, full_matrices=False)
        if ord == "nuc":
            grad = u @ vt
        else:
            pick = 0 if ord == 2 else -1
            grad = u[..., :, pick, None] * vt[..., None, pick, :]
        return np.moveaxis(grad, (-2, -1), (rows, cols))
    raise NonDifferentiableError(f"no derivative for np.linalg.norm with ord={ord!r}")


def norm_gradient_partials(x, norm, ord=None, axis=None, keepdims=False):
    """``(d/dx, d/dnorm)`` of ``norm_gradient(x, norm, ord, axis, keepdims)``, entry by entry
    (for a fixed norm each entry of the gradient depends on its own entry of ``x`` only), both
    shaped like ``x``: the second derivative of a vector norm, or of a Frobenius norm. The
    piecewise constant gradients (``inf``, ``0``, ``1`` and matrix ``1``/``inf`` norms) have
    zero derivatives; the spectral and nuclear norms have none here, nor has a complex ``x``."""
    x = np.asarray(require_real(x, "the gradient of numpy.linalg.norm (a second derivative)"))
    axes, matrix = _norm_axes(x, ord, axis)
    norm = norm if keepdims or axes is None else np.expand_dims(norm, axes)
    if ord is None or ord == "fro" or (ord == 2 and not matrix):
        return np.broadcast_to(1.0 / norm, x.shape), -x / (norm * norm)
    if matrix and ord in (2, -2, "nuc"):
        raise NonDifferentiableError(
            f"no second derivative for np.linalg.norm with ord={ord!r} of a matrix"
        )
    if matrix or ord in (np.inf, -np.inf, 0, 1):
        return np.zeros(x.shape), np.zeros(x.shape)
    magnitude = np.abs(x)
    ratio = magnitude / norm
    with np.errstate(divide="ignore", invalid="ignore"):
        along_x = (ord - 1) * ratio ** (ord - 2) / norm
    along_norm = -(ord - 1) * np.sign(x) * ratio ** (ord - 1) / norm
    return along_x, along_norm


def _norm_reduced(values, x, ord, axis, keepdims):
    """``values`` (shaped like ``x``) summed to the shape of ``np.linalg.norm(x, ord, axis)``."""
    axes, _ = _norm_axes(np.asarray(x), ord, axis)
    if axes is None:
        return np.sum(values)
    return np.sum(values, axis=axes, keepdims=keepdims)


def _norm_expanded(t, x, ord, axis, keepdims):
    """``t`` (shaped like the norm) broadcast against ``x``."""
    axes, _ = _norm_axes(np.asarray(x), ord, axis)
    return t if keepdims or axes is None else np.expand_dims(t, axes)


def norm_gradient_tangent_norm(norm_dot, x, norm, ord=None, axis=None, keepdims=False):
    """The tangent of ``norm_gradient(x, norm, ...)`` along ``norm_dot``, shaped like ``x``."""
    along_norm = norm_gradient_partials(x, norm, ord, axis, keepdims)[1]
    return along_norm * _norm_expanded(norm_dot, x, ord, axis, keepdims)


def norm_gradient_along_x(g, x, norm, ord=None, axis=None, keepdims=False):
    """Both the tangent along ``x``'s tangent ``g`` and the adjoint of ``x`` from the
    cotangent ``g`` of ``norm_gradient(x, norm, ...)``: its Jacobian in ``x`` is diagonal."""
    return norm_gradient_partials(x, norm, ord, axis, keepdims)[0] * g


def norm_gradient_adjoint_norm(g, x, norm, ord=None, axis=None, keepdims=False):
    """The adjoint of ``norm`` in ``norm_gradient(x, norm, ...)``."""
    along_norm = norm_gradient_partials(x, norm, ord, axis, keepdims)[1]
    return _norm_reduced(along_norm * g, x, ord, axis, keepdims)


# -- kron, eigh, matrix_power --------------------------------------------------------------


def _kron_blocks(g, a, b):
    """``g`` of ``np.kron(a, b)`` as blocks: axes (a0, b0, a1, b1, ...), and a, b to match."""
    ndim = max(np.ndim(a), np.ndim(b))
    a_shape = (1,) * (ndim - np.ndim(a)) + np.shape(a)
    b_shape = (1,) * (ndim - np.ndim(b)) + np.shape(b)
    blocks = np.reshape(g, [n for pair in zip(a_shape, b_shape, strict=True) for n in pair])
    a_spread = np.reshape(a, [n for m in a_shape for n in (m, 1)])
    b_spread = np.reshape(b, [n for m in b_shape for n in (1, m)])
    return blocks, a_spread, b_spread, ndim


def kron_adjoint_a(g, a, b):
    """The adjoint of ``a`` in ``np.kron(a, b)``: each block of ``g`` against ``b``."""
    blocks, _, b_spread, ndim = _kron_blocks(g, a, b)
    return np.reshape(np.sum(blocks * b_spread, axis=tuple(range(1, 2 * ndim, 2))), np.shape(a))


def kron_adjoint_b(g, a, b):
    """The adjoint of ``b`` in ``np.kron(a, b)``: the blocks of ``g`` weighted by ``a``."""
    blocks, a_spread, _, ndim = _kron_blocks(g, a, b)
    return np.reshape(np.sum(blocks * a_spread, axis=tuple(range(0, 2 * ndim, 2))), np.shape(b))


def _read_triangle(a_dot, from_lower):
    """The symmetric matrix NumPy sees when it reads one triangle of ``a_dot``."""
    if from_lower:
        return np.tril(a_dot) + matrix_transpose(np.tril(a_dot, -1))
    return np.triu(a_dot) + matrix_transpose(np.triu(a_dot, 1))


def _read_triangle_adjoint(s, from_lower):
    """The adjoint of ``_read_triangle``: the other strict triangle folded onto the read one."""
    if from_lower:
        return np.tril(s + matrix_transpose(s), -1) + np.eye(s.shape[-1]) * s
    return np.triu(s + matrix_transpose(s), 1) + np.eye(s.shape[-1]) * s


def _over_eigen_gaps(m, w):
    """``m_ij / (w_j - w_i)`` off the diagonal, 0 on it and wherever ``m_ij`` is 0.

    Between equal eigenvalues the eigenvectors are not unique and the quotient is 0/0 in the
    limit; an entry of ``m`` that is exactly 0 there (the sum of eigenvalues, the trace of
    ``V diag(w) V^T``, any unused eigenvector) contributes nothing, and any other is NaN, so a
    derivative this formula cannot give is not replaced by a wrong finite number. Computed
    eigenvalues are accurate only to rounding (about ``n * eps * max|w|``), so two whose gap is
    below that count as equal: dividing by a rounding error would give a finite number of order
    1e14 that is no derivative at all.
    """
    gaps = w[..., None, :] - w[..., :, None]
    off = ~np.eye(w.shape[-1], dtype=bool)
    scale = np.max(np.abs(w), axis=-1, keepdims=True, initial=0.0)[..., None]
    resolution = w.shape[-1] * np.finfo(np.result_type(w, float)).eps * scale
    equal = np.abs(gaps) <= resolution
    quotient = np.where(equal, np.nan, m / np.where(equal, 1.0, gaps))
    return np.where(off & (m != 0), quotient, 0.0)


def eigh_adjoint(g, ans, UPLO="L"):
    """The adjoint of ``a`` in ``w, v = np.linalg.eigh(a, UPLO)`` from ``g = (w_bar, v_bar)``.

    Either part of ``g`` may be None (an unused eigenvector contributes nothing, also between
    equal eigenvalues; see ``_over_eigen_gaps``).
    """
    w, v = ans
    require_real(v, "numpy.linalg.eigh")
    w_bar, v_bar = g
    inner = np.zeros(np.shape(v))
    if w_bar is not None:
        inner = inner + np.eye(w.shape[-1]) * np.expand_dims(w_bar, -2)
    if v_bar is not None:
        inner = inner + _over_eigen_gaps(matrix_transpose(v) @ v_bar, w)
    s = v @ inner @ matrix_transpose(v)
    return _read_triangle_adjoint(s, UPLO.upper() == "L")


def eigh_tangent(a_dot, ans, UPLO="L"):
    """The tangent ``(w_dot, v_dot)`` of ``np.linalg.eigh(a, UPLO)`` from ``a``'s."""
    w, v = ans
    require_real(v, "numpy.linalg.eigh")
    rotated = matrix_transpose(v) @ _read_triangle(a_dot, UPLO.upper() == "L") @ v
    return np.diagonal(rotated, axis1=-2, axis2=-1), v @ _over_eigen_gaps(rotated, w)


def eigvalsh_adjoint(g, a, UPLO="L"):
    """The adjoint of ``a`` in ``np.linalg.eigvalsh(a, UPLO)``."""
    return eigh_adjoint((g, None), np.linalg.eigh(a, UPLO), UPLO)


def _powers(a, n):
    powers = [np.broadcast_to(np.eye(a.shape[-1]), a.shape)]
    for _ in range(n - 1):
        powers.append(powers[-1] @ a)
    return powers


def matrix_power_adjoint(g, a, n):
    """The adjoint of ``a`` in ``np.linalg.matrix_power(a, n)``: ``Σ (A^k)^T g (A^(n-1-k))^T``."""
    a = np.asarray(a)  # (a list first: np.result_type reads a list as a dtype spec)
    a = np.asarray(a, dtype=np.result_type(a, float))
    if n < 0:
        a_inv = np.linalg.inv(a)
        a_inv_bar = matrix_power_adjoint(g, a_inv, -n)
        return -matrix_transpose(a_inv) @ a_inv_bar @ matrix_transpose(a_inv)
    powers = _powers(a, n)
    a_bar = np.zeros(a.shape)
    for k in range(n):
        a_bar = a_bar + matrix_transpose(powers[k]) @ g @ matrix_transpose(powers[n - 1 - k])
    return a_bar


def matrix_power_tangent(a_dot, a, n):
    """The tangent of ``np.linalg.matrix_power(a, n)``: ``Σ A^k a_dot A^(n-1-k)``."""
    a = np.asarray(a)  # (a list first: np.result_type reads a list as a dtype spec)
    a = np.asarray(a, dtype=np.result_type(a, float))
    if n < 0:
        a_inv = np.linalg.inv(a)
        return matrix_power_tangent(-a_inv @ a_dot @ a_inv, a_inv, -n)
    powers = _powers(a, n)
    tangent = np.zeros(np.broadcast_shapes(a.shape, np.shape(a_dot)))
    for k in range(n):
        tangent = tangent + powers[k] @ a_dot @ powers[n - 1 - k]
    return tangent
