"""Tape mode's per-operation cost, for before/after comparisons of the tracing path.

In: the ``pullback`` found on ``PYTHONPATH`` (any tree: this script reads no other file of it).
Out: one line: best seconds per tape-mode gradient of W3 (the MLP loss) and of a chain of 999
scalar NumPy operations. Run it alternately on two trees and compare the ratios:
``for t in OLD NEW; do PYTHONPATH=$t/src python benchmarks/tape_chain.py; done``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import timing  # noqa: E402,F401  (pins BLAS threads before NumPy loads)

# isort: split
import numpy as np  # noqa: E402
from workloads import workloads  # noqa: E402

import pullback as pb  # noqa: E402


def chain(x):
    for _ in range(333):
        x = np.sin(x) * 1.01 + 0.1
    return x


def best(fn, n: int = 7) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    w3 = workloads()["W3"]
    g3 = pb.grad(w3.fn, w3.argnums, mode="tape")
    gc = pb.grad(chain, mode="tape")
    g3(*w3.args)
    gc(0.3)
    print(f"W3 {best(lambda: g3(*w3.args)):.6f} s  chain {best(lambda: gc(0.3)):.6f} s")


if __name__ == "__main__":
    main()
