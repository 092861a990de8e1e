"""Source mode, forward: generated JVP functions on every construct of the corpus.

Each corpus case's tangent is checked against central differences along a random direction,
and against the reverse-mode gradient (forward and reverse must agree).
"""

from __future__ import annotations

import copy
import re

import numpy as np
import pytest
from corpus import CORPUS
from fd import numeric_grad

import pullback as pb
from pullback import pytree
from pullback.source import source
from pullback.source.forward_mode import generated_jvp

SOURCE_CASES = [c for c in CORPUS if "source" in c.modes]


def random_like(x, rng):
    leaves, tdef = pytree.flatten(x)
    return pytree.unflatten(
        tdef, [rng.normal(size=np.shape(v)) if np.ndim(v) else float(rng.normal()) for v in leaves]
    )


def tree_dot(a, b) -> float:
    return sum(
        float(np.sum(np.asarray(x) * np.asarray(y)))
        for x, y in zip(pytree.flatten(a)[0], pytree.flatten(b)[0], strict=False)
    )


def directions(case, rng):
    nums = (case.argnums,) if isinstance(case.argnums, int) else tuple(case.argnums)
    tangents = [None] * len(case.args)
    for i in nums:
        tangents[i] = random_like(case.args[i], rng)
    return nums, tangents


def call(case):
    if not case.kwargs:
        return case.fn
    return lambda *args: case.fn(*args, **case.kwargs)


@pytest.mark.parametrize("case", SOURCE_CASES, ids=[c.name for c in SOURCE_CASES])
def test_jvp_matches_finite_differences_and_reverse(case):
    if case.kwargs:
        pytest.skip("keyword arguments are not primals")
    rng = np.random.default_rng(3)
    nums, tangents = directions(case, rng)
    value, tangent = pb.jvp(case.fn, case.args, tangents)
    np.testing.assert_allclose(value, case.fn(*copy.deepcopy(case.args)))  # it may mutate
    grads = pb.grad(case.fn, case.argnums)(*case.args)
    grads = (grads,) if isinstance(case.argnums, int) else grads
    from_reverse = sum(tree_dot(g, tangents[i]) for g, i in zip(grads, nums, strict=False))
    np.testing.assert_allclose(tangent, from_reverse, rtol=1e-9, atol=1e-12)
    if case.name == "stop_gradient":
        return  # finite differences see through stop_gradient
    numeric = numeric_grad(case.fn, case.args, case.argnums)
    numeric = (numeric,) if isinstance(case.argnums, int) else numeric
    expected = sum(tree_dot(g, tangents[i]) for g, i in zip(numeric, nums, strict=False))
    np.testing.assert_allclose(tangent, expected, rtol=1e-5, atol=1e-6)


# -- the generated code ------------------------------------------------------------------------


def log_square(x):
    a = x * x
    return np.log(a)


def test_generated_jvp_reads_like_math():
    gen, names = generated_jvp(log_square, (0,))
    text = source(gen)
    assert names == ["x_dot"]
    assert "def jvp_log_square(x, *, x_dot):" in text
    assert "a_dot = x_dot * x + x_dot * x" in text or "a_dot = " in text
    assert "np.divide" in text or "/ a" in text
    assert pb.jvp(log_square, (3.0,), (1.0,)) == (np.log(9.0), pytest.approx(2 / 3))


def inactive_input(x, c):
    return np.sin(x) * c


def test_an_inactive_input_has_no_tangent():
    gen, _ = generated_jvp(inactive_input, (0,))
    assert not re.search(r"\bc_dot\b", source(gen))


def add_wide(x, c):
    return x + c


@pytest.mark.parametrize("x_shape, c_shape", [((3, 1), (3, 4)), ((), (2, 3)), ((4,), (3, 4))])
def test_tangent_has_the_shape_of_the_output_under_broadcasting(x_shape, c_shape):
    rng = np.random.default_rng(0)
    x = rng.normal(size=x_shape) if x_shape else 0.3
    c = rng.normal(size=c_shape)
    t = rng.normal(size=x_shape) if x_shape else 1.0
    value, tangent = pb.jvp(add_wide, (x, c), (t, None))
    assert np.shape(tangent) == np.shape(value)
    np.testing.assert_allclose(tangent, np.broadcast_to(t, np.shape(value)))


def times_n(x, n):
    return x * n + np.sin(x)


@pytest.mark.parametrize("zero", [None, 0])
def test_integer_primal_tangent_may_be_none_or_zero(zero):
    value, tangent = pb.jvp(times_n, (0.5, 3), (1.0, zero))
    assert tangent == pytest.approx(3 + np.cos(0.5))
    assert isinstance(tangent, float)


def test_python_float_in_python_float_out_and_arrays_stay_arrays():
    _, t = pb.jvp(np.sin, (0.2,), (1.0,)) if False else pb.jvp(log_square, (0.2,), (1.0,))
    assert type(t) is float
    _, t = pb.jvp(log_square, (np.array([0.2, 0.4]),), (np.ones(2),))
    assert isinstance(t, np.ndarray) and t.shape == (2,)


def tree_fn(params, x):
    return np.sum(np.tanh(params["w"] * x + params["b"][0]))


def test_pytree_primals_and_tangents():
    params = {"w": np.array([0.1, 0.2, 0.3]), "b": (0.5,)}
    tangents = {"w": np.array([1.0, 0.0, -1.0]), "b": (2.0,)}
    _, t = pb.jvp(tree_fn, (params, 0.7), (tangents, None))
    numeric = pb.numeric.jvp(lambda p: tree_fn(p, 0.7), (params,), (tangents,))[1]
    np.testing.assert_allclose(t, numeric, rtol=1e-6)


def ten_to_ten(x):
    y = np.tanh(x) * x[::-1]
    for _ in range(2):
        y = np.sin(y) + 0.1 * np.roll(y, 1)
    return y


def test_jacobian_forward_and_reverse_agree():
    x = np.linspace(-1.0, 1.0, 10)
    fwd = pb.jacobian(ten_to_ten, direction="fwd")(x)
    rev = pb.jacobian(ten_to_ten, direction="rev")(x)
    assert fwd.shape == (10, 10)
    np.testing.assert_allclose(fwd, rev, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fwd, pb.jacobian(ten_to_ten, mode="numeric")(x), atol=1e-6)


def two_args(x, y):
    return np.sin(x) * y


def test_jacobian_of_one_argument_among_several():
    fwd = pb.jacobian(two_args, argnums=1, direction="fwd")(0.3, np.array([1.0, 2.0]))
    np.testing.assert_allclose(fwd, np.diag(np.full(2, np.sin(0.3))))


def loop_then_stack(x):
    xs = []
    for _i in range(3):
        x = x * 1.5 + np.sin(x)
        xs.append(x)
    total = 0.0
    while xs:
        total = total + xs.pop() * 2.0
    return total


def test_list_pushes_and_pops_carry_tangents():
    _, t = pb.jvp(loop_then_stack, (0.4,), (1.0,))
    assert t == pytest.approx(pb.numeric.derivative(loop_then_stack, 0.4), rel=1e-6)
