"""``d.get(key, default)`` where the dict's entries or the default carry a derivative: the
derivative goes to the entry when the key is there, else to the default; in every mode and
direction, against finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from fd import assert_close, numeric_grad

import pullback as pb

MODES = ["source", "tape", "graph"]
CONSTANT = {"a": 1.5}


def entry_or_default(x):
    d = {"a": x * 2.0}
    return np.sum(d.get("a", 0.0) * x) + np.sum(d.get("b", np.sin(x)))


def constant_dict_default(x):
    return np.sum(CONSTANT.get("b", x * 3.0)) + np.sum(CONSTANT.get("a", x) * x)


def one_argument(x):
    d = {"w": x**2}
    return np.sum(d.get("w"))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f", [entry_or_default, constant_dict_default, one_argument])
def test_get(f, mode):
    x = np.array([0.4, -1.3, 2.0])
    g = pb.grad(f, mode=mode)(x)
    assert_close(g, numeric_grad(f, (x,)))
    v = np.array([1.0, 0.5, -2.0])
    assert_close(pb.jvp(f, (x,), (v,), mode=mode)[1], np.dot(g, v))
