"""Peak memory of the RNN gradient, in hidden states per step (tracemalloc).

In: the W5 RNN step ``h = tanh(xs[t] @ Wx + h @ Wh + b)`` at batch 16, hidden 256, T steps.
Out: the traced peak of one ``pb.grad`` call divided by T * (one hidden state's bytes), on
stdout. A hand-written adjoint keeps one hidden state per step; the target is <= 1.2 at
T = 10^4.
Run: ``PYTHONPATH=src python benchmarks/rnn_memory.py [T ...]`` (default 10000).
"""

from __future__ import annotations

import sys
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy as np  # noqa: E402
from workloads import w5_rnn_loss  # noqa: E402

import pullback as pb  # noqa: E402


def states_per_step(T: int, batch: int = 16, hidden: int = 256, inputs: int = 16) -> float:
    rng = np.random.default_rng(0)
    args = (
        rng.standard_normal((inputs, hidden)) * 0.1,
        rng.standard_normal((hidden, hidden)) * 0.05,
        np.zeros(hidden),
        rng.standard_normal((T, batch, inputs)),
        np.zeros((batch, hidden)),
    )
    df = pb.grad(w5_rnn_loss, (0, 1, 2))
    df(*args[:3], args[3][:2], args[4])  # build the derivative outside the measurement
    tracemalloc.start()
    df(*args)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / (T * batch * hidden * 8)


if __name__ == "__main__":
    for T in [int(a) for a in sys.argv[1:]] or [10_000]:
        print(f"T = {T}: peak {states_per_step(T):.3f} hidden states per step")
