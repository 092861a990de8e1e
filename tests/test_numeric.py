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


# -- check_grads reports: the argument, the entry, both values ---------------------------------


@pb.custom_vjp
def half_square(x):
    return 0.5 * x * x


def half_square_fwd(x):
    return half_square(x), x


def half_square_bwd(x, g):
    return (g * x * 1.5,)  # deliberately wrong: the derivative is x


half_square.defvjp(half_square_fwd, half_square_bwd)


@pb.custom_jvp
def half_square_fwd_rule(x):
    return 0.5 * x * x


def wrong_half_square_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return 0.5 * x * x, 1.5 * x * t  # deliberately wrong, as above


half_square_fwd_rule.defjvp(wrong_half_square_jvp)


def loss(x):
    return np.sum(half_square(x))


def loss_by_jvp_rule(x):
    return np.sum(half_square_fwd_rule(x))


def report_of(call) -> str:
    with pytest.raises(pb.numeric.GradientCheckError) as info:
        call()
    return str(info.value)


@pytest.mark.parametrize("mode", ["source", "tape", "graph"])
def test_a_wrong_reverse_rule_reads_as_its_values(mode):
    x = np.array([2.0, 4.0])
    np.testing.assert_allclose(pb.grad(loss, mode=mode)(x), [3.0, 6.0])
    report = report_of(lambda: pb.check_grads(loss, (x,), modes=("rev",), mode=mode))
    assert "reverse (vjp) derivative of loss" in report
    assert "argument 0 (x), entry [0]: analytic 3.0, numeric 2.0" in report
    assert "argument 0 (x), entry [1]: analytic 6.0, numeric 4.0" in report
    assert "2 of 2 entries differ" in report and "tolerance" in report


@pytest.mark.parametrize("mode", ["source", "tape", "graph"])
def test_a_wrong_forward_rule_reads_as_its_values(mode):
    x = np.array([2.0, 4.0])
    report = report_of(lambda: pb.check_grads(loss_by_jvp_rule, (x,), modes=("fwd",), mode=mode))
    assert "forward (jvp) derivative of loss_by_jvp_rule" in report
    assert "one basis tangent per input entry" in report
    assert "argument 0 (x), entry [0]: analytic 3.0, numeric 2.0" in report
    assert "argument 0 (x), entry [1]: analytic 6.0, numeric 4.0" in report


def test_the_report_names_the_argument_that_is_wrong():
    def two(w, b):
        return np.sum(w * w) + np.sum(half_square(b))

    w, b = np.array([1.0, -2.0]), np.array([0.5, 2.0, 4.0])
    report = report_of(lambda: pb.check_grads(two, (w, b), modes=("rev",)))
    assert "3 of 5 entries differ" in report
    assert "argument 1 (b), entry [2]: analytic 6.0, numeric 4.0" in report
    assert "argument 0" not in report


def test_the_report_names_leaves_of_a_structured_argument_and_output_entries():
    def tree_loss(params):
        return np.sum(half_square(params["w"])) + params["b"] ** 2

    report = report_of(
        lambda: pb.check_grads(tree_loss, ({"w": np.array([2.0, 4.0]), "b": 1.0},), modes=("rev",))
    )
    assert "argument 0 (params['w']), entry [1]: analytic 6.0, numeric 4.0" in report
    assert "params['b']" not in report

    def elementwise(x):
        return half_square(x) * 2.0

    report = report_of(lambda: pb.check_grads(elementwise, (np.array([1.0, 2.0]),), ("rev",)))
    assert "one basis cotangent per output entry" in report
    assert "argument 0 (x), entry [1] → output, entry [1]: analytic 6.0, numeric 4.0" in report
    assert "2 of 4 entries differ" in report  # the zero entries off the diagonal agree


def test_large_inputs_are_checked_along_a_random_direction():
    x = np.linspace(1.0, 2.0, 50)
    pb.check_grads(lambda v: np.sum(np.sin(v) * v), (x,), order=2)
    report = report_of(lambda: pb.check_grads(loss_by_jvp_rule, (x,), modes=("fwd",)))
    assert "along one random tangent (seed=0)" in report and "50 entries" in report
    assert "\n  output: analytic" in report  # the one output entry, both values

    def elementwise(x):
        return half_square(x) * 2.0

    report = report_of(lambda: pb.check_grads(elementwise, (x,), modes=("rev",)))
    assert "along one random output cotangent (seed=0)" in report
    assert "50 of 50 entries differ" in report
    assert report.count("argument 0 (x), entry [") == 11  # ten listed, and the largest
    assert "... and 40 more; the largest |diff|" in report


@pb.custom_jvp
def slope(x):
    return x


def wrong_slope_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return x, 3.0 * t  # deliberately wrong: d slope / dx is 1


slope.defjvp(wrong_slope_jvp)


@pb.custom_vjp
def half_square_by_slope(x):
    return 0.5 * x * x


half_square_by_slope.defvjp(lambda x: (half_square_by_slope(x), x), lambda x, g: (g * slope(x),))


def loss_by_slope(x):
    return np.sum(half_square_by_slope(x))


@pytest.mark.parametrize("mode", ["source", "tape"])
def test_second_order_reports_the_hessian_entries(mode):
    # the first derivative (the rule's slope(x) = x) is right; its derivative (3, by the wrong
    # rule for slope) is not: the Hessian's diagonal reads 3.0 where differences give 1.0
    x = np.array([2.0, 4.0])
    pb.check_grads(loss_by_slope, (x,), modes=("rev",), order=1, mode=mode)
    report = report_of(lambda: pb.check_grads(loss_by_slope, (x,), ("rev",), order=2, mode=mode))
    assert "forward (jvp) derivative of the gradient of loss_by_slope" in report
    assert (
        "argument 0 (x), entry [1] → gradient for argument 0 (x), entry [1]: "
        "analytic 3.0, numeric 1.0" in report
    )
    assert "2 of 4 entries differ" in report


@pytest.mark.parametrize("mode", ["source", "tape", "graph"])
def test_right_derivatives_pass_at_second_order_with_several_arguments(mode):
    def f(x, y, scale):
        return np.sum(np.tanh(x) * y) * scale + scale**3

    pb.check_grads(f, (np.array([0.3, -0.8]), np.array([1.5, 0.2]), 0.7), order=2, mode=mode)


@pytest.mark.parametrize(
    "kwargs,expected,says",
    [
        ({"args": 1.0}, TypeError, "(1.0,)"),
        ({"args": ()}, ValueError, "pb.check_grads(f, (x,))"),
        ({"args": (3,)}, TypeError, "lambda"),
        ({"args": (1 + 2j,)}, TypeError, "real and imaginary parts"),
        ({"modes": "fwd"}, TypeError, "modes=('fwd',)"),
        ({"modes": ()}, ValueError, "modes=('fwd', 'rev')"),
        ({"modes": ("forward",)}, ValueError, "'fwd' and 'rev'"),
        ({"order": 0}, ValueError, "order=1"),
        ({"atol": -1.0}, ValueError, ">= 0"),
        ({"rtol": "small"}, TypeError, "number"),
        ({"seed": 0.5}, TypeError, "int"),
        ({"mode": "sorce"}, ValueError, "source"),
    ],
)
def test_check_grads_on_bad_arguments_says_what_to_pass(kwargs, expected, says):
    call = {"f": f_log, "args": (3.0,), **kwargs}
    with pytest.raises(pb.PullbackError) as info:
        pb.check_grads(**call)
    assert isinstance(info.value, expected), type(info.value)
    assert says in str(info.value)


@pb.custom_vjp
def cube_frozen(x):
    return x**3


def _cube_fwd(x):
    return x**3, pb.stop_gradient(x)  # the residual has no derivative: order 2 comes out wrong


def _cube_bwd(x, g):
    return (g * 3.0 * x**2,)


cube_frozen.defvjp(_cube_fwd, _cube_bwd)


def test_check_grads_checks_the_second_order_by_default():
    def f(x):
        return cube_frozen(x) * 2.0

    pb.check_grads(f, (1.3,), modes=("rev",), order=1)  # the first order is right
    with pytest.raises(pb.numeric.GradientCheckError, match="derivative of the gradient"):
        pb.check_grads(f, (1.3,), modes=("rev",))
