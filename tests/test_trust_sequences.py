"""Lists and tuples as operands of ``+``, ``*``, ``-``, ``/``: Python's meaning or NumPy's.

``lst + lst`` concatenates and ``lst * 3`` repeats, but ``x + [a, 1.0]`` and ``x * [a, 2.0]`` of
an array ``x`` are NumPy's broadcast arithmetic, and ``0.5 + [1.0]`` of a Python number is a
TypeError. Which one runs is known only at run time, so every mode must follow the values:
gradient, JVP and second derivative against finite differences.
"""

import numpy as np
import pytest
from fd import assert_close, numeric_grad

import pullback as pb

MODES = ("source", "tape", "graph")


def plus(x):
    return np.sum(np.sin(x + [x[0], 2.0]))


def plus_reflected(x):
    return np.sum(np.sin([x[1] * x[0], 2.0] + x))


def times(x):
    return np.sum(np.cos(x * [x[0], 2.0]))


def times_reflected(x):
    return np.sum([x[1], 2.0] * x * x)


def minus_and_divide(x):
    return np.sum(([x[1], 1.0] - x) / ([2.0, x[0]] + x * x))


def broadcast_rows(x):
    return np.sum(np.tanh(x * [x[0, 1], 3.0]) + [x[1, 0], 1.0])


def nested_lists(x):
    return np.sum(np.sin(x + [[x[0, 0], 1.0], [2.0, x[1, 1]]]))


def negated_list(x):
    return np.sum(np.exp(x / 3.0 - [1.5, x[0] * x[1]]) - [x[1], 2.0] * x)


def comprehension_plus_number(x):
    r = np.sum(x) * 1.3 + 0.4
    c = [np.sqrt(1.0 + r**2) + x[k] for k in range(2)]
    t = sum(c)
    return np.sum(t + r + c - 1.88)


C = np.array([1.16, 1.48])


def divided_by_list(x):
    return np.sum(x / [0.46, x[0] * x[1]]) + np.sum([0.19, 1.11] / x @ C)


def plain_array_by_list(x):
    return np.sum(C / [0.46, x[0] * x[1]])


def powers_and_matmul(x):
    return np.sum(x ** [2.0, 3.0]) + [x[1], 0.5] @ x + np.sum(np.exp([2.0, 3.0] - x))


def concatenated(x):
    a = [x[0], x[1]]
    b = a + [x[0] * x[1]] + a
    return b[0] * b[2] + np.sin(b[3]) * b[4]


def self_concatenated(x):
    a = [x[0], np.sin(x[1])]
    b = a + a  # the same list on both sides: each side's adjoint is its own half
    return b[0] * b[3] + b[1] * 2.0


def repeated(x):
    a = [x[0], np.sin(x[1])]
    b = 2 * a
    c = a * 2
    return b[0] * b[3] + c[1] * c[2] * x[0]


def list_then_array(x):
    a = [x[0], x[1]]
    b = a + [x[0] * 2.0]  # a list of three
    return np.sum(x * b[:2]) + b[2] * np.sum(np.asarray(b) ** 2)


CASES = [
    (plus, (2,)),
    (plus_reflected, (2,)),
    (times, (2,)),
    (times_reflected, (2,)),
    (minus_and_divide, (2,)),
    (broadcast_rows, (2, 2)),
    (nested_lists, (2, 2)),
    (negated_list, (2,)),
    (comprehension_plus_number, (2,)),
    (divided_by_list, (2,)),
    (powers_and_matmul, (2,)),
    (concatenated, (2,)),
    (self_concatenated, (2,)),
    (repeated, (2,)),
    (list_then_array, (2,)),
]


def _inputs(shape):
    rng = np.random.default_rng(sum(shape) + 7)
    return [rng.uniform(-1.2, 1.2, size=shape) for _ in range(2)]


@pytest.mark.parametrize("f, shape", CASES, ids=lambda c: getattr(c, "__name__", ""))
@pytest.mark.parametrize("mode", MODES)
def test_first_derivatives_follow_the_values(f, shape, mode):
    for x in _inputs(shape):
        before = x.copy()
        expected = numeric_grad(f, (x,))
        assert_close(pb.grad(f, mode=mode)(x), expected)
        v = np.linspace(0.5, -0.7, x.size).reshape(shape)
        value, tangent = pb.jvp(f, (x,), (v,), mode=mode)
        assert_close(value, f(x))
        assert_close(tangent, float(np.sum(expected * v)))
        np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize("f, shape", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_second_derivatives_follow_the_values(f, shape):
    x = _inputs(shape)[0]
    expected = numeric_grad(lambda y: pb.grad(f)(y).ravel() @ np.ones(x.size), (x,))
    got = pb.hessian(f)(x).reshape(x.size, x.size).sum(axis=0).reshape(shape)
    assert_close(got, expected, rtol=1e-4, atol=1e-5)


def number_plus_list(x):
    a = x + x * x
    return a + [a, 2.0]


def number_times_list(x):
    return np.sum(x * [x, 2.0])


@pytest.mark.parametrize("f", [number_plus_list, number_times_list])
@pytest.mark.parametrize("mode", MODES)
def test_a_python_number_with_a_list_raises_as_python_does(f, mode):
    with pytest.raises(TypeError, match="unsupported operand|can't multiply|can only concat"):
        f(0.7)
    for how in ("grad", "jvp"):
        with pytest.raises(TypeError, match="unsupported operand|can't multiply|can only concat"):
            if how == "grad":
                pb.grad(f, mode=mode)(0.7)
            else:
                pb.jvp(f, (0.7,), (1.0,), mode=mode)


def numpy_scalar_times_list(x):
    s = np.sum(x)  # a NumPy scalar
    c = [x[0], 2.0]
    return sum(c * s)  # list * np.float64: TypeError, as np.float64 * list


def numpy_scalar_plus_list(x):
    s = np.sum(x)
    return np.sum([x[0], 2.0] + s) + np.sum(s - [x[1], 1.0])  # NumPy's: broadcast


@pytest.mark.parametrize("mode", MODES)
def test_a_numpy_scalar_with_a_list_does_what_numpy_does(mode):
    x = np.array([0.3, -0.8])
    with pytest.raises(TypeError, match="can't multiply sequence"):
        numpy_scalar_times_list(x)
    for how in ("grad", "jvp"):
        with pytest.raises(TypeError, match="can't multiply sequence"):
            if how == "grad":
                pb.grad(numpy_scalar_times_list, mode=mode)(x)
            else:
                pb.jvp(numpy_scalar_times_list, (x,), (np.ones(2),), mode=mode)
    expected = numeric_grad(numpy_scalar_plus_list, (x,))
    assert_close(pb.grad(numpy_scalar_plus_list, mode=mode)(x), expected)
    tangent = pb.jvp(numpy_scalar_plus_list, (x,), (np.ones(2),), mode=mode)[1]
    assert_close(tangent, float(np.sum(expected)))


def test_a_plain_arrays_operator_with_traced_entries():
    """``C / [0.46, t]`` of a plain array ``C``: NumPy's own operator converts the list without
    a hook, so tape and graph modes refuse clearly; source mode differentiates it."""
    x = np.array([0.7, -1.1])
    assert_close(pb.grad(plain_array_by_list)(x), numeric_grad(plain_array_by_list, (x,)))
    for mode in ("tape", "graph"):
        with pytest.raises(pb.PullbackError, match="np.stack"):
            pb.grad(plain_array_by_list, mode=mode)(x)
