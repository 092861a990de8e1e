"""``np.meshgrid(*xs)`` (any number of arrays: computed as one function of their tuple) in
every mode, to second order, against finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from fd import assert_close, gradient_differences, numeric_grad

import pullback as pb

MODES = ["source", "tape", "graph"]


def surface(x, y):
    X, Y = np.meshgrid(x, y)
    return np.sum(np.sin(X) * Y**2 + X * Y)


def three_ij(x):
    A, B, C = np.meshgrid(x, x[:2] ** 2, np.cos(x), indexing="ij")
    return np.sum(A * B * C)


def sparse_grid(x):
    X, Y = np.meshgrid(x, 2.0 * x, sparse=True)
    return np.sum(np.exp(X * Y) / 10.0)


@pytest.mark.parametrize("mode", MODES)
def test_two_arrays(mode):
    x, y = np.array([0.1, 0.5, 0.9]), np.array([1.0, -2.0])
    gx, gy = pb.grad(surface, (0, 1), mode=mode)(x, y)
    wx, wy = numeric_grad(surface, (x, y), argnums=(0, 1))
    assert_close(gx, wx)
    assert_close(gy, wy)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f", [three_ij, sparse_grid])
def test_more_arrays_and_options_to_second_order(f, mode):
    x = np.array([0.3, -0.6, 1.2])
    g = pb.grad(f, mode=mode)(x)
    assert_close(g, numeric_grad(f, (x,)))
    v = np.array([1.0, 0.5, -2.0])
    assert_close(pb.jvp(f, (x,), (v,), mode=mode)[1], np.dot(g, v))
    h = pb.hessian(f, mode=mode)(x)
    assert_close(h, gradient_differences(pb.grad(f, mode=mode), x), rtol=1e-5)
