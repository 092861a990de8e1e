"""The statistics and rearranging rules through every mode: first and second derivatives.

For each function, in source, tape and graph mode, at two inputs in float64: ``pb.grad`` of a
scalar function using it against central differences, ``pb.jvp`` against the gradient, and
``pb.hessian`` against central differences of the gradient.
"""

from __future__ import annotations

import numpy as np
import pytest
from fd import assert_close, assert_first_and_second_order, numeric_grad

import pullback as pb

# a spliced rule must leave no "-1 is None" in generated code (a SyntaxWarning at each compile)
pytestmark = pytest.mark.filterwarnings("error::SyntaxWarning")

MODES = ["source", "tape", "graph"]
_C = [np.array([True, False, False, True, False]), np.array([True, True, False, False, False])]


def f_median(x):
    return np.sum(np.sin(np.median(x.reshape(2, 3), axis=1)))


def f_quantile(x):
    return np.sum(np.sin(np.quantile(x, np.array([0.3, 0.8]))))


def f_percentile(x):
    return np.sum(np.sin(np.percentile(x.reshape(2, 3), 40.0, axis=0, keepdims=True)))


def f_cov(x):
    return np.sum(np.sin(np.cov(x.reshape(2, 3))))


def f_corrcoef(x):
    return np.sum(np.sin(np.corrcoef(x[:3], x[3:] * x[3:])))


def f_select(x):
    return np.sum(np.sin(np.select(_C, [x[:5] * x[1:], np.cos(x[:5])], x[0])))


def f_piecewise(x):
    return np.sum(np.sin(x * np.piecewise(x, [x > 0.5], [2.0, -1.0])))


def f_rot90(x):
    return np.sum(np.sin(np.rot90(x.reshape(2, 3)) * np.arange(6.0).reshape(3, 2)))


def f_fliplr(x):
    return np.sum(np.sin(np.fliplr(x.reshape(2, 3)) * x.reshape(2, 3)))


def f_flipud(x):
    return np.sum(np.sin(np.flipud(x) * x))


def f_rollaxis(x):
    return np.sum(np.sin(np.rollaxis(x.reshape(1, 2, 3), 2) * np.arange(6.0).reshape(3, 1, 2)))


def f_hsplit(x):
    left, right = np.hsplit(x.reshape(2, 3), [1])
    return np.sum(np.sin(left * np.sum(right)))


def f_vsplit(x):
    top, bottom = np.vsplit(x.reshape(2, 3), 2)
    return np.sum(np.sin(top * bottom))


def f_dsplit(x):
    front, back = np.dsplit(x.reshape(1, 3, 2), 2)
    return np.sum(np.sin(front * back))


def f_partition(x):
    return np.sum(np.sin(np.partition(x, 2) * np.arange(6.0)))


def f_sorted(x):
    s = sorted(x)
    return np.sin(s[0]) * s[1] + s[-1] * s[-1]


def f_gradient(x):
    return np.sum(np.sin(np.gradient(x, 0.5) * x))


def f_gradient_2d(x):
    gy, gx = np.gradient(x.reshape(2, 3), 2.0)
    return np.sum(np.sin(gy * gx))


def f_real_if_close(x):
    return np.sum(np.sin(np.real_if_close(x * x)))


FUNCTIONS = [
    f_median, f_quantile, f_percentile, f_cov, f_corrcoef, f_select, f_piecewise, f_rot90,
    f_fliplr, f_flipud, f_rollaxis, f_hsplit, f_vsplit, f_dsplit, f_partition, f_sorted,
    f_gradient, f_gradient_2d, f_real_if_close,
]  # fmt: skip

INPUTS = [
    np.array([0.3, -1.2, 2.0, 0.7, 1.1, -0.4]),
    np.array([1.5, 0.2, -0.8, -1.9, 0.9, 0.6]),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f", FUNCTIONS, ids=[f.__name__ for f in FUNCTIONS])
def test_first_and_second_order(f, mode):
    for x in INPUTS:
        v = np.linspace(-1.0, 1.0, x.size)
        assert_first_and_second_order(f, x, mode, v, hessian_rtol=1e-4, hessian_atol=1e-5)


def test_median_splits_ties_evenly():
    x = np.array([1.0, 3.0, 3.0, 0.5, 3.0])
    for mode in MODES:
        g = pb.grad(lambda a: np.median(a), mode=mode)(x)
        assert_close(g, np.array([0, 1, 1, 0, 1]) / 3)


def test_piecewise_with_functions_is_refused():
    def f(x):
        return np.sum(np.piecewise(x, [x > 0], [np.sin, np.cos]))

    for mode in MODES:
        with pytest.raises(pb.PullbackError, match="numpy.piecewise"):
            pb.grad(f, mode=mode)(INPUTS[0])


def test_weighted_quantile_is_refused():
    def f(x):
        return np.quantile(x, 0.5, method="inverted_cdf", weights=np.ones(6))

    for mode in MODES:
        with pytest.raises(pb.PullbackError, match="weights"):
            pb.grad(f, mode=mode)(INPUTS[0])


@pytest.mark.parametrize("fn", [np.quantile, np.percentile])
@pytest.mark.parametrize("mode", ["source", "tape", "graph"])
def test_a_derivative_in_q_is_refused_not_zero(fn, mode):
    x = np.array([0.3, -1.2, 2.5, 0.9])
    scale = 100.0 if fn is np.percentile else 1.0

    def in_q(q):
        return fn(x, q * scale) * 2.0

    def in_x(v):
        return fn(v, 0.3 * scale) * 2.0

    with pytest.raises(pb.PullbackError, match="'q'"):
        pb.grad(in_q, mode=mode)(0.3)
    with pytest.raises(pb.PullbackError, match="'q'"):
        pb.jvp(in_q, (0.3,), (1.0,), mode=mode)
    assert_close(pb.grad(in_x, mode=mode)(x), numeric_grad(in_x, (x,)))
