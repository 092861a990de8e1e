"""Graph mode: trace once into a Graph, differentiate it into a gradient graph, replay."""

import numpy as np
import pytest
from ad_cases import CASES, assert_grad_matches_central_differences

import pullback as pb
from pullback.graph import mode as graph_mode


@pytest.mark.parametrize("name,f,args", CASES, ids=[c[0] for c in CASES])
def test_gradients_match_central_differences(name, f, args):
    assert_grad_matches_central_differences(f, args, mode="graph")


@pytest.mark.parametrize("name,f,args", CASES, ids=[c[0] for c in CASES])
def test_gradient_graph_replays_like_tape_mode(name, f, args):
    grad_graph = pb.gradients(pb.trace(f, *args))
    tape = pb.grad(f, tuple(range(len(args))), mode="tape")(*args)
    for g, t in zip(grad_graph(*args), tape, strict=True):
        np.testing.assert_allclose(g, t, rtol=1e-10, atol=1e-12)


def f_branchy(x, y):
    a = x * y
    if np.sum(a) > 0:
        b = np.sin(a)
    else:
        b = np.exp(a)
    return np.sum(b * x)


def test_trace_lists_primitives_with_shapes_and_lines():
    x, y = np.array([0.5, 1.0]), np.array([2.0, 3.0])
    graph = pb.trace(f_branchy, x, y)
    text = str(graph)
    assert text.startswith("graph f_branchy(x: f64[2], y: f64[2]):")
    assert "np.sin" in text and "guard" in text
    line = f_branchy.__code__.co_firstlineno
    sin = next(n for n in graph.nodes if n.op == "numpy.sin")
    assert (sin.lineno, sin.shape, sin.dtype) == (line + 3, (2,), "float64")
    assert f"    {sin.label}: f64[2] = np.sin(" in text
    assert f"  # test_graph.py:{line + 3}\n" in text  # where each primitive was recorded
    total = graph.output_nodes()[0]
    assert f"    {total.label}: f64[] = np.sum(" in text  # a number's type has no dimensions
    assert graph(x, y) == pytest.approx(f_branchy(x, y))
    assert graph(x * 2, y) == pytest.approx(f_branchy(x * 2, y))


def test_replay_on_another_path_raises_path_changed():
    x, y = np.array([0.5, 1.0]), np.array([2.0, 3.0])
    graph = pb.trace(f_branchy, x, y)
    with pytest.raises(pb.PathChangedError):
        graph(-x, y)
    with pytest.raises(pb.PathChangedError):
        graph(np.ones(3), np.ones(3))  # another shape
    # derivative calls trace again instead of failing
    got = pb.grad(f_branchy, (0, 1), mode="graph")(-x, y)
    want = pb.grad(f_branchy, (0, 1), mode="tape")(-x, y)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w)


def test_integer_arguments_are_guarded():
    def power(x, n):
        for _ in range(n):
            x = x * 1.5
        return x

    graph = pb.trace(power, 2.0, 3)
    assert graph(1.0, 3) == pytest.approx(1.5**3)
    with pytest.raises(pb.PathChangedError):
        graph(1.0, 4)
    assert pb.grad(power, mode="graph")(2.0, 4) == pytest.approx(1.5**4)


def test_gradient_graph_is_primitives_and_passes_remove_duplicates():
    graph = pb.trace(lambda x: np.sin(x) * np.sin(x), 0.3)
    grad_graph = pb.gradients(graph)
    ops = [n.op for n in grad_graph.nodes]
    assert ops.count("numpy.sin") == 1  # CSE: one sin
    assert "numpy.cos" in ops and all(not op.startswith("vjp.") for op in ops)
    assert grad_graph.inputs == graph.inputs
    assert grad_graph(0.3)[0] == pytest.approx(2 * np.sin(0.3) * np.cos(0.3))
    x_bar = grad_graph.outputs[0]
    assert x_bar.name == "x_bar" and x_bar.lineno is not None
    again = pb.gradients(pb.trace(lambda x: grad_graph(x)[0], 0.3))  # second derivative
    assert again(0.3)[0] == pytest.approx(2 * np.cos(0.6))


def test_every_derivative_call_accepts_mode_graph():
    def f(x):
        return np.tanh(x) * np.sum(x**2)

    def loss(x):
        return np.sum(np.sin(x) * x) + np.sum(x) ** 3 / 3.0

    x = np.array([0.2, -0.4, 0.9])
    rev = pb.jacobian(f, mode="graph")(x)
    fwd = pb.jacobian(f, mode="graph", direction="fwd")(x)
    np.testing.assert_allclose(rev, pb.jacobian(f, mode="tape")(x), atol=1e-12)
    np.testing.assert_allclose(fwd, rev, atol=1e-12)
    h = pb.hessian(loss, mode="graph")(x)
    np.testing.assert_allclose(h, pb.hessian(loss, mode="tape")(x), atol=1e-10)
    v = np.array([1.0, 0.5, -1.0])
    np.testing.assert_allclose(pb.hvp(loss, (x,), (v,), mode="graph"), h @ v, atol=1e-10)
    value, back = pb.vjp(f, x, mode="graph")
    np.testing.assert_allclose(back(np.ones(3))[0], np.ones(3) @ rev, atol=1e-12)
    _, t = pb.jvp(f, (x,), (v,), mode="graph")
    np.testing.assert_allclose(t, rev @ v, atol=1e-12)
    (val, aux), g = pb.value_and_grad(lambda x: (loss(x), "note"), mode="graph", has_aux=True)(x)
    assert aux == "note" and val == pytest.approx(loss(x))
    params = {"w": x, "b": 0.5}
    gp = pb.grad(lambda p: loss(p["w"]) * p["b"], mode="graph")(params)
    assert isinstance(gp["b"], float) and gp["w"].shape == (3,)


def test_cache_reuses_traces_and_notices_changed_globals(monkeypatch):
    calls = []
    real_trace = graph_mode.trace

    def counting_trace(f, *args):
        calls.append(f)
        return real_trace(f, *args)

    monkeypatch.setattr(graph_mode, "trace", counting_trace)
    state = {"scale": np.array([1.0, 2.0])}

    def loss(x):
        return np.sum(x * SCALE)  # noqa: F821  (set below, read as a global)

    loss.__globals__["SCALE"] = state["scale"]
    try:
        g = pb.grad(loss, mode="graph")
        np.testing.assert_allclose(g(np.ones(2)), [1.0, 2.0])
        np.testing.assert_allclose(g(np.zeros(2)), [1.0, 2.0])
        assert len(calls) == 1
        loss.__globals__["SCALE"][:] = [3.0, 4.0]  # changed in place: trace again
        np.testing.assert_allclose(g(np.ones(2)), [3.0, 4.0])
        assert len(calls) == 2
    finally:
        del loss.__globals__["SCALE"]


def tf_example(x):
    i, x = pb.while_loop(lambda i, x: i < 10, lambda i, x: (i + 1, np.tanh(x)), (0, x))
    return x


def unrolled(x):
    for _ in range(10):
        x = np.tanh(x)
    return x


def test_while_loop_is_one_node_with_its_own_gradient():
    graph = pb.trace(tf_example, 0.7)
    assert [n.op for n in graph.nodes if n.op != "pullback.item"] == ["pullback.while_loop"]
    grad_graph = pb.gradients(graph)
    assert any(n.op == "pullback.while_loop_adjoint" for n in grad_graph.nodes)
    for x in (0.7, -1.2):
        want = pb.grad(unrolled, mode="tape")(x)
        assert grad_graph(x)[0] == pytest.approx(want, rel=1e-12)
        for mode in ("graph", "tape"):
            assert pb.grad(tf_example, mode=mode)(x) == pytest.approx(want, rel=1e-12)
    assert pb.hessian(tf_example, mode="graph")(0.7) == pytest.approx(
        pb.hessian(unrolled, mode="tape")(0.7)
    )
    assert tf_example(0.7) == pytest.approx(unrolled(0.7))  # plain execution just runs
    assert pb.jvp(tf_example, (0.7,), (1.0,), mode="graph")[1] == pytest.approx(
        pb.grad(unrolled, mode="tape")(0.7)
    )


def test_while_loop_with_array_state_and_data_dependent_trip_count():
    def halve(x):
        return pb.while_loop(lambda x: np.sum(x * x) > 1.0, lambda x: x * 0.5, x)

    graph = pb.trace(lambda x: np.sum(halve(x)), np.array([3.0, 4.0]))
    # the replay takes the loop as often as the new input asks: no PathChangedError
    assert graph(np.array([0.1, 0.1])) == pytest.approx(0.2)
    assert graph(np.array([30.0, 40.0])) == pytest.approx(np.sum(np.array([30.0, 40.0]) / 64))
    g = pb.grad(lambda x: np.sum(halve(x)), mode="graph")(np.array([3.0, 4.0]))
    np.testing.assert_allclose(g, [0.125, 0.125])


def test_cond_is_one_node_and_switches_branch_on_replay():
    def f(x, y):
        return pb.cond(x > y, lambda a, b: a * b, lambda a, b: np.sin(a) + b, x, y)

    graph = pb.trace(f, 2.0, 1.0)
    assert graph(0.5, 1.0) == pytest.approx(np.sin(0.5) + 1.0)
    grad_graph = pb.gradients(graph)
    assert grad_graph(2.0, 1.0) == pytest.approx((1.0, 2.0))
    assert grad_graph(0.5, 1.0) == pytest.approx((np.cos(0.5), 1.0))
    for mode in ("graph", "tape"):
        assert pb.grad(f, (0, 1), mode=mode)(0.5, 1.0) == pytest.approx((np.cos(0.5), 1.0))


def test_structured_control_flow_refuses_closures_over_traced_values():
    def f(x, w):
        return pb.while_loop(lambda i, h: i < 3, lambda i, h: (i + 1, h * w), (0, x))[1]

    with pytest.raises(pb.PullbackError, match="closure"):
        pb.trace(f, 1.0, 2.0)
    assert pb.grad(f, 1, mode="tape")(1.0, 2.0) == pytest.approx(12.0)  # tape runs it inline
