"""Source mode is closed over its own output: grad of grad, through loops and calls."""

import copy

import numpy as np
import pytest
from corpus import CORPUS

import pullback as pb

SCALAR_CASES = [
    c
    for c in CORPUS
    if c.args
    and isinstance(c.args[0], float)
    and c.argnums == 0
    and c.name not in ("stop_gradient", "for_list", "side_effects")
]


@pytest.mark.parametrize("case", SCALAR_CASES, ids=[c.name for c in SCALAR_CASES])
def test_grad_of_grad(case):
    g = pb.grad(case.fn)
    second = pb.grad(g)(*copy.deepcopy(case.args))
    h = 1e-5
    up, down = list(case.args), list(case.args)
    up[0] += h
    down[0] -= h
    expected = (g(*up) - g(*down)) / (2 * h)
    np.testing.assert_allclose(second, expected, rtol=1e-4, atol=1e-5)


def test_generated_code_is_accepted_by_the_front_end():
    from showcase import tanh_loop

    third = pb.grad(pb.grad(tanh_loop))
    assert "x_stack" in pb.source(third)
