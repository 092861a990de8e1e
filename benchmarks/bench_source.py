"""Source mode: gradient time against the primal and against hand-written NumPy adjoints.

In: the workloads W1, W2, W3, W5 (``workloads.py``), a scalar loop kernel (``kernel`` below)
and a recurrence filling an array (``recurrence``) at n = 1000 and n = 4000.
Out: a table of ratios on stdout and ``results/source.json``. Targets: W1 and W2 gradient /
primal <= 3; W3 and W5 gradient / hand-written <= 1.2; the loop kernel's and the recurrence's
gradient / primal about 5 or less, and the same at both sizes (linear in n); transforming the
MLP loss <= 50 ms.
Run: ``PYTHONPATH=src python benchmarks/bench_source.py`` (one process, BLAS on one thread;
autograd, JAX (jit) and PyTorch columns appear only where those are importable).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import timing  # noqa: E402  (pins BLAS threads before NumPy loads)

try:  # noqa: SIM105
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
except Exception:
    pass

import numpy as np  # noqa: E402
from peers import as_numpy, gradient_callables  # noqa: E402
from workloads import workloads  # noqa: E402

import pullback as pb  # noqa: E402
from pullback.source import cache  # noqa: E402


def interleaved(fns: dict, rounds: int = 5, budget: float = 0.1) -> dict:
    """Best time per call of each function, measured in alternation to share the noise."""
    best = {k: float("inf") for k in fns}
    for _ in range(rounds):
        for k, fn in fns.items():
            best[k] = min(best[k], timing.seconds_per_call(fn, budget=budget, repeats=3))
    return best


def optional_columns(w):
    out = {}
    try:
        import autograd
        import autograd.numpy as anp  # noqa: F401

        g = autograd.grad(w.fn, w.argnums)
        out["autograd"] = lambda: g(*w.args)
    except Exception:
        pass
    return out


def kernel(x):
    s = 0.0
    for i in range(len(x)):
        s = s + np.sin(x[i]) * x[i]
    return s


def kernel_by_hand(x):
    g = np.zeros(len(x))
    for i in range(len(x)):
        g[i] = np.cos(x[i]) * x[i] + np.sin(x[i])
    return g


def kernel_rows() -> list[dict]:
    """The scalar loop kernel: gradient / primal at two sizes (equal ratios: linear in n)."""
    rows = []
    grad = pb.grad(kernel)
    for n in (1000, 4000):
        x = np.random.default_rng(n).standard_normal(n)
        t = interleaved(
            {
                "primal": lambda x=x: kernel(x),
                "source": lambda x=x: grad(x),
                "by_hand": lambda x=x: kernel_by_hand(x),
            },
            rounds=3,
        )
        rows.append(
            {
                "workload": f"scalar loop kernel n={n}",
                "primal_us": t["primal"] * 1e6,
                "grad_us": t["source"] * 1e6,
                "hand_us": t["by_hand"] * 1e6,
                "grad/primal": t["source"] / t["primal"],
                "grad/hand": t["source"] / t["by_hand"],
            }
        )
    return rows


def recurrence(x):
    y = np.zeros(len(x))
    y[0] = x[0]
    for i in range(1, len(x)):
        y[i] = 0.9 * y[i - 1] + np.sin(x[i]) * x[i]
    return np.sum(y * y)


def recurrence_rows() -> list[dict]:
    """An array filled by a recurrence (``y[i] = f(y[i - 1], x[i])``): gradient / primal at
    two sizes (equal ratios: linear in n; each y[i] = ... once copied all of y)."""
    rows = []
    grad = pb.grad(recurrence)
    for n in (1000, 4000):
        x = np.random.default_rng(n).standard_normal(n)
        t = interleaved(
            {"primal": lambda x=x: recurrence(x), "source": lambda x=x: grad(x)}, rounds=3
        )
        rows.append(
            {
                "workload": f"recurrence filling y n={n}",
                "primal_us": t["primal"] * 1e6,
                "grad_us": t["source"] * 1e6,
                "grad/primal": t["source"] / t["primal"],
            }
        )
    return rows


def peer_rows() -> list[dict]:
    """JAX (jit) and PyTorch beside source mode, measured after pullback's own ratios (a peer
    loaded into the process slows NumPy's allocations) and checked against its gradient."""
    rows = []
    for key, w in workloads().items():
        grad = pb.grad(w.fn, w.argnums)
        ours = as_numpy(grad(*w.args))
        fns = {"source": lambda grad=grad, w=w: grad(*w.args)}
        for label, run in gradient_callables(key, w.args, w.argnums).items():
            theirs = as_numpy(run())
            agree = all(
                np.allclose(a, b, rtol=1e-8, atol=1e-10) for a, b in zip(ours, theirs, strict=True)
            )
            if not agree:
                raise AssertionError(f"{label} disagrees with pullback on {w.name}")
            fns[label] = run
        if len(fns) == 1:
            continue
        t = interleaved(fns, rounds=3)
        row = {"workload": f"{w.name} (peers)", "grad_us": t["source"] * 1e6}
        for label in set(t) - {"source"}:
            row[f"{label}/source"] = t[label] / t["source"]
        rows.append(row)
    return rows


def main() -> None:
    rows = []
    for _key, w in workloads().items():
        grad = pb.grad(w.fn, w.argnums)
        fns = {
            "primal": lambda w=w: w.fn(*w.args),
            "source": lambda grad=grad, w=w: grad(*w.args),
            "by_hand": lambda w=w: w.by_hand(*w.args),
        }
        fns.update(optional_columns(w))
        t = interleaved(fns)
        row = {
            "workload": w.name,
            "primal_us": t["primal"] * 1e6,
            "grad_us": t["source"] * 1e6,
            "hand_us": t["by_hand"] * 1e6,
            "grad/primal": t["source"] / t["primal"],
            "grad/hand": t["source"] / t["by_hand"],
        }
        for other in set(t) - {"primal", "source", "by_hand"}:
            row[f"{other}/source"] = t[other] / t["source"]
        rows.append(row)
    rows += kernel_rows()
    rows += recurrence_rows()
    rows += peer_rows()
    mlp = workloads()["W3"]
    transform = []
    for _ in range(5):
        cache.clear()
        start = time.perf_counter()
        pb.grad(mlp.fn, mlp.argnums)
        transform.append(time.perf_counter() - start)
    cached = timing.seconds_per_call(lambda: pb.grad(mlp.fn, mlp.argnums), budget=0.1)
    rows.append(
        {"workload": "transform MLP loss (us; target <= 50000)", "grad_us": min(transform) * 1e6}
    )
    rows.append({"workload": "cached pb.grad(f) call (us)", "grad_us": cached * 1e6})
    columns = ["workload", "primal_us", "grad_us", "hand_us", "grad/primal", "grad/hand"]
    columns += sorted({c for r in rows for c in r} - set(columns))
    timing.print_table("source mode (BLAS on one thread; best of interleaved runs)", rows, columns)
    print("results:", timing.save("source", rows))
    np.seterr(all="warn")


if __name__ == "__main__":
    main()
