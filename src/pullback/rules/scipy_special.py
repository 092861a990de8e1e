"""SciPy's special functions: expit, logit, erf, gammaln, xlogy, logsumexp, softmax, the gamma
family (psi, polygamma, gamma, beta, the incomplete gamma and beta functions) and Bessel functions.

In: nothing. Out: rules registered under the functions' public names (``scipy.special.expit``),
without importing SciPy (which costs a few hundred milliseconds): ``lookup`` finds a rule by its
function's qualified name, and SciPy is loaded by then if the user's code calls it; and rules for
the helpers of ``pullback.runtime.special`` that these derivatives call, so that they can be
differentiated again (Hessians).

Integer orders (``polygamma``'s n, ``yn``'s n) are not differentiable. An argument whose
derivative has no closed form (the shape parameters of ``gammainc`` and ``betainc``, the real
order of ``iv``, ``ive`` and ``jv``) is differentiable in name only: its entry raises
(``no_derivative``) when that derivative is asked for, instead of giving a zero.
"""

import numpy as np

from ..runtime import (
    betaln,
    digamma,
    gammaln,
    iv,
    ive,
    jv,
    no_derivative,
    polygamma,
    unbroadcast,
    unreduce,
    yv,
)
from .registry import defnondiff, defrule, elementwise


@elementwise("scipy.special.expit")
def expit(x, ans):
    return ans * (1.0 - ans)


@elementwise("scipy.special.logit")
def logit(x):
    return np.divide(1.0, x * (1.0 - x))


@elementwise("scipy.special.erf")
def erf(x):
    return 2.0 / np.sqrt(np.pi) * np.exp(-x * x)


@elementwise("scipy.special.erfc")
def erfc(x):
    return -2.0 / np.sqrt(np.pi) * np.exp(-x * x)


@elementwise("scipy.special.erfinv")
def erfinv(x, ans):
    return 0.5 * np.sqrt(np.pi) * np.exp(ans * ans)


@elementwise("scipy.special.ndtr")
def ndtr(x):
    return np.exp(-0.5 * x * x) / np.sqrt(2.0 * np.pi)


@elementwise("scipy.special.log_ndtr")
def log_ndtr(x, ans):
    return np.exp(-0.5 * x * x - ans) / np.sqrt(2.0 * np.pi)


@elementwise("scipy.special.gammaln")
def gammaln_partial(x):
    return digamma(x)


@elementwise("scipy.special.xlogy")
def xlogy(x, y):
    return np.log(y), np.divide(x, y)


@elementwise("scipy.special.xlog1py")
def xlog1py(x, y):
    return np.log1p(y), np.divide(x, 1.0 + y)


def logsumexp_vjp(g, ans, a, axis=None, b=None, keepdims=False, return_sign=False):
    weights = np.exp(a - unreduce(ans, a, axis, keepdims)) * (1.0 if b is None else b)
    return unbroadcast(unreduce(g, a, axis, keepdims) * weights, a)


def logsumexp_jvp(a_dot, ans, a, axis=None, b=None, keepdims=False, return_sign=False):
    weights = np.exp(a - unreduce(ans, a, axis, keepdims)) * (1.0 if b is None else b)
    return np.sum(a_dot * weights, axis=axis, keepdims=keepdims)


defrule("scipy.special.logsumexp", vjp=logsumexp_vjp, jvp=logsumexp_jvp)


def softmax_vjp(g, ans, x, axis=None):
    return ans * (g - np.sum(g * ans, axis=axis, keepdims=True))


def softmax_jvp(x_dot, ans, x, axis=None):
    return ans * (x_dot - np.sum(x_dot * ans, axis=axis, keepdims=True))


defrule("scipy.special.softmax", vjp=softmax_vjp, jvp=softmax_jvp)


def log_softmax_vjp(g, ans, x, axis=None):
    return g - np.exp(ans) * np.sum(g, axis=axis, keepdims=True)


def log_softmax_jvp(x_dot, ans, x, axis=None):
    return x_dot - np.sum(np.exp(ans) * x_dot, axis=axis, keepdims=True)


defrule("scipy.special.log_softmax", vjp=log_softmax_vjp, jvp=log_softmax_jvp)


# -- the gamma family ------------------------------------------------------------------------

_NO_CLOSED_FORM = "the derivative in a shape parameter has no closed form"
_REAL_ORDER = "the derivative in the order has no closed form"


@elementwise("scipy.special.psi", "scipy.special.digamma")
def psi(x):
    return polygamma(1, x)


@elementwise("scipy.special.polygamma", nondiff=("n",))
def polygamma_partial(n, x):
    return polygamma(n + 1, x)


@elementwise("scipy.special.gamma")
def gamma(x, ans):
    return ans * digamma(x)


@elementwise("scipy.special.rgamma")
def rgamma(x, ans):
    return -ans * digamma(x)


@elementwise("scipy.special.beta")
def beta(a, b, ans):
    return ans * (digamma(a) - digamma(a + b)), ans * (digamma(b) - digamma(a + b))


@elementwise("scipy.special.betaln")
def betaln_partial(a, b):
    return digamma(a) - digamma(a + b), digamma(b) - digamma(a + b)


@elementwise("scipy.special.erfcinv")
def erfcinv(x, ans):
    return -0.5 * np.sqrt(np.pi) * np.exp(ans * ans)


@elementwise("scipy.special.gammainc")
def gammainc(a, x):
    return (
        no_derivative("scipy.special.gammainc", "a", _NO_CLOSED_FORM),
        np.exp((a - 1.0) * np.log(x) - x - gammaln(a)),
    )


@elementwise("scipy.special.gammaincc")
def gammaincc(a, x):
    return (
        no_derivative("scipy.special.gammaincc", "a", _NO_CLOSED_FORM),
        -np.exp((a - 1.0) * np.log(x) - x - gammaln(a)),
    )


@elementwise("scipy.special.betainc")
def betainc(a, b, x):
    return (
        no_derivative("scipy.special.betainc", "a", _NO_CLOSED_FORM),
        no_derivative("scipy.special.betainc", "b", _NO_CLOSED_FORM),
        np.exp((a - 1.0) * np.log(x) + (b - 1.0) * np.log1p(-x) - betaln(a, b)),
    )


defnondiff(names=("scipy.special.gammasgn",))  # ±1 (0 at the poles)

# -- Bessel functions: a derivative is a sum of the neighbouring orders --------------------------


@elementwise("scipy.special.i0")
def i0(x):
    return iv(1.0, x)


@elementwise("scipy.special.i1")
def i1(x):
    return 0.5 * (iv(0.0, x) + iv(2.0, x))


@elementwise("scipy.special.iv")
def iv_partial(v, x):
    return (
        no_derivative("scipy.special.iv", "v", _REAL_ORDER),
        0.5 * (iv(v - 1.0, x) + iv(v + 1.0, x)),
    )


@elementwise("scipy.special.ive")
def ive_partial(v, x, ans):
    return (
        no_derivative("scipy.special.ive", "v", _REAL_ORDER),
        0.5 * (ive(v - 1.0, x) + ive(v + 1.0, x)) - np.sign(x) * ans,
    )


@elementwise("scipy.special.j0")
def j0(x):
    return -jv(1.0, x)


@elementwise("scipy.special.j1")
def j1(x):
    return 0.5 * (jv(0.0, x) - jv(2.0, x))


@elementwise("scipy.special.jv")
def jv_partial(v, x):
    return (
        no_derivative("scipy.special.jv", "v", _REAL_ORDER),
        0.5 * (jv(v - 1.0, x) - jv(v + 1.0, x)),
    )


@elementwise("scipy.special.y0")
def y0(x):
    return -yv(1.0, x)


@elementwise("scipy.special.y1")
def y1(x):
    return 0.5 * (yv(0.0, x) - yv(2.0, x))


@elementwise("scipy.special.yn", nondiff=("n",))
def yn(n, x):
    return 0.5 * (yv(n - 1.0, x) - yv(n + 1.0, x))


# -- the helpers these derivatives call, differentiated again -----------------------------------


@elementwise(digamma)
def digamma_helper(x):
    return polygamma(1, x)


@elementwise(polygamma, nondiff=("n",))
def polygamma_helper(n, x):
    return polygamma(n + 1, x)


@elementwise(gammaln)
def gammaln_helper(x):
    return digamma(x)


@elementwise(betaln)
def betaln_helper(a, b):
    return digamma(a) - digamma(a + b), digamma(b) - digamma(a + b)


@elementwise(iv, nondiff=("v",))
def iv_helper(v, x):
    return 0.5 * (iv(v - 1.0, x) + iv(v + 1.0, x))


@elementwise(ive, nondiff=("v",))
def ive_helper(v, x, ans):
    return 0.5 * (ive(v - 1.0, x) + ive(v + 1.0, x)) - np.sign(x) * ans


@elementwise(jv, nondiff=("v",))
def jv_helper(v, x):
    return 0.5 * (jv(v - 1.0, x) - jv(v + 1.0, x))


@elementwise(yv, nondiff=("v",))
def yv_helper(v, x):
    return 0.5 * (yv(v - 1.0, x) - yv(v + 1.0, x))
