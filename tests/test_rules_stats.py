"""SciPy's distributions in every mode: ``norm`` (``logpdf``, ``pdf``, ``cdf``, ``logcdf``,
``sf``), the ``logpdf`` of ``t``, ``gamma``, ``beta``, ``expon``, ``laplace`` and ``logistic``,
and ``poisson.logpmf``, called as their users write them: ``norm.logpdf(data, mu, sigma)``.

For each, and each of the modes source, tape and graph, in float64 at two inputs: ``pb.grad`` of
a scalar log-likelihood as a function of the parameters, and of a function of the point ``x``,
against central differences, ``pb.jvp`` against that gradient, and ``pb.hessian`` against central
differences of the gradient. Source mode calls the rules: its generated code names no SciPy
internals.
"""

from __future__ import annotations

import numpy as np
import pytest
from fd import assert_first_and_second_order

import pullback as pb

stats = pytest.importorskip("scipy.stats")
from scipy.stats import beta, expon, gamma, laplace, logistic, norm, poisson, t  # noqa: E402

MODES = ("source", "tape", "graph")

DATA = np.array([0.3, -1.2, 2.0, 0.7])
POSITIVE = np.array([0.4, 1.3, 2.2, 0.9])
UNIT = np.array([0.2, 0.45, 0.7, 0.9])
COUNTS = np.array([0, 2, 3, 7])

# -- log-likelihoods: functions of the parameters ------------------------------------------


def ll_norm_logpdf(p):
    return np.sum(norm.logpdf(DATA, p[0], p[1]))


def ll_norm_pdf(p):
    return np.sum(norm.pdf(DATA, loc=p[0], scale=p[1]))


def ll_norm_cdf(p):
    return np.sum(stats.norm.cdf(DATA, p[0], scale=p[1]))


def ll_norm_logcdf(p):
    return np.sum(norm.logcdf(DATA, p[0], p[1]))


def ll_norm_sf(p):
    return np.sum(norm.sf(DATA, p[0], p[1]))


def ll_t_logpdf(p):
    return np.sum(t.logpdf(DATA, p[2], p[0], p[1]))


def ll_poisson_logpmf(p):
    return np.sum(poisson.logpmf(COUNTS, p[0]))


def ll_gamma_logpdf(p):
    return np.sum(gamma.logpdf(POSITIVE, p[2], loc=p[0], scale=p[1]))


def ll_beta_logpdf(p):
    return np.sum(beta.logpdf(UNIT, p[0], p[1], p[2], p[3]))


def ll_expon_logpdf(p):
    return np.sum(expon.logpdf(POSITIVE, p[0], p[1]))


def ll_laplace_logpdf(p):
    return np.sum(laplace.logpdf(DATA, p[0], p[1]))


def ll_logistic_logpdf(p):
    return np.sum(logistic.logpdf(DATA, loc=p[0], scale=p[1]))


NORMAL = (np.array([0.2, 1.5]), np.array([-0.4, 0.8]))
LIKELIHOODS = [
    (ll_norm_logpdf, NORMAL),
    (ll_norm_pdf, NORMAL),
    (ll_norm_cdf, NORMAL),
    (ll_norm_logcdf, NORMAL),
    (ll_norm_sf, NORMAL),
    (ll_t_logpdf, (np.array([0.2, 1.5, 4.0]), np.array([-0.3, 0.9, 2.5]))),
    (ll_poisson_logpmf, (np.array([1.7]), np.array([3.2]))),
    (ll_gamma_logpdf, (np.array([-0.3, 1.2, 2.5]), np.array([0.1, 0.7, 1.4]))),
    (ll_beta_logpdf, (np.array([1.5, 2.5, -0.1, 1.2]), np.array([2.2, 1.3, -0.2, 1.4]))),
    (ll_expon_logpdf, (np.array([-0.3, 1.2]), np.array([0.1, 0.7]))),
    (ll_laplace_logpdf, NORMAL),
    (ll_logistic_logpdf, NORMAL),
]

# -- functions of the point x ---------------------------------------------------------------


def of_x_norm_logpdf(x):
    return np.sum(np.sin(norm.logpdf(x, 0.3, 1.4)))


def of_x_norm_pdf(x):
    return np.sum(np.sin(norm.pdf(x)))


def of_x_norm_cdf(x):
    return np.sum(np.sin(norm.cdf(x, loc=0.3)))


def of_x_norm_logcdf(x):
    return np.sum(np.sin(norm.logcdf(x, 0.3, 1.4)))


def of_x_norm_sf(x):
    return np.sum(np.sin(norm.sf(x, scale=1.4)))


def of_x_t_logpdf(x):
    return np.sum(np.sin(t.logpdf(x, 3.0, loc=0.1, scale=1.2)))


def of_x_gamma_logpdf(x):
    return np.sum(np.sin(gamma.logpdf(x, 2.5, scale=1.3)))


def of_x_beta_logpdf(x):
    return np.sum(np.sin(beta.logpdf(x / 3.0, 1.5, 2.5)))


def of_x_expon_logpdf(x):
    return np.sum(np.sin(expon.logpdf(x, scale=1.3) * x))


def of_x_laplace_logpdf(x):
    return np.sum(np.sin(laplace.logpdf(x, 0.25, 1.3) * x))


def of_x_logistic_logpdf(x):
    return np.sum(np.sin(logistic.logpdf(x, 0.3, 1.4)))


# every point lies in (0.3, 2.9): inside each distribution's support, away from laplace's kink
POINTS = (np.array([1.5, 2.5, 0.7]), np.array([0.4, 1.1, 2.8]))
OF_X = [
    of_x_norm_logpdf,
    of_x_norm_pdf,
    of_x_norm_cdf,
    of_x_norm_logcdf,
    of_x_norm_sf,
    of_x_t_logpdf,
    of_x_gamma_logpdf,
    of_x_beta_logpdf,
    of_x_expon_logpdf,
    of_x_laplace_logpdf,
    of_x_logistic_logpdf,
]

CASES = [
    pytest.param(f, inputs, mode, id=f"{f.__name__}-{mode}")
    for f, inputs in LIKELIHOODS + [(f, POINTS) for f in OF_X]
    for mode in MODES
]


@pytest.mark.parametrize(("f", "inputs", "mode"), CASES)
def test_gradient_jvp_and_hessian(f, inputs, mode):
    rng = np.random.default_rng(11)
    for x in inputs:
        assert_first_and_second_order(f, x, mode, rng.normal(size=x.shape))


def test_the_methods_find_their_rules():
    from pullback.rules import lookup

    for dist, method in [(norm, "logpdf"), (norm, "sf"), (t, "logpdf"), (poisson, "logpmf")]:
        rule = lookup(getattr(dist, method))
        assert rule is not None and rule.name == f"scipy.stats.{dist.name}.{method}"
    assert lookup(norm.ppf) is None
    assert lookup(norm(0.0, 1.0).logpdf) is None  # a frozen distribution: not the instance


def test_source_mode_calls_the_rule():
    df = pb.grad(ll_t_logpdf)
    df(np.array([0.2, 1.5, 4.0]))
    text = pb.source(df)
    assert "t.logpdf(DATA, " in text  # the call itself, then its rule's partials
    for internal in ("_distn_infrastructure", "rv_continuous", "_argcheck", "._logpdf", "asarray"):
        assert internal not in text, internal
