"""Source mode and aliasing: in-place updates that Python would make visible through another
name are refused (statically, or when the derivative runs where only the value's type can
tell); ordinary in-place code is accepted and differentiated correctly."""

from __future__ import annotations

import numpy as np
import pytest
from fd import assert_close, numeric_grad

import pullback as pb


def check(f, x):
    np.testing.assert_allclose(pb.grad(f)(x), pb.numeric.grad(f)(x), rtol=1e-6, atol=1e-8)


# -- accepted ----------------------------------------------------------------------------------
def running_total(x):
    total = 0.0
    for i in range(len(x)):
        total += x[i] * x[i]
    return total


def fills_zeros(x):
    y = np.zeros(len(x))
    for i in range(len(x)):
        y[i] = np.sin(x[i])
    return np.sum(y * x)


def copies_then_writes(x):
    x = x.copy()
    x[0] = 2.0 * x[1]
    return np.sum(x * x)


def float_alias(x):
    y = x
    y += 1.0
    return x * y


def list_slot_rebound(x):
    ys = [x, 2.0 * x]
    ys[0] = x * x
    return np.sum(ys[0] + ys[1] + x)


def element_of_list_float(x):
    ys = [x]
    ys[0] += 1.0
    return ys[0] * x


@pytest.mark.parametrize(
    "f, x",
    [
        (running_total, np.array([0.3, -1.2, 0.8])),
        (fills_zeros, np.array([0.3, -1.2, 0.8])),
        (copies_then_writes, np.array([0.3, -1.2, 0.8])),
        (float_alias, 0.7),
        (list_slot_rebound, np.array([0.3, -1.2])),
        (element_of_list_float, 0.7),
    ],
)
def test_ordinary_in_place_code_is_accepted(f, x):
    check(f, x)


# -- refused when the function is transformed ----------------------------------------------------
def alias_then_index_assign(a):
    b = a
    b[0] = 5.0
    return np.sum(a * b)


def row_view_assign(m):
    row = m[0]
    row[1] = 0.0
    return np.sum(m * m)


def alias_in_loop(a):
    total = 0.0
    for i in range(3):
        b = a
        b[i] = 0.0
        total = total + np.sum(a)
    return total


def nested_container_write(x):
    ys = [x]
    ys[0][0] = 1.0
    return np.sum(x)


@pytest.mark.parametrize(
    "f, line",
    [
        (alias_then_index_assign, "b[0] = 5.0"),
        (row_view_assign, "row[1] = 0.0"),
        (alias_in_loop, "b[i] = 0.0"),
        (nested_container_write, "ys[0][0] = 1.0"),
    ],
)
def test_index_assignment_into_a_shared_value_is_refused(f, line):
    with pytest.raises(pb.UnsupportedSyntaxError) as info:
        pb.grad(f)
    err = info.value
    assert err.filename.endswith("test_source_aliasing.py")
    assert err.line.strip() == line
    assert err.lineno is not None and err.col_offset is not None
    assert "^" in str(err) and ".copy()" in str(err) or "one index" in str(err)


# -- refused when the derivative runs, for arrays only -------------------------------------------
def alias_then_augment(x):
    y = x
    y += 1.0
    return np.sum(x * y)


def element_of_list_augmented(x):
    ys = [x]
    ys[0] += 1.0
    return np.sum(ys[0] * x)


@pytest.mark.parametrize(
    "f, line",
    [
        (alias_then_augment, "y += 1.0"),
        (element_of_list_augmented, "ys[0] += 1.0"),
    ],
)
def test_augmented_update_of_a_shared_array_is_refused_when_run(f, line):
    check(f, 0.7)  # a float: += makes a new value, nothing is shared
    with pytest.raises(pb.UnsupportedSyntaxError) as info:
        pb.grad(f)(np.array([0.7, 0.2]))
    err = info.value
    assert err.line.strip() == line and err.filename.endswith("test_source_aliasing.py")
    assert "y = x.copy()" in str(err) and "^" in str(err)


def test_update_of_an_unshared_parameter_is_accepted():
    def scale_first(x):
        x[0] = 3.0 * x[0]
        return np.sum(x * x)

    x = np.array([0.5, 1.5])
    np.testing.assert_allclose(pb.grad(scale_first)(x), [18.0 * 0.5, 3.0])


def test_checked_code_differentiates_again():
    d2 = pb.grad(pb.grad(float_alias))
    assert d2(0.7) == pytest.approx(2.0)  # x * (x + 1)
    _, tangent = pb.jvp(float_alias, (0.7,), (1.0,))
    assert tangent == pytest.approx(2 * 0.7 + 1.0)


def double_buffered_stencil(u0):
    u = u0.copy()
    for _ in range(3):
        v = u.copy()  # a new array each step: writing into it cannot change u
        for i in range(1, u.shape[0] - 1):
            v[i] = u[i] + 0.2 * (u[i + 1] - 2.0 * u[i] + u[i - 1])
        u = v
    return np.sum(u * u)


def test_a_fresh_copy_each_step_is_not_the_array_of_the_step_before():
    # one abstract object per place in the code made v (this step's copy) and u (the last
    # step's v) look shared; the copy made now is told from the ones made before
    x = np.linspace(0.1, 1.0, 7)
    want = numeric_grad(double_buffered_stencil, (x,))
    assert_close(pb.grad(double_buffered_stencil)(x), want)


def aliased_in_a_loop(x):
    u = x.copy()
    v = u
    for i in range(3):
        v[i] = 2.0 * v[i]
    return np.sum(u * u)


def test_an_alias_of_an_older_copy_is_still_refused():
    with pytest.raises(pb.UnsupportedSyntaxError, match="may share its value with 'u'"):
        pb.grad(aliased_in_a_loop)(np.array([1.0, 2.0, 3.0]))
