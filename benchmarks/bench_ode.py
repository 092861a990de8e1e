"""The derivatives of ``scipy.integrate.odeint``: adjoint (gradient) and sensitivities (JVP).

In: a damped, driven oscillator (2 states, 2 parameters, 6 output times, rtol = atol = 1e-11)
and SciPy.
Out: a table on stdout: gradient / primal in source and tape modes, JVP / primal, measured
interleaved in one process. The right-hand side is tiny, so these ratios are mostly the cost
of one VJP (or JVP) of it per solver step.
Run: ``PYTHONPATH=src python benchmarks/bench_ode.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import timing  # noqa: E402  (pins BLAS threads before NumPy loads)

# isort: split
import numpy as np  # noqa: E402
from scipy.integrate import odeint  # noqa: E402

import pullback as pb  # noqa: E402


def oscillator(y, t, k, damping):
    return np.array([y[1], -k * y[0] - damping * y[1] + 0.5 * np.sin(t)])


def loss(y0, k, damping):
    t = np.linspace(0.0, 2.0, 6)
    ys = odeint(oscillator, y0, t, args=(k, damping), rtol=1e-11, atol=1e-11)
    return np.sum(ys**2) + ys[-1, 0]


def main():
    y0, k, damping = np.array([1.0, 0.5]), 1.5, 0.3
    source = pb.grad(loss, (0, 1, 2))
    tape = pb.grad(loss, (0, 1, 2), mode="tape")
    fns = {
        "primal": lambda: loss(y0, k, damping),
        "source gradient": lambda: source(y0, k, damping),
        "tape gradient": lambda: tape(y0, k, damping),
        "jvp": lambda: pb.jvp(loss, (y0, k, damping), (np.ones(2), 1.0, 1.0)),
    }
    for fn in fns.values():
        fn()  # first calls: transform, trace
    times = timing.interleaved(fns)
    rows = [{"ratio": name, "to primal": times[name] / times["primal"]} for name in fns]
    timing.print_table("odeint derivatives (one process)", rows[1:], ["ratio", "to primal"])


if __name__ == "__main__":
    main()
