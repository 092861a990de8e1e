"""Higher orders through the adjoints of stacking and splitting, and list(x) / zip(strict=True)
in user code: the helpers rules call are differentiable again."""

import re

import numpy as np
import pytest

import pullback as pb


def stacked(x):
    a = np.stack([x, x**2])
    b = np.concatenate([x, np.sin(x)])
    parts = np.split(np.concatenate([b, b * x[0]]), 2)
    return np.sum(a**2) + np.sum(b * b) + np.sum(parts[1] ** 3)


def rows_of(x):
    total = 0.0
    for row in list(x):
        total = total + np.sum(np.tanh(row) * row)
    return total


def zipped(x):
    ys = [x, x * 2.0]
    ws = [1.0, 3.0]
    return sum(np.sum(np.sin(y) * w) for y, w in zip(ys, ws, strict=True))


def zipped_unequal(x):
    return sum(a * b for a, b in zip([x, x], [1.0], strict=True))


X = np.array([0.3, 0.8, -0.4])


@pytest.mark.parametrize("f,x", [(stacked, X), (rows_of, X.reshape(3, 1) * X), (zipped, X)])
def test_gradient_and_hessian_against_differences(f, x):
    np.testing.assert_allclose(pb.grad(f)(x), pb.numeric.grad(f)(x), rtol=1e-6, atol=1e-8)
    gradient = pb.grad(f)
    flat = lambda v: gradient(v.reshape(x.shape)).ravel()  # noqa: E731
    numeric = pb.jacobian(flat, mode="numeric")(x.ravel())
    hessian = np.reshape(pb.hessian(f)(x), (x.size, x.size))
    np.testing.assert_allclose(hessian, numeric, rtol=1e-5, atol=1e-6)


def test_zip_strict_raises_like_python():
    # the derivative raises the plain call's own error, Python's message included
    with pytest.raises(ValueError) as plain:
        zipped_unequal(0.5)
    with pytest.raises(ValueError, match=re.escape(str(plain.value))):
        pb.grad(zipped_unequal)(0.5)
