"""Calls whose function is known only when running: objects' methods in a loop over a list,
functions taken from a dict or a list, ``functools.partial``, callable objects, ``pb.grad``
called inside the differentiated function. Gradients and tangents against finite differences,
in source, tape and graph modes; what source mode does not follow is a clear error."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from fd import assert_close, gradient_differences, numeric_grad

import pullback as pb

MODES = ["source", "tape", "graph"]


class Dense:
    def __init__(self, w, b):
        self.w = w
        self.b = b

    def forward(self, h, scale=1.0):
        return np.tanh(scale * (h @ self.w) + self.b)


RNG = np.random.default_rng(0)
LAYERS = [Dense(RNG.normal(size=(3, 4)), RNG.normal(size=4)), Dense(RNG.normal(size=(4, 2)), 0.1)]


def network(x):
    h = x
    for layer in LAYERS:
        h = layer.forward(h, scale=0.5)
    return np.sum(h**2)


def cube_sum(x):
    return np.sum(x**3)


TABLE = {"squash": np.sin, "cube": cube_sum, "scaled": functools.partial(np.multiply, 3.0)}


def from_a_dict(x):
    first = TABLE["squash"]
    then = TABLE["scaled"]
    last = TABLE["cube"]
    return last(then(first(x))) + np.sum(x)


class Quadratic:
    def __init__(self, a):
        self.a = a

    def __call__(self, x):
        return self.a * x * x


CALLABLES = [Quadratic(2.0), np.exp]


def callable_objects(x):
    total = 0.0
    for f in CALLABLES:
        total = total + np.sum(f(x))
    return total


def log_density(x):
    return -0.5 * np.sum(x**4) + np.sum(np.cos(x))


def newton_step(x):
    g = pb.grad(log_density)(x)
    return np.sum((x + 0.1 * g) ** 2)


def of_an_argument(x, model):
    return np.sum(model.forward(x)[0]) * 2.0


CASES = [network, from_a_dict, callable_objects, newton_step]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f", CASES, ids=[f.__name__ for f in CASES])
@pytest.mark.parametrize("seed", [1, 2])
def test_gradient_and_tangent_against_differences(f, mode, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=3)
    g = pb.grad(f, mode=mode)(x)
    assert_close(g, numeric_grad(f, (x,)))
    v = rng.normal(size=3)
    value, tangent = pb.jvp(f, (x,), (v,), mode=mode)
    assert_close(value, f(x), rtol=1e-12)
    assert_close(tangent, np.dot(g, v), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("mode", MODES)
def test_a_method_of_an_object_passed_in(mode):
    x = np.random.default_rng(3).normal(size=(2, 3))
    layer = LAYERS[0]
    g = pb.grad(of_an_argument, mode=mode)(x, layer)
    assert_close(g, numeric_grad(lambda x: of_an_argument(x, layer), (x,)))


def test_the_generated_code_calls_the_function_it_meets():
    text = pb.source(pb.grad(network))
    assert "call_forward(layer.forward" in text
    assert "call_backward(" in text


def test_tape_mode_gives_the_higher_derivative_source_mode_refuses():
    x = np.array([0.3, -0.7, 1.1])
    with pytest.raises(pb.UnsupportedSyntaxError, match="known only when running") as info:
        pb.hessian(network)(x)
    assert "mode='tape'" in str(info.value)
    h = pb.hessian(network, mode="tape")(x)
    assert_close(h, gradient_differences(pb.grad(network, mode="tape"), x), rtol=1e-5)


def closure_maker(w):
    def scaled(x):
        return w * x

    return scaled


def through_a_made_function(w, x):
    f = closure_maker(w)
    return np.sum(f(x))


def test_a_function_made_from_differentiated_values_is_refused_not_silently_zero():
    with pytest.raises(pb.UnsupportedSyntaxError, match="made from differentiated values"):
        pb.grad(through_a_made_function)(2.0, np.ones(3))


def no_rule(x):
    fns = [np.frexp]
    return np.sum(fns[0](x)[0])


def test_a_callee_without_rule_is_named_at_the_users_line():
    with pytest.raises(pb.PullbackError, match="frexp") as info:
        pb.grad(no_rule)(np.array([0.5, 3.0]))
    assert not isinstance(info.value, (KeyError, AttributeError, TypeError))


def through_the_gradient_of_a_ufunc(x):
    return np.sum(pb.grad(np.sqrt)(x[0]) * x)


@pytest.mark.parametrize("mode", MODES)
def test_the_derivative_of_a_numpy_function_itself(mode):
    assert_close(pb.grad(np.sqrt, mode=mode)(4.0), 0.25)
    assert_close(
        pb.grad(pb.grad(np.tanh, mode=mode), mode=mode)(0.5),
        numeric_grad(lambda t: 1.0 - np.tanh(t) ** 2, (0.5,)),
    )
    x = np.array([4.0, 1.0])
    g = pb.grad(through_the_gradient_of_a_ufunc, mode=mode)(x)
    assert_close(g, numeric_grad(through_the_gradient_of_a_ufunc, (x,)))


def test_the_derivative_of_a_numpy_function_reads_as_numpy():
    text = pb.source(pb.grad(np.sqrt))
    assert "np.sqrt(x)" in text
    assert_close(pb.grad(np.sum)(np.ones(3)), np.ones(3))  # defaults kept, out= left out


def array_method_without_rule(x):
    return np.sum(x.compress([True, False, True]) ** 2)


@pytest.mark.parametrize("transform", ["grad", "jvp"])
def test_an_array_method_without_rule_is_named_with_the_users_line(transform):
    x = np.array([1.0, 2.0, 3.0])
    with pytest.raises(pb.MissingRuleError, match="numpy.ndarray.compress") as info:
        if transform == "grad":
            pb.grad(array_method_without_rule)(x)
        else:
            pb.jvp(array_method_without_rule, (x,), (x,))
    assert "test_dynamic_calls.py" in "".join(getattr(info.value, "__notes__", []))
