"""``pb.view``: a derivative as a self-contained HTML page.

In: a source-mode derivative (what ``pb.grad(f)`` or ``pb.value_and_grad(f)`` returned) or a
``Graph`` (what ``pb.trace(f, *args)`` returned); optionally the arguments to run the
derivative with, and a path to write to.
Out: the page's HTML text. A derivative gets its code beside the user's (``source.viewpage``);
with ``args`` the derivative runs once, recorded line by line (``source.recording``), and each
user line shows its values' shapes and its adjoints' norms. A ``Graph`` gets its graph page
(``Graph.to_html``: the graph beside its gradient graph, with zoom, pan, search, groups and the
forward/adjoint link; laid out by Graphviz's ``dot`` when installed, see ``graph/layout.py``).
"""

from __future__ import annotations

import inspect
import linecache
import os
import types

from .errors import PullbackError, PullbackTypeError, PullbackValueError, SourceUnavailableError
from .graph import Graph

__all__ = ["view"]

_WHAT_TO_PASS = (
    "pass a source-mode derivative, pb.view(pb.grad(f)) (or pb.value_and_grad(f)), to see its "
    "code beside yours, or a graph, pb.view(pb.trace(f, *args)), to see the graphs"
)


def view(df_or_graph, path: str | os.PathLike | None = None, *, args: tuple | None = None) -> str:
    """A self-contained HTML page of a derivative: returned, and written to ``path`` if given.

    A source-mode derivative shows the user's function beside the generated code, each line
    linked to its counterparts; ``args`` (a tuple, as ``df`` takes them) runs it once and adds
    each line's value shapes and adjoint norms. A ``Graph`` shows the graph and its gradient.

    >>> import numpy as np, pullback as pb
    >>> def f(x):
    ...     return np.sum(np.sin(x) * x)
    >>> page = pb.view(pb.grad(f), "f.html", args=(np.ones(3),))  # doctest: +SKIP
    """
    if isinstance(df_or_graph, Graph):
        if args is not None:
            raise PullbackTypeError(
                "pb.view(graph, args=...): a Graph already holds the values it was traced with; "
                "trace it with other arguments instead, pb.view(pb.trace(f, *args))"
            )
        text = df_or_graph.to_html()
    else:
        text = _source_page(df_or_graph, args)
    if path is not None:
        with open(path, "w", encoding="utf-8") as file:
            file.write(text)
    return text


def _source_page(df, args) -> str:
    from .source.common.sourcemap import lines_of
    from .source.debug.recording import record
    from .source.debug.viewpage import page

    module = getattr(df, "__pullback_module__", None)
    if module is None or not hasattr(module, "source_map"):
        got = f"{type(df).__name__} {getattr(df, '__name__', df)!r:.60}"
        if callable(df):
            why = "it has no generated code (a plain function, or a tape- or graph-mode derivative)"
        else:
            why = "it is not a derivative"
        raise PullbackTypeError(f"pb.view cannot show {got}: {why}; {_WHAT_TO_PASS}")
    entries = lines_of(module)
    if not entries or not linecache.getlines(entries[0].filename):  # the differentiated def
        where = f"{entries[0].filename}:{entries[0].lineno}" if entries else "its file"
        raise SourceUnavailableError(
            f"pb.view: the source of the function that {df.__name__} differentiates ({where}) "
            "cannot be read: its file is gone, or it was typed where no file keeps it; define "
            "the function in a file (or a notebook cell) and pass pb.grad(f) of it again"
        )
    generated = getattr(df, "__pullback_generated__", None)
    name = getattr(df, "__name__", None) or getattr(generated, "__name__", "derivative")
    summary = (getattr(df, "__doc__", None) or "").strip().splitlines()
    run = labelled = None
    if args is not None:
        args, labelled = _checked_args(df, args)
        run = record(module, lambda: _call(df, args))
    return page(module, name=name, summary=summary[0] if summary else "", run=run, args=labelled)


def _checked_args(df, args) -> tuple[tuple, dict]:
    """``args`` as a tuple, and by parameter name; a PullbackTypeError if df cannot take them."""
    if not isinstance(args, (tuple, list)):
        raise PullbackTypeError(
            f"pb.view(df, args=...) takes a tuple of the arguments df takes, such as "
            f"args=(x,) for one argument; got {type(args).__name__} {args!r:.60}"
        )
    args = tuple(args)
    target = getattr(df, "__pullback_target__", None)
    if not isinstance(target, types.MethodType):
        target = df
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return args, {f"argument {k}": a for k, a in enumerate(args)}
    try:
        bound = signature.bind(*args)
    except TypeError as error:
        raise PullbackTypeError(
            f"pb.view(df, args=...) calls {df.__name__}{signature} with args, which gives "
            f"{len(args)} argument(s): {error}; pass args as a tuple in the order of its "
            "parameters"
        ) from None
    return args, dict(bound.arguments)


def _call(df, args: tuple):
    try:
        return df(*args)
    except PullbackError:
        raise
    except Exception as error:
        raise PullbackValueError(
            f"pb.view(df, args=...): {df.__name__}(*args) failed, {type(error).__name__}: "
            f"{error}; pass args that {df.__name__} runs with (the arguments you would give "
            "the function you differentiated)"
        ) from error
