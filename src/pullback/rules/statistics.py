"""Statistics: median, percentile, quantile, cov, corrcoef, and the choosing functions select
and piecewise.

In: nothing. Out: registered rules (and rules for the one helper of theirs that writes into an
array, ``select_adjoint``, so their derivatives differentiate again).

A quantile is a weighted sum of (at most) two order statistics: its derivative sends the
adjoint to the entries holding them, split by the interpolation weights, and evenly among tied
entries (as ``max`` does). ``q`` (and ``weights``, which are refused) are constants.
``cov``/``corrcoef`` are differentiable in ``m``/``x`` and ``y``; the weights, ``ddof`` and
``bias`` are constants. ``select`` is differentiable in the choices and the default, not the
conditions. ``piecewise`` is differentiable only where ``funclist`` holds constants (its
derivative is then zero); functions in ``funclist`` are refused with an error.
"""

import numpy as np

from ..runtime import (
    choice_index,
    corrcoef_cov_adjoint,
    corrcoef_tangent,
    cov_adjoint,
    cov_scaled_deviations,
    cov_tangent,
    cov_variables,
    cov_variables_adjoint,
    no_derivative,
    piecewise_constants,
    quantile_axes,
    quantile_shares,
    select_adjoint,
    unbroadcast,
    unreduce,
    zeros_for_none,
    zeros_unless_none,
)
from .registry import defnondiff, defrule

defnondiff(quantile_shares, quantile_axes, choice_index)

# -- order statistics ----------------------------------------------------------------------------


def median_vjp(g, ans, a, axis=None, out=None, overwrite_input=False, keepdims=False):
    return unreduce(g, a, axis, keepdims) * quantile_shares(a, 0.5, axis)


def median_jvp(a_dot, ans, a, axis=None, out=None, overwrite_input=False, keepdims=False):
    return np.sum(a_dot * quantile_shares(a, 0.5, axis), axis=axis, keepdims=keepdims)


defrule(np.median, vjp=median_vjp, jvp=median_jvp)


_Q_IS_A_POSITION = "q says which order statistics are read; its derivative is not implemented"


def quantile_vjp(
    g, ans, a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False, *,
    weights=None,
):  # fmt: skip
    shares = quantile_shares(a, q, axis, method, weights)
    a_bar = np.sum(
        unreduce(g, shares, quantile_axes(a, q, axis), keepdims) * shares,
        axis=tuple(range(np.ndim(q))),
    )
    return a_bar, no_derivative("numpy.quantile", "q", _Q_IS_A_POSITION)


def quantile_jvp(
    a_dot, q_dot, ans, a, q, axis=None, out=None, overwrite_input=False, method="linear",
    keepdims=False, *, weights=None,
):  # fmt: skip
    return (
        np.sum(
            a_dot * quantile_shares(a, q, axis, method, weights),
            axis=quantile_axes(a, q, axis),
            keepdims=keepdims,
        ),
        no_derivative("numpy.quantile", "q", _Q_IS_A_POSITION),
    )


defrule(np.quantile, vjp=quantile_vjp, jvp=quantile_jvp)


def percentile_vjp(
    g, ans, a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False, *,
    weights=None,
):  # fmt: skip
    shares = quantile_shares(a, np.true_divide(q, 100), axis, method, weights)
    a_bar = np.sum(
        unreduce(g, shares, quantile_axes(a, q, axis), keepdims) * shares,
        axis=tuple(range(np.ndim(q))),
    )
    return a_bar, no_derivative("numpy.percentile", "q", _Q_IS_A_POSITION)


def percentile_jvp(
    a_dot, q_dot, ans, a, q, axis=None, out=None, overwrite_input=False, method="linear",
    keepdims=False, *, weights=None,
):  # fmt: skip
    return (
        np.sum(
            a_dot * quantile_shares(a, np.true_divide(q, 100), axis, method, weights),
            axis=quantile_axes(a, q, axis),
            keepdims=keepdims,
        ),
        no_derivative("numpy.percentile", "q", _Q_IS_A_POSITION),
    )


defrule(np.percentile, vjp=percentile_vjp, jvp=percentile_jvp)

# -- covariance and correlation ------------------------------------------------------------------


def cov_vjp(
    g, ans, m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None, *,
    dtype=None,
):  # fmt: skip
    x_bar = cov_adjoint(g, cov_scaled_deviations(m, y, rowvar, bias, ddof, fweights, aweights))
    return (
        cov_variables_adjoint(x_bar, m, y, rowvar, False),
        cov_variables_adjoint(x_bar, m, y, rowvar, True),
    )


def cov_jvp(
    m_dot, y_dot, ans, m, y=None, rowvar=True, bias=False, ddof=None, fweights=None,
    aweights=None, *, dtype=None,
):  # fmt: skip
    b = cov_scaled_deviations(m, y, rowvar, bias, ddof, fweights, aweights)
    return (
        cov_tangent(cov_variables(m_dot, zeros_unless_none(y), rowvar), b, np.shape(ans)),
        cov_tangent(cov_variables(np.zeros(np.shape(m)), y_dot, rowvar), b, np.shape(ans)),
    )


defrule(np.cov, vjp=cov_vjp, jvp=cov_jvp)


def corrcoef_vjp(g, ans, x, y=None, rowvar=True, *, dtype=None):
    x_bar = cov_adjoint(corrcoef_cov_adjoint(g, x, y, rowvar), cov_scaled_deviations(x, y, rowvar))
    return (
        cov_variables_adjoint(x_bar, x, y, rowvar, False),
        cov_variables_adjoint(x_bar, x, y, rowvar, True),
    )


def corrcoef_jvp(x_dot, y_dot, ans, x, y=None, rowvar=True, *, dtype=None):
    b = cov_scaled_deviations(x, y, rowvar)
    c = np.atleast_2d(np.cov(x, y, rowvar))
    return (
        corrcoef_tangent(
            cov_tangent(cov_variables(x_dot, zeros_unless_none(y), rowvar), b, np.shape(c)),
            c,
            np.shape(ans),
        ),
        corrcoef_tangent(
            cov_tangent(cov_variables(np.zeros(np.shape(x)), y_dot, rowvar), b, np.shape(c)),
            c,
            np.shape(ans),
        ),
    )


defrule(np.corrcoef, vjp=corrcoef_vjp, jvp=corrcoef_jvp)

# -- choosing ------------------------------------------------------------------------------------


def select_vjp(g, ans, condlist, choicelist, default=0):
    return (
        select_adjoint(g, condlist, choicelist),
        unbroadcast(g * (choice_index(condlist, len(choicelist)) == len(choicelist)), default),
    )


def select_jvp(choicelist_dot, default_dot, ans, condlist, choicelist, default=0):
    return (
        np.broadcast_to(
            np.select(condlist, zeros_for_none(choicelist_dot, choicelist)), np.shape(ans)
        ),
        np.broadcast_to(
            default_dot * (choice_index(condlist, len(choicelist)) == len(choicelist)),
            np.shape(ans),
        ),
    )


defrule(np.select, vjp=select_vjp, jvp=select_jvp)


# select_adjoint writes nothing in place but builds a list by a comprehension: its own rule


def select_adjoint_vjp(g_bar, ans, g, condlist, choicelist):
    return np.broadcast_to(np.select(condlist, zeros_for_none(g_bar, choicelist)), np.shape(g))


def select_adjoint_jvp(g_dot, ans, g, condlist, choicelist):
    return select_adjoint(g_dot, condlist, choicelist)


defrule(select_adjoint, vjp=select_adjoint_vjp, jvp=select_adjoint_jvp, linear=True)


def piecewise_vjp(g, ans, x, condlist, funclist):
    return piecewise_constants(x, funclist)


def piecewise_jvp(x_dot, ans, x, condlist, funclist):
    return piecewise_constants(ans, funclist)


defrule(np.piecewise, vjp=piecewise_vjp, jvp=piecewise_jvp)
