"""Source mode reads user data when the derivative runs: rebinding a global or a closure
variable between calls changes the gradient as it changes the function; a redefined helper
function is seen too."""

from __future__ import annotations

import numpy as np
import pytest

import pullback as pb

DATA = np.array([1.0, 2.0, 3.0])
RATE = 0.5
WEIGHTS = [1.0, 2.0]


def weighted(x):
    return np.sum(DATA * x * x) * RATE


def uses_list(x):
    total = 0.0
    for w in WEIGHTS:
        total = total + w * np.sin(x)
    return total


def helper(v):
    return v * v


def calls_helper(x):
    return helper(x) + 1.0


def helper_inactive(v):
    return v + 1.0


def calls_helper_inactive(x):
    return x * helper_inactive(2.0)


class Config:
    scale = 2.0


def uses_class_attribute(x):
    return Config.scale * x * x


def make_model():
    scale = 1.0

    def model(x):
        return scale * np.sin(x)

    def set_scale(value):
        nonlocal scale
        scale = value

    return model, set_scale


def check(df, f, x):
    np.testing.assert_allclose(df(x), pb.numeric.grad(f)(x), rtol=1e-6, atol=1e-9)


@pytest.fixture
def restore():
    saved = dict(globals())
    yield
    for k in ("DATA", "RATE", "WEIGHTS", "helper", "helper_inactive"):
        globals()[k] = saved[k]
    Config.scale = 2.0


def test_rebound_global_array_and_number(restore):
    global DATA, RATE
    x = np.array([0.3, -0.2, 0.7])
    df = pb.grad(weighted)
    check(df, weighted, x)
    DATA = np.array([5.0, -1.0, 0.5])
    RATE = 3.0
    check(df, weighted, x)
    np.testing.assert_allclose(df(x), 2 * 3.0 * np.array([5.0, -1.0, 0.5]) * x)
    check(pb.grad(weighted), weighted, x)


def test_global_changing_shape_is_broadcast_correctly(restore):
    global DATA
    x = 0.4  # a float argument, an array global: the adjoint sums over the broadcast
    df = pb.grad(weighted)
    check(df, weighted, x)
    DATA = np.array([1.0, 1.0, 1.0, 1.0, 1.0])
    check(df, weighted, x)


def test_rebound_global_list(restore):
    global WEIGHTS
    df = pb.grad(uses_list)
    check(df, uses_list, 0.3)
    WEIGHTS = [1.0, 2.0, 3.0, 4.0]
    assert df(0.3) == pytest.approx(10.0 * np.cos(0.3))


def test_rebound_closure_variable():
    model, set_scale = make_model()
    df = pb.grad(model)
    assert df(0.2) == pytest.approx(np.cos(0.2))
    set_scale(4.0)
    assert df(0.2) == pytest.approx(4.0 * np.cos(0.2))
    assert pb.grad(model)(0.2) == pytest.approx(4.0 * np.cos(0.2))


def test_class_attribute_read_when_run(restore):
    df = pb.grad(uses_class_attribute)
    assert df(1.5) == pytest.approx(6.0)
    Config.scale = 10.0
    assert df(1.5) == pytest.approx(30.0)


def test_redefined_helper_is_seen_by_a_kept_derivative(restore):
    global helper, helper_inactive
    df = pb.grad(calls_helper)
    assert df(3.0) == pytest.approx(6.0)

    def helper(v):  # noqa: F811  (rebinds the module global on purpose)
        return v * v * v

    globals()["helper"] = helper
    assert df(3.0) == pytest.approx(27.0)
    assert pb.grad(calls_helper)(3.0) == pytest.approx(27.0)
    value, g = pb.value_and_grad(calls_helper)(2.0)
    assert (value, g) == (pytest.approx(9.0), pytest.approx(12.0))

    dg = pb.grad(calls_helper_inactive)
    assert dg(1.0) == pytest.approx(3.0)
    globals()["helper_inactive"] = lambda v: v * 10.0
    assert dg(1.0) == pytest.approx(20.0)


def test_generated_code_reads_globals_by_name():
    text = pb.source(pb.grad(weighted))
    assert "DATA = test_source_rebinding.DATA" in text
    assert "RATE = test_source_rebinding.RATE" in text


def test_second_order_follows_rebinding(restore):
    global RATE
    d2 = pb.grad(pb.grad(lambda x: RATE * x * x * x))
    assert d2(1.0) == pytest.approx(6.0 * 0.5)
    RATE = 2.0
    assert d2(1.0) == pytest.approx(12.0)


def test_forward_mode_reads_globals_when_run(restore):
    global RATE
    x, t = np.array([0.3, -0.2, 0.7]), np.ones(3)
    _, tangent = pb.jvp(weighted, (x,), (t,))
    assert tangent == pytest.approx(np.sum(2 * DATA * x) * 0.5)
    RATE = 4.0
    _, tangent = pb.jvp(weighted, (x,), (t,))
    assert tangent == pytest.approx(np.sum(2 * DATA * x) * 4.0)


def test_export_writes_the_values_read_when_run():
    from pullback.source.export import export_text

    model, set_scale = make_model()
    set_scale(3.0)
    df = pb.grad(model)
    text = export_text(df)
    assert "class scale_cell:" in text and "cell_contents = 3.0" in text
    namespace: dict = {}
    exec(compile(text, "exported", "exec"), namespace)
    assert namespace["grad_model"](0.4) == pytest.approx(df(0.4))
