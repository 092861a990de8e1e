"""Helpers of the rules for order statistics, covariances, ``select`` and rearranging functions.

In: the primal arguments of ``np.quantile`` (``median``, ``percentile``), ``np.cov``
(``corrcoef``), ``np.select``, ``np.gradient``, ``np.rollaxis``, ``np.partition``, ``sorted``.
Out: constants of the derivative (each entry's share in a quantile, the order of a partition,
the index of the choice ``select`` takes, the matrix of ``np.gradient``), and the few linear
maps the rules need, written with NumPy functions that have rules themselves (so a derivative
using them differentiates again), or given rules of their own in ``rules/statistics.py``.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "refuse",
    "quantile_shares",
    "quantile_axes",
    "cov_variables",
    "cov_variables_adjoint",
    "cov_scaled_deviations",
    "cov_tangent",
    "cov_adjoint",
    "corrcoef_cov_adjoint",
    "corrcoef_tangent",
    "zeros_unless_none",
    "piecewise_constants",
    "choice_index",
    "select_adjoint",
    "gradient_matrix",
    "gradient_adjoint",
    "rollaxis_order",
    "partition_order",
    "sorted_order",
    "sorted_adjoint",
    "sorted_tangent",
]


def refuse(function, argument, why):
    """Raise the error of a derivative that the rule table does not have."""
    from ..errors import PullbackValueError

    raise PullbackValueError(f"cannot differentiate {function} in {argument!r}: {why}")


# -- order statistics -----------------------------------------------------------------------------


def _reduced_last(a, axis):
    """``a`` with the axes of ``axis`` moved last and merged: shape (m, n), and the axes."""
    a = np.asarray(a)
    if axis is None:
        return np.reshape(a, (1, -1)), tuple(range(a.ndim))
    axes = tuple(int(ax) % a.ndim for ax in ((axis,) if np.ndim(axis) == 0 else axis))
    moved = np.moveaxis(a, axes, tuple(range(a.ndim - len(axes), a.ndim)))
    n = int(np.prod([a.shape[ax] for ax in axes]))
    return np.reshape(moved, (-1, n)), axes


def quantile_shares(a, q, axis=None, method="linear", weights=None):
    """Each entry's share in ``np.quantile(a, q, axis, method=method)``: shape
    ``np.shape(q) + np.shape(a)``, a constant (the derivative of the quantile in ``a``).

    The quantile is a weighted sum of two order statistics; the weights are read off the
    quantile of the positions ``0 .. n-1``. Entries of equal value share their order
    statistics' weights evenly (as ``max`` splits among ties)."""
    if weights is not None:
        refuse("numpy.quantile", "weights", "weighted quantiles have no derivative rule")
    a = np.asarray(a)
    flat, axes = _reduced_last(a, axis)
    m, n = flat.shape
    position = np.quantile(np.arange(n, dtype=float), np.ravel(q), method=method)
    low = np.floor(position).astype(int)
    upper = position - low
    weights = np.zeros((position.size, n))  # per sorted position, for each q
    np.add.at(weights, (np.arange(position.size), low), 1.0 - upper)
    np.add.at(weights, (np.arange(position.size), np.minimum(low + 1, n - 1)), upper)
    order = np.argsort(flat, axis=1, kind="stable")
    ordered = np.take_along_axis(flat, order, axis=1)
    new_group = np.concatenate([np.ones((m, 1), bool), ordered[:, 1:] != ordered[:, :-1]], 1)
    group = np.cumsum(new_group, axis=1) - 1 + n * np.arange(m)[:, None]  # ties: one group
    count = np.bincount(group.ravel(), minlength=m * n)
    shares = np.empty((position.size, m, n))
    for k in range(position.size):
        total = np.bincount(group.ravel(), np.broadcast_to(weights[k], (m, n)).ravel(), m * n)
        per_position = (total / np.maximum(count, 1))[group]
        np.put_along_axis(shares[k], order, per_position, axis=1)
    moved_shape = [a.shape[d] for d in range(a.ndim) if d not in axes] + [a.shape[d] for d in axes]
    shares = shares.reshape((position.size, *moved_shape))
    start = 1 + a.ndim - len(axes)
    shares = np.moveaxis(shares, tuple(range(start, 1 + a.ndim)), tuple(1 + ax for ax in axes))
    return shares.reshape(np.shape(q) + a.shape)


def quantile_axes(a, q, axis=None):
    """The axes of ``quantile_shares(a, q, axis)`` that the quantile reduces."""
    lead = np.ndim(q)
    if axis is None:
        return tuple(range(lead, lead + np.ndim(a)))
    axes = (axis,) if np.ndim(axis) == 0 else axis
    return tuple(lead + int(ax) % np.ndim(a) for ax in axes)


# -- covariance ----------------------------------------------------------------------------------


def cov_variables(m, y=None, rowvar=True):
    """The 2-D array of variables (rows) by observations that ``np.cov(m, y, rowvar)`` reads."""
    x = np.atleast_2d(m)
    if not rowvar and np.shape(x)[0] != 1:
        x = np.transpose(x)
    if y is not None:
        z = np.atleast_2d(y)
        if not rowvar and np.shape(z)[0] != 1:
            z = np.transpose(z)
        x = np.concatenate((x, z), axis=0)
    return x


def cov_variables_adjoint(x_bar, m, y=None, rowvar=True, of_y=False):
    """The adjoint of ``m`` (or of ``y``, with ``of_y``) in ``cov_variables(m, y, rowvar)``."""
    rows = np.shape(np.atleast_2d(m))[0] if rowvar or np.ndim(m) < 2 else np.shape(m)[1]
    part = x_bar[rows:] if of_y else x_bar[:rows]
    value = y if of_y else m
    if not rowvar and np.ndim(value) == 2 and np.shape(value)[0] != 1:
        part = np.transpose(part)
    return np.reshape(part, np.shape(value))


def cov_scaled_deviations(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None,
                          aweights=None):  # fmt: skip
    """``B`` with ``np.cov(...) == X_c @ B.T`` for the centred variables ``X_c``: the deviations
    from the (weighted) means, times the weights, over the normalisation. The tangent of the
    covariance is ``X_dot @ B.T + B @ X_dot.T``."""
    x = cov_variables(m, y, rowvar)
    n = np.shape(x)[1]
    w = np.ones(n)
    if fweights is not None:
        w = w * np.asarray(fweights, float)
    if aweights is not None:
        w = w * np.asarray(aweights, float)
    total = np.sum(w)
    if ddof is None:
        ddof = 0 if bias else 1
    if aweights is None:
        fact = total - ddof
    else:
        fact = total - ddof * np.sum(w * np.asarray(aweights, float)) / total
    deviations = x - np.sum(x * w, axis=1, keepdims=True) / total
    return deviations * (w / fact)


# -- select --------------------------------------------------------------------------------------


def choice_index(condlist, n):
    """For each entry of ``np.select(condlist, choices)``: the index of the choice it takes
    (``n``, the number of choices, where it takes the default)."""
    return np.select(condlist, [np.full((), k) for k in range(n)], n)


def select_adjoint(g, condlist, choicelist):
    """The adjoints of the choices in ``np.select(condlist, choicelist, default)``: ``g`` where
    each is taken, summed to its shape. Linear in ``g``; its transpose is ``np.select``."""
    if g is None:
        return [None for _ in choicelist]
    taken = choice_index(condlist, len(choicelist))
    return [_sum_to(np.where(taken == k, g, 0.0), np.shape(c)) for k, c in enumerate(choicelist)]


def _sum_to(g, shape):
    lead = np.ndim(g) - len(shape)
    g = np.sum(g, axis=tuple(range(lead))) if lead > 0 else g
    axes = tuple(i for i, size in enumerate(shape) if size == 1 and np.shape(g)[i] != 1)
    return np.reshape(np.sum(g, axis=axes, keepdims=True) if axes else g, shape)


# -- np.gradient ---------------------------------------------------------------------------------


def gradient_matrix(n, spacing=1.0, edge_order=1):
    """The n x n matrix of ``np.gradient`` along one axis of length n (a constant)."""
    return np.gradient(np.eye(n), spacing, axis=0, edge_order=edge_order)


def gradient_adjoint(g, f, spacing=1.0, axis=None, edge_order=1):
    """The adjoint of ``f`` in ``np.gradient(f, spacing, axis=axis, edge_order=edge_order)``
    (``g`` a list where the gradient is one, over several axes). Linear in ``g``; its transpose
    is ``np.gradient``."""
    if g is None:
        return None
    if axis is None:
        axes = tuple(range(np.ndim(f)))
    else:
        axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
    parts = list(g) if len(axes) > 1 else [g]
    f_bar = np.zeros(np.shape(f))
    for ax, part in zip(axes, parts, strict=True):
        if part is None:
            continue
        ax = ax % np.ndim(f)
        matrix = gradient_matrix(np.shape(f)[ax], spacing, edge_order)
        f_bar = f_bar + np.moveaxis(np.tensordot(matrix, part, axes=([0], [ax])), 0, ax)
    return f_bar


# -- orders of rearranging functions ----------------------------------------------------------


def rollaxis_order(ndim, axis, start=0):
    """The axes of ``np.rollaxis(a, axis, start)`` for ``a`` of ``ndim`` dimensions, in order."""
    axis = axis % ndim
    start = start + ndim if start < 0 else start
    order = list(range(ndim))
    if axis < start:
        start -= 1
    order.remove(axis)
    order.insert(start, axis)
    return tuple(order)


def partition_order(a, ans, axis=-1):
    """Where each entry of ``ans = np.partition(a, kth, axis)`` comes from in ``a``, along
    ``axis`` (the flattened ``a`` for ``axis=None``)."""
    if axis is None:
        a, axis = np.ravel(a), 0
    by_value = np.argsort(a, axis=axis, kind="stable")
    rank = np.argsort(np.argsort(ans, axis=axis, kind="stable"), axis=axis, kind="stable")
    return np.take_along_axis(by_value, rank, axis=axis)


def sorted_order(iterable, reverse=False):
    """The positions of ``sorted(iterable, reverse=reverse)``'s items in ``iterable``."""
    values = np.asarray([float(v) for v in iterable])
    return np.argsort(-values if reverse else values, kind="stable")  # equal items keep order


def sorted_adjoint(g, iterable, order):
    """The adjoint of ``iterable`` in ``sorted(iterable)``: each item's adjoint sent back to
    where it came from; a list for a list, an array for an array. Linear in ``g``."""
    if g is None:
        return None
    entries = np.zeros(len(order))
    for k, i in enumerate(order):
        if g[k] is not None:
            entries[i] = g[k]
    return entries if isinstance(iterable, np.ndarray) else list(entries)


def sorted_tangent(t, order):
    """The tangent of ``sorted(iterable)`` for the items' tangents ``t``: in sorted order."""
    if t is None:
        return None
    return [0.0 if t[i] is None else t[i] for i in order]


def cov_tangent(x_dot, b, shape):
    """The tangent of ``np.cov`` (shaped ``shape``) for the variables' tangent ``x_dot``."""
    product = np.matmul(x_dot, np.transpose(b))
    return np.reshape(product + np.transpose(product), shape)


def cov_adjoint(g, b):
    """The adjoint of the variables of ``np.cov`` for the covariance's adjoint ``g``."""
    square = np.reshape(g, (np.shape(b)[0], np.shape(b)[0]))
    return np.matmul(square + np.transpose(square), b)


def corrcoef_cov_adjoint(g, x, y=None, rowvar=True):
    """The adjoint of the covariance in ``np.corrcoef(x, y, rowvar)`` for its adjoint ``g``."""
    c = np.atleast_2d(np.cov(x, y, rowvar))
    d = np.diagonal(c)
    scale = np.sqrt(np.outer(d, d))
    square = np.reshape(g, np.shape(c))
    weighted = square * (c / scale)
    return square / scale - np.diag((np.sum(weighted, axis=1) + np.sum(weighted, axis=0)) / (2 * d))


def corrcoef_tangent(c_dot, c, shape):
    """The tangent of ``np.corrcoef`` (shaped ``shape``) for the covariance's tangent ``c_dot``
    at the covariance ``c`` (2-D)."""
    d = np.diagonal(c)
    scale = np.sqrt(np.outer(d, d))
    relative = np.diagonal(c_dot) / d
    tangent = c_dot / scale - (c / scale) * (relative[:, None] + relative[None, :]) / 2
    return np.reshape(tangent, shape)


def zeros_unless_none(x):
    """Zeros shaped like ``x``, or None for None (an absent optional argument)."""
    return None if x is None else np.zeros(np.shape(x))


def piecewise_constants(x, funclist):
    """The derivative of ``np.piecewise(x, condlist, funclist)`` in ``x`` where every entry of
    ``funclist`` is a constant: zeros. A function in ``funclist`` has no rule: refused."""
    if any(callable(f) for f in funclist):
        refuse(
            "numpy.piecewise",
            "x",
            "funclist holds functions, whose derivatives the rule cannot reach; write the "
            "pieces with np.where or np.select instead",
        )
    return np.zeros(np.shape(x))
