"""Source mode, forward and higher order: symbolic zeros in tangents, Hessians through custom
rules, Jacobians of some of the arguments, pytree primals, and the cost of calling ``pb.jvp``.

Values are checked against finite differences (``pullback.numeric``).
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from corpus import CORPUS

import pullback as pb
from pullback.source.forward_mode import generated_jvp

RNG = np.random.default_rng(4)
X = RNG.normal(size=(6, 3))
T = RNG.normal(size=(6, 2))


def mlp_loss(W1, b1, W2, b2, X, T):
    h = np.tanh(X @ W1 + b1)
    y = h @ W2 + b2
    return np.mean((y - T) ** 2)


def params_loss(W1, b1, W2, b2):
    return mlp_loss(W1, b1, W2, b2, X, T)


PARAMS = (RNG.normal(size=(3, 4)), RNG.normal(size=4), RNG.normal(size=(4, 2)), RNG.normal(size=2))


def test_hvp_keeps_zero_tangents_of_inactive_inputs_symbolic():
    vs = tuple(RNG.normal(size=np.shape(p)) for p in PARAMS)
    got = pb.hvp(params_loss, PARAMS, vs)
    gradient = pb.grad(params_loss, (0, 1, 2, 3))
    for k in range(4):
        column = pb.numeric.jvp(lambda *ps, k=k: gradient(*ps)[k], PARAMS, vs)[1]
        np.testing.assert_allclose(got[k], column, rtol=1e-5, atol=1e-7)
    # the data X, saved on the gradient's tape, gets no array of zeros as its tangent
    gen, _ = generated_jvp(gradient, (0, 1, 2, 3))
    text = gen.__pullback_module__.text
    assert "zero_tangent(X)" not in text
    assert "W1_dot, W2_dot, None," in text
    # the backward sweep's JVP knows which saved entries have tangents: no run-time checks
    assert "is not None" not in text and "X_dot" not in text
    # tanh's adjoint is safe_mul(h_bar, 1 - h * h) (a zero adjoint stays zero through a NaN
    # partial); its tangent is safe_mul's own, which keeps those zeros too
    assert "safe_mul(" in text


def test_tuple_concatenation_with_a_constant_side():
    def f(x):
        t = (x, np.exp(x))
        u = (2.0,) + t + (x,)
        return u[0] * u[1] * u[2] + u[3]

    value, tangent = pb.jvp(f, (0.5,), (1.0,))
    assert np.isclose(tangent, pb.numeric.grad(f)(0.5))
    assert np.isclose(pb.hessian(f)(0.5), pb.numeric.grad(pb.grad(f))(0.5), rtol=1e-6)


def scale(x):
    return 2.0 * x


def uses_scale(x):
    return scale(x) * x


def test_jvp_fast_path_follows_redefinitions():
    def f(x):
        return np.log(x * x)

    for _ in range(2):  # the second call takes the fast path
        value, tangent = pb.jvp(f, (3.0,), (1.0,))
        assert tangent.__class__ is float and np.isclose(tangent, 2.0 / 3.0)
        value, tangent = pb.jvp(f, (np.array([1.0, 3.0]),), (np.ones(2),))
        np.testing.assert_allclose(tangent, [2.0, 2.0 / 3.0])
    value, tangent = pb.jvp(f, (3.0,), (2,))  # not plain floats: the checked path
    assert np.isclose(tangent, 4.0 / 3.0)

    def cubed():
        def f(x):
            return x * x * x

        return f

    f.__code__ = cubed().__code__
    assert pb.jvp(f, (2.0,), (1.0,)) == (8.0, 12.0)

    assert pb.jvp(uses_scale, (3.0,), (1.0,))[1] == 12.0
    global scale
    original = scale
    try:

        def scale(x):  # noqa: F811  (a helper redefined after the first call)
            return 3.0 * x

        assert pb.jvp(uses_scale, (3.0,), (1.0,))[1] == 18.0
    finally:
        scale = original


def test_value_and_grad_and_hvp_of_floats_take_the_fast_path():
    def f(x):
        return np.log(x * x)

    assert pb.value_and_grad(f)(3.0) == (np.log(9.0), 2.0 / 3.0)
    assert pb.value_and_grad(f)(3.0)[1].__class__ is float
    assert np.isclose(pb.hvp(f, (3.0,), (1.0,)), -2.0 / 9.0)


# -- custom rules at second order and as the function differentiated --------------------------


@pb.custom_jvp
def sin_times(x, a):
    return np.sin(x) * a


@sin_times.defjvp
def sin_times_jvp(primals, tangents):
    (x, a), (x_dot, a_dot) = primals, tangents
    return sin_times(x, a), np.cos(x) * a * x_dot + np.sin(x) * a_dot


def through_custom_jvp(x):
    return sin_times(x * x, 1.5) * x + np.sum(sin_times(x, x))


@pb.custom_vjp
def halved_gradient(x):
    return np.tanh(x)


def halved_fwd(x):
    return np.tanh(x), x


def halved_bwd(x, g):
    return (0.5 * g * (1.0 - np.tanh(x) ** 2),)


halved_gradient.defvjp(halved_fwd, halved_bwd)


def test_hessian_and_grad_of_grad_through_a_custom_jvp():
    for x in (0.3, -1.1):
        gradient = pb.grad(through_custom_jvp)
        second = pb.numeric.grad(gradient)(x)
        assert np.isclose(pb.grad(pb.grad(through_custom_jvp))(x), second, rtol=1e-6)
        assert np.isclose(pb.hessian(through_custom_jvp)(x), second, rtol=1e-6)
    xs = np.array([0.3, -0.7, 1.2])

    def on_arrays(x):
        return np.sum(sin_times(x, x * x))

    np.testing.assert_allclose(
        pb.hessian(on_arrays)(xs),
        pb.jacobian(pb.grad(on_arrays), mode="numeric")(xs),
        rtol=1e-5,
        atol=1e-8,
    )


def test_a_custom_function_differentiated_itself_uses_its_rule():
    x = 0.4
    assert np.isclose(pb.grad(halved_gradient)(x), 0.5 * (1.0 - np.tanh(x) ** 2))
    value, vjp_fn = pb.vjp(halved_gradient, x)
    assert np.isclose(vjp_fn(1.0)[0], 0.5 * (1.0 - np.tanh(x) ** 2))
    assert np.isclose(pb.jvp(sin_times, (x, 2.0), (1.0, 0.0))[1], np.cos(x) * 2.0)
    assert np.isclose(pb.grad(sin_times, 1)(x, 2.0), np.sin(x))
    assert np.isclose(pb.hessian(sin_times)(x, 2.0), -np.sin(x) * 2.0)


# -- Jacobians of some of the arguments, pytree primals ---------------------------------------


def three_args(x, y, z, scale=1.0):
    return x * np.sin(y) * z**2 * scale


def test_jacobian_of_a_subset_of_the_arguments():
    args = (np.array([1.0, 2.0]), 0.7, np.array([3.0, -1.0]))
    for argnums in (1, (2, 0), (0, 1, 2)):
        expected = pb.jacobian(three_args, argnums, mode="numeric")(*args)
        for direction in ("rev", "fwd"):
            got = pb.jacobian(three_args, argnums, direction=direction)(*args)
            if isinstance(argnums, int):
                got, expected_ = (got,), (expected,)
            else:
                expected_ = expected
            for g, e in zip(got, expected_, strict=True):
                np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-9)
    for direction in ("rev", "fwd"):  # a keyword argument stays fixed
        got = pb.jacobian(three_args, 2, direction=direction)(*args, scale=2.0)
        np.testing.assert_allclose(got, 2.0 * pb.jacobian(three_args, 2)(*args), rtol=1e-12)


def test_vjp_and_jvp_of_pytree_primals():
    def f(params, pair):
        return params["w"] * np.sin(params["b"]) + pair[0] * pair[1]

    params = {"w": np.array([1.0, 2.0]), "b": 0.3}
    pair = (0.5, np.array([2.0, -1.0]))
    value, vjp_fn = pb.vjp(f, params, pair)
    ct = np.array([1.0, -2.0])
    g_params, g_pair = vjp_fn(ct)
    assert set(g_params) == {"w", "b"} and isinstance(g_pair, tuple)
    np.testing.assert_allclose(g_params["w"], ct * np.sin(0.3))
    assert np.isclose(g_params["b"], np.sum(ct * params["w"] * np.cos(0.3)))
    assert np.isclose(g_pair[0], np.sum(ct * pair[1]))
    np.testing.assert_allclose(g_pair[1], ct * 0.5)

    t_params = {"w": np.array([0.1, 0.2]), "b": 1.0}
    t_pair = (2.0, np.array([0.0, 1.0]))
    _, tangent = pb.jvp(f, (params, pair), (t_params, t_pair))
    _, numeric = pb.numeric.jvp(f, (params, pair), (t_params, t_pair))
    np.testing.assert_allclose(tangent, numeric, rtol=1e-6)
    # <ct, J t> two ways
    dot_rev = sum(
        np.sum(a * b)
        for a, b in [
            (g_params["w"], t_params["w"]),
            (g_params["b"], t_params["b"]),
            (g_pair[0], t_pair[0]),
            (g_pair[1], t_pair[1]),
        ]
    )
    assert np.isclose(dot_rev, np.sum(ct * tangent))


# -- reverse over reverse across the corpus ---------------------------------------------------

SCALAR_CASES = [
    c
    for c in CORPUS
    if "source" in c.modes
    and not c.kwargs
    and c.name != "stop_gradient"  # differences see through the stop
    and isinstance(c.args[c.argnums if isinstance(c.argnums, int) else c.argnums[0]], float)
]


@pytest.mark.parametrize("case", SCALAR_CASES, ids=[c.name for c in SCALAR_CASES])
def test_grad_of_grad_matches_differences_of_the_gradient(case):
    k = case.argnums if isinstance(case.argnums, int) else case.argnums[0]
    gradient = pb.grad(case.fn, k)
    got = pb.grad(gradient, k)(*copy.deepcopy(case.args))
    expected = pb.numeric.grad(gradient, k)(*copy.deepcopy(case.args))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_tangents_summed_in_place_leave_the_callers_arrays_alone():
    def f(x, y, W):
        z = x * y
        return np.tanh(z @ W) * z[:, :1]

    x, y, W = RNG.normal(size=(70, 70)), RNG.normal(size=70), RNG.normal(size=(70, 70))
    tx, ty, tW = (RNG.normal(size=np.shape(a)) for a in (x, y, W))
    before = [a.copy() for a in (x, y, W, tx, ty, tW)]
    _, tangent = pb.jvp(f, (x, y, W), (tx, ty, tW))
    _, numeric = pb.numeric.jvp(f, (x, y, W), (tx, ty, tW))
    np.testing.assert_allclose(tangent, numeric, rtol=1e-5, atol=1e-6)
    for a, b in zip((x, y, W, tx, ty, tW), before, strict=True):
        np.testing.assert_array_equal(a, b)
    gen, _ = generated_jvp(f, (0, 1, 2))
    assert "z_dot += " in gen.__pullback_module__.text


def test_a_fresh_tangent_read_once_is_scaled_in_place():
    # (by a value of the function, exp's own: a computed partial, tanh's 1 - h**2, goes
    # through safe_mul, so that a zero tangent stays zero where the partial is inf)
    def f(x, y):
        h = np.exp(0.1 * (x + y))
        return h * x

    x, y = RNG.normal(size=(80, 80)), RNG.normal(size=80)
    tx, ty = RNG.normal(size=(80, 80)), RNG.normal(size=80)
    before = [a.copy() for a in (x, y, tx, ty)]
    _, tangent = pb.jvp(f, (x, y), (tx, ty))
    _, numeric = pb.numeric.jvp(f, (x, y), (tx, ty))
    np.testing.assert_allclose(tangent, numeric, rtol=1e-5, atol=1e-6)
    for a, b in zip((x, y, tx, ty), before, strict=True):
        np.testing.assert_array_equal(a, b)
    gen, _ = generated_jvp(f, (0, 1))
    assert "x_plus_y_dot *= " in gen.__pullback_module__.text
