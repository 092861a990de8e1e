"""A function that calls a derivative made by pullback is differentiated through the generated
code (never through the thin wrapper around it, which would give a silent zero)."""

import numpy as np
import pytest

import pullback as pb


class Model:
    def __init__(self, scale):
        self.scale = scale

    def loss(self, w):
        return np.sum(np.sin(w) * self.scale * w)


def energy(w):
    return np.sum(np.cosh(w) * w)


MODEL = Model(2.0)
denergy = pb.grad(energy)
dloss_unbound = pb.grad(Model.loss, 1)
dloss_bound = pb.grad(MODEL.loss)


def through_function(z):
    return np.sum(denergy(z) ** 2)


def through_unbound_method(z):
    return np.sum(dloss_unbound(MODEL, z) ** 2)


def through_bound_method(z):
    return np.sum(dloss_bound(z) ** 2)


Z = np.array([0.3, 0.7, -0.4])
CASES = [through_function, through_unbound_method, through_bound_method]


@pytest.mark.parametrize("f", CASES, ids=lambda f: f.__name__)
def test_reverse_through_a_derivative(f):
    np.testing.assert_allclose(pb.grad(f)(Z), pb.numeric.grad(f)(Z), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("f", CASES, ids=lambda f: f.__name__)
def test_forward_through_a_derivative(f):
    v = np.array([1.0, -0.5, 2.0])
    _, tangent = pb.jvp(f, (Z,), (v,))
    _, numeric = pb.numeric.jvp(f, (Z,), (v,))
    np.testing.assert_allclose(tangent, numeric, rtol=1e-6, atol=1e-8)
