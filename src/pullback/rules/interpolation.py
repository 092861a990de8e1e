"""Polynomials and piecewise-linear interpolation: ``np.polyval``, ``np.interp``.

In: nothing. Out: registered rules. ``polyval`` is differentiable in the coefficients ``p`` (a
list of coefficients gets a list adjoint) and in ``x``; ``interp`` in ``x`` (the slope of its
segment, 0 outside ``xp``'s range) and in ``fp``, while the knots ``xp`` are constants.
"""

import numpy as np

from ..runtime import (
    interp_adjoint_fp,
    interp_slope,
    interp_tangent_fp,
    polyval_adjoint_p,
    unbroadcast,
    zeros_for_none,
)
from .registry import defrule


def polyval_vjp(g, ans, p, x):
    return polyval_adjoint_p(g, p, x), unbroadcast(g * np.polyval(np.polyder(p), x), x)


def polyval_jvp(p_dot, x_dot, ans, p, x):
    return (
        np.polyval(np.asarray(zeros_for_none(p_dot, p)), x),
        x_dot * np.polyval(np.polyder(p), x),
    )


defrule(np.polyval, vjp=polyval_vjp, jvp=polyval_jvp)


def interp_vjp(g, ans, x, xp, fp, left=None, right=None, period=None):
    return (
        unbroadcast(g * interp_slope(x, xp, fp, left, right), x),
        interp_adjoint_fp(g, x, xp, fp, left, right),
    )


def interp_jvp(x_dot, fp_dot, ans, x, xp, fp, left=None, right=None, period=None):
    return (
        x_dot * interp_slope(x, xp, fp, left, right),
        interp_tangent_fp(fp_dot, x, xp, fp, left, right),
    )


defrule(np.interp, vjp=interp_vjp, jvp=interp_jvp)
