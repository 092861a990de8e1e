"""Source mode writes ``y[i] = v`` in a loop into ``y`` itself when ``y`` is an array the
function made: linear in the loop's length, and still right (values against differences,
second order, forward over reverse, vjp called twice)."""

import numpy as np
import pytest

import pullback as pb


def recurrence(x):
    y = np.zeros(x.shape[0])
    y[0] = x[0]
    for i in range(1, x.shape[0]):
        y[i] = 0.5 * y[i - 1] + np.sin(x[i]) * y[i - 1] + x[i]
    return np.sum(y * y)


def trajectory(x):
    y = np.zeros(x.shape[0])
    y[0] = x[0]
    for i in range(1, x.shape[0]):
        y[i] = np.cos(y[i - 1]) * x[i]
    return y


def through_trajectory(x):
    return np.sum(trajectory(x) ** 2)


def grid(x):
    n = x.shape[0]
    y = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            above = y[i - 1, j] if i > 0 else 0.0
            y[i, j] = x[i] * np.sin(x[j]) + 0.5 * above
    return np.sum(y**2)


def rows(x):
    y = np.zeros((x.shape[0], x.shape[0]))
    y[0] = x
    for i in range(1, x.shape[0]):
        y[i] = np.tanh(y[i - 1]) * x
    return np.sum(y * y)


def stencil(x):
    y = np.zeros(x.shape[0])
    for i in range(1, x.shape[0] - 1):
        y[i] += x[i - 1] * x[i + 1]
        y[i - 1] += np.sin(x[i])
    return np.sum(y**2)


def overwrites(x):
    y = np.ones(3)
    total = 0.0
    for i in range(x.shape[0]):
        y[i % 3] = y[i % 3] * x[i] + 1.0  # each entry written several times
        total = total + np.sum(y * x[:3])  # reads the whole of y between writes
    return total


def while_fill(x):
    y = np.zeros(x.shape[0])
    i = 0
    while i < x.shape[0]:
        y[i] = x[i] ** 2 + (y[i - 1] if i > 0 else 0.0)
        i = i + 1
    return np.sum(np.sin(y))


def into_parameter(x, y):
    for i in range(x.shape[0]):
        y[i] = y[i] * x[i]
    return np.sum(y * y)


CASES = [recurrence, through_trajectory, grid, rows, stencil, overwrites, while_fill]
X = np.linspace(0.1, 0.9, 5)


@pytest.mark.parametrize("fn", CASES, ids=[f.__name__ for f in CASES])
def test_gradient_against_differences(fn):
    np.testing.assert_allclose(pb.grad(fn)(X), pb.numeric.grad(fn)(X), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("fn", CASES, ids=[f.__name__ for f in CASES])
def test_hessian_against_differences_of_the_gradient(fn):
    gradient = pb.grad(fn)
    h = pb.hessian(fn)(X)
    for k in (0, 2):
        expected = pb.numeric.grad(lambda z, k=k: gradient(z)[k])(X)
        np.testing.assert_allclose(h[k], expected, rtol=1e-5, atol=1e-6)


def test_writes_in_place_and_records_only_the_old_entry():
    text = pb.source(pb.grad(recurrence))
    assert "write_entry(y_2, i, " in text
    assert "y_i_old = y_2[i].copy()" in text
    assert "setitem(y_2, i" not in text  # no copy of y per iteration


def scalar_recurrence(a):
    y = np.zeros(6)
    y[0] = a
    for i in range(1, 6):
        y[i] = np.sin(y[i - 1]) * a + y[i - 1] ** 2
    return np.sum(y)


def test_grad_of_grad():
    first = pb.grad(scalar_recurrence)
    second = pb.grad(first)(0.3)
    np.testing.assert_allclose(second, pb.numeric.grad(first)(0.3), rtol=1e-6)
    np.testing.assert_allclose(first(0.3), pb.numeric.grad(scalar_recurrence)(0.3), rtol=1e-7)


def test_vjp_leaves_the_returned_array_alone_and_can_be_called_again():
    value, vjp_fn = pb.vjp(trajectory, X)
    expected = trajectory(X)
    first = vjp_fn(np.arange(5.0))
    np.testing.assert_allclose(value, expected)  # not written back by the backward sweep
    second = vjp_fn(np.arange(5.0))
    np.testing.assert_allclose(first[0], second[0])
    jac = pb.jacobian(trajectory)(X)
    by_rows = np.array([pb.numeric.grad(lambda z, k=k: trajectory(z)[k])(X) for k in range(5)])
    np.testing.assert_allclose(jac, by_rows, rtol=1e-6, atol=1e-8)


def test_aux_is_a_copy():
    def loss(x):
        y = trajectory(x)
        z = np.zeros(x.shape[0])
        for i in range(x.shape[0]):
            z[i] = y[i] * 2.0
        return np.sum(z), z

    g, aux = pb.grad(loss, has_aux=True)(X)
    np.testing.assert_allclose(aux, 2.0 * trajectory(X))
    np.testing.assert_allclose(g, pb.numeric.grad(lambda x: loss(x)[0])(X), rtol=1e-6)


def test_a_parameter_is_never_written_in_place():
    y = np.linspace(1.0, 2.0, 5)
    before = y.copy()
    g = pb.grad(into_parameter, argnums=(0, 1))(X, y)
    np.testing.assert_array_equal(y, before)

    def on_a_copy(x, y):  # the plain function writes into y
        return into_parameter(x, y.copy())

    np.testing.assert_allclose(g[0], pb.numeric.grad(on_a_copy, 0)(X, y), rtol=1e-6)
    np.testing.assert_allclose(g[1], pb.numeric.grad(on_a_copy, 1)(X, y), rtol=1e-6)
    assert "write_entry" not in pb.source(pb.grad(into_parameter))


def test_forward_mode_through_the_filled_array():
    _, tangent = pb.jvp(through_trajectory, (X,), (np.ones(5),))
    np.testing.assert_allclose(tangent, pb.grad(through_trajectory)(X).sum(), rtol=1e-7)


def with_previous(x):
    y = np.zeros(len(x))
    y[0] = x[0]
    for i in range(1, len(x)):
        previous = y[i - 1]  # a number: y[i - 1] of a 1-D array made by np.zeros
        y[i] = previous * 0.5 + np.sin(x[i])
    return np.sum(y * y)


def test_an_entry_read_into_a_name_is_not_a_view():
    np.testing.assert_allclose(
        pb.grad(with_previous)(X), pb.numeric.grad(with_previous)(X), rtol=1e-6
    )


def test_a_row_read_into_a_name_is_still_a_view():
    def row_view(x):
        y = np.zeros((3, len(x)))
        for i in range(1, 3):
            above = y[i - 1]  # a view of y's row: y[i] = ... must not change it
            y[i] = above + x
        return np.sum(y)

    with pytest.raises(pb.UnsupportedSyntaxError, match="'above'"):
        pb.grad(row_view)(X)
