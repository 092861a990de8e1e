"""Functions passed as arguments: ``rk2(force, y, h)`` calls ``force``, and its derivative is
built for the function passed (one derivative per function), in reverse and forward mode."""

import numpy as np
import pytest

import pullback as pb


def force(y):
    return -np.sin(y) * y


def spring(y):
    return -4.0 * y


damped = lambda y: -0.5 * y * y  # noqa: E731  (a module-level lambda)


def rk2(f, y, h):
    k1 = f(y)
    k2 = f(y + h * k1)
    return y + h * k2


def trajectory_loss(y0):
    y = y0
    for _ in range(3):
        y = rk2(force, y, 0.1)
    return np.sum(y**2)


def two_forces(y0):
    return np.sum(rk2(force, y0, 0.1) * rk2(spring, y0, 0.2))


def numpy_function(y0):
    return np.sum(rk2(np.sin, y0, 0.1) ** 2)


def lambda_function(y0):
    return np.sum(rk2(damped, y0, 0.1))


def scalar_loss(a):
    return rk2(force, a, 0.3) * rk2(spring, a, 0.1)


CASES = [trajectory_loss, two_forces, numpy_function, lambda_function]
Y0 = np.array([0.3, -0.7, 1.1])


@pytest.mark.parametrize("fn", CASES, ids=[f.__name__ for f in CASES])
def test_gradient_jvp_and_hessian(fn):
    g = pb.grad(fn)(Y0)
    np.testing.assert_allclose(g, pb.numeric.grad(fn)(Y0), rtol=1e-6, atol=1e-9)
    t = np.array([1.0, -2.0, 0.5])
    _, tangent = pb.jvp(fn, (Y0,), (t,))
    assert tangent == pytest.approx(float(g @ t))
    numeric = pb.jacobian(pb.grad(fn), mode="numeric")(Y0)
    np.testing.assert_allclose(pb.hessian(fn)(Y0), numeric, rtol=1e-5, atol=1e-6)


def test_one_derivative_per_function_passed():
    text = pb.source(pb.grad(two_forces))
    assert text.count("def rk2_forward") == 2  # one for force, one for spring
    assert "force_forward(y)" in text and "spring_forward(y)" in text


def test_grad_of_grad():
    first = pb.grad(scalar_loss)
    np.testing.assert_allclose(pb.grad(first)(0.4), pb.numeric.grad(first)(0.4), rtol=1e-6)


def nested_function_passed(y0):
    def g(y):
        return np.cos(y) * y0

    return np.sum(rk2(g, y0, 0.1))


def test_a_nested_function_passed_on_is_refused_with_a_hint():
    with pytest.raises(pb.UnsupportedSyntaxError, match="nested function 'g'") as err:
        pb.grad(nested_function_passed)
    assert "module level" in str(err.value)


def model(w, x):
    return np.tanh(w * x)


def loss(model_fn, w):
    return np.sum(model_fn(w, 2.0) ** 2)


def other_model(w, x):
    return np.sin(w) * x


def test_a_function_argument_of_the_differentiated_function():
    gradient = pb.grad(loss, argnums=1)  # built per function passed, when called
    for m in (model, other_model, model):
        expected = pb.numeric.grad(lambda w, m=m: loss(m, w))(Y0)
        np.testing.assert_allclose(gradient(m, Y0), expected, rtol=1e-6)
    value, g = pb.value_and_grad(loss, argnums=1)(other_model, Y0)
    assert value == pytest.approx(loss(other_model, Y0))
    np.testing.assert_allclose(g, gradient(other_model, Y0))
    with pytest.raises(pb.UnsupportedSyntaxError, match="parameter of loss") as err:
        gradient(3.0, Y0)  # not a function
    assert "pb.grad(lambda" in str(err.value)
    fixed = pb.grad(lambda w: loss(model, w))  # the other way the hint gives
    np.testing.assert_allclose(fixed(Y0), pb.numeric.grad(lambda w: loss(model, w))(Y0), rtol=1e-6)
