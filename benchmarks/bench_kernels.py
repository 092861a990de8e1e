"""Compiled derivatives of loop kernels: ``pb.grad(kernel, compile="numba")``.

In: the kernels of ``kernels.py`` (W4 ``s += sin(x[i]) * x[i]`` at n = 10^4 and 10^6, a
recurrence at n = 10^4, a 128 x 128 heat stencil over 200 steps updated in place, a
Lennard-Jones energy of 512 particles) and Numba.
Out: a table on stdout and ``results/kernels.json``: per kernel, compiled gradient / the
hand-written adjoint compiled with Numba (targets: <= 1.5 for W4, <= 2 for the others),
compiled gradient / Numba-compiled primal, and the first call's time (specialize + compile)
in seconds. Also the uncompiled (CPython) W4 gradient / Python primal, and ``pb.vjp(kernel,
compile="numba")`` (the call and its pullback with cotangent 1, and the pullback alone) / the
hand-written adjoint, for W4 and the recurrence. Each gradient is
checked against the hand-written adjoint before it is timed.
Run: ``PYTHONPATH=src python benchmarks/bench_kernels.py`` (one process, BLAS on one thread).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import timing  # noqa: E402  (pins BLAS threads before NumPy loads)

# isort: split
import numpy as np  # noqa: E402
from kernels import KERNELS  # noqa: E402

import pullback as pb  # noqa: E402

CASES = [  # (kernel, size, target for gradient / hand-written adjoint)
    ("w4", 10_000, 1.5),
    ("w4", 1_000_000, 1.5),
    ("recurrence", 10_000, 2.0),
    ("heat", (128, 200), 2.0),
    ("lennard_jones", 512, 2.0),
]


def main() -> int:
    try:
        import numba
    except ImportError:
        print("bench_kernels: Numba is not installed (pip install numba); nothing to measure")
        return 0
    rows = []
    for name, size, target in CASES:
        k = KERNELS[name]
        args = k.make(size)
        adjoint = numba.njit(k.adjoint)
        primal = numba.njit(k.f)
        start = time.perf_counter()
        df = pb.grad(k.f, compile="numba")
        got = df(*args)
        first = time.perf_counter() - start
        want = adjoint(*args)
        error = float(np.max(np.abs(got - want)) / np.max(np.abs(want)))
        if error > 1e-10:
            print(f"{name}: the compiled gradient differs from the adjoint by {error:.2e}")
            return 1
        times = timing.interleaved(
            {
                "grad": lambda df=df, args=args: df(*args),
                "adjoint": lambda adjoint=adjoint, args=args: adjoint(*args),
                "primal": lambda primal=primal, args=args: primal(*args),
            },
            rounds=5,
            budget=0.3,
        )
        rows.append(
            {
                "kernel": name,
                "size": str(size),
                "grad / hand-written adjoint": times["grad"] / times["adjoint"],
                "target": target,
                "grad / compiled primal": times["grad"] / times["primal"],
                "first call s": first,
                "grad ms": times["grad"] * 1e3,
            }
        )
    for name, size in (("w4", 10_000), ("w4", 1_000_000), ("recurrence", 10_000)):
        k = KERNELS[name]
        args = k.make(size)
        adjoint = numba.njit(k.adjoint)
        start = time.perf_counter()
        _, back = pb.vjp(k.f, *args, compile="numba")
        (got,) = back(1.0)
        first = time.perf_counter() - start
        want = adjoint(*args)
        error = float(np.max(np.abs(got - want)) / np.max(np.abs(want)))
        if error > 1e-10:
            print(f"{name}: the compiled VJP differs from the adjoint by {error:.2e}")
            return 1

        def whole(k=k, args=args):
            return pb.vjp(k.f, *args, compile="numba")[1](1.0)

        times = timing.interleaved(
            {
                "vjp": whole,
                "pullback": lambda back=back: back(1.0),
                "adjoint": lambda adjoint=adjoint, args=args: adjoint(*args),
            },
            rounds=5,
            budget=0.3,
        )
        for what, label in (("vjp", "vjp + pullback"), ("pullback", "pullback only")):
            rows.append(
                {
                    "kernel": f"{name} pb.vjp ({label})",
                    "size": str(size),
                    "grad / hand-written adjoint": times[what] / times["adjoint"],
                    "target": None,
                    "first call s": first if what == "vjp" else None,
                    "grad ms": times[what] * 1e3,
                }
            )
    from kernels import model_calling, njit_energy

    model = model_calling(njit_energy())
    w, x = np.array([0.7, -0.2]), KERNELS["w4"].make(10_000)[0]
    for mode in ("source", "tape"):
        dm = pb.grad(model, mode=mode)
        dm(w, x)
        times = timing.interleaved({"grad": lambda dm=dm: dm(w, x), "primal": lambda: model(w, x)})
        rows.append(
            {
                "kernel": f"NumPy model calling the W4 kernel ({mode} mode)",
                "size": "10000",
                "grad / compiled primal": times["grad"] / times["primal"],
                "grad ms": times["grad"] * 1e3,
            }
        )
    k = KERNELS["w4"]
    args = k.make(10_000)
    df = pb.grad(k.f)
    times = timing.interleaved({"grad": lambda: df(*args), "primal": lambda: k.f(*args)})
    rows.append(
        {
            "kernel": "w4 uncompiled (CPython)",
            "size": "10000",
            "grad / hand-written adjoint": None,
            "target": 3.0,
            "grad / compiled primal": None,
            "grad / Python primal": times["grad"] / times["primal"],
            "first call s": None,
            "grad ms": times["grad"] * 1e3,
        }
    )
    columns = [
        "kernel",
        "size",
        "grad / hand-written adjoint",
        "target",
        "grad / compiled primal",
        "grad / Python primal",
        "first call s",
        "grad ms",
    ]
    timing.print_table("compiled loop kernels (compile='numba')", rows, columns)
    timing.save("kernels", rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
