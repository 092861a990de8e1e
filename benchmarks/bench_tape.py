"""Tape mode against autograd and PyTorch eager, in one process, BLAS on one thread.

In: nothing (``python benchmarks/bench_tape.py``; ``PYTHONPATH=src`` from a checkout).
Out: a table of seconds per gradient and ratios (peer / pullback tape, > 1: tape is faster),
saved to ``benchmarks/results/tape.json``. Peers that are not installed are skipped.

- ``scalar chain``: 1000 scalar operations (``x = sin(x * 1.0001 + 0.0001)``, 3 ops a step,
  333 steps), recording plus backward sweep, reported per operation;
- ``W3``: MLP loss, X 128x64, gradients of W1, b1, W2, b2;
- ``W5``: vanilla RNN, T=50, batch 8, input 16, hidden 32, gradients of Wx, Wh, b.
Graph mode (cached trace, replay of the gradient graph) is timed alongside for reference.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

import numpy as np  # noqa: E402
import timing  # noqa: E402  (pins BLAS threads before NumPy loads)
from workloads import workloads  # noqa: E402

import pullback as pb  # noqa: E402

STEPS = 333  # 3 operations each


def chain(x):
    for _ in range(STEPS):
        x = np.sin(x * 1.0001 + 0.0001)
    return x


def _autograd():
    try:
        import autograd
        import autograd.numpy as anp
    except ImportError:
        return None

    def chain_a(x):
        for _ in range(STEPS):
            x = anp.sin(x * 1.0001 + 0.0001)
        return x

    def w3(W1, b1, W2, b2, X, T):
        h = anp.tanh(anp.dot(X, W1) + b1)
        y = anp.dot(h, W2) + b2
        return anp.mean((y - T) ** 2)

    def w5(Wx, Wh, b, xs, h0):
        h = h0
        for t in range(xs.shape[0]):
            h = anp.tanh(anp.dot(xs[t], Wx) + anp.dot(h, Wh) + b)
        return anp.sum(h**2)

    return {
        "chain": autograd.grad(chain_a),
        "W3": autograd.grad(w3, (0, 1, 2, 3)),
        "W5": autograd.grad(w5, (0, 1, 2)),
    }


def _torch():
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)

    def leaves(args, argnums):
        out = []
        for i, a in enumerate(args):
            t = torch.tensor(a, dtype=torch.float64)
            out.append(t.requires_grad_() if i in argnums else t)
        return out

    def grad_of(loss_fn, argnums):
        def run(*args):
            ts = leaves(args, argnums)
            loss_fn(*ts).backward()
            return tuple(ts[i].grad for i in argnums)

        return run

    def chain_t(x):
        for _ in range(STEPS):
            x = torch.sin(x * 1.0001 + 0.0001)
        return x

    def w3(W1, b1, W2, b2, X, T):
        h = torch.tanh(X @ W1 + b1)
        y = h @ W2 + b2
        return torch.mean((y - T) ** 2)

    def w5(Wx, Wh, b, xs, h0):
        h = h0
        for t in range(xs.shape[0]):
            h = torch.tanh(xs[t] @ Wx + h @ Wh + b)
        return torch.sum(h**2)

    return {
        "chain": grad_of(chain_t, (0,)),
        "W3": grad_of(w3, (0, 1, 2, 3)),
        "W5": grad_of(w5, (0, 1, 2)),
        "version": torch.__version__,
    }


def main() -> None:
    wl = workloads()
    cases = {
        "chain": (chain, (0.5,), 0, 3 * STEPS),
        "W3": (wl["W3"].fn, wl["W3"].args, wl["W3"].argnums, None),
        "W5": (wl["W5"].fn, wl["W5"].args, wl["W5"].argnums, None),
    }
    peers = {"autograd": _autograd(), "torch": _torch()}
    rows = []
    for key, (fn, args, argnums, ops) in cases.items():
        tape = pb.grad(fn, argnums, mode="tape")
        graph = pb.grad(fn, argnums, mode="graph")
        row = {"workload": key, "tape_s": timing.seconds_per_call(lambda t=tape, a=args: t(*a))}
        row["graph_s"] = timing.seconds_per_call(lambda t=graph, a=args: t(*a))
        if ops:
            row["tape_us_per_op"] = row["tape_s"] / ops * 1e6
        for name, peer in peers.items():
            if peer is None:
                continue
            g = peer[key]
            row[f"{name}_s"] = timing.seconds_per_call(lambda g=g, a=args: g(*a))
            row[f"{name}/tape"] = row[f"{name}_s"] / row["tape_s"]
            if ops:
                row[f"{name}_us_per_op"] = row[f"{name}_s"] / ops * 1e6
        rows.append(row)
    columns = ["workload", "tape_s", "graph_s", "tape_us_per_op"]
    for name, peer in peers.items():
        if peer is not None:
            columns += [f"{name}_s", f"{name}/tape"]
    timing.print_table("tape mode: seconds per gradient (ratio > 1: tape is faster)", rows, columns)
    path = timing.save("tape", rows)
    print(f"saved {path}")


if __name__ == "__main__":
    main()
