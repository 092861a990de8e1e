"""The command line: ``python -m pullback`` (also installed as ``pullback``).

In: ``show FILE.py:FUNC``, ``check FILE.py:FUNC --args ...``, ``view FILE.py:FUNC --args ...
-o page.html``, ``demo``, ``bench``. Out: text on stdout, an exit status (0 on success, 1 when a
check fails, 2 on bad usage), and for ``view`` an HTML file.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from .errors import PullbackError


def _load(target: str):
    """``FILE.py:FUNC`` -> the function object."""
    if ":" not in target:
        raise SystemExit(f"pullback: expected FILE.py:FUNC, got {target!r}")
    path, name = target.rsplit(":", 1)
    file = Path(path)
    if not file.is_file():
        raise SystemExit(f"pullback: no such file: {path}")
    spec = importlib.util.spec_from_file_location(file.stem, file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[file.stem] = module
    spec.loader.exec_module(module)
    try:
        return getattr(module, name)
    except AttributeError:
        raise SystemExit(f"pullback: {path} defines no {name!r}") from None


def _args(texts: list[str]):
    """Parse each argument as a Python literal; lists become float arrays."""
    import numpy as np

    out = []
    for text in texts:
        value = ast.literal_eval(text)
        if isinstance(value, list):
            value = np.asarray(value, dtype=float)
        elif isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        out.append(value)
    return tuple(out)


def _argnums(text: str | None):
    if text is None:
        return 0
    nums = tuple(int(t) for t in text.split(","))
    return nums[0] if len(nums) == 1 else nums


def cmd_show(ns) -> int:
    import pullback as pb

    f = _load(ns.target)
    if ns.mode == "graph" and not ns.args:
        raise SystemExit("pullback: show --mode graph needs --args to trace with")
    pb.show(f, *_args(ns.args), argnums=_argnums(ns.argnums), mode=ns.mode)
    return 0


def cmd_check(ns) -> int:
    import pullback as pb

    f = _load(ns.target)
    args = _args(ns.args)
    try:
        pb.check_grads(f, args, mode=ns.mode, order=ns.order)
    except pb.numeric.GradientCheckError as error:
        print(error)
        return 1
    print(
        f"{ns.target}: derivatives agree with finite differences (mode={ns.mode}, order={ns.order})"
    )
    if hasattr(pb, "compare"):
        print()
        print(pb.compare(f, *args))
    return 0


def cmd_view(ns) -> int:
    import pullback as pb

    f = _load(ns.target)
    graph = pb.trace(f, *_args(ns.args))
    Path(ns.output).write_text(graph.to_html(), encoding="utf-8")
    print(f"wrote {ns.output}")
    return 0


def cmd_demo(ns) -> int:
    from . import demo

    return demo.main()


def cmd_bench(ns) -> int:
    root = Path(__file__).resolve().parents[2] / "benchmarks"
    runner = root / "run.py"
    if not runner.is_file():
        print("pullback: the benchmarks live in the source checkout (benchmarks/run.py)")
        return 2
    return subprocess.call([sys.executable, str(runner), *ns.rest], env=dict(os.environ))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pullback", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    show = sub.add_parser("show", help="print the derivative of FILE.py:FUNC")
    show.add_argument("target")
    show.add_argument("--mode", default="source", choices=("source", "graph"))
    show.add_argument("--argnums", default=None, help="e.g. 0 or 0,1")
    show.add_argument("--args", nargs="*", default=[], help="inputs to trace with (graph mode)")
    show.set_defaults(run=cmd_show)

    check = sub.add_parser("check", help="check derivatives against finite differences")
    check.add_argument("target")
    check.add_argument("--args", nargs="+", required=True, help="Python literals: 3.0 '[1,2]'")
    check.add_argument("--mode", default="source")
    check.add_argument("--order", type=int, default=1)
    check.set_defaults(run=cmd_check)

    view = sub.add_parser("view", help="write the graph and gradient graph as an HTML page")
    view.add_argument("target")
    view.add_argument("--args", nargs="+", required=True)
    view.add_argument("-o", "--output", default="graph.html")
    view.set_defaults(run=cmd_view)

    demo = sub.add_parser("demo", help="log(x*x) differentiated in every mode")
    demo.set_defaults(run=cmd_demo)

    bench = sub.add_parser("bench", help="run the benchmark suite (source checkout only)")
    bench.add_argument("rest", nargs=argparse.REMAINDER)
    bench.set_defaults(run=cmd_bench)

    ns = parser.parse_args(argv)
    try:
        return ns.run(ns)
    except PullbackError as error:
        print(f"pullback: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
