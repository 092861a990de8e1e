"""Log-densities and distribution functions of SciPy's distributions: ``norm`` (``logpdf``,
``pdf``, ``cdf``, ``logcdf``, ``sf``), and the ``logpdf`` of ``t``, ``gamma``, ``beta``,
``expon``, ``laplace`` and ``logistic``, and ``poisson.logpmf``.

In: nothing. Out: rules registered under the methods' public names (``scipy.stats.norm.logpdf``)
without importing SciPy: ``qualified_name`` names a method bound to one of the distribution
instances that ``scipy.stats`` holds after that instance, so ``lookup(norm.logpdf)`` finds the
rule once the user's code has imported SciPy.

Each is elementwise in its arguments, as SciPy calls them: ``(x, *shapes, loc=0, scale=1)``,
with ``z = (x - loc) / scale``. The point ``x``, the shape parameters (``df``, ``a``, ``b``,
``mu``), ``loc`` and ``scale`` are differentiable, except the count ``k`` of ``poisson.logpmf``
and its integer shift ``loc``.
"""

import numpy as np

from ..runtime import digamma
from .registry import elementwise

_SQRT_2PI = float(np.sqrt(2.0 * np.pi))


@elementwise("scipy.stats.norm.logpdf")
def norm_logpdf(x, loc=0, scale=1):
    z = (x - loc) / scale
    return -z / scale, z / scale, (z * z - 1.0) / scale


@elementwise("scipy.stats.norm.pdf")
def norm_pdf(x, loc=0, scale=1, ans=None):
    z = (x - loc) / scale
    return -ans * z / scale, ans * z / scale, ans * (z * z - 1.0) / scale


@elementwise("scipy.stats.norm.cdf")
def norm_cdf(x, loc=0, scale=1):
    z = (x - loc) / scale
    density = np.exp(-0.5 * z * z) / (_SQRT_2PI * scale)
    return density, -density, -density * z


@elementwise("scipy.stats.norm.logcdf")
def norm_logcdf(x, loc=0, scale=1, ans=None):
    z = (x - loc) / scale
    ratio = np.exp(-0.5 * z * z - ans) / (_SQRT_2PI * scale)
    return ratio, -ratio, -ratio * z


@elementwise("scipy.stats.norm.sf")
def norm_sf(x, loc=0, scale=1):
    z = (x - loc) / scale
    density = np.exp(-0.5 * z * z) / (_SQRT_2PI * scale)
    return -density, density, density * z


@elementwise("scipy.stats.t.logpdf")
def t_logpdf(x, df, loc=0, scale=1):
    z = (x - loc) / scale
    slope = -(df + 1.0) * z / (df + z * z)
    return (
        slope / scale,
        0.5 * (digamma(0.5 * (df + 1.0)) - digamma(0.5 * df) - 1.0 / df - np.log1p(z * z / df))
        + (df + 1.0) * z * z / (2.0 * df * (df + z * z)),
        -slope / scale,
        -(1.0 + z * slope) / scale,
    )


@elementwise("scipy.stats.poisson.logpmf", nondiff=("k", "loc"))
def poisson_logpmf(k, mu, loc=0):
    return np.divide(k - loc, mu) - 1.0


@elementwise("scipy.stats.gamma.logpdf")
def gamma_logpdf(x, a, loc=0, scale=1):
    z = (x - loc) / scale
    slope = (a - 1.0) / z - 1.0
    return slope / scale, np.log(z) - digamma(a), -slope / scale, (z - a) / scale


@elementwise("scipy.stats.beta.logpdf")
def beta_logpdf(x, a, b, loc=0, scale=1):
    z = (x - loc) / scale
    slope = (a - 1.0) / z - (b - 1.0) / (1.0 - z)
    return (
        slope / scale,
        np.log(z) - digamma(a) + digamma(a + b),
        np.log1p(-z) - digamma(b) + digamma(a + b),
        -slope / scale,
        -(1.0 + z * slope) / scale,
    )


@elementwise("scipy.stats.expon.logpdf")
def expon_logpdf(x, loc=0, scale=1):
    z = (x - loc) / scale
    return -1.0 / scale, 1.0 / scale, (z - 1.0) / scale


@elementwise("scipy.stats.laplace.logpdf")
def laplace_logpdf(x, loc=0, scale=1):
    z = (x - loc) / scale
    return -np.sign(z) / scale, np.sign(z) / scale, (np.abs(z) - 1.0) / scale


@elementwise("scipy.stats.logistic.logpdf")
def logistic_logpdf(x, loc=0, scale=1):
    z = (x - loc) / scale
    slope = -np.tanh(0.5 * z)
    return slope / scale, -slope / scale, -(1.0 + z * slope) / scale
