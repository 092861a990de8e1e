"""Elementwise primitives: operators, ``math`` and NumPy ufuncs, by their partial derivatives.

In: nothing. Out: registered rules (see ``registry.elementwise``).
"""

import math
import operator

import numpy as np

from .registry import elementwise


@elementwise(np.sin, math.sin)
def sin(x):
    return np.cos(x)


@elementwise(np.log, math.log)
def log(x):
    return 1.0 / x


@elementwise(np.exp, math.exp)
def exp(x, ans):
    return ans


@elementwise(np.tanh, math.tanh)
def tanh(x, ans):
    return 1.0 - ans * ans


@elementwise(np.multiply, operator.mul)
def multiply(x, y):
    return y, x


@elementwise(np.add, operator.add)
def add(x, y):
    return 1.0, 1.0


@elementwise(np.subtract, operator.sub)
def subtract(x, y):
    return 1.0, -1.0


@elementwise(np.true_divide, operator.truediv)
def true_divide(x, y):
    return 1.0 / y, -x / (y * y)
