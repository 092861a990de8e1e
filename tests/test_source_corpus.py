"""Source mode, reverse: every corpus function against central differences."""

import copy

import numpy as np
import pytest
from corpus import CORPUS
from fd import assert_close, numeric_grad

import pullback as pb

CASES = [c for c in CORPUS if "source" in c.modes]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_grad_matches_differences(case):
    args = copy.deepcopy(case.args)
    before = copy.deepcopy(args)
    df = pb.grad(case.fn, case.argnums)
    got = df(*args, **case.kwargs)
    if case.expected is not None:
        expected = case.expected(*copy.deepcopy(case.args))
    else:
        expected = numeric_grad(case.fn, copy.deepcopy(case.args), case.argnums, kwargs=case.kwargs)
    assert_close(got, expected)
    for a, b in zip(args, before, strict=False):  # user arrays are never mutated
        if isinstance(a, (float, int, np.ndarray, list, tuple, dict)):  # not a method's self
            assert_close(a, b, rtol=0, atol=0)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_value_and_grad(case):
    args = copy.deepcopy(case.args)
    value, g = pb.value_and_grad(case.fn, case.argnums)(*args, **case.kwargs)
    assert np.allclose(value, case.fn(*copy.deepcopy(case.args), **case.kwargs))
    assert_close(g, pb.grad(case.fn, case.argnums)(*copy.deepcopy(case.args), **case.kwargs))
