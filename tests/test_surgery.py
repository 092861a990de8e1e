"""Gradient surgery: ``with pb.grad_of(x) as x_bar:`` runs in the backward sweep.

The block sees the adjoint of ``x`` at that point (what flows back from the code after the
block); reassigning ``x_bar`` changes what flows on. A plain call skips the block, and forward
mode ignores it.
"""

from __future__ import annotations

import numpy as np
import pytest

import pullback as pb
from pullback.source import source

SEEN = []


def record(value):
    SEEN.append(value)


def clipped(x):
    y = x * 3.0
    with pb.grad_of(y) as y_bar:
        record(y_bar)
        y_bar = np.clip(y_bar, -1.0, 1.0)
    return np.sum(y * y)


def test_clipping_the_adjoint_changes_what_flows_on():
    x = np.array([0.1, 0.5, -2.0])
    SEEN.clear()
    g = pb.grad(clipped)(x)
    np.testing.assert_allclose(SEEN[0], 2.0 * 3.0 * x * 3.0 / 3.0 * 1.0)  # 2y = 6x
    np.testing.assert_allclose(g, np.clip(6.0 * x, -1.0, 1.0) * 3.0)
    assert "np.clip(" in source(pb.grad(clipped))


def test_the_plain_function_skips_the_block():
    SEEN.clear()
    assert clipped(np.array([1.0, 2.0])) == pytest.approx(45.0)
    assert SEEN == []


def test_forward_mode_ignores_the_block():
    x = np.array([0.1, 0.5, -2.0])
    _, t = pb.jvp(clipped, (x,), (np.ones(3),))
    assert t == pytest.approx(np.sum(18.0 * x))


def scaled_in_loop(x):
    total = 0.0
    for i in range(3):
        h = np.sin(x) * (i + 1.0)
        with pb.grad_of(h) as h_bar:
            h_bar = h_bar * 0.5
        total = total + h
    return total


def test_surgery_inside_a_loop():
    x = 0.7
    expected = 0.5 * np.cos(x) * (1.0 + 2.0 + 3.0)
    assert pb.grad(scaled_in_loop)(x) == pytest.approx(expected)


def zero_adjoint(x):
    unused = x * 2.0
    with pb.grad_of(unused) as unused_bar:
        record(unused_bar)
    return x * x


def test_a_zero_adjoint_is_materialized_for_the_block():
    SEEN.clear()
    assert pb.grad(zero_adjoint)(1.5) == pytest.approx(3.0)
    assert SEEN == [0.0]


def other_with(x):
    with open("/dev/null") as handle:
        handle.read()
    return x


def test_other_with_blocks_are_rejected_with_a_hint():
    with pytest.raises(pb.UnsupportedSyntaxError, match="grad_of"):
        pb.grad(other_with)(1.0)


def spread(a, b):
    z = a + b
    with pb.grad_of(z) as z_bar:
        z_bar = 1.0  # noqa: F841  (one for every entry of z)
    return np.sum(np.sin(z))


def test_a_scalar_written_as_an_array_adjoint_holds_for_every_entry():
    a, b = np.ones((3, 4)), np.ones(4)
    a_bar, b_bar = pb.grad(spread, (0, 1))(a, b)
    np.testing.assert_array_equal(a_bar, np.ones((3, 4)))
    np.testing.assert_array_equal(b_bar, np.full(4, 3.0))  # summed over the rows b spread to


def test_tape_and_graph_modes_refuse_surgery_rather_than_skip_it():
    for mode in ("tape", "graph"):
        with pytest.raises(pb.PullbackError, match="only source mode"):
            pb.grad(clipped, mode=mode)(np.array([0.5, 2.0]))
