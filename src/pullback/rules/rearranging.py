"""More shape functions, beside ``shapes.py``: rot90, fliplr, flipud, rollaxis, hsplit, vsplit,
dsplit, partition, builtins ``sorted``, gradient, real_if_close.

In: nothing. Out: registered rules (and the rules of ``gradient_adjoint`` and
``sorted_adjoint``/``sorted_tangent``, helpers that loop, so that derivatives using them
differentiate again).

Each is linear in its array argument. ``partition`` and ``sorted`` send the gradient through
the permutation they apply (a constant); ``kth``, ``axis``, ``start``, ``reverse`` and the
spacing of ``gradient`` (a scalar) are constants. ``sorted`` takes a list of numbers or a 1-D
array, without ``key``. The splits return lists: their VJPs take a list of part adjoints.
"""

import builtins

import numpy as np

from ..runtime import (
    gradient_adjoint,
    meshgrid_adjoint,
    meshgrid_of,
    meshgrid_tangent,
    partition_order,
    rollaxis_order,
    sorted_adjoint,
    sorted_order,
    sorted_tangent,
    split_adjoint,
    take_along_axis_adjoint,
)
from .registry import defnondiff, defrule
from .substitutes import defvariadic

defnondiff(rollaxis_order, partition_order, sorted_order)


def rot90_vjp(g, ans, m, k=1, axes=(0, 1)):
    return np.rot90(g, -k, axes)


def rot90_jvp(m_dot, ans, m, k=1, axes=(0, 1)):
    return np.rot90(m_dot, k, axes)


defrule(np.rot90, vjp=rot90_vjp, jvp=rot90_jvp, linear=True)


def fliplr_vjp(g, ans, m):
    return np.fliplr(g)


def fliplr_jvp(m_dot, ans, m):
    return np.fliplr(m_dot)


defrule(np.fliplr, vjp=fliplr_vjp, jvp=fliplr_jvp, linear=True)


def flipud_vjp(g, ans, m):
    return np.flipud(g)


def flipud_jvp(m_dot, ans, m):
    return np.flipud(m_dot)


defrule(np.flipud, vjp=flipud_vjp, jvp=flipud_jvp, linear=True)


def rollaxis_vjp(g, ans, a, axis, start=0):
    return np.transpose(g, np.argsort(rollaxis_order(np.ndim(a), axis, start)))


def rollaxis_jvp(a_dot, ans, a, axis, start=0):
    return np.rollaxis(a_dot, axis, start)


defrule(np.rollaxis, vjp=rollaxis_vjp, jvp=rollaxis_jvp, linear=True)

# -- splits: hsplit cuts along axis 1 (axis 0 of a 1-D array), vsplit 0, dsplit 2 -----------


def hsplit_vjp(g, ans, ary, indices_or_sections):
    return split_adjoint(g, ans, 1 if np.ndim(ary) > 1 else 0)


def hsplit_jvp(ary_dot, ans, ary, indices_or_sections):
    return np.hsplit(ary_dot, indices_or_sections)


defrule(np.hsplit, vjp=hsplit_vjp, jvp=hsplit_jvp, linear=True)


def vsplit_vjp(g, ans, ary, indices_or_sections):
    return split_adjoint(g, ans, 0)


def vsplit_jvp(ary_dot, ans, ary, indices_or_sections):
    return np.vsplit(ary_dot, indices_or_sections)


defrule(np.vsplit, vjp=vsplit_vjp, jvp=vsplit_jvp, linear=True)


def dsplit_vjp(g, ans, ary, indices_or_sections):
    return split_adjoint(g, ans, 2)


def dsplit_jvp(ary_dot, ans, ary, indices_or_sections):
    return np.dsplit(ary_dot, indices_or_sections)


defrule(np.dsplit, vjp=dsplit_vjp, jvp=dsplit_jvp, linear=True)

# -- permutations --------------------------------------------------------------------------------


def partition_vjp(g, ans, a, kth, axis=-1, kind="introselect", order=None):
    return np.reshape(
        take_along_axis_adjoint(
            g,
            np.ravel(a) if axis is None else a,
            partition_order(a, ans, axis),
            0 if axis is None else axis,
        ),
        np.shape(a),
    )


def partition_jvp(a_dot, ans, a, kth, axis=-1, kind="introselect", order=None):
    return np.take_along_axis(
        np.ravel(a_dot) if axis is None else a_dot,
        partition_order(a, ans, axis),
        0 if axis is None else axis,
    )


defrule(np.partition, vjp=partition_vjp, jvp=partition_jvp)


def sorted_vjp(g, ans, iterable, *, key=None, reverse=False):
    return sorted_adjoint(g, iterable, sorted_order(iterable, reverse))


def sorted_jvp(iterable_dot, ans, iterable, *, key=None, reverse=False):
    return sorted_tangent(iterable_dot, sorted_order(iterable, reverse))


defrule(builtins.sorted, vjp=sorted_vjp, jvp=sorted_jvp)


def sorted_adjoint_vjp(g_bar, ans, g, iterable, order):
    return sorted_tangent(g_bar, order)


def sorted_adjoint_jvp(g_dot, ans, g, iterable, order):
    return sorted_adjoint(g_dot, iterable, order)


defrule(sorted_adjoint, vjp=sorted_adjoint_vjp, jvp=sorted_adjoint_jvp, linear=True)


def sorted_tangent_vjp(g, ans, t, order):
    return sorted_adjoint(g, t, order)


def sorted_tangent_jvp(t_dot, ans, t, order):
    return sorted_tangent(t_dot, order)


defrule(sorted_tangent, vjp=sorted_tangent_vjp, jvp=sorted_tangent_jvp, linear=True)

# -- np.gradient (one scalar spacing) and real_if_close --------------------------------------


def gradient_vjp(g, ans, f, spacing=1.0, *, axis=None, edge_order=1):
    return gradient_adjoint(g, f, spacing, axis, edge_order)


def gradient_jvp(f_dot, ans, f, spacing=1.0, *, axis=None, edge_order=1):
    return np.gradient(f_dot, spacing, axis=axis, edge_order=edge_order)


defrule(np.gradient, vjp=gradient_vjp, jvp=gradient_jvp, linear=True)


def gradient_adjoint_vjp(f_bar, ans, g, f, spacing=1.0, axis=None, edge_order=1):
    return np.gradient(f_bar, spacing, axis=axis, edge_order=edge_order)


def gradient_adjoint_jvp(g_dot, ans, g, f, spacing=1.0, axis=None, edge_order=1):
    return gradient_adjoint(g_dot, f, spacing, axis, edge_order)


defrule(gradient_adjoint, vjp=gradient_adjoint_vjp, jvp=gradient_adjoint_jvp, linear=True)


def real_if_close_vjp(g, ans, a, tol=100):
    return g


def real_if_close_jvp(a_dot, ans, a, tol=100):
    return np.real(a_dot) if np.isrealobj(ans) else a_dot


defrule(np.real_if_close, vjp=real_if_close_vjp, jvp=real_if_close_jvp, linear=True)


# -- meshgrid: any number of arrays, computed as a function of their tuple ----------------------


def meshgrid_of_vjp(g, ans, xs, copy=True, sparse=False, indexing="xy"):
    return meshgrid_adjoint(g, xs, sparse, indexing)


def meshgrid_of_jvp(xs_dot, ans, xs, copy=True, sparse=False, indexing="xy"):
    return meshgrid_tangent(xs_dot, xs, sparse, indexing)


defrule(meshgrid_of, vjp=meshgrid_of_vjp, jvp=meshgrid_of_jvp, linear=True)
defvariadic(np.meshgrid, meshgrid_of)


# the two are linear in their first argument and each other's transposes; xs gives only shapes


def meshgrid_adjoint_vjp(g, ans, g_in, xs, sparse=False, indexing="xy"):
    return meshgrid_tangent(g, xs, sparse, indexing), None


def meshgrid_adjoint_jvp(g_in_dot, xs_dot, ans, g_in, xs, sparse=False, indexing="xy"):
    return meshgrid_adjoint(g_in_dot, xs, sparse, indexing), None


defrule(meshgrid_adjoint, vjp=meshgrid_adjoint_vjp, jvp=meshgrid_adjoint_jvp, linear=True)


def meshgrid_tangent_vjp(g, ans, ts, xs, sparse=False, indexing="xy"):
    return meshgrid_adjoint(g, xs, sparse, indexing), None


def meshgrid_tangent_jvp(ts_dot, xs_dot, ans, ts, xs, sparse=False, indexing="xy"):
    return meshgrid_tangent(ts_dot, xs, sparse, indexing), None


defrule(meshgrid_tangent, vjp=meshgrid_tangent_vjp, jvp=meshgrid_tangent_jvp, linear=True)
