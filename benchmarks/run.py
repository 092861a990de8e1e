"""Run every benchmark script (bench_*.py) in its own process, one after another.

In: optional names to select (``python benchmarks/run.py source tape``).
Out: each script's ratio table on stdout and its JSON under benchmarks/results/.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if argv:
        scripts = [s for s in scripts if any(name in s.stem for name in argv)]
    env = dict(os.environ)  # the checkout's own pullback, whether installed or not
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(HERE.parent / "src"), env.get("PYTHONPATH")])
    )
    status = 0
    for script in scripts:
        print(f"== {script.name}", flush=True)
        status |= subprocess.call([sys.executable, str(script)], cwd=HERE, env=env)
    return status


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
