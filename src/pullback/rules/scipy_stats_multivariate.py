"""The log-density and density of SciPy's ``multivariate_normal`` and ``dirichlet``.

In: nothing. Out: rules registered under ``scipy.stats.multivariate_normal.logpdf`` (``pdf``)
and ``scipy.stats.dirichlet.logpdf`` (``pdf``), found by ``lookup`` for the methods of the
instances ``scipy.stats`` holds (see ``registry.distribution_name``).

``multivariate_normal.logpdf(x, mean, cov)``: ``x`` of shape ``(d,)`` (one point) or
``(..., d)`` (points along the last axis, one value each), ``mean`` of shape ``(d,)`` and ``cov``
a ``(d, d)`` symmetric positive definite matrix; all three are differentiable. With
``r = x - mean`` and ``w = cov⁻¹ r`` (a solve, never an inverse of the data), the log-density is
``-(r·w + log det cov + d log 2π) / 2``: its gradient is ``-w`` in ``x``, ``w`` in ``mean`` and
``(w wᵀ - cov⁻¹) / 2`` in ``cov``. SciPy reads one triangle of ``cov`` (the lower, with
``eigh``), as ``np.linalg.cholesky`` does, so a derivative in ``cov`` moves that triangle only,
and its adjoint is that triangle's (a ``cov`` built symmetric, ``A @ A.T``, gets the usual
gradient through it).

``dirichlet.logpdf(x, alpha)``: ``alpha`` of shape ``(K,)``, and, as SciPy takes it, ``x`` with
the components along its *first* axis: ``(K,)`` or ``(K, N)`` for N points, or ``K - 1``
components, the last being one minus their sum. The log-density is
``Σᵢ (αᵢ - 1) log xᵢ - log B(α)``: its gradient is ``(αᵢ - 1) / xᵢ`` in ``x`` (less the last
component's share when that one is implied) and ``log xᵢ - ψ(αᵢ) + ψ(Σα)`` in ``alpha``.

Each body uses NumPy functions with rules of their own, so the derivatives differentiate again.
"""

import numpy as np

from ..runtime import covariance_size, digamma, unbroadcast
from .registry import defnondiff, defrule

defnondiff(covariance_size)

# -- multivariate_normal ---------------------------------------------------------------------


def mvn_logpdf_vjp(g, ans, x, mean=0.0, cov=1.0, allow_singular=False):
    d = covariance_size(cov)
    s = np.tril(cov) + np.tril(cov, -1).T
    r = x - mean
    w = np.linalg.solve(s, np.reshape(r, (-1, d)).T).T
    gw = np.reshape(g, (-1, 1)) * w
    m = w.T @ gw - np.sum(g) * np.linalg.solve(s, np.eye(d))
    return (
        unbroadcast(np.reshape(-gw, np.shape(r)), x),
        unbroadcast(np.reshape(gw, np.shape(r)), mean),
        0.5 * (np.tril(m) + np.tril(m, -1)),
    )


def mvn_logpdf_jvp(x_dot, mean_dot, cov_dot, ans, x, mean=0.0, cov=1.0, allow_singular=False):
    d = covariance_size(cov)
    s = np.tril(cov) + np.tril(cov, -1).T
    r = x - mean
    w = np.linalg.solve(s, np.reshape(r, (-1, d)).T).T
    return (
        np.reshape(
            -np.sum(w * np.reshape(np.broadcast_to(x_dot, np.shape(r)), (-1, d)), axis=1),
            np.shape(ans),
        ),
        np.reshape(
            np.sum(w * np.reshape(np.broadcast_to(mean_dot, np.shape(r)), (-1, d)), axis=1),
            np.shape(ans),
        ),
        np.reshape(
            0.5 * np.sum((w @ (np.tril(cov_dot) + np.tril(cov_dot, -1).T)) * w, axis=1)
            - 0.5 * np.trace(np.linalg.solve(s, np.tril(cov_dot) + np.tril(cov_dot, -1).T)),
            np.shape(ans),
        ),
    )


def mvn_pdf_vjp(g, ans, x, mean=0.0, cov=1.0, allow_singular=False):
    d = covariance_size(cov)
    s = np.tril(cov) + np.tril(cov, -1).T
    r = x - mean
    w = np.linalg.solve(s, np.reshape(r, (-1, d)).T).T
    gw = np.reshape(g * ans, (-1, 1)) * w
    m = w.T @ gw - np.sum(g * ans) * np.linalg.solve(s, np.eye(d))
    return (
        unbroadcast(np.reshape(-gw, np.shape(r)), x),
        unbroadcast(np.reshape(gw, np.shape(r)), mean),
        0.5 * (np.tril(m) + np.tril(m, -1)),
    )


def mvn_pdf_jvp(x_dot, mean_dot, cov_dot, ans, x, mean=0.0, cov=1.0, allow_singular=False):
    d = covariance_size(cov)
    s = np.tril(cov) + np.tril(cov, -1).T
    r = x - mean
    w = np.linalg.solve(s, np.reshape(r, (-1, d)).T).T
    return (
        -ans
        * np.reshape(
            np.sum(w * np.reshape(np.broadcast_to(x_dot, np.shape(r)), (-1, d)), axis=1),
            np.shape(ans),
        ),
        ans
        * np.reshape(
            np.sum(w * np.reshape(np.broadcast_to(mean_dot, np.shape(r)), (-1, d)), axis=1),
            np.shape(ans),
        ),
        ans
        * np.reshape(
            0.5 * np.sum((w @ (np.tril(cov_dot) + np.tril(cov_dot, -1).T)) * w, axis=1)
            - 0.5 * np.trace(np.linalg.solve(s, np.tril(cov_dot) + np.tril(cov_dot, -1).T)),
            np.shape(ans),
        ),
    )


defrule("scipy.stats.multivariate_normal.logpdf", vjp=mvn_logpdf_vjp, jvp=mvn_logpdf_jvp)
defrule("scipy.stats.multivariate_normal.pdf", vjp=mvn_pdf_vjp, jvp=mvn_pdf_jvp)

# -- dirichlet ---------------------------------------------------------------------------------


def dirichlet_logpdf_vjp(g, ans, x, alpha):
    k = np.shape(alpha)[0]
    full = np.concatenate(
        [x, (1.0 - np.sum(x, axis=0, keepdims=True))[: k - np.shape(x)[0]]], axis=0
    )
    slope = ((alpha - 1.0) / full.T).T
    return (
        g * (slope[: np.shape(x)[0]] - (k - np.shape(x)[0]) * slope[k - 1 :]),
        np.reshape(np.log(full), (k, -1)) @ np.reshape(g, (-1,))
        + np.sum(g) * (digamma(np.sum(alpha)) - digamma(alpha)),
    )


def dirichlet_logpdf_jvp(x_dot, alpha_dot, ans, x, alpha):
    k = np.shape(alpha)[0]
    full = np.concatenate(
        [x, (1.0 - np.sum(x, axis=0, keepdims=True))[: k - np.shape(x)[0]]], axis=0
    )
    slope = ((alpha - 1.0) / full.T).T
    return (
        np.reshape(
            np.sum(x_dot * (slope[: np.shape(x)[0]] - (k - np.shape(x)[0]) * slope[k - 1 :]), 0),
            np.shape(ans),
        ),
        np.reshape(
            alpha_dot @ (np.reshape(np.log(full), (k, -1)) - np.reshape(digamma(alpha), (k, 1)))
            + np.sum(alpha_dot) * digamma(np.sum(alpha)),
            np.shape(ans),
        ),
    )


def dirichlet_pdf_vjp(g, ans, x, alpha):
    k = np.shape(alpha)[0]
    full = np.concatenate(
        [x, (1.0 - np.sum(x, axis=0, keepdims=True))[: k - np.shape(x)[0]]], axis=0
    )
    slope = ((alpha - 1.0) / full.T).T
    return (
        g * ans * (slope[: np.shape(x)[0]] - (k - np.shape(x)[0]) * slope[k - 1 :]),
        np.reshape(np.log(full), (k, -1)) @ np.reshape(g * ans, (-1,))
        + np.sum(g * ans) * (digamma(np.sum(alpha)) - digamma(alpha)),
    )


def dirichlet_pdf_jvp(x_dot, alpha_dot, ans, x, alpha):
    k = np.shape(alpha)[0]
    full = np.concatenate(
        [x, (1.0 - np.sum(x, axis=0, keepdims=True))[: k - np.shape(x)[0]]], axis=0
    )
    slope = ((alpha - 1.0) / full.T).T
    return (
        ans
        * np.reshape(
            np.sum(x_dot * (slope[: np.shape(x)[0]] - (k - np.shape(x)[0]) * slope[k - 1 :]), 0),
            np.shape(ans),
        ),
        ans
        * np.reshape(
            alpha_dot @ (np.reshape(np.log(full), (k, -1)) - np.reshape(digamma(alpha), (k, 1)))
            + np.sum(alpha_dot) * digamma(np.sum(alpha)),
            np.shape(ans),
        ),
    )


defrule("scipy.stats.dirichlet.logpdf", vjp=dirichlet_logpdf_vjp, jvp=dirichlet_logpdf_jvp)
defrule("scipy.stats.dirichlet.pdf", vjp=dirichlet_pdf_vjp, jvp=dirichlet_pdf_jvp)
