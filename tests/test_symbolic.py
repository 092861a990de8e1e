"""Symbolic mode: graphs become SymPy expressions, differentiated by algebra."""

from __future__ import annotations

import importlib
import math
import operator
import subprocess
import sys

import numpy as np
import pytest
import sympy

import pullback as pb
from pullback import symbolic
from pullback.graph import Graph, Node


def central_difference(f, x: float, h: float = 1e-5) -> float:
    return (f(x + h) - f(x - h)) / (2 * h)


def chain(x):
    return np.tanh(np.tanh(np.tanh(x) * 2.0) + x)


SCALAR_FUNCTIONS = {
    "log(x*x)": lambda x: np.log(x * x),
    "sin(x)*exp(x)": lambda x: np.sin(x) * np.exp(x),
    "x**3/(1+x**2)": lambda x: x**3 / (1 + x**2),
    "tanh chain": chain,
    "math functions": lambda x: math.exp(math.sin(x)) - math.log(x) * math.sqrt(x),
}

POINTS = (0.3, 1.7, 2.9)


# -- graph -> expression, with graphs built by hand ---------------------------------------------


def graph_of_log_x_times_x() -> Graph:
    x = Node(0, "input", name="x")
    a = Node(1, "operator.mul", operator.mul, (x, x))
    b = Node(2, "numpy.log", np.log, (a,))
    return Graph([x], [x, a, b], b, name="f")


def test_expression_and_derivative_of_a_hand_built_graph():
    graph = graph_of_log_x_times_x()
    x = sympy.Symbol("x", real=True)
    assert symbolic.expression(graph) == sympy.log(x**2)
    assert sympy.simplify(symbolic.derivative(graph) - 2 / x) == 0
    assert symbolic.graph_expression(graph, [sympy.Symbol("t")]) == sympy.log(
        sympy.Symbol("t") ** 2
    )


def test_constants_become_exact_numbers():
    x = Node(0, "input", name="x")
    p = Node(1, "numpy.power", np.power, (x, 2.0))
    h = Node(2, "operator.mul", operator.mul, (0.5, p))
    q = Node(3, "operator.add", operator.add, (h, math.pi))
    expr = symbolic.expression(Graph([x], [x, p, h, q], q))
    xs = sympy.Symbol("x", real=True)
    assert expr == xs**2 / 2 + sympy.pi


def test_a_node_without_derivative_is_a_step_or_is_refused():
    x = Node(0, "input", name="x")
    floor = Node(1, "numpy.floor", np.floor, (x,), value=2.0)
    floor.nondiff = True  # as the tracer marks it
    y = Node(2, "operator.mul", operator.mul, (floor, x))
    expr = symbolic.expression(Graph([x], [x, floor, y], y))
    xs = sympy.Symbol("x", real=True)
    assert str(expr) == "x*floor(x)"  # a step function: its derivative is zero
    assert str(sympy.diff(expr, xs)) == "floor(x)"
    held = Node(1, "numpy.argmax", np.argmax, (x,), value=0)
    held.nondiff = True
    y = Node(2, "operator.mul", operator.mul, (held, x))
    with pytest.raises(pb.PullbackError, match="numpy.argmax.*depends on the arguments"):
        symbolic.expression(Graph([x], [x, held, y], y))  # its value would be frozen


def test_a_primitive_without_translation_is_named():
    x = Node(0, "input", name="x")
    y = Node(1, "numpy.frobnicate", None, (x,), filename=__file__, lineno=12)
    with pytest.raises(pb.MissingRuleError, match="numpy.frobnicate") as err:
        symbolic.expression(Graph([x], [x, y], y))
    assert "SYMPY_FUNCTIONS" in str(err.value)


def test_array_nodes_are_refused_with_a_hint():
    x = Node(0, "input", name="x", shape=(3,))
    y = Node(1, "numpy.sin", np.sin, (x,), shape=(3,))
    with pytest.raises(pb.PullbackError, match="scalar functions of scalars.*mode='source'"):
        symbolic.expression(Graph([x], [x, y], y))


def _resolve(name: str):
    module, _, attr = name.rpartition(".")
    try:
        return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError):
        return None


@pytest.mark.parametrize("name", sorted(symbolic.SYMPY_FUNCTIONS))
def test_every_translation_means_what_the_function_computes(name):
    fn = _resolve(name)
    if fn is None:
        pytest.skip(f"{name} is not importable here")
    translate = symbolic.SYMPY_FUNCTIONS[name]
    x, y = sympy.symbols("x y", real=True)
    checked = 0
    for args in [(0.4,), (1.3,), (0.4, 1.3), (1.7, 0.6)]:
        try:
            with np.errstate(all="ignore"):
                expected = fn(*args)
        except (TypeError, ValueError):
            continue
        if not np.isfinite(expected):
            continue
        try:
            expr = translate(sympy, *[x, y][: len(args)])
        except TypeError:
            continue
        got = float(expr.subs(dict(zip([x, y], args, strict=False))).evalf())
        assert got == pytest.approx(float(expected), rel=1e-12, abs=1e-12), args
        checked += 1
    assert checked, f"{name} was checked at no point"


def test_importing_pullback_does_not_import_sympy():
    code = "import pullback, sys; pullback.symbolic; assert 'sympy' not in sys.modules"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


# -- functions, traced (pb.trace, or tape mode's recorder) ----------------------------------------


@pytest.mark.parametrize("name", SCALAR_FUNCTIONS)
def test_symbolic_derivative_matches_finite_differences(name):
    f = SCALAR_FUNCTIONS[name]
    d = symbolic.derivative(f)
    (x,) = d.free_symbols
    for point in POINTS:
        assert float(d.subs(x, point)) == pytest.approx(central_difference(f, point), rel=1e-6)


@pytest.mark.parametrize("name", SCALAR_FUNCTIONS)
def test_grad_in_symbolic_mode(name):
    f = SCALAR_FUNCTIONS[name]
    df = pb.grad(f, mode="symbolic")
    for point in POINTS:
        assert df(point) == pytest.approx(central_difference(f, point), rel=1e-6)
        assert isinstance(df(point), float)


def test_expression_is_named_after_the_parameters():
    def f(width, height):
        return np.log(width * height)

    w, h = sympy.symbols("width height", real=True)
    assert symbolic.expression(f) == sympy.log(w * h)
    assert sympy.simplify(symbolic.derivative(f, "height") - 1 / h) == 0
    assert sympy.simplify(symbolic.derivative(f, (0, 0)) + 1 / w**2) == 0


def test_several_scalar_arguments():
    def f(x, y):
        return np.sin(x) * np.exp(y) / (1 + x**2)

    value, (gx, gy) = pb.value_and_grad(f, (0, 1), mode="symbolic")(1.0, 2.0)
    assert value == pytest.approx(f(1.0, 2.0))
    assert gx == pytest.approx(central_difference(lambda t: f(t, 2.0), 1.0), rel=1e-6)
    assert gy == pytest.approx(central_difference(lambda t: f(1.0, t), 2.0), rel=1e-6)
    assert pb.grad(f, 1, mode="symbolic")(1.0, 2.0) == pytest.approx(gy)


def test_vjp_and_jvp_in_symbolic_mode():
    def f(x, y):
        return x * np.cos(y)

    value, vjp_fn = pb.vjp(f, 2.0, 0.5, mode="symbolic")
    assert value == pytest.approx(f(2.0, 0.5))
    gx, gy = vjp_fn(3.0)
    assert gx == pytest.approx(3.0 * np.cos(0.5)) and gy == pytest.approx(-3.0 * 2.0 * np.sin(0.5))
    value, tangent = pb.jvp(f, (2.0, 0.5), (1.0, 2.0), mode="symbolic")
    assert tangent == pytest.approx(np.cos(0.5) - 2.0 * 2.0 * np.sin(0.5))


def test_has_aux_returns_the_aux_untouched():
    def f(x):
        return x * x, {"note": "aux"}

    (value, aux), g = pb.value_and_grad(f, mode="symbolic", has_aux=True)(3.0)
    assert (value, aux, g) == (9.0, {"note": "aux"}, 6.0)


def test_control_flow_is_retraced_when_the_path_changes():
    def f(x):
        if x > 0:
            return x * x
        return x * x * x

    df = pb.grad(f, mode="symbolic")
    assert df(2.0) == pytest.approx(4.0)
    assert df(-2.0) == pytest.approx(12.0)  # another path: traced again
    assert df(3.0) == pytest.approx(6.0)  # the first path, from the cache
    assert df(-1.0) == pytest.approx(3.0)


def test_arrays_are_refused_with_a_hint():
    with pytest.raises(pb.PullbackError, match="scalar functions of scalars.*mode='source'"):
        pb.grad(lambda x: np.sum(x * x), mode="symbolic")(np.ones(3))
    with pytest.raises(TypeError):  # a PullbackTypeError is also a TypeError
        pb.grad(lambda x: np.sum(x * x), mode="symbolic")(np.ones(3))


def test_expression_swell_grows_faster_than_the_graph():
    def nested(depth):
        def f(x):
            y = x
            for _ in range(depth):
                y = np.sin(y) * y
            return y

        return f

    graph_sizes, derivative_sizes = [], []
    for depth in (1, 2, 3, 4):
        f = nested(depth)
        graph = symbolic.expressions._trace_function()(f, 0.7)
        graph_sizes.append(sum(1 for n in graph.nodes if n.op != "input"))
        derivative_sizes.append(sympy.count_ops(symbolic.derivative(f)))
    assert graph_sizes == [2, 4, 6, 8]  # linear in depth
    growth = [b - a for a, b in zip(derivative_sizes, derivative_sizes[1:], strict=False)]
    assert all(later > earlier for earlier, later in zip(growth, growth[1:], strict=False)), (
        derivative_sizes
    )
    assert derivative_sizes[-1] > 3 * graph_sizes[-1]


def test_hessian_in_symbolic_mode_matches_differences_of_the_gradient():
    def f(x, y):
        return np.sin(x) * y**3 + np.log(x * y)

    h = pb.hessian(f, (0, 1), mode="symbolic")(0.7, 1.3)
    gradient = pb.grad(f, (0, 1), mode="symbolic")
    numeric = np.array(
        [pb.numeric.grad(lambda a, b, k=k: gradient(a, b)[k], (0, 1))(0.7, 1.3) for k in range(2)]
    )
    np.testing.assert_allclose(h, numeric, rtol=1e-6, atol=1e-8)
    single = pb.hessian(lambda x: np.log(x * x), mode="symbolic")(3.0)
    assert isinstance(single, float) and abs(single + 2 / 9) < 1e-12
