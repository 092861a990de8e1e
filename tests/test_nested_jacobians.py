"""Source mode's Jacobian of a Jacobian (or of a Hessian): built from Jacobians of generated
JVPs, against tape mode and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from fd import assert_close, numeric_grad

import pullback as pb


def vector_field(x):
    return np.sin(x) * np.sum(x**2)


def scalar_field(x):
    return np.sum(np.sin(x) ** 3) + x[0] * x[1] * x[2]


@pytest.mark.parametrize("seed", [0, 1])
def test_jacobian_of_a_jacobian(seed):
    x = np.random.default_rng(seed).normal(size=3)
    got = pb.jacobian(pb.jacobian(vector_field))(x)
    assert got.shape == (3, 3, 3)
    assert_close(got, pb.jacobian(pb.jacobian(vector_field, mode="tape"), mode="tape")(x))
    first = pb.jacobian(vector_field)
    for j in range(3):  # against differences of the inner Jacobian, column by column
        e = np.zeros(3)
        e[j] = 1e-6
        assert_close(got[..., j], (first(x + e) - first(x - e)) / 2e-6, rtol=1e-6)


def test_jacobian_of_a_hessian_is_the_third_derivative():
    x = np.array([0.3, -0.7, 1.1])
    got = pb.jacobian(pb.hessian(scalar_field))(x)
    assert_close(got, pb.jacobian(pb.hessian(scalar_field, mode="tape"), mode="tape")(x))
    assert_close(got, np.transpose(got, (2, 1, 0)))  # symmetric in every pair
    assert_close(got[0, 1, 2], 1.0 + 0.0, rtol=1e-9)  # d3 (x0 x1 x2) / dx0 dx1 dx2


def test_of_a_scalar_function():
    assert_close(pb.jacobian(pb.jacobian(np.sin))(0.5), -np.sin(0.5))
    assert_close(pb.jacobian(pb.jacobian(np.sin))(0.5), numeric_grad(np.cos, (0.5,)))


def test_several_arguments_are_refused_with_the_mode_that_takes_them():
    def f(x, y):
        return x * y

    with pytest.raises(pb.PullbackError, match="mode='tape'"):
        pb.jacobian(pb.jacobian(f))(np.ones(2), np.ones(2))
