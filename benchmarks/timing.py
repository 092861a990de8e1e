"""Timing in one process: BLAS pinned to one thread, best of several repeats.

In: a zero-argument callable. Out: seconds per call (the minimum over repeats of the mean over
a batch sized to take about ``budget`` seconds), the same for several functions measured in
turns (``interleaved``), and helpers to print and save ratio tables.
Import this module before NumPy so the thread pinning takes effect.
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "XLA_FLAGS"):
    if _var == "XLA_FLAGS":
        os.environ.setdefault(
            _var, "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
        )
    else:
        os.environ.setdefault(_var, "1")

RESULTS = Path(__file__).resolve().parent / "results"

# glibc's malloc moves its mmap threshold as a process frees large blocks, so whether NumPy's
# temporaries reuse the heap or fault in fresh pages depends on the process's history (what
# it imported first): the same NumPy code measured 0.43 or 0.68 ms per call from one process
# to the next. Fixed thresholds, set in a worker's environment before it starts, remove that.
FIXED_ALLOCATOR = {"MALLOC_MMAP_THRESHOLD_": "268435456", "MALLOC_TRIM_THRESHOLD_": "268435456"}


def seconds_per_call(fn, budget: float = 0.2, repeats: int = 5) -> float:
    fn()  # warm caches, trigger compilation
    n = 1
    while True:
        start = time.perf_counter()
        for _ in range(n):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= budget / repeats or n >= 1 << 20:
            break
        n *= 4
    best = elapsed / n
    for _ in range(repeats - 1):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter() - start) / n)
    return best


def interleaved(fns: dict, rounds: int = 5, budget: float = 0.1) -> dict:
    """Best seconds per call of each function, measured in turns so that they share the
    machine's noise: ``rounds`` rounds, each timing every function once."""
    best = {k: float("inf") for k in fns}
    for _ in range(rounds):
        for k, fn in fns.items():
            best[k] = min(best[k], seconds_per_call(fn, budget=budget, repeats=3))
    return best


def print_table(title: str, rows: list[dict], columns: list[str]) -> None:
    print(title)
    widths = [max(len(c), *(len(_fmt(r.get(c))) for r in rows)) for c in columns]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=False)))
    for r in rows:
        print("  ".join(_fmt(r.get(c)).ljust(w) for c, w in zip(columns, widths, strict=False)))
    print()


def _fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)


def save(name: str, rows: list[dict]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    meta = {"python": platform.python_version(), "machine": platform.machine()}
    path.write_text(json.dumps({"meta": meta, "rows": rows}, indent=2, default=float))
    return path
