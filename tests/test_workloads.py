"""The benchmarks' hand-written adjoints are right: finite differences on small inputs."""

import sys
from pathlib import Path

import numpy as np
import pytest

import pullback as pb

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from workloads import workloads  # noqa: E402


def _small(name, args):
    if name == "W3":
        W1, b1, W2, b2, X, T = args
        return (W1[:8, :16].copy(), b1[:16].copy(), W2[:16].copy(), b2, X[:4, :8].copy(), T[:4])
    if name == "W5":
        Wx, Wh, b, xs, h0 = args
        return (Wx, Wh, b, xs[:4], h0)
    return args


@pytest.mark.parametrize("name", ["W1", "W2", "W3", "W5"])
def test_hand_written_adjoint_matches_finite_differences(name):
    w = workloads()[name]
    args = _small(name, w.args)
    by_hand = w.by_hand(*args)
    numeric = pb.numeric.grad(w.fn, w.argnums)(*args)
    by_hand = by_hand if isinstance(by_hand, tuple) else (by_hand,)
    numeric = numeric if isinstance(numeric, tuple) else (numeric,)
    for a, b in zip(by_hand, numeric, strict=False):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-8)
