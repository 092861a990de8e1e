"""Custom rules in source mode, at first and second order.

``@pb.custom_vjp``/``@pb.custom_jvp`` and ``pb.defvjp``/``pb.defjvp`` are rules of kind
"custom": generated code calls them (it cannot splice them), and a second derivative runs
through the user's own ``fwd``/``bwd``/``jvp`` (they are plain functions source mode reads).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import pullback as pb
from pullback.source import source


@pb.custom_vjp
def clip_gradient(x):
    return x


def clip_fwd(x):
    return x, None


def clip_bwd(residuals, g):
    return (np.clip(g, -1.0, 1.0),)


clip_gradient.defvjp(clip_fwd, clip_bwd)


def clipped(x):
    return clip_gradient(x * 3.0) * 2.0


def test_custom_vjp_is_called_by_the_generated_gradient():
    df = pb.grad(clipped)
    assert df(0.5) == pytest.approx(3.0)  # 2.0 clipped to 1.0, times 3.0
    assert "clip_gradient_vjp_0(" in source(df)


@pb.custom_vjp
def softplus(x):
    return np.log1p(np.exp(x))


def softplus_fwd(x):
    return softplus(x), x


def softplus_bwd(x, g):
    return (g / (1.0 + np.exp(-x)),)


softplus.defvjp(softplus_fwd, softplus_bwd)


def uses_softplus(x):
    return softplus(x) * x


def exact_first(x):
    s = 1.0 / (1.0 + np.exp(-x))
    return np.log1p(np.exp(x)) + x * s


def exact_second(x):
    s = 1.0 / (1.0 + np.exp(-x))
    return 2.0 * s + x * s * (1.0 - s)


@pytest.mark.parametrize("x", [-1.2, 0.3, 2.0])
def test_custom_vjp_first_and_second_order(x):
    assert pb.grad(uses_softplus)(x) == pytest.approx(exact_first(x), rel=1e-12)
    assert pb.grad(pb.grad(uses_softplus))(x) == pytest.approx(exact_second(x), rel=1e-10)
    assert pb.hessian(uses_softplus)(x) == pytest.approx(exact_second(x), rel=1e-10)


@pb.custom_vjp
def scaled_bwd(x):
    return np.sin(x)


def scaled_fwd(x):
    return np.sin(x), x


def scaled_bwd_rule(x, g):
    return (g * np.cos(x) * 10.0,)  # deliberately not the true derivative


scaled_bwd.defvjp(scaled_fwd, scaled_bwd_rule)


def uses_scaled(x):
    return scaled_bwd(x)


def test_second_order_differentiates_the_users_bwd():
    # d/dx of the user's bwd (10 cos x) is -10 sin x: the rule, not the function, is used
    x = 0.4
    assert pb.grad(pb.grad(uses_scaled))(x) == pytest.approx(-10.0 * math.sin(x), rel=1e-12)
    assert pb.hessian(uses_scaled)(x) == pytest.approx(-10.0 * math.sin(x), rel=1e-12)


@pb.custom_jvp
def cube(x):
    return x**3


def cube_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return x**3, 3.0 * x**2 * t


cube.defjvp(cube_jvp)


def uses_cube(x):
    return cube(x) + np.sin(x)


@pytest.mark.parametrize("x", [0.5, -1.5])
def test_custom_jvp_forward_reverse_and_forward_over_forward(x):
    expected = 3.0 * x**2 + math.cos(x)
    value, tangent = pb.jvp(uses_cube, (x,), (1.0,))
    assert value == pytest.approx(x**3 + math.sin(x))
    assert tangent == pytest.approx(expected)
    assert pb.grad(uses_cube)(x) == pytest.approx(expected)
    pb.check_grads(uses_cube, (x,), modes=("fwd",), order=2)


def library_log(x):
    return np.log(x)


pb.defvjp(library_log, lambda g, ans, x: g / x)
pb.defjvp(library_log, lambda t, ans, x: t / x)


def uses_library(x):
    return library_log(x * x)


def test_defvjp_and_defjvp_for_a_library_function():
    assert pb.grad(uses_library)(3.0) == pytest.approx(2.0 / 3.0)
    assert pb.jvp(uses_library, (3.0,), (1.0,))[1] == pytest.approx(2.0 / 3.0)
    # second order runs through the user's lambda: d/dx (2x / x^2) = -2 / x^2
    assert pb.grad(pb.grad(uses_library))(3.0) == pytest.approx(-2.0 / 9.0)
    assert pb.hessian(uses_library)(3.0) == pytest.approx(-2.0 / 9.0)


def stopped(x):
    return x * pb.stop_gradient(x * x)


def test_stop_gradient_in_forward_and_reverse():
    assert pb.grad(stopped)(0.5) == pytest.approx(0.25)
    assert pb.jvp(stopped, (0.5,), (1.0,))[1] == pytest.approx(0.25)
    assert pb.hessian(stopped)(0.5) == pytest.approx(0.0)  # the stop persists (as in JAX)


@pb.custom_vjp
def ones_back(x):
    return np.sin(x)


ones_back.defvjp(lambda x: (np.sin(x), None), lambda res, g: (1.0,))  # one for every entry


@pb.custom_vjp
def wrong_shape_back(x):
    return np.sin(x)


wrong_shape_back.defvjp(lambda x: (np.sin(x), None), lambda res, g: (np.ones(5),))


def through_custom(a, b, f):
    return np.sum(f(a + b) * 2.0)


@pytest.mark.parametrize("mode", ["source", "tape", "graph"])
def test_a_scalar_adjoint_from_bwd_holds_for_every_entry(mode):
    a, b = np.ones((3, 4)), np.ones(4)
    a_bar, b_bar = pb.grad(lambda a, b: through_custom(a, b, ones_back), (0, 1), mode=mode)(a, b)
    np.testing.assert_array_equal(a_bar, np.ones((3, 4)))
    np.testing.assert_array_equal(b_bar, np.full(4, 3.0))


def test_an_adjoint_of_the_wrong_shape_is_named():
    grad = pb.grad(lambda a, b: through_custom(a, b, wrong_shape_back), (0, 1))
    with pytest.raises(pb.PullbackError, match=r"shape \(5,\).*shape \(3, 4\)"):
        grad(np.ones((3, 4)), np.ones(4))
