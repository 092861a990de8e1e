"""Higher orders in source mode: every derivative below is generated code transformed again.

Hessians are forward over reverse (the JVP of a generated gradient, tape pushes and pops
included), ``hvp`` forms no Hessian, ``grad(grad(f))`` is reverse over reverse, and a third
derivative transforms a transformed function once more.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from corpus import CORPUS

import pullback as pb
from pullback.source import source
from pullback.source.forward_mode import generated_jvp

# stop_gradient: finite differences of the generated gradient see through the stop (which
# persists in the derivative, as in JAX); pytree_arg, dict_param_loops, reversed_list: jacobian
# of a dict or list argument
SKIP = {"stop_gradient", "pytree_arg", "dict_param_loops", "reversed_list"}
CASES = [c for c in CORPUS if "source" in c.modes and not c.kwargs and c.name not in SKIP]


def first(argnums):
    return argnums if isinstance(argnums, int) else argnums[0]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hessian_matches_differences_of_the_gradient(case):
    k = first(case.argnums)
    hessian = pb.hessian(case.fn, k)(*copy.deepcopy(case.args))
    gradient = pb.grad(case.fn, k)
    numeric = pb.jacobian(gradient, k, mode="numeric")(*copy.deepcopy(case.args))
    np.testing.assert_allclose(hessian, numeric, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_check_grads_to_second_order(case):
    if isinstance(case.argnums, int) and len(case.args) > 1:
        pytest.skip("check_grads differentiates every argument")
    if case.name == "index_assign_arg":
        pytest.skip("the plain function mutates its argument, which finite differences call")
    pb.check_grads(case.fn, copy.deepcopy(case.args), order=2, mode="source", atol=1e-5, rtol=1e-4)


def loss(w):
    h = np.tanh(w * 1.5 - 0.2)
    total = 0.0
    for i in range(3):
        total = total + np.sum(h * h) * (i + 1.0)
    return total + np.sum(w**4)


def test_hvp_without_forming_the_hessian():
    rng = np.random.default_rng(0)
    w = rng.normal(size=6)
    v = rng.normal(size=6)
    product = pb.hvp(loss, (w,), (v,))
    np.testing.assert_allclose(product, pb.hessian(loss)(w) @ v, rtol=1e-10)
    np.testing.assert_allclose(product, pb.hessian(loss, mode="numeric")(w) @ v, rtol=1e-4)


def test_hessian_of_a_loop_differentiates_the_tape():
    gradient = pb.grad(loss)
    gen, _ = generated_jvp(gradient, (0,))
    text = source(gen)
    assert (
        "_stack_dot" in text or "_dot.append" in text or ".pop()" in text or "_tape[i]" in text
    )  # a counted loop's tape: a list indexed by the loop counter


def wavy(x):
    y = x
    for _ in range(2):
        y = np.sin(y) * x + y * y * 0.1
    return y


@pytest.mark.parametrize("x", [0.3, -0.8, 1.4])
def test_grad_of_grad_and_third_order(x):
    d2 = pb.grad(pb.grad(wavy))(x)
    d3 = pb.grad(pb.grad(pb.grad(wavy)))(x)
    assert d2 == pytest.approx(pb.numeric.derivative(pb.grad(wavy), x), rel=1e-6)
    assert d3 == pytest.approx(pb.numeric.derivative(pb.grad(pb.grad(wavy)), x), rel=1e-5)
    # forward over reverse over reverse agrees with reverse over reverse over reverse
    assert pb.hessian(pb.grad(wavy))(x) == pytest.approx(d3, rel=1e-10)


def polynomial(x):
    return 3.0 * x**4 - 2.0 * x**3 + x


def test_third_order_of_a_polynomial_is_exact():
    x = 0.7
    assert pb.grad(pb.grad(pb.grad(polynomial)))(x) == pytest.approx(72.0 * x - 12.0)
    _, t = pb.jvp(pb.grad(pb.grad(polynomial)), (x,), (1.0,))
    assert t == pytest.approx(72.0 * x - 12.0)


def test_gradient_of_a_generated_gradient_reads_its_source():
    gradient = pb.grad(polynomial)
    second = pb.grad(gradient)
    assert "def grad_grad_polynomial" in source(second)
    assert second(1.0) == pytest.approx(36.0 - 12.0)


def scalar_mlp(params, x):
    w, b = params
    return np.sum(np.tanh(x @ w + b) ** 2)


def test_hessian_of_a_matrix_product():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(4, 3))
    w = rng.normal(size=(3, 2))
    b = rng.normal(size=2)

    def of_w(w):
        return scalar_mlp((w, b), x)

    hessian = pb.hessian(of_w)(w)
    numeric = pb.jacobian(pb.grad(of_w), mode="numeric")(w)
    assert hessian.shape == (3, 2, 3, 2)
    np.testing.assert_allclose(hessian, numeric, rtol=1e-5, atol=1e-6)


def test_math_scalars_stay_floats_at_second_order():
    def f(x):
        return math.exp(x) * math.sin(x)

    assert type(pb.hessian(f)(0.3)) is float
