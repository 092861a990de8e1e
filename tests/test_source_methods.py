"""Methods in source mode: ``pb.grad(model.loss)`` differentiates the method's visible
arguments (as JAX does for a bound method), ``self`` attributes are constants read when the
derivative runs, and ``self.m(...)``, properties, static and class methods resolve in the
receiver's class (a subclass's overrides included)."""

import numpy as np
import pytest
from corpus import MODEL, VEC, Model, SmoothModel
from fd import assert_close, numeric_grad

import pullback as pb

W = VEC[:3]
SMOOTH = SmoothModel(1.5)

BOUND = [
    pytest.param(MODEL.loss, (W,), 0, id="bound"),
    pytest.param(MODEL.scaled_loss, (0.7, W), (0, 1), id="bound_two_args"),
    pytest.param(MODEL.scaled_loss, (0.7, W), 1, id="bound_second_arg"),
    pytest.param(SMOOTH.loss, (W,), 0, id="bound_subclass_override"),
    pytest.param(Model.loss, (SMOOTH, W), 1, id="unbound_subclass_receiver"),
]


@pytest.mark.parametrize("mode", ["source", "tape", "graph"])
@pytest.mark.parametrize("f, args, argnums", BOUND)
def test_method_gradients_match_differences(f, args, argnums, mode):
    got = pb.grad(f, argnums, mode=mode)(*args)
    assert_close(got, numeric_grad(f, args, argnums))


def test_value_and_grad_vjp_and_jvp_of_a_bound_method():
    value, g = pb.value_and_grad(MODEL.loss)(W)
    assert value == pytest.approx(MODEL.loss(W))
    assert_close(g, numeric_grad(MODEL.loss, (W,)))
    value, vjp_fn = pb.vjp(MODEL.loss, W)
    assert_close(vjp_fn(1.0)[0], g)
    t = np.array([1.0, -0.5, 0.25])
    _, tangent = pb.jvp(MODEL.loss, (W,), (t,))
    assert tangent == pytest.approx(float(g @ t))


def test_hessian_and_grad_of_grad_of_a_bound_method():
    h = pb.hessian(MODEL.loss)(W)
    numeric = pb.jacobian(pb.grad(MODEL.loss), mode="numeric")(W)
    np.testing.assert_allclose(h, numeric, rtol=1e-5, atol=1e-6)


def test_forward_mode_sees_a_subclass_override():
    t = np.array([1.0, -0.5, 0.25])
    g = pb.grad(SMOOTH.loss)(W)
    _, bound = pb.jvp(SMOOTH.loss, (W,), (t,))
    _, unbound = pb.jvp(Model.loss, (SMOOTH, W), (None, t))
    assert bound == pytest.approx(float(g @ t))
    assert unbound == pytest.approx(float(g @ t))
    numeric = pb.jacobian(pb.grad(SMOOTH.loss), mode="numeric")(W)
    np.testing.assert_allclose(pb.hessian(SMOOTH.loss)(W), numeric, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(pb.hessian(Model.loss, 1)(SMOOTH, W), numeric, rtol=1e-5, atol=1e-6)


def test_hessian_of_a_two_argument_bound_method():
    args = (0.7, W)
    for argnums in (0, 1):
        h = pb.hessian(SMOOTH.scaled_loss, argnums)(*args)
        numeric = pb.jacobian(pb.grad(SMOOTH.scaled_loss, argnums), argnums, mode="numeric")(*args)
        np.testing.assert_allclose(h, numeric, rtol=1e-5, atol=1e-6)
    rows = pb.jacobian(pb.grad(SMOOTH.scaled_loss, 1), 1)(*args)  # reverse over reverse
    np.testing.assert_allclose(rows, pb.hessian(SMOOTH.scaled_loss, 1)(*args), rtol=1e-8)


def test_argnums_count_the_visible_parameters():
    with pytest.raises(pb.PullbackError):
        pb.grad(MODEL.loss, argnums=1)


def test_the_receiver_is_read_when_the_derivative_runs():
    model = Model(1.0)
    df = pb.grad(model.loss)
    before = df(W)
    model.scale = 3.0
    assert_close(df(W), numeric_grad(model.loss, (W,)))
    assert not np.allclose(before, df(W))


class Opaque:
    def __init__(self, f):
        self.f = f


def calls_unknown_method(x, box):
    return box.f(x) * x


def test_a_function_held_by_an_argument_is_resolved_when_running_not_silently_zero():
    g = pb.grad(calls_unknown_method)(0.5, Opaque(np.sin))
    assert_close(g, np.cos(0.5) * 0.5 + np.sin(0.5))
