"""Reductions over axes: sum, mean, prod, max, var, std, cumsum ...

In: nothing. Out: registered rules.
"""

import numpy as np

from ..runtime import unreduce
from .registry import defrule


def sum_vjp(g, ans, a, axis=None, dtype=None, out=None, keepdims=False):
    return unreduce(g, a, axis, keepdims)


def sum_jvp(a_dot, ans, a, axis=None, dtype=None, out=None, keepdims=False):
    return np.sum(a_dot, axis=axis, keepdims=keepdims)


defrule(np.sum, vjp=sum_vjp, jvp=sum_jvp, linear=True)
