"""``pb.show``: print a derivative for a person to read, highlighted where the terminal allows.

In: a user function (or a derivative pullback made), what to differentiate, and the mode.
Out: text on ``file`` (stdout by default): the generated source (source mode) or the traced
graph and its gradient graph (graph mode, which needs example arguments). Pygments, when
installed and the output is a terminal, colours the code; nothing else is imported for it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import IO, Any

from .errors import PullbackValueError

__all__ = ["show", "print_code"]


def print_code(text: str, file: IO[str] | None = None) -> None:
    """Print Python source, highlighted by Pygments when ``file`` is a terminal."""
    out = file or sys.stdout
    if getattr(out, "isatty", lambda: False)():
        try:
            from pygments import highlight
            from pygments.formatters import TerminalFormatter
            from pygments.lexers import PythonLexer

            out.write(highlight(text, PythonLexer(), TerminalFormatter()))
            return
        except ImportError:
            pass
    print(text, file=out)


def show(
    f: Callable,
    *args: Any,
    argnums: int | Sequence[int] = 0,
    mode: str = "source",
    file: IO[str] | None = None,
) -> None:
    """Print the derivative of ``f``: its generated source, or (``mode="graph"``) its graphs.

    >>> import numpy as np, pullback as pb
    >>> def f(x):
    ...     return np.log(x * x)
    >>> pb.show(f)  # doctest: +SKIP
    def grad_f(x):
        ...
    """
    import pullback as pb

    if mode == "source":
        derivative = f if hasattr(f, "__pullback_generated__") else pb.grad(f, argnums)
        print_code(pb.source(derivative), file)
        return
    if mode == "graph":
        if not args:
            raise PullbackValueError("pb.show(f, *args, mode='graph') needs arguments to trace")
        graph = pb.trace(f, *args)
        out = file or sys.stdout
        print(graph, file=out)
        print(file=out)
        print(_gradient_graph(graph, argnums, len(args)), file=out)
        return
    raise PullbackValueError(f"pb.show shows mode='source' or mode='graph', not {mode!r}")


def _gradient_graph(graph, argnums: int | Sequence[int], nargs: int):
    """The gradient graph of ``graph`` with respect to the arguments ``argnums`` names."""
    from .checks import _normalize_argnums
    from .graph.differentiate import vjp_graph
    from .graph.mode import _input_ranges

    nums = _normalize_argnums(argnums, nargs)
    wrt = [j for i in nums for j in _input_ranges(graph, nargs)[i]]
    return vjp_graph(graph, cotangents=False, wrt=wrt)
