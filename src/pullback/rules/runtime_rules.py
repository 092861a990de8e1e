"""Rules for the helpers of ``pullback.runtime`` that generated derivative code calls.

In: nothing. Out: registered rules for ``unbroadcast``, ``unreduce``, ``getitem_adjoint``,
``getattr_adjoint``/``getattr_tangent``,
``add_adjoints``, ``accumulate``, ``item``, ``adjoint_or_zeros``, ``broadcast_like``,
``reduce_like``, ``item_adjoint``, ``sum_tangent``/``split_tangent``, ``add_into``,
``matrix_transpose``, ``matmul_adjoint_a``/``_b``, ``safe_mul``, and the non-differentiable helpers
(``seed``, ``zeros_like_value``, ``zero_tangent``).

These make the source transformation closed over its own output: a generated gradient calls
these helpers, and differentiating that gradient again (Hessians, ``grad(grad(f))``) needs
their derivatives. Most are linear in their first argument (an adjoint or a tangent), so their
JVP is the helper applied to the tangent and their VJP is the transposed helper; all of them
accept ``None`` (a symbolic zero) and return ``None`` for it.
"""

from __future__ import annotations

import numpy as np

from ..runtime import (
    accumulate,
    add_into,
    adjoints,
    broadcast_like,
    factor_tangent,
    getitem_adjoint,
    head_adjoint,
    item_adjoint,
    matmul_adjoint_a,
    matmul_adjoint_b,
    matmul_shape,
    matrix_transpose,
    pad_adjoint,
    pad_tangent,
    prefix_adjoint,
    reduce_like,
    safe_mul,
    setitem_adjoint_v,
    setitem_tangent_v,
    split_tangent,
    sum_tangent,
    tail_adjoint,
    take_along_axis_adjoint,
    times_adjoint_adjoint,
    times_adjoint_other,
    unbroadcast,
    unbroadcast_to,
    unreduce,
    zero_region,
    zero_tangent,
    zeros_like_value,
)
from ..runtime.adjoints import (
    add_adjoints,
    add_at,
    adjoint_or_zeros,
    conform_adjoint,
    head,
    item,
    scatter_add,
    seed,
    tail,
    times_adjoint,
)
from ..runtime.adjoints import unbroadcast as unbroadcast_fast  # what generated code calls
from ..runtime.adjoints import unbroadcast_to as unbroadcast_to_fast
from ..runtime.structures import getattr_adjoint, getattr_tangent
from .registry import defnondiff, defrule

defnondiff(seed, zeros_like_value, zero_tangent, matmul_shape)


# -- shape helpers: each one's transpose is the other -----------------------------------------


def unbroadcast_vjp(g, ans, g_in, x):
    return broadcast_like(g, g_in)


def unbroadcast_jvp(g_in_dot, ans, g_in, x):
    return unbroadcast_fast(g_in_dot, x)


defrule(unbroadcast, adjoints.unbroadcast, vjp=unbroadcast_vjp, jvp=unbroadcast_jvp, linear=True)


def unbroadcast_to_vjp(g, ans, g_in, shape):
    return broadcast_like(g, g_in)


def unbroadcast_to_jvp(g_in_dot, ans, g_in, shape):
    return unbroadcast_to_fast(g_in_dot, shape)


defrule(
    unbroadcast_to,
    adjoints.unbroadcast_to,
    vjp=unbroadcast_to_vjp,
    jvp=unbroadcast_to_jvp,
    linear=True,
)


def conform_adjoint_vjp(g, ans, g_in, x):
    return conform_adjoint(g, g_in)  # spread and summed back: each is the other's transpose


def conform_adjoint_jvp(g_in_dot, ans, g_in, x):
    return conform_adjoint(g_in_dot, x)


defrule(conform_adjoint, vjp=conform_adjoint_vjp, jvp=conform_adjoint_jvp, linear=True)


def broadcast_like_vjp(g, ans, t, y):
    return unbroadcast_fast(g, t)


def broadcast_like_jvp(t_dot, ans, t, y):
    return broadcast_like(t_dot, y)


defrule(broadcast_like, vjp=broadcast_like_vjp, jvp=broadcast_like_jvp, linear=True)


def unreduce_vjp(g, ans, g_in, x, axis=None, keepdims=False):
    return reduce_like(g, g_in, axis, keepdims)


def unreduce_jvp(g_in_dot, ans, g_in, x, axis=None, keepdims=False):
    return unreduce(g_in_dot, x, axis, keepdims)


defrule(unreduce, vjp=unreduce_vjp, jvp=unreduce_jvp, linear=True)


def reduce_like_vjp(g, ans, g_in, t, axis=None, keepdims=False):
    return unreduce(g, g_in, axis, keepdims)


def reduce_like_jvp(g_in_dot, ans, g_in, t, axis=None, keepdims=False):
    return reduce_like(g_in_dot, t, axis, keepdims)


defrule(reduce_like, vjp=reduce_like_vjp, jvp=reduce_like_jvp, linear=True)


# -- scattering and gathering adjoints --------------------------------------------------------


def getitem_adjoint_vjp(g, ans, g_in, x, index):
    return item(g, index)


def getitem_adjoint_jvp(g_in_dot, ans, g_in, x, index):
    return getitem_adjoint(g_in_dot, x, index)


defrule(getitem_adjoint, vjp=getitem_adjoint_vjp, jvp=getitem_adjoint_jvp, linear=True)


def getattr_adjoint_vjp(g, ans, g_in, x, name):
    return getattr_tangent(g, x, name)


def getattr_adjoint_jvp(g_in_dot, ans, g_in, x, name):
    return getattr_adjoint(g_in_dot, x, name)


defrule(getattr_adjoint, vjp=getattr_adjoint_vjp, jvp=getattr_adjoint_jvp, linear=True)


def getattr_tangent_vjp(g, ans, t, x, name):
    return getattr_adjoint(g, x, name)


def getattr_tangent_jvp(t_dot, ans, t, x, name):
    return getattr_tangent(t_dot, x, name)


defrule(getattr_tangent, vjp=getattr_tangent_vjp, jvp=getattr_tangent_jvp, linear=True)


def scatter_add_vjp(g, ans, x_bar, x, index, g_in):
    return g, item(g, index)


def scatter_add_jvp(x_bar_dot, g_in_dot, ans, x_bar, x, index, g_in):
    return x_bar_dot, getitem_adjoint(g_in_dot, x, index)  # a new value: tangents are shared


defrule(scatter_add, vjp=scatter_add_vjp, jvp=scatter_add_jvp, linear=True)


def item_vjp(g, ans, adjoint, index):
    return item_adjoint(g, adjoint, index)


def item_jvp(adjoint_dot, ans, adjoint, index):
    return item(adjoint_dot, index)


defrule(item, vjp=item_vjp, jvp=item_jvp, linear=True)


def item_adjoint_vjp(g, ans, g_in, adjoint, index):
    return item(g, index)


def item_adjoint_jvp(g_in_dot, ans, g_in, adjoint, index):
    return item_adjoint(g_in_dot, adjoint, index)


defrule(item_adjoint, vjp=item_adjoint_vjp, jvp=item_adjoint_jvp, linear=True)


# -- sums of adjoints (None is zero) -----------------------------------------------------------


def add_adjoints_vjp(g, ans, a, b):
    return g, g


def add_adjoints_jvp(a_dot, b_dot, ans, a, b):
    return a_dot, b_dot


defrule(add_adjoints, vjp=add_adjoints_vjp, jvp=add_adjoints_jvp, linear=True)


def accumulate_vjp(g, ans, acc, g_in):
    return g, g


def accumulate_jvp(acc_dot, g_in_dot, ans, acc, g_in):
    return acc_dot, g_in_dot


defrule(accumulate, vjp=accumulate_vjp, jvp=accumulate_jvp, linear=True)


def adjoint_or_zeros_vjp(g, ans, adjoint, x):
    return g


def adjoint_or_zeros_jvp(adjoint_dot, ans, adjoint, x):
    return adjoint_or_zeros(adjoint_dot, x)


defrule(adjoint_or_zeros, vjp=adjoint_or_zeros_vjp, jvp=adjoint_or_zeros_jvp, linear=True)


# -- matrix products: the adjoint of one factor is bilinear in the cotangent and the other ----


def matrix_transpose_vjp(g, ans, a):
    return matrix_transpose(g)


def matrix_transpose_jvp(a_dot, ans, a):
    return matrix_transpose(a_dot)


defrule(matrix_transpose, vjp=matrix_transpose_vjp, jvp=matrix_transpose_jvp, linear=True)


def matmul_adjoint_a_vjp(g, ans, g_in, a, b):
    return g @ b, matmul_adjoint_b(g_in, g, b)


def matmul_adjoint_a_jvp(g_in_dot, b_dot, ans, g_in, a, b):
    return matmul_adjoint_a(g_in_dot, a, b), matmul_adjoint_a(g_in, a, b_dot)


defrule(matmul_adjoint_a, vjp=matmul_adjoint_a_vjp, jvp=matmul_adjoint_a_jvp)


def matmul_adjoint_b_vjp(g, ans, g_in, a, b):
    return a @ g, matmul_adjoint_a(g_in, a, g)


def matmul_adjoint_b_jvp(g_in_dot, a_dot, ans, g_in, a, b):
    return matmul_adjoint_b(g_in_dot, a, b), matmul_adjoint_b(g_in, a_dot, b)


defrule(matmul_adjoint_b, vjp=matmul_adjoint_b_vjp, jvp=matmul_adjoint_b_jvp)


# -- concatenated lists and tuples ------------------------------------------------------------


def head_vjp(g, ans, adjoint, left, right):
    return head_adjoint(g, adjoint, left, right)


def head_jvp(adjoint_dot, ans, adjoint, left, right):
    return head(adjoint_dot, left, right)


defrule(head, vjp=head_vjp, jvp=head_jvp, linear=True)


def tail_vjp(g, ans, adjoint, left, right):
    return tail_adjoint(g, adjoint, left, right)


def tail_jvp(adjoint_dot, ans, adjoint, left, right):
    return tail(adjoint_dot, left, right)


defrule(tail, vjp=tail_vjp, jvp=tail_jvp, linear=True)


def head_adjoint_vjp(g, ans, g_in, adjoint, left, right):
    return head(g, left, right)


def head_adjoint_jvp(g_in_dot, ans, g_in, adjoint, left, right):
    return head_adjoint(g_in_dot, adjoint, left, right)


defrule(head_adjoint, vjp=head_adjoint_vjp, jvp=head_adjoint_jvp, linear=True)


def tail_adjoint_vjp(g, ans, g_in, adjoint, left, right):
    return tail(g, left, right)


def tail_adjoint_jvp(g_in_dot, ans, g_in, adjoint, left, right):
    return tail_adjoint(g_in_dot, adjoint, left, right)


defrule(tail_adjoint, vjp=tail_adjoint_vjp, jvp=tail_adjoint_jvp, linear=True)


def times_adjoint_vjp(g, ans, adjoint, side, other):
    return times_adjoint_adjoint(g, adjoint, side, other), times_adjoint_other(
        g, adjoint, side, other
    )


def times_adjoint_jvp(adjoint_dot, other_dot, ans, adjoint, side, other):
    return (
        times_adjoint(adjoint_dot, side, other),
        times_adjoint(adjoint, side, factor_tangent(other_dot, other)),
    )


defrule(times_adjoint, vjp=times_adjoint_vjp, jvp=times_adjoint_jvp)


def times_adjoint_adjoint_vjp(h, ans, g, adjoint, side, other):
    return times_adjoint(h, side, other), times_adjoint_other(g, h, side, other)


def times_adjoint_adjoint_jvp(g_dot, other_dot, ans, g, adjoint, side, other):
    return (
        times_adjoint_adjoint(g_dot, adjoint, side, other),
        times_adjoint_adjoint(g, adjoint, side, factor_tangent(other_dot, other)),
    )


defrule(times_adjoint_adjoint, vjp=times_adjoint_adjoint_vjp, jvp=times_adjoint_adjoint_jvp)


def sum_tangent_vjp(g, ans, t, u, a, y):
    return split_tangent(g, a, t, False), split_tangent(g, a, u, True)


def sum_tangent_jvp(t_dot, u_dot, ans, t, u, a, y):
    return sum_tangent(t_dot, None, a, y), sum_tangent(None, u_dot, a, y)


defrule(sum_tangent, vjp=sum_tangent_vjp, jvp=sum_tangent_jvp, linear=True)


def add_into_vjp(g, ans, a, b):
    return g, g


def add_into_jvp(a_dot, b_dot, ans, a, b):
    return a_dot, b_dot


defrule(add_into, vjp=add_into_vjp, jvp=add_into_jvp, linear=True)


def split_tangent_vjp(h, ans, g, a, t, right):
    return sum_tangent(None, h, a, g) if right else sum_tangent(h, None, a, g)


def split_tangent_jvp(g_dot, ans, g, a, t, right):
    return split_tangent(g_dot, a, t, right)


defrule(split_tangent, vjp=split_tangent_vjp, jvp=split_tangent_jvp, linear=True)


# -- index assignment: each helper's transpose is its partner -----------------------------------


def zero_region_vjp(g, ans, t, index):
    return zero_region(g, index)


def zero_region_jvp(t_dot, ans, t, index):
    return zero_region(t_dot, index)


defrule(zero_region, vjp=zero_region_vjp, jvp=zero_region_jvp, linear=True)


def setitem_adjoint_v_vjp(g, ans, g_in, x, index, v):
    return setitem_tangent_v(g, x, index, v)


def setitem_adjoint_v_jvp(g_in_dot, ans, g_in, x, index, v):
    return setitem_adjoint_v(g_in_dot, x, index, v)


defrule(setitem_adjoint_v, vjp=setitem_adjoint_v_vjp, jvp=setitem_adjoint_v_jvp, linear=True)


def setitem_tangent_v_vjp(g, ans, t, x, index, v):
    return setitem_adjoint_v(g, x, index, v)


def setitem_tangent_v_jvp(t_dot, ans, t, x, index, v):
    return setitem_tangent_v(t_dot, x, index, v)


defrule(setitem_tangent_v, vjp=setitem_tangent_v_vjp, jvp=setitem_tangent_v_jvp, linear=True)


def add_at_vjp(g, ans, adjoint, index, v):
    return prefix_adjoint(g, adjoint), item(g, index)


def add_at_jvp(adjoint_dot, v_dot, ans, adjoint, index, v):
    return add_at(adjoint_dot, index, None), add_at(zero_tangent(adjoint), index, v_dot)


defrule(add_at, vjp=add_at_vjp, jvp=add_at_jvp, linear=True)


def prefix_adjoint_vjp(g, ans, g_in, adjoint):
    return head_adjoint(g, g_in, adjoint, ())  # the entries of a list: its head


def prefix_adjoint_jvp(g_in_dot, ans, g_in, adjoint):
    return prefix_adjoint(g_in_dot, adjoint)


defrule(prefix_adjoint, vjp=prefix_adjoint_vjp, jvp=prefix_adjoint_jvp, linear=True)


def safe_mul_vjp(g, ans, a, b):
    return safe_mul(g, b), safe_mul(g, a)


def safe_mul_jvp(a_dot, b_dot, ans, a, b):
    return safe_mul(a_dot, b), safe_mul(a, b_dot)


# its derivatives keep its zeros: a Hessian through an untaken np.where branch stays finite
defrule(safe_mul, vjp=safe_mul_vjp, jvp=safe_mul_jvp, broadcasts=True)


# -- np.pad's two helpers: each one's transpose is the other -----------------------------------


def pad_adjoint_vjp(g, ans, g_in, array, pad_width, mode="constant", reflect_type="even"):
    return pad_tangent(g, pad_width, mode, reflect_type)


def pad_adjoint_jvp(g_in_dot, ans, g_in, array, pad_width, mode="constant", reflect_type="even"):
    return pad_adjoint(g_in_dot, array, pad_width, mode, reflect_type)


defrule(pad_adjoint, vjp=pad_adjoint_vjp, jvp=pad_adjoint_jvp, linear=True)


def pad_tangent_vjp(g, ans, t, pad_width, mode="constant", reflect_type="even"):
    return pad_adjoint(g, t, pad_width, mode, reflect_type)


def pad_tangent_jvp(t_dot, ans, t, pad_width, mode="constant", reflect_type="even"):
    return pad_tangent(t_dot, pad_width, mode, reflect_type)


defrule(pad_tangent, vjp=pad_tangent_vjp, jvp=pad_tangent_jvp, linear=True)


def take_along_axis_adjoint_vjp(g, ans, g_in, arr, indices, axis):
    return np.take_along_axis(g, indices, axis)


def take_along_axis_adjoint_jvp(g_in_dot, ans, g_in, arr, indices, axis):
    return take_along_axis_adjoint(g_in_dot, arr, indices, axis)


defrule(
    take_along_axis_adjoint,
    vjp=take_along_axis_adjoint_vjp,
    jvp=take_along_axis_adjoint_jvp,
    linear=True,
)
