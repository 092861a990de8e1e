"""Reductions over axes: sum, mean, prod, max/min, var/std, cumsum/cumprod, average, diff,
nansum, nanmean.

In: nothing. Out: registered rules.

``max``/``min`` split the derivative evenly among tied extrema (``tie_shares``); ``prod`` is
exact where ``a`` holds zeros; ``cumprod`` divides by ``a`` (nan where ``a`` is 0).
``average`` is differentiable in ``a`` and ``weights`` (``returned=True`` is not supported).
``diff``'s ``prepend`` and ``append`` are constants.
"""

import numpy as np

from ..runtime import (
    average_weights,
    average_weights_adjoint,
    conj,
    diff_adjoint,
    diff_tangent,
    kept_shares,
    prod_of_others,
    real_part,
    reverse_cumsum,
    tie_shares,
    unbroadcast,
    unreduce,
)
from .registry import defrule


def sum_vjp(g, ans, a, axis=None, dtype=None, out=None, keepdims=False, initial=0, where=True):
    return (
        unreduce(g, a, axis, keepdims)
        if where is True
        else unreduce(g, a, axis, keepdims) * np.asarray(where)
    )


def sum_jvp(a_dot, ans, a, axis=None, dtype=None, out=None, keepdims=False, initial=0, where=True):
    return (
        np.sum(a_dot, axis=axis, keepdims=keepdims)
        if where is True
        else np.sum(a_dot, axis=axis, keepdims=keepdims, where=where)
    )


defrule(np.sum, vjp=sum_vjp, jvp=sum_jvp, linear=True)


def mean_vjp(g, ans, a, axis=None, dtype=None, out=None, keepdims=False, where=True):
    # scaled before it is spread out: one multiplication of the small adjoint, not of a's size
    return (
        unreduce(g * (np.size(ans) / np.size(a)), a, axis, keepdims)
        if where is True
        else unreduce(g, a, axis, keepdims) * kept_shares(a, axis, where)
    )


def mean_jvp(a_dot, ans, a, axis=None, dtype=None, out=None, keepdims=False, where=True):
    return (
        np.mean(a_dot, axis=axis, keepdims=keepdims)
        if where is True
        else np.mean(a_dot, axis=axis, keepdims=keepdims, where=where)
    )


defrule(np.mean, vjp=mean_vjp, jvp=mean_jvp, linear=True)


def nansum_vjp(g, ans, a, axis=None, dtype=None, out=None, keepdims=False):
    return unreduce(g, a, axis, keepdims) * ~np.isnan(a)


def nansum_jvp(a_dot, ans, a, axis=None, dtype=None, out=None, keepdims=False):
    return np.sum(np.where(np.isnan(a), 0.0, a_dot), axis=axis, keepdims=keepdims)


defrule(np.nansum, vjp=nansum_vjp, jvp=nansum_jvp)


def nanmean_vjp(g, ans, a, axis=None, dtype=None, out=None, keepdims=False):
    counted = ~np.isnan(a)
    return unreduce(g, a, axis, keepdims) * counted / np.sum(counted, axis=axis, keepdims=True)


def nanmean_jvp(a_dot, ans, a, axis=None, dtype=None, out=None, keepdims=False):
    return np.nanmean(np.where(np.isnan(a), np.nan, a_dot), axis=axis, keepdims=keepdims)


defrule(np.nanmean, vjp=nanmean_vjp, jvp=nanmean_jvp)


def prod_vjp(g, ans, a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=True):
    return unreduce(g, a, axis, keepdims) * (
        prod_of_others(a, axis)
        if initial is None and where is True
        else prod_of_others(a, axis, initial, where)
    )


def prod_jvp(
    a_dot, ans, a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=True
):
    return np.sum(
        a_dot
        * (
            prod_of_others(a, axis)
            if initial is None and where is True
            else prod_of_others(a, axis, initial, where)
        ),
        axis=axis,
        keepdims=keepdims,
    )


defrule(np.prod, vjp=prod_vjp, jvp=prod_jvp)


def max_vjp(g, ans, a, axis=None, out=None, keepdims=False, initial=None, where=True):
    # an ``initial`` that wins takes the derivative with it (no entry of a equals ans)
    return unreduce(g, a, axis, keepdims) * (
        tie_shares(a, ans, axis, keepdims)
        if where is True
        else tie_shares(a, ans, axis, keepdims, where)
    )


def max_jvp(a_dot, ans, a, axis=None, out=None, keepdims=False, initial=None, where=True):
    return np.sum(
        a_dot
        * (
            tie_shares(a, ans, axis, keepdims)
            if where is True
            else tie_shares(a, ans, axis, keepdims, where)
        ),
        axis=axis,
        keepdims=keepdims,
    )


defrule(np.max, np.amax, vjp=max_vjp, jvp=max_jvp)
defrule(np.min, np.amin, vjp=max_vjp, jvp=max_jvp)


def ptp_vjp(g, ans, a, axis=None, out=None, keepdims=False):
    return unreduce(g, a, axis, keepdims) * (
        tie_shares(a, np.max(a, axis=axis, keepdims=keepdims), axis, keepdims)
        - tie_shares(a, np.min(a, axis=axis, keepdims=keepdims), axis, keepdims)
    )


def ptp_jvp(a_dot, ans, a, axis=None, out=None, keepdims=False):
    return np.sum(
        a_dot
        * (
            tie_shares(a, np.max(a, axis=axis, keepdims=keepdims), axis, keepdims)
            - tie_shares(a, np.min(a, axis=axis, keepdims=keepdims), axis, keepdims)
        ),
        axis=axis,
        keepdims=keepdims,
    )


defrule(np.ptp, vjp=ptp_vjp, jvp=ptp_jvp)  # max - min


def var_vjp(g, ans, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    deviation = a - np.mean(a, axis=axis, keepdims=True)
    dof = np.size(a) / np.size(ans) - ddof
    return unreduce(real_part(g), a, axis, keepdims) * conj(deviation) * (2.0 / dof)


def var_jvp(a_dot, ans, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    deviation = a - np.mean(a, axis=axis, keepdims=True)
    dof = np.size(a) / np.size(ans) - ddof
    return real_part(np.sum(a_dot * conj(deviation), axis=axis, keepdims=keepdims)) * (2.0 / dof)


defrule(np.var, vjp=var_vjp, jvp=var_jvp)


# Over one entry std is 0 whatever the entry: its derivative is exactly 0, the "+ (one entry)"
# keeping 0 / 0 out of the quotient. Over equal entries it has a kink (like a norm at 0): NaN.


def std_vjp(g, ans, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    deviation = a - np.mean(a, axis=axis, keepdims=True)
    dof = np.size(a) / np.size(ans) - ddof
    return unreduce(
        np.divide(real_part(g), ans * dof + (np.size(a) == np.size(ans))), a, axis, keepdims
    ) * conj(deviation)


def std_jvp(a_dot, ans, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    deviation = a - np.mean(a, axis=axis, keepdims=True)
    dof = np.size(a) / np.size(ans) - ddof
    tangent = real_part(np.sum(a_dot * conj(deviation), axis=axis, keepdims=keepdims))
    return np.divide(tangent, ans * dof + (np.size(a) == np.size(ans)))


defrule(np.std, vjp=std_vjp, jvp=std_jvp)


def cumsum_vjp(g, ans, a, axis=None, dtype=None, out=None):
    return reverse_cumsum(g, a, axis)


def cumsum_jvp(a_dot, ans, a, axis=None, dtype=None, out=None):
    return np.cumsum(a_dot, axis=axis)


defrule(np.cumsum, vjp=cumsum_vjp, jvp=cumsum_jvp, linear=True)


def cumprod_vjp(g, ans, a, axis=None, dtype=None, out=None):
    return reverse_cumsum(g * ans, a, axis) / a


def cumprod_jvp(a_dot, ans, a, axis=None, dtype=None, out=None):
    return ans * np.cumsum(a_dot / a, axis=axis)


defrule(np.cumprod, vjp=cumprod_vjp, jvp=cumprod_jvp)


def diff_vjp(g, ans, a, n=1, axis=-1, prepend=None, append=None):
    return diff_adjoint(g, a, n, axis, prepend, append)


def diff_jvp(a_dot, ans, a, n=1, axis=-1, prepend=None, append=None):
    return diff_tangent(a_dot, n, axis, prepend, append)


defrule(np.diff, vjp=diff_vjp, jvp=diff_jvp, linear=True)


def average_vjp(g, ans, a, axis=None, weights=None, returned=False, *, keepdims=False):
    w = average_weights(a, weights, axis)
    g_per_weight = unreduce(g, a, axis, keepdims) / np.sum(w, axis=axis, keepdims=True)
    return (
        unbroadcast(g_per_weight * w, a),
        average_weights_adjoint(
            g_per_weight * (a - unreduce(ans, a, axis, keepdims)), weights, axis
        ),
    )


def average_jvp(
    a_dot, weights_dot, ans, a, axis=None, weights=None, returned=False, *, keepdims=False
):
    w = average_weights(a, weights, axis)
    w_total = np.sum(w, axis=axis, keepdims=keepdims)
    return (
        np.sum(a_dot * w, axis=axis, keepdims=keepdims) / w_total,
        np.sum(
            average_weights(a, weights_dot, axis) * (a - unreduce(ans, a, axis, keepdims)),
            axis=axis,
            keepdims=keepdims,
        )
        / w_total,
    )


defrule(np.average, vjp=average_vjp, jvp=average_jvp)
