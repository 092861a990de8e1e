"""SciPy's special functions in every mode: the gamma family, incomplete gamma and beta functions,
Bessel functions.

For each function and each of the modes source, tape and graph, in float64 at two inputs:
``pb.grad`` of a scalar function of it against central differences, ``pb.jvp`` against that
gradient, and ``pb.hessian`` against central differences of the gradient. Arguments without a
derivative rule (the shape parameters of ``gammainc`` and ``betainc``, the real order of ``iv``)
raise an error naming the function and the argument, in every mode, instead of giving a zero.
"""

from __future__ import annotations

import numpy as np
import pytest
from fd import assert_close, assert_first_and_second_order

import pullback as pb

special = pytest.importorskip("scipy.special")
from scipy.special import gammainc, iv, polygamma  # noqa: E402  (after the skip)

MODES = ("source", "tape", "graph")


def f_psi(x):
    return np.sum(np.sin(special.psi(x)))


def f_digamma(x):
    return np.sum(np.sin(special.digamma(x)))


def f_polygamma(x):
    return np.sum(np.sin(polygamma(2, x)) + polygamma(np.array([0, 1, 3]), x))


def f_gamma(x):
    return np.sum(np.sin(special.gamma(x)))


def f_rgamma(x):
    return np.sum(np.sin(special.rgamma(x)))


def f_beta(x):
    return np.sum(np.sin(special.beta(x, 2.0 - 0.3 * x)))


def f_betaln(x):
    return np.sum(np.sin(special.betaln(1.3, x) * x))


def f_erfcinv(x):
    return np.sum(np.sin(special.erfcinv(x / 3.0)))


def f_gammainc(x):
    return np.sum(np.sin(gammainc(1.7, x)))


def f_gammaincc(x):
    return np.sum(np.sin(special.gammaincc(np.array([0.5, 2.5, 4.0]), x)))


def f_betainc(x):
    return np.sum(np.sin(special.betainc(1.5, 2.5, x / 3.0)))


def f_i0(x):
    return np.sum(np.sin(special.i0(x)))


def f_i1(x):
    return np.sum(np.sin(special.i1(x)))


def f_iv(x):
    return np.sum(np.sin(iv(1.5, x)))


def f_ive(x):
    return np.sum(np.sin(special.ive(2, x - 1.0)))


def f_j0(x):
    return np.sum(np.sin(special.j0(x)))


def f_j1(x):
    return np.sum(np.sin(special.j1(x)))


def f_jv(x):
    return np.sum(np.sin(special.jv(2.5, x)))


def f_y0(x):
    return np.sum(np.sin(special.y0(x)))


def f_y1(x):
    return np.sum(np.sin(special.y1(x)))


def f_yn(x):
    return np.sum(np.sin(special.yn(np.array([0, 2, 3]), x)))


def f_gammaln(x):  # its derivative digamma, differentiated again
    return np.sum(np.sin(special.gammaln(x)))


# every input lies in (0.3, 2.9): inside the domain of each function above
INPUTS = (np.array([1.5, 2.5, 0.7]), np.array([0.4, 1.1, 2.8]))
FUNCTIONS = [
    f_psi,
    f_digamma,
    f_polygamma,
    f_gamma,
    f_rgamma,
    f_beta,
    f_betaln,
    f_erfcinv,
    f_gammainc,
    f_gammaincc,
    f_betainc,
    f_i0,
    f_i1,
    f_iv,
    f_ive,
    f_j0,
    f_j1,
    f_jv,
    f_y0,
    f_y1,
    f_yn,
    f_gammaln,
]
CASES = [pytest.param(f, mode, id=f"{f.__name__[2:]}-{mode}") for f in FUNCTIONS for mode in MODES]


@pytest.mark.parametrize(("f", "mode"), CASES)
def test_gradient_jvp_and_hessian(f, mode):
    rng = np.random.default_rng(7)
    for x in INPUTS:
        assert_first_and_second_order(f, x, mode, rng.normal(size=x.shape))


# -- arguments without a derivative ----------------------------------------------------------


def in_gammainc_shape(a):
    return np.sum(gammainc(a, 1.5))


def in_gammaincc_shape(a):
    return np.sum(special.gammaincc(a, np.array([0.5, 1.5])))


def in_betainc_a(a):
    return np.sum(special.betainc(a, 2.0, 0.3))


def in_betainc_b(b):
    return np.sum(special.betainc(1.5, b, 0.3))


def in_iv_order(v):
    return np.sum(iv(v, 1.5))


def in_ive_order(v):
    return np.sum(special.ive(v, 1.5))


def in_jv_order(v):
    return np.sum(special.jv(v, 1.5))


def in_both_arguments(x):
    return np.sum(gammainc(x, x))


REFUSALS = [
    (in_gammainc_shape, "gammainc", "a"),
    (in_gammaincc_shape, "gammaincc", "a"),
    (in_betainc_a, "betainc", "a"),
    (in_betainc_b, "betainc", "b"),
    (in_iv_order, "iv", "v"),
    (in_ive_order, "ive", "v"),
    (in_jv_order, "jv", "v"),
    (in_both_arguments, "gammainc", "a"),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("f", "function", "argument"), REFUSALS, ids=lambda v: str(v))
def test_an_argument_without_a_derivative_raises_naming_it(f, function, argument, mode):
    x = np.array([1.5, 2.5])
    message = f"scipy.special.{function} with respect to its argument '{argument}'"
    with pytest.raises(pb.PullbackError, match=message):
        pb.grad(f, mode=mode)(x)
    with pytest.raises(pb.PullbackError, match=message):
        pb.jvp(f, (x,), (np.ones(2),), mode=mode)


def sign_of_gamma_times(x):
    return np.sum(special.gammasgn(x) * x)


@pytest.mark.parametrize("mode", MODES)
def test_gammasgn_is_a_constant(mode):
    assert "scipy.special.gammasgn" in pb.rules.nondiff_functions()
    x = np.array([-2.5, -1.5, 0.5, 3.0])
    assert_close(pb.grad(sign_of_gamma_times, mode=mode)(x), np.array([-1.0, 1.0, 1.0, 1.0]))


def test_supported_functions_list_the_special_functions():
    names = set(pb.supported_functions())
    for name in (
        "psi digamma polygamma gamma rgamma beta betaln erfcinv gammainc gammaincc betainc "
        "i0 i1 iv ive j0 j1 jv y0 y1 yn"
    ).split():
        assert f"scipy.special.{name}" in names, name
