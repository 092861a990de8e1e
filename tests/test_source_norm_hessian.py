"""Second order through ``np.linalg.norm``: its rule's helper ``norm_gradient`` has a rule of
its own, so differentiating the gradient never meets the branches (an svd among them) of the
``ord``s that do not run."""

import numpy as np
import pytest

import pullback as pb

X = np.array([0.3, -0.7, 1.1, 0.5])
A = np.array([[0.3, -0.7, 0.2], [1.1, 0.4, -0.9]])


def euclidean(x):
    return np.linalg.norm(x)


def frobenius(a):
    return np.linalg.norm(a)


def named_frobenius(a):
    return np.linalg.norm(a, "fro") * np.sum(a)


def taxicab(x):
    return np.linalg.norm(x, 1) * np.sum(x * x)


def three(x):
    return np.linalg.norm(x, 3)


def rows(a):
    return np.sum(np.linalg.norm(a, axis=1) ** 2 * np.sin(np.linalg.norm(a, axis=0)[:2]))


CASES = [(euclidean, X), (frobenius, A), (named_frobenius, A), (taxicab, X), (three, X), (rows, A)]


@pytest.mark.parametrize("fn, x", CASES, ids=[c[0].__name__ for c in CASES])
def test_hessian_against_differences_of_the_gradient(fn, x):
    expected = pb.jacobian(pb.grad(fn), mode="numeric")(x)
    np.testing.assert_allclose(pb.hessian(fn)(x), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(pb.grad(fn)(x), pb.numeric.grad(fn)(x), rtol=1e-6, atol=1e-8)


def scaled(a):
    return np.linalg.norm(a * X) + np.linalg.norm(a * X, 1) * a


def test_grad_of_grad():
    first = pb.grad(scaled)
    np.testing.assert_allclose(pb.grad(first)(0.7), pb.numeric.grad(first)(0.7), rtol=1e-6)


def test_the_spectral_norms_say_they_have_no_second_derivative():
    with pytest.raises(pb.NonDifferentiableError, match="ord='nuc'"):
        pb.hessian(lambda a: np.linalg.norm(a, "nuc"))(A)
