"""Before and after in one run: source mode's workload ratios at two commits, interleaved.

In: a git revision to compare against (``OLD``), optionally a second one (default: the working
tree), the workloads (default W3 and W5) and the number of rounds.
Out: for each workload and tree, the median over fresh processes of gradient / hand-written
adjoint and gradient / primal, and the medians of new / old gradient time and of new / old
hand-written time (the same code in both: the machine's drift), on stdout. The two
trees run alternately, round by round, each in fresh processes (``bench_source.py --worker``),
so the machine's drift falls on both alike; glibc's malloc thresholds are fixed in every
worker (``timing.FIXED_ALLOCATOR``), so a tree's imports do not decide NumPy's page faults.
Run: ``python benchmarks/compare_commits.py ae2c306 --workloads W3 W5 --rounds 5``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from timing import FIXED_ALLOCATOR  # noqa: E402


def _worker(tree: Path, key: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree / "src"), **FIXED_ALLOCATOR)
    script = tree / "benchmarks" / "bench_source.py"
    out = subprocess.run(
        [sys.executable, str(script), "--worker", key],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=tree,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _checkout(revision: str, into: Path) -> Path:
    subprocess.run(
        ["git", "worktree", "add", "--detach", "-q", str(into), revision], check=True, cwd=ROOT
    )
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old")
    parser.add_argument("new", nargs="?", default=None)
    parser.add_argument("--workloads", nargs="+", default=["W3", "W5"])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"old": _checkout(args.old, Path(tmp) / "old")}
        trees["new"] = _checkout(args.new, Path(tmp) / "new") if args.new else ROOT
        try:
            runs: dict = {(k, t): [] for k in args.workloads for t in trees}
            for round_ in range(args.rounds):
                order = ["old", "new"] if round_ % 2 == 0 else ["new", "old"]  # no order bias
                for key in args.workloads:
                    for label in order:
                        runs[key, label].append(_worker(trees[label], key))
        finally:
            for label in ("old", "new"):
                if trees[label] != ROOT:
                    subprocess.run(
                        ["git", "worktree", "remove", "--force", str(trees[label])], cwd=ROOT
                    )
    med = statistics.median
    print(f"old = {args.old}, new = {args.new or 'working tree'}, {args.rounds} rounds")
    print(
        f"{'workload':9} {'tree':4} {'grad/hand':>9} {'grad/primal':>11} "
        f"{'new/old grad':>12} {'new/old hand':>12}"
    )
    for key in args.workloads:
        old, new = runs[key, "old"], runs[key, "new"]
        for label, rs in (("old", old), ("new", new)):
            hand = med(r["source"] / r["by_hand"] for r in rs)
            primal = med(r["source"] / r["primal"] for r in rs)
            change = med(n["source"] / o["source"] for n, o in zip(new, old, strict=True))
            same = med(n["by_hand"] / o["by_hand"] for n, o in zip(new, old, strict=True))
            shown = f"{change:12.3f} {same:12.3f}" if label == "new" else ""
            print(f"{key:9} {label:4} {hand:9.3f} {primal:11.3f} {shown}")
    print("new/old hand: the same hand-written code in both trees, so the machine's own drift")


if __name__ == "__main__":
    main()
