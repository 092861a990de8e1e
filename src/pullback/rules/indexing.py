"""Indexing: ``x[index]``, the functional assignments ``setitem`` / ``additem``, ``np.take``
and ``x.item()``.

In: nothing. Out: registered rules for ``operator.getitem``, ``pullback.runtime.setitem`` and
``pullback.runtime.additem`` (what source and tape modes turn ``y[i] = v``, ``y[i] += v`` into),
``np.take``, ``pullback.runtime.array_item`` (``x.item(...)``) and ``array_tolist``
(``x.tolist()``).

Any index NumPy accepts works: integers, slices with steps, ``None``, ``...``, integer arrays
(repeats accumulate in the adjoint) and boolean masks. For a list, tuple or dict ``x`` the
adjoint is a list (dict) with the cotangent at ``index`` and ``None`` (zero) elsewhere.
"""

import operator

import numpy as np

from ..runtime import (
    add_to_entry,
    additem,
    array_item,
    array_item_adjoint,
    array_tolist,
    array_tolist_adjoint,
    copy_value,
    getitem_adjoint,
    loop_sequence,
    loop_sequence_adjoint,
    loop_sequence_tangent,
    owned_adjoint,
    setitem,
    setitem_adjoint_v,
    setitem_tangent_v,
    take_adjoint,
    take_along_axis_adjoint,
    unbroadcast,
    write_entry,
    zero_region,
)
from .registry import defrule


def getitem_vjp(g, ans, x, index):
    return getitem_adjoint(g, x, index)


def getitem_jvp(x_dot, ans, x, index):
    return x_dot[index]


defrule(operator.getitem, vjp=getitem_vjp, jvp=getitem_jvp, linear=True)


def setitem_vjp(g, ans, x, index, v):
    return zero_region(g, index), setitem_adjoint_v(g, x, index, v)


def setitem_jvp(x_dot, v_dot, ans, x, index, v):
    return zero_region(x_dot, index), setitem_tangent_v(v_dot, x, index, v)


defrule(setitem, vjp=setitem_vjp, jvp=setitem_jvp, linear=True)


def additem_vjp(g, ans, x, index, v):
    return g, setitem_adjoint_v(g, x, index, v)


def additem_jvp(x_dot, v_dot, ans, x, index, v):
    return x_dot, setitem_tangent_v(v_dot, x, index, v)


defrule(additem, vjp=additem_vjp, jvp=additem_jvp, linear=True)

# the in-place forms generated code uses (see source/transform/reverse_assign.py): as functions
# of values they are setitem and additem, so they share those rules; tangents stay new values
defrule(
    write_entry, vjp=setitem_vjp, jvp=setitem_jvp, linear=True, name="pullback.runtime.write_entry"
)
defrule(
    add_to_entry,
    vjp=additem_vjp,
    jvp=additem_jvp,
    linear=True,
    name="pullback.runtime.add_to_entry",
)


def owned_adjoint_vjp(g, ans, x_bar, x):
    return unbroadcast(g, x_bar)


def owned_adjoint_jvp(x_bar_dot, ans, x_bar, x):
    return owned_adjoint(x_bar_dot, x)


defrule(owned_adjoint, vjp=owned_adjoint_vjp, jvp=owned_adjoint_jvp, linear=True)


def copy_value_vjp(g, ans, x):
    return g


def copy_value_jvp(x_dot, ans, x):
    return x_dot


defrule(copy_value, vjp=copy_value_vjp, jvp=copy_value_jvp, linear=True)


def loop_sequence_vjp(g, ans, x):
    return loop_sequence_adjoint(g, x)


def loop_sequence_jvp(x_dot, ans, x):
    return loop_sequence_tangent(x_dot, x)


defrule(loop_sequence, vjp=loop_sequence_vjp, jvp=loop_sequence_jvp, linear=True)


def loop_sequence_adjoint_vjp(g, ans, g_in, x):
    return loop_sequence_adjoint(g, x)


def loop_sequence_adjoint_jvp(g_in_dot, ans, g_in, x):
    return loop_sequence_adjoint(g_in_dot, x)


defrule(
    loop_sequence_adjoint, vjp=loop_sequence_adjoint_vjp, jvp=loop_sequence_adjoint_jvp, linear=True
)


def loop_sequence_tangent_vjp(g, ans, t, x):
    return loop_sequence_adjoint(g, x)


def loop_sequence_tangent_jvp(t_dot, ans, t, x):
    return loop_sequence_tangent(t_dot, x)


defrule(
    loop_sequence_tangent, vjp=loop_sequence_tangent_vjp, jvp=loop_sequence_tangent_jvp, linear=True
)


def take_vjp(g, ans, a, indices, axis=None, out=None, mode="raise"):
    return take_adjoint(g, a, indices, axis, mode)


def take_jvp(a_dot, ans, a, indices, axis=None, out=None, mode="raise"):
    return np.take(a_dot, indices, axis, mode=mode)


defrule(np.take, vjp=take_vjp, jvp=take_jvp, linear=True)


def take_along_axis_vjp(g, ans, arr, indices, axis=-1):
    return take_along_axis_adjoint(g, arr, indices, axis)


def take_along_axis_jvp(arr_dot, ans, arr, indices, axis=-1):
    return np.take_along_axis(arr_dot, indices, axis)


defrule(np.take_along_axis, vjp=take_along_axis_vjp, jvp=take_along_axis_jvp, linear=True)


def item_vjp(g, ans, x, index=()):
    return array_item_adjoint(g, x, index)


def item_jvp(x_dot, ans, x, index=()):
    return array_item(x_dot, index)


defrule(array_item, vjp=item_vjp, jvp=item_jvp, linear=True)


def tolist_vjp(g, ans, x):
    return array_tolist_adjoint(g, x, ans)


def tolist_jvp(x_dot, ans, x):
    return array_tolist(x_dot)


defrule(array_tolist, vjp=tolist_vjp, jvp=tolist_jvp, linear=True)
