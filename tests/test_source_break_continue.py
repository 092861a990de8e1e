"""for loops with break and continue in source mode: the forward sweep stays a for loop with
break/continue, the adjoint sweep runs the iterations that ran backwards; forward mode and
higher orders go through the same code."""

from __future__ import annotations

import numpy as np
import pytest

import pullback as pb


def first_big(x):
    total = 0.0
    for i in range(10):
        if i % 2 == 1:
            continue
        total = total + x * i
        if total > 5.0:
            break
    return total


def stepped_range(x):
    total = 0.0
    for i in range(3, 20, 3):
        total = total + np.sin(x * i)
        if i > 10:
            break
    return total


def over_a_list(x):
    total = 0.0
    for w in [0.5, 1.5, -2.0, 3.0]:
        if w < 0:
            break
        total = total + w * x * x
    return total


def inactive_after_break(x):
    y = x * 0.0
    for i in range(5):
        y = x * i
        if i == 3:
            y = 2.0
            break
    return y * x


def nested(x):
    total = 0.0
    for i in range(4):
        for j in range(4):
            if j > i:
                break
            total = total + x ** (j + 1)
        if total > 30.0:
            break
    return total


def nested_exit_in_a_branch(x):
    total = 0.0
    for i in range(6):
        if i > 1:
            if i % 2 == 0:
                continue
            total = total - x
        total = total + x * x * i
    return total


def with_array(x):
    total = 0.0
    for i in range(len(x)):
        if x[i] < 0:
            continue
        total = total + x[i] ** 3
        if total > 10.0:
            break
    return total


CASES = [
    (first_big, 0.4),
    (first_big, 3.0),
    (stepped_range, 0.3),
    (over_a_list, 0.7),
    (inactive_after_break, 0.6),
    (nested, 1.3),
    (nested_exit_in_a_branch, 0.8),
    (with_array, np.array([1.0, -0.5, 1.5, 2.0, 0.5])),
]


@pytest.mark.parametrize("f, x", CASES)
def test_gradient(f, x):
    np.testing.assert_allclose(pb.grad(f)(x), pb.numeric.grad(f)(x), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("f, x", CASES)
def test_forward_mode(f, x):
    t = np.ones_like(x) if isinstance(x, np.ndarray) else 1.0
    _, tangent = pb.jvp(f, (x,), (t,))
    expected = np.sum(pb.numeric.grad(f)(x) * t)
    np.testing.assert_allclose(tangent, expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("f, x", [c for c in CASES if not isinstance(c[1], np.ndarray)])
def test_second_order(f, x):
    df = pb.grad(f)
    expected = (df(x + 1e-5) - df(x - 1e-5)) / 2e-5
    assert pb.grad(df)(x) == pytest.approx(expected, rel=1e-5, abs=1e-6)
    assert pb.hessian(f)(x) == pytest.approx(expected, rel=1e-5, abs=1e-6)


def test_the_forward_sweep_keeps_break_and_continue():
    text = pb.source(pb.grad(first_big))
    assert "for i in range(10):" in text
    assert "        if i_mod_2_eq_1:\n            continue" in text
    assert "break" in text and "for i in reversed(range(iterations)):" in text
    assert "while" not in text and "position" not in text
    stepped = pb.source(pb.grad(stepped_range))
    assert "reversed(range(3, 20, 3)[:iterations])" in stepped
