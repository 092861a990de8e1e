"""Log-densities, densities and distribution functions of SciPy's univariate distributions:
``logpdf``, ``pdf``, ``cdf`` and ``logcdf`` of ``norm`` (and its ``sf``), ``t``, ``gamma``,
``beta``, ``expon``, ``laplace`` and ``logistic``; ``logpmf``, ``pmf``, ``cdf`` and ``logcdf``
of ``poisson`` and ``binom`` (whose cdf moves with ``mu`` or ``p`` as minus a density at
``floor(k)``: ``-pmf(floor(k), mu)``, ``-n pmf(floor(k), n - 1, p)``).

In: nothing. Out: rules registered under the methods' public names (``scipy.stats.norm.logpdf``)
without importing SciPy: ``qualified_name`` names a method bound to one of the distribution
instances that ``scipy.stats`` holds after that instance, so ``lookup(norm.logpdf)`` finds the
rule once the user's code has imported SciPy. (A frozen distribution, ``norm(mu, sigma)``, is
taken apart into these calls by each mode: see ``pullback.runtime.distributions``.)

Each is elementwise in its arguments, as SciPy calls them: ``(x, *shapes, loc=0, scale=1)``,
with ``z = (x - loc) / scale``. The point ``x``, the shape parameters (``df``, ``a``, ``b``,
``mu``, ``p``), ``loc`` and ``scale`` are differentiable, except the counts ``k`` and ``n``
and the integer shift ``loc`` of the discrete distributions. The ``cdf`` and ``logcdf`` of
``t``, ``gamma`` and ``beta`` are regularized incomplete functions whose derivative in the
shape parameters (``df``, ``a``, ``b``) has no closed form: those entries raise
(``no_derivative``) when that derivative is asked for, instead of giving a zero; in ``x``,
``loc`` and ``scale`` the derivative is the density's.
"""

import numpy as np

from ..runtime import betaln, digamma, gammaln, no_derivative
from .registry import elementwise

_SQRT_2PI = float(np.sqrt(2.0 * np.pi))
_LOG_PI = float(np.log(np.pi))
_NO_CLOSED_FORM = (
    "the derivative of the regularized incomplete function in a shape parameter has no closed form"
)


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


# -- t: pdf, cdf, logcdf -----------------------------------------------------------------------


@elementwise("scipy.stats.t.pdf")
def t_pdf(x, df, loc=0, scale=1, ans=None):
    z = (x - loc) / scale
    slope = -(df + 1.0) * z / (df + z * z)
    return (
        ans * slope / scale,
        ans
        * (
            0.5 * (digamma(0.5 * (df + 1.0)) - digamma(0.5 * df) - 1.0 / df - np.log1p(z * z / df))
            + (df + 1.0) * z * z / (2.0 * df * (df + z * z))
        ),
        -ans * slope / scale,
        -ans * (1.0 + z * slope) / scale,
    )


@elementwise("scipy.stats.t.cdf")
def t_cdf(x, df, loc=0, scale=1):
    z = (x - loc) / scale
    density = (
        np.exp(
            gammaln(0.5 * (df + 1.0))
            - gammaln(0.5 * df)
            - 0.5 * (np.log(df) + _LOG_PI)
            - 0.5 * (df + 1.0) * np.log1p(z * z / df)
        )
        / scale
    )
    return (
        density,
        no_derivative("scipy.stats.t.cdf", "df", _NO_CLOSED_FORM),
        -density,
        -density * z,
    )


@elementwise("scipy.stats.t.logcdf")
def t_logcdf(x, df, loc=0, scale=1, ans=None):
    z = (x - loc) / scale
    ratio = (
        np.exp(
            gammaln(0.5 * (df + 1.0))
            - gammaln(0.5 * df)
            - 0.5 * (np.log(df) + _LOG_PI)
            - 0.5 * (df + 1.0) * np.log1p(z * z / df)
            - ans
        )
        / scale
    )
    return (
        ratio,
        no_derivative("scipy.stats.t.logcdf", "df", _NO_CLOSED_FORM),
        -ratio,
        -ratio * z,
    )


# -- gamma: pdf, cdf, logcdf -------------------------------------------------------------------


@elementwise("scipy.stats.gamma.pdf")
def gamma_pdf(x, a, loc=0, scale=1, ans=None):
    z = (x - loc) / scale
    slope = (a - 1.0) / z - 1.0
    return (
        ans * slope / scale,
        ans * (np.log(z) - digamma(a)),
        -ans * slope / scale,
        ans * (z - a) / scale,
    )


@elementwise("scipy.stats.gamma.cdf")
def gamma_cdf(x, a, loc=0, scale=1):
    z = (x - loc) / scale
    density = np.exp((a - 1.0) * np.log(z) - z - gammaln(a)) / scale
    return (
        density,
        no_derivative("scipy.stats.gamma.cdf", "a", _NO_CLOSED_FORM),
        -density,
        -density * z,
    )


@elementwise("scipy.stats.gamma.logcdf")
def gamma_logcdf(x, a, loc=0, scale=1, ans=None):
    z = (x - loc) / scale
    ratio = np.exp((a - 1.0) * np.log(z) - z - gammaln(a) - ans) / scale
    return (
        ratio,
        no_derivative("scipy.stats.gamma.logcdf", "a", _NO_CLOSED_FORM),
        -ratio,
        -ratio * z,
    )


# -- beta: pdf, cdf, logcdf --------------------------------------------------------------------


@elementwise("scipy.stats.beta.pdf")
def beta_pdf(x, a, b, loc=0, scale=1, ans=None):
    z = (x - loc) / scale
    slope = (a - 1.0) / z - (b - 1.0) / (1.0 - z)
    return (
        ans * slope / scale,
        ans * (np.log(z) - digamma(a) + digamma(a + b)),
        ans * (np.log1p(-z) - digamma(b) + digamma(a + b)),
        -ans * slope / scale,
        -ans * (1.0 + z * slope) / scale,
    )


@elementwise("scipy.stats.beta.cdf")
def beta_cdf(x, a, b, loc=0, scale=1):
    z = (x - loc) / scale
    density = np.exp((a - 1.0) * np.log(z) + (b - 1.0) * np.log1p(-z) - betaln(a, b)) / scale
    return (
        density,
        no_derivative("scipy.stats.beta.cdf", "a", _NO_CLOSED_FORM),
        no_derivative("scipy.stats.beta.cdf", "b", _NO_CLOSED_FORM),
        -density,
        -density * z,
    )


@elementwise("scipy.stats.beta.logcdf")
def beta_logcdf(x, a, b, loc=0, scale=1, ans=None):
    z = (x - loc) / scale
    ratio = np.exp((a - 1.0) * np.log(z) + (b - 1.0) * np.log1p(-z) - betaln(a, b) - ans) / scale
    return (
        ratio,
        no_derivative("scipy.stats.beta.logcdf", "a", _NO_CLOSED_FORM),
        no_derivative("scipy.stats.beta.logcdf", "b", _NO_CLOSED_FORM),
        -ratio,
        -ratio * z,
    )


# -- expon, laplace, logistic: pdf, cdf, logcdf --------------------------------------------------


@elementwise("scipy.stats.expon.pdf")
def expon_pdf(x, loc=0, scale=1, ans=None):
    z = (x - loc) / scale
    return -ans / scale, ans / scale, ans * (z - 1.0) / scale


@elementwise("scipy.stats.expon.cdf")
def expon_cdf(x, loc=0, scale=1):
    z = (x - loc) / scale
    density = np.exp(-z) / scale
    return density, -density, -density * z


@elementwise("scipy.stats.expon.logcdf")
def expon_logcdf(x, loc=0, scale=1, ans=None):
    z = (x - loc) / scale
    ratio = np.exp(-z - ans) / scale
    return ratio, -ratio, -ratio * z


@elementwise("scipy.stats.laplace.pdf")
def laplace_pdf(x, loc=0, scale=1, ans=None):
    z = (x - loc) / scale
    return -ans * np.sign(z) / scale, ans * np.sign(z) / scale, ans * (np.abs(z) - 1.0) / scale


@elementwise("scipy.stats.laplace.cdf")
def laplace_cdf(x, loc=0, scale=1):
    z = (x - loc) / scale
    density = 0.5 * np.exp(-np.abs(z)) / scale
    return density, -density, -density * z


@elementwise("scipy.stats.laplace.logcdf")
def laplace_logcdf(x, loc=0, scale=1, ans=None):
    z = (x - loc) / scale
    ratio = 0.5 * np.exp(-np.abs(z) - ans) / scale
    return ratio, -ratio, -ratio * z


@elementwise("scipy.stats.logistic.pdf")
def logistic_pdf(x, loc=0, scale=1, ans=None):
    z = (x - loc) / scale
    slope = -np.tanh(0.5 * z)
    return ans * slope / scale, -ans * slope / scale, -ans * (1.0 + z * slope) / scale


@elementwise("scipy.stats.logistic.cdf")
def logistic_cdf(x, loc=0, scale=1, ans=None):
    z = (x - loc) / scale
    density = ans * (1.0 - ans) / scale
    return density, -density, -density * z


@elementwise("scipy.stats.logistic.logcdf")
def logistic_logcdf(x, loc=0, scale=1, ans=None):
    z = (x - loc) / scale
    slope = -np.expm1(ans) / scale  # d log F / dz = 1 - F
    return slope, -slope, -slope * z


# -- poisson.pmf, binom.logpmf and binom.pmf: k and n are counts ------------------------------


@elementwise("scipy.stats.poisson.pmf", nondiff=("k", "loc"))
def poisson_pmf(k, mu, loc=0, ans=None):
    return ans * (np.divide(k - loc, mu) - 1.0)


@elementwise("scipy.stats.binom.logpmf", nondiff=("k", "n", "loc"))
def binom_logpmf(k, n, p, loc=0):
    return np.divide(k - loc - n * p, p * (1.0 - p))


@elementwise("scipy.stats.binom.pmf", nondiff=("k", "n", "loc"))
def binom_pmf(k, n, p, loc=0, ans=None):
    return ans * np.divide(k - loc - n * p, p * (1.0 - p))


# -- the cdf and logcdf of poisson and binom: in mu and p, minus a density at floor(k) ---------


@elementwise("scipy.stats.poisson.cdf", nondiff=("k", "loc"))
def poisson_cdf(k, mu, loc=0):
    j = np.floor(k - loc)
    return -np.exp(j * np.log(mu) - mu - gammaln(j + 1.0))


@elementwise("scipy.stats.poisson.logcdf", nondiff=("k", "loc"))
def poisson_logcdf(k, mu, loc=0, ans=None):
    j = np.floor(k - loc)
    return -np.exp(j * np.log(mu) - mu - gammaln(j + 1.0) - ans)


@elementwise("scipy.stats.binom.cdf", nondiff=("k", "n", "loc"))
def binom_cdf(k, n, p, loc=0):
    j = np.floor(k - loc)
    return -n * np.exp(
        gammaln(n)
        - gammaln(j + 1.0)
        - gammaln(n - j)
        + j * np.log(p)
        + (n - 1.0 - j) * np.log1p(-p)
    )


@elementwise("scipy.stats.binom.logcdf", nondiff=("k", "n", "loc"))
def binom_logcdf(k, n, p, loc=0, ans=None):
    j = np.floor(k - loc)
    return -n * np.exp(
        gammaln(n)
        - gammaln(j + 1.0)
        - gammaln(n - j)
        + j * np.log(p)
        + (n - 1.0 - j) * np.log1p(-p)
        - ans
    )
