"""Special functions the derivatives of SciPy's special functions need.

In: arrays. Out: arrays. SciPy is imported on first use only: these are called only by the
derivatives of SciPy functions, so SciPy is already loaded by the user's own code.
"""

from __future__ import annotations

__all__ = ["digamma"]


def digamma(x):
    """ψ(x) = d/dx log Γ(x) (``scipy.special.digamma``)."""
    from scipy.special import digamma as scipy_digamma

    return scipy_digamma(x)
