"""Helpers of the rules for SciPy's multivariate distributions.

In: the arguments of ``multivariate_normal.logpdf`` and ``dirichlet.logpdf`` as the user passes
them. Out: ``covariance_size``, the dimension ``d`` of a ``(d, d)`` covariance matrix, refusing
any other form of ``cov`` (a number or a vector of variances, which SciPy also takes) with an
error that says what to pass instead; the rules that call it give it no derivative.
"""

from __future__ import annotations

import numpy as np

__all__ = ["covariance_size"]


def covariance_size(cov) -> int:
    """``d`` for a ``(d, d)`` matrix ``cov``; raise for any other shape."""
    shape = np.shape(cov)
    if len(shape) != 2 or shape[0] != shape[1]:
        from ..errors import PullbackTypeError

        raise PullbackTypeError(
            "the derivative of multivariate_normal takes its covariance as a (d, d) matrix, "
            f"and this call passes one of shape {shape}: pass the full matrix "
            "(np.diag(variances) for a vector of variances, c * np.eye(d) for a number)"
        )
    return shape[0]
