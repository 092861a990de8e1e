"""Finite differences (pb.numeric) and check_grads, checked against known derivatives."""

import math

import numpy as np
import pytest

import pullback as pb


def f_log(x):
    return np.log(x * x)


@pytest.mark.parametrize(
    "method,tol", [("forward", 1e-6), ("central", 1e-9), ("complex", 1e-14), ("richardson", 1e-11)]
)
@pytest.mark.parametrize("x", [0.5, 3.0, -2.0, 40.0])
def test_methods_on_scalar(method, tol, x):
    assert abs(pb.numeric.grad(f_log, method=method)(x) - 2.0 / x) <= tol * max(1.0, abs(2.0 / x))


@pytest.mark.parametrize("method", ["central", "complex", "richardson"])
def test_array_gradient(method):
    x = np.array([0.3, -1.2, 2.0])
    g = pb.numeric.grad(lambda v: np.sum(np.sin(v) * v), method=method)(x)
    np.testing.assert_allclose(g, np.cos(x) * x + np.sin(x), rtol=1e-8)
    assert isinstance(g, np.ndarray) and g.shape == x.shape


def test_pytree_gradient_keeps_structure():
    params = {"w": np.array([1.0, 2.0]), "b": (0.5, 2.0)}
    g = pb.numeric.grad(lambda p: np.sum(p["w"] ** 2) * p["b"][0] + p["b"][1] ** 3)(params)
    assert set(g) == {"w", "b"} and isinstance(g["b"], tuple)
    np.testing.assert_allclose(g["w"], 2 * params["w"] * 0.5, rtol=1e-8)
    assert abs(g["b"][0] - 5.0) < 1e-7 and abs(g["b"][1] - 12.0) < 1e-6
    assert isinstance(g["b"][1], float)


def test_argnums_tuple():
    gx, gy = pb.numeric.grad(lambda x, y: x * math.sin(y), argnums=(0, 1))(2.0, 0.5)
    assert abs(gx - math.sin(0.5)) < 1e-9 and abs(gy - 2 * math.cos(0.5)) < 1e-9


def test_unknown_method_is_a_clear_error():
    with pytest.raises(pb.PullbackError, match="richardson"):
        pb.numeric.grad(f_log, method="backwards")


def test_numeric_mode_through_the_api():
    assert abs(pb.grad(f_log, mode="numeric")(3.0) - 2 / 3) < 1e-9
    jac = pb.jacobian(lambda v: np.sin(v) * v[0], mode="numeric")(np.array([0.4, 1.1]))
    x = np.array([0.4, 1.1])
    exact = np.diag(np.cos(x) * x[0]) + np.outer(np.sin(x), [1.0, 0.0])
    np.testing.assert_allclose(jac, exact, rtol=1e-7, atol=1e-9)
    _, t = pb.jvp(lambda v: np.sum(v**3), (x,), (np.ones(2),), mode="numeric")
    assert abs(t - np.sum(3 * x**2)) < 1e-7


def test_check_grads_passes_on_a_right_derivative():
    pb.check_grads(lambda x: np.sin(x) * x, (np.array([0.1, 0.7]),), mode="numeric", order=2)


def test_check_grads_reports_a_wrong_derivative():
    class WrongMode:  # a mode whose derivative of sin is off by a factor 2
        @staticmethod
        def vjp(f, primals, has_aux=False):
            x = primals[0]
            return f(x), lambda g: (g * 2.0 * np.cos(x),)

        @staticmethod
        def jvp(f, primals, tangents):
            return f(*primals), tangents[0] * 2.0 * np.cos(primals[0])

    import pullback.api as api

    original = api.backend
    api.backend = lambda mode: WrongMode if mode == "wrong" else original(mode)
    try:
        with pytest.raises(pb.numeric.GradientCheckError) as info:
            pb.check_grads(np.sin, (np.array([0.2, 0.9]),), mode="wrong", modes=("rev",))
    finally:
        api.backend = original
    report = str(info.value)
    assert "argument 0" in report and "analytic" in report and "numeric" in report
    assert "entries differ" in report and "tolerance" in report


def test_integer_argument_is_a_type_error():
    with pytest.raises(TypeError, match="integer"):
        pb.grad(f_log, mode="numeric")(3)


def test_nonscalar_output_names_vjp_and_jacobian():
    with pytest.raises(TypeError, match="jacobian"):
        pb.grad(lambda x: x * 2.0, mode="numeric")(np.ones(3))


def test_numeric_grad_of_nonscalar_output_is_a_clear_error():
    with pytest.raises(TypeError, match="scalar"):
        pb.numeric.grad(lambda x: x * 2.0)(np.ones(3))
