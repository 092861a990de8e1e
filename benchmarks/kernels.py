"""Scalar loop kernels and their hand-written adjoints, for ``compile="numba"``.

In: nothing. Out: ``KERNELS``, name -> ``Kernel(f, args, adjoint)``: the kernel as a user
writes it (plain Python over NumPy arrays, no decorator), the arguments of the benchmark size
(``make(size)``), and a hand-written adjoint (plain Python, compiled with ``numba.njit`` by
the benchmark, as an expert would write it: one backward loop, nothing taped that can be read
again). The tests import the kernels too and check ``pb.grad`` of each against finite
differences at small sizes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def w4_kernel(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += math.sin(x[i]) * x[i]
    return s


def w4_adjoint(x):
    g = np.empty_like(x)
    for i in range(x.shape[0]):
        g[i] = math.cos(x[i]) * x[i] + math.sin(x[i])
    return g


def recurrence(x):
    n = x.shape[0]
    y = np.zeros(n)
    y[0] = math.sin(x[0])
    for i in range(1, n):
        y[i] = 0.9 * y[i - 1] + math.sin(x[i])
    s = 0.0
    for i in range(n):
        s += y[i] * y[i]
    return s


def recurrence_adjoint(x):
    n = x.shape[0]
    y = np.zeros(n)
    y[0] = math.sin(x[0])
    for i in range(1, n):
        y[i] = 0.9 * y[i - 1] + math.sin(x[i])
    y_bar = 2.0 * y
    g = np.empty_like(x)
    for i in range(n - 1, 0, -1):
        g[i] = y_bar[i] * math.cos(x[i])
        y_bar[i - 1] += 0.9 * y_bar[i]
    g[0] = y_bar[0] * math.cos(x[0])
    return g


def heat(u0, steps):
    """An explicit heat-equation stencil updating the grid in place (a Gauss-Seidel sweep:
    each entry sees its already updated neighbours), then the grid's energy."""
    u = u0.copy()
    n = u.shape[0]
    m = u.shape[1]
    for _ in range(steps):
        for i in range(1, n - 1):
            for j in range(1, m - 1):
                u[i, j] = u[i, j] + 0.1 * (
                    u[i + 1, j] + u[i - 1, j] + u[i, j + 1] + u[i, j - 1] - 4.0 * u[i, j]
                )
    e = 0.0
    for i in range(n):
        for j in range(m):
            e += u[i, j] * u[i, j]
    return e


def heat_adjoint(u0, steps):
    u = u0.copy()
    n = u.shape[0]
    m = u.shape[1]
    for _ in range(steps):
        for i in range(1, n - 1):
            for j in range(1, m - 1):
                u[i, j] = u[i, j] + 0.1 * (
                    u[i + 1, j] + u[i - 1, j] + u[i, j + 1] + u[i, j - 1] - 4.0 * u[i, j]
                )
    g = 2.0 * u
    for _ in range(steps):
        for i in range(n - 2, 0, -1):
            for j in range(m - 2, 0, -1):
                a = g[i, j]
                g[i, j] = 0.6 * a
                c = 0.1 * a
                g[i + 1, j] += c
                g[i - 1, j] += c
                g[i, j + 1] += c
                g[i, j - 1] += c
    return g


def lennard_jones(p):
    n = p.shape[0]
    e = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            dx = p[i, 0] - p[j, 0]
            dy = p[i, 1] - p[j, 1]
            dz = p[i, 2] - p[j, 2]
            r2 = dx * dx + dy * dy + dz * dz
            inv6 = 1.0 / (r2 * r2 * r2)
            e += 4.0 * (inv6 * inv6 - inv6)
    return e


def lennard_jones_adjoint(p):
    n = p.shape[0]
    g = np.zeros_like(p)
    for i in range(n):
        for j in range(i + 1, n):
            dx = p[i, 0] - p[j, 0]
            dy = p[i, 1] - p[j, 1]
            dz = p[i, 2] - p[j, 2]
            r2 = dx * dx + dy * dy + dz * dz
            inv6 = 1.0 / (r2 * r2 * r2)
            de_dr2 = 4.0 * (2.0 * inv6 - 1.0) * (-3.0 * inv6 / r2)
            fx = 2.0 * de_dr2 * dx
            fy = 2.0 * de_dr2 * dy
            fz = 2.0 * de_dr2 * dz
            g[i, 0] += fx
            g[i, 1] += fy
            g[i, 2] += fz
            g[j, 0] -= fx
            g[j, 1] -= fy
            g[j, 2] -= fz
    return g


def njit_energy():
    """W4's kernel compiled with ``numba.njit`` (made on demand: Numba is optional)."""
    import numba

    return numba.njit(w4_kernel)


def model_calling(kernel):
    """A NumPy model around a compiled kernel: the kernels-and-models case."""

    def model(w, x):
        h = np.tanh(x * w[0] + w[1])
        return kernel(h) + 0.1 * np.sum(w * w)

    return model


def lattice(n: int, rng) -> np.ndarray:
    """``n`` particles near the points of a cubic lattice of spacing 1.2 (no two too close)."""
    side = math.ceil(n ** (1 / 3))
    grid = np.stack(np.meshgrid(*[np.arange(side)] * 3, indexing="ij"), -1).reshape(-1, 3)
    return grid[:n] * 1.2 + 0.05 * rng.standard_normal((n, 3))


@dataclass
class Kernel:
    f: object
    adjoint: object
    make: object  # size -> argument tuple
    wrt: int = 0


def _rng():
    return np.random.default_rng(0)


KERNELS = {
    "w4": Kernel(w4_kernel, w4_adjoint, lambda n: (_rng().standard_normal(n),)),
    "recurrence": Kernel(recurrence, recurrence_adjoint, lambda n: (_rng().standard_normal(n),)),
    "heat": Kernel(heat, heat_adjoint, lambda n: (_rng().random((n[0], n[0])), n[1])),
    "lennard_jones": Kernel(lennard_jones, lennard_jones_adjoint, lambda n: (lattice(n, _rng()),)),
}
