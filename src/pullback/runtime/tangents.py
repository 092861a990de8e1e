"""Helpers that forward-mode (JVP) code and the rules of generated code's helpers call.

In: tangents and adjoints: arrays, numbers, ``None`` (a symbolic zero), containers of these.
Out: zero tangents that keep a ``None`` primal ``None``, tangents broadcast to their output's
shape, and the transposes of the shape helpers (``broadcast_like`` undoes ``unbroadcast``,
``reduce_like`` undoes ``unreduce``), which make generated code differentiable again.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "zero_tangent",
    "broadcast_like",
    "sum_tangent",
    "split_tangent",
    "add_into",
    "reduce_like",
    "item_adjoint",
    "head_adjoint",
    "times_adjoint_adjoint",
    "times_adjoint_other",
    "factor_tangent",
    "tail_adjoint",
    "prefix_adjoint",
]


def zero_tangent(x):
    """The zero tangent of ``x``: ``None`` for ``None``, else zeros shaped like ``x``.

    >>> zero_tangent(None), zero_tangent(2.0)
    (None, 0.0)
    """
    if x is None:
        return None
    from . import zeros_like_value

    return zeros_like_value(x)


def broadcast_like(t, y):
    """``t`` broadcast to the shape of ``y`` (a no-op where the shapes agree); None stays None.

    >>> broadcast_like(np.ones((3, 1)), np.zeros((3, 4))).shape
    (3, 4)
    """
    if t is None:
        return None
    shape = np.shape(y)
    if np.shape(t) == shape:
        return t
    return np.broadcast_to(t, shape)


def sum_tangent(t, u, a, y):
    """The tangent of ``y = a + b`` from the tangents ``t`` of ``a`` and ``u`` of ``b``.

    Either may be ``None`` (a symbolic zero). Numbers and arrays add (broadcast to ``y``);
    tuples and lists concatenate, a side without a tangent giving ``None`` for its entries.

    >>> sum_tangent((1.0,), None, (0.5,), (0.5, 2.0))
    (1.0, None)
    """
    if isinstance(y, (tuple, list)):
        n = len(a)
        left = [None] * n if t is None else list(t)
        right = [None] * (len(y) - n) if u is None else list(u)
        return type(y)(left + right)
    if t is None:
        return broadcast_like(u, y)
    if u is None:
        return broadcast_like(t, y)
    return broadcast_like(t + u, y)


def split_tangent(g, a, t, right):
    """The transpose of ``sum_tangent``: the part of ``g`` that came from ``t`` (the left
    side's, or the right side's where ``right``); ``None`` where ``g`` or ``t`` is ``None``."""
    if g is None or t is None:
        return None
    if isinstance(g, (tuple, list)):
        n = len(a)
        return type(t)(g[n:] if right else g[:n])
    from . import unbroadcast

    return unbroadcast(g, t)


_IN_PLACE = 4096  # entries from which an allocation costs as much as the addition


def add_into(a, b):
    """``a + b`` where ``None`` is zero, written into ``a`` when ``a`` is a large array:
    generated code passes a fresh temporary of the sum's shape and type as ``a`` (a product
    computed for this sum alone), so adding in place saves allocating the sum.

    >>> add_into(None, 2.0), add_into(np.ones(2) * 3.0, np.ones(2))
    (2.0, array([4., 4.]))
    """
    if a is None:
        return b
    if b is None:
        return a
    if isinstance(a, (tuple, list)):  # the tangent of a rule's tuple output: entry by entry
        from .adjoints import add_adjoints

        return add_adjoints(a, b)
    if (
        a.__class__ is np.ndarray
        and a.size >= _IN_PLACE
        and (b.__class__ is float or b.__class__ is np.ndarray and b.dtype == a.dtype)
    ):
        a += b
        return a
    return a + b


add_into.writes_first_argument = True  # the optimizer moves nothing past it


def reduce_like(g, t, axis=None, keepdims=False):
    """The transpose of ``unreduce(t, x, axis, keepdims)``: ``g`` summed back to ``t``'s shape."""
    if g is None:
        return None
    return np.reshape(np.sum(g, axis=axis, keepdims=keepdims), np.shape(t))


def item_adjoint(g, adjoint, index):
    """The transpose of ``item(adjoint, index)``: ``g`` placed at ``index`` of a zero adjoint."""
    if adjoint is None or g is None:
        return None
    from .indexing import getitem_adjoint

    return getitem_adjoint(g, adjoint, index)


def _spread(g, adjoint):
    """``g`` broadcast to ``adjoint``'s shape (a fresh array): the transpose of summing an
    adjoint down to a list read as an array."""
    return np.array(np.broadcast_to(np.asarray(g), np.shape(np.asarray(adjoint))))


def head_adjoint(g, adjoint, left, right):
    """The transpose of ``head(adjoint, left, right)``: ``g`` followed by zeros where both
    sides are sequences, else ``g`` broadcast back to the sum's shape."""
    if g is None or adjoint is None:
        return None
    if isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
        return list(g) + [zero_tangent(a) for a in adjoint[len(left) :]]
    return _spread(g, adjoint)


def tail_adjoint(g, adjoint, left, right):
    """The transpose of ``tail(adjoint, left, right)``: zeros followed by ``g`` where both
    sides are sequences, else ``g`` broadcast back to the sum's shape."""
    if g is None or adjoint is None:
        return None
    if isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
        return [zero_tangent(a) for a in adjoint[: len(left)]] + list(g)
    return _spread(g, adjoint)


def _counts(side, other) -> bool:
    """Whether ``side * other`` repeats a sequence (one of them a list or tuple, the other an
    integer count) rather than multiplying numbers."""
    seq = (list, tuple)
    count = (int, np.integer)
    return (
        isinstance(side, seq)
        and isinstance(other, count)
        or (isinstance(other, seq) and isinstance(side, count))
    )


def times_adjoint_adjoint(g, adjoint, side, other):
    """The transpose of ``times_adjoint(adjoint, side, other)`` in ``adjoint``: ``g`` repeated
    where ``side`` is a sequence repeated ``other`` times, else ``g * other`` broadcast back."""
    if g is None or adjoint is None or other is None:
        return None
    if _counts(side, other):
        if not isinstance(side, (list, tuple)):
            return None
        return list(g) * (len(adjoint) // max(len(side), 1))
    return _spread(g, adjoint) * np.asarray(other)


def times_adjoint_other(g, adjoint, side, other):
    """The transpose of ``times_adjoint(adjoint, side, other)`` in ``other`` (a factor, not a
    count): ``adjoint * g`` summed down to ``other``, shaped like it."""
    if g is None or adjoint is None or _counts(side, other):
        return None
    from .adjoints import times_adjoint

    return times_adjoint(np.asarray(adjoint), other, _spread(g, adjoint))


def factor_tangent(other_dot, other):
    """The tangent of the other factor of ``times_adjoint`` as it takes it: ``None`` for a
    count, zeros for the symbolic zeros of a list."""
    if other_dot is None or isinstance(other, (int, np.integer)):
        return None
    from .arrays import dense_tangent

    return dense_tangent(other_dot, other)


def prefix_adjoint(g, adjoint):
    """The adjoint of ``adjoint`` in ``add_at(adjoint, index, v)``: ``g`` cut to its length."""
    if g is None or adjoint is None:
        return None
    return list(g[: len(adjoint)])
