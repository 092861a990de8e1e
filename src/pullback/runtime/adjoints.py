"""Helpers that source-mode derivatives call where adjoints may be zero or structured.

In: adjoints: arrays, numbers, ``None`` (a symbolic zero), or tuples/lists/dicts of these
(the adjoint of a structured value has the value's structure).
Out: sums and pieces of adjoints; the seed of a scalar output.
"""

from __future__ import annotations

import numpy as np

from . import unbroadcast as _unbroadcast
from . import unbroadcast_to as _unbroadcast_to
from .indexing import _has_integer_array
from .indexing import getitem_adjoint as _getitem_adjoint
from .structures import entries, entry, rebuild

__all__ = [
    "add_adjoints",
    "item",
    "seed",
    "aux_pair",
    "adjoint_or_zeros",
    "head",
    "tail",
    "times_adjoint",
    "unbroadcast",
    "unbroadcast_to",
    "conform_adjoint",
    "add_at",
    "scatter_add",
]

_ndarray = np.ndarray


def unbroadcast(g, x):
    """``pullback.runtime.unbroadcast`` with a fast path for the common no-op and row sums.

    >>> unbroadcast(np.ones((3, 4)), np.ones(4))
    array([3., 3., 3., 3.])
    """
    if g.__class__ is _ndarray and x.__class__ is _ndarray:
        g_shape = g.shape
        x_shape = x.shape
        if g_shape == x_shape:
            return g
        if len(g_shape) == len(x_shape) + 1 and g_shape[1:] == x_shape:
            return g.sum(axis=0)
    elif g.__class__ in _SCALARS and x.__class__ in _SCALARS:
        return g  # two numbers (Python's or NumPy's): nothing was broadcast
    return _unbroadcast(g, x)


def unbroadcast_to(g, shape):
    """``pullback.runtime.unbroadcast_to`` with the fast paths of ``unbroadcast``."""
    if g.__class__ is _ndarray:
        g_shape = g.shape
        if g_shape == shape:
            return g
        if len(g_shape) == len(shape) + 1 and g_shape[1:] == shape:
            return g.sum(axis=0)
    elif g.__class__ in _SCALARS and shape == ():
        return g
    return _unbroadcast_to(g, shape)


def conform_adjoint(g, x):
    """An adjoint the user wrote (a custom rule's bwd, a ``grad_of`` block) given ``x``'s
    shape: a smaller one holds for every entry of ``x`` (``1.0`` for an array is ones), a
    larger one is summed down to it, as broadcasting would have. Any later step may then
    rely on an adjoint having its value's shape. Containers and ``None`` pass through.

    >>> conform_adjoint(1.0, np.zeros(3))
    array([1., 1., 1.])
    """
    if g is None or isinstance(x, (tuple, list, dict)) or isinstance(g, (tuple, list, dict)):
        return g
    g_shape, x_shape = np.shape(g), np.shape(x)
    if g_shape == x_shape:
        return g
    try:
        if np.broadcast_shapes(g_shape, x_shape) == x_shape:
            return np.broadcast_to(g, x_shape)
        return _unbroadcast_to(g, x_shape)
    except ValueError:
        from ..errors import PullbackValueError

        raise PullbackValueError(
            f"an adjoint of shape {g_shape} was given for a value of shape {x_shape}; a "
            "custom rule's bwd (or a grad_of block) must give each adjoint its value's shape"
        ) from None


_SCALARS = frozenset(
    {float, int, np.float64, np.float32, np.int64, np.int32, np.complex128, complex}
)


def add_adjoints(a, b):
    """``a + b`` for adjoints: ``None`` is zero; tuples, lists, dicts, namedtuples and
    dataclasses add entry by entry (by position, key or field name).

    >>> add_adjoints(None, 2.0), add_adjoints([1.0, None], [None, 3.0])
    (2.0, [1.0, 3.0])
    """
    if a is None:
        return b
    if b is None:
        return a
    if isinstance(a, dict):
        out = dict(a)
        for key, value in b.items():
            out[key] = add_adjoints(out.get(key), value)
        return out
    if type(a) in (list, tuple) and type(b) not in (list, tuple) and entries(b) is not None:
        a, b = b, a  # a list adjoint of a namedtuple or dataclass: the typed one leads
    if isinstance(a, (list, tuple)):
        b = list(b) if isinstance(b, (list, tuple)) else [entry(b, k) for k, _ in entries(a)]
        return rebuild(a, [add_adjoints(x, y) for x, y in zip(a, _padded(b, len(a)), strict=False)])
    parts = entries(a)
    if parts is not None:  # a dataclass: field by field
        return rebuild(a, [add_adjoints(v, entry(b, k)) for k, v in parts])
    return a + b


def _padded(b, n):
    b = list(b)
    return b + [None] * (n - len(b))


def item(adjoint, index):
    """Entry ``index`` of a structured adjoint; ``None`` (zero) where there is none."""
    if adjoint is None:
        return None
    try:
        return adjoint[index]
    except (IndexError, KeyError):
        return None


def aux_pair(out, name):
    """With has_aux, check that ``name``'s output ``out`` is a pair ``(value, aux)``."""
    if (out.__class__ is tuple or out.__class__ is list) and len(out) == 2:
        return
    from ..errors import PullbackTypeError

    what = (
        f"a {type(out).__name__} of length {len(out)}"
        if isinstance(out, (tuple, list))
        else type(out).__name__
    )
    raise PullbackTypeError(
        f"has_aux=True requires {name} to return a pair (value, aux), but it returned {what}; "
        "return (value, aux) or drop has_aux"
    )


def seed(y):
    """The cotangent 1.0 that starts the backward sweep of a scalar output ``y``, in ``y``'s
    float type."""
    if y.__class__ is float or y.__class__ is np.float64:
        return 1.0
    if y is None or isinstance(y, (str, bytes)):
        from ..errors import PullbackTypeError

        raise PullbackTypeError(
            f"grad requires a scalar output, but the function returned {y!r:.40}; return the "
            "(float) value to differentiate"
        )
    if np.ndim(y) != 0 or isinstance(y, (tuple, list, dict)):
        from ..errors import PullbackTypeError

        shape = type(y).__name__ if isinstance(y, (tuple, list, dict)) else np.shape(y)
        raise PullbackTypeError(
            f"grad requires a scalar output, but the function returned a value of shape "
            f"{shape}; use pb.vjp for a vector-Jacobian product or pb.jacobian for the full "
            "Jacobian."
        )
    dtype = getattr(y, "dtype", None)
    if dtype is not None and dtype.kind == "f":  # float32 stays float32 through the sweep
        return dtype.type(1.0)
    if y.__class__ is complex or (dtype is not None and dtype.kind == "c"):
        from ..checks import check_real_output

        check_real_output(y, "the function", "grad")
    return 1.0


def adjoint_or_zeros(adjoint, x):
    """``adjoint``, or zeros shaped like ``x`` where it is ``None``."""
    if adjoint is not None:
        return adjoint
    from . import zeros_like_value

    return zeros_like_value(x)


def _is_sequence(x) -> bool:
    return isinstance(x, (list, tuple))


def _like(g, seq):
    """The array adjoint ``g`` of a list or tuple that NumPy read as an array, as a list of
    entry adjoints (nested like ``seq``); any other value's adjoint as it is."""
    if not _is_sequence(seq):
        return g
    return [_like(g[k], entry) for k, entry in enumerate(seq)]


def _part(adjoint, left, right, of_left: bool):
    """The adjoint of ``left`` (``of_left``) or ``right`` in ``left + right`` where either is a
    tuple or list: its entries of the concatenation where both are, else NumPy's sum's."""
    if adjoint is None:
        return None
    if _is_sequence(left) and _is_sequence(right):
        n = len(left)
        return list(adjoint[:n] if of_left else adjoint[n:])
    side = left if of_left else right
    return _like(unbroadcast(np.asarray(adjoint), np.asarray(side)), side)


def head(adjoint, left, right):
    """The adjoint of ``left`` in ``left + right`` where either is a tuple or list: its first
    entries where both are (concatenation), else NumPy's sum's (``x + [a, 1.0]``)."""
    return _part(adjoint, left, right, True)


def tail(adjoint, left, right):
    """The adjoint of ``right`` in ``left + right`` where either is a tuple or list: its last
    entries where both are (concatenation), else NumPy's sum's."""
    return _part(adjoint, left, right, False)


def times_adjoint(adjoint, side, other):
    """The adjoint of ``side`` in ``side * other`` (or ``other * side``) where either is a
    tuple or list: a sequence repeated ``other`` times adds up its copies' adjoints (an integer
    count has none); else NumPy's product's (``x * [a, 2.0]``)."""
    if adjoint is None or other is None:
        return None
    if _is_sequence(side) and isinstance(other, (int, np.integer)):
        n = len(side)
        total: list = [None] * n
        for start in range(0, len(adjoint), n or 1):
            total = add_adjoints(total, list(adjoint[start : start + n]))
        return total
    if _is_sequence(other) and isinstance(side, (int, np.integer)):
        return None
    product = np.asarray(adjoint) * np.asarray(other)
    return _like(unbroadcast(product, np.asarray(side)), side)


def add_at(adjoint, index, g):
    """A list adjoint with ``g`` added at ``index`` (lists grow as needed; inputs unchanged).

    The adjoint of ``v = values.pop()``: the popped entry's position gets ``v``'s adjoint.

    >>> add_at(None, 2, 1.0)
    [None, None, 1.0]
    """
    out = [] if adjoint is None else list(adjoint)
    if len(out) <= index:
        out.extend([None] * (index + 1 - len(out)))
    out[index] = add_adjoints(out[index], g)
    return out


def scatter_add(x_bar, x, index, g):
    """``x_bar`` plus ``g`` scattered to ``x[index]``, added *in place* into ``x_bar``.

    The adjoint of a read ``v = x[index]`` inside a loop, where ``x_bar`` is a buffer the
    adjoint sweep allocated itself (``zeros_like_value(x)`` before the loop) and nothing else
    holds: one allocation for a loop over ``x``'s entries, not one per entry. ``None`` (zero)
    starts a new buffer. Repeated positions of an integer-array index all add (``np.add.at``).

    >>> buffer = np.zeros(3)
    >>> scatter_add(buffer, buffer, 1, 2.0) is buffer, buffer
    (True, array([0., 2., 0.]))
    """
    if g is None:
        return x_bar
    if x_bar is None:
        return _getitem_adjoint(g, x, index)
    if x_bar.__class__ is _ndarray:
        if index.__class__ is int or not _has_integer_array(index):
            x_bar[index] += g
        else:
            np.add.at(x_bar, index, g)
        return x_bar
    if x_bar.__class__ is list and index.__class__ is int:
        x_bar[index] = add_adjoints(x_bar[index], g)
        return x_bar
    return add_adjoints(x_bar, _getitem_adjoint(g, x, index))


scatter_add.writes_first_argument = True  # the optimizer moves nothing past it
