"""Scalar loop kernels in source mode: reads ``x[i]`` in a loop accumulate their adjoints in
place into one buffer (``scatter_add``), so the gradient of a loop over n entries costs O(n);
the generated code still differentiates again."""

from __future__ import annotations

import numpy as np
import pytest

import pullback as pb


def kernel(x):
    s = 0.0
    for i in range(len(x)):
        s = s + np.sin(x[i]) * x[i]
    return s


def repeated_positions(x):
    index = np.array([0, 0, 2])
    s = 0.0
    for k in range(3):
        s = s + np.sum(x[index] * x[k])
    return s


def nested_loops(m):
    s = 0.0
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            s = s + m[i, j] * m[i, j] * (i + 1)
    return s


def over_a_list(xs):
    s = 0.0
    for i in range(len(xs)):
        s = s + xs[i] * xs[i]
    return s


X = np.array([0.3, -1.2, 0.8, 2.1])


@pytest.mark.parametrize(
    "f, x",
    [
        (kernel, X),
        (repeated_positions, X),
        (nested_loops, X.reshape(2, 2)),
    ],
)
def test_gradient_matches_differences(f, x):
    np.testing.assert_allclose(pb.grad(f)(x), pb.numeric.grad(f)(x), rtol=1e-6, atol=1e-8)


def test_reads_accumulate_in_place():
    text = pb.source(pb.grad(kernel))
    assert "x_bar = zeros_like_value(x)" in text
    assert "scatter_add(x_bar, x, i," in text and "getitem_adjoint" not in text


def test_list_argument():
    g = pb.grad(over_a_list)([0.5, -1.0, 2.0])
    np.testing.assert_allclose(g, [1.0, -2.0, 4.0])


@pytest.mark.parametrize("f, x", [(kernel, X), (repeated_positions, X)])
def test_second_order(f, x):
    df = pb.grad(f)
    n = len(x)
    expected = np.zeros((n, n))
    for k in range(n):
        e = np.zeros(n)
        e[k] = 1e-6
        expected[:, k] = (df(x + e) - df(x - e)) / 2e-6
    np.testing.assert_allclose(pb.hessian(f)(x), expected, rtol=1e-5, atol=1e-6)
    v = np.array([0.5, -1.0, 0.25, 2.0])
    _, hv = pb.jvp(df, (x,), (v,))  # forward mode over the generated gradient
    np.testing.assert_allclose(hv, expected @ v, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(pb.jacobian(df)(x), expected, rtol=1e-5, atol=1e-6)


def test_buffer_is_not_shared_between_calls():
    df = pb.grad(kernel)
    first = df(X)
    again = df(X)
    np.testing.assert_array_equal(first, again)
    assert first is not again
