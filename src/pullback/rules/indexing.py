"""Indexing: ``x[index]`` and the functional assignments ``setitem`` / ``additem``.

In: nothing. Out: registered rules for ``operator.getitem``, ``pullback.runtime.setitem`` and
``pullback.runtime.additem`` (what source and tape modes turn ``y[i] = v``, ``y[i] += v`` into).

Any index NumPy accepts works: integers, slices with steps, ``None``, ``...``, integer arrays
(repeats accumulate in the adjoint) and boolean masks. For a list, tuple or dict ``x`` the
adjoint is a list (dict) with the cotangent at ``index`` and ``None`` (zero) elsewhere.
"""

import operator

from ..runtime import (
    additem,
    getitem_adjoint,
    setitem,
    setitem_adjoint_v,
    setitem_tangent_v,
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
