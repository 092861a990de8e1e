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
    "safe_mul",
    "times_partial",
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


def safe_mul(a, b):
    """``a * b``, but 0 wherever either factor is 0, even where the other is inf or NaN.

    The product of an adjoint and a local derivative: where ``np.where`` does not take a
    branch, the branch gets a zero adjoint, and its derivative there (``0.5 / sqrt(x)`` at
    ``x < 0``, ``1 / x`` at 0) must not turn that zero into NaN. Costs one finiteness check
    where the product is finite.

    >>> safe_mul(np.array([0.0, 2.0]), np.array([np.nan, 3.0]))
    array([0., 6.])
    """
    product = a * b
    kind = type(product)
    if kind is float or kind is int or kind is complex or kind is np.float64:
        if product - product == 0:  # finite
            return float(product) if kind is np.float64 else product  # a number stays one
        return 0.0 if a == 0 or b == 0 else product
    if kind is np.ndarray or isinstance(product, np.generic):
        if np.isfinite(np.add.reduce(product, axis=None)):
            return product
    return np.where(np.logical_or(a == 0, b == 0), 0.0, product)


def times_partial(g, partial):
    """An elementwise rule's adjoint ``g * partial``: ``safe_mul`` unless the partial is a
    constant number (``1.0`` for ``x + y``), which a product cannot turn into NaN."""
    kind = type(partial)
    if kind is float or kind is int:
        return g * partial
    return safe_mul(g, partial)


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
from . import complexes as _complex  # noqa: E402
from . import decompositions as _decompositions  # noqa: E402
from . import distributions as _distributions  # noqa: E402
from . import fourier as _fft  # noqa: E402
from . import indexing as _indexing  # noqa: E402
from . import linalg as _linalg  # noqa: E402
from . import special as _special  # noqa: E402
from . import statistics as _statistics  # noqa: E402
from . import structures as _structures  # noqa: E402
from . import tangents as _tangents  # noqa: E402
from .arrays import *  # noqa: E402,F401,F403
from .complexes import *  # noqa: E402,F401,F403
from .decompositions import *  # noqa: E402,F401,F403
from .distributions import *  # noqa: E402,F401,F403
from .fourier import *  # noqa: E402,F401,F403
from .indexing import *  # noqa: E402,F401,F403
from .linalg import *  # noqa: E402,F401,F403
from .special import *  # noqa: E402,F401,F403
from .statistics import *  # noqa: E402,F401,F403
from .structures import *  # noqa: E402,F401,F403
from .tangents import *  # noqa: E402,F401,F403

__all__ += _arrays.__all__ + _complex.__all__ + _fft.__all__ + _indexing.__all__
__all__ += _linalg.__all__ + _decompositions.__all__ + _special.__all__ + _statistics.__all__
__all__ += _tangents.__all__ + _structures.__all__ + _distributions.__all__
