"""SciPy's special functions: expit, logit, erf, gammaln, xlogy, logsumexp, softmax ...

In: nothing. Out: rules registered under the functions' public names (``scipy.special.expit``),
without importing SciPy (which costs a few hundred milliseconds): ``lookup`` finds a rule by its
function's qualified name, and SciPy is loaded by then if the user's code calls it.
"""

import numpy as np

from ..runtime import digamma, unbroadcast, unreduce
from .registry import defrule, elementwise


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
def gammaln(x):
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
