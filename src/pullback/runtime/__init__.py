"""The few helpers that rules and generated derivative code may call.

In: arrays, Python numbers, ``None`` (a symbolic zero).
Out: adjoints reduced to an argument's shape, accumulated sums, tape stacks.

Generated code imports nothing of pullback but this module, so an exported derivative runs with
NumPy and ``pullback.runtime`` alone. Keep it small, dependency-free and fast on scalars.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "unbroadcast",
    "unbroadcast_to",
    "unreduce",
    "accumulate",
    "zeros_like_value",
    "Stack",
    "push",
    "pop",
]


def unbroadcast(g, x):
    """Sum ``g`` down to the shape of ``x`` (undoing NumPy broadcasting); None stays None.

    >>> unbroadcast(np.ones((3, 4)), np.ones((1, 4))).shape
    (1, 4)
    """
    if g is None:
        return None
    return unbroadcast_to(g, np.shape(x))


def unbroadcast_to(g, shape):
    """Sum ``g`` down to ``shape``: ``unbroadcast`` for a value of which the derivative kept
    only the shape (the value itself was freed after its last use); None stays None.

    >>> unbroadcast_to(np.ones((3, 4)), (4,))
    array([3., 3., 3., 3.])
    """
    if g is None:
        return None
    g_shape = np.shape(g)
    x_shape = tuple(shape)
    if g_shape == x_shape:
        return g
    if not x_shape:
        return np.sum(g)
    lead = len(g_shape) - len(x_shape)
    if lead > 0:
        g = np.sum(g, axis=tuple(range(lead)))
    axes = tuple(i for i, n in enumerate(x_shape) if n == 1 and np.shape(g)[i] != 1)
    if axes:
        g = np.sum(g, axis=axes, keepdims=True)
    if np.shape(g) != x_shape:  # g was smaller than x (a broadcast scalar adjoint)
        g = np.broadcast_to(g, x_shape)
    return g


def unreduce(g, x, axis=None, keepdims=False):
    """Broadcast the adjoint of a reduction over ``axis`` back to the shape of ``x``."""
    if g is None:
        return None
    shape = np.shape(x)
    if axis is not None and not keepdims:
        axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
        axes = tuple(a % len(shape) for a in axes)
        g = np.expand_dims(g, axes)
    return np.broadcast_to(g, shape)


def accumulate(acc, g):
    """``acc + g`` where either may be a symbolic zero (None)."""
    if acc is None:
        return g
    if g is None:
        return acc
    return acc + g


def zeros_like_value(x):
    """A zero of the same shape and float type as ``x`` (0.0 for Python numbers)."""
    if isinstance(x, (int, float, bool)):
        return 0.0
    parts = _structures.entries(x)
    if parts is not None:  # a tuple, list, dict, namedtuple or dataclass: entry by entry
        return _structures.rebuild(x, [zeros_like_value(v) for _, v in parts])
    arr = np.asarray(x)
    if arr.dtype.kind in "fc":
        return np.zeros_like(arr)
    return np.zeros(arr.shape)


class Stack(list):
    """A tape: values the forward sweep records for the backward sweep, last in first out."""

    __slots__ = ()


def push(stack: Stack, value) -> None:
    stack.append(value)


def pop(stack: Stack):
    return stack.pop()


# Helpers of the derivative rules, in modules of their own; re-exported so that generated code
# (and a rule body spliced into it) reaches every helper by its bare name.
from . import arrays as _arrays  # noqa: E402
from . import indexing as _indexing  # noqa: E402
from . import linalg as _linalg  # noqa: E402
from . import special as _special  # noqa: E402
from . import structures as _structures  # noqa: E402
from . import tangents as _tangents  # noqa: E402
from .arrays import *  # noqa: E402,F401,F403
from .indexing import *  # noqa: E402,F401,F403
from .linalg import *  # noqa: E402,F401,F403
from .special import *  # noqa: E402,F401,F403
from .structures import *  # noqa: E402,F401,F403
from .tangents import *  # noqa: E402,F401,F403

__all__ += _arrays.__all__ + _indexing.__all__ + _linalg.__all__ + _special.__all__
__all__ += _tangents.__all__ + _structures.__all__
