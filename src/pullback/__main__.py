"""The command line: ``python -m pullback`` (also installed as ``pullback``).

In: ``show FILE.py:FUNC``, ``check FILE.py:FUNC --args ...``, ``debug FILE.py:FUNC --args ...``
(pdb in the generated gradient), ``view FILE.py:FUNC [--args ...] [--mode source|graph]
-o page.html``, ``demo``, ``bench``. Out: text on stdout, an exit status, and for ``view`` an
HTML file (source mode: the derivative's code beside the function's; graph mode: the graphs).

Exit status: 0 on success; 1 when a check fails or the function (or its derivative) fails;
2 when the command line names something that cannot be used (a missing file or function, a
non-function, a malformed literal, too few or too many ``--args``, a bad ``--argnums``). Every
error is one line on stderr (or a pullback error with the offending line of the user's code),
never a traceback; output cut short by a closed pipe (``show ... | head``) ends quietly.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import inspect
import os
import subprocess
import sys
import traceback
from pathlib import Path

from .errors import PullbackError, PullbackTypeError, PullbackValueError

MODES = ("source", "tape", "graph", "symbolic", "numeric")


class UsageError(Exception):
    """Something the command line names cannot be used: exit status 2."""


def _load(target: str):
    """``FILE.py:FUNC`` -> the function object."""
    if ":" not in target:
        raise UsageError(f"expected FILE.py:FUNC, got {target!r}")
    path, name = target.rsplit(":", 1)
    file = Path(path)
    if not file.is_file():
        raise UsageError(f"no such file: {path}")
    if not name.isidentifier():
        raise UsageError(f"{name!r} is not a Python name (expected FILE.py:FUNC)")
    module_name = file.stem if file.stem not in sys.modules else f"_pullback_cli_{file.stem}"
    spec = importlib.util.spec_from_file_location(module_name, file)
    if spec is None or spec.loader is None:
        raise UsageError(f"cannot import {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        raise UsageError(f"cannot import {path}: line {error.lineno}: {error.msg}") from None
    try:
        f = getattr(module, name)
    except AttributeError:
        raise UsageError(f"{path} defines no {name!r}") from None
    if not callable(f):
        raise UsageError(f"{path}:{name} is not a function but {type(f).__name__} {f!r:.40}")
    return f


def _args(texts: list[str], f=None, what: str = "--args"):
    """Parse each argument as a Python literal; lists become float arrays."""
    import numpy as np

    out = []
    for text in texts:
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            raise UsageError(
                f"{what}: {text!r} is not a Python literal (a number such as 3.0, or a list "
                "such as '[1.0, 2.0]')"
            ) from None
        if isinstance(value, list):
            try:
                value = np.asarray(value, dtype=float)
            except (ValueError, TypeError):
                raise UsageError(f"{what}: {text!r} is not a list of numbers") from None
        elif isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        out.append(value)
    if f is not None:
        _check_count(f, out, what)
    return tuple(out)


def _check_count(f, args: list, what: str) -> None:
    try:
        signature = inspect.signature(f)
    except (TypeError, ValueError):
        return
    try:
        signature.bind(*args)
    except TypeError as error:
        params = ", ".join(signature.parameters)
        name = getattr(f, "__name__", "the function")
        raise UsageError(
            f"{what}: {name}({params}) cannot take {len(args)} argument(s): {error}"
        ) from None


def _argnums(text: str | None):
    if text is None:
        return 0
    try:
        nums = tuple(int(t) for t in text.split(","))
    except ValueError:
        raise UsageError(f"--argnums: expected integers such as 0 or 0,1, got {text!r}") from None
    return nums[0] if len(nums) == 1 else nums


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def cmd_show(ns) -> int:
    import pullback as pb

    f = _load(ns.target)
    argnums = _argnums(ns.argnums)
    if ns.mode == "graph" and not ns.args:
        raise UsageError("show --mode graph needs --args to trace with")
    args = _args(ns.args, f if ns.mode == "graph" else None)
    pb.show(f, *args, argnums=argnums, mode=ns.mode)
    return 0


def cmd_check(ns) -> int:
    import pullback as pb

    f = _load(ns.target)
    args = _args(ns.args, f)
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
    if ns.mode == "source":
        df = pb.grad(f, _argnums(ns.argnums))
        try:
            page = pb.view(df, args=_args(ns.args, f) if ns.args else None)
        except PullbackValueError as error:
            cause = error.__cause__
            if cause is not None and not isinstance(cause, PullbackError):
                raise cause from None  # the function failed: say where, exit status 1
            raise
    else:
        if not ns.args:
            raise UsageError(f"view --mode {ns.mode} needs --args to trace with")
        page = pb.trace(f, *_args(ns.args, f)).to_html()
    output = ns.output or ("view.html" if ns.mode == "source" else "graph.html")
    try:
        Path(output).write_text(page, encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot write {output}: {error.strerror or error}") from None
    print(f"wrote {output}")
    return 0


def cmd_debug(ns) -> int:
    import pullback as pb

    f = _load(ns.target)
    args = _args(ns.args, f)
    result = pb.debug(pb.grad(f), *args)
    print(f"{ns.target}: gradient {result!r}")
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


def _parser() -> tuple[argparse.ArgumentParser, dict]:
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
    check.add_argument("--mode", default="source", choices=MODES)
    check.add_argument("--order", type=_positive, default=1)
    check.set_defaults(run=cmd_check)

    view = sub.add_parser(
        "view",
        help="write an HTML page: the derivative's code beside yours (or, --mode graph, the "
        "graphs)",
    )
    view.add_argument("target")
    view.add_argument(
        "--args",
        nargs="+",
        default=[],
        help="Python literals; source mode: run once and show each line's shapes and adjoint "
        "norms; graph mode: the inputs to trace with (required)",
    )
    view.add_argument(
        "--mode",
        default="source",
        choices=("source", "graph", "tape"),
        help="source (the default): code beside code; graph or tape: the traced graph and its "
        "gradient graph",
    )
    view.add_argument("--argnums", default=None, help="source mode: e.g. 0 or 0,1")
    view.add_argument(
        "-o", "--output", default=None, help="default: view.html (source), graph.html (graph)"
    )
    view.set_defaults(run=cmd_view)

    demo = sub.add_parser("demo", help="log(x*x) differentiated in every mode")
    demo.set_defaults(run=cmd_demo)

    debug = sub.add_parser("debug", help="pdb in the generated gradient of FILE.py:FUNC")
    debug.add_argument("target")
    debug.add_argument("--args", nargs="+", required=True, help="Python literals: 3.0 '[1,2]'")
    debug.set_defaults(run=cmd_debug)

    bench = sub.add_parser("bench", help="run the benchmark suite (source checkout only)")
    bench.add_argument("rest", nargs=argparse.REMAINDER)
    bench.set_defaults(run=cmd_bench)
    return parser, {
        "show": show,
        "check": check,
        "view": view,
        "demo": demo,
        "bench": bench,
        "debug": debug,
    }


def _where_it_failed(error: BaseException) -> str:
    """`` (file:line)`` of the innermost user line the error passed through.

    A frame of generated derivative code names the user's line it was generated from.
    """
    from .source.backend.tracebacks import user_place

    package = str(Path(__file__).resolve().parent)
    place = ""
    for frame in traceback.extract_tb(error.__traceback__):
        mapped = user_place(frame.filename, frame.lineno or 0)
        if mapped is not None:
            place = f" ({mapped[0]}:{mapped[1]})"
        elif not str(Path(frame.filename).resolve()).startswith(package):
            place = f" ({frame.filename}:{frame.lineno})"
    return place


def _quiet_stdout() -> None:
    """After a closed pipe: point stdout at /dev/null so the exit flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def main(argv: list[str] | None = None) -> int:
    parser, commands = _parser()
    ns, extra = parser.parse_known_args(argv)
    if extra:
        if ns.command != "bench":
            commands[ns.command].error(f"unrecognized arguments: {' '.join(extra)}")
        ns.rest = [*extra, *ns.rest]
    try:
        status = ns.run(ns)
        sys.stdout.flush()
        return status
    except BrokenPipeError:
        _quiet_stdout()
        return 1
    except KeyboardInterrupt:
        return 130
    except UsageError as error:
        print(f"pullback {ns.command}: error: {error}", file=sys.stderr)
        return 2
    except (PullbackTypeError, PullbackValueError) as error:  # misuse: the input cannot be used
        print(f"pullback: {error}", file=sys.stderr)
        return 2
    except PullbackError as error:
        print(f"pullback: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # the user's code failed: say where, in one line
        print(
            f"pullback: {type(error).__name__}: {error}{_where_it_failed(error)}", file=sys.stderr
        )
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
