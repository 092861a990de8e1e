"""Elementwise primitives: operators, ``math`` and NumPy ufuncs, by their partial derivatives.

In: nothing. Out: registered rules (see ``registry.elementwise``): each function below returns
the partial derivative of the output with respect to each differentiable argument, in order.

Conventions: at a tie, ``maximum``/``minimum`` (and builtin ``max``/``min`` of two numbers) split
the derivative evenly between both arguments, like the ``max`` reduction (selections, whose
rules hold for complex values too); ``clip`` passes the derivative to ``a`` where it is inside
the bounds (bounds included). ``abs``, which is not holomorphic, has its rule in ``complexes``.
Holomorphic functions of complex arguments use the partials below as they stand.
Outside a function's domain a partial evaluates to NumPy's nan or inf, never raises: where a
Python float may reach a division by zero that the primal survives (``math.sqrt(0.0)``), the
partial divides with ``np.divide``. Every mode multiplies a partial that is not a constant by
the adjoint with ``safe_mul``, so a zero adjoint (a branch ``np.where`` did not take) stays
zero where the partial is nan or inf.
"""

import builtins
import math
import operator

import numpy as np

from .registry import defrule, elementwise

# -- arithmetic ---------------------------------------------------------------------------------


@elementwise(np.add, operator.add)
def add(x, y):
    return 1.0, 1.0


@elementwise(np.subtract, operator.sub)
def subtract(x, y):
    return 1.0, -1.0


@elementwise(np.multiply, operator.mul)
def multiply(x, y):
    return y, x


@elementwise(np.true_divide, operator.truediv)
def true_divide(x, y):
    return np.divide(1.0, y), np.divide(-x, y * y)


@elementwise(np.negative, operator.neg)
def negative(x):
    return -1.0


@elementwise(np.positive, operator.pos)
def positive(x):
    return 1.0


@elementwise(np.power, np.float_power, operator.pow, builtins.pow, math.pow)
def power(x, y, ans):
    return y * np.power(x, np.where(y == 0, 1.0, y - 1.0)), ans * np.log(np.where(x == 0, 1.0, x))


@elementwise(np.remainder, operator.mod)
def remainder(x, y):
    return 1.0, -np.floor_divide(x, y)


@elementwise(np.fmod, math.fmod)
def fmod(x, y):
    return 1.0, -np.trunc(np.divide(x, y))


@elementwise(np.square)
def square(x):
    return 2.0 * x


@elementwise(np.reciprocal)
def reciprocal(x, ans):
    return -ans * ans


@elementwise(np.sqrt, math.sqrt)
def sqrt(x, ans):
    return np.divide(0.5, ans)


@elementwise(np.cbrt)
def cbrt(x, ans):
    return 1.0 / (3.0 * ans * ans)


@elementwise(np.copysign, math.copysign)
def copysign(x, y):
    return np.sign(x) * np.where(np.signbit(y), -1.0, 1.0), 0.0


@elementwise(builtins.float, np.float64)
def to_float(x):
    return 1.0


# -- exponentials and logarithms ----------------------------------------------------------------


@elementwise(np.exp, math.exp)
def exp(x, ans):
    return ans


@elementwise(np.expm1, math.expm1)
def expm1(x, ans):
    return ans + 1.0


@elementwise(np.exp2)
def exp2(x, ans):
    return ans * np.log(2.0)


@elementwise(np.log)
def log(x):
    return np.divide(1.0, x)


@elementwise(math.log)
def math_log(x, base=math.e):
    return 1.0 / (x * np.log(base)), -np.log(x) / (base * np.log(base) ** 2)


@elementwise(np.log1p, math.log1p)
def log1p(x):
    return np.divide(1.0, 1.0 + x)


@elementwise(np.log2, math.log2)
def log2(x):
    return 1.0 / (x * np.log(2.0))


@elementwise(np.log10, math.log10)
def log10(x):
    return 1.0 / (x * np.log(10.0))


@elementwise(np.logaddexp)
def logaddexp(x, y, ans):
    return np.exp(x - ans), np.exp(y - ans)


@elementwise(np.logaddexp2)
def logaddexp2(x, y, ans):
    return np.exp2(x - ans), np.exp2(y - ans)


# -- trigonometric and hyperbolic ---------------------------------------------------------------


@elementwise(np.sin, math.sin)
def sin(x):
    return np.cos(x)


@elementwise(np.cos, math.cos)
def cos(x):
    return -np.sin(x)


@elementwise(np.tan, math.tan)
def tan(x, ans):
    return 1.0 + ans * ans


@elementwise(np.arcsin, math.asin)
def arcsin(x):
    return 1.0 / np.sqrt(1.0 - x * x)


@elementwise(np.arccos, math.acos)
def arccos(x):
    return -1.0 / np.sqrt(1.0 - x * x)


@elementwise(np.arctan, math.atan)
def arctan(x):
    return 1.0 / (1.0 + x * x)


@elementwise(np.arctan2, math.atan2)
def arctan2(y, x):
    return np.divide(x, x * x + y * y), np.divide(-y, x * x + y * y)


@elementwise(np.hypot, math.hypot)
def hypot(x, y, ans):
    return np.divide(x, ans), np.divide(y, ans)


@elementwise(np.sinh, math.sinh)
def sinh(x):
    return np.cosh(x)


@elementwise(np.cosh, math.cosh)
def cosh(x):
    return np.sinh(x)


@elementwise(np.tanh, math.tanh)
def tanh(x, ans):
    return 1.0 - ans * ans


@elementwise(np.arcsinh, math.asinh)
def arcsinh(x):
    return 1.0 / np.sqrt(x * x + 1.0)


@elementwise(np.arccosh, math.acosh)
def arccosh(x):
    return 1.0 / np.sqrt(x * x - 1.0)


@elementwise(np.arctanh, math.atanh)
def arctanh(x):
    return np.divide(1.0, 1.0 - x * x)


@elementwise(np.deg2rad, np.radians, math.radians)
def deg2rad(x):
    return np.pi / 180.0


@elementwise(np.rad2deg, np.degrees, math.degrees)
def rad2deg(x):
    return 180.0 / np.pi


@elementwise(np.sinc)
def sinc(x, ans):
    return (np.cos(np.pi * x) - ans) / np.where(x == 0, 1.0, x)


@elementwise(math.erf)
def erf(x):
    return 2.0 / np.sqrt(np.pi) * np.exp(-x * x)


@elementwise(math.erfc)
def erfc(x):
    return -2.0 / np.sqrt(np.pi) * np.exp(-x * x)


# -- selection ----------------------------------------------------------------------------------


@elementwise(np.maximum, builtins.max)
def maximum(x, y):
    return (x > y) + 0.5 * (x == y), (x < y) + 0.5 * (x == y)


@elementwise(np.minimum, builtins.min)
def minimum(x, y):
    return (x < y) + 0.5 * (x == y), (x > y) + 0.5 * (x == y)


@elementwise(np.fmax)
def fmax(x, y):
    return (x > y) + np.isnan(y) + 0.5 * (x == y), (x < y) + np.isnan(x) + 0.5 * (x == y)


@elementwise(np.fmin)
def fmin(x, y):
    return (x < y) + np.isnan(y) + 0.5 * (x == y), (x > y) + np.isnan(x) + 0.5 * (x == y)


@elementwise(np.nan_to_num, nondiff=("copy", "nan", "posinf", "neginf"))
def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    return 1.0 * np.isfinite(x)  # a replaced entry is a constant


@elementwise(np.clip)
def clip(a, a_min=None, a_max=None, ans=None):
    return 1.0 * (ans == a), 1.0 * (a < a_min), 1.0 * (a > a_max)


# np.where selects rather than multiplies by a 0/1 mask: 0 * nan is nan, and a branch that is
# not taken is often not finite there (np.where(x > 0, np.sqrt(x), 0.0))
def where_vjp(g, ans, condition, x, y):
    return np.where(condition, g, 0.0), np.where(condition, 0.0, g)


def where_jvp(x_dot, y_dot, ans, condition, x, y):
    return np.where(condition, x_dot, np.zeros(np.shape(ans))), np.where(
        condition, np.zeros(np.shape(ans)), y_dot
    )


defrule(np.where, vjp=where_vjp, jvp=where_jvp, broadcasts=True)
