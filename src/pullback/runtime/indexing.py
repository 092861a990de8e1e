"""Indexing as functions: ``x[index]``, and functional ``x[index] = v`` / ``x[index] += v``.

In: an array (or a list, tuple or dict) ``x``, any index NumPy accepts, a value ``v``.
Out: new values (inputs are never mutated) and the adjoints the indexing rules need.

``setitem(x, index, v)`` is ``y = x.copy(); y[index] = v; return y``; ``additem`` is the same
for ``y[index] += v``, which NumPy evaluates as ``y[index] = y[index] + v``: an integer-array
index that repeats a position adds once, not once per repeat (unlike ``np.add.at``). Where
positions repeat, NumPy's assignment keeps one of the assigned values; the adjoints ask NumPy
itself which one (``assigned_mask``), so they are exact whatever NumPy's choice.
"""

from __future__ import annotations

import numpy as np

from .structures import entries, rebuild

__all__ = [
    "setitem",
    "additem",
    "getitem_adjoint",
    "get_default_adjoint",
    "get_tangent",
    "zero_region",
    "setitem_adjoint_v",
    "setitem_tangent_v",
    "write_entry",
    "add_to_entry",
    "owned_adjoint",
    "copy_value",
    "loop_sequence",
    "loop_sequence_adjoint",
    "loop_sequence_tangent",
]


def loop_sequence(x):
    """What ``for v in x`` walks by position: a dict's keys (as a list), anything else as is.

    >>> loop_sequence({"a": 1.0, "b": 2.0})
    ['a', 'b']
    """
    if isinstance(x, dict):
        return list(x)
    return x


def loop_sequence_adjoint(g, x):
    """The adjoint (or tangent) of ``loop_sequence(x)``: none for a dict, whose keys carry no
    derivative; ``g`` itself otherwise."""
    if isinstance(x, dict):
        return None
    return g


def loop_sequence_tangent(t, x):
    """The tangent of ``loop_sequence(x)`` from ``x``'s tangent ``t``: for a dict, one zero
    (``None``) per key."""
    if isinstance(x, dict):
        return [None] * len(x)
    return t


def _is_container(x) -> bool:
    return isinstance(x, (list, tuple, dict))


def setitem(x, index, v):
    """A copy of ``x`` with ``x[index] = v``.

    >>> setitem(np.zeros(3), 1, 5.0)
    array([0., 5., 0.])
    """
    if isinstance(x, dict):
        y = dict(x)
    elif isinstance(x, (list, tuple)):
        y = list(x)
    else:
        y = np.array(x, copy=True)
    y[index] = v
    return tuple(y) if isinstance(x, tuple) else y


def additem(x, index, v):
    """A copy of ``x`` with ``x[index] += v`` (NumPy's semantics: repeated positions add once).

    >>> additem(np.zeros(3), [0, 0], 1.0)
    array([1., 0., 0.])
    """
    if _is_container(x):
        return setitem(x, index, x[index] + v)
    y = np.array(x, copy=True)
    y[index] += v
    return y


def write_entry(x, index, v):
    """``x[index] = v`` in place; returns ``x``. As a function of values it is ``setitem``.

    Generated code writes this way into an array only it holds (``np.zeros`` made in the
    function, never shared): the forward sweep records the entries it overwrites and the
    adjoint sweep writes them back, so the array costs no copy per assignment.

    >>> y = np.zeros(3)
    >>> write_entry(y, 1, 5.0) is y, y
    (True, array([0., 5., 0.]))
    """
    x[index] = v
    return x


write_entry.writes_first_argument = True  # the optimizer moves nothing past it


def add_to_entry(x, index, v):
    """``x[index] += v`` in place; returns ``x``. As a function of values it is ``additem``."""
    x[index] += v
    return x


add_to_entry.writes_first_argument = True  # the optimizer moves nothing past it


def owned_adjoint(x_bar, x):
    """A new float array of ``x``'s shape holding ``x_bar`` (zeros for ``None``): an adjoint
    buffer the adjoint sweep may then change in place (``write_entry(y_bar, i, 0.0)``)."""
    zeros = _float_zeros(x)
    if x_bar is None:
        return zeros
    if x_bar.__class__ is np.ndarray and x_bar.shape == zeros.shape and x_bar.dtype == zeros.dtype:
        return x_bar.copy()
    out = np.zeros(zeros.shape, np.result_type(zeros.dtype, np.asarray(x_bar).dtype))
    out[...] = x_bar
    return out


def copy_value(x):
    """``x`` with its arrays copied (through tuples, lists and dicts): what a function returns
    when its arrays are later written back in place by the adjoint sweep."""
    if x.__class__ is np.ndarray:
        return x.copy()
    parts = entries(x)
    if parts is not None:
        return rebuild(x, [copy_value(v) for _, v in parts])
    return x


def _has_integer_array(index) -> bool:
    """Whether ``index`` holds an integer array, the only kind that can repeat a position."""
    parts = index if isinstance(index, tuple) else (index,)
    for part in parts:
        if isinstance(part, (list, np.ndarray)) and np.asarray(part).dtype.kind in "iu":
            return True
    return False


def _float_zeros(x):
    x = np.asarray(x)
    return np.zeros(x.shape, x.dtype if x.dtype.kind in "fc" else float)


def getitem_adjoint(g, x, index):
    """The adjoint of ``x`` in ``y = x[index]``: ``g`` scattered back, repeats accumulated.

    For a list or tuple ``x`` it is a list of ``x``'s length, ``None`` (zero) everywhere but at
    ``index``; for a dict, a dict with ``g`` at key ``index`` and ``None`` elsewhere.
    """
    if isinstance(x, dict):
        return {key: (g if key == index else None) for key in x}
    if isinstance(x, (list, tuple)):
        x_bar = [None] * len(x)
        x_bar[index] = g
        return x_bar
    x_bar = _float_zeros(x)
    if g is None:  # a zero adjoint (an entry of a list that no later read used)
        return x_bar
    if _has_integer_array(index):
        np.add.at(x_bar, index, g)
    else:
        x_bar[index] = g
    return x_bar


def get_default_adjoint(g, d, key):
    """The adjoint of ``default`` in ``y = d.get(key, default)``: ``g`` where ``key`` is not
    in ``d`` (the default was returned), else ``None`` (a zero)."""
    return None if key in d else g


def get_tangent(d_dot, d, key, default_dot):
    """The tangent of ``y = d.get(key, default)``: the entry's tangent where ``key`` is in
    ``d``, else the default's (``None`` for a zero)."""
    if key not in d:
        return default_dot
    return None if d_dot is None else d_dot.get(key)


def assigned_mask(x, index, v):
    """Which entries of the indexed region ``x[index] = v`` writes keep (False where overwritten).

    Without an integer-array index every entry is kept; with one, a repeated position keeps the
    value NumPy's assignment keeps, found by assigning entry numbers and reading them back.
    """
    region_shape = np.broadcast_shapes(np.shape(np.asarray(x)[index]), np.shape(v))
    if not _has_integer_array(index):
        return np.ones(region_shape, bool)
    entry = np.arange(int(np.prod(region_shape))).reshape(region_shape)
    owner = np.full(np.shape(x), -1)
    owner[index] = entry
    return owner[index] == entry


def zero_region(t, index):
    """A copy of ``t`` with ``t[index]`` zeroed (``None`` in a list): what ``setitem`` keeps of x.

    Both the adjoint and the tangent of ``x`` in ``y = setitem(x, index, v)``.
    """
    if isinstance(t, (list, tuple)):
        cleared = list(t)
        if isinstance(index, slice):
            cleared[index] = [None] * len(cleared[index])
        else:
            cleared[index] = None
        return cleared
    if isinstance(t, dict):
        return setitem(t, index, None)
    return setitem(t, index, 0.0)


def setitem_adjoint_v(g, x, index, v):
    """The adjoint of ``v`` in ``y = setitem(x, index, v)`` (and in ``additem``)."""
    from . import unbroadcast

    if index.__class__ is int and g.__class__ is np.ndarray and g.ndim == 1:
        return g[index]  # a NumPy scalar: a copy already
    if _is_container(x):
        return g[index]
    region = np.asarray(g)[index]
    if region.__class__ is np.ndarray and region.base is not None:
        region = region.copy()  # not a view: the adjoint sweep may zero g[index] in place
    if _has_integer_array(index):
        region = region * assigned_mask(x, index, v)
    return unbroadcast(region, v)


def setitem_tangent_v(v_dot, x, index, v):
    """The output tangent of ``y = setitem(x, index, v)`` from ``v``'s tangent."""
    if _is_container(x):
        zeros = [None] * len(x) if not isinstance(x, dict) else dict.fromkeys(x)
        return setitem(zeros, index, v_dot)
    return setitem(_float_zeros(x), index, v_dot)
