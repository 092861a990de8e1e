"""Callees with ``*args`` and ``**kwargs``: specialized per call (the count of extra
arguments and the keyword names), so a differentiated value passed through them gets its
derivative; against finite differences in source, tape and graph modes."""

from __future__ import annotations

import numpy as np
import pytest
from fd import assert_close, numeric_grad

import pullback as pb

MODES = ["source", "tape", "graph"]


def concat_and_multiply(weights, *args):
    cat_state = np.hstack(args + (np.ones((args[0].shape[0], 1)),))
    return np.dot(cat_state, weights)


def with_options(x, scale=1.0, **options):
    return x * scale * options["gain"] + options.get("shift", 0.0)


def rnn_like(w, x, h):
    h = np.tanh(concat_and_multiply(w, x, h))
    return np.sum(h**2) + np.sum(with_options(x, 2.0, gain=w[0, 0], shift=w[1, 1]))


def three_ways(x):
    return sum_all(x) + sum_all(x, x * 2.0) + sum_all(x, x, np.sin(x))


def sum_all(*parts):
    total = 0.0
    for p in parts:
        total = total + np.sum(p**2)
    return total


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("seed", [0, 1])
def test_args_and_kwargs_of_a_callee(mode, seed):
    rng = np.random.default_rng(seed)
    w, x, h = rng.normal(size=(6, 2)), rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    g = pb.grad(rnn_like, (0, 1, 2), mode=mode)(w, x, h)
    for got, want in zip(g, numeric_grad(rnn_like, (w, x, h), argnums=(0, 1, 2)), strict=True):
        assert_close(got, want)
    tangent = pb.jvp(rnn_like, (w, x, h), (h[:1, :1] * w, x, h), mode=mode)[1]
    directions = (h[:1, :1] * w, x, h)
    assert_close(tangent, sum(np.sum(a * b) for a, b in zip(g, directions, strict=True)))


@pytest.mark.parametrize("mode", MODES)
def test_one_callee_called_with_different_counts(mode):
    x = np.array([0.3, -1.0, 2.0])
    assert_close(pb.grad(three_ways, mode=mode)(x), numeric_grad(three_ways, (x,)))
    assert_close(pb.hessian(three_ways, mode=mode)(x), pb.hessian(three_ways, mode="tape")(x))


def test_an_unpacked_differentiated_value_is_refused_not_silently_zero():
    def f(x):
        parts = [x, x * 2.0]
        return sum_all(*parts)

    with pytest.raises(pb.UnsupportedSyntaxError, match=r"star-arguments"):
        pb.grad(f)(np.ones(2))
