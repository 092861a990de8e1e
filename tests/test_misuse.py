"""Every public entry point, every mode, with wrong input: a clear error, never a leak.

The rules probed here (README, API.md "Errors"): bad input gets a ``pb.PullbackError`` (misuse
of arguments also a ``TypeError``/``ValueError``); no internal exception (KeyError,
AttributeError, a TypeError from pullback's own code ...) reaches the user; the user's own
exceptions propagate unchanged; user arrays are never mutated; nan/inf give NumPy's nan/inf.
"""

from __future__ import annotations

import functools
import math
import os
import traceback

import numpy as np
import pytest

import pullback as pb

MODES = ["source", "tape", "graph", "symbolic", "numeric"]
ARRAY_MODES = ["source", "tape", "graph", "numeric"]  # symbolic mode takes scalars only
PB_DIR = os.path.dirname(pb.__file__)


class UserError(Exception):
    pass


def square(x):
    return x * x


def sum_squares(x):
    return np.sum(x * x)


def product(x, y):
    return x * y


def double(x):
    return x * 2.0


def not_a_pair(x):
    return x * x


def a_triple(x):
    return (x * x, 1, 2)


def raises(x):
    raise UserError("mine")


def returns_none(x):
    return None


def returns_string(x):
    return "a"


def returns_list(x):
    return [x, x]


def computes_string(x):
    x * 2.0
    return "s" + "t"


def recurses_forever(x):
    return recurses_forever(x)


def deep_loop(x):
    for _ in range(5000):
        x = x * 1.0
    return x


def tree_fn(d):
    return d["a"] * 2.0 + d["b"][0]


class Box:
    def __init__(self, x):
        self.x = x


def generator(x):
    yield x


def misuse(call, exc=(TypeError, ValueError)):
    """``call()`` raises a PullbackError that is also one of ``exc``."""
    with pytest.raises(pb.PullbackError) as info:
        call()
    assert isinstance(info.value, exc), type(info.value)
    return info.value


# -- arguments to grad -----------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("argnums", [5, -3, "a", 1.0, None, True, (0, 0), (0, "a")])
def test_bad_argnums(mode, argnums):
    misuse(lambda: pb.grad(product, argnums, mode=mode)(3.0, 2.0))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f", [3, None, "f"])
def test_not_callable(mode, f):
    for call in (
        lambda: pb.grad(f, mode=mode)(1.0),
        lambda: pb.value_and_grad(f, mode=mode)(1.0),
        lambda: pb.vjp(f, 1.0, mode=mode),
        lambda: pb.jvp(f, (1.0,), (1.0,), mode=mode),
        lambda: pb.jacobian(f, mode=mode)(1.0),
        lambda: pb.hessian(f, mode=mode)(1.0),
        lambda: pb.hvp(f, (1.0,), (1.0,), mode=mode),
        lambda: pb.check_grads(f, (1.0,), mode=mode),
    ):
        misuse(call, TypeError)


def test_not_callable_elsewhere():
    for call in (
        lambda: pb.trace(3, 1.0),
        lambda: pb.compare(3, 1.0),
        lambda: pb.compare(square),
        lambda: pb.custom_vjp(3),
        lambda: pb.custom_jvp(None),
        lambda: pb.defvjp(3, lambda g, ans, x: g),
        lambda: pb.defvjp(None),
        lambda: pb.defjvp(3, 4),
        lambda: pb.gradients(3),
        lambda: pb.gradients(square),
        lambda: pb.gradients(None),
    ):
        misuse(call, TypeError)


@pytest.mark.parametrize("mode", [3, None, ["source"], "foo"])
def test_bad_mode(mode):
    misuse(lambda: pb.grad(square, mode=mode)(1.0))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "arg", [3, True, None, "ab", object(), np.arange(3), np.array(["a"]), np.array([None])]
)
def test_non_float_argument(mode, arg):
    misuse(lambda: pb.grad(square, mode=mode)(arg), TypeError)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("arg", ["ab", None, 3])
def test_non_float_argument_jacobian_hessian(mode, arg):
    misuse(lambda: pb.jacobian(double, mode=mode)(arg), TypeError)
    misuse(lambda: pb.jacobian(double, mode=mode, direction="fwd")(arg), TypeError)
    misuse(lambda: pb.hessian(square, mode=mode)(arg), TypeError)
    misuse(lambda: pb.grad(pb.grad(square, mode=mode), mode=mode)(arg), TypeError)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f", [not_a_pair, a_triple])
def test_has_aux_needs_a_pair(mode, f):
    misuse(lambda: pb.grad(f, has_aux=True, mode=mode)(3.0), TypeError)
    misuse(lambda: pb.value_and_grad(f, has_aux=True, mode=mode)(3.0), TypeError)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f", [returns_none, returns_string, returns_list, Box, generator])
def test_grad_of_non_number_output(mode, f):
    if (mode == "source" and f is Box) or f is generator:  # refused before running, with a hint
        with pytest.raises((pb.SourceUnavailableError, pb.UnsupportedSyntaxError)):
            pb.grad(f, mode=mode)(3.0)
        return
    misuse(lambda: pb.grad(f, mode=mode)(3.0), TypeError)


def test_source_grad_of_computed_non_number():
    # an output that does not depend on the argument is still computed and checked
    misuse(lambda: pb.grad(computes_string)(3.0), TypeError)


def returns_none_before_dead_code(x):
    return None
    y = x * 2.0  # noqa: F841 (never runs)
    return y


def test_source_grad_of_an_early_none_return():
    # before: the lowered early return hid the None, and grad gave 0.0 (the generator found it)
    misuse(lambda: pb.grad(returns_none_before_dead_code)(3.0), TypeError)


@pytest.mark.parametrize("mode", MODES)
def test_constant_number_output_has_zero_gradient(mode):
    assert pb.grad(lambda x: 3, mode=mode)(2.0) == 0.0


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f", [returns_none, returns_string])
def test_jacobian_of_non_array_output(mode, f):
    misuse(lambda: pb.jacobian(f, mode=mode)(1.0), TypeError)
    misuse(lambda: pb.jacobian(f, mode=mode, direction="fwd")(1.0), TypeError)


@pytest.mark.parametrize("mode", ["source", "tape", "graph", "numeric"])
@pytest.mark.parametrize("direction", ["rev", "fwd"])
def test_jacobian_of_a_list_output_is_a_list_of_jacobians(mode, direction):
    # a container output is a tree of outputs, as in JAX: one Jacobian per entry
    jac = pb.jacobian(returns_list, mode=mode, direction=direction)(1.0)
    assert isinstance(jac, list)
    np.testing.assert_allclose(jac, [1.0, 1.0], rtol=1e-8)


def test_jacobian_bad_direction():
    misuse(lambda: pb.jacobian(double, direction="x"), ValueError)


# -- vjp, jvp, hvp -----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_vjp_without_primals(mode):
    misuse(lambda: pb.vjp(square, mode=mode), TypeError)
    misuse(lambda: pb.hvp(sum_squares, (), (), mode=mode), TypeError)


@pytest.mark.parametrize("mode", ARRAY_MODES)
def test_vjp_bad_cotangent(mode):
    _, vjp_fn = pb.vjp(double, np.ones(3), mode=mode)
    misuse(lambda: vjp_fn(np.ones(4)), ValueError)
    misuse(lambda: vjp_fn(None), TypeError)
    misuse(lambda: vjp_fn("a"), TypeError)
    np.testing.assert_allclose(vjp_fn(np.ones(3))[0], 2.0 * np.ones(3), rtol=1e-6)


@pytest.mark.parametrize("mode", MODES)
def test_jvp_bad_tangents(mode):
    misuse(lambda: pb.jvp(square, (1.0,), (1.0, 2.0), mode=mode), ValueError)
    misuse(lambda: pb.jvp(square, 1.0, 1.0, mode=mode), TypeError)
    misuse(lambda: pb.jvp(square, None, None, mode=mode), TypeError)
    misuse(lambda: pb.jvp(square, (1.0,), ("a",), mode=mode), TypeError)
    misuse(lambda: pb.hvp(square, 1.0, 1.0, mode=mode), TypeError)
    misuse(lambda: pb.hvp(square, (1.0,), (), mode=mode), ValueError)


@pytest.mark.parametrize("mode", ARRAY_MODES)
def test_jvp_tangent_shape(mode):
    misuse(lambda: pb.jvp(double, (np.ones(3),), (np.ones(4),), mode=mode), ValueError)
    misuse(lambda: pb.hvp(sum_squares, (np.ones(2),), (np.ones(3),), mode=mode), ValueError)


@pytest.mark.parametrize("mode", MODES)
def test_jvp_zero_tangent_for_integer(mode):
    assert pb.jvp(square, (1.0,), (None,), mode=mode)[1] == 0.0


# -- the user's own function ---------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_user_exception_propagates(mode):
    for call in (
        lambda: pb.grad(raises, mode=mode)(1.0),
        lambda: pb.value_and_grad(raises, mode=mode)(1.0),
        lambda: pb.vjp(raises, 1.0, mode=mode),
        lambda: pb.jvp(raises, (1.0,), (1.0,), mode=mode),
        lambda: pb.jacobian(raises, mode=mode, direction="fwd")(1.0),
        lambda: pb.hessian(raises, mode=mode)(1.0),
        lambda: pb.check_grads(raises, (1.0,), mode=mode),
    ):
        with pytest.raises(UserError, match="mine"):
            call()


def test_user_exception_propagates_from_trace():
    with pytest.raises(UserError, match="mine"):
        pb.trace(raises, 1.0)


@pytest.mark.parametrize("mode", MODES)
def test_recursion_without_base_case_is_the_users(mode):
    with pytest.raises(RecursionError) as info:
        pb.grad(recurses_forever, mode=mode)(1.0)
    innermost = traceback.extract_tb(info.value.__traceback__)[-1].filename
    assert not innermost.startswith(PB_DIR), innermost  # the user's (or its derivative's) frame


@pytest.mark.parametrize("mode", MODES)
def test_deep_loop(mode):
    assert pb.grad(deep_loop, mode=mode)(3.0) == pytest.approx(1.0)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f", [np.sin, math.sin])
def test_builtin_as_f(mode, f):
    try:
        g = pb.grad(f, mode=mode)(1.0)
    except pb.PullbackError:  # a mode that reads source may refuse, clearly
        return
    assert g == pytest.approx(math.cos(1.0), rel=1e-6)


@pytest.mark.parametrize("mode", MODES)
def test_partial(mode):
    if mode == "source":  # no source text to transform: a clear refusal naming mode='tape'
        with pytest.raises(pb.SourceUnavailableError, match="mode='tape'"):
            pb.grad(functools.partial(product, 2.0), mode=mode)(3.0)
        return
    assert pb.grad(functools.partial(product, 2.0), mode=mode)(3.0) == pytest.approx(2.0)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's own, on inf - inf
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("x", [float("nan"), float("inf")])
def test_nan_inf(mode, x):
    g = pb.grad(square, mode=mode)(x)
    assert np.isnan(g) or np.isinf(g)


@pytest.mark.parametrize("mode", ARRAY_MODES)
def test_empty_and_zero_d(mode):
    assert pb.grad(sum_squares, mode=mode)(np.array([])).shape == (0,)
    assert pb.jacobian(double, mode=mode)(np.array([])).shape == (0, 0)
    assert float(pb.grad(square, mode=mode)(np.array(3.0))) == pytest.approx(6.0)


@pytest.mark.parametrize("mode", ARRAY_MODES)
def test_tree_with_none_leaf(mode):
    g = pb.grad(tree_fn, mode=mode)({"a": 1.0, "b": [2.0, None]})
    assert g["a"] == pytest.approx(2.0) and g["b"][0] == pytest.approx(1.0)
    assert g["b"][1] is None


@pytest.mark.parametrize("mode", ["source", "tape", "graph"])
def test_complex_argument(mode):
    # z * z is complex-valued: its derivative 2z is asked for with holomorphic=True (see the
    # README's convention for complex numbers); without it grad refuses a complex output
    assert pb.grad(square, mode=mode, holomorphic=True)(1 + 2j) == 2 + 4j
    misuse(lambda: pb.grad(square, mode=mode)(1 + 2j), TypeError)


def test_numeric_mode_refuses_complex():
    misuse(lambda: pb.grad(square, mode="numeric")(1 + 2j), TypeError)


# -- user arrays are never mutated ------------------------------------------------------------


def writes_item(x):
    x[0] = 5.0
    return np.sum(x * x)


def adds_in_place(x):
    x += 1
    return np.sum(x * x)


def writes_from_itself(x):
    x[1] = x[0] * 2.0
    return x * 3.0


CALLS = {
    "grad": lambda f, m, x: pb.grad(f, mode=m)(x),
    "value_and_grad": lambda f, m, x: pb.value_and_grad(f, mode=m)(x),
    "vjp": lambda f, m, x: pb.vjp(f, x, mode=m)[1](1.0),
    "jvp": lambda f, m, x: pb.jvp(f, (x,), (np.ones(3),), mode=m),
    "jacobian": lambda f, m, x: pb.jacobian(f, mode=m)(x),
    "jacobian_fwd": lambda f, m, x: pb.jacobian(f, mode=m, direction="fwd")(x),
    "hessian": lambda f, m, x: pb.hessian(f, mode=m)(x),
    "hvp": lambda f, m, x: pb.hvp(f, (x,), (np.ones(3),), mode=m),
    "check_grads": lambda f, m, x: pb.check_grads(f, (x,), mode=m),
}


@pytest.mark.parametrize("mode", ARRAY_MODES)
@pytest.mark.parametrize("f", [writes_item, adds_in_place])
@pytest.mark.parametrize("how", list(CALLS))
def test_user_arrays_unchanged(mode, f, how):
    x = np.array([1.0, 2.0, 3.0])
    CALLS[how](f, mode, x)
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])


@pytest.mark.parametrize("mode", ARRAY_MODES)
@pytest.mark.parametrize("direction", ["rev", "fwd"])
def test_item_assignment_jacobian(mode, direction):
    x = np.array([1.0, 2.0, 3.0])
    jac = pb.jacobian(writes_from_itself, mode=mode, direction=direction)(x)
    np.testing.assert_allclose(jac, [[3, 0, 0], [6, 0, 0], [0, 0, 3]], atol=1e-5)
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])


def test_compare_leaves_arrays_and_numeric_mode_right():
    x = np.array([1.0, 2.0, 3.0])
    table = pb.compare(adds_in_place, x)
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])
    assert table["numeric"]["disagreement"] < 1e-6


def test_tensor_and_trace_leave_arrays():
    x = np.array([1.0, 2.0, 3.0])
    t = pb.tensor(x, requires_grad=True)
    np.sum(t * t).backward()
    graph = pb.trace(writes_item, x)
    graph(x)
    pb.gradients(graph)(x)
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])


# -- checking, graphs, export, tensors, custom rules ------------------------------------------


@pytest.mark.parametrize("order", [0, -1, "a", 1.5, True])
def test_check_grads_bad_order(order):
    misuse(lambda: pb.check_grads(square, (1.0,), order=order), ValueError)


@pytest.mark.parametrize("args", [1.0, None, "ab"])
def test_check_grads_args_not_a_tuple(args):
    misuse(lambda: pb.check_grads(square, args), TypeError)


def test_check_grads_bad_modes():
    misuse(lambda: pb.check_grads(square, (1.0,), modes=("x",)), ValueError)
    misuse(lambda: pb.check_grads(square, (1,)), TypeError)


def test_trace_call_with_wrong_input():
    misuse(lambda: pb.trace(square, 1.0)("a"), TypeError)
    with pytest.raises(pb.PullbackError):
        pb.trace(square, 1.0)(1.0, 2.0)
    with pytest.raises(pb.PullbackError):
        pb.trace(double, np.ones(2))(np.ones(3))
    misuse(lambda: pb.gradients(pb.trace(double, np.ones(2))), TypeError)


def test_export_bad_arguments(tmp_path):
    misuse(lambda: pb.export(pb.grad(square, mode="tape"), tmp_path / "x.py"), TypeError)
    misuse(lambda: pb.export(square, tmp_path / "x.py"), TypeError)
    misuse(lambda: pb.export(pb.grad(square), None), TypeError)
    misuse(lambda: pb.export(pb.grad(square), 3), TypeError)
    with pytest.raises(OSError):  # the operating system's own error, about the user's path
        pb.export(pb.grad(square), tmp_path / "no" / "such" / "dir.py")


def test_export_has_aux(tmp_path):
    def with_aux(x):
        y = x * x
        return y, 1.0

    path = pb.export(pb.grad(with_aux, has_aux=True), tmp_path / "aux.py")
    assert "def grad_with_aux" in path.read_text()


def test_show_and_source_bad_arguments():
    for call in (
        lambda: pb.show(3),
        lambda: pb.show(None),
        lambda: pb.show(square, mode="x"),
        lambda: pb.source(None),
        lambda: pb.source(square),
        lambda: pb.source(3),
        lambda: pb.source(pb.grad(square, mode="tape")),
    ):
        with pytest.raises(pb.PullbackError):
            call()


def test_tensor_backward_bad_gradient():
    def vector():
        return pb.tensor(np.ones(3), requires_grad=True) * 2

    misuse(lambda: vector().backward(np.ones(4)), ValueError)
    misuse(lambda: vector().backward("a"), TypeError)
    misuse(lambda: vector().backward(), TypeError)


@pytest.mark.parametrize("mode", ["source", "tape", "graph"])
def test_custom_rules_returning_the_wrong_form(mode):
    def f1(x):
        return x * x

    cf = pb.custom_vjp(f1)
    cf.defvjp(lambda x: x * x, lambda r, g: (g,))  # fwd returns no pair
    misuse(lambda: pb.grad(cf, mode=mode)(1.0), TypeError)

    def f2(x):
        return x * x

    cb = pb.custom_vjp(f2)
    cb.defvjp(lambda x: (x * x, x), lambda r, g: g)  # bwd returns no tuple
    misuse(lambda: pb.grad(cb, mode=mode)(1.0), TypeError)

    def f3(x):
        return x * x

    cj = pb.custom_jvp(f3)
    cj.defjvp(lambda p, t: 3)  # returns no pair
    misuse(lambda: pb.jvp(cj, (1.0,), (1.0,), mode=mode), TypeError)
    misuse(lambda: pb.grad(cj, mode=mode)(1.0), TypeError)


def test_custom_rules_not_callable():
    def f(x):
        return x

    misuse(lambda: pb.custom_vjp(f).defvjp(3, 4), TypeError)
    misuse(lambda: pb.custom_jvp(f).defjvp("jvp"), TypeError)
