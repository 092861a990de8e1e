"""Shape functions and array building: reshape, transpose, concatenate, stack, split, tile,
repeat, flip, roll, pad, sort, ``np.array`` ... (each linear in its array argument).

In: nothing. Out: registered rules.

A list argument (the ``arrays`` of ``concatenate``/``stack``, the ``object`` of ``np.array``) has
a list as tangent (``None`` entries are zero) and gets a list as adjoint. ``split`` returns a
list: its VJP takes a list of part adjoints, ``None`` where a part's is zero. ``pad`` covers the
modes that copy entries (constant, edge, reflect, symmetric, wrap); a constant padding value has
no derivative.
"""

import numpy as np

from ..runtime import (
    append_adjoint,
    array_adjoint,
    array_tangent,
    as_column,
    astype,
    broadcast_like,
    column_stack_adjoint,
    concatenate_adjoint,
    dstack_adjoint,
    hstack_adjoint,
    linspace_adjoint,
    linspace_weights,
    pad_adjoint,
    pad_tangent,
    repeat_adjoint,
    split_adjoint,
    stack_adjoint,
    stack_adjoint_rows,
    take_along_axis_adjoint,
    tile_adjoint,
    unbroadcast,
    vstack_adjoint,
    zeros_for_none,
)
from .registry import defrule

# -- same entries, another shape -----------------------------------------------------------------


def reshape_vjp(g, ans, a, shape=None, order="C", *, newshape=None, copy=None):
    return np.reshape(g, np.shape(a), order=order)


def reshape_jvp(a_dot, ans, a, shape=None, order="C", *, newshape=None, copy=None):
    return np.reshape(a_dot, np.shape(ans), order=order)


defrule(np.reshape, vjp=reshape_vjp, jvp=reshape_jvp, linear=True)


def ravel_vjp(g, ans, a, order="C"):
    return np.reshape(g, np.shape(a), order=order)


def ravel_jvp(a_dot, ans, a, order="C"):
    return np.ravel(a_dot, order=order)


defrule(np.ravel, vjp=ravel_vjp, jvp=ravel_jvp, linear=True)


def transpose_vjp(g, ans, a, axes=None):
    return np.transpose(g, None if axes is None else np.argsort(np.mod(axes, np.ndim(a))))


def transpose_jvp(a_dot, ans, a, axes=None):
    return np.transpose(a_dot, axes)


defrule(np.transpose, vjp=transpose_vjp, jvp=transpose_jvp, linear=True)


def swapaxes_vjp(g, ans, a, axis1, axis2):
    return np.swapaxes(g, axis1, axis2)


def swapaxes_jvp(a_dot, ans, a, axis1, axis2):
    return np.swapaxes(a_dot, axis1, axis2)


defrule(np.swapaxes, vjp=swapaxes_vjp, jvp=swapaxes_jvp, linear=True)


def moveaxis_vjp(g, ans, a, source, destination):
    return np.moveaxis(g, destination, source)


def moveaxis_jvp(a_dot, ans, a, source, destination):
    return np.moveaxis(a_dot, source, destination)


defrule(np.moveaxis, vjp=moveaxis_vjp, jvp=moveaxis_jvp, linear=True)


def expand_dims_vjp(g, ans, a, axis):
    return np.reshape(g, np.shape(a))


def expand_dims_jvp(a_dot, ans, a, axis):
    return np.expand_dims(a_dot, axis)


defrule(np.expand_dims, vjp=expand_dims_vjp, jvp=expand_dims_jvp, linear=True)


def squeeze_vjp(g, ans, a, axis=None):
    return np.reshape(g, np.shape(a))


def squeeze_jvp(a_dot, ans, a, axis=None):
    return np.squeeze(a_dot, axis)


defrule(np.squeeze, vjp=squeeze_vjp, jvp=squeeze_jvp, linear=True)


def atleast_1d_vjp(g, ans, ary):
    return np.reshape(g, np.shape(ary))


def atleast_1d_jvp(ary_dot, ans, ary):
    return np.reshape(ary_dot, np.shape(ans))


defrule(
    np.atleast_1d, np.atleast_2d, np.atleast_3d, vjp=atleast_1d_vjp, jvp=atleast_1d_jvp, linear=True
)


def broadcast_to_vjp(g, ans, array, shape, subok=False):
    return unbroadcast(g, array)


def broadcast_to_jvp(array_dot, ans, array, shape, subok=False):
    return np.broadcast_to(array_dot, shape)


defrule(np.broadcast_to, vjp=broadcast_to_vjp, jvp=broadcast_to_jvp, linear=True)


def copy_vjp(g, ans, a, order="K", subok=False):
    return g


def copy_jvp(a_dot, ans, a, order="K", subok=False):
    return np.copy(a_dot)


defrule(np.copy, vjp=copy_vjp, jvp=copy_jvp, linear=True)


def astype_vjp(g, ans, x, dtype):
    return np.asarray(g, dtype=np.result_type(x, float))


def astype_jvp(x_dot, ans, x, dtype):
    return np.asarray(x_dot).astype(dtype)


defrule(astype, vjp=astype_vjp, jvp=astype_jvp, linear=True)

# -- the same entries, rearranged ---------------------------------------------------------------


def flip_vjp(g, ans, m, axis=None):
    return np.flip(g, axis)


def flip_jvp(m_dot, ans, m, axis=None):
    return np.flip(m_dot, axis)


defrule(np.flip, vjp=flip_vjp, jvp=flip_jvp, linear=True)


def roll_vjp(g, ans, a, shift, axis=None):
    return np.roll(g, np.negative(shift), axis)


def roll_jvp(a_dot, ans, a, shift, axis=None):
    return np.roll(a_dot, shift, axis)


defrule(np.roll, vjp=roll_vjp, jvp=roll_jvp, linear=True)


# through the permutation, with helpers that have rules: the derivative differentiates again


def sort_vjp(g, ans, a, axis=-1, kind=None, order=None, *, stable=None):
    return take_along_axis_adjoint(g, a, np.argsort(a, axis=axis, kind="stable"), axis)


def sort_jvp(a_dot, ans, a, axis=-1, kind=None, order=None, *, stable=None):
    return np.take_along_axis(a_dot, np.argsort(a, axis=axis, kind="stable"), axis)


defrule(np.sort, vjp=sort_vjp, jvp=sort_jvp)

# -- joining, splitting, copying ---------------------------------------------------------------


def concatenate_vjp(g, ans, arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    return concatenate_adjoint(g, arrays, axis)


def concatenate_jvp(arrays_dot, ans, arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    return np.concatenate(zeros_for_none(arrays_dot, arrays), axis=axis)


defrule(np.concatenate, vjp=concatenate_vjp, jvp=concatenate_jvp, linear=True)


def stack_vjp(g, ans, arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    return stack_adjoint(g, arrays, axis)


def stack_jvp(arrays_dot, ans, arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    return np.stack(zeros_for_none(arrays_dot, arrays), axis=axis)


defrule(np.stack, vjp=stack_vjp, jvp=stack_jvp, linear=True)


def hstack_vjp(g, ans, tup, *, dtype=None, casting="same_kind"):
    return hstack_adjoint(g, tup)


def hstack_jvp(tup_dot, ans, tup, *, dtype=None, casting="same_kind"):
    return np.hstack(zeros_for_none(tup_dot, tup))


defrule(np.hstack, vjp=hstack_vjp, jvp=hstack_jvp, linear=True)


def vstack_vjp(g, ans, tup, *, dtype=None, casting="same_kind"):
    return vstack_adjoint(g, tup)


def vstack_jvp(tup_dot, ans, tup, *, dtype=None, casting="same_kind"):
    return np.vstack(zeros_for_none(tup_dot, tup))


defrule(np.vstack, vjp=vstack_vjp, jvp=vstack_jvp, linear=True)


def column_stack_vjp(g, ans, tup):
    return column_stack_adjoint(g, tup)


def column_stack_jvp(tup_dot, ans, tup):
    return np.column_stack(zeros_for_none(tup_dot, tup))


defrule(np.column_stack, vjp=column_stack_vjp, jvp=column_stack_jvp, linear=True)


def dstack_vjp(g, ans, tup):
    return dstack_adjoint(g, tup)


def dstack_jvp(tup_dot, ans, tup):
    return np.dstack(zeros_for_none(tup_dot, tup))


defrule(np.dstack, vjp=dstack_vjp, jvp=dstack_jvp, linear=True)


def append_vjp(g, ans, arr, values, axis=None):
    return append_adjoint(g, arr, values, axis)[0], append_adjoint(g, arr, values, axis)[1]


def append_jvp(arr_dot, values_dot, ans, arr, values, axis=None):
    return (
        np.append(arr_dot, np.zeros(np.shape(values)), axis),
        np.append(np.zeros(np.shape(arr)), values_dot, axis),
    )


defrule(np.append, vjp=append_vjp, jvp=append_jvp, linear=True)


def split_vjp(g, ans, ary, indices_or_sections, axis=0):
    return split_adjoint(g, ans, axis)


def split_jvp(ary_dot, ans, ary, indices_or_sections, axis=0):
    return np.split(ary_dot, indices_or_sections, axis)


defrule(np.split, vjp=split_vjp, jvp=split_jvp, linear=True)


def array_split_vjp(g, ans, ary, indices_or_sections, axis=0):
    return split_adjoint(g, ans, axis)


def array_split_jvp(ary_dot, ans, ary, indices_or_sections, axis=0):
    return np.array_split(ary_dot, indices_or_sections, axis)


defrule(np.array_split, vjp=array_split_vjp, jvp=array_split_jvp, linear=True)


def tile_vjp(g, ans, A, reps):
    return tile_adjoint(g, A, reps)


def tile_jvp(A_dot, ans, A, reps):
    return np.tile(A_dot, reps)


defrule(np.tile, vjp=tile_vjp, jvp=tile_jvp, linear=True)


def repeat_vjp(g, ans, a, repeats, axis=None):
    return repeat_adjoint(g, a, repeats, axis)


def repeat_jvp(a_dot, ans, a, repeats, axis=None):
    return np.repeat(a_dot, repeats, axis)


defrule(np.repeat, vjp=repeat_vjp, jvp=repeat_jvp, linear=True)


def pad_vjp(
    g, ans, array, pad_width, mode="constant", stat_length=None, constant_values=0,
    end_values=0, reflect_type="even",
):  # fmt: skip
    return pad_adjoint(g, array, pad_width, mode, reflect_type)


def pad_jvp(
    array_dot, ans, array, pad_width, mode="constant", stat_length=None, constant_values=0,
    end_values=0, reflect_type="even",
):  # fmt: skip
    return pad_tangent(array_dot, pad_width, mode, reflect_type)


defrule(np.pad, vjp=pad_vjp, jvp=pad_jvp)

# -- building arrays from (nested) lists ---------------------------------------------------------


def array_vjp(g, ans, object, dtype=None, *, copy=True, order="K", subok=False, ndmin=0, like=None):
    return array_adjoint(g, object)


def array_jvp(
    object_dot, ans, object, dtype=None, *, copy=True, order="K", subok=False, ndmin=0, like=None
):
    return array_tangent(object_dot, object, ndmin)


defrule(np.array, vjp=array_vjp, jvp=array_jvp, linear=True)


def asarray_vjp(g, ans, a, dtype=None, order=None, *, device=None, copy=None, like=None):
    return array_adjoint(g, a)


def asarray_jvp(a_dot, ans, a, dtype=None, order=None, *, device=None, copy=None, like=None):
    return array_tangent(a_dot, a)


defrule(np.asarray, vjp=asarray_vjp, jvp=asarray_jvp, linear=True)


# list(x) / tuple(x) of an array: its rows. The adjoint stacks the rows' adjoints (zeros where
# none flowed), so rule helpers that split an adjoint with list(...) differentiate again.


def list_vjp(g, ans, iterable):
    return stack_adjoint_rows(g, iterable)


def list_jvp(iterable_dot, ans, iterable):
    return list(iterable_dot)


def tuple_jvp(iterable_dot, ans, iterable):
    return tuple(iterable_dot)


defrule(list, vjp=list_vjp, jvp=list_jvp, linear=True)
defrule(tuple, vjp=list_vjp, jvp=tuple_jvp, linear=True)


# -- constructors whose values come from an argument ----------------------------------------


def full_vjp(g, ans, shape, fill_value, dtype=None, order="C", *, device=None, like=None):
    return unbroadcast(g, fill_value)


def full_jvp(
    fill_value_dot, ans, shape, fill_value, dtype=None, order="C", *, device=None, like=None
):
    return np.full(np.shape(ans), fill_value_dot)


defrule(np.full, vjp=full_vjp, jvp=full_jvp, linear=True)


def full_like_vjp(
    g, ans, a, fill_value, dtype=None, order="K", subok=True, shape=None, *, device=None
):
    return unbroadcast(g, fill_value)


def full_like_jvp(
    fill_value_dot, ans, a, fill_value, dtype=None, order="K", subok=True, shape=None, *,
    device=None,
):  # fmt: skip
    return np.full(np.shape(ans), fill_value_dot)


defrule(np.full_like, vjp=full_like_vjp, jvp=full_like_jvp, linear=True)


def linspace_vjp(
    g, ans, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, *,
    device=None,
):  # fmt: skip
    return (
        linspace_adjoint(g, start, num, endpoint, axis, False),
        linspace_adjoint(g, stop, num, endpoint, axis, True),
    )


def linspace_jvp(
    start_dot, stop_dot, ans, start, stop, num=50, endpoint=True, retstep=False, dtype=None,
    axis=0, *, device=None,
):  # fmt: skip
    return (
        broadcast_like(
            np.expand_dims(start_dot, axis)
            * (1.0 - linspace_weights(num, endpoint, axis, np.ndim(ans))),
            ans,
        ),
        broadcast_like(
            np.expand_dims(stop_dot, axis) * linspace_weights(num, endpoint, axis, np.ndim(ans)),
            ans,
        ),
    )  # fmt: skip


defrule(np.linspace, vjp=linspace_vjp, jvp=linspace_jvp)


def logspace_vjp(g, ans, start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    return (
        linspace_adjoint(g * ans * np.log(base), start, num, endpoint, axis, False),
        linspace_adjoint(g * ans * np.log(base), stop, num, endpoint, axis, True),
    )


def logspace_jvp(
    start_dot, stop_dot, ans, start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0
):
    return (
        ans * np.log(base) * np.expand_dims(start_dot, axis)
        * (1.0 - linspace_weights(num, endpoint, axis, np.ndim(ans))),
        ans * np.log(base) * np.expand_dims(stop_dot, axis)
        * linspace_weights(num, endpoint, axis, np.ndim(ans)),
    )  # fmt: skip


defrule(np.logspace, vjp=logspace_vjp, jvp=logspace_jvp)


# np.c_[a, b] is read as np.concatenate([as_column(a), as_column(b)], axis=-1)
# (source/frontend/anf_expressions.py)


def as_column_vjp(g, ans, x):
    return np.reshape(g, np.shape(x))


def as_column_jvp(x_dot, ans, x):
    return as_column(x_dot)


defrule(as_column, vjp=as_column_vjp, jvp=as_column_jvp, linear=True)
