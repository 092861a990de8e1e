"""``scipy.integrate.odeint`` differentiated by the adjoint method (reverse) and the
sensitivity equations (forward): with respect to the initial state, the output times and the
floating-point entries of ``args``; against finite differences, against differentiating an
explicit RK4 loop of the same system, in source, tape and graph modes."""

from __future__ import annotations

import numpy as np
import pytest
from fd import assert_close, numeric_grad

import pullback as pb

scipy_integrate = pytest.importorskip("scipy.integrate")
odeint = scipy_integrate.odeint
MODES = ["source", "tape", "graph"]


def oscillator(y, t, k, damping):
    return np.array([y[1], -k * y[0] - damping * y[1] + 0.5 * np.sin(t)])


def loss(y0, k, damping):
    t = np.linspace(0.0, 2.0, 6)
    ys = odeint(oscillator, y0, t, args=(k, damping), rtol=1e-11, atol=1e-11)
    return np.sum(ys**2) + ys[-1, 0]


def predator_prey(t, y, rates):  # tfirst=True, an array of parameters
    a, b, c, d = rates[0], rates[1], rates[2], rates[3]
    return np.array([a * y[0] - b * y[0] * y[1], -c * y[1] + d * y[0] * y[1]])


def population_loss(y0, rates):
    t = np.array([0.0, 0.5, 1.2, 2.0])
    ys = odeint(predator_prey, y0, t, args=(rates,), tfirst=True, rtol=1e-11, atol=1e-11)
    return np.sum(np.log(ys))


def at_times(t):
    ys = odeint(oscillator, np.array([1.0, 0.0]), t, args=(2.0, 0.1), rtol=1e-11, atol=1e-11)
    return np.sum(ys[:, 0] ** 2)


def rk4_loss(y0, k, damping, steps=400):
    h = 2.0 / steps
    y, t = y0, 0.0
    for _ in range(steps):
        k1 = oscillator(y, t, k, damping)
        k2 = oscillator(y + 0.5 * h * k1, t + 0.5 * h, k, damping)
        k3 = oscillator(y + 0.5 * h * k2, t + 0.5 * h, k, damping)
        k4 = oscillator(y + h * k3, t + h, k, damping)
        y = y + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
        t = t + h
    return np.sum(y**2)


def final_loss(y0, k, damping):
    ys = odeint(oscillator, y0, np.array([0.0, 2.0]), args=(k, damping), rtol=1e-11, atol=1e-11)
    return np.sum(ys[-1] ** 2)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("seed", [0, 1])
def test_initial_state_and_parameters(mode, seed):
    rng = np.random.default_rng(seed)
    y0, k, damping = rng.normal(size=2), 1.0 + rng.random(), 0.1 + 0.3 * rng.random()
    g = pb.grad(loss, (0, 1, 2), mode=mode)(y0, k, damping)
    # (steps of 1e-4: an adaptive solver's tolerance-level noise swamps smaller ones)
    want = numeric_grad(loss, (y0, k, damping), argnums=(0, 1, 2), h=1e-4)
    for got, expected in zip(g, want, strict=True):
        assert_close(got, expected, rtol=1e-5, atol=1e-7)
    v = rng.normal(size=2)
    tangent = pb.jvp(loss, (y0, k, damping), (v, 0.5, -1.0), mode=mode)[1]
    assert_close(tangent, np.dot(g[0], v) + 0.5 * g[1] - g[2], rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("mode", MODES)
def test_an_array_of_parameters_and_tfirst(mode):
    y0, rates = np.array([1.0, 0.7]), np.array([1.1, 0.4, 0.9, 0.3])
    g = pb.grad(population_loss, (0, 1), mode=mode)(y0, rates)
    want = numeric_grad(population_loss, (y0, rates), argnums=(0, 1), h=1e-4)
    for got, expected in zip(g, want, strict=True):
        assert_close(got, expected, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("mode", MODES)
def test_the_output_times(mode):
    t = np.array([0.0, 0.4, 1.1, 1.7])
    g = pb.grad(at_times, mode=mode)(t)
    assert_close(g, numeric_grad(at_times, (t,), h=1e-4), rtol=1e-5, atol=1e-7)
    v = np.array([0.3, -1.0, 0.5, 2.0])
    assert_close(pb.jvp(at_times, (t,), (v,), mode=mode)[1], np.dot(g, v), rtol=1e-6)


def test_the_adjoint_agrees_with_differentiating_an_rk4_loop():
    y0, k, damping = np.array([0.8, -0.2]), 1.7, 0.25
    adjoint = pb.grad(final_loss, (0, 1, 2))(y0, k, damping)
    through_the_loop = pb.grad(rk4_loss, (0, 1, 2))(y0, k, damping)
    for a, b in zip(adjoint, through_the_loop, strict=True):
        assert_close(a, b, rtol=1e-7, atol=1e-9)


def test_full_output_is_refused_with_a_reason():
    def f(y0):
        ys, info = odeint(oscillator, y0, np.array([0.0, 1.0]), args=(1.0, 0.1), full_output=1)
        return np.sum(ys)

    with pytest.raises(pb.PullbackError, match="full_output"):
        pb.grad(f, mode="tape")(np.array([1.0, 0.0]))


# -- solve_ivp --------------------------------------------------------------------------------

solve_ivp = scipy_integrate.solve_ivp


def driven(t, y, k, damping):
    return oscillator(y, t, k, damping)


def ivp_loss(y0, k, damping):
    t_eval = np.linspace(0.0, 2.0, 5)  # t_eval[0] is t_span[0]
    sol = solve_ivp(driven, (0.0, 2.0), y0, t_eval=t_eval, args=(k, damping), rtol=1e-10,
                    atol=1e-10)  # fmt: skip
    return np.sum(sol.y**2) + sol.y[0, -1]


def ivp_at_times(t_eval, t0):
    sol = solve_ivp(driven, (t0, 2.5), np.array([1.0, 0.0]), t_eval=t_eval, args=(2.0, 0.1),
                    method="DOP853", rtol=1e-11, atol=1e-11)  # fmt: skip
    return np.sum(sol.y[0] ** 2)


@pytest.mark.parametrize("mode", MODES)
def test_solve_ivp_in_the_initial_state_and_parameters(mode):
    y0, k, damping = np.array([0.8, -0.3]), 1.4, 0.2
    g = pb.grad(ivp_loss, (0, 1, 2), mode=mode)(y0, k, damping)
    want = numeric_grad(ivp_loss, (y0, k, damping), argnums=(0, 1, 2), h=1e-4)
    for got, expected in zip(g, want, strict=True):
        assert_close(got, expected, rtol=1e-5, atol=1e-7)
    v = np.array([1.0, -0.5])
    tangent = pb.jvp(ivp_loss, (y0, k, damping), (v, 0.5, -1.0), mode=mode)[1]
    assert_close(tangent, np.dot(g[0], v) + 0.5 * g[1] - g[2], rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("mode", MODES)
def test_solve_ivp_in_its_times(mode):
    t_eval, t0 = np.array([0.3, 1.0, 1.6, 2.2]), 0.1
    g_eval, g_start = pb.grad(ivp_at_times, (0, 1), mode=mode)(t_eval, t0)
    want_eval, want_start = numeric_grad(ivp_at_times, (t_eval, t0), argnums=(0, 1), h=1e-4)
    assert_close(g_eval, want_eval, rtol=1e-5, atol=1e-7)
    assert_close(g_start, want_start, rtol=1e-5, atol=1e-7)


def test_solve_ivp_and_odeint_give_the_same_gradient():
    y0, k, damping = np.array([0.8, -0.3]), 1.4, 0.2
    by_ivp = pb.grad(ivp_loss, (0, 1, 2))(y0, k, damping)

    def by_odeint(y0, k, damping):
        ys = odeint(oscillator, y0, np.linspace(0.0, 2.0, 5), args=(k, damping), rtol=1e-11,
                    atol=1e-11)  # fmt: skip
        return np.sum(ys**2) + ys[-1, 0]

    for a, b in zip(by_ivp, pb.grad(by_odeint, (0, 1, 2))(y0, k, damping), strict=True):
        assert_close(a, b, rtol=1e-6, atol=1e-8)


def test_solve_ivp_without_t_eval_is_refused_with_a_reason():
    def f(y0):
        sol = solve_ivp(driven, (0.0, 1.0), y0, args=(1.0, 0.1))
        return np.sum(sol.y[:, -1])

    for mode in MODES:
        with pytest.raises(pb.PullbackError, match="t_eval"):
            pb.grad(f, mode=mode)(np.array([1.0, 0.0]))
