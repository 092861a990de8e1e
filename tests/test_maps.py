"""``map`` and ``filter`` in differentiated code (read as list comprehensions in source mode):
with a ``functools.partial``, a lambda over two sequences, a NumPy function, a filter with a
lambda; gradients and tangents against finite differences in every mode."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from fd import assert_close, numeric_grad

import pullback as pb

MODES = ["source", "tape", "graph"]


def with_partial(x):
    return np.sum(list(map(functools.partial(np.multiply, 2.0), [x, x * x]))[1])


def with_a_lambda(x):
    w = np.cos(x[0])
    return sum(map(lambda a, b: np.sum(a * b * w), [x, x], [x, 2.0 * x]))


def with_filter(x):
    return np.sum(np.array(list(filter(lambda v: v > 0, [x[0], x[1], -1.0]))) ** 2)


def with_numpy(x):
    return np.sum(np.stack(list(map(np.sin, [x, 2.0 * x]))))


def map_of_a_shadowed_name(x):
    map = {"k": 2.0}  # a local of that name is not Python's map
    return np.sum(x * map["k"])


CASES = [with_partial, with_a_lambda, with_filter, with_numpy, map_of_a_shadowed_name]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f", CASES, ids=[f.__name__ for f in CASES])
def test_map_and_filter(f, mode):
    x = np.array([0.5, 1.5])
    g = pb.grad(f, mode=mode)(x)
    assert_close(g, numeric_grad(f, (x,)))
    v = np.array([0.3, -1.0])
    assert_close(pb.jvp(f, (x,), (v,), mode=mode)[1], np.dot(g, v))
