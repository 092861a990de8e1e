"""The cost of check_finite=True on the W3 MLP gradient, in one process (interleaved runs).

PYTHONPATH=src python benchmarks/check_finite_cost.py
"""

import timeit

import numpy as np
from workloads import workloads

import pullback as pb


def main(rounds: int = 7, number: int = 200) -> float:
    w = workloads()["W3"]
    plain = pb.grad(w.fn, argnums=w.argnums)
    checked = pb.grad(w.fn, argnums=w.argnums, check_finite=True)
    for p, c in zip(plain(*w.args), checked(*w.args), strict=True):
        assert p.tobytes() == c.tobytes()  # the same bits
    best_plain = best_checked = float("inf")
    for _ in range(rounds):  # interleaved, best of each: the machine's noise hits both alike
        best_plain = min(best_plain, timeit.timeit(lambda: plain(*w.args), number=number))
        best_checked = min(best_checked, timeit.timeit(lambda: checked(*w.args), number=number))
    ratio = best_checked / best_plain
    print(
        f"W3 gradient: plain {best_plain / number * 1e6:.0f} us, check_finite "
        f"{best_checked / number * 1e6:.0f} us, ratio {ratio:.2f}"
    )
    np.testing.assert_array_less(ratio, 2.0)
    return ratio


if __name__ == "__main__":
    main()
