"""Custom rules and stop_gradient are honoured by tape and graph modes, not only source mode."""

import numpy as np
import pytest

import pullback as pb

MODES = ["source", "tape", "graph"]


@pb.custom_vjp
def clip_gradient(x):
    return x


clip_gradient.defvjp(lambda x: (x, None), lambda residuals, g: (np.clip(g, -1.0, 1.0),))


@pb.custom_jvp
def softplus(x):
    return np.log1p(np.exp(x))


softplus.defjvp(
    lambda primals, tangents: (softplus(primals[0]), tangents[0] / (1 + np.exp(-primals[0])))
)


@pytest.mark.parametrize("mode", MODES)
def test_custom_vjp_is_used(mode):
    x = np.array([0.5, 2.0, -0.1])
    g = pb.grad(lambda v: np.sum(clip_gradient(v * 3.0)), mode=mode)(x)
    np.testing.assert_allclose(g, np.full(3, 3.0))  # the plain derivative would be 9


@pytest.mark.parametrize("mode", MODES)
def test_custom_jvp_forward_and_reverse(mode):
    x = np.array([0.5, 2.0, -1.5])
    sigmoid = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(pb.grad(lambda v: np.sum(softplus(v)), mode=mode)(x), sigmoid)
    _, t = pb.jvp(lambda v: softplus(v), (x,), (np.ones(3),), mode=mode)
    np.testing.assert_allclose(t, sigmoid)


@pytest.mark.parametrize("mode", MODES)
def test_stop_gradient_is_a_constant(mode):
    g = pb.grad(lambda x: pb.stop_gradient(x) * x, mode=mode)(0.7)
    assert abs(g - 0.7) < 1e-12


def test_plain_calls_run_the_function():
    assert clip_gradient(2.5) == 2.5
    assert abs(softplus(0.0) - np.log(2.0)) < 1e-15
    assert pb.stop_gradient(3.0) == 3.0
