"""Source mode, forward and higher order: symbolic zeros in tangents, Hessians through custom
rules, Jacobians of some of the arguments, pytree primals, and the cost of calling ``pb.jvp``.

Values are checked against finite differences (``pullback.numeric``).
"""

from __future__ import annotations

import numpy as np

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
    assert "(W1_dot, W2_dot, None," in text


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
