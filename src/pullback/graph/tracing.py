"""``pb.trace``: run a function once on traced values and keep what it did as a ``Graph``.

In: a user function (plain NumPy and ``math``; no source needed) and example arguments.
Out: a replayable ``Graph``: one node per primitive call that read a traced value, with shapes,
dtypes and the user's source line; guard nodes for every branch decision taken on a traced
value (``if x > 0``, ``range(n)``), which raise ``PathChangedError`` when a replay would take
another path. Numeric arguments (floats, ints, arrays) are traced; other arguments (strings,
flags) are inputs checked for equality on replay.
"""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import pytree
from ..tape.context import tracing
from ..tape.namespace import call_in_dispatching_namespace
from ..tape.tensor import Tensor
from ..tape.trace import ReverseTrace
from ..tape.traced import is_traced
from .effects import random_draws, random_states
from .ir import Graph, Node

__all__ = ["trace", "parameter_names"]


def parameter_names(f: Callable, n: int) -> list[str]:
    """The names of ``f``'s first ``n`` positional parameters (x0, x1 ... where unknown)."""
    try:
        params = [
            p.name
            for p in inspect.signature(f).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):
        params = []
    star = None
    try:
        for p in inspect.signature(f).parameters.values():
            if p.kind == p.VAR_POSITIONAL:
                star = p.name
    except (TypeError, ValueError):
        pass
    names = params[:n]
    while len(names) < n:
        names.append(f"{star}{len(names) - len(params)}" if star else f"x{len(names)}")
    return names


def _is_numeric(x) -> bool:
    if isinstance(x, np.ndarray):
        return x.dtype.kind in "biufc"
    return isinstance(x, (numbers.Number, np.generic)) or is_traced(x)


def _leaf_names(name: str, tree) -> list[str]:
    """Readable names for the leaves of one argument: x, or p_w, p_b, p_0 ..."""
    if tree.kind == "leaf":
        return [name]
    out: list[str] = []

    def walk(td, prefix):
        if td.kind == "leaf":
            out.append(prefix)
        elif td.kind == "none":
            return
        else:
            keys = td.keys if td.keys else range(len(td.children))
            for key, child in zip(keys, td.children, strict=True):
                walk(child, f"{prefix}_{key}")

    walk(tree, name)
    return out


def _equal_guard(value, expected):
    """Replay check of a non-numeric argument: the traced graph holds only for equal values."""
    from ..errors import PathChangedError

    try:
        same = value is expected or bool(value == expected)
    except Exception:
        same = False
    if not same:
        raise PathChangedError(
            f"a non-numeric argument was {expected!r} when the graph was traced and is "
            f"{value!r} now; trace the function again"
        )
    return None


def trace(f: Callable, *args: Any) -> Graph:
    """The graph of ``f(*args)``: printable, replayable (``graph(*new_args)``), renderable.

    >>> import numpy as np, pullback as pb
    >>> g = pb.trace(lambda x: np.sin(x) * x, 2.0)
    >>> round(g(1.0), 6)
    0.841471
    """
    from ..checks import check_callable

    check_callable(f, "pb.trace", "graph")
    names = parameter_names(f, len(args))
    tr = ReverseTrace(replayable=True)
    leaves_per_arg = []
    inputs: list[Node] = []
    wrapped_args = []
    for name, arg in zip(names, args, strict=True):
        leaves, tree = pytree.flatten(arg)
        new = []
        for leaf_name, leaf in zip(_leaf_names(name, tree), leaves, strict=True):
            if _is_numeric(leaf):
                t = tr.input(leaf, name=leaf_name)
                inputs.append(t.node)
                new.append(t)
            else:
                t = tr.input(leaf, name=leaf_name, diff=False)
                inputs.append(t.node)
                guard = Node(next(tr.ids), "pullback.guard", _equal_guard, (t.node, leaf))
                guard.nondiff = True
                tr.nodes.append(guard)
                new.append(leaf)
        leaves_per_arg.append(leaves)
        wrapped_args.append(pytree.unflatten(tree, new))
    from .mode import read_values

    reachable = read_values(f) + pytree.flatten(tuple(args))[0]
    states = random_states(reachable)
    try:
        with tracing(tr):
            out, wrote = call_in_dispatching_namespace(f, tuple(wrapped_args), always_copy=True)
    except BaseException as error:  # name the user's line, as the forward sweep
        from ..locate import annotate_forward

        annotate_forward(error, "graph")
        raise
    unreplayable = None
    if random_draws(states, random_states(reachable)):
        unreplayable = "it drew random numbers while traced (a replay would repeat those draws)"
    elif wrote:
        unreplayable = "it wrote a global variable while traced (a replay would not write it)"
    outputs = pytree.tree_map(lambda v: _output_of(v, tr), out)
    nodes = [n for n in tr.nodes if n.op != "input"]
    return Graph(
        inputs,
        nodes,
        outputs,
        name=getattr(f, "__name__", None) or type(f).__name__,
        in_tree=pytree.flatten(tuple(args))[1],
        unreplayable=unreplayable,
    )


def _output_of(value, tr: ReverseTrace):
    if type(value) is Tensor and value.traced_by is tr:
        return value.node if value.node is not None else value.value
    return value
