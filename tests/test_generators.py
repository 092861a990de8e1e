"""Generators consumed by the differentiated code (a helper that yields the layers of a
network, terms of a series, ``yield from``): read as the lists they yield in source mode;
gradients and tangents against finite differences in every mode. A generator that might not
end (a ``while`` loop) is refused before running."""

from __future__ import annotations

import numpy as np
import pytest
from fd import assert_close, numeric_grad

import pullback as pb

MODES = ["source", "tape", "graph"]
SHAPES = [(3, 4), (4, 2)]


def unpack_layers(weights):
    for m, n in SHAPES:
        yield weights[: m * n].reshape((m, n)), weights[m * n : m * n + n]
        weights = weights[(m + 1) * n :]


def network(weights, inputs):
    for W, b in unpack_layers(weights):
        outputs = inputs @ W + b
        inputs = np.tanh(outputs)
    return np.sum(outputs**2)


def terms(x):
    for k in range(3):
        yield x**k
    yield from [np.sin(x), np.cos(x)]


def series(x):
    def halves(y):
        for k in range(2):
            yield y * (k + 0.5)
        return

    return np.sum(sum(terms(x))) + np.sum(list(halves(x))[1] ** 2)


@pytest.mark.parametrize("mode", MODES)
def test_a_generator_of_layers(mode):
    rng = np.random.default_rng(0)
    w, x = rng.normal(size=3 * 4 + 4 + 4 * 2 + 2), rng.normal(size=(5, 3))
    g = pb.grad(network, mode=mode)(w, x)
    assert_close(g, numeric_grad(network, (w, x)))
    v = rng.normal(size=w.shape)
    assert_close(pb.jvp(lambda w: network(w, x), (w,), (v,), mode=mode)[1], np.dot(g, v))


@pytest.mark.parametrize("mode", MODES)
def test_nested_generators_and_yield_from(mode):
    x = np.array([0.5, 1.5, -0.3])
    g = pb.grad(series, mode=mode)(x)
    assert_close(g, numeric_grad(series, (x,)))
    assert_close(pb.hessian(series, mode=mode)(x), pb.hessian(series, mode="tape")(x))


def until_small(x):
    while np.max(np.abs(x)) > 0.1:
        x = x / 2.0
        yield x


def uses_until_small(x):
    return np.sum(sum(until_small(x)))


def test_a_generator_that_might_not_end_is_refused_before_running():
    with pytest.raises(pb.UnsupportedSyntaxError, match="generator") as info:
        pb.grad(uses_until_small)(np.array([1.0, 2.0]))
    assert "test_generators.py" in str(info.value)
    x = np.array([1.0, 2.0])  # tape mode runs it
    assert_close(pb.grad(uses_until_small, mode="tape")(x), numeric_grad(uses_until_small, (x,)))
