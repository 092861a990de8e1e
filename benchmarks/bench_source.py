"""Source mode: gradient time against the primal and against hand-written NumPy adjoints.

In: the workloads W1, W2, W3, W5 (``workloads.py``), a scalar loop kernel (``kernel`` below)
and a recurrence filling an array (``recurrence``) at n = 1000 and n = 4000.
Out: a table of ratios on stdout and ``results/source.json``. Targets: W1 and W2 gradient /
primal <= 3; W3 and W5 gradient / hand-written <= 1.2; the loop kernel's and the recurrence's
gradient / primal about 5 or less, and the same at both sizes (linear in n); transforming the
MLP loss <= 50 ms.
Run: ``PYTHONPATH=src python benchmarks/bench_source.py`` (BLAS on one thread; W1-W5 each in
five fresh processes, reported as the median and range of the per-process ratios; autograd,
JAX (jit) and PyTorch columns appear only where those are importable).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
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
        t = timing.interleaved(
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
        t = timing.interleaved(
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
        t = timing.interleaved(fns, rounds=3)
        row = {"workload": f"{w.name} (peers)", "grad_us": t["source"] * 1e6}
        for label in set(t) - {"source"}:
            row[f"{label}/source"] = t[label] / t["source"]
        rows.append(row)
    return rows


WORKERS = 5  # fresh processes per workload: where an array lands in memory moves a ratio


def measure(key: str, peers: bool = False) -> dict:
    """One process's best times for workload ``key``, measured in alternation: primal,
    gradient and hand-written adjoint; or, with ``peers``, gradient and autograd (a peer in the
    process changes what NumPy's allocations cost, so it gets processes of its own)."""
    w = workloads()[key]
    grad = pb.grad(w.fn, w.argnums)
    fns = {"source": lambda: grad(*w.args)}
    if peers:
        fns.update(optional_columns(w))
    else:
        fns["primal"] = lambda: w.fn(*w.args)
        fns["by_hand"] = lambda: w.by_hand(*w.args)
    return timing.interleaved(fns)


def _in_worker(key: str, peers: bool = False) -> dict:
    command = [sys.executable, __file__, "--worker", key] + (["--peers"] if peers else [])
    env = dict(os.environ, **timing.FIXED_ALLOCATOR)
    out = subprocess.run(command, check=True, capture_output=True, text=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def workload_rows() -> list[dict]:
    """W1, W2, W3, W5, each measured in ``WORKERS`` fresh processes; the ratios reported are
    the median over processes, with their range. The same code measures 1.0x or 1.2x the
    hand-written adjoint from one process to the next, depending on where NumPy's 128 KiB
    buffers fall (allocator thresholds, cache sets); one process alone would report either."""
    rows = []
    for key, w in workloads().items():
        runs = [_in_worker(key) for _ in range(WORKERS)]
        peer_runs = [_in_worker(key, peers=True) for _ in range(2)]

        def median(values):
            return statistics.median(values)

        def spread(values):
            return f"{min(values):.2f}-{max(values):.2f}"

        vs_hand = [r["source"] / r["by_hand"] for r in runs]
        vs_primal = [r["source"] / r["primal"] for r in runs]
        row = {
            "workload": w.name,
            "primal_us": median([r["primal"] for r in runs]) * 1e6,
            "grad_us": median([r["source"] for r in runs]) * 1e6,
            "hand_us": median([r["by_hand"] for r in runs]) * 1e6,
            "grad/primal": median(vs_primal),
            "grad/primal range": spread(vs_primal),
            "grad/hand": median(vs_hand),
            "grad/hand range": spread(vs_hand),
        }
        for other in sorted(set(peer_runs[0]) - {"source"}):
            row[f"{other}/source"] = median([r[other] / r["source"] for r in peer_runs])
        rows.append(row)
    return rows


def fault_rows() -> list[dict]:
    """Page faults per call of the W3 gradient and of its hand-written adjoint (where the
    platform counts them): how much fresh memory each touches, a count the machine's noise
    does not move."""
    try:
        import resource
    except ImportError:
        return []
    w = workloads()["W3"]
    grad = pb.grad(w.fn, w.argnums)
    counts = {}
    for name, fn in (("source", lambda: grad(*w.args)), ("by_hand", lambda: w.by_hand(*w.args))):
        fn()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(200):
            fn()
        counts[name] = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 200
    return [
        {
            "workload": "W3 page faults per call",
            "grad_us": counts["source"],
            "hand_us": counts["by_hand"],
            "grad/hand": counts["source"] / max(counts["by_hand"], 1e-9),
        }
    ]


def main() -> None:
    rows = workload_rows()
    rows += fault_rows()
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
    columns += ["grad/hand range", "grad/primal range"]
    columns += sorted({c for r in rows for c in r} - set(columns))
    title = "source mode (BLAS on one thread; best of interleaved runs; W1-W5: median of "
    timing.print_table(title + f"{WORKERS} processes)", rows, columns)
    print("results:", timing.save("source", rows))
    np.seterr(all="warn")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        print(json.dumps(measure(sys.argv[2], peers="--peers" in sys.argv)))
    else:
        main()
