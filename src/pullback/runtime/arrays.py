"""Adjoints and tangents of reductions and shape functions, too long to read inline in a rule.

In: the primal arguments (and output ``ans``) of max/min, prod, cumsum, average, concatenate,
stack, split, tile, repeat, pad, sort, ``np.array``; an output cotangent ``g`` or tangents.
Out: the adjoint of one argument, shaped like it (a list for a list argument), or a tangent.
"""

from __future__ import annotations

import numpy as np

from ..errors import NonDifferentiableError
from . import unbroadcast, unreduce

__all__ = [
    "meshgrid_of",
    "meshgrid_adjoint",
    "meshgrid_tangent",
    "stack_adjoint_rows",
    "tie_shares",
    "prod_of_others",
    "kept_shares",
    "reverse_cumsum",
    "average_weights",
    "average_weights_adjoint",
    "zeros_for_none",
    "dense_tangent",
    "operand_tangent",
    "array_operand",
    "concatenate_adjoint",
    "hstack_adjoint",
    "vstack_adjoint",
    "stack_adjoint",
    "split_adjoint",
    "tile_adjoint",
    "repeat_adjoint",
    "pad_adjoint",
    "linspace_weights",
    "as_column",
    "linspace_adjoint",
    "pad_tangent",
    "array_adjoint",
    "array_tangent",
    "astype",
    "astype_integer",
    "diff_adjoint",
    "diff_tangent",
    "take_adjoint",
    "take_along_axis_adjoint",
    "array_item",
    "array_item_adjoint",
    "array_tolist",
    "array_tolist_adjoint",
    "column_stack_adjoint",
    "dstack_adjoint",
    "append_adjoint",
    "polyval_adjoint_p",
    "interp_adjoint_fp",
    "interp_tangent_fp",
    "interp_slope",
]


def _float_zeros(shape, like=None):
    dtype = np.result_type(like, float) if like is not None else float
    return np.zeros(shape, dtype)


# -- reductions ------------------------------------------------------------------------------


def tie_shares(a, ans, axis=None, keepdims=False, where=True):
    """Each entry's share of the max (or min) ``ans`` of ``a`` over ``axis``.

    1 at the unique extremum, 0 elsewhere; ``1/k`` at each of ``k`` tied extrema, so the gradient
    of a max is split evenly among ties (and the JVP is the mean of the tied tangents). Entries
    that NumPy's ``where=`` leaves out take no share.
    """
    is_extremum = np.asarray(a) == unreduce(ans, a, axis, keepdims)
    if where is not True:
        is_extremum = is_extremum & np.asarray(where)
    return is_extremum / np.maximum(np.sum(is_extremum, axis=axis, keepdims=True), 1)


def kept_shares(a, axis, where):
    """Each entry's share of ``np.mean(a, axis, where=where)``: one over the count kept along
    ``axis`` where kept, 0 where left out."""
    kept = np.broadcast_to(np.asarray(where), np.shape(a))
    return kept / np.sum(kept, axis=axis, keepdims=True)


def prod_of_others(a, axis=None, initial=None, where=True):
    """For each entry, the product of the other entries it is multiplied with in ``np.prod``
    (and NumPy's ``initial``; 0 at entries its ``where=`` leaves out).

    The gradient of ``np.prod(a, axis)``, exact where ``a`` holds zeros (no division).
    """
    if initial is not None or where is not True:
        kept = np.broadcast_to(np.asarray(where), np.shape(a))
        others = prod_of_others(np.where(kept, a, 1.0), axis) * kept
        return others if initial is None else others * initial
    a = np.asarray(a)  # (a list first: np.result_type reads a list as a dtype spec)
    a = np.asarray(a, dtype=np.result_type(a, float))
    if axis is None:
        axes = tuple(range(a.ndim))
    else:
        axes = tuple(i % a.ndim for i in ((axis,) if np.ndim(axis) == 0 else axis))
    ends = tuple(range(a.ndim - len(axes), a.ndim))
    moved = np.moveaxis(a, axes, ends)
    lines = moved.reshape(moved.shape[: a.ndim - len(axes)] + (-1,))
    ones = np.ones(lines.shape[:-1] + (1,), lines.dtype)
    before = np.cumprod(np.concatenate([ones, lines[..., :-1]], axis=-1), axis=-1)
    after = np.flip(
        np.cumprod(np.concatenate([ones, np.flip(lines, -1)[..., :-1]], axis=-1), axis=-1), -1
    )
    return np.moveaxis((before * after).reshape(moved.shape), ends, axes)


def reverse_cumsum(g, a, axis=None):
    """The adjoint of ``a`` in ``np.cumsum(a, axis)``: sums of ``g`` from each entry onward."""
    if axis is None:
        return np.flip(np.cumsum(np.flip(np.ravel(g)))).reshape(np.shape(a))
    return np.flip(np.cumsum(np.flip(g, axis), axis), axis)


def average_weights(a, weights, axis=None):
    """``np.average``'s weights broadcast to ``a``'s shape (ones when ``weights`` is None)."""
    shape = np.shape(a)
    if weights is None:
        return np.ones(shape)
    if np.shape(weights) == shape or axis is None:
        return np.broadcast_to(weights, shape)
    along = [1] * len(shape)
    along[axis] = shape[axis]  # 1-D weights along an int axis
    return np.broadcast_to(np.reshape(weights, along), shape)


def average_weights_adjoint(weights_bar, weights, axis=None):
    """Sum an adjoint shaped like ``a`` down to the shape of ``np.average``'s weights."""
    if np.shape(weights_bar) == np.shape(weights):
        return weights_bar
    others = tuple(i for i in range(np.ndim(weights_bar)) if i != axis % np.ndim(weights_bar))
    return np.sum(weights_bar, axis=others)


# -- joining and splitting -----------------------------------------------------------------


def zeros_for_none(tangents, primals):
    """``tangents`` with each ``None`` (a symbolic zero) replaced by zeros shaped like its
    primal, in nested lists too (``np.array([[1.0, x], [y, 2.0]])``)."""
    return [
        _float_zeros(np.shape(x))
        if t is None
        else zeros_for_none(t, x)
        if isinstance(t, (list, tuple)) and isinstance(x, (list, tuple))
        else t
        for t, x in zip(tangents, primals, strict=True)
    ]


def dense_tangent(tangent, primal):
    """``tangent`` with no symbolic zero left in it: zeros for ``None`` (shaped like
    ``primal``), and for each ``None`` inside a list or tuple of tangents; any other tangent
    as it is. A NumPy function reading a list as an array reads its tangent so.

    >>> dense_tangent([None, 2.0], [1.0, 3.0])
    [array(0.), 2.0]
    """
    if tangent is None:
        return _float_zeros(np.shape(primal))
    if isinstance(tangent, (list, tuple)) and isinstance(primal, (list, tuple)):
        return zeros_for_none(tangent, primal)
    return tangent


def array_operand(x):
    """``x`` as NumPy's operators read it: a list or tuple as an array (``[0.5, a] / y``),
    anything else as it is.

    >>> array_operand([1.0, 2.0]) * 2.0
    array([2., 4.])
    """
    if isinstance(x, (list, tuple)):
        return np.asarray(x)
    return x


def operand_tangent(tangent, primal, other):
    """The tangent of a list or tuple ``primal`` as an operand of ``+``, ``*`` ... with
    ``other``: as it is where the operator is the sequence's own (concatenation with a list or
    tuple, repetition by an integer); where NumPy reads ``primal`` as an array (``x - [a, 1.0]``
    of an array ``x``), an array, zeros for its symbolic zeros.

    >>> operand_tangent([None, 2.0], [1.0, 3.0], [4.0])
    [None, 2.0]
    >>> operand_tangent([None, 2.0], [1.0, 3.0], np.ones(2))
    array([0., 2.])
    """
    if tangent is None or isinstance(other, (list, tuple, int, np.integer)):
        return tangent
    return np.asarray(dense_tangent(tangent, primal))


def _cut(g, pieces, axis):
    """Cut ``g`` along ``axis`` (flattened when None) into parts as long as ``pieces`` are."""
    if axis is None:
        sizes = [np.size(x) for x in pieces]
        parts = np.split(np.ravel(g), np.cumsum(sizes)[:-1])
    else:
        sizes = [np.shape(x)[axis] for x in pieces]
        parts = np.split(g, np.cumsum(sizes)[:-1], axis=axis)
    return parts


def concatenate_adjoint(g, arrays, axis=0):
    """The adjoints of the ``arrays`` of ``np.concatenate(arrays, axis)``: a list of parts of g."""
    return [
        np.reshape(part, np.shape(x)) for part, x in zip(_cut(g, arrays, axis), arrays, strict=True)
    ]


def hstack_adjoint(g, tup):
    """The adjoints of the arrays of ``np.hstack(tup)``."""
    promoted = [np.atleast_1d(x) for x in tup]
    axis = 0 if promoted[0].ndim == 1 else 1
    return [
        np.reshape(part, np.shape(x)) for part, x in zip(_cut(g, promoted, axis), tup, strict=True)
    ]


def vstack_adjoint(g, tup):
    """The adjoints of the arrays of ``np.vstack(tup)``."""
    promoted = [np.atleast_2d(x) for x in tup]
    return [
        np.reshape(part, np.shape(x)) for part, x in zip(_cut(g, promoted, 0), tup, strict=True)
    ]


def stack_adjoint(g, arrays, axis=0):
    """The adjoints of the ``arrays`` of ``np.stack(arrays, axis)``: the slices of ``g``."""
    return list(np.moveaxis(g, axis, 0))


def split_adjoint(g, ans, axis=0):
    """The adjoint of ``ary`` in ``np.split(ary, ..., axis)`` from the list of part adjoints."""
    return np.concatenate(zeros_for_none(g, ans), axis=axis)


def tile_adjoint(g, A, reps):
    """The adjoint of ``A`` in ``np.tile(A, reps)``: ``g`` summed over the copies."""
    shape = np.shape(A)
    reps = tuple(reps) if np.ndim(reps) else (int(reps),)
    ndim = max(len(shape), len(reps))
    shape_full = (1,) * (ndim - len(shape)) + shape
    reps_full = (1,) * (ndim - len(reps)) + reps
    interleaved = [n for pair in zip(reps_full, shape_full, strict=True) for n in pair]
    copies = np.reshape(g, interleaved)
    return np.reshape(np.sum(copies, axis=tuple(range(0, 2 * ndim, 2))), shape)


def repeat_adjoint(g, a, repeats, axis=None):
    """The adjoint of ``a`` in ``np.repeat(a, repeats, axis)``: ``g`` summed over the repeats."""
    shape = np.shape(a)
    if axis is None:
        source = np.repeat(np.arange(int(np.prod(shape))), repeats)
        a_bar = _float_zeros(int(np.prod(shape)), g)
        np.add.at(a_bar, source, g)
        return a_bar.reshape(shape)
    source = np.repeat(np.arange(shape[axis]), repeats)
    a_bar = _float_zeros(np.moveaxis(np.empty(shape), axis, 0).shape, g)
    np.add.at(a_bar, source, np.moveaxis(g, axis, 0))
    return np.moveaxis(a_bar, 0, axis)


_PAD_COPY_MODES = ("constant", "edge", "reflect", "symmetric", "wrap")


def pad_adjoint(g, array, pad_width, mode="constant", reflect_type="even"):
    """The adjoint of ``array`` in ``np.pad``: each entry collects ``g`` from every copy of it.

    Pads an array of entry numbers the same way to learn where each padded entry came from;
    exact for every mode that copies entries (constant, edge, reflect, symmetric, wrap). Linear
    in ``g``; its transpose is ``pad_tangent``.
    """
    if mode not in _PAD_COPY_MODES or reflect_type != "even":
        raise NonDifferentiableError(
            f"no reverse-mode derivative for np.pad with mode={mode!r}, reflect_type="
            f"{reflect_type!r}; the modes that copy entries have one: {', '.join(_PAD_COPY_MODES)}"
        )
    shape = np.shape(array)
    size = int(np.prod(shape))
    entry = np.arange(size).reshape(shape)
    if mode == "constant":
        source = np.pad(entry, pad_width, mode="constant", constant_values=-1)
    else:
        source = np.pad(entry, pad_width, mode=mode)
    copied = source >= 0
    a_bar = np.bincount(source[copied], weights=np.asarray(g)[copied], minlength=size)
    return a_bar.reshape(shape)


def pad_tangent(array_dot, pad_width, mode="constant", reflect_type="even"):
    """The tangent of ``np.pad(array, ...)``: the tangent padded alike (constants padded by 0;
    an odd reflection ``2 * edge - mirror`` is linear, so it pads the tangent the same way)."""
    if mode not in _PAD_COPY_MODES:
        raise NonDifferentiableError(
            f"no derivative for np.pad with mode={mode!r}; the modes that copy entries have "
            f"one: {', '.join(_PAD_COPY_MODES)}"
        )
    if mode in ("reflect", "symmetric"):
        return np.pad(array_dot, pad_width, mode=mode, reflect_type=reflect_type)
    return np.pad(array_dot, pad_width, mode=mode)


# -- np.c_ ------------------------------------------------------------------------------------


def as_column(x):
    """``x`` as ``np.c_`` takes each of its parts: a number as a 1x1 array, a vector as a
    column, an array of two or more dimensions as it is (a reshape: its derivative is one)."""
    x = np.asarray(x)
    if x.ndim == 0:
        return x.reshape(1, 1)
    if x.ndim == 1:
        return x.reshape(-1, 1)
    return x


# -- linspace ---------------------------------------------------------------------------------


def linspace_weights(num, endpoint, axis, ndim):
    """The weight ``t`` of ``stop`` in each sample ``start + (stop - start) * t`` of
    ``np.linspace``, shaped to broadcast along ``axis`` of an output with ``ndim`` dimensions."""
    t = np.linspace(0.0, 1.0, num, endpoint=endpoint)
    shape = [1] * ndim
    shape[axis] = num
    return t.reshape(shape)


def linspace_adjoint(g, x, num, endpoint, axis, of_stop):
    """The adjoint of ``start`` (``of_stop`` False) or ``stop`` in ``np.linspace``: ``g``
    weighted by each sample's share of it, summed along the samples' axis."""
    g = np.asarray(g)
    t = linspace_weights(num, endpoint, axis, g.ndim)
    weights = t if of_stop else 1.0 - t
    return unbroadcast(np.sum(g * weights, axis=axis), x)


# -- building arrays ---------------------------------------------------------------------------


def array_adjoint(g, obj):
    """The adjoint of the (nested) list ``obj`` in ``np.array(obj)``: ``g`` cut alike."""
    return _cut_like(np.reshape(g, np.shape(obj)), obj)  # reshape: undo ndmin


def _cut_like(g, obj):
    if isinstance(obj, (list, tuple)):
        return [_cut_like(g[i], item) for i, item in enumerate(obj)]
    return g[()] if g.ndim == 0 else g


def _fill(t, obj):
    if isinstance(obj, (list, tuple)):
        if t is None:
            t = [None] * len(obj)
        return [_fill(ti, item) for ti, item in zip(t, obj, strict=True)]
    return _float_zeros(np.shape(obj)) if t is None else t


def array_tangent(obj_dot, obj, ndmin=0):
    """The tangent of ``np.array(obj)`` from the (nested) list of the entries' tangents."""
    return np.array(_fill(obj_dot, obj), dtype=float, ndmin=ndmin)


def astype(x, dtype):
    """``x.astype(dtype)`` to a float or complex type, as a function: its derivative is 1."""
    return np.asarray(x).astype(dtype)


def astype_integer(x, dtype):
    """``x.astype(dtype)`` to an integer or bool type, as a function: it has no derivative."""
    return np.asarray(x).astype(dtype)


# -- differences, takes, items ---------------------------------------------------------------


def _along(axis, ndim, start=None, stop=None):
    index = [slice(None)] * ndim
    index[axis] = slice(start, stop)
    return tuple(index)


def diff_adjoint(g, a, n=1, axis=-1, prepend=None, append=None):
    """The adjoint of ``a`` in ``np.diff(a, n, axis, prepend, append)``.

    Each difference is undone by its transpose, ``-diff`` of ``g`` padded by a zero at both
    ends; the entries that ``prepend`` and ``append`` stand for are cut off at the end.
    """
    g = np.asarray(g)
    axis = axis % g.ndim
    widths = [(0, 0)] * g.ndim
    for _ in range(n):
        widths[axis] = (1, 0)
        before = np.pad(g, widths)
        widths[axis] = (0, 1)
        g = before - np.pad(g, widths)
    start = 0 if prepend is None else (1 if np.ndim(prepend) == 0 else np.shape(prepend)[axis])
    stop = start + np.shape(a)[axis]
    return g[_along(axis, g.ndim, start, stop)]


def diff_tangent(a_dot, n=1, axis=-1, prepend=None, append=None):
    """The tangent of ``np.diff(a, ...)``: differences of ``a_dot`` (prepend, append: zeros)."""
    kwargs = {}
    if prepend is not None:
        kwargs["prepend"] = np.zeros_like(prepend, dtype=float)
    if append is not None:
        kwargs["append"] = np.zeros_like(append, dtype=float)
    return np.diff(a_dot, n, axis, **kwargs)


def take_along_axis_adjoint(g, arr, indices, axis):
    """The adjoint of ``arr`` in ``np.take_along_axis(arr, indices, axis)``: ``g`` sent back
    to the entries it was read from, repeats accumulating. Linear in ``g``; its transpose is
    ``np.take_along_axis`` itself."""
    shape = np.shape(arr)
    a_bar = _float_zeros(shape, g)
    indices = np.asarray(indices)
    if axis is None:
        np.add.at(a_bar.reshape(-1), indices, g)
        return a_bar
    axis = axis % len(shape)
    where = []
    for d, n in enumerate(shape):
        if d == axis:
            where.append(indices)
        else:
            span = [1] * len(shape)
            span[d] = n
            where.append(np.arange(n).reshape(span))
    np.add.at(a_bar, tuple(np.broadcast_arrays(*where)), g)
    return a_bar


def take_adjoint(g, a, indices, axis=None, mode="raise"):
    """The adjoint of ``a`` in ``np.take(a, indices, axis, mode=mode)``: repeats accumulate."""
    shape = np.shape(a)
    length = int(np.prod(shape)) if axis is None else shape[axis]
    indices = np.asarray(indices)
    if mode == "wrap":
        indices = indices % length
    elif mode == "clip":
        indices = np.clip(indices, 0, length - 1)
    if axis is None:
        a_bar = _float_zeros(length, g)
        np.add.at(a_bar, indices, g)
        return a_bar.reshape(shape)
    axis = axis % len(shape)
    a_bar = np.moveaxis(_float_zeros(shape, g), axis, 0)  # a view: filling it fills a_bar
    index_axes = range(axis, axis + indices.ndim)
    np.add.at(a_bar, indices, np.moveaxis(g, index_axes, range(indices.ndim)))
    return np.moveaxis(a_bar, 0, axis)


def array_item(x, index=()):
    """``x.item(*index)`` as a function: one entry of ``x`` as a Python number."""
    return np.asarray(x).item(*index)


def array_item_adjoint(g, x, index=()):
    """The adjoint of ``x`` in ``array_item(x, index)``: ``g`` at that entry, zero elsewhere."""
    shape = np.shape(x)
    x_bar = _float_zeros(shape)
    if len(index) == 1 and np.ndim(index[0]) == 0:
        x_bar.reshape(-1)[index[0]] = g  # a flat index
    else:
        x_bar[tuple(index[0]) if len(index) == 1 else index] = g
    return x_bar


def array_tolist(x):
    """``x.tolist()`` as a function: the entries of ``x`` as (nested lists of) Python numbers."""
    return np.asarray(x).tolist()


def array_tolist_adjoint(g, x, ans):
    """The adjoint of ``x`` in ``ans = array_tolist(x)``: the list adjoint ``g`` (``None`` for
    entries that got none) as an array of ``x``'s shape."""
    return np.reshape(array_tangent(g, ans), np.shape(x))


def column_stack_adjoint(g, tup):
    """The adjoints of the arrays of ``np.column_stack(tup)`` (1-D arrays are columns)."""
    columns = [np.reshape(x, (-1, 1)) if np.ndim(x) < 2 else x for x in tup]
    return [np.reshape(part, np.shape(x)) for part, x in zip(_cut(g, columns, 1), tup, strict=True)]


def dstack_adjoint(g, tup):
    """The adjoints of the arrays of ``np.dstack(tup)``."""
    promoted = [np.atleast_3d(x) for x in tup]
    return [
        np.reshape(part, np.shape(x)) for part, x in zip(_cut(g, promoted, 2), tup, strict=True)
    ]


def append_adjoint(g, arr, values, axis=None):
    """The adjoints of ``arr`` and ``values`` in ``np.append(arr, values, axis)``."""
    return concatenate_adjoint(g, [arr, values], axis)


# -- polynomials, interpolation, nan-reductions ------------------------------------------------


def polyval_adjoint_p(g, p, x):
    """The adjoint of the coefficients ``p`` in ``np.polyval(p, x)``: ``g`` times powers of x."""
    degree = len(p) - 1
    powers = np.asarray(x)[..., None] ** np.arange(degree, -1, -1)
    p_bar = np.sum(np.asarray(g)[..., None] * powers, axis=tuple(range(np.ndim(x))))
    return list(p_bar) if isinstance(p, (list, tuple)) else p_bar


def interp_weights(x, xp, left=None, right=None):
    """Where ``np.interp`` reads each ``x``: lower neighbour ``i`` and the weight ``t`` of i+1."""
    xp = np.asarray(xp)
    i = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, len(xp) - 2)
    t = np.clip((x - xp[i]) / (xp[i + 1] - xp[i]), 0.0, 1.0)
    inside = np.ones(np.shape(x))
    if left is not None:
        inside = inside * (x >= xp[0])
    if right is not None:
        inside = inside * (x <= xp[-1])
    return i, t, inside


def interp_adjoint_fp(g, x, xp, fp, left=None, right=None):
    """The adjoint of ``fp`` in ``np.interp(x, xp, fp)``: ``g`` shared by the two neighbours."""
    i, t, inside = interp_weights(x, xp, left, right)
    share = np.broadcast_to(np.asarray(g) * inside, np.shape(x))
    fp_bar = np.bincount(np.ravel(i), np.ravel(share * (1.0 - t)), minlength=len(fp))
    fp_bar = fp_bar + np.bincount(np.ravel(i) + 1, np.ravel(share * t), minlength=len(fp))
    return list(fp_bar) if isinstance(fp, (list, tuple)) else fp_bar


def interp_tangent_fp(fp_dot, x, xp, fp, left=None, right=None):
    """The tangent of ``np.interp(x, xp, fp)`` from ``fp``'s."""
    i, t, inside = interp_weights(x, xp, left, right)
    fp_dot = np.asarray(zeros_for_none(fp_dot, fp))
    return inside * (fp_dot[i] * (1.0 - t) + fp_dot[i + 1] * t)


def interp_slope(x, xp, fp, left=None, right=None):
    """The derivative of ``np.interp(x, xp, fp)`` in ``x``: the slope of its segment (0 outside)."""
    xp, fp = np.asarray(xp), np.asarray(fp)
    i, _, _ = interp_weights(x, xp, left, right)
    within = (x >= xp[0]) & (x <= xp[-1])
    return within * (fp[i + 1] - fp[i]) / (xp[i + 1] - xp[i])


def stack_adjoint_rows(g, x):
    """The adjoint of ``x`` in ``rows = list(x)``: the rows' adjoints stacked (None is zero).

    For a list or tuple ``x`` (``list(a_list)`` copies it) the adjoint is ``g`` as a list.
    """
    if isinstance(x, (list, tuple)):
        return list(g)
    rows = [np.zeros(np.shape(x)[1:]) if r is None else r for r in g]
    if not rows:
        return np.zeros(np.shape(x))
    return np.stack(rows)


# -- meshgrid: np.meshgrid(*xs) as a function of the tuple xs ------------------------------------


def meshgrid_of(xs, copy=True, sparse=False, indexing="xy"):
    """``np.meshgrid(*xs, ...)``: the function of one tuple that the rule table differentiates."""
    return np.meshgrid(*xs, copy=copy, sparse=sparse, indexing=indexing)


def _grid_axis(i: int, n: int, indexing: str) -> int:
    """The axis of the grid along which input ``i`` of ``n`` varies ('xy' swaps the first two)."""
    return (1 - i if i < 2 else i) if indexing == "xy" and n >= 2 else i


def meshgrid_adjoint(g, xs, sparse=False, indexing="xy"):
    """The adjoints of ``xs`` in ``np.meshgrid(*xs)``: output ``i`` spreads input ``i`` along
    its axis, so its cotangent summed over the other axes, shaped like the input (None where
    the output's cotangent is None)."""
    out = []
    for i, x in enumerate(xs):
        gi = None if g is None else g[i]
        if gi is None:
            out.append(None)
            continue
        axis = _grid_axis(i, len(xs), indexing)
        others = tuple(k for k in range(np.ndim(gi)) if k != axis)
        out.append(np.reshape(np.sum(gi, axis=others), np.shape(x)))
    return out


def meshgrid_tangent(ts, xs, sparse=False, indexing="xy"):
    """The tangents of ``np.meshgrid(*xs)``'s outputs from those of ``xs`` (None entries: 0)."""
    n = len(xs)
    sizes = [int(np.size(x)) for x in xs]
    full = list(sizes)
    if indexing == "xy" and n >= 2:
        full[0], full[1] = full[1], full[0]
    out = []
    for i, x in enumerate(xs):
        t = None if ts is None else ts[i]
        line = [1] * n
        line[_grid_axis(i, n, indexing)] = sizes[i]
        v = np.reshape(np.zeros(np.shape(x)) if t is None else t, line)
        out.append(v if sparse else np.broadcast_to(v, full).copy())
    return tuple(out)
